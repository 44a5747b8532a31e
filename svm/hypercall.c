// SPDX-License-Identifier: MIT
/* VMMCALL from L1: the hypercall interface of core/hypercall.h. */
#include "core/hypercall.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/nv_version.h"
#include "drivers/debug_exit.h"
#include "svm/intercepts.h"
#include "svm/nested.h"

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
		log_info("L1 ends the run with status %lu (hypercall)", g->rbx);
		debug_exit((uint32_t)g->rbx);
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
		g->rbx = cpu->nr_exits;
		g->rcx = cpu->nested.nr_vmruns;
		g->rdx = nested_npt_faults(cpu);
		break;
	default:
		status = NV_HC_ENOSYS;
		break;
	}
	s->rax = (uint64_t)status;
	skip_instruction(cpu, INSN_VMMCALL);
}
