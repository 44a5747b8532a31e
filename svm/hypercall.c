// SPDX-License-Identifier: MIT
/* VMMCALL from L1: the hypercall interface of core/hypercall.h. */
#include "core/hypercall.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/nv_version.h"
#include "drivers/debug_exit.h"
#include "svm/intercepts.h"
#include "svm/nested.h"

/* The calls that call out, out of line: the common ones then need no stack
 * frame (docs/benchmarks.md counts the instructions of a VMMCALL). */
static __attribute__((noinline, noreturn)) void hc_test_exit(uint64_t status)
{
	log_info("L1 ends the run with status %lu (hypercall)", status);
	debug_exit((uint32_t)status);
}

static __attribute__((noinline)) void hc_stats(struct cpu *cpu)
{
	cpu->gregs.rbx = cpu->nr_exits;
	cpu->gregs.rcx = cpu->nested.nr_vmruns;
	cpu->gregs.rdx = nested_npt_faults(cpu);
	cpu->cur->save.rax = (uint64_t)NV_HC_OK;
	skip_instruction(cpu, INSN_VMMCALL);
}

void handle_vmmcall(struct cpu *cpu)
{
	struct vmcb_save *s = &cpu->cur->save;
	struct guest_regs *g = &cpu->gregs;
	long status = NV_HC_OK;

	if (s->cpl != 0) {
		inject_exception(cpu, X86_VEC_UD, false, 0);
		return;
	}
	switch (s->rax) {
	case NV_HC_VERSION:
		g->rbx = NV_VERSION_WORD;
		break;
	case NV_HC_TEST_EXIT:
		hc_test_exit(g->rbx);
	case NV_HC_HV_RANGE:
		g->rbx = hvmem.base;
		g->rcx = hvmem.size;
		break;
	case NV_HC_CANARY:
		g->rbx = hvmem.canary_pa;
		g->rcx = HVMEM_CANARY;
		if (*hvmem.canary != HVMEM_CANARY)
			status = NV_HC_CORRUPT;
		break;
	case NV_HC_STATS:
		hc_stats(cpu);
		return;
	default:
		status = NV_HC_ENOSYS;
		break;
	}
	s->rax = (uint64_t)status;
	skip_instruction(cpu, INSN_VMMCALL);
}
