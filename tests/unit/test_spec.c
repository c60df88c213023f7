/* test_spec.c - the report spec loader: values, parameters, errors. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "spec.h"

static char dir[] = "/tmp/quire-spec-XXXXXX";

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
    CHECK(s->sections[0].blocks[3].chart == DOC_CHART_BAR);
    CHECK_STR(s->sections[0].blocks[3].subtitle, "S2");
    spec_free(s);
}

static void expect_error(const char *from, const char *to, const char *where, const char *what)
{
    quire_error err;
    spec *s = load_variant(from, to, &err);
    CHECK(s == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_CONTAINS(err.msg, where);
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
    expect_error("  - title: S1\n", "  - title: [S1\n", "v.yaml:", "error:");
    expect_error("source: orders\n", "source: ordres\n", "v.yaml:22:", "did you mean \"orders\"");
    expect_error("sum(amount)", "total(amount)", "v.yaml:25:", "unknown aggregate");
    expect_error("sum(amount)", "sum", "v.yaml:25:", "needs a column");
    expect_error("kpi: count, title: C1", "kpi: cnt, title: C1", "v.yaml:", "no KPI named \"cnt\"");
    expect_error("type: line", "type: pie", "v.yaml:", "line");
    expect_error("\"#ff0000\"", "red", "v.yaml:", "colour");
    expect_error("- Other\n", "- VIP\n", "v.yaml:", "listed twice");
    expect_error("${data}/orders", "${dta}/orders", "v.yaml:14:", "did you mean \"${data}\"");
    expect_error("amount: number", "amount: numbr", "v.yaml:", "did you mean \"number\"");
    expect_error("default: 2024-02", "default: Feb", "v.yaml:4:", "month (YYYY-MM)");
    expect_error("to: \"${to}\"", "to: 2023-01", "v.yaml:", "before");
    expect_error("    plugin: csv\n    path: ${data}/customers", "    plugin: ../evil\n    path: ${data}/customers",
                 "v.yaml:9:", "plugin names");

    s = spec_load(write_spec("ok.yaml", base), bad_name, 1, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "did you mean \"from\"");
    s = spec_load(write_spec("ok.yaml", base), bad_value, 1, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "--param from=2024-1: must be a month");
    s = spec_load("/nonexistent/spec.yaml", NULL, 0, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "/nonexistent/spec.yaml: error: cannot open");
    s = spec_load(write_spec("empty.yaml", ""), NULL, 0, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "empty");
    s = spec_load(write_spec("list.yaml", "- a\n- b\n"), NULL, 0, &err);
    CHECK(s == NULL);
    CHECK_CONTAINS(err.msg, "list.yaml:1:1: error: a report spec must be a mapping");
}

int main(void)
{
    if (!mkdtemp(dir))
        return 2;
    test_values();
    test_errors();
    {
        char cmd[300];
        snprintf(cmd, sizeof cmd, "rm -rf %s", dir);
        if (system(cmd) != 0)
            fprintf(stderr, "could not remove %s\n", dir);
    }
    return check_done("spec");
}
