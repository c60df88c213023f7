/*
 * serve.h - `quire serve`: the report server (GNU libmicrohttpd).
 *
 * Lists the reports of a folder, renders them with the parameters a client
 * gives (jobs.h: a child process per render, a bounded queue, a cache keyed
 * by spec, parameters and inputs), and serves the results, as web pages and
 * as a JSON API. docs/server.md has the API and the threat model.
 */
#ifndef QUIRE_SERVE_H
#define QUIRE_SERVE_H

#include "error.h"

typedef struct serve_opts {
    const char *reports;     /* the folder of report specs */
    const char *listen;      /* HOST:PORT; port 0 = any free one */
    const char *state;       /* the SQLite state file */
    const char *tls_cert, *tls_key;   /* PEM files, or NULL */
    const char *access_log;  /* NULL = standard error */
    const char *port_file;   /* where to write the port once listening, or NULL */
    const char *program;     /* the quire binary (for the renders) */
    int workers, queue, threads;
    double timeout;          /* seconds a render may take */
    double grace;            /* seconds renders get to finish on SIGTERM */
    long max_body;           /* bytes */
    double rate;             /* requests per second per client; 0 = no limit */
} serve_opts;

/* Serve until SIGTERM or SIGINT; returns 0 then, or -1 with err when the
 * server cannot start. */
int serve_run(const serve_opts *o, quire_error *err);

#endif
