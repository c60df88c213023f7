/*
 * pdf.c - lay a quire_doc out into A4 pages with libharu, in one pass.
 *
 * Pages are filled top-down by a cursor (render.y); a block that does not fit
 * moves to a new page, a chart is never split, a heading is never left alone
 * at a page foot. Footers ("Page N of M") are drawn at the end, once M is
 * known: libharu keeps every page writable until the document is saved.
 *
 * libharu errors longjmp back to pdf_render() through a handler whose jmp_buf
 * lives in the heap-allocated render state (no globals: documents on other
 * threads are independent). The PDF is built in memory and then written
 * atomically: temporary file beside the target, fsync, rename.
 */
#include "pdf.h"

#include <errno.h>
#include <fcntl.h>
#include <math.h>
#include <setjmp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "chart.h"
#include "format.h"

#ifdef QUIRE_VERSION
#define PRODUCER "Quire " QUIRE_VERSION
#else
#define PRODUCER "Quire"
#endif

/* A4 portrait, in points. */
#define PAGE_W 595.276
#define PAGE_H 841.89
#define MARGIN 50.0
#define CONTENT_W (PAGE_W - 2 * MARGIN)
#define TOP (PAGE_H - MARGIN)
#define BOTTOM 66.0   /* content ends here; the footer sits below */
#define FOOTER_RULE 46.0
#define FOOTER_Y 32.0

/* Type scale: size and line height. */
#define TITLE_PT 22.0
#define TITLE_LH 27.0
#define SUBTITLE_PT 11.0
#define SUBTITLE_LH 15.0
#define H1_PT 15.0
#define H1_LH 19.0
#define H2_PT 11.5
#define H2_LH 15.0
#define BODY_PT 10.0
#define BODY_LH 14.5
#define ANSWER_PT 9.5
#define ANSWER_LH 13.5
#define FOOT_PT 7.5

/* Chart box: padding, title, subtitle, and the plot area under them. */
#define CHART_PAD 14.0
#define CHART_TITLE_PT 11.0
#define CHART_TITLE_LH 14.5
#define CHART_SUB_PT 8.5
#define CHART_SUB_LH 11.5
#define CHART_BODY_H 188.0

#define ELLIPSIS "\xE2\x80\xA6"

typedef struct render {
    jmp_buf jb;
    HPDF_STATUS err, detail; /* from libharu; err 0 = out of memory */
    int code;                /* QUIRE_EXIT_* for a failure now */
    char what[600];          /* what was being done, for the message */
    char tmp[1024];          /* cleaned strings for outlines and metadata */
    HPDF_Doc pdf;
    HPDF_Encoder utf8;
    pdf_fonts fonts;
    HPDF_Page page;
    HPDF_Page *pages;
    size_t npages, cap;
    double y; /* top of the free space on the current page */
    const char *path; /* the output, for messages */
    unsigned char *out;
    size_t out_len;
} render;

/* ------------------------------------------------------------ text */

typedef struct measure_ctx {
    HPDF_Font font;
    double size;
} measure_ctx;

/* What is actually drawn for cp: libharu draws only the BMP, and control
 * characters have no place on a page. */
static uint32_t drawable(uint32_t cp)
{
    if (cp > 0xFFFF)
        return 0xFFFD;
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return ' ';
    return cp;
}

static double measure_cp(void *ctx, uint32_t cp)
{
    const measure_ctx *m = ctx;

    return HPDF_Font_GetUnicodeWidth(m->font, (HPDF_UNICODE)drawable(cp)) * m->size / 1000.0;
}

static double clamp01(double v)
{
    return v > 0 ? (v < 1 ? v : 1) : 0; /* NAN -> 0 */
}

static double clamp_size(double size)
{
    return size > 0.5 ? (size < 600 ? size : 600) : 0.5;
}

void pdf_fill(HPDF_Page page, quire_rgb c)
{
    HPDF_Page_SetRGBFill(page, (HPDF_REAL)clamp01(c.r), (HPDF_REAL)clamp01(c.g),
                         (HPDF_REAL)clamp01(c.b));
}

void pdf_stroke(HPDF_Page page, quire_rgb c)
{
    HPDF_Page_SetRGBStroke(page, (HPDF_REAL)clamp01(c.r), (HPDF_REAL)clamp01(c.g),
                           (HPDF_REAL)clamp01(c.b));
}

double pdf_text_width(HPDF_Font font, double size, const char *s, size_t len)
{
    measure_ctx m = {font, clamp_size(size)};
    double w = 0;
    size_t i = 0;

    while (i < len)
        w += measure_cp(&m, quire_utf8_next(s, len, &i));
    return w;
}

/*
 * Draw s[0..len) (plus "…" when ellipsis) whose width is w, as drawn code
 * points, in chunks that never split one.
 */
static void draw_run(HPDF_Page page, const pdf_style *st, double x, double y, int align, int up,
                     const char *s, size_t len, int ellipsis, double w)
{
    char buf[256];
    size_t n = 0, i = 0;
    double off = align == PDF_CENTER ? w / 2 : align == PDF_RIGHT ? w : 0;

    if (len == 0 && !ellipsis)
        return;
    pdf_fill(page, st->color);
    HPDF_Page_BeginText(page);
    HPDF_Page_SetFontAndSize(page, st->font, (HPDF_REAL)clamp_size(st->size));
    if (up)
        HPDF_Page_SetTextMatrix(page, 0, 1, -1, 0, (HPDF_REAL)x, (HPDF_REAL)(y - off));
    else
        HPDF_Page_SetTextMatrix(page, 1, 0, 0, 1, (HPDF_REAL)(x - off), (HPDF_REAL)y);
    while (i < len) {
        n += quire_utf8_put(buf + n, drawable(quire_utf8_next(s, len, &i)));
        if (n + 5 > sizeof buf) {
            buf[n] = '\0';
            HPDF_Page_ShowText(page, buf);
            n = 0;
        }
    }
    if (ellipsis)
        n += quire_utf8_put(buf + n, 0x2026);
    if (n > 0) {
        buf[n] = '\0';
        HPDF_Page_ShowText(page, buf);
    }
    HPDF_Page_EndText(page);
}

void pdf_text(HPDF_Page page, const pdf_style *st, double x, double y, int align, const char *s,
              size_t len)
{
    double w = align == PDF_LEFT ? 0 : pdf_text_width(st->font, st->size, s, len);

    draw_run(page, st, x, y, align, 0, s, len, 0, w);
}

static double text_fit(HPDF_Page page, const pdf_style *st, double x, double y, int align,
                       int up, double max_w, const char *s, size_t len)
{
    measure_ctx m = {st->font, clamp_size(st->size)};
    double w = pdf_text_width(st->font, st->size, s, len), ell, pw;
    size_t fit;

    if (w <= max_w) {
        draw_run(page, st, x, y, align, up, s, len, 0, w);
        return w;
    }
    ell = measure_cp(&m, 0x2026);
    fit = quire_fit_prefix(s, len, max_w - ell, measure_cp, &m, &pw);
    while (fit > 0 && s[fit - 1] == ' ') {
        fit--;
        pw -= measure_cp(&m, ' ');
    }
    draw_run(page, st, x, y, align, up, s, fit, 1, pw + ell);
    return pw + ell;
}

double pdf_text_fit(HPDF_Page page, const pdf_style *st, double x, double y, int align,
                    double max_w, const char *s, size_t len)
{
    return text_fit(page, st, x, y, align, 0, max_w, s, len);
}

double pdf_text_fit_up(HPDF_Page page, const pdf_style *st, double x, double y, int align,
                       double max_w, const char *s, size_t len)
{
    return text_fit(page, st, x, y, align, 1, max_w, s, len);
}

size_t pdf_wrap_next(const pdf_style *st, double max_w, const char *s, size_t len,
                     size_t *line_len)
{
    measure_ctx m = {st->font, clamp_size(st->size)};

    return quire_wrap_next(s, len, max_w, measure_cp, &m, line_len);
}

int pdf_count_lines(const pdf_style *st, double max_w, const char *s)
{
    size_t len = s ? strlen(s) : 0, pos = 0, line_len;
    int n = 0;

    while (pos < len) {
        pos += pdf_wrap_next(st, max_w, s + pos, len - pos, &line_len);
        n++;
    }
    return n;
}

/* Copy s into r->tmp as clean UTF-8 (what the page would show), cut at a
 * code point boundary. */
static const char *clean(render *r, const char *s)
{
    size_t len = strlen(s), i = 0, n = 0;

    while (i < len && n + 5 < sizeof r->tmp)
        n += quire_utf8_put(r->tmp + n, drawable(quire_utf8_next(s, len, &i)));
    r->tmp[n] = '\0';
    return r->tmp;
}

/* ------------------------------------------------------------ pages */

static void on_error(HPDF_STATUS e, HPDF_STATUS detail, void *user)
{
    render *r = user;

    r->err = e ? e : 1;
    r->detail = detail;
    longjmp(r->jb, 1);
}

static void fail_oom(render *r)
{
    r->err = 0;
    longjmp(r->jb, 1);
}

static void new_page(render *r)
{
    if (r->npages == r->cap) {
        size_t cap = r->cap ? r->cap * 2 : 16;
        HPDF_Page *p = realloc(r->pages, cap * sizeof *p);

        if (!p)
            fail_oom(r);
        r->pages = p;
        r->cap = cap;
    }
    r->page = HPDF_AddPage(r->pdf);
    HPDF_Page_SetSize(r->page, HPDF_PAGE_SIZE_A4, HPDF_PAGE_PORTRAIT);
    r->pages[r->npages++] = r->page;
    r->y = TOP;
}

static int fits(const render *r, double h)
{
    return r->y - h >= BOTTOM;
}

/* Start a new page unless h fits here or this page is still empty. */
static void need(render *r, double h)
{
    if (!fits(r, h) && r->y < TOP - 0.01)
        new_page(r);
}

/* Baseline of a line of type size in a line box of height lh whose top is
 * top: DejaVu's ascent and descent (0.928 and 0.236 em) centred in the box. */
static double baseline(double top, double size, double lh)
{
    return top - (lh - size * 1.164) / 2 - size * 0.928;
}

/*
 * Draw s wrapped to w at x, one line box of lh at a time, flowing onto new
 * pages. With tint, each line box gets the answer background first.
 */
static void text_lines(render *r, const pdf_style *st, double x, double w, double lh,
                       const char *s, int tint)
{
    size_t len = strlen(s), pos = 0, line_len;

    while (pos < len) {
        size_t next = pdf_wrap_next(st, w, s + pos, len - pos, &line_len);

        if (!fits(r, lh))
            new_page(r);
        if (tint) {
            pdf_fill(r->page, PDF_TINT);
            HPDF_Page_Rectangle(r->page, (HPDF_REAL)(x - 10), (HPDF_REAL)(r->y - lh),
                                (HPDF_REAL)(w + 18), (HPDF_REAL)lh);
            HPDF_Page_Fill(r->page);
            pdf_fill(r->page, PDF_ACCENT);
            HPDF_Page_Rectangle(r->page, (HPDF_REAL)(x - 10), (HPDF_REAL)(r->y - lh), 2,
                                (HPDF_REAL)lh);
            HPDF_Page_Fill(r->page);
        }
        pdf_text(r->page, st, x, baseline(r->y, st->size, lh), PDF_LEFT, s + pos, line_len);
        r->y -= lh;
        pos += next;
    }
}

/* A band of the answer background (padding above or below its lines). */
static void tint_band(render *r, double x, double w, double h)
{
    if (!fits(r, h))
        return;
    pdf_fill(r->page, PDF_TINT);
    HPDF_Page_Rectangle(r->page, (HPDF_REAL)(x - 10), (HPDF_REAL)(r->y - h), (HPDF_REAL)(w + 18),
                        (HPDF_REAL)h);
    HPDF_Page_Fill(r->page);
    pdf_fill(r->page, PDF_ACCENT);
    HPDF_Page_Rectangle(r->page, (HPDF_REAL)(x - 10), (HPDF_REAL)(r->y - h), 2, (HPDF_REAL)h);
    HPDF_Page_Fill(r->page);
    r->y -= h;
}

static void hline(HPDF_Page page, double x0, double x1, double y, double width, quire_rgb c)
{
    HPDF_Page_SetLineWidth(page, (HPDF_REAL)width);
    pdf_stroke(page, c);
    HPDF_Page_MoveTo(page, (HPDF_REAL)x0, (HPDF_REAL)y);
    HPDF_Page_LineTo(page, (HPDF_REAL)x1, (HPDF_REAL)y);
    HPDF_Page_Stroke(page);
}

/* ------------------------------------------------------------ blocks */

static pdf_style style(const render *r, int bold, double size, quire_rgb c)
{
    pdf_style st = {bold ? r->fonts.bold : r->fonts.regular, size, c};

    return st;
}

static double lines_h(const render *r, int bold, double size, double lh, double w,
                      const char *s)
{
    pdf_style st = style(r, bold, size, PDF_INK);

    return pdf_count_lines(&st, w, s) * lh;
}

static const char *questions_heading(const doc_block *b)
{
    return b->text && *b->text ? b->text : "Questions to Consider:";
}

#define Q_INDENT 18.0
#define A_INDENT 30.0

/* Height of question i with its answer. */
static double item_h(const render *r, const doc_block *b, size_t i)
{
    double h = fmax(lines_h(r, 0, BODY_PT, BODY_LH, CONTENT_W - Q_INDENT, b->items[i]), BODY_LH) + 5;

    if (b->answers && b->answers[i] && *b->answers[i])
        h += 3 + 8 + lines_h(r, 0, ANSWER_PT, ANSWER_LH, CONTENT_W - A_INDENT - 8,
                             b->answers[i]);
    return h;
}

static double chart_header_h(const render *r, const doc_chart *c)
{
    double inner = CONTENT_W - 2 * CHART_PAD;

    return lines_h(r, 1, CHART_TITLE_PT, CHART_TITLE_LH, inner, c->title) +
           lines_h(r, 0, CHART_SUB_PT, CHART_SUB_LH, inner, c->subtitle);
}

static double chart_box_h(const render *r, const doc_chart *c)
{
    return CHART_PAD + chart_header_h(r, c) + 10 + CHART_BODY_H + 10;
}

/* What must fit on a page together with a heading placed before block b. */
static double block_min_h(const render *r, const doc_block *b)
{
    switch (b->kind) {
    case DOC_PARAGRAPH:
        return fmin(lines_h(r, 0, BODY_PT, BODY_LH, CONTENT_W, b->text), 2 * BODY_LH);
    case DOC_QUESTIONS:
        if (!b->items || b->nitems == 0)
            return 0;
        return lines_h(r, 1, H2_PT, H2_LH, CONTENT_W, questions_heading(b)) + 6 +
               item_h(r, b, 0);
    case DOC_CHART:
        return chart_box_h(r, &b->chart) + 4;
    }
    return 0;
}

static void draw_paragraph(render *r, const char *text, double after)
{
    pdf_style st = style(r, 0, BODY_PT, PDF_INK);

    if (!text || !*text)
        return;
    /* No orphan: the first two lines start on the same page. */
    need(r, fmin(pdf_count_lines(&st, CONTENT_W, text), 2) * BODY_LH);
    text_lines(r, &st, MARGIN, CONTENT_W, BODY_LH, text, 0);
    r->y -= after;
}

static void draw_questions(render *r, const doc_block *b)
{
    pdf_style head = style(r, 1, H2_PT, PDF_INK);
    pdf_style q = style(r, 0, BODY_PT, PDF_INK);
    pdf_style bullet = style(r, 1, BODY_PT, PDF_ACCENT);
    pdf_style a = style(r, 0, ANSWER_PT, (quire_rgb){0.11, 0.24, 0.42});
    size_t i;

    if (!b->items || b->nitems == 0)
        return; /* no questions: no heading either */
    need(r, block_min_h(r, b));
    text_lines(r, &head, MARGIN, CONTENT_W, H2_LH, questions_heading(b), 0);
    r->y -= 6;
    for (i = 0; b->items && i < b->nitems; i++) {
        double h = item_h(r, b, i);
        const char *ans = b->answers ? b->answers[i] : NULL;

        if (!fits(r, h) && h <= TOP - BOTTOM)
            new_page(r);
        if (!fits(r, BODY_LH))
            new_page(r);
        pdf_text(r->page, &bullet, MARGIN + 5, baseline(r->y, BODY_PT, BODY_LH), PDF_LEFT,
                 "\xE2\x80\xA2", 3);
        if (b->items[i] && *b->items[i])
            text_lines(r, &q, MARGIN + Q_INDENT, CONTENT_W - Q_INDENT, BODY_LH, b->items[i], 0);
        else
            r->y -= BODY_LH; /* an empty question keeps its bullet's line */
        if (ans && *ans) {
            r->y -= 3;
            tint_band(r, MARGIN + A_INDENT, CONTENT_W - A_INDENT - 8, 4);
            text_lines(r, &a, MARGIN + A_INDENT, CONTENT_W - A_INDENT - 8, ANSWER_LH, ans, 1);
            tint_band(r, MARGIN + A_INDENT, CONTENT_W - A_INDENT - 8, 4);
        }
        r->y -= 5;
    }
    r->y -= 8;
}

static void draw_chart(render *r, const doc_chart *c)
{
    double h = chart_box_h(r, c), top, inner = CONTENT_W - 2 * CHART_PAD;
    pdf_style title = style(r, 1, CHART_TITLE_PT, PDF_INK);
    pdf_style sub = style(r, 0, CHART_SUB_PT, PDF_MUTED);
    HPDF_Page page;

    r->y -= 4;
    if (!fits(r, h))
        new_page(r);
    page = r->page;
    top = r->y;

    /* The box: white with a hairline frame. */
    HPDF_Page_SetLineWidth(page, 0.6);
    pdf_stroke(page, PDF_RULE);
    HPDF_Page_Rectangle(page, (HPDF_REAL)MARGIN, (HPDF_REAL)(top - h), (HPDF_REAL)CONTENT_W,
                        (HPDF_REAL)h);
    HPDF_Page_Stroke(page);

    r->y = top - CHART_PAD + 2;
    if (c->title)
        text_lines(r, &title, MARGIN + CHART_PAD, inner, CHART_TITLE_LH, c->title, 0);
    if (c->subtitle)
        text_lines(r, &sub, MARGIN + CHART_PAD, inner, CHART_SUB_LH, c->subtitle, 0);
    chart_draw(page, &r->fonts, c, MARGIN + CHART_PAD, top - h + 10, inner, CHART_BODY_H);
    r->y = top - h - 16;
}

static void draw_block(render *r, const doc_block *b)
{
    switch (b->kind) {
    case DOC_PARAGRAPH:
        draw_paragraph(r, b->text, 8);
        break;
    case DOC_QUESTIONS:
        draw_questions(r, b);
        break;
    case DOC_CHART:
        draw_chart(r, &b->chart);
        break;
    }
}

/* ------------------------------------------------------------ sections */

static void bookmark(render *r, const char *title, double y)
{
    HPDF_Outline ol = HPDF_CreateOutline(r->pdf, NULL, clean(r, title), r->utf8);
    HPDF_Destination d = HPDF_Page_CreateDestination(r->page);

    HPDF_Destination_SetXYZ(d, 0, (HPDF_REAL)fmin(y + 12, PAGE_H), 1);
    HPDF_Outline_SetDestination(ol, d);
}

static void draw_section(render *r, const doc_section *s, size_t idx)
{
    pdf_style h1 = style(r, 1, H1_PT, PDF_INK);
    pdf_style intro = style(r, 0, BODY_PT, PDF_MUTED);
    char fallback[32];
    const char *title = s->title;
    double head_h, top;
    size_t i;

    if (!title || !*title) {
        snprintf(fallback, sizeof fallback, "Section %zu", idx + 1);
        title = fallback;
    }
    head_h = lines_h(r, 1, H1_PT, H1_LH, CONTENT_W, title) + 14 +
             (s->intro && *s->intro ? lines_h(r, 0, BODY_PT, BODY_LH, CONTENT_W, s->intro) : 0) +
             14 + (s->nblocks ? block_min_h(r, &s->blocks[0]) : 0);
    /* Every section after the first starts a page; the first shares the
     * title page when its heading and first block fit there. */
    if (idx > 0 || !fits(r, head_h))
        new_page(r);

    top = r->y;
    bookmark(r, title, top);
    text_lines(r, &h1, MARGIN, CONTENT_W, H1_LH, title, 0);
    r->y -= 5;
    hline(r->page, MARGIN, MARGIN + CONTENT_W, r->y, 0.6, PDF_RULE);
    hline(r->page, MARGIN, MARGIN + 56, r->y, 2.2, PDF_ACCENT);
    r->y -= 9;
    if (s->intro && *s->intro)
        text_lines(r, &intro, MARGIN, CONTENT_W, BODY_LH, s->intro, 0);
    r->y -= 14;
    for (i = 0; i < s->nblocks; i++)
        draw_block(r, &s->blocks[i]);
}

static void draw_title_block(render *r, const quire_doc *doc)
{
    pdf_style title = style(r, 1, TITLE_PT, PDF_INK);
    pdf_style sub = style(r, 0, SUBTITLE_PT, PDF_MUTED);
    pdf_style period = style(r, 1, BODY_PT, PDF_ACCENT);
    pdf_style h2 = style(r, 1, 13, PDF_INK);

    hline(r->page, MARGIN, MARGIN + 56, r->y, 3, PDF_ACCENT);
    r->y -= 14;
    if (doc->title && *doc->title)
        text_lines(r, &title, MARGIN, CONTENT_W, TITLE_LH, doc->title, 0);
    if (doc->subtitle && *doc->subtitle) {
        r->y -= 5;
        text_lines(r, &sub, MARGIN, CONTENT_W, SUBTITLE_LH, doc->subtitle, 0);
    }
    if (doc->period && *doc->period) {
        r->y -= 9;
        text_lines(r, &period, MARGIN, CONTENT_W, BODY_LH, doc->period, 0);
    }
    r->y -= 12;
    hline(r->page, MARGIN, MARGIN + CONTENT_W, r->y, 0.6, PDF_RULE);
    r->y -= 20;
    if (doc->objective && *doc->objective) {
        need(r, 18 + 2 * BODY_LH);
        text_lines(r, &h2, MARGIN, CONTENT_W, 18, "Report Objective", 0);
        r->y -= 4;
        draw_paragraph(r, doc->objective, 0);
        r->y -= 26;
    }
}

static void draw_footers(render *r, const quire_doc *doc)
{
    pdf_style st = style(r, 0, FOOT_PT, PDF_FAINT);
    char buf[64], gen[160];
    size_t i;

    gen[0] = '\0';
    if (doc->generated && *doc->generated)
        snprintf(gen, sizeof gen, "Generated %s", doc->generated);
    for (i = 0; i < r->npages; i++) {
        HPDF_Page page = r->pages[i];
        double right_w, gen_w = 0, left_max;

        snprintf(buf, sizeof buf, "Page %zu of %zu", i + 1, r->npages);
        hline(page, MARGIN, MARGIN + CONTENT_W, FOOTER_RULE, 0.5, PDF_RULE);
        right_w = pdf_text_width(st.font, st.size, buf, strlen(buf));
        pdf_text(page, &st, MARGIN + CONTENT_W, FOOTER_Y, PDF_RIGHT, buf, strlen(buf));
        left_max = CONTENT_W - right_w - 24;
        if (gen[0]) {
            /* "Generated …" sits before the page number, a bullet between. */
            gen_w = pdf_text_width(st.font, st.size, gen, strlen(gen));
            pdf_text(page, &st, MARGIN + CONTENT_W - right_w - 16, FOOTER_Y, PDF_RIGHT, gen,
                     strlen(gen));
            pdf_text(page, &st, MARGIN + CONTENT_W - right_w - 8, FOOTER_Y, PDF_CENTER,
                     "\xC2\xB7", 2);
            left_max -= gen_w + 16;
        }
        if (doc->title && left_max > 20)
            pdf_text_fit(page, &st, MARGIN, FOOTER_Y, PDF_LEFT, left_max, doc->title,
                         strlen(doc->title));
    }
}

/* ------------------------------------------------------------ document */

static int valid_date(const int d[6])
{
    static const int mdays[12] = {31, 29, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int leap = (d[0] % 4 == 0 && d[0] % 100 != 0) || d[0] % 400 == 0;

    if (d[0] < 1 || d[0] > 9999 || d[1] < 1 || d[1] > 12 || d[2] < 1)
        return 0;
    if (d[2] > mdays[d[1] - 1] || (d[1] == 2 && !leap && d[2] > 28))
        return 0;
    return d[3] >= 0 && d[3] <= 23 && d[4] >= 0 && d[4] <= 59 && d[5] >= 0 && d[5] <= 59;
}

static HPDF_Font load_font(render *r, const char *path)
{
    HPDF_Font f;
    const char *name;

    snprintf(r->what, sizeof r->what, "%s: cannot load font", path);
    r->code = QUIRE_EXIT_DATA;
    name = HPDF_LoadTTFontFromFile(r->pdf, path, HPDF_TRUE);
    f = HPDF_GetFont(r->pdf, name, "UTF-8");
    /* Mark the intermediate composite glyphs for embedding (see pdf.h). */
    HPDF_Font_TextWidth(f, (const HPDF_BYTE *)PDF_DEJAVU_WARMUP,
                        (HPDF_UINT)strlen(PDF_DEJAVU_WARMUP));
    return f;
}

static void set_info(render *r, const quire_doc *doc)
{
    if (doc->title && *doc->title)
        HPDF_SetInfoAttr(r->pdf, HPDF_INFO_TITLE, clean(r, doc->title));
    if (doc->subtitle && *doc->subtitle)
        HPDF_SetInfoAttr(r->pdf, HPDF_INFO_SUBJECT, clean(r, doc->subtitle));
    HPDF_SetInfoAttr(r->pdf, HPDF_INFO_CREATOR, "Quire");
    HPDF_SetInfoAttr(r->pdf, HPDF_INFO_PRODUCER, PRODUCER);
    if (doc->date[0] != 0) {
        HPDF_Date d = {doc->date[0], doc->date[1], doc->date[2], doc->date[3],
                       doc->date[4], doc->date[5], 'Z', 0, 0};

        HPDF_SetInfoDateAttr(r->pdf, HPDF_INFO_CREATION_DATE, d);
        HPDF_SetInfoDateAttr(r->pdf, HPDF_INFO_MOD_DATE, d);
    }
}

/* Build the whole PDF into r->out. Called under setjmp. */
static void build(render *r, const quire_doc *doc)
{
    HPDF_UINT32 size, got = 0;
    size_t i;

    HPDF_SetCompressionMode(r->pdf, HPDF_COMP_ALL); /* before the first page */
    HPDF_UseUTFEncodings(r->pdf);
    HPDF_SetCurrentEncoder(r->pdf, "UTF-8");
    r->utf8 = HPDF_GetEncoder(r->pdf, "UTF-8");
    r->fonts.regular = load_font(r, PDF_FONT_REGULAR);
    r->fonts.bold = load_font(r, PDF_FONT_BOLD);

    snprintf(r->what, sizeof r->what, "%s: cannot lay out the report", r->path);
    r->code = QUIRE_EXIT_DELIVERY;
    set_info(r, doc);
    HPDF_SetPageMode(r->pdf, doc->nsections ? HPDF_PAGE_MODE_USE_OUTLINE
                                            : HPDF_PAGE_MODE_USE_NONE);
    new_page(r);
    draw_title_block(r, doc);
    for (i = 0; i < doc->nsections; i++)
        draw_section(r, &doc->sections[i], i);
    draw_footers(r, doc);

    snprintf(r->what, sizeof r->what, "%s: cannot write the PDF to memory", r->path);
    HPDF_SaveToStream(r->pdf);
    size = HPDF_GetStreamSize(r->pdf);
    r->out = malloc(size ? size : 1);
    if (!r->out)
        fail_oom(r);
    HPDF_ResetStream(r->pdf);
    while (got < size) {
        HPDF_UINT32 k = size - got;
        HPDF_STATUS st = HPDF_ReadFromStream(r->pdf, r->out + got, &k);

        got += k;
        if (st == HPDF_STREAM_EOF || k == 0)
            break;
    }
    r->out_len = got;
}

/* ------------------------------------------------------------ output */

static const char *errstr(int e, char *buf, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(e, buf, n);
#else
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "error %d", e);
    return buf;
#endif
}

/* Make the rename durable: sync the folder that holds path. */
static void sync_dir(const char *path)
{
    const char *slash = strrchr(path, '/');
    char dir[4096];
    int fd;

    if (!slash) {
        strcpy(dir, ".");
    } else if (slash == path) {
        strcpy(dir, "/");
    } else {
        size_t n = (size_t)(slash - path);

        if (n >= sizeof dir)
            return;
        memcpy(dir, path, n);
        dir[n] = '\0';
    }
    fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
}

static int write_atomic(const char *path, const unsigned char *buf, size_t n, quire_error *err)
{
    size_t plen = strlen(path), off = 0;
    char *tmp = malloc(plen + sizeof ".tmp.XXXXXX");
    char eb[128];
    const char *step;
    int fd, e;

    if (!tmp)
        return quire_err(err, QUIRE_EXIT_DELIVERY, "%s: out of memory", path);
    memcpy(tmp, path, plen);
    memcpy(tmp + plen, ".tmp.XXXXXX", sizeof ".tmp.XXXXXX");
    fd = mkostemp(tmp, O_CLOEXEC);
    if (fd < 0) {
        e = errno;
        free(tmp);
        return quire_err(err, QUIRE_EXIT_DELIVERY, "%s: cannot create a temporary file beside it: %s",
                         path, errstr(e, eb, sizeof eb));
    }
    step = "cannot write";
    while (off < n) {
        ssize_t k = write(fd, buf + off, n - off);

        if (k < 0) {
            if (errno == EINTR)
                continue;
            goto fail;
        }
        off += (size_t)k;
    }
    step = "cannot set the mode of";
    if (fchmod(fd, 0644) != 0)
        goto fail;
    step = "cannot sync";
    if (fsync(fd) != 0)
        goto fail;
    step = "cannot close";
    e = close(fd);
    fd = -1;
    if (e != 0)
        goto fail;
    step = "cannot rename into place";
    if (rename(tmp, path) != 0)
        goto fail;
    free(tmp);
    sync_dir(path);
    return 0;

fail:
    e = errno;
    if (fd >= 0)
        close(fd);
    unlink(tmp);
    quire_err(err, QUIRE_EXIT_DELIVERY, "%s: %s %s: %s", path, step, tmp,
              errstr(e, eb, sizeof eb));
    free(tmp);
    return -1;
}

int pdf_render(const quire_doc *doc, const char *path, quire_error *err)
{
    render *r;
    int rc;

    if (!doc || !path || !*path)
        return quire_err(err, QUIRE_EXIT_USAGE, "pdf_render: no document or no output path");
    if (doc->date[0] != 0 && !valid_date(doc->date))
        return quire_err(err, QUIRE_EXIT_DATA,
                         "%s: invalid document date %04d-%02d-%02d %02d:%02d:%02d", path,
                         doc->date[0], doc->date[1], doc->date[2], doc->date[3], doc->date[4],
                         doc->date[5]);
    r = calloc(1, sizeof *r);
    if (!r)
        return quire_err(err, QUIRE_EXIT_DELIVERY, "%s: out of memory", path);
    r->path = path;
    r->pdf = HPDF_New(on_error, r);
    if (!r->pdf) {
        free(r);
        return quire_err(err, QUIRE_EXIT_DELIVERY, "%s: cannot create a PDF document", path);
    }
    if (setjmp(r->jb)) {
        char eb[128];

        if (r->err == 0)
            quire_err(err, QUIRE_EXIT_DELIVERY, "%s: out of memory", path);
        else if (r->err == HPDF_FILE_OPEN_ERROR)
            quire_err(err, r->code, "%s: %s", r->what,
                      errstr((int)r->detail, eb, sizeof eb));
        else
            quire_err(err, r->code, "%s (libharu error 0x%04X, detail %u)", r->what,
                      (unsigned)r->err, (unsigned)r->detail);
        HPDF_Free(r->pdf);
        free(r->pages);
        free(r->out);
        free(r);
        return -1;
    }
    build(r, doc);
    HPDF_Free(r->pdf);
    r->pdf = NULL;

    rc = write_atomic(path, r->out, r->out_len, err);
    free(r->pages);
    free(r->out);
    free(r);
    return rc;
}
