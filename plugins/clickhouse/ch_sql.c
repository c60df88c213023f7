/* ch_sql.c - the SQL the clickhouse plugin sends, and the answers it reads. */
#include "ch_sql.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- names and values */

/* A column's name between backquotes: ch_column_ok has refused a backquote
 * or a backslash, so there is nothing to escape. */
static void ident(sql_buf *b, const char *name)
{
    sql_ident(b, name, '`');
}

int ch_column_ok(const char *name)
{
    size_t n = name ? strlen(name) : 0, i;

    if (n < 1 || n > 255)
        return 0;
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)name[i];
        if (c < 0x20 || c == 0x7f || c == '`' || c == '\\')
            return 0;
    }
    return 1;
}

static int word_char(char c, int first)
{
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' ||
           (!first && c >= '0' && c <= '9');
}

int ch_table_ok(const char *table)
{
    size_t n = table ? strlen(table) : 0, i, part = 0;
    int dots = 0;

    if (n < 1 || n > 127)
        return 0;
    for (i = 0; i < n; i++) {
        if (table[i] == '.') {
            if (!part || ++dots > 1)
                return 0;
            part = 0;
            continue;
        }
        if (!word_char(table[i], part == 0))
            return 0;
        part++;
    }
    return part > 0;
}

void sql_buf_string(sql_buf *b, const char *v, size_t n)
{
    size_t i;

    sql_buf_add(b, "'", 1);
    for (i = 0; i < n; i++) {
        unsigned char c = (unsigned char)v[i];
        if (c == '\\' || c == '\'') {
            char e[2] = {'\\', (char)c};
            sql_buf_add(b, e, 2);
        } else if (c < 0x20 || c == 0x7f) {
            sql_buf_printf(b, "\\x%02X", c);
        } else {
            sql_buf_add(b, v + i, 1);
        }
    }
    sql_buf_add(b, "'", 1);
}

/* ---------------------------------------------------------------- binding */

typedef struct int_type {
    const char *name;
    int is_signed;
    long double lo, hi;
} int_type;

static const int_type int_types[] = {
    {"Int8", 1, -128.0L, 127.0L},
    {"Int16", 1, -32768.0L, 32767.0L},
    {"Int32", 1, -2147483648.0L, 2147483647.0L},
    {"Int64", 1, -9223372036854775808.0L, 9223372036854775807.0L},
    {"UInt8", 0, 0, 255.0L},
    {"UInt16", 0, 0, 65535.0L},
    {"UInt32", 0, 0, 4294967295.0L},
    {"UInt64", 0, 0, 18446744073709551615.0L},
};

/* Write value v, checked against type (tn bytes), as a literal. */
static int bind_value(sql_buf *out, const char *type, size_t tn, const char *v, char *err,
                      size_t errn, int n)
{
    size_t i, k;

    if (tn == 6 && memcmp(type, "String", 6) == 0) {
        sql_buf_string(out, v, strlen(v));
        return 0;
    }
    for (k = 0; k < sizeof int_types / sizeof int_types[0]; k++) {
        const int_type *t = &int_types[k];
        if (strlen(t->name) == tn && memcmp(type, t->name, tn) == 0) {
            const char *d = v;
            if (t->is_signed && *d == '-')
                d++;
            for (i = 0; d[i]; i++)
                if (d[i] < '0' || d[i] > '9')
                    break;
            if (!i || d[i] || i > 20) {
                snprintf(err, errn, "param%d: \"%.60s\" is not a whole number (%s)", n, v,
                         t->name);
                return -1;
            }
            {
                long double x = strtold(v, NULL);
                if (x < t->lo || x > t->hi) {
                    snprintf(err, errn, "param%d: %.40s is out of the range of %s", n, v,
                             t->name);
                    return -1;
                }
            }
            sql_buf_printf(out, "to%s('%s')", t->name, v);
            return 0;
        }
    }
    if ((tn == 7 && memcmp(type, "Float64", 7) == 0) ||
        (tn == 7 && memcmp(type, "Float32", 7) == 0)) {
        char *end;
        double x;
        errno = 0;
        x = strtod(v, &end);
        if (!*v || *end || errno == ERANGE || !isfinite(x) || strlen(v) > 64 ||
            strpbrk(v, "xXpP") || strchr(v, ' ')) {
            snprintf(err, errn, "param%d: \"%.60s\" is not a number", n, v);
            return -1;
        }
        sql_buf_printf(out, "to%.7s('%s')", type, v);
        return 0;
    }
    if (tn == 4 && memcmp(type, "Date", 4) == 0) {
        int64_t days;
        if (quire_parse_iso_date(v, strlen(v), &days)) {
            snprintf(err, errn, "param%d: \"%.60s\" is not a date (YYYY-MM-DD)", n, v);
            return -1;
        }
        sql_buf_printf(out, "toDate('%s')", v);
        return 0;
    }
    snprintf(err, errn,
             "{param%d:%.*s}: the type must be String, Int8 ... Int64, UInt8 ... UInt64, "
             "Float32, Float64 or Date", n, (int)(tn > 40 ? 40 : tn), type);
    return -1;
}

/* A placeholder at p ("{paramN:Type}")? 1 and its N, the type's place and
 * its length; 2 for "{paramN:" followed by something else (a type this
 * plugin does not bind); 0 for no placeholder. */
static int placeholder(const char *p, int *n, const char **type, size_t *tn, size_t *len)
{
    const char *q = p + 1, *t;

    while (*q == ' ')
        q++;
    if (strncmp(q, "param", 5) != 0 || q[5] < '1' || q[5] > '9')
        return 0;
    *n = q[5] - '0';
    q += 6;
    while (*q == ' ')
        q++;
    if (*q != ':')
        return 0;
    q++;
    while (*q == ' ')
        q++;
    t = q;
    while (word_char(*q, q == t))
        q++;
    *type = t;
    *tn = (size_t)(q - t);
    while (*q == ' ')
        q++;
    if (*q != '}' || !*tn) {
        const char *close = strchr(t, '}');
        *tn = close ? (size_t)(close - t) : strlen(t);
        return 2;
    }
    *len = (size_t)(q + 1 - p);
    return 1;
}

int ch_bind(sql_buf *out, const char *q, const char *const vals[9], unsigned *used, int *bad,
            char *err, size_t errn)
{
    const char *p = q, *from = q;

    *used = 0;
    *bad = 0;
    while (*p) {
        char c = *p;
        if (c == '\'' || c == '"' || c == '`') {
            /* quoted: to the closing quote, over backslash escapes */
            p++;
            while (*p && *p != c) {
                if (*p == '\\' && p[1])
                    p++;
                p++;
            }
            if (*p)
                p++;
        } else if (c == '-' && p[1] == '-') {
            while (*p && *p != '\n')
                p++;
        } else if (c == '/' && p[1] == '*') {
            const char *e = strstr(p + 2, "*/");
            p = e ? e + 2 : p + strlen(p);
        } else if (c == '{') {
            int n, kind;
            const char *type;
            size_t tn, len = 0;
            if (!(kind = placeholder(p, &n, &type, &tn, &len))) {
                p++;
                continue;
            }
            if (kind == 2) {
                snprintf(err, errn, "{param%d:%.*s...: the type must be String, Int8 ... Int64, "
                         "UInt8 ... UInt64, Float32, Float64 or Date, and the placeholder end "
                         "with }", n, (int)(tn > 40 ? 40 : tn), type);
                return -1;
            }
            if (!vals[n - 1]) {
                snprintf(err, errn, "the query uses {param%d:...}: give param%d", n, n);
                return -1;
            }
            sql_buf_add(out, from, (size_t)(p - from));
            if (bind_value(out, type, tn, vals[n - 1], err, errn, n)) {
                /* the value is at fault, or the placeholder's type */
                *bad = (strncmp(err, "param", 5) == 0) ? n : 0;
                return -1;
            }
            *used |= 1u << (n - 1);
            p += len;
            from = p;
        } else {
            p++;
        }
    }
    sql_buf_add(out, from, (size_t)(p - from));
    if (out->oom) {
        snprintf(err, errn, "out of memory");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- statements */

void ch_sql_select(sql_buf *b, const char *relation, const char *const *cols, size_t n,
                   uint64_t limit)
{
    size_t i;

    sql_buf_puts(b, "SELECT ");
    for (i = 0; i < n; i++) {
        ident(b, cols[i]);
        sql_buf_puts(b, ", ");
    }
    sql_buf_puts(b, "'" CH_MARK "' FROM ");
    sql_buf_puts(b, relation);
    if (limit)
        sql_buf_printf(b, " LIMIT %llu", (unsigned long long)limit);
    sql_buf_puts(b, "\nFORMAT TabSeparated");
}

void ch_sql_describe(sql_buf *b, const char *relation)
{
    sql_buf_puts(b, "SELECT * FROM ");
    sql_buf_puts(b, relation);
    sql_buf_puts(b, " LIMIT 0\nFORMAT TabSeparatedWithNamesAndTypes");
}

/* The date column as a Date: a DateTime's day. */
static void date_expr(sql_buf *b, const char *name, int datetime)
{
    if (datetime)
        sql_buf_puts(b, "toDate(");
    ident(b, name);
    if (datetime)
        sql_buf_puts(b, ")");
}

static void day_literal(sql_buf *b, int64_t day)
{
    int64_t y;
    int m, d;

    quire_civil_from_days(day, &y, &m, &d);
    sql_buf_printf(b, "toDate('%04lld-%02d-%02d')", (long long)y, m, d);
}

int ch_sql_aggregate(sql_buf *b, const char *relation, const quire_aggregate_request *req,
                     const char *date_type, const char *const *types, const char **why)
{
    int dt = ch_type_is_datetime(date_type);
    uint32_t i;

    if (sql_aggregate_grain(req, why))
        return -1;
    if (req->from_day < -719162 || req->to_day > 2932896) {
        *why = "a period range outside years 0001 to 9999";
        return -1;
    }
    sql_buf_puts(b, "SELECT ");
    ident(b, req->key->name);
    sql_buf_puts(b, ", toStartOfMonth(");
    ident(b, req->date->name);
    sql_buf_puts(b, ")");
    for (i = 0; i < req->nmeasures; i++) {
        const quire_agg_measure *m = QUIRE_AT(req->measures, req->measure_size, i);
        const char *t = types[i];
        int what = sql_measure_of(m, ch_type_fits(t, QUIRE_T_NUMBER), why);
        if (what < 0)
            return -1;
        sql_buf_puts(b, ",\n  ");
        switch (what) {
        case SQL_COUNT_ROWS:
            sql_buf_puts(b, "count()");
            break;
        case SQL_COUNT_VALUES:
            sql_buf_puts(b, "count(");
            ident(b, m->column);
            sql_buf_puts(b, ")");
            break;
        case SQL_COUNT_IF: {
            char num[40];
            if (!isfinite(m->value)) {
                *why = "a count with a condition on a value that is not finite";
                return -1;
            }
            snprintf(num, sizeof num, "%.17g", m->value);
            sql_buf_puts(b, "countIf(toFloat64(");
            ident(b, m->column);
            sql_buf_printf(b, ") %s toFloat64('%s'))", sql_cmp(m->cmp), num);
            break;
        }
        case SQL_SUM:
            /* integers and decimals sum exactly; floats with compensation */
            sql_buf_puts(b, ch_type_is_float(t) ? "sumKahan(" : "sum(");
            ident(b, m->column);
            sql_buf_puts(b, ")");
            break;
        default: /* SQL_MIN, SQL_MAX */
            if (ch_type_is_datetime(t))
                sql_buf_puts(b, "toDate(");
            sql_buf_puts(b, what == SQL_MIN ? "min(" : "max(");
            ident(b, m->column);
            sql_buf_puts(b, ch_type_is_datetime(t) ? "))" : ")");
            break;
        }
    }
    sql_buf_puts(b, ",\n  '" CH_MARK "'\nFROM ");
    sql_buf_puts(b, relation);
    sql_buf_puts(b, "\nWHERE isNotNull(");
    ident(b, req->key->name);
    sql_buf_puts(b, ") AND isNotNull(");
    ident(b, req->date->name);
    sql_buf_puts(b, ") AND ");
    date_expr(b, req->date->name, dt);
    sql_buf_puts(b, " >= ");
    day_literal(b, req->from_day);
    sql_buf_puts(b, " AND ");
    date_expr(b, req->date->name, dt);
    sql_buf_puts(b, " < ");
    day_literal(b, req->to_day);
    sql_buf_puts(b, "\nGROUP BY ");
    ident(b, req->key->name);
    sql_buf_puts(b, ", toStartOfMonth(");
    ident(b, req->date->name);
    sql_buf_puts(b, ")\nFORMAT TabSeparated");
    return b->oom ? -1 : 0;
}

/* ---------------------------------------------------------------- types */

const char *ch_type_base(const char *type, char *buf, size_t n)
{
    size_t len;
    int again = 1;

    snprintf(buf, n, "%s", type ? type : "");
    while (again) {
        again = 0;
        len = strlen(buf);
        if (len > 10 && strncmp(buf, "Nullable(", 9) == 0 && buf[len - 1] == ')') {
            memmove(buf, buf + 9, len - 10);
            buf[len - 10] = '\0';
            again = 1;
        } else if (len > 16 && strncmp(buf, "LowCardinality(", 15) == 0 && buf[len - 1] == ')') {
            memmove(buf, buf + 15, len - 16);
            buf[len - 16] = '\0';
            again = 1;
        }
    }
    return buf;
}

static int is_int(const char *t)
{
    size_t k;
    for (k = 0; k < sizeof int_types / sizeof int_types[0]; k++)
        if (strcmp(t, int_types[k].name) == 0)
            return 1;
    return 0;
}

static int is_decimal(const char *t)
{
    return strncmp(t, "Decimal", 7) == 0;
}

int ch_type_is_float(const char *type)
{
    char buf[128];
    const char *t = ch_type_base(type, buf, sizeof buf);
    return strcmp(t, "Float32") == 0 || strcmp(t, "Float64") == 0;
}

int ch_type_is_datetime(const char *type)
{
    char buf[128];
    const char *t = ch_type_base(type, buf, sizeof buf);
    return strncmp(t, "DateTime", 8) == 0;
}

int ch_type_fits(const char *type, quire_type qt)
{
    char buf[128];
    const char *t = ch_type_base(type, buf, sizeof buf);

    switch (qt) {
    case QUIRE_T_STRING:
        return 1; /* every type has a text form */
    case QUIRE_T_INTEGER:
        return is_int(t);
    case QUIRE_T_NUMBER:
        return is_int(t) || is_decimal(t) || strcmp(t, "Float32") == 0 ||
               strcmp(t, "Float64") == 0;
    case QUIRE_T_DATE:
        return strcmp(t, "Date") == 0 || strncmp(t, "DateTime", 8) == 0;
    case QUIRE_T_BOOLEAN:
        return strcmp(t, "UInt8") == 0 || strcmp(t, "Bool") == 0;
    default:
        return 0;
    }
}

const char *ch_type_takes(quire_type t)
{
    switch (t) {
    case QUIRE_T_INTEGER: return "Int8 ... Int64, UInt8 ... UInt64";
    case QUIRE_T_NUMBER: return "an integer type, Decimal, Float32 or Float64";
    case QUIRE_T_DATE: return "Date or DateTime";
    case QUIRE_T_BOOLEAN: return "UInt8 (0 or 1)";
    default: return "any type";
    }
}

/* ---------------------------------------------------------------- answers */

size_t ch_tsv_unescape(char *s, size_t n)
{
    size_t r, w = 0;

    if (!memchr(s, '\\', n))
        return n;
    for (r = 0; r < n; r++) {
        char c = s[r];
        if (c == '\\' && r + 1 < n) {
            c = s[++r];
            switch (c) {
            case 'b': c = '\b'; break;
            case 'f': c = '\f'; break;
            case 'n': c = '\n'; break;
            case 'r': c = '\r'; break;
            case 't': c = '\t'; break;
            case '0': c = '\0'; break;
            case 'a': c = '\a'; break;
            case 'v': c = '\v'; break;
            default: break; /* \\ \' and any other: the character */
            }
        }
        s[w++] = c;
    }
    return w;
}

int ch_parse_cell(quire_type t, const char *v, size_t n, quire_cell *out)
{
    char tmp[64], *end;
    int64_t days;

    out->null = 0;
    if (t != QUIRE_T_STRING) {
        /* numbers and dates: short, and strtod wants a terminated string */
        if (!n || n >= sizeof tmp)
            return -1;
        memcpy(tmp, v, n);
        tmp[n] = '\0';
    }
    switch (t) {
    case QUIRE_T_STRING:
        out->v.s.ptr = v;
        out->v.s.len = (uint32_t)n;
        return n > QUIRE_CELL_MAX_STRING ? -1 : 0;
    case QUIRE_T_INTEGER: {
        long long x;
        errno = 0;
        x = strtoll(tmp, &end, 10);
        if (errno || end != tmp + n)
            return -1;
        out->v.i = x;
        return 0;
    }
    case QUIRE_T_NUMBER:
        errno = 0;
        out->v.n = strtod(tmp, &end);
        return end == tmp + n && errno != ERANGE && isfinite(out->v.n) ? 0 : -1;
    case QUIRE_T_DATE:
        /* "2024-03-05", or a DateTime "2024-03-05 10:00:00"; the zero date
         * (ClickHouse's default for "no date") is null */
        if (n < 10)
            return -1;
        if (memcmp(tmp, "0000-00-00", 10) == 0) {
            out->null = 1;
            return 0;
        }
        if (quire_parse_iso_date(tmp, 10, &days))
            return -1;
        if (n > 10 && (tmp[10] != ' ' || n < 12 || tmp[11] < '0' || tmp[11] > '9'))
            return -1;
        out->v.i = days;
        return 0;
    case QUIRE_T_BOOLEAN:
        if (n == 1 && (tmp[0] == '0' || tmp[0] == '1')) {
            out->v.i = tmp[0] == '1';
            return 0;
        }
        if (n == 4 && memcmp(tmp, "true", 4) == 0) {
            out->v.i = 1;
            return 0;
        }
        if (n == 5 && memcmp(tmp, "false", 5) == 0) {
            out->v.i = 0;
            return 0;
        }
        return -1;
    default:
        return -1;
    }
}

/* Skip prefix pre at *p when it is there. */
static int skip(const char **p, const char *end, const char *pre)
{
    size_t k = strlen(pre);
    if ((size_t)(end - *p) >= k && memcmp(*p, pre, k) == 0) {
        *p += k;
        return 1;
    }
    return 0;
}

void ch_error_text(const char *body, size_t n, char *out, size_t outn, int *code)
{
    const char *p = body, *end = body + n, *stop;
    size_t w = 0;
    int sep = 0;

    *code = 0;
    /* the error may follow rows: it starts a line with "Code: " */
    for (stop = body; stop + 6 <= end; stop++) {
        if ((stop == body || stop[-1] == '\n') && memcmp(stop, "Code: ", 6) == 0) {
            p = stop;
            break;
        }
    }
    if (skip(&p, end, "Code: ")) {
        while (p < end && *p >= '0' && *p <= '9' && *code < 100000)
            *code = *code * 10 + (*p++ - '0');
        if (!skip(&p, end, ", ") && !skip(&p, end, ". "))
            skip(&p, end, " ");
        skip(&p, end, "e.displayText() = ");
        if (skip(&p, end, "DB::")) {
            /* DB::Exception: , DB::NetException: ... */
            while (p < end && *p != ':' && *p != ' ')
                p++;
            skip(&p, end, ": ");
        }
    }
    /* up to ", e.what() = " (18.x) or " (version " (later) */
    for (stop = p; stop < end; stop++)
        if (((size_t)(end - stop) >= 13 && memcmp(stop, ", e.what() = ", 13) == 0) ||
            ((size_t)(end - stop) >= 10 && memcmp(stop, " (version ", 10) == 0))
            break;
    /* on one line, printable */
    for (; p < stop && w + 1 < outn; p++) {
        unsigned char c = (unsigned char)*p;
        if (c == '\n' || c == '\r' || c == '\t') {
            sep = 1;
            continue;
        }
        if (sep && w > 0 && w + 3 < outn) {
            out[w++] = ';';
            out[w++] = ' ';
        }
        sep = 0;
        out[w++] = (char)(c < 0x20 || c == 0x7f ? '?' : c);
    }
    while (w > 0 && (out[w - 1] == ' ' || out[w - 1] == ';'))
        w--;
    if (outn)
        out[w < outn ? w : outn - 1] = '\0';
}
