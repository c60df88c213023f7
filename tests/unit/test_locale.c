/*
 * test_locale.c - a report's locale (qlocale.c): values, changes, axis ticks
 * and months as format.c and date.c print them once a locale is active, and
 * the same calls without one, as they always printed.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "date.h"
#include "format.h"
#include "qlocale.h"

#define NBSP "\xC2\xA0"
#define NNBSP "\xE2\x80\xAF" /* narrow no-break space: French thousands */
#define EURO "\xE2\x82\xAC"
#define MINUS "\xE2\x88\x92"
#define ENDASH "\xE2\x80\x93"

static char buf[128];

static const char *value(double v, quire_unit unit, int decimals)
{
    quire_format_value(buf, sizeof buf, v, unit, decimals);
    return buf;
}

static const char *axis(double v, double step, double max_abs, quire_unit unit)
{
    quire_format_axis(buf, sizeof buf, v, step, max_abs, unit);
    return buf;
}

static const char *change(double now, double old, quire_unit unit)
{
    quire_change_text(buf, sizeof buf, now, old, unit, -1, 0);
    return buf;
}

static const char *month(int y, int m, const char *fmt)
{
    format_month_as(buf, sizeof buf, y * 12 + m - 1, 0, fmt, strlen(fmt));
    return buf;
}

static const char *period(int from, int to)
{
    format_period_name(buf, sizeof buf, from, to);
    return buf;
}

/* Without a locale: en_US by hand, as before. */
static void test_none(void)
{
    CHECK(quire_locale_active() == NULL);
    CHECK_STR(value(1234.56, QUIRE_UNIT_CURRENCY, -1), "$1,234.56");
    CHECK_STR(value(0.8134, QUIRE_UNIT_PERCENT, -1), "81.3%");
    CHECK_STR(month(2024, 3, "month"), "March 2024");
    CHECK_STR(period(2024 * 12 + 1, 2024 * 12 + 3), "Feb" ENDASH "Apr 2024");
}

static void test_de(void)
{
    char why[200];
    quire_locale *de = quire_locale_new("de_DE", "EUR", 0, why, sizeof why);
    const quire_locale *before;

    CHECK(de != NULL);
    if (!de)
        return;
    CHECK_STR(quire_locale_name(de), "de_DE");
    before = quire_locale_use(de);
    CHECK(before == NULL);
    /* the issue's own line */
    CHECK_STR(value(1234.56, QUIRE_UNIT_CURRENCY, -1), "1.234,56" NBSP EURO);
    CHECK_STR(value(-1234.5, QUIRE_UNIT_CURRENCY, -1), "-1.234,50" NBSP EURO);
    CHECK_STR(value(1234567, QUIRE_UNIT_COUNT, -1), "1.234.567");
    CHECK_STR(value(0.8134, QUIRE_UNIT_PERCENT, -1), "81,3" NBSP "%");
    CHECK_STR(value(2.5, QUIRE_UNIT_NUMBER, -1), "2,5");          /* trimmed */
    CHECK_STR(value(2.125, QUIRE_UNIT_NUMBER, 2), "2,13");        /* half away from zero */
    CHECK_STR(value(-0.001, QUIRE_UNIT_NUMBER, 2), "0,00");       /* never "-0,00" */
    CHECK_STR(value(45.06, QUIRE_UNIT_SCORE, -1), "45,1");
    CHECK_STR(value(NAN, QUIRE_UNIT_CURRENCY, -1), QUIRE_NO_VALUE);
    CHECK_STR(change(110, 100, QUIRE_UNIT_CURRENCY), "+10,0" NBSP "%");
    CHECK_STR(change(90, 100, QUIRE_UNIT_COUNT), MINUS "10,0" NBSP "%");
    CHECK_STR(change(0.563, 0.548, QUIRE_UNIT_PERCENT), "+1,5 pts");
    CHECK_STR(change(100, 100, QUIRE_UNIT_NUMBER), "0,0" NBSP "%");
    CHECK_STR(axis(1500, 500, 2000, QUIRE_UNIT_CURRENCY), "1.500" NBSP EURO);
    CHECK_STR(axis(0, 500, 2000, QUIRE_UNIT_CURRENCY), "0" NBSP EURO);
    CHECK_STR(axis(0.75, 0.25, 1, QUIRE_UNIT_PERCENT), "75,0" NBSP "%");
    CHECK_STR(axis(1500000, 500000, 2000000, QUIRE_UNIT_COUNT), "1,5" NBSP "Mio.");
    CHECK_STR(month(2024, 3, "month"), "M\xC3\xA4rz 2024");
    CHECK_STR(month(2024, 4, "mon"), "Apr. 2024");
    CHECK_STR(month(2024, 5, "quarter"), "Q2 2024");
    CHECK_STR(month(2024, 5, "year"), "2024");
    format_month_label(buf, sizeof buf, 2024 * 12 + 2);
    CHECK_STR(buf, "M\xC3\xA4rz 2024");
    format_month_as(buf, sizeof buf, 2024 * 12 + 2, 5, "date", 4);
    CHECK_STR(buf, "5. M\xC3\xA4rz 2024");
    CHECK_STR(period(2024 * 12 + 1, 2024 * 12 + 3), "Feb." ENDASH "Apr. 2024");
    CHECK_STR(period(2023 * 12 + 10, 2024 * 12 + 0), "Nov. 2023\xE2\x80\x89" ENDASH "\xE2\x80\x89Jan. 2024");
    CHECK_STR(period(2024 * 12 + 3, 2024 * 12 + 5), "Q2 2024");
    quire_locale_use(before);
    CHECK_STR(value(1234.56, QUIRE_UNIT_CURRENCY, -1), "$1,234.56");
    quire_locale_free(de);
}

static void test_fr_and_codes(void)
{
    char why[200];
    quire_locale *fr = quire_locale_new("fr_FR", NULL, 0, why, sizeof why);
    quire_locale *gb = quire_locale_new("en-GB", "EUR", 1, why, sizeof why);

    CHECK(fr && gb);
    if (!fr || !gb)
        goto out;
    CHECK_STR(quire_locale_currency(fr), "EUR"); /* the locale's own */
    quire_locale_use(fr);
    CHECK_STR(value(1234.56, QUIRE_UNIT_CURRENCY, -1), "1" NNBSP "234,56" NBSP EURO);
    CHECK_STR(month(2024, 2, "mon"), "f\xC3\xA9vr. 2024");
    quire_locale_use(gb);
    CHECK_STR(quire_locale_name(gb), "en_GB");
    CHECK_STR(value(1234.56, QUIRE_UNIT_CURRENCY, -1), "EUR" NBSP "1,234.56");
    CHECK_STR(month(2024, 9, "mon"), "Sept 2024");
    quire_locale_use(NULL);
out:
    quire_locale_free(fr);
    quire_locale_free(gb);
}

static void test_bad(void)
{
    char why[200];

    CHECK(quire_locale_new("qq_QQ", NULL, 0, why, sizeof why) == NULL);
    CHECK_STR(why, "unknown locale \"qq_QQ\" (a language and a country: de_DE, fr_FR, en_GB)");
    CHECK(quire_locale_new("de_DE", "EUROS", 0, why, sizeof why) == NULL);
    CHECK_STR(why, "unknown currency \"EUROS\" (an ISO 4217 code: EUR, USD, GBP)");
    CHECK(quire_locale_new("de_DE", "QQQ", 0, why, sizeof why) == NULL);
    quire_locale_free(NULL);
}

int main(void)
{
    test_none();
    test_de();
    test_fr_and_codes();
    test_bad();
    return check_done("locale");
}
