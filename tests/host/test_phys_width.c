// SPDX-License-Identifier: MIT
/*
 * L1's physical address width (svm/features.c l1_phys_width): MAXPHYADDR
 * (CPUID 0x80000008 EAX[7:0]); with memory encryption on, less the
 * PhysAddrReduction of CPUID 0x8000001F EBX[11:6] and below the C-bit of
 * EBX[5:0] (AMD APM Vol. 2 §7.10.1, Vol. 3 E.4.17); at most 48, what a
 * 4-level nested page table translates (APM Vol. 2 §15.25.3).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svm/features.h"

static void widths(void **state)
{
	(void)state;
	assert_int_equal(l1_phys_width(40, false, 0, 0), 40);
	assert_int_equal(l1_phys_width(48, false, 0, 0), 48);
	assert_int_equal(l1_phys_width(52, false, 0, 0), 48);
	/* Zen 1-3 with SME on: MAXPHYADDR 48, C-bit 47, 5 bits lost */
	assert_int_equal(l1_phys_width(48, true, 47, 5), 43);
	/* Zen 4: MAXPHYADDR 52, C-bit 51, 6 bits lost */
	assert_int_equal(l1_phys_width(52, true, 51, 6), 46);
	/* the C-bit below the reduced width */
	assert_int_equal(l1_phys_width(48, true, 39, 0), 39);
	/* encryption reported off: the C-bit is an ordinary address bit */
	assert_int_equal(l1_phys_width(48, false, 47, 5), 48);
	/* nonsense reduction: nothing left */
	assert_int_equal(l1_phys_width(40, true, 47, 63), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(widths) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
