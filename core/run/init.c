/* init.c - quire init: a first report from CSV files (init.h). */
#include "init.h"

#include <ctype.h>
#include <errno.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "date.h"
#include "model.h"
#include "plugins.h"
#include "source.h"
#include "spec.h"
#include "util.h"

/* Distinct values are counted exactly up to this many per column. */
#define DISTINCT_CAP 131072
/* A text column with 2 to this many values describes customers. */
#define ATTR_MAX_VALUES 20

/* ------------------------------------------------------------ reading */

typedef struct col_stat {
    char *name;
    uint64_t n, nulls;          /* values, empty fields */
    int is_int, is_num, is_date; /* every value reads as one */
    int32_t dmin, dmax;          /* dates: the range */
    uint64_t *set;               /* hashes of the distinct values (0 = empty slot) */
    size_t ndistinct;
    int many;                    /* more than DISTINCT_CAP distinct values */
} col_stat;

enum { ROLE_UNUSED = 0, ROLE_ENTITIES, ROLE_ORDERS, ROLE_FACT };

typedef struct csv_file {
    const char *path;            /* as given */
    char *abs;                   /* absolute */
    char *base;                  /* its file name */
    char *name;                  /* the source's name in the spec */
    col_stat *cols;
    size_t ncols;
    uint64_t rows;
    int key, date, amount;       /* column indexes, -1 none */
    int role;
    const char *why;             /* ROLE_UNUSED: why not */
} csv_file;

static uint64_t hash(const char *s, size_t n)
{
    uint64_t h = 1469598103934665603ull;
    size_t i;

    for (i = 0; i < n; i++)
        h = (h ^ (unsigned char)s[i]) * 1099511628211ull;
    return h ? h : 1;
}

static void add_distinct(col_stat *c, const char *s, size_t n)
{
    uint64_t h = hash(s, n);
    size_t i;

    if (c->many)
        return;
    if (!c->set)
        c->set = xcalloc(DISTINCT_CAP * 2, sizeof *c->set);
    for (i = h & (DISTINCT_CAP * 2 - 1); c->set[i]; i = (i + 1) & (DISTINCT_CAP * 2 - 1))
        if (c->set[i] == h)
            return;
    if (c->ndistinct == DISTINCT_CAP) {
        c->many = 1;
        free(c->set);
        c->set = NULL;
        return;
    }
    c->set[i] = h;
    c->ndistinct++;
}

static int looks_int(const char *s, size_t n)
{
    size_t i = s[0] == '-' || s[0] == '+';

    if (i == n || n - i > 18)
        return 0;
    for (; i < n; i++)
        if (!isdigit((unsigned char)s[i]))
            return 0;
    return 1;
}

static int looks_num(const char *s, size_t n)
{
    char buf[64], *end;
    double v;

    if (n >= sizeof buf || !n)
        return 0;
    memcpy(buf, s, n);
    buf[n] = '\0';
    if (!isdigit((unsigned char)buf[0]) && buf[0] != '-' && buf[0] != '+' && buf[0] != '.')
        return 0;
    v = strtod(buf, &end);
    return *end == '\0' && isfinite(v);
}

/* An ISO date as the csv plugin reads one: YYYY-MM-DD (a time may follow
 * after a space or a T), or YYYY-MM. */
static int looks_date(const char *s, size_t n, int32_t *days)
{
    char buf[16];

    if (n == 7) {
        memcpy(buf, s, 7);
        memcpy(buf + 7, "-01", 4);
        return parse_date(buf, days) == 0;
    }
    if (n < 10 || (n > 10 && s[10] != ' ' && s[10] != 'T'))
        return 0;
    memcpy(buf, s, 10);
    buf[10] = '\0';
    return parse_date(buf, days) == 0;
}

static int on_stats(void *user, const quire_batch *b, quire_error *err)
{
    csv_file *f = user;
    uint32_t j, r;

    (void)err;
    if (!f->cols) {
        f->ncols = b->ncols;
        f->cols = xcalloc(b->ncols ? b->ncols : 1, sizeof *f->cols);
        for (j = 0; j < b->ncols; j++) {
            f->cols[j].name = xstrdup(b->columns[j].name);
            f->cols[j].is_int = f->cols[j].is_num = f->cols[j].is_date = 1;
            f->cols[j].dmin = INT32_MAX;
            f->cols[j].dmax = INT32_MIN;
        }
    }
    for (j = 0; j < b->ncols && j < f->ncols; j++) {
        col_stat *c = &f->cols[j];
        for (r = 0; r < b->nrows; r++) {
            const quire_cell *cl = &b->cols[j][r];
            const char *s = cl->null ? "" : cl->v.s.ptr;
            size_t n = cl->null ? 0 : cl->v.s.len;
            int32_t d;

            while (n && (s[n - 1] == ' ' || s[n - 1] == '\t'))
                n--;
            while (n && (*s == ' ' || *s == '\t'))
                s++, n--;
            if (cl->null || !n) {
                c->nulls++;
                continue;
            }
            c->n++;
            if (c->is_int && !looks_int(s, n))
                c->is_int = 0;
            if (c->is_num && !c->is_int && !looks_num(s, n))
                c->is_num = 0;
            if (c->is_date) {
                if (!looks_date(s, n, &d))
                    c->is_date = 0;
                else {
                    if (d < c->dmin)
                        c->dmin = d;
                    if (d > c->dmax)
                        c->dmax = d;
                }
            }
            add_distinct(c, s, n);
        }
    }
    f->rows += b->nrows;
    return 0;
}

/* A spec of one csv source reading path, to scan it through the plugin. */
typedef struct one_source {
    spec s;
    spec_source src;
    spec_option opt;
} one_source;

static void one_source_init(one_source *o, const char *path, const char *name)
{
    memset(o, 0, sizeof *o);
    o->s.path = (char *)path;
    o->s.dir = (char *)"/";
    o->src.name = (char *)name;
    o->src.plugin = (char *)"csv";
    o->opt.key = (char *)"path";
    o->opt.value = o->opt.raw = (char *)path;
    o->src.options = &o->opt;
    o->src.noptions = 1;
    o->s.sources = &o->src;
    o->s.nsources = 1;
}

static int scan(csv_file *f, plugin_registry *reg, const quire_column *proj, size_t nproj,
                source_batch_fn fn, void *user, quire_error *err)
{
    one_source o;
    source *so;
    int rc;

    one_source_init(&o, f->abs, f->name);
    if (nproj) {
        o.src.columns = (quire_column *)proj;
        o.src.ncolumns = nproj;
    }
    so = source_open(&o.s, &o.src, reg, NULL, err);
    if (!so)
        return -1;
    rc = source_scan(so, proj, nproj, 0, fn, user, err);
    source_close(so);
    return rc;
}

/* ------------------------------------------------------------ guessing */

/* The name folded to lower-case letters and digits: "Customer ID" "customerid". */
static void fold(char *out, size_t n, const char *name)
{
    size_t k = 0;

    for (; *name && k + 1 < n; name++)
        if (isalnum((unsigned char)*name))
            out[k++] = (char)tolower((unsigned char)*name);
    out[k] = '\0';
}

static int has(const char *folded, const char *const *words)
{
    for (; *words; words++)
        if (strstr(folded, *words))
            return 1;
    return 0;
}

static int ends(const char *s, const char *suffix)
{
    size_t a = strlen(s), b = strlen(suffix);
    return a >= b && strcmp(s + a - b, suffix) == 0;
}

/* How much a column looks like the customer key (0: not at all). */
static int key_score(const col_stat *c)
{
    static const char *const who[] = {"customer", "client", "user", "account", "member",
                                       "buyer", "contact", "shopper", NULL};
    char f[128];
    int s = 0;

    if (!c->n || c->is_date)
        return 0;
    fold(f, sizeof f, c->name);
    if (has(f, who))
        s += 4;
    if (ends(f, "id") || ends(f, "key") || ends(f, "no") || ends(f, "number") || ends(f, "code"))
        s += 2;
    return s >= 4 ? s : 0;
}

static int date_score(const col_stat *c)
{
    char f[128];
    int s = 1;

    if (!c->n || !c->is_date)
        return 0;
    fold(f, sizeof f, c->name);
    if (strstr(f, "date") || strstr(f, "time"))
        s += 3;
    if (strstr(f, "order") || strstr(f, "invoice") || strstr(f, "month") || strstr(f, "day"))
        s += 2;
    return s;
}

static int amount_score(const col_stat *c)
{
    static const char *const best[] = {"amount", "revenue", "sales", "total", "spend",
                                        "value", "gross", "net", NULL};
    char f[128];

    if (!c->n || !c->is_num || c->is_date)
        return 0;
    fold(f, sizeof f, c->name);
    if (ends(f, "id"))
        return 0;
    if (has(f, best))
        return 3;
    return 0;
}

static int best(const csv_file *f, int (*score)(const col_stat *), int not)
{
    int b = -1, bs = 0;
    size_t i;

    for (i = 0; i < f->ncols; i++) {
        int s = (int)i == not ? 0 : score(&f->cols[i]);
        if (s > bs)
            b = (int)i, bs = s;
    }
    return b;
}

static int col_index(const csv_file *f, const char *name)
{
    size_t i;

    for (i = 0; i < f->ncols; i++)
        if (strcmp(f->cols[i].name, name) == 0)
            return (int)i;
    return -1;
}

/* A name as Lua and YAML like it: lower-case letters, digits and "_". */
static char *ident(const char *name)
{
    char *s = xmalloc(strlen(name) + 3), *p = s;
    const char *q;

    if (isdigit((unsigned char)*name))
        *p++ = 'x', *p++ = '_';
    for (q = name; *q; q++) {
        if (isalnum((unsigned char)*q))
            *p++ = (char)tolower((unsigned char)*q);
        else if (p > s && p[-1] != '_')
            *p++ = '_';
    }
    while (p > s && p[-1] == '_')
        p--;
    *p = '\0';
    if (!*s) {
        free(s);
        return xstrdup("data");
    }
    return s;
}

/* ------------------------------------------------------------ the orders */

/* Per customer, from the orders: the latest date, the last 12 months' orders
 * and amount. */
typedef struct buyer {
    char *key;
    int32_t last;
    double orders12, amount12;
} buyer;

typedef struct orders_ctx {
    buyer *v;
    size_t n, cap;
    size_t *slots;       /* index + 1, 0 = empty */
    size_t nslots;
    int32_t start12, end;
    int has_amount;
} orders_ctx;

static buyer *find_buyer(orders_ctx *o, const char *k, size_t len)
{
    size_t i;

    if ((o->n + 1) * 2 > o->nslots) {
        size_t ns = o->nslots ? o->nslots * 2 : 1024, j;
        free(o->slots);
        o->slots = xcalloc(ns, sizeof *o->slots);
        o->nslots = ns;
        for (j = 0; j < o->n; j++) {
            const buyer *b = &o->v[j];
            for (i = hash(b->key, strlen(b->key)) & (ns - 1); o->slots[i]; i = (i + 1) & (ns - 1))
                ;
            o->slots[i] = j + 1;
        }
    }
    for (i = hash(k, len) & (o->nslots - 1); o->slots[i]; i = (i + 1) & (o->nslots - 1)) {
        buyer *b = &o->v[o->slots[i] - 1];
        if (strlen(b->key) == len && memcmp(b->key, k, len) == 0)
            return b;
    }
    if (o->n == o->cap) {
        o->cap = o->cap ? o->cap * 2 : 1024;
        o->v = xrealloc(o->v, o->cap * sizeof *o->v);
    }
    o->slots[i] = o->n + 1;
    memset(&o->v[o->n], 0, sizeof o->v[o->n]);
    o->v[o->n].key = xstrndup(k, len);
    o->v[o->n].last = INT32_MIN;
    return &o->v[o->n++];
}

static int on_orders(void *user, const quire_batch *b, quire_error *err)
{
    orders_ctx *o = user;
    uint32_t r;

    (void)err;
    for (r = 0; r < b->nrows; r++) {
        const quire_cell *k = &b->cols[0][r], *d = &b->cols[1][r];
        buyer *by;
        int32_t day;

        if (k->null || d->null || !k->v.s.len)
            continue;
        day = (int32_t)d->v.i;
        if (day > o->end)
            continue;
        by = find_buyer(o, k->v.s.ptr, k->v.s.len);
        if (day > by->last)
            by->last = day;
        if (day >= o->start12) {
            by->orders12 += 1;
            if (o->has_amount && !b->cols[2][r].null)
                by->amount12 += b->cols[2][r].v.n;
        }
    }
    return 0;
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return x < y ? -1 : x > y;
}

/* The q-quantile of n sorted values (the lower of the two nearest). */
static double quantile(const double *v, size_t n, double q)
{
    return n ? v[(size_t)floor(q * (double)(n - 1))] : 0;
}

/* x rounded to two significant digits: a threshold a person would pick. */
static double round2(double x)
{
    double p;

    if (x <= 0)
        return 0;
    p = pow(10, floor(log10(x)) - 1);
    return round(x / p) * p;
}

/* ------------------------------------------------------------ writing */

typedef struct plan {
    csv_file *files;
    size_t nfiles;
    csv_file *ents, *orders;
    const char *key;          /* the key column's name */
    int key_int;              /* integer keys (else strings) */
    int since;                /* the customers file's date column, or -1 */
    int from, to, history;    /* months */
    double at_risk, inactive, vip; /* the rule's thresholds */
    double q_recency75, q_recency90, q_value80;
    size_t nbuyers;
    const char *data_dir;     /* ${data}: relative to the report's folder, or NULL */
    char **kpis;              /* the stock KPIs the report uses */
    size_t nkpis;
} plan;

/* The stock KPIs the report shows (its table, in this order; the first
 * four are its tiles). */
static const char *const yes_amount_kpis[] = {"customer_count", "revenue", "average_order_value",
                                               "retention_rate", "segment_share", NULL};
static const char *const no_amount_kpis[] = {"customer_count", "purchase_frequency",
                                              "repeat_purchase_rate", "retention_rate",
                                              "segment_share", NULL};

/* A name as YAML reads it back: plain when it can be, else double-quoted. */
static void yaml_str(strbuf *b, const char *s)
{
    static const char *const words[] = {"true", "false", "yes", "no", "on", "off", "null",
                                        "y", "n", NULL};
    const char *const *w;
    const char *p;
    int plain = isalpha((unsigned char)*s) || *s == '_';

    for (p = s; plain && *p; p++)
        plain = isalnum((unsigned char)*p) || *p == '_';
    for (w = words; plain && *w; w++)
        plain = strcasecmp(s, *w) != 0;
    if (plain)
        sb_puts(b, s);
    else
        sb_json_cstr(b, s); /* a JSON string is a YAML double-quoted scalar */
}

static void source_path(strbuf *b, const plan *p, const csv_file *f)
{
    if (p->data_dir) {
        sb_puts(b, "${data}/");
        sb_puts(b, f->base);
    } else {
        sb_puts(b, f->abs);
    }
}

static const char *col_type(const plan *p, const csv_file *f, int i)
{
    const col_stat *c = &f->cols[i];

    if (i == f->key)
        return p->key_int ? "integer" : "string";
    if (c->is_date)
        return "date";
    if (c->is_int)
        return "integer";
    if (c->is_num)
        return "number";
    return "string";
}

/* The text attributes of the customers file: 2 to ATTR_MAX_VALUES values. */
static int is_attr(const plan *p, int i)
{
    const col_stat *c = p->ents ? &p->ents->cols[i] : NULL;

    return c && i != p->ents->key && i != p->since && !c->is_num && !c->is_date &&
           !c->many && c->ndistinct >= 2 && c->ndistinct <= ATTR_MAX_VALUES;
}

/* The numeric columns of another dated file that its fact sums. */
static int is_summed(const csv_file *f, int i)
{
    const col_stat *c = &f->cols[i];
    char fo[128];

    fold(fo, sizeof fo, c->name);
    return i != f->key && i != f->date && c->is_num && !c->is_date && !ends(fo, "id");
}

static void write_sources(strbuf *b, const plan *p)
{
    size_t i;
    int k;

    sb_puts(b, "sources:\n");
    for (i = 0; i < p->nfiles; i++) {
        const csv_file *f = &p->files[i];
        if (f->role == ROLE_UNUSED)
            continue;
        sb_printf(b, "  %s:\n    plugin: csv\n    path: ", f->name);
        source_path(b, p, f);
        sb_puts(b, "\n    columns:\n");
        for (k = 0; k < (int)f->ncols; k++) {
            int used = k == f->key || k == f->date || k == f->amount ||
                       (f == p->ents && (k == p->since || is_attr(p, k))) ||
                       (f->role == ROLE_FACT && is_summed(f, k));
            if (!used)
                continue;
            sb_puts(b, "      ");
            yaml_str(b, f->cols[k].name);
            sb_printf(b, ": %s\n", col_type(p, f, k));
        }
    }
}

static void write_facts(strbuf *b, const plan *p, strbuf *used)
{
    const csv_file *o = p->orders;
    size_t i;
    int k;

    sb_puts(b, "facts:\n");
    sb_printf(b, "  - source: %s\n    key: ", o->name);
    yaml_str(b, p->key);
    sb_puts(b, "\n    date: ");
    yaml_str(b, o->cols[o->date].name);
    sb_puts(b, "\n    measures:\n      orders: count\n");
    if (o->amount >= 0)
        sb_printf(b, "      revenue: sum(%s)\n", o->cols[o->amount].name);
    sb_printf(b, "      last_order: max(%s)\n", o->cols[o->date].name);
    sb_puts(used, ",orders,revenue,last_order,");
    for (i = 0; i < p->nfiles; i++) {
        const csv_file *f = &p->files[i];
        char *cnt;
        if (f->role != ROLE_FACT)
            continue;
        sb_printf(b, "  - source: %s\n    key: ", f->name);
        yaml_str(b, p->key);
        sb_puts(b, "\n    date: ");
        yaml_str(b, f->cols[f->date].name);
        cnt = ident(f->name);
        sb_printf(b, "\n    measures:\n      %s_rows: count\n", cnt);
        free(cnt);
        for (k = 0; k < (int)f->ncols; k++) {
            char *m, look[160];
            if (!is_summed(f, k))
                continue;
            m = ident(f->cols[k].name);
            snprintf(look, sizeof look, ",%s,", m);
            if (strstr(used->s, look)) {
                char *pre = xasprintf("%s_%s", f->name, m);
                free(m);
                m = ident(pre);
                free(pre);
            }
            sb_printf(used, "%s,", m);
            sb_printf(b, "      %s: sum(%s)\n", m, f->cols[k].name);
            free(m);
        }
    }
}

static void write_spec(strbuf *b, const plan *p)
{
    const csv_file *o = p->orders;
    const char *value = o->amount >= 0 ? "revenue_12m" : "orders_12m";
    strbuf used = {0};
    size_t i;
    int k, first;

    sb_puts(b, "# A first report, written by `quire init` from these files:\n");
    for (i = 0; i < p->nfiles; i++) {
        const csv_file *f = &p->files[i];
        sb_printf(b, "#   %-24s %llu rows; ", f->base, (unsigned long long)f->rows);
        if (f->role == ROLE_UNUSED) {
            sb_printf(b, "not used: %s\n", f->why);
            continue;
        }
        sb_printf(b, "%s, customer key %s", f->role == ROLE_ENTITIES ? "the customers"
                                            : f->role == ROLE_ORDERS ? "the orders"
                                                                     : "more facts",
                  p->key);
        if (f->role != ROLE_ENTITIES && f->date >= 0)
            sb_printf(b, ", date %s", f->cols[f->date].name);
        if (f->amount >= 0)
            sb_printf(b, ", amount %s", f->cols[f->amount].name);
        if (f == p->ents && p->since >= 0)
            sb_printf(b, ", since %s", f->cols[p->since].name);
        sb_puts(b, "\n");
    }
    sb_puts(b, "#\n# What to edit (docs/spec.md describes every key):\n"
               "#   - title and subtitle, just below;\n"
               "#   - the months: the defaults of from and to under parameters, or\n"
               "#     quire run report.yaml --param from=YYYY-MM --param to=YYYY-MM;\n"
               "#   - who is in which segment: the thresholds at the top of segments.lua;\n"
               "#   - the KPIs: kpis/ holds copies of Quire's stock KPIs; list more under kpis:;\n"
               "#   - what the PDF shows: the sections at the end (docs/blocks.md).\n");
    if (!p->ents)
        sb_puts(b, "# There is no file of customers: the customers are the keys of the orders\n"
                   "# (a warning says how many rows repeated a key), and nobody is New.\n");
    if (o->amount < 0)
        sb_puts(b, "# No column reads as an amount (amount, revenue, sales, total...): the\n"
                   "# segments follow the number of orders (rows of the orders file: with one\n"
                   "# row per invoice line, lines). An amount that is a product of two columns\n"
                   "# (quantity x price) cannot be computed by a spec yet; a file with the\n"
                   "# amount as a column can be declared in sources, with revenue: sum(COLUMN)\n"
                   "# in facts and the revenue KPIs of Quire's scripts/kpis under kpis.\n");
    if (!p->history)
        sb_puts(b, "# The data has no month before the first one reported: retention and\n"
                   "# movements between segments need one, and show no value.\n");
    sb_puts(b, "# Render it with: quire run report.yaml\n\n");

    sb_puts(b, "title: Customer Segments, ${period}\nsubtitle: ");
    {
        strbuf line = {0};
        size_t more = 0;
        for (i = 0; i < p->nfiles; i++)
            more += p->files[i].role != ROLE_UNUSED && &p->files[i] != o;
        sb_printf(&line, "From %s", o->base);
        if (more)
            sb_printf(&line, " and %zu more file%s", more, more > 1 ? "s" : "");
        sb_puts(&line, ", month by month to ${to:month}");
        sb_json_cstr(b, line.s);
        sb_free(&line);
    }
    sb_puts(b, "\n\nparameters:\n");
    if (p->data_dir) {
        sb_puts(b, "  data: { type: path, default: ");
        sb_json_cstr(b, p->data_dir);
        sb_puts(b, ", help: folder of the CSV files }\n");
    }
    {
        char f[16], t[16];
        format_month(f, sizeof f, p->from);
        format_month(t, sizeof t, p->to);
        sb_printf(b, "  from: { type: month, default: %s, help: first month of the report }\n"
                     "  to: { type: month, default: %s, help: last month of the report }\n\n",
                  f, t);
    }
    sb_printf(b, "periods:\n  from: ${from}\n  to: ${to}\n  history: %d\n\n", p->history);
    write_sources(b, p);
    sb_printf(b, "\nentities:\n  source: %s\n  key: ", p->ents ? p->ents->name : o->name);
    yaml_str(b, p->key);
    sb_puts(b, "\n");
    if (p->ents && p->since >= 0) {
        sb_puts(b, "  since: ");
        yaml_str(b, p->ents->cols[p->since].name);
        sb_puts(b, "\n");
    }
    for (k = 0, first = 1; p->ents && k < (int)p->ents->ncols; k++)
        if (is_attr(p, k)) {
            sb_puts(b, first ? "  attributes: [" : ", ");
            yaml_str(b, p->ents->cols[k].name);
            first = 0;
        }
    if (!first)
        sb_puts(b, "]\n");
    sb_puts(b, "\n");
    write_facts(b, p, &used);
    sb_free(&used);
    sb_puts(b, "\nfeatures:\n  windows: [3, 12]\n\n"
               "segments:\n  rule: segments.lua\n  list:\n"
               "    - { name: VIP,      color: \"#6a3d9a\" }\n"
               "    - { name: Regular,  color: \"#1f78b4\" }\n"
               "    - { name: At Risk,  color: \"#ff7f00\" }\n"
               "    - { name: Inactive, color: \"#8c8c8c\", churned: true }\n");
    if (p->since >= 0)
        sb_puts(b, "    - { name: New,      color: \"#33a02c\" }\n");
    sb_puts(b, "\nkpis:\n");
    for (i = 0; i < p->nkpis; i++)
        sb_printf(b, "  %s: kpis/%s.lua\n", p->kpis[i], p->kpis[i]);

    sb_puts(b, "\nsections:\n"
               "  - title: At a Glance\n"
               "    intro: All customers in the last month, against the month before\n"
               "    blocks:\n"
               "      - tiles:\n");
    sb_printf(b, "          kpis: [%s, %s, %s, %s]\n", p->kpis[0], p->kpis[1], p->kpis[2],
              p->kpis[3]);
    sb_puts(b, "      - table:\n          title: Key figures by segment\n          kpis: [");
    for (i = 0; i < p->nkpis; i++)
        sb_printf(b, "%s%s", i ? ", " : "", p->kpis[i]);
    sb_puts(b, "]\n          totals: true\n");
    /* One month: bars by segment; no month before it in the data: nothing
     * moved (the migration chart and list are left out). */
    sb_printf(b, "  - title: Segments over Time\n"
                 "    intro: How many customers each segment holds%s\n"
                 "    blocks:\n"
                 "      - chart:\n"
                 "          type: %s\n"
                 "          kpi: customer_count\n"
                 "          title: Customers by segment\n",
              p->history ? ", and where they move" : "", p->from == p->to ? "bar" : "line");
    if (o->amount >= 0)
        sb_puts(b, "      - chart:\n"
                   "          type: stacked_bar\n"
                   "          kpi: revenue\n"
                   "          title: Revenue by segment\n");
    if (p->history)
        sb_puts(b, "      - chart:\n"
                   "          type: heatmap\n"
                   "          matrix: migration\n"
                   "          title: Where last month's customers are now\n");
    sb_puts(b, "  - title: Customers to Know\n"
               "    intro: The customers behind the segments, in the last month\n"
               "    blocks:\n"
               "      - table:\n"
               "          title: Top 20 customers\n"
               "          by: customer\n"
               "          columns:\n            - { name: ");
    yaml_str(b, p->key);
    sb_puts(b, ", label: Customer }\n            - segment\n");
    if (o->amount >= 0)
        sb_puts(b, "            - { name: revenue_12m, label: Revenue (12 months), "
                   "format: currency }\n");
    sb_puts(b, "            - { name: orders_12m, label: Orders (12 months) }\n"
               "            - { name: last_order, label: Last order }\n");
    sb_printf(b, "          sort: %s desc\n          top: 20\n", value);
    if (!p->history)
        return;
    sb_puts(b, "      - table:\n"
               "          title: Moved from VIP to At Risk this month\n"
               "          by: customer\n"
               "          columns:\n            - { name: ");
    yaml_str(b, p->key);
    sb_puts(b, ", label: Customer }\n");
    if (o->amount >= 0)
        sb_puts(b, "            - { name: revenue_12m, label: Revenue (12 months), "
                   "format: currency }\n");
    sb_puts(b, "            - { name: days_since_last_order, label: Days since last order }\n"
               "          where: [prev_segment == VIP, segment == At Risk]\n");
    sb_printf(b, "          sort: %s desc\n          rows: 50\n", value);
}

static void write_rule(strbuf *b, const plan *p)
{
    char t[16];
    int amount = p->orders->amount >= 0;

    format_month(t, sizeof t, p->to);
    sb_printf(b, "-- The segment rule of this report, written by `quire init`.\n"
                 "--\n"
                 "-- What to edit: the thresholds below. They were taken from the data's own\n"
                 "-- quantiles, over the %zu customers who ordered in the 12 months to %s:\n"
                 "--   At Risk:  no order for more days than 75%% of them (%.0f days)\n"
                 "--   Inactive: no order for more days than 90%% of them (%.0f days)\n",
              p->nbuyers, t, p->q_recency75, p->q_recency90);
    if (amount)
        sb_printf(b, "--   VIP:      12-month revenue of the top 20%% (%.2f and more)\n",
                  p->q_value80);
    else
        sb_printf(b, "--   VIP:      12-month orders of the top 20%% (%.0f and more)\n",
                  p->q_value80);
    sb_puts(b, "-- Called once per customer and month with a record c of the customer's\n"
               "-- figures as of the month's end (docs/lua-api.md lists them all); returns one\n"
               "-- of the segments listed in report.yaml.\n\n");
    if (p->since >= 0)
        sb_puts(b, "local NEW_MONTHS = 2          -- customers in their first two months are New\n");
    sb_printf(b, "local AT_RISK_DAYS = %.0f      -- no order for this long: At Risk\n"
                 "local INACTIVE_DAYS = %.0f     -- no order for this long: Inactive\n",
              p->at_risk, p->inactive);
    if (amount)
        sb_printf(b, "local VIP_REVENUE = %.15g     -- 12-month revenue of a VIP\n", p->vip);
    else
        sb_printf(b, "local VIP_ORDERS = %.15g      -- 12-month orders of a VIP\n", p->vip);
    sb_puts(b, "\nreturn function(c)\n");
    if (p->since >= 0)
        sb_puts(b, "  if c.tenure_months ~= nil and c.tenure_months < NEW_MONTHS then\n"
                   "    return \"New\"\n  end\n");
    sb_puts(b, "  local recency = c.days_since_last_order\n"
               "  if recency == nil or recency > INACTIVE_DAYS then\n"
               "    return \"Inactive\"\n  end\n"
               "  if recency > AT_RISK_DAYS then\n"
               "    return \"At Risk\"\n  end\n");
    sb_puts(b, amount ? "  if c.revenue_12m >= VIP_REVENUE then\n"
                      : "  if c.orders_12m >= VIP_ORDERS then\n");
    sb_puts(b, "    return \"VIP\"\n  end\n  return \"Regular\"\nend\n");
}

/* ------------------------------------------------------------ the plan */

/* The folder to as a path relative to the folder from (both absolute). */
static char *relative(const char *from, const char *to)
{
    strbuf b = {0};
    size_t i = 0, cut = 0;
    const char *p;

    /* The longest common run of whole components. */
    while (from[i] && from[i] == to[i]) {
        i++;
        if ((from[i] == '/' || !from[i]) && (to[i] == '/' || !to[i]))
            cut = i;
    }
    for (p = from + cut; *p; p++)
        if (*p == '/')
            sb_puts(&b, b.len ? "/.." : "..");
    for (p = to + cut; *p == '/'; p++)
        ;
    if (*p) {
        if (b.len)
            sb_puts(&b, "/");
        sb_puts(&b, p);
    }
    if (!b.s)
        sb_puts(&b, ".");
    return b.s;
}

static int fail_usage(quire_error *err, const char *fmt, const char *a)
{
    return quire_err(err, QUIRE_EXIT_USAGE, fmt, a);
}

/* Roles: which file lists the customers, which holds the orders. */
static int choose_roles(plan *p, quire_error *err)
{
    size_t i;
    int bestscore = 0;

    /* The key: the most key-like column of any file. */
    for (i = 0; i < p->nfiles; i++) {
        csv_file *f = &p->files[i];
        int k = best(f, key_score, -1);
        if (k >= 0 && key_score(&f->cols[k]) > bestscore) {
            bestscore = key_score(&f->cols[k]);
            p->key = f->cols[k].name;
        }
    }
    if (!p->key)
        return fail_usage(err, "%s: no column reads as a customer key (a name like customer_id, "
                          "CustomerID or client_no); name the key column so, or write the spec "
                          "by hand (docs/spec.md)", p->files[0].path);
    p->key_int = 1;
    for (i = 0; i < p->nfiles; i++) {
        csv_file *f = &p->files[i];
        f->key = col_index(f, p->key);
        f->date = best(f, date_score, f->key);
        f->amount = f->key >= 0 ? best(f, amount_score, f->key) : -1;
        if (f->key < 0)
            f->why = "no customer key column";
        else if (!f->cols[f->key].is_int)
            p->key_int = 0;
    }
    /* The customers: a file whose keys are all there and all different. */
    for (i = 0; i < p->nfiles; i++) {
        csv_file *f = &p->files[i];
        const col_stat *k = f->key >= 0 ? &f->cols[f->key] : NULL;
        if (k && !k->nulls && !k->many && k->ndistinct == k->n && k->n > 0 &&
            (!p->ents || f->ncols > p->ents->ncols)) {
            p->ents = f;
        }
    }
    if (p->ents) {
        p->ents->role = ROLE_ENTITIES;
        p->since = p->ents->date;
        p->ents->amount = -1;
    }
    /* The orders: dated, with an amount if any file has one, the most rows. */
    for (i = 0; i < p->nfiles; i++) {
        csv_file *f = &p->files[i];
        if (f->role || f->key < 0 || f->date < 0)
            continue;
        if (!p->orders || (f->amount >= 0) > (p->orders->amount >= 0) ||
            ((f->amount >= 0) == (p->orders->amount >= 0) && f->rows > p->orders->rows))
            p->orders = f;
    }
    if (!p->orders)
        return fail_usage(err, "%s: no file has both a customer key and a date column (dates "
                          "as YYYY-MM-DD or YYYY-MM): there is nothing to follow month by month",
                          p->files[0].path);
    p->orders->role = ROLE_ORDERS;
    for (i = 0; i < p->nfiles; i++) {
        csv_file *f = &p->files[i];
        if (f->role)
            continue;
        if (f->key >= 0 && f->date < 0)
            f->why = "no date column";
        else if (f->key >= 0) {
            f->role = ROLE_FACT;
            f->amount = -1;
        }
    }
    return 0;
}

/* The months and the rule's thresholds, from a second read of the orders. */
static int measure_orders(plan *p, plugin_registry *reg, quire_error *err)
{
    csv_file *o = p->orders;
    const col_stat *d = &o->cols[o->date];
    quire_column proj[3];
    orders_ctx c;
    double *rec, *val;
    size_t i, n = 0;
    int first = month_of_days(d->dmin), rc;

    p->to = month_of_days(d->dmax);
    p->from = p->to - 2 < first ? first : p->to - 2;
    p->history = p->from - first > 12 ? 12 : p->from - first;
    memset(&c, 0, sizeof c);
    memset(proj, 0, sizeof proj);
    proj[0].name = p->key;
    proj[0].type = QUIRE_T_STRING;
    proj[1].name = o->cols[o->date].name;
    proj[1].type = QUIRE_T_DATE;
    if (o->amount >= 0) {
        proj[2].name = o->cols[o->amount].name;
        proj[2].type = QUIRE_T_NUMBER;
    }
    c.has_amount = o->amount >= 0;
    c.end = days_from_civil(p->to / 12, p->to % 12 + 1, days_in_month(p->to / 12, p->to % 12 + 1));
    c.start12 = days_from_civil((p->to - 11) / 12, (p->to - 11) % 12 + 1, 1);
    rc = scan(o, reg, proj, c.has_amount ? 3 : 2, on_orders, &c, err);
    rec = xcalloc(c.n + 1, sizeof *rec);
    val = xcalloc(c.n + 1, sizeof *val);
    for (i = 0; i < c.n; i++) {
        if (c.v[i].orders12 > 0) {
            rec[n] = (double)(c.end - c.v[i].last);
            val[n++] = c.has_amount ? c.v[i].amount12 : c.v[i].orders12;
        }
        free(c.v[i].key);
    }
    free(c.v);
    free(c.slots);
    if (rc == 0 && !n)
        rc = fail_usage(err, "%s: no row has both a customer key and a date", o->path);
    if (rc == 0) {
        qsort(rec, n, sizeof *rec, cmp_double);
        qsort(val, n, sizeof *val, cmp_double);
        p->nbuyers = n;
        p->q_recency75 = quantile(rec, n, 0.75);
        p->q_recency90 = quantile(rec, n, 0.90);
        p->q_value80 = quantile(val, n, 0.80);
        p->at_risk = ceil(p->q_recency75);
        p->inactive = ceil(p->q_recency90) > p->at_risk ? ceil(p->q_recency90) : p->at_risk + 1;
        p->vip = c.has_amount ? round2(p->q_value80) : ceil(p->q_value80);
        /* A threshold every buyer meets makes no VIPs: the next value up. */
        for (i = 0; i < n && p->vip <= val[0]; i++)
            if (val[i] > val[0])
                p->vip = c.has_amount ? val[i] : ceil(val[i]);
        if (p->vip <= 0)
            p->vip = c.has_amount ? 0.01 : 1;
    }
    free(rec);
    free(val);
    return rc;
}

/* ------------------------------------------------------------ the files */

static int write_out(const char *dir, const char *name, const strbuf *b, int force,
                     quire_error *err)
{
    char *path = path_join(dir, name);
    int rc;

    if (!force && access(path, F_OK) == 0) {
        rc = quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "already exists; quire init does "
                          "not overwrite a report (--force does)");
        free(path);
        return rc;
    }
    rc = atomic_write(path, b->s ? b->s : "", b->len, 0666, 0, err);
    free(path);
    return rc;
}

static int make_dir(const char *dir, quire_error *err)
{
    if (mkdir(dir, 0777) == 0 || errno == EEXIST)
        return 0;
    return quire_err_at(err, QUIRE_EXIT_DELIVERY, dir, 0, 0, "cannot create the folder: %s",
                        strerror(errno));
}

/* Copy the stock KPI NAME (next to Quire's Lua library) into dir/kpis. */
static int copy_kpi(const char *stock, const char *dir, const char *name, int force,
                    quire_error *err)
{
    char *from = xasprintf("%s/%s.lua", stock, name), *to = xasprintf("kpis/%s.lua", name);
    strbuf b = {0};
    char buf[8192];
    size_t n;
    FILE *fp = fopen(from, "rb");
    int rc = -1;

    if (!fp) {
        quire_err_at(err, QUIRE_EXIT_DATA, from, 0, 0, "cannot read Quire's stock KPI: %s",
                     strerror(errno));
        goto out;
    }
    while ((n = fread(buf, 1, sizeof buf, fp)) > 0)
        sb_add(&b, buf, n);
    fclose(fp);
    rc = write_out(dir, to, &b, force, err);
out:
    sb_free(&b);
    free(from);
    free(to);
    return rc;
}

static void plan_free(plan *p)
{
    size_t i, k;

    for (i = 0; i < p->nfiles; i++) {
        csv_file *f = &p->files[i];
        for (k = 0; k < f->ncols; k++) {
            free(f->cols[k].name);
            free(f->cols[k].set);
        }
        free(f->cols);
        free(f->abs);
        free(f->base);
        free(f->name);
    }
    free(p->files);
    free((char *)p->data_dir);
}

int init_report(const init_opts *o, quire_error *err)
{
    plugin_registry reg = {0};
    plan p;
    strbuf spec_text = {0}, rule = {0};
    char *lib = NULL, *stock = NULL, *outabs = NULL, *common = NULL;
    size_t i, j;
    int rc = -1;

    memset(&p, 0, sizeof p);
    p.since = -1;
    if (!o->nfiles)
        return fail_usage(err, "%s", "quire init needs at least one CSV file");
    p.files = xcalloc(o->nfiles, sizeof *p.files);
    p.nfiles = o->nfiles;
    for (i = 0; i < o->nfiles; i++) {
        csv_file *f = &p.files[i];
        char *dot, *nm;
        f->path = o->files[i];
        f->key = f->date = f->amount = -1;
        f->abs = realpath(o->files[i], NULL);
        if (!f->abs) {
            quire_err_at(err, QUIRE_EXIT_DATA, o->files[i], 0, 0, "cannot read: %s",
                         strerror(errno));
            goto out;
        }
        f->base = xstrdup(strrchr(f->abs, '/') + 1);
        nm = xstrdup(f->base);
        if ((dot = strrchr(nm, '.')) != NULL && dot != nm)
            *dot = '\0';
        f->name = ident(nm);
        free(nm);
        for (j = 0; j < i; j++)
            if (strcmp(p.files[j].name, f->name) == 0) {
                char *again = xasprintf("%s_%zu", f->name, i + 1);
                free(f->name);
                f->name = again;
            }
        if (scan(f, &reg, NULL, 0, on_stats, f, err))
            goto out;
        if (!f->ncols) {
            quire_err_at(err, QUIRE_EXIT_USAGE, f->path, 0, 0, "no rows to read");
            goto out;
        }
    }
    if (choose_roles(&p, err) || measure_orders(&p, &reg, err))
        goto out;
    {
        const char *const *k = p.orders->amount >= 0 ? yes_amount_kpis : no_amount_kpis;
        for (; *k; k++)
            p.nkpis++;
        p.kpis = (char **)(p.orders->amount >= 0 ? yes_amount_kpis : no_amount_kpis);
    }
    /* ${data}: the files' folder, relative to the report's, when they share one. */
    if (make_dir(o->out_dir, err))
        goto out;
    outabs = realpath(o->out_dir, NULL);
    common = path_dirname(p.files[0].abs);
    for (i = 1; i < p.nfiles && common; i++) {
        char *d = path_dirname(p.files[i].abs);
        if (strcmp(d, common) != 0) {
            free(common);
            common = NULL;
        }
        free(d);
    }
    if (outabs && common)
        p.data_dir = relative(outabs, common);
    /* The stock KPIs, beside Quire's Lua library (scripts/lib/quire.lua). */
    if (!(lib = lua_api_library(err)))
        goto out;
    {
        char *libdir = path_dirname(lib), *scripts = path_dirname(libdir);
        stock = path_join(scripts, "kpis");
        free(libdir);
        free(scripts);
    }
    write_spec(&spec_text, &p);
    write_rule(&rule, &p);
    if (!o->force) {
        static const char *const mine[] = {"report.yaml", "segments.lua"};
        for (i = 0; i < 2; i++) {
            char *path = path_join(o->out_dir, mine[i]);
            int there = access(path, F_OK) == 0;
            if (there)
                quire_err_at(err, QUIRE_EXIT_USAGE, path, 0, 0, "already exists; quire init "
                             "does not overwrite a report (--force does)");
            free(path);
            if (there)
                goto out;
        }
    }
    {
        char *kdir = path_join(o->out_dir, "kpis");
        int bad = make_dir(kdir, err);
        free(kdir);
        if (bad)
            goto out;
    }
    for (i = 0; i < p.nkpis; i++)
        if (copy_kpi(stock, o->out_dir, p.kpis[i], o->force, err))
            goto out;
    if (write_out(o->out_dir, "segments.lua", &rule, o->force, err) ||
        write_out(o->out_dir, "report.yaml", &spec_text, o->force, err))
        goto out;
    rc = 0;
out:
    sb_free(&spec_text);
    sb_free(&rule);
    free(lib);
    free(stock);
    free(outabs);
    free(common);
    plan_free(&p);
    plugins_free(&reg);
    return rc;
}
