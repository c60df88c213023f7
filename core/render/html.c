/*
 * html.c - the document as one self-contained HTML5 page.
 *
 * The page follows the PDF's order: the title block (title, subtitle,
 * period, objective, data notes), the contents, the sections, then the list
 * of the data files the PDF carries. Charts are drawn by chart.c on an SVG
 * canvas the size they take in the PDF (an A4 page's content width, or half
 * of it for two charts that read well side by side) and scaled by the page.
 * Every string from the document goes through esc(): a spec or a data value
 * holding markup shows as text.
 */
#include "html.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

#include "canvas.h"
#include "chart.h"
#include "format.h"

/* The PDF's geometry for charts (pdf.c): A4's content width, the padding
 * inside a chart's box, the gap between two boxes, the plot's height. */
#define CONTENT_W (595.276 - 2 * 50.0)
#define CHART_PAD 14.0
#define CHART_GAP 14.0
#define CHART_BODY_H 165.0
#define CHART_BELOW 10.0

typedef struct html {
    strbuf *out;
    canvas_metrics *metrics;
    size_t nfigures;
} html;

static const char css[] =
    ":root{--ink:#21262f;--muted:#616b7a;--faint:#8c94a1;--rule:#ccd1d9;--accent:#2961a8;"
    "--tint:#f0f5fb;--good:#1a854d;--bad:#c43030}\n"
    "*{box-sizing:border-box}\n"
    "body{margin:0 auto;max-width:60rem;padding:2rem 1.5rem 4rem;color:var(--ink);"
    "font:15px/1.5 'DejaVu Sans',Verdana,system-ui,sans-serif;background:#fff}\n"
    "header.title{border-top:4px solid var(--accent);padding-top:.8rem;margin-bottom:1.5rem}\n"
    "header.title h1{font-size:1.9rem;line-height:1.2;margin:0 0 .3rem}\n"
    ".subtitle{color:var(--muted);font-size:1.05rem;margin:0 0 .4rem}\n"
    ".period{color:var(--accent);font-weight:bold;margin:0}\n"
    ".generated{color:var(--faint);font-size:.8rem;margin:.2rem 0 0}\n"
    "h2{font-size:1.35rem;margin:2.2rem 0 .4rem;padding-bottom:.3rem;"
    "border-bottom:1px solid var(--rule)}\n"
    "section.report>h2{border-image:linear-gradient(to right,var(--accent) 4rem,var(--rule) 4rem) 1}\n"
    "h3{font-size:1.08rem;margin:1.6rem 0 .5rem}\n"
    ".intro{color:var(--muted)}\n"
    "nav.contents ol{padding-left:1.4rem}nav.contents li{margin:.15rem 0}\n"
    "a{color:var(--accent)}\n"
    ".tiles{display:grid;grid-template-columns:repeat(auto-fit,minmax(11rem,1fr));gap:.7rem;"
    "margin:1rem 0}\n"
    ".tile{background:var(--tint);border-top:3px solid var(--accent);padding:.6rem .8rem}\n"
    ".tile .label{color:var(--muted);font-size:.8rem}\n"
    ".tile .value{font-size:1.55rem;font-weight:bold;line-height:1.3}\n"
    ".tile .change{font-size:.82rem;font-weight:bold;color:var(--muted)}\n"
    ".tile .change.good{color:var(--good)}.tile .change.bad{color:var(--bad)}\n"
    ".tile .change.more{font-weight:normal}\n"
    ".tile .caption{font-size:.72rem;color:var(--faint)}\n"
    ".charts{display:flex;flex-wrap:wrap;gap:1rem;margin:1rem 0}\n"
    "figure.chart{margin:0;flex:1 1 100%;border:1px solid var(--rule);padding:.8rem;"
    "min-width:0}\n"
    "figure.chart.half{flex:1 1 calc(50% - .5rem)}\n"
    "figure.chart figcaption{margin-bottom:.4rem}\n"
    "figure.chart .ctitle{font-weight:bold;display:block}\n"
    "figure.chart .csub{color:var(--muted);font-size:.82rem;display:block}\n"
    "figure.chart svg{width:100%;height:auto;display:block}\n"
    "table{border-collapse:collapse;width:100%;margin:1rem 0;font-size:.85rem}\n"
    "caption{text-align:left;font-weight:bold;padding:.3rem 0}\n"
    "th,td{padding:.3rem .5rem;text-align:left;vertical-align:top}\n"
    "thead th{background:var(--accent);color:#fff}\n"
    "tbody tr:nth-child(even){background:var(--tint)}\n"
    "tfoot td{font-weight:bold;border-top:2px solid var(--ink)}\n"
    ".num{text-align:right;font-variant-numeric:tabular-nums}td.num{white-space:nowrap}\n"
    ".table{overflow-x:auto;margin:1rem 0}.table table{margin:0}\n"
    ".empty{color:var(--faint)}\n"
    "ul.questions{list-style:none;padding-left:0}\n"
    "ul.questions>li{margin:.5rem 0 .8rem}\n"
    "ul.questions .q{margin:0;padding-left:1.1rem;text-indent:-1.1rem}\n"
    "ul.questions .q::before{content:'\\2022';color:var(--accent);font-weight:bold;"
    "display:inline-block;width:1.1rem;text-indent:0}\n"
    ".answer{margin:.3rem 0 0 2rem;padding:.4rem .7rem;background:var(--tint);color:#1c3d6b;"
    "border-left:3px solid var(--accent);"
    "font-size:.92rem}\n"
    "footer{margin-top:3rem;color:var(--muted);font-size:.85rem}\n"
    "footer li .desc{color:var(--faint)}\n"
    "@media print{body{max-width:none;padding:0;font-size:10pt}"
    "a{color:inherit;text-decoration:none}"
    "nav.contents{break-after:page}"
    "figure.chart,table,.tiles,.tile,ul.questions>li{break-inside:avoid}"
    "h2,h3,.intro{break-after:avoid}"
    "thead{display:table-header-group}tfoot{display:table-footer-group}"
    "thead th{color:#000;background:#dde6f2;-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}"
    ".tile,.answer,tbody tr:nth-child(even){-webkit-print-color-adjust:exact;"
    "print-color-adjust:exact}}\n"
    "@page{size:A4;margin:16mm 14mm}\n";

/* ------------------------------------------------------------ text */

static void esc(html *h, const char *s)
{
    if (s)
        canvas_xml_escape(h->out, s, strlen(s));
}

/* Text whose line breaks are kept: each '\n' a <br>. */
static void esc_lines(html *h, const char *s)
{
    const char *nl;

    if (!s)
        return;
    while ((nl = strchr(s, '\n')) != NULL) {
        canvas_xml_escape(h->out, s, (size_t)(nl - s));
        sb_puts(h->out, "<br>");
        s = nl + 1;
    }
    esc(h, s);
}

static void put(html *h, const char *s)
{
    sb_puts(h->out, s);
}

/* An element holding escaped text: <tag class="cls">s</tag>. */
static void elem(html *h, const char *tag, const char *cls, const char *s)
{
    sb_printf(h->out, "<%s", tag);
    if (cls)
        sb_printf(h->out, " class=\"%s\"", cls);
    put(h, ">");
    esc_lines(h, s);
    sb_printf(h->out, "</%s>\n", tag);
}

static int nonempty(const char *s)
{
    return s && *s;
}

/* ------------------------------------------------------------ blocks */

/* The height chart.c is given in the PDF (pdf.c's chart_body_h): bars
 * and heatmaps grow with their rows. */
static double chart_h(const doc_chart *c)
{
    double n = (double)c->ncats, s = (double)(c->nseries ? c->nseries : 1);

    if (c->kind == DOC_CHART_HBAR)
        return fmin(fmax(60 + n * fmax(16, s * 7 + 6), 150), 520);
    if (c->kind == DOC_CHART_HEATMAP)
        return fmin(fmax(70 + s * 22, 120), 520);
    return CHART_BODY_H;
}

static double full_w(void)
{
    return CONTENT_W - 2 * CHART_PAD;
}

static double half_w(void)
{
    return (CONTENT_W - CHART_GAP) / 2 - 2 * CHART_PAD;
}

static void draw_figure(html *h, const doc_chart *c, int half)
{
    double w = half ? half_w() : full_w(), ht = chart_h(c);
    /* The chart may reach into the box's padding below its area (a second
     * row of legend), as in the PDF: the image keeps that padding. */
    canvas *cv = canvas_svg_new(h->metrics, w, ht + CHART_BELOW, c->title);
    const char *svg;
    size_t len;

    h->nfigures++;
    sb_printf(h->out, "<figure class=\"chart%s\">\n<figcaption>", half ? " half" : "");
    if (nonempty(c->title))
        elem(h, "span", "ctitle", c->title);
    if (nonempty(c->subtitle))
        elem(h, "span", "csub", c->subtitle);
    put(h, "</figcaption>\n");
    chart_draw(cv, c, 0, CHART_BELOW, w, ht);
    svg = canvas_svg_finish(cv, &len);
    sb_add(h->out, svg, len);
    put(h, "\n</figure>\n");
    canvas_free(cv);
}

/* Charts in a row of blocks: side by side, two by two, when both read well
 * at half the width (as the PDF pairs them). Returns the blocks used. */
static size_t draw_charts(html *h, const doc_block *b, size_t n)
{
    canvas *probe = canvas_svg_new(h->metrics, 1, 1, NULL);
    size_t i = 0;

    put(h, "<div class=\"charts\">\n");
    while (i < n && b[i].kind == DOC_CHART) {
        if (i + 1 < n && b[i + 1].kind == DOC_CHART &&
            chart_reads_at(probe, &b[i].chart, half_w(), chart_h(&b[i].chart)) &&
            chart_reads_at(probe, &b[i + 1].chart, half_w(), chart_h(&b[i + 1].chart))) {
            draw_figure(h, &b[i].chart, 1);
            draw_figure(h, &b[i + 1].chart, 1);
            i += 2;
            continue;
        }
        draw_figure(h, &b[i].chart, 0);
        i++;
    }
    put(h, "</div>\n");
    canvas_free(probe);
    return i;
}

/* As pdf.c's tile_change: the change against the previous period with its
 * arrow, and whether it is good (1), bad (-1) or neither (0). */
static int tile_change(const doc_tile *t, char *buf, size_t n)
{
    char text[64];
    double d = quire_change_text(text, sizeof text, t->value, t->prev, t->unit, t->decimals,
                                 QUIRE_CHANGE_FROM_ZERO);
    const char *arrow;

    if (isnan(d)) {
        snprintf(buf, n, "no previous period");
        return 0;
    }
    arrow = d > 0 ? "\xE2\x96\xB2 " : d < 0 ? "\xE2\x96\xBC " : "\xE2\x96\xB6 ";
    snprintf(buf, n, "%s%s", arrow, text);
    if (d == 0 || t->higher_is_better < 0)
        return 0;
    return (d > 0) == (t->higher_is_better > 0) ? 1 : -1;
}

static void draw_tiles(html *h, const doc_block *b)
{
    size_t i;

    if (!b->tiles || b->ntiles == 0)
        return;
    put(h, "<div class=\"tiles\">\n");
    for (i = 0; i < b->ntiles; i++) {
        const doc_tile *t = &b->tiles[i];
        char vbuf[64], cbuf[96];
        int good = tile_change(t, cbuf, sizeof cbuf);
        size_t l;

        quire_format_value(vbuf, sizeof vbuf, t->value, t->unit, t->decimals);
        put(h, "<div class=\"tile\">");
        elem(h, "div", "label", t->label ? t->label : "");
        elem(h, "div", "value", vbuf);
        if (!t->no_change)
            elem(h, "div", good > 0 ? "change good" : good < 0 ? "change bad" : "change", cbuf);
        /* the comparisons under the change, as the PDF's tile shows them */
        for (l = 0; l < t->nlines; l++)
            elem(h, "div", t->lines[l].tone > 0   ? "change more good"
                           : t->lines[l].tone < 0 ? "change more bad"
                                                  : "change more",
                 t->lines[l].text);
        if (nonempty(t->caption))
            elem(h, "div", "caption", t->caption);
        put(h, "</div>\n");
    }
    put(h, "</div>\n");
}

static void table_row(html *h, const doc_table *t, size_t row)
{
    size_t c;

    put(h, "<tr>");
    for (c = 0; c < t->ncols; c++) {
        const char *s = t->cells ? t->cells[row * t->ncols + c] : NULL;
        double v = t->values ? t->values[row * t->ncols + c] : NAN;

        put(h, t->cols[c].numeric ? "<td class=\"num\"" : "<td");
        if (isfinite(v)) {
            char num[32];

            format_plain_number(num, sizeof num, v);
            sb_printf(h->out, " data-value=\"%s\"", num);
        }
        put(h, ">");
        esc(h, s);
        put(h, "</td>");
    }
    put(h, "</tr>\n");
}

static void draw_table(html *h, const doc_table *t)
{
    size_t r, c;

    if (t->ncols == 0 || !t->cols)
        return;
    put(h, "<div class=\"table\"><table>\n");
    if (nonempty(t->title))
        elem(h, "caption", NULL, t->title);
    put(h, "<thead><tr>");
    for (c = 0; c < t->ncols; c++) {
        put(h, t->cols[c].numeric ? "<th scope=\"col\" class=\"num\">" : "<th scope=\"col\">");
        esc(h, t->cols[c].title);
        put(h, "</th>");
    }
    put(h, "</tr></thead>\n");
    put(h, "<tbody>\n");
    for (r = 0; r < t->nrows; r++)
        table_row(h, t, r);
    if (t->nrows == 0)
        sb_printf(h->out, "<tr><td class=\"empty\" colspan=\"%zu\">No rows for this period</td>"
                          "</tr>\n", t->ncols);
    put(h, "</tbody>\n");
    if (t->totals) {
        put(h, "<tfoot>");
        table_row(h, t, t->nrows);
        put(h, "</tfoot>\n");
    }
    put(h, "</table></div>\n");
}

static void draw_questions(html *h, const doc_block *b)
{
    size_t i;

    if (!b->items || b->nitems == 0)
        return;
    elem(h, "h3", NULL, nonempty(b->text) ? b->text : "Questions to Consider:");
    put(h, "<ul class=\"questions\">\n");
    for (i = 0; i < b->nitems; i++) {
        const char *a = b->answers ? b->answers[i] : NULL;

        put(h, "<li>");
        elem(h, "p", "q", b->items[i] ? b->items[i] : "");
        if (nonempty(a))
            elem(h, "p", "answer", a);
        put(h, "</li>\n");
    }
    put(h, "</ul>\n");
}

static void draw_bullets(html *h, const doc_block *b)
{
    size_t i;

    if (!b->items || b->nitems == 0)
        return;
    put(h, "<ul>\n");
    for (i = 0; i < b->nitems; i++)
        elem(h, "li", NULL, b->items[i] ? b->items[i] : "");
    put(h, "</ul>\n");
}

/* ------------------------------------------------------------ document */

static const char *section_title(const doc_section *s, size_t i, char *buf, size_t n)
{
    if (nonempty(s->title))
        return s->title;
    snprintf(buf, n, "Section %zu", i + 1);
    return buf;
}

static void draw_contents(html *h, const quire_doc *doc)
{
    size_t i, j;

    put(h, "<nav class=\"contents\" aria-label=\"Contents\">\n<h2>Contents</h2>\n<ol>\n");
    for (i = 0; i < doc->nsections; i++) {
        const doc_section *s = &doc->sections[i];
        char buf[32];
        int sub = 0;

        sb_printf(h->out, "<li><a href=\"#s%zu\">", i + 1);
        esc(h, section_title(s, i, buf, sizeof buf));
        put(h, "</a>");
        for (j = 0; j < s->nblocks; j++) {
            if (s->blocks[j].kind != DOC_HEADING || !nonempty(s->blocks[j].text))
                continue;
            put(h, sub++ ? "" : "\n<ol>\n");
            sb_printf(h->out, "<li><a href=\"#s%zu-%zu\">", i + 1, j + 1);
            esc(h, s->blocks[j].text);
            put(h, "</a></li>\n");
        }
        put(h, sub ? "</ol>\n</li>\n" : "</li>\n");
    }
    put(h, "</ol>\n</nav>\n");
}

static void draw_section(html *h, const doc_section *s, size_t idx)
{
    char buf[32];
    size_t j = 0;

    sb_printf(h->out, "<section class=\"report\" id=\"s%zu\">\n", idx + 1);
    elem(h, "h2", NULL, section_title(s, idx, buf, sizeof buf));
    if (nonempty(s->intro))
        elem(h, "p", "intro", s->intro);
    while (j < s->nblocks) {
        const doc_block *b = &s->blocks[j];

        switch (b->kind) {
        case DOC_PARAGRAPH:
            if (nonempty(b->text))
                elem(h, "p", NULL, b->text);
            break;
        case DOC_QUESTIONS:
            draw_questions(h, b);
            break;
        case DOC_CHART:
            j += draw_charts(h, b, s->nblocks - j);
            continue;
        case DOC_HEADING:
            if (nonempty(b->text)) {
                sb_printf(h->out, "<h3 id=\"s%zu-%zu\">", idx + 1, j + 1);
                esc(h, b->text);
                put(h, "</h3>\n");
            }
            break;
        case DOC_BULLETS:
            draw_bullets(h, b);
            break;
        case DOC_TILES:
            draw_tiles(h, b);
            break;
        case DOC_TABLE:
            draw_table(h, &b->table);
            break;
        }
        j++;
    }
    put(h, "</section>\n");
}

static void draw_files(html *h, const quire_doc *doc)
{
    size_t i;

    put(h, "<footer>\n");
    if (doc->nfiles) {
        put(h, "<h2>Attached data</h2>\n<p>The PDF of this report carries these files."
               "</p>\n<ul class=\"files\">\n");
        for (i = 0; i < doc->nfiles; i++) {
            const doc_file *f = &doc->files[i];

            put(h, "<li><code>");
            esc(h, f->name);
            put(h, "</code>");
            if (nonempty(f->desc)) {
                put(h, " <span class=\"desc\">");
                esc(h, f->desc);
                put(h, "</span>");
            }
            sb_printf(h->out, " (%zu bytes)</li>\n", f->len);
        }
        put(h, "</ul>\n");
    }
    put(h, "<p>Made with Quire.</p>\n</footer>\n");
}

int html_render_mem(const quire_doc *doc, strbuf *out, quire_error *err)
{
    html h = {out, NULL, 0};
    size_t i;

    h.metrics = canvas_metrics_new(err);
    if (!h.metrics)
        return -1;
    put(&h, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
            "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
            "<meta name=\"generator\" content=\"Quire\">\n");
    elem(&h, "title", NULL, nonempty(doc->title) ? doc->title : "Report");
    put(&h, "<style>\n");
    put(&h, css);
    put(&h, "</style>\n</head>\n<body>\n<header class=\"title\">\n");
    if (nonempty(doc->title))
        elem(&h, "h1", NULL, doc->title);
    if (nonempty(doc->subtitle))
        elem(&h, "p", "subtitle", doc->subtitle);
    if (nonempty(doc->period))
        elem(&h, "p", "period", doc->period);
    if (nonempty(doc->generated)) {
        put(&h, "<p class=\"generated\">Generated ");
        esc(&h, doc->generated);
        put(&h, "</p>\n");
    }
    put(&h, "</header>\n");
    if (nonempty(doc->objective)) {
        put(&h, "<section class=\"objective\">\n<h2>Report Objective</h2>\n");
        elem(&h, "p", NULL, doc->objective);
        put(&h, "</section>\n");
    }
    if (doc->nnotes) {
        put(&h, "<section class=\"notes\">\n<h2>Data notes</h2>\n");
        for (i = 0; i < doc->nnotes; i++)
            elem(&h, "p", NULL, doc->notes[i]);
        put(&h, "</section>\n");
    }
    if (doc->nsections)
        draw_contents(&h, doc);
    put(&h, "<main>\n");
    for (i = 0; i < doc->nsections; i++)
        draw_section(&h, &doc->sections[i], i);
    put(&h, "</main>\n");
    draw_files(&h, doc);
    put(&h, "</body>\n</html>\n");
    canvas_metrics_free(h.metrics);
    return 0;
}

int html_render_batch(const quire_doc *doc, const char *path, atomic_batch *batch,
                      quire_error *err)
{
    strbuf out = {0};
    int rc;

    if (html_render_mem(doc, &out, err)) {
        sb_free(&out);
        return -1;
    }
    if (!batch) {
        rc = atomic_write(path, out.s, out.len, 0644, ATOMIC_EXACT_MODE, err);
    } else {
        atomic_file af;

        rc = atomic_open(&af, path, NULL, 0644, ATOMIC_EXACT_MODE, err) ||
                     atomic_put(&af, out.s, out.len, err) || atomic_sync(&af, err)
                 ? -1
                 : 0;
        if (rc == 0)
            atomic_batch_hold(batch, &af);
    }
    sb_free(&out);
    return rc;
}
