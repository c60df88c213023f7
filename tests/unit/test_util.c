/* test_util.c - strings, numbers and paths shared by the core. */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "dynlib.h"
#include "region.h"
#include "util.h"

static void test_csv_json(void)
{
    strbuf b = {0};

    sb_csv_cstr(&b, "plain");
    CHECK_STR(b.s, "plain");
    b.len = 0;
    sb_csv_cstr(&b, "Smith, Jr.");
    CHECK_STR(b.s, "\"Smith, Jr.\"");
    b.len = 0;
    sb_csv_cstr(&b, "say \"hi\"");
    CHECK_STR(b.s, "\"say \"\"hi\"\"\"");
    b.len = 0;
    sb_csv_cstr(&b, "two\nlines");
    CHECK_STR(b.s, "\"two\nlines\"");
    b.len = 0;
    sb_csv_field(&b, "a\"b", 3);
    CHECK_STR(b.s, "\"a\"\"b\"");
    b.len = 0;
    sb_json_cstr(&b, "Zoë \"Z\" \\ \n\t\x01");
    CHECK_STR(b.s, "\"Zoë \\\"Z\\\" \\\\ \\n\\t\\u0001\"");
    b.len = 0;
    sb_json_cstr(&b, NULL);
    CHECK_STR(b.s, "\"\"");
    b.len = 0;
    sb_json_string(&b, "a\0b", 3);
    CHECK_STR(b.s, "\"a\\u0000b\"");
    /* Not UTF-8: Latin-1 "Zoë", a cut sequence, an overlong "/", a surrogate,
     * a byte past U+10FFFF; each bad byte is U+FFFD, good text is kept. */
    b.len = 0;
    sb_json_cstr(&b, "Zo\xEB|\xC3|\xC0\xAF|\xED\xA0\x80|\xF5\x80\x80\x80|\xF0\x9F\x98\x80");
    CHECK_STR(b.s, "\"Zo\\ufffd|\\ufffd|\\ufffd\\ufffd|\\ufffd\\ufffd\\ufffd|"
                   "\\ufffd\\ufffd\\ufffd\\ufffd|\xF0\x9F\x98\x80\"");
    sb_free(&b);
}

static void test_numbers(void)
{
    char buf[64];

    format_plain_number(buf, sizeof buf, 1380);
    CHECK_STR(buf, "1380");
    format_plain_number(buf, sizeof buf, 19.99);
    CHECK_STR(buf, "19.99");
    format_plain_number(buf, sizeof buf, 0.1 + 0.2);
    CHECK(strtod(buf, NULL) == 0.1 + 0.2);
    format_plain_number(buf, sizeof buf, 1e-7);
    CHECK(strchr(buf, 'e') == NULL && strtod(buf, NULL) == 1e-7);
    format_plain_number(buf, sizeof buf, -2500000);
    CHECK_STR(buf, "-2500000");
    /* Every value reads back exactly, in the fewest digits, in the 40 bytes
     * the exports give it (1.5e40 once came out reading as 1.5e38). */
    {
        static const double vals[] = {1.5e40, 0.1, 1.0 / 3, -0.0, 4.9406564584124654e-324,
                                      2.2250738585072009e-308, 1.7976931348623157e308,
                                      -1.5e-300, 123456789012345678.0, 1e21, 1e-8, 0.3,
                                      -2.5e15, 1e15 + 0.5};
        char small[40];
        size_t i;

        for (i = 0; i < sizeof vals / sizeof vals[0]; i++) {
            double back;
            format_plain_number(small, sizeof small, vals[i]);
            back = strtod(small, NULL);
            CHECK(memcmp(&back, &vals[i], sizeof back) == 0);
        }
        format_plain_number(small, sizeof small, 1.5e40);
        CHECK_STR(small, "1.5e+40");
        format_plain_number(small, sizeof small, 0.1);
        CHECK_STR(small, "0.1");
        format_plain_number(small, sizeof small, 1.0 / 3);
        CHECK_STR(small, "0.3333333333333333");
        format_plain_number(small, sizeof small, -0.0);
        CHECK_STR(small, "-0");
        format_plain_number(small, sizeof small, 4.9406564584124654e-324);
        CHECK_STR(small, "5e-324");
        format_plain_number(small, sizeof small, 1e-7);
        CHECK_STR(small, "0.0000001");
    }
}

static void test_words_paths(void)
{
    static const char *const keys[] = {"history", "from", "to", "grain"};
    char *p;

    CHECK(edit_distance("histroy", "history", 2) == 2);
    CHECK(edit_distance("abc", "xyzuvw", 2) > 2);
    CHECK_STR(closest_word("histroy", keys, 4), "history");
    CHECK(closest_word("elephant", keys, 4) == NULL);
    p = path_dirname("reports/monthly.yaml");
    CHECK_STR(p, "reports");
    free(p);
    p = path_dirname("monthly.yaml");
    CHECK_STR(p, ".");
    free(p);
    p = path_join("reports", "../data/x.csv");
    CHECK_STR(p, "reports/../data/x.csv");
    free(p);
    p = path_join("reports", "/abs/x.csv");
    CHECK_STR(p, "/abs/x.csv");
    free(p);
}

static void test_tmp(void)
{
    char *t = tmp_template("/tmp/q-");

    CHECK(strlen(t) == strlen("/tmp/q-") + 6 && strncmp(t, "/tmp/q-", 7) == 0);
    free(t);
}

/* A library bound on first use: the errors name the library or the
 * function missing; a bound function is called through its table. */
#define M_API(X) X(cos) X(ldexp)
static struct {
    M_API(DYNLIB_FIELD)
} m;

static void test_dynlib(void)
{
    char why[300] = "";
    void *h;

    CHECK(dynlib_open("", why, sizeof why) == NULL);
    CHECK_CONTAINS(why, "not found when this program was built");
    CHECK(dynlib_open("libquire-none.so.9", why, sizeof why) == NULL);
    CHECK_CONTAINS(why, "libquire-none.so.9 cannot be loaded");
    CHECK_CONTAINS(why, "is its package installed?");
    why[0] = 0;
    h = dynlib_open("libm.so.6", why, sizeof why);
    CHECK(h != NULL);
    CHECK_STR(why, "");
#define BIND(f) || dynlib_sym(h, DYNLIB_STR(f), (void **)&m.f, why, sizeof why)
    CHECK(!(!h M_API(BIND)));
#undef BIND
    CHECK(m.cos != NULL && m.cos(0.0) == 1.0);
    CHECK(m.ldexp != NULL && m.ldexp(3.0, 4) == 48.0);
    CHECK(dynlib_sym(h, "quire_no_such_function", (void **)&m.cos, why, sizeof why) == 1);
    CHECK(m.cos == NULL);
    CHECK_CONTAINS(why, "no function quire_no_such_function");
}

/* Arrays from a region: zeroed, aligned, apart; past its reservation (3 MB
 * asked, rounded up to two huge pages: 4 MB) from the heap; all freed with
 * it. */
static void test_region(void)
{
    region *r = region_new(3u << 20), *none = region_new(0);
    unsigned char *a = region_alloc(r, 1000), *b = region_alloc(r, (2u << 20) + 1), *c, *d;
    size_t i, zero = 1;

    CHECK(a && b && ((uintptr_t)a & 63) == 0 && ((uintptr_t)b & 63) == 0);
    CHECK(b >= a + 1000);
    for (i = 0; i < (2u << 20) + 1; i++)
        zero &= b[i] == 0;
    CHECK(zero);
    memset(a, 0xab, 1000);
    memset(b, 0xcd, (2u << 20) + 1);
    CHECK(a[999] == 0xab && b[0] == 0xcd);
    c = region_alloc(r, 2u << 20); /* beyond the four megabytes: the heap */
    CHECK(c != NULL && c[0] == 0 && c[(2u << 20) - 1] == 0);
    CHECK(c + (2u << 20) <= a || c >= a + (4u << 20));
    c[0] = 1;
    region_release(r, c);
    region_release(r, a); /* the region's: kept until region_free */
    region_release(r, NULL);
    d = region_alloc(none, 10);
    CHECK(d != NULL && d[9] == 0);
    region_release(none, d);
    d = region_alloc(NULL, 10);
    CHECK(d != NULL && d[0] == 0);
    region_release(NULL, d);
    region_free(r);
    region_free(none);
    region_free(NULL);
}

int main(void)
{
    test_csv_json();
    test_numbers();
    test_words_paths();
    test_tmp();
    test_dynlib();
    test_region();
    return check_done("util");
}
