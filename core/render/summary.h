/*
 * summary.h - a short summary of a document for the body of an email: its
 * KPI tiles (value, change against the previous period) and its answered
 * questions, as plain text and as HTML.
 *
 * The HTML is a fragment for an email client: inline styles only (no
 * <style>, no script, no external image), tables for layout, and every
 * text of the document escaped, so that nothing a spec, a data source or a
 * script writes can become markup.
 */
#ifndef QUIRE_SUMMARY_H
#define QUIRE_SUMMARY_H

#include <stddef.h>

#include "doc.h"
#include "util.h"

/* How many answers a summary shows at most when not told (0). */
#define SUMMARY_ANSWERS 5

/* Append the summary of d to out: its title and period, every tile of its
 * tiles blocks ("Customers: 1,234 (+2.1% vs previous)") and the first
 * max_answers questions that have an answer (0: SUMMARY_ANSWERS). Never
 * fails; a document with neither tiles nor answers gives its title alone. */
void summary_text(const quire_doc *d, size_t max_answers, strbuf *out);
/* The same as an HTML fragment (a <div> with inline styles). */
void summary_html(const quire_doc *d, size_t max_answers, strbuf *out);

/* s as HTML text: & < > " ' as entities, control characters other than
 * tab and line breaks dropped, bytes that are not well-formed UTF-8 as
 * U+FFFD. */
void summary_html_escape(strbuf *out, const char *s);

#endif
