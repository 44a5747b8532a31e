// SPDX-License-Identifier: MIT
/*
 * Rate limit per log source (core/log.h log_limited): the first LOG_BURST
 * (16) lines of a call site pass, then only its 32nd, 64th, 128th, ...,
 * each ending in "[N so far]"; call sites count apart; a line below the
 * log level is not counted.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/log.h"

static char lines[64][400];
static unsigned nlines;

static void sink(const char *s, unsigned long len)
{
	assert_true(len < sizeof(lines[0]));
	assert_true(nlines < 64);
	memcpy(lines[nlines], s, len);
	lines[nlines++][len] = 0;
}

static void site_a(unsigned i)
{
	log_info_limited("site a %u", i);
}

static void site_b(unsigned i)
{
	log_warn_limited("site b %u", i);
}

static void thinned(void **state)
{
	static const unsigned want[] = { 32, 64, 128, 256, 512 };
	char buf[64];

	(void)state;
	log_set_sink(sink);
	log_set_level(LOG_INFO);
	nlines = 0;
	for (unsigned i = 1; i <= 1000; i++)
		site_a(i);
	assert_int_equal(nlines, 16 + 5);
	for (unsigned i = 0; i < 16; i++) {
		snprintf(buf, sizeof(buf), "nestvisor: site a %u\n", i + 1);
		assert_string_equal(lines[i], buf);
	}
	for (unsigned i = 0; i < 5; i++) {
		snprintf(buf, sizeof(buf), "nestvisor: site a %u [%u so far]\n",
			 want[i], want[i]);
		assert_string_equal(lines[16 + i], buf);
	}
	/* another call site has its own count */
	nlines = 0;
	site_b(1);
	assert_int_equal(nlines, 1);
	assert_string_equal(lines[0], "nestvisor: warning: site b 1\n");
}

static void level_first(void **state)
{
	(void)state;
	log_set_sink(sink);
	nlines = 0;
	log_set_level(LOG_INFO);
	for (unsigned i = 0; i < 100; i++)
		log_debug_limited("hidden %u", i); /* not counted */
	log_set_level(LOG_DEBUG);
	for (unsigned i = 0; i < 16; i++)
		log_debug_limited("shown %u", i);
	assert_int_equal(nlines, 16);
	assert_string_equal(lines[15], "nestvisor: shown 15\n");
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(thinned),
		cmocka_unit_test(level_first),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
