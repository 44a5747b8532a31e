// SPDX-License-Identifier: MIT
/*
 * pt_merge() and npt_merge(): a table that holds exactly what a split of
 * one large leaf gives becomes that leaf again, and nothing else merges.
 * Entries are written out from the AMD APM format (§5.3/§5.4.1: a 2 MiB
 * leaf is a PDE with PS, its PAT in bit 12; a 4 KiB PTE has PAT in bit 7;
 * a 1 GiB leaf is a PDPE with PS), on the fake table memory.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_pt_mem.h"
#include "mm/npt_l1.h"
#include "mm/pt.h"

#define GIB (1ull << 30)
#define MIB2 (1ull << 21)
#define RWU (PTE_P | PTE_RW | PTE_US)
#define AD (PTE_A | PTE_D)

/* A table page (level 2: PT of 4 KiB leaves, level 3: PD of 2 MiB leaves)
 * filled by hand, linked under a root for address base. */
static uint64_t hand_table(struct pt_mem *m, uint64_t root, uint64_t base,
			   unsigned level, uint64_t first, uint64_t attrs)
{
	uint64_t t = m->alloc_page(m->ctx);
	uint64_t *e = pt_table(m, t);
	uint64_t step = level == 2 ? 4096 : MIB2;

	for (unsigned i = 0; i < 512; i++)
		e[i] = (first + i * step) | attrs;
	assert_int_equal(pt_install(m, root, base, level, t | PT_TABLE_FLAGS,
				    PT_SPLIT_LARGE), 0);
	return t;
}

static void merges_what_a_split_gives(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root = m.alloc_page(m.ctx), leaf;
	unsigned level;

	(void)state;
	/* a PT of 512 contiguous 4 KiB pages: one 2 MiB leaf */
	hand_table(&m, root, 4 * GIB, 2, 0x40000000ull, RWU | AD);
	assert_int_equal(f->nlive, 4); /* root, PDPT, PD, PT */
	assert_int_equal(pt_merge(&m, root, 4 * GIB + 0x12345, 2), 0);
	leaf = *pt_walk(&m, root, 4 * GIB, &level);
	assert_int_equal(level, 2);
	assert_int_equal(leaf, 0x40000000ull | RWU | AD | PTE_PS);
	assert_int_equal(f->nlive, 3);
	/* PAT in bit 7 of the 4 KiB entries is bit 12 of the 2 MiB leaf */
	hand_table(&m, root, 4 * GIB + MIB2, 2, 0x40200000ull,
		   RWU | PTE_PAT | PTE_PCD);
	assert_int_equal(pt_merge(&m, root, 4 * GIB + MIB2, 2), 0);
	leaf = *pt_walk(&m, root, 4 * GIB + MIB2, &level);
	assert_int_equal(leaf, 0x40200000ull | RWU | PTE_PCD | PTE_LARGE_PAT |
				       PTE_PS);
	fake_delete(f);
}

static void leaves_nothing_else(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root = m.alloc_page(m.ctx), t, *e;
	uint8_t *snap;
	unsigned n;

	(void)state;
	/* not 2 MiB aligned */
	hand_table(&m, root, 0, 2, 0x40001000ull, RWU);
	/* one entry with other rights, one missing, one elsewhere */
	t = hand_table(&m, root, MIB2, 2, 0x40200000ull, RWU);
	e = pt_table(&m, t);
	e[7] &= ~PTE_RW;
	t = hand_table(&m, root, 2 * MIB2, 2, 0x40400000ull, RWU);
	pt_table(&m, t)[511] = 0;
	t = hand_table(&m, root, 3 * MIB2, 2, 0x40600000ull, RWU);
	pt_table(&m, t)[100] = 0x50000000ull | RWU;
	snap = fake_snapshot(f, &n);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pt_merge(&m, root, i * MIB2, 2), -NV_ENOENT);
	/* a PD that still has tables under it is no 1 GiB page */
	assert_int_equal(pt_merge(&m, root, 0, 3), -NV_ENOENT);
	/* nothing there, or already a leaf */
	assert_int_equal(pt_merge(&m, root, 5 * GIB, 2), -NV_ENOENT);
	assert_int_equal(pt_merge(&m, root, 1ull << 47, 3), -NV_ENOENT);
	fake_same_as(f, snap, n);
	free(snap);
	assert_int_equal(pt_merge(&m, root, 0, 1), -NV_EINVAL);
	assert_int_equal(pt_merge(&m, root, 0, 4), -NV_EINVAL);
	assert_int_equal(pt_merge(&m, root, PT_LIMIT, 2), -NV_EINVAL);
	fake_delete(f);
}

/* The identity NPT, a page protected (split twice) and released: both
 * splits merge back, the table is what it was, and no page is left. */
static void npt_round_trip(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root, gpa = 3 * GIB + 5 * MIB2 + 0x7000, hpa;
	unsigned before, shift;
	uint8_t *snap;
	unsigned n;

	(void)state;
	assert_int_equal(npt_build_identity(&m, 4 * GIB, 0, 0, RWU, true, &root), 0);
	before = f->nlive;
	snap = fake_snapshot(f, &n);
	assert_int_equal(npt_map_page(&m, root, gpa & ~0xfffull, gpa & ~0xfffull,
				      PTE_P | PTE_US), 0);
	assert_int_equal(f->nlive, before + 2);
	assert_int_equal(npt_merge(&m, root, gpa, true), 0); /* still protected */
	assert_int_equal(npt_map_page(&m, root, gpa & ~0xfffull, gpa & ~0xfffull,
				      RWU), 0);
	assert_int_equal(npt_merge(&m, root, gpa, true), 2);
	assert_int_equal(f->nlive, before);
	fake_same_as(f, snap, n);
	free(snap);
	assert_int_equal(npt_lookup(&m, root, gpa, &hpa, 0, &shift), 0);
	assert_int_equal(hpa, gpa);
	assert_int_equal(shift, 30);
	/* without 1 GiB pages only the 4 KiB table goes */
	assert_int_equal(npt_map_page(&m, root, 0x1000, 0x1000, RWU | PTE_PCD), 0);
	assert_int_equal(npt_map_page(&m, root, 0x1000, 0x1000, RWU), 0);
	assert_int_equal(npt_merge(&m, root, 0x1000, false), 1);
	assert_int_equal(npt_lookup(&m, root, 0x1000, 0, 0, &shift), 0);
	assert_int_equal(shift, 21);
	fake_delete(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(merges_what_a_split_gives),
		cmocka_unit_test(leaves_nothing_else),
		cmocka_unit_test(npt_round_trip),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
