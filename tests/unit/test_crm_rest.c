/*
 * test_crm_rest.c - the crm_rest plugin's value layer on real JSON: paths,
 * typed conversion, ISO 8601 and epoch-millisecond dates, secret masking.
 */
#include <jansson.h>
#include <stdio.h>
#include <string.h>

#include "../../plugins/crm_rest/crm_rest.h"
#include "check.h"

static int64_t day(const char *s)
{
    int64_t d = -999999;
    if (crm_parse_date(s, strlen(s), &d))
        return -999999;
    return d;
}

static void test_dates(void)
{
    CHECK(day("1970-01-01") == 0);
    CHECK(day("2024-02-29") == 19782);
    CHECK(day("2024-02-30") == -999999);
    CHECK(day("2019-10-30T03:30:17.883Z") == 18199);
    CHECK(day("2019-10-30T23:30:00-02:00") == 18200); /* the UTC day */
    CHECK(day("2019-10-30T01:00:00.000+0200") == 18198);
    CHECK(day("2020-01-01 10:00:00") == 18262);
    CHECK(day("2020-01-01T10:00") == 18262);
    CHECK(day("1572406217883") == 18199); /* epoch milliseconds */
    CHECK(day("-86400000") == -1);
    CHECK(day("2019-10-30T03:30:17+25:00") == -999999);
    CHECK(day("30/10/2019") == -999999);
    CHECK(day("2019-10-30X") == -999999);
    CHECK(crm_days_of_ms(-1) == -1);
}

static void test_paths(void)
{
    json_t *doc = json_loads("{\"a\": {\"b\": [{\"c\": 1}, {\"c\": 2}]}, \"0\": \"zero\", "
                             "\"email\": [{\"value\": \"x@example.com\"}]}", 0, NULL);
    crm_path p;
    char why[256];

    CHECK(doc != NULL);
    CHECK(crm_path_compile("a.b[1].c", &p, why, sizeof why) == 0);
    CHECK(json_integer_value(crm_path_get(doc, &p)) == 2);
    crm_path_free(&p);
    CHECK(crm_path_compile("a.b.0.c", &p, why, sizeof why) == 0);
    CHECK(json_integer_value(crm_path_get(doc, &p)) == 1);
    crm_path_free(&p);
    CHECK(crm_path_compile("email[0].value", &p, why, sizeof why) == 0);
    CHECK_STR(json_string_value(crm_path_get(doc, &p)), "x@example.com");
    crm_path_free(&p);
    CHECK(crm_path_compile("0", &p, why, sizeof why) == 0); /* a digit key of an object */
    CHECK_STR(json_string_value(crm_path_get(doc, &p)), "zero");
    crm_path_free(&p);
    CHECK(crm_path_compile("a.b[7].c", &p, why, sizeof why) == 0);
    CHECK(crm_path_get(doc, &p) == NULL);
    crm_path_free(&p);
    CHECK(crm_path_compile(".", &p, why, sizeof why) == 0);
    CHECK(crm_path_get(doc, &p) == doc);
    crm_path_free(&p);
    CHECK(crm_path_compile("a..b", &p, why, sizeof why) != 0);
    CHECK_CONTAINS(why, "is not a JSON path");
    CHECK(crm_path_compile("a[x]", &p, why, sizeof why) != 0);
    CHECK(crm_path_compile("a.", &p, why, sizeof why) != 0);
    json_decref(doc);
}

static void test_convert(void)
{
    json_t *doc = json_loads("[\"512\", 1.0, 1.5, true, \"true\", null, \"\", 1572406217883, "
                             "\"2019-10-30\", {\"k\": 1}, \"abc\", 42]", 0, NULL);
    crm_arena a = {0};
    quire_cell c;
    char why[256];

    CHECK(crm_convert(json_array_get(doc, 0), QUIRE_T_INTEGER, &c, &a, why, sizeof why) == 0 &&
          c.v.i == 512 && !c.null);
    CHECK(crm_convert(json_array_get(doc, 1), QUIRE_T_INTEGER, &c, &a, why, sizeof why) == 0 &&
          c.v.i == 1);
    CHECK(crm_convert(json_array_get(doc, 2), QUIRE_T_INTEGER, &c, &a, why, sizeof why) != 0);
    CHECK_CONTAINS(why, "expected an integer, got 1.5");
    CHECK(crm_convert(json_array_get(doc, 2), QUIRE_T_NUMBER, &c, &a, why, sizeof why) == 0 &&
          c.v.n == 1.5);
    CHECK(crm_convert(json_array_get(doc, 3), QUIRE_T_BOOLEAN, &c, &a, why, sizeof why) == 0 &&
          c.v.i == 1);
    CHECK(crm_convert(json_array_get(doc, 4), QUIRE_T_BOOLEAN, &c, &a, why, sizeof why) == 0 &&
          c.v.i == 1);
    CHECK(crm_convert(json_array_get(doc, 5), QUIRE_T_DATE, &c, &a, why, sizeof why) == 0 &&
          c.null);
    CHECK(crm_convert(NULL, QUIRE_T_STRING, &c, &a, why, sizeof why) == 0 && c.null);
    CHECK(crm_convert(json_array_get(doc, 6), QUIRE_T_INTEGER, &c, &a, why, sizeof why) == 0 &&
          c.null);
    CHECK(crm_convert(json_array_get(doc, 7), QUIRE_T_DATE, &c, &a, why, sizeof why) == 0 &&
          c.v.i == 18199);
    CHECK(crm_convert(json_array_get(doc, 8), QUIRE_T_DATE, &c, &a, why, sizeof why) == 0 &&
          c.v.i == 18199);
    CHECK(crm_convert(json_array_get(doc, 9), QUIRE_T_STRING, &c, &a, why, sizeof why) == 0 &&
          c.v.s.len == 7 && memcmp(c.v.s.ptr, "{\"k\":1}", 7) == 0);
    CHECK(crm_convert(json_array_get(doc, 10), QUIRE_T_DATE, &c, &a, why, sizeof why) != 0);
    CHECK_CONTAINS(why, "expected an ISO 8601 date");
    CHECK(crm_convert(json_array_get(doc, 11), QUIRE_T_STRING, &c, &a, why, sizeof why) == 0 &&
          c.v.s.len == 2 && memcmp(c.v.s.ptr, "42", 2) == 0);
    crm_arena_free(&a);
    json_decref(doc);

    /* Epoch milliseconds written as a number: an int64's range, no more. */
    doc = json_loads("[1572406217883.5, 1e300, -1e19]", 0, NULL);
    CHECK(crm_convert(json_array_get(doc, 0), QUIRE_T_DATE, &c, &a, why, sizeof why) == 0 &&
          c.v.i == 18199);
    CHECK(crm_convert(json_array_get(doc, 1), QUIRE_T_DATE, &c, &a, why, sizeof why) != 0);
    CHECK_CONTAINS(why, "epoch milliseconds, got 1.0000000000000001e+300");
    CHECK(crm_convert(json_array_get(doc, 2), QUIRE_T_DATE, &c, &a, why, sizeof why) != 0);
    crm_arena_free(&a);
    json_decref(doc);

    /* Numeric strings of any length (they were refused past 31 and 63
     * characters): leading zeros, many digits. */
    {
        char digits[800];
        json_t *v;
        memset(digits, '0', sizeof digits);
        memcpy(digits + 795, "512", 4);
        v = json_string(digits);
        CHECK(crm_convert(v, QUIRE_T_INTEGER, &c, &a, why, sizeof why) == 0 && c.v.i == 512);
        CHECK(crm_convert(v, QUIRE_T_NUMBER, &c, &a, why, sizeof why) == 0 && c.v.n == 512.0);
        json_decref(v);
        memcpy(digits, "2.", 2);
        memset(digits + 2, '5', sizeof digits - 3);
        digits[sizeof digits - 1] = '\0';
        v = json_string(digits);
        CHECK(crm_convert(v, QUIRE_T_NUMBER, &c, &a, why, sizeof why) == 0 &&
              c.v.n == strtod(digits, NULL));
        CHECK(crm_convert(v, QUIRE_T_INTEGER, &c, &a, why, sizeof why) != 0);
        json_decref(v);
        crm_arena_free(&a);
    }
}

static void test_arena(void)
{
    crm_arena a = {0};
    char big[100000];
    char *p1, *p2, *p3;

    memset(big, 'x', sizeof big);
    p1 = crm_arena_put(&a, "hello", 5);
    p2 = crm_arena_put(&a, big, sizeof big); /* larger than a chunk */
    p3 = crm_arena_put(&a, "world", 5);
    CHECK(p1 && p2 && p3 && memcmp(p1, "hello", 5) == 0 && memcmp(p3, "world", 5) == 0);
    CHECK(p2 && p2[0] == 'x' && p2[sizeof big - 1] == 'x');
    crm_arena_reset(&a);
    p1 = crm_arena_put(&a, "again", 5);
    CHECK(p1 && memcmp(p1, "again", 5) == 0);
    crm_arena_free(&a);
}

static void test_mask(void)
{
    const char *secrets[] = {"s3cr/t+key", "", NULL};
    char out[256];

    crm_mask("token s3cr/t+key in text", out, sizeof out, secrets, NULL);
    CHECK_STR(out, "token *** in text");
    crm_mask("http://h/p?x=1&key=s3cr%2Ft%2Bkey&y=2", out, sizeof out, secrets, NULL);
    CHECK_STR(out, "http://h/p?x=1&key=***&y=2");
    crm_mask("http://h/p?api_token=abc&y=2", out, sizeof out, NULL, "api_token");
    CHECK_STR(out, "http://h/p?api_token=***&y=2");
    crm_mask("http://h/p?my_api_token=abc&api_token=q", out, sizeof out, NULL, "api_token");
    CHECK_STR(out, "http://h/p?my_api_token=abc&api_token=***");
    /* a value already masked keeps what follows it (": page 3") */
    crm_mask("http://h/v1?start=0&api_token=***: page 3", out, sizeof out, NULL, "api_token");
    CHECK_STR(out, "http://h/v1?start=0&api_token=***: page 3");
    crm_mask("http://h/v1?api_token=s3cr/t+key: page 3", out, sizeof out, secrets, "api_token");
    CHECK_STR(out, "http://h/v1?api_token=***: page 3");
    crm_mask("http://h/v1?api_token=abc: page 3", out, sizeof out, NULL, "api_token");
    CHECK_STR(out, "http://h/v1?api_token=***: page 3");
    /* the output never holds the secret, even cut short */
    crm_mask("aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa?k=ab", out, 52, NULL, "k");
    CHECK(strstr(out, "ab") == NULL);
    crm_mask("s3cr/t+key", out, 3, secrets, NULL);
    CHECK_STR(out, "**");
}

int main(void)
{
    test_dates();
    test_paths();
    test_convert();
    test_arena();
    test_mask();
    return check_done("crm_rest");
}
