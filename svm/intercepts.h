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
 * INVD becomes WBINVD (svm/cache.c, which also takes WBINVD); NMI,
 * because other CPUs kick this one with NMIs (svm/smp.c); #SX, an INIT
 * that reached the CPU (VM_CR.R_INIT, svm/init_sipi.c).
 */
#define L0_INTERCEPT1 (INTERCEPT1_SMI | INTERCEPT1_CPUID | INTERCEPT1_INVD |  \
		       INTERCEPT1_MSR_PROT | INTERCEPT1_IOIO_PROT |           \
		       INTERCEPT1_SHUTDOWN | INTERCEPT1_INVLPGA |             \
		       INTERCEPT1_NMI)
#define L0_INTERCEPT_EXCEPTIONS (1u << X86_VEC_SX)
/* MOV to CR4: checked as the CPU would (svm/cr.c). */
#define L0_INTERCEPT_CR (1u << (16 + 4))
#define L0_INTERCEPT2 (INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL |               \
		       INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE | INTERCEPT2_STGI | \
		       INTERCEPT2_CLGI | INTERCEPT2_SKINIT | INTERCEPT2_WBINVD)

/* The exit handler (svm/exit.c) svm/vmrun.S calls through cpu->exit_fn:
 * svm_handle_exit_traced() with log=trace, which logs every exit first,
 * else svm_handle_exit(). */
void svm_handle_exit(struct cpu *cpu);
void svm_handle_exit_traced(struct cpu *cpu);

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

/* An NMI into the running guest (EVENTINJ type NMI, vector 2). */
void inject_nmi(struct cpu *cpu);

/* Does the VMCB already carry an event to inject at the next VMRUN? */
bool event_inj_pending(const struct vmcb *v);

/* NMIs for the guest (svm/nmi.c): one arrived (an NMI exit that was not
 * a kick); deliver a held one if the guest can take it now. */
void nmi_arrived(struct cpu *cpu);
void nmi_deliver(struct cpu *cpu);

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

/* The same in two steps, for a handler that checks first and completes
 * later with one decode: insn_length() is 0 where next_rip will give the
 * next RIP, the instruction's length where it is decoded, or -NV_EINVAL
 * after injecting #UD; insn_skip() then moves RIP past it and calls
 * instruction_completed(). */
int insn_length(struct cpu *cpu, enum insn_op op);
void insn_skip(struct cpu *cpu, int len);

/* The decode cache (svm/nrip.c): decode_cache_init() empties it (at
 * start-up), decode_cache_clear() empties guest level 0 (L1) or 1 (L2)
 * when the level's code moves to another address space, and at INIT. */
void decode_cache_init(struct cpu *cpu);
void decode_cache_clear(struct cpu *cpu, unsigned level);

/* The length of the instruction op at the running guest's RIP, or
 * -NV_EINVAL if the bytes there are not op. */
int guest_insn_len(struct cpu *cpu, enum insn_op op);

/* Whatever instruction is at the running guest's RIP (svm/insn.h): 0, or
 * -NV_EINVAL when it cannot be read or is none nestvisor knows. */
int guest_insn_decode(struct cpu *cpu, struct insn *in);

/* The same, when it must be op: 0, or -NV_EINVAL if the bytes there are
 * not op. */
int guest_insn_decode_op(struct cpu *cpu, enum insn_op op, struct insn *in);

/* RIP += len, wrapped to the code size (16, 32 or 64 bits), then
 * instruction_completed(): for an instruction nestvisor emulated from
 * guest_insn_decode() (svm/apic.c). */
void guest_advance_rip(struct cpu *cpu, unsigned len);

#endif
