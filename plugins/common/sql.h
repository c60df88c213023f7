/*
 * sql.h - SQL text as the database plugins (postgres, clickhouse) write it.
 *
 * Compiled into each of those plugins (it is not a plugin of its own): a
 * growing string, identifiers between quotes, the relation a source reads,
 * and what each measure of a fact query asks the database for, declined the
 * same way whatever the database. Each plugin writes its own dialect's
 * expressions (pg_sql.c, ch_sql.c).
 */
#ifndef PLUGIN_SQL_H
#define PLUGIN_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "quire/plugin.h"

/* A growing string; on allocation failure oom is set and appends stop. */
typedef struct sql_buf {
    char *s;
    size_t len, cap;
    int oom;
} sql_buf;

void sql_buf_add(sql_buf *b, const char *s, size_t n);
void sql_buf_puts(sql_buf *b, const char *s);
/* Only for short texts (under 256 bytes): a longer one sets oom. */
void sql_buf_printf(sql_buf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void sql_buf_free(sql_buf *b);

/* name between quotes (" or `), each quote inside doubled: "a""b". */
void sql_ident(sql_buf *b, const char *name, char quote);

/* The relation a source reads: the table (name or schema.name, each part an
 * identifier of its own) or the query in parentheses. */
void sql_relation(sql_buf *b, const char *table, const char *query, char quote);

/* The comparison cmp (QUIRE_CMP_LT ...) in SQL, or NULL. */
const char *sql_cmp(uint32_t cmp);

/* What a measure of the fact query asks the database for. */
typedef enum sql_measure {
    SQL_COUNT_ROWS,   /* count of rows */
    SQL_COUNT_VALUES, /* count of the column's values that are not null */
    SQL_COUNT_IF,     /* count of rows whose column compares with m->value (sql_cmp) */
    SQL_SUM,
    SQL_MIN,
    SQL_MAX
} sql_measure;

/* The grain of req: 0 for the month, the only one the plugins push down;
 * else -1, *why saying so. */
int sql_aggregate_grain(const quire_aggregate_request *req, const char **why);

/* What measure m asks for (an sql_measure), its column being a number or
 * not; or -1 when it cannot be run exactly in SQL, *why saying why. */
int sql_measure_of(const quire_agg_measure *m, int numeric, const char **why);

#endif
