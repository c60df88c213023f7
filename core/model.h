/*
 * model.h - segments and KPIs computed from the facts.
 *
 * segment.c calls the spec's Lua rule once per entity and month with a record
 * of that entity's features, stores the segment it returns, and sums every
 * feature per segment and month. kpi.c then evaluates each KPI script over
 * those sums, per segment and month.
 *
 * Periods here are the facts' periods (month index = facts->month0 + p).
 * Groups are the spec's segments 0..nseg-1, plus group nseg: all customers.
 */
#ifndef QUIRE_MODEL_H
#define QUIRE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "doc.h"
#include "error.h"
#include "facts.h"
#include "sandbox.h"
#include "spec.h"

typedef enum field_kind {
    FIELD_MEASURE = 0, /* the measure's value in the month */
    FIELD_WINDOW,      /* over the last N months, this one included */
    FIELD_DAYS_SINCE,  /* days from the month's end to the latest date so far */
    FIELD_TENURE,      /* whole months since the entity's start */
    FIELD_HAS          /* 1 when the count measure is above zero in the month */
} field_kind;

typedef struct field {
    char *name;
    field_kind kind;
    int measure;       /* facts measure index (not for TENURE) */
    int window;        /* months (WINDOW) */
    int integral;      /* pushed to Lua as an integer */
    int used;          /* the rule's script mentions it */
    int needed;        /* the rule or a KPI script mentions it: computed and summed */
} field;

typedef struct kpi_def {
    const spec_kpi *spec;
    char *label;
    char *description;
    quire_unit unit;
    int decimals;
    int higher_is_better;
    int fn_ref;        /* registry reference to value(s, prev) */
} kpi_def;

typedef struct model {
    const spec *s;
    const facts *f;
    quire_lua *lua;
    int nseg;          /* groups = nseg + 1 */
    int p_first;       /* first period with segments (the month before the report) */
    int p_report;      /* first report period */
    int nreport;       /* report periods */

    field *fields;
    size_t nfields;

    int8_t *seg;       /* [p][e]: segment, -1 = not a customer yet (p >= p_first) */
    /* per period and group */
    double *customers, *prev_customers, *retained; /* [p][g] */
    double *sums;      /* [p][g][field] */
    /* [p][g][field]: this month's fields summed over last month's members of g */
    double *cohort;

    kpi_def *kpis;
    size_t nkpis;
    double *kval;      /* [k][report period][g], NAN = no value */

    double rule_seconds; /* time spent in the segment rule, for --verbose */
} model;

model *model_new(const spec *s, const facts *f, quire_error *err);
void model_free(model *m);

/* segment.c: run the rule and aggregate. */
int segments_assign(model *m, quire_error *err);
/* kpi.c: load the KPI scripts and evaluate them. */
int kpis_evaluate(model *m, quire_error *err);

static inline double model_kpi(const model *m, size_t k, int rp, int g)
{
    return m->kval[((size_t)k * (size_t)m->nreport + (size_t)rp) * (size_t)(m->nseg + 1) + (size_t)g];
}
static inline size_t model_pg(const model *m, int p, int g)
{
    return (size_t)p * (size_t)(m->nseg + 1) + (size_t)g;
}

#endif
