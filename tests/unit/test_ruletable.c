/* test_ruletable.c - rule tables: parsed with located errors, evaluated in C. */
#include <math.h>
#include <string.h>

#include "check.h"
#include "ruletable.h"
#include "util.h"

static const char *const names[] = {"VIP", "At Risk", "At", "Regular"};
#define NNAMES 4

/* Fields of the tests: 0 revenue, 1 visits, 2 days. */
static void bind(ruletable *t)
{
    size_t i;

    for (i = 0; i < t->nnodes; i++) {
        if (!t->nodes[i].field)
            continue;
        t->nodes[i].index = strcmp(t->nodes[i].field, "revenue") == 0  ? 0
                            : strcmp(t->nodes[i].field, "visits") == 0 ? 1
                                                                       : 2;
    }
}

static int add(ruletable *t, const char *text, int *off, char *msg)
{
    return ruletable_add(t, text, names, NNAMES, 3, 7, off, msg, 300);
}

static void test_parse_eval(void)
{
    ruletable *t = xcalloc(1, sizeof *t);
    char msg[300];
    int off = -1;
    double v[3];

    CHECK(add(t, "VIP if revenue > 500 and visits > 10 or revenue >= 1e4", &off, msg) == 0);
    CHECK(add(t, "At Risk if not (days <= 60) and days != 999", &off, msg) == 0);
    CHECK(add(t, "Regular", &off, msg) == 0);
    CHECK(t->nrules == 3 && t->rules[0].segment == 0 && t->rules[1].segment == 1 &&
          t->rules[2].segment == 3 && t->rules[2].cond < 0);
    /* a field's place: the rule's column plus its offset */
    CHECK(t->nodes[0].line == 3 && t->nodes[0].col == 7 + 7);
    bind(t);
    /* and binds tighter than or */
    v[0] = 600, v[1] = 11, v[2] = 5;
    CHECK(ruletable_eval(t, v, 1) == 0);
    v[1] = 10;
    CHECK(ruletable_eval(t, v, 1) == 3);
    v[0] = 10000;
    CHECK(ruletable_eval(t, v, 1) == 0);
    v[0] = 0, v[2] = 61;
    CHECK(ruletable_eval(t, v, 1) == 1);
    v[2] = 999;
    CHECK(ruletable_eval(t, v, 1) == 3);
    /* missing values: every comparison false, != too */
    v[0] = NAN, v[1] = NAN, v[2] = NAN;
    CHECK(ruletable_eval(t, v, 1) == 3);
    /* a stride */
    {
        double w[6] = {600, -1, 11, -1, 5, -1};
        CHECK(ruletable_eval(t, w, 2) == 0);
    }
    ruletable_free(t);
    ruletable_free(NULL);

    /* the longest listed name wins: "At Risk", not "At" */
    t = xcalloc(1, sizeof *t);
    CHECK(add(t, "At Risk if days > 1", &off, msg) == 0 && t->rules[0].segment == 1);
    CHECK(add(t, "At if days > 1", &off, msg) == 0 && t->rules[1].segment == 2);
    /* not of a comparison with a missing value holds */
    CHECK(add(t, "VIP if not days > 5", &off, msg) == 0);
    bind(t);
    v[2] = NAN;
    CHECK(ruletable_eval(t, v, 1) == 0);
    ruletable_free(t);
}

static void test_errors(void)
{
    static const struct {
        const char *text;
        int off;
        const char *msg;
    } cases[] = {
        {"Gold if revenue > 1", 0, "a rule starts with a segment of the list (VIP, At Risk, At, "
                                   "Regular), then \"if\" and a condition"},
        {"VIP when revenue > 1", 4, "expected \"if\" and a condition after the segment \"VIP\""},
        {"VIP if revenue => 1", 15, "comparisons are < <= > >= == !="},
        {"VIP if revenue 1", 15, "expected a comparison after \"revenue\""},
        {"VIP if revenue > x", 17, "a field is compared with a number, as in \"revenue > 10\""},
        {"VIP if revenue > 1x", 17, "\"1x\" is not a number"},
        {"VIP if (revenue > 1", 19, "expected \")\" to close the \"(\""},
        {"VIP if revenue > 1 visits > 2", 19, "expected \"and\", \"or\" or the end of the rule"},
        {"VIP if", 6, "expected a comparison such as \"revenue_12m >= 2000\""},
        {"VIP if revenue > 1 and", 22, "expected a comparison such as"},
    };
    size_t i;
    strbuf deep = {0};

    /* nesting is bounded, so a long rule cannot exhaust the stack */
    sb_puts(&deep, "VIP if ");
    for (i = 0; i < 10000; i++)
        sb_puts(&deep, i % 2 ? "not " : "(");
    sb_puts(&deep, "revenue > 1");
    {
        ruletable *t = xcalloc(1, sizeof *t);
        char msg[300] = "";
        int off = -1;
        CHECK(add(t, deep.s, &off, msg) == -1);
        CHECK_CONTAINS(msg, "conditions nest at most 32 deep");
        CHECK(off > 7 && off < 200);
        ruletable_free(t);
    }
    sb_free(&deep);

    for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        ruletable *t = xcalloc(1, sizeof *t);
        char msg[300] = "";
        int off = -1;
        CHECK(add(t, cases[i].text, &off, msg) == -1);
        CHECK(t->nrules == 0);
        if (off != cases[i].off)
            fprintf(stderr, "%s: offset %d, wanted %d\n", cases[i].text, off, cases[i].off);
        CHECK(off == cases[i].off);
        CHECK_CONTAINS(msg, cases[i].msg);
        ruletable_free(t);
    }
}

int main(void)
{
    test_parse_eval();
    test_errors();
    return check_done("ruletable");
}
