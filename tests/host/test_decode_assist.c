// SPDX-License-Identifier: MIT
/*
 * svm/feat_decode_assist.c: decode assists as L1 sees them.  Each
 * instruction is hand-assembled (AMD APM Vol. 3 §1.2 prefixes, §1.4 ModRM
 * and SIB, §1.5 16-bit addressing) and each expected value is worked out
 * here from APM Vol. 2 §15.35 and Vol. 3 §1.4: the linear address INVLPG
 * names (base + index * scale + displacement, wrapped to the address
 * size, plus the segment base: SS for rBP/rSP bases, DS otherwise, only FS
 * and GS in 64-bit mode), EXITINFO1[63] set for MOV to CRn only, the GPR
 * number in EXITINFO1[3:0], INTn's vector, INVLPGA's rAX.  The decoder
 * (svm/insn.c, tested by test_insn) only turns the bytes into fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "mm/pferr.h"
#include "svm/exit_code.h"
#include "svm/feat_decode_assist.h"

#define BIT63 (1ull << 63)

static struct insn dec(enum insn_mode mode, const char *hex)
{
	uint8_t b[16];
	unsigned n = 0;
	struct insn in;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		b[n++] = (uint8_t)strtoul((char[]){ hex[0], hex[1], 0 }, NULL, 16);
		hex += 2;
	}
	assert_int_equal(insn_decode(b, n, mode, &in), 0);
	assert_int_equal(in.len, n);
	return in;
}

/* Registers with recognisable values: RAX=0x1000, RCX=0x2000, ... */
static struct da_regs regs(enum insn_mode mode)
{
	struct da_regs r = { .mode = mode, .rip = 0x400000 };

	for (unsigned i = 0; i < 16; i++)
		r.gpr[i] = 0x1000ull * (i + 1);
	r.seg_base[INSN_SEG_ES] = 0x10000;
	r.seg_base[INSN_SEG_CS] = 0x20000;
	r.seg_base[INSN_SEG_SS] = 0x30000;
	r.seg_base[INSN_SEG_DS] = 0x40000;
	r.seg_base[INSN_SEG_FS] = 0x7f0000000000ull;
	r.seg_base[INSN_SEG_GS] = 0xffff800000000000ull;
	return r;
}

enum { RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13,
       R14, R15 };

static uint64_t lin(enum insn_mode mode, const char *hex, struct da_regs *r)
{
	struct insn in = dec(mode, hex);

	assert_int_equal(in.op, INSN_INVLPG);
	return da_mem_linear(&in, r);
}

static void test_invlpg_64(void **state)
{
	struct da_regs r = regs(INSN_MODE_64);

	(void)state;
	/* invlpg (%rax): 0F 01 /7, mod 00 rm 000.  DS has no base in
	 * 64-bit mode. */
	assert_int_equal(lin(INSN_MODE_64, "0f 01 38", &r), r.gpr[RAX]);
	/* invlpg 0x10(%rbx,%rcx,4): mod 01 rm 100, SIB scale 10 index 001
	 * base 011, disp8. */
	assert_int_equal(lin(INSN_MODE_64, "0f 01 7c 8b 10", &r),
			 r.gpr[RBX] + 4 * r.gpr[RCX] + 0x10);
	/* invlpg 0x100(%rip): mod 00 rm 101 is RIP-relative, from the end
	 * of this 7-byte instruction. */
	assert_int_equal(lin(INSN_MODE_64, "0f 01 3d 00 01 00 00", &r),
			 r.rip + 7 + 0x100);
	/* invlpg -8(%r13,%r14,8): REX.X and REX.B extend index and base;
	 * base r13 has low bits 101 but mod 01, so it is a base. */
	assert_int_equal(lin(INSN_MODE_64, "43 0f 01 7c f5 f8", &r),
			 r.gpr[R13] + 8 * r.gpr[R14] - 8);
	/* invlpg 0x1000(,%rdx,2): SIB base 101 with mod 00 = no base. */
	assert_int_equal(lin(INSN_MODE_64, "0f 01 3c 55 00 10 00 00", &r),
			 2 * r.gpr[RDX] + 0x1000);
	/* invlpg (%rsp): SIB index 100 = none. */
	assert_int_equal(lin(INSN_MODE_64, "0f 01 3c 24", &r), r.gpr[RSP]);
	/* invlpg (%r12): base 1100 needs a SIB too; index 100 = none. */
	assert_int_equal(lin(INSN_MODE_64, "41 0f 01 3c 24", &r), r.gpr[R12]);
	/* SIB index 100 with REX.X is r12: invlpg (%rax,%r12,1). */
	assert_int_equal(lin(INSN_MODE_64, "42 0f 01 3c 20", &r),
			 r.gpr[RAX] + r.gpr[R12]);
	/* invlpg -0x80(%rbp): disp8 sign-extended. */
	assert_int_equal(lin(INSN_MODE_64, "0f 01 7d 80", &r),
			 r.gpr[RBP] - 0x80);
	/* invlpg 0x12345678(%rsi): disp32. */
	assert_int_equal(lin(INSN_MODE_64, "0f 01 be 78 56 34 12", &r),
			 r.gpr[RSI] + 0x12345678);
	/* FS and GS have a base in 64-bit mode, the others do not. */
	assert_int_equal(lin(INSN_MODE_64, "64 0f 01 38", &r),
			 r.seg_base[INSN_SEG_FS] + r.gpr[RAX]);
	assert_int_equal(lin(INSN_MODE_64, "65 0f 01 38", &r),
			 r.seg_base[INSN_SEG_GS] + r.gpr[RAX]);
	assert_int_equal(lin(INSN_MODE_64, "26 0f 01 38", &r), r.gpr[RAX]);
	/* 67: 32-bit address, wraps at 4 GiB. */
	r.gpr[RAX] = 0x1fffffff0ull;
	assert_int_equal(lin(INSN_MODE_64, "67 0f 01 78 20", &r), 0x10);
	/* 67 with RIP-relative: EIP-relative, 32 bits. */
	r.rip = 0xfffffff0ull;
	assert_int_equal(lin(INSN_MODE_64, "67 0f 01 3d 20 00 00 00", &r),
			 (0xfffffff0ull + 8 + 0x20) & 0xffffffffull);
	/* 64-bit addresses wrap at 2^64. */
	r.gpr[RBX] = ~0ull;
	assert_int_equal(lin(INSN_MODE_64, "0f 01 7b 02", &r), 1);
}

static void test_invlpg_32(void **state)
{
	struct da_regs r = regs(INSN_MODE_32);

	(void)state;
	/* invlpg (%eax): DS base. */
	assert_int_equal(lin(INSN_MODE_32, "0f 01 38", &r),
			 r.seg_base[INSN_SEG_DS] + r.gpr[RAX]);
	/* invlpg 4(%ebp): an EBP base means SS. */
	assert_int_equal(lin(INSN_MODE_32, "0f 01 7d 04", &r),
			 r.seg_base[INSN_SEG_SS] + r.gpr[RBP] + 4);
	/* invlpg (%esp): an ESP base (SIB) means SS. */
	assert_int_equal(lin(INSN_MODE_32, "0f 01 3c 24", &r),
			 r.seg_base[INSN_SEG_SS] + r.gpr[RSP]);
	/* invlpg (%eax,%ebp,1): EBP as the index is not a base: DS. */
	assert_int_equal(lin(INSN_MODE_32, "0f 01 3c 28", &r),
			 r.seg_base[INSN_SEG_DS] + r.gpr[RAX] + r.gpr[RBP]);
	/* invlpg 0x5000: mod 00 rm 101 is disp32 (no RIP-relative outside
	 * 64-bit mode), DS. */
	assert_int_equal(lin(INSN_MODE_32, "0f 01 3d 00 50 00 00", &r),
			 r.seg_base[INSN_SEG_DS] + 0x5000);
	/* Segment override: es:(%ebp). */
	assert_int_equal(lin(INSN_MODE_32, "26 0f 01 7d 00", &r),
			 r.seg_base[INSN_SEG_ES] + r.gpr[RBP]);
	/* The linear address is 32 bits: base + offset wraps. */
	r.seg_base[INSN_SEG_DS] = 0x2000;
	r.gpr[RAX] = 0xffffff00ull;
	assert_int_equal(lin(INSN_MODE_32, "0f 01 38", &r), 0x1f00);
	/* 67 in 32-bit code: 16-bit addressing, (%bx,%si). */
	r = regs(INSN_MODE_32);
	assert_int_equal(lin(INSN_MODE_32, "67 0f 01 38", &r),
			 r.seg_base[INSN_SEG_DS] + r.gpr[RBX] + r.gpr[RSI]);
}

static void test_invlpg_16(void **state)
{
	struct da_regs r = regs(INSN_MODE_16);

	(void)state;
	/* rm 000 (%bx,%si), 011 (%bp,%di): SS for BP, 110 mod 00 disp16,
	 * 110 mod 01 (%bp)+disp8, 111 (%bx). */
	assert_int_equal(lin(INSN_MODE_16, "0f 01 38", &r),
			 r.seg_base[INSN_SEG_DS] + r.gpr[RBX] + r.gpr[RSI]);
	assert_int_equal(lin(INSN_MODE_16, "0f 01 3b", &r),
			 r.seg_base[INSN_SEG_SS] + r.gpr[RBP] + r.gpr[RDI]);
	assert_int_equal(lin(INSN_MODE_16, "0f 01 3e 34 12", &r),
			 r.seg_base[INSN_SEG_DS] + 0x1234);
	assert_int_equal(lin(INSN_MODE_16, "0f 01 7e 10", &r),
			 r.seg_base[INSN_SEG_SS] + r.gpr[RBP] + 0x10);
	assert_int_equal(lin(INSN_MODE_16, "0f 01 3f", &r),
			 r.seg_base[INSN_SEG_DS] + r.gpr[RBX]);
	/* rm 100 (%si) with disp16 -2: sign-extended, 16-bit wrap. */
	r.gpr[RSI] = 1;
	assert_int_equal(lin(INSN_MODE_16, "0f 01 bc fe ff", &r),
			 r.seg_base[INSN_SEG_DS] + 0xffff);
	/* Offsets wrap at 64 KiB: BX=0xffff, SI=2 -> 1. */
	r.gpr[RBX] = 0xffff;
	r.gpr[RSI] = 2;
	assert_int_equal(lin(INSN_MODE_16, "0f 01 38", &r),
			 r.seg_base[INSN_SEG_DS] + 1);
}

static uint64_t info1_of(uint64_t code, enum insn_mode mode, const char *hex,
			 struct da_regs *r)
{
	struct insn in = dec(mode, hex);
	uint64_t info1 = 0xdead;

	assert_true(da_exit_has_info1(code));
	assert_true(da_exit_info1(code, &in, r, &info1));
	return info1;
}

static void test_exit_info1(void **state)
{
	struct da_regs r = regs(INSN_MODE_64);
	uint64_t info1 = 0xdead;

	(void)state;
	/* mov %r9, %cr3 (REX.B 0F 22 /r, rm = the GPR): bit 63 + 9. */
	assert_int_equal(info1_of(VMEXIT_CR0_WRITE + 3, INSN_MODE_64,
				  "41 0f 22 d9", &r), BIT63 | 9);
	/* mov %rax, %cr0 raising the selective CR0 write intercept. */
	assert_int_equal(info1_of(VMEXIT_CR0_SEL_WRITE, INSN_MODE_64,
				  "0f 22 c0", &r), BIT63 | 0);
	/* lock mov %ecx, %cr0 is CR8 (AltMovCr8), in 32-bit code. */
	assert_int_equal(info1_of(VMEXIT_CR0_WRITE + 8, INSN_MODE_32,
				  "f0 0f 22 c1", &r), BIT63 | 1);
	/* mov %cr0, %rdx: a read; bit 63 is for MOV to CRn only. */
	assert_int_equal(info1_of(VMEXIT_CR0_READ, INSN_MODE_64, "0f 20 c2",
				  &r), 2);
	/* mov %cr4, %r15. */
	assert_int_equal(info1_of(VMEXIT_CR0_READ + 4, INSN_MODE_64,
				  "41 0f 20 e7", &r), 15);
	/* mov %dr7, %rsi; mov %r10, %dr1. */
	assert_int_equal(info1_of(VMEXIT_DR0_READ + 7, INSN_MODE_64,
				  "0f 21 fe", &r), 6);
	assert_int_equal(info1_of(VMEXIT_DR0_WRITE + 1, INSN_MODE_64,
				  "41 0f 23 ca", &r), 10);
	/* int $0x42: the vector. */
	assert_int_equal(info1_of(VMEXIT_SWINT, INSN_MODE_64, "cd 42", &r),
			 0x42);
	/* invlpg 8(%rdi): the linear address. */
	assert_int_equal(info1_of(VMEXIT_INVLPG, INSN_MODE_64, "0f 01 7f 08",
				  &r), r.gpr[RDI] + 8);
	/* invlpga: rAX, by the address size. */
	r.gpr[RAX] = 0x123456789ull;
	assert_int_equal(info1_of(VMEXIT_INVLPGA, INSN_MODE_64, "0f 01 df",
				  &r), 0x123456789ull);
	assert_int_equal(info1_of(VMEXIT_INVLPGA, INSN_MODE_64, "67 0f 01 df",
				  &r), 0x23456789ull);
	assert_int_equal(info1_of(VMEXIT_INVLPGA, INSN_MODE_32, "0f 01 df",
				  &r), 0x23456789ull);

	/* CLTS, LMSW, SMSW (not decoded: in == NULL) raise CR0 intercepts
	 * with EXITINFO1 = 0, bit 63 clear. */
	assert_true(da_exit_info1(VMEXIT_CR0_WRITE, NULL, &r, &info1));
	assert_int_equal(info1, 0);
	info1 = 0xdead;
	assert_true(da_exit_info1(VMEXIT_CR0_SEL_WRITE, NULL, &r, &info1));
	assert_int_equal(info1, 0);
	/* An instruction that is not the exit's: no information. */
	{
		struct insn cpuid = dec(INSN_MODE_64, "0f a2");

		info1 = 0xdead;
		assert_true(da_exit_info1(VMEXIT_CR0_WRITE + 3, &cpuid, &r,
					  &info1));
		assert_int_equal(info1, 0);
		info1 = 0xdead;
		assert_true(da_exit_info1(VMEXIT_INVLPG, &cpuid, &r, &info1));
		assert_int_equal(info1, 0);
	}
	/* Exits whose EXITINFO1 is not about the instruction. */
	{
		static const uint64_t others[] = {
			VMEXIT_CPUID, VMEXIT_MSR, VMEXIT_IOIO, VMEXIT_NPF,
			VMEXIT_EXCP_BASE + 14, VMEXIT_HLT, VMEXIT_PAUSE,
			VMEXIT_IDTR_READ, VMEXIT_VMRUN,
		};

		for (unsigned i = 0; i < sizeof(others) / sizeof(others[0]); i++) {
			info1 = 0xdead;
			assert_false(da_exit_has_info1(others[i]));
			assert_false(da_exit_info1(others[i], NULL, &r, &info1));
			assert_int_equal(info1, 0xdead);
		}
	}
	/* Every CR and DR code is one. */
	for (uint64_t c = VMEXIT_CR0_READ; c <= VMEXIT_DR15_WRITE; c++)
		assert_true(da_exit_has_info1(c));
	/* The quick test is exactly the two predicates, for every code. */
	for (uint64_t c = 0; c < 0x1000; c++)
		assert_int_equal(da_exit_is_described(c),
				 da_exit_has_info1(c) || da_exit_has_bytes(c));
	assert_false(da_exit_is_described(VMEXIT_INVALID));
}

static void test_bytes(void **state)
{
	(void)state;
	/* Only #PF (exception 14) and #NPF carry bytes. */
	assert_true(da_exit_has_bytes(VMEXIT_EXCP_BASE + 14));
	assert_true(da_exit_has_bytes(VMEXIT_NPF));
	assert_false(da_exit_has_bytes(VMEXIT_EXCP_BASE + 13));
	assert_false(da_exit_has_bytes(VMEXIT_CPUID));
	assert_false(da_exit_has_bytes(VMEXIT_CR0_READ + 14));

	/* With a meaningful I/D bit it decides. */
	assert_true(da_fetch_fault(PFERR_FETCH | PFERR_PRESENT, true, 15,
				   0x1000, 0x2000));
	assert_false(da_fetch_fault(PFERR_WRITE, true, 2, 0x2000, 0x2000));
	/* Without: a fetch stopped exactly at the faulting byte. */
	assert_true(da_fetch_fault(0, false, 0, 0x5000, 0x5000));
	assert_true(da_fetch_fault(0, false, 3, 0x6000, 0x6000));
	assert_false(da_fetch_fault(0, false, 3, 0x9000, 0x6000));
	assert_false(da_fetch_fault(0, false, 15, 0x600f, 0x600f));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_invlpg_64),
		cmocka_unit_test(test_invlpg_32),
		cmocka_unit_test(test_invlpg_16),
		cmocka_unit_test(test_exit_info1),
		cmocka_unit_test(test_bytes),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
