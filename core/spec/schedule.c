/*
 * schedule.c - reading a spec's `schedule:` section (libyaml), and periods.
 *
 * spec_load() hands the section to schedule_parse() as it loads the rest of
 * the spec, from the same YAML document: the file is parsed once, and every
 * error names file:line:col like spec.c's.
 */
#include "schedule.h"

#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"
#include "util.h"
#include "ydoc.h"

typedef ynode node;

typedef struct ctx {
    ydoc *y;
    schedule *s;
    const spec *sp;
} ctx;

/* ------------------------------------------------------------ helpers */

#define fail_at(c, n, coloff, ...) ydoc_fail((c)->y, n, coloff, __VA_ARGS__)
#define fail(c, n, ...) ydoc_fail((c)->y, n, 0, __VA_ARGS__)

static node *nd(ctx *c, yaml_node_item_t id)
{
    return ydoc_node(c->y, id);
}

static node *get(ctx *c, node *m, const char *key)
{
    return ydoc_get(c->y, m, key);
}

static int check_keys(ctx *c, node *m, const char *where, const char *const *allowed, size_t n)
{
    return ydoc_check_keys(c->y, m, where, allowed, n);
}

/* A non-empty scalar, its ${param}s substituted, in a new string. */
static int str(ctx *c, node *n, const char *what, char **out)
{
    char *t;

    if (n->type != YAML_SCALAR_NODE)
        return fail(c, n, "%s must be a non-empty text", what);
    if (ydoc_text(c->y, n, what, &t))
        return -1;
    if (!*t) {
        free(t);
        return fail(c, n, "%s must be a non-empty text", what);
    }
    free(*out);
    *out = t;
    return 0;
}

static int opt_str(ctx *c, node *m, const char *key, const char *what, char **out)
{
    node *n = get(c, m, key);
    return n ? str(c, n, what, out) : 0;
}

static int to_long(ctx *c, node *n, const char *what, long lo, long hi, long *out)
{
    char *t, *end;
    long v;

    if (n->type != YAML_SCALAR_NODE)
        return fail(c, n, "%s must be a number", what);
    if (ydoc_text(c->y, n, what, &t))
        return -1;
    v = strtol(t, &end, 10);
    if (!*t || *end || v < lo || v > hi) {
        fail(c, n, "%s must be a whole number from %ld to %ld, not \"%s\"", what, lo, hi, t);
        free(t);
        return -1;
    }
    free(t);
    *out = v;
    return 0;
}

static int to_duration(ctx *c, node *n, const char *what, long *out)
{
    char *t = NULL;

    if (n->type == YAML_SCALAR_NODE && ydoc_text(c->y, n, what, &t))
        return -1;
    if (!t || (*out = parse_duration(t)) < 0) {
        free(t);
        return fail(c, n, "%s must be a duration such as 90s, 10m, 2h or 1d", what);
    }
    free(t);
    return 0;
}

/* One of names[]; its index in *out. */
static int choice(ctx *c, node *n, const char *what, const char *const *names, size_t k, int *out)
{
    size_t i;
    strbuf b = {0};
    char *t = NULL;

    if (n->type == YAML_SCALAR_NODE) {
        if (ydoc_text(c->y, n, what, &t))
            return -1;
        for (i = 0; i < k; i++)
            if (strcmp(t, names[i]) == 0) {
                free(t);
                *out = (int)i;
                return 0;
            }
        free(t);
    }
    for (i = 0; i < k; i++)
        sb_printf(&b, "%s%s", i ? " | " : "", names[i]);
    fail(c, n, "%s must be one of %s", what, b.s);
    sb_free(&b);
    return -1;
}

long parse_duration(const char *s)
{
    char *end;
    long v, mul = 1;

    if (!isdigit((unsigned char)*s))
        return -1;
    v = strtol(s, &end, 10);
    if (*end == 's')
        end++;
    else if (*end == 'm')
        mul = 60, end++;
    else if (*end == 'h')
        mul = 3600, end++;
    else if (*end == 'd')
        mul = 86400, end++;
    if (*end || v < 0 || v > 100L * 86400 / mul)
        return -1;
    return v * mul;
}

/* ------------------------------------------------------------ addresses */

static int is_atext(int c)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
           (c && strchr("!#$%&'*+-/=?^_`{|}~", c));
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

const char *email_address_problem(const char *addr)
{
    const char *at, *p;
    size_t local;

    if (!addr || !*addr)
        return "it is empty";
    if (has_control(addr))
        return "it holds a control character such as a line break";
    for (p = addr; *p; p++)
        if ((unsigned char)*p >= 0x80)
            return "it is not plain ASCII (write an international domain in its xn-- form)";
    if (strpbrk(addr, "<>"))
        return "give the address alone, without angle brackets or a display name";
    if (strlen(addr) > 254)
        return "it is longer than 254 characters";
    at = strrchr(addr, '@');
    if (!at)
        return "it has no \"@\"";
    local = (size_t)(at - addr);
    if (local == 0)
        return "nothing comes before the \"@\"";
    if (local > 64)
        return "the part before the \"@\" is longer than 64 characters";
    /* The local part: atoms of atext separated by single dots. */
    for (p = addr; p < at; p++) {
        if (*p == '.') {
            if (p == addr || p + 1 == at || p[1] == '.')
                return "a dot before the \"@\" may not start, end or double";
        } else if (!is_atext((unsigned char)*p)) {
            return *p == ' ' ? "it holds a space"
                   : *p == '@' ? "it has more than one \"@\""
                               : "the part before the \"@\" holds a character an address "
                                 "cannot (such as a quote, comma, semicolon or bracket)";
        }
    }
    p = at + 1;
    if (!*p)
        return "nothing comes after the \"@\"";
    if (*p == '[') { /* an address literal: [192.0.2.1] or [IPv6:...] */
        const char *q = p + 1;
        size_t n;
        if (strncmp(q, "IPv6:", 5) == 0)
            q += 5;
        n = strspn(q, "0123456789abcdefABCDEF.:");
        if (n == 0 || q[n] != ']' || q[n + 1])
            return "the address literal after the \"@\" is not [an IP address]";
        return NULL;
    }
    /* A domain: labels of letters, digits and hyphens, separated by dots. */
    for (;;) {
        size_t n = strspn(p, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-");
        if (n == 0 || n > 63 || p[0] == '-' || p[n - 1] == '-')
            return "the domain after the \"@\" is not a host name (labels of letters, digits "
                   "and hyphens, separated by dots)";
        p += n;
        if (!*p)
            return NULL;
        if (*p != '.')
            return "the domain after the \"@\" is not a host name (labels of letters, digits "
                   "and hyphens, separated by dots)";
        p++;
    }
}

const char *header_text_problem(const char *text)
{
    if (text && has_control(text))
        return "it holds a control character such as a line break";
    return NULL;
}

char *quoted_for_message(const char *text)
{
    strbuf b = {0};
    sb_json_cstr(&b, text ? text : "");
    return b.s;
}

/* ------------------------------------------------------------ deliveries */

static const char *const folder_keys[] = {"folder", "name"};
static const char *const email_keys[] = {"email", "smtp_url", "from", "subject", "body",
                                         "username_env", "password_env", "password_file",
                                         "tls", "ca_file", "timeout"};
static const char *const webhook_keys[] = {"webhook", "format", "token_env", "token_file",
                                           "ca_file", "timeout"};
#define NKEYS(a) (sizeof(a) / sizeof(a)[0])

static void target_free(deliver_target *t)
{
    size_t i;
    if (!t)
        return;
    for (i = 0; i < t->nto; i++)
        free(t->to[i]);
    free(t->to);
    free(t->name);
    free(t->smtp_url);
    free(t->from);
    free(t->subject);
    free(t->body);
    free(t->username_env);
    free(t->password_env);
    free(t->password_file);
    free(t->token_env);
    free(t->token_file);
    free(t->ca_file);
}

static void add_to(deliver_target *t, const char *v)
{
    t->to = xrealloc(t->to, (t->nto + 1) * sizeof *t->to);
    t->to[t->nto++] = xstrdup(v);
}

/* ca_file: a path relative to the spec's folder. */
static int load_ca_file(ctx *c, node *m, deliver_target *t)
{
    if (opt_str(c, m, "ca_file", "ca_file", &t->ca_file))
        return -1;
    if (t->ca_file) {
        char *p = path_join(c->sp->dir, t->ca_file);
        free(t->ca_file);
        t->ca_file = p;
    }
    return 0;
}

/* An address the spec gives at n (value: its text, ${param}s substituted):
 * its problem named at n's place. */
static int check_address(ctx *c, node *n, const char *value, const char *what)
{
    const char *why = email_address_problem(value);
    char *shown;

    if (!why)
        return 0;
    shown = quoted_for_message(value);
    fail(c, n, "%s%s is not an email address: %s", what, shown, why);
    free(shown);
    return -1;
}

/* One address (a scalar, its ${param}s substituted). */
static int load_address(ctx *c, node *a, deliver_target *t)
{
    char *v;

    if (a->type != YAML_SCALAR_NODE)
        return fail(c, a, "\"%s\" is not an email address", "(not a text)");
    if (ydoc_text(c->y, a, "an email address", &v))
        return -1;
    if (check_address(c, a, v, "")) {
        free(v);
        return -1;
    }
    add_to(t, v);
    free(v);
    return 0;
}

/* email: one address or a list of them. */
static int load_addresses(ctx *c, node *n, deliver_target *t)
{
    yaml_node_item_t *it;

    if (n->type != YAML_SCALAR_NODE &&
        (n->type != YAML_SEQUENCE_NODE ||
         n->data.sequence.items.start == n->data.sequence.items.top))
        return fail(c, n, "email must be an address or a list of addresses");
    if (n->type == YAML_SCALAR_NODE)
        return load_address(c, n, t);
    for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
        if (load_address(c, nd(c, *it), t))
            return -1;
    return 0;
}

/* A text that goes into a header line or a URL (value: key's text, its
 * ${param}s substituted, or NULL): no control characters. */
static int check_line(ctx *c, node *m, const char *key, const char *value, const char *what)
{
    if (value && has_control(value))
        return fail(c, get(c, m, key), "%s must be one line, without line breaks or other "
                                       "control characters", what);
    return 0;
}

/* A template's {NAME:FORMAT}s (name, subject, body): {from:FORMAT} and
 * {to:FORMAT} in one of date.h's formats, {period:name}. */
static int check_template(ctx *c, node *m, const char *key, const char *value)
{
    const char *p = value, *end, *colon;
    char buf[64];

    while (p && (p = strchr(p, '{')) != NULL && (end = strchr(p, '}')) != NULL) {
        colon = memchr(p, ':', (size_t)(end - p));
        if (colon) {
            size_t nl = (size_t)(colon - p - 1), fl = (size_t)(end - colon - 1);
            int is_month = (nl == 4 && strncmp(p + 1, "from", 4) == 0) ||
                           (nl == 2 && strncmp(p + 1, "to", 2) == 0);
            if (nl == 6 && strncmp(p + 1, "period", 6) == 0) {
                if (fl != 4 || strncmp(colon + 1, "name", 4) != 0)
                    return fail(c, get(c, m, key), "%s: unknown format in \"%.*s\"; {period} "
                                "takes one, {period:name} (\"Q2 2024\", \"Apr 2024\")", key,
                                (int)(end - p + 1), p);
            } else if (!is_month) {
                return fail(c, get(c, m, key), "%s: \"%.*s\": only {from}, {to} and {period} "
                            "take a format", key, (int)(end - p + 1), p);
            } else if (format_value_as(buf, sizeof buf, "2024-01-01", colon + 1, fl)) {
                return fail(c, get(c, m, key), "%s: unknown format in \"%.*s\"; formats: %s",
                            key, (int)(end - p + 1), p, DATE_FORMATS);
            }
        }
        p = end + 1;
    }
    return 0;
}

static int load_email_opts(ctx *c, node *m, deliver_target *t)
{
    node *n;
    long v = 0;

    if (opt_str(c, m, "smtp_url", "smtp_url", &t->smtp_url) ||
        opt_str(c, m, "from", "from", &t->from) ||
        opt_str(c, m, "subject", "subject", &t->subject) ||
        opt_str(c, m, "body", "body", &t->body) ||
        opt_str(c, m, "username_env", "username_env", &t->username_env) ||
        opt_str(c, m, "password_env", "password_env", &t->password_env) ||
        opt_str(c, m, "password_file", "password_file", &t->password_file) ||
        load_ca_file(c, m, t))
        return -1;
    if (t->from && check_address(c, get(c, m, "from"), t->from, "from: "))
        return -1;
    if (check_line(c, m, "subject", t->subject, "subject") ||
        check_line(c, m, "smtp_url", t->smtp_url, "smtp_url") ||
        check_template(c, m, "subject", t->subject) || check_template(c, m, "body", t->body))
        return -1;
    if (t->smtp_url && strncmp(t->smtp_url, "smtp://", 7) && strncmp(t->smtp_url, "smtps://", 8))
        return fail(c, get(c, m, "smtp_url"), "smtp_url must start with smtp:// or smtps://");
    if (t->password_file) {
        char *p = path_join(c->sp->dir, t->password_file);
        free(t->password_file);
        t->password_file = p;
    }
    if ((n = get(c, m, "tls")) != NULL) {
        static const char *const tls[] = {"never", "when_offered", "required"};
        int k;
        if (choice(c, n, "tls", tls, 3, &k))
            return -1;
        t->tls = k - 1;
    } else if (t->password_env || t->password_file) {
        t->tls = 1; /* a password never goes over a connection left unencrypted */
    }
    if ((n = get(c, m, "timeout")) != NULL) {
        if (to_duration(c, n, "timeout", &v))
            return -1;
        t->timeout = v;
    }
    return 0;
}

static int load_target(ctx *c, node *m, deliver_target *t)
{
    node *n;

    t->timeout = 60;
    if (m->type != YAML_MAPPING_NODE)
        return fail(c, m, "a delivery must be a mapping with folder, email or webhook");
    if ((n = get(c, m, "folder")) != NULL) {
        char *dir = NULL;
        t->kind = DELIVER_FOLDER;
        if (check_keys(c, m, "a folder delivery", folder_keys, 2) || str(c, n, "folder", &dir))
            return -1;
        add_to(t, "");
        free(t->to[0]);
        t->to[0] = path_join(c->sp->dir, dir);
        free(dir);
        t->name = xstrdup("{report}-{period}.pdf");
        if (opt_str(c, m, "name", "name", &t->name))
            return -1;
        if (strchr(t->name, '/') || strcmp(t->name, "..") == 0 || strncmp(t->name, ".", 1) == 0)
            return fail(c, get(c, m, "name"),
                        "name is a file name template, without \"/\" or a leading \".\"");
        if (check_template(c, m, "name", t->name))
            return -1;
        return 0;
    }
    if ((n = get(c, m, "email")) != NULL) {
        t->kind = DELIVER_EMAIL;
        if (check_keys(c, m, "an email delivery", email_keys, NKEYS(email_keys)) ||
            load_addresses(c, n, t) || load_email_opts(c, m, t))
            return -1;
        if (!t->smtp_url)
            return fail(c, m, "an email delivery needs smtp_url (smtp://host:port)");
        if (!t->from)
            return fail(c, m, "an email delivery needs from (the sender's address)");
        if ((t->password_env || t->password_file) && !t->username_env)
            return fail(c, m, "an email delivery with a password needs username_env (the "
                              "environment variable holding the user name)");
        return 0;
    }
    if ((n = get(c, m, "webhook")) != NULL) {
        char *url = NULL;
        t->kind = DELIVER_WEBHOOK;
        if (check_keys(c, m, "a webhook delivery", webhook_keys, NKEYS(webhook_keys)) ||
            str(c, n, "webhook", &url))
            return -1;
        add_to(t, url);
        free(url);
        if (strncmp(t->to[0], "http://", 7) && strncmp(t->to[0], "https://", 8))
            return fail(c, n, "webhook must be an http:// or https:// URL");
        if (check_line(c, m, "webhook", t->to[0], "webhook"))
            return -1;
        if ((n = get(c, m, "format")) != NULL) {
            static const char *const fmts[] = {"pdf", "json"};
            if (choice(c, n, "format", fmts, 2, &t->json))
                return -1;
        }
        if (opt_str(c, m, "token_env", "token_env", &t->token_env) ||
            opt_str(c, m, "token_file", "token_file", &t->token_file))
            return -1;
        if (t->token_file) {
            char *p = path_join(c->sp->dir, t->token_file);
            free(t->token_file);
            t->token_file = p;
        }
        if (load_ca_file(c, m, t))
            return -1;
        if ((n = get(c, m, "timeout")) != NULL && to_duration(c, n, "timeout", &t->timeout))
            return -1;
        return 0;
    }
    return fail(c, m, "a delivery needs one of folder, email or webhook");
}

static int load_on_failure(ctx *c, node *m)
{
    schedule *s = c->s;
    deliver_target *t, *first = NULL;
    node *n;
    size_t i;

    if (m->type != YAML_MAPPING_NODE || !(n = get(c, m, "email")))
        return fail(c, m, "on_failure must be a mapping with email (and the email options)");
    t = s->on_failure = xcalloc(1, sizeof *t);
    t->kind = DELIVER_EMAIL;
    t->timeout = 60;
    if (check_keys(c, m, "on_failure", email_keys, NKEYS(email_keys)) ||
        load_addresses(c, n, t) || load_email_opts(c, m, t))
        return -1;
    /* What it leaves out comes from the first email delivery. */
    for (i = 0; i < s->ntargets && !first; i++)
        if (s->targets[i].kind == DELIVER_EMAIL)
            first = &s->targets[i];
    if (first) {
        /* The credentials only go to the server they are for. */
        int same = !t->smtp_url || strcmp(t->smtp_url, first->smtp_url) == 0;
        if (!t->smtp_url)
            t->smtp_url = xstrdup(first->smtp_url);
        if (!t->from)
            t->from = xstrdup(first->from);
        if (same && !t->username_env && first->username_env)
            t->username_env = xstrdup(first->username_env);
        if (same && !t->password_env && !t->password_file) {
            if (first->password_env)
                t->password_env = xstrdup(first->password_env);
            if (first->password_file)
                t->password_file = xstrdup(first->password_file);
        }
        if (same && !t->ca_file && first->ca_file)
            t->ca_file = xstrdup(first->ca_file);
        if (same && !get(c, m, "tls") && !t->tls)
            t->tls = first->tls;
    }
    if (!t->smtp_url || !t->from)
        return fail(c, m, "on_failure needs smtp_url and from (or an email delivery to take "
                          "them from)");
    if ((t->password_env || t->password_file) && !t->username_env)
        return fail(c, m, "on_failure with a password needs username_env (the environment "
                          "variable holding the user name)");
    return 0;
}

/* ------------------------------------------------------------ the section */

static const char *const sched_keys[] = {"name",     "cron",         "tz",
                                         "period",   "show",         "period_params", "catch_up",
                                         "catch_up_max", "catch_up_grace", "retries",
                                         "backoff",  "run_retry",    "deliver",
                                         "on_failure"};

static const char *const period_names[] = {"previous_month", "current_month", "previous_quarter",
                                           "previous_year",  "previous_day",  "current_day",
                                           "previous_week",  "current_week"};

static int period_param(ctx *c, node *at, const char *name, int *is_date)
{
    size_t i;
    for (i = 0; i < c->sp->nparams; i++) {
        const spec_param *p = &c->sp->params[i];
        if (strcmp(p->name, name) != 0)
            continue;
        if (p->type != PARAM_MONTH && p->type != PARAM_DATE)
            return fail(c, at, "parameter \"%s\" gets the period: it must be of type month or "
                               "date",
                        name);
        *is_date = p->type == PARAM_DATE;
        return 0;
    }
    return fail(c, at, "the spec has no parameter \"%s\" to receive the period (set "
                       "period_params: {from: NAME, to: NAME})",
                name);
}

/* run_retry: { attempts: N, backoff: DURATION }: how often a run that failed
 * for now (a source down) is rendered again, and how long after. */
static int load_run_retry(ctx *c, node *m)
{
    static const char *const keys[] = {"attempts", "backoff"};
    schedule *s = c->s;
    node *n;
    long v;

    s->run_attempts = 4;
    s->run_backoff = 900;
    if (!m)
        return 0;
    if (m->type != YAML_MAPPING_NODE)
        return fail(c, m, "run_retry must be a mapping {attempts: N, backoff: DURATION}");
    if (check_keys(c, m, "run_retry", keys, 2))
        return -1;
    if ((n = get(c, m, "attempts")) != NULL) {
        if (to_long(c, n, "run_retry.attempts", 1, 100, &v))
            return -1;
        s->run_attempts = (int)v;
    }
    if ((n = get(c, m, "backoff")) != NULL &&
        to_duration(c, n, "run_retry.backoff", &s->run_backoff))
        return -1;
    return 0;
}

static int load_schedule(ctx *c, node *m)
{
    schedule *s = c->s;
    node *n, *cron_node;
    quire_error cerr = {0};
    long v = 0;
    int col, k;

    if (m->type != YAML_MAPPING_NODE)
        return fail(c, m, "schedule must be a mapping (cron, tz, period, deliver, ...)");
    if (check_keys(c, m, "schedule", sched_keys, sizeof sched_keys / sizeof sched_keys[0]))
        return -1;
    if (opt_str(c, m, "name", "name", &s->report) || check_line(c, m, "name", s->report, "name"))
        return -1;
    if (!(cron_node = get(c, m, "cron")))
        return fail(c, m, "schedule needs cron (e.g. \"0 6 1 * *\")");
    if (str(c, cron_node, "cron", &s->cron_text))
        return -1;
    if (cron_parse(s->cron_text, &s->cron, &col, &cerr)) {
        int quoted = cron_node->data.scalar.style == YAML_SINGLE_QUOTED_SCALAR_STYLE ||
                     cron_node->data.scalar.style == YAML_DOUBLE_QUOTED_SCALAR_STYLE;
        /* The column is in the text as written, unless a parameter made it. */
        if (strcmp(s->cron_text, ynode_text(cron_node)) != 0)
            col = 0, quoted = 0;
        return fail_at(c, cron_node, col + quoted, "cron: %s", cerr.msg);
    }
    if (!(n = get(c, m, "tz")))
        return fail(c, m, "schedule needs tz, the IANA time zone of its times (e.g. "
                          "Europe/Berlin or UTC)");
    if (str(c, n, "tz", &s->tz))
        return -1;
    if (tz_check(s->tz, &cerr))
        return fail(c, n, "tz: %s", cerr.msg);
    if ((n = get(c, m, "period")) != NULL) {
        if (choice(c, n, "period", period_names, 8, &k))
            return -1;
        s->period = (period_kind)k;
    }
    s->grain = c->sp->grain;
    s->show = 1;
    if ((n = get(c, m, "show")) != NULL) {
        if (to_long(c, n, "show (periods)", 1, 120, &v))
            return -1;
        if (s->period == PERIOD_PREVIOUS_DAY || s->period == PERIOD_CURRENT_DAY)
            return fail(c, n, "show counts the report's periods (%ss): it goes with a weekly, "
                              "monthly, quarterly or yearly period, not a day",
                        grain_name(s->grain));
        s->show = (int)v;
    }
    s->from_param = xstrdup("from");
    s->to_param = xstrdup("to");
    n = get(c, m, "period_params");
    if (n) {
        static const char *const pk[] = {"from", "to"};
        if (n->type != YAML_MAPPING_NODE)
            return fail(c, n, "period_params must be a mapping {from: NAME, to: NAME}");
        if (check_keys(c, n, "period_params", pk, 2) ||
            opt_str(c, n, "from", "period_params.from", &s->from_param) ||
            opt_str(c, n, "to", "period_params.to", &s->to_param))
            return -1;
    }
    if (period_param(c, n ? n : m, s->from_param, &s->from_is_date) ||
        period_param(c, n ? n : m, s->to_param, &s->to_is_date))
        return -1;
    if ((s->period == PERIOD_PREVIOUS_WEEK || s->period == PERIOD_CURRENT_WEEK ||
         (s->grain.kind == GRAIN_WEEK && s->show > 1)) &&
        (!s->from_is_date || !s->to_is_date))
        return fail(c, get(c, m, "period") ? get(c, m, "period") : m,
                    "a week is given to the spec as dates: parameters \"%s\" and \"%s\" must be "
                    "of type date", s->from_param, s->to_param);
    s->catch_up = CATCH_LATEST;
    if ((n = get(c, m, "catch_up")) != NULL) {
        static const char *const cu[] = {"skip", "latest", "all"};
        if (choice(c, n, "catch_up", cu, 3, &k))
            return -1;
        s->catch_up = (catch_up_policy)k;
    }
    s->catch_up_max = 12;
    if ((n = get(c, m, "catch_up_max")) != NULL) {
        if (to_long(c, n, "catch_up_max", 1, 1000, &v))
            return -1;
        s->catch_up_max = (int)v;
    }
    s->grace = 600;
    if ((n = get(c, m, "catch_up_grace")) != NULL && to_duration(c, n, "catch_up_grace", &s->grace))
        return -1;
    s->retries = 5;
    if ((n = get(c, m, "retries")) != NULL) {
        if (to_long(c, n, "retries", 1, 100, &v))
            return -1;
        s->retries = (int)v;
    }
    s->backoff = 60;
    if ((n = get(c, m, "backoff")) != NULL && to_duration(c, n, "backoff", &s->backoff))
        return -1;
    if (load_run_retry(c, get(c, m, "run_retry")))
        return -1;
    if ((n = get(c, m, "deliver")) != NULL) {
        yaml_node_item_t *it;
        if (n->type != YAML_SEQUENCE_NODE)
            return fail(c, n, "deliver must be a list of deliveries (folder, email, webhook)");
        s->targets = xcalloc((size_t)(n->data.sequence.items.top - n->data.sequence.items.start) + 1,
                             sizeof *s->targets);
        for (it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++)
            if (load_target(c, nd(c, *it), &s->targets[s->ntargets++]))
                return -1;
    }
    if ((n = get(c, m, "on_failure")) != NULL && load_on_failure(c, n))
        return -1;
    return 0;
}

/* "reports/monthly_segments.yaml" -> "monthly_segments" */
static char *base_name(const char *path)
{
    const char *b = strrchr(path, '/'), *dot;
    b = b ? b + 1 : path;
    dot = strrchr(b, '.');
    return xstrndup(b, dot && dot != b ? (size_t)(dot - b) : strlen(b));
}

int schedule_parse(ydoc *y, ynode *n, const spec *sp, schedule **out)
{
    schedule *s = xcalloc(1, sizeof *s);
    ctx c;

    *out = NULL;
    s->spec_path = xstrdup(sp->path);
    c.y = y;
    c.s = s;
    c.sp = sp;
    if (load_schedule(&c, n)) {
        schedule_free(s);
        return -1;
    }
    if (!s->report)
        s->report = base_name(sp->path);
    *out = s;
    return 0;
}

schedule *schedule_load(const char *path, const spec_override *ov, size_t nov, quire_error *err)
{
    spec *sp = spec_load(path, ov, nov, err);
    schedule *s;

    if (!sp)
        return NULL;
    s = sp->schedule;
    sp->schedule = NULL;
    if (!s)
        quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "the spec has no schedule section");
    spec_free(sp);
    return s;
}

void schedule_free(schedule *s)
{
    size_t i;
    if (!s)
        return;
    free(s->spec_path);
    free(s->report);
    free(s->cron_text);
    free(s->tz);
    free(s->from_param);
    free(s->to_param);
    for (i = 0; i < s->ntargets; i++)
        target_free(&s->targets[i]);
    free(s->targets);
    target_free(s->on_failure);
    free(s->on_failure);
    free(s);
}

/* ------------------------------------------------------------ periods */

static void put_bound(char *buf, size_t n, int is_date, int32_t day)
{
    if (is_date)
        format_date(buf, n, day);
    else
        format_month(buf, n, month_of_days(day));
}

void schedule_period(const schedule *s, int64_t wall, period *p)
{
    int y, mo, d, h, mi, sec, q;
    int32_t first, last, today;
    grain g;

    wall_split(wall, &y, &mo, &d, &h, &mi, &sec);
    today = days_from_civil(y, mo, d);
    switch (s->period) {
    case PERIOD_CURRENT_MONTH:
        first = days_from_civil(y, mo, 1);
        last = days_from_civil(y, mo, days_in_month(y, mo));
        snprintf(p->label, sizeof p->label, "%04d-%02d", y, mo);
        break;
    case PERIOD_PREVIOUS_QUARTER:
    case PERIOD_PREVIOUS_YEAR:
        /* in the spec's fiscal year: "2024-Q1", or "FY2023/24-Q4" from April */
        g.kind = s->period == PERIOD_PREVIOUS_QUARTER ? GRAIN_QUARTER : GRAIN_YEAR;
        g.fy_start = s->grain.fy_start;
        q = grain_period(g, today) - 1;
        first = grain_first_day(g, q);
        last = grain_last_day(g, q);
        grain_key(p->label, sizeof p->label, g, q);
        break;
    case PERIOD_PREVIOUS_WEEK:
    case PERIOD_CURRENT_WEEK:
        g.kind = GRAIN_WEEK;
        g.fy_start = s->grain.fy_start;
        q = grain_period(g, today) - (s->period == PERIOD_PREVIOUS_WEEK);
        first = grain_first_day(g, q);
        last = grain_last_day(g, q);
        grain_key(p->label, sizeof p->label, g, q);
        break;
    case PERIOD_PREVIOUS_DAY:
    case PERIOD_CURRENT_DAY:
        first = last = s->period == PERIOD_PREVIOUS_DAY ? today - 1 : today;
        format_date(p->label, sizeof p->label, first);
        break;
    default: /* previous month */
        if (--mo == 0)
            mo = 12, y--;
        first = days_from_civil(y, mo, 1);
        last = days_from_civil(y, mo, days_in_month(y, mo));
        snprintf(p->label, sizeof p->label, "%04d-%02d", y, mo);
    }
    /* The periods shown (of the spec's grain) end with the one holding the
     * period's last day; they start earlier than the period when show asks
     * for more than it holds. */
    if (s->show > 1) {
        int32_t shown = grain_first_day(s->grain, grain_period(s->grain, last) - (s->show - 1));
        if (shown < first)
            first = shown;
    }
    put_bound(p->from, sizeof p->from, s->from_is_date, first);
    put_bound(p->to, sizeof p->to, s->to_is_date, last);
}
