/* digest.c - hashing a report's inputs on a thread beside the run. */
#include "digest.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>

#include "model.h"
#include "plugins.h"
#include "sha256.h"
#include "util.h"

struct input_digests {
    input_digest *v;
    size_t n;
    pthread_t thread;
    int running;       /* the thread was started and not yet joined */
    int done;
};

/* Add path (taken), unless it is there already: two sources may read one
 * file (the parts of one export, filtered two ways). */
static void add(input_digests *d, char *path)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        if (strcmp(d->v[i].path, path) == 0) {
            free(path);
            return;
        }
    d->v = xrealloc(d->v, (d->n + 1) * sizeof *d->v);
    d->v[d->n].path = path;
    d->v[d->n].name = NULL;
    d->v[d->n].hex[0] = '\0';
    d->n++;
}

static void *hash_all(void *arg)
{
    input_digests *d = arg;
    size_t i;
    for (i = 0; i < d->n; i++)
        sha256_file(d->v[i].path, d->v[i].hex);
    return NULL;
}

/* Whether option key of plugin p names a local file: its type is PATH. A
 * REST source's "path" (an endpoint) is not one. Without p, an option named
 * path is taken for a file. */
static int is_file_option(const quire_plugin *p, const char *key)
{
    const quire_option_def *o;
    size_t k;

    if (!p)
        return strcmp(key, "path") == 0;
    for (k = 0; p->options && (o = QUIRE_AT(p->options, p->option_size, k))->name; k++)
        if (strcmp(o->name, key) == 0)
            return o->type == QUIRE_OPT_PATH;
    return 0;
}

input_digests *digests_start(const spec *s, plugin_registry *reg)
{
    input_digests *d = xcalloc(1, sizeof *d);
    size_t i, j;

    add(d, xstrdup(s->path));
    for (i = 0; i < s->nsources; i++) {
        const quire_plugin *p = NULL;
        if (reg) {
            quire_error e;
            memset(&e, 0, sizeof e);
            p = plugins_get(reg, s->sources[i].plugin, &e);
            if (!p)
                continue; /* the run stops at this source with the error */
        }
        for (j = 0; j < s->sources[i].noptions; j++)
            if (is_file_option(p, s->sources[i].options[j].key))
                add(d, path_join(s->dir, s->sources[i].options[j].value));
        for (j = 0; j < s->sources[i].nparts; j++) {
            const spec_part *pt = &s->sources[i].parts[j];
            size_t k;
            for (k = 0; k < pt->noptions; k++)
                if (is_file_option(p, pt->options[k].key))
                    add(d, path_join(s->dir, pt->options[k].value));
        }
    }
    for (i = 0; i < s->nsegmentations; i++)
        if (s->segmentations[i].rule)
            add(d, xstrdup(s->segmentations[i].rule));
    for (i = 0; i < s->nkpis; i++)
        add(d, xstrdup(s->kpis[i].script));
    /* Quire's Lua library, which every script may call (when it is missing,
     * the run stops before the manifest is written). */
    {
        char *lib = lua_api_library(NULL);
        if (lib) {
            /* named by its place in Quire's tree, not where this program
             * found it, so the manifest is the same for every build */
            add(d, lib);
            d->v[d->n - 1].name = QUIRE_LUA_LIB_PATH;
        }
    }
    /* Insight scripts, each once. */
    for (i = 0; i < s->nsections; i++)
        for (j = 0; j < s->sections[i].nblocks; j++) {
            const spec_block *b = &s->sections[i].blocks[j];
            size_t k, o;
            for (k = 0; b->insights && k < b->nitems; k++) {
                const char *path = b->insights[k].script;
                if (!path)
                    continue;
                for (o = 0; o < d->n && strcmp(d->v[o].path, path) != 0; o++)
                    ;
                if (o == d->n)
                    add(d, xstrdup(path));
            }
        }
    d->running = pthread_create(&d->thread, NULL, hash_all, d) == 0;
    return d;
}

const input_digest *digests_wait(input_digests *d, size_t *n)
{
    if (!d->done) {
        if (d->running)
            pthread_join(d->thread, NULL);
        else
            hash_all(d);
        d->running = 0;
        d->done = 1;
    }
    *n = d->n;
    return d->v;
}

void digests_free(input_digests *d)
{
    size_t i, n;

    if (!d)
        return;
    digests_wait(d, &n);
    for (i = 0; i < d->n; i++)
        free(d->v[i].path);
    free(d->v);
    free(d);
}
