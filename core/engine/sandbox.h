/*
 * sandbox.h - the Lua state that runs users' segment rules, KPIs and insights.
 *
 * One quire_lua per run. Scripts get a reduced standard library: base without
 * dofile, loadfile and collectgarbage (load takes text only); string without
 * dump; table; math without randomseed (math.random is seeded from the
 * spec); utf8; os with date, time and clock only. No io, package, require,
 * debug or coroutine. tostring, print and string.format show no addresses
 * (string.format refuses %p). The library tables, the string metatable and
 * the tables of Quire's own modules are read-only; the global table is not.
 *
 * Scripts run under three limits: a memory cap enforced by the allocator, an
 * instruction budget enforced by a count hook and a wall-clock deadline
 * enforced by a watchdog thread. Under a budget above 1,000,000 the count
 * hook is armed by the watchdog on a call it finds running (every 2 ms), so
 * short calls run with no hook; a smaller budget counts every call from its
 * start. A tripped limit cannot be caught by the script's own pcall or
 * xpcall. See docs/lua-sandbox.md.
 *
 * Limits apply to Lua code run through qlua_call, qlua_callf, qlua_dofile and
 * qlua_dostring; code called through the raw lua_State (lua_pcall) is not
 * counted.
 *
 * Stack: qlua_new leaves the message handler at index 1 of the state's stack
 * and qlua_call finds it there. Callers push above it and use relative indexes;
 * if index 1 is cleared, qlua_call still works (it pushes a handler per call).
 */
#ifndef QUIRE_SANDBOX_H
#define QUIRE_SANDBOX_H

#include <setjmp.h>
#include <stddef.h>

#include <lauxlib.h>
#include <lua.h>

#include "error.h"

typedef struct quire_lua_limits {
    size_t memory;              /* bytes the state may hold; default 64 MiB; hard max 1 GiB */
    unsigned long instructions; /* per call; default 10,000,000; hard max 1e9 */
    double seconds;             /* wall-clock deadline per call; default 2.0; hard max 60 */
    unsigned long long seed;    /* math.random seed; default 0 */
} quire_lua_limits;

#define QLUA_DEFAULT_MEMORY ((size_t)64 << 20)
#define QLUA_MAX_MEMORY ((size_t)1 << 30)
#define QLUA_DEFAULT_INSTRUCTIONS 10000000UL
#define QLUA_MAX_INSTRUCTIONS 1000000000UL
#define QLUA_DEFAULT_SECONDS 2.0
#define QLUA_MAX_SECONDS 60.0

void qlua_limits_default(quire_lua_limits *l);

typedef struct quire_lua quire_lua;

/* Create a sandboxed state. l may be NULL (defaults). A zero memory,
 * instructions or seconds means the default; values above the hard max are
 * clamped. Returns NULL and fills err if the state cannot be created. */
quire_lua *qlua_new(const quire_lua_limits *l, quire_error *err);

/* Close the state and free q. Accepts NULL. */
void qlua_free(quire_lua *q);

/* The state (borrowed; valid until qlua_free). */
lua_State *qlua_state(quire_lua *q);

/* The limits in force, after defaults and clamping (borrowed). */
const quire_lua_limits *qlua_limits(const quire_lua *q);

/* Load a script file as text only (mode "t", chunkname "@path"), run it, and
 * leave its results (nresults, or LUA_MULTRET) on the stack. Errors name
 * path:line. Returns 0, or -1 with err filled (code QUIRE_EXIT_DATA) and the
 * stack as it was. */
int qlua_dofile(quire_lua *q, const char *path, int nresults, quire_error *err);

/* qlua_dofile for a script that must return a function, left on the stack.
 * Any other value is an error (QUIRE_EXIT_USAGE) "<must>, not a <type>". */
int qlua_dofunction(quire_lua *q, const char *path, const char *must, quire_error *err);

/* Load a script file as qlua_dofile does, without running it: push the chunk,
 * a function to call with qlua_call (its arguments are the chunk's "...").
 * Returns 0, or -1 with err filled and nothing pushed. */
int qlua_loadfile(quire_lua *q, const char *path, quire_error *err);

/* Same for a string; name is the chunk name, e.g. "=[kpi retention_rate]" or
 * "@rules.lua". */
int qlua_dostring(quire_lua *q, const char *code, const char *name, int nresults,
                  quire_error *err);

/* Call the function below nargs arguments on the stack, like lua_pcall, under
 * the per-call instruction budget and deadline. Returns 0 with nresults pushed
 * (function and arguments popped), or -1 with nothing pushed, err->code =
 * QUIRE_EXIT_DATA and err->msg = "<what>: script.lua:LINE: message" followed by
 * a short indented traceback. what (may be NULL: no prefix) says what was being
 * evaluated, e.g. "segment rule (customer 42, 2024-03)". */
int qlua_call(quire_lua *q, int nargs, int nresults, const char *what, quire_error *err);

/* Same, but what is a printf format that is only formatted if the call fails,
 * so a per-customer description costs nothing on the hot path. */
int qlua_callf(quire_lua *q, int nargs, int nresults, quire_error *err, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;

/* For a C function that a driver in Lua calls between the calls it makes
 * for the host inside one qlua_call (the segment pass runs a chunk of
 * customers so): end the call that ran and start the next, as if each were
 * its own qlua_call: a fresh instruction budget and deadline, the watchdog's
 * hook taken away. Does nothing below a nested call. */
void qlua_next_call(lua_State *L);

/* Set the global name to a new read-only table holding fns (a luaL_Reg list
 * ended by {NULL, NULL}). For Quire's own modules. Returns 0, or -1 if the
 * state is out of memory (the global is then left unset). */
int qlua_register(quire_lua *q, const char *name, const luaL_Reg *fns);

/* Pop the table on top of the stack, make it read-only and set it as the
 * global name. For Quire's own modules and data (e.g. a report's parameters).
 *
 * Read-only is recursive: every table held as a value, at any depth, is
 * replaced in place by a read-only proxy (a table reached twice, or through a
 * cycle, gets one proxy). A script that assigns to a field, with = or rawset,
 * gets "attempt to modify read-only table 'name.field'". Reading, pairs,
 * ipairs, next, #, rawget and rawlen work as on the table itself. The caller
 * should not change the table afterwards. Returns 0, or -1 if the state is
 * out of memory or the value is not a table (the value is popped either way
 * and the global is left unset). */
int qlua_set_global(quire_lua *q, const char *name);

/* Host work on the state outside qlua_call (pushing values, say) that
 * fails, for lack of memory most often, makes Lua panic. By default the
 * panic prints that Lua failed outside a protected call, with its message, and
 * exits with status 2. qlua_recover_at(q, &jb) makes the panic longjmp to
 * jb instead (after setjmp(jb) returned 0); returns the previous point, to
 * put back with qlua_recover_at(q, previous) when the work is done. After
 * the jump, the state's stack is empty: call qlua_recovered, which fills
 * err ("<what>: memory limit of 64 MiB exceeded"), clears the point and
 * puts the message handler back at index 1; what the host had on the stack
 * is lost. Prefer running host work through qlua_call (a C function). */
jmp_buf *qlua_recover_at(quire_lua *q, jmp_buf *jb);
int qlua_recovered(quire_lua *q, const char *what, quire_error *err);

/* Run fn(arg) with a recovery point: its result, or -1 with err filled when
 * Lua panicked during it (see above). */
int qlua_guarded(quire_lua *q, int (*fn)(void *), void *arg, const char *what,
                 quire_error *err);

/* The most entries a list may have under the state's memory cap (a table
 * entry takes at least 16 bytes): a raw length above it is a border made
 * by a few entries, which a helper refuses rather than loop over. */
lua_Integer qlua_max_entries(lua_State *L);

/* Copy Lua text into dst (size bytes, always NUL-terminated), escaping
 * control bytes other than newline and tab as \xNN. Returns dst. */
char *qlua_escape(char *dst, size_t size, const char *src);

#endif

