// SPDX-License-Identifier: MIT
/*
 * L2's nested paging.  Without it (vmcb12 NP clear), L2 runs in L1's
 * physical space through L1's own NPT, and an #NPF of vmcb02 can only be an
 * access to nestvisor's region, handled as for L1 (svm/npf.c).  With it,
 * vmcb02 runs on a shadow of L1's NPT (mm/shadow_npt.c).
 */
#include "core/log.h"
#include "core/panic.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"

int nested_npt_setup(struct cpu *cpu)
{
	(void)cpu;
	return -1; /* nested paging is not offered yet (caps.np) */
}

uint64_t nested_npt_root(struct cpu *cpu)
{
	return cpu->vmcb01->control.nested_cr3;
}

void nested_npt_fault(struct cpu *cpu)
{
	if (!cpu->nested.l2_np) {
		handle_npf(cpu);
		return;
	}
	panic("shadow NPT fault without a shadow NPT");
}
