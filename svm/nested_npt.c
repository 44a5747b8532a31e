// SPDX-License-Identifier: MIT
/*
 * L2's nested paging, the glue between vmcb02 and the shadow-NPT MMU
 * (mm/shadow_npt.c).
 *
 * Without it (vmcb12 NP clear) L2 runs in L1's physical space through
 * nestvisor's NPT for L1.
 *
 * With it, vmcb02 runs on a shadow of L1's NPT, keyed by (nCR3, role,
 * execution class); the role is KVM's shadow-NPT role from L1's CR4 and
 * EFER at VMRUN and vmcb12's GMET bit.  This file gives the MMU its
 * environment (L1's memory, where L1 memory is in host memory, how to
 * write-protect a page of L1), picks the root at VMRUN, switches it when
 * asked, and reads L2's memory through L1's NPT (for decoding L2's
 * instructions).  An #NPF of vmcb02, with or without nested paging, is
 * svm/npf.c's: it asks the MMU and acts on the answer.
 *
 * L2 never reaches nestvisor's region or a page whose accesses nestvisor
 * emulates for L1 directly: the local APIC's page, the interrupt-message
 * window after it (svm/msi_window.c), an I/O APIC's page (svm/ioapic.c),
 * a locked ECAM page (svm/chipset_lock.c).  Where L1's NPT points L2 at
 * them, the shadow maps the sink page (a write there would otherwise
 * bypass the INIT/SIPI filter of svm/apic.c, or the locks).
 *
 * Coherence: each vCPU has its own shadow; mm/snpt_smp.c keeps them all
 * coherent with L1's NPT as a TLB is (its opening comment has the
 * argument; docs/mmu.md §7.2).  An L1 page any shadow was built from is
 * read-only in L1's NPT (and no CPU keeps a writable translation once
 * the protection is used: l1_flush, smp_flush_l1_writes).  L1's first
 * write to one, from any CPU, exits (svm/npf.c calls
 * nested_npt_l1_write), the page becomes unsync in every
 * vCPU's shadow and is released, and L1's write goes through; the entries
 * built from it stay until L1 flushes the TLB for L2, which empties this
 * vCPU's shadow at its VMRUN (nested_npt_vmrun: TLB_CONTROL; INVLPGA in
 * svm/nested_insns.c).  A root the VMRUN enters with another ASID than
 * its entries were cached for is emptied (nested_npt_setup; mm/
 * shadow_npt.c, "ASIDs"): that ASID's TLB never held them, and they may
 * lag behind L1's tables (unsync pages, or L2's own writes to L1's NPT,
 * which nestvisor does not see).
 * At that VMRUN the address of the #NPF last reflected to L1 is also
 * walked again (mm/shadow_npt.c, "Prefetch").  Shadow table pages a vCPU freed return to
 * the allocator before its next VMRUN, which then flushes its TLB
 * (nested_npt_reclaim).  The pages of L1's permission maps that
 * svm/nested_maps.c watches are pinned read-only in the same table
 * (nested_npt_l1_pin), so that every change of an L1 page's rights in
 * nestvisor's NPT, for either reason, is made under one lock; every vCPU's
 * shadow maps a pinned page with 4 KiB read-only leaves only.
 */
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/x86.h"
#include "mm/npt_l1.h"
#include "mm/shadow_npt.h"
#include "mm/snpt_smp.h"
#include "svm/apic.h"
#include "svm/chipset_lock.h"
#include "svm/ioapic.h"
#include "svm/msi_window.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/smp.h"

/* Does [lo, hi) hold a page whose accesses nestvisor emulates for L1
 * (the local APIC's, svm/apic.c; the interrupt-message window; an I/O
 * APIC's; a locked ECAM page)? */
static bool holds_emulated(uint64_t lo, uint64_t hi)
{
	uint64_t apic = apic_mmio_page();

	return (apic >= lo && apic < hi) || msi_window_meets(lo, hi) ||
	       ioapic_meets(lo, hi) || chipset_mmio_meets(lo, hi);
}

void nested_npt_emulated_fixed(void)
{
	uint64_t n = hvmem.phys_limit >> 12, a, b;

	if (!holds_emulated(0, hvmem.phys_limit)) {
		hvmem.emulated_lo = hvmem.emulated_hi = hvmem.phys_limit;
		return;
	}
	/* The first page p with an emulated page in [0, p + 1), and the
	 * last with one in [p, n): each test is monotonic in p. */
	for (a = 0, b = n - 1; a < b;) {
		uint64_t m = a + (b - a) / 2;

		if (holds_emulated(0, (m + 1) << 12))
			b = m;
		else
			a = m + 1;
	}
	hvmem.emulated_lo = a << 12;
	for (a = 0, b = n - 1; a < b;) {
		uint64_t m = a + (b - a + 1) / 2;

		if (holds_emulated(m << 12, n << 12))
			a = m;
		else
			b = m - 1;
	}
	hvmem.emulated_hi = (a + 1) << 12;
	log_debug("pages nestvisor emulates for L1: within 0x%lx-0x%lx",
		  hvmem.emulated_lo, hvmem.emulated_hi - 1);
}

/* Does [lo, hi) hold a page L2 may not reach directly: nestvisor's region,
 * a hidden range (core/hvmem.h), or an emulated page? */
static bool holds_hole(uint64_t lo, uint64_t hi)
{
	return hvmem_meets_hidden(lo, hi) || holds_emulated(lo, hi);
}

/* The page L2 sees at gpa instead of L1's, or 0: the region's or a hidden
 * range's backing (core/hvmem.h), the sink for an emulated page. */
static uint64_t hole_backing(uint64_t gpa)
{
	uint64_t backing = hvmem_backing(gpa), page = gpa & ~0xfffull;

	if (!backing && holds_emulated(page, page + 4096))
		backing = hvmem.sink_pa;
	return backing;
}

static int l1_to_hpa(void *ctx, uint64_t gpa, uint64_t *hpa, unsigned *shift)
{
	struct cpu *cpu = ctx;
	uint64_t backing;

	if (gpa >= hvmem.phys_limit)
		return -NV_EFAULT;
	*shift = 12;
	backing = hole_backing(gpa);
	if (backing) {
		*hpa = backing + (gpa & 0xfff);
		return 0;
	}
	*hpa = gpa;
	/* The largest block around gpa clear of the holes and of the
	 * watched pages of L1's permission maps (svm/nested_maps.c). */
	for (unsigned s = cpu->caps.gbpages ? 30 : 21; s > 12; s -= 9) {
		uint64_t lo = gpa & ~((1ull << s) - 1), hi = lo + (1ull << s);
		if (!holds_hole(lo, hi) && hi <= hvmem.phys_limit &&
		    !nested_maps_watched_in(cpu, lo, hi)) {
			*shift = s;
			break;
		}
	}
	return 0;
}

/* One shadow per vCPU, kept coherent by mm/snpt_smp.c. */
static struct snpt_smp group;

/* vmcb02's TLB flush that nestvisor owes it (the shadow or L1's NPT
 * changed).  The shadow's freed table pages are mm/snpt_smp.c's: they
 * return to the allocator before a VMRUN that flushes the TLB
 * (nested_npt_reclaim). */
void nested_npt_tlb_flush02(struct cpu *cpu, struct vmcb_control *c)
{
	struct nested *n = &cpu->nested;

	if (!n->tlb_flush_pending)
		return;
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	n->tlb_flush_pending = false;
}

void nested_npt_flush_shadow(struct cpu *cpu)
{
	if (!cpu->nested.snpt)
		return;
	/* This vCPU's own CPU: an empty shadow is left as it is (mm/
	 * snpt_smp.c, "Flushes of an empty shadow"); vmcb02's TLB is
	 * flushed either way. */
	snpt_smp_flush_own(&group, cpu->idx);
	cpu->nested.tlb_flush_pending = true;
}

void nested_npt_vmrun(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	const struct vmcb12_ctrl_cache *c12 = &n->cache.ctrl;
	uint64_t emptied;

	/* TLB_CONTROL flushes with or without nested paging (APM Vol. 2
	 * §15.16): 1 every ASID, 3 and 7 the one this VMRUN runs. */
	if (c12->tlb_control != TLB_CONTROL_DO_NOTHING)
		nested_npt_flush_shadow(cpu);
	if (!n->l2_np)
		return;
	emptied = n->snpt->stats.resets + n->snpt->stats.evictions;
	snpt_smp_prefetch(&group, cpu->idx, n->npt_root);
	if (n->snpt->stats.resets + n->snpt->stats.evictions != emptied)
		n->tlb_flush_pending = true;
}

/* A CPU the shootdown gives up on may use its old shadow until its next
 * exit: its table pages wait on its own deferred list (mm/snpt_smp.c I3)
 * and its leaves map only L1 memory (svm/smp.c, "Giving up"). */
void nested_npt_flush_all_shadows(struct cpu *self)
{
	for (unsigned i = 0; i < group.nr; i++)
		if (group.v[i].mmu)
			snpt_smp_flush(&group, i);
	self->nested.tlb_flush_pending = true;
	smp_flush_l1_tlbs(self);
}

bool nested_npt_freed_pending(const struct cpu *cpu)
{
	return snpt_smp_has_deferred(&group, cpu->idx);
}

static void flush_all_guests(struct cpu *cpu)
{
	cpu->vmcb01->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	cpu->nested.tlb_flush_pending = true;
}

/* 1 GiB pages in L1's NPT, for merging splits back. */
static bool gbpages;

/* The tables a merge of L1's NPT unlinked: a CPU in guest mode may still
 * walk them from its TLB or page-walk cache until a shootdown; one it gave
 * up on keeps them in quarantine until its next exit (svm/smp.c). */
static void retire_tables(const uint64_t *pa, unsigned n)
{
	uint64_t stuck = smp_flush_l1_tlbs(0);

	for (unsigned i = 0; i < n; i++)
		smp_free_after(pa[i], stuck);
}

/* The group's hook: one page of L1's NPT read-only, or writable again.
 * A CPU may keep a writable translation of a page just protected until
 * the group's flush (l1_flush) has run, which mm/snpt_smp.c waits for
 * outside its lock (or, should the flush give up on it, until its next
 * exit: svm/smp.c, "Giving up").  The pages nestvisor emulates keep
 * their rights for good (svm/apic.c, svm/msi_window.c, svm/ioapic.c,
 * svm/chipset_lock.c): neither, whatever L1's tables say. */
static int l1_write_protect(void *ctx, uint64_t page, bool wp)
{
	uint64_t hpa = hvmem_backing(page);

	(void)ctx;
	if (page >= hvmem.phys_limit)
		return -NV_EFAULT;
	if (holds_emulated(page, page + 4096))
		return 0;
	if (!hpa)
		hpa = page;
	log_trace("%s L1 page 0x%lx in L1's NPT",
		  wp ? "write-protect" : "release", page);
	/* The all-ones page stays read-only (core/hvmem.h). */
	return hvmem_npt_map(page, hpa, PTE_P | PTE_US |
			     (wp || hvmem_drops_writes(page) ? 0 : PTE_RW));
}

/* The group's hook after a release, outside its lock: the large pages
 * split for the page come back where they can, after a shootdown
 * (hvmem_npt_merge checks L1's NPT as it is now, under its own lock).
 * Not while a CPU a shootdown gave up on has not exited: the tables
 * freed would go to the quarantine, which L1 could fill (svm/smp.c,
 * "Giving up"); they stay split until a later release merges them. */
static void l1_released(void *ctx, uint64_t page)
{
	(void)ctx;
	if (page >= hvmem.phys_limit || holds_emulated(page, page + 4096) ||
	    smp_stuck_any())
		return;
	hvmem_npt_merge(page, gbpages, retire_tables);
}

/* The group's other hook: the shootdown after protections, which only
 * take write rights away. */
static void l1_flush(void *ctx)
{
	(void)ctx;
	smp_flush_l1_writes(0);
}

int nested_npt_global_init(bool gb)
{
	struct snpt_smp_hooks hooks = { .write_protect = l1_write_protect,
					.flush = l1_flush,
					.released = l1_released };
	struct snpt_smp_prot *prot =
		hv_alloc((SNPT_SMP_PROT_SLOTS * sizeof(*prot) + 4095) / 4096);

	if (!prot)
		return -NV_ENOMEM;
	gbpages = gb;
	snpt_smp_init(&group, &hooks, &hvmem.shadow_ptm, prot);
	nested_maps_global_init();
	/* nestvisor's own accesses for L1 (l1_host_ptr) get the sink at
	 * those pages too, as L2 does. */
	hvmem.emulated = holds_emulated;
	return 0;
}

int nested_npt_l1_pin(uint64_t gpa)
{
	return snpt_smp_pin(&group, gpa);
}

void nested_npt_l1_unpin(uint64_t gpa)
{
	snpt_smp_unpin(&group, gpa);
}

/* L2's physical memory through L1's NPT, for decoding L2's instructions. */
static int l2_translate(struct cpu *cpu, uint64_t gpa, uint64_t *l1_gpa)
{
	struct walk_result r;

	if (!walk(&cpu->nested.npt_walk, &l1_gmem, cpu->nested.cache.ctrl.nested_cr3,
		  gpa, PFERR_USER | PFERR_GUEST_FINAL, &r))
		return -NV_EFAULT;
	*l1_gpa = r.out;
	return 0;
}

static int l2_read(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	uint64_t g;

	return l2_translate(ctx, gpa, &g) ? -NV_EFAULT :
		l1_gmem.read(0, g, buf, len);
}

static int l2_write(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
	uint64_t g;

	return l2_translate(ctx, gpa, &g) ? -NV_EFAULT :
		l1_gmem.write(0, g, buf, len);
}

static int l2_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val,
		      unsigned len)
{
	uint64_t g;

	return l2_translate(ctx, gpa, &g) ? -NV_EFAULT :
		l1_gmem.cmpxchg(0, g, old, new_val, len);
}

int nested_npt_init(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct snpt_env env = {
		.l1mem = &l1_gmem, .l1_to_hpa = l1_to_hpa, .ctx = cpu,
		.l1_cpu = { n->caps.maxphyaddr, cpu->caps.gbpages },
		.hw_gmet = svm_has(&cpu->caps, SVM_FEAT_GMET),
		.gbpages = cpu->caps.gbpages,
		.unsync = true,
	};

	n->snpt = hv_alloc((sizeof(*n->snpt) + 4095) / 4096);
	if (!n->snpt)
		return -NV_ENOMEM;
	snpt_smp_add_vcpu(&group, cpu->idx, n->snpt, &env);
	cpu->shadow_deferred = &group.v[cpu->idx].nr_deferred;
	n->l2_phys = (struct gmem){ cpu, l2_read, l2_write, l2_cmpxchg };
	return 0;
}

static enum snpt_exec exec_class(const struct cpu *cpu, unsigned cpl)
{
	(void)cpu;
	return cpl == 3 ? SNPT_EXEC_USER : SNPT_EXEC_SUPERVISOR;
}

int nested_npt_setup(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	const struct vmcb12_cache *c12 = &n->cache;
	bool gmet = c12->ctrl.misc_ctl & MISC_CTL_GMET;
	struct mm_cpu mc = { n->caps.maxphyaddr, cpu->caps.gbpages };
	const struct vmcb_save *l1 = &cpu->vmcb01->save;
	uint64_t emptied = n->snpt->stats.asid_empties;
	int rc;

	/* L1's CR4 and EFER at VMRUN are the host state of the NPT walk. */
	n->npt_role = cpu_role_shadow_npt(l1->cr4, efer_of_l1(cpu), gmet);
	pagewalk_init(&n->npt_walk, n->npt_role, true, &mc);
	/* The root as vmcb12's ASID may see it (emptied if another ASID's
	 * entries were in it): hardware's TLB for that ASID goes too. */
	rc = snpt_smp_get_root(&group, cpu->idx, c12->ctrl.nested_cr3,
			       n->npt_role, exec_class(cpu, c12->save.cpl),
			       c12->ctrl.asid, &n->npt_root);
	if (n->snpt->stats.asid_empties != emptied)
		n->tlb_flush_pending = true;
	return rc;
}

uint64_t nested_npt_faults(const struct cpu *cpu)
{
	return cpu->nested.snpt ? cpu->nested.snpt->stats.faults : 0;
}

uint64_t nested_npt_flushes(const struct cpu *cpu)
{
	return cpu->nested.snpt->stats.flushes +
	       __atomic_load_n(&group.v[cpu->idx].empty_flushes,
			       __ATOMIC_RELAXED);
}

uint64_t nested_npt_pages(const struct cpu *cpu)
{
	return __atomic_load_n(&group.v[cpu->idx].pages, __ATOMIC_RELAXED);
}

uint64_t nested_npt_root(struct cpu *cpu)
{
	return cpu->nested.npt_root;
}

void nested_npt_use_root(struct cpu *cpu, uint64_t root)
{
	ASSERT(cpu->nested.guest_mode && cpu->nested.l2_np);
	cpu->nested.npt_root = root;
	cpu->nested.vmcb02->control.nested_cr3 = root;
	cpu->nested.tlb_flush_pending = true; /* TLBs are tagged by ASID only */
}

void nested_npt_l1_write(struct cpu *cpu, uint64_t gpa)
{
	log_debug_limited("L1 writes its NPT page 0x%lx: shadows built from "
			  "it dropped", gpa & ~(uint64_t)0xfff);
	snpt_smp_l1_write(&group, gpa);
	flush_all_guests(cpu);
}

bool nested_npt_protected(struct cpu *cpu, uint64_t gpa)
{
	(void)cpu;
	return snpt_smp_is_protected(&group, gpa);
}

void nested_npt_reclaim(struct cpu *cpu)
{
	if (snpt_smp_has_deferred(&group, cpu->idx) &&
	    snpt_smp_reclaim(&group, cpu->idx))
		cpu->cur->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
}

enum snpt_outcome nested_npt_handle_fault(struct cpu *cpu,
					  struct snpt_fault_result *r)
{
	struct nested *n = &cpu->nested;
	const struct vmcb_control *c = &n->vmcb02->control;

	return snpt_smp_fault(&group, cpu->idx, n->npt_root, c->exit_info_2,
			      c->exit_info_1, n->vmcb02->save.cpl,
			      n->vmcb02->save.rip, r);
}
