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
 * Coherence: the MMU write-protects, in L1's NPT, every L1 page its shadow
 * tables were built from.  L1's write to one exits (svm/npf.c calls
 * nested_npt_l1_write), the shadows built from it are dropped, the page is
 * released and L1's write goes through.  Every change to shadow tables or
 * to L1's NPT is followed by a TLB flush of the guest that used them.
 */
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/x86.h"
#include "mm/npt_l1.h"
#include "mm/shadow_npt.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"

static int l1_to_hpa(void *ctx, uint64_t gpa, uint64_t *hpa, unsigned *shift)
{
	uint64_t b = hvmem.base, e = hvmem.base + hvmem.size;
	struct cpu *cpu = ctx;

	if (gpa >= hvmem.phys_limit)
		return -NV_EFAULT;
	if (gpa >= b && gpa < e) {
		*hpa = hvmem.sink_pa + (gpa & 0xfff);
		*shift = 12;
		return 0;
	}
	*hpa = gpa;
	*shift = 12;
	/* The largest block around gpa clear of nestvisor's region and of
	 * the watched pages of L1's permission maps (svm/nested_maps.c). */
	for (unsigned s = cpu->caps.gbpages ? 30 : 21; s > 12; s -= 9) {
		uint64_t lo = gpa & ~((1ull << s) - 1), hi = lo + (1ull << s);
		if ((hi <= b || lo >= e) && hi <= hvmem.phys_limit &&
		    !nested_maps_watched_in(cpu, lo, hi)) {
			*shift = s;
			break;
		}
	}
	return 0;
}

/*
 * The shadow's table pages.  A page the MMU frees (a table a large leaf
 * replaced, zapped or emptied) may still be in a TLB or page-walk cache
 * of vmcb02's ASID, so it is not reused before vmcb02 has run once with
 * its TLB flushed: freed pages wait (linked through their entry 0, which
 * then reads as not present), move on when such a run starts, and go
 * back to the allocator at the exit that ends it.
 */
static void *shadow_map(void *ctx, uint64_t pa)
{
	(void)ctx;
	return hvmem.ptm.map(hvmem.ptm.ctx, pa);
}

static uint64_t shadow_alloc(void *ctx)
{
	struct cpu *cpu = ctx;
	uint64_t pa = hvmem.ptm.alloc_page(hvmem.ptm.ctx);

	cpu->nested.snpt_pages += pa != 0; /* counted for nvctl */
	return pa;
}

static void shadow_free(void *ctx, uint64_t pa)
{
	struct cpu *cpu = ctx;
	uint64_t *page = hvmem.ptm.map(hvmem.ptm.ctx, pa);

	cpu->nested.snpt_pages--;
	page[0] = cpu->nested.freed_waiting;
	cpu->nested.freed_waiting = pa;
	cpu->nested.tlb_flush_pending = true;
}

static void free_list(uint64_t head)
{
	while (head) {
		uint64_t next = *(uint64_t *)hvmem.ptm.map(hvmem.ptm.ctx, head);

		hvmem.ptm.free_page(hvmem.ptm.ctx, head);
		head = next;
	}
}

void nested_npt_tlb_flush02(struct cpu *cpu, struct vmcb_control *c)
{
	struct nested *n = &cpu->nested;
	uint64_t tail;

	if (!n->tlb_flush_pending)
		return;
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	n->tlb_flush_pending = false;
	if (!n->freed_waiting)
		return;
	/* The waiting pages join those of an earlier flushing run. */
	tail = n->freed_waiting;
	while (*(uint64_t *)hvmem.ptm.map(hvmem.ptm.ctx, tail))
		tail = *(uint64_t *)hvmem.ptm.map(hvmem.ptm.ctx, tail);
	*(uint64_t *)hvmem.ptm.map(hvmem.ptm.ctx, tail) = n->freed_flushing;
	n->freed_flushing = n->freed_waiting;
	n->freed_waiting = 0;
}

void nested_npt_flush_shadow(struct cpu *cpu)
{
	if (!cpu->nested.snpt)
		return;
	snpt_flush(cpu->nested.snpt);
	cpu->nested.tlb_flush_pending = true;
}

bool nested_npt_freed_pending(const struct cpu *cpu)
{
	return cpu->nested.freed_waiting || cpu->nested.freed_flushing;
}

void nested_npt_exit02(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;

	free_list(n->freed_flushing);
	n->freed_flushing = 0;
}

static void flush_all_guests(struct cpu *cpu)
{
	cpu->vmcb01->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	cpu->nested.tlb_flush_pending = true;
}

int nested_npt_l1_page_rw(struct cpu *cpu, uint64_t gpa, bool writable)
{
	uint64_t hpa;
	unsigned shift;
	int err = l1_to_hpa(cpu, gpa, &hpa, &shift);

	if (err)
		return err;
	log_trace("%s L1 page 0x%lx in L1's NPT",
		  writable ? "release" : "write-protect", gpa);
	err = npt_map_page(&hvmem.ptm, hvmem.npt_root, gpa & ~0xfffull,
			   hpa & ~0xfffull, PTE_P | PTE_US | (writable ? PTE_RW : 0));
	if (err)
		return err;
	flush_all_guests(cpu);
	return 0;
}

/* The MMU's protection of L1's NPT pages.  A page that also holds one of
 * L1's permission maps stays read-only (svm/nested_maps.c). */
static int protect(void *ctx, uint64_t gpa, bool wp)
{
	struct cpu *cpu = ctx;

	if (!wp && nested_maps_watched(cpu, gpa))
		return 0;
	return nested_npt_l1_page_rw(cpu, gpa, !wp);
}

static bool l1_watched(void *ctx, uint64_t gpa)
{
	return nested_maps_watched(ctx, gpa);
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
		.l1mem = &l1_gmem, .l1_to_hpa = l1_to_hpa, .protect = protect,
		.l1_watched = l1_watched,
		.ctx = cpu, .ptm = &n->shadow_ptm,
		.l1_cpu = { n->caps.maxphyaddr, cpu->caps.gbpages },
		.hw_gmet = svm_has(&cpu->caps, SVM_FEAT_GMET),
		.gbpages = cpu->caps.gbpages,
	};

	n->shadow_ptm = (struct pt_mem){ cpu, shadow_map, shadow_alloc,
					 shadow_free };
	n->snpt = hv_alloc((sizeof(*n->snpt) + 4095) / 4096);
	if (!n->snpt)
		return -NV_ENOMEM;
	snpt_init(n->snpt, &env);
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

	/* L1's CR4 and EFER at VMRUN are the host state of the NPT walk. */
	n->npt_role = cpu_role_shadow_npt(l1->cr4, efer_of_l1(cpu), gmet);
	pagewalk_init(&n->npt_walk, n->npt_role, true, &mc);
	return snpt_get_root(n->snpt, c12->ctrl.nested_cr3, n->npt_role,
			     exec_class(cpu, c12->save.cpl), &n->npt_root);
}

uint64_t nested_npt_faults(const struct cpu *cpu)
{
	return cpu->nested.snpt ? cpu->nested.snpt->stats.faults : 0;
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
	log_debug("L1 writes its NPT page 0x%lx: shadows built from it dropped",
		  gpa & ~(uint64_t)0xfff);
	snpt_l1_write(cpu->nested.snpt, gpa);
	flush_all_guests(cpu);
}

bool nested_npt_protected(struct cpu *cpu, uint64_t gpa)
{
	return cpu->nested.snpt && snpt_is_protected(cpu->nested.snpt, gpa);
}
