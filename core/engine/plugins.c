/* plugins.c - the plugin search path and loader. */
#include "plugins.h"


#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "spec.h"
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

/* ------------------------------------------------------------ options */

const char *plugin_option_type_name(quire_opt_type t)
{
    switch (t) {
    case QUIRE_OPT_INTEGER: return "integer";
    case QUIRE_OPT_BOOLEAN: return "boolean";
    case QUIRE_OPT_PATH: return "path";
    case QUIRE_OPT_CHAR: return "character";
    case QUIRE_OPT_ENUM: return "enum";
    case QUIRE_OPT_NUMBER: return "number";
    default: return "string";
    }
}

option_check plugin_option_parse(const quire_option_def *d, const char *text, const char *dir,
                                 char **norm, quire_option_value *v)
{
    char *end;
    size_t k;

    memset(v, 0, sizeof *v);
    *norm = NULL;
    switch (d->type) {
    case QUIRE_OPT_INTEGER: {
        long long x;
        errno = 0;
        x = strtoll(text, &end, 10);
        if (!*text || *end || errno)
            return OPTION_NOT_INTEGER;
        v->i = x;
        v->n = (double)x;
        *norm = xstrdup(text);
        break;
    }
    case QUIRE_OPT_BOOLEAN:
        if (strcmp(text, "true") == 0 || strcmp(text, "yes") == 0)
            v->i = 1;
        else if (strcmp(text, "false") != 0 && strcmp(text, "no") != 0)
            return OPTION_NOT_BOOLEAN;
        *norm = xstrdup(v->i ? "true" : "false");
        break;
    case QUIRE_OPT_CHAR:
        if (strcmp(text, "\\t") == 0)
            text = "\t";
        else if (strlen(text) != 1)
            return OPTION_NOT_CHAR;
        v->i = (unsigned char)text[0];
        *norm = xstrdup(text);
        break;
    case QUIRE_OPT_NUMBER: {
        double x;
        errno = 0;
        x = strtod(text, &end);
        if (!*text || *end || errno || !isfinite(x))
            return OPTION_NOT_NUMBER;
        v->n = x;
        *norm = xstrdup(text);
        break;
    }
    case QUIRE_OPT_ENUM:
        for (k = 0; d->choices && d->choices[k]; k++)
            if (strcmp(d->choices[k], text) == 0)
                break;
        if (!d->choices || !d->choices[k])
            return OPTION_NOT_CHOICE;
        v->i = (int64_t)k;
        *norm = xstrdup(text);
        break;
    case QUIRE_OPT_PATH:
        *norm = dir ? path_join(dir, text) : xstrdup(text);
        break;
    default: /* STRING, and types of later ABI versions: the text */
        *norm = xstrdup(text);
        break;
    }
    v->text = *norm;
    v->set = 1;
    return OPTION_OK;
}

char *plugin_option_expects(const quire_option_def *d)
{
    strbuf b = {0};
    size_t k;

    switch (d->type) {
    case QUIRE_OPT_INTEGER: return xstrdup("a whole number");
    case QUIRE_OPT_BOOLEAN: return xstrdup("true or false");
    case QUIRE_OPT_CHAR: return xstrdup("a single character");
    case QUIRE_OPT_NUMBER: return xstrdup("a number");
    case QUIRE_OPT_ENUM:
        sb_puts(&b, "one of ");
        for (k = 0; d->choices && d->choices[k]; k++)
            sb_printf(&b, "%s%s", k ? ", " : "", d->choices[k]);
        return b.s;
    default: return xstrdup("text");
    }
}

/* ------------------------------------------------------------ loading */

#define MAX_OPTIONS 4096
#define MAX_CHOICES 1024
#define MAX_STRIDE 65536

/*
 * The stride of an array the plugin declares at field off of its descriptor
 * (struct_size says whether it is there), or the 1.1 size. Refuses a stride
 * too small for the 1.1 struct, one that would misalign the elements, and
 * nonsense. Returns the stride, or 0 with why set.
 */
static uint32_t stride_of(const quire_plugin *d, size_t off, uint32_t value, size_t size_1_1,
                          size_t align, const char *field, const char *type, char *why,
                          size_t nwhy)
{
    if (d->struct_size < off + sizeof(uint32_t))
        return (uint32_t)size_1_1;
    if (value < size_1_1 || value % align || value > MAX_STRIDE) {
        snprintf(why, nwhy, "the descriptor's %s is %u; set it to sizeof(%s) (at least %zu, a "
                 "multiple of %zu)", field, value, type, size_1_1, align);
        return 0;
    }
    return value;
}

/*
 * Check the descriptor copy d (fields past the plugin's struct_size already
 * zero) and make its option table the host's: *opts, an ordinary array
 * ending with a NULL name. Returns 0, or -1 with why set.
 */
static int check_descriptor(quire_plugin *d, quire_option_def **opts, char *why, size_t nwhy)
{
    uint32_t ostride, cstride;
    size_t n = 0, i, j, k;
    quire_option_def *o;

    *opts = NULL;
    if (!d->name || !*d->name || !d->open || !d->scan || !d->close) {
        snprintf(why, nwhy, "plugin descriptor is incomplete (it needs a name, open, scan and "
                 "close)");
        return -1;
    }
    ostride = stride_of(d, offsetof(quire_plugin, option_size), d->option_size,
                        PLUGIN_OPTION_SIZE_1_1, _Alignof(quire_option_def), "option_size",
                        "quire_option_def", why, nwhy);
    if (!ostride)
        return -1;
    cstride = stride_of(d, offsetof(quire_plugin, column_size), d->column_size,
                        PLUGIN_COLUMN_SIZE_1_1, _Alignof(quire_column), "column_size",
                        "quire_column", why, nwhy);
    if (!cstride)
        return -1;
    if (d->options)
        while (((const quire_option_def *)QUIRE_AT(d->options, ostride, n))->name)
            if (++n == MAX_OPTIONS) {
                snprintf(why, nwhy, "the option table has no end (an entry with name NULL) "
                         "within %d entries", MAX_OPTIONS);
                return -1;
            }
    o = xcalloc(n + 1, sizeof *o);
    for (i = 0; i < n; i++)
        memcpy(&o[i], QUIRE_AT(d->options, ostride, i),
               ostride < sizeof *o ? ostride : sizeof *o);
    for (i = 0; i < n; i++) {
        const char *name = o[i].name;
        /* pushdown became Quire's own key with ABI 1.3: an older plugin's
         * option of that name still loads (and keeps its default) */
        if (!*name || (spec_is_source_key(name) &&
                       (strcmp(name, "pushdown") != 0 || (d->abi_version & 0xffff) >= 3))) {
            snprintf(why, nwhy, "option %zu is named \"%s\", which a spec cannot give", i + 1, name);
            goto bad;
        }
        for (j = 0; j < i; j++)
            if (strcmp(o[j].name, name) == 0) {
                snprintf(why, nwhy, "option \"%s\" is declared twice", name);
                goto bad;
            }
        if (o[i].type == QUIRE_OPT_ENUM) {
            int ok = o[i].choices && o[i].choices[0];
            for (k = 0; ok && o[i].choices[k]; k++)
                if (!*o[i].choices[k] || k + 1 == MAX_CHOICES)
                    ok = 0;
            if (!ok) {
                snprintf(why, nwhy, "option \"%s\" is an enum: it needs choices, a list of at "
                         "most %d non-empty names ending with NULL", name, MAX_CHOICES - 1);
                goto bad;
            }
        }
        if (o[i].default_value) {
            char *norm;
            quire_option_value v;
            if (plugin_option_parse(&o[i], o[i].default_value, NULL, &norm, &v) != OPTION_OK) {
                char *want = plugin_option_expects(&o[i]);
                snprintf(why, nwhy, "the default of option \"%s\" is not %s", name, want);
                free(want);
                goto bad;
            }
            free(norm);
        }
    }
    d->options = o;
    d->option_size = sizeof *o;
    d->column_size = cstride;
    *opts = o;
    return 0;
bad:
    free(o);
    return -1;
}

/* The host a load() hook sees: its hctx is a load_ctx. Log and error work;
 * emit and note are not for load(). */
typedef struct load_ctx {
    const char *name;
    char msg[600];
    int failed;
} load_ctx;

static void *l_alloc(size_t n) { return malloc(n); }
static void *l_realloc(void *p, size_t n) { return realloc(p, n); }
static void l_free(void *p) { free(p); }

static void l_log(void *hctx, int level, const char *fmt, ...)
{
    load_ctx *lc = hctx;
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    qlog(level <= QUIRE_LOG_WARN ? LOG_WARN : level == QUIRE_LOG_INFO ? LOG_INFO : LOG_DEBUG,
         "[%s] %s", lc->name, msg);
}

static void l_error(void *hctx, const char *fmt, ...)
{
    load_ctx *lc = hctx;
    va_list ap;

    if (lc->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(lc->msg, sizeof lc->msg, fmt, ap);
    va_end(ap);
    lc->failed = 1;
}

static void l_error_at(void *hctx, const quire_error_info *where, const char *fmt, ...)
{
    load_ctx *lc = hctx;
    char msg[500];
    va_list ap;

    if (lc->failed)
        return;
    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (where && QUIRE_HAS_FIELD(where, quire_error_info, file) && where->file)
        snprintf(lc->msg, sizeof lc->msg, "%s: %s", where->file, msg);
    else
        snprintf(lc->msg, sizeof lc->msg, "%s", msg);
    lc->failed = 1;
}

static int l_emit(void *hctx, const quire_batch *b)
{
    (void)b;
    l_error(hctx, "emit() was called from load()");
    return 1;
}

static void l_note(void *hctx, const char *fmt, ...)
{
    load_ctx *lc = hctx;
    char msg[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    qlog(LOG_WARN, "[%s] %s", lc->name, msg);
}

static const quire_host load_host = {
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(quire_host),
    .alloc = l_alloc,
    .realloc = l_realloc,
    .free = l_free,
    .log = l_log,
    .emit = l_emit,
    .error = l_error,
    .note = l_note,
    .error_at = l_error_at,
};

/*
 * dlopen one file, check its descriptor and copy it, run its load() hook.
 * Nothing of the plugin is read after dlclose: messages are made first.
 */
static int load_file(plugin_registry *r, const char *path, quire_error *err)
{
    void *h = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    quire_plugin_entry_fn entry;
    const quire_plugin *d;
    quire_plugin *copy;
    quire_option_def *opts;
    const size_t need = offsetof(quire_plugin, close) + sizeof d->close;
    uint32_t abi, size;
    char why[512];

    if (!h)
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "cannot load plugin: %s", dlerror());
    *(void **)&entry = dlsym(h, QUIRE_PLUGIN_ENTRY_NAME);
    if (!entry) {
        dlclose(h);
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "not a Quire plugin (no %s symbol)",
                            QUIRE_PLUGIN_ENTRY_NAME);
    }
    d = entry();
    if (!d) {
        dlclose(h);
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "%s() returned no descriptor",
                            QUIRE_PLUGIN_ENTRY_NAME);
    }
    /* Every descriptor has these two; the rest only as far as struct_size. */
    abi = d->abi_version;
    size = d->struct_size;
    if (QUIRE_ABI_MAJOR_OF(abi) != QUIRE_PLUGIN_ABI_MAJOR) {
        dlclose(h);
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0,
                            "plugin built for plugin ABI %u.%u, this quire speaks %u.%u",
                            abi >> 16, abi & 0xffff, QUIRE_PLUGIN_ABI_MAJOR,
                            QUIRE_PLUGIN_ABI_MINOR);
    }
    if (size < need) {
        dlclose(h);
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0,
                            "plugin descriptor is too small (struct_size %u, ABI %u.%u needs at "
                            "least %zu); rebuild the plugin against quire/plugin.h",
                            size, abi >> 16, abi & 0xffff, need);
    }
    copy = xcalloc(1, sizeof *copy);
    memcpy(copy, d, size < sizeof *copy ? size : sizeof *copy);
    if (check_descriptor(copy, &opts, why, sizeof why)) {
        free(copy);
        dlclose(h);
        return quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "%s", why);
    }
    if (find(r, copy->name)) {
        free(opts);
        free(copy);
        dlclose(h); /* an earlier folder of the search path wins */
        return 0;
    }
    if (copy->load) {
        load_ctx lc;
        int rc;
        memset(&lc, 0, sizeof lc);
        lc.name = copy->name;
        rc = copy->load(&load_host, &lc);
        if (rc || lc.failed) {
            quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "plugin \"%s\" failed to set up: %s",
                         copy->name, lc.failed ? lc.msg : "load() returned non-zero");
            free(opts);
            free(copy);
            dlclose(h);
            return -1;
        }
    }
    r->v = xrealloc(r->v, (r->n + 1) * sizeof *r->v);
    r->v[r->n].path = xstrdup(path);
    r->v[r->n].handle = h;
    r->v[r->n].desc = copy;
    r->v[r->n].options = opts;
    r->n++;
    return 0;
}

/* Remember that name failed, with err, so that it is not loaded again. */
static void remember_failure(plugin_registry *r, const char *name, const quire_error *err)
{
    r->failed = xrealloc(r->failed, (r->nfailed + 1) * sizeof *r->failed);
    r->failed[r->nfailed].name = xstrdup(name);
    r->failed[r->nfailed].err = *err;
    r->nfailed++;
}

const quire_plugin *plugins_get(plugin_registry *r, const char *name, quire_error *err)
{
    const loaded_plugin *lp = find(r, name);
    char *path, *dir, *save = NULL;
    size_t i;

    if (lp)
        return lp->desc;
    for (i = 0; i < r->nfailed; i++)
        if (strcmp(r->failed[i].name, name) == 0) {
            if (err)
                *err = r->failed[i].err;
            return NULL;
        }
    path = plugins_search_path();
    for (dir = strtok_r(path, ":", &save); dir; dir = strtok_r(NULL, ":", &save)) {
        char *file = xasprintf("%s/%s.so", dir, name);
        struct stat st;
        if (stat(file, &st) == 0) {
            quire_error e = {0};
            int rc = load_file(r, file, &e);
            free(file);
            if (rc) {
                remember_failure(r, name, &e);
                if (err)
                    *err = e;
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
    {
        quire_error e = {0};
        quire_err(&e, QUIRE_EXIT_USAGE, "no plugin named \"%s\" (searched %s; `quire plugins` "
                  "lists those installed)", name, path);
        remember_failure(r, name, &e);
        if (err)
            *err = e;
    }
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

    /* The last loaded is unloaded first. */
    for (i = r->n; i-- > 0;) {
        loaded_plugin *lp = &r->v[i];
        if (lp->desc->unload)
            lp->desc->unload();
        free(lp->path);
        free(lp->options);
        free(lp->desc);
        dlclose(lp->handle);
    }
    free(r->v);
    r->v = NULL;
    r->n = 0;
    for (i = 0; i < r->nfailed; i++)
        free(r->failed[i].name);
    free(r->failed);
    r->failed = NULL;
    r->nfailed = 0;
}
