/* sha256.h - SHA-256 digests (libcrypto), for the run manifest's hashes:
 * of files, and of the records a source that is not a file delivered. */
#ifndef QUIRE_SHA256_H
#define QUIRE_SHA256_H

#include <stddef.h>
#include <sys/stat.h>

/* The hex digest of a regular file's bytes: exactly the st_size bytes it held
 * when opened, whose status goes to *st (when st is not NULL). Returns 0;
 * -1 (out = "") when it is unreadable or not a regular file (a device, a
 * FIFO: never opened for reading); -2 (out = "") when it changed while it
 * was hashed (it ended early, or its size, times or identity moved). */
int sha256_file(const char *path, char out[65], struct stat *st);

/* A digest fed in pieces: sha256_new(), sha256_add() any number of times,
 * then sha256_end(), which writes the hex digest and frees the context.
 * Allocation failure aborts, as xmalloc does. */
typedef struct sha256_ctx sha256_ctx;
sha256_ctx *sha256_new(void);
void sha256_add(sha256_ctx *c, const void *data, size_t n);
void sha256_end(sha256_ctx *c, char out[65]);

#endif
