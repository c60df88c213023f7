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

#include "alerts.h"
#include "atomic.h"
#include "deliver.h"
#include "log.h"
#include "run.h"
#include "state.h"
#include "summary.h"
#include "util.h"

static volatile sig_atomic_t stop_signal;

static void on_stop(int sig)
{
    stop_signal = sig;
}

typedef struct pass_result {
    int render_failed;   /* a run failed for good */
    int render_later;    /* a run failed for now and is rendered again later */
    int delivery_failed;
    time_t next_retry;   /* 0 = none waiting */
} pass_result;

/* ------------------------------------------------------------ planning */

/* What a pass considers for a report: the fire times after the ledger's
 * mark (the last one planned) up to now, by its catch_up policy.
 *
 * The clock: `now` is the pass's time (--now, for tests), `clock` the
 * system's. The mark is never stored later than the clock, so a pass with
 * --now ahead of it cannot hide the fire times in between from later
 * passes; of the fire times after the clock, such a pass records only those
 * it runs (a fire time is never run twice), and leaves the others to be
 * decided when they come. A stored mark later than the clock (an older
 * version's, or a clock set back) or before 1970 is not trusted: planning
 * starts from the latest run the ledger has at or before the clock. */
static int plan(state *st, const schedule *s, time_t now, time_t clock, quire_error *err)
{
    enum { KEEP_SKIPPED = 50 };
    size_t keep = (size_t)(s->catch_up_max > KEEP_SKIPPED ? s->catch_up_max : KEEP_SKIPPED);
    cron_fire *ring = xcalloc(keep, sizeof *ring), f;
    run_new *runs = NULL;
    period *per = NULL;
    int64_t mark, stored = 0, total, last;
    size_t kept = 0, i, nrec, nrun, torun;
    int found, had, rc = -1;
    char a[40], b[40], c[40];

    if (state_mark(st, s->report, &mark, &found, err))
        goto done;
    stored = mark;
    had = found;
    if (found && (mark < 0 || mark > (int64_t)clock)) {
        int have;
        if (state_last_run(st, s->report, (int64_t)clock, &last, &have, err))
            goto done;
        iso_format((time_t)mark, s->tz, a, sizeof a);
        iso_format(clock, s->tz, b, sizeof b);
        if (have)
            iso_format((time_t)last, s->tz, c, sizeof c);
        qlog(LOG_WARN, "%s: the ledger's mark, the last fire time planned (%s), is %s the clock "
                       "(%s): not trusted; planning from %s%s",
             s->report, a, mark < 0 ? "long before" : "later than", b,
             have ? "the latest run at or before the clock, " : "now, as on a first pass",
             have ? c : "");
        if (have)
            mark = last;
        else
            found = 0;
    }
    if (!found) { /* first sight: a fire within the grace before now is due */
        mark = (int64_t)now - s->grace - 1;
        iso_format((time_t)mark + 1, s->tz, a, sizeof a);
        qlog(LOG_INFO, "%s: first pass for this report in the ledger: fire times from %s "
                       "(catch_up_grace before now) are considered",
             s->report, a);
    }
    if (now > clock) {
        iso_format(now, s->tz, a, sizeof a);
        iso_format(clock, s->tz, b, sizeof b);
        qlog(LOG_INFO, "%s: now (%s) is later than the clock (%s): the ledger's mark stays at "
                       "the clock's time; fire times after it that this pass does not run are "
                       "decided when they come",
             s->report, a, b);
    }
    /* a: what the fire times considered come after, for the messages */
    if (found) {
        snprintf(a, sizeof a, "after ");
        iso_format((time_t)mark, s->tz, a + 6, sizeof a - 6);
    } else {
        snprintf(a, sizeof a, "within catch_up_grace");
    }
    iso_format(now, s->tz, b, sizeof b);
    if (mark >= (int64_t)now) {
        qlog(LOG_INFO, "%s: nothing to consider: the last fire time planned (%s) is not before "
                       "now (%s)",
             s->report, a + 6, b);
        rc = 0;
        goto done;
    }
    total = cron_between(&s->cron, s->tz, (time_t)mark, now, ring, keep, &kept);
    if (total < 0) {
        quire_err_at(err, QUIRE_EXIT_USAGE, s->spec_path, 0, 0,
                     "%s: fire times %s up to %s are beyond the years a schedule handles",
                     s->report, a, b);
        goto done;
    }
    if (total == 0) {
        int64_t keep_mark = mark < (int64_t)clock ? mark : (int64_t)clock;
        if (cron_next(&s->cron, s->tz, now, &f) == 0)
            iso_format(f.at, s->tz, c, sizeof c);
        else
            snprintf(c, sizeof c, "not within 30 years");
        qlog(LOG_INFO, "%s: no fire time %s up to now (%s): nothing is due; the next is %s",
             s->report, a, b, c);
        rc = had && stored == keep_mark ? 0 : state_plan(st, s->report, NULL, 0, keep_mark, err);
        goto done;
    }
    if (s->catch_up == CATCH_ALL)
        torun = (uint64_t)total < (uint64_t)s->catch_up_max ? (size_t)total
                                                             : (size_t)s->catch_up_max;
    else if (s->catch_up == CATCH_LATEST)
        torun = 1;
    else
        torun = (int64_t)now - ring[kept - 1].at <= s->grace ? 1 : 0;
    if (torun > kept)
        torun = kept;
    runs = xcalloc(kept, sizeof *runs);
    per = xcalloc(kept, sizeof *per);
    for (i = 0, nrec = 0, nrun = 0; i < kept; i++) {
        const cron_fire *fi = &ring[i];
        int run = i + torun >= kept;
        if (!run && fi->at > clock)
            continue; /* after the clock and not run: decided when it comes */
        schedule_period(s, fi->wall, &per[nrec]);
        runs[nrec].scheduled = fi->at;
        runs[nrec].period = per[nrec].label;
        runs[nrec].from = per[nrec].from;
        runs[nrec].to = per[nrec].to;
        runs[nrec].status = run ? RUN_PENDING : RUN_SKIPPED;
        nrec++;
        nrun += run;
    }
    if ((uint64_t)total > torun)
        qlog(now > clock ? LOG_INFO : LOG_WARN,
             "%s: %lld run%s missed while the scheduler was down; catch_up %s runs %zu",
             s->report, (long long)total, total == 1 ? "" : "s",
             s->catch_up == CATCH_ALL ? "all:" : s->catch_up == CATCH_LATEST ? "latest:" : "skip:",
             nrun);
    iso_format(ring[kept - 1].at, s->tz, c, sizeof c);
    if (nrun)
        qlog(LOG_INFO, "%s: %lld fire time%s %s up to now (%s): %s%s is due (period %s)",
             s->report, (long long)total, total == 1 ? "" : "s", a, b,
             nrun > 1 ? "the latest, " : "", c, per[nrec - 1].label);
    else
        qlog(LOG_INFO, "%s: %lld fire time%s %s up to now (%s), the latest %s: none is due "
                       "(catch_up skip, and it is more than catch_up_grace ago)",
             s->report, (long long)total, total == 1 ? "" : "s", a, b, c);
    last = ring[kept - 1].at;
    rc = state_plan(st, s->report, runs, nrec, last < (int64_t)clock ? last : (int64_t)clock, err);
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

/* Beside a run's PDF: the KPI values it computed (what its alerts compare)
 * and the summary of its document (what its emails carry). */
static char *side_path(const char *pdf, const char *what)
{
    return xasprintf("%s.%s", pdf, what);
}

static int write_text(const char *path, const strbuf *b, quire_error *err)
{
    atomic_file af;
    return atomic_open(&af, path, NULL, 0644, 0, err) || atomic_put(&af, b->s, b->len, err) ||
                   atomic_commit(&af, err)
               ? -1
               : 0;
}

/* run_report's callback in the render's child: writes the sidecars. */
static int on_rendered(const quire_doc *doc, const model *m, void *ctx, quire_error *err)
{
    const char *pdf = ctx;
    kpi_value *v = NULL;
    size_t n = 0;
    strbuf txt = {0}, html = {0};
    char *p;
    int rc;

    kpi_values_of(m, &v, &n);
    p = side_path(pdf, "values");
    rc = kpi_values_write(p, v, n, err);
    free(p);
    free(v);
    if (rc)
        return -1;
    summary_text(doc, 0, &txt);
    summary_html(doc, 0, &html);
    p = side_path(pdf, "summary.txt");
    rc = write_text(p, &txt, err);
    free(p);
    if (rc == 0) {
        p = side_path(pdf, "summary.html");
        rc = write_text(p, &html, err);
        free(p);
    }
    sb_free(&txt);
    sb_free(&html);
    return rc;
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
    /* Out of processes or descriptors: the machine's state, not the
     * report's; another attempt may well succeed. */
    if (pipe(fds))
        return quire_err(err, QUIRE_EXIT_TRANSIENT, "cannot create a pipe: %s", strerror(errno));
    fflush(NULL);
    pid = fork();
    if (pid < 0) {
        close(fds[0]);
        close(fds[1]);
        return quire_err(err, QUIRE_EXIT_TRANSIENT, "cannot fork: %s", strerror(errno));
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
        ro.done = on_rendered;
        ro.done_ctx = (void *)out;
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
    /* A forced rerun is a delivery of its own, which receivers must not
     * drop as a copy of the first. */
    if (r->rerun)
        return xasprintf("quire.%s.%lld.r%d.%016llx", name, (long long)r->scheduled, r->rerun, h);
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

enum { MAX_BACKOFF = 86400 };

/* When the attempt after the attempts-th (from 1) is made: backoff, doubled
 * for each attempt after the first, at most MAX_BACKOFF, counted from the
 * clock when --now is ahead of it (as the mark is). */
static int64_t next_attempt_at(long backoff, int attempts, time_t now, time_t clock)
{
    long delay = backoff;
    int k;

    for (k = 1; k < attempts && delay < MAX_BACKOFF; k++)
        delay *= 2;
    return (int64_t)(now < clock ? now : clock) + (delay > MAX_BACKOFF ? MAX_BACKOFF : delay);
}

/* Whether a wait until `next` (a run's or a recipient's next attempt) is to
 * be kept at `now`: not when it has come, nor when it is later than any
 * backoff after the clock (then it is not trusted: warned of, and attempted
 * now). what names the run or recipient for the messages. */
static int still_waiting(const schedule *s, const char *what, int64_t next, time_t now,
                         time_t clock, pass_result *res)
{
    char at[40];

    if (next <= (int64_t)now)
        return 0;
    iso_format((time_t)next, s->tz, at, sizeof at);
    if (next > (int64_t)clock + MAX_BACKOFF) {
        qlog(LOG_WARN, "%s: its next attempt (%s) is later than any backoff after the clock; "
                       "not trusted: attempting it now",
             what, at);
        return 0;
    }
    qlog(LOG_INFO, "%s waits for its next attempt at %s", what, at);
    if (!res->next_retry || next < (int64_t)res->next_retry)
        res->next_retry = (time_t)next;
    return 1;
}

/* The summary beside a run's PDF (on_rendered wrote it), into text and
 * html; both left empty (s NULL) when it is not there, as for a run
 * rendered by an older version: its emails are sent without one. */
static void read_summary(const char *pdf, strbuf *text, strbuf *html)
{
    char *pt = side_path(pdf, "summary.txt"), *ph = side_path(pdf, "summary.html");
    FILE *ft = fopen(pt, "rb"), *fh = fopen(ph, "rb");
    char buf[8192];
    size_t n;

    if (ft && fh) {
        while ((n = fread(buf, 1, sizeof buf, ft)) > 0)
            sb_add(text, buf, n);
        while ((n = fread(buf, 1, sizeof buf, fh)) > 0)
            sb_add(html, buf, n);
        if (!text->s) /* an empty file: an empty summary, not none */
            sb_add(text, "", 0);
        if (!html->s)
            sb_add(html, "", 0);
    }
    if (ft)
        fclose(ft);
    if (fh)
        fclose(fh);
    free(pt);
    free(ph);
}

/* The target whose server settings subscribers' and alerts' emails use: the
 * schedule's first email delivery, else its on_failure; NULL when neither. */
static const deliver_target *smtp_of(const schedule *s)
{
    size_t i;
    for (i = 0; i < s->ntargets; i++)
        if (s->targets[i].kind == DELIVER_EMAIL)
            return &s->targets[i];
    return s->on_failure;
}

/* A delivery to a subscriber: its target into t (borrowing from s and sub).
 * Returns NULL, or why there is nothing to send. */
static const char *subscriber_target(state *st, const schedule *s, const run_row *r,
                                     const delivery_row *d, deliver_target *t,
                                     subscription *sub)
{
    quire_error e = {0};
    int found;

    memset(t, 0, sizeof *t);
    if (sub_find(st, r->report, d->channel, d->recipient, sub, &found, &e) || !found)
        return "no longer in the spec's deliveries or the report's subscriptions";
    if (strcmp(sub->channel, "email") == 0) {
        const deliver_target *base = smtp_of(s);
        if (!base)
            return "a subscriber's email needs an SMTP server: the schedule has no email "
                   "delivery (or on_failure) to take it from";
        *t = *base;
        return NULL;
    }
    t->kind = DELIVER_WEBHOOK;
    t->json = strcmp(sub->format, "json") == 0;
    t->token_env = sub->token_env[0] ? sub->token_env : NULL;
    return NULL;
}

/* An alert's message. */
typedef struct alert_msg {
    char *subject;         /* email: the notice's subject; NULL for a webhook */
    strbuf text, json;
} alert_msg;

static void msg_free(alert_msg *m)
{
    sb_free(&m->text);
    sb_free(&m->json);
    free(m->subject);
    memset(m, 0, sizeof *m);
}

/* A delivery of an alert: its job (target into t, borrowing from s; the
 * message into m). Returns NULL, or why there is nothing to send. */
static const char *alert_job(state *st, const schedule *s, const run_row *r,
                             const delivery_row *d, const char *base_url, deliver_job *j,
                             deliver_target *t, alert_msg *m)
{
    static alert a; /* large; the scheduler is one thread */
    alert_event ev;
    quire_error e = {0};
    int64_t event;
    char channel[16];
    const char *address;
    char *link;
    int found;
    size_t k;

    (void)r;
    memset(t, 0, sizeof *t);
    if (alert_recipient_parse(d->recipient, &event, channel, sizeof channel, &address))
        return "not an alert's recipient";
    if (alert_event_get(st, event, &ev, &found, &e) || !found ||
        alert_get(st, ev.alert_id, &a, &found, &e) || !found)
        return "the alert was removed";
    j->recipient = address;
    link = alert_link(base_url, a.report, ev.period);
    if (strcmp(channel, "email") == 0) {
        const deliver_target *base = smtp_of(s);
        if (!base)
            return "an alert's email needs an SMTP server: the schedule has no email delivery "
                   "(or on_failure) to take it from";
        *t = *base;
        m->subject = alert_subject(&a, &ev);
        alert_text(&a, &ev, link, &m->text);
    } else {
        t->kind = DELIVER_WEBHOOK;
        for (k = 0; k < a.ntargets; k++)
            if (strcmp(a.targets[k].channel, channel) == 0 &&
                strcmp(a.targets[k].address, address) == 0 && a.targets[k].token_env[0])
                t->token_env = a.targets[k].token_env;
        alert_json(&a, &ev, link, &m->json);
        j->json = m->json.s;
    }
    free(link);
    j->t = t;
    return NULL;
}

/* Deliver what is left of run r. Returns 1 when all is delivered, 0 when some
 * are waiting for a retry, -1 when some failed for good. A next attempt is
 * counted from the clock when --now is ahead of it (as the mark is), and
 * one later than the longest backoff after the clock is not trusted. */
static int deliver_run(state *st, const schedule *s, const run_row *r, const char *pdf,
                       const char *base_url, time_t now, time_t clock, pass_result *res,
                       strbuf *errors)
{
    delivery_row *d = NULL;
    size_t nd = 0, i;
    quire_error e = {0};
    char when[40], date[16], et[QUIRE_ERROR_TEXT_MAX];
    int waiting = 0, failed = 0;
    strbuf sum_text = {0}, sum_html = {0};
    deliver_target tmp;
    subscription sub;
    alert_msg msg;
    const char *gone;

    memset(&msg, 0, sizeof msg);
    iso_format((time_t)r->scheduled, s->tz, when, sizeof when);
    snprintf(date, sizeof date, "%.10s", when);
    if (state_deliveries(st, r->id, &d, &nd, &e)) {
        qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
        return 0;
    }
    read_summary(pdf, &sum_text, &sum_html);
    for (i = 0; i < nd && !stop_signal; i++) {
        deliver_job j;
        char *key;
        int ok;

        if (strcmp(d[i].channel, "notify") == 0 || strcmp(d[i].status, "sent") == 0)
            continue;
        if (strcmp(d[i].status, "failed") == 0) {
            failed = 1;
            continue;
        }
        if (strcmp(d[i].status, "retrying") == 0) {
            char *what = xasprintf("run %lld of %s: %s %s", (long long)r->id, r->report,
                                   d[i].channel, d[i].recipient);
            int wait = still_waiting(s, what, d[i].next_attempt, now, clock, res);
            free(what);
            if (wait) {
                waiting = 1;
                continue;
            }
        }
        key = delivery_key(r, d[i].channel, d[i].recipient);
        memset(&j, 0, sizeof j);
        j.recipient = d[i].recipient;
        j.pdf = pdf;
        j.report = r->report;
        j.period = r->period;
        j.from = r->from;
        j.to = r->to;
        j.grain = s->grain;
        j.scheduled = when;
        j.date = date;
        j.run_id = r->id;
        j.key = key;
        j.summary_text = sum_text.s;
        j.summary_html = sum_html.s;
        gone = NULL;
        if (strcmp(d[i].channel, ALERT_CHANNEL) == 0) {
            gone = alert_job(st, s, r, &d[i], base_url, &j, &tmp, &msg);
        } else if ((j.t = find_target(s, &d[i])) == NULL) {
            gone = subscriber_target(st, s, r, &d[i], &tmp, &sub);
            j.t = &tmp;
        }
        if (gone) {
            /* The spec no longer names this recipient, or it unsubscribed, or
             * its alert was removed: nothing to send. */
            state_delivery_end(st, d[i].id, 0, gone, 0, now, NULL);
            free(key);
            msg_free(&msg);
            continue;
        }
        /* Intent first: after a crash, "sending" means "maybe sent". */
        if (state_delivery_begin(st, d[i].id, now, &e)) {
            qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
            free(key);
            msg_free(&msg);
            waiting = 1;
            continue;
        }
        if (msg.subject) /* an alert by email: a notice of its own */
            ok = deliver_notice(j.t, j.recipient, msg.subject, msg.text.s, key, &e) == 0;
        else
            ok = deliver_send(&j, &e) == 0;
        msg_free(&msg);
        if (ok) {
            qlog(LOG_INFO, "run %lld: %s %s: sent", (long long)r->id, d[i].channel,
                 d[i].recipient);
            state_delivery_end(st, d[i].id, 1, NULL, 0, now, NULL);
        } else {
            int attempts = d[i].attempts + 1;
            int64_t next = 0;
            const char *why;
            if (attempts < s->retries)
                next = next_attempt_at(s->backoff, attempts, now, clock);
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
    sb_free(&sum_text);
    sb_free(&sum_html);
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

/* Why a failed render is not retried (status 1, 2, 3), for the log. */
static const char *permanent_why(int code)
{
    return code == QUIRE_EXIT_USAGE    ? "a spec error (status 1), which another attempt would meet "
                                         "again"
           : code == QUIRE_EXIT_DELIVERY ? "the output could not be written (status 3)"
                                         : "a data or script error (status 2), which another "
                                           "attempt would meet again";
}

/* A render that failed: retried later when it failed for now (status 4, a
 * source down) and attempts remain, else failed for good (and on_failure
 * told). */
static void render_failure(state *st, const schedule *s, const run_row *r, const quire_error *e,
                          time_t now, time_t clock, pass_result *res)
{
    char et[QUIRE_ERROR_TEXT_MAX], at[40];
    const char *why = err_text(e, et, sizeof et);
    int transient = e->code == QUIRE_EXIT_TRANSIENT;

    if (transient && r->attempts < s->run_attempts) {
        int64_t next = next_attempt_at(s->run_backoff, r->attempts, now, clock);
        iso_format((time_t)next, s->tz, at, sizeof at);
        qlog(LOG_WARN, "run %lld of %s for %s failed for now (attempt %d of %d): %s; a temporary "
                       "failure (status 4): rendered again at %s",
             (long long)r->id, r->report, r->period, r->attempts, s->run_attempts, why, at);
        state_run_end(st, r->id, RUN_RETRYING, "transient", why, next, now, NULL);
        res->render_later = 1;
        if (!res->next_retry || next < (int64_t)res->next_retry)
            res->next_retry = (time_t)next;
        return;
    }
    if (transient)
        qlog(LOG_WARN, "run %lld of %s for %s failed (attempt %d of %d): %s; a temporary failure, "
                       "but no attempt is left",
             (long long)r->id, r->report, r->period, r->attempts, s->run_attempts, why);
    else
        qlog(LOG_WARN, "run %lld of %s for %s failed: %s; not retried: %s", (long long)r->id,
             r->report, r->period, why, permanent_why(e->code));
    state_run_end(st, r->id, RUN_FAILED, transient ? "transient" : "permanent", why, 0, now,
                  NULL);
    res->render_failed = 1;
    notify(st, s, r, why, now);
}

/* The month a run's values are compared in: the last of its period (its
 * `to`, a month or a date). */
static void run_month(const run_row *r, char *buf, size_t n)
{
    snprintf(buf, n, "%.7s", r->to);
}

/* After run r rendered: its alerts compared with the values it computed;
 * each breach recorded once per (alert, period), with its deliveries on r. */
static void check_alerts(state *st, const run_row *r, int64_t now)
{
    alert *a = NULL;
    kpi_value *v = NULL;
    size_t na = 0, nv = 0, i;
    quire_error e = {0};
    char et[QUIRE_ERROR_TEXT_MAX], month[16], *path;

    if (alert_list(st, r->report, &a, &na, &e)) {
        qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
        return;
    }
    if (!na)
        return;
    path = side_path(r->output, "values");
    if (kpi_values_read(path, &v, &nv, &e)) {
        qlog(LOG_WARN, "run %lld of %s: its alerts are not checked: %s", (long long)r->id,
             r->report, err_text(&e, et, sizeof et));
        free(path);
        free(a);
        return;
    }
    free(path);
    run_month(r, month, sizeof month);
    for (i = 0; i < na; i++) {
        alert_check_result res;
        char cond[64];
        int fired;

        alert_condition_text(&a[i], cond, sizeof cond);
        switch (alert_check(&a[i], v, nv, month, &res)) {
        case ALERT_NO_VALUE:
            qlog(LOG_WARN, "run %lld of %s: alert %lld (%s): no value of %s for %s in %s; not "
                           "checked",
                 (long long)r->id, r->report, (long long)a[i].id, a[i].name, a[i].kpi,
                 a[i].segment[0] ? a[i].segment : "all customers", month);
            break;
        case ALERT_NO_PREVIOUS:
            qlog(LOG_INFO, "run %lld of %s: alert %lld (%s): no value of %s for %s the month "
                           "before %s (or it was 0): no change to compare; not checked",
                 (long long)r->id, r->report, (long long)a[i].id, a[i].name, a[i].kpi,
                 a[i].segment[0] ? a[i].segment : "all customers", month);
            break;
        case ALERT_CLEAR:
            qlog(LOG_INFO, "run %lld of %s: alert %lld (%s): %.6g, not %s", (long long)r->id,
                 r->report, (long long)a[i].id, a[i].name, res.measured, cond);
            break;
        case ALERT_BREACH:
            if (alert_fire(st, &a[i], r->id, r->period, month, &res, now, &fired, &e)) {
                qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
                break;
            }
            qlog(fired ? LOG_WARN : LOG_INFO, "run %lld of %s: alert %lld (%s): %.6g, %s: %s",
                 (long long)r->id, r->report, (long long)a[i].id, a[i].name, res.measured, cond,
                 fired ? "fired" : "already sent for this period");
            break;
        }
    }
    free(v);
    free(a);
}

/* The deliveries of a rendered run r: the spec's recipients, the report's
 * subscribers, and its alerts' targets when they fire. Each is added once
 * (a restart adds nothing twice). */
static void add_deliveries(state *st, const schedule *s, const run_row *r, int64_t now)
{
    subscription *sub = NULL;
    size_t i, k, n = 0;
    quire_error e = {0};
    char et[QUIRE_ERROR_TEXT_MAX];

    for (i = 0; i < s->ntargets; i++)
        for (k = 0; k < s->targets[i].nto; k++)
            if (state_delivery_add(st, r->id, channel_name(s->targets[i].kind),
                                   s->targets[i].to[k], &e))
                qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
    if (sub_list(st, r->report, &sub, &n, &e))
        qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
    for (i = 0; i < n; i++)
        if (state_delivery_add(st, r->id, sub[i].channel, sub[i].address, &e))
            qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
    free(sub);
    check_alerts(st, r, now);
}

/* Render run r when it is not rendered yet, then deliver what is left of it.
 * reason: why it is rendered, for the ledger's attempts; NULL to take it
 * from the run's status. */
static void do_run(state *st, const schedule *s, const sched_opts *o, run_row *r, time_t now,
                   time_t clock, pass_result *res, const char *reason)
{
    quire_error e = {0};
    strbuf errors = {0};
    char et[QUIRE_ERROR_TEXT_MAX];
    int rc;

    if (strcmp(r->status, RUN_DELIVERING) != 0) {
        char *out = run_output(o, r);
        int stopped;

        if (strcmp(r->status, RUN_RETRYING) == 0) {
            char *what = xasprintf("run %lld of %s for %s (failed for now, attempt %d of %d)",
                                   (long long)r->id, r->report, r->period, r->attempts,
                                   s->run_attempts);
            int wait = !reason && still_waiting(s, what, r->next_attempt, now, clock, res);
            free(what);
            if (wait) {
                free(out);
                return;
            }
        } else if (strcmp(r->status, RUN_PENDING) != 0 && !reason) {
            qlog(LOG_WARN, "run %lld of %s for %s was interrupted (%s); running it again",
                 (long long)r->id, r->report, r->period, r->status);
        }
        if (!reason)
            reason = strcmp(r->status, RUN_PENDING) == 0    ? "scheduled"
                     : strcmp(r->status, RUN_RETRYING) == 0 ? "retry"
                                                            : "restart";
        if (state_run_begin(st, r->id, out, reason, now, &e)) {
            qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
            free(out);
            return;
        }
        r->attempts++;
        snprintf(r->output, sizeof r->output, "%s", out);
        free(out);
        if (render(s, o, r, r->output, &stopped, &e)) {
            if (stopped) {
                state_run_end(st, r->id, RUN_ABANDONED, "abandoned",
                              "stopped by a signal while rendering; redone on restart", 0, now,
                              NULL);
                qlog(LOG_WARN, "run %lld of %s abandoned (stopped while rendering); it is "
                               "redone on restart",
                     (long long)r->id, r->report);
                return;
            }
            render_failure(st, s, r, &e, now, clock, res);
            return;
        }
        add_deliveries(st, s, r, now);
        if (state_run_end(st, r->id, RUN_DELIVERING, "rendered", NULL, 0, now, &e)) {
            qlog(LOG_WARN, "%s", err_text(&e, et, sizeof et));
            return;
        }
    }
    rc = deliver_run(st, s, r, r->output, o->base_url, now, clock, res, &errors);
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

    time_t clock = time(NULL);

    memset(res, 0, sizeof *res);
    for (i = 0; i < n && !stop_signal; i++)
        if (plan(st, v[i], now, clock, err))
            return -1;
    if (state_open_runs(st, &runs, &nr, err))
        return -1;
    for (i = 0; i < nr && !stop_signal; i++) {
        const schedule *s = find_schedule(v, n, runs[i].report);
        if (!s)
            continue; /* a report of another set of specs */
        do_run(st, s, o, &runs[i], now, clock, res, NULL);
    }
    free(runs);
    return 0;
}

static int exit_status(const pass_result *r)
{
    return r->render_failed     ? QUIRE_EXIT_DATA
           : r->delivery_failed ? QUIRE_EXIT_DELIVERY
           : r->render_later    ? QUIRE_EXIT_TRANSIENT
                                : 0;
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

/* The first fire time of s whose run reports on period `label`, looked for
 * from the period's first day on. Returns 0 when there is none: a label
 * that is not of the schedule's kind of period, or no such fire within a
 * few million. */
static int first_fire_of(const schedule *s, const char *label, cron_fire *out)
{
    int y = 0, m = 1, d = 1, q = 0, n = 0, c;
    long k;
    char start[40];
    time_t t;
    period p;

    grain g = s->grain;
    int per = -1;

    /* quarters and years of the spec's fiscal year ("FY2023/24-Q4"), ISO weeks */
    g.kind = s->period == PERIOD_PREVIOUS_QUARTER ? GRAIN_QUARTER
             : s->period == PERIOD_PREVIOUS_YEAR  ? GRAIN_YEAR
             : s->period == PERIOD_PREVIOUS_WEEK || s->period == PERIOD_CURRENT_WEEK
                 ? GRAIN_WEEK
                 : GRAIN_MONTH;
    if (g.kind != GRAIN_MONTH && (per = grain_parse_key(g, label)) >= 0)
        civil_from_days(grain_first_day(g, per), &y, &m, &d);
    else if (sscanf(label, "%4d-Q%1d%n", &y, &q, &n) == 2 && !label[n] && q >= 1 && q <= 4)
        m = 3 * q - 2;
    else if (!(sscanf(label, "%4d-%2d-%2d%n", &y, &m, &d, &n) == 3 && !label[n]) &&
             !(sscanf(label, "%4d-%2d%n", &y, &m, &n) == 2 && !label[n]) &&
             !(sscanf(label, "%4d%n", &y, &n) == 1 && !label[n]))
        return 0;
    snprintf(start, sizeof start, "%04d-%02d-%02dT00:00:00", y, m, d);
    if (y < 1970 || iso_parse(start, s->tz, &t))
        return 0;
    for (t -= 1, k = 0; k < 4000000; k++, t = out->at) {
        if (cron_next(&s->cron, s->tz, t, out))
            return 0;
        schedule_period(s, out->wall, &p);
        if (strlen(p.label) != strlen(label) || !strchr(p.label, 'Q') != !strchr(label, 'Q'))
            return 0; /* another kind of period than the schedule's */
        if ((c = strcmp(p.label, label)) == 0)
            return 1;
        if (c > 0)
            return 0; /* past it */
    }
    return 0;
}

int sched_rerun(const schedule *s, const char *label, int force, const sched_opts *o,
                time_t now, quire_error *err)
{
    state *st;
    run_row *rows = NULL, r;
    size_t n = 0, i;
    const run_row *done = NULL;
    pass_result res;
    time_t clock = time(NULL);
    int rc = -1;

    memset(&res, 0, sizeof res);
    /* A ledger to take a run from, not a new one. */
    if (access(o->state_path, F_OK) != 0) {
        quire_err_at(err, QUIRE_EXIT_USAGE, o->state_path, 0, 0, "cannot open the state file: %s",
                     strerror(errno));
        return QUIRE_EXIT_USAGE;
    }
    st = state_open(o->state_path, 0, err);
    if (!st)
        return err->code ? err->code : QUIRE_EXIT_USAGE;
    if (state_period_runs(st, s->report, label, &rows, &n, err))
        goto done;
    if (!n) {
        /* A period no pass recorded (before the report's first pass, or a
         * skipped run no longer kept): the run of its first fire time. */
        cron_fire f;
        period per;
        run_new rn;
        char at[40];
        int64_t id;

        if (!first_fire_of(s, label, &f)) {
            quire_err_at(err, QUIRE_EXIT_USAGE, o->state_path, 0, 0,
                         "the ledger has no run of %s for period %s, and no fire time of its "
                         "schedule reports on such a period",
                         s->report, label);
            goto done;
        }
        iso_format(f.at, s->tz, at, sizeof at);
        if (f.at > now) {
            quire_err_at(err, QUIRE_EXIT_USAGE, o->state_path, 0, 0,
                         "%s for %s is not due before %s: nothing to run again", s->report,
                         label, at);
            goto done;
        }
        schedule_period(s, f.wall, &per);
        rn.scheduled = f.at;
        rn.period = per.label;
        rn.from = per.from;
        rn.to = per.to;
        rn.status = RUN_PENDING;
        if (state_run_add(st, s->report, &rn, (int64_t)now, &id, err) ||
            state_period_runs(st, s->report, label, &rows, &n, err))
            goto done;
        qlog(LOG_INFO, "%s for %s: no run in the ledger; recorded the one of its fire time %s "
                       "(run %lld)",
             s->report, label, at, (long long)id);
    }
    for (i = 0; i < n && !done; i++)
        if (strcmp(rows[i].status, RUN_DONE) == 0)
            done = &rows[i];
    if (done && !force) {
        char at[40];
        iso_format((time_t)done->finished, s->tz, at, sizeof at);
        quire_err_at(err, QUIRE_EXIT_USAGE, o->state_path, 0, 0,
                     "%s for %s was delivered (run %lld, done %s): not run again; --force "
                     "renders and delivers it again, as a new run",
                     s->report, label, (long long)done->id, at);
        goto done;
    }
    if (done) {
        /* Forced: a run of its own, so that the one delivered stays as it was. */
        int64_t id;
        if (state_rerun_new(st, done, (int64_t)now, &id, err) || state_run_get(st, id, &r, err))
            goto done;
        qlog(LOG_INFO, "%s for %s: run %lld was delivered; forced: rerun %d as run %lld",
             s->report, label, (long long)done->id, r.rerun, (long long)r.id);
    } else {
        /* The latest run of the period, whatever became of it: a render
         * that failed (or never began) is made again, a PDF whose
         * deliveries are not all sent is delivered to those left. */
        int render;
        r = rows[0];
        render = (strcmp(r.status, RUN_DELIVERING) != 0 &&
                  strcmp(r.status, RUN_UNDELIVERED) != 0) ||
                 !r.output[0] || access(r.output, R_OK) != 0;
        qlog(LOG_INFO, "%s for %s: run %lld (%s): %s", s->report, label, (long long)r.id,
             r.status, render ? "rendering it again" : "delivering its PDF to those left");
        if (state_rerun_reset(st, r.id, render, err) || state_run_get(st, r.id, &r, err))
            goto done;
    }
    do_run(st, s, o, &r, now, clock, &res, "rerun");
    rc = 0;
done:
    free(rows);
    state_close(st);
    if (rc)
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
