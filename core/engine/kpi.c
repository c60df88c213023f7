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

/* Whether the model provides a field called name to KPIs. */
static int provides(const void *ctx, const char *name)
{
    static const char *const always[] = {"segment", "period", "customers", "prev_customers",
                                         "retained", "cohort", "per_customer", "all"};
    const model *m = ctx;
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

/* What read_table() works on: the table at index 1, the definition it fills,
 * and the first problem with the table (a message, not a Lua error). */
typedef struct read_ctx {
    const spec_kpi *sk;
    kpi_def *kd;
    kpi_provides_fn provides;
    const void *pctx;
    char bad[256];
} read_ctx;

/*
 * Read the KPI table at index 1 into the definition (a C function, called
 * protected and under the sandbox's limits: the table is the script's, and
 * its metamethods run when it is read). A table that breaks the contract
 * leaves a message in ctx->bad; a Lua error raised by the script's own code
 * propagates.
 */
static int read_table(lua_State *L)
{
    read_ctx *c = lua_touserdata(L, 2);
    kpi_def *kd = c->kd;

    if (!lua_istable(L, 1)) {
        snprintf(c->bad, sizeof c->bad, "the script must return a table with value = "
                 "function(s, prev), not a %s", luaL_typename(L, 1));
        return 0;
    }
    lua_getfield(L, 1, "label");
    kd->label = xstrdup(lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : c->sk->name);
    lua_getfield(L, 1, "description");
    if (lua_type(L, -1) == LUA_TSTRING)
        kd->description = xstrdup(lua_tostring(L, -1));
    lua_getfield(L, 1, "unit");
    if (!lua_isnil(L, -1)) {
        const char *u = lua_type(L, -1) == LUA_TSTRING ? lua_tostring(L, -1) : NULL;
        int i = quire_unit_parse(u);
        if (i < 0) {
            snprintf(c->bad, sizeof c->bad, "unit must be one of number, count, currency, percent, "
                     "score, days, months, not \"%s\"", u ? u : luaL_typename(L, -1));
            return 0;
        }
        kd->unit = (quire_unit)i;
    }
    lua_getfield(L, 1, "decimals");
    if (!lua_isnil(L, -1)) {
        if (!lua_isinteger(L, -1) || lua_tointeger(L, -1) < 0 || lua_tointeger(L, -1) > 6) {
            snprintf(c->bad, sizeof c->bad, "decimals must be a whole number from 0 to 6");
            return 0;
        }
        kd->decimals = (int)lua_tointeger(L, -1);
    }
    lua_getfield(L, 1, "higher_is_better");
    if (!lua_isnil(L, -1))
        kd->higher_is_better = lua_toboolean(L, -1);
    lua_settop(L, 2);
    lua_getfield(L, 1, "needs");
    if (!lua_isnil(L, -1)) {
        lua_Integer i, n;
        strbuf miss = {0};
        if (!lua_istable(L, -1)) {
            snprintf(c->bad, sizeof c->bad, "needs must be a list of field names: needs = { "
                     "\"orders\" }");
            return 0;
        }
        n = (lua_Integer)lua_rawlen(L, -1);
        for (i = 1; i <= n; i++) {
            lua_rawgeti(L, -1, i);
            if (lua_type(L, -1) != LUA_TSTRING) {
                sb_free(&miss);
                snprintf(c->bad, sizeof c->bad, "needs must be a list of field names (strings)");
                return 0;
            }
            if (c->provides && !c->provides(c->pctx, lua_tostring(L, -1)))
                sb_printf(&miss, "%s%s", miss.len ? ", " : "", lua_tostring(L, -1));
            lua_pop(L, 1);
        }
        kd->missing = miss.s;
    }
    lua_settop(L, 2);
    lua_getfield(L, 1, "customer");
    if (lua_isfunction(L, -1) && !kd->missing) {
        kd->customer_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    } else if (!lua_isnil(L, -1) && !lua_isfunction(L, -1)) {
        snprintf(c->bad, sizeof c->bad, "customer must be a function(c)");
        return 0;
    }
    lua_settop(L, 2);
    lua_getfield(L, 1, "value");
    if (lua_isfunction(L, -1)) {
        kd->fn_ref = luaL_ref(L, LUA_REGISTRYINDEX);
    } else {
        int value_nil = lua_isnil(L, -1);
        lua_getfield(L, 1, "customer");
        if (!value_nil || !lua_isfunction(L, -1)) {
            snprintf(c->bad, sizeof c->bad, "the table needs value = function(s, prev) ... end, or "
                     "customer = function(c) ... end (the KPI is then its mean)");
            return 0;
        }
    }
    return 0;
}

int kpi_read(quire_lua *q, const spec_kpi *sk, kpi_provides_fn provides_fn, const void *pctx,
             kpi_def *kd, quire_error *err)
{
    lua_State *L = qlua_state(q);
    int top = lua_gettop(L), rc = -1;
    read_ctx c;

    memset(kd, 0, sizeof *kd);
    kd->spec = sk;
    kd->decimals = -1;
    kd->higher_is_better = 1;
    kd->fn_ref = LUA_NOREF;
    kd->customer_ref = LUA_NOREF;
    if (qlua_dofile(q, sk->script, 1, err))
        return -1;
    memset(&c, 0, sizeof c);
    c.sk = sk;
    c.kd = kd;
    c.provides = provides_fn;
    c.pctx = pctx;
    lua_pushcfunction(L, read_table);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, &c);
    if (qlua_callf(q, 2, 0, err, "KPI \"%s\"", sk->name) == 0) {
        if (c.bad[0])
            quire_err_at(err, QUIRE_EXIT_USAGE, sk->script, 0, 0, "KPI \"%s\": %s", sk->name,
                         c.bad);
        else
            rc = 0;
    }
    lua_settop(L, top);
    return rc;
}

void kpi_def_free(quire_lua *q, kpi_def *kd)
{
    lua_State *L = q ? qlua_state(q) : NULL;

    if (L) {
        luaL_unref(L, LUA_REGISTRYINDEX, kd->fn_ref);
        luaL_unref(L, LUA_REGISTRYINDEX, kd->customer_ref);
    }
    free(kd->label);
    free(kd->description);
    free(kd->missing);
    memset(kd, 0, sizeof *kd);
    kd->fn_ref = kd->customer_ref = LUA_NOREF;
}

static void push_fields(model *m, const double *sum)
{
    lua_State *L = qlua_state(m->lua);
    size_t k;

    for (k = 0; k < m->nfields; k++) {
        if (!m->fields[k].needed || m->fields[k].kind == FIELD_TEXT)
            continue; /* no script mentions it; text is not summed */
        {
            /* "table.key" (a model's field): the sums' table "table" */
            const char *name = m->fields[k].name, *dot = strchr(name, '.');
            if (dot) {
                lua_pushlstring(L, name, (size_t)(dot - name));
                if (lua_rawget(L, -2) != LUA_TTABLE) {
                    lua_pop(L, 1);
                    lua_newtable(L);
                    lua_pushlstring(L, name, (size_t)(dot - name));
                    lua_pushvalue(L, -2);
                    lua_rawset(L, -4);
                }
                name = dot + 1;
            }
            if (m->fields[k].integral)
                lua_pushinteger(L, (lua_Integer)sum[k]);
            else
                lua_pushnumber(L, sum[k]);
            lua_setfield(L, -2, name);
            if (dot)
                lua_pop(L, 1);
        }
    }
}

/* Push the table of sums of group g for periods p0 to p (without "all"):
 * period p's own, or, for a window (rolling, year to date), every sum added
 * up over its periods, oldest first; its "period" is p's. */
static void push_group(model *m, const grouping *gr, int p0, int p, int g)
{
    lua_State *L = qlua_state(m->lua);
    const facts *f = m->f;
    size_t pg = model_pg(gr, p, g), i, nf = m->nfields;
    double customers = gr->totals.customers[pg], prev = gr->totals.prev_customers[pg];
    double retained = gr->totals.retained[pg];
    const double *sums = gr->totals.sums + pg * nf, *cohort = gr->totals.cohort + pg * nf;
    double *acc = NULL;
    char mon[16];
    int q;

    if (p0 < p) {
        acc = xcalloc(2 * nf + 1, sizeof *acc);
        customers = prev = retained = 0;
        for (q = p0; q <= p; q++) {
            size_t at = model_pg(gr, q, g);
            customers += gr->totals.customers[at];
            prev += gr->totals.prev_customers[at];
            retained += gr->totals.retained[at];
            for (i = 0; i < nf; i++) {
                acc[i] += gr->totals.sums[at * nf + i];
                acc[nf + i] += gr->totals.cohort[at * nf + i];
            }
        }
        sums = acc;
        cohort = acc + nf;
    }
    lua_createtable(L, 0, (int)m->nfields + 8);
    lua_pushstring(L, model_group_name(gr, g));
    lua_setfield(L, -2, "segment");
    grain_key(mon, sizeof mon, f->grain, f->month0 + p);
    lua_pushstring(L, mon);
    lua_setfield(L, -2, "period");
    lua_pushinteger(L, (lua_Integer)customers);
    lua_setfield(L, -2, "customers");
    lua_pushinteger(L, (lua_Integer)prev);
    lua_setfield(L, -2, "prev_customers");
    lua_pushinteger(L, (lua_Integer)retained);
    lua_setfield(L, -2, "retained");
    push_fields(m, sums);
    /* Facts about segments: the segment's row, or every row for All. */
    for (i = 0; i < f->nsegm; i++) {
        const facts_segrow *row = g == gr->nseg ? NULL : facts_segment(f, gr->names[g]);
        double v = NAN;
        for (q = p0; q <= p; q++) {
            double w = g == gr->nseg ? f->segtotal[i * (size_t)f->nperiods + (size_t)q]
                       : row ? row->v[i * (size_t)f->nperiods + (size_t)q] : NAN;
            if (!isnan(w))
                v = isnan(v) ? w : v + w;
        }
        if (isnan(v))
            continue;
        lua_pushnumber(L, v);
        lua_setfield(L, -2, f->segm[i]->name);
    }
    /* s.cohort: last month's members of the group, as they are this month */
    lua_createtable(L, 0, (int)m->nfields + 1);
    lua_pushinteger(L, (lua_Integer)prev);
    lua_setfield(L, -2, "customers");
    push_fields(m, cohort);
    lua_setfield(L, -2, "cohort");
    free(acc);
}

/* s for periods p0 to p, with s.all. */
static void push_sums(model *m, const grouping *gr, int p0, int p, int g)
{
    lua_State *L = qlua_state(m->lua);

    push_group(m, gr, p0, p, g);
    if (g == gr->nseg) {
        lua_pushvalue(L, -1);
    } else {
        push_group(m, gr, p0, p, gr->nseg);
    }
    lua_setfield(L, -2, "all");
}

void kpi_push_sums(model *m, const grouping *gr, int p, int g)
{
    push_sums(m, gr, p, p, g);
}

/* Set s.per_customer for KPI k on the table on top of the stack: periods
 * p0 to p added up. */
static void push_per_customer(model *m, const grouping *gr, size_t k, int p0, int p, int g)
{
    lua_State *L = qlua_state(m->lua);
    double sum = 0, count = 0;
    int q;

    for (q = p0; q <= p; q++) {
        size_t at = ((size_t)k * (size_t)m->f->nperiods + (size_t)q) * (size_t)(gr->nseg + 1) +
                    (size_t)g;
        sum += gr->totals.csum[at];
        count += gr->totals.ccount[at];
    }
    lua_createtable(L, 0, 2);
    lua_pushnumber(L, sum);
    lua_setfield(L, -2, "sum");
    lua_pushinteger(L, (lua_Integer)count);
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
        if (kpi_read(m->lua, &s->kpis[k], provides, m, &m->kpis[k], err) ||
            kpi_check_customer_use(s, k, m->kpis[k].customer_ref != LUA_NOREF, err))
            return -1;
    return 0;
}

int kpi_check_customer_use(const spec *s, size_t k, int has_customer, quire_error *err)
{
    const char *name = s->kpis[k].name;
    size_t i, j, c;

    if (has_customer)
        return 0;
    for (i = 0; i < s->nsections; i++)
        for (j = 0; j < s->sections[i].nblocks; j++) {
            const spec_block *b = &s->sections[i].blocks[j];
            spec_pos at = {0, 0};
            if (b->kind == BLOCK_CHART && b->value) {
                /* a chart of a per-customer value */
                if (strcmp(b->value, name) == 0)
                    at = b->value_pos;
                else if (b->x_value && strcmp(b->x_value, name) == 0)
                    at = b->x_value_pos;
            } else if (b->kind != BLOCK_TABLE || !b->by_customer) {
                continue;
            }
            for (c = 0; c < b->ncolumns && !at.line; c++)
                if (strcmp(b->columns[c], name) == 0)
                    at = b->colfmt[c].pos;
            for (c = 0; c < b->nwhere && !at.line; c++)
                if (strcmp(b->where[c].name, name) == 0)
                    at = b->where[c].pos;
            if (!at.line && b->sort && strcmp(b->sort, name) == 0)
                at = b->sort_pos;
            if (at.line)
                return quire_err_at(err, QUIRE_EXIT_USAGE, s->path, at.line, at.col,
                                    "KPI \"%s\" has no customer function (customer = "
                                    "function(c) ... in %s), so it has no value per customer",
                                    name, s->kpis[k].script);
        }
    return 0;
}

/* The arguments of a KPI's value(): s and prev (nil in the first month),
 * built by qlua_call (they allocate in the state). */
typedef struct kpi_args {
    model *m;
    const grouping *gr;
    size_t k;
    int p0, p, g;      /* periods p0 to p: one period, or a window */
} kpi_args;

static int push_kpi_args(lua_State *L)
{
    const kpi_args *a = lua_touserdata(L, 1);
    const kpi_def *kd = &a->m->kpis[a->k];

    lua_settop(L, 0);
    push_sums(a->m, a->gr, a->p0, a->p, a->g);
    if (kd->customer_ref != LUA_NOREF)
        push_per_customer(a->m, a->gr, a->k, a->p0, a->p, a->g);
    if (a->p0 == a->p && a->p - 1 >= a->m->p_first) {
        kpi_push_sums(a->m, a->gr, a->p - 1, a->g);
        if (kd->customer_ref != LUA_NOREF)
            push_per_customer(a->m, a->gr, a->k, a->p - 1, a->p - 1, a->g);
    } else {
        lua_pushnil(L);
    }
    return 2;
}

/* The value of KPI k for group g of gr over periods p0 to p (one period
 * when p0 == p; a window has no prev): NAN when none. */
static int kpi_value(model *m, const grouping *gr, size_t k, int p0, int p, int g, double *out,
                     quire_error *err)
{
    lua_State *L = qlua_state(m->lua);
    const kpi_def *kd = &m->kpis[k];
    char mon[16];

    *out = NAN;
    if (kd->missing)
        return 0;
    if (kd->fn_ref == LUA_NOREF) {
        double sum = 0, count = 0;
        int q;
        for (q = p0; q <= p; q++) {
            size_t at = ((size_t)k * (size_t)m->f->nperiods + (size_t)q) *
                            (size_t)(gr->nseg + 1) + (size_t)g;
            sum += gr->totals.csum[at];
            count += gr->totals.ccount[at];
        }
        if (count > 0)
            *out = sum / count;
        return 0;
    }
    grain_key(mon, sizeof mon, m->f->grain, m->f->month0 + p);
    lua_rawgeti(L, LUA_REGISTRYINDEX, kd->fn_ref);
    {
        kpi_args a = {m, gr, k, p0, p, g};
        lua_pushcfunction(L, push_kpi_args);
        lua_pushlightuserdata(L, &a);
        if (qlua_callf(m->lua, 1, 2, err, "KPI \"%s\" (segment %s, %s): its arguments",
                       kd->spec->name, model_group_name(gr, g), mon)) {
            lua_pop(L, 1);
            return -1;
        }
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

/* The periods (facts indices) comparison c of report period rp covers:
 * p0 to p1; -1 when its data is not loaded. */
static int compare_periods(const model *m, spec_compare c, int rp, int *p0, int *p1)
{
    const facts *f = m->f;
    const int p = m->p_report + rp;

    *p0 = *p1 = p;
    switch (c.kind) {
    case SPEC_CMP_LAST_YEAR: {
        int ly = grain_last_year(f->grain, f->month0 + p);
        if (ly < 0)
            return -1;
        *p0 = *p1 = ly - f->month0;
        break;
    }
    case SPEC_CMP_ROLLING:
        *p0 = p - c.n + 1;
        break;
    case SPEC_CMP_YTD:
        *p0 = grain_year_first(f->grain, f->month0 + p) - f->month0;
        break;
    default:
        break;
    }
    return *p0 < m->p_first ? -1 : 0;
}

/* The spec's comparisons (last year, rolling, year to date) of every KPI,
 * report period and group of gr. */
static int compare_evaluate(model *m, grouping *gr, quire_error *err)
{
    const spec *s = m->s;
    const size_t ng = (size_t)gr->nseg + 1, nk = m->nkpis, nr = (size_t)m->nreport;
    size_t c, k;
    int rp, g, p0, p1;

    if (!s->ncompares)
        return 0;
    gr->kcmp = xmalloc((s->ncompares * nk * nr * ng + 1) * sizeof *gr->kcmp);
    for (c = 0; c < s->ncompares; c++)
        for (k = 0; k < nk; k++)
            for (rp = 0; rp < m->nreport; rp++) {
                int none = compare_periods(m, s->compares[c], rp, &p0, &p1);
                for (g = 0; g < (int)ng; g++) {
                    double *out = &gr->kcmp[((c * nk + k) * nr + (size_t)rp) * ng + (size_t)g];
                    *out = NAN;
                    if (!none && kpi_value(m, gr, k, p0, p1, g, out, err))
                        return -1;
                }
            }
    return 0;
}

double model_kpi_compare(const model *m, const grouping *gr, size_t k, spec_compare c, int rp,
                         int g)
{
    int ci = spec_compare_index(m->s, c);
    const size_t ng = (size_t)gr->nseg + 1;

    if (ci < 0 || !gr->kcmp)
        return NAN;
    return gr->kcmp[(((size_t)ci * m->nkpis + k) * (size_t)m->nreport + (size_t)rp) * ng +
                    (size_t)g];
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
                    if (kpi_value(m, gr, k, m->p_report + rp, m->p_report + rp, g,
                                  &gr->kval[(k * (size_t)m->nreport + (size_t)rp) * (size_t)ng +
                                            (size_t)g], err))
                        return -1;
        if (compare_evaluate(m, gr, err))
            return -1;
    }
    return 0;
}
