/* facts.c - folding streamed rows into per-entity, per-month aggregates. */
#include "facts.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "log.h"
#include "region.h"
#include "source.h"
#include "util.h"

/* ------------------------------------------------------------ keys */

static uint64_t mix64(uint64_t x)
{
    x ^= x >> 33;
    x *= 0xff51afd7ed558ccdULL;
    x ^= x >> 33;
    x *= 0xc4ceb9fe1a85ec53ULL;
    x ^= x >> 33;
    return x;
}

static uint64_t hash_bytes(const char *s, size_t n)
{
    uint64_t h = 0xcbf29ce484222325ULL;
    size_t i;
    for (i = 0; i < n; i++) {
        h ^= (unsigned char)s[i];
        h *= 0x100000001b3ULL;
    }
    return mix64(h);
}

long facts_find_int(const facts *f, int64_t key)
{
    size_t mask, i;

    if (f->direct) {
        if (key < f->dmin || key > f->dmax)
            return -1;
        return (long)f->direct[key - f->dmin] - 1;
    }
    mask = f->nslots - 1;
    for (i = mix64((uint64_t)key) & mask;; i = (i + 1) & mask) {
        uint32_t v = f->slots[i];
        if (!v)
            return -1;
        if (f->ikeys[v - 1] == key)
            return (long)v - 1;
    }
}

long facts_find_str(const facts *f, const char *key, size_t len)
{
    size_t mask = f->nslots - 1, i;

    for (i = hash_bytes(key, len) & mask;; i = (i + 1) & mask) {
        uint32_t v = f->slots[i];
        if (!v)
            return -1;
        if (strlen(f->skeys[v - 1]) == len && memcmp(f->skeys[v - 1], key, len) == 0)
            return (long)v - 1;
    }
}

/* Insert entity e; returns 0, or 1 when its key is already present. */
static int key_insert(facts *f, size_t e)
{
    size_t mask = f->nslots - 1, i;
    uint64_t h = f->int_keys ? mix64((uint64_t)f->ikeys[e])
                             : hash_bytes(f->skeys[e], strlen(f->skeys[e]));

    for (i = h & mask; f->slots[i]; i = (i + 1) & mask) {
        size_t o = f->slots[i] - 1;
        if (f->int_keys ? f->ikeys[o] == f->ikeys[e] : strcmp(f->skeys[o], f->skeys[e]) == 0)
            return 1;
    }
    f->slots[i] = (uint32_t)(e + 1);
    return 0;
}

/* ------------------------------------------------------------ entities */

typedef struct ent_ctx {
    facts *f;
    size_t cap;
    int has_since;
    int first_attr;       /* projection column of the first attribute */
    /* since: min(column): many rows per entity, each key an entity once;
     * the entities so far by key, for the rows still to come */
    int many;
    uint32_t *seen;
    size_t nseen;         /* slots in seen, a power of two */
} ent_ctx;

static uint64_t key_hash(const facts *f, size_t e)
{
    return f->int_keys ? mix64((uint64_t)f->ikeys[e]) : hash_bytes(f->skeys[e], strlen(f->skeys[e]));
}

/* The entity that the key of row r (cell k) already is, or -1; *slot is where
 * a new one goes. */
static long seen_before(const ent_ctx *c, const quire_cell *k, size_t *slot)
{
    const facts *f = c->f;
    size_t mask = c->nseen - 1, i;
    uint64_t h = f->int_keys ? mix64((uint64_t)k->v.i) : hash_bytes(k->v.s.ptr, k->v.s.len);

    for (i = h & mask; c->seen[i]; i = (i + 1) & mask) {
        size_t o = c->seen[i] - 1;
        if (f->int_keys ? f->ikeys[o] == k->v.i
                        : strlen(f->skeys[o]) == k->v.s.len &&
                              memcmp(f->skeys[o], k->v.s.ptr, k->v.s.len) == 0)
            return (long)o;
    }
    *slot = i;
    return -1;
}

/* Room in seen for one more entity. */
static void seen_grow(ent_ctx *c)
{
    size_t n, e, i;

    if ((c->f->nentities + 1) * 2 <= c->nseen)
        return;
    n = c->nseen ? c->nseen * 2 : 4096;
    free(c->seen);
    c->seen = xcalloc(n, sizeof *c->seen);
    c->nseen = n;
    for (e = 0; e < c->f->nentities; e++) {
        for (i = key_hash(c->f, e) & (n - 1); c->seen[i]; i = (i + 1) & (n - 1))
            ;
        c->seen[i] = (uint32_t)(e + 1);
    }
}

/* The code of text value v of attribute a (index + 1), interned. */
static uint32_t attr_intern(facts_attr *a, const char *v, size_t len)
{
    size_t mask, i, k;

    if (a->nvalues * 2 >= a->nslots) {
        size_t n = a->nslots ? a->nslots * 2 : 64;
        uint32_t *slots = xcalloc(n, sizeof *slots);
        for (k = 0; k < a->nvalues; k++) {
            for (i = hash_bytes(a->values[k], strlen(a->values[k])) & (n - 1); slots[i];
                 i = (i + 1) & (n - 1))
                ;
            slots[i] = (uint32_t)(k + 1);
        }
        free(a->slots);
        a->slots = slots;
        a->nslots = n;
    }
    mask = a->nslots - 1;
    for (i = hash_bytes(v, len) & mask; a->slots[i]; i = (i + 1) & mask) {
        const char *have = a->values[a->slots[i] - 1];
        if (strlen(have) == len && memcmp(have, v, len) == 0)
            return a->slots[i];
    }
    a->values = xrealloc(a->values, (a->nvalues + 1) * sizeof *a->values);
    a->values[a->nvalues++] = xstrndup(v, len);
    a->slots[i] = (uint32_t)a->nvalues;
    return (uint32_t)a->nvalues;
}

static int on_entities(void *user, const quire_batch *b, quire_error *err)
{
    ent_ctx *c = user;
    facts *f = c->f;
    uint32_t r;
    size_t a;

    (void)err;
    for (r = 0; r < b->nrows; r++) {
        const quire_cell *k = &b->cols[0][r];
        size_t slot = 0;
        if (k->null) {
            f->null_rows++;
            continue;
        }
        if (c->many) {
            long o;
            seen_grow(c);
            if ((o = seen_before(c, k, &slot)) >= 0) {
                /* a later row of a known entity: only since can change */
                const quire_cell *d = &b->cols[1][r];
                if (c->has_since && !d->null &&
                    (f->since[o] == FACTS_NO_DATE || (int32_t)d->v.i < f->since[o]))
                    f->since[o] = (int32_t)d->v.i;
                continue;
            }
            c->seen[slot] = (uint32_t)(f->nentities + 1);
        }
        if (f->nentities == c->cap) {
            c->cap = c->cap ? c->cap * 2 : 4096;
            if (f->int_keys)
                f->ikeys = xrealloc(f->ikeys, c->cap * sizeof *f->ikeys);
            else
                f->skeys = xrealloc(f->skeys, c->cap * sizeof *f->skeys);
            f->since = xrealloc(f->since, c->cap * sizeof *f->since);
            for (a = 0; a < f->nattrs; a++) {
                if (f->attrs[a].text)
                    f->attrs[a].code = xrealloc(f->attrs[a].code, c->cap * sizeof(uint32_t));
                else
                    f->attrs[a].num = xrealloc(f->attrs[a].num, c->cap * sizeof(double));
            }
        }
        for (a = 0; a < f->nattrs; a++) {
            facts_attr *at = &f->attrs[a];
            const quire_cell *v = &b->cols[c->first_attr + (int)a][r];
            quire_type t = b->columns[c->first_attr + (int)a].type;
            if (at->text)
                at->code[f->nentities] = v->null || v->v.s.len == 0
                                             ? 0 : attr_intern(at, v->v.s.ptr, v->v.s.len);
            else
                at->num[f->nentities] = v->null ? NAN
                                        : t == QUIRE_T_NUMBER ? v->v.n : (double)v->v.i;
        }
        if (f->int_keys)
            f->ikeys[f->nentities] = k->v.i;
        else
            f->skeys[f->nentities] = xstrndup(k->v.s.ptr, k->v.s.len);
        f->since[f->nentities] = FACTS_NO_DATE;
        if (c->has_since && !b->cols[1][r].null)
            f->since[f->nentities] = (int32_t)b->cols[1][r].v.i;
        f->nentities++;
    }
    return 0;
}

static int build_index(facts *f)
{
    size_t e, kept = 0, a;

    if (f->int_keys && f->nentities) {
        int64_t lo = f->ikeys[0], hi = f->ikeys[0];
        for (e = 1; e < f->nentities; e++) {
            if (f->ikeys[e] < lo)
                lo = f->ikeys[e];
            if (f->ikeys[e] > hi)
                hi = f->ikeys[e];
        }
        /* Dense integer keys (the common case: 1..N) get a direct table. */
        if ((uint64_t)(hi - lo) < 4 * (uint64_t)f->nentities + 1024) {
            f->dmin = lo;
            f->dmax = hi;
            f->direct = xcalloc((size_t)(hi - lo) + 1, sizeof *f->direct);
        }
    }
    f->nslots = 1024;
    while (f->nslots < f->nentities * 2)
        f->nslots *= 2;
    f->slots = xcalloc(f->nslots, sizeof *f->slots);
    /* Drop duplicates, keeping the first record of each key. */
    for (e = 0; e < f->nentities; e++) {
        if (f->int_keys) {
            f->ikeys[kept] = f->ikeys[e];
        } else {
            f->skeys[kept] = f->skeys[e];
        }
        f->since[kept] = f->since[e];
        for (a = 0; a < f->nattrs; a++) {
            if (f->attrs[a].text)
                f->attrs[a].code[kept] = f->attrs[a].code[e];
            else
                f->attrs[a].num[kept] = f->attrs[a].num[e];
        }
        if (key_insert(f, kept)) {
            f->duplicates++;
            if (!f->int_keys)
                free(f->skeys[kept]);
            continue;
        }
        if (f->direct)
            f->direct[f->ikeys[kept] - f->dmin] = (uint32_t)(kept + 1);
        kept++;
    }
    f->nentities = kept;
    return 0;
}

/* ------------------------------------------------------------ facts */

typedef struct fold_ctx {
    facts *f;
    const spec_fact *def;
    size_t *mi;           /* per measure of the fact: index into f->m */
    int *col;             /* per measure: projection column, -1 for count */
    int32_t last_day;     /* cache: day -> period */
    int last_p;
    long *idx;            /* per row of the batch */
    int *per;
    size_t cap;           /* rows idx and per can hold */
    /* what was skipped, added to the facts' totals when the fold is done */
    uint64_t rows, unknown_keys, outside, null_rows;
} fold_ctx;

static double cell_num(const quire_cell *c, quire_type t)
{
    return t == QUIRE_T_NUMBER ? c->v.n : (double)c->v.i;
}

static int cmp_holds(const spec_measure *d, double v)
{
    switch (d->cmp) {
    case CMP_LT: return v < d->cmp_value;
    case CMP_LE: return v <= d->cmp_value;
    case CMP_GT: return v > d->cmp_value;
    case CMP_GE: return v >= d->cmp_value;
    case CMP_EQ: return v == d->cmp_value;
    case CMP_NE: return v != d->cmp_value;
    default: return 1;
    }
}

static size_t store_size(facts_store st)
{
    return st == STORE_DSUM || st == STORE_NUM ? sizeof(double) : sizeof(int32_t);
}

static void period_alloc(facts *f, facts_measure *m, int p)
{
    size_t ne = f->nentities, e;

    switch (m->store) {
    case STORE_DATE: {
        int32_t *v = region_alloc(f->mem, ne * sizeof *v);
        for (e = 0; e < ne; e++)
            v[e] = FACTS_NO_DATE;
        m->per[p] = v;
        break;
    }
    case STORE_NUM: {
        double *v = region_alloc(f->mem, ne * sizeof *v);
        for (e = 0; e < ne; e++)
            v[e] = NAN;
        m->per[p] = v;
        break;
    }
    default:
        m->per[p] = region_alloc(f->mem, ne * store_size(m->store));
        break;
    }
}

/* An integer sum outgrew int32: hold it as doubles from now on. */
static void promote(facts *f, facts_measure *m)
{
    size_t ne = f->nentities, e;
    int p;

    for (p = 0; p < f->nperiods; p++) {
        int32_t *old = m->per[p];
        double *v;
        if (!old)
            continue;
        v = region_alloc(f->mem, ne * sizeof *v);
        for (e = 0; e < ne; e++)
            v[e] = old[e];
        region_release(f->mem, old);
        m->per[p] = v;
    }
    m->store = STORE_DSUM;
}

static int on_fact(void *user, const quire_batch *b, quire_error *err)
{
    fold_ctx *c = user;
    facts *f = c->f;
    uint32_t r, n = b->nrows;
    size_t k;

    (void)err;
    if (n > c->cap) {
        c->cap = n;
        c->idx = xrealloc(c->idx, n * sizeof *c->idx);
        c->per = xrealloc(c->per, n * sizeof *c->per);
    }
    /* Pass 1: entity and period of each row. */
    for (r = 0; r < n; r++) {
        const quire_cell *key = &b->cols[0][r], *day = &b->cols[1][r];
        long e;
        int p;

        c->per[r] = -1;
        if (key->null || day->null) {
            c->null_rows++;
            continue;
        }
        e = f->int_keys ? facts_find_int(f, key->v.i) : facts_find_str(f, key->v.s.ptr, key->v.s.len);
        if (e < 0) {
            c->unknown_keys++;
            continue;
        }
        if ((int32_t)day->v.i == c->last_day) {
            p = c->last_p;
        } else {
            p = facts_period_of(f, (int32_t)day->v.i) - f->month0;
            c->last_day = (int32_t)day->v.i;
            c->last_p = p;
        }
        if (p < 0 || p >= f->nperiods) {
            c->outside++;
            continue;
        }
        c->idx[r] = e;
        c->per[r] = p;
    }
    c->rows += n;
    /* Pass 2: fold each measure, column by column. */
    for (k = 0; k < c->def->nmeasures; k++) {
        facts_measure *m = &f->m[c->mi[k]];
        const quire_cell *col = c->col[k] >= 0 ? b->cols[c->col[k]] : NULL;
        quire_type t = col ? b->columns[c->col[k]].type : QUIRE_T_INTEGER;
        agg_kind agg = m->def->agg;

        for (r = 0; r < n; r++) {
            int p = c->per[r];
            size_t e;
            if (p < 0 || (col && col[r].null))
                continue;
            if (m->def->cmp != CMP_NONE && !cmp_holds(m->def, cell_num(&col[r], t)))
                continue;
            e = (size_t)c->idx[r];
            if (!m->per[p])
                period_alloc(f, m, p);
            switch (m->store) {
            case STORE_COUNT:
                ((uint32_t *)m->per[p])[e]++;
                break;
            case STORE_ISUM: {
                /* the sum goes to a temporary: on overflow *cur keeps the
                 * exact value that promote() carries over */
                int32_t *cur = (int32_t *)m->per[p] + e, sum;
                if (col[r].v.i > INT32_MAX || col[r].v.i < INT32_MIN ||
                    __builtin_add_overflow(*cur, (int32_t)col[r].v.i, &sum)) {
                    promote(f, m);
                    ((double *)m->per[p])[e] += (double)col[r].v.i;
                } else {
                    *cur = sum;
                }
                break;
            }
            case STORE_DSUM:
                ((double *)m->per[p])[e] += cell_num(&col[r], t);
                break;
            case STORE_DATE: {
                int32_t d = (int32_t)col[r].v.i, *cur = (int32_t *)m->per[p] + e;
                if (*cur == FACTS_NO_DATE || (agg == AGG_MAX ? d > *cur : d < *cur))
                    *cur = d;
                break;
            }
            default: {
                double v = cell_num(&col[r], t), *cur = (double *)m->per[p] + e;
                if (isnan(*cur) || (agg == AGG_MAX ? v > *cur : v < *cur))
                    *cur = v;
                break;
            }
            }
        }
    }
    return 0;
}

_Static_assert(CMP_NE == (int)QUIRE_CMP_NE && CMP_LT == (int)QUIRE_CMP_LT,
               "spec.h's cmp_op follows quire_cmp_op");

/* A row of the fact query's answer (pushdown): each measure's partial
 * aggregate merged into the store, as on_fact folds a row's value. */
static int on_aggregate(void *user, const quire_batch *b, quire_error *err)
{
    fold_ctx *c = user;
    facts *f = c->f;
    uint32_t r;
    size_t k;

    (void)err;
    for (r = 0; r < b->nrows; r++) {
        const quire_cell *key = &b->cols[0][r], *day = &b->cols[1][r];
        long e;
        int p;

        c->rows++;
        if (key->null || day->null) {
            c->null_rows++;
            continue;
        }
        e = f->int_keys ? facts_find_int(f, key->v.i) : facts_find_str(f, key->v.s.ptr, key->v.s.len);
        if (e < 0) {
            c->unknown_keys++;
            continue;
        }
        p = facts_period_of(f, (int32_t)day->v.i) - f->month0;
        if (p < 0 || p >= f->nperiods) {
            c->outside++;
            continue;
        }
        for (k = 0; k < c->def->nmeasures; k++) {
            facts_measure *m = &f->m[c->mi[k]];
            const quire_cell *v = &b->cols[2 + k][r];
            quire_type t = b->columns[2 + k].type;
            agg_kind agg = m->def->agg;

            if (v->null || (agg == AGG_COUNT && v->v.i == 0))
                continue;
            if (!m->per[p])
                period_alloc(f, m, p);
            switch (m->store) {
            case STORE_COUNT:
                ((uint32_t *)m->per[p])[e] += (uint32_t)v->v.i;
                break;
            case STORE_ISUM: {
                int32_t *cur = (int32_t *)m->per[p] + (size_t)e, sum;
                if (v->v.i > INT32_MAX || v->v.i < INT32_MIN ||
                    __builtin_add_overflow(*cur, (int32_t)v->v.i, &sum)) {
                    promote(f, m);
                    ((double *)m->per[p])[e] += (double)v->v.i;
                } else {
                    *cur = sum;
                }
                break;
            }
            case STORE_DSUM:
                ((double *)m->per[p])[e] += cell_num(v, t);
                break;
            case STORE_DATE: {
                int32_t d = (int32_t)v->v.i, *cur = (int32_t *)m->per[p] + (size_t)e;
                if (*cur == FACTS_NO_DATE || (agg == AGG_MAX ? d > *cur : d < *cur))
                    *cur = d;
                break;
            }
            default: {
                double x = cell_num(v, t), *cur = (double *)m->per[p] + (size_t)e;
                if (isnan(*cur) || (agg == AGG_MAX ? x > *cur : x < *cur))
                    *cur = x;
                break;
            }
            }
        }
    }
    return 0;
}

/* The fact query of fd for the plugin (pushdown): the key, the month
 * bucket, each measure, and the loaded months' range. Returns 0 when the
 * plugin answered it (c folded the answer), 1 when it declined, -1 on
 * error. */
static int push_down(source *so, facts *f, const spec_fact *fd, const quire_column *proj,
                     fold_ctx *c, quire_error *err)
{
    quire_aggregate_request q;
    quire_agg_measure *ms = xcalloc(fd->nmeasures + 1, sizeof *ms);
    quire_column *res = xcalloc(fd->nmeasures + 2, sizeof *res);
    int last = f->month0 + f->nperiods; /* the month after the last */
    size_t k;
    int rc;

    if (f->grain.kind != GRAIN_MONTH) {
        /* the plugins' fact query knows months alone: the rows are read */
        free(ms);
        free(res);
        return 1;
    }
    res[0] = proj[0];
    res[1].name = fd->date;
    res[1].type = QUIRE_T_DATE;
    for (k = 0; k < fd->nmeasures; k++) {
        const spec_measure *me = &fd->measures[k];
        ms[k].name = me->name;
        ms[k].column = me->column;
        ms[k].op = me->agg == AGG_COUNT ? QUIRE_AGG_COUNT
                   : me->agg == AGG_SUM ? QUIRE_AGG_SUM
                   : me->agg == AGG_MIN ? QUIRE_AGG_MIN : QUIRE_AGG_MAX;
        ms[k].cmp = (uint32_t)me->cmp; /* cmp_op follows quire_cmp_op's order */
        ms[k].value = me->cmp_value;
        res[2 + k].name = me->name;
        res[2 + k].type = me->agg == AGG_COUNT ? QUIRE_T_INTEGER : proj[c->col[k]].type;
    }
    memset(&q, 0, sizeof q);
    q.struct_size = sizeof q;
    q.key = &proj[0];
    q.date = &proj[1];
    q.grain = QUIRE_GRAIN_MONTH;
    q.from_day = days_from_civil(f->month0 / 12, f->month0 % 12 + 1, 1);
    q.to_day = days_from_civil(last / 12, last % 12 + 1, 1);
    q.measures = ms;
    q.nmeasures = (uint32_t)fd->nmeasures;
    q.result = res;
    q.nresult = (uint32_t)fd->nmeasures + 2;
    rc = source_aggregate(so, &q, on_aggregate, c, err);
    free(ms);
    free(res);
    return rc;
}

/* ------------------------------------------------------------ reading beside folding */

/*
 * A fact source is read (tokenized, converted) on one thread and folded on
 * another: the reader's batches are copied into a small ring and folded in
 * the order they were read, so the sums are the same, to the last bit, as
 * when one thread does both; and memory stays flat (PIPE_SLOTS batches).
 */
#define PIPE_SLOTS 4

typedef struct pipe_slot {
    quire_batch b;
    quire_cell **cols;     /* ncols arrays of cap rows */
    quire_column *columns; /* the batch's columns (on_fact reads their types) */
    uint32_t ncols_cap, cap;
    char *text;            /* the bytes of the batch's strings */
    size_t text_cap;
} pipe_slot;

typedef struct fold_pipe {
    fold_ctx *c;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pipe_slot slot[PIPE_SLOTS];
    unsigned head, tail; /* batches read, batches folded */
    int done;            /* the reader has finished */
} fold_pipe;

/* Copy batch b into slot s: cells, column types and the strings' bytes. */
static void slot_fill(pipe_slot *s, const quire_batch *b)
{
    uint32_t n = b->nrows, k, r;
    size_t text = 0, at = 0;

    if (b->ncols > s->ncols_cap) {
        s->cols = xrealloc(s->cols, b->ncols * sizeof *s->cols);
        s->columns = xrealloc(s->columns, b->ncols * sizeof *s->columns);
        for (k = s->ncols_cap; k < b->ncols; k++)
            s->cols[k] = NULL;
        for (k = 0; k < s->ncols_cap; k++)
            s->cols[k] = xrealloc(s->cols[k], (s->cap ? s->cap : 1) * sizeof **s->cols);
        for (k = s->ncols_cap; k < b->ncols; k++)
            s->cols[k] = xmalloc((s->cap ? s->cap : 1) * sizeof **s->cols);
        s->ncols_cap = b->ncols;
    }
    if (n > s->cap) {
        for (k = 0; k < s->ncols_cap; k++)
            s->cols[k] = xrealloc(s->cols[k], n * sizeof **s->cols);
        s->cap = n;
    }
    for (k = 0; k < b->ncols; k++) {
        s->columns[k] = b->columns[k];
        memcpy(s->cols[k], b->cols[k], n * sizeof **s->cols);
        if (b->columns[k].type == QUIRE_T_STRING)
            for (r = 0; r < n; r++)
                if (!b->cols[k][r].null)
                    text += b->cols[k][r].v.s.len;
    }
    if (text > s->text_cap) {
        s->text = xrealloc(s->text, text);
        s->text_cap = text;
    }
    for (k = 0; k < b->ncols; k++)
        if (b->columns[k].type == QUIRE_T_STRING)
            for (r = 0; r < n; r++) {
                quire_cell *c = &s->cols[k][r];
                if (c->null || !c->v.s.len)
                    continue;
                memcpy(s->text + at, c->v.s.ptr, c->v.s.len);
                c->v.s.ptr = s->text + at;
                at += c->v.s.len;
            }
    s->b = *b;
    s->b.columns = s->columns;
    s->b.cols = s->cols;
    s->b.record_no = NULL; /* on_fact does not read them */
}

/* The reader's side: wait for a free slot, copy the batch in, hand it over. */
static int on_fact_piped(void *user, const quire_batch *b, quire_error *err)
{
    fold_pipe *fp = user;
    pipe_slot *s;

    (void)err;
    pthread_mutex_lock(&fp->mu);
    while (fp->head - fp->tail == PIPE_SLOTS)
        pthread_cond_wait(&fp->cv, &fp->mu);
    pthread_mutex_unlock(&fp->mu);
    /* The folder touches only slots between tail and head: this one is ours. */
    s = &fp->slot[fp->head % PIPE_SLOTS];
    slot_fill(s, b);
    pthread_mutex_lock(&fp->mu);
    fp->head++;
    pthread_cond_broadcast(&fp->cv);
    pthread_mutex_unlock(&fp->mu);
    return 0;
}

/* The folder's side: fold each batch in turn until the reader is done. */
static void *fold_piped(void *arg)
{
    fold_pipe *fp = arg;

    pthread_mutex_lock(&fp->mu);
    for (;;) {
        pipe_slot *s;
        while (fp->head == fp->tail && !fp->done)
            pthread_cond_wait(&fp->cv, &fp->mu);
        if (fp->head == fp->tail)
            break;
        s = &fp->slot[fp->tail % PIPE_SLOTS];
        pthread_mutex_unlock(&fp->mu);
        on_fact(fp->c, &s->b, NULL);
        pthread_mutex_lock(&fp->mu);
        fp->tail++;
        pthread_cond_broadcast(&fp->cv);
    }
    pthread_mutex_unlock(&fp->mu);
    return NULL;
}

/* source_scan() with the fold on a thread of its own (or on this one with a
 * single processor, or when no thread can be started). */
static int scan_and_fold(source *so, const quire_column *proj, size_t nproj, fold_ctx *c,
                         quire_error *err)
{
    fold_pipe fp;
    pthread_t t;
    int rc, k, j;

    if (sysconf(_SC_NPROCESSORS_ONLN) < 2)
        return source_scan(so, proj, nproj, 0, on_fact, c, err);
    memset(&fp, 0, sizeof fp);
    fp.c = c;
    pthread_mutex_init(&fp.mu, NULL);
    pthread_cond_init(&fp.cv, NULL);
    if (pthread_create(&t, NULL, fold_piped, &fp) != 0) {
        pthread_cond_destroy(&fp.cv);
        pthread_mutex_destroy(&fp.mu);
        return source_scan(so, proj, nproj, 0, on_fact, c, err);
    }
    rc = source_scan(so, proj, nproj, 0, on_fact_piped, &fp, err);
    pthread_mutex_lock(&fp.mu);
    fp.done = 1;
    pthread_cond_broadcast(&fp.cv);
    pthread_mutex_unlock(&fp.mu);
    pthread_join(t, NULL);
    for (k = 0; k < PIPE_SLOTS; k++) {
        for (j = 0; j < (int)fp.slot[k].ncols_cap; j++)
            free(fp.slot[k].cols[j]);
        free(fp.slot[k].cols);
        free(fp.slot[k].columns);
        free(fp.slot[k].text);
    }
    pthread_cond_destroy(&fp.cv);
    pthread_mutex_destroy(&fp.mu);
    return rc;
}

/* One fact source to fold; folds of different sources touch different
 * measures, so they run on threads of their own. */
typedef struct fold_job {
    facts *f;
    const spec *s;
    const spec_fact *fd;
    size_t first_measure;
    plugin_registry *reg;
    data_notes *notes;
    quire_error err;
    uint64_t rows, unknown_keys, outside, null_rows;
    int rc;
} fold_job;

static int fold_fact(fold_job *job)
{
    facts *f = job->f;
    const spec *s = job->s;
    const spec_fact *fd = job->fd;
    size_t first_measure = job->first_measure;
    plugin_registry *reg = job->reg;
    quire_error *err = &job->err;
    const spec_source *src = spec_find_source(s, fd->source);
    const spec_source *esrc = spec_find_source(s, s->entity_source);
    const quire_column *dc = spec_column(src, fd->date);
    const quire_column *ekc = spec_column(esrc, s->entity_key);
    quire_column *proj = xcalloc(fd->nmeasures + 2, sizeof *proj);
    size_t nproj = 2, k, j;
    fold_ctx c;
    source *so;
    int rc = -1;

    memset(&c, 0, sizeof c);
    c.f = f;
    c.def = fd;
    c.mi = xcalloc(fd->nmeasures, sizeof *c.mi);
    c.col = xcalloc(fd->nmeasures, sizeof *c.col);
    c.last_day = FACTS_NO_DATE;

    /* spec_bind() checked the columns' types. */
    proj[0].name = fd->key;
    proj[0].type = ekc ? ekc->type : QUIRE_T_STRING;
    proj[1] = *dc;
    for (k = 0; k < fd->nmeasures; k++) {
        const spec_measure *me = &fd->measures[k];
        const quire_column *mc;
        c.mi[k] = first_measure + k;
        c.col[k] = -1;
        if (me->agg == AGG_COUNT && !me->column)
            continue;
        mc = spec_column(src, me->column);
        f->m[c.mi[k]].is_date = mc->type == QUIRE_T_DATE && me->agg != AGG_COUNT;
        for (j = 0; j < nproj; j++)
            if (strcmp(proj[j].name, mc->name) == 0)
                break;
        if (j == nproj)
            proj[nproj++] = *mc;
        c.col[k] = (int)j;
    }
    for (k = 0; k < fd->nmeasures; k++) {
        facts_measure *m = &f->m[c.mi[k]];
        const spec_measure *me = &fd->measures[k];
        m->per = xcalloc((size_t)f->nperiods, sizeof *m->per);
        if (me->agg == AGG_COUNT)
            m->store = STORE_COUNT;
        else if (m->is_date)
            m->store = STORE_DATE;
        else if (me->agg == AGG_SUM)
            m->store = proj[c.col[k]].type == QUIRE_T_INTEGER ? STORE_ISUM : STORE_DSUM;
        else
            m->store = STORE_NUM;
    }
    so = source_open(s, src, reg, job->notes, err);
    if (!so)
        goto out;
    rc = 1;
    if (source_can_aggregate(so)) {
        rc = push_down(so, f, fd, proj, &c, err);
        if (rc == 0)
            qlog(LOG_INFO, "source \"%s\": the fact query ran in the source: %llu rows of "
                 "aggregates", src->name, (unsigned long long)c.rows);
    }
    if (rc == 1)
        rc = scan_and_fold(so, proj, nproj, &c, err);
    source_close(so);
    job->rows = c.rows;
    job->unknown_keys = c.unknown_keys;
    job->outside = c.outside;
    job->null_rows = c.null_rows;
out:
    free(proj);
    free(c.mi);
    free(c.col);
    free(c.idx);
    free(c.per);
    return rc;
}

/* ------------------------------------------------------------ facts about segments */

typedef struct segfold_ctx {
    facts *f;
    const spec_fact *fd;
    size_t first;         /* index of the fact's first measure in f->segm */
    int *col;             /* per measure: projection column, -1 for count */
    uint64_t rows;
} segfold_ctx;

const facts_segrow *facts_segment(const facts *f, const char *name)
{
    size_t i;
    for (i = 0; i < f->nsegrows; i++)
        if (strcmp(f->segrows[i].name, name) == 0)
            return &f->segrows[i];
    return NULL;
}

static facts_segrow *segrow(facts *f, const char *name, size_t len)
{
    size_t i, n = f->nsegm * (size_t)f->nperiods;
    facts_segrow *row;

    for (i = 0; i < f->nsegrows; i++)
        if (strlen(f->segrows[i].name) == len && memcmp(f->segrows[i].name, name, len) == 0)
            return &f->segrows[i];
    f->segrows = xrealloc(f->segrows, (f->nsegrows + 1) * sizeof *f->segrows);
    row = &f->segrows[f->nsegrows++];
    row->name = xstrndup(name, len);
    row->v = xmalloc((n ? n : 1) * sizeof *row->v);
    for (i = 0; i < n; i++)
        row->v[i] = NAN;
    return row;
}

static void seg_add(double *cell, double v)
{
    *cell = isnan(*cell) ? v : *cell + v;
}

static int on_segment_fact(void *user, const quire_batch *b, quire_error *err)
{
    segfold_ctx *c = user;
    facts *f = c->f;
    uint32_t r;
    size_t k;

    (void)err;
    for (r = 0; r < b->nrows; r++) {
        const quire_cell *name = &b->cols[0][r], *day = &b->cols[1][r];
        facts_segrow *row;
        int p;

        c->rows++;
        if (name->null || day->null)
            continue;
        p = facts_period_of(f, (int32_t)day->v.i) - f->month0;
        if (p < 0 || p >= f->nperiods)
            continue;
        row = segrow(f, name->v.s.ptr, name->v.s.len);
        for (k = 0; k < c->fd->nmeasures; k++) {
            size_t at = (c->first + k) * (size_t)f->nperiods + (size_t)p;
            const spec_measure *me = &c->fd->measures[k];
            double v = 1;
            if (c->col[k] >= 0) {
                const quire_cell *cell = &b->cols[c->col[k]][r];
                if (cell->null)
                    continue;
                v = cell_num(cell, b->columns[c->col[k]].type);
                if (me->agg == AGG_COUNT)
                    v = me->cmp == CMP_NONE || cmp_holds(me, v) ? 1 : 0;
            }
            seg_add(&row->v[at], v);
            seg_add(&f->segtotal[at], v);
        }
    }
    return 0;
}

/* Fold every fact keyed by segment (small tables: on this thread). */
static int fold_segment_facts(facts *f, const spec *s, plugin_registry *reg, data_notes *notes,
                              quire_error *err)
{
    size_t i, k, j, n = 0;

    for (i = 0; i < s->nfacts; i++)
        if (s->facts[i].segment)
            n += s->facts[i].nmeasures;
    if (!n)
        return 0;
    f->segm = xcalloc(n, sizeof *f->segm);
    f->segtotal = xmalloc(n * (size_t)f->nperiods * sizeof *f->segtotal);
    for (k = 0; k < n * (size_t)f->nperiods; k++)
        f->segtotal[k] = NAN;
    for (i = 0; i < s->nfacts; i++) {
        const spec_fact *fd = &s->facts[i];
        const spec_source *src = spec_find_source(s, fd->source);
        const quire_column *nc, *dc;
        quire_column *proj;
        size_t nproj = 2;
        segfold_ctx c;
        source *so;
        int rc;

        if (!fd->segment)
            continue;
        nc = spec_column(src, fd->segment);
        dc = spec_column(src, fd->date);
        memset(&c, 0, sizeof c);
        c.f = f;
        c.fd = fd;
        c.first = f->nsegm;
        c.col = xcalloc(fd->nmeasures, sizeof *c.col);
        proj = xcalloc(fd->nmeasures + 2, sizeof *proj);
        proj[0] = *nc;
        proj[1] = *dc;
        for (k = 0; k < fd->nmeasures; k++) {
            const spec_measure *me = &fd->measures[k];
            const quire_column *mc;
            f->segm[f->nsegm++] = me;
            c.col[k] = -1;
            if (!me->column)
                continue;
            mc = spec_column(src, me->column);
            for (j = 0; j < nproj; j++)
                if (strcmp(proj[j].name, mc->name) == 0)
                    break;
            if (j == nproj)
                proj[nproj++] = *mc;
            c.col[k] = (int)j;
        }
        so = source_open(s, src, reg, notes, err);
        rc = so ? source_scan(so, proj, nproj, 0, on_segment_fact, &c, err) : -1;
        source_close(so);
        free(c.col);
        free(proj);
        if (rc)
            return -1;
    }
    return 0;
}

static void *fold_thread(void *arg)
{
    fold_job *job = arg;
    job->rc = fold_fact(job);
    return NULL;
}

facts *facts_build(const spec *s, plugin_registry *reg, data_notes *notes, quire_error *err)
{
    fold_job *jobs = NULL;
    pthread_t *threads = NULL;
    int *started = NULL;
    const spec_source *esrc = spec_find_source(s, s->entity_source);
    facts *f = xcalloc(1, sizeof *f);
    quire_column *proj = xcalloc(s->nentity_attrs + 2, sizeof *proj);
    const quire_column *kc, *sc = NULL;
    ent_ctx ec;
    source *so;
    size_t i, j, n, nproj;

    f->grain = s->grain;
    f->month0 = s->month_from - s->history;
    f->nperiods = s->month_to - f->month0 + 1;
    kc = spec_column(esrc, s->entity_key);
    f->int_keys = kc && kc->type == QUIRE_T_INTEGER;
    proj[0].name = s->entity_key;
    proj[0].type = kc ? kc->type : QUIRE_T_STRING;
    proj[0].format = NULL;
    if (s->entity_since) {
        sc = spec_column(esrc, s->entity_since);
        proj[1] = *sc;
    }
    memset(&ec, 0, sizeof ec);
    ec.f = f;
    ec.has_since = sc != NULL;
    ec.many = s->entity_since_min;
    nproj = sc ? 2 : 1;
    ec.first_attr = (int)nproj;
    f->attrs = xcalloc(s->nentity_attrs + 1, sizeof *f->attrs);
    f->nattrs = s->nentity_attrs;
    for (i = 0; i < s->nentity_attrs; i++) {
        const quire_column *ac = spec_column(esrc, s->entity_attrs[i]);
        f->attrs[i].name = s->entity_attrs[i];
        f->attrs[i].text = ac->type == QUIRE_T_STRING;
        proj[nproj++] = *ac;
    }
    so = source_open(s, esrc, reg, notes, err);
    if (!so)
        goto fail;
    if (source_scan(so, proj, nproj, 0, on_entities, &ec, err)) {
        source_close(so);
        free(ec.seen);
        goto fail;
    }
    source_close(so);
    free(ec.seen);
    build_index(f);
    if (f->duplicates)
        qlog(LOG_WARN, "source \"%s\": %llu record%s repeat%s an earlier %s and %s ignored",
             esrc->name, (unsigned long long)f->duplicates, f->duplicates == 1 ? "" : "s",
             f->duplicates == 1 ? "s" : "", s->entity_key, f->duplicates == 1 ? "was" : "were");

    for (i = 0, n = 0; i < s->nfacts; i++)
        if (!s->facts[i].segment)
            n += s->facts[i].nmeasures;
    f->m = xcalloc(n ? n : 1, sizeof *f->m);
    f->nmeasures = n;
    /* Room for every measure's arrays as doubles, twice over (an integer
     * sum that outgrows int32 is copied into doubles): address space only. */
    f->mem = region_new(2 * n * (size_t)f->nperiods * f->nentities * sizeof(double));
    jobs = xcalloc(s->nfacts + 1, sizeof *jobs);
    threads = xcalloc(s->nfacts + 1, sizeof *threads);
    started = xcalloc(s->nfacts + 1, sizeof *started);
    for (i = 0, n = 0; i < s->nfacts; i++) {
        quire_error ignored = {0};
        if (s->facts[i].segment) {
            jobs[i].rc = 1; /* folded below, on this thread */
            continue;
        }
        for (j = 0; j < s->facts[i].nmeasures; j++)
            f->m[n + j].def = &s->facts[i].measures[j];
        jobs[i].f = f;
        jobs[i].s = s;
        jobs[i].fd = &s->facts[i];
        jobs[i].first_measure = n;
        jobs[i].reg = reg;
        jobs[i].notes = notes;
        n += s->facts[i].nmeasures;
        /* Load the plugins now: the registry only grows on this thread. A
         * plugin that fails to load fails again, with its message, below. */
        plugins_get(reg, spec_find_source(s, s->facts[i].source)->plugin, &ignored);
    }
    /* The first source is folded here, the others on threads beside it. */
    for (i = 1; i < s->nfacts; i++)
        if (!s->facts[i].segment)
            started[i] = pthread_create(&threads[i], NULL, fold_thread, &jobs[i]) == 0;
    for (i = 0; i < s->nfacts; i++)
        if (!started[i] && !s->facts[i].segment)
            fold_thread(&jobs[i]);
    for (i = 0; i < s->nfacts; i++) {
        if (started[i])
            pthread_join(threads[i], NULL);
        f->rows += jobs[i].rows;
        f->unknown_keys += jobs[i].unknown_keys;
        f->outside += jobs[i].outside;
        f->null_rows += jobs[i].null_rows;
    }
    for (i = 0; i < s->nfacts; i++)
        if (jobs[i].rc && !s->facts[i].segment) {
            *err = jobs[i].err;
            goto fail;
        }
    if (fold_segment_facts(f, s, reg, notes, err))
        goto fail;
    if (f->unknown_keys)
        qlog(LOG_WARN, "%llu fact row%s named an entity that is not in source \"%s\" and %s "
             "skipped", (unsigned long long)f->unknown_keys, f->unknown_keys == 1 ? "" : "s",
             esrc->name, f->unknown_keys == 1 ? "was" : "were");
    if (f->null_rows)
        qlog(LOG_INFO, "%llu rows without a key or date were skipped",
             (unsigned long long)f->null_rows);
    free(jobs);
    free(threads);
    free(started);
    free(proj);
    return f;
fail:
    free(jobs);
    free(threads);
    free(started);
    free(proj);
    facts_free(f);
    return NULL;
}

double facts_value(const facts *f, size_t m, int p, size_t e)
{
    const facts_measure *fm = &f->m[m];
    const void *v = fm->per[p];

    switch (fm->store) {
    case STORE_COUNT:
        return v ? ((const uint32_t *)v)[e] : 0.0;
    case STORE_ISUM:
        return v ? ((const int32_t *)v)[e] : 0.0;
    case STORE_DSUM:
        return v ? ((const double *)v)[e] : 0.0;
    case STORE_DATE: {
        int32_t d = v ? ((const int32_t *)v)[e] : FACTS_NO_DATE;
        return d == FACTS_NO_DATE ? NAN : d;
    }
    default:
        return v ? ((const double *)v)[e] : NAN;
    }
}

void facts_load(const facts *f, size_t m, int p, size_t from, size_t n, double *out)
{
    const facts_measure *fm = &f->m[m];
    const void *v = fm->per[p];
    size_t i;

    if (!v) {
        double none = fm->store == STORE_DATE || fm->store == STORE_NUM ? NAN : 0.0;
        for (i = 0; i < n; i++)
            out[i] = none;
        return;
    }
    switch (fm->store) {
    case STORE_COUNT: {
        const uint32_t *x = (const uint32_t *)v + from;
        for (i = 0; i < n; i++)
            out[i] = x[i];
        break;
    }
    case STORE_ISUM: {
        const int32_t *x = (const int32_t *)v + from;
        for (i = 0; i < n; i++)
            out[i] = x[i];
        break;
    }
    case STORE_DATE: {
        const int32_t *x = (const int32_t *)v + from;
        for (i = 0; i < n; i++)
            out[i] = x[i] == FACTS_NO_DATE ? NAN : x[i];
        break;
    }
    default:
        memcpy(out, (const double *)v + from, n * sizeof *out);
        break;
    }
}

/* out[i] += measure m's value in period p for entity from + i (a count or
 * sum measure; a month without rows adds nothing). */
static void add_month(const facts_measure *fm, int p, size_t from, size_t n, double *out)
{
    const void *v = fm->per[p];
    size_t i;

    if (!v)
        return;
    switch (fm->store) {
    case STORE_COUNT: {
        const uint32_t *x = (const uint32_t *)v + from;
        for (i = 0; i < n; i++)
            out[i] += x[i];
        break;
    }
    case STORE_ISUM: {
        const int32_t *x = (const int32_t *)v + from;
        for (i = 0; i < n; i++)
            out[i] += x[i];
        break;
    }
    case STORE_DSUM: {
        const double *x = (const double *)v + from;
        for (i = 0; i < n; i++)
            out[i] += x[i];
        break;
    }
    default:
        break; /* windows are over count and sum measures only */
    }
}

void facts_window(const facts *f, size_t m, int p, int months, size_t from, size_t n,
                  double *out)
{
    int q = months > 0 && p - months + 1 > 0 ? p - months + 1 : 0;
    size_t i;

    for (i = 0; i < n; i++)
        out[i] = 0.0;
    for (; q <= p; q++)
        add_month(&f->m[m], q, from, n, out);
}

void facts_accumulate(const facts *f, size_t m, int p, double *acc)
{
    add_month(&f->m[m], p, 0, f->nentities, acc);
}

const int32_t *facts_dates(const facts *f, size_t m, int p)
{
    return f->m[m].store == STORE_DATE ? f->m[m].per[p] : NULL;
}

size_t facts_bytes(const facts *f)
{
    size_t total = f->nentities * (sizeof *f->since + (f->int_keys ? sizeof *f->ikeys : 0)), i;
    int p;

    for (i = 0; i < f->nmeasures; i++)
        for (p = 0; p < f->nperiods; p++)
            if (f->m[i].per && f->m[i].per[p])
                total += f->nentities * store_size(f->m[i].store);
    return total;
}

int facts_measure_index(const facts *f, const char *name)
{
    size_t i;
    for (i = 0; i < f->nmeasures; i++)
        if (strcmp(f->m[i].def->name, name) == 0)
            return (int)i;
    return -1;
}

void facts_key_text(const facts *f, size_t e, char *buf, size_t n)
{
    if (f->int_keys)
        snprintf(buf, n, "%lld", (long long)f->ikeys[e]);
    else
        snprintf(buf, n, "%s", f->skeys[e]);
}

void facts_free(facts *f)
{
    size_t i;

    if (!f)
        return;
    for (i = 0; i < f->nmeasures; i++) {
        int p;
        for (p = 0; f->m[i].per && p < f->nperiods; p++)
            region_release(f->mem, f->m[i].per[p]);
        free(f->m[i].per);
    }
    free(f->m);
    region_free(f->mem);
    for (i = 0; i < f->nattrs; i++) {
        size_t j;
        for (j = 0; j < f->attrs[i].nvalues; j++)
            free(f->attrs[i].values[j]);
        free(f->attrs[i].values);
        free(f->attrs[i].slots);
        free(f->attrs[i].num);
        free(f->attrs[i].code);
    }
    free(f->attrs);
    for (i = 0; i < f->nsegrows; i++) {
        free(f->segrows[i].name);
        free(f->segrows[i].v);
    }
    free(f->segrows);
    free(f->segm);
    free(f->segtotal);
    if (f->skeys)
        for (i = 0; i < f->nentities; i++)
            free(f->skeys[i]);
    free(f->skeys);
    free(f->ikeys);
    free(f->since);
    free(f->slots);
    free(f->direct);
    free(f);
}
