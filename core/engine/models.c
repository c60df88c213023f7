/*
 * models.c - the models stage: RFM scores, thresholds, k-means clusters and
 * cohorts, fitted per month on the fields the spec names.
 */
#include "models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "bgnbd.h"
#include "date.h"
#include "field_cursor.h"
#include "kmeans.h"
#include "logit.h"
#include "models_spec.h"
#include "stats.h"
#include "util.h"

/* k-means is fitted on a sample of at most this many customers a month (all
 * customers are then assigned to the nearest centre), and k is chosen on
 * the silhouette of at most SIL_SAMPLE of them. */
#define KM_SAMPLE 10000
#define SIL_SAMPLE 1000
#define KM_ITER 100

enum {
    MF_R, MF_F, MF_M, MF_SCORE, MF_SEGMENT, MF_THRESHOLD, MF_CLUSTER_ID, MF_CLUSTER_NAME,
    MF_CHURN, MF_CLV_PALIVE, MF_CLV_PURCHASES, MF_CLV_VALUE
};

/* BG/NBD and Gamma-Gamma are fitted on at most this many customers, the
 * churn model (its fit and its hold-out together) on at most CHURN_SAMPLE. */
#define CLV_SAMPLE 10000
#define CHURN_SAMPLE 20000

/* What one of the fields the stage adds loads. */
typedef struct mfield {
    const models *md;
    int what;
    int idx;            /* MF_THRESHOLD: which */
} mfield;

struct models {
    const spec_models *sm;
    const model *m;
    size_t ne;
    int np, p0;
    /* rfm */
    int rfm_in[3];          /* the fields of recency, frequency, monetary */
    uint8_t *sc[3];         /* [p][e]: the scores, 0 = none */
    uint8_t seg_of[125];    /* (r-1)*25 + (f-1)*5 + (m-1) -> segment */
    char **names;
    size_t nnames;
    double *grid;           /* [p][r-1][f-1][2]: customers, monetary */
    rfm_summary *summ;      /* [p][segment] */
    /* thresholds */
    int *thr_in;
    double *thr;            /* [t][p] */
    /* clusters */
    int *cl_in;
    size_t nfeat;
    int k, autok;
    double sil[SPEC_KMEANS_MAX_K + 1];
    uint8_t *cl;            /* [p][e]: cluster + 1, 0 = none */
    double *csize;          /* [p][k] */
    double *cmean;          /* [p][k][feature] */
    char **cnames;
    /* cohorts */
    cohort_table *co;
    /* churn */
    int *ch_in;
    size_t nch;
    int tc;                 /* the cut-off period */
    double *ch_x, *ch_y;    /* the cut-off's customers: raw features, labels */
    size_t ch_n;
    double ch_mean[LOGIT_MAX_FEATURES], ch_sd[LOGIT_MAX_FEATURES];
    logit_fit lf;
    double auc, churned, n_train, n_test;
    float *churn;           /* [p][e]: 0-100, NAN = none */
    /* clv, for the report's last month */
    int pclv;
    float *clv[3];          /* [e]: P(alive), expected purchases, value; NAN = none */
    bgnbd_params bg;
    gg_params gg;
    double bg_ll, gg_ll, clv_n, clv_repeat;
    mfield *mf;
    size_t nmf;
    models_times t;
};

/* The thread's CPU time: the stage runs on one thread, and on a shared
 * machine its CPU time is the steadier measure of each model's cost. */
static double now(void)
{
    struct timespec t;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static int field_index(const model *m, const char *name)
{
    size_t k;

    for (k = 0; k < m->nfields; k++)
        if (strcmp(m->fields[k].name, name) == 0)
            return (int)k;
    return -1;
}

/* ------------------------------------------------------------ fields */

static void mload(const void *src, int p, size_t from, size_t n, double *out)
{
    const mfield *mf = src;
    const models *md = mf->md;
    size_t i, at = (size_t)p * md->ne + from;

    for (i = 0; i < n; i++)
        out[i] = NAN;
    if (p < md->p0)
        return;
    switch (mf->what) {
    case MF_R:
    case MF_F:
    case MF_M:
        for (i = 0; i < n; i++)
            if (md->sc[mf->what][at + i])
                out[i] = md->sc[mf->what][at + i];
        break;
    case MF_SCORE:
    case MF_SEGMENT:
        for (i = 0; i < n; i++) {
            int r = md->sc[0][at + i], f = md->sc[1][at + i], m = md->sc[2][at + i];
            if (!r)
                continue;
            out[i] = mf->what == MF_SCORE ? 100 * r + 10 * f + m
                                          : 1 + md->seg_of[(r - 1) * 25 + (f - 1) * 5 + m - 1];
        }
        break;
    case MF_CHURN:
        for (i = 0; i < n; i++)
            out[i] = md->churn[at + i];
        break;
    case MF_CLV_PALIVE:
    case MF_CLV_PURCHASES:
    case MF_CLV_VALUE:
        for (i = 0; p == md->pclv && i < n; i++)
            out[i] = md->clv[mf->what - MF_CLV_PALIVE][from + i];
        break;
    case MF_THRESHOLD:
        for (i = 0; i < n; i++)
            out[i] = md->thr[(size_t)mf->idx * (size_t)md->np + (size_t)p];
        break;
    default: /* cluster id and name: the 1-based cluster */
        for (i = 0; i < n; i++)
            if (md->cl[at + i])
                out[i] = md->cl[at + i];
        break;
    }
}

static void add_field(model *m, models *md, const char *name, field_kind kind, int integral,
                      int what, int idx, const char *const *texts)
{
    field *fl;
    mfield *mf = &md->mf[md->nmf++];

    mf->md = md;
    mf->what = what;
    mf->idx = idx;
    m->fields = xrealloc(m->fields, (m->nfields + 1) * sizeof *m->fields);
    fl = &m->fields[m->nfields++];
    memset(fl, 0, sizeof *fl);
    fl->name = xstrdup(name);
    fl->kind = kind;
    fl->measure = -1;
    fl->integral = integral;
    fl->load = mload;
    fl->src = mf;
    fl->texts = texts;
}

/* ------------------------------------------------------------ Lua names */

/* The string the function at the stack's top returned, copied; or NULL with
 * err set. Pops it. */
static char *take_name(lua_State *L, const char *script, const char *what, quire_error *err)
{
    char *s = NULL;

    if (lua_type(L, -1) == LUA_TSTRING && lua_rawlen(L, -1) > 0)
        s = xstrdup(lua_tostring(L, -1));
    else
        quire_err_at(err, QUIRE_EXIT_DATA, script, 0, 0, "%s returned %s; it must return a "
                     "name (a non-empty string)", what, luaL_typename(L, -1));
    lua_pop(L, 1);
    return s;
}

static int load_function(quire_lua *q, const char *path, quire_error *err)
{
    return qlua_dofunction(q, path, "the script must return a function", err);
}

int models_check_scripts(const spec *s, quire_lua *q, quire_error *err)
{
    const spec_models *sm = s->models;
    const char *paths[2];
    int i;

    if (!sm)
        return 0;
    paths[0] = sm->rfm ? sm->rfm->segments : NULL;
    paths[1] = sm->clusters ? sm->clusters->names : NULL;
    for (i = 0; i < 2; i++) {
        if (!paths[i])
            continue;
        if (load_function(q, paths[i], err))
            return -1;
        lua_pop(qlua_state(q), 1);
    }
    return 0;
}

static size_t name_index(models *md, const char *name)
{
    size_t i;

    for (i = 0; i < md->nnames; i++)
        if (strcmp(md->names[i], name) == 0)
            return i;
    md->names = xrealloc(md->names, (md->nnames + 1) * sizeof *md->names);
    md->names[md->nnames] = xstrdup(name);
    return md->nnames++;
}

/* The segment of every (r, f, m): the spec's function, or the defaults. */
static int rfm_names(model *m, models *md, quire_error *err)
{
    const spec_rfm *sr = md->sm->rfm;
    lua_State *L = qlua_state(m->lua);
    int r, f, mm;

    if (!sr->segments) {
        for (r = 0; r <= RFM_NSEGMENTS; r++)
            name_index(md, rfm_segment_names[r]);
        for (r = 1; r <= 5; r++)
            for (f = 1; f <= 5; f++)
                for (mm = 1; mm <= 5; mm++)
                    md->seg_of[(r - 1) * 25 + (f - 1) * 5 + mm - 1] =
                        (uint8_t)rfm_default_segment(r, f, mm);
        return 0;
    }
    if (load_function(m->lua, sr->segments, err))
        return -1;
    /* best scores first, so the names come in that order */
    for (r = 5; r >= 1; r--)
        for (f = 5; f >= 1; f--)
            for (mm = 5; mm >= 1; mm--) {
                char what[96], *name;
                size_t i;
                lua_pushvalue(L, -1);
                lua_pushinteger(L, r);
                lua_pushinteger(L, f);
                lua_pushinteger(L, mm);
                snprintf(what, sizeof what, "the RFM segments function (r=%d, f=%d, m=%d)", r, f,
                         mm);
                if (qlua_call(m->lua, 3, 1, what, err)) {
                    lua_pop(L, 1);
                    return -1;
                }
                if (!(name = take_name(L, sr->segments, what, err))) {
                    lua_pop(L, 1);
                    return -1;
                }
                i = name_index(md, name);
                free(name);
                if (i > 250) {
                    lua_pop(L, 1);
                    return quire_err_at(err, QUIRE_EXIT_DATA, sr->segments, 0, 0,
                                        "the RFM segments function names more than 250 segments");
                }
                md->seg_of[(r - 1) * 25 + (f - 1) * 5 + mm - 1] = (uint8_t)i;
            }
    lua_pop(L, 1);
    return 0;
}

/* Cluster names from the profiles of period p. */
static int cluster_names(model *m, models *md, int p, quire_error *err)
{
    const spec_clusters *sc = md->sm->clusters;
    lua_State *L = qlua_state(m->lua);
    double total = 0;
    int c;
    size_t j;

    md->cnames = xcalloc((size_t)md->k + 1, sizeof *md->cnames);
    if (!sc->names) {
        for (c = 0; c < md->k; c++)
            md->cnames[c] = xasprintf("Cluster %d", c + 1);
        return 0;
    }
    if (load_function(m->lua, sc->names, err))
        return -1;
    for (c = 0; c < md->k; c++)
        total += md->csize[(size_t)p * (size_t)md->k + (size_t)c];
    for (c = 0; c < md->k; c++) {
        double size = md->csize[(size_t)p * (size_t)md->k + (size_t)c];
        char what[64];
        lua_pushvalue(L, -1);
        lua_createtable(L, 0, (int)md->nfeat + 3);
        lua_pushinteger(L, c + 1);
        lua_setfield(L, -2, "id");
        lua_pushinteger(L, (lua_Integer)size);
        lua_setfield(L, -2, "size");
        lua_pushnumber(L, total > 0 ? size / total : 0);
        lua_setfield(L, -2, "share");
        for (j = 0; j < md->nfeat; j++) {
            lua_pushnumber(L, models_cluster_mean(md, p, c, j));
            lua_setfield(L, -2, sc->features[j].name);
        }
        snprintf(what, sizeof what, "the cluster names function (cluster %d)", c + 1);
        if (qlua_call(m->lua, 1, 1, what, err) ||
            !(md->cnames[c] = take_name(L, sc->names, what, err))) {
            lua_pop(L, 1);
            return -1;
        }
    }
    lua_pop(L, 1);
    return 0;
}

/* ------------------------------------------------------------ fitting */

/* Move a random sample of at most k of idx[0..n) to its front (a partial
 * Fisher-Yates shuffle drawn from rng); returns the sample's size. */
static size_t sample_front(size_t *idx, size_t n, size_t k, kmeans_rng *rng)
{
    size_t i, s = n < k ? n : k;

    for (i = 0; i < s; i++) {
        size_t r = i + (size_t)(kmeans_uniform(rng) * (double)(n - i)), t = idx[i];
        idx[i] = idx[r];
        idx[r] = t;
    }
    return s;
}

/* RFM scores of period p for the customers in idx (all three values known). */
static void fit_rfm(models *md, int p, double *const *in, const size_t *idx, size_t n,
                    double *buf)
{
    double cut[3][RFM_BINS - 1];
    size_t i, at = (size_t)p * md->ne;
    int j;

    for (j = 0; j < 3; j++) {
        for (i = 0; i < n; i++)
            buf[i] = in[md->rfm_in[j]][idx[i]];
        rfm_cuts(buf, n, cut[j]);
    }
    for (i = 0; i < n; i++) {
        size_t e = idx[i];
        double rv = in[md->rfm_in[0]][e], fv = in[md->rfm_in[1]][e], mv = in[md->rfm_in[2]][e];
        int r = RFM_BINS + 1 - rfm_bin(rv, cut[0]), f = rfm_bin(fv, cut[1]),
            m = rfm_bin(mv, cut[2]);
        int s = md->seg_of[(r - 1) * 25 + (f - 1) * 5 + m - 1];
        double *g = md->grid + (((size_t)p * 5 + (size_t)(r - 1)) * 5 + (size_t)(f - 1)) * 2;
        rfm_summary *sm = &md->summ[(size_t)p * md->nnames + (size_t)s];

        md->sc[0][at + e] = (uint8_t)r;
        md->sc[1][at + e] = (uint8_t)f;
        md->sc[2][at + e] = (uint8_t)m;
        g[0] += 1;
        g[1] += mv;
        sm->customers += 1;
        sm->recency += rv;
        sm->frequency += fv;
        sm->monetary += mv;
    }
}

static void fit_thresholds(models *md, int p, double *const *in, const size_t *idx, size_t n,
                           double *buf)
{
    size_t t, i, m;

    for (t = 0; t < md->sm->nthresholds; t++) {
        const double *v = in[md->thr_in[t]];
        for (i = m = 0; i < n; i++)
            if (!isnan(v[idx[i]]))
                buf[m++] = v[idx[i]];
        stats_quantiles(buf, m, &md->sm->thresholds[t].q, 1,
                        &md->thr[t * (size_t)md->np + (size_t)p]);
    }
}

/* Sort the clusters by size, largest first (after the first fit). */
static void order_by_size(double *centres, int k, size_t d, const int *assign, size_t n)
{
    double *cp = xmalloc((size_t)k * d * sizeof *cp), size[SPEC_KMEANS_MAX_K] = {0};
    int order[SPEC_KMEANS_MAX_K], a, b;
    size_t i;

    for (i = 0; i < n; i++)
        size[assign[i]] += 1;
    for (a = 0; a < k; a++)
        order[a] = a;
    for (a = 1; a < k; a++)
        for (b = a; b > 0 && size[order[b]] > size[order[b - 1]]; b--) {
            int t = order[b];
            order[b] = order[b - 1];
            order[b - 1] = t;
        }
    memcpy(cp, centres, (size_t)k * d * sizeof *cp);
    for (a = 0; a < k; a++)
        memcpy(centres + (size_t)a * d, cp + (size_t)order[a] * d, d * sizeof *cp);
    free(cp);
}

/* k-means of period p over the customers in idx whose features are all
 * known; prev holds the last period's centres in original units (warm
 * start) once there is one. */
static void fit_clusters(models *md, int p, double *const *in, const size_t *idx_in,
                         size_t n_in, double *prev, int *have_prev)
{
    const spec_clusters *sc = md->sm->clusters;
    const size_t d = md->nfeat;
    size_t *idx = xmalloc((n_in ? n_in : 1) * sizeof *idx), n = 0, i, j, s;
    double mean[16], sd[16], *x, *centres, *best = NULL;
    int *assign, c, k;
    kmeans_rng rng;

    for (i = 0; i < n_in; i++) {
        for (j = 0; j < d && !isnan(in[md->cl_in[j]][idx_in[i]]); j++)
            ;
        if (j == d)
            idx[n++] = idx_in[i];
    }
    if (n == 0) {
        free(idx);
        return;
    }
    for (j = 0; j < d; j++) {
        double sum = 0, sq = 0;
        for (i = 0; i < n; i++)
            sum += in[md->cl_in[j]][idx[i]];
        mean[j] = sum / (double)n;
        for (i = 0; i < n; i++) {
            double v = in[md->cl_in[j]][idx[i]] - mean[j];
            sq += v * v;
        }
        sd[j] = sqrt(sq / (double)n);
        if (!(sd[j] > 0))
            sd[j] = 1;
    }
    /* The sample, drawn from the spec's seed and the month. */
    rng.s = sc->seed * 0x100000001b3ULL + (uint64_t)p;
    s = sample_front(idx, n, KM_SAMPLE, &rng);
    x = xmalloc(s * d * sizeof *x);
    for (i = 0; i < s; i++)
        for (j = 0; j < d; j++)
            x[i * d + j] = (in[md->cl_in[j]][idx[i]] - mean[j]) / sd[j];
    assign = xmalloc(s * sizeof *assign);
    centres = xmalloc((size_t)SPEC_KMEANS_MAX_K * d * sizeof *centres);
    if (!*have_prev) {
        if (!sc->k) {
            double best_sil = -2;
            size_t ns = s < SIL_SAMPLE ? s : SIL_SAMPLE;
            best = xmalloc((size_t)SPEC_KMEANS_MAX_K * d * sizeof *best);
            md->autok = 1;
            for (k = sc->k_min; k <= sc->k_max; k++) {
                double sil;
                kmeans_plusplus(x, s, (int)d, k, &rng, centres);
                kmeans_lloyd(x, s, (int)d, k, centres, assign, KM_ITER);
                sil = kmeans_silhouette(x, ns, (int)d, assign, k);
                md->sil[k] = sil;
                if (sil > best_sil + 1e-12) {
                    best_sil = sil;
                    md->k = k;
                    memcpy(best, centres, (size_t)k * d * sizeof *best);
                }
            }
            memcpy(centres, best, (size_t)md->k * d * sizeof *centres);
        } else {
            md->k = sc->k;
            kmeans_plusplus(x, s, (int)d, md->k, &rng, centres);
        }
        md->csize = xcalloc((size_t)md->np * (size_t)md->k, sizeof *md->csize);
        md->cmean = xcalloc((size_t)md->np * (size_t)md->k * d, sizeof *md->cmean);
    } else {
        for (c = 0; c < md->k; c++)
            for (j = 0; j < d; j++)
                centres[(size_t)c * d + j] = (prev[(size_t)c * d + j] - mean[j]) / sd[j];
    }
    kmeans_lloyd(x, s, (int)d, md->k, centres, assign, KM_ITER);
    if (!*have_prev)
        order_by_size(centres, md->k, d, assign, s);
    /* Every customer to its nearest centre; the profiles in original units. */
    {
        double pt[16], *cs = md->csize + (size_t)p * (size_t)md->k;
        double *cm = md->cmean + (size_t)p * (size_t)md->k * d;
        size_t at = (size_t)p * md->ne;
        for (i = 0; i < n; i++) {
            size_t e = idx[i];
            for (j = 0; j < d; j++)
                pt[j] = (in[md->cl_in[j]][e] - mean[j]) / sd[j];
            c = kmeans_nearest(pt, (int)d, centres, md->k);
            md->cl[at + e] = (uint8_t)(c + 1);
            cs[c] += 1;
            for (j = 0; j < d; j++)
                cm[(size_t)c * d + j] += in[md->cl_in[j]][e];
        }
        for (c = 0; c < md->k; c++)
            for (j = 0; j < d; j++)
                cm[(size_t)c * d + j] = cs[c] > 0 ? cm[(size_t)c * d + j] / cs[c] : NAN;
    }
    for (c = 0; c < md->k; c++)
        for (j = 0; j < d; j++)
            prev[(size_t)c * d + j] = centres[(size_t)c * d + j] * sd[j] + mean[j];
    *have_prev = 1;
    free(best);
    free(centres);
    free(assign);
    free(x);
    free(idx);
}

/* The customers of the cut-off month with every churn feature (a seeded
 * sample of CHURN_SAMPLE when there are more): their raw features, kept for
 * the fit. */
static void churn_rows(models *md, double *const *in, const size_t *idx_in, size_t n_in)
{
    size_t *idx = xmalloc((n_in ? n_in : 1) * sizeof *idx), i, j, m = 0, n = 0;
    kmeans_rng rng;

    for (i = 0; i < n_in; i++) {
        for (j = 0; j < md->nch && !isnan(in[md->ch_in[j]][idx_in[i]]); j++)
            ;
        if (j == md->nch)
            idx[n++] = idx_in[i];
    }
    rng.s = md->sm->churn->seed * 0x9e3779b97f4a7c15ULL + 23;
    n = sample_front(idx, n, CHURN_SAMPLE, &rng);
    md->ch_x = xmalloc((n ? n : 1) * md->nch * sizeof *md->ch_x);
    md->ch_y = xmalloc((n ? n : 1) * sizeof *md->ch_y);
    for (i = 0; i < n; i++, m++) {
        for (j = 0; j < md->nch; j++)
            md->ch_x[m * md->nch + j] = in[md->ch_in[j]][idx[i]];
        md->ch_y[m] = (double)idx[i]; /* the entity, until the labels replace it */
    }
    md->ch_n = m;
    free(idx);
}

/* Label the cut-off's customers (1: no activity in the horizon's months),
 * standardise, fit on all but the hold-out, measure the hold-out's AUC. */
static int churn_fit(model *m, models *md, quire_error *err)
{
    const spec_churn *sc = md->sm->churn;
    const facts *f = m->f;
    const size_t ne = md->ne, d = md->nch;
    double *act = xcalloc(ne ? ne : 1, sizeof *act), *buf = xmalloc((ne ? ne : 1) * sizeof *buf);
    double *xtr, *ytr, *xte, *yte, *ste;
    size_t i, j, ntr = 0, nte = 0;
    int lm = facts_measure_index(f, sc->label.name), p, rc = -1;
    kmeans_rng rng;

    for (p = md->tc + 1; p <= md->tc + sc->horizon; p++) {
        facts_load(f, (size_t)lm, p, 0, ne, buf);
        for (i = 0; i < ne; i++)
            act[i] += buf[i] > 0;
    }
    for (i = 0; i < md->ch_n; i++)
        md->ch_y[i] = act[(size_t)md->ch_y[i]] > 0 ? 0 : 1;
    for (j = 0; j < d; j++) {
        double s = 0, sq = 0;
        for (i = 0; i < md->ch_n; i++)
            s += md->ch_x[i * d + j];
        md->ch_mean[j] = md->ch_n ? s / (double)md->ch_n : 0;
        for (i = 0; i < md->ch_n; i++)
            sq += (md->ch_x[i * d + j] - md->ch_mean[j]) * (md->ch_x[i * d + j] - md->ch_mean[j]);
        md->ch_sd[j] = md->ch_n ? sqrt(sq / (double)md->ch_n) : 1;
        if (!(md->ch_sd[j] > 0))
            md->ch_sd[j] = 1;
        for (i = 0; i < md->ch_n; i++)
            md->ch_x[i * d + j] = (md->ch_x[i * d + j] - md->ch_mean[j]) / md->ch_sd[j];
    }
    /* the split: in place, training rows first */
    xtr = xmalloc((md->ch_n + 1) * d * sizeof *xtr);
    ytr = xmalloc((md->ch_n + 1) * sizeof *ytr);
    xte = xmalloc((md->ch_n + 1) * d * sizeof *xte);
    yte = xmalloc((md->ch_n + 1) * sizeof *yte);
    ste = xmalloc((md->ch_n + 1) * sizeof *ste);
    rng.s = sc->seed * 0x9e3779b97f4a7c15ULL + 17;
    for (i = 0; i < md->ch_n; i++) {
        int test = kmeans_uniform(&rng) < sc->holdout;
        memcpy((test ? xte + nte * d : xtr + ntr * d), md->ch_x + i * d, d * sizeof *xtr);
        if (test)
            yte[nte++] = md->ch_y[i];
        else
            ytr[ntr++] = md->ch_y[i];
        md->churned += md->ch_y[i];
    }
    md->n_train = (double)ntr;
    md->n_test = (double)nte;
    if (ntr == 0 || logit_fit_irls(xtr, ytr, ntr, (int)d, sc->l2, &md->lf)) {
        quire_err(err, QUIRE_EXIT_DATA, "churn: no model could be fitted: %zu customers of %s "
                  "have every feature", ntr, "the cut-off month");
        goto out;
    }
    for (i = 0; i < nte; i++)
        ste[i] = logit_predict(&md->lf, xte + i * d);
    md->auc = logit_auc(ste, yte, nte);
    rc = 0;
out:
    free(act);
    free(buf);
    free(xtr);
    free(ytr);
    free(xte);
    free(yte);
    free(ste);
    return rc;
}

/* Score every customer of every fitted month with the churn model. */
static void churn_score(model *m, models *md)
{
    const facts *f = m->f;
    const size_t ne = md->ne, d = md->nch, nf = m->nfields;
    char *need = xcalloc(nf + 1, 1);
    double **in = xcalloc(nf + 1, sizeof *in), z[LOGIT_MAX_FEATURES];
    field_cursor *fc;
    size_t i, j, k;
    int p;

    for (j = 0; j < d; j++)
        need[md->ch_in[j]] = 1;
    for (k = 0; k < nf; k++)
        if (need[k])
            in[k] = xmalloc((ne ? ne : 1) * sizeof **in);
    fc = fields_new(m, need);
    for (p = 0; p < md->np; p++) {
        int32_t end = facts_period_end(f, p);
        float *out = md->churn + (size_t)p * ne;
        fields_advance(fc, p);
        for (i = 0; i < ne; i++)
            out[i] = NAN;
        if (p < md->p0)
            continue;
        for (k = 0; k < nf; k++)
            if (in[k])
                fields_load(fc, k, 0, ne, in[k]);
        for (i = 0; i < ne; i++) {
            if (f->since[i] != FACTS_NO_DATE && f->since[i] > end)
                continue;
            for (j = 0; j < d; j++) {
                double v = in[md->ch_in[j]][i];
                if (isnan(v))
                    break;
                z[j] = (v - md->ch_mean[j]) / md->ch_sd[j];
            }
            if (j == d)
                out[i] = (float)(100 * logit_predict(&md->lf, z));
        }
    }
    fields_free(fc);
    for (k = 0; k < nf; k++)
        free(in[k]);
    free(in);
    free(need);
}

/* BG/NBD and Gamma-Gamma on every customer's purchases up to period p (the
 * report's last month), in weeks from the first purchase; each customer
 * with a purchase gets P(alive), the purchases expected in the horizon and
 * their value. */
static int clv_fit(model *m, models *md, int p, quire_error *err)
{
    const spec_clv *sc = md->sm->clv;
    const facts *f = m->f;
    const size_t ne = md->ne;
    int om = facts_measure_index(f, sc->orders.name), rm = facts_measure_index(f, sc->revenue.name);
    int fm = facts_measure_index(f, sc->first.name), lm = facts_measure_index(f, sc->last.name);
    double *orders = xcalloc(ne + 1, sizeof *orders), *rev = xcalloc(ne + 1, sizeof *rev);
    double *sx = NULL, *stx = NULL, *sT = NULL, *sm = NULL;
    int32_t *first = xmalloc((ne + 1) * sizeof *first), *last = xmalloc((ne + 1) * sizeof *last);
    int32_t end = facts_period_end(f, p);
    const double weeks = (double)sc->horizon * 365.25 / 12 / 7;
    size_t *idx = xmalloc((ne + 1) * sizeof *idx), n = 0, s, i, e;
    kmeans_rng rng = {0x2005};
    int q, j, rc = -1;

    for (e = 0; e < ne; e++)
        first[e] = last[e] = FACTS_NO_DATE;
    for (q = 0; q <= p; q++) {
        const int32_t *d1 = facts_dates(f, (size_t)fm, q), *d2 = facts_dates(f, (size_t)lm, q);
        facts_accumulate(f, (size_t)om, q, orders);
        facts_accumulate(f, (size_t)rm, q, rev);
        for (e = 0; d1 && e < ne; e++)
            if (d1[e] != FACTS_NO_DATE && (first[e] == FACTS_NO_DATE || d1[e] < first[e]))
                first[e] = d1[e];
        for (e = 0; d2 && e < ne; e++)
            if (d2[e] != FACTS_NO_DATE && (last[e] == FACTS_NO_DATE || d2[e] > last[e]))
                last[e] = d2[e];
    }
    for (e = 0; e < ne; e++)
        if (orders[e] >= 1 && first[e] != FACTS_NO_DATE && last[e] != FACTS_NO_DATE)
            idx[n++] = e;
    s = sample_front(idx, n, CLV_SAMPLE, &rng);
    sx = xmalloc((s + 1) * sizeof *sx);
    stx = xmalloc((s + 1) * sizeof *stx);
    sT = xmalloc((s + 1) * sizeof *sT);
    sm = xmalloc((s + 1) * sizeof *sm);
    for (i = 0; i < s; i++) {
        e = idx[i];
        sx[i] = orders[e] - 1;
        stx[i] = (double)(last[e] - first[e]) / 7;
        sT[i] = (double)(end - first[e]) / 7;
        sm[i] = rev[e] / orders[e];
        md->clv_repeat += sx[i] > 0;
    }
    md->clv_n = (double)s;
    if (s == 0) {
        quire_err(err, QUIRE_EXIT_DATA, "clv: no customer has a purchase by the report's last "
                  "month");
        goto out;
    }
    bgnbd_fit(sx, stx, sT, s, &md->bg, &md->bg_ll);
    gg_fit(sx, sm, s, &md->gg, &md->gg_ll);
    for (j = 0; j < 3; j++) {
        md->clv[j] = xmalloc((ne + 1) * sizeof **md->clv);
        for (e = 0; e < ne; e++)
            md->clv[j][e] = NAN;
    }
    for (e = 0; e < ne; e++) {
        double x, tx, T, mean, purchases;
        if (!(orders[e] >= 1 && first[e] != FACTS_NO_DATE && last[e] != FACTS_NO_DATE))
            continue;
        x = orders[e] - 1;
        tx = (double)(last[e] - first[e]) / 7;
        T = (double)(end - first[e]) / 7;
        mean = rev[e] / orders[e];
        purchases = bgnbd_expected(&md->bg, x, tx, T, weeks);
        md->clv[0][e] = (float)bgnbd_palive(&md->bg, x, tx, T);
        md->clv[1][e] = (float)purchases;
        md->clv[2][e] = (float)(purchases * gg_expected(&md->gg, x, mean));
    }
    md->pclv = p;
    rc = 0;
out:
    free(orders);
    free(rev);
    free(first);
    free(last);
    free(idx);
    free(sx);
    free(stx);
    free(sT);
    free(sm);
    return rc;
}

/* Each customer's cohort: the first period with activity, or -1 when there
 * is none or the first may lie before the loaded months (joined before
 * them, or, without a join date, active in the first of them). */
static int *first_active(const model *m, int am, double *buf)
{
    const facts *f = m->f;
    const size_t ne = f->nentities;
    int *first = xmalloc((ne ? ne : 1) * sizeof *first);
    int32_t start = grain_first_day(f->grain, f->month0);
    size_t e;
    int p;

    for (e = 0; e < ne; e++)
        first[e] = -1;
    for (p = 0; p < f->nperiods; p++) {
        facts_load(f, (size_t)am, p, 0, ne, buf);
        for (e = 0; e < ne; e++)
            if (first[e] < 0 && buf[e] > 0)
                first[e] = p;
    }
    for (e = 0; e < ne; e++) {
        if (first[e] < 0)
            continue;
        if (f->since[e] != FACTS_NO_DATE ? f->since[e] < start : first[e] == 0)
            first[e] = -1;
    }
    return first;
}

static int fit(model *m, models *md, quire_error *err)
{
    const spec_models *sm = md->sm;
    const facts *f = m->f;
    const size_t ne = md->ne, nf = m->nfields;
    char *need = xcalloc(nf + 1, 1);
    double **in = xcalloc(nf + 1, sizeof *in), *buf = xmalloc((ne ? ne : 1) * sizeof *buf);
    double *rbuf = NULL, *prev = NULL, t;
    size_t *idx = xmalloc((ne ? ne : 1) * sizeof *idx), k, i;
    int *first = NULL, am = -1, rm = -1, have_prev = 0, p, rc = -1;
    field_cursor *fc = NULL;

#define NEED(var, name)                                                                  \
    do {                                                                                 \
        if (((var) = field_index(m, (name))) < 0) {                                      \
            quire_err(err, QUIRE_EXIT_USAGE, "models: no field \"%s\"", (name));         \
            goto out;                                                                    \
        }                                                                                \
        need[(var)] = 1;                                                                 \
    } while (0)
    if (sm->rfm) {
        NEED(md->rfm_in[0], sm->rfm->recency.name);
        NEED(md->rfm_in[1], sm->rfm->frequency.name);
        NEED(md->rfm_in[2], sm->rfm->monetary.name);
    }
    for (k = 0; k < sm->nthresholds; k++)
        NEED(md->thr_in[k], sm->thresholds[k].field.name);
    for (k = 0; sm->clusters && k < md->nfeat; k++)
        NEED(md->cl_in[k], sm->clusters->features[k].name);
    for (k = 0; sm->churn && k < md->nch; k++)
        NEED(md->ch_in[k], sm->churn->features[k].name);
#undef NEED
    for (k = 0; k < nf; k++)
        if (need[k])
            in[k] = xmalloc((ne ? ne : 1) * sizeof **in);
    if (sm->cohorts) {
        t = now();
        am = facts_measure_index(f, sm->cohorts->active.name);
        rm = sm->cohorts->revenue.name ? facts_measure_index(f, sm->cohorts->revenue.name) : -1;
        first = first_active(m, am, buf);
        if (rm >= 0)
            rbuf = xmalloc((ne ? ne : 1) * sizeof *rbuf);
        md->t.cohorts += now() - t;
    }
    if (sm->clusters)
        prev = xmalloc((size_t)SPEC_KMEANS_MAX_K * md->nfeat * sizeof *prev);
    fc = fields_new(m, need);
    for (p = 0; p < md->np; p++) {
        int32_t end = facts_period_end(f, p);
        size_t n = 0;

        t = now();
        fields_advance(fc, p);
        md->t.inputs += now() - t;
        if (md->co) {
            t = now();
            facts_load(f, (size_t)am, p, 0, ne, buf);
            if (rbuf)
                facts_load(f, (size_t)rm, p, 0, ne, rbuf);
            cohorts_add(md->co, p, first, buf, rbuf, ne);
            md->t.cohorts += now() - t;
        }
        if (p < md->p0 && !(sm->churn && p == md->tc))
            continue;
        t = now();
        for (k = 0; k < nf; k++)
            if (in[k])
                fields_load(fc, k, 0, ne, in[k]);
        for (i = 0; i < ne; i++)
            if (f->since[i] == FACTS_NO_DATE || f->since[i] <= end)
                idx[n++] = i;
        md->t.inputs += now() - t;
        if (sm->churn && p == md->tc) {
            t = now();
            churn_rows(md, in, idx, n);
            md->t.churn += now() - t;
        }
        if (p < md->p0)
            continue;
        if (sm->rfm) {
            size_t nr = 0;
            t = now();
            for (i = 0; i < n; i++) {
                size_t e = idx[i];
                if (!isnan(in[md->rfm_in[0]][e]) && !isnan(in[md->rfm_in[1]][e]) &&
                    !isnan(in[md->rfm_in[2]][e]))
                    idx[nr++] = e;
            }
            /* idx is now the scored customers; the others are put back after */
            fit_rfm(md, p, in, idx, nr, buf);
            md->t.rfm += now() - t;
            if (nr < n) {
                n = 0;
                for (i = 0; i < ne; i++)
                    if (f->since[i] == FACTS_NO_DATE || f->since[i] <= end)
                        idx[n++] = i;
            }
        }
        t = now();
        fit_thresholds(md, p, in, idx, n, buf);
        md->t.thresholds += now() - t;
        if (sm->clusters) {
            t = now();
            fit_clusters(md, p, in, idx, n, prev, &have_prev);
            md->t.clusters += now() - t;
        }
    }
    rc = 0;
out:
    fields_free(fc);
    for (k = 0; k < nf; k++)
        free(in[k]);
    free(in);
    free(need);
    free(buf);
    free(rbuf);
    free(prev);
    free(idx);
    free(first);
    return rc;
}

models *models_fit(model *m, quire_error *err)
{
    const spec_models *sm = m->s->models;
    models *md = xcalloc(1, sizeof *md);
    const int plast = m->p_report + m->nreport - 1;
    size_t t;
    char name[200];

    md->m = m;
    md->ne = m->f->nentities;
    md->np = m->f->nperiods;
    md->p0 = m->p_first;
    md->sm = sm;
    if (!sm)
        return md;
    md->mf = xcalloc(16 + sm->nthresholds, sizeof *md->mf);
    md->thr_in = xcalloc(sm->nthresholds + 1, sizeof *md->thr_in);
    md->thr = xcalloc(sm->nthresholds * (size_t)md->np + 1, sizeof *md->thr);
    md->pclv = -1;
    if (sm->rfm) {
        int j;
        if (rfm_names(m, md, err))
            goto fail;
        for (j = 0; j < 3; j++)
            md->sc[j] = xcalloc((size_t)md->np * md->ne + 1, 1);
        md->grid = xcalloc((size_t)md->np * 50, sizeof *md->grid);
        md->summ = xcalloc((size_t)md->np * md->nnames, sizeof *md->summ);
    }
    if (sm->clusters) {
        md->nfeat = sm->clusters->nfeatures;
        md->cl_in = xcalloc(md->nfeat, sizeof *md->cl_in);
        md->cl = xcalloc((size_t)md->np * md->ne + 1, 1);
    }
    if (sm->cohorts)
        md->co = cohorts_new(md->np, sm->cohorts->months, sm->cohorts->revenue.name != NULL);
    if (sm->churn) {
        md->nch = sm->churn->nfeatures;
        md->ch_in = xcalloc(md->nch, sizeof *md->ch_in);
        md->tc = md->np - 1 - sm->churn->horizon;
        if (md->tc < 0) {
            quire_err(err, QUIRE_EXIT_DATA, "churn: a horizon of %d months needs at least %d "
                      "months of data; the report loads %d", sm->churn->horizon,
                      sm->churn->horizon + 1, md->np);
            goto fail;
        }
    }
    if (fit(m, md, err))
        goto fail;
    if (sm->churn) {
        double t0 = now();
        if (churn_fit(m, md, err))
            goto fail;
        md->churn = xmalloc((size_t)md->np * md->ne * sizeof *md->churn + 1);
        churn_score(m, md);
        md->t.churn += now() - t0;
    }
    if (sm->clv) {
        double t0 = now();
        if (clv_fit(m, md, plast, err))
            goto fail;
        md->t.clv += now() - t0;
    }
    if (sm->clusters && md->k == 0) {
        /* no customer had all the features: one empty cluster */
        md->k = 1;
        md->csize = xcalloc((size_t)md->np, sizeof *md->csize);
        md->cmean = xcalloc((size_t)md->np * md->nfeat, sizeof *md->cmean);
    }
    if (sm->clusters && cluster_names(m, md, plast, err))
        goto fail;
    /* The fields rules and KPIs read. */
    if (sm->rfm) {
        add_field(m, md, "rfm.r", FIELD_MODEL, 1, MF_R, 0, NULL);
        add_field(m, md, "rfm.f", FIELD_MODEL, 1, MF_F, 0, NULL);
        add_field(m, md, "rfm.m", FIELD_MODEL, 1, MF_M, 0, NULL);
        add_field(m, md, "rfm.score", FIELD_MODEL, 1, MF_SCORE, 0, NULL);
        add_field(m, md, "rfm.segment", FIELD_TEXT, 0, MF_SEGMENT, 0,
                  (const char *const *)md->names);
    }
    for (t = 0; t < sm->nthresholds; t++) {
        snprintf(name, sizeof name, "thresholds.%s", sm->thresholds[t].name);
        add_field(m, md, name, FIELD_MODEL, 0, MF_THRESHOLD, (int)t, NULL);
    }
    if (sm->churn)
        add_field(m, md, "churn.score", FIELD_MODEL, 0, MF_CHURN, 0, NULL);
    if (sm->clv) {
        add_field(m, md, "clv.palive", FIELD_MODEL, 0, MF_CLV_PALIVE, 0, NULL);
        add_field(m, md, "clv.purchases", FIELD_MODEL, 0, MF_CLV_PURCHASES, 0, NULL);
        add_field(m, md, "clv.value", FIELD_MODEL, 0, MF_CLV_VALUE, 0, NULL);
    }
    if (sm->clusters) {
        add_field(m, md, "cluster.id", FIELD_MODEL, 1, MF_CLUSTER_ID, 0, NULL);
        add_field(m, md, "cluster.name", FIELD_TEXT, 0, MF_CLUSTER_NAME, 0,
                  (const char *const *)md->cnames);
    }
    return md;
fail:
    models_free(md);
    return NULL;
}

void models_free(models *md)
{
    size_t i;
    int j;

    if (!md)
        return;
    for (j = 0; j < 3; j++)
        free(md->sc[j]);
    for (i = 0; i < md->nnames; i++)
        free(md->names[i]);
    free(md->names);
    free(md->grid);
    free(md->summ);
    free(md->thr_in);
    free(md->thr);
    free(md->cl_in);
    free(md->cl);
    free(md->csize);
    free(md->cmean);
    for (j = 0; md->cnames && j < md->k; j++)
        free(md->cnames[j]);
    free(md->cnames);
    cohorts_free(md->co);
    free(md->ch_in);
    free(md->ch_x);
    free(md->ch_y);
    free(md->churn);
    for (j = 0; j < 3; j++)
        free(md->clv[j]);
    free(md->mf);
    free(md);
}

/* ------------------------------------------------------------ reading */

int models_has_rfm(const models *md)
{
    return md && md->sc[0] != NULL;
}

size_t models_rfm_nsegments(const models *md)
{
    return md ? md->nnames : 0;
}

const char *models_rfm_segment_name(const models *md, size_t i)
{
    return md->names[i];
}

double models_rfm_grid(const models *md, int p, int r, int f, int what)
{
    return md->grid[(((size_t)p * 5 + (size_t)(r - 1)) * 5 + (size_t)(f - 1)) * 2 + (size_t)what];
}

const rfm_summary *models_rfm_summary(const models *md, int p, size_t seg)
{
    return &md->summ[(size_t)p * md->nnames + seg];
}

void models_rfm_of(const models *md, int p, size_t e, int *r, int *f, int *m, const char **seg)
{
    size_t at = (size_t)p * md->ne + e;

    *r = md->sc[0][at];
    *f = md->sc[1][at];
    *m = md->sc[2][at];
    *seg = *r ? md->names[md->seg_of[(*r - 1) * 25 + (*f - 1) * 5 + *m - 1]] : NULL;
}

void models_rfm_fields(const models *md, const char **r, const char **f, const char **m)
{
    *r = md->sm->rfm->recency.name;
    *f = md->sm->rfm->frequency.name;
    *m = md->sm->rfm->monetary.name;
}

int models_nclusters(const models *md)
{
    return md && md->cl ? md->k : 0;
}

size_t models_cluster_nfeatures(const models *md)
{
    return md->nfeat;
}

const char *models_cluster_feature(const models *md, size_t j)
{
    return md->sm->clusters->features[j].name;
}

const char *models_cluster_name(const models *md, int c)
{
    return md->cnames[c];
}

double models_cluster_size(const models *md, int p, int c)
{
    return md->csize ? md->csize[(size_t)p * (size_t)md->k + (size_t)c] : 0;
}

double models_cluster_mean(const models *md, int p, int c, size_t j)
{
    return md->cmean ? md->cmean[((size_t)p * (size_t)md->k + (size_t)c) * md->nfeat + j] : NAN;
}

int models_cluster_of(const models *md, int p, size_t e)
{
    return (int)md->cl[(size_t)p * md->ne + e] - 1;
}

int models_cluster_auto(const models *md, double *sil, int *kmin, int *kmax)
{
    int k;

    if (!md->autok)
        return 0;
    *kmin = md->sm->clusters->k_min;
    *kmax = md->sm->clusters->k_max;
    for (k = *kmin; sil && k <= *kmax; k++)
        sil[k] = md->sil[k];
    return 1;
}

const cohort_table *models_cohorts(const models *md)
{
    return md ? md->co : NULL;
}

const models_times *models_times_of(const models *md)
{
    return &md->t;
}

const models_churn *models_churn_of(const models *md, models_churn *out)
{
    size_t j;

    if (!md || !md->churn)
        return NULL;
    memset(out, 0, sizeof *out);
    out->nfeatures = md->nch;
    for (j = 0; j < md->nch; j++)
        out->features[j] = md->sm->churn->features[j].name;
    out->fit = &md->lf;
    out->auc = md->auc;
    out->n_train = md->n_train;
    out->n_test = md->n_test;
    out->churned = md->churned;
    out->cutoff = md->tc;
    out->horizon = md->sm->churn->horizon;
    return out;
}

double models_churn_score(const models *md, int p, size_t e)
{
    return md && md->churn ? md->churn[(size_t)p * md->ne + e] : NAN;
}

const models_clv *models_clv_of(const models *md, models_clv *out)
{
    if (!md || !md->clv[0])
        return NULL;
    out->bg = md->bg;
    out->gg = md->gg;
    out->bg_ll = md->bg_ll;
    out->gg_ll = md->gg_ll;
    out->n = md->clv_n;
    out->repeat = md->clv_repeat;
    out->horizon = md->sm->clv->horizon;
    out->period = md->pclv;
    return out;
}

double models_clv_value(const models *md, int p, size_t e, int what)
{
    if (!md || !md->clv[0] || p != md->pclv)
        return NAN;
    return md->clv[what][e];
}
