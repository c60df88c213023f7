/*
 * state.h - the scheduler's ledger in SQLite: runs and deliveries, and the
 * lock that lets one scheduler at a time use a state file.
 *
 * Every change is committed before the work it announces is done (a run is
 * recorded "pending" before it is rendered, a delivery "sending" before it is
 * sent), so after a crash the ledger says what may be unfinished.
 */
#ifndef QUIRE_STATE_H
#define QUIRE_STATE_H

#include <stdint.h>
#include <stdio.h>
#include <time.h>

#include "error.h"

typedef struct state state;

/* Open (creating) the state file and take its lock (STATE.lock). A second
 * holder gets an error naming the first's pid (code QUIRE_EXIT_USAGE).
 * readonly (STATE_READONLY): no lock, no creation (for history).
 * STATE_SHARED: read and write (creating the file and its tables) without
 * the scheduler's lock, beside a running scheduler: for what changes the
 * subscriptions and alerts (alerts.h), which SQLite's own locking keeps
 * consistent. */
#define STATE_SCHEDULER 0
#define STATE_READONLY 1
#define STATE_SHARED 2
state *state_open(const char *path, int readonly, quire_error *err);
void state_close(state *st);
/* The SQLite connection and the file's path, for the modules that keep
 * tables of their own in the ledger (alerts.c). */
struct sqlite3;
struct sqlite3 *state_db(state *st);
const char *state_path(const state *st);

/* Run statuses. */
#define RUN_PENDING "pending"       /* decided, not started */
#define RUN_RUNNING "running"       /* rendering (or was, when the process died) */
#define RUN_ABANDONED "abandoned"   /* stopped by a signal; redone on restart */
#define RUN_DELIVERING "delivering" /* rendered; deliveries not all finished */
#define RUN_DONE "done"
#define RUN_RETRYING "retrying"     /* failed for now (a source down); rendered
                                     * again at next_attempt */
#define RUN_FAILED "failed"         /* the report could not be rendered */
#define RUN_UNDELIVERED "undelivered" /* some recipient failed every attempt */
#define RUN_SKIPPED "skipped"       /* missed while down; catch_up left it out */

typedef struct run_row {
    int64_t id;
    char report[128];
    int64_t scheduled;
    int rerun;               /* 0: the fire time's run; n: its nth forced rerun */
    char period[32], from[16], to[16];
    char status[16];
    char output[1024];
    int attempts;            /* renders begun */
    int64_t next_attempt;    /* retrying: when it is rendered again */
    int64_t finished;        /* 0 = not yet */
} run_row;

/* The last fire time considered for report; 0 with *found = 0 when none.
 * A mark that is not an integer is an error (the state file is damaged). */
int state_mark(state *st, const char *report, int64_t *mark, int *found, quire_error *err);
/* The latest fire time at or before `before` that the ledger has a run of
 * (in any status) for report; *found 0 when none. */
int state_last_run(state *st, const char *report, int64_t before, int64_t *scheduled,
                   int *found, quire_error *err);

/* One transaction: add the runs (status pending or skipped; those already
 * there are left alone, but for a skipped one now pending) and move the
 * report's mark to `mark`. */
typedef struct run_new {
    int64_t scheduled;
    const char *period, *from, *to, *status;
} run_new;
int state_plan(state *st, const char *report, const run_new *runs, size_t n, int64_t mark,
               quire_error *err);

/* Runs with work left (pending, running, abandoned, retrying, delivering),
 * oldest scheduled first. *out is malloc'd. */
int state_open_runs(state *st, run_row **out, size_t *n, quire_error *err);
/* The runs of report for period (any status), newest first. *out is
 * malloc'd. */
int state_period_runs(state *st, const char *report, const char *period, run_row **out,
                      size_t *n, quire_error *err);
/* Run id; an error when there is none. */
int state_run_get(state *st, int64_t id, run_row *out, quire_error *err);

/* Before rendering, in one transaction: the run "running" (with its output
 * when not NULL), attempts + 1, and a row in attempts for this one with its
 * reason ("scheduled", "retry", "restart", "rerun"). */
int state_run_begin(state *st, int64_t id, const char *output, const char *reason, int64_t now,
                    quire_error *err);
/* After rendering, in one transaction: the attempt's result ("rendered",
 * "transient", "permanent", "abandoned") and error, and the run's status,
 * error and next attempt (retrying; else 0). */
int state_run_end(state *st, int64_t id, const char *status, const char *result,
                  const char *error, int64_t next_attempt, int64_t now, quire_error *err);

/* Set a run's status after its deliveries (and output, error when not
 * NULL); finished is stamped for the final statuses. */
int state_run_set(state *st, int64_t id, const char *status, const char *output,
                  const char *error, int64_t now, quire_error *err);

/* What quire rerun does to a run it takes up, in one transaction: its
 * deliveries that failed or wait for a retry are due at once (those sent
 * stay sent), and the run is pending (render: rendered again) or delivering
 * (its PDF is delivered as it is). */
int state_rerun_reset(state *st, int64_t id, int render, quire_error *err);
/* Add run (for quire rerun, a fire time no pass recorded) without moving
 * the mark; one already there for its fire time is kept. *id is the
 * fire time's run. */
int state_run_add(state *st, const char *report, const run_new *run, int64_t now, int64_t *id,
                  quire_error *err);
/* A new run (pending) for the fire time and period of run `of`, its next
 * rerun number; *id is the new run's. */
int state_rerun_new(state *st, const run_row *of, int64_t now, int64_t *id, quire_error *err);

typedef struct delivery_row {
    int64_t id;
    char channel[16];
    char recipient[512];
    char status[16];     /* pending, sending, sent, retrying, failed */
    int attempts;
    int64_t next_attempt;
} delivery_row;

/* Add a delivery unless (run, channel, recipient) is there already. */
int state_delivery_add(state *st, int64_t run, const char *channel, const char *recipient,
                       quire_error *err);
int state_deliveries(state *st, int64_t run, delivery_row **out, size_t *n, quire_error *err);
/* Before sending: status sending, attempts + 1, committed. */
int state_delivery_begin(state *st, int64_t id, int64_t now, quire_error *err);
/* After: sent, or not with the error and the next attempt's time: status
 * retrying until then, failed when it is 0 (no more attempts). */
int state_delivery_end(state *st, int64_t id, int ok, const char *error, int64_t next_attempt,
                       int64_t now, quire_error *err);

/* Print the runs (and with deliveries, each one's deliveries; with
 * attempts, each one's renders), newest first, at most limit runs (0 =
 * all), for report (NULL = all). */
int state_history(state *st, FILE *out, const char *report, int deliveries, int attempts,
                  long limit, const char *zone, quire_error *err);

#endif
