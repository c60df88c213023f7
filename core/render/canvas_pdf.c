/*
 * canvas_pdf.c - the canvas on a libharu page.
 *
 * Every operation maps to the one page operator that does it, in the
 * order called, so a chart drawn through the canvas writes the same
 * content stream as one drawn on the page directly.
 */
#include "canvas_pdf.h"

#include <math.h>

#define PAGE(cv) (((canvas_pdf *)(cv))->page)

static pdf_style style_of(canvas *cv, const canvas_font *f)
{
    pdf_fonts *fonts = ((canvas_pdf *)cv)->fonts;
    pdf_style st = {f->bold ? fonts->bold : fonts->regular, f->size, f->color, fonts};

    return st;
}

static void op_fill_color(canvas *cv, quire_rgb c)
{
    pdf_fill(PAGE(cv), c);
}

static void op_stroke_color(canvas *cv, quire_rgb c)
{
    pdf_stroke(PAGE(cv), c);
}

static void op_line_width(canvas *cv, double w)
{
    HPDF_Page_SetLineWidth(PAGE(cv), (HPDF_REAL)w);
}

static void op_dash(canvas *cv, double on, double off)
{
    HPDF_UINT16 d[2];

    if (!(on > 0)) {
        HPDF_Page_SetDash(PAGE(cv), NULL, 0, 0);
        return;
    }
    d[0] = (HPDF_UINT16)fmin(fmax(lround(on), 1), 1000);
    d[1] = (HPDF_UINT16)fmin(fmax(lround(off), 1), 1000);
    HPDF_Page_SetDash(PAGE(cv), d, 2, 0);
}

static void op_line_cap(canvas *cv, int cap)
{
    HPDF_Page_SetLineCap(PAGE(cv), cap == CANVAS_CAP_ROUND ? HPDF_ROUND_END : HPDF_BUTT_END);
}

static void op_line_join(canvas *cv, int join)
{
    HPDF_Page_SetLineJoin(PAGE(cv), join == CANVAS_JOIN_ROUND ? HPDF_ROUND_JOIN
                                                              : HPDF_MITER_JOIN);
}

static void op_move_to(canvas *cv, double x, double y)
{
    HPDF_Page_MoveTo(PAGE(cv), (HPDF_REAL)x, (HPDF_REAL)y);
}

static void op_line_to(canvas *cv, double x, double y)
{
    HPDF_Page_LineTo(PAGE(cv), (HPDF_REAL)x, (HPDF_REAL)y);
}

static void op_rect(canvas *cv, double x, double y, double w, double h)
{
    HPDF_Page_Rectangle(PAGE(cv), (HPDF_REAL)x, (HPDF_REAL)y, (HPDF_REAL)w, (HPDF_REAL)h);
}

static void op_circle(canvas *cv, double cx, double cy, double r)
{
    HPDF_Page_Circle(PAGE(cv), (HPDF_REAL)cx, (HPDF_REAL)cy, (HPDF_REAL)r);
}

/*
 * An arc as cubic Béziers of at most a quarter turn each (the control
 * points at 4/3 tan(θ/4) of the radius along the tangents). Angles run
 * clockwise from 12 o'clock: the point at a is (cx + r sin a, cy + r cos a).
 */
static void op_arc(canvas *cv, double cx, double cy, double r, double a0, double a1)
{
    HPDF_Page page = PAGE(cv);
    double span = a1 - a0, rad = M_PI / 180.0;
    int n = (int)ceil(fabs(span) / 90.0), k;
    double step, t0;

    if (n < 1)
        n = 1;
    step = span / n * rad;
    t0 = a0 * rad;
    if (HPDF_Page_GetGMode(page) == HPDF_GMODE_PATH_OBJECT)
        HPDF_Page_LineTo(page, (HPDF_REAL)(cx + r * sin(t0)), (HPDF_REAL)(cy + r * cos(t0)));
    else
        HPDF_Page_MoveTo(page, (HPDF_REAL)(cx + r * sin(t0)), (HPDF_REAL)(cy + r * cos(t0)));
    for (k = 0; k < n; k++) {
        double s0 = t0 + step * k, s1 = s0 + step, kk = 4.0 / 3.0 * tan(step / 4) * r;
        double x0 = cx + r * sin(s0), y0 = cy + r * cos(s0);
        double x3 = cx + r * sin(s1), y3 = cy + r * cos(s1);

        /* the tangent at angle s (clockwise) is (cos s, -sin s) */
        HPDF_Page_CurveTo(page, (HPDF_REAL)(x0 + kk * cos(s0)), (HPDF_REAL)(y0 - kk * sin(s0)),
                          (HPDF_REAL)(x3 - kk * cos(s1)), (HPDF_REAL)(y3 + kk * sin(s1)),
                          (HPDF_REAL)x3, (HPDF_REAL)y3);
    }
}

static void op_close_path(canvas *cv)
{
    HPDF_Page_ClosePath(PAGE(cv));
}

static void op_fill(canvas *cv)
{
    HPDF_Page_Fill(PAGE(cv));
}

static void op_stroke(canvas *cv)
{
    HPDF_Page_Stroke(PAGE(cv));
}

static void op_fill_stroke(canvas *cv)
{
    HPDF_Page_FillStroke(PAGE(cv));
}

static void op_end_path(canvas *cv)
{
    HPDF_Page_EndPath(PAGE(cv));
}

static double op_text(canvas *cv, const canvas_font *f, double x, double y, int align, int up,
                      double max_w, const char *s, size_t len)
{
    pdf_style st = style_of(cv, f);

    if (up)
        return pdf_text_fit_up(PAGE(cv), &st, x, y, align, max_w, s, len);
    if (max_w == CANVAS_ANY_WIDTH) {
        pdf_text(PAGE(cv), &st, x, y, align, s, len);
        return pdf_style_width(&st, s, len);
    }
    return pdf_text_fit(PAGE(cv), &st, x, y, align, max_w, s, len);
}

static double op_text_width(canvas *cv, const canvas_font *f, const char *s, size_t len)
{
    pdf_style st = style_of(cv, f);

    return pdf_style_width(&st, s, len);
}

static void op_free(canvas *cv)
{
    (void)cv; /* caller-owned */
}

static const canvas_ops pdf_ops = {
    op_fill_color, op_stroke_color, op_line_width, op_dash,      op_line_cap,
    op_line_join,  op_move_to,      op_line_to,    op_rect,      op_circle,
    op_arc,        op_close_path,   op_fill,       op_stroke,    op_fill_stroke,
    op_end_path,   op_text,         op_text_width, op_free,
};

void canvas_pdf_init(canvas_pdf *cv, pdf_fonts *fonts, HPDF_Page page)
{
    cv->base.op = &pdf_ops;
    cv->page = page;
    cv->fonts = fonts;
}
