/*
 * segment.c - the segment rule, once per entity and month.
 *
 * The rule is a Lua function that receives one record (a table reused for
 * every call; only the fields the script mentions are set) and returns a
 * segment name from the spec's list. Returned names are compared by pointer
 * against the interned names first, by content only as a fallback.
 */
#include "model.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "util.h"

/* ------------------------------------------------------------ the model */

static void add_field(model *m, const char *name, field_kind kind, int measure, int window,
                      int integral)
{
    field *fl;
    m->fields = xrealloc(m->fields, (m->nfields + 1) * sizeof *m->fields);
    fl = &m->fields[m->nfields++];
    memset(fl, 0, sizeof *fl);
    fl->name = xstrdup(name);
    fl->kind = kind;
    fl->measure = measure;
    fl->window = window;
    fl->integral = integral;
}

model *model_new(const spec *s, const facts *f, quire_error *err)
{
    model *m = xcalloc(1, sizeof *m);
    quire_lua_limits lim;
    size_t i, w;
    int p_report = s->month_from - f->month0;

    m->s = s;
    m->f = f;
    m->nseg = (int)s->nsegments;
    m->p_report = p_report;
    m->p_first = p_report > 0 ? p_report - 1 : 0;
    m->nreport = s->month_to - s->month_from + 1;

    for (i = 0; i < f->nmeasures; i++) {
        const facts_measure *fm = &f->m[i];
        int additive = fm->def->agg == AGG_COUNT || fm->def->agg == AGG_SUM;
        int integral = fm->def->agg == AGG_COUNT;
        char name[160];

        if (fm->is_date) {
            snprintf(name, sizeof name, "days_since_%s", fm->def->name);
            add_field(m, name, FIELD_DAYS_SINCE, (int)i, 0, 1);
            continue;
        }
        add_field(m, fm->def->name, FIELD_MEASURE, (int)i, 0, integral);
        if (fm->def->agg == AGG_COUNT) {
            snprintf(name, sizeof name, "has_%s", fm->def->name);
            add_field(m, name, FIELD_HAS, (int)i, 0, 1);
        }
        for (w = 0; w < s->nwindows && additive; w++) {
            snprintf(name, sizeof name, "%s_%dm", fm->def->name, s->windows[w]);
            add_field(m, name, FIELD_WINDOW, (int)i, s->windows[w], integral);
        }
    }
    if (s->entity_since)
        add_field(m, "tenure_months", FIELD_TENURE, -1, 0, 1);

    qlua_limits_default(&lim);
    if (s->lua_memory)
        lim.memory = s->lua_memory;
    if (s->lua_instructions)
        lim.instructions = s->lua_instructions;
    if (s->lua_seconds > 0)
        lim.seconds = s->lua_seconds;
    lim.seed = s->seed;
    m->lua = qlua_new(&lim, err);
    if (!m->lua) {
        model_free(m);
        return NULL;
    }
    return m;
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
    }
    free(m->kpis);
    free(m->kval);
    free(m->seg);
    free(m->customers);
    free(m->prev_customers);
    free(m->retained);
    free(m->sums);
    free(m->cohort);
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

static char *read_file(const char *path, quire_error *err)
{
    FILE *fp = fopen(path, "rb");
    strbuf b = {0};
    char buf[8192];
    size_t n;

    if (!fp) {
        quire_err(err, QUIRE_EXIT_USAGE, "%s: error: cannot open segment rule", path);
        return NULL;
    }
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        sb_add(&b, buf, n);
    fclose(fp);
    if (!b.s)
        sb_puts(&b, "");
    return b.s;
}

static int32_t month_end_day(int month)
{
    int y = month / 12, mo = month % 12 + 1;
    return days_from_civil(y, mo, days_in_month(y, mo));
}

static int rule_error(model *m, size_t e, int p, quire_error *err)
{
    char key[96], mon[16], msg[sizeof err->msg];

    facts_key_text(m->f, e, key, sizeof key);
    format_month(mon, sizeof mon, m->f->month0 + p);
    snprintf(msg, sizeof msg, "%s", err->msg);
    return quire_err(err, QUIRE_EXIT_DATA, "segment rule (%s %s, %s): %s", m->s->entity_key, key,
                     mon, msg);
}

/* The rule's state for one run: the function, the reused record, the
 * interned segment names and field names, all anchored on the Lua stack. */
typedef struct rule_ctx {
    model *m;
    lua_State *L;
    int fn, rec;        /* stack slots */
    int names;          /* first of nseg segment names */
    int keys;           /* first of nfields field names, then "prev_segment" */
    const char **name;  /* the interned segment names */
    int uses_prev;
} rule_ctx;

/* Call the rule for entity e of period p, whose field values are vals[k]
 * (stride apart). Returns the segment, or -1 with err set. */
static int call_rule(rule_ctx *rc, const double *vals, size_t stride, int prev, size_t e, int p,
                     quire_error *err)
{
    model *m = rc->m;
    lua_State *L = rc->L;
    const char *got;
    size_t k, glen;
    int g;

    for (k = 0; k < m->nfields; k++) {
        const field *fl = &m->fields[k];
        double v;
        if (!fl->used)
            continue;
        v = vals[k * stride];
        lua_pushvalue(L, rc->keys + (int)k);
        if (isnan(v))
            lua_pushnil(L);
        else if (fl->integral)
            lua_pushinteger(L, (lua_Integer)v);
        else
            lua_pushnumber(L, v);
        lua_rawset(L, rc->rec);
    }
    if (rc->uses_prev) {
        lua_pushvalue(L, rc->keys + (int)m->nfields);
        if (prev >= 0)
            lua_pushvalue(L, rc->names + prev);
        else
            lua_pushnil(L);
        lua_rawset(L, rc->rec);
    }
    lua_pushvalue(L, rc->fn);
    lua_pushvalue(L, rc->rec);
    if (qlua_call(m->lua, 1, 1, NULL, err))
        return rule_error(m, e, p, err);
    got = lua_tolstring(L, -1, &glen);
    for (g = 0; g < m->nseg; g++)
        if (got == rc->name[g])
            break;
    if (g == m->nseg && got)
        for (g = 0; g < m->nseg; g++)
            if (strlen(rc->name[g]) == glen && memcmp(rc->name[g], got, glen) == 0)
                break;
    if (g == m->nseg) {
        strbuf list = {0};
        int j;
        for (j = 0; j < m->nseg; j++)
            sb_printf(&list, "%s\"%s\"", j ? ", " : "", rc->name[j]);
        if (lua_type(L, -1) == LUA_TSTRING)
            quire_err(err, QUIRE_EXIT_DATA, "%s: error: the rule returned \"%s\", which is not a "
                      "segment of the spec; segments: %s", m->s->segment_rule, got, list.s);
        else
            quire_err(err, QUIRE_EXIT_DATA, "%s: error: the rule returned %s; it must return a "
                      "segment name: %s", m->s->segment_rule, luaL_typename(L, -1), list.s);
        sb_free(&list);
        lua_pop(L, 1);
        return rule_error(m, e, p, err);
    }
    lua_pop(L, 1);
    return g;
}

#define CHUNK 2048

int segments_assign(model *m, quire_error *err)
{
    const facts *f = m->f;
    const spec *s = m->s;
    const size_t ne = f->nentities, nf = m->nfields;
    const int ng = m->nseg + 1, np = f->nperiods;
    lua_State *L = qlua_state(m->lua);
    double **run = xcalloc(nf + 1, sizeof *run);
    int32_t **latest = xcalloc(nf + 1, sizeof *latest);
    double *cur = xmalloc((nf + 1) * CHUNK * sizeof *cur); /* [field][entity of chunk] */
    int8_t segc[CHUNK], prevc[CHUNK];
    rule_ctx rc;
    char *text;
    int base, g, p, rcode = -1;
    size_t e, k;
    struct timespec t0, t1;

    memset(&rc, 0, sizeof rc);
    rc.m = m;
    rc.L = L;
    rc.name = xcalloc((size_t)m->nseg + 1, sizeof *rc.name);
    base = lua_gettop(L);
    text = read_file(s->segment_rule, err);
    if (!text)
        goto out;
    strip_comments(text);
    for (k = 0; k < nf; k++)
        m->fields[k].used = m->fields[k].needed = mentions(text, m->fields[k].name);
    rc.uses_prev = mentions(text, "prev_segment");
    free(text);
    /* Fields no script mentions are neither computed nor summed. */
    for (g = 0; g < (int)s->nkpis; g++) {
        text = read_file(s->kpis[g].script, err);
        if (!text)
            goto out;
        strip_comments(text);
        for (k = 0; k < nf; k++)
            m->fields[k].needed |= mentions(text, m->fields[k].name);
        free(text);
    }

    if (qlua_dofile(m->lua, s->segment_rule, 1, err))
        goto out;
    if (!lua_isfunction(L, -1)) {
        quire_err(err, QUIRE_EXIT_USAGE, "%s: error: a segment rule must return a function "
                  "(return function(c) ... end), not a %s", s->segment_rule, luaL_typename(L, -1));
        goto out;
    }
    rc.fn = lua_gettop(L);
    lua_createtable(L, 0, (int)nf + 1);
    rc.rec = lua_gettop(L);
    luaL_checkstack(L, m->nseg + (int)nf + 8, "segment rule");
    rc.names = lua_gettop(L) + 1;
    for (g = 0; g < m->nseg; g++)
        rc.name[g] = lua_pushstring(L, s->segments[g].name);
    rc.keys = lua_gettop(L) + 1;
    for (k = 0; k < nf; k++)
        lua_pushstring(L, m->fields[k].name);
    lua_pushstring(L, "prev_segment");

    m->seg = xmalloc((size_t)np * ne);
    memset(m->seg, -1, (size_t)np * ne);
    m->customers = xcalloc((size_t)np * (size_t)ng, sizeof *m->customers);
    m->prev_customers = xcalloc((size_t)np * (size_t)ng, sizeof *m->prev_customers);
    m->retained = xcalloc((size_t)np * (size_t)ng, sizeof *m->retained);
    m->sums = xcalloc((size_t)np * (size_t)ng * nf, sizeof *m->sums);
    m->cohort = xcalloc((size_t)np * (size_t)ng * nf, sizeof *m->cohort);
    /* Running state: window sums, latest dates. */
    for (k = 0; k < nf; k++) {
        if (!m->fields[k].needed)
            continue;
        if (m->fields[k].kind == FIELD_WINDOW) {
            run[k] = xcalloc(ne ? ne : 1, sizeof **run);
        } else if (m->fields[k].kind == FIELD_DAYS_SINCE) {
            latest[k] = xmalloc((ne ? ne : 1) * sizeof **latest);
            for (e = 0; e < ne; e++)
                latest[k][e] = FACTS_NO_DATE;
        }
    }

    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (p = 0; p < np; p++) {
        int month = f->month0 + p;
        int32_t end = month_end_day(month);
        size_t c0;

        /* Advance the running windows and latest dates to period p. */
        for (k = 0; k < nf; k++) {
            const field *fl = &m->fields[k];
            if (!fl->needed)
                continue;
            if (fl->kind == FIELD_WINDOW) {
                facts_accumulate(f, (size_t)fl->measure, p, 1.0, run[k]);
                if (p - fl->window >= 0)
                    facts_accumulate(f, (size_t)fl->measure, p - fl->window, -1.0, run[k]);
            } else if (fl->kind == FIELD_DAYS_SINCE) {
                const int32_t *d = facts_dates(f, (size_t)fl->measure, p);
                int32_t *lt = latest[k];
                for (e = 0; d && e < ne; e++)
                    if (d[e] != FACTS_NO_DATE && (lt[e] == FACTS_NO_DATE || d[e] > lt[e]))
                        lt[e] = d[e];
            }
        }
        if (p < m->p_first)
            continue;
        for (c0 = 0; c0 < ne; c0 += CHUNK) {
            size_t n = ne - c0 < CHUNK ? ne - c0 : CHUNK, i;
            const int32_t *since = f->since + c0;

            /* The chunk's field values, a field at a time. */
            for (k = 0; k < nf; k++) {
                const field *fl = &m->fields[k];
                double *v = cur + k * CHUNK;
                if (!fl->needed)
                    continue;
                switch (fl->kind) {
                case FIELD_MEASURE:
                    facts_load(f, (size_t)fl->measure, p, c0, n, v);
                    break;
                case FIELD_HAS:
                    facts_load(f, (size_t)fl->measure, p, c0, n, v);
                    for (i = 0; i < n; i++)
                        v[i] = v[i] > 0;
                    break;
                case FIELD_WINDOW:
                    memcpy(v, run[k] + c0, n * sizeof *v);
                    break;
                case FIELD_DAYS_SINCE:
                    for (i = 0; i < n; i++) {
                        int32_t lt = latest[k][c0 + i];
                        if (lt == FACTS_NO_DATE)
                            lt = since[i];
                        v[i] = lt == FACTS_NO_DATE ? NAN : (double)(end - lt);
                    }
                    break;
                default:
                    for (i = 0; i < n; i++)
                        v[i] = since[i] == FACTS_NO_DATE ? NAN
                                                         : (double)(month - month_of_days(since[i]));
                    break;
                }
            }
            /* The rule, once per customer of the chunk. */
            for (i = 0; i < n; i++) {
                int prev = p > m->p_first ? m->seg[(size_t)(p - 1) * ne + c0 + i] : -1;
                prevc[i] = (int8_t)prev;
                segc[i] = -1;
                if (since[i] != FACTS_NO_DATE && since[i] > end)
                    continue; /* not a customer yet */
                g = call_rule(&rc, cur + i, CHUNK, prev, c0 + i, p, err);
                if (g < 0)
                    goto out;
                segc[i] = (int8_t)g;
                m->seg[(size_t)p * ne + c0 + i] = (int8_t)g;
                m->customers[model_pg(m, p, g)] += 1;
                m->customers[model_pg(m, p, m->nseg)] += 1;
                if (prev >= 0) {
                    int lost = s->segments[g].churned;
                    m->prev_customers[model_pg(m, p, prev)] += 1;
                    if (!lost)
                        m->retained[model_pg(m, p, prev)] += 1;
                    if (!s->segments[prev].churned) {
                        m->prev_customers[model_pg(m, p, m->nseg)] += 1;
                        if (!lost)
                            m->retained[model_pg(m, p, m->nseg)] += 1;
                    }
                }
            }
            /* Sums per segment, and per last month's segment (cohorts). */
            for (k = 0; k < nf; k++) {
                const double *v = cur + k * CHUNK;
                double *sum = m->sums + model_pg(m, p, 0) * nf + k;
                if (!m->fields[k].needed)
                    continue;
                double *coh = m->cohort + model_pg(m, p, 0) * nf + k;
                for (i = 0; i < n; i++) {
                    int sg = segc[i], pv = prevc[i];
                    if (sg < 0 || isnan(v[i]))
                        continue;
                    sum[(size_t)sg * nf] += v[i];
                    sum[(size_t)m->nseg * nf] += v[i];
                    if (pv >= 0) {
                        coh[(size_t)pv * nf] += v[i];
                        if (!s->segments[pv].churned)
                            coh[(size_t)m->nseg * nf] += v[i];
                    }
                }
            }
        }
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    m->rule_seconds = (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9;
    rcode = 0;
out:
    lua_settop(L, base);
    for (k = 0; k < nf; k++) {
        free(run[k]);
        free(latest[k]);
    }
    free(run);
    free(latest);
    free(cur);
    free((void *)rc.name);
    return rcode;
}
