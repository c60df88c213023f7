/*
 * format.h - numbers and text as the report shows them.
 *
 * Units and colours, value and axis formats, UTF-8: pure helpers (no fonts,
 * no libharu) that the engine's scripts and the renderer share.
 * Nothing here depends on the C locale.
 */
#ifndef QUIRE_FORMAT_H
#define QUIRE_FORMAT_H

#include <stddef.h>
#include <stdint.h>


/* How a value is shown. */
typedef enum quire_unit {
    QUIRE_UNIT_NUMBER = 0,   /* 1,234.5 */
    QUIRE_UNIT_COUNT,        /* 1,234 */
    QUIRE_UNIT_CURRENCY,     /* $1,234.50 */
    QUIRE_UNIT_PERCENT,      /* a fraction 0..1 shown as 81.3% */
    QUIRE_UNIT_SCORE,        /* 0..100, one decimal */
    QUIRE_UNIT_DAYS,
    QUIRE_UNIT_MONTHS
} quire_unit;

typedef struct quire_rgb {
    double r, g, b; /* 0..1 */
} quire_rgb;

/* The en dash shown for a value that is missing (NAN) or not finite. */
#define QUIRE_NO_VALUE "\xE2\x80\x93"

/*
 * Format an axis tick v for a value axis whose ticks are step apart, in the
 * chart's unit: the number of decimals follows the step ("75.0%", "$1,500",
 * "6,000", "2.05"). Once the largest tick (max_abs) reaches 100,000 the
 * labels are shortened to thousands ("150k", step >= 100), millions ("1.5M",
 * step >= 100,000) or billions ("2B"), trailing zeros trimmed. Zero is
 * always "0" (with the unit's prefix or suffix).
 */
void quire_format_axis(char *buf, size_t n, double v, double step, double max_abs,
                       quire_unit unit);

/*
 * Decode one code point of s[*i..len) and advance *i past it. Malformed or
 * truncated sequences, surrogates and overlong forms yield U+FFFD and advance
 * by one byte, so every call makes progress. *i must be < len.
 */
uint32_t quire_utf8_next(const char *s, size_t len, size_t *i);

/* Append cp as UTF-8 to out (room for 4 bytes); returns the bytes written. */
size_t quire_utf8_put(char *out, uint32_t cp);

/* Format v by unit into buf ("$1,234.50", "81.3%"); decimals -1 = default. */
void quire_format_value(char *buf, size_t n, double v, quire_unit unit, int decimals);

/*
 * Changes, as the report shows them (the tiles' change line, the insights'
 * "+12.5%"): a KPI in percent (a fraction) changes by its difference, shown
 * in percentage points; any other by its change relative to the old value,
 * shown in percent.
 */
#define QUIRE_CHANGE_NOBREAK   1u /* "pts" joined to its number by a no-break space */
#define QUIRE_CHANGE_FROM_ZERO 2u /* from 0 (not percent): the difference in the unit */

/*
 * The change from old to new of a value in unit, as a fraction: new - old for
 * percent, else (new - old) / |old|; 0 from 0 to 0. NAN when either is NAN
 * or infinite, or for a relative change from 0 to another value.
 */
double quire_change(double now, double old, quire_unit unit);

/*
 * A change from quire_change as text: one decimal, a sign ("+", or "−"
 * U+2212) and "%" ("+12.5%"), or " pts" for percent ("−2.1 pts"); a change
 * that rounds to zero is "0.0%" or "0.0 pts", without a sign. Flags:
 * QUIRE_CHANGE_NOBREAK. Returns the change, or 0 when it rounds to zero;
 * NAN, with "" in buf, for NAN.
 */
double quire_format_change(char *buf, size_t n, double change, quire_unit unit, unsigned flags);

/*
 * The change from old to new as text: quire_change, then quire_format_change.
 * With QUIRE_CHANGE_FROM_ZERO, a change from 0 in a unit other than percent
 * is the difference, in the unit with its decimals (-1: the unit's default)
 * and a sign ("+$12.00"), rather than none. Returns the change as
 * quire_format_change does (the difference for one from 0): its sign is the
 * direction shown. NAN, with "" in buf, when there is no change to show.
 */
double quire_change_text(char *buf, size_t n, double now, double old, quire_unit unit,
                         int decimals, unsigned flags);

/* A unit's name as scripts write it ("percent"), and the unit a name means
 * (-1 when none). */
const char *quire_unit_name(quire_unit unit);
int quire_unit_parse(const char *name);

#endif
