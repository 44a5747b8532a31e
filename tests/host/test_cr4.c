// SPDX-License-Identifier: MIT
/*
 * cr4_write_faults() (svm/cr4_check.c): the #GP conditions of MOV to CR4
 * from AMD APM Vol. 2 §3.1.3 and Vol. 3 "MOV CRn": a bit the CPU does not
 * support; PAE cleared, or LA57 changed, while EFER.LMA is set; PCIDE set
 * outside long mode or with CR3[11:0] not zero; CET set while CR0.WP is
 * clear.  Bit numbers are the APM's (Figure 3-7).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svm/intercepts.h"

#define PAE   (1ull << 5)
#define PGE   (1ull << 7)
#define LA57  (1ull << 12)
#define PCIDE (1ull << 17)
#define CET   (1ull << 23)
#define WP    (1ull << 16)
#define LMA   (1ull << 10)
#define ALL   (0x1ull | PAE | PGE | LA57 | PCIDE | CET | (1ull << 9))

static void faults(void **state)
{
	const uint64_t base = PAE | (1ull << 9);

	(void)state;
	/* legal: toggling PGE in long mode */
	assert_false(cr4_write_faults(ALL, base, base | PGE, WP, 0x1000, LMA));
	/* a bit not supported: 13 (VMXE, Intel), 15 (reserved) */
	assert_true(cr4_write_faults(ALL, base, base | (1ull << 13), WP, 0, LMA));
	assert_true(cr4_write_faults(ALL, base, base | (1ull << 15), WP, 0, 0));
	/* PAE cleared in long mode; fine outside it */
	assert_true(cr4_write_faults(ALL, base, base & ~PAE, WP, 0, LMA));
	assert_false(cr4_write_faults(ALL, base, base & ~PAE, WP, 0, 0));
	/* LA57 changed in long mode, either way; fine outside it */
	assert_true(cr4_write_faults(ALL, base, base | LA57, WP, 0, LMA));
	assert_true(cr4_write_faults(ALL, base | LA57, base, WP, 0, LMA));
	assert_false(cr4_write_faults(ALL, base, base | LA57, WP, 0, 0));
	/* PCIDE: only in long mode, with CR3[11:0] = 0; keeping it set is
	 * fine whatever CR3 holds */
	assert_false(cr4_write_faults(ALL, base, base | PCIDE, WP, 0x5000, LMA));
	assert_true(cr4_write_faults(ALL, base, base | PCIDE, WP, 0x5001, LMA));
	assert_true(cr4_write_faults(ALL, base, base | PCIDE, WP, 0x5000, 0));
	assert_false(cr4_write_faults(ALL, base | PCIDE, base | PCIDE | PGE, WP,
				      0x5001, LMA));
	/* CET needs CR0.WP */
	assert_false(cr4_write_faults(ALL, base, base | CET, WP, 0, LMA));
	assert_true(cr4_write_faults(ALL, base, base | CET, 0, 0, LMA));
	/* what the CPU supports decides */
	assert_true(cr4_write_faults(ALL & ~CET, base, base | CET, WP, 0, LMA));
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(faults) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
