// SPDX-License-Identifier: MIT
/*
 * svm/cpuid_policy.c: what CPUID hides from L1, on an answer with every
 * bit set.  Bit positions from AMD APM Vol. 3 Appendix E: Fn8000_0001
 * ECX[12] SKINIT, ECX[17] TCE; Fn8000_0008 EBX[3] INVLPGB, EBX[8]
 * MCOMMIT, EBX[13] INT_WBINVD, EBX[20] EferLmsleUnsupported, EBX[21]
 * INVLPGBnestedPages, EDX[15:0] InvlpgbCountMax; Fn8000_001F (memory
 * encryption) all registers; Fn8000_0021 EAX[7] UpperAddressIgnore.
 * Every other leaf and bit is the CPU's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svm/cpuid_policy.h"

static void answer(uint32_t leaf, uint32_t r[4])
{
	r[0] = r[1] = r[2] = r[3] = ~0u;
	cpuid_apply_policy(leaf, r);
}

static void test_hidden(void **state)
{
	uint32_t r[4];

	(void)state;
	answer(0x80000001u, r);
	assert_int_equal(r[0], ~0u);
	assert_int_equal(r[1], ~0u);
	assert_int_equal(r[2], ~((1u << 12) | (1u << 17)));
	assert_int_equal(r[3], ~0u);

	answer(0x80000008u, r);
	assert_int_equal(r[0], ~0u); /* MAXPHYADDR: svm/cpuid.c's */
	assert_int_equal(r[1], ~((1u << 3) | (1u << 8) | (1u << 13) |
				 (1u << 21)));
	assert_int_equal(r[2], ~0u);
	assert_int_equal(r[3], 0xffff0000u);

	answer(0x8000001fu, r);
	for (int i = 0; i < 4; i++)
		assert_int_equal(r[i], 0);

	answer(0x80000021u, r);
	assert_int_equal(r[0], ~(1u << 7));
	assert_int_equal(r[1], ~0u);
}

/* LMSLE unsupported is set even where the CPU leaves it clear. */
static void test_set(void **state)
{
	uint32_t r[4] = { 0, 0, 0, 0 };

	(void)state;
	cpuid_apply_policy(0x80000008u, r);
	assert_int_equal(r[1], 1u << 20);
}

static void test_untouched(void **state)
{
	static const uint32_t leaves[] = { 0, 1, 7, 0xd, 0x80000000u,
					   0x8000000au, 0x40000000u };
	uint32_t r[4];

	(void)state;
	for (unsigned i = 0; i < sizeof(leaves) / sizeof(leaves[0]); i++) {
		answer(leaves[i], r);
		for (int k = 0; k < 4; k++)
			assert_int_equal(r[k], ~0u);
	}
}

/* Every rule says what and why (docs/hypercalls.md prints the table). */
static void test_rules_named(void **state)
{
	unsigned n;
	const struct cpuid_rule *t = cpuid_rules(&n);

	(void)state;
	assert_true(n > 0);
	for (unsigned i = 0; i < n; i++) {
		assert_non_null(t[i].what);
		assert_non_null(t[i].why);
		assert_true(t[i].clear | t[i].set);
	}
}

/* No rule on a basic leaf (below 0x40000000): svm/cpuid.c answers those
 * without looking at the table.  A rule added there must change that. */
static void test_no_basic_leaf(void **state)
{
	unsigned n;
	const struct cpuid_rule *t = cpuid_rules(&n);

	(void)state;
	for (unsigned i = 0; i < n; i++)
		assert_true(t[i].leaf >= 0x40000000u);
}

/* Fn0000_0001_EDX[9] APIC (APM Vol. 3 Appendix E: "present and
 * enabled"): clear with L1's APIC hardware-disabled, the CPU's otherwise;
 * no other bit changes. */
static void test_leaf1_apic(void **state)
{
	(void)state;
	assert_int_equal(cpuid_1_edx(~0u, true), ~0u);
	assert_int_equal(cpuid_1_edx(~0u, false), ~(1u << 9));
	assert_int_equal(cpuid_1_edx(0x178bfbffu, false), 0x178bf9ffu);
	assert_int_equal(cpuid_1_edx(0x178bf9ffu, true), 0x178bf9ffu);
	assert_int_equal(cpuid_1_edx(0, false), 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_hidden),
		cmocka_unit_test(test_set),
		cmocka_unit_test(test_untouched),
		cmocka_unit_test(test_rules_named),
		cmocka_unit_test(test_no_basic_leaf),
		cmocka_unit_test(test_leaf1_apic),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
