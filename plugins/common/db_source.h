/*
 * db_source.h - what a database source plugin (postgres, clickhouse) does
 * alike in dealing with its host, whatever its database.
 *
 * Compiled into each of those plugins (it is not a plugin of its own): the
 * source's names for messages, errors said on one line with the password
 * scrubbed, options read with their defaults, the password from an
 * environment variable or a file (never from the spec), the columns the
 * spec declares, and the rows of an answer gathered into batches handed to
 * the host. A plugin's state holds a db_source; everything here allocates
 * through the host.
 */
#ifndef PLUGIN_DB_SOURCE_H
#define PLUGIN_DB_SOURCE_H

#include <stddef.h>
#include <stdint.h>

#include "quire/plugin.h"

typedef struct db_source {
    const quire_host *host;
    void *hctx;
    const quire_option_def *options; /* the plugin's table, ended by a NULL name */
    char *spec, *source;             /* for messages */
    char *password;                  /* NULL: none */
    char **declared;                 /* the spec's columns, and their types */
    quire_type *dtypes;
    uint32_t ndeclared;
    /* the batch being filled: DB_BATCH rows of ncols columns, row k next;
     * its strings are copied into sbuf */
    quire_cell *cells;
    quire_cell **colv;               /* colv[c][k]: column c of row k */
    const quire_column *colinfo;
    uint32_t ncols, capcols, k;
    char *sbuf;
    size_t slen, scap;
    uint64_t rows;                   /* rows of the answer so far */
} db_source;

#define DB_BATCH 4096

/* Fill s from cfg (plugin: the source's name when the spec gives none).
 * 0, or -1 out of memory, said (db_close frees what was made). */
int db_open(db_source *s, const quire_host *host, void *hctx, const quire_source_config *cfg,
            const quire_option_def *options, const char *plugin);
/* Free what s holds, the password wiped first; s itself is not freed. */
void db_close(db_source *s);

/* A copy of str through the host's allocator, or NULL. */
char *db_dup(const db_source *s, const char *str);

/* Say an error of the given kind (QUIRE_ERROR_*), about option when not
 * NULL, on one line with the password scrubbed. */
void db_error(const db_source *s, uint32_t kind, const char *option, const char *fmt, ...)
#if defined(__GNUC__)
    __attribute__((format(printf, 4, 5)))
#endif
    ;
/* msg (cap bytes of room) on one line ("a\n\tb" -> "a; b"), the password
 * replaced by "***". */
void db_clean(const db_source *s, char *msg, size_t cap);

/* Option i's value, else its default; NULL when neither or empty. */
const char *db_opt(const db_source *s, const quire_source_config *cfg, int i);
/* Option i as a number of seconds, 0 to a week: 0, or -1 said. */
int db_seconds(const db_source *s, const quire_source_config *cfg, int i, long *out);

/*
 * The password, into s->password: from the file of option file_opt, else
 * the variable named by option env_opt (set and not empty, or an error),
 * else the variable env_default (NULL: none) when it is set. Neither given:
 * no password, 0. Both options given: an error. 0, or -1 said.
 */
int db_password(db_source *s, const quire_source_config *cfg, int env_opt, int file_opt,
                const char *env_default);

/* The source reads a table or a query, one of them: 0, or -1 said. */
int db_table_or_query(const db_source *s, const char *table, const char *query);

/* The type the spec declares column name, or string when it declares none. */
quire_type db_declared_type(const db_source *s, const char *name);

/* ---------------------------------------------------------------- rows */

/* Start an answer of the columns cols[0..n) (borrowed until the answer
 * ends): an empty batch, no rows. 0, or -1 out of memory (not said). */
int db_batch_start(db_source *s, const quire_column *cols, uint32_t n);
/* Keep string v (n bytes) as cell's value for the batch: 0, or -1 out of
 * memory (not said). */
int db_batch_keep(db_source *s, const char *v, size_t n, quire_cell *cell);
/* Row k is filled: count it, and hand the batch to the host once full.
 * 0, or the host's non-zero answer to stop (it has said why). */
int db_batch_row(db_source *s);
/* Hand the rows gathered, if any, to the host: 0, or its non-zero answer. */
int db_batch_emit(db_source *s);

#endif
