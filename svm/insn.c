// SPDX-License-Identifier: MIT
/*
 * Instruction-length decoder for intercepted instructions (rules and API
 * in insn.h).
 *
 * Three steps: the prefix loop (legacy prefixes and, in 64-bit mode, REX,
 * which is dropped again when a legacy prefix follows it), the opcode
 * switch for the one- and two-byte opcodes we know, and for INVLPG the
 * ModRM/SIB/displacement walk.  Every byte is fetched through next(), which
 * enforces the 15-byte limit before the available length, so a run of
 * prefixes longer than 15 bytes is "too long" even in a short buffer only
 * if the buffer really holds it.
 */
#include "svm/insn.h"

#include <stddef.h>

#include "core/err.h"

struct cursor {
	const uint8_t *bytes;
	unsigned avail;
	unsigned pos;
	int err;
};

/* The next byte, or -1 with c->err set. */
static int next(struct cursor *c)
{
	if (c->pos >= INSN_MAX_LEN) {
		c->err = INSN_E_TOO_LONG;
		return -1;
	}
	if (c->pos >= c->avail) {
		c->err = INSN_E_TRUNCATED;
		return -1;
	}
	return c->bytes[c->pos++];
}

static enum insn_seg seg_of(int b)
{
	switch (b) {
	case 0x26: return INSN_SEG_ES;
	case 0x2e: return INSN_SEG_CS;
	case 0x36: return INSN_SEG_SS;
	case 0x3e: return INSN_SEG_DS;
	case 0x64: return INSN_SEG_FS;
	case 0x65: return INSN_SEG_GS;
	default: return INSN_SEG_NONE;
	}
}

/* Legacy prefix bit for b, 0 if b is not a legacy prefix. */
static unsigned legacy_prefix(int b)
{
	switch (b) {
	case 0x66: return INSN_P_OPSIZE;
	case 0x67: return INSN_P_ADDRSIZE;
	case 0xf0: return INSN_P_LOCK;
	case 0xf2: return INSN_P_REPNE;
	case 0xf3: return INSN_P_REP;
	default: return seg_of(b) != INSN_SEG_NONE ? INSN_P_SEG : 0;
	}
}

/* Returns the first opcode byte, having consumed the prefixes. */
static int prefixes(struct cursor *c, enum insn_mode mode, struct insn *in)
{
	for (;;) {
		int b = next(c);
		unsigned p;

		if (b < 0)
			return -1;
		p = legacy_prefix(b);
		if (p) {
			in->prefixes = (in->prefixes | p) & ~INSN_P_REX;
			in->rex = 0;	/* a REX before it is ignored */
			if (p == INSN_P_SEG)
				in->seg = seg_of(b);
			if (p == INSN_P_REP || p == INSN_P_REPNE)
				in->last_rep = (uint8_t)b;
		} else if (mode == INSN_MODE_64 && (b & 0xf0) == 0x40) {
			in->prefixes |= INSN_P_REX;
			in->rex = (uint8_t)b;
		} else {
			in->nprefixes = (uint8_t)(c->pos - 1);
			return b;
		}
	}
}

/* A memory operand (INVLPG, MOV and XCHG to memory): SIB and
 * displacement after the ModRM. */
static int memory_operand(struct cursor *c, struct insn *in, bool mode64)
{
	unsigned rm = in->modrm & 7, base;
	int b;

	in->disp_len = 0;
	if (in->addrsize == 2) {
		/* §1.5: [bp] with mod 00 is disp16 instead. */
		if ((in->mod == 0 && rm == 6) || in->mod == 2)
			in->disp_len = 2;
		else if (in->mod == 1)
			in->disp_len = 1;
	} else {
		base = rm;
		if (rm == 4) {
			b = next(c);
			if (b < 0)
				return c->err;
			in->has_sib = true;
			in->sib = (uint8_t)b;
			base = in->sib & 7;
		}
		if (in->mod == 1)
			in->disp_len = 1;
		else if (in->mod == 2 || (in->mod == 0 && base == 5))
			in->disp_len = 4;
		/*
		 * mod 00 rm 101 (no SIB): RIP-relative in 64-bit mode, also
		 * with a 67 prefix (then EIP-relative).
		 */
		in->rip_relative = mode64 && in->mod == 0 && rm == 5;
	}
	{
		uint32_t v = 0;

		for (unsigned i = 0; i < in->disp_len; i++) {
			b = next(c);
			if (b < 0)
				return c->err;
			v |= (uint32_t)b << (8 * i);
		}
		if (in->disp_len == 1)
			in->disp = (int8_t)v;
		else if (in->disp_len == 2)
			in->disp = (int16_t)v;
		else
			in->disp = (int32_t)v;
	}
	return 0;
}

static int read_modrm(struct cursor *c, struct insn *in)
{
	int b = next(c);

	if (b < 0)
		return c->err;
	in->has_modrm = true;
	in->modrm = (uint8_t)b;
	in->mod = (uint8_t)(b >> 6);
	in->reg = (uint8_t)(((b >> 3) & 7) | (in->rex & INSN_REX_R ? 8 : 0));
	in->rm = (uint8_t)((b & 7) | (in->rex & INSN_REX_B ? 8 : 0));
	return 0;
}

/* 0F 01 group: SVM instructions, XSETBV, RDTSCP, INVLPG, LMSW. */
static int group_0f01(struct cursor *c, struct insn *in, bool mode64)
{
	static const enum insn_op svm[8] = {
		INSN_VMRUN, INSN_VMMCALL, INSN_VMLOAD, INSN_VMSAVE,
		INSN_STGI, INSN_CLGI, INSN_SKINIT, INSN_INVLPGA,
	};
	int r = read_modrm(c, in);

	if (r)
		return r;
	if (in->modrm >= 0xd8 && in->modrm <= 0xdf)
		in->op = svm[in->modrm - 0xd8];
	else if (in->modrm == 0xd1)
		in->op = INSN_XSETBV;	/* NP: 66/F2/F3 give #UD, below */
	else if (in->modrm == 0xf9)
		in->op = INSN_RDTSCP;
	else if (in->mod != 3 && ((in->modrm >> 3) & 7) == 7)
		in->op = INSN_INVLPG;
	else if (((in->modrm >> 3) & 7) == 6)
		in->op = INSN_LMSW;
	else
		return INSN_E_UNKNOWN;
	if (in->op == INSN_XSETBV &&
	    (in->prefixes & (INSN_P_OPSIZE | INSN_P_REP | INSN_P_REPNE)))
		return INSN_E_INVALID;
	return in->mod != 3 && (in->op == INSN_INVLPG || in->op == INSN_LMSW) ?
		       memory_operand(c, in, mode64) : 0;
}

/* 0F 20-23: MOV from/to CR or DR; mod is ignored (always registers). */
static int mov_cr_dr(struct cursor *c, struct insn *in, int op2)
{
	int r = read_modrm(c, in);

	if (r)
		return r;
	in->mod = 3;
	in->write = op2 == 0x22 || op2 == 0x23;
	if (op2 == 0x20 || op2 == 0x22) {
		in->op = INSN_MOV_CR;
		if (in->prefixes & INSN_P_LOCK)
			in->reg |= 8;	/* AltMovCr8 */
		if (in->reg != 0 && in->reg != 2 && in->reg != 3 &&
		    in->reg != 4 && in->reg != 8)
			return INSN_E_INVALID;
	} else {
		in->op = INSN_MOV_DR;
		if (in->reg > 7)
			return INSN_E_INVALID;
	}
	return 0;
}

static int two_byte(struct cursor *c, struct insn *in, bool mode64)
{
	int b = next(c);

	if (b < 0)
		return c->err;
	in->opcode = (uint8_t)b;
	switch (b) {
	case 0xa2: in->op = INSN_CPUID; return 0;
	case 0x32: in->op = INSN_RDMSR; return 0;
	case 0x30: in->op = INSN_WRMSR; return 0;
	case 0x31: in->op = INSN_RDTSC; return 0;
	case 0x08: in->op = INSN_INVD; return 0;
	case 0x09: in->op = INSN_WBINVD; return 0;
	case 0x01: return group_0f01(c, in, mode64);
	case 0x20: case 0x21: case 0x22: case 0x23:
		return mov_cr_dr(c, in, b);
	default: return INSN_E_UNKNOWN;
	}
}

/* The ModRM of a MOV or XCHG with a memory operand (a register one is
 * not ours: it touches no emulated page); its width from opcode b. */
static int memory_modrm(struct cursor *c, struct insn *in, int b)
{
	int r = read_modrm(c, in);

	if (r)
		return r;
	if (in->mod == 3)
		return INSN_E_UNKNOWN;
	in->width = b & 1 ? in->opsize : 1;
	return 0;
}

/* MOV and XCHG with a memory destination; a register destination is
 * not ours (it cannot write the APIC page). */
static int store(struct cursor *c, struct insn *in, int b, bool mode64)
{
	int r = memory_modrm(c, in, b);

	if (r)
		return r;
	in->write = true;
	if (b == 0xc6 || b == 0xc7) {
		if ((in->modrm >> 3) & 7)
			return INSN_E_UNKNOWN;	/* C6/C7 /1-/7 */
		in->imm_len = b == 0xc6 ? 1 : in->opsize == 2 ? 2 : 4;
	}
	in->op = b == 0x86 || b == 0x87 ? INSN_XCHG : INSN_MOV_STORE;
	r = memory_operand(c, in, mode64);
	if (r)
		return r;
	if (in->imm_len) {
		uint32_t v = 0;

		for (unsigned i = 0; i < in->imm_len; i++) {
			int x = next(c);

			if (x < 0)
				return c->err;
			v |= (uint32_t)x << (8 * i);
		}
		in->imm = in->imm_len == 1 ? (int8_t)v :
			  in->imm_len == 2 ? (int16_t)v : (int32_t)v;
	}
	return 0;
}

/* MOV reg, r/m (8A, 8B) with a memory source; a register source is not
 * ours (it reads no MMIO). */
static int load(struct cursor *c, struct insn *in, int b, bool mode64)
{
	int r = memory_modrm(c, in, b);

	if (r)
		return r;
	in->op = INSN_MOV_LOAD;
	return memory_operand(c, in, mode64);
}

/* MOV moffs, AL / eAX (A2, A3) and MOV AL / eAX, moffs (A0, A1): no
 * ModRM; the absolute offset has the address size (8 bytes in 64-bit
 * code without 67); the register is the accumulator.  The offset is not
 * kept: the #NPF gives the address. */
static int store_moffs(struct cursor *c, struct insn *in, int b)
{
	for (unsigned i = 0; i < in->addrsize; i++)
		if (next(c) < 0)
			return c->err;
	in->width = b & 1 ? in->opsize : 1;
	in->write = b & 2;
	in->reg = 0;
	in->op = b & 2 ? INSN_MOV_STORE : INSN_MOV_LOAD;
	return 0;
}

static int one_byte(struct cursor *c, struct insn *in, int b, bool mode64)
{
	int imm;

	switch (b) {
	case 0x86: case 0x87: case 0x88: case 0x89: case 0xc6: case 0xc7:
		return store(c, in, b, mode64);
	case 0x8a: case 0x8b:
		return load(c, in, b, mode64);
	case 0xa0: case 0xa1: case 0xa2: case 0xa3:
		return store_moffs(c, in, b);
	case 0xf4: in->op = INSN_HLT; return 0;
	case 0xcc: in->op = INSN_INT3; return 0;
	case 0xce:
		/* INTO does not exist in 64-bit mode. */
		if (mode64)
			return INSN_E_UNKNOWN;
		in->op = INSN_INTO;
		return 0;
	case 0x90:
		/* F3 90 is PAUSE (with or without REX). */
		if (in->last_rep != 0xf3)
			return INSN_E_UNKNOWN;
		in->op = INSN_PAUSE;
		return 0;
	case 0xcd: case 0xe4: case 0xe5: case 0xe6: case 0xe7:
		imm = next(c);
		if (imm < 0)
			return c->err;
		in->imm8 = (uint8_t)imm;
		if (b == 0xcd) {
			in->op = INSN_INTN;
			return 0;
		}
		in->imm_port = true;
		in->op = b & 2 ? INSN_OUT : INSN_IN;
		break;
	case 0xec: case 0xed: case 0xee: case 0xef:
		in->op = b & 2 ? INSN_OUT : INSN_IN;
		break;
	case 0x6c: case 0x6d: case 0x6e: case 0x6f:
		in->op = b & 2 ? INSN_OUTS : INSN_INS;
		break;
	default:
		return INSN_E_UNKNOWN;
	}
	/* I/O: bit 0 selects byte or word/dword; REX.W does not widen. */
	in->write = in->op == INSN_OUT || in->op == INSN_OUTS;
	in->io_size = b & 1 ? (in->opsize == 2 ? 2 : 4) : 1;
	return 0;
}

static void clear(struct insn *in)
{
	uint8_t *p = (uint8_t *)in;

	for (size_t i = 0; i < sizeof(*in); i++)
		p[i] = 0;
}

int insn_decode(const uint8_t *bytes, unsigned avail, enum insn_mode mode,
		struct insn *out)
{
	struct cursor c = { .bytes = bytes, .avail = avail };
	bool p66, p67;
	int b, r;

	clear(out);
	b = prefixes(&c, mode, out);
	if (b < 0) {
		r = c.err;
		goto fail;
	}
	out->opcode = (uint8_t)b;
	p66 = out->prefixes & INSN_P_OPSIZE;
	p67 = out->prefixes & INSN_P_ADDRSIZE;
	if (mode == INSN_MODE_64) {
		out->opsize = out->rex & INSN_REX_W ? 8 : p66 ? 2 : 4;
		out->addrsize = p67 ? 4 : 8;
	} else if (mode == INSN_MODE_32) {
		out->opsize = p66 ? 2 : 4;
		out->addrsize = p67 ? 2 : 4;
	} else {
		out->opsize = p66 ? 4 : 2;
		out->addrsize = p67 ? 4 : 2;
	}
	r = b == 0x0f ? two_byte(&c, out, mode == INSN_MODE_64)
		      : one_byte(&c, out, b, mode == INSN_MODE_64);
	if (!r && (out->prefixes & INSN_P_LOCK) && out->op != INSN_MOV_CR &&
	    out->op != INSN_XCHG)
		r = INSN_E_INVALID;	/* LOCK on a non-lockable opcode */
	if (r)
		goto fail;
	out->len = (uint8_t)c.pos;
	return 0;

fail:
	clear(out);
	out->why = (enum insn_why)r;
	return -NV_EINVAL;
}
