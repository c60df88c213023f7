/* log.c - diagnostics on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>
#include <unistd.h>

int quire_log_level = LOG_WARN;

static int progress_shown;  /* a progress line is on the terminal */
static int tty = -1;        /* stderr is a terminal; -1 = not asked yet */

void qprogress(const char *fmt, ...)
{
    va_list ap;

    if (tty < 0)
        tty = isatty(STDERR_FILENO);
    if (!tty || quire_log_level != LOG_WARN)
        return;
    fputs("\rquire: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputs("\033[K", stderr);
    fflush(stderr);
    progress_shown = 1;
}

void qprogress_done(void)
{
    if (progress_shown)
        fputs("\r\033[K", stderr);
    progress_shown = 0;
}

void qlog(int level, const char *fmt, ...)
{
    va_list ap;

    if (level > quire_log_level)
        return;
    qprogress_done();
    fputs(level <= LOG_WARN ? "quire: warning: " : "quire: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
