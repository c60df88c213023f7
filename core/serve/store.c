/* store.c - the server's users, tokens and runs in the state file. */
#include "store.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <sqlite3.h>

#include "util.h"

struct store {
    sqlite3 *db;
    pthread_mutex_t lock;
};

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS serve_users ("
    "  name TEXT PRIMARY KEY, role TEXT NOT NULL, password TEXT NOT NULL,"
    "  created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS serve_tokens ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, role TEXT NOT NULL,"
    "  hash TEXT NOT NULL UNIQUE, created INTEGER NOT NULL);"
    "CREATE TABLE IF NOT EXISTS serve_runs ("
    "  id INTEGER PRIMARY KEY AUTOINCREMENT, report TEXT NOT NULL, key TEXT NOT NULL,"
    "  params TEXT NOT NULL, status TEXT NOT NULL, error TEXT, user TEXT NOT NULL DEFAULT '',"
    "  created INTEGER NOT NULL, started INTEGER NOT NULL DEFAULT 0,"
    "  finished INTEGER NOT NULL DEFAULT 0);"
    "CREATE INDEX IF NOT EXISTS serve_runs_key ON serve_runs(key, status);"
    "CREATE INDEX IF NOT EXISTS serve_runs_report ON serve_runs(report, id);";

store *store_open(const char *path, quire_error *err)
{
    store *st = xcalloc(1, sizeof *st);
    char *msg = NULL;

    if (sqlite3_open_v2(path, &st->db, SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE |
                        SQLITE_OPEN_FULLMUTEX, NULL) != SQLITE_OK) {
        quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "cannot open the state file: %s",
                     st->db ? sqlite3_errmsg(st->db) : "out of memory");
        sqlite3_close(st->db);
        free(st);
        return NULL;
    }
    sqlite3_busy_timeout(st->db, 5000);
    if (sqlite3_exec(st->db, "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;", NULL, NULL,
                     &msg) != SQLITE_OK ||
        sqlite3_exec(st->db, schema, NULL, NULL, &msg) != SQLITE_OK) {
        quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "cannot use the state file: %s",
                     msg ? msg : sqlite3_errmsg(st->db));
        sqlite3_free(msg);
        sqlite3_close(st->db);
        free(st);
        return NULL;
    }
    pthread_mutex_init(&st->lock, NULL);
    return st;
}

void store_close(store *st)
{
    if (!st)
        return;
    sqlite3_close(st->db);
    pthread_mutex_destroy(&st->lock);
    free(st);
}

static sqlite3_stmt *prep(store *st, const char *sql)
{
    sqlite3_stmt *s = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &s, NULL) != SQLITE_OK)
        return NULL;
    return s;
}

static const char *col_text(sqlite3_stmt *s, int i)
{
    const unsigned char *t = sqlite3_column_text(s, i);
    return t ? (const char *)t : "";
}

/* ------------------------------------------------------------ users, tokens */

/* Run sql, an INSERT of (name, role, secret, created now) into the users'
 * or the tokens' table. Returns 0, or -1 with the database's message after
 * what in err. */
static int save_credential(store *st, const char *sql, const char *name, auth_role role,
                           const char *secret, const char *what, quire_error *err)
{
    sqlite3_stmt *s;
    int rc = -1;

    pthread_mutex_lock(&st->lock);
    if ((s = prep(st, sql)) != NULL) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 2, auth_role_name(role), -1, SQLITE_STATIC);
        sqlite3_bind_text(s, 3, secret, -1, SQLITE_STATIC);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
    }
    if (rc)
        quire_err(err, QUIRE_EXIT_USAGE, "%s: %s", what, sqlite3_errmsg(st->db));
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int store_user_set(store *st, const char *name, auth_role role, const char *password,
                   quire_error *err)
{
    char *hash = auth_password_hash(password);
    char what[160];
    int rc;

    if (!hash)
        return quire_err(err, QUIRE_EXIT_USAGE, "no randomness for a password's salt");
    snprintf(what, sizeof what, "cannot save user \"%s\"", name);
    rc = save_credential(st,
                         "INSERT OR REPLACE INTO serve_users(name, role, password, created) "
                         "VALUES (?, ?, ?, strftime('%s','now'))",
                         name, role, hash, what, err);
    free(hash);
    return rc;
}

auth_role store_user_check(store *st, const char *name, const char *password)
{
    char stored[256] = "", role[16] = "";
    sqlite3_stmt *s;

    pthread_mutex_lock(&st->lock);
    s = prep(st, "SELECT password, role FROM serve_users WHERE name = ?");
    if (s) {
        sqlite3_bind_text(s, 1, name, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) {
            snprintf(stored, sizeof stored, "%s", col_text(s, 0));
            snprintf(role, sizeof role, "%s", col_text(s, 1));
        }
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    /* An unknown user costs a hash too, so timing does not tell who exists. */
    if (!stored[0]) {
        auth_password_check(password, "pbkdf2-sha256$310000$00$00");
        return ROLE_NONE;
    }
    return auth_password_check(password, stored) ? auth_role_parse(role) : ROLE_NONE;
}

int store_token_add(store *st, const char *name, auth_role role, char out[80],
                    quire_error *err)
{
    char rnd[65], hash[65], what[160];

    if (auth_random_hex(rnd, 32))
        return quire_err(err, QUIRE_EXIT_USAGE, "no randomness for a token");
    snprintf(out, 80, "qt_%s", rnd);
    auth_sha256_hex(out, strlen(out), hash);
    snprintf(what, sizeof what, "cannot save a token for \"%s\"", name);
    return save_credential(st,
                           "INSERT INTO serve_tokens(name, role, hash, created) "
                           "VALUES (?, ?, ?, strftime('%s','now'))",
                           name, role, hash, what, err);
}

auth_role store_token_check(store *st, const char *token, char name[64])
{
    char hash[65], role[16] = "";
    sqlite3_stmt *s;

    name[0] = '\0';
    if (strncmp(token, "qt_", 3) != 0 || strlen(token) != 67)
        return ROLE_NONE;
    auth_sha256_hex(token, strlen(token), hash);
    pthread_mutex_lock(&st->lock);
    s = prep(st, "SELECT name, role FROM serve_tokens WHERE hash = ?");
    if (s) {
        sqlite3_bind_text(s, 1, hash, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) {
            snprintf(name, 64, "%s", col_text(s, 0));
            snprintf(role, sizeof role, "%s", col_text(s, 1));
        }
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return auth_role_parse(role);
}

int store_has_auth(store *st)
{
    sqlite3_stmt *s;
    int n = 0;

    pthread_mutex_lock(&st->lock);
    s = prep(st, "SELECT (SELECT count(*) FROM serve_users) + (SELECT count(*) FROM serve_tokens)");
    if (s && sqlite3_step(s) == SQLITE_ROW)
        n = sqlite3_column_int(s, 0);
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return n > 0;
}

/* ------------------------------------------------------------ runs */

void srun_clear(srun *r)
{
    free(r->params);
    free(r->error);
    memset(r, 0, sizeof *r);
}

#define RUN_COLS "id, report, key, params, status, error, user, created, started, finished"

static void read_run(sqlite3_stmt *s, srun *r)
{
    memset(r, 0, sizeof *r);
    r->id = sqlite3_column_int64(s, 0);
    snprintf(r->report, sizeof r->report, "%s", col_text(s, 1));
    snprintf(r->key, sizeof r->key, "%s", col_text(s, 2));
    r->params = xstrdup(col_text(s, 3));
    snprintf(r->status, sizeof r->status, "%s", col_text(s, 4));
    r->error = sqlite3_column_type(s, 5) == SQLITE_NULL ? NULL : xstrdup(col_text(s, 5));
    snprintf(r->user, sizeof r->user, "%s", col_text(s, 6));
    r->created = sqlite3_column_int64(s, 7);
    r->started = sqlite3_column_int64(s, 8);
    r->finished = sqlite3_column_int64(s, 9);
}

int store_run_find_or_add(store *st, const char *report, const char *key, const char *params,
                          const char *user, int64_t now, srun *out, int *fresh,
                          quire_error *err)
{
    sqlite3_stmt *s;
    int rc = -1, found = 0;

    *fresh = 0;
    pthread_mutex_lock(&st->lock);
    sqlite3_exec(st->db, "BEGIN IMMEDIATE", NULL, NULL, NULL);
    s = prep(st, "SELECT " RUN_COLS " FROM serve_runs WHERE key = ? AND status IN "
                 "('queued', 'running', 'done') ORDER BY id DESC LIMIT 1");
    if (s) {
        sqlite3_bind_text(s, 1, key, -1, SQLITE_STATIC);
        if (sqlite3_step(s) == SQLITE_ROW) {
            read_run(s, out);
            found = 1;
            rc = 0;
        }
    }
    sqlite3_finalize(s);
    if (!found) {
        s = prep(st, "INSERT INTO serve_runs(report, key, params, status, user, created) "
                     "VALUES (?, ?, ?, 'queued', ?, ?)");
        if (s) {
            sqlite3_bind_text(s, 1, report, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 2, key, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 3, params, -1, SQLITE_STATIC);
            sqlite3_bind_text(s, 4, user, -1, SQLITE_STATIC);
            sqlite3_bind_int64(s, 5, now);
            if (sqlite3_step(s) == SQLITE_DONE) {
                memset(out, 0, sizeof *out);
                out->id = sqlite3_last_insert_rowid(st->db);
                snprintf(out->report, sizeof out->report, "%s", report);
                snprintf(out->key, sizeof out->key, "%s", key);
                out->params = xstrdup(params);
                snprintf(out->status, sizeof out->status, "%s", SRUN_QUEUED);
                snprintf(out->user, sizeof out->user, "%s", user);
                out->created = now;
                *fresh = 1;
                rc = 0;
            }
        }
        sqlite3_finalize(s);
    }
    if (rc)
        quire_err(err, QUIRE_EXIT_DELIVERY, "cannot record the run: %s", sqlite3_errmsg(st->db));
    sqlite3_exec(st->db, rc ? "ROLLBACK" : "COMMIT", NULL, NULL, NULL);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int store_run_get(store *st, int64_t id, srun *out)
{
    sqlite3_stmt *s;
    int rc = -1;

    pthread_mutex_lock(&st->lock);
    s = prep(st, "SELECT " RUN_COLS " FROM serve_runs WHERE id = ?");
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        if (sqlite3_step(s) == SQLITE_ROW) {
            read_run(s, out);
            rc = 0;
        }
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int store_runs_recent(store *st, const char *report, int n, srun **out, int *count)
{
    sqlite3_stmt *s;
    int k = 0;

    *out = xcalloc((size_t)n, sizeof **out);
    pthread_mutex_lock(&st->lock);
    s = prep(st, report ? "SELECT " RUN_COLS " FROM serve_runs WHERE report = ? "
                          "ORDER BY id DESC LIMIT ?"
                        : "SELECT " RUN_COLS " FROM serve_runs WHERE ?1 IS NULL "
                          "ORDER BY id DESC LIMIT ?2");
    if (s) {
        if (report)
            sqlite3_bind_text(s, 1, report, -1, SQLITE_STATIC);
        sqlite3_bind_int(s, 2, n);
        while (k < n && sqlite3_step(s) == SQLITE_ROW)
            read_run(s, &(*out)[k++]);
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    *count = k;
    return 0;
}

int store_run_set(store *st, int64_t id, const char *status, const char *error, int64_t now)
{
    sqlite3_stmt *s;
    int rc = -1, running = strcmp(status, SRUN_RUNNING) == 0;

    pthread_mutex_lock(&st->lock);
    s = prep(st, running ? "UPDATE serve_runs SET status = ?, error = ?, started = ? WHERE id = ?"
                         : "UPDATE serve_runs SET status = ?, error = ?, finished = ? WHERE id = ?");
    if (s) {
        sqlite3_bind_text(s, 1, status, -1, SQLITE_STATIC);
        if (error)
            sqlite3_bind_text(s, 2, error, -1, SQLITE_STATIC);
        else
            sqlite3_bind_null(s, 2);
        sqlite3_bind_int64(s, 3, now);
        sqlite3_bind_int64(s, 4, id);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int store_runs_abandon_open(store *st, int64_t now)
{
    sqlite3_stmt *s;
    int rc = -1;

    pthread_mutex_lock(&st->lock);
    s = prep(st, "UPDATE serve_runs SET status = 'abandoned', finished = ?, "
                 "error = 'the server stopped before the run finished' "
                 "WHERE status IN ('queued', 'running')");
    if (s) {
        sqlite3_bind_int64(s, 1, now);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}

int store_run_delete(store *st, int64_t id)
{
    sqlite3_stmt *s;
    int rc = -1;

    pthread_mutex_lock(&st->lock);
    s = prep(st, "DELETE FROM serve_runs WHERE id = ?");
    if (s) {
        sqlite3_bind_int64(s, 1, id);
        rc = sqlite3_step(s) == SQLITE_DONE ? 0 : -1;
    }
    sqlite3_finalize(s);
    pthread_mutex_unlock(&st->lock);
    return rc;
}
