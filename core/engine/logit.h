/*
 * logit.h - L2-regularised logistic regression fitted by IRLS (Newton's
 * method), and the area under the ROC curve.
 *
 * The fit minimises the negative log-likelihood plus lambda/2 times the sum
 * of the squared coefficients (the intercept is not penalised). For lambda
 * above 0 the objective is strictly convex with a finite minimum even when
 * the classes are separable, so Newton's iterations converge instead of
 * running the coefficients off to infinity.
 */
#ifndef QUIRE_LOGIT_H
#define QUIRE_LOGIT_H

#include <stddef.h>

typedef struct logit_fit {
    int d;             /* features; coefficients are d + 1, the intercept first */
    double beta[17];
    double se[17];     /* standard errors: the square roots of the diagonal of the
                        * inverse of the penalised Hessian at the optimum */
    int iterations;
    int converged;
    double loglik;     /* the log-likelihood (without the penalty) at the optimum */
} logit_fit;

#define LOGIT_MAX_FEATURES 16

/* Fit y[i] (0 or 1) on the rows x[i * d .. i * d + d) of the n rows (d at
 * most LOGIT_MAX_FEATURES). Returns 0, or -1 when the Hessian cannot be
 * factorised (no rows). */
int logit_fit_irls(const double *x, const double *y, size_t n, int d, double lambda,
                   logit_fit *out);

/* The fitted probability of row x (d values). */
double logit_predict(const logit_fit *fit, const double *x);

/* The area under the ROC curve of scores s against labels y (0 or 1): the
 * share of (positive, negative) pairs the scores order correctly, ties
 * counting one half (the Mann-Whitney U over the product of the counts).
 * NAN when either class is empty. s and y are not changed. */
double logit_auc(const double *s, const double *y, size_t n);

#endif
