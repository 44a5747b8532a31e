// SPDX-License-Identifier: MIT
/*
 * svm/insn.c against Zydis (libzydis 4.0) as the oracle.  For every opcode
 * insn_decode supports, in 16-, 32- and 64-bit code, many prefix sequences
 * (legacy, REX, REX followed by legacy, runs up to and past 15 bytes) and,
 * for the ModRM forms, every ModRM byte and every SIB byte are put in front
 * of random trailing bytes; both decoders see the same buffer, and:
 *  - when insn_decode accepts, Zydis must decode the same instruction with
 *    the same length;
 *  - when insn_decode says "not ours", Zydis must not decode one of ours;
 *  - "too long" and "invalid" (#UD forms) must be errors in Zydis as well;
 *  - every accepted instruction cut short must be "truncated" in both.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <cmocka.h>
#include <Zydis/Zydis.h>

#include "core/err.h"
#include "svm/insn.h"
#include "tests/zydis_oracle.h"

#define BUFLEN 32

static enum insn_op zydis_op(const ZydisDecodedInstruction *z)
{
	for (int op = INSN_CPUID; op <= INSN_OP_LAST; op++)
		if (zydis_is(z, (enum insn_op)op))
			return (enum insn_op)op;
	return INSN_NONE;
}

struct oracle {
	ZydisDecoder dec[3];
	unsigned long compared, accepted, truncations, lock_cr8;
	unsigned long by_result[5];	/* 0 and each enum insn_why */
	unsigned long by_op[INSN_OP_LAST + 1];
	unsigned failures;
};

static struct oracle o;
static uint64_t rng = 0x243f6a8885a308d3ULL;

static uint8_t rnd(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint8_t)(rng >> 24);
}

static int mode_index(enum insn_mode m)
{
	return m == INSN_MODE_16 ? 0 : m == INSN_MODE_32 ? 1 : 2;
}

/* insn_decode(), its failure reason folded into the result: 0 when it
 * decodes, else the enum insn_why (it returns -NV_EINVAL then). */
static int decode(const uint8_t *buf, unsigned n, enum insn_mode mode,
		  struct insn *in)
{
	int r = insn_decode(buf, n, mode, in);

	assert_true(r == 0 || r == -NV_EINVAL);
	return r ? (int)in->why : 0;
}

static void report(const char *what, const uint8_t *buf, unsigned n,
		   enum insn_mode mode, int r, const struct insn *in,
		   ZyanStatus zs, const ZydisDecodedInstruction *z)
{
	char hex[3 * BUFLEN + 1];

	for (unsigned i = 0; i < n && i < BUFLEN; i++)
		sprintf(hex + 3 * i, "%02x ", buf[i]);
	if (o.failures++ < 40)
		print_error("%s: mode %d bytes %s: ours r=%d op=%d len=%u, "
			    "zydis status=0x%x mnemonic=%s len=%u\n", what,
			    mode, hex, r, in->op, in->len, zs,
			    ZYAN_SUCCESS(zs) ? ZydisMnemonicGetString(z->mnemonic)
					     : "-",
			    ZYAN_SUCCESS(zs) ? z->length : 0);
}

/*
 * LOCK MOV CR0 is MOV CR8 on AMD (APM Vol.3 "MOV CRn", AltMovCr8; QEMU
 * implements it too), which Zydis does not model: it calls the LOCK
 * illegal.  Check that, and compare the length with the same bytes where
 * each LOCK is replaced by a DS override (a prefix of the same length).
 */
static void lock_mov_cr(const uint8_t *buf, enum insn_mode mode,
			const struct insn *in, ZyanStatus zs)
{
	uint8_t alt[BUFLEN];
	ZydisDecodedInstruction z;
	ZyanStatus za;

	memcpy(alt, buf, BUFLEN);
	for (unsigned i = 0; i < in->nprefixes; i++)
		if (alt[i] == 0xf0)
			alt[i] = 0x3e;
	za = ZydisDecoderDecodeInstruction(&o.dec[mode_index(mode)], NULL, alt,
					   BUFLEN, &z);
	o.lock_cr8++;
	if (zs != ZYDIS_STATUS_ILLEGAL_LOCK || !ZYAN_SUCCESS(za) ||
	    !zydis_is(&z, INSN_MOV_CR) || z.length != in->len ||
	    in->reg != 8)
		report("lock mov cr", buf, BUFLEN, mode, 0, in, za, &z);
}

/* Decode buf with both and check the rules in the file comment. */
static void compare(const uint8_t *buf, enum insn_mode mode)
{
	ZydisDecodedInstruction z;
	struct insn in;
	ZyanStatus zs;
	int r;

	r = decode(buf, BUFLEN, mode, &in);
	zs = ZydisDecoderDecodeInstruction(&o.dec[mode_index(mode)], NULL, buf,
					   BUFLEN, &z);
	o.compared++;
	o.by_result[r]++;
	switch (r) {
	case 0:
		if (in.op == INSN_MOV_CR && (in.prefixes & INSN_P_LOCK)) {
			lock_mov_cr(buf, mode, &in, zs);
			break;
		}
		o.accepted++;
		o.by_op[in.op]++;
		if (!ZYAN_SUCCESS(zs) || !zydis_is(&z, in.op) ||
		    z.length != in.len)
			report("accepted", buf, BUFLEN, mode, r, &in, zs, &z);
		break;
	case INSN_E_UNKNOWN:
		if (ZYAN_SUCCESS(zs) && zydis_op(&z) != INSN_NONE)
			report("missed", buf, BUFLEN, mode, r, &in, zs, &z);
		break;
	case INSN_E_TOO_LONG:
		if (zs != ZYDIS_STATUS_INSTRUCTION_TOO_LONG)
			report("too long", buf, BUFLEN, mode, r, &in, zs, &z);
		break;
	case INSN_E_INVALID:
		if (ZYAN_SUCCESS(zs))
			report("invalid", buf, BUFLEN, mode, r, &in, zs, &z);
		break;
	default:
		report("unexpected", buf, BUFLEN, mode, r, &in, zs, &z);
	}
	/* Cut short: truncated in both (checked for every 8th accept). */
	if (r == 0 && (o.accepted & 7) == 0) {
		for (unsigned n = 0; n < in.len; n++) {
			struct insn t;
			int rt = decode(buf, n, mode, &t);
			ZyanStatus zt = ZydisDecoderDecodeInstruction(
				&o.dec[mode_index(mode)], NULL, buf, n, &z);

			o.truncations++;
			if (rt != INSN_E_TRUNCATED ||
			    zt != ZYDIS_STATUS_NO_MORE_DATA)
				report("truncated", buf, n, mode, rt, &t, zt, &z);
		}
	}
}

/* prefix + body + random tail */
static void run(enum insn_mode mode, const uint8_t *pfx, unsigned npfx,
		const uint8_t *body, unsigned nbody)
{
	uint8_t buf[BUFLEN];
	unsigned n = 0;

	for (unsigned i = 0; i < npfx && n < BUFLEN; i++)
		buf[n++] = pfx[i];
	for (unsigned i = 0; i < nbody && n < BUFLEN; i++)
		buf[n++] = body[i];
	while (n < BUFLEN)
		buf[n++] = rnd();
	compare(buf, mode);
}

static const uint8_t legacy[] = { 0x66, 0x67, 0xf0, 0xf2, 0xf3, 0x2e, 0x36,
				  0x3e, 0x26, 0x64, 0x65 };
static const uint8_t rexes[] = { 0x40, 0x41, 0x42, 0x44, 0x48, 0x4c, 0x4f };

/* All prefix sequences of length 0..2, then random ones of length 3..5. */
static unsigned prefix_sets(enum insn_mode mode, uint8_t sets[][16],
			    unsigned *lens)
{
	uint8_t alpha[sizeof(legacy) + sizeof(rexes)];
	unsigned na = 0, n = 0;

	for (unsigned i = 0; i < sizeof(legacy); i++)
		alpha[na++] = legacy[i];
	if (mode == INSN_MODE_64)
		for (unsigned i = 0; i < sizeof(rexes); i++)
			alpha[na++] = rexes[i];
	lens[n++] = 0;
	for (unsigned i = 0; i < na; i++) {
		sets[n][0] = alpha[i];
		lens[n++] = 1;
	}
	for (unsigned i = 0; i < na; i++)
		for (unsigned j = 0; j < na; j++) {
			sets[n][0] = alpha[i];
			sets[n][1] = alpha[j];
			lens[n++] = 2;
		}
	for (unsigned k = 0; k < 60; k++) {
		lens[n] = 3 + k % 3;
		for (unsigned i = 0; i < lens[n]; i++)
			sets[n][i] = alpha[rnd() % na];
		n++;
	}
	return n;
}

static void test_simple_opcodes(void **state)
{
	static const uint8_t bodies[][3] = {
		{ 2, 0x0f, 0xa2 }, { 2, 0x0f, 0x32 }, { 2, 0x0f, 0x30 },
		{ 2, 0x0f, 0x31 }, { 2, 0x0f, 0x08 }, { 2, 0x0f, 0x09 },
		{ 1, 0xf4 }, { 1, 0xcc }, { 1, 0x90 }, { 2, 0xf3, 0x90 },
		{ 2, 0xcd, 0x03 }, { 2, 0xcd, 0x80 }, { 2, 0xcd, 0xff },
		{ 1, 0xce }, /* INTO: not in 64-bit mode, where both say no */
		{ 2, 0xe4, 0x60 }, { 2, 0xe5, 0x71 }, { 2, 0xe6, 0xf4 },
		{ 2, 0xe7, 0x80 }, { 1, 0xec }, { 1, 0xed }, { 1, 0xee },
		{ 1, 0xef }, { 1, 0x6c }, { 1, 0x6d }, { 1, 0x6e }, { 1, 0x6f },
		/* Not ours: must be "unknown" and not one of ours in Zydis. */
		{ 1, 0x8b }, { 2, 0x0f, 0x0b }, { 2, 0x0f, 0x05 }, { 1, 0xcb },
		{ 2, 0x89, 0xc0 }, { 2, 0x87, 0xd8 }, { 1, 0x93 },
	};
	static uint8_t sets[512][16];
	static unsigned lens[512];
	(void)state;
	for (int m = 16; m <= 64; m *= 2) {
		unsigned n = prefix_sets((enum insn_mode)m, sets, lens);

		for (unsigned b = 0; b < sizeof(bodies) / 3; b++)
			for (unsigned s = 0; s < n; s++)
				run((enum insn_mode)m, sets[s], lens[s],
				    &bodies[b][1], bodies[b][0]);
	}
	assert_int_equal(o.failures, 0);
}

static void test_0f01_group(void **state)
{
	/* Every ModRM, every SIB byte, under a few prefix sets. */
	static const uint8_t sets[][3] = {
		{ 0 }, { 1, 0x66 }, { 1, 0x67 }, { 2, 0x67, 0x66 },
		{ 1, 0xf3 }, { 1, 0x2e }, { 1, 0x48 }, { 2, 0x67, 0x41 },
		{ 2, 0x43, 0x64 }, { 1, 0xf0 },
	};
	(void)state;
	for (int m = 16; m <= 64; m *= 2)
		for (unsigned s = 0; s < sizeof(sets) / 3; s++) {
			if (m != 64 && (sets[s][1] & 0xf0) == 0x40)
				continue;	/* REX exists only in 64-bit */
			if (m != 64 && sets[s][0] == 2 &&
			    (sets[s][2] & 0xf0) == 0x40)
				continue;
			for (unsigned modrm = 0; modrm < 256; modrm++)
				for (unsigned sib = 0; sib < 256; sib++) {
					uint8_t body[4] = { 0x0f, 0x01,
							    (uint8_t)modrm,
							    (uint8_t)sib };

					run((enum insn_mode)m, &sets[s][1],
					    sets[s][0], body, 4);
				}
		}
	assert_int_equal(o.failures, 0);
}

static void test_mov_cr_dr(void **state)
{
	static uint8_t sets[512][16];
	static unsigned lens[512];
	(void)state;
	for (int m = 16; m <= 64; m *= 2) {
		unsigned n = prefix_sets((enum insn_mode)m, sets, lens);

		for (unsigned op = 0x20; op <= 0x23; op++)
			for (unsigned modrm = 0; modrm < 256; modrm++)
				for (unsigned s = 0; s < n; s += 3) {
					uint8_t body[3] = { 0x0f, (uint8_t)op,
							    (uint8_t)modrm };

					run((enum insn_mode)m, sets[s], lens[s],
					    body, 3);
				}
	}
	assert_int_equal(o.failures, 0);
}

/* Stores to memory (MOV, XCHG) and loads from it (MOV): every ModRM and
 * SIB byte. */
static void test_stores(void **state)
{
	static const uint8_t ops[] = { 0x86, 0x87, 0x88, 0x89, 0xc6, 0xc7,
				       0x8a, 0x8b };
	static const uint8_t sets[][3] = {
		{ 0 }, { 1, 0x66 }, { 1, 0x67 }, { 2, 0x67, 0x66 },
		{ 1, 0xf0 }, { 1, 0x26 }, { 1, 0x48 }, { 1, 0x44 },
		{ 2, 0x66, 0x49 }, { 2, 0x41, 0x3e },
	};
	(void)state;
	for (int m = 16; m <= 64; m *= 2)
		for (unsigned s = 0; s < sizeof(sets) / 3; s++) {
			if (m != 64 && ((sets[s][1] & 0xf0) == 0x40 ||
					(sets[s][0] == 2 &&
					 (sets[s][2] & 0xf0) == 0x40)))
				continue;	/* REX exists only in 64-bit */
			for (unsigned k = 0; k < sizeof(ops); k++)
				for (unsigned modrm = 0; modrm < 256; modrm++)
					for (unsigned sib = 0; sib < 256;
					     sib += 5) {
						uint8_t body[3] = {
							ops[k], (uint8_t)modrm,
							(uint8_t)sib };

						run((enum insn_mode)m,
						    &sets[s][1], sets[s][0],
						    body, 3);
					}
		}
	assert_int_equal(o.failures, 0);
}

/* Runs of prefixes that reach exactly 15 bytes, and 16 (too long). */
static void test_length_limit(void **state)
{
	static const uint8_t bodies[][5] = {
		{ 2, 0x0f, 0xa2 }, { 1, 0xf4 }, { 3, 0x0f, 0x01, 0xd8 },
		{ 2, 0xe4, 0x80 }, { 3, 0x0f, 0x20, 0xc0 },
		{ 4, 0x0f, 0x01, 0x38, 0x00 },	/* invlpg [rax] / [bx+si] */
		{ 4, 0x0f, 0x01, 0x3d, 0x11 },	/* + disp32/disp16 */
	};
	uint8_t pfx[16];
	(void)state;
	for (int m = 16; m <= 64; m *= 2)
		for (unsigned b = 0; b < sizeof(bodies) / 5; b++)
			for (unsigned np = 8; np <= 16; np++)
				for (int k = 0; k < 20; k++) {
					for (unsigned i = 0; i < np; i++)
						pfx[i] = legacy[rnd() % 11];
					if (m == 64 && (k & 1))
						pfx[np - 1] = rexes[rnd() % 7];
					run((enum insn_mode)m, pfx, np,
					    &bodies[b][1], bodies[b][0]);
				}
	assert_int_equal(o.failures, 0);
}

/* Short buffers of prefixes: where "truncated" turns into "too long". */
static void test_short_prefix_runs(void **state)
{
	uint8_t buf[BUFLEN];
	(void)state;
	for (int m = 16; m <= 64; m *= 2)
		for (unsigned np = 12; np <= 16; np++)
			for (unsigned avail = 0; avail <= BUFLEN; avail++) {
				ZydisDecodedInstruction z;
				struct insn in;
				ZyanStatus zs;
				int r;

				memset(buf, 0x66, sizeof(buf));
				buf[np] = 0xf4;
				r = decode(buf, avail, (enum insn_mode)m, &in);
				zs = ZydisDecoderDecodeInstruction(
					&o.dec[mode_index((enum insn_mode)m)],
					NULL, buf, avail, &z);
				if ((r == 0 && (!ZYAN_SUCCESS(zs) ||
						z.length != in.len)) ||
				    (r == INSN_E_TRUNCATED &&
				     zs != ZYDIS_STATUS_NO_MORE_DATA) ||
				    (r == INSN_E_TOO_LONG &&
				     zs != ZYDIS_STATUS_INSTRUCTION_TOO_LONG) ||
				    r == INSN_E_UNKNOWN || r == INSN_E_INVALID)
					report("short run", buf, avail,
					       (enum insn_mode)m, r, &in, zs, &z);
			}
	assert_int_equal(o.failures, 0);
}

static void test_summary(void **state)
{
	(void)state;
	printf("# compared %lu buffers with Zydis (%lu accepted, %lu unknown,"
	       " %lu too long, %lu invalid, %lu LOCK MOV CR8), %lu truncations\n",
	       o.compared, o.accepted, o.by_result[1], o.by_result[3],
	       o.by_result[4], o.lock_cr8, o.truncations);
	/* Every supported opcode was accepted and compared many times. */
	for (int op = INSN_CPUID; op <= INSN_OP_LAST; op++) {
		if (o.by_op[op] < 100)
			fail_msg("op %d accepted only %lu times", op,
				 o.by_op[op]);
	}
	assert_true(o.by_result[3] > 100);
	assert_true(o.by_result[4] > 100);
	assert_true(o.lock_cr8 > 100);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_simple_opcodes),
		cmocka_unit_test(test_0f01_group),
		cmocka_unit_test(test_mov_cr_dr),
		cmocka_unit_test(test_stores),
		cmocka_unit_test(test_length_limit),
		cmocka_unit_test(test_short_prefix_runs),
		cmocka_unit_test(test_summary),
	};

	ZydisDecoderInit(&o.dec[0], ZYDIS_MACHINE_MODE_LEGACY_16,
			 ZYDIS_STACK_WIDTH_16);
	ZydisDecoderInit(&o.dec[1], ZYDIS_MACHINE_MODE_LEGACY_32,
			 ZYDIS_STACK_WIDTH_32);
	ZydisDecoderInit(&o.dec[2], ZYDIS_MACHINE_MODE_LONG_64,
			 ZYDIS_STACK_WIDTH_64);
	return cmocka_run_group_tests(tests, NULL, NULL);
}
