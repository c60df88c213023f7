/*
 * sandbox.c - a Lua 5.4 state with a memory cap, an instruction budget and a
 * wall-clock deadline, and a standard library cut down to what rules need:
 * read-only library tables, no addresses in tostring, text-only loading.
 *
 * Hot path: qlua_call runs once per customer per month. It allocates nothing,
 * formats nothing, reads no clock and, under the default budget, runs with no
 * hook at all: Lua 5.4 checks every instruction as soon as any count hook is
 * set, whatever its count, which made the limits cost more than a short rule.
 * Instead a watchdog thread per state looks every WATCH_NS: a call it finds
 * running gets the count hook, which charges the budget from then on; a call
 * it finds still running past the deadline gets a hook on every instruction
 * and call, which stops it. Budgets of at most EXACT_BUDGET instructions are
 * small enough for a call to spend before the watchdog looks, so they keep
 * the count hook set all the time and count every call from its start.
 */
#include "sandbox.h"

#include <errno.h>
#include <pthread.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <lualib.h>

#include "pattern.h"

/* Instructions between two calls of the hook. Lua 5.4 pays a check on every
 * instruction as soon as any count hook is set, whatever the count, so a
 * larger count saves little; 1000 keeps a runaway loop's overshoot tiny. */
#define HOOK_COUNT 1000
/* Budgets up to this are counted from each call's first instruction (the
 * count hook always set); larger ones from the watchdog's first look. */
#define EXACT_BUDGET 1000000UL
/* The watchdog's period, at most (an eighth of the deadline when shorter). */
#define WATCH_NS 2000000LL
/* Lua frames shown in a traceback. */
#define TB_FRAMES 4

enum { TRIP_NONE, TRIP_MEMORY, TRIP_BUDGET, TRIP_TIME };

struct quire_lua {
    lua_State *L;
    quire_lua_limits lim;     /* in force, after defaults and clamping */
    size_t used;              /* bytes the state holds */
    int depth;                /* nesting of qlua_call; limits apply above 0 */
    int tripped;              /* TRIP_*; set until the outermost call returns */
    int refused;              /* the allocator refused to grow in this call */
    unsigned long ticks;      /* hook ticks in the current call */
    unsigned long tick_limit; /* the budget is exceeded at this tick */
    long long limit_ns;       /* the deadline, from the call's start */
    int tb_len;               /* bytes in tb; 0 = no traceback */
    char trip[256];           /* "src:line: instruction budget of N exceeded..." */
    char tb[512];             /* "\n  src:line: in function 'f'..." */
    int hook_count;           /* the count hook's count */
    int always_count;         /* the budget is small: the count hook is always set */
    /* The watchdog: a thread per state that arms the count hook on a call
     * it finds running, and stops a call still running past its deadline
     * (inside a library function too, where the count hook never runs). seq
     * is odd while an outermost call runs; armed is the seq of the call it
     * armed the count hook for and fired that of the call it stopped (0:
     * none). */
    _Atomic unsigned long seq;
    _Atomic unsigned long armed;
    _Atomic unsigned long fired;
    pthread_mutex_t wd_mu;    /* held by whoever changes the hook */
    pthread_cond_t wd_cv;
    pthread_t wd;
    int wd_started, wd_quit;
    /* Host work outside a protected call: where the panic handler jumps. */
    jmp_buf *recover;
    char panic_msg[512];
};

static quire_lua *getq(lua_State *L)
{
    return *(quire_lua **)lua_getextraspace(L);
}

static lua_Hook hook_fn(void);

/* ---------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------- */

void qlua_limits_default(quire_lua_limits *l)
{
    l->memory = QLUA_DEFAULT_MEMORY;
    l->instructions = QLUA_DEFAULT_INSTRUCTIONS;
    l->seconds = QLUA_DEFAULT_SECONDS;
    l->seed = 0;
}

/* Zero (or NaN, or negative seconds) means the default; above the hard max
 * means the hard max. */
static void effective(quire_lua_limits *out, const quire_lua_limits *in)
{
    qlua_limits_default(out);
    if (!in)
        return;
    if (in->memory)
        out->memory = in->memory > QLUA_MAX_MEMORY ? QLUA_MAX_MEMORY : in->memory;
    if (in->instructions)
        out->instructions = in->instructions > QLUA_MAX_INSTRUCTIONS ? QLUA_MAX_INSTRUCTIONS
                                                                     : in->instructions;
    if (in->seconds > 0)
        out->seconds = in->seconds > QLUA_MAX_SECONDS ? QLUA_MAX_SECONDS : in->seconds;
    out->seed = in->seed;
}

static double mib(size_t bytes)
{
    return (double)bytes / (1024.0 * 1024.0);
}

/* The allocator: refuses to grow the state past the cap. Lua then collects
 * garbage and retries once before raising a memory error. */
static void *qalloc(void *ud, void *ptr, size_t osize, size_t nsize)
{
    quire_lua *q = ud;
    void *p;

    if (!ptr)
        osize = 0; /* then osize only tells the kind of object */
    if (nsize == 0) {
        free(ptr);
        q->used -= osize;
        return NULL;
    }
    if (nsize > osize && nsize - osize > q->lim.memory - q->used) {
        q->refused = 1;
        return NULL;
    }
    p = realloc(ptr, nsize);
    if (p)
        q->used = q->used - osize + nsize;
    return p;
}

/* Record a tripped limit; where is "src:line: " or "". */
static void set_trip(quire_lua *q, int kind, const char *where)
{
    q->tripped = kind;
    switch (kind) {
    case TRIP_BUDGET:
        snprintf(q->trip, sizeof q->trip, "%sinstruction budget of %lu exceeded (infinite loop?)",
                 where, q->lim.instructions);
        break;
    case TRIP_TIME:
        snprintf(q->trip, sizeof q->trip, "%stime limit of %g s exceeded", where,
                 q->lim.seconds);
        break;
    default:
        /* the cap refused to grow, or the system had nothing to give */
        if (q->refused)
            snprintf(q->trip, sizeof q->trip, "%smemory limit of %g MiB exceeded", where,
                     mib(q->lim.memory));
        else
            snprintf(q->trip, sizeof q->trip, "%sout of memory", where);
        break;
    }
}

/* Raise the tripped limit's error. (Pushing the message may itself fail for
 * lack of memory; that raises a memory error instead, which is as good.) */
static int raise_trip(lua_State *L, quire_lua *q)
{
    lua_pushstring(L, q->trip);
    return lua_error(L);
}

/* Put back the hook of normal running (the count hook for a small budget,
 * else none) after the watchdog armed one. */
static void restore_hook(quire_lua *q)
{
    pthread_mutex_lock(&q->wd_mu);
    if (q->always_count)
        lua_sethook(q->L, hook_fn(), LUA_MASKCOUNT, q->hook_count);
    else
        lua_sethook(q->L, NULL, 0, 0);
    atomic_store_explicit(&q->armed, 0, memory_order_relaxed);
    atomic_store_explicit(&q->fired, 0, memory_order_relaxed);
    pthread_mutex_unlock(&q->wd_mu);
}

/* One tick of HOOK_COUNT instructions (or matcher steps) charged to the
 * current call: TRIP_BUDGET when it exceeds the budget, else TRIP_NONE. (The
 * deadline is the watchdog's.) */
static int tick(quire_lua *q)
{
    return ++q->ticks >= q->tick_limit ? TRIP_BUDGET : TRIP_NONE;
}

/* The hook: the budget. Once a limit is tripped, every tick raises again, so
 * no handler the script sets up can keep it running. When the watchdog has
 * fired, the hook runs on every instruction and every call (of a C function
 * too) and stops the call it fired for. */
static void hook(lua_State *L, lua_Debug *ar)
{
    quire_lua *q = getq(L);
    char where[160];
    unsigned long fired = atomic_load_explicit(&q->fired, memory_order_relaxed);

    if (fired) {
        if (q->depth > 0 && fired == atomic_load_explicit(&q->seq, memory_order_relaxed)) {
            if (!q->tripped) {
                where[0] = '\0';
                if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
                    snprintf(where, sizeof where, "%s:%d: ", ar->short_src, ar->currentline);
                set_trip(q, TRIP_TIME, where);
            }
            raise_trip(L, q);
        }
        restore_hook(q); /* fired for a call that has returned */
        return;
    }
    if (q->depth == 0 || ar->event != LUA_HOOKCOUNT)
        return;
    if (q->tripped)
        raise_trip(L, q);
    if (tick(q) == TRIP_NONE)
        return;
    where[0] = '\0';
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
        snprintf(where, sizeof where, "%s:%d: ", ar->short_src, ar->currentline);
    set_trip(q, TRIP_BUDGET, where);
    raise_trip(L, q);
}

static lua_Hook hook_fn(void)
{
    return hook;
}

/* The watchdog thread: wakes every WATCH_NS (or an eighth of a shorter
 * deadline, 0.1 ms at least). A call it finds running gets the count hook
 * (lua_sethook may be called from another thread or a signal handler), so
 * its budget is charged from then on, at most one period after it started.
 * A call it sees running at two wakes is timed from the first, so it is
 * stopped between its deadline and its deadline plus two periods: it arms a
 * hook on every instruction and call. Nothing on the hot path talks to it;
 * a call shorter than a period is seldom seen, and one that is pays for the
 * count hook until it returns. */
static void *watchdog(void *arg)
{
    quire_lua *q = arg;
    long long period = q->limit_ns / 8, seen_at = 0;
    unsigned long last = 0, s;
    struct timespec ts;

    if (period > WATCH_NS)
        period = WATCH_NS;
    if (period < 100000LL)
        period = 100000LL;
    pthread_mutex_lock(&q->wd_mu);
    while (!q->wd_quit) {
        long long t;
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec + period;
        ts.tv_sec = (time_t)(t / 1000000000LL);
        ts.tv_nsec = (long)(t % 1000000000LL);
        pthread_cond_timedwait(&q->wd_cv, &q->wd_mu, &ts);
        if (q->wd_quit)
            break;
        s = atomic_load_explicit(&q->seq, memory_order_relaxed);
        if (!(s & 1)) {
            last = 0;
            continue;
        }
        clock_gettime(CLOCK_MONOTONIC, &ts);
        t = (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
        if (s != last) {
            last = s;
            seen_at = t;
            if (!q->always_count && !atomic_load_explicit(&q->fired, memory_order_relaxed)) {
                atomic_store_explicit(&q->armed, s, memory_order_relaxed);
                lua_sethook(q->L, hook, LUA_MASKCOUNT, q->hook_count);
            }
            continue;
        }
        if (t - seen_at >= q->limit_ns &&
            atomic_load_explicit(&q->fired, memory_order_relaxed) != s) {
            atomic_store_explicit(&q->fired, s, memory_order_relaxed);
            lua_sethook(q->L, hook, LUA_MASKCOUNT | LUA_MASKCALL, 1);
        }
    }
    pthread_mutex_unlock(&q->wd_mu);
    return NULL;
}

static int watchdog_start(quire_lua *q)
{
    pthread_condattr_t ca;

    if (pthread_mutex_init(&q->wd_mu, NULL))
        return -1;
    if (pthread_condattr_init(&ca)) {
        pthread_mutex_destroy(&q->wd_mu);
        return -1;
    }
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    if (pthread_cond_init(&q->wd_cv, &ca)) {
        pthread_condattr_destroy(&ca);
        pthread_mutex_destroy(&q->wd_mu);
        return -1;
    }
    pthread_condattr_destroy(&ca);
    if (pthread_create(&q->wd, NULL, watchdog, q)) {
        pthread_cond_destroy(&q->wd_cv);
        pthread_mutex_destroy(&q->wd_mu);
        return -1;
    }
    q->wd_started = 1;
    return 0;
}

static void watchdog_stop(quire_lua *q)
{
    if (!q->wd_started)
        return;
    pthread_mutex_lock(&q->wd_mu);
    q->wd_quit = 1;
    pthread_cond_signal(&q->wd_cv);
    pthread_mutex_unlock(&q->wd_mu);
    pthread_join(q->wd, NULL);
    pthread_cond_destroy(&q->wd_cv);
    pthread_mutex_destroy(&q->wd_mu);
    q->wd_started = 0;
}

/* ---------------------------------------------------------------------------
 * Read-only tables
 *
 * A read-only table is an empty proxy whose metatable reads through to the
 * real table (__index, __len, __pairs) and refuses every write (__newindex).
 * The metatable is hidden (__metatable = false) and holds the proxy's name
 * under the light userdata key &ro_key; the real table is reachable only from
 * that metatable. rawset refuses proxies; rawget, rawlen and next read
 * through them.
 * ------------------------------------------------------------------------- */

static const char ro_key = 0;

/* If the value at idx is a read-only proxy, push its real table and its name
 * (real at -2, name at -1) and return 1; else push nothing and return 0. */
static int ro_real(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    if (lua_type(L, idx) != LUA_TTABLE || !lua_getmetatable(L, idx))
        return 0;
    if (lua_rawgetp(L, -1, &ro_key) != LUA_TSTRING) {
        lua_pop(L, 2);
        return 0;
    }
    lua_pushliteral(L, "__index");
    lua_rawget(L, -3);
    lua_replace(L, -3); /* real name */
    return 1;
}

static int ro_refuse(lua_State *L, int idx)
{
    if (ro_real(L, idx))
        return luaL_error(L, "attempt to modify read-only table '%s'", lua_tostring(L, -1));
    return 0;
}

static int ro_newindex(lua_State *L)
{
    ro_refuse(L, 1);
    return luaL_error(L, "attempt to modify a read-only table");
}

static int ro_len(lua_State *L)
{
    lua_Integer n = 0;

    if (ro_real(L, 1))
        n = (lua_Integer)lua_rawlen(L, -2);
    lua_pushinteger(L, n);
    return 1;
}

/* next(t [, k]), reading through a proxy. Also the global next. */
static int sb_next(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    lua_settop(L, 2);
    if (ro_real(L, 1)) {
        lua_pop(L, 1);
        lua_replace(L, 1);
    }
    if (lua_next(L, 1))
        return 2;
    lua_pushnil(L);
    return 1;
}

static int ro_pairs(lua_State *L)
{
    lua_pushcfunction(L, sb_next);
    lua_pushvalue(L, 1); /* the proxy, never the real table */
    lua_pushnil(L);
    return 3;
}

static int sb_rawset(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    luaL_checkany(L, 3);
    ro_refuse(L, 1);
    lua_settop(L, 3);
    lua_rawset(L, 1);
    return 1;
}

static int sb_rawget(lua_State *L)
{
    luaL_checktype(L, 1, LUA_TTABLE);
    luaL_checkany(L, 2);
    lua_settop(L, 2);
    if (ro_real(L, 1)) {
        lua_pop(L, 1);
        lua_replace(L, 1);
    }
    lua_rawget(L, 1);
    return 1;
}

static int sb_rawlen(lua_State *L)
{
    int t = lua_type(L, 1);

    luaL_argexpected(L, t == LUA_TTABLE || t == LUA_TSTRING, 1, "table or string");
    if (ro_real(L, 1)) {
        lua_pop(L, 1);
        lua_replace(L, 1);
    }
    lua_pushinteger(L, (lua_Integer)lua_rawlen(L, 1));
    return 1;
}

/* Replace the table on top of the stack by a read-only proxy named name,
 * first replacing (in place) every table it holds as a value by a proxy too.
 * seen maps tables already done to their proxies, so shared and cyclic
 * tables get one proxy each. A proxy is left as it is. */
static void freeze_rec(lua_State *L, int seen, const char *name)
{
    int t = lua_gettop(L), proxy, k;

    luaL_checkstack(L, 8, "tables nested too deeply");
    if (ro_real(L, t)) {
        lua_pop(L, 2);
        return;
    }
    lua_pushvalue(L, t);
    if (lua_rawget(L, seen) != LUA_TNIL) {
        lua_replace(L, t);
        return;
    }
    lua_pop(L, 1);
    lua_createtable(L, 0, 0);
    proxy = t + 1;
    lua_pushvalue(L, t);
    lua_pushvalue(L, proxy);
    lua_rawset(L, seen);

    lua_pushnil(L);
    while (lua_next(L, t)) {
        k = lua_gettop(L) - 1;
        if (lua_type(L, -1) == LUA_TTABLE) {
            if (lua_type(L, k) == LUA_TSTRING)
                lua_pushfstring(L, "%s.%s", name, lua_tostring(L, k));
            else if (lua_isinteger(L, k))
                lua_pushfstring(L, "%s[%I]", name, (LUAI_UACINT)lua_tointeger(L, k));
            else
                lua_pushfstring(L, "%s[%s]", name, luaL_typename(L, k));
            lua_pushvalue(L, k + 1);
            freeze_rec(L, seen, lua_tostring(L, -2));
            lua_pushvalue(L, k);
            lua_insert(L, -2);
            lua_rawset(L, t); /* an existing field: allowed during lua_next */
        }
        lua_settop(L, k);
    }

    lua_createtable(L, 0, 6);
    lua_pushvalue(L, t);
    lua_setfield(L, -2, "__index");
    lua_pushcfunction(L, ro_newindex);
    lua_setfield(L, -2, "__newindex");
    lua_pushcfunction(L, ro_len);
    lua_setfield(L, -2, "__len");
    lua_pushcfunction(L, ro_pairs);
    lua_setfield(L, -2, "__pairs");
    lua_pushboolean(L, 0);
    lua_setfield(L, -2, "__metatable");
    lua_pushstring(L, name);
    lua_rawsetp(L, -2, &ro_key);
    lua_setmetatable(L, proxy);
    lua_replace(L, t);
}

/* Replace the table on top of the stack by its read-only proxy. */
static void freeze(lua_State *L, const char *name)
{
    luaL_checktype(L, -1, LUA_TTABLE);
    lua_newtable(L);
    lua_insert(L, -2);
    freeze_rec(L, lua_gettop(L) - 1, name);
    lua_remove(L, -2);
}

/* ---------------------------------------------------------------------------
 * Replacements for base functions
 * ------------------------------------------------------------------------- */

/* Whether the error at idx is the memory cap. Lua raises LUA_ERRMEM, but a
 * string buffer that cannot grow raises a plain error "not enough memory". */
static int memory_error(lua_State *L, quire_lua *q, int status, int idx)
{
    if (status == LUA_ERRMEM)
        return 1;
    return q->refused && lua_type(L, idx) == LUA_TSTRING &&
           strcmp(lua_tostring(L, idx), "not enough memory") == 0;
}

/* After a protected call inside the script: a tripped limit goes on up. */
static int finishpcall(lua_State *L, quire_lua *q, int status, int extra)
{
    if (status != LUA_OK && q->depth > 0 && !q->tripped && memory_error(L, q, status, -1))
        set_trip(q, TRIP_MEMORY, "");
    if (q->tripped)
        return raise_trip(L, q);
    if (status != LUA_OK) {
        lua_pushboolean(L, 0);
        lua_pushvalue(L, -2);
        return 2;
    }
    return lua_gettop(L) - extra;
}

static int sb_pcall(lua_State *L)
{
    quire_lua *q = getq(L);
    int status;

    luaL_checkany(L, 1);
    lua_pushboolean(L, 1); /* first result if no errors */
    lua_insert(L, 1);
    status = lua_pcall(L, lua_gettop(L) - 2, LUA_MULTRET, 0);
    return finishpcall(L, q, status, 0);
}

/* The script's message handler (upvalue 1), skipped once a limit has
 * tripped: the error then comes from the hook, and Lua runs a message handler
 * for it with hooks off, where a loop would never be stopped. */
static int sb_msgh(lua_State *L)
{
    if (getq(L)->tripped)
        return 1;
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, lua_gettop(L) - 1, 1);
    return 1;
}

static int sb_xpcall(lua_State *L)
{
    quire_lua *q = getq(L);
    int n = lua_gettop(L);
    int status;

    luaL_checktype(L, 2, LUA_TFUNCTION);
    lua_pushvalue(L, 2);
    lua_pushcclosure(L, sb_msgh, 1);
    lua_replace(L, 2);
    lua_pushboolean(L, 1);
    lua_pushvalue(L, 1);
    lua_rotate(L, 3, 2); /* f msgh true f args... */
    status = lua_pcall(L, n - 2, LUA_MULTRET, 2);
    return finishpcall(L, q, status, 2);
}

/* load(chunk [, chunkname]): text only, in the sandbox's environment. The
 * original load is upvalue 1. */
static int sb_load(lua_State *L)
{
    quire_lua *q = getq(L);
    size_t len;
    const char *s;

    if (!lua_isnoneornil(L, 4))
        return luaL_argerror(L, 4, "custom environments are not available in the sandbox");
    if (lua_type(L, 1) == LUA_TSTRING) {
        s = lua_tolstring(L, 1, &len);
        if (len > 0 && s[0] == LUA_SIGNATURE[0]) {
            lua_pushnil(L);
            lua_pushliteral(L, "binary chunks are not allowed (text only)");
            return 2;
        }
    }
    lua_settop(L, 2);
    lua_pushliteral(L, "t");
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 3, LUA_MULTRET); /* a reader function runs here, under the hook */
    if (!q->tripped && q->depth > 0 && lua_isnil(L, 1) && memory_error(L, q, LUA_ERRRUN, 2))
        set_trip(q, TRIP_MEMORY, "");
    if (q->tripped)
        return raise_trip(L, q);
    return lua_gettop(L);
}

/* setmetatable refuses __gc: a finalizer may run outside any call (when the
 * state is closed), where no limit applies. The original is upvalue 1. */
static int sb_setmetatable(lua_State *L)
{
    if (lua_type(L, 2) == LUA_TTABLE) {
        lua_pushliteral(L, "__gc");
        if (lua_rawget(L, 2) != LUA_TNIL)
            return luaL_argerror(L, 2, "__gc metamethods are not available in the sandbox");
        lua_pop(L, 1);
    }
    lua_settop(L, 2);
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, 2, 1);
    return 1;
}

/* luaL_tolstring without addresses: a table, function, thread or userdata
 * without __tostring shows as its __name (if a string) or its type name. */
static const char *safe_tolstring(lua_State *L, int idx)
{
    idx = lua_absindex(L, idx);
    switch (lua_type(L, idx)) {
    case LUA_TTABLE:
    case LUA_TFUNCTION:
    case LUA_TTHREAD:
    case LUA_TUSERDATA:
    case LUA_TLIGHTUSERDATA:
        if (luaL_getmetafield(L, idx, "__tostring") != LUA_TNIL) {
            lua_pop(L, 1);
            break;
        }
        switch (luaL_getmetafield(L, idx, "__name")) {
        case LUA_TSTRING:
            return lua_tostring(L, -1);
        case LUA_TNIL:
            break; /* nothing pushed */
        default:
            lua_pop(L, 1);
            break;
        }
        lua_pushstring(L, luaL_typename(L, idx));
        return lua_tostring(L, -1);
    default:
        break;
    }
    return luaL_tolstring(L, idx, NULL);
}

static int sb_tostring(lua_State *L)
{
    luaL_checkany(L, 1);
    safe_tolstring(L, 1);
    return 1;
}

/* string.format: %p (an address) is refused and %s shows no address. The
 * original is upvalue 1. The scan skips flags, width and precision as a
 * superset of what Lua accepts, so any format Lua accepts gets the same
 * conversions here. */
static int sb_format(lua_State *L)
{
    const char *f = luaL_checkstring(L, 1);
    int top = lua_gettop(L), arg = 1;

    while ((f = strchr(f, '%')) != NULL) {
        f++;
        if (*f == '%') {
            f++;
            continue;
        }
        f += strspn(f, "-+ #0123456789.");
        arg++;
        if (*f == 'p')
            return luaL_error(L, "bad conversion '%%p' to 'format' (addresses are not "
                                 "available in the sandbox)");
        if (*f == 's' && arg <= top) {
            safe_tolstring(L, arg);
            lua_replace(L, arg);
        }
        if (*f == '\0')
            break;
        f++;
    }
    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, top, 1);
    return 1;
}

/* print goes to stderr, so output files stay clean. What a script prints is
 * data, not terminal control: each line it prints starts with "lua: " (a
 * newline inside a value starts a new "lua: " line, so a script cannot forge
 * a line of Quire's own), other control bytes and DEL are shown as \xHH
 * (no escape sequences reach the terminal), and a call prints at most
 * PRINT_MAX bytes of its values, then "...". */
enum { PRINT_MAX = 4096 };

static int sb_print(lua_State *L)
{
    static const char hex[] = "0123456789abcdef";
    int n = lua_gettop(L);
    int i;
    size_t shown = 0;
    luaL_Buffer b;

    for (i = 1; i <= n; i++) { /* first, as the buffer wants the stack's top */
        safe_tolstring(L, i);
        lua_replace(L, i);
    }
    luaL_buffinit(L, &b);
    luaL_addstring(&b, "lua: ");
    for (i = 1; i <= n && shown < PRINT_MAX; i++) {
        size_t len, k;
        const char *s = lua_tolstring(L, i, &len);
        for (k = 0; k < len && shown < PRINT_MAX; k++, shown++) {
            unsigned char c = (unsigned char)s[k];
            if (c == '\n')
                luaL_addstring(&b, "\nlua: ");
            else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                char esc[4] = {'\\', 'x', hex[c >> 4], hex[c & 15]};
                luaL_addlstring(&b, esc, sizeof esc);
            } else
                luaL_addchar(&b, (char)c);
        }
        if (i < n)
            luaL_addchar(&b, '\t');
    }
    if (shown >= PRINT_MAX)
        luaL_addstring(&b, "...");
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    {
        size_t len;
        const char *s = lua_tolstring(L, -1, &len);
        fwrite(s, 1, len, stderr);
    }
    return 0;
}

/* ---------------------------------------------------------------------------
 * Library functions whose loops never return to the VM
 *
 * No hook runs inside a C loop over plain values, so each of these refuses
 * up front a range larger than the memory cap could hold (a table entry
 * takes at least 16 bytes) and then calls the original (upvalue 1).
 * ------------------------------------------------------------------------- */

lua_Integer qlua_max_entries(lua_State *L)
{
    return (lua_Integer)(getq(L)->lim.memory / 16);
}

static int too_many(lua_State *L, const char *fn, lua_Unsigned n)
{
    char cap[32];

    snprintf(cap, sizeof cap, "%g", mib(getq(L)->lim.memory));
    return luaL_error(L, "%s: a range of %I entries is more than the memory limit of %s MiB "
                         "can hold",
                      fn, (LUAI_UACINT)(n > (lua_Unsigned)LUA_MAXINTEGER ? LUA_MAXINTEGER
                                                                        : (lua_Integer)n),
                      cap);
}

static int call_original(lua_State *L, int nresults)
{
    int n = lua_gettop(L);

    lua_pushvalue(L, lua_upvalueindex(1));
    lua_insert(L, 1);
    lua_call(L, n, nresults);
    return nresults == LUA_MULTRET ? lua_gettop(L) : nresults;
}

/* string.rep(s, n [, sep]): an empty s and sep give "" at once (the
 * original loops n times); a result larger than the memory cap is refused
 * before anything is copied. */
static int sb_rep(lua_State *L)
{
    size_t l, lsep, cap = getq(L)->lim.memory;
    lua_Integer n;

    luaL_checklstring(L, 1, &l);
    n = luaL_checkinteger(L, 2);
    luaL_optlstring(L, 3, "", &lsep);
    if (n <= 0 || l + lsep == 0) {
        lua_pushliteral(L, "");
        return 1;
    }
    if (l + lsep < l || l + lsep > cap / (lua_Unsigned)n) {
        quire_lua *q = getq(L);
        if (q->depth > 0) {
            q->refused = 1; /* as if the cap had refused the allocation */
            set_trip(q, TRIP_MEMORY, "");
            return raise_trip(L, q);
        }
        return luaL_error(L, "not enough memory");
    }
    return call_original(L, 1);
}

/* table.move(a1, f, e, t [, a2]) */
static int sb_move(lua_State *L)
{
    lua_Integer f = luaL_checkinteger(L, 2), e = luaL_checkinteger(L, 3);

    if (e >= f && (lua_Unsigned)e - (lua_Unsigned)f >= (lua_Unsigned)qlua_max_entries(L))
        return too_many(L, "table.move", (lua_Unsigned)e - (lua_Unsigned)f + 1u);
    return call_original(L, 1);
}

/* The length of table argument 1 as the table library reads it (#t,
 * honouring __len), or -1 when it is not a table. */
static lua_Integer tlen(lua_State *L)
{
    lua_Integer n;

    if (lua_type(L, 1) != LUA_TTABLE)
        return -1;
    n = luaL_len(L, 1);
    return n;
}

/* table.insert(t, pos, v) shifts t[pos..#t] up */
static int sb_insert(lua_State *L)
{
    lua_Integer n, pos;
    int isnum;

    if (lua_gettop(L) == 3 && (n = tlen(L)) > 0) {
        pos = lua_tointegerx(L, 2, &isnum);
        if (isnum && pos >= 1 && pos <= n &&
            (lua_Unsigned)n - (lua_Unsigned)pos >= (lua_Unsigned)qlua_max_entries(L))
            return too_many(L, "table.insert", (lua_Unsigned)n - (lua_Unsigned)pos + 1u);
    }
    return call_original(L, 0);
}

/* table.remove(t, pos) shifts t[pos+1..#t] down */
static int sb_remove(lua_State *L)
{
    lua_Integer n, pos;
    int isnum;

    if (lua_gettop(L) >= 2 && (n = tlen(L)) > 0) {
        pos = lua_tointegerx(L, 2, &isnum);
        if (isnum && pos >= 1 && pos <= n &&
            (lua_Unsigned)n - (lua_Unsigned)pos >= (lua_Unsigned)qlua_max_entries(L))
            return too_many(L, "table.remove", (lua_Unsigned)n - (lua_Unsigned)pos + 1u);
    }
    return call_original(L, 1);
}

/* table.concat(t [, sep [, i [, j]]]) */
static int sb_concat(lua_State *L)
{
    lua_Integer i, j;

    if (lua_type(L, 1) == LUA_TTABLE) {
        i = luaL_optinteger(L, 3, 1);
        j = lua_isnoneornil(L, 4) ? luaL_len(L, 1) : luaL_checkinteger(L, 4);
        if (j >= i && (lua_Unsigned)j - (lua_Unsigned)i >= (lua_Unsigned)qlua_max_entries(L))
            return too_many(L, "table.concat", (lua_Unsigned)j - (lua_Unsigned)i + 1u);
    }
    return call_original(L, 1);
}

/* The pattern matcher's meter (pattern.h): its steps are charged like
 * instructions, a tick per HOOK_COUNT, against the call's budget and
 * deadline, and a watchdog that fired for the call stops it at once. Outside
 * qlua_call nothing is counted, as for Lua code. */
static void pattern_charge(lua_State *L, unsigned long steps)
{
    quire_lua *q = getq(L);
    unsigned long fired = atomic_load_explicit(&q->fired, memory_order_relaxed), n;
    int kind = TRIP_NONE;
    char where[160];
    lua_Debug ar;

    if (q->depth == 0)
        return;
    if (q->tripped)
        raise_trip(L, q);
    if (fired && fired == atomic_load_explicit(&q->seq, memory_order_relaxed))
        kind = TRIP_TIME;
    for (n = steps / HOOK_COUNT; n && kind == TRIP_NONE; n--)
        kind = tick(q);
    if (kind == TRIP_NONE)
        return;
    where[0] = '\0';
    for (n = 1; n < 8 && lua_getstack(L, (int)n, &ar); n++) /* the nearest Lua caller */
        if (lua_getinfo(L, "Sl", &ar) && ar.currentline > 0) {
            snprintf(where, sizeof where, "%s:%d: ", ar.short_src, ar.currentline);
            break;
        }
    set_trip(q, kind, where);
    raise_trip(L, q);
}

static const pattern_meter meter = {pattern_charge};

/* Replace field name of the table on top of the stack by f, the original
 * as its upvalue. */
static void wrap_field(lua_State *L, const char *name, lua_CFunction f)
{
    lua_getfield(L, -1, name);
    lua_pushcclosure(L, f, 1);
    lua_setfield(L, -2, name);
}

/* ---------------------------------------------------------------------------
 * The state
 * ------------------------------------------------------------------------- */

static lua_Integer seed_integer(unsigned long long s)
{
    if (s <= (unsigned long long)LUA_MAXINTEGER)
        return (lua_Integer)s;
    return -(lua_Integer)~s - 1; /* the same bits, without overflow */
}

static void unset(lua_State *L, int table, const char *name)
{
    table = lua_absindex(L, table);
    lua_pushnil(L);
    lua_setfield(L, table, name);
}

/* Replace global name with f, the original as its upvalue (if keep). */
static void wrap(lua_State *L, const char *name, lua_CFunction f, int keep)
{
    if (keep) {
        lua_getglobal(L, name);
        lua_pushcclosure(L, f, 1);
    } else {
        lua_pushcfunction(L, f);
    }
    lua_setglobal(L, name);
}

/* Set global name to a new table holding the fields of the table on top of
 * the stack listed in keep (NULL-terminated); pops that table. */
static void subset(lua_State *L, const char *name, const char *const *keep)
{
    lua_newtable(L);
    for (; *keep; keep++) {
        lua_getfield(L, -2, *keep);
        lua_setfield(L, -2, *keep);
    }
    lua_setglobal(L, name);
    lua_pop(L, 1);
}

/* Make the string metatable's fields unreachable: getmetatable("") gives a
 * read-only copy whose __index is the read-only string table. The real
 * metatable keeps the real string table as __index (one lookup less per
 * method call); scripts cannot reach it. */
static void hide_string_metatable(lua_State *L)
{
    lua_pushliteral(L, "");
    if (!lua_getmetatable(L, -1)) {
        lua_pop(L, 1);
        return;
    }
    lua_newtable(L); /* "" mt copy */
    lua_pushnil(L);
    while (lua_next(L, -3)) {
        lua_pushvalue(L, -2);
        lua_insert(L, -2);
        lua_rawset(L, -4);
    }
    lua_getglobal(L, LUA_STRLIBNAME);
    lua_setfield(L, -2, "__index");
    freeze(L, "string metatable");
    lua_setfield(L, -2, "__metatable");
    lua_pop(L, 2);
}

/* Open and trim the libraries; run in protected mode (arg 1: q). */
static int setup(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},         {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},   {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},
    };
    static const char *const os_keep[] = {"date", "time", "clock", NULL};
    static const char *const frozen[] = {
        LUA_STRLIBNAME, LUA_TABLIBNAME, LUA_MATHLIBNAME, LUA_UTF8LIBNAME, LUA_OSLIBNAME,
    };
    quire_lua *q = lua_touserdata(L, 1);
    size_t i;

    for (i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    /* os: the date helpers only (not registered as a loaded module) */
    lua_pushcfunction(L, luaopen_os);
    lua_call(L, 0, 1);
    subset(L, LUA_OSLIBNAME, os_keep);

    lua_pushglobaltable(L);
    unset(L, -1, "dofile");
    unset(L, -1, "loadfile");
    unset(L, -1, "collectgarbage");
    lua_pop(L, 1);
    wrap(L, "print", sb_print, 0);
    wrap(L, "tostring", sb_tostring, 0);
    wrap(L, "pcall", sb_pcall, 0);
    wrap(L, "xpcall", sb_xpcall, 0);
    wrap(L, "load", sb_load, 1);
    wrap(L, "setmetatable", sb_setmetatable, 1);
    wrap(L, "rawset", sb_rawset, 0);
    wrap(L, "rawget", sb_rawget, 0);
    wrap(L, "rawlen", sb_rawlen, 0);
    wrap(L, "next", sb_next, 0);

    lua_getglobal(L, LUA_STRLIBNAME);
    unset(L, -1, "dump");
    lua_getfield(L, -1, "format");
    lua_pushcclosure(L, sb_format, 1);
    lua_setfield(L, -2, "format");
    wrap_field(L, "rep", sb_rep);
    pattern_install(L, -1, &meter);
    lua_pop(L, 1);

    lua_getglobal(L, LUA_TABLIBNAME);
    wrap_field(L, "move", sb_move);
    wrap_field(L, "insert", sb_insert);
    wrap_field(L, "remove", sb_remove);
    wrap_field(L, "concat", sb_concat);
    lua_pop(L, 1);

    lua_getglobal(L, LUA_MATHLIBNAME);
    lua_getfield(L, -1, "randomseed");
    lua_pushinteger(L, seed_integer(q->lim.seed));
    lua_call(L, 1, 0);
    unset(L, -1, "randomseed");
    lua_pop(L, 1);

    for (i = 0; i < sizeof frozen / sizeof frozen[0]; i++) {
        lua_getglobal(L, frozen[i]);
        freeze(L, frozen[i]);
        lua_setglobal(L, frozen[i]);
    }
    hide_string_metatable(L);
    return 0;
}

/* The message handler: note a short traceback of the Lua frames in q->tb
 * (without allocating, so it works at the memory cap) and return the error
 * object unchanged. */
static int msgh(lua_State *L)
{
    quire_lua *q = getq(L);
    lua_Debug ar;
    int level, frames = 0;
    size_t len = 0, room = sizeof q->tb;
    int n;

    q->tb[0] = '\0';
    for (level = 1; lua_getstack(L, level, &ar); level++) {
        if (!lua_getinfo(L, "Sln", &ar) || ar.currentline <= 0)
            continue; /* a C function */
        if (frames == TB_FRAMES) {
            n = snprintf(q->tb + len, room - len, "\n  ...");
        } else if (*ar.namewhat) {
            n = snprintf(q->tb + len, room - len, "\n  %s:%d: in %s '%s'", ar.short_src,
                         ar.currentline, ar.namewhat, ar.name);
        } else if (*ar.what == 'm') {
            n = snprintf(q->tb + len, room - len, "\n  %s:%d: in main chunk", ar.short_src,
                         ar.currentline);
        } else {
            n = snprintf(q->tb + len, room - len, "\n  %s:%d: in function <%s:%d>",
                         ar.short_src, ar.currentline, ar.short_src, ar.linedefined);
        }
        if (n < 0 || (size_t)n >= room - len) {
            q->tb[len] = '\0'; /* drop a frame that does not fit */
            break;
        }
        len += (size_t)n;
        if (frames++ == TB_FRAMES)
            break;
    }
    q->tb_len = (int)len;
    lua_settop(L, 1);
    return 1;
}

/* Text from Lua for a message: control bytes other than newline and tab
 * become \xNN, so a script cannot send escape sequences to the terminal.
 * Always ends dst with a NUL; returns dst. */
char *qlua_escape(char *dst, size_t size, const char *src)
{
    static const char hex[] = "0123456789abcdef";
    size_t n = 0;

    if (!size)
        return dst;
    for (; *src && n + 1 < size; src++) {
        unsigned char c = (unsigned char)*src;
        if ((c < 0x20 && c != '\n' && c != '\t') || c == 0x7f) {
            if (n + 5 > size)
                break;
            dst[n++] = '\\';
            dst[n++] = 'x';
            dst[n++] = hex[c >> 4];
            dst[n++] = hex[c & 15];
        } else {
            dst[n++] = (char)c;
        }
    }
    dst[n] = '\0';
    return dst;
}

/* An error outside any protected call (host work on the state that ran out
 * of memory, say). Lua has already reset the state's stack. Jump to the
 * recovery point the host set, if any; else say what happened and exit with
 * the status of a failed script, never abort without a word. */
static int on_panic(lua_State *L)
{
    quire_lua *q = getq(L);
    char msg[256];

    if (q->refused || lua_type(L, -1) != LUA_TSTRING)
        snprintf(msg, sizeof msg, "memory limit of %g MiB exceeded", mib(q->lim.memory));
    else
        qlua_escape(msg, sizeof msg, lua_tostring(L, -1));
    snprintf(q->panic_msg, sizeof q->panic_msg, "%s", msg);
    q->depth = 0;
    q->tripped = TRIP_NONE;
    if (q->recover)
        longjmp(*q->recover, 1);
    {
        quire_error e = {0};
        char line[512];

        quire_err_at(&e, QUIRE_EXIT_DATA, "quire", 0, 0,
                     "Lua failed outside a protected call: %s", msg);
        quire_err_format(&e, line, sizeof line);
        fprintf(stderr, "%s\n", line);
    }
    fflush(NULL);
    _exit(QUIRE_EXIT_DATA);
    return 0;
}

jmp_buf *qlua_recover_at(quire_lua *q, jmp_buf *jb)
{
    jmp_buf *was = q->recover;

    q->recover = jb;
    return was;
}

int qlua_recovered(quire_lua *q, const char *what, quire_error *err)
{
    lua_State *L = q->L;

    q->recover = NULL;
    lua_settop(L, 0);
    lua_pushcfunction(L, msgh); /* back at index 1 */
    if (q->fired || q->armed)
        restore_hook(q);
    return quire_err(err, QUIRE_EXIT_DATA, "%s%s%s", what ? what : "", what ? ": " : "",
                     q->panic_msg);
}

int qlua_guarded(quire_lua *q, int (*fn)(void *), void *arg, const char *what,
                 quire_error *err)
{
    jmp_buf jb;
    jmp_buf *volatile was = NULL;
    int rc;

    if (setjmp(jb)) {
        rc = qlua_recovered(q, what, err);
        q->recover = was;
        return rc;
    }
    was = qlua_recover_at(q, &jb);
    rc = fn(arg);
    q->recover = was;
    return rc;
}

quire_lua *qlua_new(const quire_lua_limits *l, quire_error *err)
{
    quire_lua *q = calloc(1, sizeof *q);
    lua_State *L;
    int count;

    if (!q) {
        quire_err(err, QUIRE_EXIT_DATA, "cannot create the Lua state: out of memory");
        return NULL;
    }
    effective(&q->lim, l);
    q->L = L = lua_newstate(qalloc, q);
    if (!L) {
        /* the cap refused, or the system had no memory to give */
        if (q->refused)
            quire_err(err, QUIRE_EXIT_DATA,
                      "cannot create the Lua state: memory limit of %g MiB is too small",
                      mib(q->lim.memory));
        else
            quire_err(err, QUIRE_EXIT_DATA, "cannot create the Lua state: out of memory");
        free(q);
        return NULL;
    }
    *(quire_lua **)lua_getextraspace(L) = q;
    lua_pushcfunction(L, setup);
    lua_pushlightuserdata(L, q);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        if (q->refused)
            quire_err(err, QUIRE_EXIT_DATA,
                      "cannot set up the Lua state: memory limit of %g MiB is too small",
                      mib(q->lim.memory));
        else
            quire_err(err, QUIRE_EXIT_DATA, "cannot set up the Lua state: out of memory");
        lua_close(L);
        free(q);
        return NULL;
    }
    count = q->lim.instructions < HOOK_COUNT ? (int)q->lim.instructions : HOOK_COUNT;
    /* Charging a whole count per tick over-counts the call's first tick by
     * less than a count, so trip one tick late: at least the budget has then
     * run, at most two counts more. */
    q->tick_limit = (q->lim.instructions + (unsigned long)count - 1) / (unsigned long)count + 1;
    q->limit_ns = (long long)(q->lim.seconds * 1e9);
    q->hook_count = count;
    q->always_count = q->lim.instructions <= EXACT_BUDGET;
    if (q->always_count)
        lua_sethook(L, hook, LUA_MASKCOUNT, count);
    lua_atpanic(L, on_panic);
    if (watchdog_start(q)) {
        quire_err(err, QUIRE_EXIT_DATA, "cannot create the Lua state: cannot start its watchdog "
                                        "thread");
        lua_close(L);
        free(q);
        return NULL;
    }
    lua_pushcfunction(L, msgh); /* stays at index 1 for qlua_call */
    return q;
}

void qlua_free(quire_lua *q)
{
    if (!q)
        return;
    watchdog_stop(q);
    lua_close(q->L);
    free(q);
}

lua_State *qlua_state(quire_lua *q)
{
    return q->L;
}

const quire_lua_limits *qlua_limits(const quire_lua *q)
{
    return &q->lim;
}

/* ---------------------------------------------------------------------------
 * Calls
 * ------------------------------------------------------------------------- */

/* An outermost call starts or ends: the watchdog sees seq odd while one
 * runs (plain loads and stores: this thread is seq's only writer). */
static inline void seq_step(quire_lua *q)
{
    atomic_store_explicit(&q->seq, atomic_load_explicit(&q->seq, memory_order_relaxed) + 1,
                          memory_order_release);
}

static inline void call_begin(quire_lua *q)
{
    if (q->depth++ == 0) {
        q->ticks = 0;
        q->tripped = TRIP_NONE;
        q->refused = 0;
        seq_step(q);
    }
}

static inline void call_end(quire_lua *q)
{
    if (--q->depth == 0) {
        seq_step(q);
        if (atomic_load_explicit(&q->armed, memory_order_relaxed) |
            atomic_load_explicit(&q->fired, memory_order_relaxed))
            restore_hook(q);
    }
}

/* The hot path. Sets *base to the index of the first result (or of the error
 * object). */
static inline int call(quire_lua *q, int nargs, int nresults, int *base)
{
    lua_State *L = q->L;
    int f = lua_gettop(L) - nargs;
    int status;

    if (f > 1 && lua_tocfunction(L, 1) == msgh) {
        call_begin(q);
        status = lua_pcall(L, nargs, nresults, 1);
        call_end(q);
        *base = f;
        return status;
    }
    /* Index 1 was cleared, or this is a call from inside a C function that
     * Lua called: put a handler below the function for this call. (Pushing
     * a C function allocates nothing.) */
    lua_pushcfunction(L, msgh);
    lua_insert(L, f);
    call_begin(q);
    status = lua_pcall(L, nargs, nresults, f);
    call_end(q);
    lua_remove(L, f);
    *base = f;
    return status;
}

/* The error path: fill err, drop the error object (or the results of a call
 * whose trip was swallowed), and clear the trip if this was the outermost
 * call. Allocates nothing in the state. */
static int fail(quire_lua *q, int status, int base, const char *what, quire_error *err)
{
    lua_State *L = q->L;
    const char *msg;
    char num[64];
    int tripped;

    if (!q->tripped && status != LUA_OK && memory_error(L, q, status, base))
        set_trip(q, TRIP_MEMORY, "");
    tripped = q->tripped;
    if (tripped) {
        msg = q->trip;
    } else {
        switch (lua_type(L, base)) {
        case LUA_TSTRING:
            msg = lua_tostring(L, base);
            break;
        case LUA_TNUMBER:
            if (lua_isinteger(L, base))
                snprintf(num, sizeof num, LUA_INTEGER_FMT, lua_tointeger(L, base));
            else
                snprintf(num, sizeof num, "%.14g", (double)lua_tonumber(L, base));
            msg = num;
            break;
        case LUA_TNIL:
            msg = "nil";
            break;
        default:
            snprintf(num, sizeof num, "(error object is a %s value)", luaL_typename(L, base));
            msg = num;
            break;
        }
    }
    {
        char emsg[900], etb[sizeof q->tb];
        quire_err(err, QUIRE_EXIT_DATA, "%s%s%s%s", what ? what : "", what ? ": " : "",
                  qlua_escape(emsg, sizeof emsg, msg),
                  status != LUA_OK ? qlua_escape(etb, sizeof etb, q->tb) : "");
    }
    q->tb[0] = '\0';
    q->tb_len = 0;
    lua_settop(L, base - 1);
    if (q->depth == 0) {
        q->tripped = TRIP_NONE;
        if (tripped == TRIP_MEMORY)
            lua_gc(L, LUA_GCCOLLECT); /* room for the next call; no finalizers run */
    }
    return -1;
}

int qlua_call(quire_lua *q, int nargs, int nresults, const char *what, quire_error *err)
{
    int base;
    int status = call(q, nargs, nresults, &base);

    if (status == LUA_OK && !q->tripped)
        return 0;
    return fail(q, status, base, what, err);
}

int qlua_callf(quire_lua *q, int nargs, int nresults, quire_error *err, const char *fmt, ...)
{
    int base;
    int status = call(q, nargs, nresults, &base);
    char what[256];
    va_list ap;

    if (status == LUA_OK && !q->tripped)
        return 0;
    va_start(ap, fmt);
    vsnprintf(what, sizeof what, fmt, ap);
    va_end(ap);
    return fail(q, status, base, what, err);
}

void qlua_next_call(lua_State *L)
{
    quire_lua *q = getq(L);

    if (q->depth != 1)
        return;
    if (q->tripped)
        raise_trip(L, q); /* never reached with a limit tripped; keep it so */
    call_end(q);
    call_begin(q);
}

/* ---------------------------------------------------------------------------
 * Loading
 * ------------------------------------------------------------------------- */

/* The name to show for a chunk name, as Lua shows it. */
static const char *shown(const char *chunkname)
{
    if (*chunkname == '@' || *chunkname == '=')
        return chunkname + 1;
    return "[string]";
}

/* Load code as text; push the chunk, or return -1 with err filled. */
static int load_text(quire_lua *q, const char *code, size_t len, const char *chunkname,
                     quire_error *err)
{
    lua_State *L = q->L;
    int status;

    if (len > 0 && code[0] == LUA_SIGNATURE[0])
        return quire_err(err, QUIRE_EXIT_DATA,
                         "%s: binary chunk refused: scripts are loaded as text only",
                         shown(chunkname));
    status = luaL_loadbufferx(L, code, len, chunkname, "t");
    if (status != LUA_OK) {
        if (status == LUA_ERRMEM)
            quire_err(err, QUIRE_EXIT_DATA, "%s: memory limit of %g MiB exceeded",
                      shown(chunkname), mib(q->lim.memory));
        else {
            char emsg[900];
            quire_err(err, QUIRE_EXIT_DATA, "%s",
                      qlua_escape(emsg, sizeof emsg, lua_tostring(L, -1)));
        }
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

static int load_run(quire_lua *q, const char *code, size_t len, const char *chunkname,
                    int nresults, quire_error *err)
{
    if (load_text(q, code, len, chunkname, err))
        return -1;
    return qlua_call(q, 0, nresults, NULL, err);
}

int qlua_dostring(quire_lua *q, const char *code, const char *name, int nresults,
                  quire_error *err)
{
    return load_run(q, code, strlen(code), name ? name : "=[string]", nresults, err);
}

/* Read path whole, refusing a file larger than the state may hold. */
static char *slurp(const char *path, size_t max, size_t *len, quire_error *err)
{
    FILE *f = fopen(path, "rb");
    char *buf = NULL, *p;
    size_t cap = 0, n = 0, got;

    if (!f) {
        quire_err(err, QUIRE_EXIT_DATA, "%s: cannot open: %s", path, strerror(errno));
        return NULL;
    }
    for (;;) {
        if (n == cap) {
            if (cap >= max) {
                quire_err(err, QUIRE_EXIT_DATA, "%s: larger than the memory limit of %g MiB",
                          path, mib(max));
                goto fail;
            }
            cap = cap ? cap * 2 : 8192;
            if (cap > max)
                cap = max;
            p = realloc(buf, cap);
            if (!p) {
                quire_err(err, QUIRE_EXIT_DATA, "%s: out of memory", path);
                goto fail;
            }
            buf = p;
        }
        got = fread(buf + n, 1, cap - n, f);
        n += got;
        if (got == 0)
            break;
    }
    if (ferror(f)) {
        quire_err(err, QUIRE_EXIT_DATA, "%s: cannot read: %s", path, strerror(errno));
        goto fail;
    }
    fclose(f);
    *len = n;
    return buf;
fail:
    free(buf);
    fclose(f);
    return NULL;
}

/* Load path (text only) and, with run, run it for nresults. */
static int load_file(quire_lua *q, const char *path, int run, int nresults, quire_error *err)
{
    size_t len, plen = strlen(path);
    char *buf, *chunkname;
    const char *code;
    int rc;

    buf = slurp(path, q->lim.memory, &len, err);
    if (!buf)
        return -1;
    chunkname = malloc(plen + 2);
    if (!chunkname) {
        free(buf);
        return quire_err(err, QUIRE_EXIT_DATA, "%s: out of memory", path);
    }
    chunkname[0] = '@';
    memcpy(chunkname + 1, path, plen + 1);
    code = buf;
    /* Like lua's own loader: skip a UTF-8 BOM and a first line starting with
     * '#', keeping its newline so line numbers hold. */
    if (len >= 3 && memcmp(code, "\xEF\xBB\xBF", 3) == 0) {
        code += 3;
        len -= 3;
    }
    if (len > 0 && code[0] == '#') {
        while (len > 0 && code[0] != '\n') {
            code++;
            len--;
        }
    }
    rc = run ? load_run(q, code, len, chunkname, nresults, err)
             : load_text(q, code, len, chunkname, err);
    free(chunkname);
    free(buf);
    return rc;
}

int qlua_dofunction(quire_lua *q, const char *path, const char *must, quire_error *err)
{
    lua_State *L = q->L;

    if (qlua_dofile(q, path, 1, err))
        return -1;
    if (!lua_isfunction(L, -1)) {
        quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "%s, not a %s", must,
                     luaL_typename(L, -1));
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

int qlua_dofile(quire_lua *q, const char *path, int nresults, quire_error *err)
{
    return load_file(q, path, 1, nresults, err);
}

int qlua_loadfile(quire_lua *q, const char *path, quire_error *err)
{
    return load_file(q, path, 0, 0, err);
}

/* ---------------------------------------------------------------------------
 * Modules
 * ------------------------------------------------------------------------- */

/* Protected part of qlua_register (args: fns, name). */
static int reg(lua_State *L)
{
    const luaL_Reg *fns = lua_touserdata(L, 1);
    const char *name = lua_touserdata(L, 2);

    lua_newtable(L);
    luaL_setfuncs(L, fns, 0);
    freeze(L, name);
    lua_setglobal(L, name);
    return 0;
}

int qlua_register(quire_lua *q, const char *name, const luaL_Reg *fns)
{
    lua_State *L = q->L;

    lua_pushcfunction(L, reg);
    lua_pushlightuserdata(L, (void *)fns);
    lua_pushlightuserdata(L, (void *)name);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}

/* Protected part of qlua_set_global (args: table, name). */
static int set_global(lua_State *L)
{
    const char *name = lua_touserdata(L, 2);

    lua_settop(L, 1);
    freeze(L, name);
    lua_setglobal(L, name);
    return 0;
}

int qlua_set_global(quire_lua *q, const char *name)
{
    lua_State *L = q->L;

    lua_pushcfunction(L, set_global);
    lua_insert(L, -2);
    lua_pushlightuserdata(L, (void *)name);
    if (lua_pcall(L, 2, 0, 0) != LUA_OK) {
        lua_pop(L, 1);
        return -1;
    }
    return 0;
}
