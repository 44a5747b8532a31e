// SPDX-License-Identifier: MIT
/*
 * mm/pt.c, the 4-level page-table module, on a policing fake pt_mem
 * (fake_pt_mem.h).  Every expected entry is written out from the AMD APM
 * Vol. 2 entry format (§5.3: long-mode translation, a 48-bit address split
 * into PML4 47:39, PDPT 38:30, PD 29:21, PT 20:12 indexes; §5.4.1: the
 * attribute bits by number), with this file's own constants and its own
 * reading of the tables, never with the module's helpers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "fake_pt_mem.h"
#include "mm/pt.h"

/* APM Vol. 2 §5.4.1, by bit number. */
#define B_P     0x001ull
#define B_RW    0x002ull
#define B_US    0x004ull
#define B_PWT   0x008ull
#define B_PCD   0x010ull
#define B_A     0x020ull
#define B_D     0x040ull
#define B_PS    0x080ull  /* PDE/PDPE */
#define B_PAT4K 0x080ull  /* PTE */
#define B_G     0x100ull
#define B_PATL  0x1000ull /* 2 MiB / 1 GiB leaf */
#define B_NX    (1ull << 63)
#define B_AVL   0x200ull                /* one of bits 11:9 */
#define B_AVLH  (1ull << 55)            /* one of bits 62:52 */
#define TABLE   (B_P | B_RW | B_US | B_A) /* nestvisor's table entries */

#define K4 0x1000ull
#define M2 0x200000ull
#define G1 0x40000000ull
#define G512 (1ull << 39)

/* The index of addr at level, from the APM's field positions. */
static unsigned idx(uint64_t addr, unsigned level)
{
	static const unsigned lsb[5] = { 0, 12, 21, 30, 39 };

	return (unsigned)((addr >> lsb[level]) & 0x1ff);
}

static uint64_t *tab(struct pt_mem *m, uint64_t pa)
{
	return m->map(m->ctx, pa);
}

/* The table that holds addr's entry at level (tables must exist). */
static uint64_t *table_at(struct pt_mem *m, uint64_t root, uint64_t addr,
			  unsigned level)
{
	uint64_t *t = tab(m, root);

	for (unsigned l = 4; l > level; l--) {
		uint64_t e = t[idx(addr, l)];

		assert_int_equal(e & ~0x000ffffffffff000ull, TABLE);
		t = tab(m, e & 0x000ffffffffff000ull);
	}
	return t;
}

static uint64_t entry(struct pt_mem *m, uint64_t root, uint64_t addr,
		      unsigned level)
{
	return table_at(m, root, addr, level)[idx(addr, level)];
}

/* Number of non-zero entries in a table page. */
static unsigned used(const uint64_t *t)
{
	unsigned n = 0;

	for (unsigned i = 0; i < 512; i++)
		n += t[i] != 0;
	return n;
}

static uint64_t new_root(struct pt_mem *m)
{
	uint64_t r = m->alloc_page(m->ctx);

	assert_true(r != 0);
	return r;
}

/* ---- the vocabulary ----------------------------------------------------- */

static void pte_bits_are_the_apms(void **state)
{
	(void)state;
	assert_int_equal(PTE_P, B_P);
	assert_int_equal(PTE_RW, B_RW);
	assert_int_equal(PTE_US, B_US);
	assert_int_equal(PTE_PWT, B_PWT);
	assert_int_equal(PTE_PCD, B_PCD);
	assert_int_equal(PTE_A, B_A);
	assert_int_equal(PTE_D, B_D);
	assert_int_equal(PTE_PS, B_PS);
	assert_int_equal(PTE_PAT, B_PAT4K);
	assert_int_equal(PTE_G, B_G);
	assert_int_equal(PTE_LARGE_PAT, B_PATL);
	assert_int_equal(PTE_NX, B_NX);
	assert_int_equal(PTE_AVL, 0xe00ull);
	assert_int_equal(PTE64_AVL, 0x7ff0000000000000ull);
	assert_int_equal(PTE64_ADDR_4K, 0x000ffffffffff000ull);
	assert_int_equal(PTE64_ADDR_2M, 0x000fffffffe00000ull);
	assert_int_equal(PTE64_ADDR_1G, 0x000fffffc0000000ull);
	assert_int_equal(PT_TABLE_FLAGS, TABLE);
	assert_int_equal(PT_LIMIT, 1ull << 48);
}

static void index_per_level(void **state)
{
	uint64_t a = 3 * G512 + 5 * G1 + 7 * M2 + 9 * K4 + 0x123;

	(void)state;
	assert_int_equal(pt_index(a, 4), 3);
	assert_int_equal(pt_index(a, 3), 5);
	assert_int_equal(pt_index(a, 2), 7);
	assert_int_equal(pt_index(a, 1), 9);
	/* bits 63:48 are not an index */
	assert_int_equal(pt_index(a | 0xffff000000000000ull, 4), 3);
	assert_int_equal(pt_index(0x0000ff8000000000ull, 4), 511);
	assert_int_equal(pt_index(0x000000003fe00000ull, 2), 511);
	assert_int_equal(pt_index(0x00000000001ff000ull, 1), 511);
	assert_int_equal(pt_index(0x0000000000000fffull, 1), 0);
	assert_int_equal(pt_level_shift(1), 12);
	assert_int_equal(pt_level_shift(2), 21);
	assert_int_equal(pt_level_shift(3), 30);
	assert_int_equal(pt_level_shift(4), 39);
	assert_int_equal(pt_level_shift(5), 48); /* a PML5E maps 256 TiB */
	assert_int_equal(pt_leaf_addr_mask(1), 0x000ffffffffff000ull);
	assert_int_equal(pt_leaf_addr_mask(2), 0x000fffffffe00000ull);
	assert_int_equal(pt_leaf_addr_mask(3), 0x000fffffc0000000ull);
	assert_true(pt_is_table(0x5000 | TABLE, 2));
	assert_false(pt_is_table(0x5000 | TABLE, 1));
	assert_false(pt_is_table(0x5000 | TABLE | B_PS, 2));
	assert_false(pt_is_table(0x5000 | B_RW, 3));
}

/* ---- install ------------------------------------------------------------ */

static void install_builds_the_path(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root = new_root(&m);
	const uint64_t a = 3 * G512 + 5 * G1 + 7 * M2 + 9 * K4;
	const uint64_t leaf = 0x123456000ull | B_P | B_RW | B_US | B_A | B_D;
	const uint64_t big = 0x40000000ull | B_P | B_RW | B_A | B_D | B_PS;
	uint64_t *pml4 = tab(&m, root), *pdpt, *pd, *pt;
	unsigned level;
	(void)state;

	assert_int_equal(pt_install(&m, root, a, 1, leaf, PT_SPLIT_LARGE), 0);
	assert_int_equal(f->nlive, 4); /* root, PDPT, PD, PT */
	pdpt = table_at(&m, root, a, 3);
	pd = table_at(&m, root, a, 2);
	pt = table_at(&m, root, a, 1);
	assert_int_equal(pt[9], leaf);
	assert_int_equal(used(pml4), 1);
	assert_int_equal(used(pdpt), 1);
	assert_int_equal(used(pd), 1);
	assert_int_equal(used(pt), 1);
	/* pt_walk finds it, and stops where nothing is mapped */
	assert_ptr_equal(pt_walk(&m, root, a + 0x123, &level), &pt[9]);
	assert_int_equal(level, 1);
	assert_ptr_equal(pt_walk(&m, root, a + K4, &level), &pt[10]);
	assert_int_equal(level, 1);
	assert_ptr_equal(pt_walk(&m, root, a + G1, &level), &pdpt[6]);
	assert_int_equal(level, 3);
	assert_ptr_equal(pt_walk(&m, root, 0, &level), &pml4[0]);
	assert_int_equal(level, 4);

	/* in existing tables: no page taken */
	assert_int_equal(pt_install(&m, root, a + 2 * M2, 2, big, PT_DROP_LARGE), 0);
	assert_int_equal(pd[9], big);
	assert_int_equal(pt_install(&m, root, a - G1, 3, big, PT_DROP_LARGE), 0);
	assert_int_equal(pdpt[4], big);
	assert_int_equal(f->nlive, 4);
	assert_ptr_equal(pt_walk(&m, root, a + 2 * M2 + 0x1234, &level), &pd[9]);
	assert_int_equal(level, 2);
	/* writing 0 clears the entry and keeps the tables */
	assert_int_equal(pt_install(&m, root, a, 1, 0, PT_SPLIT_LARGE), 0);
	assert_int_equal(pt[9], 0);
	assert_int_equal(f->nlive, 4);

	/* bad level or address: nothing changes */
	assert_int_equal(pt_install(&m, root, a, 0, leaf, PT_SPLIT_LARGE),
			 -NV_EINVAL);
	assert_int_equal(pt_install(&m, root, a, 4, leaf, PT_SPLIT_LARGE),
			 -NV_EINVAL);
	assert_int_equal(pt_install(&m, root, 1ull << 48, 1, leaf,
				    PT_SPLIT_LARGE), -NV_EINVAL);
	assert_int_equal(f->nlive, 4);
	assert_int_equal(used(pml4), 1);

	pt_free(&m, root, 4);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

/* ---- split -------------------------------------------------------------- */

static void split_entries_follow_the_format(void **state)
{
	uint64_t child[512];
	const uint64_t g_attrs = B_P | B_RW | B_US | B_PWT | B_A | B_D | B_G |
				 B_PATL | B_NX | B_AVL | B_AVLH;
	const uint64_t m_attrs = B_P | B_RW | B_PCD | B_A | B_D;
	(void)state;

	/* 1 GiB -> 512 x 2 MiB: PS and the large-page PAT stay */
	pt_split_entries(child, 5 * G1 | g_attrs | B_PS, 3);
	for (unsigned j = 0; j < 512; j++)
		assert_int_equal(child[j], (5 * G1 + j * M2) | g_attrs | B_PS);

	/* 2 MiB with PAT -> 512 x 4 KiB: PS goes, PAT moves to bit 7 */
	pt_split_entries(child, 0x12345ull * M2 | m_attrs | B_PS | B_PATL, 2);
	for (unsigned j = 0; j < 512; j++)
		assert_int_equal(child[j],
				 (0x12345ull * M2 + j * K4) | m_attrs | B_PAT4K);

	/* 2 MiB without PAT: bit 7 clear in the PTEs */
	pt_split_entries(child, 0x12345ull * M2 | m_attrs | B_PS, 2);
	for (unsigned j = 0; j < 512; j++)
		assert_int_equal(child[j], (0x12345ull * M2 + j * K4) | m_attrs);

	/* reserved bits 20:13 of a 2 MiB leaf never reach the PTE addresses */
	pt_split_entries(child, 0x12345ull * M2 | 0x1fe000ull | m_attrs | B_PS,
			 2);
	for (unsigned j = 0; j < 512; j++)
		assert_int_equal(child[j], (0x12345ull * M2 + j * K4) | m_attrs);
}

static void split_in_place(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root = new_root(&m);
	const uint64_t big = 2 * G1 | B_P | B_RW | B_US | B_A | B_D | B_PS;
	uint64_t *pdpt, *pd, e;
	(void)state;

	assert_int_equal(pt_install(&m, root, 2 * G1, 3, big, PT_SPLIT_LARGE), 0);
	pdpt = table_at(&m, root, 2 * G1, 3);
	assert_int_equal(f->nlive, 2);

	/* no page: nothing changes */
	f->budget = 0;
	assert_int_equal(pt_split(&m, &pdpt[2], 3), -NV_ENOMEM);
	assert_int_equal(pdpt[2], big);
	assert_int_equal(f->nlive, 2);
	f->budget = -1;

	assert_int_equal(pt_split(&m, &pdpt[2], 3), 0);
	assert_int_equal(f->nlive, 3);
	assert_int_equal(pdpt[2] & ~0x000ffffffffff000ull, TABLE);
	pd = tab(&m, pdpt[2] & 0x000ffffffffff000ull);
	for (unsigned j = 0; j < 512; j++)
		assert_int_equal(pd[j], (2 * G1 + j * M2) | B_P | B_RW | B_US |
					B_A | B_D | B_PS);
	/* a 2 MiB child splits into PTEs */
	assert_int_equal(pt_split(&m, &pd[7], 2), 0);
	assert_int_equal(f->nlive, 4);
	assert_int_equal(entry(&m, root, 2 * G1 + 7 * M2 + 3 * K4, 1),
			 (2 * G1 + 7 * M2 + 3 * K4) | B_P | B_RW | B_US | B_A |
			 B_D);

	/* only a present large leaf at level 2 or 3 splits */
	e = pd[7];
	assert_int_equal(pt_split(&m, &pd[7], 2), -NV_EINVAL); /* a table */
	assert_int_equal(pd[7], e);
	e = entry(&m, root, 2 * G1 + 7 * M2, 1);
	assert_int_equal(pt_split(&m, &table_at(&m, root, 2 * G1 + 7 * M2, 1)[0],
				  1), -NV_EINVAL);
	assert_int_equal(entry(&m, root, 2 * G1 + 7 * M2, 1), e);
	assert_int_equal(pt_split(&m, &pdpt[3], 3), -NV_EINVAL); /* empty */
	assert_int_equal(pdpt[3], 0);
	assert_int_equal(f->nlive, 4);

	pt_free(&m, root, 4);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

/* A 4 KiB install through a 1 GiB leaf: split keeps, drop forgets. */
static void install_splits_or_drops(void **state)
{
	const uint64_t attrs = B_P | B_RW | B_US | B_PWT | B_A | B_D | B_PATL;
	const uint64_t big = G1 | attrs | B_PS;
	const uint64_t a = G1 + 5 * M2 + 7 * K4;
	const uint64_t leaf = 0x777000ull | B_P | B_US | B_A | B_D | B_NX;
	(void)state;

	for (int drop = 0; drop <= 1; drop++) {
		struct pt_mem m;
		struct fake *f = fake_new(&m);
		uint64_t root = new_root(&m), *pd, *pt;

		assert_int_equal(pt_install(&m, root, G1, 3, big,
					    PT_SPLIT_LARGE), 0);
		assert_int_equal(f->nlive, 2);
		assert_int_equal(pt_install(&m, root, a, 1, leaf,
					    drop ? PT_DROP_LARGE
						 : PT_SPLIT_LARGE), 0);
		assert_int_equal(f->nlive, 4); /* a PD and a PT */
		pd = table_at(&m, root, a, 2);
		pt = table_at(&m, root, a, 1);
		assert_int_equal(pt[7], leaf);
		if (drop) {
			assert_int_equal(used(pd), 1);
			assert_int_equal(used(pt), 1);
		} else {
			for (unsigned i = 0; i < 512; i++)
				if (i != 5)
					assert_int_equal(pd[i], (G1 + i * M2) |
							 attrs | B_PS);
			for (unsigned j = 0; j < 512; j++)
				if (j != 7)
					assert_int_equal(pt[j],
						(G1 + 5 * M2 + j * K4) |
						(attrs & ~B_PATL) | B_PAT4K);
		}
		pt_free(&m, root, 4);
		assert_int_equal(f->nlive, 0);
		fake_delete(f);
	}
}

/* A large leaf installed over a table frees the table's subtree. */
static void install_over_a_table(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root = new_root(&m);
	const uint64_t leaf = B_P | B_RW | B_US | B_A | B_D;
	const uint64_t b = 7 * G1;
	(void)state;

	assert_int_equal(pt_install(&m, root, b + 3 * M2, 1, 0x5000 | leaf,
				    PT_DROP_LARGE), 0);
	assert_int_equal(pt_install(&m, root, b + 4 * M2, 1, 0x6000 | leaf,
				    PT_DROP_LARGE), 0);
	assert_int_equal(f->nlive, 5); /* root, PDPT, PD, two PTs */
	assert_int_equal(pt_install(&m, root, b + 3 * M2, 2,
				    0x40000000ull | leaf | B_PS,
				    PT_DROP_LARGE), 0);
	assert_int_equal(f->nlive, 4);
	assert_int_equal(entry(&m, root, b + 3 * M2, 2),
			 0x40000000ull | leaf | B_PS);
	assert_int_equal(entry(&m, root, b + 4 * M2, 1), 0x6000 | leaf);
	assert_int_equal(pt_install(&m, root, b, 3, 0x80000000ull | leaf | B_PS,
				    PT_DROP_LARGE), 0);
	assert_int_equal(f->nlive, 2); /* the PD and a PT gone */
	assert_int_equal(entry(&m, root, b, 3), 0x80000000ull | leaf | B_PS);
	pt_free(&m, root, 4);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

/* Running out of pages part way: the tables are as they were. */
static void install_out_of_memory(void **state)
{
	const uint64_t leaf = 0x9000 | B_P | B_RW | B_US | B_A | B_D;
	const uint64_t big = G1 | B_P | B_RW | B_US | B_A | B_D | B_PS;
	struct {
		uint64_t addr;
		unsigned level;
		long need;
		enum pt_large large;
	} c[] = {
		{ 300 * G512, 1, 3, PT_SPLIT_LARGE }, /* PDPT, PD, PT */
		{ 300 * G512, 2, 2, PT_DROP_LARGE },  /* PDPT, PD */
		{ G1 + 3 * K4, 1, 2, PT_SPLIT_LARGE }, /* split 1G, split 2M */
		{ G1 + 3 * K4, 1, 2, PT_DROP_LARGE },
		{ G1 + 3 * M2, 2, 1, PT_SPLIT_LARGE },
	};
	(void)state;

	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		struct pt_mem m;
		struct fake *f = fake_new(&m);
		uint64_t root = new_root(&m);
		uint64_t e = c[i].level > 1 ? leaf | B_PS : leaf;
		unsigned live, n;
		uint8_t *snap;

		assert_int_equal(pt_install(&m, root, G1, 3, big,
					    PT_SPLIT_LARGE), 0);
		for (long k = 0; k < c[i].need; k++) {
			live = f->nlive;
			snap = fake_snapshot(f, &n);
			f->budget = k;
			assert_int_equal(pt_install(&m, root, c[i].addr,
						    c[i].level, e, c[i].large),
					 -NV_ENOMEM);
			assert_int_equal(f->nlive, live);
			fake_same_as(f, snap, n);
			free(snap);
		}
		live = f->nlive;
		f->budget = c[i].need;
		assert_int_equal(pt_install(&m, root, c[i].addr, c[i].level,
					    e, c[i].large), 0);
		assert_int_equal(f->nlive, live + (unsigned)c[i].need);
		assert_int_equal(entry(&m, root, c[i].addr, c[i].level), e);
		f->budget = -1;
		pt_free(&m, root, 4);
		assert_int_equal(f->nlive, 0);
		fake_delete(f);
	}
}

/* ---- zap and free ------------------------------------------------------- */

static void zap_reports_and_frees(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root = new_root(&m), *pdpt, *pd, old;
	const uint64_t leaf = B_P | B_RW | B_US | B_A | B_D;
	(void)state;

	assert_int_equal(pt_install(&m, root, 0x1000, 1, 0xa000 | leaf,
				    PT_DROP_LARGE), 0);
	assert_int_equal(pt_install(&m, root, M2, 1, 0xb000 | leaf,
				    PT_DROP_LARGE), 0);
	assert_int_equal(pt_install(&m, root, 4 * M2, 2, 4 * M2 | leaf | B_PS,
				    PT_DROP_LARGE), 0);
	assert_int_equal(f->nlive, 5); /* root, PDPT, PD, two PTs */
	pd = table_at(&m, root, 0, 2);
	pdpt = table_at(&m, root, 0, 3);

	/* a leaf: reported, cleared, nothing freed */
	old = pt_zap(&m, &pd[4], 2);
	assert_int_equal(old, 4 * M2 | leaf | B_PS);
	assert_int_equal(pd[4], 0);
	assert_int_equal(f->nlive, 5);
	old = pt_zap(&m, &table_at(&m, root, 0x1000, 1)[1], 1);
	assert_int_equal(old, 0xa000 | leaf);
	assert_int_equal(f->nlive, 5);
	/* a table: reported, cleared, its subtree freed (the fake fails any
	 * later access to a freed page) */
	old = pt_zap(&m, &pdpt[0], 3);
	assert_int_equal(old & ~0x000ffffffffff000ull, TABLE);
	assert_int_equal(pdpt[0], 0);
	assert_int_equal(f->nlive, 2);
	assert_int_equal(used(pdpt), 0);
	/* an empty entry: 0 */
	assert_int_equal(pt_zap(&m, &pdpt[0], 3), 0);
	pt_free(&m, root, 4);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

static void zap_range_drops_what_meets_it(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root = new_root(&m), *pd, *pt;
	const uint64_t leaf = B_P | B_RW | B_US | B_A | B_D;
	const uint64_t a = G1, b = 2 * G1; /* a: one 1 GiB leaf */
	(void)state;

	assert_int_equal(pt_install(&m, root, a, 3, a | leaf | B_PS,
				    PT_DROP_LARGE), 0);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(pt_install(&m, root, b + i * M2, 2,
					    (b + i * M2) | leaf | B_PS,
					    PT_DROP_LARGE), 0);
	for (unsigned j = 0; j < 512; j++)
		assert_int_equal(pt_install(&m, root, b + 4 * M2 + j * K4, 1,
					    (b + 4 * M2 + j * K4) | leaf,
					    PT_DROP_LARGE), 0);
	assert_int_equal(f->nlive, 4); /* root, PDPT, PD, PT */
	pd = table_at(&m, root, b, 2);
	pt = table_at(&m, root, b + 4 * M2, 1);

	/* inside one PT: exactly the pages that meet the range */
	pt_zap_range(&m, root, b + 4 * M2 + 10 * K4 + 1,
		     b + 4 * M2 + 20 * K4 - 1);
	for (unsigned j = 0; j < 512; j++)
		assert_int_equal(pt[j] != 0, j < 10 || j >= 20);
	assert_int_equal(f->nlive, 4);
	/* from the start of the PT's region into it: not the whole PT */
	pt_zap_range(&m, root, b + 4 * M2, b + 4 * M2 + 2 * K4 - 1);
	for (unsigned j = 0; j < 512; j++)
		assert_int_equal(pt[j] != 0, (j >= 2 && j < 10) || j >= 20);
	assert_int_equal(f->nlive, 4);
	/* part of a 2 MiB leaf: the whole leaf, nothing beside it */
	pt_zap_range(&m, root, b + M2 + K4, b + M2 + 2 * K4 - 1);
	assert_int_equal(pd[1], 0);
	assert_true(pd[0] && pd[2] && pd[3] && pd[4]);
	/* all of a PT's region: the PT goes */
	pt_zap_range(&m, root, b + 4 * M2, b + 5 * M2 - 1);
	assert_int_equal(pd[4], 0);
	assert_int_equal(f->nlive, 3);
	/* an empty range and one above the limit: nothing */
	pt_zap_range(&m, root, b + 3 * M2, b + 3 * M2 - 1);
	pt_zap_range(&m, root, 1ull << 48, ~0ull);
	assert_true(pd[3] != 0);
	/* a range that ends in the 1 GiB leaf and starts before it */
	pt_zap_range(&m, root, a - K4, a);
	assert_int_equal(entry(&m, root, a, 3), 0);
	assert_true(pd[0] != 0);
	/* everything, with the end clamped to 2^48 - 1 */
	pt_zap_range(&m, root, 0, ~0ull);
	assert_int_equal(f->nlive, 1);
	assert_int_equal(used(tab(&m, root)), 0);
	pt_free(&m, root, 4);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

/* Every table of the top region and the last one below 2^48. */
static void free_whole_tree(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	uint64_t root = new_root(&m);
	const uint64_t leaf = B_P | B_RW | B_A | B_D;
	const uint64_t top = (1ull << 48) - K4;
	(void)state;

	for (uint64_t a = 0; a < 64 * M2; a += M2 + K4)
		assert_int_equal(pt_install(&m, root, a, 1, leaf,
					    PT_SPLIT_LARGE), 0);
	assert_int_equal(pt_install(&m, root, top, 1, leaf, PT_SPLIT_LARGE),
			 0);
	assert_int_equal(idx(top, 4), 511);
	assert_int_equal(entry(&m, root, top, 1), leaf);
	assert_true(f->nlive > 60);
	pt_free(&m, root, 4);
	assert_int_equal(f->nlive, 0);
	fake_delete(f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(pte_bits_are_the_apms),
		cmocka_unit_test(index_per_level),
		cmocka_unit_test(install_builds_the_path),
		cmocka_unit_test(split_entries_follow_the_format),
		cmocka_unit_test(split_in_place),
		cmocka_unit_test(install_splits_or_drops),
		cmocka_unit_test(install_over_a_table),
		cmocka_unit_test(install_out_of_memory),
		cmocka_unit_test(zap_reports_and_frees),
		cmocka_unit_test(zap_range_drops_what_meets_it),
		cmocka_unit_test(free_whole_tree),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
