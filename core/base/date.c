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

/* ------------------------------------------------------------ grains */

static int floordiv(int a, int b)
{
    return a >= 0 ? a / b : -((-a + b - 1) / b);
}

static int fy_off(grain g)
{
    return (g.fy_start >= 1 && g.fy_start <= 12 ? g.fy_start : 1) - 1;
}

int grain_kind_of(const char *name)
{
    static const char *const names[] = {"month", "week", "quarter", "year"};
    int i;

    for (i = 0; i < 4; i++)
        if (strcmp(name, names[i]) == 0)
            return i;
    return -1;
}

const char *grain_name(grain g)
{
    static const char *const names[] = {"month", "week", "quarter", "year"};
    return names[g.kind];
}

/* The first month of quarter or year p. */
static int first_month(grain g, int p)
{
    return g.kind == GRAIN_QUARTER ? p * 3 + fy_off(g) % 3 : p * 12 + fy_off(g);
}

int grain_period(grain g, int32_t day)
{
    switch (g.kind) {
    case GRAIN_WEEK:
        return floordiv((int)day + 3, 7);
    case GRAIN_QUARTER:
        return floordiv(month_of_days(day) - fy_off(g) % 3, 3);
    case GRAIN_YEAR:
        return floordiv(month_of_days(day) - fy_off(g), 12);
    default:
        return month_of_days(day);
    }
}

int32_t grain_first_day(grain g, int p)
{
    int m;

    switch (g.kind) {
    case GRAIN_WEEK:
        return (int32_t)p * 7 - 3;
    case GRAIN_QUARTER:
    case GRAIN_YEAR:
        m = first_month(g, p);
        return days_from_civil(m / 12, m % 12 + 1, 1);
    default:
        return days_from_civil(p / 12, p % 12 + 1, 1);
    }
}

int32_t grain_last_day(grain g, int p)
{
    switch (g.kind) {
    case GRAIN_WEEK:
        return (int32_t)p * 7 + 3;
    case GRAIN_QUARTER:
        return month_last_day(first_month(g, p) + 2);
    case GRAIN_YEAR:
        return month_last_day(first_month(g, p) + 11);
    default:
        return month_last_day(p);
    }
}

void iso_week(int p, int *year, int *week)
{
    int32_t thu = (int32_t)p * 7; /* the week's Thursday names its year */
    int m, d;

    civil_from_days(thu, year, &m, &d);
    *week = (int)((thu - days_from_civil(*year, 1, 1)) / 7) + 1;
}

int iso_week_period(int y, int w)
{
    grain wk = {GRAIN_WEEK, 1};
    int p, yy, ww;

    if (w < 1 || w > 53)
        return -1;
    p = grain_period(wk, days_from_civil(y, 1, 4)) + w - 1; /* week 1 holds 4 January */
    iso_week(p, &yy, &ww);
    return yy == y ? p : -1;
}

int grain_year_first(grain g, int p)
{
    int off = fy_off(g), m;

    switch (g.kind) {
    case GRAIN_WEEK:
        m = floordiv(month_of_days((int32_t)p * 7) - off, 12) * 12 + off;
        /* the first week whose Thursday lies in the year */
        return grain_period(g, days_from_civil(m / 12, m % 12 + 1, 1) + 3);
    case GRAIN_QUARTER:
        m = floordiv(first_month(g, p) - off, 12) * 12 + off;
        return (m - off % 3) / 3;
    case GRAIN_YEAR:
        return p;
    default:
        return floordiv(p - off, 12) * 12 + off;
    }
}

int grain_last_year(grain g, int p)
{
    int y, w;

    switch (g.kind) {
    case GRAIN_WEEK:
        iso_week(p, &y, &w);
        return iso_week_period(y - 1, w);
    case GRAIN_QUARTER:
        return p - 4;
    case GRAIN_YEAR:
        return p - 1;
    default:
        return p - 12;
    }
}

/* The fiscal year's calendar start year and the quarter's number in it. */
static void fiscal_of(grain g, int p, int *fy, int *q)
{
    int m = first_month(g, p), off = fy_off(g);

    *fy = floordiv(m - off, 12);
    *q = (m - (*fy * 12 + off)) / 3 + 1;
}

static void grain_text(char *buf, size_t n, grain g, int p, int key)
{
    int y, w;

    switch (g.kind) {
    case GRAIN_WEEK:
        iso_week(p, &y, &w);
        snprintf(buf, n, "%04d-W%02d", y, w);
        break;
    case GRAIN_QUARTER:
        fiscal_of(g, p, &y, &w);
        if (fy_off(g) == 0 && key)
            snprintf(buf, n, "%04d-Q%d", y, w);
        else if (fy_off(g) == 0)
            snprintf(buf, n, "Q%d %04d", w, y);
        else if (key)
            snprintf(buf, n, "FY%04d/%02d-Q%d", y, (y + 1) % 100, w);
        else
            snprintf(buf, n, "Q%d FY%04d/%02d", w, y, (y + 1) % 100);
        break;
    case GRAIN_YEAR:
        if (fy_off(g) == 0)
            snprintf(buf, n, "%04d", p);
        else
            snprintf(buf, n, "FY%04d/%02d", p, (p + 1) % 100);
        break;
    default:
        if (key)
            format_month(buf, n, p);
        else
            format_month_label(buf, n, p);
        break;
    }
}

void grain_key(char *buf, size_t n, grain g, int p)
{
    grain_text(buf, n, g, p, 1);
}

void grain_label(char *buf, size_t n, grain g, int p)
{
    grain_text(buf, n, g, p, 0);
}

void grain_period_name(char *buf, size_t n, grain g, int from, int to)
{
    char a[32], b[32];

    if (g.kind == GRAIN_MONTH) {
        format_period_name(buf, n, from, to);
        return;
    }
    grain_label(a, sizeof a, g, from);
    if (from == to) {
        snprintf(buf, n, "%s", a);
        return;
    }
    grain_label(b, sizeof b, g, to);
    snprintf(buf, n, "%s \xE2\x80\x93 %s", a, b);
}

int grain_parse_bound(grain g, const char *s, int last)
{
    int32_t day;
    int m, y, w;

    if (parse_date(s, &day) == 0)
        return grain_period(g, day);
    if ((m = parse_month(s)) >= 0)
        return grain_period(g, last ? month_last_day(m) : days_from_civil(m / 12, m % 12 + 1, 1));
    if (g.kind == GRAIN_WEEK && strlen(s) == 8 && s[4] == '-' && s[5] == 'W' &&
        (y = digits(s, 4)) >= 1 && (w = digits(s + 6, 2)) >= 1)
        return iso_week_period(y, w);
    return -1;
}

int grain_parse_key(grain g, const char *s)
{
    const char *t = s;
    char back[32];
    int y, p, n = 1;

    if (g.kind == GRAIN_MONTH)
        return parse_month(s);
    if (strncmp(t, "FY", 2) == 0)
        t += 2;
    if ((y = digits(t, 4)) < 1)
        return -1;
    switch (g.kind) {
    case GRAIN_WEEK:
        return strlen(s) == 8 && s[4] == '-' && s[5] == 'W' && (n = digits(s + 6, 2)) >= 1
                   ? iso_week_period(y, n) : -1;
    case GRAIN_QUARTER:
        if ((t = strchr(t, 'Q')) == NULL || (n = digits(t + 1, 1)) < 1 || n > 4)
            return -1;
        p = (y * 12 + fy_off(g) + (n - 1) * 3 - fy_off(g) % 3) / 3;
        break;
    default:
        p = y;
        break;
    }
    grain_key(back, sizeof back, g, p);
    return strcmp(back, s) == 0 ? p : -1;
}
