/*
 * error.h - one error type for the whole program.
 *
 * A failing function fills a quire_error at the site that knows what went
 * wrong (file, line, column, what was expected) and returns; the caller at the
 * top prints it once. Library code never prints.
 *
 * An error is data: where it happened (file, line, col) and what went wrong
 * (msg) are kept apart, and only quire_err_format turns them into the text a
 * user reads. Nothing reads a where back out of a message.
 */
#ifndef QUIRE_ERROR_H
#define QUIRE_ERROR_H

#include <stdarg.h>
#include <stddef.h>

/* Exit statuses (documented in docs/cli.md). */
enum {
    QUIRE_EXIT_OK = 0,
    QUIRE_EXIT_USAGE = 1,   /* bad command line or report spec */
    QUIRE_EXIT_DATA = 2,    /* bad data, a source or a script failed */
    QUIRE_EXIT_DELIVERY = 3, /* the report could not be written or delivered */
    QUIRE_EXIT_TRANSIENT = 4 /* a source failed for now (timeout, server down): try later */
};

typedef struct quire_error {
    int code;        /* one of the QUIRE_EXIT_* values; 0 = no error */
    char file[512];  /* what the error is about: a file ("reports/x.yaml"), or a
                      * subject that is not one ("SOURCE_DATE_EPOCH", "email");
                      * "" = not known */
    int line, col;   /* where in file, from 1; 0 = not known */
    char msg[1024];  /* what went wrong, without the where */
} quire_error;

/* Room for quire_err_format's text of any error. */
#define QUIRE_ERROR_TEXT_MAX \
    (sizeof(((quire_error *)0)->file) + sizeof(((quire_error *)0)->msg) + 48)

/* Set err (if not NULL) to an error with no where, and return -1. The
 * arguments may point into err itself (to wrap its message). */
int quire_err(quire_error *err, int code, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 3, 4)))
#endif
    ;

/* Set err (if not NULL) to an error at file:line:col and return -1. file may
 * be NULL (none); line and col 0 mean not known (col counts only with a line).
 * The arguments may point into err itself. */
int quire_err_at(quire_error *err, int code, const char *file, int line, int col,
                 const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 7)))
#endif
    ;
int quire_verr_at(quire_error *err, int code, const char *file, int line, int col,
                  const char *fmt, va_list ap)
#if defined(__GNUC__)
    __attribute__((format(printf, 6, 0)))
#endif
    ;

/* Give err the where file:line:col if it has no file yet (an error of a
 * report's scripts names the report unless it names a file of its own). An
 * error that has a file is left as it is. */
void quire_err_default_at(quire_error *err, const char *file, int line, int col);
/* The same with no line or column. */
void quire_err_default_file(quire_error *err, const char *file);

/* The text of the error, as every diagnostic reads (docs/cli.md, "Exit status"):
 * the where, as much of file:line:col as is known, then the word "error" and
 * the message; with no file, the word and the message alone. The one place
 * that text is made. Writes at most n bytes (n > 0) into buf; returns buf. */
char *quire_err_format(const quire_error *e, char *buf, size_t n);

/* The text of errno value e (strerror), safe on any thread (documents are
 * rendered on several): in buf (n bytes) or a constant string. */
const char *quire_strerror(int e, char *buf, size_t n);

#endif
