/* log.c - diagnostics on stderr. */
#include "log.h"

#include <stdarg.h>
#include <stdio.h>

int quire_log_level = LOG_WARN;

void qlog(int level, const char *fmt, ...)
{
    va_list ap;

    if (level > quire_log_level)
        return;
    fputs(level <= LOG_WARN ? "quire: warning: " : "quire: ", stderr);
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fputc('\n', stderr);
}
