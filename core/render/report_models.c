/* report_models.c - the model blocks: RFM grid and segments, clusters, cohorts. */
#include "report_models.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "date.h"

typedef struct kctx {
    report_keep_fn keep;
    void *ctx;
} kctx;

static const char *kstr(kctx *k, const char *s)
{
    return k->keep(k->ctx, xstrdup(s));
}

static void csv_num(strbuf *b, double v)
{
    char num[40];

    if (!isnan(v)) {
        format_plain_number(num, sizeof num, v);
        sb_puts(b, num);
    }
}

/* R score (rows, 5 at the top) by F score (columns). */
static void rfm_grid(const models *md, const spec_block *sb, int p, kctx *k, doc_chart *c)
{
    static const char *const rows[] = {"R 5", "R 4", "R 3", "R 2", "R 1"};
    static const char *const cols[] = {"F 1", "F 2", "F 3", "F 4", "F 5"};
    int revenue = sb->value && strcmp(sb->value, "revenue") == 0, r, f;
    double *v = k->keep(k->ctx, xmalloc(25 * sizeof *v));
    const char *rn, *fn, *mn;

    models_rfm_fields(md, &rn, &fn, &mn);
    for (r = 5; r >= 1; r--)
        for (f = 1; f <= 5; f++)
            v[(5 - r) * 5 + f - 1] = models_rfm_grid(md, p, r, f, revenue);
    c->kind = DOC_CHART_HEATMAP;
    c->unit = revenue ? QUIRE_UNIT_CURRENCY : QUIRE_UNIT_COUNT;
    c->decimals = 0;
    c->nseries = 5;
    c->series = rows;
    c->ncats = 5;
    c->cats = cols;
    c->values = v;
    (void)rn;
    c->row_title = "Recency score";
    c->x_title = k->keep(k->ctx, xasprintf("Frequency score (%s)", fn));
}

/* The longest word of s. */
static size_t longest_word(const char *s)
{
    size_t best = 0, n;

    while (s && *s) {
        n = strcspn(s, " ");
        best = n > best ? n : best;
        s += n;
        s += strspn(s, " ");
    }
    return best;
}

/* Columns wide enough for their cells and the longest word of their title,
 * names first and wider, numbers right-aligned. */
static void set_table(kctx *k, doc_table *t, size_t ncols, const char *const *titles,
                      size_t nrows, const char **cells)
{
    doc_column *cols = k->keep(k->ctx, xcalloc(ncols, sizeof *cols));
    size_t i, r;

    for (i = 0; i < ncols; i++) {
        size_t w = longest_word(titles[i]);
        for (r = 0; r < nrows; r++)
            if (cells[r * ncols + i] && strlen(cells[r * ncols + i]) > w)
                w = strlen(cells[r * ncols + i]);
        cols[i].title = titles[i];
        /* numbers right-aligned: the columns whose first cell is one */
        cols[i].numeric = i > 0 && nrows > 0 && cells[i] && strchr("-$0123456789", cells[i][0]);
        cols[i].weight = fmax(i == 0 ? 2 : 1, (double)(w + 3) / 8);
    }
    t->ncols = ncols;
    t->cols = cols;
    t->nrows = nrows;
    t->cells = cells;
}

/* A cell and its CSV value. */
static void cell(kctx *k, const char **cells, size_t at, strbuf *raw, double v, quire_unit u,
                 int dec)
{
    char buf[64];

    quire_format_value(buf, sizeof buf, v, u, dec);
    cells[at] = kstr(k, buf);
    sb_puts(raw, ",");
    csv_num(raw, v);
}

static void rfm_segments(const models *md, int p, kctx *k, doc_table *t, strbuf *raw)
{
    static const char *const titles[] = {"Segment", "Customers", "Share", "Mean recency",
                                         "Mean frequency", "Mean monetary", "Monetary total"};
    size_t n = models_rfm_nsegments(md), i, row = 0;
    const char **cells = k->keep(k->ctx, xcalloc((n + 1) * 7, sizeof *cells));
    double total = 0;

    for (i = 0; i < n; i++)
        total += models_rfm_summary(md, p, i)->customers;
    sb_puts(raw, "segment,customers,share,recency,frequency,monetary,monetary_total\n");
    for (i = 0; i < n; i++) {
        const rfm_summary *s = models_rfm_summary(md, p, i);
        double c = s->customers;
        if (c == 0)
            continue;
        cells[row * 7] = models_rfm_segment_name(md, i);
        sb_csv_cstr(raw, cells[row * 7]);
        cell(k, cells, row * 7 + 1, raw, c, QUIRE_UNIT_COUNT, 0);
        cell(k, cells, row * 7 + 2, raw, c / total, QUIRE_UNIT_PERCENT, 1);
        cell(k, cells, row * 7 + 3, raw, s->recency / c, QUIRE_UNIT_NUMBER, 0);
        cell(k, cells, row * 7 + 4, raw, s->frequency / c, QUIRE_UNIT_NUMBER, 1);
        cell(k, cells, row * 7 + 5, raw, s->monetary / c, QUIRE_UNIT_CURRENCY, 0);
        cell(k, cells, row * 7 + 6, raw, s->monetary, QUIRE_UNIT_CURRENCY, 0);
        sb_puts(raw, "\n");
        row++;
    }
    set_table(k, t, 7, titles, row, cells);
}

static void clusters(const models *md, int p, kctx *k, doc_table *t, strbuf *raw)
{
    size_t nf = models_cluster_nfeatures(md), ncols = nf + 3, j;
    int nc = models_nclusters(md), c;
    const char **titles = k->keep(k->ctx, xcalloc(ncols, sizeof *titles));
    const char **cells = k->keep(k->ctx, xcalloc(((size_t)nc + 1) * ncols, sizeof *cells));
    double total = 0;

    titles[0] = "Cluster";
    titles[1] = "Customers";
    titles[2] = "Share";
    sb_puts(raw, "cluster,customers,share");
    for (j = 0; j < nf; j++) {
        titles[j + 3] = kstr(k, models_cluster_feature(md, j));
        sb_puts(raw, ",");
        sb_csv_cstr(raw, titles[j + 3]);
    }
    sb_puts(raw, "\n");
    for (c = 0; c < nc; c++)
        total += models_cluster_size(md, p, c);
    for (c = 0; c < nc; c++) {
        size_t at = (size_t)c * ncols;
        double size = models_cluster_size(md, p, c);
        cells[at] = models_cluster_name(md, c);
        sb_csv_cstr(raw, cells[at]);
        cell(k, cells, at + 1, raw, size, QUIRE_UNIT_COUNT, 0);
        cell(k, cells, at + 2, raw, total > 0 ? size / total : NAN, QUIRE_UNIT_PERCENT, 1);
        for (j = 0; j < nf; j++)
            cell(k, cells, at + 3 + j, raw, models_cluster_mean(md, p, c, j), QUIRE_UNIT_NUMBER,
                 1);
        sb_puts(raw, "\n");
    }
    set_table(k, t, ncols, titles, (size_t)nc, cells);
}

/* The last `months` cohorts up to period p (rows, the average first) by
 * months since the first purchase (columns). */
static void cohorts(const model *m, const models *md, const spec_block *sb, int p, kctx *k,
                    doc_chart *c)
{
    const cohort_table *t = models_cohorts(md);
    int revenue = sb->value && strcmp(sb->value, "revenue") == 0;
    int nc = t->ncols, first = p - nc + 1, row, col;
    const char **rows, **cols;
    double *v;
    char lab[32];

    if (first < 1)
        first = 1; /* period 0's cohort is never known (cohorts.h) */
    rows = k->keep(k->ctx, xcalloc((size_t)(p - first + 2) + 1, sizeof *rows));
    cols = k->keep(k->ctx, xcalloc((size_t)nc + 1, sizeof *cols));
    v = k->keep(k->ctx, xmalloc(((size_t)(p - first + 2) * (size_t)nc + 1) * sizeof *v));
    for (col = 0; col < nc; col++)
        cols[col] = k->keep(k->ctx, xasprintf("%d", col));
    rows[0] = "All cohorts";
    for (col = 0; col < nc; col++) {
        double act = 0, size = 0, rev = 0;
        for (row = first; row <= p; row++) {
            double a = t->active[(size_t)row * (size_t)nc + (size_t)col];
            if (isnan(a) || row + col > p)
                continue;
            act += a;
            size += t->size[row];
            if (revenue)
                rev += t->revenue[(size_t)row * (size_t)nc + (size_t)col];
        }
        v[col] = size > 0 ? (revenue ? rev / size : act / size) : NAN;
    }
    for (row = first; row <= p; row++) {
        size_t r = (size_t)(row - first + 1);
        grain_label(lab, sizeof lab, m->f->grain, m->f->month0 + row);
        rows[r] = k->keep(k->ctx, xasprintf("%s (%.0f)", lab, t->size[row]));
        for (col = 0; col < nc; col++) {
            size_t at = (size_t)row * (size_t)nc + (size_t)col;
            v[r * (size_t)nc + (size_t)col] =
                row + col > p || t->size[row] == 0 ? NAN
                : revenue ? t->revenue[at] / t->size[row] : cohorts_retention(t, row, col);
        }
    }
    c->kind = DOC_CHART_HEATMAP;
    c->unit = revenue ? QUIRE_UNIT_CURRENCY : QUIRE_UNIT_PERCENT;
    c->decimals = 0;
    c->nseries = (size_t)(p - first + 2);
    c->series = rows;
    c->ncats = (size_t)nc;
    c->cats = cols;
    c->values = v;
    c->scale_from = 1;
    c->row_title = "Cohort (customers)";
    c->x_title = "Months since the first purchase";
}

/* The churn model's coefficients (per standard deviation of each feature),
 * their standard errors and z values. */
static void churn(const models *md, kctx *k, doc_table *t, strbuf *raw)
{
    static const char *const titles[] = {"Term", "Coefficient (per s.d.)", "Std. error", "z"};
    models_churn mc;
    size_t j;
    const char **cells;

    models_churn_of(md, &mc);
    cells = k->keep(k->ctx, xcalloc((mc.nfeatures + 1) * 4, sizeof *cells));
    sb_puts(raw, "term,coefficient,std_error,z\n");
    for (j = 0; j <= mc.nfeatures; j++) {
        double b = mc.fit->beta[j], se = mc.fit->se[j];
        cells[j * 4] = j ? mc.features[j - 1] : "(intercept)";
        sb_csv_cstr(raw, cells[j * 4]);
        cell(k, cells, j * 4 + 1, raw, b, QUIRE_UNIT_NUMBER, 3);
        cell(k, cells, j * 4 + 2, raw, se, QUIRE_UNIT_NUMBER, 3);
        cell(k, cells, j * 4 + 3, raw, se > 0 ? b / se : NAN, QUIRE_UNIT_NUMBER, 1);
        sb_puts(raw, "\n");
    }
    set_table(k, t, 4, titles, mc.nfeatures + 1, cells);
}

/* The lifetime value models' parameters. */
static void clv(const models *md, kctx *k, doc_table *t, strbuf *raw)
{
    static const char *const titles[] = {"Model", "Parameter", "Estimate"};
    static const char *const names[] = {"r", "alpha", "a", "b", "p", "q", "gamma"};
    models_clv mc;
    const char **cells = k->keep(k->ctx, xcalloc(9 * 3, sizeof *cells));
    double v[7];
    size_t j;

    models_clv_of(md, &mc);
    v[0] = mc.bg.r, v[1] = mc.bg.alpha, v[2] = mc.bg.a, v[3] = mc.bg.b;
    v[4] = mc.gg.p, v[5] = mc.gg.q, v[6] = mc.gg.gamma;
    sb_puts(raw, "model,parameter,estimate\n");
    for (j = 0; j < 7; j++) {
        cells[j * 3] = j < 4 ? "BG/NBD" : "Gamma-Gamma";
        cells[j * 3 + 1] = names[j];
        sb_printf(raw, "%s,%s", cells[j * 3], names[j]);
        cell(k, cells, j * 3 + 2, raw, v[j], QUIRE_UNIT_NUMBER, 4);
        sb_puts(raw, "\n");
    }
    for (j = 0; j < 2; j++) {
        cells[(7 + j) * 3] = j ? "Gamma-Gamma" : "BG/NBD";
        cells[(7 + j) * 3 + 1] = "log-likelihood";
        sb_printf(raw, "%s,log-likelihood", cells[(7 + j) * 3]);
        cell(k, cells, (7 + j) * 3 + 2, raw, j ? mc.gg_ll : mc.bg_ll, QUIRE_UNIT_NUMBER, 1);
        sb_puts(raw, "\n");
    }
    set_table(k, t, 3, titles, 9, cells);
}

void report_model_block(const model *m, const models *md, const spec_block *sb, int rp,
                        report_keep_fn keep, void *ctx, doc_block *db, strbuf *raw)
{
    kctx k = {keep, ctx};
    int p = m->p_report + rp;
    char mon[32];

    grain_label(mon, sizeof mon, m->s->grain, m->s->month_from + rp);
    if (!strcmp(sb->show, "rfm_grid") || !strcmp(sb->show, "cohorts")) {
        doc_chart *c = &db->chart;
        db->kind = DOC_CHART;
        if (sb->show[0] == 'r')
            rfm_grid(md, sb, p, &k, c);
        else
            cohorts(m, md, sb, p, &k, c);
        c->title = sb->title ? sb->title
                             : k.keep(k.ctx, xasprintf("%s, %s", sb->show[0] == 'r' ? "RFM grid"
                                                                                : "Cohorts",
                                                       mon));
        c->subtitle = sb->subtitle;
        return;
    }
    db->kind = DOC_TABLE;
    if (!strcmp(sb->show, "churn")) {
        models_churn mc;
        char cut[32];
        churn(md, &k, &db->table, raw);
        models_churn_of(md, &mc);
        grain_label(cut, sizeof cut, m->f->grain, m->f->month0 + mc.cutoff);
        db->table.title =
            sb->title ? sb->title
                      : k.keep(k.ctx, xasprintf("Churn model: no order in the %d months after "
                                                "%s; AUC %.3f on %.0f held-out customers",
                                                mc.horizon, cut, mc.auc, mc.n_test));
        return;
    }
    if (!strcmp(sb->show, "clv")) {
        models_clv mc;
        char at[32];
        clv(md, &k, &db->table, raw);
        models_clv_of(md, &mc);
        grain_label(at, sizeof at, m->f->grain, m->f->month0 + mc.period);
        db->table.title =
            sb->title ? sb->title
                      : k.keep(k.ctx, xasprintf("Lifetime value models, fitted at %s on %.0f "
                                                "customers (%.0f with a repeat purchase); time in "
                                                "weeks",
                                                at, mc.n, mc.repeat));
        return;
    }
    if (!strcmp(sb->show, "rfm_segments"))
        rfm_segments(md, p, &k, &db->table, raw);
    else
        clusters(md, p, &k, &db->table, raw);
    db->table.title =
        sb->title ? sb->title
                  : k.keep(k.ctx, xasprintf("%s, %s", sb->show[0] == 'r' ? "RFM segments"
                                                                         : "Clusters",
                                            mon));
}
