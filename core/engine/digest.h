/*
 * digest.h - SHA-256 of a report's inputs, computed beside the run.
 *
 * The run manifest names every input file (the spec, the data files of its
 * sources, the segment rule, the KPI scripts, Quire's Lua library and the
 * insight scripts) with its hash. Hashing a few
 * hundred MB of data takes a noticeable fraction of a second, so it runs on
 * a thread of its own from the moment the spec is loaded, while the sources
 * are read, and the report waits for it only when it writes the manifest.
 */
#ifndef QUIRE_DIGEST_H
#define QUIRE_DIGEST_H

#include <stddef.h>

#include "error.h"
#include "plugins.h"
#include "spec.h"

typedef struct input_digest {
    char *path;
    const char *name;  /* how the manifest names it when not by path, or NULL */
    const char *source; /* the source whose option names it, or NULL */
    char hex[65];      /* "" when the file could not be read */
} input_digest;

typedef struct input_digests input_digests;

/* Start hashing the spec's inputs (s must outlive digests_wait). A source's
 * files are its options of type PATH in its plugin (from reg); with reg
 * NULL, its options named path. Never NULL: without a thread, the hashes are
 * computed in digests_wait. */
input_digests *digests_start(const spec *s, plugin_registry *reg);
/* Wait for the hashes; returns the array of *n entries, spec file first. */
const input_digest *digests_wait(input_digests *d, size_t *n);
/* Wait for the hashes, then check that every file hashed is still as it was
 * when it was hashed (same file, size and times): a file written to,
 * truncated or replaced while the report was made would give a report over
 * bytes other than those the manifest names. Returns 0, or -1 with err
 * naming the file (exit status QUIRE_EXIT_TRANSIENT: run again later). */
int digests_check(input_digests *d, quire_error *err);
void digests_free(input_digests *d);

#endif
