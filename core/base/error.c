/* error.c - filling a quire_error. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>

int quire_err(quire_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    if (!err)
        return -1;
    err->code = code;
    va_start(ap, fmt);
    vsnprintf(err->msg, sizeof err->msg, fmt, ap);
    va_end(ap);
    return -1;
}
