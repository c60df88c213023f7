/* main.c - the command line. */
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/time.h>
#include <unistd.h>

#include "cli_alerts.h"
#include "cli_schedule.h"
#include "cli_serve.h"
#include "cli.h"
#include "date.h"
#include "atomic.h"
#include "error.h"
#include "log.h"
#include "plugins.h"
#include "run.h"
#include "init.h"
#include "sample.h"
#include "util.h"

#ifndef QUIRE_VERSION
#define QUIRE_VERSION "0.0.0"
#endif

static const char usage_main[] =
    "Usage: quire COMMAND [OPTIONS]\n"
    "\n"
    "Quire turns customer data into paginated PDF reports about customer\n"
    "segments and their KPIs, from a YAML report spec.\n"
    "\n"
    "Commands:\n"
    "  run SPEC        render the report to a PDF\n"
    "  validate SPEC   check a spec, its sources' options and its scripts\n"
    "  preview SPEC SOURCE\n"
    "                  print the first rows of a source as Quire reads them\n"
    "  plugins         list the data-source plugins and their options\n"
    "  sample          write the sample data set (customers, orders, engagement, ...)\n"
    "  init DATA.csv...\n"
    "                  write a first report (spec, segment rule, KPIs) for CSV files\n"
    "  next EXPR       print the next fire times of a cron expression (or --spec)\n"
    "  schedule SPEC... --state FILE\n"
    "                  run reports at their scheduled times and deliver them\n"
    "  run-due SPEC... --state FILE\n"
    "                  run once whatever is due, then exit (for cron)\n"
    "  rerun SPEC PERIOD --state FILE\n"
    "                  render and deliver a failed or skipped period now\n"
    "  history --state FILE\n"
    "                  list scheduled runs and their deliveries\n"
    "  subscribe REPORT --email ADDRESS|--webhook URL --state FILE\n"
    "                  deliver a report's scheduled runs to one more recipient\n"
    "  subscriptions list|rm\n"
    "                  list or remove subscriptions\n"
    "  alert REPORT --kpi KPI --if CONDITION --email ADDRESS --state FILE\n"
    "                  send an alert when a scheduled run's KPI breaches a threshold\n"
    "  alerts list|rm  list or remove alerts\n"
    "  serve --reports DIR --state FILE\n"
    "                  serve the reports as web pages and an HTTP API\n"
    "  user add NAME, token add NAME\n"
    "                  a user or an API token of quire serve\n"
    "\n"
    "Options:\n"
    "  -h, --help      show help (quire COMMAND --help for a command)\n"
    "  --version       show the version\n"
    "\n"
    "Exit status: 0 success, 1 usage or spec error, 2 data or script error,\n"
    "3 output or delivery error, 4 a source failed for now (try again later).\n"
    "See docs/cli.md.\n";

static const char usage_run[] =
    "Usage: quire run SPEC [-o OUT.pdf] [--format pdf|html|xlsx[,...]]\n"
    "                [--param NAME=VALUE]... [--export DIR] [--timeout SECONDS]\n"
    "\n"
    "Render the report described by SPEC.\n"
    "\n"
    "  -o, --output FILE     where to write the report (default out/SPECNAME.pdf);\n"
    "                        written atomically, never left half-written\n"
    "  -f, --format LIST     pdf (the default), html (one self-contained page, charts\n"
    "                        as SVG), xlsx (an Excel workbook of the tables, charts'\n"
    "                        data and KPIs), or a comma list (pdf,html,xlsx); each\n"
    "                        output is FILE with its extension made the format's:\n"
    "                        -o out/r.pdf --format html writes out/r.html\n"
    "  -p, --param NAME=VALUE\n"
    "                        set a parameter of the spec (repeatable)\n"
    "  --export DIR          also write DIR/kpis.csv and DIR/segments.csv (published\n"
    "                        with the PDF, only when every file is complete)\n"
    "  --data-root DIR       every source, script and output path must resolve inside\n"
    "                        DIR (also QUIRE_DATA_ROOT; see docs/security.md)\n"
    "  --timeout SECONDS     stop the run (exit 2, nothing written) when it takes longer\n"
    "                        than SECONDS\n"
    "  -q, --quiet           print errors only\n"
    "  -v, --verbose         print timings of each stage\n"
    "\n"
    "The PDF's dates come from SOURCE_DATE_EPOCH when set, else from the report's\n"
    "period, so the same inputs give the same bytes.\n";

static const char usage_validate[] =
    "Usage: quire validate SPEC [--param NAME=VALUE]... [--data-root DIR]\n"
    "\n"
    "Check SPEC: its YAML, keys and types, each source's plugin options, the\n"
    "segment rule and the KPI scripts. Reads no data. Exits 0 when all is well.\n";

static const char usage_preview[] =
    "Usage: quire preview SPEC SOURCE [--rows N] [--format csv|json] [--param NAME=VALUE]...\n"
    "                     [--data-root DIR]\n"
    "\n"
    "Print the first N rows (default 10) of SOURCE exactly as Quire parses and\n"
    "types them: declared columns typed (dates as YYYY-MM-DD), the others as\n"
    "strings, empty fields as empty (CSV) or null (JSON). JSON is an array of\n"
    "objects keyed by column.\n";

static const char usage_plugins[] =
    "Usage: quire plugins\n"
    "\n"
    "List the data-source plugins found on the plugin path with their options.\n"
    "Plugins are looked for in plugins/ next to the quire binary, then in\n"
    "../lib/quire/plugins relative to it, then in each folder of QUIRE_PLUGIN_PATH.\n";

static const char usage_init[] =
    "Usage: quire init DATA.csv [MORE.csv...] [-o DIR] [--force]\n"
    "\n"
    "Read the CSV files, guess their columns (types, the customer key, dates,\n"
    "amounts) and write a first report into DIR (default report): report.yaml,\n"
    "segments.lua (thresholds from the data's own quantiles) and kpis/. Then:\n"
    "  quire run DIR/report.yaml\n"
    "\n"
    "  -o, --out DIR   where to write the report (created when missing)\n"
    "  --force         overwrite a report already there\n";

static const char usage_sample[] =
    "Usage: quire sample [--out DIR] [--customers N] [--orders N] [--from YYYY-MM]\n"
    "                    [--months N] [--seed N]\n"
    "\n"
    "Write a deterministic sample data set into DIR (default data/sample; 10,000\n"
    "customers, 12 months from 2023-05): customers.csv (with demographics and\n"
    "acquisition cost), orders.csv, engagement.csv, surveys.csv (CSAT, NPS),\n"
    "brand.csv, tickets.csv and spend.csv (marketing and retention spend by\n"
    "segment). The same options always give the same bytes.\n";

/* ------------------------------------------------------------ signals */

/* SIGTERM, SIGINT, SIGHUP: remove the temporary files being written, then die
 * of the signal as the default action would. */
static void on_stop_signal(int sig)
{
    atomic_remove_pending();
    signal(sig, SIG_DFL);
    raise(sig);
}

/* The --timeout message, made before the timer is armed (the handler may
 * only write it). */
static char timeout_msg[256];
static size_t timeout_len;

static void on_timeout(int sig)
{
    ssize_t k;

    (void)sig;
    atomic_remove_pending();
    k = write(2, timeout_msg, timeout_len);
    (void)k;
    _exit(QUIRE_EXIT_DATA);
}

static void catch_stop_signals(void)
{
    static const int sigs[] = {SIGTERM, SIGINT, SIGHUP};
    struct sigaction sa;
    size_t i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop_signal;
    sigemptyset(&sa.sa_mask);
    for (i = 0; i < sizeof sigs / sizeof sigs[0]; i++) {
        struct sigaction old;
        /* A signal ignored by whoever started us stays ignored. */
        if (sigaction(sigs[i], NULL, &old) == 0 && old.sa_handler == SIG_IGN)
            continue;
        sigaction(sigs[i], &sa, NULL);
    }
}

static void arm_timeout(double seconds, const char *text)
{
    struct sigaction sa;
    struct itimerval it;

    quire_error e = {0};

    /* The message is made now, by the one formatter; the handler only
     * writes it (nothing else is safe in a signal handler). */
    quire_err_at(&e, QUIRE_EXIT_DATA, "quire", 0, 0, "the run took longer than --timeout %s "
                 "seconds; stopped, no output written", text);
    quire_err_format(&e, timeout_msg, sizeof timeout_msg - 1);
    timeout_len = strlen(timeout_msg);
    timeout_msg[timeout_len++] = '\n';
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_timeout;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGALRM, &sa, NULL);
    memset(&it, 0, sizeof it);
    it.it_value.tv_sec = (time_t)seconds;
    it.it_value.tv_usec = (suseconds_t)((seconds - floor(seconds)) * 1e6);
    if (it.it_value.tv_sec == 0 && it.it_value.tv_usec == 0)
        it.it_value.tv_usec = 1;
    setitimer(ITIMER_REAL, &it, NULL);
}

static long parse_long(const char *s, long lo, long hi, int *bad)
{
    char *end;
    long v;
    errno = 0;
    v = strtol(s, &end, 10);
    if (!*s || *end || errno || v < lo || v > hi)
        *bad = 1;
    return v;
}

/* run, validate and preview share SPEC, --param, --quiet and --verbose. */
static int cmd_spec(const char *cmd, int argc, char **argv)
{
    const char *usage = strcmp(cmd, "run") == 0 ? usage_run
                        : strcmp(cmd, "validate") == 0 ? usage_validate : usage_preview;
    spec_override *params = xcalloc((size_t)argc, sizeof *params);
    const char *pos[2] = {NULL, NULL};
    int npos = 0, i, rc = QUIRE_EXIT_OK, bad = 0;
    long rows = 10;
    preview_format fmt = PREVIEW_CSV;
    run_opts o;
    quire_error err = {0};
    double timeout = 0;
    const char *timeout_text = NULL;

    memset(&o, 0, sizeof o);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        if (cli_is_help(a)) {
            fputs(usage, stdout);
            free(params);
            return QUIRE_EXIT_OK;
        }
        if (cli_is_opt(a, "--param", "-p")) {
            char *eq;
            if (!(v = cli_opt(argc, argv, &i, "--param", "-p", NULL)) || !(eq = strchr(v, '=')) ||
                eq == v) {
                free(params);
                return cli_usage_error(usage, "%s needs NAME=VALUE", a);
            }
            params[o.nparams].name = xstrndup(v, (size_t)(eq - v));
            params[o.nparams].value = eq + 1;
            o.nparams++;
        } else if (cli_is_opt(a, "--output", "-o") && strcmp(cmd, "run") == 0) {
            if (!(o.out = cli_opt(argc, argv, &i, "--output", "-o", NULL)))
                rc = cli_usage_error(usage, "%s needs a file name", a);
        } else if (cli_is_opt(a, "--format", "-f") && strcmp(cmd, "run") == 0) {
            if (!(v = cli_opt(argc, argv, &i, "--format", "-f", NULL)))
                rc = cli_usage_error(usage, "%s needs pdf, html, xlsx or a comma list", a);
            else if (run_parse_formats(v, &o.formats, &err))
                rc = cli_usage_error(usage, "%s", err.msg);
        } else if (cli_is_opt(a, "--export", NULL) && strcmp(cmd, "run") == 0) {
            if (!(o.export_dir = cli_opt(argc, argv, &i, "--export", NULL, NULL)))
                rc = cli_usage_error(usage, "%s needs a folder", a);
        } else if (cli_is_opt(a, "--data-root", NULL)) {
            if (!(o.data_root = cli_opt(argc, argv, &i, "--data-root", NULL, NULL)))
                rc = cli_usage_error(usage, "%s needs a folder", a);
        } else if (cli_is_opt(a, "--timeout", NULL) && strcmp(cmd, "run") == 0) {
            char *end;
            if (!(v = cli_opt(argc, argv, &i, "--timeout", NULL, NULL)))
                rc = cli_usage_error(usage, "%s needs a number of seconds", a);
            else if (errno = 0, timeout = strtod(v, &end),
                     !*v || *end || errno || !(timeout > 0) || timeout > 31536000)
                rc = cli_usage_error(usage, "--timeout must be a number of seconds above 0, "
                                            "not \"%s\"", v);
            else
                timeout_text = v;
        } else if (cli_is_opt(a, "--rows", "-n") && strcmp(cmd, "preview") == 0) {
            if (!(v = cli_opt(argc, argv, &i, "--rows", "-n", NULL)))
                rc = cli_usage_error(usage, "%s needs a number", a);
            else if (rows = parse_long(v, 1, 1000000000L, &bad), bad)
                rc = cli_usage_error(usage, "--rows must be a whole number from 1, not \"%s\"", v);
        } else if (cli_is_opt(a, "--format", NULL) && strcmp(cmd, "preview") == 0) {
            if (!(v = cli_opt(argc, argv, &i, "--format", NULL, NULL)))
                rc = cli_usage_error(usage, "%s needs csv or json", a);
            else if (strcmp(v, "csv") == 0)
                fmt = PREVIEW_CSV;
            else if (strcmp(v, "json") == 0)
                fmt = PREVIEW_JSON;
            else
                rc = cli_usage_error(usage, "--format must be csv or json, not \"%s\"", v);
        } else if (strcmp(a, "-q") == 0 || strcmp(a, "--quiet") == 0) {
            quire_log_level = LOG_QUIET;
        } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
            quire_log_level = LOG_INFO;
        } else if (a[0] == '-' && a[1]) {
            rc = cli_usage_error(usage, "unknown option \"%s\"", a);
        } else if (npos < (strcmp(cmd, "preview") == 0 ? 2 : 1)) {
            pos[npos++] = a;
        } else {
            rc = cli_usage_error(usage, "unexpected argument \"%s\"", a);
        }
        if (rc)
            goto done;
    }
    if (npos < (strcmp(cmd, "preview") == 0 ? 2 : 1)) {
        rc = cli_usage_error(usage, "%s", npos ? "missing SOURCE" : "missing SPEC");
        goto done;
    }
    o.spec_path = pos[0];
    o.params = params;
    if (!o.data_root)
        o.data_root = getenv("QUIRE_DATA_ROOT");
    catch_stop_signals();
    if (timeout_text)
        arm_timeout(timeout, timeout_text);
    if (strcmp(cmd, "run") == 0)
        rc = run_report(&o, &err);
    else if (strcmp(cmd, "validate") == 0)
        rc = run_validate(&o, &err);
    else
        rc = run_preview(&o, pos[1], rows, fmt, &err);
    if (rc)
        rc = cli_report_error(&err);
done:
    for (i = 0; i < (int)o.nparams; i++)
        free((char *)params[i].name);
    free(params);
    return rc;
}

static int cmd_plugins(int argc, char **argv)
{
    plugin_registry reg = {0};
    size_t i;

    if (argc > 0) {
        if (cli_is_help(argv[0])) {
            fputs(usage_plugins, stdout);
            return QUIRE_EXIT_OK;
        }
        return cli_usage_error(usage_plugins, "unexpected argument \"%s\"", argv[0]);
    }
    if (plugins_load_all(&reg) == 0) {
        char *path = plugins_search_path();
        quire_error err;
        quire_err(&err, QUIRE_EXIT_USAGE, "no plugins found (searched %s)", path);
        free(path);
        return cli_report_error(&err);
    }
    for (i = 0; i < reg.n; i++) {
        const quire_plugin *p = reg.v[i].desc;
        const quire_option_def *o;
        printf("%s %s - %s\n", p->name, p->version ? p->version : "", p->summary ? p->summary : "");
        printf("  file: %s\n  abi: %u.%u  capabilities: stream%s%s\n", reg.v[i].path,
               p->abi_version >> 16, p->abi_version & 0xffff,
               p->caps & QUIRE_CAP_PROJECTION ? ", projection" : "",
               (p->caps & QUIRE_CAP_AGGREGATE) && p->aggregate ? ", aggregate" : "");
        printf("  options:\n");
        for (o = p->options; o && o->name; o++) {
            size_t k;
            printf("    %-14s %-9s %s", o->name, plugin_option_type_name(o->type),
                   o->help ? o->help : "");
            if (o->required)
                printf(" (required)");
            else if (o->default_value && !(o->flags & QUIRE_OPTF_SECRET))
                printf(" (default: \"%s\")", o->default_value);
            if (o->flags & QUIRE_OPTF_SECRET)
                printf(" (secret)");
            if (o->flags & QUIRE_OPTF_CODE)
                printf(" (code: no ${parameters} in it)");
            putchar('\n');
            if (o->type == QUIRE_OPT_ENUM && o->choices) {
                printf("    %-14s %-9s one of:", "", "");
                for (k = 0; o->choices[k]; k++)
                    printf("%s %s", k ? "," : "", o->choices[k]);
                putchar('\n');
            }
        }
        if (i + 1 < reg.n)
            putchar('\n');
    }
    plugins_free(&reg);
    return QUIRE_EXIT_OK;
}

static int cmd_sample(int argc, char **argv)
{
    quire_sample_opts o;
    quire_error err = {0};
    int i, bad = 0;

    quire_sample_defaults(&o);
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        if (cli_is_help(a)) {
            fputs(usage_sample, stdout);
            return QUIRE_EXIT_OK;
        }
        if (cli_is_opt(a, "--out", NULL)) {
            if (!(v = cli_opt(argc, argv, &i, "--out", NULL, NULL)))
                return cli_usage_error(usage_sample, "%s needs a folder", a);
            o.out_dir = v;
        } else if (cli_is_opt(a, "--customers", NULL)) {
            if (!(v = cli_opt(argc, argv, &i, "--customers", NULL, NULL)))
                return cli_usage_error(usage_sample, "%s needs a number", a);
            o.customers = parse_long(v, 1, QUIRE_SAMPLE_MAX_CUSTOMERS, &bad);
        } else if (cli_is_opt(a, "--orders", NULL)) {
            if (!(v = cli_opt(argc, argv, &i, "--orders", NULL, NULL)))
                return cli_usage_error(usage_sample, "%s needs a number", a);
            o.orders = parse_long(v, 0, QUIRE_SAMPLE_MAX_ORDERS, &bad);
        } else if (cli_is_opt(a, "--months", NULL)) {
            if (!(v = cli_opt(argc, argv, &i, "--months", NULL, NULL)))
                return cli_usage_error(usage_sample, "%s needs a number", a);
            o.months = (int)parse_long(v, 1, QUIRE_SAMPLE_MAX_MONTHS, &bad);
        } else if (cli_is_opt(a, "--seed", NULL)) {
            if (!(v = cli_opt(argc, argv, &i, "--seed", NULL, NULL)))
                return cli_usage_error(usage_sample, "%s needs a number", a);
            o.seed = (unsigned long long)parse_long(v, 0, 2147483647L, &bad);
        } else if (cli_is_opt(a, "--from", NULL)) {
            if (!(v = cli_opt(argc, argv, &i, "--from", NULL, NULL)))
                return cli_usage_error(usage_sample, "%s needs a month (YYYY-MM)", a);
            o.first_month = parse_month(v);
            if (o.first_month < 0)
                return cli_usage_error(usage_sample, "--from must be a month (YYYY-MM), not \"%s\"", v);
        } else {
            return cli_usage_error(usage_sample, "unknown argument \"%s\"", a);
        }
        if (bad)
            return cli_usage_error(usage_sample, "%s: not a valid number", a);
    }
    if (quire_sample_write(&o, &err))
        return cli_report_error(&err);
    if (quire_log_level >= LOG_WARN)
        fprintf(stderr, "quire: wrote %s/customers.csv, orders.csv, engagement.csv, surveys.csv, "
                "brand.csv, tickets.csv, spend.csv\n", o.out_dir);
    return QUIRE_EXIT_OK;
}

static int cmd_init(int argc, char **argv)
{
    const char **files = xcalloc((size_t)argc + 1, sizeof *files);
    init_opts o;
    quire_error err = {0};
    int i, rc;

    memset(&o, 0, sizeof o);
    o.out_dir = "report";
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        if (cli_is_help(a)) {
            free(files);
            fputs(usage_init, stdout);
            return QUIRE_EXIT_OK;
        }
        if (cli_is_opt(a, "--out", "-o")) {
            if (!(v = cli_opt(argc, argv, &i, "--out", "-o", NULL))) {
                free(files);
                return cli_usage_error(usage_init, "%s needs a folder", a);
            }
            o.out_dir = v;
        } else if (strcmp(a, "--force") == 0) {
            o.force = 1;
        } else if (a[0] == '-' && a[1]) {
            free(files);
            return cli_usage_error(usage_init, "unknown option \"%s\"", a);
        } else {
            files[o.nfiles++] = a;
        }
    }
    if (!o.nfiles) {
        free(files);
        return cli_usage_error(usage_init, "%s", "quire init needs at least one CSV file");
    }
    o.files = files;
    rc = init_report(&o, &err);
    free(files);
    if (rc)
        return cli_report_error(&err);
    if (quire_log_level >= LOG_WARN)
        fprintf(stderr, "quire: wrote %s/report.yaml, segments.lua and kpis/; render it with: "
                "quire run %s/report.yaml\n", o.out_dir, o.out_dir);
    return QUIRE_EXIT_OK;
}

int main(int argc, char **argv)
{
    const char *cmd;

    if (argc < 2) {
        fputs(usage_main, stderr);
        return QUIRE_EXIT_USAGE;
    }
    cmd = argv[1];
    /* Out of memory ends the process from wherever it happens (util.c):
     * it leaves no temporary output behind. */
    at_quick_exit(atomic_remove_pending);
    if (cli_is_help(cmd) || strcmp(cmd, "help") == 0) {
        fputs(usage_main, stdout);
        return QUIRE_EXIT_OK;
    }
    if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "version") == 0) {
        printf("quire %s (plugin ABI %d.%d)\n", QUIRE_VERSION, QUIRE_PLUGIN_ABI_MAJOR,
               QUIRE_PLUGIN_ABI_MINOR);
        return QUIRE_EXIT_OK;
    }
    if (strcmp(cmd, "run") == 0 || strcmp(cmd, "validate") == 0 || strcmp(cmd, "preview") == 0)
        return cmd_spec(cmd, argc - 2, argv + 2);
    if (strcmp(cmd, "plugins") == 0)
        return cmd_plugins(argc - 2, argv + 2);
    if (strcmp(cmd, "sample") == 0)
        return cmd_sample(argc - 2, argv + 2);
    if (strcmp(cmd, "init") == 0)
        return cmd_init(argc - 2, argv + 2);
    if (strcmp(cmd, "next") == 0)
        return cli_next(argc - 2, argv + 2);
    if (strcmp(cmd, "schedule") == 0)
        return cli_schedule(argc - 2, argv + 2);
    if (strcmp(cmd, "run-due") == 0)
        return cli_run_due(argc - 2, argv + 2);
    if (strcmp(cmd, "rerun") == 0)
        return cli_rerun(argc - 2, argv + 2);
    if (strcmp(cmd, "history") == 0)
        return cli_history(argc - 2, argv + 2);
    if (strcmp(cmd, "serve") == 0)
        return cli_serve(argc - 2, argv + 2);
    if (strcmp(cmd, "user") == 0)
        return cli_user(argc - 2, argv + 2);
    if (strcmp(cmd, "token") == 0)
        return cli_token(argc - 2, argv + 2);
    if (strcmp(cmd, "subscribe") == 0)
        return cli_subscribe(argc - 2, argv + 2);
    if (strcmp(cmd, "subscriptions") == 0)
        return cli_subscriptions(argc - 2, argv + 2);
    if (strcmp(cmd, "alert") == 0)
        return cli_alert(argc - 2, argv + 2);
    if (strcmp(cmd, "alerts") == 0)
        return cli_alerts(argc - 2, argv + 2);
    {
        static const char *const cmds[] = {"run",  "validate", "preview", "plugins", "sample",
                                           "next", "schedule", "run-due", "rerun", "history",
                                           "init", "serve", "user", "token", "subscribe",
                                           "subscriptions", "alert", "alerts"};
        const char *hint = closest_word(cmd, cmds, sizeof cmds / sizeof cmds[0]);
        quire_error err;
        quire_err(&err, QUIRE_EXIT_USAGE, "unknown command \"%s\"%s%s%s", cmd,
                  hint ? "; did you mean \"" : "", hint ? hint : "", hint ? "\"?" : "");
        cli_report_error(&err);
        fprintf(stderr, "\n%s", usage_main);
    }
    return QUIRE_EXIT_USAGE;
}
