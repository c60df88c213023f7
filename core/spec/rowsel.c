/* rowsel.c - a table's where, sort and top/bottom (rowsel.h). */
#include "rowsel.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static const char *const ops[] = {"<=", ">=", "==", "!=", "<", ">"};
static const cmp_op codes[] = {CMP_LE, CMP_GE, CMP_EQ, CMP_NE, CMP_LT, CMP_GT};

static const char *skip(const char *p)
{
    while (*p == ' ' || *p == '\t')
        p++;
    return p;
}

static size_t trim_len(const char *p, size_t n)
{
    while (n && (p[n - 1] == ' ' || p[n - 1] == '\t'))
        n--;
    return n;
}

int rowsel_parse_cond(const char *text, spec_cond *c, char *msg, size_t n)
{
    const char *op = strpbrk(text, "<>=!"), *name = skip(text), *val;
    size_t j, len, nl;
    char *end;

    c->name = c->text = NULL;
    c->num = NAN;
    for (j = 0; op && j < 6; j++)
        if (strncmp(op, ops[j], strlen(ops[j])) == 0)
            break;
    if (!op || j == 6) {
        snprintf(msg, n, "a condition reads like \"revenue_12m >= 1000\" or \"segment == VIP\"; "
                 "operators: < <= > >= == !=");
        return -1;
    }
    nl = trim_len(name, (size_t)(op - name));
    if (!nl) {
        snprintf(msg, n, "a condition needs a name on the left: \"revenue_12m >= 1000\"");
        return -1;
    }
    val = skip(op + strlen(ops[j]));
    len = trim_len(val, strlen(val));
    if (len >= 2 && (val[0] == '\'' || val[0] == '"') && val[len - 1] == val[0]) {
        val++;
        len -= 2;
    } else if (!len) {
        snprintf(msg, n, "a condition needs a value on the right of \"%s\"", ops[j]);
        return -1;
    }
    c->op = codes[j];
    c->name = xstrndup(name, nl);
    c->text = xstrndup(val, len);
    if (len) {
        double v = strtod(c->text, &end);
        if (!*end && isfinite(v))
            c->num = v;
    }
    return 0;
}

int rowsel_parse_sort(const char *text, char **name, int *dir, char *msg, size_t n)
{
    const char *p = skip(text), *sp;
    size_t len = trim_len(p, strlen(p));

    *name = NULL;
    *dir = SPEC_SORT_DEFAULT;
    if (!len) {
        snprintf(msg, n, "\"sort\" names a column, then asc or desc: \"revenue_12m desc\"");
        return -1;
    }
    for (sp = p + len; sp > p && sp[-1] != ' ' && sp[-1] != '\t'; sp--)
        ;
    if (sp > p) {
        size_t wl = (size_t)(p + len - sp);
        if (wl == 4 && strncmp(sp, "desc", 4) == 0)
            *dir = SPEC_SORT_DESC;
        else if (wl == 3 && strncmp(sp, "asc", 3) == 0)
            *dir = SPEC_SORT_ASC;
        else {
            snprintf(msg, n, "\"sort\" names a column, then asc or desc, not \"%.*s\"", (int)wl,
                     sp);
            return -1;
        }
        len = trim_len(p, (size_t)(sp - p));
    }
    *name = xstrndup(p, len);
    return 0;
}

size_t rowsel_nrefs(const spec_block *b)
{
    return b->nwhere + (b->sort != NULL);
}

/* Whether value v passes condition c. */
static int passes(const spec_cond *c, const rowsel_value *v)
{
    int d;

    if (v->text) {
        if (!*v->text)
            return 0;
        d = strcmp(v->text, c->text);
    } else {
        if (isnan(v->num))
            return 0;
        if (isnan(c->num))
            return c->op == CMP_NE; /* a number is never equal to a text */
        d = v->num < c->num ? -1 : v->num > c->num;
    }
    switch (c->op) {
    case CMP_LT:
        return d < 0;
    case CMP_LE:
        return d <= 0;
    case CMP_GT:
        return d > 0;
    case CMP_GE:
        return d >= 0;
    case CMP_EQ:
        return d == 0;
    default:
        return d != 0;
    }
}

int rowsel_passes(const spec_block *b, const rowsel_value *vals)
{
    size_t k;

    for (k = 0; k < b->nwhere; k++)
        if (!passes(&b->where[k], &vals[k]))
            return 0;
    return 1;
}

typedef struct sort_ctx {
    const rowsel_value *vals;
    size_t stride, ref;
    int desc;
} sort_ctx;

static int missing(const rowsel_value *v)
{
    return v->text ? !*v->text : isnan(v->num);
}

/* Missing values last whatever the direction; ties in the table's order. */
static int cmp_rows(const void *pa, const void *pb, void *arg)
{
    const sort_ctx *sc = arg;
    size_t a = *(const size_t *)pa, b = *(const size_t *)pb;
    const rowsel_value *va = &sc->vals[a * sc->stride + sc->ref];
    const rowsel_value *vb = &sc->vals[b * sc->stride + sc->ref];
    int ma = missing(va), mb = missing(vb), d;

    if (ma || mb)
        d = ma != mb ? (ma ? 1 : -1) : 0;
    else {
        if (va->text || vb->text)
            d = strcmp(va->text ? va->text : "", vb->text ? vb->text : "");
        else
            d = va->num < vb->num ? -1 : va->num > vb->num;
        if (sc->desc)
            d = -d;
    }
    if (d)
        return d;
    return a < b ? -1 : a > b;
}

size_t rowsel_apply(const spec_block *b, size_t nrows, const rowsel_value *vals, size_t cap,
                    size_t *order)
{
    const size_t stride = rowsel_nrefs(b);
    size_t row, n = 0;

    for (row = 0; row < nrows; row++)
        if (rowsel_passes(b, &vals[row * stride]))
            order[n++] = row;
    if (b->sort) {
        sort_ctx sc;
        int dir = b->sort_dir;

        if (dir == SPEC_SORT_DEFAULT)
            dir = b->top ? SPEC_SORT_DESC : SPEC_SORT_ASC;
        sc.vals = vals;
        sc.stride = stride;
        sc.ref = b->nwhere;
        /* top N: the N highest; bottom N: the N lowest; then shown in the
         * direction asked for. */
        sc.desc = b->top ? 1 : b->bottom ? 0 : dir == SPEC_SORT_DESC;
        qsort_r(order, n, sizeof *order, cmp_rows, &sc);
        if (b->top || b->bottom) {
            size_t keep = (size_t)(b->top ? b->top : b->bottom);
            if (n > keep)
                n = keep;
            if (sc.desc != (dir == SPEC_SORT_DESC)) {
                sc.desc = !sc.desc;
                qsort_r(order, n, sizeof *order, cmp_rows, &sc);
            }
        }
    }
    if (cap && n > cap)
        n = cap;
    return n;
}
