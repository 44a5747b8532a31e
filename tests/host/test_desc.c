// SPDX-License-Identifier: MIT
/*
 * core/desc.h's segment descriptors against their layout in AMD APM Vol. 2
 * §4.7 (Figure 4-14 and following): limit 15:0 in bits 15:0, base 23:0 in
 * bits 39:16, the access byte (type, S, DPL, P) in bits 47:40, limit
 * 19:16 in bits 51:48, AVL, L, D/B, G in bits 55:52, base 31:24 in bits
 * 63:56; a long-mode system descriptor adds base 63:32 in bits 95:64
 * (§4.8.3).  The raw values are the usual ones: flat 64-bit code
 * 0x00af9a000000ffff, flat data 0x00cf92000000ffff.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/desc.h"

static uint64_t raw(struct seg_desc d)
{
	uint64_t v;

	memcpy(&v, &d, 8);
	return v;
}

static void test_encode(void **state)
{
	struct sys_desc t;
	uint64_t v[2];

	(void)state;
	assert_int_equal(raw(seg_desc_make(0, 0xfffff, DESC_ACCESS_P |
					   DESC_ACCESS_S | DESC_TYPE_CODE_RX,
					   DESC_FLAG_L | DESC_FLAG_G)),
			 0x00af9a000000ffffull);
	assert_int_equal(raw(seg_desc_make(0, 0xfffff, DESC_ACCESS_P |
					   DESC_ACCESS_S | DESC_TYPE_DATA_RW,
					   DESC_FLAG_DB | DESC_FLAG_G)),
			 0x00cf92000000ffffull);
	/* a TSS at 0x123456789abcdef0, limit 103: type 9, P */
	t = (struct sys_desc){
		.lo = seg_desc_make(0x9abcdef0u, 103, DESC_ACCESS_P |
				    DESC_TYPE_TSS64, 0),
		.base_top = 0x12345678u };
	memcpy(v, &t, 16);
	assert_int_equal(v[0], 0x9a0089bcdef00067ull);
	assert_int_equal(v[1], 0x12345678ull);
}

static void test_decode(void **state)
{
	uint64_t v = 0x00cf92000000ffffull;
	struct seg_desc d;

	(void)state;
	memcpy(&d, &v, 8);
	assert_int_equal(seg_desc_base(&d), 0);
	assert_int_equal(seg_desc_limit(&d), 0xffffffffu);	/* G: 4 KiB units */
	v = 0x0040920b8000ffffull; /* base 0xb8000, limit 0xffff bytes */
	memcpy(&d, &v, 8);
	assert_int_equal(seg_desc_base(&d), 0xb8000);
	assert_int_equal(seg_desc_limit(&d), 0xffff);
	v = 0xff4f9a123456abcdull;
	memcpy(&d, &v, 8);
	assert_int_equal(seg_desc_base(&d), 0xff123456u);
	assert_int_equal(seg_desc_limit(&d), 0xfabcd);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_encode),
		cmocka_unit_test(test_decode),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
