/* test_atomic.c - replacing a file whole or not at all (core/base/atomic.c). */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "atomic.h"
#include "check.h"
#include "util.h"

static char top[64];

/* top/name, in static storage (the last four calls' results stay valid). */
static const char *at(const char *name)
{
    static char buf[4][256];
    static unsigned next;
    char *b = buf[next++ % 4];

    snprintf(b, sizeof buf[0], "%s/%s", top, name);
    return b;
}

/* The file's content, or NULL when it cannot be read. */
static char *slurp(const char *path, size_t *len)
{
    FILE *f = fopen(path, "rb");
    char *p = NULL;
    long n;

    if (!f)
        return NULL;
    if (fseek(f, 0, SEEK_END) == 0 && (n = ftell(f)) >= 0 && fseek(f, 0, SEEK_SET) == 0) {
        p = xmalloc((size_t)n + 1);
        *len = fread(p, 1, (size_t)n, f);
        p[*len] = '\0';
    }
    fclose(f);
    return p;
}

static int holds(const char *path, const char *text)
{
    size_t n = 0;
    char *p = slurp(path, &n);
    int same = p && n == strlen(text) && memcmp(p, text, n) == 0;

    free(p);
    return same;
}

/* Entries of dir whose name contains ".tmp" (leftover temporary files). */
static int count_tmp(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    int n = 0;

    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL)
        if (strstr(e->d_name, ".tmp"))
            n++;
    closedir(d);
    return n;
}

static unsigned mode_of(const char *path)
{
    struct stat st;
    return stat(path, &st) == 0 ? (unsigned)(st.st_mode & 07777) : 0u;
}

static void put_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "wb");
    CHECK(f != NULL);
    if (f) {
        fputs(text, f);
        fclose(f);
    }
}

/* One call: the file appears whole, replaces what was there, nothing else is left. */
static void test_write(void)
{
    quire_error err = {0};
    char *big = xmalloc(3 << 20);
    size_t i, n = 0;
    char *back;

    CHECK(atomic_write(at("a.txt"), "hello\n", 6, 0666, 0, &err) == 0);
    CHECK(holds(at("a.txt"), "hello\n"));
    CHECK(count_tmp(top) == 0);
    CHECK(atomic_write(at("a.txt"), "again\n", 6, 0666, 0, &err) == 0);
    CHECK(holds(at("a.txt"), "again\n"));
    CHECK(atomic_write(at("a.txt"), "", 0, 0666, 0, &err) == 0);
    CHECK(holds(at("a.txt"), ""));
    /* several write() calls' worth */
    for (i = 0; i < (3u << 20); i++)
        big[i] = (char)('a' + i % 26);
    CHECK(atomic_write(at("big.bin"), big, 3u << 20, 0666, 0, &err) == 0);
    back = slurp(at("big.bin"), &n);
    CHECK(back && n == (3u << 20) && memcmp(back, big, n) == 0);
    free(back);
    free(big);
    CHECK(count_tmp(top) == 0);
    CHECK(err.code == 0);
    unlink(at("a.txt"));
    unlink(at("big.bin"));
}

/* Modes: the umask applies unless the mode is exact. */
static void test_modes(void)
{
    quire_error err = {0};
    mode_t old = umask(022);

    CHECK(atomic_write(at("m1"), "x", 1, 0666, 0, &err) == 0);
    CHECK(mode_of(at("m1")) == 0644);
    umask(077);
    CHECK(atomic_write(at("m2"), "x", 1, 0666, 0, &err) == 0);
    CHECK(mode_of(at("m2")) == 0600);
    CHECK(atomic_write(at("m3"), "x", 1, 0644, ATOMIC_EXACT_MODE, &err) == 0);
    CHECK(mode_of(at("m3")) == 0644);
    /* replacing a file gives it the new file's mode */
    CHECK(atomic_write(at("m1"), "y", 1, 0600, ATOMIC_EXACT_MODE, &err) == 0);
    CHECK(mode_of(at("m1")) == 0600);
    umask(old);
    unlink(at("m1"));
    unlink(at("m2"));
    unlink(at("m3"));
}

/* Failures: an error naming the path, no temporary file, the target as it was. */
static void test_failures(void)
{
    quire_error err = {0};
    atomic_file f;
    struct rlimit old, small;
    static char chunk[65536];

    /* a folder that does not exist */
    CHECK(atomic_write(at("missing/a.txt"), "x", 1, 0666, 0, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_STR(err.file, at("missing/a.txt"));
    CHECK_CONTAINS(err.msg, "No such file or directory");
    CHECK(access(at("missing"), F_OK) != 0);
    CHECK(count_tmp(top) == 0);
    /* the same with the caller's temporary name */
    memset(&err, 0, sizeof err);
    CHECK(atomic_open(&f, at("missing/a.txt"), at("missing/.a.txt.tmp"), 0644, 0, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_STR(err.file, at("missing/a.txt"));
    atomic_abort(&f); /* harmless after a failed open */

    /* a folder that refuses new files (when not root: root writes anyway) */
    if (geteuid() != 0) {
        CHECK(mkdir(at("ro"), 0555) == 0);
        memset(&err, 0, sizeof err);
        CHECK(atomic_write(at("ro/a.txt"), "x", 1, 0666, 0, &err) == -1);
        CHECK_CONTAINS(err.msg, "Permission denied");
        CHECK(count_tmp(at("ro")) == 0);
        rmdir(at("ro"));
    }

    /* the rename fails (the target is a folder): the temporary file goes */
    CHECK(mkdir(at("afolder"), 0755) == 0);
    memset(&err, 0, sizeof err);
    CHECK(atomic_write(at("afolder"), "x", 1, 0666, 0, &err) == -1);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_CONTAINS(err.msg, "rename");
    CHECK(count_tmp(top) == 0);
    rmdir(at("afolder"));

    /* a write that fails half-way (file size limit): the old file stays */
    put_file(at("keep.txt"), "previous\n");
    CHECK(atomic_open(&f, at("keep.txt"), NULL, 0666, 0, &err) == 0);
    CHECK(getrlimit(RLIMIT_FSIZE, &old) == 0);
    small = old;
    small.rlim_cur = 100000;
    signal(SIGXFSZ, SIG_IGN);
    CHECK(setrlimit(RLIMIT_FSIZE, &small) == 0);
    memset(&err, 0, sizeof err);
    {
        int rc = 0, i;
        for (i = 0; i < 4 && rc == 0; i++)
            rc = atomic_put(&f, chunk, sizeof chunk, &err);
        CHECK(rc == -1);
    }
    CHECK(setrlimit(RLIMIT_FSIZE, &old) == 0);
    signal(SIGXFSZ, SIG_DFL);
    CHECK(err.code == QUIRE_EXIT_DELIVERY);
    CHECK_CONTAINS(err.msg, at("keep.txt"));
    CHECK_CONTAINS(err.msg, "cannot write");
    CHECK(f.tmp == NULL && f.fd == -1);
    /* what is left of a failed file refuses the rest */
    CHECK(atomic_put(&f, "x", 1, &err) == -1);
    CHECK(atomic_commit(&f, &err) == -1);
    atomic_abort(&f);
    CHECK(holds(at("keep.txt"), "previous\n"));
    CHECK(count_tmp(top) == 0);
    unlink(at("keep.txt"));
}

/* Piece by piece: the target appears only at the commit; the temporary file
 * is named path.tmp.<6 random characters>, or as the caller says. */
static void test_streaming(void)
{
    quire_error err = {0};
    atomic_file f, g, z;
    const char *tmp;
    int fd0 = fcntl(0, F_GETFD) != -1;

    put_file(at("s.csv"), "old\n");
    CHECK(atomic_open(&f, at("s.csv"), NULL, 0666, 0, &err) == 0);
    tmp = f.tmp;
    CHECK(tmp && strncmp(tmp, at("s.csv"), strlen(at("s.csv"))) == 0);
    CHECK(tmp && strlen(tmp) == strlen(at("s.csv")) + 11 &&
          strncmp(tmp + strlen(at("s.csv")), ".tmp.", 5) == 0);
    CHECK(atomic_put(&f, "a,b\n", 4, &err) == 0 && atomic_put(&f, "1,2\n", 4, &err) == 0);
    CHECK(holds(at("s.csv"), "old\n"));
    CHECK(count_tmp(top) == 1);
    CHECK(atomic_commit(&f, &err) == 0);
    CHECK(holds(at("s.csv"), "a,b\n1,2\n"));
    CHECK(count_tmp(top) == 0);
    CHECK(f.path == NULL && f.tmp == NULL);
    atomic_abort(&f); /* harmless after a commit */

    /* a batch: both synced first, then renamed */
    CHECK(atomic_open(&f, at("one"), at("one.tmp"), 0666, 0, &err) == 0);
    CHECK(atomic_open(&g, at("two"), at("two.tmp"), 0666, 0, &err) == 0);
    CHECK(access(at("one.tmp"), F_OK) == 0);
    CHECK(atomic_put(&f, "1", 1, &err) == 0 && atomic_put(&g, "2", 1, &err) == 0);
    CHECK(atomic_sync(&f, &err) == 0 && atomic_sync(&g, &err) == 0);
    CHECK(access(at("one"), F_OK) != 0 && holds(at("one.tmp"), "1"));
    CHECK(atomic_commit(&f, &err) == 0 && atomic_commit(&g, &err) == 0);
    CHECK(holds(at("one"), "1") && holds(at("two"), "2"));
    CHECK(count_tmp(top) == 0);

    /* given up: after a sync too, the temporary file goes, the target stays */
    CHECK(atomic_open(&f, at("one"), NULL, 0666, 0, &err) == 0);
    CHECK(atomic_put(&f, "new", 3, &err) == 0);
    atomic_abort(&f);
    CHECK(holds(at("one"), "1") && count_tmp(top) == 0);
    CHECK(atomic_open(&f, at("one"), at("one.tmp"), 0666, 0, &err) == 0);
    CHECK(atomic_put(&f, "new", 3, &err) == 0 && atomic_sync(&f, &err) == 0);
    atomic_abort(&f);
    atomic_abort(&f);
    CHECK(holds(at("one"), "1") && count_tmp(top) == 0);
    memset(&z, 0, sizeof z);
    atomic_abort(&z); /* a zeroed file: nothing to do, fd 0 left alone */
    CHECK((fcntl(0, F_GETFD) != -1) == fd0);
    CHECK(err.code == 0);
    unlink(at("s.csv"));
    unlink(at("one"));
    unlink(at("two"));
}

int main(void)
{
    check_template(top, sizeof top, "/tmp/quire-atomic-");
    if (!mkdtemp(top)) {
        perror("mkdtemp");
        return 1;
    }
    test_write();
    test_modes();
    test_failures();
    test_streaming();
    CHECK(rmdir(top) == 0);
    return check_done("atomic");
}
