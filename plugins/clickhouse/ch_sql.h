/*
 * ch_sql.h - the SQL the clickhouse plugin sends, and the answers it reads.
 *
 * Pure functions, no connection: names checked and quoted, values written as
 * literals that no value can end, the spec's {paramN:Type} placeholders
 * bound, the SELECT of a projection, the GROUP BY of a fact query,
 * ClickHouse's types against the spec's, TabSeparated fields made into
 * cells, and the server's "Code: NNN" errors made into one line.
 *
 * Why literals and not query parameters: ClickHouse binds {name:Type} from
 * the HTTP request's param_name only from its 19 series on; Debian ships
 * 18.16, which answers "Unknown setting param_x". So the plugin checks each
 * value against its declared type and writes it as a literal: a String
 * between single quotes with every backslash and quote escaped (and control
 * bytes as \xHH), numbers and dates only after they parse, inside a
 * conversion function (toInt64('-5'), toDate('2024-01-31')).
 */
#ifndef CH_SQL_H
#define CH_SQL_H

#include <stddef.h>
#include <stdint.h>

#include "quire/plugin.h"
#include "../common/sql.h"

/* The last field of every row the plugin asks for: a row whose last field is
 * not this is not a row (a server's error written after the rows it had
 * sent, an answer cut short). */
#define CH_MARK "q"

/* ---------------------------------------------------------------- names and values */

/* Whether name can be a column name: 1 to 255 bytes, no backquote, no
 * backslash, no control byte. Written between backquotes (sql_ident(b,
 * name, '`')). */
int ch_column_ok(const char *name);

/* Whether table is a table name: name or database.name, each part of
 * letters, digits and _ not starting with a digit, at most 127 bytes. */
int ch_table_ok(const char *table);

/* v[0..n) as a String literal: '...' with \ and ' escaped, control bytes and
 * DEL as \xHH. */
void sql_buf_string(sql_buf *b, const char *v, size_t n);

/*
 * The query q with its placeholders {paramN:Type} (N 1..9; outside quotes
 * and comments) replaced by the values vals[N-1], each checked against Type:
 * String, Int8..Int64, UInt8..UInt64, Float32, Float64, Date. *used gets bit
 * N-1 set for each N the query uses. Returns 0, or -1 with a message in
 * err (an unknown type, a parameter without a value, a value that is not of
 * its type); *bad is then the N whose value is at fault, or 0 (the query).
 */
int ch_bind(sql_buf *out, const char *q, const char *const vals[9], unsigned *used, int *bad,
            char *err, size_t errn);

/* The relation a source reads is the table, each part between backquotes,
 * or the bound query in parentheses: sql_relation(b, table, bound, '`'). */

/* SELECT cols[0..n) and the mark from the relation (LIMIT limit when > 0),
 * FORMAT TabSeparated. */
void ch_sql_select(sql_buf *b, const char *relation, const char *const *cols, size_t n,
                   uint64_t limit);

/* SELECT * of the relation, no rows, FORMAT TabSeparatedWithNamesAndTypes:
 * its columns' names and types. */
void ch_sql_describe(sql_buf *b, const char *relation);

/*
 * The fact query as one GROUP BY, FORMAT TabSeparated, the mark last.
 * types[i]: ClickHouse's type of measure i's column (NULL: none); date_type
 * the date column's. Returns 0, or -1 when a measure cannot be run in SQL
 * (*why says which) or on allocation failure (b->oom).
 */
int ch_sql_aggregate(sql_buf *b, const char *relation, const quire_aggregate_request *req,
                     const char *date_type, const char *const *types, const char **why);

/* ---------------------------------------------------------------- types */

/* The type inside Nullable(...) and LowCardinality(...), into buf. */
const char *ch_type_base(const char *type, char *buf, size_t n);
/* Whether a column of ClickHouse type `type` can be read as t. */
int ch_type_fits(const char *type, quire_type t);
/* What t takes, for messages. */
const char *ch_type_takes(quire_type t);
/* 1 for Float32 and Float64 (Nullable or not), 2 for a DateTime. */
int ch_type_is_float(const char *type);
int ch_type_is_datetime(const char *type);

/* ---------------------------------------------------------------- answers */

/* Unescape a TabSeparated field in place (\t \n \\ \' ...); its new length. */
size_t ch_tsv_unescape(char *s, size_t n);

/* A field (unescaped, n bytes) as a cell of type t. "\N" (checked by the
 * caller before unescaping) is null; so is the zero date 0000-00-00.
 * Returns 0, or -1 when it is not one. Strings point into v. */
int ch_parse_cell(quire_type t, const char *v, size_t n, quire_cell *out);

/* A server error ("Code: 60, e.displayText() = DB::Exception: Table ...
 * doesn't exist., e.what() = DB::Exception") as one line ("Table ...
 * doesn't exist.") into out; its code in *code (0: none found). */
void ch_error_text(const char *body, size_t n, char *out, size_t outn, int *code);

#endif
