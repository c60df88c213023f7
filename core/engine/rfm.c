/* rfm.c - RFM scores and the default RFM segments. */
#include "rfm.h"

#include <math.h>

#include "stats.h"

void rfm_cuts(double *x, size_t n, double cut[RFM_BINS - 1])
{
    double q[RFM_BINS - 1];
    int j;

    for (j = 1; j < RFM_BINS; j++)
        q[j - 1] = (double)j / RFM_BINS;
    stats_quantiles(x, n, q, RFM_BINS - 1, cut);
    for (j = 0; j < RFM_BINS - 1; j++)
        cut[j] += 1;
}

int rfm_bin(double x, const double cut[RFM_BINS - 1])
{
    int j, b = 1;

    for (j = 0; j < RFM_BINS - 1; j++)
        b += x >= cut[j];
    return b;
}

const char *const rfm_segment_names[RFM_NSEGMENTS + 1] = {
    "Champions", "Loyal Customers", "Potential Loyalist", "New Customers", "Promising",
    "Need Attention", "About To Sleep", "At Risk", "Can't Lose Them", "Hibernating", "Lost",
    "Others"};

/* The rules, tried in this order, the first that matches winning: a
 * segment and the lowest and highest R, F and M it takes. The ranges are
 * those of the rfm package's introduction; its order lets broad rules hide
 * narrow ones (New Customers and Promising fall inside Potential Loyalist,
 * tried before them) and its table gives Hibernating Lost's ranges, so here
 * the narrow ones come first,
 * Potential Loyalist after the middle-recency segments, and Lost is the
 * bottom of Hibernating's ranges. docs/analytics.md prints it. */
static const unsigned char rules[RFM_NSEGMENTS][7] = {
    {0, 4, 5, 4, 5, 4, 5},  /* Champions */
    {8, 1, 1, 4, 5, 4, 5},  /* Can't Lose Them */
    {3, 4, 5, 1, 1, 1, 1},  /* New Customers */
    {4, 3, 4, 1, 1, 1, 1},  /* Promising */
    {10, 1, 1, 1, 1, 1, 2}, /* Lost */
    {1, 2, 5, 3, 5, 3, 5},  /* Loyal Customers */
    {7, 1, 2, 2, 5, 2, 5},  /* At Risk */
    {5, 2, 3, 2, 3, 2, 3},  /* Need Attention */
    {6, 2, 3, 1, 2, 1, 2},  /* About To Sleep */
    {2, 3, 5, 1, 3, 1, 3},  /* Potential Loyalist */
    {9, 1, 2, 1, 2, 1, 2},  /* Hibernating */
};

int rfm_default_segment(int r, int f, int m)
{
    int i;

    for (i = 0; i < RFM_NSEGMENTS; i++) {
        const unsigned char *u = rules[i];
        if (r >= u[1] && r <= u[2] && f >= u[3] && f <= u[4] && m >= u[5] && m <= u[6])
            return u[0];
    }
    return RFM_OTHERS;
}
