/*
 * csv_parse.c - the streaming tokenizer (rules and ownership in csv_parse.h).
 *
 * How it stays fast: a record is found in one pass that jumps from one
 * special byte to the next (16 bytes at a time with SSE2) instead of running
 * a per-byte state machine, and fields are left where they lie in the buffer.
 * A '\n' sentinel written just past the data stops every search, so the inner
 * loops carry no bounds checks. Only quoted fields get a second pass, which
 * unescapes them in place once their record is known to be complete.
 *
 * A record that runs past the end of the buffered bytes is not scanned again:
 * scan() saves where it stopped (the fields found so far, the byte it was
 * looking at and whether that is inside quotes) and the next call goes on
 * from there once more bytes are in. A long field thus costs one pass
 * however its bytes arrive (a whole file through a large buffer, or a few
 * bytes at a time), and the buffer doubles when a record fills it.
 */
#include "csv_parse.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#if defined(__SSE2__) && !defined(CSV_NO_SIMD)
#include <emmintrin.h>
#define CSV_SIMD 1
#else
#define CSV_SIMD 0
#endif

/* Bytes kept after the data: the sentinel, and slack for 16-byte loads. */
#define PAD 64
#define MIN_CHUNK 4

struct csv_reader {
    char *buf;        /* cap + PAD bytes */
    size_t cap;       /* room for input */
    size_t len;       /* input bytes held; buf[len] is the '\n' sentinel */
    size_t pos;       /* first byte not yet returned in a record */
    csv_field *fields;
    uint32_t fcap;
    uint64_t line;    /* physical line of buf[pos] */
    uint64_t nrec;    /* records returned */
    char delim, quote;
    uint8_t eof;      /* csv_finish() was called */
    uint8_t started;  /* the byte order mark question is settled */
    uint8_t cr;       /* the last byte consumed was a CR ending a line */
    uint8_t failed;
    uint8_t nul;      /* a NUL byte was added since the last reset */
    /* A record scan() left unfinished (CSV_MORE), to go on with: */
    uint8_t part;     /* there is one; it starts at buf[pos] */
    uint8_t pphase;   /* at a field's start (0), inside quotes (1), else (2) */
    uint8_t panyq;    /* a field so far was quoted */
    uint32_t pnf;     /* fields begun (fields[] holds them) */
    uint32_t pdline;  /* line ends inside quotes so far */
    size_t pe;        /* offset from buf[pos] of the next byte to look at */
    size_t pls;       /* offset from buf[pos] of the current physical line */
    uint32_t *foff;   /* fcap offsets: the fields' places while buf moves */
    csv_alloc a;
#if CSV_SIMD
    unsigned char pset[4][16]; /* scan_plain()'s bytes: delimiter, quote, LF, CR */
#endif
#if !CSV_SIMD
    uint8_t stop_plain[256];  /* bytes that end an unquoted run */
    uint8_t stop_quoted[256]; /* bytes that matter inside quotes */
#endif
    char err[160];
};

/* ---------------------------------------------------------------- helpers */

static void *lib_alloc(size_t n) { return malloc(n); }
static void *lib_realloc(void *p, size_t n) { return realloc(p, n); }
static void lib_free(void *p) { free(p); }

#if defined(__GNUC__)
__attribute__((format(printf, 2, 3)))
#endif
static void fail(csv_reader *r, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(r->err, sizeof r->err, fmt, ap);
    va_end(ap);
    r->failed = 1;
}

/*
 * find*: the first byte at or after p that is one of a set of three. The
 * sentinel guarantees a hit at the end of the data at the latest.
 */
#if CSV_SIMD
typedef struct finder {
    __m128i a, b, c;
} finder;

static finder finder_of(csv_reader *r, char a, char b, char c, int quoted)
{
    finder f;
    (void)r;
    (void)quoted;
    f.a = _mm_set1_epi8(a);
    f.b = _mm_set1_epi8(b);
    f.c = _mm_set1_epi8(c);
    return f;
}

static inline char *find(const finder *f, char *p)
{
    for (;;) {
        __m128i v = _mm_loadu_si128((const __m128i *)(const void *)p);
        __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, f->a), _mm_cmpeq_epi8(v, f->b)),
                                 _mm_cmpeq_epi8(v, f->c));
        unsigned bits = (unsigned)_mm_movemask_epi8(m);
        if (bits)
            return p + __builtin_ctz(bits);
        p += 16;
    }
}
#else
typedef struct finder {
    const uint8_t *stop;
} finder;

static finder finder_of(csv_reader *r, char a, char b, char c, int quoted)
{
    finder f;
    (void)a;
    (void)b;
    (void)c;
    f.stop = quoted ? r->stop_quoted : r->stop_plain;
    return f;
}

static inline char *find(const finder *f, char *p)
{
    const uint8_t *stop = f->stop;
    for (;;) {
        if (stop[(unsigned char)p[0]])
            return p;
        if (stop[(unsigned char)p[1]])
            return p + 1;
        if (stop[(unsigned char)p[2]])
            return p + 2;
        if (stop[(unsigned char)p[3]])
            return p + 3;
        p += 4;
    }
}
#endif

static int grow_fields(csv_reader *r)
{
    uint32_t n = r->fcap ? r->fcap * 2 : 64;
    csv_field *f;
    uint32_t *o;

    if (r->fcap >= CSV_MAX_FIELDS) {
        fail(r, "a record has more than %u fields", (unsigned)CSV_MAX_FIELDS);
        return -1;
    }
    if (n > CSV_MAX_FIELDS)
        n = CSV_MAX_FIELDS;
    f = r->a.realloc(r->fields, (size_t)n * sizeof *f);
    if (!f) {
        fail(r, "out of memory");
        return -1;
    }
    r->fields = f;
    o = r->a.realloc(r->foff, (size_t)n * sizeof *o);
    if (!o) {
        fail(r, "out of memory");
        return -1;
    }
    r->foff = o;
    r->fcap = n;
    return 0;
}

/*
 * Unescape the quoted field s[0..n) (s[0] is the quote) in place. Returns the
 * length and stores where the value starts. Mirrors the scan in scan(): a
 * doubled quote is one quote, the first single quote closes, and what follows
 * it is literal.
 */
static uint32_t unquote(char *s, uint32_t n, char q, const char **out)
{
    char *src = s + 1, *end = s + n, *dst = s, *k;
    size_t m;

    k = memchr(src, q, (size_t)(end - src));
    if (!k || k + 1 == end) { /* "abc" or an open quote: nothing to move */
        *out = src;
        return (uint32_t)((k ? k : end) - src);
    }
    for (;;) {
        m = (size_t)(k - src);
        memmove(dst, src, m);
        dst += m;
        if (k + 1 < end && k[1] == q) {
            *dst++ = q;
            src = k + 2;
        } else {
            src = k + 1;
            m = (size_t)(end - src);
            memmove(dst, src, m);
            dst += m;
            break;
        }
        k = memchr(src, q, (size_t)(end - src));
        if (!k) {
            m = (size_t)(end - src);
            memmove(dst, src, m);
            dst += m;
            break;
        }
    }
    *out = s;
    return (uint32_t)(dst - s);
}

/* ---------------------------------------------------------------- scanning */

/*
 * The common record takes a shorter road: no quote, no CR but a CRLF's, all
 * of it in the buffered bytes. plain_mask() gives one bit per byte of a
 * 16-byte block that is the delimiter, the quote, LF or CR, and the record's
 * fields are cut at the bits in turn: a few instructions a block and a few a
 * field, where scan() searches once per field and keeps the state a record
 * split across refills needs. (A build without SSE2 has scan() alone: done
 * on 8-byte words, the same cut took more instructions than its table.)
 */
#if CSV_SIMD
#define BLOCK 16
typedef struct plainset {
    __m128i d, q, n, r;
} plainset;

/* Loaded from the reader, where they were set once (csv_new). */
static inline plainset plainset_of(const csv_reader *r)
{
    plainset s;
    s.d = _mm_loadu_si128((const __m128i *)(const void *)r->pset[0]);
    s.q = _mm_loadu_si128((const __m128i *)(const void *)r->pset[1]);
    s.n = _mm_loadu_si128((const __m128i *)(const void *)r->pset[2]);
    s.r = _mm_loadu_si128((const __m128i *)(const void *)r->pset[3]);
    return s;
}

static inline unsigned plain_mask(const plainset *s, const char *b)
{
    __m128i v = _mm_loadu_si128((const __m128i *)(const void *)b);
    __m128i m = _mm_or_si128(_mm_or_si128(_mm_cmpeq_epi8(v, s->d), _mm_cmpeq_epi8(v, s->n)),
                             _mm_or_si128(_mm_cmpeq_epi8(v, s->q), _mm_cmpeq_epi8(v, s->r)));
    return (unsigned)_mm_movemask_epi8(m);
}
#define PLAIN_FAST 1
#else
#define PLAIN_FAST 0
#endif

#if PLAIN_FAST
/*
 * Scan the record at buf[pos] when it is plain; returns CSV_RECORD, or 0
 * having changed nothing, for scan() to take the record from its start.
 */
static int scan_plain(csv_reader *r, csv_record *rec)
{
    char *const end = r->buf + r->len;
    char *const rs = r->buf + r->pos;
    const char d = r->delim;
    const plainset set = plainset_of(r);
    csv_field *const fs = r->fields;
    const uint32_t cap = r->fcap;
    uint32_t nf = 0;
    char *b = rs, *p = rs, *e, *next;

    for (;; b += BLOCK) {
        unsigned bits = plain_mask(&set, b);
        while (bits) {
            e = b + __builtin_ctz(bits);
            bits &= bits - 1;
            if (nf == cap)
                return 0;
            next = NULL; /* the field ends at a delimiter */
            if (*e != d) {
                if (*e == '\n' && e != end)
                    next = e + 1;
                else if (*e == '\r' && e + 1 < end && e[1] == '\n')
                    next = e + 2;
                else
                    return 0; /* a quote, a lone CR, or the end of the data */
            }
            fs[nf].ptr = p;
            fs[nf].len = (uint32_t)(e - p);
            fs[nf].col = (uint32_t)(p - rs) + 1;
            fs[nf].dline = 0;
            fs[nf].quoted = 0;
            nf++;
            if (!next) {
                p = e + 1;
                continue;
            }
            rec->fields = fs;
            rec->nfields = nf;
            rec->open_quote = 0;
            rec->line = r->line;
            rec->index = ++r->nrec;
            r->line++;
            r->cr = 0;
            r->pos = (size_t)(next - r->buf);
            return CSV_RECORD;
        }
    }
}
#endif


/*
 * Scan the record starting at buf[pos] (not a line end), or go on with the
 * one a previous call left unfinished (r->part). Returns CSV_MORE with the
 * state saved when the record runs past the buffered bytes.
 */
static int scan(csv_reader *r, csv_record *rec)
{
    char *const end = r->buf + r->len;
    char *const rs = r->buf + r->pos; /* the record's first byte */
    char *p = rs, *e = rs;
    const char *ls = rs; /* start of the current physical line */
    const char q = r->quote, d = r->delim;
    const finder plain = finder_of(r, d, '\n', '\r', 0);
    const finder inq = finder_of(r, q, '\n', '\r', 1);
    uint32_t nf = 0, dline = 0, i;
    int anyq = 0, open = 0, ended = 0, cr = 0, phase = 0;
    csv_field *f = NULL;

    if (r->part) {
        nf = r->pnf;
        dline = r->pdline;
        anyq = r->panyq;
        ls = rs + r->pls;
        e = rs + r->pe;
        phase = r->pphase;
        r->part = 0;
        if (phase == 0) {
            p = e;
        } else {
            f = &r->fields[nf - 1];
            p = (char *)f->ptr;
            if (phase == 1)
                goto in_quotes;
            goto unquoted;
        }
    }

    for (;;) {
        if (p == end && !r->eof) {
            /* A field starts here: whether it is quoted is not known yet. */
            e = p;
            phase = 0;
            goto more;
        }
        if (nf == r->fcap && grow_fields(r))
            return CSV_ERROR;
        f = &r->fields[nf++];
        f->ptr = p;
        f->col = (uint32_t)(p - ls) + 1;
        f->dline = dline;
        f->quoted = 0;
        e = p;
        if (*p == q) {
            f->quoted = 1;
            anyq = 1;
            e = p + 1;
        in_quotes:
            for (;;) {
                e = find(&inq, e);
                if (*e == q) {
                    /* Closing, or the first of a doubled quote? The next
                     * byte says, so it must be here. */
                    if (e + 1 == end && !r->eof) {
                        phase = 1;
                        goto more;
                    }
                    if (e + 1 < end && e[1] == q) {
                        e += 2;
                        continue;
                    }
                    e++;
                    break;
                }
                if (e == end) {
                    if (!r->eof) {
                        phase = 1;
                        goto more;
                    }
                    open = 1;
                    break;
                }
                /* A line end inside quotes is data; count the line. */
                if (*e == '\r') {
                    if (e + 1 == end && !r->eof) {
                        phase = 1;
                        goto more;
                    }
                    if (e + 1 < end && e[1] == '\n')
                        e++;
                }
                e++;
                dline++;
                ls = e;
            }
        }
        /* Unquoted, or the literal tail after a closing quote ("a"b). */
    unquoted:
        if (!open)
            e = find(&plain, e);
        f->len = (uint32_t)(e - p);
        if (e == end) {
            if (!r->eof) {
                phase = 2;
                goto more;
            }
            p = e;
            break;
        }
        if (*e == d) {
            p = e + 1;
            continue;
        }
        /* CR, LF or CRLF ends the record. */
        ended = 1;
        if (*e == '\r') {
            if (e + 1 == end)
                cr = 1; /* a LF may follow in the next bytes */
            else if (e[1] == '\n')
                e++;
        }
        p = e + 1;
        break;
    }

    if (anyq)
        for (i = 0; i < nf; i++)
            if (r->fields[i].quoted)
                r->fields[i].len = unquote((char *)r->fields[i].ptr, r->fields[i].len, q,
                                           &r->fields[i].ptr);
    rec->fields = r->fields;
    rec->nfields = nf;
    rec->open_quote = (uint8_t)open;
    rec->line = r->line;
    rec->index = ++r->nrec;
    r->line += dline + (uint64_t)ended;
    r->cr = (uint8_t)cr;
    r->pos = (size_t)(p - r->buf);
    return CSV_RECORD;

more:
    r->part = 1;
    r->pphase = (uint8_t)phase;
    r->pnf = nf;
    r->pdline = dline;
    r->panyq = (uint8_t)anyq;
    r->pe = (size_t)(e - rs);
    r->pls = (size_t)(ls - rs);
    return CSV_MORE;
}

/* csv_next() past its common case: the first record, blank lines, a record
 * left unfinished, or one that is not plain. */
static int next_record(csv_reader *r, csv_record *rec)
{
    static const char bom[3] = {'\xEF', '\xBB', '\xBF'};
    char *p, *end;

    if (r->failed)
        return CSV_ERROR;
    if (r->part)
        return scan(r, rec);
    p = r->buf + r->pos;
    end = r->buf + r->len;
    if (!r->started) {
        size_t n = (size_t)(end - p);
        if (n < 3 && !r->eof && memcmp(p, bom, n) == 0)
            return CSV_MORE;
        if (n >= 3 && memcmp(p, bom, 3) == 0)
            p += 3;
        r->started = 1;
    }
    /* Line ends between records: blank lines, or the LF of a CRLF whose CR
     * ended the previous buffer. */
    for (;;) {
        if (p == end) {
            r->pos = (size_t)(p - r->buf);
            return r->eof ? CSV_END : CSV_MORE;
        }
        if (*p == '\n') {
            if (!r->cr)
                r->line++;
            r->cr = 0;
        } else if (*p == '\r') {
            r->line++;
            r->cr = 1;
        } else {
            break;
        }
        p++;
    }
    r->cr = 0;
    r->pos = (size_t)(p - r->buf);
#if PLAIN_FAST
    if (scan_plain(r, rec))
        return CSV_RECORD;
#endif
    return scan(r, rec);
}

int csv_next(csv_reader *r, csv_record *rec)
{
#if PLAIN_FAST
    /* A record starts here (not a line end, nor the end of the data, where
     * the sentinel is a LF) and nothing is pending. */
    char c = r->buf[r->pos];
    if (c != '\n' && c != '\r' && r->started && !r->part && !r->failed) {
        if (scan_plain(r, rec))
            return CSV_RECORD;
        r->cr = 0;
        return scan(r, rec);
    }
#endif
    return next_record(r, rec);
}

/* ---------------------------------------------------------------- input */

char *csv_space(csv_reader *r, size_t *n)
{
    size_t keep;
    uint32_t i;

    if (r->failed)
        return NULL;
    keep = r->len - r->pos;
    if (r->pos) {
        /* An unfinished record's fields move with it. */
        if (r->part)
            for (i = 0; i < r->pnf; i++)
                r->fields[i].ptr = r->buf + (r->fields[i].ptr - (r->buf + r->pos));
        memmove(r->buf, r->buf + r->pos, keep);
        r->pos = 0;
        r->len = keep;
        r->buf[keep] = '\n';
    }
    /* Grow when less than a quarter is free, so that a long record comes
     * in large reads. */
    if (r->cap - r->len < r->cap / 4 + 1 && r->cap < CSV_MAX_RECORD) {
        size_t cap = r->cap * 2 > CSV_MAX_RECORD ? CSV_MAX_RECORD : r->cap * 2;
        char *b;
        if (r->part) /* pos is 0: the fields' offsets from buf */
            for (i = 0; i < r->pnf; i++)
                r->foff[i] = (uint32_t)(r->fields[i].ptr - r->buf);
        b = r->a.realloc(r->buf, cap + PAD);
        if (!b) {
            fail(r, "out of memory");
            return NULL;
        }
        if (r->part)
            for (i = 0; i < r->pnf; i++)
                r->fields[i].ptr = b + r->foff[i];
        memset(b + r->len, 0, cap + PAD - r->len);
        b[r->len] = '\n';
        r->buf = b;
        r->cap = cap;
    }
    if (r->len == r->cap) {
        fail(r, "a record is longer than %zu MiB", CSV_MAX_RECORD >> 20);
        return NULL;
    }
    *n = r->cap - r->len;
    return r->buf + r->len;
}

void csv_commit(csv_reader *r, size_t n)
{
    if (!r->nul && n && memchr(r->buf + r->len, '\0', n))
        r->nul = 1;
    r->len += n;
    r->buf[r->len] = '\n';
}

void csv_finish(csv_reader *r)
{
    r->eof = 1;
}

int csv_feed(csv_reader *r, const void *data, size_t n)
{
    const char *s = data;

    while (n) {
        size_t room, k;
        char *dst = csv_space(r, &room);
        if (!dst)
            return -1;
        k = room < n ? room : n;
        memcpy(dst, s, k);
        csv_commit(r, k);
        s += k;
        n -= k;
    }
    return 0;
}

int csv_fill_fd(csv_reader *r, int fd)
{
    size_t room, got = 0;
    char *dst = csv_space(r, &room);

    if (!dst)
        return -1;
    while (got < room) {
        ssize_t k = read(fd, dst + got, room - got);
        if (k > 0) {
            got += (size_t)k;
        } else if (k == 0) {
            break;
        } else if (errno != EINTR) {
            int e = errno;
            csv_commit(r, got);
            fail(r, "read error: %s", strerror(e));
            errno = e;
            return -1;
        }
    }
    csv_commit(r, got);
    if (got < room) {
        csv_finish(r);
        return got > 0;
    }
    return 1;
}

/* ---------------------------------------------------------------- life */

csv_reader *csv_new(char delim, char quote, size_t chunk, const csv_alloc *a)
{
    csv_reader *r;
    csv_alloc lib = {lib_alloc, lib_realloc, lib_free};

    if (delim == quote || delim == '\n' || delim == '\r' || quote == '\n' || quote == '\r')
        return NULL;
    if (a && a->alloc && a->realloc && a->free)
        lib = *a;
    r = lib.alloc(sizeof *r);
    if (!r)
        return NULL;
    memset(r, 0, sizeof *r);
    r->a = lib;
    r->delim = delim;
    r->quote = quote;
    r->cap = chunk ? chunk : CSV_CHUNK_DEFAULT;
    if (r->cap < MIN_CHUNK)
        r->cap = MIN_CHUNK;
    if (r->cap > CSV_MAX_RECORD)
        r->cap = CSV_MAX_RECORD;
    r->buf = lib.alloc(r->cap + PAD);
    if (!r->buf) {
        lib.free(r);
        return NULL;
    }
    memset(r->buf, 0, r->cap + PAD);
#if CSV_SIMD
    memset(r->pset[0], delim, 16);
    memset(r->pset[1], quote, 16);
    memset(r->pset[2], '\n', 16);
    memset(r->pset[3], '\r', 16);
#endif
#if !CSV_SIMD
    r->stop_plain[(unsigned char)delim] = 1;
    r->stop_plain['\n'] = r->stop_plain['\r'] = 1;
    r->stop_quoted[(unsigned char)quote] = 1;
    r->stop_quoted['\n'] = r->stop_quoted['\r'] = 1;
#endif
    csv_reset(r);
    return r;
}

void csv_reset(csv_reader *r)
{
    r->len = r->pos = 0;
    r->buf[0] = '\n';
    r->line = 1;
    r->nrec = 0;
    r->eof = r->started = r->cr = r->failed = r->nul = r->part = 0;
    r->err[0] = '\0';
}

void csv_free(csv_reader *r)
{
    if (!r)
        return;
    r->a.free(r->fields);
    r->a.free(r->foff);
    r->a.free(r->buf);
    r->a.free(r);
}

int csv_saw_nul(const csv_reader *r)
{
    return r->nul;
}

const char *csv_error(const csv_reader *r)
{
    return r->err;
}
