/*
 * xlsx.c - the document's numbers as an Excel workbook.
 *
 * libxlsxwriter writes a workbook to a file it names itself, so the
 * workbook is built in a temporary file of the system's temporary folder,
 * read back and removed; the bytes are then published like every other
 * output (atomic.h).
 *
 * A table's cells are written from the numbers behind them (doc_table's
 * values) when the document has them, else read back from the text shown
 * ("$1,234.50", "81.3%", "12.5 d"); a cell that does not read as a number
 * stays text. The number format keeps the decimals the report shows.
 */
#include "xlsx.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <xlsxwriter.h>

#include "format.h"
#include "util.h"

#define SHEET_MAX 31
#define MAX_FORMATS 64

typedef struct fmt_key {
    int unit, decimals, bold;
    lxw_format *f;
} fmt_key;

typedef struct book {
    lxw_workbook *wb;
    lxw_format *bold, *title, *muted;
    fmt_key fmts[MAX_FORMATS];
    size_t nfmts;
    char (*names)[128]; /* the sheet names given, for uniqueness */
    size_t nnames, names_cap;
} book;

/* ------------------------------------------------------------ names */

void xlsx_sheet_name(char *out, size_t n, const char *name)
{
    size_t len = name ? strlen(name) : 0, i = 0, o = 0, chars = 0, start, end, cut = 0;
    int cut_short = 0;

    while (i < len) {
        char enc[4];
        uint32_t cp = quire_utf8_next(name, len, &i);
        size_t el, units = cp > 0xFFFF ? 2 : 1; /* Excel counts UTF-16 units */

        if (cp < 0x20 || (cp < 0x80 && strchr("[]:*?/\\", (int)cp) != NULL))
            cp = ' ';
        if (cp == ' ' && o > 0 && out[o - 1] == ' ')
            continue; /* one space where several were */
        el = quire_utf8_put(enc, cp);
        if (chars + units > SHEET_MAX || o + el + 1 > n) {
            cut_short = 1;
            break;
        }
        if (cp == ' ')
            cut = o; /* the last word boundary */
        memcpy(out + o, enc, el);
        o += el;
        chars += units;
    }
    /* A name cut short ends at a word boundary when one is not too far back. */
    if (cut_short && cut * 3 >= o * 2)
        o = cut;
    out[o] = '\0';
    /* trim spaces and apostrophes (a sheet name may not start or end with one) */
    for (start = 0; out[start] == ' ' || out[start] == '\''; start++)
        ;
    for (end = strlen(out); end > start && (out[end - 1] == ' ' || out[end - 1] == '\''); end--)
        ;
    memmove(out, out + start, end - start);
    out[end - start] = '\0';
    if (!*out)
        snprintf(out, n, "Sheet");
}

/* The UTF-16 units of s[0..len), as Excel counts a name's length. */
static size_t utf16_units(const char *s, size_t len)
{
    size_t i = 0, n = 0;

    while (i < len)
        n += quire_utf8_next(s, len, &i) > 0xFFFF ? 2 : 1;
    return n;
}

static int same_name(const char *a, const char *b)
{
    return strcasecmp(a, b) == 0; /* Excel's names ignore ASCII case */
}

/* A new sheet named after title (or dflt), unique in the workbook. */
static lxw_worksheet *add_sheet(book *b, const char *title, const char *dflt)
{
    char base[128], name[128];
    size_t i;
    int k = 1, taken;

    xlsx_sheet_name(base, sizeof base, title && *title ? title : dflt);
    snprintf(name, sizeof name, "%s", base);
    do {
        taken = same_name(name, "History"); /* reserved by Excel */
        for (i = 0; !taken && i < b->nnames; i++)
            taken = same_name(name, b->names[i]);
        if (taken) {
            char suffix[16];
            size_t keep, sl;

            snprintf(suffix, sizeof suffix, " (%d)", ++k);
            sl = strlen(suffix);
            /* room for the suffix: drop characters from the end */
            keep = strlen(base);
            while (keep > 0 && utf16_units(base, keep) + sl > SHEET_MAX) {
                keep--;
                while (keep > 0 && ((unsigned char)base[keep] & 0xC0) == 0x80)
                    keep--; /* not inside a character */
            }
            snprintf(name, sizeof name, "%.*s%s", (int)keep, base, suffix);
        }
    } while (taken);
    if (b->nnames == b->names_cap) {
        b->names_cap = b->names_cap ? b->names_cap * 2 : 16;
        b->names = xrealloc(b->names, b->names_cap * sizeof *b->names);
    }
    snprintf(b->names[b->nnames++], sizeof b->names[0], "%s", name);
    return workbook_add_worksheet(b->wb, name);
}

/* ------------------------------------------------------------ formats */

static int default_decimals(quire_unit unit)
{
    switch (unit) {
    case QUIRE_UNIT_COUNT:
        return 0;
    case QUIRE_UNIT_CURRENCY:
        return 2;
    case QUIRE_UNIT_NUMBER:
        return 2;
    default:
        return 1;
    }
}

/* The cell format for a unit shown with decimals (bold for a totals row). */
static lxw_format *num_format(book *b, quire_unit unit, int decimals, int bold)
{
    char code[64], zeros[16];
    size_t i;
    lxw_format *f;

    if (decimals < 0)
        decimals = default_decimals(unit);
    if (decimals > 10)
        decimals = 10;
    for (i = 0; i < b->nfmts; i++)
        if (b->fmts[i].unit == (int)unit && b->fmts[i].decimals == decimals &&
            b->fmts[i].bold == bold)
            return b->fmts[i].f;
    memset(zeros, '0', (size_t)decimals);
    zeros[decimals] = '\0';
    switch (unit) {
    case QUIRE_UNIT_CURRENCY:
        snprintf(code, sizeof code, "$#,##0%s%s", decimals ? "." : "", zeros);
        break;
    case QUIRE_UNIT_PERCENT:
        snprintf(code, sizeof code, "0%s%s%%", decimals ? "." : "", zeros);
        break;
    case QUIRE_UNIT_DAYS:
        snprintf(code, sizeof code, "#,##0%s%s \"d\"", decimals ? "." : "", zeros);
        break;
    case QUIRE_UNIT_MONTHS:
        snprintf(code, sizeof code, "#,##0%s%s \"mo\"", decimals ? "." : "", zeros);
        break;
    default:
        snprintf(code, sizeof code, "#,##0%s%s", decimals ? "." : "", zeros);
        break;
    }
    f = workbook_add_format(b->wb);
    format_set_num_format(f, code);
    if (bold)
        format_set_bold(f);
    if (b->nfmts < MAX_FORMATS) {
        b->fmts[b->nfmts].unit = (int)unit;
        b->fmts[b->nfmts].decimals = decimals;
        b->fmts[b->nfmts].bold = bold;
        b->fmts[b->nfmts++].f = f;
    }
    return f;
}

/* The decimals of a number as shown: the digits after its point. */
static int shown_decimals(const char *s)
{
    const char *dot = s ? strrchr(s, '.') : NULL;
    int d = 0;

    if (!dot)
        return 0;
    while (isdigit((unsigned char)dot[1 + d]))
        d++;
    return d;
}

/*
 * Read a number back from the text a table shows: "$1,234.50", "-3.2%",
 * "+2.1", "12.5 d", "4.0 mo". Sets the unit the text shows (or keeps
 * *unit) and returns 1, or 0 when s is not such a number.
 */
static int parse_shown(const char *s, double *v, quire_unit *unit)
{
    char buf[64];
    size_t o = 0;
    const char *p = s;
    int neg = 0, money = 0, pct = 0;
    char *end;

    if (!s)
        return 0;
    while (*p == ' ')
        p++;
    if (*p == '-' || *p == '+') {
        neg = *p == '-';
        p++;
    } else if (strncmp(p, "\xE2\x88\x92", 3) == 0) { /* U+2212 minus */
        neg = 1;
        p += 3;
    }
    if (*p == '$') {
        money = 1;
        p++;
    }
    if (!isdigit((unsigned char)*p))
        return 0;
    for (; *p && o + 1 < sizeof buf; p++) {
        if (*p == ',')
            continue;
        if (!isdigit((unsigned char)*p) && *p != '.')
            break;
        buf[o++] = *p;
    }
    buf[o] = '\0';
    if (strcmp(p, "%") == 0)
        pct = 1;
    else if (strcmp(p, " d") == 0)
        *unit = QUIRE_UNIT_DAYS;
    else if (strcmp(p, " mo") == 0)
        *unit = QUIRE_UNIT_MONTHS;
    else if (*p)
        return 0;
    errno = 0;
    *v = strtod(buf, &end);
    if (*end || errno || !isfinite(*v))
        return 0;
    if (neg)
        *v = -*v;
    if (pct) {
        *v /= 100;
        *unit = QUIRE_UNIT_PERCENT;
    } else if (money) {
        *unit = QUIRE_UNIT_CURRENCY;
    }
    return 1;
}

/* ------------------------------------------------------------ sheets */

/* Characters in s (for column widths). */
static size_t text_width(const char *s)
{
    size_t n = 0;

    for (; s && *s; s++)
        n += ((unsigned char)*s & 0xC0) != 0x80;
    return n;
}

static void widen(double *w, const char *s)
{
    double t = (double)text_width(s) * 1.1 + 2;

    if (t > *w)
        *w = t;
}

static void set_widths(lxw_worksheet *ws, const double *w, size_t n)
{
    size_t c;

    for (c = 0; c < n; c++)
        worksheet_set_column(ws, (lxw_col_t)c, (lxw_col_t)c, fmin(fmax(w[c], 8), 60), NULL);
}

static void table_sheet(book *b, const doc_table *t)
{
    lxw_worksheet *ws = add_sheet(b, t->title, "Table");
    size_t nrows = t->nrows + (t->totals ? 1 : 0), r, c;
    double *w = xcalloc(t->ncols ? t->ncols : 1, sizeof *w);

    for (c = 0; c < t->ncols; c++) {
        worksheet_write_string(ws, 0, (lxw_col_t)c, t->cols[c].title ? t->cols[c].title : "",
                               b->bold);
        widen(&w[c], t->cols[c].title);
    }
    for (r = 0; r < nrows && r + 1 < LXW_ROW_MAX; r++) {
        int total = t->totals && r == t->nrows;

        for (c = 0; c < t->ncols; c++) {
            const char *s = t->cells ? t->cells[r * t->ncols + c] : NULL;
            double v = t->values ? t->values[r * t->ncols + c] : NAN;
            quire_unit unit = t->cols[c].unit;
            lxw_row_t row = (lxw_row_t)(r + 1);

            if (!s && isnan(v))
                continue;
            if (t->cols[c].numeric && (isfinite(v) || parse_shown(s, &v, &unit))) {
                quire_unit shown = unit;
                double dummy;

                /* the text says what the number is, when it says it */
                if (s && parse_shown(s, &dummy, &shown))
                    unit = shown;
                worksheet_write_number(ws, row, (lxw_col_t)c, v,
                                       num_format(b, unit, shown_decimals(s), total));
                widen(&w[c], s ? s : "0000000");
            } else {
                worksheet_write_string(ws, row, (lxw_col_t)c, s ? s : "", total ? b->bold : NULL);
                widen(&w[c], s);
            }
        }
    }
    set_widths(ws, w, t->ncols);
    worksheet_freeze_panes(ws, 1, 0);
    free(w);
}

static void chart_sheet(book *b, const doc_chart *ch)
{
    lxw_worksheet *ws = add_sheet(b, ch->title, "Chart");
    lxw_format *f = num_format(b, ch->unit, ch->decimals, 0);
    lxw_format *fc = num_format(b, QUIRE_UNIT_COUNT, 0, 0);
    double *w = xcalloc(ch->nseries + 2, sizeof *w);
    /* the first column: a scatter of customers' keys, a box plot's groups,
     * else the categories under the x axis's title */
    const char *first = ch->cat_group                ? "Customer"
                        : ch->kind == DOC_CHART_BOX  ? "Group"
                        : ch->x_title && *ch->x_title ? ch->x_title
                                                      : "Category";
    size_t s, i;

    worksheet_write_string(ws, 0, 0, first, b->bold);
    widen(&w[0], first);
    for (s = 0; s < ch->nseries && s + 1 < LXW_COL_MAX; s++) {
        const char *name = ch->series && ch->series[s] ? ch->series[s] : "";

        worksheet_write_string(ws, 0, (lxw_col_t)(s + 1), name, b->bold);
        widen(&w[s + 1], name);
        if (w[s + 1] < 12)
            w[s + 1] = 12;
    }
    for (i = 0; i < ch->ncats && i + 1 < LXW_ROW_MAX; i++) {
        const char *cat = ch->cats && ch->cats[i] ? ch->cats[i] : "";

        worksheet_write_string(ws, (lxw_row_t)(i + 1), 0, cat, NULL);
        widen(&w[0], cat);
        for (s = 0; ch->values && s < ch->nseries && s + 1 < LXW_COL_MAX; s++) {
            double v = ch->values[s * ch->ncats + i];

            if (isfinite(v))
                worksheet_write_number(ws, (lxw_row_t)(i + 1), (lxw_col_t)(s + 1), v,
                                       ch->kind == DOC_CHART_BOX && s >= DOC_BOX_OUTLIERS ? fc
                                       : ch->cat_group && s == 0 ? num_format(b, ch->unit2,
                                                                              ch->decimals2, 0)
                                                                 : f);
        }
        if (ch->cat_group && ch->cat_group[i] >= 0 && (size_t)ch->cat_group[i] < ch->ngroups &&
            ch->nseries + 1 < LXW_COL_MAX) {
            /* a customer's segment, after the values */
            const char *g = ch->groups[ch->cat_group[i]];

            worksheet_write_string(ws, (lxw_row_t)(i + 1), (lxw_col_t)(ch->nseries + 1), g, NULL);
            widen(&w[ch->nseries + 1], g);
        }
    }
    /* the targets drawn (reference: target), a column each after the series */
    for (s = 0; s < ch->ntlines && ch->nseries + s + 2 < LXW_COL_MAX; s++) {
        lxw_col_t col = (lxw_col_t)(ch->nseries + s + 1 + (ch->cat_group ? 1 : 0));
        const char *name = ch->tline_labels && ch->tline_labels[s] ? ch->tline_labels[s] : "Target";

        worksheet_write_string(ws, 0, col, name, b->bold);
        worksheet_set_column(ws, col, col, 14 > strlen(name) + 2 ? 14 : (double)strlen(name) + 2,
                             NULL);
        for (i = 0; i < ch->ncats && i + 1 < LXW_ROW_MAX; i++) {
            double v = ch->tline_values[s * ch->ncats + i];
            if (isfinite(v))
                worksheet_write_number(ws, (lxw_row_t)(i + 1), col, v, f);
        }
    }
    if (ch->cat_group && ch->nseries + 1 < LXW_COL_MAX) {
        worksheet_write_string(ws, 0, (lxw_col_t)(ch->nseries + 1), "Segment", b->bold);
        widen(&w[ch->nseries + 1], "Segment");
    }
    set_widths(ws, w, ch->nseries + (ch->cat_group ? 2 : 1) < LXW_COL_MAX
                          ? ch->nseries + (ch->cat_group ? 2 : 1) : LXW_COL_MAX);
    worksheet_freeze_panes(ws, 1, 1);
    free(w);
}

static void summary_sheet(book *b, const quire_doc *doc)
{
    lxw_worksheet *ws = add_sheet(b, "Summary", "Summary");
    lxw_row_t row = 0;
    size_t i, j, k;
    double w[6] = {14, 14, 14, 16, 30, 16};

    worksheet_write_string(ws, row++, 0, doc->title ? doc->title : "Report", b->title);
    if (doc->subtitle && *doc->subtitle)
        worksheet_write_string(ws, row++, 0, doc->subtitle, b->muted);
    if (doc->period && *doc->period) {
        worksheet_write_string(ws, row, 0, "Period", b->bold);
        worksheet_write_string(ws, row++, 1, doc->period, NULL);
    }
    if (doc->generated && *doc->generated) {
        worksheet_write_string(ws, row, 0, "Generated", b->bold);
        worksheet_write_string(ws, row++, 1, doc->generated, NULL);
    }
    row++;
    worksheet_write_string(ws, row, 0, "KPI", b->bold);
    worksheet_write_string(ws, row, 1, "Value", b->bold);
    worksheet_write_string(ws, row, 2, "Previous", b->bold);
    worksheet_write_string(ws, row, 3, "Section", b->bold);
    worksheet_write_string(ws, row, 4, "Caption", b->bold);
    worksheet_write_string(ws, row, 5, "Comparisons", b->bold);
    worksheet_freeze_panes(ws, row + 1, 0);
    row++;
    for (i = 0; i < doc->nsections; i++) {
        const doc_section *s = &doc->sections[i];

        for (j = 0; j < s->nblocks; j++) {
            const doc_block *bl = &s->blocks[j];

            if (bl->kind != DOC_TILES)
                continue;
            for (k = 0; k < bl->ntiles && row < LXW_ROW_MAX; k++, row++) {
                const doc_tile *t = &bl->tiles[k];
                lxw_format *f = num_format(b, t->unit, t->decimals, 0);

                worksheet_write_string(ws, row, 0, t->label ? t->label : "", NULL);
                widen(&w[0], t->label);
                if (isfinite(t->value))
                    worksheet_write_number(ws, row, 1, t->value, f);
                if (isfinite(t->prev))
                    worksheet_write_number(ws, row, 2, t->prev, f);
                worksheet_write_string(ws, row, 3, s->title ? s->title : "", NULL);
                widen(&w[3], s->title);
                if (t->caption)
                    worksheet_write_string(ws, row, 4, t->caption, NULL);
                widen(&w[4], t->caption);
                if (t->nlines) {
                    /* the tile's comparisons as its lines say them ("no target") */
                    strbuf cmp = {0};
                    size_t l;
                    for (l = 0; l < t->nlines; l++)
                        sb_printf(&cmp, "%s%s", l ? "; " : "", t->lines[l].text);
                    worksheet_write_string(ws, row, 5, cmp.s, NULL);
                    widen(&w[5], cmp.s);
                    sb_free(&cmp);
                }
            }
        }
    }
    set_widths(ws, w, 6);
}

/* ------------------------------------------------------------ workbook */

static int build(const quire_doc *doc, const char *file, quire_error *err)
{
    book b = {0};
    lxw_doc_properties props = {0};
    lxw_error e;
    size_t i, j;

    b.wb = workbook_new(file);
    if (!b.wb)
        return quire_err(err, QUIRE_EXIT_DELIVERY, "%s: cannot create a workbook", file);
    props.title = (char *)(doc->title ? doc->title : "");
    props.subject = (char *)(doc->subtitle ? doc->subtitle : "");
    props.author = (char *)"Quire";
    if (doc->date[0] > 0) {
        struct tm tm = {0};

        tm.tm_year = doc->date[0] - 1900;
        tm.tm_mon = doc->date[1] - 1;
        tm.tm_mday = doc->date[2];
        tm.tm_hour = doc->date[3];
        tm.tm_min = doc->date[4];
        tm.tm_sec = doc->date[5];
        props.created = timegm(&tm);
    }
    workbook_set_properties(b.wb, &props);
    b.bold = workbook_add_format(b.wb);
    format_set_bold(b.bold);
    b.title = workbook_add_format(b.wb);
    format_set_bold(b.title);
    format_set_font_size(b.title, 16);
    b.muted = workbook_add_format(b.wb);
    format_set_font_color(b.muted, 0x616B7A);

    summary_sheet(&b, doc);
    for (i = 0; i < doc->nsections; i++)
        for (j = 0; j < doc->sections[i].nblocks; j++) {
            const doc_block *bl = &doc->sections[i].blocks[j];

            if (bl->kind == DOC_TABLE && bl->table.ncols > 0)
                table_sheet(&b, &bl->table);
            else if (bl->kind == DOC_CHART && bl->chart.ncats > 0 && bl->chart.nseries > 0)
                chart_sheet(&b, &bl->chart);
        }
    e = workbook_close(b.wb);
    free(b.names);
    if (e != LXW_NO_ERROR)
        return quire_err(err, QUIRE_EXIT_DELIVERY, "%s: cannot write the workbook: %s", file,
                         lxw_strerror(e));
    return 0;
}

int xlsx_render_mem(const quire_doc *doc, unsigned char **data, size_t *len, quire_error *err)
{
    char *tmp = tmp_template("quire-xlsx-");
    int fd = mkstemp(tmp), rc = -1;
    FILE *f = NULL;
    long size;

    *data = NULL;
    *len = 0;
    if (fd < 0) {
        quire_err(err, QUIRE_EXIT_DELIVERY, "%s: cannot create a temporary file: %s", tmp,
                  strerror(errno));
        free(tmp);
        return -1;
    }
    close(fd);
    if (build(doc, tmp, err))
        goto done;
    f = fopen(tmp, "rb");
    if (!f || fseek(f, 0, SEEK_END) || (size = ftell(f)) < 0 || fseek(f, 0, SEEK_SET)) {
        quire_err(err, QUIRE_EXIT_DELIVERY, "%s: cannot read the workbook back: %s", tmp,
                  strerror(errno));
        goto done;
    }
    *data = xmalloc((size_t)size + 1);
    if (fread(*data, 1, (size_t)size, f) != (size_t)size) {
        quire_err(err, QUIRE_EXIT_DELIVERY, "%s: cannot read the workbook back", tmp);
        free(*data);
        *data = NULL;
        goto done;
    }
    *len = (size_t)size;
    rc = 0;
done:
    if (f)
        fclose(f);
    unlink(tmp);
    free(tmp);
    return rc;
}

int xlsx_render_batch(const quire_doc *doc, const char *path, atomic_batch *batch,
                      quire_error *err)
{
    unsigned char *data;
    size_t len;
    int rc;

    if (xlsx_render_mem(doc, &data, &len, err))
        return -1;
    if (!batch) {
        rc = atomic_write(path, data, len, 0644, ATOMIC_EXACT_MODE, err);
    } else {
        atomic_file af;

        rc = atomic_open(&af, path, NULL, 0644, ATOMIC_EXACT_MODE, err) ||
                     atomic_put(&af, data, len, err) || atomic_sync(&af, err)
                 ? -1
                 : 0;
        if (rc == 0)
            atomic_batch_hold(batch, &af);
    }
    free(data);
    return rc;
}
