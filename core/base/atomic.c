/* atomic.c - replace a file whole or not at all. */
#include "atomic.h"

#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "util.h"

/*
 * The temporary files being written, for atomic_remove_pending() to remove
 * from a signal handler: a fixed table of pointers, filled and emptied with
 * atomic compare-and-swap, read with atomic loads (no locks, no allocation).
 * A file is taken out of the table before its name is freed.
 */
#define MAX_PENDING 256
static char *pending[MAX_PENDING];

static void pending_add(char *p)
{
    size_t i;

    for (i = 0; i < MAX_PENDING; i++) {
        char *none = NULL;
        if (__atomic_compare_exchange_n(&pending[i], &none, p, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            return;
    }
}

static void pending_remove(const char *p)
{
    size_t i;

    if (!p)
        return;
    for (i = 0; i < MAX_PENDING; i++) {
        char *was = (char *)p;
        if (__atomic_compare_exchange_n(&pending[i], &was, NULL, 0, __ATOMIC_SEQ_CST,
                                        __ATOMIC_SEQ_CST))
            return;
    }
}

void atomic_remove_pending(void)
{
    size_t i;

    for (i = 0; i < MAX_PENDING; i++) {
        char *p = __atomic_load_n(&pending[i], __ATOMIC_SEQ_CST);
        if (p)
            unlink(p);
    }
}

/* Record what failed on f's temporary file ("cannot VERB TMP TAIL", errno e),
 * then give the file up. */
static int fail(atomic_file *f, int e, const char *verb, const char *tail, quire_error *err)
{
    char eb[128];

    quire_err_at(err, QUIRE_EXIT_DELIVERY, f->path, 0, 0, "cannot %s %s%s: %s", verb,
                 f->stream ? f->path : f->tmp, tail, quire_strerror(e, eb, sizeof eb));
    atomic_abort(f);
    return -1;
}

/* Six letters and digits, as mkstemp would pick. */
/* A temporary file is the target's name, ".tmp." and this many random
 * letters and digits. */
#define TMP_MARK ".tmp."
#define TMP_RANDOM 6

/* TMP_RANDOM random letters and digits into out (no terminator). */
static void random_suffix(char *out)
{
    static const char letters[] =
        "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789";
    unsigned char r[TMP_RANDOM];
    int i;

    if (getrandom(r, sizeof r, GRND_NONBLOCK) != (ssize_t)sizeof r) {
        static unsigned counter;
        struct timespec ts;
        uint64_t x;

        clock_gettime(CLOCK_REALTIME, &ts);
        x = (uint64_t)ts.tv_nsec ^ ((uint64_t)ts.tv_sec << 20) ^ ((uint64_t)getpid() << 40) ^
            (uint64_t)__atomic_add_fetch(&counter, 1, __ATOMIC_RELAXED) * 0x9E3779B97F4A7C15ull;
        for (i = 0; i < TMP_RANDOM; i++) {
            x ^= x >> 29;
            x *= 0xBF58476D1CE4E5B9ull;
            r[i] = (unsigned char)(x >> 56);
        }
    }
    for (i = 0; i < TMP_RANDOM; i++)
        out[i] = letters[r[i] % (sizeof letters - 1)];
}

int atomic_open(atomic_file *f, const char *path, const char *tmp, unsigned mode,
                unsigned flags, quire_error *err)
{
    char eb[128];
    int e, tries;

    memset(f, 0, sizeof *f);
    f->fd = -1;
    f->mode = mode;
    f->flags = flags;
    if (tmp) {
        f->fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, (mode_t)mode);
        if (f->fd < 0) {
            e = errno;
            return quire_err_at(err, QUIRE_EXIT_DELIVERY, path, 0, 0, "cannot create %s: %s",
                                tmp, quire_strerror(e, eb, sizeof eb));
        }
        f->tmp = xstrdup(tmp);
        pending_add(f->tmp);
    } else {
        struct stat sb, lsb;
        size_t n;

        if (stat(path, &sb) == 0 && !S_ISREG(sb.st_mode) && !S_ISDIR(sb.st_mode)) {
            /* A character device or a FIFO (/dev/stdout on a terminal or a
             * pipe, /dev/null) cannot be replaced by a rename: the bytes are
             * streamed to it. Anything else that is not a file is refused. */
            if (!S_ISCHR(sb.st_mode) && !S_ISFIFO(sb.st_mode))
                return quire_err_at(err, QUIRE_EXIT_DELIVERY, path, 0, 0,
                                    "cannot write: not a regular file, a character device "
                                    "or a FIFO");
            f->fd = open(path, O_WRONLY | O_CLOEXEC | O_NOCTTY);
            if (f->fd < 0) {
                e = errno;
                return quire_err_at(err, QUIRE_EXIT_DELIVERY, path, 0, 0, "cannot open: %s",
                                    quire_strerror(e, eb, sizeof eb));
            }
            f->stream = 1;
            f->path = xstrdup(path);
            return 0;
        }
        if (lstat(path, &lsb) == 0 && S_ISLNK(lsb.st_mode) && S_ISREG(sb.st_mode)) {
            /* A symlink to a file: the file it points to is replaced, the
             * link stays (/dev/stdout redirected to a file stays a link). */
            char *real = realpath(path, NULL);
            if (real) {
                int rc = atomic_open(f, real, NULL, mode, flags, err);
                free(real);
                return rc;
            }
        }
        n = strlen(path);

        f->tmp = xmalloc(n + sizeof TMP_MARK + TMP_RANDOM);
        memcpy(f->tmp, path, n);
        memcpy(f->tmp + n, TMP_MARK, sizeof TMP_MARK - 1);
        f->tmp[n + sizeof TMP_MARK - 1 + TMP_RANDOM] = '\0';
        for (tries = 0; tries < 100; tries++) {
            random_suffix(f->tmp + n + sizeof TMP_MARK - 1);
            f->fd = open(f->tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, (mode_t)mode);
            if (f->fd >= 0 || errno != EEXIST)
                break;
        }
        if (f->fd >= 0)
            pending_add(f->tmp);
        if (f->fd < 0) {
            e = errno;
            free(f->tmp);
            f->tmp = NULL;
            return quire_err_at(err, QUIRE_EXIT_DELIVERY, path, 0, 0,
                                "cannot create a temporary file beside it: %s",
                                quire_strerror(e, eb, sizeof eb));
        }
    }
    f->path = xstrdup(path);
    return 0;
}

/* A file that failed or was finished takes nothing more. */
static int closed(const atomic_file *f, quire_error *err)
{
    return quire_err_at(err, QUIRE_EXIT_DELIVERY, f->path ? f->path : "(output)", 0, 0,
                        "the file was already %s", f->path ? "closed" : "given up");
}

int atomic_put(atomic_file *f, const void *data, size_t len, quire_error *err)
{
    const char *p = data;

    if (f->fd < 0)
        return closed(f, err);
    while (len > 0) {
        ssize_t k = write(f->fd, p, len);

        if (k < 0) {
            if (errno == EINTR)
                continue;
            return fail(f, errno, "write", "", err);
        }
        p += k;
        len -= (size_t)k;
    }
    return 0;
}

int atomic_sync(atomic_file *f, quire_error *err)
{
    int rc;

    if (f->fd < 0)
        return 0;
    if (f->stream) {
        rc = close(f->fd);
        f->fd = -1;
        return rc != 0 ? fail(f, errno, "close", "", err) : 0;
    }
    if ((f->flags & ATOMIC_EXACT_MODE) && fchmod(f->fd, (mode_t)f->mode) != 0)
        return fail(f, errno, "set the mode of", "", err);
    /* A file system that cannot sync (EINVAL) keeps what was written. */
    if (fsync(f->fd) != 0 && errno != EINVAL && errno != EROFS)
        return fail(f, errno, "sync", "", err);
    rc = close(f->fd);
    f->fd = -1;
    if (rc != 0)
        return fail(f, errno, "close", "", err);
    return 0;
}

/* Make a rename in the folder holding path durable. */
static void sync_dir(const char *path)
{
    char *dir = path_dirname(path);
    int fd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);

    if (fd >= 0) {
        fsync(fd);
        close(fd);
    }
    free(dir);
}

int atomic_commit(atomic_file *f, quire_error *err)
{
    if (f->stream && f->path) {
        if (atomic_sync(f, err))
            return -1;
        atomic_abort(f); /* frees the name */
        return 0;
    }
    if (!f->tmp)
        return closed(f, err);
    if (atomic_sync(f, err))
        return -1;
    if (rename(f->tmp, f->path) != 0)
        return fail(f, errno, "rename", " into place", err);
    pending_remove(f->tmp);
    free(f->tmp);
    f->tmp = NULL;
    sync_dir(f->path);
    atomic_abort(f); /* nothing left to remove: frees the names */
    return 0;
}

void atomic_abort(atomic_file *f)
{
    if (f->tmp) {
        if (f->fd >= 0)
            close(f->fd);
        unlink(f->tmp);
        pending_remove(f->tmp);
        free(f->tmp);
    } else if (f->stream && f->fd >= 0) {
        close(f->fd);
    }
    free(f->path);
    f->fd = -1;
    f->tmp = NULL;
    f->path = NULL;
    f->stream = 0;
}

void atomic_batch_hold(atomic_batch *b, atomic_file *f)
{
    b->v = xrealloc(b->v, (b->n + 1) * sizeof *b->v);
    b->v[b->n++] = *f;
    memset(f, 0, sizeof *f);
    f->fd = -1;
}

int atomic_batch_commit(atomic_batch *b, quire_error *err)
{
    size_t i;
    int rc = 0;

    for (i = 0; i < b->n; i++)
        if (!rc && atomic_sync(&b->v[i], err))
            rc = -1;
    for (i = 0; i < b->n; i++)
        if (!rc && atomic_commit(&b->v[i], err))
            rc = -1;
    atomic_batch_abort(b);
    return rc;
}

void atomic_batch_abort(atomic_batch *b)
{
    size_t i;

    for (i = 0; i < b->n; i++)
        atomic_abort(&b->v[i]);
    free(b->v);
    b->v = NULL;
    b->n = 0;
}

int atomic_write(const char *path, const void *data, size_t len, unsigned mode, unsigned flags,
                 quire_error *err)
{
    atomic_file f;

    if (atomic_open(&f, path, NULL, mode, flags, err) || atomic_put(&f, data, len, err))
        return -1;
    return atomic_commit(&f, err);
}
