/* serve.c - the report server: HTTP, routes, identity, limits, logs. */
#include "serve.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <jansson.h>
#include <microhttpd.h>

#include "auth.h"
#include "catalog.h"
#include "dynlib.h"
#include "jobs.h"
#include "manage.h"
#include "pages.h"
#include "schedule.h"
#include "store.h"
#include "util.h"

#define MAX_PARAMS 64
#define MAX_VALUE 4096

static serve_opts opt;
static store *st;
static int auth_on, tls_on;
static char *cache_dir;
static FILE *access_log;
static pthread_mutex_t log_lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_mutex_t stat_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned long long http_by_class[6], rate_limited;

/* One request, from its first callback to its completion. */
typedef struct req {
    strbuf body;
    int too_big;
    double t0;
    unsigned status;
    uint64_t bytes;
    char client[INET6_ADDRSTRLEN];
    char method[12];
    char *path;
    /* Who: a token's or a session's user, or anonymous (auth off). */
    char user[64];
    auth_role role;
    int by_token;
    auth_session sess;
    int has_sess, new_sess;
} req;

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* ------------------------------------------------------------ rate limit */

#define RATE_SLOTS 1024
typedef struct bucket {
    char client[INET6_ADDRSTRLEN];
    double tokens, at;
} bucket;
static bucket buckets[RATE_SLOTS];
static pthread_mutex_t rate_lock = PTHREAD_MUTEX_INITIALIZER;

/* Whether client may make one more request now (a token bucket per client
 * address, of opt.rate a second and a burst of twice that). */
static int rate_ok(const char *client)
{
    unsigned h = 5381;
    const char *p;
    bucket *b;
    double t = quire_monotonic(), burst = opt.rate * 2 < 10 ? 10 : opt.rate * 2;
    int ok;

    if (opt.rate <= 0)
        return 1;
    for (p = client; *p; p++)
        h = h * 33 + (unsigned char)*p;
    pthread_mutex_lock(&rate_lock);
    b = &buckets[h % RATE_SLOTS];
    if (strcmp(b->client, client) != 0) {
        snprintf(b->client, sizeof b->client, "%s", client);
        b->tokens = burst;
        b->at = t;
    }
    b->tokens += (t - b->at) * opt.rate;
    if (b->tokens > burst)
        b->tokens = burst;
    b->at = t;
    ok = b->tokens >= 1;
    if (ok)
        b->tokens -= 1;
    else
        rate_limited++;
    pthread_mutex_unlock(&rate_lock);
    return ok;
}

/* ------------------------------------------------------------ responses */

static const char csp_pages[] =
    "default-src 'none'; style-src 'self'; img-src 'self' data:; frame-src 'self'; "
    "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
/* A report's own HTML: its styles inline, its charts inline SVG or data:
 * images, no script at all, shown framed in the run's page only. */
static const char csp_report[] =
    "default-src 'none'; style-src 'unsafe-inline'; img-src data:; base-uri 'none'; "
    "form-action 'none'; frame-ancestors 'self'; sandbox";

/* libmicrohttpd, loaded when the server starts (dynlib.h): the other
 * commands do not pay for loading it and the TLS library under it. */
#define MHD_API(X)                                                                             \
    X(MHD_add_response_header) X(MHD_create_response_from_buffer)                               \
    X(MHD_create_response_from_fd) X(MHD_destroy_response) X(MHD_get_connection_info)           \
    X(MHD_get_daemon_info) X(MHD_is_feature_supported) X(MHD_lookup_connection_value)           \
    X(MHD_queue_response) X(MHD_quiesce_daemon) X(MHD_start_daemon) X(MHD_stop_daemon)
static struct {
    MHD_API(DYNLIB_FIELD)
} mhd;

static int mhd_bind(quire_error *err)
{
    char why[300];
    void *h = dynlib_open(QUIRE_SONAME_MHD, why, sizeof why);

#define BIND(f) || dynlib_sym(h, DYNLIB_STR(f), (void **)&mhd.f, why, sizeof why)
    if (!h MHD_API(BIND))
        return quire_err(err, QUIRE_EXIT_USAGE, "quire serve needs libmicrohttpd: %s", why);
#undef BIND
    return 0;
}

static void security_headers(struct MHD_Response *res, int framed)
{
    mhd.MHD_add_response_header(res, "Content-Security-Policy", framed ? csp_report : csp_pages);
    mhd.MHD_add_response_header(res, "X-Content-Type-Options", "nosniff");
    mhd.MHD_add_response_header(res, "X-Frame-Options", framed ? "SAMEORIGIN" : "DENY");
    mhd.MHD_add_response_header(res, "Referrer-Policy", "no-referrer");
    mhd.MHD_add_response_header(res, "Cross-Origin-Opener-Policy", "same-origin");
    if (tls_on)
        mhd.MHD_add_response_header(res, "Strict-Transport-Security", "max-age=31536000");
}

static void session_cookie(struct MHD_Response *res, const req *r)
{
    char c[256];
    if (!r->new_sess)
        return;
    snprintf(c, sizeof c, "quire_sid=%s; Path=/; HttpOnly; SameSite=Strict; Max-Age=43200%s",
             r->sess.sid, tls_on ? "; Secure" : "");
    mhd.MHD_add_response_header(res, "Set-Cookie", c);
}

static enum MHD_Result send_res(struct MHD_Connection *c, req *r, unsigned status,
                                struct MHD_Response *res)
{
    enum MHD_Result ok;
    security_headers(res, 0);
    session_cookie(res, r);
    r->status = status;
    ok = mhd.MHD_queue_response(c, status, res);
    mhd.MHD_destroy_response(res);
    return ok;
}

/* body (taken: freed here) as the response. */
static enum MHD_Result send_body(struct MHD_Connection *c, req *r, unsigned status,
                                 const char *mime, char *body, size_t len, const char *hname,
                                 const char *hvalue)
{
    struct MHD_Response *res =
        mhd.MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
    if (!res) {
        free(body);
        return MHD_NO;
    }
    mhd.MHD_add_response_header(res, "Content-Type", mime);
    mhd.MHD_add_response_header(res, "Cache-Control", "no-store");
    if (hname)
        mhd.MHD_add_response_header(res, hname, hvalue);
    r->bytes = len;
    return send_res(c, r, status, res);
}

static enum MHD_Result send_sb(struct MHD_Connection *c, req *r, unsigned status,
                               const char *mime, strbuf *b)
{
    if (!b->s)
        sb_add(b, "", 0);
    return send_body(c, r, status, mime, b->s, b->len, NULL, NULL);
}

static enum MHD_Result send_json(struct MHD_Connection *c, req *r, unsigned status, json_t *j,
                                 const char *hname, const char *hvalue)
{
    char *text = json_dumps(j, JSON_INDENT(2) | JSON_PRESERVE_ORDER);
    size_t n = text ? strlen(text) : 0;
    char *body = xmalloc(n + 2);

    if (text)
        memcpy(body, text, n);
    body[n++] = '\n';
    body[n] = '\0';
    free(text);
    json_decref(j);
    return send_body(c, r, status, "application/json", body, n, hname, hvalue);
}

/* A JSON error: {"error": {"status", "message"}}. */
static enum MHD_Result json_error(struct MHD_Connection *c, req *r, unsigned status,
                                  const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
static enum MHD_Result json_error(struct MHD_Connection *c, req *r, unsigned status,
                                  const char *fmt, ...)
{
    char msg[1024];
    va_list ap;
    const char *hn = NULL, *hv = NULL;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    if (status == 401) {
        hn = "WWW-Authenticate";
        hv = "Bearer realm=\"quire\"";
    } else if (status == 503 || status == 429) {
        hn = "Retry-After";
        hv = status == 503 ? "5" : "1";
    }
    return send_json(c, r, status,
                     json_pack("{s:{s:i,s:s}}", "error", "status", (int)status, "message", msg),
                     hn, hv);
}

/* An error of the spec code as JSON: where (file, line, col) and what. */
static json_t *quire_error_json(const quire_error *e)
{
    char text[QUIRE_ERROR_TEXT_MAX];
    json_t *j = json_object();

    json_object_set_new(j, "message", json_string(e->msg));
    if (e->file[0])
        json_object_set_new(j, "file", json_string(e->file));
    if (e->line) {
        json_object_set_new(j, "line", json_integer(e->line));
        json_object_set_new(j, "col", json_integer(e->col));
    }
    json_object_set_new(j, "text", json_string(quire_err_format(e, text, sizeof text)));
    return j;
}

/* A stored error line ("file:line:col: error: msg") back into its parts. */
static json_t *error_line_json(const char *line)
{
    const char *e = strstr(line, ": error: ");
    json_t *j = json_object();

    json_object_set_new(j, "text", json_string(line));
    if (e) {
        char where[512];
        char *p;
        long col = 0, ln = 0;
        snprintf(where, sizeof where, "%.*s", (int)(e - line), line);
        json_object_set_new(j, "message", json_string(e + 9));
        /* file[:line[:col]] from the right */
        if ((p = strrchr(where, ':')) && p[1] && strspn(p + 1, "0123456789") == strlen(p + 1)) {
            long a = strtol(p + 1, NULL, 10);
            char *q;
            *p = '\0';
            if ((q = strrchr(where, ':')) && q[1] &&
                strspn(q + 1, "0123456789") == strlen(q + 1)) {
                ln = strtol(q + 1, NULL, 10);
                col = a;
                *q = '\0';
            } else {
                ln = a;
            }
        }
        json_object_set_new(j, "file", json_string(where));
        if (ln) {
            json_object_set_new(j, "line", json_integer(ln));
            json_object_set_new(j, "col", json_integer(col));
        }
    } else {
        json_object_set_new(j, "message", json_string(line));
    }
    return j;
}

/* ------------------------------------------------------------ requests */

static const char *header(struct MHD_Connection *c, const char *name)
{
    return mhd.MHD_lookup_connection_value(c, MHD_HEADER_KIND, name);
}

static int is_json(struct MHD_Connection *c)
{
    const char *ct = header(c, "Content-Type");
    return ct && strncasecmp(ct, "application/json", 16) == 0;
}

static int hexval(int ch)
{
    if (ch >= '0' && ch <= '9')
        return ch - '0';
    if (ch >= 'a' && ch <= 'f')
        return ch - 'a' + 10;
    if (ch >= 'A' && ch <= 'F')
        return ch - 'A' + 10;
    return -1;
}

static char *url_decode(const char *s, size_t n)
{
    char *out = xmalloc(n + 1);
    size_t i, k = 0;
    for (i = 0; i < n; i++) {
        if (s[i] == '+')
            out[k++] = ' ';
        else if (s[i] == '%' && i + 2 < n && hexval(s[i + 1]) >= 0 && hexval(s[i + 2]) >= 0) {
            out[k++] = (char)(hexval(s[i + 1]) * 16 + hexval(s[i + 2]));
            i += 2;
        } else
            out[k++] = s[i];
    }
    out[k] = '\0';
    return out;
}

/* Fields of a form body (application/x-www-form-urlencoded). */
typedef struct fields {
    char *name[MAX_PARAMS + 8], *value[MAX_PARAMS + 8];
    size_t n;
    int over;
} fields;

static void fields_free(fields *f)
{
    size_t i;
    for (i = 0; i < f->n; i++) {
        free(f->name[i]);
        free(f->value[i]);
    }
    f->n = 0;
}

static void parse_form(const char *s, size_t len, fields *f)
{
    size_t i = 0;
    memset(f, 0, sizeof *f);
    while (i < len) {
        size_t j = i, eq;
        while (j < len && s[j] != '&')
            j++;
        eq = i;
        while (eq < j && s[eq] != '=')
            eq++;
        if (j > i) {
            if (f->n == sizeof f->name / sizeof f->name[0]) {
                f->over = 1;
                return;
            }
            f->name[f->n] = url_decode(s + i, eq - i);
            f->value[f->n] = eq < j ? url_decode(s + eq + 1, j - eq - 1) : xstrdup("");
            f->n++;
        }
        i = j + 1;
    }
}

static const char *field(const fields *f, const char *name)
{
    size_t i;
    for (i = 0; i < f->n; i++)
        if (strcmp(f->name[i], name) == 0)
            return f->value[i];
    return NULL;
}

/* Split path into at most 6 segments ("/a/b" -> "a", "b"). */
static size_t split_path(char *path, char **seg, size_t max)
{
    size_t n = 0;
    char *p = path;
    while (*p == '/')
        p++;
    while (*p && n < max) {
        seg[n++] = p;
        p = strchr(p, '/');
        if (!p)
            break;
        *p++ = '\0';
    }
    if (p && *p)
        return max + 1;
    return n;
}

/* Who is asking: a bearer token, else a session cookie; anonymous viewer
 * when authentication is off. Returns 0, or -1 for a bad token. */
static int identify(struct MHD_Connection *c, req *r)
{
    const char *a = header(c, "Authorization");
    const char *sid = mhd.MHD_lookup_connection_value(c, MHD_COOKIE_KIND, "quire_sid");

    if (sid && auth_session_get(sid, &r->sess) == 0) {
        r->has_sess = 1;
        if (r->sess.user[0]) {
            snprintf(r->user, sizeof r->user, "%s", r->sess.user);
            r->role = r->sess.role;
        }
    }
    if (a) {
        if (strncmp(a, "Bearer ", 7) != 0)
            return -1;
        r->role = store_token_check(st, a + 7, r->user);
        if (r->role == ROLE_NONE)
            return -1;
        r->by_token = 1;
    }
    if (!auth_on && r->role == ROLE_NONE)
        r->role = ROLE_VIEWER;
    return 0;
}

/* A session for this browser, made now if it has none (for the CSRF token
 * of its forms). */
static void ensure_session(req *r)
{
    if (r->has_sess)
        return;
    if (auth_session_new("", ROLE_NONE, &r->sess) == 0)
        r->has_sess = r->new_sess = 1;
}

static int csrf_ok(const req *r, const fields *f)
{
    char want[65];
    const char *got = field(f, "csrf");
    if (!r->has_sess || !got)
        return 0;
    auth_csrf(r->sess.sid, want);
    return auth_equal(got, want);
}

static void page_ctx(const req *r, page_info *pi)
{
    memset(pi, 0, sizeof *pi);
    pi->user = r->user[0] ? r->user : NULL;
    pi->role = auth_role_name(r->role);
    if (r->has_sess)
        auth_csrf(r->sess.sid, pi->csrf);
    pi->auth = auth_on;
}

/* ------------------------------------------------------------ reports */

static int catalog_exists(const char *name)
{
    char *path = catalog_path(opt.reports, name);
    int found = path != NULL;
    free(path);
    return found;
}

static json_t *report_json(const char *name, const spec *s, const quire_error *err)
{
    json_t *j = json_object(), *ps = json_array();
    size_t i, k;
    static const char *const types[] = {"string", "integer", "number", "date", "month", "path"};
    char *u;

    json_object_set_new(j, "name", json_string(name));
    if (!s) {
        json_object_set_new(j, "error", quire_error_json(err));
        return j;
    }
    json_object_set_new(j, "title", json_string(s->title ? s->title : name));
    if (s->subtitle)
        json_object_set_new(j, "subtitle", json_string(s->subtitle));
    for (i = 0; i < s->nparams; i++) {
        const spec_param *p = &s->params[i];
        json_t *pj = json_object();
        json_object_set_new(pj, "name", json_string(p->name));
        json_object_set_new(pj, "type", json_string(types[p->type]));
        json_object_set_new(pj, "default", p->value && p->type != PARAM_PATH
                                               ? json_string(p->value) : json_null());
        json_object_set_new(pj, "help", p->help ? json_string(p->help) : json_null());
        if (p->nchoices) {
            json_t *ch = json_array();
            for (k = 0; k < p->nchoices; k++)
                json_array_append_new(ch, json_string(p->choices[k]));
            json_object_set_new(pj, "choices", ch);
        }
        json_object_set_new(pj, "settable", json_boolean(p->type != PARAM_PATH));
        json_array_append_new(ps, pj);
    }
    json_object_set_new(j, "parameters", ps);
    if (s->schedule) {
        json_object_set_new(j, "schedule",
                            json_pack("{s:s,s:s}", "cron", s->schedule->cron_text, "tz",
                                      s->schedule->tz ? s->schedule->tz : "UTC"));
    } else {
        json_object_set_new(j, "schedule", json_null());
    }
    u = xasprintf("/api/reports/%s/runs", name);
    json_object_set_new(j, "runs", json_string(u));
    free(u);
    return j;
}

static enum MHD_Result api_reports(struct MHD_Connection *c, req *r, const char *one)
{
    char **names = NULL;
    size_t n = 0, i;
    json_t *arr = json_array();

    if (one) {
        quire_error err = {0};
        spec *s;
        if (!catalog_exists(one))
            return json_error(c, r, 404, "no report \"%s\"", catalog_name_ok(one) ? one : "?");
        s = catalog_load(opt.reports, one, NULL, 0, &err);
        json_decref(arr);
        arr = report_json(one, s, &err);
        spec_free(s);
        return send_json(c, r, 200, arr, NULL, NULL);
    }
    catalog_list(opt.reports, &names, &n);
    for (i = 0; i < n; i++) {
        quire_error err = {0};
        spec *s = catalog_load(opt.reports, names[i], NULL, 0, &err);
        json_array_append_new(arr, report_json(names[i], s, &err));
        spec_free(s);
    }
    catalog_names_free(names, n);
    return send_json(c, r, 200, json_pack("{s:o}", "reports", arr), NULL, NULL);
}

/* ------------------------------------------------------------ runs */

static json_t *run_json(const srun *run)
{
    json_t *j = json_object(), *files = json_object(), *p;
    char *u, *dir = NULL;
    size_t i;

    json_object_set_new(j, "id", json_integer(run->id));
    json_object_set_new(j, "report", json_string(run->report));
    json_object_set_new(j, "status", json_string(run->status));
    p = json_loads(run->params, 0, NULL);
    json_object_set_new(j, "parameters", p ? p : json_object());
    json_object_set_new(j, "cached", json_boolean(run->cached));
    json_object_set_new(j, "created_ms", json_integer(run->created));
    json_object_set_new(j, "started_ms", run->started ? json_integer(run->started) : json_null());
    json_object_set_new(j, "finished_ms",
                        run->finished ? json_integer(run->finished) : json_null());
    if (run->started && run->finished)
        json_object_set_new(j, "duration_ms", json_integer(run->finished - run->started));
    json_object_set_new(j, "error", run->error ? error_line_json(run->error) : json_null());
    u = xasprintf("/api/runs/%" PRId64, run->id);
    json_object_set_new(j, "url", json_string(u));
    free(u);
    u = xasprintf("/runs/%" PRId64, run->id);
    json_object_set_new(j, "page", json_string(u));
    free(u);
    if (strcmp(run->status, SRUN_DONE) == 0) {
        dir = jobs_dir(run->key);
        for (i = 0; i < serve_nformats; i++) {
            char *f = xasprintf("%s/%s", dir, serve_formats[i].file);
            if (access(f, R_OK) == 0) {
                u = xasprintf("/api/runs/%" PRId64 "/%s", run->id, serve_formats[i].file);
                json_object_set_new(files, serve_formats[i].file, json_string(u));
                free(u);
            }
            free(f);
        }
        free(dir);
    }
    json_object_set_new(j, "files", files);
    return j;
}

static int has_control(const char *s)
{
    for (; *s; s++)
        if ((unsigned char)*s < 0x20 || *s == 0x7f)
            return 1;
    return 0;
}

/* The parameters of a request: a form's fields (but csrf), or a JSON
 * object ({"parameters": {...}} or the object itself). Returns 0, or -1
 * with msg. names and values point into f (filled here). */
static int request_params(struct MHD_Connection *c, req *r, fields *f, char *msg, size_t n)
{
    size_t i, k = 0;

    if (is_json(c)) {
        json_error_t je;
        json_t *root = r->body.len ? json_loadb(r->body.s, r->body.len, 0, &je) : json_object();
        json_t *obj, *v;
        const char *key;
        memset(f, 0, sizeof *f);
        if (!root || !json_is_object(root)) {
            snprintf(msg, n, "the body must be a JSON object%s%s", root ? "" : ": ",
                     root ? "" : je.text);
            json_decref(root);
            return -1;
        }
        obj = json_object_get(root, "parameters");
        if (!obj)
            obj = root;
        if (!json_is_object(obj)) {
            snprintf(msg, n, "\"parameters\" must be a JSON object");
            json_decref(root);
            return -1;
        }
        json_object_foreach(obj, key, v) {
            char num[40];
            const char *text;
            if (f->n == MAX_PARAMS) {
                snprintf(msg, n, "at most %d parameters", MAX_PARAMS);
                json_decref(root);
                return -1;
            }
            if (json_is_string(v))
                text = json_string_value(v);
            else if (json_is_integer(v)) {
                snprintf(num, sizeof num, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
                text = num;
            } else if (json_is_real(v)) {
                format_plain_number(num, sizeof num, json_real_value(v));
                text = num;
            } else {
                snprintf(msg, n, "parameter \"%.100s\" must be a string or a number", key);
                json_decref(root);
                return -1;
            }
            f->name[f->n] = xstrdup(key);
            f->value[f->n] = xstrdup(text);
            f->n++;
        }
        json_decref(root);
    } else {
        parse_form(r->body.s ? r->body.s : "", r->body.len, f);
        if (f->over) {
            snprintf(msg, n, "at most %d parameters", MAX_PARAMS);
            return -1;
        }
    }
    /* Drop csrf and empty values (the default stands); check the rest. */
    for (i = 0; i < f->n; i++) {
        if (strcmp(f->name[i], "csrf") == 0 || !f->value[i][0]) {
            free(f->name[i]);
            free(f->value[i]);
            continue;
        }
        if (strlen(f->value[i]) > MAX_VALUE || strlen(f->name[i]) > 128 ||
            has_control(f->value[i]) || has_control(f->name[i])) {
            snprintf(msg, n, "parameter \"%.100s\": too long, or holds a control character",
                     f->name[i]);
            for (; i < f->n; i++) {
                free(f->name[i]);
                free(f->value[i]);
            }
            f->n = k;
            return -1;
        }
        f->name[k] = f->name[i];
        f->value[k] = f->value[i];
        k++;
    }
    f->n = k;
    return 0;
}

/* Start (or find in the cache) a run of report name with the request's
 * parameters. Returns the HTTP status; *run filled on 200/202; on an
 * error, *err (a spec error) or msg. */
static unsigned start_run(req *r, const char *name, const fields *f, srun *run,
                          quire_error *err, char *msg, size_t n)
{
    spec_override ov[MAX_PARAMS];
    char key[65], *spec_path;
    int path_param = 0, fresh = 0;
    size_t i;
    json_t *pj = json_object();
    char *params;

    memset(err, 0, sizeof *err);
    msg[0] = '\0';
    if (!(spec_path = catalog_path(opt.reports, name))) {
        snprintf(msg, n, "no report \"%s\"", catalog_name_ok(name) ? name : "?");
        json_decref(pj);
        return 404;
    }
    for (i = 0; i < f->n; i++) {
        ov[i].name = f->name[i];
        ov[i].value = f->value[i];
        json_object_set_new(pj, f->name[i], json_string(f->value[i]));
    }
    if (catalog_key(opt.reports, name, ov, f->n, key, &path_param, err)) {
        free(spec_path);
        json_decref(pj);
        if (path_param) {
            snprintf(msg, n, "path parameters are set by the report, not by a request");
            return 400;
        }
        return 422;
    }
    params = json_dumps(pj, JSON_COMPACT | JSON_SORT_KEYS);
    json_decref(pj);
    if (store_run_find_or_add(st, name, key, params, r->user, now_ms(), run, &fresh, err)) {
        free(params);
        free(spec_path);
        return 500;
    }
    free(params);
    if (!fresh) {
        if (strcmp(run->status, SRUN_DONE) == 0) {
            run->cached = 1;
            jobs_count_hit();
        }
        free(spec_path);
        return 200;
    }
    jobs_count_miss();
    {
        const char *names[MAX_PARAMS], *values[MAX_PARAMS];
        for (i = 0; i < f->n; i++) {
            names[i] = f->name[i];
            values[i] = f->value[i];
        }
        if (jobs_submit(run->id, key, spec_path, names, values, f->n)) {
            store_run_set(st, run->id, SRUN_REJECTED, "the render queue is full", now_ms());
            snprintf(run->status, sizeof run->status, "%s", SRUN_REJECTED);
            snprintf(msg, n, "the render queue is full; try again later");
            free(spec_path);
            return 503;
        }
    }
    free(spec_path);
    return 202;
}

static enum MHD_Result api_run_post(struct MHD_Connection *c, req *r, const char *name)
{
    fields f;
    srun run;
    quire_error err;
    char msg[512];
    unsigned status;
    json_t *j;

    memset(&run, 0, sizeof run);
    if (request_params(c, r, &f, msg, sizeof msg))
        return json_error(c, r, 400, "%s", msg);
    status = start_run(r, name, &f, &run, &err, msg, sizeof msg);
    fields_free(&f);
    if (status == 422) {
        j = json_pack("{s:{s:i,s:o}}", "error", "status", 422, "spec", quire_error_json(&err));
        json_object_set_new(json_object_get(j, "error"), "message", json_string(err.msg));
        srun_clear(&run);
        return send_json(c, r, 422, j, NULL, NULL);
    }
    if (status == 500) {
        srun_clear(&run);
        return json_error(c, r, 500, "%s", err.msg);
    }
    if (status != 200 && status != 202) {
        srun_clear(&run);
        return json_error(c, r, status, "%s", msg);
    }
    j = run_json(&run);
    {
        char loc[64];
        snprintf(loc, sizeof loc, "/api/runs/%" PRId64, run.id);
        srun_clear(&run);
        return send_json(c, r, status, j, "Location", loc);
    }
}

static int parse_id(const char *s, int64_t *id)
{
    char *end;
    long long v;
    if (!*s || strspn(s, "0123456789") != strlen(s) || strlen(s) > 18)
        return -1;
    v = strtoll(s, &end, 10);
    *id = v;
    return v > 0 ? 0 : -1;
}

/* A run's file, with its ETag; 304 when the client has it. */
static enum MHD_Result send_file(struct MHD_Connection *c, req *r, const srun *run,
                                 const serve_format *fmt)
{
    char *dir = jobs_dir(run->key), *path = xasprintf("%s/%s", dir, fmt->file);
    char etag[96], disp[256];
    const char *inm = header(c, "If-None-Match");
    struct MHD_Response *res;
    struct stat sb;
    int fd, framed = strcmp(fmt->file, "report.html") == 0;
    enum MHD_Result ok;

    free(dir);
    snprintf(etag, sizeof etag, "\"%.32s-%s\"", run->key, fmt->file);
    fd = open(path, O_RDONLY | O_CLOEXEC);
    free(path);
    if (fd < 0 || fstat(fd, &sb) != 0 || !S_ISREG(sb.st_mode)) {
        if (fd >= 0)
            close(fd);
        return json_error(c, r, 404, "run %" PRId64 " has no %s", run->id, fmt->file);
    }
    if (inm && (strstr(inm, etag) || strcmp(inm, "*") == 0)) {
        close(fd);
        res = mhd.MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
        mhd.MHD_add_response_header(res, "ETag", etag);
        mhd.MHD_add_response_header(res, "Cache-Control", "private, no-cache");
        return send_res(c, r, MHD_HTTP_NOT_MODIFIED, res);
    }
    res = mhd.MHD_create_response_from_fd((uint64_t)sb.st_size, fd);
    if (!res) {
        close(fd);
        return MHD_NO;
    }
    mhd.MHD_add_response_header(res, "Content-Type", fmt->mime);
    mhd.MHD_add_response_header(res, "ETag", etag);
    mhd.MHD_add_response_header(res, "Cache-Control", "private, no-cache");
    snprintf(disp, sizeof disp, "%s; filename=\"%s-%" PRId64 "%s\"",
             framed ? "inline" : "attachment", run->report, run->id, strchr(fmt->file, '.'));
    mhd.MHD_add_response_header(res, "Content-Disposition", disp);
    r->bytes = (uint64_t)sb.st_size;
    security_headers(res, framed);
    session_cookie(res, r);
    r->status = 200;
    ok = mhd.MHD_queue_response(c, 200, res);
    mhd.MHD_destroy_response(res);
    return ok;
}

static enum MHD_Result api_run_get(struct MHD_Connection *c, req *r, const char *ids,
                                   const char *file)
{
    int64_t id;
    srun run;
    enum MHD_Result ok;

    if (parse_id(ids, &id) || store_run_get(st, id, &run))
        return json_error(c, r, 404, "no run \"%s\"", parse_id(ids, &id) ? "?" : ids);
    if (file) {
        const serve_format *fmt = serve_format_find(file);
        if (!fmt)
            ok = json_error(c, r, 404, "no such file of a run");
        else if (strcmp(run.status, SRUN_DONE) != 0)
            ok = json_error(c, r, 409, "run %" PRId64 " is %s", run.id, run.status);
        else
            ok = send_file(c, r, &run, fmt);
    } else {
        ok = send_json(c, r, 200, run_json(&run), NULL, NULL);
    }
    srun_clear(&run);
    return ok;
}

/* DELETE /api/runs/ID (editor): the run's record and its cached files. */
static enum MHD_Result api_run_delete(struct MHD_Connection *c, req *r, const char *ids)
{
    int64_t id;
    srun run;
    char *dir;
    size_t i;

    if (r->role < ROLE_EDITOR)
        return json_error(c, r, 403, "deleting a run needs the editor role");
    if (parse_id(ids, &id) || store_run_get(st, id, &run))
        return json_error(c, r, 404, "no run \"%s\"", parse_id(ids, &id) ? "?" : ids);
    if (strcmp(run.status, SRUN_QUEUED) == 0 || strcmp(run.status, SRUN_RUNNING) == 0) {
        srun_clear(&run);
        return json_error(c, r, 409, "run %" PRId64 " is still %s", id, run.status);
    }
    dir = jobs_dir(run.key);
    for (i = 0; i < serve_nformats; i++) {
        char *p = xasprintf("%s/%s", dir, serve_formats[i].file);
        unlink(p);
        free(p);
    }
    free(dir);
    store_run_delete(st, id);
    srun_clear(&run);
    return send_json(c, r, 200, json_pack("{s:I,s:b}", "id", (json_int_t)id, "deleted", 1), NULL,
                     NULL);
}

/* ------------------------------------------------------------ pages */

static enum MHD_Result redirect(struct MHD_Connection *c, req *r, const char *to)
{
    struct MHD_Response *res =
        mhd.MHD_create_response_from_buffer(0, (void *)"", MHD_RESPMEM_PERSISTENT);
    mhd.MHD_add_response_header(res, "Location", to);
    mhd.MHD_add_response_header(res, "Cache-Control", "no-store");
    return send_res(c, r, 303, res);
}

static enum MHD_Result page_error(struct MHD_Connection *c, req *r, unsigned status,
                                  const char *title, const char *text)
{
    strbuf b = {0};
    page_info pi;
    page_ctx(r, &pi);
    page_message(&b, &pi, title, text);
    return send_sb(c, r, status, "text/html; charset=utf-8", &b);
}

static enum MHD_Result page_list(struct MHD_Connection *c, req *r)
{
    char **names = NULL;
    size_t n = 0, i;
    strbuf b = {0};
    page_info pi;
    spec **specs;
    quire_error *errs;

    catalog_list(opt.reports, &names, &n);
    specs = xcalloc(n ? n : 1, sizeof *specs);
    errs = xcalloc(n ? n : 1, sizeof *errs);
    for (i = 0; i < n; i++)
        specs[i] = catalog_load(opt.reports, names[i], NULL, 0, &errs[i]);
    page_ctx(r, &pi);
    page_reports(&b, &pi, (const char *const *)names, (const spec *const *)specs, errs, n);
    for (i = 0; i < n; i++)
        spec_free(specs[i]);
    free(specs);
    free(errs);
    catalog_names_free(names, n);
    return send_sb(c, r, 200, "text/html; charset=utf-8", &b);
}

static enum MHD_Result page_report_form(struct MHD_Connection *c, req *r, const char *name,
                                        unsigned status, const fields *given,
                                        const char *error, const char *manage_error)
{
    quire_error err = {0};
    spec *s;
    strbuf b = {0};
    page_info pi;
    srun *recent = NULL;
    int nrecent = 0, i;
    json_t *manage = NULL;

    if (!catalog_exists(name))
        return page_error(c, r, 404, "No such report", "There is no report of that name.");
    s = catalog_load(opt.reports, name, NULL, 0, &err);
    store_runs_recent(st, name, 10, &recent, &nrecent);
    if (s && r->role >= ROLE_EDITOR && manage_list(name, s, &manage) != 200) {
        json_decref(manage);
        manage = NULL;
    }
    page_ctx(r, &pi);
    page_report(&b, &pi, name, s, s ? NULL : &err, (const char *const *)(given ? given->name : NULL),
                (const char *const *)(given ? given->value : NULL), given ? given->n : 0, error,
                recent, (size_t)nrecent, manage, manage_error);
    json_decref(manage);
    for (i = 0; i < nrecent; i++)
        srun_clear(&recent[i]);
    free(recent);
    spec_free(s);
    return send_sb(c, r, status, "text/html; charset=utf-8", &b);
}

static enum MHD_Result page_run_post(struct MHD_Connection *c, req *r, const char *name)
{
    fields f;
    srun run;
    quire_error err;
    char msg[512], to[64], text[QUIRE_ERROR_TEXT_MAX];
    unsigned status;
    enum MHD_Result ok;

    memset(&run, 0, sizeof run);
    if (request_params(c, r, &f, msg, sizeof msg))
        return page_report_form(c, r, name, 400, NULL, msg, NULL);
    status = start_run(r, name, &f, &run, &err, msg, sizeof msg);
    if (status == 200 || status == 202) {
        snprintf(to, sizeof to, "/runs/%" PRId64, run.id);
        srun_clear(&run);
        fields_free(&f);
        return redirect(c, r, to);
    }
    srun_clear(&run);
    if (status == 404) {
        fields_free(&f);
        return page_error(c, r, 404, "No such report", "There is no report of that name.");
    }
    ok = page_report_form(c, r, name, status == 422 ? 400 : status, &f,
                          status == 422 || status == 500 ? quire_err_format(&err, text, sizeof text)
                                                         : msg, NULL);
    fields_free(&f);
    return ok;
}

static enum MHD_Result page_run_get(struct MHD_Connection *c, req *r, const char *ids)
{
    int64_t id;
    srun run;
    strbuf b = {0};
    page_info pi;
    char *dir;
    int have[16] = {0};
    size_t i;
    int q = 0, running = 0;

    if (parse_id(ids, &id) || store_run_get(st, id, &run))
        return page_error(c, r, 404, "No such run", "There is no run of that number.");
    dir = jobs_dir(run.key);
    for (i = 0; i < serve_nformats && i < 16; i++) {
        char *p = xasprintf("%s/%s", dir, serve_formats[i].file);
        have[i] = strcmp(run.status, SRUN_DONE) == 0 && access(p, R_OK) == 0;
        free(p);
    }
    free(dir);
    jobs_load(&q, &running);
    page_ctx(r, &pi);
    page_run(&b, &pi, &run, have, q);
    srun_clear(&run);
    return send_sb(c, r, 200, "text/html; charset=utf-8", &b);
}

static enum MHD_Result page_login(struct MHD_Connection *c, req *r, const char *error,
                                  unsigned status)
{
    strbuf b = {0};
    page_info pi;
    ensure_session(r);
    page_ctx(r, &pi);
    page_login_form(&b, &pi, error);
    return send_sb(c, r, status, "text/html; charset=utf-8", &b);
}

static enum MHD_Result login_post(struct MHD_Connection *c, req *r)
{
    fields f;
    const char *u, *p;
    auth_role role;

    parse_form(r->body.s ? r->body.s : "", r->body.len, &f);
    if (!csrf_ok(r, &f)) {
        fields_free(&f);
        return page_error(c, r, 403, "Forbidden", "The form's token is missing or stale; "
                                                 "reload the page and try again.");
    }
    u = field(&f, "user");
    p = field(&f, "password");
    role = u && p && strlen(u) < 64 ? store_user_check(st, u, p) : ROLE_NONE;
    if (role == ROLE_NONE) {
        fields_free(&f);
        return page_login(c, r, "Unknown user or wrong password.", 401);
    }
    /* A new session id on sign-in: none chosen before it stays valid. */
    if (r->has_sess)
        auth_session_drop(r->sess.sid);
    if (auth_session_new(u, role, &r->sess) != 0) {
        fields_free(&f);
        return page_error(c, r, 500, "Error", "No session could be made.");
    }
    snprintf(r->user, sizeof r->user, "%s", u);
    r->role = role;
    r->has_sess = r->new_sess = 1;
    fields_free(&f);
    return redirect(c, r, "/");
}

/* ------------------------------------------------------------ subscriptions, alerts */

/* The request's body as a JSON object: the JSON itself, or a form's
 * fields (but csrf) as strings. NULL with msg when it is neither. */
static json_t *body_object(struct MHD_Connection *c, req *r, char *msg, size_t n)
{
    json_t *o;
    fields f;
    size_t i;

    if (is_json(c)) {
        json_error_t je;
        o = r->body.len ? json_loadb(r->body.s, r->body.len, 0, &je) : json_object();
        if (!o || !json_is_object(o)) {
            snprintf(msg, n, "the body must be a JSON object");
            json_decref(o);
            return NULL;
        }
        return o;
    }
    parse_form(r->body.s ? r->body.s : "", r->body.len, &f);
    o = json_object();
    for (i = 0; i < f.n; i++)
        if (strcmp(f.name[i], "csrf") != 0 && !has_control(f.value[i]))
            json_object_set_new(o, f.name[i], json_string(f.value[i]));
    fields_free(&f);
    return o;
}

/* What an editor does to a report's subscriptions and alerts (what: NULL
 * to list; "subscriptions" or "alerts" to add one). */
static unsigned manage_report(struct MHD_Connection *c, req *r, const char *name,
                              const char *what, json_t **out)
{
    quire_error err = {0};
    spec *s;
    char *path, msg[256];
    unsigned status;
    json_t *body = NULL;

    if (!(path = catalog_path(opt.reports, name))) {
        *out = json_pack("{s:{s:i,s:s}}", "error", "status", 404, "message", "no such report");
        return 404;
    }
    free(path);
    if (!(s = catalog_load(opt.reports, name, NULL, 0, &err))) {
        *out = json_pack("{s:{s:i,s:o}}", "error", "status", 422, "spec", quire_error_json(&err));
        return 422;
    }
    if (what && !(body = body_object(c, r, msg, sizeof msg))) {
        spec_free(s);
        *out = json_pack("{s:{s:i,s:s}}", "error", "status", 400, "message", msg);
        return 400;
    }
    if (!what)
        status = manage_list(name, s, out);
    else if (strcmp(what, "subscriptions") == 0)
        status = manage_subscribe(name, s, body, out);
    else
        status = manage_alert_add(name, s, body, out);
    json_decref(body);
    spec_free(s);
    return status;
}

static const char *json_error_message(const json_t *j)
{
    const json_t *e = json_object_get(j, "error");
    const json_t *m = json_object_get(e, "message");
    return json_is_string(m) ? json_string_value(m) : "the request failed";
}

/* The page forms: add, then back to the report's page (or it with the
 * error). */
static enum MHD_Result page_manage(struct MHD_Connection *c, req *r, const char *name,
                                   const char *what)
{
    json_t *out = NULL;
    unsigned status;
    char to[160];
    enum MHD_Result ok;

    if (r->role < ROLE_EDITOR)
        return page_error(c, r, 403, "Forbidden", "Subscriptions and alerts need the editor role.");
    status = manage_report(c, r, name, what, &out);
    if (status == 404) {
        json_decref(out);
        return page_error(c, r, 404, "No such report", "There is no report of that name.");
    }
    if (status >= 300) {
        ok = page_report_form(c, r, name, status, NULL, NULL, json_error_message(out));
        json_decref(out);
        return ok;
    }
    json_decref(out);
    snprintf(to, sizeof to, "/reports/%s#manage", name);
    return redirect(c, r, to);
}

static enum MHD_Result page_manage_delete(struct MHD_Connection *c, req *r, const char *what,
                                          const char *ids, const fields *f)
{
    int64_t id;
    json_t *out = NULL;
    const char *report = field(f, "report");
    char to[160];

    if (r->role < ROLE_EDITOR)
        return page_error(c, r, 403, "Forbidden", "Subscriptions and alerts need the editor role.");
    if (parse_id(ids, &id))
        return page_error(c, r, 404, "Not found", "There is nothing here.");
    if (strcmp(what, "subscriptions") == 0)
        manage_unsubscribe(id, &out);
    else
        manage_alert_remove(id, &out);
    json_decref(out);
    if (report && catalog_name_ok(report))
        snprintf(to, sizeof to, "/reports/%s#manage", report);
    else
        snprintf(to, sizeof to, "/");
    return redirect(c, r, to);
}

/* ------------------------------------------------------------ routing */

static enum MHD_Result route(struct MHD_Connection *c, req *r, const char *url)
{
    char *path = xstrdup(url), *seg[8];
    size_t n = split_path(path, seg, 6);
    int get = strcmp(r->method, "GET") == 0 || strcmp(r->method, "HEAD") == 0;
    int post = strcmp(r->method, "POST") == 0;
    int api = n >= 1 && strcmp(seg[0], "api") == 0;
    enum MHD_Result ok;
    fields f;

    memset(&f, 0, sizeof f);
    if (n > 6) {
        ok = api ? json_error(c, r, 404, "no such resource")
                 : page_error(c, r, 404, "Not found", "There is nothing here.");
        goto done;
    }
    /* Open to all. */
    if (get && n == 1 && strcmp(seg[0], "healthz") == 0) {
        ok = send_body(c, r, 200, "text/plain; charset=utf-8", xstrdup("ok\n"), 3, NULL, NULL);
        goto done;
    }
    if (get && n == 2 && strcmp(seg[0], "static") == 0 && strcmp(seg[1], "quire.css") == 0) {
        strbuf b = {0};
        page_css(&b);
        ok = send_body(c, r, 200, "text/css; charset=utf-8", b.s, b.len, NULL, NULL);
        goto done;
    }
    if (n == 1 && strcmp(seg[0], "login") == 0 && (get || post)) {
        ok = get ? page_login(c, r, NULL, 200) : login_post(c, r);
        goto done;
    }
    if (n == 1 && strcmp(seg[0], "logout") == 0 && post) {
        parse_form(r->body.s ? r->body.s : "", r->body.len, &f);
        if (!csrf_ok(r, &f)) {
            ok = page_error(c, r, 403, "Forbidden", "The form's token is missing or stale.");
            goto done;
        }
        auth_session_drop(r->sess.sid);
        r->has_sess = 0;
        ok = redirect(c, r, auth_on ? "/login" : "/");
        goto done;
    }
    /* Everything else needs someone. */
    if (r->role == ROLE_NONE) {
        ok = api || (n == 1 && strcmp(seg[0], "metrics") == 0)
                 ? json_error(c, r, 401, "authentication required (Authorization: Bearer TOKEN)")
                 : redirect(c, r, "/login");
        goto done;
    }
    /* A form posted by a browser (a session cookie, or nobody's) must carry
     * its CSRF token; a JSON body cannot be sent across sites without a
     * preflight this server never grants, and a bearer token is not sent by
     * a browser on its own. */
    if (post && !r->by_token && !is_json(c)) {
        parse_form(r->body.s ? r->body.s : "", r->body.len, &f);
        if (!csrf_ok(r, &f)) {
            ok = api ? json_error(c, r, 403, "a form needs its CSRF token")
                     : page_error(c, r, 403, "Forbidden",
                                  "The form's token is missing or stale; reload the page and "
                                  "try again.");
            goto done;
        }
    }
    if (get && n == 1 && strcmp(seg[0], "metrics") == 0) {
        strbuf b = {0};
        int i;
        jobs_metrics(&b);
        pthread_mutex_lock(&stat_lock);
        sb_printf(&b, "# HELP quire_serve_http_requests_total Requests answered, by status "
                      "class.\n# TYPE quire_serve_http_requests_total counter\n");
        for (i = 1; i < 6; i++)
            sb_printf(&b, "quire_serve_http_requests_total{code=\"%dxx\"} %llu\n", i,
                      http_by_class[i]);
        sb_printf(&b, "# HELP quire_serve_rate_limited_total Requests refused by the rate "
                      "limit.\n# TYPE quire_serve_rate_limited_total counter\n"
                      "quire_serve_rate_limited_total %llu\n", rate_limited);
        pthread_mutex_unlock(&stat_lock);
        ok = send_body(c, r, 200, "text/plain; version=0.0.4; charset=utf-8", b.s, b.len, NULL,
                       NULL);
        goto done;
    }
    if (api) {
        if (get && n == 2 && strcmp(seg[1], "reports") == 0)
            ok = api_reports(c, r, NULL);
        else if (get && n == 3 && strcmp(seg[1], "reports") == 0)
            ok = api_reports(c, r, seg[2]);
        else if (post && n == 4 && strcmp(seg[1], "reports") == 0 && strcmp(seg[3], "runs") == 0)
            ok = api_run_post(c, r, seg[2]);
        else if (get && n == 3 && strcmp(seg[1], "runs") == 0)
            ok = api_run_get(c, r, seg[2], NULL);
        else if (get && n == 4 && strcmp(seg[1], "runs") == 0)
            ok = api_run_get(c, r, seg[2], seg[3]);
        else if (strcmp(r->method, "DELETE") == 0 && n == 3 && strcmp(seg[1], "runs") == 0)
            ok = api_run_delete(c, r, seg[2]);
        else if ((get || post) && n == 4 && strcmp(seg[1], "reports") == 0 &&
                 (strcmp(seg[3], "subscriptions") == 0 || strcmp(seg[3], "alerts") == 0)) {
            json_t *out = NULL;
            unsigned code;
            if (r->role < ROLE_EDITOR)
                ok = json_error(c, r, 403, "subscriptions and alerts need the editor role");
            else {
                code = manage_report(c, r, seg[2], post ? seg[3] : NULL, &out);
                ok = send_json(c, r, code, out, NULL, NULL);
            }
        } else if (strcmp(r->method, "DELETE") == 0 && n == 3 &&
                   (strcmp(seg[1], "subscriptions") == 0 || strcmp(seg[1], "alerts") == 0)) {
            json_t *out = NULL;
            int64_t id;
            if (r->role < ROLE_EDITOR)
                ok = json_error(c, r, 403, "subscriptions and alerts need the editor role");
            else if (parse_id(seg[2], &id))
                ok = json_error(c, r, 404, "no such resource");
            else
                ok = send_json(c, r, strcmp(seg[1], "subscriptions") == 0
                                         ? manage_unsubscribe(id, &out)
                                         : manage_alert_remove(id, &out),
                               out, NULL, NULL);
        }
        else if (get && n == 2 && strcmp(seg[1], "whoami") == 0)
            ok = send_json(c, r, 200,
                           json_pack("{s:s?,s:s,s:b}", "user", r->user[0] ? r->user : NULL,
                                     "role", auth_role_name(r->role), "auth", auth_on),
                           NULL, NULL);
        else
            ok = json_error(c, r, 404, "no such resource");
        goto done;
    }
    if (get && n == 0) {
        ensure_session(r);
        ok = page_list(c, r);
    } else if (get && n == 2 && strcmp(seg[0], "reports") == 0) {
        ensure_session(r);
        ok = page_report_form(c, r, seg[1], 200, NULL, NULL, NULL);
    } else if (post && n == 3 && strcmp(seg[0], "reports") == 0 && strcmp(seg[2], "runs") == 0) {
        ok = page_run_post(c, r, seg[1]);
    } else if (post && n == 3 && strcmp(seg[0], "reports") == 0 &&
               (strcmp(seg[2], "subscriptions") == 0 || strcmp(seg[2], "alerts") == 0)) {
        ok = page_manage(c, r, seg[1], seg[2]);
    } else if (post && n == 3 && strcmp(seg[2], "delete") == 0 &&
               (strcmp(seg[0], "subscriptions") == 0 || strcmp(seg[0], "alerts") == 0)) {
        ok = page_manage_delete(c, r, seg[0], seg[1], &f);
    } else if (get && n == 2 && strcmp(seg[0], "runs") == 0) {
        ensure_session(r);
        ok = page_run_get(c, r, seg[1]);
    } else {
        ok = page_error(c, r, 404, "Not found", "There is nothing here.");
    }
done:
    fields_free(&f);
    free(path);
    return ok;
}

static enum MHD_Result on_request(void *cls, struct MHD_Connection *c, const char *url,
                                  const char *method, const char *version,
                                  const char *upload, size_t *upload_size, void **ctx)
{
    req *r = *ctx;

    (void)cls;
    (void)version;
    if (!r) {
        const union MHD_ConnectionInfo *ci =
            mhd.MHD_get_connection_info(c, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
        const char *cl = header(c, "Content-Length");
        r = xcalloc(1, sizeof *r);
        r->t0 = quire_monotonic();
        snprintf(r->method, sizeof r->method, "%s", method);
        r->path = xstrdup(url);
        snprintf(r->client, sizeof r->client, "?");
        if (ci && ci->client_addr) {
            const struct sockaddr *sa = ci->client_addr;
            if (sa->sa_family == AF_INET)
                inet_ntop(AF_INET, &((const struct sockaddr_in *)sa)->sin_addr, r->client,
                          sizeof r->client);
            else if (sa->sa_family == AF_INET6)
                inet_ntop(AF_INET6, &((const struct sockaddr_in6 *)sa)->sin6_addr, r->client,
                          sizeof r->client);
        }
        *ctx = r;
        if (cl && strtoll(cl, NULL, 10) > opt.max_body)
            r->too_big = 1;
        if (!r->too_big)
            return MHD_YES;
    }
    if (*upload_size) {
        if (!r->too_big && r->body.len + *upload_size <= (size_t)opt.max_body)
            sb_add(&r->body, upload, *upload_size);
        else
            r->too_big = 1;
        *upload_size = 0;
        return MHD_YES;
    }
    if (!rate_ok(r->client))
        return json_error(c, r, 429, "too many requests; slow down");
    if (r->too_big)
        return json_error(c, r, 413, "the request body is larger than %ld bytes", opt.max_body);
    if (strcmp(method, "GET") && strcmp(method, "HEAD") && strcmp(method, "POST") &&
        strcmp(method, "DELETE"))
        return json_error(c, r, 405, "method not allowed");
    if (identify(c, r))
        return json_error(c, r, 401, "the token is not valid");
    return route(c, r, url);
}

/* ------------------------------------------------------------ access log */

static void log_field(strbuf *b, const char *key, const char *v)
{
    const char *p;
    int quote = !*v || strpbrk(v, " \"=\\") != NULL;

    sb_printf(b, " %s=", key);
    if (quote)
        sb_add(b, "\"", 1);
    for (p = v; *p; p++) {
        unsigned char ch = (unsigned char)*p;
        if (ch < 0x20 || ch == 0x7f)
            sb_printf(b, "\\x%02x", ch);
        else if (ch == '"' || ch == '\\')
            sb_printf(b, "\\%c", ch);
        else
            sb_add(b, p, 1);
    }
    if (quote)
        sb_add(b, "\"", 1);
}

static void on_complete(void *cls, struct MHD_Connection *c, void **ctx,
                        enum MHD_RequestTerminationCode toe)
{
    req *r = *ctx;
    strbuf b = {0};
    char ts[32];
    time_t now = time(NULL);
    struct tm tm;

    (void)cls;
    (void)c;
    if (!r)
        return;
    gmtime_r(&now, &tm);
    strftime(ts, sizeof ts, "%Y-%m-%dT%H:%M:%SZ", &tm);
    sb_printf(&b, "time=%s", ts);
    log_field(&b, "client", r->client);
    log_field(&b, "method", r->method);
    log_field(&b, "path", r->path);
    sb_printf(&b, " status=%u bytes=%" PRIu64 " ms=%.2f", r->status, r->bytes,
              (quire_monotonic() - r->t0) * 1000);
    log_field(&b, "user", r->user[0] ? r->user : "-");
    if (r->by_token)
        sb_puts(&b, " auth=token");
    else if (r->user[0])
        sb_puts(&b, " auth=session");
    if (toe != MHD_REQUEST_TERMINATED_COMPLETED_OK)
        sb_puts(&b, " aborted=1");
    sb_add(&b, "\n", 1);
    pthread_mutex_lock(&log_lock);
    fwrite(b.s, 1, b.len, access_log);
    fflush(access_log);
    pthread_mutex_unlock(&log_lock);
    pthread_mutex_lock(&stat_lock);
    if (r->status >= 100 && r->status < 600)
        http_by_class[r->status / 100]++;
    pthread_mutex_unlock(&stat_lock);
    sb_free(&b);
    sb_free(&r->body);
    free(r->path);
    free(r);
    *ctx = NULL;
}

/* ------------------------------------------------------------ start, stop */

static char *read_all(const char *path, quire_error *err)
{
    FILE *f = fopen(path, "rb");
    strbuf b = {0};
    char buf[4096];
    size_t k;

    if (!f) {
        quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "cannot read: %s", strerror(errno));
        return NULL;
    }
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        sb_add(&b, buf, k);
    fclose(f);
    if (!b.s)
        sb_add(&b, "", 0);
    return b.s;
}

/* HOST:PORT, [V6]:PORT or localhost:PORT into an address. */
static int parse_listen(const char *s, struct sockaddr_storage *ss, socklen_t *len,
                        int *loopback, quire_error *err)
{
    char host[256];
    const char *colon = strrchr(s, ':'), *h = s;
    size_t hl;
    long port;
    char *end;
    struct addrinfo hints, *ai = NULL;

    if (!colon)
        return quire_err(err, QUIRE_EXIT_USAGE, "--listen must be HOST:PORT, not \"%s\"", s);
    hl = (size_t)(colon - s);
    if (hl >= 2 && s[0] == '[' && s[hl - 1] == ']') {
        h = s + 1;
        hl -= 2;
    }
    if (hl == 0 || hl >= sizeof host)
        return quire_err(err, QUIRE_EXIT_USAGE, "--listen needs a host: HOST:PORT, not \"%s\"",
                         s);
    memcpy(host, h, hl);
    host[hl] = '\0';
    errno = 0;
    port = strtol(colon + 1, &end, 10);
    if (!colon[1] || *end || errno || port < 0 || port > 65535)
        return quire_err(err, QUIRE_EXIT_USAGE, "--listen: bad port in \"%s\"", s);
    if (strcmp(host, "localhost") == 0)
        snprintf(host, sizeof host, "127.0.0.1");
    memset(&hints, 0, sizeof hints);
    hints.ai_flags = AI_NUMERICHOST | AI_PASSIVE;
    hints.ai_socktype = SOCK_STREAM;
    if (getaddrinfo(host, NULL, &hints, &ai) != 0 || !ai)
        return quire_err(err, QUIRE_EXIT_USAGE,
                         "--listen: \"%s\" is not an IP address (or localhost)", host);
    memcpy(ss, ai->ai_addr, ai->ai_addrlen);
    *len = ai->ai_addrlen;
    freeaddrinfo(ai);
    if (ss->ss_family == AF_INET) {
        struct sockaddr_in *in = (struct sockaddr_in *)ss;
        in->sin_port = htons((uint16_t)port);
        *loopback = (ntohl(in->sin_addr.s_addr) >> 24) == 127;
    } else {
        struct sockaddr_in6 *in6 = (struct sockaddr_in6 *)ss;
        in6->sin6_port = htons((uint16_t)port);
        *loopback = IN6_IS_ADDR_LOOPBACK(&in6->sin6_addr);
    }
    return 0;
}

static int write_port(const char *path, unsigned port)
{
    char *tmp = xasprintf("%s.tmp", path);
    FILE *f = fopen(tmp, "w");
    int rc = -1;
    if (f) {
        fprintf(f, "%u\n", port);
        rc = fclose(f) == 0 && rename(tmp, path) == 0 ? 0 : -1;
    }
    free(tmp);
    return rc;
}

int serve_run(const serve_opts *o, quire_error *err)
{
    struct sockaddr_storage ss;
    socklen_t sslen = 0;
    int loopback = 0, sig = 0, rc = -1;
    struct MHD_Daemon *d = NULL;
    unsigned flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL_LINUX_ONLY;
    char *cert = NULL, *key = NULL, *sdir;
    const union MHD_DaemonInfo *info;
    unsigned port;
    sigset_t set;
    jobs_opts jo;
    struct stat sb;

    opt = *o;
    if (mhd_bind(err))
        return -1;
    if (!opt.reports || stat(opt.reports, &sb) != 0 || !S_ISDIR(sb.st_mode))
        return quire_err(err, QUIRE_EXIT_USAGE, "--reports must be a folder of report specs");
    if (parse_listen(opt.listen, &ss, &sslen, &loopback, err))
        return -1;
    if ((opt.tls_cert != NULL) != (opt.tls_key != NULL))
        return quire_err(err, QUIRE_EXIT_USAGE, "--tls-cert and --tls-key go together");
    if (!(st = store_open(opt.state, err)))
        return -1;
    if (manage_open(opt.state, err)) {
        store_close(st);
        return -1;
    }
    tls_on = opt.tls_cert != NULL;
    auth_on = store_has_auth(st);
    if (!loopback && (!tls_on || !auth_on)) {
        quire_err(err, QUIRE_EXIT_USAGE, "refusing to listen on %s: off the loopback address "
                  "the server needs TLS (--tls-cert, --tls-key) and users or tokens (quire "
                  "user add, quire token add)", opt.listen);
        goto out;
    }
    if (tls_on) {
        if (mhd.MHD_is_feature_supported(MHD_FEATURE_TLS) != MHD_YES) {
            quire_err(err, QUIRE_EXIT_USAGE, "this libmicrohttpd was built without TLS");
            goto out;
        }
        if (!(cert = read_all(opt.tls_cert, err)) || !(key = read_all(opt.tls_key, err)))
            goto out;
        flags |= MHD_USE_TLS;
    }
    if (ss.ss_family == AF_INET6)
        flags |= MHD_USE_IPv6;
    if (auth_sessions_init(12 * 3600)) {
        quire_err(err, QUIRE_EXIT_USAGE, "no randomness for the session key");
        goto out;
    }
    access_log = stderr;
    if (opt.access_log && !(access_log = fopen(opt.access_log, "a"))) {
        quire_err_at(err, QUIRE_EXIT_USAGE, opt.access_log, 0, 0, "cannot open the access log: "
                     "%s", strerror(errno));
        access_log = stderr;
        goto out;
    }
    /* The cache: a folder beside the state file. */
    sdir = path_dirname(opt.state);
    {
        const char *base = strrchr(opt.state, '/');
        cache_dir = xasprintf("%s/%s.cache", sdir, base ? base + 1 : opt.state);
    }
    free(sdir);
    if (mkdir(cache_dir, 0750) != 0 && errno != EEXIST) {
        quire_err_at(err, QUIRE_EXIT_USAGE, cache_dir, 0, 0, "cannot make the cache folder: %s",
                     strerror(errno));
        goto out;
    }
    store_runs_abandon_open(st, now_ms());

    /* Signals: the ones that stop the server are waited for by this thread
     * alone; every thread started from here on inherits the mask. */
    sigemptyset(&set);
    sigaddset(&set, SIGTERM);
    sigaddset(&set, SIGINT);
    sigaddset(&set, SIGHUP);
    pthread_sigmask(SIG_BLOCK, &set, NULL);
    signal(SIGPIPE, SIG_IGN);

    memset(&jo, 0, sizeof jo);
    jo.program = opt.program;
    jo.reports = opt.reports;
    jo.cache = cache_dir;
    jo.workers = opt.workers;
    jo.queue = opt.queue;
    jo.timeout = opt.timeout;
    jo.st = st;
    if (jobs_start(&jo)) {
        quire_err(err, QUIRE_EXIT_USAGE, "cannot start the render workers");
        goto out;
    }
    d = mhd.MHD_start_daemon(flags, 0, NULL, NULL, on_request, NULL, MHD_OPTION_SOCK_ADDR,
                         (struct sockaddr *)&ss, MHD_OPTION_THREAD_POOL_SIZE,
                         (unsigned)opt.threads, MHD_OPTION_CONNECTION_LIMIT, 1024u,
                         MHD_OPTION_CONNECTION_TIMEOUT, 30u, MHD_OPTION_NOTIFY_COMPLETED,
                         on_complete, NULL, MHD_OPTION_LISTENING_ADDRESS_REUSE, 1u,
                         tls_on ? MHD_OPTION_HTTPS_MEM_KEY : MHD_OPTION_END, key,
                         MHD_OPTION_HTTPS_MEM_CERT, cert, MHD_OPTION_END);
    if (!d) {
        quire_err(err, QUIRE_EXIT_USAGE, "cannot listen on %s (in use, or not an address of "
                  "this machine)", opt.listen);
        jobs_stop(0);
        goto out;
    }
    info = mhd.MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT);
    port = info ? info->port : 0;
    if (opt.port_file && write_port(opt.port_file, port)) {
        quire_err_at(err, QUIRE_EXIT_USAGE, opt.port_file, 0, 0, "cannot write the port");
        mhd.MHD_stop_daemon(d);
        jobs_stop(0);
        goto out;
    }
    fprintf(stderr, "quire serve: listening on %s (port %u, %s; reports %s, %d workers, "
            "authentication %s)\n", opt.listen, port, tls_on ? "https" : "http", opt.reports,
            opt.workers, auth_on ? "on" : "off");
    while (sigwait(&set, &sig) != 0 || sig == SIGHUP)
        ;
    fprintf(stderr, "quire serve: stopping (signal %d): no new connections; renders have %g "
            "seconds to finish\n", sig, opt.grace);
    mhd.MHD_quiesce_daemon(d);
    jobs_stop(opt.grace);
    mhd.MHD_stop_daemon(d);
    fprintf(stderr, "quire serve: stopped\n");
    rc = 0;
out:
    if (access_log && access_log != stderr)
        fclose(access_log);
    manage_close();
    store_close(st);
    st = NULL;
    free(cert);
    free(key);
    free(cache_dir);
    return rc;
}
