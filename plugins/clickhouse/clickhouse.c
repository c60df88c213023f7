/*
 * clickhouse.c - a ClickHouse table or query as a source, over the server's
 * HTTP interface (libcurl).
 *
 * Each statement is one POST to the server's URL with the SQL as its body
 * and the session's settings (database, max_execution_time,
 * skip_unavailable_shards=0) as URL parameters. The user and password go
 * in the Authorization header (HTTP basic, as clickhouse-client does over
 * HTTP), never in the URL; the password comes from an environment variable
 * or a file, never from the spec.
 *
 * Answers come as TabSeparated and are parsed in libcurl's write callback as
 * they arrive: whole lines become rows of a batch of DB_BATCH rows, handed to
 * the host when full, so memory holds one batch and one line whatever the
 * table's size. Every row ends with a mark column (CH_MARK): ClickHouse
 * answers 200 OK before it runs a query, and when a query fails after rows
 * went out (a shard of a Distributed table dies mid-read) it writes its
 * error after them; a line whose last field is not the mark is that error,
 * or an answer cut short, never a row.
 *
 * aggregate() runs the fact query as one GROUP BY, which a Distributed
 * table runs on every shard and merges on the server the plugin talks to.
 * Before either, the relation's columns are described (SELECT * ... LIMIT 0
 * FORMAT TabSeparatedWithNamesAndTypes), so a missing column or a type the
 * spec does not expect is said plainly.
 */
#include <curl/curl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "quire/plugin.h"

#include "../common/db_source.h"
#include "../common/http.h"
#include "ch_sql.h"

#ifndef QUIRE_VERSION
#define QUIRE_VERSION "0.1.0"
#endif

#define NPARAMS 9
#define MAX_LINE ((size_t)64 << 20) /* a longer row is refused */
#define MAX_BODY 65536              /* bytes of an error or a description kept */

/* ---------------------------------------------------------------- options */

enum {
    OPT_URL = 0,
    OPT_DATABASE,
    OPT_USER,
    OPT_PASSWORD_ENV,
    OPT_PASSWORD_FILE,
    OPT_TABLE,
    OPT_QUERY,
    OPT_PARAM1,
    OPT_TIMEOUT = OPT_PARAM1 + NPARAMS,
    OPT_CONNECT_TIMEOUT,
    OPT_CA_FILE,
    OPT_INSECURE
};

static const quire_option_def options[] = {
    {.name = "url", .type = QUIRE_OPT_STRING, .required = 1,
     .help = "the server's HTTP interface, http(s)://host:port (no credentials)"},
    {.name = "database", .type = QUIRE_OPT_STRING, .default_value = "default",
     .help = "the database the table or query reads"},
    {.name = "user", .type = QUIRE_OPT_STRING,
     .help = "user name (else CLICKHOUSE_USER, else default)"},
    {.name = "password_env", .type = QUIRE_OPT_STRING,
     .help = "environment variable holding the password (else CLICKHOUSE_PASSWORD)"},
    {.name = "password_file", .type = QUIRE_OPT_PATH, .help = "file holding the password"},
    {.name = "table", .type = QUIRE_OPT_STRING,
     .help = "table to read, as name or database.name; or give query"},
    {.name = "query", .type = QUIRE_OPT_STRING, .flags = QUIRE_OPTF_CODE,
     .help = "SQL query to read (a SELECT), with {param1:Type} ... bound to param1 ..."},
    {.name = "param1", .type = QUIRE_OPT_STRING, .help = "value bound to {param1:Type}"},
    {.name = "param2", .type = QUIRE_OPT_STRING, .help = "value bound to {param2:Type}"},
    {.name = "param3", .type = QUIRE_OPT_STRING, .help = "value bound to {param3:Type}"},
    {.name = "param4", .type = QUIRE_OPT_STRING, .help = "value bound to {param4:Type}"},
    {.name = "param5", .type = QUIRE_OPT_STRING, .help = "value bound to {param5:Type}"},
    {.name = "param6", .type = QUIRE_OPT_STRING, .help = "value bound to {param6:Type}"},
    {.name = "param7", .type = QUIRE_OPT_STRING, .help = "value bound to {param7:Type}"},
    {.name = "param8", .type = QUIRE_OPT_STRING, .help = "value bound to {param8:Type}"},
    {.name = "param9", .type = QUIRE_OPT_STRING, .help = "value bound to {param9:Type}"},
    {.name = "timeout", .type = QUIRE_OPT_INTEGER, .default_value = "300",
     .help = "seconds a statement may run (the server's max_execution_time; 0: no limit)"},
    {.name = "connect_timeout", .type = QUIRE_OPT_INTEGER, .default_value = "10",
     .help = "seconds to wait for the connection"},
    {.name = "ca_file", .type = QUIRE_OPT_PATH, .help = "CA bundle for an https url"},
    {.name = "insecure", .type = QUIRE_OPT_BOOLEAN, .default_value = "false",
     .help = "https without verifying the server's certificate (never in production)"},
    {.name = NULL},
};

/* ---------------------------------------------------------------- state */

enum { MODE_BODY = 0, MODE_ROWS = 1 };

typedef struct ch {
    db_source db;            /* the host, names, password, declared columns */
    char *url;               /* the server's URL, as given */
    char *endpoint;          /* url/?database=...&settings */
    char *database, *user;
    char *table, *query;
    char *relation;          /* the table quoted, or (the bound query) */
    long timeout, connect_timeout;
    char *ca_file;
    int insecure;
    CURL *curl;

    /* the request under way */
    int mode;
    char *body;              /* MODE_BODY, or an error answer: its first bytes */
    size_t blen, bcap;
    char *line;              /* a row not yet complete */
    size_t llen, lcap;
    uint64_t bytes;
    int failed;              /* the write callback stopped the transfer */
    int stop;                /* the host's emit() said stop: its value */
    int in_error;            /* the server's error came after rows: in body */
} ch;

/* ---------------------------------------------------------------- open */

/* Check the url: http or https, a host, no credentials, no query or
 * fragment (the plugin writes its own). 0, or -1 with why. */
static int check_url(const char *url, const char **why)
{
    CURLU *u = curl_url();
    char *part = NULL;
    int rc = -1;

    *why = "is not an http:// or https:// URL";
    if (!u)
        return -1;
    if (curl_url_set(u, CURLUPART_URL, url, 0))
        goto out;
    if (curl_url_get(u, CURLUPART_SCHEME, &part, 0) ||
        (strcmp(part, "http") != 0 && strcmp(part, "https") != 0))
        goto out;
    curl_free(part);
    part = NULL;
    if (!curl_url_get(u, CURLUPART_USER, &part, 0) || !curl_url_get(u, CURLUPART_PASSWORD, &part, 0)) {
        *why = "holds credentials; give the user in the user option and the password in "
               "password_env or password_file, never in the spec";
        goto out;
    }
    if (!curl_url_get(u, CURLUPART_QUERY, &part, 0) ||
        !curl_url_get(u, CURLUPART_FRAGMENT, &part, 0)) {
        *why = "has a query or a fragment; give the server's address alone "
               "(http(s)://host:port), and the database in the database option";
        goto out;
    }
    rc = 0;
out:
    curl_free(part);
    curl_url_cleanup(u);
    return rc;
}

static void ch_close(void *state);

static int ch_open(const quire_host *host, void *hctx, const quire_source_config *cfg,
                   void **state)
{
    ch *st = host->alloc(sizeof *st);
    const char *url, *table, *query, *user, *database, *ca_file, *why = NULL;
    const char *vals[NPARAMS];
    sql_buf rel = {0}, bound = {0}, ep = {0};
    char err[300];
    unsigned used = 0;
    int i, bad = 0;

    *state = NULL;
    if (!st) {
        host->error(hctx, "source \"%s\": out of memory", cfg->source_name);
        return 1;
    }
    memset(st, 0, sizeof *st);
    if (db_open(&st->db, host, hctx, cfg, options, "clickhouse"))
        goto fail;
    url = db_opt(&st->db, cfg, OPT_URL);
    table = db_opt(&st->db, cfg, OPT_TABLE);
    query = db_opt(&st->db, cfg, OPT_QUERY);
    if (!url || check_url(url, &why)) {
        /* the URL is not shown: it may hold a password */
        db_error(&st->db, QUIRE_ERROR_CONFIG, "url", "url %s", url ? why : "is empty");
        goto fail;
    }
    if (!(st->url = db_dup(&st->db, url)))
        goto oom;
    while (strlen(st->url) > 1 && st->url[strlen(st->url) - 1] == '/')
        st->url[strlen(st->url) - 1] = '\0';
    database = db_opt(&st->db, cfg, OPT_DATABASE);
    if (!(st->database = db_dup(&st->db, database ? database : "default")))
        goto oom;
    if (!ch_table_ok(st->database) || strchr(st->database, '.')) {
        db_error(&st->db, QUIRE_ERROR_CONFIG, "database",
                 "database \"%.80s\" is not a ClickHouse name (letters, digits and _)",
                 st->database);
        goto fail;
    }
    user = db_opt(&st->db, cfg, OPT_USER);
    if (!user)
        user = getenv("CLICKHOUSE_USER");
    if (!(st->user = db_dup(&st->db, user && *user ? user : "default")))
        goto oom;
    if (db_table_or_query(&st->db, table, query))
        goto fail;
    if (table && !ch_table_ok(table)) {
        db_error(&st->db, QUIRE_ERROR_CONFIG, "table",
                 "table \"%.120s\" is not a ClickHouse table name: name or database.name, "
                 "each of letters, digits and _", table);
        goto fail;
    }
    for (i = 0; i < NPARAMS; i++)
        vals[i] = cfg->option_values ? cfg->option_values[OPT_PARAM1 + i] : NULL;
    if (query && ch_bind(&bound, query, vals, &used, &bad, err, sizeof err)) {
        db_error(&st->db, QUIRE_ERROR_CONFIG,
                 bad ? options[OPT_PARAM1 + bad - 1].name : "query", "%s", err);
        goto fail;
    }
    for (i = 0; i < NPARAMS; i++) {
        if (vals[i] && !(used & (1u << i))) {
            db_error(&st->db, QUIRE_ERROR_CONFIG, options[OPT_PARAM1 + i].name,
                     "param%d is given but the %s has no {param%d:Type}", i + 1,
                     query ? "query" : "table source", i + 1);
            goto fail;
        }
    }
    if (db_seconds(&st->db, cfg, OPT_TIMEOUT, &st->timeout) ||
        db_seconds(&st->db, cfg, OPT_CONNECT_TIMEOUT, &st->connect_timeout))
        goto fail;
    {
        const quire_option_value *v = quire_option_at(cfg, OPT_INSECURE);
        const char *t = db_opt(&st->db, cfg, OPT_INSECURE);
        st->insecure = v && v->set ? v->i != 0 : t && strcmp(t, "true") == 0;
    }
    ca_file = db_opt(&st->db, cfg, OPT_CA_FILE);
    if (ca_file && !(st->ca_file = db_dup(&st->db, ca_file)))
        goto oom;
    if (db_password(&st->db, cfg, OPT_PASSWORD_ENV, OPT_PASSWORD_FILE, "CLICKHOUSE_PASSWORD"))
        goto fail;
    if ((table && !(st->table = db_dup(&st->db, table))) ||
        (query && !(st->query = db_dup(&st->db, query))))
        goto oom;
    sql_relation(&rel, st->table, query ? bound.s : NULL, '`');
    if (rel.oom || !(st->relation = db_dup(&st->db, rel.s)))
        goto oom;
    /* settings of every statement, in the URL (nothing secret) */
    sql_buf_printf(&ep, "%s/?database=", st->url);
    sql_buf_puts(&ep, st->database);
    sql_buf_printf(&ep, "&max_execution_time=%ld&skip_unavailable_shards=0"
                  "&send_progress_in_http_headers=0", st->timeout);
    if (ep.oom || !(st->endpoint = db_dup(&st->db, ep.s)))
        goto oom;
    if (QUIRE_HOST_HAS(host, origin) && host->origin) {
        sql_buf o = {0};
        sql_buf_printf(&o, "%s/?database=", st->url);
        sql_buf_puts(&o, st->database);
        sql_buf_puts(&o, "#");
        sql_buf_puts(&o, table ? table : "query");
        if (!o.oom)
            host->origin(hctx, o.s);
        sql_buf_free(&o);
    }
    sql_buf_free(&rel);
    sql_buf_free(&bound);
    sql_buf_free(&ep);
    *state = st;
    return 0;
oom:
    db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
fail:
    sql_buf_free(&rel);
    sql_buf_free(&bound);
    sql_buf_free(&ep);
    ch_close(st);
    return 1;
}

/* ---------------------------------------------------------------- rows */

/* Keep p[0..n) of an answer that is not rows (a description, an error):
 * its first MAX_BODY bytes. */
static int keep_body(ch *st, const char *p, size_t n)
{
    size_t room = st->blen < MAX_BODY ? MAX_BODY - st->blen : 0, take = n < room ? n : room;

    if (st->blen + take + 1 > st->bcap) {
        size_t cap = st->bcap ? st->bcap : 4096;
        char *b;
        while (cap < st->blen + take + 1)
            cap *= 2;
        if (!(b = st->db.host->realloc(st->body, cap))) {
            db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
            return -1;
        }
        st->body = b;
        st->bcap = cap;
    }
    memcpy(st->body + st->blen, p, take);
    st->blen += take;
    st->body[st->blen] = '\0';
    return 0;
}

/* A whole line of the answer (without its \n): a row, or the server's error
 * after the rows. 0, or -1 having recorded why. */
static int take_line(ch *st, char *s, size_t n)
{
    uint32_t c;
    size_t at = 0;

    /* the row's fields, then the mark */
    for (c = 0; c <= st->db.ncols; c++) {
        char *tab = memchr(s + at, '\t', n - at);
        size_t end = tab ? (size_t)(tab - s) : n;
        if (c == st->db.ncols) {
            if (tab || end - at != strlen(CH_MARK) || memcmp(s + at, CH_MARK, end - at) != 0)
                goto not_row;
            break;
        }
        if (!tab)
            goto not_row;
        {
            const quire_column *col = &st->db.colinfo[c];
            char *v = s + at;
            size_t vn = end - at;
            quire_cell *cell = &st->db.colv[c][st->db.k];
            memset(cell, 0, sizeof *cell);
            if (vn == 2 && v[0] == '\\' && v[1] == 'N') {
                cell->null = 1;
            } else {
                vn = ch_tsv_unescape(v, vn);
                if (ch_parse_cell(col->type, v, vn, cell) ||
                    (col->type == QUIRE_T_STRING && !cell->null &&
                     db_batch_keep(&st->db, v, vn, cell))) {
                    db_error(&st->db, QUIRE_ERROR_DATA, NULL,
                             "record %llu: column \"%s\": \"%.*s\" is not a %s value Quire can "
                             "read", (unsigned long long)(st->db.rows + 1), col->name,
                             (int)(vn < 60 ? vn : 60), v,
                             col->type == QUIRE_T_DATE ? "date (years 0001 to 9999)"
                                                       : "representable");
                    return -1;
                }
            }
        }
        at = end + 1;
    }
    if ((st->stop = db_batch_row(&st->db)) != 0)
        return -1;
    return 0;
not_row:
    if (n >= 6 && memcmp(s, "Code: ", 6) == 0) {
        /* the server's error after the rows: it and what follows are kept
         * (keep_body) and said after the transfer */
        st->in_error = 1;
        st->blen = 0;
        return keep_body(st, s, n) || keep_body(st, "\n", 1);
    }
    db_error(&st->db, QUIRE_ERROR_DATA, NULL,
             "record %llu: the server's answer is not a row of the %u columns asked for "
             "(\"%.*s\")", (unsigned long long)(st->db.rows + 1), st->db.ncols,
             (int)(n < 60 ? n : 60), s);
    return -1;
}

static int feed_rows(ch *st, char *p, size_t n)
{
    while (n) {
        char *nl = memchr(p, '\n', n);
        size_t take = nl ? (size_t)(nl - p) : n;
        if (st->llen || !nl) {
            /* a line across chunks: gather it */
            if (st->llen + take + 1 > MAX_LINE) {
                db_error(&st->db, QUIRE_ERROR_DATA, NULL,
                         "record %llu: a row longer than %zu bytes",
                         (unsigned long long)(st->db.rows + 1), MAX_LINE);
                return -1;
            }
            if (st->llen + take + 1 > st->lcap) {
                size_t cap = st->lcap ? st->lcap : 4096;
                char *b;
                while (cap < st->llen + take + 1)
                    cap *= 2;
                if (!(b = st->db.host->realloc(st->line, cap))) {
                    db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
                    return -1;
                }
                st->line = b;
                st->lcap = cap;
            }
            memcpy(st->line + st->llen, p, take);
            st->llen += take;
            if (nl) {
                if (take_line(st, st->line, st->llen))
                    return -1;
                st->llen = 0;
            }
        } else if (take_line(st, p, take)) {
            return -1;
        }
        if (!nl)
            break;
        p = nl + 1;
        n -= take + 1;
        if (st->in_error)
            return keep_body(st, p, n);
    }
    return 0;
}

static size_t on_data(char *p, size_t size, size_t nmemb, void *user)
{
    ch *st = user;
    size_t n = size * nmemb;
    long status = 0;

    st->bytes += n;
    curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &status);
    if (st->mode == MODE_BODY || status != 200 || st->in_error) {
        if (keep_body(st, p, n)) {
            st->failed = 1;
            return 0;
        }
        return n;
    }
    if (feed_rows(st, p, n)) {
        st->failed = 1;
        return 0; /* ends the transfer */
    }
    return n;
}

/* ---------------------------------------------------------------- requests */

static int connect_curl(ch *st)
{
    CURL *c;

    if (st->curl)
        return 0;
    c = http_handle("quire-clickhouse/" QUIRE_VERSION, st->connect_timeout, st->ca_file,
                    st->insecure, on_data, st);
    if (!c) {
        db_error(&st->db, QUIRE_ERROR_IO, NULL, "libcurl failed to initialise");
        return -1;
    }
    st->curl = c;
    /* the server stops a statement after max_execution_time and says so;
     * the client waits a little longer for that answer */
    if (st->timeout)
        curl_easy_setopt(c, CURLOPT_TIMEOUT, st->timeout + st->connect_timeout + 10);
    curl_easy_setopt(c, CURLOPT_URL, st->endpoint);
    curl_easy_setopt(c, CURLOPT_POST, 1L);
    curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
    curl_easy_setopt(c, CURLOPT_USERNAME, st->user);
    curl_easy_setopt(c, CURLOPT_PASSWORD, st->db.password ? st->db.password : "");
    return 0;
}

/* What kind of failure a ClickHouse error code is. */
static uint32_t kind_of(int code)
{
    switch (code) {
    case 16: /* NO_SUCH_COLUMN_IN_TABLE */
    case 46: /* UNKNOWN_FUNCTION */
    case 47: /* UNKNOWN_IDENTIFIER */
    case 60: /* UNKNOWN_TABLE */
    case 62: /* SYNTAX_ERROR */
    case 81: /* UNKNOWN_DATABASE */
        return QUIRE_ERROR_CONFIG;
    case 159: /* TIMEOUT_EXCEEDED */
        return QUIRE_ERROR_TRANSIENT;
    default:
        return QUIRE_ERROR_IO;
    }
}

/* A failure of a shard of the cluster, rather than of the statement. */
static int shard_code(int code)
{
    return code == 32 || code == 209 || code == 210 || code == 279 || code == 394;
}

static int credential_code(int code)
{
    return code == 192 || code == 193 || code == 194 || code == 195 || code == 516;
}

/* The server's error, said plainly. */
static void server_error(ch *st, const char *body, size_t n, int after_rows)
{
    char text[700];
    int code;
    uint32_t kind;

    ch_error_text(body, n, text, sizeof text, &code);
    kind = kind_of(code);
    if (credential_code(code))
        db_error(&st->db, QUIRE_ERROR_IO, NULL, "the server at %s refused the credentials of user "
                 "\"%s\": %s (Code %d)", st->url, st->user, text, code);
    else if (shard_code(code))
        db_error(&st->db, QUIRE_ERROR_IO, NULL, "a server of the cluster failed%s: %s (Code %d); "
                 "the report was not made", after_rows ? " while the rows were read" : "",
                 text, code);
    else if (code == 159)
        db_error(&st->db, kind, NULL, "the server stopped the query after timeout (%ld s): %s "
                 "(Code %d)", st->timeout, text, code);
    else if (code == 81) /* UNKNOWN_DATABASE */
        db_error(&st->db, kind, "database", "%s (Code %d)", text, code);
    else if (kind == QUIRE_ERROR_CONFIG)
        db_error(&st->db, kind, st->query ? "query" : "table", "the server refused the %s: %s "
                 "(Code %d)", st->query ? "query" : "table", text, code);
    else if (code)
        db_error(&st->db, kind, NULL, "the server failed%s: %s (Code %d)",
                 after_rows ? " while the rows were read" : "", text, code);
    else
        db_error(&st->db, kind, NULL, "the server answered with an error: %s", text[0] ? text :
                 "(no message)");
}

/*
 * POST sql. MODE_BODY: the answer into st->body. MODE_ROWS: the answer's rows
 * as batches of cols (types as the host wants them) handed to the host; what
 * ("rows", "rows of aggregates") for the statistics line. 0, or non-zero
 * having recorded why.
 */
static int request(ch *st, const char *sql, int mode, const quire_column *cols, uint32_t ncols,
                   const char *what)
{
    CURLcode rc;
    long status = 0;
    char errbuf[CURL_ERROR_SIZE];
    struct timespec t0, t1;

    clock_gettime(CLOCK_MONOTONIC, &t0);
    if (connect_curl(st))
        return -1;
    if (mode == MODE_ROWS && db_batch_start(&st->db, cols, ncols)) {
        db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
        return -1;
    }
    st->mode = mode;
    st->blen = st->llen = 0;
    st->db.rows = st->bytes = 0;
    st->failed = st->stop = 0;
    st->in_error = 0;
    errbuf[0] = '\0';
    curl_easy_setopt(st->curl, CURLOPT_ERRORBUFFER, errbuf);
    curl_easy_setopt(st->curl, CURLOPT_POSTFIELDS, sql);
    curl_easy_setopt(st->curl, CURLOPT_POSTFIELDSIZE, (long)strlen(sql));
    rc = curl_easy_perform(st->curl);
    curl_easy_getinfo(st->curl, CURLINFO_RESPONSE_CODE, &status);
    if (st->stop)
        return st->stop; /* the host has said why */
    if (st->in_error) {
        server_error(st, st->body, st->blen, 1);
        return -1;
    }
    if (st->failed)
        return -1; /* said by the write callback */
    if (rc != CURLE_OK) {
        const char *why = errbuf[0] ? errbuf : curl_easy_strerror(rc);
        if (rc == CURLE_OPERATION_TIMEDOUT)
            db_error(&st->db, QUIRE_ERROR_TRANSIENT, NULL, "the server at %s did not answer within "
                     "%ld s: %s", st->url, st->timeout + st->connect_timeout + 10, why);
        else if (rc == CURLE_COULDNT_CONNECT || rc == CURLE_COULDNT_RESOLVE_HOST)
            db_error(&st->db, QUIRE_ERROR_IO, NULL,
                     "cannot connect to the server at %s: %s", st->url,
                     why);
        else if (rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_PEER_FAILED_VERIFICATION ||
                 rc == CURLE_SSL_CACERT_BADFILE)
            db_error(&st->db, QUIRE_ERROR_IO, NULL,
                     "TLS with the server at %s failed: %s; give the CA "
                     "bundle in ca_file", st->url, why);
        else
            db_error(&st->db, QUIRE_ERROR_IO, NULL, "the connection to the server at %s was lost%s "
                     "after %llu rows: %s; the report was not made", st->url,
                     status == 200 ? " while the rows were read," : "",
                     (unsigned long long)st->db.rows, why);
        return -1;
    }
    if (status != 200) {
        if (status == 401 || status == 403 || st->blen)
            server_error(st, st->body ? st->body : "", st->blen, 0);
        else
            db_error(&st->db, QUIRE_ERROR_IO, NULL, "the server at %s answered HTTP %ld", st->url,
                     status);
        return -1;
    }
    if (mode == MODE_BODY)
        return 0;
    if (st->llen) {
        db_error(&st->db, QUIRE_ERROR_IO, NULL,
                 "the server's answer was cut short after %llu rows; "
                 "the report was not made", (unsigned long long)st->db.rows);
        return -1;
    }
    if ((st->stop = db_batch_emit(&st->db)) != 0)
        return st->stop;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    st->db.host->log(st->db.hctx, QUIRE_LOG_INFO, "%llu %s received from the server in %.3f s "
                  "(%llu bytes)", (unsigned long long)st->db.rows, what,
                  (double)(t1.tv_sec - t0.tv_sec) + (double)(t1.tv_nsec - t0.tv_nsec) / 1e9,
                  (unsigned long long)st->bytes);
    return 0;
}

/* ---------------------------------------------------------------- describe */

typedef struct described {
    char **names, **types;
    uint32_t n;
} described;

static void free_described(ch *st, described *d)
{
    uint32_t i;
    for (i = 0; i < d->n; i++) {
        st->db.host->free(d->names[i]);
        st->db.host->free(d->types[i]);
    }
    st->db.host->free(d->names);
    st->db.host->free(d->types);
    memset(d, 0, sizeof *d);
}

/* Split a TSV line (n bytes) into unescaped fields: their count, or -1. */
static int split_line(ch *st, const char *s, size_t n, char ***out)
{
    uint32_t count = 1, i = 0;
    size_t at = 0, k;
    char **v;

    for (k = 0; k < n; k++)
        if (s[k] == '\t')
            count++;
    if (!(v = st->db.host->alloc(count * sizeof *v)))
        return -1;
    for (i = 0; i < count; i++) {
        const char *tab = memchr(s + at, '\t', n - at);
        size_t end = tab ? (size_t)(tab - s) : n;
        if (!(v[i] = st->db.host->alloc(end - at + 1))) {
            while (i--)
                st->db.host->free(v[i]);
            st->db.host->free(v);
            return -1;
        }
        memcpy(v[i], s + at, end - at);
        v[i][ch_tsv_unescape(v[i], end - at)] = '\0';
        at = end + 1;
    }
    *out = v;
    return (int)count;
}

static int describe(ch *st, described *d)
{
    sql_buf b = {0};
    char *nl;
    int nn, nt;

    memset(d, 0, sizeof *d);
    ch_sql_describe(&b, st->relation);
    if (b.oom) {
        sql_buf_free(&b);
        db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
        return -1;
    }
    if (request(st, b.s, MODE_BODY, NULL, 0, NULL)) {
        sql_buf_free(&b);
        return -1;
    }
    sql_buf_free(&b);
    if (!st->body || !(nl = memchr(st->body, '\n', st->blen)) ||
        !memchr(nl + 1, '\n', st->blen - (size_t)(nl + 1 - st->body))) {
        db_error(&st->db, QUIRE_ERROR_IO, NULL,
                 "the server's description of the %s is not names and "
                 "types", st->query ? "query" : "table");
        return -1;
    }
    nn = split_line(st, st->body, (size_t)(nl - st->body), &d->names);
    {
        char *t = nl + 1, *nl2 = memchr(t, '\n', st->blen - (size_t)(t - st->body));
        nt = split_line(st, t, (size_t)(nl2 - t), &d->types);
    }
    if (nn < 0 || nt < 0 || nn != nt) {
        db_error(&st->db, QUIRE_ERROR_IO, NULL,
                 "the server's description of the %s is not names and "
                 "types", st->query ? "query" : "table");
        if (nn > 0) {
            d->n = (uint32_t)nn;
            while (d->n--)
                st->db.host->free(d->names[d->n]);
        }
        st->db.host->free(d->names);
        if (nt > 0) {
            uint32_t i;
            for (i = 0; i < (uint32_t)nt; i++)
                st->db.host->free(d->types[i]);
        }
        st->db.host->free(d->types);
        memset(d, 0, sizeof *d);
        return -1;
    }
    d->n = (uint32_t)nn;
    return 0;
}

/* Check that column name exists and reads as type t; its type in *type. */
static int check_column(ch *st, const described *d, const char *name, quire_type t,
                        const char **type)
{
    static const char *const tnames[] = {"string", "integer", "number", "date", "boolean"};
    uint32_t i;

    if (!ch_column_ok(name)) {
        db_error(&st->db, QUIRE_ERROR_CONFIG, NULL,
                 "column \"%.80s\" cannot be a ClickHouse column "
                 "name here (a backquote, a backslash or a control character)", name);
        return -1;
    }
    for (i = 0; i < d->n; i++)
        if (strcmp(d->names[i], name) == 0)
            break;
    if (i == d->n) {
        char list[600];
        size_t at = 0;
        uint32_t k;
        list[0] = '\0';
        for (k = 0; k < d->n && at + 80 < sizeof list; k++)
            at += (size_t)snprintf(list + at, sizeof list - at, "%s%s", k ? ", " : "",
                                   d->names[k]);
        db_error(&st->db, QUIRE_ERROR_CONFIG, st->query ? "query" : "table",
                 "column \"%s\" is not in %s%s%s; its columns: %s", name,
                 st->query ? "the query" : "table \"", st->query ? "" : st->table,
                 st->query ? "" : "\"", list);
        return -1;
    }
    *type = d->types[i];
    if (!ch_type_fits(d->types[i], t)) {
        db_error(&st->db, QUIRE_ERROR_DATA, NULL,
                 "column \"%s\" is %s in the database, but the spec declares it %s (which takes "
                 "%s)", name, d->types[i], tnames[t], ch_type_takes(t));
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- scan */

static int ch_scan(void *state, const quire_scan_request *req)
{
    ch *st = state;
    described d;
    const char **names = NULL, *type;
    quire_column *cols = NULL;
    uint32_t n = 0, i;
    uint64_t max = 0;
    sql_buf sql = {0};
    int rc = -1;

    if (QUIRE_HAS_FIELD(req, quire_scan_request, max_records))
        max = req->max_records;
    if (describe(st, &d))
        return -1;
    n = req->projection ? req->nprojection : d.n;
    cols = st->db.host->alloc((n ? n : 1) * sizeof *cols);
    names = st->db.host->alloc((n ? n : 1) * sizeof *names);
    if (!cols || !names)
        goto oom;
    for (i = 0; i < n; i++) {
        if (req->projection) {
            cols[i] = req->projection[i];
        } else {
            /* every column: the declared ones typed, the others as text */
            memset(&cols[i], 0, sizeof cols[i]);
            cols[i].name = d.names[i];
            cols[i].type = db_declared_type(&st->db, cols[i].name);
        }
        names[i] = cols[i].name;
        if (check_column(st, &d, cols[i].name, cols[i].type, &type))
            goto out;
    }
    ch_sql_select(&sql, st->relation, names, n, max);
    if (sql.oom)
        goto oom;
    st->db.host->log(st->db.hctx, QUIRE_LOG_DEBUG, "the query: %s", sql.s);
    rc = request(st, sql.s, MODE_ROWS, cols, n, "rows");
    goto out;
oom:
    db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
out:
    sql_buf_free(&sql);
    st->db.host->free(cols);
    st->db.host->free(names);
    free_described(st, &d);
    return rc;
}

/* ---------------------------------------------------------------- aggregate */

static int ch_aggregate(void *state, const quire_aggregate_request *req)
{
    ch *st = state;
    described d;
    const char *types[64], *date_type = NULL, *type;
    sql_buf sql = {0};
    const char *why = NULL;
    uint32_t i;
    int rc = -1;

    if (req->nmeasures > 64 || !req->key || !req->date || req->nresult != req->nmeasures + 2)
        return QUIRE_AGGREGATE_DECLINED;
    if (describe(st, &d))
        return -1;
    if (check_column(st, &d, req->key->name, req->key->type, &type) ||
        check_column(st, &d, req->date->name, QUIRE_T_DATE, &date_type))
        goto out;
    for (i = 0; i < req->nmeasures; i++) {
        const quire_agg_measure *m = QUIRE_AT(req->measures, req->measure_size, i);
        types[i] = NULL;
        if (m->column && check_column(st, &d, m->column,
                                      m->op == QUIRE_AGG_COUNT ? QUIRE_T_STRING
                                                               : req->result[2 + i].type,
                                      &types[i]))
            goto out;
    }
    if (ch_sql_aggregate(&sql, st->relation, req, date_type, types, &why)) {
        if (sql.oom) {
            db_error(&st->db, QUIRE_ERROR_IO, NULL, "out of memory");
            goto out;
        }
        st->db.host->log(st->db.hctx, QUIRE_LOG_INFO, "the fact query stays in Quire: %s", why);
        rc = QUIRE_AGGREGATE_DECLINED;
        goto out;
    }
    st->db.host->log(st->db.hctx, QUIRE_LOG_DEBUG, "the fact query: %s", sql.s);
    rc = request(st, sql.s, MODE_ROWS, req->result, req->nresult, "rows of aggregates");
out:
    sql_buf_free(&sql);
    free_described(st, &d);
    return rc;
}

/* ---------------------------------------------------------------- close */

static void ch_close(void *state)
{
    ch *st = state;
    const quire_host *host;

    if (!st)
        return;
    host = st->db.host;
    if (st->curl)
        curl_easy_cleanup(st->curl);
    host->free(st->url);
    host->free(st->endpoint);
    host->free(st->database);
    host->free(st->user);
    host->free(st->table);
    host->free(st->query);
    host->free(st->relation);
    host->free(st->ca_file);
    host->free(st->body);
    host->free(st->line);
    db_close(&st->db);
    host->free(st);
}

/* ---------------------------------------------------------------- load */

/* Once per process: libcurl's global state (http.h). */
static int ch_load(const quire_host *host, void *hctx)
{
    if (http_load()) {
        host->error(hctx, "clickhouse: libcurl failed to initialise");
        return 1;
    }
    return 0;
}

static const quire_plugin clickhouse_plugin = {
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(quire_plugin),
    .name = "clickhouse",
    .version = QUIRE_VERSION,
    .summary = "a ClickHouse table or query over HTTP (libcurl); runs the fact query as a GROUP BY",
    .caps = QUIRE_CAP_STREAM | QUIRE_CAP_PROJECTION | QUIRE_CAP_AGGREGATE,
    .options = options,
    .open = ch_open,
    .scan = ch_scan,
    .close = ch_close,
    .option_size = sizeof(quire_option_def),
    .column_size = sizeof(quire_column),
    .load = ch_load,
    .unload = http_unload,
    .aggregate = ch_aggregate,
};

QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void);
QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void)
{
    return &clickhouse_plugin;
}
