/*
 * bgnbd.h - the BG/NBD purchase model (Fader, Hardie and Lee 2005) and the
 * Gamma-Gamma spend model (Fader and Hardie 2013, "The Gamma-Gamma model of
 * monetary value"), fitted by maximum likelihood on customer summaries.
 *
 * A customer's summary: x repeat purchases (purchases after the first),
 * t_x the time of the last purchase and T the time of the end of the
 * observation, both counted from the first purchase, and m the mean value
 * of the purchases. Times are in any one unit (Quire uses weeks).
 */
#ifndef QUIRE_BGNBD_H
#define QUIRE_BGNBD_H

#include <stddef.h>

typedef struct bgnbd_params {
    double r, alpha, a, b;
} bgnbd_params;

typedef struct gg_params {
    double p, q, gamma;
} gg_params;

/* One customer's BG/NBD log-likelihood (equation 6 of the paper):
 *   ln[ B(a, b + x) / B(a, b) * G(r + x) alpha^r / (G(r) (alpha + T)^(r + x))
 *       + [x > 0] B(a + 1, b + x - 1) / B(a, b) * G(r + x) alpha^r / (G(r) (alpha + t_x)^(r + x)) ] */
double bgnbd_ll(const bgnbd_params *p, double x, double tx, double T);

/* The probability that the customer is still alive at T. */
double bgnbd_palive(const bgnbd_params *p, double x, double tx, double T);

/* The expected purchases in the next t (equation 10 of the paper, with
 * GSL's Gauss hypergeometric function). */
double bgnbd_expected(const bgnbd_params *p, double x, double tx, double T, double t);

/* Fit by maximum likelihood (GSL's Nelder-Mead simplex on the logarithms of
 * the parameters, from r = alpha = a = b = 1). Returns 0, or -1 when it did
 * not converge (out holds the best point found). */
int bgnbd_fit(const double *x, const double *tx, const double *T, size_t n, bgnbd_params *out,
              double *ll);

/* One customer's Gamma-Gamma log-likelihood of its mean value m over x
 * purchases (x > 0):
 *   ln G(px + q) - ln G(px) - ln G(q) + q ln gamma + (px - 1) ln m + px ln x
 *   - (px + q) ln(gamma + x m) */
double gg_ll(const gg_params *p, double x, double m);

/* The expected mean value of the customer's purchases: p (gamma + x m) / (p x + q - 1). */
double gg_expected(const gg_params *p, double x, double m);

/* Fit on the customers with x > 0, as bgnbd_fit. */
int gg_fit(const double *x, const double *m, size_t n, gg_params *out, double *ll);

#endif
