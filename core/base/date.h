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

/* A month (or a day, when day > 0) in words, by the name of a format (its
 * first len bytes): "month" "March 2024", "mon" "Mar 2024", "quarter"
 * "Q1 2024", "year" "2024", and for a day "date" "5 March 2024". Returns 0,
 * or -1 when no format has that name. */
int format_month_as(char *buf, size_t n, int month, int day, const char *fmt, size_t len);
/* The formats format_month_as() knows, for messages: "month (March 2024), ..." */
#define DATE_FORMATS "month (March 2024), mon (Mar 2024), quarter (Q1 2024), year (2024), " \
                     "date (5 March 2024, for a date)"

/* A month ("YYYY-MM") or a date ("YYYY-MM-DD") given as text, in the
 * format named by the len bytes at fmt (format_month_as). Returns 0, or -1
 * when value is neither or no format has that name. */
int format_value_as(char *buf, size_t n, const char *value, const char *fmt, size_t len);

/* The months from to to as words: "Apr 2024" (one month), "Q2 2024" (a
 * calendar quarter), "2024" (a calendar year), "Feb–Apr 2024", "Nov 2023 –
 * Jan 2024". */
void format_period_name(char *buf, size_t n, int from, int to);

#endif
