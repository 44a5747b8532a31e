/* SPDX-License-Identifier: MIT */
/*
 * How page-table code reaches the physical pages that hold tables.
 *
 * In the hypervisor map() is the identity and the pages come from palloc
 * (palloc_pt_mem); host tests pass a fake that hands out host memory under
 * made-up physical addresses and checks every access.
 */
#ifndef NV_MM_PT_MEM_H
#define NV_MM_PT_MEM_H

#include <stdint.h>

struct pt_mem {
	void *ctx;
	/* Pointer to the 4 KiB page at physical address pa. */
	void *(*map)(void *ctx, uint64_t pa);
	/* Physical address of a zeroed 4 KiB page, or 0 when out of memory. */
	uint64_t (*alloc_page)(void *ctx);
	/* Give back a page from alloc_page (used on error paths and destroy). */
	void (*free_page)(void *ctx, uint64_t pa);
};

#endif
