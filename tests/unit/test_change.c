/*
 * test_change.c - a change as the report shows it (format.c): the tiles'
 * change line and the insights' quire.change_text both read it from here.
 */
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "check.h"
#include "format.h"

#define MINUS "\xE2\x88\x92"
#define NBSP "\xC2\xA0"

static char buf[128];
static double shown;

/* quire_change_text into buf; the change it returns in shown. */
static const char *text(double now, double old, quire_unit unit, int decimals, unsigned flags)
{
    memset(buf, 'x', sizeof buf);
    shown = quire_change_text(buf, sizeof buf, now, old, unit, decimals, flags);
    return buf;
}

/* The change as a fraction: relative, or the difference for percent. */
static void test_value(void)
{
    CHECK(quire_change(110, 100, QUIRE_UNIT_NUMBER) == 0.1);
    CHECK(quire_change(90, 120, QUIRE_UNIT_COUNT) == -0.25);
    CHECK(quire_change(5, -10, QUIRE_UNIT_NUMBER) == 1.5);          /* relative to |old| */
    CHECK(fabs(quire_change(0.563, 0.548, QUIRE_UNIT_PERCENT) - 0.015) < 1e-12);
    CHECK(quire_change(0.5, 0, QUIRE_UNIT_PERCENT) == 0.5);          /* points from 0 */
    CHECK(isnan(quire_change(5, 0, QUIRE_UNIT_CURRENCY)));           /* no relative from 0 */
    CHECK(quire_change(0, 0, QUIRE_UNIT_CURRENCY) == 0);             /* 0 to 0: no change */
    CHECK(isnan(quire_change(NAN, 1, QUIRE_UNIT_NUMBER)));
    CHECK(isnan(quire_change(1, NAN, QUIRE_UNIT_PERCENT)));
    CHECK(isnan(quire_change(INFINITY, 1, QUIRE_UNIT_NUMBER)));
}

static void test_text(void)
{
    /* increase and decrease: one decimal, a plus or a minus sign (U+2212) */
    CHECK_STR(text(10000, 9700, QUIRE_UNIT_COUNT, -1, 0), "+3.1%");
    CHECK(fabs(shown - 300.0 / 9700) < 1e-12);
    CHECK_STR(text(70, 80, QUIRE_UNIT_SCORE, -1, 0), MINUS "12.5%");
    CHECK(shown == -0.125);
    CHECK_STR(text(5, -10, QUIRE_UNIT_NUMBER, -1, 0), "+150.0%");
    CHECK_STR(text(2761, 2205, QUIRE_UNIT_COUNT, -1, 0), "+25.2%");
    CHECK_STR(text(12500, 1000, QUIRE_UNIT_CURRENCY, 2, 0), "+1,150.0%");

    /* percent: percentage points, joined by a space or a no-break space */
    CHECK_STR(text(0.563, 0.548, QUIRE_UNIT_PERCENT, -1, 0), "+1.5 pts");
    CHECK_STR(text(0.548, 0.563, QUIRE_UNIT_PERCENT, -1, QUIRE_CHANGE_NOBREAK),
              MINUS "1.5" NBSP "pts");
    CHECK(shown < 0);
    CHECK_STR(text(0.5, 0, QUIRE_UNIT_PERCENT, -1, 0), "+50.0 pts");

    /* rounds to zero: no sign, and the change shown is 0 */
    CHECK_STR(text(0.2790, 0.2792, QUIRE_UNIT_PERCENT, -1, 0), "0.0 pts");
    CHECK(shown == 0);
    CHECK_STR(text(6.4, 6.4, QUIRE_UNIT_NUMBER, -1, 0), "0.0%");
    CHECK(shown == 0);
    CHECK_STR(text(100.04, 100, QUIRE_UNIT_NUMBER, -1, 0), "0.0%");
    CHECK(shown == 0);
    CHECK_STR(text(99.96, 100, QUIRE_UNIT_NUMBER, -1, 0), "0.0%");
    CHECK(shown == 0);
    CHECK_STR(text(100.06, 100, QUIRE_UNIT_NUMBER, -1, 0), "+0.1%");
    /* 0 is a value: from $0 to $0 is no change, not a missing one */
    CHECK_STR(text(0, 0, QUIRE_UNIT_CURRENCY, -1, 0), "0.0%");
    CHECK(shown == 0);

    /* nothing to show: a missing value, or a relative change from 0 */
    CHECK_STR(text(NAN, 100, QUIRE_UNIT_NUMBER, -1, 0), "");
    CHECK(isnan(shown));
    CHECK_STR(text(100, NAN, QUIRE_UNIT_PERCENT, -1, QUIRE_CHANGE_FROM_ZERO), "");
    CHECK(isnan(shown));
    CHECK_STR(text(5, 0, QUIRE_UNIT_COUNT, -1, 0), "");
    CHECK(isnan(shown));

    /* from zero, on request: the difference in the unit and its decimals */
    CHECK_STR(text(5, 0, QUIRE_UNIT_COUNT, -1, QUIRE_CHANGE_FROM_ZERO), "+5");
    CHECK(shown == 5);
    CHECK_STR(text(-12, 0, QUIRE_UNIT_CURRENCY, -1, QUIRE_CHANGE_FROM_ZERO), MINUS "$12.00");
    CHECK(shown == -12);
    CHECK_STR(text(1.25, 0, QUIRE_UNIT_DAYS, 2, QUIRE_CHANGE_FROM_ZERO), "+1.25 d");
    CHECK_STR(text(0.001, 0, QUIRE_UNIT_NUMBER, -1, QUIRE_CHANGE_FROM_ZERO), "0");
    CHECK(shown == 0);
    CHECK_STR(text(0, 0, QUIRE_UNIT_CURRENCY, -1, QUIRE_CHANGE_FROM_ZERO), "$0.00");
    CHECK(shown == 0);
    /* percent is always in points, from 0 too */
    CHECK_STR(text(0.25, 0, QUIRE_UNIT_PERCENT, -1, QUIRE_CHANGE_FROM_ZERO), "+25.0 pts");
}

/* A change computed elsewhere (a mean of changes) reads the same. */
static void test_format(void)
{
    CHECK(quire_format_change(buf, sizeof buf, 0.125, QUIRE_UNIT_NUMBER, 0) == 0.125);
    CHECK_STR(buf, "+12.5%");
    CHECK(quire_format_change(buf, sizeof buf, -0.021, QUIRE_UNIT_PERCENT, 0) == -0.021);
    CHECK_STR(buf, MINUS "2.1 pts");
    CHECK(quire_format_change(buf, sizeof buf, -0.0004, QUIRE_UNIT_NUMBER, 0) == 0);
    CHECK_STR(buf, "0.0%");
    CHECK(isnan(quire_format_change(buf, sizeof buf, NAN, QUIRE_UNIT_NUMBER, 0)));
    CHECK_STR(buf, "");
    /* a short buffer is cut, never overrun */
    memset(buf, 'x', sizeof buf);
    quire_format_change(buf, 4, 0.125, QUIRE_UNIT_NUMBER, 0);
    CHECK_STR(buf, "+12");
    CHECK(buf[4] == 'x');
}

int main(void)
{
    test_value();
    test_text();
    test_format();
    return check_done("change");
}
