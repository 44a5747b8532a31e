// SPDX-License-Identifier: MIT
/*
 * 4-level page tables over struct pt_mem (API and format in pt.h).
 *
 * Levels are numbered 4 (PML4, 512 GiB per entry) down to 1 (PT, 4 KiB);
 * the entry for addr at level is index (addr >> (12 + 9 * (level - 1)))
 * & 511 of the table at that level.
 *
 * Install (pt_install): walk down through the tables that exist.  At the
 * first level L above the target whose entry is not a table (not present,
 * or a large leaf), everything below is new: one table for each level from
 * L - 1 down to the target.  All of them are allocated before anything is
 * written (so running out changes nothing); then, level by level, a
 * missing entry gets a new empty table and a large leaf is either split
 * (its children are large leaves again, split in turn) or replaced by an
 * empty table; finally the entry is written, zapping a table that was
 * there.  One walk, so the usual case (every table present) reads one
 * entry per level and allocates nothing.
 *
 * Split: the 512 children are written into the new table before the
 * entry is switched to point at it, so a concurrent hardware walk sees the
 * old mapping or the new one, never a half-filled table.  Only the
 * attribute bits (11:0, large-page PAT, AVL 62:52, NX) are copied into the
 * children; PS and PAT are moved for 4 KiB children.
 *
 * Merge (pt_merge), the inverse of a split: the large leaf a table's first
 * entry would come from is rebuilt, split in memory with
 * pt_split_entries(), and compared with the table entry by entry; only if
 * all 512 match does the leaf replace the table, which is then freed.  So
 * a merge never changes a translation.
 *
 * Zap and free: depth first; an entry is cleared before the table it
 * pointed to is freed.  A range zap visits only the entries that meet the
 * range, recursing into a table only when the range covers part of it.
 * Recursion depth is at most PT_LEVELS.
 */
#include "mm/pt.h"

/* The bits of a large leaf that its children inherit (not address, PS). */
#define LARGE_ATTRS (pte_bits(11, 0) | PTE_LARGE_PAT | PTE64_AVL | PTE_NX)

static uint64_t table_entry(uint64_t pa)
{
	return pa | PT_TABLE_FLAGS;
}

static uint64_t *entry_in(const struct pt_mem *m, uint64_t table_pa,
			  uint64_t addr, unsigned level)
{
	return &pt_table(m, table_pa)[pt_index(addr, level)];
}

uint64_t *pt_walk(const struct pt_mem *m, uint64_t root, uint64_t addr,
		  unsigned *level)
{
	unsigned lvl = PT_LEVELS;
	uint64_t *e = entry_in(m, root, addr, lvl);

	while (pt_is_table(*e, lvl)) {
		e = entry_in(m, *e & PTE64_ADDR_4K, addr, lvl - 1);
		lvl--;
	}
	*level = lvl;
	return e;
}

void pt_free(struct pt_mem *m, uint64_t pa, unsigned level)
{
	uint64_t *t = pt_table(m, pa);

	for (unsigned i = 0; i < PT_ENTRIES; i++)
		if (pt_is_table(t[i], level))
			pt_free(m, t[i] & PTE64_ADDR_4K, level - 1);
	m->free_page(m->ctx, pa);
}

uint64_t pt_zap(struct pt_mem *m, uint64_t *e, unsigned level)
{
	uint64_t old = *e;

	*e = 0;
	if (pt_is_table(old, level))
		pt_free(m, old & PTE64_ADDR_4K, level - 1);
	return old;
}

void pt_split_entries(uint64_t child[PT_ENTRIES], uint64_t leaf,
		      unsigned level)
{
	uint64_t addr = leaf & pt_leaf_addr_mask(level);
	uint64_t attrs = leaf & LARGE_ATTRS & ~PTE_PS;
	uint64_t step = 1ull << pt_level_shift(level - 1);

	if (level - 1 == 1) {
		if (attrs & PTE_LARGE_PAT)
			attrs = (attrs & ~PTE_LARGE_PAT) | PTE_PAT;
	} else {
		attrs |= PTE_PS;
	}
	for (unsigned j = 0; j < PT_ENTRIES; j++)
		child[j] = (addr + j * step) | attrs;
}

/* Split the large leaf *e at level into the zeroed page child. */
static void split_into(struct pt_mem *m, uint64_t *e, unsigned level,
		       uint64_t child)
{
	pt_split_entries(pt_table(m, child), *e, level);
	*e = table_entry(child);
}

static bool is_large_leaf(uint64_t e, unsigned level)
{
	return (level == 2 || level == 3) && (e & PTE_P) && (e & PTE_PS);
}

int pt_split(struct pt_mem *m, uint64_t *e, unsigned level)
{
	uint64_t child;

	if (!is_large_leaf(*e, level))
		return -NV_EINVAL;
	child = m->alloc_page(m->ctx);
	if (!child)
		return -NV_ENOMEM;
	split_into(m, e, level, child);
	return 0;
}

/*
 * Below the entry *e at lvl (not a table) everything on the way to level
 * is new: take the tables, then link, split or replace level by level.
 * *e ends as the entry at level.
 */
static int build_down(struct pt_mem *m, uint64_t **e, uint64_t addr,
		      unsigned lvl, unsigned level, enum pt_large large)
{
	uint64_t pages[PT_LEVELS - 1];
	unsigned used = 0;

	for (unsigned i = 0; i < lvl - level; i++) {
		pages[i] = m->alloc_page(m->ctx);
		if (!pages[i]) {
			while (i--)
				m->free_page(m->ctx, pages[i]);
			return -NV_ENOMEM;
		}
	}
	for (; lvl > level; lvl--) {
		if ((**e & PTE_P) && large == PT_SPLIT_LARGE)
			split_into(m, *e, lvl, pages[used++]);
		else
			**e = table_entry(pages[used++]);
		*e = entry_in(m, **e & PTE64_ADDR_4K, addr, lvl - 1);
	}
	return 0;
}

int pt_install(struct pt_mem *m, uint64_t root, uint64_t addr, unsigned level,
	       uint64_t entry, enum pt_large large)
{
	unsigned lvl = PT_LEVELS;
	uint64_t *e;

	if (level < 1 || level >= PT_LEVELS || addr >= PT_LIMIT)
		return -NV_EINVAL;
	e = entry_in(m, root, addr, lvl);
	while (lvl > level && pt_is_table(*e, lvl)) {
		e = entry_in(m, *e & PTE64_ADDR_4K, addr, lvl - 1);
		lvl--;
	}
	if (lvl > level) {
		int err = build_down(m, &e, addr, lvl, level, large);

		if (err)
			return err;
	}
	if (pt_is_table(*e, level))
		pt_zap(m, e, level);
	*e = entry;
	return 0;
}

int pt_merge(struct pt_mem *m, uint64_t root, uint64_t addr, unsigned level)
{
	uint64_t *e, *t, child0, base, attrs, leaf, want[PT_ENTRIES];
	unsigned lvl = PT_LEVELS;

	if (level < 2 || level >= PT_LEVELS || addr >= PT_LIMIT)
		return -NV_EINVAL;
	e = entry_in(m, root, addr, lvl);
	while (lvl > level) {
		if (!pt_is_table(*e, lvl))
			return -NV_ENOENT;
		e = entry_in(m, *e & PTE64_ADDR_4K, addr, lvl - 1);
		lvl--;
	}
	if (!pt_is_table(*e, level))
		return -NV_ENOENT;
	t = pt_table(m, *e & PTE64_ADDR_4K);
	child0 = t[0];
	base = child0 & pt_leaf_addr_mask(level - 1);
	if (!(child0 & PTE_P) || (base & ((1ull << pt_level_shift(level)) - 1)))
		return -NV_ENOENT;
	attrs = child0 & (pte_bits(11, 0) | PTE64_AVL | PTE_NX);
	if (level - 1 == 1) {
		if (attrs & PTE_PAT)
			attrs = (attrs & ~PTE_PAT) | PTE_LARGE_PAT;
	} else {
		if (!(attrs & PTE_PS))
			return -NV_ENOENT;
		attrs |= child0 & PTE_LARGE_PAT;
	}
	leaf = base | attrs | PTE_PS;
	pt_split_entries(want, leaf, level);
	for (unsigned i = 0; i < PT_ENTRIES; i++)
		if (t[i] != want[i])
			return -NV_ENOENT;
	base = *e & PTE64_ADDR_4K;
	*e = leaf;
	m->free_page(m->ctx, base);
	return 0;
}

/* Zap [lo, last] in the table at pa (at level, mapping from base up). */
static void zap_range(struct pt_mem *m, uint64_t pa, unsigned level,
		      uint64_t base, uint64_t lo, uint64_t last)
{
	unsigned shift = pt_level_shift(level);
	uint64_t *t = pt_table(m, pa);
	uint64_t table_last = base + ((uint64_t)PT_ENTRIES << shift) - 1;
	unsigned first = lo > base ? (unsigned)((lo - base) >> shift) : 0;
	unsigned end = last < table_last ? (unsigned)((last - base) >> shift)
					 : PT_ENTRIES - 1;

	for (unsigned i = first; i <= end; i++) {
		uint64_t eb = base + ((uint64_t)i << shift);
		uint64_t el = eb + ((1ull << shift) - 1);

		if (pt_is_table(t[i], level) && (eb < lo || el > last))
			zap_range(m, t[i] & PTE64_ADDR_4K, level - 1, eb, lo,
				  last);
		else if (t[i] & PTE_P)
			pt_zap(m, &t[i], level);
	}
}

void pt_zap_range(struct pt_mem *m, uint64_t root, uint64_t lo, uint64_t last)
{
	if (lo > last || lo >= PT_LIMIT)
		return;
	if (last >= PT_LIMIT)
		last = PT_LIMIT - 1;
	zap_range(m, root, PT_LEVELS, 0, lo, last);
}
