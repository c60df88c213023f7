/* bgnbd.c - the BG/NBD and Gamma-Gamma models: likelihoods, fits, predictions. */
#include "bgnbd.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_hyperg.h>
#include <gsl/gsl_sf_result.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static double lbeta(double a, double b)
{
    return lgamma(a) + lgamma(b) - lgamma(a + b);
}

double bgnbd_ll(const bgnbd_params *p, double x, double tx, double T)
{
    double a1 = lgamma(p->r + x) - lgamma(p->r) + p->r * log(p->alpha);
    double a2 = lbeta(p->a, p->b + x) - lbeta(p->a, p->b);
    double a3 = -(p->r + x) * log(p->alpha + T), a4, hi;

    if (x <= 0)
        return a1 + a2 + a3;
    /* B(a + 1, b + x - 1) / B(a, b + x) = a / (b + x - 1) */
    a4 = log(p->a) - log(p->b + x - 1) - (p->r + x) * log(p->alpha + tx);
    hi = fmax(a3, a4);
    return a1 + a2 + hi + log(exp(a3 - hi) + exp(a4 - hi));
}

double bgnbd_palive(const bgnbd_params *p, double x, double tx, double T)
{
    if (x <= 0)
        return 1;
    return 1 / (1 + p->a / (p->b + x - 1) * pow((p->alpha + T) / (p->alpha + tx), p->r + x));
}

double bgnbd_expected(const bgnbd_params *p, double x, double tx, double T, double t)
{
    double z = t / (p->alpha + T + t), h;
    gsl_sf_result res;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int st = gsl_sf_hyperg_2F1_e(p->r + x, p->b + x, p->a + p->b + x - 1, z, &res);

    gsl_set_error_handler(old);
    if (st || p->a == 1)
        return NAN;
    h = res.val;
    return (p->a + p->b + x - 1) / (p->a - 1) *
           (1 - pow((p->alpha + T) / (p->alpha + T + t), p->r + x) * h) /
           (1 + (x > 0 ? p->a / (p->b + x - 1) * pow((p->alpha + T) / (p->alpha + tx), p->r + x)
                       : 0));
}

double gg_ll(const gg_params *p, double x, double m)
{
    double px = p->p * x;

    return lgamma(px + p->q) - lgamma(px) - lgamma(p->q) + p->q * log(p->gamma) +
           (px - 1) * log(m) + px * log(x) - (px + p->q) * log(p->gamma + x * m);
}

double gg_expected(const gg_params *p, double x, double m)
{
    return p->p * (p->gamma + x * m) / (p->p * x + p->q - 1);
}

/* ------------------------------------------------------------ fitting */

/* The customers, with the distinct values of their summaries: the terms
 * that depend on one value alone (the log-gammas of x, the logarithms of
 * alpha + t) are computed once per distinct value. */
typedef struct distinct {
    double *v;                 /* the distinct values, ascending */
    size_t n;
    size_t *at;                /* per customer: its value's index in v */
    double *term;              /* per distinct value: a term computed once */
} distinct;

typedef struct data {
    const double *x, *a, *b;   /* BG/NBD: x, tx, T; Gamma-Gamma: x, m */
    size_t n;
    distinct dx, da, db;       /* BG/NBD: x, tx and T (in whole days, few distinct) */
    double *lbx;               /* BG/NBD, per distinct x: ln(b + x - 1) */
    double xlogm, logm;        /* Gamma-Gamma: the sums of x ln m and ln m (x > 0) */
} data;

static int cmp_double(const void *p, const void *q)
{
    double x = *(const double *)p, y = *(const double *)q;
    return (x > y) - (x < y);
}

static void distinct_init(distinct *d, const double *x, size_t n)
{
    size_t i, lo, hi;

    d->v = xmalloc((n + 1) * sizeof *d->v);
    d->at = xmalloc((n + 1) * sizeof *d->at);
    memcpy(d->v, x, n * sizeof *x);
    qsort(d->v, n, sizeof *d->v, cmp_double);
    for (i = d->n = 0; i < n; i++)
        if (d->n == 0 || d->v[d->n - 1] != d->v[i])
            d->v[d->n++] = d->v[i];
    d->term = xmalloc((d->n + 1) * sizeof *d->term);
    for (i = 0; i < n; i++) {
        lo = 0;
        hi = d->n;
        while (hi - lo > 1) {
            size_t mid = (lo + hi) / 2;
            if (d->v[mid] <= x[i])
                lo = mid;
            else
                hi = mid;
        }
        d->at[i] = lo;
    }
}

static void distinct_free(distinct *d)
{
    free(d->v);
    free(d->at);
    free(d->term);
}

static void data_init(data *d, const double *x, const double *a, const double *b, size_t n)
{
    size_t i;

    memset(d, 0, sizeof *d);
    d->x = x;
    d->a = a;
    d->b = b;
    d->n = n;
    distinct_init(&d->dx, x, n);
    if (b) {
        distinct_init(&d->da, a, n);
        distinct_init(&d->db, b, n);
        d->lbx = xmalloc((d->dx.n + 1) * sizeof *d->lbx);
        return;
    }
    for (i = 0; i < n; i++)
        if (x[i] > 0) {
            d->xlogm += x[i] * log(a[i]);
            d->logm += log(a[i]);
        }
}

static void data_free(data *d)
{
    free(d->lbx);
    distinct_free(&d->dx);
    if (d->b) {
        distinct_free(&d->da);
        distinct_free(&d->db);
    }
}

/* The negative log-likelihood at exp(v): a minimiser's objective. The sum
 * of bgnbd_ll with the x-only terms taken once per distinct x. */
static double bg_neg(const gsl_vector *v, void *arg)
{
    data *d = arg;
    const double r = exp(gsl_vector_get(v, 0)), al = exp(gsl_vector_get(v, 1));
    const double a = exp(gsl_vector_get(v, 2)), b = exp(gsl_vector_get(v, 3));
    const double base = -lgamma(r) + r * log(al) - lbeta(a, b), la = log(a);
    double s = 0;
    size_t i;

    /* per distinct x: its log-gammas; per distinct tx and T: ln(alpha + t) */
    for (i = 0; i < d->dx.n; i++) {
        d->dx.term[i] = lgamma(r + d->dx.v[i]) + lbeta(a, b + d->dx.v[i]) + base;
        d->lbx[i] = d->dx.v[i] > 0 ? log(b + d->dx.v[i] - 1) : 0;
    }
    for (i = 0; i < d->da.n; i++)
        d->da.term[i] = log(al + d->da.v[i]);
    for (i = 0; i < d->db.n; i++)
        d->db.term[i] = log(al + d->db.v[i]);
    for (i = 0; i < d->n; i++) {
        double x = d->x[i], a3 = -(r + x) * d->db.term[d->db.at[i]], a4, hi;
        s += d->dx.term[d->dx.at[i]];
        if (x <= 0) {
            s += a3;
            continue;
        }
        a4 = la - d->lbx[d->dx.at[i]] - (r + x) * d->da.term[d->da.at[i]];
        hi = fmax(a3, a4);
        s += hi + log(exp(a3 - hi) + exp(a4 - hi));
    }
    return isfinite(s) ? -s : INFINITY;
}

static double gg_neg(const gsl_vector *v, void *arg)
{
    data *d = arg;
    const double p = exp(gsl_vector_get(v, 0)), q = exp(gsl_vector_get(v, 1));
    const double g = exp(gsl_vector_get(v, 2)), base = -lgamma(q) + q * log(g);
    double s = p * d->xlogm - d->logm; /* the sum of (p x - 1) ln m */
    size_t i;

    for (i = 0; i < d->dx.n; i++) {
        double x = d->dx.v[i];
        d->dx.term[i] = x > 0 ? lgamma(p * x + q) - lgamma(p * x) + base + p * x * log(x) : 0;
    }
    for (i = 0; i < d->n; i++) {
        double x = d->x[i], m = d->a[i];
        if (x <= 0)
            continue;
        s += d->dx.term[d->dx.at[i]] - (p * x + q) * log(g + x * m);
    }
    return isfinite(s) ? -s : INFINITY;
}

/* Minimise f over k log-parameters from 0 (parameters 1); best in out. */
static int minimise(double (*f)(const gsl_vector *, void *), data *d, size_t k, double *out,
                    double *ll)
{
    const gsl_multimin_fminimizer_type *type = gsl_multimin_fminimizer_nmsimplex2;
    gsl_multimin_fminimizer *s = gsl_multimin_fminimizer_alloc(type, k);
    gsl_vector *v = gsl_vector_alloc(k), *step = gsl_vector_alloc(k);
    gsl_multimin_function fn;
    gsl_error_handler_t *old = gsl_set_error_handler_off();
    int it, st = GSL_CONTINUE, round;
    size_t j;

    fn.n = k;
    fn.f = f;
    fn.params = d;
    gsl_vector_set_all(v, 0);
    /* Two rounds: the second restarts the simplex at the first's best, as
     * Nelder-Mead can stall on a simplex that has collapsed. */
    for (round = 0; round < 2; round++) {
        gsl_vector_set_all(step, round ? 0.1 : 0.5);
        gsl_multimin_fminimizer_set(s, &fn, v, step);
        st = GSL_CONTINUE;
        for (it = 0; it < 5000 && st == GSL_CONTINUE; it++) {
            if (gsl_multimin_fminimizer_iterate(s))
                break;
            st = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-6);
        }
        gsl_vector_memcpy(v, gsl_multimin_fminimizer_x(s));
    }
    for (j = 0; j < k; j++)
        out[j] = exp(gsl_vector_get(v, j));
    *ll = -gsl_multimin_fminimizer_minimum(s);
    gsl_set_error_handler(old);
    gsl_multimin_fminimizer_free(s);
    gsl_vector_free(v);
    gsl_vector_free(step);
    return st == GSL_SUCCESS ? 0 : -1;
}

int bgnbd_fit(const double *x, const double *tx, const double *T, size_t n, bgnbd_params *out,
              double *ll)
{
    data d;
    double v[4];
    int rc;

    data_init(&d, x, tx, T, n);
    rc = minimise(bg_neg, &d, 4, v, ll);
    data_free(&d);

    out->r = v[0];
    out->alpha = v[1];
    out->a = v[2];
    out->b = v[3];
    return rc;
}

int gg_fit(const double *x, const double *m, size_t n, gg_params *out, double *ll)
{
    data d;
    double v[3];
    int rc;

    data_init(&d, x, m, NULL, n);
    rc = minimise(gg_neg, &d, 3, v, ll);
    data_free(&d);

    out->p = v[0];
    out->q = v[1];
    out->gamma = v[2];
    return rc;
}
