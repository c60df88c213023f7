/* rows.c - reading the source rows that row tables print. */
#include "rows.h"

#include <stdlib.h>
#include <string.h>

#include "util.h"

typedef struct rows_ctx {
    row_table *t;
    size_t cap;
} rows_ctx;

static int on_rows(void *user, const quire_batch *b, quire_error *err)
{
    rows_ctx *c = user;
    row_table *t = c->t;
    uint32_t row;
    size_t k;

    (void)err;
    for (row = 0; row < b->nrows && t->nrows < c->cap; row++) {
        for (k = 0; k < t->ncols; k++) {
            row_cell *out = &t->cells[t->nrows * t->ncols + k];
            const quire_cell *cl = NULL;
            uint32_t j;

            for (j = 0; j < b->ncols; j++)
                if (strcmp(b->columns[j].name, t->cols[k].name) == 0)
                    cl = &b->cols[j][row];
            out->null = !cl || cl->null;
            if (out->null)
                continue;
            switch (t->cols[k].type) {
            case QUIRE_T_NUMBER:
                out->n = cl->v.n;
                break;
            case QUIRE_T_INTEGER:
            case QUIRE_T_DATE:
            case QUIRE_T_BOOLEAN:
                out->i = cl->v.i;
                break;
            default:
                out->s = xstrndup(cl->v.s.ptr, cl->v.s.len);
                break;
            }
        }
        t->nrows++;
    }
    return 0;
}

static int read_table(const spec *s, const spec_block *sb, row_table *t, plugin_registry *reg,
                      data_notes *notes, quire_error *err)
{
    const spec_source *src = spec_find_source(s, sb->source);
    rows_ctx c;
    source *so;
    size_t k;
    int rc;

    t->block = sb;
    t->ncols = sb->ncolumns;
    t->cols = xcalloc(sb->ncolumns ? sb->ncolumns : 1, sizeof *t->cols);
    for (k = 0; k < sb->ncolumns; k++)
        t->cols[k] = *spec_column(src, sb->columns[k]);
    c.t = t;
    c.cap = sb->rows > 0 ? (size_t)sb->rows : 1000;
    t->cells = xcalloc(c.cap * t->ncols + 1, sizeof *t->cells);
    so = source_open(s, src, reg, notes, err);
    if (!so)
        return -1;
    rc = source_scan(so, t->cols, t->ncols, (uint64_t)c.cap, on_rows, &c, err);
    source_close(so);
    return rc;
}

row_tables *rows_read(const spec *s, plugin_registry *reg, data_notes *notes, quire_error *err)
{
    row_tables *t = xcalloc(1, sizeof *t);
    size_t i, j, n = 0;

    for (i = 0; i < s->nsections; i++)
        for (j = 0; j < s->sections[i].nblocks; j++)
            n += s->sections[i].blocks[j].kind == BLOCK_TABLE &&
                 s->sections[i].blocks[j].source != NULL;
    t->v = xcalloc(n ? n : 1, sizeof *t->v);
    for (i = 0; i < s->nsections; i++) {
        for (j = 0; j < s->sections[i].nblocks; j++) {
            const spec_block *sb = &s->sections[i].blocks[j];
            if (sb->kind != BLOCK_TABLE || !sb->source)
                continue;
            if (read_table(s, sb, &t->v[t->n++], reg, notes, err)) {
                rows_free(t);
                return NULL;
            }
        }
    }
    return t;
}

const row_table *rows_for(const row_tables *t, const spec_block *b)
{
    size_t i;

    for (i = 0; t && i < t->n; i++)
        if (t->v[i].block == b)
            return &t->v[i];
    return NULL;
}

void rows_free(row_tables *t)
{
    size_t i, k;

    if (!t)
        return;
    for (i = 0; i < t->n; i++) {
        row_table *rt = &t->v[i];
        for (k = 0; rt->cells && k < rt->nrows * rt->ncols; k++)
            free(rt->cells[k].s);
        free(rt->cells);
        free(rt->cols);
    }
    free(t->v);
    free(t);
}
