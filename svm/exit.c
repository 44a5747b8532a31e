// SPDX-License-Identifier: MIT
/*
 * The exit loop's C half: svm/vmrun.S calls svm_handle_exit() after every
 * #VMEXIT of L1.  It records the exit in the per-CPU ring (printed by a
 * panic) and dispatches on the exit code.
 */
#include "core/log.h"
#include "core/panic.h"
#include "drivers/debug_exit.h"
#include "svm/dump.h"
#include "svm/intercepts.h"
#include "svm/nested.h"

void svm_handle_exit(struct cpu *cpu);

static void handle_shutdown(struct cpu *cpu)
{
	log_error("L1 SHUTDOWN (triple fault): L1 cannot continue");
	dump_cpu_state(cpu);
	debug_exit(NV_EXIT_L1_SHUTDOWN);
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
	log_trace("%s exit 0x%lx info1 0x%lx info2 0x%lx rip 0x%lx",
		  cpu->nested.guest_mode ? "L2" : "L1", code, r->info1, r->info2,
		  r->rip);
	if (cpu->nested.guest_mode) {
		nested_handle_exit(cpu);
		/* The shadow NPT or L1's NPT changed under L2: flush its TLB
		 * (tagged by ASID only, not by nested page table). */
		if (cpu->nested.guest_mode && cpu->nested.tlb_flush_pending) {
			cpu->cur->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
			cpu->nested.tlb_flush_pending = false;
		}
		return;
	}

	/* The most frequent exit first, ahead of the jump table. */
	if (code == VMEXIT_CPUID) {
		handle_cpuid(cpu);
		return;
	}
	switch (code) {
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
		nested_vmrun(cpu);
		break;
	case VMEXIT_VMLOAD:
	case VMEXIT_VMSAVE:
		nested_vmload_vmsave(cpu, code == VMEXIT_VMLOAD);
		break;
	case VMEXIT_STGI:
	case VMEXIT_CLGI:
		nested_gif(cpu, code == VMEXIT_STGI);
		break;
	case VMEXIT_INVLPGA:
		nested_invlpga(cpu);
		break;
	case VMEXIT_SKINIT:
		/* Not offered (CPUID 0x80000001 ECX[12] is the CPU's, but
		 * nestvisor never lets L1 leave its control). */
		inject_exception(cpu, X86_VEC_UD, false, 0);
		break;
	default:
		if (vmexit_is_invalid(code))
			panic("VMRUN of vmcb01 failed (VMEXIT_INVALID)");
		log_error("unexpected exit code 0x%lx", code);
		panic("unhandled exit");
	}
}
