/*
 * format.h - numbers and text as the report shows them.
 *
 * quire_format_value() itself is declared in doc.h. The helpers here are
 * pure (no fonts, no libharu): axis labels, UTF-8 decoding and the greedy
 * line breaker that pdf.c and chart.c drive with a font's glyph widths.
 * Nothing here depends on the C locale.
 */
#ifndef QUIRE_FORMAT_H
#define QUIRE_FORMAT_H

#include <stddef.h>
#include <stdint.h>

#include "doc.h"

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

/* Width of one code point, in the caller's units (points at a font size). */
typedef double (*quire_measure_fn)(void *ctx, uint32_t cp);

/*
 * Greedy line breaking. Finds the longest first line of s[0..len) whose
 * width is at most max_w, breaking after a space, after a hyphen, or around
 * a CJK ideograph; a word wider than max_w is broken between code points.
 * A line holds at least one code point. '\n' ends a line.
 *
 * Sets *line_len to the bytes of that line (trailing spaces excluded) and
 * returns the offset at which the next line starts (spaces at the break are
 * skipped). The return value is > 0 whenever len > 0.
 */
size_t quire_wrap_next(const char *s, size_t len, double max_w, quire_measure_fn measure,
                       void *ctx, size_t *line_len);

/*
 * The bytes of the longest prefix of s[0..len) (whole code points) whose
 * width is at most max_w; *width (if not NULL) receives that prefix's width.
 */
size_t quire_fit_prefix(const char *s, size_t len, double max_w, quire_measure_fn measure,
                        void *ctx, double *width);

#endif
