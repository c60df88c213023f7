/* test_spec.c - the report spec loader: values, parameters, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <math.h>
#include <string.h>
#include <unistd.h>

#include <sys/stat.h>

#include "check.h"
#include "spec.h"

static char dir[64];

static const char *write_spec(const char *name, const char *text)
{
    static char path[256];
    FILE *f;
    snprintf(path, sizeof path, "%s/%s", dir, name);
    f = fopen(path, "w");
    fputs(text, f);
    fclose(f);
    return path;
}

static const char base[] =
    "title: T\n"
    "parameters:\n"
    "  data: { type: path, default: ../data }\n"
    "  from: { type: month, default: 2024-02 }\n"
    "  to: 2024-04\n"
    "periods: { grain: month, from: \"${from}\", to: \"${to}\", history: 6 }\n"
    "sources:\n"
    "  customers:\n"
    "    plugin: csv\n"
    "    path: ${data}/customers.csv\n"
    "    columns: { customer_id: integer, signup_date: date }\n"
    "  orders:\n"
    "    plugin: csv\n"
    "    path: ${data}/orders.csv\n"
    "    delimiter: \";\"\n"
    "    columns:\n"
    "      customer_id: integer\n"
    "      order_date: { type: date, format: \"%d/%m/%Y\" }\n"
    "      amount: number\n"
    "entities: { source: customers, key: customer_id, since: signup_date }\n"
    "facts:\n"
    "  - source: orders\n"
    "    key: customer_id\n"
    "    date: order_date\n"
    "    measures: { orders: count, revenue: sum(amount), last_order: max(order_date) }\n"
    "features: { windows: [3, 12] }\n"
    "segments:\n"
    "  rule: rules/seg.lua\n"
    "  list:\n"
    "    - { name: VIP, color: \"#ff0000\" }\n"
    "    - { name: Lapsed, churned: true }\n"
    "    - Other\n"
    "kpis:\n"
    "  count: kpis/count.lua\n"
    "sections:\n"
    "  - title: S1\n"
    "    intro: I1\n"
    "    blocks:\n"
    "      - paragraph: Hello ${from}\n"
    "      - questions: [Q1, Q2]\n"
    "      - chart: { type: line, kpi: count, title: C1 }\n"
    "      - chart: { type: bar, kpi: count, title: C2, subtitle: S2 }\n";

/* Load base with one line replaced (or appended when from is NULL). */
static spec *load_variant(const char *from, const char *to, quire_error *err)
{
    char text[8192];
    const char *at;
    const char *path;

    if (from) {
        at = strstr(base, from);
        if (!at) {
            fprintf(stderr, "variant not found: %s\n", from);
            return NULL;
        }
        snprintf(text, sizeof text, "%.*s%s%s", (int)(at - base), base, to, at + strlen(from));
    } else {
        snprintf(text, sizeof text, "%s%s", base, to);
    }
    path = write_spec("v.yaml", text);
    memset(err, 0, sizeof *err);
    return spec_load(path, NULL, 0, err);
}

static void test_values(void)
{
    quire_error err = {0};
    spec_override ov[] = {{"to", "2024-05"}};
    const char *path = write_spec("ok.yaml", base);
    spec *s = spec_load(path, ov, 1, &err);
    char want[512];

    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK_STR(s->title, "T");
    CHECK(s->month_from == 2024 * 12 + 1);
    CHECK(s->month_to == 2024 * 12 + 4); /* --param wins over the default */
    CHECK(s->history == 6);
    CHECK(s->nsources == 2);
    CHECK_STR(s->sources[1].options[0].key, "path");
    CHECK_STR(s->sources[1].options[0].value, "../data/orders.csv");
    CHECK_STR(s->sources[1].options[1].value, ";");
    CHECK(s->sources[1].ncolumns == 3);
    CHECK(s->sources[1].columns[1].type == QUIRE_T_DATE);
    CHECK_STR(s->sources[1].columns[1].format, "%d/%m/%Y");
    CHECK(s->nfacts == 1 && s->facts[0].nmeasures == 3);
    CHECK(s->facts[0].measures[1].agg == AGG_SUM);
    CHECK_STR(s->facts[0].measures[1].column, "amount");
    CHECK(s->facts[0].measures[2].agg == AGG_MAX);
    CHECK(s->nwindows == 2 && s->windows[1] == 12);
    snprintf(want, sizeof want, "%s/rules/seg.lua", dir);
    CHECK_STR(s->segment_rule, want); /* relative to the spec's folder */
    snprintf(want, sizeof want, "%s/kpis/count.lua", dir);
    CHECK_STR(s->kpis[0].script, want);
    CHECK(s->nsegments == 3);
    CHECK(s->segments[0].color.r == 1.0 && s->segments[0].color.g == 0.0);
    CHECK(s->segments[1].churned == 1 && s->segments[0].churned == 0);
    CHECK_STR(s->segments[2].name, "Other");
    CHECK(spec_segment_index(s, "Lapsed") == 1);
    CHECK(spec_segment_index(s, "Nope") == -1);
    CHECK(s->nsections == 1 && s->sections[0].nblocks == 4);
    CHECK_STR(s->sections[0].blocks[0].text, "Hello 2024-02");
    CHECK(s->sections[0].blocks[1].nitems == 2);
    CHECK_STR(s->sections[0].blocks[1].text, "Questions to Consider:");
    CHECK(s->sections[0].blocks[3].chart == SPEC_CHART_BAR);
    CHECK_STR(s->sections[0].blocks[3].subtitle, "S2");
    spec_free(s);
}

/* The error's where as "name:line:col:", from its fields (name: the file's
 * last part). */
static const char *where_of(const quire_error *err, char *buf, size_t n)
{
    const char *name = strrchr(err->file, '/');
    snprintf(buf, n, "%s:%d:%d:", name ? name + 1 : err->file, err->line, err->col);
    return buf;
}

/* A spec error is at a line and column of the file: where is the start of
 * "v.yaml:LINE:COL:" ("v.yaml:" for any, "v.yaml:6:" for any column of line
 * 6); what is in the message. */
static void expect_error(const char *from, const char *to, const char *where, const char *what)
{
    quire_error err;
    char at[600];
    spec *s = load_variant(from, to, &err);
    CHECK(s == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK(err.line > 0 && err.col > 0);
    where_of(&err, at, sizeof at);
    CHECK(strncmp(at, where, strlen(where)) == 0);
    if (strncmp(at, where, strlen(where)) != 0)
        fprintf(stderr, "  the error is at %s, not %s\n", at, where);
    CHECK_CONTAINS(err.msg, what);
    spec_free(s);
}

static void test_errors(void)
{
    quire_error err = {0};
    spec_override bad_name[] = {{"form", "2024-01"}};
    spec_override bad_value[] = {{"from", "2024-1"}};
    spec *s;

    expect_error("history: 6", "histroy: 6", "v.yaml:6:", "did you mean \"history\"");
    expect_error("title: T\n", "title: T\nsubtitel: x\n", "v.yaml:2:1:", "did you mean \"subtitle\"");
    expect_error("history: 6", "history: six", "v.yaml:6:", "whole number");
    expect_error("  - title: S1\n", "  - title: [S1\n", "v.yaml:36:12:", "this \"[\" is never closed");
    expect_error("source: orders\n", "source: ordres\n", "v.yaml:22:", "did you mean \"orders\"");
    expect_error("sum(amount)", "total(amount)", "v.yaml:25:", "unknown aggregate");
    expect_error("sum(amount)", "sum", "v.yaml:25:", "needs a column");
    expect_error("kpi: count, title: C1", "kpi: cnt, title: C1", "v.yaml:", "no KPI named \"cnt\"");
    expect_error("type: line", "type: pie", "v.yaml:", "line");
    expect_error("\"#ff0000\"", "red", "v.yaml:", "colour");
    expect_error("- Other\n", "- VIP\n", "v.yaml:", "listed twice");
    {
        /* A long list is refused by its length before its names are
         * compared with one another (time that grows with its square). */
        strbuf l = {0};
        int i;
        sb_puts(&l, "- Other\n    - VIP\n");
        for (i = 0; i < 100; i++)
            sb_printf(&l, "    - S%d\n", i);
        expect_error("- Other\n", l.s, "v.yaml:30:5:", "at most 100 segments, not 104");
        sb_free(&l);
    }
    expect_error("${data}/orders", "${dta}/orders", "v.yaml:14:", "did you mean \"${data}\"");
    expect_error("amount: number", "amount: numbr", "v.yaml:", "did you mean \"number\"");
    expect_error("default: 2024-02", "default: Feb", "v.yaml:4:", "month (YYYY-MM)");
    expect_error("to: \"${to}\"", "to: 2023-01", "v.yaml:", "before");
    expect_error("    plugin: csv\n    path: ${data}/customers", "    plugin: ../evil\n    path: ${data}/customers",
                 "v.yaml:9:", "plugin names");

    char at[600];

    /* --param names the spec, with no line: the parameter is not in it */
    s = spec_load(write_spec("ok.yaml", base), bad_name, 1, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.file, "ok.yaml");
    CHECK(err.line == 0 && err.col == 0);
    CHECK_STR(err.msg, "--param form: the spec has no parameter \"form\"; did you mean \"from\"?");
    s = spec_load(write_spec("ok.yaml", base), bad_value, 1, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.file, "ok.yaml");
    CHECK_CONTAINS(err.msg, "--param from=2024-1: must be a month");
    s = spec_load("/nonexistent/spec.yaml", NULL, 0, &err);
    CHECK(s == NULL);
    CHECK_STR(err.file, "/nonexistent/spec.yaml");
    CHECK(err.line == 0);
    CHECK_STR(err.msg, "cannot open: No such file or directory");
    s = spec_load(write_spec("empty.yaml", ""), NULL, 0, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "empty");
    s = spec_load(write_spec("list.yaml", "- a\n- b\n"), NULL, 0, &err);
    CHECK(s == NULL);
    CHECK_STR(where_of(&err, at, sizeof at), "list.yaml:1:1:");
    CHECK_STR(err.msg, "a report spec must be a mapping, not a list");
}

/* The line a variant appends at the end of base is on. */
static char *appended_at(char *buf, size_t n, int col)
{
    const char *p;
    int line = 1;

    for (p = base; *p; p++)
        line += *p == '\n';
    snprintf(buf, n, "v.yaml:%d:%d:", line, col);
    return buf;
}

/* The report-level keys and the block types of the layout engine. */
static void test_blocks(void)
{
    quire_error err = {0};
    spec *s = load_variant(
        "title: T\n",
        "title: T\ncontents: true\nstrict: yes\npage: { size: Letter, margins: 36 }\n",
        &err);
    char at[64];

    CHECK(s != NULL);
    if (s) {
        CHECK(s->contents == 1 && s->strict == 1);
        CHECK(s->page_letter == 1 && s->page_margin == 36);
        CHECK(s->logo == NULL);
    }
    spec_free(s);

    s = load_variant(NULL,
                     "      - heading: H\n"
                     "      - bullets: [B1, B2, B3]\n"
                     "      - tiles: { kpis: [count], segment: VIP, month: 2024-03 }\n"
                     "      - table: { kpis: [count], by: month, segment: Lapsed, title: TT }\n"
                     "      - table: { kpis: [count], totals: true }\n"
                     "      - table: { source: orders, columns: [amount, customer_id], rows: 20, totals: true }\n"
                     "      - chart: { type: heatmap, matrix: migration, title: M, month: first }\n"
                     "      - chart: { type: hbar, kpi: count, title: H }\n"
                     "      - chart: { type: stacked_bar, kpi: count, title: SB }\n",
                     &err);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK(s->sections[0].nblocks == 13);
    if (s->sections[0].nblocks == 13) {
        const spec_block *b = s->sections[0].blocks;

        CHECK(b[4].kind == BLOCK_HEADING);
        CHECK_STR(b[4].text, "H");
        CHECK(b[5].kind == BLOCK_BULLETS && b[5].nitems == 3);
        CHECK(b[6].kind == BLOCK_TILES && b[6].nkpis == 1);
        CHECK_STR(b[6].segment, "VIP");
        CHECK(b[6].month == 1); /* 2024-03 is the second report month */
        CHECK(b[7].kind == BLOCK_TABLE && b[7].by_month == 1 && b[7].totals == 0);
        CHECK_STR(b[7].title, "TT");
        CHECK(b[8].by_month == 0 && b[8].totals == 1);
        CHECK_STR(b[9].source, "orders");
        CHECK(b[9].ncolumns == 2 && b[9].rows == 20 && b[9].totals == 1);
        CHECK(b[10].chart == SPEC_CHART_HEATMAP && b[10].month == 0);
        CHECK_STR(b[10].matrix, "migration");
        CHECK(b[11].chart == SPEC_CHART_HBAR && b[12].chart == SPEC_CHART_STACKED);
    }
    spec_free(s);

    /* Unknown keys, with a hint. */
    expect_error("title: T\n", "title: T\ncontnets: true\n", "v.yaml:2:1:",
                 "did you mean \"contents\"");
    expect_error("title: T\n", "title: T\npage: { szie: A4 }\n", "v.yaml:2:", "did you mean \"size\"");
    expect_error(NULL, "      - tiles: { kpis: [count], segmnet: VIP }\n", appended_at(at, sizeof at, 33),
                 "did you mean \"segment\"");
    expect_error(NULL, "      - table: { kpis: [count], totls: true }\n", "v.yaml:",
                 "did you mean \"totals\"");
    expect_error(NULL, "      - chart: { type: bar, kpi: count, title: X, subtitel: Y }\n", "v.yaml:",
                 "did you mean \"subtitle\"");
    expect_error(NULL, "      - tabel: { kpis: [count] }\n", "v.yaml:", "did you mean \"table\"");
    expect_error(NULL, "      - table: { source: orders, columns: [amont] }\n", "v.yaml:",
                 "did you mean \"amount\"");

    /* Wrong types. */
    expect_error("title: T\n", "title: T\ncontents: maybe\n", "v.yaml:2:", "contents");
    expect_error("title: T\n", "title: T\nstrict: [1]\n", "v.yaml:2:", "strict");
    expect_error("title: T\n", "title: T\npage: A4\n", "v.yaml:2:", "page");
    expect_error(NULL, "      - tiles: [count]\n", "v.yaml:", "tiles");
    expect_error(NULL, "      - tiles: { kpis: count }\n", "v.yaml:", "\"kpis\" of tiles");
    expect_error(NULL, "      - table: { kpis: [count], totals: sure }\n", "v.yaml:",
                 "\"totals\" of a table");
    expect_error(NULL, "      - table: { source: orders, columns: [amount], rows: lots }\n",
                 "v.yaml:", "\"rows\" of a table");
    expect_error(NULL, "      - bullets: { a: b }\n", "v.yaml:", "bullets");

    /* Bad values. */
    expect_error("title: T\n", "title: T\npage: { size: A5 }\n", "v.yaml:2:",
                 "page.size must be A4 or Letter, not \"A5\"");
    expect_error("title: T\n", "title: T\npage: { margins: 5 }\n", "v.yaml:2:", "page.margins");
    expect_error("title: T\n", "title: T\npage: { logo: nowhere.png }\n", "v.yaml:2:",
                 "page.logo: cannot read");
    expect_error(NULL, "      - tiles: { kpis: [count, revenue] }\n", "v.yaml:", "revenue");
    expect_error(NULL, "      - tiles: { kpis: [count], segment: Gold }\n", "v.yaml:", "Gold");
    expect_error(NULL, "      - table: { kpis: [count], by: region }\n", "v.yaml:",
                 "\"by\" of a table must be segment, month or customer");
    expect_error(NULL, "      - table: { source: orders, kpis: [count], columns: [amount] }\n",
                 "v.yaml:", "belongs to a table of KPIs");
    expect_error(NULL, "      - chart: { type: pie, kpi: count, title: P }\n", "v.yaml:", "pie");
    expect_error(NULL, "      - chart: { type: line, kpi: count, title: L, matrix: migration }\n",
                 "v.yaml:", "\"matrix\" belongs to a heatmap chart");
    expect_error(NULL, "      - chart: { type: heatmap, matrix: churn, title: M }\n", "v.yaml:",
                 "\"matrix\" must be migration");
    expect_error(NULL, "      - tiles: { kpis: [count], month: 2023-01 }\n", "v.yaml:", "2023-01");
}

/* Load base with "  big: <n x's>" among its parameters and more appended. */
static spec *load_big(size_t n, const char *more, quire_error *err)
{
    strbuf b = {0};
    const char *at = strstr(base, "  to: 2024-04\n");
    spec *s;
    size_t i;

    sb_add(&b, base, (size_t)(at - base));
    sb_puts(&b, "  big: ");
    for (i = 0; i < n; i++)
        sb_add(&b, "x", 1);
    sb_puts(&b, "\n");
    sb_puts(&b, at);
    sb_puts(&b, more);
    memset(err, 0, sizeof *err);
    s = spec_load(write_spec("big.yaml", b.s), NULL, 0, err);
    sb_free(&b);
    return s;
}

/* The line of an error in big.yaml, or 0. */
static int error_line(const quire_error *err)
{
    return strstr(err->file, "big.yaml") ? err->line : 0;
}

/* ${name} makes text in time and memory that grow with what it makes, and
 * what it makes is bounded: a value by 64 KiB, the spec by 4 MiB. */
static void test_expansion(void)
{
    quire_error err;
    strbuf more = {0};
    spec *s;
    int line = 0;
    size_t i;
    const char *p;

    for (p = base; *p; p++)
        line += *p == '\n';
    line += 2; /* the parameter, and the line appended */

    /* A value may grow to 64 KiB, not past it; the error is at the value. */
    s = load_big(30000, "      - paragraph: \"${big}+${big}\"\n", &err);
    CHECK(s != NULL);
    CHECK(s && s->sections[0].nblocks == 5 && strlen(s->sections[0].blocks[4].text) == 60001);
    spec_free(s);
    s = load_big(40000, "      - paragraph: \"${big}+${big}\"\n", &err);
    CHECK(s == NULL);
    CHECK(error_line(&err) == line && err.col == 20);
    CHECK_STR(err.msg, "with ${big} substituted, a paragraph is longer than 64 KiB; a value may "
                       "hold 64 KiB (65536 bytes)");
    spec_free(s);

    /* Many values that each name a big parameter: refused when the text
     * made passes 4 MiB, at the value that passes it (before, a 2 MB spec
     * could ask for gigabytes). */
    for (i = 0; i < 200; i++)
        sb_puts(&more, "      - paragraph: ${big}\n");
    s = load_big(60000, more.s, &err);
    sb_free(&more);
    CHECK(s == NULL);
    CHECK(error_line(&err) > line && error_line(&err) < line + 80);
    CHECK_STR(err.msg, "the spec's values hold more than 4 MiB of text by here, counting what "
                       "its aliases repeat and its parameters add; a spec may hold 4 MiB");
    spec_free(s);

    /* Many parameters, each named once, in another order: each finds its own. */
    {
        strbuf t = {0};
        const char *at = strstr(base, "  to: 2024-04\n");
        sb_add(&t, base, (size_t)(at - base));
        for (i = 0; i < 5000; i++)
            sb_printf(&t, "  p%zu: v%zu\n", i, i * 7);
        sb_puts(&t, at);
        for (i = 0; i < 5000; i++)
            sb_printf(&t, "      - paragraph: \"<${p%zu}>\"\n", (i * 2749) % 5000);
        s = spec_load(write_spec("many.yaml", t.s), NULL, 0, &err);
        sb_free(&t);
        CHECK(s != NULL);
        if (s) {
            char want[64];
            CHECK(s->sections[0].nblocks == 5004);
            for (i = 0; i < 5000 && s->sections[0].nblocks == 5004; i += 499) {
                snprintf(want, sizeof want, "<v%zu>", ((i * 2749) % 5000) * 7);
                CHECK_STR(s->sections[0].blocks[4 + i].text, want);
            }
        }
        spec_free(s);
    }
}

/* Grains: bounds read in the grain, the fiscal year's start, targets and
 * the comparisons the KPI stage evaluates (with how far back they reach). */
static void test_grains(void)
{
    quire_error err;
    spec *s;

    s = load_variant("periods: { grain: month, from: \"${from}\", to: \"${to}\", history: 6 }",
                     "periods: { grain: week, from: 2020-W50, to: 2021-01-31, history: 60 }", &err);
    CHECK(s != NULL);
    if (s) {
        CHECK(s->grain.kind == GRAIN_WEEK);
        CHECK(s->month_from == iso_week_period(2020, 50));
        CHECK(s->month_to == iso_week_period(2021, 4));
        spec_free(s);
    }
    s = load_variant("periods: { grain: month, from: \"${from}\", to: \"${to}\", history: 6 }",
                     "periods: { grain: quarter, fiscal_year_start: 4, from: 2020-01, "
                     "to: 2021-12-31, history: 4 }\n"
                     "targets: { count: { All: 10, VIP: 4 } }", &err);
    CHECK(s != NULL);
    if (s) {
        grain g = {GRAIN_QUARTER, 4};
        CHECK(s->grain.fy_start == 4);
        CHECK(s->month_from == grain_period(g, days_from_civil(2020, 2, 1)));
        CHECK(s->month_to - s->month_from == 7);
        CHECK(spec_kpi_target(&s->kpis[0], "All", 0) == 10);
        CHECK(spec_kpi_target(&s->kpis[0], "VIP", 0) == 4);
        CHECK(isnan(spec_kpi_target(&s->kpis[0], "Other", 0)));
        spec_free(s);
    }
    /* targets per period: the most specific one wins */
    s = load_variant("periods: { grain: month, from: \"${from}\", to: \"${to}\", history: 6 }",
                     "periods: { grain: quarter, fiscal_year_start: 4, from: 2020-01, "
                     "to: 2021-12-31, history: 4 }\n"
                     "targets: { count: { All: { FY2020/21-Q1: 7 }, VIP: 4, FY2020/21-Q2: 9 } }",
                     &err);
    CHECK(s != NULL);
    if (s) {
        grain g = {GRAIN_QUARTER, 4};
        int q1 = grain_parse_key(g, "FY2020/21-Q1");
        CHECK(q1 == grain_period(g, days_from_civil(2020, 4, 1)));
        CHECK(spec_kpi_target(&s->kpis[0], "All", q1) == 7);
        CHECK(spec_kpi_target(&s->kpis[0], "All", q1 + 1) == 9);
        CHECK(spec_kpi_target(&s->kpis[0], "VIP", q1 + 1) == 4);
        CHECK(spec_kpi_target(&s->kpis[0], "Other", q1 + 1) == 9);
        CHECK(isnan(spec_kpi_target(&s->kpis[0], "All", q1 + 2)));
        spec_free(s);
    }
    s = load_variant(NULL, "      - tiles: { kpis: [count], compare: [previous, last_year, rolling_3, "
                     "ytd] }\n      - table: { kpis: [count], compare: [rolling_3, rolling_12] }\n",
                     &err);
    CHECK(s != NULL);
    if (s) {
        spec_compare ly = {SPEC_CMP_LAST_YEAR, 0}, r3 = {SPEC_CMP_ROLLING, 3};
        spec_compare r12 = {SPEC_CMP_ROLLING, 12}, prev = {SPEC_CMP_PREVIOUS, 0};
        CHECK(s->ncompares == 4); /* last_year, rolling_3, ytd, rolling_12: each once */
        CHECK(spec_compare_index(s, ly) == 0 && spec_compare_index(s, r3) == 1);
        CHECK(spec_compare_index(s, r12) == 3 && spec_compare_index(s, prev) == -1);
        CHECK(s->lookback == 12); /* a year of months */
        spec_free(s);
    }
}

/* A KPI takes SPEC_TARGETS_MAX targets and refuses the next one (-2), so a
 * huge targets file is an error rather than a quadratic read; a second
 * target for the same segment and period is refused (-1). */
static void test_targets_max(void)
{
    spec_kpi k;
    size_t i;
    int p, fails = 0;

    memset(&k, 0, sizeof k);
    for (p = 0; p < SPEC_TARGETS_MAX; p++)
        fails += spec_target_add(&k, p % 2 ? "VIP" : NULL, p, p) != 0;
    CHECK(fails == 0 && k.ntargets == SPEC_TARGETS_MAX);
    CHECK(spec_target_add(&k, NULL, -1, 1) == -2);
    CHECK(k.ntargets == SPEC_TARGETS_MAX);
    CHECK(spec_kpi_target(&k, "VIP", 7) == 7 && spec_kpi_target(&k, "All", 8) == 8);
    k.ntargets--;
    CHECK(spec_target_add(&k, "VIP", 1, 1) == -1); /* VIP in period 1 is there */
    k.ntargets++;
    for (i = 0; i < k.ntargets; i++)
        free(k.targets[i].segment);
    free(k.targets);
}

int main(void)
{
    check_template(dir, sizeof dir, "/tmp/quire-spec-");
    if (!mkdtemp(dir))
        return 2;
    /* The scripts the spec names: spec_load checks they can be read. */
    {
        char sub[300];
        snprintf(sub, sizeof sub, "%s/rules", dir);
        mkdir(sub, 0755);
        snprintf(sub, sizeof sub, "%s/kpis", dir);
        mkdir(sub, 0755);
        write_spec("rules/seg.lua", "return function(c) return 'A' end\n");
        write_spec("kpis/count.lua", "return { value = function(s) return s.customers end }\n");
    }
    test_values();
    test_errors();
    test_blocks();
    test_expansion();
    test_grains();
    test_targets_max();
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_done("spec");
}
