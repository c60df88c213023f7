/*
 * summary.c - the tiles and answers of a document as text and HTML, for the
 * body of a scheduled email (summary.h).
 */
#include "summary.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "format.h"
#include "layout.h"

static void tile_value(const doc_tile *t, char *buf, size_t n)
{
    if (isnan(t->value))
        snprintf(buf, n, "n/a");
    else
        quire_format_value(buf, n, t->value, t->unit, t->decimals);
}

/* Calls back for each tile, then for each answered question (at most max). */
typedef struct walker {
    void (*tile)(strbuf *out, const doc_tile *t);
    void (*answer)(strbuf *out, const char *question, const char *answer);
} walker;

static void walk(const quire_doc *d, size_t max, strbuf *out, const walker *w,
                 void (*between)(strbuf *out, int tiles_done, int any_tiles))
{
    size_t s, b, i, shown = 0;
    int any = 0;

    for (s = 0; s < d->nsections; s++)
        for (b = 0; b < d->sections[s].nblocks; b++) {
            const doc_block *db = &d->sections[s].blocks[b];
            if (db->kind != DOC_TILES)
                continue;
            for (i = 0; i < db->ntiles; i++) {
                w->tile(out, &db->tiles[i]);
                any = 1;
            }
        }
    between(out, 1, any);
    for (s = 0; s < d->nsections && shown < max; s++)
        for (b = 0; b < d->sections[s].nblocks && shown < max; b++) {
            const doc_block *db = &d->sections[s].blocks[b];
            if (db->kind != DOC_QUESTIONS || !db->answers)
                continue;
            for (i = 0; i < db->nitems && shown < max; i++) {
                if (!db->answers[i] || !db->answers[i][0])
                    continue;
                w->answer(out, db->items[i], db->answers[i]);
                shown++;
            }
        }
}

/* ------------------------------------------------------------ text */

static void text_tile(strbuf *out, const doc_tile *t)
{
    char v[64], c[96];
    double d;

    tile_value(t, v, sizeof v);
    d = layout_tile_change(t, 0, c, sizeof c);
    sb_printf(out, "  %s: %s", t->label ? t->label : "", v);
    if (isnan(d))
        sb_printf(out, " (%s)", c);
    else
        sb_printf(out, " (%s vs previous period)", c);
    if (t->caption)
        sb_printf(out, " - %s", t->caption);
    sb_puts(out, "\n");
}

static void text_answer(strbuf *out, const char *q, const char *a)
{
    sb_printf(out, "\n  %s\n  %s\n", q ? q : "", a);
}

static void text_between(strbuf *out, int tiles_done, int any)
{
    (void)tiles_done;
    if (any)
        sb_puts(out, "\n");
}

void summary_text(const quire_doc *d, size_t max_answers, strbuf *out)
{
    static const walker w = {text_tile, text_answer};

    sb_printf(out, "%s", d->title ? d->title : "Report");
    if (d->period)
        sb_printf(out, ", %s", d->period);
    sb_puts(out, "\n\n");
    walk(d, max_answers ? max_answers : SUMMARY_ANSWERS, out, &w, text_between);
    if (!out->s)
        sb_add(out, "", 0);
}

/* ------------------------------------------------------------ HTML */

/* The length of the well-formed UTF-8 sequence at s (1 to 4), or 0. */
static size_t utf8_seq(const unsigned char *s)
{
    size_t n, i;
    unsigned cp;

    if (s[0] < 0x80)
        return 1;
    if (s[0] >= 0xC2 && s[0] <= 0xDF)
        n = 2, cp = s[0] & 0x1F;
    else if (s[0] >= 0xE0 && s[0] <= 0xEF)
        n = 3, cp = s[0] & 0x0F;
    else if (s[0] >= 0xF0 && s[0] <= 0xF4)
        n = 4, cp = s[0] & 0x07;
    else
        return 0;
    for (i = 1; i < n; i++) {
        if ((s[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (s[i] & 0x3F);
    }
    if ((n == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (n == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
        return 0;
    return n;
}

void summary_html_escape(strbuf *out, const char *s)
{
    const unsigned char *p = (const unsigned char *)(s ? s : "");

    while (*p) {
        size_t n = utf8_seq(p);
        switch (*p) {
        case '&': sb_puts(out, "&amp;"); break;
        case '<': sb_puts(out, "&lt;"); break;
        case '>': sb_puts(out, "&gt;"); break;
        case '"': sb_puts(out, "&quot;"); break;
        case '\'': sb_puts(out, "&#39;"); break;
        default:
            if (n == 0) {
                sb_puts(out, "\xEF\xBF\xBD");
                n = 1;
            } else if (*p < 0x20 || *p == 0x7F) {
                if (*p == '\t' || *p == '\n' || *p == '\r')
                    sb_add(out, " ", 1);
            } else {
                sb_add(out, (const char *)p, n);
            }
            p += n;
            continue;
        }
        p++;
    }
}

#define FONT "font-family:Helvetica,Arial,sans-serif;"

static void html_tile(strbuf *out, const doc_tile *t)
{
    char v[64], c[96];
    int tone;

    tile_value(t, v, sizeof v);
    tone = layout_tile_tone(t, layout_tile_change(t, 0, c, sizeof c));
    sb_puts(out, "<tr><td style=\"" FONT "font-size:13px;color:#374151;padding:4px 12px 4px 0;"
                 "border-bottom:1px solid #e5e7eb;\">");
    summary_html_escape(out, t->label);
    if (t->caption) {
        sb_puts(out, "<br><span style=\"font-size:11px;color:#9ca3af;\">");
        summary_html_escape(out, t->caption);
        sb_puts(out, "</span>");
    }
    sb_puts(out, "</td><td style=\"" FONT "font-size:16px;font-weight:bold;color:#111827;"
                 "text-align:right;padding:4px 12px;border-bottom:1px solid #e5e7eb;\">");
    summary_html_escape(out, v);
    sb_printf(out, "</td><td style=\"" FONT "font-size:12px;color:%s;text-align:right;"
                   "padding:4px 0;border-bottom:1px solid #e5e7eb;\">",
              tone > 0 ? "#1a854d" : tone < 0 ? "#c43030" : "#6b7280");
    summary_html_escape(out, c);
    sb_puts(out, "</td></tr>\n");
}

static void html_answer(strbuf *out, const char *q, const char *a)
{
    sb_puts(out, "<p style=\"" FONT "margin:10px 0 0 0;font-size:13px;font-weight:bold;"
                 "color:#111827;\">");
    summary_html_escape(out, q);
    sb_puts(out, "</p>\n<p style=\"" FONT "margin:2px 0 0 0;font-size:13px;color:#374151;\">");
    summary_html_escape(out, a);
    sb_puts(out, "</p>\n");
}

static void html_between(strbuf *out, int tiles_done, int any)
{
    (void)tiles_done;
    (void)any;
    sb_puts(out, "</table>\n");
}

void summary_html(const quire_doc *d, size_t max_answers, strbuf *out)
{
    static const walker w = {html_tile, html_answer};

    sb_puts(out, "<div style=\"" FONT "max-width:640px;color:#111827;\">\n"
                 "<h2 style=\"" FONT "font-size:18px;margin:0 0 4px 0;color:#111827;\">");
    summary_html_escape(out, d->title ? d->title : "Report");
    sb_puts(out, "</h2>\n");
    if (d->period) {
        sb_puts(out, "<p style=\"" FONT "font-size:12px;margin:0 0 12px 0;color:#6b7280;\">");
        summary_html_escape(out, d->period);
        sb_puts(out, "</p>\n");
    }
    sb_puts(out, "<table role=\"presentation\" cellpadding=\"0\" cellspacing=\"0\" "
                 "style=\"border-collapse:collapse;\">\n");
    walk(d, max_answers ? max_answers : SUMMARY_ANSWERS, out, &w, html_between);
    sb_puts(out, "</div>\n");
}
