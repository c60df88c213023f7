/*
 * model.h - segments and KPIs computed from the facts.
 *
 * segment.c calls each segmentation's Lua rule once per entity and month with
 * a record of that entity's features (or reads the entity's attribute, for a
 * segmentation "by" one), stores the segment, calls the KPIs' per-customer
 * functions with the same record, and sums every feature per segment and
 * month. kpi.c then evaluates each KPI script over those sums, per segment
 * and month, for every segmentation.
 *
 * Periods here are the facts' periods (month index = facts->month0 + p).
 */
#ifndef QUIRE_MODEL_H
#define QUIRE_MODEL_H

#include <stddef.h>
#include <stdint.h>

#include "format.h"
#include "error.h"
#include "facts.h"
#include "fields.h"
#include "pass_sums.h"
#include "sandbox.h"
#include "spec.h"

/* A field whose values the models stage computed: load fills out[0..n) with
 * the values of entities [from, from + n) in period p (NAN: none; for a
 * FIELD_TEXT, 1-based codes into texts, 0: none). */
typedef void (*field_load_fn)(const void *src, int p, size_t from, size_t n, double *out);

/* A field of the record (fields.h: spec_fields() gives them, in this order;
 * the models stage adds its own after them) and what the pass does with it. */
typedef struct field {
    char *name;
    field_kind kind;
    int measure;       /* facts measure index, or attribute index (ATTR, TEXT) */
    int window;        /* months (WINDOW) */
    int integral;      /* pushed to Lua as an integer */
    int used;          /* a per-customer script (rule, KPI customer) mentions it */
    int needed;        /* some script mentions it: computed (and summed) */
    field_load_fn load; /* MODEL, and TEXT from a model: where its values come from */
    const void *src;    /* borrowed: load's first argument */
    const char *const *texts; /* TEXT from a model: its labels, borrowed */
} field;

typedef struct kpi_def {
    const spec_kpi *spec;
    char *label;
    char *description;
    quire_unit unit;
    int decimals;
    int higher_is_better;
    int fn_ref;        /* registry reference to value(s, prev), or LUA_NOREF */
    int customer_ref;  /* registry reference to customer(c), or LUA_NOREF */
    char *missing;     /* the fields of "needs" the spec does not provide, or NULL */
} kpi_def;

/* One way of grouping the customers (a spec_segmentation) and what was
 * computed for its groups. Groups are its segments 0..nseg-1, plus group
 * nseg: all customers. */
typedef struct grouping {
    const spec_segmentation *spec;
    int nseg;
    const char **names;  /* borrowed from the spec or the facts */
    quire_rgb *colors;
    int *churned;
    int own_churn;       /* flags churned segments (else the first segmentation's count) */
    int attr;            /* by: the facts attribute; -1 for a rule */
    int *by_code;        /* by: the group of each value code of the attribute */

    int8_t *seg;         /* [p][e]: segment, -1 = not a customer yet (p >= p_first) */
    pass_sums totals;    /* per period and group: counts and sums (pass_sums.h) */
    double *kval;        /* [k][report period][g], NAN = no value */
    double *kcmp;        /* [spec compare][k][report period][g], or NULL: no comparisons */
} grouping;

/* What a table by customer shows, taken from the segment pass in the
 * table's month: one slot per name it uses (its columns, then its
 * conditions, then its sort name); for a chart of a per-customer value
 * (histogram, box, scatter of customers), its value, or its x_value then
 * its value. model_new() lists them, the pass fills them, the document
 * reads them. */
typedef struct model_capture {
    const spec_block *block;
    int p;              /* the facts period */
    size_t nnames;
    const char **names; /* borrowed from the block */
    spec_cust *kinds;
    int *index;         /* NUMBER, TEXT: the field; DATE: its days_since field; KPI: the KPI */
    double **v;         /* per slot, a value per entity (NAN = none; TEXT: the value's code);
                         * NULL for the key and the segments, which the model holds */
} model_capture;

typedef struct model {
    const spec *s;
    const facts *f;
    quire_lua *lua;
    int p_first;       /* first period with segments (the month before the report) */
    int p_report;      /* first report period */
    int nreport;       /* report periods */

    field *fields;
    size_t nfields;

    grouping *groups;  /* per spec segmentation; [0] is "segments" */
    size_t ngroups;

    kpi_def *kpis;
    size_t nkpis;

    model_capture *caps; /* the tables by customer and charts of customers */
    size_t ncaps;

    double rule_seconds; /* time spent in the segment rules, for --verbose */
    double rule_cpu;     /* the same in CPU time, every worker's added up */
    size_t chunks, chunks_lent; /* chunk-months evaluated, and those for another worker */
} model;

model *model_new(const spec *s, const facts *f, quire_error *err);
void model_free(model *m);

/* kpi.c: load the KPI scripts (before segments_assign: it calls their
 * customer functions). */
int kpis_load(model *m, quire_error *err);
/* Load the KPI script of sk and read its table into kd, protected and under
 * the sandbox's limits (the run's KPI stage and quire validate both use it).
 * provides says whether a field of "needs" is there (NULL: do not check).
 * Returns 0, or -1 with err set: a spec error when the table breaks the
 * contract, a script error when the script fails. */
typedef int (*kpi_provides_fn)(const void *ctx, const char *name);
int kpi_read(quire_lua *q, const spec_kpi *sk, kpi_provides_fn provides, const void *ctx,
             kpi_def *kd, quire_error *err);
/* Free what kpi_read() put in kd (its registry references in q). */
void kpi_def_free(quire_lua *q, kpi_def *kd);
/* Load the segment rule at path and leave it on the stack: a function, or
 * -1 with err set (quire validate and the segment pass both use it). */
int rule_load(quire_lua *q, const char *path, quire_error *err);
/* segment.c: run the rules (and the KPIs' customer functions) and aggregate. */
int segments_assign(model *m, quire_error *err);
/* kpi.c: a table by customer names KPI k (spec index) only when it has a
 * customer function; -1 with err set at the name when it has none (the run
 * and quire validate both check). */
int kpi_check_customer_use(const spec *s, size_t k, int has_customer, quire_error *err);
/* kpi.c: evaluate the KPIs for every grouping. */
int kpis_evaluate(model *m, quire_error *err);
/* kpi.c: comparison c (last year, rolling, year to date) of KPI k for group
 * g in report period rp; NAN when its data is missing. */
double model_kpi_compare(const model *m, const grouping *gr, size_t k, spec_compare c, int rp,
                         int g);
/* kpi.c: push the table a KPI's value() receives, for period p and group g. */
void kpi_push_sums(model *m, const grouping *gr, int p, int g);
/* luaapi.c: the "quire" table scripts see in state q: the spec's parameters,
 * the helpers written in C and those of Quire's Lua library. */
int lua_api_install(const spec *s, quire_lua *q, quire_error *err);
/* A sandboxed state as a run makes it for spec s: the spec's limits and
 * seed, the quire table. */
quire_lua *model_lua_new(const spec *s, quire_error *err);

/* Where Quire's Lua library is found, under the program's folder in a build
 * tree and under share/quire once installed. */
#define QUIRE_LUA_LIB_PATH "scripts/lib/quire.lua"

/* luaapi.c: the path of Quire's Lua library (malloc'd): $QUIRE_LUA_LIB, else
 * QUIRE_LUA_LIB_PATH next to the program (a build tree), else in
 * ../share/quire from it (make install); NULL with err set when none can be
 * read. */
char *lua_api_library(quire_error *err);

/* luaapi.c: the answers of a questions block's insights (answers[i] NULL
 * where a question has none; the caller frees them). */
int insights_answer(model *m, const spec_block *b, char **answers, quire_error *err);

/* luaapi.c: load the insight of question i of block b and leave its
 * function on the stack, or -1 with err set (quire validate uses it too). */
int insight_load(quire_lua *q, const spec *s, const spec_block *b, size_t i, quire_error *err);

/* insights.c: the insights stage. Every question of the report that names
 * an insight is answered, once, after the KPIs; the document takes the
 * answers from here. Returns NULL with err set when an insight fails. */
typedef struct insight_answers insight_answers;
insight_answers *insights_run(model *m, quire_error *err);
/* The answers of questions block b (one per question, NULL where none), or
 * NULL when none of its questions names an insight. */
const char *const *insights_for(const insight_answers *a, const spec_block *b);
/* The number of answers given, for the run's summary. */
size_t insights_count(const insight_answers *a);
void insights_free(insight_answers *a);

/* The group's name ("All" for all customers). */
const char *model_group_name(const grouping *gr, int g);

static inline size_t model_pg(const grouping *gr, int p, int g)
{
    return (size_t)p * (size_t)(gr->nseg + 1) + (size_t)g;
}
static inline double model_kpi(const model *m, const grouping *gr, size_t k, int rp, int g)
{
    return gr->kval[((size_t)k * (size_t)m->nreport + (size_t)rp) * (size_t)(gr->nseg + 1) +
                    (size_t)g];
}

#endif
