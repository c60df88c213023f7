/*
 * log.h - diagnostics on stderr.
 *
 * Warnings are shown unless --quiet; info with --verbose. Errors are not
 * logged here: they travel up in a quire_error and main prints them once.
 */
#ifndef QUIRE_LOG_H
#define QUIRE_LOG_H

enum { LOG_QUIET = 0, LOG_WARN = 1, LOG_INFO = 2, LOG_DEBUG = 3 };

extern int quire_log_level;

void qlog(int level, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 2, 3)))
#endif
    ;

/* On a terminal, at the default level, show what long work is doing on one
 * line that the next message replaces; silent otherwise. */
void qprogress(const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 1, 2)))
#endif
    ;
/* Clear the progress line, if one is shown. */
void qprogress_done(void);

#endif
