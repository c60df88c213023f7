/*
 * canvas.h - what a chart is drawn on: a page of a PDF, or an SVG image.
 *
 * A canvas is a table of drawing operations and the state behind them,
 * after PDF's imaging model: a current fill colour, stroke colour, line
 * width, dash, cap and join; a path built with move_to, line_to, rect,
 * circle and arc, then painted by fill, stroke or fill_stroke (or dropped
 * by end_path); and text drawn on one line at a baseline. Coordinates are
 * points with y growing upwards from the bottom-left corner, as on a PDF
 * page; a backend that counts y down (SVG) flips them.
 *
 * chart.c draws through this interface only, so a chart looks the same
 * however it is output. Two backends:
 *   canvas_pdf.h  a libharu page (the PDF report)
 *   canvas_svg    an SVG document in memory (the HTML report), below
 *
 * Text is measured with the fonts embedded in the PDF (DejaVu Sans) on
 * every backend, so that a layout computed for one holds for the other.
 *
 * The interface is stable: operations are only ever appended.
 */
#ifndef QUIRE_CANVAS_H
#define QUIRE_CANVAS_H

#include <math.h>
#include <stddef.h>

#include "error.h"
#include "format.h"
#include "util.h"

/* The reports' palette (pdf.c's too): dark grey ink, muted grey, rules and
 * grids, one accent. */
#define PDF_INK ((quire_rgb){0.13, 0.15, 0.19})
#define PDF_MUTED ((quire_rgb){0.38, 0.42, 0.48})
#define PDF_FAINT ((quire_rgb){0.55, 0.58, 0.63})
#define PDF_RULE ((quire_rgb){0.80, 0.82, 0.85})
#define PDF_GRID ((quire_rgb){0.86, 0.87, 0.89})
#define PDF_ACCENT ((quire_rgb){0.16, 0.38, 0.66})
#define PDF_TINT ((quire_rgb){0.94, 0.96, 0.985})

typedef struct canvas canvas;

/* Text alignment: x is the left edge, the centre or the right edge. */
enum { CANVAS_LEFT = 0, CANVAS_CENTER = 1, CANVAS_RIGHT = 2 };
enum { CANVAS_CAP_BUTT = 0, CANVAS_CAP_ROUND = 1 };
enum { CANVAS_JOIN_MITER = 0, CANVAS_JOIN_ROUND = 1 };

/* No limit on a text's width. */
#define CANVAS_ANY_WIDTH HUGE_VAL

/* A face (regular or bold) at a size in points, in a colour. */
typedef struct canvas_font {
    int bold;
    double size;
    quire_rgb color;
} canvas_font;

typedef struct canvas_ops {
    /* Graphics state: applies to the paint operations that follow. */
    void (*fill_color)(canvas *cv, quire_rgb c);
    void (*stroke_color)(canvas *cv, quire_rgb c);
    void (*line_width)(canvas *cv, double w);
    /* A dash of on points drawn and off points skipped (whole points on a
     * PDF); on <= 0: solid. */
    void (*dash)(canvas *cv, double on, double off);
    void (*line_cap)(canvas *cv, int cap);
    void (*line_join)(canvas *cv, int join);

    /* The path. */
    void (*move_to)(canvas *cv, double x, double y);
    void (*line_to)(canvas *cv, double x, double y);
    void (*rect)(canvas *cv, double x, double y, double w, double h); /* bottom-left x, y */
    void (*circle)(canvas *cv, double cx, double cy, double r);
    /* An arc of the circle at cx, cy of radius r, from angle a0 to a1 in
     * degrees, measured clockwise from 12 o'clock (a1 > a0: clockwise).
     * It starts a subpath at its first point, or, when a subpath is open,
     * joins it with a line. */
    void (*arc)(canvas *cv, double cx, double cy, double r, double a0, double a1);
    void (*close_path)(canvas *cv);

    /* Painting ends the path. */
    void (*fill)(canvas *cv);
    void (*stroke)(canvas *cv);
    void (*fill_stroke)(canvas *cv);
    void (*end_path)(canvas *cv); /* drop the path unpainted */

    /*
     * Text s[0..len) (UTF-8) on one line with its baseline at y, x at the
     * edge or centre align says; up: rotated a quarter turn to read
     * upwards, align then applying along the baseline. A text wider than
     * max_w is shortened with "…". Returns the width drawn. Sets the fill
     * colour to the font's.
     */
    double (*text)(canvas *cv, const canvas_font *f, double x, double y, int align, int up,
                   double max_w, const char *s, size_t len);
    /* The width of s[0..len) in font f, in points. */
    double (*text_width)(canvas *cv, const canvas_font *f, const char *s, size_t len);

    void (*free)(canvas *cv);
} canvas_ops;

/* Every backend's state starts with this. */
struct canvas {
    const canvas_ops *op;
};

/* The operations as calls. */
static inline void canvas_fill_color(canvas *cv, quire_rgb c) { cv->op->fill_color(cv, c); }
static inline void canvas_stroke_color(canvas *cv, quire_rgb c) { cv->op->stroke_color(cv, c); }
static inline void canvas_line_width(canvas *cv, double w) { cv->op->line_width(cv, w); }
static inline void canvas_dash(canvas *cv, double on, double off) { cv->op->dash(cv, on, off); }
static inline void canvas_line_cap(canvas *cv, int cap) { cv->op->line_cap(cv, cap); }
static inline void canvas_line_join(canvas *cv, int join) { cv->op->line_join(cv, join); }
static inline void canvas_move_to(canvas *cv, double x, double y) { cv->op->move_to(cv, x, y); }
static inline void canvas_line_to(canvas *cv, double x, double y) { cv->op->line_to(cv, x, y); }
static inline void canvas_rect(canvas *cv, double x, double y, double w, double h)
{
    cv->op->rect(cv, x, y, w, h);
}
static inline void canvas_circle(canvas *cv, double cx, double cy, double r)
{
    cv->op->circle(cv, cx, cy, r);
}
static inline void canvas_arc(canvas *cv, double cx, double cy, double r, double a0, double a1)
{
    cv->op->arc(cv, cx, cy, r, a0, a1);
}
static inline void canvas_close_path(canvas *cv) { cv->op->close_path(cv); }
static inline void canvas_fill(canvas *cv) { cv->op->fill(cv); }
static inline void canvas_stroke(canvas *cv) { cv->op->stroke(cv); }
static inline void canvas_fill_stroke(canvas *cv) { cv->op->fill_stroke(cv); }
static inline void canvas_end_path(canvas *cv) { cv->op->end_path(cv); }
static inline double canvas_text(canvas *cv, const canvas_font *f, double x, double y, int align,
                                 const char *s, size_t len)
{
    return cv->op->text(cv, f, x, y, align, 0, CANVAS_ANY_WIDTH, s, len);
}
static inline double canvas_text_fit(canvas *cv, const canvas_font *f, double x, double y,
                                     int align, double max_w, const char *s, size_t len)
{
    return cv->op->text(cv, f, x, y, align, 0, max_w, s, len);
}
static inline double canvas_text_fit_up(canvas *cv, const canvas_font *f, double x, double y,
                                        int align, double max_w, const char *s, size_t len)
{
    return cv->op->text(cv, f, x, y, align, 1, max_w, s, len);
}
static inline double canvas_text_width(canvas *cv, const canvas_font *f, const char *s,
                                       size_t len)
{
    return cv->op->text_width(cv, f, s, len);
}

/* Free a canvas made by a *_new function; NULL is a no-op. */
void canvas_free(canvas *cv);

/* Shorthands: a filled rectangle, a stroked line. */
void canvas_fill_rect(canvas *cv, quire_rgb c, double x, double y, double w, double h);
void canvas_line(canvas *cv, quire_rgb c, double width, double x0, double y0, double x1,
                 double y1);

/* One greedy line of s[0..len) at most max_w wide in font f (see
 * quire_wrap_next() in text.h): sets *line_len, returns where the next
 * line starts. */
size_t canvas_wrap_next(canvas *cv, const canvas_font *f, double max_w, const char *s,
                        size_t len, size_t *line_len);

/* ------------------------------------------------------------ SVG */

/*
 * The fonts an SVG canvas measures text with: the faces the PDF embeds,
 * loaded once (a few milliseconds) and shared by every SVG canvas made
 * from them. CJK and Hangul faces are loaded when the text needs them.
 */
typedef struct canvas_metrics canvas_metrics;
canvas_metrics *canvas_metrics_new(quire_error *err);
void canvas_metrics_free(canvas_metrics *m);

/*
 * An SVG image w by h points drawn in memory: an <svg> element with a
 * viewBox, inline styles only, every text escaped for XML. m is borrowed
 * and must outlive the canvas. label (may be NULL) becomes the image's
 * accessible name (aria-label).
 */
canvas *canvas_svg_new(canvas_metrics *m, double w, double h, const char *label);

/* The finished document (NUL-terminated, *len bytes), owned by the canvas:
 * valid until canvas_free(). Nothing may be drawn after. */
const char *canvas_svg_finish(canvas *cv, size_t *len);

/* Append s[0..len) to out escaped for XML or HTML text and attributes
 * (& < > " '), invalid UTF-8 and noncharacters as U+FFFD, control
 * characters but tab and newline as spaces. */
void canvas_xml_escape(strbuf *out, const char *s, size_t len);

#endif
