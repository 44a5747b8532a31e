// SPDX-License-Identifier: MIT
/*
 * The quarantine of pages a shootdown could not finish with (API:
 * mm/quarantine.h).
 *
 * Why.  A TLB shootdown (svm/smp.c) waits for every CPU in guest mode to
 * exit once, after which no CPU's TLB or page-walk cache holds what was
 * unlinked before it.  A CPU can stay in guest mode with NMIs blocked
 * (docs/security.md, "A kick that never arrives"), so the shootdown stops
 * waiting for it after a bound.  A page that was to be freed after the
 * shootdown (a table of L1's NPT merged away) may then still be walked by
 * that CPU; were it reused for nestvisor's data, the CPU would read that
 * data as a table.  So the page is kept here instead, and freed once every
 * CPU given up on has left guest mode since: at that exit or in host mode
 * it uses none of its guest translations, and before its next VMRUN it
 * flushes its whole TLB (the shootdown's request is still set, or was
 * taken after the page was unlinked).
 *
 * The algorithm.
 *  - quarantine_gave_up(cpu, e): the shootdown saw cpu in guest mode with
 *    exit count e from after its request until it gave up.  stuck_at[cpu]
 *    becomes max(stuck_at[cpu], e + 1) (a CAS loop: shootdowns run on
 *    several CPUs at once, and a smaller e stored last must not lower
 *    it).
 *  - quarantine_hold(pa, cpus): after a reclaim, the CPUs of cpus that
 *    have exited since (below) are dropped; none left: pa is freed at
 *    once; else pa takes a free slot with what is left of cpus; no free
 *    slot: pa is leaked (counted), never freed early and never waited
 *    for (nestvisor loses a page, not its safety or its progress).
 *  - CPU i has exited since, for a held page, when exits(i) >=
 *    stuck_at[i] (stuck_at read under the lock, after the holder stored
 *    its own value before taking the lock, so at least e + 1 of the
 *    shootdown that guarded the page: a count that grows only has then
 *    moved past e), or when in_host(i).  A later give-up on i only raises
 *    stuck_at[i], so it can delay a page, never free one early.
 *  - quarantine_reclaim(): under the lock, every held page loses the CPUs
 *    that have exited since; a page with none left is freed.  It runs at
 *    every hold and whenever a CPU acts on its requests before a VMRUN
 *    (svm/smp.c): the CPU that was stuck passes there right after its
 *    exit, since the shootdown posted it a request.  With nothing held,
 *    it is one atomic load.
 *  - quarantine_stuck(cpu): stuck_at[cpu] == exits(cpu) + 1 and cpu not in
 *    host mode: the next shootdown need not wait the whole bound for it.
 *    quarantine_any_stuck(): that, for some CPU.  The slots are few and a
 *    full quarantine leaks, so a guest that keeps a CPU stuck must not
 *    make frees at will meanwhile: the one such free it could repeat, a
 *    merge of L1's NPT after a release (protect, release, protect, ...),
 *    is not made while a CPU is stuck (svm/nested_npt.c l1_released).
 * Lock order: the quarantine's lock, then whatever env->free_page takes.
 */
#include "mm/quarantine.h"

void quarantine_init(struct quarantine *q, const struct quarantine_env *env)
{
	*q = (struct quarantine){ .lock = SPINLOCK_INIT, .env = *env };
}

void quarantine_gave_up(struct quarantine *q, unsigned cpu, uint64_t exits)
{
	uint64_t want = exits + 1, cur;

	if (cpu >= QUARANTINE_CPUS)
		return;
	cur = __atomic_load_n(&q->stuck_at[cpu], __ATOMIC_SEQ_CST);
	while (cur < want &&
	       !__atomic_compare_exchange_n(&q->stuck_at[cpu], &cur, want, false,
					    __ATOMIC_SEQ_CST, __ATOMIC_SEQ_CST))
		;
	__atomic_fetch_add(&q->stats.gave_up, 1, __ATOMIC_RELAXED);
}

/* Has cpu left guest mode since the latest give-up on it? */
static bool exited_since(struct quarantine *q, unsigned cpu)
{
	uint64_t at = __atomic_load_n(&q->stuck_at[cpu], __ATOMIC_SEQ_CST);

	return q->env.in_host(q->env.ctx, cpu) ||
	       (at && q->env.exits(q->env.ctx, cpu) >= at);
}

bool quarantine_stuck(struct quarantine *q, unsigned cpu)
{
	uint64_t at;

	if (cpu >= QUARANTINE_CPUS)
		return false;
	at = __atomic_load_n(&q->stuck_at[cpu], __ATOMIC_SEQ_CST);
	return at && q->env.exits(q->env.ctx, cpu) + 1 == at &&
	       !q->env.in_host(q->env.ctx, cpu);
}

bool quarantine_any_stuck(struct quarantine *q)
{
	/* Only CPUs given up on ever (stuck_at not 0) are asked. */
	for (unsigned i = 0; i < QUARANTINE_CPUS; i++)
		if (__atomic_load_n(&q->stuck_at[i], __ATOMIC_SEQ_CST) &&
		    quarantine_stuck(q, i))
			return true;
	return false;
}

/* Under the lock. */
static unsigned reclaim_locked(struct quarantine *q)
{
	uint64_t done = 0, asked = 0;
	unsigned freed = 0;

	for (unsigned s = 0; s < QUARANTINE_SLOTS; s++) {
		uint64_t c = q->cpus[s];

		if (!q->pa[s])
			continue;
		/* Each CPU asked once per reclaim. */
		for (unsigned i = 0; i < QUARANTINE_CPUS; i++) {
			uint64_t bit = 1ull << i;

			if (!(c & bit))
				continue;
			if (!(asked & bit)) {
				asked |= bit;
				if (exited_since(q, i))
					done |= bit;
			}
			if (done & bit)
				c &= ~bit;
		}
		q->cpus[s] = c;
		if (c)
			continue;
		q->env.free_page(q->env.ctx, q->pa[s]);
		q->pa[s] = 0;
		__atomic_store_n(&q->nr, q->nr - 1, __ATOMIC_RELEASE);
		freed++;
	}
	if (freed)
		__atomic_fetch_add(&q->stats.freed, freed, __ATOMIC_RELAXED);
	return freed;
}

unsigned quarantine_reclaim(struct quarantine *q)
{
	unsigned freed;

	if (!__atomic_load_n(&q->nr, __ATOMIC_ACQUIRE))
		return 0;
	spin_lock(&q->lock);
	freed = reclaim_locked(q);
	spin_unlock(&q->lock);
	return freed;
}

bool quarantine_hold(struct quarantine *q, uint64_t pa, uint64_t cpus)
{
	bool kept = true;
	unsigned s;

	spin_lock(&q->lock);
	reclaim_locked(q);
	for (unsigned i = 0; i < QUARANTINE_CPUS; i++)
		if ((cpus >> i & 1) && exited_since(q, i))
			cpus &= ~(1ull << i);
	for (s = 0; cpus && s < QUARANTINE_SLOTS && q->pa[s]; s++)
		;
	if (!cpus) {
		q->env.free_page(q->env.ctx, pa);
	} else if (s == QUARANTINE_SLOTS) {
		__atomic_fetch_add(&q->stats.leaked, 1, __ATOMIC_RELAXED);
		kept = false;
	} else {
		q->pa[s] = pa;
		q->cpus[s] = cpus;
		__atomic_store_n(&q->nr, q->nr + 1, __ATOMIC_RELEASE);
		__atomic_fetch_add(&q->stats.held, 1, __ATOMIC_RELAXED);
	}
	spin_unlock(&q->lock);
	return kept;
}

unsigned quarantine_held(const struct quarantine *q)
{
	return __atomic_load_n(&q->nr, __ATOMIC_ACQUIRE);
}
