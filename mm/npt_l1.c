// SPDX-License-Identifier: MIT
/*
 * Identity NPT / host page-table builder (API and format in npt_l1.h).
 *
 * Levels are numbered 4 (PML4, 512 GiB per entry) down to 1 (PT, 4 KiB).
 *
 * Build: a depth-first fill from the PML4.  For each entry's region
 * [s, s + size): skip it when it lies entirely in holes or at/after limit;
 * make it a leaf when the level may hold a leaf (PT always, PD, PDPT with
 * gbpages), the region ends by limit and meets no hole; otherwise allocate
 * a child table, link it, and fill that.  Because a child is linked as
 * soon as it is allocated, a failed build is undone by npt_destroy(root).
 *
 * Map/unmap: one walk first counts the tables the change needs (missing
 * levels, or large pages on the path that must be split), all of them are
 * allocated up front, then a second walk links/splits and writes the PTE.
 * A split table is filled completely before the entry that points to it is
 * written, so a concurrent hardware walk sees the old or the new mapping.
 */
#include "mm/npt_l1.h"

#include <stddef.h>

#define LEVELS 4

static unsigned level_shift(int level)
{
	return 12u + 9u * (unsigned)(level - 1);
}

static unsigned level_index(uint64_t a, int level)
{
	return (unsigned)(a >> level_shift(level)) & (NPT_ENTRIES - 1);
}

static uint64_t leaf_mask(int level)
{
	return level == 3 ? PTE64_ADDR_1G :
	       level == 2 ? PTE64_ADDR_2M : PTE64_ADDR_4K;
}

static uint64_t *table(struct pt_mem *m, uint64_t pa)
{
	return m->map(m->ctx, pa);
}

static int bad_flags(uint64_t flags)
{
	return (flags & ~NPT_LEAF_ALLOWED) || !(flags & PTE_P);
}

struct build {
	struct pt_mem *m;
	uint64_t limit;
	const struct pa_range *holes;
	unsigned nholes;
	uint64_t leaf;
	bool gbpages;
};

/* Is all of [s, e) in holes or at/after limit? */
static bool covered(const struct build *b, uint64_t s, uint64_t e)
{
	uint64_t pos = s;

	while (pos < e && pos < b->limit) {
		uint64_t next = pos;

		for (unsigned i = 0; i < b->nholes; i++)
			if (b->holes[i].start <= pos && pos < b->holes[i].end &&
			    b->holes[i].end > next)
				next = b->holes[i].end;
		if (next == pos)
			return false;
		pos = next;
	}
	return true;
}

/* Does any hole meet [s, e)? */
static bool hits_hole(const struct build *b, uint64_t s, uint64_t e)
{
	for (unsigned i = 0; i < b->nholes; i++)
		if (b->holes[i].start < e && b->holes[i].end > s)
			return true;
	return false;
}

static int fill(const struct build *b, uint64_t tpa, int level, uint64_t base)
{
	uint64_t *t = table(b->m, tpa);
	uint64_t size = 1ULL << level_shift(level);

	for (unsigned i = 0; i < NPT_ENTRIES; i++) {
		uint64_t s = base + i * size, e = s + size, child;
		int r;

		if (s >= b->limit)
			break;
		if (covered(b, s, e))
			continue;
		if (level == 1) {
			t[i] = s | b->leaf | PTE_A | PTE_D;
			continue;
		}
		if ((level == 2 || (level == 3 && b->gbpages)) &&
		    e <= b->limit && !hits_hole(b, s, e)) {
			t[i] = s | b->leaf | PTE_A | PTE_D | PTE_PS;
			continue;
		}
		child = b->m->alloc_page(b->m->ctx);
		if (!child)
			return NPT_E_NOMEM;
		t[i] = child | NPT_TABLE_FLAGS;
		r = fill(b, child, level - 1, s);
		if (r)
			return r;
	}
	return 0;
}

static void destroy(struct pt_mem *m, uint64_t tpa, int level)
{
	uint64_t *t = table(m, tpa);

	if (level > 1)
		for (unsigned i = 0; i < NPT_ENTRIES; i++)
			if ((t[i] & PTE_P) && !(t[i] & PTE_PS))
				destroy(m, t[i] & PTE64_ADDR_4K, level - 1);
	m->free_page(m->ctx, tpa);
}

void npt_destroy(struct pt_mem *m, uint64_t root)
{
	destroy(m, root, LEVELS);
}

int npt_build_identity(struct pt_mem *m, uint64_t limit,
		       const struct pa_range *holes, unsigned nholes,
		       uint64_t leaf_flags, bool gbpages, uint64_t *root_pa)
{
	struct build b = { .m = m, .limit = limit, .holes = holes,
			   .nholes = nholes, .leaf = leaf_flags,
			   .gbpages = gbpages };
	uint64_t root;
	int r;

	if ((limit & 0xfff) || limit > NPT_LIMIT_MAX || bad_flags(leaf_flags))
		return NPT_E_INVAL;
	for (unsigned i = 0; i < nholes; i++)
		if (((holes[i].start | holes[i].end) & 0xfff) ||
		    holes[i].start > holes[i].end)
			return NPT_E_INVAL;
	root = m->alloc_page(m->ctx);
	if (!root)
		return NPT_E_NOMEM;
	r = fill(&b, root, LEVELS, 0);
	if (r) {
		npt_destroy(m, root);
		return r;
	}
	*root_pa = root;
	return 0;
}

/*
 * The 512 entries one level down that together map what the large leaf e
 * at level maps, with the same attributes.
 */
static void split_into(uint64_t *child, uint64_t e, int level)
{
	uint64_t addr = e & leaf_mask(level);
	uint64_t attrs = e & ~leaf_mask(level) & ~PTE_PS;
	uint64_t step = 1ULL << level_shift(level - 1);

	if (level - 1 == 1) {
		/* 4 KiB PTE: PAT moves from bit 12 to bit 7. */
		uint64_t pat = attrs & PTE_LARGE_PAT;

		attrs &= ~PTE_LARGE_PAT;
		if (pat)
			attrs |= PTE_PS;
	} else {
		attrs |= PTE_PS;
	}
	for (unsigned j = 0; j < NPT_ENTRIES; j++)
		child[j] = (addr + j * step) | attrs;
}

/*
 * Tables needed to reach a PTE for gpa: for a missing entry or a large
 * leaf at level L, one table for each of the levels below it.  *present is
 * false if gpa is not mapped at all.
 */
static unsigned tables_needed(struct pt_mem *m, uint64_t root, uint64_t gpa,
			      bool *present)
{
	uint64_t *t = table(m, root);

	for (int level = LEVELS; level > 1; level--) {
		uint64_t e = t[level_index(gpa, level)];

		if (!(e & PTE_P)) {
			*present = false;
			return (unsigned)(level - 1);
		}
		if (e & PTE_PS) {
			*present = true;
			return (unsigned)(level - 1);
		}
		t = table(m, e & PTE64_ADDR_4K);
	}
	*present = (t[level_index(gpa, 1)] & PTE_P) != 0;
	return 0;
}

/*
 * Walk to the PTE for gpa, linking new tables for missing levels and
 * splitting large leaves, taking pages from pages[].  Returns the PTE.
 */
static uint64_t *walk_create(struct pt_mem *m, uint64_t root, uint64_t gpa,
			     const uint64_t *pages)
{
	uint64_t *t = table(m, root);
	unsigned used = 0;

	for (int level = LEVELS; level > 1; level--) {
		uint64_t *e = &t[level_index(gpa, level)];

		if (!(*e & PTE_P)) {
			*e = pages[used++] | NPT_TABLE_FLAGS;
		} else if (*e & PTE_PS) {
			uint64_t child = pages[used++];

			split_into(table(m, child), *e, level);
			*e = child | NPT_TABLE_FLAGS;
		}
		t = table(m, *e & PTE64_ADDR_4K);
	}
	return &t[level_index(gpa, 1)];
}

/* Make gpa's PTE reachable, allocating first; NULL with *err on failure. */
static uint64_t *prepare(struct pt_mem *m, uint64_t root, uint64_t gpa,
			 bool need_present, int *err)
{
	uint64_t pages[LEVELS - 1];
	bool present;
	unsigned need = tables_needed(m, root, gpa, &present);

	if (need_present && !present) {
		*err = NPT_E_NOENT;
		return NULL;
	}
	for (unsigned i = 0; i < need; i++) {
		pages[i] = m->alloc_page(m->ctx);
		if (!pages[i]) {
			while (i--)
				m->free_page(m->ctx, pages[i]);
			*err = NPT_E_NOMEM;
			return NULL;
		}
	}
	return walk_create(m, root, gpa, pages);
}

int npt_map_page(struct pt_mem *m, uint64_t root, uint64_t gpa, uint64_t hpa,
		 uint64_t flags)
{
	uint64_t *pte;
	int err = 0;

	if (((gpa | hpa) & 0xfff) || gpa >= NPT_LIMIT_MAX ||
	    (hpa & ~PTE64_ADDR_4K) || bad_flags(flags))
		return NPT_E_INVAL;
	pte = prepare(m, root, gpa, false, &err);
	if (!pte)
		return err;
	*pte = hpa | flags | PTE_A | PTE_D;
	return 0;
}

int npt_unmap_page(struct pt_mem *m, uint64_t root, uint64_t gpa)
{
	uint64_t *pte;
	int err = 0;

	if ((gpa & 0xfff) || gpa >= NPT_LIMIT_MAX)
		return NPT_E_INVAL;
	pte = prepare(m, root, gpa, true, &err);
	if (!pte)
		return err;
	*pte = 0;
	return 0;
}

int npt_lookup(struct pt_mem *m, uint64_t root, uint64_t gpa, uint64_t *hpa,
	       uint64_t *flags, unsigned *page_shift)
{
	uint64_t *t = table(m, root);

	if (gpa >= NPT_LIMIT_MAX)
		return NPT_E_INVAL;
	for (int level = LEVELS; level >= 1; level--) {
		uint64_t e = t[level_index(gpa, level)];

		if (!(e & PTE_P))
			return NPT_E_NOENT;
		if (level == 1 || (e & PTE_PS)) {
			uint64_t mask = leaf_mask(level);
			unsigned shift = level_shift(level);

			if (hpa)
				*hpa = (e & mask) | (gpa & ((1ULL << shift) - 1));
			if (flags)
				*flags = e & ~mask;
			if (page_shift)
				*page_shift = shift;
			return 0;
		}
		t = table(m, e & PTE64_ADDR_4K);
	}
	return NPT_E_NOENT;
}
