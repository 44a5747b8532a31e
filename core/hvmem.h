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
 *
 * Hidden ranges: other physical ranges L1 must not reach either (an
 * IOMMU's registers, its PCI configuration page) are taken out of L1's
 * NPT the same way (hvmem_hide()); an L1 access there is mapped to a
 * backing page: the sink, or a page of all ones (what a PCI function
 * that is not there reads as).  The all-ones page is mapped read-only:
 * an L1 store there is completed as a dropped write (svm/dma.c), as a
 * missing function's configuration space drops it, so it reads all ones
 * whatever L1 stores.
 *
 * Exhaustion (docs/security.md): the page tables that map the region's
 * 4 KiB pages in L1's NPT are made at start-up, so mapping the sink never
 * takes a page; HVMEM_RESERVE pages are kept from the shadow NPT
 * (shadow_ptm refuses them), for the splits of L1's NPT that protecting
 * an L1 table needs; released protections merge their splits back.
 */
#ifndef NV_CORE_HVMEM_H
#define NV_CORE_HVMEM_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gmem.h"
#include "mm/palloc.h"
#include "mm/pt_mem.h"

#define HVMEM_CANARY 0x7273697674736e65ull /* "enstvisr" */
/* Pages the shadow NPT may not take: enough for the splits protecting
 * one walk's tables needs (5 tables, two splits each). */
#define HVMEM_RESERVE 16u
/* Free pages hvmem_init() requires beyond the reserve: enough for the
 * shadow NPT to run at all (roots and one walk's tables). */
#define HVMEM_MIN_FREE 64u

#define HVMEM_MAX_HIDDEN 16u

struct hvmem_hidden {
	uint64_t start, end;  /* [start, end), 4 KiB aligned */
	uint64_t backing;     /* sink_pa or ones_pa */
};

struct hvmem {
	uint64_t base, size;
	uint64_t canary_pa;
	volatile uint64_t *canary;
	uint64_t sink_pa;
	uint64_t ones_pa;     /* a page of 0xff bytes */
	unsigned n_hidden;
	struct hvmem_hidden hidden[HVMEM_MAX_HIDDEN];
	uint64_t phys_limit;  /* 1 << L1's physical address width */
	uint64_t host_root;   /* host page table (CR3) */
	bool host_nx;         /* it has NX bits: the host needs EFER.NXE */
	uint64_t npt_root;    /* L1's nested page table (nCR3) */
	unsigned sink_maps;   /* pages of the region mapped to the sink */
	bool gbpages;         /* the page tables use 1 GiB pages */
	/* Does [lo, hi) meet a page whose accesses nestvisor emulates for
	 * L1 (the local APIC's, an I/O APIC's, ...: svm/nested_npt.c)?
	 * NULL: none.  l1_host_ptr() gives the sink there. */
	bool (*emulated)(uint64_t lo, uint64_t hi);
	/* Every such page lies in [emulated_lo, emulated_hi), once the set is
	 * fixed (hv_prepare(), svm/launch.c); emulated_hi 0: not yet known,
	 * every address is asked. */
	uint64_t emulated_lo, emulated_hi;
	struct palloc pa;
	struct pt_mem ptm;        /* nestvisor's own tables: may use the reserve */
	struct pt_mem shadow_ptm; /* the shadow NPT's: never the reserve */
};

extern struct hvmem hvmem;

/* Sets up the allocator and builds L1's NPT up to L1's physical address
 * width, with 1 GiB pages where gbpages.  0, or -NV_ENOMEM (logged). */
int hvmem_init(uint64_t base, uint64_t size, uint64_t image_size,
	       unsigned l1_maxphyaddr, bool gbpages);

/*
 * Builds the host page table (after hvmem_init): everything up to L1's
 * physical address width, identity, supervisor; nestvisor's own code
 * [code_start, code_end) read-only and executable, every other page
 * writable and, where nx (the CPU has NX: the host runs with EFER.NXE,
 * core/host_env.h), not executable.  0, or -NV_ENOMEM (logged).
 */
int hvmem_host_init(uint64_t code_start, uint64_t code_end, bool nx);

/* Logs the region, its free memory and L1's NPT (after hvmem_init). */
void hvmem_report(void);

/* npages zeroed, 4 KiB-aligned pages (identity-mapped), or NULL.  Any
 * CPU may call it (locked); so do hvmem.ptm's callbacks. */
void *hv_alloc(unsigned npages);

/* One page back to the allocator (locked). */
void hv_free_page(uint64_t pa);

/* Pages still free. */
uint64_t hv_free_pages(void);

/* Maps one 4 KiB page of L1's NPT (gpa -> hpa with flags), splitting a
 * large page on the way; any CPU may call it (locked).  0 or -1.  The
 * caller flushes TLBs: when the page loses a right, every CPU's
 * (svm/smp.c smp_flush_l1_tlbs). */
int hvmem_npt_map(uint64_t gpa, uint64_t hpa, uint64_t flags);
/* At set-up: each page of [pa, pa + size) of L1's NPT mapped to itself
 * with flags (PTE_P | PTE_US: read-only for L1; PTE_P alone: no access,
 * L1's accesses through its NPT being user ones), so that L1's stores
 * (or all its accesses) there exit with #NPF to be emulated.  Pages for
 * which skip (may be NULL) is true are left as they are.  0; -NV_EFAULT
 * at a page above phys_limit or in nestvisor's region (nothing mapped
 * from there on); or hvmem_npt_map()'s error. */
int hvmem_npt_protect(uint64_t pa, uint64_t size, uint64_t flags,
		      bool (*skip)(uint64_t pa));
/* npt_merge() around gpa, under the same lock; the n tables it unlinks
 * are handed to retire() after the lock is dropped, which frees each
 * (hv_free_page) once no CPU's TLB or page-walk cache can hold it
 * (svm/smp.c).  Returns how many it unlinked. */
int hvmem_npt_merge(uint64_t gpa, bool gbpages,
		    void (*retire)(const uint64_t *pa, unsigned n));

/* The entry of L1's NPT that maps gpa now (a leaf, or a non-present
 * entry), read under the lock (a merge may free a table on the way). */
uint64_t hvmem_npt_entry(uint64_t gpa);

static inline bool hvmem_contains(uint64_t pa)
{
	return pa - hvmem.base < hvmem.size;
}

uint64_t hvmem_backing_hidden(uint64_t gpa);

/* The page L1 sees at gpa if gpa is hidden from it (the region: the
 * sink; a hidden range: its backing), else 0.  Inline: every access to
 * L1 memory nestvisor makes asks. */
static inline uint64_t hvmem_backing(uint64_t gpa)
{
	if (hvmem_contains(gpa))
		return hvmem.sink_pa;
	return hvmem.n_hidden ? hvmem_backing_hidden(gpa) : 0;
}

/* Is gpa in a hidden range backed by the all-ones page, whose stores are
 * dropped (mapped read-only)? */
static inline bool hvmem_drops_writes(uint64_t gpa)
{
	return hvmem.n_hidden && !hvmem_contains(gpa) &&
	       hvmem_backing_hidden(gpa) == hvmem.ones_pa;
}

/* Does [lo, hi) meet the region or a hidden range? */
bool hvmem_meets_hidden(uint64_t lo, uint64_t hi);

/* Hide [start, start + size) (4 KiB aligned) from L1: out of its NPT,
 * with the page tables for it made now; an access there is then mapped
 * to the sink, or to the ones page if ones.  0, -NV_ENOMEM or -NV_ERANGE
 * (no slot left). */
int hvmem_hide(uint64_t start, uint64_t size, bool ones);

/* Maps L1's gpa (a hidden page: of the region, or of a hidden range) to
 * its backing page, writable unless hvmem_drops_writes(gpa).  0, or
 * -NV_EFAULT if gpa is not hidden; never takes a page (its table exists
 * from start-up). */
int hvmem_map_sink(uint64_t gpa);

/*
 * The host's virtual address of physical address pa (below phys_limit).
 * The host page table maps [0, phys_limit) at the same addresses, and a
 * 4-level table translates only canonical ones: where pa has bit 47 set
 * (a CPU with 48 address bits), its address is pa sign-extended from bit
 * 47, which the same table entries (PML4 256-511) translate to pa.
 */
static inline void *hvmem_va(uint64_t pa)
{
	return (void *)(pa & (1ull << 47) ? pa | 0xffff000000000000ull : pa);
}

/* Where nestvisor reaches L1's len bytes at gpa (within one page): the
 * identity address, or the sink page inside the region (for the region, a
 * hidden range, the all-ones one included, whose page no store may
 * change, and a page nestvisor emulates for L1: its own accesses
 * there, VMSAVE's or a #VMEXIT's vmcb12 for instance, go no further than
 * L1's would, docs/security.md "The paths"); NULL at or above phys_limit
 * (L1's physical address width, svm/features.h).  Stable: the same gpa
 * always gives the same pointer. */
uint8_t *l1_host_ptr(uint64_t gpa, unsigned len);

/* L1's physical memory as mm/ reads it: identity, the region as the sink. */
extern const struct gmem l1_gmem;

#endif
