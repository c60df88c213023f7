/* field_cursor.c - the values of a model's fields, month after month. */
#include "field_cursor.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "util.h"

struct field_cursor {
    const model *m;
    int p;              /* the current period, -1 before the first */
    int32_t end;        /* its last day */
    double **run;       /* per field: a lifetime WINDOW, the running sums */
    int32_t **latest;   /* per field: DAYS_SINCE, the latest date so far */
};

field_cursor *fields_new(const model *m, const char *need)
{
    field_cursor *ft = xcalloc(1, sizeof *ft);
    const size_t ne = m->f->nentities, nf = m->nfields;
    size_t k, e;

    ft->m = m;
    ft->p = -1;
    ft->run = xcalloc(nf + 1, sizeof *ft->run);
    ft->latest = xcalloc(nf + 1, sizeof *ft->latest);
    for (k = 0; k < nf; k++) {
        if (need ? !need[k] : !m->fields[k].needed)
            continue;
        if (m->fields[k].kind == FIELD_WINDOW && m->fields[k].window == SPEC_LIFETIME) {
            ft->run[k] = xcalloc(ne ? ne : 1, sizeof **ft->run);
        } else if (m->fields[k].kind == FIELD_DAYS_SINCE) {
            ft->latest[k] = xmalloc((ne ? ne : 1) * sizeof **ft->latest);
            for (e = 0; e < ne; e++)
                ft->latest[k][e] = FACTS_NO_DATE;
        }
    }
    return ft;
}

void fields_free(field_cursor *ft)
{
    size_t k;

    if (!ft)
        return;
    for (k = 0; k < ft->m->nfields; k++) {
        free(ft->run[k]);
        free(ft->latest[k]);
    }
    free(ft->run);
    free(ft->latest);
    free(ft);
}

void fields_advance(field_cursor *ft, int p)
{
    const model *m = ft->m;
    const facts *f = m->f;
    const size_t ne = f->nentities;
    size_t k, e;

    ft->p = p;
    ft->end = facts_period_end(f, p);
    for (k = 0; k < m->nfields; k++) {
        const field *fl = &m->fields[k];
        if (ft->run[k]) {
            facts_accumulate(f, (size_t)fl->measure, p, ft->run[k]);
        } else if (ft->latest[k]) {
            const int32_t *d = facts_dates(f, (size_t)fl->measure, p);
            int32_t *lt = ft->latest[k];
            for (e = 0; d && e < ne; e++)
                if (d[e] != FACTS_NO_DATE && (lt[e] == FACTS_NO_DATE || d[e] > lt[e]))
                    lt[e] = d[e];
        }
    }
}

void fields_load(const field_cursor *ft, size_t k, size_t c0, size_t n, double *v)
{
    const model *m = ft->m;
    const facts *f = m->f;
    const field *fl = &m->fields[k];
    const int p = ft->p, month = f->month0 + p;
    const int32_t *since = f->since + c0;
    size_t i;

    if (fl->load) {
        fl->load(fl->src, p, c0, n, v);
        return;
    }
    switch (fl->kind) {
    case FIELD_MEASURE:
        facts_load(f, (size_t)fl->measure, p, c0, n, v);
        break;
    case FIELD_HAS:
        facts_load(f, (size_t)fl->measure, p, c0, n, v);
        for (i = 0; i < n; i++)
            v[i] = v[i] > 0;
        break;
    case FIELD_WINDOW:
        /* Summed afresh from its months (a running sum drifts); lifetime
         * sums only ever add, so they run. */
        if (fl->window == SPEC_LIFETIME)
            memcpy(v, ft->run[k] + c0, n * sizeof *v);
        else
            facts_window(f, (size_t)fl->measure, p, fl->window, c0, n, v);
        break;
    case FIELD_DAYS_SINCE:
        for (i = 0; i < n; i++) {
            int32_t lt = ft->latest[k][c0 + i];
            if (lt == FACTS_NO_DATE)
                lt = since[i];
            v[i] = lt == FACTS_NO_DATE ? NAN : (double)(ft->end - lt);
        }
        break;
    case FIELD_ATTR:
        memcpy(v, f->attrs[fl->measure].num + c0, n * sizeof *v);
        break;
    case FIELD_ATTR_HAS:
        for (i = 0; i < n; i++)
            v[i] = !isnan(f->attrs[fl->measure].num[c0 + i]);
        break;
    case FIELD_TEXT:
        for (i = 0; i < n; i++)
            v[i] = f->attrs[fl->measure].code[c0 + i];
        break;
    case FIELD_TENURE:
        for (i = 0; i < n; i++)
            v[i] = since[i] == FACTS_NO_DATE ? NAN : (double)(month - facts_period_of(f, since[i]));
        break;
    default: /* FIELD_MODEL always has a load */
        for (i = 0; i < n; i++)
            v[i] = NAN;
        break;
    }
}

const int32_t *fields_latest(const field_cursor *ft, size_t k)
{
    return ft->latest[k];
}
