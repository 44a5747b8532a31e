// SPDX-License-Identifier: MIT
/*
 * svm/npf_trace.c against its definition (svm/npf_trace.h): records get
 * sequence numbers 0, 1, 2...; a fetch returns the oldest record still held
 * at or after the number asked for; the ring holds the last
 * NPF_TRACE_CAPACITY records; a record overwritten while no reader had
 * fetched it or anything after it counts as dropped.  The model below
 * keeps every record ever written and computes the same from scratch.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "svm/npf_trace.h"

#define TOTAL (5 * NPF_TRACE_CAPACITY + 17)

static struct npf_trace t;

static struct npf_trace_rec make(uint64_t i)
{
	return (struct npf_trace_rec){
		.seq = 0xdead, /* overwritten by npf_trace_record */
		.ngpa = i * 0x1000, .exit_info_1 = i ^ 0x100000006ull,
		.hw_exit_info_1 = i + 1, .role = i * 3, .rip = i + 0x400000,
		.ncr3 = i << 12, .cpu = (uint8_t)(i % 3),
		.exec_user = (uint8_t)(i & 1), .cpl = (uint8_t)(i % 4),
		.level = (uint8_t)(i % 5), .rights = (uint8_t)(i % 16),
		.maxphyaddr = 48, .gmet_hw = (uint8_t)(i % 2),
	};
}

static void check_rec(const struct npf_trace_rec *got, uint64_t seq)
{
	struct npf_trace_rec want = make(seq);

	want.seq = seq;
	assert_int_equal(got->seq, seq);
	assert_memory_equal(got, &want, sizeof(want));
}

static void test_empty_and_order(void **state)
{
	struct npf_trace_rec r, m;
	(void)state;
	npf_trace_init(&t);
	assert_false(npf_trace_fetch(&t, 0, &r));
	assert_false(npf_trace_fetch(&t, 5, &r));
	for (uint64_t i = 0; i < 10; i++) {
		m = make(i);
		npf_trace_record(&t, &m);
	}
	for (uint64_t i = 0; i < 10; i++) {
		assert_true(npf_trace_fetch(&t, i, &r));
		check_rec(&r, i);
	}
	assert_false(npf_trace_fetch(&t, 10, &r));
	assert_int_equal(t.drops, 0);
}

/* Writer and reader interleaved at random; the model decides. */
static void test_against_model(void **state)
{
	static uint8_t fetched_model[TOTAL];
	struct npf_trace_rec r, m;
	uint64_t written = 0, want = 0, drops = 0, highest = 0;
	(void)state;
	srand(7);
	for (int round = 0; round < 3; round++) {
		npf_trace_init(&t);
		memset(fetched_model, 0, sizeof(fetched_model));
		written = want = drops = highest = 0;
		while (written < TOTAL) {
			unsigned burst = (unsigned)rand() % (round == 2 ? 3000 : 300);
			unsigned reads = (unsigned)rand() % (round == 0 ? 400 : 50);

			for (unsigned i = 0; i < burst && written < TOTAL; i++) {
				/* Overwrites written - CAPACITY: lost if no
				 * reader fetched it or anything after it. */
				if (written >= NPF_TRACE_CAPACITY &&
				    written - NPF_TRACE_CAPACITY >= highest)
					drops++;
				m = make(written++);
				npf_trace_record(&t, &m);
			}
			for (unsigned i = 0; i < reads; i++) {
				uint64_t oldest = written > NPF_TRACE_CAPACITY ?
					written - NPF_TRACE_CAPACITY : 0;
				uint64_t exp = want < oldest ? oldest : want;
				bool ok = npf_trace_fetch(&t, want, &r);

				assert_int_equal(ok, exp < written);
				if (!ok)
					break;
				check_rec(&r, exp);
				if (exp + 1 > highest)
					highest = exp + 1;
				want = exp + 1;
			}
			assert_int_equal(t.drops, drops);
			assert_int_equal(t.head, written);
		}
	}
	/* Nobody reads: everything past the capacity is dropped. */
	npf_trace_init(&t);
	for (uint64_t i = 0; i < TOTAL; i++) {
		m = make(i);
		npf_trace_record(&t, &m);
	}
	assert_int_equal(t.drops, TOTAL - NPF_TRACE_CAPACITY);
	assert_true(npf_trace_fetch(&t, 0, &r));
	check_rec(&r, TOTAL - NPF_TRACE_CAPACITY);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_empty_and_order),
		cmocka_unit_test(test_against_model),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
