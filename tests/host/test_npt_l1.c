// SPDX-License-Identifier: MIT
/*
 * mm/npt_l1.c (and its use of mm/palloc.c).  Page tables are built in a
 * fake pt_mem (fake_pt_mem.h) whose pages live at made-up physical
 * addresses far from the identity-mapped range and which fails any access
 * to a page it did not hand out.  The test walks the tables itself (format
 * per AMD APM Vol.2 §5.3/§5.4) to check every entry, and derives the
 * expected mapping and page sizes from the rules in npt_l1.h, not from the
 * builder.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_pt_mem.h"
#include "mm/npt_l1.h"
#include "mm/palloc.h"

#define KiB4 0x1000ULL
#define MiB2 0x200000ULL
#define GiB1 0x40000000ULL

/* ---- the expected mapping, from the rules in npt_l1.h -------------- */

struct layout {
	uint64_t limit;
	const struct pa_range *holes;
	unsigned nholes;
};

static bool in_hole(const struct layout *l, uint64_t a)
{
	for (unsigned i = 0; i < l->nholes; i++)
		if (a >= l->holes[i].start && a < l->holes[i].end)
			return true;
	return false;
}

static bool expect_mapped(const struct layout *l, uint64_t a)
{
	return a < l->limit && !in_hole(l, a);
}

static bool region_clean(const struct layout *l, uint64_t s, uint64_t e)
{
	if (e > l->limit)
		return false;
	for (unsigned i = 0; i < l->nholes; i++)
		if (l->holes[i].start < e && l->holes[i].end > s)
			return false;
	return true;
}

/* Pages of each size the largest-page rule gives: [0] 4K [1] 2M [2] 1G. */
static void expected_counts(const struct layout *l, bool gbpages,
			    uint64_t cnt[3])
{
	cnt[0] = cnt[1] = cnt[2] = 0;
	for (uint64_t g = 0; g < l->limit; g += GiB1) {
		if (gbpages && region_clean(l, g, g + GiB1)) {
			cnt[2]++;
			continue;
		}
		for (uint64_t m = g; m < g + GiB1 && m < l->limit; m += MiB2) {
			if (region_clean(l, m, m + MiB2)) {
				cnt[1]++;
				continue;
			}
			for (uint64_t p = m; p < m + MiB2 && p < l->limit; p += KiB4)
				cnt[0] += expect_mapped(l, p);
		}
	}
}

/* ---- an independent walk over the built table ---------------------- */

struct walk_stats {
	uint64_t leaves[3];	/* 4K, 2M, 1G */
	uint64_t tables;	/* table pages, root included */
	uint64_t next_mapped;	/* leaves come in address order: coverage */
	const struct layout *l;
	uint64_t leaf_flags;
};

/* Every address between two leaves must be expected unmapped. */
static void expect_gap(const struct layout *l, uint64_t from, uint64_t to)
{
	/* Holes and the limit are page granular: sample every page. */
	for (uint64_t a = from; a < to; a += KiB4) {
		if (expect_mapped(l, a))
			fail_msg("address 0x%llx should be mapped",
				 (unsigned long long)a);
		if (a >= l->limit)
			break;	/* everything above limit is unmapped */
	}
}

static void walk(struct pt_mem *m, uint64_t tpa, int level, uint64_t base,
		 struct walk_stats *st)
{
	const uint64_t *t = m->map(m->ctx, tpa);
	unsigned shift = 12 + 9 * (level - 1);

	st->tables++;
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = t[i], va = base + ((uint64_t)i << shift);
		uint64_t size = 1ULL << shift;
		bool large = level > 1 && (e & PTE_PS);

		if (!(e & PTE_P)) {
			assert_int_equal(e, 0);
			continue;
		}
		if (level == 1 || large) {
			uint64_t want = va | st->leaf_flags | PTE_A | PTE_D |
					(large ? PTE_PS : 0);

			/* PS is reserved in a PML4E (APM Vol.2 §5.3.3). */
			assert_true(level <= 3);
			if (e != want)
				fail_msg("leaf for 0x%llx is 0x%llx, want 0x%llx",
					 (unsigned long long)va,
					 (unsigned long long)e,
					 (unsigned long long)want);
			/* All of the leaf must be expected mapped. */
			if (!region_clean(st->l, va, va + size) && level > 1)
				fail_msg("large leaf 0x%llx meets a hole or limit",
					 (unsigned long long)va);
			if (level == 1 && !expect_mapped(st->l, va))
				fail_msg("page 0x%llx mapped, should not be",
					 (unsigned long long)va);
			expect_gap(st->l, st->next_mapped, va);
			st->next_mapped = va + size;
			st->leaves[(shift - 12) / 9]++;
			continue;
		}
		assert_int_equal(e & ~PTE64_ADDR_4K, PTE_P | PTE_RW | PTE_US | PTE_A);
		walk(m, e & PTE64_ADDR_4K, level - 1, va, st);
	}
}

static struct walk_stats check_table(struct pt_mem *m, uint64_t root,
				     const struct layout *l,
				     uint64_t leaf_flags)
{
	struct walk_stats st = { .l = l, .leaf_flags = leaf_flags };

	walk(m, root, 4, 0, &st);
	expect_gap(l, st.next_mapped, l->limit + KiB4);
	return st;
}

static void check_lookup(struct pt_mem *m, uint64_t root,
			 const struct layout *l, uint64_t a)
{
	uint64_t hpa = 0, flags;
	unsigned shift;
	int r = npt_lookup(m, root, a, &hpa, &flags, &shift);

	if (expect_mapped(l, a)) {
		if (r != 0 || hpa != a)
			fail_msg("lookup 0x%llx: r=%d hpa=0x%llx",
				 (unsigned long long)a, r,
				 (unsigned long long)hpa);
	} else if (r != -NV_ENOENT) {
		fail_msg("lookup 0x%llx: r=%d, want not present",
			 (unsigned long long)a, r);
	}
}

/* Holes at odd places: unsorted, overlapping, across 2M/1G boundaries. */
static const struct pa_range holes64[] = {
	{ 0xfee00000, 0xfee01000 },		/* one page (LAPIC) */
	{ 0, 0x1000 },				/* page 0 */
	{ 0xa0000, 0x100000 },			/* legacy VGA/BIOS */
	{ 0x13ffff000, 0x140201000 },		/* across a 1G boundary */
	{ 0x140200000, 0x140203000 },		/* overlaps the previous */
	{ 0x2c0000000, 0x300000000 },		/* a whole 1G + tail */
	{ 0x7ffe00000, 0x800000000 },		/* one whole 2M page */
	{ 0xfeffff000, 0xfefffffff + 1 },	/* last page of a 1G */
	{ 0xffffff000, 0x1000005000 },		/* across limit */
	{ 0x500000000, 0x500000000 },		/* empty */
};

static void test_identity_64g(void **state)
{
	const struct layout l = { 64 * GiB1, holes64,
				  sizeof(holes64) / sizeof(holes64[0]) };
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US;
	uint64_t root, want[3];
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	struct walk_stats st;
	(void)state;

	assert_int_equal(npt_build_identity(&m, l.limit, l.holes, l.nholes,
					    leaf, true, &root), 0);
	st = check_table(&m, root, &l, leaf);
	expected_counts(&l, true, want);
	assert_int_equal(st.leaves[2], want[2]);
	assert_int_equal(st.leaves[1], want[1]);
	assert_int_equal(st.leaves[0], want[0]);
	assert_int_equal(st.tables, f->nlive);
	/* Sanity of the rule itself: most of 64 GiB is 1 GiB pages. */
	assert_true(want[2] >= 57 && want[1] > 0 && want[0] > 0);

	/* Hole boundaries +-1 page, and an offset inside the page. */
	for (unsigned i = 0; i < l.nholes; i++) {
		const uint64_t pts[] = { l.holes[i].start, l.holes[i].end };

		for (unsigned k = 0; k < 2; k++) {
			for (int d = -2; d <= 1; d++) {
				uint64_t a = pts[k] + (uint64_t)d * KiB4;

				if (pts[k] < 2 * KiB4 && d < 0)
					continue;
				check_lookup(&m, root, &l, a);
				check_lookup(&m, root, &l, a + 0xabc);
			}
		}
	}
	check_lookup(&m, root, &l, l.limit - KiB4);
	check_lookup(&m, root, &l, l.limit);
	/* Page size reported by lookup. */
	{
		uint64_t hpa, flags;
		unsigned shift;

		assert_int_equal(npt_lookup(&m, root, 9 * GiB1 + 0x1234, &hpa,
					    &flags, &shift), 0);
		assert_int_equal(shift, 30);
		assert_int_equal(hpa, 9 * GiB1 + 0x1234);
		assert_int_equal(flags, leaf | PTE_A | PTE_D | PTE_PS);
		assert_int_equal(npt_lookup(&m, root, 0x200000, NULL, NULL,
					    &shift), 0);
		assert_int_equal(shift, 21);
		assert_int_equal(npt_lookup(&m, root, 0x1000, &hpa, &flags,
					    &shift), 0);
		assert_int_equal(shift, 12);
		assert_int_equal(flags, leaf | PTE_A | PTE_D);
	}
	/* Pseudo-random sample across the whole range. */
	{
		uint64_t x = 0x9e3779b97f4a7c15ULL;

		for (int i = 0; i < 200000; i++) {
			x ^= x << 13;
			x ^= x >> 7;
			x ^= x << 17;
			check_lookup(&m, root, &l, x % (l.limit + 4 * GiB1));
		}
	}
	npt_destroy(&m, root);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

/* Every page of 4 GiB, looked up one by one; no 1G pages (host flavour). */
static void test_identity_every_page(void **state)
{
	static const struct pa_range holes[] = {
		{ 0x3000, 0x5000 }, { 0x1ff000, 0x201000 },
		{ 0xc0000000, 0xc0400000 }, { 0xfebff000, 0xfee01000 },
		{ 0x123456000, 0x123457000 },	/* beyond limit: no effect */
	};
	const struct layout l = { 0xfff00000, holes, 5 };	/* 4G - 1M */
	const uint64_t leaf = PTE_P | PTE_RW | PTE_NX | PTE_G | PTE_PCD;
	uint64_t root, want[3];
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	struct walk_stats st;
	(void)state;

	assert_int_equal(npt_build_identity(&m, l.limit, holes, 5, leaf, false,
					    &root), 0);
	st = check_table(&m, root, &l, leaf);
	expected_counts(&l, false, want);
	assert_int_equal(st.leaves[2], 0);
	assert_int_equal(st.leaves[1], want[1]);
	assert_int_equal(st.leaves[0], want[0]);
	for (uint64_t a = 0; a < l.limit + 16 * KiB4; a += KiB4)
		check_lookup(&m, root, &l, a);
	npt_destroy(&m, root);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

static void test_identity_edges(void **state)
{
	static const struct pa_range all[] = { { 0, 2 * GiB1 } };
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root;
	(void)state;

	/* limit 0: just an empty root. */
	assert_int_equal(npt_build_identity(&m, 0, NULL, 0, PTE_P, true,
					    &root), 0);
	assert_int_equal(f->nlive, 1);
	assert_int_equal(npt_lookup(&m, root, 0, NULL, NULL, NULL),
			 -NV_ENOENT);
	npt_destroy(&m, root);
	/* Everything in a hole: no table below the root either. */
	assert_int_equal(npt_build_identity(&m, GiB1, all, 1, PTE_P, true,
					    &root), 0);
	assert_int_equal(f->nlive, 1);
	npt_destroy(&m, root);
	/* Limit not on a 2M boundary: 4K pages up to it. */
	assert_int_equal(npt_build_identity(&m, MiB2 + 3 * KiB4, NULL, 0,
					    PTE_P | PTE_RW | PTE_US, true,
					    &root), 0);
	{
		const struct layout l = { MiB2 + 3 * KiB4, NULL, 0 };
		struct walk_stats st = check_table(&m, root, &l,
						   PTE_P | PTE_RW | PTE_US);

		assert_int_equal(st.leaves[1], 1);
		assert_int_equal(st.leaves[0], 3);
		assert_int_equal(st.leaves[2], 0);
	}
	npt_destroy(&m, root);
	/* Beyond 512 GiB: a second PML4 entry (cf. SimpleSvm#3). */
	assert_int_equal(npt_build_identity(&m, 1024 * GiB1, NULL, 0,
					    PTE_P | PTE_RW | PTE_US, true,
					    &root), 0);
	assert_int_equal(npt_lookup(&m, root, 700 * GiB1 + 0x5000, NULL, NULL,
				    NULL), 0);
	assert_int_equal(npt_lookup(&m, root, 1024 * GiB1, NULL, NULL, NULL),
			 -NV_ENOENT);
	npt_destroy(&m, root);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

static void test_invalid_args(void **state)
{
	static const struct pa_range unaligned[] = { { 0x1000, 0x1800 } };
	static const struct pa_range reversed[] = { { 0x3000, 0x1000 } };
	const uint64_t ok = PTE_P | PTE_RW | PTE_US;
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root = 0;
	(void)state;

	assert_int_equal(npt_build_identity(&m, 0x1800, NULL, 0, ok, true,
					    &root), -NV_EINVAL);
	assert_int_equal(npt_build_identity(&m, NPT_LIMIT_MAX + KiB4, NULL, 0,
					    ok, true, &root), -NV_EINVAL);
	assert_int_equal(npt_build_identity(&m, GiB1, unaligned, 1, ok, true,
					    &root), -NV_EINVAL);
	assert_int_equal(npt_build_identity(&m, GiB1, reversed, 1, ok, true,
					    &root), -NV_EINVAL);
	assert_int_equal(npt_build_identity(&m, GiB1, NULL, 0, ok | PTE_PS,
					    true, &root), -NV_EINVAL);
	assert_int_equal(npt_build_identity(&m, GiB1, NULL, 0, ok | PTE_A,
					    true, &root), -NV_EINVAL);
	assert_int_equal(npt_build_identity(&m, GiB1, NULL, 0, PTE_RW | PTE_US,
					    true, &root), -NV_EINVAL);
	assert_int_equal(f->nlive, 0);
	assert_int_equal(npt_build_identity(&m, GiB1, NULL, 0, ok, true,
					    &root), 0);
	assert_int_equal(npt_map_page(&m, root, 0x1800, 0x1000, ok),
			 -NV_EINVAL);
	assert_int_equal(npt_map_page(&m, root, 0x1000, 0x1008, ok),
			 -NV_EINVAL);
	assert_int_equal(npt_map_page(&m, root, 0x1000, 1ULL << 52, ok),
			 -NV_EINVAL);
	assert_int_equal(npt_map_page(&m, root, NPT_LIMIT_MAX, 0x1000, ok),
			 -NV_EINVAL);
	assert_int_equal(npt_map_page(&m, root, 0x1000, 0x1000, ok | PTE_D),
			 -NV_EINVAL);
	assert_int_equal(npt_unmap_page(&m, root, 0x1001), -NV_EINVAL);
	npt_destroy(&m, root);
	fake_delete(f);
}

static void test_split_preserves_neighbours(void **state)
{
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US;
	const uint64_t gpa = GiB1 + 5 * MiB2 + 7 * KiB4;
	const uint64_t new_flags = PTE_P | PTE_US | PTE_NX;
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root, hpa, flags;
	unsigned shift, before;
	(void)state;

	assert_int_equal(npt_build_identity(&m, 4 * GiB1, NULL, 0, leaf, true,
					    &root), 0);
	before = f->nlive;
	assert_int_equal(npt_map_page(&m, root, gpa, 0x987654000ULL,
				      new_flags), 0);
	assert_int_equal(f->nlive, before + 2);	/* one PD, one PT */
	assert_int_equal(npt_lookup(&m, root, gpa + 0x10, &hpa, &flags,
				    &shift), 0);
	assert_int_equal(hpa, 0x987654010ULL);
	assert_int_equal(flags, new_flags | PTE_A | PTE_D);
	assert_int_equal(shift, 12);
	/* Every other page of the split 1 GiB still maps to itself. */
	for (uint64_t a = GiB1; a < 2 * GiB1; a += KiB4) {
		if (a == gpa)
			continue;
		assert_int_equal(npt_lookup(&m, root, a, &hpa, &flags, &shift),
				 0);
		assert_int_equal(hpa, a);
		if ((a & ~(MiB2 - 1)) == (gpa & ~(MiB2 - 1))) {
			assert_int_equal(shift, 12);
			assert_int_equal(flags, leaf | PTE_A | PTE_D);
		} else {
			assert_int_equal(shift, 21);
			assert_int_equal(flags, leaf | PTE_A | PTE_D | PTE_PS);
		}
	}
	for (uint64_t g = 0; g < 4 * GiB1; g += GiB1) {
		if (g == GiB1)
			continue;
		assert_int_equal(npt_lookup(&m, root, g + 0x3000, &hpa, NULL,
					    &shift), 0);
		assert_int_equal(shift, 30);
		assert_int_equal(hpa, g + 0x3000);
	}
	/* Remapping the same page allocates nothing. */
	assert_int_equal(npt_map_page(&m, root, gpa, gpa, leaf), 0);
	assert_int_equal(f->nlive, before + 2);
	/* Unmap: only that page goes away. */
	assert_int_equal(npt_unmap_page(&m, root, gpa), 0);
	assert_int_equal(npt_lookup(&m, root, gpa, NULL, NULL, NULL),
			 -NV_ENOENT);
	assert_int_equal(npt_unmap_page(&m, root, gpa), -NV_ENOENT);
	assert_int_equal(npt_lookup(&m, root, gpa - KiB4, &hpa, NULL, NULL), 0);
	assert_int_equal(hpa, gpa - KiB4);
	assert_int_equal(npt_lookup(&m, root, gpa + KiB4, &hpa, NULL, NULL), 0);
	assert_int_equal(hpa, gpa + KiB4);
	/* Unmapping inside a 1G page splits it down to 4K. */
	assert_int_equal(npt_unmap_page(&m, root, 3 * GiB1), 0);
	assert_int_equal(f->nlive, before + 4);
	assert_int_equal(npt_lookup(&m, root, 3 * GiB1, NULL, NULL, NULL),
			 -NV_ENOENT);
	assert_int_equal(npt_lookup(&m, root, 3 * GiB1 + KiB4, &hpa, NULL,
				    &shift), 0);
	assert_int_equal(hpa, 3 * GiB1 + KiB4);
	assert_int_equal(shift, 12);
	assert_int_equal(npt_lookup(&m, root, 3 * GiB1 + MiB2, NULL, NULL,
				    &shift), 0);
	assert_int_equal(shift, 21);
	/* Unmapping above limit: not mapped. */
	assert_int_equal(npt_unmap_page(&m, root, 5 * GiB1), -NV_ENOENT);
	/* Mapping where nothing was creates the missing tables. */
	assert_int_equal(npt_map_page(&m, root, 600 * GiB1, 0x5000, leaf), 0);
	assert_int_equal(f->nlive, before + 4 + 3);
	assert_int_equal(npt_lookup(&m, root, 600 * GiB1 + 8, &hpa, NULL,
				    &shift), 0);
	assert_int_equal(hpa, 0x5008);
	assert_int_equal(shift, 12);
	npt_destroy(&m, root);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

/* A 2M leaf with PAT (bit 12) splits into PTEs with PAT in bit 7. */
static void test_split_moves_pat(void **state)
{
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_PWT;
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root, *t, flags;
	(void)state;

	assert_int_equal(npt_build_identity(&m, GiB1, NULL, 0, leaf, false,
					    &root), 0);
	t = m.map(m.ctx, root);				/* PML4 */
	t = m.map(m.ctx, t[0] & PTE64_ADDR_4K);		/* PDPT */
	t = m.map(m.ctx, t[0] & PTE64_ADDR_4K);		/* PD */
	t[3] |= PTE_LARGE_PAT;
	assert_int_equal(npt_lookup(&m, root, 3 * MiB2, NULL, &flags, NULL), 0);
	assert_int_equal(flags, leaf | PTE_A | PTE_D | PTE_PS | PTE_LARGE_PAT);
	assert_int_equal(npt_unmap_page(&m, root, 3 * MiB2), 0);
	assert_int_equal(npt_lookup(&m, root, 3 * MiB2 + KiB4, NULL, &flags,
				    NULL), 0);
	/* In a PTE bit 7 is PAT (APM Vol.2 §5.4.1). */
	assert_int_equal(flags, leaf | PTE_A | PTE_D | PTE_PS);
	npt_destroy(&m, root);
	fake_delete(f);
}

static void test_out_of_memory(void **state)
{
	const struct layout l = { 8 * GiB1, holes64, 4 };
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US;
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root, need, hpa;
	unsigned n;
	uint8_t *snap;
	(void)state;

	assert_int_equal(npt_build_identity(&m, l.limit, l.holes, l.nholes,
					    leaf, true, &root), 0);
	need = f->nlive;
	npt_destroy(&m, root);
	/* Every budget short of the need fails cleanly and leaks nothing. */
	for (uint64_t k = 0; k < need; k++) {
		root = 0xdead;
		f->budget = (long)k;
		assert_int_equal(npt_build_identity(&m, l.limit, l.holes,
						    l.nholes, leaf, true,
						    &root), -NV_ENOMEM);
		assert_int_equal(f->nlive, 0);
		assert_int_equal(root, 0xdead);
	}
	f->budget = (long)need;
	assert_int_equal(npt_build_identity(&m, l.limit, l.holes, l.nholes,
					    leaf, true, &root), 0);

	/* A 1G split needs 2 pages: with 0 or 1 nothing may change. */
	for (long k = 0; k < 2; k++) {
		unsigned live = f->nlive;

		snap = fake_snapshot(f, &n);
		f->budget = k;
		assert_int_equal(npt_map_page(&m, root, 6 * GiB1 + KiB4,
					      0x1000, leaf), -NV_ENOMEM);
		assert_int_equal(npt_unmap_page(&m, root, 6 * GiB1),
				 -NV_ENOMEM);
		assert_int_equal(f->nlive, live);
		fake_same_as(f, snap, n);
		free(snap);
	}
	/* A new path above limit needs 3 (PDPT, PD, PT). */
	for (long k = 0; k < 3; k++) {
		unsigned live = f->nlive;

		snap = fake_snapshot(f, &n);
		f->budget = k;
		assert_int_equal(npt_map_page(&m, root, 900 * GiB1, 0x1000,
					      leaf), -NV_ENOMEM);
		assert_int_equal(f->nlive, live);
		fake_same_as(f, snap, n);
		free(snap);
	}
	assert_int_equal(npt_lookup(&m, root, 6 * GiB1 + KiB4, &hpa, NULL,
				    NULL), 0);
	assert_int_equal(hpa, 6 * GiB1 + KiB4);
	f->budget = 3;
	assert_int_equal(npt_map_page(&m, root, 900 * GiB1, 0x1000, leaf), 0);
	f->budget = -1;
	check_lookup(&m, root, &l, 6 * GiB1);
	npt_destroy(&m, root);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

/* ---- npt_l1 on palloc ------------------------------------------------ */

static void test_palloc_as_pt_mem(void **state)
{
	void *mem = aligned_alloc(KiB4, 1 << 20);
	struct palloc p;
	struct pt_mem m;
	uint64_t root, free0, hpa;
	(void)state;

	assert_non_null(mem);
	assert_int_equal(palloc_init(&p, mem, 0x1000000, 1 << 20), 0);
	palloc_pt_mem(&p, &m);
	free0 = palloc_free_count(&p);
	assert_int_equal(npt_build_identity(&m, 4 * GiB1, holes64, 3,
					    PTE_P | PTE_RW | PTE_US, true,
					    &root), 0);
	assert_int_equal(npt_lookup(&m, root, 0xfee01000, &hpa, NULL, NULL), 0);
	assert_int_equal(hpa, 0xfee01000);
	assert_true(palloc_free_count(&p) < free0);
	npt_destroy(&m, root);
	assert_int_equal(palloc_free_count(&p), free0);
	free(mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_identity_64g),
		cmocka_unit_test(test_identity_every_page),
		cmocka_unit_test(test_identity_edges),
		cmocka_unit_test(test_invalid_args),
		cmocka_unit_test(test_split_preserves_neighbours),
		cmocka_unit_test(test_split_moves_pat),
		cmocka_unit_test(test_out_of_memory),
		cmocka_unit_test(test_palloc_as_pt_mem),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
