/*
 * qlocale.h - a report's locale: numbers, money and dates as its readers
 * write them ("1.234,56 €", "Apr. 2024"), from ICU's data.
 *
 * A report without `locale:` or `currency:` has no locale object: format.c
 * and date.c then print as they always have (en_US with "$"), by hand. A
 * report with one makes a quire_locale when its spec is loaded; the run makes
 * it the active one (quire_locale_use) while it loads, builds and renders
 * the report, and format.c and date.c ask the active one first. ICU's
 * formatters are made once per locale (number formatters on first use, one
 * per kind and number of decimals) and kept with it.
 *
 * Only what the reader sees goes through here: the attached CSVs, the KPI
 * export and the manifest keep a dot as their decimal point and ISO dates.
 */
#ifndef QUIRE_QLOCALE_H
#define QUIRE_QLOCALE_H

#include <stddef.h>

typedef struct quire_locale quire_locale;

/* How a number is shown (format.c's units, as the locale prints them). */
typedef enum quire_lnum {
    QUIRE_LNUM_DECIMAL = 0, /* 1.234,5 */
    QUIRE_LNUM_CURRENCY,    /* 1.234,56 € */
    QUIRE_LNUM_PERCENT,     /* 81,3 % (given 81.3) */
    QUIRE_LNUM_DAYS,        /* 12,5 Tg. */
    QUIRE_LNUM_MONTHS,      /* 3,0 Mon. */
    QUIRE_LNUM_NKINDS
} quire_lnum;

/*
 * A locale by its name ("de_DE", "fr-FR", "en_GB") and a currency by its ISO
 * 4217 code ("EUR"; NULL: the locale's own), shown as its symbol or, with
 * show_code, its code ("1.234,56 EUR"). NULL, with a sentence in why (n
 * bytes), when ICU has no data for the locale's language or does not know
 * the currency.
 */
quire_locale *quire_locale_new(const char *name, const char *currency, int show_code,
                               char *why, size_t n);
void quire_locale_free(quire_locale *l);

/* The locale's canonical name ("de_DE") and its currency's code ("EUR"). */
const char *quire_locale_name(const quire_locale *l);
const char *quire_locale_currency(const quire_locale *l);

/* Make l (borrowed; NULL: none) the active locale; returns the one before,
 * to restore. Set it before any thread that formats starts. */
const quire_locale *quire_locale_use(const quire_locale *l);
const quire_locale *quire_locale_active(void);

/*
 * v as the locale writes it, in kind, with decimals fixed (trim: at most
 * that many, trailing zeros dropped), rounded half away from zero; compact
 * shortens large values as the locale does ("1,5 Mio. €"). Returns 0, or -1
 * (buf empty) when ICU fails.
 */
int quire_locale_number(const quire_locale *l, char *buf, size_t n, double v, quire_lnum kind,
                        int decimals, int trim, int compact);

/*
 * Dates in words: a month (month index year * 12 + m - 1) "Apr. 2024"
 * (full: "April 2024"), a calendar quarter "Q2 2024", a day "5. April 2024",
 * a day in figures "05.04.2024" (quire_locale_date), and a run of months
 * "Feb.–Apr. 2024". Return 0, or -1 when ICU fails.
 */
int quire_locale_month(const quire_locale *l, char *buf, size_t n, int month, int full);
int quire_locale_quarter(const quire_locale *l, char *buf, size_t n, int month);
int quire_locale_day(const quire_locale *l, char *buf, size_t n, int year, int month, int day);
int quire_locale_date(const quire_locale *l, char *buf, size_t n, int year, int month, int day);
int quire_locale_months(const quire_locale *l, char *buf, size_t n, int from, int to);

#endif
