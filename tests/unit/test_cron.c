/* test_cron.c - cron parsing, the day rule, DST in two zones, ISO times,
 * and the fires of a range (the same as cron_next's, found fast). */
#include <stdlib.h>
#include <time.h>

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

/* cron_between() over (from, to] gives the fires that calling cron_next()
 * one after another gives: as many, and the last `keep` the same. */
static void between_is_next(const char *expr, const char *zone, const char *from, const char *to,
                            size_t keep)
{
    cron_expr c;
    quire_error err = {0};
    time_t a, b, t;
    cron_fire *all = NULL, *last = xcalloc(keep + 1, sizeof *last), f;
    size_t n = 0, cap = 0, kept = 0, i;
    int64_t total;

    if (cron_parse(expr, &c, NULL, &err) || iso_parse(from, zone, &a) || iso_parse(to, zone, &b)) {
        CHECK(0);
        free(last);
        return;
    }
    for (t = a; cron_next(&c, zone, t, &f) == 0 && f.at <= b; t = f.at) {
        if (n == cap) {
            cap = cap ? cap * 2 : 64;
            all = xrealloc(all, cap * sizeof *all);
        }
        all[n++] = f;
    }
    total = cron_between(&c, zone, a, b, last, keep, &kept);
    if (total != (int64_t)n)
        fprintf(stderr, "%s in %s, %s to %s: %lld fires, cron_next gives %zu\n", expr, zone, from,
                to, (long long)total, n);
    CHECK(total == (int64_t)n);
    CHECK(kept == (n < keep ? n : keep));
    for (i = 0; i < kept && i < n; i++) {
        const cron_fire *x = &last[i], *y = &all[n - kept + i];
        if (x->at != y->at || x->wall != y->wall || x->note != y->note) {
            fprintf(stderr, "%s in %s: fire %zu of the last %zu: %lld/%lld/%d, cron_next %lld/%lld/%d\n",
                    expr, zone, i, kept, (long long)x->at, (long long)x->wall, (int)x->note,
                    (long long)y->at, (long long)y->wall, (int)y->note);
            CHECK(0);
            break;
        }
    }
    free(all);
    free(last);
}

static void test_between(void)
{
    static const char *const zones[] = {"Europe/Berlin", "America/New_York",
                                        "Australia/Lord_Howe", "America/Santiago",
                                        "America/Havana", "Asia/Kolkata", "UTC"};
    static const char *const exprs[] = {"30 2 * * *", "0,30 2,3 * * *", "15 0,1,23 * * sun",
                                        "0 6 1 * *", "0 0 13 * fri"};
    static const char *const dense[] = {"*/30 * * * *", "*/7 0-3,22-23 * * *"};
    /* Around the changes of 2024 in those zones. */
    static const char *const windows[][2] = {
        {"2024-03-09T00:00:00", "2024-03-12T00:00:00"}, {"2024-03-30T00:00:00", "2024-04-08T00:00:00"},
        {"2024-09-06T00:00:00", "2024-09-09T00:00:00"}, {"2024-10-05T00:00:00", "2024-10-07T00:00:00"},
        {"2024-10-26T00:00:00", "2024-10-28T00:00:00"}, {"2024-11-02T00:00:00", "2024-11-04T00:00:00"}};
    size_t z, e, k;
    cron_expr c;
    quire_error err = {0};
    time_t a, b;
    clock_t t0;
    int64_t n;

    /* Every expression in every zone through a year of changes of offset
     * (gaps, repeated hours, Lord Howe's half hour, changes at midnight in
     * Santiago and Havana), keeping few and many. */
    for (z = 0; z < sizeof zones / sizeof zones[0]; z++) {
        for (e = 0; e < sizeof exprs / sizeof exprs[0]; e++) {
            between_is_next(exprs[e], zones[z], "2024-01-01T00:00:00", "2025-01-01T00:00:00", 3);
            between_is_next(exprs[e], zones[z], "2024-02-15T10:17:00", "2024-12-02T07:00:00", 400);
        }
        for (e = 0; e < sizeof dense / sizeof dense[0]; e++)
            for (k = 0; k < sizeof windows / sizeof windows[0]; k++)
                between_is_next(dense[e], zones[z], windows[k][0], windows[k][1], 1 + k * 40);
    }
    /* Every minute, over the days of Berlin's and New York's changes. */
    between_is_next("* * * * *", "Europe/Berlin", "2024-03-30T12:00:00", "2024-04-01T00:00:00", 50);
    between_is_next("* * * * *", "Europe/Berlin", "2024-10-26T12:00:00", "2024-10-28T00:00:00", 5000);
    between_is_next("* * * * *", "America/New_York", "2024-11-02T22:00:00", "2024-11-03T04:00:00", 1000);
    /* The ends: a fire at `after` is not in, one at `until` is. */
    between_is_next("0 6 1 * *", "UTC", "2024-01-01T06:00:00", "2024-04-01T06:00:00", 2);
    between_is_next("0 6 1 * *", "UTC", "2024-01-01T06:00:00", "2024-01-01T06:00:00", 2);
    between_is_next("0 6 1 * *", "UTC", "2024-01-01T06:00:00", "2023-01-01T06:00:00", 2);

    /* A year of a per-minute schedule: counted, not listed, in well under
     * a second (listing it took over a minute). */
    CHECK(cron_parse("* * * * *", &c, NULL, &err) == 0);
    CHECK(iso_parse("2024-05-01T00:00:00Z", "UTC", &a) == 0 &&
          iso_parse("2025-05-01T00:00:00Z", "UTC", &b) == 0);
    t0 = clock();
    {
        cron_fire last[50];
        size_t kept = 0;
        n = cron_between(&c, "Europe/Berlin", a, b, last, 50, &kept);
        CHECK(n == 525600); /* a fire every minute: the clock skips none */
        CHECK(kept == 50 && last[49].at == b && last[0].at == b - 49 * 60);
    }
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5);
    /* Thirty years of it, with no fire kept. */
    t0 = clock();
    CHECK(iso_parse("1995-05-01T00:00:00Z", "UTC", &a) == 0);
    n = cron_between(&c, "Europe/Berlin", a, b, NULL, 0, NULL);
    CHECK(n == (int64_t)(b - a) / 60);
    CHECK((double)(clock() - t0) / CLOCKS_PER_SEC < 0.5);

    /* Times no calendar here holds: refused, never a long search. */
    CHECK(cron_between(&c, "UTC", (time_t)INT64_MAX - 10, (time_t)INT64_MAX, NULL, 0, NULL) == -1);
    CHECK(cron_between(&c, "UTC", 0, (time_t)INT64_MAX, NULL, 0, NULL) == -1);
    CHECK(cron_between(&c, "UTC", (time_t)INT64_MIN, 0, NULL, 0, NULL) == -1);
    {
        cron_fire f;
        CHECK(cron_next(&c, "UTC", (time_t)INT64_MAX, &f) == -1);
        CHECK(cron_next(&c, "UTC", (time_t)INT64_MIN, &f) == -1);
        CHECK(cron_next(&c, "UTC", (time_t)253402300000LL, &f) == -1);
        /* Before 1970 a wall time is negative, and still a time. */
        CHECK(cron_next(&c, "UTC", (time_t)-2208988800LL, &f) == 0 &&
              f.at == (time_t)-2208988740LL);
        CHECK(cron_next(&c, "UTC", 0, &f) == 0 && f.at == 60);
    }
    {
        /* A local mean time's offset has seconds, which ISO 8601 cannot
         * write: the time is written in UTC, and reads back the same. */
        char buf[32];
        CHECK(iso_parse("1880-01-01T00:00:00Z", "Europe/Berlin", &a) == 0);
        iso_format(a, "Europe/Berlin", buf, sizeof buf);
        CHECK(strcmp(buf, "1880-01-01T00:00:00+00:00") == 0);
        CHECK(iso_parse(buf, "Europe/Berlin", &b) == 0 && b == a);
        /* Year 0 would be year -1 in UTC, which no four digits write:
         * only the times cron handles are read. */
        CHECK(iso_parse("0000-01-01", "Australia/Lord_Howe", &a) == -1);
        CHECK(iso_parse("9999-12-31T23:59:59Z", "UTC", &a) == -1);
        CHECK(iso_parse("0001-01-03T00:00:00Z", "UTC", &a) == 0);
    }
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
        CHECK(iso_has_offset("2024-01-15T00:00:00Z") && iso_has_offset("2024-01-15T00:00:00+01:00") &&
              iso_has_offset("2024-01-15 00:00-05") && !iso_has_offset("2024-01-15T00:00:00") &&
              !iso_has_offset("2024-01-15"));
    }
    test_between();
    return check_done("cron");
}
