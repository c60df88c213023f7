/* date.c - parsing and formatting dates and months (the arithmetic is
 * quire/plugin.h's). */
#include "date.h"

#include <stdio.h>
#include <string.h>

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

void format_month_label(char *buf, size_t n, int month)
{
    static const char *names[] = {"Jan", "Feb", "Mar", "Apr", "May", "Jun",
                                  "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"};
    snprintf(buf, n, "%s %04d", names[month % 12], month / 12);
}

void format_date(char *buf, size_t n, int32_t days)
{
    int y, m, d;
    civil_from_days(days, &y, &m, &d);
    snprintf(buf, n, "%04d-%02d-%02d", y, m, d);
}
