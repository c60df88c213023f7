/*
 * test_model.c - what the model adds to plain facts, on a hand-made data set
 * whose every number is known: entity attributes (text and number),
 * count(col) and count(col >= x), lifetime windows, facts about segments, a
 * segmentation by an attribute (with its Unknown group) beside one by a rule,
 * per-customer KPI values, s.all, "needs", quire.params and the helpers, and
 * the report object insights read. Also the spec errors of those keys.
 */
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "check.h"
#include "fixture.h"
#include "facts.h"
#include "model.h"
#include "report.h"
#include "spec.h"

static const char spec_head[] =
    "title: Model\n"
    "parameters: { margin: { type: number, default: 0.5 } }\n"
    "periods: { from: 2024-02, to: 2024-03, history: 1 }\n"
    "sources:\n"
    "  customers: { plugin: csv, path: customers.csv,\n"
    "               columns: { id: integer, since: date, band: string, cost: number } }\n"
    "  surveys: { plugin: csv, path: surveys.csv,\n"
    "             columns: { id: integer, day: date, score: integer } }\n"
    "  spend: { plugin: csv, path: spend.csv,\n"
    "           columns: { seg: string, month: date, amount: number } }\n"
    "entities: { source: customers, key: id, since: since, attributes: [band, cost] }\n"
    "facts:\n"
    "  - source: surveys\n"
    "    key: id\n"
    "    date: day\n"
    "    measures: { answers: count(score), promoters: count(score >= 9), rows: count }\n"
    "  - { source: spend, segment: seg, date: month,\n"
    "      measures: { spend: sum(amount), spend_rows: count } }\n"
    "features: { windows: [lifetime] }\n";

static const char spec_body[] =
    "segments: { by: band, title: Age band }\n"
    "segmentations:\n"
    "  fans: { rule: fans.lua, list: [Fan, Other] }\n"
    "kpis:\n"
    "  n: n.lua\n"
    "  cost: cost.lua\n"
    "  spend: spend.lua\n"
    "  share: share.lua\n"
    "  complete: complete.lua\n"
    "  promo: promo.lua\n"
    "  absent: absent.lua\n"
    "  margin: margin.lua\n"
    "  isfan: isfan.lua\n"
    "sections:\n"
    "  - title: Q\n"
    "    blocks:\n"
    "      - questions:\n"
    "          segmentation: fans\n"
    "          items:\n"
    "            - Plain question?\n"
    "            - ask: Computed?\n"
    "              insight: insight.lua\n"
    "              with: { who: Other, list: [a, 2] }\n"
    "            - ask: Words?\n"
    "              insight: words.lua\n";

/* Months loaded: 2024-01 .. 2024-03. */
static const char customers[] =
    "id,since,band,cost\n"
    "1,2024-01-01,young,10\n"
    "2,2024-01-15,old,30\n"
    "3,2024-02-10,,20\n"      /* no band: Unknown */
    "4,2024-01-05,young,\n";  /* no cost */

static const char surveys[] =
    "id,day,score\n"
    "1,2024-01-20,9\n"
    "1,2024-02-03,10\n"
    "2,2024-02-05,3\n"
    "2,2024-02-25,\n"         /* a row without a score: counted by rows only */
    "4,2024-03-01,7\n";

static const char spend[] =
    "seg,month,amount\n"
    "young,2024-02-01,100\n"
    "old,2024-02-01,50\n"
    "nobody,2024-02-01,5\n"   /* no such segment: counts towards All only */
    "young,2024-03-01,80\n";

/* Old customers are never fans; the others once they have promoted. */
static const char fans[] =
    "return function(c)\n"
    "  assert(c.segment == nil, 'the rule sees a segment')\n"
    "  if c.band == 'old' then return 'Other' end\n"
    "  if c.promoters_lifetime > 0 then return 'Fan' end\n"
    "  return 'Other'\n"
    "end\n";

static double kpi(const model *m, const grouping *gr, const char *name, int rp, const char *seg)
{
    size_t k;
    int g;

    for (k = 0; k < m->nkpis; k++)
        if (strcmp(m->kpis[k].spec->name, name) == 0)
            break;
    for (g = 0; g < gr->nseg; g++)
        if (strcmp(gr->names[g], seg) == 0)
            break;
    if (k == m->nkpis)
        return -12345;
    return model_kpi(m, gr, k, rp, g);
}

#define NEAR(a, b) (fabs((a) - (b)) < 1e-9)

static void test_model(void)
{
    plugin_registry reg = {0};
    quire_error err = {0};
    char path[256];
    spec *s;
    facts *f = NULL;
    model *m = NULL;
    const grouping *age, *fan;

    snprintf(path, sizeof path, "%s/spec.yaml", dir);
    s = spec_load(path, NULL, 0, &err);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK(s->nsegmentations == 2);
    CHECK(s->nentity_attrs == 2);
    f = facts_build(s, &reg, NULL, &err);
    CHECK(f != NULL);
    if (!f) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    /* Attributes: text interned, numbers with NAN for empty. */
    CHECK(f->nattrs == 2 && f->attrs[0].text && !f->attrs[1].text);
    CHECK(f->attrs[0].nvalues == 2);
    CHECK(f->attrs[0].code[facts_find_int(f, 3)] == 0);
    CHECK(isnan(f->attrs[1].num[facts_find_int(f, 4)]));
    CHECK(f->attrs[1].num[facts_find_int(f, 2)] == 30);
    /* count(score) skips the empty score, count counts every row. */
    CHECK(facts_value(f, (size_t)facts_measure_index(f, "answers"), 1,
                      (size_t)facts_find_int(f, 2)) == 1);
    CHECK(facts_value(f, (size_t)facts_measure_index(f, "rows"), 1,
                      (size_t)facts_find_int(f, 2)) == 2);
    CHECK(facts_value(f, (size_t)facts_measure_index(f, "promoters"), 1,
                      (size_t)facts_find_int(f, 1)) == 1);
    CHECK(facts_value(f, (size_t)facts_measure_index(f, "promoters"), 1,
                      (size_t)facts_find_int(f, 2)) == 0);
    /* Facts about segments: by name and month, and every row. */
    CHECK(f->nsegm == 2 && f->nsegrows == 3);
    CHECK(facts_segment(f, "young") && facts_segment(f, "young")->v[0 * 3 + 1] == 100);
    CHECK(facts_segment(f, "old") && isnan(facts_segment(f, "old")->v[0 * 3 + 2]));
    CHECK(f->segtotal[0 * 3 + 1] == 155 && f->segtotal[1 * 3 + 1] == 3);
    CHECK(isnan(f->segtotal[0 * 3 + 0]));

    m = model_new(s, f, &err);
    CHECK(m != NULL);
    if (!m || kpis_load(m, &err) || segments_assign(m, &err) || kpis_evaluate(m, &err)) {
        fprintf(stderr, "model: %s\n", err.msg);
        CHECK(0);
        goto out;
    }
    age = &m->groups[0];
    fan = &m->groups[1];
    /* By an attribute: its values sorted, then Unknown for customer 3. */
    CHECK(age->nseg == 3);
    CHECK(strcmp(age->names[0], "old") == 0 && strcmp(age->names[1], "young") == 0 &&
          strcmp(age->names[2], "Unknown") == 0);
    /* February is report month 0, March 1. */
    CHECK(kpi(m, age, "n", 0, "old") == 1);
    CHECK(kpi(m, age, "n", 0, "young") == 2);
    CHECK(kpi(m, age, "n", 0, "Unknown") == 1);
    CHECK(model_kpi(m, age, 0, 0, age->nseg) == 4);
    /* Numeric attribute: sum and has_ (customer 4 has no cost). */
    CHECK(kpi(m, age, "cost", 0, "young") == 10);
    CHECK(kpi(m, age, "cost", 0, "old") == 30);
    CHECK(model_kpi(m, age, 1, 0, age->nseg) == 20);
    /* Facts about segments: nil where the segment has no row; All = every row. */
    CHECK(kpi(m, age, "spend", 0, "young") == 100);
    CHECK(kpi(m, age, "spend", 0, "old") == 50);
    CHECK(isnan(kpi(m, age, "spend", 0, "Unknown")));
    CHECK(model_kpi(m, age, 2, 0, age->nseg) == 155);
    CHECK(isnan(kpi(m, age, "spend", 1, "old")));
    CHECK(model_kpi(m, age, 2, 1, age->nseg) == 80);
    /* s.all */
    CHECK(NEAR(kpi(m, age, "share", 0, "young"), 0.5));
    CHECK(NEAR(model_kpi(m, age, 3, 0, age->nseg), 1.0));
    /* customer() and its mean: the share with a band. */
    CHECK(kpi(m, age, "complete", 0, "young") == 1);
    CHECK(kpi(m, age, "complete", 0, "Unknown") == 0);
    CHECK(NEAR(model_kpi(m, age, 4, 0, age->nseg), 0.75));
    /* count(score >= 9) over count(score); quire.ratio gives nil for 0. */
    CHECK(kpi(m, age, "promo", 0, "young") == 1);
    CHECK(kpi(m, age, "promo", 0, "old") == 0);
    CHECK(isnan(kpi(m, age, "promo", 0, "Unknown")));
    CHECK(NEAR(model_kpi(m, age, 5, 0, age->nseg), 0.5));
    CHECK(kpi(m, age, "promo", 1, "young") == 0);
    /* needs: a field the spec lacks gives no value and says which. */
    CHECK(isnan(kpi(m, age, "absent", 0, "young")));
    CHECK(m->kpis[6].missing && strcmp(m->kpis[6].missing, "nps_total") == 0);
    CHECK(m->kpis[5].missing == NULL);
    /* quire.params */
    CHECK(NEAR(model_kpi(m, age, 7, 0, age->nseg), 2.0));
    /* The rule's segmentation, with a text attribute and a lifetime window:
     * January: 1 Fan (customer 1); February and March: 1 Fan, 3 Other. */
    CHECK(fan->nseg == 2);
    CHECK(kpi(m, fan, "n", 0, "Fan") == 1 && kpi(m, fan, "n", 0, "Other") == 3);
    CHECK(kpi(m, fan, "n", 1, "Fan") == 1 && kpi(m, fan, "n", 1, "Other") == 3);
    CHECK(kpi(m, fan, "spend", 0, "Fan") != kpi(m, fan, "spend", 0, "Fan")); /* no row: NAN */
    CHECK(fan->totals.prev_customers[model_pg(fan, m->p_report, 1)] == 2);
    /* c.segment in customer(): this segmentation's segment, never another's. */
    CHECK(kpi(m, fan, "isfan", 0, "Fan") == 1 && kpi(m, fan, "isfan", 0, "Other") == 0);
    CHECK(kpi(m, age, "isfan", 0, "young") == 0);

    /* Insights read the report of the block's segmentation. */
    {
        const spec_block *b = &s->sections[0].blocks[0];
        char *answers[3] = {NULL, NULL, NULL};
        CHECK(b->segmentation == 1 && b->nitems == 3);
        CHECK(insights_answer(m, b, answers, &err) == 0);
        CHECK(answers[0] == NULL);
        CHECK(answers[1] && strcmp(answers[1],
                                   "2024-02..2024-03 Fan,Other moved=2 n=3 young=10.0 "
                                   "mean=2.0 r=1.00 who=Other list2=2 series=2:1,1") == 0);
        if (answers[1] && strncmp(answers[1], "2024-02", 7))
            fprintf(stderr, "answer: %s\n", answers[1]);
        if (!answers[1])
            fprintf(stderr, "insight: %s\n", err.msg);
        /* The text helpers: months with a no-break space, lists, labels. */
        CHECK(answers[2] && strcmp(answers[2], "Feb\xC2\xA0" "2024|Dec\xC2\xA0" "2023|a|a and b|"
                                               "a, b and c|2|2|1|promoters share") == 0);
        if (answers[2] && strncmp(answers[2], "Feb", 3))
            fprintf(stderr, "answer: %s\n", answers[2]);
        free(answers[0]);
        free(answers[1]);
        free(answers[2]);
    }
    /* Export: one pair of files per segmentation. */
    {
        char out[300];
        snprintf(out, sizeof out, "%s/export", dir);
        CHECK(report_export(m, NULL, out, NULL, &err) == 0);
        snprintf(out, sizeof out, "%s/export/kpis-fans.csv", dir);
        CHECK(access(out, R_OK) == 0);
        snprintf(out, sizeof out, "%s/export/segments-fans.csv", dir);
        CHECK(access(out, R_OK) == 0);
    }
out:
    model_free(m);
    facts_free(f);
    spec_free(s);
    plugins_free(&reg);
}

/* A spec made of the head and body, with one replacement: its load error. */
static void expect_error(const char *from, const char *to, const char *want)
{
    char path[256], text[4096];
    const char *at;
    quire_error err = {0};
    spec *s;

    snprintf(text, sizeof text, "%s%s", spec_head, spec_body);
    at = strstr(text, from);
    CHECK(at != NULL);
    if (!at)
        return;
    {
        char out[4096];
        snprintf(out, sizeof out, "%.*s%s%s", (int)(at - text), text, to, at + strlen(from));
        fixture_put("bad.yaml", out);
    }
    snprintf(path, sizeof path, "%s/bad.yaml", dir);
    s = spec_load(path, NULL, 0, &err);
    CHECK(s == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK(strstr(err.file, "bad.yaml") != NULL && err.line > 0 && err.col > 0);
    CHECK(strstr(err.msg, want) != NULL);
    if (!strstr(err.msg, want))
        fprintf(stderr, "want \"%s\" in: %s\n", want, err.msg);
    spec_free(s);
}

int main(void)
{
    char text[4096];

    if (fixture_open("/tmp/quire-model-"))
        return 2;
    snprintf(text, sizeof text, "%s%s", spec_head, spec_body);
    fixture_put("spec.yaml", text);
    fixture_put("customers.csv", customers);
    fixture_put("surveys.csv", surveys);
    fixture_put("spend.csv", spend);
    fixture_put("fans.lua", fans);
    fixture_put("n.lua", "return { unit = 'count', value = function(s) return s.customers end }\n");
    fixture_put("cost.lua", "return { unit = 'currency', needs = { 'cost', 'has_cost' },\n"
                    "  value = function(s) return quire.ratio(s.cost, s.has_cost) end }\n");
    fixture_put("spend.lua", "return { unit = 'currency',\n"
                             "  value = function(s) return s.spend end }\n");
    fixture_put("share.lua", "return { unit = 'percent', value = function(s)\n"
                     "  return s.customers / s.all.customers end }\n");
    fixture_put("complete.lua", "return { unit = 'percent', customer = function(c)\n"
                        "  return c.band and 1 or 0 end }\n");
    fixture_put("promo.lua", "return { label = 'Promoters share', unit = 'percent',\n"
                     "  needs = { 'promoters', 'answers' },\n"
                     "  value = function(s) return quire.ratio(s.promoters, s.answers) end }\n");
    fixture_put("absent.lua", "return { needs = { 'customers', 'nps_total' },\n"
                      "  value = function(s) return s.nps_total end }\n");
    fixture_put("margin.lua", "return { value = function(s)\n"
                              "  return quire.params.margin * s.customers end }\n");
    fixture_put("isfan.lua", "return { customer = function(c)\n"
                             "  return c.segment == 'Fan' and 1 or 0 end }\n");
    fixture_put("insight.lua",
        "return function(r, args)\n"
        "  local s = r.series('n', 'Fan')\n"
        "  return string.format('%s..%s %s moved=%d n=%d young=%s mean=%.1f r=%.2f who=%s '\n"
        "    .. 'list2=%d series=%d:%d,%d',\n"
        "    r.months[1], r.months[#r.months], table.concat(r.segments, ','),\n"
        "    r.moved('Other', 'Other', '2024-02'), r.customers('Other', 1),\n"
        "    quire.format(10, 'number', 1), quire.mean({1, 2, 3, 'x'}),\n"
        "    quire.correlation({1, 2, 3}, {2, 4, 6}), args.who, args.list[2],\n"
        "    s.n, s[1], s[2])\n"
        "end\n");
    fixture_put("words.lua",
        "return function(r)\n"
        "  return table.concat({ quire.month_label('2024-02'), quire.month_label('2024-01', -1),\n"
        "    quire.join({'a'}), quire.join({'a', 'b'}), quire.join({'a', 'b', 'c'}),\n"
        "    r.month_index(), r.month_index('2024-03'), r.month_index(nil, 1),\n"
        "    r.kpis.promo.phrase }, '|')\n"
        "end\n");
    test_model();

    expect_error("key: id\n    date: day", "key: id\n    segment: band\n    date: day",
                 "either \"key\"");
    expect_error("count(score >= 9)", "count(score >> 9)", "right side");
    expect_error("count(score >= 9)", "sum(score >= 9)", "only count takes a condition");
    expect_error("by: band", "by: region", "\"by\" must name one of the entities' attributes");
    expect_error("segmentation: fans", "segmentation: fanz", "did you mean \"fans\"");
    expect_error("by: band", "by: cost", "\"by\" needs a text attribute");
    expect_error("windows: [lifetime]", "windows: [forever]", "lifetime");
    expect_error("attributes: [band, cost]", "attributes: [band, colour]",
                 "must be a column declared in source");
    expect_error("spend_rows: count", "spend_rows: max(amount)", "count and sum measures only");
    expect_error("list: [Fan, Other]", "list: [Fan, All]", "\"All\" names every customer");
    expect_error("with: { who", "insight_: x\n              with: { who", "unknown key");
    fixture_close();
    return check_done("model");
}
