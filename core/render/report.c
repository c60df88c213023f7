/* report.c - the document and the exported numbers. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "date.h"
#include "qlocale.h"
#include "report_models.h"
#include "rowsel.h"
#include "source.h"
#include "stats.h"
#include "util.h"

struct report {
    quire_doc doc;
    doc_section *sections;
    char period[160];
    char generated[40];      /* YYYY-MM-DD; room for any int, so it is never cut */
    char **month_labels;     /* report months, "Feb 2024" */
    int month0;              /* the first one's month index */
    const char **month_short, **month_year;  /* "Feb", "2024": crowded axes */
    int nmonths;
    quire_rgb *month_colors;
    void **blocks;           /* doc_block arrays and chart values to free */
    size_t nblocks;
    doc_file *files;         /* the data behind charts and tables, and the manifest */
    size_t nfiles;
    int ncharts, ntables;
};

static void *keep(report *r, void *p)
{
    r->blocks = xrealloc(r->blocks, (r->nblocks + 1) * sizeof *r->blocks);
    r->blocks[r->nblocks++] = p;
    return p;
}

static void *keep_cb(void *r, void *p)
{
    return keep(r, p);
}

static int kpi_index(const model *m, const char *name)
{
    size_t k;
    for (k = 0; k < m->nkpis; k++)
        if (strcmp(m->kpis[k].spec->name, name) == 0)
            return (int)k;
    return -1;
}

/* Bar series are months: shades of one blue, light (oldest) to dark. */
static quire_rgb month_shade(int i, int n)
{
    double t = n > 1 ? (double)i / (n - 1) : 1.0;
    quire_rgb c;
    c.r = 0.62 - 0.50 * t;
    c.g = 0.76 - 0.42 * t;
    c.b = 0.90 - 0.28 * t;
    return c;
}

static const char *kstr(report *r, const char *s)
{
    return s ? keep(r, xstrdup(s)) : NULL;
}

static void add_file(report *r, char *name, const char *desc, const char *mime, strbuf *b)
{
    doc_file *f;

    r->files = xrealloc(r->files, (r->nfiles + 1) * sizeof *r->files);
    f = &r->files[r->nfiles++];
    f->name = keep(r, name);
    f->desc = kstr(r, desc);
    f->mime = mime;
    f->len = b->len;
    f->data = b->s ? keep(r, b->s) : "";
    b->s = NULL;
    b->len = 0;
}

static void csv_num(strbuf *b, double v)
{
    char num[40];

    if (isnan(v))
        return;
    format_plain_number(num, sizeof num, v);
    sb_puts(b, num);
}

/* A file name part: lower-case letters, digits and "_" of s, "-" between. */
static void slug(char *out, size_t n, const char *s)
{
    size_t k = 0;

    for (; s && *s && k + 1 < n; s++) {
        char ch = *s;

        if (ch >= 'A' && ch <= 'Z')
            ch = (char)(ch - 'A' + 'a');
        if ((ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') || ch == '_')
            out[k++] = ch;
        else if (k > 0 && out[k - 1] != '-')
            out[k++] = '-';
    }
    while (k > 0 && out[k - 1] == '-')
        k--;
    out[k] = '\0';
}

static int month_of(const model *m, int sel)
{
    return sel == SPEC_MONTH_LAST || sel >= m->nreport ? m->nreport - 1 : sel;
}

static const char *group_name(const grouping *gr, int g)
{
    return g == gr->nseg ? "All customers" : gr->names[g];
}

/* The group called name (NULL or "All": all customers). */
static int group_of(const grouping *gr, const char *name)
{
    int g;

    for (g = 0; name && g < gr->nseg; g++)
        if (strcmp(gr->names[g], name) == 0)
            return g;
    return gr->nseg;
}

/*
 * A label as the attached CSVs write it: in a report with a locale (qlocale.h)
 * a month's label is its ISO form ("2024-02"), so the files read the same in
 * every locale; without one, the label as shown ("Feb 2024"), as before.
 */
static void csv_label(const report *r, strbuf *b, const char *label)
{
    char iso[16];
    int k;

    if (label && quire_locale_active())
        for (k = 0; k < r->nmonths; k++)
            if (strcmp(label, r->month_labels[k]) == 0) {
                format_month(iso, sizeof iso, r->month0 + k);
                sb_puts(b, iso);
                return;
            }
    sb_csv_cstr(b, label);
}

/* The chart's data as CSV: category, series, value. */
static void chart_file(report *r, const doc_chart *c)
{
    strbuf b = {0};
    char sl[64];
    size_t si, ci;

    sb_puts(&b, "category,series,value\n");
    for (si = 0; si < c->nseries; si++)
        for (ci = 0; ci < c->ncats; ci++) {
            csv_label(r, &b, c->cats[ci]);
            sb_puts(&b, ",");
            csv_label(r, &b, c->series[si]);
            sb_puts(&b, ",");
            csv_num(&b, c->values[si * c->ncats + ci]);
            sb_puts(&b, "\n");
        }
    /* the targets drawn (reference: target), as series of their own */
    for (si = 0; si < c->ntlines; si++)
        for (ci = 0; ci < c->ncats; ci++) {
            csv_label(r, &b, c->cats[ci]);
            sb_puts(&b, ",");
            csv_label(r, &b, c->tline_labels[si]);
            sb_puts(&b, ",");
            csv_num(&b, c->tline_values[si * c->ncats + ci]);
            sb_puts(&b, "\n");
        }
    slug(sl, sizeof sl, c->title);
    add_file(r, xasprintf("chart-%02d-%s.csv", ++r->ncharts, sl), c->title, "text/csv", &b);
}

/* More months than this in a bar chart by segment (one bar per month) are
 * shown as lines: a dozen shades of one hue cannot be told apart. */
#define BAR_MONTHS_MAX 6

/* The report's months along the x axis, with their short forms for an axis
 * too crowded for the full labels. */
/* A column of periods' heading: "Month", "Week", "Quarter", "Year". */
static const char *grain_title(grain g)
{
    static const char *const titles[] = {"Month", "Week", "Quarter", "Year"};
    return titles[g.kind];
}

static void month_axis(const report *r, const model *m, doc_chart *c)
{
    c->ncats = (size_t)m->nreport;
    c->cats = (const char *const *)r->month_labels;
    c->cat_short = r->month_short;
    c->cat_groups = r->month_year;
}

static void build_dist_chart(report *r, const model *m, const spec_block *sb, doc_chart *c);

static double group_target(const model *m, const grouping *gr, size_t k, int g, int rp);

/* reference: target: the KPI's targets as dashed lines. A line chart draws
 * one line when every segment has the same targets (in ink, "Target"),
 * else a line per segment that has one, in its colour; stacked bars and
 * areas, whose tops are all customers, the target of All; bars, a dash
 * over each bar at its segment's target in its month. */
static void chart_targets(report *r, const model *m, const grouping *gr, int k, doc_chart *c)
{
    const int np = m->nreport, nseg = gr->nseg;
    double *t = keep(r, xcalloc(((size_t)nseg + 1) * (size_t)np + 1, sizeof *t));
    const char **labels = keep(r, xcalloc((size_t)nseg + 1, sizeof *labels));
    quire_rgb *colors = keep(r, xcalloc((size_t)nseg + 1, sizeof *colors));
    size_t n = 0;
    int g, rp, same = 1, any;

    switch (c->kind) {
    case DOC_CHART_LINE:
        for (g = 0; g < nseg; g++)
            for (rp = 0; rp < np; rp++) {
                double a = group_target(m, gr, (size_t)k, g, rp);
                double b = group_target(m, gr, (size_t)k, 0, rp);
                if (!(a == b || (isnan(a) && isnan(b))))
                    same = 0;
            }
        for (g = 0; g < (same ? 1 : nseg); g++) {
            for (any = 0, rp = 0; rp < np; rp++)
                if (!isnan(t[n * (size_t)np + (size_t)rp] =
                               group_target(m, gr, (size_t)k, g, rp)))
                    any = 1;
            if (!any)
                continue;
            labels[n] = same ? "Target" : keep(r, xasprintf("Target %s", gr->names[g]));
            colors[n] = same ? (quire_rgb){0.13, 0.13, 0.13} : gr->colors[g];
            n++;
        }
        break;
    case DOC_CHART_AREA:
    case DOC_CHART_STACKED:
        for (any = 0, rp = 0; rp < np; rp++)
            if (!isnan(t[rp] = group_target(m, gr, (size_t)k, nseg, rp)))
                any = 1;
        if (any) {
            labels[0] = "Target (all customers)";
            colors[0] = (quire_rgb){0.13, 0.13, 0.13};
            n = 1;
        }
        break;
    case DOC_CHART_BAR:
        /* series are the months, categories the segments */
        t = keep(r, xcalloc((size_t)np * (size_t)nseg + 1, sizeof *t));
        labels = keep(r, xcalloc((size_t)np + 1, sizeof *labels));
        colors = keep(r, xcalloc((size_t)np + 1, sizeof *colors));
        for (any = 0, rp = 0; rp < np; rp++)
            for (g = 0; g < nseg; g++)
                if (!isnan(t[(size_t)rp * (size_t)nseg + (size_t)g] =
                               group_target(m, gr, (size_t)k, g, rp)))
                    any = 1;
        for (rp = 0; any && rp < np; rp++) {
            labels[rp] = keep(r, xasprintf("Target %s", r->month_labels[rp]));
            colors[rp] = (quire_rgb){0.13, 0.13, 0.13};
        }
        n = any ? (size_t)np : 0;
        break;
    default:
        break;
    }
    if (!c->subtitle && (n > 1 || c->kind == DOC_CHART_BAR) && n)
        c->subtitle = c->kind == DOC_CHART_BAR ? "Dashes: each bar's target"
                                               : "Dashed lines: each segment's target";
    c->ntlines = n;
    c->tline_values = t;
    c->tline_colors = colors;
    c->tline_labels = labels;
}

static void build_chart(report *r, const model *m, const spec_block *sb, doc_chart *c)
{
    spec_chart_kind kind = sb->chart;
    const grouping *gr = &m->groups[sb->segmentation];
    int k = sb->kpi ? kpi_index(m, sb->kpi) : -1, rp, g, nseg = gr->nseg;
    const kpi_def *kd = k >= 0 ? &m->kpis[k] : NULL;
    double *v;

    _Static_assert((int)SPEC_CHART_HEATMAP == (int)DOC_CHART_HEATMAP &&
                       (int)SPEC_CHART_HBAR == (int)DOC_CHART_HBAR &&
                       (int)SPEC_CHART_AREA == (int)DOC_CHART_AREA &&
                       (int)SPEC_CHART_MULTIPLES == (int)DOC_CHART_MULTIPLES &&
                       (int)SPEC_CHART_HISTOGRAM == (int)DOC_CHART_HISTOGRAM &&
                       (int)SPEC_CHART_BOX == (int)DOC_CHART_BOX,
                   "spec and document chart kinds in the same order");
    if (sb->value) {
        build_dist_chart(r, m, sb, c);
        return;
    }
    if (kind == SPEC_CHART_BAR && m->nreport > BAR_MONTHS_MAX)
        kind = SPEC_CHART_LINE;
    c->kind = (doc_chart_kind)kind;
    c->title = sb->title;
    c->subtitle = sb->subtitle;
    c->x_title = sb->x_title;
    c->y_title = sb->y_title ? sb->y_title : kd ? kd->label : NULL;
    c->unit = kd ? kd->unit : QUIRE_UNIT_COUNT;
    c->decimals = kd ? kd->decimals : 0;
    c->has_y_min = sb->has_y_min;
    c->has_y_max = sb->has_y_max;
    c->y_min = sb->y_min;
    c->y_max = sb->y_max;
    c->nrefs = sb->nrefs;
    c->ref_values = sb->refs;
    c->ref_labels = (const char *const *)sb->ref_labels;
    v = keep(r, xmalloc(((size_t)m->nreport + 1) * ((size_t)nseg + 1) * ((size_t)nseg + 1) *
                        sizeof *v));
    switch (kind) {
    case SPEC_CHART_LINE:
    case SPEC_CHART_STACKED:
    case SPEC_CHART_AREA:
    case SPEC_CHART_MULTIPLES:
        month_axis(r, m, c);
        c->nseries = (size_t)nseg;
        c->series = gr->names;
        c->colors = gr->colors;
        for (g = 0; g < nseg; g++)
            for (rp = 0; rp < m->nreport; rp++)
                v[(size_t)g * (size_t)m->nreport + (size_t)rp] = model_kpi(m, gr, (size_t)k, rp, g);
        break;
    case SPEC_CHART_BAR:
        c->ncats = (size_t)nseg;
        c->cats = gr->names;
        c->nseries = (size_t)m->nreport;
        c->series = (const char *const *)r->month_labels;
        c->colors = r->month_colors;
        for (rp = 0; rp < m->nreport; rp++)
            for (g = 0; g < nseg; g++)
                v[(size_t)rp * (size_t)nseg + (size_t)g] = model_kpi(m, gr, (size_t)k, rp, g);
        break;
    case SPEC_CHART_HBAR: {
        int mo = month_of(m, sb->month);
        const char **cats = keep(r, xcalloc((size_t)nseg + 1, sizeof *cats));

        memcpy(cats, gr->names, (size_t)nseg * sizeof *cats);
        cats[nseg] = "All customers";
        c->ncats = (size_t)nseg + 1;
        c->cats = cats;
        c->nseries = 1;
        c->series = (const char *const *)&r->month_labels[mo];
        c->colors = &r->month_colors[m->nreport - 1];
        for (g = 0; g <= nseg; g++)
            v[g] = model_kpi(m, gr, (size_t)k, mo, g);
        c->y_title = NULL;
        c->x_title = sb->x_title ? sb->x_title : kd->label;
        break;
    }
    case SPEC_CHART_DONUT: {
        /* the segments' shares in one month */
        int mo = month_of(m, sb->month);

        c->ncats = (size_t)nseg;
        c->cats = gr->names;
        c->colors = gr->colors;
        c->nseries = 1;
        c->series = (const char *const *)&r->month_labels[mo];
        for (g = 0; g < nseg; g++)
            v[g] = model_kpi(m, gr, (size_t)k, mo, g);
        c->y_title = NULL;
        break;
    }
    case SPEC_CHART_BAR_LINE:
    case SPEC_CHART_SCATTER: {
        int k2 = kpi_index(m, sb->kpi2), mo = month_of(m, sb->month);
        const kpi_def *kd2 = &m->kpis[k2];
        const char **names = keep(r, xcalloc(2, sizeof *names));

        c->unit2 = kd2->unit;
        c->decimals2 = kd2->decimals;
        if (kind == SPEC_CHART_BAR_LINE) {
            /* one group's two KPIs month by month: bars on the left axis,
             * the line on the right */
            static const quire_rgb two[] = {{0.62, 0.76, 0.90}, {0.89, 0.47, 0.10}};
            int gsel = group_of(gr, sb->segment);

            month_axis(r, m, c);
            c->nseries = 2;
            names[0] = kd->label;
            names[1] = kd2->label;
            c->series = names;
            c->colors = two;
            for (rp = 0; rp < m->nreport; rp++) {
                v[rp] = model_kpi(m, gr, (size_t)k, rp, gsel);
                v[(size_t)m->nreport + (size_t)rp] = model_kpi(m, gr, (size_t)k2, rp, gsel);
            }
            c->y2_title = kd2->label;
            if (!sb->subtitle)
                c->subtitle = keep(r, xasprintf("%s by month", group_name(gr, gsel)));
        } else {
            /* a point per segment in one month: x the second KPI, y the first */
            c->ncats = (size_t)nseg;
            c->cats = gr->names;
            c->colors = gr->colors;
            c->nseries = 2;
            names[0] = kd2->label;
            names[1] = kd->label;
            c->series = names;
            for (g = 0; g < nseg; g++) {
                v[g] = model_kpi(m, gr, (size_t)k2, mo, g);
                v[nseg + g] = model_kpi(m, gr, (size_t)k, mo, g);
            }
            c->x_title = sb->x_title ? sb->x_title : kd2->label;
            if (!sb->subtitle)
                c->subtitle = keep(r, xasprintf("Segments in %s", r->month_labels[mo]));
        }
        break;
    }
    case SPEC_CHART_HEATMAP:
        if (sb->matrix) {
            /* Customers by segment last month (rows) and this month (columns). */
            int mo = month_of(m, sb->month), p = m->p_report + mo, a;
            const int8_t *now_row = gr->seg + (size_t)p * m->f->nentities;
            const int8_t *prev_row = now_row - m->f->nentities;
            size_t e;
            char lab[64];

            for (a = 0; a < nseg * nseg; a++)
                v[a] = 0;
            for (e = 0; e < m->f->nentities; e++)
                if (prev_row[e] >= 0 && now_row[e] >= 0)
                    v[(size_t)prev_row[e] * (size_t)nseg + (size_t)now_row[e]] += 1;
            c->ncats = c->nseries = (size_t)nseg;
            c->cats = c->series = gr->names;
            grain_label(lab, sizeof lab, m->s->grain, m->s->month_from + mo - 1);
            c->row_title = keep(r, xasprintf("Segment in %s", lab));
            c->x_title = sb->x_title ? sb->x_title
                                     : keep(r, xasprintf("Segment in %s", r->month_labels[mo]));
            c->y_title = NULL;
        } else {
            month_axis(r, m, c);
            c->nseries = (size_t)nseg;
            c->series = gr->names;
            for (g = 0; g < nseg; g++)
                for (rp = 0; rp < m->nreport; rp++)
                    v[(size_t)g * (size_t)m->nreport + (size_t)rp] =
                        model_kpi(m, gr, (size_t)k, rp, g);
            c->row_title = "Segment";
            c->y_title = NULL;
        }
        break;
    case SPEC_CHART_HISTOGRAM:
    case SPEC_CHART_BOX:
        break; /* charts of a value per customer: build_dist_chart */
    }
    c->values = v;
    if (sb->ref_target && k >= 0)
        chart_targets(r, m, gr, k, c);
    chart_file(r, c);
}

/* ------------------------------------------------------------ comparisons */

/* "Last 3 weeks", "Year to date", ...: what a comparison's value covers. */
static void compare_name(char *buf, size_t n, const spec *s, spec_compare c)
{
    switch (c.kind) {
    case SPEC_CMP_PREVIOUS:
        snprintf(buf, n, "Previous %s", grain_name(s->grain));
        break;
    case SPEC_CMP_LAST_YEAR:
        snprintf(buf, n, "Same %s last year", grain_name(s->grain));
        break;
    case SPEC_CMP_ROLLING:
        snprintf(buf, n, "Last %d %ss", c.n, grain_name(s->grain));
        break;
    case SPEC_CMP_YTD:
        snprintf(buf, n, "%s to date", s->grain.fy_start > 1 ? "Fiscal year" : "Year");
        break;
    default:
        snprintf(buf, n, "Target");
        break;
    }
}

/* KPI k's target for group g (named as targets: name it, "All" for all
 * customers) in report period rp, or NAN. */
static double group_target(const model *m, const grouping *gr, size_t k, int g, int rp)
{
    return spec_kpi_target(m->kpis[k].spec, g == gr->nseg ? "All" : gr->names[g],
                           m->s->month_from + rp);
}

/* Comparison c of KPI k (group g, report period rp): the value it compares
 * with, or NAN when its data is missing. */
static double compare_value(const model *m, const grouping *gr, size_t k, spec_compare c,
                            int rp, int g)
{
    switch (c.kind) {
    case SPEC_CMP_PREVIOUS:
        return rp > 0 ? model_kpi(m, gr, k, rp - 1, g) : NAN;
    case SPEC_CMP_TARGET:
        return group_target(m, gr, k, g, rp);
    default:
        return model_kpi_compare(m, gr, k, c, rp, g);
    }
}

/* The tone of a move from old to now for KPI k: 1 good, -1 bad, 0 neither. */
static int tone_of(const kpi_def *kd, double d)
{
    if (isnan(d) || d == 0 || kd->higher_is_better < 0)
        return 0;
    return (d > 0) == (kd->higher_is_better > 0) ? 1 : -1;
}

/* Comparison c as a tile's line or a table's cell: "vs 2010-W05 \u25B2 +4.1%"
 * (short: "+4.1%"), "Last 3 weeks: 1,234" ("1,234"), "82.0% of target
 * 150,000" ("82.0%"). Returns its tone. */
static int compare_text(char *buf, size_t n, const model *m, size_t k, spec_compare c, int rp,
                        double now, double then, int shorter)
{
    const kpi_def *kd = &m->kpis[k];
    const spec *s = m->s;
    char a[64], b[64];
    double d;

    switch (c.kind) {
    case SPEC_CMP_PREVIOUS:
    case SPEC_CMP_LAST_YEAR: {
        int at = c.kind == SPEC_CMP_PREVIOUS ? s->month_from + rp - 1
                                             : grain_last_year(s->grain, s->month_from + rp);
        if (at < 0) {
            snprintf(buf, n, shorter ? "%s" : "no such %s last year", shorter ? QUIRE_NO_VALUE
                                                                            : grain_name(s->grain));
            return 0;
        }
        grain_label(a, sizeof a, s->grain, at);
        d = quire_change_text(b, sizeof b, now, then, kd->unit, kd->decimals,
                              QUIRE_CHANGE_FROM_ZERO);
        if (isnan(then))
            snprintf(buf, n, shorter ? "%s" : "vs %s: no data", shorter ? QUIRE_NO_VALUE : a);
        else if (isnan(d))
            snprintf(buf, n, shorter ? "%s" : "vs %s: no data now", shorter ? QUIRE_NO_VALUE : a);
        else if (shorter)
            snprintf(buf, n, "%s", b);
        else
            snprintf(buf, n, "vs %s %s %s", a, d > 0 ? "\xE2\x96\xB2" : d < 0 ? "\xE2\x96\xBC"
                                                                          : "\xE2\x96\xB6", b);
        return tone_of(kd, d);
    }
    case SPEC_CMP_TARGET:
        if (isnan(then)) {
            /* none for this period or group: never "0 % of target" */
            snprintf(buf, n, "%s", shorter ? QUIRE_NO_VALUE : "no target");
            return 0;
        }
        quire_format_value(b, sizeof b, then, kd->unit, kd->decimals);
        if (isnan(now) || then == 0) {
            snprintf(buf, n, shorter ? "%s" : "target %s: no data", shorter ? QUIRE_NO_VALUE : b);
            return 0;
        }
        quire_format_value(a, sizeof a, now / then, QUIRE_UNIT_PERCENT, 1);
        if (shorter)
            snprintf(buf, n, "%s", a);
        else
            snprintf(buf, n, "%s of target %s", a, b);
        return tone_of(kd, now - then) < 0 ? -1 : kd->higher_is_better < 0 ? 0 : 1;
    default:
        compare_name(a, sizeof a, s, c);
        if (isnan(then))
            snprintf(buf, n, shorter ? "%s" : "%s: no data", shorter ? QUIRE_NO_VALUE : a);
        else {
            quire_format_value(b, sizeof b, then, kd->unit, kd->decimals);
            if (shorter)
                snprintf(buf, n, "%s", b);
            else
                snprintf(buf, n, "%s: %s", a, b);
        }
        return 0;
    }
}

static void build_tiles(report *r, const model *m, const spec_block *sb, doc_block *db)
{
    const grouping *gr = &m->groups[sb->segmentation];
    doc_tile *t = keep(r, xcalloc(sb->nkpis, sizeof *t));
    int mo = month_of(m, sb->month), g = group_of(gr, sb->segment);
    const char *cap;
    size_t i;

    cap = keep(r, xasprintf("%s, %s", group_name(gr, g), r->month_labels[mo]));
    for (i = 0; i < sb->nkpis; i++) {
        int k = kpi_index(m, sb->kpis[i]);
        const kpi_def *kd = &m->kpis[k];

        t[i].label = kd->label;
        t[i].caption = cap;
        t[i].value = model_kpi(m, gr, (size_t)k, mo, g);
        t[i].prev = mo > 0 ? model_kpi(m, gr, (size_t)k, mo - 1, g) : NAN;
        t[i].unit = kd->unit;
        t[i].decimals = kd->decimals;
        t[i].higher_is_better = kd->higher_is_better;
        if (sb->ncompare) {
            doc_tile_line *l = keep(r, xcalloc(sb->ncompare, sizeof *l));
            size_t c;
            char buf[160];

            t[i].no_change = 1;
            for (c = 0; c < sb->ncompare; c++) {
                if (sb->compare[c].kind == SPEC_CMP_PREVIOUS) {
                    t[i].no_change = 0;
                    continue;
                }
                if (sb->compare[c].kind == SPEC_CMP_TARGET && !kd->spec->ntargets)
                    continue; /* this KPI has none */
                l[t[i].nlines].tone = compare_text(
                    buf, sizeof buf, m, (size_t)k, sb->compare[c], mo, t[i].value,
                    compare_value(m, gr, (size_t)k, sb->compare[c], mo, g), 0);
                l[t[i].nlines++].text = kstr(r, buf);
            }
            t[i].lines = l;
        }
    }
    db->kind = DOC_TILES;
    db->tiles = t;
    db->ntiles = sb->nkpis;
}

static void table_file(report *r, const doc_table *t, strbuf *raw)
{
    char sl[64];

    slug(sl, sizeof sl, t->title ? t->title : "table");
    add_file(r, xasprintf("table-%02d-%s.csv", ++r->ntables, sl), t->title, "text/csv", raw);
}

/* A date as a table shows it: ISO ("2024-03-27"), or in figures as the
 * report's locale writes them ("27.03.2024"). */
static void shown_date(char *buf, size_t n, int32_t days)
{
    int y, mo, d;

    if (!quire_locale_active()) {
        format_date(buf, n, days);
        return;
    }
    civil_from_days(days, &y, &mo, &d);
    if (quire_locale_date(quire_locale_active(), buf, n, y, mo, d))
        format_date(buf, n, days);
}

/* A column's value as the table shows it: the column's own format (unit and
 * decimals), unless the spec gives one (f, may be NULL). */
static void format_cell(char *buf, size_t n, double v, quire_unit unit, int decimals,
                        const spec_colfmt *f)
{
    if (f && f->format != SPEC_FORMAT_DEFAULT) {
        if (isnan(v))
            snprintf(buf, n, "%s", QUIRE_NO_VALUE);
        else if (f->format == SPEC_FORMAT_DATE)
            shown_date(buf, n, (int32_t)v);
        else if (f->format == SPEC_FORMAT_TEXT)
            format_plain_number(buf, n, v);
        else
            quire_format_value(buf, n, v, (quire_unit)f->format, f->decimals);
        return;
    }
    quire_format_value(buf, n, v, unit, f && f->decimals >= 0 ? f->decimals : decimals);
}

/* A column's heading: the spec's label, else dflt. */
static const char *col_title(const spec_block *sb, size_t i, const char *dflt)
{
    return sb->colfmt && sb->colfmt[i].label ? sb->colfmt[i].label : dflt;
}

/* KPIs as columns, segments (or months) as rows. */
static void build_kpi_table(report *r, const model *m, const spec_block *sb, doc_table *t)
{
    const grouping *gr = &m->groups[sb->segmentation];
    const size_t per = 1 + sb->ncompare; /* columns per KPI: its value, its comparisons */
    size_t ncols = sb->nkpis * per + 1, nrows, nshown, nrefs = rowsel_nrefs(sb), i, j, row;
    int mo = month_of(m, sb->month), g0 = group_of(gr, sb->segment);
    doc_column *cols = keep(r, xcalloc(ncols, sizeof *cols));
    const char **cells;
    double *values;
    rowsel_value *vals;
    size_t *order;
    char (*months)[16];
    strbuf raw = {0};
    char buf[64];

    nrows = sb->by_month ? (size_t)m->nreport : (size_t)gr->nseg;
    /* The rows shown: where, sort, top (rowsel.h) over the KPIs' values. */
    vals = xcalloc(nrows * nrefs + 1, sizeof *vals);
    order = xcalloc(nrows + 1, sizeof *order);
    months = xcalloc(nrows + 1, sizeof *months);
    for (row = 0; row < nrows; row++)
        for (j = 0; j < nrefs; j++) {
            const char *name = j < sb->nwhere ? sb->where[j].name : sb->sort;
            int k = kpi_index(m, name);
            rowsel_value *v = &vals[row * nrefs + j];
            if (k >= 0) {
                v->num = model_kpi(m, gr, (size_t)k, sb->by_month ? (int)row : mo,
                                   sb->by_month ? g0 : (int)row);
            } else if (sb->by_month) {
                /* a month as the spec writes one: YYYY-MM */
                grain_key(months[row], sizeof months[row], m->s->grain, m->s->month_from + (int)row);
                v->text = months[row];
            } else {
                v->text = group_name(gr, (int)row);
            }
        }
    nshown = rowsel_apply(sb, nrows, vals, 0, order);
    free(vals);
    free(months);

    cells = keep(r, xcalloc((nshown + 1) * ncols, sizeof *cells));
    values = keep(r, xcalloc((nshown + 1) * ncols, sizeof *values));
    for (i = 0; i < (nshown + 1) * ncols; i++)
        values[i] = NAN;
    cols[0].title = !sb->by_month ? (gr->spec->title ? gr->spec->title : "Segment")
                    : grain_title(m->s->grain);
    sb_puts(&raw, !sb->by_month ? "segment" : m->s->grain.kind == GRAIN_MONTH ? "month"
                                                                              : grain_name(m->s->grain));
    for (i = 0; i < sb->nkpis; i++) {
        static const char *const heads[] = {"\xCE\x94 previous", "\xCE\x94 PY", "", "", "% of target"};
        static const char *const keys[] = {"previous", "last_year", "rolling", "ytd", "target"};
        const spec_colfmt *f = sb->colfmt ? &sb->colfmt[i] : NULL;
        size_t c;

        cols[i * per + 1].title = col_title(sb, i, m->kpis[kpi_index(m, sb->kpis[i])].label);
        cols[i * per + 1].numeric = 1;
        cols[i * per + 1].unit = f && f->format >= 0 && f->format <= QUIRE_UNIT_MONTHS
                                     ? (quire_unit)f->format
                                     : m->kpis[kpi_index(m, sb->kpis[i])].unit;
        sb_puts(&raw, ",");
        sb_csv_cstr(&raw, sb->kpis[i]);
        for (c = 0; c < sb->ncompare; c++) {
            spec_compare cmp = sb->compare[c];
            char name[64];
            if (cmp.kind == SPEC_CMP_ROLLING)
                snprintf(name, sizeof name, "Last %d %ss", cmp.n, grain_name(m->s->grain));
            else if (cmp.kind == SPEC_CMP_YTD)
                snprintf(name, sizeof name, "%s", m->s->grain.fy_start > 1 ? "FYTD" : "YTD");
            else
                snprintf(name, sizeof name, "%s", heads[cmp.kind]);
            cols[i * per + 2 + c].title = kstr(r, name);
            cols[i * per + 2 + c].numeric = 1;
            if (cmp.kind == SPEC_CMP_ROLLING)
                sb_printf(&raw, ",%s.rolling_%d", sb->kpis[i], cmp.n);
            else
                sb_printf(&raw, ",%s.%s", sb->kpis[i], keys[cmp.kind]);
        }
    }
    sb_puts(&raw, "\n");
    for (row = 0; row < nshown + 1; row++) {
        size_t src = row < nshown ? order[row] : nrows;
        int g = sb->by_month ? g0 : (row < nshown ? (int)src : gr->nseg);
        int rp = sb->by_month ? (int)src : mo;

        if (row == nshown && (!sb->totals || sb->by_month))
            break;
        cells[row * ncols] = sb->by_month ? r->month_labels[src] : group_name(gr, g);
        csv_label(r, &raw, cells[row * ncols]);
        for (i = 0; i < sb->nkpis; i++) {
            int k = kpi_index(m, sb->kpis[i]);
            double v = model_kpi(m, gr, (size_t)k, rp, g);

            size_t c;

            format_cell(buf, sizeof buf, v, m->kpis[k].unit, m->kpis[k].decimals,
                        sb->colfmt ? &sb->colfmt[i] : NULL);
            cells[row * ncols + i * per + 1] = kstr(r, buf);
            if (!sb->colfmt || sb->colfmt[i].format < SPEC_FORMAT_DATE)
                values[row * ncols + i * per + 1] = v;
            sb_puts(&raw, ",");
            csv_num(&raw, v);
            for (c = 0; c < sb->ncompare; c++) {
                double then = compare_value(m, gr, (size_t)k, sb->compare[c], rp, g);
                char cb[96];
                compare_text(cb, sizeof cb, m, (size_t)k, sb->compare[c], rp, v, then, 1);
                cells[row * ncols + i * per + 2 + c] = kstr(r, cb);
                sb_puts(&raw, ",");
                csv_num(&raw, then);
            }
        }
        sb_puts(&raw, "\n");
    }
    free(order);
    t->title = sb->title ? sb->title
                         : keep(r, sb->by_month
                                       ? xasprintf("%s by %s", group_name(gr, g0),
                                                   grain_name(m->s->grain))
                                       : xasprintf("Segments in %s", r->month_labels[mo]));
    t->ncols = ncols;
    t->cols = cols;
    t->nrows = nshown;
    t->cells = cells;
    t->values = values;
    t->totals = sb->totals && !sb->by_month;
    table_file(r, t, &raw);
}

/* ------------------------------------------------------------ customers */

/* "days_since_last_order" as a heading: "Days since last order". */
static const char *humane(report *r, const char *name)
{
    char *h = keep(r, xstrdup(name)), *p;

    for (p = h; *p; p++)
        if (*p == '_')
            *p = ' ';
    if (*h >= 'a' && *h <= 'z')
        *h = (char)(*h - 'a' + 'A');
    return h;
}

/* Slot k of a capture for entity e: a number, or a text (NULL: a number). */
static rowsel_value cap_value(const model *m, const model_capture *cp, size_t k, size_t e,
                              char *keybuf, size_t keyn)
{
    const grouping *gr = &m->groups[cp->block->segmentation];
    const size_t ne = m->f->nentities;
    rowsel_value v = {NAN, NULL};
    int g;

    switch (cp->kinds[k]) {
    case SPEC_CUST_KEY:
        if (m->f->int_keys)
            v.num = (double)m->f->ikeys[e];
        else {
            facts_key_text(m->f, e, keybuf, keyn);
            v.text = keybuf;
        }
        break;
    case SPEC_CUST_SEGMENT:
    case SPEC_CUST_PREV:
        g = cp->kinds[k] == SPEC_CUST_SEGMENT ? gr->seg[(size_t)cp->p * ne + e]
            : cp->p > m->p_first               ? gr->seg[(size_t)(cp->p - 1) * ne + e]
                                               : -1;
        v.text = g >= 0 ? gr->names[g] : "";
        break;
    case SPEC_CUST_TEXT: {
        const facts_attr *a = &m->f->attrs[m->fields[cp->index[k]].measure];
        uint32_t code = (uint32_t)cp->v[k][e];
        v.text = code ? a->values[code - 1] : "";
        break;
    }
    default:
        v.num = cp->v[k] ? cp->v[k][e] : NAN;
        break;
    }
    return v;
}

/* Slot k's own format: its KPI's, or its field's. */
static void cap_format(const model *m, const model_capture *cp, size_t k, quire_unit *unit,
                       int *decimals)
{
    const field *fl;

    *unit = QUIRE_UNIT_NUMBER;
    *decimals = 2;
    if (cp->kinds[k] == SPEC_CUST_KPI) {
        *unit = m->kpis[cp->index[k]].unit;
        *decimals = m->kpis[cp->index[k]].decimals;
        return;
    }
    if (cp->kinds[k] != SPEC_CUST_NUMBER)
        return;
    fl = &m->fields[cp->index[k]];
    if (fl->kind == FIELD_DAYS_SINCE)
        *unit = QUIRE_UNIT_DAYS, *decimals = 0;
    else if (fl->kind == FIELD_TENURE)
        *unit = QUIRE_UNIT_MONTHS, *decimals = 0;
    else if (fl->integral)
        *unit = QUIRE_UNIT_COUNT, *decimals = 0;
}

/* A row per customer of the block's month (a customer by then), filtered,
 * sorted and cut by where, sort and top (rowsel.h), at most rows (1000). */
static void build_customer_table(report *r, const model *m, const spec_block *sb,
                                 doc_table *t)
{
    const model_capture *cp = NULL;
    const grouping *gr = &m->groups[sb->segmentation];
    const size_t ne = m->f->nentities, ncols = sb->ncolumns, nrefs = rowsel_nrefs(sb);
    doc_column *cols = keep(r, xcalloc(ncols, sizeof *cols));
    size_t i, k, e, n = 0, nshown, *order, *ents;
    rowsel_value *vals;
    const char **cells;
    char (*keys)[96];
    strbuf raw = {0};
    char buf[96];

    for (i = 0; i < m->ncaps; i++)
        if (m->caps[i].block == sb)
            cp = &m->caps[i];
    ents = xmalloc((ne ? ne : 1) * sizeof *ents);
    for (e = 0; e < ne; e++)
        if (gr->seg[(size_t)cp->p * ne + e] >= 0)
            ents[n++] = e;
    vals = xcalloc(n * nrefs + 1, sizeof *vals);
    keys = xcalloc(nrefs * n + 1, sizeof *keys);
    for (i = 0; i < n; i++)
        for (k = 0; k < nrefs; k++)
            vals[i * nrefs + k] = cap_value(m, cp, ncols + k, ents[i], keys[i * nrefs + k],
                                            sizeof *keys);
    order = xmalloc((n ? n : 1) * sizeof *order);
    nshown = rowsel_apply(sb, n, vals, sb->rows > 0 ? (size_t)sb->rows : 1000, order);
    free(vals);
    free(keys);

    cells = keep(r, xcalloc(nshown * ncols + 1, sizeof *cells));
    for (k = 0; k < ncols; k++) {
        const char *dflt;
        switch (cp->kinds[k]) {
        case SPEC_CUST_KPI:
            dflt = m->kpis[cp->index[k]].label;
            break;
        case SPEC_CUST_SEGMENT:
            dflt = gr->spec->title ? gr->spec->title : "Segment";
            break;
        case SPEC_CUST_PREV:
            dflt = "Segment the month before";
            break;
        default:
            dflt = humane(r, sb->columns[k]);
            break;
        }
        cols[k].title = col_title(sb, k, dflt);
        cols[k].numeric = cp->kinds[k] == SPEC_CUST_KPI || cp->kinds[k] == SPEC_CUST_NUMBER;
        if (k)
            sb_puts(&raw, ",");
        sb_csv_cstr(&raw, sb->columns[k]);
    }
    sb_puts(&raw, "\n");
    for (i = 0; i < nshown; i++) {
        e = ents[order[i]];
        for (k = 0; k < ncols; k++) {
            rowsel_value v = cap_value(m, cp, k, e, buf, sizeof buf);
            const spec_colfmt *f = &sb->colfmt[k];
            char text[96];

            if (k)
                sb_puts(&raw, ",");
            if (v.text) {
                cells[i * ncols + k] = kstr(r, v.text);
                sb_csv_cstr(&raw, v.text);
                continue;
            }
            if (cp->kinds[k] == SPEC_CUST_KEY) {
                format_plain_number(text, sizeof text, v.num);
                sb_puts(&raw, text);
            } else if (cp->kinds[k] == SPEC_CUST_DATE) {
                if (!isnan(v.num))
                    format_date(text, sizeof text, (int32_t)v.num);
                else
                    snprintf(text, sizeof text, "%s", QUIRE_NO_VALUE);
                sb_puts(&raw, isnan(v.num) ? "" : text);
                if (!isnan(v.num))
                    shown_date(text, sizeof text, (int32_t)v.num);
                if (f->format != SPEC_FORMAT_DEFAULT)
                    format_cell(text, sizeof text, v.num, QUIRE_UNIT_NUMBER, 0, f);
            } else {
                quire_unit unit;
                int dec;
                cap_format(m, cp, k, &unit, &dec);
                format_cell(text, sizeof text, v.num, unit, dec, f);
                csv_num(&raw, v.num);
            }
            cells[i * ncols + k] = kstr(r, text);
        }
        sb_puts(&raw, "\n");
    }
    free(order);
    free(ents);
    t->title = sb->title ? sb->title
                         : keep(r, xasprintf("Customers in %s",
                                             r->month_labels[cp->p - m->p_report]));
    t->ncols = ncols;
    t->cols = cols;
    t->nrows = nshown;
    t->cells = cells;
    table_file(r, t, &raw);
}

/* ------------------------------------------------------------ distributions */

/* The groups a box plot shows after the segments: all customers, in grey. */
static const quire_rgb all_grey = {0.33, 0.37, 0.43};

/* The capture of a chart of a per-customer value, slot k's label and
 * format: its KPI's, or its field's name made humane. */
static const char *slot_label(report *r, const model *m, const model_capture *cp, size_t k)
{
    return cp->kinds[k] == SPEC_CUST_KPI ? m->kpis[cp->index[k]].label : humane(r, cp->names[k]);
}

/* The smallest of 1, 2 or 5 times a power of ten that is at least x (> 0),
 * as f * 10^e. */
static void nice_up(double x, double *f, int *e)
{
    int k = (int)floor(log10(x));
    double p = pow(10, k), t = x / p;

    *f = t <= 1 + 1e-12 ? 1 : t <= 2 + 1e-12 ? 2 : t <= 5 + 1e-12 ? 5 : 10;
    *e = k;
    if (*f == 10) {
        *f = 1;
        *e = k + 1;
    }
}

/* The next nice width after f * 10^e. */
static void nice_next(double *f, int *e)
{
    if (*f == 1)
        *f = 2;
    else if (*f == 2)
        *f = 5;
    else {
        *f = 1;
        (*e)++;
    }
}

/* i * f * 10^e, rounded once: edges print as written ("0.3", not
 * "0.30000000000000004"). */
static double edge_at(double i, double f, int e)
{
    return e < 0 ? i * f / pow(10, -e) : i * f * pow(10, e);
}

/*
 * A histogram's bins over sorted x[0..n): at most max_bins of one width,
 * 1, 2 or 5 times a power of ten (at least 1 when every value is whole),
 * from a multiple of the width at or below the least value; each bin holds
 * lo <= v < hi. Without max_bins (0), the count comes from the
 * Freedman-Diaconis width, 2 IQR / cbrt(n), or Sturges' log2(n) + 1 bins
 * when the IQR is 0, and is at most SPEC_BINS_MAX. Returns the count and
 * sets edges[0..count] (room for SPEC_BINS_MAX + 1).
 */
static size_t hist_bins(const double *x, size_t n, int max_bins, int whole, double *edges)
{
    double lo = x[0], hi = x[n - 1], f, kstart;
    int e, k = max_bins;
    size_t nb, i;

    if (!k) {
        double iqr = stats_quantile(x, n, 0.75) - stats_quantile(x, n, 0.25);

        if (iqr > 0 && hi > lo)
            k = (int)fmin(ceil((hi - lo) / (2 * iqr / cbrt((double)n))), SPEC_BINS_MAX);
        else
            k = (int)ceil(log2((double)n)) + 1;
        if (k > SPEC_BINS_MAX)
            k = SPEC_BINS_MAX;
        if (k < 1)
            k = 1;
    }
    {
        /* values all alike (or too far apart to measure): one bin about them */
        double step = (hi - lo) / k;

        if (!(hi - lo > fmax(fabs(lo), fabs(hi)) * 1e-12) || !isnormal(step) || step > 1e300)
            step = fmin(fmax(fabs(lo), 1) / 10, 1e300);
        nice_up(step, &f, &e);
    }
    if (whole && edge_at(1, f, e) < 1)
        f = 1, e = 0;
    for (;;) {
        double w = edge_at(1, f, e);

        kstart = floor(lo / w);
        if (edge_at(kstart, f, e) > lo)
            kstart -= 1;
        double est = floor((hi - edge_at(kstart, f, e)) / w) + 1;

        /* (a range beyond the doubles' is cut short at the last bin) */
        nb = est >= 1 && est < 1e6 ? (size_t)est : est >= 1e6 ? 1000000 : 1;
        while (nb > 1 && edge_at(kstart + (double)nb - 1, f, e) > hi)
            nb--;
        while (nb < 1000000 && edge_at(kstart + (double)nb, f, e) <= hi)
            nb++;
        if (nb <= (size_t)k || nb == 1 || e > 300)
            break;
        nice_next(&f, &e);
    }
    if (nb > SPEC_BINS_MAX)
        nb = SPEC_BINS_MAX;
    for (i = 0; i <= nb; i++)
        edges[i] = edge_at(kstart + (double)i, f, e);
    return nb;
}

/* The bin of v among edges[0..nb]: lo <= v < hi. */
static size_t bin_of(const double *edges, size_t nb, double v)
{
    double w = (edges[nb] - edges[0]) / (double)nb, at = floor((v - edges[0]) / w);
    long i = isfinite(at) ? (long)fmax(fmin(at, (double)nb), -1) : 0;

    if (i < 0)
        i = 0;
    if (i >= (long)nb)
        i = (long)nb - 1;
    while (i > 0 && v < edges[i])
        i--;
    while ((size_t)i + 1 < nb && v >= edges[i + 1])
        i++;
    return (size_t)i;
}

/* FNV-1a, 64 bits, of s: a customer's place in the sample. */
static uint64_t fnv1a(const char *s)
{
    uint64_t h = 14695981039346656037ULL;

    for (; *s; s++) {
        h ^= (unsigned char)*s;
        h *= 1099511628211ULL;
    }
    return h;
}

typedef struct ranked {
    uint64_t hash;
    size_t e;
} ranked;

static int cmp_ranked(const void *a, const void *b)
{
    const ranked *x = a, *y = b;

    if (x->hash != y->hash)
        return x->hash < y->hash ? -1 : 1;
    return (x->e > y->e) - (x->e < y->e);
}

/* The subtitle's month: "Apr 2024". */
static const char *cap_month(const report *r, const model *m, const model_capture *cp)
{
    return r->month_labels[cp->p - m->p_report];
}

/*
 * A histogram: the customers' values in the chart's month binned
 * (hist_bins), counted per segment (stacked, in the segments' colours) or
 * for the one group segment names. Its file: the bins ("[lo, hi)") as
 * categories, the groups as series, the counts as values.
 */
static void build_histogram(report *r, const model *m, const spec_block *sb,
                            const model_capture *cp, doc_chart *c)
{
    const grouping *gr = &m->groups[sb->segmentation];
    const size_t ne = m->f->nentities;
    const int8_t *seg = gr->seg + (size_t)cp->p * ne;
    const double *v = cp->v[0];
    int one = sb->segment != NULL, gsel = group_of(gr, sb->segment), nseg = gr->nseg, whole = 1;
    double *x = xmalloc((ne ? ne : 1) * sizeof *x), *edges, *counts;
    size_t n = 0, e, nb, i, ns = one ? 1 : (size_t)nseg;
    const char **cats;
    char lo[40], hi[40];

    for (e = 0; e < ne; e++)
        if (seg[e] >= 0 && isfinite(v[e]) && (!one || gsel == nseg || seg[e] == gsel)) {
            x[n++] = v[e];
            whole &= v[e] == floor(v[e]);
        }
    c->unit = QUIRE_UNIT_COUNT;
    c->decimals = 0;
    cap_format(m, cp, 0, &c->unit2, &c->decimals2);
    c->x_title = sb->x_title ? sb->x_title : slot_label(r, m, cp, 0);
    c->y_title = sb->y_title ? sb->y_title : "Customers";
    if (one) {
        c->series = keep(r, xcalloc(1, sizeof *c->series));
        ((const char **)c->series)[0] = group_name(gr, gsel);
        c->colors = gsel < nseg ? &gr->colors[gsel] : &all_grey;
    } else {
        c->series = gr->names;
        c->colors = gr->colors;
    }
    c->nseries = ns;
    if (!sb->subtitle) {
        char cnt[40];

        quire_format_value(cnt, sizeof cnt, (double)n, QUIRE_UNIT_COUNT, 0);
        c->subtitle = keep(r, xasprintf("%s in %s, %s customers%s", one ? group_name(gr, gsel)
                                        : "Customers", cap_month(r, m, cp), cnt,
                                        one ? "" : ", by segment"));
    }
    if (n == 0) {
        free(x);
        c->values = keep(r, xcalloc(1, sizeof *c->values));
        chart_file(r, c);
        return;
    }
    stats_sort(x, n);
    edges = keep(r, xmalloc((SPEC_BINS_MAX + 2) * sizeof *edges));
    nb = hist_bins(x, n, sb->bins, whole, edges);
    counts = keep(r, xcalloc(ns * nb, sizeof *counts));
    for (e = 0; e < ne; e++)
        if (seg[e] >= 0 && isfinite(v[e]) && (!one || gsel == nseg || seg[e] == gsel))
            counts[(one ? 0 : (size_t)seg[e]) * nb + bin_of(edges, nb, v[e])] += 1;
    cats = keep(r, xcalloc(nb, sizeof *cats));
    for (i = 0; i < nb; i++) {
        format_plain_number(lo, sizeof lo, edges[i]);
        format_plain_number(hi, sizeof hi, edges[i + 1]);
        cats[i] = keep(r, xasprintf("[%s, %s)", lo, hi));
    }
    free(x);
    c->ncats = nb;
    c->cats = cats;
    c->edges = edges;
    c->values = counts;
    chart_file(r, c);
}

/* At most this many outliers of a box are drawn on each side of it: the
 * most extreme and others spread evenly by rank between (the file counts
 * them all). */
#define BOX_OUTLIERS_DRAWN 40

/* The statistics of sorted x[0..n) into st[DOC_BOX_*]; outliers below and
 * above the whiskers are x[0..*nlow) and x[n - *nhigh..n). */
static void box_stats(const double *x, size_t n, double *st, size_t *nlow, size_t *nhigh)
{
    double q1, q3, lf, hf;
    size_t a = 0, b = n;

    for (a = 0; a < DOC_BOX_NSERIES; a++)
        st[a] = NAN;
    *nlow = *nhigh = 0;
    st[DOC_BOX_N] = (double)n;
    st[DOC_BOX_OUTLIERS] = 0;
    if (n == 0)
        return;
    q1 = stats_quantile(x, n, 0.25);
    q3 = stats_quantile(x, n, 0.75);
    lf = q1 - 1.5 * (q3 - q1);
    hf = q3 + 1.5 * (q3 - q1);
    for (a = 0; a < n && x[a] < lf; a++)
        ;
    for (b = n; b > a && x[b - 1] > hf; b--)
        ;
    st[DOC_BOX_LOW] = x[a];
    st[DOC_BOX_Q1] = q1;
    st[DOC_BOX_MEDIAN] = stats_quantile(x, n, 0.5);
    st[DOC_BOX_Q3] = q3;
    st[DOC_BOX_HIGH] = x[b - 1];
    st[DOC_BOX_OUTLIERS] = (double)(a + (n - b));
    *nlow = a;
    *nhigh = n - b;
}

/* Up to BOX_OUTLIERS_DRAWN of x[0..k) (sorted), extreme first end kept. */
static void pick_outliers(const double *x, size_t k, int cat, double *pv, int *pc, size_t *np)
{
    size_t j, m = k < BOX_OUTLIERS_DRAWN ? k : BOX_OUTLIERS_DRAWN;

    for (j = 0; j < m; j++) {
        size_t at = m > 1 ? (size_t)llround((double)j * (double)(k - 1) / (double)(m - 1)) : 0;

        pv[*np] = x[at];
        pc[*np] = cat;
        (*np)++;
    }
}

/*
 * A box plot per segment and of all customers: the quartiles by R's
 * default definition (type 7, stats.h), whiskers at the most extreme
 * values within 1.5 IQR of the box (Tukey), values beyond them outliers.
 * Its file: the groups as categories, DOC_BOX_* names as series.
 */
static void build_box(report *r, const model *m, const spec_block *sb, const model_capture *cp,
                      doc_chart *c)
{
    static const char *const stat_names[DOC_BOX_NSERIES] = {
        "Lower whisker", "Q1", "Median", "Q3", "Upper whisker", "Outliers", "Customers"};
    const grouping *gr = &m->groups[sb->segmentation];
    const size_t ne = m->f->nentities;
    const int8_t *seg = gr->seg + (size_t)cp->p * ne;
    const double *v = cp->v[0];
    const int nseg = gr->nseg;
    const size_t ng = (size_t)nseg + 1;
    size_t *start = xcalloc(ng + 1, sizeof *start), *fill = xcalloc(ng, sizeof *fill);
    size_t e, g, n = 0, np = 0;
    double *x, *vals = keep(r, xmalloc(DOC_BOX_NSERIES * ng * sizeof *vals));
    double *pv = keep(r, xmalloc((2 * BOX_OUTLIERS_DRAWN * ng + 1) * sizeof *pv));
    int *pc = keep(r, xmalloc((2 * BOX_OUTLIERS_DRAWN * ng + 1) * sizeof *pc));
    const char **cats = keep(r, xcalloc(ng, sizeof *cats));
    quire_rgb *cols = keep(r, xcalloc(ng, sizeof *cols));

    /* the segments' values one after the other, then all of them */
    for (e = 0; e < ne; e++)
        if (seg[e] >= 0 && isfinite(v[e]))
            start[seg[e] + 1]++, n++;
    for (g = 1; g <= (size_t)nseg; g++)
        start[g] += start[g - 1];
    start[ng] = 2 * n;
    start[nseg] = n;
    x = xmalloc((2 * n + 1) * sizeof *x);
    for (e = 0; e < ne; e++)
        if (seg[e] >= 0 && isfinite(v[e])) {
            x[start[seg[e]] + fill[seg[e]]++] = v[e];
            x[n + fill[nseg]++] = v[e];
        }
    for (g = 0; g < ng; g++) {
        double st[DOC_BOX_NSERIES];
        size_t k, nlow, nhigh, len = start[g + 1] - start[g];
        double *xs = x + start[g];

        stats_sort(xs, len);
        box_stats(xs, len, st, &nlow, &nhigh);
        for (k = 0; k < DOC_BOX_NSERIES; k++)
            vals[k * ng + g] = st[k];
        pick_outliers(xs, nlow, (int)g, pv, pc, &np);
        {
            /* the high side's most extreme first */
            double *hi = xmalloc((nhigh + 1) * sizeof *hi);
            for (k = 0; k < nhigh; k++)
                hi[k] = xs[len - 1 - k];
            pick_outliers(hi, nhigh, (int)g, pv, pc, &np);
            free(hi);
        }
        cats[g] = g < (size_t)nseg ? gr->names[g] : "All customers";
        cols[g] = g < (size_t)nseg ? gr->colors[g] : all_grey;
    }
    free(x);
    free(start);
    free(fill);
    cap_format(m, cp, 0, &c->unit, &c->decimals);
    c->y_title = sb->y_title ? sb->y_title : slot_label(r, m, cp, 0);
    c->x_title = sb->x_title;
    if (!sb->subtitle)
        c->subtitle = keep(r, xasprintf("Customers in %s: quartiles, whiskers at 1.5 IQR, "
                                        "outliers beyond", cap_month(r, m, cp)));
    c->ncats = ng;
    c->cats = cats;
    c->colors = cols;
    c->nseries = DOC_BOX_NSERIES;
    c->series = stat_names;
    c->values = vals;
    c->npoints = np;
    c->point_values = pv;
    c->point_cat = pc;
    chart_file(r, c);
}

/*
 * A scatter of customers: a point per customer of the month with both
 * values, at most sample of them: those whose keys (as text) have the
 * least FNV-1a hashes, so the same customers are chosen run after run,
 * and in that order. Its file: customer, segment, x, y per point.
 */
static void build_customer_scatter(report *r, const model *m, const spec_block *sb,
                                   const model_capture *cp, doc_chart *c)
{
    const grouping *gr = &m->groups[sb->segmentation];
    const size_t ne = m->f->nentities;
    const int8_t *seg = gr->seg + (size_t)cp->p * ne;
    const double *vx = cp->v[0], *vy = cp->v[1];
    ranked *rk = xmalloc((ne ? ne : 1) * sizeof *rk);
    size_t n = 0, e, i, ns;
    double *vals;
    const char **cats, **names = keep(r, xcalloc(2, sizeof *names));
    int *grp;
    char key[96], sl[64];
    strbuf b = {0};

    for (e = 0; e < ne; e++)
        if (seg[e] >= 0 && isfinite(vx[e]) && isfinite(vy[e])) {
            facts_key_text(m->f, e, key, sizeof key);
            rk[n].hash = fnv1a(key);
            rk[n++].e = e;
        }
    qsort(rk, n, sizeof *rk, cmp_ranked);
    ns = n < (size_t)sb->sample ? n : (size_t)sb->sample;
    vals = keep(r, xmalloc((2 * ns + 1) * sizeof *vals));
    cats = keep(r, xcalloc(ns + 1, sizeof *cats));
    grp = keep(r, xcalloc(ns + 1, sizeof *grp));
    names[0] = slot_label(r, m, cp, 0);
    names[1] = slot_label(r, m, cp, 1);
    sb_puts(&b, "customer,segment,");
    sb_csv_cstr(&b, sb->x_value);
    sb_puts(&b, ",");
    sb_csv_cstr(&b, sb->value);
    sb_puts(&b, "\n");
    for (i = 0; i < ns; i++) {
        e = rk[i].e;
        facts_key_text(m->f, e, key, sizeof key);
        cats[i] = kstr(r, key);
        grp[i] = seg[e];
        vals[i] = vx[e];
        vals[ns + i] = vy[e];
        sb_csv_cstr(&b, key);
        sb_puts(&b, ",");
        sb_csv_cstr(&b, gr->names[seg[e]]);
        sb_puts(&b, ",");
        csv_num(&b, vx[e]);
        sb_puts(&b, ",");
        csv_num(&b, vy[e]);
        sb_puts(&b, "\n");
    }
    free(rk);
    cap_format(m, cp, 1, &c->unit, &c->decimals);
    cap_format(m, cp, 0, &c->unit2, &c->decimals2);
    c->x_title = sb->x_title ? sb->x_title : names[0];
    c->y_title = sb->y_title ? sb->y_title : names[1];
    if (!sb->subtitle) {
        char a[40], all[40];

        quire_format_value(a, sizeof a, (double)ns, QUIRE_UNIT_COUNT, 0);
        quire_format_value(all, sizeof all, (double)n, QUIRE_UNIT_COUNT, 0);
        c->subtitle = ns < n ? keep(r, xasprintf("A sample of %s of the %s customers in %s", a,
                                                 all, cap_month(r, m, cp)))
                             : keep(r, xasprintf("The %s customers in %s", all,
                                                 cap_month(r, m, cp)));
    }
    c->ncats = ns;
    c->cats = cats;
    c->nseries = 2;
    c->series = names;
    c->values = vals;
    c->cat_group = grp;
    c->ngroups = (size_t)gr->nseg;
    c->groups = gr->names;
    c->group_colors = gr->colors;
    slug(sl, sizeof sl, c->title);
    add_file(r, xasprintf("chart-%02d-%s.csv", ++r->ncharts, sl), c->title, "text/csv", &b);
}

/* A chart of a per-customer value (the block's capture). */
static void build_dist_chart(report *r, const model *m, const spec_block *sb, doc_chart *c)
{
    const model_capture *cp = NULL;
    size_t i;

    for (i = 0; i < m->ncaps; i++)
        if (m->caps[i].block == sb)
            cp = &m->caps[i];
    c->kind = (doc_chart_kind)sb->chart;
    c->title = sb->title;
    c->subtitle = sb->subtitle;
    if (sb->chart == SPEC_CHART_HISTOGRAM)
        build_histogram(r, m, sb, cp, c);
    else if (sb->chart == SPEC_CHART_BOX)
        build_box(r, m, sb, cp, c);
    else
        build_customer_scatter(r, m, sb, cp, c);
}

/* ------------------------------------------------------------ source rows */

/* A table of a source's rows, read in the read stage (rows.c): integers as
 * they are, numbers with two decimals, dates as YYYY-MM-DD, booleans as
 * yes/no; totals of the number columns when asked. */
static void build_rows_table(report *r, const row_table *rt, doc_table *t)
{
    const spec_block *sb = rt->block;
    doc_column *cols = keep(r, xcalloc(rt->ncols ? rt->ncols : 1, sizeof *cols));
    const char **cells = keep(r, xcalloc((rt->nrows + 1) * rt->ncols + 1, sizeof *cells));
    double *sums = keep(r, xcalloc(rt->ncols ? rt->ncols : 1, sizeof *sums));
    strbuf raw = {0};
    char buf[64];
    size_t k, row;

    for (k = 0; k < rt->ncols; k++) {
        cols[k].title = col_title(sb, k, sb->columns[k]);
        cols[k].numeric = rt->cols[k].type == QUIRE_T_INTEGER || rt->cols[k].type == QUIRE_T_NUMBER;
        if (k)
            sb_puts(&raw, ",");
        sb_csv_cstr(&raw, sb->columns[k]);
    }
    sb_puts(&raw, "\n");
    for (row = 0; row < rt->nrows; row++) {
        for (k = 0; k < rt->ncols; k++) {
            const row_cell *cl = &rt->cells[row * rt->ncols + k];
            const char *text = "";

            if (!cl->null) {
                switch (rt->cols[k].type) {
                case QUIRE_T_INTEGER:
                    snprintf(buf, sizeof buf, "%lld", (long long)cl->i);
                    sums[k] += (double)cl->i;
                    break;
                case QUIRE_T_NUMBER:
                    quire_format_value(buf, sizeof buf, cl->n, QUIRE_UNIT_NUMBER, 2);
                    sums[k] += cl->n;
                    break;
                case QUIRE_T_DATE:
                    shown_date(buf, sizeof buf, (int32_t)cl->i);
                    break;
                case QUIRE_T_BOOLEAN:
                    snprintf(buf, sizeof buf, "%s", cl->i ? "yes" : "no");
                    break;
                default:
                    break;
                }
                if ((rt->cols[k].type == QUIRE_T_INTEGER || rt->cols[k].type == QUIRE_T_NUMBER) &&
                    sb->colfmt && sb->colfmt[k].format != SPEC_FORMAT_DEFAULT)
                    format_cell(buf, sizeof buf,
                                rt->cols[k].type == QUIRE_T_NUMBER ? cl->n : (double)cl->i,
                                QUIRE_UNIT_NUMBER, 2, &sb->colfmt[k]);
                text = cl->s ? cl->s : buf;
            }
            if (k)
                sb_puts(&raw, ",");
            if (!cl->null && rt->cols[k].type == QUIRE_T_NUMBER)
                csv_num(&raw, cl->n);
            else if (!cl->null && rt->cols[k].type == QUIRE_T_DATE && !cl->s) {
                char iso[40];

                format_date(iso, sizeof iso, (int32_t)cl->i); /* the file's dates stay ISO */
                sb_puts(&raw, iso);
            } else
                sb_csv_cstr(&raw, text);
            cells[row * rt->ncols + k] = kstr(r, text);
        }
        sb_puts(&raw, "\n");
    }
    if (sb->totals) {
        /* Sums of the number columns; the first column says how many rows. */
        for (k = 0; k < rt->ncols; k++) {
            if (rt->cols[k].type == QUIRE_T_NUMBER) {
                quire_format_value(buf, sizeof buf, sums[k], QUIRE_UNIT_NUMBER, 2);
                cells[rt->nrows * rt->ncols + k] = kstr(r, buf);
            }
        }
        if (rt->ncols && rt->cols[0].type != QUIRE_T_NUMBER)
            cells[rt->nrows * rt->ncols] = keep(r, xasprintf("Total (%zu rows)", rt->nrows));
    }
    t->title = sb->title ? sb->title : sb->source;
    t->ncols = rt->ncols;
    t->cols = cols;
    t->nrows = rt->nrows;
    t->cells = cells;
    t->totals = sb->totals;
    table_file(r, t, &raw);
}

/* ------------------------------------------------------------ manifest */

/* manifest.json: what produced this PDF, so that it can be produced again.
 * Parameters and inputs that feed secret options are shown as "***". */
/* A path as the manifest records it: relative to the working folder when it
 * lies inside it (as the user most likely typed it), so that the same
 * command in another checkout makes the same bytes. */
static void json_path(strbuf *b, const char *cwd, const char *path)
{
    size_t n = cwd ? strlen(cwd) : 0;

    if (n > 1 && strncmp(path, cwd, n) == 0 && path[n] == '/' && path[n + 1])
        path += n + 1;
    sb_json_cstr(b, path);
}

/* Whether source read a, then b, comes first in the manifest: by source,
 * columns and hash, so that reads made on several threads are listed the
 * same way every time. */
static int read_cmp(const void *pa, const void *pb)
{
    const source_read *a = *(const source_read *const *)pa, *b = *(const source_read *const *)pb;
    size_t k;
    int c = strcmp(a->source, b->source);

    for (k = 0; !c && k < a->ncolumns && k < b->ncolumns; k++)
        c = strcmp(a->columns[k], b->columns[k]);
    if (!c && a->ncolumns != b->ncolumns)
        c = a->ncolumns < b->ncolumns ? -1 : 1;
    return c ? c : strcmp(a->sha256, b->sha256);
}

/* Whether a source of the spec said what it reads (so its files are not
 * its data: a token file, a cache). */
static int has_origin(const data_notes *dn, const char *name)
{
    size_t i;
    for (i = 0; name && dn && i < dn->nreads; i++)
        if (strcmp(dn->reads[i].source, name) == 0)
            return 1;
    return 0;
}

/* The reads of the sources that are not files: each once (two facts that
 * read one source the same way fetched the same records). */
static void manifest_reads(strbuf *b, const data_notes *dn, int first)
{
    const source_read **v;
    size_t i, k, n = dn ? dn->nreads : 0;

    if (!n)
        return;
    v = xcalloc(n, sizeof *v);
    for (i = 0; i < n; i++)
        v[i] = &dn->reads[i];
    qsort(v, n, sizeof *v, read_cmp);
    for (i = 0; i < n; i++) {
        if (i && read_cmp(&v[i - 1], &v[i]) == 0)
            continue;
        sb_puts(b, first ? "\n    {\"source\": " : ",\n    {\"source\": ");
        first = 0;
        sb_json_cstr(b, v[i]->source);
        sb_puts(b, ", \"url\": ");
        sb_json_cstr(b, v[i]->origin);
        sb_puts(b, ", \"columns\": [");
        for (k = 0; k < v[i]->ncolumns; k++) {
            sb_puts(b, k ? ", " : "");
            sb_json_cstr(b, v[i]->columns[k]);
        }
        sb_printf(b, "], \"records\": %llu, \"records_sha256\": ", v[i]->records);
        sb_json_cstr(b, v[i]->sha256);
        sb_puts(b, "}");
    }
    free(v);
}

static void build_manifest(report *r, const model *m, input_digests *dg,
                           const source_secrets *secrets, const data_notes *dn)
{
    char cwdbuf[4096];
    const char *cwd = getcwd(cwdbuf, sizeof cwdbuf);
    const spec *s = m->s;
    strbuf b = {0};
    size_t i, n, listed;
    const input_digest *in = digests_wait(dg, &n);

    sb_puts(&b, "{\n  \"quire\": ");
#ifdef QUIRE_VERSION
    sb_json_cstr(&b, QUIRE_VERSION);
#else
    sb_json_cstr(&b, "");
#endif
    sb_puts(&b, ",\n  \"spec\": ");
    sb_json_cstr(&b, s->path);
    sb_puts(&b, ",\n  \"spec_sha256\": ");
    sb_json_cstr(&b, in[0].hex);
    sb_puts(&b, ",\n  \"period\": ");
    sb_json_cstr(&b, r->period);
    sb_puts(&b, ",\n  \"generated\": ");
    sb_json_cstr(&b, r->generated);
    sb_puts(&b, ",\n  \"parameters\": {");
    for (i = 0; i < s->nparams; i++) {
        sb_puts(&b, i ? ",\n    " : "\n    ");
        sb_json_cstr(&b, s->params[i].name);
        sb_puts(&b, ": ");
        if (source_secrets_param(secrets, s->params[i].name))
            sb_json_cstr(&b, "***");
        else if (s->params[i].type == PARAM_PATH)
            json_path(&b, cwd, s->params[i].value);
        else
            sb_json_cstr(&b, s->params[i].value);
    }
    sb_puts(&b, s->nparams ? "\n  },\n  \"inputs\": [" : "},\n  \"inputs\": [");
    for (i = 1, listed = 0; i < n; i++) {
        if (has_origin(dn, in[i].source))
            continue;
        sb_puts(&b, listed++ ? ",\n    {\"path\": " : "\n    {\"path\": ");
        if (source_secrets_value(secrets, in[i].path))
            sb_json_cstr(&b, "***");
        else if (in[i].name)
            sb_json_cstr(&b, in[i].name);
        else
            json_path(&b, cwd, in[i].path);
        sb_puts(&b, ", \"sha256\": ");
        sb_json_cstr(&b, in[i].hex);
        sb_puts(&b, "}");
    }
    manifest_reads(&b, dn, listed == 0);
    sb_puts(&b, "\n  ],\n  \"files\": [");
    for (i = 0; i < r->nfiles; i++) {
        sb_puts(&b, i ? ", " : "");
        sb_json_cstr(&b, r->files[i].name);
    }
    sb_puts(&b, "]\n}\n");
    add_file(r, xstrdup("manifest.json"), "How this report was made: Quire version, spec and "
             "input hashes, parameters", "application/json", &b);
}

/* The sources' notes, then one per KPI whose data the spec lacks. */
static void build_notes(report *r, const model *m, const data_notes *dn)
{
    const char **notes;
    size_t i, n = 0, nd = dn ? dn->n : 0;

    notes = keep(r, xcalloc(nd + m->nkpis + 1, sizeof *notes));
    for (i = 0; i < nd; i++)
        notes[n++] = dn->v[i];
    for (i = 0; i < m->nkpis; i++)
        if (m->kpis[i].missing)
            notes[n++] = keep(r, xasprintf("%s: no data; the report's data has no %s.",
                                           m->kpis[i].label, m->kpis[i].missing));
    r->doc.nnotes = n;
    r->doc.notes = notes;
}

report *report_build(const report_inputs *in)
{
    const model *m = in->m;
    const spec *s = m->s;
    long long epoch = in->epoch;
    report *r = xcalloc(1, sizeof *r);
    char a[64], b[64];
    size_t i, j;
    int rp;

    r->month_labels = xcalloc((size_t)m->nreport, sizeof *r->month_labels);
    r->month_colors = xcalloc((size_t)m->nreport, sizeof *r->month_colors);
    r->month_short = keep(r, xcalloc((size_t)m->nreport + 1, sizeof *r->month_short));
    r->month_year = keep(r, xcalloc((size_t)m->nreport + 1, sizeof *r->month_year));
    r->nmonths = m->nreport;
    r->month0 = s->month_from;
    for (rp = 0; rp < m->nreport; rp++) {
        const char *sp;

        grain_label(a, sizeof a, s->grain, s->month_from + rp);
        r->month_labels[rp] = xstrdup(a);
        if (s->grain.kind == GRAIN_WEEK) {          /* "2011-W05": "W05" over "2011" */
            r->month_short[rp] = kstr(r, a + 5);
            r->month_year[rp] = keep(r, xstrndup(a, 4));
        } else if (s->grain.kind == GRAIN_YEAR) {   /* "2024", "FY2011/12" */
            r->month_short[rp] = kstr(r, a);
            r->month_year[rp] = "";
        } else {
            /* "Feb 2024" ("Feb. 2024" in de_DE), "Q1 FY2011/12": the name
             * before the last space, the year after it; a label without one
             * is its own short form. */
            sp = s->grain.kind == GRAIN_MONTH ? strrchr(a, ' ') : strchr(a, ' ');
            r->month_short[rp] = keep(r, xstrndup(a, sp ? (size_t)(sp - a) : strlen(a)));
            r->month_year[rp] = kstr(r, sp ? sp + 1 : "");
        }
        r->month_colors[rp] = month_shade(rp, m->nreport);
    }
    grain_label(a, sizeof a, s->grain, s->month_from);
    grain_label(b, sizeof b, s->grain, s->month_to);
    if (s->month_from == s->month_to)
        snprintf(r->period, sizeof r->period, "%s", a);
    else
        snprintf(r->period, sizeof r->period, "%s \xe2\x80\x93 %s", a, b);

    r->doc.title = s->title;
    r->doc.subtitle = s->subtitle;
    r->doc.objective = s->objective;
    r->doc.period = r->period;
    r->doc.letter = s->page_letter;
    r->doc.margin = s->page_margin;
    r->doc.logo = s->logo;
    r->doc.theme.has_accent = s->theme.has_accent;
    r->doc.theme.accent = s->theme.accent;
    r->doc.theme.font = s->theme.font;
    r->doc.theme.bold_font = s->theme.bold_font;
    r->doc.theme.landscape = s->theme.landscape;
    r->doc.theme.cover = s->theme.cover;
    r->doc.theme.logo = s->theme.logo;
    r->doc.theme.logo_jpeg = s->theme.logo_jpeg;
    r->doc.theme.header_logo = s->theme.header_logo;
    r->doc.contents = s->contents;
    r->doc.strict = s->strict;
    {
        int y, mo, d, hh = 0, mi = 0, ss = 0;
        if (epoch >= 0) {
            long long days = epoch / 86400, rem = epoch % 86400;
            civil_from_days((int32_t)days, &y, &mo, &d);
            hh = (int)(rem / 3600);
            mi = (int)(rem % 3600 / 60);
            ss = (int)(rem % 60);
        } else {
            civil_from_days(grain_last_day(s->grain, s->month_to) + 1, &y, &mo, &d);
        }
        snprintf(r->generated, sizeof r->generated, "%04d-%02d-%02d", y, mo, d);
        r->doc.generated = r->generated;
        r->doc.date[0] = y;
        r->doc.date[1] = mo;
        r->doc.date[2] = d;
        r->doc.date[3] = hh;
        r->doc.date[4] = mi;
        r->doc.date[5] = ss;
    }

    r->sections = xcalloc(s->nsections ? s->nsections : 1, sizeof *r->sections);
    for (i = 0; i < s->nsections; i++) {
        const spec_section *ss = &s->sections[i];
        doc_section *ds = &r->sections[i];
        doc_block *blocks = keep(r, xcalloc(ss->nblocks ? ss->nblocks : 1, sizeof *blocks));

        ds->title = ss->title;
        ds->intro = ss->intro;
        ds->nblocks = ss->nblocks;
        ds->blocks = blocks;
        for (j = 0; j < ss->nblocks; j++) {
            const spec_block *sb = &ss->blocks[j];
            doc_block *db = &blocks[j];
            switch (sb->kind) {
            case BLOCK_PARAGRAPH:
                db->kind = DOC_PARAGRAPH;
                db->text = sb->text;
                break;
            case BLOCK_HEADING:
                db->kind = DOC_HEADING;
                db->text = sb->text;
                break;
            case BLOCK_QUESTIONS:
            case BLOCK_BULLETS:
                db->kind = sb->kind == BLOCK_QUESTIONS ? DOC_QUESTIONS : DOC_BULLETS;
                db->text = sb->text;
                db->nitems = sb->nitems;
                db->items = (const char *const *)sb->items;
                if (sb->kind == BLOCK_QUESTIONS)
                    db->answers = (const char *const *)insights_for(in->answers, sb);
                break;
            case BLOCK_CHART:
                db->kind = DOC_CHART;
                build_chart(r, m, sb, &db->chart);
                break;
            case BLOCK_TILES:
                build_tiles(r, m, sb, db);
                break;
            case BLOCK_TABLE:
                db->kind = DOC_TABLE;
                if (sb->source)
                    build_rows_table(r, rows_for(in->rows, sb), &db->table);
                else if (sb->by_customer)
                    build_customer_table(r, m, sb, &db->table);
                else
                    build_kpi_table(r, m, sb, &db->table);
                break;
            case BLOCK_MODEL: {
                strbuf raw = {0};
                report_model_block(m, in->models, sb, month_of(m, sb->month), keep_cb, r, db,
                                   &raw);
                if (db->kind == DOC_CHART)
                    chart_file(r, &db->chart);
                else
                    table_file(r, &db->table, &raw);
                sb_free(&raw);
                break;
            }
            }
        }
    }
    r->doc.nsections = s->nsections;
    r->doc.sections = r->sections;
    build_manifest(r, m, in->digests, in->secrets, in->notes);
    r->doc.nfiles = r->nfiles;
    r->doc.files = r->files;
    build_notes(r, m, in->notes); /* the notes outlive the document */
    return r;
}

const quire_doc *report_doc(const report *r)
{
    return &r->doc;
}

void report_free(report *r)
{
    size_t i;
    int rp;

    if (!r)
        return;
    for (i = 0; i < r->nblocks; i++)
        free(r->blocks[i]);
    free(r->blocks);
    for (rp = 0; rp < r->nmonths; rp++)
        free(r->month_labels[rp]);
    free(r->month_labels);
    free(r->month_colors);
    free(r->sections);
    free(r->files);
    free(r);
}

/* ------------------------------------------------------------ export */

/* Export files are written through atomic.h; their lines gather in a buffer
 * that goes out a block at a time. */
#define EXPORT_BLOCK 65536

static int export_open(atomic_file *af, const char *dir, const char *name, quire_error *err)
{
    char *path = xasprintf("%s/%s", dir, name);
    int rc = atomic_open(af, path, NULL, 0666, 0, err);

    free(path);
    return rc;
}

/* Write out the buffer once it holds a block (or whatever it holds, at the end). */
static int export_flush(atomic_file *af, strbuf *out, int all, quire_error *err)
{
    int rc;

    if (out->len < EXPORT_BLOCK && !(all && out->len > 0))
        return 0;
    rc = atomic_put(af, out->s, out->len, err);
    out->len = 0;
    return rc;
}

/* Finish a file: held in the batch (published with the PDF), or committed. */
static int export_close(atomic_file *af, strbuf *out, atomic_batch *batch, quire_error *err)
{
    if (export_flush(af, out, 1, err))
        return -1;
    if (!batch)
        return atomic_commit(af, err);
    if (atomic_sync(af, err))
        return -1;
    atomic_batch_hold(batch, af);
    return 0;
}

/* kpis.csv and segments.csv for grouping gr; other segmentations than the
 * first get their name in the files' names (kpis-<name>.csv). */
static int export_grouping(const model *m, const grouping *gr, const char *dir,
                           atomic_batch *batch, quire_error *err)
{
    const spec *s = m->s;
    const facts *f = m->f;
    char mon[16], num[40], key[96], kname[200], sname[200];
    strbuf out = {0};
    atomic_file af;
    size_t k, e;
    int rp, g;

    if (gr == &m->groups[0]) {
        snprintf(kname, sizeof kname, "kpis.csv");
        snprintf(sname, sizeof sname, "segments.csv");
    } else {
        char sl[120];
        slug(sl, sizeof sl, gr->spec->name);
        snprintf(kname, sizeof kname, "kpis-%s.csv", sl);
        snprintf(sname, sizeof sname, "segments-%s.csv", sl);
    }
    if (export_open(&af, dir, kname, err))
        return -1;
    sb_puts(&out, "period,segment,kpi,value\n");
    for (rp = 0; rp < m->nreport; rp++) {
        grain_key(mon, sizeof mon, s->grain, s->month_from + rp);
        for (g = 0; g < gr->nseg; g++)
            for (k = 0; k < m->nkpis; k++) {
                double v = model_kpi(m, gr, k, rp, g);
                sb_printf(&out, "%s,", mon);
                sb_csv_cstr(&out, gr->names[g]);
                sb_printf(&out, ",%s,", m->kpis[k].spec->name);
                if (!isnan(v)) {
                    format_plain_number(num, sizeof num, v);
                    sb_puts(&out, num);
                }
                sb_puts(&out, "\n");
                if (export_flush(&af, &out, 0, err))
                    goto fail;
            }
    }
    if (export_close(&af, &out, batch, err))
        goto fail;

    if (export_open(&af, dir, sname, err))
        goto fail;
    sb_csv_cstr(&out, s->entity_key);
    sb_puts(&out, ",period,segment\n");
    for (rp = 0; rp < m->nreport; rp++) {
        const int8_t *row = gr->seg + (size_t)(m->p_report + rp) * f->nentities;
        grain_key(mon, sizeof mon, s->grain, s->month_from + rp);
        for (e = 0; e < f->nentities; e++) {
            if (row[e] < 0)
                continue;
            facts_key_text(f, e, key, sizeof key);
            sb_csv_cstr(&out, key);
            sb_printf(&out, ",%s,", mon);
            sb_csv_cstr(&out, gr->names[row[e]]);
            sb_puts(&out, "\n");
            if (export_flush(&af, &out, 0, err))
                goto fail;
        }
    }
    if (export_close(&af, &out, batch, err))
        goto fail;
    sb_free(&out);
    return 0;
fail:
    sb_free(&out);
    return -1;
}

/* models.csv: per customer and report month, the RFM scores and segment and
 * the cluster (empty where a model gives the customer none). */
static int export_models(const model *m, const models *md, const char *dir,
                         atomic_batch *batch, quire_error *err)
{
    const facts *f = m->f;
    const int rfm = models_has_rfm(md), ncl = models_nclusters(md);
    models_churn mc;
    const int churn = models_churn_of(md, &mc) != NULL;
    models_clv mv;
    const int clv = models_clv_of(md, &mv) != NULL;
    char mon[16], key[96];
    strbuf out = {0};
    atomic_file af;
    size_t e;
    int rp;

    if (export_open(&af, dir, "models.csv", err))
        return -1;
    sb_csv_cstr(&out, m->s->entity_key);
    sb_puts(&out, ",period");
    if (rfm)
        sb_puts(&out, ",rfm_r,rfm_f,rfm_m,rfm_score,rfm_segment");
    if (ncl)
        sb_puts(&out, ",cluster_id,cluster");
    if (churn)
        sb_puts(&out, ",churn_score");
    if (clv)
        sb_puts(&out, ",clv_palive,clv_purchases,clv_value");
    sb_puts(&out, "\n");
    for (rp = 0; rp < m->nreport; rp++) {
        const int p = m->p_report + rp;
        grain_key(mon, sizeof mon, m->s->grain, m->s->month_from + rp);
        for (e = 0; e < f->nentities; e++) {
            int r = 0, fr = 0, mo = 0, c = ncl ? models_cluster_of(md, p, e) : -1;
            double cs = models_churn_score(md, p, e);
            const char *seg = NULL;
            if (rfm)
                models_rfm_of(md, p, e, &r, &fr, &mo, &seg);
            if (!r && c < 0 && isnan(cs) && isnan(models_clv_value(md, p, e, 0)))
                continue;
            facts_key_text(f, e, key, sizeof key);
            sb_csv_cstr(&out, key);
            sb_printf(&out, ",%s", mon);
            if (rfm && r) {
                sb_printf(&out, ",%d,%d,%d,%d,", r, fr, mo, 100 * r + 10 * fr + mo);
                sb_csv_cstr(&out, seg);
            } else if (rfm) {
                sb_puts(&out, ",,,,,");
            }
            if (c >= 0) {
                sb_printf(&out, ",%d,", c + 1);
                sb_csv_cstr(&out, models_cluster_name(md, c));
            } else if (ncl) {
                sb_puts(&out, ",,");
            }
            if (churn) {
                sb_puts(&out, ",");
                csv_num(&out, isnan(cs) ? NAN : round(cs * 100) / 100);
            }
            if (clv) {
                int w;
                for (w = 0; w < 3; w++) {
                    double v = models_clv_value(md, p, e, w);
                    sb_puts(&out, ",");
                    csv_num(&out, isnan(v) ? NAN : round(v * 10000) / 10000);
                }
            }
            sb_puts(&out, "\n");
            if (export_flush(&af, &out, 0, err))
                goto fail;
        }
    }
    if (export_close(&af, &out, batch, err))
        goto fail;
    sb_free(&out);
    return 0;
fail:
    sb_free(&out);
    return -1;
}

int report_export(const model *m, const models *md, const char *dir, atomic_batch *batch,
                  quire_error *err)
{
    models_churn mc;
    size_t i;

    if (mkdir(dir, 0777) && errno != EEXIST)
        return quire_err_at(err, QUIRE_EXIT_DELIVERY, dir, 0, 0, "cannot create folder: %s",
                            strerror(errno));
    for (i = 0; i < m->ngroups; i++)
        if (export_grouping(m, &m->groups[i], dir, batch, err))
            return -1;
    models_clv mv;

    if (models_has_rfm(md) || models_nclusters(md) || models_churn_of(md, &mc) ||
        models_clv_of(md, &mv))
        return export_models(m, md, dir, batch, err);
    return 0;
}
