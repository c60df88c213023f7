/*
 * chart.c - line and grouped-bar charts as vectors, drawn on a canvas.
 *
 * Layout of the area chart_draw() is given, from the bottom up: the legend
 * (wrapping to as many rows as it needs), the x-axis title, the category
 * labels, then the plot. The value-axis labels and the rotated y-axis title
 * take the left edge. Ticks come from Heckbert's nice numbers; a line chart's
 * range follows its data (padded, zero not forced), a bar chart's always
 * includes zero and its bars grow from y(0). Missing values (NAN) are gaps.
 */
#include "chart.h"

#include <math.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>

#include "format.h"

#define TICK_SIZE 7.5
#define LABEL_SIZE 8.0
#define TITLE_SIZE 8.0
#define LEGEND_SIZE 8.0
#define VALUE_SIZE 6.5
#define SWATCH 9.0
#define LEGEND_ROW 13.0
#define NTICKS 5

/* Series colours when a chart brings none: a restrained categorical set. */
static const quire_rgb default_colors[] = {
    {0.16, 0.38, 0.66}, {0.93, 0.49, 0.19}, {0.24, 0.60, 0.39}, {0.80, 0.25, 0.27},
    {0.52, 0.40, 0.71}, {0.55, 0.39, 0.33}, {0.85, 0.45, 0.68}, {0.50, 0.52, 0.55},
};

/* ------------------------------------------------------------ nice ticks */

static double nicenum(double x, int round)
{
    double e = floor(log10(x)), f = x / pow(10, e), nf;

    if (round)
        nf = f < 1.5 ? 1 : f < 3 ? 2 : f < 7 ? 5 : 10;
    else
        nf = f <= 1 ? 1 : f <= 2 ? 2 : f <= 5 ? 5 : 10;
    return nf * pow(10, e);
}

void chart_nice_ticks(double lo, double hi, int nticks, chart_ticks *t)
{
    double range, step, gmin, gmax;

    if (!isfinite(lo) || !isfinite(hi)) {
        lo = 0;
        hi = 1;
    }
    if (lo > hi) {
        double tmp = lo;
        lo = hi;
        hi = tmp;
    }
    if (nticks < 2)
        nticks = 2;
    if (hi - lo <= fmax(fabs(lo), fabs(hi)) * 1e-12) {
        double pad = lo == 0 ? 1 : fabs(lo) * 0.1;
        lo -= pad;
        hi += pad;
    }
    range = nicenum(hi - lo, 0);
    step = nicenum(range / (nticks - 1), 1);
    gmin = floor(lo / step + 1e-9) * step;
    gmax = ceil(hi / step - 1e-9) * step;
    t->min = gmin == 0 ? 0 : gmin; /* no "-0" */
    t->max = gmax;
    t->step = step;
    t->count = (int)lround((gmax - gmin) / step) + 1;
}

/* ---------------------------------------------------------------- helpers */

static quire_rgb series_color(const doc_chart *c, size_t s)
{
    if (c->colors)
        return c->colors[s];
    return default_colors[s % (sizeof default_colors / sizeof default_colors[0])];
}

static double value_at(const doc_chart *c, size_t s, size_t i)
{
    double v = c->values[s * c->ncats + i];

    return isfinite(v) ? v : NAN;
}

static const char *label_or_empty(const char *s)
{
    return s ? s : "";
}

/* Is there anything to plot? Sets the finite range when there is; stacked
 * bars range over their stacks (positive values up, negative down). */
static int data_range(const doc_chart *c, double *lo, double *hi)
{
    size_t s, i;
    int any = 0;

    if (!c->values || c->ncats == 0 || c->nseries == 0)
        return 0;
    if (c->kind == DOC_CHART_STACKED || c->kind == DOC_CHART_AREA) {
        *lo = *hi = 0;
        for (i = 0; i < c->ncats; i++) {
            double up = 0, down = 0;

            for (s = 0; s < c->nseries; s++) {
                double v = value_at(c, s, i);

                if (isnan(v) || (v < 0 && c->kind == DOC_CHART_AREA))
                    continue;
                any |= v != 0;
                if (v > 0)
                    up += v;
                else
                    down += v;
            }
            *hi = fmax(*hi, up);
            *lo = fmin(*lo, down);
        }
        return any;
    }
    for (s = 0; s < c->nseries; s++) {
        for (i = 0; i < c->ncats; i++) {
            double v = value_at(c, s, i);

            if (isnan(v))
                continue;
            if (!any || v < *lo)
                *lo = v;
            if (!any || v > *hi)
                *hi = v;
            any = 1;
        }
    }
    return any;
}

static void axis_ticks(const doc_chart *c, double lo, double hi, chart_ticks *t)
{
    if (c->kind != DOC_CHART_LINE) {
        lo = fmin(lo, 0);
        hi = fmax(hi, 0);
    } else {
        /* Pad so lines and markers keep off the frame, without crossing zero
         * when the data do not. */
        double pad = (hi - lo) * 0.06;

        if (pad == 0)
            pad = fabs(hi) > 0 ? fabs(hi) * 0.05 : 1;
        lo = (lo >= 0 && lo - pad < 0) ? 0 : lo - pad;
        hi = (hi <= 0 && hi + pad > 0) ? 0 : hi + pad;
    }
    chart_nice_ticks(lo, hi, NTICKS, t);
    if (c->unit == QUIRE_UNIT_COUNT && t->step < 1) {
        /* Whole numbers only for counts. */
        t->step = 1;
        t->min = floor(lo + 1e-9);
        t->max = ceil(hi - 1e-9);
        if (t->max <= t->min)
            t->max = t->min + 1;
        t->count = (int)lround(t->max - t->min) + 1;
    }
}

/* Whether series s has no value at any category. */
static int series_empty(const doc_chart *c, size_t s)
{
    size_t i;

    for (i = 0; i < c->ncats; i++)
        if (!isnan(value_at(c, s, i)))
            return 0;
    return 1;
}

/* Series s's legend label: its name, and "(no data)" when it has no value,
 * so that a series missing from the plot is not taken for a hidden one. */
static const char *legend_label(const doc_chart *c, size_t s, char *buf, size_t n)
{
    const char *lab = label_or_empty(c->series[s]);

    if (!series_empty(c, s))
        return lab;
    snprintf(buf, n, "%s (no data)", lab);
    return buf;
}

/* Rows the legend needs at width w (at least one). */
static int legend_rows(const doc_chart *c, canvas *cv, double w)
{
    canvas_font st = {0, LEGEND_SIZE, PDF_INK};
    double x = 0;
    int rows = 1;
    size_t s;

    for (s = 0; s < c->nseries; s++) {
        char buf[256];
        const char *lab = legend_label(c, s, buf, sizeof buf);
        double iw = SWATCH + 4 + fmin(canvas_text_width(cv, &st, lab, strlen(lab)), w - SWATCH - 4);

        if (x > 0 && x + iw > w) {
            rows++;
            x = 0;
        }
        x += iw + 14;
    }
    return rows;
}

static void draw_legend(canvas *cv, const doc_chart *c, double x0, double top, double w)
{
    canvas_font st = {0, LEGEND_SIZE, PDF_INK};
    double x = 0, y = top;
    size_t s;

    for (s = 0; s < c->nseries; s++) {
        char buf[256];
        const char *lab = legend_label(c, s, buf, sizeof buf);
        double lw = fmin(canvas_text_width(cv, &st, lab, strlen(lab)), w - SWATCH - 4);
        double iw = SWATCH + 4 + lw;

        if (x > 0 && x + iw > w) {
            y -= LEGEND_ROW;
            x = 0;
        }
        canvas_fill_color(cv, series_color(c, s));
        canvas_rect(cv, x0 + x, y - SWATCH, SWATCH, SWATCH);
        canvas_fill(cv);
        canvas_text_fit(cv, &st, x0 + x + SWATCH + 4, y - SWATCH + 1.2, CANVAS_LEFT, lw, lab,
                        strlen(lab));
        x += iw + 14;
    }
}

/* Whether the chart's categories can be labelled in groups (short labels
 * over group labels) and their full labels do not fit slots of width slot. */
static int grouped_labels(const doc_chart *c, canvas *cv, double slot)
{
    canvas_font st = {0, LABEL_SIZE, PDF_INK};
    size_t i;

    if (!c->cats || !c->cat_short || !c->cat_groups)
        return 0;
    for (i = 0; i < c->ncats; i++) {
        const char *lab = label_or_empty(c->cats[i]);
        if (canvas_text_width(cv, &st, lab, strlen(lab)) > slot)
            return 1;
    }
    return 0;
}

/*
 * Category labels in groups, for axes too crowded for the full labels: the
 * short label of every k-th category (k as small as lets them fit: "Jun",
 * "Aug", "Oct"), and on the line under them each group's label once, from
 * its first category ("2022", then "2023" under January). Months are never
 * ambiguous this way, at any count.
 */
static void draw_grouped(canvas *cv, const canvas_font *st, const doc_chart *c, double left,
                         double slot, double y)
{
    double widest = 0;
    size_t i, k = 1;

    for (i = 0; i < c->ncats; i++) {
        const char *lab = label_or_empty(c->cat_short[i]);
        widest = fmax(widest, canvas_text_width(cv, st, lab, strlen(lab)));
    }
    while (widest + 4 > slot * (double)k && k < c->ncats)
        k++;
    for (i = 0; i < c->ncats; i += k) {
        const char *lab = label_or_empty(c->cat_short[i]);
        canvas_text_fit(cv, st, left + slot * ((double)i + 0.5), y, CANVAS_CENTER, slot * (double)k,
                        lab, strlen(lab));
    }
    for (i = 0; i < c->ncats; i++) {
        const char *g = label_or_empty(c->cat_groups[i]);
        size_t j;

        if (i > 0 && strcmp(g, label_or_empty(c->cat_groups[i - 1])) == 0)
            continue;
        for (j = i + 1; j < c->ncats && strcmp(g, label_or_empty(c->cat_groups[j])) == 0; j++)
            ;
        canvas_text_fit(cv, st, left + slot * (double)i + 1, y - LABEL_SIZE * 1.2, CANVAS_LEFT,
                        slot * (double)(j - i) - 2, g, strlen(g));
    }
}

/* Width of the widest space-separated word of s. */
static double widest_word(canvas *cv, const canvas_font *st, const char *s, size_t len)
{
    double best = 0;
    size_t i = 0;

    while (i < len) {
        size_t j = i;

        while (j < len && s[j] != ' ')
            j++;
        best = fmax(best, canvas_text_width(cv, st, s + i, j - i));
        i = j + 1;
    }
    return best;
}

/* The smallest size category labels may take, in a narrow chart. */
#define LABEL_SIZE_MIN 7.0

/* The size of the category labels in slots of width slot: the usual size,
 * or a little smaller when that keeps every word of every label whole. */
static double cat_size(const doc_chart *c, canvas *cv, double slot)
{
    canvas_font st = {0, LABEL_SIZE, PDF_INK};
    double widest = 0;
    size_t i;

    for (i = 0; c->cats && i < c->ncats; i++) {
        const char *lab = label_or_empty(c->cats[i]);
        widest = fmax(widest, widest_word(cv, &st, lab, strlen(lab)));
    }
    if (widest <= slot || widest * LABEL_SIZE_MIN / LABEL_SIZE > slot)
        return LABEL_SIZE;
    return LABEL_SIZE_MIN;
}

/* Lines (1 or 2) the category labels need in slots of width slot. */
static int label_lines(const doc_chart *c, canvas *cv, double slot)
{
    canvas_font st = {0, cat_size(c, cv, slot), PDF_INK};
    size_t i;

    for (i = 0; i < c->ncats; i++) {
        const char *lab = label_or_empty(c->cats[i]);

        if (canvas_text_width(cv, &st, lab, strlen(lab)) > slot)
            return 2;
    }
    return 1;
}


/*
 * A category label centred at cx, on up to lines lines of width slot. When
 * the axis needs two lines, every label of several words is split in two
 * balanced lines ("Jul" / "2024" like "Jun" / "2024"), never inside a word
 * that fits; a label that still does not fit is shortened with an ellipsis.
 */
static void draw_cat_label(canvas *cv, const canvas_font *st, double cx, double y, double slot,
                           int lines, const char *lab)
{
    size_t len = strlen(lab), line_len, next;
    double w;

    if (lines < 2 || !memchr(lab, ' ', len)) {
        canvas_text_fit(cv, st, cx, y, CANVAS_CENTER, slot, lab, len);
        return;
    }
    w = canvas_text_width(cv, st, lab, len);
    w = fmin(slot, fmax(w * 0.55, widest_word(cv, st, lab, len)) + 0.5);
    next = canvas_wrap_next(cv, st, w, lab, len, &line_len);
    canvas_text_fit(cv, st, cx, y, CANVAS_CENTER, slot, lab, line_len);
    if (next < len)
        canvas_text_fit(cv, st, cx, y - LABEL_SIZE * 1.2, CANVAS_CENTER, slot, lab + next,
                        len - next);
}

static void draw_no_data(canvas *cv, double x, double y, double w, double h)
{
    canvas_font st = {0, 10, PDF_FAINT};

    canvas_text(cv, &st, x + w / 2, y + h / 2 - 3.5, CANVAS_CENTER, CHART_NO_DATA,
                strlen(CHART_NO_DATA));
}

/* ------------------------------------------------------------------ draw */

typedef struct plot {
    double left, right, bottom, top;
    chart_ticks t;
} plot;

static double ymap(const plot *p, double v)
{
    return p->bottom + (v - p->t.min) / (p->t.max - p->t.min) * (p->top - p->bottom);
}

static void draw_lines(canvas *cv, const doc_chart *c, const plot *p, double slot)
{
    size_t s, i;

    canvas_line_join(cv, CANVAS_JOIN_ROUND);
    canvas_line_cap(cv, CANVAS_CAP_ROUND);
    for (s = 0; s < c->nseries; s++) {
        int pen = 0, moved = 0, segs = 0;

        canvas_stroke_color(cv, series_color(c, s));
        canvas_line_width(cv, 1.8);
        for (i = 0; i < c->ncats; i++) {
            double v = value_at(c, s, i);
            double px = (p->left + slot * ((double)i + 0.5));

            if (isnan(v)) {
                pen = 0;
                continue;
            }
            if (pen) {
                canvas_line_to(cv, px, ymap(p, v));
                segs++;
            } else {
                canvas_move_to(cv, px, ymap(p, v));
                moved = 1;
            }
            pen = 1;
        }
        /* A path is ended only if one was begun: a series with no value
         * anywhere draws nothing (its legend entry says so). */
        if (segs)
            canvas_stroke(cv);
        else if (moved)
            canvas_end_path(cv);

        /* Markers: filled in the series colour with a white ring. */
        canvas_fill_color(cv, series_color(c, s));
        canvas_stroke_color(cv, (quire_rgb){1, 1, 1});
        canvas_line_width(cv, 0.8);
        for (i = 0; i < c->ncats; i++) {
            double v = value_at(c, s, i);

            if (isnan(v))
                continue;
            canvas_circle(cv, p->left + slot * ((double)i + 0.5), ymap(p, v), 2.6);
            canvas_fill_stroke(cv);
        }
    }
    canvas_line_cap(cv, CANVAS_CAP_BUTT);
    canvas_line_join(cv, CANVAS_JOIN_MITER);
}

/*
 * Decimals for value labels: the chart's own, else the unit's default; a
 * plain number shows as many decimals (up to 2) as its values need, the same
 * for every label ("6.8", "7.0", "7.2" rather than "7").
 */
static int label_decimals(const doc_chart *c)
{
    size_t k, n = c->nseries * c->ncats;
    int dec = 0;

    if (c->decimals >= 0 || c->unit != QUIRE_UNIT_NUMBER)
        return c->decimals;
    for (k = 0; k < n && dec < 2; k++) {
        double v = c->values[k];

        if (!isfinite(v))
            continue;
        while (dec < 2 && fabs(v * pow(10, dec) - nearbyint(v * pow(10, dec))) > 1e-6)
            dec++;
    }
    return dec;
}

/* Bar value labels fit when the widest one is no wider than a bar. */
static int bar_labels_fit(canvas *cv, const doc_chart *c, double bar_w, int dec)
{
    canvas_font vf = {0, VALUE_SIZE, PDF_MUTED};
    size_t s, i;
    char buf[64];

    if (bar_w < 10)
        return 0;
    for (s = 0; s < c->nseries; s++) {
        for (i = 0; i < c->ncats; i++) {
            double v = value_at(c, s, i);

            if (isnan(v))
                continue;
            quire_format_value(buf, sizeof buf, v, c->unit, dec);
            if (canvas_text_width(cv, &vf, buf, strlen(buf)) > bar_w + 2)
                return 0;
        }
    }
    return 1;
}

static void draw_bars(canvas *cv, const doc_chart *c, const plot *p, double slot, int labels,
                      int dec)
{
    double group = slot * 0.8, bw = group / (double)c->nseries;
    double gap = bw > 6 ? 1.0 : 0.0, y0 = ymap(p, 0);
    canvas_font st = {0, VALUE_SIZE, PDF_MUTED};
    size_t s, i;
    char buf[64];

    for (i = 0; i < c->ncats; i++) {
        double gx = p->left + slot * ((double)i + 0.5) - group / 2;

        for (s = 0; s < c->nseries; s++) {
            double v = value_at(c, s, i), yv, bx;

            if (isnan(v))
                continue;
            yv = ymap(p, v);
            bx = gx + bw * (double)s + gap / 2;
            canvas_fill_color(cv, series_color(c, s));
            canvas_rect(cv, bx, fmin(y0, yv), bw - gap, fabs(yv - y0));
            canvas_fill(cv);
            if (labels) {
                quire_format_value(buf, sizeof buf, v, c->unit, dec);
                canvas_text(cv, &st, bx + (bw - gap) / 2,
                            v >= 0 ? yv + 2.5 : yv - 2.5 - VALUE_SIZE * 0.75, CANVAS_CENTER, buf,
                            strlen(buf));
            }
        }
    }
}

/* One bar per category, the series stacked on it from zero: positive values
 * upwards, negative ones downwards, a hairline of white between parts. */
static void draw_stacked(canvas *cv, const doc_chart *c, const plot *p, double slot)
{
    double bw = fmin(slot * 0.6, 48);
    size_t s, i;

    canvas_line_width(cv, 0.5);
    canvas_stroke_color(cv, (quire_rgb){1, 1, 1});
    for (i = 0; i < c->ncats; i++) {
        double bx = p->left + slot * ((double)i + 0.5) - bw / 2, up = 0, down = 0;

        for (s = 0; s < c->nseries; s++) {
            double v = value_at(c, s, i), from;

            if (isnan(v) || v == 0)
                continue;
            from = v > 0 ? up : down;
            canvas_fill_color(cv, series_color(c, s));
            canvas_rect(cv, bx, fmin(ymap(p, from), ymap(p, from + v)), bw,
                        fabs(ymap(p, from + v) - ymap(p, from)));
            canvas_fill_stroke(cv);
            if (v > 0)
                up += v;
            else
                down += v;
        }
    }
}

/* ------------------------------------------------------------ hbar */

/*
 * Horizontal bars: categories down the left edge (top first), the value
 * axis along the bottom, one bar per series in each category's band, the
 * value at the end of each bar when there is room.
 */
static void draw_hbar(canvas *cv, const doc_chart *c, plot *p, double x, double y, double w,
                      double h)
{
    canvas_font cat_st = {0, LABEL_SIZE, PDF_INK};
    canvas_font tick_st = {0, TICK_SIZE, PDF_MUTED};
    canvas_font val_st = {0, VALUE_SIZE, PDF_MUTED};
    canvas_font title_st = {0, TITLE_SIZE, PDF_FAINT};
    double label_w = 0, band, bh, max_abs = fmax(fabs(p->t.min), fabs(p->t.max)), legend_h;
    int rows = c->nseries > 1 && c->series ? legend_rows(c, cv, w) : 0, k;
    int dec = label_decimals(c);
    size_t i, s;
    char buf[64];

    for (i = 0; i < c->ncats; i++) {
        const char *lab = label_or_empty(c->cats ? c->cats[i] : NULL);

        label_w = fmax(label_w, canvas_text_width(cv, &cat_st, lab, strlen(lab)));
    }
    label_w = fmin(label_w, w * 0.3);
    legend_h = rows ? rows * LEGEND_ROW + 8 : 0;
    p->left = x + label_w + 8;
    p->right = x + w - 30; /* room for the last value label */
    p->bottom = y + legend_h + (c->x_title && *c->x_title ? TITLE_SIZE + 6 : 0) + TICK_SIZE + 8;
    p->top = y + h - 2;
    band = (p->top - p->bottom) / (double)c->ncats;
    bh = fmin(band * 0.72 / (double)c->nseries, 16);

    /* Vertical gridlines and their labels along the bottom. */
    canvas_line_width(cv, 0.5);
    canvas_stroke_color(cv, PDF_GRID);
    canvas_dash(cv, 2, 2);
    for (k = 0; k < p->t.count; k++) {
        double v = p->t.min + k * p->t.step;
        double gx = p->left + (v - p->t.min) / (p->t.max - p->t.min) * (p->right - p->left);

        canvas_move_to(cv, gx, p->bottom);
        canvas_line_to(cv, gx, p->top);
    }
    canvas_stroke(cv);
    canvas_dash(cv, 0, 0);
    for (k = 0; k < p->t.count; k++) {
        double v = p->t.min + k * p->t.step;
        double gx = p->left + (v - p->t.min) / (p->t.max - p->t.min) * (p->right - p->left);

        quire_format_axis(buf, sizeof buf, v, p->t.step, max_abs, c->unit);
        canvas_text(cv, &tick_st, gx, p->bottom - TICK_SIZE - 4, CANVAS_CENTER, buf, strlen(buf));
    }
    for (i = 0; i < c->ncats; i++) {
        double top = p->top - band * (double)i, by0 = top - (band - bh * (double)c->nseries) / 2;
        const char *lab = label_or_empty(c->cats ? c->cats[i] : NULL);

        canvas_text_fit(cv, &cat_st, p->left - 6, top - band / 2 - LABEL_SIZE * 0.35, CANVAS_RIGHT,
                        label_w, lab, strlen(lab));
        for (s = 0; s < c->nseries; s++) {
            double v = value_at(c, s, i), x0, x1, by = by0 - bh * (double)(s + 1);

            if (isnan(v))
                continue;
            x0 = p->left + (fmin(v, 0) - p->t.min) / (p->t.max - p->t.min) * (p->right - p->left);
            x1 = p->left + (fmax(v, 0) - p->t.min) / (p->t.max - p->t.min) * (p->right - p->left);
            canvas_fill_color(cv, series_color(c, s));
            canvas_rect(cv, x0, by + 0.5, x1 - x0, bh - 1);
            canvas_fill(cv);
            if (bh >= 6) {
                quire_format_value(buf, sizeof buf, v, c->unit, dec);
                canvas_text(cv, &val_st, v >= 0 ? x1 + 3 : x0 - 3, by + bh / 2 - VALUE_SIZE * 0.35,
                            v >= 0 ? CANVAS_LEFT : CANVAS_RIGHT, buf, strlen(buf));
            }
        }
    }
    {
        double zx = p->left + (0 - p->t.min) / (p->t.max - p->t.min) * (p->right - p->left);

        canvas_line_width(cv, 0.7);
        canvas_stroke_color(cv, PDF_FAINT);
        canvas_move_to(cv, zx, p->bottom);
        canvas_line_to(cv, zx, p->top);
        canvas_stroke(cv);
    }
    if (c->x_title && *c->x_title)
        canvas_text_fit(cv, &title_st, (p->left + p->right) / 2, y + legend_h + 2, CANVAS_CENTER,
                        p->right - p->left, c->x_title, strlen(c->x_title));
    if (rows)
        draw_legend(cv, c, p->left, y + legend_h - 8, p->right - p->left);
}

/* ------------------------------------------------------------ heatmap */

/* WCAG relative luminance of c (sRGB). */
static double luminance(quire_rgb c)
{
    double v[3] = {c.r, c.g, c.b};
    int i;

    for (i = 0; i < 3; i++)
        v[i] = v[i] <= 0.03928 ? v[i] / 12.92 : pow((v[i] + 0.055) / 1.055, 2.4);
    return 0.2126 * v[0] + 0.7152 * v[1] + 0.0722 * v[2];
}

/* White or ink, whichever contrasts more with the fill behind the text. */
static quire_rgb text_on(quire_rgb fill)
{
    double l = luminance(fill), ink = luminance(PDF_INK);

    return (1.0 + 0.05) / (l + 0.05) > (l + 0.05) / (ink + 0.05) ? (quire_rgb){1, 1, 1} : PDF_INK;
}

/* Light grey-blue to deep blue. */
static quire_rgb heat(double t)
{
    quire_rgb a = {0.95, 0.97, 0.99}, b = {0.07, 0.25, 0.52}, c;

    t = t < 0 ? 0 : t > 1 ? 1 : t;
    c.r = a.r + (b.r - a.r) * t;
    c.g = a.g + (b.g - a.g) * t;
    c.b = a.b + (b.b - a.b) * t;
    return c;
}

/*
 * A matrix: rows are the series (labels on the left), columns the
 * categories (labels underneath), each cell filled on a sequential scale
 * from the smallest to the largest value and labelled with its value when
 * it fits; missing cells are left pale with a dash. A colour scale with the
 * two ends' values sits at the bottom.
 */
static void draw_heatmap(canvas *cv, const doc_chart *c, double x, double y, double w, double h,
                         double lo, double hi)
{
    canvas_font lab_st = {0, LABEL_SIZE, PDF_INK};
    canvas_font val_st = {0, 7, PDF_INK};
    canvas_font title_st = {0, TITLE_SIZE, PDF_FAINT};
    double label_w = 0, left, top = y + h, bottom, cw, ch, span = hi > lo ? hi - lo : 1;
    int dec = label_decimals(c), grouped;
    size_t s, i;
    char buf[64];

    for (s = 0; s < c->nseries; s++) {
        const char *lab = label_or_empty(c->series ? c->series[s] : NULL);

        label_w = fmax(label_w, canvas_text_width(cv, &lab_st, lab, strlen(lab)));
    }
    label_w = fmin(label_w, w * 0.28);
    left = x + label_w + 8 + (c->row_title && *c->row_title ? TITLE_SIZE + 6 : 0);
    cw = (x + w - left) / (double)c->ncats;
    grouped = grouped_labels(c, cv, cw - 2);
    bottom = y + 30 + LABEL_SIZE + 8 + (c->x_title && *c->x_title ? TITLE_SIZE + 6 : 0) +
             (grouped ? LABEL_SIZE * 1.2 : 0);
    ch = fmin((top - bottom) / (double)c->nseries, 26);
    top = bottom + ch * (double)c->nseries;

    canvas_line_width(cv, 1);
    canvas_stroke_color(cv, (quire_rgb){1, 1, 1});
    for (s = 0; s < c->nseries; s++) {
        double cy = top - ch * (double)(s + 1);
        const char *lab = label_or_empty(c->series ? c->series[s] : NULL);

        canvas_text_fit(cv, &lab_st, left - 6, cy + ch / 2 - LABEL_SIZE * 0.35, CANVAS_RIGHT,
                        label_w, lab, strlen(lab));
        for (i = 0; i < c->ncats; i++) {
            double v = value_at(c, s, i), t = isnan(v) ? 0 : (v - lo) / span;
            double cx = left + cw * (double)i;

            quire_rgb fill = isnan(v) ? (quire_rgb){0.97, 0.97, 0.97} : heat(t);

            canvas_fill_color(cv, fill);
            canvas_rect(cv, cx, cy, cw, ch);
            canvas_fill_stroke(cv);
            if (isnan(v))
                snprintf(buf, sizeof buf, "%s", QUIRE_NO_VALUE);
            else
                quire_format_value(buf, sizeof buf, v, c->unit, dec);
            val_st.color = text_on(fill);
            if (canvas_text_width(cv, &val_st, buf, strlen(buf)) <= cw - 4)
                canvas_text(cv, &val_st, cx + cw / 2, cy + ch / 2 - 2.5, CANVAS_CENTER, buf,
                            strlen(buf));
        }
    }
    if (grouped)
        draw_grouped(cv, &lab_st, c, left, cw, top - ch * (double)c->nseries - LABEL_SIZE - 4);
    for (i = 0; !grouped && i < c->ncats; i++) {
        const char *lab = label_or_empty(c->cats ? c->cats[i] : NULL);

        canvas_text_fit(cv, &lab_st, left + cw * ((double)i + 0.5),
                        top - ch * (double)c->nseries - LABEL_SIZE - 4, CANVAS_CENTER, cw - 2, lab,
                        strlen(lab));
    }
    if (c->x_title && *c->x_title)
        canvas_text_fit(cv, &title_st, left + cw * (double)c->ncats / 2, y + 30, CANVAS_CENTER,
                        cw * (double)c->ncats, c->x_title, strlen(c->x_title));
    if (c->row_title && *c->row_title)
        canvas_text_fit_up(cv, &title_st, x + TITLE_SIZE, bottom + (top - bottom) / 2,
                           CANVAS_CENTER, top - bottom, c->row_title, strlen(c->row_title));
    {
        /* The colour scale: 20 steps, the low and high values at its ends. */
        double sw = fmin(160, w * 0.4), sx = left, sy = y + 6;
        int k;

        for (k = 0; k < 20; k++) {
            canvas_fill_color(cv, heat(k / 19.0));
            canvas_rect(cv, sx + sw * k / 20.0, sy, sw / 20.0 + 0.3, 8);
            canvas_fill(cv);
        }
        lab_st.size = TICK_SIZE;
        lab_st.color = PDF_MUTED;
        quire_format_value(buf, sizeof buf, lo, c->unit, dec);
        canvas_text(cv, &lab_st, sx - 4, sy + 1, CANVAS_RIGHT, buf, strlen(buf));
        quire_format_value(buf, sizeof buf, hi, c->unit, dec);
        canvas_text(cv, &lab_st, sx + sw + 4, sy + 1, CANVAS_LEFT, buf, strlen(buf));
    }
}

/* ------------------------------------------------------------ more forms */

/* The spec's reference lines across the plot: dashed, dark, each labelled at
 * its right end ("Target $250.00"). */
static void draw_references(canvas *cv, const doc_chart *c, const plot *p)
{
    canvas_font st = {1, TICK_SIZE, PDF_INK};
    char val[64], text[200];
    size_t r;

    for (r = 0; r < c->nrefs; r++) {
        double v = c->ref_values[r], yy;

        if (!isfinite(v))
            continue;
        yy = ymap(p, v);
        canvas_line_width(cv, 1.0);
        canvas_stroke_color(cv, PDF_INK);
        canvas_dash(cv, 4, 2);
        canvas_move_to(cv, p->left, yy);
        canvas_line_to(cv, p->right, yy);
        canvas_stroke(cv);
        canvas_dash(cv, 0, 0);
        quire_format_value(val, sizeof val, v, c->unit, c->decimals);
        if (c->ref_labels && c->ref_labels[r] && *c->ref_labels[r])
            snprintf(text, sizeof text, "%s %s", c->ref_labels[r], val);
        else
            snprintf(text, sizeof text, "%s", val);
        canvas_text_fit(cv, &st, p->right - 2, yy + 2.5, CANVAS_RIGHT, p->right - p->left, text,
                        strlen(text));
    }
}

/* The targets (reference: target) as dashed step lines, a level across
 * each category's slot, joined where the next has one too; over bars, a
 * dash across each bar at its own target. A single line is labelled at its
 * right end like a reference line ("Target $250.00"). */
static void draw_targets(canvas *cv, const doc_chart *c, const plot *p, double slot)
{
    canvas_font st = {1, TICK_SIZE, PDF_INK};
    char val[64], text[200];
    size_t l, i;

    if (!c->ntlines)
        return;
    canvas_line_width(cv, 1.2);
    canvas_dash(cv, 4, 2);
    for (l = 0; l < c->ntlines; l++) {
        const double *t = c->tline_values + l * c->ncats;
        quire_rgb col = c->tline_colors ? c->tline_colors[l] : PDF_INK;

        canvas_stroke_color(cv, col);
        if (c->kind == DOC_CHART_BAR) {
            double group = slot * 0.8, bw = group / (double)c->nseries;
            for (i = 0; i < c->ncats; i++) {
                double bx = p->left + slot * ((double)i + 0.5) - group / 2 + bw * (double)l;
                if (!isfinite(t[i]))
                    continue;
                canvas_move_to(cv, bx - 1, ymap(p, t[i]));
                canvas_line_to(cv, bx + bw + 1, ymap(p, t[i]));
            }
            canvas_stroke(cv);
            continue;
        }
        for (i = 0; i < c->ncats; i++) {
            double x0 = p->left + slot * (double)i, yy;
            if (!isfinite(t[i]))
                continue;
            yy = ymap(p, t[i]);
            if (i > 0 && isfinite(t[i - 1]))
                canvas_line_to(cv, x0, yy); /* the step from the level before */
            else
                canvas_move_to(cv, x0, yy);
            canvas_line_to(cv, x0 + slot, yy);
        }
        canvas_stroke(cv);
    }
    canvas_dash(cv, 0, 0);
    if (c->ntlines == 1 && c->kind != DOC_CHART_BAR) {
        const double *t = c->tline_values;
        size_t last = c->ncats;
        while (last > 0 && !isfinite(t[last - 1]))
            last--;
        if (last > 0) {
            quire_format_value(val, sizeof val, t[last - 1], c->unit, c->decimals);
            snprintf(text, sizeof text, "%s %s", c->tline_labels && c->tline_labels[0]
                                                     ? c->tline_labels[0] : "Target", val);
            canvas_text_fit(cv, &st, p->right - 2, ymap(p, t[last - 1]) + 2.5, CANVAS_RIGHT,
                            p->right - p->left, text, strlen(text));
        }
    }
}

/* Stacked areas over the categories (months): each series from the top of
 * the ones before it, a hairline of white between them; a negative value
 * counts as zero. */
static void draw_area(canvas *cv, const doc_chart *c, const plot *p, double slot)
{
    double *base = xcalloc(c->ncats, sizeof *base);
    size_t s, i;

    canvas_line_width(cv, 0.6);
    canvas_line_join(cv, CANVAS_JOIN_ROUND);
    canvas_stroke_color(cv, (quire_rgb){1, 1, 1});
    for (s = 0; s < c->nseries; s++) {
        if (series_empty(c, s))
            continue;
        canvas_fill_color(cv, series_color(c, s));
        for (i = 0; i < c->ncats; i++) {
            double v = value_at(c, s, i), px = p->left + slot * ((double)i + 0.5);

            v = isnan(v) || v < 0 ? 0 : v;
            if (i == 0)
                canvas_move_to(cv, px, ymap(p, base[i] + v));
            else
                canvas_line_to(cv, px, ymap(p, base[i] + v));
        }
        for (i = c->ncats; i-- > 0;)
            canvas_line_to(cv, p->left + slot * ((double)i + 0.5), ymap(p, base[i]));
        canvas_close_path(cv);
        canvas_fill_stroke(cv);
        for (i = 0; i < c->ncats; i++) {
            double v = value_at(c, s, i);

            base[i] += isnan(v) || v < 0 ? 0 : v;
        }
    }
    canvas_line_join(cv, CANVAS_JOIN_MITER);
    free(base);
}

/*
 * A ring of the categories' shares of their sum (one series: a month), the
 * largest share's slice from 12 o'clock, clockwise in the categories'
 * order; the total and the series' label in the hole, a legend of names
 * and shares on the right. Zero, negative and missing values have no slice.
 */
static void draw_donut(canvas *cv, const doc_chart *c, double x, double y, double w, double h)
{
    canvas_font lf = {0, LEGEND_SIZE, PDF_INK}, vf = {1, 12, PDF_INK}, sf = {0, TICK_SIZE, PDF_MUTED};
    double total = 0, r = fmin(h / 2 - 4, w * 0.22), cx = x + r + 8, cy = y + h / 2, a = 0;
    double lx = cx + r + 24, ly, row = LEGEND_ROW + 2, rx = fmin(x + w - 4, lx + 220);
    char buf[64], share[32];
    size_t i;

    for (i = 0; i < c->ncats; i++) {
        double v = value_at(c, 0, i);

        if (!isnan(v) && v > 0)
            total += v;
    }
    if (!(total > 0) || r < 20) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    canvas_line_width(cv, 1.2);
    canvas_stroke_color(cv, (quire_rgb){1, 1, 1});
    ly = cy + (double)c->ncats * row / 2;
    for (i = 0; i < c->ncats; i++) {
        double v = value_at(c, 0, i), span = !isnan(v) && v > 0 ? v / total * 360.0 : 0;
        quire_rgb col = c->colors ? c->colors[i]
                                  : default_colors[i % (sizeof default_colors /
                                                        sizeof default_colors[0])];
        const char *lab = label_or_empty(c->cats ? c->cats[i] : NULL);
        double tw;

        if (span > 0) {
            canvas_fill_color(cv, col);
            if (span >= 359.999) {
                canvas_circle(cv, cx, cy, r);
                canvas_fill(cv);
            } else {
                canvas_arc(cv, cx, cy, r, a, a + span);
                canvas_arc(cv, cx, cy, r * 0.58, a + span, a);
                canvas_close_path(cv);
                canvas_fill_stroke(cv);
            }
            a += span;
        }
        /* the legend: swatch, name, share */
        canvas_fill_color(cv, col);
        canvas_rect(cv, lx, ly - SWATCH, SWATCH, SWATCH);
        canvas_fill(cv);
        quire_format_value(share, sizeof share, span > 0 ? v / total : 0, QUIRE_UNIT_PERCENT, 1);
        tw = canvas_text_width(cv, &lf, share, strlen(share));
        canvas_text_fit(cv, &lf, lx + SWATCH + 5, ly - SWATCH + 1.2, CANVAS_LEFT,
                        rx - lx - SWATCH - 5 - tw - 10, lab, strlen(lab));
        canvas_text(cv, &lf, rx, ly - SWATCH + 1.2, CANVAS_RIGHT, share, strlen(share));
        ly -= row;
    }
    quire_format_value(buf, sizeof buf, total, c->unit, c->decimals);
    canvas_text_fit(cv, &vf, cx, cy - 2, CANVAS_CENTER, r * 1.1, buf, strlen(buf));
    if (c->series && c->series[0])
        canvas_text_fit(cv, &sf, cx, cy - 14, CANVAS_CENTER, r * 1.1, c->series[0],
                        strlen(c->series[0]));
}

/* Ticks for values[s] of c (0 in range when zero is set), as the axis of
 * unit shows them: the widest label's width in *label_w. */
static void series_ticks(canvas *cv, const doc_chart *c, size_t s, int zero, quire_unit unit,
                         chart_ticks *t, double *label_w)
{
    canvas_font tf = {0, TICK_SIZE, PDF_MUTED};
    double lo = 0, hi = 0, max_abs;
    char buf[64];
    size_t i;
    int any = 0, k;

    for (i = 0; i < c->ncats; i++) {
        double v = value_at(c, s, i);

        if (isnan(v))
            continue;
        lo = any ? fmin(lo, v) : v;
        hi = any ? fmax(hi, v) : v;
        any = 1;
    }
    if (zero) {
        lo = fmin(lo, 0);
        hi = fmax(hi, 0);
    } else {
        double pad = (hi - lo) * 0.08;

        if (pad == 0)
            pad = fabs(hi) > 0 ? fabs(hi) * 0.05 : 1;
        lo = (lo >= 0 && lo - pad < 0) ? 0 : lo - pad;
        hi += pad;
    }
    chart_nice_ticks(lo, hi, NTICKS, t);
    max_abs = fmax(fabs(t->min), fabs(t->max));
    *label_w = 0;
    for (k = 0; k < t->count; k++) {
        quire_format_axis(buf, sizeof buf, t->min + k * t->step, t->step, max_abs, unit);
        *label_w = fmax(*label_w, canvas_text_width(cv, &tf, buf, strlen(buf)));
    }
}

/* The labels of ticks t at x (align: the side of the plot), mapped by y(). */
static void tick_labels(canvas *cv, const chart_ticks *t, quire_unit unit, double x, int align,
                        double bottom, double top)
{
    canvas_font tf = {0, TICK_SIZE, PDF_MUTED};
    double max_abs = fmax(fabs(t->min), fabs(t->max));
    char buf[64];
    int k;

    for (k = 0; k < t->count; k++) {
        double v = t->min + k * t->step;
        double yy = bottom + (v - t->min) / (t->max - t->min) * (top - bottom);

        quire_format_axis(buf, sizeof buf, v, t->step, max_abs, unit);
        canvas_text(cv, &tf, x, yy - TICK_SIZE * 0.35, align, buf, strlen(buf));
    }
}

/* Dashed gridlines at ticks t across left..right. */
static void gridlines(canvas *cv, const chart_ticks *t, double left, double right, double bottom,
                      double top)
{
    int k;

    canvas_line_width(cv, 0.5);
    canvas_stroke_color(cv, PDF_GRID);
    canvas_dash(cv, 2, 2);
    for (k = 1; k < t->count; k++) {
        double yy = bottom + (double)k / (t->count - 1) * (top - bottom);

        canvas_move_to(cv, left, yy);
        canvas_line_to(cv, right, yy);
    }
    canvas_stroke(cv);
    canvas_dash(cv, 0, 0);
    canvas_line_width(cv, 0.7);
    canvas_stroke_color(cv, PDF_RULE);
    canvas_move_to(cv, left, bottom);
    canvas_line_to(cv, right, bottom);
    canvas_stroke(cv);
}

/*
 * Bars of series 0 on the left axis (from zero) and a line of series 1 on
 * the right axis (its own unit, unit2), over the same categories; each
 * axis titled, the legend naming both.
 */
static void draw_bar_line(canvas *cv, const doc_chart *c, double x, double y, double w, double h)
{
    canvas_font cat_st = {0, LABEL_SIZE, PDF_INK}, title_st = {0, TITLE_SIZE, PDF_FAINT};
    chart_ticks tl, tr;
    double lw, rw, slot, legend_h, xlab_h;
    int rows, lines, grouped;
    plot p;
    size_t i;

    if (c->nseries < 2 || series_empty(c, 0) || series_empty(c, 1)) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    series_ticks(cv, c, 0, 1, c->unit, &tl, &lw);
    series_ticks(cv, c, 1, 0, c->unit2, &tr, &rw);
    rows = legend_rows(c, cv, w);
    legend_h = rows * LEGEND_ROW + 8;
    p.left = x + (c->y_title && *c->y_title ? TITLE_SIZE + 8 : 0) + lw + 6;
    p.right = x + w - (c->y2_title && *c->y2_title ? TITLE_SIZE + 8 : 0) - rw - 6;
    slot = (p.right - p.left) / (double)c->ncats;
    grouped = grouped_labels(c, cv, slot - 4);
    lines = grouped ? 2 : c->cats ? label_lines(c, cv, slot - 4) : 0;
    if (!grouped)
        cat_st.size = cat_size(c, cv, slot - 4);
    xlab_h = lines ? 8 + lines * LABEL_SIZE * 1.2 : 4;
    p.bottom = y + legend_h + xlab_h;
    p.top = y + h - TICK_SIZE / 2 - 1;
    if (p.top - p.bottom < 20) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    gridlines(cv, &tl, p.left, p.right, p.bottom, p.top);
    tick_labels(cv, &tl, c->unit, p.left - 6, CANVAS_RIGHT, p.bottom, p.top);
    tick_labels(cv, &tr, c->unit2, p.right + 6, CANVAS_LEFT, p.bottom, p.top);

    p.t = tl;
    for (i = 0; i < c->ncats; i++) {
        double v = value_at(c, 0, i), bw = fmin(slot * 0.6, 40), y0 = ymap(&p, 0);

        if (isnan(v))
            continue;
        canvas_fill_color(cv, series_color(c, 0));
        canvas_rect(cv, p.left + slot * ((double)i + 0.5) - bw / 2, fmin(y0, ymap(&p, v)), bw,
                    fabs(ymap(&p, v) - y0));
        canvas_fill(cv);
    }
    {
        /* the line on the right axis: series 1 alone, as draw_lines draws */
        doc_chart one = *c;
        plot pr = p;

        one.nseries = 1;
        one.values = c->values + c->ncats;
        one.colors = c->colors ? c->colors + 1 : NULL;
        if (!one.colors) {
            static const quire_rgb line_color[] = {{0.89, 0.47, 0.10}};

            one.colors = line_color;
        }
        pr.t = tr;
        draw_lines(cv, &one, &pr, slot);
    }
    if (grouped) {
        draw_grouped(cv, &cat_st, c, p.left, slot, p.bottom - 8 - LABEL_SIZE * 0.8);
    } else if (lines) {
        for (i = 0; i < c->ncats; i++)
            draw_cat_label(cv, &cat_st, p.left + slot * ((double)i + 0.5),
                           p.bottom - 8 - LABEL_SIZE * 0.8, slot - 4, lines,
                           label_or_empty(c->cats[i]));
    }
    if (c->y_title && *c->y_title)
        canvas_text_fit_up(cv, &title_st, x + TITLE_SIZE, (p.top + p.bottom) / 2, CANVAS_CENTER,
                           p.top - p.bottom, c->y_title, strlen(c->y_title));
    if (c->y2_title && *c->y2_title)
        canvas_text_fit_up(cv, &title_st, x + w, (p.top + p.bottom) / 2, CANVAS_CENTER,
                           p.top - p.bottom, c->y2_title, strlen(c->y2_title));
    {
        /* the legend's swatches: the bars' colour, then the line's */
        doc_chart leg = *c;
        static const quire_rgb line_color[] = {{0.12, 0.47, 0.71}, {0.89, 0.47, 0.10}};

        if (!leg.colors)
            leg.colors = line_color;
        draw_legend(cv, &leg, p.left, y + legend_h - 8, p.right - p.left);
    }
}

/*
 * A point per category at (series 0, series 1): x in unit2 along the
 * bottom, y in unit up the left, each point labelled with its category's
 * name; the axes' ranges padded around the points, not forced to zero.
 */
static void draw_scatter(canvas *cv, const doc_chart *c, double x, double y, double w, double h)
{
    canvas_font lab_st = {0, LABEL_SIZE, PDF_INK}, title_st = {0, TITLE_SIZE, PDF_FAINT};
    canvas_font tf = {0, TICK_SIZE, PDF_MUTED};
    chart_ticks tx, ty;
    double xw, yw, left, right, bottom, top, max_abs;
    char buf[64];
    size_t i;
    int k;

    if (c->nseries < 2 || series_empty(c, 0) || series_empty(c, 1)) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    series_ticks(cv, c, 0, 0, c->unit2, &tx, &xw);
    series_ticks(cv, c, 1, 0, c->unit, &ty, &yw);
    left = x + (c->y_title && *c->y_title ? TITLE_SIZE + 8 : 0) + yw + 6;
    right = x + w - 8;
    bottom = y + (c->x_title && *c->x_title ? TITLE_SIZE + 6 : 0) + TICK_SIZE + 8;
    top = y + h - TICK_SIZE / 2 - 1;
    gridlines(cv, &ty, left, right, bottom, top);
    tick_labels(cv, &ty, c->unit, left - 6, CANVAS_RIGHT, bottom, top);
    /* vertical gridlines and the x ticks' labels */
    max_abs = fmax(fabs(tx.min), fabs(tx.max));
    canvas_line_width(cv, 0.5);
    canvas_stroke_color(cv, PDF_GRID);
    canvas_dash(cv, 2, 2);
    for (k = 1; k < tx.count; k++) {
        double xx = left + (double)k / (tx.count - 1) * (right - left);

        canvas_move_to(cv, xx, bottom);
        canvas_line_to(cv, xx, top);
    }
    canvas_stroke(cv);
    canvas_dash(cv, 0, 0);
    for (k = 0; k < tx.count; k++) {
        double xx = left + (double)k / (tx.count - 1) * (right - left);

        quire_format_axis(buf, sizeof buf, tx.min + k * tx.step, tx.step, max_abs, c->unit2);
        canvas_text(cv, &tf, xx, bottom - TICK_SIZE - 4, CANVAS_CENTER, buf, strlen(buf));
    }
    for (i = 0; i < c->ncats; i++) {
        double vx = value_at(c, 0, i), vy = value_at(c, 1, i), px, py;
        const char *lab = label_or_empty(c->cats ? c->cats[i] : NULL);
        quire_rgb col = c->colors ? c->colors[i]
                                  : default_colors[i % (sizeof default_colors /
                                                        sizeof default_colors[0])];
        double tw = canvas_text_width(cv, &lab_st, lab, strlen(lab));

        if (isnan(vx) || isnan(vy))
            continue;
        px = left + (vx - tx.min) / (tx.max - tx.min) * (right - left);
        py = bottom + (vy - ty.min) / (ty.max - ty.min) * (top - bottom);
        canvas_fill_color(cv, col);
        canvas_stroke_color(cv, (quire_rgb){1, 1, 1});
        canvas_line_width(cv, 1);
        canvas_circle(cv, px, py, 4.5);
        canvas_fill_stroke(cv);
        /* the name to the right, or to the left near the right edge */
        if (px + 7 + tw <= right)
            canvas_text(cv, &lab_st, px + 7, py - LABEL_SIZE * 0.35, CANVAS_LEFT, lab, strlen(lab));
        else
            canvas_text(cv, &lab_st, px - 7, py - LABEL_SIZE * 0.35, CANVAS_RIGHT, lab,
                        strlen(lab));
    }
    if (c->x_title && *c->x_title)
        canvas_text_fit(cv, &title_st, (left + right) / 2, y + 2, CANVAS_CENTER, right - left,
                        c->x_title, strlen(c->x_title));
    if (c->y_title && *c->y_title)
        canvas_text_fit_up(cv, &title_st, x + TITLE_SIZE, (top + bottom) / 2, CANVAS_CENTER,
                           top - bottom, c->y_title, strlen(c->y_title));
}

/* ------------------------------------------------------------ distributions */

/* Labels of ticks t along x at bottom (marks and values in unit), and dashed
 * vertical gridlines up to top (grid), mapped onto left..right as lo..hi. */
static void x_ticks(canvas *cv, const chart_ticks *t, quire_unit unit, double lo, double hi,
                    double left, double right, double bottom, double top, int grid)
{
    canvas_font tf = {0, TICK_SIZE, PDF_MUTED};
    double max_abs = fmax(fabs(t->min), fabs(t->max));
    char buf[64];
    int k;

    for (k = 0; k < t->count; k++) {
        double v = t->min + k * t->step, xx = left + (v - lo) / (hi - lo) * (right - left);

        if (xx < left - 0.5 || xx > right + 0.5)
            continue;
        if (grid && k > 0 && xx > left + 0.5) {
            canvas_line_width(cv, 0.5);
            canvas_stroke_color(cv, PDF_GRID);
            canvas_dash(cv, 2, 2);
            canvas_move_to(cv, xx, bottom);
            canvas_line_to(cv, xx, top);
            canvas_stroke(cv);
            canvas_dash(cv, 0, 0);
        }
        canvas_line(cv, PDF_RULE, 0.7, xx, bottom, xx, bottom - 3);
        quire_format_axis(buf, sizeof buf, v, t->step, max_abs, unit);
        canvas_text(cv, &tf, xx, bottom - TICK_SIZE - 4, CANVAS_CENTER, buf, strlen(buf));
    }
}

/* Whether ticks t span a finite range (values near the doubles' limits do
 * not: such a chart says it has no data rather than draw at infinity). */
static int ticks_ok(const chart_ticks *t)
{
    return isfinite(t->min) && isfinite(t->max) && isfinite(t->step) && t->max > t->min &&
           isfinite(t->max - t->min) && t->count >= 2 && t->count < 1000;
}

/* The width of the widest label of ticks t in unit. */
static double ticks_width(canvas *cv, const chart_ticks *t, quire_unit unit)
{
    canvas_font tf = {0, TICK_SIZE, PDF_MUTED};
    double max_abs = fmax(fabs(t->min), fabs(t->max)), w = 0;
    char buf[64];
    int k;

    for (k = 0; k < t->count; k++) {
        quire_format_axis(buf, sizeof buf, t->min + k * t->step, t->step, max_abs, unit);
        w = fmax(w, canvas_text_width(cv, &tf, buf, strlen(buf)));
    }
    return w;
}

/* The axes' titles: x under the tick labels (at ty), y up the left edge. */
static void axis_titles(canvas *cv, const doc_chart *c, double x, double ty, double left,
                        double right, double bottom, double top)
{
    canvas_font title_st = {0, TITLE_SIZE, PDF_FAINT};

    if (c->x_title && *c->x_title)
        canvas_text_fit(cv, &title_st, (left + right) / 2, ty, CANVAS_CENTER, right - left,
                        c->x_title, strlen(c->x_title));
    if (c->y_title && *c->y_title)
        canvas_text_fit_up(cv, &title_st, x + TITLE_SIZE, (top + bottom) / 2, CANVAS_CENTER,
                           top - bottom, c->y_title, strlen(c->y_title));
}

/*
 * A histogram: the bins side by side along a value axis (edges[0] to
 * edges[ncats], labelled at nice values), the series' counts stacked in
 * each bin, the count axis from zero; the legend names the series.
 */
static void draw_histogram(canvas *cv, const doc_chart *c, double x, double y, double w, double h)
{
    chart_ticks ty, tx;
    double top_count = 0, lw, left, right, bottom, top, legend_h, xtitle_h, x0, x1;
    int rows;
    size_t i, s;
    plot p;

    if (!c->edges || c->ncats == 0 || c->nseries == 0) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    for (i = 0; i < c->ncats; i++) {
        double sum = 0;
        for (s = 0; s < c->nseries; s++)
            sum += isnan(value_at(c, s, i)) ? 0 : value_at(c, s, i);
        top_count = fmax(top_count, sum);
    }
    if (top_count <= 0) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    axis_ticks(c, 0, top_count, &ty);
    x0 = c->edges[0];
    x1 = c->edges[c->ncats];
    chart_nice_ticks(x0, x1, 7, &tx);
    if (!ticks_ok(&ty) || !ticks_ok(&tx) || !isfinite(x1 - x0) || !(x1 > x0)) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    lw = ticks_width(cv, &ty, c->unit);
    rows = legend_rows(c, cv, w);
    legend_h = rows * LEGEND_ROW + 8;
    xtitle_h = c->x_title && *c->x_title ? TITLE_SIZE + 6 : 0;
    left = x + (c->y_title && *c->y_title ? TITLE_SIZE + 8 : 0) + lw + 6;
    right = x + w - 12;
    bottom = y + legend_h + xtitle_h + TICK_SIZE + 10;
    top = y + h - TICK_SIZE / 2 - 1;
    if (top - bottom < 20 || right - left < 40) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    gridlines(cv, &ty, left, right, bottom, top);
    tick_labels(cv, &ty, c->unit, left - 6, CANVAS_RIGHT, bottom, top);
    p.left = left;
    p.right = right;
    p.bottom = bottom;
    p.top = top;
    p.t = ty;
    canvas_line_width(cv, 0.6);
    canvas_stroke_color(cv, (quire_rgb){1, 1, 1});
    for (i = 0; i < c->ncats; i++) {
        double a = left + (c->edges[i] - x0) / (x1 - x0) * (right - left);
        double b = left + (c->edges[i + 1] - x0) / (x1 - x0) * (right - left), cum = 0;

        for (s = 0; s < c->nseries; s++) {
            double v = value_at(c, s, i);

            if (isnan(v) || v <= 0)
                continue;
            canvas_fill_color(cv, series_color(c, s));
            canvas_rect(cv, a, ymap(&p, cum), b - a, ymap(&p, cum + v) - ymap(&p, cum));
            canvas_fill_stroke(cv);
            cum += v;
        }
    }
    canvas_line(cv, PDF_RULE, 0.7, left, bottom, right, bottom);
    x_ticks(cv, &tx, c->unit2, x0, x1, left, right, bottom, top, 0);
    axis_titles(cv, c, x, y + legend_h + 2, left, right, bottom, top);
    draw_legend(cv, c, left, y + legend_h - 8, right - left);
}

/* c mixed with white: t = 0 is c, 1 white. */
static quire_rgb tint(quire_rgb c, double t)
{
    quire_rgb o = {c.r + (1 - c.r) * t, c.g + (1 - c.g) * t, c.b + (1 - c.b) * t};

    return o;
}

/*
 * A box per category along x: the box from Q1 to Q3 in the category's
 * colour, a line at the median, whiskers to the most extreme values within
 * 1.5 IQR, the outliers beyond as rings; the value axis padded around the
 * whiskers and outliers, zero not forced.
 */
static void draw_box(canvas *cv, const doc_chart *c, double x, double y, double w, double h)
{
    canvas_font cat_st = {0, LABEL_SIZE, PDF_INK};
    double lo = 0, hi = 0, lw, slot, xlab_h, bw;
    int any = 0, lines;
    size_t i;
    plot p;

    if (c->nseries < DOC_BOX_NSERIES || c->ncats == 0) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    for (i = 0; i < c->ncats; i++) {
        double a = value_at(c, DOC_BOX_LOW, i), b = value_at(c, DOC_BOX_HIGH, i);

        if (isnan(a) || isnan(b))
            continue;
        lo = any ? fmin(lo, a) : a;
        hi = any ? fmax(hi, b) : b;
        any = 1;
    }
    if (!any) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    for (i = 0; i < c->npoints; i++) {
        lo = fmin(lo, c->point_values[i]);
        hi = fmax(hi, c->point_values[i]);
    }
    /* ticks over the data alone: a score's 0 to 100 stays 0 to 100 */
    chart_nice_ticks(lo, hi, NTICKS, &p.t);
    if (!ticks_ok(&p.t)) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    lw = ticks_width(cv, &p.t, c->unit);
    p.left = x + (c->y_title && *c->y_title ? TITLE_SIZE + 8 : 0) + lw + 6;
    p.right = x + w - 4;
    slot = (p.right - p.left) / (double)c->ncats;
    lines = label_lines(c, cv, slot - 4);
    cat_st.size = cat_size(c, cv, slot - 4);
    xlab_h = 8 + lines * LABEL_SIZE * 1.2;
    p.bottom = y + (c->x_title && *c->x_title ? TITLE_SIZE + 6 : 0) + xlab_h;
    p.top = y + h - TICK_SIZE / 2 - 1;
    if (p.top - p.bottom < 20) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    gridlines(cv, &p.t, p.left, p.right, p.bottom, p.top);
    tick_labels(cv, &p.t, c->unit, p.left - 6, CANVAS_RIGHT, p.bottom, p.top);
    bw = fmin(slot * 0.45, 46);
    for (i = 0; i < c->ncats; i++) {
        double cx = p.left + slot * ((double)i + 0.5);
        double q1 = value_at(c, DOC_BOX_Q1, i), q3 = value_at(c, DOC_BOX_Q3, i);
        double md = value_at(c, DOC_BOX_MEDIAN, i), a = value_at(c, DOC_BOX_LOW, i);
        double b = value_at(c, DOC_BOX_HIGH, i);
        quire_rgb col = c->colors ? c->colors[i] : series_color(c, i);

        draw_cat_label(cv, &cat_st, cx, p.bottom - 8 - LABEL_SIZE * 0.8, slot - 4, lines,
                       label_or_empty(c->cats[i]));
        if (isnan(q1) || isnan(q3) || isnan(md) || isnan(a) || isnan(b))
            continue;
        /* whiskers and their caps */
        canvas_line(cv, col, 1, cx, ymap(&p, a), cx, ymap(&p, q1));
        canvas_line(cv, col, 1, cx, ymap(&p, q3), cx, ymap(&p, b));
        canvas_line(cv, col, 1, cx - bw / 4, ymap(&p, a), cx + bw / 4, ymap(&p, a));
        canvas_line(cv, col, 1, cx - bw / 4, ymap(&p, b), cx + bw / 4, ymap(&p, b));
        /* the box, at least a hairline high */
        canvas_fill_color(cv, tint(col, 0.55));
        canvas_stroke_color(cv, col);
        canvas_line_width(cv, 1);
        canvas_rect(cv, cx - bw / 2, ymap(&p, q1), bw, fmax(ymap(&p, q3) - ymap(&p, q1), 0.5));
        canvas_fill_stroke(cv);
        canvas_line(cv, col, 2.2, cx - bw / 2, ymap(&p, md), cx + bw / 2, ymap(&p, md));
    }
    canvas_line_width(cv, 0.8);
    for (i = 0; i < c->npoints; i++) {
        size_t k = (size_t)c->point_cat[i];
        quire_rgb col = c->colors ? c->colors[k] : series_color(c, k);

        canvas_stroke_color(cv, col);
        canvas_circle(cv, p.left + slot * ((double)k + 0.5), ymap(&p, c->point_values[i]), 2);
        canvas_stroke(cv);
    }
    axis_titles(cv, c, x, y + 2, p.left, p.right, p.bottom, p.top);
}

/*
 * A scatter of customers: a small dot per category at (series 0, series
 * 1) in its group's colour, the axes padded around the dots; the legend
 * names the groups.
 */
static void draw_points(canvas *cv, const doc_chart *c, double x, double y, double w, double h)
{
    static const double ones[128] = {1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1,
                                     1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1};
    doc_chart leg;
    chart_ticks tx, ty;
    double xw, yw, left, right, bottom, top, legend_h, xtitle_h;
    size_t i;

    if (c->nseries < 2 || c->ncats == 0) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    memset(&leg, 0, sizeof leg);
    leg.nseries = c->ngroups < 128 ? c->ngroups : 128;
    leg.series = c->groups;
    leg.colors = c->group_colors;
    leg.ncats = 1;
    leg.values = ones;
    series_ticks(cv, c, 0, 0, c->unit2, &tx, &xw);
    series_ticks(cv, c, 1, 0, c->unit, &ty, &yw);
    if (!ticks_ok(&tx) || !ticks_ok(&ty)) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    legend_h = leg.nseries ? legend_rows(&leg, cv, w) * LEGEND_ROW + 8 : 0;
    xtitle_h = c->x_title && *c->x_title ? TITLE_SIZE + 6 : 0;
    left = x + (c->y_title && *c->y_title ? TITLE_SIZE + 8 : 0) + yw + 6;
    right = x + w - 12;
    bottom = y + legend_h + xtitle_h + TICK_SIZE + 10;
    top = y + h - TICK_SIZE / 2 - 1;
    if (top - bottom < 20 || right - left < 40) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    gridlines(cv, &ty, left, right, bottom, top);
    tick_labels(cv, &ty, c->unit, left - 6, CANVAS_RIGHT, bottom, top);
    x_ticks(cv, &tx, c->unit2, tx.min, tx.max, left, right, bottom, top, 1);
    canvas_line_width(cv, 0.4);
    canvas_stroke_color(cv, (quire_rgb){1, 1, 1});
    for (i = 0; i < c->ncats; i++) {
        double vx = value_at(c, 0, i), vy = value_at(c, 1, i);
        int g = c->cat_group[i];

        if (isnan(vx) || isnan(vy))
            continue;
        canvas_fill_color(cv, g >= 0 && (size_t)g < c->ngroups && c->group_colors
                                  ? c->group_colors[g]
                                  : PDF_FAINT);
        canvas_circle(cv, left + (vx - tx.min) / (tx.max - tx.min) * (right - left),
                      bottom + (vy - ty.min) / (ty.max - ty.min) * (top - bottom), 2.4);
        canvas_fill_stroke(cv);
    }
    axis_titles(cv, c, x, y + legend_h + 2, left, right, bottom, top);
    if (leg.nseries)
        draw_legend(cv, &leg, left, y + legend_h - 8, right - left);
}

/* Small multiples: how many panels a row holds. */
static size_t multiples_cols(size_t n)
{
    return n <= 2 ? n : n == 4 ? 2 : 3;
}

/*
 * A small line chart per series in a grid, all on one scale (lo..hi, the
 * whole chart's range), so the panels compare at a glance: the series'
 * name over each, the value ticks on the left of each row, the first and
 * last categories under each panel of the bottom row.
 */
static void draw_multiples(canvas *cv, const doc_chart *c, double x, double y, double w, double h,
                           double lo, double hi)
{
    canvas_font name_st = {1, LABEL_SIZE, PDF_INK}, cat_st = {0, TICK_SIZE, PDF_MUTED};
    size_t cols = multiples_cols(c->nseries), nrows = (c->nseries + cols - 1) / cols, s;
    chart_ticks t;
    double lw = 0, pw, ph, max_abs;
    char buf[64];
    int k;

    {
        doc_chart as_line = *c;

        as_line.kind = DOC_CHART_LINE;
        axis_ticks(&as_line, lo, hi, &t);
    }
    max_abs = fmax(fabs(t.min), fabs(t.max));
    for (k = 0; k < t.count; k++) {
        canvas_font tf = {0, TICK_SIZE, PDF_MUTED};

        quire_format_axis(buf, sizeof buf, t.min + k * t.step, t.step, max_abs, c->unit);
        lw = fmax(lw, canvas_text_width(cv, &tf, buf, strlen(buf)));
    }
    pw = (w - lw - 6) / (double)cols;
    ph = h / (double)nrows;
    for (s = 0; s < c->nseries; s++) {
        size_t col = s % cols, row = s / cols;
        double px = x + lw + 6 + pw * (double)col, ptop = y + h - ph * (double)row;
        plot p;
        doc_chart one = *c;
        quire_rgb color = series_color(c, s);
        const char *name = label_or_empty(c->series ? c->series[s] : NULL);
        double slot;

        p.left = px + 4;
        p.right = px + pw - 8;
        p.top = ptop - LABEL_SIZE - 8;
        p.bottom = ptop - ph + TICK_SIZE + 10;
        p.t = t;
        if (p.top - p.bottom < 16 || p.right - p.left < 30)
            continue;
        canvas_text_fit(cv, &name_st, p.left, ptop - LABEL_SIZE, CANVAS_LEFT, p.right - p.left,
                        name, strlen(name));
        gridlines(cv, &t, p.left, p.right, p.bottom, p.top);
        if (col == 0)
            tick_labels(cv, &t, c->unit, p.left - 4, CANVAS_RIGHT, p.bottom, p.top);
        slot = (p.right - p.left) / (double)c->ncats;
        one.nseries = 1;
        one.values = c->values + s * c->ncats;
        one.colors = &color;
        draw_lines(cv, &one, &p, slot);
        if (c->cats && c->ncats > 0) {
            const char *first = label_or_empty(c->cats[0]);
            const char *last = label_or_empty(c->cats[c->ncats - 1]);
            double by = p.bottom - TICK_SIZE - 3;

            canvas_text_fit(cv, &cat_st, p.left, by, CANVAS_LEFT, (p.right - p.left) / 2 - 2,
                            first, strlen(first));
            if (c->ncats > 1)
                canvas_text_fit(cv, &cat_st, p.right, by, CANVAS_RIGHT,
                                (p.right - p.left) / 2 - 2, last, strlen(last));
        }
    }
}

void chart_draw(canvas *cv, const doc_chart *c, double x, double y, double w, double h)
{
    canvas_font tick_st = {0, TICK_SIZE, PDF_MUTED};
    canvas_font cat_st = {0, LABEL_SIZE, PDF_INK};
    canvas_font title_st = {0, TITLE_SIZE, PDF_FAINT};
    char buf[64];
    double lo = 0, hi = 0, label_w = 0, max_abs, slot, legend_h, xlab_h, xtitle_h;
    int rows, lines, grouped, k, labels = 0, dec = label_decimals(c);
    plot p;

    /* the charts of a value per customer */
    if (c->kind == DOC_CHART_HISTOGRAM) {
        draw_histogram(cv, c, x, y, w, h);
        return;
    }
    if (c->kind == DOC_CHART_BOX) {
        draw_box(cv, c, x, y, w, h);
        return;
    }
    if (c->kind == DOC_CHART_SCATTER && c->cat_group) {
        draw_points(cv, c, x, y, w, h);
        return;
    }
    if (!data_range(c, &lo, &hi) || (lo == 0 && hi == 0)) {
        draw_no_data(cv, x, y, w, h);
        return;
    }
    switch (c->kind) {
    case DOC_CHART_DONUT:
        draw_donut(cv, c, x, y, w, h);
        return;
    case DOC_CHART_BAR_LINE:
        draw_bar_line(cv, c, x, y, w, h);
        return;
    case DOC_CHART_SCATTER:
        draw_scatter(cv, c, x, y, w, h);
        return;
    case DOC_CHART_MULTIPLES:
        draw_multiples(cv, c, x, y, w, h, lo, hi);
        return;
    default:
        break;
    }
    if (c->kind == DOC_CHART_HEATMAP) {
        if (c->scale_from > 0 && c->scale_from < c->ncats) {
            size_t sr, ci;
            int any = 0;
            for (sr = 0; sr < c->nseries; sr++)
                for (ci = c->scale_from; ci < c->ncats; ci++) {
                    double v = value_at(c, sr, ci);
                    if (isnan(v))
                        continue;
                    lo = any ? fmin(lo, v) : v;
                    hi = any ? fmax(hi, v) : v;
                    any = 1;
                }
        }
        draw_heatmap(cv, c, x, y, w, h, lo, hi);
        return;
    }
    if (c->kind != DOC_CHART_HBAR) {
        /* the spec's range and reference lines widen the axis to show them */
        size_t r;

        if (c->has_y_min)
            lo = fmin(lo, c->y_min);
        if (c->has_y_max)
            hi = fmax(hi, c->y_max);
        for (r = 0; r < c->nrefs; r++)
            if (isfinite(c->ref_values[r])) {
                lo = fmin(lo, c->ref_values[r]);
                hi = fmax(hi, c->ref_values[r]);
            }
        for (r = 0; r < c->ntlines * c->ncats; r++)
            if (isfinite(c->tline_values[r])) {
                lo = fmin(lo, c->tline_values[r]);
                hi = fmax(hi, c->tline_values[r]);
            }
    }
    axis_ticks(c, lo, hi, &p.t);
    if (c->kind == DOC_CHART_HBAR) {
        draw_hbar(cv, c, &p, x, y, w, h);
        return;
    }
    max_abs = fmax(fabs(p.t.min), fabs(p.t.max));
    for (k = 0; k < p.t.count; k++) {
        double tw;

        quire_format_axis(buf, sizeof buf, p.t.min + k * p.t.step, p.t.step, max_abs, c->unit);
        tw = canvas_text_width(cv, &tick_st, buf, strlen(buf));
        if (tw > label_w)
            label_w = tw;
    }

    rows = c->series ? legend_rows(c, cv, w) : 0;
    legend_h = rows ? rows * LEGEND_ROW + 8 : 0;
    xtitle_h = c->x_title && *c->x_title ? TITLE_SIZE + 6 : 0;
    p.left = x + (c->y_title && *c->y_title ? TITLE_SIZE + 8 : 0) + label_w + 6;
    p.right = x + w - 4;
    slot = (p.right - p.left) / (double)c->ncats;
    grouped = grouped_labels(c, cv, slot - 4);
    lines = grouped ? 2 : c->cats ? label_lines(c, cv, slot - 4) : 0;
    if (!grouped)
        cat_st.size = cat_size(c, cv, slot - 4);
    xlab_h = lines ? 8 + lines * LABEL_SIZE * 1.2 : 4;
    p.bottom = y + legend_h + xtitle_h + xlab_h;
    p.top = y + h - TICK_SIZE / 2 - 1;
    if (c->kind == DOC_CHART_STACKED) {
        labels = 0;
    } else if (c->kind == DOC_CHART_BAR) {
        double bw = slot * 0.8 / (double)c->nseries;

        labels = bar_labels_fit(cv, c, bw - (bw > 6 ? 1 : 0), dec);
        if (labels)
            p.top -= VALUE_SIZE + 2;
    }
    if (p.top - p.bottom < 20) {
        draw_no_data(cv, x, y, w, h);
        return;
    }

    /* Gridlines and value-axis labels. */
    canvas_line_width(cv, 0.5);
    canvas_stroke_color(cv, PDF_GRID);
    canvas_dash(cv, 2, 2);
    for (k = 0; k < p.t.count; k++) {
        double v = p.t.min + k * p.t.step;

        if (k == 0 || (c->kind != DOC_CHART_LINE && fabs(v) < p.t.step * 1e-6))
            continue; /* the baseline and the zero line are solid */
        canvas_move_to(cv, p.left, ymap(&p, v));
        canvas_line_to(cv, p.right, ymap(&p, v));
    }
    canvas_stroke(cv);
    canvas_dash(cv, 0, 0);
    for (k = 0; k < p.t.count; k++) {
        double v = p.t.min + k * p.t.step;

        quire_format_axis(buf, sizeof buf, v, p.t.step, max_abs, c->unit);
        canvas_text(cv, &tick_st, p.left - 6, ymap(&p, v) - TICK_SIZE * 0.35, CANVAS_RIGHT, buf,
                    strlen(buf));
    }
    canvas_line_width(cv, 0.7);
    canvas_stroke_color(cv, PDF_RULE);
    canvas_move_to(cv, p.left, p.bottom);
    canvas_line_to(cv, p.right, p.bottom);
    canvas_stroke(cv);

    if (c->kind == DOC_CHART_AREA) {
        draw_area(cv, c, &p, slot);
    } else if (c->kind != DOC_CHART_LINE) {
        if (c->kind == DOC_CHART_STACKED)
            draw_stacked(cv, c, &p, slot);
        else
            draw_bars(cv, c, &p, slot, labels, dec);
        if (p.t.min < 0) {
            /* The zero line over the bars that hang from it. */
            canvas_line_width(cv, 0.8);
            canvas_stroke_color(cv, PDF_FAINT);
            canvas_move_to(cv, p.left, ymap(&p, 0));
            canvas_line_to(cv, p.right, ymap(&p, 0));
            canvas_stroke(cv);
        }
    } else {
        draw_lines(cv, c, &p, slot);
    }

    draw_references(cv, c, &p);
    draw_targets(cv, c, &p, slot);

    /* Category labels, axis titles, legend. */
    if (grouped) {
        draw_grouped(cv, &cat_st, c, p.left, slot, p.bottom - 8 - LABEL_SIZE * 0.8);
    } else if (lines) {
        size_t i;

        for (i = 0; i < c->ncats; i++)
            draw_cat_label(cv, &cat_st, p.left + slot * ((double)i + 0.5),
                           p.bottom - 8 - LABEL_SIZE * 0.8, slot - 4, lines,
                           label_or_empty(c->cats[i]));
    }
    if (xtitle_h > 0)
        canvas_text_fit(cv, &title_st, (p.left + p.right) / 2, y + legend_h + 2, CANVAS_CENTER,
                        p.right - p.left, c->x_title, strlen(c->x_title));
    if (c->y_title && *c->y_title)
        canvas_text_fit_up(cv, &title_st, x + TITLE_SIZE, (p.top + p.bottom) / 2, CANVAS_CENTER,
                           p.top - p.bottom, c->y_title, strlen(c->y_title));
    if (rows)
        draw_legend(cv, c, p.left, y + legend_h - 8, p.right - p.left);
}

int chart_reads_at(canvas *cv, const doc_chart *c, double w, double h)
{
    /* the value axis and its title take about 50 pt of the width */
    double slot = c->ncats ? (w - 50) / (double)c->ncats : w;
    canvas_font st = {0, cat_size(c, cv, slot - 4), PDF_INK};
    size_t i;

    if (c->y_title && *c->y_title) {
        /* the y title runs up the plot, which the legend and the labels
         * leave about 60 pt shorter than the chart, more with a wrapped
         * legend */
        canvas_font ts = {0, TITLE_SIZE, PDF_FAINT};
        double room = h - 60 - (double)(legend_rows(c, cv, w) - 1) * LEGEND_ROW;
        if (canvas_text_width(cv, &ts, c->y_title, strlen(c->y_title)) > room)
            return 0;
    }
    if ((c->kind == DOC_CHART_LINE || c->kind == DOC_CHART_AREA) &&
        grouped_labels(c, cv, slot - 4))
        return 1;
    if (c->kind != DOC_CHART_LINE && c->kind != DOC_CHART_BAR && c->kind != DOC_CHART_STACKED &&
        c->kind != DOC_CHART_AREA)
        return 0;
    if (c->kind != DOC_CHART_LINE && c->kind != DOC_CHART_AREA && c->ncats * (c->nseries ? c->nseries : 1) > 24)
        return 0;
    for (i = 0; c->cats && i < c->ncats; i++) {
        const char *lab = label_or_empty(c->cats[i]);
        if (widest_word(cv, &st, lab, strlen(lab)) > slot - 4)
            return 0;
    }
    return 1;
}
