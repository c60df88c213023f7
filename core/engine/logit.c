/* logit.c - logistic regression by IRLS with an L2 penalty, and the AUC. */
#include "logit.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_linalg.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static double sigmoid(double z)
{
    return z >= 0 ? 1 / (1 + exp(-z)) : exp(z) / (1 + exp(z));
}

double logit_predict(const logit_fit *fit, const double *x)
{
    double z = fit->beta[0];
    int j;

    for (j = 0; j < fit->d; j++)
        z += fit->beta[j + 1] * x[j];
    return sigmoid(z);
}

int logit_fit_irls(const double *x, const double *y, size_t n, int d, double lambda,
                   logit_fit *out)
{
    const int m = d + 1;
    gsl_matrix *h = gsl_matrix_alloc((size_t)m, (size_t)m);
    gsl_vector *g = gsl_vector_alloc((size_t)m), *step = gsl_vector_alloc((size_t)m);
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    double row[LOGIT_MAX_FEATURES + 1];
    size_t i;
    int a, b, it, rc = -1;

    memset(out, 0, sizeof *out);
    out->d = d;
    for (it = 0; it < 100; it++) {
        double change = 0;
        gsl_matrix_set_zero(h);
        gsl_vector_set_zero(g);
        for (i = 0; i < n; i++) {
            double p, w;
            row[0] = 1;
            memcpy(row + 1, x + i * (size_t)d, (size_t)d * sizeof *row);
            p = logit_predict(out, row + 1);
            w = p * (1 - p);
            for (a = 0; a < m; a++) {
                double *ga = gsl_vector_ptr(g, (size_t)a);
                *ga += (y[i] - p) * row[a];
                for (b = 0; b <= a; b++)
                    *gsl_matrix_ptr(h, (size_t)a, (size_t)b) += w * row[a] * row[b];
            }
        }
        for (a = 1; a < m; a++) {
            *gsl_matrix_ptr(h, (size_t)a, (size_t)a) += lambda;
            *gsl_vector_ptr(g, (size_t)a) -= lambda * out->beta[a];
        }
        for (a = 0; a < m; a++)
            for (b = a + 1; b < m; b++)
                gsl_matrix_set(h, (size_t)a, (size_t)b, gsl_matrix_get(h, (size_t)b, (size_t)a));
        if (gsl_linalg_cholesky_decomp1(h) || gsl_linalg_cholesky_solve(h, g, step))
            goto out;
        for (a = 0; a < m; a++) {
            double s = gsl_vector_get(step, (size_t)a);
            out->beta[a] += s;
            change = fmax(change, fabs(s));
        }
        out->iterations = it + 1;
        if (change < 1e-10) {
            out->converged = 1;
            break;
        }
    }
    /* The standard errors from the Hessian at the optimum, and the
     * log-likelihood there. */
    gsl_matrix_set_zero(h);
    out->loglik = 0;
    for (i = 0; i < n; i++) {
        double p, w;
        row[0] = 1;
        memcpy(row + 1, x + i * (size_t)d, (size_t)d * sizeof *row);
        p = logit_predict(out, row + 1);
        w = p * (1 - p);
        out->loglik += y[i] > 0.5 ? log(p) : log1p(-p);
        for (a = 0; a < m; a++)
            for (b = 0; b < m; b++)
                *gsl_matrix_ptr(h, (size_t)a, (size_t)b) += w * row[a] * row[b];
    }
    for (a = 1; a < m; a++)
        *gsl_matrix_ptr(h, (size_t)a, (size_t)a) += lambda;
    if (gsl_linalg_cholesky_decomp1(h) || gsl_linalg_cholesky_invert(h))
        goto out;
    for (a = 0; a < m; a++)
        out->se[a] = sqrt(gsl_matrix_get(h, (size_t)a, (size_t)a));
    rc = 0;
out:
    gsl_set_error_handler(old);
    gsl_matrix_free(h);
    gsl_vector_free(g);
    gsl_vector_free(step);
    return rc;
}

typedef struct scored {
    double s;
    int pos;
} scored;

static int cmp_scored(const void *a, const void *b)
{
    double x = ((const scored *)a)->s, y = ((const scored *)b)->s;
    return (x > y) - (x < y);
}

double logit_auc(const double *s, const double *y, size_t n)
{
    scored *v = xmalloc((n ? n : 1) * sizeof *v);
    double npos = 0, nneg = 0, rank_sum = 0;
    size_t i, j;

    for (i = 0; i < n; i++) {
        v[i].s = s[i];
        v[i].pos = y[i] > 0.5;
        npos += v[i].pos;
    }
    nneg = (double)n - npos;
    qsort(v, n, sizeof *v, cmp_scored);
    /* the positives' ranks, tied scores sharing their mean rank */
    for (i = 0; i < n; i = j) {
        double mid, k = 0;
        for (j = i; j < n && v[j].s == v[i].s; j++)
            k += v[j].pos;
        mid = ((double)i + 1 + (double)j) / 2;
        rank_sum += k * mid;
    }
    free(v);
    if (npos == 0 || nneg == 0)
        return NAN;
    return (rank_sum - npos * (npos + 1) / 2) / (npos * nneg);
}
