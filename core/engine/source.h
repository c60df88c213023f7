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
#include "util.h"

typedef struct source source;

/* What one scan of a source that is not a file fetched (its plugin named
 * where the records come from, host->origin): the run manifest records it. */
typedef struct source_read {
    char *source;            /* the source's name in the spec */
    char *origin;            /* the plugin's URL, secrets masked */
    char **columns;          /* the columns delivered, by name in byte order */
    size_t ncolumns;
    unsigned long long records;
    char sha256[65];         /* of the records, in the canonical form (below) */
} source_read;

/* What the sources say about the data while they are read: notes for the
 * reader ("customers: served from the cache fetched 3 h ago"), which the run
 * prints on the title page, and the reads of sources that are not files,
 * for the manifest. They belong to the run; fact sources are read on
 * threads of their own, so each is added under the lock. */
typedef struct data_notes {
    pthread_mutex_t lock;
    char **v;
    size_t n;
    source_read *reads;
    size_t nreads;
    /* The first nfirst notes are the sources' counts (rows read, dropped,
     * kept), one per source, in the order of the sources (order[i]). */
    size_t nfirst;
    int *order;
} data_notes;

void data_notes_init(data_notes *d);
void data_notes_free(data_notes *d);
/* Add "name: text" among the first notes, at its place by order, unless a
 * note of that order is there already (a source read twice counts the same). */
void data_notes_add_first(data_notes *d, int order, const char *name, const char *text);

/* The canonical form of records whose SHA-256 a source_read holds: each
 * record, in the order the plugin delivered them, is one line ending in
 * LF; its fields are the columns in byte order of their names, separated
 * by TAB, each NAME=VALUE, the value as text: \N for a null; an integer in
 * decimal; a number as printf's %.17g; a date as YYYY-MM-DD; a boolean as
 * true or false; a string as its bytes with backslash, TAB, LF and CR
 * written \\, \t, \n and \r. (docs/plugins/writing-a-plugin.md says the
 * same.) Appends the rows of b to out. */
void source_canonical_rows(const quire_batch *b, strbuf *out);

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
