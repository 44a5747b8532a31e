// SPDX-License-Identifier: MIT
/*
 * core/log.c: the prefixes, the level filter, several sinks, and the log
 * ring (core/log.h): absolute offsets, wrap-around, reads that start before
 * the oldest byte still held, and reads past the end.  The expected ring
 * contents are computed here from the plain definition "the last size
 * bytes of everything appended".
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>

#include "core/log.h"

static char got_a[4096], got_b[4096];
static size_t len_a, len_b;

static void sink_a(const char *s, unsigned long n)
{
	assert_true(len_a + n < sizeof(got_a));
	memcpy(got_a + len_a, s, n);
	len_a += n;
}

static void sink_b(const char *s, unsigned long n)
{
	assert_true(len_b + n < sizeof(got_b));
	memcpy(got_b + len_b, s, n);
	len_b += n;
}

static void reset(void)
{
	len_a = len_b = 0;
	log_set_sink(NULL);
	log_ring_init(NULL, 0);
	log_set_level(LOG_INFO);
}

static void test_prefix_level_sinks(void **state)
{
	(void)state;
	reset();
	log_info("dropped: no sink yet %d", 1);
	log_set_sink(sink_a);
	assert_int_equal(log_add_sink(sink_b), 0);
	log_info("one %d", 1);
	log_error("two");
	log_warn("three");
	log_debug("not at info");
	log_trace("not at info");
	log_remove_sink(sink_b);
	log_info("four");
	got_a[len_a] = got_b[len_b] = '\0';
	assert_string_equal(got_a, "nestvisor: one 1\nnestvisor: error: two\n"
			    "nestvisor: warning: three\nnestvisor: four\n");
	assert_string_equal(got_b, "nestvisor: one 1\nnestvisor: error: two\n"
			    "nestvisor: warning: three\n");
	/* log_set_sink replaces every sink. */
	assert_int_equal(log_add_sink(sink_b), 0);
	log_set_sink(sink_a);
	len_a = len_b = 0;
	log_info("five");
	assert_int_equal(len_b, 0);
	assert_int_equal(len_a, strlen("nestvisor: five\n"));
	/* At most LOG_MAX_SINKS. */
	for (unsigned i = 1; i < LOG_MAX_SINKS; i++)
		assert_int_equal(log_add_sink(sink_b), 0);
	assert_int_equal(log_add_sink(sink_b), -1);
	reset();
}

static void test_long_line_cut(void **state)
{
	char msg[600];
	(void)state;
	reset();
	log_set_sink(sink_a);
	memset(msg, 'x', sizeof(msg) - 1);
	msg[sizeof(msg) - 1] = '\0';
	log_info("%s", msg);
	/* Prefix, 255 characters of message, newline. */
	assert_int_equal(len_a, strlen("nestvisor: ") + 255 + 1);
	assert_int_equal(got_a[len_a - 1], '\n');
	assert_true(len_a <= LOG_LINE_MAX);
	reset();
}

/* Reference: everything appended, in one flat buffer. */
static char all[1 << 16];
static uint64_t all_len;

static void append_both(const char *s, uint64_t n)
{
	memcpy(all + all_len, s, n);
	all_len += n;
	log_ring_append(s, n);
}

static void check_ring(uint64_t size)
{
	uint64_t start, head, from, n;
	char out[1 << 16];

	log_ring_bounds(&start, &head);
	assert_int_equal(head, all_len);
	assert_int_equal(start, all_len > size ? all_len - size : 0);
	/* Every starting offset, including ones already overwritten and
	 * ones at or past the end, with short and long reads. */
	for (uint64_t pos = 0; pos <= all_len + 2; pos += 7) {
		for (uint64_t len = 1; len <= size + 3; len += size / 3 + 1) {
			n = log_ring_read(pos, out, len, &from);
			assert_int_equal(from, pos < start ? start : pos);
			if (from >= head) {
				assert_int_equal(n, 0);
				continue;
			}
			assert_int_equal(n, head - from < len ? head - from : len);
			assert_memory_equal(out, all + from, n);
		}
	}
}

static void test_ring(void **state)
{
	static char buf[256];
	static const uint64_t sizes[] = { 1, 7, 64, 100, 256 };
	char chunk[300];
	(void)state;
	for (size_t si = 0; si < sizeof(sizes) / sizeof(sizes[0]); si++) {
		uint64_t size = sizes[si];

		reset();
		all_len = 0;
		log_ring_init(buf, size);
		check_ring(size);
		for (unsigned i = 0; i < 40; i++) {
			unsigned n = (i * 37) % 290 + 1;

			for (unsigned j = 0; j < n; j++)
				chunk[j] = (char)('a' + (i + j) % 26);
			append_both(chunk, n);
			check_ring(size);
		}
	}
	reset();
}

static void test_ring_gets_log_lines(void **state)
{
	static char buf[64];
	uint64_t start, head, from;
	char out[64];
	(void)state;
	reset();
	log_ring_append("lost: no ring\n", 14);
	log_ring_bounds(&start, &head);
	assert_int_equal(head, 0);
	assert_int_equal(log_ring_read(0, out, sizeof(out), &from), 0);
	log_ring_init(buf, sizeof(buf));
	log_info("to the ring without a sink");
	log_debug("filtered");
	log_ring_bounds(&start, &head);
	assert_int_equal(head, strlen("nestvisor: to the ring without a sink\n"));
	assert_int_equal(start, 0);
	assert_int_equal(log_ring_read(0, out, 20, &from), 20);
	assert_memory_equal(out, "nestvisor: to the ri", 20);
	log_info("second line, which wraps the 64-byte ring");
	log_ring_bounds(&start, &head);
	assert_int_equal(start, head - 64);
	assert_int_equal(log_ring_read(0, out, 64, &from), 64);
	assert_int_equal(from, start);
	assert_memory_equal(out + 64 - 11, "-byte ring\n", 11);
	reset();
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_prefix_level_sinks),
		cmocka_unit_test(test_long_line_cut),
		cmocka_unit_test(test_ring),
		cmocka_unit_test(test_ring_gets_log_lines),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
