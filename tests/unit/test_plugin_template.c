/*
 * test_plugin_template.c - the copy-me plugin through its real shared object:
 * rows, batches, projection, max_records, errors; under a host of ABI 1.0
 * (options as text, error()) and one of ABI 1.2 (typed options, error_at()).
 * PLUGIN_DIR overrides the folder holding template.so (default plugins).
 */
#include <dlfcn.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "quire/plugin.h"

#define MAXROWS 5000

/* What the test host saw. */
typedef struct th {
    char err[1024];
    uint32_t err_kind;       /* from error_at */
    char err_option[32];
    uint32_t ncols;
    char names[4][16];
    quire_type types[4];
    int64_t n[MAXROWS];
    double square[MAXROWS];
    char label[MAXROWS][32];
    size_t nrows;
    int nbatches, bad_batch, stop_after;
} th;

static void h_log(void *hctx, int level, const char *fmt, ...)
{
    (void)hctx;
    (void)level;
    (void)fmt;
}

static void h_error(void *hctx, const char *fmt, ...)
{
    th *h = hctx;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(h->err, sizeof h->err, fmt, ap);
    va_end(ap);
}

static void h_error_at(void *hctx, const quire_error_info *w, const char *fmt, ...)
{
    th *h = hctx;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(h->err, sizeof h->err, fmt, ap);
    va_end(ap);
    h->err_kind = w && w->struct_size >= sizeof *w ? w->kind : 0;
    snprintf(h->err_option, sizeof h->err_option, "%s", w && w->option ? w->option : "");
}

static int h_emit(void *hctx, const quire_batch *b)
{
    th *h = hctx;
    uint32_t r, c;

    h->nbatches++;
    if (b->struct_size < sizeof *b || b->ncols > 4 || b->nrows == 0 || b->nrows > 4096 ||
        b->first_record != h->nrows + 1)
        h->bad_batch = 1;
    h->ncols = b->ncols;
    for (c = 0; c < b->ncols && c < 4; c++) {
        snprintf(h->names[c], sizeof h->names[c], "%s", b->columns[c].name);
        h->types[c] = b->columns[c].type;
    }
    for (r = 0; r < b->nrows && h->nrows < MAXROWS; r++, h->nrows++) {
        for (c = 0; c < b->ncols && c < 4; c++) {
            const quire_cell *x = &b->cols[c][r];
            if (x->null)
                h->bad_batch = 1;
            else if (b->columns[c].type == QUIRE_T_INTEGER)
                h->n[h->nrows] = x->v.i;
            else if (b->columns[c].type == QUIRE_T_NUMBER)
                h->square[h->nrows] = x->v.n;
            else
                snprintf(h->label[h->nrows], sizeof h->label[h->nrows], "%.*s",
                         (int)x->v.s.len, x->v.s.ptr);
        }
    }
    return h->stop_after && h->nbatches >= h->stop_after ? 3 : 0;
}

static const quire_host host10 = {
    /* a host of plugin ABI 1.0: it ends before the note function */
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = offsetof(quire_host, note),
    .alloc = malloc, .realloc = realloc, .free = free,
    .log = h_log, .emit = h_emit, .error = h_error,
};

static const quire_host host12 = {
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(quire_host),
    .alloc = malloc, .realloc = realloc, .free = free,
    .log = h_log, .emit = h_emit, .error = h_error, .error_at = h_error_at,
};

static const quire_plugin *plug;
static th h;

/* A 1.0 host: the values as text, NULL where none (the plugin takes the
 * default). */
static int open_src(const char *rows, const char *start, void **state)
{
    const char *values[3] = {rows, start, NULL};
    quire_source_config cfg;

    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = offsetof(quire_source_config, values);
    cfg.source_name = "numbers";
    cfg.spec_path = "test.yaml";
    cfg.option_values = values;
    return plug->open(&host10, &h, &cfg, state);
}

/* A 1.2 host: typed values too, as the host fills them (text and typed
 * value agree; defaults filled in). */
static int open_typed(int64_t rows, int64_t start, int down, void **state)
{
    char t_rows[32], t_start[32];
    const char *values[3];
    quire_option_value typed[3];
    quire_source_config cfg;

    snprintf(t_rows, sizeof t_rows, "%lld", (long long)rows);
    snprintf(t_start, sizeof t_start, "%lld", (long long)start);
    values[0] = t_rows;
    values[1] = t_start;
    values[2] = down ? "down" : "up";
    memset(typed, 0, sizeof typed);
    typed[0].text = values[0], typed[0].i = rows, typed[0].n = (double)rows, typed[0].set = 1;
    typed[1].text = values[1], typed[1].i = start, typed[1].n = (double)start, typed[1].set = 1;
    typed[2].text = values[2], typed[2].i = down, typed[2].set = 1;
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.source_name = "numbers";
    cfg.spec_path = "test.yaml";
    cfg.option_values = values;
    cfg.values = typed;
    cfg.value_size = sizeof typed[0];
    cfg.noptions = 3;
    memset(&h, 0, sizeof h);
    return plug->open(&host12, &h, &cfg, state);
}

static int scan(void *state, const quire_column *proj, uint32_t nproj, uint64_t max)
{
    quire_scan_request req;

    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.projection = proj;
    req.nprojection = nproj;
    req.max_records = max;
    memset(&h, 0, sizeof h);
    return plug->scan(state, &req);
}

static void rows(void)
{
    void *state = NULL;
    size_t i, bad = 0;

    CHECK(open_src("2500", "-2", &state) == 0);
    CHECK(scan(state, NULL, 0, 0) == 0);
    CHECK(h.nrows == 2500 && h.ncols == 3 && !h.bad_batch && h.nbatches == 3);
    CHECK_STR(h.names[0], "n");
    CHECK_STR(h.names[1], "square");
    CHECK_STR(h.names[2], "label");
    CHECK(h.types[0] == QUIRE_T_INTEGER && h.types[1] == QUIRE_T_NUMBER &&
          h.types[2] == QUIRE_T_STRING);
    for (i = 0; i < h.nrows; i++) {
        char want[32];
        int64_t n = (int64_t)i - 2;
        snprintf(want, sizeof want, "row %lld", (long long)n);
        bad += h.n[i] != n || h.square[i] != (double)(n * n) || strcmp(h.label[i], want) != 0;
    }
    CHECK(bad == 0);
    /* a second scan starts over */
    CHECK(scan(state, NULL, 0, 0) == 0);
    CHECK(h.nrows == 2500 && h.n[0] == -2 && h.n[2499] == 2497);
    plug->close(state);

    /* defaults: 10 rows from 1 */
    CHECK(open_src(NULL, NULL, &state) == 0);
    CHECK(scan(state, NULL, 0, 0) == 0);
    CHECK(h.nrows == 10 && h.n[0] == 1 && h.n[9] == 10);
    CHECK_STR(h.label[9], "row 10");
    plug->close(state);
}

static void projection(void)
{
    static const quire_column proj[] = {{"label", QUIRE_T_STRING, NULL},
                                        {"n", QUIRE_T_INTEGER, NULL}};
    static const quire_column bad[] = {{"cube", QUIRE_T_NUMBER, NULL}};
    void *state = NULL;

    CHECK(open_src("5", "10", &state) == 0);
    CHECK(scan(state, proj, 2, 0) == 0);
    CHECK(h.nrows == 5 && h.ncols == 2);
    CHECK_STR(h.names[0], "label");
    CHECK_STR(h.names[1], "n");
    CHECK_STR(h.label[4], "row 14");
    CHECK(h.n[4] == 14 && h.square[4] == 0.0);
    CHECK(scan(state, proj, 2, 3) == 0);
    CHECK(h.nrows == 3);
    CHECK(scan(state, bad, 1, 0) != 0);
    CHECK_STR(h.err, "test.yaml: source \"numbers\": no column \"cube\"; columns are: n, "
                     "square, label");
    plug->close(state);

    /* emit asking to stop */
    CHECK(open_src("5000", "1", &state) == 0);
    memset(&h, 0, sizeof h);
    {
        quire_scan_request req;
        memset(&req, 0, sizeof req);
        req.struct_size = sizeof req;
        h.stop_after = 1;
        CHECK(plug->scan(state, &req) == 3);
        CHECK(h.nbatches == 1);
    }
    plug->close(state);
}

/* Under an ABI 1.2 host: typed values, the enum, typed errors. */
static void typed(void)
{
    static const quire_column as_int[] = {{.name = "square", .type = QUIRE_T_INTEGER}};
    void *state = NULL;

    CHECK(open_typed(4, 10, 1, &state) == 0);
    CHECK(scan(state, NULL, 0, 0) == 0);
    CHECK(h.nrows == 4 && h.n[0] == 10 && h.n[3] == 7 && h.square[3] == 49.0);
    CHECK_STR(h.label[3], "row 7");
    /* a type the column does not hold: a configuration error */
    CHECK(scan(state, as_int, 1, 0) != 0);
    CHECK(h.err_kind == QUIRE_ERROR_CONFIG);
    CHECK_STR(h.err, "column \"square\" holds number values; declare it so in the source's "
                     "columns");
    plug->close(state);

    CHECK(open_typed(-1, 1, 0, &state) != 0 && state == NULL);
    CHECK(h.err_kind == QUIRE_ERROR_CONFIG);
    CHECK_STR(h.err_option, "rows");
    CHECK_STR(h.err, "option \"rows\" must be a whole number of at least 0, not \"-1\"");
    CHECK(open_typed(3, INT64_MIN + 1, 1, &state) != 0);
    CHECK_CONTAINS(h.err, "start - rows does not fit a 64-bit integer");
}

static void errors(void)
{
    void *state = NULL;

    CHECK(open_src("-1", "1", &state) != 0 && state == NULL);
    CHECK_STR(h.err, "test.yaml: source \"numbers\": option \"rows\" must be a whole number of "
                     "at least 0, not \"-1\"");
    CHECK(open_src("10", "x", &state) != 0);
    CHECK_CONTAINS(h.err, "option \"start\" must be a whole number");
    CHECK(open_src("10", "9223372036854775807", &state) != 0);
    CHECK_CONTAINS(h.err, "start + rows does not fit a 64-bit integer");
    {
        /* an older host has not checked the enum: the plugin does */
        const char *values[3] = {"3", "1", "sideways"};
        quire_source_config cfg;
        memset(&cfg, 0, sizeof cfg);
        cfg.struct_size = offsetof(quire_source_config, values);
        cfg.source_name = "numbers";
        cfg.spec_path = "test.yaml";
        cfg.option_values = values;
        CHECK(plug->open(&host10, &h, &cfg, &state) != 0);
        CHECK_STR(h.err, "test.yaml: source \"numbers\": option \"order\" must be up or down, "
                         "not \"sideways\"");
    }
    plug->close(NULL);
}

int main(void)
{
    const char *dir = getenv("PLUGIN_DIR");
    char path[1024];
    void *so;
    quire_plugin_entry_fn entry;

    snprintf(path, sizeof path, "%s/template.so", dir ? dir : "plugins");
    so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!so) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        CHECK(!"template.so loads");
        return check_done("plugin_template");
    }
    *(void **)&entry = dlsym(so, QUIRE_PLUGIN_ENTRY_NAME);
    CHECK(entry != NULL);
    if (entry) {
        plug = entry();
        CHECK_STR(plug->name, "template");
        CHECK(plug->struct_size == sizeof(quire_plugin));
        CHECK(plug->abi_version == QUIRE_PLUGIN_ABI_VERSION);
        CHECK(plug->option_size == sizeof(quire_option_def));
        CHECK(plug->column_size == sizeof(quire_column));
        CHECK(plug->load == NULL && plug->unload == NULL);
        CHECK(plug->options && strcmp(plug->options[0].name, "rows") == 0 &&
              strcmp(plug->options[0].default_value, "10") == 0 &&
              strcmp(plug->options[1].name, "start") == 0 &&
              strcmp(plug->options[2].name, "order") == 0 &&
              plug->options[2].type == QUIRE_OPT_ENUM &&
              strcmp(plug->options[2].choices[1], "down") == 0 &&
              plug->options[2].choices[2] == NULL && plug->options[3].name == NULL);
        rows();
        projection();
        typed();
        errors();
    }
    dlclose(so);
    return check_done("plugin_template");
}
