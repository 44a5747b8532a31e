/* SPDX-License-Identifier: MIT */
/*
 * Length decoding of the instructions nestvisor intercepts.
 *
 * Without NRIPS (QEMU TCG does not offer it) the VMCB does not say where
 * the intercepted instruction ends, so after emulating it nestvisor must
 * find its length from the bytes at guest RIP.  Only a fixed set of
 * opcodes can cause those intercepts, so this is a small table-free
 * decoder for exactly that set.  No general decoder library (Zydis, XED,
 * ...) is used inside the hypervisor: they depend on libc, are built for a
 * hosted environment (SSE code, large tables) and do far more than we need;
 * Zydis serves only as the oracle in the host test.
 *
 * Encoding rules followed (AMD APM Vol.3 §1.2 "Instruction Prefixes",
 * §1.4 "ModRM and SIB Bytes", §1.5 "16-bit addressing"):
 *  - legacy prefixes 66 67 F0 F2 F3 2E 36 3E 26 64 65 in any number and
 *    order; in 64-bit mode a REX byte (40-4F) counts only if it is the last
 *    prefix before the opcode: a REX followed by a legacy prefix is ignored
 *    (§1.2.7) but its byte still counts in the length;
 *  - of F2 and F3 the last one decides (F3 90 is PAUSE, F3 F2 90 not);
 *  - the whole instruction is at most 15 bytes (longer: #GP on hardware);
 *  - MOV CR/DR (0F 20-23) ignore ModRM.mod: always the register form, no
 *    SIB or displacement; LOCK MOV CR0 means CR8 (AMD AltMovCr8);
 *  - INVLPG (0F 01 /7, mod != 11) has a full memory operand: SIB and
 *    8/16/32-bit displacement, RIP-relative in 64-bit mode, 16-bit forms
 *    when the address size is 16;
 *  - the stores to memory that a write to the xAPIC page can be (the page
 *    is write-protected, svm/apic.c): MOV r/m, reg (88, 89), MOV r/m, imm
 *    (C6 /0 imm8, C7 /0 imm16/imm32 sign-extended under REX.W) and XCHG
 *    r/m, reg (86, 87; LOCK allowed), with a memory operand only; MOV
 *    moffs, AL/eAX/rAX (A2, A3), whose absolute offset has the address
 *    size (a compiler's store to a constant address);
 *  - LMSW (0F 01 /6), register or memory operand like INVLPG's: the
 *    selective CR0 write intercept takes it (svm/cr.c);
 *  - the loads from memory that a read of an emulated MMIO page can be
 *    (the I/O APIC's, svm/ioapic.c): MOV reg, r/m (8A, 8B) with a memory
 *    operand, MOV AL/eAX/rAX, moffs (A0, A1).
 */
#ifndef NV_SVM_INSN_H
#define NV_SVM_INSN_H

#include <stdbool.h>
#include <stdint.h>

#define INSN_MAX_LEN 15

enum insn_mode { INSN_MODE_16 = 16, INSN_MODE_32 = 32, INSN_MODE_64 = 64 };

enum insn_op {
	INSN_NONE = 0,
	INSN_CPUID,	/* 0F A2 */
	INSN_RDMSR,	/* 0F 32 */
	INSN_WRMSR,	/* 0F 30 */
	INSN_RDTSC,	/* 0F 31 */
	INSN_RDTSCP,	/* 0F 01 F9 */
	INSN_HLT,	/* F4 */
	INSN_INVD,	/* 0F 08 */
	INSN_WBINVD,	/* 0F 09 */
	INSN_XSETBV,	/* 0F 01 D1 */
	INSN_VMRUN,	/* 0F 01 D8 */
	INSN_VMMCALL,	/* 0F 01 D9 */
	INSN_VMLOAD,	/* 0F 01 DA */
	INSN_VMSAVE,	/* 0F 01 DB */
	INSN_STGI,	/* 0F 01 DC */
	INSN_CLGI,	/* 0F 01 DD */
	INSN_SKINIT,	/* 0F 01 DE */
	INSN_INVLPGA,	/* 0F 01 DF */
	INSN_PAUSE,	/* F3 90 */
	INSN_INT3,	/* CC */
	INSN_INTN,	/* CD ib */
	INSN_INTO,	/* CE, not in 64-bit mode */
	INSN_IN,	/* E4 ib, E5 ib, EC, ED */
	INSN_OUT,	/* E6 ib, E7 ib, EE, EF */
	INSN_INS,	/* 6C, 6D */
	INSN_OUTS,	/* 6E, 6F */
	INSN_MOV_CR,	/* 0F 20 (read CR), 0F 22 (write CR) */
	INSN_INVLPG,	/* 0F 01 /7, memory operand */
	INSN_MOV_DR,	/* 0F 21 (read DR), 0F 23 (write DR) */
	INSN_MOV_STORE,	/* 88, 89, C6 /0, C7 /0 to memory; A2, A3 */
	INSN_XCHG,	/* 86, 87 with memory */
	INSN_LMSW,	/* 0F 01 /6 */
	INSN_MOV_LOAD,	/* 8A, 8B from memory; A0, A1 */
	INSN_NR_OPS	/* (how many: not an instruction) */
};
#define INSN_OP_LAST INSN_MOV_LOAD

/* Prefixes seen (bits of insn.prefixes). */
#define INSN_P_OPSIZE	(1u << 0)	/* 66 */
#define INSN_P_ADDRSIZE	(1u << 1)	/* 67 */
#define INSN_P_LOCK	(1u << 2)	/* F0 */
#define INSN_P_REPNE	(1u << 3)	/* F2 */
#define INSN_P_REP	(1u << 4)	/* F3 */
#define INSN_P_SEG	(1u << 5)	/* any segment override, see seg */
#define INSN_P_REX	(1u << 6)	/* a REX that counts, see rex */

enum insn_seg {
	INSN_SEG_NONE, INSN_SEG_ES, INSN_SEG_CS, INSN_SEG_SS, INSN_SEG_DS,
	INSN_SEG_FS, INSN_SEG_GS,
};

#define INSN_REX_W 0x08
#define INSN_REX_R 0x04
#define INSN_REX_X 0x02
#define INSN_REX_B 0x01

/* Why insn_decode() failed (struct insn.why). */
enum insn_why {
	INSN_OK = 0,
	INSN_E_UNKNOWN,		/* not one of the opcodes above */
	INSN_E_TRUNCATED,	/* avail ends before the instruction */
	INSN_E_TOO_LONG,	/* more than 15 bytes: #GP */
	INSN_E_INVALID,		/* a form that raises #UD: LOCK on anything
				   but MOV CR and XCHG, CR1/5-7/9-15,
				   DR8-15, XSETBV with 66/F2/F3 */
};

struct insn {
	enum insn_op op;
	uint8_t len;		/* total length, prefixes included */
	uint8_t opcode;		/* last opcode byte (A2, 20, E4, ...) */
	uint8_t nprefixes;	/* prefix bytes, ignored REX included */
	unsigned prefixes;	/* INSN_P_* */
	uint8_t last_rep;	/* F2 or F3, whichever came last, else 0 */
	uint8_t rex;		/* REX byte that counts, else 0 */
	enum insn_seg seg;	/* last segment override */
	uint8_t opsize;		/* effective operand size: 2, 4 or 8 */
	uint8_t addrsize;	/* effective address size: 2, 4 or 8 */
	bool has_modrm, has_sib, rip_relative;
	uint8_t modrm, sib;	/* raw bytes when present */
	uint8_t mod;		/* ModRM.mod (3 for MOV CR/DR) */
	/*
	 * ModRM.reg and .rm with REX.R / REX.B added.  MOV CR/DR: reg is
	 * the CR/DR number (LOCK adds 8: CR8), rm the GPR.
	 */
	uint8_t reg, rm;
	bool write;		/* MOV to CR/DR; OUT/OUTS */
	uint8_t disp_len;	/* 0, 1, 2 or 4 */
	int32_t disp;		/* sign-extended displacement */
	uint8_t imm8;		/* INT n vector, IN/OUT immediate port */
	uint8_t imm_len;	/* MOV r/m, imm: 1, 2 or 4 */
	int32_t imm;		/* that immediate, sign-extended */
	uint8_t width;		/* MOV/XCHG with memory: bytes stored */
	bool imm_port;		/* IN/OUT: port in imm8 (else in DX) */
	uint8_t io_size;	/* IN/OUT/INS/OUTS: 1, 2 or 4 bytes */
	enum insn_why why;	/* INSN_OK, or why the decode failed */
};

/*
 * Decode the instruction at bytes[0..avail) in 16-, 32- or 64-bit code
 * (CS.L=1: 64; else CS.D=1: 32; else 16).  Returns 0 with *out filled, or
 * -NV_EINVAL with out->why saying why (then out->len is 0 and out->op
 * INSN_NONE).
 */
int insn_decode(const uint8_t *bytes, unsigned avail, enum insn_mode mode,
		struct insn *out);

/* What the address of a memory operand is formed from: the code's mode,
 * the GPRs (RAX..R15), the RIP after the instruction (RIP-relative
 * operands) and the segment bases by enum insn_seg. */
struct insn_ctx {
	enum insn_mode mode;
	uint64_t gpr[16];
	uint64_t next_rip;
	uint64_t seg_base[INSN_SEG_GS + 1];
};

/* The linear address of in's memory operand (in->mod != 3), formed and
 * wrapped as the CPU does (svm/insn_la.c). */
uint64_t insn_operand_la(const struct insn *in, const struct insn_ctx *x);

#endif
