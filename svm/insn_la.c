// SPDX-License-Identifier: MIT
/*
 * The linear address of a decoded instruction's memory operand (svm/insn.h
 * insn_operand_la()), as the CPU forms it (APM Vol. 3 §1.4 and §1.5, ModRM
 * and SIB; Vol. 2 chapter 4, "Segmented Virtual Memory"):
 *  1. the effective address: base + index * scale + displacement, or
 *     RIP + displacement for a RIP-relative operand, computed modulo
 *     2^16, 2^32 or 2^64 by the effective address size;
 *  2. the segment: the override if any, else SS for a base of rBP or rSP
 *     (BP-based forms in 16-bit addressing), else DS;
 *  3. the linear address: in 64-bit mode the effective address plus the
 *     base of FS or GS (the other bases count as 0); otherwise the
 *     segment's base plus the effective address, modulo 2^32.
 * Segment limits and rights are not checked here.  Plain C, host-tested
 * (tests/host/test_insn_la.c).
 */
#include "svm/insn.h"

/* 16-bit addressing (§1.5): base and index by ModRM.rm. */
static const int8_t rm16_base[8] = { 3, 3, 5, 5, -1, -1, 5, 3 };  /* BX BP */
static const int8_t rm16_index[8] = { 6, 7, 6, 7, 6, 7, -1, -1 }; /* SI DI */

#define REG_SP 4
#define REG_BP 5

static uint64_t size_mask(unsigned bytes)
{
	return bytes == 8 ? ~0ull : bytes == 4 ? 0xffffffffull : 0xffffull;
}

uint64_t insn_operand_la(const struct insn *in, const struct insn_ctx *x)
{
	unsigned rm = in->modrm & 7;
	enum insn_seg seg = INSN_SEG_DS;
	uint64_t ea = (uint64_t)(int64_t)in->disp;
	int base = -1, index = -1, scale = 0;

	if (in->addrsize == 2) {
		if (!(in->mod == 0 && rm == 6)) {
			base = rm16_base[rm];
			index = rm16_index[rm];
		}
	} else if (in->has_sib) {
		base = (in->sib & 7) | (in->rex & INSN_REX_B ? 8 : 0);
		index = ((in->sib >> 3) & 7) | (in->rex & INSN_REX_X ? 8 : 0);
		scale = in->sib >> 6;
		if (index == REG_SP)
			index = -1;	/* no index */
		if ((in->sib & 7) == REG_BP && in->mod == 0)
			base = -1;	/* disp32 only */
	} else if (in->mod == 0 && rm == REG_BP) {
		if (in->rip_relative)
			ea += x->next_rip;
	} else {
		base = in->rm;
	}
	if (base >= 0)
		ea += x->gpr[base];
	if (index >= 0)
		ea += x->gpr[index] << scale;
	ea &= size_mask(in->addrsize);
	if (base >= 0 && ((base & 7) == REG_BP || (base & 7) == REG_SP) &&
	    (in->addrsize != 2 || base == REG_BP))
		seg = INSN_SEG_SS;
	if (in->seg != INSN_SEG_NONE)
		seg = in->seg;
	if (x->mode == INSN_MODE_64)
		return seg == INSN_SEG_FS || seg == INSN_SEG_GS ?
			       x->seg_base[seg] + ea : ea;
	return (x->seg_base[seg] + ea) & 0xffffffffull;
}
