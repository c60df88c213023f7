/* bgnbd.c - the BG/NBD and Gamma-Gamma models: likelihoods, fits, predictions. */
#include "bgnbd.h"

#include <gsl/gsl_errno.h>
#include <gsl/gsl_multimin.h>
#include <gsl/gsl_sf_hyperg.h>
#include <gsl/gsl_sf_result.h>
#include <math.h>

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

typedef struct data {
    const double *x, *a, *b;   /* BG/NBD: x, tx, T; Gamma-Gamma: x, m */
    size_t n;
} data;

/* The negative log-likelihood at exp(v): a minimiser's objective. */
static double bg_neg(const gsl_vector *v, void *arg)
{
    const data *d = arg;
    bgnbd_params p;
    double s = 0;
    size_t i;

    p.r = exp(gsl_vector_get(v, 0));
    p.alpha = exp(gsl_vector_get(v, 1));
    p.a = exp(gsl_vector_get(v, 2));
    p.b = exp(gsl_vector_get(v, 3));
    for (i = 0; i < d->n; i++)
        s += bgnbd_ll(&p, d->x[i], d->a[i], d->b[i]);
    return isfinite(s) ? -s : INFINITY;
}

static double gg_neg(const gsl_vector *v, void *arg)
{
    const data *d = arg;
    gg_params p;
    double s = 0;
    size_t i;

    p.p = exp(gsl_vector_get(v, 0));
    p.q = exp(gsl_vector_get(v, 1));
    p.gamma = exp(gsl_vector_get(v, 2));
    for (i = 0; i < d->n; i++)
        if (d->x[i] > 0)
            s += gg_ll(&p, d->x[i], d->a[i]);
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
        gsl_vector_set_all(step, 0.5);
        gsl_multimin_fminimizer_set(s, &fn, v, step);
        st = GSL_CONTINUE;
        for (it = 0; it < 5000 && st == GSL_CONTINUE; it++) {
            if (gsl_multimin_fminimizer_iterate(s))
                break;
            st = gsl_multimin_test_size(gsl_multimin_fminimizer_size(s), 1e-9);
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
    data d = {x, tx, T, n};
    double v[4];
    int rc = minimise(bg_neg, &d, 4, v, ll);

    out->r = v[0];
    out->alpha = v[1];
    out->a = v[2];
    out->b = v[3];
    return rc;
}

int gg_fit(const double *x, const double *m, size_t n, gg_params *out, double *ll)
{
    data d = {x, m, NULL, n};
    double v[3];
    int rc = minimise(gg_neg, &d, 3, v, ll);

    out->p = v[0];
    out->q = v[1];
    out->gamma = v[2];
    return rc;
}
