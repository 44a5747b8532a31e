// SPDX-License-Identifier: MIT
/*
 * The exit loop's C half: svm/vmrun.S calls svm_handle_exit() after every
 * #VMEXIT.  It marks the CPU as in host mode, records the exit in the
 * per-CPU ring (printed by a panic) and counts it, then hands an exit of
 * vmcb02 (L2 running) to svm/nested_exit.c and an exit of vmcb01 (L1
 * running) to its handler in l1_exit_handlers[], the one place that says
 * which file handles which exit code of L1 (docs/architecture.md has the
 * same table).  An #SX exit, whichever guest ran, goes to svm/init_sipi.c
 * (an INIT is nestvisor's).
 *
 * The function needs no stack frame: every handler is reached by a tail
 * call, and the rare paths (an unexpected code) are out of line; with
 * log=trace svm/vmrun.S calls svm_handle_exit_traced() instead, chosen at
 * start-up (docs/benchmarks.md counts the instructions of an exit).
 */
#include "core/log.h"
#include "core/panic.h"
#include "drivers/debug_exit.h"
#include "svm/dump.h"
#include "svm/intercepts.h"
#include "svm/nested.h"
#include "svm/nested_internal.h"
#include "svm/init_sipi.h"
#include "svm/smp.h"

typedef void (*exit_handler_fn)(struct cpu *cpu);

void l1_shutdown(struct cpu *cpu, const char *why)
{
	log_error("L1 SHUTDOWN (%s): L1 cannot continue", why);
	dump_cpu_state(cpu);
	debug_exit(NV_EXIT_L1_SHUTDOWN);
}

static void handle_shutdown(struct cpu *cpu)
{
	l1_shutdown(cpu, "triple fault");
}

/* SKINIT is not offered (CPUID 0x80000001 ECX[12] reads 0,
 * svm/cpuid_policy.c): nestvisor never lets L1 leave its control. */
static void handle_skinit(struct cpu *cpu)
{
	inject_exception(cpu, X86_VEC_UD, false, 0);
}

static void handle_vmload(struct cpu *cpu)
{
	nested_vmload_vmsave(cpu, true);
}

static void handle_vmsave(struct cpu *cpu)
{
	nested_vmload_vmsave(cpu, false);
}

static void handle_stgi(struct cpu *cpu)
{
	nested_gif(cpu, true);
}

static void handle_clgi(struct cpu *cpu)
{
	nested_gif(cpu, false);
}

/* An #NPF of L1 that nestvisor resolves (the sink page, the coherence
 * path) may interrupt the delivery of an event to L1: it is delivered
 * again when L1 resumes (APM Vol. 2 §15.7.2).  Out of line, so that
 * svm_handle_exit() needs no stack frame. */
static __attribute__((noinline)) void l1_npf(struct cpu *cpu)
{
	union svm_event pending = cpu->vmcb01->control.exit_int_info;
	uint32_t err = cpu->vmcb01->control.exit_int_info_err;

	/* nestvisor injects no software event into vmcb01 (svm/event.h
	 * event_to_reinject()). */
	cpu->entered_with.raw = 0;
	handle_npf(cpu);
	reinject_interrupted(cpu, pending, err);
}

/* An NMI: a kick, or one for L1 (svm/smp.c, svm/nmi.c).  The event whose
 * delivery it interrupted is delivered again (APM Vol. 2 §15.7.2). */
static __attribute__((noinline)) void l1_nmi(struct cpu *cpu)
{
	union svm_event pending = cpu->vmcb01->control.exit_int_info;
	uint32_t err = cpu->vmcb01->control.exit_int_info_err;

	cpu->entered_with.raw = 0;
	smp_handle_nmi(cpu);
	reinject_interrupted(cpu, pending, err);
}

/* A physical interrupt while L1's GIF is in vmcb01's V_GIF (vmcb01
 * intercepts INTR only then, svm/nested_gif.c): L1 takes it itself if
 * V_GIF is set, else after its STGI; its GIF goes back into V_GIF at a
 * later exit (dispatch_l1()).  The event whose delivery it interrupted
 * is delivered again (APM Vol. 2 §15.7.2). */
static __attribute__((noinline)) void l1_intr(struct cpu *cpu)
{
	union svm_event pending = cpu->vmcb01->control.exit_int_info;
	uint32_t err = cpu->vmcb01->control.exit_int_info_err;

	cpu->entered_with.raw = 0;
	nested_gif_intr(cpu);
	reinject_interrupted(cpu, pending, err);
}

/*
 * VMEXIT_INVALID of vmcb01.  Either VMRUN refused vmcb01, whose state L1
 * reached through a CPU below nestvisor laxer than hardware, or that CPU
 * (QEMU TCG) reports an instruction result it refuses in guest mode (MOV
 * CR3 with bits beyond MAXPHYADDR) this way, with the state unchanged.
 * nestvisor's own VMRUN checks (svm/nested_check.c, on vmcb01 as on a
 * vmcb12) tell them apart: a vmcb01 that passes them gets what hardware
 * gives such an instruction, #GP(0) (unless the exit just before was the
 * same: then the checks missed something); one that fails them cannot
 * run, and L1 is shut down as after a triple fault.  QEMU TCG, refusing
 * VMRUN itself, stores the host's state in vmcb01 (RIP at nestvisor's
 * VMRUN): L1's state is then lost, and L1 is shut down too.  Never a
 * panic: not nestvisor's failure.
 */
static __attribute__((noinline, cold)) void vmcb01_invalid(struct cpu *cpu)
{
	const struct vmcb_save *s = &cpu->vmcb01->save;
	struct nested_check_failure why = { 0, "none of nestvisor's checks",
					    "" };
	struct vmcb12_cache c;
	bool again = cpu->invalid_exit + 1 == cpu->nr_exits;

	if (vmcb_has_host_state(s)) {
		why = (struct nested_check_failure){
			0, "the CPU put the host's state in vmcb01",
			"rip is nestvisor's VMRUN" };
	} else {
		nested_copy_vmcb12(&c, cpu->vmcb01);
		if (!nested_check_vmcb12(&c, &cpu->nested.caps, &why) && !again) {
			log_debug_limited("VMEXIT_INVALID of vmcb01 at rip 0x%lx "
					  "with a valid state: #GP", s->rip);
			cpu->invalid_exit = cpu->nr_exits;
			inject_exception(cpu, X86_VEC_GP, true, 0);
			return;
		}
	}
	log_error("VMRUN of vmcb01 failed (VMEXIT_INVALID): %s (%s); CR0 "
		  "0x%lx CR3 0x%lx CR4 0x%lx EFER 0x%lx DR6 0x%lx DR7 0x%lx",
		  why.name, why.cond, s->cr0, s->cr3, s->cr4, s->efer, s->dr6,
		  s->dr7);
	l1_shutdown(cpu, "L1's state cannot run");
}

static __attribute__((noinline, cold)) void
unexpected_exit(struct cpu *cpu, uint64_t code)
{
	if (vmexit_is_invalid(code)) {
		vmcb01_invalid(cpu);
		return;
	}
	panic("unhandled L1 exit code 0x%lx", code);
}

/* An exit code of L1 without a handler below (the table's other
 * entries). */
static __attribute__((noinline, cold)) void l1_unexpected(struct cpu *cpu)
{
	unexpected_exit(cpu, cpu->cur->control.exit_code);
}

/* Every exit vmcb01 produces (L0_INTERCEPT1, L0_INTERCEPT2,
 * L0_INTERCEPT_EXCEPTIONS, #NPF; #SX is an INIT that reached the CPU;
 * INTR while L1's GIF is in vmcb01's V_GIF).  Every entry is a function,
 * l1_unexpected() for the codes no handler takes, so that the dispatch
 * tests no null pointer: the range first, then the handlers over it,
 * hence the warning turned off for the table. */
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Woverride-init"
static const exit_handler_fn l1_exit_handlers[VMEXIT_WBINVD + 1] = {
	[0 ... VMEXIT_WBINVD] = l1_unexpected,
	[VMEXIT_EXCP_BASE + X86_VEC_SX] = sipi_init_arrived, /* svm/init_sipi.c */
	[VMEXIT_INTR] = l1_intr,             /* here */
	[VMEXIT_NMI] = l1_nmi,               /* here */
	[VMEXIT_SMI] = handle_smi,           /* svm/smi.c */
	[VMEXIT_CR4_WRITE] = handle_cr4_write, /* svm/cr.c */
	[VMEXIT_CR0_SEL_WRITE] = handle_cr0_write, /* svm/cr.c */
	[VMEXIT_CPUID] = handle_cpuid,       /* svm/cpuid.c */
	[VMEXIT_INVD] = handle_invd,         /* svm/cache.c */
	[VMEXIT_INVLPGA] = nested_invlpga,   /* svm/nested_insns.c */
	[VMEXIT_IOIO] = handle_ioio,         /* svm/ioio.c */
	[VMEXIT_MSR] = handle_msr,           /* svm/msr.c */
	[VMEXIT_SHUTDOWN] = handle_shutdown, /* here */
	[VMEXIT_VMRUN] = nested_vmrun,       /* svm/nested.c */
	[VMEXIT_VMMCALL] = handle_vmmcall,   /* svm/hypercall.c */
	[VMEXIT_VMLOAD] = handle_vmload,     /* svm/nested_insns.c */
	[VMEXIT_VMSAVE] = handle_vmsave,     /* svm/nested_insns.c */
	[VMEXIT_STGI] = handle_stgi,         /* svm/nested_insns.c */
	[VMEXIT_CLGI] = handle_clgi,         /* svm/nested_insns.c */
	[VMEXIT_SKINIT] = handle_skinit,     /* here */
	[VMEXIT_WBINVD] = handle_wbinvd,     /* svm/cache.c */
};
#pragma GCC diagnostic pop

/* The handler of L1's exit code, reached by a tail call (an INIT (#SX)
 * is taken whichever guest ran: L1's table has it, and
 * svm/nested_exit.c looks at it first). */
static inline __attribute__((always_inline)) void l1_handler(struct cpu *cpu,
							     uint64_t code)
{
	/* The most frequent exits, CPUID and the hypercalls, ahead of the
	 * table. */
	if (code == VMEXIT_CPUID) {
		handle_cpuid(cpu);
		return;
	}
	if (code == VMEXIT_VMMCALL) {
		handle_vmmcall(cpu);
		return;
	}
	if (code < sizeof(l1_exit_handlers) / sizeof(l1_exit_handlers[0])) {
		l1_exit_handlers[code](cpu);
		return;
	}
	if (code == VMEXIT_NPF) {
		l1_npf(cpu);
		return;
	}
	unexpected_exit(cpu, code);
}

/* An INTR exit took L1's GIF out of V_GIF (l1_intr()): it may go back
 * now (svm/nested_gif.c), before the handler runs.  Out of line, so that
 * svm_handle_exit() needs no stack frame. */
static __attribute__((noinline)) void l1_gif_resume(struct cpu *cpu,
						    uint64_t code)
{
	nested_gif_resume(cpu, code);
	l1_handler(cpu, code);
}

/* The handler of L1's exit just recorded. */
static inline __attribute__((always_inline)) void dispatch_l1(struct cpu *cpu,
							      uint64_t code)
{
	if (__builtin_expect(cpu->nested.l1_vgif_resume, 0)) {
		l1_gif_resume(cpu, code);
		return;
	}
	l1_handler(cpu, code);
}

/* The exit just taken: the CPU in host mode, the exit in the ring and
 * counted.  Returns whether L2 ran. */
static inline __attribute__((always_inline)) bool record_exit(struct cpu *cpu,
							      uint64_t code)
{
	struct vmcb *v = cpu->cur;
	uint64_t n = cpu->nr_exits;
	bool l2 = cpu->nested.guest_mode;
	struct exit_record *r = &cpu->ring[n % EXIT_RING_SIZE];

	/* In host mode (svm/smp.c, "TLB shootdown"): release stores, a
	 * shootdown only waits for them. */
	__atomic_store_n(&cpu->in_guest, 0, __ATOMIC_RELEASE);
	__atomic_store_n(&cpu->nr_exits, n + 1, __ATOMIC_RELEASE);
	*r = (struct exit_record){ code, v->control.exit_info_1,
				   v->control.exit_info_2, v->save.rip };
	/* nv_exit_slot() of a code below 0x100 is the code: indexed by it
	 * as it is, 64 bits wide (one instruction less than the slot's
	 * unsigned). */
	if (__builtin_expect(code < 0x100, 1))
		cpu->exit_counts[code][l2]++;
	else
		cpu->exit_counts[nv_exit_slot(code)][l2]++;
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	return l2;
}

void svm_handle_exit(struct cpu *cpu)
{
	uint64_t code = cpu->cur->control.exit_code;

	if (record_exit(cpu, code)) {
		/* vmcb02 may have run with the host's IF set (svm/vmrun.S):
		 * clear, before anything opens the GIF or runs vmcb01. */
		cli();
		nested_handle_exit(cpu);
		return;
	}
	dispatch_l1(cpu, code);
}

/* With log=trace (cpu->exit_fn, svm/launch.c): log every exit, then
 * handle it. */
void svm_handle_exit_traced(struct cpu *cpu)
{
	uint64_t code = cpu->cur->control.exit_code;
	bool l2 = record_exit(cpu, code);
	const struct exit_record *r =
		&cpu->ring[(cpu->nr_exits - 1) % EXIT_RING_SIZE];

	nv_log(LOG_TRACE, "%s exit 0x%lx info1 0x%lx info2 0x%lx rip 0x%lx",
	       l2 ? "L2" : "L1", r->code, r->info1, r->info2, r->rip);
	if (l2) {
		cli(); /* as in svm_handle_exit() */
		nested_handle_exit(cpu);
		return;
	}
	dispatch_l1(cpu, code);
}
