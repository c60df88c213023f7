/*
 * crm_value.c - JSON paths, typed values, dates and masking for crm_rest.
 *
 * Pure functions over jansson values: no I/O and no libcurl, so the unit
 * test compiles this file in and feeds it real JSON.
 */
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crm_rest.h"

#define CHUNK ((size_t)64 << 10)

/* ---------------------------------------------------------------- paths */

void crm_path_free(crm_path *p)
{
    size_t i;

    if (!p)
        return;
    for (i = 0; i < p->n; i++)
        free(p->step[i].key);
    free(p->step);
    free(p->text);
    memset(p, 0, sizeof *p);
}

static int add_step(crm_path *p, const char *key, size_t klen, int is_index)
{
    crm_step *s = realloc(p->step, (p->n + 1) * sizeof *s);

    if (!s)
        return -1;
    p->step = s;
    s = &p->step[p->n];
    memset(s, 0, sizeof *s);
    if (is_index) {
        size_t i, v = 0;
        for (i = 0; i < klen; i++) {
            if (key[i] < '0' || key[i] > '9' || v > (SIZE_MAX - 9) / 10)
                return -1;
            v = v * 10 + (size_t)(key[i] - '0');
        }
        s->index = v;
    } else {
        s->key = malloc(klen + 1);
        if (!s->key)
            return -1;
        memcpy(s->key, key, klen);
        s->key[klen] = '\0';
    }
    p->n++;
    return 0;
}

static int all_digits(const char *s, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        if (s[i] < '0' || s[i] > '9')
            return 0;
    return n > 0;
}

int crm_path_compile(const char *text, crm_path *p, char *why, size_t nwhy)
{
    const char *s = text;

    memset(p, 0, sizeof *p);
    p->text = strdup(text ? text : "");
    if (!p->text) {
        snprintf(why, nwhy, "out of memory");
        return -1;
    }
    if (!text || !*text || strcmp(text, ".") == 0)
        return 0;
    while (*s) {
        size_t n = strcspn(s, ".[");
        if (n) {
            /* "items.0.name": a segment of digits is an index. */
            if (add_step(p, s, n, all_digits(s, n)))
                goto bad;
            s += n;
        } else if (*s != '[') {
            goto bad; /* "a..b" or a leading dot */
        }
        while (*s == '[') {
            const char *e = strchr(s, ']');
            if (!e || e == s + 1 || add_step(p, s + 1, (size_t)(e - s - 1), 1))
                goto bad;
            s = e + 1;
        }
        if (*s == '.') {
            s++;
            if (!*s)
                goto bad;
        } else if (*s) {
            goto bad;
        }
    }
    return 0;
bad:
    snprintf(why, nwhy, "\"%s\" is not a JSON path (expected names and indexes like "
             "properties.email or emails[0].value)", text);
    crm_path_free(p);
    return -1;
}

json_t *crm_path_get(json_t *root, const crm_path *p)
{
    size_t i;
    json_t *v = root;

    for (i = 0; v && i < p->n; i++) {
        const crm_step *s = &p->step[i];
        if (s->key)
            v = json_is_object(v) ? json_object_get(v, s->key) : NULL;
        else if (json_is_array(v))
            v = json_array_get(v, s->index);
        else if (json_is_object(v)) {
            /* an all-digit name may be an object key ("0": ...) */
            char k[24];
            snprintf(k, sizeof k, "%zu", s->index);
            v = json_object_get(v, k);
        } else
            v = NULL;
    }
    return v;
}

/* ---------------------------------------------------------------- arena */

struct crm_chunk {
    crm_chunk *next;
    size_t used, cap;
    char data[];
};

char *crm_arena_put(crm_arena *a, const char *s, size_t n)
{
    crm_chunk *c = a->cur;
    char *d;

    while (c && c->cap - c->used < n) {
        c = c->next;
        if (c)
            c->used = 0;
    }
    if (!c) {
        size_t cap = n > CHUNK ? n : CHUNK;
        c = malloc(sizeof *c + cap);
        if (!c)
            return NULL;
        c->next = NULL;
        c->used = 0;
        c->cap = cap;
        if (a->cur) {
            /* keep the list: put the new chunk after the current one */
            c->next = a->cur->next;
            a->cur->next = c;
        } else {
            c->next = a->head;
            a->head = c;
        }
    }
    a->cur = c;
    d = c->data + c->used;
    memcpy(d, s, n);
    c->used += n;
    return d;
}

void crm_arena_reset(crm_arena *a)
{
    a->cur = a->head;
    if (a->head)
        a->head->used = 0;
}

void crm_arena_free(crm_arena *a)
{
    crm_chunk *c = a->head;

    while (c) {
        crm_chunk *n = c->next;
        free(c);
        c = n;
    }
    a->head = a->cur = NULL;
}

/* ---------------------------------------------------------------- dates */

static int isdig(char c) { return c >= '0' && c <= '9'; }

static int num(const char *s, size_t n, size_t at, size_t len, int *out)
{
    size_t i;
    int v = 0;

    if (at + len > n)
        return -1;
    for (i = 0; i < len; i++) {
        if (!isdig(s[at + i]))
            return -1;
        v = v * 10 + (s[at + i] - '0');
    }
    *out = v;
    return 0;
}

int64_t crm_days_of_ms(int64_t ms)
{
    int64_t d = ms / 86400000;
    if (ms % 86400000 < 0)
        d--;
    return d;
}

int crm_parse_date(const char *s, size_t n, int64_t *days)
{
    int h = 0, mi = 0, se = 0;
    int64_t day, secs, off = 0;
    size_t i;

    while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
        n--;
    while (n && (*s == ' ' || *s == '\t'))
        s++, n--;
    if (n >= 9 && all_digits(s + (*s == '-'), n - (*s == '-'))) {
        /* epoch milliseconds: nine digits or more (a date never is) */
        char buf[24];
        long long ms;
        if (n >= sizeof buf)
            return -1;
        memcpy(buf, s, n);
        buf[n] = '\0';
        errno = 0;
        ms = strtoll(buf, NULL, 10);
        if (errno)
            return -1;
        *days = crm_days_of_ms(ms);
        return 0;
    }
    /* YYYY-MM-DD, then perhaps a time */
    if (n < 10 || quire_parse_iso_date(s, 10, &day))
        return -1;
    if (n == 10) {
        *days = day;
        return 0;
    }
    if ((s[10] != 'T' && s[10] != 't' && s[10] != ' ') || num(s, n, 11, 2, &h) || n < 16 ||
        s[13] != ':' || num(s, n, 14, 2, &mi) || h > 24 || mi > 59)
        return -1;
    i = 16;
    if (i < n && s[i] == ':') {
        if (num(s, n, 17, 2, &se) || se > 60)
            return -1;
        i = 19;
        if (i < n && (s[i] == '.' || s[i] == ',')) {
            i++;
            if (i >= n || !isdig(s[i]))
                return -1;
            while (i < n && isdig(s[i]))
                i++;
        }
    }
    if (i < n) {
        if ((s[i] == 'Z' || s[i] == 'z') && i + 1 == n) {
            off = 0;
        } else if (s[i] == '+' || s[i] == '-') {
            int oh, om = 0;
            size_t j = i + 1;
            if (num(s, n, j, 2, &oh))
                return -1;
            j += 2;
            if (j < n && s[j] == ':')
                j++;
            if (j < n && num(s, n, j, 2, &om))
                return -1;
            if (j < n)
                j += 2;
            if (j != n || oh > 23 || om > 59)
                return -1;
            off = (oh * 3600 + om * 60) * (s[i] == '-' ? -1 : 1);
        } else {
            return -1;
        }
    }
    secs = day * 86400 + h * 3600 + mi * 60 + se - off;
    *days = secs >= 0 ? secs / 86400 : -((-secs + 86399) / 86400);
    return 0;
}

/* ---------------------------------------------------------------- values */

static const char *kind(const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: return "an object";
    case JSON_ARRAY: return "an array";
    case JSON_STRING: return "a string";
    case JSON_INTEGER: return "an integer";
    case JSON_REAL: return "a number";
    case JSON_TRUE:
    case JSON_FALSE: return "a boolean";
    default: return "null";
    }
}

/* A short quote of v for messages. */
static void show(const json_t *v, char *out, size_t n)
{
    if (json_is_string(v))
        snprintf(out, n, "\"%.40s\"%s", json_string_value(v),
                 json_string_length(v) > 40 ? "..." : "");
    else if (json_is_integer(v))
        snprintf(out, n, "%lld", (long long)json_integer_value(v));
    else if (json_is_real(v))
        snprintf(out, n, "%.17g", json_real_value(v));
    else
        snprintf(out, n, "%s", kind(v));
}

/* The n bytes at s as a string: in small (of size k) when they fit, else in
 * a new heap copy (a numeric string may have any number of digits). NULL
 * when out of memory. */
static char *zcopy(const char *s, size_t n, char *small, size_t k)
{
    char *b = n < k ? small : malloc(n + 1);
    if (b) {
        memcpy(b, s, n);
        b[n] = '\0';
    }
    return b;
}

static int str_int(const char *s, size_t n, int64_t *out)
{
    char small[32], *buf, *end;
    long long x;
    int rc = -1;

    if (n == 0 || !(buf = zcopy(s, n, small, sizeof small)))
        return -1;
    errno = 0;
    x = strtoll(buf, &end, 10);
    if (!errno && !*end && (isdig(buf[0]) || buf[0] == '-' || buf[0] == '+')) {
        *out = x;
        rc = 0;
    }
    if (buf != small)
        free(buf);
    return rc;
}

static int str_num(const char *s, size_t n, double *out)
{
    char small[64], *buf, *end;
    double x;
    int rc = -1;

    if (n == 0 || !(buf = zcopy(s, n, small, sizeof small)))
        return -1;
    errno = 0;
    x = strtod(buf, &end);
    if (!*end && isfinite(x) && buf[0] != ' ') {
        *out = x;
        rc = 0;
    }
    if (buf != small)
        free(buf);
    return rc;
}

static int bad(char *why, size_t nwhy, const char *want, const json_t *v)
{
    char got[64];

    show(v, got, sizeof got);
    snprintf(why, nwhy, "expected %s, got %s", want, got);
    return -1;
}

int crm_convert(json_t *v, quire_type t, quire_cell *c, crm_arena *a, char *why, size_t nwhy)
{
    memset(c, 0, sizeof *c);
    if (!v || json_is_null(v)) {
        c->null = 1;
        return 0;
    }
    switch (t) {
    case QUIRE_T_STRING: {
        char tmp[64];
        const char *s = tmp;
        size_t n;
        char *dumped = NULL;
        if (json_is_string(v)) {
            c->v.s.ptr = json_string_value(v);
            c->v.s.len = (uint32_t)json_string_length(v);
            return 0;
        }
        if (json_is_integer(v))
            n = (size_t)snprintf(tmp, sizeof tmp, "%lld", (long long)json_integer_value(v));
        else if (json_is_real(v))
            n = (size_t)snprintf(tmp, sizeof tmp, "%.17g", json_real_value(v));
        else if (json_is_boolean(v))
            n = (size_t)snprintf(tmp, sizeof tmp, "%s", json_is_true(v) ? "true" : "false");
        else {
            dumped = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
            if (!dumped) {
                snprintf(why, nwhy, "out of memory");
                return -1;
            }
            s = dumped;
            n = strlen(dumped);
        }
        c->v.s.ptr = crm_arena_put(a, s, n ? n : 1);
        c->v.s.len = (uint32_t)n;
        free(dumped);
        if (!c->v.s.ptr) {
            snprintf(why, nwhy, "out of memory");
            return -1;
        }
        return 0;
    }
    case QUIRE_T_INTEGER:
        if (json_is_integer(v)) {
            c->v.i = json_integer_value(v);
            return 0;
        }
        if (json_is_real(v)) {
            double x = json_real_value(v);
            if (x == floor(x) && fabs(x) < 9.0e15) {
                c->v.i = (int64_t)x;
                return 0;
            }
        }
        if (json_is_string(v) && json_string_length(v) == 0) {
            c->null = 1;
            return 0;
        }
        if (json_is_string(v) &&
            str_int(json_string_value(v), json_string_length(v), &c->v.i) == 0)
            return 0;
        return bad(why, nwhy, "an integer", v);
    case QUIRE_T_NUMBER:
        if (json_is_number(v)) {
            c->v.n = json_number_value(v);
            return 0;
        }
        if (json_is_string(v) && json_string_length(v) == 0) {
            c->null = 1;
            return 0;
        }
        if (json_is_string(v) &&
            str_num(json_string_value(v), json_string_length(v), &c->v.n) == 0)
            return 0;
        return bad(why, nwhy, "a number", v);
    case QUIRE_T_BOOLEAN:
        if (json_is_boolean(v)) {
            c->v.i = json_is_true(v);
            return 0;
        }
        if (json_is_integer(v) && (json_integer_value(v) == 0 || json_integer_value(v) == 1)) {
            c->v.i = json_integer_value(v);
            return 0;
        }
        if (json_is_string(v)) {
            const char *s = json_string_value(v);
            if (!*s) {
                c->null = 1;
                return 0;
            }
            if (strcmp(s, "true") == 0 || strcmp(s, "TRUE") == 0 || strcmp(s, "True") == 0 ||
                strcmp(s, "1") == 0) {
                c->v.i = 1;
                return 0;
            }
            if (strcmp(s, "false") == 0 || strcmp(s, "FALSE") == 0 || strcmp(s, "False") == 0 ||
                strcmp(s, "0") == 0) {
                c->v.i = 0;
                return 0;
            }
        }
        return bad(why, nwhy, "a boolean (true/false)", v);
    case QUIRE_T_DATE:
        if (json_is_integer(v)) {
            c->v.i = crm_days_of_ms(json_integer_value(v));
            return 0;
        }
        if (json_is_real(v)) {
            /* epoch milliseconds as a number: within what an int64 holds
             * (about 292 million years either way), else not a date */
            double ms = floor(json_real_value(v));
            if (ms >= -9.2e18 && ms <= 9.2e18) {
                c->v.i = crm_days_of_ms((int64_t)ms);
                return 0;
            }
        }
        if (json_is_string(v) && json_string_length(v) == 0) {
            c->null = 1;
            return 0;
        }
        if (json_is_string(v) &&
            crm_parse_date(json_string_value(v), json_string_length(v), &c->v.i) == 0)
            return 0;
        return bad(why, nwhy, "an ISO 8601 date or date-time, or epoch milliseconds", v);
    }
    snprintf(why, nwhy, "unknown column type %d", (int)t);
    return -1;
}

/* ---------------------------------------------------------------- masking */

static void pct_encode(const char *s, char *out, size_t n)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t o = 0;

    for (; *s && o + 4 < n; s++) {
        unsigned char ch = (unsigned char)*s;
        if ((ch >= 'a' && ch <= 'z') || (ch >= 'A' && ch <= 'Z') || (ch >= '0' && ch <= '9') ||
            ch == '-' || ch == '_' || ch == '.' || ch == '~') {
            out[o++] = (char)ch;
        } else {
            out[o++] = '%';
            out[o++] = hex[ch >> 4];
            out[o++] = hex[ch & 15];
        }
    }
    out[o] = '\0';
}

/* Put "***" in place of buf[from, to) in buf (NUL-terminated, capacity n),
 * cutting the end when the text grows past the capacity. */
static char *splice(char *buf, size_t n, char *from, char *to)
{
    size_t pre = (size_t)(from - buf), tail = strlen(to) + 1;

    if (pre + 4 > n) {
        *from = '\0';
        return from;
    }
    if (pre + 3 + tail > n) {
        tail = n - pre - 3;
        memmove(from + 3, to, tail);
        from[3 + tail - 1] = '\0';
    } else {
        memmove(from + 3, to, tail);
    }
    memcpy(from, "***", 3);
    return from + 3;
}

/* Replace each occurrence of needle in buf by "***". */
static void replace_all(char *buf, size_t n, const char *needle)
{
    size_t nl = strlen(needle);
    char *p = buf;

    if (nl == 0)
        return;
    while (*p && (p = strstr(p, needle)) != NULL)
        p = splice(buf, n, p, p + nl);
}

static void mask_in(char *out, size_t n, const char *const *secrets, const char *param);

void crm_mask(const char *in, char *out, size_t n, const char *const *secrets, const char *param)
{
    /* mask the whole text first, then cut: a cut must not leave part of a secret */
    size_t len = in ? strlen(in) : 0, cap = 2 * len + 64;
    char *tmp = malloc(cap);

    if (!n)
        return;
    if (tmp) {
        memcpy(tmp, in ? in : "", len + 1);
        mask_in(tmp, cap, secrets, param);
        snprintf(out, n, "%s", tmp);
        free(tmp);
    } else {
        snprintf(out, n, "%s", in ? in : "");
    }
    mask_in(out, n, secrets, param);
}

/* Mask in place in out (NUL-terminated, capacity n). */
static void mask_in(char *out, size_t n, const char *const *secrets, const char *param)
{
    size_t i;

    for (i = 0; secrets && secrets[i]; i++) {
        char enc[1024];
        if (!secrets[i][0])
            continue;
        replace_all(out, n, secrets[i]);
        if (strlen(secrets[i]) * 3 < sizeof enc) {
            pct_encode(secrets[i], enc, sizeof enc);
            replace_all(out, n, enc);
        }
    }
    if (param && *param) {
        /* ...?param=VALUE&... or &param=VALUE */
        size_t pl = strlen(param);
        char *p = out;
        while ((p = strstr(p, param)) != NULL) {
            char *v = p + pl, *e;
            if ((p == out || (p[-1] != '?' && p[-1] != '&')) || *v != '=') {
                p = v;
                continue;
            }
            v++;
            /* the value ends where the URL does in a message too: "URL: page 3" */
            if (strncmp(v, "***", 3) == 0) {
                p = v + 3; /* already masked: what follows is not the value */
                continue;
            }
            e = v + strcspn(v, "&#:;,)> \"'\t\r\n");
            p = splice(out, n, v, e);
        }
    }
}

uint64_t crm_hash(uint64_t h, const void *p, size_t n)
{
    const unsigned char *s = p;
    size_t i;

    for (i = 0; i < n; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    return h;
}
