// SPDX-License-Identifier: MIT
/*
 * core/fmt.c against the host C library's vsnprintf, which is the oracle
 * (C99 7.19.6.1 semantics, glibc's spelling for %p and NULL %s).  Every case
 * is also run at every buffer size from 0 to its length + 2 to check
 * truncation, NUL termination, the return value and that nothing is
 * written past size.
 */
#include <limits.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/fmt.h"

#define BUF 512
#define GUARD 0x5a

static unsigned cases_checked;

/*
 * libc's vsnprintf, the oracle.  The formats compared are data: tables of
 * edge cases, some of which a compiler rejects as literals ("%0-6d").  A
 * pointer carries no format attribute, so the oracle takes them as they are,
 * as fmt_unchecked below does for fmt_vsnprintf.
 */
static int (*const libc_vsnprintf)(char *, size_t, const char *, va_list) =
	vsnprintf;

/* Compare fmt_vsnprintf with vsnprintf for one format and argument list. */
static void check_v(const char *f, va_list ap)
{
	char want[BUF], got[BUF + 8];
	va_list aq;
	int n, r;

	va_copy(aq, ap);
	n = libc_vsnprintf(want, sizeof(want), f, aq);
	va_end(aq);
	assert_true(n >= 0 && n < BUF);

	for (int size = 0; size <= n + 2; size++) {
		memset(got, GUARD, sizeof(got));
		va_copy(aq, ap);
		r = fmt_vsnprintf(size ? got : NULL, (size_t)size, f, aq);
		va_end(aq);
		if (r != n)
			fail_msg("format \"%s\" size %d: returned %d, want %d",
				 f, size, r, n);
		if (size > 0) {
			int keep = n < size - 1 ? n : size - 1;

			if (memcmp(got, want, (size_t)keep) != 0 ||
			    got[keep] != '\0')
				fail_msg("format \"%s\" size %d: got \"%s\" want \"%.*s\"",
					 f, size, got, keep, want);
		}
		for (int i = size; i < BUF + 8; i++)
			if ((unsigned char)got[i] != GUARD)
				fail_msg("format \"%s\" size %d: byte %d written",
					 f, size, i);
	}
	cases_checked++;
}

static void check(const char *f, ...)
{
	va_list ap;

	va_start(ap, f);
	check_v(f, ap);
	va_end(ap);
}

#define N(a) (sizeof(a) / sizeof((a)[0]))

static const char *const int_fmts[] = {
	"%d", "%i", "%1d", "%5d", "%-5d", "%05d", "%-05d", "%.3d", "%8.3d",
	"%-8.3d", "%08.3d", "%.0d", "%5.0d", "%-1i", "%012i", "%.12d",
	"[%d]", "%d%d", "x%20dy", "%0-6d|", "%00d",
};

static void test_int(void **state)
{
	static const int vals[] = { 0, 1, -1, 7, -7, 42, -42, 999, 1000,
				    12345, -12345, INT_MAX, INT_MIN,
				    INT_MIN + 1 };
	(void)state;
	for (size_t f = 0; f < N(int_fmts); f++)
		for (size_t v = 0; v < N(vals); v++)
			check(int_fmts[f], vals[v], vals[N(vals) - 1 - v]);
}

static void test_unsigned_hex(void **state)
{
	static const char *const fmts[] = {
		"%u", "%x", "%X", "%8x", "%-8X", "%08x", "%.4x", "%10.6X",
		"%.0x", "%.0u", "%3.0u", "%08u", "%-12u|", "%x:%X",
	};
	static const unsigned vals[] = { 0, 1, 9, 10, 15, 16, 255, 0xabcdef,
					 0xdeadbeef, 0x80000000u, UINT_MAX,
					 1234567890u };
	(void)state;
	for (size_t f = 0; f < N(fmts); f++)
		for (size_t v = 0; v < N(vals); v++)
			check(fmts[f], vals[v], vals[v] ^ 0x5a5a);
}

static void test_long(void **state)
{
	static const char *const sfmts[] = {
		"%ld", "%lld", "%li", "%lli", "%25lld", "%-25ld|", "%025lld",
		"%.20lld", "%zd", "%5zd",
	};
	static const char *const ufmts[] = {
		"%lu", "%llu", "%lx", "%llx", "%lX", "%llX", "%20llx",
		"%-20lx|", "%020llX", "%.17lx", "%zu", "%zx", "%zX", "%016zx",
	};
	static const long long svals[] = {
		0, 1, -1, INT_MAX, (long long)INT_MAX + 1, INT_MIN,
		(long long)INT_MIN - 1, LLONG_MAX, LLONG_MIN,
		-1000000000000LL, 0x123456789abcdefLL,
	};
	static const unsigned long long uvals[] = {
		0, 1, UINT_MAX, (unsigned long long)UINT_MAX + 1, ULLONG_MAX,
		0xfedcba9876543210ULL, 0x8000000000000000ULL, 10000000000ULL,
	};
	(void)state;
	for (size_t f = 0; f < N(sfmts); f++)
		for (size_t v = 0; v < N(svals); v++)
			check(sfmts[f], svals[v]);
	for (size_t f = 0; f < N(ufmts); f++)
		for (size_t v = 0; v < N(uvals); v++)
			check(ufmts[f], uvals[v]);
}

static void test_short_char_len(void **state)
{
	static const char *const fmts[] = {
		"%hd", "%hhd", "%hu", "%hhu", "%hx", "%hhx", "%hX", "%hhX",
		"%6hd", "%-6hhd|", "%06hx", "%hi", "%hhi",
	};
	/* Values outside the short/char range: the conversion must narrow. */
	static const int vals[] = { 0, 1, -1, 127, 128, -128, -129, 255, 256,
				    300, 32767, 32768, -32768, -32769, 65535,
				    65536, 70000, -70000, INT_MAX, INT_MIN };
	(void)state;
	for (size_t f = 0; f < N(fmts); f++)
		for (size_t v = 0; v < N(vals); v++)
			check(fmts[f], vals[v]);
}

static void test_string_char(void **state)
{
	static const char *const fmts[] = {
		"%s", "%10s", "%-10s|", "%.3s", "%10.3s", "%-10.3s|", "%.0s",
		"%.20s", "%1s", "<%s>", "%s%s", "%3.1s",
	};
	static const char *const strs[] = {
		"", "a", "abc", "hello", "hello world, a longer string",
		"tab\tand newline\n", "%d not a format",
	};
	static const char *const cfmts[] = { "%c", "%3c", "%-3c|", "%c%c" };
	static const int chars[] = { 'a', 'Z', '0', ' ', '%', '~' };
	(void)state;
	for (size_t f = 0; f < N(fmts); f++)
		for (size_t v = 0; v < N(strs); v++)
			check(fmts[f], strs[v], strs[(v + 1) % N(strs)]);
	for (size_t f = 0; f < N(cfmts); f++)
		for (size_t v = 0; v < N(chars); v++)
			check(cfmts[f], chars[v], chars[(v + 2) % N(chars)]);
}

/*
 * With a precision, %s reads at most that many bytes: the array needs no
 * NUL when the precision is not larger than it (C99 7.19.6.1p8).  The
 * array here is an exact-size heap block, so ASan reports any byte read
 * past it.
 */
static void test_precision_unterminated(void **state)
{
	char *p = malloc(3), got[8];
	(void)state;
	assert_non_null(p);
	memcpy(p, "abc", 3);
	for (int prec = 0; prec <= 3; prec++) {
		assert_int_equal(fmt_snprintf(got, sizeof(got), "%.*s", prec, p),
				 prec);
		assert_memory_equal(got, "abc", (size_t)prec);
	}
	assert_int_equal(fmt_snprintf(got, sizeof(got), "%5.3s|", p), 6);
	assert_string_equal(got, "  abc|");
	free(p);
}

static void test_star(void **state)
{
	static const int widths[] = { 0, 1, 5, 12, -1, -5, -12 };
	static const int precs[] = { -1, 0, 1, 3, 8 };
	(void)state;
	for (size_t w = 0; w < N(widths); w++) {
		check("%*d|", widths[w], -42);
		check("%0*x|", widths[w], 0xbeefu);
		check("%*s|", widths[w], "abc");
		for (size_t p = 0; p < N(precs); p++) {
			check("%*.*s|", widths[w], precs[p], "abcdef");
			check("%*.*d|", widths[w], precs[p], 77);
			check("%.*u|", precs[p], 0u);
		}
	}
}

static void test_pointer(void **state)
{
	static int object;
	void *const ptrs[] = { &object, (void *)1, (void *)0xdeadbeefUL,
			       (void *)UINTPTR_MAX, (void *)0x1000 };
	static const char *const fmts[] = { "%p", "%20p", "%-20p|", "[%p]",
					    "%3p" };
	void *volatile null = NULL;
	(void)state;
	for (size_t f = 0; f < N(fmts); f++) {
		for (size_t v = 0; v < N(ptrs); v++)
			check(fmts[f], ptrs[v]);
		check(fmts[f], null);
	}
}

static void test_misc(void **state)
{
	const char *volatile null = NULL;
	(void)state;
	check("");
	check("plain text, no conversions");
	check("%%");
	check("100%% sure %d%%", 5);
	check("%s", null);
	check("%10s|", null);
	check("%-10s|", null);
	check("a=%d b=%u c=%x d=%s e=%c f=%lld g=%zu h=%p", -1, 2u, 0x3u,
	      "four", '5', -6LL, (size_t)7, (void *)0x8);
	check("%s:%u: unknown key '%s'", "nestvisor.cfg", 7u, "nxt");
	check("%5d%-5d%05d|%x%X", 1, 2, 3, 0xabu, 0xabu);
}

/* Bypasses the compiler's format check, for deliberately bad formats. */
static int fmt_unchecked(char *buf, size_t size, const char *f, ...)
{
	va_list ap;
	int n;

	va_start(ap, f);
	n = fmt_vsnprintf(buf, size, f, ap);
	va_end(ap);
	return n;
}

/* Behaviour fmt.h defines where C leaves it undefined: verbatim copy. */
static void test_unsupported(void **state)
{
	char buf[64];
	(void)state;
	assert_int_equal(fmt_unchecked(buf, sizeof(buf), "a%qb"), 4);
	assert_string_equal(buf, "a%qb");
	assert_int_equal(fmt_unchecked(buf, sizeof(buf), "x%-5"), 4);
	assert_string_equal(buf, "x%-5");
	assert_int_equal(fmt_unchecked(buf, sizeof(buf), "%d %", 3), 3);
	assert_string_equal(buf, "3 %");
	assert_int_equal(fmt_unchecked(buf, 3, "%w%d", 9), 3);
	assert_string_equal(buf, "%w");
}

static void test_count(void **state)
{
	(void)state;
	/* Guard against a table that silently shrank. */
	assert_true(cases_checked > 1000);
	printf("# %u formats compared with vsnprintf at every size\n",
	       cases_checked);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_int),
		cmocka_unit_test(test_unsigned_hex),
		cmocka_unit_test(test_long),
		cmocka_unit_test(test_short_char_len),
		cmocka_unit_test(test_string_char),
		cmocka_unit_test(test_precision_unterminated),
		cmocka_unit_test(test_star),
		cmocka_unit_test(test_pointer),
		cmocka_unit_test(test_misc),
		cmocka_unit_test(test_unsupported),
		cmocka_unit_test(test_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
