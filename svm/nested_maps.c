// SPDX-License-Identifier: MIT
/*
 * L1's I/O and MSR permission maps for its L2 (AMD APM Vol. 2 §15.10.1
 * IOPM, §15.11 MSRPM).  The CPU reads them in memory at every IN, OUT,
 * INS, OUTS, RDMSR and WRMSR of the guest, so a change L1 (or L2, which
 * may map them) makes is seen at the next access it governs.  nestvisor
 * keeps one view of them, with the same effect:
 *
 *  - The view: a copy of L1's maps (the only thing nestvisor reads to
 *    decide whether L1 intercepts an access), and vmcb02's maps, the OR of
 *    nestvisor's own maps (with the feature emulations' MSRs,
 *    svm/nested_feat.c) and the copy.  Both are made at VMRUN when L1
 *    asks for the intercept, and again only when they may have changed.
 *  - Watching: every 4 KiB page of L1's maps is read-only in nestvisor's
 *    NPT for L1 (L1's writes, and those of an L2 without nested paging)
 *    and in every vCPU's shadow NPT (4 KiB read-only leaves only: an L2
 *    with nested paging), pinned through svm/nested_npt.c (mm/snpt_smp.c
 *    pins).  A write, on any CPU, exits to svm/npf.c, which calls
 *    nested_maps_written(): the page is released (the write then goes
 *    through) and every view made from it is stale.  Pages stay watched
 *    across VMRUNs of other vmcb12s (L1 keeps a map per vCPU), up to
 *    MAPS_WATCH_MAX for all CPUs; adding one empties every vCPU's shadow,
 *    in which a leaf may map it writable.
 *  - Every CPU: nestvisor's NPT for L1 is one, so the watched pages are
 *    one table, with the CPUs whose views were made from each page.  When
 *    a page stops being watched (a write, or eviction by a newer one),
 *    the other CPUs whose views used it get a request (nested.maps_req)
 *    and have left guest mode before the writer goes on (svm/smp.c
 *    smp_flush_l1_tlbs): they take the request before their next VMRUN
 *    (nested_maps_request()), so no CPU makes an access under a view that
 *    a completed write changed.
 *  - Stale: vmcb02 runs with maps in which every bit is set, so each
 *    access they govern exits.  At that exit nested_maps_refresh() copies
 *    and merges L1's maps again from memory, watches them again and gives
 *    vmcb02 its maps back; the access is then L1's (#VMEXIT), nestvisor's,
 *    or neither's, and then L2 simply executes it again under the exact
 *    maps.  So nestvisor never performs an access on L2's behalf that the
 *    CPU could perform: string and REP I/O included.
 *  With L1 running, a write only makes the view stale; the next VMRUN
 *  refreshes it.
 * Maps in nestvisor's region read as the sink page and are not watched,
 * nor is a page nestvisor runs out of memory to protect (docs/nested.md).
 */
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "mm/spinlock.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/permmap.h"
#include "svm/smp.h"

#define MSRPM_PAGES (MSRPM_SIZE / 4096)
#define IOPM_PAGES  (IOPM_SIZE / 4096)

/* The watched pages of every CPU.  page[] and nr are read without the
 * lock (atomic loads: a page being added or removed may be seen either
 * way, and its adder empties the shadows after adding it). */
#define MAPS_WATCH_MAX 128
static struct {
	struct spinlock lock;
	unsigned next;                 /* where to look for a slot first */
	unsigned nr;                   /* pages watched */
	unsigned top;                  /* slots below this may be in use */
	uint64_t page[MAPS_WATCH_MAX]; /* 0: a free slot */
	uint64_t cpus[MAPS_WATCH_MAX]; /* bit i: CPU i's view used it */
} watches;

void nested_maps_global_init(void)
{
	spin_lock(&watches.lock);
	for (unsigned i = 0; i < MAPS_WATCH_MAX; i++)
		watches.page[i] = watches.cpus[i] = 0;
	watches.nr = watches.next = watches.top = 0;
	spin_unlock(&watches.lock);
}

int nested_maps_init(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;

	n->msrpm02 = hv_alloc(MSRPM_PAGES);
	n->iopm02 = hv_alloc(IOPM_PAGES);
	n->l1_msrpm = hv_alloc(MSRPM_PAGES);
	n->l1_iopm = hv_alloc(IOPM_PAGES);
	n->all_msrpm = hv_alloc(MSRPM_PAGES);
	n->all_iopm = hv_alloc(IOPM_PAGES);
	if (!n->msrpm02 || !n->iopm02 || !n->l1_msrpm || !n->l1_iopm ||
	    !n->all_msrpm || !n->all_iopm)
		return -NV_ENOMEM;
	for (unsigned i = 0; i < MSRPM_SIZE; i++)
		n->all_msrpm[i] = 0xff;
	for (unsigned i = 0; i < IOPM_SIZE; i++)
		n->all_iopm[i] = 0xff;
	n->maps_stale = true;
	return 0;
}

static bool map_bit(const uint8_t *map, unsigned bit)
{
	return (map[bit / 8] >> (bit % 8)) & 1;
}

static uint64_t slot_page(unsigned i)
{
	return __atomic_load_n(&watches.page[i], __ATOMIC_ACQUIRE);
}

bool nested_maps_watched(struct cpu *cpu, uint64_t gpa)
{
	unsigned top;

	(void)cpu;
	if (!__atomic_load_n(&watches.nr, __ATOMIC_ACQUIRE))
		return false; /* the common case: L1 uses no map */
	gpa &= ~0xfffull;
	top = __atomic_load_n(&watches.top, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < top; i++)
		if (slot_page(i) == gpa && gpa)
			return true;
	return false;
}

bool nested_maps_watched_in(struct cpu *cpu, uint64_t lo, uint64_t hi)
{
	unsigned top;

	(void)cpu;
	if (!__atomic_load_n(&watches.nr, __ATOMIC_ACQUIRE))
		return false;
	top = __atomic_load_n(&watches.top, __ATOMIC_ACQUIRE);
	for (unsigned i = 0; i < top; i++) {
		uint64_t p = slot_page(i);

		if (p && p >= lo && p < hi)
			return true;
	}
	return false;
}

/* Under the lock: the slot of page, or MAPS_WATCH_MAX. */
static unsigned slot_of(uint64_t page)
{
	for (unsigned i = 0; i < MAPS_WATCH_MAX; i++)
		if (watches.page[i] == page)
			return i;
	return MAPS_WATCH_MAX;
}

/* Under the lock: slot i's page is watched no more; the CPUs whose views
 * used it are returned. */
static uint64_t unwatch_slot(unsigned i)
{
	uint64_t page = watches.page[i], cpus = watches.cpus[i];

	__atomic_store_n(&watches.page[i], 0, __ATOMIC_RELEASE);
	__atomic_store_n(&watches.nr, watches.nr - 1, __ATOMIC_RELEASE);
	watches.cpus[i] = 0;
	nested_npt_l1_unpin(page);
	return cpus;
}

/* Is gpa a page of the maps the view was made from? */
static bool in_view(const struct nested *n, uint64_t gpa)
{
	return (n->maps_msr && gpa - n->maps_msrpm_base < MSRPM_SIZE) ||
	       (n->maps_io && gpa - n->maps_iopm_base < IOPM_SIZE);
}

/*
 * Watch one page of L1's maps for this CPU's view.  Watched pages stay
 * watched after their VMRUN (L1 keeps one map per vCPU and switches
 * between them), until a write releases them or MAPS_WATCH_MAX newer ones
 * evict them (*evicted: the CPUs whose views used an evicted page).
 * Returns false for a page that cannot be watched.  *added: a page was
 * added, so shadow leaves made before may map it writable or large.
 */
static bool watch_page(struct cpu *cpu, uint64_t gpa, bool *added,
		       uint64_t *evicted)
{
	unsigned slot;
	bool ok = true;

	if (gpa >= hvmem.phys_limit || hvmem_contains(gpa))
		return false; /* the sink page, or no memory */
	spin_lock(&watches.lock);
	slot = slot_of(gpa);
	if (slot < MAPS_WATCH_MAX) {
		watches.cpus[slot] |= 1ull << cpu->idx;
		goto out;
	}
	slot = slot_of(0);
	if (slot == MAPS_WATCH_MAX) {
		slot = watches.next;
		*evicted |= unwatch_slot(slot);
	}
	watches.next = (slot + 1) % MAPS_WATCH_MAX;
	if (nested_npt_l1_pin(gpa)) {
		log_warn("cannot write-protect L1's permission map page 0x%lx: "
			 "its changes are seen at VMRUN only", gpa);
		ok = false;
		goto out;
	}
	watches.cpus[slot] = 1ull << cpu->idx;
	if (slot >= watches.top) /* free slots are taken lowest first */
		__atomic_store_n(&watches.top, slot + 1, __ATOMIC_RELEASE);
	__atomic_store_n(&watches.page[slot], gpa, __ATOMIC_RELEASE);
	__atomic_store_n(&watches.nr, watches.nr + 1, __ATOMIC_RELEASE);
	*added = true;
out:
	spin_unlock(&watches.lock);
	return ok;
}

/* Watch the pages of one map of L1; false if one cannot be watched. */
static bool watch_map(struct cpu *cpu, uint64_t base, unsigned pages,
		      bool *added, uint64_t *evicted)
{
	bool all = true;

	for (unsigned i = 0; i < pages; i++)
		all &= watch_page(cpu, base + i * 4096ull, added, evicted);
	return all;
}

/* The view is stale: vmcb02 exits at every access the maps govern. */
static void use_maps(struct cpu *cpu);
static void make_stale(struct cpu *cpu)
{
	cpu->nested.maps_stale = true;
	if (cpu->nested.guest_mode)
		use_maps(cpu);
}

/*
 * Pages stopped being watched; cpus: the CPUs whose views used them.
 * This CPU's view is stale if it was made from gpa (any page if gpa is
 * 0).  Every other CPU of cpus gets a request and has left guest mode
 * when this returns (svm/smp.c: the request is taken before its next
 * VMRUN, nested_maps_request()), or was given up on by the shootdown (its
 * NMIs blocked): its L2 then runs under the old view until its next exit,
 * which frees nothing and keeps nestvisor's own intercepts (svm/smp.c,
 * "Giving up").
 */
static void views_unwatched(struct cpu *self, uint64_t cpus, uint64_t gpa)
{
	uint64_t others = cpus & ~(1ull << self->idx);

	if ((cpus & (1ull << self->idx)) &&
	    (!gpa || in_view(&self->nested, gpa)))
		make_stale(self);
	if (!others)
		return;
	for (unsigned i = 0; i < NV_MAX_CPUS; i++) {
		struct cpu *t = (others >> i) & 1 ? smp_cpu(i) : 0;

		if (t) {
			__atomic_store_n(&t->nested.maps_req, 1,
					 __ATOMIC_SEQ_CST);
			smp_post(t);
		}
	}
	smp_flush_l1_tlbs(self);
}

void nested_maps_request(struct cpu *cpu)
{
	if (__atomic_load_n(&cpu->nested.maps_req, __ATOMIC_RELAXED) &&
	    __atomic_exchange_n(&cpu->nested.maps_req, 0, __ATOMIC_SEQ_CST))
		make_stale(cpu);
}

/* One map of L1 into its copy (unreadable bytes: every bit set) and
 * vmcb02's map = nestvisor's | the copy. */
static void copy_and_merge(uint8_t *copy, uint8_t *merged, const uint8_t *l0,
			   uint64_t base, unsigned size, bool wanted)
{
	for (unsigned off = 0; off < size; off += 4096) {
		const volatile uint8_t *l1 = 0;

		if (wanted)
			l1 = (const volatile uint8_t *)l1_host_ptr(base + off, 4096);
		for (unsigned i = 0; i < 4096; i++) {
			uint8_t b = !wanted ? 0 : l1 ? l1[i] : 0xff;

			copy[off + i] = b;
			merged[off + i] = (uint8_t)(l0[off + i] | b);
		}
	}
}

/* Make the view from L1's memory and watch it. */
static void refresh(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	const struct vmcb12_ctrl_cache *c12 = &n->cache.ctrl;
	bool msr = c12->intercept_misc1 & INTERCEPT1_MSR_PROT;
	bool io = c12->intercept_misc1 & INTERCEPT1_IOIO_PROT;

	bool added = false, all = true;
	uint64_t evicted = 0;

	/* Watch first, then read: a write in between makes them stale. */
	if (msr)
		all &= watch_map(cpu, c12->msrpm_base_pa, MSRPM_PAGES, &added,
				 &evicted);
	if (io)
		all &= watch_map(cpu, c12->iopm_base_pa, IOPM_PAGES, &added,
				 &evicted);
	/* Shadow leaves made before may map a watched page writable, or in
	 * a large page: every vCPU's shadow is emptied (and every TLB). */
	if (added)
		nested_npt_flush_all_shadows(cpu);
	copy_and_merge(n->l1_msrpm, n->msrpm02, cpu->msrpm, c12->msrpm_base_pa,
		       MSRPM_SIZE, msr);
	copy_and_merge(n->l1_iopm, n->iopm02, cpu->iopm, c12->iopm_base_pa,
		       IOPM_SIZE, io);
	/* The feature emulations' MSR intercepts (svm/nested_feat.c). */
	if (nested_feat_msr_intercepted(cpu, MSR_TSC, false))
		msrpm_set(n->msrpm02, MSR_TSC, true, false);
	/* Pages that cannot be watched are read again at every VMRUN. */
	n->maps_unwatched = !all;
	n->maps_msr = msr;
	n->maps_io = io;
	n->maps_msrpm_base = c12->msrpm_base_pa;
	n->maps_iopm_base = c12->iopm_base_pa;
	n->maps_stale = false;
	/* Views of other CPUs made from evicted pages (this one's is new). */
	if (evicted)
		views_unwatched(cpu, evicted & ~(1ull << cpu->idx), 0);
}

static void use_maps(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct vmcb_control *c = &n->vmcb02->control;
	bool stale = n->maps_stale;

	c->msrpm_base_pa = (uint64_t)(stale ? n->all_msrpm : n->msrpm02);
	c->iopm_base_pa = (uint64_t)(stale ? n->all_iopm : n->iopm02);
}

void nested_maps_vmrun(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	const struct vmcb12_ctrl_cache *c12 = &n->cache.ctrl;
	bool msr = c12->intercept_misc1 & INTERCEPT1_MSR_PROT;
	bool io = c12->intercept_misc1 & INTERCEPT1_IOIO_PROT;

	if (n->maps_stale || n->maps_unwatched ||
	    msr != n->maps_msr || io != n->maps_io ||
	    (msr && c12->msrpm_base_pa != n->maps_msrpm_base) ||
	    (io && c12->iopm_base_pa != n->maps_iopm_base))
		refresh(cpu);
	use_maps(cpu);
}

void nested_maps_written(struct cpu *cpu, uint64_t gpa)
{
	uint64_t cpus = 0;
	unsigned slot;

	gpa &= ~0xfffull;
	log_debug("%s writes L1's permission map page 0x%lx: the maps are "
		  "read again at the next access they govern",
		  cpu->nested.guest_mode ? "L2" : "L1", gpa);
	spin_lock(&watches.lock);
	slot = slot_of(gpa);
	if (slot < MAPS_WATCH_MAX)
		cpus = unwatch_slot(slot);
	spin_unlock(&watches.lock);
	/* This CPU's TLB may still hold the read-only translation. */
	cpu->cur->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	views_unwatched(cpu, cpus, gpa);
}

bool nested_maps_refresh(struct cpu *cpu)
{
	if (!cpu->nested.maps_stale)
		return false;
	refresh(cpu);
	use_maps(cpu);
	return true;
}

bool nested_maps_l1_msr(struct cpu *cpu, uint32_t msr, bool write)
{
	const struct nested *n = &cpu->nested;
	unsigned bit;

	if (!(n->cache.ctrl.intercept_misc1 & INTERCEPT1_MSR_PROT))
		return false;
	/* MSRs outside the map's three ranges are always intercepted. */
	return msrpm_bit(msr, &bit) || map_bit(n->l1_msrpm, bit + write);
}

bool nested_maps_l1_io(struct cpu *cpu, union svm_ioio_info io)
{
	const struct nested *n = &cpu->nested;

	if (!(n->cache.ctrl.intercept_misc1 & INTERCEPT1_IOIO_PROT))
		return false;
	for (unsigned i = 0; i < ioio_size(io); i++)
		if (map_bit(n->l1_iopm, io.port + i))
			return true;
	return false;
}

bool nested_maps_l0_intercepts(struct cpu *cpu, uint64_t code, uint64_t info1)
{
	if (code == VMEXIT_MSR) {
		uint32_t msr = (uint32_t)cpu->gregs.rcx;
		unsigned bit;

		return msrpm_bit(msr, &bit) ||
		       map_bit(cpu->msrpm,
			       bit + ((info1 & EXITINFO1_MSR_WRITE) ? 1 : 0)) ||
		       nested_feat_msr_intercepted(cpu, msr,
						   info1 & EXITINFO1_MSR_WRITE);
	}
	if (code == VMEXIT_IOIO) {
		union svm_ioio_info io = { .raw = info1 };

		for (unsigned i = 0; i < ioio_size(io); i++)
			if (map_bit(cpu->iopm, io.port + i))
				return true;
	}
	return false;
}
