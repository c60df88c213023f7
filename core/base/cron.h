/*
 * cron.h - cron expressions, time zones and the next fire time.
 *
 * Expressions have Debian cron's meaning: five fields (minute, hour, day of
 * month, month, day of week) of numbers, names (jan, mon), ranges, steps and
 * lists, or one of @hourly @daily @weekly @monthly @yearly. When both day
 * fields are restricted a day matches when either does; a field whose text
 * starts with '*' (including "*" followed by a step) counts as unrestricted.
 *
 * Times are Unix times (time_t). Local "wall" times are naive seconds: the
 * local calendar fields counted as if they were UTC (so 2024-03-31 02:30 is
 * days_from_civil(2024,3,31) * 86400 + 9000 whatever the zone).
 *
 * Zones are IANA names looked up in the system zoneinfo; the process's TZ is
 * set to the zone being worked on (tz_use), so the functions here are not
 * for use from several threads.
 */
#ifndef QUIRE_CRON_H
#define QUIRE_CRON_H

#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "error.h"

typedef struct cron_expr {
    uint64_t minute;      /* bit n: minute n, 0-59 */
    uint32_t hour;        /* 0-23 */
    uint32_t dom;         /* 1-31 */
    uint32_t month;       /* 1-12 */
    uint32_t dow;         /* 0-6, Sunday = 0 */
    int dom_star, dow_star;
    int fixed_time;       /* neither minute nor hour starts with '*' */
} cron_expr;

/* Parse text. On error returns -1 with err set (code QUIRE_EXIT_USAGE) to a
 * message without location ("minute field \"61\": 61 is out of range 0-59")
 * and *col (when not NULL) to the 0-based offset of the bad field in text. */
int cron_parse(const char *text, cron_expr *c, int *col, quire_error *err);

/* Does the day (y, m, d) match the day fields, by Debian's rule? */
int cron_day_matches(const cron_expr *c, int y, int m, int d);

typedef enum cron_note {
    CRON_ON_TIME = 0,
    CRON_SHIFTED,   /* the wall time was skipped by a forward change: fired after it */
    CRON_ONCE,      /* the wall time occurs twice: a fixed-time job fires at the first */
    CRON_REPEATED   /* a wall-clock job in a repeated hour: this is the second pass */
} cron_note;

typedef struct cron_fire {
    time_t at;        /* when it fires */
    int64_t wall;     /* the local time it stands for (naive seconds) */
    cron_note note;
} cron_fire;

/* The first fire strictly after `after` in the zone. Returns 0, or -1 when
 * the expression matches no time within the next 30 years, or `after` is
 * outside the years cron handles (about 0001 to 9968). */
int cron_next(const cron_expr *c, const char *zone, time_t after, cron_fire *out);

/* The fires strictly after `after` and at or before `until`, exactly those
 * that calling cron_next() from `after` would give one after another:
 * returns their number, and puts the last `keep` of them (oldest first) in
 * out, *kept of them (out may be NULL when keep is 0). Its time grows with
 * the days of the range, not its fires: a year of a per-minute schedule is
 * counted without listing it. Returns -1 when a time is outside the years
 * cron handles (about 0001 to 9968). */
int64_t cron_between(const cron_expr *c, const char *zone, time_t after, time_t until,
                     cron_fire *out, size_t keep, size_t *kept);

/* Check that zone names a zone of the system zoneinfo. */
int tz_check(const char *zone, quire_error *err);
/* Make zone the process's local zone (TZ + tzset) when it is not already. */
void tz_use(const char *zone);
/* The UTC offset in seconds east at t in the current zone. */
long tz_offset(time_t t);
/* The instants whose local time is wall: 0 (a gap), 1 or 2 (an overlap),
 * earliest first. */
int tz_instants(int64_t wall, time_t out[2]);

/* "2021-03-28T04:00:00+03:00" in zone; in UTC ("+00:00") when the zone's
 * offset then has seconds (local mean time before 1900 or so), so that
 * iso_parse() reads back the same instant. buf of 32 bytes is enough. */
void iso_format(time_t t, const char *zone, char *buf, size_t n);
/* Parse an ISO 8601 time: YYYY-MM-DD[(T| )HH:MM[:SS]][Z|+HH[:MM]|-HH[:MM]].
 * Without an offset it is read in zone (the earlier of two instants, the end
 * of a gap). Returns 0, or -1 when it is not one, or not a time cron handles
 * (about 0001-01-03 to 9968). */
int iso_parse(const char *s, const char *zone, time_t *out);
/* Does the ISO 8601 time s carry a UTC offset (Z, +HH:MM, -HH:MM)? */
int iso_has_offset(const char *s);
/* Naive seconds to calendar fields. */
void wall_split(int64_t wall, int *y, int *mo, int *d, int *h, int *mi, int *s);

#endif
