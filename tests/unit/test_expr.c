/* test_expr.c - the expressions of derived columns and row conditions: parsing,
 * types, the place of each error, and values over a batch. */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "expr.h"

/* One row of four columns: code (text), qty (integer), price (number), day (date). */
static const quire_column cols[] = {
    {"code", QUIRE_T_STRING, NULL},
    {"qty", QUIRE_T_INTEGER, NULL},
    {"price", QUIRE_T_NUMBER, NULL},
    {"day", QUIRE_T_DATE, NULL},
};
static const expr_column decl[] = {
    {"code", QUIRE_T_STRING}, {"qty", QUIRE_T_INTEGER}, {"price", QUIRE_T_NUMBER},
    {"day", QUIRE_T_DATE},
};

static quire_cell c_code, c_qty, c_price, c_day;
static quire_cell *cells[] = {&c_code, &c_qty, &c_price, &c_day};
static quire_batch batch = {sizeof(quire_batch), 1, 4, cols, cells, 1, NULL};

static void row(const char *code, int64_t qty, double price, int64_t day)
{
    memset(&c_code, 0, sizeof c_code);
    memset(&c_qty, 0, sizeof c_qty);
    memset(&c_price, 0, sizeof c_price);
    memset(&c_day, 0, sizeof c_day);
    c_code.null = !code;
    c_code.v.s.ptr = code;
    c_code.v.s.len = code ? (uint32_t)strlen(code) : 0;
    c_qty.null = qty == INT64_MIN;
    c_qty.v.i = qty;
    c_price.null = isnan(price);
    c_price.v.n = price;
    c_day.null = day == INT64_MIN;
    c_day.v.i = day;
}

/* Evaluate text over the current row. */
static expr_val eval(const char *text, expr_type *type)
{
    expr_error e;
    expr_code *x = expr_parse(text, decl, 4, &e);
    expr_val v;
    expr_scratch sc;
    uint32_t at[8];
    size_t i, k;

    memset(&v, 0, sizeof v);
    memset(&sc, 0, sizeof sc);
    if (!x) {
        fprintf(stderr, "parse failed: %s: %s at %zu\n", text, e.msg, e.at);
        v.t = (expr_type)-1;
        return v;
    }
    for (i = 0; i < expr_ncolumns(x); i++)
        for (k = 0; k < 4; k++)
            if (strcmp(cols[k].name, expr_column_name(x, i)) == 0)
                at[i] = (uint32_t)k;
    expr_eval(x, at, &batch, 0, &sc, &v);
    if (type)
        *type = expr_result(x);
    /* text results may point into the scratch: copy them out */
    if (v.t == EXPR_STR) {
        static char keep[256];
        snprintf(keep, sizeof keep, "%.*s", (int)v.len, v.s);
        v.s = keep;
    }
    expr_scratch_free(&sc);
    expr_free(x);
    return v;
}

static int is_true(const char *text) { expr_val v = eval(text, NULL); return expr_true(&v); }
static int is_null(const char *text) { expr_val v = eval(text, NULL); return v.t == EXPR_NULL; }

/* The error of text: "at: message". */
static const char *err(const char *text)
{
    static char out[300];
    expr_error e;
    expr_code *x = expr_parse(text, decl, 4, &e);

    if (x) {
        expr_free(x);
        return "(parsed)";
    }
    snprintf(out, sizeof out, "%zu: %s", e.at, e.msg);
    return out;
}

static void values(void)
{
    expr_type t;
    expr_val v;

    row("C536379", 6, 2.55, 14944);
    v = eval("qty * price", &t);
    CHECK(t == EXPR_NUM && v.t == EXPR_NUM && fabs(v.n - 15.3) < 1e-12);
    v = eval("qty * 2 + 1", &t);
    CHECK(t == EXPR_INT && v.t == EXPR_INT && v.i == 13);
    v = eval("qty / 4", &t);
    CHECK(t == EXPR_NUM && v.n == 1.5);
    v = eval("-(qty - 10) * 2", NULL);
    CHECK(v.i == 8);
    v = eval("round(price * 3, 1)", &t);
    CHECK(t == EXPR_NUM && v.n == 7.7);
    v = eval("lower(code) + \"-x\"", &t);
    CHECK(t == EXPR_STR && v.len == 9 && memcmp(v.s, "c536379-x", 9) == 0);
    v = eval("length(code)", &t);
    CHECK(t == EXPR_INT && v.i == 7);
    CHECK(is_true("starts_with(code, \"C\")"));
    CHECK(!is_true("not starts_with(code, \"C\")"));
    CHECK(is_true("ends_with(code, '79') and contains(code, \"363\")"));
    CHECK(is_true("code in [\"POST\", \"C536379\"]"));
    CHECK(is_true("code not in [\"POST\", \"D\"]"));
    CHECK(is_true("qty in [1, 6.0]"));
    CHECK(is_true("day == \"2010-12-01\" and day >= \"2010-11-30\""));
    CHECK(is_true("price > 2 and price <= 2.55 or false"));
    CHECK(is_true("`qty` != 7"));
    /* 64-bit overflow and division by zero are null, not an error */
    CHECK(is_null("qty * 999999999999999999 * 100"));
    CHECK(is_null("price / (qty - 6)"));
    CHECK(is_null("abs(price - price) / 0"));

    /* an empty value: null through arithmetic and comparisons, but == null */
    row(NULL, INT64_MIN, NAN, INT64_MIN);
    CHECK(is_null("qty * price"));
    CHECK(is_null("qty > 0"));
    CHECK(is_true("qty == null and code == null"));
    CHECK(!is_true("qty != null"));
    CHECK(is_null("starts_with(code, \"C\")"));
    CHECK(!is_true("not starts_with(code, \"C\")")); /* null: the row does not pass */
    CHECK(is_null("code in [\"a\"]"));
    CHECK(is_true("qty > 0 or true"));           /* null or true is true */
    CHECK(!is_true("qty > 0 and true"));
    v = eval("coalesce(day, \"2024-01-31\")", &t);
    CHECK(t == EXPR_DATE && v.t == EXPR_DATE && v.i == 19753);
    v = eval("coalesce(qty, 0) + 1", NULL);
    CHECK(v.t == EXPR_INT && v.i == 1);
    /* a column the spec does not declare is text */
    v = eval("upper(Country)", &t);
    CHECK(t == EXPR_STR);
}

static void errors(void)
{
    CHECK_STR(err("qty * code"), "4: \"*\" takes numbers, not an integer and text");
    /* a column the spec does not declare is text: the message says so */
    CHECK_STR(err("Quantity * price"), "9: \"*\" takes numbers, not text and a number; Quantity "
              "is not among the source's columns, so it is text (declare it: Quantity: number)");
    CHECK_STR(err("qty = 3"), "4: \"=\" is not an operator; compare with \"==\"");
    CHECK_STR(err("(qty + 1"), "8: expected \")\", not the end");
    CHECK_STR(err("starts_wth(code, \"C\")"),
              "0: unknown function \"starts_wth\" (did you mean \"starts_with\"?); functions: "
              "starts_with, ends_with, contains, lower, upper, trim, length, abs, round, coalesce");
    CHECK_STR(err("code in [\"a\", 3]"), "14: the list holds an integer where text is looked for");
    CHECK_STR(err("code in \"a\""), "8: \"in\" takes a list: in [\"a\", \"b\"]");
    CHECK_STR(err("day > \"2010-13-01\""), "4: \"2010-13-01\" is not a date (YYYY-MM-DD) to compare "
              "a date with");
    CHECK_STR(err("qty > \"3\""), "4: \">\" compares values of one kind, not an integer and text");
    CHECK_STR(err("qty and true"), "4: \"and\" takes conditions (true or false), not an integer");
    CHECK_STR(err("\"open"), "0: this quote is never closed");
    CHECK_STR(err("qty 3"), "4: expected an operator or the end, not \"3\"");
    CHECK_STR(err(""), "0: the expression is empty");
    CHECK_STR(err("null"), "0: the expression is always null");
    CHECK_STR(err("qty > null"), "4: only == and != compare with null");
    CHECK_STR(err("lower(qty)"), "0: lower takes a text, not an integer");
    CHECK_STR(err("round(price, 1, 2)"), "16: round takes 2 arguments");
    CHECK_STR(err("price @ 2"), "6: unexpected \"@\"");
    {
        /* nesting is bounded */
        char deep[400];
        int i;
        for (i = 0; i < 100; i++)
            deep[i] = '(';
        strcpy(deep + 100, "1");
        CHECK_CONTAINS(err(deep), "nested more than 64 deep");
    }
}

int main(void)
{
    values();
    errors();
    return check_done("expr");
}
