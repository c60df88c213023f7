/*
 * crm_http.c - one page from the CRM over HTTP, through libcurl.
 *
 * Retries connection errors, timeouts, 429 and 5xx with exponential backoff
 * and jitter, honours Retry-After (seconds or an HTTP date), spaces requests
 * to a client-side rate, and turns every other failure into one clear
 * message. Every message passes through crm_http_say, which masks the
 * secrets, so no token reaches a log, an error or a report.
 */
#include <curl/curl.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "../common/http.h"
#include "crm_rest.h"

#ifndef QUIRE_VERSION
#define QUIRE_VERSION "0.1.0"
#endif

#define SNIPPET 160 /* bytes of an error response quoted in a message */

/* ---------------------------------------------------------------- helpers */

static double now_mono(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void sleep_for(double secs)
{
    struct timespec ts;

    if (secs <= 0)
        return;
    ts.tv_sec = (time_t)secs;
    ts.tv_nsec = (long)((secs - (double)ts.tv_sec) * 1e9);
    while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
        ;
}

static uint64_t next_rand(crm_http *h)
{
    /* xorshift64*: enough for jitter */
    h->rng ^= h->rng >> 12;
    h->rng ^= h->rng << 25;
    h->rng ^= h->rng >> 27;
    return h->rng * 2685821657736338717ULL;
}

void crm_http_say(const crm_http *h, char *out, size_t n, const char *fmt, ...)
{
    char raw[2048];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    crm_mask(raw, out, n, h->secrets, h->mask_param);
}

/* A short, printable, masked quote of the response body. */
static void snippet(const crm_http *h, char *out, size_t n)
{
    char raw[SNIPPET + 4];
    size_t i, k = 0;

    for (i = 0; h->body && i < h->len && k < SNIPPET; i++) {
        char c = h->body[i];
        raw[k++] = (c == '\n' || c == '\r' || c == '\t') ? ' ' : (c >= 32 && c < 127) ? c : '?';
    }
    if (i < h->len)
        raw[k++] = '.', raw[k++] = '.', raw[k++] = '.';
    raw[k] = '\0';
    crm_mask(raw, out, n, h->secrets, h->mask_param);
}

/* ---------------------------------------------------------------- callbacks */

static size_t on_body(char *p, size_t size, size_t nmemb, void *user)
{
    crm_http *h = user;
    size_t n = size * nmemb;

    if (h->max_bytes > 0 && h->len + n > (size_t)h->max_bytes) {
        h->too_big = 1;
        return 0; /* aborts the transfer */
    }
    if (h->len + n + 1 > h->cap) {
        size_t cap = h->cap ? h->cap : 65536;
        char *b;
        while (cap < h->len + n + 1)
            cap *= 2;
        b = realloc(h->body, cap);
        if (!b)
            return 0;
        h->body = b;
        h->cap = cap;
    }
    memcpy(h->body + h->len, p, n);
    h->len += n;
    h->body[h->len] = '\0';
    return n;
}

static int hname(const char *line, size_t n, const char *name)
{
    size_t k = strlen(name);
    return n > k && strncasecmp(line, name, k) == 0 && line[k] == ':';
}

/* The rel="next" target of a Link header: <url>; rel="next", <url>; rel=... */
static void parse_link(crm_http *h, const char *v, size_t n)
{
    size_t i = 0;

    while (i < n) {
        size_t lt, gt, end;
        while (i < n && v[i] != '<')
            i++;
        if (i >= n)
            return;
        lt = i + 1;
        while (i < n && v[i] != '>')
            i++;
        if (i >= n)
            return;
        gt = i;
        end = gt;
        while (end < n && v[end] != ',' && v[end] != '<')
            end++;
        {
            size_t j;
            for (j = gt; j + 3 < end; j++) {
                if (strncasecmp(v + j, "rel", 3) != 0)
                    continue;
                {
                    size_t q = j + 3;
                    while (q < end && (v[q] == ' ' || v[q] == '='))
                        q++;
                    if (q < end && v[q] == '"')
                        q++;
                    if (end - q >= 4 && strncasecmp(v + q, "next", 4) == 0 &&
                        (q + 4 == end || v[q + 4] == '"' || v[q + 4] == ' ' ||
                         v[q + 4] == ';')) {
                        free(h->link_next);
                        h->link_next = strndup(v + lt, gt - lt);
                        return;
                    }
                }
            }
        }
        i = end;
    }
}

static size_t on_header(char *p, size_t size, size_t nmemb, void *user)
{
    crm_http *h = user;
    size_t n = size * nmemb, vn;
    const char *v;

    if (n >= 5 && strncmp(p, "HTTP/", 5) == 0) {
        /* a new response (after a redirect or 100-continue): start over */
        free(h->link_next);
        h->link_next = NULL;
        h->retry_after = -1;
        return n;
    }
    v = memchr(p, ':', n);
    if (!v)
        return n;
    v++;
    while (v < p + n && (*v == ' ' || *v == '\t'))
        v++;
    vn = (size_t)(p + n - v);
    while (vn && (v[vn - 1] == '\r' || v[vn - 1] == '\n' || v[vn - 1] == ' '))
        vn--;
    if (hname(p, n, "Retry-After")) {
        char buf[96];
        size_t i;
        if (vn == 0 || vn >= sizeof buf)
            return n;
        memcpy(buf, v, vn);
        buf[vn] = '\0';
        for (i = 0; i < vn && buf[i] >= '0' && buf[i] <= '9'; i++)
            ;
        if (i == vn) {
            h->retry_after = vn > 9 ? 999999999L : strtol(buf, NULL, 10);
        } else {
            time_t when = curl_getdate(buf, NULL);
            if (when != -1) {
                time_t t = time(NULL);
                h->retry_after = when > t ? (long)(when - t) : 0;
            }
        }
    } else if (hname(p, n, "Link")) {
        parse_link(h, v, vn);
    }
    return n;
}

/* ---------------------------------------------------------------- setup */

int crm_http_init(crm_http *h)
{
    CURL *c;

    h->retry_after = -1;
    h->rng = (uint64_t)time(NULL) ^ ((uint64_t)getpid() << 32) ^ (uint64_t)(uintptr_t)h;
    if (!h->rng)
        h->rng = 88172645463325252ULL;
    h->err_kind = QUIRE_ERROR_IO;
    /* redirects are followed by crm_http_fetch, same origin only: libcurl
     * would send custom headers (auth: header) to any server */
    c = http_handle("quire-crm_rest/" QUIRE_VERSION, h->connect_timeout, h->ca_file, h->insecure,
                    on_body, h);
    if (!c) {
        snprintf(h->err, sizeof h->err, "libcurl failed to initialise");
        return -1;
    }
    h->curl = c;
    curl_easy_setopt(c, CURLOPT_REDIR_PROTOCOLS_STR, "http,https");
    curl_easy_setopt(c, CURLOPT_ACCEPT_ENCODING, "");
    curl_easy_setopt(c, CURLOPT_TIMEOUT, h->timeout);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, on_header);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, h);
    if (h->max_bytes > 0)
        curl_easy_setopt(c, CURLOPT_MAXFILESIZE_LARGE, (curl_off_t)h->max_bytes);
    if (h->user && h->password) {
        curl_easy_setopt(c, CURLOPT_HTTPAUTH, (long)CURLAUTH_BASIC);
        curl_easy_setopt(c, CURLOPT_USERNAME, h->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, h->password);
    }
    return 0;
}

int crm_http_header(crm_http *h, const char *line)
{
    struct curl_slist *l = curl_slist_append(h->headers, line);

    if (!l)
        return -1;
    h->headers = l;
    return 0;
}

void crm_http_free(crm_http *h)
{
    if (!h)
        return;
    if (h->curl)
        curl_easy_cleanup(h->curl);
    /* the header list may hold a token: wipe it before it goes */
    if (h->headers) {
        struct curl_slist *l;
        for (l = h->headers; l; l = l->next)
            if (l->data)
                memset(l->data, 0, strlen(l->data));
        curl_slist_free_all(h->headers);
    }
    free(h->body);
    free(h->link_next);
    if (h->json)
        json_decref(h->json);
    h->json = NULL;
    h->curl = h->headers = NULL;
    h->body = h->link_next = NULL;
}

/* ---------------------------------------------------------------- fetch */

static int retryable_curl(CURLcode rc)
{
    switch (rc) {
    case CURLE_COULDNT_CONNECT:
    case CURLE_COULDNT_RESOLVE_HOST:
    case CURLE_OPERATION_TIMEDOUT:
    case CURLE_SEND_ERROR:
    case CURLE_RECV_ERROR:
    case CURLE_GOT_NOTHING:
    case CURLE_PARTIAL_FILE:
    case CURLE_HTTP2:
    case CURLE_HTTP2_STREAM:
        return 1;
    default:
        return 0;
    }
}

static int tls_error(CURLcode rc)
{
    return rc == CURLE_PEER_FAILED_VERIFICATION || rc == CURLE_SSL_CACERT_BADFILE ||
           rc == CURLE_SSL_CONNECT_ERROR || rc == CURLE_SSL_CERTPROBLEM;
}

/* The wait before retry number attempt (0-based): base * 2^attempt, capped,
 * with jitter: a uniform draw from its upper half. */
static double backoff(crm_http *h, int attempt)
{
    double d = (double)h->backoff_ms / 1000.0, cap = (double)h->backoff_max_ms / 1000.0;
    int i;

    for (i = 0; i < attempt && d < cap; i++)
        d *= 2;
    if (d > cap)
        d = cap;
    return d / 2 + d / 2 * ((double)(next_rand(h) >> 11) / 9007199254740992.0);
}

static void pace(crm_http *h)
{
    if (h->rate > 0 && h->last_start > 0) {
        double gap = 1.0 / h->rate, since = now_mono() - h->last_start;
        if (since < gap)
            sleep_for(gap - since);
    }
    h->last_start = now_mono();
}

/* The origin of url, "scheme://host:port", into out; -1 when not a URL. */
static int origin_of(const char *url, char *out, size_t n)
{
    CURLU *u = curl_url();
    char *s = NULL, *host = NULL, *port = NULL;
    int rc = -1;

    if (u && !curl_url_set(u, CURLUPART_URL, url, 0) &&
        !curl_url_get(u, CURLUPART_SCHEME, &s, 0) && !curl_url_get(u, CURLUPART_HOST, &host, 0) &&
        !curl_url_get(u, CURLUPART_PORT, &port, CURLU_DEFAULT_PORT)) {
        char *k;
        for (k = s; *k; k++)
            *k = (char)tolower((unsigned char)*k);
        for (k = host; *k; k++)
            *k = (char)tolower((unsigned char)*k);
        snprintf(out, n, "%s://%s:%s", s, host, port);
        rc = 0;
    }
    curl_free(s);
    curl_free(host);
    curl_free(port);
    curl_url_cleanup(u);
    return rc;
}

#define MAX_REDIRECTS 5

int crm_http_fetch(crm_http *h, const char *url_req, const char *url, const char *body,
                   uint64_t page)
{
    CURL *c = h->curl;
    char errbuf[CURL_ERROR_SIZE];
    int attempt, redirects = 0;
    char here[2048];

    snprintf(here, sizeof here, "%s", url_req);
    if (h->json)
        json_decref(h->json);
    h->json = NULL;
    h->attempts = 0;
    curl_easy_setopt(c, CURLOPT_URL, url_req);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, (struct curl_slist *)h->headers);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, errbuf);
    if (h->post) {
        curl_easy_setopt(c, CURLOPT_POST, 1L);
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body ? body : "");
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, (long)(body ? strlen(body) : 0));
    } else {
        curl_easy_setopt(c, CURLOPT_HTTPGET, 1L);
    }
    for (attempt = 0;; attempt++) {
        CURLcode rc;
        double wait;
        char why[512], quote[SNIPPET * 3 + 8];
        int last = attempt >= h->retries;

        h->len = 0;
        if (h->body)
            h->body[0] = '\0';
        h->too_big = 0;
        h->status = 0;
        h->retry_after = -1;
        free(h->link_next);
        h->link_next = NULL;
        errbuf[0] = '\0';
        pace(h);
        h->requests++;
        h->attempts = attempt + 1;
        rc = curl_easy_perform(c);
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &h->status);

        h->err_kind = QUIRE_ERROR_IO;
        if (rc != CURLE_OK) {
            if (h->too_big || rc == CURLE_FILESIZE_EXCEEDED) {
                h->err_kind = QUIRE_ERROR_DATA;
                crm_http_say(h, h->err, sizeof h->err,
                             "%s: page %llu: the response is larger than max_response_bytes "
                             "(%lld bytes); raise it or lower page_size", url,
                             (unsigned long long)page, (long long)h->max_bytes);
                return -1;
            }
            if (rc == CURLE_OPERATION_TIMEDOUT)
                snprintf(why, sizeof why, "no complete response within %ld s (timeout)",
                         h->timeout);
            else
                snprintf(why, sizeof why, "%s", errbuf[0] ? errbuf : curl_easy_strerror(rc));
            if (tls_error(rc)) {
                crm_http_say(h, h->err, sizeof h->err,
                             "%s: page %llu: TLS failed: %s; give the CA bundle in ca_file "
                             "(certificates are verified unless insecure: true)", url,
                             (unsigned long long)page, why);
                return -1;
            }
            if (!retryable_curl(rc) || last) {
                /* the retries are spent: a later run may still succeed */
                h->err_kind = retryable_curl(rc) ? QUIRE_ERROR_TRANSIENT : QUIRE_ERROR_IO;
                crm_http_say(h, h->err, sizeof h->err, "%s: page %llu: %s (%d attempt%s)", url,
                             (unsigned long long)page, why, attempt + 1, attempt ? "s" : "");
                return -1;
            }
            wait = backoff(h, attempt);
        } else if (h->status >= 200 && h->status < 300) {
            if (!h->body) {
                h->body = malloc(1);
                if (!h->body) {
                    snprintf(h->err, sizeof h->err, "out of memory");
                    return -1;
                }
                h->body[0] = '\0';
            }
            /* a body cut short parses on the next attempt */
            h->json = json_loadb(h->body, h->len, JSON_DECODE_ANY, &h->jerr);
            if (h->json || last)
                return 0;
            snprintf(why, sizeof why, "invalid JSON at byte %d (line %d, column %d): %s",
                     h->jerr.position, h->jerr.line, h->jerr.column, h->jerr.text);
            wait = backoff(h, attempt);
        } else if (h->status >= 300 && h->status < 400 && h->status != 304) {
            char *loc = NULL, o1[600], o2[600];
            curl_easy_getinfo(c, CURLINFO_REDIRECT_URL, &loc);
            if (!loc || !*loc) {
                crm_http_say(h, h->err, sizeof h->err, "%s: page %llu: HTTP %ld without a "
                             "Location to follow", url, (unsigned long long)page, h->status);
                return -1;
            }
            if (origin_of(here, o1, sizeof o1) || origin_of(loc, o2, sizeof o2) ||
                strcmp(o1, o2) != 0) {
                crm_http_say(h, h->err, sizeof h->err,
                             "%s: page %llu: HTTP %ld redirects to %.300s, on another server "
                             "(%s) than the request (%s); not following it (it would receive "
                             "the credentials)", url, (unsigned long long)page, h->status, loc,
                             origin_of(loc, o2, sizeof o2) ? "not a URL" : o2, o1);
                return -1;
            }
            if (++redirects > MAX_REDIRECTS) {
                crm_http_say(h, h->err, sizeof h->err, "%s: page %llu: more than %d redirects",
                             url, (unsigned long long)page, MAX_REDIRECTS);
                return -1;
            }
            snprintf(here, sizeof here, "%s", loc);
            curl_easy_setopt(c, CURLOPT_URL, here);
            if (h->post && h->status != 307 && h->status != 308)
                curl_easy_setopt(c, CURLOPT_HTTPGET, 1L); /* as browsers and libcurl do */
            attempt--; /* a redirect is not a failed attempt */
            continue;
        } else if (h->status == 429 || h->status >= 500) {
            snippet(h, quote, sizeof quote);
            snprintf(why, sizeof why, "HTTP %ld%s", h->status,
                     h->status == 429 ? " Too Many Requests" : "");
            h->err_kind = QUIRE_ERROR_TRANSIENT; /* busy or down: try again later */
            if (last) {
                crm_http_say(h, h->err, sizeof h->err, "%s: page %llu: %s after %d attempt%s: %s",
                             url, (unsigned long long)page, why, attempt + 1, attempt ? "s" : "",
                             quote);
                return -1;
            }
            if (h->retry_after >= 0) {
                if (h->retry_after > h->retry_after_max) {
                    crm_http_say(h, h->err, sizeof h->err,
                                 "%s: page %llu: %s asks to wait %ld s (Retry-After), more than "
                                 "retry_after_max (%ld s): %s", url, (unsigned long long)page,
                                 why, h->retry_after, h->retry_after_max, quote);
                    return -1;
                }
                wait = (double)h->retry_after;
            } else {
                wait = backoff(h, attempt);
            }
        } else if (h->status == 401 || h->status == 403) {
            snippet(h, quote, sizeof quote);
            crm_http_say(h, h->err, sizeof h->err,
                         "%s: page %llu: HTTP %ld %s: the CRM refused the %s; check it and its "
                         "permissions: %s", url, (unsigned long long)page, h->status,
                         h->status == 401 ? "Unauthorized" : "Forbidden",
                         h->auth_desc ? h->auth_desc : "request (auth: none)", quote);
            return -1;
        } else if (h->status == 404) {
            crm_http_say(h, h->err, sizeof h->err,
                         "%s: page %llu: HTTP 404 Not Found: check the url and path options",
                         url, (unsigned long long)page);
            return -1;
        } else {
            snippet(h, quote, sizeof quote);
            crm_http_say(h, h->err, sizeof h->err, "%s: page %llu: HTTP %ld: %s", url,
                         (unsigned long long)page, h->status, quote);
            return -1;
        }
        {
            char msg[1400];
            crm_http_say(h, msg, sizeof msg, "%s: page %llu: %s; retry %d of %d in %.1f s", url,
                         (unsigned long long)page, why, attempt + 1, h->retries, wait);
            h->host->log(h->hctx, QUIRE_LOG_WARN, "%s", msg);
        }
        sleep_for(wait);
    }
}
