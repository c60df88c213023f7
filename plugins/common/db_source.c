/* db_source.c - what a database source plugin does alike in dealing with its host. */
#include "db_source.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------- open and close */

char *db_dup(const db_source *s, const char *str)
{
    size_t n = strlen(str) + 1;
    char *d = s->host->alloc(n);
    if (d)
        memcpy(d, str, n);
    return d;
}

int db_open(db_source *s, const quire_host *host, void *hctx, const quire_source_config *cfg,
            const quire_option_def *options, const char *plugin)
{
    uint32_t k;

    memset(s, 0, sizeof *s);
    s->host = host;
    s->hctx = hctx;
    s->options = options;
    s->spec = db_dup(s, cfg->spec_path ? cfg->spec_path : "spec");
    s->source = db_dup(s, cfg->source_name ? cfg->source_name : plugin);
    if (!s->spec || !s->source)
        goto oom;
    if (cfg->ndeclared) {
        s->declared = host->alloc(cfg->ndeclared * sizeof *s->declared);
        s->dtypes = host->alloc(cfg->ndeclared * sizeof *s->dtypes);
        if (!s->declared || !s->dtypes)
            goto oom;
        for (k = 0; k < cfg->ndeclared; k++) {
            if (!(s->declared[k] = db_dup(s, cfg->declared[k].name)))
                goto oom;
            s->dtypes[k] = cfg->declared[k].type;
            s->ndeclared = k + 1;
        }
    }
    return 0;
oom:
    db_error(s, QUIRE_ERROR_IO, NULL, "out of memory");
    return -1;
}

void db_close(db_source *s)
{
    uint32_t k;

    if (!s->host)
        return;
    if (s->password) {
        memset(s->password, 0, strlen(s->password));
        s->host->free(s->password);
    }
    for (k = 0; k < s->ndeclared; k++)
        s->host->free(s->declared[k]);
    s->host->free(s->declared);
    s->host->free(s->dtypes);
    s->host->free(s->spec);
    s->host->free(s->source);
    s->host->free(s->cells);
    s->host->free(s->colv);
    s->host->free(s->sbuf);
    memset(s, 0, sizeof *s);
}

/* ---------------------------------------------------------------- errors */

/* Remove the password from a message (the servers' do not hold it; to be
 * sure). */
static void scrub(const db_source *s, char *msg, size_t cap)
{
    char *p;
    size_t n;

    if (!s->password || (n = strlen(s->password)) < 1)
        return;
    while ((p = strstr(msg, s->password)) != NULL) {
        size_t rest = strlen(p + n);
        if ((size_t)(p - msg) + 3 + rest >= cap)
            rest = cap - (size_t)(p - msg) - 4;
        memmove(p + 3, p + n, rest);
        memcpy(p, "***", 3);
        p[3 + rest] = '\0';
    }
}

/* Multi-line messages (libpq's) on one line: "a\n\tb\n" -> "a; b". */
static void one_line(char *msg)
{
    char *r = msg, *w = msg;
    int sep = 0;

    for (; *r; r++) {
        if (*r == '\n' || *r == '\t' || *r == '\r') {
            sep = 1;
            continue;
        }
        if (sep && w > msg) {
            *w++ = ';';
            *w++ = ' ';
        }
        sep = 0;
        *w++ = *r;
    }
    *w = '\0';
    while (w > msg && (w[-1] == ' ' || w[-1] == ';'))
        *--w = '\0';
}

void db_clean(const db_source *s, char *msg, size_t cap)
{
    one_line(msg);
    scrub(s, msg, cap);
}

void db_error(const db_source *s, uint32_t kind, const char *option, const char *fmt, ...)
{
    char msg[1200];
    va_list ap;

    va_start(ap, fmt);
    vsnprintf(msg, sizeof msg, fmt, ap);
    va_end(ap);
    db_clean(s, msg, sizeof msg);
    if (QUIRE_HOST_HAS(s->host, error_at) && s->host->error_at) {
        quire_error_info w;
        memset(&w, 0, sizeof w);
        w.struct_size = sizeof w;
        w.kind = kind;
        w.option = option;
        s->host->error_at(s->hctx, &w, "%s", msg);
    } else if (kind == QUIRE_ERROR_CONFIG) {
        s->host->error(s->hctx, "%s: source \"%s\": %s", s->spec, s->source, msg);
    } else {
        s->host->error(s->hctx, "source \"%s\": %s", s->source, msg);
    }
}

/* ---------------------------------------------------------------- options */

const char *db_opt(const db_source *s, const quire_source_config *cfg, int i)
{
    const char *v = cfg->option_values ? cfg->option_values[i] : NULL;
    if (!v)
        v = s->options[i].default_value;
    return v && *v ? v : NULL;
}

int db_seconds(const db_source *s, const quire_source_config *cfg, int i, long *out)
{
    const quire_option_value *v = quire_option_at(cfg, (uint32_t)i);
    const char *t = db_opt(s, cfg, i);
    char *end;

    if (v && v->set)
        *out = (long)v->i;
    else
        *out = t ? strtol(t, &end, 10) : 0;
    if (*out < 0 || *out > 86400 * 7) {
        db_error(s, QUIRE_ERROR_CONFIG, s->options[i].name,
                 "%s must be from 0 to 604800 seconds", s->options[i].name);
        return -1;
    }
    return 0;
}

int db_table_or_query(const db_source *s, const char *table, const char *query)
{
    if (!table == !query) {
        db_error(s, QUIRE_ERROR_CONFIG, table ? "query" : NULL,
                 "give the source a table or a query (one of them)");
        return -1;
    }
    return 0;
}

quire_type db_declared_type(const db_source *s, const char *name)
{
    quire_type t = QUIRE_T_STRING;
    uint32_t k;

    for (k = 0; k < s->ndeclared; k++)
        if (strcmp(s->declared[k], name) == 0)
            t = s->dtypes[k];
    return t;
}

/* ---------------------------------------------------------------- password */

/* The password file's first line, without its end of line. */
static int password_file(db_source *s, const char *file)
{
    FILE *f = fopen(file, "r");
    char buf[1024];
    size_t n;

    if (!f) {
        quire_error_info w;
        if (!QUIRE_HOST_HAS(s->host, error_at)) {
            db_error(s, QUIRE_ERROR_IO, NULL, "%s: cannot read the password: %s", file,
                     strerror(errno));
            return -1;
        }
        memset(&w, 0, sizeof w);
        w.struct_size = sizeof w;
        w.kind = QUIRE_ERROR_IO;
        w.file = file;
        s->host->error_at(s->hctx, &w, "cannot read the password: %s", strerror(errno));
        return -1;
    }
    n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = '\0';
    while (n && (buf[n - 1] == '\n' || buf[n - 1] == '\r'))
        buf[--n] = '\0';
    if (!n) {
        db_error(s, QUIRE_ERROR_CONFIG, "password_file", "the password file %s is empty", file);
        return -1;
    }
    s->password = db_dup(s, buf);
    memset(buf, 0, sizeof buf);
    return 0;
}

int db_password(db_source *s, const quire_source_config *cfg, int env_opt, int file_opt,
                const char *env_default)
{
    const char *env = db_opt(s, cfg, env_opt), *file = db_opt(s, cfg, file_opt);

    if (env && file) {
        db_error(s, QUIRE_ERROR_CONFIG, "password_file",
                 "give the password in password_env or password_file, not both");
        return -1;
    }
    if (file) {
        if (password_file(s, file))
            return -1;
    } else {
        const char *v = env || env_default ? getenv(env ? env : env_default) : NULL;
        if (env && (!v || !*v)) {
            db_error(s, QUIRE_ERROR_CONFIG, "password_env",
                     "environment variable %s (option password_env) is not set", env);
            return -1;
        }
        if (!v || !*v)
            return 0; /* no password: the server may not want one */
        s->password = db_dup(s, v);
    }
    if (!s->password) {
        db_error(s, QUIRE_ERROR_IO, NULL, "out of memory");
        return -1;
    }
    return 0;
}

/* ---------------------------------------------------------------- rows */

int db_batch_start(db_source *s, const quire_column *cols, uint32_t n)
{
    uint32_t c;

    if (n > s->capcols || !s->cells) {
        quire_cell *cells = s->host->realloc(s->cells, (size_t)(n ? n : 1) * DB_BATCH *
                                                           sizeof *cells);
        quire_cell **colv;
        if (!cells)
            return -1;
        s->cells = cells;
        colv = s->host->realloc(s->colv, (n ? n : 1) * sizeof *colv);
        if (!colv)
            return -1;
        s->colv = colv;
        s->capcols = n;
    }
    for (c = 0; c < n; c++)
        s->colv[c] = s->cells + (size_t)c * DB_BATCH;
    s->colinfo = cols;
    s->ncols = n;
    s->k = 0;
    s->slen = 0;
    s->rows = 0;
    return 0;
}

/* The string is kept as its offset in sbuf, made a pointer by
 * db_batch_emit() once sbuf has stopped moving. */
int db_batch_keep(db_source *s, const char *v, size_t n, quire_cell *cell)
{
    if (s->slen + n > s->scap || !s->sbuf) {
        size_t cap = s->scap ? s->scap : 65536;
        char *b;
        while (cap < s->slen + n)
            cap *= 2;
        if (!(b = s->host->realloc(s->sbuf, cap)))
            return -1;
        s->sbuf = b;
        s->scap = cap;
    }
    memcpy(s->sbuf + s->slen, v, n);
    cell->v.s.ptr = (const char *)(uintptr_t)s->slen;
    cell->v.s.len = (uint32_t)n;
    s->slen += n;
    return 0;
}

int db_batch_emit(db_source *s)
{
    quire_batch b;
    uint32_t i, c, nrows = s->k;
    int rc;

    if (!nrows)
        return 0;
    for (c = 0; c < s->ncols; c++)
        if (s->colinfo[c].type == QUIRE_T_STRING)
            for (i = 0; i < nrows; i++)
                if (!s->colv[c][i].null)
                    s->colv[c][i].v.s.ptr = s->sbuf + (uintptr_t)s->colv[c][i].v.s.ptr;
    memset(&b, 0, sizeof b);
    b.struct_size = sizeof b;
    b.nrows = nrows;
    b.ncols = s->ncols;
    b.columns = s->colinfo;
    b.cols = s->colv;
    b.first_record = s->rows - nrows + 1;
    rc = s->host->emit(s->hctx, &b);
    s->k = 0;
    s->slen = 0;
    return rc;
}

int db_batch_row(db_source *s)
{
    s->k++;
    s->rows++;
    return s->k == DB_BATCH ? db_batch_emit(s) : 0;
}
