/*
 * models_spec.h - the spec's `models:` section: which population-level
 * models the models stage fits (docs/analytics.md).
 *
 * spec_load() reads the section with models_spec_parse() and checks, last,
 * with models_spec_bind(), that every field it names is one the segment
 * rule's record has (so a typo is an error at the spec's line:col before a
 * row is read).
 */
#ifndef QUIRE_MODELS_SPEC_H
#define QUIRE_MODELS_SPEC_H

#include "spec.h"
#include "ydoc.h"

/* A field of the record, named where the spec names it. */
typedef struct spec_field_ref {
    char *name;
    spec_pos pos;
} spec_field_ref;

/* RFM: recency (lower is better), frequency and monetary value, scored 1-5
 * by quintiles of each month's customers. */
typedef struct spec_rfm {
    spec_field_ref recency, frequency, monetary;
    char *segments;          /* resolved path: function(r, f, m) -> a name, or NULL */
    spec_pos segments_pos;
    spec_pos pos;
} spec_rfm;

/* A named cut point: the q-quantile of a field over each month's customers. */
typedef struct spec_threshold {
    char *name;
    spec_field_ref field;
    double q;
    spec_pos pos;
} spec_threshold;

#define SPEC_KMEANS_MAX_K 12

typedef struct spec_clusters {
    spec_field_ref *features;
    size_t nfeatures;
    int k;                   /* 0: chosen by silhouette from k_min to k_max */
    int k_min, k_max;
    unsigned long long seed;
    char *names;             /* resolved path: function(profile) -> a name, or NULL */
    spec_pos names_pos;
    spec_pos pos;
} spec_clusters;

typedef struct spec_cohorts {
    spec_field_ref active;   /* a count measure: active in a month when above 0 */
    spec_field_ref revenue;  /* a sum measure, or name NULL */
    int months;              /* months since the first purchase shown (1-36) */
    spec_pos pos;
} spec_cohorts;

/* Churn propensity: a logistic regression of "no activity in the next
 * horizon months" on features, fitted at the latest month whose next
 * horizon months are in the data. */
typedef struct spec_churn {
    spec_field_ref *features;
    size_t nfeatures;
    spec_field_ref label;    /* a count measure: active in a month when above 0 */
    int horizon;             /* months after the cut-off (1-12) */
    double l2;               /* the penalty, above 0 */
    double holdout;          /* the share of customers kept out of the fit for the AUC */
    unsigned long long seed;
    spec_pos pos;
} spec_churn;

/* Predicted lifetime value: BG/NBD and Gamma-Gamma fitted on each
 * customer's purchases up to the report's last month. */
typedef struct spec_clv {
    spec_field_ref orders;   /* a count measure */
    spec_field_ref first;    /* min of a date column: the first purchase */
    spec_field_ref last;     /* max of a date column: the last purchase */
    spec_field_ref revenue;  /* a sum measure */
    int horizon;             /* months ahead (1-60) */
    spec_pos pos;
} spec_clv;

struct spec_models {
    spec_rfm *rfm;
    spec_threshold *thresholds;
    size_t nthresholds;
    spec_clusters *clusters;
    spec_cohorts *cohorts;
    spec_churn *churn;
    spec_clv *clv;
    spec_pos pos;
};

/* Read the models section n of the spec being loaded (after its facts and
 * features). Returns 0 with *out set, or -1 with the document's error set. */
int models_spec_parse(ydoc *y, ynode *n, const spec *s, spec_models **out);
/* Check the fields the section names against the record's, and its scripts;
 * the model blocks against the models declared. */
int models_spec_bind(const spec *s, quire_error *err);
void models_spec_free(spec_models *m);

/* Whether name is a number field of the record the facts, features and
 * entities of s give: one of spec_fields() (fields.h) that is not text. */
int spec_field_known(const spec *s, const char *name);

#endif
