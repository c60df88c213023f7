/*
 * kpi.c - KPIs defined in Lua over per-segment, per-month sums.
 *
 * A KPI script returns a table:
 *   { label = "Retention rate", unit = "percent", decimals = 1,
 *     higher_is_better = true, description = "...",
 *     value = function(s, prev) return s.retained / s.prev_customers end }
 * value() is called per segment and report month with the sums of that
 * segment and month (s) and of the month before (prev, or nil), and returns a
 * number, or nil when the KPI has no value there (shown as "no data").
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "util.h"

static const char *const unit_names[] = {"number", "count", "currency", "percent",
                                         "score", "days", "months"};

static int kpi_fail(const spec_kpi *k, quire_error *err, const char *msg)
{
    return quire_err(err, QUIRE_EXIT_USAGE, "%s: error: KPI \"%s\": %s", k->script, k->name, msg);
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
        size_t i;
        for (i = 0; u && i < sizeof unit_names / sizeof *unit_names; i++)
            if (strcmp(u, unit_names[i]) == 0)
                break;
        if (!u || i == sizeof unit_names / sizeof *unit_names) {
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
    lua_getfield(L, t, "value");
    if (!lua_isfunction(L, -1)) {
        kpi_fail(sk, err, "the table needs value = function(s, prev) ... end");
        goto fail;
    }
    kd->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
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
        if (!m->fields[k].needed)
            continue; /* no script mentions it */
        if (m->fields[k].integral)
            lua_pushinteger(L, (lua_Integer)sum[k]);
        else
            lua_pushnumber(L, sum[k]);
        lua_setfield(L, -2, m->fields[k].name);
    }
}

/* Push the table of sums for period p and group g. */
static void push_sums(model *m, int p, int g)
{
    lua_State *L = qlua_state(m->lua);
    char mon[16];

    lua_createtable(L, 0, (int)m->nfields + 5);
    lua_pushstring(L, g == m->nseg ? "All" : m->s->segments[g].name);
    lua_setfield(L, -2, "segment");
    format_month(mon, sizeof mon, m->f->month0 + p);
    lua_pushstring(L, mon);
    lua_setfield(L, -2, "period");
    lua_pushinteger(L, (lua_Integer)m->customers[model_pg(m, p, g)]);
    lua_setfield(L, -2, "customers");
    lua_pushinteger(L, (lua_Integer)m->prev_customers[model_pg(m, p, g)]);
    lua_setfield(L, -2, "prev_customers");
    lua_pushinteger(L, (lua_Integer)m->retained[model_pg(m, p, g)]);
    lua_setfield(L, -2, "retained");
    push_fields(m, m->sums + model_pg(m, p, g) * m->nfields);
    /* s.cohort: last month's members of the group, as they are this month */
    lua_createtable(L, 0, (int)m->nfields + 1);
    lua_pushinteger(L, (lua_Integer)m->prev_customers[model_pg(m, p, g)]);
    lua_setfield(L, -2, "customers");
    push_fields(m, m->cohort + model_pg(m, p, g) * m->nfields);
    lua_setfield(L, -2, "cohort");
}

int kpis_evaluate(model *m, quire_error *err)
{
    const spec *s = m->s;
    lua_State *L = qlua_state(m->lua);
    const int ng = m->nseg + 1;
    size_t k;
    int rp, g;

    m->nkpis = s->nkpis;
    m->kpis = xcalloc(s->nkpis ? s->nkpis : 1, sizeof *m->kpis);
    m->kval = xmalloc((s->nkpis ? s->nkpis : 1) * (size_t)m->nreport * (size_t)ng * sizeof *m->kval);
    for (k = 0; k < s->nkpis; k++)
        if (load_kpi(m, &s->kpis[k], &m->kpis[k], err))
            return -1;
    for (k = 0; k < s->nkpis; k++) {
        kpi_def *kd = &m->kpis[k];
        for (rp = 0; rp < m->nreport; rp++) {
            int p = m->p_report + rp;
            for (g = 0; g < ng; g++) {
                double v = NAN;
                lua_rawgeti(L, LUA_REGISTRYINDEX, kd->fn_ref);
                push_sums(m, p, g);
                if (p - 1 >= m->p_first)
                    push_sums(m, p - 1, g);
                else
                    lua_pushnil(L);
                {
                    char mon[16];
                    format_month(mon, sizeof mon, m->f->month0 + p);
                    if (qlua_callf(m->lua, 2, 1, err, "KPI \"%s\" (segment %s, %s)",
                                   kd->spec->name, g == m->nseg ? "All" : s->segments[g].name, mon))
                        return -1;
                }
                if (lua_type(L, -1) == LUA_TNUMBER) {
                    v = lua_tonumber(L, -1);
                    if (!isfinite(v))
                        v = NAN;
                } else if (!lua_isnil(L, -1)) {
                    char mon[16];
                    format_month(mon, sizeof mon, m->f->month0 + p);
                    quire_err(err, QUIRE_EXIT_DATA, "%s: error: KPI \"%s\" (segment %s, %s) "
                              "returned a %s; value() must return a number or nil",
                              kd->spec->script, kd->spec->name,
                              g == m->nseg ? "All" : s->segments[g].name, mon,
                              luaL_typename(L, -1));
                    lua_pop(L, 1);
                    return -1;
                }
                lua_pop(L, 1);
                m->kval[((size_t)k * (size_t)m->nreport + (size_t)rp) * (size_t)ng + (size_t)g] = v;
            }
        }
    }
    return 0;
}
