// SPDX-License-Identifier: MIT
/*
 * #NPF from L1.  L1's nested page table maps every physical address up to
 * MAXPHYADDR except nestvisor's own region, so the only expected fault is
 * an L1 access to that region: nestvisor maps the page to the sink page (a
 * scratch page with no hypervisor data) and L1 retries the access.  L1 thus
 * reads back what it last wrote anywhere in the region (initially zeros),
 * and never reads or changes hypervisor memory.
 *
 * The other expected faults: a write to a page of L1's own nested page
 * table that the shadow NPT write-protects (svm/nested_npt.c); a write to
 * the local APIC's page (svm/apic.c); and, with several CPUs, a fault on
 * a page whose rights another CPU has just restored (retried).
 */
#include "svm/intercepts.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/panic.h"
#include "mm/pte.h"
#include "mm/pferr.h"
#include "svm/apic.h"
#include "svm/nested_internal.h"

static bool npt_allows(uint64_t gpa, uint64_t info1)
{
	uint64_t e = hvmem_npt_entry(gpa);

	if (!(e & PTE_P) || !(e & PTE_US))
		return false;
	return !(info1 & PFERR_WRITE) || (e & PTE_RW);
}

void handle_npf(struct cpu *cpu)
{
	struct vmcb_control *c = &cpu->cur->control;
	uint64_t gpa = c->exit_info_2;

	/* A write to the local APIC's page: emulated (svm/apic.c). */
	if ((c->exit_info_1 & PFERR_WRITE) && apic_is_mmio_page(gpa)) {
		apic_mmio_write(cpu, gpa);
		return;
	}
	/* A write to one of L1's NPT pages that the shadow NPT watches. */
	if ((c->exit_info_1 & PFERR_WRITE) && nested_npt_protected(cpu, gpa)) {
		nested_npt_l1_write(cpu, gpa);
		return;
	}
	/* Another CPU gave the page back its rights after this CPU's TLB
	 * saw them missing: the access is allowed now, retry it. */
	if (npt_allows(gpa, c->exit_info_1)) {
		c->tlb_control = TLB_CONTROL_FLUSH_ALL;
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
