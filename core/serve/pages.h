/*
 * pages.h - the server's web pages, made on the server (no script): the
 * report list, a report's form, a run's progress and result, sign-in.
 * Every value that comes from a spec, a request or a run is HTML-escaped.
 */
#ifndef QUIRE_PAGES_H
#define QUIRE_PAGES_H

#include <stddef.h>

#include <jansson.h>

#include "error.h"
#include "spec.h"
#include "store.h"
#include "util.h"

typedef struct page_info {
    const char *user;   /* signed in, or NULL */
    const char *role;
    char csrf[65];      /* the forms' token ("" without a session) */
    int auth;           /* authentication is on */
} page_info;

/* s as HTML text or attribute value. */
void sb_html(strbuf *b, const char *s);

void page_css(strbuf *b);
void page_message(strbuf *b, const page_info *pi, const char *title, const char *text);
/* The list: names[i] with its spec (NULL: errs[i] says why it cannot load). */
void page_reports(strbuf *b, const page_info *pi, const char *const *names,
                  const spec *const *specs, const quire_error *errs, size_t n);
/* A report's page: its form (given values override the defaults), the
 * error of the last submission, its recent runs; for an editor (manage not
 * NULL: manage.h's list), its subscriptions and alerts with their forms. */
void page_report(strbuf *b, const page_info *pi, const char *name, const spec *s,
                 const quire_error *load_err, const char *const *gnames,
                 const char *const *gvalues, size_t ngiven, const char *error,
                 const srun *recent, size_t nrecent, const json_t *manage,
                 const char *manage_error);
/* A run: progress (refreshing itself) until it ends, then the report and
 * its files (have[i]: serve_formats[i] exists), or its error. */
void page_run(strbuf *b, const page_info *pi, const srun *run, const int *have, int queued);
void page_login_form(strbuf *b, const page_info *pi, const char *error);

#endif
