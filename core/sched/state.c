/*
 * state.c - the runs and deliveries ledger (SQLite) and the scheduler lock.
 *
 * The lock is held for the life of the process, and the kernel drops it
 * when the process dies, however it dies, so a killed scheduler never leaves
 * a stale lock. It is taken on the state file itself (an open-file-
 * description lock on a byte SQLite never locks), so that every name of the
 * file, a symlink or a hard link, is the same lock; an flock on STATE.lock
 * is taken too, as older versions did, so that they and this one exclude
 * each other. The database runs in WAL mode with synchronous=FULL: a
 * committed row survives a crash of the process or the machine.
 */
#include "state.h"

#include <errno.h>
#include <fcntl.h>
#include <sqlite3.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cron.h"
#include "log.h"
#include "util.h"

struct state {
    sqlite3 *db;
    int lock_fd;   /* STATE.lock */
    int self_fd;   /* the state file, for the lock on its identity */
    int current;   /* its runs have today's shape (only an older ledger,
                    * opened read-only, has not) */
    char *path;
};

/* The bytes of the state file the lock uses: far from SQLite's own (from
 * 0x40000000, 512 bytes), and beyond any page a ledger will have. The
 * first is the lock; the second, a process-owned lock beside it, only
 * tells another scheduler the holder's pid (open-file-description locks
 * do not say). */
#define LOCK_BYTE ((off_t)0x50000000)

/* The runs table, by name: the schema's, and the one an older ledger's
 * rows are copied into (see upgrade). A fire time has one run (rerun 0),
 * and each forced rerun of it one more. */
#define RUNS_TABLE(name)                                                            \
    "CREATE TABLE IF NOT EXISTS " name " (\n"                                        \
    "  id INTEGER PRIMARY KEY,\n"                                                    \
    "  report TEXT NOT NULL,\n"                                                      \
    "  scheduled INTEGER NOT NULL,\n"                                                \
    "  rerun INTEGER NOT NULL DEFAULT 0,\n"                                          \
    "  period TEXT NOT NULL, period_from TEXT NOT NULL, period_to TEXT NOT NULL,\n"  \
    "  status TEXT NOT NULL,\n"                                                      \
    "  output TEXT, error TEXT,\n"                                                   \
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"                                       \
    "  next_attempt INTEGER NOT NULL DEFAULT 0,\n"                                   \
    "  created INTEGER, started INTEGER, finished INTEGER,\n"                        \
    "  UNIQUE (report, scheduled, rerun));\n"

static const char schema[] =
    "CREATE TABLE IF NOT EXISTS marks (\n"
    "  report TEXT PRIMARY KEY,\n"
    "  last_scheduled INTEGER NOT NULL);\n"
    RUNS_TABLE("runs")
    "CREATE TABLE IF NOT EXISTS deliveries (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
    "  channel TEXT NOT NULL,\n"
    "  recipient TEXT NOT NULL,\n"
    "  status TEXT NOT NULL DEFAULT 'pending',\n"
    "  attempts INTEGER NOT NULL DEFAULT 0,\n"
    "  next_attempt INTEGER NOT NULL DEFAULT 0,\n"
    "  error TEXT, started INTEGER, finished INTEGER,\n"
    "  UNIQUE (run_id, channel, recipient));\n"
    "CREATE TABLE IF NOT EXISTS attempts (\n"
    "  id INTEGER PRIMARY KEY,\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
    "  attempt INTEGER NOT NULL,\n"
    "  reason TEXT NOT NULL,\n"
    "  started INTEGER, finished INTEGER,\n"
    "  result TEXT, error TEXT,\n"
    "  UNIQUE (run_id, attempt));\n"
    /* Version 2: subscriptions and alerts (alerts.h). Ids are never reused
     * (AUTOINCREMENT): an alert's events are keyed by its id, and a new
     * alert must not inherit a removed one's. */
    "CREATE TABLE IF NOT EXISTS subscriptions (\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  report TEXT NOT NULL,\n"
    "  channel TEXT NOT NULL,\n"
    "  address TEXT NOT NULL,\n"
    "  token_env TEXT,\n"
    "  format TEXT NOT NULL DEFAULT 'pdf',\n"
    "  created INTEGER NOT NULL,\n"
    "  UNIQUE (report, channel, address));\n"
    "CREATE TABLE IF NOT EXISTS alerts (\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  report TEXT NOT NULL,\n"
    "  name TEXT NOT NULL,\n"
    "  kpi TEXT NOT NULL,\n"
    "  segment TEXT NOT NULL DEFAULT '',\n"
    "  measure TEXT NOT NULL,\n"
    "  op TEXT NOT NULL,\n"
    "  threshold REAL NOT NULL,\n"
    "  created INTEGER NOT NULL,\n"
    "  UNIQUE (report, name));\n"
    "CREATE TABLE IF NOT EXISTS alert_targets (\n"
    "  alert_id INTEGER NOT NULL REFERENCES alerts(id),\n"
    "  channel TEXT NOT NULL,\n"
    "  address TEXT NOT NULL,\n"
    "  token_env TEXT,\n"
    "  UNIQUE (alert_id, channel, address));\n"
    "CREATE TABLE IF NOT EXISTS alert_events (\n"
    "  id INTEGER PRIMARY KEY AUTOINCREMENT,\n"
    "  alert_id INTEGER NOT NULL,\n"
    "  period TEXT NOT NULL,\n"
    "  month TEXT NOT NULL,\n"
    "  run_id INTEGER NOT NULL REFERENCES runs(id),\n"
    "  value REAL, previous REAL,\n"
    "  created INTEGER NOT NULL,\n"
    "  UNIQUE (alert_id, period));\n"
    "PRAGMA user_version = 2;\n";

/* A ledger written before runs had reruns and retries: its runs are copied
 * into a table of today's shape (SQLite cannot change a UNIQUE constraint in
 * place), in the same transaction as the rest of the schema. */
static const char upgrade[] =
    RUNS_TABLE("runs_upgraded")
    "INSERT INTO runs_upgraded (id, report, scheduled, period, period_from, period_to, status,\n"
    "  output, error, attempts, created, started, finished)\n"
    "  SELECT id, report, scheduled, period, period_from, period_to, status, output, error,\n"
    "  attempts, created, started, finished FROM runs;\n"
    "DROP TABLE runs;\n"
    "ALTER TABLE runs_upgraded RENAME TO runs;\n";

/* Anything wrong with the state file (not a ledger, damaged, cannot be
 * written) is status 1, as docs/cli.md says: like a bad spec, it needs
 * the operator, and no later pass will get past it on its own. */
static int db_fail(state *st, quire_error *err, const char *what)
{
    return quire_err_at(err, QUIRE_EXIT_USAGE, st->path, 0, 0, "%s: %s", what,
                        sqlite3_errmsg(st->db));
}

static int exec(state *st, const char *sql, quire_error *err)
{
    char *msg = NULL;
    if (sqlite3_exec(st->db, sql, NULL, NULL, &msg) != SQLITE_OK) {
        quire_err_at(err, QUIRE_EXIT_USAGE, st->path, 0, 0, "%s", msg ? msg : "SQLite error");
        sqlite3_free(msg);
        return -1;
    }
    return 0;
}

static int held_by_another(state *st, const char *pid, quire_error *err)
{
    return quire_err_at(err, QUIRE_EXIT_USAGE, st->path, 0, 0,
                        "another scheduler is using this state file%s%s%s; only one may",
                        *pid ? " (pid " : "", pid, *pid ? ")" : "");
}

/* Lock the state file itself: whatever name it was opened by, the same
 * inode is the same lock. */
static int lock_identity(state *st, quire_error *err)
{
    struct flock fl;
    struct stat sb;
    char pid[32] = "";

    st->self_fd = open(st->path, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (st->self_fd < 0)
        return quire_err_at(err, QUIRE_EXIT_USAGE, st->path, 0, 0,
                            "cannot open the state file: %s", strerror(errno));
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = LOCK_BYTE;
    fl.l_len = 1;
    if (fcntl(st->self_fd, F_OFD_SETLK, &fl)) {
        if (errno != EAGAIN && errno != EACCES)
            return quire_err_at(err, QUIRE_EXIT_USAGE, st->path, 0, 0,
                                "cannot lock the state file: %s", strerror(errno));
        memset(&fl, 0, sizeof fl);
        fl.l_type = F_WRLCK;
        fl.l_whence = SEEK_SET;
        fl.l_start = LOCK_BYTE + 1;
        fl.l_len = 1;
        if (fcntl(st->self_fd, F_GETLK, &fl) == 0 && fl.l_type != F_UNLCK && fl.l_pid > 0)
            snprintf(pid, sizeof pid, "%ld", (long)fl.l_pid);
        return held_by_another(st, pid, err);
    }
    memset(&fl, 0, sizeof fl);
    fl.l_type = F_WRLCK;
    fl.l_whence = SEEK_SET;
    fl.l_start = LOCK_BYTE + 1;
    fl.l_len = 1;
    if (fcntl(st->self_fd, F_SETLK, &fl))
        (void)0; /* only a hint for the message above */
    if (fstat(st->self_fd, &sb) == 0 && sb.st_nlink > 1)
        qlog(LOG_WARN, "%s: the state file has %ld names (hard links); use one: SQLite keeps "
                       "its write-ahead log beside the name it is opened by",
             st->path, (long)sb.st_nlink);
    return 0;
}

static int take_lock(state *st, quire_error *err)
{
    char *lp = xasprintf("%s.lock", st->path);
    char pid[32];
    int n;

    st->lock_fd = open(lp, O_RDWR | O_CREAT | O_CLOEXEC, 0644);
    if (st->lock_fd < 0) {
        quire_err_at(err, QUIRE_EXIT_USAGE, lp, 0, 0, "cannot open: %s", strerror(errno));
        free(lp);
        return -1;
    }
    if (flock(st->lock_fd, LOCK_EX | LOCK_NB)) {
        n = (int)read(st->lock_fd, pid, sizeof pid - 1);
        pid[n > 0 ? n : 0] = '\0';
        pid[strcspn(pid, "\n")] = '\0';
        held_by_another(st, pid, err);
        free(lp);
        return -1;
    }
    free(lp);
    if (lock_identity(st, err))
        return -1;
    n = snprintf(pid, sizeof pid, "%ld\n", (long)getpid());
    if (ftruncate(st->lock_fd, 0) == 0 && pwrite(st->lock_fd, pid, (size_t)n, 0) != n)
        (void)0; /* the pid is only a hint for the message above */
    return 0;
}

/* Whether the runs table has today's shape (a rerun column). */
static int has_rerun(state *st)
{
    sqlite3_stmt *q = NULL;
    int yes = 0;

    if (sqlite3_prepare_v2(st->db,
                           "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'rerun'",
                           -1, &q, NULL) == SQLITE_OK &&
        sqlite3_step(q) == SQLITE_ROW)
        yes = sqlite3_column_int(q, 0) > 0;
    sqlite3_finalize(q);
    return yes;
}

state *state_open(const char *path, int readonly, quire_error *err)
{
    state *st = xcalloc(1, sizeof *st);
    int shared = readonly == STATE_SHARED;
    int flags;

    if (shared)
        readonly = 0;
    flags = readonly ? SQLITE_OPEN_READONLY : SQLITE_OPEN_READWRITE | SQLITE_OPEN_CREATE;
    st->lock_fd = st->self_fd = -1;
    st->path = xstrdup(path);
    if (!readonly && !shared && take_lock(st, err))
        goto fail;
    if (sqlite3_open_v2(path, &st->db, flags, NULL) != SQLITE_OK) {
        quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "cannot open the state file: %s",
                     st->db ? sqlite3_errmsg(st->db) : "out of memory");
        goto fail;
    }
    sqlite3_busy_timeout(st->db, 5000);
    if (readonly) {
        if (exec(st, "SELECT count(*) FROM runs", err))
            goto fail;
        st->current = has_rerun(st);
        return st;
    }
    if (exec(st, "PRAGMA journal_mode=WAL; PRAGMA synchronous=FULL;", err) ||
        exec(st, "BEGIN IMMEDIATE", err))
        goto fail;
    if (exec(st, schema, err) || (!has_rerun(st) && exec(st, upgrade, err)) ||
        exec(st, "COMMIT", err)) {
        exec(st, "ROLLBACK", NULL);
        goto fail;
    }
    st->current = 1;
    return st;
fail:
    state_close(st);
    return NULL;
}

sqlite3 *state_db(state *st)
{
    return st->db;
}

const char *state_path(const state *st)
{
    return st->path;
}

void state_close(state *st)
{
    if (!st)
        return;
    if (st->db)
        sqlite3_close(st->db);
    /* After SQLite's: closing a descriptor of the file drops the locks this
     * process holds on it through any other. */
    if (st->self_fd >= 0)
        close(st->self_fd);
    if (st->lock_fd >= 0)
        close(st->lock_fd);
    free(st->path);
    free(st);
}

static sqlite3_stmt *prep(state *st, const char *sql, quire_error *err)
{
    sqlite3_stmt *q = NULL;
    if (sqlite3_prepare_v2(st->db, sql, -1, &q, NULL) != SQLITE_OK) {
        db_fail(st, err, "cannot prepare a query");
        return NULL;
    }
    return q;
}

static void text(sqlite3_stmt *q, int col, char *buf, size_t n)
{
    const unsigned char *t = sqlite3_column_text(q, col);
    snprintf(buf, n, "%s", t ? (const char *)t : "");
}

/* ------------------------------------------------------------ marks and runs */

int state_mark(state *st, const char *report, int64_t *mark, int *found, quire_error *err)
{
    sqlite3_stmt *q = prep(st, "SELECT last_scheduled FROM marks WHERE report = ?", err);
    int rc, type = SQLITE_INTEGER;

    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, report, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(q);
    *found = rc == SQLITE_ROW;
    *mark = *found ? sqlite3_column_int64(q, 0) : 0;
    if (*found)
        type = sqlite3_column_type(q, 0);
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(st, err, "cannot read the marks");
    if (type != SQLITE_INTEGER)
        return quire_err_at(err, QUIRE_EXIT_USAGE, st->path, 0, 0,
                            "the mark of report \"%s\" (the last fire time planned) is not a "
                            "time: the state file is damaged",
                            report);
    return 0;
}

int state_last_run(state *st, const char *report, int64_t before, int64_t *scheduled,
                   int *found, quire_error *err)
{
    sqlite3_stmt *q = prep(st, "SELECT max(scheduled) FROM runs WHERE report = ? AND scheduled <= ?",
                           err);
    int rc;

    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, before);
    rc = sqlite3_step(q);
    *found = rc == SQLITE_ROW && sqlite3_column_type(q, 0) == SQLITE_INTEGER;
    *scheduled = *found ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW && rc != SQLITE_DONE)
        return db_fail(st, err, "cannot read the runs");
    return 0;
}

int state_plan(state *st, const char *report, const run_new *runs, size_t n, int64_t mark,
               quire_error *err)
{
    sqlite3_stmt *q = NULL;
    size_t i;

    if (exec(st, "BEGIN IMMEDIATE", err))
        return -1;
    /* A fire time already in the ledger keeps its row: it is never run
     * twice. Only one recorded as skipped (by a pass whose --now was ahead
     * of the clock, or an older version's) runs when a pass finds it due. */
    q = prep(st,
             "INSERT INTO runs (report, scheduled, period, period_from, period_to, "
             "status, created) VALUES (?, ?, ?, ?, ?, ?, strftime('%s','now')) "
             "ON CONFLICT (report, scheduled, rerun) DO UPDATE SET status = excluded.status "
             "WHERE runs.status = 'skipped' AND excluded.status = 'pending'",
             err);
    if (!q)
        goto fail;
    for (i = 0; i < n; i++) {
        sqlite3_reset(q);
        sqlite3_bind_text(q, 1, report, -1, SQLITE_TRANSIENT);
        sqlite3_bind_int64(q, 2, runs[i].scheduled);
        sqlite3_bind_text(q, 3, runs[i].period, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 4, runs[i].from, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 5, runs[i].to, -1, SQLITE_TRANSIENT);
        sqlite3_bind_text(q, 6, runs[i].status, -1, SQLITE_TRANSIENT);
        if (sqlite3_step(q) != SQLITE_DONE) {
            db_fail(st, err, "cannot record a run");
            goto fail;
        }
    }
    sqlite3_finalize(q);
    q = prep(st, "INSERT INTO marks (report, last_scheduled) VALUES (?, ?) "
                 "ON CONFLICT(report) DO UPDATE SET last_scheduled = excluded.last_scheduled",
             err);
    if (!q)
        goto fail;
    sqlite3_bind_text(q, 1, report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, mark);
    if (sqlite3_step(q) != SQLITE_DONE) {
        db_fail(st, err, "cannot record the mark");
        goto fail;
    }
    sqlite3_finalize(q);
    return exec(st, "COMMIT", err);
fail:
    sqlite3_finalize(q);
    exec(st, "ROLLBACK", NULL);
    return -1;
}

/* The runs a query selects (its columns RUN_COLUMNS, then its parameters
 * bound by the caller), into *out (malloc'd). */
#define RUN_COLUMNS                                                                      \
    "id, report, scheduled, rerun, period, period_from, period_to, status, output, "     \
    "attempts, next_attempt, coalesce(finished, 0)"

static int read_runs(state *st, sqlite3_stmt *q, run_row **out, size_t *n, quire_error *err)
{
    size_t cap = 0;
    int rc;

    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        run_row *r;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        r = &(*out)[(*n)++];
        r->id = sqlite3_column_int64(q, 0);
        text(q, 1, r->report, sizeof r->report);
        r->scheduled = sqlite3_column_int64(q, 2);
        r->rerun = sqlite3_column_int(q, 3);
        text(q, 4, r->period, sizeof r->period);
        text(q, 5, r->from, sizeof r->from);
        text(q, 6, r->to, sizeof r->to);
        text(q, 7, r->status, sizeof r->status);
        text(q, 8, r->output, sizeof r->output);
        r->attempts = sqlite3_column_int(q, 9);
        r->next_attempt = sqlite3_column_int64(q, 10);
        r->finished = sqlite3_column_int64(q, 11);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(st, err, "cannot read the runs");
    return 0;
}

int state_open_runs(state *st, run_row **out, size_t *n, quire_error *err)
{
    sqlite3_stmt *q = prep(st,
                           "SELECT " RUN_COLUMNS " FROM runs WHERE status IN ('pending', "
                           "'running', 'abandoned', 'retrying', 'delivering') "
                           "ORDER BY scheduled, rerun, id",
                           err);

    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    return read_runs(st, q, out, n, err);
}

int state_period_runs(state *st, const char *report, const char *period, run_row **out,
                      size_t *n, quire_error *err)
{
    sqlite3_stmt *q = prep(st,
                           "SELECT " RUN_COLUMNS " FROM runs WHERE report = ? AND period = ? "
                           "ORDER BY scheduled DESC, rerun DESC, id DESC",
                           err);

    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 2, period, -1, SQLITE_TRANSIENT);
    return read_runs(st, q, out, n, err);
}

int state_run_get(state *st, int64_t id, run_row *out, quire_error *err)
{
    sqlite3_stmt *q = prep(st, "SELECT " RUN_COLUMNS " FROM runs WHERE id = ?", err);
    run_row *r = NULL;
    size_t n = 0;

    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, id);
    if (read_runs(st, q, &r, &n, err))
        return -1;
    if (n)
        *out = r[0];
    free(r);
    if (!n)
        return quire_err_at(err, QUIRE_EXIT_USAGE, st->path, 0, 0, "no run %lld in the ledger",
                            (long long)id);
    return 0;
}

/* The parameters the statements below share, by number: ?1 run id, ?2
 * now, ?3 output, ?4 reason, ?5 status, ?6 result, ?7 error, ?8 next
 * attempt; each statement uses those it needs. */
typedef struct run_args {
    int64_t id, now, next;
    const char *output, *reason, *status, *result, *error;
} run_args;

static void bind_args(sqlite3_stmt *q, const run_args *a)
{
    int k, n = sqlite3_bind_parameter_count(q);

    for (k = 1; k <= n; k++) {
        const char *t = k == 3 ? a->output : k == 4 ? a->reason : k == 5 ? a->status
                      : k == 6 ? a->result : k == 7 ? a->error : NULL;
        if (k == 1)
            sqlite3_bind_int64(q, k, a->id);
        else if (k == 2)
            sqlite3_bind_int64(q, k, a->now);
        else if (k == 8)
            sqlite3_bind_int64(q, k, a->next);
        else if (t)
            sqlite3_bind_text(q, k, t, -1, SQLITE_TRANSIENT);
    }
}

/* Run the n statements of sql with the parameters a, in one transaction. */
static int in_transaction(state *st, const char *const *sql, size_t n, const run_args *a,
                          const char *what, quire_error *err)
{
    size_t i;

    if (exec(st, "BEGIN IMMEDIATE", err))
        return -1;
    for (i = 0; i < n; i++) {
        sqlite3_stmt *q = prep(st, sql[i], err);
        int rc;
        if (!q)
            goto fail;
        bind_args(q, a);
        rc = sqlite3_step(q);
        sqlite3_finalize(q);
        if (rc != SQLITE_DONE) {
            db_fail(st, err, what);
            goto fail;
        }
    }
    return exec(st, "COMMIT", err);
fail:
    exec(st, "ROLLBACK", NULL);
    return -1;
}

int state_run_begin(state *st, int64_t id, const char *output, const char *reason, int64_t now,
                    quire_error *err)
{
    static const char *const sql[] = {
        "UPDATE runs SET status = 'running', output = coalesce(?3, output), error = NULL, "
        "attempts = attempts + 1, next_attempt = 0, started = ?2, finished = NULL WHERE id = ?1",
        "INSERT INTO attempts (run_id, attempt, reason, started) "
        "SELECT id, attempts, ?4, ?2 FROM runs WHERE id = ?1"};
    run_args a = {0};

    a.id = id;
    a.now = now;
    a.output = output;
    a.reason = reason;
    return in_transaction(st, sql, 2, &a, "cannot record an attempt", err);
}

int state_run_end(state *st, int64_t id, const char *status, const char *result,
                  const char *error, int64_t next_attempt, int64_t now, quire_error *err)
{
    static const char *const sql[] = {
        "UPDATE attempts SET finished = ?2, result = ?6, error = ?7 WHERE run_id = ?1 AND "
        "attempt = (SELECT attempts FROM runs WHERE id = ?1)",
        "UPDATE runs SET status = ?5, error = ?7, next_attempt = ?8, "
        "finished = CASE WHEN ?5 = 'delivering' THEN finished ELSE ?2 END WHERE id = ?1"};
    run_args a = {0};

    a.id = id;
    a.now = now;
    a.status = status;
    a.result = result;
    a.error = error;
    a.next = next_attempt;
    return in_transaction(st, sql, 2, &a, "cannot record an attempt", err);
}

int state_rerun_reset(state *st, int64_t id, int render, quire_error *err)
{
    static const char *const sql[] = {
        "UPDATE deliveries SET status = 'retrying', next_attempt = 0 WHERE run_id = ?1 AND "
        "channel <> 'notify' AND status IN ('failed', 'retrying')",
        "UPDATE runs SET status = ?5, next_attempt = 0 WHERE id = ?1"};
    run_args a = {0};

    a.id = id;
    a.status = render ? RUN_PENDING : RUN_DELIVERING;
    return in_transaction(st, sql, 2, &a, "cannot prepare the rerun", err);
}

int state_run_add(state *st, const char *report, const run_new *run, int64_t now, int64_t *id,
                  quire_error *err)
{
    sqlite3_stmt *q = prep(st,
                           "INSERT INTO runs (report, scheduled, period, period_from, period_to, "
                           "status, created) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7) "
                           "ON CONFLICT (report, scheduled, rerun) DO NOTHING",
                           err);
    int rc;

    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, run->scheduled);
    sqlite3_bind_text(q, 3, run->period, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 4, run->from, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 5, run->to, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 6, run->status, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 7, now);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(st, err, "cannot record a run");
    q = prep(st, "SELECT id FROM runs WHERE report = ? AND scheduled = ? AND rerun = 0", err);
    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, run->scheduled);
    rc = sqlite3_step(q);
    *id = rc == SQLITE_ROW ? sqlite3_column_int64(q, 0) : 0;
    sqlite3_finalize(q);
    if (rc != SQLITE_ROW)
        return db_fail(st, err, "cannot read the runs");
    return 0;
}

int state_rerun_new(state *st, const run_row *of, int64_t now, int64_t *id, quire_error *err)
{
    sqlite3_stmt *q = prep(st,
                           "INSERT INTO runs (report, scheduled, rerun, period, period_from, "
                           "period_to, status, created) SELECT report, scheduled, "
                           "max(rerun) + 1, period, period_from, period_to, 'pending', ?2 "
                           "FROM runs WHERE report = (SELECT report FROM runs WHERE id = ?1) "
                           "AND scheduled = (SELECT scheduled FROM runs WHERE id = ?1)",
                           err);
    int rc;

    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, of->id);
    sqlite3_bind_int64(q, 2, now);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(st, err, "cannot record the rerun");
    *id = sqlite3_last_insert_rowid(st->db);
    return 0;
}

int state_run_set(state *st, int64_t id, const char *status, const char *output,
                  const char *error, int64_t now, quire_error *err)
{
    int final = strcmp(status, RUN_DONE) == 0 || strcmp(status, RUN_FAILED) == 0 ||
                strcmp(status, RUN_UNDELIVERED) == 0 || strcmp(status, RUN_ABANDONED) == 0;
    sqlite3_stmt *q = prep(st,
                           "UPDATE runs SET status = ?1, output = coalesce(?2, output), "
                           "error = ?3, finished = CASE WHEN ?4 THEN ?5 ELSE finished END "
                           "WHERE id = ?6",
                           err);
    int rc;

    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, status, -1, SQLITE_TRANSIENT);
    if (output)
        sqlite3_bind_text(q, 2, output, -1, SQLITE_TRANSIENT);
    if (error)
        sqlite3_bind_text(q, 3, error, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int(q, 4, final);
    sqlite3_bind_int64(q, 5, now);
    sqlite3_bind_int64(q, 6, id);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(st, err, "cannot update a run");
    return 0;
}

/* ------------------------------------------------------------ deliveries */

int state_delivery_add(state *st, int64_t run, const char *channel, const char *recipient,
                       quire_error *err)
{
    sqlite3_stmt *q = prep(st,
                           "INSERT OR IGNORE INTO deliveries (run_id, channel, recipient) "
                           "VALUES (?, ?, ?)",
                           err);
    int rc;

    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, run);
    sqlite3_bind_text(q, 2, channel, -1, SQLITE_TRANSIENT);
    sqlite3_bind_text(q, 3, recipient, -1, SQLITE_TRANSIENT);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(st, err, "cannot record a delivery");
    return 0;
}

int state_deliveries(state *st, int64_t run, delivery_row **out, size_t *n, quire_error *err)
{
    sqlite3_stmt *q = prep(st,
                           "SELECT id, channel, recipient, status, attempts, next_attempt "
                           "FROM deliveries WHERE run_id = ? ORDER BY id",
                           err);
    size_t cap = 0;
    int rc;

    *out = NULL;
    *n = 0;
    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, run);
    while ((rc = sqlite3_step(q)) == SQLITE_ROW) {
        delivery_row *d;
        if (*n == cap) {
            cap = cap ? cap * 2 : 8;
            *out = xrealloc(*out, cap * sizeof **out);
        }
        d = &(*out)[(*n)++];
        d->id = sqlite3_column_int64(q, 0);
        text(q, 1, d->channel, sizeof d->channel);
        text(q, 2, d->recipient, sizeof d->recipient);
        text(q, 3, d->status, sizeof d->status);
        d->attempts = sqlite3_column_int(q, 4);
        d->next_attempt = sqlite3_column_int64(q, 5);
    }
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(st, err, "cannot read the deliveries");
    return 0;
}

int state_delivery_begin(state *st, int64_t id, int64_t now, quire_error *err)
{
    sqlite3_stmt *q = prep(st,
                           "UPDATE deliveries SET status = 'sending', attempts = attempts + 1, "
                           "started = ? WHERE id = ?",
                           err);
    int rc;

    if (!q)
        return -1;
    sqlite3_bind_int64(q, 1, now);
    sqlite3_bind_int64(q, 2, id);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(st, err, "cannot update a delivery");
    return 0;
}

int state_delivery_end(state *st, int64_t id, int ok, const char *error, int64_t next_attempt,
                       int64_t now, quire_error *err)
{
    sqlite3_stmt *q = prep(st,
                           "UPDATE deliveries SET status = ?, error = ?, next_attempt = ?, "
                           "finished = ? WHERE id = ?",
                           err);
    int rc;

    if (!q)
        return -1;
    sqlite3_bind_text(q, 1, ok ? "sent" : next_attempt ? "retrying" : "failed", -1,
                      SQLITE_STATIC);
    if (!ok && error)
        sqlite3_bind_text(q, 2, error, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 3, next_attempt);
    sqlite3_bind_int64(q, 4, now);
    sqlite3_bind_int64(q, 5, id);
    rc = sqlite3_step(q);
    sqlite3_finalize(q);
    if (rc != SQLITE_DONE)
        return db_fail(st, err, "cannot update a delivery");
    return 0;
}

/* ------------------------------------------------------------ history */

static void put_time(FILE *out, sqlite3_stmt *q, int col, const char *zone)
{
    char buf[40];
    if (sqlite3_column_type(q, col) == SQLITE_NULL) {
        fputs("-", out);
        return;
    }
    iso_format((time_t)sqlite3_column_int64(q, col), zone, buf, sizeof buf);
    fputs(buf, out);
}

int state_history(state *st, FILE *out, const char *report, int deliveries, int attempts,
                  long limit, const char *zone, quire_error *err)
{
    sqlite3_stmt *q = prep(st,
                           st->current
                               ? "SELECT id, report, scheduled, period, status, attempts, "
                                 "started, finished, output, error, rerun, next_attempt FROM runs "
                                 "WHERE ?1 IS NULL OR report = ?1 "
                                 "ORDER BY scheduled DESC, rerun DESC, id DESC LIMIT ?2"
                               : "SELECT id, report, scheduled, period, status, attempts, "
                                 "started, finished, output, error, 0, 0 FROM runs "
                                 "WHERE ?1 IS NULL OR report = ?1 "
                                 "ORDER BY scheduled DESC, id DESC LIMIT ?2",
                           err);
    sqlite3_stmt *d = prep(st,
                           "SELECT channel, recipient, status, attempts, finished, error "
                           "FROM deliveries WHERE run_id = ? ORDER BY id",
                           err);
    sqlite3_stmt *a = NULL;
    int rc = -1, s;

    if (!q || !d)
        goto done;
    if (attempts && st->current &&
        !(a = prep(st,
                   "SELECT attempt, reason, started, result, error FROM attempts "
                   "WHERE run_id = ? ORDER BY attempt",
                   err)))
        goto done;
    if (report)
        sqlite3_bind_text(q, 1, report, -1, SQLITE_TRANSIENT);
    sqlite3_bind_int64(q, 2, limit > 0 ? limit : -1);
    fprintf(out, "%-6s %-20s %-25s %-10s %-11s %-3s %s\n", "RUN", "REPORT", "SCHEDULED", "PERIOD",
            "STATUS", "TRY", "OUTPUT / ERROR");
    while ((s = sqlite3_step(q)) == SQLITE_ROW) {
        const unsigned char *o = sqlite3_column_text(q, 8), *e = sqlite3_column_text(q, 9);
        int rerun = sqlite3_column_int(q, 10);
        fprintf(out, "%-6lld %-20s ", (long long)sqlite3_column_int64(q, 0),
                (const char *)sqlite3_column_text(q, 1));
        put_time(out, q, 2, zone);
        fprintf(out, " %-10s %-11s %-3d ", (const char *)sqlite3_column_text(q, 3),
                (const char *)sqlite3_column_text(q, 4), sqlite3_column_int(q, 5));
        if (rerun)
            fprintf(out, "(rerun %d)  ", rerun);
        fprintf(out, "%s%s%s", o ? (const char *)o : "", o && e ? "  " : "",
                e ? (const char *)e : "");
        if (strcmp((const char *)sqlite3_column_text(q, 4), RUN_RETRYING) == 0) {
            fputs("  next attempt ", out);
            put_time(out, q, 11, zone);
        }
        fputc('\n', out);
        if (a) {
            sqlite3_reset(a);
            sqlite3_bind_int64(a, 1, sqlite3_column_int64(q, 0));
            while (sqlite3_step(a) == SQLITE_ROW) {
                const unsigned char *r = sqlite3_column_text(a, 3), *ae = sqlite3_column_text(a, 4);
                fprintf(out, "         render   try %-2d %-9s ", sqlite3_column_int(a, 0),
                        (const char *)sqlite3_column_text(a, 1));
                put_time(out, a, 2, zone);
                fprintf(out, "  %s%s%s\n", r ? (const char *)r : "rendering", ae ? "  " : "",
                        ae ? (const char *)ae : "");
            }
        }
        if (!deliveries)
            continue;
        sqlite3_reset(d);
        sqlite3_bind_int64(d, 1, sqlite3_column_int64(q, 0));
        while (sqlite3_step(d) == SQLITE_ROW) {
            const unsigned char *de = sqlite3_column_text(d, 5);
            fprintf(out, "         %-8s %-40s %-8s try %d  ", (const char *)sqlite3_column_text(d, 0),
                    (const char *)sqlite3_column_text(d, 1), (const char *)sqlite3_column_text(d, 2),
                    sqlite3_column_int(d, 3));
            put_time(out, d, 4, zone);
            fprintf(out, "%s%s\n", de ? "  " : "", de ? (const char *)de : "");
        }
    }
    if (s != SQLITE_DONE) {
        db_fail(st, err, "cannot read the runs");
        goto done;
    }
    rc = 0;
done:
    sqlite3_finalize(q);
    sqlite3_finalize(d);
    sqlite3_finalize(a);
    return rc;
}
