/* run.c - the front door: a report run as its stages, and the commands that
 * work on one spec (validate, preview). */
#include "run.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>

#include "atomic.h"
#include "date.h"
#include "doc.h"
#include "facts.h"
#include "html.h"
#include "log.h"
#include "model.h"
#include "models.h"
#include "pdf.h"
#include "plugins.h"
#include "report.h"
#include "rows.h"
#include "source.h"
#include "util.h"
#include "xlsx.h"

/* SOURCE_DATE_EPOCH, or -1 when unset. */
static long long source_date_epoch(quire_error *err, int *bad)
{
    const char *e = getenv("SOURCE_DATE_EPOCH");
    char *end;
    long long v;

    *bad = 0;
    if (!e || !*e)
        return -1;
    errno = 0;
    v = strtoll(e, &end, 10);
    if (*end || errno || v < 0 || v > 253402300799LL) {
        *bad = 1;
        quire_err_at(err, QUIRE_EXIT_USAGE, "SOURCE_DATE_EPOCH", 0, 0,
                     "\"%s\" is not a Unix time", e);
    }
    return v;
}

/* out/<spec file name without .yaml>.pdf */
static char *default_out(const char *spec_path)
{
    const char *base = strrchr(spec_path, '/');
    const char *dot;
    base = base ? base + 1 : spec_path;
    dot = strrchr(base, '.');
    return xasprintf("out/%.*s.pdf", (int)(dot && dot != base ? dot - base : (long)strlen(base)),
                     base);
}

static const struct {
    unsigned bit;
    const char *name, *ext;
} formats[] = {{RUN_PDF, "pdf", ".pdf"}, {RUN_HTML, "html", ".html"}, {RUN_XLSX, "xlsx", ".xlsx"}};

#define NFORMATS (sizeof formats / sizeof formats[0])

int run_parse_formats(const char *list, unsigned *set, quire_error *err)
{
    const char *p = list;

    *set = 0;
    for (;;) {
        size_t n = strcspn(p, ","), k;

        for (k = 0; k < NFORMATS; k++)
            if (strlen(formats[k].name) == n && strncmp(p, formats[k].name, n) == 0)
                break;
        if (k == NFORMATS)
            return quire_err(err, QUIRE_EXIT_USAGE,
                             "--format takes pdf, html, xlsx or a comma list of them, not "
                             "\"%.*s\"", (int)(n > 40 ? 40 : n), p);
        *set |= formats[k].bit;
        if (!p[n])
            return 0;
        p += n + 1;
    }
}

char *run_output_path(const char *out, unsigned fmt, unsigned set)
{
    static const char *const known[] = {".pdf", ".html", ".htm", ".xlsx"};
    const char *base = strrchr(out, '/'), *dot, *ext = ".pdf";
    size_t k;
    int several = (set & (set - 1)) != 0;

    for (k = 0; k < NFORMATS; k++)
        if (formats[k].bit == fmt)
            ext = formats[k].ext;
    base = base ? base + 1 : out;
    dot = strrchr(base, '.');
    for (k = 0; dot && dot != base && k < sizeof known / sizeof known[0]; k++)
        if (strcasecmp(dot, known[k]) == 0)
            return xasprintf("%.*s%s", (int)(dot - out), out, ext);
    return several ? xasprintf("%s%s", out, ext) : xstrdup(out);
}

/* The time since t, logged as a stage's figure; t moves on. */
static double lap(double *t)
{
    double n = quire_monotonic(), d = n - *t;
    *t = n;
    return d;
}

/*
 * The data root (--data-root, QUIRE_DATA_ROOT): resolved, then every script
 * the spec names checked against it (an error at the spec's line:col), and
 * kept on the spec for source_open() to check the sources' paths. Returns 0
 * or -1 with err set (a spec or usage error, exit 1).
 */
static int data_root_check(spec *s, const char *root_in, char **root, quire_error *err)
{
    size_t i, j, k;

    *root = NULL;
    if (!root_in || !*root_in)
        return 0;
    *root = realpath(root_in, NULL);
    if (!*root)
        return quire_err_at(err, QUIRE_EXIT_USAGE, root_in, 0, 0, "data root: %s",
                            strerror(errno));
    s->data_root = *root;
#define OUTSIDE(P, POS)                                                                    \
    do {                                                                                      \
        if ((P) && !path_within(*root, (P)))                                            \
            return quire_err_at(err, QUIRE_EXIT_USAGE, s->path, (POS).line, (POS).col,        \
                                "script %s is outside the data root %s", (P), *root);     \
    } while (0)
    for (i = 0; i < s->nsegmentations; i++)
        OUTSIDE(s->segmentations[i].rule, s->segmentations[i].rule_pos);
    for (i = 0; i < s->nkpis; i++)
        OUTSIDE(s->kpis[i].script, s->kpis[i].pos);
    for (i = 0; i < s->nsections; i++)
        for (j = 0; j < s->sections[i].nblocks; j++) {
            const spec_block *b = &s->sections[i].blocks[j];
            for (k = 0; b->insights && k < b->nitems; k++)
                OUTSIDE(b->insights[k].script, b->insights[k].pos);
        }
#undef OUTSIDE
    if (s->targets_file && !path_within(*root, s->targets_file))
        return quire_err_at(err, QUIRE_EXIT_USAGE, s->path, s->targets_pos.line,
                            s->targets_pos.col, "targets file %s is outside the data root %s",
                            s->targets_file, *root);
    return 0;
}

/* An output path (from the command line) inside the data root. */
static int output_inside(const char *root, const char *what, const char *path, quire_error *err)
{
    if (root && !path_within(root, path))
        return quire_err(err, QUIRE_EXIT_USAGE, "%s %s is outside the data root %s", what, path,
                         root);
    return 0;
}

/* Every output path of the run inside the data root (when there is one). */
static int outputs_inside(const char *root, const char *out, unsigned fmts, quire_error *err)
{
    size_t k;
    int rc = 0;

    for (k = 0; k < NFORMATS && rc == 0; k++) {
        char *path;

        if (!(fmts & formats[k].bit))
            continue;
        path = run_output_path(out, formats[k].bit, fmts);
        rc = output_inside(root, "output", path, err);
        free(path);
    }
    return rc;
}

/*
 * A report run, one stage after the other; each returns its product and no
 * stage calls back into an earlier one:
 *
 *   load -> read (facts and row tables) -> segment pass -> KPIs -> insights
 *        -> document -> render -> write
 *
 * (spec_load binds as it loads: every name the spec uses is resolved before
 * a row is read.) The scheduler adds delivery after the write.
 */
int run_report(const run_opts *o, quire_error *err)
{
    plugin_registry reg = {0};
    data_notes notes;
    source_secrets secrets = {0};
    spec *s = NULL;
    facts *f = NULL;
    row_tables *rows = NULL;
    model *m = NULL;
    models *md = NULL;
    insight_answers *answers = NULL;
    report *r = NULL;
    input_digests *dg = NULL;
    pdf_prep *prep = NULL;
    report_inputs in;
    atomic_batch outputs = {0};
    char *out = o->out ? xstrdup(o->out) : default_out(o->spec_path);
    double t0 = quire_monotonic(), t = t0, dt;
    long long epoch;
    char *root = NULL, *wrote[NFORMATS];
    size_t k, nwrote = 0;
    unsigned fmts = o->formats ? o->formats : RUN_PDF;
    int bad, rc = -1;
    const quire_locale *before = quire_locale_active();

    data_notes_init(&notes);
    epoch = source_date_epoch(err, &bad);
    if (bad)
        goto done;

    /* load */
    s = spec_load(o->spec_path, o->params, o->nparams, err);
    /* The report's locale, for every number and date the reader sees;
     * set before any thread starts. */
    if (s)
        before = quire_locale_use(s->locale);
    if (!s || data_root_check(s, o->data_root, &root, err) || spec_read_targets(s, err) ||
        outputs_inside(root, out, fmts, err) ||
        (o->export_dir && output_inside(root, "export folder", o->export_dir, err)))
        goto done;
    dg = digests_start(s, &reg);
    /* The PDF's faces are loaded meanwhile, on a thread of their own. */
    if (fmts & RUN_PDF)
        prep = pdf_prep_start(s->theme.font, s->theme.bold_font);
    qlog(LOG_INFO, "spec: %zu sources, %zu KPIs, %zu sections in %.3f s", s->nsources, s->nkpis,
         s->nsections, lap(&t));

    /* read */
    qprogress("reading %zu sources...", s->nsources);
    f = facts_build(s, &reg, &notes, err);
    if (!f)
        goto done;
    dt = lap(&t);
    qlog(LOG_INFO, "facts: %zu entities, %d months, %llu rows in %.3f s (%.1f MB of aggregates)",
         f->nentities, f->nperiods, (unsigned long long)f->rows, dt,
         (double)facts_bytes(f) / 1048576.0);
    rows = rows_read(s, &reg, &notes, err);
    if (!rows)
        goto done;
    if (rows->n)
        qlog(LOG_INFO, "rows: %zu tables in %.3f s", rows->n, lap(&t));
    /* what the manifest must not show, while the plugins are at hand */
    source_secrets_find(s, &reg, &secrets);

    /* models, then the segment pass: the models' fields join the record */
    m = model_new(s, f, err);
    if (m && s->models) {
        const models_times *mt;
        qprogress("fitting models over %zu customers...", f->nentities);
        if (!(md = models_fit(m, err))) {
            quire_err_default_file(err, s->path);
            goto done;
        }
        mt = models_times_of(md);
        qlog(LOG_INFO, "models: %.3f s (CPU: inputs %.3f s, rfm %.3f s, thresholds %.3f s, "
             "clusters %.3f s, cohorts %.3f s, churn %.3f s, clv %.3f s)", lap(&t), mt->inputs,
             mt->rfm, mt->thresholds, mt->clusters, mt->cohorts, mt->churn, mt->clv);
    }
    qprogress("segmenting %zu customers over %d months...", f->nentities,
              s->month_to - s->month_from + 2);
    if (!m || kpis_load(m, err) || segments_assign(m, err)) {
        /* An error of the Lua stages names the report, unless it names a
         * file of its own (a KPI script, a rule). */
        quire_err_default_file(err, s->path);
        goto done;
    }
    qlog(LOG_INFO, "segments: %.3f s (rule %.3f s, %.3f s CPU; %zu of %zu chunk-months evaluated "
         "for another worker)", lap(&t), m->rule_seconds, m->rule_cpu, m->chunks_lent, m->chunks);

    /* KPIs */
    qprogress("computing %zu KPIs...", s->nkpis);
    if (kpis_evaluate(m, err)) {
        quire_err_default_file(err, s->path);
        goto done;
    }
    qlog(LOG_INFO, "kpis: %zu in %.3f s", m->nkpis, lap(&t));

    /* insights */
    answers = insights_run(m, err);
    if (!answers) {
        quire_err_default_file(err, s->path);
        goto done;
    }
    qlog(LOG_INFO, "insights: %zu answers in %.3f s", insights_count(answers), lap(&t));
    /* The exports are written now and held: they are published with the
     * PDF, once it is written too, so a failed run leaves none of them. */
    if (o->export_dir && report_export(m, md, o->export_dir, &outputs, err))
        goto done;

    /* document: the input hashes for its manifest are finished on their
     * thread by now unless the inputs are large; the wait is logged on its
     * own so that the document and PDF times are the renderer's alone. */
    {
        size_t ndg;

        lap(&t);
        digests_wait(dg, &ndg);
        qlog(LOG_INFO, "digests: %zu inputs, waited %.3f s", ndg, lap(&t));
    }
    /* Every input is read by now: one written to while it was read fails
     * the run, rather than give a report over a torn file. */
    if (digests_check(dg, err))
        goto done;
    qprogress("rendering %s...", out);
    in.m = m;
    in.models = md;
    in.rows = rows;
    in.answers = answers;
    in.notes = &notes;
    in.digests = dg;
    in.secrets = &secrets;
    in.epoch = epoch;
    r = report_build(&in);
    qlog(LOG_INFO, "document: %zu sections, %zu attachments in %.4f s", report_doc(r)->nsections,
         report_doc(r)->nfiles, lap(&t));

    /* render and write */
    {
        /* The output's folder is created when missing (not its parents). */
        char *dir = path_dirname(out);
        if (mkdir(dir, 0777) && errno != EEXIST) {
            quire_err_at(err, QUIRE_EXIT_DELIVERY, dir, 0, 0, "cannot create folder: %s",
                         strerror(errno));
            free(dir);
            goto done;
        }
        free(dir);
    }
    /* Every output is written and held, then all are published together:
     * a failure leaves none of them (nor the exports). An output path that
     * is a folder would fail only at the renames, after the others: it is
     * refused first. */
    for (k = 0; k < NFORMATS; k++) {
        struct stat st;
        char *path;

        if (!(fmts & formats[k].bit))
            continue;
        path = run_output_path(out, formats[k].bit, fmts);
        if (stat(path, &st) == 0 && S_ISDIR(st.st_mode)) {
            quire_err_at(err, QUIRE_EXIT_DELIVERY, path, 0, 0,
                         "is a folder: cannot write the %s output there", formats[k].name);
            free(path);
            goto done;
        }
        free(path);
    }
    for (k = 0; k < NFORMATS; k++) {
        char *path;
        int bad_out;

        if (!(fmts & formats[k].bit))
            continue;
        path = run_output_path(out, formats[k].bit, fmts);
        bad_out = formats[k].bit == RUN_PDF    ? pdf_render_batch(report_doc(r), path, &outputs, prep, err)
                  : formats[k].bit == RUN_HTML ? html_render_batch(report_doc(r), path, &outputs, err)
                                               : xlsx_render_batch(report_doc(r), path, &outputs, err);
        if (bad_out) {
            free(path);
            goto done;
        }
        qlog(LOG_INFO, "%s: %s rendered in %.4f s", formats[k].name, path, lap(&t));
        wrote[nwrote++] = path;
    }
    if (atomic_batch_commit(&outputs, err))
        goto done;
    if (o->done && o->done(report_doc(r), m, o->done_ctx, err))
        goto done;
    qprogress_done();
    qlog(LOG_INFO, "total %.3f s", quire_monotonic() - t0);
    for (k = 0; k < nwrote && quire_log_level >= LOG_WARN; k++)
        fprintf(stderr, "quire: wrote %s\n", wrote[k]);
    rc = 0;
done:
    qprogress_done();
    pdf_prep_free(prep);
    atomic_batch_abort(&outputs);
    report_free(r);
    insights_free(answers);
    digests_free(dg);
    model_free(m);
    models_free(md);
    rows_free(rows);
    facts_free(f);
    quire_locale_use(before);
    spec_free(s);
    source_secrets_free(&secrets);
    plugins_free(&reg);
    data_notes_free(&notes);
    for (k = 0; k < nwrote; k++)
        free(wrote[k]);
    free(out);
    free(root);
    return rc;
}

int run_validate(const run_opts *o, quire_error *err)
{
    plugin_registry reg = {0};
    spec *s = spec_load(o->spec_path, o->params, o->nparams, err);
    quire_lua *q = NULL;
    char *root = NULL;
    size_t i;
    int rc = -1;

    if (!s)
        return -1;
    if (data_root_check(s, o->data_root, &root, err) || spec_read_targets(s, err))
        goto done;
    for (i = 0; i < s->nsources; i++) {
        source *so = source_open(s, &s->sources[i], &reg, NULL, err);
        if (!so)
            goto done;
        source_close(so);
    }
    /* The scripts, loaded by the code that loads them for a run, in a
     * state made as a run makes it. */
    q = model_lua_new(s, err);
    if (!q)
        goto done;
    for (i = 0; i < s->nsegmentations; i++) {
        const char *rule = s->segmentations[i].rule;
        if (!rule)
            continue;
        if (rule_load(q, rule, err))
            goto done;
        lua_pop(qlua_state(q), 1);
    }
    if (models_check_scripts(s, q, err))
        goto done;
    for (i = 0; i < s->nkpis; i++) {
        kpi_def kd;
        int bad = kpi_read(q, &s->kpis[i], NULL, NULL, &kd, err) ||
                  kpi_check_customer_use(s, i, kd.customer_ref != LUA_NOREF, err);

        kpi_def_free(q, &kd);
        if (bad)
            goto done;
    }
    for (i = 0; i < s->nsections; i++) {
        size_t b, k;
        for (b = 0; b < s->sections[i].nblocks; b++) {
            const spec_block *bl = &s->sections[i].blocks[b];
            for (k = 0; bl->insights && k < bl->nitems; k++) {
                if (!bl->insights[k].script)
                    continue;
                if (insight_load(q, s, bl, k, err))
                    goto done;
                lua_pop(qlua_state(q), 1);
            }
        }
    }
    if (s->nsegmentations > 1)
        printf("%s: ok (%zu sources, %zu segmentations, %zu KPIs, %zu sections)\n", o->spec_path,
               s->nsources, s->nsegmentations, s->nkpis, s->nsections);
    else if (s->segment_rule || s->segmentations[0].table)
        printf("%s: ok (%zu sources, %zu segments, %zu KPIs, %zu sections)\n", o->spec_path,
               s->nsources, s->nsegments, s->nkpis, s->nsections);
    else
        printf("%s: ok (%zu sources, segments by %s, %zu KPIs, %zu sections)\n", o->spec_path,
               s->nsources, s->segmentations[0].by, s->nkpis, s->nsections);
    rc = 0;
done:
    if (rc)
        quire_err_default_file(err, o->spec_path); /* as a run names its report */
    qlua_free(q);
    spec_free(s);
    plugins_free(&reg);
    free(root);
    return rc;
}

/* ------------------------------------------------------------ preview */

typedef struct preview_ctx {
    preview_format fmt;
    long left;
    int header_done;
    long printed;
} preview_ctx;

/* The cell as text; returns 0 for null. is_str: quote it in JSON. */
static int cell_text(const quire_cell *c, quire_type t, strbuf *b, int *is_str)
{
    char tmp[64];

    *is_str = 0;
    if (c->null)
        return 0;
    switch (t) {
    case QUIRE_T_INTEGER:
        snprintf(tmp, sizeof tmp, "%lld", (long long)c->v.i);
        break;
    case QUIRE_T_NUMBER:
        format_plain_number(tmp, sizeof tmp, c->v.n);
        break;
    case QUIRE_T_DATE:
        format_date(tmp, sizeof tmp, (int32_t)c->v.i);
        *is_str = 1;
        break;
    case QUIRE_T_BOOLEAN:
        snprintf(tmp, sizeof tmp, "%s", c->v.i ? "true" : "false");
        break;
    default:
        *is_str = 1;
        sb_add(b, c->v.s.ptr, c->v.s.len);
        return 1;
    }
    sb_puts(b, tmp);
    return 1;
}

/* Each row is built in a buffer, then written whole. */
static int on_preview(void *user, const quire_batch *b, quire_error *err)
{
    preview_ctx *c = user;
    strbuf t = {0}, line = {0};
    uint32_t r, k;

    (void)err;
    if (!c->header_done) {
        if (c->fmt == PREVIEW_CSV) {
            for (k = 0; k < b->ncols; k++) {
                if (k)
                    sb_puts(&line, ",");
                sb_csv_cstr(&line, b->columns[k].name);
            }
            sb_puts(&line, "\n");
        } else {
            sb_puts(&line, "[");
        }
        c->header_done = 1;
    }
    for (r = 0; r < b->nrows && c->left != 0; r++, c->left--) {
        if (c->fmt == PREVIEW_JSON)
            sb_puts(&line, c->printed ? ",\n  {" : "\n  {");
        for (k = 0; k < b->ncols; k++) {
            int is_str, has;
            t.len = 0;
            has = cell_text(&b->cols[k][r], b->columns[k].type, &t, &is_str);
            if (c->fmt == PREVIEW_CSV) {
                if (k)
                    sb_puts(&line, ",");
                if (has)
                    sb_csv_field(&line, t.s, t.len);
            } else {
                if (k)
                    sb_puts(&line, ", ");
                sb_json_cstr(&line, b->columns[k].name);
                sb_puts(&line, ": ");
                if (!has)
                    sb_puts(&line, "null");
                else if (is_str)
                    sb_json_string(&line, t.s, t.len);
                else
                    sb_add(&line, t.s, t.len);
            }
        }
        sb_puts(&line, c->fmt == PREVIEW_CSV ? "\n" : "}");
        c->printed++;
        fwrite(line.s, 1, line.len, stdout);
        line.len = 0;
    }
    if (line.len)
        fwrite(line.s, 1, line.len, stdout);
    sb_free(&t);
    sb_free(&line);
    return 0;
}

int run_preview(const run_opts *o, const char *source_name, long rows, preview_format fmt,
                quire_error *err)
{
    plugin_registry reg = {0};
    spec *s = spec_load(o->spec_path, o->params, o->nparams, err);
    const spec_source *src;
    source *so = NULL;
    preview_ctx c;
    char *root = NULL;
    int rc = -1;

    if (!s)
        return -1;
    if (data_root_check(s, o->data_root, &root, err))
        goto done;
    src = spec_find_source(s, source_name);
    if (!src) {
        strbuf names = {0};
        size_t i;
        for (i = 0; i < s->nsources; i++)
            sb_printf(&names, "%s%s", i ? ", " : "", s->sources[i].name);
        quire_err_at(err, QUIRE_EXIT_USAGE, o->spec_path, 0, 0,
                     "no source named \"%s\"; sources: %s", source_name,
                     names.s ? names.s : "(none)");
        sb_free(&names);
        goto done;
    }
    so = source_open(s, src, &reg, NULL, err);
    if (!so)
        goto done;
    memset(&c, 0, sizeof c);
    c.fmt = fmt;
    c.left = rows;
    if (source_scan(so, NULL, 0, (uint64_t)rows, on_preview, &c, err))
        goto done;
    if (fmt == PREVIEW_JSON)
        fputs(c.header_done ? "\n]\n" : "[]\n", stdout);
    rc = 0;
done:
    fflush(stdout);
    source_close(so);
    spec_free(s);
    plugins_free(&reg);
    free(root);
    return rc;
}
