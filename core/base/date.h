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

/* ------------------------------------------------------------ grains
 *
 * A report counts time in one grain. A period is an index in that grain:
 * months as above (year * 12 + month - 1); ISO 8601 weeks (Monday to Sunday)
 * counted from the week of 1970-01-01 (week 0 starts Monday 1969-12-29);
 * quarters and years counted in months from the fiscal year's start, so that
 * quarter q starts in month q * 3 + (fy_start - 1) % 3 and year y in month
 * y * 12 + fy_start - 1. A fiscal year is named by the calendar years it
 * spans, "FY2011/12" (April 2011 to March 2012 with fy_start 4); with
 * fy_start 1 it is the calendar year, "2011". */
typedef enum grain_kind {
    GRAIN_MONTH = 0,   /* the default: the month indices above */
    GRAIN_WEEK,
    GRAIN_QUARTER,
    GRAIN_YEAR
} grain_kind;

typedef struct grain {
    grain_kind kind;
    int fy_start;      /* the fiscal year's first month, 1..12 (0 is read as 1) */
} grain;

/* The grains by name, for the spec and its messages. */
#define GRAIN_NAMES "week, month, quarter, year"
/* The grain called name ("week", "month", "quarter", "year"); -1 if none. */
int grain_kind_of(const char *name);
const char *grain_name(grain g);

/* The period holding day. */
int grain_period(grain g, int32_t day);
/* The first and last days of period p. */
int32_t grain_first_day(grain g, int p);
int32_t grain_last_day(grain g, int p);
/* The ISO 8601 week-numbering year and week (1..53) of a week period. */
void iso_week(int p, int *year, int *week);
/* The week period of ISO year y, week w; -1 when y has no week w. */
int iso_week_period(int y, int w);
/* The first period of p's year (its fiscal year; for a week, the year of
 * its Thursday, counted from the fiscal start): year to date runs from it. */
int grain_year_first(grain g, int p);
/* The same period a year before p: 12 months, 4 quarters, 1 year back, or
 * the week of the same ISO number in the year before; -1 when there is none
 * (week 53 of a year whose predecessor has 52). */
int grain_last_year(grain g, int p);
/* Period p as a key ("2011-W05", "2024-03", "2024-Q1" or "FY2011/12-Q1",
 * "2024" or "FY2011/12"): what scripts and attached CSVs see. */
void grain_key(char *buf, size_t n, grain g, int p);
/* The period whose grain_key() is s; -1 if none. */
int grain_parse_key(grain g, const char *s);
/* Period p in words ("2011-W05", "Mar 2024", "Q1 2024" or "Q1 FY2011/12",
 * "2024" or "FY2011/12"): axis labels, table rows, headers. */
void grain_label(char *buf, size_t n, grain g, int p);
/* The periods from to to in words: format_period_name() for months, else
 * "2011-W01 \u2013 2011-W08", one label when from == to. */
void grain_period_name(char *buf, size_t n, grain g, int from, int to);
/* A bound of the report in grain g: a month "YYYY-MM" (as a first bound,
 * the period holding its first day; as a last, its last day), a date
 * "YYYY-MM-DD" (the period holding it) or, at week grain, "YYYY-Www".
 * Returns the period, or -1. */
int grain_parse_bound(grain g, const char *s, int last);

#endif
