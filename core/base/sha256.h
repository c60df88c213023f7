/* sha256.h - SHA-256 digests (libcrypto), for the run manifest's hashes. */
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

#endif
