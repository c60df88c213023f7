/* report.c - the document and the exported numbers. */
#include "report.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "util.h"

struct report {
    quire_doc doc;
    doc_section *sections;
    char period[64];
    char generated[16];
    char **month_labels;     /* report months, "Feb 2024" */
    int nmonths;
    const char **seg_names;
    quire_rgb *seg_colors;
    quire_rgb *month_colors;
    void **blocks;           /* doc_block arrays and chart values to free */
    size_t nblocks;
};

static void *keep(report *r, void *p)
{
    r->blocks = xrealloc(r->blocks, (r->nblocks + 1) * sizeof *r->blocks);
    r->blocks[r->nblocks++] = p;
    return p;
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

static void build_chart(report *r, const model *m, const spec_block *sb, doc_chart *c)
{
    int k = kpi_index(m, sb->kpi), rp, g;
    const kpi_def *kd = &m->kpis[k];
    double *v;

    c->kind = sb->chart;
    c->title = sb->title;
    c->subtitle = sb->subtitle;
    c->x_title = sb->x_title;
    c->y_title = sb->y_title ? sb->y_title : kd->label;
    c->unit = kd->unit;
    c->decimals = kd->decimals;
    v = keep(r, xmalloc((size_t)m->nreport * (size_t)m->nseg * sizeof *v));
    if (sb->chart == DOC_CHART_LINE) {
        c->ncats = (size_t)m->nreport;
        c->cats = (const char *const *)r->month_labels;
        c->nseries = (size_t)m->nseg;
        c->series = r->seg_names;
        c->colors = r->seg_colors;
        for (g = 0; g < m->nseg; g++)
            for (rp = 0; rp < m->nreport; rp++)
                v[(size_t)g * (size_t)m->nreport + (size_t)rp] = model_kpi(m, (size_t)k, rp, g);
    } else {
        c->ncats = (size_t)m->nseg;
        c->cats = r->seg_names;
        c->nseries = (size_t)m->nreport;
        c->series = (const char *const *)r->month_labels;
        c->colors = r->month_colors;
        for (rp = 0; rp < m->nreport; rp++)
            for (g = 0; g < m->nseg; g++)
                v[(size_t)rp * (size_t)m->nseg + (size_t)g] = model_kpi(m, (size_t)k, rp, g);
    }
    c->values = v;
}

report *report_build(const model *m, long long epoch)
{
    const spec *s = m->s;
    report *r = xcalloc(1, sizeof *r);
    char a[16], b[16];
    size_t i, j;
    int rp, g;

    r->month_labels = xcalloc((size_t)m->nreport, sizeof *r->month_labels);
    r->month_colors = xcalloc((size_t)m->nreport, sizeof *r->month_colors);
    r->nmonths = m->nreport;
    for (rp = 0; rp < m->nreport; rp++) {
        format_month_label(a, sizeof a, s->month_from + rp);
        r->month_labels[rp] = xstrdup(a);
        r->month_colors[rp] = month_shade(rp, m->nreport);
    }
    r->seg_names = xcalloc((size_t)m->nseg, sizeof *r->seg_names);
    r->seg_colors = xcalloc((size_t)m->nseg, sizeof *r->seg_colors);
    for (g = 0; g < m->nseg; g++) {
        r->seg_names[g] = s->segments[g].name;
        r->seg_colors[g] = s->segments[g].color;
    }
    format_month_label(a, sizeof a, s->month_from);
    format_month_label(b, sizeof b, s->month_to);
    if (s->month_from == s->month_to)
        snprintf(r->period, sizeof r->period, "%s", a);
    else
        snprintf(r->period, sizeof r->period, "%s \xe2\x80\x93 %s", a, b);

    r->doc.title = s->title;
    r->doc.subtitle = s->subtitle;
    r->doc.objective = s->objective;
    r->doc.period = r->period;
    {
        int y, mo, d, hh = 0, mi = 0, ss = 0;
        if (epoch >= 0) {
            long long days = epoch / 86400, rem = epoch % 86400;
            civil_from_days((int32_t)days, &y, &mo, &d);
            hh = (int)(rem / 3600);
            mi = (int)(rem % 3600 / 60);
            ss = (int)(rem % 60);
        } else {
            int next = s->month_to + 1;
            y = next / 12;
            mo = next % 12 + 1;
            d = 1;
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
            case BLOCK_QUESTIONS:
                db->kind = DOC_QUESTIONS;
                db->text = sb->text;
                db->nitems = sb->nitems;
                db->items = (const char *const *)sb->items;
                break;
            case BLOCK_CHART:
                db->kind = DOC_CHART;
                build_chart(r, m, sb, &db->chart);
                break;
            }
        }
    }
    r->doc.nsections = s->nsections;
    r->doc.sections = r->sections;
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
    free((void *)r->seg_names);
    free(r->seg_colors);
    free(r->sections);
    free(r);
}

/* ------------------------------------------------------------ export */

static void csv_field(FILE *fp, const char *s)
{
    if (!strpbrk(s, ",\"\r\n")) {
        fputs(s, fp);
        return;
    }
    fputc('"', fp);
    for (; *s; s++) {
        if (*s == '"')
            fputc('"', fp);
        fputc(*s, fp);
    }
    fputc('"', fp);
}

static FILE *open_tmp(const char *dir, const char *name, char **tmp, quire_error *err)
{
    FILE *fp;
    int fd;

    *tmp = xasprintf("%s/.%s.XXXXXX", dir, name);
    fd = mkstemp(*tmp);
    if (fd < 0 || !(fp = fdopen(fd, "w"))) {
        quire_err(err, QUIRE_EXIT_DELIVERY, "%s/%s: error: cannot write: %s", dir, name,
                  strerror(errno));
        if (fd >= 0)
            close(fd);
        free(*tmp);
        *tmp = NULL;
        return NULL;
    }
    return fp;
}

static int close_tmp(FILE *fp, char *tmp, const char *dir, const char *name, quire_error *err)
{
    char *final = xasprintf("%s/%s", dir, name);
    int bad = ferror(fp);

    if (fflush(fp) || fsync(fileno(fp)))
        bad = 1;
    if (fclose(fp))
        bad = 1;
    if (bad || rename(tmp, final)) {
        quire_err(err, QUIRE_EXIT_DELIVERY, "%s: error: cannot write: %s", final, strerror(errno));
        unlink(tmp);
        free(tmp);
        free(final);
        return -1;
    }
    free(tmp);
    free(final);
    return 0;
}

int report_export(const model *m, const char *dir, quire_error *err)
{
    const spec *s = m->s;
    const facts *f = m->f;
    char *tmp, mon[16], num[40], key[96];
    FILE *fp;
    size_t k, e;
    int rp, g;

    if (mkdir(dir, 0777) && errno != EEXIST)
        return quire_err(err, QUIRE_EXIT_DELIVERY, "%s: error: cannot create folder: %s", dir,
                         strerror(errno));
    if (!(fp = open_tmp(dir, "kpis.csv", &tmp, err)))
        return -1;
    fputs("period,segment,kpi,value\n", fp);
    for (rp = 0; rp < m->nreport; rp++) {
        format_month(mon, sizeof mon, s->month_from + rp);
        for (g = 0; g < m->nseg; g++)
            for (k = 0; k < m->nkpis; k++) {
                double v = model_kpi(m, k, rp, g);
                fprintf(fp, "%s,", mon);
                csv_field(fp, s->segments[g].name);
                fprintf(fp, ",%s,", m->kpis[k].spec->name);
                if (!isnan(v)) {
                    format_plain_number(num, sizeof num, v);
                    fputs(num, fp);
                }
                fputc('\n', fp);
            }
    }
    if (close_tmp(fp, tmp, dir, "kpis.csv", err))
        return -1;

    if (!(fp = open_tmp(dir, "segments.csv", &tmp, err)))
        return -1;
    csv_field(fp, s->entity_key);
    fputs(",period,segment\n", fp);
    for (rp = 0; rp < m->nreport; rp++) {
        const int8_t *row = m->seg + (size_t)(m->p_report + rp) * f->nentities;
        format_month(mon, sizeof mon, s->month_from + rp);
        for (e = 0; e < f->nentities; e++) {
            if (row[e] < 0)
                continue;
            facts_key_text(f, e, key, sizeof key);
            csv_field(fp, key);
            fprintf(fp, ",%s,", mon);
            csv_field(fp, s->segments[row[e]].name);
            fputc('\n', fp);
        }
    }
    return close_tmp(fp, tmp, dir, "segments.csv", err);
}
