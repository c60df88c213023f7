/*
 * kmeans.h - k-means clustering (Lloyd's algorithm) seeded by k-means++,
 * and the silhouette that chooses k.
 *
 * Points are rows of n x d doubles (standardised by the caller). Everything
 * random comes from a generator seeded by the caller, so the same points and
 * seed give the same clusters on every machine.
 */
#ifndef QUIRE_KMEANS_H
#define QUIRE_KMEANS_H

#include <stddef.h>
#include <stdint.h>

/* A small, portable random number generator (splitmix64). */
typedef struct kmeans_rng {
    uint64_t s;
} kmeans_rng;
uint64_t kmeans_next(kmeans_rng *r);
/* A uniform double in [0, 1). */
double kmeans_uniform(kmeans_rng *r);

/* Choose k starting centres among x's n points by k-means++ (Arthur and
 * Vassilvitskii 2007): the first uniformly, each next one with probability
 * proportional to its squared distance to the nearest centre chosen. */
void kmeans_plusplus(const double *x, size_t n, int d, int k, kmeans_rng *rng, double *centres);

/* Lloyd's iterations from centres (k x d, updated in place) until no point
 * changes cluster or max_iter rounds; a cluster left empty takes the point
 * farthest from its centre. assign[i] gets point i's cluster. Returns the
 * sum of squared distances of the points to their centres. */
double kmeans_lloyd(const double *x, size_t n, int d, int k, double *centres, int *assign,
                    int max_iter);

/* The nearest of the k centres to point p. */
int kmeans_nearest(const double *p, int d, const double *centres, int k);

/* The mean silhouette of a clustering (Rousseeuw 1987): per point, with a
 * its mean distance to the rest of its cluster and b the least mean distance
 * to another cluster, (b - a) / max(a, b), 0 for a point alone in its
 * cluster. O(n^2 d): the caller passes a sample. */
double kmeans_silhouette(const double *x, size_t n, int d, const int *assign, int k);

#endif
