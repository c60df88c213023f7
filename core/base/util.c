/* util.c - memory, strings, paths. */
#include "util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "error.h"

/* Out of memory: say so and end the process with the status of a failed
 * run, at once. quick_exit(), not abort() (nothing dumps core; the program's
 * at_quick_exit handlers remove temporary outputs) and not exit(): other
 * threads may be running (reading sources, hashing inputs), and exit()'s
 * handlers would tear down libraries under them. */
static void oom(size_t n)
{
    quire_error e = {0};
    char line[256];

    quire_err_at(&e, QUIRE_EXIT_DATA, "quire", 0, 0, "out of memory (asked for %zu bytes)", n);
    fprintf(stderr, "%s\n", quire_err_format(&e, line, sizeof line));
    quick_exit(QUIRE_EXIT_DATA);
}

double quire_monotonic(void)
{
    struct timespec t;

    clock_gettime(CLOCK_MONOTONIC, &t);
    return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

void *xmalloc(size_t n)
{
    void *p = malloc(n ? n : 1);
    if (!p)
        oom(n);
    return p;
}

void *xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p)
        oom(n * size);
    return p;
}

void *xrealloc(void *p, size_t n)
{
    void *q = realloc(p, n ? n : 1);
    if (!q)
        oom(n);
    return q;
}

char *xstrdup(const char *s)
{
    return xstrndup(s, strlen(s));
}

char *xstrndup(const char *s, size_t n)
{
    char *p = xmalloc(n + 1);
    memcpy(p, s, n);
    p[n] = '\0';
    return p;
}

char *xasprintf(const char *fmt, ...)
{
    va_list ap;
    int n;
    char *p;

    va_start(ap, fmt);
    n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    p = xmalloc((size_t)n + 1);
    va_start(ap, fmt);
    vsnprintf(p, (size_t)n + 1, fmt, ap);
    va_end(ap);
    return p;
}

int edit_distance(const char *a, const char *b, int cap)
{
    size_t la = strlen(a), lb = strlen(b), i, j;
    int row[64], best, prev, cur;

    if (lb >= 64 || la >= 64)
        return cap + 1;
    for (j = 0; j <= lb; j++)
        row[j] = (int)j;
    for (i = 1; i <= la; i++) {
        prev = row[0];
        row[0] = (int)i;
        best = row[0];
        for (j = 1; j <= lb; j++) {
            int sub = prev + (a[i - 1] != b[j - 1]);
            int del = row[j] + 1, ins = row[j - 1] + 1;
            cur = sub < del ? sub : del;
            cur = cur < ins ? cur : ins;
            prev = row[j];
            row[j] = cur;
            if (cur < best)
                best = cur;
        }
        if (best > cap)
            return cap + 1;
    }
    return row[lb];
}

const char *closest_word(const char *word, const char *const *candidates, size_t n)
{
    const char *best = NULL;
    int bestd = 3;
    size_t i;

    for (i = 0; i < n; i++) {
        int d = edit_distance(word, candidates[i], 2);
        if (d < bestd) {
            bestd = d;
            best = candidates[i];
        }
    }
    return best;
}

void sb_add(strbuf *b, const char *s, size_t n)
{
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap * 2 : 256;
        while (cap < b->len + n + 1)
            cap *= 2;
        b->s = xrealloc(b->s, cap);
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void sb_puts(strbuf *b, const char *s)
{
    sb_add(b, s, strlen(s));
}

void sb_printf(strbuf *b, const char *fmt, ...)
{
    va_list ap;
    char small[256];
    int n;

    va_start(ap, fmt);
    n = vsnprintf(small, sizeof small, fmt, ap);
    va_end(ap);
    if (n < (int)sizeof small) {
        sb_add(b, small, (size_t)n);
        return;
    }
    {
        char *big = xmalloc((size_t)n + 1);
        va_start(ap, fmt);
        vsnprintf(big, (size_t)n + 1, fmt, ap);
        va_end(ap);
        sb_add(b, big, (size_t)n);
        free(big);
    }
}

void sb_csv_field(strbuf *b, const char *s, size_t n)
{
    size_t i, from = 0;

    if (!memchr(s, ',', n) && !memchr(s, '"', n) && !memchr(s, '\n', n) && !memchr(s, '\r', n)) {
        sb_add(b, s, n);
        return;
    }
    sb_add(b, "\"", 1);
    for (i = 0; i < n; i++)
        if (s[i] == '"') {
            sb_add(b, s + from, i + 1 - from); /* the quote, then itself again */
            from = i;
        }
    sb_add(b, s + from, n - from);
    sb_add(b, "\"", 1);
}

void sb_csv_cstr(strbuf *b, const char *s)
{
    sb_csv_field(b, s, strlen(s));
}

/* The length of the well-formed UTF-8 sequence at s (n bytes left), or 0:
 * no overlong forms, no surrogates, nothing past U+10FFFF (RFC 3629). */
static size_t utf8_len(const unsigned char *s, size_t n)
{
    unsigned c = s[0];
    size_t len, k;
    unsigned long cp;

    if (c < 0x80)
        return 1;
    if (c >= 0xC2 && c <= 0xDF)
        len = 2, cp = c & 0x1F;
    else if (c >= 0xE0 && c <= 0xEF)
        len = 3, cp = c & 0x0F;
    else if (c >= 0xF0 && c <= 0xF4)
        len = 4, cp = c & 0x07;
    else
        return 0;
    if (len > n)
        return 0;
    for (k = 1; k < len; k++) {
        if ((s[k] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[k] & 0x3F);
    }
    if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return len;
}

/* Bytes that are not UTF-8 (a Latin-1 file, a cut sequence) become U+FFFD,
 * so that the output is always JSON. */
void sb_json_string(strbuf *b, const char *s, size_t n)
{
    size_t i;

    sb_add(b, "\"", 1);
    for (i = 0; i < n; i++) {
        unsigned char ch = (unsigned char)s[i];
        if (ch == '"' || ch == '\\') {
            sb_add(b, "\\", 1);
            sb_add(b, s + i, 1);
        } else if (ch == '\n') {
            sb_puts(b, "\\n");
        } else if (ch == '\r') {
            sb_puts(b, "\\r");
        } else if (ch == '\t') {
            sb_puts(b, "\\t");
        } else if (ch < 0x20) {
            sb_printf(b, "\\u%04x", ch);
        } else if (ch < 0x80) {
            sb_add(b, s + i, 1);
        } else {
            size_t len = utf8_len((const unsigned char *)s + i, n - i);
            if (len) {
                sb_add(b, s + i, len);
                i += len - 1;
            } else {
                sb_puts(b, "\\ufffd");
            }
        }
    }
    sb_add(b, "\"", 1);
}

void sb_json_cstr(strbuf *b, const char *s)
{
    sb_json_string(b, s ? s : "", s ? strlen(s) : 0);
}

void sb_free(strbuf *b)
{
    free(b->s);
    b->s = NULL;
    b->len = b->cap = 0;
}

void format_plain_number(char *buf, size_t n, double v)
{
    char g[40];
    const char *e;
    int prec, exp10, k;

    if (n == 0)
        return;
    if (v != v || v - v != 0) { /* NaN, infinities */
        snprintf(buf, n, "%g", v);
        return;
    }
    /* Whole numbers below 10^15 as integers ("-0" for negative zero, which
     * reads back as -0.0). The range is checked before the cast. */
    if (v > -1e15 && v < 1e15 && v == (double)(long long)v) {
        snprintf(buf, n, "%.0f", v);
        return;
    }
    /* The fewest significant digits that read back as v (17 always do). */
    for (prec = 1; prec <= 17; prec++) {
        snprintf(g, sizeof g, "%.*g", prec, v);
        if (strtod(g, NULL) == v)
            break;
    }
    e = strchr(g, 'e');
    if (e) {
        /* Without the exponent when the decimal stays short (10^-7 to 10^21,
         * as JavaScript prints numbers) and fits; else the exponent form,
         * which reads back just as exactly: 1.5e+40, 4.9406564584124654e-324. */
        exp10 = atoi(e + 1);
        if (exp10 >= -7 && exp10 < 21) {
            int frac = prec - 1 - exp10;

            k = snprintf(buf, n, "%.*f", frac > 0 ? frac : 0, v);
            if (k >= 0 && (size_t)k < n && strtod(buf, NULL) == v)
                return;
        }
    }
    snprintf(buf, n, "%s", g);
}

char *tmp_template(const char *prefix)
{
    size_t n = strlen(prefix);
    char *t = xmalloc(n + 7);

    memcpy(t, prefix, n);
    memset(t + n, 'X', 6); /* what mkstemp and mkdtemp replace */
    t[n + 6] = '\0';
    return t;
}

char *path_dirname(const char *path)
{
    const char *slash = strrchr(path, '/');
    if (!slash)
        return xstrdup(".");
    if (slash == path)
        return xstrdup("/");
    return xstrndup(path, (size_t)(slash - path));
}

char *path_join(const char *dir, const char *path)
{
    if (path[0] == '/' || !dir || !*dir || strcmp(dir, ".") == 0)
        return xstrdup(path);
    return xasprintf("%s/%s", dir, path);
}

int path_within(const char *root, const char *path)
{
    char *real, *dir, *rest = NULL;
    size_t n;
    int in = 0;

    /* The longest leading part of path that exists, resolved (symlinks
     * included); what follows it does not exist yet (an output), so holds
     * no symlink, and must hold no "..". */
    real = realpath(path, NULL);
    if (!real) {
        const char *base = strrchr(path, '/');
        base = base ? base + 1 : path;
        if (strcmp(base, "..") == 0 || strcmp(base, ".") == 0 || !*base)
            return 0;
        dir = path_dirname(path);
        if (strcmp(dir, path) == 0) {
            free(dir);
            return 0;
        }
        if (!path_within(root, dir)) {
            free(dir);
            return 0;
        }
        real = realpath(dir, NULL);
        free(dir);
        if (!real)
            return 1; /* inside, though the folder does not exist either */
        rest = xasprintf("%s/%s", real, base);
        free(real);
        real = rest;
    }
    n = strlen(root);
    while (n > 1 && root[n - 1] == '/')
        n--;
    if (strncmp(real, root, n) == 0 && (real[n] == '\0' || real[n] == '/' || n == 1))
        in = 1;
    free(real);
    return in;
}
