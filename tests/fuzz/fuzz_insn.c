// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the instruction-length decoder (svm/insn.c), which reads
 * bytes at a guest's RIP.  Input: one byte for the mode (16-, 32- or
 * 64-bit code: value % 3), then the instruction bytes, exactly as many as
 * given (an exact-size heap copy, so ASan sees any read past them).
 *
 * Invariants (rules in svm/insn.h):
 *  - the result is 0, or -NV_EINVAL with one of the INSN_E_* reasons in
 *    why and length 0 and op INSN_NONE;
 *  - an accepted instruction is 1..15 bytes, within the bytes given, one of
 *    the known opcodes (MOV and XCHG only with a memory destination), with
 *    consistent sizes; the same bytes cut to its
 *    length decode identically, and cut shorter are "truncated";
 *  - "truncated" only with fewer than 15 bytes, "too long" only with 15 or
 *    more;
 *  - Zydis, an independent decoder, agrees: where ours accepts, Zydis
 *    decodes the same instruction with the same length (LOCK MOV CR0 is
 *    AMD's MOV CR8, which Zydis calls an illegal LOCK: compared with the
 *    LOCK replaced by a DS prefix of the same length); where ours says
 *    "not ours", Zydis decodes none of ours; "too long" and "invalid" are
 *    errors in Zydis too, "truncated" is Zydis's "no more data" (or "too
 *    long", which Zydis may see before the bytes run out).
 */
#include <stdlib.h>
#include <string.h>
#include <Zydis/Zydis.h>

#include "core/err.h"
#include "fuzz.h"
#include "svm/insn.h"
#include "tests/zydis_oracle.h"

#define MAX_BYTES 64

static ZydisDecoder dec[3];

static bool zydis_is_ours(const ZydisDecodedInstruction *z)
{
	for (int op = INSN_CPUID; op <= INSN_OP_LAST; op++)
		if (zydis_is(z, (enum insn_op)op))
			return true;
	return false;
}

static void check_accepted(const uint8_t *b, unsigned n, enum insn_mode mode,
			   const struct insn *in)
{
	struct insn again;

	FUZZ_CHECK(in->len >= 1 && in->len <= INSN_MAX_LEN && in->len <= n,
		   "length %u of %u bytes", in->len, n);
	FUZZ_CHECK(in->op >= INSN_CPUID && in->op <= INSN_OP_LAST, "op %d",
		   in->op);
	FUZZ_CHECK(in->nprefixes < in->len, "%u prefixes in %u bytes",
		   in->nprefixes, in->len);
	FUZZ_CHECK(in->opsize == 2 || in->opsize == 4 || in->opsize == 8,
		   "opsize %u", in->opsize);
	FUZZ_CHECK(in->addrsize == 2 || in->addrsize == 4 || in->addrsize == 8,
		   "addrsize %u", in->addrsize);
	if (in->op == INSN_IN || in->op == INSN_OUT || in->op == INSN_INS ||
	    in->op == INSN_OUTS)
		FUZZ_CHECK(in->io_size == 1 || in->io_size == 2 ||
			   in->io_size == 4, "io_size %u", in->io_size);
	if (in->op == INSN_MOV_STORE || in->op == INSN_XCHG)
		FUZZ_CHECK(in->write && (in->width == 1 || in->width == 2 ||
					 in->width == 4 || in->width == 8),
			   "store width %u", in->width);
	if (in->op == INSN_MOV_LOAD)
		FUZZ_CHECK(!in->write && (in->width == 1 || in->width == 2 ||
					  in->width == 4 || in->width == 8),
			   "load width %u", in->width);
	FUZZ_CHECK(mode == INSN_MODE_64 || !in->rex, "REX outside 64-bit code");

	/* The bytes after the instruction play no part. */
	FUZZ_CHECK(insn_decode(b, in->len, mode, &again) == 0 &&
		   !memcmp(&again, in, sizeof(again)),
		   "decoding only its %u bytes differs", in->len);
	for (unsigned k = 0; k < in->len; k++)
		FUZZ_CHECK(insn_decode(b, k, mode, &again) == -NV_EINVAL &&
			   again.why == INSN_E_TRUNCATED,
			   "cut to %u of %u bytes: not truncated", k, in->len);
}

static void oracle(const uint8_t *b, unsigned n, enum insn_mode mode,
		   enum insn_why why,
		   const struct insn *in)
{
	ZydisDecoder *d = &dec[mode == INSN_MODE_16 ? 0 : mode == INSN_MODE_32 ? 1 : 2];
	ZydisDecodedInstruction z;
	ZyanStatus zs = ZydisDecoderDecodeInstruction(d, NULL, b, n, &z);

	switch (why) {
	case INSN_OK:
		if (in->op == INSN_MOV_CR && (in->prefixes & INSN_P_LOCK)) {
			uint8_t alt[MAX_BYTES];

			FUZZ_CHECK(zs == ZYDIS_STATUS_ILLEGAL_LOCK,
				   "LOCK MOV CR: Zydis status 0x%x", zs);
			memcpy(alt, b, n);
			for (unsigned i = 0; i < in->nprefixes; i++)
				if (alt[i] == 0xf0)
					alt[i] = 0x3e;
			zs = ZydisDecoderDecodeInstruction(d, NULL, alt, n, &z);
			FUZZ_CHECK(in->reg >= 8, "LOCK MOV CR%u", in->reg);
		}
		FUZZ_CHECK(ZYAN_SUCCESS(zs), "ours accepts op %d len %u, Zydis "
			   "status 0x%x", in->op, in->len, zs);
		FUZZ_CHECK(zydis_is(&z, in->op) && z.length == in->len,
			   "ours op %d len %u, Zydis %s len %u", in->op, in->len,
			   ZydisMnemonicGetString(z.mnemonic), z.length);
		break;
	case INSN_E_UNKNOWN:
		FUZZ_CHECK(!ZYAN_SUCCESS(zs) || !zydis_is_ours(&z),
			   "ours: unknown; Zydis: %s len %u",
			   ZydisMnemonicGetString(z.mnemonic), z.length);
		break;
	case INSN_E_TRUNCATED:
		/* Ours says "too long" only once a 16th byte is there to read
		 * (svm/insn.c); Zydis may know it from the ModRM already. */
		FUZZ_CHECK(zs == ZYDIS_STATUS_NO_MORE_DATA ||
			   zs == ZYDIS_STATUS_INSTRUCTION_TOO_LONG,
			   "ours: truncated; Zydis status 0x%x", zs);
		break;
	case INSN_E_TOO_LONG:
		FUZZ_CHECK(zs == ZYDIS_STATUS_INSTRUCTION_TOO_LONG,
			   "ours: too long; Zydis status 0x%x", zs);
		break;
	case INSN_E_INVALID:
		FUZZ_CHECK(!ZYAN_SUCCESS(zs), "ours: invalid; Zydis: %s len %u",
			   ZydisMnemonicGetString(z.mnemonic), z.length);
		break;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const enum insn_mode modes[3] = { INSN_MODE_16, INSN_MODE_32,
						 INSN_MODE_64 };
	static bool ready;
	enum insn_mode mode;
	struct insn in;
	uint8_t *b;
	unsigned n;
	int r;

	if (!ready) {
		ZydisDecoderInit(&dec[0], ZYDIS_MACHINE_MODE_LEGACY_16,
				 ZYDIS_STACK_WIDTH_16);
		ZydisDecoderInit(&dec[1], ZYDIS_MACHINE_MODE_LEGACY_32,
				 ZYDIS_STACK_WIDTH_32);
		ZydisDecoderInit(&dec[2], ZYDIS_MACHINE_MODE_LONG_64,
				 ZYDIS_STACK_WIDTH_64);
		ready = true;
	}
	if (!size || size > MAX_BYTES + 1)
		return 0;
	mode = modes[data[0] % 3];
	n = (unsigned)size - 1;
	b = malloc(n ? n : 1);
	FUZZ_CHECK(b, "out of memory");
	memcpy(b, data + 1, n);

	memset(&in, 0xa5, sizeof(in));
	r = insn_decode(b, n, mode, &in);
	if (r == 0) {
		FUZZ_CHECK(in.why == INSN_OK, "accepted with why %d", in.why);
		check_accepted(b, n, mode, &in);
	} else {
		FUZZ_CHECK(r == -NV_EINVAL && in.why >= INSN_E_UNKNOWN &&
			   in.why <= INSN_E_INVALID, "result %d why %d", r, in.why);
		FUZZ_CHECK(in.len == 0 && in.op == INSN_NONE,
			   "error %d with length %u op %d", in.why, in.len, in.op);
		FUZZ_CHECK(in.why != INSN_E_TRUNCATED || n < INSN_MAX_LEN,
			   "truncated with %u bytes", n);
		FUZZ_CHECK(in.why != INSN_E_TOO_LONG || n >= INSN_MAX_LEN,
			   "too long with %u bytes", n);
	}
	oracle(b, n, mode, in.why, &in);
	free(b);
	return 0;
}
