// SPDX-License-Identifier: MIT
/*
 * The one owner of #NPF.  Every nested page fault, of vmcb01 (L1 running)
 * or of vmcb02 (L2 running), comes here (svm/exit.c, svm/nested_exit.c),
 * and this file decides what it is:
 *
 *  1. A fault in nestvisor's NPT for L1: L1 running, or L2 running without
 *     nested paging (then L2 lives in L1's physical space, and vmcb02 runs
 *     on the same NPT).  That NPT maps every physical address up to
 *     MAXPHYADDR except two kinds of page:
 *     a. a page of L1's own NPT that the shadow NPT write-protects, and L1
 *        (or that L2) writes it: the coherence path
 *        (nested_npt_l1_write(): the shadows built from it are dropped, the
 *        page is released) and the write is retried;
 *     a'. a page of L1's I/O or MSR permission map, and L1 (or that L2)
 *        writes it: nested_maps_written() (svm/nested_maps.c), and the
 *        write is retried;
 *     b. a page of nestvisor's region: it is mapped to the sink page, a
 *        scratch page with no hypervisor data, and the access is retried
 *        (docs/architecture.md, "Hypervisor memory as L1 sees it").
 *     Anything else is a bug of nestvisor: panic.
 *  2. A fault in the shadow NPT (L2 running with nested paging): the
 *     shadow-NPT MMU (mm/shadow_npt.c) walks L1's NPT and says what
 *     happened, and this file acts on it:
 *       installed          -> L2 retries the access;
 *       switch root        -> GMET emulation: vmcb02 runs on the other
 *                             execution class's root, TLB flushed;
 *       reflect            -> #VMEXIT(NPF) to L1 with the walker's
 *                             EXITINFO1/2 (svm/nested.c);
 *       no L1 memory       -> L1's NPT points where L1 has no memory:
 *                             #VMEXIT(SHUTDOWN) to L1;
 *       watched write      -> L2 writes a page of L1's permission maps:
 *                             nested_maps_written(), L2 retries;
 *       stale root         -> the root was evicted: get it again
 *                             (svm/nested_npt.c), L2 retries;
 *       out of memory, an L2 address beyond 48 bits, L1's NPT outside
 *       L1's memory -> panic (the MMU's outcomes SNPT_NO_MEMORY,
 *       SNPT_BAD_ADDRESS, SNPT_L1_TABLE_UNREACHABLE,
 *       SNPT_BAD_HOST_ADDRESS).
 * Nothing here calls back into the callers; svm/nested_npt.c (the glue
 * between vmcb02 and the MMU) and svm/nested.c never call this file.
 */
#include "svm/intercepts.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/panic.h"
#include "mm/pferr.h"
#include "mm/shadow_npt.h"
#include "svm/nested_internal.h"
#include "svm/nvctl.h"

/* 1. A fault in nestvisor's NPT for L1. */
static void l1_npt_fault(struct cpu *cpu)
{
	struct vmcb_control *c = &cpu->cur->control;
	uint64_t gpa = c->exit_info_2;
	bool write = c->exit_info_1 & PFERR_WRITE, handled = false;

	if (write && nested_maps_watched(cpu, gpa)) {
		nested_maps_written(cpu, gpa);
		handled = true;
	}
	if (write && nested_npt_protected(cpu, gpa)) {
		nested_npt_l1_write(cpu, gpa);
		handled = true;
	}
	if (handled)
		return;
	if (!hvmem_contains(gpa))
		panic("#NPF at gpa 0x%lx (exit_info_1 0x%lx) outside the "
		      "hypervisor region", gpa, c->exit_info_1);
	if (hvmem.sink_maps < 8 || log_get_level() >= LOG_DEBUG)
		log_info("%s touched hypervisor memory at 0x%lx (rip 0x%lx, "
			 "exit_info_1 0x%lx): mapped to the sink page",
			 cpu->nested.guest_mode ? "L2" : "L1", gpa,
			 cpu->cur->save.rip, c->exit_info_1);
	if (hvmem_map_sink(gpa))
		panic("out of memory mapping the sink page");
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
}

/* 2. A fault in the shadow NPT: the MMU's outcome decides. */
static void shadow_npt_fault(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct vmcb_control *c = &n->vmcb02->control;
	uint64_t l2_gpa = c->exit_info_2;
	struct snpt_fault_result r;
	enum snpt_outcome o;

	o = snpt_handle_fault(n->snpt, n->npt_root, l2_gpa, c->exit_info_1,
			      n->vmcb02->save.cpl, &r);
	switch (o) {
	case SNPT_INSTALLED:
		return;
	case SNPT_SWITCH_ROOT:
		nested_npt_use_root(cpu, r.root_hpa);
		return;
	case SNPT_REFLECT:
		nvctl_trace_npf(cpu, &r);
		nested_vmexit(cpu, VMEXIT_NPF, r.exit_info_1, r.exit_info_2, 0);
		return;
	case SNPT_NO_L1_MEMORY:
		log_error("L1's NPT maps L2 gpa 0x%lx to L1 gpa 0x%lx, where L1 "
			  "has no memory", l2_gpa, r.l1_gpa);
		nested_vmexit(cpu, VMEXIT_SHUTDOWN, 0, 0, 0);
		return;
	case SNPT_WATCHED_WRITE:
		nested_maps_written(cpu, r.l1_gpa);
		return;
	case SNPT_STALE_ROOT:
		if (nested_npt_setup(cpu))
			panic("cannot rebuild the shadow NPT root");
		nested_npt_use_root(cpu, n->npt_root);
		return;
	case SNPT_NO_MEMORY:
		/* Pages the shadow freed come back once vmcb02 has run with
		 * its TLB flushed (svm/nested_npt.c): L2 retries then. */
		if (nested_npt_freed_pending(cpu)) {
			n->tlb_flush_pending = true;
			return;
		}
		break;
	case SNPT_BAD_ADDRESS:
	case SNPT_L1_TABLE_UNREACHABLE:
	case SNPT_BAD_HOST_ADDRESS:
		break;
	}
	panic("shadow NPT fault at L2 gpa 0x%lx failed (outcome %d)", l2_gpa,
	      (int)o);
}

void handle_npf(struct cpu *cpu)
{
	if (cpu->nested.guest_mode && cpu->nested.l2_np)
		shadow_npt_fault(cpu);
	else
		l1_npt_fault(cpu);
}
