/* source.c - opening a spec's source through its plugin. */
#include "source.h"

#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "format.h"
#include "log.h"
#include "prep.h"
#include "sha256.h"
#include "util.h"

/* One input of the source: the source itself, or one of its parts. */
typedef struct input {
    void *state;
    char **values;          /* option values, in the plugin's table order */
    quire_option_value *typed; /* the same, typed (their text is values[i]) */
    const spec_part *part;  /* NULL: the source has no parts */
    uint64_t read;          /* rows the last full scan read from it */
} input;

struct source {
    const quire_plugin *plugin; /* the loader's copy: options in the host's layout */
    data_notes *notes;       /* where notes about the data go, or NULL */
    const spec *spec;
    const spec_source *src;
    input *in;              /* one per part, or one */
    size_t nin, cur;        /* cur: the input being opened or scanned */
    size_t nvalues;         /* options in the plugin's table */
    const char **secrets;   /* values of secret options, masked in messages */
    size_t nsecrets;
    /* the scan in progress */
    source_batch_fn fn;
    void *user;
    quire_error *err;
    int failed;
    int done;    /* the reader has the rows it asked for: the scan stops, fine */
    int opening; /* in the plugin's open() */
    const quire_column *proj; /* what was asked of the plugin (host layout), NULL: all */
    size_t nproj;
    uint64_t max_records, emitted;
    prep *prep;             /* derived columns, conditions, distinct; or NULL */
    uint64_t limit, delivered; /* rows the reader asked for (0: all), and has had */
    quire_column *colbuf;   /* batch columns in the host's layout, when the */
    size_t colcap;          /* plugin's column_size is not the host's */
    char *origin;           /* host->origin's URL (masked), or NULL: files */
    sha256_ctx *hash;       /* the scan's records, when origin and notes */
    strbuf canon;           /* a batch in the canonical form, reused */
    char **hashed_cols;     /* the columns hashed (from the first batch) */
    size_t nhashed_cols;
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

/* Replace every occurrence of every secret option's value in msg (size cap)
 * by "***", whatever its length: a one-byte PIN blots out that byte
 * everywhere, which is the price of never showing it. The search goes on
 * after each mask, so a secret the mask itself contains ("*") ends. */
static void mask_secrets(const source *so, char *msg, size_t cap)
{
    size_t i;

    for (i = 0; i < so->nsecrets; i++) {
        const char *sec = so->secrets[i];
        size_t n = strlen(sec);
        char *p = msg;
        if (n == 0)
            continue;
        while ((p = strstr(p, sec)) != NULL) {
            size_t at = (size_t)(p - msg), rest = strlen(p + n);
            if (at + 3 >= cap) {
                *p = '\0';
                break;
            }
            if (at + 3 + rest >= cap)
                rest = cap - at - 4;
            memmove(msg + at + 3, p + n, rest);
            memcpy(msg + at, "***", 3);
            msg[at + 3 + rest] = '\0';
            p = msg + at + 3;
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

/* Where option name is written in part pt, or NULL. */
static const spec_option *part_option_named(const spec_part *pt, const char *name)
{
    size_t i;

    for (i = 0; name && i < pt->noptions; i++)
        if (strcmp(pt->options[i].key, name) == 0)
            return &pt->options[i];
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
        const spec_part *pt = so->cur < so->nin ? so->in[so->cur].part : NULL;
        const spec_option *o = pt ? part_option_named(pt, option) : NULL;
        if (!o)
            o = spec_option_named(so->src, option);
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
    size_t i, k;

    for (i = 0; i < d->n; i++)
        free(d->v[i]);
    free(d->v);
    for (i = 0; i < d->nreads; i++) {
        free(d->reads[i].source);
        free(d->reads[i].origin);
        for (k = 0; k < d->reads[i].ncolumns; k++)
            free(d->reads[i].columns[k]);
        free(d->reads[i].columns);
    }
    free(d->reads);
    free(d->order);
    pthread_mutex_destroy(&d->lock);
    memset(d, 0, sizeof *d);
}

void data_notes_add_first(data_notes *d, int order, const char *name, const char *text)
{
    size_t at;

    pthread_mutex_lock(&d->lock);
    for (at = 0; at < d->nfirst && d->order[at] < order; at++)
        ;
    if (at < d->nfirst && d->order[at] == order) {
        pthread_mutex_unlock(&d->lock);
        return;
    }
    d->v = xrealloc(d->v, (d->n + 1) * sizeof *d->v);
    d->order = xrealloc(d->order, (d->nfirst + 1) * sizeof *d->order);
    memmove(d->v + at + 1, d->v + at, (d->n - at) * sizeof *d->v);
    memmove(d->order + at + 1, d->order + at, (d->nfirst - at) * sizeof *d->order);
    d->v[at] = xasprintf("%s: %s", name, text);
    d->order[at] = order;
    d->n++;
    d->nfirst++;
    pthread_mutex_unlock(&d->lock);
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

static void h_origin(void *hctx, const char *url)
{
    source *so = hctx;

    if (!so->opening || !url)
        return; /* only open() says what the source is */
    free(so->origin);
    so->origin = xstrdup(url);
    mask_secrets(so, so->origin, strlen(so->origin) + 1); /* "***" is never longer */
}

/* ------------------------------------------------------------ records' hash */

/* The columns of b in byte order of their names: order[k] is the k-th. */
static size_t *name_order(const quire_batch *b)
{
    size_t *order = xmalloc((b->ncols ? b->ncols : 1) * sizeof *order), i, j;

    for (i = 0; i < b->ncols; i++) {
        size_t c = i;
        for (j = i; j > 0 && strcmp(b->columns[order[j - 1]].name, b->columns[c].name) > 0; j--)
            order[j] = order[j - 1];
        order[j] = c;
    }
    return order;
}

void source_canonical_rows(const quire_batch *b, strbuf *out)
{
    size_t *order = name_order(b), k;
    uint32_t r;

    for (r = 0; r < b->nrows; r++) {
        for (k = 0; k < b->ncols; k++) {
            const quire_column *col = &b->columns[order[k]];
            const quire_cell *c = &b->cols[order[k]][r];
            if (k)
                sb_add(out, "\t", 1);
            sb_puts(out, col->name);
            sb_add(out, "=", 1);
            if (c->null) {
                sb_add(out, "\\N", 2);
                continue;
            }
            switch (col->type) {
            case QUIRE_T_INTEGER:
                sb_printf(out, "%lld", (long long)c->v.i);
                break;
            case QUIRE_T_NUMBER:
                sb_printf(out, "%.17g", c->v.n);
                break;
            case QUIRE_T_BOOLEAN:
                sb_puts(out, c->v.i ? "true" : "false");
                break;
            case QUIRE_T_DATE: {
                int64_t y;
                int m, d;
                quire_civil_from_days(c->v.i, &y, &m, &d);
                sb_printf(out, "%04lld-%02d-%02d", (long long)y, m, d);
                break;
            }
            default: {
                const char *p = c->v.s.ptr, *e = p + c->v.s.len, *run = p;
                for (; p < e; p++) {
                    const char *esc = *p == '\\' ? "\\\\" : *p == '\t' ? "\\t"
                                    : *p == '\n' ? "\\n" : *p == '\r' ? "\\r" : NULL;
                    if (!esc)
                        continue;
                    sb_add(out, run, (size_t)(p - run));
                    sb_add(out, esc, 2);
                    run = p + 1;
                }
                sb_add(out, run, (size_t)(e - run));
                break;
            }
            }
        }
        sb_add(out, "\n", 1);
    }
    free(order);
}

/* Feed batch b to the scan's hash. */
static void hash_batch(source *so, const quire_batch *b)
{
    if (!so->hashed_cols) {
        size_t *order = name_order(b), k;
        so->hashed_cols = xcalloc(b->ncols + 1, sizeof *so->hashed_cols);
        for (k = 0; k < b->ncols; k++)
            so->hashed_cols[k] = xstrdup(b->columns[order[k]].name);
        so->nhashed_cols = b->ncols;
        free(order);
    }
    so->canon.len = 0;
    source_canonical_rows(b, &so->canon);
    sha256_add(so->hash, so->canon.s, so->canon.len);
}

static void drop_hash(source *so)
{
    char hex[65];
    size_t k;

    sha256_end(so->hash, hex);
    so->hash = NULL;
    for (k = 0; k < so->nhashed_cols; k++)
        free(so->hashed_cols[k]);
    free(so->hashed_cols);
    so->hashed_cols = NULL;
    so->nhashed_cols = 0;
}

/* The scan is complete: its read goes to the run's notes. */
static void record_read(source *so)
{
    data_notes *d = so->notes;
    source_read rd;

    memset(&rd, 0, sizeof rd);
    sha256_end(so->hash, rd.sha256);
    so->hash = NULL;
    rd.source = xstrdup(so->src->name);
    rd.origin = xstrdup(so->origin);
    rd.columns = so->hashed_cols;
    rd.ncolumns = so->nhashed_cols;
    rd.records = (unsigned long long)so->emitted;
    so->hashed_cols = NULL;
    so->nhashed_cols = 0;
    pthread_mutex_lock(&d->lock);
    d->reads = xrealloc(d->reads, (d->nreads + 1) * sizeof *d->reads);
    d->reads[d->nreads++] = rd;
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

/* The file the input being read names (its first path option), or NULL. */
static const char *input_file(const source *so)
{
    size_t j;

    for (j = 0; j < so->nvalues; j++)
        if (so->plugin->options[j].type == QUIRE_OPT_PATH && so->in[so->cur].values[j])
            return so->in[so->cur].values[j];
    return NULL;
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
    if (so->hash)
        hash_batch(so, &hb); /* the records as the plugin delivered them */
    if (so->prep) {
        const quire_batch *pb;
        if (prep_batch(so->prep, &hb, &pb, so->err)) {
            /* about the input being read, when it is a file */
            const char *file = input_file(so);
            if (file) {
                char what[sizeof so->err->msg];
                snprintf(what, sizeof what, "%s", so->err->msg);
                quire_err_at(so->err, so->err->code, file, 0, 0, "%s (source \"%s\")", what,
                             so->src->name);
            }
            so->failed = 1;
            return 1;
        }
        hb = *pb;
    }
    /* A prepared source's plugin does not know how many rows the reader
     * gets: stop it here (any other stops at its max_records itself). */
    if (so->prep && so->limit && so->delivered + hb.nrows >= so->limit) {
        hb.nrows = (uint32_t)(so->limit - so->delivered);
        so->done = 1;
    }
    so->delivered += hb.nrows;
    if (hb.nrows && so->fn(so->user, &hb, so->err)) {
        so->failed = 1;
        return 1;
    }
    return so->done; /* stop: the reader has its rows */
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
    .origin = h_origin,
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

/* The option of input in that the spec sets as key: the part's, else the
 * source's; NULL when neither does. */
static const spec_option *option_set(const source *so, const input *in, const char *key)
{
    const spec_option *o = in->part ? part_option_named(in->part, key) : NULL;

    return o ? o : spec_option_named(so->src, key);
}

/* Check one option as the spec writes it against the plugin's table: its
 * place in the table, or -1 with err set. */
static long check_option(source *so, const spec *s, const spec_option *o, quire_error *err)
{
    const quire_option_def *defs = so->plugin->options;
    size_t n = so->nvalues, nk = SPEC_SOURCE_NKEYS, j, k;
    const char **names, *hint;
    strbuf list = {0};

    for (j = 0; j < n; j++)
        if (strcmp(defs[j].name, o->key) == 0)
            return (long)j;
    names = xmalloc((n + nk + 1) * sizeof *names);
    for (k = 0; k < n; k++) {
        names[k] = defs[k].name;
        sb_printf(&list, "%s%s", k ? ", " : "", defs[k].name);
    }
    for (k = 0; k < nk; k++)
        names[n + k] = spec_source_keys[k];
    hint = closest_word(o->key, names, n + nk);
    if (hint)
        bad_option(s, o, err, "unknown option \"%s\"; did you mean \"%s\"?", o->key, hint);
    else
        bad_option(s, o, err, "unknown option \"%s\"; this plugin's options: %s", o->key,
                   list.s ? list.s : "(none)");
    sb_free(&list);
    free(names);
    return -1;
}

/* Check every option the spec gives input in (the source's, with its
 * part's in their place); fill in->values, in->typed and the secrets. */
static int check_options(source *so, const spec *s, input *in, quire_error *err)
{
    const quire_option_def *defs = so->plugin->options;
    const spec_source *src = so->src;
    spec_pos at = in->part ? in->part->pos : src->pos;
    size_t n = so->nvalues, j;

    in->values = xcalloc(n + 1, sizeof *in->values);
    in->typed = xcalloc(n + 1, sizeof *in->typed);
    for (j = 0; j < src->noptions + (in->part ? in->part->noptions : 0); j++) {
        const spec_option *o = j < src->noptions ? &src->options[j]
                                                 : &in->part->options[j - src->noptions];
        long k = check_option(so, s, o, err);
        char *norm;
        quire_option_value v;

        if (k < 0)
            return -1;
        if (option_set(so, in, o->key) != o)
            continue; /* the part sets it */
        if ((defs[k].flags & QUIRE_OPTF_CODE) && o->raw && strstr(o->raw, "${")) {
            quire_err_at(err, QUIRE_EXIT_USAGE, s->path, o->pos.line, o->pos.col,
                         "option \"%s\" is code the %s plugin runs: a parameter cannot be written "
                         "into it, its value would become code (see the plugin's documentation "
                         "for how it binds values) (source \"%s\")", o->key, so->plugin->name,
                         src->name);
            return -1;
        }
        if (plugin_option_parse(&defs[k], o->value, s->dir, &norm, &v) != OPTION_OK)
            return bad_value(s, o, &defs[k], err);
        if (defs[k].type == QUIRE_OPT_PATH && s->data_root && norm &&
            !path_within(s->data_root, norm)) {
            quire_err_at(err, QUIRE_EXIT_USAGE, s->path, o->pos.line, o->pos.col,
                         "option \"%s\": %s is outside the data root %s (source \"%s\")",
                         o->key, norm, s->data_root, src->name);
            free(norm);
            return -1;
        }
        free(in->values[k]);
        in->values[k] = norm;
        in->typed[k] = v;
    }
    for (j = 0; j < n; j++) {
        if (in->values[j])
            continue;
        if (defs[j].required)
            return quire_err_at(err, QUIRE_EXIT_USAGE, s->path, at.line, at.col,
                                "%s \"%s\" needs option \"%s\" (%s)",
                                in->part ? "a part of source" : "source", src->name,
                                defs[j].name, defs[j].help ? defs[j].help : "required");
        /* Defaults were checked when the plugin was loaded; a PATH default
         * is used as written. */
        if (defs[j].default_value &&
            plugin_option_parse(&defs[j], defs[j].default_value, NULL, &in->values[j],
                                &in->typed[j]) != OPTION_OK)
            in->values[j] = xstrdup(defs[j].default_value);
    }
    so->secrets = xrealloc(so->secrets, (so->nsecrets + n + 1) * sizeof *so->secrets);
    for (j = 0; j < n; j++)
        if ((defs[j].flags & QUIRE_OPTF_SECRET) && in->values[j])
            so->secrets[so->nsecrets++] = in->values[j];
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

/* The columns of input in the plugin is told of: the source's, with the
 * formats its part changes; a new array (*owned) when the part changes
 * any, else the source's own. */
static const quire_column *part_columns(const input *in, const quire_column *cols, size_t n,
                                        quire_column **owned)
{
    size_t i, k;

    *owned = NULL;
    if (!cols || !in->part || !in->part->ncolumns)
        return cols;
    *owned = xcalloc(n + 1, sizeof **owned);
    for (i = 0; i < n; i++) {
        (*owned)[i] = cols[i];
        for (k = 0; k < in->part->ncolumns; k++)
            if (strcmp(in->part->columns[k].name, cols[i].name) == 0 &&
                in->part->columns[k].type == cols[i].type)
                (*owned)[i].format = in->part->columns[k].format;
    }
    return *owned;
}

source *source_open(const spec *s, const spec_source *src, plugin_registry *reg,
                    data_notes *notes, quire_error *err)
{
    source *so;
    size_t i;
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
    while (p->options && p->options[so->nvalues].name)
        so->nvalues++;
    so->nin = src->nparts ? src->nparts : 1;
    so->in = xcalloc(so->nin, sizeof *so->in);
    for (i = 0; i < so->nin; i++) {
        input *in = &so->in[i];
        quire_source_config cfg;
        quire_column *partcols;
        void *owned;
        int rc;

        in->part = src->nparts ? &src->parts[i] : NULL;
        so->cur = i;
        if (check_options(so, s, in, err)) {
            source_close(so);
            return NULL;
        }
        memset(&cfg, 0, sizeof cfg);
        cfg.struct_size = sizeof cfg;
        cfg.source_name = src->name;
        cfg.spec_path = s->path;
        cfg.option_values = (const char *const *)in->values;
        cfg.declared = columns_for_plugin(so, part_columns(in, src->columns, src->nplain, &partcols),
                                          src->nplain, &owned);
        cfg.ndeclared = (uint32_t)src->nplain;
        cfg.values = in->typed;
        cfg.value_size = sizeof *in->typed;
        cfg.noptions = (uint32_t)so->nvalues;
        so->opening = 1;
        rc = p->open(&host, so, &cfg, &in->state);
        so->opening = 0;
        free(owned);
        free(partcols);
        if (rc) {
            if (!err->code)
                source_err(src, err, "the %s plugin failed to open it", p->name);
            in->state = NULL;
            source_close(so);
            return NULL;
        }
    }
    return so;
}

/* The name of input i in notes: its file's name, or "part N". */
static char *input_name(const source *so, size_t i)
{
    const spec_option *o = so->in[i].part ? part_option_named(so->in[i].part, "path") : NULL;
    const char *base;

    if (!o)
        return xasprintf("part %zu", i + 1);
    base = strrchr(o->value, '/');
    return xstrdup(base ? base + 1 : o->value);
}

/* What a full scan of a prepared source read, dropped and kept, as a note
 * on the report's title page (once per source, in the spec's order). */
static void note_counts(source *so, const prep_counts *c)
{
    const spec_source *src = so->src;
    strbuf b = {0};
    char n[48];
    size_t i;

    quire_format_value(n, sizeof n, (double)c->read, QUIRE_UNIT_COUNT, 0);
    sb_printf(&b, "%s rows read", n);
    if (so->nin > 1) {
        sb_puts(&b, " (");
        for (i = 0; i < so->nin; i++) {
            char *name = input_name(so, i);
            quire_format_value(n, sizeof n, (double)so->in[i].read, QUIRE_UNIT_COUNT, 0);
            sb_printf(&b, "%s%s from %s", i ? ", " : "", n, name);
            free(name);
        }
        sb_puts(&b, ")");
    }
    {
        sb_puts(&b, "; dropped: ");
        for (i = 0; i < src->nwhere; i++) {
            quire_format_value(n, sizeof n, (double)c->dropped[i], QUIRE_UNIT_COUNT, 0);
            sb_printf(&b, "%s%s %s", i ? ", " : "", n, src->where[i].name);
        }
        if (src->distinct) {
            quire_format_value(n, sizeof n, (double)c->duplicates, QUIRE_UNIT_COUNT, 0);
            sb_printf(&b, "%s%s ", src->nwhere ? ", " : "", n);
            if (!src->distinct_on)
                sb_puts(&b, "duplicate");
            for (i = 0; i < src->ndistinct_on; i++)
                sb_printf(&b, "%s%s", i ? ", " : "with the ", src->distinct_on[i]);
            if (src->distinct_on)
                sb_puts(&b, " of an earlier row");
        }
    }
    quire_format_value(n, sizeof n, (double)c->kept, QUIRE_UNIT_COUNT, 0);
    sb_printf(&b, "; %s kept.", n);
    qlog(LOG_INFO, "source \"%s\": %s", src->name, b.s);
    if (so->notes)
        data_notes_add_first(so->notes, (int)(src - so->spec->sources), src->name, b.s);
    sb_free(&b);
}

int source_scan(source *so, const quire_column *proj, size_t nproj, uint64_t max_records,
                source_batch_fn fn, void *user, quire_error *err)
{
    const quire_column *ask = proj;
    size_t nask = nproj, i;
    int rc = 0;

    so->prep = prep_new(so->src, proj, nproj, &ask, &nask);
    so->fn = fn;
    so->user = user;
    so->err = err;
    so->failed = 0;
    if (so->origin && so->notes)
        so->hash = sha256_new();
    so->done = 0;
    so->limit = max_records;
    so->delivered = 0;
    for (i = 0; i < so->nin && !so->done; i++) {
        input *in = &so->in[i];
        quire_scan_request req;
        quire_column *partcols;
        const quire_column *want = part_columns(in, ask, nask, &partcols);
        uint64_t before = so->prep ? prep_counts_of(so->prep)->read : 0;
        void *owned;

        memset(&req, 0, sizeof req);
        req.struct_size = sizeof req;
        req.projection = columns_for_plugin(so, want, nask, &owned);
        req.nprojection = ask ? (uint32_t)nask : 0;
        /* A prepared source drops rows: the limit counts what the reader gets. */
        req.max_records = so->prep || !max_records ? 0 : max_records - so->delivered;
        so->cur = i;
        so->proj = ask;
        so->nproj = ask ? nask : 0;
        so->max_records = req.max_records;
        so->emitted = 0;
        rc = so->plugin->scan(in->state, &req);
        free(owned);
        free(partcols);
        in->read = so->prep ? prep_counts_of(so->prep)->read - before : so->emitted;
        if (so->done && !so->failed)
            rc = 0;
        if (rc || so->failed)
            break;
        if (max_records && so->delivered >= max_records)
            break;
    }
    so->fn = NULL;
    so->user = NULL;
    if (rc || so->failed) {
        if (so->hash)
            drop_hash(so);
        if (!err->code)
            source_err(so->src, err, "the %s plugin failed to read it", so->plugin->name);
        prep_free(so->prep);
        so->prep = NULL;
        return -1;
    }
    if (so->hash) {
        if (!so->hashed_cols) { /* no batch: the columns asked for */
            quire_batch none;
            memset(&none, 0, sizeof none);
            none.columns = ask;
            none.ncols = (uint32_t)(ask ? nask : 0);
            hash_batch(so, &none);
        }
        record_read(so);
    }
    if (so->prep && !max_records && (so->src->nwhere || so->src->distinct))
        note_counts(so, prep_counts_of(so->prep)); /* rows were dropped, or could be */
    prep_free(so->prep);
    so->prep = NULL;
    return 0;
}

/* A source whose rows are prepared (derived, filtered, distinct) or come
 * from several parts streams its rows: the fact query would skip that. */
int source_can_aggregate(const source *so)
{
    const spec_source *src = so->src;

    return src->pushdown && (so->plugin->caps & QUIRE_CAP_AGGREGATE) &&
           so->plugin->aggregate != NULL && so->nin == 1 && !src->nderived && !src->nwhere &&
           !src->distinct;
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
    so->cur = 0;
    rc = so->plugin->aggregate(so->in[0].state, &req);
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
    size_t i, k;

    if (!so)
        return;
    for (i = 0; i < so->nin; i++) {
        if (so->in[i].state)
            so->plugin->close(so->in[i].state);
        for (k = 0; so->in[i].values && k < so->nvalues; k++)
            free(so->in[i].values[k]);
        free(so->in[i].values);
        free(so->in[i].typed);
    }
    free(so->in);
    free(so->secrets);
    free(so->colbuf);
    free(so->origin);
    sb_free(&so->canon);
    free(so);
}
