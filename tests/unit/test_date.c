/* test_date.c - the calendar helpers of quire/plugin.h and the core's dates
 * built on them (core/base/date.c). */
#include <stdint.h>
#include <string.h>

#include "check.h"
#include "date.h"

/* Month lengths and leap years written out again, independently of the
 * helpers, to walk the calendar a day at a time. */
static int naive_leap(int y)
{
    if (y % 400 == 0)
        return 1;
    if (y % 100 == 0)
        return 0;
    return y % 4 == 0;
}

static int naive_month(int y, int m)
{
    switch (m) {
    case 2:
        return naive_leap(y) ? 29 : 28;
    case 4:
    case 6:
    case 9:
    case 11:
        return 30;
    default:
        return 31;
    }
}

/* Every day from 1900-01-01 to 2100-12-31, both ways. */
static void test_round_trips(void)
{
    int64_t z = quire_days_from_civil(1900, 1, 1), yy;
    int y, m, d, mm, dd, bad_to = 0, bad_from = 0;

    CHECK(z == -25567);
    for (y = 1900; y <= 2100; y++)
        for (m = 1; m <= 12; m++)
            for (d = 1; d <= naive_month(y, m); d++, z++) {
                if (quire_days_from_civil(y, m, d) != z)
                    bad_to++;
                quire_civil_from_days(z, &yy, &mm, &dd);
                if (yy != y || mm != m || dd != d)
                    bad_from++;
            }
    CHECK(bad_to == 0);
    CHECK(bad_from == 0);
    CHECK(z == 47846 + 1); /* one past 2100-12-31 */
}

static void test_anchors(void)
{
    int64_t y;
    int m, d;

    CHECK(quire_days_from_civil(1970, 1, 1) == 0);
    CHECK(quire_days_from_civil(2000, 2, 29) == 11016);
    CHECK(quire_days_from_civil(2000, 3, 1) == 11017);
    CHECK(quire_days_from_civil(2024, 3, 6) == 19788);
    CHECK(quire_days_from_civil(1, 1, 1) == -719162);
    CHECK(quire_days_from_civil(9999, 12, 31) == 2932896);
    quire_civil_from_days(-1, &y, &m, &d);
    CHECK(y == 1969 && m == 12 && d == 31);
    quire_civil_from_days(-719162, &y, &m, &d);
    CHECK(y == 1 && m == 1 && d == 1);
    /* before year 1: the proleptic calendar goes on (year 0 is a leap year) */
    quire_civil_from_days(-719162 - 1, &y, &m, &d);
    CHECK(y == 0 && m == 12 && d == 31);
    CHECK(quire_days_from_civil(0, 3, 1) - quire_days_from_civil(0, 2, 28) == 2);
    CHECK(quire_days_from_civil(-1, 1, 1) == quire_days_from_civil(0, 1, 1) - 365);
    quire_civil_from_days(quire_days_from_civil(-4713, 11, 24), &y, &m, &d);
    CHECK(y == -4713 && m == 11 && d == 24);
    /* past a month's end it counts on into the next, before its start back */
    CHECK(quire_days_from_civil(2024, 1, 32) == quire_days_from_civil(2024, 2, 1));
    CHECK(quire_days_from_civil(2024, 3, 0) == quire_days_from_civil(2024, 2, 29));
}

static void test_leap_and_months(void)
{
    static const int len2023[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};
    int m, y, bad = 0;

    CHECK(quire_is_leap_year(2024) && quire_is_leap_year(2000) && quire_is_leap_year(1600));
    CHECK(quire_is_leap_year(0) && quire_is_leap_year(-4) && !quire_is_leap_year(-100));
    CHECK(!quire_is_leap_year(2023) && !quire_is_leap_year(1900) && !quire_is_leap_year(2100));
    for (m = 1; m <= 12; m++)
        CHECK(quire_days_in_month(2023, m) == len2023[m - 1]);
    CHECK(quire_days_in_month(2024, 2) == 29 && quire_days_in_month(2100, 2) == 28);
    CHECK(quire_days_in_month(2024, 0) == 0 && quire_days_in_month(2024, 13) == 0);
    CHECK(quire_days_in_month(2024, -1) == 0);
    for (y = 1900; y <= 2100; y++) {
        bad += quire_is_leap_year(y) != naive_leap(y);
        for (m = 1; m <= 12; m++)
            bad += quire_days_in_month(y, m) != naive_month(y, m);
        bad += days_in_month(y, 2) != naive_month(y, 2);
    }
    CHECK(bad == 0);
}

static void test_valid(void)
{
    CHECK(quire_valid_date(2024, 2, 29) && !quire_valid_date(2023, 2, 29));
    CHECK(!quire_valid_date(1900, 2, 29) && quire_valid_date(2000, 2, 29));
    CHECK(quire_valid_date(2024, 4, 30) && !quire_valid_date(2024, 4, 31));
    CHECK(quire_valid_date(2024, 12, 31) && !quire_valid_date(2024, 12, 32));
    CHECK(!quire_valid_date(2024, 1, 0) && !quire_valid_date(2024, 1, -1));
    CHECK(!quire_valid_date(2024, 0, 1) && !quire_valid_date(2024, 13, 1));
}

static int iso(const char *s, int64_t *days)
{
    return quire_parse_iso_date(s, strlen(s), days);
}

static void test_parse_iso(void)
{
    static const char *const bad[] = {
        "2023-02-29", "2024-02-30", "2024-04-31", "2024-13-01", "2024-00-10", "2024-01-00",
        "2024-1-01", "2024-01-1", "24-01-01", "2024/01/01", "2024-01-01T", "2024-01-01 ",
        " 2024-01-01", "20a4-01-01", "2024-0x-01", "+024-01-01", "2024-01", "", "2024-01-01Z",
    };
    int64_t d = 7;
    size_t i;

    CHECK(iso("2024-02-29", &d) == 0 && d == quire_days_from_civil(2024, 2, 29));
    CHECK(iso("1970-01-01", &d) == 0 && d == 0);
    CHECK(iso("0000-01-01", &d) == 0 && d == quire_days_from_civil(0, 1, 1));
    CHECK(iso("9999-12-31", &d) == 0 && d == 2932896);
    CHECK(iso("1900-02-28", &d) == 0 && iso("1900-02-29", &d) == -1);
    for (i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        d = 7;
        if (iso(bad[i], &d) != -1 || d != 7)
            fprintf(stderr, "accepted \"%s\"\n", bad[i]);
        CHECK(iso(bad[i], &d) == -1 && d == 7);
    }
    /* exactly n bytes: a date followed by more is not read as a date */
    CHECK(quire_parse_iso_date("2024-03-06T10:00", 10, &d) == 0 && d == 19788);
    CHECK(quire_parse_iso_date("2024-03-06", 9, &d) == -1);
}

/* The core's types and formats on top of the helpers. */
static void test_core(void)
{
    int32_t d;
    int y, m, dd;
    char buf[32];

    CHECK(parse_date("2024-02-29", &d) == 0 && d == days_from_civil(2024, 2, 29));
    CHECK(parse_date("0000-01-01", &d) == -1); /* the core wants year 1 or later */
    CHECK(parse_date("0001-01-01", &d) == 0 && d == -719162);
    CHECK(parse_date("2023-02-29", &d) == -1 && parse_date("2024-02-29x", &d) == -1);
    format_date(buf, sizeof buf, days_from_civil(2100, 2, 28) + 1);
    CHECK_STR(buf, "2100-03-01");
    civil_from_days(days_from_civil(1999, 12, 31) + 1, &y, &m, &dd);
    CHECK(y == 2000 && m == 1 && dd == 1);
    CHECK(month_of_days(days_from_civil(2000, 2, 29)) == 2000 * 12 + 1);
    CHECK(parse_month("2024-02") == 2024 * 12 + 1 && parse_month("0000-01") == -1);
    format_month(buf, sizeof buf, 1999 * 12 + 11);
    CHECK_STR(buf, "1999-12");
    format_month_label(buf, sizeof buf, 2100 * 12 + 1);
    CHECK_STR(buf, "Feb 2100");
}

/* The cases test_util.c had before dates moved to date.c. */
static void test_core_cases(void)
{
    int32_t d;
    int y, m, dd;

    CHECK(days_from_civil(1970, 1, 1) == 0);
    CHECK(days_from_civil(2024, 3, 6) == 19788);
    civil_from_days(19788, &y, &m, &dd);
    CHECK(y == 2024 && m == 3 && dd == 6);
    CHECK(parse_date("2024-02-29", &d) == 0 && d == days_from_civil(2024, 2, 29));
    CHECK(parse_date("2023-02-29", &d) == -1);
    CHECK(parse_date("2024-2-29", &d) == -1);
    CHECK(parse_month("2024-04") == 2024 * 12 + 3);
    CHECK(parse_month("2024-13") == -1);
    CHECK(month_of_days(days_from_civil(2024, 4, 30)) == 2024 * 12 + 3);
    {
        char buf[32];
        format_month_label(buf, sizeof buf, 2024 * 12 + 1);
        CHECK_STR(buf, "Feb 2024");
        format_month(buf, sizeof buf, 2023 * 12 + 11);
        CHECK_STR(buf, "2023-12");
    }
}

/* Months and periods in words, for titles and file names. */
static void test_words(void)
{
    char buf[64];
    int apr = 2024 * 12 + 3;

    CHECK(format_month_as(buf, sizeof buf, 1997 * 12 + 11, 0, "month", 5) == 0);
    CHECK_STR(buf, "December 1997");
    CHECK(format_month_as(buf, sizeof buf, apr, 0, "mon", 3) == 0);
    CHECK_STR(buf, "Apr 2024");
    CHECK(format_month_as(buf, sizeof buf, apr, 0, "quarter", 7) == 0);
    CHECK_STR(buf, "Q2 2024");
    CHECK(format_month_as(buf, sizeof buf, apr, 0, "year", 4) == 0);
    CHECK_STR(buf, "2024");
    CHECK(format_month_as(buf, sizeof buf, apr, 0, "date", 4) == -1); /* a month has no day */
    CHECK(format_month_as(buf, sizeof buf, apr, 5, "date", 4) == 0);
    CHECK_STR(buf, "5 April 2024");
    CHECK(format_month_as(buf, sizeof buf, apr, 0, "months", 6) == -1);
    CHECK(format_month_as(buf, sizeof buf, apr, 0, "monthly", 5) == 0); /* its first len bytes */
    CHECK(format_value_as(buf, sizeof buf, "1997-12-31", "date", 4) == 0);
    CHECK_STR(buf, "31 December 1997");
    CHECK(format_value_as(buf, sizeof buf, "1997-12", "month", 5) == 0);
    CHECK_STR(buf, "December 1997");
    CHECK(format_value_as(buf, sizeof buf, "someday", "month", 5) == -1);
    format_period_name(buf, sizeof buf, apr, apr);
    CHECK_STR(buf, "Apr 2024");
    format_period_name(buf, sizeof buf, apr, apr + 2);
    CHECK_STR(buf, "Q2 2024");
    format_period_name(buf, sizeof buf, apr + 1, apr + 3); /* not a calendar quarter */
    CHECK_STR(buf, "May\xE2\x80\x93Jul 2024");
    format_period_name(buf, sizeof buf, 2024 * 12, 2024 * 12 + 11);
    CHECK_STR(buf, "2024");
    format_period_name(buf, sizeof buf, 2023 * 12 + 10, 2024 * 12);
    CHECK_STR(buf, "Nov 2023 \xE2\x80\x93 Jan 2024");
}

/* ISO weeks by the textbook rule, walking the days from Monday 1990-01-01:
 * week = (ordinal - weekday + 10) / 7, week 0 belonging to the year before
 * and 53 to the next when that year has no week 53. */
static int naive_weeks_in(int y)
{
    /* a year has 53 weeks when it starts on a Thursday, or is a leap year
     * starting on a Wednesday; Zeller-free: count from 1990-01-01 */
    int wd = 0, yy; /* Monday = 0 */
    for (yy = 1990; yy < y; yy++)
        wd = (wd + (naive_leap(yy) ? 366 : 365)) % 7;
    return wd == 3 || (wd == 2 && naive_leap(y)) ? 53 : 52;
}

static void test_iso_weeks(void)
{
    grain wk = {GRAIN_WEEK, 1};
    int y, m, d, wd = 0, ord, bad = 0;

    for (y = 1990; y <= 2040; y++) {
        ord = 0;
        for (m = 1; m <= 12; m++)
            for (d = 1; d <= naive_month(y, m); d++) {
                int ey = y, ew, gy, gw, p;
                ord++;
                ew = (ord - (wd + 1) + 10) / 7;
                if (ew < 1) {
                    ey = y - 1;
                    ew = naive_weeks_in(y - 1);
                } else if (ew > naive_weeks_in(y)) {
                    ey = y + 1;
                    ew = 1;
                }
                p = grain_period(wk, days_from_civil(y, m, d));
                iso_week(p, &gy, &gw);
                if (gy != ey || gw != ew || grain_first_day(wk, p) > days_from_civil(y, m, d) ||
                    grain_last_day(wk, p) < days_from_civil(y, m, d) ||
                    iso_week_period(ey, ew) != p)
                    bad++;
                wd = (wd + 1) % 7;
            }
    }
    CHECK(bad == 0);
}

static void test_grains(void)
{
    grain wk = {GRAIN_WEEK, 1}, q = {GRAIN_QUARTER, 1}, yr = {GRAIN_YEAR, 1};
    grain fq = {GRAIN_QUARTER, 4}, fy = {GRAIN_YEAR, 4}, fy3 = {GRAIN_YEAR, 3};
    grain mo = {GRAIN_MONTH, 1}, fmo = {GRAIN_MONTH, 4}, fwk = {GRAIN_WEEK, 4};
    char buf[64];
    int p;

    /* weeks across New Year */
    grain_key(buf, sizeof buf, wk, grain_period(wk, days_from_civil(2011, 1, 1)));
    CHECK_STR(buf, "2010-W52");
    grain_key(buf, sizeof buf, wk, grain_period(wk, days_from_civil(2011, 1, 3)));
    CHECK_STR(buf, "2011-W01");
    grain_key(buf, sizeof buf, wk, grain_period(wk, days_from_civil(2021, 1, 3)));
    CHECK_STR(buf, "2020-W53");
    grain_key(buf, sizeof buf, wk, grain_period(wk, days_from_civil(2008, 12, 29)));
    CHECK_STR(buf, "2009-W01");
    CHECK(iso_week_period(2019, 53) == -1);
    CHECK(iso_week_period(2015, 53) >= 0);
    CHECK(grain_last_year(wk, iso_week_period(2021, 10)) == iso_week_period(2020, 10));
    CHECK(grain_last_year(wk, iso_week_period(2020, 53)) == -1);
    CHECK(grain_first_day(wk, iso_week_period(2011, 5)) == days_from_civil(2011, 1, 31));
    CHECK(grain_last_day(wk, iso_week_period(2011, 5)) == days_from_civil(2011, 2, 6));
    CHECK(grain_year_first(wk, iso_week_period(2021, 10)) == iso_week_period(2021, 1));
    CHECK(grain_year_first(wk, grain_period(wk, days_from_civil(2021, 1, 2))) ==
          iso_week_period(2020, 1));
    /* a fiscal year of weeks: from the first week whose Thursday is in April */
    CHECK(grain_year_first(fwk, iso_week_period(2012, 2)) ==
          grain_period(wk, days_from_civil(2011, 4, 4)));
    CHECK(grain_parse_bound(wk, "2011-W05", 0) == iso_week_period(2011, 5));
    CHECK(grain_parse_bound(wk, "2011-W54", 0) == -1);
    CHECK(grain_parse_bound(q, "2011-W05", 0) == -1);
    CHECK(grain_parse_bound(wk, "2011-01", 0) == iso_week_period(2010, 52));
    CHECK(grain_parse_bound(wk, "2011-01", 1) == iso_week_period(2011, 5));

    /* calendar quarters and years; a leap February */
    p = grain_period(q, days_from_civil(2024, 2, 29));
    grain_label(buf, sizeof buf, q, p);
    CHECK_STR(buf, "Q1 2024");
    grain_key(buf, sizeof buf, q, p);
    CHECK_STR(buf, "2024-Q1");
    CHECK(grain_first_day(q, p) == days_from_civil(2024, 1, 1));
    CHECK(grain_last_day(q, p) == days_from_civil(2024, 3, 31));
    CHECK(grain_last_year(q, p) == grain_period(q, days_from_civil(2023, 3, 1)));
    CHECK(grain_year_first(q, grain_period(q, days_from_civil(2024, 11, 30))) == p);
    grain_label(buf, sizeof buf, yr, grain_period(yr, days_from_civil(2024, 12, 31)));
    CHECK_STR(buf, "2024");
    CHECK(grain_parse_bound(q, "2024-05", 0) == p + 1);
    CHECK(grain_parse_bound(q, "2024-05-31", 1) == p + 1);

    /* a fiscal year from April: FY2011/12 is April 2011 to March 2012 */
    p = grain_period(fy, days_from_civil(2011, 4, 1));
    CHECK(p == grain_period(fy, days_from_civil(2012, 3, 31)));
    CHECK(p + 1 == grain_period(fy, days_from_civil(2012, 4, 1)));
    CHECK(p - 1 == grain_period(fy, days_from_civil(2011, 3, 31)));
    grain_label(buf, sizeof buf, fy, p);
    CHECK_STR(buf, "FY2011/12");
    CHECK(grain_first_day(fy, p) == days_from_civil(2011, 4, 1));
    CHECK(grain_last_day(fy, p) == days_from_civil(2012, 3, 31));
    grain_label(buf, sizeof buf, fy, grain_period(fy, days_from_civil(1999, 6, 1)));
    CHECK_STR(buf, "FY1999/00");
    p = grain_period(fq, days_from_civil(2012, 1, 10));
    grain_label(buf, sizeof buf, fq, p);
    CHECK_STR(buf, "Q4 FY2011/12");
    grain_key(buf, sizeof buf, fq, p);
    CHECK_STR(buf, "FY2011/12-Q4");
    CHECK(grain_first_day(fq, p) == days_from_civil(2012, 1, 1));
    CHECK(grain_year_first(fq, p) == grain_period(fq, days_from_civil(2011, 4, 1)));
    grain_label(buf, sizeof buf, fq, grain_year_first(fq, p));
    CHECK_STR(buf, "Q1 FY2011/12");
    /* a fiscal year from March ends on 29 February in a leap year */
    p = grain_period(fy3, days_from_civil(2024, 2, 29));
    grain_label(buf, sizeof buf, fy3, p);
    CHECK_STR(buf, "FY2023/24");
    CHECK(grain_last_day(fy3, p) == days_from_civil(2024, 2, 29));
    CHECK(grain_first_day(fy3, p + 1) == days_from_civil(2024, 3, 1));
    /* months: the old indices; year to date from the fiscal start */
    p = grain_period(mo, days_from_civil(2012, 2, 15));
    CHECK(p == 2012 * 12 + 1);
    CHECK(grain_year_first(mo, p) == 2012 * 12);
    CHECK(grain_year_first(fmo, p) == 2011 * 12 + 3);
    CHECK(grain_last_year(mo, p) == 2011 * 12 + 1);
    grain_period_name(buf, sizeof buf, wk, iso_week_period(2010, 52), iso_week_period(2011, 7));
    CHECK_STR(buf, "2010-W52 \xE2\x80\x93 2011-W07");
    grain_period_name(buf, sizeof buf, mo, p - 2, p);
    CHECK_STR(buf, "Dec 2011 \xE2\x80\x93 Feb 2012");
    CHECK(grain_parse_key(fq, "FY2011/12-Q4") == grain_period(fq, days_from_civil(2012, 2, 1)));
    CHECK(grain_parse_key(fq, "2011-Q4") == -1);
    CHECK(grain_parse_key(q, "2011-Q4") == grain_period(q, days_from_civil(2011, 12, 1)));
    CHECK(grain_parse_key(fy, "FY2011/12") == grain_period(fy, days_from_civil(2011, 6, 1)));
    CHECK(grain_parse_key(fy, "FY2011/13") == -1);
    CHECK(grain_parse_key(yr, "2011") == 2011);
    CHECK(grain_parse_key(wk, "2020-W53") == iso_week_period(2020, 53));
    CHECK(grain_parse_key(mo, "2020-02") == 2020 * 12 + 1);
    CHECK(grain_kind_of("week") == GRAIN_WEEK && grain_kind_of("fortnight") == -1);
}

int main(void)
{
    test_iso_weeks();
    test_grains();
    test_words();
    test_round_trips();
    test_anchors();
    test_leap_and_months();
    test_valid();
    test_parse_iso();
    test_core();
    test_core_cases();
    return check_done("date");
}
