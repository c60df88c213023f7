/* region.h - large arrays that live as long as their owner, carved from one
 * reservation of address space that the kernel may back with transparent
 * huge pages (madvise MADV_HUGEPAGE).
 *
 * The first touch of each 4 KB page costs a page fault: the facts' arrays
 * of one value per customer and month (66 MB on the benchmark) took 16,000
 * of them, a tenth of the run's CPU time on a virtual machine. A 2 MB page
 * costs one fault for 512. The arrays are handed out in order, 64-byte
 * aligned and zeroed, never moved, and freed all at once with the region;
 * one asked for beyond the reservation comes from the heap instead. The
 * pages come in when first touched, so memory use is what is written, to
 * within one huge page.
 */
#ifndef QUIRE_REGION_H
#define QUIRE_REGION_H

#include <stddef.h>

typedef struct region region;

/* A region of up to reserve bytes (address space only, until touched). */
region *region_new(size_t reserve);

/* n zeroed bytes, 64-byte aligned; safe from several threads at once. Out
 * of memory ends the process, as xmalloc does. A NULL region gives heap
 * memory, which region_release(NULL, p) frees. */
void *region_alloc(region *r, size_t n);

/* Give back p from region_alloc: the heap's are freed now, the region's
 * with it. NULL is ignored. */
void region_release(region *r, void *p);

void region_free(region *r);

#endif
