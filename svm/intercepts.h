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
#define X86_SX 30

/* An NMI into the running guest (EVENTINJ type NMI, vector 2). */
void inject_nmi(struct cpu *cpu);

/* Does the VMCB already carry an event to inject at the next VMRUN? */
bool event_inj_pending(const struct vmcb *v);

/* Real NMIs for the guest (svm/nmi.c): one arrived (NMI exit, not a
 * kick); deliver a held one if the guest can take it now. */
void nmi_arrived(struct cpu *cpu);
void nmi_deliver(struct cpu *cpu);

/* Moves L1's RIP past the intercepted instruction, which must be op:
 * next_rip where the CPU has NRIPS, otherwise by decoding the bytes at RIP
 * (svm/nrip.c).  Returns 0, or -1 after injecting #UD when the bytes at
 * RIP are not op. */
int skip_instruction(struct cpu *cpu, enum insn_op op);

/* The length of the instruction op at the running guest's RIP, or -1 if
 * the bytes there are not op. */
int guest_insn_len(struct cpu *cpu, enum insn_op op);

/* Decodes whatever instruction (of those insn_decode knows) is at the
 * running guest's CS:RIP, read through its page tables.  0 or -1. */
int guest_decode(struct cpu *cpu, struct insn *in);

/* RIP += len, wrapped to the code size (16, 32 or 64 bits). */
void guest_advance_rip(struct cpu *cpu, unsigned len);

#endif
