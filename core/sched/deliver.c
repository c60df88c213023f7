/*
 * deliver.c - folder, SMTP and webhook delivery of one report to one
 * recipient.
 */
#include "deliver.h"

#define CURL_DISABLE_TYPECHECK /* calls go through cu: no macro wrappers */
#include <curl/curl.h>
#include <errno.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "atomic.h"
#include "date.h"
#include "dynlib.h"
#include "summary.h"
#include "util.h"

/* ------------------------------------------------------------ helpers */

static int read_file(const char *path, strbuf *b)
{
    FILE *f = fopen(path, "rb");
    char buf[65536];
    size_t n;

    if (!f)
        return -1;
    while ((n = fread(buf, 1, sizeof buf, f)) > 0)
        sb_add(b, buf, n);
    n = (size_t)ferror(f);
    fclose(f);
    if (!b->s)
        sb_add(b, "", 0);
    return n ? -1 : 0;
}

/* A secret from the environment variable env or the file path (its first
 * line). NULL when neither is set; *bad when a named one is missing. */
static char *secret(const char *env, const char *path, int *bad)
{
    *bad = 0;
    if (env) {
        const char *v = getenv(env);
        if (v && *v)
            return xstrdup(v);
        if (!path) {
            *bad = 1;
            return NULL;
        }
    }
    if (path) {
        strbuf b = {0};
        if (read_file(path, &b)) {
            sb_free(&b);
            *bad = 1;
            return NULL;
        }
        b.s[strcspn(b.s, "\r\n")] = '\0';
        return b.s;
    }
    return NULL;
}

/* The month of "YYYY-MM" or "YYYY-MM-DD", or -1. */
static int month_in(const char *value)
{
    int32_t days;

    if (parse_date(value, &days) == 0)
        return month_of_days(days);
    return parse_month(value);
}

/* The day of "YYYY-MM-DD", or of "YYYY-MM" its first (last: its last) day;
 * -1 when neither. */
static int32_t day_in(const char *value, int last)
{
    int32_t days;
    int m;

    if (parse_date(value, &days) == 0)
        return days;
    if ((m = parse_month(value)) < 0)
        return -1;
    return last ? days_from_civil(m / 12, m % 12 + 1, days_in_month(m / 12, m % 12 + 1))
                : days_from_civil(m / 12, m % 12 + 1, 1);
}

/* {from:FORMAT}, {to:FORMAT} (date.h's formats) and {period:name} at p, in
 * words into out; the length of the braces, or 0 when p holds none of them
 * (schedule.c checked the templates). */
static size_t formatted(const char *p, const deliver_job *j, char *out, size_t n)
{
    const char *end = strchr(p, '}'), *colon = memchr(p, ':', end ? (size_t)(end - p) : 0);
    const char *fmt;
    size_t len;

    if (!colon)
        return 0;
    fmt = colon + 1;
    len = (size_t)(end - fmt);
    if (strncmp(p, "{from:", 6) == 0 && format_value_as(out, n, j->from, fmt, len) == 0)
        return (size_t)(end - p) + 1;
    if (strncmp(p, "{to:", 4) == 0 && format_value_as(out, n, j->to, fmt, len) == 0)
        return (size_t)(end - p) + 1;
    if (strncmp(p, "{period:name}", 13) == 0 && j->grain.kind != GRAIN_MONTH &&
        day_in(j->from, 0) >= 0 && day_in(j->to, 1) >= 0) {
        /* the report's periods: "2024-W17", "Q4 FY2023/24", "2021-W01 \u2013 2021-W08" */
        grain_period_name(out, n, j->grain, grain_period(j->grain, day_in(j->from, 0)),
                          grain_period(j->grain, day_in(j->to, 1)));
        return 13;
    }
    if (strncmp(p, "{period:name}", 13) == 0 && month_in(j->from) >= 0 && month_in(j->to) >= 0) {
        format_period_name(out, n, month_in(j->from), month_in(j->to));
        return 13;
    }
    return 0;
}

static void subst(strbuf *b, const char *tmpl, const deliver_job *j)
{
    const char *p = tmpl;
    while (*p) {
        const char *v = NULL;
        size_t n = 0;
        if (*p == '{') {
            static const char *const keys[] = {"{report}", "{period}", "{from}", "{to}",
                                               "{date}", "{run}"};
            size_t k;
            char run[32], words[128];
            snprintf(run, sizeof run, "%lld", j->run_id);
            for (k = 0; k < 6 && !v; k++) {
                n = strlen(keys[k]);
                if (strncmp(p, keys[k], n) == 0) {
                    const char *vals[] = {j->report, j->period, j->from, j->to, j->date, run};
                    sb_puts(b, vals[k]);
                    v = vals[k];
                }
            }
            if (!v && (n = formatted(p, j, words, sizeof words)) > 0) {
                sb_puts(b, words);
                v = words;
            }
        }
        if (v) {
            p += n;
        } else {
            sb_add(b, p, 1);
            p++;
        }
    }
    if (!b->s)
        sb_add(b, "", 0);
}

char *deliver_file_name(const deliver_job *j)
{
    strbuf b = {0};
    char *p;
    subst(&b, j->t->name, j);
    for (p = b.s; *p; p++)
        if (*p == '/')
            *p = '_';
    return b.s;
}

/* ------------------------------------------------------------ folder */

static int mkdirs(const char *dir)
{
    char *p = xstrdup(dir), *s;
    int rc = 0;

    for (s = p + 1; *s; s++) {
        if (*s != '/')
            continue;
        *s = '\0';
        if (mkdir(p, 0777) && errno != EEXIST)
            rc = -1;
        *s = '/';
    }
    if (mkdir(p, 0777) && errno != EEXIST)
        rc = -1;
    free(p);
    return rc;
}

static int deliver_folder(const deliver_job *j, quire_error *err)
{
    char *name = deliver_file_name(j);
    char *dest = xasprintf("%s/%s", j->recipient, name);
    /* hidden from whatever watches the folder until it is renamed */
    char *tmp = xasprintf("%s/.%s.tmp.%ld", j->recipient, name, (long)getpid());
    strbuf b = {0};
    atomic_file af;
    int rc = -1;

    if (mkdirs(j->recipient)) {
        quire_err_at(err, QUIRE_EXIT_DELIVERY, j->recipient, 0, 0, "cannot create folder: %s",
                     strerror(errno));
        goto done;
    }
    if (read_file(j->pdf, &b)) {
        quire_err_at(err, QUIRE_EXIT_DELIVERY, j->pdf, 0, 0, "cannot read: %s", strerror(errno));
        goto done;
    }
    if (atomic_open(&af, dest, tmp, 0644, 0, err) || atomic_put(&af, b.s, b.len, err) ||
        atomic_commit(&af, err))
        goto done;
    rc = 0;
done:
    sb_free(&b);
    free(name);
    free(dest);
    free(tmp);
    return rc;
}

/* ------------------------------------------------------------ curl */

typedef struct upload {
    const char *p;
    size_t left;
} upload;

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *user)
{
    upload *u = user;
    size_t n = size * nmemb;
    if (n > u->left)
        n = u->left;
    memcpy(buf, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

static size_t discard_cb(char *buf, size_t size, size_t nmemb, void *user)
{
    (void)buf;
    (void)user;
    return size * nmemb;
}

/* libcurl, loaded on the first transfer (dynlib.h): a run that delivers
 * to a folder, or not at all, does not pay for loading it. */
#define CURL_API(X)                                                                            \
    X(curl_global_init) X(curl_easy_init) X(curl_easy_setopt) X(curl_easy_perform)             \
    X(curl_easy_getinfo) X(curl_easy_cleanup) X(curl_easy_strerror) X(curl_slist_append)        \
    X(curl_slist_free_all)
static struct {
    CURL_API(DYNLIB_FIELD)
} cu;
static pthread_once_t cu_once = PTHREAD_ONCE_INIT;
static char cu_why[300]; /* empty: bound */

static void curl_bind(void)
{
    void *h = dynlib_open(QUIRE_SONAME_CURL, cu_why, sizeof cu_why);

#define BIND(f) || dynlib_sym(h, DYNLIB_STR(f), (void **)&cu.f, cu_why, sizeof cu_why)
    if (!h CURL_API(BIND))
        return;
#undef BIND
    if (cu.curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
        snprintf(cu_why, sizeof cu_why, "libcurl could not initialise");
    else
        cu_why[0] = 0;
}

/* libcurl bound (once): 0, or -1 with err naming what could not be sent. */
static int curl_ready(const char *what, quire_error *err)
{
    pthread_once(&cu_once, curl_bind);
    if (cu_why[0])
        return quire_err_at(err, QUIRE_EXIT_DELIVERY, what, 0, 0, "cannot send: %s", cu_why);
    return 0;
}

/* The URL as messages show it: a user name or password in it is masked. */
static char *url_shown(const char *url)
{
    const char *host = strstr(url, "://"), *at, *end;

    if (!host)
        return xstrdup(url);
    host += 3;
    end = host + strcspn(host, "/?#");
    for (at = end; at > host && at[-1] != '@'; at--)
        ;
    if (at == host)
        return xstrdup(url);
    return xasprintf("%.*s***@%s", (int)(host - url), url, at);
}

/* Certificates are always verified: against ca_file when given, otherwise
 * against the system's CA bundle. Returns -1 with err set when ca_file
 * cannot be read. */
static int set_tls(CURL *c, const deliver_target *t, const char *what, quire_error *err)
{
    if (t->ca_file) {
        if (access(t->ca_file, R_OK) != 0)
            return quire_err_at(err, QUIRE_EXIT_DELIVERY, what, 0, 0, "cannot read ca_file %s: %s",
                                t->ca_file, strerror(errno));
        cu.curl_easy_setopt(c, CURLOPT_CAINFO, t->ca_file);
    }
    cu.curl_easy_setopt(c, CURLOPT_SSL_VERIFYPEER, 1L);
    cu.curl_easy_setopt(c, CURLOPT_SSL_VERIFYHOST, 2L);
    return 0;
}

/* A transfer for what (which its errors name), its TLS as t says: the
 * handle, or NULL with err. */
static CURL *transfer(const deliver_target *t, const char *what, quire_error *err)
{
    CURL *c;

    if (curl_ready(what, err))
        return NULL;
    if (!(c = cu.curl_easy_init())) {
        quire_err_at(err, QUIRE_EXIT_DELIVERY, what, 0, 0, "cannot start a transfer");
        return NULL;
    }
    if (set_tls(c, t, what, err)) {
        cu.curl_easy_cleanup(c);
        return NULL;
    }
    return c;
}

/* What went wrong with a transfer, in words: the TLS cases say what to do. */
static void transfer_error(strbuf *b, CURLcode res, const char *errbuf, const deliver_target *t)
{
    const char *detail = *errbuf ? errbuf : cu.curl_easy_strerror(res);

    switch (res) {
    case CURLE_PEER_FAILED_VERIFICATION:
    case CURLE_SSL_CACERT_BADFILE:
        sb_printf(b, "TLS: the server's certificate is not trusted (%s); %s", detail,
                  t->ca_file ? "ca_file does not hold the CA that signed it"
                             : "give the CA bundle that signed it in ca_file");
        break;
    case CURLE_SSL_CONNECT_ERROR:
        sb_printf(b, "TLS handshake failed (%s)", detail);
        break;
    case CURLE_USE_SSL_FAILED:
        sb_printf(b, "the server does not offer STARTTLS and tls is required (%s)", detail);
        break;
    case CURLE_LOGIN_DENIED:
        sb_printf(b, "authentication failed: the server refused the user name or password "
                     "(%s)", detail);
        break;
    default:
        sb_puts(b, detail);
        break;
    }
}

/* ------------------------------------------------------------ email */

static void base64(strbuf *b, const unsigned char *s, size_t n)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    size_t i, col = 0;
    char q[4];

    for (i = 0; i < n; i += 3) {
        unsigned v = (unsigned)s[i] << 16 | (i + 1 < n ? (unsigned)s[i + 1] << 8 : 0) |
                     (i + 2 < n ? s[i + 2] : 0);
        q[0] = tbl[v >> 18 & 63];
        q[1] = tbl[v >> 12 & 63];
        q[2] = i + 1 < n ? tbl[v >> 6 & 63] : '=';
        q[3] = i + 2 < n ? tbl[v & 63] : '=';
        sb_add(b, q, 4);
        if ((col += 4) >= 76) {
            sb_puts(b, "\r\n");
            col = 0;
        }
    }
    if (col)
        sb_puts(b, "\r\n");
}

/* Text with every line ending (LF, CR or CRLF) written as CRLF: SMTP wants
 * CRLF lines, and a lone CR or LF is what "SMTP smuggling" hides an end of
 * data in for servers that read it as a line break. */
static void crlf(strbuf *b, const char *s)
{
    for (; *s; s++) {
        if (*s == '\r' || *s == '\n') {
            sb_puts(b, "\r\n");
            if (*s == '\r' && s[1] == '\n')
                s++;
        } else {
            sb_add(b, s, 1);
        }
    }
}

/* A text/plain part (its header fields, a blank line, the text): the text
 * as it is (8bit) with CRLF line ends, or in base64 when a line of it is
 * longer than the 998 characters a line of a message may have (RFC 5322). */
static void text_part_as(strbuf *b, const char *text, const char *subtype)
{
    strbuf t = {0};
    size_t i, col = 0, longest = 0;

    crlf(&t, text);
    sb_add(&t, "", 0);
    for (i = 0; i < t.len; i++) {
        col = t.s[i] == '\r' ? 0 : col + (t.s[i] != '\n');
        if (col > longest)
            longest = col;
    }
    sb_printf(b, "Content-Type: text/%s; charset=utf-8\r\n", subtype);
    if (longest > 998) {
        sb_puts(b, "Content-Transfer-Encoding: base64\r\n\r\n");
        base64(b, (const unsigned char *)t.s, t.len);
    } else {
        sb_puts(b, "Content-Transfer-Encoding: 8bit\r\n\r\n");
        sb_add(b, t.s, t.len);
        sb_puts(b, "\r\n");
    }
    sb_free(&t);
}

static void text_part(strbuf *b, const char *text)
{
    text_part_as(b, text, "plain");
}

/* The body and the summary of job j as a multipart/alternative part: the
 * text (the body, then the summary's text) and the HTML (the body's
 * paragraphs, escaped, then the summary's HTML), with a boundary of its own
 * that neither holds. */
static void alternative_part(strbuf *b, const char *body, const deliver_job *j)
{
    strbuf text = {0}, html = {0}, parts = {0};
    char boundary[64];
    const char *p, *end;

    sb_printf(&text, "%s", body);
    if (text.len && text.s[text.len - 1] != '\n')
        sb_puts(&text, "\n");
    sb_printf(&text, "\n%s", j->summary_text ? j->summary_text : "");
    sb_puts(&html, "<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"></head>\n"
                   "<body style=\"margin:0;padding:16px;background:#ffffff;\">\n"
                   "<p style=\"font-family:Helvetica,Arial,sans-serif;font-size:14px;"
                   "color:#111827;\">");
    end = body + strlen(body);
    while (end > body && (end[-1] == '\n' || end[-1] == '\r'))
        end--;
    for (p = body; p < end; p++) {
        /* the body's line breaks as <br>, the rest escaped */
        size_t n = strcspn(p, "\r\n");
        char *line = xstrndup(p, n < (size_t)(end - p) ? n : (size_t)(end - p));
        summary_html_escape(&html, line);
        free(line);
        p += n;
        if (p >= end)
            break;
        if (*p == '\r' && p[1] == '\n')
            p++;
        sb_puts(&html, "<br>\n");
    }
    sb_puts(&html, "</p>\n");
    sb_puts(&html, j->summary_html);
    sb_puts(&html, "</body></html>\n");
    text_part(&parts, text.s);
    deliver_boundary(boundary, sizeof boundary, parts.s, parts.len);
    /* the boundary must not be in the HTML either */
    while (memmem(html.s, html.len, boundary, strlen(boundary)))
        deliver_boundary(boundary, sizeof boundary, parts.s, parts.len);
    sb_printf(b, "Content-Type: multipart/alternative; boundary=\"%s\"\r\n\r\n--%s\r\n",
              boundary, boundary);
    sb_add(b, parts.s, parts.len);
    sb_printf(b, "--%s\r\n", boundary);
    text_part_as(b, html.s, "html");
    sb_printf(b, "--%s--\r\n", boundary);
    sb_free(&text);
    sb_free(&html);
    sb_free(&parts);
}

/* The length of the well-formed UTF-8 sequence at s, or 0. */
static size_t utf8_len(const unsigned char *s)
{
    size_t n, i;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xc2 && s[0] <= 0xdf)
        n = 2, cp = s[0] & 0x1f;
    else if (s[0] >= 0xe0 && s[0] <= 0xef)
        n = 3, cp = s[0] & 0x0f;
    else if (s[0] >= 0xf0 && s[0] <= 0xf4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xc0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3f);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xd800 && cp <= 0xdfff))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10ffff)))
        return 0;
    return n;
}

/* An unstructured header field (a Subject), one logical line whatever the
 * value holds: control characters and runs of white space become one space,
 * bytes that are not UTF-8 become U+FFFD. Printable ASCII is folded at
 * spaces into lines of at most 78 characters; anything else (non-ASCII, a
 * "=?" that a reader would take for an encoded-word, a word too long for
 * its line) is written as RFC 2047 encoded-words (UTF-8, base64), each of whole
 * characters, on lines of at most 76 characters. */
static void put_header(strbuf *m, const char *name, const char *value)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    strbuf v = {0};
    const unsigned char *p;
    size_t col, word = 0, first = 0, i;
    int encode = 0;

    for (p = (const unsigned char *)value; *p;) {
        size_t n = utf8_len(p);
        if (*p < 0x20 || *p == 0x7f || *p == ' ') {
            if (v.len && v.s[v.len - 1] != ' ')
                sb_puts(&v, " ");
            p++;
            if (!first)
                first = word;
            word = 0;
            continue;
        }
        if (n == 0) {
            sb_puts(&v, "\xef\xbf\xbd");
            encode = 1;
            p++;
        } else {
            encode |= *p >= 0x80;
            sb_add(&v, (const char *)p, n);
            p += n;
        }
        if (++word > 76)
            encode = 1;
    }
    while (v.len && v.s[v.len - 1] == ' ')
        v.len--;
    sb_add(&v, "", 0);
    v.s[v.len] = '\0';
    if (!first)
        first = word;
    /* the first word goes on the field's own line, after "Name: " */
    if (strstr(v.s, "=?") || strlen(name) + 2 + first > 78)
        encode = 1;
    sb_printf(m, "%s:", name);
    col = strlen(name) + 1;
    if (!encode) {
        const char *w = v.s;
        while (*w) {
            size_t n = strcspn(w, " ");
            if (col + 1 + n > 78 && col > strlen(name) + 1) {
                sb_puts(m, "\r\n");
                col = 0;
            }
            sb_printf(m, " %.*s", (int)n, w);
            col += 1 + n;
            w += n;
            w += *w == ' ';
        }
        sb_puts(m, "\r\n");
        sb_free(&v);
        return;
    }
    /* "=?UTF-8?B?" and "?=" take 12 of a word's 75 characters and of the
     * line's 76; each 3 bytes take 4. */
    for (i = 0; i < v.len;) {
        size_t room = (76 - col - 1 - 12) / 4 * 3, n = 0, k;
        while (i + n < v.len) {
            size_t c = utf8_len((const unsigned char *)v.s + i + n);
            if (n + c > room)
                break;
            n += c;
        }
        if (n == 0 && col > 1) { /* no room left on this line */
            sb_puts(m, "\r\n");
            col = 0;
            continue;
        }
        sb_puts(m, " =?UTF-8?B?");
        for (k = 0; k < n; k += 3) {
            const unsigned char *s3 = (const unsigned char *)v.s + i + k;
            unsigned x = (unsigned)s3[0] << 16 | (k + 1 < n ? (unsigned)s3[1] << 8 : 0) |
                         (k + 2 < n ? s3[2] : 0);
            char q[4];
            q[0] = tbl[x >> 18 & 63];
            q[1] = tbl[x >> 12 & 63];
            q[2] = k + 1 < n ? tbl[x >> 6 & 63] : '=';
            q[3] = k + 2 < n ? tbl[x & 63] : '=';
            sb_add(m, q, 4);
        }
        sb_puts(m, "?=");
        i += n;
        if (i < v.len) {
            sb_puts(m, "\r\n");
            col = 0;
        }
    }
    sb_puts(m, "\r\n");
    sb_free(&v);
}

/* Random bytes from the kernel; 0 or -1. */
static int kernel_random(void *buf, size_t n)
{
    size_t got = 0;
    while (got < n) {
        ssize_t k = getrandom((char *)buf + got, n - got, 0);
        if (k < 0 && errno == EINTR)
            continue;
        if (k <= 0)
            return -1;
        got += (size_t)k;
    }
    return 0;
}

int (*deliver_random)(void *buf, size_t n) = kernel_random;

void deliver_boundary(char *out, size_t n, const char *content, size_t len)
{
    unsigned char r[16];
    size_t i;

    do {
        if (deliver_random(r, sizeof r)) {
            /* No kernel randomness: the time and the pid, still checked
             * against the content below. */
            struct timespec ts;
            unsigned long long x;
            clock_gettime(CLOCK_REALTIME, &ts);
            x = (unsigned long long)ts.tv_nsec * 6364136223846793005ULL ^
                (unsigned long long)ts.tv_sec ^ (unsigned long long)getpid() << 32;
            for (i = 0; i < sizeof r; i++, x = x * 6364136223846793005ULL + 1442695040888963407ULL)
                r[i] = (unsigned char)(x >> 56);
        }
        snprintf(out, n, "quire-");
        for (i = 0; i < sizeof r && strlen(out) + 3 <= n; i++)
            snprintf(out + strlen(out), n - strlen(out), "%02x", r[i]);
    } while (memmem(content, len, out, strlen(out)) != NULL);
}

/* Defence in depth: the spec's addresses were checked when it was loaded,
 * but a CR or LF in one would be a header line or an SMTP command of its
 * own. Returns 0, or -1 with err set. */
static int check_addresses(const char *from, const char *to, quire_error *err)
{
    const char *bad_addr;

    if ((bad_addr = email_address_problem(from)) != NULL ||
        (bad_addr = email_address_problem(to)) != NULL) {
        int sender = email_address_problem(from) != NULL;
        char *shown = quoted_for_message(sender ? from : to);
        quire_err_at(err, QUIRE_EXIT_DELIVERY, "email", 0, 0,
                     "the %s %s is not an email address: %s; nothing was sent",
                     sender ? "sender" : "recipient", shown, bad_addr);
        free(shown);
        return -1;
    }
    return 0;
}

static void rfc2822_date(char *buf, size_t n)
{
    time_t t = time(NULL);
    struct tm tm;
    gmtime_r(&t, &tm);
    strftime(buf, n, "%a, %d %b %Y %H:%M:%S +0000", &tm);
}

static int smtp_send(const deliver_target *t, const char *to, const strbuf *msg,
                     quire_error *err)
{
    CURL *c = NULL;
    struct curl_slist *rcpt = NULL;
    upload u;
    char errbuf[CURL_ERROR_SIZE] = "";
    char *user = NULL, *pass = NULL, *server, *what;
    int bad, rc = -1;
    CURLcode res;

    if (check_addresses(t->from, to, err))
        return -1;
    user = secret(t->username_env, NULL, &bad);
    if (bad) {
        quire_err_at(err, QUIRE_EXIT_DELIVERY, "email", 0, 0, "environment variable %s is not set",
                     t->username_env);
        return -1;
    }
    pass = secret(t->password_env, t->password_file, &bad);
    if (bad) {
        quire_err_at(err, QUIRE_EXIT_DELIVERY, "email", 0, 0,
                     "the SMTP password is missing (%s%s%s)",
                     t->password_env ? "environment variable " : "",
                     t->password_env ? t->password_env : "", t->password_file ? " or file" : "");
        free(user);
        return -1;
    }
    server = url_shown(t->smtp_url);
    what = xasprintf("email to %s via %s", to, server);
    free(server);
    if (!(c = transfer(t, what, err)))
        goto done;
    u.p = msg->s;
    u.left = msg->len;
    rcpt = cu.curl_slist_append(rcpt, to);
    cu.curl_easy_setopt(c, CURLOPT_URL, t->smtp_url);
    cu.curl_easy_setopt(c, CURLOPT_MAIL_FROM, t->from);
    cu.curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpt);
    cu.curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    cu.curl_easy_setopt(c, CURLOPT_READDATA, &u);
    cu.curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    cu.curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)msg->len);
    cu.curl_easy_setopt(c, CURLOPT_TIMEOUT, t->timeout > 0 ? t->timeout : 60L);
    cu.curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
    cu.curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cu.curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (strncmp(t->smtp_url, "smtps://", 8) != 0)
        cu.curl_easy_setopt(c, CURLOPT_USE_SSL, t->tls > 0 ? (long)CURLUSESSL_ALL
                                             : t->tls < 0 ? (long)CURLUSESSL_NONE
                                                          : (long)CURLUSESSL_TRY);
    if (user)
        cu.curl_easy_setopt(c, CURLOPT_USERNAME, user);
    if (pass)
        cu.curl_easy_setopt(c, CURLOPT_PASSWORD, pass);
    res = cu.curl_easy_perform(c);
    if (res != CURLE_OK) {
        strbuf why = {0};
        long code = 0;
        char num[24];
        transfer_error(&why, res, errbuf, t);
        cu.curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
        snprintf(num, sizeof num, "%ld", code);
        if (code >= 400 && !strstr(why.s, num)) /* the server's reply code, when not said */
            sb_printf(&why, " (SMTP %ld)", code);
        quire_err_at(err, QUIRE_EXIT_DELIVERY, what, 0, 0, "%s", why.s);
        sb_free(&why);
    } else {
        rc = 0;
    }
done:
    if (rcpt)
        cu.curl_slist_free_all(rcpt);
    if (c)
        cu.curl_easy_cleanup(c);
    free(what);
    if (pass) {
        memset(pass, 0, strlen(pass));
        free(pass);
    }
    free(user);
    return rc;
}

/* From and To are addresses deliver_message() and smtp_send() check before
 * anything is written or sent; the subject is any text, written as one
 * header field. */
static void headers(strbuf *m, const deliver_target *t, const char *to, const char *subject,
                    const char *key)
{
    char date[64];
    const char *at = strrchr(t->from, '@');

    rfc2822_date(date, sizeof date);
    sb_printf(m, "Date: %s\r\nFrom: %s\r\nTo: %s\r\n", date, t->from, to);
    put_header(m, "Subject", subject);
    sb_printf(m, "Message-ID: <%s@%s>\r\nMIME-Version: 1.0\r\n", key, at ? at + 1 : "quire");
}

/* The longest attachment name before ".pdf": its header lines stay well
 * within the 998 characters a line may have. */
#define FILE_NAME_MAX 64

/* A file name for a MIME parameter: letters, digits and "-._" kept, any
 * other byte "_" (no quote or line break can end the parameter), at most
 * FILE_NAME_MAX characters before ".pdf". */
static char *safe_file_name(const char *report, const char *label)
{
    char *f = xasprintf("%.*s-%.*s.pdf", FILE_NAME_MAX, report, FILE_NAME_MAX, label), *p;
    size_t n = strlen(f) - 4;

    if (n > FILE_NAME_MAX)
        memmove(f + FILE_NAME_MAX, f + n, 5);
    for (p = f; *p; p++)
        if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
              *p == '-' || *p == '.' || *p == '_'))
            *p = '_';
    return f;
}

int deliver_message(const deliver_job *j, const char *pdf, size_t len, strbuf *m,
                    quire_error *err)
{
    const deliver_target *t = j->t;
    strbuf subj = {0}, body = {0}, parts = {0};
    char *fname, boundary[64];

    if (check_addresses(t->from, j->recipient, err))
        return -1;
    subst(&subj, t->subject ? t->subject : "{report} {period}", j);
    subst(&body, t->body ? t->body : "The {report} report for {period} is attached.\n", j);
    /* The parts first, then a boundary that none of them holds: a body
     * cannot end its part early or forge one. With a summary, the text is
     * a multipart/alternative of the text and its HTML. */
    if (j->summary_html)
        alternative_part(&parts, body.s, j);
    else
        text_part(&parts, body.s);
    fname = safe_file_name(j->report, j->period);
    deliver_boundary(boundary, sizeof boundary, parts.s, parts.len);
    headers(m, t, j->recipient, subj.s, j->key);
    sb_printf(m, "Content-Type: multipart/mixed; boundary=\"%s\"\r\n\r\n--%s\r\n", boundary,
              boundary);
    sb_add(m, parts.s, parts.len);
    sb_printf(m,
              "--%s\r\n"
              "Content-Type: application/pdf; name=\"%s\"\r\n"
              "Content-Disposition: attachment; filename=\"%s\"\r\n"
              "Content-Transfer-Encoding: base64\r\n\r\n",
              boundary, fname, fname);
    free(fname);
    base64(m, (const unsigned char *)pdf, len); /* no "-" in base64 */
    sb_printf(m, "--%s--\r\n", boundary);
    sb_free(&parts);
    sb_free(&subj);
    sb_free(&body);
    return 0;
}

static int deliver_email(const deliver_job *j, quire_error *err)
{
    strbuf m = {0}, pdf = {0};
    int rc;

    if (read_file(j->pdf, &pdf)) {
        sb_free(&pdf);
        return quire_err_at(err, QUIRE_EXIT_DELIVERY, j->pdf, 0, 0, "cannot read: %s",
                            strerror(errno));
    }
    rc = deliver_message(j, pdf.s, pdf.len, &m, err);
    if (rc == 0)
        rc = smtp_send(j->t, j->recipient, &m, err);
    sb_free(&m);
    sb_free(&pdf);
    return rc;
}

int deliver_notice(const deliver_target *t, const char *to, const char *subject,
                   const char *text, const char *key, quire_error *err)
{
    strbuf m = {0};
    int rc;

    headers(&m, t, to, subject, key);
    text_part(&m, text);
    rc = smtp_send(t, to, &m, err);
    sb_free(&m);
    return rc;
}

/* ------------------------------------------------------------ webhook */

static int deliver_webhook(const deliver_job *j, quire_error *err)
{
    const deliver_target *t = j->t;
    strbuf body = {0};
    struct curl_slist *hdr = NULL, *l;
    char errbuf[CURL_ERROR_SIZE] = "";
    char *token, *h, *url, *what;
    CURL *c = NULL;
    CURLcode res;
    long status = 0;
    int bad, had_token, rc = -1;

    if (curl_ready("webhook", err))
        return -1;
    token = secret(t->token_env, t->token_file, &bad);
    if (bad)
        return quire_err_at(err, QUIRE_EXIT_DELIVERY, "webhook", 0, 0,
                            "the token is missing (%s%s)",
                            t->token_env ? "environment variable " : "file ",
                            t->token_env ? t->token_env : t->token_file);
    /* Every header value is one line: a CR or LF would start a header of
     * its own. The token is named by where it came from, never shown. */
    if (token && header_text_problem(token)) {
        int from_env = t->token_env && getenv(t->token_env) && *getenv(t->token_env);
        memset(token, 0, strlen(token));
        free(token);
        return quire_err_at(err, QUIRE_EXIT_DELIVERY, "webhook", 0, 0,
                            "the token (from %s%s) holds a line break or another control "
                            "character, so it cannot be sent in a header; nothing was sent",
                            from_env ? "environment variable " : "file ",
                            from_env ? t->token_env : t->token_file);
    }
    {
        const char *const vals[] = {j->report, j->period, j->key};
        const char *const names[] = {"report name", "period", "delivery key"};
        size_t k;
        for (k = 0; k < 3; k++)
            if (header_text_problem(vals[k])) {
                char *shown = quoted_for_message(vals[k]);
                if (token) {
                    memset(token, 0, strlen(token));
                    free(token);
                }
                quire_err_at(err, QUIRE_EXIT_DELIVERY, "webhook", 0, 0,
                             "the %s %s holds a line break or another control character, so it "
                             "cannot be sent in a header; nothing was sent",
                             names[k], shown);
                free(shown);
                return -1;
            }
    }
    if (j->json) {
        sb_puts(&body, j->json);
        hdr = cu.curl_slist_append(hdr, "Content-Type: application/json");
    } else if (t->json) {
        sb_puts(&body, "{\"report\": ");
        sb_json_cstr(&body, j->report);
        sb_puts(&body, ", \"period\": ");
        sb_json_cstr(&body, j->period);
        sb_puts(&body, ", \"from\": ");
        sb_json_cstr(&body, j->from);
        sb_puts(&body, ", \"to\": ");
        sb_json_cstr(&body, j->to);
        sb_puts(&body, ", \"scheduled\": ");
        sb_json_cstr(&body, j->scheduled);
        sb_printf(&body, ", \"run\": %lld, \"delivery\": ", j->run_id);
        sb_json_cstr(&body, j->key);
        sb_puts(&body, ", \"output\": ");
        sb_json_cstr(&body, j->pdf);
        sb_puts(&body, "}\n");
        hdr = cu.curl_slist_append(hdr, "Content-Type: application/json");
    } else {
        if (read_file(j->pdf, &body)) {
            free(token);
            sb_free(&body);
            return quire_err_at(err, QUIRE_EXIT_DELIVERY, j->pdf, 0, 0, "cannot read: %s",
                                strerror(errno));
        }
        hdr = cu.curl_slist_append(hdr, "Content-Type: application/pdf");
    }
    h = xasprintf("X-Quire-Report: %s", j->report);
    hdr = cu.curl_slist_append(hdr, h);
    free(h);
    h = xasprintf("X-Quire-Period: %s", j->period);
    hdr = cu.curl_slist_append(hdr, h);
    free(h);
    h = xasprintf("Idempotency-Key: %s", j->key);
    hdr = cu.curl_slist_append(hdr, h);
    free(h);
    had_token = token != NULL;
    if (token) {
        h = xasprintf("Authorization: Bearer %s", token);
        hdr = cu.curl_slist_append(hdr, h);
        memset(h, 0, strlen(h));
        free(h);
        memset(token, 0, strlen(token));
        free(token);
    }
    hdr = cu.curl_slist_append(hdr, "Expect:");
    url = url_shown(j->recipient);
    what = xasprintf("webhook %s", url);
    free(url);
    if (!(c = transfer(t, what, err)))
        goto done;
    cu.curl_easy_setopt(c, CURLOPT_URL, j->recipient);
    cu.curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdr);
    cu.curl_easy_setopt(c, CURLOPT_POSTFIELDS, body.s ? body.s : "");
    cu.curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)body.len);
    cu.curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, discard_cb);
    cu.curl_easy_setopt(c, CURLOPT_TIMEOUT, t->timeout > 0 ? t->timeout : 60L);
    cu.curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, 20L);
    cu.curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    cu.curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    res = cu.curl_easy_perform(c);
    if (res != CURLE_OK) {
        strbuf why = {0};
        transfer_error(&why, res, errbuf, t);
        quire_err_at(err, QUIRE_EXIT_DELIVERY, what, 0, 0, "%s", why.s);
        sb_free(&why);
    } else {
        cu.curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
        if ((status == 401 || status == 403) && had_token)
            quire_err_at(err, QUIRE_EXIT_DELIVERY, what, 0, 0,
                         "HTTP status %ld: the bearer token (from %s%s) was refused", status,
                         t->token_env ? "environment variable " : "file ",
                         t->token_env ? t->token_env : t->token_file);
        else if (status == 401 || status == 403)
            quire_err_at(err, QUIRE_EXIT_DELIVERY, what, 0, 0,
                         "HTTP status %ld: the receiver wants a bearer token (token_env or "
                         "token_file)",
                         status);
        else if (status < 200 || status > 299)
            quire_err_at(err, QUIRE_EXIT_DELIVERY, what, 0, 0, "HTTP status %ld", status);
        else
            rc = 0;
    }
done:
    for (l = hdr; l; l = l->next)
        if (strncmp(l->data, "Authorization:", 14) == 0)
            memset(l->data, 0, strlen(l->data));
    cu.curl_slist_free_all(hdr);
    if (c)
        cu.curl_easy_cleanup(c);
    free(what);
    sb_free(&body);
    return rc;
}

int deliver_send(const deliver_job *j, quire_error *err)
{
    switch (j->t->kind) {
    case DELIVER_FOLDER: return deliver_folder(j, err);
    case DELIVER_EMAIL: return deliver_email(j, err);
    default: return deliver_webhook(j, err);
    }
}
