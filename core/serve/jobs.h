/*
 * jobs.h - renders as child processes, from a bounded queue.
 *
 * Each run is `quire run` (the same program) in a child process of its own,
 * in its own process group, writing into the run's folder of the cache,
 * with a wall-clock limit: a render that fails, hangs or crashes ends
 * there, and the server goes on. At most `workers` run at once; at most
 * `queue` more wait; a run beyond that is refused (the caller answers 503).
 */
#ifndef QUIRE_JOBS_H
#define QUIRE_JOBS_H

#include <stddef.h>
#include <stdint.h>

#include "store.h"
#include "util.h"

/* What a run writes, in the order a page lists it. A format whose `arg` is
 * set is asked of `quire run` (--format pdf,ARG,...) when the program has
 * that option; the others are the PDF and the --export files. */
typedef struct serve_format {
    const char *file;     /* in the run's folder */
    const char *mime;
    const char *label;
    const char *arg;      /* in quire run's --format list; NULL: always made */
    int available;
} serve_format;
extern serve_format serve_formats[];
extern const size_t serve_nformats;
/* The format whose file is name, or NULL. */
const serve_format *serve_format_find(const char *name);

typedef struct jobs_opts {
    const char *program;   /* the quire binary */
    const char *reports;   /* the reports folder (stripped from errors) */
    const char *cache;     /* the cache folder: one folder per run key */
    int workers, queue;
    double timeout;        /* seconds a render may take */
    store *st;
} jobs_opts;

/* Start the workers; see which formats the program renders. */
int jobs_start(const jobs_opts *o);
/* Queue a render of run id (spec path and parameters copied). Returns 0,
 * or -1 when the queue is full or the server is stopping. */
int jobs_submit(int64_t id, const char *key, const char *spec_path, const char *const *names,
                const char *const *values, size_t n);
/* Stop: no new runs; the queued ones are abandoned; the running ones have
 * grace seconds to finish, then are stopped (SIGTERM, then SIGKILL), and
 * recorded abandoned. Joins the workers. */
void jobs_stop(double grace);
/* The folder of a run key (a new string). */
char *jobs_dir(const char *key);
/* Counters and gauges in Prometheus' text format. */
void jobs_metrics(strbuf *b);
/* The queue's length and the renders running now. */
void jobs_load(int *queued, int *running);
/* A cache hit (a run found done for its key). */
void jobs_count_hit(void);
void jobs_count_miss(void);

#endif
