/* SPDX-License-Identifier: MIT */
/*
 * Handlers of L1's intercepted events, one file each (svm/cpuid.c,
 * svm/msr.c, svm/ioio.c, svm/npf.c; hypercalls in svm/hypercall.c).
 * svm/exit.c dispatches to them.
 */
#ifndef NV_SVM_INTERCEPTS_H
#define NV_SVM_INTERCEPTS_H

#include <stdint.h>

#include "core/x86.h"
#include "svm/vcpu.h"
#include "svm/insn.h"

/*
 * The intercepts nestvisor needs for itself: vmcb01 runs with exactly
 * these, every vmcb02 with these OR'd with L1's (svm/nested.c).  VMRUN
 * must be intercepted (a VMRUN consistency check); L1's SVM instructions
 * are emulated (svm/nested*.c); CPUID, MSRs and I/O are filtered by the
 * handlers below and the permission maps; SHUTDOWN is logged; SMIs are
 * taken in host mode (svm/smi.c); MOV to CR4 is checked (svm/cr.c);
 * INVD becomes WBINVD (svm/cache.c, which also takes WBINVD).
 */
#define L0_INTERCEPT1 (INTERCEPT1_SMI | INTERCEPT1_CPUID | INTERCEPT1_INVD |  \
		       INTERCEPT1_MSR_PROT | INTERCEPT1_IOIO_PROT |           \
		       INTERCEPT1_SHUTDOWN | INTERCEPT1_INVLPGA)
/* MOV to CR4: checked as the CPU would (svm/cr.c). */
#define L0_INTERCEPT_CR (1u << (16 + 4))
#define L0_INTERCEPT2 (INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL |               \
		       INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE | INTERCEPT2_STGI | \
		       INTERCEPT2_CLGI | INTERCEPT2_SKINIT | INTERCEPT2_WBINVD)

void handle_cpuid(struct cpu *cpu);
void handle_msr(struct cpu *cpu);
void handle_ioio(struct cpu *cpu);
void handle_npf(struct cpu *cpu);
void handle_vmmcall(struct cpu *cpu);
void handle_smi(struct cpu *cpu);

/* L1 cannot continue (a triple fault, a state the CPU refuses): logged
 * with why and the vCPU's state, then the run ends as for a triple fault
 * (QEMU status 251, or halt).  Never returns. */
__attribute__((noreturn)) void l1_shutdown(struct cpu *cpu, const char *why);
void handle_cr4_write(struct cpu *cpu);
void handle_invd(struct cpu *cpu);
void handle_wbinvd(struct cpu *cpu);

/* General-purpose register n (0 RAX ... 15 R15) of the running guest. */
uint64_t guest_gpr(const struct cpu *cpu, unsigned n);

/* Does MOV CR4 of val (over old) raise #GP on a CPU whose supported CR4
 * bits are allowed, with these CR0, CR3 and EFER?  (svm/cr.c) */
bool cr4_write_faults(uint64_t allowed, uint64_t old, uint64_t val,
		      uint64_t cr0, uint64_t cr3, uint64_t efer);

/* Event injection into L1 (APM Vol. 2 §15.20).  A fault: RIP unchanged. */
void inject_exception(struct cpu *cpu, enum x86_vector vector, bool has_err,
		      uint32_t err);

/* NMI injection into the running guest (an NMI the host took, svm/smi.c). */
void inject_nmi(struct cpu *cpu);

/* Moves L1's RIP past the intercepted instruction, which must be op:
 * next_rip where the CPU has NRIPS, otherwise by decoding the bytes at RIP
 * (svm/nrip.c).  Returns 0, or -NV_EINVAL after injecting #UD when the
 * bytes at RIP are not op. */
int skip_instruction(struct cpu *cpu, enum insn_op op);

/* The length of the instruction op at the running guest's RIP, or
 * -NV_EINVAL if the bytes there are not op. */
int guest_insn_len(struct cpu *cpu, enum insn_op op);

/* The instruction op at the running guest's RIP, decoded (not cached):
 * 0, or -NV_EINVAL if the bytes there are not op. */
int guest_insn_decode(struct cpu *cpu, enum insn_op op, struct insn *in);

#endif
