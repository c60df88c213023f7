/*
 * fault.c - allocation-failure injection for `make check-oom`.
 *
 * Linked into a test build of quire with -Wl,--wrap=malloc,--wrap=calloc,
 * --wrap=realloc, so every allocation Quire's own code makes (xmalloc and the
 * raw ones, the Lua states' allocator, the plugins' through the host table,
 * libharu's through HPDF_NewEx) comes through here first:
 *
 *   QUIRE_FAIL_ALLOC=N      the N-th allocation fails (once; 0: none)
 *   QUIRE_FAIL_PERSIST=1    ... and every one after it
 *   QUIRE_ALLOC_COUNT=FILE  at exit, write how many allocations there were
 *
 * A realloc that frees or does not grow the block is neither counted nor
 * failed (Lua's allocator contract lets a shrinking one be relied on).
 * Libraries that allocate on their own (libyaml, libc's stdio, libcrypto)
 * are not seen: --wrap rewrites only the references of Quire's objects.
 */
#include <malloc.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>

void *__real_malloc(size_t n);
void *__real_calloc(size_t n, size_t size);
void *__real_realloc(void *p, size_t n);
void *__wrap_malloc(size_t n);
void *__wrap_calloc(size_t n, size_t size);
void *__wrap_realloc(void *p, size_t n);

static atomic_ulong count;
static unsigned long fail_at;
static int persist;
static const char *report;
static atomic_int ready;

static void write_count(void)
{
    FILE *f = fopen(report, "w");

    if (f) {
        fprintf(f, "%lu\n", (unsigned long)atomic_load(&count));
        fclose(f);
    }
}

/* Read the settings once (getenv allocates nothing). Racing first calls
 * from two threads read the same values. */
static void setup(void)
{
    const char *v;

    if (atomic_load_explicit(&ready, memory_order_acquire))
        return;
    v = getenv("QUIRE_FAIL_ALLOC");
    fail_at = v ? strtoul(v, NULL, 10) : 0;
    v = getenv("QUIRE_FAIL_PERSIST");
    persist = v && *v == '1';
    report = getenv("QUIRE_ALLOC_COUNT");
    if (atomic_exchange(&ready, 1) == 0 && report)
        atexit(write_count);
}

/* Whether this allocation fails. */
static int fails(void)
{
    unsigned long k;

    setup();
    k = atomic_fetch_add(&count, 1) + 1;
    return fail_at && (k == fail_at || (persist && k > fail_at));
}

void *__wrap_malloc(size_t n)
{
    return fails() ? NULL : __real_malloc(n);
}

void *__wrap_calloc(size_t n, size_t size)
{
    return fails() ? NULL : __real_calloc(n, size);
}

void *__wrap_realloc(void *p, size_t n)
{
    if (p && (n == 0 || malloc_usable_size(p) >= n))
        return __real_realloc(p, n); /* a free, or a block that does not grow */
    return fails() ? NULL : __real_realloc(p, n);
}
