/* SPDX-License-Identifier: MIT */
/*
 * Hypervisor memory: one 2 MiB-aligned region that UEFI gave nestvisor as
 * EfiReservedMemoryType (the OS never reuses it).  Layout:
 *   [base, base+image)   the relocated copy of nestvisor.efi (code + data)
 *   next page            the canary page (core/hypercall.h NV_HC_CANARY)
 *   rest                 palloc: page tables, VMCBs, stacks, maps, sink
 * The region is absent from L1's nested page table; an L1 access to it
 * faults (#NPF) and nestvisor then maps that page to the sink page, a
 * scratch page that holds no hypervisor data (docs/architecture.md).
 */
#ifndef NV_CORE_HVMEM_H
#define NV_CORE_HVMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gmem.h"
#include "mm/palloc.h"
#include "mm/pt_mem.h"

#define HVMEM_CANARY 0x7273697674736e65ull /* "enstvisr" */

struct hvmem {
	uint64_t base, size;
	uint64_t canary_pa;
	volatile uint64_t *canary;
	uint64_t sink_pa;
	uint64_t phys_limit;  /* 1 << MAXPHYADDR */
	uint64_t host_root;   /* host page table (CR3) */
	uint64_t npt_root;    /* L1's nested page table (nCR3) */
	unsigned sink_maps;   /* pages of the region mapped to the sink */
	bool gbpages;         /* the page tables use 1 GiB pages */
	struct palloc pa;
	struct pt_mem ptm;
};

extern struct hvmem hvmem;

/* Sets up the allocator and builds both page tables for a CPU with this
 * MAXPHYADDR, with 1 GiB pages where gbpages.  0, or -NV_ENOMEM (logged). */
int hvmem_init(uint64_t base, uint64_t size, uint64_t image_size,
	       unsigned maxphyaddr, bool gbpages);

/* Logs the region, its free memory and L1's NPT (after hvmem_init). */
void hvmem_report(void);

/* npages zeroed, 4 KiB-aligned pages (identity-mapped), or NULL. */
void *hv_alloc(unsigned npages);

static inline bool hvmem_contains(uint64_t pa)
{
	return pa - hvmem.base < hvmem.size;
}

/* Maps L1's gpa (a page of the region) to the sink page.  0, -NV_EFAULT
 * outside the region, or -NV_ENOMEM. */
int hvmem_map_sink(uint64_t gpa);

/* Where nestvisor reaches L1's len bytes at gpa (within one page): the
 * identity address, or the sink page inside the region; NULL beyond
 * MAXPHYADDR.  Stable: the same gpa always gives the same pointer. */
uint8_t *l1_host_ptr(uint64_t gpa, unsigned len);

/* L1's physical memory as mm/ reads it: identity, the region as the sink. */
extern const struct gmem l1_gmem;

#endif
