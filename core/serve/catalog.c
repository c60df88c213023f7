/* catalog.c - the reports of a folder, and the keys of their runs. */
#include "catalog.h"

#include <dirent.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "digest.h"
#include "sha256.h"
#include "util.h"

#ifndef QUIRE_VERSION
#define QUIRE_VERSION "0.0.0"
#endif

int catalog_name_ok(const char *name)
{
    size_t i;

    if (!name || !*name)
        return 0;
    for (i = 0; name[i]; i++) {
        char c = name[i];
        if (i >= 100 || !((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
                          (c >= '0' && c <= '9') || c == '_' || c == '-'))
            return 0;
    }
    return 1;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

int catalog_list(const char *dir, char ***names, size_t *n)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    size_t cap = 0;

    *names = NULL;
    *n = 0;
    if (!d)
        return -1;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        char *name;
        if (len <= 5 || strcmp(e->d_name + len - 5, ".yaml") != 0)
            continue;
        name = xstrndup(e->d_name, len - 5);
        if (!catalog_name_ok(name)) {
            free(name);
            continue;
        }
        if (*n == cap) {
            cap = cap ? 2 * cap : 16;
            *names = xrealloc(*names, cap * sizeof **names);
        }
        (*names)[(*n)++] = name;
    }
    closedir(d);
    if (*n)
        qsort(*names, *n, sizeof **names, cmp_str);
    return 0;
}

void catalog_names_free(char **names, size_t n)
{
    size_t i;
    for (i = 0; i < n; i++)
        free(names[i]);
    free(names);
}

char *catalog_path(const char *dir, const char *name)
{
    struct stat st;
    char *path;

    if (!catalog_name_ok(name))
        return NULL;
    path = xasprintf("%s/%s.yaml", dir, name);
    if (stat(path, &st) != 0 || !S_ISREG(st.st_mode)) {
        free(path);
        return NULL;
    }
    return path;
}

/* Keep the server's folders out of an error: "DIR/x.yaml:3:1" -> "x.yaml:3:1". */
static void strip_dir(quire_error *err, const char *dir)
{
    size_t n = strlen(dir);
    if (strncmp(err->file, dir, n) == 0 && err->file[n] == '/')
        memmove(err->file, err->file + n + 1, strlen(err->file + n + 1) + 1);
    /* A request's parameter is not a command-line option. */
    if (strncmp(err->msg, "--param ", 8) == 0) {
        size_t rest = strlen(err->msg + 8);
        if (rest + 11 > sizeof err->msg)
            rest = sizeof err->msg - 11;
        memmove(err->msg + 10, err->msg + 8, rest);
        err->msg[10 + rest] = '\0';
        memcpy(err->msg, "parameter ", 10);
    }
}

spec *catalog_load(const char *dir, const char *name, const spec_override *ov, size_t nov,
                   quire_error *err)
{
    char *path = catalog_path(dir, name);
    spec *s;

    if (!path) {
        quire_err(err, QUIRE_EXIT_USAGE, "no report \"%s\"", name);
        return NULL;
    }
    s = spec_load(path, ov, nov, err);
    if (!s)
        strip_dir(err, dir);
    free(path);
    return s;
}

/* ------------------------------------------------------------ keys */

typedef struct memo_file {
    char *path;
    dev_t dev;
    ino_t ino;
    off_t size;
    struct timespec mtime, ctime;
} memo_file;

typedef struct memo {
    char *request;        /* name and parameters as asked */
    char key[65];
    memo_file *files;
    size_t nfiles;
    unsigned long used;
} memo;

#define MEMOS 256
static memo memos[MEMOS];
static unsigned long memo_clock;
static pthread_mutex_t memo_lock = PTHREAD_MUTEX_INITIALIZER;
/* spec_load and the digests run one at a time: they are the slow path. */
static pthread_mutex_t load_lock = PTHREAD_MUTEX_INITIALIZER;

static int same_file(const memo_file *f)
{
    struct stat st;
    return stat(f->path, &st) == 0 && st.st_dev == f->dev && st.st_ino == f->ino &&
           st.st_size == f->size && st.st_mtim.tv_sec == f->mtime.tv_sec &&
           st.st_mtim.tv_nsec == f->mtime.tv_nsec && st.st_ctim.tv_sec == f->ctime.tv_sec &&
           st.st_ctim.tv_nsec == f->ctime.tv_nsec;
}

static void memo_clear(memo *m)
{
    size_t i;
    for (i = 0; i < m->nfiles; i++)
        free(m->files[i].path);
    free(m->files);
    free(m->request);
    memset(m, 0, sizeof *m);
}

/* The memo of request whose files are all unchanged: its key in key. */
static int memo_find(const char *request, char key[65])
{
    char want[65] = "";
    memo_file *files = NULL;
    size_t i, n = 0;
    int rc = -1;

    pthread_mutex_lock(&memo_lock);
    for (i = 0; i < MEMOS; i++)
        if (memos[i].request && strcmp(memos[i].request, request) == 0) {
            memos[i].used = ++memo_clock;
            memcpy(want, memos[i].key, sizeof want);
            n = memos[i].nfiles;
            files = xmalloc((n ? n : 1) * sizeof *files);
            memcpy(files, memos[i].files, n * sizeof *files);
            for (size_t j = 0; j < n; j++)
                files[j].path = xstrdup(memos[i].files[j].path);
            break;
        }
    pthread_mutex_unlock(&memo_lock);
    if (!want[0])
        return -1;
    /* stat outside the lock: the files are this memo's copies. */
    rc = 0;
    for (i = 0; i < n; i++) {
        if (rc == 0 && !same_file(&files[i]))
            rc = -1;
        free(files[i].path);
    }
    free(files);
    if (rc == 0)
        memcpy(key, want, 65);
    return rc;
}

static void memo_put(const char *request, const char key[65], const input_digest *in, size_t n)
{
    memo m;
    size_t i, slot = 0;

    memset(&m, 0, sizeof m);
    m.request = xstrdup(request);
    memcpy(m.key, key, 65);
    m.files = xcalloc(n ? n : 1, sizeof *m.files);
    for (i = 0; i < n; i++) {
        struct stat st;
        if (!in[i].hex[0] || stat(in[i].path, &st) != 0) {
            memo_clear(&m);      /* an input missing: never remembered */
            return;
        }
        m.files[i].path = xstrdup(in[i].path);
        m.files[i].dev = st.st_dev;
        m.files[i].ino = st.st_ino;
        m.files[i].size = st.st_size;
        m.files[i].mtime = st.st_mtim;
        m.files[i].ctime = st.st_ctim;
        m.nfiles++;
    }
    pthread_mutex_lock(&memo_lock);
    for (i = 0; i < MEMOS; i++) {
        if (memos[i].request && strcmp(memos[i].request, request) == 0) {
            slot = i;
            break;
        }
        if (memos[i].used < memos[slot].used)
            slot = i;
    }
    memo_clear(&memos[slot]);
    m.used = ++memo_clock;
    memos[slot] = m;
    pthread_mutex_unlock(&memo_lock);
}

int catalog_key(const char *dir, const char *name, const spec_override *ov, size_t nov,
                char key[65], int *path_param, quire_error *err)
{
    strbuf req = {0};
    spec *s;
    input_digests *d;
    const input_digest *in;
    sha256_ctx *h;
    size_t i, j, n;

    *path_param = 0;
    sb_printf(&req, "%s", name);
    /* Names and values hold no control character (the server refuses
     * them), so these separators cannot be forged. */
    for (i = 0; i < nov; i++)
        sb_printf(&req, "\x1e%s\x1f%s", ov[i].name, ov[i].value);
    if (memo_find(req.s, key) == 0) {
        sb_free(&req);
        return 0;
    }
    pthread_mutex_lock(&load_lock);
    s = catalog_load(dir, name, ov, nov, err);
    if (!s) {
        pthread_mutex_unlock(&load_lock);
        sb_free(&req);
        return -1;
    }
    for (i = 0; i < nov; i++)
        for (j = 0; j < s->nparams; j++)
            if (strcmp(ov[i].name, s->params[j].name) == 0 && s->params[j].type == PARAM_PATH)
                *path_param = 1;
    if (*path_param) {
        spec_free(s);
        pthread_mutex_unlock(&load_lock);
        sb_free(&req);
        return -1;
    }
    d = digests_start(s, NULL);
    in = digests_wait(d, &n);
    h = sha256_new();
    sha256_add(h, "quire " QUIRE_VERSION "\n", strlen("quire " QUIRE_VERSION "\n"));
    sha256_add(h, name, strlen(name) + 1);
    for (i = 0; i < s->nparams; i++) {
        const char *v = s->params[i].value ? s->params[i].value : "";
        sha256_add(h, s->params[i].name, strlen(s->params[i].name) + 1);
        sha256_add(h, v, strlen(v) + 1);
    }
    for (i = 0; i < n; i++) {
        sha256_add(h, in[i].path, strlen(in[i].path) + 1);
        sha256_add(h, in[i].hex, strlen(in[i].hex) + 1);
    }
    sha256_end(h, key);
    memo_put(req.s, key, in, n);
    digests_free(d);
    spec_free(s);
    pthread_mutex_unlock(&load_lock);
    sb_free(&req);
    return 0;
}
