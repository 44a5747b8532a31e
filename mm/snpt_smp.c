// SPDX-License-Identifier: MIT
/*
 * Several vCPUs' shadow NPTs, coherent with one L1 (API: snpt_smp.h).
 *
 * Choice: one shadow per vCPU, not one shared by all.  Each vCPU's MMU
 * (mm/shadow_npt.c) is single-threaded code behind its own lock; the
 * vCPU's own exits take that lock, and so does any other CPU that must
 * drop entries from it.  A shared shadow would save memory when vCPUs of
 * one L2 VM run on several CPUs, but every fault, root switch and eviction
 * would then contend on one lock, an evicted root could still be some
 * other CPU's nCR3, and every zap would need a shootdown of every CPU
 * running that root before its pages are reused.  Per-vCPU shadows keep
 * those problems local: a CPU walks only its own vCPU's shadow tables.
 *
 * Shared state: one table of protected L1 pages with a count each (the
 * number of vCPU MMUs that have uses of the page) and a number of pins,
 * under prot_lock.  The MMUs' env->protect lands here: the first
 * protection or pin of a page calls hooks.write_protect(page, true), which
 * makes it read-only in L1's NPT; when the last use and the last pin are
 * gone it is called with false.  Every change of a page's rights in L1's
 * NPT thus happens under prot_lock, whatever the reason for it.
 *
 * Flushes.  A page just made read-only may still be written through a
 * CPU's TLB until a shootdown (hooks.flush) has run; that waits for the
 * other CPUs to leave guest mode, which under load (vCPU threads the host
 * has descheduled) takes long.  So it runs after prot_lock is dropped,
 * and protecting or pinning returns only once it has: each protection
 * gets a number (wp_seq, counted under prot_lock after the page is
 * read-only), and flushed_seq says up to which number a flush has run
 * since.  A caller whose entry, new or found, has seq > flushed_seq reads
 * wp_seq, flushes, and raises flushed_seq to what it read; a caller
 * covered meanwhile by another CPU's flush does not flush again.  The
 * caller of env->protect then reads the walked entries again (I2 below),
 * so the wait stands where the synchronous shootdown stood.  Nobody waits
 * with prot_lock held: the other vCPUs' faults, pins, L1 writes and
 * is-protected checks go on meanwhile, and several protections share a
 * shootdown.  A release (the page writable again) needs no flush, but
 * what follows it may: nestvisor merges the tables it split for the
 * page back into large pages and must shoot down before it frees them.
 * That is hooks.released, called after prot_lock is dropped; it takes
 * its own lock and checks L1's NPT as it is then, so a protection in
 * between (of this page or of a neighbour) only leaves less to merge.
 *
 * Invariants and why they hold.
 *  I1. An entry in any vCPU's shadow was built from L1 tables whose pages
 *      are protected (count > 0): a vCPU MMU records a use, and protects
 *      the page, for every table page of every walk it installs from, and
 *      drops the use only after zapping the entries it vouched for.
 *  I2. An entry agrees with L1's tables as they were when it was
 *      installed, and they have not changed since.  At install time: the
 *      walk ran before protection; if this fault protected a page, the
 *      MMU reads every walked entry again after the protection returned
 *      (no CPU can write the page unseen any more) and installs nothing
 *      if one changed (SNPT_RETRY).  If it protected nothing, every page
 *      the walk read was already protected (I1 for the earlier uses), so
 *      nothing could change unseen.  After install: an L1 write to the
 *      page exits (#NPF) on whatever CPU makes it; that CPU calls
 *      snpt_smp_l1_write, which zaps the entries built from the page in
 *      every vCPU's MMU, each under that vCPU's lock, before L1's write
 *      can complete (the page becomes writable only when its count drops
 *      to 0, i.e. after the last MMU dropped its uses).  A vCPU that faults
 *      meanwhile either finished before the zapper took its lock (its new
 *      entry is zapped) or walks after: it sees the page as L1 had it
 *      (the write has not happened), re-protects it (count up again, or
 *      0 -> 1 with a new shootdown), so the retried L1 write exits again
 *      and zaps again.  So a shadow entry never outlives, by more than the
 *      TLB that L1 itself must flush, the L1 entry it came from.
 *      With env->unsync (mm/shadow_npt.c, "Unsync pages") that is the rule
 *      itself: the trapped write makes the page unsync in every MMU that
 *      protects it (each drops its count; the page is writable when the
 *      last one has), zapping nothing, and L1's later writes to it reach
 *      no MMU.  An entry built from the page then lasts until its vCPU's
 *      next flush, which L1 owes that vCPU after changing a present entry
 *      (APM Vol. 2 §15.16; Linux's KVM makes one on every vCPU that may
 *      cache it), and a not-present entry made present is read by the
 *      next walk.  Pages never written after their protection keep I2 as
 *      above.  The exception, with env->unsync or not: a table page L1
 *      maps into L2 is written by L2's stores through the shadow, which
 *      no exit shows; its entries then last as an unsync page's do, and a
 *      root another ASID enters is emptied first (mm/shadow_npt.c,
 *      "ASIDs").
 *      A shootdown (hooks.flush) may also give up on a CPU that keeps
 *      its NMIs blocked (svm/smp.c, "Giving up"); that CPU can then still
 *      write the page unseen, and an entry built from it lags as one of
 *      an unsync page does.  Either way an entry maps only what
 *      env->l1_to_hpa gave for an L1 address: L1's L2s see stale rights,
 *      nestvisor's memory stays out of reach.
 *  I3. A shadow table page is reused only after every CPU that may cache
 *      it flushed its TLB.  Only the vCPU's own CPU walks its tables; the
 *      MMU's frees (its own or a remote zap's) go to the vCPU's deferred
 *      list, which only that vCPU empties (snpt_smp_reclaim) in host mode
 *      before a VMRUN that flushes its TLB.
 *  I4. No deadlock.  Lock order: a vCPU lock, then prot_lock, then
 *      whatever hooks.write_protect takes.  No one holds two vCPU locks
 *      (snpt_smp_l1_write takes them one after the other).  The shootdown
 *      (hooks.flush, with at most the caller's own vCPU lock held, and
 *      hooks.released's, with at most one vCPU lock held: the caller's or
 *      the one a zap of another vCPU's MMU holds) waits only for CPUs in
 *      guest mode to exit once, and a CPU that holds or waits for any of
 *      these locks is in host mode.
 * L1's TLB_CONTROL and INVLPGA reach the one vCPU they were issued on
 * (snpt_smp_invlpga, snpt_smp_flush under its lock); its shadow was
 * coherent already, so they need only flush that CPU's TLB.
 *
 * Flushes of an empty shadow.  An L1 that flushes at every VMRUN (or runs
 * L2 without nested paging, TLB_CONTROL still reaching the shadow) would
 * take the vCPU's lock and walk its roots each time for nothing.  A
 * vCPU's MMU gains entries and uses only in snpt_handle_fault and
 * snpt_prefetch (an install records its uses first; snpt_get_root only
 * makes empty roots or empties them), both called here under the vCPU's
 * lock, and each sets v->filled before it starts; every other call
 * (another CPU's zap, INVLPGA, a flush) only takes entries and uses away.
 * snpt_smp_flush clears v->filled, under the lock, once snpt_flush has
 * emptied every root.  So v->filled clear means: no entry, no use, no
 * unsync page in that MMU.  Only the vCPU's own CPU faults and prefetches
 * on its MMU, so when that CPU reads v->filled clear (snpt_smp_flush_own)
 * nothing can be added before it next faults or prefetches itself, and
 * the flush has nothing to do.  Another CPU's reading it would race with
 * the owner's fault starting; it takes the lock (snpt_smp_flush).
 */
#include "mm/snpt_smp.h"

#include "mm/err.h"

/* ---- protected pages ------------------------------------------------------ */

static unsigned bucket_of(uint64_t page)
{
	return (unsigned)((page >> 12) * 0x9e3779b1u) % SNPT_SMP_PROT_BUCKETS;
}

/* Under prot_lock: the entry of page, or SNPT_SMP_NONE. */
static uint32_t prot_find(const struct snpt_smp *g, uint64_t page)
{
	uint32_t i = g->bucket[bucket_of(page)];

	while (i != SNPT_SMP_NONE && g->prot[i].page != page)
		i = g->prot[i].next;
	return i;
}

static void prot_remove(struct snpt_smp *g, uint32_t e)
{
	uint32_t *link = &g->bucket[bucket_of(g->prot[e].page)];

	while (*link != e)
		link = &g->prot[*link].next;
	*link = g->prot[e].next;
	g->prot[e] = (struct snpt_smp_prot){ .next = g->free_prot };
	g->free_prot = e;
}

/* Under prot_lock: a new entry for page, write-protected; or NONE. */
static uint32_t prot_add(struct snpt_smp *g, uint64_t page)
{
	uint32_t e = g->free_prot;

	if (e == SNPT_SMP_NONE ||
	    g->hooks.write_protect(g->hooks.ctx, page, true)) {
		g->stats.protect_failures++;
		return SNPT_SMP_NONE;
	}
	g->free_prot = g->prot[e].next;
	/* Numbered after the entry is read-only: a flusher that reads
	 * wp_seq >= this number flushes after the change (wait_flushed). */
	__atomic_store_n(&g->wp_seq, g->wp_seq + 1, __ATOMIC_SEQ_CST);
	g->prot[e] = (struct snpt_smp_prot){
		.page = page, .next = g->bucket[bucket_of(page)],
		.seq = g->wp_seq,
	};
	g->bucket[bucket_of(page)] = e;
	g->stats.protects++;
	return e;
}

/* Under prot_lock: entry e lost a use or a pin; writable again if it has
 * none left.  True if it was released: the caller calls released() once
 * it has dropped prot_lock. */
static bool prot_put(struct snpt_smp *g, uint32_t e)
{
	uint64_t page = g->prot[e].page;

	if (g->prot[e].count || g->prot[e].pins)
		return false;
	prot_remove(g, e);
	g->hooks.write_protect(g->hooks.ctx, page, false);
	g->stats.releases++;
	return true;
}

/* Without prot_lock: the rest of a release ("Flushes" above). */
static void released(struct snpt_smp *g, uint64_t page)
{
	if (g->hooks.released)
		g->hooks.released(g->hooks.ctx, page);
}

/*
 * Without prot_lock: return once a flush has run that started after
 * protection number seq was made ("Flushes" above).  Whoever finds it
 * not yet covered flushes itself; a flush covers every protection made
 * before it read wp_seq, so one flush serves every CPU waiting for those.
 */
static void wait_flushed(struct snpt_smp *g, uint64_t seq)
{
	uint64_t done = __atomic_load_n(&g->flushed_seq, __ATOMIC_SEQ_CST);

	while (done < seq) {
		uint64_t upto = __atomic_load_n(&g->wp_seq, __ATOMIC_SEQ_CST);

		g->hooks.flush(g->hooks.ctx);
		__atomic_fetch_add(&g->stats.flushes, 1, __ATOMIC_RELAXED);
		while (done < upto &&
		       !__atomic_compare_exchange_n(&g->flushed_seq, &done, upto,
						    false, __ATOMIC_SEQ_CST,
						    __ATOMIC_SEQ_CST))
			;
		done = __atomic_load_n(&g->flushed_seq, __ATOMIC_SEQ_CST);
	}
}

/* A vCPU MMU's env->protect: count, and protect on the first reason,
 * release when none is left.  Protecting returns once the page's
 * protection has been flushed from every TLB, its own or another CPU's
 * that made it. */
static int smp_protect(void *ctx, uint64_t page, bool wp)
{
	struct snpt_smp_vcpu *v = ctx;
	struct snpt_smp *g = v->group;
	uint64_t seq = 0;
	uint32_t e;
	bool gone = false;
	int rc = 0;

	spin_lock(&g->prot_lock);
	e = prot_find(g, page);
	/* nr_used covers every page read-only for a use for as long as it
	 * is (snpt_smp_is_protected()): one more before a page that had no
	 * use can be made read-only, one less only once it is writable
	 * again (or stays read-only for its pins alone). */
	if (wp) {
		bool first = e == SNPT_SMP_NONE || !g->prot[e].count;

		if (first)
			__atomic_store_n(&g->nr_used, g->nr_used + 1,
					 __ATOMIC_SEQ_CST);
		if (e == SNPT_SMP_NONE)
			e = prot_add(g, page);
		if (e != SNPT_SMP_NONE) {
			g->prot[e].count++;
			seq = g->prot[e].seq;
		} else {
			__atomic_store_n(&g->nr_used, g->nr_used - 1,
					 __ATOMIC_SEQ_CST);
			rc = -NV_ENOMEM;
		}
	} else if (e != SNPT_SMP_NONE && g->prot[e].count) {
		bool last = !--g->prot[e].count;

		gone = prot_put(g, e);
		if (last)
			__atomic_store_n(&g->nr_used, g->nr_used - 1,
					 __ATOMIC_SEQ_CST);
	}
	spin_unlock(&g->prot_lock);
	if (gone)
		released(g, page);
	if (seq)
		wait_flushed(g, seq);
	return rc;
}

bool snpt_smp_is_protected(struct snpt_smp *g, uint64_t l1_gpa)
{
	uint32_t e;
	bool p;

	/* The common case, no page used by any MMU (only pins, or none),
	 * without the lock: the count changes under it, and covers a page
	 * from before it turns read-only for a use until after it is
	 * writable again (smp_protect()), so a zero means no page is
	 * read-only for a use at that moment (a write it made exit is
	 * never answered "not protected"; test_snpt_smp_prot.c). */
	if (!__atomic_load_n(&g->nr_used, __ATOMIC_SEQ_CST))
		return false;
	spin_lock(&g->prot_lock);
	e = prot_find(g, l1_gpa & ~0xfffull);
	p = e != SNPT_SMP_NONE && g->prot[e].count;
	spin_unlock(&g->prot_lock);
	return p;
}

int snpt_smp_pin(struct snpt_smp *g, uint64_t l1_gpa)
{
	uint64_t page = l1_gpa & ~0xfffull, seq = 0;
	uint32_t e;

	spin_lock(&g->prot_lock);
	e = prot_find(g, page);
	if (e == SNPT_SMP_NONE)
		e = prot_add(g, page);
	if (e != SNPT_SMP_NONE) {
		g->prot[e].pins++;
		__atomic_store_n(&g->nr_pins, g->nr_pins + 1, __ATOMIC_SEQ_CST);
		seq = g->prot[e].seq;
	}
	spin_unlock(&g->prot_lock);
	if (seq)
		wait_flushed(g, seq);
	return e != SNPT_SMP_NONE ? 0 : -NV_ENOMEM;
}

void snpt_smp_unpin(struct snpt_smp *g, uint64_t l1_gpa)
{
	uint64_t page = l1_gpa & ~0xfffull;
	bool gone = false;
	uint32_t e;

	spin_lock(&g->prot_lock);
	e = prot_find(g, page);
	if (e != SNPT_SMP_NONE && g->prot[e].pins) {
		g->prot[e].pins--;
		__atomic_store_n(&g->nr_pins, g->nr_pins - 1, __ATOMIC_SEQ_CST);
		gone = prot_put(g, e);
	}
	spin_unlock(&g->prot_lock);
	if (gone)
		released(g, page);
}

bool snpt_smp_is_pinned(struct snpt_smp *g, uint64_t l1_gpa)
{
	uint32_t e;
	bool p;

	/* The common case, no pin at all, without the lock: a pin made
	 * before a caller's snpt_smp_flush is seen after it (the flush
	 * takes the vCPU's lock, which the MMU holds while it asks). */
	if (!__atomic_load_n(&g->nr_pins, __ATOMIC_SEQ_CST))
		return false;
	spin_lock(&g->prot_lock);
	e = prot_find(g, l1_gpa & ~0xfffull);
	p = e != SNPT_SMP_NONE && g->prot[e].pins;
	spin_unlock(&g->prot_lock);
	return p;
}

/* ---- each vCPU's MMU ------------------------------------------------------ */

static int smp_l1_to_hpa(void *ctx, uint64_t l1_gpa, uint64_t *hpa,
			 unsigned *max_shift)
{
	struct snpt_smp_vcpu *v = ctx;

	return v->l1_to_hpa(v->l1_ctx, l1_gpa, hpa, max_shift);
}

static bool smp_l1_watched(void *ctx, uint64_t l1_page)
{
	return snpt_smp_is_pinned(((struct snpt_smp_vcpu *)ctx)->group, l1_page);
}

static void *smp_map(void *ctx, uint64_t pa)
{
	struct pt_mem *m = ((struct snpt_smp_vcpu *)ctx)->group->ptm;

	return m->map(m->ctx, pa);
}

static uint64_t smp_alloc(void *ctx)
{
	struct snpt_smp_vcpu *v = ctx;
	struct pt_mem *m = v->group->ptm;
	uint64_t pa = m->alloc_page(m->ctx);

	if (pa)
		__atomic_store_n(&v->pages, v->pages + 1, __ATOMIC_RELAXED);
	return pa;
}

/* Under the vCPU's lock: onto its deferred list (I3). */
static void smp_free(void *ctx, uint64_t pa)
{
	struct snpt_smp_vcpu *v = ctx;

	*(uint64_t *)smp_map(v, pa) = v->deferred;
	v->deferred = pa;
	__atomic_store_n(&v->pages, v->pages - 1, __ATOMIC_RELAXED);
	__atomic_store_n(&v->nr_deferred, v->nr_deferred + 1, __ATOMIC_RELAXED);
}

void snpt_smp_init(struct snpt_smp *g, const struct snpt_smp_hooks *hooks,
		   struct pt_mem *ptm, struct snpt_smp_prot *prot)
{
	*g = (struct snpt_smp){ .hooks = *hooks, .ptm = ptm, .prot = prot };
	for (unsigned i = 0; i < SNPT_SMP_PROT_BUCKETS; i++)
		g->bucket[i] = SNPT_SMP_NONE;
	for (uint32_t i = 0; i < SNPT_SMP_PROT_SLOTS; i++)
		prot[i] = (struct snpt_smp_prot){
			.next = i + 1 < SNPT_SMP_PROT_SLOTS ? i + 1 : SNPT_SMP_NONE,
		};
	g->free_prot = 0;
}

void snpt_smp_add_vcpu(struct snpt_smp *g, unsigned idx, struct snpt *mmu,
		       const struct snpt_env *env)
{
	struct snpt_smp_vcpu *v = &g->v[idx];
	struct snpt_env e = *env;

	v->mmu = mmu;
	v->group = g;
	v->l1_to_hpa = env->l1_to_hpa;
	v->l1_ctx = env->ctx;
	v->ptm = (struct pt_mem){ .ctx = v, .map = smp_map,
				  .alloc_page = smp_alloc,
				  .free_page = smp_free };
	v->deferred = 0;
	v->pages = 0;
	v->filled = false;
	v->empty_flushes = 0;
	e.l1_to_hpa = smp_l1_to_hpa;
	e.protect = smp_protect;
	e.l1_watched = smp_l1_watched;
	e.ctx = v;
	e.ptm = &v->ptm;
	snpt_init(mmu, &e);
	if (idx >= g->nr)
		g->nr = idx + 1;
}

int snpt_smp_get_root(struct snpt_smp *g, unsigned idx, uint64_t ncr3,
		      union cpu_role role, enum snpt_exec exec, uint32_t asid,
		      uint64_t *root_hpa)
{
	struct snpt_smp_vcpu *v = &g->v[idx];
	int rc;

	spin_lock(&v->lock);
	rc = snpt_get_root(v->mmu, ncr3, role, exec, asid, root_hpa);
	spin_unlock(&v->lock);
	return rc;
}

enum snpt_outcome snpt_smp_fault(struct snpt_smp *g, unsigned idx,
				 uint64_t root_hpa, uint64_t l2_gpa,
				 uint64_t hw_exit_info_1, unsigned cpl,
				 uint64_t rip, struct snpt_fault_result *out)
{
	struct snpt_smp_vcpu *v = &g->v[idx];
	enum snpt_outcome o;

	spin_lock(&v->lock);
	__atomic_store_n(&v->filled, true, __ATOMIC_RELAXED);
	o = snpt_handle_fault(v->mmu, root_hpa, l2_gpa, hw_exit_info_1, cpl,
			      rip, out);
	spin_unlock(&v->lock);
	return o;
}

void snpt_smp_invlpga(struct snpt_smp *g, unsigned idx, uint64_t l2_gpa)
{
	struct snpt_smp_vcpu *v = &g->v[idx];

	spin_lock(&v->lock);
	snpt_invlpga(v->mmu, l2_gpa);
	spin_unlock(&v->lock);
}

void snpt_smp_flush(struct snpt_smp *g, unsigned idx)
{
	struct snpt_smp_vcpu *v = &g->v[idx];

	spin_lock(&v->lock);
	snpt_flush(v->mmu);
	__atomic_store_n(&v->filled, false, __ATOMIC_RELAXED);
	spin_unlock(&v->lock);
}

bool snpt_smp_prefetch(struct snpt_smp *g, unsigned idx, uint64_t root_hpa)
{
	struct snpt_smp_vcpu *v = &g->v[idx];
	bool installed;

	/* Only vCPU idx's own faults record the #NPF to prefetch, and only
	 * it calls this: it may look without the lock. */
	if (!v->mmu->pending.valid)
		return false;
	spin_lock(&v->lock);
	__atomic_store_n(&v->filled, true, __ATOMIC_RELAXED);
	installed = snpt_prefetch(v->mmu, root_hpa);
	spin_unlock(&v->lock);
	return installed;
}

void snpt_smp_l1_write(struct snpt_smp *g, uint64_t l1_gpa)
{
	__atomic_fetch_add(&g->stats.l1_writes, 1, __ATOMIC_RELAXED);
	for (unsigned i = 0; i < g->nr; i++) {
		struct snpt_smp_vcpu *v = &g->v[i];

		if (!v->mmu)
			continue;
		spin_lock(&v->lock);
		snpt_l1_write(v->mmu, l1_gpa);
		spin_unlock(&v->lock);
	}
}

unsigned snpt_smp_reclaim(struct snpt_smp *g, unsigned idx)
{
	struct snpt_smp_vcpu *v = &g->v[idx];
	unsigned n = 0;
	uint64_t pa;

	spin_lock(&v->lock);
	pa = v->deferred;
	v->deferred = 0;
	__atomic_store_n(&v->nr_deferred, 0, __ATOMIC_RELAXED);
	while (pa) {
		uint64_t next = *(uint64_t *)smp_map(v, pa);

		g->ptm->free_page(g->ptm->ctx, pa);
		pa = next;
		n++;
	}
	spin_unlock(&v->lock);
	__atomic_fetch_add(&g->stats.reclaimed, n, __ATOMIC_RELAXED);
	return n;
}
