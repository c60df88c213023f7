/*
 * qlocale.c - a report's locale over ICU's C API: number formatters
 * (unumf_*, from skeletons), date formatters (udat_*, with patterns from
 * udatpg_*) and date interval formatters (udtitvfmt_*).
 *
 * Number formatters are made on first use, one per kind, decimals, trimming
 * and compactness, under the locale's lock, and then only read: ICU's
 * UNumberFormatter may be used by several threads at once. Date formatters
 * are made with the locale and used under its lock (a UDateFormat keeps a
 * calendar it changes as it formats).
 */
#include "qlocale.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <unicode/ucurr.h>
#include <unicode/udat.h>
#include <unicode/udateintervalformat.h>
#include <unicode/udatpg.h>
#include <unicode/uloc.h>
#include <unicode/unumberformatter.h>
#include <unicode/ustring.h>

#include "dynlib.h"
#include "util.h"

#define MAX_DEC 6

enum { DATE_MON, DATE_MONTH, DATE_QUARTER, DATE_DAY, DATE_NUMERIC, DATE_N };

struct quire_locale {
    char name[ULOC_FULLNAME_CAPACITY];
    char currency[4];
    int show_code;
    pthread_mutex_t lock;
    /* [kind][decimals][trim][compact], made on first use */
    UNumberFormatter *num[QUIRE_LNUM_NKINDS][MAX_DEC + 1][2][2];
    UDateFormat *date[DATE_N];
    UDateIntervalFormat *range;
};

/* ICU, loaded when the first locale is made (dynlib.h): a report without a
 * locale or a currency does not pay for loading it. */
#define ICU_API(X)                                                                             \
    X(u_errorName) X(u_strToUTF8) X(ucurr_forLocale) X(ucurr_isAvailable) X(udat_close)        \
    X(udat_format) X(udat_open) X(udatpg_close) X(udatpg_getBestPattern) X(udatpg_open)        \
    X(udtitvfmt_close) X(udtitvfmt_format) X(udtitvfmt_open) X(uloc_canonicalize)              \
    X(uloc_countAvailable) X(uloc_getAvailable) X(uloc_getLanguage) X(unumf_close)             \
    X(unumf_closeResult) X(unumf_formatDouble) X(unumf_openForSkeletonAndLocale)               \
    X(unumf_openResult) X(unumf_resultToString)
static struct {
    ICU_API(DYNLIB_FIELD)
} icu;
static pthread_once_t icu_once = PTHREAD_ONCE_INIT;
static char icu_why[300]; /* empty: bound */

static void icu_bind(void)
{
    void *h = dynlib_open(QUIRE_SONAME_ICU, icu_why, sizeof icu_why);

#define BIND(f) || dynlib_sym(h, DYNLIB_STR(f), (void **)&icu.f, icu_why, sizeof icu_why)
    if (!h ICU_API(BIND))
        return;
#undef BIND
    icu_why[0] = 0;
}

static const quire_locale *active;

/* ---------------------------------------------------------------- text */

/* ASCII s into a UChar buffer of cap units (NUL-terminated). */
static void to_uchars(UChar *out, size_t cap, const char *s)
{
    size_t i;

    for (i = 0; s[i] && i + 1 < cap; i++)
        out[i] = (UChar)(unsigned char)s[i];
    out[i] = 0;
}

/* UTF-16 u (len units) as UTF-8 into buf; -1 (buf empty) when it fails or
 * does not fit. */
static int to_utf8(char *buf, size_t n, const UChar *u, int32_t len)
{
    UErrorCode st = U_ZERO_ERROR;
    int32_t got = 0;

    if (n == 0)
        return -1;
    icu.u_strToUTF8(buf, (int32_t)(n > 0x7fffffff ? 0x7fffffff : n), &got, u, len, &st);
    if (U_FAILURE(st) || (size_t)got >= n) {
        buf[0] = '\0';
        return -1;
    }
    buf[got] = '\0';
    return 0;
}

/* ------------------------------------------------------------ the locale */

/* Whether ICU has data for the language of loc. */
static int known_language(const char *loc)
{
    char lang[ULOC_LANG_CAPACITY], other[ULOC_LANG_CAPACITY];
    UErrorCode st = U_ZERO_ERROR;
    int32_t i, count = icu.uloc_countAvailable();

    icu.uloc_getLanguage(loc, lang, sizeof lang, &st);
    if (U_FAILURE(st) || !lang[0])
        return 0;
    for (i = 0; i < count; i++) {
        st = U_ZERO_ERROR;
        icu.uloc_getLanguage(icu.uloc_getAvailable(i), other, sizeof other, &st);
        if (U_SUCCESS(st) && strcmp(lang, other) == 0)
            return 1;
    }
    return 0;
}

static UDateFormat *date_fmt(const char *loc, UDateTimePatternGenerator *gen, const char *skel)
{
    UChar sk[32], pat[128];
    UErrorCode st = U_ZERO_ERROR;
    int32_t len;

    to_uchars(sk, sizeof sk / sizeof *sk, skel);
    len = icu.udatpg_getBestPattern(gen, sk, -1, pat, (int32_t)(sizeof pat / sizeof *pat), &st);
    if (U_FAILURE(st))
        return NULL;
    return icu.udat_open(UDAT_PATTERN, UDAT_PATTERN, loc, u"UTC", -1, pat, len, &st);
}

quire_locale *quire_locale_new(const char *name, const char *currency, int show_code,
                               char *why, size_t n)
{
    static const char *const skel[DATE_N] = {"yMMM", "yMMMM", "yQQQ", "yMMMMd", "yMMdd"};
    quire_locale *l;
    UErrorCode st = U_ZERO_ERROR;
    UDateTimePatternGenerator *gen;
    UChar cur[4];
    size_t i;

    pthread_once(&icu_once, icu_bind);
    if (icu_why[0]) {
        snprintf(why, n, "locales need ICU: %s", icu_why);
        return NULL;
    }
    l = xcalloc(1, sizeof *l);
    pthread_mutex_init(&l->lock, NULL);
    icu.uloc_canonicalize(name ? name : "en_US", l->name, sizeof l->name, &st);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING || !known_language(l->name)) {
        snprintf(why, n, "unknown locale \"%s\" (a language and a country: de_DE, fr_FR, en_GB)",
                 name ? name : "");
        quire_locale_free(l);
        return NULL;
    }
    st = U_ZERO_ERROR;
    if (currency) {
        for (i = 0; i < 3; i++)
            if (currency[i] < 'A' || currency[i] > 'Z')
                break;
        to_uchars(cur, 4, currency);
        if (i < 3 || currency[3] || !icu.ucurr_isAvailable(cur, U_DATE_MIN, U_DATE_MAX, &st) ||
            U_FAILURE(st)) {
            snprintf(why, n, "unknown currency \"%s\" (an ISO 4217 code: EUR, USD, GBP)",
                     currency);
            quire_locale_free(l);
            return NULL;
        }
        memcpy(l->currency, currency, 4);
    } else {
        int32_t len = icu.ucurr_forLocale(l->name, cur, 4, &st);

        if (U_FAILURE(st) || len != 3)
            memcpy(l->currency, "USD", 4);
        else
            for (i = 0; i < 4; i++)
                l->currency[i] = (char)cur[i];
    }
    l->show_code = show_code;

    st = U_ZERO_ERROR;
    gen = icu.udatpg_open(l->name, &st);
    if (U_FAILURE(st)) {
        snprintf(why, n, "locale \"%s\": %s", l->name, icu.u_errorName(st));
        quire_locale_free(l);
        return NULL;
    }
    for (i = 0; i < DATE_N; i++)
        l->date[i] = date_fmt(l->name, gen, skel[i]);
    icu.udatpg_close(gen);
    st = U_ZERO_ERROR;
    l->range = icu.udtitvfmt_open(l->name, u"yMMM", -1, u"UTC", -1, &st);
    for (i = 0; i < DATE_N; i++)
        if (!l->date[i])
            break;
    if (i < DATE_N || U_FAILURE(st) || !l->range) {
        snprintf(why, n, "locale \"%s\": no date formats", l->name);
        quire_locale_free(l);
        return NULL;
    }
    return l;
}

void quire_locale_free(quire_locale *l)
{
    size_t k, d, t, c;

    if (!l)
        return;
    for (k = 0; k < QUIRE_LNUM_NKINDS; k++)
        for (d = 0; d <= MAX_DEC; d++)
            for (t = 0; t < 2; t++)
                for (c = 0; c < 2; c++)
                    if (l->num[k][d][t][c])
                        icu.unumf_close(l->num[k][d][t][c]);
    for (k = 0; k < DATE_N; k++)
        if (l->date[k])
            icu.udat_close(l->date[k]);
    if (l->range)
        icu.udtitvfmt_close(l->range);
    pthread_mutex_destroy(&l->lock);
    free(l);
}

const char *quire_locale_name(const quire_locale *l)
{
    return l->name;
}

const char *quire_locale_currency(const quire_locale *l)
{
    return l->currency;
}

const quire_locale *quire_locale_use(const quire_locale *l)
{
    const quire_locale *before = active;

    active = l;
    return before;
}

const quire_locale *quire_locale_active(void)
{
    return active;
}

/* ---------------------------------------------------------------- numbers */

/* The formatter of a kind, made on first use (under the lock). */
static const UNumberFormatter *number_fmt(const quire_locale *cl, quire_lnum kind, int dec,
                                          int trim, int compact)
{
    quire_locale *l = (quire_locale *)cl; /* the cache is not the locale's meaning */
    UNumberFormatter **slot = &l->num[kind][dec][trim][compact];
    const UNumberFormatter *f;

    pthread_mutex_lock(&l->lock);
    if (!*slot) {
        char sk[160];
        UChar usk[160];
        char prec[24];
        UErrorCode st = U_ZERO_ERROR;
        const char *unit = "";
        char curunit[48];

        if (dec == 0)
            snprintf(prec, sizeof prec, "precision-integer");
        else {
            int i;

            prec[0] = '.';
            for (i = 0; i < dec; i++)
                prec[1 + i] = trim ? '#' : '0';
            prec[1 + dec] = '\0';
        }
        switch (kind) {
        case QUIRE_LNUM_CURRENCY:
            snprintf(curunit, sizeof curunit, "currency/%s%s", l->currency,
                     l->show_code ? " unit-width-iso-code" : "");
            unit = curunit;
            break;
        case QUIRE_LNUM_PERCENT:
            unit = "percent";
            break;
        case QUIRE_LNUM_DAYS:
            unit = "measure-unit/duration-day unit-width-short";
            break;
        case QUIRE_LNUM_MONTHS:
            unit = "measure-unit/duration-month unit-width-short";
            break;
        default:
            break;
        }
        snprintf(sk, sizeof sk, "%s%s%s %s rounding-mode-half-up", compact ? "compact-short " : "",
                 unit, *unit ? " " : "", prec);
        to_uchars(usk, sizeof usk / sizeof *usk, sk);
        *slot = icu.unumf_openForSkeletonAndLocale(usk, -1, l->name, &st);
        if (U_FAILURE(st) && *slot) {
            icu.unumf_close(*slot);
            *slot = NULL;
        }
    }
    f = *slot;
    pthread_mutex_unlock(&l->lock);
    return f;
}

int quire_locale_number(const quire_locale *l, char *buf, size_t n, double v, quire_lnum kind,
                        int decimals, int trim, int compact)
{
    const UNumberFormatter *f;
    UFormattedNumber *res;
    UErrorCode st = U_ZERO_ERROR;
    UChar out[128];
    int32_t len;
    int rc = -1;

    if (n)
        buf[0] = '\0';
    if ((unsigned)kind >= QUIRE_LNUM_NKINDS)
        kind = QUIRE_LNUM_DECIMAL;
    decimals = decimals < 0 ? 0 : decimals > MAX_DEC ? MAX_DEC : decimals;
    f = number_fmt(l, kind, decimals, trim != 0, compact != 0);
    if (!f)
        return -1;
    res = icu.unumf_openResult(&st);
    if (U_FAILURE(st))
        return -1;
    /* A value that rounds to zero is never shown as negative. */
    if (v < 0 && v > -0.5 / pow(10, decimals))
        v = 0;
    icu.unumf_formatDouble(f, v, res, &st);
    len = icu.unumf_resultToString(res, out, (int32_t)(sizeof out / sizeof *out), &st);
    if (U_SUCCESS(st) && st != U_STRING_NOT_TERMINATED_WARNING)
        rc = to_utf8(buf, n, out, len);
    icu.unumf_closeResult(res);
    return rc;
}

/* ------------------------------------------------------------------ dates */

static UDate udate(int year, int month, int day)
{
    /* days from civil (the proleptic Gregorian calendar), as quire/plugin.h
     * counts them; kept here so that base's locale needs no date.h */
    long long y = year - (month <= 2);
    long long era = (y >= 0 ? y : y - 399) / 400;
    long long yoe = y - era * 400;
    long long doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
    long long doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

    return (UDate)(era * 146097 + doe - 719468) * 86400000.0;
}

static int fmt_date(const quire_locale *cl, int which, char *buf, size_t n, UDate d)
{
    quire_locale *l = (quire_locale *)cl;
    UErrorCode st = U_ZERO_ERROR;
    UChar out[128];
    int32_t len;

    pthread_mutex_lock(&l->lock);
    len = icu.udat_format(l->date[which], d, out, (int32_t)(sizeof out / sizeof *out), NULL, &st);
    pthread_mutex_unlock(&l->lock);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING) {
        if (n)
            buf[0] = '\0';
        return -1;
    }
    return to_utf8(buf, n, out, len);
}

int quire_locale_month(const quire_locale *l, char *buf, size_t n, int month, int full)
{
    return fmt_date(l, full ? DATE_MONTH : DATE_MON, buf, n, udate(month / 12, month % 12 + 1, 1));
}

int quire_locale_quarter(const quire_locale *l, char *buf, size_t n, int month)
{
    return fmt_date(l, DATE_QUARTER, buf, n, udate(month / 12, month % 12 + 1, 1));
}

int quire_locale_day(const quire_locale *l, char *buf, size_t n, int year, int month, int day)
{
    return fmt_date(l, DATE_DAY, buf, n, udate(year, month, day));
}

int quire_locale_date(const quire_locale *l, char *buf, size_t n, int year, int month, int day)
{
    return fmt_date(l, DATE_NUMERIC, buf, n, udate(year, month, day));
}

int quire_locale_months(const quire_locale *cl, char *buf, size_t n, int from, int to)
{
    quire_locale *l = (quire_locale *)cl;
    UErrorCode st = U_ZERO_ERROR;
    UChar out[128];
    int32_t len;

    pthread_mutex_lock(&l->lock);
    len = icu.udtitvfmt_format(l->range, udate(from / 12, from % 12 + 1, 1),
                           udate(to / 12, to % 12 + 1, 1), out,
                           (int32_t)(sizeof out / sizeof *out), NULL, &st);
    pthread_mutex_unlock(&l->lock);
    if (U_FAILURE(st) || st == U_STRING_NOT_TERMINATED_WARNING) {
        if (n)
            buf[0] = '\0';
        return -1;
    }
    return to_utf8(buf, n, out, len);
}
