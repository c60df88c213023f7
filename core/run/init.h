/*
 * init.h - quire init: a first report from CSV files.
 *
 * init_report() reads the files through the csv plugin, as strings, and
 * guesses each column's type (integer, number, date, text) and role: the
 * customer key, a date, an amount, a few text attributes. It then picks the
 * files' parts: the customers (a file whose key is unique), the orders (a
 * dated file with an amount, else the largest dated one) and other dated
 * files about customers, reads the orders again for the quantiles the
 * segment rule's thresholds come from, and writes into a folder a spec
 * (report.yaml), the segment rule (segments.lua) and copies of the stock
 * KPIs it uses (kpis/), each with a comment at its top saying what to edit.
 * The spec renders with `quire run` as it is.
 */
#ifndef QUIRE_INIT_H
#define QUIRE_INIT_H

#include <stddef.h>

#include "error.h"

typedef struct init_opts {
    const char *const *files; /* the CSV files */
    size_t nfiles;
    const char *out_dir;      /* where the report goes (created when missing) */
    int force;                /* overwrite files already there */
} init_opts;

/* Write the report. Returns 0, or -1 with err set: a usage error for
 * arguments or files that give nothing to report on (naming why), a data
 * error for a file that cannot be read, an output error for one that
 * cannot be written. Prints nothing. */
int init_report(const init_opts *o, quire_error *err);

#endif
