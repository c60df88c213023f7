/*
 * pattern.c - Lua 5.4 string patterns with a metered matcher (pattern.h).
 *
 * Written from the reference manual's description of patterns (section
 * 6.4.1) and of the four functions (6.4): a pattern is a sequence of items,
 * each a single-character class, optionally followed by '*', '+', '-' or
 * '?'; or %n, %bxy, %f[set]; '(' and ')' delimit captures, "()" captures a
 * position; '^' at the start anchors (not in gmatch, where it is a plain
 * '^'), '$' at the end anchors at the end. The matcher is the classic
 * backtracking one: greedy items try the longest run first, '-' the
 * shortest, and every choice point can be revisited, which is what makes
 * some patterns exponential and the meter necessary.
 *
 * Classes use <ctype.h> in the program's locale, as Lua's do. The limits are
 * Lua's: 32 captures, matching nested 200 items deep ("pattern too
 * complex").
 */
#include "pattern.h"

#include <ctype.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include <lauxlib.h>

#define ESC '%'
#define MAX_CAPTURES 32  /* LUA_MAXCAPTURES */
#define MAX_DEPTH 200    /* nested match() calls */
#define CAP_OPEN (-1)    /* a capture whose ')' is not reached yet */
#define CAP_POSITION (-2) /* "()" */

typedef struct capture {
    const char *at;
    ptrdiff_t len; /* or CAP_OPEN, CAP_POSITION */
} capture;

typedef struct mstate {
    lua_State *L;
    const char *s0, *s_end; /* the subject */
    const char *p_end;      /* the pattern's end */
    int depth;              /* nesting left */
    int level;              /* captures opened */
    capture cap[MAX_CAPTURES];
    unsigned long steps;    /* since the meter was last charged */
    const pattern_meter *meter;
} mstate;

static const char *match(mstate *ms, const char *s, const char *p);

/* One step of work; every PATTERN_METER_STEPS the meter is charged (and may
 * stop the match with an error). */
static void step(mstate *ms)
{
    if (++ms->steps >= PATTERN_METER_STEPS) {
        ms->steps = 0;
        ms->meter->charge(ms->L, PATTERN_METER_STEPS);
    }
}

static void reset(mstate *ms)
{
    ms->level = 0;
    ms->depth = MAX_DEPTH;
}

static void init_state(mstate *ms, lua_State *L, const char *s, size_t ls, const char *p,
                       size_t lp, const pattern_meter *m)
{
    ms->L = L;
    ms->s0 = s;
    ms->s_end = s + ls;
    ms->p_end = p + lp;
    ms->steps = 0;
    ms->meter = m;
    reset(ms);
}

/* ------------------------------------------------------------ classes */

/* Past the single-character class that starts at p. */
static const char *class_end(mstate *ms, const char *p)
{
    char c = *p++;

    if (c == ESC) {
        if (p >= ms->p_end)
            luaL_error(ms->L, "malformed pattern (ends with '%%')");
        return p + 1;
    }
    if (c == '[') {
        if (*p == '^')
            p++;
        /* The first character of a set is itself even when it is ']'. */
        do {
            if (p >= ms->p_end)
                luaL_error(ms->L, "malformed pattern (missing ']')");
            if (*p++ == ESC && p < ms->p_end)
                p++; /* an escaped character, '%]' say */
        } while (*p != ']');
        return p + 1;
    }
    return p;
}

/* c against %cl (cl a letter: a class; an upper-case one its complement;
 * anything else stands for itself). */
static int in_class(int c, int cl)
{
    int r;

    switch (tolower(cl)) {
    case 'a': r = isalpha(c); break;
    case 'c': r = iscntrl(c); break;
    case 'd': r = isdigit(c); break;
    case 'g': r = isgraph(c); break;
    case 'l': r = islower(c); break;
    case 'p': r = ispunct(c); break;
    case 's': r = isspace(c); break;
    case 'u': r = isupper(c); break;
    case 'w': r = isalnum(c); break;
    case 'x': r = isxdigit(c); break;
    case 'z': r = c == 0; break; /* the NUL byte: deprecated, still in Lua 5.4 */
    default: return cl == c;
    }
    if (isupper(cl))
        r = !r;
    return r != 0;
}

/* c against the set [p, close] (p at '[', close at its ']'). */
static int in_set(int c, const char *p, const char *close)
{
    int yes = 1;

    if (p[1] == '^') {
        yes = 0;
        p++;
    }
    while (++p < close) {
        if (*p == ESC) {
            p++;
            if (in_class(c, (unsigned char)*p))
                return yes;
        } else if (p[1] == '-' && p + 2 < close) {
            if ((unsigned char)p[0] <= c && c <= (unsigned char)p[2])
                return yes;
            p += 2;
        } else if ((unsigned char)*p == c) {
            return yes;
        }
    }
    return !yes;
}

/* Whether the subject character at s matches the class [p, ep). */
static int single(mstate *ms, const char *s, const char *p, const char *ep)
{
    int c;

    if (s >= ms->s_end)
        return 0;
    c = (unsigned char)*s;
    switch (*p) {
    case '.':
        return 1;
    case ESC:
        return in_class(c, (unsigned char)p[1]);
    case '[':
        return in_set(c, p, ep - 1);
    default:
        return (unsigned char)*p == c;
    }
}

/* ------------------------------------------------------------ items */

/* %bxy at s: a balanced run from x to its matching y. */
static const char *balance(mstate *ms, const char *s, const char *p)
{
    int depth = 1;
    char open, close;

    if (p >= ms->p_end - 1)
        luaL_error(ms->L, "malformed pattern (missing arguments to '%%b')");
    if (s >= ms->s_end || *s != *p)
        return NULL;
    open = p[0];
    close = p[1];
    while (++s < ms->s_end) {
        step(ms);
        if (*s == close) {
            if (--depth == 0)
                return s + 1;
        } else if (*s == open) {
            depth++;
        }
    }
    return NULL;
}

/* x* (or x+ from its second character): the longest run first. */
static const char *longest(mstate *ms, const char *s, const char *p, const char *ep)
{
    ptrdiff_t n = 0;
    const char *r;

    while (single(ms, s + n, p, ep)) {
        step(ms);
        n++;
    }
    for (; n >= 0; n--) {
        if ((r = match(ms, s + n, ep + 1)) != NULL)
            return r;
    }
    return NULL;
}

/* x-: the shortest run first. */
static const char *shortest(mstate *ms, const char *s, const char *p, const char *ep)
{
    const char *r;

    for (;;) {
        if ((r = match(ms, s, ep + 1)) != NULL)
            return r;
        if (!single(ms, s, p, ep))
            return NULL;
        step(ms);
        s++;
    }
}

static const char *open_capture(mstate *ms, const char *s, const char *p, ptrdiff_t what)
{
    const char *r;

    if (ms->level >= MAX_CAPTURES)
        luaL_error(ms->L, "too many captures");
    ms->cap[ms->level].at = s;
    ms->cap[ms->level].len = what;
    ms->level++;
    if ((r = match(ms, s, p)) == NULL)
        ms->level--;
    return r;
}

static const char *close_capture(mstate *ms, const char *s, const char *p)
{
    int l;
    const char *r;

    for (l = ms->level - 1; l >= 0 && ms->cap[l].len != CAP_OPEN; l--)
        ;
    if (l < 0)
        luaL_error(ms->L, "invalid pattern capture");
    ms->cap[l].len = s - ms->cap[l].at;
    if ((r = match(ms, s, p)) == NULL)
        ms->cap[l].len = CAP_OPEN;
    return r;
}

/* %1 to %9: the text of a closed capture again. */
static const char *back_reference(mstate *ms, const char *s, int digit)
{
    int l = digit - '1';
    size_t len;

    if (l < 0 || l >= ms->level || ms->cap[l].len == CAP_OPEN)
        luaL_error(ms->L, "invalid capture index %%%d", l + 1);
    len = (size_t)ms->cap[l].len;
    if ((size_t)(ms->s_end - s) >= len && memcmp(ms->cap[l].at, s, len) == 0)
        return s + len;
    return NULL;
}

/* The pattern [p, p_end) at s: where the match ends, or NULL. */
static const char *match(mstate *ms, const char *s, const char *p)
{
    const char *ep;

    if (ms->depth-- == 0)
        luaL_error(ms->L, "pattern too complex");
next:
    step(ms);
    if (p == ms->p_end)
        goto done;
    switch (*p) {
    case '(':
        if (p[1] == ')')
            s = open_capture(ms, s, p + 2, CAP_POSITION);
        else
            s = open_capture(ms, s, p + 1, CAP_OPEN);
        goto done;
    case ')':
        s = close_capture(ms, s, p + 1);
        goto done;
    case '$':
        if (p + 1 != ms->p_end)
            break; /* a '$' inside is a plain character */
        if (s != ms->s_end)
            s = NULL;
        goto done;
    case ESC:
        switch (p[1]) {
        case 'b':
            s = balance(ms, s, p + 2);
            if (s) {
                p += 4;
                goto next;
            }
            goto done;
        case 'f': {
            int before, here;
            p += 2;
            if (*p != '[')
                luaL_error(ms->L, "missing '[' after '%%f' in pattern");
            ep = class_end(ms, p);
            before = s == ms->s0 ? 0 : (unsigned char)s[-1];
            here = s < ms->s_end ? (unsigned char)*s : 0;
            if (!in_set(before, p, ep - 1) && in_set(here, p, ep - 1)) {
                p = ep;
                goto next;
            }
            s = NULL;
            goto done;
        }
        case '0': case '1': case '2': case '3': case '4':
        case '5': case '6': case '7': case '8': case '9':
            s = back_reference(ms, s, (unsigned char)p[1]);
            if (s) {
                p += 2;
                goto next;
            }
            goto done;
        default:
            break;
        }
        break;
    default:
        break;
    }
    /* A single-character class, and what may follow it. */
    ep = class_end(ms, p);
    if (!single(ms, s, p, ep)) {
        if (*ep == '*' || *ep == '?' || *ep == '-') {
            p = ep + 1; /* zero of them will do */
            goto next;
        }
        s = NULL;
        goto done;
    }
    switch (*ep) {
    case '?': {
        const char *r = match(ms, s + 1, ep + 1);
        if (r) {
            s = r;
            goto done;
        }
        p = ep + 1;
        goto next;
    }
    case '+':
        s = longest(ms, s + 1, p, ep);
        goto done;
    case '*':
        s = longest(ms, s, p, ep);
        goto done;
    case '-':
        s = shortest(ms, s, p, ep);
        goto done;
    default:
        s++;
        p = ep;
        goto next;
    }
done:
    ms->depth++;
    return s;
}

/* ------------------------------------------------------------ captures */

/* Capture i for a match [s, e): pushes a position and returns CAP_POSITION,
 * or stores its text in *at and returns its length. With no captures,
 * capture 0 is the whole match. */
static ptrdiff_t get_capture(mstate *ms, int i, const char *s, const char *e, const char **at)
{
    if (i >= ms->level) {
        if (i != 0)
            luaL_error(ms->L, "invalid capture index %%%d", i + 1);
        *at = s;
        return e - s;
    }
    *at = ms->cap[i].at;
    if (ms->cap[i].len == CAP_OPEN)
        luaL_error(ms->L, "unfinished capture");
    if (ms->cap[i].len == CAP_POSITION)
        lua_pushinteger(ms->L, (ms->cap[i].at - ms->s0) + 1);
    return ms->cap[i].len;
}

static void push_capture(mstate *ms, int i, const char *s, const char *e)
{
    const char *at;
    ptrdiff_t len = get_capture(ms, i, s, e, &at);

    if (len != CAP_POSITION)
        lua_pushlstring(ms->L, at, (size_t)len);
}

/* Push every capture (or the whole match [s, e) when there are none and s
 * is given); returns how many. */
static int push_captures(mstate *ms, const char *s, const char *e)
{
    int i, n = ms->level == 0 && s ? 1 : ms->level;

    luaL_checkstack(ms->L, n, "too many captures");
    for (i = 0; i < n; i++)
        push_capture(ms, i, s, e);
    return n;
}

/* ------------------------------------------------------------ functions */

static const pattern_meter *meter_of(lua_State *L)
{
    return lua_touserdata(L, lua_upvalueindex(1));
}

/* A relative start position (1-based, negative from the end) made absolute,
 * within [1, ...]. */
static size_t start_at(lua_Integer pos, size_t len)
{
    if (pos > 0)
        return (size_t)pos;
    if (pos == 0)
        return 1;
    if (pos < -(lua_Integer)len)
        return 1;
    return len + (size_t)pos + 1;
}

/* No magic character: a plain search will do. */
static int plain_pattern(const char *p, size_t lp)
{
    size_t i;

    for (i = 0; i < lp; i++)
        if (strchr("^$*+?.([%-", p[i]) && p[i] != '\0')
            return 0;
    return 1;
}

static int find_or_match(lua_State *L, int find)
{
    size_t ls, lp, init;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *s1;
    int anchor;
    mstate ms;

    init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
    if (init > ls) {
        luaL_pushfail(L);
        return 1;
    }
    if (find && (lua_toboolean(L, 4) || plain_pattern(p, lp))) {
        /* Lua's own find: a plain search does not backtrack */
        int n = lua_gettop(L);
        lua_pushvalue(L, lua_upvalueindex(2));
        lua_insert(L, 1);
        lua_call(L, n, LUA_MULTRET);
        return lua_gettop(L);
    }
    s1 = s + init;
    anchor = *p == '^';
    if (anchor) {
        p++;
        lp--;
    }
    init_state(&ms, L, s, ls, p, lp, meter_of(L));
    do {
        const char *e;
        reset(&ms);
        if ((e = match(&ms, s1, p)) != NULL) {
            if (find) {
                lua_pushinteger(L, (s1 - s) + 1);
                lua_pushinteger(L, e - s);
                return push_captures(&ms, NULL, NULL) + 2;
            }
            return push_captures(&ms, s1, e);
        }
    } while (s1++ < ms.s_end && !anchor);
    luaL_pushfail(L);
    return 1;
}

static int p_find(lua_State *L)
{
    return find_or_match(L, 1);
}

static int p_match(lua_State *L)
{
    return find_or_match(L, 0);
}

/* gmatch's state, a userdata upvalue of the iterator (the subject and the
 * pattern are upvalues too, so they outlive it). */
typedef struct gmatch_state {
    const char *src;  /* where the next search starts */
    const char *last; /* the end of the last match: an empty match there is skipped */
    const char *p;
    mstate ms;
} gmatch_state;

static int gmatch_next(lua_State *L)
{
    gmatch_state *g = lua_touserdata(L, lua_upvalueindex(3));
    const char *src;

    g->ms.L = L;
    for (src = g->src; src <= g->ms.s_end; src++) {
        const char *e;
        reset(&g->ms);
        if ((e = match(&g->ms, src, g->p)) != NULL && e != g->last) {
            g->src = g->last = e;
            return push_captures(&g->ms, src, e);
        }
    }
    return 0;
}

static int p_gmatch(lua_State *L)
{
    size_t ls, lp, init;
    const char *s = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    const pattern_meter *m = meter_of(L);
    gmatch_state *g;

    init = start_at(luaL_optinteger(L, 3, 1), ls) - 1;
    lua_settop(L, 2);
    g = lua_newuserdatauv(L, sizeof *g, 0);
    if (init > ls)
        init = ls + 1; /* past the end: nothing to find */
    init_state(&g->ms, L, s, ls, p, lp, m);
    g->src = s + init;
    g->p = p;
    g->last = NULL;
    lua_pushcclosure(L, gmatch_next, 3);
    return 1;
}

/* gsub's replacement string for the match [s, e): %0 to %9 and %%. */
static void add_string(mstate *ms, luaL_Buffer *b, const char *s, const char *e)
{
    size_t l;
    const char *r = lua_tolstring(ms->L, 3, &l), *pc;

    while ((pc = memchr(r, ESC, l)) != NULL) {
        luaL_addlstring(b, r, (size_t)(pc - r));
        pc++;
        if (*pc == ESC) {
            luaL_addchar(b, ESC);
        } else if (*pc == '0') {
            luaL_addlstring(b, s, (size_t)(e - s));
        } else if (isdigit((unsigned char)*pc)) {
            const char *at;
            ptrdiff_t len = get_capture(ms, *pc - '1', s, e, &at);
            if (len == CAP_POSITION)
                luaL_addvalue(b);
            else
                luaL_addlstring(b, at, (size_t)len);
        } else {
            luaL_error(ms->L, "invalid use of '%c' in replacement string", ESC);
        }
        l -= (size_t)(pc + 1 - r);
        r = pc + 1;
    }
    luaL_addlstring(b, r, l);
}

/* gsub's replacement for the match [s, e), by its kind (argument 3). */
static void add_value(mstate *ms, luaL_Buffer *b, const char *s, const char *e, int kind)
{
    lua_State *L = ms->L;

    switch (kind) {
    case LUA_TFUNCTION:
        lua_pushvalue(L, 3);
        lua_call(L, push_captures(ms, s, e), 1);
        break;
    case LUA_TTABLE:
        push_capture(ms, 0, s, e);
        lua_gettable(L, 3);
        break;
    default:
        add_string(ms, b, s, e);
        return;
    }
    if (!lua_toboolean(L, -1)) {
        lua_pop(L, 1);
        luaL_addlstring(b, s, (size_t)(e - s)); /* false or nil: keep the text */
        return;
    }
    if (!lua_isstring(L, -1))
        luaL_error(L, "invalid replacement value (a %s)", luaL_typename(L, -1));
    luaL_addvalue(b);
}

static int p_gsub(lua_State *L)
{
    size_t ls, lp;
    const char *src = luaL_checklstring(L, 1, &ls);
    const char *p = luaL_checklstring(L, 2, &lp);
    const char *last = NULL;
    int kind = lua_type(L, 3);
    lua_Integer max = luaL_optinteger(L, 4, (lua_Integer)ls + 1), n = 0;
    int anchor = *p == '^';
    mstate ms;
    luaL_Buffer b;

    luaL_argexpected(L, kind == LUA_TNUMBER || kind == LUA_TSTRING || kind == LUA_TFUNCTION ||
                            kind == LUA_TTABLE,
                     3, "string/function/table");
    luaL_buffinit(L, &b);
    if (anchor) {
        p++;
        lp--;
    }
    init_state(&ms, L, src, ls, p, lp, meter_of(L));
    while (n < max) {
        const char *e;
        reset(&ms);
        if ((e = match(&ms, src, p)) != NULL && e != last) {
            n++;
            add_value(&ms, &b, src, e, kind);
            src = last = e;
        } else if (src < ms.s_end) {
            luaL_addchar(&b, *src++);
        } else {
            break;
        }
        if (anchor)
            break;
    }
    luaL_addlstring(&b, src, (size_t)(ms.s_end - src));
    luaL_pushresult(&b);
    lua_pushinteger(L, n);
    return 2;
}

void pattern_install(lua_State *L, int t, const pattern_meter *m)
{
    static const luaL_Reg fns[] = {
        {"match", p_match}, {"gmatch", p_gmatch}, {"gsub", p_gsub}, {NULL, NULL}};
    const luaL_Reg *f;

    t = lua_absindex(L, t);
    for (f = fns; f->name; f++) {
        lua_pushlightuserdata(L, (void *)(uintptr_t)m);
        lua_pushcclosure(L, f->func, 1);
        lua_setfield(L, t, f->name);
    }
    lua_pushlightuserdata(L, (void *)(uintptr_t)m);
    lua_getfield(L, t, "find");
    lua_pushcclosure(L, p_find, 2);
    lua_setfield(L, t, "find");
}
