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
 * handlers below and the permission maps; SHUTDOWN is logged.
 */
#define L0_INTERCEPT1 (INTERCEPT1_CPUID | INTERCEPT1_MSR_PROT |              \
		       INTERCEPT1_IOIO_PROT | INTERCEPT1_SHUTDOWN |           \
		       INTERCEPT1_INVLPGA)
#define L0_INTERCEPT2 (INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL |               \
		       INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE | INTERCEPT2_STGI | \
		       INTERCEPT2_CLGI | INTERCEPT2_SKINIT)

void handle_cpuid(struct cpu *cpu);
void handle_msr(struct cpu *cpu);
void handle_ioio(struct cpu *cpu);
void handle_npf(struct cpu *cpu);
void handle_vmmcall(struct cpu *cpu);

/* Event injection into L1 (APM Vol. 2 §15.20).  A fault: RIP unchanged. */
void inject_exception(struct cpu *cpu, enum x86_vector vector, bool has_err,
		      uint32_t err);

/* Moves L1's RIP past the intercepted instruction, which must be op:
 * next_rip where the CPU has NRIPS, otherwise by decoding the bytes at RIP
 * (svm/nrip.c).  Returns 0, or -NV_EINVAL after injecting #UD when the
 * bytes at RIP are not op. */
int skip_instruction(struct cpu *cpu, enum insn_op op);

/* The length of the instruction op at the running guest's RIP, or
 * -NV_EINVAL if the bytes there are not op. */
int guest_insn_len(struct cpu *cpu, enum insn_op op);

/* Is the instruction at the running guest's RIP op?  As guest_insn_len()
 * (the decode cache first), without a warning when it is not. */
bool guest_insn_is(struct cpu *cpu, enum insn_op op);

/* Up to len bytes of the running guest's code from CS:RIP, fetched as the
 * CPU would (its paging, its CPL, CS's limit outside 64-bit mode); stops
 * at the first page that cannot be fetched.  Returns the count; *la gets
 * CS:RIP's linear address and *mode the code's mode. */
unsigned guest_code_fetch(struct cpu *cpu, uint8_t *buf, unsigned len,
			  uint64_t *la, enum insn_mode *mode);

#endif
