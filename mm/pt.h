/* SPDX-License-Identifier: MIT */
/*
 * 4-level long-mode page tables that nestvisor builds itself: its NPT for
 * L1, its host page table (mm/npt_l1.c) and the shadow NPT for L2
 * (mm/shadow_npt.c).  Index per level, install a leaf at a level, split a
 * large leaf, zap an entry or a range, free a table subtree.  Every table
 * page is reached through struct pt_mem, so host tests run this on fake
 * memory.  Algorithm: the comment at the top of pt.c.
 *
 * Format: AMD APM Vol. 2 §5.3 (long-mode translation: PML4E = level 4,
 * PDPE = 3, PDE = 2, PTE = 1; a 1 GiB leaf is a PDPE with PS=1, a 2 MiB
 * leaf a PDE with PS=1; PS in a PML4E is reserved), entry bits in
 * mm/pte.h.  Table entries are always P|RW|US|A (PT_TABLE_FLAGS): all
 * rights live in the leaves, and an NPT needs U=1 at every level
 * (§15.25.5).  nestvisor never writes PS=1 at level 4.
 *
 * No locking: callers serialise and flush TLBs after a change.
 */
#ifndef NV_MM_PT_H
#define NV_MM_PT_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/err.h"
#include "mm/pt_mem.h"
#include "mm/pte.h"

#define PT_LEVELS	4
#define PT_ENTRIES	512
#define PT_LIMIT	(1ull << 48) /* the addresses 4 levels translate */
#define PT_TABLE_FLAGS	(PTE_P | PTE_RW | PTE_US | PTE_A)

/* log2 of what one entry at level maps: 12, 21, 30, 39 (and 48 for a
 * 5-level PML5E: every 64-bit format has 9 index bits per level). */
static inline unsigned pt_level_shift(unsigned level)
{
	return 12u + 9u * (level - 1);
}

/* Index of addr's entry in the table at level (bits above 47 ignored). */
static inline unsigned pt_index(uint64_t addr, unsigned level)
{
	return (unsigned)(addr >> pt_level_shift(level)) & (PT_ENTRIES - 1);
}

/* The address field of a leaf at level: bits 51:12, 51:21 or 51:30. */
static inline uint64_t pt_leaf_addr_mask(unsigned level)
{
	return level == 3 ? PTE64_ADDR_1G :
	       level == 2 ? PTE64_ADDR_2M : PTE64_ADDR_4K;
}

/* Does entry e at level point to a table (present, above level 1, PS=0)? */
static inline bool pt_is_table(uint64_t e, unsigned level)
{
	return level > 1 && (e & PTE_P) && !(e & PTE_PS);
}

/* The table page at physical address pa. */
static inline uint64_t *pt_table(const struct pt_mem *m, uint64_t pa)
{
	return m->map(m->ctx, pa);
}

/*
 * The entry where a walk for addr stops: a leaf, or an entry that is not
 * present.  *level gets its level.
 */
uint64_t *pt_walk(const struct pt_mem *m, uint64_t root, uint64_t addr,
		  unsigned *level);

/* What to do with a large leaf on the way to a smaller entry. */
enum pt_large {
	PT_SPLIT_LARGE, /* split it: the rest of its mapping stays */
	PT_DROP_LARGE,  /* replace it by an empty table (a cache may) */
};

/*
 * Make entry the entry for addr (below PT_LIMIT) at level (1: 4 KiB PTE,
 * 2: 2 MiB PDE, 3: 1 GiB PDPE; a large leaf must carry PS, 0 clears the
 * entry), creating missing tables and treating large leaves above level as
 * large says.  A table at level is zapped first.  All pages needed are
 * taken before anything changes: -NV_ENOMEM leaves the tables as they
 * were; -NV_EINVAL for a bad level or address.
 */
int pt_install(struct pt_mem *m, uint64_t root, uint64_t addr, unsigned level,
	       uint64_t entry, enum pt_large large);

/*
 * The 512 entries one level down that map what the large leaf at level
 * (2 or 3) maps, with its attributes: PS stays for 2 MiB children; for
 * 4 KiB children PS goes and the PAT bit moves from bit 12 to bit 7
 * (APM §5.4.1).
 */
void pt_split_entries(uint64_t child[PT_ENTRIES], uint64_t leaf,
		      unsigned level);

/*
 * Replace the large leaf *e at level by a table of pt_split_entries(),
 * filled before *e changes.  -NV_ENOMEM or -NV_EINVAL (not a large leaf):
 * *e unchanged.
 */
int pt_split(struct pt_mem *m, uint64_t *e, unsigned level);

/*
 * The inverse of pt_split(): if the table that the level-2 or level-3
 * entry for addr points to holds exactly the 512 entries a split of one
 * large leaf would give (same attributes, contiguous, aligned), replace it
 * by that leaf and free the table.  0 if merged, -NV_ENOENT if not (no
 * such table, or entries that differ), -NV_EINVAL for a bad level or
 * address.  Translations do not change; the caller flushes TLBs.
 */
int pt_merge(struct pt_mem *m, uint64_t root, uint64_t addr, unsigned level);

/*
 * Clear *e (an entry at level) and return what it held; a table it
 * pointed to is freed with everything under it.
 */
uint64_t pt_zap(struct pt_mem *m, uint64_t *e, unsigned level);

/*
 * Zap every entry that maps anything in [lo, last] (clamped to PT_LIMIT):
 * a large leaf partly inside goes whole, a table partly inside is zapped
 * within.  Tables left empty stay.
 */
void pt_zap_range(struct pt_mem *m, uint64_t root, uint64_t lo,
		  uint64_t last);

/* Free the table at pa (at level) and every table under it. */
void pt_free(struct pt_mem *m, uint64_t pa, unsigned level);

#endif
