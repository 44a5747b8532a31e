// SPDX-License-Identifier: MIT
/*
 * mm/la_search.c: the linear address behind a guest-physical address, in
 * long-mode tables built with the fake memory's builder (entry formats of
 * AMD APM Vol. 2 §5.3.3: 4 KiB PTE, 2 MiB PDE.PS, 1 GiB PDPE.PS; 48-bit
 * linear addresses sign-extended from bit 47, 57-bit from bit 56).  The
 * expected addresses are the ones the tables were built with.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_mem.h"
#include "mm/la_search.h"
#include "mm/pte.h"

#define T      0x7ull               /* table entry: P|RW|US */
#define LEAF   (PTE_P | PTE_RW)
#define ROOT   0x100000ull
#define POOL   0x200000ull
#define HIGH   (1ull << 48)         /* beyond a 48-bit width */
#define LIMIT  (1ull << 40)         /* what the search may read */

static void violation(const char *what, uint64_t gpa)
{
	fail_msg("fake memory: %s at 0x%lx", what, (unsigned long)gpa);
}

struct fx {
	struct fake_mem *mem;
	struct gmem g;
	struct gpt_builder b;
	struct la_search s;
};

static void fx_init(struct fx *f, unsigned levels)
{
	f->mem = fake_mem_create(violation);
	f->g = fake_mem_gmem(f->mem);
	gpt_init(&f->b, f->mem, levels, ROOT, POOL);
	f->s = (struct la_search){ .mem = &f->g, .root = ROOT, .levels = levels,
				   .phys_limit = LIMIT, .max_tables = 64,
				   .gbpages = true };
}

/* Map la -> pa with the leaf at leaf_level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB). */
static void map(struct fx *f, uint64_t la, uint64_t pa, unsigned leaf_level)
{
	uint64_t flags[5] = { T, T, T, T, T };

	flags[f->b.levels - leaf_level] = LEAF | (leaf_level > 1 ? PTE_PS : 0);
	gpt_map(&f->b, la, pa, leaf_level, flags);
}

static void expect(struct fx *f, uint64_t gpa, bool table, uint64_t want)
{
	uint64_t la = 0;

	assert_int_equal(la_search(&f->s, gpa, table, &la), 0);
	assert_int_equal(la, want);
}

static void expect_none(struct fx *f, uint64_t gpa, bool table)
{
	uint64_t la = 0;

	assert_int_equal(la_search(&f->s, gpa, table, &la), -NV_ENOENT);
}

static void leaves_of_every_size(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 4);
	map(&f, 0x7f0012345000ull, HIGH | 0x1000, 1);
	map(&f, 0x40000000ull, HIGH | 0x600000, 2);
	map(&f, 0x8000000000ull, HIGH | 0x80000000ull, 3);
	map(&f, 0x1000, 0x5000, 1); /* ordinary memory */
	expect(&f, HIGH | 0x1123, false, 0x7f0012345123ull);
	expect(&f, HIGH | 0x612345, false, 0x40012345ull);
	expect(&f, HIGH | 0x80abcdefull, false, 0x8000abcdefull);
	expect(&f, 0x5008, false, 0x1008);
	expect_none(&f, HIGH | 0x2000, false);
	fake_mem_destroy(f.mem);
}

static void upper_half_is_canonical(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 4);
	map(&f, 0xffff800000201000ull, HIGH | 0x7000, 1);
	expect(&f, HIGH | 0x7010, false, 0xffff800000201010ull);
	fake_mem_destroy(f.mem);
	fx_init(&f, 5);
	map(&f, 0xff00000000003000ull, HIGH | 0x9000, 1);
	expect(&f, HIGH | 0x9fff, false, 0xff00000000003fffull);
	fake_mem_destroy(f.mem);
}

/* A table access: the entry that points at the table, and the first
 * linear address it translates. */
static void table_pointers(void **state)
{
	struct fx f;
	uint64_t pde;

	(void)state;
	fx_init(&f, 4);
	map(&f, 0x40200000ull, 0x3000, 1);
	pde = gpt_entry_gpa(&f.b, 0x40200000ull, 2);
	fake_mem_poke(f.mem, pde, HIGH | 0xa000 | T, 8);
	expect(&f, HIGH | 0xa018, true, 0x40200000ull);
	/* a final access to that page is no leaf's */
	expect_none(&f, HIGH | 0xa018, false);
	fake_mem_destroy(f.mem);
}

/* Without 1 GiB pages a PDPE with PS is no leaf (the format reserves PS
 * there), and nothing below it is read. */
static void gbpages_off(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, 4);
	map(&f, 0x8000000000ull, HIGH | 0x80000000ull, 3);
	f.s.gbpages = false;
	expect_none(&f, HIGH | 0x80000010ull, false);
	fake_mem_destroy(f.mem);
}

/* Tables at or above phys_limit are not read; not-present entries do not
 * count even when their address field matches. */
static void unreadable_and_absent(void **state)
{
	struct fx f;
	uint64_t pte;

	(void)state;
	fx_init(&f, 4);
	map(&f, 0x1000, HIGH | 0x2000, 1);
	pte = gpt_entry_gpa(&f.b, 0x1000, 1);
	fake_mem_poke(f.mem, pte, HIGH | 0x2000, 8); /* P clear */
	expect_none(&f, HIGH | 0x2000, false);
	/* the PML4E points beyond the limit: the PDPT there, whose 1 GiB
	 * leaf would match, is never read */
	fake_mem_poke(f.mem, ROOT, LIMIT | T, 8);
	fake_mem_poke(f.mem, LIMIT, HIGH | 0x40000000ull | LEAF | PTE_PS, 8);
	expect_none(&f, HIGH | 0x40000010ull, false);
	expect(&f, LIMIT, true, 0);
	assert_int_equal(fake_mem_nr_violations(f.mem), 0);
	fake_mem_destroy(f.mem);
}

/* A table that points at itself in every entry: the budget ends the
 * search whatever the depth and breadth. */
static void budget_bounds_hostile_tables(void **state)
{
	struct fx f;
	uint64_t la;

	(void)state;
	fx_init(&f, 5);
	for (unsigned i = 0; i < 512; i++)
		fake_mem_poke(f.mem, ROOT + 8 * i, ROOT | T, 8);
	f.s.max_tables = 100;
	assert_int_equal(la_search(&f.s, HIGH, false, &la), -NV_ENOENT);
	f.s.max_tables = 1;
	expect(&f, ROOT, true, 0);
	f.s.levels = 3;
	assert_int_equal(la_search(&f.s, HIGH, false, &la), -NV_EINVAL);
	fake_mem_destroy(f.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(leaves_of_every_size),
		cmocka_unit_test(upper_half_is_canonical),
		cmocka_unit_test(table_pointers),
		cmocka_unit_test(gbpages_off),
		cmocka_unit_test(unreadable_and_absent),
		cmocka_unit_test(budget_bounds_hostile_tables),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
