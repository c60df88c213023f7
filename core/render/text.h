/*
 * text.h - what the page layout (pdf.c) and the charts (chart.c) share:
 * fonts, the report's palette and text primitives that measure with the
 * font's own glyph widths.
 */
#ifndef QUIRE_TEXT_H
#define QUIRE_TEXT_H

#include <stddef.h>
#include <stdint.h>

#include <hpdf.h>

#include "canvas.h"
#include "doc.h"

/* The faces embedded in every report (Debian's fonts-dejavu-core); a build
 * for a system that keeps them elsewhere may define these. */
#ifndef PDF_FONT_REGULAR
#define PDF_FONT_REGULAR "/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"
#endif
#ifndef PDF_FONT_BOLD
#define PDF_FONT_BOLD "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"
#endif

/*
 * DejaVu Sans's intermediate composite glyphs: the 222 characters whose
 * glyphs are composites and are themselves parts of other composites.
 * libharu 2.3.0 resolves only one level of composite glyphs, so text such as
 * "ї" or "Ά" loses parts unless these are measured right after the font is
 * loaded, which marks them (and their parts) for embedding. Derived with
 * fontTools from DejaVu Sans; regenerate it for any other font.
 */
#define PDF_DEJAVU_WARMUP \
    "ÂÇÊÏÔâäåçïöüĂăšũŽžƠơƯưǪǫȯɅɩʼˉˍ̤̭̮̱̄ͽ΅ΆΈΉΊΌΎΏΐΑΕΗΙΟΡΥάέήίΰοόύώϹϽϿАЕОСЫаеосуыѡӘәӨөײبتثجخذزشضظغفقنئٕگᐃᐄᐆᐋᐯᐱᐲᐴᐹᑌᑏᑑᑖᑬᑮᑰᑳᒊᒌᒎᒑᒦᒨᒪᒫᓈᓖᓘᓛᓰᓲᓵᔒᔔᔖᔩᔫᔮᕌᕚᕧḷṚṛṢṣẹọἀἁἂἃἄἅἆἇἈἉἊἋἌἍἎἏἠἡἢἣἤἥἦἧἨἩἪἫἬἭἮἯὠὡὢὣὤὥὦὧὨὩὪὫὬὭὮὯὰὴὼᾶι῀῁ῆ῍῎῏῝῞῟῭`ῶ´‗‾ﮐﮑﮓﮔﮕﻏﻗ"


/* Faces for Chinese and Japanese (WenQuanYi Zen Hei, .ttc index 0) and for
 * Korean (NanumGothic): loaded only when the document holds such text. */
#ifndef PDF_FONT_CJK
#define PDF_FONT_CJK "/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc"
#endif
#ifndef PDF_FONT_HANGUL
#define PDF_FONT_HANGUL "/usr/share/fonts/truetype/nanum/NanumGothic.ttf"
#endif

/*
 * The document's faces, and what the preflight counts while drawing: text
 * is split into runs by script, each run drawn in the face that has its
 * glyphs (cjk and hangul may be NULL when the document needs neither).
 */
/* Code points below this have their advance widths in the regular and bold
 * faces cached: libharu looks each one up in the face's cmap, a linear search. */
#define PDF_WIDTH_CACHE 0x800

typedef struct pdf_fonts {
    HPDF_Font regular, bold, cjk, hangul;
    double page_w, page_h;     /* text beyond these is counted in offpage */
    unsigned offpage;
    /* Advance widths (1/1000 em) plus one; 0 = not measured yet. */
    float widths[2][PDF_WIDTH_CACHE];
} pdf_fonts;

/* A font at a size in a colour; fb (may be NULL) supplies the CJK and
 * Hangul faces for runs the font lacks. */
typedef struct pdf_style {
    HPDF_Font font;
    double size;
    quire_rgb color;
    pdf_fonts *fb;
} pdf_style;

/* Scripts that pick another face. */
/* What is drawn for cp: libharu draws only the BMP, and control characters
 * have no place on a page. */
uint32_t pdf_drawable(uint32_t cp);

/* Width of one code point, in the caller's units (points at a font size). */
typedef double (*quire_measure_fn)(void *ctx, uint32_t cp);

/*
 * Greedy line breaking. Finds the longest first line of s[0..len) whose
 * width is at most max_w, breaking after a space, after a hyphen, or around
 * a CJK ideograph; a word wider than max_w is broken between code points.
 * A line holds at least one code point. '\n' ends a line.
 *
 * Sets *line_len to the bytes of that line (trailing spaces excluded) and
 * returns the offset at which the next line starts (spaces at the break are
 * skipped). The return value is > 0 whenever len > 0.
 */
size_t quire_wrap_next(const char *s, size_t len, double max_w, quire_measure_fn measure,
                       void *ctx, size_t *line_len);

/*
 * The bytes of the longest prefix of s[0..len) (whole code points) whose
 * width is at most max_w; *width (if not NULL) receives that prefix's width.
 */
size_t quire_fit_prefix(const char *s, size_t len, double max_w, quire_measure_fn measure,
                        void *ctx, double *width);

enum { PDF_SCRIPT_LATIN = 0, PDF_SCRIPT_CJK = 1, PDF_SCRIPT_HANGUL = 2 };
int pdf_script(uint32_t cp);

/* The face that draws cp in style st. */
HPDF_Font pdf_font_for(const pdf_style *st, uint32_t cp);

enum { PDF_LEFT = 0, PDF_CENTER = 1, PDF_RIGHT = 2 };

/* Set the fill or stroke colour, each channel clamped to 0..1. */
void pdf_fill(HPDF_Page page, quire_rgb c);
void pdf_stroke(HPDF_Page page, quire_rgb c);

/* The width in points of s[0..len) in font at size, as it is drawn (no
 * fallback faces). */
double pdf_text_width(HPDF_Font font, double size, const char *s, size_t len);

/* The same, with st's fallback faces. */
double pdf_style_width(const pdf_style *st, const char *s, size_t len);

/*
 * Draw s[0..len) with baseline y. align says whether x is the left edge, the
 * centre or the right edge. Invalid UTF-8 becomes U+FFFD, characters beyond
 * U+FFFF (which libharu cannot draw) become U+FFFD, control characters become
 * spaces. Must be called outside BeginText/EndText.
 */
void pdf_text(HPDF_Page page, const pdf_style *st, double x, double y, int align, const char *s,
              size_t len);

/*
 * Draw s[0..len) on one line, shortened with "…" if it is wider than
 * max_w. Returns the width drawn.
 */
double pdf_text_fit(HPDF_Page page, const pdf_style *st, double x, double y, int align,
                    double max_w, const char *s, size_t len);

/* The same, rotated 90 degrees counter-clockwise (reading upwards): align
 * applies along the rotated baseline, which runs upwards from x, y. */
double pdf_text_fit_up(HPDF_Page page, const pdf_style *st, double x, double y, int align,
                       double max_w, const char *s, size_t len);

/* One greedy line of s[0..len) at most max_w wide: see quire_wrap_next(). */
size_t pdf_wrap_next(const pdf_style *st, double max_w, const char *s, size_t len,
                     size_t *line_len);

/* Number of lines s takes when wrapped to max_w (0 for NULL or ""). */
int pdf_count_lines(const pdf_style *st, double max_w, const char *s);

#endif
