/* jobs.c - the render queue, its workers and their child processes. */
#include "jobs.h"

#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern char **environ;

serve_format serve_formats[] = {
    {"report.html", "text/html; charset=utf-8", "HTML", "html", 0},
    {"report.pdf", "application/pdf", "PDF", NULL, 1},
    {"report.xlsx", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
     "Excel workbook", "xlsx", 0},
    {"kpis.csv", "text/csv; charset=utf-8", "KPIs (CSV)", NULL, 1},
    {"segments.csv", "text/csv; charset=utf-8", "Segments (CSV)", NULL, 1},
    {"models.csv", "text/csv; charset=utf-8", "Models (CSV)", NULL, 1},
};
const size_t serve_nformats = sizeof serve_formats / sizeof serve_formats[0];

const serve_format *serve_format_find(const char *name)
{
    size_t i;
    for (i = 0; i < serve_nformats; i++)
        if (strcmp(serve_formats[i].file, name) == 0)
            return &serve_formats[i];
    return NULL;
}

typedef struct job {
    int64_t id;
    char key[65];
    char *spec;
    char **names, **values;
    size_t n;
    struct job *next;
} job;

static jobs_opts opt;
static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static job *head, *tail;
static int queued, running, stopping, killing;
static pthread_t *threads;
static char **child_env;

/* Metrics. */
static const double buckets[] = {0.5, 1, 2, 5, 10, 30, 60, 120, 300};
#define NBUCKETS (sizeof buckets / sizeof buckets[0])
static unsigned long long hist[NBUCKETS + 1], hist_count, n_done, n_failed, n_abandoned,
    n_rejected, n_timeouts, cache_hits, cache_misses;
static double hist_sum;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

char *jobs_dir(const char *key)
{
    return xasprintf("%s/%s", opt.cache, key);
}

static void job_free(job *j)
{
    size_t i;
    if (!j)
        return;
    for (i = 0; i < j->n; i++) {
        free(j->names[i]);
        free(j->values[i]);
    }
    free(j->names);
    free(j->values);
    free(j->spec);
    free(j);
}

/* ------------------------------------------------------------ a render */

/* The first line of the log that is an error, with the reports folder cut
 * from its file name; else its last line. A new string. */
static char *log_error(const char *path)
{
    FILE *f = fopen(path, "r");
    char line[4096], last[4096] = "";
    char *found = NULL;
    size_t n = strlen(opt.reports);

    if (!f)
        return xstrdup("the render failed and left no message");
    while (fgets(line, sizeof line, f)) {
        line[strcspn(line, "\n")] = '\0';
        if (!line[0])
            continue;
        snprintf(last, sizeof last, "%s", line);
        if (!found && strstr(line, "error: ")) {
            const char *p = line;
            if (strncmp(p, opt.reports, n) == 0 && p[n] == '/')
                p += n + 1;
            found = xstrdup(p);
        }
    }
    fclose(f);
    return found ? found : xstrdup(last[0] ? last : "the render failed and left no message");
}

/* Run `quire run` for job j, every format in one child (--format
 * pdf,html,xlsx when the program has it); 0 when it exited 0, -2 when the
 * server stopped it, else -1; *why set otherwise. */
static int render(const job *j, const char *dir, char **why)
{
    char **argv = xcalloc(16 + 2 * j->n, sizeof *argv);
    char *out = xasprintf("%s/report.pdf", dir);
    strbuf formats = {0};
    char *log = xasprintf("%s/run.log", dir);
    char tmo[32];
    posix_spawn_file_actions_t fa;
    posix_spawnattr_t at;
    sigset_t none, dflt;
    pid_t pid;
    size_t i, k = 0, pstart;
    int rc = -1, status = 0, termed = 0;
    double deadline = quire_monotonic() + opt.timeout + 5, term_at = 0;

    snprintf(tmo, sizeof tmo, "%g", opt.timeout);
    argv[k++] = (char *)opt.program;
    argv[k++] = (char *)"run";
    argv[k++] = j->spec;
    argv[k++] = (char *)"-q";
    argv[k++] = (char *)"--timeout";
    argv[k++] = tmo;
    argv[k++] = (char *)"-o";
    argv[k++] = out;
    argv[k++] = (char *)"--export";
    argv[k++] = (char *)dir;
    for (i = 0; i < serve_nformats; i++)
        if (serve_formats[i].arg && serve_formats[i].available)
            sb_printf(&formats, "%s%s", formats.len ? "," : "pdf,", serve_formats[i].arg);
    if (formats.len) {
        argv[k++] = (char *)"--format";
        argv[k++] = formats.s;
    }
    pstart = k;
    for (i = 0; i < j->n; i++) {
        argv[k++] = (char *)"--param";
        argv[k++] = xasprintf("%s=%s", j->names[i], j->values[i]);
    }
    argv[k] = NULL;

    posix_spawn_file_actions_init(&fa);
    posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
    posix_spawn_file_actions_addopen(&fa, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0644);
    posix_spawn_file_actions_adddup2(&fa, 1, 2);
    posix_spawnattr_init(&at);
    sigemptyset(&none);
    sigemptyset(&dflt);
    sigaddset(&dflt, SIGTERM);
    sigaddset(&dflt, SIGINT);
    sigaddset(&dflt, SIGHUP);
    sigaddset(&dflt, SIGPIPE);
    posix_spawnattr_setsigmask(&at, &none);
    posix_spawnattr_setsigdefault(&at, &dflt);
    posix_spawnattr_setpgroup(&at, 0);
    posix_spawnattr_setflags(&at, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF |
                                      POSIX_SPAWN_SETPGROUP);
    if ((errno = posix_spawn(&pid, opt.program, &fa, &at, argv, child_env)) != 0) {
        *why = xasprintf("cannot start the render: %s", strerror(errno));
        goto done;
    }
    for (;;) {
        pid_t w = waitpid(pid, &status, WNOHANG);
        double t = quire_monotonic();
        int kill_now;
        if (w == pid)
            break;
        if (w < 0 && errno != EINTR) {
            *why = xasprintf("lost the render: %s", strerror(errno));
            goto done;
        }
        pthread_mutex_lock(&lock);
        kill_now = killing;
        pthread_mutex_unlock(&lock);
        if ((t > deadline || kill_now) && !termed) {
            kill(-pid, SIGTERM);   /* quire run removes its temporary files */
            termed = kill_now ? 2 : 1;
            term_at = t;
        } else if (termed && t > term_at + 3) {
            kill(-pid, SIGKILL);
        }
        usleep(10000);
    }
    if (WIFEXITED(status) && WEXITSTATUS(status) == 0 && !termed) {
        rc = 0;
    } else if (termed == 2) {
        *why = xstrdup("the server stopped before the render finished");
        rc = -2;
    } else if (termed == 1) {
        *why = xasprintf("the render took longer than %g seconds; stopped", opt.timeout);
        pthread_mutex_lock(&lock);
        n_timeouts++;
        pthread_mutex_unlock(&lock);
    } else if (WIFSIGNALED(status)) {
        *why = xasprintf("the render was ended by signal %d", WTERMSIG(status));
    } else {
        *why = log_error(log);
    }
done:
    posix_spawn_file_actions_destroy(&fa);
    posix_spawnattr_destroy(&at);
    for (i = 0; i < j->n; i++)
        free(argv[pstart + 2 * i + 1]);
    free(argv);
    free(out);
    free(log);
    sb_free(&formats);
    return rc;
}

static void clean_dir(const char *dir)
{
    size_t i;
    char *p;
    for (i = 0; i < serve_nformats; i++) {
        p = xasprintf("%s/%s", dir, serve_formats[i].file);
        unlink(p);
        free(p);
    }
    p = xasprintf("%s/run.log", dir);
    unlink(p);
    free(p);
}

static void run_job(job *j)
{
    char *dir = jobs_dir(j->key), *why = NULL;
    int64_t t0 = now_ms(), t1;
    int rc = 0;

    store_run_set(opt.st, j->id, SRUN_RUNNING, NULL, t0);
    if (mkdir(dir, 0750) != 0 && errno != EEXIST) {
        why = xasprintf("cannot make the run's folder: %s", strerror(errno));
        rc = -1;
    } else {
        clean_dir(dir);
    }
    if (rc == 0)
        rc = render(j, dir, &why);
    t1 = now_ms();
    store_run_set(opt.st, j->id, rc == 0 ? SRUN_DONE : rc == -2 ? SRUN_ABANDONED : SRUN_FAILED,
                  why, t1);
    pthread_mutex_lock(&lock);
    if (rc == 0) {
        double s = (double)(t1 - t0) / 1000.0;
        size_t b = 0;
        while (b < NBUCKETS && s > buckets[b])
            b++;
        hist[b]++;
        hist_count++;
        hist_sum += s;
        n_done++;
    } else if (rc == -2) {
        n_abandoned++;
    } else {
        n_failed++;
    }
    pthread_mutex_unlock(&lock);
    free(why);
    free(dir);
}

static void *worker(void *arg)
{
    (void)arg;
    for (;;) {
        job *j;
        pthread_mutex_lock(&lock);
        while (!head && !stopping)
            pthread_cond_wait(&cond, &lock);
        if (stopping) {
            pthread_mutex_unlock(&lock);
            return NULL;
        }
        j = head;
        head = j->next;
        if (!head)
            tail = NULL;
        queued--;
        running++;
        pthread_mutex_unlock(&lock);
        run_job(j);
        job_free(j);
        pthread_mutex_lock(&lock);
        running--;
        pthread_cond_broadcast(&cond);
        pthread_mutex_unlock(&lock);
    }
}

/* ------------------------------------------------------------ the queue */

/* The environment for renders: the server's, less its own secrets. */
static char **render_env(void)
{
    size_t n = 0, k = 0, i;
    char **env;

    while (environ[n])
        n++;
    env = xcalloc(n + 1, sizeof *env);
    for (i = 0; i < n; i++)
        if (strncmp(environ[i], "QUIRE_PASSWORD=", 15) != 0 &&
            strncmp(environ[i], "QUIRE_SERVE_", 12) != 0 &&
            strncmp(environ[i], "QUIRE_TOKEN=", 12) != 0)
            env[k++] = xstrdup(environ[i]);
    return env;
}

/* Whether `quire run` takes --format (the HTML and Excel renders). */
static int run_has_format(void)
{
    char *cmd = xasprintf("'%s' run --help 2>/dev/null", opt.program);
    FILE *p = popen(cmd, "r");
    char line[512];
    int found = 0;

    free(cmd);
    if (!p)
        return 0;
    while (fgets(line, sizeof line, p))
        if (strstr(line, "--format"))
            found = 1;
    pclose(p);
    return found;
}

int jobs_start(const jobs_opts *o)
{
    int i, fmt;
    size_t f;

    opt = *o;
    child_env = render_env();
    fmt = run_has_format();
    for (f = 0; f < serve_nformats; f++)
        if (serve_formats[f].arg)
            serve_formats[f].available = fmt;
    threads = xcalloc((size_t)opt.workers, sizeof *threads);
    for (i = 0; i < opt.workers; i++)
        if (pthread_create(&threads[i], NULL, worker, NULL) != 0)
            return -1;
    return 0;
}

int jobs_submit(int64_t id, const char *key, const char *spec_path, const char *const *names,
                const char *const *values, size_t n)
{
    job *j;
    size_t i;

    pthread_mutex_lock(&lock);
    if (stopping || queued >= opt.queue) {
        n_rejected++;
        pthread_mutex_unlock(&lock);
        return -1;
    }
    queued++;
    pthread_mutex_unlock(&lock);
    j = xcalloc(1, sizeof *j);
    j->id = id;
    snprintf(j->key, sizeof j->key, "%s", key);
    j->spec = xstrdup(spec_path);
    j->names = xcalloc(n ? n : 1, sizeof *j->names);
    j->values = xcalloc(n ? n : 1, sizeof *j->values);
    for (i = 0; i < n; i++) {
        j->names[i] = xstrdup(names[i]);
        j->values[i] = xstrdup(values[i]);
    }
    j->n = n;
    pthread_mutex_lock(&lock);
    if (tail)
        tail->next = j;
    else
        head = j;
    tail = j;
    pthread_cond_signal(&cond);
    pthread_mutex_unlock(&lock);
    return 0;
}

void jobs_stop(double grace)
{
    double until = quire_monotonic() + grace;
    job *j, *next;
    int i;

    pthread_mutex_lock(&lock);
    stopping = 1;
    j = head;
    head = tail = NULL;
    queued = 0;
    pthread_cond_broadcast(&cond);
    pthread_mutex_unlock(&lock);
    for (; j; j = next) {
        next = j->next;
        store_run_set(opt.st, j->id, SRUN_ABANDONED,
                      "the server stopped before the run started", now_ms());
        n_abandoned++;
        job_free(j);
    }
    /* Let the running renders finish within the grace time. */
    for (;;) {
        int r;
        pthread_mutex_lock(&lock);
        r = running;
        pthread_mutex_unlock(&lock);
        if (r == 0)
            break;
        if (quire_monotonic() > until) {
            pthread_mutex_lock(&lock);
            killing = 1;
            pthread_mutex_unlock(&lock);
            break;
        }
        usleep(20000);
    }
    for (i = 0; i < opt.workers; i++)
        pthread_join(threads[i], NULL);
    free(threads);
    threads = NULL;
    for (i = 0; child_env && child_env[i]; i++)
        free(child_env[i]);
    free(child_env);
    child_env = NULL;
}

void jobs_load(int *q, int *r)
{
    pthread_mutex_lock(&lock);
    *q = queued;
    *r = running;
    pthread_mutex_unlock(&lock);
}

void jobs_count_hit(void)
{
    pthread_mutex_lock(&lock);
    cache_hits++;
    pthread_mutex_unlock(&lock);
}

void jobs_count_miss(void)
{
    pthread_mutex_lock(&lock);
    cache_misses++;
    pthread_mutex_unlock(&lock);
}

void jobs_metrics(strbuf *b)
{
    size_t i;
    unsigned long long cum = 0;

    pthread_mutex_lock(&lock);
    sb_printf(b, "# HELP quire_serve_runs_total Renders finished, by status.\n"
                 "# TYPE quire_serve_runs_total counter\n"
                 "quire_serve_runs_total{status=\"done\"} %llu\n"
                 "quire_serve_runs_total{status=\"failed\"} %llu\n"
                 "quire_serve_runs_total{status=\"abandoned\"} %llu\n"
                 "quire_serve_runs_total{status=\"rejected\"} %llu\n",
              n_done, n_failed, n_abandoned, n_rejected);
    sb_printf(b, "# HELP quire_serve_render_failures_total Renders that failed (timeouts "
                 "included).\n# TYPE quire_serve_render_failures_total counter\n"
                 "quire_serve_render_failures_total %llu\n"
                 "# HELP quire_serve_render_timeouts_total Renders stopped at the time limit.\n"
                 "# TYPE quire_serve_render_timeouts_total counter\n"
                 "quire_serve_render_timeouts_total %llu\n", n_failed, n_timeouts);
    sb_printf(b, "# HELP quire_serve_run_duration_seconds Time of a successful render.\n"
                 "# TYPE quire_serve_run_duration_seconds histogram\n");
    for (i = 0; i < NBUCKETS; i++) {
        cum += hist[i];
        sb_printf(b, "quire_serve_run_duration_seconds_bucket{le=\"%g\"} %llu\n", buckets[i],
                  cum);
    }
    cum += hist[NBUCKETS];
    sb_printf(b, "quire_serve_run_duration_seconds_bucket{le=\"+Inf\"} %llu\n"
                 "quire_serve_run_duration_seconds_sum %.3f\n"
                 "quire_serve_run_duration_seconds_count %llu\n", cum, hist_sum, hist_count);
    sb_printf(b, "# HELP quire_serve_queue_length Runs waiting for a worker.\n"
                 "# TYPE quire_serve_queue_length gauge\nquire_serve_queue_length %d\n"
                 "# HELP quire_serve_renders_running Renders running now.\n"
                 "# TYPE quire_serve_renders_running gauge\nquire_serve_renders_running %d\n"
                 "# HELP quire_serve_workers Renders that may run at once.\n"
                 "# TYPE quire_serve_workers gauge\nquire_serve_workers %d\n",
              queued, running, opt.workers);
    sb_printf(b, "# HELP quire_serve_cache_hits_total Run requests answered from the cache.\n"
                 "# TYPE quire_serve_cache_hits_total counter\nquire_serve_cache_hits_total %llu\n"
                 "# HELP quire_serve_cache_misses_total Run requests that started a render.\n"
                 "# TYPE quire_serve_cache_misses_total counter\n"
                 "quire_serve_cache_misses_total %llu\n", cache_hits, cache_misses);
    pthread_mutex_unlock(&lock);
}
