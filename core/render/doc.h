/*
 * doc.h - the report as a document: what the renderer draws.
 *
 * The pipeline (spec, facts, segments, KPIs) fills a quire_doc; pdf.c lays it
 * out into pages. The renderer knows nothing of specs or data sources, and the
 * pipeline knows nothing of pages or fonts.
 *
 * All strings are UTF-8 and borrowed: they must outlive pdf_render().
 */
#ifndef QUIRE_DOC_H
#define QUIRE_DOC_H

#include <stddef.h>

#include "format.h"

typedef enum doc_chart_kind {
    DOC_CHART_LINE = 0, /* x: categories (months), one line per series (segment) */
    DOC_CHART_BAR = 1,  /* x: categories (segments), grouped bars, one per series (month) */
    DOC_CHART_STACKED = 2, /* x: categories, one bar per category, series stacked */
    DOC_CHART_HBAR = 3,    /* y: categories top-down, horizontal bars grouped by series */
    DOC_CHART_HEATMAP = 4, /* a matrix: rows are series, columns categories, a colour scale */
    DOC_CHART_AREA = 5,    /* x: categories (months), the series stacked as filled areas */
    DOC_CHART_DONUT = 6,   /* the categories' shares of their sum (one series), a ring */
    DOC_CHART_BAR_LINE = 7, /* x: categories; series 0 bars on the left axis, series 1 a
                             * line on the right one (unit2) */
    DOC_CHART_SCATTER = 8, /* a point per category: series 0 its x (unit2), series 1 its y */
    DOC_CHART_MULTIPLES = 9, /* a small line chart per series, one scale for all */
    DOC_CHART_HISTOGRAM = 10, /* categories are bins (edges), series stacked counts */
    DOC_CHART_BOX = 11       /* a box per category: series are DOC_BOX_* statistics */
} doc_chart_kind;

/* A box plot's series, per category (a group of customers). */
enum {
    DOC_BOX_LOW = 0,   /* the lower whisker: the least value within 1.5 IQR of Q1 */
    DOC_BOX_Q1,
    DOC_BOX_MEDIAN,
    DOC_BOX_Q3,
    DOC_BOX_HIGH,      /* the upper whisker */
    DOC_BOX_OUTLIERS,  /* how many values lie beyond the whiskers */
    DOC_BOX_N,         /* how many customers */
    DOC_BOX_NSERIES
};

typedef struct doc_chart {
    doc_chart_kind kind;
    const char *title;
    const char *subtitle;
    const char *x_title;      /* may be NULL */
    const char *y_title;      /* may be NULL */
    quire_unit unit;
    int decimals;             /* -1: the unit's default */
    size_t ncats;
    const char *const *cats;  /* category labels along x */
    size_t nseries;
    const char *const *series;      /* legend labels */
    const quire_rgb *colors;        /* one per series */
    const double *values;     /* nseries * ncats, row-major by series; NAN = no value */
    const char *row_title;    /* HEATMAP: what the rows are ("Segment last month"), may be NULL */
    size_t scale_from;        /* HEATMAP: the colour scale spans the columns from this one on
                               * (0: all), so a first column far above the rest (a cohort's
                               * 100 %) does not wash out the others; earlier cells clamp */
    /* When the labels along x do not fit their slots, the renderer may show
     * these instead: a short label per category ("Jun") and, under them,
     * each group once, at its first category ("2022"). Both NULL: none. */
    const char *const *cat_short;
    const char *const *cat_groups;
    /* BAR_LINE: the line's unit and the right axis's title; SCATTER: the x
     * axis's unit (its title is x_title). */
    quire_unit unit2;
    int decimals2;
    const char *y2_title;
    /* LINE, BAR, STACKED, AREA: the value axis reaches at least from y_min
     * (has_y_min) to y_max (has_y_max), and reference lines at values (a
     * label each, may be NULL) are drawn across the plot. */
    int has_y_min, has_y_max;
    double y_min, y_max;
    size_t nrefs;
    const double *ref_values;
    const char *const *ref_labels;
    /* HISTOGRAM: the bins' edges (ncats + 1, ascending); the values binned
     * are in unit2 (along x), the counts in unit. */
    const double *edges;
    /* SCATTER of customers (cat_group set): a point per category at (series
     * 0, series 1), coloured by its group (cat_group[i], -1: none), the
     * groups named and coloured in the legend. */
    const int *cat_group;
    size_t ngroups;
    const char *const *groups;
    const quire_rgb *group_colors;
    /* BOX: the outliers drawn (at most a sample of each box's), each a value
     * of category point_cat[i]; the boxes are coloured by colors (per
     * category, may be NULL). */
    size_t npoints;
    const double *point_values;
    const int *point_cat;
    /* LINE, AREA, STACKED: targets as dashed step lines, ntlines of ncats
     * values each (NAN: no target there), in tline_colors (NULL: ink) with
     * labels; BAR: ntlines == nseries, a dash over each bar at its target. */
    size_t ntlines;
    const double *tline_values;
    const quire_rgb *tline_colors;
    const char *const *tline_labels;
} doc_chart;

/* A line of a tile under its change: a comparison in words ("vs 2010-W05
 * \u25B2 +4.1%", "82.0% of target"), coloured when it is good or bad news. */
typedef struct doc_tile_line {
    const char *text;
    int tone;                 /* 1 good, -1 bad, 0 neither */
} doc_tile_line;

/* A KPI tile: the value, its change against the previous period. */
typedef struct doc_tile {
    const char *label;
    const char *caption;      /* under the value, e.g. "All customers, Apr 2024"; may be NULL */
    double value, prev;       /* NAN = no value */
    quire_unit unit;
    int decimals;             /* -1: the unit's default */
    int higher_is_better;     /* 1, 0 (lower is better) or -1 (neither: no colour) */
    int no_change;            /* the change against the previous period is not shown */
    const doc_tile_line *lines; /* more comparisons, under the change */
    size_t nlines;
} doc_tile;

/* A table column: numbers are right-aligned, text left-aligned. */
typedef struct doc_column {
    const char *title;
    int numeric;
    double weight;            /* share of the width; 0 = 1 */
    quire_unit unit;          /* what the column's values are, for the outputs that
                               * keep numbers as numbers (a workbook's formats) */
} doc_column;

typedef struct doc_table {
    const char *title;        /* may be NULL */
    size_t ncols;
    const doc_column *cols;
    size_t nrows;             /* body rows, the totals row excluded */
    const char *const *cells; /* (nrows + totals) * ncols, as shown; NULL = empty */
    int totals;               /* the row after the body is a totals row */
    /* NULL, or the number behind each cell (same shape as cells; NAN where
     * a cell is text or empty): a workbook writes these rather than read
     * the shown text back. */
    const double *values;
} doc_table;

/* A file carried inside the PDF (the data behind a chart or a table). */
typedef struct doc_file {
    const char *name;         /* "chart-1-customer_count.csv" */
    const char *desc;         /* what it holds, may be NULL */
    const char *mime;         /* "text/csv" */
    const char *data;
    size_t len;
} doc_file;

typedef enum doc_block_kind {
    DOC_PARAGRAPH = 0,
    DOC_QUESTIONS,  /* a "Questions to Consider" list */
    DOC_CHART,
    DOC_HEADING,    /* a subsection heading: text; in the contents and the bookmarks */
    DOC_BULLETS,    /* items, one bullet each */
    DOC_TILES,      /* a row (or rows) of KPI tiles, never split */
    DOC_TABLE
} doc_block_kind;

typedef struct doc_block {
    doc_block_kind kind;
    const char *text;                /* PARAGRAPH: the text; QUESTIONS: the heading */
    size_t nitems;                   /* QUESTIONS */
    const char *const *items;        /* QUESTIONS: the questions */
    const char *const *answers;      /* QUESTIONS: NULL, or one per item (NULL = none) */
    doc_chart chart;                 /* CHART */
    size_t ntiles;                   /* TILES */
    const doc_tile *tiles;
    doc_table table;                 /* TABLE */
} doc_block;

typedef struct doc_section {
    const char *title;
    const char *intro;   /* may be NULL */
    size_t nblocks;
    const doc_block *blocks;
} doc_section;

/* The look of the report (a spec's theme:); zero values are the defaults. */
enum { DOC_COVER_LEFT = 0, DOC_COVER_CENTERED, DOC_COVER_BAND };

typedef struct doc_theme {
    int has_accent;
    quire_rgb accent;        /* bars, rules, the period, tiles' tops; table heads darker */
    const char *font;        /* a TrueType file for the text, or NULL: DejaVu Sans */
    const char *bold_font;   /* ... for headings and figures (NULL: font's, or DejaVu's) */
    int landscape;
    int cover;               /* DOC_COVER_*: the title block's layout */
    const char *logo;        /* a PNG or JPEG on the cover, may be NULL */
    int logo_jpeg;
    int header_logo;         /* ... and small in every later page's header */
} doc_theme;

typedef struct quire_doc {
    const char *title;
    const char *subtitle;    /* may be NULL */
    const char *objective;   /* may be NULL: "Report Objective" paragraph */
    const char *period;      /* "Feb 2024 - Apr 2024" */
    const char *generated;   /* "2024-05-01": shown in the footer, may be NULL */
    /* PDF Info dates, as YYYY, MM, DD, hh, mm, ss in UTC; year 0 = leave out. */
    int date[6];
    size_t nsections;
    const doc_section *sections;

    /* Page setup; zero values take the defaults. */
    int letter;              /* 0: A4, 1: US Letter */
    double margin;           /* points; 0 = 50 */
    const char *logo;        /* a PNG file for the title page, may be NULL */
    int contents;            /* a title page and a contents page before the sections */
    int strict;              /* preflight problems are errors, not warnings */

    size_t nfiles;           /* embedded files (the data behind charts and tables) */
    const doc_file *files;

    /* Notes about the data from the sources ("customers: served from the
     * cache fetched 3 h ago"), shown on the title page under "Data notes". */
    size_t nnotes;
    const char *const *notes;

    doc_theme theme;         /* the look: colours, fonts, cover, orientation, logo */
} quire_doc;

#endif
