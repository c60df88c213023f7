/* pg_sql.c - the SQL the postgres plugin sends, and the values it reads back. */
#include "pg_sql.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- text */

void pg_buf_add(pg_buf *b, const char *s, size_t n)
{
    if (b->oom)
        return;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 256;
        char *v;
        while (cap < b->len + n + 1)
            cap *= 2;
        v = realloc(b->s, cap);
        if (!v) {
            b->oom = 1;
            return;
        }
        b->s = v;
        b->cap = cap;
    }
    memcpy(b->s + b->len, s, n);
    b->len += n;
    b->s[b->len] = '\0';
}

void pg_buf_puts(pg_buf *b, const char *s)
{
    pg_buf_add(b, s, strlen(s));
}

void pg_buf_printf(pg_buf *b, const char *fmt, ...)
{
    char tmp[256];
    va_list ap;
    int n;

    va_start(ap, fmt);
    n = vsnprintf(tmp, sizeof tmp, fmt, ap);
    va_end(ap);
    if (n < 0 || (size_t)n >= sizeof tmp) {
        b->oom = 1; /* only short, fixed texts go through here */
        return;
    }
    pg_buf_add(b, tmp, (size_t)n);
}

void pg_buf_ident(pg_buf *b, const char *name)
{
    const char *p;

    pg_buf_add(b, "\"", 1);
    for (p = name; *p; p++) {
        pg_buf_add(b, p, 1);
        if (*p == '"')
            pg_buf_add(b, "\"", 1); /* doubled */
    }
    pg_buf_add(b, "\"", 1);
}

void pg_buf_free(pg_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

/* ---------------------------------------------------------------- statements */

void pg_sql_relation(pg_buf *b, const char *table, const char *query)
{
    if (query) {
        pg_buf_puts(b, "(");
        pg_buf_puts(b, query);
        pg_buf_puts(b, "\n)");
        return;
    }
    /* schema.table: each part an identifier of its own */
    while (table) {
        const char *dot = strchr(table, '.');
        size_t n = dot ? (size_t)(dot - table) : strlen(table);
        char part[256];
        if (n >= sizeof part)
            n = sizeof part - 1;
        memcpy(part, table, n);
        part[n] = '\0';
        pg_buf_ident(b, part);
        if (!dot)
            break;
        pg_buf_puts(b, ".");
        table = dot + 1;
    }
}

static void column(pg_buf *b, const char *name)
{
    pg_buf_puts(b, "q.");
    pg_buf_ident(b, name);
}

void pg_sql_select(pg_buf *b, const char *relation, const char *const *cols, size_t n,
                   int limit_param)
{
    size_t i;

    pg_buf_puts(b, "SELECT ");
    if (!n)
        pg_buf_puts(b, "q.*");
    for (i = 0; i < n; i++) {
        if (i)
            pg_buf_puts(b, ", ");
        column(b, cols[i]);
    }
    pg_buf_puts(b, " FROM ");
    pg_buf_puts(b, relation);
    pg_buf_puts(b, " AS q");
    if (limit_param > 0)
        pg_buf_printf(b, " LIMIT $%d::bigint", limit_param);
}

static const char *cmp_sql(uint32_t cmp)
{
    switch (cmp) {
    case QUIRE_CMP_LT: return "<";
    case QUIRE_CMP_LE: return "<=";
    case QUIRE_CMP_GT: return ">";
    case QUIRE_CMP_GE: return ">=";
    case QUIRE_CMP_EQ: return "=";
    case QUIRE_CMP_NE: return "<>";
    default: return NULL;
    }
}

static int numeric_oid(unsigned oid)
{
    return oid == PG_INT2 || oid == PG_INT4 || oid == PG_INT8 || oid == PG_NUMERIC ||
           oid == PG_FLOAT4 || oid == PG_FLOAT8;
}

int pg_sql_aggregate(pg_buf *b, const char *relation, const quire_aggregate_request *req,
                     const unsigned *oids, int first_param, const char **why)
{
    int param = first_param + 2;
    uint32_t i;

    if (req->grain != QUIRE_GRAIN_MONTH) {
        *why = "a grain other than the month";
        return -1;
    }
    pg_buf_puts(b, "SELECT ");
    column(b, req->key->name);
    pg_buf_puts(b, ", date_trunc('month', ");
    column(b, req->date->name);
    pg_buf_puts(b, "::timestamp)::date");
    for (i = 0; i < req->nmeasures; i++) {
        const quire_agg_measure *m = QUIRE_AT(req->measures, req->measure_size, i);
        unsigned oid = oids[i];
        pg_buf_puts(b, ",\n  ");
        switch (m->op) {
        case QUIRE_AGG_COUNT:
            if (!m->column) {
                pg_buf_puts(b, "count(*)");
            } else if (m->cmp == QUIRE_CMP_NONE) {
                pg_buf_puts(b, "count(");
                column(b, m->column);
                pg_buf_puts(b, ")");
            } else {
                /* compared as doubles, as the host compares a streamed row */
                const char *op = cmp_sql(m->cmp);
                if (!op || !numeric_oid(oid)) {
                    *why = "a count with a condition on a column that is not a number";
                    return -1;
                }
                pg_buf_puts(b, "count(*) FILTER (WHERE ");
                column(b, m->column);
                pg_buf_printf(b, "::float8 %s $%d::float8)", op, param++);
            }
            break;
        case QUIRE_AGG_SUM:
            if (!m->column || !numeric_oid(oid)) {
                *why = "a sum of a column that is not a number";
                return -1;
            }
            /* integers and numeric sum exactly; real is summed as double */
            pg_buf_puts(b, "sum(");
            column(b, m->column);
            pg_buf_puts(b, oid == PG_FLOAT4 ? "::float8)" : ")");
            break;
        case QUIRE_AGG_MIN:
        case QUIRE_AGG_MAX:
            if (!m->column) {
                *why = "a minimum or maximum without a column";
                return -1;
            }
            pg_buf_puts(b, m->op == QUIRE_AGG_MIN ? "min(" : "max(");
            column(b, m->column);
            pg_buf_puts(b, oid == PG_TIMESTAMP ? ")::date" : oid == PG_FLOAT4 ? ")::float8" : ")");
            break;
        default:
            *why = "an aggregate this plugin does not know";
            return -1;
        }
    }
    pg_buf_puts(b, "\nFROM ");
    pg_buf_puts(b, relation);
    pg_buf_puts(b, " AS q\nWHERE ");
    column(b, req->key->name);
    pg_buf_puts(b, " IS NOT NULL AND ");
    column(b, req->date->name);
    pg_buf_printf(b, " >= $%d::date AND ", first_param);
    column(b, req->date->name);
    pg_buf_printf(b, " < $%d::date\nGROUP BY 1, 2", first_param + 1);
    return b->oom ? -1 : 0;
}

void pg_sql_number(char *buf, size_t n, double v)
{
    snprintf(buf, n, "%.17g", v);
}

/* ---------------------------------------------------------------- types */

int pg_type_fits(unsigned oid, quire_type t)
{
    switch (t) {
    case QUIRE_T_STRING:
        return 1; /* every type has a text form */
    case QUIRE_T_INTEGER:
        return oid == PG_INT2 || oid == PG_INT4 || oid == PG_INT8;
    case QUIRE_T_NUMBER:
        return numeric_oid(oid);
    case QUIRE_T_DATE:
        return oid == PG_DATE || oid == PG_TIMESTAMP;
    case QUIRE_T_BOOLEAN:
        return oid == PG_BOOL;
    default:
        return 0;
    }
}

const char *pg_type_name(unsigned oid, char *buf, size_t n)
{
    switch (oid) {
    case PG_BOOL: return "boolean";
    case PG_NAME: return "name";
    case PG_INT8: return "bigint";
    case PG_INT2: return "smallint";
    case PG_INT4: return "integer";
    case PG_TEXT: return "text";
    case PG_FLOAT4: return "real";
    case PG_FLOAT8: return "double precision";
    case PG_BPCHAR: return "character";
    case PG_VARCHAR: return "character varying";
    case PG_DATE: return "date";
    case PG_TIMESTAMP: return "timestamp";
    case PG_TIMESTAMPTZ: return "timestamp with time zone";
    case PG_NUMERIC: return "numeric";
    default:
        snprintf(buf, n, "the type with OID %u", oid);
        return buf;
    }
}

const char *pg_type_takes(quire_type t)
{
    switch (t) {
    case QUIRE_T_INTEGER: return "smallint, integer or bigint";
    case QUIRE_T_NUMBER: return "smallint, integer, bigint, numeric, real or double precision";
    case QUIRE_T_DATE: return "date or timestamp (without time zone)";
    case QUIRE_T_BOOLEAN: return "boolean";
    default: return "any type";
    }
}

/* ---------------------------------------------------------------- values */

int pg_parse_cell(quire_type t, const char *v, size_t n, quire_cell *out)
{
    char *end;
    int64_t days;

    out->null = 0;
    switch (t) {
    case QUIRE_T_STRING:
        out->v.s.ptr = v;
        out->v.s.len = (uint32_t)n;
        return n > QUIRE_CELL_MAX_STRING ? -1 : 0;
    case QUIRE_T_INTEGER: {
        long long x;
        if (!n)
            return -1;
        errno = 0;
        x = strtoll(v, &end, 10);
        if (errno || end != v + n)
            return -1;
        out->v.i = x;
        return 0;
    }
    case QUIRE_T_NUMBER:
        if (!n)
            return -1;
        errno = 0;
        out->v.n = strtod(v, &end);
        return end == v + n && errno != ERANGE ? 0 : -1;
    case QUIRE_T_DATE:
        /* "2024-03-05", or a timestamp "2024-03-05 10:00:00"; not "... BC" */
        if (n < 10 || quire_parse_iso_date(v, 10, &days))
            return -1;
        if (n > 10 && (v[10] != ' ' || n < 12 || v[11] < '0' || v[11] > '9'))
            return -1;
        if (days <= INT32_MIN || days > INT32_MAX)
            return -1;
        out->v.i = days;
        return 0;
    case QUIRE_T_BOOLEAN:
        if (n != 1 || (v[0] != 't' && v[0] != 'f'))
            return -1;
        out->v.i = v[0] == 't';
        return 0;
    default:
        return -1;
    }
}
