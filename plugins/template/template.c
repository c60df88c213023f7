/*
 * template.c - a copy-me plugin that really works.
 *
 * It makes up its rows: `rows` of them, n counting up (or down, with
 * `order: down`) from `start`, with the columns n (INTEGER), square (NUMBER,
 * n * n) and label (STRING, "row N"). Everything a real source does is here,
 * in the order the host calls it.
 *
 * To make a new plugin from it:
 *   1. Copy the folder: cp -r plugins/template plugins/NAME, and rename
 *      template.c to NAME.c. The .c files of plugins/NAME/ become plugins/NAME.so.
 *   2. The descriptor (at the end of this file): set name to "NAME" (what a
 *      spec writes as `plugin: NAME`), version, a one-line summary, and caps.
 *   3. Options, as data: edit the option table. The host checks a spec's
 *      options against it (unknown keys, types, enum choices, required ones,
 *      defaults) before open() runs, and `quire plugins` prints it as help.
 *   4. open(): read the option values, check what the table cannot say,
 *      allocate the state with host->alloc, connect or open files. On failure
 *      report the error (fail() below: its kind and place) and return non-zero.
 *   5. scan(): produce the rows from the first one on every call. Fill
 *      column-major batches with only the columns the host asked for, in its
 *      order and of its types; stop at req->max_records; hand each batch to
 *      host->emit and stop as soon as it returns non-zero, returning that value.
 *   6. close(): release everything open() made. It must accept NULL.
 *   7. load()/unload(): only if a library needs set-up once per process.
 *      aggregate(): only for an engine that can run the facts step itself
 *      (a GROUP BY per customer and month); plugins/postgres/ does, and
 *      docs/plugins/writing-a-plugin.md ("Aggregate pushdown") explains it.
 *   8. Build: `make plugins/NAME.so`. Symbols are hidden except the one
 *      entry point marked QUIRE_PLUGIN_EXPORT; nothing of the core is linked.
 *   9. Check: `./quire plugins` lists the plugin with its options; add a test
 *      like tests/unit/test_plugin_template.c that dlopens the .so.
 *
 * Threads: open, scan and close of one state are called from one thread, but
 * several states (of several sources, or of one source read twice) may be in
 * use at once on different threads. Keep everything in the state; this file
 * has no mutable global. The full rules are in quire/plugin.h ("Threads").
 *
 * The contract itself is core/include/quire/plugin.h, explained in
 * docs/plugins/writing-a-plugin.md.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The one header a plugin includes from Quire. */
#include "quire/plugin.h"

#ifndef QUIRE_VERSION
#define QUIRE_VERSION "0.1.0"
#endif

/* Rows per batch. Up to a few thousand amortises the call to emit; the
 * template uses fewer so its test sees several batches. */
#define BATCH 1024
#define LABEL_MAX 32 /* "row " and an int64 fit */

/* ---------------------------------------------------------------- options */

/*
 * The option table. The host passes the values back to open() in this order:
 * as strings (cfg->option_values[i]) and, from an ABI 1.2 host, typed
 * (quire_option_at(cfg, i)), with defaults filled in; an option with neither
 * a value nor a default is NULL (typed: set == 0). Keep an enum of the
 * positions.
 *
 * Each entry, with designated initialisers (fields left out are 0 / NULL):
 *   .name           the key a spec writes under the source
 *   .type           STRING, INTEGER, NUMBER, BOOLEAN, CHAR, PATH (resolved
 *                   against the spec's folder) or ENUM (one of .choices)
 *   .required       1: the spec must give it
 *   .default_value  the value when the spec does not give one (as text); the
 *                   host checks it against the type when it loads the plugin
 *   .help           one line for `quire plugins`
 *   .flags          QUIRE_OPTF_SECRET for a password, key or token: the host
 *                   never prints the value and masks it in messages (yours
 *                   too) and in the run manifest. Better still, take secrets
 *                   from the environment or a file, as crm_rest does.
 *   .choices        ENUM only: the allowed values, ending with NULL; the host
 *                   refuses others with a "did you mean", and passes the
 *                   value's index as the typed value
 */
enum { OPT_ROWS, OPT_START, OPT_ORDER };

static const char *const order_choices[] = {"up", "down", NULL};
enum { ORDER_UP, ORDER_DOWN }; /* positions in order_choices */

static const quire_option_def options[] = {
    {.name = "rows", .type = QUIRE_OPT_INTEGER, .default_value = "10",
     .help = "how many rows to produce"},
    {.name = "start", .type = QUIRE_OPT_INTEGER, .default_value = "1",
     .help = "the first value of n"},
    {.name = "order", .type = QUIRE_OPT_ENUM, .default_value = "up", .choices = order_choices,
     .help = "whether n counts up or down"},
    {.name = NULL}, /* the end */
};

/* ---------------------------------------------------------------- columns */

/* The columns this source has. A source that learns them at run time (a
 * CSV header, a database table) builds this list in open() or scan(). */
enum { COL_N, COL_SQUARE, COL_LABEL, NCOLS };

static const quire_column columns[NCOLS] = {
    {.name = "n", .type = QUIRE_T_INTEGER},
    {.name = "square", .type = QUIRE_T_NUMBER},
    {.name = "label", .type = QUIRE_T_STRING},
};

/* ---------------------------------------------------------------- state */

/* What open() learns and scan() needs; one per source in a spec. */
typedef struct tstate {
    const quire_host *host; /* borrowed from the host for the state's life */
    void *hctx;
    char *spec;             /* the spec's path, for messages (owned) */
    char *source;           /* the source's name, for messages (owned) */
    int64_t rows, start;
    int down;
} tstate;

static void tclose(void *state);

/* ---------------------------------------------------------------- errors */

/*
 * Report an error: its kind (QUIRE_ERROR_CONFIG, _DATA, _IO or _TRANSIENT,
 * which decides quire's exit status), the option at fault for a CONFIG
 * error (the host then points at it in the spec), and what went wrong. A
 * source that reads files would pass the file, line and column too.
 *
 * An ABI 1.2 host has error_at(); an older one only error(), which takes the
 * place written at the front of the message. Check before calling anything
 * that came after 1.0: QUIRE_HOST_HAS(host, error_at).
 */
static void fail(const tstate *st, uint32_t kind, const char *option, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static void fail(const tstate *st, uint32_t kind, const char *option, const char *fmt, ...)
{
    char msg[512];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (QUIRE_HOST_HAS(st->host, error_at) && st->host->error_at) {
        quire_error_info where;
        memset(&where, 0, sizeof where);
        where.struct_size = sizeof where; /* always: the host checks it */
        where.kind = kind;
        where.option = option;
        st->host->error_at(st->hctx, &where, "%s", msg);
    } else {
        st->host->error(st->hctx, "%s: source \"%s\": %s", st->spec ? st->spec : "spec",
                        st->source ? st->source : "template", msg);
    }
}

/*
 * An INTEGER option. From an ABI 1.2 host the typed value is there, already
 * checked as a whole number; from an older host only the text. The plugin
 * still checks what the type cannot say (here: a range).
 */
static int int_option(tstate *st, const quire_source_config *cfg, int at, int64_t min,
                      int64_t *out)
{
    const quire_option_value *tv = quire_option_at(cfg, (uint32_t)at);
    const char *v = cfg->option_values ? cfg->option_values[at] : NULL;
    char *end;
    long long x;
    int bad = 0;

    if (tv && tv->set) {
        x = tv->i;
        v = tv->text;
    } else {
        if (!v)
            v = options[at].default_value;
        errno = 0;
        x = strtoll(v, &end, 10);
        bad = !*v || *end || errno;
    }
    if (bad || x < min) {
        /* Say what was expected and what was found; the host says where. */
        fail(st, QUIRE_ERROR_CONFIG, options[at].name,
             "option \"%s\" must be a whole number of at least %lld, not \"%s\"",
             options[at].name, (long long)min, v);
        return -1;
    }
    *out = x;
    return 0;
}

/* An ENUM option: the typed value is the index in the choices. An older
 * host has not checked the text against them: look it up. */
static int enum_option(tstate *st, const quire_source_config *cfg, int at, int *out)
{
    const quire_option_value *tv = quire_option_at(cfg, (uint32_t)at);
    const char *v = cfg->option_values ? cfg->option_values[at] : NULL;
    int k;

    if (tv && tv->set) {
        *out = (int)tv->i;
        return 0;
    }
    if (!v)
        v = options[at].default_value;
    for (k = 0; options[at].choices[k]; k++)
        if (strcmp(options[at].choices[k], v) == 0) {
            *out = k;
            return 0;
        }
    fail(st, QUIRE_ERROR_CONFIG, options[at].name, "option \"%s\" must be up or down, not \"%s\"",
         options[at].name, v);
    return -1;
}

static char *copy_text(const quire_host *host, const char *s)
{
    char *d = host->alloc(strlen(s) + 1);
    if (d)
        strcpy(d, s);
    return d;
}

/* ---------------------------------------------------------------- open */

static int topen(const quire_host *host, void *hctx, const quire_source_config *cfg,
                 void **state)
{
    tstate *st;
    int order = ORDER_UP;

    *state = NULL;
    /* A host of another major ABI version is not one this code knows. A
     * host of an older minor version lacks the functions added since: check
     * with QUIRE_HOST_HAS(host, f) before calling one (note came in 1.1,
     * error_at in 1.2; fail() above does). */
    if (!host || QUIRE_ABI_MAJOR_OF(host->abi_version) != QUIRE_PLUGIN_ABI_MAJOR ||
        !QUIRE_HOST_HAS(host, error))
        return 1;

    /* Allocate through the host: it may count or cap memory. Make the state
     * consistent (zeroed) first, so that tclose() can always release it. */
    st = host->alloc(sizeof *st);
    if (!st) {
        host->error(hctx, "source \"%s\": out of memory",
                    cfg->source_name ? cfg->source_name : "template");
        return 1;
    }
    memset(st, 0, sizeof *st);
    st->host = host;
    st->hctx = hctx;
    /* cfg and everything in it is borrowed for this call only: copy what the
     * state keeps. */
    st->spec = copy_text(host, cfg->spec_path ? cfg->spec_path : "spec");
    st->source = copy_text(host, cfg->source_name ? cfg->source_name : "template");
    if (!st->spec || !st->source) {
        fail(st, QUIRE_ERROR_IO, NULL, "out of memory");
        tclose(st);
        return 1;
    }

    if (int_option(st, cfg, OPT_ROWS, 0, &st->rows) ||
        int_option(st, cfg, OPT_START, INT64_MIN, &st->start) ||
        enum_option(st, cfg, OPT_ORDER, &order)) {
        tclose(st);
        return 1;
    }
    st->down = order == ORDER_DOWN;
    /* n runs from start to start +- (rows - 1): it must stay an int64, and
     * its square is computed as a double, so any int64 will do. */
    if (st->rows > 0 && (st->down ? st->start < INT64_MIN + (st->rows - 1)
                                  : st->start > INT64_MAX - (st->rows - 1))) {
        fail(st, QUIRE_ERROR_CONFIG, "rows", "start %s rows does not fit a 64-bit integer",
             st->down ? "-" : "+");
        tclose(st);
        return 1;
    }
    /* A plugin that reads a server rather than files named by PATH options
     * says what it reads, for the run manifest (ABI 1.3), as a URL without
     * credentials:
     *     if (QUIRE_HOST_HAS(host, origin))
     *         host->origin(hctx, "https://api.example.com/v1/items");
     * The manifest then lists the source by it with the hash of its records.
     * This template makes its rows from its options: it has nothing to name. */
    *state = st;
    return 0;
}

/* ---------------------------------------------------------------- scan */

/* Where each requested column comes from; -1 when the source lacks it. */
static int column_index(const char *name)
{
    int c;

    for (c = 0; c < NCOLS; c++)
        if (name && strcmp(columns[c].name, name) == 0)
            return c;
    return -1;
}

static int tscan(void *state, const quire_scan_request *req)
{
    tstate *st = state;
    const quire_host *h = st->host;
    const quire_column *proj = NULL;
    uint32_t nproj = 0, ncols, j, r = 0;
    uint64_t max = 0, total, i;
    int which[NCOLS * 4];
    quire_column out[NCOLS * 4];
    quire_cell *cells[NCOLS * 4];
    quire_cell *block = NULL;
    char (*labels)[LABEL_MAX] = NULL;
    quire_batch b;
    int rc = 0;

    /* Fields past the request's struct_size are absent (an older host). */
    if (req && QUIRE_HAS_FIELD(req, quire_scan_request, nprojection)) {
        proj = req->projection;
        nproj = req->nprojection;
    }
    if (req && QUIRE_HAS_FIELD(req, quire_scan_request, max_records))
        max = req->max_records;

    /* Projection: produce exactly the columns asked for, in that order and
     * of the types asked for, and say which are missing. NULL means every
     * column. The same column may be asked for twice; this template allows
     * a few repeats. The host lays the projection out with the descriptor's
     * column_size, so it is indexed as an ordinary array. */
    ncols = proj ? nproj : NCOLS;
    if (ncols > NCOLS * 4) {
        fail(st, QUIRE_ERROR_CONFIG, NULL, "%u columns asked for; this source has %d", ncols,
             NCOLS);
        return 1;
    }
    for (j = 0; j < ncols; j++) {
        which[j] = proj ? column_index(proj[j].name) : (int)j;
        if (which[j] < 0) {
            fail(st, QUIRE_ERROR_CONFIG, NULL, "no column \"%s\"; columns are: n, square, label",
                 proj[j].name ? proj[j].name : "");
            return 1;
        }
        /* The host reads the cells by the types it asked for (it checks
         * that the batch says the same): a source that cannot give a
         * column that type says so. A spec declares the types in its
         * source's columns: a configuration error. */
        if (proj && proj[j].type != columns[which[j]].type) {
            fail(st, QUIRE_ERROR_CONFIG, NULL, "column \"%s\" holds %s values; declare it so "
                 "in the source's columns", columns[which[j]].name,
                 columns[which[j]].type == QUIRE_T_INTEGER  ? "integer"
                 : columns[which[j]].type == QUIRE_T_NUMBER ? "number"
                                                            : "string");
            return 1;
        }
        out[j] = columns[which[j]];
    }

    /* One block of cells and one of label text, reused by every batch. */
    block = h->alloc((size_t)(ncols ? ncols : 1) * BATCH * sizeof *block);
    labels = h->alloc(BATCH * sizeof *labels);
    if (!block || !labels) {
        fail(st, QUIRE_ERROR_IO, NULL, "out of memory");
        rc = 1;
        goto out;
    }
    for (j = 0; j < ncols; j++)
        cells[j] = block + (size_t)j * BATCH;

    /* The batch: designated fields, the rest zero. */
    memset(&b, 0, sizeof b);
    b.struct_size = sizeof b; /* always: the host checks it */
    b.ncols = ncols;
    b.columns = out;          /* laid out with column_size: our own sizeof */
    b.cols = cells;

    /* Every scan starts from the first row. */
    total = (uint64_t)st->rows;
    if (max && max < total)
        total = max;
    for (i = 0; i < total; i++) {
        int64_t n = st->down ? st->start - (int64_t)i : st->start + (int64_t)i;
        if (r == 0)
            b.first_record = i + 1; /* 1-based; rows are consecutive, so
                                     * record_no stays NULL */
        for (j = 0; j < ncols; j++) {
            quire_cell *c = &cells[j][r];
            c->null = 0;
            switch (which[j]) {
            case COL_N:
                c->v.i = n;
                break;
            case COL_SQUARE:
                c->v.n = (double)n * (double)n;
                break;
            default: {
                /* Strings are borrowed by the host until emit returns, so
                 * they may live in a buffer the next batch overwrites. A
                 * string cell needs a pointer unless its length is 0. */
                int len = snprintf(labels[r], LABEL_MAX, "row %lld", (long long)n);
                c->v.s.ptr = labels[r];
                c->v.s.len = (uint32_t)len;
                break;
            }
            }
        }
        if (++r == BATCH) {
            b.nrows = r;
            r = 0;
            /* Non-zero from emit: the host wants to stop (it has recorded
             * why). Return that value without another word. */
            if ((rc = h->emit(st->hctx, &b)) != 0)
                goto out;
        }
    }
    if (r) {
        b.nrows = r;
        rc = h->emit(st->hctx, &b);
    }
out:
    h->free(block);
    h->free(labels);
    return rc;
}

/* ---------------------------------------------------------------- close */

static void tclose(void *state)
{
    tstate *st = state;

    if (!st)
        return;
    st->host->free(st->spec);
    st->host->free(st->source);
    st->host->free(st);
}

/* ---------------------------------------------------------------- descriptor */

/*
 * The descriptor: a static struct, so the host can read it without calling
 * anything. Designated initialisers name every field; a field left out is
 * 0 or NULL. Fields are only ever appended to quire_plugin, and the host
 * treats those past struct_size as absent, so a plugin built against an
 * older header keeps loading.
 */
static const quire_plugin template_plugin = {
    /* The version of quire/plugin.h this was built with. The host refuses
     * another major version; a newer minor version than the host's is fine
     * (the host ignores what it does not know). */
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    /* sizeof the descriptor as built: how far the host may read. */
    .struct_size = sizeof(quire_plugin),
    /* What a spec writes: `plugin: template`. One per plugin path. */
    .name = "template",
    /* The plugin's own version, shown by `quire plugins`. */
    .version = QUIRE_VERSION,
    /* One line for `quire plugins`. */
    .summary = "made-up rows (n, square, label): the plugin to copy",
    /* Every plugin streams; this one also produces only the requested
     * columns. QUIRE_CAP_AGGREGATE is for sources that can sum and count. */
    .caps = QUIRE_CAP_STREAM | QUIRE_CAP_PROJECTION,
    /* The option table above, ending with a NULL name. */
    .options = options,
    /* The three calls on a source: see topen, tscan and tclose. */
    .open = topen,
    .scan = tscan,
    .close = tclose,
    /* ABI 1.2: the sizes of the structs this plugin's arrays are made of,
     * as built. The host walks the option table with option_size, reads the
     * batch's column list with column_size, and lays out the column lists
     * it passes in (cfg->declared, req->projection) the same way, so these
     * structs can grow in later versions. Always exactly these sizeofs. */
    .option_size = sizeof(quire_option_def),
    .column_size = sizeof(quire_column),
    /* ABI 1.2: int load(host, hctx) runs once after the plugin is loaded,
     * before any open(); void unload(void) once before it is unloaded. For a
     * library's process-wide set-up (crm_rest calls curl_global_init there).
     * The template needs none: leave them NULL. */
    .load = NULL,
    .unload = NULL,
};

/* The one exported symbol. Its name is fixed (QUIRE_PLUGIN_ENTRY_NAME). */
QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void);

QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void)
{
    return &template_plugin;
}
