/* sql.c - SQL text as the database plugins (postgres, clickhouse) write it. */
#include "sql.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- text */

void sql_buf_add(sql_buf *b, const char *s, size_t n)
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

void sql_buf_puts(sql_buf *b, const char *s)
{
    sql_buf_add(b, s, strlen(s));
}

void sql_buf_printf(sql_buf *b, const char *fmt, ...)
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
    sql_buf_add(b, tmp, (size_t)n);
}

void sql_buf_free(sql_buf *b)
{
    free(b->s);
    memset(b, 0, sizeof *b);
}

/* ---------------------------------------------------------------- names */

void sql_ident(sql_buf *b, const char *name, char quote)
{
    const char *p;

    sql_buf_add(b, &quote, 1);
    for (p = name; *p; p++) {
        sql_buf_add(b, p, 1);
        if (*p == quote)
            sql_buf_add(b, &quote, 1); /* doubled */
    }
    sql_buf_add(b, &quote, 1);
}

void sql_relation(sql_buf *b, const char *table, const char *query, char quote)
{
    if (query) {
        sql_buf_puts(b, "(");
        sql_buf_puts(b, query);
        sql_buf_puts(b, "\n)");
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
        sql_ident(b, part, quote);
        if (!dot)
            break;
        sql_buf_puts(b, ".");
        table = dot + 1;
    }
}

/* ---------------------------------------------------------------- fact query */

const char *sql_cmp(uint32_t cmp)
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

int sql_aggregate_grain(const quire_aggregate_request *req, const char **why)
{
    if (req->grain != QUIRE_GRAIN_MONTH) {
        *why = "a grain other than the month";
        return -1;
    }
    return 0;
}

int sql_measure_of(const quire_agg_measure *m, int numeric, const char **why)
{
    switch (m->op) {
    case QUIRE_AGG_COUNT:
        if (!m->column)
            return SQL_COUNT_ROWS;
        if (m->cmp == QUIRE_CMP_NONE)
            return SQL_COUNT_VALUES;
        /* compared as doubles, as the host compares a streamed row */
        if (!sql_cmp(m->cmp) || !numeric) {
            *why = "a count with a condition on a column that is not a number";
            return -1;
        }
        return SQL_COUNT_IF;
    case QUIRE_AGG_SUM:
        if (!m->column || !numeric) {
            *why = "a sum of a column that is not a number";
            return -1;
        }
        return SQL_SUM;
    case QUIRE_AGG_MIN:
    case QUIRE_AGG_MAX:
        if (!m->column) {
            *why = "a minimum or maximum without a column";
            return -1;
        }
        return m->op == QUIRE_AGG_MIN ? SQL_MIN : SQL_MAX;
    default:
        *why = "an aggregate this plugin does not know";
        return -1;
    }
}
