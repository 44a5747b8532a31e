// SPDX-License-Identifier: MIT
/*
 * svm/event.c: EXITINTINFO made architectural, the EVENTINJ legality rule
 * and the choice of the event delivered again after an exit.  Expected
 * values are written from the AMD APM Vol. 2: §15.20 (EVENTINJ: V bit 31,
 * TYPE 10:8 with 0 INTR, 2 NMI, 3 exception, 4 INTn, EV bit 11, vector
 * 7:0; VMRUN fails on a reserved type or on type 3 with a vector that is
 * no exception), Table 8-1 (exception vectors), §15.7.2 (EXITINTINFO has
 * the EVENTINJ format), and from docs/semantics.md §10.3 for the values
 * QEMU TCG reports.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "svm/event.h"

#define V      0x80000000u
#define T_INTR 0x000u
#define T_NMI  0x200u
#define T_EXC  0x300u
#define T_SOFT 0x400u
#define EV     0x800u

static union svm_event ev(uint32_t raw)
{
	return (union svm_event){ .raw = raw };
}

static const struct event_caps no_caps = { false, false };
static const struct event_caps all_caps = { true, true };

/* Table 8-1: the exception vectors (NMI, 2, is an interrupt). */
static bool table_8_1(unsigned vec, bool shstk, bool sev_es)
{
	static const unsigned always[] = { 0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12,
					   13, 14, 16, 17, 18, 19, 28, 30 };

	for (unsigned i = 0; i < sizeof(always) / sizeof(always[0]); i++)
		if (always[i] == vec)
			return true;
	return (vec == 21 && shstk) || (vec == 29 && sev_es);
}

static void test_legal_types(void **state)
{
	(void)state;
	for (uint32_t t = 0; t < 8; t++) {
		bool defined = t == 0 || t == 2 || t == 3 || t == 4;

		/* vector 6 (#UD) is an exception, so only the type matters */
		assert_int_equal(event_inj_legal(ev(V | t << 8 | 6), &no_caps),
				 defined);
		assert_int_equal(event_type_defined(ev(V | t << 8 | 6)), defined);
		/* V=0: nothing is injected, nothing to refuse */
		assert_true(event_inj_legal(ev(t << 8 | 6), &no_caps));
	}
}

static void test_legal_vectors(void **state)
{
	(void)state;
	for (unsigned vec = 0; vec < 256; vec++) {
		assert_int_equal(event_inj_legal(ev(V | T_EXC | vec), &no_caps),
				 table_8_1(vec, false, false));
		assert_int_equal(event_inj_legal(ev(V | T_EXC | vec), &all_caps),
				 table_8_1(vec, true, true));
		assert_true(event_inj_legal(ev(V | T_INTR | vec), &no_caps));
		assert_true(event_inj_legal(ev(V | T_NMI | vec), &no_caps));
		assert_true(event_inj_legal(ev(V | T_SOFT | vec), &no_caps));
	}
	/* The two values TCG reports for an interrupted NMI or INTR. */
	assert_false(event_inj_legal(ev(V | T_EXC | 2), &all_caps));
	assert_false(event_inj_legal(ev(V | T_EXC | 0xde), &all_caps));
}

static void test_from_cpu(void **state)
{
	(void)state;
	/* TCG: NMI and external interrupts come as type 3. */
	assert_int_equal(event_from_cpu(ev(V | T_EXC | 2)).raw, V | T_NMI | 2);
	assert_int_equal(event_from_cpu(ev(V | T_EXC | 0xde)).raw, V | T_INTR | 0xde);
	assert_int_equal(event_from_cpu(ev(V | T_EXC | 0xf1)).raw, V | T_INTR | 0xf1);
	assert_int_equal(event_from_cpu(ev(V | T_EXC | 0x20)).raw, V | T_INTR | 0x20);
	/* interrupts push no error code */
	assert_int_equal(event_from_cpu(ev(V | T_EXC | EV | 0x30)).raw,
			 V | T_INTR | 0x30);
	/* Architectural values stay as they are. */
	for (unsigned vec = 0; vec < 32; vec++)
		if (vec != 2)
			assert_int_equal(event_from_cpu(ev(V | T_EXC | vec)).raw,
					 V | T_EXC | vec);
	assert_int_equal(event_from_cpu(ev(V | T_EXC | EV | 14)).raw,
			 V | T_EXC | EV | 14);
	assert_int_equal(event_from_cpu(ev(V | T_INTR | 0x41)).raw, V | T_INTR | 0x41);
	assert_int_equal(event_from_cpu(ev(V | T_NMI | 2)).raw, V | T_NMI | 2);
	assert_int_equal(event_from_cpu(ev(V | T_SOFT | 0x80)).raw, V | T_SOFT | 0x80);
	/* V=0: nothing to say */
	assert_int_equal(event_from_cpu(ev(T_EXC | 2)).raw, T_EXC | 2);
	assert_int_equal(event_from_cpu(ev(0)).raw, 0);
	/* Whatever the CPU gives, the result is legal to inject. */
	for (uint32_t t = 0; t < 8; t++) {
		if (t != 0 && t != 2 && t != 3 && t != 4)
			continue;
		for (unsigned vec = 0; vec < 256; vec++) {
			union svm_event e = event_from_cpu(ev(V | t << 8 | vec));

			if (t == 3 && vec < 32 && vec != 2)
				continue; /* exceptions: Table 8-1 decides */
			assert_true(event_inj_legal(e, &no_caps));
		}
	}
}

static void test_reinject(void **state)
{
	union svm_event none = ev(0);

	(void)state;
	/* Hardware events: always delivered again. */
	assert_int_equal(event_to_reinject(none, ev(V | T_INTR | 0x31)).raw,
			 V | T_INTR | 0x31);
	assert_int_equal(event_to_reinject(none, ev(V | T_NMI | 2)).raw, V | T_NMI | 2);
	assert_int_equal(event_to_reinject(none, ev(V | T_EXC | EV | 14)).raw,
			 V | T_EXC | EV | 14);
	assert_int_equal(event_to_reinject(ev(V | T_EXC | EV | 13),
					   ev(V | T_EXC | EV | 13)).raw,
			 V | T_EXC | EV | 13);
	/* Raised by the guest's INTn, INT3, INTO: the instruction runs again. */
	assert_false(event_to_reinject(none, ev(V | T_SOFT | 0x41)).valid);
	assert_false(event_to_reinject(none, ev(V | T_EXC | 3)).valid);
	assert_false(event_to_reinject(none, ev(V | T_EXC | 4)).valid);
	assert_false(event_to_reinject(ev(V | T_SOFT | 0x42),
				       ev(V | T_SOFT | 0x41)).valid);
	/* Injected through EVENTINJ: no instruction to run again. */
	assert_int_equal(event_to_reinject(ev(V | T_SOFT | 0x41),
					   ev(V | T_SOFT | 0x41)).raw,
			 V | T_SOFT | 0x41);
	assert_int_equal(event_to_reinject(ev(V | T_EXC | 3), ev(V | T_EXC | 3)).raw,
			 V | T_EXC | 3);
	/* No event interrupted. */
	assert_false(event_to_reinject(ev(V | T_EXC | 3), none).valid);
}

/* APM Vol. 2 §8.2.9, Table 8-7: contributory = #DE, #TS, #NP, #SS, #GP. */
static void test_double_fault(void **state)
{
	static const unsigned contrib[] = { 0, 10, 11, 12, 13 };
	static const unsigned benign[] = { 1, 3, 4, 5, 6, 7, 16, 17, 18, 19 };
	const unsigned nc = 5, nb = 10;

	(void)state;
	for (unsigned i = 0; i < nc; i++) {
		for (unsigned j = 0; j < nc; j++)
			assert_int_equal(event_exception_during(
				ev(V | T_EXC | contrib[i]), contrib[j]), 8);
		for (unsigned j = 0; j < nb; j++)
			assert_int_equal(event_exception_during(
				ev(V | T_EXC | contrib[i]), benign[j]),
				(int)benign[j]);
		/* #PF then contributory or #PF: #DF; contributory then #PF:
		 * serially */
		assert_int_equal(event_exception_during(ev(V | T_EXC | 14),
							contrib[i]), 8);
		assert_int_equal(event_exception_during(
			ev(V | T_EXC | contrib[i]), 14), 14);
		/* benign first: the second is handled serially */
		for (unsigned j = 0; j < nb; j++)
			assert_int_equal(event_exception_during(
				ev(V | T_EXC | benign[j]), contrib[i]),
				(int)contrib[i]);
		/* interrupts, NMIs and INTn are not exceptions */
		assert_int_equal(event_exception_during(ev(V | T_INTR | 13),
							contrib[i]), (int)contrib[i]);
		assert_int_equal(event_exception_during(ev(V | T_NMI | 2),
							contrib[i]), (int)contrib[i]);
		assert_int_equal(event_exception_during(ev(V | T_SOFT | 13),
							contrib[i]), (int)contrib[i]);
		/* nothing in delivery */
		assert_int_equal(event_exception_during(ev(0), contrib[i]),
				 (int)contrib[i]);
		/* a fault while delivering #DF: shutdown */
		assert_int_equal(event_exception_during(ev(V | T_EXC | EV | 8),
							contrib[i]), EVENT_SHUTDOWN);
	}
	assert_int_equal(event_exception_during(ev(V | T_EXC | 14), 14), 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_legal_types),
		cmocka_unit_test(test_legal_vectors),
		cmocka_unit_test(test_from_cpu),
		cmocka_unit_test(test_reinject),
		cmocka_unit_test(test_double_fault),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
