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

/* Move the k-th smallest of x[0..n) to x[k], the smaller ones before it and
 * the others after (a three-way quickselect: ties cost nothing). */
static void select_kth(double *x, size_t n, size_t k)
{
    size_t lo = 0, hi = n; /* [lo, hi) holds the k-th */

    while (hi - lo > 1) {
        double a = x[lo], b = x[lo + (hi - lo) / 2], c = x[hi - 1], pv, t;
        size_t lt = lo, i = lo, gt = hi;

        /* median of three */
        pv = a < b ? (b < c ? b : (a < c ? c : a)) : (a < c ? a : (b < c ? c : b));
        while (i < gt) {
            if (x[i] < pv) {
                t = x[i];
                x[i++] = x[lt];
                x[lt++] = t;
            } else if (x[i] > pv) {
                t = x[i];
                x[i] = x[--gt];
                x[gt] = t;
            } else {
                i++;
            }
        }
        if (k < lt)
            hi = lt;
        else if (k >= gt)
            lo = gt;
        else
            return;
    }
}

void stats_quantiles(double *x, size_t n, const double *q, size_t nq, double *out)
{
    size_t i, lo = 0; /* x[lo..n) holds the values not below x[0..lo) */

    for (i = 0; i < nq; i++) {
        double h, f, a, b;
        size_t j, r, at;

        if (n == 0) {
            out[i] = NAN;
            continue;
        }
        h = (double)(n - 1) * q[i];
        f = floor(h);
        j = (size_t)f;
        if (j < lo)
            lo = 0; /* q not ascending: search all again */
        select_kth(x + lo, n - lo, j - lo);
        a = x[j];
        lo = j;
        if (j + 1 >= n || h == f) {
            out[i] = a;
            continue;
        }
        /* the next value up: the least of those after x[j], moved next to it */
        at = j + 1;
        for (r = j + 2; r < n; r++)
            if (x[r] < x[at])
                at = r;
        b = x[at];
        x[at] = x[j + 1];
        x[j + 1] = b;
        out[i] = a + (h - f) * (b - a);
    }
}
