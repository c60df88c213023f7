/* source.c - opening a spec's source through its plugin. */
#include "source.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "log.h"
#include "util.h"

struct source {
    const quire_plugin *plugin; /* the loader's copy: options in the host's layout */
    data_notes *notes;       /* where notes about the data go, or NULL */
    const spec *spec;
    const spec_source *src;
    void *state;
    char **values;          /* option values, in the plugin's table order */
    quire_option_value *typed; /* the same, typed (their text is values[i]) */
    size_t nvalues;
    const char **secrets;   /* values of secret options, masked in messages */
    size_t nsecrets;
    /* the scan in progress */
    source_batch_fn fn;
    void *user;
    quire_error *err;
    int failed;
    int opening; /* in the plugin's open() */
    const quire_column *proj; /* what was asked for (host layout), NULL: all */
    size_t nproj;
    uint64_t max_records, emitted;
    quire_column *colbuf;   /* batch columns in the host's layout, when the */
    size_t colcap;          /* plugin's column_size is not the host's */
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

/* Secret values shorter than this are not masked in free text: they would
 * blot out ordinary words and numbers (and are no secret). */
#define SECRET_MIN 4

/* Replace every secret option's value in msg (size cap) by "***". */
static void mask_secrets(const source *so, char *msg, size_t cap)
{
    size_t i;

    for (i = 0; i < so->nsecrets; i++) {
        const char *sec = so->secrets[i], *p;
        size_t n = strlen(sec);
        if (n < SECRET_MIN)
            continue;
        while ((p = strstr(msg, sec)) != NULL) {
            size_t at = (size_t)(p - msg), rest = strlen(p + n);
            if (at + 3 + rest >= cap)
                rest = cap - at - 4;
            memmove(msg + at + 3, p + n, rest);
            memcpy(msg + at, "***", 3);
            msg[at + 3 + rest] = '\0';
        }
    }
}

static void h_log(void *hctx, int level, const char *fmt, ...)
{
    source *so = hctx;
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mask_secrets(so, msg, sizeof msg);
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

/* ------------------------------------------------------------ errors */

/* Where option name is written in the source's spec, or NULL. */
static const spec_option *spec_option_named(const spec_source *src, const char *name)
{
    size_t i;

    for (i = 0; name && i < src->noptions; i++)
        if (strcmp(src->options[i].key, name) == 0)
            return &src->options[i];
    return NULL;
}

/*
 * The one place where a plugin's error becomes the run's, from the fields of
 * a typed error, that is its kind (the exit status), its where and what went wrong
 * (secrets already masked). A CONFIG error is a spec error, at the option in
 * the spec, or where the plugin said, or at the source. The others are at
 * file:line:col (a record number goes into the message when there is no
 * line), or, without a file, about the source ("source \"name\""). The
 * first error of a call is the one kept.
 */
static void source_error(source *so, int kind, const char *option, const char *file,
                         uint64_t line, uint32_t col, uint64_t record, const char *msg)
{
    const char *name = so->src->name;
    const char *later = kind == QUIRE_ERROR_TRANSIENT ? " (a temporary failure: try again later)"
                                                      : "";
    int code = kind == QUIRE_ERROR_CONFIG      ? QUIRE_EXIT_USAGE
               : kind == QUIRE_ERROR_TRANSIENT ? QUIRE_EXIT_TRANSIENT
                                               : QUIRE_EXIT_DATA;
    int ln = line <= INT_MAX ? (int)line : 0, cl = col <= INT_MAX ? (int)col : 0;
    char rec[48] = "", subject[300];

    if (so->failed && so->err->code)
        return;
    so->failed = 1;
    if (kind == QUIRE_ERROR_CONFIG) {
        const spec_option *o = spec_option_named(so->src, option);
        spec_pos at = o ? o->pos : so->src->pos;
        if (!o && ln && file && strcmp(file, so->spec->path) == 0)
            at.line = ln, at.col = cl; /* the plugin said where in the spec */
        quire_err_at(so->err, code, so->spec->path, at.line, at.col, "%s (source \"%s\")", msg,
                     name);
        return;
    }
    if (record && !ln)
        snprintf(rec, sizeof rec, "record %llu: ", (unsigned long long)record);
    if (file) {
        quire_err_at(so->err, code, file, ln, cl, "%s%s%s (source \"%s\")", rec, msg, later,
                     name);
        return;
    }
    snprintf(subject, sizeof subject, "source \"%s\"", name);
    quire_err_at(so->err, code, subject, 0, 0, "%s%s%s", rec, msg, later);
}

/* The error call of ABI 1.0 and 1.1: the where read out of the text. */
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
    mask_secrets(so, msg, sizeof msg);
    n = plugin_where(msg, &line, &col, &what);
    if (n == 0) {
        source_error(so, QUIRE_ERROR_DATA, NULL, NULL, 0, 0, 0, msg);
        return;
    }
    snprintf(file, sizeof file, "%.*s", (int)n, msg);
    /* open() finding fault with the spec (its options, mostly) is a spec
     * error, at the source in the spec unless the plugin said where. */
    source_error(so, so->opening && strcmp(file, so->spec->path) == 0 ? QUIRE_ERROR_CONFIG
                                                                      : QUIRE_ERROR_DATA,
                 NULL, file, (uint64_t)line, (uint32_t)col, 0, what);
}

/* ABI 1.2 error_at(): the kind and place as fields. */
static void h_error_at(void *hctx, const quire_error_info *w, const char *fmt, ...)
{
    source *so = hctx;
    char msg[900], where[600];
    int kind = QUIRE_ERROR_DATA;
    const char *option = NULL, *file = NULL;
    uint64_t line = 0, record = 0;
    uint32_t col = 0;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    mask_secrets(so, msg, sizeof msg);
    if (w && QUIRE_HAS_FIELD(w, quire_error_info, kind) && w->kind >= QUIRE_ERROR_CONFIG &&
        w->kind <= QUIRE_ERROR_TRANSIENT)
        kind = (int)w->kind;
    if (w && QUIRE_HAS_FIELD(w, quire_error_info, option))
        option = w->option;
    if (w && QUIRE_HAS_FIELD(w, quire_error_info, file) && w->file && *w->file) {
        snprintf(where, sizeof where, "%s", w->file);
        mask_secrets(so, where, sizeof where);
        file = where;
    }
    if (w && QUIRE_HAS_FIELD(w, quire_error_info, line))
        line = w->line;
    if (w && QUIRE_HAS_FIELD(w, quire_error_info, col))
        col = w->col;
    if (w && QUIRE_HAS_FIELD(w, quire_error_info, record))
        record = w->record;
    source_error(so, kind, option, file, line, col, record, msg);
}

/* ------------------------------------------------------------ notes, batches */


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
    mask_secrets(so, msg, sizeof msg);
    qlog(LOG_WARN, "[%s:%s] %s", so->plugin->name, so->src->name, msg);
    if (!d)
        return;
    pthread_mutex_lock(&d->lock);
    d->v = xrealloc(d->v, (d->n + 1) * sizeof *d->v);
    d->v[d->n++] = xasprintf("%s: %s", so->src->name, msg);
    pthread_mutex_unlock(&d->lock);
}

static const char *type_name(quire_type t)
{
    static const char *const names[] = {"string", "integer", "number", "date", "boolean"};
    return (unsigned)t <= QUIRE_T_BOOLEAN ? names[t] : "unknown";
}

/* The record number of row r of a checked batch, for messages. */
static unsigned long long record_of(const quire_batch *b, uint32_t r)
{
    return (unsigned long long)(b->record_no ? b->record_no[r] : b->first_record + r);
}

/*
 * Check a batch against the rules of plugin.h before anything reads it, and
 * make it the host's: *out has the host's struct_size and its columns in the
 * host's layout. Returns 0, or -1 with why set.
 */
static int check_batch(source *so, const quire_batch *b, quire_batch *out, char *why, size_t nwhy)
{
    uint32_t stride = so->plugin->column_size, c, r;

    if (!b) {
        snprintf(why, nwhy, "no batch (NULL)");
        return -1;
    }
    if (b->struct_size < offsetof(quire_batch, cols) + sizeof b->cols) {
        snprintf(why, nwhy, "struct_size %u is too small for a batch", b->struct_size);
        return -1;
    }
    memset(out, 0, sizeof *out);
    out->struct_size = sizeof *out;
    out->nrows = b->nrows;
    out->ncols = b->ncols;
    out->cols = b->cols;
    if (QUIRE_HAS_FIELD(b, quire_batch, first_record))
        out->first_record = b->first_record;
    if (QUIRE_HAS_FIELD(b, quire_batch, record_no))
        out->record_no = b->record_no;
    if (b->nrows > QUIRE_BATCH_MAX_ROWS) {
        snprintf(why, nwhy, "%u rows, more than a batch may hold (%u)", b->nrows,
                 QUIRE_BATCH_MAX_ROWS);
        return -1;
    }
    if (so->max_records && so->emitted + b->nrows > so->max_records) {
        snprintf(why, nwhy, "%llu rows in all, more than the %llu asked for",
                 (unsigned long long)(so->emitted + b->nrows),
                 (unsigned long long)so->max_records);
        return -1;
    }
    if (so->proj ? b->ncols != so->nproj : b->ncols > QUIRE_BATCH_MAX_ROWS) {
        snprintf(why, nwhy, "%u columns where %zu were asked for", b->ncols, so->nproj);
        return -1;
    }
    if (b->ncols && !b->columns) {
        snprintf(why, nwhy, "%u columns but no column list", b->ncols);
        return -1;
    }
    if (b->ncols && b->nrows && !b->cols) {
        snprintf(why, nwhy, "%u rows but no cells", b->nrows);
        return -1;
    }
    if (stride == sizeof(quire_column)) {
        out->columns = b->columns;
    } else if (b->ncols) {
        if (b->ncols > so->colcap) {
            so->colcap = b->ncols;
            so->colbuf = xrealloc(so->colbuf, so->colcap * sizeof *so->colbuf);
        }
        memset(so->colbuf, 0, b->ncols * sizeof *so->colbuf);
        for (c = 0; c < b->ncols; c++)
            memcpy(&so->colbuf[c], QUIRE_AT(b->columns, stride, c),
                   stride < sizeof *so->colbuf ? stride : sizeof *so->colbuf);
        out->columns = so->colbuf;
    }
    for (c = 0; c < b->ncols; c++) {
        const quire_column *col = &out->columns[c];
        const quire_cell *cells = b->nrows ? b->cols[c] : NULL;
        if (!col->name) {
            snprintf(why, nwhy, "column %u has no name", c + 1);
            return -1;
        }
        if ((unsigned)col->type > QUIRE_T_BOOLEAN) {
            snprintf(why, nwhy, "column \"%.100s\" has the unknown type %d", col->name,
                     (int)col->type);
            return -1;
        }
        if (so->proj && (strcmp(col->name, so->proj[c].name) != 0 ||
                         col->type != so->proj[c].type)) {
            snprintf(why, nwhy, "column %u is \"%.100s\" (%s) where \"%.100s\" (%s) was asked for",
                     c + 1, col->name, type_name(col->type), so->proj[c].name,
                     type_name(so->proj[c].type));
            return -1;
        }
        if (b->nrows && !cells) {
            snprintf(why, nwhy, "column \"%.100s\" has no cells", col->name);
            return -1;
        }
        switch (col->type) {
        case QUIRE_T_STRING:
            for (r = 0; r < b->nrows; r++) {
                const quire_cell *x = &cells[r];
                if (x->null)
                    continue;
                if (x->v.s.len && !x->v.s.ptr) {
                    snprintf(why, nwhy, "column \"%.100s\", record %llu: a string of %u bytes "
                             "with no pointer", col->name, record_of(out, r), x->v.s.len);
                    return -1;
                }
                if (x->v.s.len > QUIRE_CELL_MAX_STRING) {
                    snprintf(why, nwhy, "column \"%.100s\", record %llu: a string of %u bytes, "
                             "more than a cell may hold (%u)", col->name, record_of(out, r),
                             x->v.s.len, QUIRE_CELL_MAX_STRING);
                    return -1;
                }
            }
            break;
        case QUIRE_T_BOOLEAN:
            for (r = 0; r < b->nrows; r++)
                if (!cells[r].null && cells[r].v.i != 0 && cells[r].v.i != 1) {
                    snprintf(why, nwhy, "column \"%.100s\", record %llu: the boolean %lld is "
                             "neither 0 nor 1", col->name, record_of(out, r),
                             (long long)cells[r].v.i);
                    return -1;
                }
            break;
        case QUIRE_T_DATE:
            for (r = 0; r < b->nrows; r++)
                if (!cells[r].null && (cells[r].v.i <= INT32_MIN || cells[r].v.i > INT32_MAX)) {
                    snprintf(why, nwhy, "column \"%.100s\", record %llu: the date %lld (days "
                             "since 1970-01-01) is out of range", col->name, record_of(out, r),
                             (long long)cells[r].v.i);
                    return -1;
                }
            break;
        default:
            break;
        }
    }
    so->emitted += b->nrows;
    return 0;
}

static int h_emit(void *hctx, const quire_batch *b)
{
    source *so = hctx;
    quire_batch hb;
    char why[512], msg[700];

    if (so->failed)
        return 1; /* the scan was stopped already: say so again */
    if (!so->fn) {
        snprintf(msg, sizeof msg, "the %s plugin sent a batch outside scan()", so->plugin->name);
        source_error(so, QUIRE_ERROR_DATA, NULL, NULL, 0, 0, 0, msg);
        return 1;
    }
    if (check_batch(so, b, &hb, why, sizeof why)) {
        snprintf(msg, sizeof msg, "the %s plugin sent a bad batch: %s", so->plugin->name, why);
        source_error(so, QUIRE_ERROR_DATA, NULL, NULL, 0, 0, 0, msg);
        return 1;
    }
    if (so->fn(so->user, &hb, so->err)) {
        so->failed = 1;
        return 1;
    }
    return 0;
}

static const quire_host host = {
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(quire_host),
    .alloc = h_alloc,
    .realloc = h_realloc,
    .free = h_free,
    .log = h_log,
    .emit = h_emit,
    .error = h_error,
    .note = h_note,
    .error_at = h_error_at,
};

/* ------------------------------------------------------------ options */

static int bad_option(const spec *s, const spec_option *o, quire_error *err, const char *fmt,
                      const char *a, const char *b)
{
    return quire_err_at(err, QUIRE_EXIT_USAGE, s->path, o->pos.line, o->pos.col, fmt, a, b);
}

/* A value that is not of its option's type: say what was expected; echo the
 * value unless the option is secret; suggest the nearest choice. */
static int bad_value(const spec *s, const spec_option *o, const quire_option_def *d,
                     quire_error *err)
{
    char *want = plugin_option_expects(d);
    const char *hint = NULL;
    size_t n = 0;

    if (d->flags & QUIRE_OPTF_SECRET) {
        quire_err_at(err, QUIRE_EXIT_USAGE, s->path, o->pos.line, o->pos.col,
                     "option \"%s\" must be %s (its value is secret and not shown)", o->key, want);
        free(want);
        return -1;
    }
    if (d->type == QUIRE_OPT_ENUM) {
        while (d->choices[n])
            n++;
        hint = closest_word(o->value, d->choices, n);
    }
    quire_err_at(err, QUIRE_EXIT_USAGE, s->path, o->pos.line, o->pos.col,
                 "option \"%s\" must be %s, not \"%s\"%s%s%s", o->key, want, o->value,
                 hint ? "; did you mean \"" : "", hint ? hint : "", hint ? "\"?" : "");
    free(want);
    return -1;
}

/* Check the spec's options against the plugin's table; fill so->values,
 * so->typed and the list of secrets. */
static int check_options(source *so, const spec *s, quire_error *err)
{
    const quire_option_def *defs = so->plugin->options;
    const spec_source *src = so->src;
    size_t n = 0, i, j;

    while (defs && defs[n].name)
        n++;
    so->nvalues = n;
    so->values = xcalloc(n + 1, sizeof *so->values);
    so->typed = xcalloc(n + 1, sizeof *so->typed);
    for (i = 0; i < src->noptions; i++) {
        const spec_option *o = &src->options[i];
        char *norm;
        quire_option_value v;
        for (j = 0; j < n; j++)
            if (strcmp(defs[j].name, o->key) == 0)
                break;
        if (j == n) {
            const char **names = xmalloc((n + 4) * sizeof *names);
            const char *hint;
            strbuf list = {0};
            size_t k;
            for (k = 0; k < n; k++) {
                names[k] = defs[k].name;
                sb_printf(&list, "%s%s", k ? ", " : "", defs[k].name);
            }
            names[n] = "plugin";
            names[n + 1] = "columns";
            names[n + 2] = "pushdown";
            hint = closest_word(o->key, names, n + 3);
            if (hint)
                bad_option(s, o, err, "unknown option \"%s\"; did you mean \"%s\"?", o->key, hint);
            else
                bad_option(s, o, err, "unknown option \"%s\"; this plugin's options: %s", o->key,
                           list.s ? list.s : "(none)");
            sb_free(&list);
            free(names);
            return -1;
        }
        if ((defs[j].flags & QUIRE_OPTF_CODE) && o->raw && strstr(o->raw, "${")) {
            quire_err_at(err, QUIRE_EXIT_USAGE, s->path, o->pos.line, o->pos.col,
                         "option \"%s\" is code the %s plugin runs: a parameter cannot be written "
                         "into it, its value would become code (see the plugin's documentation "
                         "for how it binds values) (source \"%s\")", o->key, so->plugin->name,
                         src->name);
            return -1;
        }
        if (plugin_option_parse(&defs[j], o->value, s->dir, &norm, &v) != OPTION_OK)
            return bad_value(s, o, &defs[j], err);
        if (defs[j].type == QUIRE_OPT_PATH && s->data_root && norm &&
            !path_within(s->data_root, norm)) {
            quire_err_at(err, QUIRE_EXIT_USAGE, s->path, o->pos.line, o->pos.col,
                         "option \"%s\": %s is outside the data root %s (source \"%s\")",
                         o->key, norm, s->data_root, src->name);
            free(norm);
            return -1;
        }
        free(so->values[j]);
        so->values[j] = norm;
        so->typed[j] = v;
    }
    for (j = 0; j < n; j++) {
        if (so->values[j])
            continue;
        if (defs[j].required)
            return quire_err_at(err, QUIRE_EXIT_USAGE, s->path, src->pos.line, src->pos.col,
                                "source \"%s\" needs option \"%s\" (%s)", src->name, defs[j].name,
                                defs[j].help ? defs[j].help : "required");
        /* Defaults were checked when the plugin was loaded; a PATH default
         * is used as written. */
        if (defs[j].default_value &&
            plugin_option_parse(&defs[j], defs[j].default_value, NULL, &so->values[j],
                                &so->typed[j]) != OPTION_OK)
            so->values[j] = xstrdup(defs[j].default_value);
    }
    so->secrets = xcalloc(n + 1, sizeof *so->secrets);
    for (j = 0; j < n; j++)
        if ((defs[j].flags & QUIRE_OPTF_SECRET) && so->values[j])
            so->secrets[so->nsecrets++] = so->values[j];
    return 0;
}

/* cols for the plugin: as they are when its column_size is the host's, else
 * a copy laid out with its stride (*owned, to free after the call). */
static const quire_column *columns_for_plugin(const source *so, const quire_column *cols,
                                              size_t n, void **owned)
{
    uint32_t stride = so->plugin->column_size;
    char *v;
    size_t i;

    *owned = NULL;
    if (!cols || stride == sizeof(quire_column))
        return cols;
    v = xcalloc(n ? n : 1, stride);
    for (i = 0; i < n; i++)
        memcpy(v + i * stride, &cols[i], stride < sizeof *cols ? stride : sizeof *cols);
    *owned = v;
    return (const quire_column *)(void *)v;
}

source *source_open(const spec *s, const spec_source *src, plugin_registry *reg,
                    data_notes *notes, quire_error *err)
{
    source *so;
    quire_source_config cfg;
    void *owned;
    int rc;
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
    cfg.declared = columns_for_plugin(so, src->columns, src->ncolumns, &owned);
    cfg.ndeclared = (uint32_t)src->ncolumns;
    cfg.values = so->typed;
    cfg.value_size = sizeof *so->typed;
    cfg.noptions = (uint32_t)so->nvalues;
    so->opening = 1;
    rc = p->open(&host, so, &cfg, &so->state);
    free(owned);
    if (rc) {
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
    void *owned;
    int rc;

    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.projection = columns_for_plugin(so, proj, nproj, &owned);
    req.nprojection = (uint32_t)nproj;
    req.max_records = max_records;
    so->fn = fn;
    so->user = user;
    so->err = err;
    so->failed = 0;
    so->proj = proj;
    so->nproj = proj ? nproj : 0;
    so->max_records = max_records;
    so->emitted = 0;
    rc = so->plugin->scan(so->state, &req);
    free(owned);
    so->fn = NULL;
    so->user = NULL;
    if (rc || so->failed) {
        if (!err->code)
            source_err(so->src, err, "the %s plugin failed to read it", so->plugin->name);
        return -1;
    }
    return 0;
}

int source_can_aggregate(const source *so)
{
    return so->src->pushdown && (so->plugin->caps & QUIRE_CAP_AGGREGATE) &&
           so->plugin->aggregate != NULL;
}

int source_aggregate(source *so, const quire_aggregate_request *q, source_batch_fn fn,
                     void *user, quire_error *err)
{
    quire_aggregate_request req = *q;
    void *okey, *odate, *oresult;
    int rc;

    req.struct_size = sizeof req;
    req.measure_size = sizeof(quire_agg_measure);
    req.key = columns_for_plugin(so, q->key, 1, &okey);
    req.date = columns_for_plugin(so, q->date, 1, &odate);
    req.result = columns_for_plugin(so, q->result, q->nresult, &oresult);
    so->fn = fn;
    so->user = user;
    so->err = err;
    so->failed = 0;
    so->proj = q->result; /* every batch must have exactly these columns */
    so->nproj = q->nresult;
    so->max_records = 0;
    so->emitted = 0;
    rc = so->plugin->aggregate(so->state, &req);
    free(okey);
    free(odate);
    free(oresult);
    so->fn = NULL;
    so->user = NULL;
    if (rc == QUIRE_AGGREGATE_DECLINED && !so->failed && !err->code && so->emitted == 0)
        return 1;
    if (rc || so->failed) {
        if (!err->code)
            source_err(so->src, err, "the %s plugin failed to aggregate it", so->plugin->name);
        return -1;
    }
    return 0;
}

/* The definition of option key in p's table, or NULL. */
static const quire_option_def *option_def(const quire_plugin *p, const char *key)
{
    const quire_option_def *d;

    for (d = p ? p->options : NULL; d && d->name; d++)
        if (strcmp(d->name, key) == 0)
            return d;
    return NULL;
}

static void add_text(char ***v, size_t *n, char *s)
{
    *v = xrealloc(*v, (*n + 1) * sizeof **v);
    (*v)[(*n)++] = s;
}

void source_secrets_find(const spec *s, plugin_registry *reg, source_secrets *out)
{
    size_t i, j, k;

    memset(out, 0, sizeof *out);
    for (i = 0; i < s->nsources; i++) {
        const spec_source *src = &s->sources[i];
        const quire_plugin *p = plugins_get(reg, src->plugin, NULL);
        for (j = 0; p && j < src->noptions; j++) {
            const spec_option *o = &src->options[j];
            const quire_option_def *d = option_def(p, o->key);
            if (!d || !(d->flags & QUIRE_OPTF_SECRET))
                continue;
            add_text(&out->values, &out->nvalues, xstrdup(o->value));
            add_text(&out->values, &out->nvalues, path_join(s->dir, o->value));
            for (k = 0; k < s->nparams; k++) {
                char *ref = xasprintf("${%s}", s->params[k].name);
                if (o->raw && strstr(o->raw, ref) && !source_secrets_param(out, s->params[k].name))
                    add_text(&out->params, &out->nparams, xstrdup(s->params[k].name));
                free(ref);
            }
        }
    }
}

int source_secrets_param(const source_secrets *x, const char *name)
{
    size_t i;

    for (i = 0; x && i < x->nparams; i++)
        if (strcmp(x->params[i], name) == 0)
            return 1;
    return 0;
}

int source_secrets_value(const source_secrets *x, const char *value)
{
    size_t i;

    for (i = 0; x && i < x->nvalues; i++)
        if (strcmp(x->values[i], value) == 0)
            return 1;
    return 0;
}

void source_secrets_free(source_secrets *x)
{
    size_t i;

    for (i = 0; i < x->nparams; i++)
        free(x->params[i]);
    for (i = 0; i < x->nvalues; i++)
        free(x->values[i]);
    free(x->params);
    free(x->values);
    memset(x, 0, sizeof *x);
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
    free(so->typed);
    free(so->secrets);
    free(so->colbuf);
    free(so);
}
