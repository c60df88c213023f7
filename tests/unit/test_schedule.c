/*
 * test_schedule.c - a spec's schedule section: values and defaults, every
 * error with its file:line:col, the period each kind of schedule reports
 * on, durations, and what each catch-up policy runs after a gap.
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "ledger_sql.h"
#include "date.h"
#include "fixture.h"
#include "log.h"
#include "schedule.h"
#include "scheduler.h"

/* The rest of a valid spec. The schedule section goes first in each test
 * file, so that its line numbers are those of the text under test. */
static const char spec_rest[] =
    "title: T\n"
    "parameters:\n"
    "  from: { type: month, default: 2024-02 }\n"
    "  to: { type: month, default: 2024-04 }\n"
    "  day: { type: date, default: 2024-02-01 }\n"
    "  last: { type: date, default: 2024-04-30 }\n"
    "  label: { type: string, default: x }\n"
    "periods: { from: \"${from}\", to: \"${to}\", history: 1 }\n"
    "sources:\n"
    "  customers: { plugin: csv, path: customers.csv, columns: { id: integer, since: date } }\n"
    "  orders: { plugin: csv, path: orders.csv,\n"
    "            columns: { id: integer, day: date, amount: number } }\n"
    "entities: { source: customers, key: id, since: since }\n"
    "facts:\n"
    "  - { source: orders, key: id, date: day, measures: { orders: count } }\n"
    "segments: { rule: rule.lua, list: [Everyone] }\n"
    "kpis: { customers: count.lua }\n"
    "sections:\n"
    "  - title: S\n"
    "    blocks:\n"
    "      - paragraph: Period ${from} to ${to}\n";

static char *spec_path;

/* Write s.yaml: the schedule text, then the rest of the spec. */
static schedule *load(const char *sched, quire_error *err)
{
    char *text = xasprintf("%s%s", sched, spec_rest);
    fixture_put("s.yaml", text);
    free(text);
    memset(err, 0, sizeof *err);
    return schedule_load(spec_path, NULL, 0, err);
}

/* The schedule must be refused at a line and column of the spec, and read
 * exactly "s.yaml:" + want (the folder in front). */
static void expect_error(const char *sched, const char *want)
{
    quire_error err;
    schedule *s = load(sched, &err);
    char full[1100], got[QUIRE_ERROR_TEXT_MAX];

    snprintf(full, sizeof full, "%s:%s", spec_path, want);
    CHECK(s == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, spec_path);
    CHECK(err.line > 0 && err.col > 0);
    CHECK_STR(quire_err_format(&err, got, sizeof got), full);
    schedule_free(s);
}

static char *in_dir(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

/* ------------------------------------------------------------ good specs */

static void test_full(void)
{
    quire_error err;
    schedule *s = load("schedule:\n"
                       "  name: nightly\n"
                       "  cron: \"30 5 * * 1-5\"\n"
                       "  tz: Europe/Berlin\n"
                       "  period: previous_day\n"
                       "  period_params: { from: day, to: last }\n"
                       "  catch_up: all\n"
                       "  catch_up_max: 3\n"
                       "  catch_up_grace: 5m\n"
                       "  retries: 2\n"
                       "  backoff: 2h\n"
                       "  run_retry: { attempts: 1, backoff: 30m }\n"
                       "  deliver:\n"
                       "    - { folder: out/archive, name: \"{report}-{date}.pdf\" }\n"
                       "    - email: [a@example.com, b@example.com]\n"
                       "      smtp_url: \"smtp://127.0.0.1:2525\"\n"
                       "      from: q@example.com\n"
                       "      subject: \"S {period}\"\n"
                       "      body: B\n"
                       "      username_env: QU\n"
                       "      password_env: QP\n"
                       "      ca_file: certs/ca.pem\n"
                       "      timeout: 30s\n"
                       "    - { webhook: \"https://hooks.example.com/q\", format: json,\n"
                       "        token_file: tok.txt, timeout: 2m }\n"
                       "  on_failure: { email: ops@example.com }\n",
                       &err);
    char *p;

    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK_STR(s->spec_path, spec_path);
    CHECK_STR(s->report, "nightly");
    CHECK_STR(s->cron_text, "30 5 * * 1-5");
    CHECK(s->cron.minute == (uint64_t)1 << 30);
    CHECK(s->cron.hour == 1u << 5);
    CHECK(s->cron.dow == 0x3e);
    CHECK_STR(s->tz, "Europe/Berlin");
    CHECK(s->period == PERIOD_PREVIOUS_DAY);
    CHECK_STR(s->from_param, "day");
    CHECK_STR(s->to_param, "last");
    CHECK(s->from_is_date == 1 && s->to_is_date == 1);
    CHECK(s->catch_up == CATCH_ALL);
    CHECK(s->catch_up_max == 3);
    CHECK(s->grace == 300);
    CHECK(s->retries == 2);
    CHECK(s->backoff == 7200);
    CHECK(s->run_attempts == 1);
    CHECK(s->run_backoff == 1800);
    CHECK(s->ntargets == 3);
    if (s->ntargets == 3) {
        const deliver_target *f = &s->targets[0], *e = &s->targets[1], *w = &s->targets[2];

        CHECK(f->kind == DELIVER_FOLDER);
        CHECK(f->nto == 1);
        p = in_dir("out/archive"); /* relative to the spec's folder */
        CHECK_STR(f->to[0], p);
        free(p);
        CHECK_STR(f->name, "{report}-{date}.pdf");

        CHECK(e->kind == DELIVER_EMAIL);
        CHECK(e->nto == 2);
        CHECK_STR(e->to[0], "a@example.com");
        CHECK_STR(e->to[1], "b@example.com");
        CHECK_STR(e->smtp_url, "smtp://127.0.0.1:2525");
        CHECK_STR(e->from, "q@example.com");
        CHECK_STR(e->subject, "S {period}");
        CHECK_STR(e->body, "B");
        CHECK_STR(e->username_env, "QU");
        CHECK_STR(e->password_env, "QP");
        CHECK(e->tls == 1); /* a password: TLS required unless said otherwise */
        p = in_dir("certs/ca.pem");
        CHECK_STR(e->ca_file, p);
        free(p);
        CHECK(e->timeout == 30);

        CHECK(w->kind == DELIVER_WEBHOOK);
        CHECK(w->nto == 1);
        CHECK_STR(w->to[0], "https://hooks.example.com/q");
        CHECK(w->json == 1);
        p = in_dir("tok.txt");
        CHECK_STR(w->token_file, p);
        free(p);
        CHECK(w->token_env == NULL);
        CHECK(w->timeout == 120);
    }
    /* on_failure takes what it leaves out from the first email delivery. */
    CHECK(s->on_failure != NULL);
    if (s->on_failure) {
        const deliver_target *o = s->on_failure;
        CHECK(o->kind == DELIVER_EMAIL);
        CHECK(o->nto == 1);
        CHECK_STR(o->to[0], "ops@example.com");
        CHECK_STR(o->smtp_url, "smtp://127.0.0.1:2525");
        CHECK_STR(o->from, "q@example.com");
        CHECK_STR(o->username_env, "QU");
        CHECK_STR(o->password_env, "QP");
        CHECK(o->tls == 1);
        p = in_dir("certs/ca.pem");
        CHECK_STR(o->ca_file, p);
        free(p);
        CHECK(o->timeout == 60);
    }
    schedule_free(s);
}

static void test_defaults(void)
{
    quire_error err;
    schedule *s = load("schedule:\n"
                       "  cron: \"@monthly\"\n"
                       "  tz: UTC\n",
                       &err);

    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    CHECK_STR(s->report, "s"); /* the file's name without .yaml */
    CHECK(s->cron.minute == 1 && s->cron.hour == 1 && s->cron.dom == 2);
    CHECK(s->period == PERIOD_PREVIOUS_MONTH);
    CHECK_STR(s->from_param, "from");
    CHECK_STR(s->to_param, "to");
    CHECK(s->from_is_date == 0 && s->to_is_date == 0);
    CHECK(s->catch_up == CATCH_LATEST);
    CHECK(s->catch_up_max == 12);
    CHECK(s->grace == 600);
    CHECK(s->retries == 5);
    CHECK(s->backoff == 60);
    CHECK(s->run_attempts == 4);  /* a run that fails for now: four renders, */
    CHECK(s->run_backoff == 900); /* 15 minutes apart, doubling */
    CHECK(s->ntargets == 0);
    CHECK(s->on_failure == NULL);
    schedule_free(s);

    /* Each policy, each period kind, each tls, the delivery defaults. */
    {
        static const char *const cu[] = {"skip", "latest", "all"};
        static const char *const per[] = {"previous_month", "current_month", "previous_quarter",
                                          "previous_year",  "previous_day",  "current_day"};
        static const char *const tls[] = {"never", "when_offered", "required"};
        int i;
        char text[1024];

        for (i = 0; i < 3; i++) {
            snprintf(text, sizeof text, "schedule: { cron: \"0 6 1 * *\", tz: UTC, catch_up: %s }\n",
                     cu[i]);
            s = load(text, &err);
            CHECK(s != NULL && s->catch_up == (catch_up_policy)i);
            schedule_free(s);
        }
        for (i = 0; i < 6; i++) {
            snprintf(text, sizeof text, "schedule: { cron: \"0 6 1 * *\", tz: UTC, period: %s }\n",
                     per[i]);
            s = load(text, &err);
            CHECK(s != NULL && s->period == (period_kind)i);
            schedule_free(s);
        }
        for (i = 0; i < 3; i++) {
            snprintf(text, sizeof text,
                     "schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                     "    - { email: a@example.com, smtp_url: \"smtps://h:465\", from: q@example.com,"
                     " tls: %s }\n",
                     tls[i]);
            s = load(text, &err);
            CHECK(s != NULL && s->ntargets == 1 && s->targets[0].tls == i - 1);
            if (s && s->ntargets == 1) {
                CHECK(s->targets[0].nto == 1);
                CHECK_STR(s->targets[0].to[0], "a@example.com");
            }
            schedule_free(s);
        }
    }

    s = load("schedule:\n"
             "  cron: \"0 6 1 * *\"\n"
             "  tz: UTC\n"
             "  deliver:\n"
             "    - { folder: /srv/reports }\n"
             "    - { email: a@example.com, smtp_url: \"smtp://h:25\", from: q@example.com }\n"
             "    - { webhook: \"http://h/x\" }\n"
             "  on_failure:\n"
             "    email: [ops@example.com, oncall@example.com]\n"
             "    smtp_url: \"smtp://alerts:25\"\n",
             &err);
    CHECK(s != NULL);
    if (s && s->ntargets == 3) {
        CHECK_STR(s->targets[0].to[0], "/srv/reports"); /* absolute: kept */
        CHECK_STR(s->targets[0].name, "{report}-{period}.pdf");
        CHECK(s->targets[0].timeout == 60);
        CHECK(s->targets[1].tls == 0); /* no password: TLS when offered */
        CHECK(s->targets[1].subject == NULL && s->targets[1].body == NULL);
        CHECK(s->targets[1].timeout == 60);
        CHECK(s->targets[2].json == 0);
        CHECK(s->targets[2].timeout == 60);
        CHECK(s->on_failure != NULL);
        if (s->on_failure) {
            CHECK(s->on_failure->nto == 2);
            CHECK_STR(s->on_failure->smtp_url, "smtp://alerts:25");
            CHECK_STR(s->on_failure->from, "q@example.com");
        }
    } else {
        CHECK(0);
        fprintf(stderr, "%s\n", err.msg);
    }
    schedule_free(s);

    /* The credentials of the email delivery only go to its own server. */
    s = load("schedule:\n"
             "  cron: \"0 6 1 * *\"\n"
             "  tz: UTC\n"
             "  deliver:\n"
             "    - { email: a@example.com, smtp_url: \"smtp://mail:587\", from: q@example.com,\n"
             "        username_env: QU, password_file: pw.txt, ca_file: ca.pem }\n"
             "  on_failure: { email: ops@example.com, smtp_url: \"smtp://elsewhere:25\" }\n",
             &err);
    CHECK(s != NULL);
    if (s && s->on_failure && s->ntargets == 1) {
        char *pw = in_dir("pw.txt");
        CHECK_STR(s->targets[0].password_file, pw);
        free(pw);
        CHECK(s->targets[0].tls == 1);
        CHECK_STR(s->on_failure->from, "q@example.com");
        CHECK(s->on_failure->username_env == NULL);
        CHECK(s->on_failure->password_file == NULL);
        CHECK(s->on_failure->password_env == NULL);
        CHECK(s->on_failure->ca_file == NULL);
        CHECK(s->on_failure->tls == 0);
    } else {
        CHECK(0);
        fprintf(stderr, "%s\n", err.msg);
    }
    schedule_free(s);
}

/* ------------------------------------------------------------ errors */

static void test_errors(void)
{
    quire_error err = {0};
    schedule *s;
    char want[1100];

    /* No section at all: no position to give. */
    fixture_put("s.yaml", spec_rest);
    s = schedule_load(spec_path, NULL, 0, &err);
    CHECK(s == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, spec_path);
    CHECK(err.line == 0);
    CHECK_STR(err.msg, "the spec has no schedule section");

    /* A file that is not there. */
    s = schedule_load("/nonexistent/s.yaml", NULL, 0, &err);
    CHECK(s == NULL);
    CHECK_STR(err.file, "/nonexistent/s.yaml");
    CHECK_STR(err.msg, "cannot open: No such file or directory");

    expect_error("schedule: daily\n",
                 "1:11: error: schedule must be a mapping (cron, tz, period, deliver, ...)");
    expect_error("schedule:\n  crn: \"0 6 1 * *\"\n  tz: UTC\n",
                 "2:3: error: unknown key \"crn\" in schedule; did you mean \"cron\"?");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  colour: red\n",
                 "4:3: error: unknown key \"colour\" in schedule; allowed keys: name, cron, tz, "
                 "period, show, period_params, catch_up, catch_up_max, catch_up_grace, retries, "
                 "backoff, run_retry, deliver, on_failure");
    expect_error("schedule:\n  tz: UTC\n",
                 "2:3: error: schedule needs cron (e.g. \"0 6 1 * *\")");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  run_retry: 3\n",
                 "4:14: error: run_retry must be a mapping {attempts: N, backoff: DURATION}");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  run_retry: { attempts: 0 }\n",
                 "4:26: error: run_retry.attempts must be a whole number from 1 to 100, not \"0\"");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  run_retry: { backof: 1m }\n",
                 "4:16: error: unknown key \"backof\" in run_retry; did you mean \"backoff\"?");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  run_retry: { backoff: soon }\n",
                 "4:25: error: run_retry.backoff must be a duration such as 90s, 10m, 2h or 1d");
    expect_error("schedule:\n  cron: \"\"\n  tz: UTC\n",
                 "2:9: error: cron must be a non-empty text");
    /* The column of a bad cron field, quoted or not. */
    expect_error("schedule:\n  cron: \"0 6 32 * *\"\n  tz: UTC\n",
                 "2:14: error: cron: day-of-month field \"32\": 32 is out of range 1-31");
    expect_error("schedule:\n  cron: 0 6 1 * mon-funday\n  tz: UTC\n",
                 "2:17: error: cron: day-of-week field \"mon-funday\": expected a number 0-7 or "
                 "a name such as \"sun\"");
    /* Too few fields: the column just past the text. */
    expect_error("schedule:\n  cron: \"0 6 1 *\"\n  tz: UTC\n",
                 "2:17: error: cron: 4 fields, expected five (minute hour day-of-month month "
                 "day-of-week)");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n",
                 "2:3: error: schedule needs tz, the IANA time zone of its times (e.g. "
                 "Europe/Berlin or UTC)");
    {
        const char *zi = getenv("TZDIR");
        snprintf(want, sizeof want,
                 "3:7: error: tz: unknown time zone \"Mars/Olympus\" (not in %s; is the tzdata "
                 "package installed?)",
                 zi && *zi ? zi : "/usr/share/zoneinfo");
        expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: Mars/Olympus\n", want);
    }
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: ../etc/passwd\n",
                 "3:7: error: tz: \"../etc/passwd\" is not a time zone name (an IANA name such "
                 "as Europe/Berlin)");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  period: last_month\n",
                 "4:11: error: period must be one of previous_month | current_month | "
                 "previous_quarter | previous_year | previous_day | current_day | previous_week | "
                 "current_week");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  period_params: { from: label, to: to }\n",
                 "4:18: error: parameter \"label\" gets the period: it must be of type month or "
                 "date");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  period_params: { from: start }\n",
                 "4:18: error: the spec has no parameter \"start\" to receive the period (set "
                 "period_params: {from: NAME, to: NAME})");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  period_params: { form: day }\n",
                 "4:20: error: unknown key \"form\" in period_params; did you mean \"from\"?");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  period_params: day\n",
                 "4:18: error: period_params must be a mapping {from: NAME, to: NAME}");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  catch_up: sometimes\n",
                 "4:13: error: catch_up must be one of skip | latest | all");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  catch_up_max: 0\n",
                 "4:17: error: catch_up_max must be a whole number from 1 to 1000, not \"0\"");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  catch_up_max: 12x\n",
                 "4:17: error: catch_up_max must be a whole number from 1 to 1000, not \"12x\"");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  catch_up_grace: soon\n",
                 "4:19: error: catch_up_grace must be a duration such as 90s, 10m, 2h or 1d");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  retries: [1]\n",
                 "4:12: error: retries must be a number");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  retries: 101\n",
                 "4:12: error: retries must be a whole number from 1 to 100, not \"101\"");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  backoff: 1w\n",
                 "4:12: error: backoff must be a duration such as 90s, 10m, 2h or 1d");

    /* Deliveries. */
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver: out\n",
                 "4:12: error: deliver must be a list of deliveries (folder, email, webhook)");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver: [ out ]\n",
                 "4:14: error: a delivery must be a mapping with folder, email or webhook");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n    - { ftp: x }\n",
                 "5:7: error: a delivery needs one of folder, email or webhook");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { folder: out, nmae: x.pdf }\n",
                 "5:22: error: unknown key \"nmae\" in a folder delivery; did you mean \"name\"?");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { folder: out, name: \"../{report}.pdf\" }\n",
                 "5:28: error: name is a file name template, without \"/\" or a leading \".\"");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { folder: out, name: .hidden.pdf }\n",
                 "5:28: error: name is a file name template, without \"/\" or a leading \".\"");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { folder: \"\" }\n",
                 "5:17: error: folder must be a non-empty text");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: ops, smtp_url: \"smtp://h:25\", from: q@example.com }\n",
                 "5:16: error: \"ops\" is not an email address: it has no \"@\"");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - email: [a@example.com, \"b c@example.com\"]\n"
                 "      smtp_url: \"smtp://h:25\"\n"
                 "      from: q@example.com\n",
                 "5:30: error: \"b c@example.com\" is not an email address: it holds a space");
    /* A line break in an address or a header text would be a command or a
     * header of its own on the wire: refused where the spec says it, the
     * value shown with the break escaped. */
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - email: a@example.com\n"
                 "      smtp_url: \"smtp://h:25\"\n"
                 "      from: \"q@example.com>\\r\\nRCPT TO:<hidden@evil.example\"\n",
                 "7:13: error: from: \"q@example.com>\\r\\nRCPT TO:<hidden@evil.example\" is "
                 "not an email address: it holds a control character such as a line break");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - email: \"a@example.com\\nb@example.com\"\n"
                 "      smtp_url: \"smtp://h:25\"\n"
                 "      from: q@example.com\n",
                 "5:14: error: \"a@example.com\\nb@example.com\" is not an email address: it "
                 "holds a control character such as a line break");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: a@example.com, smtp_url: \"smtp://h:25\", from: \"Quire <q@example.com>\" }\n",
                 "5:62: error: from: \"Quire <q@example.com>\" is not an email address: give the "
                 "address alone, without angle brackets or a display name");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: \"a,b@example.com\", smtp_url: \"smtp://h:25\", from: q@example.com }\n",
                 "5:16: error: \"a,b@example.com\" is not an email address: the part before the "
                 "\"@\" holds a character an address cannot (such as a quote, comma, semicolon "
                 "or bracket)");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: a@exa_mple.com, smtp_url: \"smtp://h:25\", from: q@example.com }\n",
                 "5:16: error: \"a@exa_mple.com\" is not an email address: the domain after the "
                 "\"@\" is not a host name (labels of letters, digits and hyphens, separated by "
                 "dots)");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: \"a@b@example.com\", smtp_url: \"smtp://h:25\", from: q@example.com }\n",
                 "5:16: error: \"a@b@example.com\" is not an email address: it has more than one "
                 "\"@\"");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - email: a@example.com\n"
                 "      smtp_url: \"smtp://h:25\"\n"
                 "      from: q@example.com\n"
                 "      subject: \"Report {period}\\r\\nBcc: hidden@evil.example\"\n",
                 "8:16: error: subject must be one line, without line breaks or other control "
                 "characters");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { webhook: \"http://h/x\\r\\nX-Evil: 1\" }\n",
                 "5:18: error: webhook must be one line, without line breaks or other control "
                 "characters");
    expect_error("schedule:\n  name: \"monthly\\nX-Evil: 1\"\n  cron: \"0 6 1 * *\"\n  tz: UTC\n",
                 "2:9: error: name must be one line, without line breaks or other control "
                 "characters");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n"
                 "  on_failure: { email: \"ops@example.com\\r\\nRCPT TO:<x@evil.example>\", "
                 "smtp_url: \"smtp://h:25\", from: q@example.com }\n",
                 "4:24: error: \"ops@example.com\\r\\nRCPT TO:<x@evil.example>\" is not an email "
                 "address: it holds a control character such as a line break");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: [], smtp_url: \"smtp://h:25\", from: q@example.com }\n",
                 "5:16: error: email must be an address or a list of addresses");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: a@example.com, from: q@example.com }\n",
                 "5:7: error: an email delivery needs smtp_url (smtp://host:port)");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: a@example.com, smtp_url: \"https://h\", from: q@example.com }\n",
                 "5:41: error: smtp_url must start with smtp:// or smtps://");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: a@example.com, smtp_url: \"smtp://h:25\" }\n",
                 "5:7: error: an email delivery needs from (the sender's address)");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: a@example.com, smtp_url: \"smtp://h:25\", from: q@example.com,\n"
                 "        password_env: QP }\n",
                 "5:7: error: an email delivery with a password needs username_env (the "
                 "environment variable holding the user name)");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: a@example.com, smtp_url: \"smtp://h:25\", from: q@example.com,\n"
                 "        tls: maybe }\n",
                 "6:14: error: tls must be one of never | when_offered | required");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: a@example.com, smtp_url: \"smtp://h:25\", from: q@example.com,\n"
                 "        timeout: forever }\n",
                 "6:18: error: timeout must be a duration such as 90s, 10m, 2h or 1d");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { email: a@example.com, smtp_url: \"smtp://h:25\", from: q@example.com,\n"
                 "        token_env: T }\n",
                 "6:9: error: unknown key \"token_env\" in an email delivery; allowed keys: "
                 "email, smtp_url, from, subject, body, username_env, password_env, "
                 "password_file, tls, ca_file, timeout");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { webhook: \"ftp://h/x\" }\n",
                 "5:18: error: webhook must be an http:// or https:// URL");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  deliver:\n"
                 "    - { webhook: \"http://h/x\", format: xml }\n",
                 "5:40: error: format must be one of pdf | json");

    /* on_failure. */
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  on_failure: ops@example.com\n",
                 "4:15: error: on_failure must be a mapping with email (and the email options)");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  on_failure: { email: ops@example.com }\n",
                 "4:15: error: on_failure needs smtp_url and from (or an email delivery to take "
                 "them from)");
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\n"
                 "  on_failure: { email: ops@example.com, smtp_url: \"smtp://h:25\", from: q@example.com,\n"
                 "                password_file: pw.txt }\n",
                 "4:15: error: on_failure with a password needs username_env (the environment "
                 "variable holding the user name)");

    /* The spec around it is validated too (spec_load's errors). */
    expect_error("schedule:\n  cron: \"0 6 1 * *\"\n  tz: UTC\ntitel: x\n",
                 "4:1: error: unknown key \"titel\" in the report spec; did you mean \"title\"?");
}

/* ------------------------------------------------------------ periods */

static int64_t wall(int y, int m, int d, int h, int mi)
{
    return (int64_t)days_from_civil(y, m, d) * 86400 + h * 3600 + mi * 60;
}

/* The period as "label from to". */
static const char *period_of(period_kind k, int dates, int64_t w)
{
    static char out[128];
    schedule s;
    period p;

    memset(&s, 0, sizeof s);
    memset(&p, 0x55, sizeof p);
    s.period = k;
    s.from_is_date = s.to_is_date = dates;
    schedule_period(&s, w, &p);
    snprintf(out, sizeof out, "%s %s %s", p.label, p.from, p.to);
    return out;
}

/* The period of a run with show months shown (month parameters). */
static const char *shown(period_kind k, int show, int64_t w)
{
    static char out[128];
    schedule s;
    period p;

    memset(&s, 0, sizeof s);
    s.period = k;
    s.show = show;
    schedule_period(&s, w, &p);
    snprintf(out, sizeof out, "%s %s %s", p.label, p.from, p.to);
    return out;
}

static void test_show(void)
{
    /* The label is the reported month; from moves back to show the months
     * before it, across a year end. */
    CHECK_STR(shown(PERIOD_PREVIOUS_MONTH, 12, wall(2024, 5, 1, 6, 0)), "2024-04 2023-05 2024-04");
    CHECK_STR(shown(PERIOD_PREVIOUS_MONTH, 3, wall(2024, 2, 1, 6, 0)), "2024-01 2023-11 2024-01");
    CHECK_STR(shown(PERIOD_PREVIOUS_MONTH, 1, wall(2024, 2, 1, 6, 0)), "2024-01 2024-01 2024-01");
    /* A quarter already holds three months: show 2 adds none, 6 adds three. */
    CHECK_STR(shown(PERIOD_PREVIOUS_QUARTER, 2, wall(2024, 4, 1, 6, 0)), "2024-Q1 2024-01 2024-03");
    CHECK_STR(shown(PERIOD_PREVIOUS_QUARTER, 6, wall(2024, 4, 1, 6, 0)), "2024-Q1 2023-10 2024-03");
}

/* The period of a run of a spec at grain g (date parameters). */
static const char *at_grain(period_kind k, grain g, int show, int64_t w)
{
    static char out[128];
    schedule s;
    period p;

    memset(&s, 0, sizeof s);
    s.period = k;
    s.grain = g;
    s.show = show;
    s.from_is_date = s.to_is_date = 1;
    schedule_period(&s, w, &p);
    snprintf(out, sizeof out, "%s %s %s", p.label, p.from, p.to);
    return out;
}

static void test_grains(void)
{
    grain month = {GRAIN_MONTH, 1}, week = {GRAIN_WEEK, 1}, fq = {GRAIN_QUARTER, 4};
    grain q = {GRAIN_QUARTER, 1}, fy = {GRAIN_YEAR, 4};

    /* ISO weeks: a Monday run reports the week before, 53 weeks in 2020 */
    CHECK_STR(at_grain(PERIOD_PREVIOUS_WEEK, week, 1, wall(2021, 1, 4, 6, 0)),
              "2020-W53 2020-12-28 2021-01-03");
    CHECK_STR(at_grain(PERIOD_CURRENT_WEEK, week, 1, wall(2024, 2, 29, 6, 0)),
              "2024-W09 2024-02-26 2024-03-03");
    /* show counts the spec's periods: eight weeks, four quarters */
    CHECK_STR(at_grain(PERIOD_PREVIOUS_WEEK, week, 4, wall(2021, 1, 4, 6, 0)),
              "2020-W53 2020-12-07 2021-01-03");
    CHECK_STR(at_grain(PERIOD_PREVIOUS_QUARTER, q, 4, wall(2024, 4, 1, 6, 0)),
              "2024-Q1 2023-04-01 2024-03-31");
    CHECK_STR(at_grain(PERIOD_PREVIOUS_QUARTER, month, 4, wall(2024, 4, 1, 6, 0)),
              "2024-Q1 2023-12-01 2024-03-31"); /* at month grain, months */
    /* quarters and years of the spec's fiscal year (from April) */
    CHECK_STR(at_grain(PERIOD_PREVIOUS_QUARTER, fq, 1, wall(2024, 4, 1, 6, 0)),
              "FY2023/24-Q4 2024-01-01 2024-03-31");
    CHECK_STR(at_grain(PERIOD_PREVIOUS_QUARTER, fq, 1, wall(2024, 7, 15, 6, 0)),
              "FY2024/25-Q1 2024-04-01 2024-06-30");
    CHECK_STR(at_grain(PERIOD_PREVIOUS_YEAR, fy, 1, wall(2024, 5, 1, 6, 0)),
              "FY2023/24 2023-04-01 2024-03-31");
    CHECK_STR(at_grain(PERIOD_PREVIOUS_YEAR, fy, 1, wall(2024, 2, 1, 6, 0)),
              "FY2022/23 2022-04-01 2023-03-31");
}

static void test_periods(void)
{
    /* previous_month: across a year, into a leap February. */
    CHECK_STR(period_of(PERIOD_PREVIOUS_MONTH, 0, wall(2024, 1, 1, 6, 0)), "2023-12 2023-12 2023-12");
    CHECK_STR(period_of(PERIOD_PREVIOUS_MONTH, 1, wall(2024, 1, 1, 6, 0)),
              "2023-12 2023-12-01 2023-12-31");
    CHECK_STR(period_of(PERIOD_PREVIOUS_MONTH, 1, wall(2024, 3, 1, 0, 0)),
              "2024-02 2024-02-01 2024-02-29");
    CHECK_STR(period_of(PERIOD_PREVIOUS_MONTH, 1, wall(2023, 3, 31, 23, 59)),
              "2023-02 2023-02-01 2023-02-28");
    CHECK_STR(period_of(PERIOD_PREVIOUS_MONTH, 0, wall(2024, 12, 15, 12, 0)), "2024-11 2024-11 2024-11");

    /* current_month */
    CHECK_STR(period_of(PERIOD_CURRENT_MONTH, 0, wall(2024, 2, 15, 6, 0)), "2024-02 2024-02 2024-02");
    CHECK_STR(period_of(PERIOD_CURRENT_MONTH, 1, wall(2024, 2, 15, 6, 0)),
              "2024-02 2024-02-01 2024-02-29");
    CHECK_STR(period_of(PERIOD_CURRENT_MONTH, 1, wall(2023, 12, 31, 23, 59)),
              "2023-12 2023-12-01 2023-12-31");

    /* previous_quarter: in January it is the last quarter of the year before. */
    CHECK_STR(period_of(PERIOD_PREVIOUS_QUARTER, 0, wall(2024, 1, 1, 6, 0)), "2023-Q4 2023-10 2023-12");
    CHECK_STR(period_of(PERIOD_PREVIOUS_QUARTER, 1, wall(2024, 3, 31, 6, 0)),
              "2023-Q4 2023-10-01 2023-12-31");
    CHECK_STR(period_of(PERIOD_PREVIOUS_QUARTER, 1, wall(2024, 4, 1, 6, 0)),
              "2024-Q1 2024-01-01 2024-03-31");
    CHECK_STR(period_of(PERIOD_PREVIOUS_QUARTER, 0, wall(2024, 8, 10, 6, 0)), "2024-Q2 2024-04 2024-06");
    CHECK_STR(period_of(PERIOD_PREVIOUS_QUARTER, 1, wall(2024, 12, 31, 23, 0)),
              "2024-Q3 2024-07-01 2024-09-30");

    /* previous_year */
    CHECK_STR(period_of(PERIOD_PREVIOUS_YEAR, 0, wall(2024, 1, 1, 0, 0)), "2023 2023-01 2023-12");
    CHECK_STR(period_of(PERIOD_PREVIOUS_YEAR, 1, wall(2024, 12, 31, 23, 59)),
              "2023 2023-01-01 2023-12-31");

    /* previous_day: across a year, a leap day, a month; month params get
     * the day's month. */
    CHECK_STR(period_of(PERIOD_PREVIOUS_DAY, 1, wall(2024, 1, 1, 0, 30)),
              "2023-12-31 2023-12-31 2023-12-31");
    CHECK_STR(period_of(PERIOD_PREVIOUS_DAY, 1, wall(2024, 3, 1, 6, 0)),
              "2024-02-29 2024-02-29 2024-02-29");
    CHECK_STR(period_of(PERIOD_PREVIOUS_DAY, 0, wall(2024, 1, 1, 6, 0)), "2023-12-31 2023-12 2023-12");
    CHECK_STR(period_of(PERIOD_PREVIOUS_DAY, 1, wall(1970, 1, 1, 6, 0)),
              "1969-12-31 1969-12-31 1969-12-31");

    /* current_day */
    CHECK_STR(period_of(PERIOD_CURRENT_DAY, 1, wall(2023, 12, 31, 23, 59)),
              "2023-12-31 2023-12-31 2023-12-31");
    CHECK_STR(period_of(PERIOD_CURRENT_DAY, 0, wall(2024, 2, 29, 0, 0)), "2024-02-29 2024-02 2024-02");

    /* Month and date parameters mixed. */
    {
        schedule s;
        period p;
        memset(&s, 0, sizeof s);
        s.period = PERIOD_PREVIOUS_QUARTER;
        s.from_is_date = 0;
        s.to_is_date = 1;
        schedule_period(&s, wall(2025, 1, 2, 6, 0), &p);
        CHECK_STR(p.label, "2024-Q4");
        CHECK_STR(p.from, "2024-10");
        CHECK_STR(p.to, "2024-12-31");
    }
}

static void test_durations(void)
{
    CHECK(parse_duration("90s") == 90);
    CHECK(parse_duration("10m") == 600);
    CHECK(parse_duration("2h") == 7200);
    CHECK(parse_duration("1d") == 86400);
    CHECK(parse_duration("45") == 45);
    CHECK(parse_duration("0") == 0);
    CHECK(parse_duration("0s") == 0);
    CHECK(parse_duration("100d") == 8640000); /* at most 100 days */
    CHECK(parse_duration("2400h") == 8640000);
    CHECK(parse_duration("8640000") == 8640000);
    CHECK(parse_duration("101d") == -1);
    CHECK(parse_duration("2401h") == -1);
    CHECK(parse_duration("8640001") == -1);
    CHECK(parse_duration("99999999999999999999") == -1);
    CHECK(parse_duration("") == -1);
    CHECK(parse_duration("s") == -1);
    CHECK(parse_duration("-5") == -1);
    CHECK(parse_duration("+5") == -1);
    CHECK(parse_duration(" 5") == -1);
    CHECK(parse_duration("1.5h") == -1);
    CHECK(parse_duration("10 m") == -1);
    CHECK(parse_duration("5w") == -1);
    CHECK(parse_duration("1hh") == -1);
    CHECK(parse_duration("1H") == -1);
}

/* ------------------------------------------------------------ catch-up */

/* The runs of the ledger as "period:status ..." by scheduled time. */
static void runs_of(const char *db, char *buf, size_t n)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    size_t len = 0;

    buf[0] = '\0';
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, "SELECT period, status FROM runs ORDER BY scheduled", -1, &q,
                           NULL) == SQLITE_OK)
        while (sqlite3_step(q) == SQLITE_ROW && len < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%s:%s", len ? " " : "",
                                    (const char *)sqlite3_column_text(q, 0),
                                    (const char *)sqlite3_column_text(q, 1));
    sqlite3_finalize(q);
    sqlite3_close(h);
}

/* Down from 2024-01-01 to 2024-05-15: the runs of 2024-02-01, 03-01, 04-01
 * and 05-01 (for January to April) were missed. */
static void catch_up(const char *policy, const char *want)
{
    char text[512], *db, buf[512];
    quire_error err = {0};
    schedule *s;
    sched_opts o;
    int level = quire_log_level, rc1, rc2;

    snprintf(text, sizeof text,
             "schedule:\n  name: cu\n  cron: \"0 6 1 * *\"\n  tz: UTC\n  catch_up: %s\n"
             "  catch_up_max: 3\n",
             policy);
    s = load(text, &err);
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }
    db = xasprintf("%s/cu-%s.db", dir, policy);
    memset(&o, 0, sizeof o);
    o.state_path = db;
    quire_log_level = LOG_QUIET;
    /* First sight, five minutes after a fire: that fire is on time. */
    rc1 = sched_run_due(&s, 1, &o, 1704089100 /* 2024-01-01T06:05:00Z */, &err);
    rc2 = sched_run_due(&s, 1, &o, 1715774400 /* 2024-05-15T12:00:00Z */, &err);
    quire_log_level = level;
    CHECK(rc1 == 0 && rc2 == 0);
    if (rc1 || rc2)
        fprintf(stderr, "%s: %d %d %s\n", policy, rc1, rc2, err.msg);
    runs_of(db, buf, sizeof buf);
    CHECK_STR(buf, want);
    free(db);
    schedule_free(s);
}

static void test_catch_up(void)
{
    catch_up("skip", "2023-12:done 2024-01:skipped 2024-02:skipped 2024-03:skipped 2024-04:skipped");
    catch_up("latest", "2023-12:done 2024-01:skipped 2024-02:skipped 2024-03:skipped 2024-04:done");
    catch_up("all", "2023-12:done 2024-01:skipped 2024-02:done 2024-03:done 2024-04:done");
}

/* ------------------------------------------------------------ parameters */

/* ${name} in the schedule section, as in the rest of the spec: its default,
 * or --param. */
static void test_params(void)
{
    static const char sched[] = "schedule:\n"
                                "  cron: \"${label}\"\n"
                                "  tz: UTC\n"
                                "  deliver:\n"
                                "    - folder: out/${label}\n"
                                "    - email: [\"${label}@example.com\", b@example.com]\n"
                                "      smtp_url: \"smtp://${label}.example.com:25\"\n"
                                "      from: q@example.com\n";
    spec_override ov[] = {{"label", "0 6 1 * *"}, {"label", "ops"}};
    quire_error err;
    schedule *s;
    char *text = xasprintf("%s%s", sched, spec_rest), *p;

    fixture_put("s.yaml", text);
    free(text);
    memset(&err, 0, sizeof err);
    s = schedule_load(spec_path, ov, 1, &err);
    CHECK(s == NULL); /* the folder and the address take the cron text too */
    CHECK(err.line == 6 && err.col == 15);
    CHECK_STR(err.msg, "\"0 6 1 * *@example.com\" is not an email address: it holds a space");
    schedule_free(s);
    /* A line break that a parameter brings into an address, a sender, a
     * subject or a URL is refused as one written there would be. */
    {
        static const char lines[] = "schedule:\n"
                                    "  name: \"${label}\"\n"
                                    "  cron: \"0 6 1 * *\"\n"
                                    "  tz: UTC\n"
                                    "  deliver:\n"
                                    "    - email: [\"${label}@example.com\"]\n"
                                    "      smtp_url: \"smtp://h.example.com:25\"\n"
                                    "      from: \"${label}@example.com\"\n"
                                    "      subject: \"Report ${label}\"\n";
        spec_override inj[] = {{"label", "x\r\nRCPT TO:<hidden@evil.example>"}};
        text = xasprintf("%s%s", lines, spec_rest);
        fixture_put("s.yaml", text);
        free(text);
        memset(&err, 0, sizeof err);
        s = schedule_load(spec_path, inj, 1, &err);
        CHECK(s == NULL);
        CHECK(err.code == QUIRE_EXIT_USAGE && err.line == 2 && err.col == 9);
        CHECK_STR(err.msg, "name must be one line, without line breaks or other control "
                           "characters");
        schedule_free(s);
        /* Without the name: the address is the first to take it. */
        text = xasprintf("schedule:\n%s%s", lines + strlen("schedule:\n  name: \"${label}\"\n"),
                         spec_rest);
        fixture_put("s.yaml", text);
        free(text);
        memset(&err, 0, sizeof err);
        s = schedule_load(spec_path, inj, 1, &err);
        CHECK(s == NULL);
        CHECK(err.line == 5 && err.col == 15);
        CHECK_STR(err.msg, "\"x\\r\\nRCPT TO:<hidden@evil.example>@example.com\" is not an email "
                           "address: it holds a control character such as a line break");
        schedule_free(s);
    }

    text = xasprintf("%s%s", "schedule:\n"
                                "  cron: \"0 6 1 * *\"\n"
                                "  tz: UTC\n"
                                "  deliver:\n"
                                "    - folder: out/${label}\n"
                                "    - email: [\"${label}@example.com\", b@example.com]\n"
                                "      smtp_url: \"smtp://${label}.example.com:25\"\n"
                                "      from: q@example.com\n", spec_rest);
    fixture_put("s.yaml", text);
    free(text);
    s = schedule_load(spec_path, NULL, 0, &err);
    CHECK(s != NULL);
    if (s) {
        p = in_dir("out/x");
        CHECK(s->ntargets == 2 && strcmp(s->targets[0].to[0], p) == 0);
        free(p);
        CHECK(s->ntargets == 2 && s->targets[1].nto == 2);
        if (s->ntargets == 2 && s->targets[1].nto == 2) {
            CHECK_STR(s->targets[1].to[0], "x@example.com");
            CHECK_STR(s->targets[1].to[1], "b@example.com");
            CHECK_STR(s->targets[1].smtp_url, "smtp://x.example.com:25");
        }
    }
    schedule_free(s);
    s = schedule_load(spec_path, ov + 1, 1, &err);
    CHECK(s != NULL);
    if (s) {
        p = in_dir("out/ops");
        CHECK(s->ntargets == 2 && strcmp(s->targets[0].to[0], p) == 0);
        free(p);
        CHECK(s->ntargets == 2 && strcmp(s->targets[1].to[0], "ops@example.com") == 0);
    }
    schedule_free(s);

    /* An unknown parameter, at the value that names it. */
    expect_error("schedule:\n"
                 "  cron: \"0 6 1 * *\"\n"
                 "  tz: UTC\n"
                 "  deliver:\n"
                 "    - folder: out/${lable}\n",
                 "5:15: error: unknown parameter \"${lable}\" in folder; did you mean "
                 "\"${label}\"?");
    /* A cron made by a parameter: its error is at the value, not at a column
     * of text that is not written there. */
    text = xasprintf("%s%s", sched, spec_rest);
    fixture_put("s.yaml", text);
    free(text);
    {
        spec_override bad[] = {{"label", "0 6 1 * * *"}};
        s = schedule_load(spec_path, bad, 1, &err);
        CHECK(s == NULL);
        CHECK(err.line == 2 && err.col == 9);
        CHECK(strncmp(err.msg, "cron: ", 6) == 0);
        schedule_free(s);
    }
}

/* ------------------------------------------------------------ the clock */

static void sql_do(const char *db, const char *sql)
{
    CHECK(sql_exec(db, sql) == 0);
}

/* One pass at now, quietly; its exit status. */
static int pass_at(schedule *s, const char *db, time_t now, quire_error *err)
{
    sched_opts o;
    int level = quire_log_level, rc;

    memset(&o, 0, sizeof o);
    o.state_path = db;
    memset(err, 0, sizeof *err);
    quire_log_level = LOG_QUIET;
    rc = sched_run_due(&s, 1, &o, now, err);
    quire_log_level = level;
    if (rc)
        fprintf(stderr, "pass at %lld: %d %s\n", (long long)now, rc, err->msg);
    return rc;
}

static void test_clock(void)
{
    quire_error err;
    schedule *s = load("schedule:\n  name: hourly\n  cron: \"0 * * * *\"\n  tz: Europe/Berlin\n", &err);
    char *db = in_dir("clock.db"), sql[256];
    time_t real = time(NULL), hour = real / 3600 * 3600;

    CHECK(s != NULL);
    if (!s)
        return;
    /* (a) A pass with --now 400 days ahead runs what is due then, but the
     *     mark it stores is not later than the clock... */
    CHECK(pass_at(s, db, hour + 400 * 86400 + 300, &err) == 0);
    CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE status = 'done'") == 1);
    CHECK(sql_int(db, "SELECT last_scheduled FROM marks") <= (long long)time(NULL));
    /* ...so a later pass, for a time before that, still finds its fire
     * due (it found nothing until the 400 days had passed). */
    CHECK(pass_at(s, db, hour + 3 * 3600 + 300, &err) == 0);
    snprintf(sql, sizeof sql, "SELECT status = 'done' FROM runs WHERE scheduled = %lld",
             (long long)hour + 3 * 3600);
    CHECK(sql_int(db, sql) == 1);
    CHECK(sql_int(db, "SELECT last_scheduled FROM marks") <= (long long)time(NULL));
    /* Fire times after the clock that such a pass leaves out are not
     * recorded as skipped: they are decided when they come. */
    snprintf(sql, sizeof sql, "SELECT count(*) FROM runs WHERE status = 'skipped' AND scheduled > %lld",
             (long long)time(NULL));
    CHECK(sql_int(db, sql) == 0);
    /* A pass at the clock's time works as ever. */
    CHECK(pass_at(s, db, time(NULL), &err) == 0);

    /* (b) A mark far in the future, as an older version left it, or the
     *     largest integer: not trusted, and no endless search. The pass
     *     plans as from the latest run at or before the clock (none here:
     *     on time within the grace). A skipped run a pass finds due runs. */
    alarm(60); /* a hang fails the test rather than the suite */
    sql_do(db, "UPDATE marks SET last_scheduled = 9223372036854775807");
    snprintf(sql, sizeof sql,
             "INSERT INTO runs (report, scheduled, period, period_from, period_to, status) "
             "VALUES ('hourly', %lld, 'x', '2024-01', '2024-01', 'skipped')",
             (long long)hour + 5 * 3600);
    sql_do(db, sql);
    CHECK(pass_at(s, db, hour + 5 * 3600 + 300, &err) == 0);
    snprintf(sql, sizeof sql, "SELECT status = 'done' FROM runs WHERE scheduled = %lld",
             (long long)hour + 5 * 3600);
    CHECK(sql_int(db, sql) == 1);
    CHECK(sql_int(db, "SELECT last_scheduled FROM marks") <= (long long)time(NULL));
    sql_do(db, "UPDATE marks SET last_scheduled = -9223372036854775807");
    CHECK(pass_at(s, db, hour + 6 * 3600 + 300, &err) == 0);
    snprintf(sql, sizeof sql, "SELECT status = 'done' FROM runs WHERE scheduled = %lld",
             (long long)hour + 6 * 3600);
    CHECK(sql_int(db, sql) == 1);
    /* A mark that is not a number at all: a damaged state file, status 1. */
    sql_do(db, "UPDATE marks SET last_scheduled = 'soon'");
    CHECK(pass_at(s, db, hour + 7 * 3600 + 300, &err) == QUIRE_EXIT_USAGE);
    CHECK_CONTAINS(err.msg, "the state file is damaged");
    alarm(0);
    free(db);
    schedule_free(s);
}

/* The same for a retry: a failed delivery's next attempt is counted from
 * the clock, not from a --now ahead of it, and a next attempt later than
 * the longest backoff allows is not trusted. */
static void test_retry_clock(void)
{
    quire_error err;
    char *text, *blocker = in_dir("retry-blocker"), *db = in_dir("retry.db");
    schedule *s;
    time_t real = time(NULL), hour = real / 3600 * 3600;
    FILE *f;

    text = xasprintf("schedule:\n  name: retry\n  cron: \"0 * * * *\"\n  tz: UTC\n  backoff: 60s\n"
                     "  deliver: [ { folder: %s/sub } ]\n", blocker);
    s = load(text, &err);
    free(text);
    CHECK(s != NULL);
    if (!s)
        goto out;
    f = fopen(blocker, "w"); /* a file where the folder's parent should be */
    if (f)
        fclose(f);
    CHECK(pass_at(s, db, hour + 400 * 86400 + 300, &err) == QUIRE_EXIT_DELIVERY);
    CHECK(sql_int(db, "SELECT count(*) FROM deliveries WHERE status = 'retrying'") == 1);
    CHECK(sql_int(db, "SELECT next_attempt FROM deliveries") <= (long long)time(NULL) + 60);
    unlink(blocker);
    /* Two minutes on, by the clock: the retry is due, and goes through (a
     * fire of the hour in those two minutes may add a run of its own). */
    CHECK(pass_at(s, db, time(NULL) + 120, &err) == 0);
    CHECK(sql_int(db, "SELECT status = 'sent' FROM deliveries WHERE run_id = "
                      "(SELECT min(id) FROM runs)") == 1);

    /* A next attempt far beyond any backoff (a damaged ledger, an older
     * version's --now): attempted now rather than waited for. */
    CHECK(pass_at(s, db, time(NULL) + 3 * 3600 + 300, &err) == 0);
    sql_do(db, "UPDATE deliveries SET status = 'retrying', next_attempt = 9223372036854775807 "
               "WHERE id = (SELECT max(id) FROM deliveries)");
    sql_do(db, "UPDATE runs SET status = 'delivering' WHERE id = (SELECT max(id) FROM runs)");
    CHECK(pass_at(s, db, time(NULL) + 3 * 3600 + 400, &err) == 0);
    CHECK(sql_int(db, "SELECT count(*) FROM deliveries WHERE status != 'sent'") == 0);
out:
    free(blocker);
    free(db);
    schedule_free(s);
}

/* (c) A per-minute schedule down for a year: catching up takes well under a
 * second (it took over a minute, a step per missed minute). */
static void test_catch_up_year(void)
{
    quire_error err;
    schedule *s = load("schedule:\n  name: minutely\n  cron: \"* * * * *\"\n  tz: Europe/Berlin\n"
                       "  catch_up: latest\n", &err);
    char *db = in_dir("year.db");
    clock_t t0;
    double cpu;

    CHECK(s != NULL);
    if (!s)
        return;
    CHECK(pass_at(s, db, 1714521600 /* 2024-05-01T00:00:00Z */, &err) == 0);
    t0 = clock();
    CHECK(pass_at(s, db, 1746057600 /* 2025-05-01T00:00:00Z */, &err) == 0);
    cpu = (double)(clock() - t0) / CLOCKS_PER_SEC;
    if (cpu >= 1.0)
        fprintf(stderr, "a year of per-minute catch-up took %.2f s\n", cpu);
    CHECK(cpu < 1.0);
    CHECK(sql_int(db, "SELECT status = 'done' FROM runs WHERE scheduled = 1746057600") == 1);
    /* The last 50 missed are recorded: 49 skipped and the one that ran. */
    CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE status = 'skipped' AND scheduled > 1714521600") == 49);
    CHECK(sql_int(db, "SELECT last_scheduled FROM marks") == 1746057600);
    free(db);
    schedule_free(s);
}

int main(void)
{
    if (fixture_open("/tmp/quire-schedule-"))
        return 2;
    spec_path = xasprintf("%s/s.yaml", dir);
    fixture_put("customers.csv", "id,since\n1,2023-01-01\n2,2023-06-10\n");
    fixture_put("orders.csv", "id,day,amount\n1,2023-12-02,10\n2,2024-03-11,20\n");
    fixture_put("rule.lua", "return function(c) return 'Everyone' end\n");
    fixture_put("count.lua", "return { unit = 'count', value = function(s) return s.customers end }\n");
    test_full();
    test_defaults();
    test_errors();
    test_periods();
    test_grains();
    test_show();
    test_durations();
    test_catch_up();
    test_params();
    test_clock();
    test_retry_clock();
    test_catch_up_year();
    free(spec_path);
    fixture_close();
    return check_done("schedule");
}
