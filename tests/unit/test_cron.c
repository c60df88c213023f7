/* test_cron.c - cron parsing, the day rule, DST in two zones, ISO times. */
#include <stdlib.h>

#include "check.h"
#include "cron.h"

/* The next n fire times of expr after from, joined by spaces. */
static const char *fires(const char *expr, const char *zone, const char *from, int n)
{
    static char out[1024];
    cron_expr c;
    quire_error err = {0};
    time_t t;
    size_t len = 0;

    out[0] = '\0';
    if (cron_parse(expr, &c, NULL, &err) || iso_parse(from, zone, &t))
        return "(parse error)";
    while (n-- > 0) {
        cron_fire f;
        char buf[40];
        if (cron_next(&c, zone, t, &f))
            return "(none)";
        iso_format(f.at, zone, buf, sizeof buf);
        len += (size_t)snprintf(out + len, sizeof out - len, "%s%s%s", len ? " " : "", buf,
                                f.note == CRON_SHIFTED ? "!" : "");
        t = f.at;
    }
    return out;
}

static void bad_expr(const char *expr, int want_col, const char *want_msg)
{
    cron_expr c;
    quire_error err = {0};
    int col = -1;
    CHECK(cron_parse(expr, &c, &col, &err) == -1);
    CHECK(col == want_col);
    CHECK_CONTAINS(err.msg, want_msg);
}

int main(void)
{
    cron_expr c;
    quire_error err = {0};

    /* The acceptance example. */
    CHECK_STR(fires("0 6 1 * *", "Europe/Berlin", "2024-01-15T00:00:00", 3),
              "2024-02-01T06:00:00+01:00 2024-03-01T06:00:00+01:00 2024-04-01T06:00:00+02:00");
    /* Names, ranges, steps, lists, macros. */
    CHECK_STR(fires("15 9 * jan-mar mon,FRI", "UTC", "2024-01-01T00:00:00Z", 3),
              "2024-01-01T09:15:00+00:00 2024-01-05T09:15:00+00:00 2024-01-08T09:15:00+00:00");
    CHECK_STR(fires("*/20 1-2 * * *", "UTC", "2024-01-01T01:30:00Z", 3),
              "2024-01-01T01:40:00+00:00 2024-01-01T02:00:00+00:00 2024-01-01T02:20:00+00:00");
    CHECK_STR(fires("@weekly", "UTC", "2024-01-01T00:00:00Z", 1), "2024-01-07T00:00:00+00:00");
    CHECK_STR(fires("@yearly", "UTC", "2024-01-01T00:00:00Z", 1), "2025-01-01T00:00:00+00:00");
    CHECK_STR(fires("0 0 * * 7", "UTC", "2024-01-01T00:00:00Z", 1), "2024-01-07T00:00:00+00:00");
    /* The OR rule: day 13 or any Friday (2024-09-06 is a Friday). */
    CHECK_STR(fires("0 0 13 * fri", "UTC", "2024-09-01T00:00:00Z", 3),
              "2024-09-06T00:00:00+00:00 2024-09-13T00:00:00+00:00 2024-09-20T00:00:00+00:00");
    /* A day field starting with '*' is unrestricted: AND (odd days that are Mondays). */
    CHECK_STR(fires("0 0 */2 * mon", "UTC", "2024-09-01T00:00:00Z", 2),
              "2024-09-09T00:00:00+00:00 2024-09-23T00:00:00+00:00");
    CHECK(cron_parse("0 0 13 * fri", &c, NULL, &err) == 0 && !c.dom_star && !c.dow_star);
    CHECK(cron_day_matches(&c, 2024, 9, 6) && cron_day_matches(&c, 2024, 9, 13) &&
          !cron_day_matches(&c, 2024, 9, 7));

    /* Europe/Berlin, forward (2024-03-31 02:00 -> 03:00): a fixed-time job in
     * the gap runs right after it; a wall-clock job skips it. */
    CHECK_STR(fires("30 2 * * *", "Europe/Berlin", "2024-03-30T12:00:00", 2),
              "2024-03-31T03:00:00+02:00! 2024-04-01T02:30:00+02:00");
    CHECK_STR(fires("*/30 * * * *", "Europe/Berlin", "2024-03-31T01:15:00", 3),
              "2024-03-31T01:30:00+01:00 2024-03-31T03:00:00+02:00 2024-03-31T03:30:00+02:00");
    /* Backward (2024-10-27 03:00 -> 02:00): fixed-time once, wall-clock twice. */
    CHECK_STR(fires("30 2 * * *", "Europe/Berlin", "2024-10-26T12:00:00", 2),
              "2024-10-27T02:30:00+02:00 2024-10-28T02:30:00+01:00");
    CHECK_STR(fires("30 * * * *", "Europe/Berlin", "2024-10-27T01:00:00", 4),
              "2024-10-27T01:30:00+02:00 2024-10-27T02:30:00+02:00 2024-10-27T02:30:00+01:00 "
              "2024-10-27T03:30:00+01:00");
    /* America/New_York: forward 2024-03-10 02:00 -> 03:00, back 2024-11-03 02:00 -> 01:00. */
    CHECK_STR(fires("15 2 * * *", "America/New_York", "2024-03-09T12:00:00", 2),
              "2024-03-10T03:00:00-04:00! 2024-03-11T02:15:00-04:00");
    CHECK_STR(fires("30 1 * * *", "America/New_York", "2024-11-02T12:00:00", 2),
              "2024-11-03T01:30:00-04:00 2024-11-04T01:30:00-05:00");
    CHECK_STR(fires("0,30 * * * *", "America/New_York", "2024-11-03T00:45:00", 5),
              "2024-11-03T01:00:00-04:00 2024-11-03T01:30:00-04:00 2024-11-03T01:00:00-05:00 "
              "2024-11-03T01:30:00-05:00 2024-11-03T02:00:00-05:00");
    /* A step larger than the field's range keeps its first value alone, as
     * in Vixie cron: a minute step of 100 is minute 0 of every hour. */
    CHECK_STR(fires("*/100 * * * *", "UTC", "2024-01-01T00:10:00Z", 2),
              "2024-01-01T01:00:00+00:00 2024-01-01T02:00:00+00:00");
    CHECK_STR(fires("5-59/70 3 * * *", "UTC", "2024-01-01T00:00:00Z", 1),
              "2024-01-01T03:05:00+00:00");
    /* Strictly after: from a fire time, the next one. */
    CHECK_STR(fires("0 6 1 * *", "Europe/Berlin", "2024-02-01T06:00:00+01:00", 1),
              "2024-03-01T06:00:00+01:00");

    /* Errors point at the field. */
    bad_expr("61 * * * *", 0, "minute field \"61\": 61 is out of range 0-59");
    bad_expr("0 6 1 foo *", 6, "month field");
    bad_expr("0 6 * * mon-8", 8, "day-of-week field");
    bad_expr("0 6 5-1 * *", 4, "runs backwards");
    bad_expr("*/0 * * * *", 0, "step");
    bad_expr("*/99999999 * * * *", 0, "step must be a whole number from 1 up");
    bad_expr("0 6 * *", 7, "4 fields");
    bad_expr("0 6 * * * *", 10, "too many fields");
    bad_expr("@reboot", 0, "unknown \"@reboot\"");
    bad_expr("0 0 31 feb,apr *", 4, "never fires");

    CHECK(tz_check("Europe/Berlin", &err) == 0);
    CHECK(tz_check("Mars/Olympus", &err) == -1);
    CHECK(tz_check("../etc/passwd", &err) == -1);
    {
        time_t t;
        CHECK(iso_parse("2024-01-15T00:00:00+01:00", "UTC", &t) == 0 && t == 1705273200);
        CHECK(iso_parse("2024-01-15T00:00:00", "Europe/Berlin", &t) == 0 && t == 1705273200);
        CHECK(iso_parse("2024-01-15", "UTC", &t) == 0 && t == 1705276800);
        CHECK(iso_parse("2024-02-30T00:00:00", "UTC", &t) == -1);
        CHECK(iso_parse("2024-01-15T25:00", "UTC", &t) == -1);
    }
    return check_done("cron");
}
