// SPDX-License-Identifier: MIT
/*
 * la_search(): a bounded depth-first search of a guest's long-mode page
 * tables for an entry that leads to a guest-physical address (algorithm
 * and limits in la_search.h).  Recursion depth at most 5.
 */
#include "mm/la_search.h"

#include "mm/pte.h"

struct search {
	const struct la_search *s;
	uint64_t gpa;
	bool table_access;
	unsigned tables;
};

static unsigned level_shift(unsigned level)
{
	return 12u + 9u * (level - 1);
}

/* Sign-extend a linear address from its top bit (47 or 56). */
static uint64_t canonical(uint64_t la, unsigned levels)
{
	unsigned top = levels == 5 ? 56 : 47;

	return la & (1ull << top) ? la | ~((1ull << top) - 1) : la;
}

static bool is_leaf(const struct search *x, uint64_t e, unsigned level)
{
	if (level == 1)
		return true;
	if (!(e & PTE_PS))
		return false;
	return level == 2 || (level == 3 && x->s->gbpages);
}

static int visit(struct search *x, uint64_t table, unsigned level,
		 uint64_t prefix, uint64_t *la)
{
	const struct gmem *m = x->s->mem;

	if (table >= x->s->phys_limit || x->tables >= x->s->max_tables)
		return -NV_ENOENT;
	x->tables++;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e, addr, here = prefix | ((uint64_t)i << level_shift(level));
		unsigned shift = level_shift(level);

		if (m->read(m->ctx, table + 8 * i, &e, 8) || !(e & PTE_P))
			continue;
		if (is_leaf(x, e, level)) {
			uint64_t base = e & PTE64_ADDR_4K & ~((1ull << shift) - 1);

			if (!x->table_access && x->gpa - base < (1ull << shift)) {
				*la = canonical(here | (x->gpa - base),
						x->s->levels);
				return 0;
			}
			continue;
		}
		if (e & PTE_PS)
			continue; /* a PS the format reserves here: no table */
		addr = e & PTE64_ADDR_4K;
		if (x->table_access && addr == (x->gpa & ~0xfffull)) {
			*la = canonical(here, x->s->levels);
			return 0;
		}
		if (!visit(x, addr, level - 1, here, la))
			return 0;
	}
	return -NV_ENOENT;
}

int la_search(const struct la_search *s, uint64_t gpa, bool table_access,
	      uint64_t *la)
{
	struct search x = { s, gpa, table_access, 0 };

	if (s->levels != 4 && s->levels != 5)
		return -NV_EINVAL;
	return visit(&x, s->root & PTE64_ADDR_4K, s->levels, 0, la);
}
