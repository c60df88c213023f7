/*
 * test_pg_sql.c - the postgres plugin's SQL and values, without a server:
 * identifiers quoted so that no name can end them, the fact query's GROUP BY
 * with every value a parameter, what it declines, and text values as cells.
 * (tests/e2e/postgres.sh runs the plugin against a real server.)
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../plugins/postgres/pg_sql.h"
#include "check.h"

static void test_identifiers(void)
{
    sql_buf b = {0};

    sql_ident(&b, "orders", '"');
    CHECK_STR(b.s, "\"orders\"");
    sql_buf_free(&b);
    sql_ident(&b, "a\"; DROP TABLE x; --", '"');
    CHECK_STR(b.s, "\"a\"\"; DROP TABLE x; --\"");
    sql_buf_free(&b);
    sql_relation(&b, "sales.orders", NULL, '"');
    CHECK_STR(b.s, "\"sales\".\"orders\"");
    sql_buf_free(&b);
    sql_relation(&b, "orders; DROP TABLE engagement", NULL, '"');
    CHECK_STR(b.s, "\"orders; DROP TABLE engagement\"");
    sql_buf_free(&b);
    sql_relation(&b, NULL, "SELECT * FROM t WHERE a = $1", '"');
    CHECK_STR(b.s, "(SELECT * FROM t WHERE a = $1\n)");
    sql_buf_free(&b);
}

static void test_select(void)
{
    const char *cols[] = {"customer_id", "order date"};
    sql_buf b = {0};

    pg_sql_select(&b, "\"orders\"", cols, 2, 0);
    CHECK_STR(b.s, "SELECT q.\"customer_id\", q.\"order date\" FROM \"orders\" AS q");
    sql_buf_free(&b);
    pg_sql_select(&b, "(SELECT 1 AS a WHERE $1 = 'x'\n)", NULL, 0, 2);
    CHECK_STR(b.s, "SELECT q.* FROM (SELECT 1 AS a WHERE $1 = 'x'\n) AS q LIMIT $2::bigint");
    sql_buf_free(&b);
}

static void test_aggregate(void)
{
    quire_column key = {"customer_id", QUIRE_T_INTEGER, NULL};
    quire_column date = {"order_date", QUIRE_T_DATE, NULL};
    quire_agg_measure ms[4];
    quire_column res[6];
    unsigned oids[4] = {0, PG_NUMERIC, PG_DATE, PG_NUMERIC};
    quire_aggregate_request q;
    const char *why = NULL;
    sql_buf b = {0};

    memset(ms, 0, sizeof ms);
    memset(res, 0, sizeof res);
    ms[0].name = "orders";
    ms[0].op = QUIRE_AGG_COUNT;
    ms[1].name = "revenue";
    ms[1].column = "amount";
    ms[1].op = QUIRE_AGG_SUM;
    ms[2].name = "last_order";
    ms[2].column = "order_date";
    ms[2].op = QUIRE_AGG_MAX;
    ms[3].name = "big";
    ms[3].column = "amount";
    ms[3].op = QUIRE_AGG_COUNT;
    ms[3].cmp = QUIRE_CMP_GE;
    ms[3].value = 100;
    memset(&q, 0, sizeof q);
    q.struct_size = sizeof q;
    q.measure_size = sizeof ms[0];
    q.key = &key;
    q.date = &date;
    q.grain = QUIRE_GRAIN_MONTH;
    q.nmeasures = 4;
    q.measures = ms;
    q.result = res;
    q.nresult = 6;
    CHECK(pg_sql_aggregate(&b, "\"orders\"", &q, oids, 2, &why) == 0);
    CHECK_STR(b.s, "SELECT q.\"customer_id\", date_trunc('month', q.\"order_date\"::timestamp)::date,\n"
                   "  count(*),\n"
                   "  sum(q.\"amount\"),\n"
                   "  max(q.\"order_date\"),\n"
                   "  count(*) FILTER (WHERE q.\"amount\"::float8 >= $4::float8)\n"
                   "FROM \"orders\" AS q\n"
                   "WHERE q.\"customer_id\" IS NOT NULL AND q.\"order_date\" >= $2::date AND "
                   "q.\"order_date\" < $3::date\nGROUP BY 1, 2");
    sql_buf_free(&b);
    /* a real column is summed as double; a timestamp's maximum is a date */
    oids[1] = PG_FLOAT4;
    oids[2] = PG_TIMESTAMP;
    CHECK(pg_sql_aggregate(&b, "\"orders\"", &q, oids, 1, &why) == 0);
    CHECK_CONTAINS(b.s, "sum(q.\"amount\"::float8)");
    CHECK_CONTAINS(b.s, "max(q.\"order_date\")::date");
    sql_buf_free(&b);
    /* what SQL cannot do exactly is declined, with why */
    oids[3] = PG_TEXT;
    CHECK(pg_sql_aggregate(&b, "\"orders\"", &q, oids, 1, &why) == -1);
    CHECK_CONTAINS(why, "count with a condition");
    sql_buf_free(&b);
    oids[3] = PG_NUMERIC;
    q.grain = 7;
    CHECK(pg_sql_aggregate(&b, "\"orders\"", &q, oids, 1, &why) == -1);
    sql_buf_free(&b);
}

static void test_values(void)
{
    quire_cell c;
    char num[40];
    double back;

    CHECK(pg_parse_cell(QUIRE_T_INTEGER, "-42", 3, &c) == 0 && c.v.i == -42);
    CHECK(pg_parse_cell(QUIRE_T_INTEGER, "12.5", 4, &c) == -1);
    CHECK(pg_parse_cell(QUIRE_T_INTEGER, "99999999999999999999", 20, &c) == -1);
    CHECK(pg_parse_cell(QUIRE_T_NUMBER, "160.48", 6, &c) == 0 && c.v.n == 160.48);
    CHECK(pg_parse_cell(QUIRE_T_NUMBER, "1e999", 5, &c) == -1);
    CHECK(pg_parse_cell(QUIRE_T_DATE, "2024-02-29", 10, &c) == 0 && c.v.i == 19782);
    CHECK(pg_parse_cell(QUIRE_T_DATE, "2024-02-29 23:59:59", 19, &c) == 0 && c.v.i == 19782);
    CHECK(pg_parse_cell(QUIRE_T_DATE, "0044-03-15 BC", 13, &c) == -1);
    CHECK(pg_parse_cell(QUIRE_T_DATE, "infinity", 8, &c) == -1);
    CHECK(pg_parse_cell(QUIRE_T_BOOLEAN, "t", 1, &c) == 0 && c.v.i == 1);
    CHECK(pg_parse_cell(QUIRE_T_BOOLEAN, "yes", 3, &c) == -1);
    CHECK(pg_parse_cell(QUIRE_T_STRING, "a\0b", 3, &c) == 0 && c.v.s.len == 3);
    pg_sql_number(num, sizeof num, 0.1);
    CHECK(sscanf(num, "%lf", &back) == 1 && back == 0.1);
    CHECK(pg_type_fits(PG_INT8, QUIRE_T_INTEGER) && !pg_type_fits(PG_NUMERIC, QUIRE_T_INTEGER));
    CHECK(pg_type_fits(PG_NUMERIC, QUIRE_T_NUMBER) && !pg_type_fits(PG_TEXT, QUIRE_T_NUMBER));
    CHECK(pg_type_fits(PG_TIMESTAMP, QUIRE_T_DATE) && !pg_type_fits(PG_TIMESTAMPTZ, QUIRE_T_DATE));
}

int main(void)
{
    test_identifiers();
    test_select();
    test_aggregate();
    test_values();
    return check_done("pg_sql");
}
