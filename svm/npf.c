// SPDX-License-Identifier: MIT
/*
 * #NPF from L1.  L1's nested page table maps every physical address up to
 * MAXPHYADDR except nestvisor's own region, so the only expected fault is
 * an L1 access to that region: nestvisor maps the page to the sink page (a
 * scratch page with no hypervisor data) and L1 retries the access.  L1 thus
 * reads back what it last wrote anywhere in the region (initially zeros),
 * and never reads or changes hypervisor memory.
 *
 * The other expected fault is a write to a page of L1's own nested page
 * table that the shadow NPT write-protects (svm/nested_npt.c).
 */
#include "svm/intercepts.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/panic.h"
#include "mm/pferr.h"
#include "svm/nested_internal.h"

void handle_npf(struct cpu *cpu)
{
	struct vmcb_control *c = &cpu->cur->control;
	uint64_t gpa = c->exit_info_2;

	/* A write to one of L1's NPT pages that the shadow NPT watches. */
	if ((c->exit_info_1 & PFERR_WRITE) && nested_npt_protected(cpu, gpa)) {
		nested_npt_l1_write(cpu, gpa);
		return;
	}
	if (!hvmem_contains(gpa)) {
		log_error("#NPF at gpa 0x%lx (exit_info_1 0x%lx) outside the "
			  "hypervisor region", gpa, c->exit_info_1);
		panic("unexpected nested page fault from L1");
	}
	if (hvmem.sink_maps < 8 || log_get_level() >= LOG_DEBUG)
		log_info("L1 touched hypervisor memory at 0x%lx (rip 0x%lx, "
			 "exit_info_1 0x%lx): mapped to the sink page", gpa,
			 cpu->cur->save.rip, c->exit_info_1);
	if (hvmem_map_sink(gpa))
		panic("out of memory mapping the sink page");
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
}
