/*
 * test_facts.c - the facts engine, segments and KPIs on a small hand-made
 * data set whose every number is known, read through the real CSV plugin.
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

static const char spec_text[] =
    "title: Facts\n"
    "periods: { from: 2024-02, to: 2024-03, history: 2 }\n"
    "sources:\n"
    "  customers: { plugin: csv, path: customers.csv,\n"
    "               columns: { id: integer, since: date } }\n"
    "  orders: { plugin: csv, path: orders.csv,\n"
    "            columns: { id: integer, day: date, amount: number } }\n"
    "entities: { source: customers, key: id, since: since }\n"
    "facts:\n"
    "  - source: orders\n"
    "    key: id\n"
    "    date: day\n"
    "    measures: { orders: count, revenue: sum(amount), biggest: max(amount),\n"
    "                last_order: max(day) }\n"
    "features: { windows: [2] }\n"
    "segments:\n"
    "  rule: rule.lua\n"
    "  list: [Buyer, Idle, { name: Gone, churned: true }]\n"
    "kpis:\n"
    "  customers: count.lua\n"
    "  aov: aov.lua\n"
    "  retention: retention.lua\n"
    "  again: again.lua\n"
    "  hidden: hidden.lua\n";

/* Months loaded: 2023-12 .. 2024-03 (history 2 before February). */
static const char customers[] =
    "id,since\n"
    "1,2023-01-10\n"
    "2,2023-06-01\n"
    "3,2024-03-05\n" /* signs up in March: no segment in February */
    "2,2020-01-01\n" /* duplicate id: ignored */
    "40,\n";         /* no sign-up date */

static const char orders[] =
    "id,day,amount\n"
    "1,2023-11-30,999\n" /* before the loaded months: skipped */
    "1,2023-12-15,10\n"
    "1,2024-01-20,20.5\n"
    "1,2024-02-01,30\n"
    "1,2024-02-28,5\n"
    "2,2024-01-05,100\n"
    "3,2024-03-06,7.25\n"
    "9,2024-02-10,50\n"  /* unknown customer */
    "40,2024-03-31,1\n"
    "1,2024-04-01,1000\n"; /* after the report: skipped */

/* Buyer: ordered within 35 days; Idle: within 62; otherwise Gone. */
static const char rule[] =
    "-- orders_2m: mentioned in a comment only, so not filled in\n"
    "return function(c)\n"
    "  local d = c[\"days_since_last_order\"] --[[ a string mention counts ]]\n"
    "  if d == nil then return 'Gone' end\n"
    "  if d <= 35 then return 'Buyer' end\n"
    "  if d <= 62 then return 'Idle' end\n"
    "  return 'Gone'\n"
    "end\n";

static void test_facts(void)
{
    plugin_registry reg = {0};
    quire_error err = {0};
    char path[256];
    spec *s;
    facts *f;
    model *m;
    long e1, e2, e3, e40;
    int rev, big, cnt, last;

    snprintf(path, sizeof path, "%s/spec.yaml", dir);
    s = spec_load(path, NULL, 0, &err);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    f = facts_build(s, &reg, NULL, &err);
    CHECK(f != NULL);
    if (!f) {
        fprintf(stderr, "%s\n", err.msg);
        spec_free(s);
        plugins_free(&reg);
        return;
    }
    CHECK(f->nentities == 4);
    CHECK(f->duplicates == 1);
    CHECK(f->month0 == 2023 * 12 + 11);
    CHECK(f->nperiods == 4);
    CHECK(f->unknown_keys == 1);
    CHECK(f->outside == 2);
    e1 = facts_find_int(f, 1);
    e2 = facts_find_int(f, 2);
    e3 = facts_find_int(f, 3);
    e40 = facts_find_int(f, 40);
    CHECK(e1 >= 0 && e2 >= 0 && e3 >= 0 && e40 >= 0);
    CHECK(facts_find_int(f, 9) == -1);
    CHECK(f->since[e2] != FACTS_NO_DATE);
    CHECK(f->since[e40] == FACTS_NO_DATE);
    cnt = facts_measure_index(f, "orders");
    rev = facts_measure_index(f, "revenue");
    big = facts_measure_index(f, "biggest");
    last = facts_measure_index(f, "last_order");
    CHECK(cnt >= 0 && rev >= 0 && big >= 0 && last >= 0);
    /* Period 2 is February 2024. */
    CHECK(facts_value(f, (size_t)cnt, 2, (size_t)e1) == 2);
    CHECK(facts_value(f, (size_t)rev, 2, (size_t)e1) == 35);
    CHECK(facts_value(f, (size_t)big, 2, (size_t)e1) == 30);
    CHECK(facts_value(f, (size_t)rev, 1, (size_t)e1) == 20.5);
    CHECK(facts_value(f, (size_t)rev, 0, (size_t)e1) == 10);
    CHECK(facts_value(f, (size_t)cnt, 2, (size_t)e2) == 0);
    CHECK(isnan(facts_value(f, (size_t)big, 2, (size_t)e2)));
    CHECK(facts_value(f, (size_t)last, 3, (size_t)e3) == 19788); /* 2024-03-06 */

    m = model_new(s, f, &err);
    CHECK(m != NULL);
    if (m && kpis_load(m, &err) == 0 && segments_assign(m, &err) == 0 &&
        kpis_evaluate(m, &err) == 0) {
        const grouping *gr = &m->groups[0];
        /* Customer 1: last order 2024-02-28 -> Feb: 1 day ago, Buyer; Mar: 32 days, Buyer.
         * Customer 2: last order 2024-01-05 -> Feb: 55 days, Idle; Mar: 86 days, Gone.
         * Customer 3: no segment in Feb (not yet signed up), Buyer in March.
         * Customer 40: no since, no order before March -> Gone in Feb, Buyer in March. */
        size_t ne = f->nentities;
        CHECK(gr->seg[2 * ne + (size_t)e1] == 0);
        CHECK(gr->seg[3 * ne + (size_t)e1] == 0);
        CHECK(gr->seg[2 * ne + (size_t)e2] == 1);
        CHECK(gr->seg[3 * ne + (size_t)e2] == 2);
        CHECK(gr->seg[2 * ne + (size_t)e3] == -1);
        CHECK(gr->seg[3 * ne + (size_t)e3] == 0);
        CHECK(gr->seg[2 * ne + (size_t)e40] == 2);
        CHECK(gr->seg[3 * ne + (size_t)e40] == 0);
        /* KPIs: report month 0 = Feb, 1 = Mar; groups Buyer 0, Idle 1, Gone 2, All 3. */
        CHECK(model_kpi(m, gr, 0, 0, 0) == 1);
        CHECK(model_kpi(m, gr, 0, 1, 0) == 3);
        CHECK(model_kpi(m, gr, 0, 0, 3) == 3);
        CHECK(model_kpi(m, gr, 0, 1, 3) == 4);
        /* aov over the 2-month window: Feb Buyer = customer 1, Jan+Feb = 55.5 / 3 */
        CHECK(fabs(model_kpi(m, gr, 1, 0, 0) - 55.5 / 3) < 1e-9);
        /* Idle in March: nobody, so no value. */
        CHECK(isnan(model_kpi(m, gr, 1, 1, 1)));
        /* Retention in March: Buyer in Feb = {1} -> still Buyer: 1.0;
         * Idle in Feb = {2} -> Gone (churned): 0.0. */
        CHECK(model_kpi(m, gr, 2, 1, 0) == 1.0);
        CHECK(model_kpi(m, gr, 2, 1, 1) == 0.0);
        /* Cohorts: January's Buyers are customers 1 and 2 (11 and 26 days);
         * in February 1 orders again and 2 does not. In March nobody of
         * February's Buyers (customer 1) orders. */
        CHECK(model_kpi(m, gr, 3, 0, 0) == 0.5);
        CHECK(model_kpi(m, gr, 3, 1, 0) == 0.0);
        /* A field no script names plainly is not computed: hidden.lua builds
         * the name "biggest" at run time and finds nothing. */
        CHECK(model_kpi(m, gr, 4, 0, 0) == -1);
        {
            size_t k;
            for (k = 0; k < m->nfields; k++) {
                if (strcmp(m->fields[k].name, "biggest") == 0)
                    CHECK(!m->fields[k].needed);
                if (strcmp(m->fields[k].name, "days_since_last_order") == 0)
                    CHECK(m->fields[k].needed && m->fields[k].used);
                if (strcmp(m->fields[k].name, "orders_2m") == 0)
                    CHECK(m->fields[k].needed && !m->fields[k].used);
            }
        }
        {
            char out[300];
            FILE *fp;
            char line[256];
            int rows = 0, found = 0;
            snprintf(out, sizeof out, "%s/export", dir);
            CHECK(report_export(m, NULL, out, NULL, &err) == 0);
            snprintf(out, sizeof out, "%s/export/kpis.csv", dir);
            fp = fopen(out, "r");
            CHECK(fp != NULL);
            while (fp && fgets(line, sizeof line, fp)) {
                rows++;
                if (strcmp(line, "2024-03,Buyer,customers,3\n") == 0)
                    found++;
                if (strcmp(line, "2024-02,Buyer,aov,18.5\n") == 0)
                    found++;
            }
            if (fp)
                fclose(fp);
            CHECK(rows == 1 + 2 * 3 * 5);
            CHECK(found == 2);
        }
    } else {
        fprintf(stderr, "model: %s\n", err.msg);
        CHECK(0);
    }
    model_free(m);
    facts_free(f);
    spec_free(s);
    plugins_free(&reg);
}

/* An integer sum that outgrows 32 bits is held as a double from then on,
 * with the exact total (not the wrapped one). */
static void test_big_sums(void)
{
    plugin_registry reg = {0};
    quire_error err = {0};
    char path[256];
    spec *s;
    facts *f;
    int units;
    long e1, e2;

    fixture_put("big.yaml",
                "title: Big\n"
                "periods: { from: 2024-02, to: 2024-02, history: 0 }\n"
                "sources:\n"
                "  customers: { plugin: csv, path: customers.csv, columns: { id: integer } }\n"
                "  units: { plugin: csv, path: units.csv,\n"
                "           columns: { id: integer, day: date, n: integer } }\n"
                "entities: { source: customers, key: id }\n"
                "facts:\n"
                "  - { source: units, key: id, date: day, measures: { units: sum(n) } }\n"
                "segments: { rule: rule.lua, list: [Buyer, Idle, Gone] }\n");
    fixture_put("units.csv", "id,day,n\n"
                             "1,2024-02-01,2000000000\n"
                             "2,2024-02-01,7\n"
                             "1,2024-02-02,2000000000\n" /* past INT32_MAX */
                             "1,2024-02-03,-5\n"
                             "2,2024-02-04,-3000000000\n"); /* not an int32 at all */
    snprintf(path, sizeof path, "%s/big.yaml", dir);
    s = spec_load(path, NULL, 0, &err);
    CHECK(s != NULL);
    f = s ? facts_build(s, &reg, NULL, &err) : NULL;
    CHECK(f != NULL);
    if (f) {
        units = facts_measure_index(f, "units");
        e1 = facts_find_int(f, 1);
        e2 = facts_find_int(f, 2);
        CHECK(units >= 0 && e1 >= 0 && e2 >= 0);
        CHECK(facts_value(f, (size_t)units, 0, (size_t)e1) == 3999999995.0);
        CHECK(facts_value(f, (size_t)units, 0, (size_t)e2) == -2999999993.0);
    } else {
        fprintf(stderr, "%s\n", err.msg);
    }
    facts_free(f);
    spec_free(s);
    plugins_free(&reg);
}

/*
 * A fact source is read on one thread and folded on another, through a ring
 * of copied batches: many batches of string keys (their bytes copied out of
 * the reader's buffer before it is refilled) fold to the same sums, to the
 * last bit, as adding the rows up in file order.
 */
static void test_many_batches(void)
{
    enum { NCUST = 97, NROWS = 60000 };
    plugin_registry reg = {0};
    quire_error err = {0};
    char path[256], line[64];
    double want[NCUST] = {0};
    unsigned count[NCUST] = {0};
    size_t n = 0, cap = (size_t)NROWS * 40 + 64;
    char *text = malloc(cap);
    spec *s;
    facts *f;
    int i, rev, nbuys, ok = 1;

    if (!text)
        abort();
    fixture_put("many.yaml",
                "title: Many\n"
                "periods: { from: 2024-02, to: 2024-02, history: 0 }\n"
                "sources:\n"
                "  people: { plugin: csv, path: people.csv, columns: { who: string } }\n"
                "  buys: { plugin: csv, path: buys.csv,\n"
                "          columns: { who: string, day: date, amount: number } }\n"
                "entities: { source: people, key: who }\n"
                "facts:\n"
                "  - { source: buys, key: who, date: day,\n"
                "      measures: { buys: count, spent: sum(amount) } }\n"
                "segments: { rule: rule.lua, list: [Buyer, Idle, Gone] }\n");
    n = (size_t)snprintf(text, cap, "who\n");
    for (i = 0; i < NCUST; i++)
        n += (size_t)snprintf(text + n, cap - n, "customer-%d\n", i);
    fixture_put("people.csv", text);
    n = (size_t)snprintf(text, cap, "who,day,amount\n");
    for (i = 0; i < NROWS; i++) {
        int c = (i * 31) % NCUST;
        int cents = (i * 7919) % 100000;
        snprintf(line, sizeof line, "%d.%02d", cents / 100, cents % 100);
        want[c] += strtod(line, NULL);
        count[c]++;
        n += (size_t)snprintf(text + n, cap - n, "customer-%d,2024-02-%02d,%s\n", c, 1 + i % 28,
                              line);
    }
    fixture_put("buys.csv", text);
    snprintf(path, sizeof path, "%s/many.yaml", dir);
    s = spec_load(path, NULL, 0, &err);
    CHECK(s != NULL);
    f = s ? facts_build(s, &reg, NULL, &err) : NULL;
    CHECK(f != NULL);
    if (f) {
        rev = facts_measure_index(f, "spent");
        nbuys = facts_measure_index(f, "buys");
        CHECK(rev >= 0 && nbuys >= 0);
        for (i = 0; i < NCUST && rev >= 0 && nbuys >= 0; i++) {
            long e;
            n = (size_t)snprintf(line, sizeof line, "customer-%d", i);
            e = facts_find_str(f, line, n);
            if (e < 0 || facts_value(f, (size_t)rev, 0, (size_t)e) != want[i] ||
                facts_value(f, (size_t)nbuys, 0, (size_t)e) != (double)count[i])
                ok = 0;
        }
        CHECK(ok);
    } else {
        fprintf(stderr, "%s\n", err.msg);
    }
    facts_free(f);
    spec_free(s);
    plugins_free(&reg);
    free(text);
}

int main(void)
{
    if (fixture_open("/tmp/quire-facts-"))
        return 2;
    fixture_put("spec.yaml", spec_text);
    fixture_put("customers.csv", customers);
    fixture_put("orders.csv", orders);
    fixture_put("rule.lua", rule);
    fixture_put("count.lua", "return { unit = 'count',\n"
                             "  value = function(s) return s.customers end }\n");
    fixture_put("aov.lua", "return { unit = 'currency', value = function(s)\n"
                   "  if s.orders_2m == 0 then return nil end\n"
                   "  return s.revenue_2m / s.orders_2m end }\n");
    fixture_put("retention.lua", "return { unit = 'percent', value = function(s)\n"
                         "  if s.prev_customers == 0 then return nil end\n"
                         "  return s.retained / s.prev_customers end }\n");
    fixture_put("again.lua", "return { unit = 'percent', value = function(s)\n"
                     "  if s.cohort.customers == 0 then return nil end\n"
                     "  return s.cohort.has_orders / s.cohort.customers end }\n");
    fixture_put("hidden.lua", "--[==[ biggest: named in a comment only ]==]\n"
                      "-- biggest\n"
                      "return { value = function(s)\n"
                      "  local v = s['bigg' .. 'est']\n"
                      "  if v == nil then return -1 end\n"
                      "  return v end }\n");
    test_facts();
    test_big_sums();
    test_many_batches();
    fixture_close();
    return check_done("facts");
}
