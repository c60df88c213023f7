/*
 * test_source.c - a source's errors through the real plugins: where they
 * point (fields, not text) and their exit status.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "fixture.h"
#include "source.h"
#include "spec.h"

/* "odd" is at 8:3 and its delimiter at 9:6, "typo"'s option "pth" at 11:24,
 * "other"'s plugin at 12:20, "numbers" at 13:3; the bad amount in orders.csv
 * at 3:14. */
static const char spec_text[] =
    "title: Sources\n"
    "periods: { from: 2024-02, to: 2024-03, history: 1 }\n"
    "sources:\n"
    "  customers: { plugin: csv, path: customers.csv,\n"
    "               columns: { id: integer } }\n"
    "  orders: { plugin: csv, path: orders.csv,\n"
    "            columns: { id: integer, day: date, amount: number } }\n"
    "  odd: { plugin: csv, path: orders.csv,\n"
    "     delimiter: \"'\", quote: \"'\" }\n"
    "  gone: { plugin: csv, path: nowhere.csv }\n"
    "  typo: { plugin: csv, pth: orders.csv }\n"
    "  other: { plugin: cvs, path: orders.csv }\n"
    "  numbers: { plugin: template }\n"
    "  prepared:\n"
    "    plugin: template\n"
    "    parts: [{ rows: 5 }, { start: 4, rows: 5 }]\n"
    "    columns: { n: integer, square: number }\n"
    "    derive: { cube: n * square }\n"
    "    where: { small: n <= 7 }\n"
    "    distinct: [n]\n"
    "  twice: { plugin: template, columns: { n: integer }, derive: { twice: n * 2 } }\n"
    "entities: { source: customers, key: id }\n"
    "segments:\n"
    "  rule: rule.lua\n"
    "  list: [A]\n"
    "kpis:\n"
    "  customers: count.lua\n";

static int on_batch(void *user, const quire_batch *b, quire_error *err)
{
    (void)user;
    (void)b;
    (void)err;
    return 0;
}

static spec *load(quire_error *err)
{
    char path[256];

    snprintf(path, sizeof path, "%s/r.yaml", dir);
    return spec_load(path, NULL, 0, err);
}

static source *open_source(spec *s, plugin_registry *reg, const char *name, quire_error *err)
{
    const spec_source *src = spec_find_source(s, name);
    CHECK(src != NULL);
    return src ? source_open(s, src, reg, NULL, err) : NULL;
}

/* Open source name and scan it for the one column col; returns the scan's
 * result, -2 when the source did not open. */
static int scan_for(spec *s, plugin_registry *reg, const char *name, const char *col,
                    quire_error *err)
{
    quire_column proj = {col, QUIRE_T_STRING, NULL};
    source *so;
    int rc;

    so = open_source(s, reg, name, err);
    CHECK(so != NULL);
    if (!so)
        return -2;
    rc = source_scan(so, &proj, 1, 0, on_batch, NULL, err);
    source_close(so);
    return rc;
}

static void test_errors(void)
{
    plugin_registry reg = {0};
    quire_error err = {0};
    char want[300], text[QUIRE_ERROR_TEXT_MAX];
    source *so;
    spec *s = load(&err);

    CHECK(s != NULL);
    if (!s) {
        fprintf(stderr, "%s\n", err.msg);
        return;
    }

    /* a bad value in the data: at the file's line and column, exit 2 */
    so = open_source(s, &reg, "orders", &err);
    CHECK(so != NULL);
    if (so) {
        memset(&err, 0, sizeof err);
        CHECK(source_scan(so, NULL, 0, 0, on_batch, NULL, &err) == -1);
        CHECK(err.code == QUIRE_EXIT_DATA);
        snprintf(want, sizeof want, "%s/orders.csv", dir);
        CHECK_STR(err.file, want);
        CHECK(err.line == 3 && err.col == 14);
        CHECK_CONTAINS(err.msg, "12.x5");
        CHECK_CONTAINS(err.msg, "(column \"amount\") (source \"orders\")");
        snprintf(want, sizeof want, "%s/orders.csv:3:14: error: ", dir);
        CHECK(strncmp(quire_err_format(&err, text, sizeof text), want, strlen(want)) == 0);
        source_close(so);
    }

    /* at a line of the file, with no column */
    memset(&err, 0, sizeof err);
    CHECK(scan_for(s, &reg, "orders", "amont", &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DATA);
    snprintf(want, sizeof want, "%s/orders.csv", dir);
    CHECK_STR(err.file, want);
    CHECK(err.line == 1 && err.col == 0);
    CHECK(strncmp(err.msg, "no column \"amont\" in the header; did you mean \"amount\"?", 53) ==
          0);

    /* a column a source of fixed columns does not have: a configuration
     * error (error_at, no option), so a spec error at the source, exit 1 */
    memset(&err, 0, sizeof err);
    CHECK(scan_for(s, &reg, "numbers", "cube", &err) == -1);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, s->path);
    CHECK(err.line == 13 && err.col == 3);
    CHECK_STR(err.msg, "no column \"cube\"; columns are: n, square, label (source \"numbers\")");

    /* a fault open() finds with the source's options: a spec error at the
     * option the plugin names (error_at), exit 1 */
    memset(&err, 0, sizeof err);
    CHECK(open_source(s, &reg, "odd", &err) == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, s->path);
    CHECK(err.line == 9 && err.col == 6);
    CHECK_STR(err.msg, "the delimiter and the quote must differ and be neither CR nor LF "
                       "(source \"odd\")");

    /* a data file that is not there: a data error naming it, exit 2 */
    memset(&err, 0, sizeof err);
    CHECK(open_source(s, &reg, "gone", &err) == NULL);
    CHECK(err.code == QUIRE_EXIT_DATA);
    snprintf(want, sizeof want, "%s/nowhere.csv", dir);
    CHECK_STR(err.file, want);
    CHECK(err.line == 0);
    CHECK_STR(err.msg, "cannot open: No such file or directory (source \"gone\")");

    /* the host's own checks point at the option, or at the plugin's name */
    memset(&err, 0, sizeof err);
    CHECK(open_source(s, &reg, "typo", &err) == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, s->path);
    CHECK(err.line == 11 && err.col == 24);
    CHECK_STR(err.msg, "unknown option \"pth\"; did you mean \"path\"?");
    memset(&err, 0, sizeof err);
    CHECK(open_source(s, &reg, "other", &err) == NULL);
    CHECK(err.code == QUIRE_EXIT_USAGE);
    CHECK_STR(err.file, s->path);
    CHECK(err.line == 12 && err.col == 20);
    CHECK(strncmp(err.msg, "no plugin named \"cvs\"", 21) == 0);

    spec_free(s);
    plugins_free(&reg);
}

/* The canonical form of records that a source that is not a file is hashed
 * in: columns by name, NAME=VALUE, each type's text, escapes, nulls. */
static void test_canonical(void)
{
    static const quire_column cols[] = {{"note", QUIRE_T_STRING, NULL},
                                        {"amount", QUIRE_T_NUMBER, NULL},
                                        {"id", QUIRE_T_INTEGER, NULL},
                                        {"day", QUIRE_T_DATE, NULL},
                                        {"active", QUIRE_T_BOOLEAN, NULL}};
    quire_cell note[2], amount[2], id[2], day[2], active[2];
    quire_cell *const cells[] = {note, amount, id, day, active};
    quire_batch b;
    strbuf out = {0};

    memset(note, 0, sizeof note);
    memset(amount, 0, sizeof amount);
    memset(id, 0, sizeof id);
    memset(day, 0, sizeof day);
    memset(active, 0, sizeof active);
    note[0].v.s.ptr = "a\tb\\c\nd\re";
    note[0].v.s.len = 9;
    note[1].null = 1;
    amount[0].v.n = 0.1;
    amount[1].v.n = -2.5;
    id[0].v.i = 17850;
    id[1].v.i = -3;
    day[0].v.i = 19814; /* 2024-04-01 */
    day[1].null = 1;
    active[0].v.i = 1;
    active[1].v.i = 0;
    memset(&b, 0, sizeof b);
    b.struct_size = sizeof b;
    b.nrows = 2;
    b.ncols = 5;
    b.columns = cols;
    b.cols = cells;
    source_canonical_rows(&b, &out);
    CHECK_STR(out.s, "active=true\tamount=0.10000000000000001\tday=2024-04-01\tid=17850\t"
                     "note=a\\tb\\\\c\\nd\\re\n"
                     "active=false\tamount=-2.5\tday=\\N\tid=-3\tnote=\\N\n");
    sb_free(&out);
}

/* A source of files (the csv plugin names no origin) leaves no read for the
 * manifest: its files are hashed as inputs instead. */
static void test_file_source_reads(void)
{
    plugin_registry reg = {0};
    quire_error err = {0};
    data_notes notes;
    spec *s = load(&err);
    const spec_source *src;
    source *so;

    data_notes_init(&notes);
    CHECK(s != NULL);
    if (!s)
        return;
    src = spec_find_source(s, "customers");
    so = src ? source_open(s, src, &reg, &notes, &err) : NULL;
    CHECK(so != NULL);
    if (so)
        CHECK(source_scan(so, NULL, 0, 0, on_batch, NULL, &err) == 0);
    CHECK(notes.nreads == 0);
    source_close(so);
    data_notes_free(&notes);
    spec_free(s);
    plugins_free(&reg);
}

/* What a scan of the prepared source delivered. */
typedef struct got {
    uint64_t rows;
    double cubes;
    int64_t last_n;
} got;

static int on_prepared(void *user, const quire_batch *b, quire_error *err)
{
    got *g = user;
    uint32_t r;

    (void)err;
    CHECK(b->ncols == 2 && strcmp(b->columns[1].name, "cube") == 0 &&
          b->columns[1].type == QUIRE_T_NUMBER);
    for (r = 0; r < b->nrows; r++) {
        g->cubes += b->cols[1][r].v.n;
        g->last_n = b->cols[0][r].v.i;
    }
    g->rows += b->nrows;
    return 0;
}

static int on_twice(void *user, const quire_batch *b, quire_error *err)
{
    got *g = user;
    uint32_t r;

    (void)err;
    for (r = 0; r < b->nrows; r++)
        g->last_n = b->cols[1][r].v.i;
    g->rows += b->nrows;
    return 0;
}

/* A source prepared by the host, whatever its plugin (the template makes up
 * n = 1..5 and n = 4..8): a derived column, a condition, distinct values of
 * a column across two parts, the counts as a note, a row limit. */
static void test_prepared(void)
{
    plugin_registry reg = {0};
    quire_error err = {0};
    quire_column proj[2] = {{"n", QUIRE_T_INTEGER, NULL}, {"cube", QUIRE_T_NUMBER, NULL}};
    data_notes notes;
    source *so;
    got g;
    spec *s = load(&err);

    CHECK(s != NULL);
    if (!s)
        return;
    data_notes_init(&notes);
    so = source_open(s, spec_find_source(s, "prepared"), &reg, &notes, &err);
    CHECK(so != NULL);
    if (so) {
        /* 8 fails the condition; 4 and 5 of the second part repeat an n */
        memset(&g, 0, sizeof g);
        CHECK(source_scan(so, proj, 2, 0, on_prepared, &g, &err) == 0);
        CHECK(g.rows == 7 && g.cubes == 784 && g.last_n == 7);
        /* read twice (entities, then facts): one note */
        memset(&g, 0, sizeof g);
        CHECK(source_scan(so, proj, 2, 0, on_prepared, &g, &err) == 0);
        CHECK(g.rows == 7);
        CHECK(notes.n == 1 && notes.nfirst == 1);
        CHECK_STR(notes.n ? notes.v[0] : NULL, "prepared: 10 rows read (5 from part 1, 5 from "
                  "part 2); dropped: 1 small, 2 with the n of an earlier row; 7 kept.");
        /* at most 3 rows: the host stops the plugin there */
        memset(&g, 0, sizeof g);
        CHECK(source_scan(so, proj, 2, 3, on_prepared, &g, &err) == 0);
        CHECK(g.rows == 3 && g.cubes == 36 && err.code == 0);
        source_close(so);
    }
    /* a source that only derives drops nothing: no note */
    data_notes_free(&notes);
    data_notes_init(&notes);
    so = source_open(s, spec_find_source(s, "twice"), &reg, &notes, &err);
    CHECK(so != NULL);
    memset(&g, 0, sizeof g);
    if (so) {
        proj[1].name = "twice";
        proj[1].type = QUIRE_T_INTEGER;
        CHECK(source_scan(so, proj, 2, 0, on_twice, &g, &err) == 0);
        CHECK(g.rows == 10 && g.last_n == 20);
        CHECK(notes.n == 0);
        source_close(so);
    }
    data_notes_free(&notes);
    spec_free(s);
    plugins_free(&reg);
}

int main(void)
{
    if (fixture_open("quire-source")) {
        CHECK(0);
        return check_done("source");
    }
    fixture_put("r.yaml", spec_text);
    fixture_put("customers.csv", "id\n1\n2\n");
    fixture_put("orders.csv", "id,day,amount\n1,2024-02-01,10\n2,2024-02-03,12.x5\n");
    fixture_put("rule.lua", "return function(c) return \"A\" end\n");
    fixture_put("count.lua", "return { value = function(s) return s.n end }\n");
    test_errors();
    test_canonical();
    test_file_source_reads();
    test_prepared();
    fixture_close();
    return check_done("source");
}
