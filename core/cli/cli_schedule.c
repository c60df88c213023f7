/* cli_schedule.c - the next, schedule, run-due, rerun and history commands. */
#include "cli_schedule.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "cli.h"
#include "cron.h"
#include "error.h"
#include "log.h"
#include "schedule.h"
#include "scheduler.h"
#include "state.h"
#include "util.h"

static const char usage_next[] =
    "Usage: quire next EXPR [--tz ZONE] [--from TIME] [-n N]\n"
    "       quire next --spec SPEC [--from TIME] [-n N] [--param NAME=VALUE]...\n"
    "\n"
    "Print the next N (default 5) fire times of a cron expression strictly after\n"
    "TIME (default now), one per line in ISO 8601 with the UTC offset. TIME is\n"
    "ISO 8601 (2024-01-15T00:00:00, with or without an offset; read in ZONE when\n"
    "it has none). ZONE is an IANA zone (default UTC). Times moved by a change of\n"
    "daylight saving time are flagged after the time. With --spec, the report's\n"
    "schedule (its cron and tz) is previewed, with the period each run covers.\n";

static const char usage_schedule[] =
    "Usage: quire schedule SPEC... --state FILE [--out DIR] [--param NAME=VALUE]...\n"
    "                      [--now TIME] [--base-url URL] [-q] [-v]\n"
    "\n"
    "Run each report at the times of its schedule section until stopped with\n"
    "SIGTERM or SIGINT (the current render is abandoned and redone on restart).\n"
    "FILE is the SQLite ledger of runs and deliveries; one scheduler at a time may\n"
    "use it. Rendered PDFs are kept in DIR (default FILE.runs). --now starts the\n"
    "scheduler's clock at TIME (for tests; ISO 8601, read in the schedules' zone\n"
    "when it has no offset). After each run its subscribers get it too and its\n"
    "alerts are checked; --base-url (or QUIRE_BASE_URL) is the report server's\n"
    "address that alerts link to. See docs/scheduling.md.\n";

static const char usage_run_due[] =
    "Usage: quire run-due SPEC... --state FILE [--now TIME] [--out DIR]\n"
    "                     [--param NAME=VALUE]... [--base-url URL] [-q] [-v]\n"
    "\n"
    "Run once whatever is due at TIME (default now), missed runs by each report's\n"
    "catch_up policy, deliveries whose retry time has come, and exit. For use from\n"
    "cron or a Kubernetes CronJob. TIME is ISO 8601, read in the schedules' zone\n"
    "when it has no offset. -v says what was considered and why nothing ran.\n"
    "Exit status 0; 1 for a usage, spec or state-file error; 2 when a report\n"
    "failed to render; 3 when a delivery failed (it is retried by a later call);\n"
    "4 when a report failed for now (a source down) and is rendered again by a\n"
    "later call, after the backoff of the schedule's run_retry.\n";

static const char usage_rerun[] =
    "Usage: quire rerun SPEC PERIOD --state FILE [--force] [--now TIME] [--out DIR]\n"
    "                   [--param NAME=VALUE]... [--base-url URL] [-q] [-v]\n"
    "\n"
    "Render and deliver the report's run for PERIOD (as the ledger labels it:\n"
    "2024-04, 2024-Q1, 2024, 2024-04-30) now: one that failed, was skipped,\n"
    "waits for a retry or was not delivered to every recipient (or one no pass\n"
    "recorded: the run of its fire time). It is recorded in the ledger as an\n"
    "attempt of that run; a recipient that has it is not sent it again. A\n"
    "period already delivered is refused (status 1) unless --force, which\n"
    "renders it again and delivers it to every recipient as a new run.\n"
    "Exit status as run-due's.\n";

static const char usage_history[] =
    "Usage: quire history --state FILE [--report NAME] [--deliveries] [--attempts]\n"
    "                     [-n N] [--tz ZONE]\n"
    "\n"
    "List the runs in the ledger, newest first (all, or the last N), with their\n"
    "status, output and error; --deliveries adds each recipient's delivery,\n"
    "--attempts each render (why it was made, and whether it failed for now or for\n"
    "good). Times are shown in ZONE (default UTC).\n";

/* ------------------------------------------------------------ next */

static void print_fire(const cron_fire *f, const char *zone, const period *p)
{
    char buf[40];
    int y, mo, d, h, mi, s;

    iso_format(f->at, zone, buf, sizeof buf);
    fputs(buf, stdout);
    wall_split(f->wall, &y, &mo, &d, &h, &mi, &s);
    if (p)
        printf("  period %s (%s to %s)", p->label, p->from, p->to);
    if (f->note == CRON_SHIFTED)
        printf("  # DST: %02d:%02d does not exist that day; runs after the change", h, mi);
    else if (f->note == CRON_ONCE)
        printf("  # DST: %02d:%02d occurs twice that day; runs once", h, mi);
    else if (f->note == CRON_REPEATED)
        printf("  # DST: repeated hour, second pass");
    putchar('\n');
}

int cli_next(int argc, char **argv)
{
    const char *expr = NULL, *zone = NULL, *from = NULL, *spec_path = NULL, *v;
    spec_override *params = xcalloc((size_t)argc + 1, sizeof *params);
    size_t nparams = 0;
    schedule *s = NULL;
    cron_expr c;
    quire_error err = {0};
    long count = 5;
    time_t t;
    int i, bad = 0, rc = QUIRE_EXIT_USAGE, col;

    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage_next, stdout);
            rc = QUIRE_EXIT_OK;
            goto done;
        }
        if ((v = cli_opt(argc, argv, &i, "--tz", NULL, &bad)) != NULL) {
            zone = v;
        } else if ((v = cli_opt(argc, argv, &i, "--from", NULL, &bad)) != NULL) {
            from = v;
        } else if ((v = cli_opt(argc, argv, &i, "--spec", NULL, &bad)) != NULL) {
            spec_path = v;
        } else if ((v = cli_opt(argc, argv, &i, "--param", "-p", &bad)) != NULL) {
            const char *eq = strchr(v, '=');
            if (!eq || eq == v) {
                rc = cli_usage_error(usage_next, "--param needs NAME=VALUE, not \"%s\"", v);
                goto done;
            }
            params[nparams].name = xstrndup(v, (size_t)(eq - v));
            params[nparams++].value = eq + 1;
        } else if ((v = cli_opt(argc, argv, &i, "--count", "-n", &bad)) != NULL) {
            char *end;
            errno = 0;
            count = strtol(v, &end, 10);
            if (!*v || *end || errno || count < 1 || count > 100000) {
                rc = cli_usage_error(usage_next, "-n must be a number from 1 to 100000, not \"%s\"",
                                v);
                goto done;
            }
        } else if (bad) {
            rc = cli_usage_error(usage_next, "%s needs a value", a);
            goto done;
        } else if (a[0] == '-' && a[1] && !expr) {
            rc = cli_usage_error(usage_next, "unknown option \"%s\"", a);
            goto done;
        } else if (!expr) {
            expr = a;
        } else {
            rc = cli_usage_error(usage_next, "unexpected argument \"%s\" (quote the cron expression)",
                            a);
            goto done;
        }
    }
    if (bad) {
        rc = cli_usage_error(usage_next, "%s needs a value", argv[argc - 1]);
        goto done;
    }
    if (!expr == !spec_path) {
        rc = cli_usage_error(usage_next, "%s", expr ? "give EXPR or --spec, not both"
                                               : "missing EXPR (or --spec SPEC)");
        goto done;
    }
    if (spec_path) {
        if (zone) {
            rc = cli_usage_error(usage_next, "%s", "--tz comes from the spec's schedule with --spec");
            goto done;
        }
        s = schedule_load(spec_path, params, nparams, &err);
        if (!s) {
            cli_report_error(&err);
            rc = err.code ? err.code : QUIRE_EXIT_USAGE;
            goto done;
        }
        c = s->cron;
        zone = s->tz;
    } else {
        if (!zone)
            zone = "UTC";
        if (cron_parse(expr, &c, &col, &err)) {
            quire_err(&err, QUIRE_EXIT_USAGE, "cron expression: %s", err.msg);
            cli_report_error(&err);
            fprintf(stderr, "  %s\n  %*s^\n", expr, col, "");
            goto done;
        }
    }
    if (tz_check(zone, &err)) {
        cli_report_error(&err);
        goto done;
    }
    if (from) {
        if (iso_parse(from, zone, &t)) {
            rc = cli_usage_error(usage_next,
                            "--from must be an ISO 8601 time of the years 0001 to 9968 such "
                            "as 2024-01-15T00:00:00 or 2024-01-15T00:00:00+01:00, not \"%s\"",
                            from);
            goto done;
        }
    } else {
        t = time(NULL);
    }
    for (; count > 0; count--) {
        cron_fire f;
        period p;
        if (cron_next(&c, zone, t, &f)) {
            quire_err(&err, QUIRE_EXIT_USAGE, "no further fire time within 30 years");
            rc = cli_report_error(&err);
            goto done;
        }
        if (s)
            schedule_period(s, f.wall, &p);
        print_fire(&f, zone, s ? &p : NULL);
        t = f.at;
    }
    rc = QUIRE_EXIT_OK;
done:
    for (i = 0; i < (int)nparams; i++)
        free((char *)params[i].name);
    free(params);
    schedule_free(s);
    return rc;
}

/* ------------------------------------------------------------ schedule, run-due, rerun */

enum sched_cmd { CMD_RUN_DUE, CMD_SCHEDULE, CMD_RERUN };

static int cmd_sched(enum sched_cmd cmd, int argc, char **argv)
{
    const char *usage = cmd == CMD_SCHEDULE ? usage_schedule
                        : cmd == CMD_RERUN  ? usage_rerun
                                            : usage_run_due;
    spec_override *params = xcalloc((size_t)argc + 1, sizeof *params);
    schedule **v = xcalloc((size_t)argc + 1, sizeof *v);
    const char **specs = xcalloc((size_t)argc + 1, sizeof *specs);
    const char *now_text = NULL, *val, *label = NULL;
    size_t nspecs = 0, nparams = 0, k;
    sched_opts o;
    quire_error err = {0};
    time_t now = time(NULL);
    int i, bad = 0, force = 0, rc = QUIRE_EXIT_USAGE;

    memset(&o, 0, sizeof o);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage, stdout);
            rc = QUIRE_EXIT_OK;
            goto done;
        }
        if ((val = cli_opt(argc, argv, &i, "--state", NULL, &bad)) != NULL) {
            o.state_path = val;
        } else if ((val = cli_opt(argc, argv, &i, "--out", NULL, &bad)) != NULL) {
            o.work_dir = val;
        } else if ((val = cli_opt(argc, argv, &i, "--now", NULL, &bad)) != NULL) {
            now_text = val;
        } else if ((val = cli_opt(argc, argv, &i, "--base-url", NULL, &bad)) != NULL) {
            o.base_url = val;
        } else if ((val = cli_opt(argc, argv, &i, "--param", "-p", &bad)) != NULL) {
            const char *eq = strchr(val, '=');
            if (!eq || eq == val) {
                rc = cli_usage_error(usage, "--param needs NAME=VALUE, not \"%s\"", val);
                goto done;
            }
            params[nparams].name = xstrndup(val, (size_t)(eq - val));
            params[nparams++].value = eq + 1;
        } else if (bad) {
            rc = cli_usage_error(usage, "%s needs a value", a);
            goto done;
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quire_log_level = LOG_QUIET;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            quire_log_level = LOG_INFO;
        } else if (cmd == CMD_RERUN && strcmp(a, "--force") == 0) {
            force = 1;
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error(usage, "unknown option \"%s\"", a);
            goto done;
        } else if (cmd == CMD_RERUN && nspecs == 1 && !label) {
            label = a;
        } else if (cmd == CMD_RERUN && nspecs == 1) {
            rc = cli_usage_error(usage, "unexpected argument \"%s\" (rerun takes one SPEC and "
                                        "one PERIOD)",
                                 a);
            goto done;
        } else {
            specs[nspecs++] = a;
        }
    }
    if (!nspecs) {
        rc = cli_usage_error(usage, "%s", "missing SPEC");
        goto done;
    }
    if (cmd == CMD_RERUN && !label) {
        rc = cli_usage_error(usage, "%s", "missing PERIOD (such as 2024-04)");
        goto done;
    }
    if (!o.state_path) {
        rc = cli_usage_error(usage, "%s", "missing --state FILE");
        goto done;
    }
    if (now_text && iso_parse(now_text, "UTC", &now)) {
        rc = cli_usage_error(usage, "--now must be an ISO 8601 time of the years 0001 to 9968, "
                             "not \"%s\"", now_text);
        goto done;
    }
    o.params = params;
    o.nparams = nparams;
    if (!o.base_url && getenv("QUIRE_BASE_URL") && *getenv("QUIRE_BASE_URL"))
        o.base_url = getenv("QUIRE_BASE_URL");
    if (o.base_url && (header_text_problem(o.base_url) ||
                       (strncmp(o.base_url, "http://", 7) != 0 &&
                        strncmp(o.base_url, "https://", 8) != 0))) {
        rc = cli_usage_error(usage, "--base-url (or QUIRE_BASE_URL) must be an http:// or "
                                    "https:// URL of one line, not \"%s\"",
                             o.base_url);
        goto done;
    }
    for (k = 0; k < nspecs; k++) {
        size_t j;
        v[k] = schedule_load(specs[k], params, nparams, &err);
        if (!v[k]) {
            cli_report_error(&err);
            rc = err.code ? err.code : QUIRE_EXIT_USAGE;
            goto done;
        }
        for (j = 0; j < k; j++)
            if (strcmp(v[j]->report, v[k]->report) == 0) {
                quire_err_at(&err, QUIRE_EXIT_USAGE, specs[k], 0, 0,
                             "report name \"%s\" is also %s's; set schedule.name to tell them "
                             "apart",
                             v[k]->report, specs[j]);
                cli_report_error(&err);
                goto done;
            }
    }
    /* A time without an offset is read in the schedules' zone, as next
     * --from is; with schedules in several zones it would be ambiguous. */
    if (now_text && !iso_has_offset(now_text)) {
        for (k = 1; k < nspecs; k++)
            if (strcmp(v[k]->tz, v[0]->tz) != 0) {
                char *why = xasprintf("--now \"%s\" has no UTC offset, and the schedules are "
                                      "in different zones (%s, %s); give the offset, such as "
                                      "%s+02:00 or %sZ",
                                      now_text, v[0]->tz, v[k]->tz, now_text, now_text);
                rc = cli_usage_error(usage, "%s", why);
                free(why);
                goto done;
            }
        iso_parse(now_text, v[0]->tz, &now); /* checked above */
    }
    if (cmd == CMD_SCHEDULE) {
        if (now_text)
            o.clock_offset = (long long)now - (long long)time(NULL);
        rc = sched_daemon(v, nspecs, &o, &err);
    } else if (cmd == CMD_RERUN) {
        rc = sched_rerun(v[0], label, force, &o, now, &err);
    } else {
        rc = sched_run_due(v, nspecs, &o, now, &err);
    }
    if (err.msg[0])
        cli_report_error(&err);
done:
    for (k = 0; k < nspecs; k++)
        schedule_free(v[k]);
    for (i = 0; i < (int)nparams; i++)
        free((char *)params[i].name);
    free(params);
    free(specs);
    free(v);
    return rc;
}

int cli_schedule(int argc, char **argv)
{
    return cmd_sched(CMD_SCHEDULE, argc, argv);
}

int cli_run_due(int argc, char **argv)
{
    return cmd_sched(CMD_RUN_DUE, argc, argv);
}

int cli_rerun(int argc, char **argv)
{
    return cmd_sched(CMD_RERUN, argc, argv);
}

/* ------------------------------------------------------------ history */

int cli_history(int argc, char **argv)
{
    const char *path = NULL, *report = NULL, *zone = "UTC", *v;
    int i, bad = 0, deliveries = 0, attempts = 0, rc;
    long limit = 0;
    quire_error err = {0};
    state *st;

    for (i = 0; i < argc; i++) {
        const char *a = argv[i];
        if (cli_is_help(a)) {
            fputs(usage_history, stdout);
            return QUIRE_EXIT_OK;
        }
        if ((v = cli_opt(argc, argv, &i, "--state", NULL, &bad)) != NULL) {
            path = v;
        } else if ((v = cli_opt(argc, argv, &i, "--report", NULL, &bad)) != NULL) {
            report = v;
        } else if ((v = cli_opt(argc, argv, &i, "--tz", NULL, &bad)) != NULL) {
            zone = v;
        } else if ((v = cli_opt(argc, argv, &i, "--count", "-n", &bad)) != NULL) {
            char *end;
            limit = strtol(v, &end, 10);
            if (!*v || *end || limit < 1)
                return cli_usage_error(usage_history, "-n must be a number from 1, not \"%s\"", v);
        } else if (bad) {
            return cli_usage_error(usage_history, "%s needs a value", a);
        } else if (strcmp(a, "--deliveries") == 0 || strcmp(a, "-d") == 0) {
            deliveries = 1;
        } else if (strcmp(a, "--attempts") == 0 || strcmp(a, "-a") == 0) {
            attempts = 1;
        } else {
            return cli_usage_error(usage_history, "unexpected argument \"%s\"", a);
        }
    }
    if (!path)
        return cli_usage_error(usage_history, "%s", "missing --state FILE");
    if (tz_check(zone, &err)) {
        cli_report_error(&err);
        return QUIRE_EXIT_USAGE;
    }
    st = state_open(path, 1, &err);
    if (!st) {
        cli_report_error(&err);
        return QUIRE_EXIT_USAGE;
    }
    rc = state_history(st, stdout, report, deliveries, attempts, limit, zone, &err);
    state_close(st);
    if (rc) {
        cli_report_error(&err);
        return QUIRE_EXIT_USAGE;
    }
    return QUIRE_EXIT_OK;
}
