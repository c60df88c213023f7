/*
 * deliver.h - sending a rendered report to one recipient: a folder (atomic
 * copy), an email over SMTP with the PDF attached, or an HTTP POST to a
 * webhook (libcurl).
 *
 * Each call delivers to exactly one recipient, so that each can be retried
 * on its own. Secrets (SMTP password, webhook token) come from environment
 * variables or files named by the target and are never put in messages.
 */
#ifndef QUIRE_DELIVER_H
#define QUIRE_DELIVER_H

#include "error.h"
#include "schedule.h"
#include "util.h"

typedef struct deliver_job {
    const deliver_target *t;
    const char *recipient;   /* an address, the folder, the URL */
    const char *pdf;         /* the rendered report */
    const char *report;      /* its name */
    const char *period;      /* "2024-04" */
    const char *from, *to;   /* the period's parameters */
    grain grain;             /* the spec's: {period:name} names its periods */
    const char *scheduled;   /* the fire time, ISO 8601 */
    const char *date;        /* the fire date, YYYY-MM-DD */
    long long run_id;
    const char *key;         /* stable per run and recipient: Message-ID, idempotency key */
    /* email: the document's summary (summary.h), or NULL; with the HTML
     * the message's text is a multipart/alternative of the body and the
     * summary as text and as HTML, above the PDF. */
    const char *summary_text, *summary_html;
    /* webhook: a JSON document to send instead of the PDF or the notice
     * (an alert), or NULL */
    const char *json;
} deliver_job;

/* Deliver the PDF. Returns 0 or -1 with err set (QUIRE_EXIT_DELIVERY). */
int deliver_send(const deliver_job *j, quire_error *err);

/* The email of job j as it goes on the wire, with the len bytes at pdf
 * attached: headers (the subject one header field, RFC 2047 when needed),
 * a text part (with a summary, a multipart/alternative of text and HTML)
 * and the PDF in base64, MIME with boundaries that no part holds. Appends it to m and returns 0, or returns -1 with err set (and
 * nothing appended) when the sender or the recipient is not an email
 * address. */
int deliver_message(const deliver_job *j, const char *pdf, size_t len, strbuf *m,
                    quire_error *err);

/* Send a plain-text notice by email (on_failure) to one address. */
int deliver_notice(const deliver_target *t, const char *to, const char *subject,
                   const char *text, const char *key, quire_error *err);

/* A MIME boundary ("quire-" and 32 random hex digits) that does not occur
 * in the len bytes of content, into out (n >= 40). */
void deliver_boundary(char *out, size_t n, const char *content, size_t len);
/* Where deliver_boundary() takes its random bytes (the kernel's); the tests
 * replace it. Returns 0, or -1 when there are none. */
extern int (*deliver_random)(void *buf, size_t n);

/* The folder delivery's file name: {report} {period} {from} {to} {date}
 * {run} replaced. Returns a malloc'd string. */
char *deliver_file_name(const deliver_job *j);

#endif
