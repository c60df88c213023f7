/* source.c - opening a spec's source through its plugin. */
#include "source.h"

#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

struct source {
    const quire_plugin *plugin;
    data_notes *notes;       /* where notes about the data go, or NULL */
    const spec *spec;
    const spec_source *src;
    void *state;
    char **values;          /* option values, in the plugin's table order */
    size_t nvalues;
    /* the scan in progress */
    source_batch_fn fn;
    void *user;
    quire_error *err;
    int failed;
    int opening; /* in the plugin's open() */
};

/* What an error about the source as a whole names: source "name". */
static int source_err(const spec_source *src, quire_error *err, const char *fmt, const char *a)
{
    char subject[300];

    snprintf(subject, sizeof subject, "source \"%s\"", src->name);
    return quire_err_at(err, QUIRE_EXIT_DATA, subject, 0, 0, fmt, a);
}

static void *h_alloc(size_t n) { return malloc(n); }
static void *h_realloc(void *p, size_t n) { return realloc(p, n); }
static void h_free(void *p) { free(p); }

static void h_log(void *hctx, int level, const char *fmt, ...)
{
    source *so = hctx;
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    qlog(level <= QUIRE_LOG_WARN ? LOG_WARN : level == QUIRE_LOG_INFO ? LOG_INFO : LOG_DEBUG,
         "[%s:%s] %s", so->plugin->name, so->src->name, msg);
}

/* The number that ends where[0, *len) after a ':' ("...:12"), with *len
 * cut before the ':'; -1 if there is none, 0 if it is 0 or too large. */
static int trailing_number(const char *where, size_t *len)
{
    size_t k = *len;
    long v = 0, scale = 1;

    while (k > 0 && where[k - 1] >= '0' && where[k - 1] <= '9') {
        if (scale > 100000000L)
            return 0;
        v += (where[k - 1] - '0') * scale;
        scale *= 10;
        k--;
    }
    if (k == *len || k == 0 || where[k - 1] != ':')
        return -1;
    *len = k - 1;
    return (int)v;
}

/* The error call of plugin ABI 1.0 and 1.1 takes one line of text that
 * starts with where it happened: "path:line:col: what", "path:line: what",
 * or a subject, "source \"x\": what". Until a plugin can hand the where over
 * as data, this is the one place the host reads a where out of text - the
 * plugin's text, never an error's message - and keeps it in the error's
 * fields, so it prints as every other diagnostic. The where is the run of
 * ":<digits>: " prefixes at the start, else the text before the first ": ".
 * Returns the length of the where (0: none) and sets *line, *col; *what is
 * where the rest starts. */
static size_t plugin_where(const char *msg, int *line, int *col, const char **what)
{
    const char *p, *end = NULL;
    size_t len, n;
    int a, b;

    *line = *col = 0;
    for (p = msg; (p = strstr(p, ": ")) != NULL; p += 2) {
        const char *q = p;
        while (q > msg && q[-1] >= '0' && q[-1] <= '9')
            q--;
        if (q < p && q > msg && q[-1] == ':')
            end = p; /* "...:<digits>: " */
        else
            break;
    }
    if (!end)
        end = strstr(msg, ": ");
    if (!end) {
        *what = msg;
        return 0;
    }
    *what = end + 2;
    len = n = (size_t)(end - msg);
    if ((b = trailing_number(msg, &n)) > 0) {
        size_t k = n;
        if ((a = trailing_number(msg, &k)) > 0) {
            *line = a; /* path:line:col */
            *col = b;
            len = k;
        } else if (a < 0) {
            *line = b; /* path:line */
            len = n;
        }
    }
    return len; /* else all of it: a path or a subject */
}

static void h_error(void *hctx, const char *fmt, ...)
{
    source *so = hctx;
    char msg[900], file[512];
    const char *what;
    size_t n;
    int line, col;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    so->failed = 1;
    n = plugin_where(msg, &line, &col, &what);
    if (n == 0) {
        source_err(so->src, so->err, "%s", msg);
        return;
    }
    snprintf(file, sizeof file, "%.*s", (int)n, msg);
    if (so->opening && strcmp(file, so->spec->path) == 0) {
        /* open() found fault with the spec (its options, mostly): a spec
         * error, at the source in the spec unless the plugin said where. */
        if (!line) {
            line = so->src->pos.line;
            col = so->src->pos.col;
        }
        quire_err_at(so->err, QUIRE_EXIT_USAGE, file, line, col, "%s (source \"%s\")", what,
                     so->src->name);
        return;
    }
    quire_err_at(so->err, QUIRE_EXIT_DATA, file, line, col, "%s (source \"%s\")", what,
                 so->src->name);
}

void data_notes_init(data_notes *d)
{
    memset(d, 0, sizeof *d);
    pthread_mutex_init(&d->lock, NULL);
}

void data_notes_free(data_notes *d)
{
    size_t i;

    for (i = 0; i < d->n; i++)
        free(d->v[i]);
    free(d->v);
    pthread_mutex_destroy(&d->lock);
    memset(d, 0, sizeof *d);
}

static void h_note(void *hctx, const char *fmt, ...)
{
    source *so = hctx;
    data_notes *d = so->notes;
    char msg[600];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    qlog(LOG_WARN, "[%s:%s] %s", so->plugin->name, so->src->name, msg);
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->v = xrealloc(d->v, (d->n + 1) * sizeof *d->v);
    d->v[d->n++] = xasprintf("%s: %s", so->src->name, msg);
    pthread_mutex_unlock(&d->lock);
}

static int h_emit(void *hctx, const quire_batch *b)
{
    source *so = hctx;
    if (so->fn(so->user, b, so->err)) {
        so->failed = 1;
        return 1;
    }
    return 0;
}

static const quire_host host = {
    QUIRE_PLUGIN_ABI_VERSION, sizeof(quire_host), h_alloc, h_realloc, h_free, h_log, h_emit, h_error,
    h_note,
};

static int bad_option(const spec *s, const spec_option *o, quire_error *err, const char *fmt,
                      const char *a, const char *b)
{
    return quire_err_at(err, QUIRE_EXIT_USAGE, s->path, o->pos.line, o->pos.col, fmt, a, b);
}

/* Check the spec's options against the plugin's table; fill so->values. */
static int check_options(source *so, const spec *s, quire_error *err)
{
    const quire_option_def *defs = so->plugin->options;
    const spec_source *src = so->src;
    size_t n = 0, i, j;

    while (defs && defs[n].name)
        n++;
    so->nvalues = n;
    so->values = xcalloc(n + 1, sizeof *so->values);
    for (i = 0; i < src->noptions; i++) {
        const spec_option *o = &src->options[i];
        for (j = 0; j < n; j++)
            if (strcmp(defs[j].name, o->key) == 0)
                break;
        if (j == n) {
            const char **names = xmalloc((n + 3) * sizeof *names);
            const char *hint;
            strbuf list = {0};
            size_t k;
            for (k = 0; k < n; k++) {
                names[k] = defs[k].name;
                sb_printf(&list, "%s%s", k ? ", " : "", defs[k].name);
            }
            names[n] = "plugin";
            names[n + 1] = "columns";
            hint = closest_word(o->key, names, n + 2);
            if (hint)
                bad_option(s, o, err, "unknown option \"%s\"; did you mean \"%s\"?", o->key, hint);
            else
                bad_option(s, o, err, "unknown option \"%s\"; this plugin's options: %s", o->key,
                           list.s ? list.s : "(none)");
            sb_free(&list);
            free(names);
            return -1;
        }
        switch (defs[j].type) {
        case QUIRE_OPT_INTEGER: {
            char *end;
            strtoll(o->value, &end, 10);
            if (!*o->value || *end)
                return bad_option(s, o, err, "option \"%s\" must be a whole number, not \"%s\"",
                                  o->key, o->value);
            break;
        }
        case QUIRE_OPT_BOOLEAN:
            if (strcmp(o->value, "true") && strcmp(o->value, "false") && strcmp(o->value, "yes") &&
                strcmp(o->value, "no"))
                return bad_option(s, o, err, "option \"%s\" must be true or false, not \"%s\"",
                                  o->key, o->value);
            break;
        case QUIRE_OPT_CHAR:
            if (strlen(o->value) != 1 && strcmp(o->value, "\\t") != 0)
                return bad_option(s, o, err, "option \"%s\" must be a single character, not \"%s\"",
                                  o->key, o->value);
            break;
        default:
            break;
        }
        free(so->values[j]);
        if (defs[j].type == QUIRE_OPT_PATH)
            so->values[j] = path_join(s->dir, o->value);
        else if (defs[j].type == QUIRE_OPT_BOOLEAN)
            so->values[j] = xstrdup(o->value[0] == 't' || o->value[0] == 'y' ? "true" : "false");
        else if (defs[j].type == QUIRE_OPT_CHAR && strcmp(o->value, "\\t") == 0)
            so->values[j] = xstrdup("\t");
        else
            so->values[j] = xstrdup(o->value);
    }
    for (j = 0; j < n; j++) {
        if (so->values[j])
            continue;
        if (defs[j].required)
            return quire_err_at(err, QUIRE_EXIT_USAGE, s->path, src->pos.line, src->pos.col,
                                "source \"%s\" needs option \"%s\" (%s)", src->name, defs[j].name,
                                defs[j].help ? defs[j].help : "required");
        if (defs[j].default_value)
            so->values[j] = xstrdup(defs[j].default_value);
    }
    return 0;
}

source *source_open(const spec *s, const spec_source *src, plugin_registry *reg,
                    data_notes *notes, quire_error *err)
{
    source *so;
    quire_source_config cfg;
    const quire_plugin *p = plugins_get(reg, src->plugin, err);

    if (!p) {
        /* At the plugin's name in the spec; a plugin file that would not
         * load is named in the message. */
        if (err->file[0])
            quire_err_at(err, QUIRE_EXIT_USAGE, s->path, src->plugin_pos.line, src->plugin_pos.col,
                         "%s: %s", err->file, err->msg);
        else
            quire_err_at(err, QUIRE_EXIT_USAGE, s->path, src->plugin_pos.line, src->plugin_pos.col,
                         "%s", err->msg);
        return NULL;
    }
    so = xcalloc(1, sizeof *so);
    so->plugin = p;
    so->notes = notes;
    so->spec = s;
    so->src = src;
    so->err = err;
    if (check_options(so, s, err)) {
        source_close(so);
        return NULL;
    }
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.source_name = src->name;
    cfg.spec_path = s->path;
    cfg.option_values = (const char *const *)so->values;
    cfg.declared = src->columns;
    cfg.ndeclared = (uint32_t)src->ncolumns;
    so->opening = 1;
    if (p->open(&host, so, &cfg, &so->state)) {
        if (!err->code)
            source_err(src, err, "the %s plugin failed to open it", p->name);
        so->state = NULL;
        source_close(so);
        return NULL;
    }
    so->opening = 0;
    return so;
}

int source_scan(source *so, const quire_column *proj, size_t nproj, uint64_t max_records,
                source_batch_fn fn, void *user, quire_error *err)
{
    quire_scan_request req;
    int rc;

    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.projection = proj;
    req.nprojection = (uint32_t)nproj;
    req.max_records = max_records;
    so->fn = fn;
    so->user = user;
    so->err = err;
    so->failed = 0;
    rc = so->plugin->scan(so->state, &req);
    if (rc || so->failed) {
        if (!err->code)
            source_err(so->src, err, "the %s plugin failed to read it", so->plugin->name);
        return -1;
    }
    return 0;
}

void source_close(source *so)
{
    size_t i;

    if (!so)
        return;
    if (so->state)
        so->plugin->close(so->state);
    for (i = 0; i < so->nvalues; i++)
        free(so->values[i]);
    free(so->values);
    free(so);
}
