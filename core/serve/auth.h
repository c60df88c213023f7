/*
 * auth.h - the server's secrets: random tokens, their hashes, passwords,
 * sessions and the CSRF tokens of forms (libcrypto).
 *
 * Nothing here keeps a secret in the clear longer than a call: API tokens
 * are stored as their SHA-256 (they are random, 256 bits), passwords as
 * PBKDF2-HMAC-SHA256 with a random salt, and a form's CSRF token is an HMAC
 * of its session's id under a key drawn when the server starts.
 */
#ifndef QUIRE_AUTH_H
#define QUIRE_AUTH_H

#include <stddef.h>
#include <time.h>

typedef enum { ROLE_NONE = 0, ROLE_VIEWER = 1, ROLE_EDITOR = 2 } auth_role;

/* "viewer", "editor"; ROLE_NONE for anything else. */
auth_role auth_role_parse(const char *s);
const char *auth_role_name(auth_role r);

/* n random bytes from the kernel's generator as 2n hex digits (out holds
 * 2n + 1). Returns 0, or -1 when there is no randomness. */
int auth_random_hex(char *out, size_t n);
/* SHA-256 of s[0..n) as hex. */
void auth_sha256_hex(const void *s, size_t n, char out[65]);
/* The stored form of a password: "pbkdf2-sha256$ITERATIONS$SALT$HASH", a
 * new string; NULL when there is no randomness for the salt. */
char *auth_password_hash(const char *password);
/* Whether password matches a stored form (in constant time over the hash). */
int auth_password_check(const char *password, const char *stored);
/* Equal strings, compared in time that does not depend on where they
 * differ (but on their lengths). */
int auth_equal(const char *a, const char *b);

/* Sessions: in memory, lost when the server stops. A session of no user
 * (user "") only carries the CSRF token of an anonymous form: it is not
 * kept, and any well-formed id (64 hex digits) that is not a user's is one,
 * so cookieless requests cannot fill the table. */
#define AUTH_SID_LEN 64
typedef struct auth_session {
    char sid[AUTH_SID_LEN + 1];
    char user[64];
    auth_role role;
    time_t expires;
} auth_session;

/* Start the session table with a fresh HMAC key; ttl in seconds. */
int auth_sessions_init(long ttl);
/* A new session for user ("" for none) with role; writes it to *out.
 * Returns 0 or -1. */
int auth_session_new(const char *user, auth_role role, auth_session *out);
/* The live session sid names, copied to *out (user "" when it is no
 * user's); 0, or -1 when sid is not a session id. */
int auth_session_get(const char *sid, auth_session *out);
void auth_session_drop(const char *sid);
/* The CSRF token of session sid (hex HMAC-SHA256). */
void auth_csrf(const char *sid, char out[65]);

#endif
