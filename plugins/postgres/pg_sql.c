/* pg_sql.c - the SQL the postgres plugin sends, and the values it reads back. */
#include "pg_sql.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- statements */

static void column(sql_buf *b, const char *name)
{
    sql_buf_puts(b, "q.");
    sql_ident(b, name, '"');
}

void pg_sql_select(sql_buf *b, const char *relation, const char *const *cols, size_t n,
                   int limit_param)
{
    size_t i;

    sql_buf_puts(b, "SELECT ");
    if (!n)
        sql_buf_puts(b, "q.*");
    for (i = 0; i < n; i++) {
        if (i)
            sql_buf_puts(b, ", ");
        column(b, cols[i]);
    }
    sql_buf_puts(b, " FROM ");
    sql_buf_puts(b, relation);
    sql_buf_puts(b, " AS q");
    if (limit_param > 0)
        sql_buf_printf(b, " LIMIT $%d::bigint", limit_param);
}

static int numeric_oid(unsigned oid)
{
    return oid == PG_INT2 || oid == PG_INT4 || oid == PG_INT8 || oid == PG_NUMERIC ||
           oid == PG_FLOAT4 || oid == PG_FLOAT8;
}

int pg_sql_aggregate(sql_buf *b, const char *relation, const quire_aggregate_request *req,
                     const unsigned *oids, int first_param, const char **why)
{
    int param = first_param + 2;
    uint32_t i;

    if (sql_aggregate_grain(req, why))
        return -1;
    sql_buf_puts(b, "SELECT ");
    column(b, req->key->name);
    sql_buf_puts(b, ", date_trunc('month', ");
    column(b, req->date->name);
    sql_buf_puts(b, "::timestamp)::date");
    for (i = 0; i < req->nmeasures; i++) {
        const quire_agg_measure *m = QUIRE_AT(req->measures, req->measure_size, i);
        unsigned oid = oids[i];
        int what = sql_measure_of(m, numeric_oid(oid), why);
        if (what < 0)
            return -1;
        sql_buf_puts(b, ",\n  ");
        switch (what) {
        case SQL_COUNT_ROWS:
            sql_buf_puts(b, "count(*)");
            break;
        case SQL_COUNT_VALUES:
            sql_buf_puts(b, "count(");
            column(b, m->column);
            sql_buf_puts(b, ")");
            break;
        case SQL_COUNT_IF:
            sql_buf_puts(b, "count(*) FILTER (WHERE ");
            column(b, m->column);
            sql_buf_printf(b, "::float8 %s $%d::float8)", sql_cmp(m->cmp), param++);
            break;
        case SQL_SUM:
            /* integers and numeric sum exactly; real is summed as double */
            sql_buf_puts(b, "sum(");
            column(b, m->column);
            sql_buf_puts(b, oid == PG_FLOAT4 ? "::float8)" : ")");
            break;
        default: /* SQL_MIN, SQL_MAX */
            sql_buf_puts(b, what == SQL_MIN ? "min(" : "max(");
            column(b, m->column);
            sql_buf_puts(b, oid == PG_TIMESTAMP ? ")::date" : oid == PG_FLOAT4 ? ")::float8" : ")");
            break;
        }
    }
    sql_buf_puts(b, "\nFROM ");
    sql_buf_puts(b, relation);
    sql_buf_puts(b, " AS q\nWHERE ");
    column(b, req->key->name);
    sql_buf_puts(b, " IS NOT NULL AND ");
    column(b, req->date->name);
    sql_buf_printf(b, " >= $%d::date AND ", first_param);
    column(b, req->date->name);
    sql_buf_printf(b, " < $%d::date\nGROUP BY 1, 2", first_param + 1);
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
