/*
 * models_spec.c - the spec's `models:` section, read and bound.
 */
#include "fields.h"
#include "models_spec.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static spec_pos pos_of(const ynode *n)
{
    spec_pos p;
    p.line = (int)n->start_mark.line + 1;
    p.col = (int)n->start_mark.column + 1;
    return p;
}

static int text(ydoc *y, ynode *n, const char *what, char **out)
{
    *out = NULL;
    if (n->type != YAML_SCALAR_NODE)
        return ydoc_fail(y, n, 0, "%s must be a scalar, not %s", what, ynode_kind(n));
    return ydoc_text(y, n, what, out);
}

static int number(ydoc *y, ynode *n, const char *what, double lo, double hi, int whole,
                  double *out)
{
    char *t, *end;
    double v;

    if (text(y, n, what, &t))
        return -1;
    errno = 0;
    v = strtod(t, &end);
    if (!*t || *end || errno || !(v >= lo && v <= hi) || (whole && v != (double)(long long)v)) {
        ydoc_fail(y, n, 0, "%s must be a %s from %g to %g, not \"%s\"", what,
                  whole ? "whole number" : "number", lo, hi, t);
        free(t);
        return -1;
    }
    free(t);
    *out = v;
    return 0;
}

/* key of mapping m as a field reference (required unless opt). */
static int field_ref(ydoc *y, ynode *m, const char *key, const char *where, int opt,
                     spec_field_ref *out)
{
    ynode *n = ydoc_get(y, m, key);
    char what[96];

    memset(out, 0, sizeof *out);
    if (!n || ynode_is_null(n))
        return opt ? 0 : ydoc_fail(y, m, 0, "%s needs \"%s\" (a field of the record)", where, key);
    snprintf(what, sizeof what, "\"%s\" of %s", key, where);
    out->pos = pos_of(n);
    return text(y, n, what, &out->name);
}

static int script(ydoc *y, ynode *m, const char *key, const spec *s, char **out, spec_pos *pos)
{
    ynode *n = ydoc_get(y, m, key);
    char *t;

    *out = NULL;
    if (!n || ynode_is_null(n))
        return 0;
    if (text(y, n, key, &t))
        return -1;
    *pos = pos_of(n);
    *out = path_join(s->dir, t);
    free(t);
    return 0;
}

static int parse_rfm(ydoc *y, ynode *n, const spec *s, spec_rfm *r)
{
    static const char *const keys[] = {"recency", "frequency", "monetary", "segments"};

    r->pos = pos_of(n);
    if (n->type != YAML_MAPPING_NODE)
        return ydoc_fail(y, n, 0, "rfm must be a mapping, not %s", ynode_kind(n));
    if (ydoc_check_keys(y, n, "rfm", keys, 4) ||
        field_ref(y, n, "recency", "rfm", 0, &r->recency) ||
        field_ref(y, n, "frequency", "rfm", 0, &r->frequency) ||
        field_ref(y, n, "monetary", "rfm", 0, &r->monetary) ||
        script(y, n, "segments", s, &r->segments, &r->segments_pos))
        return -1;
    return 0;
}

static int parse_thresholds(ydoc *y, ynode *n, spec_models *md)
{
    static const char *const keys[] = {"field", "quantile"};
    yaml_node_pair_t *pr;

    if (n->type != YAML_MAPPING_NODE)
        return ydoc_fail(y, n, 0, "thresholds must be a mapping of names to { field, quantile }, "
                         "not %s", ynode_kind(n));
    for (pr = n->data.mapping.pairs.start; pr < n->data.mapping.pairs.top; pr++) {
        ynode *k = ydoc_node(y, pr->key), *v = ydoc_node(y, pr->value), *q;
        spec_threshold *t;
        const char *name = ynode_text(k);
        size_t i;

        md->thresholds = xrealloc(md->thresholds, (md->nthresholds + 1) * sizeof *md->thresholds);
        t = &md->thresholds[md->nthresholds++];
        memset(t, 0, sizeof *t);
        t->name = xstrdup(name);
        t->pos = pos_of(k);
        for (i = 0; name[i]; i++)
            if (!(name[i] == '_' || (name[i] >= 'a' && name[i] <= 'z') ||
                  (name[i] >= 'A' && name[i] <= 'Z') || (i && name[i] >= '0' && name[i] <= '9')))
                return ydoc_fail(y, k, 0, "a threshold's name must be a Lua name (letters, "
                                 "digits, _), not \"%s\"", name);
        if (v->type != YAML_MAPPING_NODE)
            return ydoc_fail(y, v, 0, "threshold \"%s\" must be { field: NAME, quantile: Q }",
                             name);
        if (ydoc_check_keys(y, v, "a threshold", keys, 2) ||
            field_ref(y, v, "field", "a threshold", 0, &t->field))
            return -1;
        if (!(q = ydoc_get(y, v, "quantile")))
            return ydoc_fail(y, v, 0, "threshold \"%s\" needs \"quantile\" (0 to 1: 0.8 is the "
                             "value 80 %% of customers are at or below)", name);
        if (number(y, q, "\"quantile\"", 0, 1, 0, &t->q))
            return -1;
    }
    return 0;
}

static int field_list(ydoc *y, ynode *m, const char *where, spec_field_ref **out, size_t *n);

static int parse_clusters(ydoc *y, ynode *n, const spec *s, spec_clusters *c)
{
    static const char *const keys[] = {"features", "k", "seed", "names"};
    ynode *kn, *sn;
    double v;

    c->pos = pos_of(n);
    if (n->type != YAML_MAPPING_NODE)
        return ydoc_fail(y, n, 0, "clusters must be a mapping, not %s", ynode_kind(n));
    if (ydoc_check_keys(y, n, "clusters", keys, 4) ||
        script(y, n, "names", s, &c->names, &c->names_pos))
        return -1;
    if (field_list(y, n, "clusters", &c->features, &c->nfeatures))
        return -1;
    c->k_min = 2;
    c->k_max = 8;
    kn = ydoc_get(y, n, "k");
    if (kn && !(kn->type == YAML_SCALAR_NODE && strcmp(ynode_text(kn), "auto") == 0)) {
        if (number(y, kn, "\"k\" (clusters, or auto)", 2, SPEC_KMEANS_MAX_K, 1, &v))
            return -1;
        c->k = (int)v;
    }
    if ((sn = ydoc_get(y, n, "seed")) != NULL) {
        if (number(y, sn, "\"seed\"", 0, 4294967295.0, 1, &v))
            return -1;
        c->seed = (unsigned long long)v;
    }
    return 0;
}

/* A list of 1 to 16 fields. */
static int field_list(ydoc *y, ynode *m, const char *where, spec_field_ref **out, size_t *n)
{
    ynode *fl = ydoc_get(y, m, "features");
    size_t i;

    if (!fl || fl->type != YAML_SEQUENCE_NODE ||
        fl->data.sequence.items.top - fl->data.sequence.items.start < 1)
        return ydoc_fail(y, fl ? fl : m, 0, "%s needs \"features\": a list of fields, "
                         "e.g. [days_since_last_order, orders_12m, revenue_12m]", where);
    *n = (size_t)(fl->data.sequence.items.top - fl->data.sequence.items.start);
    if (*n > 16)
        return ydoc_fail(y, fl, 0, "%s takes at most 16 features, not %zu", where, *n);
    *out = xcalloc(*n, sizeof **out);
    for (i = 0; i < *n; i++) {
        ynode *it = ydoc_node(y, fl->data.sequence.items.start[i]);
        (*out)[i].pos = pos_of(it);
        if (text(y, it, "a feature", &(*out)[i].name))
            return -1;
    }
    return 0;
}

static int parse_churn(ydoc *y, ynode *n, spec_churn *c)
{
    static const char *const keys[] = {"features", "label", "horizon", "l2", "holdout", "seed"};
    ynode *v;
    double d;

    c->pos = pos_of(n);
    c->horizon = 3;
    c->l2 = 1;
    c->holdout = 0.25;
    if (n->type != YAML_MAPPING_NODE)
        return ydoc_fail(y, n, 0, "churn must be a mapping, not %s", ynode_kind(n));
    if (ydoc_check_keys(y, n, "churn", keys, 6) ||
        field_list(y, n, "churn", &c->features, &c->nfeatures) ||
        field_ref(y, n, "label", "churn", 0, &c->label))
        return -1;
    if ((v = ydoc_get(y, n, "horizon")) != NULL) {
        if (number(y, v, "\"horizon\" (months)", 1, 12, 1, &d))
            return -1;
        c->horizon = (int)d;
    }
    if ((v = ydoc_get(y, n, "l2")) != NULL && number(y, v, "\"l2\"", 1e-6, 1e6, 0, &c->l2))
        return -1;
    if ((v = ydoc_get(y, n, "holdout")) != NULL &&
        number(y, v, "\"holdout\"", 0.05, 0.5, 0, &c->holdout))
        return -1;
    if ((v = ydoc_get(y, n, "seed")) != NULL) {
        if (number(y, v, "\"seed\"", 0, 4294967295.0, 1, &d))
            return -1;
        c->seed = (unsigned long long)d;
    }
    return 0;
}

static int parse_clv(ydoc *y, ynode *n, spec_clv *c)
{
    static const char *const keys[] = {"orders", "first", "last", "revenue", "horizon"};
    ynode *v;
    double d;

    c->pos = pos_of(n);
    c->horizon = 12;
    if (n->type != YAML_MAPPING_NODE)
        return ydoc_fail(y, n, 0, "clv must be a mapping, not %s", ynode_kind(n));
    if (ydoc_check_keys(y, n, "clv", keys, 5) ||
        field_ref(y, n, "orders", "clv", 0, &c->orders) ||
        field_ref(y, n, "first", "clv", 0, &c->first) ||
        field_ref(y, n, "last", "clv", 0, &c->last) ||
        field_ref(y, n, "revenue", "clv", 0, &c->revenue))
        return -1;
    if ((v = ydoc_get(y, n, "horizon")) != NULL) {
        if (number(y, v, "\"horizon\" (months)", 1, 60, 1, &d))
            return -1;
        c->horizon = (int)d;
    }
    return 0;
}

static int parse_cohorts(ydoc *y, ynode *n, spec_cohorts *c)
{
    static const char *const keys[] = {"active", "revenue", "months"};
    ynode *mn;
    double v;

    c->pos = pos_of(n);
    c->months = 12;
    if (n->type != YAML_MAPPING_NODE)
        return ydoc_fail(y, n, 0, "cohorts must be a mapping, not %s", ynode_kind(n));
    if (ydoc_check_keys(y, n, "cohorts", keys, 3) ||
        field_ref(y, n, "active", "cohorts", 0, &c->active) ||
        field_ref(y, n, "revenue", "cohorts", 1, &c->revenue))
        return -1;
    if ((mn = ydoc_get(y, n, "months")) != NULL) {
        if (number(y, mn, "\"months\" of cohorts", 1, 36, 1, &v))
            return -1;
        c->months = (int)v;
    }
    return 0;
}

int models_spec_parse(ydoc *y, ynode *n, const spec *s, spec_models **out)
{
    static const char *const keys[] = {"rfm", "thresholds", "clusters", "cohorts", "churn",
                                       "clv"};
    spec_models *md = xcalloc(1, sizeof *md);
    ynode *v;

    *out = md;
    md->pos = pos_of(n);
    if (n->type != YAML_MAPPING_NODE)
        return ydoc_fail(y, n, 0, "models must be a mapping (rfm, thresholds, clusters, "
                         "cohorts, churn, clv), not %s", ynode_kind(n));
    if (ydoc_check_keys(y, n, "models", keys, 6))
        return -1;
    if ((v = ydoc_get(y, n, "rfm")) != NULL) {
        md->rfm = xcalloc(1, sizeof *md->rfm);
        if (parse_rfm(y, v, s, md->rfm))
            return -1;
    }
    if ((v = ydoc_get(y, n, "thresholds")) != NULL && parse_thresholds(y, v, md))
        return -1;
    if ((v = ydoc_get(y, n, "clusters")) != NULL) {
        md->clusters = xcalloc(1, sizeof *md->clusters);
        if (parse_clusters(y, v, s, md->clusters))
            return -1;
    }
    if ((v = ydoc_get(y, n, "cohorts")) != NULL) {
        md->cohorts = xcalloc(1, sizeof *md->cohorts);
        if (parse_cohorts(y, v, md->cohorts))
            return -1;
    }
    if ((v = ydoc_get(y, n, "churn")) != NULL) {
        md->churn = xcalloc(1, sizeof *md->churn);
        if (parse_churn(y, v, md->churn))
            return -1;
    }
    if ((v = ydoc_get(y, n, "clv")) != NULL) {
        md->clv = xcalloc(1, sizeof *md->clv);
        if (parse_clv(y, v, md->clv))
            return -1;
    }
    return 0;
}

void models_spec_free(spec_models *m)
{
    size_t i;

    if (!m)
        return;
    if (m->rfm) {
        free(m->rfm->recency.name);
        free(m->rfm->frequency.name);
        free(m->rfm->monetary.name);
        free(m->rfm->segments);
        free(m->rfm);
    }
    for (i = 0; i < m->nthresholds; i++) {
        free(m->thresholds[i].name);
        free(m->thresholds[i].field.name);
    }
    free(m->thresholds);
    if (m->clusters) {
        for (i = 0; i < m->clusters->nfeatures; i++)
            free(m->clusters->features[i].name);
        free(m->clusters->features);
        free(m->clusters->names);
        free(m->clusters);
    }
    if (m->churn) {
        for (i = 0; i < m->churn->nfeatures; i++)
            free(m->churn->features[i].name);
        free(m->churn->features);
        free(m->churn->label.name);
        free(m->churn);
    }
    if (m->clv) {
        free(m->clv->orders.name);
        free(m->clv->first.name);
        free(m->clv->last.name);
        free(m->clv->revenue.name);
        free(m->clv);
    }
    if (m->cohorts) {
        free(m->cohorts->active.name);
        free(m->cohorts->revenue.name);
        free(m->cohorts);
    }
    free(m);
}

/* ------------------------------------------------------------ bind */

/* The entity measure called name, or NULL (with its fact's source). */
static const spec_measure *find_measure(const spec *s, const char *name, size_t len,
                                        const spec_source **src)
{
    size_t i, k;

    for (i = 0; i < s->nfacts; i++) {
        if (s->facts[i].segment)
            continue;
        for (k = 0; k < s->facts[i].nmeasures; k++) {
            const spec_measure *me = &s->facts[i].measures[k];
            if (strlen(me->name) == len && strncmp(me->name, name, len) == 0) {
                *src = spec_find_source(s, s->facts[i].source);
                return me;
            }
        }
    }
    return NULL;
}

static int is_date_measure(const spec_measure *me, const spec_source *src)
{
    const quire_column *c = me->column ? spec_column(src, me->column) : NULL;
    return (me->agg == AGG_MIN || me->agg == AGG_MAX) && c && c->type == QUIRE_T_DATE;
}

int spec_field_known(const spec *s, const char *name)
{
    /* The record's fields as the segment pass names them (fields.h), so a
     * model reads exactly the fields a rule could. */
    size_t n;
    spec_field *fv = spec_fields(s, &n);
    int k = spec_field_index(fv, n, name), ok = k >= 0 && fv[k].kind != FIELD_TEXT;

    spec_fields_free(fv, n);
    return ok;
}

static int bind_field(const spec *s, const spec_field_ref *r, const char *what, quire_error *err)
{
    if (!r->name || spec_field_known(s, r->name))
        return 0;
    return spec_fail(s, r->pos, err, "%s: \"%s\" is not a field of the record (a measure, "
                     "<measure>_<N>m for a window in features, days_since_<date measure>, "
                     "tenure_months or a number attribute)", what, r->name);
}

/* The measure r names: min (want 1) or max (2) of a date column. */
static int bind_date_measure(const spec *s, const spec_field_ref *r, int want, quire_error *err)
{
    const spec_source *src;
    const spec_measure *me = find_measure(s, r->name, strlen(r->name), &src);

    if (!me || !is_date_measure(me, src) || me->agg != (want == 1 ? AGG_MIN : AGG_MAX))
        return spec_fail(s, r->pos, err,
                         "clv: \"%s\" must be a %s measure of the facts over a date column "
                         "(%s(order_date))", r->name, want == 1 ? "min" : "max",
                         want == 1 ? "min" : "max");
    return 0;
}

/* The measure r names, which must have aggregate agg. */
static int bind_measure(const spec *s, const spec_field_ref *r, agg_kind agg, const char *what,
                        quire_error *err)
{
    const spec_source *src;
    const spec_measure *me;

    if (!r->name)
        return 0;
    me = find_measure(s, r->name, strlen(r->name), &src);
    if (!me || me->agg != agg)
        return spec_fail(s, r->pos, err, "%s: \"%s\" must be a %s measure of the facts", what,
                         r->name, agg == AGG_COUNT ? "count" : "sum");
    return 0;
}

static int readable(const spec *s, spec_pos at, const char *what, const char *path,
                    quire_error *err)
{
    FILE *fp;

    if (!path)
        return 0;
    if (!(fp = fopen(path, "rb")))
        return spec_fail(s, at, err, "%s: cannot read %s: %s", what, path, strerror(errno));
    fclose(fp);
    return 0;
}

/* A model block shows a model the section declares. */
static int bind_blocks(const spec *s, quire_error *err)
{
    const spec_models *md = s->models;
    size_t i, j;

    for (i = 0; i < s->nsections; i++)
        for (j = 0; j < s->sections[i].nblocks; j++) {
            const spec_block *b = &s->sections[i].blocks[j];
            const char *need = NULL;
            if (b->kind != BLOCK_MODEL)
                continue;
            if (!strncmp(b->show, "rfm", 3) && !(md && md->rfm))
                need = "rfm";
            else if (!strcmp(b->show, "clusters") && !(md && md->clusters))
                need = "clusters";
            else if (!strcmp(b->show, "cohorts") && !(md && md->cohorts))
                need = "cohorts";
            else if (!strcmp(b->show, "churn") && !(md && md->churn))
                need = "churn";
            else if (!strcmp(b->show, "clv") && !(md && md->clv))
                need = "clv";
            if (need)
                return spec_fail(s, b->pos, err, "a model block showing %s needs \"%s\" in the "
                                 "spec's models section", b->show, need);
            if (b->value && !strcmp(b->show, "cohorts") && !strcmp(b->value, "revenue") &&
                !md->cohorts->revenue.name)
                return spec_fail(s, b->pos, err, "cohort revenue needs \"revenue\" (a sum measure) "
                                 "in models: cohorts");
        }
    return 0;
}

int models_spec_bind(const spec *s, quire_error *err)
{
    const spec_models *md = s->models;
    size_t i;

    if (!md)
        return bind_blocks(s, err);
    if (md->rfm && (bind_field(s, &md->rfm->recency, "rfm", err) ||
                    bind_field(s, &md->rfm->frequency, "rfm", err) ||
                    bind_field(s, &md->rfm->monetary, "rfm", err) ||
                    readable(s, md->rfm->segments_pos, "rfm segments", md->rfm->segments, err)))
        return -1;
    for (i = 0; i < md->nthresholds; i++) {
        size_t j;
        if (bind_field(s, &md->thresholds[i].field, "threshold", err))
            return -1;
        for (j = 0; j < i; j++)
            if (strcmp(md->thresholds[i].name, md->thresholds[j].name) == 0)
                return spec_fail(s, md->thresholds[i].pos, err,
                                 "threshold \"%s\" is declared twice", md->thresholds[i].name);
    }
    if (md->clusters) {
        for (i = 0; i < md->clusters->nfeatures; i++)
            if (bind_field(s, &md->clusters->features[i], "clusters", err))
                return -1;
        if (readable(s, md->clusters->names_pos, "cluster names", md->clusters->names, err))
            return -1;
    }
    for (i = 0; md->churn && i < md->churn->nfeatures; i++)
        if (bind_field(s, &md->churn->features[i], "churn", err))
            return -1;
    if (md->churn && bind_measure(s, &md->churn->label, AGG_COUNT, "churn", err))
        return -1;
    if (md->clv && (bind_measure(s, &md->clv->orders, AGG_COUNT, "clv", err) ||
                    bind_measure(s, &md->clv->revenue, AGG_SUM, "clv", err) ||
                    bind_date_measure(s, &md->clv->first, 1, err) ||
                    bind_date_measure(s, &md->clv->last, 2, err)))
        return -1;
    if (md->cohorts && (bind_measure(s, &md->cohorts->active, AGG_COUNT, "cohorts", err) ||
                        bind_measure(s, &md->cohorts->revenue, AGG_SUM, "cohorts", err)))
        return -1;
    return bind_blocks(s, err);
}
