// SPDX-License-Identifier: MIT
/*
 * mm/palloc.c: every page handed out once, inside the range, zeroed,
 * aligned as asked; exhaustion, reuse after free, and refused frees.
 * The range is a host buffer standing for physical addresses at base.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm/palloc.h"

#define KiB4 0x1000ULL
#define MiB2 0x200000ULL

struct arena {
	void *mem;
	struct palloc p;
};

static void arena_init(struct arena *a, uint64_t base, uint64_t size)
{
	a->mem = aligned_alloc(KiB4, size);
	assert_non_null(a->mem);
	memset(a->mem, 0xcc, size);	/* dirty: allocations must zero */
	assert_int_equal(palloc_init(&a->p, a->mem, base, size), 0);
}

static bool page_is_zero(struct palloc *p, uint64_t pa, uint64_t count)
{
	const uint8_t *b = palloc_va(p, pa);

	for (uint64_t i = 0; i < count * KiB4; i++)
		if (b[i])
			return false;
	return true;
}

static void test_palloc_pages(void **state)
{
	const uint64_t base = 0x40000000, size = 1 << 20;	/* 256 pages */
	struct arena a;
	static bool seen[256];
	uint64_t pa, got = 0;
	(void)state;

	arena_init(&a, base, size);
	/* One bitmap page (256 bits) is reserved at the start. */
	assert_int_equal(palloc_free_count(&a.p), 255);
	while ((pa = palloc_page(&a.p)) != 0) {
		uint64_t i = (pa - base) / KiB4;

		assert_true(pa >= base + KiB4 && pa < base + size);
		assert_int_equal(pa & 0xfff, 0);
		assert_false(seen[i]);
		seen[i] = true;
		assert_true(page_is_zero(&a.p, pa, 1));
		memset(palloc_va(&a.p, pa), 0xee, KiB4);
		got++;
	}
	assert_int_equal(got, 255);
	assert_int_equal(palloc_free_count(&a.p), 0);
	assert_int_equal(palloc_pages(&a.p, 1, KiB4), 0);
	/* Reuse: a freed page comes back, zeroed again. */
	assert_int_equal(palloc_free(&a.p, base + 77 * KiB4, 1), 0);
	assert_int_equal(palloc_free_count(&a.p), 1);
	assert_int_equal(palloc_page(&a.p), base + 77 * KiB4);
	assert_true(page_is_zero(&a.p, base + 77 * KiB4, 1));
	/* Bad frees change nothing. */
	assert_int_equal(palloc_free(&a.p, base, 1), -NV_EINVAL);	/* bitmap */
	assert_int_equal(palloc_free(&a.p, base + size, 1), -NV_EINVAL);
	assert_int_equal(palloc_free(&a.p, base - KiB4, 1), -NV_EINVAL);
	assert_int_equal(palloc_free(&a.p, base + 5 * KiB4 + 8, 1), -NV_EINVAL);
	assert_int_equal(palloc_free(&a.p, base + 250 * KiB4, 7), -NV_EINVAL);
	assert_int_equal(palloc_free(&a.p, base + 9 * KiB4, 1), 0);
	assert_int_equal(palloc_free(&a.p, base + 8 * KiB4, 2), -NV_EINVAL); /* 9 free */
	assert_int_equal(palloc_free(&a.p, base + 9 * KiB4, 1), -NV_EINVAL); /* twice */
	assert_int_equal(palloc_free_count(&a.p), 1);
	free(a.mem);
}

static void test_palloc_init_errors(void **state)
{
	struct palloc p;
	void *mem = aligned_alloc(KiB4, 4 * KiB4);
	(void)state;

	assert_non_null(mem);
	assert_int_equal(palloc_init(&p, mem, 0x1000, KiB4), -NV_ENOMEM); /* no room */
	assert_int_equal(palloc_init(&p, mem, 0x1800, 4 * KiB4), -NV_EINVAL);
	assert_int_equal(palloc_init(&p, (uint8_t *)mem + 8, 0x1000, KiB4 * 3),
			 -NV_EINVAL);
	assert_int_equal(palloc_init(&p, mem, 0x1000, 2 * KiB4 + 100), 0);
	assert_int_equal(palloc_free_count(&p), 1);
	free(mem);
}

static void test_palloc_aligned_runs(void **state)
{
	/* 16 MiB starting 4 KiB past a 2 MiB boundary. */
	const uint64_t base = 0x80001000, size = 16 << 20;
	const uint64_t end = base + size;
	struct arena a;
	uint64_t runs = 0, pa, want_runs = 0;
	(void)state;

	arena_init(&a, base, size);
	/* Expected 2M-aligned 2M runs: aligned starts whose run fits. */
	for (uint64_t s = (base + MiB2 - 1) & ~(MiB2 - 1); s + MiB2 <= end;
	     s += MiB2)
		want_runs++;
	while ((pa = palloc_pages(&a.p, 512, MiB2)) != 0) {
		assert_int_equal(pa & (MiB2 - 1), 0);
		assert_true(pa >= base && pa + MiB2 <= end);
		assert_true(page_is_zero(&a.p, pa, 512));
		runs++;
	}
	assert_int_equal(runs, want_runs);
	/* What is left is the unaligned head and tail, as single pages. */
	{
		uint64_t singles = 0;

		while ((pa = palloc_page(&a.p)) != 0) {
			assert_true((pa & ~(MiB2 - 1)) == (base & ~(MiB2 - 1)) ||
				    pa >= ((end - 1) & ~(MiB2 - 1)));
			singles++;
		}
		assert_int_equal(singles, size / KiB4 - 1 - runs * 512);
	}
	free(a.mem);

	/*
	 * 8 MiB at 0x200000: windows 0x200000 (holds the bitmap page),
	 * 0x400000, 0x600000, 0x800000.
	 */
	arena_init(&a, 0x200000, 8 << 20);
	assert_int_equal(palloc_pages(&a.p, 512, MiB2), 0x400000);
	assert_int_equal(palloc_page(&a.p), 0x201000);	/* lowest first */
	assert_int_equal(palloc_pages(&a.p, 512, MiB2), 0x600000);
	assert_int_equal(palloc_pages(&a.p, 512, MiB2), 0x800000);
	assert_int_equal(palloc_pages(&a.p, 512, MiB2), 0);
	/* Free all of the last run but its middle page: still no run. */
	memset(palloc_va(&a.p, 0x800000), 0xee, MiB2);
	assert_int_equal(palloc_free(&a.p, 0x800000, 256), 0);
	assert_int_equal(palloc_free(&a.p, 0x800000 + 257 * KiB4, 255), 0);
	assert_int_equal(palloc_free_count(&a.p), 510 + 511);
	assert_int_equal(palloc_pages(&a.p, 512, MiB2), 0);
	assert_int_equal(palloc_free(&a.p, 0x800000 + 256 * KiB4, 1), 0);
	assert_int_equal(palloc_pages(&a.p, 512, MiB2), 0x800000);
	assert_true(page_is_zero(&a.p, 0x800000, 512));
	assert_int_equal(palloc_free(&a.p, 0x400000, 512), 0);
	/* Alignment 64 KiB, count 3, and bad arguments. */
	pa = palloc_pages(&a.p, 3, 0x10000);
	assert_int_equal(pa & 0xffff, 0);
	assert_int_equal(palloc_pages(&a.p, 0, KiB4), 0);
	assert_int_equal(palloc_pages(&a.p, 2, 3 * KiB4), 0);
	assert_int_equal(palloc_pages(&a.p, 2, 0x800), 0);
	assert_int_equal(palloc_pages(&a.p, 4096, KiB4), 0);	/* too many */
	free(a.mem);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_palloc_pages),
		cmocka_unit_test(test_palloc_init_errors),
		cmocka_unit_test(test_palloc_aligned_runs),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
