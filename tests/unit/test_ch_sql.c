/*
 * test_ch_sql.c - the clickhouse plugin's SQL and answers, without a server:
 * names refused or quoted, values written as literals that no value can end,
 * {paramN:Type} placeholders bound after their values are checked, the fact
 * query's GROUP BY, TabSeparated fields as cells, and the server's errors as
 * one line. (tests/e2e/clickhouse.sh runs the plugin against a real cluster.)
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "../../plugins/clickhouse/ch_sql.h"
#include "check.h"

static void test_names(void)
{
    sql_buf b = {0};

    CHECK(ch_table_ok("orders"));
    CHECK(ch_table_ok("quire.orders"));
    CHECK(ch_table_ok("_t1"));
    CHECK(!ch_table_ok("orders; DROP TABLE engagement"));
    CHECK(!ch_table_ok("orders`"));
    CHECK(!ch_table_ok("a.b.c"));
    CHECK(!ch_table_ok(".orders"));
    CHECK(!ch_table_ok("orders."));
    CHECK(!ch_table_ok("1orders"));
    CHECK(!ch_table_ok(""));
    CHECK(ch_column_ok("order date"));
    CHECK(!ch_column_ok("a`b"));
    CHECK(!ch_column_ok("a\\b"));
    CHECK(!ch_column_ok("a\nb"));
    CHECK(!ch_column_ok(""));
    sql_relation(&b, "quire.orders", NULL, '`');
    CHECK_STR(b.s, "`quire`.`orders`");
    sql_buf_free(&b);
    sql_relation(&b, NULL, "SELECT 1", '`');
    CHECK_STR(b.s, "(SELECT 1\n)");
    sql_buf_free(&b);
}

static void test_literals(void)
{
    sql_buf b = {0};

    sql_buf_string(&b, "0' OR 1=1 --", 12);
    CHECK_STR(b.s, "'0\\' OR 1=1 --'");
    sql_buf_free(&b);
    sql_buf_string(&b, "a\\' b", 5);
    CHECK_STR(b.s, "'a\\\\\\' b'");
    sql_buf_free(&b);
    sql_buf_string(&b, "a\nb\x01", 4);
    CHECK_STR(b.s, "'a\\x0Ab\\x01'");
    sql_buf_free(&b);
}

static void test_bind(void)
{
    const char *vals[9] = {"0' OR 1=1; --", "-7", "2024-01-31", "1.5", NULL, NULL, NULL, NULL,
                           NULL};
    char err[200];
    unsigned used;
    int bad;
    sql_buf b = {0};

    CHECK(ch_bind(&b, "SELECT * FROM t WHERE a = {param1:String} AND b > {param2:Int64} "
                      "AND d >= {param3:Date} AND x < {param4:Float64} AND s = '{param5:String}'"
                      " -- {param6:String}\n",
                  vals, &used, &bad, err, sizeof err) == 0);
    CHECK_STR(b.s, "SELECT * FROM t WHERE a = '0\\' OR 1=1; --' AND b > toInt64('-7') "
                   "AND d >= toDate('2024-01-31') AND x < toFloat64('1.5') AND s = "
                   "'{param5:String}' -- {param6:String}\n");
    CHECK(used == 0xf);
    sql_buf_free(&b);

    vals[1] = "1 OR 1=1";
    CHECK(ch_bind(&b, "SELECT {param2:Int64}", vals, &used, &bad, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "param2: \"1 OR 1=1\" is not a whole number (Int64)");
    CHECK(bad == 2);
    sql_buf_free(&b);
    vals[1] = "300";
    CHECK(ch_bind(&b, "SELECT {param2:UInt8}", vals, &used, &bad, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "out of the range of UInt8");
    sql_buf_free(&b);
    vals[1] = "-1";
    CHECK(ch_bind(&b, "SELECT {param2:UInt32}", vals, &used, &bad, err, sizeof err) == -1);
    sql_buf_free(&b);
    vals[2] = "2024-02-30') OR 1=1 --";
    CHECK(ch_bind(&b, "SELECT {param3:Date}", vals, &used, &bad, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "is not a date");
    sql_buf_free(&b);
    vals[3] = "1e5'); DROP";
    CHECK(ch_bind(&b, "SELECT {param4:Float64}", vals, &used, &bad, err, sizeof err) == -1);
    sql_buf_free(&b);
    vals[3] = "nan";
    CHECK(ch_bind(&b, "SELECT {param4:Float64}", vals, &used, &bad, err, sizeof err) == -1);
    sql_buf_free(&b);
    CHECK(ch_bind(&b, "SELECT {param5:String}", vals, &used, &bad, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "give param5");
    CHECK(bad == 0);
    sql_buf_free(&b);
    CHECK(ch_bind(&b, "SELECT {param1:Array(String)}", vals, &used, &bad, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "{param1:Array(String)...: the type must be");
    sql_buf_free(&b);
    CHECK(ch_bind(&b, "SELECT {param2:Int64", vals, &used, &bad, err, sizeof err) == -1);
    CHECK_CONTAINS(err, "the placeholder end with }");
    sql_buf_free(&b);
    /* not a placeholder: left as written */
    CHECK(ch_bind(&b, "SELECT {x}, {param1}", vals, &used, &bad, err, sizeof err) == 0);
    CHECK_STR(b.s, "SELECT {x}, {param1}");
    CHECK(used == 0);
    sql_buf_free(&b);
}

static void test_select(void)
{
    const char *cols[] = {"customer_id", "order date"};
    sql_buf b = {0};

    ch_sql_select(&b, "`orders`", cols, 2, 0);
    CHECK_STR(b.s, "SELECT `customer_id`, `order date`, 'q' FROM `orders`\nFORMAT TabSeparated");
    sql_buf_free(&b);
    ch_sql_select(&b, "`orders`", cols, 1, 5);
    CHECK_STR(b.s, "SELECT `customer_id`, 'q' FROM `orders` LIMIT 5\nFORMAT TabSeparated");
    sql_buf_free(&b);
}

static void test_aggregate(void)
{
    quire_column key = {"customer_id", QUIRE_T_INTEGER, NULL};
    quire_column date = {"order_date", QUIRE_T_DATE, NULL};
    quire_agg_measure ms[4];
    quire_column res[6];
    const char *types[4] = {NULL, "Decimal(12, 2)", "Date", "Nullable(Float64)"};
    quire_aggregate_request q;
    const char *why = NULL;
    sql_buf b = {0};

    memset(ms, 0, sizeof ms);
    memset(res, 0, sizeof res);
    ms[0].op = QUIRE_AGG_COUNT;
    ms[1].op = QUIRE_AGG_SUM;
    ms[1].column = "amount";
    ms[2].op = QUIRE_AGG_MAX;
    ms[2].column = "order_date";
    ms[3].op = QUIRE_AGG_COUNT;
    ms[3].column = "score";
    ms[3].cmp = QUIRE_CMP_GE;
    ms[3].value = 100;
    memset(&q, 0, sizeof q);
    q.struct_size = sizeof q;
    q.measure_size = sizeof ms[0];
    q.key = &key;
    q.date = &date;
    q.grain = QUIRE_GRAIN_MONTH;
    q.nmeasures = 4;
    q.from_day = quire_days_from_civil(2023, 2, 1);
    q.to_day = quire_days_from_civil(2024, 5, 1);
    q.measures = ms;
    q.result = res;
    q.nresult = 6;
    CHECK(ch_sql_aggregate(&b, "`orders`", &q, "Date", types, &why) == 0);
    CHECK_STR(b.s, "SELECT `customer_id`, toStartOfMonth(`order_date`),\n"
                   "  count(),\n"
                   "  sum(`amount`),\n"
                   "  max(`order_date`),\n"
                   "  countIf(toFloat64(`score`) >= toFloat64('100')),\n"
                   "  'q'\n"
                   "FROM `orders`\n"
                   "WHERE isNotNull(`customer_id`) AND isNotNull(`order_date`) AND "
                   "`order_date` >= toDate('2023-02-01') AND `order_date` < toDate('2024-05-01')\n"
                   "GROUP BY `customer_id`, toStartOfMonth(`order_date`)\n"
                   "FORMAT TabSeparated");
    sql_buf_free(&b);

    /* a float sum is compensated; a DateTime's day is its date */
    ms[1].column = "score";
    types[1] = "Float64";
    types[2] = "DateTime";
    CHECK(ch_sql_aggregate(&b, "`orders`", &q, "DateTime('UTC')", types, &why) == 0);
    CHECK_CONTAINS(b.s, "sumKahan(`score`)");
    CHECK_CONTAINS(b.s, "toDate(max(`order_date`))");
    CHECK_CONTAINS(b.s, "toDate(`order_date`) >= toDate('2023-02-01')");
    sql_buf_free(&b);

    /* a condition on a column that is not a number is declined */
    types[3] = "String";
    CHECK(ch_sql_aggregate(&b, "`orders`", &q, "Date", types, &why) == -1);
    CHECK_CONTAINS(why, "not a number");
    sql_buf_free(&b);
}

static void test_types(void)
{
    char buf[64];

    CHECK_STR(ch_type_base("Nullable(LowCardinality(String))", buf, sizeof buf), "String");
    CHECK(ch_type_fits("Int32", QUIRE_T_INTEGER));
    CHECK(ch_type_fits("Nullable(UInt64)", QUIRE_T_INTEGER));
    CHECK(!ch_type_fits("Float64", QUIRE_T_INTEGER));
    CHECK(ch_type_fits("Decimal(12, 2)", QUIRE_T_NUMBER));
    CHECK(ch_type_fits("Float32", QUIRE_T_NUMBER));
    CHECK(!ch_type_fits("String", QUIRE_T_NUMBER));
    CHECK(ch_type_fits("Date", QUIRE_T_DATE));
    CHECK(ch_type_fits("DateTime('Europe/Berlin')", QUIRE_T_DATE));
    CHECK(!ch_type_fits("Int64", QUIRE_T_DATE));
    CHECK(ch_type_fits("UInt8", QUIRE_T_BOOLEAN));
    CHECK(ch_type_fits("Array(Int32)", QUIRE_T_STRING));
    CHECK(ch_type_is_float("Nullable(Float32)"));
    CHECK(!ch_type_is_float("Decimal(12, 2)"));
}

static void test_cells(void)
{
    quire_cell c;
    char s[] = "a\\tb\\\\c\\'d\\n";

    CHECK(ch_tsv_unescape(s, strlen(s)) == 8);
    CHECK(memcmp(s, "a\tb\\c'd\n", 8) == 0);
    CHECK(ch_parse_cell(QUIRE_T_INTEGER, "-42", 3, &c) == 0 && c.v.i == -42);
    CHECK(ch_parse_cell(QUIRE_T_INTEGER, "18446744073709551615", 20, &c) == -1);
    CHECK(ch_parse_cell(QUIRE_T_INTEGER, "4x", 2, &c) == -1);
    CHECK(ch_parse_cell(QUIRE_T_NUMBER, "1234.50", 7, &c) == 0 && c.v.n == 1234.5);
    CHECK(ch_parse_cell(QUIRE_T_NUMBER, "inf", 3, &c) == -1);
    CHECK(ch_parse_cell(QUIRE_T_DATE, "2024-03-05", 10, &c) == 0 &&
          c.v.i == quire_days_from_civil(2024, 3, 5) && !c.null);
    CHECK(ch_parse_cell(QUIRE_T_DATE, "2024-03-05 10:00:00", 19, &c) == 0 &&
          c.v.i == quire_days_from_civil(2024, 3, 5));
    CHECK(ch_parse_cell(QUIRE_T_DATE, "0000-00-00", 10, &c) == 0 && c.null);
    CHECK(ch_parse_cell(QUIRE_T_DATE, "2024-02-30", 10, &c) == -1);
    CHECK(ch_parse_cell(QUIRE_T_BOOLEAN, "1", 1, &c) == 0 && c.v.i == 1);
    CHECK(ch_parse_cell(QUIRE_T_BOOLEAN, "2", 1, &c) == -1);
    CHECK(ch_parse_cell(QUIRE_T_STRING, "ab", 2, &c) == 0 && c.v.s.len == 2);
}

static void test_errors(void)
{
    const char *e1 = "Code: 60, e.displayText() = DB::Exception: Table quire.ordrs doesn't "
                     "exist., e.what() = DB::Exception\n";
    const char *e2 = "1\t2\tq\nCode: 32, e.displayText() = DB::Exception: Attempt to read after "
                     "eof: while receiving packet from 127.0.0.1:9000, e.what() = DB::Exception\n";
    const char *e3 = "Code: 279, e.displayText() = DB::NetException: All connection tries "
                     "failed. Log: \n\nCode: 210, e.displayText() = DB::NetException: "
                     "Connection refused (127.0.0.1:9000)\n, e.what() = DB::NetException\n";
    const char *e4 = "Code: 60. DB::Exception: Table default.x does not exist. (UNKNOWN_TABLE) "
                     "(version 23.8.1.1)\n";
    char out[300];
    int code;

    ch_error_text(e1, strlen(e1), out, sizeof out, &code);
    CHECK_STR(out, "Table quire.ordrs doesn't exist.");
    CHECK(code == 60);
    ch_error_text(e2, strlen(e2), out, sizeof out, &code);
    CHECK_STR(out, "Attempt to read after eof: while receiving packet from 127.0.0.1:9000");
    CHECK(code == 32);
    ch_error_text(e3, strlen(e3), out, sizeof out, &code);
    CHECK(code == 279);
    CHECK_CONTAINS(out, "All connection tries failed. Log: ; Code: 210");
    CHECK(!strchr(out, '\n'));
    ch_error_text(e4, strlen(e4), out, sizeof out, &code);
    CHECK_STR(out, "Table default.x does not exist. (UNKNOWN_TABLE)");
    CHECK(code == 60);
    ch_error_text("Bad gateway", 11, out, sizeof out, &code);
    CHECK_STR(out, "Bad gateway");
    CHECK(code == 0);
}

int main(void)
{
    test_names();
    test_literals();
    test_bind();
    test_select();
    test_aggregate();
    test_types();
    test_cells();
    test_errors();
    return check_done("ch_sql");
}
