/* sha256.h - SHA-256 digests (libcrypto), for the run manifest's hashes. */
#ifndef QUIRE_SHA256_H
#define QUIRE_SHA256_H

#include <stddef.h>

/* The hex digest of a regular file's bytes; returns -1 (out = "") when it is
 * unreadable or not a regular file (a device, a FIFO: never opened for reading). */
int sha256_file(const char *path, char out[65]);

#endif
