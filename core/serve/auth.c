/* auth.c - random tokens, password hashes, sessions, CSRF tokens. */
#include "auth.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <openssl/rand.h>

#include "util.h"

/* OWASP's figure for PBKDF2-HMAC-SHA256 (2021 and after). */
#define PBKDF2_ITERATIONS 310000
#define SALT_BYTES 16
#define HASH_BYTES 32

auth_role auth_role_parse(const char *s)
{
    if (s && strcmp(s, "viewer") == 0)
        return ROLE_VIEWER;
    if (s && strcmp(s, "editor") == 0)
        return ROLE_EDITOR;
    return ROLE_NONE;
}

const char *auth_role_name(auth_role r)
{
    return r == ROLE_EDITOR ? "editor" : r == ROLE_VIEWER ? "viewer" : "none";
}

static void to_hex(const unsigned char *b, size_t n, char *out)
{
    static const char digits[] = "0123456789abcdef";
    size_t i;
    for (i = 0; i < n; i++) {
        out[2 * i] = digits[b[i] >> 4];
        out[2 * i + 1] = digits[b[i] & 15];
    }
    out[2 * n] = '\0';
}

int auth_random_hex(char *out, size_t n)
{
    unsigned char buf[64];

    if (n > sizeof buf || RAND_bytes(buf, (int)n) != 1) {
        out[0] = '\0';
        return -1;
    }
    to_hex(buf, n, out);
    OPENSSL_cleanse(buf, sizeof buf);
    return 0;
}

void auth_sha256_hex(const void *s, size_t n, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    EVP_Digest(s, n, md, &len, EVP_sha256(), NULL);
    to_hex(md, len, out);
}

static int pbkdf2(const char *password, const char *salt, long iterations, char out[65])
{
    unsigned char key[HASH_BYTES];

    if (PKCS5_PBKDF2_HMAC(password, (int)strlen(password), (const unsigned char *)salt,
                          (int)strlen(salt), (int)iterations, EVP_sha256(), HASH_BYTES,
                          key) != 1)
        return -1;
    to_hex(key, HASH_BYTES, out);
    OPENSSL_cleanse(key, sizeof key);
    return 0;
}

char *auth_password_hash(const char *password)
{
    char salt[2 * SALT_BYTES + 1], hash[65];

    if (auth_random_hex(salt, SALT_BYTES) || pbkdf2(password, salt, PBKDF2_ITERATIONS, hash))
        return NULL;
    return xasprintf("pbkdf2-sha256$%d$%s$%s", PBKDF2_ITERATIONS, salt, hash);
}

int auth_password_check(const char *password, const char *stored)
{
    char salt[65], want[65], got[65];
    long iterations;
    int k = 0;

    if (!stored || sscanf(stored, "pbkdf2-sha256$%ld$%64[0-9a-f]$%64[0-9a-f]%n", &iterations,
                          salt, want, &k) != 3 || stored[k] != '\0' || iterations < 1 ||
        iterations > 100000000L)
        return 0;
    if (pbkdf2(password, salt, iterations, got))
        return 0;
    return auth_equal(got, want);
}

int auth_equal(const char *a, const char *b)
{
    size_t n = strlen(a);
    return n == strlen(b) && CRYPTO_memcmp(a, b, n) == 0;
}

/* ------------------------------------------------------------ sessions */

#define MAX_SESSIONS 4096

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static auth_session *sessions;
static size_t nsessions;
static long session_ttl;
static unsigned char hmac_key[32];

int auth_sessions_init(long ttl)
{
    if (RAND_bytes(hmac_key, sizeof hmac_key) != 1)
        return -1;
    session_ttl = ttl;
    free(sessions);
    sessions = xcalloc(MAX_SESSIONS, sizeof *sessions);
    nsessions = 0;
    return 0;
}

int auth_session_new(const char *user, auth_role role, auth_session *out)
{
    auth_session s;
    time_t now = time(NULL);
    size_t i, slot = MAX_SESSIONS, oldest = 0;

    memset(&s, 0, sizeof s);
    if (auth_random_hex(s.sid, AUTH_SID_LEN / 2))
        return -1;
    snprintf(s.user, sizeof s.user, "%s", user ? user : "");
    s.role = role;
    s.expires = now + session_ttl;
    *out = s;
    /* A session of no user is not kept: any well-formed id is one (below),
     * so requests without a cookie cannot fill the table and push out the
     * sessions of signed-in users. */
    if (!s.user[0])
        return 0;
    pthread_mutex_lock(&lock);
    /* An expired slot, a free one, else the one that expires first. */
    for (i = 0; i < nsessions; i++) {
        if (sessions[i].expires <= now) {
            slot = i;
            break;
        }
        if (sessions[i].expires < sessions[oldest].expires)
            oldest = i;
    }
    if (slot == MAX_SESSIONS)
        slot = nsessions < MAX_SESSIONS ? nsessions++ : oldest;
    sessions[slot] = s;
    pthread_mutex_unlock(&lock);
    return 0;
}

int auth_session_get(const char *sid, auth_session *out)
{
    time_t now = time(NULL);
    size_t i;
    int rc = -1;

    if (!sid || strlen(sid) != AUTH_SID_LEN || strspn(sid, "0123456789abcdef") != AUTH_SID_LEN)
        return -1;
    pthread_mutex_lock(&lock);
    for (i = 0; i < nsessions; i++)
        if (sessions[i].expires > now && auth_equal(sessions[i].sid, sid)) {
            *out = sessions[i];
            rc = 0;
            break;
        }
    pthread_mutex_unlock(&lock);
    if (rc) {
        /* Nobody's session: it only carries the CSRF token of its forms. */
        memset(out, 0, sizeof *out);
        memcpy(out->sid, sid, AUTH_SID_LEN + 1);
        out->role = ROLE_NONE;
        out->expires = now + session_ttl;
        rc = 0;
    }
    return rc;
}

void auth_session_drop(const char *sid)
{
    size_t i;

    pthread_mutex_lock(&lock);
    for (i = 0; i < nsessions; i++)
        if (strcmp(sessions[i].sid, sid) == 0)
            memset(&sessions[i], 0, sizeof sessions[i]);
    pthread_mutex_unlock(&lock);
}

void auth_csrf(const char *sid, char out[65])
{
    unsigned char md[EVP_MAX_MD_SIZE];
    unsigned int len = 0;

    HMAC(EVP_sha256(), hmac_key, (int)sizeof hmac_key, (const unsigned char *)sid, strlen(sid),
         md, &len);
    to_hex(md, len, out);
}
