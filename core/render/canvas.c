/*
 * canvas.c - what every canvas shares: freeing, the shorthands, line
 * breaking over a canvas's measure, and XML escaping.
 */
#include "canvas.h"

#include <stdint.h>
#include <string.h>

#include "text.h"

void canvas_free(canvas *cv)
{
    if (cv)
        cv->op->free(cv);
}

void canvas_fill_rect(canvas *cv, quire_rgb c, double x, double y, double w, double h)
{
    canvas_fill_color(cv, c);
    canvas_rect(cv, x, y, w, h);
    canvas_fill(cv);
}

void canvas_line(canvas *cv, quire_rgb c, double width, double x0, double y0, double x1,
                 double y1)
{
    canvas_line_width(cv, width);
    canvas_stroke_color(cv, c);
    canvas_move_to(cv, x0, y0);
    canvas_line_to(cv, x1, y1);
    canvas_stroke(cv);
}

typedef struct wrap_ctx {
    canvas *cv;
    const canvas_font *f;
} wrap_ctx;

static double measure_one(void *ctx, uint32_t cp)
{
    const wrap_ctx *w = ctx;
    char buf[4];
    size_t n = quire_utf8_put(buf, cp);

    return canvas_text_width(w->cv, w->f, buf, n);
}

size_t canvas_wrap_next(canvas *cv, const canvas_font *f, double max_w, const char *s,
                        size_t len, size_t *line_len)
{
    wrap_ctx w = {cv, f};

    return quire_wrap_next(s, len, max_w, measure_one, &w, line_len);
}

void canvas_xml_escape(strbuf *out, const char *s, size_t len)
{
    size_t i = 0, run = 0;

    while (i < len) {
        size_t at = i;
        unsigned char b = (unsigned char)s[i];
        const char *rep = NULL;
        char buf[4];
        uint32_t cp;

        if (b >= 0x20 && b < 0x7F) {
            i++;
            switch (b) {
            case '&': rep = "&amp;"; break;
            case '<': rep = "&lt;"; break;
            case '>': rep = "&gt;"; break;
            case '"': rep = "&quot;"; break;
            case '\'': rep = "&#39;"; break;
            default: continue; /* copied with the run */
            }
            sb_add(out, s + run, at - run);
            sb_puts(out, rep);
            run = i;
            continue;
        }
        cp = quire_utf8_next(s, len, &i);
        if (cp == '\t' || cp == '\n' ||
            (cp >= 0xA0 && cp != 0xFFFD && cp != 0xFFFE && cp != 0xFFFF &&
             (cp < 0xFDD0 || cp > 0xFDEF)))
            continue; /* well-formed: copied with the run */
        sb_add(out, s + run, at - run);
        if (cp < 0x20 || (cp >= 0x7F && cp < 0xA0))
            sb_add(out, " ", 1);
        else
            sb_add(out, buf, quire_utf8_put(buf, 0xFFFD));
        run = i;
    }
    sb_add(out, s + run, len - run);
}
