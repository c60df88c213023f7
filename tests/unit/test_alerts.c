/*
 * test_alerts.c - subscriptions and alerts in the ledger, a run's values
 * written and read back, the comparison of an alert with them (a threshold,
 * a change on the month before, a missing value, no previous month), a
 * breach recorded once per (alert, period), the messages, and the email
 * summary of a document (render/summary.c).
 */
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "alerts.h"
#include "check.h"
#include "fixture.h"
#include "ledger_sql.h"
#include "state.h"
#include "summary.h"

static char *path_in(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static void sql_text_into(const char *db, const char *sql, char *buf, size_t n)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;

    snprintf(buf, n, "(no row)");
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(q, 0);
        snprintf(buf, n, "%s", t ? (const char *)t : "(null)");
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
}

static kpi_value val(const char *month, const char *segment, const char *kpi, double v)
{
    kpi_value k;
    memset(&k, 0, sizeof k);
    snprintf(k.month, sizeof k.month, "%s", month);
    snprintf(k.segment, sizeof k.segment, "%s", segment);
    snprintf(k.kpi, sizeof k.kpi, "%s", kpi);
    k.value = v;
    return k;
}

static alert make_alert(const char *kpi, const char *segment, const char *cond)
{
    alert a;
    quire_error err = {0};
    memset(&a, 0, sizeof a);
    snprintf(a.report, sizeof a.report, "monthly");
    snprintf(a.name, sizeof a.name, "%s %s %s", kpi, segment, cond);
    snprintf(a.kpi, sizeof a.kpi, "%s", kpi);
    snprintf(a.segment, sizeof a.segment, "%s", segment);
    CHECK(alert_parse_condition(cond, &a, &err) == 0);
    a.ntargets = 1;
    snprintf(a.targets[0].channel, sizeof a.targets[0].channel, "email");
    snprintf(a.targets[0].address, sizeof a.targets[0].address, "ops@example.com");
    return a;
}

/* ------------------------------------------------------------ conditions */

static void test_conditions(void)
{
    alert a;
    quire_error err = {0};
    char buf[64];

    memset(&a, 0, sizeof a);
    CHECK(alert_parse_condition("value > 0.05", &a, &err) == 0);
    CHECK(a.measure == ALERT_VALUE && a.op == ALERT_GT && a.threshold == 0.05);
    CHECK(alert_parse_condition("value>=5%", &a, &err) == 0);
    CHECK(a.op == ALERT_GE && fabs(a.threshold - 0.05) < 1e-15);
    CHECK(alert_parse_condition("  change < -10 % ", &a, &err) == 0);
    CHECK(a.measure == ALERT_CHANGE && a.op == ALERT_LT && fabs(a.threshold + 0.1) < 1e-15);
    CHECK(alert_parse_condition("change <= 2.5e1%", &a, &err) == 0);
    CHECK(a.op == ALERT_LE && fabs(a.threshold - 0.25) < 1e-15);
    alert_condition_text(&a, buf, sizeof buf);
    CHECK_STR(buf, "change <= 25%");
    a.measure = ALERT_VALUE;
    a.op = ALERT_GT;
    a.threshold = 0.05;
    alert_condition_text(&a, buf, sizeof buf);
    CHECK_STR(buf, "value > 0.05");

    /* what is not a condition: an error that says what is */
    {
        static const char *const badc[] = {"",          "value",      "value >",
                                           "value => 1", "value > 1 2", "value > nan",
                                           "value > inf", "size > 1",  "value = 1",
                                           "value > 1%%", "change > 10% more"};
        size_t i;
        for (i = 0; i < sizeof badc / sizeof *badc; i++) {
            memset(&err, 0, sizeof err);
            CHECK(alert_parse_condition(badc[i], &a, &err) == -1);
            CHECK(err.code == QUIRE_EXIT_USAGE);
            CHECK_CONTAINS(err.msg, "value OP NUMBER");
        }
    }
}

/* ------------------------------------------------------------ evaluation */

static void test_check(void)
{
    kpi_value v[8];
    size_t n = 0;
    alert a;
    alert_check_result r;

    v[n++] = val("2024-03", "VIP", "churn_rate", 0.04);
    v[n++] = val("2024-04", "VIP", "churn_rate", 0.06);
    v[n++] = val("2024-03", "At Risk", "customer_count", 40);
    v[n++] = val("2024-04", "At Risk", "customer_count", 45);
    v[n++] = val("2024-04", "", "customer_count", 230);       /* all customers */
    v[n++] = val("2024-04", "New", "customer_count", NAN);    /* no value */
    v[n++] = val("2024-03", "Lost", "customer_count", 0);
    v[n++] = val("2024-04", "Lost", "customer_count", 3);

    /* a threshold: "VIP churn rate above 5 %" */
    a = make_alert("churn_rate", "VIP", "value > 0.05");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_BREACH);
    CHECK(r.value == 0.06 && r.measured == 0.06 && isnan(r.previous));
    CHECK(alert_check(&a, v, n, "2024-03", &r) == ALERT_CLEAR);
    CHECK(r.value == 0.04);
    a = make_alert("churn_rate", "VIP", "value > 6%");  /* at the threshold: not above */
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_CLEAR);
    a = make_alert("churn_rate", "VIP", "value >= 6%");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_BREACH);
    a = make_alert("churn_rate", "VIP", "value < 0.05");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_CLEAR);
    CHECK(alert_check(&a, v, n, "2024-03", &r) == ALERT_BREACH);
    /* all customers: the segment "" */
    a = make_alert("customer_count", "", "value > 200");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_BREACH);
    CHECK(r.value == 230);

    /* a change: "At Risk grew more than 10 % month on month": 40 to 45 is 12.5 % */
    a = make_alert("customer_count", "At Risk", "change > 10%");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_BREACH);
    CHECK(r.value == 45 && r.previous == 40 && fabs(r.measured - 0.125) < 1e-12);
    a = make_alert("customer_count", "At Risk", "change > 12.5%");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_CLEAR);
    a = make_alert("customer_count", "At Risk", "change < -10%");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_CLEAR);

    /* a missing value: no KPI, no segment, no month, or NAN */
    a = make_alert("no_such_kpi", "VIP", "value > 0");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_NO_VALUE);
    CHECK(isnan(r.value));
    a = make_alert("churn_rate", "Nobody", "value > 0");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_NO_VALUE);
    a = make_alert("churn_rate", "VIP", "value > 0");
    CHECK(alert_check(&a, v, n, "2024-05", &r) == ALERT_NO_VALUE);
    a = make_alert("customer_count", "New", "value > -1");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_NO_VALUE);
    CHECK(alert_check(&a, v, 0, "2024-04", &r) == ALERT_NO_VALUE);

    /* no previous period: the first month, or a previous value of 0 */
    a = make_alert("customer_count", "At Risk", "change > 10%");
    CHECK(alert_check(&a, v, n, "2024-03", &r) == ALERT_NO_PREVIOUS);
    CHECK(r.value == 40 && isnan(r.previous));
    a = make_alert("customer_count", "", "change > -100%");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_NO_PREVIOUS);
    a = make_alert("customer_count", "Lost", "change > 0%");
    CHECK(alert_check(&a, v, n, "2024-04", &r) == ALERT_NO_PREVIOUS);
    /* across a year */
    v[0] = val("2023-12", "VIP", "churn_rate", 0.05);
    v[1] = val("2024-01", "VIP", "churn_rate", 0.04);
    a = make_alert("churn_rate", "VIP", "change < -10%");
    CHECK(alert_check(&a, v, n, "2024-01", &r) == ALERT_BREACH);
    CHECK(fabs(r.measured + 0.2) < 1e-12);
}

/* ------------------------------------------------------------ a run's values */

static void test_values_file(void)
{
    char *p = path_in("run.pdf.values");
    kpi_value v[4], *back = NULL;
    size_t n = 0;
    quire_error err = {0};

    v[0] = val("2024-04", "VIP", "churn_rate", 0.1 + 0.2); /* not a short decimal */
    v[1] = val("2024-04", "", "customer_count", 230);
    v[2] = val("2024-04", "New", "aov", NAN);
    v[3] = val("2024-04", "At Risk", "aov", -1e-9);
    CHECK(kpi_values_write(p, v, 4, &err) == 0);
    CHECK(kpi_values_read(p, &back, &n, &err) == 0);
    CHECK(n == 4);
    if (n == 4) {
        CHECK(back[0].value == 0.1 + 0.2); /* exact: not re-rounded text */
        CHECK_STR(back[1].segment, "");
        CHECK(back[1].value == 230);
        CHECK(isnan(back[2].value));
        CHECK_STR(back[3].segment, "At Risk");
        CHECK(back[3].value == -1e-9);
    }
    free(back);
    /* lines that are not values are passed over; a value that is not a
     * number is none */
    fixture_put("odd.values", "# a comment\nnot a line\n2024-04\tVIP\tk\t12abc\n"
                              "2024-04\tVIP\tm\t7\n");
    {
        char *odd = path_in("odd.values");
        CHECK(kpi_values_read(odd, &back, &n, &err) == 0);
        CHECK(n == 2);
        if (n == 2)
            CHECK(isnan(back[0].value) && back[1].value == 7);
        free(back);
        free(odd);
    }
    CHECK(kpi_values_read("/nonexistent/run.values", &back, &n, &err) == -1);
    CHECK(back == NULL && n == 0);
    free(p);
}

/* ------------------------------------------------------------ storage */

static void test_subscriptions(void)
{
    char *db = path_in("subs.db");
    quire_error err = {0};
    state *st = state_open(db, STATE_SHARED, &err), *sched;
    subscription s, *list = NULL, found;
    size_t n = 0;
    int64_t id1 = 0, id2 = 0, id3 = 0;
    int have;

    CHECK(st != NULL);
    if (!st)
        return;
    /* beside a scheduler holding the state file's lock */
    sched = state_open(db, STATE_SCHEDULER, &err);
    CHECK(sched != NULL);
    memset(&s, 0, sizeof s);
    snprintf(s.report, sizeof s.report, "monthly");
    snprintf(s.channel, sizeof s.channel, "email");
    snprintf(s.address, sizeof s.address, "a@example.com");
    CHECK(sub_add(st, &s, 100, &id1, &err) == 0);
    CHECK(id1 > 0);
    memset(&err, 0, sizeof err);
    CHECK(sub_add(st, &s, 101, NULL, &err) == -1); /* the same address again */
    CHECK_CONTAINS(err.msg, "already subscribed to monthly (subscription");
    snprintf(s.channel, sizeof s.channel, "webhook");
    snprintf(s.address, sizeof s.address, "https://hooks.example.com/q");
    snprintf(s.token_env, sizeof s.token_env, "HOOK_TOKEN");
    snprintf(s.format, sizeof s.format, "json");
    CHECK(sub_add(st, &s, 102, &id2, &err) == 0);
    snprintf(s.report, sizeof s.report, "weekly");
    s.format[0] = '\0';
    CHECK(sub_add(st, &s, 103, &id3, &err) == 0);

    /* what cannot be subscribed */
    snprintf(s.channel, sizeof s.channel, "email");
    snprintf(s.address, sizeof s.address, "a@example.com\r\nRCPT TO:<b@example.com>");
    s.token_env[0] = '\0';
    CHECK(sub_add(st, &s, 104, NULL, &err) == -1);
    CHECK(strstr(err.msg, "\r") == NULL && strstr(err.msg, "\n") == NULL);
    snprintf(s.channel, sizeof s.channel, "webhook");
    snprintf(s.address, sizeof s.address, "file:///etc/passwd");
    CHECK(sub_add(st, &s, 104, NULL, &err) == -1);
    snprintf(s.address, sizeof s.address, "https://a.example.com/\nX-Injected: 1");
    CHECK(sub_add(st, &s, 104, NULL, &err) == -1);
    snprintf(s.address, sizeof s.address, "https://user:Secret-9@a.example.com/q");
    memset(&err, 0, sizeof err);
    CHECK(sub_add(st, &s, 104, NULL, &err) == -1);
    CHECK_CONTAINS(err.msg, "--token-env");
    CHECK_CONTAINS(err.msg, "\"https://***@a.example.com/q\"");
    CHECK(strstr(err.msg, "Secret-9") == NULL);
    snprintf(s.address, sizeof s.address, "https://a.example.com/q?to=a@b.com");
    CHECK(sub_add(st, &s, 104, NULL, &err) == 0); /* an @ after the host is no login */
    snprintf(s.address, sizeof s.address, "https://a.example.com/");
    snprintf(s.token_env, sizeof s.token_env, "A;rm");
    CHECK(sub_add(st, &s, 104, NULL, &err) == -1);
    s.token_env[0] = '\0';
    snprintf(s.format, sizeof s.format, "csv");
    CHECK(sub_add(st, &s, 104, NULL, &err) == -1);
    snprintf(s.channel, sizeof s.channel, "sms");
    CHECK(sub_add(st, &s, 104, NULL, &err) == -1);

    CHECK(sub_list(st, "monthly", &list, &n, &err) == 0);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(list[0].id == id1 && strcmp(list[0].channel, "email") == 0);
        CHECK_STR(list[0].format, "pdf");
        CHECK_STR(list[1].address, "https://hooks.example.com/q");
        CHECK_STR(list[1].token_env, "HOOK_TOKEN");
        CHECK_STR(list[1].format, "json");
        CHECK(list[1].created == 102);
    }
    free(list);
    CHECK(sub_list(st, NULL, &list, &n, &err) == 0);
    CHECK(n == 4);
    free(list);
    CHECK(sub_find(st, "monthly", "email", "a@example.com", &found, &have, &err) == 0 && have);
    CHECK(sub_find(st, "weekly", "email", "a@example.com", &found, &have, &err) == 0 && !have);

    CHECK(sub_remove(st, id1, &err) == 0);
    memset(&err, 0, sizeof err);
    CHECK(sub_remove(st, id1, &err) == -1);
    CHECK_CONTAINS(err.msg, "no subscription");
    /* ids are not reused: a new one never takes a removed one's */
    snprintf(s.report, sizeof s.report, "monthly");
    snprintf(s.channel, sizeof s.channel, "email");
    snprintf(s.address, sizeof s.address, "c@example.com");
    s.format[0] = '\0';
    CHECK(sub_remove(st, id3, &err) == 0);
    {
        int64_t id4 = 0;
        CHECK(sub_add(st, &s, 105, &id4, &err) == 0);
        CHECK(id4 > id3);
    }
    state_close(sched);
    state_close(st);
    free(db);
}

static void test_alert_storage(void)
{
    char *db = path_in("alerts.db");
    quire_error err = {0};
    state *st = state_open(db, STATE_SCHEDULER, &err);
    alert a, *list = NULL, got;
    alert_event *ev = NULL;
    alert_check_result r;
    size_t n = 0;
    int64_t id = 0, id2 = 0, run = 0;
    int fired = -1, have;
    run_new rn;

    CHECK(st != NULL);
    if (!st)
        return;
    a = make_alert("churn_rate", "VIP", "value > 0.05");
    snprintf(a.name, sizeof a.name, "VIP churn above 5 %%");
    a.ntargets = 2;
    snprintf(a.targets[1].channel, sizeof a.targets[1].channel, "webhook");
    snprintf(a.targets[1].address, sizeof a.targets[1].address, "https://hooks.example.com/a");
    snprintf(a.targets[1].token_env, sizeof a.targets[1].token_env, "HOOK_TOKEN");
    CHECK(alert_add(st, &a, 200, &id, &err) == 0);
    memset(&err, 0, sizeof err);
    CHECK(alert_add(st, &a, 201, NULL, &err) == -1); /* the same name */
    CHECK_CONTAINS(err.msg, "already has an alert named");
    CHECK(sql_int(db, "SELECT count(*) FROM alerts") == 1); /* rolled back */
    snprintf(a.name, sizeof a.name, "second");
    a.ntargets = 0;
    CHECK(alert_add(st, &a, 201, NULL, &err) == -1); /* no target */
    a.ntargets = 1;
    snprintf(a.targets[0].address, sizeof a.targets[0].address, "not an address");
    CHECK(alert_add(st, &a, 201, NULL, &err) == -1);
    CHECK(sql_int(db, "SELECT count(*) FROM alerts") == 1);

    CHECK(alert_list(st, "monthly", &list, &n, &err) == 0);
    CHECK(n == 1);
    if (n == 1) {
        CHECK(list[0].id == id);
        CHECK_STR(list[0].name, "VIP churn above 5 %");
        CHECK_STR(list[0].segment, "VIP");
        CHECK(list[0].measure == ALERT_VALUE && list[0].op == ALERT_GT);
        CHECK(list[0].threshold == 0.05);
        CHECK(list[0].ntargets == 2);
        CHECK_STR(list[0].targets[1].token_env, "HOOK_TOKEN");
    }
    free(list);
    CHECK(alert_list(st, "weekly", &list, &n, &err) == 0 && n == 0);
    free(list);
    CHECK(alert_get(st, id, &got, &have, &err) == 0 && have && got.ntargets == 2);
    CHECK(alert_get(st, id + 100, &got, &have, &err) == 0 && !have);

    /* a breach, once per (alert, period) */
    memset(&rn, 0, sizeof rn);
    rn.scheduled = 1714536000;
    rn.period = "2024-04";
    rn.from = "2023-05";
    rn.to = "2024-04";
    rn.status = RUN_PENDING;
    CHECK(state_run_add(st, "monthly", &rn, 300, &run, &err) == 0);
    got.id = id;
    r.state = ALERT_BREACH;
    r.value = 0.06;
    r.previous = NAN;
    r.measured = 0.06;
    CHECK(alert_fire(st, &got, run, "2024-04", "2024-04", &r, 300, &fired, &err) == 0);
    CHECK(fired == 1);
    CHECK(sql_int(db, "SELECT count(*) FROM deliveries WHERE channel = 'alert'") == 2);
    CHECK(alert_fire(st, &got, run, "2024-04", "2024-04", &r, 301, &fired, &err) == 0);
    CHECK(fired == 0);
    /* a second run of the period (a forced rerun): not again */
    {
        int64_t run2 = 0;
        run_row row;
        CHECK(state_run_get(st, run, &row, &err) == 0);
        CHECK(state_rerun_new(st, &row, 302, &run2, &err) == 0);
        CHECK(alert_fire(st, &got, run2, "2024-04", "2024-04", &r, 302, &fired, &err) == 0);
        CHECK(fired == 0);
    }
    CHECK(sql_int(db, "SELECT count(*) FROM deliveries WHERE channel = 'alert'") == 2);
    /* the next period in breach: a breach of its own */
    CHECK(alert_fire(st, &got, run, "2024-05", "2024-05", &r, 303, &fired, &err) == 0);
    CHECK(fired == 1);
    CHECK(sql_int(db, "SELECT count(*) FROM deliveries WHERE channel = 'alert'") == 4);
    CHECK(alert_events(st, id, &ev, &n, &err) == 0);
    CHECK(n == 2);
    if (n == 2) {
        CHECK_STR(ev[0].period, "2024-05");
        CHECK(ev[1].value == 0.06 && isnan(ev[1].previous) && ev[1].run_id == run);
    }
    free(ev);

    /* the deliveries' recipients name the event and the target */
    {
        char rc[64] = "", ch[16];
        const char *addr = NULL;
        int64_t e = 0;
        sql_text_into(db, "SELECT recipient FROM deliveries WHERE channel = 'alert' ORDER BY id",
                      rc, sizeof rc);
        CHECK(alert_recipient_parse(rc, &e, ch, sizeof ch, &addr) == 0);
        CHECK(e > 0);
        CHECK_STR(ch, "email");
        CHECK_STR(addr, "ops@example.com");
        CHECK(alert_recipient_parse("nonsense", &e, ch, sizeof ch, &addr) == -1);
    }

    /* removed: its targets go, its events stay; ids are not reused */
    CHECK(alert_remove(st, id, &err) == 0);
    memset(&err, 0, sizeof err);
    CHECK(alert_remove(st, id, &err) == -1);
    CHECK_CONTAINS(err.msg, "no alert");
    CHECK(sql_int(db, "SELECT count(*) FROM alert_targets") == 0);
    CHECK(sql_int(db, "SELECT count(*) FROM alert_events") == 2);
    a = make_alert("churn_rate", "VIP", "value > 0.05");
    CHECK(alert_add(st, &a, 400, &id2, &err) == 0);
    CHECK(id2 > id);
    CHECK(alert_events(st, id2, &ev, &n, &err) == 0 && n == 0);
    free(ev);
    state_close(st);
    free(db);
}

/* An older ledger (before subscriptions and alerts) gets their tables. */
static void test_upgrade(void)
{
    char *db = path_in("old.db");
    quire_error err = {0};
    state *st;
    subscription *list = NULL;
    size_t n = 9;

    {
        sqlite3 *h = NULL;
        CHECK(sqlite3_open(db, &h) == SQLITE_OK);
        sqlite3_close(h);
    }
    CHECK(sql_exec(db, "CREATE TABLE marks (report TEXT PRIMARY KEY, last_scheduled INTEGER "
                       "NOT NULL);"
                       "CREATE TABLE runs (id INTEGER PRIMARY KEY, report TEXT NOT NULL, "
                       "scheduled INTEGER NOT NULL, rerun INTEGER NOT NULL DEFAULT 0, "
                       "period TEXT NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT "
                       "NULL, status TEXT NOT NULL, output TEXT, error TEXT, attempts INTEGER "
                       "NOT NULL DEFAULT 0, next_attempt INTEGER NOT NULL DEFAULT 0, created "
                       "INTEGER, started INTEGER, finished INTEGER, UNIQUE (report, scheduled, "
                       "rerun));"
                       "INSERT INTO runs (report, scheduled, period, period_from, period_to, "
                       "status) VALUES ('monthly', 1, '2024-04', '2024-04', '2024-04', 'done');") ==
          0);
    CHECK(sql_int(db, "PRAGMA user_version") == 0);
    st = state_open(db, STATE_SHARED, &err);
    CHECK(st != NULL);
    if (st) {
        CHECK(sub_list(st, NULL, &list, &n, &err) == 0 && n == 0);
        free(list);
        state_close(st);
    }
    CHECK(sql_int(db, "PRAGMA user_version") == 2);
    CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE status = 'done'") == 1);
    CHECK(sql_int(db, "SELECT count(*) FROM alert_events") == 0);
    free(db);
}

/* ------------------------------------------------------------ messages */

static void test_messages(void)
{
    alert a = make_alert("customer_count", "At Risk", "change > 10%");
    alert_event e;
    strbuf t = {0}, j = {0};
    char *s, *link;

    snprintf(a.name, sizeof a.name, "At Risk grew\r\nBcc: x@example.com");
    a.id = 7;
    memset(&e, 0, sizeof e);
    e.id = 3;
    e.run_id = 12;
    snprintf(e.period, sizeof e.period, "2024-04");
    snprintf(e.month, sizeof e.month, "2024-04");
    e.value = 45;
    e.previous = 40;
    s = alert_subject(&a, &e);
    CHECK(strchr(s, '\r') == NULL && strchr(s, '\n') == NULL);
    CHECK_CONTAINS(s, "(monthly, 2024-04)");
    free(s);
    link = alert_link("https://q.example.com/", "month ly", "2024-04");
    CHECK_STR(link, "https://q.example.com/reports/month%20ly?period=2024-04");
    CHECK(alert_link(NULL, "monthly", "2024-04") == NULL);
    CHECK(alert_link("", "monthly", "2024-04") == NULL);
    alert_text(&a, &e, link, &t);
    CHECK_CONTAINS(t.s, "Value: 45\n");
    CHECK_CONTAINS(t.s, "Previous month: 40\n");
    CHECK_CONTAINS(t.s, "Change: +12.5%\n");
    CHECK_CONTAINS(t.s, "Threshold: change > 10%\n");
    CHECK_CONTAINS(t.s, "Segment: At Risk\n");
    CHECK_CONTAINS(t.s, "Period: 2024-04\n");
    CHECK_CONTAINS(t.s, "Report page: https://q.example.com/reports/month%20ly?period=2024-04");
    alert_json(&a, &e, link, &j);
    CHECK_CONTAINS(j.s, "\"value\": 45, \"previous\": 40, \"change\": 0.125");
    CHECK_CONTAINS(j.s, "\"threshold\": 0.1,");
    CHECK_CONTAINS(j.s, "\"name\": \"At Risk grew\\r\\nBcc: x@example.com\"");
    CHECK_CONTAINS(j.s, "\"event\": 3, \"run\": 12");
    a.segment[0] = '\0';
    sb_free(&t);
    alert_text(&a, &e, NULL, &t);
    CHECK_CONTAINS(t.s, "Segment: all customers");
    CHECK(strstr(t.s, "Report page") == NULL);
    sb_free(&t);
    sb_free(&j);
    free(link);
}

/* ------------------------------------------------------------ the summary */

static void test_summary(void)
{
    doc_tile tiles[2];
    doc_block blocks[2];
    doc_section sec;
    quire_doc d;
    const char *items[3] = {"Who <grew>?", "Unanswered?", "Which & why?"};
    const char *answers[3] = {"VIP grew: <script>alert(1)</script> \"+12%\"", NULL,
                              "Bad \xff byte and a\x01" "control"};
    strbuf t = {0}, h = {0};

    memset(tiles, 0, sizeof tiles);
    tiles[0].label = "Customers";
    tiles[0].caption = "All customers, Apr 2024";
    tiles[0].value = 1234;
    tiles[0].prev = 1200;
    tiles[0].unit = QUIRE_UNIT_COUNT;
    tiles[0].decimals = -1;
    tiles[0].higher_is_better = 1;
    tiles[1].label = "Churn <rate>";
    tiles[1].value = 0.05;
    tiles[1].prev = NAN;
    tiles[1].unit = QUIRE_UNIT_PERCENT;
    tiles[1].decimals = -1;
    tiles[1].higher_is_better = 0;
    memset(blocks, 0, sizeof blocks);
    blocks[0].kind = DOC_TILES;
    blocks[0].ntiles = 2;
    blocks[0].tiles = tiles;
    blocks[1].kind = DOC_QUESTIONS;
    blocks[1].nitems = 3;
    blocks[1].items = items;
    blocks[1].answers = answers;
    memset(&sec, 0, sizeof sec);
    sec.nblocks = 2;
    sec.blocks = blocks;
    memset(&d, 0, sizeof d);
    d.title = "Report & <Co>";
    d.period = "Apr 2024";
    d.nsections = 1;
    d.sections = &sec;

    summary_text(&d, 0, &t);
    CHECK_CONTAINS(t.s, "Report & <Co>, Apr 2024");
    CHECK_CONTAINS(t.s, "Customers: 1,234 (+2.8% vs previous period)");
    CHECK_CONTAINS(t.s, "Churn <rate>: 5.0% (no previous period)");
    CHECK_CONTAINS(t.s, "Who <grew>?");
    CHECK(strstr(t.s, "Unanswered?") == NULL);
    summary_html(&d, 0, &h);
    CHECK_CONTAINS(h.s, "Report &amp; &lt;Co&gt;");
    CHECK_CONTAINS(h.s, "&lt;script&gt;alert(1)&lt;/script&gt; &quot;+12%&quot;");
    CHECK(strstr(h.s, "<script") == NULL);
    CHECK_CONTAINS(h.s, "Churn &lt;rate&gt;");
    CHECK_CONTAINS(h.s, ">1,234<");
    CHECK_CONTAINS(h.s, "#1a854d"); /* a rise of what is better higher: green */
    CHECK_CONTAINS(h.s, "Bad \xEF\xBF\xBD byte and acontrol");
    CHECK(strstr(h.s, "<style") == NULL);
    CHECK(strstr(h.s, "Unanswered?") == NULL);
    sb_free(&t);
    sb_free(&h);
    /* at most max answers */
    summary_text(&d, 1, &t);
    CHECK(strstr(t.s, "Which & why?") == NULL);
    sb_free(&t);
}

int main(void)
{
    if (fixture_open("/tmp/quire-alerts-"))
        return 2;
    test_conditions();
    test_check();
    test_values_file();
    test_subscriptions();
    test_alert_storage();
    test_upgrade();
    test_messages();
    test_summary();
    fixture_close();
    return check_done("alerts");
}
