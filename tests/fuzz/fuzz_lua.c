/*
 * fuzz_lua.c - the quire.* helpers, and the string, table and other library
 * functions scripts call, with hostile values, in the real sandbox.
 *
 * The input is a program of steps of 5 bytes: a function, the number of
 * arguments and the slot its result goes to, and three arguments. An
 * argument byte below 192 names a slot of a pool of values (huge, negative
 * and NaN numbers, odd strings and patterns, deep and cyclic tables, tables
 * whose __len or __index raise or loop, long lists, fake report objects),
 * above it a small integer. Each step is one call through qlua_call, under
 * the sandbox's memory cap, instruction budget and deadline, so results
 * feed later steps: string.rep makes a long subject, setmetatable a hostile
 * list, and so on.
 *
 * Besides not crashing, leaking or hanging: every step returns, or fails
 * with a message (no raw control bytes in it), within its deadline; the
 * state still works after a tripped limit.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "model.h"
#include "replay.h"
#include "sandbox.h"
#include "spec.h"

#define SECONDS 0.05   /* the deadline of each step */
#define SLACK 1.0      /* seconds of processor time past it that fail the step */
#define MAX_STEPS 48

/* The pool and the functions; returns step(f, n, dst, a, b, c). */
static const char prelude[] =
    "local Q, S, T, M, U = quire, string, table, math, utf8\n"
    "local V, NV = {}, 64\n"
    "local function mt(m, t) return setmetatable(t or {}, m) end\n"
    "local deep = {} do local d = deep for i = 1, 250 do d[1] = {i}; d = d[1] end end\n"
    "local cyc = {1, 2} cyc[3] = cyc cyc.self = cyc\n"
    "local long = {} for i = 1, 2000 do long[i] = i * 1.5 - 700 end\n"
    "local names = {} for i = 1, 200 do names[i] = 'seg' .. i end\n"
    "local report = {segments = {'A', 'B', 'C'}, kpis = {x = {unit = 'percent', decimals = 2,\n"
    "  phrase = 'rate', available = false}, y = {unit = 'currency', decimals = -1}},\n"
    "  value = function(k, s, i) return #s end, format = function(k, v) return tostring(v) end}\n"
    "local hostile_report = mt({__index = function(t, k) error('report: ' .. tostring(k)) end})\n"
    "local loop_report = {segments = mt({__index = function() while true do end end}, {}),\n"
    "  value = function() while true do end end, kpis = cyc}\n"
    "local MT = {\n"
    "  {__len = function() return 2^61 + 1 end},\n"
    "  {__len = function() return M.maxinteger end},\n"
    "  {__len = function() return -1 end},\n"
    "  {__len = function() error('__len raised') end},\n"
    "  {__len = function() while true do end end},\n"
    "  {__index = function(t, k) error('__index raised') end},\n"
    "  {__index = function() while true do end end},\n"
    "  {__index = S.rep},\n"
    "  {__index = function(t, k) return k end, __len = function() return 1e6 end},\n"
    "  {__newindex = function() error('__newindex raised') end},\n"
    "  {__tostring = function() error('\\27[31m__tostring raised\\r\\n') end, __name = '\\0x'},\n"
    "  {__tostring = function() return {} end},\n"
    "  {__concat = function() while true do end end, __lt = function() error('lt') end},\n"
    "  {__lt = function() return true end, __le = function() return false end},\n"
    "  {__eq = function() error('eq') end, __call = function(...) return ... end},\n"
    "  {__pairs = function(t) return function() while true do end end, t, nil end},\n"
    "  {__index = long},\n"
    "}\n"
    "local init = {\n"
    "  0, -0.0, 1, -1, 2, 3, 12, 0.5, 1e308, -1e308, 5e-324, 2^53, 2^63, -2^63,\n"
    "  M.maxinteger, M.mininteger, M.huge, -M.huge, 0/0, -(0/0), 1e15, -1e15, 2^31, 7,\n"
    "  '', 'a', 'abc', '2024-02', '9999-12', '0000-01', '2024-13', '-001-01',\n"
    "  'percent', 'currency', 'count', 'months', 'days', 'score', '%', '%s%d%100.99f',\n"
    "  '(.-)*', '%b()', '[^%z]', 'a*a*a*a*a*b', '.-.-.-x', '\\0\\r\\n\\27[2J=?',\n"
    "  S.rep('a', 4096), S.rep('\\255\\254', 300),\n"
    "  {}, {1, 2, 3}, {1, nil, 3, nil, 5}, {1, 'a', true, {}, 2.5, 0/0, M.huge}, long, names,\n"
    "  deep, cyc, {[1] = 1, [2^40] = 2}, report, hostile_report, loop_report, true, false,\n"
    "}\n"
    "for i = 1, NV do V[i] = init[(i - 1) % #init + 1] end\n"
    "local F = {\n"
    "  Q.sum, Q.mean, Q.ratio, Q.change, Q.change_text, Q.format_change, Q.clamp,\n"
    "  Q.correlation, Q.format, Q.month_label, Q.join, Q.param, Q.possessive, Q.plural,\n"
    "  Q.kpi_arg, Q.kpi_info, Q.unavailable, Q.order_arg, Q.ranked, Q.difference,\n"
    "  S.rep, S.format, S.sub, S.find, S.match, S.gsub, S.byte, S.char, S.upper, S.len,\n"
    "  S.reverse, S.pack, S.unpack, S.packsize,\n"
    "  function(s, p, n) local k = 0 for a in S.gmatch(s, p) do k = k + 1 if k > (n or 9) then break end end return k end,\n"
    "  T.concat, T.insert, T.remove, T.move, T.sort, T.unpack, T.pack,\n"
    "  U.char, U.codepoint, U.len, U.offset, function(s) local k = 0 for _, c in U.codes(s) do k = k + c end return k end,\n"
    "  M.floor, M.tointeger, M.fmod, M.abs, M.max, M.min, M.ult, M.random,\n"
    "  tostring, tonumber, select, rawlen, rawequal, rawget, rawset, next, type, assert,\n"
    "  function(t) local k = 0 for _ in pairs(t) do k = k + 1 end return k end,\n"
    "  function(t) local k = 0 for _ in ipairs(t) do k = k + 1 end return k end,\n"
    "  os.date, os.time, pcall, error, load,\n"
    "  function(a, b) return a .. b end,\n"
    "  function(a) return #a end,\n"
    "  function(a, b) return a[b] end,\n"
    "  function(a, b, c) a[b] = c return a end,\n"
    "  function(a, b) return a < b end,\n"
    "  function(a, b) return a + b end,\n"
    "  function(a, b) return a * b end,\n"
    "  function(a, b) return a // b end,\n"
    "  function(a, n) return mt(MT[(M.tointeger(n) or 1) % #MT + 1], type(a) == 'table' and a or {a}) end,\n"
    "  function(a, b, c) return {a, b, c} end,\n"
    "  function(a, n) local t = {} for i = 1, (M.tointeger(n) or 1) % 64 do t[i] = a end return t end,\n"
    "  function(a) local t = a for i = 1, 40 do t = {t} end return t end,\n"
    "  function(f, a, b) return f(a, b) end,\n"
    "}\n"
    "local function arg(x) if x >= 192 then return x - 224 end return V[x % NV + 1] end\n"
    "return function(f, n, dst, a, b, c)\n"
    "  local fn = F[f % #F + 1]\n"
    "  local r\n"
    "  if n == 0 then r = fn() elseif n == 1 then r = fn(arg(a))\n"
    "  elseif n == 2 then r = fn(arg(a), arg(b)) else r = fn(arg(a), arg(b), arg(c)) end\n"
    "  if dst < NV then V[dst + 1] = r end\n"
    "end\n";

static double cpu_seconds(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

/* A message says why in text: no control bytes but newline and tab. */
static void check_message(const quire_error *err)
{
    const unsigned char *p = (const unsigned char *)err->msg;

    if (!err->msg[0])
        abort();
    for (; *p; p++)
        if ((*p < 0x20 && *p != '\n' && *p != '\t') || *p == 0x7f)
            abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    quire_lua_limits lim;
    quire_error err = {0};
    spec s;
    spec_param params[2];
    quire_lua *q;
    lua_State *L;
    int step_ref;
    size_t i;

    if (size > 5 * MAX_STEPS)
        return 0;
    /* Quire's Lua library from the source tree (targets run from its top) */
    setenv("QUIRE_LUA_LIB", QUIRE_LUA_LIB_PATH, 0);
    qlua_limits_default(&lim);
    lim.memory = (size_t)8 << 20;
    lim.instructions = 200000;
    lim.seconds = SECONDS;
    q = qlua_new(&lim, &err);
    if (!q)
        abort();
    L = qlua_state(q);
    memset(&s, 0, sizeof s);
    memset(params, 0, sizeof params);
    params[0].name = (char *)"as_of";
    params[0].type = PARAM_MONTH;
    params[0].value = (char *)"2024-04";
    params[1].name = (char *)"margin";
    params[1].type = PARAM_NUMBER;
    params[1].value = (char *)"0.35";
    s.params = params;
    s.nparams = 2;
    if (lua_api_install(&s, q, &err) || qlua_dostring(q, prelude, "=fuzz", 1, &err)) {
        /* a machine too busy to set up within the deadline: no test */
        if (strstr(err.msg, "time limit of")) {
            qlua_free(q);
            return 0;
        }
        fprintf(stderr, "fuzz_lua: %s\n", err.msg);
        abort();
    }
    step_ref = luaL_ref(L, LUA_REGISTRYINDEX);

    for (i = 0; i + 5 <= size; i += 5) {
        const uint8_t *b = data + i;
        double t0;
        int rc;

        lua_rawgeti(L, LUA_REGISTRYINDEX, step_ref);
        lua_pushinteger(L, b[0]);
        lua_pushinteger(L, b[1] & 3);
        lua_pushinteger(L, b[1] >> 2);
        lua_pushinteger(L, b[2]);
        lua_pushinteger(L, b[3]);
        lua_pushinteger(L, b[4]);
        memset(&err, 0, sizeof err);
        t0 = cpu_seconds();
        rc = qlua_call(q, 6, 0, "step", &err);
        if (cpu_seconds() - t0 > SECONDS + SLACK) {
            fprintf(stderr, "fuzz_lua: step %zu ran %.2f s: %s\n", i / 5, cpu_seconds() - t0,
                    rc ? err.msg : "(returned)");
            abort(); /* the deadline did not hold */
        }
        if (rc)
            check_message(&err);
    }
    /* After whatever tripped, the state still runs code. */
    memset(&err, 0, sizeof err);
    if (qlua_dostring(q, "return quire.sum({1, 2, 3}) == 6 and #string.rep('ab', 3) == 6", "=after",
                      1, &err) ||
        !lua_toboolean(L, -1)) {
        fprintf(stderr, "fuzz_lua: the state no longer works: %s\n", err.msg);
        abort();
    }
    lua_pop(L, 1);
    luaL_unref(L, LUA_REGISTRYINDEX, step_ref);
    qlua_free(q);
    return 0;
}

#ifndef QUIRE_LIBFUZZER
int main(int argc, char **argv)
{
    char *def[] = {argv[0], (char *)"tests/fuzz/corpus/lua"};
    return argc > 1 ? replay_main("fuzz_lua", argc, argv) : replay_main("fuzz_lua", 2, def);
}
#endif
