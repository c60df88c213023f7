/* ruletable.c - segment rules as readable thresholds, parsed and evaluated in C. */
#include "ruletable.h"

#include <ctype.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* ------------------------------------------------------------ parsing */

typedef struct parser {
    ruletable *t;
    const char *text, *p;
    int off;                /* of the error */
    char *msg;
    size_t msgsize;
    int depth;
} parser;

static int perr(parser *ps, const char *at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

static int perr(parser *ps, const char *at, const char *fmt, ...)
{
    va_list ap;

    ps->off = (int)(at - ps->text);
    va_start(ap, fmt);
    vsnprintf(ps->msg, ps->msgsize, fmt, ap);
    va_end(ap);
    return -1;
}

static void skip(parser *ps)
{
    while (*ps->p == ' ' || *ps->p == '\t')
        ps->p++;
}

static size_t ident_len(const char *p)
{
    size_t n = 0;

    if (!isalpha((unsigned char)*p) && *p != '_')
        return 0;
    while (isalnum((unsigned char)p[n]) || p[n] == '_')
        n++;
    return n;
}

/* Whether the word w comes next (a whole word); skips it if so. */
static int word(parser *ps, const char *w)
{
    size_t n = strlen(w);

    skip(ps);
    if (strncmp(ps->p, w, n) != 0 || isalnum((unsigned char)ps->p[n]) || ps->p[n] == '_')
        return 0;
    ps->p += n;
    return 1;
}

static int node(parser *ps, rt_op op, int a, int b)
{
    ruletable *t = ps->t;
    rt_node *nd;

    t->nodes = xrealloc(t->nodes, (t->nnodes + 1) * sizeof *t->nodes);
    nd = &t->nodes[t->nnodes];
    memset(nd, 0, sizeof *nd);
    nd->op = op;
    nd->a = a;
    nd->b = b;
    nd->index = -1;
    return (int)t->nnodes++;
}

static int any_of(parser *ps);

/* A comparison, "not" one, or a condition in parentheses. */
static int term(parser *ps)
{
    static const struct {
        const char *s;
        rt_op op;
    } ops[] = {{"<=", RT_LE}, {">=", RT_GE}, {"==", RT_EQ}, {"!=", RT_NE},
               {"<", RT_LT},  {">", RT_GT}};
    const char *name, *num;
    char *end;
    size_t n, i;
    int k;
    rt_op op = RT_LT;
    double v;

    skip(ps);
    if (word(ps, "not")) {
        if (++ps->depth > 32)
            return perr(ps, ps->p, "conditions nest at most 32 deep (\"not\" and parentheses)");
        if ((k = term(ps)) < 0)
            return -1;
        ps->depth--;
        return node(ps, RT_NOT, k, -1);
    }
    skip(ps);
    if (*ps->p == '(') {
        if (++ps->depth > 32)
            return perr(ps, ps->p, "conditions nest at most 32 deep (\"not\" and parentheses)");
        ps->p++;
        if ((k = any_of(ps)) < 0)
            return -1;
        skip(ps);
        if (*ps->p != ')')
            return perr(ps, ps->p, "expected \")\" to close the \"(\"");
        ps->p++;
        ps->depth--;
        return k;
    }
    name = ps->p;
    n = ident_len(name);
    if (n == 0)
        return perr(ps, name, "expected a comparison such as \"revenue_12m >= 2000\"");
    ps->p += n;
    skip(ps);
    for (i = 0; i < sizeof ops / sizeof ops[0]; i++)
        if (strncmp(ps->p, ops[i].s, strlen(ops[i].s)) == 0)
            break;
    if (i == sizeof ops / sizeof ops[0]) {
        if (*ps->p == '=' || strncmp(ps->p, "~=", 2) == 0)
            return perr(ps, ps->p, "comparisons are < <= > >= == !=");
        return perr(ps, ps->p, "expected a comparison after \"%.*s\": < <= > >= == != and "
                    "a number", (int)n, name);
    }
    op = ops[i].op;
    ps->p += strlen(ops[i].s);
    skip(ps);
    num = ps->p;
    if (!(isdigit((unsigned char)*num) || ((*num == '-' || *num == '+' || *num == '.') &&
                                           (isdigit((unsigned char)num[1]) || num[1] == '.'))))
        return perr(ps, num, "a field is compared with a number, as in \"%.*s %s 10\"", (int)n,
                    name, ops[i].s);
    v = strtod(num, &end);
    if (end == num || !isfinite(v) || isalpha((unsigned char)*end) || *end == '_')
        return perr(ps, num, "\"%.*s\" is not a number", (int)strcspn(num, " \t)"), num);
    ps->p = end;
    k = node(ps, op, -1, -1);
    ps->t->nodes[k].field = xstrndup(name, n);
    ps->t->nodes[k].value = v;
    ps->t->nodes[k].col = (int)(name - ps->text); /* made a column by ruletable_add */
    return k;
}

/* Comparisons joined by "and". */
static int all_of(parser *ps)
{
    int a = term(ps), b;

    while (a >= 0 && word(ps, "and")) {
        if ((b = term(ps)) < 0)
            return -1;
        a = node(ps, RT_AND, a, b);
    }
    return a;
}

/* Conjunctions joined by "or". */
static int any_of(parser *ps)
{
    int a = all_of(ps), b;

    while (a >= 0 && word(ps, "or")) {
        if ((b = all_of(ps)) < 0)
            return -1;
        a = node(ps, RT_OR, a, b);
    }
    return a;
}

int ruletable_add(ruletable *t, const char *text, const char *const *names, size_t nnames,
                  int line, int col, int *off, char *msg, size_t msgsize)
{
    parser ps;
    rt_rule r;
    size_t i, best = 0, first = t->nnodes;
    int seg = -1;

    memset(&ps, 0, sizeof ps);
    ps.t = t;
    ps.text = text;
    ps.msg = msg;
    ps.msgsize = msgsize;
    r.line = line;
    r.col = col;
    r.cond = -1;
    /* The longest listed name the text starts with, as a whole. */
    for (i = 0; i < nnames; i++) {
        size_t n = strlen(names[i]);
        if (n > best && strncmp(text, names[i], n) == 0 &&
            (text[n] == '\0' || text[n] == ' ' || text[n] == '\t')) {
            best = n;
            seg = (int)i;
        }
    }
    if (seg < 0) {
        strbuf list = {0};
        for (i = 0; i < nnames; i++)
            sb_printf(&list, "%s%s", i ? ", " : "", names[i]);
        perr(&ps, text, "a rule starts with a segment of the list (%s), then \"if\" and a "
             "condition", list.s ? list.s : "");
        sb_free(&list);
        *off = ps.off;
        return -1;
    }
    r.segment = seg;
    ps.p = text + best;
    skip(&ps);
    if (*ps.p) {
        if (!word(&ps, "if")) {
            perr(&ps, ps.p, "expected \"if\" and a condition after the segment \"%s\"",
                 names[seg]);
            *off = ps.off;
            return -1;
        }
        if ((r.cond = any_of(&ps)) < 0) {
            *off = ps.off;
            return -1;
        }
        skip(&ps);
        if (*ps.p) {
            perr(&ps, ps.p, "expected \"and\", \"or\" or the end of the rule, not \"%s\"", ps.p);
            *off = ps.off;
            return -1;
        }
    }
    for (i = first; i < t->nnodes; i++) {
        t->nodes[i].line = line;
        t->nodes[i].col += col;
    }
    t->rules = xrealloc(t->rules, (t->nrules + 1) * sizeof *t->rules);
    t->rules[t->nrules++] = r;
    return 0;
}

/* ------------------------------------------------------------ evaluation */

static int holds(const ruletable *t, int k, const double *vals, size_t stride)
{
    const rt_node *nd = &t->nodes[k];
    double v;

    switch (nd->op) {
    case RT_AND:
        return holds(t, nd->a, vals, stride) && holds(t, nd->b, vals, stride);
    case RT_OR:
        return holds(t, nd->a, vals, stride) || holds(t, nd->b, vals, stride);
    case RT_NOT:
        return !holds(t, nd->a, vals, stride);
    default:
        break;
    }
    v = vals[(size_t)nd->index * stride];
    if (isnan(v))
        return 0;
    switch (nd->op) {
    case RT_LT:
        return v < nd->value;
    case RT_LE:
        return v <= nd->value;
    case RT_GT:
        return v > nd->value;
    case RT_GE:
        return v >= nd->value;
    case RT_EQ:
        return v == nd->value;
    default:
        return v != nd->value;
    }
}

int ruletable_eval(const ruletable *t, const double *vals, size_t stride)
{
    size_t i;

    for (i = 0; i < t->nrules; i++)
        if (t->rules[i].cond < 0 || holds(t, t->rules[i].cond, vals, stride))
            return t->rules[i].segment;
    return -1;
}

void ruletable_free(ruletable *t)
{
    size_t i;

    if (!t)
        return;
    for (i = 0; i < t->nnodes; i++)
        free(t->nodes[i].field);
    free(t->nodes);
    free(t->rules);
    free(t);
}
