// SPDX-License-Identifier: MIT
/*
 * svm/insn.c, table-driven: each case is hand-assembled from AMD APM Vol.3
 * (opcode maps, §1.2 prefixes, §1.4 ModRM/SIB, 16-bit addressing) and says
 * which modes it applies to and what the decoder must report.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "svm/insn.h"

#define M16 1
#define M32 2
#define M64 4
#define ALL (M16 | M32 | M64)

/* insn_decode(), its failure reason folded into the result: 0 when it
 * decodes, else the enum insn_why (it returns -NV_EINVAL then). */
static int dec(const uint8_t *b, unsigned n, enum insn_mode mode,
	       struct insn *in)
{
	int r = insn_decode(b, n, mode, in);

	assert_true(r == 0 || r == -NV_EINVAL);
	return r ? (int)in->why : 0;
}

struct tcase {
	unsigned modes;
	const char *hex;	/* bytes given to the decoder, avail = all */
	int rc;
	enum insn_op op;
	unsigned len;
};

static unsigned parse_hex(const char *hex, uint8_t *out)
{
	unsigned n = 0;

	while (*hex) {
		if (*hex == ' ') {
			hex++;
			continue;
		}
		out[n++] = (uint8_t)strtoul((char[]){ hex[0], hex[1], 0 }, NULL,
					    16);
		hex += 2;
	}
	return n;
}

static const enum insn_mode modes[3] = { INSN_MODE_16, INSN_MODE_32,
					 INSN_MODE_64 };

static unsigned ncases;

static void run_cases(const struct tcase *t, size_t n)
{
	for (size_t i = 0; i < n; i++)
		for (int m = 0; m < 3; m++) {
			uint8_t b[64];
			unsigned len = parse_hex(t[i].hex, b);
			struct insn in;
			int r;

			if (!(t[i].modes & (1u << m)))
				continue;
			memset(&in, 0xa5, sizeof(in));
			r = dec(b, len, modes[m], &in);
			ncases++;
			if (r != t[i].rc || in.op != (r ? INSN_NONE : t[i].op) ||
			    in.len != (r ? 0 : t[i].len))
				fail_msg("[%s] mode %d: got rc=%d op=%d len=%u, "
					 "want rc=%d op=%d len=%u", t[i].hex,
					 modes[m], r, in.op, in.len, t[i].rc,
					 t[i].op, t[i].len);
		}
}

#define RUN(t) run_cases(t, sizeof(t) / sizeof(t[0]))

static void test_each_opcode(void **state)
{
	static const struct tcase t[] = {
		{ ALL, "0f a2", 0, INSN_CPUID, 2 },
		{ ALL, "0f 32", 0, INSN_RDMSR, 2 },
		{ ALL, "0f 30", 0, INSN_WRMSR, 2 },
		{ ALL, "0f 31", 0, INSN_RDTSC, 2 },
		{ ALL, "0f 01 f9", 0, INSN_RDTSCP, 3 },
		{ ALL, "f4", 0, INSN_HLT, 1 },
		{ ALL, "0f 08", 0, INSN_INVD, 2 },
		{ ALL, "0f 09", 0, INSN_WBINVD, 2 },
		{ ALL, "0f 01 d1", 0, INSN_XSETBV, 3 },
		{ ALL, "0f 01 d8", 0, INSN_VMRUN, 3 },
		{ ALL, "0f 01 d9", 0, INSN_VMMCALL, 3 },
		{ ALL, "0f 01 da", 0, INSN_VMLOAD, 3 },
		{ ALL, "0f 01 db", 0, INSN_VMSAVE, 3 },
		{ ALL, "0f 01 dc", 0, INSN_STGI, 3 },
		{ ALL, "0f 01 dd", 0, INSN_CLGI, 3 },
		{ ALL, "0f 01 de", 0, INSN_SKINIT, 3 },
		{ ALL, "0f 01 df", 0, INSN_INVLPGA, 3 },
		{ ALL, "f3 90", 0, INSN_PAUSE, 2 },
		{ ALL, "cc", 0, INSN_INT3, 1 },
		{ ALL, "cd 80", 0, INSN_INTN, 2 },
		{ M16 | M32, "ce", 0, INSN_INTO, 1 },
		{ ALL, "e4 60", 0, INSN_IN, 2 },
		{ ALL, "e5 71", 0, INSN_IN, 2 },
		{ ALL, "e6 80", 0, INSN_OUT, 2 },
		{ ALL, "e7 f4", 0, INSN_OUT, 2 },
		{ ALL, "ec", 0, INSN_IN, 1 },
		{ ALL, "ed", 0, INSN_IN, 1 },
		{ ALL, "ee", 0, INSN_OUT, 1 },
		{ ALL, "ef", 0, INSN_OUT, 1 },
		{ ALL, "6c", 0, INSN_INS, 1 },
		{ ALL, "6d", 0, INSN_INS, 1 },
		{ ALL, "6e", 0, INSN_OUTS, 1 },
		{ ALL, "6f", 0, INSN_OUTS, 1 },
		{ ALL, "0f 20 c0", 0, INSN_MOV_CR, 3 },
		{ ALL, "0f 22 d8", 0, INSN_MOV_CR, 3 },
		{ ALL, "0f 20 e0", 0, INSN_MOV_CR, 3 },
		{ ALL, "0f 22 d0", 0, INSN_MOV_CR, 3 },
		{ ALL, "0f 21 c0", 0, INSN_MOV_DR, 3 },
		{ ALL, "0f 23 f8", 0, INSN_MOV_DR, 3 },
		/* MOV CR/DR ignore mod: no SIB, no displacement. */
		{ ALL, "0f 20 04", 0, INSN_MOV_CR, 3 },
		{ ALL, "0f 22 85", 0, INSN_MOV_CR, 3 },
		{ ALL, "0f 23 45", 0, INSN_MOV_DR, 3 },
		{ ALL, "0f 01 38", 0, INSN_INVLPG, 3 },
		/* Trailing bytes are not part of the instruction. */
		{ ALL, "0f a2 0f a2", 0, INSN_CPUID, 2 },
		{ ALL, "f4 00 00", 0, INSN_HLT, 1 },
	};
	(void)state;
	RUN(t);
}

static void test_prefixes(void **state)
{
	static const struct tcase t[] = {
		{ ALL, "66 0f a2", 0, INSN_CPUID, 3 },
		{ ALL, "67 0f 32", 0, INSN_RDMSR, 3 },
		{ ALL, "f2 0f 30", 0, INSN_WRMSR, 3 },
		{ ALL, "f3 0f 31", 0, INSN_RDTSC, 3 },
		{ ALL, "2e 36 3e 26 64 65 f4", 0, INSN_HLT, 7 },
		{ ALL, "66 67 f3 f2 0f 01 d8", 0, INSN_VMRUN, 7 },
		{ ALL, "3e f3 90", 0, INSN_PAUSE, 3 },
		{ ALL, "f2 f3 90", 0, INSN_PAUSE, 3 },	/* last of F2/F3 */
		{ ALL, "f3 f2 90", INSN_E_UNKNOWN, INSN_NONE, 0 },
		{ ALL, "66 cd 21", 0, INSN_INTN, 3 },
		{ ALL, "66 e5 60", 0, INSN_IN, 3 },
		{ ALL, "f3 6c", 0, INSN_INS, 2 },
		{ ALL, "f3 66 67 6f", 0, INSN_OUTS, 4 },
		{ ALL, "26 f3 6e", 0, INSN_OUTS, 3 },
		{ ALL, "66 0f 22 c0", 0, INSN_MOV_CR, 4 },
		{ ALL, "f0 0f 20 c0", 0, INSN_MOV_CR, 4 },	/* CR8 */
		{ ALL, "f0 0f 22 c0", 0, INSN_MOV_CR, 4 },
		{ ALL, "66 0f 01 d9", 0, INSN_VMMCALL, 4 },
		{ ALL, "f3 0f 01 f9", 0, INSN_RDTSCP, 4 },
		/* REX: 64-bit only, counts only as the last prefix. */
		{ M64, "48 0f a2", 0, INSN_CPUID, 3 },
		{ M64, "4f 0f 01 da", 0, INSN_VMLOAD, 4 },
		{ M64, "48 66 0f a2", 0, INSN_CPUID, 4 },
		{ M64, "66 48 0f a2", 0, INSN_CPUID, 4 },
		{ M64, "40 41 42 0f 31", 0, INSN_RDTSC, 5 },
		{ M64, "f3 48 90", 0, INSN_PAUSE, 3 },
		{ M64, "44 0f 20 c0", 0, INSN_MOV_CR, 4 },	/* CR8 */
		{ M64, "48 ed", 0, INSN_IN, 2 },
		/* 40-4F are INC/DEC outside 64-bit mode. */
		{ M16 | M32, "48 0f a2", INSN_E_UNKNOWN, INSN_NONE, 0 },
		{ M16 | M32, "40 f4", INSN_E_UNKNOWN, INSN_NONE, 0 },
	};
	(void)state;
	RUN(t);
}

static void test_invlpg_addressing(void **state)
{
	static const struct tcase t[] = {
		/* 64-bit: 64-bit addressing, 67 gives 32-bit. */
		{ M64, "0f 01 38", 0, INSN_INVLPG, 3 },		/* [rax] */
		{ M64, "0f 01 3d 44 33 22 11", 0, INSN_INVLPG, 7 }, /* rip */
		{ M64, "0f 01 3c 24", 0, INSN_INVLPG, 4 },	/* [rsp] */
		{ M64, "0f 01 7c 24 08", 0, INSN_INVLPG, 5 },	/* [rsp+8] */
		{ M64, "0f 01 bc 24 00 01 00 00", 0, INSN_INVLPG, 8 },
		{ M64, "0f 01 3c 25 00 10 00 00", 0, INSN_INVLPG, 8 },
		{ M64, "0f 01 3c 85 00 10 00 00", 0, INSN_INVLPG, 8 },
		{ M64, "0f 01 7c 85 10", 0, INSN_INVLPG, 5 },	/* base rbp */
		{ M64, "0f 01 7d 00", 0, INSN_INVLPG, 4 },	/* [rbp+0] */
		{ M64, "0f 01 b8 00 00 00 80", 0, INSN_INVLPG, 7 },
		{ M64, "41 0f 01 3c 24", 0, INSN_INVLPG, 5 },	/* [r12] */
		{ M64, "41 0f 01 3d 00 00 00 00", 0, INSN_INVLPG, 8 },
		{ M64, "41 0f 01 7d 00", 0, INSN_INVLPG, 5 },	/* [r13+0] */
		{ M64, "67 0f 01 38", 0, INSN_INVLPG, 4 },	/* [eax] */
		{ M64, "67 0f 01 3e", 0, INSN_INVLPG, 4 },	/* [esi] */
		/* 32-bit: mod 00 rm 101 is an absolute disp32. */
		{ M32, "0f 01 3d 00 10 00 00", 0, INSN_INVLPG, 7 },
		{ M32, "0f 01 3c 24", 0, INSN_INVLPG, 4 },
		{ M32, "0f 01 3c 25 00 10 00 00", 0, INSN_INVLPG, 8 },
		{ M32, "67 0f 01 3e 34 12", 0, INSN_INVLPG, 6 },	/* 16-bit */
		{ M32, "67 0f 01 38", 0, INSN_INVLPG, 4 },	/* [bx+si] */
		{ M32, "67 0f 01 3c", 0, INSN_INVLPG, 4 },	/* [si] */
		/* 16-bit: no SIB; [bp] with mod 00 is disp16. */
		{ M16, "0f 01 38", 0, INSN_INVLPG, 3 },		/* [bx+si] */
		{ M16, "0f 01 3c", 0, INSN_INVLPG, 3 },		/* [si] */
		{ M16, "0f 01 3e 34 12", 0, INSN_INVLPG, 5 },	/* [1234] */
		{ M16, "0f 01 7e 10", 0, INSN_INVLPG, 4 },	/* [bp+10] */
		{ M16, "0f 01 be 00 10", 0, INSN_INVLPG, 5 },	/* [bp+1000] */
		{ M16, "0f 01 3d", 0, INSN_INVLPG, 3 },		/* [di] */
		{ M16, "67 0f 01 3c 24", 0, INSN_INVLPG, 5 },	/* 32-bit SIB */
		{ M16, "67 0f 01 3d 00 10 00 00", 0, INSN_INVLPG, 8 },
		{ M16, "67 0f 01 bc 24 00 01 00 00", 0, INSN_INVLPG, 9 },
	};
	(void)state;
	RUN(t);
}

static void test_rejects(void **state)
{
	static const struct tcase t[] = {
		{ ALL, "90", INSN_E_UNKNOWN, INSN_NONE, 0 },		/* NOP */
		{ ALL, "0f 0b", INSN_E_UNKNOWN, INSN_NONE, 0 },		/* UD2 */
		{ ALL, "0f 01 c8", INSN_E_UNKNOWN, INSN_NONE, 0 },	/* MONITOR */
		{ ALL, "0f 01 f8", INSN_E_UNKNOWN, INSN_NONE, 0 },	/* mod 11 /7 */
		{ ALL, "0f 01 10", INSN_E_UNKNOWN, INSN_NONE, 0 },	/* LGDT */
		{ ALL, "0f 01 d0", INSN_E_UNKNOWN, INSN_NONE, 0 },	/* XGETBV */
		{ ALL, "c3", INSN_E_UNKNOWN, INSN_NONE, 0 },
		{ M64, "41 90", INSN_E_UNKNOWN, INSN_NONE, 0 },	/* xchg */
		/* #UD forms. */
		{ ALL, "0f 20 c8", INSN_E_INVALID, INSN_NONE, 0 },	/* CR1 */
		{ ALL, "0f 22 e8", INSN_E_INVALID, INSN_NONE, 0 },	/* CR5 */
		{ ALL, "0f 20 f8", INSN_E_INVALID, INSN_NONE, 0 },	/* CR7 */
		{ M64, "44 0f 20 c8", INSN_E_INVALID, INSN_NONE, 0 },	/* CR9 */
		{ M64, "44 0f 21 c0", INSN_E_INVALID, INSN_NONE, 0 },	/* DR8 */
		{ ALL, "f0 0f 20 d0", INSN_E_INVALID, INSN_NONE, 0 },	/* CR10 */
		{ ALL, "f0 0f a2", INSN_E_INVALID, INSN_NONE, 0 },
		{ ALL, "f0 f4", INSN_E_INVALID, INSN_NONE, 0 },
		{ ALL, "f0 0f 01 38", INSN_E_INVALID, INSN_NONE, 0 },
		{ ALL, "66 0f 01 d1", INSN_E_INVALID, INSN_NONE, 0 },
		{ ALL, "f2 0f 01 d1", INSN_E_INVALID, INSN_NONE, 0 },
		{ ALL, "f3 0f 01 d1", INSN_E_INVALID, INSN_NONE, 0 },
		/* Truncated. */
		{ ALL, "", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ ALL, "66 66", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ ALL, "0f", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ ALL, "0f 01", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ ALL, "0f 20", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ ALL, "cd", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ ALL, "66 e6", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ M64, "48", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ M64, "0f 01 3d 44 33 22", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ M64 | M32, "0f 01 3c", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ M64 | M32, "0f 01 7c 24", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ M16, "0f 01 3e 34", INSN_E_TRUNCATED, INSN_NONE, 0 },
	};
	(void)state;
	RUN(t);
}

/* The 15-byte limit: 15 is fine, 16 is #GP; short buffers are truncated. */
static void test_length_limit(void **state)
{
	uint8_t b[32];
	struct insn in;
	(void)state;
	for (int m = 0; m < 3; m++) {
		/* 14 prefixes + F4 = 15 bytes. */
		memset(b, 0x66, sizeof(b));
		b[14] = 0xf4;
		assert_int_equal(dec(b, 15, modes[m], &in), 0);
		assert_int_equal(in.len, 15);
		assert_int_equal(in.op, INSN_HLT);
		assert_int_equal(in.nprefixes, 14);
		/* 15 prefixes + F4 = 16 bytes. */
		b[14] = 0x66;
		b[15] = 0xf4;
		assert_int_equal(dec(b, 16, modes[m], &in),
				 INSN_E_TOO_LONG);
		assert_int_equal(dec(b, 32, modes[m], &in),
				 INSN_E_TOO_LONG);
		/* Only 10 of them available: cannot tell yet. */
		assert_int_equal(dec(b, 10, modes[m], &in),
				 INSN_E_TRUNCATED);
		assert_int_equal(dec(b, 14, modes[m], &in),
				 INSN_E_TRUNCATED);
		/* 15 prefix bytes already prove 16 or more. */
		assert_int_equal(dec(b, 15, modes[m], &in),
				 INSN_E_TOO_LONG);
		/* 13 prefixes + 0F A2 = 15; 14 + 0F A2 = 16. */
		memset(b, 0x2e, sizeof(b));
		b[13] = 0x0f;
		b[14] = 0xa2;
		assert_int_equal(dec(b, 15, modes[m], &in), 0);
		assert_int_equal(in.len, 15);
		b[13] = 0x2e;
		b[14] = 0x0f;
		b[15] = 0xa2;
		assert_int_equal(dec(b, 32, modes[m], &in),
				 INSN_E_TOO_LONG);
	}
	/* INVLPG [rsp+disp32] is 8 bytes: 7 prefixes fit, 8 do not. */
	{
		static const uint8_t body[] = { 0x0f, 0x01, 0xbc, 0x24, 1, 2, 3,
						4 };

		memset(b, 0x3e, sizeof(b));
		memcpy(b + 7, body, sizeof(body));
		assert_int_equal(dec(b, 32, INSN_MODE_64, &in), 0);
		assert_int_equal(in.len, 15);
		assert_int_equal(in.disp, 0x04030201);
		memcpy(b + 8, body, sizeof(body));
		b[7] = 0x3e;
		assert_int_equal(dec(b, 32, INSN_MODE_64, &in),
				 INSN_E_TOO_LONG);
	}
}

static struct insn decode_ok(const char *hex, enum insn_mode mode)
{
	uint8_t b[32];
	unsigned n = parse_hex(hex, b);
	struct insn in;
	int r = dec(b, n, mode, &in);

	if (r)
		fail_msg("[%s] mode %d: rc %d", hex, mode, r);
	return in;
}

static void test_fields(void **state)
{
	struct insn in;
	(void)state;
	/* REX that counts vs REX before a legacy prefix (APM §1.2.7). */
	in = decode_ok("44 0f 20 c1", INSN_MODE_64);
	assert_int_equal(in.rex, 0x44);
	assert_true(in.prefixes & INSN_P_REX);
	assert_int_equal(in.reg, 8);		/* CR8 */
	assert_int_equal(in.rm, 1);		/* rcx */
	assert_false(in.write);
	in = decode_ok("44 66 0f 22 c1", INSN_MODE_64);
	assert_int_equal(in.rex, 0);
	assert_false(in.prefixes & INSN_P_REX);
	assert_int_equal(in.nprefixes, 2);
	assert_int_equal(in.reg, 0);		/* CR0: REX ignored */
	assert_true(in.write);
	assert_int_equal(in.len, 5);
	in = decode_ok("41 0f 23 ff", INSN_MODE_64);
	assert_int_equal(in.op, INSN_MOV_DR);
	assert_int_equal(in.reg, 7);		/* DR7 */
	assert_int_equal(in.rm, 15);		/* r15 */
	assert_true(in.write);
	in = decode_ok("0f 20 18", INSN_MODE_32);	/* mod 00 ignored */
	assert_int_equal(in.mod, 3);
	assert_int_equal(in.reg, 3);
	assert_int_equal(in.rm, 0);
	in = decode_ok("f0 0f 22 c3", INSN_MODE_32);	/* LOCK: CR8 */
	assert_int_equal(in.reg, 8);
	assert_int_equal(in.rm, 3);
	assert_true(in.prefixes & INSN_P_LOCK);

	/* Memory operands. */
	in = decode_ok("0f 01 3d f0 ff ff ff", INSN_MODE_64);
	assert_true(in.rip_relative);
	assert_int_equal(in.disp, -16);
	assert_int_equal(in.disp_len, 4);
	assert_int_equal(in.addrsize, 8);
	in = decode_ok("0f 01 3d f0 ff ff ff", INSN_MODE_32);
	assert_false(in.rip_relative);
	assert_int_equal(in.addrsize, 4);
	in = decode_ok("67 0f 01 3d f0 ff ff ff", INSN_MODE_64);
	assert_true(in.rip_relative);		/* EIP-relative */
	assert_int_equal(in.addrsize, 4);
	in = decode_ok("0f 01 7c 8d 80", INSN_MODE_64);
	assert_true(in.has_sib);
	assert_int_equal(in.sib, 0x8d);
	assert_int_equal(in.disp, -128);
	assert_int_equal(in.disp_len, 1);
	in = decode_ok("0f 01 be fe ff", INSN_MODE_16);
	assert_false(in.has_sib);
	assert_int_equal(in.disp, -2);
	assert_int_equal(in.disp_len, 2);
	assert_int_equal(in.addrsize, 2);
	in = decode_ok("65 0f 01 38", INSN_MODE_64);
	assert_int_equal(in.seg, INSN_SEG_GS);
	assert_int_equal(in.disp_len, 0);
	in = decode_ok("2e 26 0f 01 38", INSN_MODE_32);
	assert_int_equal(in.seg, INSN_SEG_ES);	/* the last one */

	/* I/O sizes and ports. */
	in = decode_ok("ed", INSN_MODE_16);
	assert_int_equal(in.io_size, 2);
	assert_false(in.imm_port);
	in = decode_ok("66 ed", INSN_MODE_16);
	assert_int_equal(in.io_size, 4);
	in = decode_ok("ed", INSN_MODE_32);
	assert_int_equal(in.io_size, 4);
	in = decode_ok("66 ef", INSN_MODE_32);
	assert_int_equal(in.io_size, 2);
	assert_true(in.write);
	in = decode_ok("48 ed", INSN_MODE_64);	/* REX.W: still 32-bit */
	assert_int_equal(in.io_size, 4);
	assert_int_equal(in.opsize, 8);
	in = decode_ok("e6 f4", INSN_MODE_64);
	assert_int_equal(in.io_size, 1);
	assert_true(in.imm_port);
	assert_int_equal(in.imm8, 0xf4);
	assert_true(in.write);
	in = decode_ok("f3 6d", INSN_MODE_32);
	assert_int_equal(in.op, INSN_INS);
	assert_int_equal(in.last_rep, 0xf3);
	assert_int_equal(in.io_size, 4);
	assert_false(in.write);
	in = decode_ok("cd 21", INSN_MODE_16);
	assert_int_equal(in.imm8, 0x21);
	in = decode_ok("f3 0f a2", INSN_MODE_64);
	assert_true(in.prefixes & INSN_P_REP);
	assert_int_equal(in.opsize, 4);
	assert_int_equal(in.opcode, 0xa2);
}

/* Stores a write to the xAPIC page can be (APM Vol.3: MOV 88/89/C6/C7,
 * XCHG 86/87); lengths and immediates by hand. */
static void test_stores(void **state)
{
	static const struct tcase t[] = {
		{ M32 | M64, "89 10", 0, INSN_MOV_STORE, 2 },     /* [rax], edx */
		{ M16, "89 10", 0, INSN_MOV_STORE, 2 },           /* [bx+si], dx */
		{ M64, "89 05 00 03 e0 fe", 0, INSN_MOV_STORE, 6 }, /* [rip+d32] */
		{ M64, "89 04 25 00 03 e0 fe", 0, INSN_MOV_STORE, 7 }, /* [d32] */
		{ M64, "41 89 84 24 00 03 00 00", 0, INSN_MOV_STORE, 8 },
		{ M32 | M64, "88 a0 00 03 00 00", 0, INSN_MOV_STORE, 6 },
		{ M32 | M64, "c7 00 00 45 00 00", 0, INSN_MOV_STORE, 6 },
		{ M64, "c7 05 f0 ff ff ff 00 45 00 00", 0, INSN_MOV_STORE, 10 },
		{ M32, "66 c7 00 34 12", 0, INSN_MOV_STORE, 5 },  /* imm16 */
		{ M16, "c7 07 34 12", 0, INSN_MOV_STORE, 4 },     /* [bx], imm16 */
		{ M16, "66 c7 07 78 56 34 12", 0, INSN_MOV_STORE, 7 },
		{ ALL, "c6 00 ff", 0, INSN_MOV_STORE, 3 },
		{ M64, "48 c7 00 ff ff ff ff", 0, INSN_MOV_STORE, 7 },
		/* MOV moffs, AL/eAX/rAX: the offset has the address size. */
		{ M64, "a3 10 03 e0 fe 00 00 00 00", 0, INSN_MOV_STORE, 9 },
		{ M64, "48 a3 10 03 e0 fe 00 00 00 00", 0, INSN_MOV_STORE, 10 },
		{ M64, "67 a3 10 03 e0 fe", 0, INSN_MOV_STORE, 6 },
		{ M32, "a3 10 03 e0 fe", 0, INSN_MOV_STORE, 5 },
		{ M32, "67 a3 10 03", 0, INSN_MOV_STORE, 4 },
		{ M16, "a3 10 03", 0, INSN_MOV_STORE, 3 },
		{ M16, "67 a2 10 03 e0 fe", 0, INSN_MOV_STORE, 6 },
		{ ALL, "f0 a3 10 03 e0 fe 00 00 00 00", INSN_E_INVALID, INSN_NONE, 0 },
		{ M32, "a3 10 03 e0", INSN_E_TRUNCATED, INSN_NONE, 0 },
		{ M32 | M64, "87 03", 0, INSN_XCHG, 2 },
		{ M32 | M64, "f0 87 03", 0, INSN_XCHG, 3 },       /* LOCK ok */
		{ ALL, "86 47 10", 0, INSN_XCHG, 3 },
		/* Register destinations and C6/C7 /1-/7 are not ours; LOCK
		 * MOV is #UD. */
		{ ALL, "89 c0", INSN_E_UNKNOWN, INSN_NONE, 0 },
		{ ALL, "87 d8", INSN_E_UNKNOWN, INSN_NONE, 0 },
		{ ALL, "c7 08 00 00 00 00", INSN_E_UNKNOWN, INSN_NONE, 0 },
		{ ALL, "c6 f8 00", INSN_E_UNKNOWN, INSN_NONE, 0 },
		{ M32 | M64, "f0 89 10", INSN_E_INVALID, INSN_NONE, 0 },
		{ M32 | M64, "c7 00 00 45", INSN_E_TRUNCATED, INSN_NONE, 0 },
		/* Loads a read of an emulated MMIO page can be (MOV 8A/8B
		 * from memory, A0/A1). */
		{ M32 | M64, "8b 10", 0, INSN_MOV_LOAD, 2 },      /* edx, [rax] */
		{ M16, "8b 07", 0, INSN_MOV_LOAD, 2 },            /* ax, [bx] */
		{ M64, "44 8b 05 10 00 c0 fe", 0, INSN_MOV_LOAD, 7 }, /* [rip+d32] */
		{ ALL, "8a 47 10", 0, INSN_MOV_LOAD, 3 },
		{ M64, "a1 10 00 c0 fe 00 00 00 00", 0, INSN_MOV_LOAD, 9 },
		{ M32, "a1 10 00 c0 fe", 0, INSN_MOV_LOAD, 5 },
		{ M16, "a0 10 00", 0, INSN_MOV_LOAD, 3 },
		{ ALL, "8b c0", INSN_E_UNKNOWN, INSN_NONE, 0 },  /* register */
		{ M32 | M64, "f0 8b 10", INSN_E_INVALID, INSN_NONE, 0 },
	};
	struct insn in;
	(void)state;
	RUN(t);
	in = decode_ok("c7 05 f0 ff ff ff 00 45 00 00", INSN_MODE_64);
	assert_int_equal(in.imm, 0x4500);
	assert_int_equal(in.imm_len, 4);
	assert_int_equal(in.width, 4);
	assert_true(in.rip_relative);
	in = decode_ok("48 c7 00 ff ff ff ff", INSN_MODE_64);
	assert_int_equal(in.imm, -1);		/* sign-extended to 64 */
	assert_int_equal(in.width, 8);
	in = decode_ok("88 a0 00 03 00 00", INSN_MODE_64);
	assert_int_equal(in.width, 1);
	assert_int_equal(in.reg, 4);		/* AH without REX */
	assert_int_equal(in.imm_len, 0);
	in = decode_ok("44 8b 05 10 00 c0 fe", INSN_MODE_64);
	assert_int_equal(in.reg, 8);		/* r8d, REX.R */
	assert_int_equal(in.width, 4);
	assert_false(in.write);
	in = decode_ok("48 a1 10 00 c0 fe 00 00 00 00", INSN_MODE_64);
	assert_int_equal(in.reg, 0);
	assert_int_equal(in.width, 8);
	assert_false(in.write);
	in = decode_ok("44 89 00", INSN_MODE_64);
	assert_int_equal(in.reg, 8);		/* r8d */
	assert_int_equal(in.width, 4);
	in = decode_ok("66 c7 00 34 12", INSN_MODE_32);
	assert_int_equal(in.imm, 0x1234);
	assert_int_equal(in.width, 2);
	in = decode_ok("a3 10 03 e0 fe", INSN_MODE_32);
	assert_int_equal(in.reg, 0);		/* eAX */
	assert_int_equal(in.width, 4);
	assert_int_equal(in.imm_len, 0);
	in = decode_ok("48 a3 10 03 e0 fe 00 00 00 00", INSN_MODE_64);
	assert_int_equal(in.width, 8);		/* rAX */
	in = decode_ok("a2 10 03 e0 fe 00 00 00 00", INSN_MODE_64);
	assert_int_equal(in.width, 1);		/* AL, also with no REX */
	assert_int_equal(in.reg, 0);
}

static void test_count(void **state)
{
	(void)state;
	assert_true(ncases > 200);
	printf("# %u table cases\n", ncases);
}

/* LMSW (APM Vol. 3: 0F 01 /6, reg/mem16): the register form is 3 bytes,
 * the memory form has INVLPG's addressing. */
static void test_lmsw(void **state)
{
	static const struct tcase t[] = {
		{ ALL, "0f 01 f0", 0, INSN_LMSW, 3 },		/* ax */
		{ ALL, "0f 01 f7", 0, INSN_LMSW, 3 },		/* di */
		{ M64, "41 0f 01 f0", 0, INSN_LMSW, 4 },	/* r8w */
		{ M64, "0f 01 30", 0, INSN_LMSW, 3 },		/* [rax] */
		{ M64, "0f 01 35 10 00 00 00", 0, INSN_LMSW, 7 }, /* [rip+16] */
		{ M64, "0f 01 74 24 08", 0, INSN_LMSW, 5 },	/* [rsp+8] */
		{ M32, "0f 01 35 00 10 00 00", 0, INSN_LMSW, 7 }, /* [1000] */
		{ M16, "0f 01 36 34 12", 0, INSN_LMSW, 5 },	/* [1234] */
		{ M16, "0f 01 72 10", 0, INSN_LMSW, 4 },	/* [bp+si+10] */
		{ ALL, "f0 0f 01 f0", INSN_E_INVALID, INSN_NONE, 0 }, /* LOCK */
		{ M16, "0f 01 36 34", INSN_E_TRUNCATED, INSN_NONE, 0 }, /* disp16 */
		{ M64, "0f 01 e0", INSN_E_UNKNOWN, INSN_NONE, 0 },	/* SMSW */
	};
	struct insn in;

	(void)state;
	RUN(t);
	in = decode_ok("0f 01 f3", INSN_MODE_32);
	assert_int_equal(in.mod, 3);
	assert_int_equal(in.rm, 3);
	in = decode_ok("0f 01 74 24 08", INSN_MODE_64);
	assert_int_equal(in.mod, 1);
	assert_true(in.has_sib);
	assert_int_equal(in.disp, 8);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_each_opcode),
		cmocka_unit_test(test_prefixes),
		cmocka_unit_test(test_invlpg_addressing),
		cmocka_unit_test(test_lmsw),
		cmocka_unit_test(test_rejects),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_fields),
		cmocka_unit_test(test_stores),
		cmocka_unit_test(test_count),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
