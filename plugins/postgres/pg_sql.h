/*
 * pg_sql.h - the SQL the postgres plugin sends, and the values it reads back.
 *
 * Pure functions, no connection: the SELECT of a projection, the GROUP BY of
 * a fact query, PostgreSQL's types against the spec's, and text values made
 * into cells. Every value from a spec or the command line is a parameter
 * ($n) of the statement; the only things written into the SQL text are
 * identifiers, quoted, and the user's own query.
 */
#ifndef PG_SQL_H
#define PG_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "quire/plugin.h"
#include "../common/sql.h"

/* Identifiers are double-quoted (sql_ident(b, name, '"')), and so is the
 * relation a source reads (sql_relation(b, table, query, '"')). */

/* SELECT of the columns cols[0..n) (all: "*" when n is 0) from the relation,
 * with LIMIT $limit_param when limit_param > 0. */
void pg_sql_select(sql_buf *b, const char *relation, const char *const *cols, size_t n,
                   int limit_param);

/*
 * The fact query as one GROUP BY. relation is the source; first_param the
 * number of the first parameter this query binds (the user's query has the
 * ones before). The parameters, in order: the range's first day, its end
 * (exclusive), then each COUNT condition's value, as text (pg_sql_number).
 * Returns 0, or -1 when a measure cannot be run exactly in SQL (*why says
 * which). oids: per measure, the PostgreSQL type of its column (0: none).
 */
int pg_sql_aggregate(sql_buf *b, const char *relation, const quire_aggregate_request *req,
                     const unsigned *oids, int first_param, const char **why);

/* A double as text that reads back as the same double ("%.17g"). */
void pg_sql_number(char *buf, size_t n, double v);

/* PostgreSQL's type OIDs that the plugin knows. */
enum {
    PG_BOOL = 16, PG_NAME = 19, PG_INT8 = 20, PG_INT2 = 21, PG_INT4 = 23, PG_TEXT = 25,
    PG_FLOAT4 = 700, PG_FLOAT8 = 701, PG_BPCHAR = 1042, PG_VARCHAR = 1043, PG_DATE = 1082,
    PG_TIMESTAMP = 1114, PG_TIMESTAMPTZ = 1184, PG_NUMERIC = 1700
};

/* Whether a column of PostgreSQL type oid can be read as t. */
int pg_type_fits(unsigned oid, quire_type t);
/* The name of type oid as PostgreSQL writes it, or "type OID N" in buf. */
const char *pg_type_name(unsigned oid, char *buf, size_t n);
/* What t takes, for messages ("smallint, integer or bigint"). */
const char *pg_type_takes(quire_type t);

/* Text value v (n bytes, PostgreSQL's text output with DateStyle ISO) as a
 * cell of type t. Returns 0, or -1 when it is not one (a date out of range, a
 * number too large). Strings point into v. */
int pg_parse_cell(quire_type t, const char *v, size_t n, quire_cell *out);

#endif
