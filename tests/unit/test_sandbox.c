/* test_sandbox.c - the Lua sandbox: libraries, loading, limits, errors. */
#include "sandbox.h"
#include "model.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"

#include <lualib.h>

static const char rule_src[] =
    "return function(recency, frequency, monetary)\n"
    "  if recency > 365 then return 'lost' end\n"
    "  if frequency >= 10 and monetary >= 1000 then return 'vip' end\n"
    "  if frequency >= 5 then return 'loyal' end\n"
    "  if recency > 90 then return 'at_risk' end\n"
    "  if frequency == 1 then return 'new' end\n"
    "  return 'regular'\n"
    "end\n";

static double now(void)
{
    struct timespec ts;

    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

/* Write text to a new temporary file; returns its path (static storage). */
static const char *write_temp(const char *text, size_t len)
{
    static char path[64];
    int fd;

    check_template(path, sizeof path, "/tmp/quire_sandbox_");
    fd = mkstemp(path);
    if (fd < 0)
        return NULL;
    if (write(fd, text, len) != (ssize_t)len) {
        close(fd);
        return NULL;
    }
    close(fd);
    return path;
}

static quire_lua *make(size_t memory, unsigned long instructions, double seconds,
                       unsigned long long seed)
{
    quire_lua_limits l;
    quire_error err = {0};
    quire_lua *q;

    qlua_limits_default(&l);
    if (memory)
        l.memory = memory;
    if (instructions)
        l.instructions = instructions;
    if (seconds > 0)
        l.seconds = seconds;
    l.seed = seed;
    q = qlua_new(&l, &err);
    if (!q)
        fprintf(stderr, "qlua_new: %s\n", err.msg);
    return q;
}

/* Define a global function from code ("function NAME(...) ... end"). */
static int define(quire_lua *q, const char *code)
{
    quire_error err = {0};
    int rc = qlua_dostring(q, code, "@test.lua", 0, &err);

    if (rc)
        fprintf(stderr, "define: %s\n", err.msg);
    return rc;
}

/* Call global fn with no arguments; returns qlua_call's result and leaves the
 * string result (or the error) in out. */
static int call_global(quire_lua *q, const char *fn, const char *what, char *out, size_t size)
{
    lua_State *L = qlua_state(q);
    quire_error err = {0};
    int rc;

    lua_getglobal(L, fn);
    rc = qlua_call(q, 0, 1, what, &err);
    if (rc == 0) {
        snprintf(out, size, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1));
        lua_pop(L, 1);
    } else {
        snprintf(out, size, "%s", err.msg);
        CHECK(err.code == QUIRE_EXIT_DATA);
    }
    return rc;
}

/* Run code (a chunk returning one value) and return it as a string in out. */
static int eval(quire_lua *q, const char *code, char *out, size_t size)
{
    lua_State *L = qlua_state(q);
    quire_error err = {0};
    int rc = qlua_dostring(q, code, "=[eval]", 1, &err);

    if (rc == 0) {
        if (lua_isboolean(L, -1))
            snprintf(out, size, "%s", lua_toboolean(L, -1) ? "true" : "false");
        else
            snprintf(out, size, "%s",
                     lua_isstring(L, -1) ? lua_tostring(L, -1) : luaL_typename(L, -1));
        lua_pop(L, 1);
    } else {
        snprintf(out, size, "%s", err.msg);
    }
    return rc;
}

/* Whether s starts with prefix; says what it got when not. */
static int starts(const char *s, const char *prefix)
{
    if (strncmp(s, prefix, strlen(prefix)) == 0)
        return 1;
    fprintf(stderr, "expected a message starting with \"%s\", got \"%s\"\n", prefix, s);
    return 0;
}

/* The state works after a tripped limit. */
static void check_usable(quire_lua *q)
{
    char out[1024];

    CHECK(eval(q, "local s = 0 for i = 1, 1000 do s = s + i end return tostring(s)", out,
               sizeof out) == 0);
    CHECK_STR(out, "500500");
}

/* ---------------------------------------------------------------------------
 * A rule: works, stays balanced, costs little
 * ------------------------------------------------------------------------- */

static void test_rule(void)
{
    quire_lua *q = make(0, 0, 0, 0);
    lua_State *L;
    quire_error err = {0};
    int ref, top, i, n = 200000, ok = 1;
    double t, ns;

    CHECK(q != NULL);
    if (!q)
        return;
    L = qlua_state(q);
    CHECK(qlua_dostring(q, rule_src, "@rules/rfm.lua", 1, &err) == 0);
    CHECK(lua_isfunction(L, -1));
    ref = luaL_ref(L, LUA_REGISTRYINDEX);
    top = lua_gettop(L);

    lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
    lua_pushinteger(L, 30);
    lua_pushinteger(L, 12);
    lua_pushnumber(L, 2500.0);
    CHECK(qlua_call(q, 3, 1, "segment rule (customer 1, 2024-03)", &err) == 0);
    CHECK_STR(lua_tostring(L, -1), "vip");
    lua_pop(L, 1);
    CHECK(lua_gettop(L) == top);

    t = now();
    for (i = 0; i < n; i++) {
        lua_rawgeti(L, LUA_REGISTRYINDEX, ref);
        lua_pushinteger(L, i % 400);
        lua_pushinteger(L, i % 13);
        lua_pushnumber(L, (double)(i % 3000));
        if (qlua_callf(q, 3, 1, &err, "segment rule (customer %d, 2024-03)", i) != 0 ||
            !lua_isstring(L, -1))
            ok = 0;
        lua_pop(L, 1);
    }
    ns = (now() - t) / n * 1e9;
    CHECK(ok);
    CHECK(lua_gettop(L) == top);
    printf("sandbox: rule call %.0f ns (incl. pushing 3 arguments)\n", ns);
    CHECK(ns < 2000); /* about 70 ns in an optimised build; generous for sanitizers */

    /* Multiple results and LUA_MULTRET. */
    CHECK(qlua_dostring(q, "return 1, 2, 3", "=[multi]", LUA_MULTRET, &err) == 0);
    CHECK(lua_gettop(L) == top + 3);
    lua_settop(L, top);

    luaL_unref(L, LUA_REGISTRYINDEX, ref);
    qlua_free(q);
    qlua_free(NULL);
}

/* ---------------------------------------------------------------------------
 * Libraries
 * ------------------------------------------------------------------------- */

static void test_libraries(void)
{
    static const char *const gone[] = {
        "io", "require", "debug", "package", "dofile", "loadfile", "collectgarbage",
        "string.dump", "math.randomseed", "coroutine", "(''):dump", "os.execute", "os.getenv",
        "os.remove", "os.rename", "os.exit", "os.tmpname", "os.setlocale", "os.difftime",
    };
    static const char *const present[] = {
        "string.format", "table.concat", "math.floor", "utf8.char", "pairs", "pcall",
        "xpcall", "load", "error", "select", "tostring", "math.random", "os.date", "os.time",
        "os.clock", "rawset", "rawget", "rawlen", "next", "print",
    };
    quire_lua *q = make(0, 0, 0, 0);
    char code[128], out[1024];
    size_t i;

    CHECK(q != NULL);
    if (!q)
        return;
    for (i = 0; i < sizeof gone / sizeof gone[0]; i++) {
        snprintf(code, sizeof code, "return %s == nil", gone[i]);
        if (strchr(gone[i], ':')) /* a method: the string library through a value */
            snprintf(code, sizeof code, "return ('').dump == nil");
        CHECK(eval(q, code, out, sizeof out) == 0);
        if (strcmp(out, "true") != 0)
            fprintf(stderr, "still present: %s\n", gone[i]);
        CHECK_STR(out, "true");
    }
    for (i = 0; i < sizeof present / sizeof present[0]; i++) {
        snprintf(code, sizeof code, "return type(%s)", present[i]);
        CHECK(eval(q, code, out, sizeof out) == 0);
        CHECK_STR(out, "function");
    }
    CHECK(eval(q, "return utf8.char(72, 233) .. string.format('%5.1f', 2.25)", out,
               sizeof out) == 0);
    CHECK_STR(out, "H\xc3\xa9  2.2");

    /* pcall and xpcall behave as usual while no limit is tripped */
    CHECK(eval(q, "local ok, e = pcall(error, 'boom', 0) "
                  "local a, b, c = pcall(function(x) return x, x + 1 end, 1) "
                  "local xok, xe = xpcall(function() error('deep', 0) end, "
                  "function(m) return 'handled ' .. m end) "
                  "return table.concat({tostring(ok), e, tostring(a), b, c, tostring(xok), xe}, ' ')",
               out, sizeof out) == 0);
    CHECK_STR(out, "false boom true 1 2 false handled deep");

    /* Finalizers would run outside every limit: refused. */
    CHECK(eval(q, "setmetatable({}, {__gc = function() end}) return 'x'", out, sizeof out) != 0);
    CHECK_CONTAINS(out, "__gc metamethods are not available");
    CHECK(eval(q, "return getmetatable(setmetatable({}, {__index = {}})) ~= nil and 'ok'", out,
               sizeof out) == 0);
    CHECK_STR(out, "ok");
    qlua_free(q);
}

static void test_print(void)
{
    quire_lua *q = make(0, 0, 0, 0);
    char path[64];
    char buf[8192], out[64];
    int fd, saved;
    ssize_t n;

    CHECK(q != NULL);
    if (!q)
        return;
    check_template(path, sizeof path, "/tmp/quire_sandbox_err_");
    fd = mkstemp(path);
    CHECK(fd >= 0);
    if (fd < 0) {
        qlua_free(q);
        return;
    }
    fflush(stdout);
    fflush(stderr);
    saved = dup(2);
    dup2(fd, 2);
    CHECK(eval(q, "print('hello', 1, nil, true, {}, print) return 'done'", out, sizeof out) == 0);
    /* What a script prints is data: no terminal escapes, no line of its own
     * that does not start with "lua: ", and at most 4096 bytes a call. */
    CHECK(eval(q, "print('a\\27[31mred\\nquire: error: forged', '\\0\\127') "
                  "print(string.rep('z', 5000)) return 'done'", out, sizeof out) == 0);
    fflush(stderr);
    dup2(saved, 2);
    close(saved);
    lseek(fd, 0, SEEK_SET);
    n = read(fd, buf, sizeof buf - 1);
    buf[n > 0 ? n : 0] = '\0';
    close(fd);
    unlink(path);
    CHECK_STR(out, "done");
    {
        const char *want = "lua: hello\t1\tnil\ttrue\ttable\tfunction\n"
                           "lua: a\\x1b[31mred\nlua: quire: error: forged\t\\x00\\x7f\n"
                           "lua: ";
        const char *z = buf + strlen(want);
        size_t k;
        CHECK(strncmp(buf, want, strlen(want)) == 0);
        for (k = 0; k < 4096 && z[k] == 'z'; k++)
            ;
        CHECK(k == 4096);
        CHECK_STR(z + k, "...\n");
    }
    qlua_free(q);
}

static int add_one(lua_State *L)
{
    lua_pushinteger(L, luaL_checkinteger(L, 1) + 1);
    return 1;
}

static void test_register(void)
{
    static const luaL_Reg fns[] = {{"add_one", add_one}, {NULL, NULL}};
    quire_lua *q = make(0, 0, 0, 0);
    char out[256];

    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(qlua_register(q, "quire", fns) == 0);
    CHECK(eval(q, "return tostring(quire.add_one(41))", out, sizeof out) == 0);
    CHECK_STR(out, "42");
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * Escapes: each ends in a clear error, and the state runs on
 * ------------------------------------------------------------------------- */

struct attempt {
    const char *code; /* a chunk that must fail */
    const char *want; /* the error message holds this */
};

/* Run each attempt in q: it must fail with its message, and the same state
 * must then still run a normal script. */
static void try_all(quire_lua *q, const struct attempt *a, size_t n)
{
    char out[1024];
    size_t i;

    for (i = 0; i < n; i++) {
        CHECK(eval(q, a[i].code, out, sizeof out) != 0);
        if (!strstr(out, a[i].want))
            fprintf(stderr, "attempt: %s\n", a[i].code);
        CHECK_CONTAINS(out, a[i].want);
        check_usable(q);
    }
}

struct dumped {
    char buf[4096];
    size_t len;
};

static int dump_writer(lua_State *L, const void *p, size_t sz, void *ud)
{
    struct dumped *d = ud;

    (void)L;
    if (sz > sizeof d->buf - d->len)
        return 1;
    memcpy(d->buf + d->len, p, sz);
    d->len += sz;
    return 0;
}

/* Real bytecode, compiled by a plain (unsandboxed) state, as global bc. */
static void set_bytecode(quire_lua *q)
{
    lua_State *plain = luaL_newstate();
    static struct dumped d;

    CHECK(plain != NULL);
    if (!plain)
        return;
    d.len = 0;
    CHECK(luaL_loadstring(plain, "return 'ran bytecode'") == LUA_OK);
    CHECK(lua_dump(plain, dump_writer, &d, 0) == 0);
    CHECK(d.len > 4 && d.buf[0] == '\x1b');
    lua_pushlstring(qlua_state(q), d.buf, d.len);
    lua_setglobal(qlua_state(q), "bc");
    lua_close(plain);
}

static void test_escapes(void)
{
    static const struct attempt attempts[] = {
        {"return io.open('/etc/passwd')", "attempt to index a nil value (global 'io')"},
        {"return io.popen('id')", "attempt to index a nil value (global 'io')"},
        {"return os.execute('true')", "attempt to call a nil value (field 'execute')"},
        {"return os.getenv('HOME')", "attempt to call a nil value (field 'getenv')"},
        {"return os.remove('/tmp/quire_never')", "attempt to call a nil value (field 'remove')"},
        {"return os.rename('/tmp/a', '/tmp/b')", "attempt to call a nil value (field 'rename')"},
        {"return os.exit(3)", "attempt to call a nil value (field 'exit')"},
        {"return os.tmpname()", "attempt to call a nil value (field 'tmpname')"},
        {"return os.setlocale('C')", "attempt to call a nil value (field 'setlocale')"},
        {"return require('io')", "attempt to call a nil value (global 'require')"},
        {"return package.loaded.io", "attempt to index a nil value (global 'package')"},
        {"return debug.sethook()", "attempt to index a nil value (global 'debug')"},
        {"return debug.getregistry()", "attempt to index a nil value (global 'debug')"},
        {"return dofile('/etc/passwd')", "attempt to call a nil value (global 'dofile')"},
        {"return loadfile('/etc/passwd')", "attempt to call a nil value (global 'loadfile')"},
        {"return collectgarbage('count')", "attempt to call a nil value (global 'collectgarbage')"},
        {"return string.dump(print)", "attempt to call a nil value (field 'dump')"},
        {"return ('x'):dump()", "attempt to call a nil value (method 'dump')"},
        {"return coroutine.create(print)", "attempt to index a nil value (global 'coroutine')"},
        {"return math.randomseed(os.time())", "attempt to call a nil value (field 'randomseed')"},
        {"return assert(load(bc))()", "binary chunks are not allowed (text only)"},
        {"return assert(load(bc, 'x', 'b'))()", "binary chunks are not allowed (text only)"},
        {"local i = 0 return assert(load(function() i = i + 1 "
         "return i == 1 and bc or nil end))()",
         "attempt to load a binary chunk"},
        {"return load('return 1', 'x', 't', {})", "custom environments are not available"},
        {"setmetatable({}, {__gc = print}) return 1", "__gc metamethods are not available"},
    };
    quire_lua *q = make(0, 0, 0, 0);
    quire_error err = {0};
    lua_State *L;
    size_t len;
    const char *bc;

    CHECK(q != NULL);
    if (!q)
        return;
    L = qlua_state(q);
    set_bytecode(q);
    try_all(q, attempts, sizeof attempts / sizeof attempts[0]);

    /* the host's loaders refuse the same bytecode */
    lua_getglobal(L, "bc");
    bc = lua_tolstring(L, -1, &len);
    CHECK(qlua_dostring(q, bc, "@rules.luac", 0, &err) == -1);
    CHECK_STR(err.msg, "rules.luac: binary chunk refused: scripts are loaded as text only");
    lua_pop(L, 1);
    check_usable(q);
    CHECK(lua_gettop(L) == 1);
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * No addresses
 * ------------------------------------------------------------------------- */

static void test_addresses(void)
{
    static const struct {
        const char *code, *want;
    } shown[] = {
        {"return tostring({})", "table"},
        {"return tostring(print)", "function"},
        {"return tostring(function() end)", "function"},
        {"return tostring(string)", "table"},
        {"return tostring(ud)", "userdata"},
        {"return tostring(setmetatable({}, {__tostring = function() return 'custom' end}))",
         "custom"},
        {"return tostring(setmetatable({}, {__name = 'Point'}))", "Point"},
        {"return tostring(nil) .. tostring(true) .. tostring(12) .. tostring(1.5)",
         "niltrue121.5"},
        {"return string.format('%s|%s|%s|%5.2s|%s', {}, print, 'x', {}, 3)",
         "table|function|x|   ta|3"},
        {"return ('<%s>'):format(setmetatable({}, {__tostring = function() return 'p' end}))",
         "<p>"},
        {"return string.format('%%p %d %q', 7, 'a')", "%p 7 \"a\""},
    };
    static const struct attempt refused[] = {
        {"return string.format('%p', {})", "bad conversion '%p' to 'format' (addresses"},
        {"return ('%10p'):format(print)", "addresses are not available in the sandbox"},
        {"return string.format('%s %-5p', 1, 'x')", "addresses are not available"},
    };
    quire_lua *q = make(0, 0, 0, 0);
    char out[1024];
    size_t i;

    CHECK(q != NULL);
    if (!q)
        return;
    lua_newuserdatauv(qlua_state(q), 8, 0);
    lua_setglobal(qlua_state(q), "ud");
    for (i = 0; i < sizeof shown / sizeof shown[0]; i++) {
        CHECK(eval(q, shown[i].code, out, sizeof out) == 0);
        CHECK_STR(out, shown[i].want);
        CHECK(strstr(out, "0x") == NULL);
    }
    try_all(q, refused, sizeof refused / sizeof refused[0]);
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * Read-only library tables and string metatable
 * ------------------------------------------------------------------------- */

static void test_readonly(void)
{
    static const struct attempt attempts[] = {
        {"string.upper = nil", "[eval]:1: attempt to modify read-only table 'string'"},
        {"string.x = 1", "attempt to modify read-only table 'string'"},
        {"table.insert = print", "attempt to modify read-only table 'table'"},
        {"math.pi = 3", "attempt to modify read-only table 'math'"},
        {"math.random = function() return 4 end", "attempt to modify read-only table 'math'"},
        {"utf8.char = nil", "attempt to modify read-only table 'utf8'"},
        {"os.date = nil", "attempt to modify read-only table 'os'"},
        {"os.execute = print", "attempt to modify read-only table 'os'"},
        {"rawset(string, 'upper', nil)", "attempt to modify read-only table 'string'"},
        {"rawset(math, 'x', 1)", "attempt to modify read-only table 'math'"},
        {"getmetatable('').__index.upper = nil", "attempt to modify read-only table 'string'"},
        {"getmetatable('').__index = {}", "attempt to modify read-only table 'string metatable'"},
        {"rawset(getmetatable(''), '__index', {})",
         "attempt to modify read-only table 'string metatable'"},
        {"rawset(getmetatable('').__index, 'len', nil)",
         "attempt to modify read-only table 'string'"},
        {"setmetatable(string, nil)", "cannot change a protected metatable"},
        {"setmetatable(getmetatable(''), nil)", "cannot change a protected metatable"},
        {"table.insert(string, print)", "attempt to modify read-only table 'string'"},
        {"table.move({print}, 1, 1, 1, string)", "attempt to modify read-only table 'string'"},
        {"local _, t = pairs(string) t.upper = nil", "attempt to modify read-only table 'string'"},
        {"for k in next, string do rawset(string, k, nil) end",
         "attempt to modify read-only table 'string'"},
    };
    quire_lua *q = make(0, 0, 0, 0);
    char out[1024];

    CHECK(q != NULL);
    if (!q)
        return;
    try_all(q, attempts, sizeof attempts / sizeof attempts[0]);

    /* nothing changed */
    CHECK(eval(q, "return ('abc'):upper() .. string.upper('d') .. ('x'):rep(2) .. "
                  "tostring(math.pi > 3.14) .. os.date('!%Y', 0) .. tostring(utf8.char == nil)",
               out, sizeof out) == 0);
    CHECK_STR(out, "ABCDxxtrue1970false");
    /* reading works as usual */
    CHECK(eval(q, "local n, up, dump = 0, false, false "
                  "for k, v in pairs(string) do n = n + 1 "
                  "up = up or (k == 'upper' and v == string.upper) dump = dump or k == 'dump' end "
                  "return tostring(n > 10 and up and not dump)",
               out, sizeof out) == 0);
    CHECK_STR(out, "true");
    CHECK(eval(q, "return tostring(rawget(string, 'upper') == string.upper and "
                  "next(math) ~= nil and getmetatable('').__index == string and "
                  "getmetatable(string) == false and rawlen('abc') == 3)",
               out, sizeof out) == 0);
    CHECK_STR(out, "true");
    /* the global table stays the script's own */
    CHECK(eval(q, "my_global = 5 local s = string function helper() return 1 end "
                  "return tostring(my_global + helper())",
               out, sizeof out) == 0);
    CHECK_STR(out, "6");
    /* so do its own tables, raw or not */
    CHECK(eval(q, "local t = {} t.a = 1 rawset(t, 'b', 2) "
                  "return tostring(t.a + rawget(t, 'b') + rawlen({1, 2}))",
               out, sizeof out) == 0);
    CHECK_STR(out, "5");
    /* shadowing a library's global changes neither the library nor string methods */
    CHECK(eval(q, "string = nil return ('abc'):upper() .. ('%s'):format({})", out, sizeof out) == 0);
    CHECK_STR(out, "ABCtable");
    check_usable(q);
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * Quire's own tables: qlua_set_global and qlua_register
 * ------------------------------------------------------------------------- */

static void test_set_global(void)
{
    static const luaL_Reg fns[] = {{"add_one", add_one}, {NULL, NULL}};
    static const struct attempt attempts[] = {
        {"cfg.a = 2", "attempt to modify read-only table 'cfg'"},
        {"cfg.new = 2", "attempt to modify read-only table 'cfg'"},
        {"cfg.nested.b = 3", "attempt to modify read-only table 'cfg.nested'"},
        {"cfg.nested.list[1] = 9", "attempt to modify read-only table 'cfg.nested.list'"},
        {"table.insert(cfg.nested.list, 4)", "attempt to modify read-only table 'cfg.nested.list'"},
        {"table.sort(cfg.nested.list, function(a, b) return a > b end)",
         "attempt to modify read-only table 'cfg.nested.list'"},
        {"rawset(cfg.self.nested, 'b', 1)", "attempt to modify read-only table 'cfg.nested'"},
        {"cfg.rows[2].name = 'x'", "attempt to modify read-only table 'cfg.rows[2]'"},
        {"quire.add_one = nil", "attempt to modify read-only table 'quire'"},
        {"rawset(quire, 'add_two', print)", "attempt to modify read-only table 'quire'"},
        {"shared.c[1][1] = 2", "attempt to modify read-only table 'shared."},
    };
    quire_lua *q = make(0, 0, 0, 0);
    lua_State *L;
    char out[1024];
    int top;

    CHECK(q != NULL);
    if (!q)
        return;
    L = qlua_state(q);
    top = lua_gettop(L);
    CHECK(luaL_dostring(L, "local t = {a = 1, nested = {b = 2, list = {1, 2, 3}}, "
                           "rows = {{name = 'a'}, {name = 'b'}}} t.self = t "
                           "return t") == LUA_OK);
    CHECK(qlua_set_global(q, "cfg") == 0);
    CHECK(lua_gettop(L) == top);
    CHECK(luaL_dostring(L, "local x = {1} return {a = x, b = x, c = {x}}") == LUA_OK);
    CHECK(qlua_set_global(q, "shared") == 0);
    CHECK(qlua_register(q, "quire", fns) == 0);
    try_all(q, attempts, sizeof attempts / sizeof attempts[0]);

    CHECK(eval(q, "local n = 0 for _, v in ipairs(cfg.nested.list) do n = n + v end "
                  "local keys = {} for k in pairs(cfg) do keys[#keys + 1] = k end "
                  "table.sort(keys) "
                  "return table.concat({cfg.a, cfg.nested.b, #cfg.nested.list, n, "
                  "table.concat(cfg.nested.list, ','), tostring(cfg.self == cfg), "
                  "tostring(shared.a == shared.b and shared.c[1] == shared.a), cfg.rows[2].name, "
                  "table.concat(keys, ','), rawget(cfg, 'a'), rawlen(cfg.nested.list), "
                  "quire.add_one(41)}, ' ')",
               out, sizeof out) == 0);
    CHECK_STR(out, "1 2 3 6 1,2,3 true true b a,nested,rows,self 1 3 42");
    CHECK(eval(q, "local t = {table.unpack(cfg.nested.list)} t[4] = 4 return tostring(#t)", out,
               sizeof out) == 0);
    CHECK_STR(out, "4");

    /* a value that is not a table is popped and refused */
    lua_pushinteger(L, 5);
    CHECK(qlua_set_global(q, "five") == -1);
    CHECK(lua_gettop(L) == top);
    CHECK(eval(q, "return tostring(five)", out, sizeof out) == 0);
    CHECK_STR(out, "nil");
    qlua_free(q);

    /* out of memory: -1, the global unset, the state still usable */
    q = make((size_t)1 << 20, 0, 0, 0);
    CHECK(q != NULL);
    if (!q)
        return;
    L = qlua_state(q);
    top = lua_gettop(L);
    lua_newtable(L);
    CHECK(luaL_dostring(L, "local t = {} for i = 1, 4000 do t[i] = {i} end return t") == LUA_OK);
    lua_setfield(L, -2, "big");
    CHECK(qlua_set_global(q, "huge") == -1);
    CHECK(lua_gettop(L) == top);
    CHECK(eval(q, "return tostring(huge)", out, sizeof out) == 0);
    CHECK_STR(out, "nil");
    check_usable(q);
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * os: the date helpers only
 * ------------------------------------------------------------------------- */

static void test_os(void)
{
    quire_lua *q = make(0, 0, 0, 0);
    char out[1024];

    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(eval(q, "local keys = {} for k in pairs(os) do keys[#keys + 1] = k end "
                  "table.sort(keys) return table.concat(keys, ',')",
               out, sizeof out) == 0);
    CHECK_STR(out, "clock,date,time");
    CHECK(eval(q, "return os.date('!%Y-%m-%d %H:%M', 86400 * 366)", out, sizeof out) == 0);
    CHECK_STR(out, "1971-01-02 00:00");
    CHECK(eval(q, "local t = os.date('!*t', 86400) return t.year .. '-' .. t.month .. '-' .. t.day",
               out, sizeof out) == 0);
    CHECK_STR(out, "1970-1-2");
    CHECK(eval(q, "local a = os.time({year = 2024, month = 3, day = 1, hour = 12}) "
                  "local b = os.time({year = 2024, month = 3, day = 2, hour = 12}) "
                  "return tostring(b - a)",
               out, sizeof out) == 0);
    CHECK_STR(out, "86400");
    CHECK(eval(q, "return tostring(math.type(os.time()) == 'integer' and os.clock() >= 0 and "
                  "type(os.date()) == 'string')",
               out, sizeof out) == 0);
    CHECK_STR(out, "true");
    /* strftime conversions are checked by Lua */
    CHECK(eval(q, "return os.date('%Ez')", out, sizeof out) != 0);
    CHECK_CONTAINS(out, "invalid conversion specifier");
    check_usable(q);
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * A pcall and an xpcall around each limit
 * ------------------------------------------------------------------------- */

static void test_limits_caught(void)
{
    static const struct {
        const char *body; /* the work inside pcall/xpcall */
        const char *want; /* after "<what>: " */
    } limits[] = {
        {"local s = string.rep('x', 1 << 30) return #s", "memory limit of 16 MiB exceeded"},
        {"local s = string.rep('x', 1 << 20) local t = {} "
         "for i = 1, 1e9 do t[i] = s .. i end",
         "memory limit of 16 MiB exceeded"},
        {"local t = {} for i = 1, 1e9 do t[i] = i end", "memory limit of 16 MiB exceeded"},
        {"while true do end", "instruction budget of 2000000 exceeded (infinite loop?)"},
        {"local x = 0 while true do x = x + 1 end", "instruction budget of 2000000 exceeded"},
    };
    static const char *const wrappers[] = {
        "function f() local ok, e = pcall(function() %s end) return 'caught: ' .. tostring(e) "
        "end",
        "function f() local ok, e = xpcall(function() %s end, function(m) return m end) "
        "return 'caught: ' .. tostring(e) end",
        "function f() local ok, e = pcall(pcall, function() %s end) "
        "return 'caught: ' .. tostring(e) end",
        "function f() for i = 1, 3 do pcall(function() %s end) end return 'caught' end",
    };
    quire_lua *q = make((size_t)16 << 20, 2000000UL, 60.0, 0);
    char code[512], out[1024];
    size_t i, w;

    CHECK(q != NULL);
    if (!q)
        return;
    for (i = 0; i < sizeof limits / sizeof limits[0]; i++) {
        for (w = 0; w < sizeof wrappers / sizeof wrappers[0]; w++) {
            snprintf(code, sizeof code, wrappers[w], limits[i].body);
            CHECK(define(q, code) == 0);
            CHECK(call_global(q, "f", "KPI x", out, sizeof out) == -1);
            CHECK(strncmp(out, "KPI x: ", 7) == 0);
            if (!strstr(out, limits[i].want))
                fprintf(stderr, "wrapped: %s\n", code);
            CHECK_CONTAINS(out, limits[i].want);
            check_usable(q);
        }
    }
    qlua_free(q);

    /* the deadline: a loop under a budget too large to matter */
    q = make(0, 1000000000UL, 0.1, 0);
    CHECK(q != NULL);
    if (!q)
        return;
    for (w = 0; w < sizeof wrappers / sizeof wrappers[0]; w++) {
        snprintf(code, sizeof code, wrappers[w], "local x = 0 while true do x = x + 1 end");
        CHECK(define(q, code) == 0);
        CHECK(call_global(q, "f", "insight y", out, sizeof out) == -1);
        CHECK(starts(out, "insight y: test.lua:1: time limit of 0.1 s exceeded"));
        check_usable(q);
    }
    /* a __close handler that loops is stopped as well */
    CHECK(define(q, "function f() pcall(function() local c <close> = setmetatable({}, "
                    "{__close = function() while true do end end}) while true do end end) "
                    "return 'escaped' end") == 0);
    CHECK(call_global(q, "f", "insight z", out, sizeof out) == -1);
    CHECK_CONTAINS(out, "time limit of 0.1 s exceeded");
    check_usable(q);
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * Loading: text only
 * ------------------------------------------------------------------------- */

static void test_loading(void)
{
    static const char binary[] = "\x1bLua\x54\x00\x19\x93\r\n\x1a\n\x04\x08\x08";
    quire_lua *q = make(0, 0, 0, 0);
    quire_error err = {0};
    char out[1024];
    const char *path;

    CHECK(q != NULL);
    if (!q)
        return;
    /* load of text works, binary chunks are refused (even with mode "b") */
    CHECK(eval(q, "return load('return 1 + 1')()", out, sizeof out) == 0);
    CHECK_STR(out, "2");
    CHECK(eval(q, "local f, e = load('\\27Lua\\84\\0\\25\\147\\r\\n\\26\\n', 'x', 'b') "
                  "return tostring(f) .. ' ' .. e",
               out, sizeof out) == 0);
    CHECK_CONTAINS(out, "nil binary chunks are not allowed");
    CHECK(eval(q, "local f, e = load(string.char(27) .. 'Lua') return e", out, sizeof out) == 0);
    CHECK_CONTAINS(out, "binary chunks are not allowed");
    CHECK(eval(q, "local once = false "
                  "local f, e = load(function() if once then return nil end once = true "
                  "return '\\27Lua\\84\\0' end) return e",
               out, sizeof out) == 0);
    CHECK_CONTAINS(out, "binary chunk");
    CHECK(eval(q, "local f, e = load('return 1', 'x', 'b') return f and tostring(f()) or e", out,
               sizeof out) == 0);
    CHECK_STR(out, "1");
    CHECK(eval(q, "return load('return x', 'x', 't', {x = 1})", out, sizeof out) != 0);
    CHECK_CONTAINS(out, "custom environments are not available");

    /* the host's loaders refuse binary chunks too */
    CHECK(qlua_dostring(q, binary, "@compiled.luac", 0, &err) == -1);
    CHECK_STR(err.msg, "compiled.luac: binary chunk refused: scripts are loaded as text only");
    path = write_temp(binary, sizeof binary - 1);
    CHECK(path != NULL);
    if (path) {
        CHECK(qlua_dofile(q, path, 0, &err) == -1);
        CHECK_CONTAINS(err.msg, "binary chunk refused");
        CHECK_CONTAINS(err.msg, path);
        unlink(path);
    }
    path = write_temp("#!/usr/bin/lua\nreturn 'shebang ok'\n", 34);
    CHECK(path != NULL);
    if (path) {
        CHECK(qlua_dofile(q, path, 1, &err) == 0);
        CHECK_STR(lua_tostring(qlua_state(q), -1), "shebang ok");
        lua_pop(qlua_state(q), 1);
        unlink(path);
    }
    CHECK(qlua_dofile(q, "/nonexistent/quire/rules.lua", 0, &err) == -1);
    CHECK_CONTAINS(err.msg, "/nonexistent/quire/rules.lua: cannot open");
    CHECK(lua_gettop(qlua_state(q)) == 1); /* only the message handler */
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * Errors name the script, the line and what was evaluated
 * ------------------------------------------------------------------------- */

static void test_errors(void)
{
    static const char script[] = "local function field(r)\n"
                                 "  local x = nil\n"
                                 "  return x.orders\n"
                                 "end\n"
                                 "function classify(r)\n"
                                 "  local v = field(r) return v\n"
                                 "end\n"
                                 "function raises() error('no segment for this customer') end\n"
                                 "function raises_table() error({code = 1}) end\n"
                                 "return classify\n";
    quire_lua *q = make(0, 0, 0, 0);
    lua_State *L;
    quire_error err = {0};
    char want[256], out[1024];
    const char *path;
    int top;

    CHECK(q != NULL);
    if (!q)
        return;
    L = qlua_state(q);
    path = write_temp(script, sizeof script - 1);
    CHECK(path != NULL);
    if (!path) {
        qlua_free(q);
        return;
    }
    top = lua_gettop(L);
    CHECK(qlua_dofile(q, path, 1, &err) == 0);
    CHECK(lua_gettop(L) == top + 1);
    lua_pushinteger(L, 42);
    CHECK(qlua_call(q, 1, 1, "segment rule (customer 42, 2024-03)", &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DATA);
    snprintf(want, sizeof want, "segment rule (customer 42, 2024-03): %s:3: attempt to index", path);
    CHECK(starts(err.msg, want));
    snprintf(want, sizeof want, "\n  %s:3: in ", path); /* the traceback */
    CHECK_CONTAINS(err.msg, want);
    snprintf(want, sizeof want, "\n  %s:6: in ", path);
    CHECK_CONTAINS(err.msg, want);
    CHECK(lua_gettop(L) == top);

    /* the format is only used on error */
    lua_getglobal(L, "raises");
    CHECK(qlua_callf(q, 0, 0, &err, "KPI %s (%s)", "retention_rate", "VIP") == -1);
    snprintf(want, sizeof want, "KPI retention_rate (VIP): %s:8: no segment for this customer",
             path);
    CHECK(starts(err.msg, want));
    CHECK(call_global(q, "raises_table", "rule", out, sizeof out) == -1);
    CHECK(starts(out, "rule: (error object is a table value)"));

    /* runaway recursion is an ordinary error (in a state whose deadline a
     * busy machine cannot reach first: a million stack slots take a while) */
    {
        quire_lua *r = make(0, 0, 60.0, 0);
        CHECK(r != NULL);
        if (r) {
            int rtop = lua_gettop(qlua_state(r));
            CHECK(define(r, "function deep(n) n = n or 0 return 1 + deep(n + 1) end") == 0);
            CHECK(call_global(r, "deep", "recursion", out, sizeof out) == -1);
            CHECK(starts(out, "recursion: test.lua:1: stack overflow"));
            CHECK(lua_gettop(qlua_state(r)) == rtop);
            qlua_free(r);
        }
    }

    /* a syntax error names the file and line */
    unlink(path);
    path = write_temp("local x = 1\nif x then\n  x = = 2\nend\n", 34);
    CHECK(path != NULL);
    if (path) {
        CHECK(qlua_dofile(q, path, 0, &err) == -1);
        snprintf(want, sizeof want, "%s:3:", path);
        CHECK(starts(err.msg, want));
        unlink(path);
    }
    CHECK(qlua_dostring(q, "return 1 +", "=[kpi retention_rate]", 0, &err) == -1);
    CHECK(starts(err.msg, "[kpi retention_rate]:1:"));

    /* index 1 cleared by a caller: calls still work and still trace */
    lua_settop(L, 0);
    CHECK(call_global(q, "classify", "after settop", out, sizeof out) == -1);
    CHECK_CONTAINS(out, "after settop: ");
    CHECK_CONTAINS(out, ":3: attempt to index");
    CHECK_CONTAINS(out, ":6: in ");
    CHECK(lua_gettop(L) == 0);
    CHECK(qlua_dostring(q, "return 'fine'", "=[x]", 1, &err) == 0);
    CHECK_STR(lua_tostring(L, -1), "fine");
    lua_settop(L, 0);
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * Limits
 * ------------------------------------------------------------------------- */

static void test_budget(void)
{
    static const char *const loops[] = {
        "function loop() while true do end end",
        "function loop() while true do pcall(function() while true do end end) end end",
        "function loop() pcall(pcall, function() while true do end end) return 'escaped' end",
        "function loop() while true do xpcall(function() while true do end end, "
        "function(e) return e end) end end",
        "function loop() xpcall(error, function() while true do end end) return 'escaped' end",
        "function loop() while true do load(function() while true do end end) end end",
        "function loop() local t = setmetatable({}, {__index = function(t, k) "
        "while true do end end}) while true do pcall(function() return t.x end) end end",
        "function loop() local function f() return f() end return f() end",
    };
    quire_lua *q = make(0, 0, 0, 0);
    char out[1024];
    size_t i;
    double t;

    CHECK(q != NULL);
    if (!q)
        return;
    for (i = 0; i < sizeof loops / sizeof loops[0]; i++) {
        CHECK(define(q, loops[i]) == 0);
        t = now();
        CHECK(call_global(q, "loop", "segment rule (customer 7, 2024-03)", out, sizeof out) == -1);
        t = now() - t;
        CHECK(t < 2.0);
        CHECK(starts(out, "segment rule (customer 7, 2024-03): test.lua:1: "
                          "instruction budget of 10000000 exceeded (infinite loop?)"));
        check_usable(q);
    }
    qlua_free(q);

    /* a small budget: a loop of 1000 passes stops, a short one runs */
    q = make(0, 5000, 0, 0);
    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(eval(q, "local s = 0 for i = 1, 100 do s = s + i end return tostring(s)", out,
               sizeof out) == 0);
    CHECK_STR(out, "5050");
    CHECK(eval(q, "local s = 0 for i = 1, 100000 do s = s + i end return s", out, sizeof out) != 0);
    CHECK_CONTAINS(out, "[eval]:1: instruction budget of 5000 exceeded");
    /* the budget is per call: many short calls are fine */
    CHECK(define(q, "function short() local s = 0 for i = 1, 100 do s = s + i end "
                    "return tostring(s) end") == 0);
    for (i = 0; i < 1000; i++) {
        if (call_global(q, "short", "short", out, sizeof out) != 0)
            break;
    }
    CHECK(i == 1000);
    qlua_free(q);
}

/* The fast path runs without a hook: under the default budget no hook is
 * set between calls, nor after a call long enough for the watchdog to arm
 * the count on it; a small budget keeps its count hook all the time. */
static void test_hook_off(void)
{
    quire_lua *q = make(0, 0, 0, 0);
    char out[1024];
    double t;
    int i;

    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(lua_gethookmask(qlua_state(q)) == 0);
    CHECK(eval(q, "return 1 + 1", out, sizeof out) == 0);
    CHECK(lua_gethookmask(qlua_state(q)) == 0);
    /* about 20 ms: armed on the way, gone afterwards */
    CHECK(define(q, "function busy(n) local s = 0 for i = 1, n do s = s + i end "
                    "return tostring(s) end") == 0);
    t = now();
    while (now() - t < 0.02)
        CHECK(eval(q, "return busy(100000)", out, sizeof out) == 0);
    /* The watchdog may arm a call at the moment it returns; the next call
     * that returns takes that hook away. */
    for (i = 0; i < 100 && lua_gethookmask(qlua_state(q)) != 0; i++)
        CHECK(eval(q, "return 1", out, sizeof out) == 0);
    CHECK(lua_gethookmask(qlua_state(q)) == 0);
    qlua_free(q);

    q = make(0, 5000, 0, 0);
    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(lua_gethookmask(qlua_state(q)) == LUA_MASKCOUNT);
    CHECK(eval(q, "return 1 + 1", out, sizeof out) == 0);
    CHECK(lua_gethookmask(qlua_state(q)) == LUA_MASKCOUNT);
    qlua_free(q);
}

static void test_memory(void)
{
    static const char *const hogs[] = {
        "function hog() local t = {} local i = 0 while true do i = i + 1 t[i] = {i} end end",
        "function hog() while true do pcall(string.rep, 'x', 1 << 30) end end",
        "function hog() while true do pcall(function() local s = string.rep('x', 1 << 30) end) "
        "end end",
        "function hog() while true do pcall(function() local t = {} "
        "for i = 1, 1e9 do t[i] = i end end) end end",
        "function hog() local parts = {} for i = 1, 64 do parts[i] = 'abcdefgh' end "
        "local s = table.concat(parts) while true do "
        "pcall(function() s = s .. s end) end end",
        "function hog() while true do local n = 0 load(function() n = n + 1 "
        "return n == 1 and 'return \\'' or string.rep('x', 1 << 20) end) end end",
    };
    /* a long deadline: memory trips first, however busy the machine */
    quire_lua *q = make((size_t)16 << 20, 0, 60.0, 0);
    char out[1024];
    size_t i;

    CHECK(q != NULL);
    if (!q)
        return;
    for (i = 0; i < sizeof hogs / sizeof hogs[0]; i++) {
        CHECK(define(q, hogs[i]) == 0);
        CHECK(call_global(q, "hog", "KPI churn", out, sizeof out) == -1);
        CHECK(starts(out, "KPI churn: memory limit of 16 MiB exceeded"));
        check_usable(q);
    }
    qlua_free(q);
}

static void test_deadline(void)
{
    quire_lua *q = make(0, 1000000000UL, 0.2, 0);
    char out[1024];
    double t;

    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(define(q, "function slow() while true do pcall(function() "
                    "local x = 0 while true do x = x + 1 end end) end end") == 0);
    t = now();
    CHECK(call_global(q, "slow", "insight growth", out, sizeof out) == -1);
    t = now() - t;
    CHECK(t >= 0.19 && t < 1.5);
    CHECK(starts(out, "insight growth: test.lua:1: time limit of 0.2 s exceeded"));
    /* the deadline is per call: the next call gets its own 0.2 s */
    check_usable(q);
    CHECK(define(q, "function brief() local s = 0 for i = 1, 1e5 do s = s + i end "
                    "return 'ok' end") == 0);
    CHECK(call_global(q, "brief", "brief", out, sizeof out) == 0);
    CHECK_STR(out, "ok");
    qlua_free(q);
}

static void test_random(void)
{
    static const char code[] = "local t = {} for i = 1, 8 do t[i] = math.random(1, 1000000) end "
                               "return table.concat(t, ',') .. ' ' .. math.random()";
    quire_lua *a = make(0, 0, 0, 42), *b = make(0, 0, 0, 42), *c = make(0, 0, 0, 43);
    quire_lua *d = make(0, 0, 0, UINT64_MAX);
    char ra[1024], rb[1024], rc[1024], rd[1024];

    CHECK(a && b && c && d);
    if (a && b && c && d) {
        CHECK(eval(a, code, ra, sizeof ra) == 0);
        CHECK(eval(b, code, rb, sizeof rb) == 0);
        CHECK(eval(c, code, rc, sizeof rc) == 0);
        CHECK(eval(d, code, rd, sizeof rd) == 0);
        CHECK_STR(ra, rb);
        CHECK(strcmp(ra, rc) != 0);
        CHECK(strcmp(ra, rd) != 0);
    }
    qlua_free(a);
    qlua_free(b);
    qlua_free(c);
    qlua_free(d);
}

static void test_clamp(void)
{
    quire_lua_limits l;
    const quire_lua_limits *in;
    quire_error err = {0};
    quire_lua *q;

    qlua_limits_default(&l);
    CHECK(l.memory == (size_t)64 << 20);
    CHECK(l.instructions == 10000000UL);
    CHECK(l.seconds == 2.0);
    CHECK(l.seed == 0);

    l.memory = SIZE_MAX;
    l.instructions = (unsigned long)-1;
    l.seconds = 1e9;
    q = qlua_new(&l, &err);
    CHECK(q != NULL);
    if (q) {
        in = qlua_limits(q);
        CHECK(in->memory == (size_t)1 << 30);
        CHECK(in->instructions == 1000000000UL);
        CHECK(in->seconds == 60.0);
        qlua_free(q);
    }

    memset(&l, 0, sizeof l);
    q = qlua_new(&l, &err);
    CHECK(q != NULL);
    if (q) {
        in = qlua_limits(q);
        CHECK(in->memory == (size_t)64 << 20);
        CHECK(in->instructions == 10000000UL);
        CHECK(in->seconds == 2.0);
        qlua_free(q);
    }
    q = qlua_new(NULL, &err);
    CHECK(q != NULL);
    qlua_free(q);

    /* a cap too small for the libraries is an error, not a crash */
    l.memory = 4096;
    q = qlua_new(&l, &err);
    CHECK(q == NULL);
    CHECK_CONTAINS(err.msg, "is too small");
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * The quire.* helpers take hostile lists: a script's __len is never trusted
 * ------------------------------------------------------------------------- */

static void test_hostile_lists(void)
{
    spec s;
    model m;
    quire_error err = {0};
    quire_lua *q = make(0, 0, 0, 1);
    char out[1024];

    memset(&s, 0, sizeof s);
    memset(&m, 0, sizeof m);
    m.s = &s;
    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(lua_api_install(&s, q, &err) == 0);
    /* __len claims 2^61 + 1 entries: sized by it, the buffer wrapped to a few
     * bytes and the numbers were written past it. Raw lengths count 3. */
    CHECK(eval(q, "local t = setmetatable({1, 2, 3}, { __len = function() return 2^61 + 1 end })\n"
                  "return string.format('%g %g %g', quire.sum(t), quire.mean(t),\n"
                  "  quire.correlation(t, t))",
               out, sizeof out) == 0);
    CHECK_STR(out, "6 2 1");
    CHECK(eval(q, "local t = setmetatable({1, 2, 3, 4}, { __len = function() error('boom') end })\n"
                  "return string.format('%g', quire.correlation(t, {2, 4, 6, 8}))",
               out, sizeof out) == 0);
    CHECK_STR(out, "1");
    /* join reads raw entries: neither __len nor __index runs, and an item
     * that is not text is an error, not a crash. */
    CHECK(eval(q, "local t = setmetatable({'a', 'b'}, { __len = function() return 1e9 end,\n"
                  "  __index = function() error('no') end })\n"
                  "return quire.join(t)",
               out, sizeof out) == 0);
    CHECK_STR(out, "a and b");
    CHECK(eval(q, "return quire.join({'a', {}})", out, sizeof out) != 0);
    CHECK(strstr(out, "quire.join: item 2 is a table, not a string") != NULL);
    check_usable(q);
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * Quire's Lua library: loaded into the read-only quire table with the C
 * helpers, found through QUIRE_LUA_LIB here, and refused when it is missing
 * or clashes with a C helper
 * ------------------------------------------------------------------------- */

/* Install the quire table in a fresh state with QUIRE_LUA_LIB = lib (NULL:
 * the source tree's); returns the state, or NULL with the error in err. */
static quire_lua *with_library(const spec *s, const char *lib, quire_error *err)
{
    const char *was = getenv("QUIRE_LUA_LIB");
    char *saved = was ? strdup(was) : NULL;
    quire_lua *q = make(0, 0, 0, 0);

    if (lib)
        setenv("QUIRE_LUA_LIB", lib, 1);
    if (q && lua_api_install(s, q, err)) {
        qlua_free(q);
        q = NULL;
    }
    if (saved) {
        setenv("QUIRE_LUA_LIB", saved, 1);
        free(saved);
    }
    return q;
}

#define LIB_FAILS "local quire = ...\nreturn quire.nothing.here\n"
#define LIB_NUMBER "return 42\n"
#define LIB_CLASH "return { format = print }\n"

static void test_library(void)
{
    static const struct attempt attempts[] = {
        {"quire.possessive = nil", "attempt to modify read-only table 'quire'"},
        {"quire.ranked = function() end", "attempt to modify read-only table 'quire'"},
        {"rawset(quire, 'possessive', print)", "attempt to modify read-only table 'quire'"},
        {"quire.format = tostring", "attempt to modify read-only table 'quire'"},
        {"quire.shiny = 1", "attempt to modify read-only table 'quire'"},
        {"quire.params.gross_margin = 1", "attempt to modify read-only table 'quire.params'"},
        {"setmetatable(quire, nil)", "cannot change a protected metatable"},
        /* errors about arguments point at the caller's line */
        {"local lowest = quire.order_arg({ order = 'up' }) return lowest",
         "[eval]:1: order is highest or lowest, not \"up\""},
        {"local r = { kpis = {} }\nlocal kpi = quire.kpi_arg(r, {}, 'trend') return kpi",
         "[eval]:2: trend needs the argument kpi"},
        {"local r = { kpis = {} }\n"
         "local kpi = quire.kpi_arg(r, { kpi = 'nps' }, 'trend') return kpi",
         "[eval]:2: the report has no KPI \"nps\""},
        {"local info = quire.kpi_info({ kpis = {} }, 'nps') return info",
         "[eval]:1: the report has no KPI \"nps\""},
        {"local m = quire.param('margin') return m",
         "[eval]:1: the spec has no parameter \"margin\"; declare it under parameters:"},
    };
    spec s;
    spec_param gm = {0};
    quire_error err = {0};
    quire_lua *q;
    const char *path;
    char out[1024];

    memset(&s, 0, sizeof s);
    gm.name = (char *)"gross_margin";
    gm.type = PARAM_NUMBER;
    gm.value = (char *)"0.3";
    s.params = &gm;
    s.nparams = 1;
    q = with_library(&s, NULL, &err);
    CHECK(q != NULL);
    if (!q) {
        fprintf(stderr, "library: %s\n", err.msg);
        return;
    }
    /* the library's functions sit beside the C helpers and the parameters */
    CHECK(eval(q, "return table.concat({ quire.possessive('VIP'),\n"
                  "  quire.possessive('Lost Customers'), quire.plural(1, 'customer', 'customers'),\n"
                  "  quire.plural(1234, 'customer', 'customers'),\n"
                  "  quire.format(quire.param('gross_margin'), 'percent'), type(quire.ranked) }, '|')",
               out, sizeof out) == 0);
    CHECK_STR(out, "VIP's|Lost Customers'|1 customer|1,234 customers|30.0%|function");
    try_all(q, attempts, sizeof attempts / sizeof attempts[0]);
    /* a script that shadows globals does not break the library, nor does
     * replacing the global quire break the library's own calls */
    CHECK(eval(q, "local p, keep = quire.plural, quire\n"
                  "string, table, error, quire = nil, nil, nil, nil\n"
                  "local t = keep.ranked({ segments = { 'A', 'B' },\n"
                  "  value = function(kpi, seg) return seg == 'A' and 1 or 2 end }, 'k', 1)\n"
                  "return p(2, 'x', 'xs') .. ' ' .. t[1].seg",
               out, sizeof out) == 0);
    CHECK_STR(out, "2 xs B");
    qlua_free(q);

    /* missing, failing, not a table, or clashing with a C helper: an error
     * that names the library, and no state */
    q = with_library(&s, "/tmp/quire_no_such_library.lua", &err);
    CHECK(q == NULL);
    CHECK_STR(err.file, "/tmp/quire_no_such_library.lua");
    CHECK_CONTAINS(err.msg, "cannot read Quire's Lua library (QUIRE_LUA_LIB)");
    path = write_temp(LIB_FAILS, strlen(LIB_FAILS));
    q = with_library(&s, path, &err);
    CHECK(q == NULL);
    CHECK_CONTAINS(err.msg, "Quire's Lua library: ");
    CHECK_CONTAINS(err.msg, ":2: attempt to index a nil value (field 'nothing')");
    unlink(path);
    path = write_temp(LIB_NUMBER, strlen(LIB_NUMBER));
    q = with_library(&s, path, &err);
    CHECK(q == NULL);
    CHECK_CONTAINS(err.msg, "the library must return a table of functions, not a number");
    unlink(path);
    path = write_temp(LIB_CLASH, strlen(LIB_CLASH));
    q = with_library(&s, path, &err);
    CHECK(q == NULL);
    CHECK_CONTAINS(err.msg, "quire.format is defined twice, in C and in the library");
    unlink(path);
}


/* ---------------------------------------------------------------------------
 * Host work at the memory cap: a clear error, never an abort
 * ------------------------------------------------------------------------- */

/* Fill the state to just under its cap with a global the script keeps. */
static void fill_state(quire_lua *q)
{
    char out[1024];

    CHECK(eval(q, "big = {} for i = 1, 1e9 do big[i] = ('x'):rep(64) .. i end", out,
               sizeof out) != 0);
    CHECK(strstr(out, "memory limit of") != NULL);
}

static int big_push(void *arg)
{
    lua_State *L = arg;

    lua_createtable(L, 0, 1 << 20); /* about 40 MiB: more than is left */
    lua_pop(L, 1);
    return 0;
}

static void test_panic(void)
{
    quire_lua *q = make(8 << 20, 0, 60.0, 0);
    quire_error err = {0};
    pid_t pid;
    int status, fds[2];
    char buf[512] = {0};

    CHECK(q != NULL);
    if (!q)
        return;
    fill_state(q);
    /* With a recovery point: an error, and the state works after. */
    CHECK(qlua_guarded(q, big_push, qlua_state(q), "KPI sums", &err) == -1);
    CHECK_STR(err.msg, "KPI sums: memory limit of 8 MiB exceeded");
    CHECK(err.code == QUIRE_EXIT_DATA);
    CHECK(eval(q, "big = nil return 'ok'", buf, sizeof buf) == 0);
    check_usable(q);
    /* Without one: a message and exit status 2, not an abort. */
    fill_state(q);
    CHECK(pipe(fds) == 0);
    fflush(NULL);
    pid = fork();
    if (pid == 0) {
        dup2(fds[1], 2);
        big_push(qlua_state(q));
        _exit(0);
    }
    close(fds[1]);
    CHECK(read(fds[0], buf, sizeof buf - 1) > 0);
    close(fds[0]);
    CHECK(waitpid(pid, &status, 0) == pid);
    CHECK(WIFEXITED(status) && WEXITSTATUS(status) == 2);
    CHECK_CONTAINS(buf, "quire: error: Lua failed outside a protected call: memory limit of "
                        "8 MiB exceeded");
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * The deadline holds inside long library loops
 * ------------------------------------------------------------------------- */

static void test_c_loops(void)
{
    static const struct {
        const char *code, *expect;
    } cases[] = {
        /* caught by the bounds, at once */
        {"return #string.rep('', math.maxinteger)", "0"},
        {"return #string.rep('', math.maxinteger, '')", "0"},
        {"return table.move({}, 1, 1e15, 2)", "table.move: a range of 1000000000000000 entries"},
        {"local t = {} for i = 50, 0, -1 do t[2^i] = 1 end table.insert(t, 1, 0)",
         "table.insert: a range of"},
        {"local t = {} for i = 50, 0, -1 do t[2^i] = 1 end table.remove(t, 1)",
         "table.remove: a range of"},
        {"return table.concat({}, '', 1, 1e15)", "table.concat: a range of"},
        {"local t = {} for i = 40, 0, -1 do t[2^i] = 1 end return quire.correlation(t, t)",
         "bad argument #1 to 'correlation' (a list of 1099511627776 entries"},
        {"local t = {} for i = 40, 0, -1 do t[2^i] = 1 end return quire.sum(t)",
         "bad argument #1 to 'sum' (a list of"},
        {"local t = {} for i = 40, 0, -1 do t[2^i] = 1 end return quire.join(t)",
         "bad argument #1 to 'join' (a list of"},
        /* a C function as __index: stopped by the watchdog */
        {"local t = setmetatable({}, { __index = rawequal })\n"
         "return table.sort(setmetatable({}, { __len = function() return 2^30 end,\n"
         "  __index = function() return 1 end }), rawequal)",
         "time limit of 0.3 s exceeded"},
    };
    quire_error err = {0};
    quire_lua *q = make(0, 1000000000UL, 0.3, 0);
    spec s;
    char out[1024];
    size_t i;
    double t;

    memset(&s, 0, sizeof s);
    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(lua_api_install(&s, q, &err) == 0);
    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        t = now();
        eval(q, cases[i].code, out, sizeof out);
        t = now() - t;
        if (!strstr(out, cases[i].expect))
            fprintf(stderr, "case %zu: %s\n", i, out);
        CHECK_CONTAINS(out, cases[i].expect);
        CHECK(t < 0.9); /* 3x the deadline */
        check_usable(q);
    }
    qlua_free(q);
}

/* ---------------------------------------------------------------------------
 * Patterns: the same results as Lua's own, and bounded work
 * ------------------------------------------------------------------------- */

/* Every combination of subjects, patterns, start positions and replacements
 * through string.find, match, gmatch and gsub, one line of results each
 * (errors as their messages). Run in a stock state and in the sandbox, the
 * two must print the same. */
static const char pattern_table[] =
    "local S = { 'hello world', '', 'aaa', '  x = 1, y = 22  ', '(foo(bar))baz',\n"
    "  'THE (quick) fox', 'a.b-c+d*e?f[g]h^i$j%k', 'key=val; k2 = v2', '\\0a\\0b',\n"
    "  '\\206\\177 utf8', '2024-03-05T10:00:00Z', 'abcabcabc', 'x', 'a\\nb\\tc]', '[[]]-' }\n"
    "local P = { 'o', 'l+', 'l*', 'l-', 'l?', '^h', 'd$', '^$', '$', '.', '%a+', '%A+', '%d+',\n"
    "  '%s*', '%w+', '%p', '%x+', '%u', '%l+', '%c', '%g+', '%S+', '%D', '%W+', '%P+',\n"
    "  '[aeiou]', '[^aeiou ]+', '[a-f]+', '[%a_][%w_]*', '[]]', '[^]]', '[%]]', '[a-]', '[-a]',\n"
    "  '[%w%-]+', '[^%s=]+', '%b()', '%b[]', '%bxy', '%f[%w]%w+', '%f[%W]', '%f[%a]', '%f[\\0]',\n"
    "  '(%w+)=(%w+)', '(%w+)%s*=%s*(%w+)', '()ll()', '()', '(a)(b)(c)', '((a)(b))', '(h)(e)',\n"
    "  '(.)%1', '(a*(.)%w(%s*))', '^(%s*)(.-)(%s*)$', '%.', '%%', 'a.-c', 'a.*c', '[%d%-]+',\n"
    "  'x*$', '.-b', 'a?a?a?aaa', 'a$b', '^', '\\0', '%z', '[\\0-a]+', '(%d+)-(%d+)-(%d+)T',\n"
    "  'o w', '[a-c]-c', '%w-%s', '(%a+) (%a+)', '^(%()', '%)', 'q?',\n"
    "  '%', '[a', '[a%', '(a', 'a)', '%1', '(()', '%b', '%bx', '%f', '%fx', '(%1)',\n"
    "  '%9', '(a)%2', ('('):rep(33), ('x?'):rep(300) }\n"
    "local R = { '<%0>', '%1-%2', '%%', 'x', '', '%2', '%9', '%x', '%', 7,\n"
    "  { hello = 'HI', a = false, x = 'X', key = 1.5, o = {} },\n"
    "  function(a, b) return b end, function(a) return a:upper() end,\n"
    "  function() return false end, function() return {} end }\n"
    "local inits = { false, 1, 3, -2, 0, 100, -100 }\n"
    "local function ser(ok, ...)\n"
    "  local t = { ok and 'ok' or 'err' }\n"
    "  for i = 1, select('#', ...) do\n"
    "    local v = select(i, ...)\n"
    "    t[#t + 1] = type(v) .. ':' .. (type(v) == 'string' and string.format('%q', v) or\n"
    "      (type(v) == 'number' or type(v) == 'boolean' or type(v) == 'nil') and tostring(v) or '')\n"
    "  end\n"
    "  return table.concat(t, ' ')\n"
    "end\n"
    "local function all(f, s, p, ...)\n"
    "  local out = {}\n"
    "  local ok, err = pcall(function(...)\n"
    "    local n = 0\n"
    "    for a, b, c in f(s, p, ...) do\n"
    "      n = n + 1\n"
    "      out[#out + 1] = ser(true, a, b, c)\n"
    "      if n == 40 then break end\n"
    "    end\n"
    "  end, ...)\n"
    "  if not ok then out[#out + 1] = ser(false, err) end\n"
    "  return table.concat(out, ' / ')\n"
    "end\n"
    "local lines = {}\n"
    "local function put(...)\n"
    "  local t = {...}\n"
    "  for i = 1, select('#', ...) do t[i] = tostring(t[i]) end\n"
    "  lines[#lines + 1] = table.concat(t, ' ')\n"
    "end\n"
    "for si, s in ipairs(S) do\n"
    "  for pi, p in ipairs(P) do\n"
    "    for _, i in ipairs(inits) do\n"
    "      local init = i or nil\n"
    "      put(si, pi, i, 'find', ser(pcall(string.find, s, p, init)))\n"
    "      put(si, pi, i, 'plain', ser(pcall(string.find, s, p, init, true)))\n"
    "      put(si, pi, i, 'match', ser(pcall(string.match, s, p, init)))\n"
    "      put(si, pi, i, 'gmatch', all(string.gmatch, s, p, init))\n"
    "    end\n"
    "    for ri, r in ipairs(R) do\n"
    "      put(si, pi, ri, 'gsub', ser(pcall(string.gsub, s, p, r)))\n"
    "      put(si, pi, ri, 'gsub1', ser(pcall(string.gsub, s, p, r, 1)))\n"
    "    end\n"
    "    put(si, pi, 'gsub0', ser(pcall(string.gsub, s, p, 'z', 0)))\n"
    "    put(si, pi, 'gsubneg', ser(pcall(string.gsub, s, p, 'z', -1)))\n"
    "    put(si, pi, 'method', ser(pcall(function() return s:find(p), s:match(p) end)))\n"
    "  end\n"
    "end\n"
    "put('badarg', ser(pcall(string.gsub, 'a', 'a')))\n"
    "put('badarg', ser(pcall(string.gsub, 'a', 'a', true)))\n"
    "put('badarg', ser(pcall(string.find, 'a')))\n"
    "put('badarg', ser(pcall(string.match, {}, 'a')))\n"
    "put('badarg', ser(pcall(string.gmatch, 'a', nil)))\n"
    "put('badarg', ser(pcall(string.find, 'a', 'a', 'x')))\n"
    "put('number', ser(pcall(string.find, 12345, 3)))\n"
    "put('number', ser(pcall(string.gsub, 12345, '%d', '%0%0')))\n"
    "return table.concat(lines, '\\n')\n";

/* Run the table in L; returns a copy of its output (to free), or NULL. */
static char *pattern_lines(lua_State *L)
{
    char *out = NULL;

    if (luaL_loadbuffer(L, pattern_table, sizeof pattern_table - 1, "=patterns") == LUA_OK &&
        lua_pcall(L, 0, 1, 0) == LUA_OK && lua_isstring(L, -1))
        out = strdup(lua_tostring(L, -1));
    else
        fprintf(stderr, "pattern table: %s\n", lua_tostring(L, -1));
    lua_settop(L, 0);
    return out;
}

static void test_pattern_equivalence(void)
{
    lua_State *stock = luaL_newstate();
    quire_lua *q = make(0, 1000000000UL, 60, 0);
    quire_error err = {0};
    char *want, *got = NULL, *w, *g, *wn, *gn;
    int shown = 0;
    size_t lines = 0;

    CHECK(stock != NULL && q != NULL);
    if (!stock || !q)
        return;
    luaL_openlibs(stock);
    want = pattern_lines(stock);
    /* in the sandbox, as a script runs: under qlua_call and its meter */
    if (luaL_loadbuffer(qlua_state(q), pattern_table, sizeof pattern_table - 1, "=patterns") ==
            LUA_OK &&
        qlua_call(q, 0, 1, "patterns", &err) == 0) {
        got = strdup(lua_tostring(qlua_state(q), -1));
        lua_pop(qlua_state(q), 1);
    } else {
        fprintf(stderr, "pattern table in the sandbox: %s\n", err.msg);
    }
    CHECK(want != NULL && got != NULL);
    for (w = want, g = got; w && g && *w && *g && shown < 10; w = wn, g = gn) {
        size_t lw, lg;
        wn = strchr(w, '\n');
        gn = strchr(g, '\n');
        lw = wn ? (size_t)(wn - w) : strlen(w);
        lg = gn ? (size_t)(gn - g) : strlen(g);
        if (lw != lg || memcmp(w, g, lw) != 0) {
            fprintf(stderr, "pattern mismatch:\n  lua:     %.*s\n  sandbox: %.*s\n", (int)lw, w,
                    (int)lg, g);
            shown++;
        }
        lines++;
        wn = wn ? wn + 1 : w + lw;
        gn = gn ? gn + 1 : g + lg;
    }
    CHECK(want && got && strcmp(want, got) == 0);
    CHECK(lines > 10000); /* the table ran whole */
    free(want);
    free(got);
    lua_close(stock);
    qlua_free(q);
}

/* Backtracking patterns stop at the deadline or the budget, whichever the
 * matcher reaches first, in find, match, gmatch and gsub alike, and the
 * state works afterwards. */
static void test_pattern_limits(void)
{
    static const char *const slow[] = {
        "return string.find(string.rep('a', 1e5), '.-.-.-.-.-b')",
        "return ('a'):rep(1e5):find('.-.-.-.-.-b')",
        "return string.match(string.rep('a', 1e5), '(.-)(.-)(.-)(.-)b')",
        "for x in string.gmatch(string.rep('a', 1e5), 'a*a*a*a*b') do end",
        "return string.gsub(string.rep('a', 1e5), '.-.-.-.-b', 'x')",
        "return pcall(string.find, string.rep('a', 1e5), '.-.-.-.-.-b')",
        "return string.find(string.rep('(', 1e5), '%b()')",
        "return string.gsub(string.rep('a', 1e5), '.-.-.-.-b', function() end)",
    };
    quire_lua *q = make(0, 1000000000UL, 0.3, 0);
    char out[1024];
    size_t i;
    double t;

    CHECK(q != NULL);
    if (!q)
        return;
    for (i = 0; i < sizeof slow / sizeof slow[0]; i++) {
        t = now();
        CHECK(eval(q, slow[i], out, sizeof out) != 0);
        t = now() - t;
        if (!strstr(out, "[eval]:1: time limit of 0.3 s exceeded"))
            fprintf(stderr, "case %zu: %s\n", i, out);
        CHECK_CONTAINS(out, "[eval]:1: time limit of 0.3 s exceeded");
        CHECK(t < 0.9); /* 3x the deadline */
        check_usable(q);
    }
    qlua_free(q);

    /* the steps count against the instruction budget too */
    q = make(0, 100000, 0, 0);
    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(eval(q, "return string.find(string.rep('a', 1e5), '.-.-.-.-.-b')", out,
               sizeof out) != 0);
    CHECK_CONTAINS(out, "[eval]:1: instruction budget of 100000 exceeded");
    /* ordinary matching within it is fine */
    CHECK(eval(q, "return (string.gsub(string.rep('ab ', 1000), '%s+', '-'):sub(1, 9))", out,
               sizeof out) == 0);
    CHECK_STR(out, "ab-ab-ab-");
    qlua_free(q);
}

static void test_month_label(void)
{
    quire_error err = {0};
    quire_lua *q = make(0, 0, 0, 0);
    spec s;
    char out[1024];

    memset(&s, 0, sizeof s);
    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(lua_api_install(&s, q, &err) == 0);
    CHECK(eval(q, "return quire.month_label('2024-02', math.maxinteger)", out, sizeof out) != 0);
    CHECK_CONTAINS(out, "no month after year 9999");
    CHECK(eval(q, "return quire.month_label('2024-02', 2^31 + 5)", out, sizeof out) != 0);
    CHECK_CONTAINS(out, "no month after year 9999");
    CHECK(eval(q, "return quire.month_label('2024-02', math.mininteger)", out, sizeof out) != 0);
    CHECK_CONTAINS(out, "no month before year 0");
    CHECK(eval(q, "return quire.month_label('2024-02', -2)", out, sizeof out) == 0);
    CHECK_STR(out, "Dec\xC2\xA0" "2023");
    qlua_free(q);
}

static void test_control_bytes(void)
{
    quire_lua *q = make(0, 0, 0, 0);
    char out[1024];

    CHECK(q != NULL);
    if (!q)
        return;
    CHECK(eval(q, "error('bad\\27[31m red\\r\\7 end\\nnext\\tline', 0)", out, sizeof out) != 0);
    CHECK_STR(out, "bad\\x1b[31m red\\x0d\\x07 end\nnext\tline\n  [eval]:1: in main chunk");
    CHECK(eval(q, "x = \"\\27]0;title\\7\" + +", out, sizeof out) != 0);
    CHECK(strchr(out, 27) == NULL && strchr(out, 7) == NULL);
    qlua_free(q);
}

static int next_call(lua_State *L)
{
    qlua_next_call(L);
    return 0;
}

/* pieces(sep): run piece() n times in one qlua_call, with next_call()
 * between them when sep is true. */
static int run_pieces(quire_lua *q, int sep, char *out, size_t size)
{
    lua_State *L = qlua_state(q);
    quire_error err = {0};

    lua_getglobal(L, "pieces");
    lua_pushboolean(L, sep);
    if (qlua_call(q, 1, 1, "pieces", &err)) {
        snprintf(out, size, "%s", err.msg);
        return -1;
    }
    snprintf(out, size, "%s", lua_isstring(L, -1) ? lua_tostring(L, -1) : "?");
    lua_pop(L, 1);
    return 0;
}

/* qlua_next_call: a driver running many calls in one qlua_call gives each
 * its own budget and deadline (the segment pass runs a chunk of customers
 * so); without it they share the call's. */
static void test_next_call(void)
{
    quire_lua *q = make(0, 5000, 0, 0);
    char out[1024];

    CHECK(q != NULL);
    if (!q)
        return;
    lua_pushcfunction(qlua_state(q), next_call);
    lua_setglobal(qlua_state(q), "next_call");
    /* a piece is about 2,000 instructions; 20 of them 40,000 */
    CHECK(define(q, "function piece() local s = 0 for i = 1, 1000 do s = s + i end end "
                    "function pieces(sep) for k = 1, 20 do piece() "
                    "if sep then next_call() end end return 'done' end") == 0);
    CHECK(run_pieces(q, 1, out, sizeof out) == 0);
    CHECK_STR(out, "done");
    CHECK(run_pieces(q, 0, out, sizeof out) == -1);
    CHECK(starts(out, "pieces: test.lua:1: instruction budget of 5000 exceeded"));
    /* an endless piece is stopped as an endless call is */
    CHECK(define(q, "function pieces(sep) for k = 1, 3 do piece() next_call() end "
                    "while true do end end") == 0);
    CHECK(run_pieces(q, 1, out, sizeof out) == -1);
    CHECK(starts(out, "pieces: test.lua:1: instruction budget of 5000 exceeded"));
    check_usable(q);
    qlua_free(q);

    /* the deadline: 40 pieces of 0.02 s of CPU each, 0.8 s in all, under a
     * 0.5 s deadline (wall-clock time is never less than CPU time) */
    q = make(0, 1000000000UL, 0.5, 0);
    CHECK(q != NULL);
    if (!q)
        return;
    lua_pushcfunction(qlua_state(q), next_call);
    lua_setglobal(qlua_state(q), "next_call");
    CHECK(define(q, "function piece() local t = os.clock() while os.clock() - t < 0.02 do end end "
                    "function pieces(sep) for k = 1, 40 do piece() "
                    "if sep then next_call() end end return 'done' end") == 0);
    CHECK(run_pieces(q, 1, out, sizeof out) == 0);
    CHECK_STR(out, "done");
    CHECK(run_pieces(q, 0, out, sizeof out) == -1);
    CHECK_CONTAINS(out, "time limit of 0.5 s exceeded");
    qlua_free(q);
}

int main(void)
{
    /* The test program is not next to the library: use the source tree's
     * (tests run from the top of the tree). */
    setenv("QUIRE_LUA_LIB", "scripts/lib/quire.lua", 0);
    test_rule();
    test_libraries();
    test_print();
    test_register();
    test_loading();
    test_escapes();
    test_addresses();
    test_readonly();
    test_set_global();
    test_os();
    test_errors();
    test_budget();
    test_hook_off();
    test_memory();
    test_deadline();
    test_next_call();
    test_limits_caught();
    test_random();
    test_clamp();
    test_hostile_lists();
    test_library();
    test_panic();
    test_c_loops();
    test_pattern_equivalence();
    test_pattern_limits();
    test_month_label();
    test_control_bytes();
    return check_done("sandbox");
}
