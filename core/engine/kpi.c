/*
 * kpi.c - KPIs defined in Lua over per-segment, per-month sums.
 *
 * A KPI script returns a table:
 *   { label = "Retention rate", unit = "percent", decimals = 1,
 *     higher_is_better = true, description = "...", needs = { "orders" },
 *     customer = function(c) ... end,          -- optional, per customer
 *     value = function(s, prev) return s.retained / s.prev_customers end }
 * value() is called per segment and report month with the sums of that
 * segment and month (s) and of the month before (prev, or nil), and returns a
 * number, or nil when the KPI has no value there (shown as "no data").
 * customer() is called per customer and month by segment.c; its values are
 * summed per segment into s.per_customer = { sum, count }. Without value(),
 * the KPI is their mean. A KPI whose "needs" the spec does not provide has no
 * value anywhere, and the report says which data is missing.
 * docs/lua-api.md describes the contract.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "model.h"
#include "util.h"

static int kpi_fail(const spec_kpi *k, quire_error *err, const char *msg)
{
    return quire_err_at(err, QUIRE_EXIT_USAGE, k->script, 0, 0, "KPI \"%s\": %s", k->name, msg);
}

/* Whether the spec provides a field called name to KPIs. */
static int provides(const model *m, const char *name)
{
    static const char *const always[] = {"segment", "period", "customers", "prev_customers",
                                         "retained", "cohort", "per_customer", "all"};
    size_t i;

    for (i = 0; i < sizeof always / sizeof *always; i++)
        if (strcmp(always[i], name) == 0)
            return 1;
    for (i = 0; i < m->nfields; i++)
        if (strcmp(m->fields[i].name, name) == 0)
            return 1;
    for (i = 0; i < m->f->nsegm; i++)
        if (strcmp(m->f->segm[i]->name, name) == 0)
            return 1;
    return 0;
}

static int load_kpi(model *m, const spec_kpi *sk, kpi_def *kd, quire_error *err)
{
    lua_State *L = qlua_state(m->lua);
    int top = lua_gettop(L), t;
    char msg[256];

    kd->spec = sk;
    kd->decimals = -1;
    kd->higher_is_better = 1;
    kd->fn_ref = LUA_NOREF;
    kd->customer_ref = LUA_NOREF;
    if (qlua_dofile(m->lua, sk->script, 1, err))
        goto fail_keep;
    t = lua_gettop(L);
    if (!lua_istable(L, t)) {
        snprintf(msg, sizeof msg, "the script must return a table with value = function(s, prev), "
                 "not a %s", luaL_typename(L, t));
        kpi_fail(sk, err, msg);
        goto fail;
    }
    lua_getfield(L, t, "label");
    kd->label = xstrdup(lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : sk->name);
    lua_pop(L, 1);
    lua_getfield(L, t, "description");
    if (lua_type(L, -1) == LUA_TSTRING)
        kd->description = xstrdup(lua_tostring(L, -1));
    lua_pop(L, 1);
    lua_getfield(L, t, "unit");
    if (!lua_isnil(L, -1)) {
        const char *u = lua_tostring(L, -1);
        int i = quire_unit_parse(u);
        if (i < 0) {
            snprintf(msg, sizeof msg, "unit must be one of number, count, currency, percent, score, "
                     "days, months, not \"%s\"", u ? u : luaL_typename(L, -1));
            kpi_fail(sk, err, msg);
            goto fail;
        }
        kd->unit = (quire_unit)i;
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "decimals");
    if (!lua_isnil(L, -1)) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 6) {
            kpi_fail(sk, err, "decimals must be a whole number from 0 to 6");
            goto fail;
        }
        kd->decimals = (int)lua_tointeger(L, -1);
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "higher_is_better");
    if (!lua_isnil(L, -1))
        kd->higher_is_better = lua_toboolean(L, -1);
    lua_pop(L, 1);
    lua_getfield(L, t, "needs");
    if (!lua_isnil(L, -1)) {
        lua_Integer i, n;
        strbuf miss = {0};
        if (!lua_istable(L, -1)) {
            kpi_fail(sk, err, "needs must be a list of field names: needs = { \"orders\" }");
            goto fail;
        }
        n = (lua_Integer)lua_rawlen(L, -1);
        for (i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_type(L, -1) != LUA_TSTRING) {
                sb_free(&miss);
                kpi_fail(sk, err, "needs must be a list of field names (strings)");
                goto fail;
            }
            if (!provides(m, lua_tostring(L, -1)))
                sb_printf(&miss, "%s%s", miss.len ? ", " : "", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        kd->missing = miss.s;
    }
    lua_pop(L, 1);
    lua_getfield(L, t, "customer");
    if (lua_isfunction(L, -1) && !kd->missing)
        kd->customer_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    else if (!lua_isnil(L, -1) && !lua_isfunction(L, -1)) {
        kpi_fail(sk, err, "customer must be a function(c)");
        goto fail;
    } else
        lua_pop(L, 1);
    lua_getfield(L, t, "value");
    if (lua_isfunction(L, -1)) {
        kd->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    } else {
        int value_nil = lua_isnil(L, -1), has_customer;
        lua_getfield(L, t, "customer");
        has_customer = lua_isfunction(L, -1);
        if (!value_nil || !has_customer) {
            kpi_fail(sk, err, "the table needs value = function(s, prev) ... end, or "
                     "customer = function(c) ... end (the KPI is then its mean)");
            goto fail;
        }
    }
    lua_settop(L, top);
    return 0;
fail:
    lua_settop(L, top);
    return -1;
fail_keep:
    return -1;
}

static void push_fields(model *m, const double *sum)
{
    lua_State *L = qlua_state(m->lua);
    size_t k;

    for (k = 0; k < m->nfields; k++) {
        if (!m->fields[k].needed || m->fields[k].kind == FIELD_TEXT)
            continue; /* no script mentions it; text is not summed */
        if (m->fields[k].integral)
            lua_pushinteger(L, (lua_Integer)sum[k]);
        else
            lua_pushnumber(L, sum[k]);
        lua_setfield(L, -2, m->fields[k].name);
    }
}

/* Push the table of sums for period p and group g (without "all"). */
static void push_group(model *m, const grouping *gr, int p, int g)
{
    lua_State *L = qlua_state(m->lua);
    const facts *f = m->f;
    size_t pg = model_pg(gr, p, g), i;
    char mon[16];

    lua_createtable(L, 0, (int)m->nfields + 8);
    lua_pushstring(L, model_group_name(gr, g));
    lua_setfield(L, -2, "segment");
    format_month(mon, sizeof mon, f->month0 + p);
    lua_pushstring(L, mon);
    lua_setfield(L, -2, "period");
    lua_pushinteger(L, (lua_Integer)gr->totals.customers[pg]);
    lua_setfield(L, -2, "customers");
    lua_pushinteger(L, (lua_Integer)gr->totals.prev_customers[pg]);
    lua_setfield(L, -2, "prev_customers");
    lua_pushinteger(L, (lua_Integer)gr->totals.retained[pg]);
    lua_setfield(L, -2, "retained");
    push_fields(m, gr->totals.sums + pg * m->nfields);
    /* Facts about segments: the segment's row, or every row for All. */
    for (i = 0; i < f->nsegm; i++) {
        const facts_segrow *row = g == gr->nseg ? NULL : facts_segment(f, gr->names[g]);
        double v = g == gr->nseg ? f->segtotal[i * (size_t)f->nperiods + (size_t)p]
                   : row ? row->v[i * (size_t)f->nperiods + (size_t)p] : NAN;
        if (isnan(v))
            continue;
        lua_pushnumber(L, v);
        lua_setfield(L, -2, f->segm[i]->name);
    }
    /* s.cohort: last month's members of the group, as they are this month */
    lua_createtable(L, 0, (int)m->nfields + 1);
    lua_pushinteger(L, (lua_Integer)gr->totals.prev_customers[pg]);
    lua_setfield(L, -2, "customers");
    push_fields(m, gr->totals.cohort + pg * m->nfields);
    lua_setfield(L, -2, "cohort");
}

void kpi_push_sums(model *m, const grouping *gr, int p, int g)
{
    lua_State *L = qlua_state(m->lua);

    push_group(m, gr, p, g);
    if (g == gr->nseg) {
        lua_pushvalue(L, -1);
    } else {
        push_group(m, gr, p, gr->nseg);
    }
    lua_setfield(L, -2, "all");
}

/* Set s.per_customer for KPI k on the table on top of the stack. */
static void push_per_customer(model *m, const grouping *gr, size_t k, int p, int g)
{
    lua_State *L = qlua_state(m->lua);
    size_t at = ((size_t)k * (size_t)m->f->nperiods + (size_t)p) * (size_t)(gr->nseg + 1) +
                (size_t)g;

    lua_createtable(L, 0, 2);
    lua_pushnumber(L, gr->totals.csum[at]);
    lua_setfield(L, -2, "sum");
    lua_pushinteger(L, (lua_Integer)gr->totals.ccount[at]);
    lua_setfield(L, -2, "count");
    lua_setfield(L, -2, "per_customer");
}

int kpis_load(model *m, quire_error *err)
{
    const spec *s = m->s;
    size_t k;

    m->nkpis = s->nkpis;
    m->kpis = xcalloc(s->nkpis ? s->nkpis : 1, sizeof *m->kpis);
    for (k = 0; k < s->nkpis; k++)
        if (load_kpi(m, &s->kpis[k], &m->kpis[k], err))
            return -1;
    return 0;
}

/* The value of KPI k for group g of gr in period p: NAN when none. */
static int kpi_value(model *m, const grouping *gr, size_t k, int p, int g, double *out,
                     quire_error *err)
{
    lua_State *L = qlua_state(m->lua);
    const kpi_def *kd = &m->kpis[k];
    char mon[16];

    *out = NAN;
    if (kd->missing)
        return 0;
    if (kd->fn_ref == LUA_NOREF) {
        size_t at = ((size_t)k * (size_t)m->f->nperiods + (size_t)p) * (size_t)(gr->nseg + 1) +
                    (size_t)g;
        if (gr->totals.ccount[at] > 0)
            *out = gr->totals.csum[at] / gr->totals.ccount[at];
        return 0;
    }
    format_month(mon, sizeof mon, m->f->month0 + p);
    lua_rawgeti(L, LUA_REGISTRYINDEX, kd->fn_ref);
    kpi_push_sums(m, gr, p, g);
    if (kd->customer_ref != LUA_NOREF)
        push_per_customer(m, gr, k, p, g);
    if (p - 1 >= m->p_first) {
        kpi_push_sums(m, gr, p - 1, g);
        if (kd->customer_ref != LUA_NOREF)
            push_per_customer(m, gr, k, p - 1, g);
    } else {
        lua_pushnil(L);
    }
    if (gr == &m->groups[0] ? qlua_callf(m->lua, 2, 1, err, "KPI \"%s\" (segment %s, %s)",
                                         kd->spec->name, model_group_name(gr, g), mon)
                            : qlua_callf(m->lua, 2, 1, err, "KPI \"%s\" (%s: %s, %s)",
                                         kd->spec->name, gr->spec->name,
                                         model_group_name(gr, g), mon))
        return -1;
    if (lua_type(L, -1) == LUA_TNUMBER) {
        *out = lua_tonumber(L, -1);
        if (!isfinite(*out))
            *out = NAN;
    } else if (!lua_isnil(L, -1)) {
        quire_err_at(err, QUIRE_EXIT_DATA, kd->spec->script, 0, 0,
                     "KPI \"%s\" (segment %s, %s) returned a %s; value() must return a "
                     "number or nil",
                     kd->spec->name, model_group_name(gr, g), mon, luaL_typename(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    lua_pop(L, 1);
    return 0;
}

int kpis_evaluate(model *m, quire_error *err)
{
    size_t k, gi;
    int rp, g;

    for (gi = 0; gi < m->ngroups; gi++) {
        grouping *gr = &m->groups[gi];
        const int ng = gr->nseg + 1;
        gr->kval = xmalloc((m->nkpis ? m->nkpis : 1) * (size_t)m->nreport * (size_t)ng *
                           sizeof *gr->kval);
        for (k = 0; k < m->nkpis; k++)
            for (rp = 0; rp < m->nreport; rp++)
                for (g = 0; g < ng; g++)
                    if (kpi_value(m, gr, k, m->p_report + rp, g,
                                  &gr->kval[(k * (size_t)m->nreport + (size_t)rp) * (size_t)ng +
                                            (size_t)g], err))
                        return -1;
    }
    return 0;
}
