/*
 * text.c - text on a page: fonts by script, glyph widths, drawing, fitting
 * and the greedy line breaker, for the page layout (pdf.c) and the charts
 * (chart.c) alike.
 */
#include "text.h"

#include <ctype.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

#include "format.h"

/* ------------------------------------------------------------ line breaking */

/* Ideographs and kana: a line may break before or after any of them. */
static int is_cjk(uint32_t cp)
{
    return (cp >= 0x2E80 && cp <= 0x9FFF) || (cp >= 0xAC00 && cp <= 0xD7AF) ||
           (cp >= 0xF900 && cp <= 0xFAFF) || (cp >= 0xFF00 && cp <= 0xFFEF);
}

size_t quire_wrap_next(const char *s, size_t len, double max_w, quire_measure_fn measure,
                       void *ctx, size_t *line_len)
{
    size_t i = 0, brk_end = 0, brk_next = 0, end;
    int have_brk = 0;
    uint32_t prev = ' ';
    double w = 0;

    while (i < len) {
        size_t at = i;
        uint32_t cp = quire_utf8_next(s, len, &i);
        double cw;

        if (cp == '\n') {
            end = at;
            while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
                end--;
            *line_len = end;
            return i;
        }
        if (cp == ' ' || cp == '\t') {
            /* Spaces hang past the margin: they never force a break. */
            if (prev != ' ' && at > 0) {
                brk_end = at;
                have_brk = 1;
            }
            if (have_brk)
                brk_next = i;
            prev = ' ';
            w += measure(ctx, ' ');
            continue;
        }
        if (at > 0 && prev != ' ' && (is_cjk(cp) || is_cjk(prev))) {
            brk_end = brk_next = at;
            have_brk = 1;
        }
        cw = measure(ctx, cp);
        if (w + cw > max_w && at > 0) {
            if (have_brk) {
                *line_len = brk_end;
                return brk_next;
            }
            *line_len = at;
            return at;
        }
        w += cw;
        /* After a hyphen or dash inside a word ("year-over-year"), not after
         * a minus sign ("-5%", "(-5%)") nor inside a number or date
         * ("2024-02"). */
        if ((cp == '-' || cp == 0x2013 || cp == 0x2014) &&
            (prev >= 0x80 || (prev < 0x80 && isalnum((int)prev))) &&
            !(i < len && s[i] >= '0' && s[i] <= '9')) {
            brk_end = brk_next = i;
            have_brk = 1;
        }
        prev = cp;
    }
    end = len;
    while (end > 0 && (s[end - 1] == ' ' || s[end - 1] == '\t'))
        end--;
    *line_len = end;
    return len;
}

size_t quire_fit_prefix(const char *s, size_t len, double max_w, quire_measure_fn measure,
                        void *ctx, double *width)
{
    size_t i = 0, fit = 0;
    double w = 0;

    while (i < len) {
        double cw = measure(ctx, quire_utf8_next(s, len, &i));

        if (w + cw > max_w)
            break;
        w += cw;
        fit = i;
    }
    if (width)
        *width = w;
    return fit;
}

/* ------------------------------------------------------------ text */

typedef struct measure_ctx {
    const pdf_style *st; /* NULL: font alone */
    HPDF_Font font;
    double size;
} measure_ctx;

/* What is actually drawn for cp: libharu draws only the BMP, and control
 * characters have no place on a page. */
uint32_t pdf_drawable(uint32_t cp)
{
    if (cp > 0xFFFF)
        return 0xFFFD;
    if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
        return ' ';
    return cp;
}

int pdf_script(uint32_t cp)
{
    if ((cp >= 0x1100 && cp <= 0x11FF) || (cp >= 0x3130 && cp <= 0x318F) ||
        (cp >= 0xA960 && cp <= 0xA97F) || (cp >= 0xAC00 && cp <= 0xD7FF))
        return PDF_SCRIPT_HANGUL;
    if ((cp >= 0x2E80 && cp <= 0x2FDF) || (cp >= 0x3000 && cp <= 0x30FF) ||
        (cp >= 0x31C0 && cp <= 0x31FF) || (cp >= 0x3400 && cp <= 0x4DBF) ||
        (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0xF900 && cp <= 0xFAFF) ||
        (cp >= 0xFF00 && cp <= 0xFFEF))
        return PDF_SCRIPT_CJK;
    return PDF_SCRIPT_LATIN;
}

HPDF_Font pdf_font_for(const pdf_style *st, uint32_t cp)
{
    int sc;

    if (!st->fb || cp < 0x1100)
        return st->font;
    sc = pdf_script(cp);
    if (sc == PDF_SCRIPT_HANGUL && st->fb->hangul)
        return st->fb->hangul;
    if (sc != PDF_SCRIPT_LATIN && st->fb->cjk)
        return st->fb->cjk;
    return st->font;
}

static double measure_cp(void *ctx, uint32_t cp)
{
    const measure_ctx *m = ctx;
    HPDF_Font f;

    cp = pdf_drawable(cp);
    f = m->st ? pdf_font_for(m->st, cp) : m->font;
    if (cp < PDF_WIDTH_CACHE && m->st && m->st->fb &&
        (f == m->st->fb->regular || f == m->st->fb->bold)) {
        float *w = &m->st->fb->widths[f == m->st->fb->bold][cp];

        if (*w == 0)
            *w = (float)HPDF_Font_GetUnicodeWidth(f, (HPDF_UNICODE)cp) + 1;
        return (*w - 1) * m->size / 1000.0;
    }
    return HPDF_Font_GetUnicodeWidth(f, (HPDF_UNICODE)cp) * m->size / 1000.0;
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
    measure_ctx m = {NULL, font, clamp_size(size)};
    double w = 0;
    size_t i = 0;

    while (i < len)
        w += measure_cp(&m, quire_utf8_next(s, len, &i));
    return w;
}

double pdf_style_width(const pdf_style *st, const char *s, size_t len)
{
    measure_ctx m = {st, st->font, clamp_size(st->size)};
    double w = 0;
    size_t i = 0;

    while (i < len)
        w += measure_cp(&m, quire_utf8_next(s, len, &i));
    return w;
}

/*
 * Draw s[0..len) (plus "…" when ellipsis) whose width is w, as drawn code
 * points, in runs of one face each and in chunks that never split a code
 * point. Text that leaves the page is counted for the preflight.
 */
static void draw_run(HPDF_Page page, const pdf_style *st, double x, double y, int align, int up,
                     const char *s, size_t len, int ellipsis, double w)
{
    char buf[256];
    size_t n = 0, i = 0;
    double off = align == PDF_CENTER ? w / 2 : align == PDF_RIGHT ? w : 0;
    HPDF_REAL size = (HPDF_REAL)clamp_size(st->size);
    HPDF_Font cur = st->font;

    if (len == 0 && !ellipsis)
        return;
    if (st->fb) {
        double x0 = up ? x - st->size : x - off, x1 = up ? x : x - off + w;
        double y0 = up ? y - off : y - st->size * 0.25, y1 = up ? y - off + w : y + st->size * 0.75;

        if (x0 < -0.5 || y0 < -0.5 || x1 > st->fb->page_w + 0.5 || y1 > st->fb->page_h + 0.5)
            st->fb->offpage++;
    }
    pdf_fill(page, st->color);
    HPDF_Page_BeginText(page);
    HPDF_Page_SetFontAndSize(page, cur, size);
    if (up)
        HPDF_Page_SetTextMatrix(page, 0, 1, -1, 0, (HPDF_REAL)x, (HPDF_REAL)(y - off));
    else
        HPDF_Page_SetTextMatrix(page, 1, 0, 0, 1, (HPDF_REAL)(x - off), (HPDF_REAL)y);
    while (i < len) {
        uint32_t cp = pdf_drawable(quire_utf8_next(s, len, &i));
        HPDF_Font f = pdf_font_for(st, cp);

        if (f != cur) {
            if (n > 0) {
                buf[n] = '\0';
                HPDF_Page_ShowText(page, buf);
                n = 0;
            }
            cur = f;
            HPDF_Page_SetFontAndSize(page, cur, size);
        }
        n += quire_utf8_put(buf + n, cp);
        if (n + 5 > sizeof buf) {
            buf[n] = '\0';
            HPDF_Page_ShowText(page, buf);
            n = 0;
        }
    }
    if (ellipsis) {
        if (cur != st->font) {
            if (n > 0) {
                buf[n] = '\0';
                HPDF_Page_ShowText(page, buf);
                n = 0;
            }
            HPDF_Page_SetFontAndSize(page, st->font, size);
        }
        n += quire_utf8_put(buf + n, 0x2026);
    }
    if (n > 0) {
        buf[n] = '\0';
        HPDF_Page_ShowText(page, buf);
    }
    HPDF_Page_EndText(page);
}

void pdf_text(HPDF_Page page, const pdf_style *st, double x, double y, int align, const char *s,
              size_t len)
{
    double w = align == PDF_LEFT && !st->fb ? 0 : pdf_style_width(st, s, len);

    draw_run(page, st, x, y, align, 0, s, len, 0, w);
}

static double text_fit(HPDF_Page page, const pdf_style *st, double x, double y, int align,
                       int up, double max_w, const char *s, size_t len)
{
    measure_ctx m = {st, st->font, clamp_size(st->size)};
    double w = pdf_style_width(st, s, len), ell, pw;
    size_t fit;

    if (w <= max_w) {
        draw_run(page, st, x, y, align, up, s, len, 0, w);
        return w;
    }
    ell = HPDF_Font_GetUnicodeWidth(st->font, 0x2026) * m.size / 1000.0;
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
    measure_ctx m = {st, st->font, clamp_size(st->size)};

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

