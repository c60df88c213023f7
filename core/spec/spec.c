/*
 * spec.c - loading and validating a report spec (YAML, via libyaml).
 *
 * The file is loaded as a libyaml document (a node tree with positions), then
 * walked: parameters first, so that ${name} can be substituted in every other
 * scalar, then each top-level key. Every key of every mapping is checked
 * against the keys allowed there.
 */
#include "spec.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "models_spec.h"
#include "rowsel.h"
#include "schedule.h"
#include "util.h"
#include "ydoc.h"

typedef struct ctx {
    ydoc y;
    spec *s;
    char period[64];  /* ${period}, once periods is read */
} ctx;

typedef ynode node;

/* ------------------------------------------------------------ helpers */

static spec_pos pos_of(const node *n)
{
    spec_pos p;
    p.line = (int)n->start_mark.line + 1;
    p.col = (int)n->start_mark.column + 1;
    return p;
}

#define fail(c, n, ...) ydoc_fail(&(c)->y, n, 0, __VA_ARGS__)

static node *nd(ctx *c, yaml_node_item_t id)
{
    return ydoc_node(&c->y, id);
}

static int want(ctx *c, const node *n, yaml_node_type_t t, const char *what)
{
    static const char *names[] = {"", "a scalar", "a list", "a mapping"};
    if (n->type == t)
        return 0;
    return fail(c, n, "%s must be %s, not %s", what, names[t], ynode_kind(n));
}

static int check_keys(ctx *c, node *m, const char *where, const char *const *allowed, size_t n)
{
    return ydoc_check_keys(&c->y, m, where, allowed, n);
}

static node *get(ctx *c, node *m, const char *key)
{
    return ydoc_get(&c->y, m, key);
}

static const spec_param *find_param(const spec *s, const char *name, size_t len)
{
    size_t i;
    for (i = 0; i < s->nparams; i++)
        if (strlen(s->params[i].name) == len && strncmp(s->params[i].name, name, len) == 0)
            return &s->params[i];
    return NULL;
}

/* The scalar's text with ${param} substituted; a new string. */
static int scalar(ctx *c, node *n, const char *what, char **out)
{
    *out = NULL;
    if (want(c, n, YAML_SCALAR_NODE, what))
        return -1;
    return ydoc_text(&c->y, n, what, out);
}

static int get_str(ctx *c, node *m, const char *key, int required, const char *where, char **out)
{
    node *v = get(c, m, key);
    char what[160];

    *out = NULL;
    if (!v || ynode_is_null(v)) {
        if (required)
            return fail(c, m, "%s needs \"%s\"", where, key);
        return 0;
    }
    snprintf(what, sizeof what, "\"%s\" of %s", key, where);
    return scalar(c, v, what, out);
}

static int to_long(ctx *c, node *n, const char *what, long lo, long hi, long *out)
{
    char *s, *end;
    long v;

    if (scalar(c, n, what, &s))
        return -1;
    errno = 0;
    v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi) {
        fail(c, n, "%s must be a whole number from %ld to %ld, not \"%s\"", what, lo, hi, s);
        free(s);
        return -1;
    }
    free(s);
    *out = v;
    return 0;
}

static int to_double(ctx *c, node *n, const char *what, double lo, double hi, double *out)
{
    char *s, *end;
    double v;

    if (scalar(c, n, what, &s))
        return -1;
    v = strtod(s, &end);
    if (!*s || *end || !(v >= lo && v <= hi)) {
        fail(c, n, "%s must be a number from %g to %g, not \"%s\"", what, lo, hi, s);
        free(s);
        return -1;
    }
    free(s);
    *out = v;
    return 0;
}

static int to_bool(ctx *c, node *n, const char *what, int *out)
{
    char *s;
    int rc = 0;

    if (scalar(c, n, what, &s))
        return -1;
    if (!strcmp(s, "true") || !strcmp(s, "yes"))
        *out = 1;
    else if (!strcmp(s, "false") || !strcmp(s, "no"))
        *out = 0;
    else
        rc = fail(c, n, "%s must be true or false, not \"%s\"", what, s);
    free(s);
    return rc;
}

/* ------------------------------------------------------------ parameters */

static const char *const param_types[] = {"string", "integer", "number", "date", "month", "path"};

/* Check a parameter value against its type; NULL if fine, else what it should be. */
static const char *param_check(param_type t, const char *v)
{
    char *end;
    int32_t d;

    switch (t) {
    case PARAM_INTEGER:
        strtoll(v, &end, 10);
        return (*v && !*end) ? NULL : "a whole number";
    case PARAM_NUMBER:
        strtod(v, &end);
        return (*v && !*end) ? NULL : "a number";
    case PARAM_DATE:
        return parse_date(v, &d) == 0 ? NULL : "a date (YYYY-MM-DD)";
    case PARAM_MONTH:
        return parse_month(v) >= 0 ? NULL : "a month (YYYY-MM)";
    default:
        return NULL;
    }
}

/* ${name:format}: a month or date parameter in words (date.h). */
static int format_param(void *arg, size_t i, const char *fmt, size_t len, char *buf, size_t n,
                        char *msg, size_t msgn)
{
    const ctx *c = arg;
    const spec_param *prm = i < c->s->nparams ? &c->s->params[i] : NULL;
    int32_t days = 0;
    int y, mo, d = 0, month = -1;

    if (!prm) {
        snprintf(msg, msgn, "${period:%.*s}: ${period} takes no format", (int)len, fmt);
        return -1;
    }
    if (prm->type == PARAM_MONTH)
        month = parse_month(prm->value);
    else if (prm->type == PARAM_DATE && parse_date(prm->value, &days) == 0) {
        civil_from_days(days, &y, &mo, &d);
        month = y * 12 + mo - 1;
    }
    if (prm->type != PARAM_MONTH && prm->type != PARAM_DATE) {
        snprintf(msg, msgn, "${%s:%.*s}: only month and date parameters take a format, and "
                 "\"%s\" is a %s parameter", prm->name, (int)len, fmt, prm->name,
                 param_types[prm->type]);
        return -1;
    }
    if (month < 0 || format_month_as(buf, n, month, d, fmt, len)) {
        snprintf(msg, msgn, "${%s:%.*s}: unknown format \"%.*s\"; formats: %s", prm->name,
                 (int)len, fmt, (int)len, fmt, DATE_FORMATS);
        return -1;
    }
    return 0;
}

/* What ${name} stands for in the rest of the spec: the parameters, and
 * ${period} once periods is read. */
static void publish_params(ctx *c)
{
    const spec *s = c->s;
    const char **names = xcalloc(s->nparams + 2, sizeof *names);
    const char **values = xcalloc(s->nparams + 2, sizeof *values);
    size_t i;

    for (i = 0; i < s->nparams; i++) {
        names[i] = s->params[i].name;
        values[i] = s->params[i].value;
    }
    if (c->period[0]) {
        names[i] = "period";
        values[i++] = c->period;
    }
    ydoc_set_params(&c->y, names, values, i);
    ydoc_set_format(&c->y, format_param, c);
    free(names);
    free(values);
}

/* Whether v is one of prm's choices. */
static int is_choice(const spec_param *prm, const char *v)
{
    size_t i;
    for (i = 0; i < prm->nchoices; i++)
        if (strcmp(prm->choices[i], v) == 0)
            return 1;
    return 0;
}

/* "a, b or c", for a message. */
static void choice_list(strbuf *b, const spec_param *prm)
{
    size_t i;
    for (i = 0; i < prm->nchoices; i++)
        sb_printf(b, "%s\"%s\"", i == 0 ? "" : i + 1 == prm->nchoices ? " or " : ", ",
                  prm->choices[i]);
}

/* choices: a list of the values a parameter may take, each of its type. */
static int load_choices(ctx *c, spec_param *prm, node *l)
{
    yaml_node_item_t *it;
    size_t n;

    if (want(c, l, YAML_SEQUENCE_NODE, "a parameter's choices"))
        return -1;
    n = (size_t)(l->data.sequence.items.top - l->data.sequence.items.start);
    if (n == 0)
        return fail(c, l, "choices of parameter \"%s\" must list at least one value", prm->name);
    prm->choices = xcalloc(n, sizeof *prm->choices);
    for (it = l->data.sequence.items.start; it < l->data.sequence.items.top; it++) {
        node *e = nd(c, *it);
        const char *bad;
        if (want(c, e, YAML_SCALAR_NODE, "a choice"))
            return -1;
        if ((bad = param_check(prm->type, ynode_text(e))) != NULL)
            return fail(c, e, "choice \"%s\" of parameter \"%s\" must be %s", ynode_text(e),
                        prm->name, bad);
        if (is_choice(prm, ynode_text(e)))
            return fail(c, e, "choice \"%s\" of parameter \"%s\" is listed twice",
                        ynode_text(e), prm->name);
        prm->choices[prm->nchoices++] = xstrdup(ynode_text(e));
    }
    return 0;
}

static int load_params(ctx *c, node *m, const spec_override *ov, size_t nov)
{
    static const char *const keys[] = {"type", "default", "help", "choices"};
    spec *s = c->s;
    yaml_node_pair_t *p;
    size_t i, n = 0;

    if (want(c, m, YAML_MAPPING_NODE, "parameters"))
        return -1;
    n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
    s->params = xcalloc(n, sizeof *s->params);
    for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        node *k = nd(c, p->key), *v = nd(c, p->value);
        spec_param *prm = &s->params[s->nparams];
        const char *bad;

        if (want(c, k, YAML_SCALAR_NODE, "a parameter name"))
            return -1;
        prm->name = xstrdup(ynode_text(k));
        prm->pos = pos_of(k);
        s->nparams++;
        if (strcmp(prm->name, "period") == 0)
            return fail(c, k, "\"period\" is the report's period (${period}); give the "
                        "parameter another name");
        if (v->type == YAML_SCALAR_NODE) {
            prm->type = PARAM_STRING;
            prm->value = ynode_is_null(v) ? NULL : xstrdup(ynode_text(v));
        } else if (v->type == YAML_MAPPING_NODE) {
            node *t = get(c, v, "type"), *d = get(c, v, "default"), *h = get(c, v, "help");
            node *ch = get(c, v, "choices");
            if (check_keys(c, v, "a parameter", keys, 4))
                return -1;
            if (t) {
                size_t j;
                if (want(c, t, YAML_SCALAR_NODE, "a parameter's type"))
                    return -1;
                for (j = 0; j < 6; j++)
                    if (strcmp(ynode_text(t), param_types[j]) == 0)
                        break;
                if (j == 6) {
                    const char *hint = closest_word(ynode_text(t), param_types, 6);
                    return fail(c, t, "unknown parameter type \"%s\"%s%s%s; types: string, integer, "
                                "number, date, month, path", ynode_text(t), hint ? " (did you mean \"" : "",
                                hint ? hint : "", hint ? "\"?)" : "");
                }
                prm->type = (param_type)j;
            }
            if (d) {
                if (want(c, d, YAML_SCALAR_NODE, "a parameter's default"))
                    return -1;
                prm->value = ynode_is_null(d) ? NULL : xstrdup(ynode_text(d));
            }
            if (h) {
                if (want(c, h, YAML_SCALAR_NODE, "a parameter's help"))
                    return -1;
                prm->help = xstrdup(ynode_text(h));
            }
            if (ch && load_choices(c, prm, ch))
                return -1;
        } else {
            return fail(c, v, "parameter \"%s\" must be a value or a mapping with type, default, help",
                        prm->name);
        }
        if (prm->value && (bad = param_check(prm->type, prm->value)) != NULL)
            return fail(c, v, "default of parameter \"%s\" must be %s, not \"%s\"", prm->name, bad,
                        prm->value);
        if (prm->value && prm->nchoices && !is_choice(prm, prm->value)) {
            strbuf b = {0};
            choice_list(&b, prm);
            fail(c, v, "default of parameter \"%s\" must be one of %s, not \"%s\"", prm->name,
                 b.s, prm->value);
            sb_free(&b);
            return -1;
        }
    }
    for (i = 0; i < nov; i++) {
        spec_param *prm = (spec_param *)find_param(s, ov[i].name, strlen(ov[i].name));
        const char *bad;

        if (!prm) {
            const char **names = xmalloc((s->nparams + 1) * sizeof *names);
            const char *hint;
            size_t j;
            for (j = 0; j < s->nparams; j++)
                names[j] = s->params[j].name;
            hint = closest_word(ov[i].name, names, s->nparams);
            quire_err_at(c->y.err, QUIRE_EXIT_USAGE, c->y.file, 0, 0,
                         "--param %s: the spec has no parameter \"%s\"%s%s%s", ov[i].name,
                         ov[i].name, hint ? "; did you mean \"" : "", hint ? hint : "",
                         hint ? "\"?" : "");
            free(names);
            return -1;
        }
        /* A value the parameter cannot take is reported at the parameter's
         * declaration, which says what it may be. */
        if ((bad = param_check(prm->type, ov[i].value)) != NULL)
            return quire_err_at(c->y.err, QUIRE_EXIT_USAGE, c->y.file, prm->pos.line,
                                prm->pos.col, "--param %s=%s: must be %s", ov[i].name,
                                ov[i].value, bad);
        if (prm->nchoices && !is_choice(prm, ov[i].value)) {
            strbuf b = {0};
            choice_list(&b, prm);
            quire_err_at(c->y.err, QUIRE_EXIT_USAGE, c->y.file, prm->pos.line, prm->pos.col,
                         "--param %s=%s: must be one of %s", ov[i].name, ov[i].value, b.s);
            sb_free(&b);
            return -1;
        }
        free(prm->value);
        /* A path given on the command line is relative to the working folder;
         * make it absolute so it does not resolve against the spec's folder. */
        if (prm->type == PARAM_PATH && ov[i].value[0] != '/') {
            char cwd[4096];
            if (getcwd(cwd, sizeof cwd))
                prm->value = xasprintf("%s/%s", cwd, ov[i].value);
            else
                prm->value = xstrdup(ov[i].value);
        } else {
            prm->value = xstrdup(ov[i].value);
        }
    }
    /* What ${name} stands for in the rest of the spec. */
    publish_params(c);
    return 0;
}

/* ------------------------------------------------------------ sources */

static const char *const col_types[] = {"string", "integer", "number", "date", "boolean"};

static int load_column(ctx *c, node *k, node *v, quire_column *col)
{
    static const char *const keys[] = {"type", "format"};
    node *t = v;
    size_t j;

    col->name = xstrdup(ynode_text(k));
    if (v->type == YAML_MAPPING_NODE) {
        if (check_keys(c, v, "a column", keys, 2))
            return -1;
        t = get(c, v, "type");
        if (!t)
            return fail(c, v, "column \"%s\" needs a \"type\"", col->name);
        if (get(c, v, "format")) {
            char *f;
            if (scalar(c, get(c, v, "format"), "a column's format", &f))
                return -1;
            col->format = f;
        }
    }
    if (want(c, t, YAML_SCALAR_NODE, "a column's type"))
        return -1;
    for (j = 0; j < 5; j++)
        if (strcmp(ynode_text(t), col_types[j]) == 0)
            break;
    if (j == 5) {
        const char *hint = closest_word(ynode_text(t), col_types, 5);
        return fail(c, t, "unknown column type \"%s\"%s%s%s; types: string, integer, number, date, "
                    "boolean", ynode_text(t), hint ? " (did you mean \"" : "", hint ? hint : "",
                    hint ? "\"?)" : "");
    }
    col->type = (quire_type)j;
    return 0;
}

static int load_names(ctx *c, node *l, const char *what, char ***out, size_t *n);

const char *const spec_source_keys[SPEC_SOURCE_NKEYS] = {
    "plugin", "columns", "derive", "where", "distinct", "parts", "pushdown"};

int spec_is_source_key(const char *key)
{
    size_t i;

    for (i = 0; i < SPEC_SOURCE_NKEYS; i++)
        if (strcmp(spec_source_keys[i], key) == 0)
            return 1;
    return 0;
}

/* A source's option: key and value as written, ${param} substituted. */
static int load_option(ctx *c, node *qk, node *qv, const char *source, spec_option *o)
{
    char what[160];

    snprintf(what, sizeof what, "option \"%s\" of source \"%s\"", ynode_text(qk), source);
    o->key = xstrdup(ynode_text(qk));
    o->pos = pos_of(qk);
    o->raw = xstrdup(qv->type == YAML_SCALAR_NODE ? ynode_text(qv) : "");
    return scalar(c, qv, what, &o->value);
}

static int load_columns(ctx *c, node *m, quire_column **cols, size_t *n)
{
    yaml_node_pair_t *r;

    if (want(c, m, YAML_MAPPING_NODE, "a source's columns"))
        return -1;
    *cols = xcalloc((size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start) + 1,
                    sizeof **cols);
    for (r = m->data.mapping.pairs.start; r < m->data.mapping.pairs.top; r++) {
        node *rk = nd(c, r->key);
        if (want(c, rk, YAML_SCALAR_NODE, "a column name"))
            return -1;
        if (load_column(c, rk, nd(c, r->value), &(*cols)[(*n)++]))
            return -1;
    }
    return 0;
}

/* parts: a list of the inputs of one source; a plain value is a path. */
static int load_parts(ctx *c, node *l, spec_source *src)
{
    yaml_node_item_t *it;

    if (want(c, l, YAML_SEQUENCE_NODE, "\"parts\" of a source"))
        return -1;
    if (l->data.sequence.items.top == l->data.sequence.items.start)
        return fail(c, l, "\"parts\" lists the inputs of source \"%s\": at least one",
                    src->name);
    src->parts = xcalloc((size_t)(l->data.sequence.items.top - l->data.sequence.items.start),
                         sizeof *src->parts);
    for (it = l->data.sequence.items.start; it < l->data.sequence.items.top; it++) {
        node *m = nd(c, *it);
        spec_part *pt = &src->parts[src->nparts++];
        yaml_node_pair_t *q;
        size_t k, j;

        pt->pos = pos_of(m);
        if (m->type == YAML_SCALAR_NODE) {
            pt->options = xcalloc(1, sizeof *pt->options);
            pt->options[0].key = xstrdup("path");
            pt->options[0].pos = pos_of(m);
            pt->options[0].raw = xstrdup(ynode_text(m));
            pt->noptions = 1;
            if (scalar(c, m, "a part of a source", &pt->options[0].value))
                return -1;
            continue;
        }
        if (want(c, m, YAML_MAPPING_NODE, "a part of a source"))
            return -1;
        pt->options = xcalloc((size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start),
                              sizeof *pt->options);
        for (q = m->data.mapping.pairs.start; q < m->data.mapping.pairs.top; q++) {
            node *qk = nd(c, q->key), *qv = nd(c, q->value);
            if (want(c, qk, YAML_SCALAR_NODE, "a key of a part"))
                return -1;
            if (strcmp(ynode_text(qk), "columns") == 0) {
                if (load_columns(c, qv, &pt->columns, &pt->ncolumns))
                    return -1;
                continue;
            }
            if (spec_is_source_key(ynode_text(qk)))
                return fail(c, qk, "\"%s\" belongs to the source, not to one of its parts",
                            ynode_text(qk));
            if (load_option(c, qk, qv, src->name, &pt->options[pt->noptions++]))
                return -1;
        }
        /* A part changes how a column is read (its format), not what it is. */
        for (k = 0; k < pt->ncolumns; k++) {
            const quire_column *pc = &pt->columns[k];
            for (j = 0; j < src->ncolumns; j++)
                if (strcmp(src->columns[j].name, pc->name) == 0)
                    break;
            if (j == src->ncolumns || src->columns[j].type != pc->type) {
                node *cm = get(c, m, "columns");
                return fail(c, cm ? get(c, cm, pc->name) : m, "column \"%s\" of a part must be "
                            "declared in the source's columns with the same type (a part "
                            "changes its format only)", pc->name);
            }
        }
    }
    return 0;
}

/* derive: or where: a mapping of names to expressions over the source's
 * columns. Derived columns join the source's columns as they are read, so a
 * later one, a condition or a fact can use them. */
static int load_exprs(ctx *c, node *m, spec_source *src, int derive)
{
    spec_expr **out = derive ? &src->derived : &src->where;
    size_t *n = derive ? &src->nderived : &src->nwhere;
    yaml_node_pair_t *p;
    size_t k, count;

    if (want(c, m, YAML_MAPPING_NODE, derive ? "\"derive\" of a source" : "\"where\" of a source"))
        return -1;
    count = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
    *out = xcalloc(count + 1, sizeof **out);
    if (derive)
        src->columns = xrealloc(src->columns, (src->ncolumns + count + 1) * sizeof *src->columns);
    for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        node *k_ = nd(c, p->key), *v = nd(c, p->value);
        spec_expr *e = &(*out)[*n];
        expr_column *cols;
        expr_error ee;
        char *text;
        int coloff = 0;

        if (want(c, k_, YAML_SCALAR_NODE, derive ? "a derived column's name" : "a condition's name"))
            return -1;
        e->name = xstrdup(ynode_text(k_));
        e->pos = pos_of(k_);
        (*n)++;
        if (derive)
            for (k = 0; k < src->ncolumns; k++)
                if (strcmp(src->columns[k].name, e->name) == 0)
                    return fail(c, k_, "derived column \"%s\" is already a column of source "
                                "\"%s\"", e->name, src->name);
        if (scalar(c, v, derive ? "a derived column" : "a condition", &text))
            return -1;
        cols = xcalloc(src->ncolumns + 1, sizeof *cols);
        for (k = 0; k < src->ncolumns; k++) {
            cols[k].name = src->columns[k].name;
            cols[k].type = src->columns[k].type;
        }
        e->x = expr_parse(text, cols, src->ncolumns, &ee);
        free(cols);
        if (!e->x) {
            /* The byte in the file, when the text is the value as written on one line. */
            if (v->start_mark.line == v->end_mark.line && strcmp(text, ynode_text(v)) == 0)
                coloff = (int)ee.at + (v->data.scalar.style != YAML_PLAIN_SCALAR_STYLE);
            free(text);
            return ydoc_fail(&c->y, v, coloff, "%s (%s \"%s\")", ee.msg,
                             derive ? "derived column" : "condition", e->name);
        }
        free(text);
        if (!derive && expr_result(e->x) != EXPR_BOOL)
            return fail(c, v, "condition \"%s\" must be true or false for each row, like "
                        "Quantity > 0", e->name);
        if (derive) {
            quire_column *col = &src->columns[src->ncolumns++];
            memset(col, 0, sizeof *col);
            col->name = xstrdup(e->name);
            col->type = expr_column_type(expr_result(e->x));
        }
    }
    return 0;
}

static int load_sources(ctx *c, node *m)
{
    spec *s = c->s;
    yaml_node_pair_t *p;
    size_t n;

    if (want(c, m, YAML_MAPPING_NODE, "sources"))
        return -1;
    n = (size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start);
    s->sources = xcalloc(n, sizeof *s->sources);
    for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        node *k = nd(c, p->key), *v = nd(c, p->value), *x;
        spec_source *src = &s->sources[s->nsources];
        yaml_node_pair_t *q;

        if (want(c, k, YAML_SCALAR_NODE, "a source name"))
            return -1;
        src->name = xstrdup(ynode_text(k));
        src->pos = pos_of(k);
        src->pushdown = 1;
        s->nsources++;
        if (want(c, v, YAML_MAPPING_NODE, "a source"))
            return -1;
        n = (size_t)(v->data.mapping.pairs.top - v->data.mapping.pairs.start);
        src->options = xcalloc(n, sizeof *src->options);
        for (q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
            node *qk = nd(c, q->key), *qv = nd(c, q->value);
            const char *key;

            if (want(c, qk, YAML_SCALAR_NODE, "a source key"))
                return -1;
            key = ynode_text(qk);
            if (strcmp(key, "plugin") == 0) {
                const char *pn;
                if (scalar(c, qv, "a source's plugin", &src->plugin))
                    return -1;
                src->plugin_pos = pos_of(qv);
                for (pn = src->plugin; *pn; pn++)
                    if (!islower((unsigned char)*pn) && !isdigit((unsigned char)*pn) && *pn != '_')
                        return fail(c, qv, "plugin names are made of a-z, 0-9 and _, not \"%s\"",
                                    src->plugin);
            } else if (strcmp(key, "pushdown") == 0) {
                if (to_bool(c, qv, "pushdown", &src->pushdown))
                    return -1;
            } else if (strcmp(key, "columns") == 0) {
                if (load_columns(c, qv, &src->columns, &src->ncolumns))
                    return -1;
            } else if (strcmp(key, "distinct") == 0) {
                if (qv->type == YAML_SEQUENCE_NODE) {
                    if (load_names(c, qv, "\"distinct\" of a source", &src->distinct_on,
                                   &src->ndistinct_on))
                        return -1;
                    src->distinct = 1;
                } else if (qv->type != YAML_SCALAR_NODE ||
                           (strcmp(ynode_text(qv), "true") && strcmp(ynode_text(qv), "false"))) {
                    return fail(c, qv, "\"distinct\" must be true, false or a list of columns "
                                "(rows alike in those columns are dropped)");
                } else {
                    src->distinct = strcmp(ynode_text(qv), "true") == 0;
                }
            } else if (!spec_is_source_key(key)) {
                if (load_option(c, qk, qv, src->name, &src->options[src->noptions++]))
                    return -1;
            }
        }
        if (!src->plugin)
            return fail(c, v, "source \"%s\" needs a \"plugin\" (e.g. plugin: csv)", src->name);
        /* After the columns, which they read, whatever the order of the keys. */
        src->nplain = src->ncolumns;
        if ((x = get(c, v, "parts")) && load_parts(c, x, src))
            return -1;
        if ((x = get(c, v, "derive")) && load_exprs(c, x, src, 1))
            return -1;
        if ((x = get(c, v, "where")) && load_exprs(c, x, src, 0))
            return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ entity, facts */

static int need_source(ctx *c, node *at, const char *name)
{
    size_t i;
    const char **names;
    const char *hint;

    if (spec_find_source(c->s, name))
        return 0;
    names = xmalloc((c->s->nsources + 1) * sizeof *names);
    for (i = 0; i < c->s->nsources; i++)
        names[i] = c->s->sources[i].name;
    hint = closest_word(name, names, c->s->nsources);
    fail(c, at, "no source named \"%s\"%s%s%s", name, hint ? "; did you mean \"" : "",
         hint ? hint : "", hint ? "\"?" : "");
    free(names);
    return -1;
}

static int load_entities(ctx *c, node *m)
{
    static const char *const keys[] = {"source", "key", "since", "attributes"};
    spec *s = c->s;
    const spec_source *src;
    node *a;
    size_t i, k;

    if (want(c, m, YAML_MAPPING_NODE, "entities") || check_keys(c, m, "entities", keys, 4))
        return -1;
    s->entity_pos = pos_of(m);
    if (get_str(c, m, "source", 1, "entities", &s->entity_source) ||
        get_str(c, m, "key", 1, "entities", &s->entity_key) ||
        get_str(c, m, "since", 0, "entities", &s->entity_since))
        return -1;
    if (need_source(c, get(c, m, "source"), s->entity_source))
        return -1;
    if (s->entity_since && strchr(s->entity_since, '(')) {
        /* since: min(column): the source holds many rows per entity */
        char *in = s->entity_since, *open = strchr(in, '('), *close = strrchr(in, ')');
        size_t nlen = (size_t)(open - in);
        while (nlen && in[nlen - 1] == ' ')
            nlen--;
        if (nlen != 3 || strncmp(in, "min", 3) != 0 || !close || close[1] || close == open + 1)
            return fail(c, get(c, m, "since"), "\"since\" is a date column, or min(column): the "
                        "earliest date of each entity's rows, not \"%s\"", in);
        for (open++; *open == ' '; open++)
            ;
        while (close > open && close[-1] == ' ')
            close--;
        s->entity_since = xstrndup(open, (size_t)(close - open));
        free(in);
        s->entity_since_min = 1;
    }
    if (!(a = get(c, m, "attributes")))
        return 0;
    if (load_names(c, a, "\"attributes\" of entities", &s->entity_attrs, &s->nentity_attrs))
        return -1;
    src = spec_find_source(s, s->entity_source);
    for (i = 0; i < s->nentity_attrs; i++) {
        node *at = nd(c, a->data.sequence.items.start[i]);
        const char *name = s->entity_attrs[i];
        for (k = 0; k < src->ncolumns; k++)
            if (strcmp(src->columns[k].name, name) == 0)
                break;
        if (k == src->ncolumns)
            return fail(c, at, "attribute \"%s\" must be a column declared in source \"%s\" "
                        "(columns: { %s: string })", name, src->name, name);
        if (src->columns[k].type == QUIRE_T_DATE || src->columns[k].type == QUIRE_T_BOOLEAN)
            return fail(c, at, "attribute \"%s\" must be a string, integer or number column",
                        name);
        if (strcmp(name, s->entity_key) == 0 ||
            (s->entity_since && strcmp(name, s->entity_since) == 0))
            return fail(c, at, "\"%s\" is the key or the since column, not an attribute", name);
        for (k = 0; k < i; k++)
            if (strcmp(s->entity_attrs[k], name) == 0)
                return fail(c, at, "attribute \"%s\" is listed twice", name);
    }
    return 0;
}

/* What is inside a measure's parentheses: "column" or "column OP number". */
static int parse_condition(ctx *c, node *v, char *in, spec_measure *ms)
{
    static const char *const ops[] = {"<=", ">=", "==", "!=", "<", ">"};
    static const cmp_op codes[] = {CMP_LE, CMP_GE, CMP_EQ, CMP_NE, CMP_LT, CMP_GT};
    char *op = strpbrk(in, "<>=!"), *end, *name;
    size_t j, n;

    if (!op) {
        n = strlen(in);
        while (n && in[n - 1] == ' ')
            n--;
        while (*in == ' ')
            in++, n--;
        ms->column = xstrndup(in, n);
        return 0;
    }
    for (j = 0; j < 6; j++)
        if (strncmp(op, ops[j], strlen(ops[j])) == 0)
            break;
    if (j == 6)
        return fail(c, v, "a condition reads like count(column >= 9); operators: < <= > >= == !=");
    ms->cmp = codes[j];
    ms->cmp_value = strtod(op + strlen(ops[j]), &end);
    while (*end == ' ')
        end++;
    if (end == op + strlen(ops[j]) || *end)
        return fail(c, v, "the right side of \"%s\" must be a number: count(column >= 9)", ops[j]);
    name = in;
    while (*name == ' ')
        name++;
    n = (size_t)(op - name);
    while (n && name[n - 1] == ' ')
        n--;
    if (!n)
        return fail(c, v, "a condition needs a column on the left: count(column >= 9)");
    ms->column = xstrndup(name, n);
    return 0;
}

static int parse_measure(ctx *c, node *v, spec_measure *ms)
{
    static const char *const fns[] = {"count", "sum", "min", "max"};
    char *text, *open, *close;
    size_t j;

    if (scalar(c, v, "a measure", &text))
        return -1;
    open = strchr(text, '(');
    if (open) {
        close = strchr(open, ')');
        if (!close || close[1] || close == open + 1) {
            fail(c, v, "measure \"%s\" must read like sum(column), count, count(column), "
                 "count(column >= 9), min(column) or max(column)", text);
            free(text);
            return -1;
        }
        *open = '\0';
        *close = '\0';
        if (parse_condition(c, v, open + 1, ms)) {
            free(text);
            return -1;
        }
    }
    for (j = 0; j < 4; j++)
        if (strcmp(text, fns[j]) == 0)
            break;
    if (j == 4) {
        const char *hint = closest_word(text, fns, 4);
        fail(c, v, "unknown aggregate \"%s\"%s%s%s; aggregates: count, sum(col), min(col), max(col)",
             text, hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
        free(text);
        return -1;
    }
    ms->agg = (agg_kind)j;
    free(text);
    if (ms->agg != AGG_COUNT && !ms->column)
        return fail(c, v, "%s needs a column: %s(column)", fns[j], fns[j]);
    if (ms->agg != AGG_COUNT && ms->cmp != CMP_NONE)
        return fail(c, v, "only count takes a condition: count(column >= 9)");
    return 0;
}

static int load_facts(ctx *c, node *l)
{
    static const char *const keys[] = {"source", "key", "segment", "date", "measures"};
    spec *s = c->s;
    yaml_node_item_t *it;

    if (want(c, l, YAML_SEQUENCE_NODE, "facts"))
        return -1;
    s->facts = xcalloc((size_t)(l->data.sequence.items.top - l->data.sequence.items.start),
                       sizeof *s->facts);
    for (it = l->data.sequence.items.start; it < l->data.sequence.items.top; it++) {
        node *m = nd(c, *it), *ms;
        spec_fact *f = &s->facts[s->nfacts++];
        yaml_node_pair_t *p;

        if (want(c, m, YAML_MAPPING_NODE, "a fact") || check_keys(c, m, "a fact", keys, 5))
            return -1;
        f->pos = pos_of(m);
        if (get_str(c, m, "source", 1, "a fact", &f->source) ||
            get_str(c, m, "key", 0, "a fact", &f->key) ||
            get_str(c, m, "segment", 0, "a fact", &f->segment) ||
            get_str(c, m, "date", 1, "a fact", &f->date))
            return -1;
        if (!f->key == !f->segment)
            return fail(c, m, "a fact needs either \"key\" (the column naming the entity) or "
                        "\"segment\" (the column naming a segment)");
        if (need_source(c, get(c, m, "source"), f->source))
            return -1;
        ms = get(c, m, "measures");
        if (!ms)
            return fail(c, m, "a fact needs \"measures\" (e.g. revenue: sum(amount))");
        if (want(c, ms, YAML_MAPPING_NODE, "measures"))
            return -1;
        f->measures = xcalloc((size_t)(ms->data.mapping.pairs.top - ms->data.mapping.pairs.start),
                              sizeof *f->measures);
        for (p = ms->data.mapping.pairs.start; p < ms->data.mapping.pairs.top; p++) {
            node *k = nd(c, p->key);
            spec_measure *me = &f->measures[f->nmeasures];
            size_t a, b;

            if (want(c, k, YAML_SCALAR_NODE, "a measure name"))
                return -1;
            me->name = xstrdup(ynode_text(k));
            me->pos = pos_of(k);
            f->nmeasures++;
            for (a = 0; a < s->nfacts; a++)
                for (b = 0; b < s->facts[a].nmeasures; b++)
                    if (&s->facts[a].measures[b] != me &&
                        strcmp(s->facts[a].measures[b].name, me->name) == 0)
                        return fail(c, k, "measure \"%s\" is defined twice", me->name);
            if (parse_measure(c, nd(c, p->value), me))
                return -1;
            if (f->segment && me->agg != AGG_COUNT && me->agg != AGG_SUM)
                return fail(c, nd(c, p->value), "facts about segments take count and sum "
                            "measures only");
        }
    }
    return 0;
}

static int load_features(ctx *c, node *m)
{
    static const char *const keys[] = {"windows"};
    spec *s = c->s;
    node *w;
    yaml_node_item_t *it;

    if (want(c, m, YAML_MAPPING_NODE, "features") || check_keys(c, m, "features", keys, 1))
        return -1;
    w = get(c, m, "windows");
    if (!w)
        return 0;
    if (want(c, w, YAML_SEQUENCE_NODE, "windows"))
        return -1;
    s->windows = xcalloc((size_t)(w->data.sequence.items.top - w->data.sequence.items.start),
                         sizeof *s->windows);
    for (it = w->data.sequence.items.start; it < w->data.sequence.items.top; it++) {
        node *n = nd(c, *it);
        long v;
        if (n->type == YAML_SCALAR_NODE && strcmp(ynode_text(n), "lifetime") == 0)
            v = SPEC_LIFETIME;
        else if (to_long(c, n, "a window (months, or lifetime)", 1, 120, &v))
            return -1;
        s->windows[s->nwindows++] = (int)v;
    }
    return 0;
}

/* ------------------------------------------------------------ segments, kpis */

static int parse_color(const char *t, quire_rgb *rgb)
{
    unsigned v;
    char *end;

    if (t[0] != '#' || strlen(t) != 7)
        return -1;
    v = (unsigned)strtoul(t + 1, &end, 16);
    if (*end)
        return -1;
    rgb->r = ((v >> 16) & 255) / 255.0;
    rgb->g = ((v >> 8) & 255) / 255.0;
    rgb->b = (v & 255) / 255.0;
    return 0;
}

static const quire_rgb palette[] = {{0.42, 0.24, 0.60}, {0.12, 0.47, 0.71}, {1.0, 0.50, 0.0},
                                    {0.60, 0.60, 0.60}, {0.20, 0.63, 0.17}, {0.89, 0.10, 0.11},
                                    {0.65, 0.34, 0.16}, {0.97, 0.51, 0.75}};

/* The colour of the i-th segment that names none. */
quire_rgb spec_palette(size_t i)
{
    return palette[i % (sizeof palette / sizeof *palette)];
}

/* "rules": a rule table (ruletable.h), each rule a segment of sg's list and
 * a condition; its fields are resolved by spec_bind(). */
static int load_rule_table(ctx *c, node *l, spec_segmentation *sg)
{
    yaml_node_item_t *it;
    const char **names;
    size_t i;
    int rc = 0;

    if (want(c, l, YAML_SEQUENCE_NODE, "\"rules\" (a list of rules)"))
        return -1;
    if (l->data.sequence.items.top == l->data.sequence.items.start)
        return fail(c, l, "\"rules\" is empty; its last rule names the segment of every "
                    "customer the others leave, as in \"- Regular\"");
    names = xcalloc(sg->nsegments + 1, sizeof *names);
    for (i = 0; i < sg->nsegments; i++)
        names[i] = sg->segments[i].name;
    sg->table = xcalloc(1, sizeof *sg->table);
    for (it = l->data.sequence.items.start; rc == 0 && it < l->data.sequence.items.top; it++) {
        node *e = nd(c, *it);
        spec_pos at = pos_of(e);
        char *text, msg[300];
        int quoted, off = 0;

        if (scalar(c, e, "a rule (\"VIP if revenue_12m >= 2000\")", &text)) {
            rc = -1;
            break;
        }
        quoted = e->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                 e->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        if (sg->table->nrules && sg->table->rules[sg->table->nrules - 1].cond < 0)
            rc = ydoc_fail(&c->y, e, 0, "this rule is never reached: the one before it, "
                           "without a condition, takes every customer left");
        else if (ruletable_add(sg->table, text, names, sg->nsegments, at.line, at.col + quoted,
                               &off, msg, sizeof msg))
            rc = ydoc_fail(&c->y, e, quoted + off, "%s", msg);
        free(text);
    }
    if (rc == 0 && sg->table->rules[sg->table->nrules - 1].cond >= 0)
        rc = fail(c, nd(c, l->data.sequence.items.top[-1]), "the last rule has no condition: "
                  "it names the segment of every customer the others leave, as in "
                  "\"- %s\"", names[sg->nsegments - 1]);
    free(names);
    return rc;
}

/* One segmentation: "segments" or an entry of "segmentations". */
static int load_segmentation(ctx *c, node *m, const char *where, spec_segmentation *sg)
{
    static const char *const keys[] = {"title", "rule", "rules", "by", "list"};
    static const char *const seg_keys[] = {"name", "color", "churned"};
    spec *s = c->s;
    node *l, *rules;
    char *rule = NULL;
    yaml_node_item_t *it;
    size_t i;

    if (want(c, m, YAML_MAPPING_NODE, where) || check_keys(c, m, where, keys, 5))
        return -1;
    sg->pos = pos_of(m);
    if (get_str(c, m, "title", 0, where, &sg->title) || get_str(c, m, "rule", 0, where, &rule) ||
        get_str(c, m, "by", 0, where, &sg->by))
        return -1;
    rules = get(c, m, "rules");
    if ((rule != NULL) + (sg->by != NULL) + (rules != NULL) != 1) {
        free(rule);
        return fail(c, m, "%s needs one of \"rule\" (a Lua script returning the segment), "
                    "\"rules\" (a list like \"VIP if revenue_12m >= 2000\") or \"by\" (a text "
                    "attribute of the entities)", where);
    }
    if (rule) {
        sg->rule = path_join(s->dir, rule);
        sg->rule_pos = pos_of(get(c, m, "rule"));
        free(rule);
    } else if (sg->by) {
        const spec_source *src = spec_find_source(s, s->entity_source);
        for (i = 0; i < s->nentity_attrs; i++)
            if (strcmp(s->entity_attrs[i], sg->by) == 0)
                break;
        if (i == s->nentity_attrs)
            return fail(c, get(c, m, "by"), "\"by\" must name one of the entities' attributes "
                        "(entities: { attributes: [%s] })", sg->by);
        for (i = 0; src && i < src->ncolumns; i++)
            if (strcmp(src->columns[i].name, sg->by) == 0 &&
                src->columns[i].type != QUIRE_T_STRING)
                return fail(c, get(c, m, "by"), "\"by\" needs a text attribute; \"%s\" is a "
                            "number (segment numbers with a rule)", sg->by);
    }
    l = get(c, m, "list");
    if (!l) {
        if (sg->rule || rules)
            return fail(c, m, "%s needs a \"list\" of segment names", where);
        return 0; /* the attribute's values, found in the data */
    }
    if (want(c, l, YAML_SEQUENCE_NODE, "the segment list"))
        return -1;
    /* Counted first: each name is checked against the ones before it. */
    if (l->data.sequence.items.top - l->data.sequence.items.start > 100)
        return fail(c, l, "a segmentation has at most 100 segments, not %zu",
                    (size_t)(l->data.sequence.items.top - l->data.sequence.items.start));
    sg->segments = xcalloc((size_t)(l->data.sequence.items.top - l->data.sequence.items.start),
                           sizeof *sg->segments);
    for (it = l->data.sequence.items.start; it < l->data.sequence.items.top; it++) {
        node *e = nd(c, *it);
        spec_segment *sgm = &sg->segments[sg->nsegments++];

        sgm->pos = pos_of(e);
        sgm->color = spec_palette(sg->nsegments - 1);
        if (e->type == YAML_SCALAR_NODE) {
            if (scalar(c, e, "a segment name", &sgm->name))
                return -1;
        } else if (e->type == YAML_MAPPING_NODE) {
            char *col = NULL;
            node *ch = get(c, e, "churned");
            if (check_keys(c, e, "a segment", seg_keys, 3) ||
                get_str(c, e, "name", 1, "a segment", &sgm->name) ||
                get_str(c, e, "color", 0, "a segment", &col))
                return -1;
            if (col && parse_color(col, &sgm->color)) {
                fail(c, get(c, e, "color"), "colour must read like \"#1f78b4\", not \"%s\"", col);
                free(col);
                return -1;
            }
            free(col);
            if (ch && to_bool(c, ch, "churned", &sgm->churned))
                return -1;
        } else {
            return fail(c, e, "a segment must be a name or a mapping with name, color, churned");
        }
        if (strcmp(sgm->name, "All") == 0)
            return fail(c, e, "\"All\" names every customer together; pick another segment name");
        if (spec_segmentation_index(sg, sgm->name) != (int)sg->nsegments - 1)
            return fail(c, e, "segment \"%s\" is listed twice", sgm->name);
    }
    if (sg->nsegments == 0)
        return fail(c, l, "the segment list is empty");
    return rules ? load_rule_table(c, rules, sg) : 0;
}

static int load_segments(ctx *c, node *m, node *more)
{
    spec *s = c->s;
    size_t n = 1;
    yaml_node_pair_t *p;

    if (more) {
        if (want(c, more, YAML_MAPPING_NODE, "segmentations"))
            return -1;
        n += (size_t)(more->data.mapping.pairs.top - more->data.mapping.pairs.start);
    }
    s->segmentations = xcalloc(n, sizeof *s->segmentations);
    s->segmentations[0].name = xstrdup("segments");
    s->nsegmentations = 1;
    if (load_segmentation(c, m, "segments", &s->segmentations[0]))
        return -1;
    s->segment_rule = s->segmentations[0].rule;
    s->segment_rule_pos = s->segmentations[0].rule_pos;
    s->segments = s->segmentations[0].segments;
    s->nsegments = s->segmentations[0].nsegments;
    if (!more)
        return 0;
    for (p = more->data.mapping.pairs.start; p < more->data.mapping.pairs.top; p++) {
        node *k = nd(c, p->key);
        spec_segmentation *sg = &s->segmentations[s->nsegmentations];
        char where[160];
        size_t i;

        if (want(c, k, YAML_SCALAR_NODE, "a segmentation's name"))
            return -1;
        sg->name = xstrdup(ynode_text(k));
        s->nsegmentations++;
        for (i = 0; i + 1 < s->nsegmentations; i++)
            if (strcmp(s->segmentations[i].name, sg->name) == 0)
                return fail(c, k, "segmentation \"%s\" is defined twice", sg->name);
        snprintf(where, sizeof where, "segmentation \"%s\"", sg->name);
        if (load_segmentation(c, nd(c, p->value), where, sg))
            return -1;
    }
    return 0;
}

static int load_kpis(ctx *c, node *m)
{
    spec *s = c->s;
    yaml_node_pair_t *p;

    if (want(c, m, YAML_MAPPING_NODE, "kpis"))
        return -1;
    s->kpis = xcalloc((size_t)(m->data.mapping.pairs.top - m->data.mapping.pairs.start),
                      sizeof *s->kpis);
    for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        node *k = nd(c, p->key);
        spec_kpi *kp = &s->kpis[s->nkpis];
        char *script;

        if (want(c, k, YAML_SCALAR_NODE, "a KPI name"))
            return -1;
        kp->name = xstrdup(ynode_text(k));
        kp->pos = pos_of(k);
        s->nkpis++;
        if (scalar(c, nd(c, p->value), "a KPI's script path", &script))
            return -1;
        kp->script = path_join(s->dir, script);
        free(script);
    }
    return 0;
}

/* ------------------------------------------------------------ sections */

static int need_kpi(ctx *c, node *at, const char *name)
{
    size_t i;
    const char **names;
    const char *hint;

    for (i = 0; i < c->s->nkpis; i++)
        if (strcmp(c->s->kpis[i].name, name) == 0)
            return 0;
    names = xmalloc((c->s->nkpis + 1) * sizeof *names);
    for (i = 0; i < c->s->nkpis; i++)
        names[i] = c->s->kpis[i].name;
    hint = closest_word(name, names, c->s->nkpis);
    fail(c, at, "no KPI named \"%s\"%s%s%s", name, hint ? "; did you mean \"" : "",
         hint ? hint : "", hint ? "\"?" : "");
    free(names);
    return -1;
}

static void insight_free(spec_insight *in)
{
    size_t i, j;

    free(in->script);
    for (i = 0; i < in->nargs; i++) {
        free(in->args[i].key);
        for (j = 0; j < in->args[i].nvalues; j++)
            free(in->args[i].values[j]);
        free(in->args[i].values);
    }
    free(in->args);
}

/* A question: its text, or { ask, insight, with }. */
static int load_question(ctx *c, node *q, char **text, spec_insight *in)
{
    static const char *const keys[] = {"ask", "insight", "with"};
    node *w;
    char *script = NULL;
    yaml_node_pair_t *p;

    if (q->type != YAML_MAPPING_NODE)
        return scalar(c, q, "a question", text);
    if (check_keys(c, q, "a question", keys, 3) || get_str(c, q, "ask", 1, "a question", text) ||
        get_str(c, q, "insight", 0, "a question", &script))
        return -1;
    in->pos = pos_of(q);
    if (script) {
        in->script = path_join(c->s->dir, script);
        free(script);
    }
    if (!(w = get(c, q, "with")))
        return 0;
    if (!in->script)
        return fail(c, w, "\"with\" gives arguments to an insight: add \"insight\"");
    if (want(c, w, YAML_MAPPING_NODE, "\"with\" of a question"))
        return -1;
    in->args = xcalloc((size_t)(w->data.mapping.pairs.top - w->data.mapping.pairs.start) + 1,
                       sizeof *in->args);
    for (p = w->data.mapping.pairs.start; p < w->data.mapping.pairs.top; p++) {
        node *k = nd(c, p->key), *v = nd(c, p->value);
        spec_arg *a = &in->args[in->nargs++];

        if (want(c, k, YAML_SCALAR_NODE, "an argument's name"))
            return -1;
        a->key = xstrdup(ynode_text(k));
        a->pos = pos_of(v);
        if (v->type == YAML_SEQUENCE_NODE) {
            a->list = 1;
            if (v->data.sequence.items.top == v->data.sequence.items.start)
                continue;
            if (load_names(c, v, "an argument's list", &a->values, &a->nvalues))
                return -1;
        } else {
            a->values = xcalloc(1, sizeof *a->values);
            if (scalar(c, v, "an argument", &a->values[0]))
                return -1;
            a->nvalues = 1;
        }
    }
    return 0;
}

static int load_items(ctx *c, node *l, spec_block *b)
{
    yaml_node_item_t *it;
    size_t n;

    if (want(c, l, YAML_SEQUENCE_NODE, "questions"))
        return -1;
    n = (size_t)(l->data.sequence.items.top - l->data.sequence.items.start);
    b->items = xcalloc(n + 1, sizeof *b->items);
    b->insights = xcalloc(n + 1, sizeof *b->insights);
    for (it = l->data.sequence.items.start; it < l->data.sequence.items.top; it++) {
        size_t k = b->nitems++; /* counted first: spec_free frees a half-read one */
        if (load_question(c, nd(c, *it), &b->items[k], &b->insights[k]))
            return -1;
    }
    return 0;
}

/* "segmentation": which grouping a block shows (default: "segments"). */
static int load_block_segmentation(ctx *c, node *v, spec_block *b)
{
    node *n = get(c, v, "segmentation");
    const char **names;
    const char *hint;
    size_t i;

    b->segmentation = 0;
    if (!n)
        return 0;
    if (want(c, n, YAML_SCALAR_NODE, "segmentation"))
        return -1;
    for (i = 0; i < c->s->nsegmentations; i++)
        if (strcmp(c->s->segmentations[i].name, ynode_text(n)) == 0) {
            b->segmentation = (int)i;
            return 0;
        }
    names = xmalloc(c->s->nsegmentations * sizeof *names);
    for (i = 0; i < c->s->nsegmentations; i++)
        names[i] = c->s->segmentations[i].name;
    hint = closest_word(ynode_text(n), names, c->s->nsegmentations);
    fail(c, n, "no segmentation named \"%s\"%s%s%s", ynode_text(n),
         hint ? "; did you mean \"" : "", hint ? hint : "", hint ? "\"?" : "");
    free(names);
    return -1;
}

/* A list of scalars (KPI names, column names); what names one item. */
static int load_names(ctx *c, node *l, const char *what, char ***out, size_t *n)
{
    yaml_node_item_t *it;

    if (want(c, l, YAML_SEQUENCE_NODE, what))
        return -1;
    if (l->data.sequence.items.top == l->data.sequence.items.start)
        return fail(c, l, "%s is empty", what);
    *out = xcalloc((size_t)(l->data.sequence.items.top - l->data.sequence.items.start),
                   sizeof **out);
    for (it = l->data.sequence.items.start; it < l->data.sequence.items.top; it++)
        if (scalar(c, nd(c, *it), what, &(*out)[(*n)++]))
            return -1;
    return 0;
}

/* "month": last, first, or a report month YYYY-MM. */
static int load_block_month(ctx *c, node *v, const char *where, int *out)
{
    node *n = get(c, v, "month");
    char *t;
    int mi;

    *out = SPEC_MONTH_LAST;
    if (!n)
        return 0;
    if (scalar(c, n, "month", &t))
        return -1;
    if (strcmp(t, "last") == 0) {
        free(t);
        return 0;
    }
    if (strcmp(t, "first") == 0) {
        *out = 0;
        free(t);
        return 0;
    }
    mi = c->s->grain.kind == GRAIN_MONTH ? parse_month(t) : grain_parse_bound(c->s->grain, t, 1);
    if (mi < 0 || mi < c->s->month_from || mi > c->s->month_to) {
        if (c->s->grain.kind == GRAIN_MONTH)
            fail(c, n, "\"month\" of %s must be last, first or a month of the report (YYYY-MM), "
                 "not \"%s\"", where, t);
        else
            fail(c, n, "\"month\" of %s must be last, first or a date (YYYY-MM-DD) in a %s of "
                 "the report, not \"%s\"", where, grain_name(c->s->grain), t);
        free(t);
        return -1;
    }
    free(t);
    *out = mi - c->s->month_from;
    return 0;
}

/* "segment": one of the block's segments, or All. */
static int load_block_segment(ctx *c, node *v, const char *where, spec_block *b)
{
    node *n = get(c, v, "segment");
    const spec_segmentation *g = &c->s->segmentations[b->segmentation];
    char **out = &b->segment;
    const char **names;
    const char *hint;
    size_t i;

    if (get_str(c, v, "segment", 0, where, out))
        return -1;
    if (!*out)
        return 0;
    if (strcmp(*out, "All") == 0 || spec_segmentation_index(g, *out) >= 0 || !g->nsegments)
        return 0;
    names = xmalloc((g->nsegments + 2) * sizeof *names);
    for (i = 0; i < g->nsegments; i++)
        names[i] = g->segments[i].name;
    names[i] = "All";
    hint = closest_word(*out, names, g->nsegments + 1);
    fail(c, n, "no segment named \"%s\" (the segments, or All)%s%s%s", *out,
         hint ? "; did you mean \"" : "", hint ? hint : "", hint ? "\"?" : "");
    free(names);
    return -1;
}

static const char *const format_names[] = {"number", "count", "currency", "percent", "score",
                                           "days", "months", "date", "text"};

/* A table's column: a name, or { name, label, format, decimals }. */
static int load_column_item(ctx *c, node *it, const char *what, char **name, spec_colfmt *f)
{
    static const char *const keys[] = {"name", "label", "format", "decimals"};
    node *n;
    char *t;
    size_t j;

    f->format = SPEC_FORMAT_DEFAULT;
    f->decimals = -1;
    f->pos = pos_of(it);
    if (it->type != YAML_MAPPING_NODE)
        return scalar(c, it, what, name);
    if (check_keys(c, it, "a column", keys, 4) || get_str(c, it, "name", 1, "a column", name) ||
        get_str(c, it, "label", 0, "a column", &f->label))
        return -1;
    if ((n = get(c, it, "decimals")) != NULL) {
        long d;
        if (to_long(c, n, "\"decimals\" of a column", 0, 6, &d))
            return -1;
        f->decimals = (int)d;
    }
    if (!(n = get(c, it, "format")))
        return 0;
    if (scalar(c, n, "\"format\" of a column", &t))
        return -1;
    for (j = 0; j < sizeof format_names / sizeof *format_names; j++)
        if (strcmp(t, format_names[j]) == 0)
            break;
    if (j == sizeof format_names / sizeof *format_names) {
        const char *hint = closest_word(t, format_names, j);
        fail(c, n, "unknown format \"%s\"%s%s%s; formats: number, count, currency, percent, "
             "score, days, months, date, text", t, hint ? " (did you mean \"" : "",
             hint ? hint : "", hint ? "\"?)" : "");
        free(t);
        return -1;
    }
    free(t);
    f->format = j == 7 ? SPEC_FORMAT_DATE : j == 8 ? SPEC_FORMAT_TEXT
                                                  : quire_unit_parse(format_names[j]);
    return 0;
}

/* A table's list of columns (or of KPIs): names, each with how it is shown. */
static int load_table_columns(ctx *c, node *l, const char *what, char ***out, size_t *n,
                              spec_colfmt **fmt)
{
    yaml_node_item_t *it;
    size_t cnt;

    if (want(c, l, YAML_SEQUENCE_NODE, what))
        return -1;
    cnt = (size_t)(l->data.sequence.items.top - l->data.sequence.items.start);
    if (!cnt)
        return fail(c, l, "%s is empty", what);
    *out = xcalloc(cnt, sizeof **out);
    *fmt = xcalloc(cnt, sizeof **fmt);
    for (it = l->data.sequence.items.start; it < l->data.sequence.items.top; it++) {
        size_t k = (*n)++;
        if (load_column_item(c, nd(c, *it), what, &(*out)[k], &(*fmt)[k]))
            return -1;
    }
    return 0;
}

/* "kpis": a list of KPI names; in a table, each may be a column mapping. */
static int load_kpi_list(ctx *c, node *v, const char *where, spec_block *b)
{
    node *l = get(c, v, "kpis");
    char what[64];
    size_t i;

    if (!l)
        return fail(c, v, "%s needs \"kpis\", a list of KPI names", where);
    snprintf(what, sizeof what, "\"kpis\" of %s", where);
    if (b->kind == BLOCK_TABLE ? load_table_columns(c, l, what, &b->kpis, &b->nkpis, &b->colfmt)
                               : load_names(c, l, what, &b->kpis, &b->nkpis))
        return -1;
    for (i = 0; i < b->nkpis; i++)
        if (need_kpi(c, nd(c, l->data.sequence.items.start[i]), b->kpis[i]))
            return -1;
    return 0;
}

/* A table's where, sort, top and bottom (rowsel.h); the names they use are
 * checked by the caller, which knows the table's columns. */
static int load_rowsel(ctx *c, node *v, spec_block *b)
{
    node *n, *w = get(c, v, "where");
    char msg[200], *t;
    long lim;

    if (w) {
        yaml_node_item_t one = 0, *it, *end;

        if (w->type == YAML_SEQUENCE_NODE) {
            it = w->data.sequence.items.start;
            end = w->data.sequence.items.top;
            if (it == end)
                return fail(c, w, "\"where\" of a table is empty");
        } else {
            it = &one;
            end = it + 1;
        }
        b->where = xcalloc((size_t)(end - it), sizeof *b->where);
        for (; it < end; it++) {
            node *cn = it == &one ? w : nd(c, *it);
            spec_cond *cd = &b->where[b->nwhere];

            if (scalar(c, cn, "a condition of \"where\"", &t))
                return -1;
            if (rowsel_parse_cond(t, cd, msg, sizeof msg)) {
                free(t);
                return fail(c, cn, "%s", msg);
            }
            free(t);
            cd->pos = pos_of(cn);
            b->nwhere++;
        }
    }
    if ((n = get(c, v, "sort")) != NULL) {
        if (scalar(c, n, "\"sort\" of a table", &t))
            return -1;
        if (rowsel_parse_sort(t, &b->sort, &b->sort_dir, msg, sizeof msg)) {
            free(t);
            return fail(c, n, "%s", msg);
        }
        free(t);
        b->sort_pos = pos_of(n);
    }
    if ((n = get(c, v, "top")) != NULL) {
        if (to_long(c, n, "\"top\" of a table", 1, 100000, &lim))
            return -1;
        b->top = lim;
    }
    if ((n = get(c, v, "bottom")) != NULL) {
        if (b->top)
            return fail(c, n, "a table takes \"top\" or \"bottom\", not both");
        if (to_long(c, n, "\"bottom\" of a table", 1, 100000, &lim))
            return -1;
        b->bottom = lim;
    }
    if ((b->top || b->bottom) && !b->sort)
        return fail(c, get(c, v, b->top ? "top" : "bottom"), "\"%s\" keeps the rows with the "
                    "%s values of the \"sort\" column: add sort", b->top ? "top" : "bottom",
                    b->top ? "highest" : "lowest");
    return 0;
}

/* The node of the i-th condition of v's "where". */
static node *where_node(ctx *c, node *v, size_t i)
{
    node *w = get(c, v, "where");

    return w->type == YAML_SEQUENCE_NODE ? nd(c, w->data.sequence.items.start[i]) : w;
}

/* In a table of KPIs, where and sort name a KPI of the table's spec, or
 * the rows' own column (segment or month). */
static int check_kpi_rowsel(ctx *c, node *v, spec_block *b)
{
    const char *own = b->by_month ? "month" : "segment";
    const char **names;
    size_t i, k, nn = c->s->nkpis + 1;
    int rc = 0;

    names = xmalloc(nn * sizeof *names);
    for (k = 0; k < c->s->nkpis; k++)
        names[k] = c->s->kpis[k].name;
    names[k] = own;
    for (i = 0; i <= b->nwhere && !rc; i++) {
        const char *name = i < b->nwhere ? b->where[i].name : b->sort;
        node *at;
        const char *hint;

        if (!name)
            continue;
        for (k = 0; k < nn; k++)
            if (strcmp(names[k], name) == 0)
                break;
        if (k < nn - 1 && i < b->nwhere && isnan(b->where[i].num))
            rc = fail(c, where_node(c, v, i), "KPI \"%s\" is a number; compare it with a "
                      "number, not \"%s\"", name, b->where[i].text);
        if (k < nn)
            continue;
        at = i < b->nwhere ? where_node(c, v, i) : get(c, v, "sort");
        hint = closest_word(name, names, nn);
        rc = fail(c, at, "a table of KPIs sorts and filters by its KPIs or \"%s\"; no KPI named "
                  "\"%s\"%s%s%s", own, name, hint ? "; did you mean \"" : "", hint ? hint : "",
                  hint ? "\"?" : "");
    }
    free(names);
    return rc;
}

/* ------------------------------------------------------------ comparisons */

int spec_compare_index(const spec *s, spec_compare cmp)
{
    size_t i;

    for (i = 0; i < s->ncompares; i++)
        if (s->compares[i].kind == cmp.kind &&
            (cmp.kind != SPEC_CMP_ROLLING || s->compares[i].n == cmp.n))
            return (int)i;
    return -1;
}

int spec_compare_reach(const spec *s, spec_compare cmp)
{
    /* a year of weeks is 52 or 53 of them */
    int year = s->grain.kind == GRAIN_WEEK ? 53 : s->grain.kind == GRAIN_QUARTER ? 4
               : s->grain.kind == GRAIN_YEAR ? 1 : 12;

    switch (cmp.kind) {
    case SPEC_CMP_LAST_YEAR:
        return year;
    case SPEC_CMP_ROLLING:
        return cmp.n - 1;
    case SPEC_CMP_YTD:
        return year - 1;
    default:
        return 1;
    }
}

/* "compare" of tiles or a table of KPIs: a list of previous, last_year,
 * rolling_N, ytd, target. */
static int load_compare(ctx *c, node *v, const char *where, spec_block *b)
{
    static const char *const names[] = {"previous", "last_year", "rolling_3", "rolling_12", "ytd",
                                        "target"};
    node *n = get(c, v, "compare");
    yaml_node_item_t *it;

    if (!n)
        return 0;
    if (n->type == YAML_SCALAR_NODE)
        return fail(c, n, "\"compare\" of %s is a list, e.g. [previous, last_year, ytd]", where);
    if (want(c, n, YAML_SEQUENCE_NODE, "\"compare\""))
        return -1;
    b->compare = xcalloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1,
                         sizeof *b->compare);
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
        node *e = nd(c, *it);
        spec_compare cmp = {SPEC_CMP_PREVIOUS, 0};
        const char *t;
        char *end;
        size_t i;

        if (want(c, e, YAML_SCALAR_NODE, "a comparison"))
            return -1;
        t = ynode_text(e);
        if (strcmp(t, "previous") == 0)
            cmp.kind = SPEC_CMP_PREVIOUS;
        else if (strcmp(t, "last_year") == 0)
            cmp.kind = SPEC_CMP_LAST_YEAR;
        else if (strcmp(t, "ytd") == 0)
            cmp.kind = SPEC_CMP_YTD;
        else if (strcmp(t, "target") == 0)
            cmp.kind = SPEC_CMP_TARGET;
        else if (strncmp(t, "rolling_", 8) == 0 && t[8] >= '1' && t[8] <= '9' &&
                 (cmp.n = (int)strtol(t + 8, &end, 10)) >= 2 && cmp.n <= 60 && !*end)
            cmp.kind = SPEC_CMP_ROLLING;
        else if (strncmp(t, "rolling_", 8) == 0)
            return fail(c, e, "a rolling window is rolling_N with N a whole number from 2 to 60, "
                        "not \"%s\"", t);
        else {
            const char *hint = closest_word(t, names, 6);
            return fail(c, e, "unknown comparison \"%s\" in %s%s%s%s; comparisons: previous, "
                        "last_year, rolling_N (N from 2 to 60), ytd, target", t, where,
                        hint ? " (did you mean \"" : "", hint ? hint : "", hint ? "\"?)" : "");
        }
        for (i = 0; i < b->ncompare; i++)
            if (b->compare[i].kind == cmp.kind && b->compare[i].n == cmp.n)
                return fail(c, e, "comparison \"%s\" is listed twice", t);
        if (cmp.kind == SPEC_CMP_TARGET) {
            size_t k, with = 0;
            for (i = 0; i < b->nkpis; i++)
                for (k = 0; k < c->s->nkpis; k++)
                    if (strcmp(c->s->kpis[k].name, b->kpis[i]) == 0 && c->s->kpis[k].ntargets)
                        with++;
            if (!with && !c->s->targets_file)
                return fail(c, e, "compare: target, but none of the KPIs of %s has a target; "
                            "give them one under targets:", where);
        }
        b->compare[b->ncompare++] = cmp;
        if (cmp.kind != SPEC_CMP_PREVIOUS && cmp.kind != SPEC_CMP_TARGET &&
            spec_compare_index(c->s, cmp) < 0) {
            c->s->compares = xrealloc(c->s->compares, (c->s->ncompares + 1) *
                                                          sizeof *c->s->compares);
            c->s->compares[c->s->ncompares++] = cmp;
        }
        if (spec_compare_reach(c->s, cmp) > c->s->lookback)
            c->s->lookback = spec_compare_reach(c->s, cmp);
    }
    return 0;
}

/* A key of a KPI's targets: a segment of "segments" or All (returns 0), or
 * a period of the spec's grain (returns 1, *per set); -1 with the error
 * at k. */
static int target_key(ctx *c, node *k, int *per)
{
    const spec_segmentation *sg = &c->s->segmentations[0];
    const char *t;

    if (want(c, k, YAML_SCALAR_NODE, "a segment or a period"))
        return -1;
    t = ynode_text(k);
    if (strcmp(t, "All") == 0 || spec_segment_index(c->s, t) >= 0)
        return 0;
    if ((*per = grain_parse_key(c->s->grain, t)) >= 0)
        return 1;
    {
        const char **names = xcalloc(sg->nsegments + 2, sizeof *names);
        const char *hint;
        char ex[32];
        size_t i;

        for (i = 0; i < sg->nsegments; i++)
            names[i] = sg->segments[i].name;
        names[sg->nsegments] = "All";
        hint = closest_word(t, names, sg->nsegments + 1);
        grain_key(ex, sizeof ex, c->s->grain, c->s->month_to);
        fail(c, k, "a target for \"%s\", which is neither a segment of \"segments\" (or All) nor "
             "a %s (like %s)%s%s%s", t, grain_name(c->s->grain), ex,
             hint ? "; did you mean \"" : "", hint ? hint : "", hint ? "\"?" : "");
        free(names);
        return -1;
    }
}

/* One target: a number, for segment (NULL: every group) and period. */
static int target_one(ctx *c, spec_kpi *kp, node *v, const char *segment, int per,
                      const char *pkey)
{
    double value;
    int added;

    if (to_double(c, v, "a target", -1e15, 1e15, &value))
        return -1;
    added = spec_target_add(kp, segment, per, value);
    if (added == -2)
        return fail(c, v, "more than %d targets for %s", SPEC_TARGETS_MAX, kp->name);
    if (added)
        return fail(c, v, "a second target for %s, %s, %s", kp->name,
                    segment ? segment : "every segment",
                    pkey ? pkey : "every period");
    return 0;
}

/* A segment's targets: a number, or a mapping of periods to numbers. */
static int target_periods(ctx *c, spec_kpi *kp, node *v, const char *segment)
{
    yaml_node_pair_t *q;

    if (v->type != YAML_MAPPING_NODE)
        return target_one(c, kp, v, segment, SPEC_ANY_PERIOD, NULL);
    for (q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
        node *pk = nd(c, q->key);
        int p;
        char ex[32];

        if (want(c, pk, YAML_SCALAR_NODE, "a period"))
            return -1;
        if ((p = grain_parse_key(c->s->grain, ynode_text(pk))) < 0) {
            grain_key(ex, sizeof ex, c->s->grain, c->s->month_to);
            return fail(c, pk, "\"%s\" is not a %s (like %s)", ynode_text(pk),
                        grain_name(c->s->grain), ex);
        }
        if (target_one(c, kp, nd(c, q->value), segment, p, ynode_text(pk)))
            return -1;
    }
    return 0;
}

/* targets: { KPI: number, KPI: { SEGMENT: number or { PERIOD: number },
 * PERIOD: number }, file: targets.csv } */
static int load_targets(ctx *c, node *m)
{
    spec *s = c->s;
    yaml_node_pair_t *p;

    if (want(c, m, YAML_MAPPING_NODE, "targets"))
        return -1;
    for (p = m->data.mapping.pairs.start; p < m->data.mapping.pairs.top; p++) {
        node *k = nd(c, p->key), *v = nd(c, p->value);
        spec_kpi *kp = NULL;
        size_t i;

        if (want(c, k, YAML_SCALAR_NODE, "a KPI name"))
            return -1;
        for (i = 0; i < s->nkpis; i++)
            if (strcmp(s->kpis[i].name, ynode_text(k)) == 0)
                kp = &s->kpis[i];
        if (!kp && strcmp(ynode_text(k), "file") == 0) {
            char *t;
            if (scalar(c, v, "targets' file", &t))
                return -1;
            s->targets_file = path_join(s->dir, t);
            s->targets_pos = pos_of(v);
            free(t);
            continue;
        }
        if (!kp) {
            const char **names = xmalloc((s->nkpis + 1) * sizeof *names);
            const char *hint;
            for (i = 0; i < s->nkpis; i++)
                names[i] = s->kpis[i].name;
            hint = closest_word(ynode_text(k), names, s->nkpis);
            fail(c, k, "a target for \"%s\", which is not a KPI of the spec%s%s%s",
                 ynode_text(k), hint ? "; did you mean \"" : "", hint ? hint : "",
                 hint ? "\"?" : "");
            free(names);
            return -1;
        }
        if (kp->ntargets)
            return fail(c, k, "KPI \"%s\" has its target twice", kp->name);
        if (v->type == YAML_MAPPING_NODE) {
            yaml_node_pair_t *q;
            for (q = v->data.mapping.pairs.start; q < v->data.mapping.pairs.top; q++) {
                node *sk = nd(c, q->key);
                int per = SPEC_ANY_PERIOD, r = target_key(c, sk, &per);

                if (r < 0)
                    return -1;
                if (r == 1 ? target_one(c, kp, nd(c, q->value), NULL, per, ynode_text(sk))
                           : target_periods(c, kp, nd(c, q->value), ynode_text(sk)))
                    return -1;
            }
        } else if (target_one(c, kp, v, NULL, SPEC_ANY_PERIOD, NULL)) {
            return -1;
        }
    }
    return 0;
}

static int load_tiles(ctx *c, node *v, spec_block *b)
{
    static const char *const keys[] = {"kpis", "segment", "month", "segmentation", "compare"};

    b->kind = BLOCK_TILES;
    if (want(c, v, YAML_MAPPING_NODE, "tiles") || check_keys(c, v, "tiles", keys, 5))
        return -1;
    if (load_block_segmentation(c, v, b) || load_kpi_list(c, v, "tiles", b) ||
        load_block_segment(c, v, "tiles", b) ||
        load_block_month(c, v, "tiles", &b->month) || load_compare(c, v, "tiles", b))
        return -1;
    return 0;
}

/* "by" of a table: segment (default), month or customer. */
static int load_table_by(ctx *c, node *v, spec_block *b)
{
    node *n = get(c, v, "by");
    char *by;
    int rc = 0;

    if (!n)
        return 0;
    if (scalar(c, n, "\"by\" of a table", &by))
        return -1;
    if (strcmp(by, "month") == 0)
        b->by_month = 1;
    else if (strcmp(by, "customer") == 0)
        b->by_customer = 1;
    else if (strcmp(by, "segment") != 0)
        rc = fail(c, n, "\"by\" of a table must be segment, month or customer, not \"%s\"", by);
    free(by);
    return rc;
}

/* A key of v that a table of this kind does not take: an error naming the
 * kind that takes it. */
static int refuse(ctx *c, node *v, const char *const *keys, size_t n, const char *owner)
{
    size_t k;
    node *at;

    for (k = 0; k < n; k++)
        if ((at = get(c, v, keys[k])) != NULL)
            return fail(c, at, "\"%s\" belongs to %s", keys[k], owner);
    return 0;
}

/* In a table of a source's rows, where and sort name declared columns of
 * the source, and a condition's value has the column's type: a number, a
 * date (YYYY-MM-DD, kept as its day), true or false. */
static int check_source_rowsel(ctx *c, node *v, spec_block *b, const spec_source *src)
{
    size_t i;

    for (i = 0; i <= b->nwhere; i++) {
        const char *name = i < b->nwhere ? b->where[i].name : b->sort;
        node *at = i < b->nwhere ? where_node(c, v, i) : get(c, v, "sort");
        const quire_column *col;
        spec_cond *cd = i < b->nwhere ? &b->where[i] : NULL;
        int32_t days;

        if (!name)
            continue;
        if (!(col = spec_column(src, name))) {
            const char **names = xmalloc((src->ncolumns + 1) * sizeof *names);
            const char *hint;
            size_t k;

            for (k = 0; k < src->ncolumns; k++)
                names[k] = src->columns[k].name;
            hint = closest_word(name, names, src->ncolumns);
            fail(c, at, "source \"%s\" declares no column \"%s\"%s%s%s", b->source, name,
                 hint ? "; did you mean \"" : "", hint ? hint : "", hint ? "\"?" : "");
            free(names);
            return -1;
        }
        if (!cd)
            continue;
        switch (col->type) {
        case QUIRE_T_INTEGER:
        case QUIRE_T_NUMBER:
            if (isnan(cd->num))
                return fail(c, at, "\"%s\" is a number; compare it with a number, not \"%s\"",
                            name, cd->text);
            break;
        case QUIRE_T_DATE:
            if (parse_date(cd->text, &days))
                return fail(c, at, "\"%s\" is a date; compare it with a date (YYYY-MM-DD), "
                            "not \"%s\"", name, cd->text);
            cd->num = days;
            break;
        case QUIRE_T_BOOLEAN:
            if (!strcmp(cd->text, "true") || !strcmp(cd->text, "false")) {
                cd->num = cd->text[0] == 't';
                break;
            }
            return fail(c, at, "\"%s\" is a boolean; compare it with true or false, not \"%s\"",
                        name, cd->text);
        default:
            break;
        }
    }
    return 0;
}

static int load_table(ctx *c, node *v, spec_block *b)
{
    static const char *const keys[] = {"title", "kpis", "by", "segment", "month", "totals",
                                       "source", "columns", "rows", "segmentation", "where",
                                       "sort", "top", "bottom", "compare"};
    node *n;

    b->kind = BLOCK_TABLE;
    if (want(c, v, YAML_MAPPING_NODE, "a table") ||
        check_keys(c, v, "a table", keys, sizeof keys / sizeof *keys))
        return -1;
    if (get_str(c, v, "title", 0, "a table", &b->title))
        return -1;
    if ((n = get(c, v, "totals")) != NULL && to_bool(c, n, "\"totals\" of a table", &b->totals))
        return -1;
    if (get(c, v, "source")) {
        /* A table of the source's own rows. */
        static const char *const kpi_only[] = {"kpis", "by", "segment", "month", "segmentation",
                                               "compare"};
        size_t i, k;
        const spec_source *src;

        if (refuse(c, v, kpi_only, 6, "a table of KPIs, not to a table of a source's rows"))
            return -1;
        if (get_str(c, v, "source", 1, "a table", &b->source))
            return -1;
        src = spec_find_source(c->s, b->source);
        if (!src)
            return need_source(c, get(c, v, "source"), b->source);
        if (!(n = get(c, v, "columns")))
            return fail(c, v, "a table of source rows needs \"columns\"");
        if (load_table_columns(c, n, "\"columns\" of a table", &b->columns, &b->ncolumns, &b->colfmt))
            return -1;
        for (i = 0; i < b->ncolumns; i++) {
            for (k = 0; k < src->ncolumns; k++)
                if (strcmp(src->columns[k].name, b->columns[i]) == 0)
                    break;
            if (k == src->ncolumns) {
                const char **names = xmalloc((src->ncolumns + 1) * sizeof *names);
                const char *hint;

                for (k = 0; k < src->ncolumns; k++)
                    names[k] = src->columns[k].name;
                hint = closest_word(b->columns[i], names, src->ncolumns);
                fail(c, nd(c, n->data.sequence.items.start[i]), "source \"%s\" declares no "
                     "column \"%s\"%s%s%s", b->source, b->columns[i],
                     hint ? "; did you mean \"" : "", hint ? hint : "", hint ? "\"?" : "");
                free(names);
                return -1;
            }
        }
        if ((n = get(c, v, "rows")) != NULL && to_long(c, n, "\"rows\" of a table", 1, 100000,
                                                       &b->rows))
            return -1;
        return load_rowsel(c, v, b) || check_source_rowsel(c, v, b, src);
    }
    if (load_table_by(c, v, b) || load_block_segmentation(c, v, b) ||
        load_block_month(c, v, "a table", &b->month) || load_rowsel(c, v, b))
        return -1;
    if (b->by_customer) {
        /* A row per customer; its columns are checked by spec_bind(). */
        static const char *const not_here[] = {"kpis", "segment", "totals", "compare"};

        if (refuse(c, v, not_here, 4, "a table of KPIs, not to a table by customer (filter "
                   "customers with where: segment == NAME)"))
            return -1;
        if (!(n = get(c, v, "columns")))
            return fail(c, v, "a table by customer needs \"columns\": the key, segment, "
                        "record fields or KPIs with a customer function");
        if (load_table_columns(c, n, "\"columns\" of a table", &b->columns, &b->ncolumns, &b->colfmt))
            return -1;
        if ((n = get(c, v, "rows")) != NULL && to_long(c, n, "\"rows\" of a table", 1, 100000,
                                                       &b->rows))
            return -1;
        return 0;
    }
    if ((n = get(c, v, "columns")) != NULL || (n = get(c, v, "rows")) != NULL)
        return fail(c, n, "\"columns\" and \"rows\" belong to a table of a source's rows "
                    "(with \"source\") or by customer");
    if (load_kpi_list(c, v, "a table", b) || load_block_segment(c, v, "a table", b) ||
        load_compare(c, v, "a table", b))
        return -1;
    return check_kpi_rowsel(c, v, b);
}

/* A model block: what the models stage found (models_spec.h). */
static int load_model_block(ctx *c, node *v, spec_block *b)
{
    static const char *const keys[] = {"show", "value", "title", "subtitle", "month"};
    static const char *const shows[] = {"rfm_grid", "rfm_segments", "clusters", "cohorts",
                                        "churn", "clv"};
    static const char *const values[] = {"customers, revenue", "", "", "retention, revenue", "",
                                         ""};
    size_t i;

    b->kind = BLOCK_MODEL;
    if (want(c, v, YAML_MAPPING_NODE, "a model block") ||
        check_keys(c, v, "a model block", keys, sizeof keys / sizeof *keys) ||
        get_str(c, v, "show", 1, "a model block", &b->show) ||
        get_str(c, v, "value", 0, "a model block", &b->value) ||
        get_str(c, v, "title", 0, "a model block", &b->title) ||
        get_str(c, v, "subtitle", 0, "a model block", &b->subtitle) ||
        load_block_month(c, v, "a model block", &b->month))
        return -1;
    for (i = 0; i < 6; i++)
        if (strcmp(b->show, shows[i]) == 0)
            break;
    if (i == 6) {
        const char *hint = closest_word(b->show, shows, 6);
        return fail(c, get(c, v, "show"), "a model block shows rfm_grid, rfm_segments, clusters, "
                    "cohorts, churn or clv, not \"%s\"%s%s%s", b->show, hint ? "; did you mean \"" : "",
                    hint ? hint : "", hint ? "\"?" : "");
    }
    if (b->value) {
        const char *ok = values[i], *p = strstr(ok, b->value);
        size_t n = strlen(b->value);
        if (!*ok)
            return fail(c, get(c, v, "value"), "a model block showing %s takes no \"value\"",
                        b->show);
        if (!p || (p[n] && p[n] != ',') || (p > ok && p[-1] != ' '))
            return fail(c, get(c, v, "value"), "\"value\" of %s must be one of: %s; not \"%s\"",
                        b->show, ok, b->value);
    }
    return 0;
}

/* A chart's y_min, y_max and reference lines (a number, {value, label}, or a
 * list of them): line, bar, stacked_bar and area charts only. */
static int load_chart_axis(ctx *c, node *v, spec_block *b)
{
    static const char *const rkeys[] = {"value", "label"};
    int axis = b->chart == SPEC_CHART_LINE || b->chart == SPEC_CHART_BAR ||
               b->chart == SPEC_CHART_STACKED || b->chart == SPEC_CHART_AREA;
    static const char *const keys[] = {"y_min", "y_max", "reference"};
    node *n, *list[64];
    size_t i, count = 0;

    for (i = 0; i < 3; i++)
        if ((n = get(c, v, keys[i])) != NULL && !axis)
            return fail(c, n, "\"%s\" belongs to a line, bar, stacked_bar or area chart",
                        keys[i]);
    if ((n = get(c, v, "y_min")) != NULL) {
        if (to_double(c, n, "y_min", -1e15, 1e15, &b->y_min))
            return -1;
        b->has_y_min = 1;
    }
    if ((n = get(c, v, "y_max")) != NULL) {
        if (to_double(c, n, "y_max", -1e15, 1e15, &b->y_max))
            return -1;
        b->has_y_max = 1;
    }
    if (b->has_y_min && b->has_y_max && b->y_max <= b->y_min)
        return fail(c, get(c, v, "y_max"), "y_max must be above y_min");
    if ((n = get(c, v, "reference")) == NULL)
        return 0;
    if (n->type == YAML_SEQUENCE_NODE) {
        yaml_node_item_t *it;

        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            if (count == sizeof list / sizeof *list)
                return fail(c, n, "a chart has at most 64 reference lines");
            list[count++] = nd(c, *it);
        }
    } else {
        list[count++] = n;
    }
    b->refs = xcalloc(count, sizeof *b->refs);
    b->ref_labels = xcalloc(count, sizeof *b->ref_labels);
    for (i = 0; i < count; i++) {
        node *r = list[i], *val = r;

        if (r->type == YAML_SCALAR_NODE && strcmp(ynode_text(r), "target") == 0) {
            /* the KPI's targets (targets:): checked once the KPI is known */
            if (b->ref_target)
                return fail(c, r, "reference: target is listed twice");
            b->ref_target = 1;
            b->ref_target_pos = pos_of(r);
            continue;
        }

        if (r->type == YAML_MAPPING_NODE) {
            if (check_keys(c, r, "a reference line", rkeys, 2) ||
                get_str(c, r, "label", 0, "a reference line", &b->ref_labels[b->nrefs]))
                return -1;
            if ((val = get(c, r, "value")) == NULL)
                return fail(c, r, "a reference line needs \"value\"");
        }
        if (to_double(c, val, "a reference line's value", -1e15, 1e15, &b->refs[b->nrefs])) {
            free(b->ref_labels[b->nrefs]);
            b->ref_labels[b->nrefs] = NULL;
            return -1;
        }
        b->nrefs++;
    }
    return 0;
}

/*
 * A chart of a per-customer value (histogram, box, scatter of customers):
 * value (and x_value), month, bins, sample, segment; the names are bound
 * later (bind.c), as a table by customer's are.
 */
static int load_chart_dist(ctx *c, node *v, spec_block *b)
{
    static const char *const kpi_keys[] = {"kpi", "x_kpi", "line_kpi", "matrix"};
    int hist = b->chart == SPEC_CHART_HISTOGRAM, sc = b->chart == SPEC_CHART_SCATTER;
    node *n;
    size_t i;

    if (b->chart != SPEC_CHART_HISTOGRAM && b->chart != SPEC_CHART_BOX && !sc)
        return fail(c, get(c, v, "value"), "\"value\" (a value per customer) belongs to a "
                    "histogram, box or scatter chart; this chart shows a KPI: write \"kpi\"");
    for (i = 0; i < sizeof kpi_keys / sizeof *kpi_keys; i++)
        if ((n = get(c, v, kpi_keys[i])) != NULL)
            return fail(c, n, "%s shows a value per customer (\"value\"%s), not \"%s\"",
                        hist ? "a histogram" : sc ? "a scatter of customers" : "a box plot",
                        sc ? " and \"x_value\"" : "", kpi_keys[i]);
    if (get_str(c, v, "value", 1, hist ? "a histogram" : sc ? "a scatter of customers"
                                                           : "a box plot", &b->value) ||
        get_str(c, v, "title", 1, "a chart", &b->title) ||
        get_str(c, v, "subtitle", 0, "a chart", &b->subtitle) ||
        get_str(c, v, "x_title", 0, "a chart", &b->x_title) ||
        get_str(c, v, "y_title", 0, "a chart", &b->y_title) ||
        load_block_month(c, v, "a chart", &b->month))
        return -1;
    b->value_pos = pos_of(get(c, v, "value"));
    if ((n = get(c, v, "x_value")) != NULL && !sc)
        return fail(c, n, "\"x_value\" belongs to a scatter of customers");
    if (sc) {
        if (get_str(c, v, "x_value", 1, "a scatter of customers", &b->x_value))
            return -1;
        b->x_value_pos = pos_of(get(c, v, "x_value"));
    }
    if ((n = get(c, v, "bins")) != NULL) {
        long bins;

        if (!hist)
            return fail(c, n, "\"bins\" belongs to a histogram chart");
        if (to_long(c, n, "bins", SPEC_BINS_MIN, SPEC_BINS_MAX, &bins))
            return -1;
        b->bins = (int)bins;
    }
    b->sample = SPEC_SAMPLE_DEFAULT;
    if ((n = get(c, v, "sample")) != NULL) {
        if (!sc)
            return fail(c, n, "\"sample\" belongs to a scatter of customers");
        if (to_long(c, n, "sample", 1, SPEC_SAMPLE_MAX, &b->sample))
            return -1;
    }
    if ((n = get(c, v, "segment")) != NULL && !hist)
        return fail(c, n, "\"segment\" belongs to a bar_line or histogram chart");
    if (hist && load_block_segment(c, v, "a chart", b))
        return -1;
    return load_chart_axis(c, v, b);
}

static int load_block(ctx *c, node *m, spec_block *b)
{
    static const char *const kinds[] = {"paragraph", "questions", "chart", "heading",
                                        "bullets", "tiles", "table", "model"};
    static const char *const chart_keys[] = {"type", "kpi", "title", "subtitle", "x_title",
                                             "y_title", "matrix", "month", "segmentation",
                                             "line_kpi", "x_kpi", "segment", "y_min", "y_max",
                                             "reference", "value", "x_value", "bins", "sample"};
    static const char *const q_keys[] = {"title", "items", "segmentation"};
    node *k, *v;

    if (want(c, m, YAML_MAPPING_NODE, "a block"))
        return -1;
    b->pos = pos_of(m);
    b->month = SPEC_MONTH_LAST;
    if (m->data.mapping.pairs.top - m->data.mapping.pairs.start != 1)
        return fail(c, m, "a block is a mapping with one key: paragraph, questions, chart, "
                    "heading, bullets, tiles, table or model");
    if (check_keys(c, m, "a block", kinds, sizeof kinds / sizeof *kinds))
        return -1;
    k = nd(c, m->data.mapping.pairs.start->key);
    v = nd(c, m->data.mapping.pairs.start->value);
    if (strcmp(ynode_text(k), "paragraph") == 0) {
        b->kind = BLOCK_PARAGRAPH;
        return scalar(c, v, "a paragraph", &b->text);
    }
    if (strcmp(ynode_text(k), "heading") == 0) {
        b->kind = BLOCK_HEADING;
        return scalar(c, v, "a heading", &b->text);
    }
    if (strcmp(ynode_text(k), "bullets") == 0) {
        b->kind = BLOCK_BULLETS;
        return load_names(c, v, "bullets", &b->items, &b->nitems);
    }
    if (strcmp(ynode_text(k), "tiles") == 0)
        return load_tiles(c, v, b);
    if (strcmp(ynode_text(k), "table") == 0)
        return load_table(c, v, b);
    if (strcmp(ynode_text(k), "model") == 0)
        return load_model_block(c, v, b);
    if (strcmp(ynode_text(k), "questions") == 0) {
        b->kind = BLOCK_QUESTIONS;
        if (v->type == YAML_MAPPING_NODE) {
            node *items = get(c, v, "items");
            if (check_keys(c, v, "questions", q_keys, 3) ||
                get_str(c, v, "title", 0, "questions", &b->text) ||
                load_block_segmentation(c, v, b))
                return -1;
            if (!items)
                return fail(c, v, "questions needs \"items\"");
            v = items;
        }
        if (!b->text)
            b->text = xstrdup("Questions to Consider:");
        return load_items(c, v, b);
    }
    b->kind = BLOCK_CHART;
    if (want(c, v, YAML_MAPPING_NODE, "a chart") ||
        check_keys(c, v, "a chart", chart_keys, sizeof chart_keys / sizeof *chart_keys))
        return -1;
    {
        static const char *const types[] = {"line",  "bar",   "stacked_bar", "hbar",
                                            "heatmap", "area", "donut", "bar_line",
                                            "scatter", "small_multiples", "histogram", "box"};
        char *type = NULL;
        size_t i;

        if (get_str(c, v, "type", 1, "a chart", &type))
            return -1;
        for (i = 0; i < 12; i++)
            if (strcmp(type, types[i]) == 0)
                break;
        if (i == 12) {
            const char *hint = closest_word(type, types, 12);

            fail(c, get(c, v, "type"), "chart type must be line, bar, stacked_bar, hbar, "
                 "heatmap, area, donut, bar_line, scatter, small_multiples, histogram or box, "
                 "not \"%s\"%s%s%s",
                 type, hint ? "; did you mean \"" : "",
                 hint ? hint : "", hint ? "\"?" : "");
            free(type);
            return -1;
        }
        b->chart = (spec_chart_kind)i; /* the order of spec_chart_kind */
        free(type);
    }
    if (load_block_segmentation(c, v, b) || get_str(c, v, "matrix", 0, "a chart", &b->matrix))
        return -1;
    if (get(c, v, "value") || b->chart == SPEC_CHART_HISTOGRAM || b->chart == SPEC_CHART_BOX)
        return load_chart_dist(c, v, b);
    if (get_str(c, v, "kpi", !b->matrix, "a chart", &b->kpi) ||
        get_str(c, v, "title", 1, "a chart", &b->title) ||
        get_str(c, v, "subtitle", 0, "a chart", &b->subtitle) ||
        get_str(c, v, "x_title", 0, "a chart", &b->x_title) ||
        get_str(c, v, "y_title", 0, "a chart", &b->y_title) ||
        load_block_month(c, v, "a chart", &b->month))
        return -1;
    if (b->matrix) {
        if (b->chart != SPEC_CHART_HEATMAP)
            return fail(c, get(c, v, "matrix"), "\"matrix\" belongs to a heatmap chart");
        if (strcmp(b->matrix, "migration") != 0)
            return fail(c, get(c, v, "matrix"), "\"matrix\" must be migration (customers moving "
                        "between segments), not \"%s\"", b->matrix);
        if (b->kpi)
            return fail(c, get(c, v, "kpi"), "a migration heatmap counts customers: no \"kpi\"");
        return 0;
    }
    {
        /* the second KPI of a bar_line (line_kpi) or a scatter (x_kpi) */
        int bl = b->chart == SPEC_CHART_BAR_LINE, sc = b->chart == SPEC_CHART_SCATTER;
        node *lk = get(c, v, "line_kpi"), *xk = get(c, v, "x_kpi"), *sg = get(c, v, "segment");

        if (lk && !bl)
            return fail(c, lk, "\"line_kpi\" belongs to a bar_line chart");
        if (xk && !sc)
            return fail(c, xk, "\"x_kpi\" belongs to a scatter chart");
        if (sg && !bl)
            return fail(c, sg, "\"segment\" belongs to a bar_line or histogram chart");
        if (get(c, v, "x_value"))
            return fail(c, get(c, v, "x_value"), "\"x_value\" belongs to a scatter of customers "
                        "(with \"value\")");
        if (get(c, v, "bins"))
            return fail(c, get(c, v, "bins"), "\"bins\" belongs to a histogram chart");
        if (get(c, v, "sample"))
            return fail(c, get(c, v, "sample"), "\"sample\" belongs to a scatter of customers "
                        "(with \"value\" and \"x_value\")");
        if (bl && (get_str(c, v, "line_kpi", 1, "a bar_line chart", &b->kpi2) ||
                   need_kpi(c, lk, b->kpi2) || load_block_segment(c, v, "a chart", b)))
            return -1;
        if (sc && (get_str(c, v, "x_kpi", 1, "a scatter chart", &b->kpi2) ||
                   need_kpi(c, xk, b->kpi2)))
            return -1;
    }
    if (load_chart_axis(c, v, b) || need_kpi(c, get(c, v, "kpi"), b->kpi))
        return -1;
    if (b->ref_target && !c->s->targets_file) {
        size_t t;
        for (t = 0; t < c->s->nkpis; t++)
            if (strcmp(c->s->kpis[t].name, b->kpi) == 0 && c->s->kpis[t].ntargets)
                break;
        if (t == c->s->nkpis)
            return quire_err_at(c->y.err, QUIRE_EXIT_USAGE, c->y.file, b->ref_target_pos.line,
                                b->ref_target_pos.col, "reference: target, but KPI \"%s\" has no "
                                "target; give it one under targets:", b->kpi);
    }
    return 0;
}

static int load_sections(ctx *c, node *l)
{
    static const char *const keys[] = {"title", "intro", "blocks"};
    spec *s = c->s;
    yaml_node_item_t *it;

    if (want(c, l, YAML_SEQUENCE_NODE, "sections"))
        return -1;
    s->sections = xcalloc((size_t)(l->data.sequence.items.top - l->data.sequence.items.start),
                          sizeof *s->sections);
    for (it = l->data.sequence.items.start; it < l->data.sequence.items.top; it++) {
        node *m = nd(c, *it), *bl;
        spec_section *sec = &s->sections[s->nsections++];
        yaml_node_item_t *bi;

        if (want(c, m, YAML_MAPPING_NODE, "a section") || check_keys(c, m, "a section", keys, 3))
            return -1;
        sec->pos = pos_of(m);
        if (get_str(c, m, "title", 1, "a section", &sec->title) ||
            get_str(c, m, "intro", 0, "a section", &sec->intro))
            return -1;
        bl = get(c, m, "blocks");
        if (!bl)
            continue;
        if (want(c, bl, YAML_SEQUENCE_NODE, "blocks"))
            return -1;
        sec->blocks = xcalloc((size_t)(bl->data.sequence.items.top - bl->data.sequence.items.start),
                              sizeof *sec->blocks);
        for (bi = bl->data.sequence.items.start; bi < bl->data.sequence.items.top; bi++)
            if (load_block(c, nd(c, *bi), &sec->blocks[sec->nblocks++]))
                return -1;
    }
    return 0;
}

/* ------------------------------------------------------------ periods, lua */

/* A bound of the report (from, to) as a period of the spec's grain. */
static int load_month(ctx *c, node *m, const char *key, int *out)
{
    char *v;
    node *n = get(c, m, key);
    const grain g = c->s->grain;

    if (!n)
        return fail(c, m, "periods needs \"%s\" (YYYY-MM)", key);
    if (scalar(c, n, "a period bound", &v))
        return -1;
    *out = g.kind == GRAIN_MONTH ? parse_month(v) : grain_parse_bound(g, v, strcmp(key, "to") == 0);
    if (*out < 0) {
        if (g.kind == GRAIN_MONTH)
            fail(c, n, "\"%s\" must be a month (YYYY-MM), not \"%s\"", key, v);
        else
            fail(c, n, "\"%s\" must be a month (YYYY-MM) or a date (YYYY-MM-DD)%s, not \"%s\"",
                 key, g.kind == GRAIN_WEEK ? " or an ISO week (YYYY-Www)" : "", v);
        free(v);
        return -1;
    }
    free(v);
    return 0;
}

static int load_periods(ctx *c, node *m)
{
    static const char *const keys[] = {"grain", "fiscal_year_start", "from", "to", "history"};
    static const char *const grains[] = {"week", "month", "quarter", "year"};
    spec *s = c->s;
    char *gname = NULL;
    node *h;

    if (want(c, m, YAML_MAPPING_NODE, "periods") || check_keys(c, m, "periods", keys, 5))
        return -1;
    if (get_str(c, m, "grain", 0, "periods", &gname))
        return -1;
    if (gname) {
        int k = grain_kind_of(gname);
        if (k < 0) {
            const char *hint = closest_word(gname, grains, 4);
            fail(c, get(c, m, "grain"), "periods.grain must be one of " GRAIN_NAMES
                 ", not \"%s\"%s%s%s", gname, hint ? "; did you mean \"" : "", hint ? hint : "",
                 hint ? "\"?" : "");
            free(gname);
            return -1;
        }
        s->grain.kind = (grain_kind)k;
        free(gname);
    }
    s->grain.fy_start = 1;
    if ((h = get(c, m, "fiscal_year_start")) != NULL) {
        long v;
        if (to_long(c, h, "periods.fiscal_year_start (the month a fiscal year starts in)", 1, 12,
                    &v))
            return -1;
        s->grain.fy_start = (int)v;
    }
    if (load_month(c, m, "from", &s->month_from) || load_month(c, m, "to", &s->month_to))
        return -1;
    if (s->month_to < s->month_from)
        return fail(c, get(c, m, "to"), "periods.to comes before periods.from");
    if (s->month_to - s->month_from >= 120)
        return fail(c, get(c, m, "to"), "a report covers at most 120 %ss", grain_name(s->grain));
    h = get(c, m, "history");
    if (h) {
        long v;
        if (to_long(c, h, "periods.history", 0, 60, &v))
            return -1;
        s->history = (int)v;
    }
    return 0;
}

static int load_lua(ctx *c, node *m)
{
    static const char *const keys[] = {"memory_mb", "instructions", "seconds", "seed"};
    spec *s = c->s;
    node *n;
    long v;

    if (want(c, m, YAML_MAPPING_NODE, "lua") || check_keys(c, m, "lua", keys, 4))
        return -1;
    if ((n = get(c, m, "memory_mb")) != NULL) {
        if (to_long(c, n, "lua.memory_mb", 1, 1024, &v))
            return -1;
        s->lua_memory = (size_t)v << 20;
    }
    if ((n = get(c, m, "instructions")) != NULL) {
        if (to_long(c, n, "lua.instructions", 1000, 1000000000L, &v))
            return -1;
        s->lua_instructions = (unsigned long)v;
    }
    if ((n = get(c, m, "seconds")) != NULL && to_double(c, n, "lua.seconds", 0.001, 60, &s->lua_seconds))
        return -1;
    if ((n = get(c, m, "seed")) != NULL) {
        if (to_long(c, n, "lua.seed", 0, 2147483647L, &v))
            return -1;
        s->seed = (unsigned long long)v;
    }
    return 0;
}

/* ------------------------------------------------------------ page */

static int load_page(ctx *c, node *m)
{
    static const char *const keys[] = {"size", "margins", "logo"};
    spec *s = c->s;
    char *t = NULL;
    node *n;

    if (want(c, m, YAML_MAPPING_NODE, "page") || check_keys(c, m, "page", keys, 3))
        return -1;
    if (get_str(c, m, "size", 0, "page", &t))
        return -1;
    if (t) {
        if (strcmp(t, "Letter") == 0 || strcmp(t, "letter") == 0)
            s->page_letter = 1;
        else if (strcmp(t, "A4") != 0 && strcmp(t, "a4") != 0) {
            fail(c, get(c, m, "size"), "page.size must be A4 or Letter, not \"%s\"", t);
            free(t);
            return -1;
        }
        free(t);
    }
    if ((n = get(c, m, "margins")) != NULL &&
        to_double(c, n, "page.margins (points)", 30, 150, &s->page_margin))
        return -1;
    if (get_str(c, m, "logo", 0, "page", &t))
        return -1;
    if (t) {
        s->logo = path_join(s->dir, t);
        free(t);
        if (access(s->logo, R_OK) != 0)
            return fail(c, get(c, m, "logo"), "page.logo: cannot read %s: %s", s->logo,
                        strerror(errno));
    }
    return 0;
}

/* ------------------------------------------------------------ theme */

/* Whether path is a TrueType font libharu can embed: an sfnt of TrueType
 * outlines (glyf) with a cmap. NULL, or what it is instead. */
static const char *ttf_problem(const char *path)
{
    unsigned char h[12], rec[16];
    unsigned n, i, found = 0;
    FILE *f = fopen(path, "rb");
    const char *why = NULL;

    if (!f)
        return strerror(errno);
    if (fread(h, 1, sizeof h, f) != sizeof h) {
        why = "not a TrueType font (too short)";
    } else if (memcmp(h, "OTTO", 4) == 0) {
        why = "an OpenType font of CFF outlines; only TrueType outlines (glyf) can be embedded";
    } else if (memcmp(h, "ttcf", 4) == 0) {
        why = "a font collection (.ttc); name a single .ttf";
    } else if (memcmp(h, "\0\1\0\0", 4) != 0 && memcmp(h, "true", 4) != 0) {
        why = "not a TrueType font";
    } else {
        n = (unsigned)h[4] << 8 | h[5];
        for (i = 0; i < n && i < 512; i++) {
            if (fread(rec, 1, sizeof rec, f) != sizeof rec)
                break;
            if (memcmp(rec, "glyf", 4) == 0)
                found |= 1;
            if (memcmp(rec, "cmap", 4) == 0)
                found |= 2;
        }
        if (found != 3)
            why = "not a TrueType font (no glyf or cmap table)";
    }
    fclose(f);
    return why;
}

/* A file the theme names, resolved against dir; NULL when unreadable. */
static char *theme_file(ctx *c, node *n, const char *dir, const char *what)
{
    char *t, *path;

    if (scalar(c, n, what, &t))
        return NULL;
    path = path_join(dir, t);
    free(t);
    return path;
}

/* The keys of a theme (a theme file has the same, but file). */
static int load_theme_keys(ctx *c, node *m, const char *dir, int in_spec)
{
    static const char *const keys[] = {"accent", "font", "bold_font", "orientation", "cover",
                                       "logo", "header_logo", "file"};
    spec_theme *th = &c->s->theme;
    char *t = NULL;
    node *n;

    if (want(c, m, YAML_MAPPING_NODE, "theme") ||
        check_keys(c, m, "theme", keys, in_spec ? 8 : 7))
        return -1;
    if ((n = get(c, m, "accent")) != NULL) {
        if (scalar(c, n, "theme.accent", &t))
            return -1;
        if (parse_color(t, &th->accent)) {
            fail(c, n, "theme.accent must read like \"#1f78b4\", not \"%s\"", t);
            free(t);
            return -1;
        }
        free(t);
        th->has_accent = 1;
    }
    {
        static const char *const fk[] = {"font", "bold_font"};
        char **slot[] = {&th->font, &th->bold_font};
        size_t i;

        for (i = 0; i < 2; i++) {
            const char *why;
            char *path;

            if ((n = get(c, m, fk[i])) == NULL)
                continue;
            if ((path = theme_file(c, n, dir, "a font")) == NULL)
                return -1;
            if ((why = ttf_problem(path)) != NULL) {
                fail(c, n, "theme.%s: %s: %s", fk[i], path, why);
                free(path);
                return -1;
            }
            free(*slot[i]);
            *slot[i] = path;
        }
    }
    if (get_str(c, m, "orientation", 0, "theme", &t))
        return -1;
    if (t) {
        if (strcmp(t, "landscape") == 0)
            th->landscape = 1;
        else if (strcmp(t, "portrait") == 0)
            th->landscape = 0;
        else {
            fail(c, get(c, m, "orientation"),
                 "theme.orientation must be portrait or landscape, not \"%s\"", t);
            free(t);
            return -1;
        }
        free(t);
    }
    if (get_str(c, m, "cover", 0, "theme", &t))
        return -1;
    if (t) {
        static const char *const covers[] = {"left", "centered", "band"};
        int k;

        for (k = 0; k < 3 && strcmp(t, covers[k]) != 0; k++)
            ;
        if (k == 3) {
            fail(c, get(c, m, "cover"), "theme.cover must be left, centered or band, not \"%s\"",
                 t);
            free(t);
            return -1;
        }
        th->cover = k;
        free(t);
    }
    if ((n = get(c, m, "logo")) != NULL) {
        unsigned char magic[8] = {0};
        char *path = theme_file(c, n, dir, "a logo");
        FILE *f;

        if (!path)
            return -1;
        if ((f = fopen(path, "rb")) == NULL) {
            fail(c, n, "theme.logo: cannot read %s: %s", path, strerror(errno));
            free(path);
            return -1;
        }
        if (fread(magic, 1, sizeof magic, f) != sizeof magic)
            magic[0] = 0;
        fclose(f);
        if (memcmp(magic, "\x89PNG\r\n\x1a\n", 8) == 0)
            th->logo_jpeg = 0;
        else if (memcmp(magic, "\xFF\xD8\xFF", 3) == 0)
            th->logo_jpeg = 1;
        else {
            fail(c, n, "theme.logo: %s is neither a PNG nor a JPEG image", path);
            free(path);
            return -1;
        }
        free(th->logo);
        th->logo = path;
    }
    if ((n = get(c, m, "header_logo")) != NULL && to_bool(c, n, "theme.header_logo",
                                                         &th->header_logo))
        return -1;
    return 0;
}

/* theme: a mapping (its file: first, then its own keys over the file's), or
 * the path of a theme file alone. Paths in a theme file are relative to it. */
static int load_theme(ctx *c, node *n)
{
    node *file = n->type == YAML_SCALAR_NODE ? n : NULL;

    c->s->theme.header_logo = 1;
    if (n->type == YAML_MAPPING_NODE)
        file = get(c, n, "file");
    if (file) {
        ctx tc;
        char *path = theme_file(c, file, c->s->dir, "theme.file (a theme file)"), *dir;
        int rc;

        if (!path)
            return -1;
        if (access(path, R_OK) != 0) {
            fail(c, file, "theme file %s: %s", path, strerror(errno));
            free(path);
            return -1;
        }
        memset(&tc, 0, sizeof tc);
        tc.s = c->s;
        if (ydoc_load(&tc.y, path, c->y.err)) {
            free(path);
            return -1;
        }
        dir = path_dirname(path);
        rc = ydoc_root(&tc.y) ? load_theme_keys(&tc, ydoc_root(&tc.y), dir, 0)
                              : fail(&tc, NULL, "the theme file is empty");
        ydoc_free(&tc.y);
        free(dir);
        free(path);
        if (rc)
            return -1;
    }
    if (n->type == YAML_MAPPING_NODE || !file)
        return load_theme_keys(c, n, c->s->dir, 1);
    return 0;
}

/* ------------------------------------------------------------ locale */

/* locale: NAME and currency: CODE | {code: CODE, show: symbol|code}: the
 * report's locale, made (and checked) with ICU. */
static int load_locale(ctx *c, node *root)
{
    static const char *const keys[] = {"code", "show"};
    node *ln = get(c, root, "locale"), *cn = get(c, root, "currency"), *at;
    char *name = NULL, *code = NULL, *show = NULL, why[200];
    int show_code = 0, rc = -1;

    if (!ln && !cn)
        return 0;
    if (ln && scalar(c, ln, "locale", &name))
        return -1;
    at = ln;
    if (cn) {
        at = cn;
        if (cn->type == YAML_MAPPING_NODE) {
            if (check_keys(c, cn, "currency", keys, 2) ||
                get_str(c, cn, "code", 1, "currency", &code) ||
                get_str(c, cn, "show", 0, "currency", &show))
                goto out;
            if (show && strcmp(show, "code") == 0)
                show_code = 1;
            else if (show && strcmp(show, "symbol") != 0) {
                fail(c, get(c, cn, "show"), "currency.show must be symbol or code, not \"%s\"",
                     show);
                goto out;
            }
            at = get(c, cn, "code");
        } else if (scalar(c, cn, "currency (a code, or a mapping of code and show)", &code)) {
            goto out;
        }
    }
    if (name) {
        quire_locale *alone = quire_locale_new(name, NULL, 0, why, sizeof why);

        if (!alone) {
            fail(c, ln, "%s", why);
            goto out;
        }
        quire_locale_free(alone);
    }
    c->s->locale = quire_locale_new(name, code, show_code, why, sizeof why);
    if (!c->s->locale) {
        fail(c, at, "%s", why);
        goto out;
    }
    rc = 0;
out:
    free(name);
    free(code);
    free(show);
    return rc;
}

/* ------------------------------------------------------------ top level */

static int load_root(ctx *c, node *root, const spec_override *ov, size_t nov)
{
    static const char *const keys[] = {"title", "subtitle", "objective", "parameters", "periods",
                                       "sources", "entities", "facts", "features", "segments",
                                       "segmentations", "kpis", "sections", "lua", "schedule", "page",
                                       "contents", "strict", "models", "locale", "currency",
                                       "theme", "targets"};
    spec *s = c->s;
    node *n;

    if (!root)
        return fail(c, NULL, "the spec is empty");
    if (want(c, root, YAML_MAPPING_NODE, "a report spec"))
        return -1;
    if (check_keys(c, root, "the report spec", keys, sizeof keys / sizeof *keys))
        return -1;
    if ((n = get(c, root, "parameters")) != NULL) {
        if (load_params(c, n, ov, nov))
            return -1;
    } else if (nov) {
        return quire_err_at(c->y.err, QUIRE_EXIT_USAGE, c->y.file, 0, 0,
                            "--param %s: the spec has no parameters", ov[0].name);
    }
    /* The locale first (it may name parameters): the period's name and
     * ${to:month} are in its words. */
    publish_params(c);
    if (load_locale(c, root))
        return -1;
    quire_locale_use(s->locale);
#define SECTION(key, fn)                                  \
    if ((n = get(c, root, key)) == NULL)                  \
        return fail(c, root, "the spec needs \"" key "\""); \
    if (fn(c, n))                                         \
        return -1;
    SECTION("periods", load_periods)
    grain_period_name(c->period, sizeof c->period, s->grain, s->month_from, s->month_to);
    publish_params(c);
    if (get_str(c, root, "title", 1, "the report spec", &s->title) ||
        get_str(c, root, "subtitle", 0, "the report spec", &s->subtitle) ||
        get_str(c, root, "objective", 0, "the report spec", &s->objective))
        return -1;
    SECTION("sources", load_sources)
    SECTION("entities", load_entities)
    if ((n = get(c, root, "facts")) != NULL && load_facts(c, n))
        return -1;
    if ((n = get(c, root, "features")) != NULL && load_features(c, n))
        return -1;
    if ((n = get(c, root, "models")) != NULL && models_spec_parse(&c->y, n, s, &s->models))
        return -1;
    if ((n = get(c, root, "segments")) == NULL)
        return fail(c, root, "the spec needs \"segments\"");
    if (load_segments(c, n, get(c, root, "segmentations")))
        return -1;
    if ((n = get(c, root, "kpis")) != NULL && load_kpis(c, n))
        return -1;
    if ((n = get(c, root, "targets")) != NULL && load_targets(c, n))
        return -1;
    if ((n = get(c, root, "sections")) != NULL && load_sections(c, n))
        return -1;
#undef SECTION
    if ((n = get(c, root, "lua")) != NULL && load_lua(c, n))
        return -1;
    if ((n = get(c, root, "page")) != NULL && load_page(c, n))
        return -1;
    if ((n = get(c, root, "theme")) != NULL && load_theme(c, n))
        return -1;
    if ((n = get(c, root, "contents")) != NULL && to_bool(c, n, "contents", &s->contents))
        return -1;
    if ((n = get(c, root, "strict")) != NULL && to_bool(c, n, "strict", &s->strict))
        return -1;
    /* The schedule section (schedule.c): a report run ignores it, but it is
     * checked with the rest of the spec, from the same document. */
    if ((n = get(c, root, "schedule")) != NULL && schedule_parse(&c->y, n, s, &s->schedule))
        return -1;
    return 0;
}

spec *spec_load(const char *path, const spec_override *ov, size_t nov, quire_error *err)
{
    ctx c;
    spec *s;
    int rc;
    const quire_locale *before = quire_locale_active();

    memset(&c, 0, sizeof c);
    if (ydoc_load(&c.y, path, err))
        return NULL;
    s = xcalloc(1, sizeof *s);
    s->path = xstrdup(path);
    s->dir = path_dirname(path);
    c.s = s;
    rc = load_root(&c, ydoc_root(&c.y), ov, nov);
    quire_locale_use(before);
    ydoc_free(&c.y);
    if (rc == 0)
        rc = spec_bind(s, err);
    if (rc) {
        spec_free(s);
        return NULL;
    }
    return s;
}

const spec_source *spec_find_source(const spec *s, const char *name)
{
    size_t i;
    for (i = 0; i < s->nsources; i++)
        if (strcmp(s->sources[i].name, name) == 0)
            return &s->sources[i];
    return NULL;
}

int spec_segmentation_index(const spec_segmentation *g, const char *name)
{
    size_t i;
    for (i = 0; i < g->nsegments; i++)
        if (strcmp(g->segments[i].name, name) == 0)
            return (int)i;
    return -1;
}

int spec_segment_index(const spec *s, const char *name)
{
    return spec_segmentation_index(&s->segmentations[0], name);
}

void spec_free(spec *s)
{
    size_t i, j;

    if (!s)
        return;
    quire_locale_free(s->locale);
    free(s->theme.font);
    free(s->theme.bold_font);
    free(s->theme.logo);
    schedule_free(s->schedule);
    models_spec_free(s->models);
    for (i = 0; i < s->nparams; i++) {
        free(s->params[i].name);
        free(s->params[i].value);
        free(s->params[i].help);
        for (j = 0; j < s->params[i].nchoices; j++)
            free(s->params[i].choices[j]);
        free(s->params[i].choices);
    }
    free(s->params);
    for (i = 0; i < s->nsources; i++) {
        spec_source *src = &s->sources[i];
        free(src->name);
        free(src->plugin);
        for (j = 0; j < src->noptions; j++) {
            free(src->options[j].key);
            free(src->options[j].value);
            free(src->options[j].raw);
        }
        free(src->options);
        for (j = 0; j < src->ncolumns; j++) {
            free((char *)src->columns[j].name);
            free((char *)src->columns[j].format);
        }
        free(src->columns);
        for (j = 0; j < src->nderived; j++) {
            free(src->derived[j].name);
            expr_free(src->derived[j].x);
        }
        free(src->derived);
        for (j = 0; j < src->nwhere; j++) {
            free(src->where[j].name);
            expr_free(src->where[j].x);
        }
        free(src->where);
        for (j = 0; j < src->ndistinct_on; j++)
            free(src->distinct_on[j]);
        free(src->distinct_on);
        for (j = 0; j < src->nparts; j++) {
            spec_part *pt = &src->parts[j];
            size_t k;
            for (k = 0; k < pt->noptions; k++) {
                free(pt->options[k].key);
                free(pt->options[k].value);
                free(pt->options[k].raw);
            }
            free(pt->options);
            for (k = 0; k < pt->ncolumns; k++) {
                free((char *)pt->columns[k].name);
                free((char *)pt->columns[k].format);
            }
            free(pt->columns);
        }
        free(src->parts);
    }
    free(s->sources);
    free(s->entity_source);
    free(s->entity_key);
    free(s->entity_since);
    for (i = 0; i < s->nfacts; i++) {
        spec_fact *f = &s->facts[i];
        free(f->source);
        free(f->key);
        free(f->segment);
        free(f->date);
        for (j = 0; j < f->nmeasures; j++) {
            free(f->measures[j].name);
            free(f->measures[j].column);
        }
        free(f->measures);
    }
    free(s->facts);
    free(s->windows);
    for (i = 0; i < s->nsegmentations; i++) {
        spec_segmentation *g = &s->segmentations[i];
        free(g->name);
        free(g->title);
        free(g->rule);
        free(g->by);
        ruletable_free(g->table);
        for (j = 0; j < g->nsegments; j++)
            free(g->segments[j].name);
        free(g->segments);
    }
    free(s->segmentations);
    for (i = 0; i < s->nentity_attrs; i++)
        free(s->entity_attrs[i]);
    free(s->entity_attrs);
    for (i = 0; i < s->nkpis; i++) {
        size_t t;
        free(s->kpis[i].name);
        free(s->kpis[i].script);
        for (t = 0; t < s->kpis[i].ntargets; t++)
            free(s->kpis[i].targets[t].segment);
        free(s->kpis[i].targets);
    }
    free(s->targets_file);
    free(s->kpis);
    free(s->compares);
    for (i = 0; i < s->nsections; i++) {
        spec_section *sec = &s->sections[i];
        free(sec->title);
        free(sec->intro);
        for (j = 0; j < sec->nblocks; j++) {
            spec_block *b = &sec->blocks[j];
            size_t k;
            free(b->text);
            for (k = 0; k < b->nitems; k++) {
                free(b->items[k]);
                if (b->insights)
                    insight_free(&b->insights[k]);
            }
            free(b->items);
            free(b->insights);
            free(b->kpi);
            free(b->kpi2);
            for (k = 0; k < b->nrefs; k++)
                free(b->ref_labels[k]);
            free(b->ref_labels);
            free(b->refs);
            free(b->title);
            free(b->subtitle);
            free(b->x_title);
            free(b->y_title);
            free(b->matrix);
            free(b->compare);
            for (k = 0; k < b->nkpis; k++)
                free(b->kpis[k]);
            free(b->kpis);
            free(b->segment);
            free(b->source);
            free(b->show);
            free(b->value);
            free(b->x_value);
            for (k = 0; k < b->ncolumns; k++)
                free(b->columns[k]);
            free(b->columns);
            for (k = 0; b->colfmt && k < (b->ncolumns ? b->ncolumns : b->nkpis); k++)
                free(b->colfmt[k].label);
            free(b->colfmt);
            for (k = 0; k < b->nwhere; k++) {
                free(b->where[k].name);
                free(b->where[k].text);
            }
            free(b->where);
            free(b->sort);
        }
        free(sec->blocks);
    }
    free(s->sections);
    free(s->title);
    free(s->subtitle);
    free(s->objective);
    free(s->logo);
    free(s->path);
    free(s->dir);
    free(s);
}
