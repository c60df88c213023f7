/*
 * models.h - the models stage: population-level models fitted per month,
 * between the facts and the segment pass (docs/analytics.md).
 *
 * models_fit() reads the fields the spec's models section names for every
 * customer and month (through fields.h, as the segment pass reads them),
 * fits each model per month and adds its per-customer results to the model's
 * fields, so that rules, KPIs' customer functions and KPIs read them like
 * any other field:
 *
 *   rfm.r, rfm.f, rfm.m     the RFM scores, 1-5 (nil for a customer without
 *                           all three values)
 *   rfm.score               100 r + 10 f + m
 *   rfm.segment             the RFM segment's name
 *   thresholds.NAME         the month's cut point of each threshold
 *   cluster.id, cluster.name the customer's cluster (1..k) and its name
 *   churn.score             the churn propensity, 0-100
 *   clv.palive, clv.purchases, clv.value  BG/NBD + Gamma-Gamma, the report's
 *                           last month only
 *
 * The product also holds what the report's model blocks show: the RFM grid
 * and segment summaries, the cluster profiles and the cohort triangle.
 */
#ifndef QUIRE_MODELS_H
#define QUIRE_MODELS_H

#include <stdint.h>

#include "bgnbd.h"
#include "cohorts.h"
#include "logit.h"
#include "model.h"
#include "rfm.h"

typedef struct models models;

/* Per month, the RFM segments' summary. */
typedef struct rfm_summary {
    double customers, recency, frequency, monetary; /* count; sums of the raw values */
} rfm_summary;

/* Fit the spec's models on m's facts (m made by model_new, before
 * kpis_load) and add their fields to m. Returns NULL with err set when a
 * names script fails; a spec without models gives an empty product. */
models *models_fit(model *m, quire_error *err);
void models_free(models *md);
/* Load the models section's scripts (RFM segments, cluster names) in q and
 * check that each returns a function, as a run would (quire validate). */
int models_check_scripts(const spec *s, quire_lua *q, quire_error *err);

/* --- what the blocks and the export read; p is a facts period. */

int models_has_rfm(const models *md);
/* The RFM segment names, in the order of the report's tables. */
size_t models_rfm_nsegments(const models *md);
const char *models_rfm_segment_name(const models *md, size_t i);
/* Customers (what 0) or the sum of the monetary value (what 1) in the cell
 * of R score r and F score f (1-5) in period p. */
double models_rfm_grid(const models *md, int p, int r, int f, int what);
const rfm_summary *models_rfm_summary(const models *md, int p, size_t seg);
/* The customer's scores in period p (0 when not scored) and segment. */
void models_rfm_of(const models *md, int p, size_t e, int *r, int *f, int *m, const char **seg);
/* The recency, frequency and monetary fields' names (for captions). */
void models_rfm_fields(const models *md, const char **r, const char **f, const char **m);

int models_nclusters(const models *md);   /* 0: no clustering */
size_t models_cluster_nfeatures(const models *md);
const char *models_cluster_feature(const models *md, size_t j);
const char *models_cluster_name(const models *md, int c);
double models_cluster_size(const models *md, int p, int c);
/* The mean of feature j over cluster c's members in period p (original units). */
double models_cluster_mean(const models *md, int p, int c, size_t j);
/* The customer's cluster in period p, 0-based, or -1. */
int models_cluster_of(const models *md, int p, size_t e);
/* k was chosen by silhouette (else the spec's); the silhouette of each k tried. */
int models_cluster_auto(const models *md, double *sil, int *kmin, int *kmax);

const cohort_table *models_cohorts(const models *md); /* NULL without */

/* The churn model: its features, fit and hold-out AUC. */
typedef struct models_churn {
    size_t nfeatures;
    const char *features[LOGIT_MAX_FEATURES];
    const logit_fit *fit;    /* coefficients per standard deviation of each feature */
    double auc, n_train, n_test, churned;
    int cutoff, horizon;     /* the cut-off period and the months after it */
} models_churn;
/* Fill out and return it, or NULL without a churn model. */
const models_churn *models_churn_of(const models *md, models_churn *out);
/* The customer's churn score (0-100) in period p, NAN when none. */
double models_churn_score(const models *md, int p, size_t e);

/* The lifetime value models, fitted at the report's last month (period). */
typedef struct models_clv {
    bgnbd_params bg;
    gg_params gg;
    double bg_ll, gg_ll;     /* the maximised log-likelihoods */
    double n, repeat;        /* customers fitted on, of them with a repeat purchase */
    int horizon, period;
} models_clv;
const models_clv *models_clv_of(const models *md, models_clv *out);
/* The customer's P(alive) (what 0), expected purchases (1) or value (2) in
 * the horizon, in period p (NAN but in the report's last month). */
double models_clv_value(const models *md, int p, size_t e, int what);

/* CPU seconds spent per model, for --verbose and the benchmark. */
typedef struct models_times {
    double inputs, rfm, thresholds, clusters, cohorts, churn, clv;
} models_times;
const models_times *models_times_of(const models *md);

#endif
