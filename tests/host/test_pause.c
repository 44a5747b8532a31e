// SPDX-License-Identifier: MIT
/*
 * svm/feat_pause.c: the pause filter (AMD APM Vol. 2, "Pause Intercept Filtering"): VMRUN
 * loads the counter from PauseFilterCount, each PAUSE decrements it and
 * the one that brings it to zero is intercepted (a count of 0: every
 * PAUSE); a PAUSE more than PauseFilterThreshold cycles after the previous
 * one first reloads the counter.  Expected outcomes written out here.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "svm/feat_pause.h"

/* The number of the PAUSE (1, 2, ...) that is intercepted, PAUSEs `gap`
 * cycles apart from VMRUN at cycle 1000; 0 if none of the first `max`. */
static unsigned exit_at(uint16_t count, uint16_t thresh, uint64_t gap,
			unsigned max)
{
	struct pause_filter p;

	pause_filter_load(&p, count, thresh, 1000);
	for (unsigned i = 1; i <= max; i++)
		if (pause_filter_pause(&p, 1000 + i * gap))
			return i;
	return 0;
}

static void test_count(void **state)
{
	(void)state;
	assert_int_equal(exit_at(0, 0, 10, 100), 1);
	assert_int_equal(exit_at(1, 0, 10, 100), 1);
	assert_int_equal(exit_at(2, 0, 10, 100), 2);
	assert_int_equal(exit_at(5, 0, 10, 100), 5);
	assert_int_equal(exit_at(3000, 0, 10, 5000), 3000);
	assert_int_equal(exit_at(0xffff, 0, 1, 70000), 0xffff);
	/* No threshold: any gap. */
	assert_int_equal(exit_at(5, 0, 1000000, 100), 5);
}

static void test_threshold(void **state)
{
	struct pause_filter p;

	(void)state;
	/* Gaps within the threshold: counted as without one. */
	assert_int_equal(exit_at(5, 100, 100, 100), 5);
	assert_int_equal(exit_at(5, 100, 99, 100), 5);
	/* Every gap beyond it: the counter is reloaded each time. */
	assert_int_equal(exit_at(5, 100, 101, 1000), 0);
	/* ...but a count of 0 still intercepts every PAUSE. */
	assert_int_equal(exit_at(0, 100, 101, 10), 1);
	/* One long gap in the middle starts the count again. */
	pause_filter_load(&p, 3, 100, 0);
	assert_false(pause_filter_pause(&p, 10));   /* 3 -> 2 */
	assert_false(pause_filter_pause(&p, 20));   /* 2 -> 1 */
	assert_false(pause_filter_pause(&p, 200));  /* reload 3 -> 2 */
	assert_false(pause_filter_pause(&p, 210));  /* 2 -> 1 */
	assert_true(pause_filter_pause(&p, 220));   /* 1 -> 0: exit */
	/* Intercepted again until the next VMRUN reloads. */
	assert_true(pause_filter_pause(&p, 230));
	pause_filter_load(&p, 3, 100, 230);
	assert_false(pause_filter_pause(&p, 240));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_count),
		cmocka_unit_test(test_threshold),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
