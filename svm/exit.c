// SPDX-License-Identifier: MIT
/*
 * The exit loop's C half: svm/vmrun.S calls svm_handle_exit() after every
 * #VMEXIT.  It records the exit in the per-CPU ring (printed by a panic),
 * then hands an exit of vmcb02 (L2 running) to svm/nested_exit.c and an
 * exit of vmcb01 (L1 running) to its handler in l1_exit_handlers[], the
 * one place that says which file handles which exit code of L1
 * (docs/architecture.md has the same table).
 *
 * The function needs no stack frame: every handler is reached by a tail
 * call, and the rare paths (tracing, an unexpected code) are out of line
 * (docs/benchmarks.md counts the instructions of an exit).
 */
#include "core/log.h"
#include "core/panic.h"
#include "drivers/debug_exit.h"
#include "svm/dump.h"
#include "svm/intercepts.h"
#include "svm/nested.h"
#include "svm/nested_internal.h"

void svm_handle_exit(struct cpu *cpu);

typedef void (*exit_handler_fn)(struct cpu *cpu);

static void handle_shutdown(struct cpu *cpu)
{
	log_error("L1 SHUTDOWN (triple fault): L1 cannot continue");
	dump_cpu_state(cpu);
	debug_exit(NV_EXIT_L1_SHUTDOWN);
}

/* SKINIT is not offered (CPUID 0x80000001 ECX[12] is the CPU's, but
 * nestvisor never lets L1 leave its control). */
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

/* Every exit vmcb01 produces (L0_INTERCEPT1, L0_INTERCEPT2, #NPF, and
 * NMI while L1's GIF is clear). */
static const exit_handler_fn l1_exit_handlers[VMEXIT_SKINIT + 1] = {
	[VMEXIT_NMI] = nested_nmi_exit,      /* svm/nested_gif.c */
	[VMEXIT_CPUID] = handle_cpuid,       /* svm/cpuid.c */
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
};

static __attribute__((noinline, cold, noreturn)) void
unexpected_exit(uint64_t code)
{
	if (vmexit_is_invalid(code))
		panic("VMRUN of vmcb01 failed (VMEXIT_INVALID)");
	panic("unhandled L1 exit code 0x%lx", code);
}

/* The handler of the exit just recorded, reached by a tail call. */
static inline __attribute__((always_inline)) void dispatch(struct cpu *cpu,
							   uint64_t code)
{
	if (cpu->nested.guest_mode) {
		nested_handle_exit(cpu);
		return;
	}
	/* The most frequent exit first, ahead of the table. */
	if (code == VMEXIT_CPUID) {
		handle_cpuid(cpu);
		return;
	}
	if (code < sizeof(l1_exit_handlers) / sizeof(l1_exit_handlers[0]) &&
	    l1_exit_handlers[code]) {
		l1_exit_handlers[code](cpu);
		return;
	}
	if (code == VMEXIT_NPF) {
		l1_npf(cpu);
		return;
	}
	unexpected_exit(code);
}

/* With log=trace: log the exit just recorded, then handle it.  Out of line,
 * so that svm_handle_exit() itself needs no stack frame. */
static __attribute__((noinline, cold)) void trace_exit(struct cpu *cpu)
{
	const struct exit_record *r =
		&cpu->ring[(cpu->ring_next + EXIT_RING_SIZE - 1) % EXIT_RING_SIZE];

	nv_log(LOG_TRACE, "%s exit 0x%lx info1 0x%lx info2 0x%lx rip 0x%lx",
	       cpu->nested.guest_mode ? "L2" : "L1", r->code, r->info1,
	       r->info2, r->rip);
	dispatch(cpu, r->code);
}

void svm_handle_exit(struct cpu *cpu)
{
	struct vmcb *v = cpu->cur;
	uint64_t code = v->control.exit_code;
	struct exit_record *r = &cpu->ring[cpu->ring_next];

	*r = (struct exit_record){ code, v->control.exit_info_1,
				   v->control.exit_info_2, v->save.rip };
	cpu->ring_next = (cpu->ring_next + 1) % EXIT_RING_SIZE;
	cpu->nr_exits++;
	cpu->exit_counts[cpu->nested.guest_mode][nv_exit_slot(code)]++;
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	if (log_get_level() >= LOG_TRACE) {
		trace_exit(cpu);
		return;
	}
	dispatch(cpu, code);
}
