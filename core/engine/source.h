/*
 * source.h - a spec's source, opened through its plugin.
 *
 * source_open() checks the source's options against the plugin's option
 * table (unknown options, missing required ones, wrong types: errors at the
 * spec's line and column), resolves path options against the spec's folder,
 * and opens the plugin. source_scan() streams batches to a callback.
 */
#ifndef QUIRE_SOURCE_H
#define QUIRE_SOURCE_H

#include <pthread.h>
#include <stdint.h>

#include "error.h"
#include "plugins.h"
#include "spec.h"

typedef struct source source;

/* Notes about the data that sources make while they are read ("customers:
 * served from the cache fetched 3 h ago"). They belong to the run, which
 * prints them on the title page; fact sources are read on threads of their
 * own, so a note is added under the lock. */
typedef struct data_notes {
    pthread_mutex_t lock;
    char **v;
    size_t n;
} data_notes;

void data_notes_init(data_notes *d);
void data_notes_free(data_notes *d);

/* Called with each batch; return 0 to go on, or -1 with err set to stop. */
typedef int (*source_batch_fn)(void *user, const quire_batch *b, quire_error *err);

/* Open src through its plugin (loaded into reg). notes: where the source's
 * notes go (NULL: the log only). */
source *source_open(const spec *s, const spec_source *src, plugin_registry *reg,
                    data_notes *notes, quire_error *err);
/* Stream the source. proj: the columns wanted (NULL = all). */
int source_scan(source *so, const quire_column *proj, size_t nproj, uint64_t max_records,
                source_batch_fn fn, void *user, quire_error *err);
/* Whether the fact query may go to so's plugin: it has aggregate() and the
 * spec has not turned pushdown off. */
int source_can_aggregate(const source *so);
/* Send the fact query q (columns in the host's layout) to the plugin; its
 * batches, checked against q->result, go to fn. Returns 0; 1 when the
 * plugin declined (nothing was read: scan the rows instead); -1 with err
 * set. */
int source_aggregate(source *so, const quire_aggregate_request *q, source_batch_fn fn,
                     void *user, quire_error *err);
/*
 * What the run manifest must not show: the spec's parameters written into an
 * option that its plugin declares secret (`token: ${api_token}`), and the
 * values of such options (as written, and resolved against the spec's
 * folder). Found in the read stage, which has the plugins loaded; the
 * document stage only looks them up.
 */
typedef struct source_secrets {
    char **params;
    size_t nparams;
    char **values;
    size_t nvalues;
} source_secrets;

/* Fill out for every source of s (loading their plugins into reg; a plugin
 * that cannot be loaded declares nothing). */
void source_secrets_find(const spec *s, plugin_registry *reg, source_secrets *out);
int source_secrets_param(const source_secrets *x, const char *name);
int source_secrets_value(const source_secrets *x, const char *value);
void source_secrets_free(source_secrets *x);
void source_close(source *so);

#endif
