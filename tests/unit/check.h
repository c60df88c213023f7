/*
 * check.h - the few macros the unit tests need.
 *
 * Each test file is a program: CHECK records a failure and goes on; main()
 * returns check_done(), which prints "N passed, N failed" and exits non-zero
 * when anything failed.
 */
#ifndef QUIRE_CHECK_H
#define QUIRE_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util.h"

static int check_pass, check_fail;

#define CHECK(cond)                                                          \
    do {                                                                     \
        if (cond) {                                                          \
            check_pass++;                                                    \
        } else {                                                             \
            check_fail++;                                                    \
            fprintf(stderr, "%s:%d: check failed: %s\n", __FILE__, __LINE__, \
                    #cond);                                                  \
        }                                                                    \
    } while (0)

#define CHECK_STR(a, b)                                                           \
    do {                                                                          \
        const char *ca_ = (a), *cb_ = (b);                                        \
        if (ca_ && cb_ && strcmp(ca_, cb_) == 0) {                                \
            check_pass++;                                                         \
        } else {                                                                  \
            check_fail++;                                                         \
            fprintf(stderr, "%s:%d: check failed: %s == %s (\"%s\" vs \"%s\")\n", \
                    __FILE__, __LINE__, #a, #b, ca_ ? ca_ : "(null)",             \
                    cb_ ? cb_ : "(null)");                                        \
        }                                                                         \
    } while (0)

#define CHECK_CONTAINS(hay, needle)                                            \
    do {                                                                       \
        const char *ch_ = (hay), *cn_ = (needle);                              \
        if (ch_ && cn_ && strstr(ch_, cn_)) {                                  \
            check_pass++;                                                      \
        } else {                                                               \
            check_fail++;                                                      \
            fprintf(stderr, "%s:%d: check failed: \"%s\" does not contain \"%s\"\n", \
                    __FILE__, __LINE__, ch_ ? ch_ : "(null)", cn_ ? cn_ : "(null)"); \
        }                                                                      \
    } while (0)

/* Fill buf with a mkstemp/mkdtemp template starting with prefix. */
static inline void check_template(char *buf, size_t n, const char *prefix)
{
    char *t = tmp_template(prefix);
    snprintf(buf, n, "%s", t);
    free(t);
}

static inline int check_done(const char *name)
{
    printf("%s: %d passed, %d failed\n", name, check_pass, check_fail);
    return check_fail ? 1 : 0;
}

#endif
