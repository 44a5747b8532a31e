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
 *        (nested_npt_l1_write(): the page becomes unsync in every shadow
 *        and is released, docs/mmu.md §7.2) and the write is retried;
 *     a'. a page of L1's I/O or MSR permission map, and L1 (or that L2)
 *        writes it: nested_maps_written() (svm/nested_maps.c), and the
 *        write is retried;
 *     b. a page of nestvisor's region: it is mapped to the sink page, a
 *        scratch page with no hypervisor data, and the access is retried
 *        (docs/architecture.md, "Hypervisor memory as L1 sees it"); a
 *        hidden range likewise, to its backing; the all-ones one (a
 *        hidden function's ECAM page) read-only: a write there is
 *        completed as dropped (svm/dma.c);
 *     c. the local APIC's page, read-only so that nestvisor sees the ICR
 *        (INIT and SIPI): a write is emulated (svm/apic.c); the rest of
 *        the interrupt-message window after it, read-only too: a write
 *        is decoded as an interrupt message (svm/msi_window.c); an I/O
 *        APIC's page, where every access exits and is emulated
 *        (svm/ioapic.c);
 *     d. an address at or above L1's physical address width (the CPU's
 *        own walk allows more bits than nestvisor gives L1): the guest
 *        that made the access gets the #PF a CPU of that width raises
 *        (beyond_width() below);
 *     e. with several CPUs, a page whose rights another CPU has just
 *        restored, seen missing by this CPU's TLB: the entry allows the
 *        access now, the TLB is flushed and the access retried.
 *     Anything else should not happen (a stale translation at most): the
 *     TLB is flushed and the access retried once; the same fault again
 *     shuts L1 down (never a panic).
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
 *                             nested_maps_written(), L2 retries; or a
 *                             hidden ECAM page (pinned): the store is
 *                             dropped (svm/dma.c);
 *       stale root         -> the root was evicted: get it again
 *                             (svm/nested_npt.c), L2 retries;
 *       an L2 address beyond 48 bits -> the #PF of beyond_width() in L2;
 *       L1's NPT outside L1's memory, a host address beyond 52 bits
 *                          -> #VMEXIT(SHUTDOWN) to L1, as for no L1 memory;
 *       retry              -> another CPU changed L1's NPT under the walk
 *                             (a table between the walk and its
 *                             protection, or the walk's A/D updates lost
 *                             past mm/walk.c's bound): nothing installed,
 *                             L2 retries;
 *       out of memory      -> L2 retries (the MMU emptied every root and
 *                             released every protection; core/hvmem.c
 *                             keeps pages for the retry).
 *     Whenever the MMU emptied roots to make room, L2's TLB is flushed.
 * Nothing here calls back into the callers; svm/nested_npt.c (the glue
 * between vmcb02 and the MMU) and svm/nested.c never call this file.
 */
#include "svm/intercepts.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/panic.h"
#include "mm/la_search.h"
#include "mm/pferr.h"
#include "mm/pt.h"
#include "mm/pte.h"
#include "mm/shadow_npt.h"
#include "svm/apic.h"
#include "svm/chipset_lock.h"
#include "svm/dma.h"
#include "svm/ioapic.h"
#include "svm/msi_window.h"
#include "svm/nested_internal.h"
#include "svm/nvctl.h"

/*
 * An access at gpa >= phys_limit, beyond L1's physical address width
 * (svm/features.h).  On a CPU of that width the guest's page-table entry
 * that produced gpa has reserved bits set (address bits at or above
 * MAXPHYADDR, APM Vol. 2 §5.3.1), so the guest that made the access
 * (the running one: L1, or L2) gets #PF with P and RSVD (§8.4.2), W from
 * a final access's EXITINFO1, U for CPL 3, I/D for a fetch when EFER.NXE
 * or CR4.SMEP is set.  The #NPF does not give the linear address CR2
 * needs: in long mode mm/la_search.c finds one whose translation reaches
 * gpa (at most LA_SEARCH_TABLES tables read); otherwise, or if none is
 * found, a fetch's is at RIP (its page or the next, the one with gpa's
 * page offset) and a data access's is 0 (docs/security.md).
 */
#define LA_SEARCH_TABLES 1024

static uint64_t fault_la(struct cpu *cpu, uint64_t info1, uint64_t gpa)
{
	const struct vmcb_save *s = &cpu->cur->save;
	struct la_search ls = {
		.mem = cpu->cur_phys, .root = s->cr3,
		.levels = (s->cr4 & X86_CR4_LA57) ? 5 : 4,
		.phys_limit = cpu->cur_phys == &l1_gmem ? hvmem.phys_limit :
							 PT_LIMIT,
		.max_tables = LA_SEARCH_TABLES, .gbpages = cpu->caps.gbpages,
	};
	uint64_t la = 0;

	if ((s->efer & X86_EFER_LMA) && (s->cr0 & X86_CR0_PG) &&
	    !la_search(&ls, gpa, info1 & PFERR_GUEST_PAGE, &la))
		return la;
	if (info1 & PFERR_FETCH) {
		uint64_t rip = guest_code_la(s, 0);

		la = (rip & ~0xfffull) | (gpa & 0xfff);
		if (la < rip) /* the page after RIP's, wrapped as CS:RIP is */
			la = guest_code_la(s, la + 4096 - rip);
	}
	return la;
}

static void beyond_width(struct cpu *cpu, uint64_t info1, uint64_t gpa)
{
	const struct vmcb_save *s = &cpu->cur->save;
	bool fetch = info1 & PFERR_FETCH;
	uint32_t err = PFERR_PRESENT | PFERR_RSVD;
	uint64_t la;
	struct insn in;

	/* L1's VMLOAD or VMSAVE on the CPU's virtual VMLOAD/VMSAVE
	 * (svm/nested_gif.c) with rAX beyond L1's width: #GP(0), as where
	 * nestvisor emulates them (APM Vol. 2 §15.5.2). */
	if (!cpu->nested.guest_mode &&
	    (cpu->vmcb01->control.virt_ext & VIRT_EXT_VVMSAVE) &&
	    !guest_insn_decode(cpu, &in) &&
	    (in.op == INSN_VMLOAD || in.op == INSN_VMSAVE)) {
		inject_exception(cpu, X86_VEC_GP, true, 0);
		return;
	}
	la = fault_la(cpu, info1, gpa);

	if ((info1 & PFERR_GUEST_FINAL) && (info1 & PFERR_WRITE))
		err |= PFERR_WRITE;
	if (s->cpl == 3)
		err |= PFERR_USER;
	if (fetch && ((s->efer & X86_EFER_NXE) || (s->cr4 & X86_CR4_SMEP)))
		err |= PFERR_FETCH;
	log_debug_limited("%s access at gpa 0x%lx, beyond %u address bits: "
			  "#PF 0x%x at 0x%lx",
			  cpu->nested.guest_mode ? "L2" : "L1", gpa,
			  cpu->caps.l1_maxphyaddr, err, la);
	if (cpu->nested.guest_mode) {
		nested_deliver_pf(cpu, err, la);
		return;
	}
	inject_exception(cpu, X86_VEC_PF, true, err);
	cpu->vmcb01->save.cr2 = la;
}

/*
 * A fault nestvisor's NPT should not give: the address is mapped for the
 * access.  A stale translation could (an entry changed without a flush
 * reaching this guest), so the first one flushes the TLB and retries;
 * the same fault at once again means L1 cannot go on.
 */
static void unexplained_fault(struct cpu *cpu, uint64_t gpa)
{
	struct vmcb_control *c = &cpu->cur->control;

	if (cpu->npf_retry_gpa != gpa || cpu->npf_retry_rip != cpu->cur->save.rip) {
		log_warn_limited("#NPF at gpa 0x%lx (exit_info_1 0x%lx) that the NPT "
				 "allows: TLB flushed, retried", gpa, c->exit_info_1);
		cpu->npf_retry_gpa = gpa;
		cpu->npf_retry_rip = cpu->cur->save.rip;
		c->tlb_control = TLB_CONTROL_FLUSH_ALL;
		return;
	}
	cpu->npf_retry_gpa = ~0ull;
	log_error("#NPF at gpa 0x%lx (exit_info_1 0x%lx) again after a flush",
		  gpa, c->exit_info_1);
	l1_shutdown(cpu, "an access nestvisor cannot serve");
}

/* Does L1's NPT allow this access now? */
static bool npt_allows(uint64_t gpa, uint64_t info1)
{
	uint64_t e = hvmem_npt_entry(gpa);

	if (!(e & PTE_P) || !(e & PTE_US))
		return false;
	return !(info1 & PFERR_WRITE) || (e & PTE_RW);
}

/* 1. A fault in nestvisor's NPT for L1. */
static void l1_npt_fault(struct cpu *cpu)
{
	struct vmcb_control *c = &cpu->cur->control;
	uint64_t gpa = c->exit_info_2;
	bool write = c->exit_info_1 & PFERR_WRITE, handled = false;
	int rc;

	if (write && apic_is_mmio_page(gpa)) {
		count_exit_detail(cpu, NV_XD_NPF,
				  (uint64_t)NV_XD_PAGE_APIC_WRITE << 16 | (gpa & 0xfff));
		apic_mmio_write(cpu, gpa);
		return;
	}
	if (ioapic_page(gpa)) {
		count_exit_detail(cpu, NV_XD_NPF, (uint64_t)NV_XD_PAGE_IOAPIC << 16);
		ioapic_mmio(cpu, gpa);
		return;
	}
	if (write && msi_window_page(gpa)) {
		count_exit_detail(cpu, NV_XD_NPF, (uint64_t)NV_XD_PAGE_MSI << 16);
		msi_window_write(cpu, gpa);
		return;
	}
	if (write && hvmem_drops_writes(gpa)) {
		count_exit_detail(cpu, NV_XD_NPF, (uint64_t)NV_XD_PAGE_CHIPSET << 16);
		dma_hidden_write(cpu, gpa);
		return;
	}
	if (write && chipset_mmio_page(gpa)) {
		count_exit_detail(cpu, NV_XD_NPF, (uint64_t)NV_XD_PAGE_CHIPSET << 16);
		chipset_mmio_write(cpu, gpa);
		return;
	}
	if (write && nested_maps_watched(cpu, gpa)) {
		nested_maps_written(cpu, gpa);
		handled = true;
	}
	if (write && nested_npt_protected(cpu, gpa)) {
		nested_npt_l1_write(cpu, gpa);
		handled = true;
	}
	if (handled) {
		count_exit_detail(cpu, NV_XD_NPF, (uint64_t)NV_XD_PAGE_L1_NPT << 16);
		return;
	}
	if (gpa >= hvmem.phys_limit) {
		count_exit_detail(cpu, NV_XD_NPF, (uint64_t)NV_XD_PAGE_OTHER << 16);
		beyond_width(cpu, c->exit_info_1, gpa);
		return;
	}
	if (npt_allows(gpa, c->exit_info_1)) {
		count_exit_detail(cpu, NV_XD_NPF, (uint64_t)NV_XD_PAGE_FLUSHED << 16);
		c->tlb_control = TLB_CONTROL_FLUSH_ALL;
		return;
	}
	count_exit_detail(cpu, NV_XD_NPF, (uint64_t)NV_XD_PAGE_OTHER << 16);
	if (!hvmem_backing(gpa)) {
		unexplained_fault(cpu, gpa);
		return;
	}
	log_info_limited("%s touched %s at 0x%lx (rip 0x%lx, exit_info_1 "
			 "0x%lx): mapped to %s", cpu->nested.guest_mode ? "L2" : "L1",
			 hvmem_contains(gpa) ? "hypervisor memory" :
			 "a range hidden from L1",
			 gpa, cpu->cur->save.rip, c->exit_info_1,
			 hvmem_backing(gpa) == hvmem.sink_pa ? "the sink page" :
			 "the all-ones page");
	/* Its table exists from start-up (core/hvmem.h): cannot fail. */
	rc = hvmem_map_sink(gpa);
	ASSERT(rc == 0);
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
	uint64_t emptied = n->snpt->stats.resets + n->snpt->stats.evictions;

	o = nested_npt_handle_fault(cpu, &r);
	/* Shadow entries the MMU dropped to make room: L2's TLB goes too. */
	if (n->snpt->stats.resets + n->snpt->stats.evictions != emptied) {
		n->tlb_flush_pending = true;
		log_info_limited("shadow NPT: out of room, roots emptied "
				 "(%lu resets, %lu evictions so far)",
				 n->snpt->stats.resets, n->snpt->stats.evictions);
	}
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
		log_error_limited("L1's NPT maps L2 gpa 0x%lx to L1 gpa 0x%lx, where L1 "
				  "has no memory", l2_gpa, r.l1_gpa);
		nested_vmexit(cpu, VMEXIT_SHUTDOWN, 0, 0, 0);
		return;
	case SNPT_WATCHED_WRITE:
		if (hvmem_drops_writes(r.l1_gpa)) { /* pinned read-only */
			dma_hidden_write(cpu, r.l1_gpa);
			return;
		}
		nested_maps_written(cpu, r.l1_gpa);
		return;
	case SNPT_STALE_ROOT:
		if (nested_npt_setup(cpu)) {
			log_error_limited("no page for a shadow NPT root, even after "
					  "emptying every root: L2 ends");
			nested_vmexit(cpu, VMEXIT_SHUTDOWN, 0, 0, 0);
			return;
		}
		nested_npt_use_root(cpu, n->npt_root);
		return;
	case SNPT_NO_MEMORY:
		/* Nothing installed, every root emptied (or a table could not
		 * be protected): L2 retries (L1 keeps its own time).  Pages the
		 * shadow freed come back before the next VMRUN, which flushes
		 * the TLB (svm/nested_npt.c), and core/hvmem.c keeps enough
		 * pages that the retry finds room. */
		if (!nested_npt_freed_pending(cpu))
			log_debug_limited("shadow NPT fault at L2 gpa 0x%lx: no room "
					  "even after emptying every root; L2 "
					  "retries", l2_gpa);
		n->tlb_flush_pending = true;
		return;
	case SNPT_BAD_ADDRESS:
		beyond_width(cpu, c->exit_info_1, l2_gpa);
		return;
	case SNPT_L1_TABLE_UNREACHABLE:
	case SNPT_BAD_HOST_ADDRESS:
		log_error_limited("L1's NPT for L2 gpa 0x%lx lies outside L1's memory "
				  "(outcome %d)", l2_gpa, (int)o);
		nested_vmexit(cpu, VMEXIT_SHUTDOWN, 0, 0, 0);
		return;
	case SNPT_RETRY:
		return; /* another CPU changed L1's NPT: L2 retries */
	}
}

void handle_npf(struct cpu *cpu)
{
	if (cpu->nested.guest_mode && cpu->nested.l2_np)
		shadow_npt_fault(cpu);
	else
		l1_npt_fault(cpu);
}
