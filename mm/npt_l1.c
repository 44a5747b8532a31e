// SPDX-License-Identifier: MIT
/*
 * Identity NPT / host page-table builder (API and format in npt_l1.h),
 * over the page-table module mm/pt.c.
 *
 * Build: a depth-first fill from the PML4 (level 4) down to the PT (level
 * 1).  For each entry's region [s, s + size): skip it when it lies
 * entirely in holes or at/after limit; make it a leaf when the level may
 * hold a leaf (PT always, PD, PDPT with gbpages), the region ends by limit
 * and meets no hole; otherwise allocate a child table, link it, and fill
 * that.  Because a child is linked as soon as it is allocated, a failed
 * build is undone by freeing the tree from the root (pt_free).
 *
 * Map/unmap: pt_install() of the 4 KiB entry, splitting any large page on
 * the way (it allocates every table it needs before changing anything, and
 * fills a split table before linking it, so a concurrent hardware walk
 * sees the old or the new mapping).  Lookup: pt_walk().
 */
#include "mm/npt_l1.h"

#include <stddef.h>

#include "mm/pt.h"

static bool bad_flags(uint64_t flags)
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

static int fill(const struct build *b, uint64_t tpa, unsigned level,
		uint64_t base)
{
	uint64_t *t = pt_table(b->m, tpa);
	uint64_t size = 1ULL << pt_level_shift(level);

	for (unsigned i = 0; i < PT_ENTRIES; i++) {
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
			return -NV_ENOMEM;
		t[i] = child | PT_TABLE_FLAGS;
		r = fill(b, child, level - 1, s);
		if (r)
			return r;
	}
	return 0;
}

void npt_destroy(struct pt_mem *m, uint64_t root)
{
	pt_free(m, root, PT_LEVELS);
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
		return -NV_EINVAL;
	for (unsigned i = 0; i < nholes; i++)
		if (((holes[i].start | holes[i].end) & 0xfff) ||
		    holes[i].start > holes[i].end)
			return -NV_EINVAL;
	root = m->alloc_page(m->ctx);
	if (!root)
		return -NV_ENOMEM;
	r = fill(&b, root, PT_LEVELS, 0);
	if (r) {
		npt_destroy(m, root);
		return r;
	}
	*root_pa = root;
	return 0;
}

int npt_map_page(struct pt_mem *m, uint64_t root, uint64_t gpa, uint64_t hpa,
		 uint64_t flags)
{
	if (((gpa | hpa) & 0xfff) || gpa >= NPT_LIMIT_MAX ||
	    (hpa & ~PTE64_ADDR_4K) || bad_flags(flags))
		return -NV_EINVAL;
	return pt_install(m, root, gpa, 1, hpa | flags | PTE_A | PTE_D,
			  PT_SPLIT_LARGE);
}

int npt_merge(struct pt_mem *m, uint64_t root, uint64_t gpa, bool gbpages)
{
	int n = 0;

	if (gpa >= NPT_LIMIT_MAX)
		return 0;
	if (!pt_merge(m, root, gpa, 2)) {
		n++;
		if (gbpages && !pt_merge(m, root, gpa, 3))
			n++;
	}
	return n;
}

int npt_unmap_page(struct pt_mem *m, uint64_t root, uint64_t gpa)
{
	unsigned level;

	if ((gpa & 0xfff) || gpa >= NPT_LIMIT_MAX)
		return -NV_EINVAL;
	if (!(*pt_walk(m, root, gpa, &level) & PTE_P))
		return -NV_ENOENT;
	return pt_install(m, root, gpa, 1, 0, PT_SPLIT_LARGE);
}

int npt_lookup(struct pt_mem *m, uint64_t root, uint64_t gpa, uint64_t *hpa,
	       uint64_t *flags, unsigned *page_shift)
{
	unsigned level, shift;
	uint64_t e, mask;

	if (gpa >= NPT_LIMIT_MAX)
		return -NV_EINVAL;
	e = *pt_walk(m, root, gpa, &level);
	if (!(e & PTE_P))
		return -NV_ENOENT;
	mask = pt_leaf_addr_mask(level);
	shift = pt_level_shift(level);
	if (hpa)
		*hpa = (e & mask) | (gpa & ((1ULL << shift) - 1));
	if (flags)
		*flags = e & ~mask;
	if (page_shift)
		*page_shift = shift;
	return 0;
}
