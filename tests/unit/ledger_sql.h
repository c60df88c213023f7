/*
 * ledger_sql.h - reading and writing a scheduler's state file beside the
 * ledger's own connection, for the tests that look into it or damage it.
 */
#ifndef QUIRE_LEDGER_SQL_H
#define QUIRE_LEDGER_SQL_H

#include <sqlite3.h>

/* One value of the first row of a query, read beside the ledger's own
 * connection (the file is in WAL mode, so this sees every commit). */
static inline long long sql_int(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    sqlite3_stmt *q = NULL;
    long long v = -999;

    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READONLY, NULL) == SQLITE_OK &&
        sqlite3_prepare_v2(h, sql, -1, &q, NULL) == SQLITE_OK && sqlite3_step(q) == SQLITE_ROW)
        v = sqlite3_column_type(q, 0) == SQLITE_NULL ? -1 : sqlite3_column_int64(q, 0);
    sqlite3_finalize(q);
    sqlite3_close(h);
    return v;
}

static inline int sql_exec(const char *db, const char *sql)
{
    sqlite3 *h = NULL;
    int rc = -1;

    if (sqlite3_open_v2(db, &h, SQLITE_OPEN_READWRITE, NULL) == SQLITE_OK)
        rc = sqlite3_exec(h, sql, NULL, NULL, NULL) == SQLITE_OK ? 0 : -1;
    sqlite3_close(h);
    return rc;
}

#endif
