/*
 * test_state.c - the scheduler's ledger: the lock, marks and planning, the
 * status of runs and deliveries, history, and what a crash leaves behind
 * (and that the next scheduler takes it up again).
 */
#include <signal.h>
#include <sqlite3.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "check.h"
#include "ledger_sql.h"
#include "fixture.h"
#include "log.h"
#include "schedule.h"
#include "scheduler.h"
#include "state.h"

static char *path_in(const char *name)
{
    return xasprintf("%s/%s", dir, name);
}

static void sql_text(const char *db, const char *sql, char *buf, size_t n)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;

    snprintf(buf, n, "(no row)");
    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW) {
        const unsigned char *t = sqlite3_column_text(q, 0);
        snprintf(buf, n, "%s", t ? (const char *)t : "(null)");
    }
    sqlite3_finalize(q);
    sqlite3_close(h);
}

static char *read_all(const char *path)
{
    FILE *f = fopen(path, "rb");
    strbuf b = {0};
    char buf[4096];
    size_t n;

    if (!f)
        return NULL;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_add(&b, buf, n);
    fclose(f);
    if (!b.s)
        sb_add(&b, "", 0);
    return b.s;
}

/* ------------------------------------------------------------ the lock */

static void test_lock(void)
{
    char *db = path_in("lock.db"), *lock = path_in("lock.db.lock"), *text, want[1024];
    quire_error err = {0};
    state *st, *again, *ro;
    int ready[2], release[2];
    pid_t child;
    char c;

    st = state_open(db, 0, &err);
    CHECK(st != NULL);
    if (!st) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    /* The lock file holds the holder's pid, as a hint for the message. */
    text = read_all(lock);
    snprintf(want, sizeof want, "%ld\n", (long)getpid());
    CHECK_STR(text, want);
    free(text);

    /* A second open is refused, even from the same process (flock is per
     * open file), naming the holder. */
    again = state_open(db, 0, &err);
    CHECK(again == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, db);
    snprintf(want, sizeof want,
             "another scheduler is using this state file (pid %ld); only one may", (long)getpid());
    CHECK_STR(err.msg, want);
    state_close(again);

    /* Read-only (history) takes no lock. */
    memset(&err, 0, sizeof err);
    ro = state_open(db, 1, &err);
    CHECK(ro != NULL);
    CHECK(err.code == 0);
    state_close(ro);

    /* Closing lets the next one in. */
    state_close(st);
    st = state_open(db, 0, &err);
    CHECK(st != NULL);
    state_close(st);

    /* Another process holding it: refused, with that process's pid. */
    if (pipe(ready) || pipe(release)) {
        CHECK(0);
        goto out;
    }
    fflush(NULL);
    child = fork();
    if (child == 0) {
        quire_error e = {0};
        state *mine = state_open(db, 0, &e);
        close(ready[0]);
        close(release[1]);
        if (write(ready[1], mine ? "y" : "n", 1) != 1)
            _exit(3);
        if (read(release[0], &c, 1) < 0)
            _exit(3);
        state_close(mine);
        _exit(0);
    }
    close(ready[1]);
    close(release[0]);
    CHECK(child > 0);
    CHECK(read(ready[0], &c, 1) == 1 && c == 'y');
    st = state_open(db, 0, &err);
    CHECK(st == NULL);
    snprintf(want, sizeof want, "(pid %ld); only one may", (long)child);
    CHECK_CONTAINS(err.msg, want);
    state_close(st);
    close(release[1]); /* the child closes its ledger and exits */
    close(ready[0]);
    if (child > 0) {
        int status = 0;
        CHECK(waitpid(child, &status, 0) == child && WIFEXITED(status) &&
              WEXITSTATUS(status) == 0);
    }
    memset(&err, 0, sizeof err);
    st = state_open(db, 0, &err);
    CHECK(st != NULL);
    state_close(st);

out:
    free(db);
    free(lock);
}

/* The lock is on the state file itself: another name for it (a symlink, a
 * hard link) is the same ledger and gets no lock of its own. */
static void test_lock_identity(void)
{
    char *db = path_in("same.db"), *sym = path_in("same-symlink.db"), *hard = path_in("same-hard.db");
    char want[256], c;
    const char *const names[] = {db, sym, hard};
    quire_error err = {0};
    int ready[2], release[2], holder, other;
    state *st;

    st = state_open(db, 0, &err); /* create it */
    state_close(st);
    CHECK(symlink(db, sym) == 0);
    CHECK(link(db, hard) == 0);
    /* Each name held by another process: each other name is refused. */
    for (holder = 0; holder < 3; holder++) {
        pid_t child;
        if (pipe(ready) || pipe(release)) {
            CHECK(0);
            break;
        }
        fflush(NULL);
        child = fork();
        if (child == 0) {
            quire_error e = {0};
            state *mine = state_open(names[holder], 0, &e);
            close(ready[0]);
            close(release[1]);
            if (write(ready[1], mine ? "y" : "n", 1) != 1 || read(release[0], &c, 1) < 0)
                _exit(3);
            state_close(mine);
            _exit(0);
        }
        close(ready[1]);
        close(release[0]);
        CHECK(child > 0 && read(ready[0], &c, 1) == 1 && c == 'y');
        for (other = 0; other < 3; other++) {
            memset(&err, 0, sizeof err);
            st = state_open(names[other], 0, &err);
            if (st)
                fprintf(stderr, "%s opened while %s is held\n", names[other], names[holder]);
            CHECK(st == NULL);
            CHECK(err.code == QUIRE_EXIT_USAGE);
            CHECK_CONTAINS(err.msg, "another scheduler is using this state file");
            snprintf(want, sizeof want, "(pid %ld)", (long)child);
            CHECK_CONTAINS(err.msg, want);
            state_close(st);
        }
        close(release[1]);
        close(ready[0]);
        waitpid(child, NULL, 0);
    }
    /* Released: any name opens. */
    memset(&err, 0, sizeof err);
    st = state_open(hard, 0, &err);
    CHECK(st != NULL);
    state_close(st);
    free(db);
    free(sym);
    free(hard);
}

static void test_open_errors(void)
{
    quire_error err = {0};
    char *missing = path_in("missing.db"), *junk = path_in("junk.db");
    state *st;
    FILE *f;

    /* Read-only never creates the file. */
    st = state_open(missing, 1, &err);
    CHECK(st == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, missing);
    CHECK(strncmp(err.msg, "cannot open the state file: ", 28) == 0);
    CHECK(access(missing, F_OK) != 0);

    /* A folder that does not exist: the lock cannot be taken. */
    memset(&err, 0, sizeof err);
    st = state_open("/nonexistent-quire-dir/state.db", 0, &err);
    CHECK(st == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, "/nonexistent-quire-dir/state.db.lock");
    CHECK_STR(err.msg, "cannot open: No such file or directory");

    /* A file that is not a ledger. */
    f = fopen(junk, "w");
    if (f) {
        fputs("this is not a database, it is a text file long enough to have a header\n", f);
        fclose(f);
    }
    memset(&err, 0, sizeof err);
    st = state_open(junk, 1, &err);
    CHECK(st == NULL);
    CHECK(err.code != 0);
    CHECK_STR(err.file, junk);
    CHECK_CONTAINS(err.msg, "not a database");

    /* Opened to schedule with: the same, and a state-file error is status 1
     * (docs/cli.md), not 3, which means a delivery to retry. */
    memset(&err, 0, sizeof err);
    st = state_open(junk, 0, &err);
    CHECK(st == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_CONTAINS(err.msg, "not a database");
    {
        /* A database, but not a ledger: its runs table lacks columns. */
        char *other = path_in("other.db");
        int64_t mark;
        int found;
        sqlite3 *h = NULL;
        CHECK(sqlite3_open(other, &h) == SQLITE_OK &&
              sqlite3_exec(h, "CREATE TABLE runs (id INTEGER PRIMARY KEY, note TEXT);"
                              "CREATE TABLE marks (report TEXT);",
                           NULL, NULL, NULL) == SQLITE_OK);
        sqlite3_close(h);
        memset(&err, 0, sizeof err);
        st = state_open(other, 0, &err);
        if (st) {
            run_row *r = NULL;
            size_t n = 0;
            CHECK(state_open_runs(st, &r, &n, &err) == -1 ||
                  state_mark(st, "r", &mark, &found, &err) == -1);
            free(r);
        }
        CHECK(err.code == QUIRE_EXIT_USAGE);
        state_close(st);
        free(other);
    }
    free(missing);
    free(junk);
}

/* ------------------------------------------------------------ marks and plans */

static void test_plan(void)
{
    char *db = path_in("plan.db");
    quire_error err = {0};
    state *st = state_open(db, 0, &err);
    run_row *r = NULL;
    size_t n = 0;
    int64_t mark = 42;
    int found = 7;
    /* Given out of order: the ledger lists them by scheduled time. */
    run_new first[] = {
        {2000, "2024-02", "2024-02", "2024-02", RUN_PENDING},
        {1000, "2024-01", "2024-01", "2024-01", RUN_PENDING},
        {500, "2023-12", "2023-12", "2023-12", RUN_SKIPPED},
    };
    run_new second[] = {
        {2000, "2024-02", "X", "X", RUN_SKIPPED}, /* there already: left alone */
        {3000, "2024-03", "2024-03-01", "2024-03-31", RUN_PENDING},
    };
    run_new more[] = {
        {4000, "2024-04", "2024-04", "2024-04", RUN_PENDING},
        {5000, "2024-05", "2024-05", "2024-05", RUN_PENDING},
    };

    CHECK(st != NULL);
    if (!st) {
        fprintf(stderr, "%s\n", err.msg);
        free(db);
        return;
    }
    CHECK(state_mark(st, "monthly", &mark, &found, &err) == 0);
    CHECK(found == 0 && mark == 0);

    /* A first sight records the mark alone. */
    CHECK(state_plan(st, "weekly", NULL, 0, 777, &err) == 0);
    CHECK(state_mark(st, "weekly", &mark, &found, &err) == 0);
    CHECK(found == 1 && mark == 777);
    CHECK(state_open_runs(st, &r, &n, &err) == 0);
    CHECK(n == 0);
    free(r);

    CHECK(state_plan(st, "monthly", first, 3, 2000, &err) == 0);
    CHECK(state_mark(st, "monthly", &mark, &found, &err) == 0);
    CHECK(found == 1 && mark == 2000);
    CHECK(state_mark(st, "weekly", &mark, &found, &err) == 0);
    CHECK(found == 1 && mark == 777); /* marks are per report */

    /* Skipped runs are recorded but have no work left. */
    CHECK(state_open_runs(st, &r, &n, &err) == 0);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(r[0].scheduled == 1000 && r[1].scheduled == 2000);
        CHECK_STR(r[0].report, "monthly");
        CHECK_STR(r[0].period, "2024-01");
        CHECK_STR(r[0].from, "2024-01");
        CHECK_STR(r[0].to, "2024-01");
        CHECK_STR(r[0].status, RUN_PENDING);
        CHECK_STR(r[0].output, "");
        CHECK(r[0].attempts == 0);
        CHECK(r[0].id != r[1].id);
    }
    free(r);
    CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE status = 'skipped' AND scheduled = 500") ==
          1);

    /* Planning again: a run already there keeps its status and period. */
    CHECK(state_plan(st, "monthly", second, 2, 3000, &err) == 0);
    CHECK(state_open_runs(st, &r, &n, &err) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK(r[1].scheduled == 2000);
        CHECK_STR(r[1].status, RUN_PENDING);
        CHECK_STR(r[1].from, "2024-02");
        CHECK(r[2].scheduled == 3000);
        CHECK_STR(r[2].from, "2024-03-01");
        CHECK_STR(r[2].to, "2024-03-31");
    }
    free(r);
    CHECK(sql_int(db, "SELECT count(*) FROM runs") == 4);
    CHECK(state_mark(st, "monthly", &mark, &found, &err) == 0);
    CHECK(mark == 3000);

    /* One transaction: when the mark cannot be moved, the runs planned with
     * it are not recorded either. */
    CHECK(sql_exec(db, "CREATE TRIGGER refuse BEFORE INSERT ON marks "
                       "WHEN NEW.last_scheduled = 5000 BEGIN SELECT RAISE(ABORT, 'mark refused'); END") == 0);
    memset(&err, 0, sizeof err);
    CHECK(state_plan(st, "monthly", more, 2, 5000, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_USAGE); /* a state-file error */
    CHECK_STR(err.file, db);
    CHECK_STR(err.msg, "cannot record the mark: mark refused");
    CHECK(sql_int(db, "SELECT count(*) FROM runs") == 4);
    CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE scheduled IN (4000, 5000)") == 0);
    CHECK(state_mark(st, "monthly", &mark, &found, &err) == 0);
    CHECK(mark == 3000);
    /* ... and the ledger is usable afterwards (no transaction left open). */
    CHECK(state_plan(st, "monthly", more, 2, 4999, &err) == 0);
    CHECK(sql_int(db, "SELECT count(*) FROM runs") == 6);
    CHECK(state_mark(st, "monthly", &mark, &found, &err) == 0);
    CHECK(mark == 4999);

    state_close(st);
    free(db);
}

/* ------------------------------------------------------------ runs */

static int find_open(state *st, int64_t id, run_row *out)
{
    quire_error err = {0};
    run_row *r = NULL;
    size_t n = 0, i;
    int found = 0;

    if (state_open_runs(st, &r, &n, &err))
        return -1;
    for (i = 0; i < n; i++)
        if (r[i].id == id) {
            *out = r[i];
            found = 1;
        }
    free(r);
    return found;
}

static void test_runs(void)
{
    char *db = path_in("runs.db"), q[256], buf[256];
    quire_error err = {0};
    state *st = state_open(db, 0, &err);
    run_new plan[] = {
        {100, "2024-01", "2024-01", "2024-01", RUN_PENDING},
        {200, "2024-02", "2024-02", "2024-02", RUN_PENDING},
        {300, "2024-03", "2024-03", "2024-03", RUN_PENDING},
        {400, "2024-04", "2024-04", "2024-04", RUN_PENDING},
    };
    run_row *r = NULL, row;
    size_t n = 0;
    int64_t a, b, c, d;

    CHECK(st != NULL);
    if (!st || state_plan(st, "r", plan, 4, 400, &err) || state_open_runs(st, &r, &n, &err) ||
        n != 4) {
        CHECK(0);
        fprintf(stderr, "%s\n", err.msg);
        free(r);
        state_close(st);
        free(db);
        return;
    }
    a = r[0].id, b = r[1].id, c = r[2].id, d = r[3].id;
    free(r);

    /* pending -> running: an attempt, started stamped, the output noted. */
    CHECK(state_run_begin(st, a, "/out/a.pdf", "scheduled", 1010, &err) == 0);
    CHECK(find_open(st, a, &row) == 1);
    CHECK_STR(row.status, RUN_RUNNING);
    CHECK_STR(row.output, "/out/a.pdf");
    CHECK(row.attempts == 1);
    snprintf(q, sizeof q, "SELECT started FROM runs WHERE id = %lld", (long long)a);
    CHECK(sql_int(db, q) == 1010);
    snprintf(q, sizeof q, "SELECT finished FROM runs WHERE id = %lld", (long long)a);
    CHECK(sql_int(db, q) == -1);

    /* running -> delivering: still open, output kept (NULL keeps it), no
     * new attempt, not finished. */
    CHECK(state_run_set(st, a, RUN_DELIVERING, NULL, "b@example.com: 451", 1020, &err) == 0);
    CHECK(find_open(st, a, &row) == 1);
    CHECK_STR(row.status, RUN_DELIVERING);
    CHECK_STR(row.output, "/out/a.pdf");
    CHECK(row.attempts == 1);
    snprintf(q, sizeof q, "SELECT started FROM runs WHERE id = %lld", (long long)a);
    CHECK(sql_int(db, q) == 1010);
    snprintf(q, sizeof q, "SELECT finished FROM runs WHERE id = %lld", (long long)a);
    CHECK(sql_int(db, q) == -1);
    snprintf(q, sizeof q, "SELECT error FROM runs WHERE id = %lld", (long long)a);
    sql_text(db, q, buf, sizeof buf);
    CHECK_STR(buf, "b@example.com: 451");

    /* delivering -> done: finished, the error cleared, no work left. */
    CHECK(state_run_set(st, a, RUN_DONE, NULL, NULL, 1030, &err) == 0);
    CHECK(find_open(st, a, &row) == 0);
    snprintf(q, sizeof q, "SELECT finished FROM runs WHERE id = %lld", (long long)a);
    CHECK(sql_int(db, q) == 1030);
    snprintf(q, sizeof q, "SELECT error FROM runs WHERE id = %lld", (long long)a);
    sql_text(db, q, buf, sizeof buf);
    CHECK_STR(buf, "(null)");
    snprintf(q, sizeof q, "SELECT status || ' ' || output FROM runs WHERE id = %lld",
             (long long)a);
    sql_text(db, q, buf, sizeof buf);
    CHECK_STR(buf, "done /out/a.pdf");

    /* running -> failed: final, with its error. */
    CHECK(state_run_begin(st, b, "/out/b.pdf", "scheduled", 2010, &err) == 0);
    CHECK(state_run_end(st, b, RUN_FAILED, "permanent", "no data", 0, 2020, &err) == 0);
    CHECK(find_open(st, b, &row) == 0);
    snprintf(q, sizeof q, "SELECT status || '|' || error || '|' || finished FROM runs WHERE id = %lld",
             (long long)b);
    sql_text(db, q, buf, sizeof buf);
    CHECK_STR(buf, "failed|no data|2020");

    /* abandoned (stopped by a signal): still work left, redone later with a
     * second attempt. */
    CHECK(state_run_begin(st, c, "/out/c.pdf", "scheduled", 3010, &err) == 0);
    CHECK(state_run_end(st, c, RUN_ABANDONED, "abandoned", "stopped", 0, 3020, &err) == 0);
    CHECK(find_open(st, c, &row) == 1);
    CHECK_STR(row.status, RUN_ABANDONED);
    CHECK(row.attempts == 1);
    CHECK(state_run_begin(st, c, "/out/c2.pdf", "scheduled", 3030, &err) == 0);
    CHECK(find_open(st, c, &row) == 1);
    CHECK(row.attempts == 2);
    CHECK_STR(row.output, "/out/c2.pdf");
    snprintf(q, sizeof q, "SELECT started FROM runs WHERE id = %lld", (long long)c);
    CHECK(sql_int(db, q) == 3030);

    /* undelivered: final. */
    CHECK(state_run_begin(st, d, "/out/d.pdf", "scheduled", 4010, &err) == 0);
    CHECK(state_run_end(st, d, RUN_DELIVERING, "rendered", NULL, 0, 4020, &err) == 0);
    CHECK(state_run_set(st, d, RUN_UNDELIVERED, NULL, "a@example.com: refused", 4030, &err) == 0);
    CHECK(find_open(st, d, &row) == 0);
    snprintf(q, sizeof q, "SELECT finished FROM runs WHERE id = %lld", (long long)d);
    CHECK(sql_int(db, q) == 4030);

    state_close(st);
    free(db);
}

/* ------------------------------------------------------------ deliveries */

static void test_deliveries(void)
{
    char *db = path_in("deliv.db"), q[256], buf[256];
    quire_error err = {0};
    state *st = state_open(db, 0, &err);
    run_new plan[] = {
        {100, "2024-01", "2024-01", "2024-01", RUN_PENDING},
        {200, "2024-02", "2024-02", "2024-02", RUN_PENDING},
    };
    run_row *r = NULL;
    delivery_row *d = NULL;
    size_t n = 0, nd = 0;
    int64_t run1, run2;

    if (!st || state_plan(st, "r", plan, 2, 200, &err) || state_open_runs(st, &r, &n, &err) ||
        n != 2) {
        CHECK(0);
        fprintf(stderr, "%s\n", err.msg);
        free(r);
        state_close(st);
        free(db);
        return;
    }
    run1 = r[0].id, run2 = r[1].id;
    free(r);

    CHECK(state_delivery_add(st, run1, "folder", "/srv/archive", &err) == 0);
    CHECK(state_delivery_add(st, run1, "email", "a@example.com", &err) == 0);
    CHECK(state_delivery_add(st, run1, "email", "b@example.com", &err) == 0);
    CHECK(state_delivery_add(st, run1, "email", "a@example.com", &err) == 0); /* ignored */
    CHECK(state_delivery_add(st, run2, "email", "a@example.com", &err) == 0); /* another run */
    CHECK(state_deliveries(st, run1, &d, &nd, &err) == 0);
    CHECK(nd == 3);
    if (nd == 3) {
        CHECK_STR(d[0].channel, "folder");
        CHECK_STR(d[0].recipient, "/srv/archive");
        CHECK_STR(d[1].recipient, "a@example.com");
        CHECK_STR(d[2].recipient, "b@example.com");
        CHECK_STR(d[1].status, "pending");
        CHECK(d[1].attempts == 0 && d[1].next_attempt == 0);
    }
    if (nd != 3) {
        free(d);
        state_close(st);
        free(db);
        return;
    }

    /* Intent first: "sending" with the attempt counted before the send. */
    CHECK(state_delivery_begin(st, d[0].id, 1000, &err) == 0);
    CHECK(state_delivery_begin(st, d[1].id, 1000, &err) == 0);
    CHECK(state_delivery_begin(st, d[2].id, 1000, &err) == 0);
    {
        delivery_row *e = NULL;
        size_t ne = 0;
        CHECK(state_deliveries(st, run1, &e, &ne, &err) == 0);
        CHECK(ne == 3 && strcmp(e[1].status, "sending") == 0 && e[1].attempts == 1);
        free(e);
    }
    /* Sent; a failure to retry at 1060; a failure for good. */
    CHECK(state_delivery_end(st, d[0].id, 1, NULL, 0, 1001, &err) == 0);
    CHECK(state_delivery_end(st, d[1].id, 0, "451 try again later", 1060, 1002, &err) == 0);
    CHECK(state_delivery_end(st, d[2].id, 0, "550 no such user", 0, 1003, &err) == 0);
    {
        delivery_row *e = NULL;
        size_t ne = 0;
        CHECK(state_deliveries(st, run1, &e, &ne, &err) == 0);
        CHECK(ne == 3);
        if (ne == 3) {
            CHECK_STR(e[0].status, "sent");
            CHECK_STR(e[1].status, "retrying");
            CHECK(e[1].next_attempt == 1060);
            CHECK_STR(e[2].status, "failed");
            CHECK(e[2].next_attempt == 0);
        }
        free(e);
    }
    snprintf(q, sizeof q, "SELECT error FROM deliveries WHERE id = %lld", (long long)d[2].id);
    sql_text(db, q, buf, sizeof buf);
    CHECK_STR(buf, "550 no such user");
    snprintf(q, sizeof q, "SELECT coalesce(error, 'none') || '|' || finished FROM deliveries "
                          "WHERE id = %lld",
             (long long)d[0].id);
    sql_text(db, q, buf, sizeof buf);
    CHECK_STR(buf, "none|1001");

    /* The retry: a second attempt that succeeds clears the error. */
    CHECK(state_delivery_begin(st, d[1].id, 1060, &err) == 0);
    CHECK(state_delivery_end(st, d[1].id, 1, "ignored when ok", 0, 1061, &err) == 0);
    {
        delivery_row *e = NULL;
        size_t ne = 0;
        CHECK(state_deliveries(st, run1, &e, &ne, &err) == 0);
        CHECK(ne == 3 && strcmp(e[1].status, "sent") == 0 && e[1].attempts == 2 &&
              e[1].next_attempt == 0);
        free(e);
    }
    snprintf(q, sizeof q, "SELECT coalesce(error, 'none') FROM deliveries WHERE id = %lld",
             (long long)d[1].id);
    sql_text(db, q, buf, sizeof buf);
    CHECK_STR(buf, "none");
    free(d);

    /* The other run's delivery is its own. */
    CHECK(state_deliveries(st, run2, &d, &nd, &err) == 0);
    CHECK(nd == 1 && strcmp(d[0].status, "pending") == 0);
    free(d);
    CHECK(state_deliveries(st, 9999, &d, &nd, &err) == 0);
    CHECK(nd == 0 && d == NULL);
    free(d);

    state_close(st);
    free(db);
}

/* ------------------------------------------------------------ history */

static const char history_header[] =
    "RUN    REPORT               SCHEDULED                 PERIOD     STATUS      TRY "
    "OUTPUT / ERROR\n";

static void test_history(void)
{
    char *db = path_in("hist.db");
    quire_error err = {0};
    state *st = state_open(db, 0, &err);
    /* 2024-05-01T04:00:00Z and 2024-06-01T04:00:00Z */
    run_new plan[] = {
        {1714536000, "2024-04", "2024-04", "2024-04", RUN_PENDING},
        {1717214400, "2024-05", "2024-05", "2024-05", RUN_PENDING},
    };
    run_new other[] = {{1717300000, "2024-05-31", "2024-05-31", "2024-05-31", RUN_PENDING}};
    run_row *r = NULL;
    size_t n = 0;
    char *text = NULL;
    size_t len = 0;
    FILE *out;

    if (!st || state_plan(st, "monthly", plan, 2, 1717214400, &err) ||
        state_plan(st, "daily", other, 1, 1717300000, &err) ||
        state_open_runs(st, &r, &n, &err) || n != 3) {
        CHECK(0);
        fprintf(stderr, "%s\n", err.msg);
        free(r);
        state_close(st);
        free(db);
        return;
    }
    state_run_begin(st, r[0].id, "/out/m-2024-04.pdf", "scheduled", 1714536001, &err);
    state_run_set(st, r[0].id, RUN_DONE, NULL, NULL, 1714536002, &err);
    state_run_begin(st, r[1].id, "/out/m-2024-05.pdf", "scheduled", 1717214401, &err);
    state_run_set(st, r[1].id, RUN_UNDELIVERED, NULL, "smtp refused", 1717214402, &err);
    state_delivery_add(st, r[1].id, "email", "a@example.com", &err);
    free(r);
    state_close(st);

    /* From a read-only handle, as `quire history` opens it. */
    st = state_open(db, 1, &err);
    CHECK(st != NULL);
    if (!st) {
        free(db);
        return;
    }
    out = open_memstream(&text, &len);
    CHECK(state_history(st, out, "monthly", 1, 0, 0, "UTC", &err) == 0);
    fclose(out);
    CHECK(strncmp(text, history_header, strlen(history_header)) == 0);
    /* Newest first, times in the zone, output and error side by side. */
    CHECK_CONTAINS(text, "monthly              2024-06-01T04:00:00+00:00 2024-05    undelivered "
                         "1   /out/m-2024-05.pdf  smtp refused\n");
    CHECK_CONTAINS(text, "monthly              2024-05-01T04:00:00+00:00 2024-04    done        "
                         "1   /out/m-2024-04.pdf\n");
    CHECK(strstr(text, "2024-06-01T04") < strstr(text, "2024-05-01T04"));
    CHECK_CONTAINS(text, "         email    a@example.com                            pending  try 0  -\n");
    CHECK(strstr(text, "daily") == NULL);
    free(text);

    /* Another zone, every report, one run at most, no deliveries. */
    text = NULL;
    out = open_memstream(&text, &len);
    CHECK(state_history(st, out, NULL, 0, 0, 1, "Europe/Berlin", &err) == 0);
    fclose(out);
    CHECK_CONTAINS(text, "daily                2024-06-02T05:46:40+02:00 2024-05-31 pending     0   \n");
    CHECK(strstr(text, "monthly") == NULL);
    CHECK(strstr(text, "a@example.com") == NULL);
    free(text);

    state_close(st);
    free(db);
}

/* ------------------------------------------------------------ crashes */

/* A scheduler killed in the middle of a run: the kernel drops its lock, and
 * the ledger still holds everything it had committed. */
static void test_crash(void)
{
    char *db = path_in("crash.db");
    quire_error err = {0};
    run_row *r = NULL;
    delivery_row *d = NULL;
    size_t n = 0, nd = 0, i;
    int status = 0;
    pid_t child;
    state *st;

    fflush(NULL);
    child = fork();
    if (child == 0) {
        run_new plan[] = {
            {100, "2024-01", "2024-01", "2024-01", RUN_PENDING},
            {200, "2024-02", "2024-02", "2024-02", RUN_PENDING},
            {300, "2024-03", "2024-03", "2024-03", RUN_PENDING},
        };
        quire_error e = {0};
        state *mine = state_open(db, 0, &e);
        run_row *rr = NULL;
        size_t nr = 0;
        if (!mine || state_plan(mine, "r", plan, 3, 300, &e) ||
            state_open_runs(mine, &rr, &nr, &e) || nr != 3)
            _exit(3);
        /* The first was rendered and is being delivered; the second is
         * being rendered; the third was not started. */
        state_run_begin(mine, rr[0].id, "/out/1.pdf", "restart", 110, &e);
        state_run_end(mine, rr[0].id, RUN_DELIVERING, "rendered", NULL, 0, 120, &e);
        state_delivery_add(mine, rr[0].id, "email", "a@example.com", &e);
        state_delivery_add(mine, rr[0].id, "email", "b@example.com", &e);
        state_delivery_add(mine, rr[0].id, "folder", "/srv/out", &e);
        state_deliveries(mine, rr[0].id, &d, &nd, &e);
        state_delivery_begin(mine, d[0].id, 130, &e);
        state_delivery_end(mine, d[0].id, 1, NULL, 0, 131, &e);
        state_delivery_begin(mine, d[1].id, 132, &e); /* killed while sending */
        state_run_begin(mine, rr[1].id, "/out/2.pdf", "restart", 210, &e);
        kill(getpid(), SIGKILL);
        _exit(4);
    }
    CHECK(child > 0);
    if (child <= 0) {
        free(db);
        return;
    }
    waitpid(child, &status, 0);
    CHECK(WIFSIGNALED(status) && WTERMSIG(status) == SIGKILL);

    /* The lock went with the process (its file and pid hint stay). */
    st = state_open(db, 0, &err);
    CHECK(st != NULL);
    if (!st) {
        fprintf(stderr, "%s\n", err.msg);
        free(db);
        return;
    }
    CHECK(state_open_runs(st, &r, &n, &err) == 0);
    CHECK(n == 3);
    if (n == 3) {
        CHECK_STR(r[0].status, RUN_DELIVERING);
        CHECK_STR(r[0].output, "/out/1.pdf");
        CHECK_STR(r[1].status, RUN_RUNNING); /* what may be unfinished */
        CHECK_STR(r[1].output, "/out/2.pdf");
        CHECK(r[1].attempts == 1);
        CHECK_STR(r[2].status, RUN_PENDING);
        CHECK(r[2].attempts == 0);
        CHECK(state_deliveries(st, r[0].id, &d, &nd, &err) == 0);
        CHECK(nd == 3);
        if (nd == 3) {
            CHECK_STR(d[0].status, "sent");
            CHECK_STR(d[1].status, "sending"); /* maybe sent */
            CHECK(d[1].attempts == 1);
            CHECK_STR(d[2].status, "pending");
        }
        free(d);
    }
    /* Taking the interrupted run up again counts a second attempt. */
    for (i = 0; i < n; i++)
        if (strcmp(r[i].status, RUN_RUNNING) == 0) {
            run_row again;
            CHECK(state_run_begin(st, r[i].id, "/out/2.pdf", "restart", 500, &err) == 0);
            CHECK(find_open(st, r[i].id, &again) == 1 && again.attempts == 2);
        }
    free(r);
    state_close(st);
    free(db);
}

/* The scheduler itself, after a crash: a run left "running" is rendered
 * again and delivered, and the new pass plans nothing twice. */
static const char crash_spec[] =
    "title: Crash\n"
    "parameters:\n"
    "  from: { type: month, default: 2024-01 }\n"
    "  to: { type: month, default: 2024-01 }\n"
    "periods: { from: \"${from}\", to: \"${to}\", history: 1 }\n"
    "sources:\n"
    "  customers: { plugin: csv, path: customers.csv, columns: { id: integer, since: date } }\n"
    "  orders: { plugin: csv, path: orders.csv,\n"
    "            columns: { id: integer, day: date, amount: number } }\n"
    "entities: { source: customers, key: id, since: since }\n"
    "facts:\n"
    "  - { source: orders, key: id, date: day, measures: { orders: count } }\n"
    "segments: { rule: rule.lua, list: [Everyone] }\n"
    "kpis: { customers: count.lua }\n"
    "sections:\n"
    "  - title: S\n"
    "    blocks:\n"
    "      - paragraph: Period ${from}\n"
    "schedule:\n"
    "  name: crash\n"
    "  cron: \"0 6 1 * *\"\n"
    "  tz: UTC\n"
    "  deliver: [ { folder: archive, name: \"{report}-{period}.pdf\" } ]\n";

static void test_restart(void)
{
    char *db = path_in("restart.db"), *pdf = path_in("archive/crash-2024-04.pdf");
    char *work = path_in("work");
    quire_error err = {0};
    schedule *s;
    state *st;
    sched_opts o;
    run_row *r = NULL;
    size_t n = 0;
    /* 2024-05-01T06:00:00Z: the run for April. */
    run_new plan[] = {{1714543200, "2024-04", "2024-04", "2024-04", RUN_PENDING}};
    int rc, level = quire_log_level;

    fixture_put("crash.yaml", crash_spec);
    fixture_put("customers.csv", "id,since\n1,2023-01-01\n2,2024-04-10\n");
    fixture_put("orders.csv", "id,day,amount\n1,2024-04-02,10\n2,2024-04-11,20\n");
    fixture_put("rule.lua", "return function(c) return 'Everyone' end\n");
    fixture_put("count.lua", "return { unit = 'count', value = function(s) return s.customers end }\n");
    {
        char *spec_path = path_in("crash.yaml");
        s = schedule_load(spec_path, NULL, 0, &err);
        free(spec_path);
    }
    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        goto out;
    }
    /* The ledger a killed scheduler left: planned, taken up, not finished. */
    st = state_open(db, 0, &err);
    CHECK(st != NULL);
    if (!st)
        goto out;
    CHECK(state_plan(st, "crash", plan, 1, 1714543200, &err) == 0);
    CHECK(state_open_runs(st, &r, &n, &err) == 0 && n == 1);
    if (n == 1)
        CHECK(state_run_begin(st, r[0].id, "/nonexistent/half.pdf", "restart", 1714543201, &err) == 0);
    free(r);
    state_close(st);

    memset(&o, 0, sizeof o);
    o.state_path = db;
    o.work_dir = work;
    quire_log_level = LOG_QUIET;
    /* Ten minutes later: no new fire time is due. */
    rc = sched_run_due(&s, 1, &o, 1714543800, &err);
    quire_log_level = level;
    CHECK(rc == 0);
    if (rc)
        fprintf(stderr, "run-due: %d %s\n", rc, err.msg);
    CHECK(access(pdf, F_OK) == 0);
    CHECK(sql_int(db, "SELECT count(*) FROM runs") == 1);
    CHECK(sql_int(db, "SELECT attempts FROM runs") == 2);
    {
        char buf[512], want[512];
        sql_text(db, "SELECT status FROM runs", buf, sizeof buf);
        CHECK_STR(buf, RUN_DONE);
        sql_text(db, "SELECT output FROM runs", buf, sizeof buf);
        snprintf(want, sizeof want, "%s/crash-2024-04-run1.pdf", work);
        CHECK_STR(buf, want);
        sql_text(db, "SELECT status || ' ' || attempts FROM deliveries WHERE channel = 'folder'",
                 buf, sizeof buf);
        CHECK_STR(buf, "sent 1");
    }
out:
    schedule_free(s);
    free(db);
    free(pdf);
    free(work);
}

/* ------------------------------------------------------------ retries and reruns */

/* Each render is an attempt with its reason and result; a run that failed
 * for now waits (retrying) with its next attempt and is open work. */
static void test_attempts(void)
{
    char *db = path_in("attempts.db"), buf[512];
    quire_error err = {0};
    state *st = state_open(db, 0, &err);
    run_new plan[] = {{100, "2024-01", "2024-01", "2024-01", RUN_PENDING}};
    run_row row;
    int64_t id;

    if (!st || state_plan(st, "r", plan, 1, 100, &err)) {
        CHECK(0);
        fprintf(stderr, "%s\n", err.msg);
        state_close(st);
        free(db);
        return;
    }
    id = sql_int(db, "SELECT id FROM runs");
    CHECK(state_run_begin(st, id, "/out/a.pdf", "scheduled", 110, &err) == 0);
    sql_text(db, "SELECT attempt || ' ' || reason || ' ' || started || ' ' || "
                 "coalesce(result, 'open') FROM attempts",
             buf, sizeof buf);
    CHECK_STR(buf, "1 scheduled 110 open");
    CHECK(state_run_end(st, id, RUN_RETRYING, "transient", "crm: connection refused", 1000, 120,
                        &err) == 0);
    CHECK(find_open(st, id, &row) == 1);
    CHECK_STR(row.status, RUN_RETRYING);
    CHECK(row.next_attempt == 1000);
    CHECK(row.attempts == 1);
    sql_text(db, "SELECT result || ' ' || finished || ' ' || error FROM attempts", buf,
             sizeof buf);
    CHECK_STR(buf, "transient 120 crm: connection refused");
    sql_text(db, "SELECT status || ' ' || error || ' ' || finished FROM runs", buf, sizeof buf);
    CHECK_STR(buf, "retrying crm: connection refused 120");

    /* The retry: a second attempt, the wait and the error cleared. */
    CHECK(state_run_begin(st, id, NULL, "retry", 1000, &err) == 0);
    CHECK(find_open(st, id, &row) == 1);
    CHECK_STR(row.status, RUN_RUNNING);
    CHECK_STR(row.output, "/out/a.pdf");
    CHECK(row.attempts == 2 && row.next_attempt == 0);
    CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE error IS NULL") == 1);
    CHECK(state_run_end(st, id, RUN_FAILED, "permanent", "no data", 0, 1010, &err) == 0);
    CHECK(find_open(st, id, &row) == 0);
    sql_text(db, "SELECT group_concat(attempt || ':' || reason || ':' || result, ' ') FROM "
                 "(SELECT * FROM attempts ORDER BY attempt)",
             buf, sizeof buf);
    CHECK_STR(buf, "1:scheduled:transient 2:retry:permanent");
    state_close(st);
    free(db);
}

/* What quire rerun does to the ledger: the runs of a period, a run taken up
 * again (its deliveries not sent due at once, those sent left alone), and a
 * forced rerun as a run of its own. */
static void test_reruns(void)
{
    char *db = path_in("reruns.db"), buf[512];
    quire_error err = {0};
    state *st = state_open(db, 0, &err);
    run_new plan[] = {{100, "2024-01", "2024-01", "2024-01", RUN_PENDING},
                      {200, "2024-01", "2024-01", "2024-01", RUN_SKIPPED},
                      {300, "2024-02", "2024-02", "2024-02", RUN_PENDING}};
    run_row *r = NULL, row;
    delivery_row *d = NULL;
    size_t n = 0, nd = 0;
    int64_t id, again;

    if (!st || state_plan(st, "r", plan, 3, 300, &err)) {
        CHECK(0);
        fprintf(stderr, "%s\n", err.msg);
        state_close(st);
        free(db);
        return;
    }
    /* Newest first, whatever their status. */
    CHECK(state_period_runs(st, "r", "2024-01", &r, &n, &err) == 0);
    CHECK(n == 2);
    if (n == 2) {
        CHECK(r[0].scheduled == 200 && r[1].scheduled == 100);
        CHECK_STR(r[0].status, RUN_SKIPPED);
    }
    free(r);
    CHECK(state_period_runs(st, "r", "2023-12", &r, &n, &err) == 0 && n == 0);
    free(r);
    CHECK(state_period_runs(st, "other", "2024-01", &r, &n, &err) == 0 && n == 0);
    free(r);

    /* A run rendered, one recipient sent, one failed for good, one waiting. */
    id = sql_int(db, "SELECT id FROM runs WHERE scheduled = 300");
    CHECK(state_run_begin(st, id, "/out/b.pdf", "scheduled", 310, &err) == 0);
    CHECK(state_run_end(st, id, RUN_DELIVERING, "rendered", NULL, 0, 320, &err) == 0);
    state_delivery_add(st, id, "email", "a@example.com", &err);
    state_delivery_add(st, id, "email", "b@example.com", &err);
    state_delivery_add(st, id, "webhook", "http://h/x", &err);
    state_delivery_add(st, id, "notify", "ops@example.com", &err);
    CHECK(state_deliveries(st, id, &d, &nd, &err) == 0 && nd == 4);
    if (nd == 4) {
        state_delivery_end(st, d[0].id, 1, NULL, 0, 330, &err);
        state_delivery_end(st, d[1].id, 0, "refused", 0, 330, &err);
        state_delivery_end(st, d[2].id, 0, "HTTP 500", 5000, 330, &err);
        state_delivery_end(st, d[3].id, 0, "refused", 0, 330, &err);
    }
    free(d);
    CHECK(state_run_set(st, id, RUN_UNDELIVERED, NULL, "refused", 340, &err) == 0);
    CHECK(state_rerun_reset(st, id, 0, &err) == 0);
    CHECK(state_run_get(st, id, &row, &err) == 0);
    CHECK_STR(row.status, RUN_DELIVERING);
    CHECK(state_deliveries(st, id, &d, &nd, &err) == 0 && nd == 4);
    if (nd == 4) {
        CHECK_STR(d[0].status, "sent");
        CHECK_STR(d[1].status, "retrying");
        CHECK(d[1].next_attempt == 0 && d[1].attempts == 0);
        CHECK_STR(d[2].status, "retrying");
        CHECK(d[2].next_attempt == 0);
        CHECK_STR(d[3].status, "failed"); /* the notice is not a delivery of the report */
    }
    free(d);
    /* A run to render again is pending. */
    CHECK(state_rerun_reset(st, id, 1, &err) == 0);
    CHECK(state_run_get(st, id, &row, &err) == 0);
    CHECK_STR(row.status, RUN_PENDING);

    /* Forced: a new run of the same fire time and period, numbered on. */
    CHECK(state_run_get(st, id, &row, &err) == 0);
    CHECK(state_rerun_new(st, &row, 400, &again, &err) == 0);
    CHECK(again != id);
    CHECK(state_rerun_new(st, &row, 500, &again, &err) == 0);
    CHECK(state_run_get(st, again, &row, &err) == 0);
    CHECK(row.rerun == 2 && row.scheduled == 300);
    CHECK_STR(row.period, "2024-02");
    CHECK_STR(row.status, RUN_PENDING);
    CHECK(row.attempts == 0);
    sql_text(db, "SELECT group_concat(rerun, ',') FROM (SELECT rerun FROM runs WHERE "
                 "scheduled = 300 ORDER BY rerun)",
             buf, sizeof buf);
    CHECK_STR(buf, "0,1,2");
    /* A plan that meets the fire time again leaves its runs alone. */
    CHECK(state_plan(st, "r", &plan[2], 1, 300, &err) == 0);
    CHECK(sql_int(db, "SELECT count(*) FROM runs WHERE scheduled = 300") == 3);
    CHECK(state_run_get(st, 999, &row, &err) == -1);
    CHECK_STR(err.msg, "no run 999 in the ledger");

    /* A run no pass recorded, added without moving the mark; one already
     * there for its fire time is kept. */
    {
        run_new old = {50, "2023-12", "2023-12", "2023-12", RUN_PENDING};
        run_new same = {300, "2024-02", "x", "x", RUN_PENDING};
        int64_t mark = 0, got;
        int found = 0;
        CHECK(state_run_add(st, "r", &old, 600, &got, &err) == 0);
        CHECK(state_run_get(st, got, &row, &err) == 0);
        CHECK(row.scheduled == 50 && row.rerun == 0);
        CHECK_STR(row.period, "2023-12");
        CHECK_STR(row.status, RUN_PENDING);
        CHECK(state_mark(st, "r", &mark, &found, &err) == 0 && found && mark == 300);
        CHECK(state_run_add(st, "r", &same, 600, &got, &err) == 0);
        CHECK(got == id);
        CHECK(state_run_get(st, id, &row, &err) == 0);
        CHECK_STR(row.from, "2024-02");
    }
    state_close(st);
    free(db);
}

/* A ledger from before reruns and retries: upgraded when a scheduler opens
 * it, its runs and deliveries kept; read as it is by history. */
static void test_upgrade(void)
{
    char *db = path_in("old.db"), *text = NULL;
    size_t len = 0;
    quire_error err = {0};
    state *st;
    FILE *out = fopen(db, "w"); /* an empty file is an empty database */

    if (out)
        fclose(out);
    CHECK(sql_exec(db, "CREATE TABLE marks (report TEXT PRIMARY KEY, last_scheduled INTEGER "
                       "NOT NULL);"
                       "CREATE TABLE runs (id INTEGER PRIMARY KEY, report TEXT NOT NULL, "
                       "scheduled INTEGER NOT NULL, period TEXT NOT NULL, period_from TEXT NOT "
                       "NULL, period_to TEXT NOT NULL, status TEXT NOT NULL, output TEXT, error "
                       "TEXT, attempts INTEGER NOT NULL DEFAULT 0, created INTEGER, started "
                       "INTEGER, finished INTEGER, UNIQUE (report, scheduled));"
                       "CREATE TABLE deliveries (id INTEGER PRIMARY KEY, run_id INTEGER NOT NULL "
                       "REFERENCES runs(id), channel TEXT NOT NULL, recipient TEXT NOT NULL, "
                       "status TEXT NOT NULL DEFAULT 'pending', attempts INTEGER NOT NULL "
                       "DEFAULT 0, next_attempt INTEGER NOT NULL DEFAULT 0, error TEXT, started "
                       "INTEGER, finished INTEGER, UNIQUE (run_id, channel, recipient));"
                       "INSERT INTO runs VALUES (5, 'r', 100, '2024-01', '2024-01', '2024-01', "
                       "'failed', '/out/x.pdf', 'old error', 2, 1, 2, 3);"
                       "INSERT INTO deliveries (run_id, channel, recipient, status) VALUES "
                       "(5, 'email', 'a@example.com', 'sent');") == 0);
    /* history reads it as it is */
    st = state_open(db, 1, &err);
    CHECK(st != NULL);
    if (st) {
        out = open_memstream(&text, &len);
        CHECK(state_history(st, out, NULL, 1, 1, 0, "UTC", &err) == 0);
        fclose(out);
        CHECK_CONTAINS(text, "failed      2   /out/x.pdf  old error\n");
        free(text);
        state_close(st);
    }
    CHECK(sql_int(db, "SELECT count(*) FROM pragma_table_info('runs') WHERE name = 'rerun'") == 0);
    st = state_open(db, 0, &err);
    CHECK(st != NULL);
    if (st) {
        run_row row;
        CHECK(state_run_get(st, 5, &row, &err) == 0);
        CHECK(row.rerun == 0 && row.attempts == 2 && row.next_attempt == 0);
        CHECK_STR(row.status, RUN_FAILED);
        CHECK_STR(row.output, "/out/x.pdf");
        CHECK(state_run_begin(st, 5, NULL, "rerun", 10, &err) == 0);
        CHECK(sql_int(db, "SELECT attempt FROM attempts WHERE run_id = 5") == 3);
        state_close(st);
    }
    CHECK(sql_int(db, "SELECT count(*) FROM deliveries WHERE run_id = 5 AND status = 'sent'") == 1);
    CHECK(sql_int(db, "SELECT count(*) FROM sqlite_master WHERE name = 'runs_upgraded'") == 0);
    free(db);
}

int main(void)
{
    if (fixture_open("/tmp/quire-state-"))
        return 2;
    test_lock();
    test_lock_identity();
    test_open_errors();
    test_plan();
    test_runs();
    test_deliveries();
    test_history();
    test_crash();
    test_restart();
    test_attempts();
    test_reruns();
    test_upgrade();
    fixture_close();
    return check_done("state");
}
