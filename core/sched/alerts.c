/*
 * alerts.c - subscriptions and alerts in the ledger, the values a run
 * computed, and the comparison of the one with the other (alerts.h).
 */
#include "alerts.h"

#include <errno.h>
#include <math.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "atomic.h"
#include "date.h"
#include "schedule.h"

/* ------------------------------------------------------------ SQLite */

static int db_fail(state *st, quire_error *err, const char *what)
{
    return quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0, "%s: %s", what,
                        sqlite3_errmsg(state_db(st)));
}

static sqlite3_stmt *prep(state *st, const char *sql, quire_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(state_db(st), sql, -1, &q, NULL) != SQLITE_OK) {
        db_fail(st, err, "cannot prepare a query");
        return NULL;
    }
    return q;
}

/* The rows that sql selects for report (its ?1; NULL: every report), each
 * read by row() into a new element of size bytes of *out. 0, or -1 with
 * *out NULL when they cannot be read (what says what). */
static int list_rows(state *st, const char *sql, const char *report, size_t size,
                     void (*row)(sqlite3_stmt *, void *), void **out, size_t *n,
                     const char *what, quire_error *err)
{
    sqlite3_stmt *q = prep(st, sql, err);
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    if (report)
        sqlite3_bind_text(q, 1, report, -1, SQLITE_TRANSIENT);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap)
            *out = xrealloc(*out, (cap = cap ? 2 * cap : 8) * size);
        row(q, (char *)*out + (*n)++ * size);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return db_fail(st, err, what);
    }
    return 0;
}

static int exec(state *st, const char *sql, quire_error *err)
{
    if (sqlite3_exec(state_db(st), sql, NULL, NULL, NULL) != SQLITE_OK)
        return db_fail(st, err, sql);
    return 0;
}

static void text(sqlite3_stmt *q, int col, char *buf, size_t n)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(buf, n, "%s", t ? (const char *)t : "");
}

static double real_or_nan(sqlite3_stmt *q, int col)
{
    return sqlite3_column_type(q, col) == SQLITE_NULL ? NAN : sqlite3_column_double(q, col);
}

static void bind_real(sqlite3_stmt *q, int col, double v)
{
    if (isnan(v) || isinf(v))
        sqlite3_bind_null(q, col);
    else
        sqlite3_bind_double(q, col, v);
}

/* Why a target cannot be used, or NULL: an email address, or a webhook URL
 * (http or https, one line); a token variable's name of letters, digits
 * and "_". */
static const char *target_problem(const char *channel, const char *address,
                                  const char *token_env)
{
    const char *p;

    if (strcmp(channel, "email") == 0) {
        if (token_env && *token_env)
            return "a token is for webhooks only";
        return email_address_problem(address);
    }
    if (strcmp(channel, "webhook") != 0)
        return "the channel must be email or webhook";
    if (strncmp(address, "http://", 7) != 0 && strncmp(address, "https://", 8) != 0)
        return "a webhook is an http:// or https:// URL";
    if (header_text_problem(address) || strchr(address, ' '))
        return "a URL is one line without spaces or control characters";
    if (strlen(address) >= 512)
        return "the URL is longer than 511 characters";
    {
        /* a user name or password in the URL would be kept in the ledger
         * and shown by the lists: a token comes from --token-env */
        const char *host = strstr(address, "://") + 3;
        size_t auth = strcspn(host, "/?#");
        if (memchr(host, '@', auth))
            return "a URL with a user name or password in it; give a token with --token-env "
                   "instead, which is read from the environment when it is sent";
    }
    for (p = token_env ? token_env : ""; *p; p++)
        if (!((*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z') || (*p >= '0' && *p <= '9') ||
              *p == '_'))
            return "the token's environment variable name has other characters than letters, "
                   "digits and _";
    return NULL;
}

static int bad_target(state *st, const char *channel, const char *address, const char *why,
                      quire_error *err)
{
    const char *host = strstr(address, "://");
    char *masked = NULL, *shown;

    /* a login in a URL is shown as ***, as deliveries show it */
    if (host) {
        size_t auth = strcspn(host + 3, "/?#"), k;
        const char *last = NULL;
        for (k = 0; k < auth; k++)
            if (host[3 + k] == '@')
                last = host + 3 + k;
        if (last)
            masked = xasprintf("%.*s***%s", (int)(host + 3 - address), address, last);
    }
    shown = quoted_for_message(masked ? masked : address);
    free(masked);
    quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0, "%s %s: %s", channel, shown, why);
    free(shown);
    return -1;
}

static int check_report(state *st, const char *report, quire_error *err)
{
    if (!report || !*report || strlen(report) >= 128 || header_text_problem(report))
        return quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0,
                            "a report's name is one line of at most 127 characters");
    return 0;
}

/* ------------------------------------------------------------ subscriptions */

static void sub_row(sqlite3_stmt *q, void *out)
{
    subscription *s = out;

    memset(s, 0, sizeof *s);
    s->id = sqlite3_column_int64(q, 0);
    text(q, 1, s->report, sizeof s->report);
    text(q, 2, s->channel, sizeof s->channel);
    text(q, 3, s->address, sizeof s->address);
    text(q, 4, s->token_env, sizeof s->token_env);
    text(q, 5, s->format, sizeof s->format);
    s->created = sqlite3_column_int64(q, 6);
}

#define SUB_COLS "id, report, channel, address, token_env, format, created"

int sub_add(state *st, const subscription *s, int64_t now, int64_t *id, quire_error *err)
{
    sqlite3_stmt *q;
    const char *why, *format = s->format[0] ? s->format : "pdf";
    subscription had;
    int found, rc;

    if (check_report(st, s->report, err))
        return -1;
    if ((why = target_problem(s->channel, s->address, s->token_env)) != NULL)
        return bad_target(st, s->channel, s->address, why, err);
    if (strcmp(format, "pdf") != 0 && strcmp(format, "json") != 0)
        return quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0,
                            "a webhook's format is pdf or json, not \"%s\"", format);
    if (sub_find(st, s->report, s->channel, s->address, &had, &found, err))
        return -1;
    if (found)
        return quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0,
                            "%s is already subscribed to %s (subscription %lld)", s->address,
                            s->report, (long long)had.id);
    q = prep(st, "INSERT INTO subscriptions (report, channel, address, token_env, format, created) "
                 "VALUES (?, ?, ?, ?, ?, ?)",
             err);
    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, s->report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, s->channel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, s->address, -1, SQLITE_TRANSIENT);
    if (s->token_env[0])
        sqlite3_bind_text(q, 4, s->token_env, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 5, format, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 6, now);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(st, err, "cannot add the subscription");
    if (id)
        *id = sqlite3_last_insert_rowid(state_db(st));
    return 0;
}

int sub_list(state *st, const char *report, subscription **out, size_t *n, quire_error *err)
{
    void *rows;
    int rc = list_rows(st, "SELECT " SUB_COLS " FROM subscriptions "
                           "WHERE ?1 IS NULL OR report = ?1 ORDER BY id",
                       report, sizeof **out, sub_row, &rows, n,
                       "cannot read the subscriptions", err);
    *out = rows;
    return rc;
}

int sub_remove(state *st, int64_t id, quire_error *err)
{
    sqlite3_stmt *q = prep(st, "DELETE FROM subscriptions WHERE id = ?", err);
    int rc;

    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, id);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(st, err, "cannot remove the subscription");
    if (sqlite3_changes(state_db(st)) == 0)
        return quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0,
                            "there is no subscription %lld", (long long)id);
    return 0;
}

int sub_find(state *st, const char *report, const char *channel, const char *address,
             subscription *out, int *found, quire_error *err)
{
    sqlite3_stmt *q = prep(st, "SELECT " SUB_COLS " FROM subscriptions "
                               "WHERE report = ? AND channel = ? AND address = ?",
                           err);
    int rc;

    *found = 0;
    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, channel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, address, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        sub_row(q, out);
        *found = 1;
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(st, err, "cannot read the subscriptions");
    return 0;
}

/* ------------------------------------------------------------ conditions */

static const char *const op_text[] = {">", ">=", "<", "<="};

int alert_parse_condition(const char *t, alert *a, quire_error *err)
{
    const char *p = t;
    char *end;
    double v;
    int op;

    while (*p == ' ')
        p++;
    if (strncmp(p, "value", 5) == 0) {
        a->measure = ALERT_VALUE;
        p += 5;
    } else if (strncmp(p, "change", 6) == 0) {
        a->measure = ALERT_CHANGE;
        p += 6;
    } else {
        goto bad;
    }
    while (*p == ' ')
        p++;
    if (p[0] == '>' && p[1] == '=')
        op = ALERT_GE;
    else if (p[0] == '<' && p[1] == '=')
        op = ALERT_LE;
    else if (p[0] == '>')
        op = ALERT_GT;
    else if (p[0] == '<')
        op = ALERT_LT;
    else
        goto bad;
    p += op == ALERT_GE || op == ALERT_LE ? 2 : 1;
    while (*p == ' ')
        p++;
    if (!*p || !(*p == '-' || *p == '+' || *p == '.' || (*p >= '0' && *p <= '9')))
        goto bad;
    errno = 0;
    v = strtod(p, &end);
    if (end == p || errno || !isfinite(v))
        goto bad;
    p = end;
    while (*p == ' ')
        p++;
    if (*p == '%') {
        v /= 100;
        p++;
    }
    while (*p == ' ')
        p++;
    if (*p)
        goto bad;
    a->op = (alert_op)op;
    a->threshold = v;
    return 0;
bad:
    {
        char *shown = quoted_for_message(t);
        quire_err(err, QUIRE_EXIT_USAGE,
                  "the condition %s is not \"value OP NUMBER\" or \"change OP NUMBER%%\" (OP one "
                  "of > >= < <=; such as \"value > 0.05\", \"value > 5%%\", \"change > 10%%\")",
                  shown);
        free(shown);
    }
    return -1;
}

/* A number as the user wrote it: at most 6 significant digits, no
 * trailing zeros. */
static void num(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.6g", v);
}

void alert_condition_text(const alert *a, char *buf, size_t n)
{
    char v[40];
    if (a->measure == ALERT_CHANGE) {
        num(v, sizeof v, a->threshold * 100);
        snprintf(buf, n, "change %s %s%%", op_text[a->op], v);
    } else {
        num(v, sizeof v, a->threshold);
        snprintf(buf, n, "value %s %s", op_text[a->op], v);
    }
}

/* ------------------------------------------------------------ alerts */

static int targets_of(state *st, alert *a, quire_error *err)
{
    sqlite3_stmt *q = prep(st, "SELECT channel, address, token_env FROM alert_targets "
                               "WHERE alert_id = ? ORDER BY rowid",
                           err);
    int rc;

    a->ntargets = 0;
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, a->id);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW && a->ntargets < ALERT_TARGETS_MAX) {
        alert_target *t = &a->targets[a->ntargets++];
        text(q, 0, t->channel, sizeof t->channel);
        text(q, 1, t->address, sizeof t->address);
        text(q, 2, t->token_env, sizeof t->token_env);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE && rc != SQLITE_ROW)
        return db_fail(st, err, "cannot read the alerts' targets");
    return 0;
}

#define ALERT_COLS "id, report, name, kpi, segment, measure, op, threshold, created"

static void alert_row(sqlite3_stmt *q, void *out)
{
    alert *a = out;
    char m[16], op[4];
    int k;

    memset(a, 0, sizeof *a);
    a->id = sqlite3_column_int64(q, 0);
    text(q, 1, a->report, sizeof a->report);
    text(q, 2, a->name, sizeof a->name);
    text(q, 3, a->kpi, sizeof a->kpi);
    text(q, 4, a->segment, sizeof a->segment);
    text(q, 5, m, sizeof m);
    a->measure = strcmp(m, "change") == 0 ? ALERT_CHANGE : ALERT_VALUE;
    text(q, 6, op, sizeof op);
    for (k = 0; k < 4; k++)
        if (strcmp(op, op_text[k]) == 0)
            a->op = (alert_op)k;
    a->threshold = sqlite3_column_double(q, 7);
    a->created = sqlite3_column_int64(q, 8);
}

int alert_add(state *st, const alert *a, int64_t now, int64_t *id, quire_error *err)
{
    sqlite3_stmt *q = NULL;
    const char *why;
    int64_t newid;
    size_t i;
    int rc;

    if (check_report(st, a->report, err))
        return -1;
    if (!a->name[0] || header_text_problem(a->name))
        return quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0,
                            "an alert's name is one line of text, not empty");
    if (!a->kpi[0] || header_text_problem(a->kpi) || header_text_problem(a->segment))
        return quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0,
                            "an alert names a KPI (and a segment) in one line each");
    if ((unsigned)a->op > ALERT_LE || (unsigned)a->measure > ALERT_CHANGE ||
        !isfinite(a->threshold))
        return quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0,
                            "an alert's condition is a measure, an operator and a number");
    if (a->ntargets < 1 || a->ntargets > ALERT_TARGETS_MAX)
        return quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0,
                            "an alert is sent to 1 to %d targets (email addresses, webhooks), "
                            "not %zu",
                            ALERT_TARGETS_MAX, a->ntargets);
    for (i = 0; i < a->ntargets; i++)
        if ((why = target_problem(a->targets[i].channel, a->targets[i].address,
                                  a->targets[i].token_env)) != NULL)
            return bad_target(st, a->targets[i].channel, a->targets[i].address, why, err);
    if (exec(st, "BEGIN IMMEDIATE", err))
        return -1;
    q = prep(st, "SELECT id FROM alerts WHERE report = ? AND name = ?", err);
    if (!q)
        goto fail;
    sqlite3_bind_text(q, 1, a->report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, a->name, -1, SQLITE_TRANSIENT);
    if (sqlite3_step(q) == SQLITE_ROW) {
        quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0,
                     "%s already has an alert named \"%s\" (alert %lld)", a->report, a->name,
                     (long long)sqlite3_column_int64(q, 0));
        goto fail;
    }
    sqlite3_finalize(q);
    q = prep(st, "INSERT INTO alerts (report, name, kpi, segment, measure, op, threshold, created) "
                 "VALUES (?, ?, ?, ?, ?, ?, ?, ?)",
             err);
    if (!q)
        goto fail;
    sqlite3_bind_text(q, 1, a->report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, a->name, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, a->kpi, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 4, a->segment, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 5, a->measure == ALERT_CHANGE ? "change" : "value", -1, SQLITE_STATIC);
    sqlite3_bind_text(q, 6, op_text[a->op], -1, SQLITE_STATIC);
    sqlite3_bind_double(q, 7, a->threshold);
    sqlite3_bind_int64(q, 8, now);
    if (sqlite3_step(q) != SQLITE_DONE) {
        db_fail(st, err, "cannot add the alert");
        goto fail;
    }
    sqlite3_finalize(q);
    newid = sqlite3_last_insert_rowid(state_db(st));
    q = prep(st, "INSERT OR IGNORE INTO alert_targets (alert_id, channel, address, token_env) "
                 "VALUES (?, ?, ?, ?)",
             err);
    if (!q)
        goto fail;
    for (i = 0; i < a->ntargets; i++) {
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, newid);
        sqlite3_bind_text(q, 2, a->targets[i].channel, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 3, a->targets[i].address, -1, SQLITE_TRANSIENT);
        if (a->targets[i].token_env[0])
            sqlite3_bind_text(q, 4, a->targets[i].token_env, -1, SQLITE_TRANSIENT);
        else
            sqlite3_bind_null(q, 4);
        if (sqlite3_step(q) != SQLITE_DONE) {
            db_fail(st, err, "cannot add the alert's targets");
            goto fail;
        }
    }
    sqlite3_finalize(q);
    q = NULL;
    if (exec(st, "COMMIT", err))
        goto fail;
    if (id)
        *id = newid;
    return 0;
fail:
    sqlite3_finalize(q);
    rc = -1;
    sqlite3_exec(state_db(st), "ROLLBACK", NULL, NULL, NULL);
    return rc;
}

int alert_list(state *st, const char *report, alert **out, size_t *n, quire_error *err)
{
    void *rows;
    size_t i;

    if (list_rows(st, "SELECT " ALERT_COLS " FROM alerts "
                      "WHERE ?1 IS NULL OR report = ?1 ORDER BY id",
                  report, sizeof **out, alert_row, &rows, n, "cannot read the alerts", err)) {
        *out = NULL;
        return -1;
    }
    *out = rows;
    for (i = 0; i < *n; i++)
        if (targets_of(st, &(*out)[i], err)) {
            free(*out);
            *out = NULL;
            *n = 0;
            return -1;
        }
    return 0;
}

/* The row of id that sql (its one parameter the id) selects, read into out
 * by row(); *found whether there is one. 0, or -1 when it cannot be read
 * (what says what). */
static int get_by_id(state *st, const char *sql, int64_t id, void (*row)(sqlite3_stmt *, void *),
                     void *out, int *found, const char *what, quire_error *err)
{
    sqlite3_stmt *q = prep(st, sql, err);
    int rc;

    *found = 0;
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, id);
    rc = sqlite3_step(q);
    if (rc == SQLITE_ROW) {
        row(q, out);
        *found = 1;
    }
    sqlite3_finalize(q);
    return rc == SQLITE_ROW || rc == SQLITE_DONE ? 0 : db_fail(st, err, what);
}

int alert_get(state *st, int64_t id, alert *out, int *found, quire_error *err)
{
    if (get_by_id(st, "SELECT " ALERT_COLS " FROM alerts WHERE id = ?", id, alert_row, out, found,
                  "cannot read the alerts", err))
        return -1;
    return *found ? targets_of(st, out, err) : 0;
}

int alert_remove(state *st, int64_t id, quire_error *err)
{
    sqlite3_stmt *q;
    int changed = 0;

    if (exec(st, "BEGIN IMMEDIATE", err))
        return -1;
    q = prep(st, "DELETE FROM alerts WHERE id = ?", err);
    if (q) {
        sqlite3_bind_int64(q, 1, id);
        if (sqlite3_step(q) == SQLITE_DONE) {
            changed = sqlite3_changes(state_db(st));
            sqlite3_finalize(q);
            q = prep(st, "DELETE FROM alert_targets WHERE alert_id = ?", err);
            if (q) {
                sqlite3_bind_int64(q, 1, id);
                if (sqlite3_step(q) == SQLITE_DONE) {
                    sqlite3_finalize(q);
                    if (!changed) {
                        sqlite3_exec(state_db(st), "ROLLBACK", NULL, NULL, NULL);
                        return quire_err_at(err, QUIRE_EXIT_USAGE, state_path(st), 0, 0,
                                            "there is no alert %lld", (long long)id);
                    }
                    return exec(st, "COMMIT", err);
                }
            }
        }
        if (q)
            db_fail(st, err, "cannot remove the alert");
        sqlite3_finalize(q);
    }
    sqlite3_exec(state_db(st), "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

#define EVENT_COLS "id, alert_id, run_id, period, month, value, previous, created"

static void event_row(sqlite3_stmt *q, void *out)
{
    alert_event *e = out;

    memset(e, 0, sizeof *e);
    e->id = sqlite3_column_int64(q, 0);
    e->alert_id = sqlite3_column_int64(q, 1);
    e->run_id = sqlite3_column_int64(q, 2);
    text(q, 3, e->period, sizeof e->period);
    text(q, 4, e->month, sizeof e->month);
    e->value = real_or_nan(q, 5);
    e->previous = real_or_nan(q, 6);
    e->created = sqlite3_column_int64(q, 7);
}

int alert_events(state *st, int64_t alert_id, alert_event **out, size_t *n, quire_error *err)
{
    sqlite3_stmt *q = prep(st, "SELECT " EVENT_COLS " FROM alert_events "
                               "WHERE ?1 = 0 OR alert_id = ?1 ORDER BY id DESC",
                           err);
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, alert_id);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        if (*n == cap)
            *out = xrealloc(*out, (cap = cap ? 2 * cap : 8) * sizeof **out);
        event_row(q, &(*out)[(*n)++]);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE) {
        free(*out);
        *out = NULL;
        *n = 0;
        return db_fail(st, err, "cannot read the alerts' events");
    }
    return 0;
}

int alert_event_get(state *st, int64_t id, alert_event *out, int *found, quire_error *err)
{
    return get_by_id(st, "SELECT " EVENT_COLS " FROM alert_events WHERE id = ?", id, event_row,
                     out, found, "cannot read the alerts' events", err);
}

/* ------------------------------------------------------------ a run's values */

/* name without tabs or line breaks (a line of the values file) */
static void one_field(char *out, size_t n, const char *name)
{
    size_t i;
    snprintf(out, n, "%s", name ? name : "");
    for (i = 0; out[i]; i++)
        if (out[i] == '\t' || out[i] == '\n' || out[i] == '\r')
            out[i] = ' ';
}

void kpi_values_of(const model *m, kpi_value **out, size_t *n)
{
    const grouping *gr = &m->groups[0];
    size_t k, o = 0;
    int rp, g;

    *n = (size_t)m->nreport * (size_t)(gr->nseg + 1) * m->nkpis;
    *out = xcalloc(*n ? *n : 1, sizeof **out);
    for (rp = 0; rp < m->nreport; rp++)
        for (g = 0; g <= gr->nseg; g++)
            for (k = 0; k < m->nkpis; k++) {
                kpi_value *v = &(*out)[o++];
                format_month(v->month, sizeof v->month, m->s->month_from + rp);
                one_field(v->segment, sizeof v->segment, g < gr->nseg ? gr->names[g] : "");
                one_field(v->kpi, sizeof v->kpi, m->kpis[k].spec->name);
                v->value = model_kpi(m, gr, k, rp, g);
            }
}

int kpi_values_write(const char *path, const kpi_value *v, size_t n, quire_error *err)
{
    strbuf b = {0};
    atomic_file af;
    char numb[40];
    size_t i;
    int rc;

    sb_puts(&b, "# quire kpi values 1: month, segment (empty: all customers), kpi, value\n");
    for (i = 0; i < n; i++) {
        numb[0] = '\0';
        if (!isnan(v[i].value))
            format_plain_number(numb, sizeof numb, v[i].value);
        sb_printf(&b, "%s\t%s\t%s\t%s\n", v[i].month, v[i].segment, v[i].kpi, numb);
    }
    rc = atomic_open(&af, path, NULL, 0644, 0, err) || atomic_put(&af, b.s, b.len, err) ||
                 atomic_commit(&af, err)
             ? -1
             : 0;
    sb_free(&b);
    return rc;
}

int kpi_values_read(const char *path, kpi_value **out, size_t *n, quire_error *err)
{
    FILE *f = fopen(path, "r");
    char line[1024];
    size_t cap = 0;

    *out = NULL;
    *n = 0;
    if (!f)
        return quire_err_at(err, QUIRE_EXIT_DATA, path, 0, 0, "cannot read the run's values: %s",
                            strerror(errno));
    while (fgets(line, sizeof line, f)) {
        char *t1, *t2, *t3, *end;
        kpi_value *v;

        if (line[0] == '#')
            continue;
        line[strcspn(line, "\n")] = '\0';
        t1 = strchr(line, '\t');
        t2 = t1 ? strchr(t1 + 1, '\t') : NULL;
        t3 = t2 ? strchr(t2 + 1, '\t') : NULL;
        if (!t3)
            continue;
        *t1 = *t2 = *t3 = '\0';
        if (*n == cap)
            *out = xrealloc(*out, (cap = cap ? 2 * cap : 64) * sizeof **out);
        v = &(*out)[(*n)++];
        snprintf(v->month, sizeof v->month, "%.7s", line);
        snprintf(v->segment, sizeof v->segment, "%.127s", t1 + 1);
        snprintf(v->kpi, sizeof v->kpi, "%.63s", t2 + 1);
        v->value = t3[1] ? strtod(t3 + 1, &end) : NAN;
        if (t3[1] && *end)
            v->value = NAN;
    }
    fclose(f);
    return 0;
}

/* ------------------------------------------------------------ evaluation */

static double find_value(const kpi_value *v, size_t n, const char *month, const char *segment,
                         const char *kpi)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(v[i].month, month) == 0 && strcmp(v[i].kpi, kpi) == 0 &&
            strcmp(v[i].segment, segment) == 0)
            return v[i].value;
    return NAN;
}

static int holds(alert_op op, double x, double t)
{
    switch (op) {
    case ALERT_GT: return x > t;
    case ALERT_GE: return x >= t;
    case ALERT_LT: return x < t;
    default: return x <= t;
    }
}

alert_state alert_check(const alert *a, const kpi_value *v, size_t n, const char *month,
                        alert_check_result *r)
{
    r->value = find_value(v, n, month, a->segment, a->kpi);
    r->previous = NAN;
    r->measured = NAN;
    if (isnan(r->value))
        return r->state = ALERT_NO_VALUE;
    if (a->measure == ALERT_CHANGE) {
        int m = parse_month(month);
        char before[16];
        if (m <= 0)
            return r->state = ALERT_NO_PREVIOUS;
        format_month(before, sizeof before, m - 1);
        r->previous = find_value(v, n, before, a->segment, a->kpi);
        if (isnan(r->previous) || r->previous == 0)
            return r->state = ALERT_NO_PREVIOUS;
        r->measured = (r->value - r->previous) / fabs(r->previous);
    } else {
        r->measured = r->value;
    }
    return r->state = holds(a->op, r->measured, a->threshold) ? ALERT_BREACH : ALERT_CLEAR;
}

char *alert_recipient(int64_t event, const char *channel, const char *address)
{
    return xasprintf("%lld %s %s", (long long)event, channel, address);
}

int alert_recipient_parse(const char *t, int64_t *event, char *channel, size_t nc,
                          const char **address)
{
    long long e;
    int off = 0;
    const char *sp;

    if (sscanf(t, "%lld %n", &e, &off) != 1 || off == 0)
        return -1;
    sp = strchr(t + off, ' ');
    if (!sp || (size_t)(sp - (t + off)) >= nc)
        return -1;
    snprintf(channel, nc, "%.*s", (int)(sp - (t + off)), t + off);
    *event = e;
    *address = sp + 1;
    return 0;
}

int alert_fire(state *st, const alert *a, int64_t run_id, const char *label, const char *month,
               const alert_check_result *r, int64_t now, int *fired, quire_error *err)
{
    sqlite3_stmt *q = NULL;
    int64_t event;
    size_t i;

    *fired = 0;
    if (exec(st, "BEGIN IMMEDIATE", err))
        return -1;
    q = prep(st, "INSERT OR IGNORE INTO alert_events (alert_id, period, month, run_id, value, "
                 "previous, created) VALUES (?, ?, ?, ?, ?, ?, ?)",
             err);
    if (!q)
        goto fail;
    sqlite3_bind_int64(q, 1, a->id);
    sqlite3_bind_text(q, 2, label, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, month, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 4, run_id);
    bind_real(q, 5, r->value);
    bind_real(q, 6, r->previous);
    sqlite3_bind_int64(q, 7, now);
    if (sqlite3_step(q) != SQLITE_DONE) {
        db_fail(st, err, "cannot record the alert");
        goto fail;
    }
    sqlite3_finalize(q);
    q = NULL;
    if (sqlite3_changes(state_db(st)) == 0) /* this breach was recorded before */
        return exec(st, "COMMIT", err);
    event = sqlite3_last_insert_rowid(state_db(st));
    q = prep(st, "INSERT OR IGNORE INTO deliveries (run_id, channel, recipient) VALUES (?, ?, ?)",
             err);
    if (!q)
        goto fail;
    for (i = 0; i < a->ntargets; i++) {
        char *rcpt = alert_recipient(event, a->targets[i].channel, a->targets[i].address);
        int rc;
        sqlite3_reset(q);
        sqlite3_bind_int64(q, 1, run_id);
        sqlite3_bind_text(q, 2, ALERT_CHANNEL, -1, SQLITE_STATIC);
        sqlite3_bind_text(q, 3, rcpt, -1, SQLITE_TRANSIENT);
        rc = sqlite3_step(q);
        free(rcpt);
        if (rc != SQLITE_DONE) {
            db_fail(st, err, "cannot record the alert's deliveries");
            goto fail;
        }
    }
    sqlite3_finalize(q);
    q = NULL;
    if (exec(st, "COMMIT", err))
        goto fail;
    *fired = 1;
    return 0;
fail:
    sqlite3_finalize(q);
    sqlite3_exec(state_db(st), "ROLLBACK", NULL, NULL, NULL);
    return -1;
}

/* ------------------------------------------------------------ messages */

/* s percent-encoded for a URL's path or query: unreserved bytes kept. */
static void url_escape(strbuf *b, const char *s)
{
    for (; *s; s++) {
        unsigned char c = (unsigned char)*s;
        if ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
            c == '-' || c == '.' || c == '_' || c == '~')
            sb_add(b, s, 1);
        else
            sb_printf(b, "%%%02X", c);
    }
}

char *alert_link(const char *base_url, const char *report, const char *label)
{
    strbuf b = {0};
    size_t n;

    if (!base_url || !*base_url)
        return NULL;
    n = strlen(base_url);
    while (n > 0 && base_url[n - 1] == '/')
        n--;
    sb_add(&b, base_url, n);
    sb_puts(&b, "/reports/");
    url_escape(&b, report);
    sb_puts(&b, "?period=");
    url_escape(&b, label);
    return b.s;
}

static const char *segment_words(const alert *a)
{
    return a->segment[0] ? a->segment : "all customers";
}

/* "above", "at or above"... for the messages */
static const char *op_words(alert_op op)
{
    static const char *const w[] = {"above", "at or above", "below", "at or below"};
    return w[op];
}

char *alert_subject(const alert *a, const alert_event *e)
{
    char *s = xasprintf("Quire alert: %s (%s, %s)", a->name, a->report, e->period), *p;
    for (p = s; *p; p++)
        if ((unsigned char)*p < 0x20 || *p == 0x7f)
            *p = ' ';
    return s;
}

void alert_text(const alert *a, const alert_event *e, const char *link, strbuf *out)
{
    char v[40], p[40], t[40];

    num(v, sizeof v, e->value);
    sb_printf(out, "Alert \"%s\" on %s, period %s.\n\n", a->name, a->report, e->period);
    if (a->measure == ALERT_CHANGE) {
        double ch = (e->value - e->previous) / fabs(e->previous);
        char c[40];
        num(p, sizeof p, e->previous);
        snprintf(c, sizeof c, "%+.1f", ch * 100);
        num(t, sizeof t, a->threshold * 100);
        sb_printf(out, "%s of %s changed by %s%% month on month (%s in %s, from %s the month "
                       "before): %s the threshold of %s%%.\n",
                  a->kpi, segment_words(a), c, v, e->month, p, op_words(a->op), t);
    } else {
        num(t, sizeof t, a->threshold);
        sb_printf(out, "%s of %s is %s in %s: %s the threshold of %s.\n", a->kpi,
                  segment_words(a), v, e->month, op_words(a->op), t);
    }
    sb_printf(out, "\nReport: %s\nSegment: %s\nPeriod: %s\nValue: %s\n", a->report,
              segment_words(a), e->period, v);
    if (a->measure == ALERT_CHANGE)
        sb_printf(out, "Previous month: %s\nChange: %+.1f%%\n", p,
                  (e->value - e->previous) / fabs(e->previous) * 100);
    if (a->measure == ALERT_CHANGE)
        sb_printf(out, "Threshold: change %s %s%%\n", op_text[a->op], t);
    else
        sb_printf(out, "Threshold: value %s %s\n", op_text[a->op], t);
    if (link)
        sb_printf(out, "Report page: %s\n", link);
    sb_puts(out, "\nSent once for this alert and period by the Quire scheduler.\n");
}

static void json_num(strbuf *b, double v)
{
    char buf[40];
    if (isnan(v) || isinf(v)) {
        sb_puts(b, "null");
        return;
    }
    format_plain_number(buf, sizeof buf, v);
    sb_puts(b, buf);
}

void alert_json(const alert *a, const alert_event *e, const char *link, strbuf *out)
{
    sb_printf(out, "{\"alert\": %lld, \"name\": ", (long long)a->id);
    sb_json_cstr(out, a->name);
    sb_puts(out, ", \"report\": ");
    sb_json_cstr(out, a->report);
    sb_puts(out, ", \"period\": ");
    sb_json_cstr(out, e->period);
    sb_puts(out, ", \"month\": ");
    sb_json_cstr(out, e->month);
    sb_puts(out, ", \"kpi\": ");
    sb_json_cstr(out, a->kpi);
    sb_puts(out, ", \"segment\": ");
    if (a->segment[0])
        sb_json_cstr(out, a->segment);
    else
        sb_puts(out, "null");
    sb_printf(out, ", \"measure\": \"%s\", \"op\": \"%s\", \"threshold\": ",
              a->measure == ALERT_CHANGE ? "change" : "value", op_text[a->op]);
    json_num(out, a->threshold);
    sb_puts(out, ", \"value\": ");
    json_num(out, e->value);
    sb_puts(out, ", \"previous\": ");
    json_num(out, e->previous);
    if (a->measure == ALERT_CHANGE) {
        sb_puts(out, ", \"change\": ");
        json_num(out, (e->value - e->previous) / fabs(e->previous));
    }
    sb_printf(out, ", \"event\": %lld, \"run\": %lld, \"link\": ", (long long)e->id,
              (long long)e->run_id);
    if (link)
        sb_json_cstr(out, link);
    else
        sb_puts(out, "null");
    sb_puts(out, "}\n");
}
