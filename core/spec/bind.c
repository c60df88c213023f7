/*
 * bind.c - the names a loaded spec uses, resolved against the columns its
 * sources declare, before a row is read.
 *
 * spec_load() reads the YAML and checks each section on its own (keys,
 * types, the names a section declares itself); spec_bind() then checks what
 * one section says of another: that the entity key, `since`, every fact's
 * key, date and measure columns and every `by:` attribute name columns of
 * the right type, that every field a rule table compares is a numeric field
 * of the record (fields.h), and that every script it names (rules, KPIs, insights)
 * can be read. A spec that passes spec_load() is bound, so the stages
 * after it (facts, segments) meet no spec error, and `quire validate` sees
 * every one that `quire run` would.
 */
#include <errno.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fields.h"
#include "models_spec.h"
#include "spec.h"
#include "util.h"

const quire_column *spec_column(const spec_source *src, const char *name)
{
    size_t i;

    for (i = 0; src && name && i < src->ncolumns; i++)
        if (strcmp(src->columns[i].name, name) == 0)
            return &src->columns[i];
    return NULL;
}

static quire_type type_of(const quire_column *c)
{
    return c ? c->type : QUIRE_T_STRING;
}

int spec_fail(const spec *s, spec_pos at, quire_error *err, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    quire_verr_at(err, QUIRE_EXIT_USAGE, s->path, at.line, at.col, fmt, ap);
    va_end(ap);
    return -1;
}

static int bind_entities(const spec *s, quire_error *err)
{
    const spec_source *esrc = spec_find_source(s, s->entity_source);
    const quire_column *kc = spec_column(esrc, s->entity_key), *sc;

    if (kc && kc->type != QUIRE_T_INTEGER && kc->type != QUIRE_T_STRING)
        return spec_fail(s, s->entity_pos, err,
                         "the entity key \"%s\" must be an integer or a string column",
                         s->entity_key);
    if (s->entity_since) {
        sc = spec_column(esrc, s->entity_since);
        if (!sc || sc->type != QUIRE_T_DATE)
            return spec_fail(s, s->entity_pos, err,
                             "\"since\" column \"%s\" of source \"%s\" must be declared as a date",
                             s->entity_since, esrc->name);
    }
    return 0;
}

/* A fact keyed by entity: its key has the entity key's type, its date is a
 * date, and each measure's column has a type the aggregate can fold. */
static int bind_entity_fact(const spec *s, const spec_fact *fd, quire_error *err)
{
    const spec_source *src = spec_find_source(s, fd->source);
    const spec_source *esrc = spec_find_source(s, s->entity_source);
    const quire_column *dc = spec_column(src, fd->date);
    size_t k;

    if (type_of(spec_column(src, fd->key)) != type_of(spec_column(esrc, s->entity_key)))
        return spec_fail(s, fd->pos, err,
                         "key column \"%s\" of source \"%s\" must have the type of the entity key "
                         "\"%s\" (declare it in the source's columns)", fd->key, fd->source,
                         s->entity_key);
    if (!dc || dc->type != QUIRE_T_DATE)
        return spec_fail(s, fd->pos, err,
                         "date column \"%s\" of source \"%s\" must be declared as a date "
                         "(columns: { %s: date })", fd->date, fd->source, fd->date);
    for (k = 0; k < fd->nmeasures; k++) {
        const spec_measure *me = &fd->measures[k];
        const quire_column *mc;

        if (me->agg == AGG_COUNT && !me->column)
            continue;
        mc = spec_column(src, me->column);
        if (!mc || (mc->type == QUIRE_T_STRING && !(me->agg == AGG_COUNT && !me->cmp)) ||
            mc->type == QUIRE_T_BOOLEAN || (me->agg == AGG_SUM && mc->type == QUIRE_T_DATE) ||
            (me->cmp && mc->type == QUIRE_T_DATE))
            return spec_fail(s, me->pos, err, "measure \"%s\" needs column \"%s\" of source \"%s\" "
                             "declared as %s", me->name, me->column, fd->source,
                             me->agg == AGG_SUM || me->cmp ? "integer or number"
                             : me->agg == AGG_COUNT ? "a column" : "integer, number or date");
    }
    return 0;
}

/* A fact about segments: a string segment column, a date, number measures. */
static int bind_segment_fact(const spec *s, const spec_fact *fd, quire_error *err)
{
    const spec_source *src = spec_find_source(s, fd->source);
    const quire_column *nc = spec_column(src, fd->segment), *dc = spec_column(src, fd->date);
    size_t k;

    if (!nc || nc->type != QUIRE_T_STRING)
        return spec_fail(s, fd->pos, err, "the segment column of a fact about segments must be "
                         "declared as a string");
    if (!dc || dc->type != QUIRE_T_DATE)
        return spec_fail(s, fd->pos, err, "the date column of a fact must be declared as a date");
    for (k = 0; k < fd->nmeasures; k++) {
        const spec_measure *me = &fd->measures[k];
        const quire_column *mc;

        if (!me->column)
            continue;
        mc = spec_column(src, me->column);
        if (!mc || mc->type == QUIRE_T_STRING || mc->type == QUIRE_T_BOOLEAN ||
            mc->type == QUIRE_T_DATE)
            return spec_fail(s, me->pos, err, "measure \"%s\" needs column \"%s\" of source \"%s\" "
                             "declared as integer or number", me->name, me->column, fd->source);
    }
    return 0;
}

/* The fields a rule table compares are numeric fields of the record. */
static int bind_rule_table(const spec *s, ruletable *t, quire_error *err)
{
    size_t nf, i, j;
    spec_field *fv = spec_fields(s, &nf);
    int rc = 0;

    for (i = 0; rc == 0 && i < t->nnodes; i++) {
        rt_node *nd = &t->nodes[i];
        spec_pos at;
        if (!nd->field)
            continue;
        at.line = nd->line;
        at.col = nd->col;
        nd->index = spec_field_index(fv, nf, nd->field);
        if (nd->index < 0) {
            const char **names = xcalloc(nf + 1, sizeof *names);
            const char *near;
            strbuf list = {0};
            for (j = 0; j < nf; j++) {
                names[j] = fv[j].name;
                if (fv[j].kind != FIELD_TEXT)
                    sb_printf(&list, "%s%s", list.len ? ", " : "", fv[j].name);
            }
            near = closest_word(nd->field, names, nf);
            if (near)
                rc = spec_fail(s, at, err, "unknown field \"%s\" (did you mean \"%s\"?)", nd->field,
                               near);
            else
                rc = spec_fail(s, at, err, "unknown field \"%s\"; the record has %s", nd->field,
                               list.len ? list.s : "no numeric field");
            sb_free(&list);
            free(names);
        } else if (fv[nd->index].kind == FIELD_TEXT) {
            rc = spec_fail(s, at, err, "\"%s\" is a text attribute; a rule compares numbers (group "
                           "by its values with \"by: %s\")", nd->field, nd->field);
        }
    }
    spec_fields_free(fv, nf);
    return rc;
}

/* A segmentation `by:` an attribute groups by its text values; a rule
 * table's fields are in the record. */
static int bind_segmentations(const spec *s, quire_error *err)
{
    const spec_source *esrc = spec_find_source(s, s->entity_source);
    size_t i;

    for (i = 0; i < s->nsegmentations; i++) {
        const spec_segmentation *sg = &s->segmentations[i];
        if (sg->by && type_of(spec_column(esrc, sg->by)) != QUIRE_T_STRING)
            return spec_fail(s, sg->pos, err,
                             "segmentation \"%s\": \"by\" needs a text attribute (a string column)",
                             sg->name);
        if (sg->table && bind_rule_table(s, sg->table, err))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ tables by customer */

static int is(const char *name, const char *prefix, const char *rest, const char *suffix)
{
    size_t a = strlen(prefix), b = strlen(rest), c = strlen(suffix);

    return strlen(name) == a + b + c && strncmp(name, prefix, a) == 0 &&
           strncmp(name + a, rest, b) == 0 && strcmp(name + a + b, suffix) == 0;
}

/* The record's fields, named as the segment pass names them (lua-api.md). */
static spec_cust record_field(const spec *s, const char *name)
{
    const spec_source *esrc = spec_find_source(s, s->entity_source);
    size_t i, k, w;
    char win[32];

    for (i = 0; i < s->nfacts; i++) {
        const spec_fact *fd = &s->facts[i];
        const spec_source *src = spec_find_source(s, fd->source);
        if (!fd->key)
            continue;
        for (k = 0; k < fd->nmeasures; k++) {
            const spec_measure *me = &fd->measures[k];
            int additive = me->agg == AGG_COUNT || me->agg == AGG_SUM;
            if (me->column && (me->agg == AGG_MIN || me->agg == AGG_MAX) &&
                type_of(spec_column(src, me->column)) == QUIRE_T_DATE) {
                if (strcmp(name, me->name) == 0)
                    return SPEC_CUST_DATE;
                if (is(name, "days_since_", me->name, ""))
                    return SPEC_CUST_NUMBER;
                continue;
            }
            if (strcmp(name, me->name) == 0 ||
                (me->agg == AGG_COUNT && is(name, "has_", me->name, "")))
                return SPEC_CUST_NUMBER;
            for (w = 0; additive && w < s->nwindows; w++) {
                if (s->windows[w] == SPEC_LIFETIME)
                    snprintf(win, sizeof win, "_lifetime");
                else
                    snprintf(win, sizeof win, "_%dm", s->windows[w]);
                if (is(name, "", me->name, win))
                    return SPEC_CUST_NUMBER;
            }
        }
    }
    if (s->entity_since && strcmp(name, "tenure_months") == 0)
        return SPEC_CUST_NUMBER;
    for (i = 0; i < s->nentity_attrs; i++) {
        int text = type_of(spec_column(esrc, s->entity_attrs[i])) == QUIRE_T_STRING;
        if (strcmp(name, s->entity_attrs[i]) == 0)
            return text ? SPEC_CUST_TEXT : SPEC_CUST_NUMBER;
        if (!text && is(name, "has_", s->entity_attrs[i], ""))
            return SPEC_CUST_NUMBER;
    }
    return SPEC_CUST_NONE;
}

spec_cust spec_customer_field(const spec *s, const char *name)
{
    size_t i;

    if (strcmp(name, s->entity_key) == 0)
        return SPEC_CUST_KEY;
    if (strcmp(name, "segment") == 0)
        return SPEC_CUST_SEGMENT;
    if (strcmp(name, "prev_segment") == 0)
        return SPEC_CUST_PREV;
    for (i = 0; i < s->nkpis; i++)
        if (strcmp(name, s->kpis[i].name) == 0)
            return SPEC_CUST_KPI;
    return record_field(s, name);
}

static int text_kind(const spec *s, spec_cust k)
{
    const spec_source *esrc = spec_find_source(s, s->entity_source);

    return k == SPEC_CUST_SEGMENT || k == SPEC_CUST_PREV || k == SPEC_CUST_TEXT ||
           (k == SPEC_CUST_KEY && type_of(spec_column(esrc, s->entity_key)) == QUIRE_T_STRING);
}

static int unknown_column(const spec *s, spec_pos at, const char *what, const char *name,
                          quire_error *err)
{
    return spec_fail(s, at, err, "%s \"%s\" is none of what a table by customer shows: the key "
                     "(%s), segment, prev_segment, a field of the record (a measure, a window, "
                     "days_since_..., an attribute) or a KPI", what, name, s->entity_key);
}

/* A table by customer: every name it uses is something a customer has. */
static int bind_customer_table(const spec *s, const spec_block *b, quire_error *err)
{
    size_t i;
    spec_cust k;

    for (i = 0; i < b->ncolumns; i++)
        if (!spec_customer_field(s, b->columns[i]))
            return unknown_column(s, b->colfmt[i].pos, "column", b->columns[i], err);
    for (i = 0; i < b->nwhere; i++) {
        const spec_cond *cd = &b->where[i];
        if (!(k = spec_customer_field(s, cd->name)))
            return unknown_column(s, cd->pos, "condition on", cd->name, err);
        if (!text_kind(s, k) && isnan(cd->num) && k != SPEC_CUST_DATE)
            return spec_fail(s, cd->pos, err, "\"%s\" is a number; compare it with a number, not "
                             "\"%s\"", cd->name, cd->text);
        if (k == SPEC_CUST_DATE)
            return spec_fail(s, cd->pos, err, "\"%s\" is a date; filter on days_since_%s instead",
                             cd->name, cd->name);
    }
    if (b->sort && !spec_customer_field(s, b->sort))
        return unknown_column(s, b->sort_pos, "sort by", b->sort, err);
    return 0;
}

/*
 * A chart's per-customer value (histogram, box, scatter of customers): a
 * number a customer has, named as a table by customer names its columns;
 * an unknown name gets the nearest of those names as a hint.
 */
static int bind_chart_value(const spec *s, spec_pos at, const char *name, quire_error *err)
{
    spec_cust k = spec_customer_field(s, name);
    size_t nf, i, n = 0;
    spec_field *fv;
    const char **names, *near;
    int rc;

    if (k == SPEC_CUST_NUMBER || k == SPEC_CUST_KPI)
        return 0;
    if (k == SPEC_CUST_DATE)
        return spec_fail(s, at, err, "\"%s\" is a date; chart days_since_%s instead", name, name);
    if (k != SPEC_CUST_NONE)
        return spec_fail(s, at, err, "\"%s\" is not a number: a chart of customers needs a number "
                         "each customer has (a field of the record or a KPI with a customer "
                         "function)", name);
    fv = spec_fields(s, &nf);
    names = xcalloc(nf + s->nkpis + 1, sizeof *names);
    for (i = 0; i < nf; i++)
        if (fv[i].kind != FIELD_TEXT && spec_customer_field(s, fv[i].name) == SPEC_CUST_NUMBER)
            names[n++] = fv[i].name;
    for (i = 0; i < s->nkpis; i++)
        names[n++] = s->kpis[i].name;
    near = closest_word(name, names, n);
    if (near)
        rc = spec_fail(s, at, err, "\"%s\" is no value a customer has (did you mean \"%s\"?)", name,
                       near);
    else
        rc = spec_fail(s, at, err, "\"%s\" is no value a customer has: a field of the record (a "
                       "measure, a window, days_since_..., a numeric attribute) or a KPI", name);
    free(names);
    spec_fields_free(fv, nf);
    return rc;
}

static int bind_tables(const spec *s, quire_error *err)
{
    size_t i, j;

    for (i = 0; i < s->nsections; i++)
        for (j = 0; j < s->sections[i].nblocks; j++) {
            const spec_block *b = &s->sections[i].blocks[j];
            if (b->kind == BLOCK_TABLE && b->by_customer && bind_customer_table(s, b, err))
                return -1;
            if (b->kind == BLOCK_CHART && b->value &&
                (bind_chart_value(s, b->value_pos, b->value, err) ||
                 (b->x_value && bind_chart_value(s, b->x_value_pos, b->x_value, err))))
                return -1;
        }
    return 0;
}

/* A script the spec names can be read: a missing one is the spec's error,
 * at the line that names it. */
static int bind_script(const spec *s, spec_pos at, const char *what, const char *path,
                       quire_error *err)
{
    FILE *fp = fopen(path, "rb");
    const char *base = strrchr(path, '/');

    base = base ? base + 1 : path;
    if (!fp && !strchr(base, '.'))
        /* "kpis: { churn_rate: churn_rate }": a name where a path belongs */
        return spec_fail(s, at, err, "%s: cannot read %s: %s (a script is named by its path, "
                         "relative to the spec, e.g. ../scripts/kpis/%s.lua)", what, path,
                         strerror(errno), base);
    if (!fp)
        return spec_fail(s, at, err, "%s: cannot read %s: %s", what, path, strerror(errno));
    fclose(fp);
    return 0;
}

static int bind_scripts(const spec *s, quire_error *err)
{
    char what[300];
    size_t i, j, k;

    for (i = 0; i < s->nsegmentations; i++) {
        const spec_segmentation *sg = &s->segmentations[i];
        snprintf(what, sizeof what, "the segment rule of \"%s\"", sg->name);
        if (sg->rule && bind_script(s, sg->rule_pos, what, sg->rule, err))
            return -1;
    }
    for (i = 0; i < s->nkpis; i++) {
        snprintf(what, sizeof what, "KPI \"%s\"", s->kpis[i].name);
        if (bind_script(s, s->kpis[i].pos, what, s->kpis[i].script, err))
            return -1;
    }
    for (i = 0; i < s->nsections; i++)
        for (j = 0; j < s->sections[i].nblocks; j++) {
            const spec_block *b = &s->sections[i].blocks[j];
            for (k = 0; b->insights && k < b->nitems; k++) {
                const spec_insight *in = &b->insights[k];
                snprintf(what, sizeof what, "the insight for \"%s\"", b->items[k]);
                if (in->script && bind_script(s, in->pos, what, in->script, err))
                    return -1;
            }
        }
    return 0;
}

int spec_bind(const spec *s, quire_error *err)
{
    size_t i;

    if (bind_entities(s, err))
        return -1;
    for (i = 0; i < s->nfacts; i++) {
        const spec_fact *fd = &s->facts[i];
        if (fd->segment ? bind_segment_fact(s, fd, err) : bind_entity_fact(s, fd, err))
            return -1;
    }
    if (bind_segmentations(s, err) || bind_tables(s, err) || models_spec_bind(s, err))
        return -1;
    return bind_scripts(s, err);
}
