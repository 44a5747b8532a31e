// SPDX-License-Identifier: MIT
/*
 * svm/exit_detail.c: the keyed exit counters read by NV_HC_EXIT_DETAIL
 * (core/hypercall.h): each key keeps the slot it first took, a repeated
 * key adds to its own count, and once NV_XD_SLOTS keys hold slots a new
 * key adds only to the overflow count.  The key layout is the ABI's.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/hypercall.h"
#include "svm/exit_detail.h"

static void test_keys(void **state)
{
	uint64_t k = NV_XD_KEY(NV_XD_MSR_WRITE, 0xc0010117) | NV_XD_L2;

	(void)state;
	/* The ABI's layout: class in bits 63:56, L2 in bit 55. */
	assert_int_equal(k, 0x02800000c0010117ull);
	assert_int_equal(NV_XD_CLASS(k), NV_XD_MSR_WRITE);
	assert_int_equal(NV_XD_DETAIL(k), 0xc0010117);
	assert_int_equal(NV_XD_KEY(NV_XD_IO_OUT, 0xcf8), 0x0500000000000cf8ull);
}

static void test_counts(void **state)
{
	struct exit_detail d;
	uint64_t a = NV_XD_KEY(NV_XD_IO_IN, 0xcfc), b = NV_XD_KEY(NV_XD_IO_OUT, 0xcf8);

	(void)state;
	memset(&d, 0, sizeof(d));
	exit_detail_count(&d, a);
	exit_detail_count(&d, b);
	exit_detail_count(&d, a);
	exit_detail_count(&d, a | NV_XD_L2);
	assert_int_equal(d.used, 3);
	assert_int_equal(d.key[0], a);
	assert_int_equal(d.count[0], 2);
	assert_int_equal(d.key[1], b);
	assert_int_equal(d.count[1], 1);
	assert_int_equal(d.key[2], a | NV_XD_L2);
	assert_int_equal(d.count[2], 1);
	assert_int_equal(d.overflow, 0);
}

static void test_overflow(void **state)
{
	struct exit_detail d;

	(void)state;
	memset(&d, 0, sizeof(d));
	for (uint64_t i = 0; i < NV_XD_SLOTS; i++)
		exit_detail_count(&d, NV_XD_KEY(NV_XD_MSR_READ, i));
	assert_int_equal(d.used, NV_XD_SLOTS);
	exit_detail_count(&d, NV_XD_KEY(NV_XD_MSR_READ, 1000));
	exit_detail_count(&d, NV_XD_KEY(NV_XD_MSR_READ, 1001));
	assert_int_equal(d.used, NV_XD_SLOTS);
	assert_int_equal(d.overflow, 2);
	/* A key that holds a slot still counts there. */
	exit_detail_count(&d, NV_XD_KEY(NV_XD_MSR_READ, NV_XD_SLOTS - 1));
	assert_int_equal(d.count[NV_XD_SLOTS - 1], 2);
	assert_int_equal(d.overflow, 2);
}

/*
 * Many keys counted in a mixed order, more keys than slots and many
 * sharing a hint (7 bits of hash): each count must be exactly what the
 * rule gives, worked out here by a plain model of it (first come, first
 * slot; a key without a slot counts as overflow).
 */
static void test_hints_never_miscount(void **state)
{
	enum { POOL = 3 * NV_XD_SLOTS, ROUNDS = 20000 };
	static uint64_t pool[POOL], model_count[POOL];
	static int model_slot[POOL];
	static struct exit_detail d;
	uint64_t overflow = 0, x = 12345;
	uint32_t used = 0;

	(void)state;
	memset(&d, 0, sizeof(d));
	for (unsigned i = 0; i < POOL; i++) {
		/* ports of both directions, MSRs, some as L2's */
		pool[i] = NV_XD_KEY(i % 3 ? NV_XD_IO_IN : NV_XD_MSR_READ,
				    0x3f8 + 8 * i) | (i % 5 ? 0 : NV_XD_L2);
		model_slot[i] = -1;
	}
	for (unsigned r = 0; r < ROUNDS; r++) {
		unsigned i;

		x = x * 6364136223846793005ull + 1442695040888963407ull;
		/* skewed: a few keys take most counts, as ports do */
		i = (unsigned)(x >> 33) % (r % 4 ? 8 : POOL);
		exit_detail_count(&d, pool[i]);
		if (model_slot[i] < 0 && used < NV_XD_SLOTS)
			model_slot[i] = (int)used++;
		if (model_slot[i] < 0)
			overflow++;
		else
			model_count[i]++;
	}
	assert_int_equal(d.used, used);
	assert_int_equal(d.overflow, overflow);
	for (unsigned i = 0; i < POOL; i++) {
		if (model_slot[i] < 0)
			continue;
		assert_int_equal(d.key[model_slot[i]], pool[i]);
		assert_int_equal(d.count[model_slot[i]], model_count[i]);
	}
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_keys),
		cmocka_unit_test(test_counts),
		cmocka_unit_test(test_overflow),
		cmocka_unit_test(test_hints_never_miscount),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
