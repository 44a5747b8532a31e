/* SPDX-License-Identifier: MIT */
/*
 * Builder of L1's nested page table (ngpa -> hpa) and of the hypervisor's
 * own host page table: both are 4-level long-mode tables, so one code path
 * serves both with different leaf flags.
 *
 * Format: AMD APM Vol.2 §5.3 (long-mode page translation: PML4E, PDPE,
 * PDE, PTE; 2 MiB pages via PDE.PS, 1 GiB pages via PDPE.PS) and §15.25
 * (nested paging: nested tables use the same format; every nested access is
 * a user access, so an NPT entry that should be usable needs U=1 at every
 * level).  Non-leaf entries are written P|W|U|A (PT_TABLE_FLAGS, mm/pt.h)
 * and leaves get A|D added, so the CPU never has to set accessed/dirty bits
 * itself.  Functions that can fail return 0 or a negated enum nv_err.
 *
 * Flags passed in (leaf_flags, flags) may only contain NPT_LEAF_ALLOWED
 * bits and must contain PTE_P.  For an L1 NPT use P|W|U; for the host
 * table use P|W (+NX for data).  The caller flushes TLBs.
 */
#ifndef NV_MM_NPT_L1_H
#define NV_MM_NPT_L1_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/err.h"
#include "mm/pt.h"
#include "mm/pte.h"

#define NPT_LEAF_ALLOWED (PTE_P | PTE_RW | PTE_US | PTE_PWT | PTE_PCD | \
			  PTE_G | PTE_NX)
#define NPT_LIMIT_MAX	PT_LIMIT	/* what 4 levels translate */

/* A half-open physical range [start, end). */
struct pa_range {
	uint64_t start, end;
};

/*
 * Build a new table identity-mapping [0, limit) except the holes, which
 * stay not present.  Each region gets the largest page that lies wholly
 * inside [0, limit) and meets no hole: 1 GiB (only if gbpages), else 2 MiB,
 * else 4 KiB.  limit and the holes' ends must be 4 KiB aligned (holes may
 * overlap, be unsorted, reach past limit), limit at most NPT_LIMIT_MAX.
 * On success *root_pa is the PML4's address.  On -NV_ENOMEM every page
 * taken so far has been freed again.
 */
int npt_build_identity(struct pt_mem *m, uint64_t limit,
		       const struct pa_range *holes, unsigned nholes,
		       uint64_t leaf_flags, bool gbpages, uint64_t *root_pa);

/*
 * Map the 4 KiB page at gpa to hpa with flags, creating tables as needed
 * and splitting a 1 GiB or 2 MiB page that covers gpa into 512 smaller
 * pages that keep the rest of its mapping.  Allocates everything it needs
 * before changing anything, so -NV_ENOMEM leaves the table as it was;
 * -NV_EINVAL for an unaligned or too high address or bad flags.
 */
int npt_map_page(struct pt_mem *m, uint64_t root, uint64_t gpa, uint64_t hpa,
		 uint64_t flags);

/*
 * Undo the splits npt_map_page() made around gpa where they are no longer
 * needed: the 4 KiB table holding gpa becomes a 2 MiB page again if its
 * 512 entries are one identity-like 2 MiB mapping (pt_merge), and then the
 * 2 MiB table a 1 GiB page if gbpages.  Returns how many tables were
 * freed (0, 1 or 2).  The caller flushes TLBs.
 */
int npt_merge(struct pt_mem *m, uint64_t root, uint64_t gpa, bool gbpages);

/*
 * Make the 4 KiB page at gpa not present (splitting a large page first,
 * as npt_map_page does).  -NV_ENOENT if it was not mapped.  Tables that
 * become empty are kept.
 */
int npt_unmap_page(struct pt_mem *m, uint64_t root, uint64_t gpa);

/*
 * Translate gpa: *hpa gets the address gpa maps to (page offset included),
 * *flags the leaf entry without its address bits (so a large leaf's PAT
 * shows as PTE_LARGE_PAT), *page_shift 12, 21 or 30.  -NV_ENOENT if not
 * mapped.  Any out pointer may be NULL.
 */
int npt_lookup(struct pt_mem *m, uint64_t root, uint64_t gpa, uint64_t *hpa,
	       uint64_t *flags, unsigned *page_shift);

/* Free every table page of the tree under root, root included. */
void npt_destroy(struct pt_mem *m, uint64_t root);

#endif
