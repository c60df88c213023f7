/* cli_alerts.c - the subscribe, subscriptions, alert and alerts commands. */
#include "cli_alerts.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "alerts.h"
#include "cli.h"
#include "cron.h"
#include "error.h"
#include "state.h"
#include "util.h"

static const char usage_subscribe[] =
    "Usage: quire subscribe REPORT --email ADDRESS --state FILE\n"
    "       quire subscribe REPORT --webhook URL [--token-env VAR] [--format pdf|json]\n"
    "                       --state FILE\n"
    "\n"
    "Subscribe an email address or a webhook to the scheduled runs of REPORT (its\n"
    "name in the ledger: schedule.name, or the spec file's name): every run from\n"
    "now on is delivered to it too, through the ledger, once. An email uses the\n"
    "SMTP server of the schedule's first email delivery (or on_failure's). A\n"
    "webhook's bearer token is read from the environment variable VAR when it is\n"
    "sent; it is never stored. Works beside a running scheduler. Prints the\n"
    "subscription's id. See docs/scheduling.md.\n";

static const char usage_subscriptions[] =
    "Usage: quire subscriptions list --state FILE [--report NAME]\n"
    "       quire subscriptions rm ID --state FILE\n"
    "\n"
    "List the subscriptions (id, report, channel, address, token variable,\n"
    "format), or remove one by its id.\n";

static const char usage_alert[] =
    "Usage: quire alert REPORT --kpi KPI [--segment NAME] --if CONDITION\n"
    "                   [--name TEXT] (--email ADDRESS | --webhook URL [--token-env VAR])...\n"
    "                   --state FILE\n"
    "\n"
    "Add an alert on REPORT's scheduled runs, checked after each one: KPI's value\n"
    "in the run's month for the segment NAME (default: all customers), compared\n"
    "as CONDITION says:\n"
    "  \"value > 0.05\"   the value (a percent KPI is a fraction: 5%% is 0.05, or\n"
    "                   write \"value > 5%%\")\n"
    "  \"change > 10%%\"   its change on the month before, relative\n"
    "                   ((now - before) / |before|); \"change < -10%%\" a fall\n"
    "with > >= < <=. A breach is sent once per period to each target (at most 8),\n"
    "with the value, the threshold and a link to the report's page (the\n"
    "scheduler's --base-url or QUIRE_BASE_URL). Prints the alert's id.\n";

static const char usage_alerts[] =
    "Usage: quire alerts list --state FILE [--report NAME]\n"
    "       quire alerts rm ID --state FILE\n"
    "\n"
    "List the alerts (id, report, name, KPI, segment, condition, targets, and the\n"
    "periods they fired for), or remove one by its id (what it sent stays in the\n"
    "ledger).\n";

static state *open_shared(const char *path, quire_error *err)
{
    return state_open(path, STATE_SHARED, err);
}

static int fail(const quire_error *err)
{
    cli_report_error(err);
    return err->code ? err->code : QUIRE_EXIT_USAGE;
}

static int parse_id(const char *s, int64_t *id)
{
    char *end;
    long long v;
    errno = 0;
    v = strtoll(s, &end, 10);
    if (!*s || *end || errno || v < 1)
        return -1;
    *id = v;
    return 0;
}

/* ------------------------------------------------------------ subscribe */

int cli_subscribe(int argc, char **argv)
{
    const char *path = NULL, *v, *report = NULL;
    subscription sub;
    quire_error err = {0};
    state *st;
    int64_t id;
    int i, bad = 0, rc;

    memset(&sub, 0, sizeof sub);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage_subscribe, stdout);
            return QUIRE_EXIT_OK;
        }
        if ((v = cli_opt(argc, argv, &i, "--state", NULL, &bad)) != NULL) {
            path = v;
        } else if ((v = cli_opt(argc, argv, &i, "--email", NULL, &bad)) != NULL ||
                   (v = cli_opt(argc, argv, &i, "--webhook", NULL, &bad)) != NULL) {
            if (sub.channel[0])
                return cli_usage_error(usage_subscribe, "%s",
                                       "give one --email or one --webhook per subscription");
            snprintf(sub.channel, sizeof sub.channel, "%s",
                     cli_is_opt(a, "--email", NULL) ? "email" : "webhook");
            if (strlen(v) >= sizeof sub.address)
                return cli_usage_error(usage_subscribe, "%s", "the address is too long");
            snprintf(sub.address, sizeof sub.address, "%s", v);
        } else if ((v = cli_opt(argc, argv, &i, "--token-env", NULL, &bad)) != NULL) {
            snprintf(sub.token_env, sizeof sub.token_env, "%s", v);
        } else if ((v = cli_opt(argc, argv, &i, "--format", NULL, &bad)) != NULL) {
            snprintf(sub.format, sizeof sub.format, "%s", v);
        } else if (bad) {
            return cli_usage_error(usage_subscribe, "%s needs a value", a);
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(usage_subscribe, "unknown option \"%s\"", a);
        } else if (!report) {
            report = a;
        } else {
            return cli_usage_error(usage_subscribe, "unexpected argument \"%s\"", a);
        }
    }
    if (!report)
        return cli_usage_error(usage_subscribe, "%s", "missing REPORT");
    if (!sub.channel[0])
        return cli_usage_error(usage_subscribe, "%s", "missing --email ADDRESS or --webhook URL");
    if (!path)
        return cli_usage_error(usage_subscribe, "%s", "missing --state FILE");
    if (strcmp(sub.channel, "email") == 0 && (sub.token_env[0] || sub.format[0]))
        return cli_usage_error(usage_subscribe, "%s",
                               "--token-env and --format are for a --webhook");
    snprintf(sub.report, sizeof sub.report, "%.*s", (int)sizeof sub.report - 1, report);
    st = open_shared(path, &err);
    if (!st)
        return fail(&err);
    rc = sub_add(st, &sub, (int64_t)time(NULL), &id, &err);
    state_close(st);
    if (rc)
        return fail(&err);
    printf("%lld\n", (long long)id);
    return QUIRE_EXIT_OK;
}

/* ------------------------------------------------------------ list and rm */

/* The arguments of "list|rm": the action, --state, --report, the id. */
static int list_or_rm(int argc, char **argv, const char *usage, int *rm, const char **path,
                      const char **report, int64_t *id)
{
    const char *v;
    int i, bad = 0, have_id = 0;

    *rm = -1;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage, stdout);
            return QUIRE_EXIT_OK;
        }
        if ((v = cli_opt(argc, argv, &i, "--state", NULL, &bad)) != NULL) {
            *path = v;
        } else if ((v = cli_opt(argc, argv, &i, "--report", NULL, &bad)) != NULL) {
            *report = v;
        } else if (bad) {
            return cli_usage_error(usage, "%s needs a value", a);
        } else if (a[0] == '-' && a[1]) {
            return cli_usage_error(usage, "unknown option \"%s\"", a);
        } else if (*rm < 0 && (strcmp(a, "list") == 0 || strcmp(a, "rm") == 0)) {
            *rm = strcmp(a, "rm") == 0;
        } else if (*rm == 1 && !have_id) {
            if (parse_id(a, id))
                return cli_usage_error(usage, "ID must be a number from 1, not \"%s\"", a);
            have_id = 1;
        } else {
            return cli_usage_error(usage, "unexpected argument \"%s\"", a);
        }
    }
    if (*rm < 0)
        return cli_usage_error(usage, "%s", "missing list or rm");
    if (*rm == 1 && !have_id)
        return cli_usage_error(usage, "%s", "missing the ID to remove");
    if (*rm == 1 && *report)
        return cli_usage_error(usage, "%s", "--report is for list");
    if (!*path)
        return cli_usage_error(usage, "%s", "missing --state FILE");
    return -1; /* go on */
}

int cli_subscriptions(int argc, char **argv)
{
    const char *path = NULL, *report = NULL;
    int64_t id = 0;
    quire_error err = {0};
    subscription *v = NULL;
    size_t n = 0, i;
    state *st;
    int rm, rc = list_or_rm(argc, argv, usage_subscriptions, &rm, &path, &report, &id);

    if (rc >= 0)
        return rc;
    st = open_shared(path, &err);
    if (!st)
        return fail(&err);
    if (rm) {
        rc = sub_remove(st, id, &err);
    } else if ((rc = sub_list(st, report, &v, &n, &err)) == 0) {
        for (i = 0; i < n; i++)
            printf("%lld\t%s\t%s\t%s\t%s\t%s\n", (long long)v[i].id, v[i].report, v[i].channel,
                   v[i].address, v[i].token_env[0] ? v[i].token_env : "-",
                   strcmp(v[i].channel, "webhook") == 0 ? v[i].format : "-");
        free(v);
    }
    state_close(st);
    return rc ? fail(&err) : QUIRE_EXIT_OK;
}

/* ------------------------------------------------------------ alert */

int cli_alert(int argc, char **argv)
{
    static alert a;
    const char *path = NULL, *v, *report = NULL, *cond = NULL;
    quire_error err = {0};
    state *st;
    int64_t id;
    int i, bad = 0, rc;

    memset(&a, 0, sizeof a);
    for (i = 0; i < argc; i++) {
        const char *o = argv[i];
        if (cli_is_help(o)) {
            fputs(usage_alert, stdout);
            return QUIRE_EXIT_OK;
        }
        if ((v = cli_opt(argc, argv, &i, "--state", NULL, &bad)) != NULL) {
            path = v;
        } else if ((v = cli_opt(argc, argv, &i, "--kpi", NULL, &bad)) != NULL) {
            snprintf(a.kpi, sizeof a.kpi, "%.*s", (int)sizeof a.kpi - 1, v);
        } else if ((v = cli_opt(argc, argv, &i, "--segment", NULL, &bad)) != NULL) {
            snprintf(a.segment, sizeof a.segment, "%.*s", (int)sizeof a.segment - 1, v);
        } else if ((v = cli_opt(argc, argv, &i, "--name", NULL, &bad)) != NULL) {
            snprintf(a.name, sizeof a.name, "%.*s", (int)sizeof a.name - 1, v);
        } else if ((v = cli_opt(argc, argv, &i, "--if", NULL, &bad)) != NULL) {
            cond = v;
        } else if ((v = cli_opt(argc, argv, &i, "--email", NULL, &bad)) != NULL ||
                   (v = cli_opt(argc, argv, &i, "--webhook", NULL, &bad)) != NULL) {
            alert_target *t;
            if (a.ntargets == ALERT_TARGETS_MAX)
                return cli_usage_error(usage_alert, "%s", "at most 8 targets per alert");
            if (strlen(v) >= sizeof t->address)
                return cli_usage_error(usage_alert, "%s", "an address is too long");
            t = &a.targets[a.ntargets++];
            snprintf(t->channel, sizeof t->channel, "%s",
                     cli_is_opt(o, "--email", NULL) ? "email" : "webhook");
            snprintf(t->address, sizeof t->address, "%s", v);
        } else if ((v = cli_opt(argc, argv, &i, "--token-env", NULL, &bad)) != NULL) {
            if (!a.ntargets || strcmp(a.targets[a.ntargets - 1].channel, "webhook") != 0)
                return cli_usage_error(usage_alert, "%s", "--token-env follows a --webhook");
            snprintf(a.targets[a.ntargets - 1].token_env, sizeof a.targets[0].token_env, "%s",
                     v);
        } else if (bad) {
            return cli_usage_error(usage_alert, "%s needs a value", o);
        } else if (o[0] == '-' && o[1]) {
            return cli_usage_error(usage_alert, "unknown option \"%s\"", o);
        } else if (!report) {
            report = o;
        } else {
            return cli_usage_error(usage_alert, "unexpected argument \"%s\"", o);
        }
    }
    if (!report)
        return cli_usage_error(usage_alert, "%s", "missing REPORT");
    if (!a.kpi[0])
        return cli_usage_error(usage_alert, "%s", "missing --kpi KPI");
    if (!cond)
        return cli_usage_error(usage_alert, "%s", "missing --if CONDITION (such as \"value > 0.05\")");
    if (!a.ntargets)
        return cli_usage_error(usage_alert, "%s", "missing --email ADDRESS or --webhook URL");
    if (!path)
        return cli_usage_error(usage_alert, "%s", "missing --state FILE");
    if (alert_parse_condition(cond, &a, &err))
        return fail(&err);
    snprintf(a.report, sizeof a.report, "%.*s", (int)sizeof a.report - 1, report);
    if (!a.name[0]) {
        char c[64];
        alert_condition_text(&a, c, sizeof c);
        snprintf(a.name, sizeof a.name, "%.40s of %.30s: %.40s", a.kpi,
                 a.segment[0] ? a.segment : "all customers", c);
    }
    st = open_shared(path, &err);
    if (!st)
        return fail(&err);
    rc = alert_add(st, &a, (int64_t)time(NULL), &id, &err);
    state_close(st);
    if (rc)
        return fail(&err);
    printf("%lld\n", (long long)id);
    return QUIRE_EXIT_OK;
}

int cli_alerts(int argc, char **argv)
{
    const char *path = NULL, *report = NULL;
    int64_t id = 0;
    quire_error err = {0};
    alert *v = NULL;
    alert_event *ev = NULL;
    size_t n = 0, nev = 0, i, k;
    state *st;
    int rm, rc = list_or_rm(argc, argv, usage_alerts, &rm, &path, &report, &id);

    if (rc >= 0)
        return rc;
    st = open_shared(path, &err);
    if (!st)
        return fail(&err);
    if (rm) {
        rc = alert_remove(st, id, &err);
    } else if ((rc = alert_list(st, report, &v, &n, &err)) == 0) {
        for (i = 0; i < n && rc == 0; i++) {
            char c[64];
            alert_condition_text(&v[i], c, sizeof c);
            printf("%lld\t%s\t%s\t%s\t%s\t%s\t", (long long)v[i].id, v[i].report, v[i].name,
                   v[i].kpi, v[i].segment[0] ? v[i].segment : "(all customers)", c);
            for (k = 0; k < v[i].ntargets; k++)
                printf("%s%s %s", k ? ", " : "", v[i].targets[k].channel,
                       v[i].targets[k].address);
            rc = alert_events(st, v[i].id, &ev, &nev, &err);
            printf("\tfired:");
            for (k = 0; k < nev; k++)
                printf(" %s", ev[k].period);
            printf("%s\n", nev ? "" : " never");
            free(ev);
        }
        free(v);
    }
    state_close(st);
    return rc ? fail(&err) : QUIRE_EXIT_OK;
}
