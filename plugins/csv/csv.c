/*
 * csv.c - the csv plugin: a CSV file as a Quire source.
 *
 * The tokenizer (csv_parse.c) finds records; this file maps header names to
 * field positions, converts the fields the host asked for to their declared
 * types, and hands them over in column-major batches. The user-facing rules
 * are in docs/plugins/csv.md.
 *
 * Memory stays flat: one read buffer (csv_parse), one batch of cells, the
 * header's names. String cells point into the read buffer, so a batch holding
 * strings is emitted before the buffer is refilled.
 */
#include <errno.h>
#include <fcntl.h>
#include <locale.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv_parse.h"
#include "quire/plugin.h"

#ifndef QUIRE_VERSION
#define QUIRE_VERSION "0.1.0"
#endif

#define BATCH_ROWS 4096
#define BATCH_BYTES ((size_t)4 << 20) /* cap on a batch's cells, for wide files */
#define MAX_FMT 32                    /* steps in a compiled date format */
#define SHOW_MAX 48                   /* bytes of a bad value quoted in a message */

/* Positions in the option table below. */
enum { OPT_PATH, OPT_DELIMITER, OPT_HEADER, OPT_QUOTE, OPT_TRIM, OPT_COUNT };

static const quire_option_def options[] = {
    {.name = "path", .type = QUIRE_OPT_PATH, .required = 1, .help = "CSV file to read"},
    {.name = "delimiter", .type = QUIRE_OPT_CHAR, .default_value = ",",
     .help = "field separator, one byte (\\t for a tab)"},
    {.name = "header", .type = QUIRE_OPT_BOOLEAN, .default_value = "true",
     .help = "the first record names the columns; false: columns are c1, c2, ..."},
    {.name = "quote", .type = QUIRE_OPT_CHAR, .default_value = "\"", .help = "quote character"},
    {.name = "trim", .type = QUIRE_OPT_BOOLEAN, .default_value = "false",
     .help = "text values lose the spaces and tabs around them (typed values always do)"},
    {.name = NULL}, /* the end */
};

/* A compiled date format: literal bytes and conversions (%Y, %m, ...). */
typedef struct fmt_op {
    char kind; /* 'L' literal, or the conversion letter */
    char lit;
} fmt_op;

typedef struct datefmt {
    uint8_t n; /* 0: ISO 8601 */
    fmt_op op[MAX_FMT];
} datefmt;

/* A declared column, owned. */
typedef struct decl {
    char *name;
    quire_type type;
    char *format;
} decl;

typedef struct csv_state {
    const quire_host *host;
    void *hctx;
    csv_alloc mem;
    char *spec, *source; /* for messages */
    char *path;
    char delim, quote;
    int header;
    int trim;         /* strings lose surrounding spaces and tabs */
    decl *decls;
    uint32_t ndecls;
    csv_reader *rd;
    int fd;
    int scanned;      /* a scan has run: rewind before the next */
    int warned_extra; /* the extra-fields warning was given */
    locale_t cloc;    /* "C", for strtod_l whatever the host's locale */
} csv_state;

/* What one output column is made of. */
typedef struct conv {
    uint32_t field; /* position in the record */
    quire_type type;
    const char *name;
    const datefmt *fmt;
    const char *format; /* for messages */
    /* The last date read and its day number: files sorted by date repeat a
     * date over many rows, which then cost a compare. */
    uint8_t last_n; /* 0: none yet */
    char last[23];
    int64_t last_day;
} conv;

/* Everything one scan() owns. */
typedef struct scan_ctx {
    char **names; /* the header's names (or c1..cN), one block */
    uint32_t nnames;
    uint64_t header_line;
    quire_column *cols;
    conv *conv;
    datefmt *pfmt; /* formats the projection brings */
    uint32_t ncols;
    quire_cell **cells;
    uint64_t *recno;
    uint32_t rows_cap, nrows;
    int strings; /* a column is a string: cells point into the read buffer */
} scan_ctx;

/* ---------------------------------------------------------------- memory */

static void *lib_alloc(size_t n) { return malloc(n); }
static void *lib_realloc(void *p, size_t n) { return realloc(p, n); }
static void lib_free(void *p) { free(p); }

static char *dupstr(csv_state *st, const char *s)
{
    size_t n;
    char *d;

    if (!s)
        return NULL;
    n = strlen(s) + 1;
    d = st->mem.alloc(n);
    if (d)
        memcpy(d, s, n);
    return d;
}

/* ---------------------------------------------------------------- values */

static const double pow10tab[23] = {1e0,  1e1,  1e2,  1e3,  1e4,  1e5,  1e6,  1e7,
                                    1e8,  1e9,  1e10, 1e11, 1e12, 1e13, 1e14, 1e15,
                                    1e16, 1e17, 1e18, 1e19, 1e20, 1e21, 1e22};

static const char *const month_names[12] = {"january", "february", "march",     "april",
                                             "may",     "june",     "july",      "august",
                                             "september", "october", "november", "december"};

enum { V_OK = 0, V_BAD = 1, V_RANGE = 2, V_DAY = 3, V_FRACTION = 4 };

static int lower(int c) { return c >= 'A' && c <= 'Z' ? c + 32 : c; }

/* Does s[0..n) begin or end with a space or a tab? */
static inline int padded(const char *s, size_t n)
{
    return n && (s[0] == ' ' || s[0] == '\t' || s[n - 1] == ' ' || s[n - 1] == '\t');
}

/* Typed values may carry spaces around them (" 12"); strings keep theirs. */
static inline void trim(const char **s, size_t *n)
{
    if (!padded(*s, *n))
        return;
    while (*n && ((*s)[0] == ' ' || (*s)[0] == '\t'))
        (*s)++, (*n)--;
    while (*n && ((*s)[*n - 1] == ' ' || (*s)[*n - 1] == '\t'))
        (*n)--;
}

static inline int parse_int(const char *s, size_t n, int64_t *out);

/*
 * An integer as other programs write one: "17850", or "17850.0" (a float
 * column exported as text). The fraction must be zeros: "17850.5" is
 * V_FRACTION.
 */
static int parse_whole(const char *s, size_t n, int64_t *out)
{
    int rc = parse_int(s, n, out);
    const char *dot;
    size_t k;

    if (rc != V_BAD || !(dot = memchr(s, '.', n)) || dot == s || dot + 1 == s + n)
        return rc;
    for (k = (size_t)(dot - s) + 1; k < n; k++)
        if (s[k] < '0' || s[k] > '9')
            return V_BAD;
    rc = parse_int(s, (size_t)(dot - s), out);
    if (rc != V_OK)
        return rc;
    for (k = (size_t)(dot - s) + 1; k < n; k++)
        if (s[k] != '0')
            return V_FRACTION;
    return V_OK;
}

static inline int parse_int(const char *s, size_t n, int64_t *out)
{
    size_t i = 0, fast;
    uint64_t v = 0;
    int neg = 0, over = 0;

    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    if (i == n)
        return V_BAD;
    /* 18 digits cannot overflow; check only past them */
    fast = n - i > 18 ? i + 18 : n;
    for (; i < fast; i++) {
        unsigned dg = (unsigned)((unsigned char)s[i] - '0');
        if (dg > 9)
            return V_BAD;
        v = v * 10 + dg;
    }
    for (; i < n; i++) {
        unsigned dg = (unsigned)((unsigned char)s[i] - '0');
        if (dg > 9)
            return V_BAD;
        if (v > (UINT64_MAX - dg) / 10)
            over = 1;
        else
            v = v * 10 + dg;
    }
    if (over || v > (uint64_t)INT64_MAX + (uint64_t)neg)
        return V_RANGE;

    if (neg)
        *out = v == (uint64_t)INT64_MAX + 1 ? INT64_MIN : -(int64_t)v;
    else
        *out = (int64_t)v;
    return V_OK;
}

/*
 * A decimal: [+-] digits [. digits] [(e|E) [+-] digits]. With at most 19
 * significant digits, a mantissa up to 2^53 and a power of ten within 22, the
 * result is mantissa * or / 10^k, both exact doubles: one correctly rounded
 * operation, the same double strtod gives. Anything else goes to strtod_l.
 */
static int parse_num(const char *s, size_t n, double *out, locale_t cloc)
{
    size_t i = 0, start, dot = 0;
    uint64_t m = 0;
    int neg = 0, slow = 0, frac = 0;
    long ex = 0;

    if (s[0] == '-' || s[0] == '+') {
        neg = s[0] == '-';
        i = 1;
    }
    /* Digits and at most one point, in one loop. Up to 19 digits fit the
     * mantissa whatever they are; past that strtod decides. */
    start = i;
    for (; i < n; i++) {
        unsigned dg = (unsigned)((unsigned char)s[i] - '0');
        if (dg <= 9) {
            m = m * 10 + dg;
        } else if (s[i] == '.' && !dot) {
            dot = i + 1;
        } else {
            break;
        }
    }
    if (i - start - (dot != 0) == 0)
        return V_BAD; /* no digit */
    if (dot)
        frac = (int)(i - dot);
    if (i - start - (dot != 0) > 19) {
        /* Leading zeros left the mantissa alone; only the rest counts. */
        size_t k = start, sig = 0;
        for (; k < i && (s[k] == '0' || s[k] == '.'); k++)
            ;
        for (; k < i; k++)
            sig += s[k] != '.';
        slow = sig > 19;
    }
    if (i < n && (s[i] == 'e' || s[i] == 'E')) {
        int eneg = 0, edig = 0;
        i++;
        if (i < n && (s[i] == '-' || s[i] == '+'))
            eneg = s[i++] == '-';
        for (; i < n && (unsigned)((unsigned char)s[i] - '0') <= 9; i++, edig++)
            if (ex < 100000)
                ex = ex * 10 + (s[i] - '0');
        if (!edig)
            return V_BAD;
        if (eneg)
            ex = -ex;
    }
    if (i != n)
        return V_BAD;
    if (!slow) {
        long p = ex - frac;
        if (m == 0) {
            *out = neg ? -0.0 : 0.0;
            return V_OK;
        }
        if (m <= ((uint64_t)1 << 53) && p >= -22 && p <= 22) {
            double v = (double)m;
            v = p < 0 ? v / pow10tab[-p] : v * pow10tab[p];
            *out = neg ? -v : v;
            return V_OK;
        }
    }
    {
        /* strtod wants a string: a copy, on the heap when it is long (a
         * number may have any number of digits). */
        char small[512], *buf = small, *end;
        double v;
        int rc = V_OK;
        if (n >= sizeof small && !(buf = malloc(n + 1)))
            abort(); /* out of memory, as everywhere in Quire */
        memcpy(buf, s, n);
        buf[n] = '\0';
        errno = 0;
        v = strtod_l(buf, &end, cloc);
        if (end != buf + n)
            rc = V_BAD;
        else if (errno == ERANGE && (v > 1.0 || v < -1.0))
            rc = V_RANGE; /* overflow to infinity; underflow is fine */
        else
            *out = v;
        if (buf != small)
            free(buf);
        return rc;
    }
}

static int dig2(const char *s) { return (s[0] - '0') * 10 + (s[1] - '0'); }

static int isdig(char c) { return c >= '0' && c <= '9'; }

/* YYYY-MM-DD, YYYY-MM-DDThh:mm..., YYYY-MM-DD hh:mm..., or YYYY-MM. */
static int parse_iso(const char *s, size_t n, int *y, int *m, int *d)
{
    if (n < 7 || !isdig(s[0]) || !isdig(s[1]) || !isdig(s[2]) || !isdig(s[3]) || s[4] != '-' ||
        !isdig(s[5]) || !isdig(s[6]))
        return V_BAD;
    *y = dig2(s) * 100 + dig2(s + 2);
    *m = dig2(s + 5);
    *d = 1;
    if (n > 7) {
        if (n < 10 || s[7] != '-' || !isdig(s[8]) || !isdig(s[9]))
            return V_BAD;
        if (n > 10 && s[10] != 'T' && s[10] != ' ')
            return V_BAD;
        *d = dig2(s + 8);
    }
    return V_OK;
}

/* Read between 1 and max digits at s[*i]. */
static int num_at(const char *s, size_t n, size_t *i, int max, int *out)
{
    int v = 0, k = 0;

    while (*i < n && k < max && isdig(s[*i])) {
        v = v * 10 + (s[*i] - '0');
        (*i)++;
        k++;
    }
    *out = v;
    return k > 0;
}

static int parse_fmt(const datefmt *f, const char *s, size_t n, int *y, int *m, int *d)
{
    size_t i = 0;
    int k, v;

    *y = 1970;
    *m = 1;
    *d = 1;
    for (k = 0; k < f->n; k++) {
        const fmt_op *o = &f->op[k];
        switch (o->kind) {
        case 'L':
            if (i >= n || s[i] != o->lit)
                return V_BAD;
            i++;
            break;
        case 'Y':
            if (!num_at(s, n, &i, 4, y))
                return V_BAD;
            break;
        case 'm':
            if (!num_at(s, n, &i, 2, m))
                return V_BAD;
            break;
        case 'd':
            if (!num_at(s, n, &i, 2, d))
                return V_BAD;
            break;
        case 'H':
        case 'M':
        case 'S':
            if (!num_at(s, n, &i, 2, &v) || v > (o->kind == 'H' ? 23 : o->kind == 'M' ? 59 : 60))
                return V_BAD;
            break;
        case 'b': {
            int j, found = 0;
            if (n - i < 3)
                return V_BAD;
            for (j = 0; j < 12 && !found; j++) {
                const char *mn = month_names[j];
                size_t l = strlen(mn), t;
                if (lower(s[i]) != mn[0] || lower(s[i + 1]) != mn[1] || lower(s[i + 2]) != mn[2])
                    continue;
                /* "Sep" or "September": take the whole name when it is there */
                for (t = 3; t < l && i + t < n && lower(s[i + t]) == mn[t]; t++)
                    ;
                i += t == l ? l : 3;
                *m = j + 1;
                found = 1;
            }
            if (!found)
                return V_BAD;
            break;
        }
        default:
            return V_BAD;
        }
    }
    return i == n ? V_OK : V_BAD;
}

/* Compile a strptime-like format. Returns NULL, or the offending part. */
static const char *compile_fmt(const char *s, datefmt *f)
{
    int year = 0, month = 0;

    f->n = 0;
    for (; *s; s++) {
        if (f->n == MAX_FMT)
            return "format too long";
        if (*s != '%') {
            f->op[f->n].kind = 'L';
            f->op[f->n++].lit = *s;
            continue;
        }
        s++;
        switch (*s) {
        case '%':
            f->op[f->n].kind = 'L';
            f->op[f->n++].lit = '%';
            break;
        case 'Y':
        case 'm':
        case 'd':
        case 'b':
        case 'H':
        case 'M':
        case 'S':
            year |= *s == 'Y';
            month |= *s == 'm' || *s == 'b';
            f->op[f->n].kind = *s;
            f->op[f->n++].lit = 0;
            break;
        default:
            return "unsupported conversion (use %Y %m %d %b %H %M %S %%)";
        }
    }
    if (!year || !month)
        return "a date format needs %Y and %m or %b";
    return NULL;
}

static int parse_bool(const char *s, size_t n, int64_t *out)
{
    char w[6];
    size_t i;

    if (n == 0 || n > 5)
        return V_BAD;
    for (i = 0; i < n; i++)
        w[i] = (char)lower((unsigned char)s[i]);
    w[n] = '\0';
    if (!strcmp(w, "true") || !strcmp(w, "yes") || !strcmp(w, "1"))
        *out = 1;
    else if (!strcmp(w, "false") || !strcmp(w, "no") || !strcmp(w, "0"))
        *out = 0;
    else
        return V_BAD;
    return V_OK;
}

/* ---------------------------------------------------------------- messages */

/* A value for a message: quoted-safe, control bytes escaped, cut when long. */
static const char *show(char *out, size_t cap, const char *s, size_t n)
{
    size_t o = 0, i;

    for (i = 0; i < n && o + 8 < cap; i++) {
        unsigned char c = (unsigned char)s[i];
        if (c == '"' || c == '\\') {
            out[o++] = '\\';
            out[o++] = (char)c;
        } else if (c < 0x20 || c == 0x7f) {
            o += (size_t)snprintf(out + o, cap - o, "\\x%02x", c);
        } else {
            out[o++] = (char)c;
        }
        if (o >= SHOW_MAX && i + 1 < n) {
            memcpy(out + o, "...", 3);
            o += 3;
            break;
        }
    }
    out[o] = '\0';
    return out;
}

/* Where an error is (see fail). */
typedef struct place {
    uint32_t kind;      /* QUIRE_ERROR_* */
    const char *option; /* CONFIG: the option at fault */
    const char *file;
    uint64_t line;
    uint32_t col;
} place;

/*
 * Report an error with its kind and place. A host of ABI 1.2 takes them
 * apart (error_at); an older one gets the place in front of the message:
 * "path:line:col: ...", or "spec: source "name": ..." without a file.
 */
static void fail(const csv_state *st, place at, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static void fail(const csv_state *st, place at, const char *fmt, ...)
{
    char msg[1024];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (QUIRE_HOST_HAS(st->host, error_at) && st->host->error_at) {
        quire_error_info w;
        memset(&w, 0, sizeof w);
        w.struct_size = sizeof w;
        w.kind = at.kind;
        w.option = at.option;
        w.file = at.file;
        w.line = at.line;
        w.col = at.col;
        st->host->error_at(st->hctx, &w, "%s", msg);
    } else if (at.file && at.line && at.col) {
        st->host->error(st->hctx, "%s:%llu:%u: %s", at.file, (unsigned long long)at.line, at.col,
                        msg);
    } else if (at.file && at.line) {
        st->host->error(st->hctx, "%s:%llu: %s", at.file, (unsigned long long)at.line, msg);
    } else if (at.file) {
        st->host->error(st->hctx, "%s: %s", at.file, msg);
    } else {
        st->host->error(st->hctx, "%s: source \"%s\": %s", st->spec ? st->spec : "spec",
                        st->source ? st->source : "?", msg);
    }
}

#define DATA_AT(f, l, c) ((place){QUIRE_ERROR_DATA, NULL, (f), (l), (c)})
#define IO_AT(f) ((place){QUIRE_ERROR_IO, NULL, (f), 0, 0})
#define CONFIG_AT(opt) ((place){QUIRE_ERROR_CONFIG, (opt), NULL, 0, 0})

static void bad_value(csv_state *st, const csv_record *rec, const csv_field *f, const conv *cv,
                      int why, int y, int m)
{
    char v[SHOW_MAX * 4 + 16];
    place at = DATA_AT(st->path, rec->line + f->dline, f->col);
    const char *what = "";

    show(v, sizeof v, f->ptr, f->len);
    switch (cv->type) {
    case QUIRE_T_INTEGER:
        what = why == V_RANGE      ? "does not fit a 64-bit integer"
               : why == V_FRACTION ? "is not a whole number"
                                   : "is not an integer";
        break;
    case QUIRE_T_NUMBER:
        what = why == V_RANGE ? "is out of range for a number" : "is not a number";
        break;
    case QUIRE_T_BOOLEAN:
        what = "is not a boolean (expected true/false, yes/no or 1/0)";
        break;
    case QUIRE_T_DATE:
        if (why == V_DAY && m >= 1 && m <= 12) {
            fail(st, at, "\"%s\" is not a valid date: %04d-%02d has %d days (column \"%s\")", v,
                 y, m, quire_days_in_month(y, m), cv->name);
            return;
        }
        if (why == V_DAY) {
            fail(st, at, "\"%s\" is not a valid date: there is no month %d (column \"%s\")", v,
                 m, cv->name);
            return;
        }
        if (cv->fmt) {
            fail(st, at, "\"%s\" does not match the date format \"%s\" (column \"%s\")", v,
                 cv->format, cv->name);
            return;
        }
        what = "is not a date (expected YYYY-MM-DD or YYYY-MM)";
        break;
    default:
        break;
    }
    fail(st, at, "\"%s\" %s (column \"%s\")", v, what, cv->name);
}

/* a[0..n) == b[0..n): an ISO date (10 bytes) in two loads, else memcmp. */
static inline int same_date(const char *a, const char *b, size_t n)
{
    if (n == 10) {
        uint64_t x, y;
        uint16_t u, v;
        memcpy(&x, a, 8);
        memcpy(&y, b, 8);
        memcpy(&u, a + 8, 2);
        memcpy(&v, b + 8, 2);
        return x == y && u == v;
    }
    return memcmp(a, b, n) == 0;
}

/* Convert field f for column cv into c. Returns V_OK, or why it failed
 * (then *y, *m hold the date parts for the message). */
static int convert(const csv_state *st, conv *cv, const csv_field *f, quire_cell *c, int *y,
                   int *m)
{
    const char *s = f->ptr;
    size_t n = f->len;
    int d, rc;

    c->null = 0;
    if (cv->type == QUIRE_T_STRING) {
        if (st->trim)
            trim(&s, &n);
        if (n == 0 && !f->quoted) {
            c->null = 1;
            c->v.i = 0;
            return V_OK;
        }
        c->v.s.ptr = s;
        c->v.s.len = (uint32_t)n;
        return V_OK;
    }
    /* A number is parsed as it lies first: a space makes it fail, so one
     * that parses has none to trim; one that fails is parsed again trimmed. */
    if (cv->type == QUIRE_T_INTEGER || cv->type == QUIRE_T_NUMBER) {
        for (;;) {
            if (n == 0) {
                c->null = 1;
                c->v.i = 0;
                return V_OK;
            }
            rc = cv->type == QUIRE_T_INTEGER ? parse_whole(s, n, &c->v.i)
                                             : parse_num(s, n, &c->v.n, st->cloc);
            if (rc == V_OK || !padded(s, n))
                return rc;
            trim(&s, &n);
        }
    }
    trim(&s, &n);
    if (n == 0) {
        c->null = 1;
        c->v.i = 0;
        return V_OK;
    }
    switch (cv->type) {
    case QUIRE_T_INTEGER:
        return parse_whole(s, n, &c->v.i);
    case QUIRE_T_NUMBER:
        return parse_num(s, n, &c->v.n, st->cloc);
    case QUIRE_T_BOOLEAN:
        return parse_bool(s, n, &c->v.i);
    case QUIRE_T_DATE:
        if (n == cv->last_n && same_date(s, cv->last, n)) {
            c->v.i = cv->last_day;
            return V_OK;
        }
        rc = cv->fmt ? parse_fmt(cv->fmt, s, n, y, m, &d) : parse_iso(s, n, y, m, &d);
        if (rc)
            return rc;
        if (!quire_valid_date(*y, *m, d))
            return V_DAY;
        c->v.i = quire_days_from_civil(*y, *m, d);
        if (n <= sizeof cv->last) {
            memcpy(cv->last, s, n);
            cv->last_n = (uint8_t)n;
            cv->last_day = c->v.i;
        }
        return V_OK;
    default:
        return V_BAD;
    }
}

/*
 * A NUL byte in a field: refused, because the host reads names and keys as
 * C strings, where "A\0x" and "A\0y" would both be "A". Looked for only
 * once the reader has seen one (csv_saw_nul), so clean files pay nothing.
 * names: the header's names (NULL while the header itself is checked).
 */
static int refuse_nul(csv_state *st, const csv_record *rec, char *const *names, uint32_t nnames)
{
    uint32_t i;

    for (i = 0; i < rec->nfields; i++) {
        const csv_field *f = &rec->fields[i];
        if (f->len && memchr(f->ptr, '\0', f->len)) {
            place at = DATA_AT(st->path, rec->line + f->dline, f->col);
            if (names && i < nnames)
                fail(st, at, "a NUL byte in field %u (column \"%s\"): CSV text cannot hold "
                     "NUL bytes (is the file binary, or UTF-16?)", i + 1, names[i]);
            else
                fail(st, at, "a NUL byte in field %u: CSV text cannot hold NUL bytes (is the "
                     "file binary, or UTF-16?)", i + 1);
            return -1;
        }
    }
    return 0;
}

/* ---------------------------------------------------------------- columns */

/* Edit distance, ASCII case folded, for "did you mean". */
static unsigned distance(const char *a, const char *b)
{
    unsigned row[65], i, j, la = (unsigned)strlen(a), lb = (unsigned)strlen(b);

    if (la > 64 || lb > 64)
        return 99;
    for (j = 0; j <= lb; j++)
        row[j] = j;
    for (i = 1; i <= la; i++) {
        unsigned diag = row[0];
        row[0] = i;
        for (j = 1; j <= lb; j++) {
            unsigned up = row[j];
            unsigned cost = lower((unsigned char)a[i - 1]) != lower((unsigned char)b[j - 1]);
            unsigned best = diag + cost;
            if (up + 1 < best)
                best = up + 1;
            if (row[j - 1] + 1 < best)
                best = row[j - 1] + 1;
            row[j] = best;
            diag = up;
        }
    }
    return row[lb];
}

static void no_column(csv_state *st, const scan_ctx *sc, const char *name)
{
    char list[600];
    size_t o = 0;
    uint32_t i, shown = 0;
    unsigned best = 3, dist;
    const char *hint = NULL;

    if (!st->header) {
        fail(st, DATA_AT(st->path, sc->header_line, 0),
             "no column \"%s\"; without a header the columns are c1 to c%u", name, sc->nnames);
        return;
    }
    list[0] = '\0';
    for (i = 0; i < sc->nnames; i++) {
        size_t l = strlen(sc->names[i]);
        if (o + l + 24 < sizeof list) {
            o += (size_t)snprintf(list + o, sizeof list - o, "%s%s", i ? ", " : "", sc->names[i]);
            shown++;
        }
        dist = distance(name, sc->names[i]);
        if (dist < best) {
            best = dist;
            hint = sc->names[i];
        }
    }
    if (shown < sc->nnames)
        snprintf(list + o, sizeof list - o, ", ... (%u more)", sc->nnames - shown);
    if (hint)
        fail(st, DATA_AT(st->path, sc->header_line, 0),
             "no column \"%s\" in the header; did you mean \"%s\"? columns are: %s", name, hint,
             list);
    else
        fail(st, DATA_AT(st->path, sc->header_line, 0),
             "no column \"%s\" in the header; columns are: %s", name, list);
}

/* Position of a column name in the file, or -1. */
static long column_of(const csv_state *st, const scan_ctx *sc, const char *name)
{
    uint32_t i;

    if (!st->header) {
        char *end;
        unsigned long k;
        if (name[0] != 'c' || name[1] < '1' || name[1] > '9')
            return -1;
        errno = 0;
        k = strtoul(name + 1, &end, 10);
        if (*end || errno || k > sc->nnames)
            return -1;
        return (long)k - 1;
    }
    for (i = 0; i < sc->nnames; i++)
        if (strcmp(sc->names[i], name) == 0)
            return (long)i;
    return -1;
}

static const decl *declared(const csv_state *st, const char *name)
{
    uint32_t i;

    for (i = 0; i < st->ndecls; i++)
        if (strcmp(st->decls[i].name, name) == 0)
            return &st->decls[i];
    return NULL;
}

/* Keep the first record's names (the header's, or c1..cN). */
static int take_names(csv_state *st, scan_ctx *sc, const csv_record *rec)
{
    size_t bytes = 0;
    uint32_t i;
    char *p;

    for (i = 0; i < rec->nfields; i++)
        bytes += (st->header ? rec->fields[i].len : 12) + 1;
    sc->names = st->mem.alloc(rec->nfields * sizeof(char *) + bytes + 1);
    if (!sc->names)
        return -1;
    p = (char *)(sc->names + rec->nfields);
    for (i = 0; i < rec->nfields; i++) {
        sc->names[i] = p;
        if (st->header) {
            const char *s = rec->fields[i].ptr;
            size_t n = rec->fields[i].len;
            trim(&s, &n);
            memcpy(p, s, n);
            p[n] = '\0';
            p += n + 1;
        } else {
            p += snprintf(p, 13, "c%u", i + 1) + 1;
        }
    }
    sc->nnames = rec->nfields;
    sc->header_line = rec->line;
    return 0;
}

/* Decide the output columns and how to fill each. */
static int plan(csv_state *st, scan_ctx *sc, const quire_column *proj, uint32_t nproj)
{
    uint32_t j, n = proj ? nproj : sc->nnames;
    size_t rows, cellsz = sizeof(quire_cell);

    sc->ncols = n;
    sc->cols = st->mem.alloc((n ? n : 1) * sizeof *sc->cols);
    sc->conv = st->mem.alloc((n ? n : 1) * sizeof *sc->conv);
    sc->pfmt = st->mem.alloc((n ? n : 1) * sizeof *sc->pfmt);
    if (!sc->cols || !sc->conv || !sc->pfmt)
        goto oom;
    for (j = 0; j < n; j++) {
        conv *cv = &sc->conv[j];
        quire_column *c = &sc->cols[j];
        const decl *dc;
        cv->last_n = 0;
        if (proj) {
            long at = column_of(st, sc, proj[j].name ? proj[j].name : "");
            if (at < 0) {
                no_column(st, sc, proj[j].name ? proj[j].name : "");
                return -1;
            }
            if ((unsigned)proj[j].type > QUIRE_T_BOOLEAN) {
                fail(st, DATA_AT(st->path, 0, 0), "column \"%s\": unknown type %d requested",
                     proj[j].name, (int)proj[j].type);
                return -1;
            }
            *c = proj[j];
            cv->field = (uint32_t)at;
            dc = declared(st, c->name);
            /* The host's type wins; a format it leaves out comes from the
             * spec's declaration of the same column. */
            if (!c->format && dc && dc->type == c->type)
                c->format = dc->format;
        } else {
            c->name = sc->names[j];
            cv->field = j;
            dc = declared(st, c->name);
            c->type = dc ? dc->type : QUIRE_T_STRING;
            c->format = dc ? dc->format : NULL;
        }
        cv->type = c->type;
        cv->name = c->name;
        cv->format = c->format;
        cv->fmt = NULL;
        if (c->type == QUIRE_T_DATE && c->format) {
            const char *why = compile_fmt(c->format, &sc->pfmt[j]);
            if (why) {
                /* the format is the spec's: a configuration error (an
                                 * older host is told the file, as before) */
                place at = CONFIG_AT(NULL);
                at.file = st->path;
                fail(st, at, "column \"%s\": date format \"%s\": %s", c->name, c->format, why);
                return -1;
            }
            cv->fmt = &sc->pfmt[j];
        }
        if (c->type == QUIRE_T_STRING)
            sc->strings = 1;
    }
    rows = BATCH_ROWS;
    if (n && rows * n * cellsz > BATCH_BYTES)
        rows = BATCH_BYTES / (n * cellsz);
    if (rows == 0)
        rows = 1;
    sc->rows_cap = (uint32_t)rows;
    sc->cells = st->mem.alloc((n ? n : 1) * sizeof *sc->cells);
    sc->recno = st->mem.alloc(rows * sizeof *sc->recno);
    if (!sc->cells || !sc->recno)
        goto oom;
    memset(sc->cells, 0, (n ? n : 1) * sizeof *sc->cells);
    for (j = 0; j < n; j++) {
        sc->cells[j] = st->mem.alloc(rows * cellsz);
        if (!sc->cells[j])
            goto oom;
    }
    return 0;
oom:
    fail(st, IO_AT(st->path), "out of memory");
    return -1;
}

static void scan_free(csv_state *st, scan_ctx *sc)
{
    uint32_t j;

    if (sc->cells)
        for (j = 0; j < sc->ncols; j++)
            st->mem.free(sc->cells[j]);
    st->mem.free(sc->cells);
    st->mem.free(sc->recno);
    st->mem.free(sc->cols);
    st->mem.free(sc->conv);
    st->mem.free(sc->pfmt);
    st->mem.free(sc->names);
}

/* Hand the rows gathered so far to the host. */
static int flush(csv_state *st, scan_ctx *sc)
{
    quire_batch b;
    int rc;

    if (!sc->nrows)
        return 0;
    memset(&b, 0, sizeof b);
    b.struct_size = sizeof b;
    b.nrows = sc->nrows;
    b.ncols = sc->ncols;
    b.columns = sc->cols;
    b.cols = sc->cells;
    b.first_record = sc->recno[0];
    b.record_no = sc->recno;
    rc = st->host->emit(st->hctx, &b);
    sc->nrows = 0;
    return rc;
}

/* ---------------------------------------------------------------- plugin */

/* Is the struct at p, of the size it declares, long enough to hold field? */
#define HAS(p, type, field) \
    ((p)->struct_size >= offsetof(type, field) + sizeof(((type *)0)->field))

/* A CHAR option: typed by an ABI 1.2 host, else the text ("\\t" a tab). */
static int char_option(csv_state *st, const quire_source_config *cfg, int at, char *out)
{
    const quire_option_value *tv = quire_option_at(cfg, (uint32_t)at);
    const char *v = cfg->option_values ? cfg->option_values[at] : NULL;

    if (tv && tv->set) {
        *out = (char)tv->i;
        return 0;
    }
    if (!v)
        v = options[at].default_value;
    if (strcmp(v, "\\t") == 0)
        v = "\t";
    if (strlen(v) != 1) {
        fail(st, CONFIG_AT(options[at].name), "option \"%s\" must be one character, not \"%s\"",
             options[at].name, v);
        return -1;
    }
    *out = v[0];
    return 0;
}

/* A BOOLEAN option: typed by an ABI 1.2 host, else the text. */
static int bool_option(const quire_source_config *cfg, int at)
{
    const quire_option_value *tv = quire_option_at(cfg, (uint32_t)at);
    const char *v = cfg->option_values ? cfg->option_values[at] : NULL;

    if (tv && tv->set)
        return tv->i != 0;
    if (!v)
        v = options[at].default_value;
    return !(strcmp(v, "false") == 0 || strcmp(v, "no") == 0 || strcmp(v, "0") == 0);
}

static void csv_close(void *state);

static int csv_open(const quire_host *host, void *hctx, const quire_source_config *cfg,
                    void **state)
{
    csv_state *st;
    const char *path, *spec = cfg->spec_path ? cfg->spec_path : "spec";
    const char *src = cfg->source_name ? cfg->source_name : "?";
    struct stat sb;
    uint32_t i, nd;

    *state = NULL;
    if (!host || !QUIRE_HOST_HAS(host, error) ||
        QUIRE_ABI_MAJOR_OF(host->abi_version) != QUIRE_PLUGIN_ABI_MAJOR || !host->error ||
        !host->emit || !host->log)
        return 1;
    {
        csv_alloc mem = {lib_alloc, lib_realloc, lib_free};
        if (host->alloc && host->realloc && host->free) {
            mem.alloc = host->alloc;
            mem.realloc = host->realloc;
            mem.free = host->free;
        }
        st = mem.alloc(sizeof *st);
        if (!st) {
            host->error(hctx, "%s: source \"%s\": out of memory", spec, src);
            return 1;
        }
        memset(st, 0, sizeof *st);
        st->mem = mem;
    }
    st->host = host;
    st->hctx = hctx;
    st->fd = -1;
    st->spec = dupstr(st, spec);
    st->source = dupstr(st, src);
    if (!st->spec || !st->source)
        goto oom;

    path = cfg->option_values ? cfg->option_values[OPT_PATH] : NULL;
    if (!path || !*path) {
        fail(st, CONFIG_AT("path"), "option \"path\" is required");
        goto fail;
    }
    if (char_option(st, cfg, OPT_DELIMITER, &st->delim) ||
        char_option(st, cfg, OPT_QUOTE, &st->quote))
        goto fail;
    if (st->delim == st->quote || st->delim == '\n' || st->delim == '\r' || st->quote == '\n' ||
        st->quote == '\r') {
        fail(st, CONFIG_AT(st->quote == '\n' || st->quote == '\r' ? "quote" : "delimiter"),
             "the delimiter and the quote must differ and be neither CR nor LF");
        goto fail;
    }
    st->header = bool_option(cfg, OPT_HEADER);
    st->trim = bool_option(cfg, OPT_TRIM);

    st->path = dupstr(st, path);
    if (!st->path)
        goto oom;
    nd = HAS(cfg, quire_source_config, ndeclared) && cfg->declared ? cfg->ndeclared : 0;
    if (nd) {
        st->decls = st->mem.alloc(nd * sizeof *st->decls);
        if (!st->decls)
            goto oom;
        memset(st->decls, 0, nd * sizeof *st->decls);
        st->ndecls = nd;
        for (i = 0; i < nd; i++) {
            const quire_column *c = &cfg->declared[i];
            decl *d = &st->decls[i];
            d->name = dupstr(st, c->name ? c->name : "");
            d->type = c->type;
            d->format = dupstr(st, c->format);
            if (!d->name || (c->format && !d->format))
                goto oom;
            if ((unsigned)c->type > QUIRE_T_BOOLEAN) {
                fail(st, CONFIG_AT(NULL), "column \"%s\": unknown type %d", d->name, (int)c->type);
                goto fail;
            }
            if (c->type == QUIRE_T_DATE && c->format) {
                datefmt f; /* compiled again per scan; here only to fail early */
                const char *why = compile_fmt(c->format, &f);
                if (why) {
                    fail(st, CONFIG_AT(NULL), "column \"%s\": date format \"%s\": %s", d->name,
                         c->format, why);
                    goto fail;
                }
            }
        }
    }
    st->cloc = newlocale(LC_ALL_MASK, "C", (locale_t)0);
    if (!st->cloc)
        goto oom;
    st->rd = csv_new(st->delim, st->quote, 0, &st->mem);
    if (!st->rd)
        goto oom;

    /* Read only a regular file: a device such as /dev/zero never ends, a
     * FIFO blocks the open and its bytes go to whoever reads first. It is
     * looked at before it is opened (opening a FIFO or a device has effects
     * of its own), then opened without blocking and looked at again. */
    if (stat(st->path, &sb) != 0 || S_ISREG(sb.st_mode) || S_ISDIR(sb.st_mode)) {
        st->fd = open(st->path, O_RDONLY | O_CLOEXEC | O_NONBLOCK | O_NOCTTY);
        if (st->fd < 0 || fstat(st->fd, &sb) != 0) {
            fail(st, IO_AT(st->path), "cannot open: %s", strerror(errno));
            goto fail;
        }
    }
    if (S_ISDIR(sb.st_mode)) {
        fail(st, IO_AT(st->path), "cannot open: %s", strerror(EISDIR));
        goto fail;
    }
    if (!S_ISREG(sb.st_mode)) {
        fail(st, IO_AT(st->path), "cannot read: not a regular file (%s)",
             S_ISFIFO(sb.st_mode)    ? "a FIFO"
             : S_ISCHR(sb.st_mode)   ? "a character device"
             : S_ISBLK(sb.st_mode)   ? "a block device"
             : S_ISSOCK(sb.st_mode)  ? "a socket"
                                     : "a special file");
        goto fail;
    }
    {
        int fl = fcntl(st->fd, F_GETFL);
        if (fl >= 0)
            (void)fcntl(st->fd, F_SETFL, fl & ~O_NONBLOCK);
    }
#ifdef POSIX_FADV_SEQUENTIAL
    (void)posix_fadvise(st->fd, 0, 0, POSIX_FADV_SEQUENTIAL);
#endif
    *state = st;
    return 0;
oom:
    fail(st, IO_AT(NULL), "out of memory");
fail:
    csv_close(st);
    return 1;
}

static int csv_scan(void *state, const quire_scan_request *req)
{
    csv_state *st = state;
    scan_ctx sc;
    csv_record rec;
    const quire_column *proj = NULL;
    uint32_t nproj = 0, j;
    uint64_t max = 0, count = 0;
    int rc = 1, k, planned = 0;

    memset(&sc, 0, sizeof sc);
    if (req && HAS(req, quire_scan_request, nprojection)) {
        proj = req->projection;
        nproj = req->nprojection;
    }
    if (req && HAS(req, quire_scan_request, max_records))
        max = req->max_records;
    if (st->scanned && lseek(st->fd, 0, SEEK_SET) != 0) {
        fail(st, IO_AT(st->path), "cannot read it again: %s", strerror(errno));
        return 1;
    }
    st->scanned = 1;
    csv_reset(st->rd);

    for (;;) {
        k = csv_next(st->rd, &rec);
        if (k == CSV_MORE) {
            /* String cells point into the buffer the refill overwrites. */
            if (sc.strings && (rc = flush(st, &sc)) != 0)
                goto out;
            if (csv_fill_fd(st->rd, st->fd) < 0) {
                fail(st, IO_AT(st->path), "cannot read: %s", csv_error(st->rd));
                rc = 1;
                goto out;
            }
            continue;
        }
        if (k == CSV_ERROR) {
            fail(st, DATA_AT(st->path, 0, 0), "%s", csv_error(st->rd));
            rc = 1;
            goto out;
        }
        if (k == CSV_END)
            break;
        if (csv_saw_nul(st->rd) &&
            refuse_nul(st, &rec, planned ? sc.names : NULL, sc.nnames)) {
            rc = 1;
            goto out;
        }

        if (!planned) {
            if (take_names(st, &sc, &rec)) {
                fail(st, IO_AT(st->path), "out of memory");
                rc = 1;
                goto out;
            }
            if (plan(st, &sc, proj, nproj)) {
                rc = 1;
                goto out;
            }
            planned = 1;
            if (st->header)
                continue;
        }
        if (rec.open_quote) {
            const csv_field *f = &rec.fields[rec.nfields - 1];
            st->host->log(st->hctx, QUIRE_LOG_WARN, "%s:%llu:%u: this quote is never closed; "
                          "the field runs to the end of the file", st->path,
                          (unsigned long long)(rec.line + f->dline), f->col);
        }
        if (rec.nfields > sc.nnames && !st->warned_extra) {
            st->warned_extra = 1;
            st->host->log(st->hctx, QUIRE_LOG_WARN, "%s:%llu: %u fields where the %s has %u; "
                          "extra fields are ignored (reported once per file)", st->path,
                          (unsigned long long)rec.line, rec.nfields,
                          st->header ? "header" : "first record", sc.nnames);
        }
        sc.recno[sc.nrows] = rec.line;
        for (j = 0; j < sc.ncols; j++) {
            conv *cv = &sc.conv[j];
            quire_cell *c = &sc.cells[j][sc.nrows];
            int y = 0, m = 0, why;
            if (cv->field >= rec.nfields) {
                c->null = 1;
                c->v.i = 0;
                continue;
            }
            why = convert(st, cv, &rec.fields[cv->field], c, &y, &m);
            if (why) {
                bad_value(st, &rec, &rec.fields[cv->field], cv, why, y, m);
                rc = 1;
                goto out;
            }
        }
        if (++sc.nrows == sc.rows_cap && (rc = flush(st, &sc)) != 0)
            goto out;
        if (++count == max)
            break;
    }
    if (!planned && st->header && proj && nproj) {
        fail(st, DATA_AT(st->path, 1, 0), "the file is empty; expected a header naming the columns");
        rc = 1;
        goto out;
    }
    rc = flush(st, &sc);
out:
    scan_free(st, &sc);
    return rc;
}

static void csv_close(void *state)
{
    csv_state *st = state;
    uint32_t i;

    if (!st)
        return;
    if (st->fd >= 0)
        close(st->fd);
    csv_free(st->rd);
    if (st->cloc)
        freelocale(st->cloc);
    for (i = 0; i < st->ndecls; i++) {
        st->mem.free(st->decls[i].name);
        st->mem.free(st->decls[i].format);
    }
    st->mem.free(st->decls);
    st->mem.free(st->path);
    st->mem.free(st->spec);
    st->mem.free(st->source);
    st->mem.free(st);
}

static const quire_plugin csv_plugin = {
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(quire_plugin),
    .name = "csv",
    .version = QUIRE_VERSION,
    .summary = "CSV files (RFC 4180): typed columns, streamed, projection",
    .caps = QUIRE_CAP_STREAM | QUIRE_CAP_PROJECTION,
    .options = options,
    .open = csv_open,
    .scan = csv_scan,
    .close = csv_close,
    .option_size = sizeof(quire_option_def),
    .column_size = sizeof(quire_column),
    /* no load/unload: nothing to set up once per process */
};

QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void);

QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void)
{
    return &csv_plugin;
}
