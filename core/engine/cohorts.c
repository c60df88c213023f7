/* cohorts.c - the retention triangle by months since the first purchase. */
#include "cohorts.h"

#include <math.h>
#include <stdlib.h>

#include "util.h"

cohort_table *cohorts_new(int nperiods, int ncols, int with_revenue)
{
    cohort_table *t = xcalloc(1, sizeof *t);
    size_t n = (size_t)nperiods * (size_t)ncols, i;
    int c, k;

    t->nperiods = nperiods;
    t->ncols = ncols;
    t->size = xcalloc((size_t)nperiods + 1, sizeof *t->size);
    t->active = xcalloc(n + 1, sizeof *t->active);
    if (with_revenue)
        t->revenue = xcalloc(n + 1, sizeof *t->revenue);
    for (c = 0; c < nperiods; c++)
        for (k = 0; k < ncols; k++)
            if (c + k >= nperiods) {
                i = (size_t)c * (size_t)ncols + (size_t)k;
                t->active[i] = NAN;
                if (t->revenue)
                    t->revenue[i] = NAN;
            }
    return t;
}

void cohorts_free(cohort_table *t)
{
    if (!t)
        return;
    free(t->size);
    free(t->active);
    free(t->revenue);
    free(t);
}

void cohorts_add(cohort_table *t, int p, const int *first, const double *active,
                 const double *revenue, size_t n)
{
    size_t e;

    for (e = 0; e < n; e++) {
        int c = first[e], k = p - c;
        size_t i;
        if (c < 0 || k < 0 || k >= t->ncols)
            continue;
        i = (size_t)c * (size_t)t->ncols + (size_t)k;
        if (k == 0)
            t->size[c] += 1;
        if (active[e] > 0)
            t->active[i] += 1;
        if (t->revenue && revenue && !isnan(revenue[e]))
            t->revenue[i] += revenue[e];
    }
}

double cohorts_retention(const cohort_table *t, int c, int k)
{
    double a;

    if (c < 0 || c >= t->nperiods || k < 0 || k >= t->ncols)
        return NAN;
    a = t->active[(size_t)c * (size_t)t->ncols + (size_t)k];
    return isnan(a) || t->size[c] == 0 ? NAN : a / t->size[c];
}

double cohorts_average(const cohort_table *t, int from, int to, int k)
{
    double act = 0, size = 0;
    int c;

    for (c = from < 0 ? 0 : from; c <= to && c < t->nperiods; c++) {
        double a;
        if (k < 0 || k >= t->ncols)
            break;
        a = t->active[(size_t)c * (size_t)t->ncols + (size_t)k];
        if (isnan(a) || t->size[c] == 0)
            continue;
        act += a;
        size += t->size[c];
    }
    return size > 0 ? act / size : NAN;
}
