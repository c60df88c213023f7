/*
 * scheduler.c - planning, rendering and delivering scheduled runs.
 *
 * A run is rendered in a child process: a crash or a leak in rendering cannot
 * take the scheduler down, and a stop signal can abandon a render at once.
 */
#include "scheduler.h"

#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "deliver.h"
#include "log.h"
#include "run.h"
#include "state.h"
#include "util.h"

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

typedef struct pass_result {
    int render_failed, delivery_failed;
    time_t next_retry; /* 0 = none waiting */
} pass_result;

/* ------------------------------------------------------------ planning */

/* The fire times in (mark, now], keeping the last `keep` of them. */
static size_t fires_between(const schedule *s, time_t mark, time_t now, cron_fire *ring,
                            size_t keep, size_t *total)
{
    cron_fire f;
    time_t t = mark;
    size_t n = 0;

    *total = 0;
    while (cron_next(&s->cron, s->tz, t, &f) == 0 && f.at <= now) {
        ring[n % keep] = f;
        n++;
        t = f.at;
    }
    *total = n;
    return n < keep ? n : keep;
}

static int plan(state *st, const schedule *s, time_t now, quire_error *err)
{
    enum { KEEP_SKIPPED = 50 };
    size_t keep = (size_t)(s->catch_up_max > KEEP_SKIPPED ? s->catch_up_max : KEEP_SKIPPED);
    cron_fire *ring = xcalloc(keep, sizeof *ring);
    run_new *runs = NULL;
    period *per = NULL;
    int64_t mark;
    size_t total, kept, i, first, nrun, torun;
    int found, rc = -1;

    if (state_mark(st, s->report, &mark, &found, err))
        goto done;
    if (!found) /* first sight: a fire within the grace before now is due */
        mark = (int64_t)now - s->grace - 1;
    kept = fires_between(s, (time_t)mark, now, ring, keep, &total);
    if (total == 0) {
        rc = found ? 0 : state_plan(st, s->report, NULL, 0, mark, err);
        goto done;
    }
    first = total > keep ? total % keep : 0; /* the oldest kept, in the ring */
    if (s->catch_up == CATCH_ALL)
        torun = total < (size_t)s->catch_up_max ? total : (size_t)s->catch_up_max;
    else if (s->catch_up == CATCH_LATEST)
        torun = 1;
    else
        torun = (int64_t)now - ring[(first + kept - 1) % keep].at <= s->grace ? 1 : 0;
    runs = xcalloc(kept, sizeof *runs);
    per = xcalloc(kept, sizeof *per);
    for (i = 0, nrun = 0; i < kept; i++) {
        const cron_fire *f = &ring[(first + i) % keep];
        schedule_period(s, f->wall, &per[i]);
        runs[i].scheduled = f->at;
        runs[i].period = per[i].label;
        runs[i].from = per[i].from;
        runs[i].to = per[i].to;
        runs[i].status = i + torun >= kept ? RUN_PENDING : RUN_SKIPPED;
        nrun += i + torun >= kept;
    }
    if (total > torun)
        qlog(LOG_WARN, "%s: %zu run%s missed while the scheduler was down; catch_up %s runs %zu",
             s->report, total, total == 1 ? "" : "s",
             s->catch_up == CATCH_ALL ? "all:" : s->catch_up == CATCH_LATEST ? "latest:" : "skip:",
             nrun);
    rc = state_plan(st, s->report, runs, kept, ring[(first + kept - 1) % keep].at, err);
done:
    free(ring);
    free(runs);
    free(per);
    return rc;
}

/* ------------------------------------------------------------ rendering */

static char *run_output(const sched_opts *o, const run_row *r)
{
    char *dir = o->work_dir ? xstrdup(o->work_dir) : xasprintf("%s.runs", o->state_path);
    char *p;
    mkdir(dir, 0777);
    p = xasprintf("%s/%s-%s-run%lld.pdf", dir, r->report, r->period, (long long)r->id);
    free(dir);
    return p;
}

/* Render in a child. Returns 0, or -1 with err set; *stopped when a stop
 * signal abandoned it. */
static int render(const schedule *s, const sched_opts *o, const run_row *r, const char *out,
                  int *stopped, quire_error *err)
{
    int fds[2], status = 0;
    pid_t pid;
    quire_error child = {0}; /* the child's error, whole, through the pipe */
    char *buf = (char *)&child;
    ssize_t got = 0, k;

    *stopped = 0;
    if (pipe(fds))
        return quire_err(err, QUIRE_EXIT_DATA, "cannot create a pipe: %s", strerror(errno));
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return quire_err(err, QUIRE_EXIT_DATA, "cannot fork: %s", strerror(errno));
    }
    if (pid == 0) {
        spec_override *p = xcalloc(o->nparams + 2, sizeof *p);
        run_opts ro;
        quire_error e = {0};
        int rc;

        signal(SIGTERM, SIG_DFL);
        signal(SIGINT, SIG_DFL);
        close(fds[0]);
        if (o->nparams) /* params may be NULL when there are none */
            memcpy(p, o->params, o->nparams * sizeof *p);
        p[o->nparams].name = s->from_param;
        p[o->nparams].value = r->from;
        p[o->nparams + 1].name = s->to_param;
        p[o->nparams + 1].value = r->to;
        memset(&ro, 0, sizeof ro);
        ro.spec_path = s->spec_path;
        ro.out = out;
        ro.params = p;
        ro.nparams = o->nparams + 2;
        quire_log_level = LOG_QUIET;
        rc = run_report(&ro, &e);
        if (rc && write(fds[1], &e, sizeof e) < 0)
            rc = -1;
        free(p);
        _exit(rc ? (e.code ? e.code : QUIRE_EXIT_DATA) : 0);
    }
    close(fds[1]);
    for (;;) {
        k = read(fds[0], buf + got, sizeof child - (size_t)got);
        if (k > 0) {
            got += k;
            if ((size_t)got >= sizeof child)
                break;
            continue;
        }
        if (k < 0 && errno == EINTR) {
            if (stop_signal)
                kill(pid, SIGTERM);
            continue;
        }
        break;
    }
    close(fds[0]);
    while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
        if (stop_signal)
            kill(pid, SIGTERM);
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
        return 0;
    if (stop_signal) {
        *stopped = 1;
        return quire_err(err, QUIRE_EXIT_DATA, "stopped by a signal while rendering");
    }
    if (WIFSIGNALED(status))
        return quire_err(err, QUIRE_EXIT_DATA, "rendering died of signal %d", WTERMSIG(status));
    if ((size_t)got == sizeof child && child.msg[0]) {
        child.file[sizeof child.file - 1] = '\0';
        child.msg[sizeof child.msg - 1] = '\0';
        *err = child;
        err->code = WEXITSTATUS(status);
        return -1;
    }
    return quire_err(err, WEXITSTATUS(status), "rendering failed");
}

/* An error as one line for the log, the ledger and the on_failure email: its
 * diagnostic, or only its message when it names no where. */
static const char *err_text(const quire_error *e, char *buf, size_t n)
{
    return e->file[0] ? quire_err_format(e, buf, n) : e->msg;
}

/* ------------------------------------------------------------ delivery */

/* Stable per report, fire time and recipient: the Message-ID and the
 * webhook's Idempotency-Key. */
static char *delivery_key(const run_row *r, const char *channel, const char *recipient)
{
    unsigned long long h = 1469598103934665603ULL;
    const char *p;
    char name[64];
    size_t i;

    for (p = channel; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    h = (h ^ ':') * 1099511628211ULL;
    for (p = recipient; *p; p++)
        h = (h ^ (unsigned char)*p) * 1099511628211ULL;
    for (i = 0; r->report[i] && i < sizeof name - 1; i++) {
        char ch = r->report[i];
        name[i] = (ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') ||
                          (ch >= '0' && ch <= '9') || ch == '-' || ch == '.'
                      ? ch
                      : '_';
    }
    name[i] = '\0';
    return xasprintf("quire.%s.%lld.%016llx", name, (long long)r->scheduled, h);
}

static const char *channel_name(deliver_kind k)
{
    return k == DELIVER_FOLDER ? "folder" : k == DELIVER_EMAIL ? "email" : "webhook";
}

/* The target of a delivery row. */
static const deliver_target *find_target(const schedule *s, const delivery_row *d)
{
    size_t i, k;
    for (i = 0; i < s->ntargets; i++) {
        const deliver_target *t = &s->targets[i];
        if (strcmp(channel_name(t->kind), d->channel) != 0)
            continue;
        for (k = 0; k < t->nto; k++)
            if (strcmp(t->to[k], d->recipient) == 0)
                return t;
    }
    return NULL;
}

/* Tell on_failure's address, once per run (the ledger remembers). */
static void notify(state *st, const schedule *s, const run_row *r, const char *what,
                   time_t now)
{
    delivery_row *d = NULL;
    size_t nd = 0, i, k;
    quire_error e = {0};
    char when[40], et[QUIRE_ERROR_TEXT_MAX];

    if (!s->on_failure)
        return;
    for (k = 0; k < s->on_failure->nto; k++)
        if (state_delivery_add(st, r->id, "notify", s->on_failure->to[k], &e))
            qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
    if (state_deliveries(st, r->id, &d, &nd, &e)) {
        qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
        return;
    }
    iso_format((time_t)r->scheduled, s->tz, when, sizeof when);
    for (i = 0; i < nd; i++) {
        char *key, *subject, *text;
        int ok;
        if (strcmp(d[i].channel, "notify") != 0 || strcmp(d[i].status, "sent") == 0)
            continue;
        key = delivery_key(r, "notify", d[i].recipient);
        subject = xasprintf("Quire: %s for %s failed", r->report, r->period);
        text = xasprintf("The scheduled run %lld of %s (scheduled %s, period %s) failed:\n\n%s\n",
                         (long long)r->id, r->report, when, r->period, what);
        if (state_delivery_begin(st, d[i].id, now, &e) == 0) {
            ok = deliver_notice(s->on_failure, d[i].recipient, subject, text, key, &e) == 0;
            if (!ok)
                qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
            state_delivery_end(st, d[i].id, ok, ok ? NULL : err_text(&e, et, sizeof et), 0, now,
                               NULL);
        }
        free(key);
        free(subject);
        free(text);
    }
    free(d);
}

/* Deliver what is left of run r. Returns 1 when all is delivered, 0 when some
 * are waiting for a retry, -1 when some failed for good. */
static int deliver_run(state *st, const schedule *s, const run_row *r, const char *pdf,
                       time_t now, pass_result *res, strbuf *errors)
{
    delivery_row *d = NULL;
    size_t nd = 0, i;
    quire_error e = {0};
    char when[40], date[16], et[QUIRE_ERROR_TEXT_MAX];
    int waiting = 0, failed = 0;

    iso_format((time_t)r->scheduled, s->tz, when, sizeof when);
    snprintf(date, sizeof date, "%.10s", when);
    if (state_deliveries(st, r->id, &d, &nd, &e)) {
        qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
        return 0;
    }
    for (i = 0; i < nd && !stop_signal; i++) {
        const deliver_target *t;
        deliver_job j;
        char *key;
        int ok;

        if (strcmp(d[i].channel, "notify") == 0 || strcmp(d[i].status, "sent") == 0)
            continue;
        if (strcmp(d[i].status, "failed") == 0) {
            failed = 1;
            continue;
        }
        if (strcmp(d[i].status, "retrying") == 0 && d[i].next_attempt > (int64_t)now) {
            waiting = 1;
            if (!res->next_retry || d[i].next_attempt < (int64_t)res->next_retry)
                res->next_retry = (time_t)d[i].next_attempt;
            continue;
        }
        t = find_target(s, &d[i]);
        if (!t) {
            /* The spec no longer names this recipient: nothing to send. */
            state_delivery_end(st, d[i].id, 0, "no longer in the spec's deliveries", 0, now,
                               NULL);
            continue;
        }
        key = delivery_key(r, d[i].channel, d[i].recipient);
        memset(&j, 0, sizeof j);
        j.t = t;
        j.recipient = d[i].recipient;
        j.pdf = pdf;
        j.report = r->report;
        j.period = r->period;
        j.from = r->from;
        j.to = r->to;
        j.scheduled = when;
        j.date = date;
        j.run_id = r->id;
        j.key = key;
        /* Intent first: after a crash, "sending" means "maybe sent". */
        if (state_delivery_begin(st, d[i].id, now, &e)) {
            qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
            free(key);
            waiting = 1;
            continue;
        }
        ok = deliver_send(&j, &e) == 0;
        if (ok) {
            qlog(LOG_INFO, "run %lld: %s %s: sent", (long long)r->id, d[i].channel,
                 d[i].recipient);
            state_delivery_end(st, d[i].id, 1, NULL, 0, now, NULL);
        } else {
            int attempts = d[i].attempts + 1;
            int64_t next = 0;
            const char *why;
            if (attempts < s->retries) {
                long delay = s->backoff;
                int k;
                for (k = 1; k < attempts && delay < 86400; k++)
                    delay *= 2;
                next = (int64_t)now + (delay > 86400 ? 86400 : delay);
            }
            why = err_text(&e, et, sizeof et);
            qlog(LOG_WARN, "run %lld: %s (attempt %d of %d%s)", (long long)r->id, why, attempts,
                 s->retries, next ? "; will retry" : "");
            sb_printf(errors, "%s%s", errors->len ? "; " : "", why);
            state_delivery_end(st, d[i].id, 0, why, next, now, NULL);
            res->delivery_failed = 1;
            if (next) {
                waiting = 1;
                if (!res->next_retry || next < (int64_t)res->next_retry)
                    res->next_retry = (time_t)next;
            } else {
                failed = 1;
            }
        }
        free(key);
    }
    if (stop_signal && i < nd)
        waiting = 1;
    free(d);
    return waiting ? 0 : failed ? -1 : 1;
}

/* ------------------------------------------------------------ one pass */

static const schedule *find_schedule(schedule *const *v, size_t n, const char *report)
{
    size_t i;
    for (i = 0; i < n; i++)
        if (strcmp(v[i]->report, report) == 0)
            return v[i];
    return NULL;
}

static void do_run(state *st, const schedule *s, const sched_opts *o, run_row *r, time_t now,
                   pass_result *res)
{
    quire_error e = {0};
    strbuf errors = {0};
    char et[QUIRE_ERROR_TEXT_MAX];
    const char *why;
    int rc;

    if (strcmp(r->status, RUN_DELIVERING) != 0) {
        char *out = run_output(o, r);
        int stopped;

        if (strcmp(r->status, RUN_PENDING) != 0)
            qlog(LOG_WARN, "run %lld of %s for %s was interrupted (%s); running it again",
                 (long long)r->id, r->report, r->period, r->status);
        if (state_run_set(st, r->id, RUN_RUNNING, out, NULL, now, &e)) {
            qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
            free(out);
            return;
        }
        snprintf(r->output, sizeof r->output, "%s", out);
        free(out);
        if (render(s, o, r, r->output, &stopped, &e)) {
            if (stopped) {
                state_run_set(st, r->id, RUN_ABANDONED, NULL,
                              "stopped by a signal while rendering; redone on restart", now,
                              NULL);
                qlog(LOG_WARN, "run %lld of %s abandoned (stopped while rendering); it is "
                               "redone on restart",
                     (long long)r->id, r->report);
                return;
            }
            why = err_text(&e, et, sizeof et);
            qlog(LOG_WARN, "run %lld of %s for %s failed: %s", (long long)r->id, r->report,
                 r->period, why);
            state_run_set(st, r->id, RUN_FAILED, NULL, why, now, NULL);
            res->render_failed = 1;
            notify(st, s, r, why, now);
            return;
        }
        {
            size_t i, k;
            for (i = 0; i < s->ntargets; i++)
                for (k = 0; k < s->targets[i].nto; k++)
                    if (state_delivery_add(st, r->id, channel_name(s->targets[i].kind),
                                           s->targets[i].to[k], &e))
                        qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
        }
        if (state_run_set(st, r->id, RUN_DELIVERING, NULL, NULL, now, &e)) {
            qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
            return;
        }
    }
    rc = deliver_run(st, s, r, r->output, now, res, &errors);
    if (rc > 0) {
        state_run_set(st, r->id, RUN_DONE, NULL, NULL, now, NULL);
        qlog(LOG_INFO, "run %lld of %s for %s: done", (long long)r->id, r->report, r->period);
    } else if (rc < 0) {
        state_run_set(st, r->id, RUN_UNDELIVERED, NULL, errors.s ? errors.s : "delivery failed",
                      now, NULL);
        notify(st, s, r, errors.s ? errors.s : "delivery failed", now);
    } else if (stop_signal) {
        state_run_set(st, r->id, RUN_DELIVERING, NULL,
                      "stopped by a signal with deliveries left; resumed on restart", now, NULL);
        qlog(LOG_WARN, "run %lld of %s: stopped with deliveries left; they resume on restart",
             (long long)r->id, r->report);
    } else if (errors.s) {
        state_run_set(st, r->id, RUN_DELIVERING, NULL, errors.s, now, NULL);
    }
    sb_free(&errors);
}

static int pass(state *st, schedule *const *v, size_t n, const sched_opts *o, time_t now,
                pass_result *res, quire_error *err)
{
    run_row *runs = NULL;
    size_t nr = 0, i;

    memset(res, 0, sizeof *res);
    for (i = 0; i < n && !stop_signal; i++)
        if (plan(st, v[i], now, err))
            return -1;
    if (state_open_runs(st, &runs, &nr, err))
        return -1;
    for (i = 0; i < nr && !stop_signal; i++) {
        const schedule *s = find_schedule(v, n, runs[i].report);
        if (!s)
            continue; /* a report of another set of specs */
        do_run(st, s, o, &runs[i], now, res);
    }
    free(runs);
    return 0;
}

static int exit_status(const pass_result *r)
{
    return r->render_failed ? QUIRE_EXIT_DATA : r->delivery_failed ? QUIRE_EXIT_DELIVERY : 0;
}

int sched_run_due(schedule *const *v, size_t n, const sched_opts *o, time_t now,
                  quire_error *err)
{
    state *st = state_open(o->state_path, 0, err);
    pass_result res;
    int rc;

    if (!st)
        return err->code ? err->code : QUIRE_EXIT_USAGE;
    rc = pass(st, v, n, o, now, &res, err);
    state_close(st);
    if (rc) /* the ledger failed */
        return err->code ? err->code : QUIRE_EXIT_USAGE;
    return exit_status(&res);
}

int sched_daemon(schedule *const *v, size_t n, const sched_opts *o, quire_error *err)
{
    struct sigaction sa;
    state *st;
    pass_result res;
    size_t i;

    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_stop;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);
    st = state_open(o->state_path, 0, err);
    if (!st)
        return err->code ? err->code : QUIRE_EXIT_USAGE;
    qlog(LOG_INFO, "scheduler started (pid %ld, %zu report%s)", (long)getpid(), n,
         n == 1 ? "" : "s");
    while (!stop_signal) {
        time_t now = time(NULL) + (time_t)o->clock_offset, wake;
        cron_fire f;

        if (pass(st, v, n, o, now, &res, err)) {
            state_close(st);
            return err->code ? err->code : QUIRE_EXIT_USAGE;
        }
        if (stop_signal)
            break;
        /* Sleep until the next fire or retry, a minute at most at a time, so
         * that a change of the clock is noticed. */
        now = time(NULL) + (time_t)o->clock_offset;
        wake = now + 60;
        for (i = 0; i < n; i++)
            if (cron_next(&v[i]->cron, v[i]->tz, now, &f) == 0 && f.at < wake)
                wake = f.at;
        if (res.next_retry && res.next_retry < wake)
            wake = res.next_retry;
        while (!stop_signal && time(NULL) + (time_t)o->clock_offset < wake) {
            struct timespec ts = {1, 0};
            nanosleep(&ts, NULL);
        }
    }
    state_close(st);
    qlog(LOG_WARN, "stopped by signal %d; the ledger records what was left", (int)stop_signal);
    return QUIRE_EXIT_OK;
}
