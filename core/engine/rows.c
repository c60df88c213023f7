/* rows.c - reading the source rows that row tables print. */
#include "rows.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "rowsel.h"
#include "util.h"

/* What a table reads: the block's columns, then the other columns its
 * where and sort name; rows pass where as they stream. Without sort the
 * first cap rows that pass are kept; with it, the cap first in its order,
 * found with a buffer of at most 2 cap rows. */
typedef struct rows_ctx {
    row_table *t;
    const spec_block *b;
    size_t cap;
    quire_column *all;       /* the columns read */
    size_t nall;
    size_t *ref;             /* per name of where and sort: its column in all */
    size_t nref;
    row_cell *buf;           /* rows read and kept, nall cells each */
    size_t n, bufcap;
    rowsel_value *vals;      /* nref: one row's where values */
} rows_ctx;

static size_t add_col(rows_ctx *c, const spec_source *src, const char *name)
{
    size_t k;

    for (k = 0; k < c->nall; k++)
        if (strcmp(c->all[k].name, name) == 0)
            return k;
    c->all[c->nall] = *spec_column(src, name);
    return c->nall++;
}

static void free_row(row_cell *r, size_t n)
{
    size_t k;

    for (k = 0; k < n; k++)
        free(r[k].s);
}

/* The where and sort values of row r. */
static void row_values(const rows_ctx *c, const row_cell *r, rowsel_value *v)
{
    size_t j;

    for (j = 0; j < c->nref; j++) {
        const row_cell *cl = &r[c->ref[j]];
        v[j].text = NULL;
        v[j].num = NAN;
        switch (c->all[c->ref[j]].type) {
        case QUIRE_T_NUMBER:
            if (!cl->null)
                v[j].num = cl->n;
            break;
        case QUIRE_T_STRING:
            v[j].text = cl->null || !cl->s ? "" : cl->s;
            break;
        default:
            if (!cl->null)
                v[j].num = (double)cl->i;
            break;
        }
    }
}

/* Keep the cap rows of the buffer that come first in the sort order. */
static void cut(rows_ctx *c)
{
    rowsel_value *v = xcalloc(c->n * c->nref + 1, sizeof *v);
    size_t *order = xcalloc(c->n + 1, sizeof *order), m, i;
    row_cell *kept;
    char *gone = xcalloc(c->n + 1, 1);

    for (i = 0; i < c->n; i++)
        row_values(c, &c->buf[i * c->nall], &v[i * c->nref]);
    m = rowsel_apply(c->b, c->n, v, c->cap, order);
    kept = xcalloc(c->bufcap * c->nall + 1, sizeof *kept);
    memset(gone, 1, c->n);
    for (i = 0; i < m; i++) {
        memcpy(&kept[i * c->nall], &c->buf[order[i] * c->nall], c->nall * sizeof *kept);
        gone[order[i]] = 0;
    }
    for (i = 0; i < c->n; i++)
        if (gone[i])
            free_row(&c->buf[i * c->nall], c->nall);
    free(c->buf);
    c->buf = kept;
    c->n = m;
    free(v);
    free(order);
    free(gone);
}

static int on_rows(void *user, const quire_batch *b, quire_error *err)
{
    rows_ctx *c = user;
    uint32_t row;
    size_t k;

    (void)err;
    for (row = 0; row < b->nrows; row++) {
        row_cell *out;

        if (!c->b->sort && c->n >= c->cap)
            return 0;
        if (c->n == c->bufcap) {
            c->bufcap = c->bufcap ? c->bufcap * 2 : 64;
            c->buf = xrealloc(c->buf, c->bufcap * c->nall * sizeof *c->buf);
        }
        out = &c->buf[c->n * c->nall];
        memset(out, 0, c->nall * sizeof *out);
        for (k = 0; k < c->nall; k++) {
            const quire_cell *cl = NULL;
            uint32_t j;

            for (j = 0; j < b->ncols; j++)
                if (strcmp(b->columns[j].name, c->all[k].name) == 0)
                    cl = &b->cols[j][row];
            out[k].null = !cl || cl->null;
            if (out[k].null)
                continue;
            switch (c->all[k].type) {
            case QUIRE_T_NUMBER:
                out[k].n = cl->v.n;
                break;
            case QUIRE_T_INTEGER:
            case QUIRE_T_DATE:
            case QUIRE_T_BOOLEAN:
                out[k].i = cl->v.i;
                break;
            default:
                out[k].s = xstrndup(cl->v.s.ptr, cl->v.s.len);
                break;
            }
        }
        if (c->b->nwhere) {
            row_values(c, out, c->vals);
            if (!rowsel_passes(c->b, c->vals)) {
                free_row(out, c->nall);
                continue;
            }
        }
        c->n++;
        if (c->b->sort && c->n >= 2 * c->cap)
            cut(c);
    }
    return 0;
}

static int read_table(const spec *s, const spec_block *sb, row_table *t, plugin_registry *reg,
                      data_notes *notes, quire_error *err)
{
    const spec_source *src = spec_find_source(s, sb->source);
    rows_ctx c;
    source *so;
    size_t k, row;
    int rc;

    memset(&c, 0, sizeof c);
    c.t = t;
    c.b = sb;
    c.cap = sb->top ? (size_t)sb->top : sb->bottom ? (size_t)sb->bottom : 0;
    if (!c.cap || (sb->rows > 0 && (size_t)sb->rows < c.cap))
        c.cap = sb->rows > 0 ? (size_t)sb->rows : 1000;
    c.nref = rowsel_nrefs(sb);
    c.all = xcalloc(sb->ncolumns + c.nref + 1, sizeof *c.all);
    c.ref = xcalloc(c.nref + 1, sizeof *c.ref);
    c.vals = xcalloc(c.nref + 1, sizeof *c.vals);
    for (k = 0; k < sb->ncolumns; k++)
        add_col(&c, src, sb->columns[k]);
    for (k = 0; k < c.nref; k++)
        c.ref[k] = add_col(&c, src, k < sb->nwhere ? sb->where[k].name : sb->sort);
    t->block = sb;
    t->ncols = sb->ncolumns;
    t->cols = xcalloc(sb->ncolumns ? sb->ncolumns : 1, sizeof *t->cols);
    for (k = 0; k < sb->ncolumns; k++)
        t->cols[k] = c.all[k];
    so = source_open(s, src, reg, notes, err);
    rc = so ? source_scan(so, c.all, c.nall, sb->nwhere || sb->sort ? 0 : (uint64_t)c.cap,
                          on_rows, &c, err)
            : -1;
    source_close(so);
    if (rc == 0 && sb->sort)
        cut(&c);
    /* The block's own columns of the rows kept, in order. */
    t->cells = xcalloc(c.n * t->ncols + 1, sizeof *t->cells);
    for (row = 0; row < c.n; row++) {
        row_cell *r = &c.buf[row * c.nall];
        memcpy(&t->cells[row * t->ncols], r, t->ncols * sizeof *r);
        for (k = t->ncols; k < c.nall; k++)
            free(r[k].s);
    }
    t->nrows = c.n;
    free(c.buf);
    free(c.all);
    free(c.ref);
    free(c.vals);
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
