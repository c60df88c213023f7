/*
 * luaapi.c - what Quire gives the scripts: the "quire" helper table, and the
 * report object that insights read to answer a report's questions.
 *
 * quire.params holds the spec's parameters (numbers for integer and number
 * parameters, strings otherwise); the helpers are small, pure functions on
 * numbers and lists, written here in C or in Lua in Quire's Lua library
 * (scripts/lib/quire.lua), which every state loads into the same read-only
 * table. An insight is a script returning function(r, args) that returns a
 * sentence (or nil: no answer); r reads the KPIs computed for one
 * segmentation. docs/lua-api.md documents both.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "date.h"
#include "model.h"
#include "util.h"

/* ------------------------------------------------------------ quire.* */

/* Return nil: "no value" is a nil result, not none (tostring(x) works). */
static int nil1(lua_State *L)
{
    lua_pushnil(L);
    return 1;
}

/* The length of list argument i: its raw length, so that a script's __len
 * cannot make the host read or size anything. No helper allocates by a
 * length: a raw length is a border, which a few entries can make huge. */
static lua_Integer list_len(lua_State *L, int i)
{
    lua_Integer n;

    luaL_checktype(L, i, LUA_TTABLE);
    n = (lua_Integer)lua_rawlen(L, i);
    /* A border far past the entries (t[2^40] = 1) would loop for hours. */
    if (n > qlua_max_entries(L))
        luaL_argerror(L, i, lua_pushfstring(L, "a list of %I entries (its raw length) is more "
                                               "than the memory limit can hold",
                                            (LUAI_UACINT)n));
    return n;
}

/* Sum the finite numbers of list argument 1, skipping nil and non-numbers;
 * *count gets how many there were. */
static double sum_numbers(lua_State *L, size_t *count)
{
    lua_Integer n = list_len(L, 1), k;
    double t = 0;

    *count = 0;
    for (k = 1; k <= n; k++) {
        if (lua_rawgeti(L, 1, k) == LUA_TNUMBER) {
            double v = lua_tonumber(L, -1);
            if (isfinite(v)) {
                t += v;
                (*count)++;
            }
        }
        lua_pop(L, 1);
    }
    return t;
}

/* quire.sum(list): the sum of its numbers (0 for none). */
static int l_sum(lua_State *L)
{
    size_t n;
    lua_pushnumber(L, sum_numbers(L, &n));
    return 1;
}

/* quire.mean(list): the mean of its numbers, nil for none. */
static int l_mean(lua_State *L)
{
    size_t n;
    double t = sum_numbers(L, &n);
    if (!n)
        return nil1(L);
    lua_pushnumber(L, t / (double)n);
    return 1;
}

/* quire.ratio(a, b): a / b, nil when either is nil or b is 0. */
static int l_ratio(lua_State *L)
{
    double a, b;
    if (lua_type(L, 1) != LUA_TNUMBER || lua_type(L, 2) != LUA_TNUMBER)
        return nil1(L);
    a = lua_tonumber(L, 1);
    b = lua_tonumber(L, 2);
    if (b == 0 || !isfinite(a / b))
        return nil1(L);
    lua_pushnumber(L, a / b);
    return 1;
}

/* quire.clamp(x, lo, hi) */
static int l_clamp(lua_State *L)
{
    double x = luaL_checknumber(L, 1), lo = luaL_checknumber(L, 2), hi = luaL_checknumber(L, 3);
    lua_pushnumber(L, x < lo ? lo : x > hi ? hi : x);
    return 1;
}

/* quire.correlation(xs, ys): Pearson's r over the pairs where both are
 * numbers; nil with fewer than 3 pairs or no variance. */
static int l_correlation(lua_State *L)
{
    lua_Integer n, k;
    double sx = 0, sy = 0, sxx = 0, syy = 0, sxy = 0, cnt = 0, vx, vy;

    luaL_checktype(L, 2, LUA_TTABLE);
    n = list_len(L, 1);
    for (k = 1; k <= n; k++) {
        int tx = lua_rawgeti(L, 1, k), ty = lua_rawgeti(L, 2, k);
        if (tx == LUA_TNUMBER && ty == LUA_TNUMBER) {
            double x = lua_tonumber(L, -2), y = lua_tonumber(L, -1);
            sx += x;
            sy += y;
            sxx += x * x;
            syy += y * y;
            sxy += x * y;
            cnt++;
        }
        lua_pop(L, 2);
    }
    if (cnt < 3)
        return nil1(L);
    vx = sxx - sx * sx / cnt;
    vy = syy - sy * sy / cnt;
    if (vx <= 0 || vy <= 0)
        return nil1(L);
    lua_pushnumber(L, (sxy - sx * sy / cnt) / sqrt(vx * vy));
    return 1;
}

static quire_unit check_unit(lua_State *L, int i)
{
    const char *u = luaL_optstring(L, i, "number");
    int k = quire_unit_parse(u);
    if (k >= 0)
        return (quire_unit)k;
    luaL_error(L, "unknown unit \"%s\" (number, count, currency, percent, score, days, months)",
               u);
    return QUIRE_UNIT_NUMBER;
}

/* quire.change(new, old, unit): the change as a fraction (quire_change):
 * (new - old) / |old|, or new - old for percent; nil when undefined. */
static int l_change(lua_State *L)
{
    double d;
    quire_unit u = check_unit(L, 3);
    if (lua_type(L, 1) != LUA_TNUMBER || lua_type(L, 2) != LUA_TNUMBER)
        return nil1(L);
    d = quire_change(lua_tonumber(L, 1), lua_tonumber(L, 2), u);
    if (isnan(d))
        return nil1(L);
    lua_pushnumber(L, d);
    return 1;
}

/* Push a change's text and the change as shown (0 when it shows as none),
 * or nil when there is none. */
static int push_change(lua_State *L, const char *text, double shown)
{
    if (isnan(shown))
        return nil1(L);
    lua_pushstring(L, text);
    lua_pushnumber(L, shown);
    return 2;
}

/* quire.change_text(new, old, unit): "+12.5%", "-2.1 pts" (a KPI in percent
 * changes in points), and the change as shown. From 0 to another value
 * (not percent) the value is new: "new", and math.huge (-math.huge for a
 * value below 0) to rank by. */
static int l_change_text(lua_State *L)
{
    char buf[64];
    quire_unit u = check_unit(L, 3);
    if (lua_type(L, 1) != LUA_TNUMBER || lua_type(L, 2) != LUA_TNUMBER)
        return nil1(L);
    if (u != QUIRE_UNIT_PERCENT && lua_tonumber(L, 2) == 0 && lua_tonumber(L, 1) != 0 &&
        isfinite(lua_tonumber(L, 1))) {
        lua_pushliteral(L, "new");
        lua_pushnumber(L, lua_tonumber(L, 1) > 0 ? HUGE_VAL : -HUGE_VAL);
        return 2;
    }
    return push_change(L, buf, quire_change_text(buf, sizeof buf, lua_tonumber(L, 1),
                                                 lua_tonumber(L, 2), u, -1,
                                                 QUIRE_CHANGE_NOBREAK));
}

/* quire.format_change(change, unit): the text of a change from quire.change. */
static int l_format_change(lua_State *L)
{
    char buf[64];
    quire_unit u = check_unit(L, 2);
    if (lua_type(L, 1) != LUA_TNUMBER)
        return nil1(L);
    return push_change(L, buf, quire_format_change(buf, sizeof buf, lua_tonumber(L, 1), u,
                                                   QUIRE_CHANGE_NOBREAK));
}

/* quire.format(value, unit, decimals): the value as the report prints it. */
static int l_format(lua_State *L)
{
    char buf[64];
    double v = lua_type(L, 1) == LUA_TNUMBER ? lua_tonumber(L, 1) : NAN;
    quire_unit u = check_unit(L, 2);
    int d = (int)luaL_optinteger(L, 3, -1);
    quire_format_value(buf, sizeof buf, v, u, d < -1 ? -1 : d > 6 ? 6 : d);
    lua_pushstring(L, buf);
    return 1;
}

/* quire.month_label("2024-02", offset): "Feb 2024" (in the report's locale:
 * "Feb. 2024") with no-break spaces, so that a month never breaks across
 * lines; offset (default 0) moves it by that many months. */
#define MONTH_LABEL_MAX (10000 * 12 - 1) /* Dec 9999 */

/* At another grain than the month: quire.month_label(key, offset) gives
 * the label of the period whose key is given (the grain in upvalues 1, 2). */
static int l_period_label(lua_State *L)
{
    grain g;
    const char *key = luaL_checkstring(L, 1);
    char buf[32];
    lua_Integer off = luaL_optinteger(L, 2, 0);
    int p;

    g.kind = (grain_kind)lua_tointeger(L, lua_upvalueindex(1));
    g.fy_start = (int)lua_tointeger(L, lua_upvalueindex(2));
    p = grain_parse_key(g, key);
    if (p < 0)
        return luaL_error(L, "\"%s\" is not a %s of the report", key, grain_name(g));
    if (off < -100000 || off > 100000)
        return luaL_error(L, "offset %d is out of range", (int)off);
    grain_label(buf, sizeof buf, g, p + (int)off);
    lua_pushstring(L, buf);
    return 1;
}

static int l_month_label(lua_State *L)
{
    const char *ym = luaL_checkstring(L, 1);
    int mo = parse_month(ym);
    char buf[64];
    lua_Integer off;

    if (mo < 0)
        return luaL_error(L, "\"%s\" is not a month (YYYY-MM)", ym);
    off = luaL_optinteger(L, 2, 0);
    if (off < -(lua_Integer)mo)
        return luaL_error(L, "no month before year 0");
    if (off > MONTH_LABEL_MAX - (lua_Integer)mo)
        return luaL_error(L, "no month after year 9999");
    mo += (int)off;
    format_month_label(buf, sizeof buf, mo);
    {
        luaL_Buffer b;
        const char *p;

        luaL_buffinit(L, &b);
        for (p = buf; *p; p++)
            if (*p == ' ')
                luaL_addstring(&b, "\xC2\xA0");
            else
                luaL_addchar(&b, *p);
        luaL_pushresult(&b);
    }
    return 1;
}

/* quire.join(list): "a", "a and b", "a, b and c". */
static int l_join(lua_State *L)
{
    lua_Integer n, i;
    luaL_Buffer b;

    n = list_len(L, 1);
    luaL_buffinit(L, &b);
    for (i = 1; i <= n; i++) {
        if (i > 1)
            luaL_addstring(&b, i == n ? " and " : ", ");
        if (lua_rawgeti(L, 1, i) != LUA_TSTRING && !lua_isnumber(L, -1))
            return luaL_error(L, "quire.join: item %I is a %s, not a string", (LUAI_UACINT)i,
                              luaL_typename(L, -1));
        luaL_addvalue(&b);
    }
    luaL_pushresult(&b);
    return 1;
}

/* Build the quire table (in protected mode: it allocates in the state). */
static int build_api(lua_State *L)
{
    static const luaL_Reg fns[] = {{"sum", l_sum},
                                   {"mean", l_mean},
                                   {"ratio", l_ratio},
                                   {"change", l_change},
                                   {"change_text", l_change_text},
                                   {"format_change", l_format_change},
                                   {"clamp", l_clamp},
                                   {"correlation", l_correlation},
                                   {"format", l_format},
                                   {"month_label", l_month_label},
                                   {"join", l_join},
                                   {NULL, NULL}};
    const spec *s = lua_touserdata(L, 1);
    size_t i;

    luaL_newlib(L, fns);
    if (s->grain.kind != GRAIN_MONTH) {
        lua_pushinteger(L, s->grain.kind);
        lua_pushinteger(L, s->grain.fy_start);
        lua_pushcclosure(L, l_period_label, 2);
        lua_setfield(L, -2, "month_label");
    }
    lua_createtable(L, 0, (int)s->nparams);
    for (i = 0; i < s->nparams; i++) {
        const spec_param *p = &s->params[i];
        if (p->type == PARAM_INTEGER)
            lua_pushinteger(L, (lua_Integer)strtoll(p->value, NULL, 10));
        else if (p->type == PARAM_NUMBER)
            lua_pushnumber(L, strtod(p->value, NULL));
        else
            lua_pushstring(L, p->value);
        lua_setfield(L, -2, p->name);
    }
    lua_setfield(L, -2, "params");
    return 1;
}

/* Add the library's functions (the table at 2) to the quire table (at 1);
 * the library's path at 3 names it in errors. */
static int add_library(lua_State *L)
{
    const char *path = lua_tostring(L, 3);

    if (!lua_istable(L, 2))
        return luaL_error(L, "%s: the library must return a table of functions, not a %s", path,
                          luaL_typename(L, 2));
    lua_pushnil(L);
    while (lua_next(L, 2)) {
        if (lua_type(L, -2) != LUA_TSTRING)
            return luaL_error(L, "%s: the library's table has a key that is not a name", path);
        lua_pushvalue(L, -2);
        if (lua_rawget(L, 1) != LUA_TNIL)
            return luaL_error(L, "%s: quire.%s is defined twice, in C and in the library", path,
                              lua_tostring(L, -3));
        lua_pop(L, 1);
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, 1);
    }
    return 0;
}

char *lua_api_library(quire_error *err)
{
    const char *env = getenv("QUIRE_LUA_LIB");
    char exe[PATH_MAX], *dir, *here, *installed;
    ssize_t n;

    if (env && *env) {
        if (access(env, R_OK) == 0)
            return xstrdup(env);
        quire_err_at(err, QUIRE_EXIT_DATA, env, 0, 0,
                     "cannot read Quire's Lua library (QUIRE_LUA_LIB): %s", strerror(errno));
        return NULL;
    }
    n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n <= 0) {
        quire_err_at(err, QUIRE_EXIT_DATA, "quire", 0, 0, "cannot find Quire's Lua library: the "
                     "program's own path is unknown (QUIRE_LUA_LIB may name the file)");
        return NULL;
    }
    exe[n] = '\0';
    dir = path_dirname(exe);
    here = xasprintf("%s/" QUIRE_LUA_LIB_PATH, dir);
    installed = xasprintf("%s/../share/quire/" QUIRE_LUA_LIB_PATH, dir);
    free(dir);
    if (access(here, R_OK) == 0) {
        free(installed);
        return here;
    }
    if (access(installed, R_OK) == 0) {
        free(here);
        return installed;
    }
    /* The program is what is incomplete: the error names it, not the spec. */
    quire_err_at(err, QUIRE_EXIT_DATA, "quire", 0, 0, "Quire's Lua library is missing: neither "
                 "%s nor %s can be read (make install puts it in share/quire/scripts/lib; "
                 "QUIRE_LUA_LIB may name the file)", here, installed);
    free(here);
    free(installed);
    return NULL;
}

int lua_api_install(const spec *s, quire_lua *q, quire_error *err)
{
    lua_State *L = qlua_state(q);
    int top = lua_gettop(L);
    char *lib = lua_api_library(err);

    if (!lib)
        return -1;
    /* The C helpers and the parameters; then the library, run with that
     * table as its argument (so that its functions reach the C helpers
     * whatever a script does to the global quire), adds its own. */
    lua_pushcfunction(L, build_api);
    lua_pushlightuserdata(L, (void *)s);
    if (qlua_call(q, 1, 1, "setting up the quire table", err) || qlua_loadfile(q, lib, err))
        goto fail;
    lua_pushvalue(L, -2);
    if (qlua_call(q, 1, 1, "Quire's Lua library", err))
        goto fail;
    lua_pushcfunction(L, add_library);
    lua_pushvalue(L, -3);
    lua_pushvalue(L, -3);
    lua_pushstring(L, lib);
    if (qlua_call(q, 3, 0, NULL, err))
        goto fail;
    lua_pop(L, 1);
    free(lib);
    if (qlua_set_global(q, "quire"))
        return quire_err(err, QUIRE_EXIT_DATA, "out of memory setting up Lua");
    return 0;
fail:
    lua_settop(L, top);
    free(lib);
    return -1;
}

/* ------------------------------------------------------------ insights */

typedef struct insight_ctx {
    model *m;
    const grouping *gr;
    double **moves;   /* per report month: [from][to] counts, computed on first use */
} insight_ctx;

static insight_ctx *ictx(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

static size_t check_kpi(lua_State *L, const model *m, int i)
{
    const char *name = luaL_checkstring(L, i);
    size_t k;
    for (k = 0; k < m->nkpis; k++)
        if (strcmp(m->kpis[k].spec->name, name) == 0)
            return k;
    luaL_error(L, "the report has no KPI \"%s\"", name);
    return 0;
}

static int check_group(lua_State *L, const grouping *gr, int i)
{
    const char *name = luaL_optstring(L, i, "All");
    int g;
    if (strcmp(name, "All") == 0)
        return gr->nseg;
    for (g = 0; g < gr->nseg; g++)
        if (strcmp(gr->names[g], name) == 0)
            return g;
    luaL_error(L, "no segment \"%s\" (the segments, or All)", name);
    return 0;
}

/* A report month: nil (the last), an index 1..n, or "YYYY-MM". */
static int check_month(lua_State *L, const model *m, int i)
{
    int rp;
    if (lua_isnoneornil(L, i))
        return m->nreport - 1;
    if (lua_type(L, i) == LUA_TNUMBER) {
        lua_Integer k = luaL_checkinteger(L, i);
        if (k < 1 || k > m->nreport)
            luaL_error(L, "month index %d is outside 1..%d", (int)k, m->nreport);
        return (int)k - 1;
    }
    rp = grain_parse_key(m->s->grain, luaL_checkstring(L, i));
    if (rp < m->s->month_from || rp > m->s->month_to)
        luaL_error(L, "\"%s\" is not a month of the report", lua_tostring(L, i));
    return rp - m->s->month_from;
}

/* r.month_index(month, default): the index 1..n of a report month given as
 * an index or "YYYY-MM"; nil gives default, or the last month. */
static int r_month_index(lua_State *L)
{
    insight_ctx *c = ictx(L);
    if (lua_isnoneornil(L, 1) && !lua_isnoneornil(L, 2)) {
        lua_settop(L, 2);
        return 1;
    }
    lua_pushinteger(L, check_month(L, c->m, 1) + 1);
    return 1;
}

/* r.value(kpi, segment, month) */
static int r_value(lua_State *L)
{
    insight_ctx *c = ictx(L);
    size_t k = check_kpi(L, c->m, 1);
    int g = check_group(L, c->gr, 2), rp = check_month(L, c->m, 3);
    double v = model_kpi(c->m, c->gr, k, rp, g);
    if (isnan(v))
        return nil1(L);
    lua_pushnumber(L, v);
    return 1;
}

/* r.series(kpi, segment): the values month by month (nil where none). */
static int r_series(lua_State *L)
{
    insight_ctx *c = ictx(L);
    size_t k = check_kpi(L, c->m, 1);
    int g = check_group(L, c->gr, 2), rp;

    lua_createtable(L, c->m->nreport, 1);
    for (rp = 0; rp < c->m->nreport; rp++) {
        double v = model_kpi(c->m, c->gr, k, rp, g);
        if (!isnan(v)) {
            lua_pushnumber(L, v);
            lua_rawseti(L, -2, rp + 1);
        }
    }
    lua_pushinteger(L, c->m->nreport);
    lua_setfield(L, -2, "n");
    return 1;
}

/* r.customers(segment, month): the segment's customers at the month's end. */
static int r_customers(lua_State *L)
{
    insight_ctx *c = ictx(L);
    int g = check_group(L, c->gr, 1), rp = check_month(L, c->m, 2);
    lua_pushinteger(L, (lua_Integer)c->gr->totals.customers[model_pg(c->gr, c->m->p_report + rp, g)]);
    return 1;
}

/* r.moved(from, to, month): customers in segment from the month before and in
 * segment to in the month. */
static int r_moved(lua_State *L)
{
    insight_ctx *c = ictx(L);
    const grouping *gr = c->gr;
    int a = check_group(L, gr, 1), b = check_group(L, gr, 2), rp = check_month(L, c->m, 3);
    int p = c->m->p_report + rp;
    const size_t ne = c->m->f->nentities, ns = (size_t)gr->nseg;
    size_t e;

    if (a == gr->nseg || b == gr->nseg)
        luaL_error(L, "moved() takes two segments, not All");
    if (p - 1 < c->m->p_first)
        return nil1(L);
    if (!c->moves[rp]) {
        const int8_t *now = gr->seg + (size_t)p * ne, *before = now - ne;
        double *mv = xcalloc(ns * ns, sizeof *mv);
        for (e = 0; e < ne; e++)
            if (before[e] >= 0 && now[e] >= 0)
                mv[(size_t)before[e] * ns + (size_t)now[e]] += 1;
        c->moves[rp] = mv;
    }
    lua_pushinteger(L, (lua_Integer)c->moves[rp][(size_t)a * ns + (size_t)b]);
    return 1;
}

/* r.format(kpi, value): the value in the KPI's unit and decimals. */
static int r_format(lua_State *L)
{
    insight_ctx *c = ictx(L);
    size_t k = check_kpi(L, c->m, 1);
    char buf[64];
    quire_format_value(buf, sizeof buf, lua_type(L, 2) == LUA_TNUMBER ? lua_tonumber(L, 2) : NAN,
                       c->m->kpis[k].unit, c->m->kpis[k].decimals);
    lua_pushstring(L, buf);
    return 1;
}

/* Push the report object r for grouping gr; c must outlive its use. */
static void push_report(lua_State *L, insight_ctx *c)
{
    static const luaL_Reg fns[] = {{"value", r_value},     {"series", r_series},
                                   {"customers", r_customers}, {"moved", r_moved},
                                   {"format", r_format},   {"month_index", r_month_index},
                                   {NULL, NULL}};
    const model *m = c->m;
    const grouping *gr = c->gr;
    char mon[16];
    int i;
    size_t k;

    lua_createtable(L, 0, 13);
    lua_pushlightuserdata(L, c);
    luaL_setfuncs(L, fns, 1);
    lua_pushstring(L, grain_name(m->s->grain));
    lua_setfield(L, -2, "grain");
    lua_createtable(L, m->nreport, 0);
    for (i = 0; i < m->nreport; i++) {
        grain_key(mon, sizeof mon, m->s->grain, m->s->month_from + i);
        lua_pushstring(L, mon);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "months");
    lua_createtable(L, gr->nseg, 0);
    for (i = 0; i < gr->nseg; i++) {
        lua_pushstring(L, gr->names[i]);
        lua_rawseti(L, -2, i + 1);
    }
    lua_setfield(L, -2, "segments");
    lua_pushstring(L, gr->spec->name);
    lua_setfield(L, -2, "segmentation");
    lua_createtable(L, 0, (int)m->nkpis);
    for (k = 0; k < m->nkpis; k++) {
        const kpi_def *kd = &m->kpis[k];
        lua_createtable(L, 0, 6);
        lua_pushstring(L, kd->label);
        lua_setfield(L, -2, "label");
        /* As it reads inside a sentence: "Average order value" becomes
         * "average order value"; "CLV growth" and "NPS" stay. */
        if (isupper((unsigned char)kd->label[0]) && islower((unsigned char)kd->label[1]))
            lua_pushfstring(L, "%c%s", tolower((unsigned char)kd->label[0]), kd->label + 1);
        else
            lua_pushstring(L, kd->label);
        lua_setfield(L, -2, "phrase");
        lua_pushstring(L, kd->description ? kd->description : "");
        lua_setfield(L, -2, "description");
        lua_pushstring(L, quire_unit_name(kd->unit));
        lua_setfield(L, -2, "unit");
        lua_pushinteger(L, kd->decimals);
        lua_setfield(L, -2, "decimals");
        lua_pushboolean(L, kd->higher_is_better);
        lua_setfield(L, -2, "higher_is_better");
        lua_pushboolean(L, kd->missing == NULL);
        lua_setfield(L, -2, "available");
        lua_setfield(L, -2, kd->spec->name);
    }
    lua_setfield(L, -2, "kpis");
}

/* Push an argument's value: a number when it reads as one, else a string. */
static void push_scalar(lua_State *L, const char *v)
{
    if (lua_stringtonumber(L, v) == 0)
        lua_pushstring(L, v);
}

static void push_args(lua_State *L, const spec_insight *in)
{
    size_t i, j;

    lua_createtable(L, 0, (int)in->nargs);
    for (i = 0; i < in->nargs; i++) {
        const spec_arg *a = &in->args[i];
        if (a->list) {
            lua_createtable(L, (int)a->nvalues, 0);
            for (j = 0; j < a->nvalues; j++) {
                push_scalar(L, a->values[j]);
                lua_rawseti(L, -2, (lua_Integer)j + 1);
            }
        } else {
            push_scalar(L, a->values[0]);
        }
        lua_setfield(L, -2, a->key);
    }
}

/* The same two, run by qlua_call (they allocate in the state). */
static int report_pusher(lua_State *L)
{
    push_report(L, lua_touserdata(L, 1));
    return 1;
}

static int args_pusher(lua_State *L)
{
    push_args(L, lua_touserdata(L, 1));
    return 1;
}

static void free_moves(insight_ctx *c)
{
    int rp;
    for (rp = 0; rp < c->m->nreport; rp++)
        free(c->moves[rp]);
    free(c->moves);
}

int insight_load(quire_lua *q, const spec *s, const spec_block *b, size_t i, quire_error *err)
{
    lua_State *L = qlua_state(q);
    const spec_insight *in = &b->insights[i];

    if (qlua_dofile(q, in->script, 1, err)) {
        /* The script's own error (no where of its own: a Lua message
         * names script:line) placed at the question in the spec. */
        quire_err_at(err, err->code, s->path, in->pos.line, in->pos.col,
                     "the insight for \"%s\": %s", b->items[i], err->msg);
        return -1;
    }
    if (!lua_isfunction(L, -1)) {
        quire_err_at(err, QUIRE_EXIT_USAGE, in->script, 0, 0,
                     "an insight must return a function (return function(r, args) ... "
                     "end), not a %s",
                     luaL_typename(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

int insights_answer(model *m, const spec_block *b, char **answers, quire_error *err)
{
    lua_State *L = qlua_state(m->lua);
    insight_ctx c;
    int top = lua_gettop(L), rep;
    size_t i;

    c.m = m;
    c.gr = &m->groups[b->segmentation];
    c.moves = xcalloc((size_t)m->nreport, sizeof *c.moves);
    lua_pushcfunction(L, report_pusher);
    lua_pushlightuserdata(L, &c);
    if (qlua_call(m->lua, 1, 1, "the report object for insights", err)) {
        free_moves(&c);
        return -1;
    }
    rep = lua_gettop(L);
    for (i = 0; i < b->nitems; i++) {
        const spec_insight *in = &b->insights[i];
        answers[i] = NULL;
        if (!in->script)
            continue;
        if (insight_load(m->lua, m->s, b, i, err))
            goto fail;
        lua_pushvalue(L, rep);
        lua_pushcfunction(L, args_pusher);
        lua_pushlightuserdata(L, (void *)in);
        if (qlua_call(m->lua, 1, 1, "the arguments of an insight", err))
            goto fail;
        if (qlua_callf(m->lua, 2, 1, err, "insight for \"%s\"", b->items[i]))
            goto fail;
        if (lua_type(L, -1) == LUA_TSTRING) {
            answers[i] = xstrdup(lua_tostring(L, -1));
        } else if (!lua_isnil(L, -1)) {
            quire_err_at(err, QUIRE_EXIT_DATA, in->script, 0, 0,
                         "the insight for \"%s\" returned a %s; it must return a sentence "
                         "(a string) or nil",
                         b->items[i], luaL_typename(L, -1));
            goto fail;
        }
        lua_settop(L, rep);
    }
    lua_settop(L, top);
    free_moves(&c);
    return 0;
fail:
    lua_settop(L, top);
    free_moves(&c);
    while (i-- > 0) {
        free(answers[i]);
        answers[i] = NULL;
    }
    return -1;
}
