// SPDX-License-Identifier: MIT
/*
 * svm/apic_dest.c: which CPUs an IPI reaches.  Expected values come from
 * the ICR layout and the destination rules of APM Vol. 2 chapter 16
 * ("Interprocessor Interrupts", logical destination flat and cluster
 * models, the x2APIC logical ID derived from the x2APIC ID), worked out by
 * hand per case.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svm/apic_dest.h"

/* Bit i set: CPU i of t[] is reached. */
static unsigned reached(uint64_t icr, bool x2, uint32_t self,
			const struct apic_target *t, unsigned n)
{
	struct icr_fields f = icr_decode(icr);
	unsigned mask = 0;

	for (unsigned i = 0; i < n; i++)
		if (icr_reaches(&f, x2, self, &t[i]))
			mask |= 1u << i;
	return mask;
}

static void test_decode(void **state)
{
	struct icr_fields f;
	(void)state;
	/* INIT, level-triggered assert to APIC ID 3 (xAPIC: high 0x03000000,
	 * low 0xc500): mode 101b, level 1, trigger 1. */
	f = icr_decode(icr_from_xapic(0x03000000, 0x0000c500));
	assert_int_equal(f.mode, ICR_MODE_INIT);
	assert_true(f.assert);
	assert_true(f.level_trigger);
	assert_int_equal(f.dest, 3);
	assert_false(icr_is_init_deassert(&f));
	/* INIT de-assert: level 0, trigger level (low 0x8500). */
	f = icr_decode(icr_from_xapic(0x03000000, 0x00008500));
	assert_true(icr_is_init_deassert(&f));
	/* Start-up, vector 0x99 (low 0x0699), physical. */
	f = icr_decode(icr_from_xapic(0x01000000, 0x00000699));
	assert_int_equal(f.mode, ICR_MODE_STARTUP);
	assert_int_equal(f.vector, 0x99);
	assert_false(f.logical);
	assert_int_equal(f.shorthand, ICR_DEST_FIELD);
	/* All excluding self, INIT (low 0x000c4500: shorthand 11b). */
	f = icr_decode(0x000c4500);
	assert_int_equal(f.shorthand, ICR_ALL_BUT_SELF);
	/* x2APIC: the destination is bits 63:32, 32 bits wide. */
	f = icr_decode(0x0000012300000400ull | 1u << 11);
	assert_int_equal(f.dest, 0x123);
	assert_int_equal(f.mode, ICR_MODE_NMI);
	assert_true(f.logical);
	/* Only bits 31:24 of ICR high are the xAPIC destination. */
	assert_int_equal(icr_decode(icr_from_xapic(0xff00ffff, 0)).dest, 0xff);
}

static void test_physical(void **state)
{
	const struct apic_target t[4] = { { 0, 0, ~0u }, { 1, 0, ~0u },
					  { 2, 0, ~0u }, { 7, 0, ~0u } };
	(void)state;
	assert_int_equal(reached(icr_from_xapic(2u << 24, 0x4500), false, 0, t, 4), 0x4);
	assert_int_equal(reached(icr_from_xapic(7u << 24, 0x4500), false, 0, t, 4), 0x8);
	assert_int_equal(reached(icr_from_xapic(5u << 24, 0x4500), false, 0, t, 4), 0x0);
	/* 0xFF: broadcast. */
	assert_int_equal(reached(icr_from_xapic(0xffu << 24, 0x4500), false, 0, t, 4), 0xf);
	/* Shorthands ignore the destination field. */
	assert_int_equal(reached(icr_from_xapic(2u << 24, 0x44500), false, 1, t, 4), 0x2);
	assert_int_equal(reached(icr_from_xapic(2u << 24, 0x84500), false, 1, t, 4), 0xf);
	assert_int_equal(reached(icr_from_xapic(2u << 24, 0xc4500), false, 1, t, 4), 0xd);
}

static void test_logical_xapic(void **state)
{
	/* Flat model (DFR 0xffffffff): LDR[31:24] one bit per CPU. */
	const struct apic_target flat[4] = {
		{ 0, 0x01000000, ~0u }, { 1, 0x02000000, ~0u },
		{ 2, 0x04000000, ~0u }, { 3, 0x08000000, ~0u },
	};
	/* Cluster model (DFR[31:28] = 0): LDR[31:28] cluster, [27:24] bit. */
	const struct apic_target cl[4] = {
		{ 0, 0x01000000, 0x0fffffff }, { 1, 0x02000000, 0x0fffffff },
		{ 2, 0x11000000, 0x0fffffff }, { 3, 0x12000000, 0x0fffffff },
	};
	const uint32_t logical = 1u << 11;
	(void)state;
	assert_int_equal(reached(icr_from_xapic(0x05u << 24, 0x4500 | logical), false, 0, flat, 4), 0x5);
	assert_int_equal(reached(icr_from_xapic(0xffu << 24, 0x4500 | logical), false, 0, flat, 4), 0xf);
	assert_int_equal(reached(icr_from_xapic(0x00u << 24, 0x4500 | logical), false, 0, flat, 4), 0x0);
	/* Cluster 1, members 1 and 2 -> CPUs 2 and 3. */
	assert_int_equal(reached(icr_from_xapic(0x13u << 24, 0x4500 | logical), false, 0, cl, 4), 0xc);
	/* Cluster 0, member 2 -> CPU 1 only. */
	assert_int_equal(reached(icr_from_xapic(0x02u << 24, 0x4500 | logical), false, 0, cl, 4), 0x2);
	/* 0xFF in the cluster model: everyone. */
	assert_int_equal(reached(icr_from_xapic(0xffu << 24, 0x4500 | logical), false, 0, cl, 4), 0xf);
}

static void test_x2apic(void **state)
{
	const struct apic_target t[4] = { { 0x22, 0, 0 }, { 0x23, 0, 0 },
					  { 0x33, 0, 0 }, { 0x100, 0, 0 } };
	const uint64_t init = 0x4500, logical = 1u << 11;
	(void)state;
	/* Physical: 32-bit IDs; 0xffffffff broadcasts. */
	assert_int_equal(reached(0x100ull << 32 | init, true, 0x22, t, 4), 0x8);
	assert_int_equal(reached(0x00ull << 32 | init, true, 0x22, t, 4), 0x0);
	assert_int_equal(reached(0xffffffffull << 32 | init, true, 0x22, t, 4), 0xf);
	/* 0xff is an ordinary ID in x2APIC mode, not a broadcast. */
	assert_int_equal(reached(0xffull << 32 | init, true, 0x22, t, 4), 0x0);
	/* Logical: ID 0x23 is cluster 2, bit 3 -> LDR 0x00020008. */
	assert_int_equal(reached(0x00020008ull << 32 | init | logical, true, 0, t, 4), 0x2);
	assert_int_equal(reached(0x0002000cull << 32 | init | logical, true, 0, t, 4), 0x3);
	/* ID 0x33: cluster 3, bit 3; ID 0x100: cluster 0x10, bit 0. */
	assert_int_equal(reached(0x00030008ull << 32 | init | logical, true, 0, t, 4), 0x4);
	assert_int_equal(reached(0x00100001ull << 32 | init | logical, true, 0, t, 4), 0x8);
	assert_int_equal(reached(0xffffffffull << 32 | init | logical, true, 0, t, 4), 0xf);
	/* Shorthand all-but-self. */
	assert_int_equal(reached(0xc0000 | init, true, 0x33, t, 4), 0xb);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_decode),
		cmocka_unit_test(test_physical),
		cmocka_unit_test(test_logical_xapic),
		cmocka_unit_test(test_x2apic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
