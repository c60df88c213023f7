/*
 * format.c - values as text ("$1,234.50", "81.3%"), axis labels, UTF-8
 * decoding and greedy line breaking.
 *
 * Numbers are rounded on integers we build ourselves (half away from zero on
 * the binary value) and grouped by hand, so the output never depends on the
 * C locale: printf is used only for "%.0f" of huge values, which prints no
 * decimal point and no grouping.
 */
#include "format.h"

#include <ctype.h>
#include <math.h>
#include <stdio.h>
#include <string.h>

#include "qlocale.h"

#define MAX_DECIMALS 6

static const double pow10_tab[MAX_DECIMALS + 1] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};

/* ---------------------------------------------------------------- numbers */

/* Append src to buf[*len..n), truncating; buf stays NUL-terminated. */
static void append(char *buf, size_t n, size_t *len, const char *src)
{
    while (*src && *len + 1 < n)
        buf[(*len)++] = *src++;
    buf[*len] = '\0';
}

/*
 * Write [-]pre 1,234[.dd] suf for v with dec decimals. trim drops trailing
 * zeros of the fraction (and the point when nothing is left). A value that
 * rounds to zero is never shown as negative.
 */
static void fmt_fixed(char *buf, size_t n, double v, int dec, int trim, const char *pre,
                      const char *suf)
{
    char ip[400], grouped[540], frac[MAX_DECIMALS + 1];
    size_t len = 0, ilen, i, g, flen = 0;
    int neg = 0;
    double a;

    if (n == 0)
        return;
    buf[0] = '\0';
    if (!isfinite(v)) {
        append(buf, n, &len, QUIRE_NO_VALUE);
        return;
    }
    if (dec < 0)
        dec = 0;
    if (dec > MAX_DECIMALS)
        dec = MAX_DECIMALS;
    a = fabs(v);
    if (a * pow10_tab[dec] < 9.0e15) {
        unsigned long long scale = (unsigned long long)pow10_tab[dec];
        unsigned long long q = (unsigned long long)llround(a * pow10_tab[dec]);
        unsigned long long f = q % scale;

        snprintf(ip, sizeof ip, "%llu", q / scale);
        for (i = (size_t)dec; i > 0; i--) {
            frac[i - 1] = (char)('0' + f % 10);
            f /= 10;
        }
        flen = (size_t)dec;
        neg = v < 0 && q != 0;
    } else {
        /* Beyond 2^53 there are no fractional digits left to show. */
        snprintf(ip, sizeof ip, "%.0f", a);
        neg = v < 0;
        memset(frac, '0', (size_t)dec);
        flen = (size_t)dec;
    }
    if (trim)
        while (flen > 0 && frac[flen - 1] == '0')
            flen--;
    frac[flen] = '\0';

    ilen = strlen(ip);
    for (i = 0, g = 0; i < ilen; i++) {
        if (i > 0 && (ilen - i) % 3 == 0)
            grouped[g++] = ',';
        grouped[g++] = ip[i];
    }
    grouped[g] = '\0';

    if (neg)
        append(buf, n, &len, "-");
    append(buf, n, &len, pre);
    append(buf, n, &len, grouped);
    if (flen > 0) {
        append(buf, n, &len, ".");
        append(buf, n, &len, frac);
    }
    append(buf, n, &len, suf);
}

/* ------------------------------------------------------ a report's locale */

/* v in unit as the active locale L writes it (qlocale.h), decimals -1 = the
 * unit's default. */
static void locale_value(const quire_locale *L, char *buf, size_t n, double v, quire_unit unit,
                         int decimals)
{
    quire_lnum kind = QUIRE_LNUM_DECIMAL;
    int dec = 1, trim = 0;

    if (!isfinite(v)) {
        snprintf(buf, n, "%s", QUIRE_NO_VALUE);
        return;
    }
    switch (unit) {
    case QUIRE_UNIT_COUNT:
        dec = 0;
        break;
    case QUIRE_UNIT_CURRENCY:
        kind = QUIRE_LNUM_CURRENCY, dec = 2;
        break;
    case QUIRE_UNIT_PERCENT:
        kind = QUIRE_LNUM_PERCENT, v *= 100.0;
        break;
    case QUIRE_UNIT_DAYS:
        kind = QUIRE_LNUM_DAYS;
        break;
    case QUIRE_UNIT_MONTHS:
        kind = QUIRE_LNUM_MONTHS;
        break;
    case QUIRE_UNIT_SCORE:
        break;
    case QUIRE_UNIT_NUMBER:
    default:
        dec = 2, trim = decimals < 0;
        break;
    }
    if (decimals >= 0)
        dec = decimals;
    quire_locale_number(L, buf, n, v, kind, dec, trim, 0);
}

void quire_format_value(char *buf, size_t n, double v, quire_unit unit, int decimals)
{
    const quire_locale *L = quire_locale_active();

    if (L) {
        locale_value(L, buf, n, v, unit, decimals);
        return;
    }
    switch (unit) {
    case QUIRE_UNIT_COUNT:
        fmt_fixed(buf, n, v, decimals < 0 ? 0 : decimals, 0, "", "");
        break;
    case QUIRE_UNIT_CURRENCY:
        fmt_fixed(buf, n, v, decimals < 0 ? 2 : decimals, 0, "$", "");
        break;
    case QUIRE_UNIT_PERCENT:
        fmt_fixed(buf, n, v * 100.0, decimals < 0 ? 1 : decimals, 0, "", "%");
        break;
    case QUIRE_UNIT_SCORE:
        fmt_fixed(buf, n, v, decimals < 0 ? 1 : decimals, 0, "", "");
        break;
    case QUIRE_UNIT_DAYS:
        fmt_fixed(buf, n, v, decimals < 0 ? 1 : decimals, 0, "", " d");
        break;
    case QUIRE_UNIT_MONTHS:
        fmt_fixed(buf, n, v, decimals < 0 ? 1 : decimals, 0, "", " mo");
        break;
    case QUIRE_UNIT_NUMBER:
    default:
        if (decimals < 0)
            fmt_fixed(buf, n, v, 2, 1, "", "");
        else
            fmt_fixed(buf, n, v, decimals, 0, "", "");
        break;
    }
}

/* ---------------------------------------------------------------- changes */

double quire_change(double now, double old, quire_unit unit)
{
    if (!isfinite(now) || !isfinite(old))
        return NAN;
    if (unit == QUIRE_UNIT_PERCENT)
        return now - old;
    /* 0 is a value: from 0 to 0 is no change; from 0 to anything else has
     * no relative change (the value is new). */
    if (old == 0)
        return now == 0 ? 0 : NAN;
    return (now - old) / fabs(old);
}

/* sign, then num, then suffix; returns change, or 0 when num shows none. */
static double signed_text(char *buf, size_t n, double change, const char *num,
                          const char *suffix)
{
    const char *sign = change > 0 ? "+" : "\xE2\x88\x92";

    /* A change that rounds to zero as shown is no change: no sign. */
    if (strpbrk(num, "123456789") == NULL)
        change = 0;
    if (change == 0)
        sign = "";
    snprintf(buf, n, "%s%s%s", sign, num, suffix);
    return change;
}

double quire_format_change(char *buf, size_t n, double change, quire_unit unit, unsigned flags)
{
    char num[64];
    const char *suffix = "%";

    if (isnan(change)) {
        if (n)
            buf[0] = '\0';
        return NAN;
    }
    if (quire_locale_active()) {
        /* "+12,5 %", "−2,1 pts": the number as the locale writes it */
        quire_locale_number(quire_locale_active(), num, sizeof num, fabs(change) * 100.0,
                            unit == QUIRE_UNIT_PERCENT ? QUIRE_LNUM_DECIMAL : QUIRE_LNUM_PERCENT,
                            1, 0, 0);
        if (unit != QUIRE_UNIT_PERCENT)
            return signed_text(buf, n, change, num, "");
    } else {
        fmt_fixed(num, sizeof num, fabs(change) * 100.0, 1, 0, "", "");
    }
    if (unit == QUIRE_UNIT_PERCENT)
        suffix = flags & QUIRE_CHANGE_NOBREAK ? "\xC2\xA0pts" : " pts";
    return signed_text(buf, n, change, num, suffix);
}

double quire_change_text(char *buf, size_t n, double now, double old, quire_unit unit,
                         int decimals, unsigned flags)
{
    char num[64];

    if ((flags & QUIRE_CHANGE_FROM_ZERO) && unit != QUIRE_UNIT_PERCENT && old == 0 &&
        isfinite(now)) {
        quire_format_value(num, sizeof num, fabs(now - old), unit, decimals);
        return signed_text(buf, n, now - old, num, "");
    }
    return quire_format_change(buf, n, quire_change(now, old, unit), unit, flags);
}

/* Decimals that show multiples of step exactly: 0.05 -> 2, 2.5 -> 1, 20 -> 0. */
static int step_decimals(double step)
{
    int d = 0;

    if (!(step > 0) || !isfinite(step))
        return 0;
    while (d < MAX_DECIMALS) {
        double x = step * pow10_tab[d];

        if (fabs(x - nearbyint(x)) <= x * 1e-9)
            break;
        d++;
    }
    return d;
}

/* An axis tick in the active locale: the unit's kind, the decimals the step
 * needs, large values shortened as the locale shortens them ("1,5 Mio. €"). */
static void locale_axis(const quire_locale *L, char *buf, size_t n, double v, double step,
                        double max_abs, quire_unit unit)
{
    quire_lnum kind = unit == QUIRE_UNIT_CURRENCY ? QUIRE_LNUM_CURRENCY
                      : unit == QUIRE_UNIT_PERCENT ? QUIRE_LNUM_PERCENT
                      : unit == QUIRE_UNIT_DAYS    ? QUIRE_LNUM_DAYS
                      : unit == QUIRE_UNIT_MONTHS  ? QUIRE_LNUM_MONTHS
                                                   : QUIRE_LNUM_DECIMAL;
    int dec;

    if (unit == QUIRE_UNIT_PERCENT) {
        dec = step_decimals(step * 100.0);
        quire_locale_number(L, buf, n, v * 100.0, kind, dec < 1 ? 1 : dec, 0, 0);
        return;
    }
    if (fabs(v) < step * 1e-6) {
        quire_locale_number(L, buf, n, 0, kind, 0, 0, 0);
        return;
    }
    if (max_abs >= 1e5 && unit != QUIRE_UNIT_SCORE && step >= 1e2) {
        quire_locale_number(L, buf, n, v, kind, 2, 1, 1);
        return;
    }
    dec = step_decimals(step);
    if (unit == QUIRE_UNIT_CURRENCY && dec > 0 && dec < 2)
        dec = 2;
    quire_locale_number(L, buf, n, v, kind, dec, 0, 0);
}

void quire_format_axis(char *buf, size_t n, double v, double step, double max_abs,
                       quire_unit unit)
{
    const char *pre = unit == QUIRE_UNIT_CURRENCY ? "$" : "";
    const char *suf = unit == QUIRE_UNIT_DAYS ? " d" : unit == QUIRE_UNIT_MONTHS ? " mo" : "";
    int dec;

    if (quire_locale_active()) {
        locale_axis(quire_locale_active(), buf, n, v, step, max_abs, unit);
        return;
    }
    if (unit == QUIRE_UNIT_PERCENT) {
        dec = step_decimals(step * 100.0);
        fmt_fixed(buf, n, v * 100.0, dec < 1 ? 1 : dec, 0, "", "%");
        return;
    }
    if (fabs(v) < step * 1e-6) {
        fmt_fixed(buf, n, 0, 0, 0, pre, suf); /* "0", "$0": never "0k" or "-0" */
        return;
    }
    if (max_abs >= 1e5 && unit != QUIRE_UNIT_SCORE) {
        static const struct {
            double div, min_step;
            const char *sym;
        } big[] = {{1e9, 1e8, "B"}, {1e6, 1e5, "M"}, {1e3, 1e2, "k"}};
        char sufk[16];
        size_t k;

        for (k = 0; k < sizeof big / sizeof big[0]; k++) {
            if (step >= big[k].min_step && max_abs >= big[k].div) {
                snprintf(sufk, sizeof sufk, "%s%s", big[k].sym, suf);
                fmt_fixed(buf, n, v / big[k].div, step_decimals(step / big[k].div), 1, pre,
                          sufk);
                return;
            }
        }
    }
    dec = step_decimals(step);
    if (unit == QUIRE_UNIT_CURRENCY && dec > 0 && dec < 2)
        dec = 2;
    fmt_fixed(buf, n, v, dec, 0, pre, suf);
}

/* ------------------------------------------------------------------ UTF-8 */

uint32_t quire_utf8_next(const char *s, size_t len, size_t *i)
{
    const unsigned char *u = (const unsigned char *)s + *i;
    size_t left = len - *i, need, k;
    uint32_t cp, min;

    if (u[0] < 0x80) {
        *i += 1;
        return u[0];
    }
    if ((u[0] & 0xE0) == 0xC0) {
        need = 1, cp = u[0] & 0x1Fu, min = 0x80;
    } else if ((u[0] & 0xF0) == 0xE0) {
        need = 2, cp = u[0] & 0x0Fu, min = 0x800;
    } else if ((u[0] & 0xF8) == 0xF0) {
        need = 3, cp = u[0] & 0x07u, min = 0x10000;
    } else {
        *i += 1;
        return 0xFFFD;
    }
    if (left <= need) {
        *i += 1;
        return 0xFFFD;
    }
    for (k = 1; k <= need; k++) {
        if ((u[k] & 0xC0) != 0x80) {
            *i += 1;
            return 0xFFFD;
        }
        cp = (cp << 6) | (u[k] & 0x3Fu);
    }
    if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
        *i += 1;
        return 0xFFFD;
    }
    *i += need + 1;
    return cp;
}

size_t quire_utf8_put(char *out, uint32_t cp)
{
    if (cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
        cp = 0xFFFD;
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xC0 | (cp >> 6));
        out[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xE0 | (cp >> 12));
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        out[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    out[0] = (char)(0xF0 | (cp >> 18));
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    out[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

static const char *const unit_names[] = {"number", "count", "currency", "percent",
                                         "score", "days", "months"};

const char *quire_unit_name(quire_unit unit)
{
    return (size_t)unit < sizeof unit_names / sizeof *unit_names ? unit_names[unit] : "number";
}

int quire_unit_parse(const char *name)
{
    size_t i;

    for (i = 0; name && i < sizeof unit_names / sizeof *unit_names; i++)
        if (strcmp(name, unit_names[i]) == 0)
            return (int)i;
    return -1;
}
