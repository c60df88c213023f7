/*
 * targets.c: KPI targets (targets: in the spec, or a CSV file of them):
 * the lookup of the target of a group in a period, and the reading of a
 * targets file, each record checked and any error at its line:col.
 */
#include "spec.h"

#include <errno.h>
#include <stdarg.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

/* A targets file larger than this is refused: a target per KPI, segment
 * and week for ten years is well under a megabyte. */
#define TARGETS_FILE_MAX (16u << 20)

double spec_kpi_target(const spec_kpi *k, const char *segment, int p)
{
    size_t i;
    double best = NAN;
    int rank = -1;

    for (i = 0; i < k->ntargets; i++) {
        const spec_target *t = &k->targets[i];
        int r = 0;

        if (t->segment) {
            if (strcmp(t->segment, segment) != 0)
                continue;
            r += 2;
        }
        if (t->period != SPEC_ANY_PERIOD) {
            if (t->period != p)
                continue;
            r += 1;
        }
        if (r > rank) {
            rank = r;
            best = t->value;
        }
    }
    return best;
}

int spec_target_add(spec_kpi *k, const char *segment, int period, double value)
{
    size_t i;

    if (k->ntargets >= SPEC_TARGETS_MAX)
        return -2;
    for (i = 0; i < k->ntargets; i++) {
        const spec_target *t = &k->targets[i];
        if (t->period == period && ((!t->segment && !segment) ||
                                    (t->segment && segment && strcmp(t->segment, segment) == 0)))
            return -1;
    }
    k->targets = xrealloc(k->targets, (k->ntargets + 1) * sizeof *k->targets);
    k->targets[k->ntargets].segment = segment ? xstrdup(segment) : NULL;
    k->targets[k->ntargets].period = period;
    k->targets[k->ntargets].value = value;
    k->ntargets++;
    return 0;
}

/* ------------------------------------------------------------ the file */

typedef struct field {
    char *text;       /* unquoted, NUL-terminated */
    int line, col;    /* where it starts in the file */
} field;

typedef struct reader {
    const char *p, *end;
    int line;
    const char *line_start;
} reader;

/* The next record of an RFC 4180 file into f (at most nmax fields; more
 * are counted in *n but not kept). Returns 1, 0 at the end, -1 on an
 * unterminated quote (its line and col in *line, *col). */
static int next_record(reader *r, field *f, size_t nmax, size_t *n, int *line, int *col)
{
    *n = 0;
    if (r->p >= r->end)
        return 0;
    for (;;) {
        strbuf b = {0};
        int fl = r->line, fc = (int)(r->p - r->line_start) + 1;

        if (r->p < r->end && *r->p == '"') {
            r->p++;
            for (;;) {
                if (r->p >= r->end) {
                    free(b.s);
                    *line = fl;
                    *col = fc;
                    return -1;
                }
                if (*r->p == '"') {
                    if (r->p + 1 < r->end && r->p[1] == '"') {
                        sb_add(&b, "\"", 1);
                        r->p += 2;
                        continue;
                    }
                    r->p++;
                    break;
                }
                if (*r->p == '\n') {
                    r->line++;
                    r->line_start = r->p + 1;
                }
                sb_add(&b, r->p++, 1);
            }
        }
        while (r->p < r->end && *r->p != ',' && *r->p != '\n' && *r->p != '\r')
            sb_add(&b, r->p++, 1);
        if (*n < nmax) {
            f[*n].text = b.s ? b.s : xstrdup("");
            f[*n].line = fl;
            f[*n].col = fc;
        } else {
            free(b.s);
        }
        (*n)++;
        if (r->p < r->end && *r->p == ',') {
            r->p++;
            continue;
        }
        if (r->p < r->end && *r->p == '\r')
            r->p++;
        if (r->p < r->end && *r->p == '\n')
            r->p++;
        r->line++;
        r->line_start = r->p;
        return 1;
    }
}

/* text without the spaces around it, in place */
static char *trim(char *t)
{
    char *e;

    while (*t == ' ' || *t == '\t')
        t++;
    e = t + strlen(t);
    while (e > t && (e[-1] == ' ' || e[-1] == '\t'))
        *--e = 0;
    return t;
}

static int bad(quire_error *err, const char *file, const field *f, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));
static int bad(quire_error *err, const char *file, const field *f, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    quire_verr_at(err, QUIRE_EXIT_USAGE, file, f->line, f->col, fmt, ap);
    va_end(ap);
    return -1;
}

/* " (did you mean "X"?)" after a name that is none of names, or "". */
static void hint_of(char *buf, size_t n, const char *word, const char *const *names, size_t count)
{
    const char *h = closest_word(word, names, count);

    if (h)
        snprintf(buf, n, "; did you mean \"%s\"?", h);
    else
        buf[0] = 0;
}

static void free_fields(field *f, size_t n)
{
    size_t i;

    for (i = 0; i < n; i++)
        free(f[i].text);
}

int spec_read_targets(spec *s, quire_error *err)
{
    static const char *const cols[] = {"kpi", "segment", "period", "target"};
    const spec_segmentation *sg = &s->segmentations[0];
    const char *file = s->targets_file;
    FILE *fp;
    char *data;
    size_t len = 0, n, i, cap = 1 << 16;
    int at[4] = {-1, -1, -1, -1}, rc = 0, line = 0, col = 0, r;
    field f[8];
    reader rd;
    const char **knames, **snames;

    if (!file)
        return 0;
    fp = fopen(file, "rb");
    if (!fp)
        return spec_fail(s, s->targets_pos, err, "targets file %s: %s", file, strerror(errno));
    data = xmalloc(cap);
    for (;;) {
        size_t got = fread(data + len, 1, cap - len, fp);
        len += got;
        if (len < cap)
            break;
        if (cap >= TARGETS_FILE_MAX) {
            fclose(fp);
            free(data);
            return spec_fail(s, s->targets_pos, err, "targets file %s is larger than %u MB", file,
                             TARGETS_FILE_MAX >> 20);
        }
        cap *= 2;
        data = xrealloc(data, cap);
    }
    if (ferror(fp)) {
        fclose(fp);
        free(data);
        return spec_fail(s, s->targets_pos, err, "targets file %s: read error", file);
    }
    fclose(fp);
    rd.p = data;
    rd.end = data + len;
    rd.line = 1;
    rd.line_start = data;
    if (len >= 3 && memcmp(data, "\xEF\xBB\xBF", 3) == 0)
        rd.p = rd.line_start = data + 3; /* a byte-order mark */

    knames = xcalloc(s->nkpis + 1, sizeof *knames);
    for (i = 0; i < s->nkpis; i++)
        knames[i] = s->kpis[i].name;
    snames = xcalloc(sg->nsegments + 2, sizeof *snames);
    for (i = 0; i < sg->nsegments; i++)
        snames[i] = sg->segments[i].name;
    snames[sg->nsegments] = "All";

    r = next_record(&rd, f, 8, &n, &line, &col);
    if (r <= 0) {
        rc = r < 0 ? quire_err_at(err, QUIRE_EXIT_USAGE, file, line, col,
                                  "a quoted field that never ends")
                   : quire_err_at(err, QUIRE_EXIT_USAGE, file, 1, 1,
                                  "the targets file is empty; its first line names the columns "
                                  "kpi, segment, period, target");
        goto done;
    }
    for (i = 0; i < n && rc == 0; i++) {
        size_t k;
        const char *name = i < 8 ? trim(f[i].text) : "";

        for (k = 0; k < 4 && strcmp(name, cols[k]) != 0; k++)
            ;
        if (i >= 8 || k == 4) {
            char h[80];
            hint_of(h, sizeof h, name, cols, 4);
            rc = bad(err, file, i < 8 ? &f[i] : &f[7],
                     "unknown column \"%s\" in the targets file; its columns are kpi, segment, "
                     "period, target%s", name, h);
        } else if (at[k] >= 0) {
            rc = bad(err, file, &f[i], "column \"%s\" is named twice", name);
        } else {
            at[k] = (int)i;
        }
    }
    for (i = 0; i < 4 && rc == 0; i++)
        if (at[i] < 0)
            rc = bad(err, file, &f[0], "the targets file has no column \"%s\"; its columns are "
                     "kpi, segment, period, target", cols[i]);
    free_fields(f, n < 8 ? n : 8);
    if (rc)
        goto done;

    while (rc == 0 && (r = next_record(&rd, f, 8, &n, &line, &col)) > 0) {
        const char *kn, *sn, *pn, *tn;
        spec_kpi *kp = NULL;
        int period = SPEC_ANY_PERIOD;
        double v;
        int added;
        char *end, h[120];

        if (n == 1 && !*f[0].text) {
            free_fields(f, 1); /* a blank line */
            continue;
        }
        if (n != 4) {
            rc = bad(err, file, &f[0], "a record of the targets file has 4 fields (kpi, segment, "
                     "period, target), not %zu", n);
            free_fields(f, n < 8 ? n : 8);
            break;
        }
        kn = trim(f[at[0]].text);
        sn = trim(f[at[1]].text);
        pn = trim(f[at[2]].text);
        tn = trim(f[at[3]].text);
        for (i = 0; i < s->nkpis; i++)
            if (strcmp(s->kpis[i].name, kn) == 0)
                kp = &s->kpis[i];
        if (!kp) {
            hint_of(h, sizeof h, kn, knames, s->nkpis);
            rc = bad(err, file, &f[at[0]], "a target for \"%s\", which is not a KPI of the spec%s",
                     kn, h);
        } else if (*sn && strcmp(sn, "All") != 0 && spec_segment_index(s, sn) < 0) {
            hint_of(h, sizeof h, sn, snames, sg->nsegments + 1);
            rc = bad(err, file, &f[at[1]], "a target for segment \"%s\", which is not a segment "
                     "of \"segments\" nor All%s", sn, h);
        } else if (*pn && (period = grain_parse_key(s->grain, pn)) < 0) {
            char ex[32];
            grain_key(ex, sizeof ex, s->grain, s->month_to);
            rc = bad(err, file, &f[at[2]], "\"%s\" is not a %s (like %s); leave it empty for "
                     "every period", pn, grain_name(s->grain), ex);
        } else if (!*tn || (errno = 0, v = strtod(tn, &end), *end) || errno || !isfinite(v) ||
                   fabs(v) > 1e15) {
            rc = bad(err, file, &f[at[3]], "a target must be a number from -1e+15 to 1e+15, not "
                     "\"%s\"", tn);
        } else if ((added = spec_target_add(kp, *sn ? sn : NULL,
                                            *pn ? period : SPEC_ANY_PERIOD, v)) == -2) {
            rc = bad(err, file, &f[at[0]], "more than %d targets for %s", SPEC_TARGETS_MAX, kn);
        } else if (added) {
            rc = bad(err, file, &f[at[0]], "a second target for %s, %s, %s", kn,
                     *sn ? sn : "every segment", *pn ? pn : "every period");
        }
        free_fields(f, 4);
    }
    if (r < 0 && rc == 0)
        rc = quire_err_at(err, QUIRE_EXIT_USAGE, file, line, col, "a quoted field that never ends");
done:
    free(knames);
    free(snames);
    free(data);
    return rc ? -1 : 0;
}
