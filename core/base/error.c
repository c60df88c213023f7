/* error.c - filling a quire_error, and its one text form. */
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

int quire_verr_at(quire_error *err, int code, const char *file, int line, int col,
                  const char *fmt, va_list ap)
{
    char msg[sizeof err->msg], where[sizeof err->file];

    if (!err)
        return -1;
    /* Both are built aside first: the arguments may point into err. */
    vsnprintf(msg, sizeof msg, fmt, ap);
    snprintf(where, sizeof where, "%s", file ? file : "");
    err->code = code;
    memcpy(err->file, where, sizeof where);
    err->line = where[0] && line > 0 ? line : 0;
    err->col = err->line && col > 0 ? col : 0;
    memcpy(err->msg, msg, sizeof msg);
    return -1;
}

int quire_err_at(quire_error *err, int code, const char *file, int line, int col,
                 const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    quire_verr_at(err, code, file, line, col, fmt, ap);
    va_end(ap);
    return -1;
}

int quire_err(quire_error *err, int code, const char *fmt, ...)
{
    va_list ap;

    va_start(ap, fmt);
    quire_verr_at(err, code, NULL, 0, 0, fmt, ap);
    va_end(ap);
    return -1;
}

void quire_err_default_at(quire_error *err, const char *file, int line, int col)
{
    if (!err || err->file[0] || !file || !*file)
        return;
    snprintf(err->file, sizeof err->file, "%s", file);
    err->line = line > 0 ? line : 0;
    err->col = err->line && col > 0 ? col : 0;
}

void quire_err_default_file(quire_error *err, const char *file)
{
    quire_err_default_at(err, file, 0, 0);
}

char *quire_err_format(const quire_error *e, char *buf, size_t n)
{
    if (!e->file[0])
        snprintf(buf, n, "error: %s", e->msg);
    else if (e->line && e->col)
        snprintf(buf, n, "%s:%d:%d: error: %s", e->file, e->line, e->col, e->msg);
    else if (e->line)
        snprintf(buf, n, "%s:%d: error: %s", e->file, e->line, e->msg);
    else
        snprintf(buf, n, "%s: error: %s", e->file, e->msg);
    return buf;
}

const char *quire_strerror(int e, char *buf, size_t n)
{
#if defined(__GLIBC__) && defined(_GNU_SOURCE)
    return strerror_r(e, buf, n);
#else
    if (strerror_r(e, buf, n) != 0)
        snprintf(buf, n, "error %d", e);
    return buf;
#endif
}
