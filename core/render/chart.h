/*
 * chart.h - line, grouped-bar, stacked-bar and horizontal-bar charts and
 * heatmaps, drawn as vectors on a libharu page.
 *
 * pdf.c draws the chart's box, title and subtitle; chart_draw() fills the
 * area below them: value axis with nice ticks, dashed gridlines, the lines or
 * bars, category labels, axis titles and the legend; a heatmap draws its
 * matrix with row and column labels and a colour scale instead.
 */
#ifndef QUIRE_CHART_H
#define QUIRE_CHART_H

#include "canvas.h"
#include "doc.h"

/* Ticks of a value axis: min, min + step, ..., max (count ticks). */
typedef struct chart_ticks {
    double min, max, step;
    int count;
} chart_ticks;

/*
 * Heckbert's "nice numbers" (Graphics Gems I, 1990): ticks that cover
 * [lo, hi] with about nticks steps of 1, 2 or 5 times a power of ten.
 * [5, 86] -> 0..100 step 20; [105, 543] -> 100..600 step 100;
 * [2.03, 2.17] -> 2.00..2.20 step 0.05; [-37, 1250] -> -500..1500 step 500.
 * lo == hi is widened around the value. nticks < 2 is taken as 2.
 */
void chart_nice_ticks(double lo, double hi, int nticks, chart_ticks *t);

/*
 * Draw chart c inside the rectangle with bottom-left (x, y), width w and
 * height h. A chart with no categories, no series or only missing values
 * draws a centred "No data for this period" instead of axes.
 */
void chart_draw(canvas *cv, const doc_chart *c, double x, double y, double w, double h);

/* Whether chart c reads well drawn w wide and h high: lines, bars and
 * stacked bars whose category labels fit their slots unbroken inside a
 * word, with not too many bars, and a y title that fits up the plot. */
int chart_reads_at(canvas *cv, const doc_chart *c, double w, double h);

/* The message of a chart without data. */
#define CHART_NO_DATA "No data for this period"

#endif
