/*
 * prep.h - a source's rows prepared before anything folds them: derived
 * columns computed, rows that fail a condition dropped and counted by the
 * condition's name, rows identical to an earlier one dropped (distinct).
 *
 * It sits between the plugin and whoever reads the source (source.c): the
 * plugin is asked for the columns the reader wants and those the expressions
 * read (every column when rows must be distinct), and each batch it sends is
 * turned into a batch of the reader's columns holding the rows kept.
 * Memory stays flat, but for distinct: 16 bytes per distinct row.
 */
#ifndef QUIRE_PREP_H
#define QUIRE_PREP_H

#include <stdint.h>

#include "error.h"
#include "spec.h"

typedef struct prep prep;

/* What a scan read and dropped. */
typedef struct prep_counts {
    uint64_t read;        /* rows the plugin sent */
    uint64_t *dropped;    /* per condition of src->where, in its order */
    uint64_t duplicates;  /* rows identical to an earlier one */
    uint64_t kept;
} prep_counts;

/* The preparation of src's rows for a reader of the columns proj (nproj;
 * names among src's columns, derived ones included), or NULL when src has no
 * derive, where or distinct. *ask, *nask: the columns to ask the plugin for
 * (NULL: every one), borrowed from the result. */
prep *prep_new(const spec_source *src, const quire_column *proj, size_t nproj,
               const quire_column **ask, size_t *nask);
void prep_free(prep *p);

/* Turn the plugin's batch b into *out, the reader's columns of the rows
 * kept; *out is valid until the next call. Returns 0, or -1 with err set (a
 * column the expressions read is not in the rows). */
int prep_batch(prep *p, const quire_batch *b, const quire_batch **out, quire_error *err);

const prep_counts *prep_counts_of(const prep *p);

#endif
