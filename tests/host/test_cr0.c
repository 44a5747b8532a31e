// SPDX-License-Identifier: MIT
/*
 * MOV to CR0 and LMSW (svm/cr0_check.c), from AMD APM Vol. 2 §3.1.1
 * ("CR0": bits 63:32 reserved, #GP if set; CD=0 with NW=1 is #GP; ET reads
 * as 1), §14.6-§14.7 (long mode is activated by setting PG with EFER.LME,
 * which needs CR4.PAE, and left only from compatibility mode) and Vol. 3
 * "MOV CRn" (#GP for PG=1 with PE=0) and "LMSW" (loads bits 3:0, cannot
 * clear PE).  Two rules are KVM's (the APM is silent): activating long
 * mode with CS.L=1, and clearing PG with CR4.PCIDE=1, are #GP.  CR0.WP
 * may not be cleared while CR4.CET is set (§3.1.3).  Bit numbers are the
 * APM's (Figure 3-1).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svm/intercepts.h"

#define PE    (1ull << 0)
#define MP    (1ull << 1)
#define EM    (1ull << 2)
#define TS    (1ull << 3)
#define ET    (1ull << 4)
#define NE    (1ull << 5)
#define WP    (1ull << 16)
#define NW    (1ull << 29)
#define CD    (1ull << 30)
#define PG    (1ull << 31)
#define PAE   (1ull << 5)
#define PCIDE (1ull << 17)
#define CET   (1ull << 23)
#define LME   (1ull << 8)
#define LMA   (1ull << 10)

#define LONG  (PE | MP | ET | NE | WP | PG)

static void test_faults(void **state)
{
	/* 64-bit mode */
	struct cr0_write lm = { LONG, PAE, LME | LMA, true };
	/* compatibility mode */
	struct cr0_write compat = { LONG, PAE, LME | LMA, false };
	/* protected mode, paging off, EFER.LME set */
	struct cr0_write pm = { PE | ET, PAE, LME, false };

	(void)state;
	/* legal: CD and NW both set, CD alone, TS, MP */
	assert_false(cr0_write_faults(&lm, LONG | CD | NW));
	assert_false(cr0_write_faults(&lm, LONG | CD));
	assert_false(cr0_write_faults(&lm, LONG | TS));
	/* NW without CD */
	assert_true(cr0_write_faults(&lm, LONG | NW));
	assert_true(cr0_write_faults(&pm, PE | NW));
	/* bits 63:32 */
	assert_true(cr0_write_faults(&lm, LONG | (1ull << 32)));
	assert_true(cr0_write_faults(&lm, LONG | (1ull << 63)));
	/* PG without PE */
	assert_true(cr0_write_faults(&pm, PG));
	assert_true(cr0_write_faults(&lm, LONG & ~PE));
	/* activating long mode: PAE needed; a 64-bit CS is KVM's #GP */
	assert_false(cr0_write_faults(&pm, PE | PG));
	pm.cr4 = 0;
	assert_true(cr0_write_faults(&pm, PE | PG));
	pm.efer = 0; /* legacy paging needs no PAE */
	assert_false(cr0_write_faults(&pm, PE | PG));
	pm = (struct cr0_write){ PE | ET, PAE, LME, true };
	assert_true(cr0_write_faults(&pm, PE | PG));
	/* leaving long mode: not from 64-bit mode, fine from compatibility
	 * mode; never with PCIDE (KVM) */
	assert_true(cr0_write_faults(&lm, LONG & ~PG));
	assert_false(cr0_write_faults(&compat, LONG & ~PG));
	compat.cr4 |= PCIDE;
	assert_true(cr0_write_faults(&compat, LONG & ~PG));
	/* WP may not be cleared while CET is set */
	assert_false(cr0_write_faults(&lm, LONG & ~WP));
	lm.cr4 |= CET;
	assert_true(cr0_write_faults(&lm, LONG & ~WP));
	assert_false(cr0_write_faults(&lm, LONG));
}

static void test_results(void **state)
{
	(void)state;
	/* ET reads as 1; reserved bits of 31:0 are not written */
	assert_int_equal(cr0_written(PE, PE), PE | ET);
	assert_int_equal(cr0_written(LONG, LONG | (1ull << 6) | (1ull << 17)),
			 LONG);
	/* LMSW: bits 3:0 from the source, PE not cleared, the rest kept */
	assert_int_equal(cr0_lmsw(LONG, 0xfff0), LONG & ~(MP | EM | TS));
	assert_int_equal(cr0_lmsw(LONG, EM | TS), (LONG & ~MP) | EM | TS);
	assert_int_equal(cr0_lmsw(ET, PE | MP), ET | PE | MP);
	/* EFER.LMA follows PG while LME is set (§14.6.2) */
	assert_int_equal(cr0_efer_after(LME, PE, PE | PG), LME | LMA);
	assert_int_equal(cr0_efer_after(0, PE, PE | PG), 0);
	assert_int_equal(cr0_efer_after(LME | LMA, LONG, LONG & ~PG), LME);
	assert_int_equal(cr0_efer_after(LME | LMA, LONG, LONG | CD), LME | LMA);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_faults),
		cmocka_unit_test(test_results),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
