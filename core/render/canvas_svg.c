/*
 * canvas_svg.c - the canvas as an SVG image in memory.
 *
 * A path is built as the d attribute of one <path> and written when it is
 * painted, with the graphics state of that moment as its attributes (the
 * state is PDF's: set once, applies to what follows). The y axis is
 * flipped: the canvas counts up from the bottom, SVG down from the top.
 * Text is measured with the faces the PDF embeds (through libharu, as
 * text.c measures it), so a chart lays out here as it does on the page.
 */
#include <hpdf.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "canvas.h"
#include "text.h"
#include "util.h"

/* ------------------------------------------------------------ metrics */

struct canvas_metrics {
    HPDF_Doc pdf;
    pdf_fonts fonts;
    int tried_cjk, tried_hangul;
    unsigned long hpdf_error;
};

static void on_hpdf_error(HPDF_STATUS code, HPDF_STATUS detail, void *data)
{
    canvas_metrics *m = data;

    (void)detail;
    m->hpdf_error = (unsigned long)code;
}

static HPDF_Font load_face(canvas_metrics *m, const char *path, int ttc)
{
    const char *name;

    m->hpdf_error = 0;
    name = ttc ? HPDF_LoadTTFontFromFile2(m->pdf, path, 0, HPDF_FALSE)
               : HPDF_LoadTTFontFromFile(m->pdf, path, HPDF_FALSE);
    if (!name || m->hpdf_error) {
        HPDF_ResetError(m->pdf);
        return NULL;
    }
    return HPDF_GetFont(m->pdf, name, "UTF-8");
}

canvas_metrics *canvas_metrics_new(quire_error *err)
{
    canvas_metrics *m = xcalloc(1, sizeof *m);

    m->pdf = HPDF_New(on_hpdf_error, m);
    if (!m->pdf) {
        free(m);
        quire_err(err, QUIRE_EXIT_DELIVERY, "cannot set up the fonts to measure text with");
        return NULL;
    }
    HPDF_UseUTFEncodings(m->pdf);
    m->fonts.regular = load_face(m, PDF_FONT_REGULAR, 0);
    if (!m->fonts.regular) {
        quire_err(err, QUIRE_EXIT_DATA, "%s: cannot load font", PDF_FONT_REGULAR);
        canvas_metrics_free(m);
        return NULL;
    }
    m->fonts.bold = load_face(m, PDF_FONT_BOLD, 0);
    if (!m->fonts.bold) {
        quire_err(err, QUIRE_EXIT_DATA, "%s: cannot load font", PDF_FONT_BOLD);
        canvas_metrics_free(m);
        return NULL;
    }
    m->fonts.page_w = m->fonts.page_h = HUGE_VAL; /* nothing is off the page */
    return m;
}

void canvas_metrics_free(canvas_metrics *m)
{
    if (!m)
        return;
    if (m->pdf)
        HPDF_Free(m->pdf);
    free(m);
}

/* Load the CJK or Hangul face when s needs it and it was not tried yet
 * (a face that cannot be loaded measures as the regular one). */
static void need_faces(canvas_metrics *m, const char *s, size_t len)
{
    size_t i = 0;

    while (i < len && !(m->tried_cjk && m->tried_hangul)) {
        uint32_t cp = quire_utf8_next(s, len, &i);
        int sc = cp < 0x1100 ? PDF_SCRIPT_LATIN : pdf_script(cp);

        if (sc == PDF_SCRIPT_CJK && !m->tried_cjk) {
            m->tried_cjk = 1;
            m->fonts.cjk = load_face(m, PDF_FONT_CJK, 1);
        } else if (sc == PDF_SCRIPT_HANGUL && !m->tried_hangul) {
            m->tried_hangul = 1;
            m->fonts.hangul = load_face(m, PDF_FONT_HANGUL, 0);
        }
    }
}

static pdf_style metrics_style(canvas_metrics *m, const canvas_font *f, const char *s,
                               size_t len)
{
    pdf_style st = {f->bold ? m->fonts.bold : m->fonts.regular, f->size, f->color, &m->fonts};

    need_faces(m, s, len);
    return st;
}

/* ------------------------------------------------------------ the image */

typedef struct svg_canvas {
    canvas base;
    canvas_metrics *m;
    double w, h;
    strbuf out, d;          /* the document; the path being built */
    int open;               /* a subpath has a current point */
    double sx, sy;          /* its start (canvas coordinates) */
    quire_rgb fill_c, stroke_c;
    double lw, dash_on, dash_off;
    int cap, join;
    int finished;
} svg_canvas;

#define SVG(cv) ((svg_canvas *)(cv))

/* A coordinate or length in at most two decimals, no trailing zeros. */
static void num(strbuf *b, double v)
{
    char buf[48];
    size_t n;

    if (!isfinite(v))
        v = 0;
    v = nearbyint(v * 100) / 100;
    if (v == 0)
        v = 0; /* no "-0" */
    n = (size_t)snprintf(buf, sizeof buf, "%.2f", v);
    while (n > 0 && buf[n - 1] == '0')
        n--;
    if (n > 0 && buf[n - 1] == '.')
        n--;
    sb_add(b, buf, n);
}

static void pt(svg_canvas *s, char cmd, double x, double y)
{
    if (s->d.len)
        sb_add(&s->d, " ", 1);
    sb_add(&s->d, &cmd, 1);
    num(&s->d, x);
    sb_add(&s->d, " ", 1);
    num(&s->d, s->h - y);
}

static void color(strbuf *b, quire_rgb c)
{
    double v[3] = {c.r, c.g, c.b};
    int k;

    sb_add(b, "#", 1);
    for (k = 0; k < 3; k++) {
        double x = v[k] > 0 ? (v[k] < 1 ? v[k] : 1) : 0;
        sb_printf(b, "%02x", (unsigned)lround(x * 255));
    }
}

static void op_fill_color(canvas *cv, quire_rgb c)
{
    SVG(cv)->fill_c = c;
}

static void op_stroke_color(canvas *cv, quire_rgb c)
{
    SVG(cv)->stroke_c = c;
}

static void op_line_width(canvas *cv, double w)
{
    SVG(cv)->lw = w;
}

static void op_dash(canvas *cv, double on, double off)
{
    SVG(cv)->dash_on = on > 0 ? on : 0;
    SVG(cv)->dash_off = off > 0 ? off : 0;
}

static void op_line_cap(canvas *cv, int cap)
{
    SVG(cv)->cap = cap;
}

static void op_line_join(canvas *cv, int join)
{
    SVG(cv)->join = join;
}

static void op_move_to(canvas *cv, double x, double y)
{
    svg_canvas *s = SVG(cv);

    pt(s, 'M', x, y);
    s->open = 1;
    s->sx = x;
    s->sy = y;
}

static void op_line_to(canvas *cv, double x, double y)
{
    svg_canvas *s = SVG(cv);

    if (!s->open) {
        op_move_to(cv, x, y);
        return;
    }
    pt(s, 'L', x, y);
}

static void op_rect(canvas *cv, double x, double y, double w, double h)
{
    svg_canvas *s = SVG(cv);

    pt(s, 'M', x, y);
    sb_add(&s->d, "h", 1);
    num(&s->d, w);
    sb_add(&s->d, "v", 1);
    num(&s->d, -h);
    sb_add(&s->d, "h", 1);
    num(&s->d, -w);
    sb_add(&s->d, "Z", 1);
    s->open = 1; /* after a closed subpath the current point is its start */
    s->sx = x;
    s->sy = y;
}

/* An arc segment of at most half a turn to x, y (canvas coordinates). */
static void arc_to(svg_canvas *s, double r, int large, int sweep, double x, double y)
{
    sb_add(&s->d, " A", 2);
    num(&s->d, r);
    sb_add(&s->d, " ", 1);
    num(&s->d, r);
    sb_printf(&s->d, " 0 %d %d ", large, sweep);
    num(&s->d, x);
    sb_add(&s->d, " ", 1);
    num(&s->d, s->h - y);
}

static void op_circle(canvas *cv, double cx, double cy, double r)
{
    svg_canvas *s = SVG(cv);

    pt(s, 'M', cx - r, cy);
    arc_to(s, r, 0, 1, cx + r, cy);
    arc_to(s, r, 0, 1, cx - r, cy);
    sb_add(&s->d, "Z", 1);
    s->open = 1;
    s->sx = cx - r;
    s->sy = cy;
}

static void op_arc(canvas *cv, double cx, double cy, double r, double a0, double a1)
{
    svg_canvas *s = SVG(cv);
    double rad = M_PI / 180.0, span = a1 - a0;
    int n = (int)ceil(fabs(span) / 180.0), k;

    if (n < 1)
        n = 1;
    if (s->open)
        pt(s, 'L', cx + r * sin(a0 * rad), cy + r * cos(a0 * rad));
    else
        op_move_to(cv, cx + r * sin(a0 * rad), cy + r * cos(a0 * rad));
    for (k = 1; k <= n; k++) {
        double a = (a0 + span * k / n) * rad;

        /* clockwise on the page is clockwise on the screen: sweep 1 */
        arc_to(s, r, 0, span > 0, cx + r * sin(a), cy + r * cos(a));
    }
}

static void op_close_path(canvas *cv)
{
    svg_canvas *s = SVG(cv);

    if (s->d.len)
        sb_add(&s->d, "Z", 1);
}

static void clear_path(svg_canvas *s)
{
    s->d.len = 0;
    if (s->d.s)
        s->d.s[0] = '\0';
    s->open = 0;
}

static void paint(svg_canvas *s, int fill, int stroke)
{
    if (s->d.len == 0 || s->finished) {
        clear_path(s);
        return;
    }
    sb_puts(&s->out, "<path d=\"");
    sb_add(&s->out, s->d.s, s->d.len);
    sb_puts(&s->out, "\" fill=\"");
    if (fill)
        color(&s->out, s->fill_c);
    else
        sb_puts(&s->out, "none");
    sb_puts(&s->out, "\"");
    if (stroke) {
        sb_puts(&s->out, " stroke=\"");
        color(&s->out, s->stroke_c);
        sb_puts(&s->out, "\" stroke-width=\"");
        num(&s->out, s->lw);
        sb_puts(&s->out, "\"");
        if (s->dash_on > 0) {
            sb_puts(&s->out, " stroke-dasharray=\"");
            num(&s->out, s->dash_on);
            sb_puts(&s->out, " ");
            num(&s->out, s->dash_off);
            sb_puts(&s->out, "\"");
        }
        if (s->cap == CANVAS_CAP_ROUND)
            sb_puts(&s->out, " stroke-linecap=\"round\"");
        if (s->join == CANVAS_JOIN_ROUND)
            sb_puts(&s->out, " stroke-linejoin=\"round\"");
    }
    sb_puts(&s->out, "/>\n");
    clear_path(s);
}

static void op_fill(canvas *cv)
{
    paint(SVG(cv), 1, 0);
}

static void op_stroke(canvas *cv)
{
    paint(SVG(cv), 0, 1);
}

static void op_fill_stroke(canvas *cv)
{
    paint(SVG(cv), 1, 1);
}

static void op_end_path(canvas *cv)
{
    clear_path(SVG(cv));
}

typedef struct measure_ctx {
    canvas *cv;
    const canvas_font *f;
} measure_ctx;

static double op_text_width(canvas *cv, const canvas_font *f, const char *s, size_t len)
{
    pdf_style st = metrics_style(SVG(cv)->m, f, s, len);

    return pdf_style_width(&st, s, len);
}

static double measure_one(void *ctx, uint32_t cp)
{
    const measure_ctx *m = ctx;
    char buf[4];

    return op_text_width(m->cv, m->f, buf, quire_utf8_put(buf, cp));
}

static double op_text(canvas *cv, const canvas_font *f, double x, double y, int align, int up,
                      double max_w, const char *str, size_t len)
{
    svg_canvas *s = SVG(cv);
    double w = op_text_width(cv, f, str, len), off;
    int ellipsis = 0;

    s->fill_c = f->color; /* as on a PDF page */
    if (w > max_w) {
        measure_ctx m = {cv, f};
        double ell = op_text_width(cv, f, "\xE2\x80\xA6", 3), pw;

        len = quire_fit_prefix(str, len, max_w - ell, measure_one, &m, &pw);
        while (len > 0 && str[len - 1] == ' ') {
            len--;
            pw -= measure_one(&m, ' ');
        }
        w = pw + ell;
        ellipsis = 1;
    }
    if (len == 0 && !ellipsis)
        return 0;
    if (s->finished)
        return w;
    off = align == CANVAS_CENTER ? w / 2 : align == CANVAS_RIGHT ? w : 0;
    /* The anchor is always the start, placed where the layout measured it:
     * a viewer's own metrics then shift only the far end. */
    sb_puts(&s->out, "<text x=\"");
    num(&s->out, up ? x : x - off);
    sb_puts(&s->out, "\" y=\"");
    num(&s->out, s->h - (up ? y - off : y));
    sb_puts(&s->out, "\" font-size=\"");
    num(&s->out, f->size);
    sb_puts(&s->out, "\"");
    if (f->bold)
        sb_puts(&s->out, " font-weight=\"bold\"");
    sb_puts(&s->out, " fill=\"");
    color(&s->out, f->color);
    sb_puts(&s->out, "\"");
    if (up) {
        sb_puts(&s->out, " transform=\"rotate(-90 ");
        num(&s->out, x);
        sb_puts(&s->out, " ");
        num(&s->out, s->h - (y - off));
        sb_puts(&s->out, ")\"");
    }
    sb_puts(&s->out, ">");
    canvas_xml_escape(&s->out, str, len);
    if (ellipsis)
        sb_puts(&s->out, "\xE2\x80\xA6");
    sb_puts(&s->out, "</text>\n");
    return w;
}

static void op_free(canvas *cv)
{
    svg_canvas *s = SVG(cv);

    sb_free(&s->out);
    sb_free(&s->d);
    free(s);
}

static const canvas_ops svg_ops = {
    op_fill_color, op_stroke_color, op_line_width, op_dash,      op_line_cap,
    op_line_join,  op_move_to,      op_line_to,    op_rect,      op_circle,
    op_arc,        op_close_path,   op_fill,       op_stroke,    op_fill_stroke,
    op_end_path,   op_text,         op_text_width, op_free,
};

canvas *canvas_svg_new(canvas_metrics *m, double w, double h, const char *label)
{
    svg_canvas *s = xcalloc(1, sizeof *s);

    s->base.op = &svg_ops;
    s->m = m;
    s->w = w;
    s->h = h;
    s->lw = 1;
    s->stroke_c = s->fill_c = (quire_rgb){0, 0, 0};
    sb_puts(&s->out, "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 ");
    num(&s->out, w);
    sb_puts(&s->out, " ");
    num(&s->out, h);
    sb_puts(&s->out, "\" width=\"");
    num(&s->out, w);
    sb_puts(&s->out, "\" height=\"");
    num(&s->out, h);
    sb_puts(&s->out, "\" font-family=\"'DejaVu Sans', Verdana, sans-serif\" role=\"img\"");
    if (label && *label) {
        sb_puts(&s->out, " aria-label=\"");
        canvas_xml_escape(&s->out, label, strlen(label));
        sb_puts(&s->out, "\"");
    }
    sb_puts(&s->out, ">\n");
    return &s->base;
}

const char *canvas_svg_finish(canvas *cv, size_t *len)
{
    svg_canvas *s = SVG(cv);

    if (!s->finished) {
        clear_path(s);
        sb_puts(&s->out, "</svg>");
        s->finished = 1;
    }
    if (len)
        *len = s->out.len;
    return s->out.s;
}
