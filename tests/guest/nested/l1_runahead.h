/* SPDX-License-Identifier: MIT */
/*
 * The vCPU block that l1_runahead.S reads before VMRUN and writes after
 * the #VMEXIT, as Linux 6.1's __svm_vcpu_run reads and writes struct
 * vcpu_svm: the address VMLOAD takes, a pointer to a { VMCB, its physical
 * address } pair, and one slot per GPR.  The offsets are our own, all at
 * least 0x80 so that every load has a 32-bit displacement, as in 6.1;
 * RDI's slot is kept 0x48 bytes past R15's so that a block placed across
 * two pages can have RDI's slot alone on the second (cases_runahead.c).
 * Included by the assembly (offsets only) and by C.
 */
#ifndef NV_TESTS_NESTED_L1_RUNAHEAD_H
#define NV_TESTS_NESTED_L1_RUNAHEAD_H

#define RA_VMCB01 0x100 /* VMLOAD's address */
#define RA_CUR    0x108 /* -> struct ra_vmcb_info */
#define RA_RAX    0x110 /* written only when a case ends at a fault */
#define RA_RCX    0x118
#define RA_RDX    0x120
#define RA_RBX    0x128
#define RA_RBP    0x130
#define RA_RSI    0x138
#define RA_R8     0x140
#define RA_R9     0x148
#define RA_R10    0x150
#define RA_R11    0x158
#define RA_R12    0x160
#define RA_R13    0x168
#define RA_R14    0x170
#define RA_R15    0x178
#define RA_RDI    0x1c0
#define RA_SIZE   0x1c8
/* struct ra_vmcb_info: the physical address, read by "mov 8(%rax),%rax" */
#define RA_INFO_PA 0x08
/* What l1_ra_run, l1_ra_step and l1_ra_add put in each GPR they load
 * before the VMLOAD: this plus the register's slot offset. */
#define RA_SENTINEL_BASE 0x5e5e000000000000

#ifndef __ASSEMBLER__
#include <stdint.h>

struct ra_vmcb_info {
	uint64_t va, pa;
};

struct ra_vcpu {
	uint8_t head[RA_VMCB01];
	uint64_t vmcb01_pa;
	const struct ra_vmcb_info *current_vmcb;
	uint64_t rax, rcx, rdx, rbx, rbp, rsi;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
	uint64_t gap[(RA_RDI - RA_R15 - 8) / 8];
	uint64_t rdi;
};

#define RA_OFF(f) __builtin_offsetof(struct ra_vcpu, f)
_Static_assert(RA_OFF(vmcb01_pa) == RA_VMCB01 && RA_OFF(current_vmcb) == RA_CUR,
	       "l1_runahead.h: head");
_Static_assert(RA_OFF(rax) == RA_RAX && RA_OFF(rcx) == RA_RCX && RA_OFF(rdx) == RA_RDX &&
	       RA_OFF(rbx) == RA_RBX && RA_OFF(rbp) == RA_RBP && RA_OFF(rsi) == RA_RSI,
	       "l1_runahead.h: legacy GPRs");
_Static_assert(RA_OFF(r8) == RA_R8 && RA_OFF(r9) == RA_R9 && RA_OFF(r10) == RA_R10 &&
	       RA_OFF(r11) == RA_R11 && RA_OFF(r12) == RA_R12 && RA_OFF(r13) == RA_R13 &&
	       RA_OFF(r14) == RA_R14 && RA_OFF(r15) == RA_R15 && RA_OFF(rdi) == RA_RDI,
	       "l1_runahead.h: R8-R15, RDI");
_Static_assert(sizeof(struct ra_vcpu) == RA_SIZE, "l1_runahead.h: size");
_Static_assert(__builtin_offsetof(struct ra_vmcb_info, pa) == RA_INFO_PA,
	       "l1_runahead.h: info");

/* l1_runahead.S: CLGI/STGI are the caller's.  v is read as 6.1 reads its
 * vcpu_svm; out receives the GPRs after the #VMEXIT (or at the fault the
 * catcher sent to *_fault).  l1_ra_run, l1_ra_step (RFLAGS.TF set before
 * the load of VMLOAD's address, cleared after VMRUN) and l1_ra_add (the
 * RBX load is "add" instead of "mov") first set every GPR they load to
 * RA_SENTINEL(its slot's offset); l1_kvm_run (nbench) does not. */
#define RA_SENTINEL(off) ((uint64_t)RA_SENTINEL_BASE | (off))
void l1_ra_run(const struct ra_vcpu *v, struct ra_vcpu *out);
void l1_ra_step(const struct ra_vcpu *v, struct ra_vcpu *out);
void l1_ra_add(const struct ra_vcpu *v, struct ra_vcpu *out);
void l1_kvm_run(const struct ra_vcpu *v, struct ra_vcpu *out);
/* For each of the first three: the addresses of the VMLOAD, of the 16
 * loads after it (M1, M2: RAX; M3..M16: RCX, RDX, RBX, RBP, RSI, R8-R15,
 * RDI), of the JMP and of the VMRUN; then of the instruction after VMRUN
 * and of the fault exit (*_fault: stores RAX to out, then the same
 * stores). */
enum { RA_I_VMLOAD, RA_I_M1, RA_I_M16 = RA_I_M1 + 15, RA_I_JMP, RA_I_VMRUN,
       RA_I_AFTER, RA_I_FAULT, RA_I_N };
extern const uint64_t l1_ra_run_at[RA_I_N], l1_ra_step_at[RA_I_N], l1_ra_add_at[RA_I_N];
#endif

#endif
