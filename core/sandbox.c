/*
 * sandbox.c - a Lua 5.4 state with a memory cap, an instruction budget and a
 * wall-clock deadline, and a standard library cut down to what rules need.
 *
 * Hot path: qlua_call runs once per customer per month. It allocates nothing,
 * formats nothing and reads no clock; the message handler stays at stack
 * index 1. The limits cost one count hook every HOOK_COUNT instructions; the
 * hook reads the clock at a call's first tick (the call's start, to within
 * HOOK_COUNT instructions) and then every CLOCK_EVERY ticks.
 */
#include "sandbox.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <lualib.h>

/* Instructions between two calls of the hook. Lua 5.4 pays a check on every
 * instruction as soon as any count hook is set, whatever the count, so a
 * larger count saves little; 1000 keeps a runaway loop's overshoot tiny. */
#define HOOK_COUNT 1000
/* Ticks between two clock reads in the hook (a power of two). */
#define CLOCK_EVERY 4
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
    long long t0;             /* ns, monotonic, at the call's first tick */
    long long limit_ns;       /* the deadline, relative to t0 */
    int tb_len;               /* bytes in tb; 0 = no traceback */
    char trip[256];           /* "src:line: instruction budget of N exceeded..." */
    char tb[512];             /* "\n  src:line: in function 'f'..." */
};

static quire_lua *getq(lua_State *L)
{
    return *(quire_lua **)lua_getextraspace(L);
}

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

static long long now_ns(void)
{
    struct timespec ts;

#ifdef CLOCK_MONOTONIC_COARSE
    clock_gettime(CLOCK_MONOTONIC_COARSE, &ts);
#else
    clock_gettime(CLOCK_MONOTONIC, &ts);
#endif
    return (long long)ts.tv_sec * 1000000000LL + ts.tv_nsec;
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
        snprintf(q->trip, sizeof q->trip, "%smemory limit of %g MiB exceeded", where,
                 mib(q->lim.memory));
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

/* The count hook: budget and deadline. Once a limit is tripped, every tick
 * raises again, so no handler the script sets up can keep it running. */
static void hook(lua_State *L, lua_Debug *ar)
{
    quire_lua *q = getq(L);
    int kind = TRIP_NONE;
    char where[160];

    if (q->depth == 0)
        return;
    if (q->tripped)
        raise_trip(L, q);
    q->ticks++;
    if (q->ticks >= q->tick_limit)
        kind = TRIP_BUDGET;
    else if (q->ticks == 1)
        q->t0 = now_ns();
    else if ((q->ticks & (CLOCK_EVERY - 1)) == 0 && now_ns() - q->t0 > q->limit_ns)
        kind = TRIP_TIME;
    if (kind == TRIP_NONE)
        return;
    where[0] = '\0';
    if (lua_getinfo(L, "Sl", ar) && ar->currentline > 0)
        snprintf(where, sizeof where, "%s:%d: ", ar->short_src, ar->currentline);
    set_trip(q, kind, where);
    raise_trip(L, q);
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

/* print goes to stderr, one write per line, so output files stay clean. */
static int sb_print(lua_State *L)
{
    int n = lua_gettop(L);
    int i;
    size_t len;
    const char *s;
    luaL_Buffer b;

    luaL_buffinit(L, &b);
    luaL_addstring(&b, "lua: ");
    for (i = 1; i <= n; i++) {
        luaL_tolstring(L, i, NULL);
        luaL_addvalue(&b);
        if (i < n)
            luaL_addchar(&b, '\t');
    }
    luaL_addchar(&b, '\n');
    luaL_pushresult(&b);
    s = lua_tolstring(L, -1, &len);
    fwrite(s, 1, len, stderr);
    return 0;
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

/* Open and trim the libraries; run in protected mode (arg 1: q). */
static int setup(lua_State *L)
{
    static const luaL_Reg libs[] = {
        {LUA_GNAME, luaopen_base},         {LUA_STRLIBNAME, luaopen_string},
        {LUA_TABLIBNAME, luaopen_table},   {LUA_MATHLIBNAME, luaopen_math},
        {LUA_UTF8LIBNAME, luaopen_utf8},
    };
    quire_lua *q = lua_touserdata(L, 1);
    size_t i;

    for (i = 0; i < sizeof libs / sizeof libs[0]; i++) {
        luaL_requiref(L, libs[i].name, libs[i].func, 1);
        lua_pop(L, 1);
    }
    lua_pushglobaltable(L);
    unset(L, -1, "dofile");
    unset(L, -1, "loadfile");
    unset(L, -1, "collectgarbage");
    lua_pop(L, 1);
    wrap(L, "print", sb_print, 0);
    wrap(L, "pcall", sb_pcall, 0);
    wrap(L, "xpcall", sb_xpcall, 0);
    wrap(L, "load", sb_load, 1);
    wrap(L, "setmetatable", sb_setmetatable, 1);

    lua_getglobal(L, LUA_STRLIBNAME);
    unset(L, -1, "dump");
    lua_pop(L, 1);

    lua_getglobal(L, LUA_MATHLIBNAME);
    lua_getfield(L, -1, "randomseed");
    lua_pushinteger(L, seed_integer(q->lim.seed));
    lua_call(L, 1, 0);
    unset(L, -1, "randomseed");
    lua_pop(L, 1);
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
        quire_err(err, QUIRE_EXIT_DATA,
                  "cannot create the Lua state: memory limit of %g MiB is too small",
                  mib(q->lim.memory));
        free(q);
        return NULL;
    }
    *(quire_lua **)lua_getextraspace(L) = q;
    lua_pushcfunction(L, setup);
    lua_pushlightuserdata(L, q);
    if (lua_pcall(L, 1, 0, 0) != LUA_OK) {
        quire_err(err, QUIRE_EXIT_DATA,
                  "cannot set up the Lua state: memory limit of %g MiB is too small",
                  mib(q->lim.memory));
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
    lua_sethook(L, hook, LUA_MASKCOUNT, count);
    lua_pushcfunction(L, msgh); /* stays at index 1 for qlua_call */
    return q;
}

void qlua_free(quire_lua *q)
{
    if (!q)
        return;
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

/* The hot path. Sets *base to the index of the first result (or of the error
 * object). */
static inline int call(quire_lua *q, int nargs, int nresults, int *base)
{
    lua_State *L = q->L;
    int f = lua_gettop(L) - nargs;
    int status;

    if (f > 1 && lua_tocfunction(L, 1) == msgh) {
        if (q->depth++ == 0) {
            q->ticks = 0;
            q->tripped = TRIP_NONE;
            q->refused = 0;
        }
        status = lua_pcall(L, nargs, nresults, 1);
        q->depth--;
        *base = f;
        return status;
    }
    /* Index 1 was cleared, or this is a call from inside a C function that
     * Lua called: put a handler below the function for this call. */
    lua_pushcfunction(L, msgh);
    lua_insert(L, f);
    if (q->depth++ == 0) {
        q->ticks = 0;
        q->tripped = TRIP_NONE;
        q->refused = 0;
    }
    status = lua_pcall(L, nargs, nresults, f);
    q->depth--;
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
    quire_err(err, QUIRE_EXIT_DATA, "%s%s%s%s", what ? what : "", what ? ": " : "", msg,
              status != LUA_OK ? q->tb : "");
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

static int load_run(quire_lua *q, const char *code, size_t len, const char *chunkname,
                    int nresults, quire_error *err)
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
        else
            quire_err(err, QUIRE_EXIT_DATA, "%s", lua_tostring(L, -1));
        lua_pop(L, 1);
        return -1;
    }
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

int qlua_dofile(quire_lua *q, const char *path, int nresults, quire_error *err)
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
    rc = load_run(q, code, len, chunkname, nresults, err);
    free(chunkname);
    free(buf);
    return rc;
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
