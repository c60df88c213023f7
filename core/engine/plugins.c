/* plugins.c - the plugin search path and loader. */
#include "plugins.h"

#include <dirent.h>
#include <dlfcn.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "util.h"

char *plugins_search_path(void)
{
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    const char *env = getenv("QUIRE_PLUGIN_PATH");
    strbuf b = {0};

    if (n > 0) {
        char *dir;
        exe[n] = '\0';
        dir = path_dirname(exe);
        sb_printf(&b, "%s/plugins:%s/../lib/quire/plugins", dir, dir);
        free(dir);
    }
    if (env && *env)
        sb_printf(&b, "%s%s", b.len ? ":" : "", env);
    if (!b.s)
        sb_puts(&b, "");
    return b.s;
}

static const loaded_plugin *find(const plugin_registry *r, const char *name)
{
    size_t i;
    for (i = 0; i < r->n; i++)
        if (strcmp(r->v[i].desc->name, name) == 0)
            return &r->v[i];
    return NULL;
}

/* dlopen one file and check its descriptor. */
static int load_file(plugin_registry *r, const char *path, quire_error *err)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    quire_plugin_entry_fn entry;
    const quire_plugin *d;
    size_t need = offsetof(quire_plugin, close) + sizeof d->close;

    if (!h)
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "cannot load plugin: %s", dlerror());
    *(void **)&entry = dlsym(h, QUIRE_PLUGIN_ENTRY_NAME);
    if (!entry) {
        dlclose(h);
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "not a Quire plugin (no %s symbol)",
                            QUIRE_PLUGIN_ENTRY_NAME);
    }
    d = entry();
    if (!d || QUIRE_ABI_MAJOR_OF(d->abi_version) != QUIRE_PLUGIN_ABI_MAJOR) {
        quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0,
                     "plugin built for plugin ABI %u.%u, this quire speaks %u.%u",
                     d ? d->abi_version >> 16 : 0, d ? d->abi_version & 0xffff : 0,
                     QUIRE_PLUGIN_ABI_MAJOR, QUIRE_PLUGIN_ABI_MINOR);
        dlclose(h);
        return -1;
    }
    if (d->struct_size < need || !d->name || !d->open || !d->scan || !d->close) {
        dlclose(h);
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0,
                            "plugin descriptor is incomplete (struct_size %u, need %zu)",
                            d->struct_size, need);
    }
    if (find(r, d->name)) {
        dlclose(h); /* an earlier folder of the search path wins */
        return 0;
    }
    r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
    r->v[r->n].path = xstrdup(path);
    r->v[r->n].handle = h;
    r->v[r->n].desc = d;
    r->n++;
    return 0;
}

const quire_plugin *plugins_get(plugin_registry *r, const char *name, quire_error *err)
{
    const loaded_plugin *lp = find(r, name);
    char *path, *dir, *save = NULL;

    if (lp)
        return lp->desc;
    path = plugins_search_path();
    for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *file = xasprintf("%s/%s.so", dir, name);
        struct stat st;
        if (stat(file, &st) == 0) {
            int rc = load_file(r, file, err);
            free(file);
            if (rc) {
                free(path);
                return NULL;
            }
            if ((lp = find(r, name)) != NULL) {
                free(path);
                return lp->desc;
            }
            continue;
        }
        free(file);
    }
    free(path);
    path = plugins_search_path();
    quire_err(err, QUIRE_EXIT_USAGE, "no plugin named \"%s\" (searched %s; `quire plugins` lists "
              "those installed)", name, path);
    free(path);
    return NULL;
}

static int by_name(const void *a, const void *b)
{
    return strcmp(((const loaded_plugin *)a)->desc->name, ((const loaded_plugin *)b)->desc->name);
}

size_t plugins_load_all(plugin_registry *r)
{
    char *path = plugins_search_path(), *dir, *save = NULL;

    for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        DIR *d = opendir(dir);
        struct dirent *e;
        char **names = NULL;
        size_t n = 0, i;

        if (!d)
            continue;
        while ((e = readdir(d)) != NULL) {
            size_t len = strlen(e->d_name);
            if (len > 3 && strcmp(e->d_name + len - 3, ".so") == 0) {
                names = xrealloc(names, (n + 1) * sizeof *names);
                names[n++] = xasprintf("%s/%s", dir, e->d_name);
            }
        }
        closedir(d);
        for (i = 0; i < n; i++) {
            quire_error err = {0};
            char text[QUIRE_ERROR_TEXT_MAX];
            if (load_file(r, names[i], &err))
                qlog(LOG_WARN, "%s", quire_err_format(&err, text, sizeof text));
            free(names[i]);
        }
        free(names);
    }
    free(path);
    if (r->n > 1)
        qsort(r->v, r->n, sizeof *r->v, by_name);
    return r->n;
}

void plugins_free(plugin_registry *r)
{
    size_t i;
    for (i = 0; i < r->n; i++) {
        free(r->v[i].path);
        dlclose(r->v[i].handle);
    }
    free(r->v);
    r->v = NULL;
    r->n = 0;
}
