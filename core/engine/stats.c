/* stats.c - sorting values and their quantiles. */
#include "stats.h"

#include <math.h>
#include <stdlib.h>

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void stats_sort(double *x, size_t n)
{
    qsort(x, n, sizeof *x, cmp_double);
}

double stats_quantile(const double *x, size_t n, double q)
{
    double h, lo;
    size_t j;

    if (n == 0)
        return NAN;
    h = (double)(n - 1) * q;
    lo = floor(h);
    j = (size_t)lo;
    if (j + 1 >= n)
        return x[n - 1];
    return x[j] + (h - lo) * (x[j + 1] - x[j]);
}
