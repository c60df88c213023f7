/*
 * segment.c - the segment rule, once per entity and month.
 *
 * The rule is a Lua function that receives one record (a table reused for
 * every call; only the fields the script mentions are set) and returns a
 * segment name from the spec's list. Returned names are compared by pointer
 * against the interned names first, by content only as a fallback. A rule
 * table written in the spec (ruletable.h) is evaluated in C over the same
 * field values, without entering Lua.
 */
#include "date.h"
#include "field_cursor.h"
#include "model.h"

#include <ctype.h>
#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* ------------------------------------------------------------ the model */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

#define UNKNOWN_GROUP "Unknown"

/* The groups of segmentation sg: its list, or for "by" an attribute's values
 * (sorted), and "Unknown" when some entity has no value or one not listed. */
static int grouping_init(model *m, grouping *gr, const spec_segmentation *sg, quire_error *err)
{
    const facts *f = m->f;
    size_t i, e;
    int unknown = 0;

    gr->spec = sg;
    gr->attr = -1;
    for (i = 0; sg->by && i < f->nattrs; i++)
        if (strcmp(f->attrs[i].name, sg->by) == 0)
            gr->attr = (int)i;
    /* spec_bind() checked that a "by" attribute is a text one. */
    if (sg->nsegments) {
        gr->nseg = (int)sg->nsegments;
        gr->names = xcalloc(sg->nsegments + 2, sizeof *gr->names);
        for (i = 0; i < sg->nsegments; i++)
            gr->names[i] = sg->segments[i].name;
    } else {
        const facts_attr *a = &f->attrs[gr->attr];
        if (a->nvalues > 100)
            return quire_err_at(err, QUIRE_EXIT_DATA, m->s->path, sg->pos.line, sg->pos.col,
                                "segmentation \"%s\": attribute \"%s\" has %zu different "
                                "values; a segmentation has at most 100 segments (list the ones "
                                "to show)",
                                sg->name, a->name, a->nvalues);
        gr->nseg = (int)a->nvalues;
        gr->names = xcalloc(a->nvalues + 2, sizeof *gr->names);
        for (i = 0; i < a->nvalues; i++)
            gr->names[i] = a->values[i];
        qsort(gr->names, a->nvalues, sizeof *gr->names, cmp_str);
    }
    if (gr->attr >= 0) {
        /* by_code[code]: the group of an attribute value (code 0: none). */
        const facts_attr *a = &f->attrs[gr->attr];
        int j, nlisted = gr->nseg;
        gr->by_code = xcalloc(a->nvalues + 1, sizeof *gr->by_code);
        gr->by_code[0] = -1;
        for (i = 0; i < a->nvalues; i++) {
            gr->by_code[i + 1] = -1;
            for (j = 0; j < nlisted; j++)
                if (strcmp(gr->names[j], a->values[i]) == 0)
                    gr->by_code[i + 1] = j;
        }
        for (e = 0; e < f->nentities && !unknown; e++)
            unknown = gr->by_code[a->code[e]] < 0;
        if (unknown) {
            for (i = 0; i <= a->nvalues; i++)
                if (gr->by_code[i] < 0)
                    gr->by_code[i] = gr->nseg;
            gr->names[gr->nseg++] = UNKNOWN_GROUP;
        }
    }
    gr->colors = xcalloc((size_t)gr->nseg + 1, sizeof *gr->colors);
    gr->churned = xcalloc((size_t)gr->nseg + 1, sizeof *gr->churned);
    for (i = 0; i < (size_t)gr->nseg; i++) {
        if (i < sg->nsegments) {
            gr->colors[i] = sg->segments[i].color;
            gr->churned[i] = sg->segments[i].churned;
        } else {
            gr->colors[i] = spec_palette(i);
        }
    }
    if (unknown)
        gr->colors[gr->nseg - 1] = (quire_rgb){0.75, 0.75, 0.75};
    for (i = 0; i < (size_t)gr->nseg; i++)
        gr->own_churn |= gr->churned[i];
    if (sg == &m->s->segmentations[0])
        gr->own_churn = 1;
    return 0;
}

const char *model_group_name(const grouping *gr, int g)
{
    return g == gr->nseg ? "All" : gr->names[g];
}

static int field_index(const model *m, const char *name)
{
    size_t k;

    for (k = 0; k < m->nfields; k++)
        if (strcmp(m->fields[k].name, name) == 0)
            return (int)k;
    return -1;
}

/* One capture per table by customer and per chart of a per-customer value
 * (model_capture). */
static void add_captures(model *m)
{
    const spec *s = m->s;
    size_t i, j, k, n;

    for (i = 0; i < s->nsections; i++)
        for (j = 0; j < s->sections[i].nblocks; j++) {
            const spec_block *b = &s->sections[i].blocks[j];
            model_capture *cp;
            char name[200];

            int chart = b->kind == BLOCK_CHART && b->value;

            if (!chart && (b->kind != BLOCK_TABLE || !b->by_customer))
                continue;
            m->caps = xrealloc(m->caps, (m->ncaps + 1) * sizeof *m->caps);
            cp = &m->caps[m->ncaps++];
            n = chart ? 1 + (b->x_value != NULL) : b->ncolumns + b->nwhere + (b->sort != NULL);
            cp->block = b;
            cp->p = m->p_report + (b->month == SPEC_MONTH_LAST ? m->nreport - 1 : b->month);
            cp->nnames = n;
            cp->names = xcalloc(n, sizeof *cp->names);
            cp->kinds = xcalloc(n, sizeof *cp->kinds);
            cp->index = xcalloc(n, sizeof *cp->index);
            cp->v = xcalloc(n, sizeof *cp->v);
            for (k = 0; k < n; k++) {
                /* a chart's slots: its value, or its x_value then its value */
                const char *nm = chart ? (k + 1 < n ? b->x_value : b->value)
                                 : k < b->ncolumns ? b->columns[k]
                                 : k < b->ncolumns + b->nwhere ? b->where[k - b->ncolumns].name
                                                               : b->sort;
                spec_cust kind = spec_customer_field(s, nm);
                size_t q;

                cp->names[k] = nm;
                cp->kinds[k] = kind;
                cp->index[k] = -1;
                if (kind == SPEC_CUST_KPI) {
                    for (q = 0; q < s->nkpis; q++)
                        if (strcmp(s->kpis[q].name, nm) == 0)
                            cp->index[k] = (int)q;
                } else if (kind == SPEC_CUST_DATE) {
                    snprintf(name, sizeof name, "days_since_%s", nm);
                    cp->index[k] = field_index(m, name);
                } else if (kind == SPEC_CUST_NUMBER || kind == SPEC_CUST_TEXT) {
                    cp->index[k] = field_index(m, nm);
                }
                if (cp->index[k] >= 0) {
                    size_t e;
                    cp->v[k] = xmalloc((m->f->nentities ? m->f->nentities : 1) * sizeof **cp->v);
                    for (e = 0; e < m->f->nentities; e++)
                        cp->v[k][e] = NAN;
                }
            }
        }
}

model *model_new(const spec *s, const facts *f, quire_error *err)
{
    model *m = xcalloc(1, sizeof *m);
    size_t i;
    int p_report = s->month_from - f->month0;

    m->s = s;
    m->f = f;
    m->p_report = p_report;
    /* the period before the report, or as far back as its comparisons reach */
    m->p_first = p_report - (s->lookback > 1 ? s->lookback : 1);
    if (m->p_first < 0)
        m->p_first = 0;
    m->nreport = s->month_to - s->month_from + 1;

    {
        spec_field *sf = spec_fields(s, &m->nfields);
        m->fields = xcalloc(m->nfields + 1, sizeof *m->fields);
        for (i = 0; i < m->nfields; i++) {
            m->fields[i].name = sf[i].name; /* taken */
            m->fields[i].kind = sf[i].kind;
            m->fields[i].measure = sf[i].measure;
            m->fields[i].window = sf[i].window;
            m->fields[i].integral = sf[i].integral;
        }
        free(sf);
    }

    add_captures(m);
    m->groups = xcalloc(s->nsegmentations, sizeof *m->groups);
    for (i = 0; i < s->nsegmentations; i++) {
        m->ngroups++;
        if (grouping_init(m, &m->groups[i], &s->segmentations[i], err)) {
            model_free(m);
            return NULL;
        }
    }

    m->lua = model_lua_new(s, err);
    if (!m->lua) {
        model_free(m);
        return NULL;
    }
    return m;
}

quire_lua *model_lua_new(const spec *s, quire_error *err)
{
    quire_lua_limits lim;
    quire_lua *q;

    qlua_limits_default(&lim);
    if (s->lua_memory)
        lim.memory = s->lua_memory;
    if (s->lua_instructions)
        lim.instructions = s->lua_instructions;
    if (s->lua_seconds > 0)
        lim.seconds = s->lua_seconds;
    lim.seed = s->seed;
    q = qlua_new(&lim, err);
    if (q && lua_api_install(s, q, err)) {
        qlua_free(q);
        return NULL;
    }
    return q;
}

void model_free(model *m)
{
    size_t i;

    if (!m)
        return;
    for (i = 0; i < m->nfields; i++)
        free(m->fields[i].name);
    free(m->fields);
    for (i = 0; i < m->nkpis; i++) {
        free(m->kpis[i].label);
        free(m->kpis[i].description);
        free(m->kpis[i].missing);
    }
    free(m->kpis);
    for (i = 0; i < m->ngroups; i++) {
        grouping *gr = &m->groups[i];
        free((void *)gr->names);
        free(gr->colors);
        free(gr->churned);
        free(gr->by_code);
        free(gr->seg);
        pass_sums_free(&gr->totals);
        free(gr->kval);
        free(gr->kcmp);
    }
    free(m->groups);
    for (i = 0; i < m->ncaps; i++) {
        size_t k;
        for (k = 0; k < m->caps[i].nnames; k++)
            free(m->caps[i].v[k]);
        free(m->caps[i].v);
        free(m->caps[i].names);
        free(m->caps[i].kinds);
        free(m->caps[i].index);
    }
    free(m->caps);
    qlua_free(m->lua);
    free(m);
}

/* ------------------------------------------------------------ the rule */

/* Whether the script's code mentions name as a whole identifier (or inside
 * a string: c["name"]). Comments do not count, so a rule's documentation
 * costs nothing; a rule that builds field names at run time
 * (c["na" .. "me"]) must still mention them in its code. docs/spec.md says so. */
static int mentions(const char *text, const char *name)
{
    size_t n = strlen(name);
    const char *p = text;

    while ((p = strstr(p, name)) != NULL) {
        int before = p > text && (isalnum((unsigned char)p[-1]) || p[-1] == '_');
        int after = isalnum((unsigned char)p[n]) || p[n] == '_';
        if (!before && !after)
            return 1;
        p += n;
    }
    return 0;
}

/* The length of a long bracket's level at p ("[[" 0, "[==[" 2), or -1. */
static int long_bracket(const char *p)
{
    int level = 0;

    if (*p++ != '[')
        return -1;
    while (*p == '=') {
        level++;
        p++;
    }
    return *p == '[' ? level : -1;
}

/* Blank out Lua comments in text (in place), leaving strings alone. */
static void strip_comments(char *text)
{
    char *p = text;

    while (*p) {
        if (*p == '"' || *p == '\'') {
            char q = *p++;
            while (*p && *p != q && *p != '\n') {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (*p)
                p++;
        } else if (*p == '[' && long_bracket(p) >= 0) {
            int level = long_bracket(p);
            p += level + 2;
            while (*p && !(*p == ']' && strspn(p + 1, "=") == (size_t)level &&
                           p[level + 1] == ']'))
                p++;
            if (*p)
                p += level + 2;
        } else if (p[0] == '-' && p[1] == '-') {
            char *start = p;
            int level = long_bracket(p + 2);
            if (level >= 0) {
                p += level + 4;
                while (*p && !(*p == ']' && strspn(p + 1, "=") == (size_t)level &&
                               p[level + 1] == ']'))
                    p++;
                if (*p)
                    p += level + 2;
            } else {
                while (*p && *p != '\n')
                    p++;
            }
            memset(start, ' ', (size_t)(p - start));
        } else {
            p++;
        }
    }
}

int rule_load(quire_lua *q, const char *path, quire_error *err)
{
    return qlua_dofunction(q, path, "a segment rule must return a function "
                           "(return function(c) ... end)", err);
}

static char *read_file(const char *path, quire_error *err)
{
    FILE *fp = fopen(path, "rb");
    strbuf b = {0};
    char buf[8192];
    size_t n;

    if (!fp) {
        quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "cannot open segment rule");
        return NULL;
    }
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        sb_add(&b, buf, n);
    fclose(fp);
    if (!b.s)
        sb_puts(&b, "");
    return b.s;
}


#define CHUNK 2048

/* What a pass keeps on the Lua stack: the reused record, its keys, and per
 * grouping the rule and the interned segment names. */
typedef struct rule_ctx {
    model *m;
    quire_lua *lua;     /* the worker's state */
    lua_State *L;
    int *cref;          /* per KPI: its customer function in this state, or LUA_NOREF */
    int rec;            /* stack slot of the record */
    int *into;          /* per field: the slot of the table it is set in (the record,
                         * or for "rfm.r" the record's table "rfm") */
    int keys;           /* first of nfields field names, then "prev_segment", "segment" */
    int *fn;            /* per grouping: the rule's slot (0: by an attribute) */
    int *drv;           /* per grouping: the driver's slot (0: none) */
    int bat;            /* the chunk driver's slot (0: none; see make_batch) */
    int *names;         /* per grouping: first of its nseg names */
    const char ***name; /* per grouping: the interned names */
    int uses_prev;      /* some rule or customer function reads prev_segment */
    int uses_seg;       /* some customer function reads segment */
    int *customer;      /* the KPIs with a customer function */
    size_t ncustomer;
    int *used;          /* the fields a per-customer script mentions, in order */
    size_t nused;
} rule_ctx;

/* Say which customer and month the rule failed on, in front of the message;
 * the where, if any, stays. */
static int rule_error(model *m, const grouping *gr, size_t e, int p, quire_error *err)
{
    char key[96], mon[16];

    facts_key_text(m->f, e, key, sizeof key);
    grain_key(mon, sizeof mon, m->f->grain, m->f->month0 + p);
    if (gr->spec != &m->s->segmentations[0])
        return quire_err_at(err, QUIRE_EXIT_DATA, err->file, err->line, err->col,
                            "segment rule of \"%s\" (%s %s, %s): %s", gr->spec->name,
                            m->s->entity_key, key, mon, err->msg);
    return quire_err_at(err, QUIRE_EXIT_DATA, err->file, err->line, err->col,
                        "segment rule (%s %s, %s): %s", m->s->entity_key, key, mon, err->msg);
}

/* Push field k's value v as a rule sees it: nil for none, a text field's
 * text, an integral field as an integer. */
static inline void push_field(rule_ctx *rc, size_t k, double v)
{
    const model *m = rc->m;
    const field *fl = &m->fields[k];
    lua_State *L = rc->L;

    if (fl->kind == FIELD_TEXT) {
        uint32_t code = isnan(v) ? 0 : (uint32_t)v;
        if (code)
            lua_pushstring(L, fl->texts ? fl->texts[code - 1]
                                        : m->f->attrs[fl->measure].values[code - 1]);
        else
            lua_pushnil(L);
    } else if (isnan(v)) {
        lua_pushnil(L);
    } else if (fl->integral) {
        lua_pushinteger(L, (lua_Integer)v);
    } else {
        lua_pushnumber(L, v);
    }
}

/* Set the record's fields for the entity whose values are vals[k] (stride
 * apart). */
static void fill_record(rule_ctx *rc, const double *vals, size_t stride)
{
    lua_State *L = rc->L;
    size_t u;

    for (u = 0; u < rc->nused; u++) {
        const size_t k = (size_t)rc->used[u];
        lua_pushvalue(L, rc->keys + (int)k);
        push_field(rc, k, vals[k * stride]);
        lua_rawset(L, rc->into[k]);
    }
}

/* Set record.<slot name> to group g of grouping gi (nil when g < 0). */
static void set_group(rule_ctx *rc, int slot, int gi, int g)
{
    lua_State *L = rc->L;

    lua_pushvalue(L, rc->keys + (int)rc->m->nfields + slot);
    if (g >= 0)
        lua_pushstring(L, rc->m->groups[gi].names[g]);
    else
        lua_pushnil(L);
    lua_rawset(L, rc->rec);
}

/* The segment the rule's result at stack index idx names, or -1 with err
 * set. Leaves the stack as it is. */
static int rule_result(rule_ctx *rc, int gi, int idx, size_t e, int p, quire_error *err)
{
    model *m = rc->m;
    const grouping *gr = &m->groups[gi];
    lua_State *L = rc->L;
    const char *got;
    size_t glen;
    int g;

    got = lua_type(L, idx) == LUA_TSTRING ? lua_tolstring(L, idx, &glen) : NULL;
    for (g = 0; g < gr->nseg; g++)
        if (got == rc->name[gi][g])
            return g;
    for (g = 0; got && g < gr->nseg; g++)
        if (strlen(rc->name[gi][g]) == glen && memcmp(rc->name[gi][g], got, glen) == 0)
            return g;
    {
        strbuf list = {0};
        char shown[200];
        int j;
        for (j = 0; j < gr->nseg; j++)
            sb_printf(&list, "%s\"%s\"", j ? ", " : "", rc->name[gi][j]);
        if (got)
            quire_err(err, QUIRE_EXIT_DATA, "%s: returned \"%s\", which is not a segment of the "
                      "spec; segments: %s", gr->spec->rule, qlua_escape(shown, sizeof shown, got),
                      list.s);
        else
            quire_err(err, QUIRE_EXIT_DATA, "%s: returned %s; a rule must return a segment name: "
                      "%s", gr->spec->rule, luaL_typename(L, idx), list.s);
        sb_free(&list);
    }
    return rule_error(m, gr, e, p, err);
}

/* Call grouping gi's rule with the record. Returns the segment, or -1 with
 * err set. */
static int call_rule(rule_ctx *rc, int gi, size_t e, int p, quire_error *err)
{
    lua_State *L = rc->L;
    int g;

    lua_pushvalue(L, rc->fn[gi]);
    lua_pushvalue(L, rc->rec);
    if (qlua_call(rc->lua, 1, 1, NULL, err))
        return rule_error(rc->m, &rc->m->groups[gi], e, p, err);
    g = rule_result(rc, gi, -1, e, p, err);
    lua_pop(L, 1);
    return g;
}

static int customer_error(rule_ctx *rc, size_t k, size_t e, int p, quire_error *err)
{
    model *m = rc->m;
    char key[96], mon[16];

    facts_key_text(m->f, e, key, sizeof key);
    grain_key(mon, sizeof mon, m->f->grain, m->f->month0 + p);
    return quire_err_at(err, QUIRE_EXIT_DATA, err->file, err->line, err->col,
                        "KPI \"%s\" customer() (%s %s, %s): %s", m->kpis[k].spec->name,
                        m->s->entity_key, key, mon, err->msg);
}

/* KPI k's customer value at stack index idx: *out (NAN to skip), or -1 with
 * err set. */
static int customer_result(rule_ctx *rc, size_t k, int idx, size_t e, int p, double *out,
                           quire_error *err)
{
    lua_State *L = rc->L;

    switch (lua_type(L, idx)) {
    case LUA_TNUMBER:
        *out = lua_tonumber(L, idx);
        if (!isfinite(*out))
            *out = NAN;
        return 0;
    case LUA_TBOOLEAN:
        *out = lua_toboolean(L, idx) ? 1.0 : NAN;
        return 0;
    case LUA_TNIL:
        *out = NAN;
        return 0;
    default:
        quire_err(err, QUIRE_EXIT_DATA, "%s: customer() returned a %s; it must return a number, "
                  "a boolean or nil", rc->m->kpis[k].spec->script, luaL_typename(L, idx));
        return customer_error(rc, k, e, p, err);
    }
}

/* Call KPI k's customer function with the record: its value, NAN to skip. */
static int call_customer(rule_ctx *rc, size_t k, size_t e, int p, double *out, quire_error *err)
{
    lua_State *L = rc->L;
    int rc2;

    lua_rawgeti(L, LUA_REGISTRYINDEX, rc->cref[k]);
    lua_pushvalue(L, rc->rec);
    if (qlua_call(rc->lua, 1, 1, NULL, err))
        return customer_error(rc, k, e, p, err);
    rc2 = customer_result(rc, k, -1, e, p, out, err);
    lua_pop(L, 1);
    return rc2;
}

/* The rule and the customer functions of grouping gi for one customer: one
 * call into Lua through the grouping's driver when it has one, else a call
 * each. Returns the segment (or by_group when the grouping has no rule) and
 * fills vals[ci * CHUNK]; -1 with err set. When the driver fails, each
 * function is called alone to say which one failed. */
/* The rule and the customer functions of grouping gi, a call each. */
static int call_each(rule_ctx *rc, int gi, int by_group, size_t e, int p, double *vals,
                     quire_error *err)
{
    int g = by_group;
    size_t ci;

    if (rc->m->groups[gi].spec->rule && (g = call_rule(rc, gi, e, p, err)) < 0)
        return -1;
    if (rc->uses_seg)
        set_group(rc, 1, gi, g);
    for (ci = 0; ci < rc->ncustomer; ci++)
        if (call_customer(rc, (size_t)rc->customer[ci], e, p, &vals[ci * CHUNK], err))
            return -1;
    return g;
}

static int call_customer_scripts(rule_ctx *rc, int gi, int by_group, size_t e, int p,
                                 double *vals, quire_error *err)
{
    lua_State *L = rc->L;
    const int has_rule = rc->m->groups[gi].spec->rule != NULL;
    const int nres = has_rule + (int)rc->ncustomer;
    int g = by_group, i;
    size_t ci;
    quire_error first;

    if (!rc->drv[gi])
        return call_each(rc, gi, by_group, e, p, vals, err);
    lua_pushvalue(L, rc->drv[gi]);
    lua_pushvalue(L, rc->rec);
    if (qlua_call(rc->lua, 1, nres, NULL, err) == 0) {
        if (has_rule)
            g = rule_result(rc, gi, -nres, e, p, err);
        for (ci = 0, i = -nres + has_rule; g >= 0 && ci < rc->ncustomer; ci++, i++)
            if (customer_result(rc, (size_t)rc->customer[ci], i, e, p, &vals[ci * CHUNK], err))
                g = -1;
        lua_pop(L, nres);
        return g;
    }
    first = *err;
    if (call_each(rc, gi, by_group, e, p, vals, err) < 0)
        return -1;
    *err = first; /* failed together, not alone: say so as it was */
    return rule_error(rc->m, &rc->m->groups[gi], e, p, err);
}

/* The Lua the pass generated (code, freed) compiled onto L's stack: 0, or
 * -1 with err. */
static int load_generated(lua_State *L, strbuf *code, quire_error *err)
{
    int bad = luaL_loadbufferx(L, code->s, code->len, "=[segment pass]", "t") != LUA_OK;

    sb_free(code);
    if (bad) {
        quire_err(err, QUIRE_EXIT_DATA, "segment pass: %s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

/* Grouping gi's driver: function(c) calling its rule and every customer
 * function, in one call from C. Pushed on the stack; returns its slot, or 0
 * when there is nothing to fuse. */
static int make_driver(rule_ctx *rc, int gi, quire_error *err)
{
    model *m = rc->m;
    lua_State *L = rc->L;
    const int has_rule = m->groups[gi].spec->rule != NULL;
    strbuf code = {0};
    size_t ci;
    int rcode;

    if (!rc->ncustomer || (!has_rule && rc->ncustomer < 2))
        return 0;
    sb_puts(&code, "local rule");
    for (ci = 0; ci < rc->ncustomer; ci++)
        sb_printf(&code, ", f%zu", ci);
    sb_puts(&code, " = ...\nreturn function(c)\n");
    if (has_rule)
        sb_puts(&code, rc->uses_seg ? "  local s = rule(c)\n  c.segment = s\n  return s"
                                    : "  return rule(c)");
    else
        sb_puts(&code, "  return ");
    for (ci = 0; ci < rc->ncustomer; ci++)
        sb_printf(&code, "%sf%zu(c)", has_rule || ci ? ", " : "", ci);
    sb_puts(&code, "\nend\n");
    if (load_generated(L, &code, err))
        return -1;
    if (has_rule)
        lua_pushvalue(L, rc->fn[gi]);
    else
        lua_pushnil(L);
    for (ci = 0; ci < rc->ncustomer; ci++)
        lua_rawgeti(L, LUA_REGISTRYINDEX, rc->cref[rc->customer[ci]]);
    rcode = qlua_call(rc->lua, 1 + (int)rc->ncustomer, 1, "segment pass", err);
    return rcode ? -1 : lua_gettop(L);
}

/* Mark the fields each script mentions: used (per-customer scripts) and
 * needed (every script). */
static int mark_fields(model *m, rule_ctx *rc, quire_error *err)
{
    const spec *s = m->s;
    size_t i, k;
    char *text;

    for (i = 0; i < m->ngroups; i++) {
        const char *path = m->groups[i].spec->rule;
        const ruletable *t = m->groups[i].spec->table;
        /* A rule table's fields are computed, not pushed to Lua. */
        for (k = 0; t && k < t->nnodes; k++)
            if (t->nodes[k].field)
                m->fields[t->nodes[k].index].needed = 1;
        if (!path)
            continue;
        if (!(text = read_file(path, err)))
            return -1;
        strip_comments(text);
        for (k = 0; k < m->nfields; k++)
            if (mentions(text, m->fields[k].name))
                m->fields[k].used = m->fields[k].needed = 1;
        rc->uses_prev |= mentions(text, "prev_segment");
        free(text);
    }
    for (i = 0; i < s->nkpis; i++) {
        int per_customer = m->kpis[i].customer_ref != LUA_NOREF;
        if (!(text = read_file(s->kpis[i].script, err)))
            return -1;
        strip_comments(text);
        for (k = 0; k < m->nfields; k++)
            if (mentions(text, m->fields[k].name)) {
                m->fields[k].needed = 1;
                if (per_customer)
                    m->fields[k].used = 1;
            }
        if (per_customer) {
            rc->uses_prev |= mentions(text, "prev_segment");
            rc->uses_seg |= mentions(text, "segment");
        }
        free(text);
    }
    return 0;
}

/*
 * The pass runs on NWORKERS threads, each with a Lua state of its own.
 * Each sums a fixed part of the entities, chunk by chunk in order, and the
 * parts are merged in worker order, so the results do not depend on the
 * machine. The rules and customer functions, the costly part, are shared
 * out anew each month by the customers they will run for (those signed up
 * by then: in data whose keys follow signing up, the first part has more):
 * a worker evaluates the chunks of another's part that fall to it first,
 * and leaves their segments and values (not sums: counts only, which are
 * exact in any order) for the owner, who adds them up in its turn. The
 * sharing depends on the data alone, so it too is the same on every run.
 */
#define NWORKERS 2

/* What the workers of one month share: the evaluations of the chunks left
 * for their owners, and whether each is there yet. A chunk left is one
 * slot: its customer functions' values [grouping][function][CHUNK], then
 * its segments and lost flags [grouping][CHUNK]. At most SHARE_BYTES of
 * slots: with many groupings and functions, fewer chunks are shared. */
#define SHARE_BYTES ((size_t)16 << 20)
typedef struct pass_share {
    char **slot;           /* the slots, made as months need them */
    size_t nslots, maxslots, slot_bytes;
    size_t base;           /* the first chunk left this month */
    int *ready;            /* per chunk: the month + 1 once its values are in */
    int go;                /* the month + 1 once the parts are shared out */
    int failed;            /* a worker failed: the others stop waiting */
    pthread_mutex_t mu;
    pthread_cond_t cv;
} pass_share;

typedef struct worker {
    model *m;
    rule_ctx rc;
    int base;               /* the state's stack top before the pass */
    size_t from, to;        /* entities it sums */
    size_t efrom, eto;      /* entities it evaluates this month */
    pass_share *share;
    int stopped;            /* it stopped because another worker failed */
    const field_cursor *ft;     /* shared, read-only during a period */
    double *cur, *cval;
    int8_t *segc, *prevc;   /* [grouping][customer of the chunk] */
    int8_t *was;            /* the same: counted as lost last month */
    pass_sums *part;        /* per grouping: what it adds up for one period */
    int p;
    /* The chunk the driver runs (run_batch): customer i of [c0, c0 + n) is
     * the one handed to Lua last, once started; g[gi] its segments. */
    size_t c0, n, i;
    int8_t *kind;           /* per field of rc.used: PUSH_* */
    int32_t end;            /* the period's last day */
    int started, status;
    int nval;               /* values batch_next hands out per customer */
    int nmeta;              /* the record and its tables: batch_next's upvalues */
    int plain;              /* the rest of the chunk a call at a time */
    int *g;
    quire_error *berr;
    int rc_status;
    quire_error err;
    double cpu;             /* CPU seconds in worker_thread */
} worker;

/* t.customer for the table t, run by qlua_call. */
static int get_customer(lua_State *L)
{
    lua_getfield(L, 1, "customer");
    return 1;
}

/* Grouping gi's segment for customer i of the chunk when no rule decides it:
 * a rule table's, in C, or the attribute's group. */
static int group_in_c(const worker *w, size_t gi, size_t c0, size_t i)
{
    const model *m = w->m;
    const grouping *gr = &m->groups[gi];

    if (gr->spec->table) /* in C: the last rule takes every customer */
        return ruletable_eval(gr->spec->table, w->cur + i, CHUNK);
    return gr->by_code[m->f->attrs[gr->attr].code[c0 + i]];
}

/* Count customer i of the chunk (entity c0 + i) in segment g of grouping gi,
 * after grouping 0 for the same customer. */
static void tally(worker *w, size_t gi, size_t c0, size_t i, int g)
{
    model *m = w->m;
    grouping *gr = &m->groups[gi];
    pass_sums *pt = &w->part[gi];
    const int ng = gr->nseg, prev = w->prevc[gi * CHUNK + i];
    int lost, was_lost;

    w->segc[gi * CHUNK + i] = (int8_t)g;
    gr->seg[(size_t)w->p * m->f->nentities + c0 + i] = (int8_t)g;
    pt->customers[g] += 1;
    pt->customers[ng] += 1;
    if (prev < 0)
        return;
    /* Lost: in a churned segment of this segmentation, or of the first one
     * when this one flags none. */
    if (gr->own_churn) {
        lost = gr->churned[g];
        was_lost = gr->churned[prev];
    } else {
        lost = w->segc[i] >= 0 && m->groups[0].churned[w->segc[i]];
        was_lost = w->prevc[i] >= 0 && m->groups[0].churned[w->prevc[i]];
    }
    w->was[gi * CHUNK + i] = (int8_t)was_lost;
    pt->prev_customers[prev] += 1;
    if (!lost)
        pt->retained[prev] += 1;
    if (!was_lost) {
        pt->prev_customers[ng] += 1;
        if (!lost)
            pt->retained[ng] += 1;
    }
}

/* Whether grouping gi calls Lua for every customer: a rule, or the KPIs'
 * customer functions. */
static int calls_lua(const rule_ctx *rc, size_t gi)
{
    return rc->m->groups[gi].spec->rule || rc->ncustomer;
}

/* Customer i of the chunk, every grouping, through a protected call per
 * grouping (or per function): the record filled from C. */
static int customer_calls(worker *w, size_t c0, size_t i, quire_error *err)
{
    model *m = w->m;
    rule_ctx *rc = &w->rc;
    size_t gi;
    int filled = 0, g;

    for (gi = 0; gi < m->ngroups; gi++) {
        if (!filled && calls_lua(rc, gi)) {
            fill_record(rc, w->cur + i, CHUNK);
            filled = 1;
        }
        if (rc->uses_prev)
            set_group(rc, 0, (int)gi, w->prevc[gi * CHUNK + i]);
        g = m->groups[gi].spec->rule ? -1 : group_in_c(w, gi, c0, i);
        if (rc->uses_seg)
            set_group(rc, 1, (int)gi, g); /* nil until the rule has run */
        g = call_customer_scripts(rc, (int)gi, g, c0 + i, w->p,
                                  w->cval + gi * rc->ncustomer * CHUNK + i, err);
        if (g < 0)
            return -1;
        tally(w, gi, c0, i, g);
    }
    return 0;
}

/* The chunk driver's next(results...): takes the results of the customer it
 * handed out last (each grouping's segment name, when it has a rule, then its
 * customer functions' values), counts them and starts a new call for the
 * limits; then hands out the chunk's next customer: true, the values of the
 * fields the scripts use, and per grouping that calls Lua, 1 + its last
 * month's segment (0: none) when a script reads prev_segment, and 1 + its
 * segment when it has no rule and a script reads segment. Returns false at
 * the chunk's end, or on a result that is not one (w->status and w->berr
 * set). */
/* How batch_next pushes a field: a number, an integer (nil for none either
 * way), or as push_field does. */
enum { PUSH_NUMBER, PUSH_INTEGER, PUSH_OTHER };

static _Thread_local worker *batch_worker; /* the worker whose chunk runs */

static int batch_next(lua_State *L)
{
    worker *w = batch_worker;
    rule_ctx *rc = &w->rc;
    model *m = w->m;
    const size_t ngr = m->ngroups, nc = rc->ncustomer;
    const int32_t *since = m->f->since + w->c0, end = w->end;
    size_t gi, ci, i, u;
    int arg = 1, g;

    if (w->started) {
        i = w->i;
        for (gi = 0; gi < ngr; gi++) {
            const grouping *gr = &m->groups[gi];
            double *vals = w->cval + gi * nc * CHUNK + i;
            if (!calls_lua(rc, gi))
                continue;
            if (gr->spec->rule) {
                /* an interned name, by pointer; else rule_result says why */
                const char *got = lua_type(L, arg) == LUA_TSTRING ? lua_tostring(L, arg) : NULL;
                for (g = 0; g < gr->nseg && got != rc->name[gi][g]; g++)
                    ;
                if (g == gr->nseg &&
                    (g = rule_result(rc, (int)gi, arg, w->c0 + i, w->p, w->berr)) < 0)
                    goto stop;
                w->g[gi] = g;
                arg++;
            }
            for (ci = 0; ci < nc; ci++, arg++) {
                const int t = lua_type(L, arg);
                if (t == LUA_TNUMBER) {
                    const double x = lua_tonumber(L, arg);
                    vals[ci * CHUNK] = isfinite(x) ? x : NAN;
                } else if (t == LUA_TNIL) {
                    vals[ci * CHUNK] = NAN;
                } else if (customer_result(rc, (size_t)rc->customer[ci], arg, w->c0 + i, w->p,
                                           &vals[ci * CHUNK], w->berr)) {
                    goto stop;
                }
            }
        }
        for (gi = 0; gi < ngr; gi++)
            tally(w, gi, w->c0, i, w->g[gi]);
        qlua_next_call(L);
        i++;
    } else {
        i = 0;
        w->started = 1;
    }
    while (i < w->n && since[i] != FACTS_NO_DATE && since[i] > end)
        i++; /* not a customer yet */
    w->i = i;
    if (i >= w->n) {
        lua_pushboolean(L, 0);
        return 1;
    }
    /* A script gave the record (or one of its tables) a metatable: the
     * driver's stores could run its __newindex, where the record used to be
     * filled raw. The rest of the chunk goes a call at a time. */
    for (u = 1; u <= (size_t)w->nmeta; u++)
        if (lua_getmetatable(L, lua_upvalueindex((int)u))) {
            lua_pop(L, 1);
            w->plain = 1;
            lua_pushboolean(L, 0);
            return 1;
        }
    if (w->nval >= LUA_MINSTACK)
        luaL_checkstack(L, w->nval + 1, "segment pass");
    lua_pushboolean(L, 1);
    for (u = 0; u < rc->nused; u++) {
        const size_t k = (size_t)rc->used[u];
        const double v = w->cur[k * CHUNK + i];
        if (w->kind[u] == PUSH_NUMBER && !isnan(v))
            lua_pushnumber(L, v);
        else if (w->kind[u] == PUSH_INTEGER && !isnan(v))
            lua_pushinteger(L, (lua_Integer)v);
        else
            push_field(rc, k, v);
    }
    for (gi = 0; gi < ngr; gi++) {
        const int rule = m->groups[gi].spec->rule != NULL;
        w->g[gi] = rule ? -1 : group_in_c(w, gi, w->c0, i);
        if (!calls_lua(rc, gi))
            continue;
        if (rc->uses_prev)
            lua_pushinteger(L, w->prevc[gi * CHUNK + i] + 1);
        if (!rule && rc->uses_seg)
            lua_pushinteger(L, w->g[gi] + 1);
    }
    return 1 + w->nval;
stop:
    w->status = -1;
    lua_pushboolean(L, 0);
    return 1;
}

/* s as a Lua string literal. */
static void lua_literal(strbuf *b, const char *s)
{
    sb_puts(b, "\"");
    for (; *s; s++)
        if (isalnum((unsigned char)*s) || *s == '_' || *s == '.' || *s == ' ')
            sb_add(b, s, 1);
        else
            sb_printf(b, "\\%03u", (unsigned)(unsigned char)*s);
    sb_puts(b, "\"");
}

/* At most this many locals in the chunk driver (its upvalues copied, the
 * values from batch_next and the results for it); past it (a spec with very
 * many fields) customers are called one by one. Lua allows a function 200
 * locals and 255 registers. */
#define BATCH_LOCALS 180

/* The chunk driver: one protected call runs every customer of a chunk,
 * calling for each what customer_calls would, in the same order, with the
 * record filled in Lua from batch_next's results:
 *
 *   local next, c, T1, R0, F0, N0 = ...
 *   return function()
 *     local next, c, T1, R0, F0, N0 = next, c, T1, R0, F0, N0
 *     local S1, S2
 *     while true do
 *       local more, A1, A2, A3, P0 = next(S1, S2)
 *       if not more then return end
 *       c["tenure_months"] = A1 ...
 *       c["prev_segment"] = N0[P0]
 *       S1 = R0(c)
 *       S2 = F0(c)
 *     end
 *   end
 *
 * Pushed on the stack; returns its slot, 0 when customers are called one by
 * one, -1 with err set. */
static int make_batch(worker *w, quire_error *err)
{
    rule_ctx *rc = &w->rc;
    model *m = w->m;
    lua_State *L = rc->L;
    const size_t ngr = m->ngroups, nc = rc->ncustomer;
    strbuf code = {0}, par = {0};
    size_t gi, ci, u, k, nres = 0, nval = 0, ntab = 0, npar;
    int *tab = xcalloc(m->nfields + 1, sizeof *tab), rcode, chunk;

    for (gi = 0; gi < ngr; gi++)
        if (calls_lua(rc, gi)) {
            nres += (m->groups[gi].spec->rule != NULL) + nc;
            nval += (size_t)rc->uses_prev + (!m->groups[gi].spec->rule && rc->uses_seg);
        }
    nval += rc->nused;
    /* the record's tables ("rfm" of rfm.r) other than the record */
    for (u = 0; u < rc->nused; u++) {
        int at = rc->into[rc->used[u]];
        for (k = 0; k < ntab && tab[k] != at; k++)
            ;
        if (at != rc->rec && k == ntab)
            tab[ntab++] = at;
    }
    npar = 2 + ntab + 2 * ngr + nc;
    if (!nres || npar + 2 * nres + nval + 2 > BATCH_LOCALS) {
        free(tab);
        return 0;
    }
    /* upvalues copied to locals: a local is read a little faster */
    sb_puts(&par, "next, c");
    for (k = 0; k < ntab; k++)
        sb_printf(&par, ", T%zu", k);
    for (gi = 0; gi < ngr; gi++)
        if (m->groups[gi].spec->rule)
            sb_printf(&par, ", R%zu", gi);
    for (ci = 0; ci < nc; ci++)
        sb_printf(&par, ", F%zu", ci);
    for (gi = 0; gi < ngr; gi++)
        sb_printf(&par, ", N%zu", gi);
    sb_printf(&code, "local %s = ...\nreturn function()\n  local %s = %s\n  local S1", par.s, par.s,
              par.s);
    sb_free(&par);
    for (k = 2; k <= nres; k++)
        sb_printf(&code, ", S%zu", k);
    sb_puts(&code, "\n  while true do\n    local more");
    for (k = 1; k <= nval; k++)
        sb_printf(&code, ", A%zu", k);
    sb_puts(&code, " = next(S1");
    for (k = 2; k <= nres; k++)
        sb_printf(&code, ", S%zu", k);
    sb_puts(&code, ")\n    if not more then return end\n");
    for (u = 0; u < rc->nused; u++) {
        const char *name = m->fields[rc->used[u]].name, *dot = strchr(name, '.');
        int at = rc->into[rc->used[u]];
        if (at == rc->rec) {
            sb_puts(&code, "    c[");
        } else {
            for (k = 0; tab[k] != at; k++)
                ;
            sb_printf(&code, "    T%zu[", k);
            name = dot + 1;
        }
        lua_literal(&code, name);
        sb_printf(&code, "] = A%zu\n", u + 1);
    }
    k = rc->nused;  /* values handed out so far */
    nres = 0;       /* results taken so far */
    for (gi = 0; gi < ngr; gi++) {
        const int rule = m->groups[gi].spec->rule != NULL;
        if (!calls_lua(rc, gi))
            continue;
        if (rc->uses_prev)
            sb_printf(&code, "    c.prev_segment = N%zu[A%zu]\n", gi, ++k);
        if (rule) {
            if (rc->uses_seg)
                sb_puts(&code, "    c.segment = nil\n");
            sb_printf(&code, "    S%zu = R%zu(c)\n", ++nres, gi);
            if (rc->uses_seg)
                sb_printf(&code, "    c.segment = S%zu\n", nres);
        } else if (rc->uses_seg) {
            sb_printf(&code, "    c.segment = N%zu[A%zu]\n", gi, ++k);
        }
        for (ci = 0; ci < nc; ci++)
            sb_printf(&code, "    S%zu = F%zu(c)\n", ++nres, ci);
    }
    sb_puts(&code, "  end\nend\n");
    free(tab);
    if (load_generated(L, &code, err))
        return -1;
    chunk = lua_gettop(L);
    w->nval = (int)nval;
    w->kind = xcalloc(rc->nused + 1, sizeof *w->kind);
    for (u = 0; u < rc->nused; u++) {
        const field *fl = &m->fields[rc->used[u]];
        w->kind[u] = fl->kind == FIELD_TEXT ? PUSH_OTHER : fl->integral ? PUSH_INTEGER : PUSH_NUMBER;
    }
    /* next, with the record and its tables as upvalues; then the same as
     * the driver's c, T0, ... */
    for (k = 0; k < 2; k++) {
        lua_pushvalue(L, rc->rec);
        for (u = 0; u < rc->nused; u++) {
            /* the tables in the order of tab[] */
            int at = rc->into[rc->used[u]];
            size_t j;
            for (j = 0; j < u && rc->into[rc->used[j]] != at; j++)
                ;
            if (at != rc->rec && j == u)
                lua_pushvalue(L, at);
        }
        if (k == 0)
            lua_pushcclosure(L, batch_next, 1 + (int)ntab);
    }
    w->nmeta = 1 + (int)ntab;
    for (gi = 0; gi < ngr; gi++)
        if (m->groups[gi].spec->rule)
            lua_pushvalue(L, rc->fn[gi]);
    for (ci = 0; ci < nc; ci++)
        lua_rawgeti(L, LUA_REGISTRYINDEX, rc->cref[rc->customer[ci]]);
    for (gi = 0; gi < ngr; gi++) {
        const grouping *gr = &m->groups[gi];
        int g;
        lua_createtable(L, gr->nseg, 0);
        for (g = 0; g < gr->nseg; g++) {
            lua_pushvalue(L, rc->names[gi] + g);
            lua_rawseti(L, -2, g + 1);
        }
    }
    rcode = qlua_call(rc->lua, lua_gettop(L) - chunk, 1, "segment pass", err);
    return rcode ? -1 : lua_gettop(L);
}

/* Chunk [c0, c0 + n): every customer through the chunk driver in one
 * protected call. When Lua fails, the customer it failed on is called again
 * one call at a time, which says which script failed, as it would have
 * without the driver. */
static int run_batch(worker *w, size_t c0, size_t n, quire_error *err)
{
    rule_ctx *rc = &w->rc;
    quire_error first;
    size_t gi;

    w->c0 = c0;
    w->n = n;
    w->i = 0;
    w->started = 0;
    w->status = 0;
    w->plain = 0;
    w->berr = err;
    w->end = facts_period_end(w->m->f, w->p);
    batch_worker = w;
    lua_pushvalue(rc->L, rc->bat);
    if (qlua_call(rc->lua, 0, 0, NULL, err) == 0) {
        const int32_t *since = w->m->f->since + c0;
        size_t i;
        if (w->status || !w->plain)
            return w->status;
        for (i = w->i; i < n; i++)
            if ((since[i] == FACTS_NO_DATE || since[i] <= w->end) && customer_calls(w, c0, i, err))
                return -1;
        return 0;
    }
    if (!w->started || w->i >= n)
        return -1;
    first = *err;
    if (customer_calls(w, c0, w->i, err))
        return -1;
    *err = first; /* failed in the driver, not alone: say so as it was */
    for (gi = 0; !calls_lua(rc, gi); gi++)
        ;
    return rule_error(w->m, &w->m->groups[gi], c0 + w->i, w->p, err);
}

/* Load the rules and the KPIs' customer functions into the worker's state
 * and anchor what the pass needs on its stack. */
static int worker_setup(worker *w, quire_error *err)
{
    model *m = w->m;
    rule_ctx *rc = &w->rc;
    lua_State *L = rc->L;
    const size_t nf = m->nfields, ngr = m->ngroups;
    size_t gi, k;
    int g;

    w->base = lua_gettop(L);
    for (k = 0; k < m->nkpis; k++) {
        rc->cref[k] = LUA_NOREF;
        if (m->kpis[k].customer_ref == LUA_NOREF)
            continue;
        if (rc->lua == m->lua) {
            rc->cref[k] = m->kpis[k].customer_ref;
            continue;
        }
        if (qlua_dofile(rc->lua, m->kpis[k].spec->script, 1, err))
            return -1;
        if (lua_istable(L, -1)) {
            /* The script's table: its __index may raise or loop. */
            lua_pushcfunction(L, get_customer);
            lua_pushvalue(L, -2);
            if (qlua_callf(rc->lua, 1, 1, err, "KPI \"%s\"", m->kpis[k].spec->name))
                return -1;
        }
        if (!lua_isfunction(L, -1))
            return quire_err_at(err, QUIRE_EXIT_DATA, m->kpis[k].spec->script, 0, 0,
                                "KPI \"%s\": the script returned a different table the "
                                "second time it ran",
                                m->kpis[k].spec->name);
        rc->cref[k] = luaL_ref(L, LUA_REGISTRYINDEX);
        lua_pop(L, 1);
    }
    for (gi = 0; gi < ngr; gi++) {
        const grouping *gr = &m->groups[gi];
        if (!gr->spec->rule)
            continue;
        if (rule_load(rc->lua, gr->spec->rule, err))
            return -1;
        rc->fn[gi] = lua_gettop(L);
    }
    for (gi = 0; gi < ngr; gi++)
        if ((rc->drv[gi] = make_driver(rc, (int)gi, err)) < 0)
            return -1;
    lua_createtable(L, 0, (int)nf + 2);
    rc->rec = lua_gettop(L);
    /* A field named "table.key" (a model's, such as rfm.r) is set in the
     * record's table "table", made once here. */
    luaL_checkstack(L, 2 * (int)nf + 8, "segment rule");
    for (k = 0; k < nf; k++) {
        const char *dot = strchr(m->fields[k].name, '.');
        size_t j;
        rc->into[k] = rc->rec;
        if (!dot)
            continue;
        for (j = 0; j < k; j++)
            if (rc->into[j] != rc->rec &&
                strncmp(m->fields[j].name, m->fields[k].name,
                        (size_t)(dot - m->fields[k].name) + 1) == 0)
                rc->into[k] = rc->into[j];
        if (rc->into[k] != rc->rec)
            continue;
        lua_newtable(L);
        lua_pushlstring(L, m->fields[k].name, (size_t)(dot - m->fields[k].name));
        lua_pushvalue(L, -2);
        lua_rawset(L, rc->rec);
        rc->into[k] = lua_gettop(L);
    }
    rc->keys = lua_gettop(L) + 1;
    for (k = 0; k < nf; k++) {
        const char *dot = strchr(m->fields[k].name, '.');
        lua_pushstring(L, dot ? dot + 1 : m->fields[k].name);
    }
    lua_pushstring(L, "prev_segment");
    lua_pushstring(L, "segment");
    for (gi = 0; gi < ngr; gi++) {
        const grouping *gr = &m->groups[gi];
        luaL_checkstack(L, gr->nseg + 8, "segment rule");
        rc->names[gi] = lua_gettop(L) + 1;
        rc->name[gi] = xcalloc((size_t)gr->nseg + 1, sizeof **rc->name);
        for (g = 0; g < gr->nseg; g++)
            rc->name[gi][g] = lua_pushstring(L, gr->names[g]);
    }
    if ((rc->bat = make_batch(w, err)) < 0)
        return -1;
    return 0;
}

/* The values of the chunk [c0, c0 + n) that tables by customer show, when
 * this is their month. */
static void capture(worker *w, size_t c0, size_t n)
{
    model *m = w->m;
    const rule_ctx *rc = &w->rc;
    size_t i, k, ci;

    for (i = 0; i < m->ncaps; i++) {
        const model_capture *cp = &m->caps[i];
        size_t gi = (size_t)cp->block->segmentation;

        if (cp->p != w->p)
            continue;
        for (k = 0; k < cp->nnames; k++) {
            double *out = cp->v[k];
            size_t e;

            if (!out)
                continue;
            switch (cp->kinds[k]) {
            case SPEC_CUST_KPI:
                for (ci = 0; ci < rc->ncustomer && rc->customer[ci] != cp->index[k]; ci++)
                    ;
                if (ci < rc->ncustomer)
                    memcpy(out + c0, w->cval + (gi * rc->ncustomer + ci) * CHUNK,
                           n * sizeof *out);
                break;
            case SPEC_CUST_DATE:
                for (e = 0; e < n; e++) {
                    int32_t lt = fields_latest(w->ft, (size_t)cp->index[k])[c0 + e];
                    out[c0 + e] = lt == FACTS_NO_DATE ? NAN : (double)lt;
                }
                break;
            default:
                memcpy(out + c0, w->cur + (size_t)cp->index[k] * CHUNK, n * sizeof *out);
                break;
            }
        }
    }
}

/* Chunk [c0, c0 + n) of period w->p into the worker's buffers: its field
 * values and its customers' segments last month. */
static void load_chunk(worker *w, size_t c0, size_t n)
{
    const model *m = w->m;
    const size_t ne = m->f->nentities;
    const int p = w->p;
    size_t k, gi, i;

    for (k = 0; k < m->nfields; k++)
        if (m->fields[k].needed)
            fields_load(w->ft, k, c0, n, w->cur + k * CHUNK);
    for (gi = 0; gi < m->ngroups; gi++) {
        const grouping *gr = &m->groups[gi];
        int8_t *pv = w->prevc + gi * CHUNK;
        for (i = 0; i < n; i++)
            pv[i] = (int8_t)(p > m->p_first ? gr->seg[(size_t)(p - 1) * ne + c0 + i] : -1);
    }
}

/* The chunk loaded and evaluated: its customers' segments and customer
 * functions' values into the worker's buffers, counted, and captured for
 * tables by customer. */
static int eval_chunk(worker *w, size_t c0, size_t n, quire_error *err)
{
    model *m = w->m;
    const facts *f = m->f;
    rule_ctx *rc = &w->rc;
    const int32_t end = facts_period_end(f, w->p), *since = f->since + c0;
    size_t gi, i;

    load_chunk(w, c0, n);
    for (gi = 0; gi < m->ngroups; gi++) {
        memset(w->segc + gi * CHUNK, -1, n);
        memset(w->was + gi * CHUNK, 0, n);
    }
    if (rc->bat) {
        if (run_batch(w, c0, n, err))
            return -1;
    } else {
        for (i = 0; i < n; i++)
            if ((since[i] == FACTS_NO_DATE || since[i] <= end) && customer_calls(w, c0, i, err))
                return -1;
    }
    capture(w, c0, n);
    return 0;
}

/* The slot of chunk c0 in the share: its customer functions' values,
 * segments and lost flags. */
static void slot_of(const worker *w, size_t c0, double **cv, int8_t **sg, int8_t **ws)
{
    const size_t nv = w->m->ngroups * w->rc.ncustomer;

    *cv = (double *)w->share->slot[c0 / CHUNK - w->share->base];
    *sg = (int8_t *)(*cv + nv * CHUNK);
    *ws = *sg + w->m->ngroups * CHUNK;
}

/* Leave the evaluated chunk c0 in the share for its owner. */
static void leave_chunk(worker *w, size_t c0)
{
    const size_t nv = w->m->ngroups * w->rc.ncustomer, ng = w->m->ngroups;
    pass_share *sh = w->share;
    double *cv;
    int8_t *sg, *ws;

    slot_of(w, c0, &cv, &sg, &ws);
    memcpy(cv, w->cval, nv * CHUNK * sizeof *cv);
    memcpy(sg, w->segc, ng * CHUNK);
    memcpy(ws, w->was, ng * CHUNK);
    pthread_mutex_lock(&sh->mu);
    sh->ready[c0 / CHUNK] = w->p + 1;
    pthread_cond_broadcast(&sh->cv);
    pthread_mutex_unlock(&sh->mu);
}

/* Take chunk [c0, c0 + n), evaluated by another worker, from the share:
 * loaded again, with the segments and values it left. */
static void take_chunk(worker *w, size_t c0, size_t n)
{
    const size_t nv = w->m->ngroups * w->rc.ncustomer, ng = w->m->ngroups;
    double *cv;
    int8_t *sg, *ws;

    load_chunk(w, c0, n);
    slot_of(w, c0, &cv, &sg, &ws);
    memcpy(w->cval, cv, nv * CHUNK * sizeof *cv);
    memcpy(w->segc, sg, ng * CHUNK);
    memcpy(w->was, ws, ng * CHUNK);
}

/* Wait until another worker has left chunk c0's values: 0, or -1 when a
 * worker failed. */
static int wait_chunk(worker *w, size_t c0)
{
    pass_share *sh = w->share;
    int ok;

    pthread_mutex_lock(&sh->mu);
    while (sh->ready[c0 / CHUNK] != w->p + 1 && !sh->failed)
        pthread_cond_wait(&sh->cv, &sh->mu);
    ok = sh->ready[c0 / CHUNK] == w->p + 1;
    pthread_mutex_unlock(&sh->mu);
    return ok ? 0 : -1;
}

/* The chunk's sums per segment, and per last month's segment (cohorts),
 * into the worker's part. Only the customers with a segment count; each
 * sum takes its values in the customers' order, the totals over all
 * segments kept in a register meanwhile (the same additions, without a
 * store and a load between two of them). */
static void sum_chunk(worker *w, size_t n)
{
    model *m = w->m;
    rule_ctx *rc = &w->rc;
    const size_t nf = m->nfields;
    uint16_t act[CHUNK];
    size_t gi, k, i, j, na, ci;

    for (gi = 0; gi < m->ngroups; gi++) {
        const grouping *gr = &m->groups[gi];
        pass_sums *pt = &w->part[gi];
        const int8_t *sg = w->segc + gi * CHUNK, *pv = w->prevc + gi * CHUNK,
                     *ws = w->was + gi * CHUNK;
        const double *gval = w->cval + gi * rc->ncustomer * CHUNK;
        const size_t ng = (size_t)gr->nseg;

        for (i = na = 0; i < n; i++)
            if (sg[i] >= 0)
                act[na++] = (uint16_t)i;
        for (k = 0; k < nf; k++) {
            const double *v = w->cur + k * CHUNK;
            double *sum = pt->sums + k, *coh = pt->cohort + k;
            double all = sum[ng * nf], call = coh[ng * nf];
            if (!m->fields[k].needed || m->fields[k].kind == FIELD_TEXT)
                continue;
            for (j = 0; j < na; j++) {
                double x;
                int pr;
                i = act[j];
                x = v[i];
                if (isnan(x))
                    continue;
                sum[(size_t)sg[i] * nf] += x;
                all += x;
                if ((pr = pv[i]) >= 0) {
                    coh[(size_t)pr * nf] += x;
                    if (!ws[i])
                        call += x;
                }
            }
            sum[ng * nf] = all;
            coh[ng * nf] = call;
        }
        for (ci = 0; ci < rc->ncustomer; ci++) {
            size_t at = (size_t)rc->customer[ci] * (ng + 1);
            const double *v = gval + ci * CHUNK;
            double all = pt->csum[at + ng], nall = pt->ccount[at + ng];
            for (j = 0; j < na; j++) {
                i = act[j];
                if (isnan(v[i]))
                    continue;
                pt->csum[at + (size_t)sg[i]] += v[i];
                pt->ccount[at + (size_t)sg[i]] += 1;
                all += v[i];
                nall += 1;
            }
            pt->csum[at + ng] = all;
            pt->ccount[at + ng] = nall;
        }
    }
}

/*
 * Period w->p: the chunks of [w->efrom, w->eto) evaluated, in order; the
 * partial sums of [w->from, w->to), in order. A chunk this worker evaluates
 * is summed at once when it is the next of its own part; any other is left
 * in the share, and the own chunks others evaluate are summed from there
 * afterwards.
 */
static int worker_period(worker *w, quire_error *err)
{
    const size_t ne = w->m->f->nentities;
    size_t c0, n, next = w->from, gi;

    for (gi = 0; gi < w->m->ngroups; gi++)
        pass_sums_clear(&w->part[gi]);
    for (c0 = w->efrom; c0 < w->eto; c0 += n) {
        n = ne - c0 < CHUNK ? ne - c0 : CHUNK;
        if (eval_chunk(w, c0, n, err))
            return -1;
        if (c0 == next && c0 < w->to) {
            sum_chunk(w, n);
            next += n;
        } else {
            leave_chunk(w, c0);
        }
    }
    for (; next < w->to; next += n) {
        n = ne - next < CHUNK ? ne - next : CHUNK;
        if (wait_chunk(w, next)) {
            w->stopped = 1;
            return -1;
        }
        take_chunk(w, next, n);
        sum_chunk(w, n);
    }
    return 0;
}

/* Host work on a state (filling the record, anchoring values) allocates in
 * it outside qlua_call; a script that keeps the state at its memory cap
 * makes that fail, and the state's recovery point turns it into an error. */
static int period_guarded(void *arg)
{
    worker *w = arg;
    return worker_period(w, &w->err);
}

static int setup_guarded(void *arg)
{
    worker *w = arg;
    return worker_setup(w, &w->err);
}

static void *worker_thread(void *arg)
{
    worker *w = arg;
    struct timespec t0, t1;
    int clock;

    /* The month's parts are shared out once every thread is started. */
    pthread_mutex_lock(&w->share->mu);
    while (w->share->go != w->p + 1)
        pthread_cond_wait(&w->share->cv, &w->share->mu);
    pthread_mutex_unlock(&w->share->mu);
    clock = clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t0) == 0;
    /* A worker without entities has no state of its own. */
    w->rc_status = w->rc.lua ? qlua_guarded(w->rc.lua, period_guarded, w, "segment pass", &w->err)
                             : worker_period(w, &w->err);
    if (w->rc_status && !w->stopped) {
        /* Whoever waits for this worker's chunks waits no more. */
        pthread_mutex_lock(&w->share->mu);
        w->share->failed = 1;
        pthread_cond_broadcast(&w->share->cv);
        pthread_mutex_unlock(&w->share->mu);
    }
    if (clock && clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t1) == 0)
        w->cpu += (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    return NULL;
}

/* Add a worker's partial sums of period p into the groupings. */
static void merge(model *m, const worker *w, int p)
{
    size_t gi;

    for (gi = 0; gi < m->ngroups; gi++)
        pass_sums_merge(&m->groups[gi].totals, (size_t)p, &w->part[gi]);
}

static void worker_free(worker *w, size_t ngr)
{
    size_t gi;

    if (w->rc.L)
        lua_settop(w->rc.L, w->base);
    for (gi = 0; gi < ngr; gi++) {
        if (w->rc.name)
            free((void *)w->rc.name[gi]);
        if (w->part)
            pass_sums_free(&w->part[gi]);
    }
    free(w->part);
    free(w->cur);
    free(w->cval);
    free(w->segc);
    free(w->prevc);
    free(w->was);
    free(w->g);
    free(w->kind);
    free(w->rc.fn);
    free(w->rc.drv);
    free(w->rc.names);
    free((void *)w->rc.name);
    free(w->rc.customer);
    free(w->rc.used);
    free(w->rc.cref);
    free(w->rc.into);
    if (w->rc.lua && w->rc.lua != w->m->lua)
        qlua_free(w->rc.lua);
}

/*
 * Period p's evaluation shared out between the workers (parts unchanged):
 * worker i evaluates from the chunk where the customers signed up by the
 * month's end reach i/NWORKERS of them (a chunk counts for those, and for a
 * sixteenth of all its customers: loading and summing cost every one), when
 * the chunks it leaves for their owners fit the share's slots (else the
 * parts as they are). Workers without a state of their own (no entities)
 * evaluate none. Called while no worker runs.
 */
static void share_out(worker *wk, pass_share *sh, const facts *f, int p, int balance)
{
    const size_t ne = f->nentities, nchunks = (ne + CHUNK - 1) / CHUNK;
    const int32_t end = facts_period_end(f, p);
    size_t c, e, total = 0, acc = 0, lo, hi, k;
    size_t *weight;
    int i;

    for (i = 0; i < NWORKERS; i++) {
        wk[i].efrom = wk[i].from;
        wk[i].eto = wk[i].to;
        wk[i].stopped = 0;
        if (!wk[i].rc.lua || wk[i].from >= wk[i].to)
            balance = 0;
    }
    if (!balance || nchunks < NWORKERS || sh->maxslots == 0)
        return;
    weight = xmalloc(nchunks * sizeof *weight);
    for (c = 0; c < nchunks; c++) {
        size_t top = (c + 1) * CHUNK < ne ? (c + 1) * CHUNK : ne, w = (top - c * CHUNK) / 16;
        for (e = c * CHUNK; e < top; e++)
            w += f->since[e] == FACTS_NO_DATE || f->since[e] <= end;
        weight[c] = w;
        total += w;
    }
    for (c = 0, i = 1; c < nchunks && i < NWORKERS; c++) {
        acc += weight[c];
        while (i < NWORKERS && acc * NWORKERS >= total * (size_t)i) {
            wk[i - 1].eto = (c + 1) * CHUNK < ne ? (c + 1) * CHUNK : ne;
            wk[i].efrom = wk[i - 1].eto;
            i++;
        }
    }
    free(weight);
    /* The chunks left in the share: what a worker evaluates but does not
     * sum at once (worker_period): all of them when it starts past its own
     * part's start, else those before its part and after it. */
    lo = nchunks;
    hi = 0;
    for (i = 0; i < NWORKERS; i++) {
        size_t ea = wk[i].efrom / CHUNK, eb = (wk[i].eto + CHUNK - 1) / CHUNK;
        size_t oa = wk[i].from / CHUNK, ob = (wk[i].to + CHUNK - 1) / CHUNK;
        size_t left[2][2] = {{ea, eb}, {eb, eb}};
        int j;
        if (ea >= eb)
            continue;
        if (ea <= oa) {
            left[0][1] = oa < eb ? oa : eb; /* before its part */
            left[1][0] = ob > ea ? ob : ea; /* after it */
        }
        for (j = 0; j < 2; j++)
            if (left[j][0] < left[j][1]) {
                lo = left[j][0] < lo ? left[j][0] : lo;
                hi = left[j][1] > hi ? left[j][1] : hi;
            }
    }
    if (lo >= hi)
        return;
    if (hi - lo > sh->maxslots) {
        for (i = 0; i < NWORKERS; i++) {
            wk[i].efrom = wk[i].from;
            wk[i].eto = wk[i].to;
        }
        return;
    }
    sh->base = lo;
    for (k = sh->nslots; k < hi - lo; k++)
        sh->slot[k] = xmalloc(sh->slot_bytes);
    if (hi - lo > sh->nslots)
        sh->nslots = hi - lo;
}

int segments_assign(model *m, quire_error *err)
{
    const facts *f = m->f;
    const size_t ne = f->nentities, nf = m->nfields, ngr = m->ngroups;
    const int np = f->nperiods;
    field_cursor *ft = NULL;
    worker wk[NWORKERS];
    pass_share share;
    rule_ctx marks;
    size_t per = (ne / NWORKERS + CHUNK - 1) / CHUNK * CHUNK, k, gi;
    int p, i, rcode = -1;
    double t0;

    memset(wk, 0, sizeof wk);
    memset(&share, 0, sizeof share);
    pthread_mutex_init(&share.mu, NULL);
    pthread_cond_init(&share.cv, NULL);
    memset(&marks, 0, sizeof marks);
    /* Fields no script mentions are neither computed nor summed. */
    if (mark_fields(m, &marks, err))
        goto out;
    /* ... and those a table by customer shows. */
    for (k = 0; k < m->ncaps; k++) {
        size_t j;
        for (j = 0; j < m->caps[k].nnames; j++)
            if (m->caps[k].kinds[j] != SPEC_CUST_KPI && m->caps[k].index[j] >= 0)
                m->fields[m->caps[k].index[j]].needed = 1;
    }
    ft = fields_new(m, NULL);
    for (i = 0; i < NWORKERS; i++) {
        worker *w = &wk[i];
        rule_ctx *rc = &w->rc;
        w->m = m;
        w->ft = ft;
        w->share = &share;
        w->from = (size_t)i * per < ne ? (size_t)i * per : ne;
        w->to = i == NWORKERS - 1 ? ne : ((size_t)(i + 1) * per < ne ? (size_t)(i + 1) * per : ne);
        rc->m = m;
        rc->uses_prev = marks.uses_prev;
        rc->uses_seg = marks.uses_seg;
        rc->fn = xcalloc(ngr, sizeof *rc->fn);
        rc->drv = xcalloc(ngr, sizeof *rc->drv);
        rc->names = xcalloc(ngr, sizeof *rc->names);
        rc->name = xcalloc(ngr, sizeof *rc->name);
        rc->customer = xcalloc(m->nkpis + 1, sizeof *rc->customer);
        rc->cref = xcalloc(m->nkpis + 1, sizeof *rc->cref);
        rc->into = xcalloc(nf + 1, sizeof *rc->into);
        for (k = 0; k < m->nkpis; k++)
            if (m->kpis[k].customer_ref != LUA_NOREF)
                rc->customer[rc->ncustomer++] = (int)k;
        rc->used = xcalloc(nf + 1, sizeof *rc->used);
        for (k = 0; k < nf; k++)
            if (m->fields[k].used)
                rc->used[rc->nused++] = (int)k;
        w->cur = xmalloc((nf + 1) * CHUNK * sizeof *w->cur);
        w->cval = xmalloc((rc->ncustomer * ngr + 1) * CHUNK * sizeof *w->cval);
        w->segc = xmalloc(ngr * CHUNK);
        w->prevc = xmalloc(ngr * CHUNK);
        w->was = xmalloc(ngr * CHUNK);
        w->g = xcalloc(ngr + 1, sizeof *w->g);
        w->part = xcalloc(ngr, sizeof *w->part);
        for (gi = 0; gi < ngr; gi++)
            pass_sums_init(&w->part[gi], 1, (size_t)m->groups[gi].nseg + 1, nf, m->nkpis);
        /* The first worker uses the run's state; the others one each (none
         * when they have no entities). */
        if (w->from >= w->to && i > 0)
            continue;
        if (i == 0) {
            rc->lua = m->lua;
        } else {
            rc->lua = qlua_new(qlua_limits(m->lua), err);
            if (!rc->lua || lua_api_install(m->s, rc->lua, err))
                goto out;
        }
        rc->L = qlua_state(rc->lua);
        if (qlua_guarded(rc->lua, setup_guarded, w, "segment pass", &w->err)) {
            *err = w->err;
            goto out;
        }
    }

    for (gi = 0; gi < ngr; gi++) {
        grouping *gr = &m->groups[gi];
        gr->seg = xmalloc((size_t)np * (ne ? ne : 1));
        memset(gr->seg, -1, (size_t)np * ne);
        pass_sums_init(&gr->totals, (size_t)np, (size_t)gr->nseg + 1, nf, m->nkpis);
    }
    share.slot_bytes = CHUNK * ngr * (wk[0].rc.ncustomer * sizeof(double) + 2);
    share.maxslots = SHARE_BYTES / (share.slot_bytes ? share.slot_bytes : 1);
    share.slot = xcalloc(share.maxslots + 1, sizeof *share.slot);
    share.ready = xcalloc(ne / CHUNK + 1, sizeof *share.ready);
    t0 = quire_monotonic();
    for (p = 0; p < np; p++) {
        pthread_t th[NWORKERS];
        int started[NWORKERS] = {0}, all = 1;

        /* Advance the lifetime sums and latest dates to period p. */
        fields_advance(ft, p);
        if (p < m->p_first)
            continue;
        for (i = 0; i < NWORKERS; i++)
            wk[i].p = p;
        /* Worker 0 on this thread, the others beside it, waiting for their
         * share of the month (or after it when a thread cannot be started:
         * then each evaluates its own part, and the results are the same). */
        for (i = 1; i < NWORKERS; i++)
            if (wk[i].from < wk[i].to)
                all &= started[i] = pthread_create(&th[i], NULL, worker_thread, &wk[i]) == 0;
        share_out(wk, &share, f, p, all);
        for (i = 0; i < NWORKERS; i++) {
            size_t c0;
            for (c0 = wk[i].efrom; c0 < wk[i].eto; c0 += CHUNK) {
                m->chunks++;
                m->chunks_lent += c0 < wk[i].from || c0 >= wk[i].to;
            }
        }
        pthread_mutex_lock(&share.mu);
        share.go = p + 1;
        pthread_cond_broadcast(&share.cv);
        pthread_mutex_unlock(&share.mu);
        worker_thread(&wk[0]);
        for (i = 1; i < NWORKERS; i++) {
            if (started[i])
                pthread_join(th[i], NULL);
            else
                worker_thread(&wk[i]);
        }
        /* The first part's error (not a part that stopped for it): the same
         * on every machine. */
        for (i = 0; i < NWORKERS; i++)
            if (wk[i].rc_status && !wk[i].stopped) {
                *err = wk[i].err;
                goto out;
            }
        for (i = 0; i < NWORKERS; i++)
            merge(m, &wk[i], p);
    }
    m->rule_seconds = quire_monotonic() - t0;
    m->rule_cpu = 0;
    for (i = 0; i < NWORKERS; i++)
        m->rule_cpu += wk[i].cpu;
    rcode = 0;
out:
    for (i = 0; i < NWORKERS; i++)
        worker_free(&wk[i], ngr);
    fields_free(ft);
    for (k = 0; k < share.nslots; k++)
        free(share.slot[k]);
    free(share.slot);
    free(share.ready);
    pthread_cond_destroy(&share.cv);
    pthread_mutex_destroy(&share.mu);
    return rcode;
}
