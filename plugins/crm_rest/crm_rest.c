/*
 * crm_rest.c - the crm_rest plugin: any paginated JSON REST API as a source.
 *
 * Configuration alone says where the records are (a JSON path), which JSON
 * path feeds each column, how the API pages (cursor, next URL, Link header,
 * offset, page number) and how to authenticate. Each page is parsed, turned
 * into one column-major batch and released before the next request, so
 * memory does not grow with the number of records. With a cache, pages go to
 * a file first (written aside, renamed when complete) and the rows are read
 * back from it, so a CRM that fails halfway never leaves a partial table.
 * The user-facing rules are in docs/plugins/crm_rest.md.
 */
#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "../common/http.h"
#include "crm_rest.h"

#ifndef QUIRE_VERSION
#define QUIRE_VERSION "0.1.0"
#endif

#define BATCH 4096        /* rows per emitted batch, at most */
#define CACHE_VERSION 1

/* ---------------------------------------------------------------- options */

enum {
    OPT_URL, OPT_PATH, OPT_METHOD, OPT_BODY, OPT_QUERY, OPT_HEADERS, OPT_RECORDS, OPT_FIELDS,
    OPT_FIELD_PREFIX, OPT_PAGINATION, OPT_PAGE_SIZE, OPT_LIMIT_PARAM, OPT_CURSOR_PATH,
    OPT_CURSOR_PARAM, OPT_NEXT_PATH, OPT_MORE_PATH, OPT_DONE_PATH, OPT_OFFSET_PARAM,
    OPT_NEXT_OFFSET_PATH, OPT_PAGE_PARAM, OPT_PAGE_START, OPT_AUTH, OPT_TOKEN_ENV, OPT_TOKEN_FILE,
    OPT_USER_ENV, OPT_PASSWORD_ENV, OPT_PASSWORD_FILE, OPT_AUTH_HEADER, OPT_AUTH_PARAM,
    OPT_CONNECT_TIMEOUT, OPT_TIMEOUT, OPT_RETRIES, OPT_BACKOFF, OPT_BACKOFF_MAX,
    OPT_RETRY_AFTER_MAX, OPT_RATE_LIMIT, OPT_MAX_PAGES, OPT_MAX_RECORDS, OPT_MAX_BYTES,
    OPT_CA_FILE, OPT_INSECURE, OPT_CACHE, OPT_CACHE_TTL, OPT_ON_ERROR, OPT_COUNT
};

enum { PAG_NONE, PAG_CURSOR, PAG_NEXT_URL, PAG_LINK, PAG_OFFSET, PAG_PAGE };
static const char *const pag_names[] = {"none", "cursor", "next_url", "link_header", "offset",
                                        "page", NULL};
enum { AUTH_NONE, AUTH_BEARER, AUTH_BASIC, AUTH_HEADER, AUTH_QUERY };
static const char *const auth_names[] = {"none", "bearer", "basic", "header", "query", NULL};
static const char *const on_error_names[] = {"fail", "use_cache", NULL};

/* The options: ENUM choices are the names above, in the order of their enums. */
static const quire_option_def options[] = {
    {.name = "url", .type = QUIRE_OPT_STRING, .required = 1,
     .help = "base URL of the API: https://api.example.com"},
    {.name = "path", .type = QUIRE_OPT_STRING, .default_value = "",
     .help = "path of the list endpoint: /crm/v3/objects/contacts"},
    {.name = "method", .type = QUIRE_OPT_STRING, .default_value = "GET",
     .help = "GET, or POST (with body) for search endpoints"},
    {.name = "body", .type = QUIRE_OPT_STRING,
     .help = "POST only: a JSON object sent as the request body"},
    {.name = "query", .type = QUIRE_OPT_STRING,
     .help = "query parameters: archived=false&properties=email"},
    {.name = "headers", .type = QUIRE_OPT_STRING,
     .help = "request headers: \"Accept: application/json; X-A: b\""},
    {.name = "records", .type = QUIRE_OPT_STRING, .required = 1,
     .help = "JSON path of the record list: results, records, data"},
    {.name = "fields", .type = QUIRE_OPT_STRING,
     .help = "columns from JSON paths: \"customer_id=id, email=properties.email\""},
    {.name = "field_prefix", .type = QUIRE_OPT_STRING, .default_value = "",
     .help = "path prefix of columns not in fields: properties."},
    {.name = "pagination", .type = QUIRE_OPT_ENUM, .default_value = "none", .choices = pag_names,
     .help = "how the next page is asked for"},
    {.name = "page_size", .type = QUIRE_OPT_INTEGER, .default_value = "100",
     .help = "records asked for per page (limit_param)"},
    {.name = "limit_param", .type = QUIRE_OPT_STRING,
     .help = "parameter that sends page_size: limit"},
    {.name = "cursor_path", .type = QUIRE_OPT_STRING,
     .help = "cursor: JSON path of the next cursor"},
    {.name = "cursor_param", .type = QUIRE_OPT_STRING,
     .help = "cursor: parameter that sends it: after"},
    {.name = "next_path", .type = QUIRE_OPT_STRING,
     .help = "next_url: JSON path of the next page's URL"},
    {.name = "more_path", .type = QUIRE_OPT_STRING,
     .help = "JSON path of a flag: true while pages remain"},
    {.name = "done_path", .type = QUIRE_OPT_STRING,
     .help = "JSON path of a flag: true on the last page"},
    {.name = "offset_param", .type = QUIRE_OPT_STRING,
     .help = "offset: parameter of the first record: start"},
    {.name = "next_offset_path", .type = QUIRE_OPT_STRING,
     .help = "offset: JSON path of the next offset (default: offset + records)"},
    {.name = "page_param", .type = QUIRE_OPT_STRING,
     .help = "page: parameter of the page number: page"},
    {.name = "page_start", .type = QUIRE_OPT_INTEGER, .default_value = "1",
     .help = "page: number of the first page"},
    {.name = "auth", .type = QUIRE_OPT_ENUM, .default_value = "none", .choices = auth_names,
     .help = "how requests authenticate"},
    {.name = "token_env", .type = QUIRE_OPT_STRING,
     .help = "environment variable holding the token"},
    {.name = "token_file", .type = QUIRE_OPT_PATH, .help = "file holding the token"},
    {.name = "user_env", .type = QUIRE_OPT_STRING,
     .help = "basic: environment variable holding the user"},
    {.name = "password_env", .type = QUIRE_OPT_STRING,
     .help = "basic: environment variable holding the password"},
    {.name = "password_file", .type = QUIRE_OPT_PATH, .help = "basic: file holding the password"},
    {.name = "auth_header", .type = QUIRE_OPT_STRING,
     .help = "header: the header that carries the key: X-API-Key"},
    {.name = "auth_param", .type = QUIRE_OPT_STRING,
     .help = "query: the parameter that carries the key"},
    {.name = "connect_timeout", .type = QUIRE_OPT_INTEGER, .default_value = "10",
     .help = "seconds to connect"},
    {.name = "timeout", .type = QUIRE_OPT_INTEGER, .default_value = "60",
     .help = "seconds for a whole request"},
    {.name = "retries", .type = QUIRE_OPT_INTEGER, .default_value = "4",
     .help = "retries of a request after a transient failure"},
    {.name = "retry_backoff_ms", .type = QUIRE_OPT_INTEGER, .default_value = "500",
     .help = "first wait before a retry, doubled each time"},
    {.name = "retry_backoff_max_ms", .type = QUIRE_OPT_INTEGER, .default_value = "30000",
     .help = "longest wait before a retry"},
    {.name = "retry_after_max", .type = QUIRE_OPT_INTEGER, .default_value = "300",
     .help = "seconds of Retry-After accepted at most"},
    {.name = "rate_limit", .type = QUIRE_OPT_NUMBER, .default_value = "0",
     .help = "requests per second at most (0: no limit)"},
    {.name = "max_pages", .type = QUIRE_OPT_INTEGER, .default_value = "10000",
     .help = "more pages than this is an error"},
    {.name = "max_records", .type = QUIRE_OPT_INTEGER, .default_value = "10000000",
     .help = "more records than this is an error"},
    {.name = "max_response_bytes", .type = QUIRE_OPT_INTEGER, .default_value = "67108864",
     .help = "a larger response is an error"},
    {.name = "ca_file", .type = QUIRE_OPT_PATH,
     .help = "CA bundle to verify the server's certificate"},
    {.name = "insecure", .type = QUIRE_OPT_BOOLEAN, .default_value = "false",
     .help = "do not verify TLS certificates (testing only)"},
    {.name = "cache", .type = QUIRE_OPT_PATH, .help = "file keeping the fetched table"},
    {.name = "cache_ttl", .type = QUIRE_OPT_INTEGER, .default_value = "3600",
     .help = "seconds a cached table is used without fetching"},
    {.name = "on_error", .type = QUIRE_OPT_ENUM, .default_value = "fail", .choices = on_error_names,
     .help = "when the CRM fails: stop, or use the cached table"},
    {.name = NULL}, /* the end */
};


/* ---------------------------------------------------------------- state */

/* A column the source knows: declared in the spec, or named in fields. */
typedef struct col {
    char *name;
    quire_type type;
    crm_path path;
} col;

typedef struct crm {
    const quire_host *host;
    void *hctx;
    char *source, *spec;
    crm_http http;
    char *base;  /* url + path */
    char *query; /* the spec's query parameters, or NULL */
    json_t *body; /* POST: the body object */
    crm_path records;
    int pag;
    crm_path cursor_path, next_path, more_path, done_path, next_offset_path;
    char *cursor_param, *offset_param, *limit_param, *page_param, *field_prefix;
    int64_t page_size, page_start, max_pages, max_records;
    int auth;
    char *auth_param, *token, *user, *password, *auth_desc;
    col *cols;
    size_t ncols;
    char *cache;
    int64_t cache_ttl;
    int use_cache;
    uint64_t fingerprint;
    char err[1200];      /* the scan's error, reported once by scan() */
    uint32_t err_kind;   /* QUIRE_ERROR_* */
    char err_file[700];  /* the URL (as shown) or file it is about, or "" */
    uint64_t err_record; /* the record, 0: none */
} crm;

static void cclose(void *state);

/* ---------------------------------------------------------------- helpers */

static char *dupstr(const char *s)
{
    return s ? strdup(s) : NULL;
}

static void wipe_free(char *s)
{
    if (s) {
        memset(s, 0, strlen(s));
        free(s);
    }
}

/*
 * Report an error, masked: its kind, the option at fault (CONFIG) or the
 * file or URL and record (the others). A host of ABI 1.2 takes them apart
 * (error_at); an older one gets "spec: source "name": ..." with the file
 * and record written into the message.
 */
static void report(crm *st, uint32_t kind, const char *option, const char *file,
                   uint64_t record, const char *msg)
{
    char out[1300];

    crm_mask(msg, out, sizeof out, st->http.secrets, st->http.mask_param);
    if (QUIRE_HOST_HAS(st->host, error_at) && st->host->error_at) {
        quire_error_info w;
        memset(&w, 0, sizeof w);
        w.struct_size = sizeof w;
        w.kind = kind;
        w.option = option;
        w.file = file;
        w.record = record;
        st->host->error_at(st->hctx, &w, "%s", out);
    } else if (file && record) {
        st->host->error(st->hctx, "%s: source \"%s\": %s, record %llu: %s", st->spec, st->source,
                        file, (unsigned long long)record, out);
    } else if (file) {
        st->host->error(st->hctx, "%s: source \"%s\": %s: %s", st->spec, st->source, file, out);
    } else {
        st->host->error(st->hctx, "%s: source \"%s\": %s", st->spec, st->source, out);
    }
}

#define NO_OPT (-1) /* a configuration error not about one option */

/* A configuration error of open(), about option opt (or NO_OPT). */
static int fail(crm *st, int opt, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail(crm *st, int opt, const char *fmt, ...)
{
    char raw[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    report(st, QUIRE_ERROR_CONFIG, opt >= 0 ? options[opt].name : NULL, NULL, 0, raw);
    return -1;
}

/* An error of open() that is not the configuration's: reading file failed
 * (kind IO), or memory ran out (file NULL). */
static int fail_io(crm *st, const char *file, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;
static int fail_io(crm *st, const char *file, const char *fmt, ...)
{
    char raw[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    report(st, QUIRE_ERROR_IO, NULL, file, 0, raw);
    return -1;
}

#define OOM(st) fail_io((st), NULL, "out of memory")

/*
 * Set the scan's error (masked), reported once by scan(): its kind, and the
 * file or URL (as shown) and record it is about, when known.
 */
static int seterr_at(crm *st, uint32_t kind, const char *file, uint64_t record,
                     const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 5, 6)))
#endif
    ;
static int seterr_at(crm *st, uint32_t kind, const char *file, uint64_t record,
                     const char *fmt, ...)
{
    char raw[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(raw, sizeof raw, fmt, ap);
    va_end(ap);
    crm_mask(raw, st->err, sizeof st->err, st->http.secrets, st->http.mask_param);
    st->err_kind = kind;
    st->err_record = record;
    if (file)
        crm_mask(file, st->err_file, sizeof st->err_file, st->http.secrets, st->http.mask_param);
    else
        st->err_file[0] = '\0';
    return -1;
}

/* The data is wrong (the message says where). */
#define seterr(st, ...) seterr_at((st), QUIRE_ERROR_DATA, NULL, 0, __VA_ARGS__)
/* Reading or writing failed. */
#define seterr_io(st, ...) seterr_at((st), QUIRE_ERROR_IO, NULL, 0, __VA_ARGS__)
#define SCAN_OOM(st) seterr_io((st), "out of memory")

static const char *opt(const quire_source_config *cfg, int i)
{
    const char *v = cfg->option_values ? cfg->option_values[i] : NULL;
    if (!v)
        v = options[i].default_value;
    return v && *v ? v : NULL;
}

static int int_opt(crm *st, const quire_source_config *cfg, int i, int64_t min, int64_t *out)
{
    const char *v = opt(cfg, i);
    char *end;
    long long x;

    if (!v)
        v = "0";
    errno = 0;
    x = strtoll(v, &end, 10);
    if (*end || errno || x < min)
        return fail(st, i, "option \"%s\" must be a whole number of at least %lld, not \"%s\"",
                    options[i].name, (long long)min, v);
    *out = x;
    return 0;
}

/* An ENUM option: its index in names, from an ABI 1.2 host that checked it
 * against the choices, else found here. */
static int choice(crm *st, const quire_source_config *cfg, int i, const char *const *names)
{
    const quire_option_value *tv = quire_option_at(cfg, (uint32_t)i);
    const char *v = opt(cfg, i);
    int k;
    char list[200] = "";

    if (tv && tv->set)
        return (int)tv->i;

    for (k = 0; names[k]; k++) {
        if (v && strcmp(v, names[k]) == 0)
            return k;
        snprintf(list + strlen(list), sizeof list - strlen(list), "%s%s", k ? ", " : "", names[k]);
    }
    return fail(st, i, "option \"%s\" must be one of %s, not \"%s\"", options[i].name, list,
                v ? v : "");
}

static int path_opt(crm *st, const quire_source_config *cfg, int i, crm_path *p, int need,
                    const char *why_needed)
{
    const char *v = opt(cfg, i);
    char why[300];

    if (!v) {
        if (need)
            return fail(st, i, "%s needs option \"%s\" (%s)", why_needed, options[i].name,
                        options[i].help);
        return 0;
    }
    if (crm_path_compile(v, p, why, sizeof why))
        return fail(st, i, "option \"%s\": %s", options[i].name, why);
    return 0;
}

static int need_opt(crm *st, const quire_source_config *cfg, int i, const char *what,
                    char **out)
{
    const char *v = opt(cfg, i);

    if (!v)
        return fail(st, i, "%s needs option \"%s\" (%s)", what, options[i].name, options[i].help);
    *out = dupstr(v);
    return *out ? 0 : OOM(st);
}

/* A secret from an environment variable or a file, never from the spec. */
static int secret(crm *st, const quire_source_config *cfg, int env_opt, int file_opt,
                  const char *what, char **out, char **desc)
{
    const char *env = opt(cfg, env_opt), *file = opt(cfg, file_opt);
    char d[256];

    if (env && file)
        return fail(st, file_opt, "give the %s in %s or %s, not both", what, options[env_opt].name,
                    options[file_opt].name);
    if (env) {
        const char *v = getenv(env);
        if (!v || !*v)
            return fail(st, env_opt, "environment variable %s (option %s, the %s) is not set", env,
                        options[env_opt].name, what);
        *out = dupstr(v);
        snprintf(d, sizeof d, "%s from environment variable %s", what, env);
    } else if (file) {
        FILE *f = fopen(file, "r");
        char buf[4096];
        size_t n;
        if (!f)
            return fail_io(st, file, "cannot read the %s: %s", what, strerror(errno));
        n = fread(buf, 1, sizeof buf - 1, f);
        fclose(f);
        buf[n] = '\0';
        while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r' || buf[n - 1] == ' '))
            buf[--n] = '\0';
        if (!n)
            return fail_io(st, file, "the %s file is empty", what);
        *out = dupstr(buf);
        memset(buf, 0, sizeof buf);
        snprintf(d, sizeof d, "%s from file %s", what, file);
    } else {
        return fail(st, OPT_AUTH, "auth needs the %s from %s (an environment variable) or %s (a file)",
                    what, options[env_opt].name, options[file_opt].name);
    }
    if (!*out)
        return OOM(st);
    if (desc) {
        free(*desc);
        *desc = dupstr(d);
    }
    return 0;
}

/* "Name: value; Name2: value2": split at a ';' that starts a new "Name:". */
static int add_headers(crm *st, const char *spec)
{
    const char *s = spec;

    while (s && *s) {
        const char *e = s, *colon;
        char line[1024];
        size_t n;
        for (;;) {
            e = strchr(e, ';');
            if (!e)
                break;
            {
                const char *q = e + 1;
                while (*q == ' ')
                    q++;
                while ((*q >= 'A' && *q <= 'Z') || (*q >= 'a' && *q <= 'z') ||
                       (*q >= '0' && *q <= '9') || *q == '-' || *q == '_')
                    q++;
                if (*q == ':' && q > e + 1)
                    break;
            }
            e++;
        }
        n = e ? (size_t)(e - s) : strlen(s);
        while (n && (*s == ' '))
            s++, n--;
        while (n && s[n - 1] == ' ')
            n--;
        if (n) {
            if (n >= sizeof line)
                return fail(st, OPT_HEADERS, "option \"headers\": a header is longer than %zu bytes",
                            sizeof line - 1);
            memcpy(line, s, n);
            line[n] = '\0';
            colon = strchr(line, ':');
            if (!colon || colon == line)
                return fail(st, OPT_HEADERS, "option \"headers\": \"%s\" is not \"Name: value\"", line);
            if ((size_t)(colon - line) == 13 && strncasecmp(line, "Authorization", 13) == 0)
                return fail(st, OPT_HEADERS, "option \"headers\": no Authorization header in the spec; "
                            "use auth with token_env or token_file");
            if (crm_http_header(&st->http, line))
                return OOM(st);
        }
        s = e ? e + 1 : NULL;
    }
    return 0;
}

/* "name=path, name2=path2". */
static int parse_fields(crm *st, const char *spec, const quire_source_config *cfg)
{
    const char *s = spec;

    while (s && *s) {
        const char *e = strchr(s, ','), *eq;
        size_t n = e ? (size_t)(e - s) : strlen(s), k;
        char item[512], *name, *path, why[300];
        col *c = NULL;
        while (n && (*s == ' ' || *s == '\n'))
            s++, n--;
        while (n && (s[n - 1] == ' ' || s[n - 1] == '\n'))
            n--;
        if (n) {
            if (n >= sizeof item)
                return fail(st, OPT_FIELDS, "option \"fields\": an entry is too long");
            memcpy(item, s, n);
            item[n] = '\0';
            eq = strchr(item, '=');
            if (!eq || eq == item || !eq[1])
                return fail(st, OPT_FIELDS, "option \"fields\": \"%s\" is not column=json.path", item);
            name = item;
            item[eq - item] = '\0';
            path = item + (eq - item) + 1;
            while (*path == ' ')
                path++;
            for (k = strlen(name); k && name[k - 1] == ' '; k--)
                name[k - 1] = '\0';
            for (k = 0; k < st->ncols; k++)
                if (strcmp(st->cols[k].name, name) == 0)
                    c = &st->cols[k];
            if (!c) {
                col *nc = realloc(st->cols, (st->ncols + 1) * sizeof *nc);
                if (!nc)
                    return OOM(st);
                st->cols = nc;
                c = &st->cols[st->ncols++];
                memset(c, 0, sizeof *c);
                c->name = dupstr(name);
                c->type = QUIRE_T_STRING;
                if (!c->name)
                    return OOM(st);
            }
            crm_path_free(&c->path);
            if (crm_path_compile(path, &c->path, why, sizeof why))
                return fail(st, OPT_FIELDS, "option \"fields\": column \"%s\": %s", name, why);
        }
        s = e ? e + 1 : NULL;
    }
    (void)cfg;
    return 0;
}

static int prefixed_path(crm *st, const char *name, crm_path *p)
{
    char full[512], why[300];

    snprintf(full, sizeof full, "%s%s", st->field_prefix ? st->field_prefix : "", name);
    if (crm_path_compile(full, p, why, sizeof why))
        return fail(st, OPT_FIELD_PREFIX, "column \"%s\": %s", name, why);
    return 0;
}

static char *join_url(const char *url, const char *path)
{
    size_t a = strlen(url), b = path ? strlen(path) : 0;
    char *s = malloc(a + b + 2);

    if (!s)
        return NULL;
    memcpy(s, url, a);
    if (b) {
        if (a && url[a - 1] == '/' && path[0] == '/')
            a--;
        else if (a && url[a - 1] != '/' && path[0] != '/' && path[0] != '?')
            s[a++] = '/';
        memcpy(s + a, path, b);
    }
    s[a + b] = '\0';
    return s;
}

/* ---------------------------------------------------------------- open */

/* Tell the host what the source reads (for the run manifest): the endpoint
 * with the spec's query, as requests start from it, without credentials (a
 * user name and password in the URL, the secrets, the key's parameter). */
static int say_origin(crm *st, const quire_host *host, void *hctx)
{
    size_t n = strlen(st->base) + (st->query ? strlen(st->query) + 1 : 0) + 1;
    char *url = malloc(n + 3), *masked = malloc(n + 64), *auth, *at, *slash; /* room for *** */

    if (!url || !masked) {
        free(url);
        free(masked);
        OOM(st);
        return -1;
    }
    snprintf(url, n, "%s%s%s", st->base, st->query && *st->query ? "?" : "",
             st->query ? st->query : "");
    auth = strstr(url, "://");
    if (auth) {
        auth += 3;
        slash = auth + strcspn(auth, "/?#");
        at = memchr(auth, '@', (size_t)(slash - auth));
        if (at) /* user:password@host -> ***@host */
            memmove(auth + 3, at, strlen(at) + 1), memcpy(auth, "***", 3);
    }
    crm_mask(url, masked, n + 64, st->http.secrets, st->http.mask_param);
    host->origin(hctx, masked);
    free(url);
    free(masked);
    return 0;
}

static int copen(const quire_host *host, void *hctx, const quire_source_config *cfg,
                 void **state)
{
    crm *st;
    const char *v;
    int64_t x;
    uint32_t i;
    uint64_t fp = CRM_HASH_INIT;
    size_t k;

    *state = NULL;
    if (!host || QUIRE_ABI_MAJOR_OF(host->abi_version) != QUIRE_PLUGIN_ABI_MAJOR ||
        host->struct_size < offsetof(quire_host, error) + sizeof host->error)
        return 1;
    st = calloc(1, sizeof *st);
    if (!st) {
        host->error(hctx, "source \"%s\": out of memory", cfg->source_name);
        return 1;
    }
    st->host = host;
    st->hctx = hctx;
    st->http.host = host;
    st->http.hctx = hctx;
    st->source = dupstr(cfg->source_name ? cfg->source_name : "crm_rest");
    st->spec = dupstr(cfg->spec_path ? cfg->spec_path : "spec");
    if (!st->source || !st->spec) {
        host->error(hctx, "source: out of memory");
        goto bad;
    }

    /* where and how */
    v = opt(cfg, OPT_URL);
    if (!v || (strncmp(v, "http://", 7) != 0 && strncmp(v, "https://", 8) != 0)) {
        fail(st, OPT_URL, "option \"url\" must start with http:// or https://, not \"%s\"", v ? v : "");
        goto bad;
    }
    st->base = join_url(v, opt(cfg, OPT_PATH));
    st->query = dupstr(opt(cfg, OPT_QUERY));
    if (!st->base) {
        OOM(st);
        goto bad;
    }
    if (st->query && st->query[0] == '?')
        memmove(st->query, st->query + 1, strlen(st->query));
    v = opt(cfg, OPT_METHOD);
    if (strcmp(v, "GET") == 0 || strcmp(v, "get") == 0) {
        st->http.post = 0;
    } else if (strcmp(v, "POST") == 0 || strcmp(v, "post") == 0) {
        st->http.post = 1;
    } else {
        fail(st, OPT_METHOD, "option \"method\" must be GET or POST, not \"%s\"", v);
        goto bad;
    }
    if ((v = opt(cfg, OPT_BODY)) != NULL) {
        json_error_t je;
        if (!st->http.post) {
            fail(st, OPT_BODY, "option \"body\" needs method: POST");
            goto bad;
        }
        st->body = json_loads(v, 0, &je);
        if (!st->body || !json_is_object(st->body)) {
            fail(st, OPT_BODY, "option \"body\" must be a JSON object: %s at byte %d",
                 st->body ? "not an object" : je.text, st->body ? 0 : je.position);
            goto bad;
        }
    } else if (st->http.post) {
        st->body = json_object();
    }
    if (path_opt(st, cfg, OPT_RECORDS, &st->records, 1, "the source"))
        goto bad;

    /* pagination */
    if ((st->pag = choice(st, cfg, OPT_PAGINATION, pag_names)) < 0)
        goto bad;
    if (int_opt(st, cfg, OPT_PAGE_SIZE, 1, &st->page_size) ||
        int_opt(st, cfg, OPT_PAGE_START, 0, &st->page_start))
        goto bad;
    st->limit_param = dupstr(opt(cfg, OPT_LIMIT_PARAM));
    if (path_opt(st, cfg, OPT_MORE_PATH, &st->more_path, 0, NULL) ||
        path_opt(st, cfg, OPT_DONE_PATH, &st->done_path, 0, NULL))
        goto bad;
    switch (st->pag) {
    case PAG_CURSOR:
        if (path_opt(st, cfg, OPT_CURSOR_PATH, &st->cursor_path, 1, "pagination: cursor") ||
            need_opt(st, cfg, OPT_CURSOR_PARAM, "pagination: cursor", &st->cursor_param))
            goto bad;
        break;
    case PAG_NEXT_URL:
        if (path_opt(st, cfg, OPT_NEXT_PATH, &st->next_path, 1, "pagination: next_url"))
            goto bad;
        break;
    case PAG_OFFSET:
        if (need_opt(st, cfg, OPT_OFFSET_PARAM, "pagination: offset", &st->offset_param) ||
            path_opt(st, cfg, OPT_NEXT_OFFSET_PATH, &st->next_offset_path, 0, NULL))
            goto bad;
        break;
    case PAG_PAGE:
        if (need_opt(st, cfg, OPT_PAGE_PARAM, "pagination: page", &st->page_param))
            goto bad;
        break;
    default:
        break;
    }

    /* auth: secrets from the environment or a file only */
    if ((st->auth = choice(st, cfg, OPT_AUTH, auth_names)) < 0)
        goto bad;
    switch (st->auth) {
    case AUTH_BEARER:
    case AUTH_HEADER:
    case AUTH_QUERY: {
        const char *what = st->auth == AUTH_BEARER ? "bearer token" : "API key";
        char line[4200];
        if (secret(st, cfg, OPT_TOKEN_ENV, OPT_TOKEN_FILE, what, &st->token, &st->auth_desc))
            goto bad;
        st->http.secrets[0] = st->token;
        if (st->auth == AUTH_BEARER) {
            snprintf(line, sizeof line, "Authorization: Bearer %s", st->token);
        } else if (st->auth == AUTH_HEADER) {
            const char *hn = opt(cfg, OPT_AUTH_HEADER);
            if (!hn) {
                fail(st, OPT_AUTH, "auth: header needs option \"auth_header\" (%s)",
                     options[OPT_AUTH_HEADER].help);
                goto bad;
            }
            snprintf(line, sizeof line, "%s: %s", hn, st->token);
            {
                char d[300];
                snprintf(d, sizeof d, "API key in header %s (%s)", hn, st->auth_desc);
                free(st->auth_desc);
                st->auth_desc = dupstr(d);
            }
        } else {
            char d[300];
            if (need_opt(st, cfg, OPT_AUTH_PARAM, "auth: query", &st->auth_param))
                goto bad;
            st->http.mask_param = st->auth_param;
            snprintf(d, sizeof d, "API key in query parameter %s (%s)", st->auth_param,
                     st->auth_desc);
            free(st->auth_desc);
            st->auth_desc = dupstr(d);
            line[0] = '\0';
        }
        if (line[0] && crm_http_header(&st->http, line)) {
            memset(line, 0, sizeof line);
            OOM(st);
            goto bad;
        }
        memset(line, 0, sizeof line);
        break;
    }
    case AUTH_BASIC: {
        const char *ue = opt(cfg, OPT_USER_ENV), *u;
        char d[300];
        if (!ue) {
            fail(st, OPT_AUTH, "auth: basic needs option \"user_env\" (%s)", options[OPT_USER_ENV].help);
            goto bad;
        }
        u = getenv(ue);
        if (!u || !*u) {
            fail(st, OPT_USER_ENV, "environment variable %s (option user_env) is not set", ue);
            goto bad;
        }
        st->user = dupstr(u);
        if (secret(st, cfg, OPT_PASSWORD_ENV, OPT_PASSWORD_FILE, "password", &st->password,
                   &st->auth_desc))
            goto bad;
        snprintf(d, sizeof d, "basic auth (user from %s, %s)", ue, st->auth_desc);
        free(st->auth_desc);
        st->auth_desc = dupstr(d);
        st->http.user = st->user;
        st->http.password = st->password;
        st->http.secrets[0] = st->password;
        break;
    }
    default:
        break;
    }
    if (st->query && st->auth_param) {
        char probe[256];
        snprintf(probe, sizeof probe, "%s=", st->auth_param);
        if (strncmp(st->query, probe, strlen(probe)) == 0 || strstr(st->query, probe)) {
            fail(st, OPT_QUERY, "option \"query\" must not carry %s: the key comes from token_env or "
                 "token_file", st->auth_param);
            goto bad;
        }
    }
    if (add_headers(st, opt(cfg, OPT_HEADERS)))
        goto bad;

    /* faults and guards */
    if (int_opt(st, cfg, OPT_CONNECT_TIMEOUT, 1, &x))
        goto bad;
    st->http.connect_timeout = (long)x;
    if (int_opt(st, cfg, OPT_TIMEOUT, 1, &x))
        goto bad;
    st->http.timeout = (long)x;
    if (int_opt(st, cfg, OPT_RETRIES, 0, &x))
        goto bad;
    st->http.retries = x > 100 ? 100 : (int)x;
    if (int_opt(st, cfg, OPT_BACKOFF, 0, &x))
        goto bad;
    st->http.backoff_ms = (long)x;
    if (int_opt(st, cfg, OPT_BACKOFF_MAX, 0, &x))
        goto bad;
    st->http.backoff_max_ms = (long)x;
    if (int_opt(st, cfg, OPT_RETRY_AFTER_MAX, 0, &x))
        goto bad;
    st->http.retry_after_max = (long)x;
    {
        /* a NUMBER: typed by an ABI 1.2 host, else parsed here */
        const quire_option_value *tv = quire_option_at(cfg, OPT_RATE_LIMIT);
        char *end = (char *)"";
        const char *r = opt(cfg, OPT_RATE_LIMIT);
        double rate = tv && tv->set ? tv->n : r ? strtod(r, &end) : 0;
        if (r && (*end || rate < 0 || rate != rate)) {
            fail(st, OPT_RATE_LIMIT, "option \"rate_limit\" must be a number of requests per second, not \"%s\"",
                 r);
            goto bad;
        }
        st->http.rate = rate;
    }
    if (int_opt(st, cfg, OPT_MAX_PAGES, 1, &st->max_pages) ||
        int_opt(st, cfg, OPT_MAX_RECORDS, 1, &st->max_records) ||
        int_opt(st, cfg, OPT_MAX_BYTES, 1024, &st->http.max_bytes))
        goto bad;
    st->http.ca_file = opt(cfg, OPT_CA_FILE) ? dupstr(opt(cfg, OPT_CA_FILE)) : NULL;
    st->http.insecure = opt(cfg, OPT_INSECURE) && strcmp(opt(cfg, OPT_INSECURE), "true") == 0;
    if (st->http.insecure)
        host->log(hctx, QUIRE_LOG_WARN,
                  "insecure: true: TLS certificates of %s are NOT verified; anyone on the "
                  "path can read and change the data", st->base);
    st->http.auth_desc = st->auth_desc;
    if (st->http.ca_file && access(st->http.ca_file, R_OK) != 0) {
        fail_io(st, st->http.ca_file, "cannot read the CA bundle (option ca_file): %s", strerror(errno));
        goto bad;
    }

    /* columns: declared ones, then fields may add or re-point */
    st->field_prefix = dupstr(opt(cfg, OPT_FIELD_PREFIX));
    if (cfg->ndeclared) {
        st->cols = calloc(cfg->ndeclared, sizeof *st->cols);
        if (!st->cols) {
            OOM(st);
            goto bad;
        }
    }
    for (i = 0; i < cfg->ndeclared; i++) {
        col *c = &st->cols[st->ncols++];
        c->name = dupstr(cfg->declared[i].name);
        c->type = cfg->declared[i].type;
        if (!c->name) {
            OOM(st);
            goto bad;
        }
    }
    if (parse_fields(st, opt(cfg, OPT_FIELDS), cfg))
        goto bad;
    for (k = 0; k < st->ncols; k++)
        if (!st->cols[k].path.text && prefixed_path(st, st->cols[k].name, &st->cols[k].path))
            goto bad;

    /* cache */
    st->cache = dupstr(opt(cfg, OPT_CACHE));
    if (int_opt(st, cfg, OPT_CACHE_TTL, 0, &st->cache_ttl))
        goto bad;
    v = opt(cfg, OPT_ON_ERROR);
    if (strcmp(v, "use_cache") == 0) {
        st->use_cache = 1;
        if (!st->cache) {
            fail(st, OPT_ON_ERROR, "on_error: use_cache needs option \"cache\" (%s)", options[OPT_CACHE].help);
            goto bad;
        }
    } else if (strcmp(v, "fail") != 0) {
        fail(st, OPT_ON_ERROR, "option \"on_error\" must be fail or use_cache, not \"%s\"", v);
        goto bad;
    }
    /* what the cached table depends on (never the secrets) */
    {
        static const int parts[] = {OPT_URL,   OPT_PATH,    OPT_METHOD,       OPT_BODY,
                                    OPT_QUERY, OPT_RECORDS, OPT_PAGINATION,   OPT_FIELDS,
                                    OPT_FIELD_PREFIX};
        for (k = 0; k < sizeof parts / sizeof parts[0]; k++) {
            const char *pv = opt(cfg, parts[k]);
            fp = crm_hash(fp, pv ? pv : "", pv ? strlen(pv) + 1 : 1);
        }
        st->fingerprint = fp;
    }

    if (crm_http_init(&st->http)) {
        fail_io(st, NULL, "%s", st->http.err);
        goto bad;
    }
    if (QUIRE_HOST_HAS(host, origin) && say_origin(st, host, hctx))
        goto bad;
    *state = st;
    return 0;
bad:
    cclose(st);
    return 1;
}

/* ---------------------------------------------------------------- close */

static void cclose(void *state)
{
    crm *st = state;
    size_t k;

    if (!st)
        return;
    crm_http_free(&st->http);
    free((char *)st->http.ca_file);
    free(st->source);
    free(st->spec);
    free(st->base);
    free(st->query);
    json_decref(st->body);
    crm_path_free(&st->records);
    crm_path_free(&st->cursor_path);
    crm_path_free(&st->next_path);
    crm_path_free(&st->more_path);
    crm_path_free(&st->done_path);
    crm_path_free(&st->next_offset_path);
    free(st->cursor_param);
    free(st->offset_param);
    free(st->limit_param);
    free(st->page_param);
    free(st->field_prefix);
    free(st->auth_param);
    wipe_free(st->token);
    wipe_free(st->user);
    wipe_free(st->password);
    free(st->auth_desc);
    for (k = 0; k < st->ncols; k++) {
        free(st->cols[k].name);
        crm_path_free(&st->cols[k].path);
    }
    free(st->cols);
    free(st->cache);
    free(st);
}

/* ---------------------------------------------------------------- batches */

/* One output column of a scan. */
typedef struct ocol {
    quire_column col;
    const crm_path *path; /* into a record */
    crm_path cpath;       /* into a cached row: [index] */
} ocol;

/* Where the rows of a page go: to the host, or to the cache file. */
typedef struct sink {
    crm *st;
    ocol *out;
    uint32_t nout;
    quire_column *cols;
    quire_cell **cells;
    quire_cell *block;
    uint64_t *recno;
    size_t cap;
    crm_arena arena;
    uint64_t seen;  /* records taken */
    uint64_t limit; /* the host's max_records, 0: none */
    int emit_rc;    /* non-zero: the host stopped the scan */
    int done;       /* the host's limit is reached */
    int from_cache;
    FILE *cf; /* filling the cache */
} sink;

static int grow(sink *k, size_t rows)
{
    uint32_t j;
    quire_cell *b;
    uint64_t *r;

    if (rows <= k->cap)
        return 0;
    b = realloc(k->block, (size_t)(k->nout ? k->nout : 1) * rows * sizeof *b);
    if (!b)
        return -1;
    k->block = b;
    r = realloc(k->recno, rows * sizeof *r);
    if (!r)
        return -1;
    k->recno = r;
    for (j = 0; j < k->nout; j++)
        k->cells[j] = k->block + (size_t)j * rows;
    k->cap = rows;
    return 0;
}

/* Emit records[from, to) of a page (or of cached rows). */
static int emit_rows(sink *k, json_t *records, size_t from, size_t to, const char *where)
{
    crm *st = k->st;
    quire_batch b;
    size_t r;
    uint32_t j;
    char why[300];

    if (grow(k, to - from))
        return SCAN_OOM(st);
    crm_arena_reset(&k->arena);
    for (r = from; r < to; r++) {
        json_t *rec = json_array_get(records, r);
        for (j = 0; j < k->nout; j++) {
            const crm_path *p = k->from_cache ? &k->out[j].cpath : k->out[j].path;
            json_t *v = crm_path_get(rec, p);
            if (crm_convert(v, k->out[j].col.type, &k->cells[j][r - from], &k->arena, why,
                            sizeof why))
                return seterr_at(st, QUIRE_ERROR_DATA, where, k->seen + (r - from) + 1,
                                 "column \"%s\" (%s): %s", k->out[j].col.name,
                                 k->out[j].path->text, why);
        }
        k->recno[r - from] = k->seen + (r - from) + 1;
    }
    memset(&b, 0, sizeof b);
    b.struct_size = sizeof b;
    b.nrows = (uint32_t)(to - from);
    b.ncols = k->nout;
    b.columns = k->cols;
    b.cols = k->cells;
    b.first_record = k->seen + 1;
    b.record_no = NULL;
    k->seen += to - from;
    k->emit_rc = st->host->emit(st->hctx, &b);
    return k->emit_rc ? -1 : 0;
}

/* Take one page's records: emit them, or append them to the cache file. */
static int take(sink *k, json_t *records, const char *where)
{
    crm *st = k->st;
    size_t n = json_array_size(records), at = 0;

    if (k->cf) {
        size_t r, c;
        json_t *row = json_array();
        if (!row)
            return SCAN_OOM(st);
        for (r = 0; r < n; r++) {
            json_t *rec = json_array_get(records, r);
            json_array_clear(row);
            for (c = 0; c < st->ncols; c++) {
                json_t *v = crm_path_get(rec, &st->cols[c].path);
                json_array_append(row, v ? v : json_null());
            }
            if (json_dumpf(row, k->cf, JSON_COMPACT | JSON_ENCODE_ANY) || fputc('\n', k->cf) == EOF) {
                json_decref(row);
                return seterr_io(st, "cache %s: cannot write: %s", st->cache, strerror(errno));
            }
        }
        json_decref(row);
        k->seen += n;
        return 0;
    }
    while (at < n && !k->done) {
        size_t end = n - at > BATCH ? at + BATCH : n;
        if (k->limit && k->seen + (end - at) >= k->limit) {
            end = at + (size_t)(k->limit - k->seen);
            k->done = 1;
        }
        if (end > at && emit_rows(k, records, at, end, where))
            return -1;
        at = end;
    }
    return 0;
}

/* ---------------------------------------------------------------- pages */

/* Hashes of cursors (or URLs, offsets) seen: one that comes back is a loop. */
typedef struct seenset {
    uint64_t *v;
    size_t cap, n;
} seenset;

/* 1: already there; 0: added; -1: out of memory. */
static int seen_add(seenset *s, const char *key)
{
    uint64_t h = crm_hash(CRM_HASH_INIT, key, strlen(key));
    size_t i;

    if (!h)
        h = 1;
    if ((s->n + 1) * 2 > s->cap) {
        size_t cap = s->cap ? s->cap * 2 : 64, j;
        uint64_t *nv = calloc(cap, sizeof *nv);
        if (!nv)
            return -1;
        for (j = 0; j < s->cap; j++) {
            if (!s->v[j])
                continue;
            for (i = s->v[j] & (cap - 1); nv[i]; i = (i + 1) & (cap - 1))
                ;
            nv[i] = s->v[j];
        }
        free(s->v);
        s->v = nv;
        s->cap = cap;
    }
    for (i = h & (s->cap - 1); s->v[i]; i = (i + 1) & (s->cap - 1))
        if (s->v[i] == h)
            return 1;
    s->v[i] = h;
    s->n++;
    return 0;
}

/* Append "&name=value" (value escaped) to a growing string. */
static int add_param(char **url, const char *name, const char *value)
{
    char *esc, *n;
    size_t len = strlen(*url);
    int has_q = strchr(*url, '?') != NULL;

    esc = curl_easy_escape(NULL, value, 0);
    if (!esc)
        return -1;
    n = realloc(*url, len + strlen(name) + strlen(esc) + 3);
    if (!n) {
        curl_free(esc);
        return -1;
    }
    if (!has_q)
        sprintf(n + len, "?%s=%s", name, esc);
    else if (len && (n[len - 1] == '?' || n[len - 1] == '&'))
        sprintf(n + len, "%s=%s", name, esc);
    else
        sprintf(n + len, "&%s=%s", name, esc);
    curl_free(esc);
    *url = n;
    return 0;
}

static int is_true(json_t *v)
{
    return v && (json_is_true(v) || (json_is_integer(v) && json_integer_value(v) != 0) ||
                 (json_is_string(v) && strcmp(json_string_value(v), "true") == 0));
}

/* Scalar JSON as text for a cursor or offset, or NULL when absent/empty. */
static char *scalar_text(json_t *v)
{
    char buf[64];

    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return json_string_length(v) ? strdup(json_string_value(v)) : NULL;
    if (json_is_integer(v)) {
        snprintf(buf, sizeof buf, "%lld", (long long)json_integer_value(v));
        return strdup(buf);
    }
    if (json_is_real(v)) {
        snprintf(buf, sizeof buf, "%.17g", json_real_value(v));
        return strdup(buf);
    }
    return NULL;
}

/* Resolve a next URL against the current one; refuse another origin, which
 * would receive the credentials. */
static char *resolve(crm *st, const char *cur, const char *next, uint64_t page)
{
    CURLU *u = curl_url(), *b = curl_url();
    char *out = NULL, *h1 = NULL, *h2 = NULL, *s1 = NULL, *s2 = NULL, *p1 = NULL, *p2 = NULL;

    if (!u || !b) {
        SCAN_OOM(st);
        goto done;
    }
    if (curl_url_set(u, CURLUPART_URL, cur, 0) ||
        curl_url_set(u, CURLUPART_URL, next, CURLU_NON_SUPPORT_SCHEME) ||
        curl_url_get(u, CURLUPART_URL, &out, 0)) {
        seterr(st, "%s: page %llu: the next page's URL \"%.200s\" is not a URL", st->base,
               (unsigned long long)page, next);
        goto done;
    }
    curl_url_set(b, CURLUPART_URL, st->base, 0);
    curl_url_get(u, CURLUPART_SCHEME, &s1, 0);
    curl_url_get(b, CURLUPART_SCHEME, &s2, 0);
    curl_url_get(u, CURLUPART_HOST, &h1, 0);
    curl_url_get(b, CURLUPART_HOST, &h2, 0);
    curl_url_get(u, CURLUPART_PORT, &p1, CURLU_DEFAULT_PORT);
    curl_url_get(b, CURLUPART_PORT, &p2, CURLU_DEFAULT_PORT);
    if (!s1 || !s2 || !h1 || !h2 || !p1 || !p2 || strcasecmp(s1, s2) || strcasecmp(h1, h2) ||
        strcmp(p1, p2)) {
        seterr(st, "%s: page %llu: the next page's URL %.200s is on another server than url; "
               "not following it (it would receive the credentials)", st->base,
               (unsigned long long)page, out);
        curl_free(out);
        out = NULL;
    }
done:
    curl_free(s1);
    curl_free(s2);
    curl_free(h1);
    curl_free(h2);
    curl_free(p1);
    curl_free(p2);
    curl_url_cleanup(u);
    curl_url_cleanup(b);
    if (out) {
        char *r = strdup(out);
        curl_free(out);
        if (!r)
            SCAN_OOM(st);
        return r;
    }
    return NULL;
}

static void top_keys(json_t *root, char *out, size_t n)
{
    const char *key;
    json_t *v;
    size_t used = 0;

    out[0] = '\0';
    if (!json_is_object(root)) {
        snprintf(out, n, "the response is %s", json_is_array(root) ? "an array (records: .)"
                                                                    : "not an object");
        return;
    }
    snprintf(out, n, "top-level keys:");
    used = strlen(out);
    json_object_foreach(root, key, v) {
        if (used + strlen(key) + 4 >= n)
            break;
        used += (size_t)snprintf(out + used, n - used, " %s", key);
        (void)v;
    }
}

/*
 * Fetch every page and hand its records to the sink. Returns 0, or -1 with
 * st->err set (or k->emit_rc when the host stopped the scan).
 */
static int fetch_pages(crm *st, sink *k)
{
    seenset seen = {0};
    char *url = NULL, *cursor = NULL, *next_url = NULL;
    int64_t offset = 0, pageno = st->page_start;
    uint64_t page, total = 0;
    int rc = -1;

    for (page = 1;; page++) {
        char *req_url = NULL, *body = NULL, where[700];
        json_t *root = NULL, *recs;
        json_error_t je;
        size_t n;
        int last = 0;

        if ((int64_t)page > st->max_pages) {
            seterr(st, "%s: more than max_pages (%lld) pages; raise max_pages if the CRM "
                   "really has that many", st->base, (long long)st->max_pages);
            goto out;
        }
        /* the request */
        free(url);
        url = NULL;
        if (next_url) {
            url = next_url;
            next_url = NULL;
        } else {
            char num[32];
            url = strdup(st->base);
            if (!url)
                goto oom;
            if (st->query) {
                char *nu = realloc(url, strlen(url) + strlen(st->query) + 2);
                if (!nu)
                    goto oom;
                url = nu;
                strcat(url, strchr(url, '?') ? "&" : "?");
                strcat(url, st->query);
            }
            if (!st->http.post) {
                snprintf(num, sizeof num, "%lld", (long long)st->page_size);
                if (st->limit_param && add_param(&url, st->limit_param, num))
                    goto oom;
                if (cursor && add_param(&url, st->cursor_param, cursor))
                    goto oom;
                snprintf(num, sizeof num, "%lld", (long long)offset);
                if (st->pag == PAG_OFFSET && add_param(&url, st->offset_param, num))
                    goto oom;
                snprintf(num, sizeof num, "%lld", (long long)pageno);
                if (st->pag == PAG_PAGE && add_param(&url, st->page_param, num))
                    goto oom;
            }
        }
        if (st->http.post) {
            json_t *b = json_deep_copy(st->body);
            if (!b)
                goto oom;
            if (st->limit_param)
                json_object_set_new(b, st->limit_param, json_integer(st->page_size));
            if (cursor)
                json_object_set_new(b, st->cursor_param, json_string(cursor));
            if (st->pag == PAG_OFFSET)
                json_object_set_new(b, st->offset_param, json_integer(offset));
            if (st->pag == PAG_PAGE)
                json_object_set_new(b, st->page_param, json_integer(pageno));
            body = json_dumps(b, JSON_COMPACT);
            json_decref(b);
            if (!body)
                goto oom;
        }
        req_url = strdup(url);
        if (!req_url || (st->auth == AUTH_QUERY && add_param(&req_url, st->auth_param, st->token))) {
            free(req_url);
            free(body);
            goto oom;
        }
        /* messages show the URL as sent, with the key masked */
        crm_mask(req_url, where, sizeof where, st->http.secrets, st->http.mask_param);
        rc = crm_http_fetch(&st->http, req_url, where, body, page);
        memset(req_url, 0, strlen(req_url));
        free(req_url);
        free(body);
        if (rc) {
            snprintf(st->err, sizeof st->err, "%s", st->http.err);
            st->err_kind = (uint32_t)st->http.err_kind;
            st->err_file[0] = '\0';
            st->err_record = 0;
            rc = -1;
            goto out;
        }
        rc = -1;
        snprintf(where + strlen(where), sizeof where - strlen(where), ": page %llu",
                 (unsigned long long)page);

        /* the response */
        root = st->http.json; /* parsed by crm_http_fetch, which retried a cut body */
        st->http.json = NULL;
        if (!root) {
            je = st->http.jerr;
            seterr(st, "%s: invalid JSON at byte %d (line %d, column %d): %s; the response "
                   "has %zu bytes (%d attempt%s)", where, je.position, je.line, je.column,
                   je.text, st->http.len, st->http.attempts, st->http.attempts > 1 ? "s" : "");
            goto out;
        }
        recs = crm_path_get(root, &st->records);
        if (recs && json_is_null(recs) && st->records.n)
            recs = NULL, n = 0; /* "data": null: an empty page */
        else if (!recs || !json_is_array(recs)) {
            char keys[300];
            top_keys(root, keys, sizeof keys);
            seterr(st, "%s: %s at records path \"%s\", expected a list of records (%s)", where,
                   recs ? "not a list" : "nothing", st->records.text, keys);
            json_decref(root);
            goto out;
        }
        n = recs ? json_array_size(recs) : 0;
        total += n;
        if (total > (uint64_t)st->max_records) {
            seterr(st, "%s: more than max_records (%lld) records; raise max_records if the "
                   "CRM really has that many", where, (long long)st->max_records);
            json_decref(root);
            goto out;
        }
        if (recs && take(k, recs, where)) {
            json_decref(root);
            goto out;
        }
        if (k->done) {
            json_decref(root);
            rc = 0;
            goto out;
        }

        /* the next page */
        if (st->done_path.text && is_true(crm_path_get(root, &st->done_path)))
            last = 1;
        if (st->more_path.text && !is_true(crm_path_get(root, &st->more_path)))
            last = 1;
        free(cursor);
        cursor = NULL;
        if (!last) {
            switch (st->pag) {
            case PAG_CURSOR:
                cursor = scalar_text(crm_path_get(root, &st->cursor_path));
                if (!cursor) {
                    last = 1;
                } else if (seen_add(&seen, cursor)) {
                    seterr(st, "%s: the CRM sent cursor \"%.60s\" (at %s) a second time; "
                           "stopping instead of looping", where, cursor, st->cursor_path.text);
                    json_decref(root);
                    goto out;
                }
                break;
            case PAG_NEXT_URL:
            case PAG_LINK: {
                const char *nx = NULL;
                json_t *nv = NULL;
                if (st->pag == PAG_NEXT_URL) {
                    nv = crm_path_get(root, &st->next_path);
                    nx = json_is_string(nv) && json_string_length(nv) ? json_string_value(nv)
                                                                       : NULL;
                } else {
                    nx = st->http.link_next;
                }
                if (!nx) {
                    last = 1;
                    break;
                }
                next_url = resolve(st, url, nx, page);
                if (!next_url) {
                    json_decref(root);
                    goto out;
                }
                if (seen_add(&seen, next_url) || strcmp(next_url, url) == 0) {
                    seterr(st, "%s: the CRM sent the next page's URL %.200s a second time; "
                           "stopping instead of looping", where, next_url);
                    json_decref(root);
                    goto out;
                }
                break;
            }
            case PAG_OFFSET: {
                if (n == 0 || (!st->more_path.text && !st->next_offset_path.text &&
                               (int64_t)n < st->page_size)) {
                    last = 1;
                    break;
                }
                if (st->next_offset_path.text) {
                    json_t *ov = crm_path_get(root, &st->next_offset_path);
                    if (!json_is_integer(ov)) {
                        if (!ov || json_is_null(ov)) {
                            last = 1;
                            break;
                        }
                        seterr(st, "%s: expected a whole number at %s, the next offset", where,
                               st->next_offset_path.text);
                        json_decref(root);
                        goto out;
                    }
                    offset = json_integer_value(ov);
                } else {
                    offset += (int64_t)n;
                }
                {
                    char key[32];
                    snprintf(key, sizeof key, "%lld", (long long)offset);
                    if (seen_add(&seen, key) || offset < 0) {
                        seterr(st, "%s: the CRM sent offset %lld a second time; stopping "
                               "instead of looping", where, (long long)offset);
                        json_decref(root);
                        goto out;
                    }
                }
                break;
            }
            case PAG_PAGE:
                if (n == 0 || (!st->more_path.text && (int64_t)n < st->page_size))
                    last = 1;
                pageno++;
                break;
            default:
                last = 1;
            }
        }
        json_decref(root);
        if (last)
            break;
    }
    rc = 0;
    st->host->log(st->hctx, QUIRE_LOG_INFO, "%s: %llu records in %llu pages (%lu requests)",
                  st->base, (unsigned long long)total, (unsigned long long)page,
                  st->http.requests);
    goto out;
oom:
    SCAN_OOM(st);
    rc = -1;
out:
    free(url);
    free(next_url);
    free(cursor);
    free(seen.v);
    return rc;
}

/* ---------------------------------------------------------------- cache */

/* "2024-05-01 10:00 UTC, 3 h 12 min ago" */
static void describe_age(time_t fetched, char *out, size_t n)
{
    struct tm tm;
    char when[40];
    long long age = (long long)(time(NULL) - fetched);

    if (age < 0)
        age = 0;
    gmtime_r(&fetched, &tm);
    strftime(when, sizeof when, "%Y-%m-%d %H:%M:%S UTC", &tm);
    if (age < 120)
        snprintf(out, n, "%s, %lld s old", when, age);
    else if (age < 7200)
        snprintf(out, n, "%s, %lld min old", when, age / 60);
    else if (age < 172800)
        snprintf(out, n, "%s, %lld h %lld min old", when, age / 3600, age % 3600 / 60);
    else
        snprintf(out, n, "%s, %lld days old", when, age / 86400);
}

/*
 * Open the cache for reading when it was written for this configuration and
 * holds every column the scan needs; point each output column at its place
 * in a cached row. Returns the file (past the header line) or NULL.
 */
static FILE *cache_open(crm *st, sink *k, time_t *fetched)
{
    FILE *f = fopen(st->cache, "r");
    char *line = NULL, fp[24];
    size_t cap = 0;
    json_t *h = NULL, *names;
    uint32_t j;
    size_t i;

    if (!f)
        return NULL;
    if (getline(&line, &cap, f) <= 0)
        goto no;
    h = json_loads(line, 0, NULL);
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)st->fingerprint);
    names = json_object_get(h, "columns");
    if (!h || json_integer_value(json_object_get(h, "quire_crm_cache")) != CACHE_VERSION ||
        !json_is_string(json_object_get(h, "fingerprint")) ||
        strcmp(json_string_value(json_object_get(h, "fingerprint")), fp) != 0 ||
        !json_is_integer(json_object_get(h, "fetched_at")) || !json_is_array(names))
        goto no;
    *fetched = (time_t)json_integer_value(json_object_get(h, "fetched_at"));
    for (j = 0; j < k->nout; j++) {
        crm_path *cp = &k->out[j].cpath;
        crm_path_free(cp);
        for (i = 0; i < json_array_size(names); i++)
            if (json_is_string(json_array_get(names, i)) &&
                strcmp(json_string_value(json_array_get(names, i)), k->out[j].col.name) == 0)
                break;
        if (i == json_array_size(names))
            goto no;
        {
            char idx[32], why[64];
            snprintf(idx, sizeof idx, "[%zu]", i);
            if (crm_path_compile(idx, cp, why, sizeof why))
                goto no;
        }
    }
    json_decref(h);
    free(line);
    return f;
no:
    json_decref(h);
    free(line);
    fclose(f);
    return NULL;
}

/* Emit the rows of an open cache file. */
static int cache_emit(crm *st, sink *k, FILE *f)
{
    char *line = NULL, where[600];
    size_t cap = 0;
    ssize_t len;
    uint64_t lineno = 1;
    json_t *rows = json_array();
    int rc = 0;

    if (!rows)
        return SCAN_OOM(st);
    k->from_cache = 1;
    k->seen = 0;
    snprintf(where, sizeof where, "cache %s", st->cache);
    while (!k->done && (len = getline(&line, &cap, f)) > 0) {
        json_t *row = json_loadb(line, (size_t)len, 0, NULL);
        lineno++;
        if (!json_is_array(row)) {
            json_decref(row);
            rc = seterr(st, "cache %s: line %llu is not a cached row; delete the file",
                        st->cache, (unsigned long long)lineno);
            break;
        }
        json_array_append_new(rows, row);
        if (json_array_size(rows) == BATCH) {
            if ((rc = take(k, rows, where)) != 0)
                break;
            json_array_clear(rows);
        }
    }
    if (!rc && !k->done && json_array_size(rows))
        rc = take(k, rows, where);
    json_decref(rows);
    free(line);
    k->from_cache = 0;
    return rc;
}

/* Fetch every page into the cache file: written aside, renamed when whole. */
static int cache_fill(crm *st, sink *k)
{
    char *tmp = malloc(strlen(st->cache) + 8), masked[600];
    json_t *h = NULL, *names = json_array();
    int fd, rc = -1;
    size_t c;
    char fp[24];

    if (!tmp || !names) {
        free(tmp);
        json_decref(names);
        return SCAN_OOM(st);
    }
    sprintf(tmp, "%s.tmp", st->cache);
    fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0 || !(k->cf = fdopen(fd, "w"))) {
        seterr_io(st, "cache %s: cannot write: %s", tmp, strerror(errno));
        if (fd >= 0)
            close(fd);
        goto out;
    }
    for (c = 0; c < st->ncols; c++)
        json_array_append_new(names, json_string(st->cols[c].name));
    snprintf(fp, sizeof fp, "%016llx", (unsigned long long)st->fingerprint);
    crm_mask(st->base, masked, sizeof masked, st->http.secrets, st->http.mask_param);
    h = json_pack("{s:i, s:s, s:I, s:s, s:O}", "quire_crm_cache", CACHE_VERSION, "fingerprint", fp,
                  "fetched_at", (json_int_t)time(NULL), "url", masked, "columns", names);
    if (!h || json_dumpf(h, k->cf, JSON_COMPACT) || fputc('\n', k->cf) == EOF) {
        seterr_io(st, "cache %s: cannot write: %s", tmp, strerror(errno));
        goto out;
    }
    k->seen = 0;
    if (fetch_pages(st, k))
        goto out;
    if (fflush(k->cf) || fsync(fileno(k->cf))) {
        seterr_io(st, "cache %s: cannot write: %s", tmp, strerror(errno));
        goto out;
    }
    fclose(k->cf);
    k->cf = NULL;
    if (rename(tmp, st->cache)) {
        seterr_io(st, "cache %s: cannot rename %s to it: %s", st->cache, tmp, strerror(errno));
        goto out;
    }
    rc = 0;
out:
    if (k->cf) {
        fclose(k->cf);
        k->cf = NULL;
    }
    if (rc)
        unlink(tmp);
    free(tmp);
    json_decref(h);
    json_decref(names);
    return rc;
}

/* ---------------------------------------------------------------- scan */

static int cscan(void *state, const quire_scan_request *req)
{
    crm *st = state;
    const quire_column *proj = NULL;
    uint32_t nproj = 0, j;
    sink k;
    int rc = -1;
    size_t c;

    memset(&k, 0, sizeof k);
    k.st = st;
    st->err[0] = '\0';
    st->err_kind = QUIRE_ERROR_DATA;
    st->err_file[0] = '\0';
    st->err_record = 0;
    if (req && req->struct_size >= offsetof(quire_scan_request, nprojection) + sizeof(uint32_t)) {
        proj = req->projection;
        nproj = req->nprojection;
    }
    if (req && req->struct_size >= offsetof(quire_scan_request, max_records) + sizeof(uint64_t))
        k.limit = req->max_records;

    /* the output columns: the projection, or every column the source knows */
    k.nout = proj ? nproj : (uint32_t)st->ncols;
    k.out = calloc(k.nout ? k.nout : 1, sizeof *k.out);
    k.cols = calloc(k.nout ? k.nout : 1, sizeof *k.cols);
    k.cells = calloc(k.nout ? k.nout : 1, sizeof *k.cells);
    if (!k.out || !k.cols || !k.cells) {
        SCAN_OOM(st);
        goto out;
    }
    for (j = 0; proj && j < nproj; j++) {
        for (c = 0; c < st->ncols; c++)
            if (proj[j].name && strcmp(st->cols[c].name, proj[j].name) == 0)
                break;
        if (c == st->ncols) {
            /* a column the spec did not declare: its path from field_prefix */
            col *nc = realloc(st->cols, (st->ncols + 1) * sizeof *nc);
            if (!nc) {
                SCAN_OOM(st);
                goto out;
            }
            st->cols = nc;
            memset(&nc[st->ncols], 0, sizeof *nc);
            nc[st->ncols].name = dupstr(proj[j].name ? proj[j].name : "");
            nc[st->ncols].type = proj[j].type;
            st->ncols++;
            if (!nc[c].name) {
                SCAN_OOM(st);
                goto out;
            }
            {
                char full[512], why[300];
                snprintf(full, sizeof full, "%s%s", st->field_prefix ? st->field_prefix : "",
                         nc[c].name);
                if (crm_path_compile(full, &nc[c].path, why, sizeof why)) {
                    seterr(st, "column \"%s\": %s", nc[c].name, why);
                    goto out;
                }
            }
        }
    }
    for (j = 0; j < k.nout; j++) {
        size_t at = j;
        if (proj)
            for (at = 0; at < st->ncols; at++)
                if (proj[j].name && strcmp(st->cols[at].name, proj[j].name) == 0)
                    break;
        k.out[j].col.name = st->cols[at].name;
        k.out[j].col.type = proj ? proj[j].type : st->cols[at].type;
        k.out[j].col.format = NULL;
        k.out[j].path = &st->cols[at].path;
        k.cols[j] = k.out[j].col;
    }

    if (!st->cache) {
        rc = fetch_pages(st, &k);
    } else {
        time_t fetched = 0;
        char age[96];
        FILE *f = cache_open(st, &k, &fetched);
        if (f && (int64_t)(time(NULL) - fetched) < st->cache_ttl) {
            describe_age(fetched, age, sizeof age);
            st->host->log(st->hctx, QUIRE_LOG_INFO, "using the cached table %s (fetched %s)",
                          st->cache, age);
            rc = cache_emit(st, &k, f);
            fclose(f);
        } else {
            if (f)
                fclose(f);
            rc = cache_fill(st, &k);
            if (rc == 0) {
                f = cache_open(st, &k, &fetched);
                if (!f)
                    rc = seterr_io(st, "cache %s: cannot read back the table just written",
                                st->cache);
                else {
                    rc = cache_emit(st, &k, f);
                    fclose(f);
                }
            } else if (st->use_cache && !k.emit_rc && (f = cache_open(st, &k, &fetched))) {
                describe_age(fetched, age, sizeof age);
                if (QUIRE_HOST_HAS(st->host, note))
                    st->host->note(st->hctx, "the CRM did not answer (%s); the data comes from "
                                   "the cached table fetched %s", st->err, age);
                else
                    st->host->log(st->hctx, QUIRE_LOG_WARN,
                                  "the CRM failed (%s); on_error: use_cache: using the cached "
                                  "table %s, fetched %s: the data is not current", st->err,
                                  st->cache, age);
                st->err[0] = '\0';
                rc = cache_emit(st, &k, f);
                fclose(f);
            }
        }
    }
out:
    for (j = 0; k.out && j < k.nout; j++) {
        crm_path_free(&k.out[j].cpath);
    }
    free(k.out);
    free(k.cols);
    free(k.cells);
    free(k.block);
    free(k.recno);
    crm_arena_free(&k.arena);
    if (rc) {
        if (k.emit_rc)
            return k.emit_rc;
        report(st, st->err[0] ? st->err_kind : QUIRE_ERROR_IO, NULL,
               st->err_file[0] ? st->err_file : NULL, st->err_record,
               st->err[0] ? st->err : "the CRM could not be read");
        return 1;
    }
    return 0;
}

/* ---------------------------------------------------------------- descriptor */

/* Once per process: libcurl's global state (http.h). */
static int cload(const quire_host *host, void *hctx)
{
    if (http_load()) {
        host->error(hctx, "libcurl failed to initialise");
        return 1;
    }
    return 0;
}

static const quire_plugin crm_rest_plugin = {
    .abi_version = QUIRE_PLUGIN_ABI_VERSION,
    .struct_size = sizeof(quire_plugin),
    .name = "crm_rest",
    .version = QUIRE_VERSION,
    .summary = "records of any paginated JSON REST API (HubSpot, Salesforce, Pipedrive, ...)",
    .caps = QUIRE_CAP_STREAM | QUIRE_CAP_PROJECTION,
    .options = options,
    .open = copen,
    .scan = cscan,
    .close = cclose,
    .option_size = sizeof(quire_option_def),
    .column_size = sizeof(quire_column),
    .load = cload,
    .unload = http_unload,
};

QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void);

QUIRE_PLUGIN_EXPORT const quire_plugin *quire_plugin_entry(void)
{
    return &crm_rest_plugin;
}
