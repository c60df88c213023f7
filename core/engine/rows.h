/*
 * rows.h - the source rows that the report's row tables print, read in the
 * read stage with the facts, so that the document stage never opens a
 * source.
 *
 * A table block with `source:` prints the rows of that source that pass its
 * `where` (the first ones, or the first in its `sort` order; at most its
 * `top`/`bottom` and its `rows:`, default 1,000), in the block's columns,
 * typed as the spec declares them. rows_read() reads every such block once; the document takes
 * the cells from here and formats them.
 */
#ifndef QUIRE_ROWS_H
#define QUIRE_ROWS_H

#include <stddef.h>
#include <stdint.h>

#include "plugins.h"
#include "source.h"
#include "spec.h"

/* One cell: null, or a value of the column's declared type (integer, date
 * and boolean in i, number in n, string in s, owned). */
typedef struct row_cell {
    int null;
    int64_t i;
    double n;
    char *s;
} row_cell;

typedef struct row_table {
    const spec_block *block;   /* borrowed from the spec */
    size_t ncols, nrows;
    quire_column *cols;        /* the block's columns, declared types */
    row_cell *cells;           /* nrows * ncols, row-major */
} row_table;

typedef struct row_tables {
    row_table *v;
    size_t n;
} row_tables;

/* Read the rows of every row table of s. Returns NULL with err set. */
row_tables *rows_read(const spec *s, plugin_registry *reg, data_notes *notes, quire_error *err);
/* The rows read for block b, or NULL when b is not a row table. */
const row_table *rows_for(const row_tables *t, const spec_block *b);
void rows_free(row_tables *t);

#endif
