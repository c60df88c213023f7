/*
 * postgres.c - a PostgreSQL table or query as a source (libpq).
 *
 * The connection comes from a libpq connection string or URI (`conninfo`) or,
 * without one, from the standard PG* environment variables. The password
 * never comes from the spec: from an environment variable (password_env,
 * or libpq's PGPASSWORD), a file (password_file, or libpq's ~/.pgpass); a
 * conninfo that holds one is refused. Every value a spec gives a query (its
 * param1..param9, the period range, a count's condition) is bound as a
 * parameter of the statement ($n), never written into the SQL text.
 *
 * scan() selects the projected columns and reads the rows in single-row mode,
 * so memory holds one batch whatever the table's size. aggregate() runs the
 * fact query as one GROUP BY in the database and reads one row per key and
 * month. Before either, the relation's columns are described (a LIMIT 0 of
 * it), so a missing column or a type the spec does not expect is said plainly.
 *
 * The connection is made on the first scan (`quire validate` opens sources
 * without reading them) and kept until close().
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <libpq-fe.h>

#include "quire/plugin.h"

#include "../common/db_source.h"
#include "pg_sql.h"

#ifndef QUIRE_VERSION
#define QUIRE_VERSION "0.1.0"
#endif

#define NPARAMS 9

/* ---------------------------------------------------------------- options */

enum {
    OPT_CONNINFO = 0,
    OPT_PASSWORD_ENV,
    OPT_PASSWORD_FILE,
    OPT_TABLE,
    OPT_QUERY,
    OPT_PARAM1,
    OPT_STATEMENT_TIMEOUT = OPT_PARAM1 + NPARAMS,
    OPT_CONNECT_TIMEOUT
};

static const quire_option_def options[] = {
    {.name = "conninfo", .type = QUIRE_OPT_STRING,
     .help = "libpq connection string or URI (host, port, dbname, user; no password); "
             "none: the PG* environment variables"},
    {.name = "password_env", .type = QUIRE_OPT_STRING,
     .help = "environment variable holding the password (else PGPASSWORD or ~/.pgpass)"},
    {.name = "password_file", .type = QUIRE_OPT_PATH, .help = "file holding the password"},
    {.name = "table", .type = QUIRE_OPT_STRING,
     .help = "table (or view) to read, as name or schema.name; or give query"},
    {.name = "query", .type = QUIRE_OPT_STRING, .flags = QUIRE_OPTF_CODE,
     .help = "SQL query to read (a SELECT), with $1..$9 bound to param1..param9"},
    {.name = "param1", .type = QUIRE_OPT_STRING, .help = "value bound to $1 of query"},
    {.name = "param2", .type = QUIRE_OPT_STRING, .help = "value bound to $2 of query"},
    {.name = "param3", .type = QUIRE_OPT_STRING, .help = "value bound to $3 of query"},
    {.name = "param4", .type = QUIRE_OPT_STRING, .help = "value bound to $4 of query"},
    {.name = "param5", .type = QUIRE_OPT_STRING, .help = "value bound to $5 of query"},
    {.name = "param6", .type = QUIRE_OPT_STRING, .help = "value bound to $6 of query"},
    {.name = "param7", .type = QUIRE_OPT_STRING, .help = "value bound to $7 of query"},
    {.name = "param8", .type = QUIRE_OPT_STRING, .help = "value bound to $8 of query"},
    {.name = "param9", .type = QUIRE_OPT_STRING, .help = "value bound to $9 of query"},
    {.name = "statement_timeout", .type = QUIRE_OPT_INTEGER, .default_value = "300",
     .help = "seconds a statement may run before the server cancels it (0: no limit)"},
    {.name = "connect_timeout", .type = QUIRE_OPT_INTEGER, .default_value = "10",
     .help = "seconds to wait for the connection"},
    {.name = NULL},
};

/* ---------------------------------------------------------------- state */

typedef struct pg {
    db_source db;            /* the host, names, password, declared columns */
    char *conninfo;          /* NULL: the PG* variables */
    char *table, *query;
    char *relation;          /* the table quoted, or (query) */
    char *params[NPARAMS];   /* param1..paramN of the query */
    int nparams;             /* the query's highest $n */
    long statement_timeout, connect_timeout;
    PGconn *conn;
} pg;

/* ---------------------------------------------------------------- open */

/* The highest $n of a query, outside quoted text; -1 past $9. */
static int max_placeholder(const char *q)
{
    int hi = 0;
    char quote = 0;

    for (; *q; q++) {
        if (quote) {
            if (*q == quote)
                quote = 0;
            continue;
        }
        if (*q == '\'' || *q == '"') {
            quote = *q;
        } else if (*q == '-' && q[1] == '-') {
            while (q[1] && q[1] != '\n')
                q++;
        } else if (*q == '$' && q[1] >= '1' && q[1] <= '9') {
            int n = 0;
            while (q[1] >= '0' && q[1] <= '9' && n <= NPARAMS)
                n = n * 10 + (*++q - '0');
            if (n > NPARAMS)
                return -1;
            if (n > hi)
                hi = n;
        }
    }
    return hi;
}

/* A conninfo must not carry a password: key=value ("password=") or a URI's
 * user:password@. Checked before libpq parses it, so that no message of
 * libpq's can echo it. */
static int holds_password(const char *ci)
{
    const char *p;

    if (strncmp(ci, "postgresql://", 13) == 0 || strncmp(ci, "postgres://", 11) == 0) {
        const char *s = strstr(ci, "//") + 2, *at = strchr(s, '@'), *slash = strchr(s, '/');
        if (at && (!slash || at < slash)) {
            const char *colon = memchr(s, ':', (size_t)(at - s));
            if (colon)
                return 1;
        }
        return strstr(ci, "password=") != NULL;
    }
    for (p = ci; (p = strstr(p, "password")) != NULL; p += 8) {
        const char *q = p + 8;
        if (p > ci && !(p[-1] == ' ' || p[-1] == '\t'))
            continue;
        while (*q == ' ')
            q++;
        if (*q == '=')
            return 1;
    }
    return 0;
}

static void pg_close(void *state);

/* The value of keyword kw among libpq's options o, or NULL. */
static const char *conn_value(const PQconninfoOption *o, const char *kw)
{
    for (; o && o->keyword; o++)
        if (strcmp(o->keyword, kw) == 0 && o->val && *o->val)
            return o->val;
    return NULL;
}

/* Tell the host what the source reads, for the run manifest:
 * postgresql://HOST:PORT/DB#TABLE (or #query), from the conninfo, else the
 * PG* variables. It never holds a password: a conninfo with one is refused. */
static void say_origin(pg *st, const char *ci, const char *table)
{
    PQconninfoOption *given = ci ? PQconninfoParse(ci, NULL) : NULL, *dflt = PQconndefaults();
    const char *host, *port, *db;
    char url[1024];

    if (!QUIRE_HOST_HAS(st->db.host, origin) || !st->db.host->origin)
        goto out;
    if (!(host = conn_value(given, "host")) && !(host = conn_value(dflt, "host")))
        host = "localhost";
    if (!(port = conn_value(given, "port")))
        port = conn_value(dflt, "port");
    if (!(db = conn_value(given, "dbname")))
        db = conn_value(dflt, "dbname");
    snprintf(url, sizeof url, "postgresql://%s%s%s/%s#%s", host, port ? ":" : "", port ? port : "",
             db ? db : "", table ? table : "query");
    st->db.host->origin(st->db.hctx, url);
out:
    PQconninfoFree(given);
    PQconninfoFree(dflt);
}

static int pg_open(const quire_host *host, void *hctx, const quire_source_config *cfg,
                   void **state)
{
    pg *st = host->alloc(sizeof *st);
    const char *ci, *table, *query;
    sql_buf rel = {0};
    int i, hi;

    *state = NULL;
    if (!st) {
        host->error(hctx, "source \"%s\": out of memory", cfg->source_name);
        return 1;
    }
    memset(st, 0, sizeof *st);
    if (db_open(&st->db, host, hctx, cfg, options, "postgres"))
        goto fail;
    ci = db_opt(&st->db, cfg, OPT_CONNINFO);
    table = db_opt(&st->db, cfg, OPT_TABLE);
    query = db_opt(&st->db, cfg, OPT_QUERY);
    if (ci && holds_password(ci)) {
        db_error(&st->db, QUIRE_ERROR_CONFIG, "conninfo",
                 "conninfo holds a password; give it in password_env or password_file "
                 "(or PGPASSWORD, ~/.pgpass), never in the spec");
        goto fail;
    }
    if (ci) {
        char *why = NULL;
        PQconninfoOption *o = PQconninfoParse(ci, &why);
        if (!o) {
            db_error(&st->db, QUIRE_ERROR_CONFIG, "conninfo", "conninfo: %s",
                     why ? why : "cannot be read");
            PQfreemem(why);
            goto fail;
        }
        PQconninfoFree(o);
        if (!(st->conninfo = db_dup(&st->db, ci)))
            goto oom;
    }
    if (db_table_or_query(&st->db, table, query))
        goto fail;
    hi = query ? max_placeholder(query) : 0;
    if (hi < 0) {
        db_error(&st->db, QUIRE_ERROR_CONFIG, "query", "query uses a parameter past $%d", NPARAMS);
        goto fail;
    }
    for (i = 0; i < NPARAMS; i++) {
        const char *v = cfg->option_values ? cfg->option_values[OPT_PARAM1 + i] : NULL;
        if (v && i + 1 > hi) {
            db_error(&st->db, QUIRE_ERROR_CONFIG, options[OPT_PARAM1 + i].name,
                     "param%d is given but the %s has no $%d", i + 1,
                     query ? "query" : "table source", i + 1);
            goto fail;
        }
        if (!v && i + 1 <= hi) {
            db_error(&st->db, QUIRE_ERROR_CONFIG, "query",
                     "the query uses $%d: give param%d", i + 1, i + 1);
            goto fail;
        }
        if (v && !(st->params[i] = db_dup(&st->db, v)))
            goto oom;
    }
    st->nparams = hi;
    if (db_seconds(&st->db, cfg, OPT_STATEMENT_TIMEOUT, &st->statement_timeout) ||
        db_seconds(&st->db, cfg, OPT_CONNECT_TIMEOUT, &st->connect_timeout) ||
        db_password(&st->db, cfg, OPT_PASSWORD_ENV, OPT_PASSWORD_FILE, NULL))
        goto fail;
    if ((table && !(st->table = db_dup(&st->db, table))) ||
        (query && !(st->query = db_dup(&st->db, query))))
        goto oom;
    sql_relation(&rel, st->table, st->query, '"');
    if (rel.oom || !(st->relation = db_dup(&st->db, rel.s)))
        goto oom;
    sql_buf_free(&rel);
    say_origin(st, st->conninfo, st->table);
    *state = st;
    return 0;
oom:
    db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
fail:
    sql_buf_free(&rel);
    pg_close(st);
    return 1;
}

/* ---------------------------------------------------------------- connection */

/* What kind of failure an SQLSTATE is. */
static uint32_t kind_of(const char *state)
{
    if (!state)
        return QUIRE_ERROR_IO;
    if (strcmp(state, "57014") == 0 || strncmp(state, "08", 2) == 0 ||
        strncmp(state, "53", 2) == 0 || strncmp(state, "57P", 3) == 0 ||
        strncmp(state, "40", 2) == 0)
        return QUIRE_ERROR_TRANSIENT;
    if (strncmp(state, "42", 2) == 0)
        return QUIRE_ERROR_CONFIG;
    return QUIRE_ERROR_IO;
}

static void drop_conn(pg *st)
{
    if (st->conn)
        PQfinish(st->conn);
    st->conn = NULL;
}

/* A failed statement's error, said plainly. */
static void query_error(pg *st, const PGresult *r)
{
    const char *state = r ? PQresultErrorField(r, PG_DIAG_SQLSTATE) : NULL;
    const char *primary = r ? PQresultErrorField(r, PG_DIAG_MESSAGE_PRIMARY) : NULL;
    const char *opt_at = st->query ? "query" : "table";
    uint32_t kind = kind_of(state);

    if (!primary)
        primary = st->conn ? PQerrorMessage(st->conn) : "no answer";
    if (state && strcmp(state, "57014") == 0)
        db_error(&st->db, kind, NULL, "the server cancelled the query after statement_timeout "
                 "(%ld s): %s", st->statement_timeout, primary);
    else if (state && strcmp(state, "42P01") == 0)
        db_error(&st->db, kind, opt_at, "%s in database \"%s\"", primary, PQdb(st->conn));
    else if (kind == QUIRE_ERROR_CONFIG)
        db_error(&st->db, kind, opt_at, "the server refused the %s: %s (SQLSTATE %s)",
                 st->query ? "query" : "table", primary, state);
    else if (!r || PQstatus(st->conn) == CONNECTION_BAD)
        db_error(&st->db, QUIRE_ERROR_TRANSIENT, NULL, "the connection to the server was lost: %s",
                 primary);
    else
        db_error(&st->db, kind, NULL, "%s (SQLSTATE %s)", primary, state ? state : "none");
}

static int connect_db(pg *st)
{
    const char *kw[8], *val[8];
    char timeout[32], ms[32];
    const char *const setp[1] = {ms};
    PGresult *r;
    int n = 0;

    if (st->conn)
        return 0;
    snprintf(timeout, sizeof timeout, "%ld", st->connect_timeout);
    if (st->conninfo) {
        kw[n] = "dbname";
        val[n++] = st->conninfo;
    }
    if (st->db.password) {
        kw[n] = "password";
        val[n++] = st->db.password;
    }
    if (st->connect_timeout) {
        kw[n] = "connect_timeout";
        val[n++] = timeout;
    }
    kw[n] = "client_encoding";
    val[n++] = "UTF8";
    kw[n] = "fallback_application_name";
    val[n++] = "quire";
    kw[n] = NULL;
    val[n] = NULL;
    st->conn = PQconnectdbParams(kw, val, 1);
    if (!st->conn) {
        db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
        return -1;
    }
    if (PQstatus(st->conn) != CONNECTION_OK) {
        char msg[1000];
        snprintf(msg, sizeof msg, "%s", PQerrorMessage(st->conn));
        db_clean(&st->db, msg, sizeof msg);
        if (PQconnectionNeedsPassword(st->conn))
            db_error(&st->db, QUIRE_ERROR_IO, NULL,
                     "the server at %s:%s asks for a password and none "
                     "was given (password_env, password_file, PGPASSWORD or ~/.pgpass)",
                     PQhost(st->conn), PQport(st->conn));
        else if (strstr(msg, "authentication failed") || strstr(msg, "no pg_hba.conf entry"))
            db_error(&st->db, QUIRE_ERROR_IO, NULL, "the server refused the credentials: %s", msg);
        else
            db_error(&st->db, QUIRE_ERROR_TRANSIENT, NULL, "cannot connect: %s", msg);
        drop_conn(st);
        return -1;
    }
    /* The session: a statement timeout, ISO dates, floats that read back. */
    snprintf(ms, sizeof ms, "%ld", st->statement_timeout * 1000);
    r = PQexecParams(st->conn,
                     "SELECT set_config('statement_timeout', $1, false), "
                     "set_config('DateStyle', 'ISO, YMD', false), "
                     "set_config('extra_float_digits', '3', false)",
                     1, NULL, setp, NULL, NULL, 0);
    if (PQresultStatus(r) != PGRES_TUPLES_OK) {
        query_error(st, r);
        PQclear(r);
        drop_conn(st);
        return -1;
    }
    PQclear(r);
    return 0;
}

/* ---------------------------------------------------------------- describe */

typedef struct described {
    PGresult *r;  /* LIMIT 0 of the relation: its column names and types */
} described;

/* The relation's columns (a LIMIT 0 of it, with the query's parameters). */
static int describe(pg *st, described *d)
{
    sql_buf b = {0};

    pg_sql_select(&b, st->relation, NULL, 0, 0);
    sql_buf_puts(&b, " LIMIT 0");
    if (b.oom) {
        sql_buf_free(&b);
        db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
        return -1;
    }
    d->r = PQexecParams(st->conn, b.s, st->nparams, NULL, (const char *const *)st->params, NULL,
                        NULL, 0);
    sql_buf_free(&b);
    if (PQresultStatus(d->r) != PGRES_TUPLES_OK) {
        query_error(st, d->r);
        PQclear(d->r);
        d->r = NULL;
        return -1;
    }
    return 0;
}

/* Check that column name exists and reads as type t; its type's OID in *oid. */
static int check_column(pg *st, const described *d, const char *name, quire_type t,
                        unsigned *oid)
{
    int i = PQfnumber(d->r, name), k;
    char tn[64];

    /* PQfnumber folds unquoted names to lower case: quote to match exactly */
    if (i < 0 || strcmp(PQfname(d->r, i), name) != 0) {
        for (i = 0; i < PQnfields(d->r); i++)
            if (strcmp(PQfname(d->r, i), name) == 0)
                break;
    }
    if (i >= PQnfields(d->r) || i < 0) {
        char list[600];
        size_t at = 0;
        list[0] = '\0';
        for (k = 0; k < PQnfields(d->r) && at + 80 < sizeof list; k++)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", k ? ", " : "",
                                   PQfname(d->r, k));
        db_error(&st->db, QUIRE_ERROR_CONFIG, st->query ? "query" : "table",
                 "column \"%s\" is not in %s%s%s; its columns: %s", name,
                 st->query ? "the query" : "table \"", st->query ? "" : st->table,
                 st->query ? "" : "\"", list);
        return -1;
    }
    *oid = (unsigned)PQftype(d->r, i);
    if (!pg_type_fits(*oid, t)) {
        static const char *const tnames[] = {"string", "integer", "number", "date", "boolean"};
        db_error(&st->db, QUIRE_ERROR_DATA, NULL,
                 "column \"%s\" is %s in the database, but the spec declares it %s (which takes "
                 "%s)", name, pg_type_name(*oid, tn, sizeof tn), tnames[t], pg_type_takes(t));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- rows */

/*
 * Send sql with its parameters and stream the answer in single-row mode into
 * batches of the columns cols (types as the host wants them), handed to
 * emit; strings are copied into the batch, as each single-row result is
 * freed at once (a result costs kilobytes). what: "rows" or "rows of aggregates", for the statistics line.
 */
static int run(pg *st, const char *sql, int nparams, const char *const *params,
               const quire_column *cols, uint32_t ncols, uint64_t max, const char *what)
{
    uint32_t c;
    PGresult *r;
    int rc = 0;
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (db_batch_start(&st->db, cols, ncols)) {
        db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
        return -1;
    }
    if (!PQsendQueryParams(st->conn, sql, nparams, NULL, params, NULL, NULL, 0) ||
        !PQsetSingleRowMode(st->conn)) {
        query_error(st, NULL);
        drop_conn(st);
        return -1;
    }
    while ((r = PQgetResult(st->conn)) != NULL) {
        ExecStatusType s = PQresultStatus(r);
        if (s == PGRES_SINGLE_TUPLE) {
            if (max && st->db.rows >= max) {
                PQclear(r);
                continue; /* the limit is in the SQL too: this does not happen */
            }
            for (c = 0; c < ncols; c++) {
                quire_cell *cell = &st->db.colv[c][st->db.k];
                memset(cell, 0, sizeof *cell);
                if (PQgetisnull(r, 0, (int)c)) {
                    cell->null = 1;
                    continue;
                }
                if (pg_parse_cell(cols[c].type, PQgetvalue(r, 0, (int)c),
                                  (size_t)PQgetlength(r, 0, (int)c), cell) ||
                    (cols[c].type == QUIRE_T_STRING &&
                     db_batch_keep(&st->db, cell->v.s.ptr, cell->v.s.len, cell))) {
                    char tn[64];
                    db_error(&st->db, QUIRE_ERROR_DATA, NULL,
                             "record %llu: column \"%s\": \"%.60s\" (%s) is not a %s value Quire "
                             "can read", (unsigned long long)(st->db.rows + 1), cols[c].name,
                             PQgetvalue(r, 0, (int)c),
                             pg_type_name((unsigned)PQftype(r, (int)c), tn, sizeof tn),
                             cols[c].type == QUIRE_T_DATE ? "date (years 0001 to 9999)"
                                                        : "representable");
                    PQclear(r);
                    rc = -1;
                    goto abandon;
                }
            }
            PQclear(r);
            if ((rc = db_batch_row(&st->db)) != 0)
                goto abandon;
        } else if (s == PGRES_TUPLES_OK) {
            PQclear(r);
        } else {
            query_error(st, r);
            PQclear(r);
            rc = -1;
            goto abandon;
        }
    }
    if ((rc = db_batch_emit(&st->db)) != 0)
        return rc;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->db.host->log(st->db.hctx, QUIRE_LOG_INFO, "%llu %s received from the server in %.3f s",
                     (unsigned long long)st->db.rows, what,
                     (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9);
    return 0;
abandon:
    /* the rest of the answer is not wanted: drop the connection (the next
     * scan makes a new one) rather than read it to the end */
    drop_conn(st);
    return rc ? rc : -1;
}

static int pg_scan(void *state, const quire_scan_request *req)
{
    pg *st = state;
    described d = {0};
    const char **names = NULL;
    const char *params[NPARAMS + 1];
    quire_column *cols = NULL;
    char limit[32];
    uint32_t n = 0, i;
    uint64_t max = 0;
    unsigned oid;
    sql_buf sql = {0};
    int rc = -1, np = st->nparams;

    if (QUIRE_HAS_FIELD(req, quire_scan_request, max_records))
        max = req->max_records;
    if (connect_db(st) || describe(st, &d))
        return -1;
    if (req->projection) {
        n = req->nprojection;
        cols = st->db.host->alloc((n ? n : 1) * sizeof *cols);
        names = st->db.host->alloc((n ? n : 1) * sizeof *names);
        if (!cols || !names)
            goto oom;
        for (i = 0; i < n; i++) {
            cols[i] = req->projection[i];
            names[i] = cols[i].name;
            if (check_column(st, &d, cols[i].name, cols[i].type, &oid))
                goto out;
        }
    } else {
        /* every column: the declared ones typed, the others as text */
        n = (uint32_t)PQnfields(d.r);
        cols = st->db.host->alloc((n ? n : 1) * sizeof *cols);
        names = st->db.host->alloc((n ? n : 1) * sizeof *names);
        if (!cols || !names)
            goto oom;
        for (i = 0; i < n; i++) {
            memset(&cols[i], 0, sizeof cols[i]);
            cols[i].name = PQfname(d.r, (int)i);
            cols[i].type = db_declared_type(&st->db, cols[i].name);
            names[i] = cols[i].name;
            if (check_column(st, &d, cols[i].name, cols[i].type, &oid))
                goto out;
        }
    }
    pg_sql_select(&sql, st->relation, names, n, max ? np + 1 : 0);
    if (sql.oom)
        goto oom;
    for (i = 0; i < (uint32_t)np; i++)
        params[i] = st->params[i];
    if (max) {
        snprintf(limit, sizeof limit, "%llu", (unsigned long long)max);
        params[np++] = limit;
    }
    rc = run(st, sql.s, np, params, cols, n, max, "rows");
    goto out;
oom:
    db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
out:
    sql_buf_free(&sql);
    st->db.host->free(cols);
    st->db.host->free(names);
    PQclear(d.r);
    return rc;
}

/* ---------------------------------------------------------------- aggregate */

static int pg_aggregate(void *state, const quire_aggregate_request *req)
{
    pg *st = state;
    described d = {0};
    const char *params[NPARAMS + 2 + 64];
    char range[2][48], values[64][32];
    unsigned oids[64], oid;
    sql_buf sql = {0};
    const char *why = NULL;
    uint32_t i;
    int np = st->nparams, rc = -1;

    if (req->nmeasures > 64 || !req->key || !req->date || req->nresult != req->nmeasures + 2)
        return QUIRE_AGGREGATE_DECLINED;
    if (connect_db(st) || describe(st, &d))
        return -1;
    if (check_column(st, &d, req->key->name, req->key->type, &oid) ||
        check_column(st, &d, req->date->name, QUIRE_T_DATE, &oid))
        goto out;
    for (i = 0; i < req->nmeasures; i++) {
        const quire_agg_measure *m = QUIRE_AT(req->measures, req->measure_size, i);
        oids[i] = 0;
        if (m->column && check_column(st, &d, m->column,
                                      m->op == QUIRE_AGG_COUNT ? QUIRE_T_STRING
                                                               : req->result[2 + i].type,
                                      &oids[i]))
            goto out;
    }
    if (pg_sql_aggregate(&sql, st->relation, req, oids, np + 1, &why)) {
        if (sql.oom) {
            db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
            goto out;
        }
        st->db.host->log(st->db.hctx, QUIRE_LOG_INFO, "the fact query stays in Quire: %s", why);
        rc = QUIRE_AGGREGATE_DECLINED;
        goto out;
    }
    for (i = 0; i < (uint32_t)np; i++)
        params[i] = st->params[i];
    for (i = 0; i < 2; i++) {
        int64_t y;
        int m, dd;
        quire_civil_from_days(i ? req->to_day : req->from_day, &y, &m, &dd);
        snprintf(range[i], sizeof range[i], "%04lld-%02d-%02d", (long long)y, m, dd);
        params[np++] = range[i];
    }
    for (i = 0; i < req->nmeasures; i++) {
        const quire_agg_measure *m = QUIRE_AT(req->measures, req->measure_size, i);
        if (m->op == QUIRE_AGG_COUNT && m->column && m->cmp != QUIRE_CMP_NONE) {
            pg_sql_number(values[i], sizeof values[i], m->value);
            params[np++] = values[i];
        }
    }
    st->db.host->log(st->db.hctx, QUIRE_LOG_DEBUG, "the fact query: %s", sql.s);
    rc = run(st, sql.s, np, params, req->result, req->nresult, 0, "rows of aggregates");
out:
    sql_buf_free(&sql);
    PQclear(d.r);
    return rc;
}

/* ---------------------------------------------------------------- close */

static void pg_close(void *state)
{
    pg *st = state;
    const quire_host *host;
    int i;

    if (!st)
        return;
    host = st->db.host;
    drop_conn(st);
    for (i = 0; i < NPARAMS; i++)
        host->free(st->params[i]);
    host->free(st->conninfo);
    host->free(st->table);
    host->free(st->query);
    host->free(st->relation);
    db_close(&st->db);
    host->free(st);
}

static const quire_plugin postgres_plugin = {
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(quire_plugin),
    .name = "postgres",
    .version = QUIRE_VERSION,
    .summary = "a PostgreSQL table or query (libpq); runs the fact query as a GROUP BY",
    .caps = QUIRE_CAP_STREAM | QUIRE_CAP_PROJECTION | QUIRE_CAP_AGGREGATE,
    .options = options,
    .open = pg_open,
    .scan = pg_scan,
    .close = pg_close,
    .option_size = sizeof(quire_option_def),
    .column_size = sizeof(quire_column),
    .aggregate = pg_aggregate,
};

QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void);
QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void)
{
    return &postgres_plugin;
}
