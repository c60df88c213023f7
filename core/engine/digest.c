/* digest.c - hashing a report's inputs on a thread beside the run. */
#include "digest.h"

#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "model.h"
#include "plugins.h"
#include "sha256.h"
#include "util.h"

struct input_digests {
    input_digest *v;
    struct stat *st;   /* each file's status when it was hashed */
    int *changed;      /* it changed while it was hashed */
    size_t n;
    pthread_t thread;
    int running;       /* the thread was started and not yet joined */
    int done;
};

/* Add path (taken), unless it is there already: two sources may read one
 * file (the parts of one export, filtered two ways). Returns its entry. */
static input_digest *add(input_digests *d, char *path)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        if (strcmp(d->v[i].path, path) == 0) {
            free(path);
            return &d->v[i];
        }
    d->v = xrealloc(d->v, (d->n + 1) * sizeof *d->v);
    d->v[d->n].path = path;
    d->v[d->n].name = NULL;
    d->v[d->n].source = NULL;
    d->v[d->n].hex[0] = '\0';
    return &d->v[d->n++];
}

static void *hash_all(void *arg)
{
    input_digests *d = arg;
    size_t i;
    for (i = 0; i < d->n; i++)
        d->changed[i] = sha256_file(d->v[i].path, d->v[i].hex, &d->st[i]) == -2;
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
            if (is_file_option(p, s->sources[i].options[j].key)) {
                input_digest *in = add(d, path_join(s->dir, s->sources[i].options[j].value));
                if (!in->source)
                    in->source = s->sources[i].name;
            }
        for (j = 0; j < s->sources[i].nparts; j++) {
            const spec_part *pt = &s->sources[i].parts[j];
            size_t k;
            for (k = 0; k < pt->noptions; k++)
                if (is_file_option(p, pt->options[k].key)) {
                    input_digest *in = add(d, path_join(s->dir, pt->options[k].value));
                    if (!in->source)
                        in->source = s->sources[i].name;
                }
        }
    }
    for (i = 0; i < s->nsegmentations; i++)
        if (s->segmentations[i].rule)
            add(d, xstrdup(s->segmentations[i].rule));
    for (i = 0; i < s->nkpis; i++)
        add(d, xstrdup(s->kpis[i].script));
    if (s->targets_file)
        add(d, xstrdup(s->targets_file));
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
    d->st = xcalloc(d->n, sizeof *d->st);
    d->changed = xcalloc(d->n, sizeof *d->changed);
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

/* Whether two statuses of a path are the same file with the same bytes, as
 * far as the system tells: a write moves the size or the modification time,
 * a replacement the inode, a rename the change time. */
static int same_state(const struct stat *a, const struct stat *b)
{
    return a->st_dev == b->st_dev && a->st_ino == b->st_ino && a->st_size == b->st_size &&
           a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec &&
           a->st_ctim.tv_sec == b->st_ctim.tv_sec && a->st_ctim.tv_nsec == b->st_ctim.tv_nsec;
}

int digests_check(input_digests *d, quire_error *err)
{
    size_t i, n;
    struct stat now;

    digests_wait(d, &n);
    for (i = 0; i < n; i++) {
        const char *shown = d->v[i].name ? d->v[i].name : d->v[i].path;
        if (d->changed[i])
            return quire_err_at(err, QUIRE_EXIT_TRANSIENT, shown, 0, 0,
                                "the file changed while it was read; run again once it is "
                                "complete");
        if (!d->v[i].hex[0])
            continue; /* never read: the run reported it, or it is not a file */
        if (stat(d->v[i].path, &now) != 0)
            return quire_err_at(err, QUIRE_EXIT_TRANSIENT, shown, 0, 0,
                                "the file went away while the report was made (%s); run again "
                                "once it is complete", strerror(errno));
        if (!same_state(&d->st[i], &now)) {
            if (now.st_size != d->st[i].st_size)
                return quire_err_at(err, QUIRE_EXIT_TRANSIENT, shown, 0, 0,
                                    "the file changed while the report was made (%lld bytes "
                                    "when it was read, %lld now); run again once it is complete",
                                    (long long)d->st[i].st_size, (long long)now.st_size);
            return quire_err_at(err, QUIRE_EXIT_TRANSIENT, shown, 0, 0,
                                "the file changed while the report was made (it was written "
                                "or replaced); run again once it is complete");
        }
    }
    return 0;
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
    free(d->st);
    free(d->changed);
    free(d);
}
