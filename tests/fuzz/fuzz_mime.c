/*
 * fuzz_mime.c - the email a delivery sends (deliver_message), from
 * arbitrary subject, body, sender, recipient, report name, period and PDF.
 *
 * The input is fields separated by NUL bytes: the subject template, the
 * body template, the sender, the recipient, the report's name, the period,
 * 16 bytes that the first boundary is made of, and the PDF's bytes (the
 * rest). When the rest starts with a byte 0x01, two more fields follow it,
 * the summary's text and its HTML, then the PDF: the text part is then a
 * multipart/alternative (its own boundary) of the text (the body, then the
 * summary's text) and the HTML (which holds the summary's HTML). A message is written only for addresses that are addresses, and
 * then it must read back, by the checks here, as what was asked:
 *   - every line ends in CRLF and has at most 998 characters; no bare CR
 *     or LF anywhere;
 *   - the header fields are exactly Date, From, To, Subject, Message-ID,
 *     MIME-Version and Content-Type, once each: nothing injected; From and
 *     To are the addresses, on one line each;
 *   - the Subject's lines have at most 78 characters, and decoded (RFC 2047)
 *     it holds no control character; a subject of printable ASCII words
 *     reads back exactly;
 *   - the body is MIME with the declared boundary: exactly a text part and
 *     the PDF part, then the closing delimiter; the text part is the body
 *     with CRLF line ends (in base64 when a line is too long); the PDF
 *     part's file name is plain and short, and its base64 decodes to the
 *     PDF.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "deliver.h"
#include "replay.h"

#define NFIELDS 7

static const char *sum_text, *sum_html; /* the summary, or NULL */

static const uint8_t *seed_bytes;
static int seed_used;

/* The first boundary from the input (so that the fuzzer can make a body
 * that holds it), then a counter: deliver_boundary() must try again. */
static int fake_random(void *buf, size_t n)
{
    static unsigned long long k;
    size_t i;

    if (!seed_used && seed_bytes) {
        memcpy(buf, seed_bytes, n < 16 ? n : 16);
        seed_used = 1;
        return 0;
    }
    for (i = 0; i < n; i++)
        ((unsigned char *)buf)[i] = (unsigned char)(++k * 0x9e3779b97f4a7c15ULL >> 56);
    return 0;
}

static int b64val(char c)
{
    if (c >= 'A' && c <= 'Z')
        return c - 'A';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 26;
    if (c >= '0' && c <= '9')
        return c - '0' + 52;
    if (c == '+')
        return 62;
    if (c == '/')
        return 63;
    return -1;
}

/* Decode base64 (CRLFs skipped) into out; returns the length or -1. */
static long b64decode(const char *s, size_t n, unsigned char *out)
{
    unsigned v = 0;
    int bits = 0, pad = 0;
    long o = 0;
    size_t i;

    for (i = 0; i < n; i++) {
        int d;
        if (s[i] == '\r' || s[i] == '\n')
            continue;
        if (s[i] == '=') {
            pad++;
            continue;
        }
        if (pad || (d = b64val(s[i])) < 0)
            return -1;
        v = v << 6 | (unsigned)d;
        bits += 6;
        if (bits >= 8) {
            bits -= 8;
            out[o++] = (unsigned char)(v >> bits);
        }
    }
    return o;
}

/* The text after "prefix" at the start of s, up to CRLF, or NULL. */
static const char *after(const char *s, const char *prefix)
{
    size_t n = strlen(prefix);
    return strncmp(s, prefix, n) == 0 ? s + n : NULL;
}

/* Decode a Subject's value (unfolded): encoded-words, and the white space
 * between two of them dropped. */
static char *decode_subject(const char *v)
{
    size_t n = strlen(v), i = 0, o = 0, word_end = 0;
    char *out = malloc(n + 1);
    int last_word = 0;

    if (!out)
        abort();
    while (i < n) {
        if (strncmp(v + i, "=?UTF-8?B?", 10) == 0) {
            const char *e = strstr(v + i + 10, "?=");
            long k;
            if (!e)
                abort(); /* an encoded-word that does not end */
            if (last_word) /* only white space since the last word: dropped */
                o = word_end;
            k = b64decode(v + i + 10, (size_t)(e - v - i - 10), (unsigned char *)out + o);
            if (k < 0)
                abort();
            o += (size_t)k;
            word_end = o;
            i = (size_t)(e - v) + 2;
            last_word = 1;
            continue;
        }
        if (v[i] != ' ')
            last_word = 0;
        out[o++] = v[i++];
    }
    out[o] = '\0';
    return out;
}

static void check_subject_text(const char *decoded, const char *asked)
{
    const unsigned char *p = (const unsigned char *)decoded;
    const char *a;
    int plain = 1;

    for (; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            abort(); /* a control character in the subject */
    /* printable ASCII words, one space apart, that are not encoded-words:
     * the very subject */
    for (a = asked; *a; a++)
        if (*a < 0x21 || *a > 0x7e) {
            if (*a != ' ' || a == asked || a[1] == ' ' || a[1] == '\0')
                plain = 0;
        }
    if (plain && !strstr(asked, "=?") && !strchr(asked, '{') && strcmp(decoded + (decoded[0] == ' '), asked) != 0)
        abort(); /* the subject read back is not the one asked for */
}

/* The body template as the text part holds it: CRLF line ends, then CRLF. */
static char *expected_text(const char *body)
{
    size_t n = strlen(body), o = 0, i;
    char *out = malloc(2 * n + 3);

    if (!out)
        abort();
    for (i = 0; i < n; i++) {
        if (body[i] == '\r' || body[i] == '\n') {
            out[o++] = '\r';
            out[o++] = '\n';
            if (body[i] == '\r' && body[i + 1] == '\n')
                i++;
        } else {
            out[o++] = body[i];
        }
    }
    out[o++] = '\r';
    out[o++] = '\n';
    out[o] = '\0';
    return out;
}

/* The content of a text/SUBTYPE part from p (its header fields) to end
 * (the next delimiter): 8bit as it is, or base64 decoded, with the CRLF
 * that ends it. */
static char *text_of(const char *p, const char *end, const char *subtype)
{
    char head[64], *dec;
    long k;

    snprintf(head, sizeof head, "Content-Type: text/%s; charset=utf-8\r\n", subtype);
    p = after(p, head);
    if (!p)
        abort();
    dec = malloc((size_t)(end - p) + 3);
    if (!dec)
        abort();
    if (after(p, "Content-Transfer-Encoding: 8bit\r\n\r\n")) {
        p = after(p, "Content-Transfer-Encoding: 8bit\r\n\r\n");
        memcpy(dec, p, (size_t)(end - p));
        dec[end - p] = '\0';
        return dec;
    }
    p = after(p, "Content-Transfer-Encoding: base64\r\n\r\n");
    if (!p)
        abort();
    k = b64decode(p, (size_t)(end - p), (unsigned char *)dec);
    if (k < 0)
        abort();
    dec[k] = '\r';
    dec[k + 1] = '\n';
    dec[k + 2] = '\0';
    return dec;
}

/* A multipart/alternative from p to end: its boundary declared and used,
 * no other delimiter, the text part (the body, a blank line, the summary's
 * text) and the HTML part holding the summary's HTML. */
static void check_alternative(const char *p, const char *end, const char *body)
{
    char boundary[72], delim[80], close[80], lead[80], *dec, *want, *joined;
    const char *q, *t1, *t2, *tail;
    size_t blen, n;

    p = after(p, "Content-Type: multipart/alternative; boundary=\"");
    if (!p)
        abort();
    blen = strcspn(p, "\"");
    if (blen < 1 || blen > 70 || strncmp(p + blen, "\"\r\n\r\n", 5) != 0)
        abort();
    memcpy(boundary, p, blen);
    boundary[blen] = '\0';
    snprintf(delim, sizeof delim, "--%s\r\n", boundary);
    snprintf(close, sizeof close, "--%s--\r\n", boundary);
    snprintf(lead, sizeof lead, "\n--%s", boundary);
    t1 = p + blen + 5;
    if (strncmp(t1, delim, strlen(delim)) != 0)
        abort();
    t1 += strlen(delim);
    t2 = strstr(t1, delim);
    if (!t2 || t2 > end)
        abort();
    tail = strstr(t2 + strlen(delim), close);
    if (!tail || tail + strlen(close) != end)
        abort(); /* the alternative does not end where the outer part does */
    for (q = strstr(t1 - 1, lead); q && q < end; q = strstr(q + 1, lead))
        if (q + 1 != t2 && q + 1 != tail)
            abort(); /* a forged delimiter */
    /* the text: the body, then a blank line and the summary's text */
    n = strlen(body);
    joined = malloc(n + strlen(sum_text) + 3);
    if (!joined)
        abort();
    strcpy(joined, body);
    if (n && body[n - 1] != '\n')
        strcat(joined, "\n");
    strcat(joined, "\n");
    strcat(joined, sum_text);
    dec = text_of(t1, t2, "plain");
    if (!strchr(body, '{')) {
        want = expected_text(joined);
        if (strcmp(dec, want) != 0)
            abort(); /* the text is not the body and the summary */
        free(want);
    }
    free(dec);
    free(joined);
    /* the HTML: holds the summary's HTML (its line ends CRLF) */
    dec = text_of(t2 + strlen(delim), tail, "html");
    want = expected_text(sum_html);
    want[strlen(want) - 2] = '\0';
    if (!strstr(dec, want))
        abort(); /* the summary's HTML is not in the HTML part */
    if (strstr(dec, "<body") == NULL || strstr(dec, "</html>") == NULL)
        abort();
    free(want);
    free(dec);
}

static void check(const char *msg, size_t len, const char *f[NFIELDS], const uint8_t *pdf,
                  size_t pdflen)
{
    static const char *const names[] = {"Date", "From", "To", "Subject", "Message-ID",
                                        "MIME-Version", "Content-Type"};
    const char *p, *hend, *line, *body;
    char boundary[72], delim[80], close[80], *subject = NULL, *part1, *part2, *want;
    size_t i, nh = 0, blen;
    const char *ctype = NULL;

    if (strlen(msg) != len)
        abort(); /* a NUL byte in the message */
    for (i = 0; i < len; i++) {
        if (msg[i] == '\r' && (i + 1 >= len || msg[i + 1] != '\n'))
            abort(); /* a bare CR */
        if (msg[i] == '\n' && (i == 0 || msg[i - 1] != '\r'))
            abort(); /* a bare LF */
    }
    if (len < 2 || msg[len - 2] != '\r' || msg[len - 1] != '\n')
        abort();
    for (p = msg; p < msg + len;) {
        const char *e = strstr(p, "\r\n");
        if (e - p > 998)
            abort(); /* a line longer than RFC 5322 allows */
        p = e + 2;
    }

    /* the header fields */
    hend = strstr(msg, "\r\n\r\n");
    if (!hend)
        abort();
    for (line = msg; line <= hend; line = strstr(line, "\r\n") + 2) {
        size_t ll = (size_t)(strstr(line, "\r\n") - line);
        if (line[0] == ' ' || line[0] == '\t') {
            /* a continuation: of the Subject alone */
            if (nh == 0 || strcmp(names[nh - 1], "Subject") != 0)
                abort();
            if (ll > 78)
                abort();
            subject = realloc(subject, strlen(subject) + ll + 1);
            strncat(subject, line, ll);
            continue;
        }
        if (nh >= sizeof names / sizeof *names)
            abort(); /* a header field too many: injected */
        if (strncmp(line, names[nh], strlen(names[nh])) != 0 || line[strlen(names[nh])] != ':')
            abort(); /* not the field expected here */
        if (strcmp(names[nh], "Subject") == 0) {
            if (ll > 78)
                abort();
            subject = malloc(ll + 1);
            if (!subject)
                abort();
            memcpy(subject, line + 8, ll - 8);
            subject[ll - 8] = '\0';
        } else if (strcmp(names[nh], "From") == 0) {
            if (ll != 6 + strlen(f[2]) || strncmp(line + 6, f[2], ll - 6) != 0)
                abort();
        } else if (strcmp(names[nh], "To") == 0) {
            if (ll != 4 + strlen(f[3]) || strncmp(line + 4, f[3], ll - 4) != 0)
                abort();
        } else if (strcmp(names[nh], "Content-Type") == 0) {
            ctype = line;
        }
        nh++;
    }
    if (nh != sizeof names / sizeof *names || !subject || !ctype)
        abort();
    {
        char *d = decode_subject(subject);
        check_subject_text(d, f[0]);
        free(d);
        free(subject);
    }

    /* the boundary */
    p = after(ctype, "Content-Type: multipart/mixed; boundary=\"");
    if (!p)
        abort();
    blen = strcspn(p, "\"");
    if (blen < 1 || blen > 70 || p[blen] != '"' || strncmp(p + blen, "\"\r\n", 3) != 0)
        abort();
    memcpy(boundary, p, blen);
    boundary[blen] = '\0';
    for (i = 0; i < blen; i++)
        if (!strchr("0123456789abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ'()+_,-./:=? ",
                    boundary[i]))
            abort();

    /* the parts: every line that starts with "--boundary" is a delimiter */
    body = hend + 4;
    snprintf(delim, sizeof delim, "--%s\r\n", boundary);
    snprintf(close, sizeof close, "--%s--\r\n", boundary);
    if (strncmp(body, delim, strlen(delim)) != 0)
        abort();
    part1 = (char *)body + strlen(delim);
    part2 = strstr(part1, delim);
    if (!part2 || part2[-1] != '\n')
        abort();
    {
        /* no other line starts with the boundary */
        const char *q;
        char lead[80];
        snprintf(lead, sizeof lead, "\n--%s", boundary);
        for (q = strstr(body, lead); q; q = strstr(q + 1, lead))
            if (q + 1 != part2 && strcmp(q + 1, close) != 0)
                abort(); /* a forged delimiter */
    }
    if (len < strlen(close) || strcmp(msg + len - strlen(close), close) != 0)
        abort();

    /* the text part: as it is, or in base64 when a line is too long */
    if (!sum_html) {
        char *dec = text_of(part1, part2, "plain");
        if (!strchr(f[1], '{')) {
            want = expected_text(f[1]);
            if (strcmp(dec, want) != 0)
                abort(); /* the text is not the body asked for */
            free(want);
        }
        free(dec);
    } else {
        check_alternative(part1, part2, f[1]);
    }

    /* the PDF part */
    p = part2 + strlen(delim);
    p = after(p, "Content-Type: application/pdf; name=\"");
    if (!p)
        abort();
    {
        size_t fl = strcspn(p, "\"");
        const char *rest = p + fl;
        unsigned char *dec;
        long k;
        if (fl > 68)
            abort(); /* a name longer than 64 characters and ".pdf" */
        for (i = 0; i < fl; i++)
            if (!strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789-._", p[i]))
                abort(); /* a file name that could end the parameter */
        static const char disp[] = "\"\r\nContent-Disposition: attachment; filename=\"";
        if (strncmp(rest, disp, strlen(disp)) != 0 || strncmp(rest + strlen(disp), p, fl) != 0)
            abort();
        rest = after(rest + strlen(disp) + fl, "\"\r\nContent-Transfer-Encoding: base64\r\n\r\n");
        if (!rest)
            abort();
        dec = malloc(pdflen + 3);
        if (!dec)
            abort();
        k = b64decode(rest, (size_t)(msg + len - strlen(close) - rest), dec);
        if (k != (long)pdflen || (pdflen && memcmp(dec, pdf, pdflen) != 0))
            abort(); /* the attachment is not the PDF */
        free(dec);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const char *f[NFIELDS];
    char *copy;
    size_t i, at = 0, k = 0;
    deliver_target t;
    deliver_job j;
    quire_error err = {0};
    strbuf m = {0};

    if (size > 1 << 16)
        return 0;
    copy = malloc(size + 1);
    if (!copy)
        abort();
    memcpy(copy, data, size);
    copy[size] = '\0';
    for (i = 0; i < size && k < NFIELDS; i++)
        if (copy[i] == '\0') {
            f[k++] = copy + at;
            at = i + 1;
        }
    if (k < NFIELDS || strlen(f[6]) < 16) {
        free(copy);
        return 0;
    }
    sum_text = sum_html = NULL;
    if (at < size && data[at] == 0x01) {
        /* the summary: two more fields, then the PDF */
        size_t e1, e2;
        for (e1 = at + 1; e1 < size && copy[e1]; e1++)
            ;
        for (e2 = e1 + 1; e2 < size && copy[e2]; e2++)
            ;
        if (e2 >= size) {
            free(copy);
            return 0;
        }
        sum_text = copy + at + 1;
        sum_html = copy + e1 + 1;
        at = e2 + 1;
    }
    seed_bytes = (const uint8_t *)f[6];
    seed_used = 0;
    deliver_random = fake_random;

    memset(&t, 0, sizeof t);
    t.kind = DELIVER_EMAIL;
    t.from = (char *)f[2];
    t.subject = (char *)f[0];
    t.body = (char *)f[1];
    memset(&j, 0, sizeof j);
    j.t = &t;
    j.recipient = f[3];
    j.report = f[4];
    j.period = f[5];
    j.from = "2024-04-01";
    j.to = "2024-04-30";
    j.date = "2024-05-01";
    j.scheduled = "2024-05-01T06:00:00+00:00";
    j.run_id = 42;
    j.key = "quire-run-42-0";
    j.summary_text = sum_text;
    j.summary_html = sum_html;

    if (deliver_message(&j, (const char *)data + at, size - at, &m, &err) == 0) {
        if (email_address_problem(f[2]) || email_address_problem(f[3]))
            abort(); /* written for an address that is not one */
        check(m.s, m.len, f, data + at, size - at);
    } else if (!err.msg[0] || m.len) {
        abort(); /* refused without a reason, or half written */
    }
    sb_free(&m);
    free(copy);
    return 0;
}

#ifndef QUIRE_LIBFUZZER
int main(int argc, char **argv)
{
    char *def[] = {argv[0], (char *)"tests/fuzz/corpus/mime"};
    return argc > 1 ? replay_main("fuzz_mime", argc, argv) : replay_main("fuzz_mime", 2, def);
}
#endif
