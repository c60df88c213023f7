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

#include "error.h"

/* How a value is shown. */
typedef enum quire_unit {
    QUIRE_UNIT_NUMBER = 0,   /* 1,234.5 */
    QUIRE_UNIT_COUNT,        /* 1,234 */
    QUIRE_UNIT_CURRENCY,     /* $1,234.50 */
    QUIRE_UNIT_PERCENT,      /* a fraction 0..1 shown as 81.3% */
    QUIRE_UNIT_SCORE,        /* 0..100, one decimal */
    QUIRE_UNIT_DAYS,
    QUIRE_UNIT_MONTHS
} quire_unit;

typedef struct quire_rgb {
    double r, g, b; /* 0..1 */
} quire_rgb;

typedef enum doc_chart_kind {
    DOC_CHART_LINE = 0, /* x: categories (months), one line per series (segment) */
    DOC_CHART_BAR = 1   /* x: categories (segments), grouped bars, one per series (month) */
} doc_chart_kind;

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
} doc_chart;

typedef enum doc_block_kind {
    DOC_PARAGRAPH = 0,
    DOC_QUESTIONS,  /* a "Questions to Consider" list */
    DOC_CHART
} doc_block_kind;

typedef struct doc_block {
    doc_block_kind kind;
    const char *text;                /* PARAGRAPH: the text; QUESTIONS: the heading */
    size_t nitems;                   /* QUESTIONS */
    const char *const *items;        /* QUESTIONS: the questions */
    const char *const *answers;      /* QUESTIONS: NULL, or one per item (NULL = none) */
    doc_chart chart;                 /* CHART */
} doc_block;

typedef struct doc_section {
    const char *title;
    const char *intro;   /* may be NULL */
    size_t nblocks;
    const doc_block *blocks;
} doc_section;

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
} quire_doc;

/*
 * Render doc to a PDF at path. The file is written atomically: a temporary
 * file beside path is written, synced and renamed, so path never holds a
 * partial PDF. Returns 0, or -1 with err set.
 */
int pdf_render(const quire_doc *doc, const char *path, quire_error *err);

/* Format v by unit into buf ("$1,234.50", "81.3%"); decimals -1 = default. */
void quire_format_value(char *buf, size_t n, double v, quire_unit unit, int decimals);

#endif
