/*
 * template.c - a copy-me plugin that really works.
 *
 * It makes up its rows: `rows` of them, n counting up from `start`, with the
 * columns n (INTEGER), square (NUMBER, n * n) and label (STRING, "row N").
 * Everything a real source does is here, in the order the host calls it.
 *
 * To make a new plugin from it:
 *   1. Copy the folder: cp -r plugins/template plugins/NAME, and rename
 *      template.c to NAME.c. The .c files of plugins/NAME/ become plugins/NAME.so.
 *   2. The descriptor (at the end of this file): set name to "NAME" (what a
 *      spec writes as `plugin: NAME`), version, a one-line summary, and caps.
 *   3. Options, as data: edit the option table. The host checks a spec's
 *      options against it (unknown keys, types, required ones, defaults)
 *      before open() runs, and `quire plugins` prints it as help.
 *   4. open(): read the option values, check what the table cannot say,
 *      allocate the state with host->alloc, connect or open files. On failure
 *      call host->error("where: what went wrong") and return non-zero.
 *   5. scan(): produce the rows from the first one on every call. Fill
 *      column-major batches with only the columns the host asked for, in its
 *      order; stop at req->max_records; hand each batch to host->emit and
 *      stop as soon as it returns non-zero, returning that value.
 *   6. close(): release everything open() made. It must accept NULL.
 *   7. Build: `make plugins/NAME.so`. Symbols are hidden except the one
 *      entry point marked QUIRE_PLUGIN_EXPORT; nothing of the core is linked.
 *   8. Check: `./quire plugins` lists the plugin with its options; add a test
 *      like tests/unit/test_plugin_template.c that dlopens the .so.
 *
 * The contract itself is core/include/quire/plugin.h, explained in
 * docs/plugins/writing-a-plugin.md.
 */
#include <errno.h>
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
 * The option table. The host passes the values back to open() as strings in
 * this order (cfg->option_values[i]), with defaults filled in; an option with
 * neither a value nor a default is NULL. Keep an enum of the positions.
 */
enum { OPT_ROWS, OPT_START };

static const quire_option_def options[] = {
    {.name = "rows", .type = QUIRE_OPT_INTEGER, .default_value = "10",
     .help = "how many rows to produce"},
    {.name = "start", .type = QUIRE_OPT_INTEGER, .default_value = "1",
     .help = "the first value of n"},
    {.name = NULL}, /* the end */
};

/* ---------------------------------------------------------------- columns */

/* The columns this source has. A source that learns them at run time (a
 * CSV header, a database table) builds this list in open() or scan(). */
enum { COL_N, COL_SQUARE, COL_LABEL, NCOLS };

static const quire_column columns[NCOLS] = {
    {"n", QUIRE_T_INTEGER, NULL},
    {"square", QUIRE_T_NUMBER, NULL},
    {"label", QUIRE_T_STRING, NULL},
};

/* ---------------------------------------------------------------- state */

/* What open() learns and scan() needs; one per source in a spec. */
typedef struct tstate {
    const quire_host *host; /* borrowed from the host for the state's life */
    void *hctx;
    char *source;           /* the source's name, for messages (owned) */
    int64_t rows, start;
} tstate;

static void tclose(void *state);

/*
 * Option values arrive as strings even for INTEGER options. The host has
 * checked the type already; the plugin still checks what the type cannot
 * (here: a range), because a plugin may be driven by another host.
 */
static int int_option(tstate *st, const quire_source_config *cfg, int at, int64_t min,
                      int64_t *out)
{
    const char *v = cfg->option_values ? cfg->option_values[at] : NULL;
    char *end;
    long long x;

    if (!v)
        v = options[at].default_value;
    errno = 0;
    x = strtoll(v, &end, 10);
    if (!*v || *end || errno || x < min) {
        /* Say where (the spec and the source) and what was expected. */
        st->host->error(st->hctx, "%s: source \"%s\": option \"%s\" must be a whole number "
                        "of at least %lld, not \"%s\"", cfg->spec_path ? cfg->spec_path : "spec",
                        st->source, options[at].name, (long long)min, v);
        return -1;
    }
    *out = x;
    return 0;
}

/* ---------------------------------------------------------------- open */

static int topen(const quire_host *host, void *hctx, const quire_source_config *cfg,
                 void **state)
{
    tstate *st;
    const char *name = cfg->source_name ? cfg->source_name : "template";

    *state = NULL;
    /* A host of another major ABI version is not one this code knows. A
     * host of an older minor version lacks the functions added since: check
     * with QUIRE_HOST_HAS(host, f) before calling one (note came in 1.1;
     * this plugin needs only the 1.0 functions). */
    if (!host || QUIRE_ABI_MAJOR_OF(host->abi_version) != QUIRE_PLUGIN_ABI_MAJOR ||
        !QUIRE_HOST_HAS(host, error))
        return 1;

    /* Allocate through the host: it may count or cap memory. Make the state
     * consistent (zeroed) first, so that tclose() can always release it. */
    st = host->alloc(sizeof *st);
    if (!st) {
        host->error(hctx, "source \"%s\": out of memory", name);
        return 1;
    }
    memset(st, 0, sizeof *st);
    st->host = host;
    st->hctx = hctx;
    /* cfg and everything in it is borrowed for this call only: copy what the
     * state keeps. */
    st->source = host->alloc(strlen(name) + 1);
    if (!st->source) {
        host->error(hctx, "source \"%s\": out of memory", name);
        tclose(st);
        return 1;
    }
    strcpy(st->source, name);

    if (int_option(st, cfg, OPT_ROWS, 0, &st->rows) ||
        int_option(st, cfg, OPT_START, INT64_MIN, &st->start)) {
        tclose(st);
        return 1;
    }
    /* n runs from start to start + rows - 1: it must stay an int64, and its
     * square is computed as a double, so any int64 will do. */
    if (st->rows > 0 && st->start > INT64_MAX - (st->rows - 1)) {
        host->error(hctx, "%s: source \"%s\": start + rows does not fit a 64-bit integer",
                    cfg->spec_path ? cfg->spec_path : "spec", st->source);
        tclose(st);
        return 1;
    }
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
    if (req && req->struct_size >= offsetof(quire_scan_request, nprojection) + sizeof(uint32_t)) {
        proj = req->projection;
        nproj = req->nprojection;
    }
    if (req && req->struct_size >= offsetof(quire_scan_request, max_records) + sizeof(uint64_t))
        max = req->max_records;

    /* Projection: produce exactly the columns asked for, in that order, and
     * say which are missing. NULL means every column. The same column may be
     * asked for twice; this template allows a few repeats. */
    ncols = proj ? nproj : NCOLS;
    if (ncols > NCOLS * 4) {
        h->error(st->hctx, "source \"%s\": %u columns asked for; this source has %d", st->source,
                 ncols, NCOLS);
        return 1;
    }
    for (j = 0; j < ncols; j++) {
        which[j] = proj ? column_index(proj[j].name) : (int)j;
        if (which[j] < 0) {
            h->error(st->hctx, "source \"%s\": no column \"%s\"; columns are: n, square, label",
                     st->source, proj[j].name ? proj[j].name : "");
            return 1;
        }
        /* The source's own type is reported in the batch's column list:
         * the host reads cells by the types given there. */
        out[j] = columns[which[j]];
    }

    /* One block of cells and one of label text, reused by every batch. */
    block = h->alloc((size_t)(ncols ? ncols : 1) * BATCH * sizeof *block);
    labels = h->alloc(BATCH * sizeof *labels);
    if (!block || !labels) {
        h->error(st->hctx, "source \"%s\": out of memory", st->source);
        rc = 1;
        goto out;
    }
    for (j = 0; j < ncols; j++)
        cells[j] = block + (size_t)j * BATCH;

    memset(&b, 0, sizeof b);
    b.struct_size = sizeof b; /* always: the host checks it */
    b.ncols = ncols;
    b.columns = out;
    b.cols = cells;

    /* Every scan starts from the first row. */
    total = (uint64_t)st->rows;
    if (max && max < total)
        total = max;
    for (i = 0; i < total; i++) {
        int64_t n = st->start + (int64_t)i;
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
                 * they may live in a buffer the next batch overwrites. */
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
    st->host->free(st->source);
    st->host->free(st);
}

/* ---------------------------------------------------------------- descriptor */

/*
 * The descriptor: a static struct, so the host can read it without calling
 * anything. abi_version and struct_size come first and are filled from the
 * header this plugin was built with; the host refuses another major version
 * and treats fields past struct_size as absent.
 */
static const quire_plugin template_plugin = {
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(quire_plugin),
    .name = "template",
    .version = QUIRE_VERSION,
    .summary = "made-up rows (n, square, label): the plugin to copy",
    .caps = QUIRE_CAP_STREAM | QUIRE_CAP_PROJECTION,
    .options = options,
    .open = topen,
    .scan = tscan,
    .close = tclose,
    .option_size = sizeof(quire_option_def),
    .column_size = sizeof(quire_column),
};

/* The one exported symbol. Its name is fixed (QUIRE_PLUGIN_ENTRY_NAME). */
QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void);

QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void)
{
    return &template_plugin;
}
