/*
 * rfm.h - RFM scores: recency, frequency and monetary value scored 1 to 5
 * by quintiles of a population, and the RFM segments named from the scores.
 *
 * The scoring is that of R's rfm package with its default of 5 bins: the
 * cut points are the 20, 40, 60 and 80 % quantiles (R's default, type 7)
 * plus 1, and a value scores 1 plus the number of cut points at or below it.
 * So equal values always share a score, and a value equal to a quantile
 * (for whole numbers: anything below the quantile plus 1) scores in the
 * lower bin. Frequency and monetary value score 5 at the top; recency, where
 * fewer days is better, scores 6 minus its bin.
 */
#ifndef QUIRE_RFM_H
#define QUIRE_RFM_H

#include <stddef.h>

#define RFM_BINS 5

/* The four cut points of x[0..n) (NAN when n is 0); x is reordered. */
void rfm_cuts(double *x, size_t n, double cut[RFM_BINS - 1]);

/* The bin of x, 1 to 5: 1 + the number of cut points at or below x. */
int rfm_bin(double x, const double cut[RFM_BINS - 1]);

/* The default segment names, from the most valuable customers to the lost
 * ones, and "Others" (RFM_OTHERS) for scores no rule takes. */
#define RFM_NSEGMENTS 11
#define RFM_OTHERS RFM_NSEGMENTS
extern const char *const rfm_segment_names[RFM_NSEGMENTS + 1];

/* The default segment of scores r, f, m (1-5): an index of rfm_segment_names. */
int rfm_default_segment(int r, int f, int m);

#endif
