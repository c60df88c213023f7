/*
 * crm_rest.h - the parts of the crm_rest plugin shared between its files.
 *
 *   crm_value.c  JSON paths, typed conversion of JSON values, dates, masking
 *   crm_http.c   one page over HTTP: auth, retries, backoff, rate limit
 *   crm_rest.c   options, pagination, cache, batches, the descriptor
 *
 * Nothing here is exported from the shared object (it is built with hidden
 * visibility); crm_value.c has no libcurl in it, so unit tests compile it in.
 */
#ifndef QUIRE_CRM_REST_H
#define QUIRE_CRM_REST_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>

#include "quire/plugin.h"

/* ---------------------------------------------------------------- paths */

/* One step of a JSON path: an object key or an array index. */
typedef struct crm_step {
    char *key; /* NULL: an index */
    size_t index;
} crm_step;

typedef struct crm_path {
    crm_step *step;
    size_t n;
    char *text; /* as written, for messages */
} crm_path;

/*
 * Compile "a.b[0].c" (also "a.b.0.c"; "" or "." is the root) into p.
 * Returns 0, or -1 with a reason in why. p owns its memory: crm_path_free.
 */
int crm_path_compile(const char *text, crm_path *p, char *why, size_t nwhy);
void crm_path_free(crm_path *p);
/* The value at p under root, borrowed; NULL when a step is missing. */
json_t *crm_path_get(json_t *root, const crm_path *p);

/* ---------------------------------------------------------------- values */

/* Text that string cells point to while a batch is alive: chunks that never
 * move, reset (not freed) between batches. */
typedef struct crm_chunk crm_chunk;
typedef struct crm_arena {
    crm_chunk *head, *cur;
} crm_arena;

char *crm_arena_put(crm_arena *a, const char *s, size_t n);
void crm_arena_reset(crm_arena *a);
void crm_arena_free(crm_arena *a);

/*
 * Fill cell c with v converted to type t. A missing value or JSON null is a
 * null cell. Strings point into v or into a; a value of another JSON type is
 * converted when that is unambiguous ("42" to an integer, 42 to a string).
 * Returns 0, or -1 with what was expected and found in why.
 */
int crm_convert(json_t *v, quire_type t, quire_cell *c, crm_arena *a, char *why, size_t nwhy);

/*
 * Days since 1970-01-01 of an ISO 8601 date ("2024-03-05"), date-time
 * ("2024-03-05T10:00:00.123Z", "+01:00", "+0100", or a space for the T; with
 * an offset the UTC day is taken), or of epoch milliseconds written in digits.
 * Returns 0 or -1.
 */
int crm_parse_date(const char *s, size_t n, int64_t *days);
/* Days since 1970-01-01 of epoch milliseconds (floor). */
int64_t crm_days_of_ms(int64_t ms);

/*
 * Copy in to out (size n, always terminated) with each of the secrets
 * (NULL-terminated list; empty ones skipped) and its URL-encoded form replaced
 * by "***", and the value of query parameter param (when not NULL) too.
 */
void crm_mask(const char *in, char *out, size_t n, const char *const *secrets, const char *param);

/* FNV-1a, for cache fingerprints and the repeat guard. */
uint64_t crm_hash(uint64_t h, const void *p, size_t n);
#define CRM_HASH_INIT 1469598103934665603ULL

/* ---------------------------------------------------------------- http */

/* One connection to the CRM and what the last response brought. */
typedef struct crm_http {
    const quire_host *host;
    void *hctx;
    void *curl;    /* CURL * */
    void *headers; /* struct curl_slist *: the spec's headers and the auth header */
    /* settings, filled by the caller before crm_http_init */
    long connect_timeout, timeout; /* seconds */
    int retries;
    long backoff_ms, backoff_max_ms; /* first wait, longest wait */
    long retry_after_max;            /* seconds: a longer Retry-After is an error */
    double rate;                     /* requests per second, 0: no limit */
    int64_t max_bytes;               /* per response */
    const char *ca_file;
    int insecure;
    int post;
    const char *user, *password; /* basic auth, or NULL */
    const char *auth_desc;       /* "bearer token from $CRM_TOKEN", for 401/403 */
    const char *secrets[4];      /* masked in every message */
    const char *mask_param;      /* query parameter whose value is masked */
    /* the last response */
    long status;
    char *body;
    size_t len, cap;
    int too_big;
    char *link_next;   /* Link: <...>; rel="next", or NULL */
    long retry_after;  /* seconds, -1: none */
    json_t *json;      /* the 2xx body parsed, or NULL (then jerr says why); the caller's */
    json_error_t jerr;
    int attempts;      /* requests the last fetch took, redirects not counted */
    /* runtime */
    double last_start; /* monotonic seconds of the last request */
    uint64_t rng;
    unsigned long requests; /* sent, retries included */
    char err[1024];    /* the last error, secrets masked */
    int err_kind;      /* its QUIRE_ERROR_*: TRANSIENT when retrying later may help */
} crm_http;

/* Set up the connection. Returns 0, or -1 with h->err set. */
int crm_http_init(crm_http *h);
/* Add "Name: value" to the request headers. Returns 0 or -1. */
int crm_http_header(crm_http *h, const char *line);
/*
 * Fetch url (POST body when h->post), retrying connection errors, 429 and 5xx
 * with backoff; messages show the URL as shown (without the auth parameter)
 * and the page number. A 2xx body that is not JSON (cut short) is retried
 * too. Redirects are followed only on the same origin (scheme, host and
 * port): another server would receive the credentials. Returns 0 with the 2xx
 * response in h->body/h->len (NUL-terminated) and parsed in h->json (NULL,
 * with h->jerr, when it still does not parse after the retries), or -1 with
 * h->err set.
 */
int crm_http_fetch(crm_http *h, const char *url, const char *shown, const char *body,
                   uint64_t page);
/* Format a message into out with the secrets masked. */
void crm_http_say(const crm_http *h, char *out, size_t n, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
void crm_http_free(crm_http *h);

#endif
