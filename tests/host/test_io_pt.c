// SPDX-License-Identifier: MIT
/*
 * mm/io_pt.c against the AMD IOMMU page-table format (AMD I/O
 * Virtualization Technology specification, v1 host page tables: PR bit 0,
 * Next Level bits 11:9 (0 = a page of the entry's level size), address
 * bits 51:12, IR bit 61, IW bit 62).  The expected entries are written
 * out from that format, not from io_pt.c.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "fake_pt_mem.h"
#include "mm/io_pt.h"

#define GIB  (1ull << 30)
#define MIB2 (1ull << 21)
#define PR   1ull
#define IR   (1ull << 61)
#define IW   (1ull << 62)
#define NL(n) ((uint64_t)(n) << 9)

static uint64_t *table(struct pt_mem *m, uint64_t e)
{
	return m->map(m->ctx, e & 0x000ffffffffff000ull);
}

static void format_and_sizes(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	/* one hole of three pages in the second GiB */
	const struct io_hole hole = { GIB + MIB2 + 0x3000, GIB + MIB2 + 0x6000 };
	uint64_t root, *l4, *l3, *l2, *l1, pa;
	unsigned shift;

	(void)state;
	assert_int_equal(io_pt_build_identity(&m, 4 * GIB, &hole, 1, true, &root), 0);
	l4 = m.map(m.ctx, root);
	assert_int_equal(l4[0] & (PR | IR | IW | NL(7)), PR | IR | IW | NL(3));
	assert_int_equal(l4[1], 0); /* beyond the limit */
	l3 = table(&m, l4[0]);
	/* GiB 0, 2, 3: 1 GiB leaves; GiB 1 a table; beyond: absent */
	assert_int_equal(l3[0], 0 | PR | IR | IW);
	assert_int_equal(l3[2], (2 * GIB) | PR | IR | IW);
	assert_int_equal(l3[3], (3 * GIB) | PR | IR | IW);
	assert_int_equal(l3[4], 0);
	assert_int_equal(l3[1] & NL(7), NL(2));
	l2 = table(&m, l3[1]);
	assert_int_equal(l2[0], GIB | PR | IR | IW);
	assert_int_equal(l2[2], (GIB + 2 * MIB2) | PR | IR | IW);
	assert_int_equal(l2[1] & (PR | IR | IW | NL(7)), PR | IR | IW | NL(1));
	l1 = table(&m, l2[1]);
	assert_int_equal(l1[2], (GIB + MIB2 + 0x2000) | PR | IR | IW);
	assert_int_equal(l1[3], 0);
	assert_int_equal(l1[5], 0);
	assert_int_equal(l1[6], (GIB + MIB2 + 0x6000) | PR | IR | IW);
	/* lookups: identity outside the hole, none inside or beyond */
	for (uint64_t a = 0; a < 4 * GIB; a += 0x1234567) {
		bool in_hole = a >= hole.start && a < hole.end;

		assert_int_equal(io_pt_lookup(&m, root, a, &pa, &shift),
				 in_hole ? -NV_ENOENT : 0);
		if (!in_hole)
			assert_int_equal(pa, a);
	}
	assert_int_equal(io_pt_lookup(&m, root, hole.start + 0x10, &pa, &shift),
			 -NV_ENOENT);
	assert_int_equal(io_pt_lookup(&m, root, hole.start - 1, &pa, &shift), 0);
	assert_int_equal(shift, 12);
	assert_int_equal(io_pt_lookup(&m, root, 3 * GIB + 5, &pa, &shift), 0);
	assert_int_equal(shift, 30);
	assert_int_equal(io_pt_lookup(&m, root, 4 * GIB, &pa, &shift), -NV_ENOENT);
	fake_delete(f);
}

static void without_gbpages_and_errors(void **state)
{
	struct pt_mem m;
	struct fake *f = fake_new(&m);
	const struct io_hole bad = { 0x1000, 0x800 };
	uint64_t root, pa;
	unsigned shift;

	(void)state;
	assert_int_equal(io_pt_build_identity(&m, 2 * GIB, 0, 0, false, &root), 0);
	assert_int_equal(io_pt_lookup(&m, root, GIB + 7, &pa, &shift), 0);
	assert_int_equal(shift, 21);
	assert_int_equal(io_pt_build_identity(&m, 0x1234, 0, 0, true, &root), -NV_EINVAL);
	assert_int_equal(io_pt_build_identity(&m, 1ull << 49, 0, 0, true, &root),
			 -NV_EINVAL);
	assert_int_equal(io_pt_build_identity(&m, GIB, &bad, 1, true, &root),
			 -NV_EINVAL);
	fake_delete(f);
	/* out of pages at every step: nothing is left behind */
	for (long budget = 0; budget < 6; budget++) {
		const struct io_hole h = { MIB2 + 0x1000, MIB2 + 0x2000 };

		f = fake_new(&m);
		f->budget = budget;
		assert_int_equal(io_pt_build_identity(&m, 4 * GIB, &h, 1, true, &root),
				 budget < 4 ? -NV_ENOMEM : 0);
		if (budget < 4)
			assert_int_equal(f->nlive, 0);
		fake_delete(f);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(format_and_sizes),
		cmocka_unit_test(without_gbpages_and_errors),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
