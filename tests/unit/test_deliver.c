/*
 * test_deliver.c - delivering one report to one recipient: a folder, an
 * email (to the test SMTP server), a webhook (to the test receiver), and
 * the failures, with the servers the end-to-end tests use, started here on
 * 127.0.0.1 and stopped at the end.
 */
#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "check.h"
#include "deliver.h"
#include "fixture.h"

/* ------------------------------------------------------------ helpers */

typedef struct server {
    pid_t pid;
    char out[256];   /* where it saves what it receives */
    int port;
} server;

/* Start tests/fixtures/SCRIPT on 127.0.0.1 (the scripts bind nothing else)
 * with extra arguments; wait for its port file. Returns 0 or -1. */
static int server_start(server *sv, const char *name, const char *script, const char *const *extra)
{
    char path[256], portfile[300], log[300];
    const char *argv[16];
    struct timespec pause = {0, 50 * 1000 * 1000};
    int i, n = 0;

    memset(sv, 0, sizeof *sv);
    snprintf(path, sizeof path, "tests/fixtures/%s", script);
    snprintf(sv->out, sizeof sv->out, "%s/%s", dir, name);
    snprintf(portfile, sizeof portfile, "%s/%s.port", dir, name);
    snprintf(log, sizeof log, "%s/%s.log", dir, name);
    if (access(path, R_OK) != 0) {
        fprintf(stderr, "%s: not found (run the tests from the top of the source tree)\n", path);
        return -1;
    }
    argv[n++] = "python3";
    argv[n++] = path;
    argv[n++] = sv->out;
    argv[n++] = portfile;
    for (i = 0; extra && extra[i] && n < 15; i++)
        argv[n++] = extra[i];
    argv[n] = NULL;
    fflush(NULL);
    sv->pid = fork();
    if (sv->pid < 0)
        return -1;
    if (sv->pid == 0) {
        FILE *l = freopen(log, "w", stderr);
        (void)l;
        prctl(PR_SET_PDEATHSIG, SIGTERM); /* never outlive the test */
        execvp("python3", (char *const *)argv);
        _exit(127);
    }
    for (i = 0; i < 400; i++) { /* 20 seconds, for a busy machine */
        FILE *f = fopen(portfile, "r");
        if (f) {
            int ok = fscanf(f, "%d", &sv->port) == 1;
            fclose(f);
            if (ok && sv->port > 0)
                return 0;
        }
        if (waitpid(sv->pid, NULL, WNOHANG) == sv->pid) {
            fprintf(stderr, "%s exited early (see %s)\n", script, log);
            sv->pid = 0;
            return -1;
        }
        nanosleep(&pause, NULL);
    }
    fprintf(stderr, "%s did not start\n", script);
    return -1;
}

static void server_stop(server *sv)
{
    if (sv->pid > 0) {
        kill(sv->pid, SIGTERM);
        waitpid(sv->pid, NULL, 0);
        sv->pid = 0;
    }
}

/* A file's bytes; *n its length. */
static char *slurp(const char *path, size_t *n)
{
    FILE *f = fopen(path, "rb");
    strbuf b = {0};
    char buf[4096];
    size_t k;

    *n = 0;
    if (!f)
        return NULL;
    while ((k = fread(buf, 1, sizeof buf, f)) > 0)
        sb_add(&b, buf, k);
    fclose(f);
    if (!b.s)
        sb_add(&b, "", 0);
    *n = b.len;
    return b.s;
}

static char *slurp_in(const char *folder, const char *name, size_t *n)
{
    char *p = xasprintf("%s/%s", folder, name), *s = slurp(p, n);
    free(p);
    return s;
}

/* The names in a folder, sorted, joined by spaces. */
static void list_dir(const char *path, char *buf, size_t n)
{
    struct dirent **ents = NULL;
    int k = scandir(path, &ents, NULL, alphasort), i;
    size_t len = 0;

    buf[0] = '\0';
    for (i = 0; i < k; i++) {
        if (strcmp(ents[i]->d_name, ".") && strcmp(ents[i]->d_name, "..") && len < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%s", len ? " " : "", ents[i]->d_name);
        free(ents[i]);
    }
    free(ents);
}

/* Decode base64 text (line breaks ignored) into out; returns its length. */
static size_t unbase64(const char *s, size_t n, unsigned char *out)
{
    static const char tbl[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    unsigned v = 0;
    int bits = 0;
    size_t i, len = 0;

    for (i = 0; i < n; i++) {
        const char *p = s[i] ? strchr(tbl, s[i]) : NULL;
        if (!p)
            continue; /* CR, LF, '=' */
        v = v << 6 | (unsigned)(p - tbl);
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[len++] = (unsigned char)(v >> bits & 0xff);
        }
    }
    return len;
}

/* A port on 127.0.0.1 with nothing listening: bound (so nobody else gets
 * it) but never listened on, so connections are refused. */
static int closed_port(int *fd)
{
    struct sockaddr_in a;
    socklen_t len = sizeof a;

    memset(&a, 0, sizeof a);
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    *fd = socket(AF_INET, SOCK_STREAM, 0);
    if (*fd < 0 || bind(*fd, (struct sockaddr *)&a, sizeof a) ||
        getsockname(*fd, (struct sockaddr *)&a, &len))
        return -1;
    return ntohs(a.sin_port);
}

/* The "PDF": binary, with NUL bytes, 1000 bytes (not a multiple of 3, so
 * the base64 ends in padding). */
static unsigned char pdf_bytes[1000];
static char *pdf_path;

static void write_pdf(void)
{
    FILE *f;
    size_t i;

    memcpy(pdf_bytes, "%PDF-1.4\n", 9);
    for (i = 9; i < sizeof pdf_bytes; i++)
        pdf_bytes[i] = (unsigned char)(i * 37 + 11);
    if (!pdf_path)
        pdf_path = xasprintf("%s/report.pdf", dir);
    f = fopen(pdf_path, "wb");
    if (f) {
        fwrite(pdf_bytes, 1, sizeof pdf_bytes, f);
        fclose(f);
    }
}

static deliver_job job_for(const deliver_target *t, const char *recipient)
{
    deliver_job j;

    memset(&j, 0, sizeof j);
    j.t = t;
    j.recipient = recipient;
    j.pdf = pdf_path;
    j.report = "monthly";
    j.period = "2024-04";
    j.from = "2024-04-01";
    j.to = "2024-04-30";
    j.scheduled = "2024-05-01T06:00:00+02:00";
    j.date = "2024-05-01";
    j.run_id = 42;
    j.key = "quire.monthly.1714536000.00ff";
    return j;
}

/* ------------------------------------------------------------ folder */

static void test_file_name(void)
{
    deliver_target t;
    deliver_job j;
    char *name;

    memset(&t, 0, sizeof t);
    t.kind = DELIVER_FOLDER;
    t.name = (char *)"{report}_{period}_{from}_{to}_{date}_{run}.pdf";
    j = job_for(&t, "/x");
    name = deliver_file_name(&j);
    CHECK_STR(name, "monthly_2024-04_2024-04-01_2024-04-30_2024-05-01_42.pdf");
    free(name);

    /* A "/" from a value never makes a sub-folder; unknown braces stay. */
    t.name = (char *)"{report}-{period}-{nope}-{run";
    j.period = "2024/Q1";
    name = deliver_file_name(&j);
    CHECK_STR(name, "monthly-2024_Q1-{nope}-{run");
    free(name);

    /* The period's parameters in words. */
    t.name = (char *)"{report} {period:name} {to:month} {from:date} {to:quarter} {to:nope}.pdf";
    name = deliver_file_name(&j);
    CHECK_STR(name, "monthly Apr 2024 April 2024 1 April 2024 Q2 2024 {to:nope}.pdf");
    free(name);
    j.from = "2024-01";
    j.to = "2024-03";
    name = deliver_file_name(&j);
    CHECK_STR(name, "monthly Q1 2024 March 2024 {from:date} Q1 2024 {to:nope}.pdf");
    free(name);
}

static void test_folder(void)
{
    deliver_target t;
    deliver_job j;
    quire_error err = {0};
    char *folder = xasprintf("%s/archive/2024/monthly", dir), *got, *blocker;
    char names[1024];
    size_t n;

    memset(&t, 0, sizeof t);
    t.kind = DELIVER_FOLDER;
    t.name = (char *)"{report}-{period}.pdf";
    j = job_for(&t, folder);

    /* The folder is created, the file is the PDF, and nothing else is left. */
    CHECK(deliver_send(&j, &err) == 0);
    if (err.code)
        fprintf(stderr, "%s\n", err.msg);
    got = slurp_in(folder, "monthly-2024-04.pdf", &n);
    CHECK(got && n == sizeof pdf_bytes && memcmp(got, pdf_bytes, n) == 0);
    free(got);
    list_dir(folder, names, sizeof names);
    CHECK_STR(names, "monthly-2024-04.pdf");

    /* Again, with other content: replaced whole. */
    {
        FILE *f = fopen(pdf_path, "wb");
        if (f) {
            fputs("%PDF-1.7 second\n", f);
            fclose(f);
        }
    }
    CHECK(deliver_send(&j, &err) == 0);
    got = slurp_in(folder, "monthly-2024-04.pdf", &n);
    CHECK(got && n == 16 && memcmp(got, "%PDF-1.7 second\n", 16) == 0);
    free(got);
    list_dir(folder, names, sizeof names);
    CHECK_STR(names, "monthly-2024-04.pdf");
    write_pdf(); /* back to the binary one */

    /* The PDF is missing: an error, and no temporary file left behind. */
    j.pdf = "/nonexistent/report.pdf";
    j.period = "2024-05";
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_STR(err.file, "/nonexistent/report.pdf");
    CHECK_STR(err.msg, "cannot read: No such file or directory");
    list_dir(folder, names, sizeof names);
    CHECK_STR(names, "monthly-2024-04.pdf");

    /* The folder cannot be made: a file is in the way. */
    blocker = xasprintf("%s/blocker", dir);
    fixture_put("blocker", "x");
    free(folder);
    folder = xasprintf("%s/sub", blocker);
    j = job_for(&t, folder);
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_STR(err.file, folder);
    CHECK_STR(err.msg, "cannot create folder: Not a directory");
    free(blocker);
    free(folder);
}

/* ------------------------------------------------------------ email */

static const char *boundary_of(const char *msg, char *b, size_t n);

/* The attachment of a saved message, decoded; its length in *n. */
static unsigned char *attachment(const char *msg, size_t *n)
{
    const char *start = strstr(msg, "Content-Transfer-Encoding: base64\r\n\r\n"), *end;
    unsigned char *out;
    char b[128], close[160];

    *n = 0;
    if (!start || !boundary_of(msg, b, sizeof b))
        return NULL;
    snprintf(close, sizeof close, "--%s--", b);
    start += strlen("Content-Transfer-Encoding: base64\r\n\r\n");
    end = strstr(start, close);
    if (!end)
        return NULL;
    out = xmalloc((size_t)(end - start) + 1);
    *n = unbase64(start, (size_t)(end - start), out);
    return out;
}

static void test_email(void)
{
    static const char *const args[] = {"--fail-rcpt", "b@example.com:1", NULL};
    server sv;
    deliver_target t;
    deliver_job j;
    quire_error err = {0};
    char url[64], want[512], *msg, *p;
    unsigned char *att;
    size_t n;

    CHECK(server_start(&sv, "mail", "smtp_server.py", args) == 0);
    if (!sv.port) {
        server_stop(&sv);
        return;
    }
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", sv.port);
    memset(&t, 0, sizeof t);
    t.kind = DELIVER_EMAIL;
    t.smtp_url = url;
    t.from = (char *)"quire@example.com";
    t.subject = (char *)"Report {period} ({from} to {to})";
    t.body = (char *)"Hello {report}\nRun {run} of {date}.\n";
    t.tls = 0;
    t.timeout = 20;

    /* 1. a@: accepted; the message has the headers, the body and the PDF. */
    j = job_for(&t, "a@example.com");
    CHECK(deliver_send(&j, &err) == 0);
    if (err.code)
        fprintf(stderr, "%s\n", err.msg);
    msg = slurp_in(sv.out, "0001.eml", &n);
    CHECK(msg != NULL);
    if (msg) {
        CHECK(strncmp(msg, "X-Envelope-To: a@example.com\r\n", 30) == 0);
        CHECK_CONTAINS(msg, "\r\nFrom: quire@example.com\r\n");
        CHECK_CONTAINS(msg, "\r\nTo: a@example.com\r\n");
        CHECK_CONTAINS(msg, "\r\nSubject: Report 2024-04 (2024-04-01 to 2024-04-30)\r\n");
        CHECK_CONTAINS(msg, "\r\nMessage-ID: <quire.monthly.1714536000.00ff@example.com>\r\n");
        CHECK_CONTAINS(msg, "\r\nDate: ");
        CHECK_CONTAINS(msg, "Content-Type: multipart/mixed; boundary=\"quire-");
        /* Bare line feeds of the body went out as CRLF. */
        CHECK_CONTAINS(msg, "\r\n\r\nHello monthly\r\nRun 42 of 2024-05-01.\r\n");
        CHECK_CONTAINS(msg, "Content-Type: application/pdf; name=\"monthly-2024-04.pdf\"\r\n"
                            "Content-Disposition: attachment; filename=\"monthly-2024-04.pdf\"\r\n");
        att = attachment(msg, &n);
        CHECK(att && n == sizeof pdf_bytes && memcmp(att, pdf_bytes, n) == 0);
        free(att);
        /* Lines of at most 76 characters. */
        p = strstr(msg, "Content-Transfer-Encoding: base64\r\n\r\n");
        if (p) {
            const char *line = p + strlen("Content-Transfer-Encoding: base64\r\n\r\n");
            const char *cr = strchr(line, '\r');
            CHECK(cr && cr - line == 76);
        }
    }
    free(msg);

    /* 2. b@: refused once with 451 (the server's reply is in the error),
     *    then accepted. */
    j = job_for(&t, "b@example.com");
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    snprintf(want, sizeof want, "email to b@example.com via %s", url);
    CHECK_STR(err.file, want);
    CHECK_CONTAINS(err.msg, "451");
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == 0);
    msg = slurp_in(sv.out, "0002.eml", &n);
    CHECK(msg && strncmp(msg, "X-Envelope-To: b@example.com\r\n", 30) == 0);
    free(msg);

    /* 3. The default subject and body. */
    t.subject = t.body = NULL;
    j = job_for(&t, "c@example.com");
    CHECK(deliver_send(&j, &err) == 0);
    msg = slurp_in(sv.out, "0003.eml", &n);
    CHECK_CONTAINS(msg, "\r\nSubject: monthly 2024-04\r\n");
    CHECK_CONTAINS(msg, "\r\n\r\nThe monthly report for 2024-04 is attached.\r\n");
    free(msg);

    /* 4. A notice (on_failure): plain text, no attachment. */
    CHECK(deliver_notice(&t, "ops@example.com", "Quire: monthly failed", "It failed:\n\nno data\n",
                         "quire.notice.1", &err) == 0);
    msg = slurp_in(sv.out, "0004.eml", &n);
    CHECK(msg != NULL);
    if (msg) {
        CHECK(strncmp(msg, "X-Envelope-To: ops@example.com\r\n", 32) == 0);
        CHECK_CONTAINS(msg, "\r\nSubject: Quire: monthly failed\r\n");
        CHECK_CONTAINS(msg, "\r\nMessage-ID: <quire.notice.1@example.com>\r\n");
        CHECK_CONTAINS(msg, "Content-Type: text/plain; charset=utf-8\r\n");
        CHECK_CONTAINS(msg, "\r\n\r\nIt failed:\r\n\r\nno data\r\n");
        CHECK(strstr(msg, "attachment") == NULL);
    }
    free(msg);
    {
        char names[256];
        list_dir(sv.out, names, sizeof names);
        CHECK_STR(names, "0001.eml 0002.eml 0003.eml 0004.eml session.log");
    }

    /* 5. Credentials named but not there: nothing is sent. */
    t.username_env = (char *)"QUIRE_TEST_NO_SUCH_USER";
    t.password_env = (char *)"QUIRE_TEST_NO_SUCH_PASSWORD";
    unsetenv("QUIRE_TEST_NO_SUCH_USER");
    unsetenv("QUIRE_TEST_NO_SUCH_PASSWORD");
    j = job_for(&t, "a@example.com");
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_STR(err.file, "email");
    CHECK_STR(err.msg, "environment variable QUIRE_TEST_NO_SUCH_USER is not set");
    setenv("QUIRE_TEST_NO_SUCH_USER", "reports", 1);
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_STR(err.file, "email");
    CHECK_STR(err.msg, "the SMTP password is missing (environment variable "
                       "QUIRE_TEST_NO_SUCH_PASSWORD)");
    unsetenv("QUIRE_TEST_NO_SUCH_USER");
    {
        char names[256];
        list_dir(sv.out, names, sizeof names);
        CHECK_STR(names, "0001.eml 0002.eml 0003.eml 0004.eml session.log");
    }
    server_stop(&sv);
}

/* ------------------------------------------------------------ webhook */

static void test_webhook(void)
{
    static const char *const args[] = {"--fail", "1", "--token", "tok-s3cret", NULL};
    server sv;
    deliver_target t;
    deliver_job j;
    quire_error err = {0};
    char url[64], want[1024], *body, *hdr, *tokfile;
    size_t n;

    CHECK(server_start(&sv, "hook", "webhook_server.py", args) == 0);
    if (!sv.port) {
        server_stop(&sv);
        return;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", sv.port);
    memset(&t, 0, sizeof t);
    t.kind = DELIVER_WEBHOOK;
    t.timeout = 20;
    j = job_for(&t, url);

    /* No token: the receiver answers 401. */
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    snprintf(want, sizeof want, "webhook %s", url);
    CHECK_STR(err.file, want);
    CHECK_STR(err.msg, "HTTP status 401: the receiver wants a bearer token (token_env or "
                       "token_file)");

    /* A wrong token: refused, named by where it came from, never shown. */
    setenv("QUIRE_TEST_TOKEN", "tok-wrong", 1);
    t.token_env = (char *)"QUIRE_TEST_TOKEN";
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK_STR(err.msg, "HTTP status 401: the bearer token (from environment variable "
                       "QUIRE_TEST_TOKEN) was refused");
    CHECK(strstr(err.msg, "tok-wrong") == NULL && strstr(err.file, "tok-wrong") == NULL);

    /* The right one, from a file (its first line): the receiver fails
     * once with 500, then takes it. */
    unsetenv("QUIRE_TEST_TOKEN");
    t.token_env = NULL;
    fixture_put("token.txt", "tok-s3cret\nnot part of it\n");
    tokfile = xasprintf("%s/token.txt", dir);
    t.token_file = tokfile;
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    snprintf(want, sizeof want, "webhook %s", url);
    CHECK_STR(err.file, want);
    CHECK_STR(err.msg, "HTTP status 500");
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == 0);
    if (err.code)
        fprintf(stderr, "%s\n", err.msg);
    body = slurp_in(sv.out, "0001.body", &n);
    CHECK(body && n == sizeof pdf_bytes && memcmp(body, pdf_bytes, n) == 0);
    free(body);
    hdr = slurp_in(sv.out, "0001.headers", &n);
    CHECK_CONTAINS(hdr, "\nContent-Type: application/pdf\n");
    CHECK_CONTAINS(hdr, "\nX-Quire-Report: monthly\n");
    CHECK_CONTAINS(hdr, "\nX-Quire-Period: 2024-04\n");
    CHECK_CONTAINS(hdr, "\nIdempotency-Key: quire.monthly.1714536000.00ff\n");
    CHECK_CONTAINS(hdr, "\nAuthorization: Bearer (checked)\n");
    free(hdr);

    /* format: json: a notice instead of the PDF. */
    t.json = 1;
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == 0);
    body = slurp_in(sv.out, "0002.body", &n);
    snprintf(want, sizeof want,
             "{\"report\": \"monthly\", \"period\": \"2024-04\", \"from\": \"2024-04-01\", "
             "\"to\": \"2024-04-30\", \"scheduled\": \"2024-05-01T06:00:00+02:00\", \"run\": 42, "
             "\"delivery\": \"quire.monthly.1714536000.00ff\", \"output\": \"%s\"}\n",
             pdf_path);
    CHECK_STR(body, want);
    free(body);
    hdr = slurp_in(sv.out, "0002.headers", &n);
    CHECK_CONTAINS(hdr, "\nContent-Type: application/json\n");
    free(hdr);

    /* A token that is nowhere: nothing is sent. */
    t.token_file = NULL;
    t.token_env = (char *)"QUIRE_TEST_NO_TOKEN";
    unsetenv("QUIRE_TEST_NO_TOKEN");
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK_STR(err.file, "webhook");
    CHECK_STR(err.msg, "the token is missing (environment variable QUIRE_TEST_NO_TOKEN)");
    t.token_env = NULL;
    t.token_file = (char *)"/nonexistent/token.txt";
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK_STR(err.file, "webhook");
    CHECK_STR(err.msg, "the token is missing (file /nonexistent/token.txt)");

    /* A ca_file that cannot be read. */
    t.token_file = tokfile;
    t.ca_file = (char *)"/nonexistent/ca.pem";
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    snprintf(want, sizeof want, "webhook %s", url);
    CHECK_STR(err.file, want);
    CHECK_STR(err.msg, "cannot read ca_file /nonexistent/ca.pem: No such file or directory");
    {
        char names[256];
        list_dir(sv.out, names, sizeof names);
        CHECK_STR(names, "0001.body 0001.headers 0002.body 0002.headers");
    }
    free(tokfile);
    server_stop(&sv);
}

/* ------------------------------------------------------------ injection */

/* The boundary of a saved multipart message (copied into b), or NULL. */
static const char *boundary_of(const char *msg, char *b, size_t n)
{
    const char *p = strstr(msg, "\r\nContent-Type: multipart/mixed; boundary=\""), *end;

    if (!p)
        return NULL;
    p += strlen("\r\nContent-Type: multipart/mixed; boundary=\"");
    end = strchr(p, '"');
    if (!end || (size_t)(end - p) >= n)
        return NULL;
    snprintf(b, n, "%.*s", (int)(end - p), p);
    return b;
}

/* How many times needle occurs in hay. */
static int occurrences(const char *hay, const char *needle)
{
    int k = 0;
    for (hay = strstr(hay, needle); hay; hay = strstr(hay + 1, needle))
        k++;
    return k;
}

/* The names of the header fields of a saved message (the server's own
 * X-Envelope-To and X-Test-* left out), joined by spaces. */
static void header_names(const char *msg, char *buf, size_t n)
{
    const char *p = msg, *end = strstr(msg, "\r\n\r\n");
    size_t len = 0;

    buf[0] = '\0';
    while (p && end && p < end) {
        const char *colon = strchr(p, ':'), *eol = strstr(p, "\r\n");
        if (*p != ' ' && *p != '\t' && colon && colon < eol && strncmp(p, "X-Envelope-To", 13) &&
            strncmp(p, "X-Test-", 7) && len < n)
            len += (size_t)snprintf(buf + len, n - len, "%s%.*s", len ? " " : "",
                                    (int)(colon - p), p);
        p = eol ? eol + 2 : NULL;
    }
}

/* Every RCPT the server saw names one of the addresses in want (a list
 * joined by spaces), and nothing in the session mentions hidden. */
static void check_session(const char *folder, const char *want, const char *hidden)
{
    size_t n;
    char *log = slurp_in(folder, "session.log", &n), *line, *save = NULL;

    if (!log)
        return; /* nothing was said at all */
    CHECK(strstr(log, hidden) == NULL);
    for (line = strtok_r(log, "\n", &save); line; line = strtok_r(NULL, "\n", &save)) {
        const char *r = strstr(line, "RCPT TO:<");
        char addr[256];
        if (!r)
            continue;
        snprintf(addr, sizeof addr, " %.*s ", (int)strcspn(r + 9, ">"), r + 9);
        {
            char *list = xasprintf(" %s ", want);
            if (!strstr(list, addr))
                fprintf(stderr, "unexpected recipient on the wire: %s\n", line);
            CHECK(strstr(list, addr) != NULL);
            free(list);
        }
    }
    free(log);
}

static void test_injection(void)
{
    server sv;
    deliver_target t;
    deliver_job j;
    quire_error err = {0};
    char url[64], names[512], b1[128], b2[128], *msg;
    size_t n;

    CHECK(server_start(&sv, "inject", "smtp_server.py", NULL) == 0);
    if (!sv.port) {
        server_stop(&sv);
        return;
    }
    snprintf(url, sizeof url, "smtp://127.0.0.1:%d", sv.port);
    memset(&t, 0, sizeof t);
    t.kind = DELIVER_EMAIL;
    t.smtp_url = url;
    t.tls = 0;
    t.timeout = 20;

    /* 1. A line break in the sender would put a recipient of its own on
     *    the wire: refused before anything is sent. */
    t.from = (char *)"quire@example.com>\r\nRCPT TO:<hidden@evil.example";
    j = job_for(&t, "a@example.com");
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_CONTAINS(err.msg, "is not an email address");
    CHECK(strchr(err.msg, '\r') == NULL && strchr(err.msg, '\n') == NULL);
    memset(&err, 0, sizeof err);
    CHECK(deliver_notice(&t, "ops@example.com", "s", "t", "k", &err) == -1);
    check_session(sv.out, "a@example.com ops@example.com", "hidden");

    /* 2. The same in a recipient. */
    t.from = (char *)"quire@example.com";
    j = job_for(&t, "a@example.com>\r\nRCPT TO:<hidden@evil.example");
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK_CONTAINS(err.msg, "is not an email address");
    check_session(sv.out, "a@example.com ops@example.com", "hidden");
    list_dir(sv.out, names, sizeof names);
    CHECK(strstr(names, ".eml") == NULL);

    /* 3. A subject with a line break and non-ASCII text: one Subject header
     *    of RFC 2047 encoded-words, no header of its own. A body that
     *    forges a part with the boundary of older versions: the boundary is
     *    random, not in the body, and the message has its two parts. */
    t.subject = (char *)"Report {period}\r\nBcc: hidden@evil.example\r\nX-Evil: 1 \xc3\xa9t\xc3\xa9 "
                        "\xe2\x80\x94 a subject long enough to need folding over several lines";
    t.body = (char *)"Hello\n--quire-boundary-7f3a\r\nContent-Type: text/html\r\n\r\n<b>forged</b>\n"
                     "--quire-boundary-7f3a--\n";
    j = job_for(&t, "a@example.com");
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == 0);
    if (err.code)
        fprintf(stderr, "%s\n", err.msg);
    msg = slurp_in(sv.out, "0001.eml", &n);
    CHECK(msg != NULL);
    if (msg) {
        const char *subj = strstr(msg, "\r\nSubject: "), *p;
        header_names(msg, names, sizeof names);
        CHECK_STR(names, "Date From To Subject Message-ID MIME-Version Content-Type");
        CHECK(strstr(msg, "\r\nBcc:") == NULL && strstr(msg, "\r\nX-Evil:") == NULL);
        CHECK(subj && strncmp(subj, "\r\nSubject: =?UTF-8?B?", 21) == 0);
        /* Folded: every line of the header at most 76 characters, each
         * continuation an encoded-word after a space. */
        for (p = subj ? subj + 2 : NULL; p;) {
            const char *eol = strstr(p, "\r\n");
            CHECK(eol && eol - p <= 76);
            if (!eol || eol[2] != ' ')
                break;
            p = eol + 2;
            CHECK(strncmp(p, " =?UTF-8?B?", 11) == 0);
        }
        /* The words decode to the subject, line breaks made spaces. */
        {
            unsigned char text[512];
            size_t len = 0;
            const char *w = subj;
            while (w && (w = strstr(w, "=?UTF-8?B?")) != NULL && len < 300) {
                const char *e = strstr(w + 10, "?=");
                if (!e || e > strstr(w, "\r\n"))
                    break;
                len += unbase64(w + 10, (size_t)(e - w - 10), text + len);
                w = e;
            }
            text[len] = '\0';
            CHECK_STR((char *)text, "Report 2024-04 Bcc: hidden@evil.example X-Evil: 1 \xc3\xa9t\xc3\xa9 "
                                    "\xe2\x80\x94 a subject long enough to need folding over "
                                    "several lines");
        }
        CHECK(boundary_of(msg, b1, sizeof b1) != NULL);
        CHECK(strcmp(b1, "quire-boundary-7f3a") != 0);
        {
            char *open = xasprintf("\r\n--%s\r\n", b1), *close = xasprintf("\r\n--%s--\r\n", b1);
            CHECK(occurrences(msg, open) == 2);
            CHECK(occurrences(msg, close) == 1);
            CHECK(occurrences(msg, b1) == 4); /* the header, two parts, the end */
            free(open);
            free(close);
        }
        /* The forged lines are text of the first part, nothing else. */
        {
            char *open = xasprintf("\r\n--%s\r\n", b1);
            const char *first = strstr(msg, open), *second = first ? strstr(first + 1, open) : NULL;
            const char *forged = strstr(msg, "Content-Type: text/html");
            CHECK(first && second && forged && first < forged && forged < second);
            CHECK(second && strncmp(second + strlen(open), "Content-Type: application/pdf", 29) == 0);
            free(open);
        }
    }
    free(msg);
    /* 4. The next message has a boundary of its own. */
    t.subject = t.body = NULL;
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == 0);
    msg = slurp_in(sv.out, "0002.eml", &n);
    CHECK(msg && boundary_of(msg, b2, sizeof b2) && strcmp(b1, b2) != 0);
    free(msg);
    check_session(sv.out, "a@example.com ops@example.com", "hidden");
    server_stop(&sv);
}

/* A random source that gives the same 16 bytes twice, then others. */
static int calls;
static int same_twice(void *buf, size_t n)
{
    memset(buf, calls++ < 2 ? 0xab : 0x11 * calls, n);
    return 0;
}

static void test_boundary(void)
{
    static const char text[] = "Forged:\r\n--quire-abababababababababababababababab\r\n";
    int (*saved)(void *, size_t) = deliver_random;
    char b[64];

    /* The content holds the first two candidates: the third is taken. */
    deliver_random = same_twice;
    calls = 0;
    deliver_boundary(b, sizeof b, text, strlen(text));
    CHECK(calls == 3);
    CHECK(strncmp(b, "quire-", 6) == 0 && strlen(b) == 38);
    CHECK(strstr(text, b) == NULL);
    deliver_random = saved;
    /* From the kernel: a new one each time. */
    {
        char b2[64];
        deliver_boundary(b, sizeof b, "", 0);
        deliver_boundary(b2, sizeof b2, "", 0);
        CHECK(strcmp(b, b2) != 0);
    }
}

/* The message itself: a body line longer than a message line may be
 * (998 characters) is sent in base64, and addresses that are not
 * addresses get no message at all. */
static void test_message(void)
{
    deliver_target t;
    deliver_job j;
    quire_error err = {0};
    strbuf m = {0}, body = {0};
    const char *p, *e;
    size_t i, longest = 0;

    for (i = 0; i < 1200; i++)
        sb_puts(&body, "y");
    sb_puts(&body, "\nshort\n");
    memset(&t, 0, sizeof t);
    t.kind = DELIVER_EMAIL;
    t.from = (char *)"reports@example.com";
    t.body = body.s;
    memset(&j, 0, sizeof j);
    j.t = &t;
    j.recipient = "ana@example.org";
    j.report = "r";
    j.period = "2024-04";
    j.key = "k";
    CHECK(deliver_message(&j, "%PDF", 4, &m, &err) == 0);
    for (p = m.s; (e = strstr(p, "\r\n")) != NULL; p = e + 2)
        if ((size_t)(e - p) > longest)
            longest = (size_t)(e - p);
    CHECK(longest <= 998);
    CHECK_CONTAINS(m.s, "Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: base64\r\n\r\neXl5");
    sb_free(&m);
    sb_free(&body);

    /* A first word too long for "Subject: " and 78 characters is encoded
     * (it went out on a line of 79). */
    t.body = NULL;
    t.subject = (char *)"{report}:Customer-Segment-Performance-Review-Northern-Region-Wholesale-Accounts-2024";
    CHECK(deliver_message(&j, "%PDF", 4, &m, &err) == 0);
    CHECK_CONTAINS(m.s, "\r\nSubject: =?UTF-8?B?");
    p = strstr(m.s, "\r\nSubject:");
    if (p) {
        p += 2;
        do {
            e = strstr(p, "\r\n");
            CHECK(e && e - p <= 78);
            p = e ? e + 2 : "";
        } while (*p == ' ');
    }
    sb_free(&m);

    /* A long report name: the attachment's name is cut (its header lines
     * went past 998 characters). */
    {
        char name[2001];
        memset(name, 'n', 2000);
        name[2000] = '\0';
        j.report = name;
        CHECK(deliver_message(&j, "%PDF", 4, &m, &err) == 0);
        CHECK_CONTAINS(m.s, "filename=\"nnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnnn"
                            ".pdf\"\r\n");
        sb_free(&m);
        j.report = "r";
    }

    t.from = (char *)"reports@example.com\r\nRCPT TO:<hidden@example.net>";
    CHECK(deliver_message(&j, "%PDF", 4, &m, &err) == -1 && m.len == 0);
    CHECK_CONTAINS(err.msg, "the sender");
    sb_free(&m);
}

/* With a summary: multipart/mixed of a multipart/alternative (the body and
 * the summary as text, then as HTML with the body escaped) and the PDF. */
static void test_message_summary(void)
{
    deliver_target t;
    deliver_job j;
    quire_error err = {0};
    strbuf m = {0};
    char outer[64], inner[64];
    const char *p;

    memset(&t, 0, sizeof t);
    t.kind = DELIVER_EMAIL;
    t.from = (char *)"reports@example.com";
    t.body = (char *)"Hi <team> & co,\nthe report is attached.\n";
    memset(&j, 0, sizeof j);
    j.t = &t;
    j.recipient = "ana@example.org";
    j.report = "r";
    j.period = "2024-04";
    j.key = "k";
    j.summary_text = "Customers: 1,234 (+2.8% vs previous period)\n";
    j.summary_html = "<div style=\"color:#111\">Customers <b>1,234</b></div>\n";
    CHECK(deliver_message(&j, "%PDF", 4, &m, &err) == 0);
    p = strstr(m.s, "Content-Type: multipart/mixed; boundary=\"");
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK(sscanf(p, "Content-Type: multipart/mixed; boundary=\"%63[^\"]", outer) == 1);
    p = strstr(p, "Content-Type: multipart/alternative; boundary=\"");
    CHECK(p != NULL);
    if (!p)
        return;
    CHECK(sscanf(p, "Content-Type: multipart/alternative; boundary=\"%63[^\"]", inner) == 1);
    CHECK(strcmp(outer, inner) != 0);
    CHECK_CONTAINS(m.s, "Content-Type: text/plain; charset=utf-8\r\n"
                        "Content-Transfer-Encoding: 8bit\r\n\r\n"
                        "Hi <team> & co,\r\nthe report is attached.\r\n\r\n"
                        "Customers: 1,234 (+2.8% vs previous period)\r\n");
    CHECK_CONTAINS(m.s, "Content-Type: text/html; charset=utf-8\r\n");
    CHECK_CONTAINS(m.s, "Hi &lt;team&gt; &amp; co,<br>\r\nthe report is attached.</p>");
    CHECK_CONTAINS(m.s, "<div style=\"color:#111\">Customers <b>1,234</b></div>\r\n");
    /* the alternative closes before the PDF, which closes the message */
    {
        char close_inner[80], pdf_delim[120];
        snprintf(close_inner, sizeof close_inner, "--%s--\r\n", inner);
        snprintf(pdf_delim, sizeof pdf_delim, "--%s\r\nContent-Type: application/pdf", outer);
        CHECK(strstr(m.s, close_inner) && strstr(m.s, pdf_delim) &&
              strstr(m.s, close_inner) < strstr(m.s, pdf_delim));
    }
    sb_free(&m);
    /* without a summary: the text part alone, as before */
    j.summary_text = j.summary_html = NULL;
    CHECK(deliver_message(&j, "%PDF", 4, &m, &err) == 0);
    CHECK(strstr(m.s, "multipart/alternative") == NULL);
    sb_free(&m);
}

static void test_webhook_headers(void)
{
    static const char *const args[] = {"--token", "tok-s3cret", NULL};
    server sv;
    deliver_target t;
    deliver_job j;
    quire_error err = {0};
    char url[64], names[256];

    CHECK(server_start(&sv, "hook-inject", "webhook_server.py", args) == 0);
    if (!sv.port) {
        server_stop(&sv);
        return;
    }
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", sv.port);
    memset(&t, 0, sizeof t);
    t.kind = DELIVER_WEBHOOK;
    t.timeout = 20;
    t.token_env = (char *)"QUIRE_TEST_TOKEN";
    j = job_for(&t, url);

    /* A token with a line break would add a header of its own: refused,
     * named by where it came from, never shown. */
    setenv("QUIRE_TEST_TOKEN", "tok-s3cret\r\nX-Evil: 1", 1);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_CONTAINS(err.msg, "environment variable QUIRE_TEST_TOKEN");
    CHECK(strstr(err.msg, "s3cret") == NULL && strstr(err.msg, "X-Evil") == NULL);

    /* A report name with a line break: refused too. */
    setenv("QUIRE_TEST_TOKEN", "tok-s3cret", 1);
    j.report = "monthly\r\nX-Evil: 1";
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK(strchr(err.msg, '\r') == NULL && strchr(err.msg, '\n') == NULL);
    list_dir(sv.out, names, sizeof names);
    CHECK_STR(names, "");

    /* The right ones go through. */
    j.report = "monthly";
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == 0);
    list_dir(sv.out, names, sizeof names);
    CHECK_STR(names, "0001.body 0001.headers");
    unsetenv("QUIRE_TEST_TOKEN");
    server_stop(&sv);
}

/* ------------------------------------------------------------ nothing there */

static void test_unreachable(void)
{
    deliver_target t;
    deliver_job j;
    quire_error err = {0};
    char url[128], want[512];
    int fd = -1, port = closed_port(&fd);

    CHECK(port > 0);
    if (port <= 0) {
        if (fd >= 0)
            close(fd);
        return;
    }
    memset(&t, 0, sizeof t);
    t.kind = DELIVER_EMAIL;
    t.from = (char *)"quire@example.com";
    t.timeout = 10;
    /* A user name and password in the URL are never shown. */
    snprintf(url, sizeof url, "smtp://reports:pw-hunter2@127.0.0.1:%d", port);
    t.smtp_url = url;
    j = job_for(&t, "a@example.com");
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    snprintf(want, sizeof want, "email to a@example.com via smtp://***@127.0.0.1:%d", port);
    CHECK_STR(err.file, want);
    CHECK_CONTAINS(err.msg, "onnect");
    CHECK(strstr(err.msg, "hunter2") == NULL && strstr(err.file, "hunter2") == NULL);
    memset(&err, 0, sizeof err);
    CHECK(deliver_notice(&t, "ops@example.com", "s", "t", "k", &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);

    memset(&t, 0, sizeof t);
    t.kind = DELIVER_WEBHOOK;
    t.timeout = 10;
    snprintf(url, sizeof url, "http://127.0.0.1:%d/hook", port);
    j = job_for(&t, url);
    memset(&err, 0, sizeof err);
    CHECK(deliver_send(&j, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    snprintf(want, sizeof want, "webhook %s", url);
    CHECK_STR(err.file, want);
    CHECK_CONTAINS(err.msg, "onnect");
    close(fd);
}

int main(void)
{
    static const char *const proxies[] = {"http_proxy", "https_proxy", "HTTP_PROXY",
                                          "HTTPS_PROXY", "all_proxy", "ALL_PROXY"};
    size_t i;

    if (fixture_open("/tmp/quire-deliver-"))
        return 2;
    /* Only 127.0.0.1 is ever contacted: no proxy from the environment. */
    for (i = 0; i < sizeof proxies / sizeof proxies[0]; i++)
        unsetenv(proxies[i]);
    setenv("NO_PROXY", "127.0.0.1", 1);
    setenv("no_proxy", "127.0.0.1", 1);
    signal(SIGPIPE, SIG_IGN);
    write_pdf();
    test_file_name();
    test_folder();
    test_email();
    test_webhook();
    test_injection();
    test_boundary();
    test_message();
    test_message_summary();
    test_webhook_headers();
    test_unreachable();
    free(pdf_path);
    fixture_close();
    return check_done("deliver");
}
