/*
 * pdf.c - lay a quire_doc out into A4 or Letter pages with libharu, in one
 * pass.
 *
 * Pages are filled top-down by a cursor (render.y); a block that does not fit
 * moves to a new page, a chart or a row of tiles is never split, a heading is
 * never left alone at a page foot, a table repeats its header row on every
 * page it spans. The contents pages are reserved before the sections (their
 * number follows from the number of headings) and filled at the end, with
 * the page numbers the headings landed on; the running header and the footer
 * ("Page N of M") are drawn last too: libharu keeps every page writable
 * until the document is saved.
 *
 * libharu errors longjmp back to pdf_render() through a handler whose jmp_buf
 * lives in the heap-allocated render state (no globals: documents on other
 * threads are independent). The PDF is built in memory and then written
 * atomically (atomic.h), mode 0644 whatever the umask.
 */
#include "pdf.h"

#include <math.h>
#include <pthread.h>
#include <setjmp.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas_pdf.h"
#include "chart.h"
#include "layout.h"
#include "text.h"
#include "atomic.h"
#include "attach.h"
#include "date.h"
#include "format.h"
#include "log.h"
#include "util.h"

#ifdef QUIRE_VERSION
#define PRODUCER "Quire " QUIRE_VERSION
#else
#define PRODUCER "Quire"
#endif

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

/* Chart box: title and subtitle, above the plot (layout.h: the rest). */
#define CHART_TITLE_PT 11.0
#define CHART_TITLE_LH 14.5
#define CHART_SUB_PT 8.5
#define CHART_SUB_LH 11.5

#define ELLIPSIS "\xE2\x80\xA6"

/* A heading on the contents page and in the bookmarks. */
typedef struct toc_entry {
    const char *title;
    int level;               /* 1 section, 2 heading block */
    size_t page;             /* 0-based */
    HPDF_Destination dest;
    HPDF_Outline outline;
} toc_entry;

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
    /* geometry: page size, margin, the content box */
    double page_w, page_h, margin, content_w, top, bottom;
    int own_title_page;      /* the title page holds nothing else */
    /* the contents: headings met so far, and the reserved pages */
    toc_entry *toc;
    size_t ntoc, toc_cap, toc_page, ntoc_pages;
    double toc_top;          /* where the contents start on their first page */
    HPDF_Outline last_outline; /* the current section's bookmark */
    /* preflight */
    unsigned scripts;        /* 1 << PDF_SCRIPT_* met in the text */
    int strict, preflight;
    unsigned nproblems;
    char problem[400], first_problem[400];
    uint32_t reported[64];   /* code points already reported */
    size_t nreported;
    /* the theme's colours (doc_theme; the defaults without one) */
    quire_rgb accent, tint, head, zebra, answer;
    HPDF_Image logo;         /* loaded once, for the cover and the headers */
    const char *path; /* the output, for messages */
    unsigned char *out;
    size_t out_len;
    /* blocks of owned_alloc, freed with the render: a failure that
     * longjmps out of a drawing function leaks nothing */
    void **owned;
    size_t nowned, owned_cap;
} render;

/* Copy s into r->tmp as clean UTF-8 (what the page would show), cut at a
 * code point boundary. */
static const char *clean(render *r, const char *s)
{
    size_t len = strlen(s), i = 0, n = 0;

    while (i < len && n + 5 < sizeof r->tmp)
        n += quire_utf8_put(r->tmp + n, pdf_drawable(quire_utf8_next(s, len, &i)));
    r->tmp[n] = '\0';
    return r->tmp;
}

/* ------------------------------------------------------------ pages */

/*
 * libharu's memory, through Quire's allocator: every block it holds is on a
 * list (per thread: one document is rendered at a time on a thread), so
 * that after HPDF_Free the blocks it lost track of are freed too (when an
 * allocation fails half-way through making an object, libharu leaves the
 * object's first parts unlinked).
 */
typedef union hpdf_block {
    struct {
        union hpdf_block *prev, *next;
    } l;
    max_align_t align; /* the data after the header stays aligned */
} hpdf_block;

static _Thread_local hpdf_block *hpdf_live;

static void *hpdf_alloc(HPDF_UINT size)
{
    hpdf_block *b = malloc(sizeof *b + size);

    if (!b)
        return NULL;
    b->l.prev = NULL;
    b->l.next = hpdf_live;
    if (hpdf_live)
        hpdf_live->l.prev = b;
    hpdf_live = b;
    return b + 1;
}

static void hpdf_free(void *p)
{
    hpdf_block *b;

    if (!p)
        return;
    b = (hpdf_block *)p - 1;
    if (b->l.prev)
        b->l.prev->l.next = b->l.next;
    else
        hpdf_live = b->l.next;
    if (b->l.next)
        b->l.next->l.prev = b->l.prev;
    free(b);
}

/* After HPDF_Free: whatever libharu still held. */
static void hpdf_release(void)
{
    while (hpdf_live) {
        hpdf_block *b = hpdf_live;
        hpdf_live = b->l.next;
        free(b);
    }
}

/* The blocks another thread left (list), onto this thread's list: a
 * document prepared there goes on here. */
static void hpdf_adopt(hpdf_block *list)
{
    hpdf_block *tail = list;

    if (!list)
        return;
    while (tail->l.next)
        tail = tail->l.next;
    tail->l.next = hpdf_live;
    if (hpdf_live)
        hpdf_live->l.prev = tail;
    hpdf_live = list;
}

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

static void *grow(render *r, void *p, size_t *cap, size_t n, size_t size)
{
    if (n < *cap)
        return p;
    *cap = *cap ? *cap * 2 : 16;
    p = realloc(p, *cap * size);
    if (!p)
        fail_oom(r);
    return p;
}

/* Memory the render frees when it ends, however it ends. */
static void *owned_alloc(render *r, size_t size)
{
    void *p;

    r->owned = grow(r, r->owned, &r->owned_cap, r->nowned, sizeof *r->owned);
    if (!(p = malloc(size ? size : 1)))
        fail_oom(r);
    return r->owned[r->nowned++] = p;
}

static void owned_free(render *r)
{
    while (r->nowned)
        free(r->owned[--r->nowned]);
    free(r->owned);
}

static void new_page(render *r)
{
    r->pages = grow(r, r->pages, &r->cap, r->npages, sizeof *r->pages);
    r->page = HPDF_AddPage(r->pdf);
    HPDF_Page_SetWidth(r->page, (HPDF_REAL)r->page_w);
    HPDF_Page_SetHeight(r->page, (HPDF_REAL)r->page_h);
    r->pages[r->npages++] = r->page;
    r->y = r->top;
}

static int fits(const render *r, double h)
{
    return r->y - h >= r->bottom;
}

/* Start a new page unless h fits here or this page is still empty. */
static void need(render *r, double h)
{
    if (!fits(r, h) && r->y < r->top - 0.01)
        new_page(r);
}

/* Baseline of a line of type size in a line box of height lh whose top is
 * top: DejaVu's ascent and descent (0.928 and 0.236 em) centred in the box. */
static double baseline(double top, double size, double lh)
{
    return top - (lh - size * 1.164) / 2 - size * 0.928;
}

static void rect(HPDF_Page page, double x, double y, double w, double h, quire_rgb c)
{
    pdf_fill(page, c);
    HPDF_Page_Rectangle(page, (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)w, (HPDF_REAL)h);
    HPDF_Page_Fill(page);
}

/*
 * Draw s wrapped to w at x, one line box of lh at a time, flowing onto new
 * pages. With tint, each line box gets the answer background first.
 */
/* a mixed with white: t = 0 is a, 1 white */
static quire_rgb toward_white(quire_rgb a, double t)
{
    quire_rgb c = {a.r + (1 - a.r) * t, a.g + (1 - a.g) * t, a.b + (1 - a.b) * t};

    return c;
}

static quire_rgb darker(quire_rgb a, double k)
{
    quire_rgb c = {a.r * k, a.g * k, a.b * k};

    return c;
}

static void text_lines(render *r, const pdf_style *st, double x, double w, double lh,
                       const char *s, int tint);

/* Lines of s wrapped to w from the top r->y, each aligned (PDF_LEFT,
 * PDF_CENTER) in x..x+w. */
static void text_lines_at(render *r, const pdf_style *st, double x, double w, double lh,
                          const char *s, int align)
{
    size_t len = strlen(s), pos = 0, line_len;

    if (align == PDF_LEFT) {
        text_lines(r, st, x, w, lh, s, 0);
        return;
    }
    while (pos < len) {
        size_t next = pdf_wrap_next(st, w, s + pos, len - pos, &line_len);

        if (!fits(r, lh))
            new_page(r);
        pdf_text(r->page, st, x + w / 2, baseline(r->y, st->size, lh), PDF_CENTER, s + pos,
                 line_len);
        r->y -= lh;
        pos += next;
    }
}

static void text_lines(render *r, const pdf_style *st, double x, double w, double lh,
                       const char *s, int tint)
{
    size_t len = strlen(s), pos = 0, line_len;

    while (pos < len) {
        size_t next = pdf_wrap_next(st, w, s + pos, len - pos, &line_len);

        if (!fits(r, lh))
            new_page(r);
        if (tint) {
            rect(r->page, x - 10, r->y - lh, w + 18, lh, r->tint);
            rect(r->page, x - 10, r->y - lh, 2, lh, r->accent);
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
    rect(r->page, x - 10, r->y - h, w + 18, h, r->tint);
    rect(r->page, x - 10, r->y - h, 2, h, r->accent);
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

static pdf_style style(render *r, int bold, double size, quire_rgb c)
{
    pdf_style st = {bold ? r->fonts.bold : r->fonts.regular, size, c, &r->fonts};

    return st;
}

static double lines_h(render *r, int bold, double size, double lh, double w, const char *s)
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
static double item_h(render *r, const doc_block *b, size_t i)
{
    double h = fmax(lines_h(r, 0, BODY_PT, BODY_LH, r->content_w - Q_INDENT, b->items[i]),
                    BODY_LH) + 5;

    if (b->answers && b->answers[i] && *b->answers[i])
        h += 3 + 8 + lines_h(r, 0, ANSWER_PT, ANSWER_LH, r->content_w - A_INDENT - 8,
                             b->answers[i]);
    return h;
}

/* The title and subtitle of a chart in a box w wide. */
static double chart_header_h(render *r, const doc_chart *c, double w)
{
    double inner = w - 2 * LAYOUT_CHART_PAD;

    return lines_h(r, 1, CHART_TITLE_PT, CHART_TITLE_LH, inner, c->title) +
           lines_h(r, 0, CHART_SUB_PT, CHART_SUB_LH, inner, c->subtitle);
}

static double chart_box_h(render *r, const doc_chart *c, double w)
{
    return LAYOUT_CHART_PAD + chart_header_h(r, c, w) + 10 + layout_chart_h(c) +
           LAYOUT_CHART_BELOW;
}

/* Whether a chart reads well at half the width, beside another (the chart
 * module judges by its labels and bars); heatmaps and horizontal bars keep
 * the full width their labels need. */
static int half_width(render *r, const doc_chart *c)
{
    canvas_pdf cv;

    canvas_pdf_init(&cv, &r->fonts, NULL); /* measures only */
    return chart_reads_at(&cv.base, c, layout_chart_w(r->content_w, 1), layout_chart_h(c));
}

#define TILE_H 84.0
#define TILE_GAP 10.0
#define TILES_PER_ROW 4

/* Tiles a row: at most four, the rows balanced (six tiles are two rows of three). */
static size_t tiles_per_row(size_t n)
{
    size_t rows = (n + TILES_PER_ROW - 1) / TILES_PER_ROW;

    return rows ? (n + rows - 1) / rows : 1;
}

#define TILE_LINE_H 11.0

/* A tile's height in block b: taller by a line for each comparison line of
 * the tile that has the most. */
static double tile_h(const doc_block *b)
{
    size_t i, n = 0;

    for (i = 0; i < b->ntiles; i++) {
        size_t k = b->tiles[i].nlines - (b->tiles[i].no_change && b->tiles[i].nlines ? 1 : 0);
        if (k > n)
            n = k;
    }
    return TILE_H + TILE_LINE_H * (double)n;
}

static double tiles_h(const doc_block *b)
{
    size_t rows = (b->ntiles + TILES_PER_ROW - 1) / TILES_PER_ROW;

    return (double)rows * (tile_h(b) + TILE_GAP);
}

#define ROW_H 16.0
#define CELL_PT 8.3
#define CELL_PAD 5.0

static double table_title_h(render *r, const doc_table *t)
{
    return t->title && *t->title ? lines_h(r, 1, H2_PT, H2_LH, r->content_w, t->title) + 4 : 0;
}

static double table_min_h(render *r, const doc_table *t);

/* What must fit on a page together with a heading placed before block b. */
static double block_min_h(render *r, const doc_block *b)
{
    switch (b->kind) {
    case DOC_PARAGRAPH:
        return fmin(lines_h(r, 0, BODY_PT, BODY_LH, r->content_w, b->text), 2 * BODY_LH);
    case DOC_QUESTIONS:
        if (!b->items || b->nitems == 0)
            return 0;
        return lines_h(r, 1, H2_PT, H2_LH, r->content_w, questions_heading(b)) + 6 +
               item_h(r, b, 0);
    case DOC_CHART:
        return chart_box_h(r, &b->chart, r->content_w) + 4;
    case DOC_HEADING:
        return lines_h(r, 1, H2_PT + 1, H2_LH + 2, r->content_w, b->text) + 8 + 2 * BODY_LH;
    case DOC_BULLETS:
        return b->nitems ? BODY_LH * 2 : 0;
    case DOC_TILES:
        return fmin(tiles_h(b), tile_h(b) + TILE_GAP);
    case DOC_TABLE:
        return table_min_h(r, &b->table);
    }
    return 0;
}

static void draw_paragraph(render *r, const char *text, double after)
{
    pdf_style st = style(r, 0, BODY_PT, PDF_INK);

    if (!text || !*text)
        return;
    /* No orphan: the first two lines start on the same page. */
    need(r, fmin(pdf_count_lines(&st, r->content_w, text), 2) * BODY_LH);
    text_lines(r, &st, r->margin, r->content_w, BODY_LH, text, 0);
    r->y -= after;
}

static void draw_questions(render *r, const doc_block *b)
{
    pdf_style head = style(r, 1, H2_PT, PDF_INK);
    pdf_style q = style(r, 0, BODY_PT, PDF_INK);
    pdf_style bullet = style(r, 1, BODY_PT, r->accent);
    pdf_style a = style(r, 0, ANSWER_PT, r->answer);
    double x = r->margin, w = r->content_w;
    size_t i;

    if (!b->items || b->nitems == 0)
        return; /* no questions: no heading either */
    need(r, block_min_h(r, b));
    text_lines(r, &head, x, w, H2_LH, questions_heading(b), 0);
    r->y -= 6;
    for (i = 0; b->items && i < b->nitems; i++) {
        double h = item_h(r, b, i);
        const char *ans = b->answers ? b->answers[i] : NULL;

        if (!fits(r, h) && h <= r->top - r->bottom)
            new_page(r);
        if (!fits(r, BODY_LH))
            new_page(r);
        pdf_text(r->page, &bullet, x + 5, baseline(r->y, BODY_PT, BODY_LH), PDF_LEFT,
                 "\xE2\x80\xA2", 3);
        if (b->items[i] && *b->items[i])
            text_lines(r, &q, x + Q_INDENT, w - Q_INDENT, BODY_LH, b->items[i], 0);
        else
            r->y -= BODY_LH; /* an empty question keeps its bullet's line */
        if (ans && *ans) {
            r->y -= 3;
            tint_band(r, x + A_INDENT, w - A_INDENT - 8, 4);
            text_lines(r, &a, x + A_INDENT, w - A_INDENT - 8, ANSWER_LH, ans, 1);
            tint_band(r, x + A_INDENT, w - A_INDENT - 8, 4);
        }
        r->y -= 5;
    }
    r->y -= 8;
}

static void draw_bullets(render *r, const doc_block *b)
{
    pdf_style q = style(r, 0, BODY_PT, PDF_INK);
    pdf_style bullet = style(r, 1, BODY_PT, r->accent);
    size_t i;

    for (i = 0; b->items && i < b->nitems; i++) {
        const char *it = b->items[i] ? b->items[i] : "";

        need(r, fmin(fmax(lines_h(r, 0, BODY_PT, BODY_LH, r->content_w - Q_INDENT, it),
                          BODY_LH), 2 * BODY_LH));
        pdf_text(r->page, &bullet, r->margin + 5, baseline(r->y, BODY_PT, BODY_LH), PDF_LEFT,
                 "\xE2\x80\xA2", 3);
        if (*it)
            text_lines(r, &q, r->margin + Q_INDENT, r->content_w - Q_INDENT, BODY_LH, it, 0);
        else
            r->y -= BODY_LH;
        r->y -= 3;
    }
    r->y -= 8;
}

/* A chart in its box, x to x + w, from top down h. */
static void chart_box(render *r, const doc_chart *c, double x, double w, double top, double h)
{
    double inner = w - 2 * LAYOUT_CHART_PAD;
    pdf_style title = style(r, 1, CHART_TITLE_PT, PDF_INK);
    pdf_style sub = style(r, 0, CHART_SUB_PT, PDF_MUTED);
    HPDF_Page page = r->page;
    canvas_pdf cv;

    /* The box: white with a hairline frame. */
    HPDF_Page_SetLineWidth(page, 0.6);
    pdf_stroke(page, PDF_RULE);
    HPDF_Page_Rectangle(page, (HPDF_REAL)x, (HPDF_REAL)(top - h), (HPDF_REAL)w, (HPDF_REAL)h);
    HPDF_Page_Stroke(page);

    r->y = top - LAYOUT_CHART_PAD + 2;
    if (c->title)
        text_lines(r, &title, x + LAYOUT_CHART_PAD, inner, CHART_TITLE_LH, c->title, 0);
    if (c->subtitle)
        text_lines(r, &sub, x + LAYOUT_CHART_PAD, inner, CHART_SUB_LH, c->subtitle, 0);
    canvas_pdf_init(&cv, &r->fonts, page);
    chart_draw(&cv.base, c, x + LAYOUT_CHART_PAD, top - h + LAYOUT_CHART_BELOW, inner,
               layout_chart_h(c));
}

static void draw_chart(render *r, const doc_chart *c)
{
    double h = chart_box_h(r, c, r->content_w), top;

    r->y -= 4;
    if (!fits(r, h))
        new_page(r);
    top = r->y;
    chart_box(r, c, r->margin, r->content_w, top, h);
    r->y = top - h - 16;
}

/* Two charts side by side, in boxes of the same height. */
static void draw_chart_pair(render *r, const doc_chart *a, const doc_chart *b)
{
    double w = (r->content_w - LAYOUT_CHART_GAP) / 2, h, top;

    h = fmax(chart_box_h(r, a, w), chart_box_h(r, b, w));
    r->y -= 4;
    if (!fits(r, h))
        new_page(r);
    top = r->y;
    chart_box(r, a, r->margin, w, top, h);
    chart_box(r, b, r->margin + w + LAYOUT_CHART_GAP, w, top, h);
    r->y = top - h - 16;
}

/* ------------------------------------------------------------ tiles */

#define GOOD ((quire_rgb){0.10, 0.52, 0.30})
#define BADC ((quire_rgb){0.77, 0.19, 0.19})

/* A good, bad or neutral tone (layout_tile_tone) as a colour. */
static quire_rgb tone_color(int tone)
{
    return tone > 0 ? GOOD : tone < 0 ? BADC : PDF_MUTED;
}

static void draw_tile(render *r, const doc_tile *t, double x, double top, double w, double th)
{
    pdf_style lab = style(r, 0, 8, PDF_MUTED);
    pdf_style val = style(r, 1, 18, PDF_INK);
    pdf_style chg = style(r, 1, 8.5, PDF_MUTED);
    pdf_style cap = style(r, 0, 7, PDF_FAINT);
    char vbuf[64], cbuf[96];

    double ly = top - 59;
    size_t i;

    rect(r->page, x, top - th, w, th, r->tint);
    rect(r->page, x, top - 2.5, w, 2.5, r->accent);
    pdf_text_fit(r->page, &lab, x + 10, top - 18, PDF_LEFT, w - 20, t->label ? t->label : "",
                 t->label ? strlen(t->label) : 0);
    quire_format_value(vbuf, sizeof vbuf, t->value, t->unit, t->decimals);
    pdf_text_fit(r->page, &val, x + 10, top - 42, PDF_LEFT, w - 20, vbuf, strlen(vbuf));
    if (!t->no_change) {
        chg.color = tone_color(layout_tile_tone(t, layout_tile_change(t, 1, cbuf, sizeof cbuf)));
        pdf_text_fit(r->page, &chg, x + 10, ly, PDF_LEFT, w - 20, cbuf, strlen(cbuf));
        ly -= TILE_LINE_H;
    }
    for (i = 0; i < t->nlines; i++) {
        const doc_tile_line *l = &t->lines[i];
        pdf_style ls = style(r, 0, 8, tone_color(l->tone));
        pdf_text_fit(r->page, &ls, x + 10, ly, PDF_LEFT, w - 20, l->text, strlen(l->text));
        ly -= TILE_LINE_H;
    }
    if (t->caption && *t->caption)
        pdf_text_fit(r->page, &cap, x + 10, top - th + 10, PDF_LEFT, w - 20, t->caption,
                     strlen(t->caption));
}

/* Tiles in balanced rows of up to four, the whole block kept on one page. */
static void draw_tiles(render *r, const doc_block *b)
{
    size_t i, per = tiles_per_row(b->ntiles);
    double w, th;

    if (!b->tiles || b->ntiles == 0)
        return;
    th = tile_h(b);
    w = (r->content_w - TILE_GAP * (double)(per - 1)) / (double)per;
    if (tiles_h(b) <= r->top - r->bottom)
        need(r, tiles_h(b));
    for (i = 0; i < b->ntiles; i++) {
        size_t col = i % per;

        if (col == 0 && !fits(r, th))
            new_page(r);
        draw_tile(r, &b->tiles[i], r->margin + (w + TILE_GAP) * (double)col, r->y, w, th);
        if (col == per - 1 || i + 1 == b->ntiles)
            r->y -= th + TILE_GAP;
    }
    r->y -= 8;
}

/* ------------------------------------------------------------ tables */

static const char *cell(const doc_table *t, size_t row, size_t col)
{
    const char *s = t->cells ? t->cells[row * t->ncols + col] : NULL;

    return s ? s : "";
}

/* The width of the widest space-separated word of s. */
static double widest_word(const pdf_style *st, const char *s)
{
    double best = 0;

    while (*s) {
        size_t n = strcspn(s, " ");

        best = fmax(best, pdf_style_width(st, s, n));
        s += n;
        s += strspn(s, " ");
    }
    return best;
}

/*
 * Column widths: a column's share is its weight when given, else its
 * natural width, scaled to the content width. The natural width is the
 * widest of its cells (the totals row in bold) and of its title, where a
 * title may take two lines: half its width, never less than its widest word.
 */
static void column_widths(render *r, const doc_table *t, double *w)
{
    pdf_style body = style(r, 0, CELL_PT, PDF_INK);
    pdf_style head = style(r, 1, CELL_PT, PDF_INK);
    size_t c, row, rows = t->nrows + (t->totals ? 1 : 0);
    double sum = 0;

    for (c = 0; c < t->ncols; c++) {
        const char *ti = t->cols[c].title ? t->cols[c].title : "";
        double hw = pdf_style_width(&head, ti, strlen(ti));
        double nat = fmin(hw, fmax(hw / 2, widest_word(&head, ti)));

        for (row = 0; row < rows && row < 200; row++) {
            const char *s = cell(t, row, c);
            const pdf_style *st = t->totals && row == t->nrows ? &head : &body;

            nat = fmax(nat, pdf_style_width(st, s, strlen(s)));
        }
        if (t->totals && t->nrows > 200) {
            const char *s = cell(t, t->nrows, c);

            nat = fmax(nat, pdf_style_width(&head, s, strlen(s)));
        }
        nat = fmin(nat, r->content_w * 0.45) + 2 * CELL_PAD + 2;
        w[c] = t->cols[c].weight > 0 ? t->cols[c].weight * 1000 : nat;
        sum += w[c];
    }
    for (c = 0; c < t->ncols; c++)
        w[c] = w[c] / sum * r->content_w;
}

#define HEAD_LH 10.0

/* The header row's height: its titles wrapped to their columns, at most 3 lines. */
static double header_h(render *r, const doc_table *t, const double *w)
{
    pdf_style head = style(r, 1, CELL_PT, PDF_INK);
    int lines = 1;
    size_t c;

    for (c = 0; c < t->ncols; c++) {
        int n = pdf_count_lines(&head, w[c] - 2 * CELL_PAD, t->cols[c].title ? t->cols[c].title : "");

        lines = n > lines ? n : lines;
    }
    lines = lines > 3 ? 3 : lines;
    return lines == 1 ? ROW_H : lines * HEAD_LH + 6;
}

/* Table t's column widths. */
static double *table_widths(render *r, const doc_table *t)
{
    double *w = owned_alloc(r, t->ncols * sizeof *w);

    column_widths(r, t, w);
    return w;
}

/* A table's title, header row and first rows (up to three): what starts a page together. */
static double table_min_h(render *r, const doc_table *t)
{
    size_t rows = t->nrows + (t->totals ? 1 : 0);

    if (!t->cols || t->ncols == 0)
        return 0;
    /* An empty table keeps one row for saying so. */
    return table_title_h(r, t) + header_h(r, t, table_widths(r, t)) +
           ROW_H * (double)(rows < 3 ? (rows ? rows : 1) : 3);
}

/* The title line of a continued table plus its header row. */
static void table_header(render *r, const doc_table *t, const double *w, int cont)
{
    pdf_style head = style(r, 1, CELL_PT, (quire_rgb){1, 1, 1});
    double x = r->margin, h = header_h(r, t, w);
    size_t c;

    if (cont && t->title && *t->title) {
        pdf_style st = style(r, 0, 8, PDF_FAINT);
        char buf[300];

        snprintf(buf, sizeof buf, "%s (continued)", t->title);
        pdf_text_fit(r->page, &st, r->margin, r->y - 10, PDF_LEFT, r->content_w, buf,
                     strlen(buf));
        r->y -= 15;
    }
    rect(r->page, r->margin, r->y - h, r->content_w, h, r->head);
    for (c = 0; c < t->ncols; c++) {
        const char *ti = t->cols[c].title ? t->cols[c].title : "";
        size_t len = strlen(ti), pos = 0, line_len;
        int num = t->cols[c].numeric, n = pdf_count_lines(&head, w[c] - 2 * CELL_PAD, ti), k;
        double tx = num ? x + w[c] - CELL_PAD : x + CELL_PAD;

        /* Titles sit on the bottom of the header row, the last line on the
         * baseline of a one-line header; the third line is the last. */
        n = n > 3 ? 3 : n;
        for (k = 0; k < n && pos < len; k++) {
            size_t next = pdf_wrap_next(&head, w[c] - 2 * CELL_PAD, ti + pos, len - pos, &line_len);
            double y = baseline(r->y - h + ROW_H, CELL_PT, ROW_H) + (double)(n - 1 - k) * HEAD_LH;

            if (k == n - 1)
                line_len = len - pos;
            pdf_text_fit(r->page, &head, tx, y, num ? PDF_RIGHT : PDF_LEFT, w[c] - 2 * CELL_PAD,
                         ti + pos, line_len);
            pos += next;
        }
        x += w[c];
    }
    r->y -= h;
}

#define TABLE_NO_ROWS "No rows for this period"

/*
 * A table: a dark header row repeated on every page the table spans, zebra
 * rows, numbers right-aligned, long text shortened with "…", an optional
 * bold totals row; a row is never split and the header never ends a page.
 */
static void draw_table(render *r, const doc_block *b)
{
    const doc_table *t = &b->table;
    pdf_style body = style(r, 0, CELL_PT, PDF_INK);
    pdf_style tot = style(r, 1, CELL_PT, PDF_INK);
    size_t row, c, rows = t->nrows + (t->totals ? 1 : 0);
    double *w;

    if (!t->cols || t->ncols == 0)
        return;
    w = table_widths(r, t);
    r->y -= 2;
    need(r, table_min_h(r, t) + 2);
    if (t->title && *t->title) {
        pdf_style ti = style(r, 1, H2_PT, PDF_INK);

        text_lines(r, &ti, r->margin, r->content_w, H2_LH, t->title, 0);
        r->y -= 4;
    }
    table_header(r, t, w, 0);
    for (row = 0; row < rows; row++) {
        int is_total = t->totals && row == t->nrows;
        const pdf_style *st = is_total ? &tot : &body;
        double x = r->margin;

        if (!fits(r, ROW_H)) {
            new_page(r);
            table_header(r, t, w, 1);
        }
        if (is_total) {
            rect(r->page, r->margin, r->y - ROW_H, r->content_w, ROW_H, r->zebra);
            hline(r->page, r->margin, r->margin + r->content_w, r->y, 0.8, PDF_FAINT);
        } else if (row % 2 == 1) {
            rect(r->page, r->margin, r->y - ROW_H, r->content_w, ROW_H, r->tint);
        }
        for (c = 0; c < t->ncols; c++) {
            const char *s = cell(t, row, c);
            int num = t->cols[c].numeric;

            pdf_text_fit(r->page, st, num ? x + w[c] - CELL_PAD : x + CELL_PAD,
                         baseline(r->y, CELL_PT, ROW_H), num ? PDF_RIGHT : PDF_LEFT,
                         w[c] - 2 * CELL_PAD, s, strlen(s));
            x += w[c];
        }
        r->y -= ROW_H;
    }
    if (!rows) {
        /* A table no row passed (a filter, an empty source): say so. */
        pdf_style faint = style(r, 0, CELL_PT, PDF_FAINT);

        pdf_text_fit(r->page, &faint, r->margin + CELL_PAD, baseline(r->y, CELL_PT, ROW_H),
                     PDF_LEFT, r->content_w - 2 * CELL_PAD, TABLE_NO_ROWS,
                     strlen(TABLE_NO_ROWS));
        r->y -= ROW_H;
    }
    hline(r->page, r->margin, r->margin + r->content_w, r->y, 0.6, PDF_RULE);
    r->y -= 16;
}

/* ------------------------------------------------------------ contents */

static void add_entry(render *r, const char *title, int level, double y)
{
    toc_entry *e;

    r->toc = grow(r, r->toc, &r->toc_cap, r->ntoc, sizeof *r->toc);
    e = &r->toc[r->ntoc++];
    e->title = title;
    e->level = level;
    e->page = r->npages - 1;
    e->dest = HPDF_Page_CreateDestination(r->page);
    HPDF_Destination_SetXYZ(e->dest, 0, (HPDF_REAL)fmin(y + 12, r->page_h), 1);
    if (level == 1 || !r->last_outline) {
        e->outline = HPDF_CreateOutline(r->pdf, NULL, clean(r, title), r->utf8);
        if (level == 1)
            r->last_outline = e->outline;
    } else {
        e->outline = HPDF_CreateOutline(r->pdf, r->last_outline, clean(r, title), r->utf8);
    }
    HPDF_Outline_SetDestination(e->outline, e->dest);
}

#define TOC_LH 20.0

/* Headings the contents page will list: sections and heading blocks. */
static size_t count_entries(const quire_doc *doc)
{
    size_t i, j, n = 0;

    for (i = 0; i < doc->nsections; i++) {
        n++;
        for (j = 0; j < doc->sections[i].nblocks; j++)
            n += doc->sections[i].blocks[j].kind == DOC_HEADING;
    }
    return n;
}

static double toc_first_y(const render *r)
{
    return r->toc_top - 60;
}

/* The height the contents take when they fit on one page. */
static double toc_h(const quire_doc *doc)
{
    return 60 + (double)count_entries(doc) * TOC_LH + 4.0 * (double)doc->nsections;
}

/* Pages to reserve for the contents. */
static size_t toc_pages(const render *r, size_t n)
{
    size_t first = (size_t)((toc_first_y(r) - r->bottom) / TOC_LH);
    size_t more = (size_t)((r->top - r->bottom) / TOC_LH);

    if (n <= first)
        return 1;
    return 1 + (n - first + more - 1) / more;
}

/*
 * Fill the reserved contents pages: each entry with dot leaders to its page
 * number (the page it was drawn on, counted as the footer counts), the whole
 * line a link to the heading.
 */
static void draw_contents(render *r)
{
    pdf_style h = style(r, 1, H1_PT + 3, PDF_INK);
    pdf_style e1 = style(r, 1, BODY_PT, PDF_INK);
    pdf_style e2 = style(r, 0, BODY_PT - 0.5, PDF_MUTED);
    pdf_style num = style(r, 0, BODY_PT, PDF_INK);
    static const HPDF_UINT16 dots[] = {1, 3};
    size_t i, pg = 0;
    double y;
    HPDF_Page page = r->pages[r->toc_page];

    pdf_text(page, &h, r->margin, r->toc_top - 24, PDF_LEFT, "Contents", 8);
    hline(page, r->margin, r->margin + 56, r->toc_top - 36, 2.2, r->accent);
    y = toc_first_y(r);
    for (i = 0; i < r->ntoc; i++) {
        const toc_entry *e = &r->toc[i];
        const pdf_style *st = e->level == 1 ? &e1 : &e2;
        double indent = e->level == 1 ? 0 : 16, tw, nw, base;
        char nb[32];
        HPDF_Rect rc;
        HPDF_Annotation a;

        if (y - TOC_LH < r->bottom && pg + 1 < r->ntoc_pages) {
            page = r->pages[r->toc_page + ++pg];
            y = r->top;
        }
        if (e->level == 1 && i > 0)
            y -= 4;
        base = baseline(y, BODY_PT, TOC_LH);
        snprintf(nb, sizeof nb, "%zu", e->page + 1);
        nw = pdf_style_width(&num, nb, strlen(nb));
        tw = pdf_text_fit(page, st, r->margin + indent, base, PDF_LEFT,
                          r->content_w - indent - nw - 40, e->title, strlen(e->title));
        pdf_text(page, &num, r->margin + r->content_w, base, PDF_RIGHT, nb, strlen(nb));
        HPDF_Page_SetLineWidth(page, 0.8);
        pdf_stroke(page, PDF_FAINT);
        HPDF_Page_SetLineCap(page, HPDF_ROUND_END);
        HPDF_Page_SetDash(page, dots, 2, 0);
        HPDF_Page_MoveTo(page, (HPDF_REAL)(r->margin + indent + tw + 6), (HPDF_REAL)(base + 1));
        HPDF_Page_LineTo(page, (HPDF_REAL)(r->margin + r->content_w - nw - 6),
                         (HPDF_REAL)(base + 1));
        HPDF_Page_Stroke(page);
        HPDF_Page_SetDash(page, NULL, 0, 0);
        HPDF_Page_SetLineCap(page, HPDF_BUTT_END);
        rc.left = (HPDF_REAL)r->margin;
        rc.right = (HPDF_REAL)(r->margin + r->content_w);
        rc.bottom = (HPDF_REAL)(y - TOC_LH);
        rc.top = (HPDF_REAL)y;
        a = HPDF_Page_CreateLinkAnnot(page, rc, e->dest);
        HPDF_LinkAnnot_SetBorderStyle(a, 0, 0, 0);
        y -= TOC_LH;
    }
}

/* ------------------------------------------------------------ sections */

static void draw_heading(render *r, const char *text)
{
    pdf_style h2 = style(r, 1, H2_PT + 1, PDF_INK);

    if (!text || !*text)
        return;
    r->y -= 4;
    need(r, lines_h(r, 1, H2_PT + 1, H2_LH + 2, r->content_w, text) + 8 + 2 * BODY_LH);
    add_entry(r, text, 2, r->y);
    text_lines(r, &h2, r->margin, r->content_w, H2_LH + 2, text, 0);
    r->y -= 6;
}

static void draw_block(render *r, const doc_block *b, const doc_block *next)
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
    case DOC_HEADING:
        /* Never alone at a page foot: it moves with what follows it. */
        if (next && b->text)
            need(r, lines_h(r, 1, H2_PT + 1, H2_LH + 2, r->content_w, b->text) + 14 +
                        fmin(block_min_h(r, next), r->top - r->bottom - 60));
        draw_heading(r, b->text);
        break;
    case DOC_BULLETS:
        draw_bullets(r, b);
        break;
    case DOC_TILES:
        draw_tiles(r, b);
        break;
    case DOC_TABLE:
        draw_table(r, b);
        break;
    }
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
    head_h = lines_h(r, 1, H1_PT, H1_LH, r->content_w, title) + 14 +
             (s->intro && *s->intro ? lines_h(r, 0, BODY_PT, BODY_LH, r->content_w, s->intro) : 0) +
             14 + (s->nblocks ? block_min_h(r, &s->blocks[0]) : 0);
    /* Sections flow: one starts a page only when its heading and first
     * block do not fit under the one before (or the title page stands
     * alone). */
    if ((idx == 0 && r->own_title_page) || !fits(r, head_h))
        new_page(r);
    else if (idx > 0)
        r->y -= 12;

    top = r->y;
    add_entry(r, title, 1, top);
    text_lines(r, &h1, r->margin, r->content_w, H1_LH, title, 0);
    r->y -= 5;
    hline(r->page, r->margin, r->margin + r->content_w, r->y, 0.6, PDF_RULE);
    hline(r->page, r->margin, r->margin + 56, r->y, 2.2, r->accent);
    r->y -= 9;
    if (s->intro && *s->intro)
        text_lines(r, &intro, r->margin, r->content_w, BODY_LH, s->intro, 0);
    r->y -= 14;
    for (i = 0; i < s->nblocks; i++) {
        const doc_block *b = &s->blocks[i], *next = i + 1 < s->nblocks ? b + 1 : NULL;
        const char *what = b->kind == DOC_CHART ? b->chart.title
                           : b->kind == DOC_TABLE ? b->table.title : NULL;

        /* A failure names the block it happened in. */
        snprintf(r->what, sizeof r->what, "%s: cannot lay out section \"%s\", block %zu%s%s%s",
                 r->path, title, i + 1, what ? " (\"" : "", what ? what : "", what ? "\")" : "");
        /* Two small charts in a row share it. */
        if (b->kind == DOC_CHART && next && next->kind == DOC_CHART && half_width(r, &b->chart) &&
            half_width(r, &next->chart)) {
            draw_chart_pair(r, &b->chart, &next->chart);
            i++;
            continue;
        }
        draw_block(r, b, next);
    }
    snprintf(r->what, sizeof r->what, "%s: cannot lay out the report", r->path);
}

/* The logo (theme.logo, or page.logo's PNG), loaded once; NULL: none. */
static HPDF_Image logo_image(render *r, const quire_doc *doc)
{
    const char *path = doc->theme.logo ? doc->theme.logo : doc->logo;
    int jpeg = doc->theme.logo && doc->theme.logo_jpeg;

    if (!path || !*path)
        return NULL;
    if (!r->logo) {
        snprintf(r->what, sizeof r->what, "%s: cannot load the logo (a %s file)", path,
                 jpeg ? "JPEG" : "PNG");
        r->code = QUIRE_EXIT_DATA;
        r->logo = jpeg ? HPDF_LoadJpegImageFromFile(r->pdf, path)
                       : HPDF_LoadPngImageFromFile(r->pdf, path);
        r->code = QUIRE_EXIT_DELIVERY;
        snprintf(r->what, sizeof r->what, "%s: cannot lay out the report", r->path);
    }
    return r->logo;
}

/* The logo's scale to fit max_w by max_h points. */
static double logo_scale(HPDF_Image img, double max_w, double max_h, double *w, double *h)
{
    *w = HPDF_Image_GetWidth(img);
    *h = HPDF_Image_GetHeight(img);
    return fmin(max_h / *h, max_w / *w);
}

/* The logo, scaled to at most 48 pt high and 160 pt wide, at the top: left,
 * or centred for a centred cover. */
static void draw_logo(render *r, const quire_doc *doc)
{
    HPDF_Image img = logo_image(r, doc);
    double w, h, k, x = r->margin;

    k = logo_scale(img, 160, 48, &w, &h);
    if (doc->theme.cover == DOC_COVER_CENTERED)
        x = r->margin + (r->content_w - w * k) / 2;
    HPDF_Page_DrawImage(r->page, img, (HPDF_REAL)x, (HPDF_REAL)(r->y - h * k),
                        (HPDF_REAL)(w * k), (HPDF_REAL)(h * k));
    r->y -= h * k + 24;
}

/* The title, subtitle and period: their height from the rule down. */
static double title_lines_h(render *r, const quire_doc *doc, double tpt, double tlh)
{
    double h = 14 + 12;

    if (doc->title && *doc->title)
        h += lines_h(r, 1, tpt, tlh, r->content_w, doc->title);
    if (doc->subtitle && *doc->subtitle)
        h += 5 + lines_h(r, 0, SUBTITLE_PT, SUBTITLE_LH, r->content_w, doc->subtitle);
    if (doc->period && *doc->period)
        h += 9 + lines_h(r, 1, BODY_PT, BODY_LH, r->content_w, doc->period);
    return h;
}

/* The height of the title block (draw_title_block) below its rule. */
static double title_block_h(render *r, const quire_doc *doc)
{
    double h = title_lines_h(r, doc, r->own_title_page ? TITLE_PT + 6 : TITLE_PT,
                             r->own_title_page ? TITLE_LH + 7 : TITLE_LH) + 20;
    size_t i;

    if (doc->objective && *doc->objective)
        h += 18 + 4 + lines_h(r, 0, BODY_PT, BODY_LH, r->content_w, doc->objective) + 26;
    for (i = 0; i < doc->nnotes; i++)
        h += (i ? 0 : 18 + 4 + 20) + lines_h(r, 0, BODY_PT, BODY_LH, r->content_w, doc->notes[i]) + 6;
    return h;
}

static double toc_h(const quire_doc *doc);

static void draw_title_block(render *r, const quire_doc *doc)
{
    int cover = doc->theme.cover;
    int align = cover == DOC_COVER_CENTERED ? PDF_CENTER : PDF_LEFT;
    quire_rgb ink = PDF_INK, muted = PDF_MUTED, accent = r->accent;
    pdf_style title, sub, period;
    pdf_style h2 = style(r, 1, 13, PDF_INK);
    double tpt = r->own_title_page ? TITLE_PT + 6 : TITLE_PT;
    double tlh = r->own_title_page ? TITLE_LH + 7 : TITLE_LH;
    double rule_x = r->margin;

    if (cover == DOC_COVER_BAND) {
        /* A band of the accent across the top of the page, from its edge to
         * under the period, the title block in white on it. */
        double y = r->y, band_bottom;

        if (logo_image(r, doc)) {
            double w, h, k = logo_scale(logo_image(r, doc), 160, 48, &w, &h);

            y -= h * k + 24;
        }
        if (r->own_title_page)
            y = fmin(y, r->top - (r->top - r->bottom) * 0.22);
        band_bottom = y - title_lines_h(r, doc, tpt, tlh) - 8;
        rect(r->page, 0, band_bottom, r->page_w, r->page_h - band_bottom, r->accent);
        ink = (quire_rgb){1, 1, 1};
        muted = toward_white(r->accent, 0.8);
        accent = ink;
    }
    title = style(r, 1, tpt, ink);
    sub = style(r, 0, SUBTITLE_PT, muted);
    period = style(r, 1, BODY_PT, accent);
    if (logo_image(r, doc))
        draw_logo(r, doc);
    if (r->own_title_page) {
        /* The title stands a fifth of the way down the page, or higher when
         * that lets the contents fit under it. */
        double drop = (r->top - r->bottom) * 0.22;
        double room = r->y - r->bottom - title_block_h(r, doc) - toc_h(doc);

        if (doc->contents && room < drop && room > 0 && cover != DOC_COVER_BAND)
            drop = room;
        r->y = fmin(r->y, r->top - drop);
    }
    if (align == PDF_CENTER)
        rule_x = r->margin + (r->content_w - 56) / 2;
    hline(r->page, rule_x, rule_x + 56, r->y, 3, accent);
    r->y -= 14;
    if (doc->title && *doc->title)
        text_lines_at(r, &title, r->margin, r->content_w, tlh, doc->title, align);
    if (doc->subtitle && *doc->subtitle) {
        r->y -= 5;
        text_lines_at(r, &sub, r->margin, r->content_w, SUBTITLE_LH, doc->subtitle, align);
    }
    if (doc->period && *doc->period) {
        r->y -= 9;
        text_lines_at(r, &period, r->margin, r->content_w, BODY_LH, doc->period, align);
    }
    if (cover == DOC_COVER_BAND)
        r->y -= 8;
    r->y -= 12;
    hline(r->page, r->margin, r->margin + r->content_w, r->y, 0.6, PDF_RULE);
    r->y -= 20;
    if (doc->objective && *doc->objective) {
        need(r, 18 + 2 * BODY_LH);
        text_lines(r, &h2, r->margin, r->content_w, 18, "Report Objective", 0);
        r->y -= 4;
        draw_paragraph(r, doc->objective, 0);
        r->y -= 26;
    }
    if (doc->nnotes) {
        size_t i;
        need(r, 18 + 2 * BODY_LH);
        text_lines(r, &h2, r->margin, r->content_w, 18, "Data notes", 0);
        r->y -= 4;
        for (i = 0; i < doc->nnotes; i++) {
            draw_paragraph(r, doc->notes[i], 0);
            r->y -= 6;
        }
        r->y -= 20;
    }
}

/* The running header (every page but a title page of its own) and the
 * footer: title, "Generated …", "Page N of M". */
static void draw_headers_footers(render *r, const quire_doc *doc)
{
    pdf_style st = style(r, 0, FOOT_PT, PDF_FAINT);
    double foot_y = fmax(r->margin - 18, 14), rule_y = foot_y + 14;
    double head_y = r->page_h - r->margin + 16, hrule_y = head_y - 6;
    char buf[64], gen[160];
    size_t i;

    gen[0] = '\0';
    if (doc->generated && *doc->generated)
        snprintf(gen, sizeof gen, "Generated %s", doc->generated);
    for (i = 0; i < r->npages; i++) {
        HPDF_Page page = r->pages[i];
        double right_w, gen_w = 0, left_max;

        if (i > 0) {
            /* The first page shows the title block instead. */
            double pw = 0, lx = r->margin;

            if (doc->period && *doc->period) {
                pw = pdf_style_width(&st, doc->period, strlen(doc->period));
                pdf_text(page, &st, r->margin + r->content_w, head_y, PDF_RIGHT, doc->period,
                         strlen(doc->period));
            }
            if (doc->theme.logo && doc->theme.header_logo) {
                /* the theme's logo before the title, as high as the header's text */
                HPDF_Image img = logo_image(r, doc);
                double w, h, k = logo_scale(img, 80, 16, &w, &h);

                HPDF_Page_DrawImage(page, img, (HPDF_REAL)r->margin, (HPDF_REAL)(hrule_y + 3),
                                    (HPDF_REAL)(w * k), (HPDF_REAL)(h * k));
                lx = r->margin + w * k + 8;
            }
            if (doc->title)
                pdf_text_fit(page, &st, lx, head_y, PDF_LEFT, r->content_w - pw - 24 -
                             (lx - r->margin), doc->title, strlen(doc->title));
            hline(page, r->margin, r->margin + r->content_w, hrule_y, 0.4, PDF_GRID);
        }
        snprintf(buf, sizeof buf, "Page %zu of %zu", i + 1, r->npages);
        hline(page, r->margin, r->margin + r->content_w, rule_y, 0.5, PDF_RULE);
        right_w = pdf_style_width(&st, buf, strlen(buf));
        pdf_text(page, &st, r->margin + r->content_w, foot_y, PDF_RIGHT, buf, strlen(buf));
        left_max = r->content_w - right_w - 24;
        if (gen[0]) {
            /* "Generated …" sits before the page number, a dot between. */
            gen_w = pdf_style_width(&st, gen, strlen(gen));
            pdf_text(page, &st, r->margin + r->content_w - right_w - 16, foot_y, PDF_RIGHT, gen,
                     strlen(gen));
            pdf_text(page, &st, r->margin + r->content_w - right_w - 8, foot_y, PDF_CENTER,
                     "\xC2\xB7", 2);
            left_max -= gen_w + 16;
        }
        if (doc->title && left_max > 20)
            pdf_text_fit(page, &st, r->margin, foot_y, PDF_LEFT, left_max, doc->title,
                         strlen(doc->title));
    }
}

/* ------------------------------------------------------------ preflight */

typedef void (*str_fn)(render *r, const char *s);

static void walk_chart(render *r, const doc_chart *c, str_fn fn)
{
    size_t i;

    fn(r, c->title);
    fn(r, c->subtitle);
    fn(r, c->x_title);
    fn(r, c->y_title);
    fn(r, c->row_title);
    for (i = 0; c->cats && i < c->ncats; i++)
        fn(r, c->cats[i]);
    for (i = 0; c->series && i < c->nseries; i++)
        fn(r, c->series[i]);
}

/* Call fn on every string of the document that is drawn. */
static void walk(render *r, const quire_doc *doc, str_fn fn)
{
    size_t i, j, k;

    fn(r, doc->title);
    fn(r, doc->subtitle);
    fn(r, doc->objective);
    for (i = 0; i < doc->nnotes; i++)
        fn(r, doc->notes[i]);
    fn(r, doc->period);
    fn(r, doc->generated);
    for (i = 0; i < doc->nsections; i++) {
        const doc_section *s = &doc->sections[i];

        fn(r, s->title);
        fn(r, s->intro);
        for (j = 0; j < s->nblocks; j++) {
            const doc_block *b = &s->blocks[j];

            fn(r, b->text);
            for (k = 0; b->items && k < b->nitems; k++) {
                fn(r, b->items[k]);
                if (b->answers)
                    fn(r, b->answers[k]);
            }
            if (b->kind == DOC_CHART)
                walk_chart(r, &b->chart, fn);
            for (k = 0; b->tiles && k < b->ntiles; k++) {
                size_t l;
                fn(r, b->tiles[k].label);
                fn(r, b->tiles[k].caption);
                for (l = 0; l < b->tiles[k].nlines; l++)
                    fn(r, b->tiles[k].lines[l].text);
            }
            if (b->kind == DOC_TABLE && b->table.cols) {
                const doc_table *t = &b->table;
                size_t n = (t->nrows + (t->totals ? 1 : 0)) * t->ncols;

                fn(r, t->title);
                for (k = 0; k < t->ncols; k++)
                    fn(r, t->cols[k].title);
                for (k = 0; t->cells && k < n; k++)
                    fn(r, t->cells[k]);
            }
        }
    }
}

/* Which extra faces the document needs. */
static void scan_scripts(render *r, const char *s)
{
    size_t len, i = 0;

    if (!s)
        return;
    len = strlen(s);
    while (i < len) {
        uint32_t cp = quire_utf8_next(s, len, &i);

        if (cp >= 0x1100)
            r->scripts |= 1u << pdf_script(cp);
    }
}

/* Right-to-left and shaped scripts: Hebrew, Arabic, Syriac, Thaana, N'Ko,
 * the Indic scripts, Thai to Khmer, and Arabic presentation forms. */
static int needs_shaping(uint32_t cp)
{
    return (cp >= 0x0590 && cp <= 0x08FF) || (cp >= 0x0900 && cp <= 0x0DFF) ||
           (cp >= 0x0E00 && cp <= 0x0EFF) || (cp >= 0x1000 && cp <= 0x109F) ||
           (cp >= 0x1780 && cp <= 0x17FF) || (cp >= 0xFB1D && cp <= 0xFDFF) ||
           (cp >= 0xFE70 && cp <= 0xFEFF);
}

static void problem(render *r, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

static void problem(render *r, const char *fmt, ...)
{
    va_list ap;

    r->nproblems++;
    if (r->nproblems > 8)
        return; /* the first few say enough */
    va_start(ap, fmt);
    vsnprintf(r->problem, sizeof r->problem, fmt, ap);
    va_end(ap);
    if (r->strict) {
        if (r->nproblems == 1)
            snprintf(r->first_problem, sizeof r->first_problem, "%s", r->problem);
    } else {
        qlog(LOG_WARN, "%s: %s", r->path, r->problem);
    }
}

/* Every character has a glyph in the face that will draw it and needs no
 * shaping; characters beyond U+FFFF cannot be drawn at all. */
static void check_glyphs(render *r, const char *s)
{
    pdf_style st = style(r, 0, 10, PDF_INK);
    size_t len, i = 0;

    if (!s)
        return;
    len = strlen(s);
    while (i < len) {
        uint32_t cp = quire_utf8_next(s, len, &i), d = pdf_drawable(cp);
        HPDF_Font f;
        HPDF_FontAttr at;
        size_t k;
        int seen = 0;

        if (d == ' ' || (cp >= 0x0300 && cp <= 0x036F))
            continue;
        for (k = 0; k < r->nreported && !seen; k++)
            seen = r->reported[k] == cp;
        if (seen)
            continue;
        f = pdf_font_for(&st, d);
        at = (HPDF_FontAttr)f->attr;
        if (d != cp)
            problem(r, "U+%04X in \"%.60s\" is outside the Basic Multilingual Plane and is drawn as U+FFFD",
                    (unsigned)cp, s);
        else if (needs_shaping(cp))
            problem(r, "U+%04X in \"%.60s\" belongs to a script that needs shaping or right-to-left "
                    "layout, which the renderer does not support", (unsigned)cp, s);
        else if (HPDF_TTFontDef_GetGlyphid(at->fontdef, (HPDF_UINT16)cp) == 0)
            problem(r, "U+%04X in \"%.60s\" has no glyph in the embedded fonts", (unsigned)cp, s);
        else
            continue;
        if (r->nreported < sizeof r->reported / sizeof r->reported[0])
            r->reported[r->nreported++] = cp;
    }
}

/* ------------------------------------------------------------ document */

static int valid_date(const int d[6])
{
    if (d[0] < 1 || d[0] > 9999 || !quire_valid_date(d[0], d[1], d[2]))
        return 0;
    return d[3] >= 0 && d[3] <= 23 && d[4] >= 0 && d[4] <= 59 && d[5] >= 0 && d[5] <= 59;
}

static HPDF_Font load_font(render *r, const char *path, int ttc, const char *warmup)
{
    HPDF_Font f;
    const char *name;

    snprintf(r->what, sizeof r->what, "%s: cannot load font", path);
    r->code = QUIRE_EXIT_DATA;
    name = ttc ? HPDF_LoadTTFontFromFile2(r->pdf, path, 0, HPDF_TRUE)
               : HPDF_LoadTTFontFromFile(r->pdf, path, HPDF_TRUE);
    f = HPDF_GetFont(r->pdf, name, "UTF-8");
    /* Mark the intermediate composite glyphs for embedding (see pdf.h). */
    if (warmup)
        HPDF_Font_TextWidth(f, (const HPDF_BYTE *)warmup, (HPDF_UINT)strlen(warmup));
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

static void geometry(render *r, const quire_doc *doc)
{
    const doc_theme *th = &doc->theme;

    r->page_w = doc->letter ? 612.0 : 595.276;
    r->page_h = doc->letter ? 792.0 : 841.89;
    if (th->landscape) {
        double w = r->page_w;

        r->page_w = r->page_h;
        r->page_h = w;
    }
    r->accent = PDF_ACCENT;
    r->tint = PDF_TINT;
    r->head = (quire_rgb){0.09, 0.20, 0.38};
    r->zebra = (quire_rgb){0.88, 0.91, 0.95};
    r->answer = (quire_rgb){0.11, 0.24, 0.42};
    if (th->has_accent) {
        /* the rest of the palette follows the accent, as the defaults do */
        r->accent = th->accent;
        r->tint = toward_white(th->accent, 0.93);
        r->zebra = toward_white(th->accent, 0.86);
        r->head = darker(th->accent, 0.58);
        r->answer = darker(th->accent, 0.65);
    }
    r->margin = doc->margin > 0 ? fmin(fmax(doc->margin, 30), 150) : 50.0;
    r->content_w = r->page_w - 2 * r->margin;
    r->top = r->page_h - r->margin;
    r->bottom = r->margin + 16; /* the footer sits below */
    r->fonts.page_w = r->page_w;
    r->fonts.page_h = r->page_h;
    r->own_title_page = doc->contents;
    r->strict = doc->strict;
}

static int by_name(const void *a, const void *b)
{
    return strcmp((*(const doc_file *const *)a)->name, (*(const doc_file *const *)b)->name);
}

/*
 * Embed the document's files in name order: libharu 2.3.0's name tree
 * appends correctly but misplaces a key inserted before an existing one.
 */
static void attach_all(render *r, const quire_doc *doc)
{
    const doc_file **order;
    size_t i;

    if (doc->nfiles == 0)
        return;
    order = owned_alloc(r, doc->nfiles * sizeof *order);
    for (i = 0; i < doc->nfiles; i++)
        order[i] = &doc->files[i];
    qsort(order, doc->nfiles, sizeof *order, by_name);
    for (i = 0; i < doc->nfiles; i++) {
        snprintf(r->what, sizeof r->what, "%s: cannot attach %s", r->path, order[i]->name);
        if (pdf_attach(r->pdf, order[i]))
            on_error(HPDF_GetError(r->pdf), HPDF_GetErrorDetail(r->pdf), r);
    }
}

/* What a document starts with, whatever it holds: compression, UTF-8, and
 * the theme's two faces (checked as TrueType when the spec was read), or
 * DejaVu Sans, whose composite glyphs need the warm-up (text.h). Called
 * under setjmp. */
static void start_doc(render *r, const char *font, const char *bold_font)
{
    HPDF_SetCompressionMode(r->pdf, HPDF_COMP_ALL); /* before the first page */
    HPDF_UseUTFEncodings(r->pdf);
    HPDF_SetCurrentEncoder(r->pdf, "UTF-8");
    r->utf8 = HPDF_GetEncoder(r->pdf, "UTF-8");
    if (font) {
        r->fonts.regular = load_font(r, font, 0, NULL);
        r->fonts.bold = bold_font ? load_font(r, bold_font, 0, NULL) : r->fonts.regular;
    } else {
        r->fonts.regular = load_font(r, PDF_FONT_REGULAR, 0, PDF_DEJAVU_WARMUP);
        r->fonts.bold = bold_font ? load_font(r, bold_font, 0, NULL)
                                  : load_font(r, PDF_FONT_BOLD, 0, PDF_DEJAVU_WARMUP);
    }
}

/* ------------------------------------------------------------ prepared */

struct pdf_prep {
    pthread_t thread;
    int running;        /* the thread is to be joined */
    render *r;          /* with its document and faces; NULL once taken */
    char *font, *bold_font;
    int ok;             /* the faces are loaded */
    hpdf_block *blocks; /* libharu's memory, as the thread left it */
    double seconds;
};

static void *prep_thread(void *arg)
{
    pdf_prep *p = arg;
    render *r = p->r;
    double t0 = quire_monotonic();

    if (setjmp(r->jb) == 0) {
        r->pdf = HPDF_NewEx(on_error, hpdf_alloc, hpdf_free, 0, r);
        if (r->pdf) {
            start_doc(r, p->font, p->bold_font);
            p->ok = 1;
        }
    }
    if (!p->ok) {
        /* The render makes its own, and says what went wrong. */
        if (r->pdf)
            HPDF_Free(r->pdf);
        r->pdf = NULL;
        hpdf_release();
    }
    p->blocks = hpdf_live;
    hpdf_live = NULL;
    p->seconds = quire_monotonic() - t0;
    return NULL;
}

static char *dup_or_null(const char *s)
{
    return s ? xstrdup(s) : NULL;
}

pdf_prep *pdf_prep_start(const char *font, const char *bold_font)
{
    pdf_prep *p = xcalloc(1, sizeof *p);

    p->r = xcalloc(1, sizeof *p->r);
    p->font = dup_or_null(font);
    p->bold_font = dup_or_null(bold_font);
    p->running = pthread_create(&p->thread, NULL, prep_thread, p) == 0;
    if (!p->running) {
        pdf_prep_free(p);
        return NULL;
    }
    return p;
}

static int same_path(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

/* The prepared render for doc, joined and its memory this thread's; NULL
 * when it failed or loaded other faces. */
static render *prep_take(pdf_prep *p, const quire_doc *doc)
{
    render *r;

    if (!p || !p->r)
        return NULL;
    if (p->running) {
        pthread_join(p->thread, NULL);
        p->running = 0;
    }
    if (!p->ok || !same_path(p->font, doc->theme.font) ||
        !same_path(p->bold_font, doc->theme.bold_font))
        return NULL;
    hpdf_adopt(p->blocks);
    p->blocks = NULL;
    r = p->r;
    p->r = NULL;
    qlog(LOG_INFO, "pdf: faces loaded beforehand, on a thread of their own, in %.4f s",
         p->seconds);
    return r;
}

void pdf_prep_free(pdf_prep *p)
{
    if (!p)
        return;
    if (p->running)
        pthread_join(p->thread, NULL);
    if (p->r) {
        /* Not taken: its document goes, with this thread's list (no other
         * document is open on it now). */
        hpdf_adopt(p->blocks);
        if (p->r->pdf)
            HPDF_Free(p->r->pdf);
        hpdf_release();
        free(p->r);
    }
    free(p->font);
    free(p->bold_font);
    free(p);
}

/* Build the whole PDF into r->out. Called under setjmp. */
static void build(render *r, const quire_doc *doc)
{
    HPDF_UINT32 size, got = 0;
    size_t i;

    geometry(r, doc);
    if (!r->fonts.regular)
        start_doc(r, doc->theme.font, doc->theme.bold_font);
    /* The CJK and Hangul faces cost 100-500 KB each: only when needed. */
    walk(r, doc, scan_scripts);
    if (r->scripts & (1u << PDF_SCRIPT_CJK))
        r->fonts.cjk = load_font(r, PDF_FONT_CJK, 1, NULL);
    if (r->scripts & (1u << PDF_SCRIPT_HANGUL))
        r->fonts.hangul = load_font(r, PDF_FONT_HANGUL, 0, NULL);
    walk(r, doc, check_glyphs);

    snprintf(r->what, sizeof r->what, "%s: cannot lay out the report", r->path);
    r->code = QUIRE_EXIT_DELIVERY;
    set_info(r, doc);
    HPDF_SetPageMode(r->pdf, doc->nsections ? HPDF_PAGE_MODE_USE_OUTLINE
                                            : HPDF_PAGE_MODE_USE_NONE);
    new_page(r);
    draw_title_block(r, doc);
    if (doc->contents && fits(r, toc_h(doc))) {
        /* The contents under the title, when they fit there. */
        r->toc_top = r->y;
        r->toc_page = r->npages - 1;
        r->ntoc_pages = 1;
        r->y -= toc_h(doc);
    } else if (doc->contents) {
        r->toc_top = r->top;
        r->toc_page = r->npages;
        r->ntoc_pages = toc_pages(r, count_entries(doc));
        for (i = 0; i < r->ntoc_pages; i++)
            new_page(r);
    }
    for (i = 0; i < doc->nsections; i++)
        draw_section(r, &doc->sections[i], i);
    if (doc->contents)
        draw_contents(r);
    draw_headers_footers(r, doc);
    attach_all(r, doc);
    if (r->fonts.offpage)
        problem(r, "%u text runs reach beyond the page", r->fonts.offpage);
    if (r->strict && r->nproblems) {
        snprintf(r->what, sizeof r->what,
                 "preflight found %u problem%s (strict mode); the first: %s", r->nproblems,
                 r->nproblems == 1 ? "" : "s", r->first_problem);
        r->code = QUIRE_EXIT_DATA;
        r->err = HPDF_OK;
        r->preflight = 1;
        longjmp(r->jb, 1);
    }

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

static int render_with(render *r, const quire_doc *doc, const char *path, atomic_batch *batch,
                       quire_error *err);

int pdf_render_batch(const quire_doc *doc, const char *path, atomic_batch *batch,
                     pdf_prep *prep, quire_error *err)
{
    render *r;

    if (!doc || !path || !*path)
        return quire_err(err, QUIRE_EXIT_USAGE, "pdf_render: no document or no output path");
    if (doc->date[0] != 0 && !valid_date(doc->date))
        return quire_err(err, QUIRE_EXIT_DATA,
                         "%s: invalid document date %04d-%02d-%02d %02d:%02d:%02d", path,
                         doc->date[0], doc->date[1], doc->date[2], doc->date[3], doc->date[4],
                         doc->date[5]);
    r = prep_take(prep, doc);
    if (!r && !(r = calloc(1, sizeof *r)))
        return quire_err(err, QUIRE_EXIT_DELIVERY, "%s: out of memory", path);
    return render_with(r, doc, path, batch, err);
}

/* The render r (new, or prepared) of doc to path, freed when done. */
static int render_with(render *r, const quire_doc *doc, const char *path, atomic_batch *batch,
                       quire_error *err)
{
    int rc;

    r->path = path;
    snprintf(r->what, sizeof r->what, "%s: cannot create a PDF document", path);
    r->code = QUIRE_EXIT_DELIVERY;
    if (setjmp(r->jb)) {
        char eb[128];

        if (r->preflight)
            quire_err_at(err, r->code, path, 0, 0, "%s", r->what);
        else if (r->err == 0)
            quire_err(err, QUIRE_EXIT_DELIVERY, "%s: out of memory", path);
        else if (r->err == HPDF_FILE_OPEN_ERROR)
            quire_err(err, r->code, "%s: %s", r->what,
                      quire_strerror((int)r->detail, eb, sizeof eb));
        else {
            const char *name = pdf_error_name((unsigned)r->err);
            quire_err(err, r->code, "%s (libharu error 0x%04X %s, detail %u)", r->what,
                      (unsigned)r->err, name ? name : "(unknown to libharu 2.3.0)",
                      (unsigned)r->detail);
        }
        HPDF_Free(r->pdf);
        hpdf_release();
        free(r->pages);
        free(r->toc);
        owned_free(r);
        free(r->out);
        free(r);
        return -1;
    }
    /* libharu allocates through Quire's allocator (hpdf_alloc), and so
     * fails as the rest does when memory runs out. An error while it starts
     * comes back through on_error once the document has its handler, else
     * as NULL. */
    if (!r->pdf)
        r->pdf = HPDF_NewEx(on_error, hpdf_alloc, hpdf_free, 0, r);
    if (!r->pdf) {
        hpdf_release();
        free(r);
        return quire_err(err, QUIRE_EXIT_DELIVERY, "%s: cannot create a PDF document", path);
    }
    build(r, doc);
    HPDF_Free(r->pdf);
    hpdf_release();
    r->pdf = NULL;

    if (!batch) {
        rc = atomic_write(path, r->out, r->out_len, 0644, ATOMIC_EXACT_MODE, err);
    } else {
        atomic_file af;

        rc = atomic_open(&af, path, NULL, 0644, ATOMIC_EXACT_MODE, err) ||
                     atomic_put(&af, r->out, r->out_len, err) || atomic_sync(&af, err)
                 ? -1
                 : 0;
        if (rc == 0)
            atomic_batch_hold(batch, &af);
    }
    free(r->pages);
    free(r->toc);
    owned_free(r);
    free(r->out);
    free(r);
    return rc;
}

int pdf_render(const quire_doc *doc, const char *path, quire_error *err)
{
    return pdf_render_batch(doc, path, NULL, NULL, err);
}
