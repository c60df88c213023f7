/*
 * atomic.h - replace a file whole or not at all.
 *
 * Every file Quire writes for someone else to read (the PDF, the exported
 * CSVs, a copy delivered to a folder, the sample data) is written the same
 * way: into a temporary file beside the target, which is synced, closed and
 * renamed over the target; the folder is then synced so that the rename
 * survives a crash. A reader sees the old file or the new one, never a part
 * of either. On any failure the temporary file is removed and the target is
 * left as it was.
 *
 * In one call, for output that is in memory:
 *
 *     atomic_write(path, data, len, 0666, 0, err);
 *
 * Or piece by piece, for output produced as it goes:
 *
 *     atomic_file f;
 *     if (atomic_open(&f, path, NULL, 0666, 0, err)) return -1;
 *     ... atomic_put(&f, chunk, n, err) ...
 *     return atomic_commit(&f, err);
 *
 * A call that fails sets err, removes the temporary file and leaves f closed;
 * atomic_abort() gives up on a file that has not failed (another file of the
 * same batch did). atomic_abort() is harmless on a file already committed,
 * aborted or failed, and on a zeroed atomic_file.
 */
#ifndef QUIRE_ATOMIC_H
#define QUIRE_ATOMIC_H

#include <stddef.h>

#include "error.h"

/* Flags. */
enum {
    /* The file gets exactly the mode asked for, whatever the umask (without
     * it, the umask applies as for any new file). */
    ATOMIC_EXACT_MODE = 1u << 0
};

typedef struct atomic_file {
    int fd;          /* the temporary file while it is open, else -1 */
    char *path;      /* the target */
    char *tmp;       /* the temporary file; NULL once renamed or removed */
    unsigned mode;
    unsigned flags;
    int stream;      /* the target is a character device or a FIFO, written directly */
} atomic_file;

/*
 * A target that is a character device or a FIFO (/dev/stdout, /dev/null, a
 * named pipe) cannot be replaced by a rename: atomic_open() opens it and the
 * bytes are streamed to it (no temporary file; what was written cannot be
 * taken back). A block device, a socket or other special file is refused. A
 * symlink to a regular file is followed: the file it names is replaced and
 * the link stays.
 */

/*
 * Start replacing path. The temporary file is tmp when it is not NULL (the
 * caller's name, created or truncated), else a new file named path, ".tmp."
 * and six random letters and digits. mode is its permission bits (subject to
 * the umask unless ATOMIC_EXACT_MODE). Returns 0, or -1 with err set
 * (QUIRE_EXIT_DELIVERY).
 */
int atomic_open(atomic_file *f, const char *path, const char *tmp, unsigned mode,
                unsigned flags, quire_error *err);

/* Append len bytes. Returns 0, or -1 with err set and the file given up. */
int atomic_put(atomic_file *f, const void *data, size_t len, quire_error *err);

/* Sync and close the temporary file without renaming it yet (for a batch of
 * files that should all be complete before any replaces its target).
 * atomic_commit() does this itself when it has not been done. Returns 0, or
 * -1 with err set and the file given up. */
int atomic_sync(atomic_file *f, quire_error *err);

/* Finish: sync and close (unless atomic_sync() did), rename over the target,
 * sync the folder. Returns 0, or -1 with err set and the file given up. */
int atomic_commit(atomic_file *f, quire_error *err);

/* Give up: close and remove the temporary file, free f's names. */
void atomic_abort(atomic_file *f);

/* The whole of data as the new content of path, in one call (a temporary file
 * path, ".tmp.", six random characters). Returns 0, or -1 with err set. */
int atomic_write(const char *path, const void *data, size_t len, unsigned mode, unsigned flags,
                 quire_error *err);

/*
 * A batch of files published together: each is written and synced, then
 * held (atomic_batch_hold moves f into the batch); atomic_batch_commit()
 * renames them all into place only once every one is complete, or
 * atomic_batch_abort() removes them all. A zeroed batch is empty.
 */
typedef struct atomic_batch {
    atomic_file *v;
    size_t n;
} atomic_batch;

void atomic_batch_hold(atomic_batch *b, atomic_file *f);
/* Returns 0, or -1 with err set; the batch is empty afterwards either way. */
int atomic_batch_commit(atomic_batch *b, quire_error *err);
void atomic_batch_abort(atomic_batch *b);

/* Remove every temporary file still being written (not yet renamed or given
 * up), in this process. Async-signal-safe (unlink only): for SIGTERM, SIGINT
 * and timeout handlers. */
void atomic_remove_pending(void);

#endif
