/*
 * error.h - one error type for the whole program.
 *
 * A failing function fills a quire_error at the site that knows what went
 * wrong (file, line, column, what was expected) and returns; the caller at the
 * top prints it once. Library code never prints.
 */
#ifndef QUIRE_ERROR_H
#define QUIRE_ERROR_H

/* Exit statuses (documented in docs/cli.md). */
enum {
    QUIRE_EXIT_OK = 0,
    QUIRE_EXIT_USAGE = 1,   /* bad command line or report spec */
    QUIRE_EXIT_DATA = 2,    /* bad data, a source or a script failed */
    QUIRE_EXIT_DELIVERY = 3 /* the report could not be written or delivered */
};

typedef struct quire_error {
    int code;        /* one of the QUIRE_EXIT_* values; 0 = no error */
    char msg[1024];  /* "file:line:col: what went wrong" */
} quire_error;

/* Set err (if not NULL) and return -1. */
int quire_err(quire_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

#endif
