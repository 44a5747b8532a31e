// SPDX-License-Identifier: MIT
/*
 * svm/insn_la.c: the linear address of a memory operand, for operands
 * decoded by svm/insn.c.  Expected values are worked out by hand from the
 * APM: Vol. 3 §1.4 (ModRM, SIB, RIP-relative), §1.5 (16-bit addressing:
 * BX+SI, BX+DI, BP+SI, BP+DI, SI, DI, BP or disp16, BX; BP-based forms on
 * SS), Vol. 2 chapter 4 ("Segmented Virtual Memory": the effective address
 * has the address size's width; outside 64-bit mode the linear address is
 * segment base + effective address modulo 2^32; in 64-bit mode only the
 * FS and GS bases count).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <cmocka.h>

#include "svm/insn.h"

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13 };

static struct insn_ctx ctx(enum insn_mode mode)
{
	struct insn_ctx x = { .mode = mode, .next_rip = 0x7000 };

	x.gpr[RAX] = 0x1111111100000100ull;
	x.gpr[RBX] = 0xfffff000;
	x.gpr[RSP] = 0x2000;
	x.gpr[RBP] = 0xfff0;
	x.gpr[RSI] = 0x30;
	x.gpr[RDI] = 0x40;
	x.gpr[R12] = 0x500000;
	x.gpr[R13] = 0x600000;
	x.seg_base[INSN_SEG_ES] = 0x100000;
	x.seg_base[INSN_SEG_CS] = 0x200000;
	x.seg_base[INSN_SEG_SS] = 0x300000;
	x.seg_base[INSN_SEG_DS] = 0xfff00000;
	x.seg_base[INSN_SEG_FS] = 0xffff800000000000ull;
	x.seg_base[INSN_SEG_GS] = 0x80000000;
	return x;
}

static uint64_t la_of(const char *hex, enum insn_mode mode,
		      const struct insn_ctx *x)
{
	uint8_t b[16];
	unsigned n = 0;
	struct insn in;

	for (const char *p = hex; *p;) {
		unsigned v;

		if (*p == ' ') {
			p++;
			continue;
		}
		assert_int_equal(sscanf(p, "%2x", &v), 1);
		b[n++] = (uint8_t)v;
		p += 2;
	}
	assert_int_equal(insn_decode(b, n, mode, &in), 0);
	assert_true(in.mod != 3);
	return insn_operand_la(&in, x);
}

/* LMSW [...] (0F 01 /6) stands for every memory operand. */
static void test_64bit(void **state)
{
	struct insn_ctx x = ctx(INSN_MODE_64);

	(void)state;
	/* [rax]: RAX, no segment base */
	assert_int_equal(la_of("0f 01 30", INSN_MODE_64, &x),
			 0x1111111100000100ull);
	/* 67h: [eax], the low 32 bits */
	assert_int_equal(la_of("67 0f 01 30", INSN_MODE_64, &x), 0x100);
	/* [rip + 0x10]: next RIP (0x7000) + 0x10 */
	assert_int_equal(la_of("0f 01 35 10 00 00 00", INSN_MODE_64, &x),
			 0x7010);
	/* [rip - 8] with 67h: EIP-relative, 32 bits */
	x.next_rip = 0x100000004ull;
	assert_int_equal(la_of("67 0f 01 35 f8 ff ff ff", INSN_MODE_64, &x),
			 0xfffffffc);
	x = ctx(INSN_MODE_64);
	/* [rsp + 8]: SS counts as base 0 */
	assert_int_equal(la_of("0f 01 74 24 08", INSN_MODE_64, &x), 0x2008);
	/* [rbx + rsi*4 + 0x10] */
	assert_int_equal(la_of("0f 01 74 b3 10", INSN_MODE_64, &x),
			 0xfffff000 + 0x30 * 4 + 0x10);
	/* SIB index 100 without REX.X: none; [disp32] (base 101, mod 00) */
	assert_int_equal(la_of("0f 01 34 25 00 10 00 00", INSN_MODE_64, &x),
			 0x1000);
	/* REX.B: [r12] (SIB), [r13 + 0] */
	assert_int_equal(la_of("41 0f 01 34 24", INSN_MODE_64, &x), 0x500000);
	assert_int_equal(la_of("41 0f 01 75 00", INSN_MODE_64, &x), 0x600000);
	/* REX.X: index r12 */
	assert_int_equal(la_of("42 0f 01 34 20", INSN_MODE_64, &x),
			 0x1111111100000100ull + 0x500000);
	/* FS and GS bases count; a DS override does not */
	assert_int_equal(la_of("64 0f 01 34 24", INSN_MODE_64, &x),
			 0xffff800000002000ull);
	assert_int_equal(la_of("65 0f 01 30", INSN_MODE_64, &x),
			 0x80000000ull + 0x1111111100000100ull);
	assert_int_equal(la_of("3e 0f 01 74 24 08", INSN_MODE_64, &x), 0x2008);
	/* the sum wraps at 2^64 */
	x.gpr[RAX] = ~0ull;
	assert_int_equal(la_of("0f 01 70 02", INSN_MODE_64, &x), 1);
}

static void test_32bit(void **state)
{
	struct insn_ctx x = ctx(INSN_MODE_32);

	(void)state;
	/* [eax]: DS base 0xfff00000 + 0x100 */
	assert_int_equal(la_of("0f 01 30", INSN_MODE_32, &x), 0xfff00100);
	/* [ebx + 0x2000]: the effective address wraps at 2^32 (0x1000),
	 * then DS's base: 0xfff01000 */
	assert_int_equal(la_of("0f 01 b3 00 20 00 00", INSN_MODE_32, &x),
			 0xfff01000);
	/* base + effective address wraps at 2^32 too: [0x00200000] */
	assert_int_equal(la_of("0f 01 35 00 00 20 00", INSN_MODE_32, &x),
			 0x00100000);
	/* [ebp - 0x10]: SS, 0x300000 + 0xffe0 */
	assert_int_equal(la_of("0f 01 75 f0", INSN_MODE_32, &x), 0x30ffe0);
	/* [esp]: SS; with an ES override: ES */
	assert_int_equal(la_of("0f 01 34 24", INSN_MODE_32, &x), 0x302000);
	assert_int_equal(la_of("26 0f 01 34 24", INSN_MODE_32, &x), 0x102000);
	/* 67h: 16-bit addressing, [bx+si]: (0xf000 + 0x30) & 0xffff */
	assert_int_equal(la_of("67 0f 01 30", INSN_MODE_32, &x),
			 0xfff00000 + 0xf030);
}

static void test_16bit(void **state)
{
	struct insn_ctx x = ctx(INSN_MODE_16);

	(void)state;
	x.seg_base[INSN_SEG_DS] = 0x10000;
	x.seg_base[INSN_SEG_SS] = 0x20000;
	/* [bx+si]: (0xf000 + 0x30), DS */
	assert_int_equal(la_of("0f 01 30", INSN_MODE_16, &x), 0x1f030);
	/* [bx+di+0x1000]: 0xf000 + 0x40 + 0x1000 wraps at 2^16 to 0x40 */
	assert_int_equal(la_of("0f 01 b1 00 10", INSN_MODE_16, &x), 0x10040);
	/* [bp+si+0x10]: SS */
	assert_int_equal(la_of("0f 01 72 10", INSN_MODE_16, &x),
			 0x20000 + ((0xfff0 + 0x30 + 0x10) & 0xffff));
	/* [bp+di-1]: SS, sign-extended disp8 */
	assert_int_equal(la_of("0f 01 73 ff", INSN_MODE_16, &x),
			 0x20000 + 0xfff0 + 0x40 - 1 - 0x10000);
	/* [si], [di] */
	assert_int_equal(la_of("0f 01 34", INSN_MODE_16, &x), 0x10030);
	assert_int_equal(la_of("0f 01 35", INSN_MODE_16, &x), 0x10040);
	/* [disp16] (rm 110, mod 00): DS; [bp+0x20] (mod 01): SS */
	assert_int_equal(la_of("0f 01 36 34 12", INSN_MODE_16, &x), 0x11234);
	assert_int_equal(la_of("0f 01 76 20", INSN_MODE_16, &x),
			 0x20000 + 0x10);
	/* [bx], with a CS override */
	assert_int_equal(la_of("2e 0f 01 37", INSN_MODE_16, &x),
			 0x200000 + 0xf000);
	/* 67h: 32-bit addressing in 16-bit code, [eax] */
	assert_int_equal(la_of("67 0f 01 30", INSN_MODE_16, &x), 0x10100);
	/* real-mode style base near 4 GiB: the sum wraps at 2^32 */
	x.seg_base[INSN_SEG_DS] = 0xffffff00;
	assert_int_equal(la_of("0f 01 34", INSN_MODE_16, &x), 0xffffff30);
	assert_int_equal(la_of("0f 01 36 00 02", INSN_MODE_16, &x), 0x100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_64bit),
		cmocka_unit_test(test_32bit),
		cmocka_unit_test(test_16bit),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
