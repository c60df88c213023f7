/* sha256.h - SHA-256 (FIPS 180-4), for the run manifest's hashes. */
#ifndef QUIRE_SHA256_H
#define QUIRE_SHA256_H

#include <stddef.h>
#include <stdint.h>

typedef struct sha256_ctx {
    uint32_t h[8];
    uint64_t len;          /* bytes hashed */
    unsigned char buf[64];
    size_t fill;
} sha256_ctx;

void sha256_init(sha256_ctx *c);
void sha256_update(sha256_ctx *c, const void *data, size_t n);
/* The digest as 64 lower-case hex digits and a NUL. */
void sha256_hex(sha256_ctx *c, char out[65]);

/* The hex digest of a file's bytes; returns -1 (out = "") when unreadable. */
int sha256_file(const char *path, char out[65]);

#endif
