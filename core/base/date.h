/*
 * date.h - dates and months for the core.
 *
 * Dates are days since 1970-01-01 in the proleptic Gregorian calendar (the
 * plugin ABI's QUIRE_T_DATE); months are year * 12 + (month - 1). The
 * arithmetic is the static inline helpers of quire/plugin.h, which the
 * plugins use too; this adds the core's types, parsing and formatting.
 */
#ifndef QUIRE_DATE_H
#define QUIRE_DATE_H

#include <stddef.h>
#include <stdint.h>

#include <quire/plugin.h>

static inline int32_t days_from_civil(int y, int m, int d)
{
    return (int32_t)quire_days_from_civil(y, m, d);
}

static inline void civil_from_days(int32_t z, int *y, int *m, int *d)
{
    int64_t yy;

    quire_civil_from_days(z, &yy, m, d);
    *y = (int)yy;
}

/* Days in month m (1..12) of year y. */
static inline int days_in_month(int y, int m)
{
    return quire_days_in_month(y, m);
}

/* The last day of a month index (year * 12 + month - 1), in days. */
static inline int32_t month_last_day(int month)
{
    int y = month / 12, m = month % 12 + 1;
    return days_from_civil(y, m, days_in_month(y, m));
}

static inline int month_of_days(int32_t z)
{
    int y, m, d;
    civil_from_days(z, &y, &m, &d);
    return y * 12 + (m - 1);
}

/* Parse "YYYY-MM" into a month index; -1 on error. */
int parse_month(const char *s);
/* Parse "YYYY-MM-DD" (year 0001 or later) into days; returns 0 or -1. */
int parse_date(const char *s, int32_t *days);
/* "2024-03" */
void format_month(char *buf, size_t n, int month);
/* "Mar 2024" */
void format_month_label(char *buf, size_t n, int month);
/* "2024-03-31" */
void format_date(char *buf, size_t n, int32_t days);

#endif
