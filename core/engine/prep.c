/* prep.c - derived columns, row conditions and distinct rows over a source's batches. */
#include "prep.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

struct prep {
    const spec_source *src;
    const quire_column *proj;   /* the reader's columns; NULL: every one, derived too */
    size_t nproj;               /* columns of the output */
    size_t ocap;                /* columns omap and ocells hold */
    quire_column *ask;          /* the plugin's, or NULL: every column */
    size_t nask;
    /* The batch being prepared, widened: the plugin's columns, then the
     * derived ones. */
    quire_column *xcols;
    quire_cell **xcells;        /* [nplugin + nderived] */
    quire_cell **dcells;        /* the derived columns' cells, [nderived][cap] */
    uint32_t cap;               /* rows dcells and the output hold */
    size_t xcap;                /* columns xcols and xcells hold */
    uint32_t **dmap, **wmap;    /* per expression: its columns in the widened batch */
    uint32_t *omap;             /* per reader column: its column in the widened batch */
    uint32_t *order;            /* distinct: the columns compared, in the widened batch */
    size_t norder;
    quire_cell **ocells;        /* the output, [nproj][cap] */
    uint64_t *orec;
    quire_batch out;
    expr_scratch sc;
    prep_counts counts;
    uint64_t *set;              /* distinct: pairs of hashes, 0,0 = empty */
    size_t nset, setcap;
};

static int is_derived(const spec_source *src, const char *name)
{
    size_t k;

    for (k = 0; k < src->nderived; k++)
        if (strcmp(src->derived[k].name, name) == 0)
            return 1;
    return 0;
}

/* Add column name to the plugin's list, once. */
static void ask_for(prep *p, const quire_column *c)
{
    size_t k;

    for (k = 0; k < p->nask; k++)
        if (strcmp(p->ask[k].name, c->name) == 0)
            return;
    p->ask[p->nask++] = *c;
}

/* Ask for the column name reads, unless it is derived: as declared, or as
 * text. */
static void ask_name(prep *p, const char *name)
{
    const quire_column *dc = spec_column(p->src, name);
    quire_column text;

    if (is_derived(p->src, name))
        return;
    if (!dc) {
        memset(&text, 0, sizeof text);
        text.name = name;
        text.type = QUIRE_T_STRING;
        dc = &text;
    }
    ask_for(p, dc);
}

static void ask_expr(prep *p, const expr_code *x)
{
    size_t k;

    for (k = 0; k < expr_ncolumns(x); k++)
        ask_name(p, expr_column_name(x, k));
}

prep *prep_new(const spec_source *src, const quire_column *proj, size_t nproj,
               const quire_column **ask, size_t *nask)
{
    prep *p;
    size_t k, n;

    if (!src->nderived && !src->nwhere && !src->distinct)
        return NULL;
    p = xcalloc(1, sizeof *p);
    p->src = src;
    p->proj = proj;
    p->nproj = nproj;
    p->counts.dropped = xcalloc(src->nwhere + 1, sizeof *p->counts.dropped);
    p->dmap = xcalloc(src->nderived + 1, sizeof *p->dmap);
    p->wmap = xcalloc(src->nwhere + 1, sizeof *p->wmap);
    p->dcells = xcalloc(src->nderived + 1, sizeof *p->dcells);
    for (k = 0; k < src->nderived; k++)
        p->dmap[k] = xcalloc(expr_ncolumns(src->derived[k].x) + 1, sizeof **p->dmap);
    for (k = 0; k < src->nwhere; k++)
        p->wmap[k] = xcalloc(expr_ncolumns(src->where[k].x) + 1, sizeof **p->wmap);
    p->ocap = nproj;
    p->omap = xcalloc(nproj + 1, sizeof *p->omap);
    p->ocells = xcalloc(nproj + 1, sizeof *p->ocells);
    if (proj && (!src->distinct || src->distinct_on)) {
        n = nproj + src->ndistinct_on;
        for (k = 0; k < src->nderived; k++)
            n += expr_ncolumns(src->derived[k].x);
        for (k = 0; k < src->nwhere; k++)
            n += expr_ncolumns(src->where[k].x);
        p->ask = xcalloc(n + 1, sizeof *p->ask);
        for (k = 0; k < nproj; k++)
            if (!is_derived(src, proj[k].name))
                ask_for(p, &proj[k]);
        for (k = 0; k < src->nderived; k++)
            ask_expr(p, src->derived[k].x);
        for (k = 0; k < src->nwhere; k++)
            ask_expr(p, src->where[k].x);
        for (k = 0; k < src->ndistinct_on; k++)
            ask_name(p, src->distinct_on[k]);
    }
    *ask = p->ask;
    *nask = p->nask;
    return p;
}

void prep_free(prep *p)
{
    size_t k;

    if (!p)
        return;
    for (k = 0; k < p->src->nderived; k++) {
        free(p->dmap[k]);
        free(p->dcells[k]);
    }
    for (k = 0; k < p->src->nwhere; k++)
        free(p->wmap[k]);
    for (k = 0; k < p->ocap; k++)
        free(p->ocells[k]);
    free(p->dmap);
    free(p->wmap);
    free(p->dcells);
    free(p->omap);
    free(p->ocells);
    free(p->orec);
    free(p->ask);
    free(p->xcols);
    free(p->xcells);
    free(p->order);
    free(p->set);
    free(p->counts.dropped);
    expr_scratch_free(&p->sc);
    free(p);
}

const prep_counts *prep_counts_of(const prep *p) { return &p->counts; }

/* ------------------------------------------------------------ the widened batch */

/* The column of the widened batch named name, looking at the plugin's
 * columns and the first nderived derived ones; -1 when there is none. */
static long find(const prep *p, const quire_batch *b, const char *name, size_t nderived)
{
    size_t k;

    for (k = 0; k < b->ncols; k++)
        if (strcmp(b->columns[k].name, name) == 0)
            return (long)k;
    for (k = 0; k < nderived; k++)
        if (strcmp(p->src->derived[k].name, name) == 0)
            return (long)(b->ncols + k);
    return -1;
}

/* A column an expression, distinct or the reader names is not in the rows
 * (the plugin was asked for every column, so it could not say). */
static int missing(const prep *p, const quire_batch *b, const char *name, quire_error *err)
{
    char subject[300];
    const char **names = xcalloc(b->ncols + 1, sizeof *names);
    const char *hint;
    strbuf list = {0};
    size_t k;

    for (k = 0; k < b->ncols; k++) {
        names[k] = b->columns[k].name;
        sb_printf(&list, "%s%s", k ? ", " : "", names[k]);
    }
    hint = closest_word(name, names, b->ncols);
    snprintf(subject, sizeof subject, "source \"%s\"", p->src->name);
    quire_err_at(err, QUIRE_EXIT_DATA, subject, 0, 0, "its rows have no column \"%s\"%s%s%s; "
                 "columns are: %s", name, hint ? " (did you mean \"" : "", hint ? hint : "",
                 hint ? "\"?)" : "", list.s ? list.s : "none");
    sb_free(&list);
    free(names);
    return -1;
}

static int map_expr(const prep *p, const quire_batch *b, const expr_code *x, size_t nderived,
                    uint32_t *map, quire_error *err)
{
    size_t k;

    for (k = 0; k < expr_ncolumns(x); k++) {
        long at = find(p, b, expr_column_name(x, k), nderived);
        if (at < 0)
            return missing(p, b, expr_column_name(x, k), err);
        map[k] = (uint32_t)at;
    }
    return 0;
}

/* For qsort_r: columns a and b of the batch cols by their names. */
static int by_name(const void *a, const void *b, void *cols)
{
    const quire_column *c = cols;
    return strcmp(c[*(const uint32_t *)a].name, c[*(const uint32_t *)b].name);
}

/* Size the buffers for batch b and find every column the expressions and
 * the reader name. */
static int widen(prep *p, const quire_batch *b, quire_error *err)
{
    const spec_source *src = p->src;
    size_t nx = b->ncols + src->nderived, k;

    if (nx > p->xcap) {
        p->xcap = nx;
        p->xcols = xrealloc(p->xcols, nx * sizeof *p->xcols);
        p->xcells = xrealloc(p->xcells, nx * sizeof *p->xcells);
        p->order = xrealloc(p->order, (nx + src->ndistinct_on) * sizeof *p->order);
    }
    if (!p->proj && nx > p->ocap) {
        /* every column: the output is the widened batch */
        p->omap = xrealloc(p->omap, nx * sizeof *p->omap);
        p->ocells = xrealloc(p->ocells, nx * sizeof *p->ocells);
        for (k = p->ocap; k < nx; k++)
            p->ocells[k] = p->cap ? xmalloc(p->cap * sizeof **p->ocells) : NULL;
        p->ocap = nx;
    }
    if (b->nrows > p->cap) {
        p->cap = b->nrows;
        for (k = 0; k < src->nderived; k++)
            p->dcells[k] = xrealloc(p->dcells[k], p->cap * sizeof **p->dcells);
        for (k = 0; k < p->ocap; k++)
            p->ocells[k] = xrealloc(p->ocells[k], p->cap * sizeof **p->ocells);
        p->orec = xrealloc(p->orec, p->cap * sizeof *p->orec);
    }
    for (k = 0; k < b->ncols; k++) {
        p->xcols[k] = b->columns[k];
        p->xcells[k] = b->cols[k];
    }
    for (k = 0; k < src->nderived; k++) {
        const quire_column *dc = &src->columns[src->nplain + k];
        p->xcols[b->ncols + k] = *dc;
        p->xcells[b->ncols + k] = p->dcells[k];
        if (map_expr(p, b, src->derived[k].x, k, p->dmap[k], err))
            return -1;
    }
    for (k = 0; k < src->nwhere; k++)
        if (map_expr(p, b, src->where[k].x, src->nderived, p->wmap[k], err))
            return -1;
    if (!p->proj) {
        p->nproj = nx;
        for (k = 0; k < nx; k++)
            p->omap[k] = (uint32_t)k;
    }
    for (k = 0; p->proj && k < p->nproj; k++) {
        long at = find(p, b, p->proj[k].name, src->nderived);
        if (at < 0)
            return missing(p, b, p->proj[k].name, err);
        p->omap[k] = (uint32_t)at;
    }
    if (src->distinct_on) {
        for (k = 0; k < src->ndistinct_on; k++) {
            long at = find(p, b, src->distinct_on[k], src->nderived);
            if (at < 0)
                return missing(p, b, src->distinct_on[k], err);
            p->order[k] = (uint32_t)at;
        }
        p->norder = src->ndistinct_on;
    } else if (src->distinct) {
        /* Rows are compared column by column in the order of their names,
         * so parts whose files order the columns differently agree. */
        for (k = 0; k < b->ncols; k++)
            p->order[k] = (uint32_t)k;
        qsort_r(p->order, b->ncols, sizeof *p->order, by_name, (void *)b->columns);
        p->norder = b->ncols;
    }
    return 0;
}

static void store(quire_cell *c, const expr_val *v, quire_type t)
{
    memset(c, 0, sizeof *c);
    switch (v->t) {
    case EXPR_NULL:
        c->null = 1;
        break;
    case EXPR_STR:
        c->v.s.ptr = v->s;
        c->v.s.len = (uint32_t)v->len;
        break;
    case EXPR_NUM:
        c->v.n = v->n;
        break;
    default:
        if (t == QUIRE_T_NUMBER)
            c->v.n = (double)v->i;
        else
            c->v.i = v->i;
        break;
    }
}

/* ------------------------------------------------------------ distinct */

static uint64_t mix(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

/* Two independent 64-bit hashes of bytes s[0..n), added to h. */
static void hash_bytes(uint64_t h[2], const void *s, size_t n)
{
    const unsigned char *b = s;
    size_t i;

    for (i = 0; i < n; i++) {
        h[0] = (h[0] ^ b[i]) * 0x100000001b3ULL;
        h[1] = (h[1] + b[i] + 1) * 0x9e3779b97f4a7c15ULL;
        h[1] ^= h[1] >> 29;
    }
}

/* The hashes of row r of the widened batch b, in the columns compared. */
static void hash_row(const prep *p, const quire_batch *b, uint32_t r, uint64_t h[2])
{
    size_t k;

    h[0] = 0xcbf29ce484222325ULL;
    h[1] = 0x84222325cbf29ce4ULL;
    for (k = 0; k < p->norder; k++) {
        const quire_cell *c = &b->cols[p->order[k]][r];
        unsigned char tag = c->null ? 0xff : (unsigned char)b->columns[p->order[k]].type;
        hash_bytes(h, &tag, 1);
        if (c->null)
            continue;
        if (b->columns[p->order[k]].type == QUIRE_T_STRING) {
            hash_bytes(h, &c->v.s.len, sizeof c->v.s.len);
            hash_bytes(h, c->v.s.ptr, c->v.s.len);
        } else if (b->columns[p->order[k]].type == QUIRE_T_NUMBER) {
            double v = c->v.n == 0 ? 0.0 : c->v.n; /* -0 is 0 */
            hash_bytes(h, &v, sizeof v);
        } else {
            hash_bytes(h, &c->v.i, sizeof c->v.i);
        }
    }
    h[0] = mix(h[0]);
    h[1] = mix(h[1]);
    if (!h[0] && !h[1])
        h[1] = 1; /* 0,0 marks an empty slot */
}

/* Whether the row hashed h was seen before; remembers it. */
static int seen(prep *p, const uint64_t h[2])
{
    size_t mask, i;

    if ((p->nset + 1) * 2 > p->setcap) {
        size_t cap = p->setcap ? p->setcap * 2 : 4096, k;
        uint64_t *set = xcalloc(cap * 2, sizeof *set);
        for (k = 0; k < p->setcap; k++) {
            uint64_t *e = &p->set[k * 2];
            if (!e[0] && !e[1])
                continue;
            for (i = e[0] & (cap - 1); set[i * 2] || set[i * 2 + 1]; i = (i + 1) & (cap - 1))
                ;
            set[i * 2] = e[0];
            set[i * 2 + 1] = e[1];
        }
        free(p->set);
        p->set = set;
        p->setcap = cap;
    }
    mask = p->setcap - 1;
    for (i = h[0] & mask; p->set[i * 2] || p->set[i * 2 + 1]; i = (i + 1) & mask)
        if (p->set[i * 2] == h[0] && p->set[i * 2 + 1] == h[1])
            return 1;
    p->set[i * 2] = h[0];
    p->set[i * 2 + 1] = h[1];
    p->nset++;
    return 0;
}

/* ------------------------------------------------------------ a batch */

int prep_batch(prep *p, const quire_batch *b, const quire_batch **out, quire_error *err)
{
    const spec_source *src = p->src;
    quire_batch wide;
    uint32_t r, kept = 0;
    size_t k;

    expr_scratch_reset(&p->sc);
    if (widen(p, b, err))
        return -1;
    memset(&wide, 0, sizeof wide);
    wide.struct_size = sizeof wide;
    wide.nrows = b->nrows;
    wide.ncols = (uint32_t)(b->ncols + src->nderived);
    wide.columns = p->xcols;
    wide.cols = p->xcells;
    /* Derived columns one after the other: a later one may read an earlier. */
    for (k = 0; k < src->nderived; k++) {
        quire_type t = src->columns[src->nplain + k].type;
        for (r = 0; r < b->nrows; r++) {
            expr_val v;
            expr_eval(src->derived[k].x, p->dmap[k], &wide, r, &p->sc, &v);
            store(&p->dcells[k][r], &v, t);
        }
    }
    for (r = 0; r < b->nrows; r++) {
        uint64_t h[2];
        for (k = 0; k < src->nwhere; k++) {
            expr_val v;
            expr_eval(src->where[k].x, p->wmap[k], &wide, r, &p->sc, &v);
            if (!expr_true(&v))
                break;
        }
        if (k < src->nwhere) {
            p->counts.dropped[k]++;
            continue;
        }
        if (src->distinct) {
            hash_row(p, &wide, r, h);
            if (seen(p, h)) {
                p->counts.duplicates++;
                continue;
            }
        }
        for (k = 0; k < p->nproj; k++)
            p->ocells[k][kept] = p->xcells[p->omap[k]][r];
        p->orec[kept] = b->record_no ? b->record_no[r] : b->first_record + r;
        kept++;
    }
    p->counts.read += b->nrows;
    p->counts.kept += kept;
    memset(&p->out, 0, sizeof p->out);
    p->out.struct_size = sizeof p->out;
    p->out.nrows = kept;
    p->out.ncols = (uint32_t)p->nproj;
    p->out.columns = p->proj ? p->proj : p->xcols;
    p->out.cols = p->ocells;
    p->out.first_record = kept ? p->orec[0] : 0;
    p->out.record_no = p->orec;
    *out = &p->out;
    return 0;
}
