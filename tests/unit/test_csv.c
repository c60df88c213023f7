/*
 * test_csv.c - the CSV tokenizer against the public conformance cases, and
 * the csv plugin through its real shared object.
 *
 * Run from the repository root. CSV_CONFORMANCE_DIR overrides where the
 * cases are (default tests/fixtures/csv-conformance, copied from the public
 * suites); PLUGIN_DIR overrides the folder holding csv.so (default plugins).
 */
#include <dirent.h>
#include <dlfcn.h>
#include <errno.h>
#include <jansson.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../../plugins/csv/csv_parse.h"
#include "check.h"
#include "quire/plugin.h"

/* ---------------------------------------------------------------- helpers */

typedef struct buf {
    char *s;
    size_t n, cap;
} buf;

static void put(buf *b, const void *p, size_t n)
{
    if (b->n + n + 1 > b->cap) {
        b->cap = (b->n + n + 1) * 2;
        b->s = realloc(b->s, b->cap);
        if (!b->s)
            abort();
    }
    memcpy(b->s + b->n, p, n);
    b->n += n;
    b->s[b->n] = '\0';
}

static void putf(buf *b, const char *fmt, ...)
{
    char tmp[512];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    put(b, tmp, (size_t)n < sizeof tmp ? (size_t)n : sizeof tmp - 1);
}

/* A field as readable text: ["a","b\n"] with bytes outside ASCII escaped. */
static void put_field(buf *b, const char *p, size_t n)
{
    size_t i;

    put(b, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)p[i];
        if (c == '"' || c == '\\')
            putf(b, "\\%c", c);
        else if (c < 0x20 || c >= 0x7f)
            putf(b, "\\x%02x", c);
        else
            put(b, &p[i], 1);
    }
    put(b, "\"", 1);
}

static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    buf b = {0};
    char tmp[4096];
    size_t k;

    if (!f)
        return NULL;
    put(&b, "", 0);
    while ((k = fread(tmp, 1, sizeof tmp, f)) > 0)
        put(&b, tmp, k);
    fclose(f);
    *n = b.n;
    return b.s;
}

/*
 * Tokenize data, feeding it `feed` bytes at a time (0: all at once) into a
 * reader whose buffer starts at `chunk` bytes. Returns the records as text;
 * *lines gets "line:col" of every field when not NULL.
 */
static char *tokenize(const char *data, size_t n, char delim, char quote, size_t feed,
                      size_t chunk, buf *lines, int *open_quote)
{
    csv_reader *r = csv_new(delim, quote, chunk, NULL);
    csv_record rec;
    buf out = {0};
    size_t off = 0;
    uint32_t i;
    int k;

    put(&out, "[", 1);
    if (open_quote)
        *open_quote = 0;
    for (;;) {
        k = csv_next(r, &rec);
        if (k == CSV_RECORD) {
            if (out.n > 1)
                put(&out, ",", 1);
            put(&out, "[", 1);
            for (i = 0; i < rec.nfields; i++) {
                if (i)
                    put(&out, ",", 1);
                put_field(&out, rec.fields[i].ptr, rec.fields[i].len);
                if (lines)
                    putf(lines, "%s%llu:%u", i ? " " : (lines->n ? "|" : ""),
                         (unsigned long long)(rec.line + rec.fields[i].dline), rec.fields[i].col);
            }
            put(&out, "]", 1);
            if (open_quote && rec.open_quote)
                *open_quote = 1;
        } else if (k == CSV_MORE) {
            size_t take = feed && feed < n - off ? feed : n - off;
            if (off == n)
                csv_finish(r);
            else if (csv_feed(r, data + off, take) != 0)
                break;
            off += take;
        } else {
            if (k == CSV_ERROR)
                putf(&out, "ERROR %s", csv_error(r));
            break;
        }
    }
    put(&out, "]", 1);
    csv_free(r);
    return out.s;
}

static char *expected_text(json_t *records)
{
    buf out = {0};
    size_t i, j;

    put(&out, "[", 1);
    for (i = 0; i < json_array_size(records); i++) {
        json_t *rec = json_array_get(records, i);
        put(&out, i ? ",[" : "[", i ? 2 : 1);
        for (j = 0; j < json_array_size(rec); j++) {
            json_t *f = json_array_get(rec, j);
            if (j)
                put(&out, ",", 1);
            put_field(&out, json_string_value(f) ? json_string_value(f) : "",
                      json_string_length(f));
        }
        put(&out, "]", 1);
    }
    put(&out, "]", 1);
    return out.s;
}

/* ---------------------------------------------------------------- conformance */

/* Options we support: the defaults, or only a delimiter. Returns 1 and sets
 * *delim when the case is ours. */
static int supported(json_t *doc, char *delim)
{
    json_t *cfg = json_object_get(doc, "reader_config");
    const char *k;
    json_t *v;

    *delim = ',';
    if (!cfg || json_is_null(cfg))
        return 1;
    if (json_is_string(cfg))
        return strncmp(json_string_value(cfg), "excel dialect defaults", 22) == 0;
    if (!json_is_object(cfg))
        return 0;
    json_object_foreach(cfg, k, v) {
        if (strcmp(k, "delimiter") != 0 || !json_is_string(v) || json_string_length(v) != 1)
            return 0;
        *delim = json_string_value(v)[0];
    }
    return 1;
}

static void conformance(void)
{
    const char *root = getenv("CSV_CONFORMANCE_DIR");
    static const char *const suites[] = {"csv-spectrum", "cpython-test_csv"};
    static const size_t feeds[] = {0, 1, 2, 3, 7};
    int ran = 0, skipped = 0;
    size_t s;

    if (!root)
        root = "tests/fixtures/csv-conformance";
    for (s = 0; s < sizeof suites / sizeof *suites; s++) {
        char dirpath[1024];
        DIR *d;
        struct dirent *e;
        snprintf(dirpath, sizeof dirpath, "%s/%s", root, suites[s]);
        d = opendir(dirpath);
        if (!d) {
            fprintf(stderr, "conformance: cannot open %s: %s\n", dirpath, strerror(errno));
            CHECK(!"conformance folder present");
            continue;
        }
        while ((e = readdir(d)) != NULL) {
            char jpath[1400], cpath[1400], name[256], delim;
            size_t l = strlen(e->d_name), n, f;
            json_error_t jerr;
            json_t *doc;
            char *data, *want;
            if (l < 6 || strcmp(e->d_name + l - 5, ".json") != 0 || l - 5 >= sizeof name)
                continue;
            memcpy(name, e->d_name, l - 5);
            name[l - 5] = '\0';
            snprintf(jpath, sizeof jpath, "%s/%s.json", dirpath, name);
            snprintf(cpath, sizeof cpath, "%s/%s.csv", dirpath, name);
            doc = json_load_file(jpath, JSON_ALLOW_NUL, &jerr);
            if (!doc) {
                fprintf(stderr, "%s: %s\n", jpath, jerr.text);
                CHECK(!"conformance case loads");
                continue;
            }
            /* upstream's expected output does not match its CSV (README) */
            if ((strcmp(suites[s], "csv-spectrum") == 0 &&
                 strcmp(name, "location_coordinates") == 0) ||
                !supported(doc, &delim)) {
                skipped++;
                json_decref(doc);
                continue;
            }
            data = slurp(cpath, &n);
            if (!data) {
                fprintf(stderr, "%s: cannot read\n", cpath);
                CHECK(!"conformance csv readable");
                json_decref(doc);
                continue;
            }
            want = expected_text(json_object_get(doc, "expected_records"));
            for (f = 0; f < sizeof feeds / sizeof *feeds; f++) {
                char *got = tokenize(data, n, delim, '"', feeds[f], f ? 4 : 0, NULL, NULL);
                if (strcmp(got, want) != 0)
                    fprintf(stderr, "conformance %s/%s (feed %zu):\n  want %s\n  got  %s\n",
                            suites[s], name, feeds[f], want, got);
                CHECK(strcmp(got, want) == 0);
                free(got);
            }
            ran++;
            free(want);
            free(data);
            json_decref(doc);
        }
        closedir(d);
    }
    printf("csv conformance: %d cases ran, %d skipped\n", ran, skipped);
    CHECK(ran > 0);
}

/* ---------------------------------------------------------------- tokenizer */

static void tok(const char *in, size_t n, const char *want, const char *want_pos)
{
    static const size_t feeds[] = {0, 1, 2, 5};
    size_t f;

    for (f = 0; f < sizeof feeds / sizeof *feeds; f++) {
        buf pos = {0};
        char *got = tokenize(in, n, ',', '"', feeds[f], f ? 4 : 0, &pos, NULL);
        CHECK_STR(got, want);
        if (want_pos)
            CHECK_STR(pos.s ? pos.s : "", want_pos);
        free(got);
        free(pos.s);
    }
}

#define TOK(lit, want, pos) tok(lit, sizeof lit - 1, want, pos)

static void tokenizer_rules(void)
{
    int open;
    char *got;

    /* positions: line:col of each field, records separated by | */
    TOK("a,b\n\"x\ny\",z\n\nc,d\r\ne\r\nf", "[[\"a\",\"b\"],[\"x\\x0ay\",\"z\"],[\"c\",\"d\"],"
        "[\"e\"],[\"f\"]]", "1:1 1:3|2:1 3:4|5:1 5:3|6:1|7:1");
    /* BOM skipped at the start only, columns counted after it */
    TOK("\xEF\xBB\xBF" "a,b\n\xEF\xBB\xBF" "c\n", "[[\"a\",\"b\"],[\"\\xef\\xbb\\xbfc\"]]",
        "1:1 1:3|2:1");
    TOK("\xEF\xBB", "[[\"\\xef\\xbb\"]]", NULL);
    /* bare CR, CRLF, CR CR LF (a blank line), LF */
    TOK("a\rb\r\nc\r\r\nd\ne", "[[\"a\"],[\"b\"],[\"c\"],[\"d\"],[\"e\"]]", "1:1|2:1|3:1|5:1|6:1");
    /* CRLF and CR inside quotes are kept, and counted as lines */
    TOK("\"1\r\n2\r3\",x\ny", "[[\"1\\x0d\\x0a2\\x0d3\",\"x\"],[\"y\"]]", "1:1 3:4|4:1");
    /* quotes: doubled, stray, after the closing quote, empty */
    TOK("a\"b,\"c\"\"d\",\"e\"f,\"g\" \"h\",\"\",", "[[\"a\\\"b\",\"c\\\"d\",\"ef\",\"g \\\"h\\\"\","
        "\"\",\"\"]]", "1:1 1:5 1:12 1:17 1:25 1:28");
    /* trailing delimiter, empty fields, whitespace kept */
    TOK(" a , b ,\n,\n", "[[\" a \",\" b \",\"\"],[\"\",\"\"]]", NULL);
    /* NUL is data */
    TOK("a\0b,\"\0\"\n", "[[\"a\\x00b\",\"\\x00\"]]", NULL);
    /* only line ends: no record */
    TOK("\n\r\n\r\n", "[]", NULL);
    /* Plain records go through the 16-byte cut; each of these leaves it at
     * a different place (a quote after a long plain run, a lone CR, a CRLF
     * at a block's edge, the end of the data) and must read the same. */
    TOK("abcdefghijklmnop,qrstuvwxyz0123456789,\nabcdefghijklmnopq\"r,s\n",
        "[[\"abcdefghijklmnop\",\"qrstuvwxyz0123456789\",\"\"],[\"abcdefghijklmnopq\\\"r\",\"s\"]]",
        "1:1 1:18 1:39|2:1 2:21");
    TOK("0123456789abcde\r\n0123456789abcdef,\"q\"\r\n1,2\r3\r\n",
        "[[\"0123456789abcde\"],[\"0123456789abcdef\",\"q\"],[\"1\",\"2\"],[\"3\"]]",
        "1:1|2:1 2:18|3:1 3:3|4:1");
    TOK("a,b\nlast,record,without,a,line,end", "[[\"a\",\"b\"],[\"last\",\"record\","
        "\"without\",\"a\",\"line\",\"end\"]]", "1:1 1:3|2:1 2:6 2:13 2:21 2:23 2:28");

    got = tokenize("a,\"bc", 5, ',', '"', 0, 0, NULL, &open);
    CHECK_STR(got, "[[\"a\",\"bc\"]]");
    CHECK(open == 1);
    free(got);
    got = tokenize("a,\"b\"", 5, ',', '"', 1, 4, NULL, &open);
    CHECK(open == 0);
    free(got);

    /* other delimiters and quotes */
    got = tokenize("a;'b;c';d\n", 10, ';', '\'', 0, 0, NULL, NULL);
    CHECK_STR(got, "[[\"a\",\"b;c\",\"d\"]]");
    free(got);
    got = tokenize("a\t\"b\tc\"\n", 8, '\t', '"', 0, 0, NULL, NULL);
    CHECK_STR(got, "[[\"a\",\"b\\x09c\"]]");
    free(got);
    {
        /* a plain record of 200 fields: more than the fields array first
         * holds, so the cut gives it up to scan(), which grows it */
        char wide[1024], *w = wide;
        int i, nf = 0;
        for (i = 0; i < 200; i++)
            w += sprintf(w, "%s%d", i ? "," : "", i);
        *w++ = '\n';
        w += sprintf(w, "x,y\n");
        got = tokenize(wide, (size_t)(w - wide), ',', '"', 0, 0, NULL, NULL);
        CHECK(strncmp(got, "[[\"0\",\"1\",", 10) == 0);
        CHECK(strstr(got, ",\"199\"],[\"x\",\"y\"]]") != NULL);
        for (w = got; (w = strchr(w, ',')) != NULL; w++)
            nf++;
        CHECK(nf == 199 + 1 + 1);
        free(got);
    }
    CHECK(csv_new(',', ',', 0, NULL) == NULL);
    CHECK(csv_new('\n', '"', 0, NULL) == NULL);
}

/* A pseudo-random CSV with every kind of field, parsed whole and in random
 * pieces through a tiny buffer: both must agree. */
static void tokenizer_pieces(void)
{
    buf in = {0};
    uint32_t seed = 12345;
    int rec, fld;
    char *whole, *part;
    size_t off;

#define RND() (seed = seed * 1103515245u + 12345u, (seed >> 16) & 0x7fff)
    for (rec = 0; rec < 3000; rec++) {
        int nf = 1 + (int)(RND() % 6);
        for (fld = 0; fld < nf; fld++) {
            int kind = (int)(RND() % 8), len = (int)(RND() % 12), i;
            if (fld)
                put(&in, ",", 1);
            if (kind == 0) {
                put(&in, "\"", 1);
                for (i = 0; i < len; i++) {
                    const char *t = (RND() % 4) ? "q" : (RND() % 2) ? "\"\"" : "\r\n";
                    put(&in, t, strlen(t));
                }
                put(&in, "\"", 1);
            } else if (kind == 1) {
                put(&in, "\"a,\nb\"\"\"tail", 12);
            } else {
                for (i = 0; i < len; i++) {
                    char c = (char)('0' + RND() % 10);
                    put(&in, &c, 1);
                }
            }
        }
        {
            const char *t = (RND() % 3) == 0 ? "\r\n" : (RND() % 5) == 0 ? "\r" : "\n";
            put(&in, t, strlen(t));
        }
    }
    whole = tokenize(in.s, in.n, ',', '"', 0, 0, NULL, NULL);
    for (off = 0; off < 4; off++) {
        size_t feed = (size_t[]){1, 13, 4096, 70001}[off];
        part = tokenize(in.s, in.n, ',', '"', feed, 4, NULL, NULL);
        CHECK(strcmp(whole, part) == 0);
        free(part);
    }
    CHECK(strstr(whole, "ERROR") == NULL);
    free(whole);
    free(in.s);
#undef RND
}

/*
 * A long quoted field costs one pass however its bytes arrive. Each call
 * that found the record unfinished used to scan it again from its start, so
 * a field of n bytes fed k bytes at a time took n^2/2k steps: this one (16
 * MiB in pieces of 5 bytes, 3.4 million calls) would take hours. The field
 * holds doubled quotes, CRLFs and delimiters, and is followed by a field
 * with a tail after its closing quote, so that every place where a scan can
 * stop is crossed.
 */
static void tokenizer_long_field(void)
{
    const size_t body = (size_t)16 << 20, piece = 5;
    static const char unit[16] = {'a', 'b', '"', '"', ',', 'c', '\r', '\n',
                                  'd', 'e', 'f', 'g', 'h', 'i', 'j', 'k'};
    char *in = malloc(body + 64), *want = malloc(body);
    size_t n = 0, wn = 0, off = 0, i, calls = 0;
    csv_reader *r = csv_new(',', '"', 64, NULL);
    csv_record rec;
    int k, records = 0, ok = 1;
    clock_t t0 = clock();

    if (!in || !want || !r)
        abort();
    memcpy(in, "id,\"", 4);
    n = 4;
    for (i = 0; i < body / sizeof unit; i++) {
        memcpy(in + n, unit, sizeof unit);
        n += sizeof unit;
        memcpy(want + wn, unit, 3); /* ab" : the doubled quote is one */
        memcpy(want + wn + 3, unit + 4, sizeof unit - 4);
        wn += sizeof unit - 1;
    }
    memcpy(in + n, "\",\"q\"t\n2,z\n", 11);
    n += 11;
    for (;;) {
        k = csv_next(r, &rec);
        calls++;
        if (k == CSV_MORE) {
            size_t take = piece < n - off ? piece : n - off;
            if (off == n)
                csv_finish(r);
            else if (csv_feed(r, in + off, take) != 0)
                break;
            off += take;
            continue;
        }
        if (k != CSV_RECORD)
            break;
        records++;
        if (records == 1) {
            ok = rec.nfields == 3 && rec.fields[0].len == 2 && rec.fields[1].len == wn &&
                 memcmp(rec.fields[1].ptr, want, wn) == 0 && rec.fields[2].len == 2 &&
                 memcmp(rec.fields[2].ptr, "qt", 2) == 0 && rec.fields[2].col == 11 &&
                 rec.fields[2].dline == (uint32_t)(body / sizeof unit) && rec.line == 1;
        } else {
            ok = ok && rec.nfields == 2 && rec.line == 2 + body / sizeof unit &&
                 rec.fields[1].len == 1 && rec.fields[1].ptr[0] == 'z';
        }
    }
    CHECK(k == CSV_END);
    CHECK(records == 2 && ok);
    CHECK(calls > n / piece);
    /* Linear: well under a second; the rescans took hours. */
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 20.0);
    csv_free(r);
    free(in);
    free(want);
}

/* ---------------------------------------------------------------- plugin host */

typedef struct tcell {
    int null;
    int64_t i;
    double n;
    char *s;
    uint32_t len;
} tcell;

/* What the test host saw during one scan. */
typedef struct th {
    char err[2048];
    int nerr;
    buf log;
    char names[16][64];
    quire_type types[16];
    uint32_t ncols;
    tcell *cells; /* row-major: cells[r * ncols + c] */
    uint64_t *lines;
    size_t nrows, cap;
    int nbatches, bad_batch;
    uint32_t max_batch;
    int stop_after; /* emit returns 7 after this many batches (0: never) */
    /* what error_at() was told (an ABI 1.2 host) */
    uint32_t kind;
    char option[32], file[256];
    uint64_t line;
    uint32_t col;
} th;

static void th_reset(th *h)
{
    size_t i;

    for (i = 0; i < h->nrows * h->ncols; i++)
        free(h->cells[i].s);
    free(h->cells);
    free(h->lines);
    free(h->log.s);
    memset(h, 0, sizeof *h);
}

static void h_log(void *hctx, int level, const char *fmt, ...)
{
    th *h = hctx;
    char tmp[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    putf(&h->log, "%d %s\n", level, tmp);
}

static void h_error(void *hctx, const char *fmt, ...)
{
    th *h = hctx;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(h->err, sizeof h->err, fmt, ap);
    va_end(ap);
    h->nerr++;
}

static void h_error_at(void *hctx, const quire_error_info *w, const char *fmt, ...)
{
    th *h = hctx;
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(h->err, sizeof h->err, fmt, ap);
    va_end(ap);
    h->nerr++;
    h->kind = w->kind;
    snprintf(h->option, sizeof h->option, "%s", w->option ? w->option : "");
    snprintf(h->file, sizeof h->file, "%s", w->file ? w->file : "");
    h->line = w->line;
    h->col = w->col;
}

static int h_emit(void *hctx, const quire_batch *b)
{
    th *h = hctx;
    uint32_t c, r;

    h->nbatches++;
    if (b->struct_size < sizeof *b || b->ncols > 16 || !b->nrows || !b->record_no ||
        b->first_record != b->record_no[0])
        h->bad_batch = 1;
    if (b->nrows > h->max_batch)
        h->max_batch = b->nrows;
    h->ncols = b->ncols;
    for (c = 0; c < b->ncols && c < 16; c++) {
        snprintf(h->names[c], sizeof h->names[c], "%s", b->columns[c].name);
        h->types[c] = b->columns[c].type;
    }
    if (h->nrows + b->nrows > h->cap) {
        h->cap = (h->nrows + b->nrows) * 2;
        h->cells = realloc(h->cells, h->cap * (b->ncols ? b->ncols : 1) * sizeof *h->cells);
        h->lines = realloc(h->lines, h->cap * sizeof *h->lines);
    }
    for (r = 0; r < b->nrows; r++) {
        h->lines[h->nrows] = b->record_no[r];
        for (c = 0; c < b->ncols; c++) {
            const quire_cell *x = &b->cols[c][r];
            tcell *t = &h->cells[h->nrows * b->ncols + c];
            memset(t, 0, sizeof *t);
            t->null = x->null;
            if (x->null)
                continue;
            if (b->columns[c].type == QUIRE_T_STRING) {
                t->s = malloc(x->v.s.len + 1);
                memcpy(t->s, x->v.s.ptr, x->v.s.len);
                t->s[x->v.s.len] = '\0';
                t->len = x->v.s.len;
            } else if (b->columns[c].type == QUIRE_T_NUMBER) {
                t->n = x->v.n;
            } else {
                t->i = x->v.i;
            }
        }
        h->nrows++;
    }
    return h->stop_after && h->nbatches >= h->stop_after ? 7 : 0;
}

static const quire_host host = {
    /* a host of plugin ABI 1.0: it ends before the note function */
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = offsetof(quire_host, note),
    .alloc = malloc, .realloc = realloc, .free = free,
    .log = h_log, .emit = h_emit, .error = h_error,
};

/* A host of ABI 1.2: typed errors. */
static const quire_host host12 = {
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(quire_host),
    .alloc = malloc, .realloc = realloc, .free = free,
    .log = h_log, .emit = h_emit, .error = h_error, .error_at = h_error_at,
};

static const quire_host *use_host = &host; /* the host open_src passes */
static const quire_plugin *plug;

static tcell *cell(th *h, size_t r, uint32_t c)
{
    static tcell none = {1, 0, 0, NULL, 0};
    if (r >= h->nrows || c >= h->ncols)
        return &none;
    return &h->cells[r * h->ncols + c];
}

static char tmp_path[64];

static void write_tmp(const char *data, size_t n)
{
    int fd;

    check_template(tmp_path, sizeof tmp_path, "/tmp/quire-csv-");
    fd = mkstemp(tmp_path);
    if (fd < 0 || write(fd, data, n) != (ssize_t)n) {
        perror("mkstemp/write");
        exit(1);
    }
    close(fd);
}

/* A source's options; NULL fields take the defaults. */
typedef struct opts {
    const char *delimiter, *header, *quote;
    const quire_column *declared;
    uint32_t ndeclared;
    const char *trim;
} opts;

static int open_src(const char *path, const opts *o, th *h, void **state)
{
    const char *values[5];
    quire_source_config cfg;

    values[0] = path;
    values[1] = o && o->delimiter ? o->delimiter : ",";
    values[2] = o && o->header ? o->header : "true";
    values[3] = o && o->quote ? o->quote : "\"";
    values[4] = o && o->trim ? o->trim : "false";
    memset(&cfg, 0, sizeof cfg);
    cfg.struct_size = sizeof cfg;
    cfg.source_name = "orders";
    cfg.spec_path = "test.yaml";
    cfg.option_values = values;
    cfg.declared = o ? o->declared : NULL;
    cfg.ndeclared = o ? o->ndeclared : 0;
    return plug->open(use_host, h, &cfg, state);
}

static int do_scan(void *state, const quire_column *proj, uint32_t nproj, uint64_t max)
{
    quire_scan_request req;

    memset(&req, 0, sizeof req);
    req.struct_size = sizeof req;
    req.projection = proj;
    req.nprojection = nproj;
    req.max_records = max;
    return plug->scan(state, &req);
}

/* Write data to a temporary file, open it, scan once. 0, or which failed. */
static int run(const char *data, size_t n, const opts *o, const quire_column *proj,
               uint32_t nproj, uint64_t max, th *h)
{
    void *state = NULL;
    int rc;

    th_reset(h);
    write_tmp(data, n);
    if (open_src(tmp_path, o, h, &state) != 0) {
        unlink(tmp_path);
        return -1;
    }
    rc = do_scan(state, proj, nproj, max);
    plug->close(state);
    unlink(tmp_path);
    return rc;
}

#define RUN(lit, o, proj, nproj, max, h) run(lit, sizeof lit - 1, o, proj, nproj, max, h)

/* ---------------------------------------------------------------- plugin tests */

static void plugin_descriptor(void)
{
    const quire_option_def *d = plug->options;

    CHECK(QUIRE_ABI_MAJOR_OF(plug->abi_version) == QUIRE_PLUGIN_ABI_MAJOR);
    CHECK(plug->struct_size == sizeof(quire_plugin));
    CHECK_STR(plug->name, "csv");
    CHECK(plug->caps == (QUIRE_CAP_STREAM | QUIRE_CAP_PROJECTION));
    CHECK(d && d[0].name && strcmp(d[0].name, "path") == 0 && d[0].type == QUIRE_OPT_PATH &&
          d[0].required);
    CHECK(d && d[1].name && strcmp(d[1].name, "delimiter") == 0 && d[1].type == QUIRE_OPT_CHAR &&
          d[1].default_value && strcmp(d[1].default_value, ",") == 0);
    CHECK(d && d[2].name && strcmp(d[2].name, "header") == 0 &&
          d[2].type == QUIRE_OPT_BOOLEAN && strcmp(d[2].default_value, "true") == 0);
    CHECK(d && d[3].name && strcmp(d[3].name, "quote") == 0 && d[3].type == QUIRE_OPT_CHAR &&
          strcmp(d[3].default_value, "\"") == 0);
    CHECK(d && d[4].name && strcmp(d[4].name, "trim") == 0 && d[4].type == QUIRE_OPT_BOOLEAN &&
          strcmp(d[4].default_value, "false") == 0);
    CHECK(d && d[5].name == NULL);
}

static const quire_column typed_decl[] = {
    {"id", QUIRE_T_INTEGER, NULL},   {"amount", QUIRE_T_NUMBER, NULL},
    {"day", QUIRE_T_DATE, NULL},     {"month", QUIRE_T_DATE, NULL},
    {"flag", QUIRE_T_BOOLEAN, NULL}, {"dt", QUIRE_T_DATE, "%d/%m/%Y"},
    {"mon", QUIRE_T_DATE, "%d %b %Y"},
};

static void plugin_types(void)
{
    th h = {0};
    opts o = {NULL, NULL, NULL, typed_decl, 7, NULL};
    int rc = RUN("id,amount,day,month,flag,name,dt,mon\n"
                 "1,19.99,2024-03-15,2024-03,true,Alice,15/03/2024,15 Mar 2024\n"
                 "-42,-12.50,1970-01-01T10:00:00,1969-12,NO,\"\",31/12/1999,1 september 2024\n"
                 "9223372036854775807, 1e3 ,2000-02-29,2024-02,1,,29/02/2000,29 FEB 2000\n"
                 ",,,,,\"Bob\",,\n"
                 "\"\",\"\",\"\",\"\",\"\",\"\",\"\",\"\"\n",
                 &o, NULL, 0, 0, &h);

    CHECK(rc == 0);
    CHECK(h.nrows == 5 && h.ncols == 8);
    CHECK_STR(h.names[0], "id");
    CHECK_STR(h.names[5], "name");
    CHECK(h.types[0] == QUIRE_T_INTEGER && h.types[1] == QUIRE_T_NUMBER &&
          h.types[2] == QUIRE_T_DATE && h.types[4] == QUIRE_T_BOOLEAN &&
          h.types[5] == QUIRE_T_STRING);
    CHECK(cell(&h, 0, 0)->i == 1 && cell(&h, 1, 0)->i == -42 && cell(&h, 2, 0)->i == INT64_MAX);
    CHECK(cell(&h, 0, 1)->n == 19.99);
    CHECK(cell(&h, 1, 1)->n == -12.5);
    CHECK(cell(&h, 2, 1)->n == 1000.0);
    CHECK(cell(&h, 0, 2)->i == 19797 && cell(&h, 1, 2)->i == 0 && cell(&h, 2, 2)->i == 11016);
    CHECK(cell(&h, 0, 3)->i == 19783 && cell(&h, 1, 3)->i == -31);
    CHECK(cell(&h, 0, 4)->i == 1 && cell(&h, 1, 4)->i == 0 && cell(&h, 2, 4)->i == 1);
    CHECK(cell(&h, 0, 6)->i == 19797 && cell(&h, 1, 6)->i == 10956 && cell(&h, 2, 6)->i == 11016);
    CHECK(cell(&h, 0, 7)->i == 19797 && cell(&h, 1, 7)->i == 19967 && cell(&h, 2, 7)->i == 11016);
    CHECK_STR(cell(&h, 0, 5)->s, "Alice");
    /* a quoted empty string is a string; an unquoted empty field is null */
    CHECK(!cell(&h, 1, 5)->null && cell(&h, 1, 5)->s && cell(&h, 1, 5)->len == 0);
    CHECK(cell(&h, 2, 5)->null);
    CHECK(cell(&h, 3, 0)->null && cell(&h, 3, 1)->null && cell(&h, 3, 2)->null &&
          cell(&h, 3, 4)->null && cell(&h, 3, 6)->null);
    CHECK_STR(cell(&h, 3, 5)->s, "Bob");
    /* quoted empty is null for every other type */
    CHECK(cell(&h, 4, 0)->null && cell(&h, 4, 1)->null && cell(&h, 4, 2)->null &&
          cell(&h, 4, 4)->null && !cell(&h, 4, 5)->null);
    CHECK(h.lines[0] == 2 && h.lines[4] == 6);
    th_reset(&h);
}

/* Every decimal must be the double strtod gives. */
static void plugin_numbers(void)
{
    static const char *const nums[] = {
        "19.99", "0.1", "0.3", "123456.789", "-0.000001", "1e-5", "3.14159265358979",
        "12345678901234567890", "1.7976931348623157e308", "5e-324", ".5", "5.", "+7",
        "9007199254740993", "0.000000000000000000000000123", "100", "-0", "1E22", "1e23",
        "4.35", "2.675", "99999999999999.99", "0.1e1", "123456789012345678.5"};
    static const quire_column decl[] = {{"x", QUIRE_T_NUMBER, NULL}};
    opts o = {NULL, NULL, NULL, decl, 1, NULL};
    buf in = {0};
    th h = {0};
    size_t i, n = sizeof nums / sizeof *nums;
    int rc;

    put(&in, "x\n", 2);
    for (i = 0; i < n; i++)
        putf(&in, "%s\n", nums[i]);
    rc = run(in.s, in.n, &o, NULL, 0, 0, &h);
    CHECK(rc == 0 && h.nrows == n);
    for (i = 0; i < n && i < h.nrows; i++) {
        double want = strtod(nums[i], NULL);
        if (memcmp(&cell(&h, i, 0)->n, &want, sizeof want) != 0)
            fprintf(stderr, "number %s: got %.17g want %.17g\n", nums[i], cell(&h, i, 0)->n, want);
        CHECK(memcmp(&cell(&h, i, 0)->n, &want, sizeof want) == 0);
    }
    free(in.s);
    th_reset(&h);

    /* Numbers of any length, as strtod reads them (they were refused as out
     * of range past 511 characters): many digits, and many zeros with an
     * exponent that takes them back. */
    {
        static const char *const pi = "14159265358979323846264338327950288419716939937510";
        char *big[3];
        size_t k;
        memset(&in, 0, sizeof in);
        put(&in, "x\n", 2);
        for (k = 0; k < 3; k++) {
            buf b = {0};
            if (k == 0) {
                put(&b, "3.", 2);
                for (i = 0; i < 14; i++)
                    put(&b, pi, strlen(pi));
            } else {
                put(&b, k == 1 ? "1" : "-0.", k == 1 ? 1 : 3);
                for (i = 0; i < 700; i++)
                    put(&b, "0", 1);
                putf(&b, k == 1 ? "e-700" : "25e701");
            }
            big[k] = b.s;
            put(&in, big[k], strlen(big[k]));
            put(&in, "\n", 1);
        }
        rc = run(in.s, in.n, &o, NULL, 0, 0, &h);
        CHECK(rc == 0 && h.nrows == 3);
        for (k = 0; k < 3 && k < h.nrows; k++) {
            double want = strtod(big[k], NULL);
            CHECK(strlen(big[k]) > 700);
            CHECK(memcmp(&cell(&h, k, 0)->n, &want, sizeof want) == 0);
        }
        CHECK(h.nrows == 3 && cell(&h, 1, 0)->n == 1.0 && cell(&h, 2, 0)->n == -2.5);
        for (k = 0; k < 3; k++)
            free(big[k]);
        free(in.s);
        th_reset(&h);
    }
}

/*
 * The plugin's own number parser (no strtod for plain integers and fixed
 * decimals) against strtod, bit for bit, over two million strings: random
 * integers and decimals of every length up to 22 digits, signs, leading and
 * trailing zeros, exponents, values around 2^53 and 10^22 where the fast
 * path must hand over to strtod, and the halfway cases between doubles.
 */
static void plugin_numbers_random(void)
{
    static const quire_column decl[] = {{"x", QUIRE_T_NUMBER, NULL}};
    static const char *const edge[] = {
        "9007199254740992", "9007199254740993", "9007199254740991.5", "900719925474099.3",
        "-9007199254740993", "18014398509481985", "1e22", "1e-22", "123456789e22",
        "4503599627370496.5", "4503599627370497.5", "0.1", "0.2", "0.30000000000000004",
        "1.0000000000000002", "2.2250738585072014e-308", "0.000", "-0.0", "00012.340",
        "9999999999999999999", "99999999999999999999", "1234567890123456789.0",
        "0.0000000000000000000001", "7.038531e-26", "1.5", "8.25",
        "1090544144181609348835077142190",
        "17976931348623157e292", "4.9406564584124654e-324"};
    const size_t per = 250000, rounds = 8;
    opts o = {NULL, NULL, NULL, decl, 1, NULL};
    uint64_t seed = 88172645463325252ull;
    size_t r, i, bad = 0, total = 0;
    th h = {0};

#define NEXT() (seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17, seed)
    for (r = 0; r < rounds; r++) {
        buf in = {0}, txt = {0};
        size_t *at = malloc(per * sizeof *at), nrows = 0;
        int rc;
        if (!at)
            abort();
        put(&in, "x\n", 2);
        put(&txt, "", 0);
        for (i = 0; i < per; i++) {
            char s[64];
            size_t n = 0;
            uint64_t v = NEXT();
            int form = (int)(v % 16), digits = 1 + (int)((v >> 8) % 22), frac, k;
            if (r == 0 && i < sizeof edge / sizeof *edge) {
                at[nrows++] = txt.n;
                put(&txt, edge[i], strlen(edge[i]) + 1);
                put(&in, edge[i], strlen(edge[i]));
                put(&in, "\n", 1);
                continue;
            }
            if ((v >> 16) % 4 == 0)
                s[n++] = (v >> 20) % 2 ? '-' : '+';
            if (form < 6) { /* an integer */
                for (k = 0; k < digits; k++)
                    s[n++] = (char)('0' + NEXT() % 10);
            } else if (form < 13) { /* a fixed decimal, cents most often */
                frac = form < 10 ? 2 : 1 + (int)(NEXT() % 12);
                if (digits <= frac)
                    digits = frac + 1;
                for (k = 0; k < digits - frac; k++)
                    s[n++] = (char)('0' + NEXT() % 10);
                s[n++] = '.';
                for (k = 0; k < frac; k++)
                    s[n++] = (char)('0' + NEXT() % 10);
            } else if (form == 13) { /* no integer part, or no fraction */
                if (NEXT() % 2) {
                    s[n++] = '.';
                    for (k = 0; k < digits; k++)
                        s[n++] = (char)('0' + NEXT() % 10);
                } else {
                    for (k = 0; k < digits; k++)
                        s[n++] = (char)('0' + NEXT() % 10);
                    s[n++] = '.';
                }
            } else if (form == 14) { /* an exponent */
                for (k = 0; k < digits; k++)
                    s[n++] = (char)('0' + NEXT() % 10);
                if (digits > 1 && NEXT() % 2)
                    s[n++] = '.', s[n++] = (char)('0' + NEXT() % 10);
                n += (size_t)snprintf(s + n, sizeof s - n, "e%d", (int)(NEXT() % 80) - 40);
            } else { /* near 2^53: integers and halves */
                uint64_t m = ((uint64_t)1 << 53) - 8 + NEXT() % 16;
                m <<= NEXT() % 3;
                n += (size_t)snprintf(s + n, sizeof s - n, "%llu%s", (unsigned long long)m,
                                      NEXT() % 2 ? ".5" : "");
            }
            s[n] = '\0';
            at[nrows++] = txt.n;
            put(&txt, s, n + 1);
            put(&in, s, n);
            put(&in, "\n", 1);
        }
        rc = run(in.s, in.n, &o, NULL, 0, 0, &h);
        if (rc != 0)
            fprintf(stderr, "numbers: %s\n", h.err);
        CHECK(rc == 0 && h.nrows == nrows);
        for (i = 0; i < nrows && i < h.nrows; i++) {
            const char *str = txt.s + at[i];
            double want = strtod(str, NULL);
            total++;
            if (memcmp(&cell(&h, i, 0)->n, &want, sizeof want) != 0) {
                if (bad++ < 10)
                    fprintf(stderr, "number %s: got %.17g want %.17g\n", str, cell(&h, i, 0)->n,
                            want);
            }
        }
        th_reset(&h);
        free(in.s);
        free(txt.s);
        free(at);
    }
    CHECK(bad == 0);
    CHECK(total == per * rounds);
#undef NEXT
}

static void plugin_projection(void)
{
    static const quire_column proj[] = {{"amount", QUIRE_T_NUMBER, NULL},
                                        {"id", QUIRE_T_INTEGER, NULL}};
    static const quire_column fmt_proj[] = {{"dt", QUIRE_T_DATE, NULL}};
    th h = {0};
    opts o = {NULL, NULL, NULL, typed_decl, 7, NULL};
    /* "note" is garbage for every type but is not asked for */
    int rc = RUN("id,note,amount,dt\n7,x!,1.25,02/01/1970\n8,y?,2.5,03/01/1970\n", &o, proj, 2, 0,
                 &h);

    CHECK(rc == 0 && h.nrows == 2 && h.ncols == 2);
    CHECK_STR(h.names[0], "amount");
    CHECK_STR(h.names[1], "id");
    CHECK(h.types[0] == QUIRE_T_NUMBER && h.types[1] == QUIRE_T_INTEGER);
    CHECK(cell(&h, 0, 0)->n == 1.25 && cell(&h, 0, 1)->i == 7);
    CHECK(cell(&h, 1, 0)->n == 2.5 && cell(&h, 1, 1)->i == 8);
    /* a projected date without a format takes the declared one */
    rc = RUN("id,note,amount,dt\n7,x!,1.25,02/01/1970\n", &o, fmt_proj, 1, 0, &h);
    CHECK(rc == 0 && h.nrows == 1 && cell(&h, 0, 0)->i == 1);
    th_reset(&h);
}

static void plugin_no_header(void)
{
    static const quire_column proj[] = {{"c2", QUIRE_T_STRING, NULL},
                                        {"c1", QUIRE_T_INTEGER, NULL}};
    static const quire_column bad[] = {{"c3", QUIRE_T_STRING, NULL}};
    th h = {0};
    opts o = {NULL, "false", NULL, NULL, 0, NULL};
    int rc = RUN("1,a\n2,b\n", &o, NULL, 0, 0, &h);

    CHECK(rc == 0 && h.nrows == 2 && h.ncols == 2);
    CHECK_STR(h.names[0], "c1");
    CHECK_STR(h.names[1], "c2");
    CHECK_STR(cell(&h, 0, 0)->s, "1");
    CHECK_STR(cell(&h, 1, 1)->s, "b");
    rc = RUN("1,a\n2,b\n", &o, proj, 2, 0, &h);
    CHECK(rc == 0 && h.nrows == 2);
    CHECK_STR(h.names[0], "c2");
    CHECK_STR(cell(&h, 0, 0)->s, "a");
    CHECK(cell(&h, 1, 1)->i == 2);
    CHECK(h.lines[0] == 1);
    rc = RUN("1,a\n2,b\n", &o, bad, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, "no column \"c3\"; without a header the columns are c1 to c2");
    th_reset(&h);
}

static void plugin_dialects(void)
{
    static const quire_column proj[] = {{"id", QUIRE_T_INTEGER, NULL},
                                        {"name", QUIRE_T_STRING, NULL}};
    th h = {0};
    opts semi = {";", NULL, NULL, NULL, 0, NULL};
    opts tab = {"\\t", NULL, "'", NULL, 0, NULL};
    int rc = RUN("id;name\n1;\"a;b\"\n", &semi, proj, 2, 0, &h);

    CHECK(rc == 0 && h.nrows == 1 && cell(&h, 0, 0)->i == 1);
    CHECK_STR(cell(&h, 0, 1)->s, "a;b");
    /* a BOM before the header, CRLF line ends */
    rc = RUN("\xEF\xBB\xBFid,name\r\n1,x\r\n2,\"y\r\nz\"\r\n3,w", NULL, proj, 2, 0, &h);
    CHECK(rc == 0 && h.nrows == 3);
    CHECK(cell(&h, 2, 0)->i == 3);
    CHECK_STR(cell(&h, 1, 1)->s, "y\r\nz");
    CHECK(h.lines[0] == 2 && h.lines[1] == 3 && h.lines[2] == 5);
    rc = RUN("id\tname\n1\t'x\ty'\n", &tab, proj, 2, 0, &h);
    CHECK(rc == 0 && h.nrows == 1);
    CHECK_STR(cell(&h, 0, 1)->s, "x\ty");
    th_reset(&h);
}

static void plugin_errors(void)
{
    static const quire_column amount[] = {{"amount", QUIRE_T_NUMBER, NULL}};
    static const quire_column typo[] = {{"id", QUIRE_T_INTEGER, NULL},
                                        {"amoutn", QUIRE_T_NUMBER, NULL}};
    static const quire_column far[] = {{"zzzzzz", QUIRE_T_NUMBER, NULL}};
    static const quire_column dcol[] = {{"d", QUIRE_T_DATE, NULL}};
    static const quire_column fcol[] = {{"d", QUIRE_T_DATE, "%d/%m/%Y"}};
    static const quire_column icol[] = {{"id", QUIRE_T_INTEGER, NULL}};
    static const quire_column bcol[] = {{"b", QUIRE_T_BOOLEAN, NULL}};
    th h = {0};
    void *state = NULL;
    opts o = {NULL, NULL, NULL, NULL, 0, NULL};
    char want[256];
    int rc;

    /* the line after a quoted newline is counted right */
    rc = RUN("id,note,amount\n1,\"multi\nline\",5\n2,ok,\"12,5x\"\n", NULL, amount, 1, 0, &h);
    CHECK(rc != 0 && h.nerr == 1);
    snprintf(want, sizeof want, "%s:4:6: \"12,5x\" is not a number (column \"amount\")", tmp_path);
    CHECK_STR(h.err, want);
    /* a field on the second line of its record */
    rc = RUN("id,note,amount\n1,\"multi\nline\",5x\n", NULL, amount, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, ":3:7: \"5x\" is not a number (column \"amount\")");

    rc = RUN("id,d\n1,2023-02-29\n", NULL, dcol, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, ":2:3: \"2023-02-29\" is not a valid date: 2023-02 has 28 days "
                          "(column \"d\")");
    rc = RUN("id,d\n1,2023-13-01\n", NULL, dcol, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, "there is no month 13");
    rc = RUN("id,d\n1,15.03.2024\n", NULL, dcol, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, "\"15.03.2024\" is not a date (expected YYYY-MM-DD or YYYY-MM)");
    rc = RUN("id,d\n1,2024-03-15\n", NULL, fcol, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, "does not match the date format \"%d/%m/%Y\"");
    rc = RUN("id,d\n1,31/04/2024\n", NULL, fcol, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, "2024-04 has 30 days");

    rc = RUN("id,amount\n1,2\n", NULL, typo, 2, 0, &h);
    CHECK(rc != 0 && h.nrows == 0);
    snprintf(want, sizeof want, "%s:1: no column \"amoutn\" in the header; did you mean "
             "\"amount\"? columns are: id, amount", tmp_path);
    CHECK_STR(h.err, want);
    rc = RUN("\n\nid,amount\n1,2\n", NULL, far, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, ":3: no column \"zzzzzz\" in the header; columns are: id, amount");
    CHECK(strstr(h.err, "did you mean") == NULL);

    rc = RUN("id\n12x\n", NULL, icol, 1, 0, &h);
    CHECK_CONTAINS(h.err, "\"12x\" is not an integer (column \"id\")");
    rc = RUN("id\n9223372036854775808\n", NULL, icol, 1, 0, &h);
    CHECK_CONTAINS(h.err, "does not fit a 64-bit integer");
    rc = RUN("id\n-9223372036854775808\n", NULL, icol, 1, 0, &h);
    CHECK(rc == 0 && cell(&h, 0, 0)->i == INT64_MIN);
    /* a whole number written as a float ("17850.0") is that integer ... */
    rc = RUN("id\n17850.0\n-3.000\n", NULL, icol, 1, 0, &h);
    CHECK(rc == 0 && h.nrows == 2 && cell(&h, 0, 0)->i == 17850 && cell(&h, 1, 0)->i == -3);
    /* ... but a fraction is not */
    rc = RUN("id\n17850.5\n", NULL, icol, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, ":2:1: \"17850.5\" is not a whole number (column \"id\")");
    rc = RUN("id\n17850.\n", NULL, icol, 1, 0, &h);
    CHECK_CONTAINS(h.err, "\"17850.\" is not an integer");
    rc = RUN("id\n1.0e3\n", NULL, icol, 1, 0, &h);
    CHECK_CONTAINS(h.err, "\"1.0e3\" is not an integer");
    /* trim: text loses the spaces around it; without it, keeps them */
    {
        static const quire_column scol[] = {{"s", QUIRE_T_STRING, NULL}};
        opts trimmed = {NULL, NULL, NULL, NULL, 0, "true"};
        rc = RUN("s\n  RED BAG \t\n   \n", &trimmed, scol, 1, 0, &h);
        CHECK(rc == 0 && h.nrows == 2);
        CHECK(cell(&h, 0, 0)->len == 7 && memcmp(cell(&h, 0, 0)->s, "RED BAG", 7) == 0);
        CHECK(cell(&h, 1, 0)->null);
        rc = RUN("s\n  RED BAG \n", NULL, scol, 1, 0, &h);
        CHECK(rc == 0 && cell(&h, 0, 0)->len == 10);
    }
    rc = RUN("b\nmaybe\n", NULL, bcol, 1, 0, &h);
    CHECK_CONTAINS(h.err, "\"maybe\" is not a boolean");
    /* control bytes are escaped in messages */
    rc = RUN("id\n\"1\n\x01\"\n", NULL, icol, 1, 0, &h);
    CHECK_CONTAINS(h.err, "\"1\\x0a\\x01\" is not an integer");

    /* missing file */
    th_reset(&h);
    rc = open_src("/nonexistent/orders.csv", &o, &h, &state);
    CHECK(rc != 0 && state == NULL);
    CHECK_STR(h.err, "/nonexistent/orders.csv: cannot open: No such file or directory");
    rc = open_src("/tmp", &o, &h, &state);
    CHECK(rc != 0);
    CHECK_STR(h.err, "/tmp: cannot open: Is a directory");
    /* bad options */
    {
        opts same = {"\"", NULL, NULL, NULL, 0, NULL};
        opts longd = {";;", NULL, NULL, NULL, 0, NULL};
        static const quire_column badfmt[] = {{"d", QUIRE_T_DATE, "%d/%q"}};
        opts bf = {NULL, NULL, NULL, badfmt, 1, NULL};
        CHECK(open_src("/dev/null", &same, &h, &state) != 0);
        CHECK_CONTAINS(h.err, "must differ");
        CHECK(open_src("/dev/null", &longd, &h, &state) != 0);
        CHECK_CONTAINS(h.err, "option \"delimiter\" must be one character, not \";;\"");
        CHECK(open_src("/dev/null", &bf, &h, &state) != 0);
        CHECK_CONTAINS(h.err, "column \"d\": date format \"%d/%q\": unsupported conversion");
    }
    /* empty file: nothing with no projection, an error when columns are named */
    rc = RUN("", NULL, NULL, 0, 0, &h);
    CHECK(rc == 0 && h.nrows == 0 && h.nbatches == 0);
    rc = RUN("\n", NULL, icol, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, "the file is empty");
    th_reset(&h);
}

static void plugin_ragged(void)
{
    th h = {0};
    int rc = RUN("a,b,c\n1,2\n1,2,3,4\n5,6,7,8,9\nx\n", NULL, NULL, 0, 0, &h);

    CHECK(rc == 0 && h.nrows == 4 && h.ncols == 3);
    CHECK(cell(&h, 0, 2)->null && !cell(&h, 0, 1)->null);
    CHECK_STR(cell(&h, 1, 2)->s, "3");
    CHECK(cell(&h, 3, 1)->null && cell(&h, 3, 2)->null);
    CHECK_CONTAINS(h.log.s, ":3: 4 fields where the header has 3; extra fields are ignored");
    CHECK(h.log.s && strstr(h.log.s, ":4:") == NULL); /* once per file */

    rc = RUN("a,b\n1,\"open", NULL, NULL, 0, 0, &h);
    CHECK(rc == 0 && h.nrows == 1);
    CHECK_STR(cell(&h, 0, 1)->s, "open");
    CHECK_CONTAINS(h.log.s, ":2:3: this quote is never closed");
    th_reset(&h);
}

/* ~1 MB, larger than the read buffer: fields straddle its boundary, some
 * records span lines; sums, strings and line numbers must all come out. */
static void plugin_big(void)
{
    static const quire_column decl[] = {{"id", QUIRE_T_INTEGER, NULL},
                                        {"amount", QUIRE_T_NUMBER, NULL},
                                        {"day", QUIRE_T_DATE, NULL}};
    static const quire_column proj[] = {{"name", QUIRE_T_STRING, NULL},
                                        {"id", QUIRE_T_INTEGER, NULL},
                                        {"amount", QUIRE_T_NUMBER, NULL},
                                        {"day", QUIRE_T_DATE, NULL}};
    opts o = {NULL, NULL, NULL, decl, 3, NULL};
    buf in = {0};
    th h = {0};
    uint64_t line = 2, *lines;
    long long cents = 0, got_cents = 0, ids = 0, got_ids = 0;
    size_t i, n = 34000, bad_names = 0, bad_lines = 0;
    int rc;

    lines = malloc(n * sizeof *lines);
    put(&in, "id,name,amount,day\n", 19);
    for (i = 0; i < n; i++) {
        long long c = (long long)((i * 7919) % 100000);
        lines[i] = line;
        if (i % 1000 == 999) {
            putf(&in, "%zu,\"name %zu, \"\"multi\"\"\nline\",%lld.%02lld,2024-%02zu-%02zu\n", i,
                 i, c / 100, c % 100, i % 12 + 1, i % 28 + 1);
            line += 2;
        } else {
            putf(&in, "%zu,name %zu,%lld.%02lld,2024-%02zu-%02zu\n", i, i, c / 100, c % 100,
                 i % 12 + 1, i % 28 + 1);
            line++;
        }
        cents += c;
        ids += (long long)i;
    }
    CHECK(in.n > 900000);
    rc = run(in.s, in.n, &o, proj, 4, 0, &h);
    CHECK(rc == 0 && h.nrows == n && !h.bad_batch);
    CHECK(h.max_batch <= 4096 && h.nbatches > 1);
    for (i = 0; i < h.nrows; i++) {
        char want[64];
        got_ids += cell(&h, i, 1)->i;
        got_cents += (long long)(cell(&h, i, 2)->n * 100 + 0.5);
        if (i % 1000 == 999)
            snprintf(want, sizeof want, "name %zu, \"multi\"\nline", i);
        else
            snprintf(want, sizeof want, "name %zu", i);
        bad_names += !cell(&h, i, 0)->s || strcmp(cell(&h, i, 0)->s, want) != 0;
        bad_lines += h.lines[i] != lines[i];
    }
    CHECK(got_ids == ids);
    CHECK(got_cents == cents);
    CHECK(bad_names == 0);
    CHECK(bad_lines == 0);
    CHECK(cell(&h, 0, 3)->i == 19723 && cell(&h, 1, 3)->i == 19755); /* 2024-01-01, 02-02 */

    /* the same file scanned twice through one state, then with a limit */
    {
        void *state = NULL;
        size_t first;
        th_reset(&h);
        write_tmp(in.s, in.n);
        CHECK(open_src(tmp_path, &o, &h, &state) == 0);
        CHECK(do_scan(state, proj, 4, 0) == 0);
        first = h.nrows;
        got_ids = 0;
        for (i = 0; i < h.nrows; i++)
            got_ids += cell(&h, i, 1)->i;
        CHECK(do_scan(state, proj, 4, 0) == 0);
        CHECK(first == n && h.nrows == 2 * n);
        for (i = n; i < h.nrows; i++)
            got_ids -= cell(&h, i, 1)->i;
        CHECK(got_ids == 0);
        CHECK_STR(cell(&h, 2 * n - 1, 0)->s, cell(&h, n - 1, 0)->s);
        th_reset(&h);
        CHECK(do_scan(state, proj, 4, 5000) == 0);
        CHECK(h.nrows == 5000 && cell(&h, 4999, 1)->i == 4999);
        /* emit asking to stop: scan returns its value at once */
        th_reset(&h);
        h.stop_after = 2;
        CHECK(do_scan(state, proj, 4, 0) == 7);
        CHECK(h.nbatches == 2);
        plug->close(state);
        unlink(tmp_path);
    }
    free(lines);
    free(in.s);
    th_reset(&h);
}

static void plugin_limits(void)
{
    static const quire_column none[1] = {{"a", QUIRE_T_STRING, NULL}};
    th h = {0};
    opts nohdr = {NULL, "false", NULL, NULL, 0, NULL};
    int rc = RUN("a\n1\n2\n3\n4\n", NULL, NULL, 0, 3, &h);

    CHECK(rc == 0 && h.nrows == 3);
    CHECK_STR(cell(&h, 2, 0)->s, "3");
    rc = RUN("1\n2\n3\n4\n", &nohdr, NULL, 0, 2, &h);
    CHECK(rc == 0 && h.nrows == 2);
    CHECK_STR(cell(&h, 0, 0)->s, "1");
    /* a projection of no columns still counts rows */
    rc = RUN("a\n1\n2\n", NULL, none, 0, 0, &h);
    CHECK(rc == 0 && h.nrows == 2 && h.ncols == 0);
    th_reset(&h);
}

/* Under an ABI 1.2 host: each error's kind and place as fields. */
static void plugin_typed_errors(void)
{
    static const quire_column amount[] = {{"amount", QUIRE_T_NUMBER, NULL}};
    static const quire_column fcol[] = {{"d", QUIRE_T_DATE, "%d/%q"}};
    th h = {0};
    void *state = NULL;
    opts same = {";", NULL, ";", NULL, 0, NULL};
    int rc;

    use_host = &host12;
    rc = RUN("id,note,amount\n1,\"multi\nline\",5\n2,ok,\"12,5x\"\n", NULL, amount, 1, 0, &h);
    CHECK(rc != 0 && h.nerr == 1 && h.kind == QUIRE_ERROR_DATA);
    CHECK_STR(h.file, tmp_path);
    CHECK(h.line == 4 && h.col == 6);
    CHECK_STR(h.err, "\"12,5x\" is not a number (column \"amount\")");
    rc = RUN("id,amount\n1,2\n", NULL, NULL, 0, 0, &h);
    CHECK(rc == 0);
    /* the spec's date format: a configuration error */
    rc = RUN("id,d\n1,2\n", NULL, fcol, 1, 0, &h);
    CHECK(rc != 0 && h.kind == QUIRE_ERROR_CONFIG);
    CHECK_CONTAINS(h.err, "column \"d\": date format \"%d/%q\"");
    /* the delimiter and the quote alike: the option at fault */
    th_reset(&h);
    CHECK(open_src("/nonexistent", &same, &h, &state) != 0 && state == NULL);
    CHECK(h.kind == QUIRE_ERROR_CONFIG);
    CHECK_STR(h.option, "delimiter");
    /* a file that is not there: an I/O error naming it */
    th_reset(&h);
    CHECK(open_src("/nonexistent/x.csv", NULL, &h, &state) != 0 && state == NULL);
    CHECK(h.kind == QUIRE_ERROR_IO);
    CHECK_STR(h.file, "/nonexistent/x.csv");
    CHECK_STR(h.err, "cannot open: No such file or directory");
    th_reset(&h);
    use_host = &host;
}

/* Typed values with spaces or tabs around them: parsed as they lie first,
 * then trimmed when that fails; only spaces is null, a bad value still an
 * error naming the field as written. */
static void plugin_padded(void)
{
    static const quire_column decl[] = {{"id", QUIRE_T_INTEGER, NULL},
                                        {"amount", QUIRE_T_NUMBER, NULL}};
    th h = {0};
    opts o = {NULL, NULL, NULL, decl, 2, NULL};
    int rc = RUN("id,amount\n 42 ,\t-7.25\n7\t, 0.1\n  ,   \n\t8.0,3 \n", &o, NULL, 0, 0, &h);

    CHECK(rc == 0 && h.nrows == 4);
    CHECK(cell(&h, 0, 0)->i == 42 && cell(&h, 0, 1)->n == -7.25);
    CHECK(cell(&h, 1, 0)->i == 7 && cell(&h, 1, 1)->n == 0.1);
    CHECK(cell(&h, 2, 0)->null && cell(&h, 2, 1)->null);
    CHECK(cell(&h, 3, 0)->i == 8 && cell(&h, 3, 1)->n == 3.0);
    th_reset(&h);
    use_host = &host12;
    rc = RUN("id,amount\n1, 2.5 x\n", &o, NULL, 0, 0, &h);
    CHECK(rc != 0 && h.nerr == 1);
    CHECK_CONTAINS(h.err, "is not a number (column \"amount\")");
    rc = RUN("id,amount\n 1.5 ,2\n", &o, NULL, 0, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, "(column \"id\")");
    th_reset(&h);
    use_host = &host;
}

/* A NUL byte anywhere is refused at its field: the host reads keys as C
 * strings, so "A\0x" and "A\0y" would both become "A" and merge. */
static void plugin_nul(void)
{
    static const char keys[] = "id,amount\nA\0x,1\nA\0y,2\n";
    static const char head[] = "id,am\0ount\n1,2\n";
    static const char quoted[] = "id,note,amount\n1,\"two\nli\0nes\",3\n";
    static const char late[] = "id,amount\n1,2\n3,4\n5,\0\n";
    static const quire_column id[] = {{"id", QUIRE_T_STRING, NULL}};
    th h = {0};
    int rc;

    use_host = &host12;
    rc = run(keys, sizeof keys - 1, NULL, id, 1, 0, &h);
    CHECK(rc != 0 && h.nerr == 1 && h.kind == QUIRE_ERROR_DATA && h.nrows == 0);
    CHECK_STR(h.file, tmp_path);
    CHECK(h.line == 2 && h.col == 1);
    CHECK_STR(h.err, "a NUL byte in field 1 (column \"id\"): CSV text cannot hold NUL bytes "
                     "(is the file binary, or UTF-16?)");
    rc = run(head, sizeof head - 1, NULL, NULL, 0, 0, &h);
    CHECK(rc != 0 && h.line == 1 && h.col == 4);
    CHECK_CONTAINS(h.err, "a NUL byte in field 2: ");
    /* inside a quoted field that spans lines: the field's own line */
    rc = run(quoted, sizeof quoted - 1, NULL, id, 1, 0, &h);
    CHECK(rc != 0 && h.line == 2 && h.col == 3);
    CHECK_CONTAINS(h.err, "field 2 (column \"note\")");
    /* in a column the scan does not read: refused all the same */
    rc = run(late, sizeof late - 1, NULL, id, 1, 0, &h);
    CHECK(rc != 0 && h.line == 4 && h.col == 3);
    CHECK_CONTAINS(h.err, "field 2 (column \"amount\")");
    /* an older host gets the place in the message */
    use_host = &host;
    rc = run(keys, sizeof keys - 1, NULL, id, 1, 0, &h);
    CHECK(rc != 0);
    CHECK_CONTAINS(h.err, ":2:1: a NUL byte in field 1");
    th_reset(&h);
}

static void plugin_tests(void)
{
    const char *dir = getenv("PLUGIN_DIR");
    char path[1024];
    void *so;
    quire_plugin_entry_fn entry;

    snprintf(path, sizeof path, "%s/csv.so", dir ? dir : "plugins");
    so = dlopen(path, RTLD_NOW | RTLD_LOCAL);
    if (!so) {
        fprintf(stderr, "dlopen %s: %s\n", path, dlerror());
        CHECK(!"csv.so loads");
        return;
    }
    *(void **)&entry = dlsym(so, QUIRE_PLUGIN_ENTRY_NAME);
    CHECK(entry != NULL);
    if (!entry)
        return;
    plug = entry();
    plugin_descriptor();
    plugin_types();
    plugin_numbers();
    plugin_numbers_random();
    plugin_projection();
    plugin_no_header();
    plugin_dialects();
    plugin_errors();
    plugin_typed_errors();
    plugin_padded();
    plugin_nul();
    plugin_ragged();
    plugin_big();
    plugin_limits();
    dlclose(so);
}

int main(void)
{
    conformance();
    tokenizer_rules();
    tokenizer_pieces();
    tokenizer_long_field();
    plugin_tests();
    return check_done("csv");
}
