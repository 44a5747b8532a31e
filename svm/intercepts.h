/* SPDX-License-Identifier: MIT */
/*
 * Handlers of L1's intercepted events, one file each (svm/cpuid.c,
 * svm/msr.c, svm/ioio.c, svm/npf.c; hypercalls in svm/hypercall.c).
 * svm/exit.c dispatches to them.
 */
#ifndef NV_SVM_INTERCEPTS_H
#define NV_SVM_INTERCEPTS_H

#include <stdint.h>

#include "svm/vcpu.h"
#include "svm/insn.h"

void handle_cpuid(struct cpu *cpu);
void handle_msr(struct cpu *cpu);
void handle_ioio(struct cpu *cpu);
void handle_npf(struct cpu *cpu);
void handle_vmmcall(struct cpu *cpu);

/* Event injection into L1 (APM Vol. 2 §15.20).  A fault: RIP unchanged. */
void inject_exception(struct cpu *cpu, unsigned vector, bool has_err,
		      uint32_t err);
#define X86_UD 6
#define X86_GP 13
#define X86_PF 14

/* Moves L1's RIP past the intercepted instruction, which must be op:
 * next_rip where the CPU has NRIPS, otherwise by decoding the bytes at RIP
 * (svm/nrip.c).  Returns 0, or -1 after injecting #UD when the bytes at
 * RIP are not op. */
int skip_instruction(struct cpu *cpu, enum insn_op op);

/* The length of the instruction op at the running guest's RIP, or -1 if
 * the bytes there are not op. */
int guest_insn_len(struct cpu *cpu, enum insn_op op);

#endif
