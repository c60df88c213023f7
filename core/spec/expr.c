/*
 * expr.c - parsing, typing and evaluating the expressions of derived columns
 * and row conditions.
 *
 * Grammar (lowest precedence first):
 *   or     := and ("or" and)*
 *   and    := not ("and" not)*
 *   not    := "not" not | cmp
 *   cmp    := sum [("==" | "!=" | "<" | "<=" | ">" | ">=") sum
 *                  | ["not"] "in" "[" literal ("," literal)* "]"]
 *   sum    := prod (("+" | "-") prod)*
 *   prod   := unary (("*" | "/") unary)*
 *   unary  := "-" unary | primary
 *   primary:= number | "text" | 'text' | true | false | null | column
 *           | `any column name` | name "(" args ")" | "(" or ")"
 *
 * The tree is an array of nodes; a node's children are indexes into it. Each
 * node's type is fixed when it is parsed, so evaluation only checks for null.
 */
#include "expr.h"

#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

enum {
    OP_LIT, OP_COL, OP_NEG, OP_NOT, OP_ADD, OP_SUB, OP_MUL, OP_DIV,
    OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE, OP_AND, OP_OR, OP_IN, OP_CALL
};

enum { F_STARTS, F_ENDS, F_CONTAINS, F_LOWER, F_UPPER, F_TRIM, F_LENGTH, F_ABS, F_ROUND,
       F_COALESCE, F_COUNT };

static const struct {
    const char *name;
    int min, max;
} fns[F_COUNT] = {
    {"starts_with", 2, 2}, {"ends_with", 2, 2}, {"contains", 2, 2}, {"lower", 1, 1},
    {"upper", 1, 1},       {"trim", 1, 1},      {"length", 1, 1},   {"abs", 1, 1},
    {"round", 1, 2},       {"coalesce", 2, 2},
};

#define MAX_ARGS 2
#define MAX_DEPTH 64

typedef struct node {
    int op, fn;
    expr_type type;
    int a[MAX_ARGS];  /* children: operands, or a call's arguments */
    int nargs;
    int first, n;     /* IN: the list's literals, x->lits[first .. first+n) */
    int negate;       /* IN: "not in" */
    int col;          /* COL: index in x->cols */
    expr_val lit;     /* LIT */
} node;

typedef struct ref {
    char *name;
    expr_type type;
    int declared;     /* the spec declares the column (else it is text) */
} ref;

struct expr_code {
    node *nodes;
    int nnodes, root;
    expr_val *lits;   /* the literals of IN lists */
    int nlits;
    ref *cols;
    size_t ncols;
    char **texts;     /* owned text of literals */
    size_t ntexts;
};

/* ------------------------------------------------------------ parsing */

enum { T_END, T_NUM, T_STR, T_NAME, T_QNAME, T_OP };

typedef struct parser {
    const char *s;
    size_t pos;       /* the next byte */
    int tok;          /* the current token */
    size_t at, len;   /* its place and length */
    char op[3];       /* T_OP: the operator */
    expr_code *x;
    const expr_column *decl;
    size_t ndecl;
    expr_error *e;
    int failed, depth;
} parser;

static const char *type_name(expr_type t)
{
    static const char *const names[] = {"null", "a boolean", "an integer", "a number", "text",
                                        "a date"};
    return names[t];
}

static int bad(parser *p, size_t at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int bad(parser *p, size_t at, const char *fmt, ...)
{
    va_list ap;

    if (p->failed)
        return -1;
    p->failed = 1;
    p->e->at = at;
    va_start(ap, fmt);
    vsnprintf(p->e->msg, sizeof p->e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

static int is_name_start(char c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_';
}

static int is_name_char(char c)
{
    return is_name_start(c) || (c >= '0' && c <= '9');
}

/* Read the next token into p. */
static int next(parser *p)
{
    const char *s = p->s;
    size_t i = p->pos;

    while (s[i] == ' ' || s[i] == '\t' || s[i] == '\n' || s[i] == '\r')
        i++;
    p->at = i;
    if (!s[i]) {
        p->tok = T_END;
        p->len = 0;
        p->pos = i;
        return 0;
    }
    if ((s[i] >= '0' && s[i] <= '9') || (s[i] == '.' && s[i + 1] >= '0' && s[i + 1] <= '9')) {
        while (is_name_char(s[i]) || s[i] == '.')
            i++;
        p->tok = T_NUM;
    } else if (is_name_start(s[i])) {
        while (is_name_char(s[i]))
            i++;
        p->tok = T_NAME;
    } else if (s[i] == '"' || s[i] == '\'' || s[i] == '`') {
        char q = s[i++];
        while (s[i] && s[i] != q)
            i += s[i] == '\\' && s[i + 1] ? 2 : 1;
        if (!s[i])
            return bad(p, p->at, "this %s is never closed", q == '`' ? "`" : "quote");
        i++;
        p->tok = q == '`' ? T_QNAME : T_STR;
    } else {
        static const char *const ops[] = {"==", "!=", "<=", ">=", "<", ">", "+", "-", "*",
                                          "/",  "(",  ")",  "[",  "]", ","};
        size_t k;
        for (k = 0; k < sizeof ops / sizeof *ops; k++)
            if (strncmp(s + i, ops[k], strlen(ops[k])) == 0)
                break;
        if (k == sizeof ops / sizeof *ops) {
            if (s[i] == '=')
                return bad(p, i, "\"=\" is not an operator; compare with \"==\"");
            return bad(p, i, "unexpected \"%c\"", s[i]);
        }
        snprintf(p->op, sizeof p->op, "%s", ops[k]);
        i += strlen(ops[k]);
        p->tok = T_OP;
    }
    p->len = i - p->at;
    p->pos = i;
    return 0;
}

static int is_op(const parser *p, const char *op)
{
    return p->tok == T_OP && strcmp(p->op, op) == 0;
}

static int is_word(const parser *p, const char *w)
{
    return p->tok == T_NAME && p->len == strlen(w) && strncmp(p->s + p->at, w, p->len) == 0;
}

/* What the current token is, for messages. */
static const char *tok_text(const parser *p, char *buf, size_t n)
{
    if (p->tok == T_END)
        return "the end";
    snprintf(buf, n, "\"%.*s\"", (int)(p->len > 40 ? 40 : p->len), p->s + p->at);
    return buf;
}

static int add_node(parser *p, int op, expr_type t)
{
    expr_code *x = p->x;
    node *n;

    x->nodes = xrealloc(x->nodes, (size_t)(x->nnodes + 1) * sizeof *x->nodes);
    n = &x->nodes[x->nnodes];
    memset(n, 0, sizeof *n);
    n->op = op;
    n->type = t;
    return x->nnodes++;
}

static char *keep_text(expr_code *x, const char *s, size_t n)
{
    x->texts = xrealloc(x->texts, (x->ntexts + 1) * sizeof *x->texts);
    return x->texts[x->ntexts++] = xstrndup(s, n);
}

/* The current token as a literal: a number, a text, true, false or null. */
static int literal(parser *p, expr_val *v)
{
    const char *s = p->s + p->at;
    char buf[64];

    memset(v, 0, sizeof *v);
    if (p->tok == T_NUM) {
        char *end;
        int whole = 1;
        size_t k;
        if (p->len >= sizeof buf)
            return bad(p, p->at, "the number \"%.*s\" is too long", (int)p->len, s);
        memcpy(buf, s, p->len);
        buf[p->len] = '\0';
        for (k = 0; k < p->len; k++)
            whole &= buf[k] >= '0' && buf[k] <= '9';
        if (whole && p->len <= 18) {
            v->t = EXPR_INT;
            v->i = strtoll(buf, &end, 10);
        } else {
            v->t = EXPR_NUM;
            v->n = strtod(buf, &end);
            if (*end || !isfinite(v->n))
                return bad(p, p->at, "\"%s\" is not a number", buf);
        }
        return next(p);
    }
    if (p->tok == T_STR) {
        char *out = keep_text(p->x, s + 1, p->len - 2), *o = out;
        const char *q;
        for (q = s + 1; q < s + p->len - 1; q++) {
            if (*q == '\\' && q + 1 < s + p->len - 1)
                q++;
            *o++ = *q;
        }
        *o = '\0';
        v->t = EXPR_STR;
        v->s = out;
        v->len = (size_t)(o - out);
        return next(p);
    }
    if (is_word(p, "true") || is_word(p, "false")) {
        v->t = EXPR_BOOL;
        v->i = is_word(p, "true");
        return next(p);
    }
    if (is_word(p, "null")) {
        v->t = EXPR_NULL;
        return next(p);
    }
    return bad(p, p->at, "expected a value (a number, \"text\", true, false or null), not %s",
               tok_text(p, buf, sizeof buf));
}

static int parse_or(parser *p);

/* A column named at the current token (a name, or `any name`). */
static int column(parser *p)
{
    expr_code *x = p->x;
    char *name;
    size_t i;
    int n, declared;
    expr_type t = EXPR_STR;

    if (p->tok == T_QNAME)
        name = xstrndup(p->s + p->at + 1, p->len - 2);
    else
        name = xstrndup(p->s + p->at, p->len);
    for (i = 0; i < p->ndecl; i++)
        if (strcmp(p->decl[i].name, name) == 0)
            break;
    declared = i < p->ndecl;
    if (declared) {
        switch (p->decl[i].type) {
        case QUIRE_T_INTEGER: t = EXPR_INT; break;
        case QUIRE_T_NUMBER: t = EXPR_NUM; break;
        case QUIRE_T_DATE: t = EXPR_DATE; break;
        case QUIRE_T_BOOLEAN: t = EXPR_BOOL; break;
        default: t = EXPR_STR; break;
        }
    }
    for (i = 0; i < x->ncols; i++)
        if (strcmp(x->cols[i].name, name) == 0)
            break;
    if (i == x->ncols) {
        x->cols = xrealloc(x->cols, (x->ncols + 1) * sizeof *x->cols);
        x->cols[i].name = name;
        x->cols[i].type = t;
        x->cols[i].declared = declared;
        x->ncols++;
    } else {
        free(name);
    }
    n = add_node(p, OP_COL, t);
    x->nodes[n].col = (int)i;
    return next(p) ? -1 : n;
}

static int date_literal(parser *p, int lit, int date, size_t at);

static int numeric(expr_type t)
{
    return t == EXPR_INT || t == EXPR_NUM || t == EXPR_NULL;
}

/* For a type error: when operand a or b is a column the spec does not
 * declare, say that it is read as text and how to declare it. */
static const char *undeclared(const parser *p, int a, int b, char *hint, size_t size)
{
    const node *n[2];
    int k;

    n[0] = &p->x->nodes[a];
    n[1] = b >= 0 ? &p->x->nodes[b] : NULL;
    for (k = 0; k < 2; k++)
        if (n[k] && n[k]->op == OP_COL && !p->x->cols[n[k]->col].declared) {
            snprintf(hint, size, "; %s is not among the source's columns, so it is "
                     "text (declare it: %s: number)", p->x->cols[n[k]->col].name,
                     p->x->cols[n[k]->col].name);
            return hint;
        }
    return "";
}

static int call(parser *p)
{
    size_t at = p->at, k;
    int f, n, args[MAX_ARGS], nargs = 0;
    char buf[64];
    expr_type t;

    for (f = 0; f < F_COUNT; f++)
        if (p->len == strlen(fns[f].name) && strncmp(p->s + p->at, fns[f].name, p->len) == 0)
            break;
    if (f == F_COUNT) {
        const char *names[F_COUNT], *hint;
        char *w = xstrndup(p->s + p->at, p->len);
        for (k = 0; k < F_COUNT; k++)
            names[k] = fns[k].name;
        hint = closest_word(w, names, F_COUNT);
        bad(p, at, "unknown function \"%s\"%s%s%s; functions: starts_with, ends_with, contains, "
            "lower, upper, trim, length, abs, round, coalesce", w, hint ? " (did you mean \"" : "",
            hint ? hint : "", hint ? "\"?)" : "");
        free(w);
        return -1;
    }
    if (next(p) || next(p)) /* the name, the "(" */
        return -1;
    while (!is_op(p, ")")) {
        if (nargs == fns[f].max)
            return bad(p, p->at, "%s takes %d argument%s", fns[f].name, fns[f].max,
                       fns[f].max == 1 ? "" : "s");
        if ((args[nargs++] = parse_or(p)) < 0)
            return -1;
        if (is_op(p, ",")) {
            if (next(p))
                return -1;
        } else if (!is_op(p, ")")) {
            return bad(p, p->at, "expected \",\" or \")\" in the arguments of %s, not %s",
                       fns[f].name, tok_text(p, buf, sizeof buf));
        }
    }
    if (nargs < fns[f].min)
        return bad(p, at, "%s takes %d argument%s", fns[f].name, fns[f].min,
                   fns[f].min == 1 ? "" : "s");
    if (next(p))
        return -1;
#define ARG(i) (p->x->nodes[args[i]].type)
    switch (f) {
    case F_STARTS:
    case F_ENDS:
    case F_CONTAINS:
        if ((ARG(0) != EXPR_STR && ARG(0) != EXPR_NULL) || (ARG(1) != EXPR_STR && ARG(1) != EXPR_NULL))
            return bad(p, at, "%s takes two texts", fns[f].name);
        t = EXPR_BOOL;
        break;
    case F_LOWER:
    case F_UPPER:
    case F_TRIM:
    case F_LENGTH:
        if (ARG(0) != EXPR_STR && ARG(0) != EXPR_NULL)
            return bad(p, at, "%s takes a text, not %s", fns[f].name, type_name(ARG(0)));
        t = f == F_LENGTH ? EXPR_INT : EXPR_STR;
        break;
    case F_ABS:
    case F_ROUND:
        if (!numeric(ARG(0)) || (nargs == 2 && ARG(1) != EXPR_INT))
            return bad(p, at, "%s takes a number%s", fns[f].name,
                       f == F_ROUND ? " and a whole number of decimals" : "");
        t = f == F_ROUND || ARG(0) == EXPR_NUM ? EXPR_NUM : EXPR_INT;
        break;
    default: /* coalesce */
        if (date_literal(p, args[1], args[0], at))
            return -1;
        t = ARG(0) == EXPR_NULL ? ARG(1) : ARG(0);
        if (ARG(1) != EXPR_NULL && ARG(1) != t && !(numeric(ARG(1)) && numeric(t)))
            return bad(p, at, "coalesce takes two values of one type, not %s and %s",
                       type_name(ARG(0)), type_name(ARG(1)));
        if (numeric(ARG(0)) && numeric(ARG(1)) && (ARG(0) == EXPR_NUM || ARG(1) == EXPR_NUM))
            t = EXPR_NUM;
        break;
    }
#undef ARG
    n = add_node(p, OP_CALL, t);
    p->x->nodes[n].fn = f;
    p->x->nodes[n].nargs = nargs;
    for (k = 0; k < (size_t)nargs; k++)
        p->x->nodes[n].a[k] = args[k];
    return n;
}

static int primary(parser *p)
{
    char buf[64];
    int n;

    if (++p->depth > MAX_DEPTH)
        return bad(p, p->at, "the expression is nested more than %d deep", MAX_DEPTH);
    if (is_op(p, "(")) {
        if (next(p) || (n = parse_or(p)) < 0)
            return -1;
        if (!is_op(p, ")"))
            return bad(p, p->at, "expected \")\", not %s", tok_text(p, buf, sizeof buf));
        p->depth--;
        return next(p) ? -1 : n;
    }
    if (is_op(p, "-")) {
        size_t at = p->at;
        int a;
        if (next(p) || (a = primary(p)) < 0)
            return -1;
        if (!numeric(p->x->nodes[a].type))
            return bad(p, at, "\"-\" takes a number, not %s", type_name(p->x->nodes[a].type));
        n = add_node(p, OP_NEG, p->x->nodes[a].type);
        p->x->nodes[n].a[0] = a;
        p->depth--;
        return n;
    }
    if (p->tok == T_QNAME) {
        p->depth--;
        return column(p);
    }
    if (p->tok == T_NAME && !is_word(p, "true") && !is_word(p, "false") && !is_word(p, "null")) {
        static const char *const reserved[] = {"and", "or", "not", "in"};
        size_t k;
        p->depth--;
        if (p->s[p->pos] == '(')
            return call(p);
        for (k = 0; k < 4; k++)
            if (is_word(p, reserved[k]))
                return bad(p, p->at, "expected a value, not \"%s\" (a column of that name is "
                           "written `%s`)", reserved[k], reserved[k]);
        return column(p);
    }
    n = add_node(p, OP_LIT, EXPR_NULL);
    {
        expr_val v;
        if (literal(p, &v))
            return -1;
        p->x->nodes[n].lit = v;
        p->x->nodes[n].type = v.t;
    }
    p->depth--;
    return n;
}

static int binary(parser *p, int op, int a, int b, size_t at, const char *name)
{
    char hint[200];
    expr_code *x = p->x;
    expr_type ta = x->nodes[a].type, tb = x->nodes[b].type, t;
    int n;

    if (op == OP_ADD && (ta == EXPR_STR || tb == EXPR_STR)) {
        if ((ta != EXPR_STR && ta != EXPR_NULL) || (tb != EXPR_STR && tb != EXPR_NULL))
            return bad(p, at, "\"+\" joins two texts or adds two numbers, not %s and %s",
                       type_name(ta), type_name(tb));
        t = EXPR_STR;
    } else {
        if (!numeric(ta) || !numeric(tb))
            return bad(p, at, "\"%s\" takes numbers, not %s and %s%s", name, type_name(ta),
                       type_name(tb), undeclared(p, a, b, hint, sizeof hint));
        t = op == OP_DIV || ta == EXPR_NUM || tb == EXPR_NUM ? EXPR_NUM : EXPR_INT;
    }
    n = add_node(p, op, t);
    x->nodes[n].a[0] = a;
    x->nodes[n].a[1] = b;
    return n;
}

static int prod(parser *p)
{
    int a = primary(p), b;

    while (a >= 0 && (is_op(p, "*") || is_op(p, "/"))) {
        size_t at = p->at;
        int op = is_op(p, "*") ? OP_MUL : OP_DIV;
        if (next(p) || (b = primary(p)) < 0)
            return -1;
        a = binary(p, op, a, b, at, op == OP_MUL ? "*" : "/");
    }
    return a;
}

static int sum(parser *p)
{
    int a = prod(p), b;

    while (a >= 0 && (is_op(p, "+") || is_op(p, "-"))) {
        size_t at = p->at;
        int op = is_op(p, "+") ? OP_ADD : OP_SUB;
        if (next(p) || (b = prod(p)) < 0)
            return -1;
        a = binary(p, op, a, b, at, op == OP_ADD ? "+" : "-");
    }
    return a;
}

/* Whether values of types a and b compare: the same kind, or a null. */
static int comparable(expr_type a, expr_type b)
{
    return a == EXPR_NULL || b == EXPR_NULL || a == b || (numeric(a) && numeric(b));
}

/* A text literal compared with a date becomes a date: InvoiceDate >= "2011-01-01". */
static int date_literal(parser *p, int lit, int date, size_t at)
{
    node *l = &p->x->nodes[lit];
    int64_t d;

    if (p->x->nodes[date].type != EXPR_DATE || l->op != OP_LIT || l->type != EXPR_STR)
        return 0;
    if (quire_parse_iso_date(l->lit.s, l->lit.len, &d))
        return bad(p, at, "\"%s\" is not a date (YYYY-MM-DD) to compare a date with", l->lit.s);
    l->type = l->lit.t = EXPR_DATE;
    l->lit.i = d;
    return 0;
}

static int in_list(parser *p, int a, int negate)
{
    expr_code *x = p->x;
    expr_type ta = x->nodes[a].type;
    char buf[64];
    int n, first = x->nlits;

    if (next(p))
        return -1;
    if (!is_op(p, "["))
        return bad(p, p->at, "\"in\" takes a list: in [\"a\", \"b\"]");
    if (next(p))
        return -1;
    for (;;) {
        expr_val v;
        size_t vat = p->at;
        if (literal(p, &v))
            return -1;
        if (v.t == EXPR_STR && ta == EXPR_DATE) {
            if (quire_parse_iso_date(v.s, v.len, &v.i))
                return bad(p, vat, "\"%s\" is not a date (YYYY-MM-DD)", v.s);
            v.t = EXPR_DATE;
        }
        if (v.t == EXPR_NULL || !comparable(ta, v.t))
            return bad(p, vat, "the list holds %s where %s is looked for", type_name(v.t),
                       type_name(ta));
        x->lits = xrealloc(x->lits, (size_t)(x->nlits + 1) * sizeof *x->lits);
        x->lits[x->nlits++] = v;
        if (is_op(p, "]"))
            break;
        if (!is_op(p, ","))
            return bad(p, p->at, "expected \",\" or \"]\" in the list, not %s",
                       tok_text(p, buf, sizeof buf));
        if (next(p))
            return -1;
    }
    n = add_node(p, OP_IN, EXPR_BOOL);
    x->nodes[n].a[0] = a;
    x->nodes[n].first = first;
    x->nodes[n].n = x->nlits - first;
    x->nodes[n].negate = negate;
    return next(p) ? -1 : n;
}

static int cmp(parser *p)
{
    static const char *const ops[] = {"==", "!=", "<", "<=", ">", ">="};
    static const int codes[] = {OP_EQ, OP_NE, OP_LT, OP_LE, OP_GT, OP_GE};
    char hint[200];
    int a = sum(p), b, n;
    size_t k, at;
    expr_type ta, tb;

    if (a < 0)
        return -1;
    at = p->at;
    if (is_word(p, "in"))
        return in_list(p, a, 0);
    if (is_word(p, "not")) {
        if (next(p))
            return -1;
        if (!is_word(p, "in"))
            return bad(p, at, "expected \"not in\" or an operator here");
        return in_list(p, a, 1);
    }
    for (k = 0; k < 6; k++)
        if (is_op(p, ops[k]))
            break;
    if (k == 6)
        return a;
    if (next(p) || (b = sum(p)) < 0)
        return -1;
    if (date_literal(p, b, a, at) || date_literal(p, a, b, at))
        return -1;
    ta = p->x->nodes[a].type;
    tb = p->x->nodes[b].type;
    if (!comparable(ta, tb))
        return bad(p, at, "\"%s\" compares values of one kind, not %s and %s%s", ops[k],
                   type_name(ta), type_name(tb), undeclared(p, a, b, hint, sizeof hint));
    if ((ta == EXPR_NULL || tb == EXPR_NULL) && codes[k] != OP_EQ && codes[k] != OP_NE)
        return bad(p, at, "only == and != compare with null");
    if ((ta == EXPR_BOOL || tb == EXPR_BOOL) && codes[k] != OP_EQ && codes[k] != OP_NE)
        return bad(p, at, "booleans compare with == and != only");
    n = add_node(p, codes[k], EXPR_BOOL);
    p->x->nodes[n].a[0] = a;
    p->x->nodes[n].a[1] = b;
    return n;
}

static int want_bool(parser *p, int a, size_t at, const char *op)
{
    expr_type t = p->x->nodes[a].type;

    if (t == EXPR_BOOL || t == EXPR_NULL)
        return 0;
    return bad(p, at, "\"%s\" takes conditions (true or false), not %s", op, type_name(t));
}

static int parse_not(parser *p)
{
    size_t at = p->at;
    int a, n;

    if (!is_word(p, "not"))
        return cmp(p);
    if (++p->depth > MAX_DEPTH)
        return bad(p, p->at, "the expression is nested more than %d deep", MAX_DEPTH);
    if (next(p) || (a = parse_not(p)) < 0 || want_bool(p, a, at, "not"))
        return -1;
    p->depth--;
    n = add_node(p, OP_NOT, EXPR_BOOL);
    p->x->nodes[n].a[0] = a;
    return n;
}

static int logic(parser *p, int (*sub)(parser *), const char *word, int op)
{
    int a = sub(p), b, n;

    while (a >= 0 && is_word(p, word)) {
        size_t at = p->at;
        if (want_bool(p, a, at, word) || next(p) || (b = sub(p)) < 0 ||
            want_bool(p, b, at, word))
            return -1;
        n = add_node(p, op, EXPR_BOOL);
        p->x->nodes[n].a[0] = a;
        p->x->nodes[n].a[1] = b;
        a = n;
    }
    return a;
}

static int parse_and(parser *p) { return logic(p, parse_not, "and", OP_AND); }

static int parse_or(parser *p) { return logic(p, parse_and, "or", OP_OR); }

expr_code *expr_parse(const char *text, const expr_column *cols, size_t ncols, expr_error *e)
{
    parser p;
    char buf[64];

    memset(&p, 0, sizeof p);
    memset(e, 0, sizeof *e);
    p.s = text;
    p.x = xcalloc(1, sizeof *p.x);
    p.decl = cols;
    p.ndecl = ncols;
    p.e = e;
    if (next(&p))
        goto fail;
    if (p.tok == T_END) {
        bad(&p, 0, "the expression is empty");
        goto fail;
    }
    if ((p.x->root = parse_or(&p)) < 0)
        goto fail;
    if (p.tok != T_END) {
        bad(&p, p.at, "expected an operator or the end, not %s", tok_text(&p, buf, sizeof buf));
        goto fail;
    }
    if (p.x->nodes[p.x->root].type == EXPR_NULL) {
        bad(&p, 0, "the expression is always null");
        goto fail;
    }
    return p.x;
fail:
    expr_free(p.x);
    return NULL;
}

void expr_free(expr_code *x)
{
    size_t i;

    if (!x)
        return;
    for (i = 0; i < x->ncols; i++)
        free(x->cols[i].name);
    for (i = 0; i < x->ntexts; i++)
        free(x->texts[i]);
    free(x->cols);
    free(x->texts);
    free(x->nodes);
    free(x->lits);
    free(x);
}

expr_type expr_result(const expr_code *x) { return x->nodes[x->root].type; }

quire_type expr_column_type(expr_type t)
{
    switch (t) {
    case EXPR_BOOL: return QUIRE_T_BOOLEAN;
    case EXPR_INT: return QUIRE_T_INTEGER;
    case EXPR_NUM: return QUIRE_T_NUMBER;
    case EXPR_DATE: return QUIRE_T_DATE;
    default: return QUIRE_T_STRING;
    }
}

size_t expr_ncolumns(const expr_code *x) { return x->ncols; }

const char *expr_column_name(const expr_code *x, size_t i) { return x->cols[i].name; }


/* ------------------------------------------------------------ evaluation */

#define SCRATCH_BLOCK 4096

static char *scratch(expr_scratch *sc, size_t n)
{
    char *b;

    if (sc->nblocks && sc->used + n <= sc->room) {
        b = sc->blocks[sc->nblocks - 1] + sc->used;
        sc->used += n;
        return b;
    }
    sc->room = n > SCRATCH_BLOCK ? n : SCRATCH_BLOCK;
    sc->blocks = xrealloc(sc->blocks, (sc->nblocks + 1) * sizeof *sc->blocks);
    b = sc->blocks[sc->nblocks++] = xmalloc(sc->room);
    sc->used = n;
    return b;
}

void expr_scratch_reset(expr_scratch *sc)
{
    expr_scratch_free(sc);
}

void expr_scratch_free(expr_scratch *sc)
{
    size_t i;

    for (i = 0; i < sc->nblocks; i++)
        free(sc->blocks[i]);
    free(sc->blocks);
    memset(sc, 0, sizeof *sc);
}

static double num_of(const expr_val *v) { return v->t == EXPR_NUM ? v->n : (double)v->i; }

static void cell_value(const ref *c, uint32_t at, const quire_batch *b, uint32_t r,
                       expr_val *out)
{
    const quire_cell *cell = &b->cols[at][r];
    quire_type t = b->columns[at].type;

    memset(out, 0, sizeof *out);
    if (cell->null)
        return;
    switch (t) {
    case QUIRE_T_STRING:
        out->t = EXPR_STR;
        out->s = cell->v.s.ptr;
        out->len = cell->v.s.len;
        break;
    case QUIRE_T_NUMBER:
        out->t = EXPR_NUM;
        out->n = cell->v.n;
        break;
    case QUIRE_T_INTEGER:
        out->t = EXPR_INT;
        out->i = cell->v.i;
        break;
    case QUIRE_T_DATE:
        out->t = EXPR_DATE;
        out->i = cell->v.i;
        break;
    default:
        out->t = EXPR_BOOL;
        out->i = cell->v.i != 0;
        break;
    }
    /* The batch holds the column with another type than the spec declared
     * (a plugin reading every column as text): compare as the spec says. */
    if (out->t != c->type && !(numeric(out->t) && numeric(c->type)))
        memset(out, 0, sizeof *out);
}

/* -1, 0, 1 as a is below, equal to or above b (same kind, neither null). */
static int compare(const expr_val *a, const expr_val *b)
{
    if (a->t == EXPR_STR) {
        size_t n = a->len < b->len ? a->len : b->len;
        int c = memcmp(a->s, b->s, n);
        if (c)
            return c < 0 ? -1 : 1;
        return a->len < b->len ? -1 : a->len > b->len;
    }
    if (a->t == EXPR_NUM || b->t == EXPR_NUM) {
        double x = num_of(a), y = num_of(b);
        return x < y ? -1 : x > y;
    }
    return a->i < b->i ? -1 : a->i > b->i;
}

static void set_bool(expr_val *v, int b)
{
    memset(v, 0, sizeof *v);
    v->t = EXPR_BOOL;
    v->i = b != 0;
}

static void eval(const expr_code *x, int at, const uint32_t *at_, const quire_batch *b, uint32_t r,
                 expr_scratch *sc, expr_val *out);

static void arith(const node *n, const expr_val *a, const expr_val *c, expr_scratch *sc,
                  expr_val *out)
{
    memset(out, 0, sizeof *out);
    if (n->type == EXPR_STR) { /* "+" of two texts */
        char *s = scratch(sc, a->len + c->len + 1);
        memcpy(s, a->s, a->len);
        memcpy(s + a->len, c->s, c->len);
        out->t = EXPR_STR;
        out->s = s;
        out->len = a->len + c->len;
        return;
    }
    if (n->type == EXPR_INT) {
        int64_t v;
        int over = n->op == OP_ADD   ? __builtin_add_overflow(a->i, c->i, &v)
                   : n->op == OP_SUB ? __builtin_sub_overflow(a->i, c->i, &v)
                                     : __builtin_mul_overflow(a->i, c->i, &v);
        if (!over) {
            out->t = EXPR_INT;
            out->i = v;
        }
        return;
    }
    {
        double x = num_of(a), y = num_of(c), v;
        switch (n->op) {
        case OP_ADD: v = x + y; break;
        case OP_SUB: v = x - y; break;
        case OP_MUL: v = x * y; break;
        default:
            if (y == 0)
                return;
            v = x / y;
            break;
        }
        if (isfinite(v)) {
            out->t = EXPR_NUM;
            out->n = v;
        }
    }
}

static int has(const expr_val *s, const expr_val *p, int fn)
{
    size_t i;

    if (p->len > s->len)
        return 0;
    if (fn == F_STARTS)
        return memcmp(s->s, p->s, p->len) == 0;
    if (fn == F_ENDS)
        return memcmp(s->s + s->len - p->len, p->s, p->len) == 0;
    for (i = 0; i + p->len <= s->len; i++)
        if (memcmp(s->s + i, p->s, p->len) == 0)
            return 1;
    return 0;
}

static void call_fn(const expr_code *x, const node *n, const uint32_t *at_, const quire_batch *b,
                    uint32_t r, expr_scratch *sc, expr_val *out)
{
    expr_val a, c;
    size_t i;

    eval(x, n->a[0], at_, b, r, sc, &a);
    if (n->fn == F_COALESCE) {
        if (a.t == EXPR_NULL)
            eval(x, n->a[1], at_, b, r, sc, &a);
        if (n->type == EXPR_NUM && a.t == EXPR_INT) {
            a.n = (double)a.i;
            a.t = EXPR_NUM;
        }
        *out = a;
        return;
    }
    memset(out, 0, sizeof *out);
    if (a.t == EXPR_NULL)
        return;
    if (n->nargs == 2) {
        eval(x, n->a[1], at_, b, r, sc, &c);
        if (c.t == EXPR_NULL)
            return;
    }
    switch (n->fn) {
    case F_STARTS:
    case F_ENDS:
    case F_CONTAINS:
        set_bool(out, has(&a, &c, n->fn));
        break;
    case F_LOWER:
    case F_UPPER: {
        char *s = scratch(sc, a.len + 1);
        for (i = 0; i < a.len; i++) {
            char ch = a.s[i];
            if (n->fn == F_LOWER && ch >= 'A' && ch <= 'Z')
                ch = (char)(ch + 32);
            else if (n->fn == F_UPPER && ch >= 'a' && ch <= 'z')
                ch = (char)(ch - 32);
            s[i] = ch;
        }
        out->t = EXPR_STR;
        out->s = s;
        out->len = a.len;
        break;
    }
    case F_TRIM:
        while (a.len && (a.s[0] == ' ' || a.s[0] == '\t'))
            a.s++, a.len--;
        while (a.len && (a.s[a.len - 1] == ' ' || a.s[a.len - 1] == '\t'))
            a.len--;
        *out = a;
        break;
    case F_LENGTH: {
        int64_t k = 0;
        for (i = 0; i < a.len; i++) /* characters: UTF-8 continuation bytes not counted */
            k += ((unsigned char)a.s[i] & 0xc0) != 0x80;
        out->t = EXPR_INT;
        out->i = k;
        break;
    }
    case F_ABS:
        if (a.t == EXPR_INT) {
            if (a.i == INT64_MIN)
                return;
            out->t = EXPR_INT;
            out->i = a.i < 0 ? -a.i : a.i;
        } else {
            out->t = EXPR_NUM;
            out->n = fabs(a.n);
        }
        break;
    default: { /* round */
        double v = num_of(&a), k = 1;
        int64_t d = n->nargs == 2 ? c.i : 0;
        if (d < -15 || d > 15)
            return;
        k = pow(10, (double)d);
        out->t = EXPR_NUM;
        out->n = round(v * k) / k;
        if (!isfinite(out->n))
            out->t = EXPR_NULL;
        break;
    }
    }
}

static void eval(const expr_code *x, int at, const uint32_t *at_, const quire_batch *b, uint32_t r,
                 expr_scratch *sc, expr_val *out)
{
    const node *n = &x->nodes[at];
    expr_val a, c;
    int k;

    switch (n->op) {
    case OP_LIT:
        *out = n->lit;
        return;
    case OP_COL:
        cell_value(&x->cols[n->col], at_[n->col], b, r, out);
        return;
    case OP_CALL:
        call_fn(x, n, at_, b, r, sc, out);
        return;
    case OP_NOT:
        eval(x, n->a[0], at_, b, r, sc, &a);
        if (a.t == EXPR_NULL)
            *out = a;
        else
            set_bool(out, !a.i);
        return;
    case OP_NEG:
        eval(x, n->a[0], at_, b, r, sc, &a);
        *out = a;
        if (a.t == EXPR_NUM)
            out->n = -a.n;
        else if (a.t == EXPR_INT && a.i != INT64_MIN)
            out->i = -a.i;
        else
            memset(out, 0, sizeof *out);
        return;
    case OP_AND:
    case OP_OR:
        /* Three values: false and null is false, true or null is true. */
        eval(x, n->a[0], at_, b, r, sc, &a);
        if (a.t != EXPR_NULL && a.i == (n->op == OP_OR)) {
            set_bool(out, a.i);
            return;
        }
        eval(x, n->a[1], at_, b, r, sc, &c);
        if (c.t != EXPR_NULL && c.i == (n->op == OP_OR))
            set_bool(out, c.i);
        else if (a.t == EXPR_NULL || c.t == EXPR_NULL)
            memset(out, 0, sizeof *out);
        else
            set_bool(out, n->op == OP_AND);
        return;
    case OP_IN:
        eval(x, n->a[0], at_, b, r, sc, &a);
        if (a.t == EXPR_NULL) {
            memset(out, 0, sizeof *out);
            return;
        }
        for (k = 0; k < n->n; k++)
            if (compare(&a, &x->lits[n->first + k]) == 0)
                break;
        set_bool(out, (k < n->n) != n->negate);
        return;
    default:
        break;
    }
    eval(x, n->a[0], at_, b, r, sc, &a);
    eval(x, n->a[1], at_, b, r, sc, &c);
    if (n->op == OP_EQ || n->op == OP_NE) {
        int eq = a.t == EXPR_NULL || c.t == EXPR_NULL ? a.t == c.t : compare(&a, &c) == 0;
        set_bool(out, eq == (n->op == OP_EQ));
        return;
    }
    if (a.t == EXPR_NULL || c.t == EXPR_NULL) {
        memset(out, 0, sizeof *out);
        return;
    }
    switch (n->op) {
    case OP_LT: set_bool(out, compare(&a, &c) < 0); return;
    case OP_LE: set_bool(out, compare(&a, &c) <= 0); return;
    case OP_GT: set_bool(out, compare(&a, &c) > 0); return;
    case OP_GE: set_bool(out, compare(&a, &c) >= 0); return;
    default: arith(n, &a, &c, sc, out); return;
    }
}

void expr_eval(const expr_code *x, const uint32_t *at, const quire_batch *b, uint32_t r,
               expr_scratch *sc, expr_val *out)
{
    eval(x, x->root, at, b, r, sc, out);
    if (x->nodes[x->root].type == EXPR_NUM && out->t == EXPR_INT) {
        out->n = (double)out->i;
        out->t = EXPR_NUM;
    }
}

int expr_true(const expr_val *v) { return v->t == EXPR_BOOL && v->i; }
