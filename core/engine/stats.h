/*
 * stats.h - the small statistics the models share: sorting values and their
 * quantiles.
 */
#ifndef QUIRE_STATS_H
#define QUIRE_STATS_H

#include <stddef.h>

/* Sort x[0..n) ascending (no NANs). */
void stats_sort(double *x, size_t n);

/* The q-quantile (0 <= q <= 1) of sorted x[0..n), by R's default (type 7,
 * Hyndman and Fan 1996): with h = (n - 1) q, x[floor h] plus (h - floor h)
 * of the step to the next value. NAN when n is 0. */
double stats_quantile(const double *sorted, size_t n, double q);

/* The q[i]-quantiles (type 7, as stats_quantile) of x[0..n), into out[i],
 * without sorting the whole (quickselect; ascending q search less and
 * less): x is reordered. NAN when n is 0. */
void stats_quantiles(double *x, size_t n, const double *q, size_t nq, double *out);

#endif
