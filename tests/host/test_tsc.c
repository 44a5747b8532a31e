// SPDX-License-Identifier: MIT
/*
 * svm/feat_tsc.c: the TSC ratio MSR (AMD APM Vol. 2 §15.30.5: 8.32 fixed
 * point, bits 63:40 reserved), L2's TSC = L1's TSC * ratio + offset, and
 * TSC_ADJUST (Intel SDM Vol. 3 §18.17.3: a write of TSC_ADJUST moves the
 * TSC by the difference, a write of the TSC moves TSC_ADJUST by the
 * difference).  Every expected value is worked out by hand here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "svm/feat_tsc.h"

#define HALF      0x80000000ull    /* 0.5 */
#define TWO_HALF  0x280000000ull   /* 2.5 */
#define MAX_RATIO 0xffffffffffull  /* 255.99999999977 */

static void test_ratio_valid(void **state)
{
	(void)state;
	assert_true(tsc_ratio_valid(TSC_RATIO_ONE));
	assert_true(tsc_ratio_valid(0));
	assert_true(tsc_ratio_valid(MAX_RATIO));
	for (unsigned b = 0; b < 40; b++)
		assert_true(tsc_ratio_valid(1ull << b));
	for (unsigned b = 40; b < 64; b++)
		assert_false(tsc_ratio_valid(TSC_RATIO_ONE | 1ull << b));
	assert_int_equal(TSC_RATIO_ONE, 0x100000000ull);
}

static void test_scale(void **state)
{
	(void)state;
	assert_int_equal(tsc_scale(1000, TSC_RATIO_ONE), 1000);
	assert_int_equal(tsc_scale(1000, HALF), 500);
	assert_int_equal(tsc_scale(3, HALF), 1);          /* 1.5: truncated */
	assert_int_equal(tsc_scale(1000, TWO_HALF), 2500);
	assert_int_equal(tsc_scale(1ull << 32, 1), 1);    /* 2^32 * 2^-32 */
	assert_int_equal(tsc_scale(12345, 0), 0);
	/* 2^40 * 255.99999999977 = 2^48 - 2^8 */
	assert_int_equal(tsc_scale(1ull << 40, MAX_RATIO),
			 (1ull << 48) - (1ull << 8));
	/* No 64-bit overflow inside: (2^63 - 1) * 0.5 */
	assert_int_equal(tsc_scale(0x7fffffffffffffffull, HALF),
			 0x3fffffffffffffffull);
	/* The result is the low 64 bits: 2^63 * 2 = 2^64 -> 0 */
	assert_int_equal(tsc_scale(1ull << 63, 2ull << 32), 0);
}

static void test_l2(void **state)
{
	(void)state;
	assert_int_equal(tsc_l2(1000, HALF, 7), 507);
	assert_int_equal(tsc_l2(1000, TSC_RATIO_ONE, 0), 1000);
	/* A negative offset: wraps as two's complement. */
	assert_int_equal(tsc_l2(1000, TWO_HALF, (uint64_t)-2000), 500);
	/* vmcb02's offset where the CPU scales: offset01 * r + offset12. */
	assert_int_equal(tsc_offset02_scaled(0, HALF, 9), 9);
	assert_int_equal(tsc_offset02_scaled(1000, HALF, 9), 509);
	assert_int_equal(tsc_offset02_scaled((uint64_t)-1000, HALF, 0),
			 (uint64_t)-500);
	assert_int_equal(tsc_offset02_scaled((uint64_t)-3, HALF, 0),
			 (uint64_t)-1); /* -1.5 toward zero */
	/* And the CPU's host * r + that offset is L2's TSC within a tick,
	 * for every L1 TSC (host + offset01) that has not wrapped. */
	{
		static const uint64_t hosts[] = { 0, 1, 999, 123456789,
						  0x123456789abcull };
		static const uint64_t o1s[] = { 0, 5, (uint64_t)-5, 1ull << 40,
						(uint64_t)-(1ll << 40) };
		static const uint64_t rs[] = { HALF, TWO_HALF, TSC_RATIO_ONE,
					       0x155555555ull };

		for (unsigned h = 0; h < 5; h++)
			for (unsigned o = 0; o < 5; o++)
				for (unsigned r = 0; r < 4; r++) {
					if (hosts[h] + o1s[o] > hosts[h] &&
					    (int64_t)o1s[o] < 0)
						continue;
					uint64_t want = tsc_l2(hosts[h] + o1s[o],
							       rs[r], 77);
					uint64_t got = tsc_scale(hosts[h], rs[r]) +
						       tsc_offset02_scaled(o1s[o], rs[r], 77);
					int64_t d = (int64_t)(got - want);

					assert_true(d >= -1 && d <= 1);
				}
	}
}

static void test_adjust(void **state)
{
	struct tsc_l1 t = { 0, 0 };

	(void)state;
	/* TSC_ADJUST := 100: the TSC moves by +100. */
	tsc_l1_write_adjust(&t, 100);
	assert_int_equal(t.adjust, 100);
	assert_int_equal(t.offset, 100);
	/* TSC_ADJUST := -50: the TSC moves by -150. */
	tsc_l1_write_adjust(&t, (uint64_t)-50);
	assert_int_equal(t.adjust, (uint64_t)-50);
	assert_int_equal(t.offset, (uint64_t)-50);
	/* TSC := 5000 when it reads 1010 (host 1000, offset 10): TSC_ADJUST
	 * moves by 5000 - 1010, and the TSC reads 5000 at host 1000. */
	t = (struct tsc_l1){ .offset = 10, .adjust = 10 };
	tsc_l1_write_tsc(&t, 1000, 5000);
	assert_int_equal(t.adjust, 10 + 3990);
	assert_int_equal(1000 + t.offset, 5000);
	/* TSC := a value below the current one: TSC_ADJUST goes down. */
	tsc_l1_write_tsc(&t, 2000, 1000);
	assert_int_equal(t.adjust, 4000 - 5000);
	assert_int_equal(2000 + t.offset, 1000);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ratio_valid),
		cmocka_unit_test(test_scale),
		cmocka_unit_test(test_l2),
		cmocka_unit_test(test_adjust),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
