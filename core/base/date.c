/* date.c - parsing and formatting dates and months (the arithmetic is
 * quire/plugin.h's). */
#include "date.h"

#include <stdio.h>
#include <string.h>

#include "qlocale.h"

static int digits(const char *s, int n)
{
    int v = 0, i;
    for (i = 0; i < n; i++) {
        if (s[i] < '0' || s[i] > '9')
            return -1;
        v = v * 10 + (s[i] - '0');
    }
    return v;
}

int parse_month(const char *s)
{
    int y, m;
    if (strlen(s) != 7 || s[4] != '-')
        return -1;
    y = digits(s, 4);
    m = digits(s + 5, 2);
    if (y < 1 || m < 1 || m > 12)
        return -1;
    return y * 12 + m - 1;
}

int parse_date(const char *s, int32_t *days)
{
    size_t n = strlen(s);
    int64_t d;

    if (n != 10 || memcmp(s, "0000", 4) == 0 || quire_parse_iso_date(s, n, &d))
        return -1;
    *days = (int32_t)d;
    return 0;
}

void format_month(char *buf, size_t n, int month)
{
    snprintf(buf, n, "%04d-%02d", month / 12, month % 12 + 1);
}

static const char *const short_names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                           "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
static const char *const long_names[] = {"January", "February", "March", "April",
                                          "May", "June", "July", "August",
                                          "September", "October", "November", "December"};

void format_month_label(char *buf, size_t n, int month)
{
    if (quire_locale_active() && quire_locale_month(quire_locale_active(), buf, n, month, 0) == 0)
        return;
    snprintf(buf, n, "%s %04d", short_names[month % 12], month / 12);
}

static int named(const char *fmt, size_t len, const char *name)
{
    return strlen(name) == len && strncmp(fmt, name, len) == 0;
}

/* A month in words in the report's locale (qlocale.h): 0, or -1 when there
 * is none or the format is not one it words. */
static int locale_month_as(char *buf, size_t n, int month, int day, const char *fmt, size_t len)
{
    const quire_locale *L = quire_locale_active();

    if (!L)
        return -1;
    if (named(fmt, len, "month"))
        return quire_locale_month(L, buf, n, month, 1);
    if (named(fmt, len, "mon"))
        return quire_locale_month(L, buf, n, month, 0);
    if (named(fmt, len, "quarter"))
        return quire_locale_quarter(L, buf, n, month);
    if (day > 0 && named(fmt, len, "date"))
        return quire_locale_day(L, buf, n, month / 12, month % 12 + 1, day);
    return -1;
}

int format_month_as(char *buf, size_t n, int month, int day, const char *fmt, size_t len)
{
    if (locale_month_as(buf, n, month, day, fmt, len) == 0)
        return 0;
    if (named(fmt, len, "month"))
        snprintf(buf, n, "%s %04d", long_names[month % 12], month / 12);
    else if (named(fmt, len, "mon"))
        format_month_label(buf, n, month);
    else if (named(fmt, len, "quarter"))
        snprintf(buf, n, "Q%d %04d", month % 12 / 3 + 1, month / 12);
    else if (named(fmt, len, "year"))
        snprintf(buf, n, "%04d", month / 12);
    else if (day > 0 && named(fmt, len, "date"))
        snprintf(buf, n, "%d %s %04d", day, long_names[month % 12], month / 12);
    else
        return -1;
    return 0;
}

int format_value_as(char *buf, size_t n, const char *value, const char *fmt, size_t len)
{
    int32_t days;
    int y, m, d;

    if (parse_date(value, &days) == 0) {
        civil_from_days(days, &y, &m, &d);
        return format_month_as(buf, n, y * 12 + m - 1, d, fmt, len);
    }
    if ((m = parse_month(value)) < 0)
        return -1;
    return format_month_as(buf, n, m, 0, fmt, len);
}

void format_period_name(char *buf, size_t n, int from, int to)
{
    if (from == to)
        format_month_label(buf, n, from);
    else if (from % 3 == 0 && to == from + 2)
        format_month_as(buf, n, from, 0, "quarter", 7);
    else if (from % 12 == 0 && to == from + 11)
        snprintf(buf, n, "%04d", from / 12);
    else if (quire_locale_active() &&
             quire_locale_months(quire_locale_active(), buf, n, from, to) == 0)
        return;
    else if (from / 12 == to / 12)
        snprintf(buf, n, "%s\xE2\x80\x93%s %04d", short_names[from % 12], short_names[to % 12],
                 to / 12);
    else
        snprintf(buf, n, "%s %04d \xE2\x80\x93 %s %04d", short_names[from % 12], from / 12,
                 short_names[to % 12], to / 12);
}

void format_date(char *buf, size_t n, int32_t days)
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
}
