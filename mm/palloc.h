/* SPDX-License-Identifier: MIT */
/*
 * Page allocator for hypervisor memory: 4 KiB pages, and runs of pages with
 * a chosen alignment (e.g. 2 MiB-aligned 2 MiB runs), out of one physical
 * range [base, base + size).  It backs everything the hypervisor allocates:
 * page tables, VMCBs, stacks.  Every allocation is zeroed.
 *
 * The range is reached through a pointer: virt is where pa base is visible
 * (the same address in the hypervisor, which runs identity-mapped; a host
 * buffer in tests).  A bitmap with one bit per page lives in the first pages
 * of the range itself, so 0 is never a valid allocation and can mean "out
 * of memory".  Not thread-safe: callers serialise.
 */
#ifndef NV_MM_PALLOC_H
#define NV_MM_PALLOC_H

#include <stdint.h>

#include "mm/err.h"
#include "mm/pt_mem.h"

#define PALLOC_PAGE 4096ULL

struct palloc {
	uint8_t *virt;		/* where base is mapped */
	uint64_t base;		/* 4 KiB aligned */
	uint64_t npages;	/* pages in the range, bitmap included */
	uint64_t reserved;	/* bitmap pages at the start of the range */
	uint64_t nfree;
	uint64_t hint;		/* first page index worth searching from */
	uint64_t *bitmap;	/* bit set = page in use */
};

/*
 * Take over [base, base + size) (size rounded down to pages).  Returns 0,
 * -NV_EINVAL if base or virt is not 4 KiB aligned, or -NV_ENOMEM if the
 * range is too small to hold its bitmap and one page.
 */
int palloc_init(struct palloc *p, void *virt, uint64_t base, uint64_t size);

/* One zeroed page: its physical address, or 0 when none is left. */
uint64_t palloc_page(struct palloc *p);

/*
 * count contiguous zeroed pages starting at a physical address that is a
 * multiple of align (a power of two, at least 4 KiB); 0 when no such run
 * is free (or count is 0, or align is not a power of two).
 */
uint64_t palloc_pages(struct palloc *p, uint64_t count, uint64_t align);

/*
 * Free count pages at pa.  Returns 0, or -NV_EINVAL (changing nothing) if
 * any of them is outside the range, part of the bitmap or not allocated.
 */
int palloc_free(struct palloc *p, uint64_t pa, uint64_t count);

/* Pointer to the byte at physical address pa inside the range. */
void *palloc_va(const struct palloc *p, uint64_t pa);

/* Number of free pages. */
uint64_t palloc_free_count(const struct palloc *p);

/* A struct pt_mem that allocates page-table pages from p. */
void palloc_pt_mem(struct palloc *p, struct pt_mem *m);

#endif
