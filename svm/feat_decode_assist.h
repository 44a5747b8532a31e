/* SPDX-License-Identifier: MIT */
/*
 * Decode assists (CPUID 8000_000A EDX[7]) as nestvisor gives them to L1,
 * AMD APM Vol. 2 §15.35.  On an exit L1 intercepts, the CPU with decode
 * assists tells the hypervisor what the intercepted instruction was about:
 *
 *  - MOV to CRn (exit CRn write, and the selective CR0 write 0x65):
 *    EXITINFO1[63] = 1 and EXITINFO1[3:0] = the source GPR; CLTS and LMSW,
 *    which raise the same intercepts, give EXITINFO1[63] = 0;
 *  - MOV from CRn, MOV to/from DRn: EXITINFO1[3:0] = the GPR (bit 63 is
 *    defined for CR writes only: it tells MOV from CLTS/LMSW);
 *  - INTn (exit SWINT): EXITINFO1[7:0] = the vector n;
 *  - INVLPG: EXITINFO1 = the linear address the instruction names;
 *    INVLPGA: EXITINFO1 = rAX (the linear address operand);
 *  - #PF (exception intercept 14) and #NPF: up to 15 bytes of the
 *    instruction at CS:RIP in the VMCB (0D0h: how many; 0D1h: the
 *    bytes), fetched as the instruction fetch would, stopping at the
 *    first byte that cannot be fetched; none (0) for a fault of the
 *    instruction fetch itself.  Every other exit writes 0 at 0D0h.
 *
 * The pure part, host-testable: the rules above as functions of the
 * decoded instruction (svm/insn.h) and the guest's registers.  The glue
 * that reads L2's state is svm/nested_feat.c.
 */
#ifndef NV_SVM_FEAT_DECODE_ASSIST_H
#define NV_SVM_FEAT_DECODE_ASSIST_H

#include <stdbool.h>
#include <stdint.h>

#include "svm/exit_code.h"
#include "svm/insn.h"

/* EXITINFO1[63] of a MOV to CRn (APM Vol. 2 §15.35). */
#define DA_CR_MOV   (1ull << 63)
/* EXITINFO1[3:0]: the GPR of MOV CR/DR. */
#define DA_GPR_MASK 0xfull
/* VMCB 0D0h-0DFh: number of bytes fetched, then the bytes. */
#define DA_MAX_BYTES 15

/* What the address computation of an instruction needs of the guest. */
struct da_regs {
	/* GPRs in encoding order: RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI,
	 * R8-R15. */
	uint64_t gpr[16];
	/* Segment bases, indexed by enum insn_seg (INSN_SEG_NONE unused). */
	uint64_t seg_base[INSN_SEG_GS + 1];
	uint64_t rip;          /* of the instruction */
	enum insn_mode mode;   /* 64: CS.L in long mode; else 32 or 16 */
};

/* The linear address of the memory operand of a decoded instruction with
 * ModRM.mod != 3 (INVLPG): effective address by the address size (APM
 * Vol. 3 §1.4, 16-bit forms §1.5), RIP-relative from the next instruction,
 * plus the segment base (default DS, SS for rBP/rSP-based forms, or the
 * override; in 64-bit mode only FS and GS have a base), truncated to 32
 * bits outside 64-bit mode. */
uint64_t da_mem_linear(const struct insn *in, const struct da_regs *r);

/* Is exit `code` one whose EXITINFO1 describes its instruction (CR and DR
 * accesses, selective CR0 write, SWINT, INVLPG, INVLPGA)?  Inline: it is
 * asked on every reflected exit. */
static inline bool da_exit_has_info1(uint64_t code)
{
	return code <= VMEXIT_DR15_WRITE || code == VMEXIT_CR0_SEL_WRITE ||
	       code == VMEXIT_SWINT || code == VMEXIT_INVLPG ||
	       code == VMEXIT_INVLPGA;
}

/* da_exit_has_bytes() || da_exit_has_info1(), in a few instructions:
 * codes 0x00-0x3f, then a bit per code of 0x40-0x7f, and #NPF. */
static inline bool da_exit_is_described(uint64_t code)
{
	const uint64_t codes_40_7f =
		1ull << (VMEXIT_EXCP_BASE + 14 - 0x40) |
		1ull << (VMEXIT_CR0_SEL_WRITE - 0x40) |
		1ull << (VMEXIT_SWINT - 0x40) | 1ull << (VMEXIT_INVLPG - 0x40) |
		1ull << (VMEXIT_INVLPGA - 0x40);

	if (code < 0x40)
		return true;
	if (code < 0x80)
		return (codes_40_7f >> (code - 0x40)) & 1;
	return code == VMEXIT_NPF;
}

/*
 * EXITINFO1 of exit `code` with decode assists, for the exits that have
 * one (CR and DR accesses, selective CR0 write, SWINT, INVLPG, INVLPGA):
 * true with *info1 set.  `in` is the instruction at the guest's RIP as
 * decoded, or NULL when it is none nestvisor decodes (CLTS, LMSW, SMSW):
 * then a CR or DR exit has EXITINFO1 = 0.  False for any other exit code
 * (its EXITINFO1 is not about the instruction).
 */
bool da_exit_info1(uint64_t code, const struct insn *in,
		   const struct da_regs *r, uint64_t *info1);

/* Does exit `code` carry instruction bytes (#PF intercept, #NPF)? */
static inline bool da_exit_has_bytes(uint64_t code)
{
	return code == VMEXIT_EXCP_BASE + 14 || code == VMEXIT_NPF;
}

/*
 * Was the #PF or #NPF a fault of the instruction fetch itself (then no
 * bytes are given)?  id_valid: the error code's I/D bit (bit 4) is
 * meaningful (for #PF, the guest's EFER.NXE or CR4.SMEP is set; for #NPF,
 * the CPU below reports it); then it decides.  Otherwise the fault was a
 * fetch when the fetch of the bytes stopped short (fetched < 15) exactly
 * at the faulting address (fault_addr == stop_addr, the address of the
 * first byte that could not be fetched).
 */
bool da_fetch_fault(uint64_t error_code, bool id_valid, unsigned fetched,
		    uint64_t fault_addr, uint64_t stop_addr);

#endif
