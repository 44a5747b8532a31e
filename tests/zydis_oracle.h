/* SPDX-License-Identifier: MIT */
/*
 * The decoder oracle shared by the Zydis host test (test_insn_zydis.c)
 * and the insn fuzz target (fuzz_insn.c): which instruction kind of
 * svm/insn.h a Zydis decode is, written from Zydis's own mnemonics and
 * opcodes, never from svm/insn.c.
 */
#ifndef NV_TESTS_ZYDIS_ORACLE_H
#define NV_TESTS_ZYDIS_ORACLE_H

#include <stdbool.h>
#include <Zydis/Zydis.h>

#include "svm/insn.h"

/* Does Zydis's decode belong to our set, and is it op? */
static inline bool zydis_is(const ZydisDecodedInstruction *z, enum insn_op op)
{
	bool mov0f = z->mnemonic == ZYDIS_MNEMONIC_MOV &&
		     z->opcode_map == ZYDIS_OPCODE_MAP_0F;

	switch (op) {
	case INSN_CPUID: return z->mnemonic == ZYDIS_MNEMONIC_CPUID;
	case INSN_RDMSR: return z->mnemonic == ZYDIS_MNEMONIC_RDMSR;
	case INSN_WRMSR: return z->mnemonic == ZYDIS_MNEMONIC_WRMSR;
	case INSN_RDTSC: return z->mnemonic == ZYDIS_MNEMONIC_RDTSC;
	case INSN_RDTSCP: return z->mnemonic == ZYDIS_MNEMONIC_RDTSCP;
	case INSN_HLT: return z->mnemonic == ZYDIS_MNEMONIC_HLT;
	case INSN_INVD: return z->mnemonic == ZYDIS_MNEMONIC_INVD;
	case INSN_WBINVD: return z->mnemonic == ZYDIS_MNEMONIC_WBINVD;
	case INSN_XSETBV: return z->mnemonic == ZYDIS_MNEMONIC_XSETBV;
	case INSN_VMRUN: return z->mnemonic == ZYDIS_MNEMONIC_VMRUN;
	case INSN_VMMCALL: return z->mnemonic == ZYDIS_MNEMONIC_VMMCALL;
	case INSN_VMLOAD: return z->mnemonic == ZYDIS_MNEMONIC_VMLOAD;
	case INSN_VMSAVE: return z->mnemonic == ZYDIS_MNEMONIC_VMSAVE;
	case INSN_STGI: return z->mnemonic == ZYDIS_MNEMONIC_STGI;
	case INSN_CLGI: return z->mnemonic == ZYDIS_MNEMONIC_CLGI;
	case INSN_SKINIT: return z->mnemonic == ZYDIS_MNEMONIC_SKINIT;
	case INSN_INVLPGA: return z->mnemonic == ZYDIS_MNEMONIC_INVLPGA;
	case INSN_PAUSE: return z->mnemonic == ZYDIS_MNEMONIC_PAUSE;
	case INSN_INT3: return z->mnemonic == ZYDIS_MNEMONIC_INT3;
	case INSN_INTN: return z->mnemonic == ZYDIS_MNEMONIC_INT;
	case INSN_INTO: return z->mnemonic == ZYDIS_MNEMONIC_INTO;
	case INSN_IN: return z->mnemonic == ZYDIS_MNEMONIC_IN;
	case INSN_OUT: return z->mnemonic == ZYDIS_MNEMONIC_OUT;
	case INSN_INS:
		return z->mnemonic == ZYDIS_MNEMONIC_INSB ||
		       z->mnemonic == ZYDIS_MNEMONIC_INSW ||
		       z->mnemonic == ZYDIS_MNEMONIC_INSD;
	case INSN_OUTS:
		return z->mnemonic == ZYDIS_MNEMONIC_OUTSB ||
		       z->mnemonic == ZYDIS_MNEMONIC_OUTSW ||
		       z->mnemonic == ZYDIS_MNEMONIC_OUTSD;
	case INSN_MOV_CR:
		return mov0f && (z->opcode == 0x20 || z->opcode == 0x22);
	case INSN_MOV_DR:
		return mov0f && (z->opcode == 0x21 || z->opcode == 0x23);
	case INSN_INVLPG: return z->mnemonic == ZYDIS_MNEMONIC_INVLPG;
	case INSN_LMSW: return z->mnemonic == ZYDIS_MNEMONIC_LMSW;
	case INSN_MOV_STORE:
		/* 88, 89, C6 /0, C7 /0 with a memory destination; A2, A3 */
		return z->mnemonic == ZYDIS_MNEMONIC_MOV &&
		       z->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
		       (((z->opcode == 0x88 || z->opcode == 0x89 ||
			  z->opcode == 0xc6 || z->opcode == 0xc7) &&
			 z->raw.modrm.mod != 3) ||
			z->opcode == 0xa2 || z->opcode == 0xa3);
	case INSN_MOV_LOAD:
		/* 8A, 8B with a memory source; A0, A1 */
		return z->mnemonic == ZYDIS_MNEMONIC_MOV &&
		       z->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
		       (((z->opcode == 0x8a || z->opcode == 0x8b) &&
			 z->raw.modrm.mod != 3) ||
			z->opcode == 0xa0 || z->opcode == 0xa1);
	case INSN_XCHG:
		/* 86, 87 with a memory operand */
		return z->mnemonic == ZYDIS_MNEMONIC_XCHG &&
		       z->opcode_map == ZYDIS_OPCODE_MAP_DEFAULT &&
		       (z->opcode == 0x86 || z->opcode == 0x87) &&
		       z->raw.modrm.mod != 3;
	default: return false;
	}
}

#endif
