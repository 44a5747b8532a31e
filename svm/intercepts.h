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

/* Event injection (svm/inject.c, APM Vol. 2 §15.20).  event_inject():
 * into v (vmcb01 or vmcb02) for its next run, after the legality check.
 * inject_exception(): an exception nestvisor raises in the running guest
 * (a fault: RIP unchanged), or the #VMEXIT to L1 when L1 intercepts it
 * for its L2.  reinject_interrupted(): after an exit nestvisor handled,
 * the event whose delivery it interrupted (EXITINTINFO as the CPU gave
 * it), svm/event.h event_to_reinject(). */
void event_inject(struct cpu *cpu, struct vmcb *v, union svm_event ev,
		  uint32_t err);
void inject_exception(struct cpu *cpu, enum x86_vector vector, bool has_err,
		      uint32_t err);
void reinject_interrupted(struct cpu *cpu, union svm_event exitintinfo,
			  uint32_t err);

/* The running guest's instruction that nestvisor emulated is complete
 * (RIP is past it, its effects done: handlers complete it last): RF is
 * cleared and, with TF set, DR6.BS is set and the single-step #DB trap
 * raised through inject_exception().  For L1's VMRUN the trap waits in
 * vmcb01 and is taken when L1 resumes after the #VMEXIT, at the
 * instruction after VMRUN (svm/inject.c). */
void instruction_completed_slow(struct cpu *cpu);
static inline void instruction_completed(struct cpu *cpu)
{
	if (__builtin_expect(cpu->cur->save.rflags &
			     (X86_RFLAGS_RF | X86_RFLAGS_TF), 0))
		instruction_completed_slow(cpu);
}

/* Moves the guest's RIP past the intercepted instruction, which must be
 * op: next_rip where the CPU has NRIPS, otherwise by decoding the bytes at
 * RIP (svm/nrip.c), then instruction_completed().  Returns 0, or
 * -NV_EINVAL after injecting #UD when the bytes at RIP are not op.
 * insn_is() only checks, the same way, so that a handler can do the
 * instruction's work before it completes it. */
int skip_instruction(struct cpu *cpu, enum insn_op op);
bool insn_is(struct cpu *cpu, enum insn_op op);

/* The length of the instruction op at the running guest's RIP, or
 * -NV_EINVAL if the bytes there are not op. */
int guest_insn_len(struct cpu *cpu, enum insn_op op);

/* Whatever instruction is at the running guest's RIP (svm/insn.h): 0, or
 * -NV_EINVAL when it cannot be read or is none nestvisor knows. */
int guest_insn_decode(struct cpu *cpu, struct insn *in);

#endif
