/* test_serve.c - the report server's pieces that need no socket: report
 * names, password hashes, tokens and sessions, CSRF tokens, HTML escaping,
 * the users and tokens stored (hashes only) and the run records. */
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <sqlite3.h>

#include "auth.h"
#include "catalog.h"
#include "check.h"
#include "pages.h"
#include "store.h"

static void test_names(void)
{
    CHECK(catalog_name_ok("monthly_segments"));
    CHECK(catalog_name_ok("Q1-2024"));
    CHECK(!catalog_name_ok(""));
    CHECK(!catalog_name_ok(".."));
    CHECK(!catalog_name_ok("../etc/passwd"));
    CHECK(!catalog_name_ok("a/b"));
    CHECK(!catalog_name_ok("a.yaml"));
    CHECK(!catalog_name_ok("a b"));
    CHECK(!catalog_name_ok("caf\xc3\xa9"));
    CHECK(!catalog_path("reports", "../reports/monthly_segments"));
}

static void test_passwords(void)
{
    char *h = auth_password_hash("correct horse battery");
    char *h2 = auth_password_hash("correct horse battery");

    CHECK(h && strncmp(h, "pbkdf2-sha256$310000$", 21) == 0);
    CHECK(h && !strstr(h, "correct"));
    CHECK(auth_password_check("correct horse battery", h));
    CHECK(!auth_password_check("correct horse batterY", h));
    CHECK(!auth_password_check("", h));
    /* Salted: the same password hashes differently. */
    CHECK(h && h2 && strcmp(h, h2) != 0);
    CHECK(!auth_password_check("a", "pbkdf2-sha256$0$00$00"));
    CHECK(!auth_password_check("a", "plain"));
    CHECK(!auth_password_check("a", NULL));
    free(h);
    free(h2);
}

static void test_sessions(void)
{
    auth_session s, got;
    char c1[65], c2[65];

    CHECK(auth_sessions_init(3600) == 0);
    CHECK(auth_session_new("ann", ROLE_EDITOR, &s) == 0);
    CHECK(strlen(s.sid) == AUTH_SID_LEN);
    CHECK(auth_session_get(s.sid, &got) == 0);
    CHECK_STR(got.user, "ann");
    CHECK(got.role == ROLE_EDITOR);
    auth_csrf(s.sid, c1);
    auth_csrf(s.sid, c2);
    CHECK_STR(c1, c2);
    CHECK(strlen(c1) == 64);
    CHECK(strcmp(c1, s.sid) != 0);
    CHECK(auth_session_get("nothing", &got) == -1);
    auth_session_drop(s.sid);
    /* Dropped: the id is nobody's now. */
    CHECK(auth_session_get(s.sid, &got) == 0 && got.user[0] == '\0' && got.role == ROLE_NONE);
    CHECK(auth_session_new("", ROLE_NONE, &s) == 0);
    CHECK(auth_session_get(s.sid, &got) == 0 && got.user[0] == '\0');
    CHECK(auth_equal("abc", "abc"));
    CHECK(!auth_equal("abc", "abd"));
    CHECK(!auth_equal("abc", "abcd"));
    CHECK(auth_role_parse("viewer") == ROLE_VIEWER);
    CHECK(auth_role_parse("admin") == ROLE_NONE);
}

static void test_escape(void)
{
    strbuf b = {0};
    sb_html(&b, "<script>alert('x')</script>&\"");
    CHECK_STR(b.s, "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;&amp;&quot;");
    sb_free(&b);
}

static void test_store(void)
{
    char dir[256], *path, token[80], name[64], hash[65];
    quire_error err = {0};
    store *st;
    srun r, r2;
    int fresh = 0;
    sqlite3 *db;
    sqlite3_stmt *q;

    check_template(dir, sizeof dir, "/tmp/test_serve.");
    CHECK(mkdtemp(dir) != NULL);
    path = xasprintf("%s/state.db", dir);
    st = store_open(path, &err);
    CHECK(st != NULL);
    if (!st)
        return;
    CHECK(!store_has_auth(st));
    CHECK(store_user_set(st, "ann", ROLE_EDITOR, "long enough secret", &err) == 0);
    CHECK(store_user_check(st, "ann", "long enough secret") == ROLE_EDITOR);
    CHECK(store_user_check(st, "ann", "wrong secret") == ROLE_NONE);
    CHECK(store_user_check(st, "bob", "long enough secret") == ROLE_NONE);
    CHECK(store_token_add(st, "ci", ROLE_VIEWER, token, &err) == 0);
    CHECK(strncmp(token, "qt_", 3) == 0 && strlen(token) == 67);
    CHECK(store_token_check(st, token, name) == ROLE_VIEWER);
    CHECK_STR(name, "ci");
    token[10] = token[10] == 'a' ? 'b' : 'a';
    CHECK(store_token_check(st, token, name) == ROLE_NONE);
    CHECK(store_has_auth(st));

    /* One run per key while it is queued, running or done. */
    CHECK(store_run_find_or_add(st, "r", "k1", "{}", "ann", 1000, &r, &fresh, &err) == 0);
    CHECK(fresh == 1);
    CHECK(store_run_find_or_add(st, "r", "k1", "{}", "ann", 1001, &r2, &fresh, &err) == 0);
    CHECK(fresh == 0 && r2.id == r.id);
    srun_clear(&r2);
    CHECK(store_run_set(st, r.id, SRUN_FAILED, "x.yaml:3:1: error: no", 1002) == 0);
    CHECK(store_run_find_or_add(st, "r", "k1", "{}", "ann", 1003, &r2, &fresh, &err) == 0);
    CHECK(fresh == 1 && r2.id != r.id);
    CHECK(store_runs_abandon_open(st, 1004) == 0);
    srun_clear(&r);
    CHECK(store_run_get(st, r2.id, &r) == 0);
    CHECK_STR(r.status, SRUN_ABANDONED);
    srun_clear(&r);
    srun_clear(&r2);
    store_close(st);

    /* What is stored: hashes, not the secrets. */
    CHECK(sqlite3_open(path, &db) == SQLITE_OK);
    CHECK(sqlite3_prepare_v2(db, "SELECT hash FROM serve_tokens", -1, &q, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(q) == SQLITE_ROW);
    snprintf(hash, sizeof hash, "%s", (const char *)sqlite3_column_text(q, 0));
    CHECK(strlen(hash) == 64 && !strstr(hash, "qt_"));
    sqlite3_finalize(q);
    CHECK(sqlite3_prepare_v2(db, "SELECT password FROM serve_users", -1, &q, NULL) == SQLITE_OK);
    CHECK(sqlite3_step(q) == SQLITE_ROW);
    CHECK(!strstr((const char *)sqlite3_column_text(q, 0), "secret"));
    sqlite3_finalize(q);
    sqlite3_close(db);
    unlink(path);
    free(path);
    path = xasprintf("%s/state.db-wal", dir);
    unlink(path);
    free(path);
    path = xasprintf("%s/state.db-shm", dir);
    unlink(path);
    free(path);
    rmdir(dir);
}

int main(void)
{
    test_names();
    test_passwords();
    test_sessions();
    test_escape();
    test_store();
    return check_done("test_serve");
}
