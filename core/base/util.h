/*
 * util.h - small helpers shared by the core: memory, strings, paths (dates are
 * in date.h).
 */
#ifndef QUIRE_UTIL_H
#define QUIRE_UTIL_H

#include <stddef.h>
#include <stdint.h>

/* Allocation that aborts with a message on exhaustion (the core cannot do
 * anything useful without memory; the Lua sandbox has its own allocator). */
void *xmalloc(size_t n);
void *xcalloc(size_t n, size_t size);
void *xrealloc(void *p, size_t n);
char *xstrdup(const char *s);
char *xstrndup(const char *s, size_t n);
char *xasprintf(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;

/* Seconds on the monotonic clock (CLOCK_MONOTONIC), for measuring
 * durations: differences only mean anything. */
double quire_monotonic(void);

/* Edit distance, capped: returns a value > cap as soon as it is known. */
int edit_distance(const char *a, const char *b, int cap);
/* The candidate closest to word within distance 2, or NULL. */
const char *closest_word(const char *word, const char *const *candidates, size_t n);

/* A growable string. */
typedef struct strbuf {
    char *s;
    size_t len, cap;
} strbuf;
void sb_add(strbuf *b, const char *s, size_t n);
void sb_puts(strbuf *b, const char *s);
void sb_printf(strbuf *b, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;
void sb_free(strbuf *b);
/* s[0..n) as one CSV field: quoted (quotes doubled) when it holds a comma,
 * a quote or a line break. */
void sb_csv_field(strbuf *b, const char *s, size_t n);
void sb_csv_cstr(strbuf *b, const char *s);
/* s[0..n) as a JSON string, quotes included; bytes that are not well-formed
 * UTF-8 are written as U+FFFD, so the result is always valid JSON. */
void sb_json_string(strbuf *b, const char *s, size_t n);
/* The same for a C string; NULL is the empty string. */
void sb_json_cstr(strbuf *b, const char *s);

/* v in the fewest digits that read back as exactly v: a plain decimal
 * ("1380", "19.99", "0.0000001") from 10^-7 to 10^21, else with an exponent
 * ("1.5e+40", "5e-324"); "-0" for negative zero. 32 bytes always suffice. */
void format_plain_number(char *buf, size_t n, double v);

/* A template for mkstemp/mkdtemp: prefix followed by the six placeholder
 * characters they replace. A new string. */
char *tmp_template(const char *prefix);

/* Whether path, resolved as the system would (realpath: "..", symlinks),
 * lies inside root, which must itself be resolved already (realpath). A path
 * that does not exist yet (an output) is judged by its nearest existing
 * folder; a missing last part may not be "..". */
int path_within(const char *root, const char *path);

/* The folder part of a path ("reports/x.yaml" -> "reports"; "x" -> "."). */
char *path_dirname(const char *path);
/* path itself when absolute, else dir/path. */
char *path_join(const char *dir, const char *path);

#endif
