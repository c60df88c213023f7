/*
 * rowsel.h - which rows a table shows, and in which order: its `where:`
 * conditions, its `sort:` and its `top:` / `bottom:`.
 *
 * spec.c parses the text of those keys with rowsel_parse_cond() and
 * rowsel_parse_sort(); the document stage, which knows the values, lays
 * them out as one rowsel_value per row and name (the block's conditions in
 * order, then its sort name) and calls rowsel_apply(). The same rules hold
 * for every kind of table: a condition on a missing value is false, missing
 * values sort last, ties keep the table's own order.
 */
#ifndef QUIRE_ROWSEL_H
#define QUIRE_ROWSEL_H

#include <stddef.h>

#include "spec.h"

/* Parse "NAME OP VALUE" (OP one of < <= > >= == !=; VALUE a number or a
 * text, quotes optional) into c (its pos is left alone). Returns 0, or -1
 * with a message in msg. */
int rowsel_parse_cond(const char *text, spec_cond *c, char *msg, size_t n);

/* Parse "NAME", "NAME asc" or "NAME desc": *name (malloc'd) and *dir
 * (SPEC_SORT_ASC, SPEC_SORT_DESC, or SPEC_SORT_DEFAULT when not said).
 * Returns 0, or -1 with a message in msg. */
int rowsel_parse_sort(const char *text, char **name, int *dir, char *msg, size_t n);

/* One row's value for one name: a number (NAN = missing) or, when text is
 * not NULL, a text. */
typedef struct rowsel_value {
    double num;
    const char *text;
} rowsel_value;

/* Whether a row whose values for b's conditions are vals[0..nwhere) passes
 * them all. */
int rowsel_passes(const spec_block *b, const rowsel_value *vals);

/* The number of names rowsel_apply() reads per row for block b: its
 * conditions, then its sort name if any. */
size_t rowsel_nrefs(const spec_block *b);

/* The rows of a table of nrows rows that block b shows, in order: into
 * order (room for nrows), their count returned. vals holds nrows *
 * rowsel_nrefs(b) values, row by row. At most cap rows are kept (0: no cap)
 * after top/bottom. */
size_t rowsel_apply(const spec_block *b, size_t nrows, const rowsel_value *vals, size_t cap,
                    size_t *order);

#endif
