/*
 * scheduler.h - running scheduled reports: deciding what is due (catch-up),
 * rendering each run for its own period, delivering, and the daemon loop.
 *
 * One pass: for each schedule, the fire times since the last one considered
 * are planned into the ledger (pending or skipped) in one transaction; then
 * every run with work left is rendered and delivered. Work is recorded before
 * it is done, so a pass interrupted anywhere is completed by the next one.
 */
#ifndef QUIRE_SCHEDULER_H
#define QUIRE_SCHEDULER_H

#include <stddef.h>
#include <time.h>

#include "error.h"
#include "schedule.h"
#include "spec.h"

typedef struct sched_opts {
    const char *state_path;
    const char *work_dir;          /* rendered PDFs; NULL = STATE.runs */
    const spec_override *params;   /* --param for every spec */
    size_t nparams;
    long long clock_offset;        /* added to the system clock (--now) */
    const char *base_url;          /* the report server's address, for the links
                                    * alerts carry (--base-url, QUIRE_BASE_URL);
                                    * NULL = no link */
} sched_opts;

/* Run what is due at `now` once. Returns an exit status: 0, 2 when a report
 * failed to render, 3 when a delivery failed (it may be retried later), or
 * 1 with err set when the state file cannot be used. */
int sched_run_due(schedule *const *v, size_t n, const sched_opts *o, time_t now,
                  quire_error *err);

/* quire rerun: render and deliver s's run for period label now (the latest
 * of that period in the ledger; failed, skipped, waiting for a retry or not
 * fully delivered; with none, the run of the first fire time that reports
 * on it, recorded), as an attempt of it; the recipients that have it are not
 * sent it again. A period delivered (a run done) is refused (status 1)
 * unless force, which makes a new run of it delivered to everyone. Returns
 * an exit status as sched_run_due does. */
int sched_rerun(const schedule *s, const char *label, int force, const sched_opts *o,
                time_t now, quire_error *err);

/* Run until SIGTERM or SIGINT. Returns an exit status (0 on a clean stop). */
int sched_daemon(schedule *const *v, size_t n, const sched_opts *o, quire_error *err);

#endif
