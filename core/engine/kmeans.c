/* kmeans.c - k-means++ and Lloyd's iterations, the silhouette. */
#include "kmeans.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

uint64_t kmeans_next(kmeans_rng *r)
{
    uint64_t z = (r->s += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

double kmeans_uniform(kmeans_rng *r)
{
    return (double)(kmeans_next(r) >> 11) * (1.0 / 9007199254740992.0);
}

static double dist2(const double *a, const double *b, int d)
{
    double s = 0;
    int j;

    for (j = 0; j < d; j++)
        s += (a[j] - b[j]) * (a[j] - b[j]);
    return s;
}

int kmeans_nearest(const double *p, int d, const double *centres, int k)
{
    double best = INFINITY;
    int c, at = 0;

    for (c = 0; c < k; c++) {
        double v = dist2(p, centres + (size_t)c * (size_t)d, d);
        if (v < best) {
            best = v;
            at = c;
        }
    }
    return at;
}

void kmeans_plusplus(const double *x, size_t n, int d, int k, kmeans_rng *rng, double *centres)
{
    double *near = xmalloc((n ? n : 1) * sizeof *near);
    size_t i, pick;
    int c;

    pick = n ? (size_t)(kmeans_uniform(rng) * (double)n) : 0;
    for (c = 0; c < k; c++) {
        double total = 0, t;
        if (c > 0) {
            for (i = 0; i < n; i++)
                total += near[i];
            t = kmeans_uniform(rng) * total;
            pick = n ? n - 1 : 0;
            for (i = 0; i < n && total > 0; i++) {
                t -= near[i];
                if (t < 0) {
                    pick = i;
                    break;
                }
            }
            if (!(total > 0)) /* fewer distinct points than k: any point */
                pick = n ? (size_t)(kmeans_uniform(rng) * (double)n) : 0;
        }
        if (n)
            memcpy(centres + (size_t)c * (size_t)d, x + pick * (size_t)d,
                   (size_t)d * sizeof *centres);
        else
            memset(centres + (size_t)c * (size_t)d, 0, (size_t)d * sizeof *centres);
        for (i = 0; i < n; i++) {
            double v = dist2(x + i * (size_t)d, centres + (size_t)c * (size_t)d, d);
            if (c == 0 || v < near[i])
                near[i] = v;
        }
    }
    free(near);
}

double kmeans_lloyd(const double *x, size_t n, int d, int k, double *centres, int *assign,
                    int max_iter)
{
    double *sum = xcalloc((size_t)k * (size_t)d, sizeof *sum), inertia = 0;
    size_t *count = xcalloc((size_t)k, sizeof *count), i;
    int it, c, j, changed = 1;

    for (i = 0; i < n; i++)
        assign[i] = -1;
    for (it = 0; it < max_iter && changed; it++) {
        changed = 0;
        for (i = 0; i < n; i++) {
            int a = kmeans_nearest(x + i * (size_t)d, d, centres, k);
            if (a != assign[i]) {
                assign[i] = a;
                changed = 1;
            }
        }
        if (!changed)
            break;
        memset(sum, 0, (size_t)k * (size_t)d * sizeof *sum);
        memset(count, 0, (size_t)k * sizeof *count);
        for (i = 0; i < n; i++) {
            count[assign[i]]++;
            for (j = 0; j < d; j++)
                sum[(size_t)assign[i] * (size_t)d + (size_t)j] += x[i * (size_t)d + (size_t)j];
        }
        for (c = 0; c < k; c++) {
            double *ce = centres + (size_t)c * (size_t)d;
            if (count[c]) {
                for (j = 0; j < d; j++)
                    ce[j] = sum[(size_t)c * (size_t)d + (size_t)j] / (double)count[c];
            } else {
                /* An empty cluster takes the point farthest from its centre. */
                double far = -1;
                size_t at = 0;
                for (i = 0; i < n; i++) {
                    double v = dist2(x + i * (size_t)d, centres + (size_t)assign[i] * (size_t)d,
                                     d);
                    if (v > far) {
                        far = v;
                        at = i;
                    }
                }
                if (n)
                    memcpy(ce, x + at * (size_t)d, (size_t)d * sizeof *ce);
            }
        }
    }
    for (i = 0; i < n; i++) {
        assign[i] = kmeans_nearest(x + i * (size_t)d, d, centres, k);
        inertia += dist2(x + i * (size_t)d, centres + (size_t)assign[i] * (size_t)d, d);
    }
    free(sum);
    free(count);
    return inertia;
}

double kmeans_silhouette(const double *x, size_t n, int d, const int *assign, int k)
{
    double *mean = xmalloc((size_t)k * sizeof *mean), total = 0;
    size_t *count = xcalloc((size_t)k, sizeof *count), i, j;
    int c;

    for (i = 0; i < n; i++)
        count[assign[i]]++;
    for (i = 0; i < n; i++) {
        double a, b = INFINITY;
        for (c = 0; c < k; c++)
            mean[c] = 0;
        for (j = 0; j < n; j++)
            if (j != i)
                mean[assign[j]] += sqrt(dist2(x + i * (size_t)d, x + j * (size_t)d, d));
        if (count[assign[i]] < 2)
            continue; /* alone in its cluster: 0 */
        a = mean[assign[i]] / (double)(count[assign[i]] - 1);
        for (c = 0; c < k; c++)
            if (c != assign[i] && count[c] && mean[c] / (double)count[c] < b)
                b = mean[c] / (double)count[c];
        if (isfinite(b) && fmax(a, b) > 0)
            total += (b - a) / fmax(a, b);
    }
    free(mean);
    free(count);
    return n ? total / (double)n : 0;
}
