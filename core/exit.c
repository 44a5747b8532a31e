// SPDX-License-Identifier: MIT
/*
 * The exit loop's C half: svm/vmrun.S calls svm_handle_exit() after every
 * #VMEXIT of L1.  It records the exit in the per-CPU ring (printed by a
 * panic) and dispatches on the exit code.
 */
#include "core/log.h"
#include "core/panic.h"
#include "drivers/debug_exit.h"
#include "svm/intercepts.h"

void svm_handle_exit(struct cpu *cpu);

static void handle_shutdown(struct cpu *cpu)
{
	log_error("L1 SHUTDOWN (triple fault): L1 cannot continue");
	dump_cpu_state(cpu);
	debug_exit(NV_EXIT_L1_SHUTDOWN);
}

void svm_handle_exit(struct cpu *cpu)
{
	struct vmcb *v = cpu->vmcb01;
	uint64_t code = v->control.exit_code;
	struct exit_record *r = &cpu->ring[cpu->ring_next];

	*r = (struct exit_record){ code, v->control.exit_info_1,
				   v->control.exit_info_2, v->save.rip };
	cpu->ring_next = (cpu->ring_next + 1) % EXIT_RING_SIZE;
	cpu->nr_exits++;
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	log_trace("exit 0x%lx info1 0x%lx info2 0x%lx rip 0x%lx", code,
		  r->info1, r->info2, r->rip);

	switch (code) {
	case VMEXIT_CPUID:
		handle_cpuid(cpu);
		break;
	case VMEXIT_MSR:
		handle_msr(cpu);
		break;
	case VMEXIT_IOIO:
		handle_ioio(cpu);
		break;
	case VMEXIT_VMMCALL:
		handle_vmmcall(cpu);
		break;
	case VMEXIT_NPF:
		handle_npf(cpu);
		break;
	case VMEXIT_SHUTDOWN:
		handle_shutdown(cpu);
		break;
	case VMEXIT_VMRUN:
	case VMEXIT_VMLOAD:
	case VMEXIT_VMSAVE:
	case VMEXIT_STGI:
	case VMEXIT_CLGI:
	case VMEXIT_SKINIT:
	case VMEXIT_INVLPGA:
		/* SVM is not offered to L1: EFER.SVME reads 0, so these raise
		 * #UD as on a CPU with SVM disabled. */
		inject_exception(cpu, X86_UD, false, 0);
		break;
	default:
		if (vmexit_is_invalid(code))
			panic("VMRUN of vmcb01 failed (VMEXIT_INVALID)");
		log_error("unexpected exit code 0x%lx", code);
		panic("unhandled exit");
	}
}
