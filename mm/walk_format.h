/* SPDX-License-Identifier: MIT */
/*
 * How a role lays out its page tables: entry size, index and shift per
 * level, the root and next-table addresses, and the rights one entry
 * grants.  Shared by the walker (mm/walk.c) and nv-npt (mm/tools), so that
 * the tool explains exactly the walk the walker makes.
 */
#ifndef NV_MM_WALK_FORMAT_H
#define NV_MM_WALK_FORMAT_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/pt.h"
#include "mm/pte.h"
#include "mm/walk.h"

/* The PDPTE of 3-level (PAE) paging: legacy format, no rights, no A bit. */
static inline bool pw_is_pae_pdpte(const struct pagewalk *w, unsigned lvl)
{
	return w->role.base.level == 3 && lvl == 3;
}

static inline unsigned pw_entry_size(const struct pagewalk *w)
{
	return w->role.base.has_4_byte_gpte ? 4 : 8;
}

static inline unsigned pw_level_shift(const struct pagewalk *w, unsigned lvl)
{
	if (w->role.base.has_4_byte_gpte)
		return 12 + 10 * (lvl - 1);
	return pt_level_shift(lvl);
}

/* Index of addr's entry in the table at lvl.  Address bits above what the
 * format translates are ignored: the caller checks their legality. */
static inline unsigned pw_level_index(const struct pagewalk *w, unsigned lvl, uint64_t addr)
{
	uint64_t mask = w->role.base.has_4_byte_gpte ? 0x3ff : 0x1ff;

	if (pw_is_pae_pdpte(w, lvl))
		mask = 0x3;
	return (unsigned)((addr >> pw_level_shift(w, lvl)) & mask);
}

static inline uint64_t pw_root_table(const struct pagewalk *w, uint64_t root)
{
	switch (w->role.base.level) {
	case 2:
		return root & PTE32_ADDR_4K;
	case 3:
		return root & PAE_ROOT_ADDR;
	default:
		return root & PTE64_ADDR_4K;
	}
}

static inline uint64_t pw_next_table(const struct pagewalk *w, uint64_t pte)
{
	return pte & (w->role.base.has_4_byte_gpte ? PTE32_ADDR_4K : PTE64_ADDR_4K);
}

static inline unsigned pw_entry_rights(const struct pagewalk *w, unsigned lvl, uint64_t pte)
{
	unsigned acc = ACC_ALL;

	if (pw_is_pae_pdpte(w, lvl))
		return acc;
	if (!(pte & PTE_RW))
		acc &= ~ACC_WRITE;
	if (!(pte & PTE_US))
		acc &= ~ACC_USER;
	if (!w->role.base.has_4_byte_gpte && (pte & PTE_NX))
		acc &= ~ACC_EXEC;
	return acc;
}

/* A PS=1 entry at a level where the role allows large pages is a leaf. */
static inline bool pw_is_ps(unsigned lvl, uint64_t pte)
{
	return lvl > 1 && (pte & PTE_PS);
}

#endif
