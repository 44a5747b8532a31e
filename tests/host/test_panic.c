// SPDX-License-Identifier: MIT
/*
 * core/panic.c and core/log.c: panic() formats, runs the dump hook once
 * and ends through the stop hook; ASSERT() names the file, the line and
 * the condition; every line goes to the log sink with nestvisor's prefix.
 * The stop hook here jumps back into the test instead of ending the run.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/log.h"
#include "core/panic.h"

static char out[4096];
static size_t out_len;
static jmp_buf stopped;
static int dumps;

static void sink(const char *s, unsigned long len)
{
	assert_true(out_len + len < sizeof(out));
	memcpy(out + out_len, s, len);
	out_len += len;
	out[out_len] = 0;
}

static __attribute__((noreturn)) void stop(void)
{
	longjmp(stopped, 1);
}

static void reset(void)
{
	out_len = 0;
	out[0] = 0;
	dumps = 0;
	log_set_sink(sink);
	log_set_level(LOG_INFO);
	panic_set_stop(stop);
}

static void test_log_without_sink(void **state)
{
	(void)state;
	reset();
	log_set_sink(NULL);
	log_info("nowhere %d", 1);
	log_set_sink(sink);
	log_info("line %d", 2);
	log_debug("below the level");
	assert_string_equal(out, "nestvisor: line 2\n");
}

static void test_assert(void **state)
{
	volatile int line = 0;

	(void)state;
	reset();
	panic_set_dump(NULL, NULL);
	if (!setjmp(stopped)) {
		line = __LINE__ + 1;
		ASSERT(1 + 1 == 3);
		fail_msg("ASSERT returned");
	}
	char want[200];
	snprintf(want, sizeof(want), "nestvisor: error: PANIC: assertion "
		 "failed at %s:%d: 1 + 1 == 3\n", __FILE__, line);
	assert_string_equal(out, want);

	/* A true condition does nothing. */
	reset();
	ASSERT(2 + 2 == 4);
	assert_string_equal(out, "");
}

static void dump(void *ctx)
{
	assert_ptr_equal(ctx, &dumps);
	dumps++;
	log_error("dump %d", dumps);
	/* A panic while dumping: straight to the stop, no second dump. */
	panic("in the dump");
}

static void test_panic_formats_dumps_once_and_stops(void **state)
{
	(void)state;
	reset();
	panic_set_dump(dump, &dumps);
	if (!setjmp(stopped)) {
		panic("bad %s 0x%x", "thing", 0x2a);
		fail_msg("panic returned");
	}
	assert_int_equal(dumps, 1);
	assert_string_equal(out, "nestvisor: error: PANIC: bad thing 0x2a\n"
				 "nestvisor: error: dump 1\n"
				 "nestvisor: error: PANIC: in the dump\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_log_without_sink),
		cmocka_unit_test(test_assert),
		cmocka_unit_test(test_panic_formats_dumps_once_and_stops),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
