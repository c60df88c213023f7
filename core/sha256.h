/* sha256.h - SHA-256 digests (libcrypto), for the run manifest's hashes. */
#ifndef QUIRE_SHA256_H
#define QUIRE_SHA256_H

#include <stddef.h>

/* The hex digest of n bytes: 64 lower-case hex digits and a NUL. */
void sha256_hex(const void *data, size_t n, char out[65]);

/* The hex digest of a file's bytes; returns -1 (out = "") when unreadable. */
int sha256_file(const char *path, char out[65]);

#endif
