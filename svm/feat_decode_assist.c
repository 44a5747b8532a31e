// SPDX-License-Identifier: MIT
/*
 * Decode assists as nestvisor gives them to L1: the rules of APM Vol. 2
 * §15.35 as functions of the decoded instruction (rules and sources in
 * feat_decode_assist.h; what nestvisor does with them: docs/nested.md,
 * "Decode assists").
 *
 * The memory operand of INVLPG (da_mem_linear): ModRM.rm and SIB name a
 * base and an index; the effective address is base + index * scale +
 * displacement, wrapped to the address size; mod 00 with rm (or SIB base)
 * 101 has no base (displacement only; RIP-relative in 64-bit mode without
 * a SIB).  16-bit addressing has its own eight forms.  The segment is the
 * override, or SS for forms based on rBP or rSP, else DS; the linear
 * address adds its base (only FS and GS in 64-bit mode) and is 32 bits
 * wide outside 64-bit mode.
 */
#include "svm/feat_decode_assist.h"

#include "mm/pferr.h"
#include "svm/exit_code.h"

enum { GPR_RAX, GPR_RCX, GPR_RDX, GPR_RBX, GPR_RSP, GPR_RBP, GPR_RSI, GPR_RDI };

static uint64_t addr_mask(unsigned size)
{
	return size == 8 ? ~0ull : size == 4 ? 0xffffffffull : 0xffffull;
}

/* 16-bit forms (APM Vol. 3 Table 1-12): BX+SI, BX+DI, BP+SI, BP+DI, SI,
 * DI, BP (disp16 alone with mod 00), BX.  *ss: based on BP. */
static uint64_t ea16(const struct insn *in, const struct da_regs *r, bool *ss)
{
	static const int8_t base[8] = { GPR_RBX, GPR_RBX, GPR_RBP, GPR_RBP,
					-1, -1, GPR_RBP, GPR_RBX };
	static const int8_t index[8] = { GPR_RSI, GPR_RDI, GPR_RSI, GPR_RDI,
					 GPR_RSI, GPR_RDI, -1, -1 };
	unsigned rm = in->modrm & 7;
	uint64_t ea = (uint64_t)(int64_t)in->disp;

	if (in->mod == 0 && rm == 6) {
		*ss = false;
		return ea;
	}
	if (base[rm] >= 0)
		ea += r->gpr[base[rm]];
	if (index[rm] >= 0)
		ea += r->gpr[index[rm]];
	*ss = base[rm] == GPR_RBP;
	return ea;
}

/* 32- and 64-bit forms (APM Vol. 3 §1.4.1, Tables 1-13 to 1-15). */
static uint64_t ea32_64(const struct insn *in, const struct da_regs *r,
			bool *ss)
{
	uint64_t ea = (uint64_t)(int64_t)in->disp;
	unsigned base;

	*ss = false;
	if (in->rip_relative)
		return r->rip + in->len + ea;
	if (in->has_sib) {
		unsigned index = ((in->sib >> 3) & 7) |
				 (in->rex & INSN_REX_X ? 8 : 0);

		base = (in->sib & 7) | (in->rex & INSN_REX_B ? 8 : 0);
		if (index != GPR_RSP) /* index 100b without REX.X: none */
			ea += r->gpr[index] << (in->sib >> 6);
	} else {
		base = (in->modrm & 7) | (in->rex & INSN_REX_B ? 8 : 0);
	}
	if (in->mod == 0 && (base & 7) == 5)
		return ea; /* no base: disp32 */
	*ss = base == GPR_RSP || base == GPR_RBP;
	return ea + r->gpr[base];
}

uint64_t da_mem_linear(const struct insn *in, const struct da_regs *r)
{
	uint64_t ea, mask = addr_mask(in->addrsize);
	enum insn_seg seg;
	bool ss;

	ea = in->addrsize == 2 ? ea16(in, r, &ss) : ea32_64(in, r, &ss);
	ea &= mask;
	seg = in->seg != INSN_SEG_NONE ? in->seg :
	      ss ? INSN_SEG_SS : INSN_SEG_DS;
	if (r->mode == INSN_MODE_64)
		return seg == INSN_SEG_FS || seg == INSN_SEG_GS ?
			       ea + r->seg_base[seg] : ea;
	return (ea + r->seg_base[seg]) & 0xffffffffull;
}

static bool in_range(uint64_t code, uint64_t first, uint64_t last)
{
	return code >= first && code <= last;
}

bool da_exit_info1(uint64_t code, const struct insn *in,
		   const struct da_regs *r, uint64_t *info1)
{
	bool cr_write = in_range(code, VMEXIT_CR0_WRITE, VMEXIT_CR15_WRITE) ||
			code == VMEXIT_CR0_SEL_WRITE;

	if (cr_write || in_range(code, VMEXIT_CR0_READ, VMEXIT_CR15_READ)) {
		*info1 = 0;
		if (in && in->op == INSN_MOV_CR)
			*info1 = (in->rm & DA_GPR_MASK) |
				 (cr_write ? DA_CR_MOV : 0);
		return true;
	}
	if (in_range(code, VMEXIT_DR0_READ, VMEXIT_DR15_WRITE)) {
		*info1 = in && in->op == INSN_MOV_DR ? in->rm & DA_GPR_MASK : 0;
		return true;
	}
	switch (code) {
	case VMEXIT_SWINT:
		*info1 = in && in->op == INSN_INTN ? in->imm8 : 0;
		return true;
	case VMEXIT_INVLPG:
		*info1 = in && in->op == INSN_INVLPG ? da_mem_linear(in, r) : 0;
		return true;
	case VMEXIT_INVLPGA:
		*info1 = in && in->op == INSN_INVLPGA ?
				 r->gpr[GPR_RAX] & addr_mask(in->addrsize) : 0;
		return true;
	default:
		return false;
	}
}

bool da_fetch_fault(uint64_t error_code, bool id_valid, unsigned fetched,
		    uint64_t fault_addr, uint64_t stop_addr)
{
	if (id_valid)
		return (error_code & PFERR_FETCH) != 0;
	return fetched < DA_MAX_BYTES && fault_addr == stop_addr;
}
