/* cli_serve.c - quire serve, quire user add, quire token add. */
#include "cli_serve.h"

#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "auth.h"
#include "cli.h"
#include "serve.h"
#include "store.h"
#include "util.h"

static const char usage_serve[] =
    "Usage: quire serve --reports DIR --state FILE [--listen HOST:PORT]\n"
    "                   [--workers N] [--queue N] [--timeout SECONDS]\n"
    "                   [--tls-cert FILE --tls-key FILE] [--access-log FILE]\n"
    "\n"
    "Serve the reports of DIR (each DIR/NAME.yaml) as web pages and a JSON API:\n"
    "list them, render them with the parameters a client picks, and serve the\n"
    "report as HTML (shown in the page), PDF, Excel workbook and its KPIs as CSV.\n"
    "\n"
    "  --reports DIR        the folder of report specs; a report is found by its\n"
    "                       name ([A-Za-z0-9_-]+) in it, nowhere else\n"
    "  --state FILE         SQLite file of users, tokens and runs (shared with the\n"
    "                       scheduler's ledger); renders are cached in FILE.cache/\n"
    "  --listen HOST:PORT   default 127.0.0.1:8080 (port 0: any free port); an\n"
    "                       address off the loopback needs TLS and users or tokens\n"
    "  --tls-cert FILE, --tls-key FILE\n"
    "                       serve HTTPS with this PEM certificate and key\n"
    "  --workers N          renders at once (default 2)\n"
    "  --queue N            renders waiting at most; more are refused with 503\n"
    "                       (default 16)\n"
    "  --timeout SECONDS    a render's time limit (default 300)\n"
    "  --grace SECONDS      on SIGTERM, time renders get to finish (default 10)\n"
    "  --max-body BYTES     largest request body (default 65536; larger: 413)\n"
    "  --rate-limit N       requests a second per client address (default 50,\n"
    "                       bursts of twice that; 0: no limit; over it: 429)\n"
    "  --threads N          threads answering requests (default 4)\n"
    "  --access-log FILE    one line per request (default standard error)\n"
    "  --port-file FILE     write the port there once listening\n"
    "\n"
    "Authentication is on as soon as the state file has a user or a token\n"
    "(quire user add, quire token add); without any, the server answers on the\n"
    "loopback address only, to anyone there, as a viewer. See docs/server.md.\n";

static const char usage_user[] =
    "Usage: quire user add NAME --role viewer|editor --state FILE [--password-file FILE]\n"
    "\n"
    "Add (or replace) a user of quire serve. The password is read from the file\n"
    "given (its first line), else from the environment variable QUIRE_PASSWORD;\n"
    "never from the command line. It is stored as a salted PBKDF2-HMAC-SHA256 hash.\n";

static const char usage_token[] =
    "Usage: quire token add NAME --role viewer|editor --state FILE [--out FILE]\n"
    "\n"
    "Make an API token for quire serve (Authorization: Bearer TOKEN) and print it\n"
    "once, or write it to FILE (mode 0600). Only its SHA-256 is stored.\n";

static int parse_num(const char *v, double lo, double hi, double *out)
{
    char *end;
    errno = 0;
    *out = strtod(v, &end);
    return !*v || *end || errno || *out < lo || *out > hi ? -1 : 0;
}

/* The quire program itself, for the renders. */
static char *self_path(void)
{
    char buf[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    if (n <= 0)
        return NULL;
    buf[n] = '\0';
    return xstrdup(buf);
}

int cli_serve(int argc, char **argv)
{
    serve_opts o;
    quire_error err = {0};
    int i, rc;
    char *prog;

    memset(&o, 0, sizeof o);
    o.listen = "127.0.0.1:8080";
    o.workers = 2;
    o.queue = 16;
    o.threads = 4;
    o.timeout = 300;
    o.grace = 10;
    o.max_body = 65536;
    o.rate = 50;
    for (i = 0; i < argc; i++) {
        const char *a = argv[i], *v;
        double d;
        int missing = 0;
        if (cli_is_help(a)) {
            fputs(usage_serve, stdout);
            return 0;
        }
#define OPT(name) (cli_is_opt(a, name, NULL) && \
                   ((v = cli_opt(argc, argv, &i, name, NULL, &missing)) != NULL || \
                    (cli_usage_error(usage_serve, "%s needs a value", a), 0)))
        if (OPT("--reports"))
            o.reports = v;
        else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--state"))
            o.state = v;
        else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--listen"))
            o.listen = v;
        else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--tls-cert"))
            o.tls_cert = v;
        else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--tls-key"))
            o.tls_key = v;
        else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--access-log"))
            o.access_log = v;
        else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--port-file"))
            o.port_file = v;
        else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--workers")) {
            if (parse_num(v, 1, 64, &d))
                return cli_usage_error(usage_serve, "--workers must be 1 to 64, not \"%s\"", v);
            o.workers = (int)d;
        } else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--queue")) {
            if (parse_num(v, 0, 10000, &d))
                return cli_usage_error(usage_serve, "--queue must be 0 to 10000, not \"%s\"", v);
            o.queue = (int)d;
        } else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--threads")) {
            if (parse_num(v, 1, 256, &d))
                return cli_usage_error(usage_serve, "--threads must be 1 to 256, not \"%s\"", v);
            o.threads = (int)d;
        } else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--timeout")) {
            if (parse_num(v, 0.1, 86400, &d))
                return cli_usage_error(usage_serve, "--timeout must be seconds (up to 86400), "
                                       "not \"%s\"", v);
            o.timeout = d;
        } else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--grace")) {
            if (parse_num(v, 0, 3600, &d))
                return cli_usage_error(usage_serve, "--grace must be seconds (up to 3600), "
                                       "not \"%s\"", v);
            o.grace = d;
        } else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--max-body")) {
            if (parse_num(v, 256, 1 << 26, &d))
                return cli_usage_error(usage_serve, "--max-body must be 256 to 67108864 bytes, "
                                       "not \"%s\"", v);
            o.max_body = (long)d;
        } else if (missing)
            return QUIRE_EXIT_USAGE;
        else if (OPT("--rate-limit")) {
            if (parse_num(v, 0, 1e6, &d))
                return cli_usage_error(usage_serve, "--rate-limit must be a number of requests "
                                       "a second, not \"%s\"", v);
            o.rate = d;
        } else if (missing)
            return QUIRE_EXIT_USAGE;
        else
            return cli_usage_error(usage_serve, "unknown argument \"%s\"", a);
#undef OPT
    }
    if (!o.reports)
        return cli_usage_error(usage_serve, "%s", "quire serve needs --reports DIR");
    if (!o.state)
        return cli_usage_error(usage_serve, "%s", "quire serve needs --state FILE");
    if (!(prog = self_path())) {
        quire_err(&err, QUIRE_EXIT_USAGE, "cannot find the quire program itself");
        return cli_report_error(&err);
    }
    o.program = prog;
    rc = serve_run(&o, &err);
    free(prog);
    return rc ? cli_report_error(&err) : 0;
}

/* The first line of path, or of $QUIRE_PASSWORD. A new string, or NULL. */
static char *read_secret(const char *path, quire_error *err)
{
    char buf[1024];
    if (path) {
        FILE *f = fopen(path, "r");
        if (!f) {
            quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "cannot read the password: %s",
                         strerror(errno));
            return NULL;
        }
        if (!fgets(buf, sizeof buf, f))
            buf[0] = '\0';
        fclose(f);
        buf[strcspn(buf, "\r\n")] = '\0';
    } else {
        const char *e = getenv("QUIRE_PASSWORD");
        if (!e) {
            quire_err(err, QUIRE_EXIT_USAGE, "no password: set QUIRE_PASSWORD or give "
                      "--password-file FILE");
            return NULL;
        }
        snprintf(buf, sizeof buf, "%s", e);
    }
    if (strlen(buf) < 8) {
        quire_err(err, QUIRE_EXIT_USAGE, "a password needs at least 8 characters");
        return NULL;
    }
    return xstrdup(buf);
}

/* A user's or a token's name: 1 to 63 letters, digits, _ . @ -. */
static int name_ok(const char *s)
{
    size_t i;
    if (!s || !*s || strlen(s) > 63)
        return 0;
    for (i = 0; s[i]; i++)
        if (!isalnum((unsigned char)s[i]) && !strchr("_.@-", s[i]))
            return 0;
    return 1;
}

/* NAME --role R --state FILE and one more option (extra) with its value. */
static int parse_add(int argc, char **argv, const char *usage, const char *extra,
                     const char **name, auth_role *role, const char **state,
                     const char **extra_v)
{
    int i;
    if (argc < 1 || strcmp(argv[0], "add") != 0)
        return cli_is_help(argc ? argv[0] : "") ? (fputs(usage, stdout), -2)
                                                  : cli_usage_error(usage, "%s", "expected add");
    *name = NULL;
    *role = ROLE_NONE;
    for (i = 1; i < argc; i++) {
        const char *a = argv[i], *v;
        if (cli_is_help(a)) {
            fputs(usage, stdout);
            return -2;
        }
        if (cli_is_opt(a, "--role", NULL)) {
            if (!(v = cli_opt(argc, argv, &i, "--role", NULL, NULL)) ||
                (*role = auth_role_parse(v)) == ROLE_NONE)
                return cli_usage_error(usage, "%s must be viewer or editor", "--role");
        } else if (cli_is_opt(a, "--state", NULL)) {
            if (!(*state = cli_opt(argc, argv, &i, "--state", NULL, NULL)))
                return cli_usage_error(usage, "%s needs a file", a);
        } else if (cli_is_opt(a, extra, NULL)) {
            if (!(*extra_v = cli_opt(argc, argv, &i, extra, NULL, NULL)))
                return cli_usage_error(usage, "%s needs a file", a);
        } else if (a[0] == '-') {
            return cli_usage_error(usage, "unknown option \"%s\"", a);
        } else if (!*name) {
            *name = a;
        } else {
            return cli_usage_error(usage, "unexpected argument \"%s\"", a);
        }
    }
    if (!name_ok(*name))
        return cli_usage_error(usage, "%s", "NAME must be 1 to 63 letters, digits, _ . @ -");
    if (*role == ROLE_NONE)
        return cli_usage_error(usage, "%s", "--role viewer or --role editor is needed");
    if (!*state)
        return cli_usage_error(usage, "%s", "--state FILE is needed");
    return 0;
}

int cli_user(int argc, char **argv)
{
    const char *name, *state = NULL, *pwfile = NULL;
    auth_role role;
    quire_error err = {0};
    store *st;
    char *pw;
    int rc = parse_add(argc, argv, usage_user, "--password-file", &name, &role, &state, &pwfile);

    if (rc)
        return rc == -2 ? 0 : rc;
    if (!(pw = read_secret(pwfile, &err)))
        return cli_report_error(&err);
    if (!(st = store_open(state, &err))) {
        free(pw);
        return cli_report_error(&err);
    }
    rc = store_user_set(st, name, role, pw, &err);
    memset(pw, 0, strlen(pw));
    free(pw);
    store_close(st);
    if (rc)
        return cli_report_error(&err);
    fprintf(stderr, "quire: user \"%s\" (%s) saved in %s\n", name, auth_role_name(role), state);
    return 0;
}

int cli_token(int argc, char **argv)
{
    const char *name, *state = NULL, *out = NULL;
    auth_role role;
    quire_error err = {0};
    store *st;
    char token[80];
    int rc = parse_add(argc, argv, usage_token, "--out", &name, &role, &state, &out);

    if (rc)
        return rc == -2 ? 0 : rc;
    if (!(st = store_open(state, &err)))
        return cli_report_error(&err);
    rc = store_token_add(st, name, role, token, &err);
    store_close(st);
    if (rc)
        return cli_report_error(&err);
    if (out) {
        int fd = open(out, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
        FILE *f = fd >= 0 ? fdopen(fd, "w") : NULL;
        if (!f || fprintf(f, "%s\n", token) < 0 || fclose(f) != 0) {
            quire_err_at(&err, QUIRE_EXIT_USAGE, out, 0, 0, "cannot write the token: %s",
                         strerror(errno));
            return cli_report_error(&err);
        }
    } else {
        printf("%s\n", token);
    }
    memset(token, 0, sizeof token);
    fprintf(stderr, "quire: token for \"%s\" (%s) saved in %s%s%s\n", name, auth_role_name(role),
            state, out ? "; written to " : "", out ? out : "");
    return 0;
}
