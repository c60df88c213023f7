/* layout.c - what the PDF and the HTML page lay out alike (layout.h). */
#include "layout.h"

#include <math.h>
#include <stdio.h>

#include "format.h"

#define CHART_BODY_H 165.0 /* the plot's height, but for the kinds that grow */

/* A tile's arrows, each with its space (U+25B2, U+25BC, U+25B6). */
#define UP "\xE2\x96\xB2 "
#define DOWN "\xE2\x96\xBC "
#define SIDEWAYS "\xE2\x96\xB6 "

double layout_chart_h(const doc_chart *c)
{
    double n = (double)c->ncats, s = (double)(c->nseries ? c->nseries : 1);

    if (c->kind == DOC_CHART_HBAR)
        return fmin(fmax(60 + n * fmax(16, s * 7 + 6), 150), 520);
    if (c->kind == DOC_CHART_HEATMAP)
        return fmin(fmax(70 + s * 22, 120), 520);
    if (c->kind == DOC_CHART_MULTIPLES) {
        /* rows of panels, three to a row (two for two or four) */
        double cols = s <= 2 ? s : s == 4 ? 2 : 3;

        return fmin(ceil(s / cols) * 100, 520);
    }
    return CHART_BODY_H;
}

double layout_chart_w(double content_w, int half)
{
    return (half ? (content_w - LAYOUT_CHART_GAP) / 2 : content_w) - 2 * LAYOUT_CHART_PAD;
}

double layout_tile_change(const doc_tile *t, int arrow, char *buf, size_t n)
{
    char text[64];
    double d = quire_change_text(text, sizeof text, t->value, t->prev, t->unit, t->decimals,
                                 QUIRE_CHANGE_FROM_ZERO);

    if (isnan(d))
        snprintf(buf, n, "no previous period");
    else if (!arrow)
        snprintf(buf, n, "%s", text);
    else /* up, down, or sideways for a change that shows as zero */
        snprintf(buf, n, "%s%s", d > 0 ? UP : d < 0 ? DOWN : SIDEWAYS, text);
    return d;
}

int layout_tile_tone(const doc_tile *t, double d)
{
    if (isnan(d) || d == 0 || t->higher_is_better < 0)
        return 0;
    return (d > 0) == (t->higher_is_better > 0) ? 1 : -1;
}
