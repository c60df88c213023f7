/* region.c - large arrays from one huge-page reservation (see region.h). */
#include "region.h"

#include <stdatomic.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/mman.h>

#include "util.h"

#define HUGE_PAGE ((size_t)2 << 20)
#define ALIGN ((size_t)64)

struct region {
    char *base;             /* the mapping; NULL: none, everything from the heap */
    size_t size;            /* its length */
    size_t limit;           /* the end of what is handed out (an offset) */
    atomic_size_t used;     /* the offset of the next array */
};

region *region_new(size_t reserve)
{
    region *r = xcalloc(1, sizeof *r);
    size_t size = (reserve + HUGE_PAGE - 1) / HUGE_PAGE * HUGE_PAGE;
    void *p;

    atomic_init(&r->used, 0);
    if (size == 0)
        return r;
    /* One huge page more, to start the arrays on a huge-page boundary. */
    p = mmap(NULL, size + HUGE_PAGE, PROT_READ | PROT_WRITE,
             MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
    if (p == MAP_FAILED)
        return r;
    r->base = p;
    r->size = size + HUGE_PAGE;
    {
        uintptr_t a = (uintptr_t)p, start = (a + HUGE_PAGE - 1) & ~(uintptr_t)(HUGE_PAGE - 1);
        atomic_store(&r->used, (size_t)(start - a));
        r->limit = (size_t)(start - a) + size;
    }
#ifdef MADV_HUGEPAGE
    madvise(r->base, r->size, MADV_HUGEPAGE); /* advice: without it, small pages */
#endif
    return r;
}

static int owns(const region *r, const void *p)
{
    return r && r->base && (const char *)p >= r->base && (const char *)p < r->base + r->size;
}

void *region_alloc(region *r, size_t n)
{
    size_t need = (n + ALIGN - 1) / ALIGN * ALIGN, at;

    if (need == 0)
        need = ALIGN;
    if (r && r->base && need <= r->limit) {
        at = atomic_fetch_add(&r->used, need);
        if (at <= r->limit - need)
            return r->base + at;
    }
    return xcalloc(1, n ? n : 1);
}

void region_release(region *r, void *p)
{
    if (p && !owns(r, p))
        free(p);
}

void region_free(region *r)
{
    if (!r)
        return;
    if (r->base)
        munmap(r->base, r->size);
    free(r);
}
