/*
 * layout.h - what the PDF (pdf.c) and the HTML page (html.c) lay out alike,
 * in one place so that the two cannot drift: a chart's box (its padding,
 * the gap between two side by side, the plot's size) and a tile's change
 * line (its arrow, its figure, its tone), which the e-mail summary words
 * alike too (summary.c).
 */
#ifndef QUIRE_LAYOUT_H
#define QUIRE_LAYOUT_H

#include <stddef.h>

#include "doc.h"

#define LAYOUT_CHART_PAD 14.0   /* inside a chart's box, around its title and plot */
#define LAYOUT_CHART_GAP 14.0   /* between two boxes side by side */
#define LAYOUT_CHART_BELOW 10.0 /* under the plot, in its box: a chart may draw into it */

/* The plot's height: horizontal bars, heatmaps and small multiples grow
 * with their rows, the others take the same. */
double layout_chart_h(const doc_chart *c);
/* The plot's width in a page content_w wide: the whole width, or half of it
 * for one of two charts side by side; the box's padding taken off. */
double layout_chart_w(double content_w, int half);

/*
 * The change of tile t against the previous period, into buf: an arrow when
 * arrow is set (up, down, or sideways for a change that shows as zero),
 * then the figure (quire_change_text: rates by their change in percentage
 * points, other units by a relative change, or by their difference when the
 * previous value is zero); or "no previous period". Returns the change's
 * sign: positive, negative, 0, or NAN when there is no previous value.
 */
double layout_tile_change(const doc_tile *t, int arrow, char *buf, size_t n);
/* Whether change d (layout_tile_change) is good (1), bad (-1) or neither
 * (0: none, one that shows as zero, or a KPI with no better direction). */
int layout_tile_tone(const doc_tile *t, double d);

#endif
