// SPDX-License-Identifier: MIT
/*
 * drivers/amd_iommu.c: the device table entry every device gets.  Bit
 * positions are the 256-bit entry's of the AMD IOMMU specification
 * §2.2.2.1 (V 0, TV 1, Mode 11:9, page table root 51:12, IR 61, IW 62,
 * DomainID 79:64, SysMgt 105:104, IV 128, InitPass 184, EIntPass 185,
 * NMIPass 186, IntCtl 189:188, Lint0Pass 190, Lint1Pass 191), written
 * here as bit numbers, not as the driver's masks.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "drivers/amd_iommu.h"

static unsigned bit(const uint64_t d[4], unsigned n)
{
	return (unsigned)(d[n / 64] >> (n % 64)) & 1u;
}

static unsigned field(const uint64_t d[4], unsigned hi, unsigned lo)
{
	unsigned v = 0;

	for (unsigned n = hi + 1; n-- > lo;)
		v = v << 1 | bit(d, n);
	return v;
}

static void test_dte(void **state)
{
	uint64_t d[4];
	(void)state;
	amd_iommu_dte(0x12345000ull, true, d);
	assert_int_equal(bit(d, 0), 1);			/* V */
	assert_int_equal(bit(d, 1), 1);			/* TV */
	assert_int_equal(field(d, 11, 9), 4);		/* 4 levels */
	assert_int_equal(field(d, 51, 12), 0x12345);	/* the I/O table */
	assert_int_equal(bit(d, 61), 1);		/* IR */
	assert_int_equal(bit(d, 62), 1);		/* IW */
	assert_int_equal(field(d, 79, 64), 1);		/* DomainID */
	assert_int_equal(field(d, 105, 104), 0);	/* SysMgt: abort */
	/* Interrupts: IV set, IntCtl 01b (forwarded unmapped), INIT
	 * target-aborted, ExtINT, NMI, LINT0 and LINT1 passed. */
	assert_int_equal(bit(d, 128), 1);
	assert_int_equal(field(d, 189, 188), 1);
	assert_int_equal(bit(d, 184), 0);
	assert_int_equal(bit(d, 185), 1);
	assert_int_equal(bit(d, 186), 1);
	assert_int_equal(bit(d, 190), 1);
	assert_int_equal(bit(d, 191), 1);
	/* No interrupt table: IntTabLen 132:129, root 179:134. */
	assert_int_equal(field(d, 132, 129), 0);
	assert_int_equal(field(d, 179, 134) == 0, 1);
	/* Without interrupt control: IV clear, every message forwarded;
	 * the rest the same. */
	amd_iommu_dte(0x12345000ull, false, d);
	for (unsigned n = 128; n < 192; n++)
		assert_int_equal(bit(d, n), 0);
	assert_int_equal(field(d, 51, 12), 0x12345);
	assert_int_equal(bit(d, 61) & bit(d, 62) & bit(d, 0) & bit(d, 1), 1);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_dte),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
