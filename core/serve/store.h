/*
 * store.h - what the report server keeps in the state file (SQLite): its
 * users, API tokens and runs, in tables of their own (serve_*) beside the
 * scheduler's ledger. Every call is one statement or one transaction, under
 * one lock, so the server's threads share one connection.
 */
#ifndef QUIRE_STORE_H
#define QUIRE_STORE_H

#include <stdint.h>

#include "auth.h"
#include "error.h"

typedef struct store store;

store *store_open(const char *path, quire_error *err);
void store_close(store *st);

/* Add or replace user name with role and the hash of password. */
int store_user_set(store *st, const char *name, auth_role role, const char *password,
                   quire_error *err);
/* The role of user name when password is theirs; ROLE_NONE otherwise. */
auth_role store_user_check(store *st, const char *name, const char *password);
/* A new API token for name with role: its text (the only time it is known)
 * in out. */
int store_token_add(store *st, const char *name, auth_role role, char out[80],
                    quire_error *err);
/* The role of token (and its name in name[64]); ROLE_NONE when unknown. */
auth_role store_token_check(store *st, const char *token, char name[64]);
/* Whether any user or token exists. */
int store_has_auth(store *st);

/* Run statuses. */
#define SRUN_QUEUED "queued"
#define SRUN_RUNNING "running"
#define SRUN_DONE "done"
#define SRUN_FAILED "failed"
#define SRUN_ABANDONED "abandoned" /* the server stopped before it finished */
#define SRUN_REJECTED "rejected"   /* the queue was full */

typedef struct srun {
    int64_t id;
    char report[128];
    char key[65];          /* spec, parameters and inputs hashed */
    char *params;          /* JSON object of the parameters asked for (malloc'd) */
    char status[16];
    char *error;           /* malloc'd, or NULL */
    char user[64];
    int64_t created, started, finished; /* unix ms; 0 = not yet */
    int cached;            /* found in the cache, not rendered for this request */
} srun;
void srun_clear(srun *r);

/* The run of key that is queued, running or done, newest first; else a new
 * run of it (queued). *fresh says which. One transaction, so two requests of
 * one key get one run. */
int store_run_find_or_add(store *st, const char *report, const char *key, const char *params,
                          const char *user, int64_t now, srun *out, int *fresh,
                          quire_error *err);
int store_run_get(store *st, int64_t id, srun *out);
/* The latest runs of report (NULL: all), at most n, newest first. */
int store_runs_recent(store *st, const char *report, int n, srun **out, int *count);
int store_run_set(store *st, int64_t id, const char *status, const char *error, int64_t now);
/* Runs left queued or running by a server that stopped: abandoned. */
int store_runs_abandon_open(store *st, int64_t now);
/* Drop the run's record (its outputs are the caller's). */
int store_run_delete(store *st, int64_t id);

#endif
