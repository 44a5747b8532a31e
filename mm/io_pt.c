// SPDX-License-Identifier: MIT
/*
 * AMD IOMMU v1 identity page tables (format in io_pt.h).  The build is a
 * depth-first fill like mm/npt_l1.c's: an entry's region is skipped when
 * it lies wholly in holes or at/after the limit, made a leaf when its
 * level may hold one (levels 1 and 2, level 3 with gbpages) and it meets
 * no hole and ends by the limit, and otherwise gets a child table (linked
 * as soon as it is allocated, so a failed build is undone by freeing from
 * the root).
 */
#include "mm/io_pt.h"

#define RW (IO_PTE_IR | IO_PTE_IW)

struct io_build {
	struct pt_mem *m;
	uint64_t limit;
	const struct io_hole *holes;
	unsigned nholes;
	bool gbpages;
};

static unsigned shift_of(unsigned level)
{
	return 12u + 9u * (level - 1);
}

static bool meets_hole(const struct io_build *b, uint64_t s, uint64_t e)
{
	for (unsigned i = 0; i < b->nholes; i++)
		if (b->holes[i].start < e && b->holes[i].end > s)
			return true;
	return false;
}

/* Is all of [s, e) in holes or at/after the limit?  (4 KiB steps over
 * the hole ends; holes may overlap and come in any order.) */
static bool all_hidden(const struct io_build *b, uint64_t s, uint64_t e)
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

static void free_tree(struct pt_mem *m, uint64_t pa, unsigned level)
{
	uint64_t *t = m->map(m->ctx, pa);

	for (unsigned i = 0; i < 512 && level > 1; i++)
		if ((t[i] & IO_PTE_PR) && (t[i] & IO_PTE_NL_MASK))
			free_tree(m, t[i] & IO_PTE_ADDR, level - 1);
	m->free_page(m->ctx, pa);
}

static int fill(const struct io_build *b, uint64_t table, unsigned level,
		uint64_t base)
{
	uint64_t *t = b->m->map(b->m->ctx, table);
	uint64_t size = 1ull << shift_of(level);

	for (unsigned i = 0; i < 512; i++) {
		uint64_t s = base + i * size, e = s + size, child;
		int r;

		if (s >= b->limit)
			break;
		if (all_hidden(b, s, e))
			continue;
		if ((level <= 2 || (level == 3 && b->gbpages)) &&
		    e <= b->limit && !meets_hole(b, s, e)) {
			t[i] = s | RW | IO_PTE_PR;
			continue;
		}
		child = b->m->alloc_page(b->m->ctx);
		if (!child)
			return -NV_ENOMEM;
		t[i] = child | RW | IO_PTE_PR |
		       ((uint64_t)(level - 1) << IO_PTE_NL_SHIFT);
		r = fill(b, child, level - 1, s);
		if (r)
			return r;
	}
	return 0;
}

int io_pt_build_identity(struct pt_mem *m, uint64_t limit,
			 const struct io_hole *holes, unsigned nholes,
			 bool gbpages, uint64_t *root)
{
	struct io_build b = { m, limit, holes, nholes, gbpages };
	uint64_t r;
	int err;

	if ((limit & 0xfff) || limit > IO_PT_LIMIT)
		return -NV_EINVAL;
	for (unsigned i = 0; i < nholes; i++)
		if (((holes[i].start | holes[i].end) & 0xfff) ||
		    holes[i].start > holes[i].end)
			return -NV_EINVAL;
	r = m->alloc_page(m->ctx);
	if (!r)
		return -NV_ENOMEM;
	err = fill(&b, r, IO_PT_LEVELS, 0);
	if (err) {
		free_tree(m, r, IO_PT_LEVELS);
		return err;
	}
	*root = r;
	return 0;
}

int io_pt_lookup(struct pt_mem *m, uint64_t root, uint64_t a, uint64_t *pa,
		 unsigned *shift)
{
	uint64_t table = root;

	if (a >= IO_PT_LIMIT)
		return -NV_ENOENT;
	for (unsigned level = IO_PT_LEVELS; level >= 1; level--) {
		uint64_t e = ((uint64_t *)m->map(m->ctx, table))
			[(a >> shift_of(level)) & 511];
		unsigned nl = (unsigned)((e & IO_PTE_NL_MASK) >> IO_PTE_NL_SHIFT);

		if (!(e & IO_PTE_PR) || (e & RW) != RW)
			return -NV_ENOENT;
		if (nl == 0) {
			uint64_t mask = (1ull << shift_of(level)) - 1;

			*pa = (e & IO_PTE_ADDR & ~mask) | (a & mask);
			*shift = shift_of(level);
			return 0;
		}
		if (nl != level - 1)
			return -NV_ENOENT;
		table = e & IO_PTE_ADDR;
	}
	return -NV_ENOENT;
}
