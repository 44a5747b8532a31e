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
 *    nestvisor's own maps and the copy.  Both are made at VMRUN when L1
 *    asks for the intercept, and again only when they may have changed.
 *  - Watching: every 4 KiB page of L1's maps is read-only in nestvisor's
 *    NPT for L1 (L1's writes, and those of an L2 without nested paging)
 *    and in the shadow NPT (mm/shadow_npt.c env->l1_watched, 4 KiB leaves
 *    only: an L2 with nested paging).  A write exits to svm/npf.c, which
 *    calls nested_maps_written(): the page is released (the write then
 *    goes through) and, if the view was made from it, the view is stale.
 *    Pages stay watched across VMRUNs of other vmcb12s (L1 keeps a map
 *    per vCPU), up to NESTED_WATCH_MAX; adding one empties the shadow, in
 *    which a leaf may map it writable.
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
#include "mm/shadow_npt.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/permmap.h"

#define MSRPM_PAGES (MSRPM_SIZE / 4096)
#define IOPM_PAGES  (IOPM_SIZE / 4096)

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

bool nested_maps_watched(struct cpu *cpu, uint64_t gpa)
{
	const struct nested *n = &cpu->nested;

	if (!n->nr_watched) /* the common case: L1 uses no map */
		return false;
	gpa &= ~0xfffull;
	for (unsigned i = 0; i < NESTED_WATCH_MAX; i++)
		if (n->watch[i] == gpa && gpa)
			return true;
	return false;
}

bool nested_maps_watched_in(struct cpu *cpu, uint64_t lo, uint64_t hi)
{
	const struct nested *n = &cpu->nested;

	if (!n->nr_watched)
		return false;
	for (unsigned i = 0; i < NESTED_WATCH_MAX; i++)
		if (n->watch[i] && n->watch[i] >= lo && n->watch[i] < hi)
			return true;
	return false;
}

/* Is gpa a page of the maps the view was made from? */
static bool in_view(const struct nested *n, uint64_t gpa)
{
	return (n->maps_msr && gpa - n->maps_msrpm_base < MSRPM_SIZE) ||
	       (n->maps_io && gpa - n->maps_iopm_base < IOPM_SIZE);
}

/*
 * Watch one page of L1's maps.  Watched pages stay watched after their
 * VMRUN (L1 keeps one map per vCPU and switches between them), until a
 * write releases them or NESTED_WATCH_MAX newer ones evict them.  Returns
 * false for a page that cannot be watched.  *added: a page was added,
 * so shadow leaves made before may map it writable or large.
 */
static bool watch_page(struct cpu *cpu, uint64_t gpa, bool *added)
{
	struct nested *n = &cpu->nested;
	unsigned slot = n->watch_next;
	uint64_t old;

	if (gpa >= hvmem.phys_limit || hvmem_contains(gpa))
		return false; /* the sink page, or no memory */
	if (nested_maps_watched(cpu, gpa))
		return true;
	old = n->watch[slot];
	n->watch[slot] = gpa;
	n->watch_next = (slot + 1) % NESTED_WATCH_MAX;
	if (!old)
		n->nr_watched++;
	else if (!nested_npt_protected(cpu, old))
		nested_npt_l1_page_rw(cpu, old, true);
	if (nested_npt_l1_page_rw(cpu, gpa, false)) {
		n->watch[slot] = 0;
		n->nr_watched--;
		log_warn("cannot write-protect L1's permission map page 0x%lx: "
			 "its changes are seen at VMRUN only", gpa);
		return false;
	}
	*added = true;
	return true;
}

/* Watch the pages of one map of L1; false if one cannot be watched. */
static bool watch_map(struct cpu *cpu, uint64_t base, unsigned pages,
		      bool *added)
{
	bool all = true;

	for (unsigned i = 0; i < pages; i++)
		all &= watch_page(cpu, base + i * 4096ull, added);
	return all;
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

	/* Watch first, then read: a write in between makes them stale. */
	if (msr)
		all &= watch_map(cpu, c12->msrpm_base_pa, MSRPM_PAGES, &added);
	if (io)
		all &= watch_map(cpu, c12->iopm_base_pa, IOPM_PAGES, &added);
	if ((added || n->maps_shadow_rw) && n->snpt) {
		/* Shadow leaves made before may map a watched page writable,
		 * or in a large page: drop them all. */
		snpt_flush(n->snpt);
		n->tlb_flush_pending = true;
		n->maps_shadow_rw = false;
	}
	copy_and_merge(n->l1_msrpm, n->msrpm02, cpu->msrpm, c12->msrpm_base_pa,
		       MSRPM_SIZE, msr);
	copy_and_merge(n->l1_iopm, n->iopm02, cpu->iopm, c12->iopm_base_pa,
		       IOPM_SIZE, io);
	/* Pages that cannot be watched are read again at every VMRUN. */
	n->maps_unwatched = !all;
	n->maps_msr = msr;
	n->maps_io = io;
	n->maps_msrpm_base = c12->msrpm_base_pa;
	n->maps_iopm_base = c12->iopm_base_pa;
	n->maps_stale = false;
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
	struct nested *n = &cpu->nested;

	gpa &= ~0xfffull;
	log_debug("%s writes L1's permission map page 0x%lx: the maps are "
		  "read again at the next access they govern",
		  n->guest_mode ? "L2" : "L1", gpa);
	for (unsigned i = 0; i < NESTED_WATCH_MAX; i++) {
		if (n->watch[i] == gpa) {
			n->watch[i] = 0;
			n->nr_watched--;
		}
	}
	if (!nested_npt_protected(cpu, gpa))
		nested_npt_l1_page_rw(cpu, gpa, true);
	n->maps_shadow_rw = true;
	if (!in_view(n, gpa))
		return; /* another vmcb12's maps: read at its VMRUN */
	n->maps_stale = true;
	if (n->guest_mode)
		use_maps(cpu);
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
		unsigned bit;

		return msrpm_bit((uint32_t)cpu->gregs.rcx, &bit) ||
		       map_bit(cpu->msrpm, bit + (info1 & 1));
	}
	if (code == VMEXIT_IOIO) {
		union svm_ioio_info io = { .raw = info1 };

		for (unsigned i = 0; i < ioio_size(io); i++)
			if (map_bit(cpu->iopm, io.port + i))
				return true;
	}
	return false;
}
