// SPDX-License-Identifier: MIT
/*
 * mm/snpt_smp.c under ThreadSanitizer: four threads play four vCPUs of one
 * L1, each with its own shadow-NPT MMU, against one L1 NPT in a fake
 * memory.  Each thread, at random: takes #NPFs of its L2 (read or write,
 * in a hot 4 MiB; after one reflected to L1, half the time the prefetch
 * of L1's next VMRUN), rewrites entries of L1's NPT for that range the way
 * hardware lets L1 write it
 * (straight through when the page is not write-protected; otherwise the
 * write exits and the thread does what nestvisor's #NPF handler does,
 * snpt_smp_l1_write, then retries), now and then INVLPGAs or flushes
 * its own shadow (snpt_smp_flush_own, which skips an MMU that took no
 * fault or prefetch since its last flush), watches a page (pins it and empties every shadow, as
 * svm/nested_maps.c does for L1's permission maps; a write to a watched
 * page, by L1 or through a shadow leaf, unpins it first),
 * and reclaims its freed tables as it would before a VMRUN.
 *
 * The fake "hardware": a page is write-protected by a flag; an L1 write
 * checks the flag and stores under a read lock, so one that checked
 * before the flag was set may still store after (a stale TLB entry).
 * The flush hook takes the write lock: it returns once no L1 write is
 * between its check and its store, the TLB shootdown nestvisor does
 * (svm/smp.c).  Shadow table pages come from a locked pool
 * that poisons a page when it is really freed.
 *
 * Then a second phase: vCPUs 1-3 only take faults, so that their shadows
 * fill up, while vCPU 0 rewrites leaf entries of one of the two PTs under
 * them; vCPU 1 empties its shadow now and then and at its end (the pages
 * it releases stay protected for vCPUs 2 and 3).
 *
 * Afterwards, single-threaded: every leaf reachable in every vCPU's shadow
 * agrees with walk() of L1's tables as they are now (same host page, W
 * only where L1 allows writes and the leaf is dirty), every table page
 * reachable is live (not freed), the protected pages are exactly the
 * pages some MMU has uses of (not unsync) or that are watched, and no leaf
 * maps a watched page writable.  Exit status 0 and "ok" lines, or "not ok"
 * with the first disagreement.  Expectations come from the NPT format (APM
 * Vol. 2 §15.25) as walk() implements it, which its own exhaustive tests
 * check against the spec (docs/semantics.md).
 *
 * With --unsync every MMU runs with env->unsync (mm/shadow_npt.c, "Unsync
 * pages"): a write that exits releases the page for good until a flush,
 * and a shadow may keep what it had, as a TLB would until L1 flushes it
 * (APM Vol. 2 §15.16).  Each L1 entry then carries one bit per vCPU, set
 * by every L1 store to it and cleared for a vCPU just before its shadow
 * is emptied (every flush here); check 1 lets a leaf of vCPU i disagree
 * with L1's tables only if its walk goes through an entry whose bit i is
 * set.  Check 4: some pages went unsync.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/err.h"
#include "mm/pte.h"
#include "mm/snpt_smp.h"
#include "mm/walk.h"

#define NR_VCPUS    4
#define OPS         4000   /* phase 1; phase 2: OPS / 2 */
#define L2_SPAN     (64ull << 20)          /* L2 gpa (= L1 gpa) space */
#define TB          0x100000ull            /* L1 NPT tables from here */
#define NR_TABLES   35                     /* PML4, PDPT, PD, 32 PTs */
#define PT0         3                      /* first PT table */
#define HPA_OFF     (1ull << 40)
#define POOL_PA     (3ull << 40)
#define POOL_PAGES  8192
#define POISON      0xdeadbeefdeadbeefull
#define LEAF_FLAGS  (PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D)

/* ---- L1 memory: its NPT tables ------------------------------------------ */

static _Atomic uint64_t tables[NR_TABLES][512];
static atomic_bool prot[NR_TABLES];
/* --unsync: bit i = the entry was stored since vCPU i's last flush */
static bool unsync;
static _Atomic uint8_t stored_since[NR_TABLES][512];
static pthread_rwlock_t shootdown = PTHREAD_RWLOCK_INITIALIZER;

static _Atomic uint64_t *entry_at(uint64_t gpa)
{
	if (gpa < TB || gpa >= TB + NR_TABLES * 4096ull || (gpa & 7))
		return NULL;
	return &tables[(gpa - TB) / 4096][(gpa & 0xfff) / 8];
}

static int l1_read(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	_Atomic uint64_t *e = entry_at(gpa & ~7ull);

	(void)ctx;
	if (!e || (len != 8 && len != 4))
		return -NV_EFAULT;
	uint64_t v = atomic_load(e);
	memcpy(buf, (uint8_t *)&v + (gpa & 7), len);
	return 0;
}

static int l1_write(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
	(void)ctx; (void)gpa; (void)buf; (void)len;
	return -NV_EFAULT; /* the walker never plainly writes */
}

static int l1_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val,
		      unsigned len)
{
	_Atomic uint64_t *e = entry_at(gpa);

	(void)ctx;
	if (!e || len != 8)
		return -NV_EFAULT;
	return atomic_compare_exchange_strong(e, &old, new_val) ? 0 : -NV_EAGAIN;
}

static const struct gmem l1mem = { NULL, l1_read, l1_write, l1_cmpxchg };

static int l1_to_hpa(void *ctx, uint64_t gpa, uint64_t *hpa, unsigned *ms)
{
	(void)ctx;
	if (gpa >= L2_SPAN)
		return -NV_EFAULT;
	*hpa = HPA_OFF + gpa;
	*ms = 12;
	return 0;
}

/* The hooks: protect sets the flag; flush waits for the L1 writes that
 * may not have seen it (the shootdown). */
static int write_protect(void *ctx, uint64_t page, bool wp)
{
	unsigned t = (unsigned)((page - TB) / 4096);

	(void)ctx;
	if (page < TB || t >= NR_TABLES)
		return -NV_EINVAL;
	atomic_store(&prot[t], wp);
	return 0;
}

static void flush(void *ctx)
{
	(void)ctx;
	pthread_rwlock_wrlock(&shootdown);
	pthread_rwlock_unlock(&shootdown);
}

/* ---- watched pages (pins), as svm/nested_maps.c keeps them ------------- */

static struct snpt_smp group;
static pthread_mutex_t watch_lock = PTHREAD_MUTEX_INITIALIZER;
static bool watched[NR_TABLES];

static void flush_all(void);

/* Watch table page t: pin it, then empty every shadow (snpt_smp.h). */
static void watch(unsigned t)
{
	bool added = false;

	pthread_mutex_lock(&watch_lock);
	if (!watched[t] && !snpt_smp_pin(&group, TB + t * 4096ull))
		watched[t] = added = true;
	pthread_mutex_unlock(&watch_lock);
	if (added)
		flush_all();
}

/* A write to the page at gpa: watched no more (nested_maps_written). */
static void unwatch(uint64_t gpa)
{
	unsigned t = (unsigned)((gpa - TB) / 4096);

	if (gpa < TB || t >= NR_TABLES)
		return;
	pthread_mutex_lock(&watch_lock);
	if (watched[t]) {
		watched[t] = false;
		snpt_smp_unpin(&group, gpa);
	}
	pthread_mutex_unlock(&watch_lock);
}

/* L1 writes an entry of its NPT as the CPU lets it (see the top). */
static void l1_store(struct snpt_smp *g, uint64_t gpa, uint64_t val)
{
	unsigned t = (unsigned)((gpa - TB) / 4096);

	for (;;) {
		pthread_rwlock_rdlock(&shootdown);
		if (!atomic_load(&prot[t])) {
			atomic_store(entry_at(gpa), val);
			/* after the store: a flush that clears the bits before
			 * it empties the shadow cannot lose this one */
			atomic_fetch_or(&stored_since[t][(gpa & 0xfff) / 8], 0xff);
			pthread_rwlock_unlock(&shootdown);
			return;
		}
		pthread_rwlock_unlock(&shootdown);
		/* the #NPF handler (svm/npf.c) */
		unwatch(gpa);
		if (snpt_smp_is_protected(g, gpa))
			snpt_smp_l1_write(g, gpa);
	}
}

/* ---- shadow table pages ------------------------------------------------- */

static uint8_t *pool[POOL_PAGES];
static bool pool_live[POOL_PAGES];
static pthread_mutex_t pool_lock = PTHREAD_MUTEX_INITIALIZER;
static unsigned pool_next;

static void *pool_map(void *ctx, uint64_t pa)
{
	(void)ctx;
	return pool[(pa - POOL_PA) / 4096];
}

static uint64_t pool_alloc(void *ctx)
{
	uint64_t pa = 0;

	(void)ctx;
	pthread_mutex_lock(&pool_lock);
	for (unsigned n = 0; n < POOL_PAGES; n++) {
		unsigned i = (pool_next + n) % POOL_PAGES;

		if (!pool_live[i]) {
			pool_live[i] = true;
			pool_next = i + 1;
			memset(pool[i], 0, 4096);
			pa = POOL_PA + i * 4096ull;
			break;
		}
	}
	pthread_mutex_unlock(&pool_lock);
	return pa;
}

static void pool_free(void *ctx, uint64_t pa)
{
	unsigned i = (unsigned)((pa - POOL_PA) / 4096);

	(void)ctx;
	pthread_mutex_lock(&pool_lock);
	for (unsigned k = 0; k < 512; k++)
		((uint64_t *)pool[i])[k] = POISON;
	pool_live[i] = false;
	pthread_mutex_unlock(&pool_lock);
}

static struct pt_mem ptm = { NULL, pool_map, pool_alloc, pool_free };

/* ---- the run ------------------------------------------------------------ */

static struct snpt *mmu[NR_VCPUS];
static union cpu_role role;
static struct snpt_smp_prot prot_table[SNPT_SMP_PROT_SLOTS];
static pthread_barrier_t phase;

/* Empty vCPU i's shadow, its store bits cleared first; own: from vCPU
 * i's own thread (snpt_smp_flush_own), else from any. */
static void flush_one(unsigned i, bool own)
{
	for (unsigned t = 0; t < NR_TABLES; t++)
		for (unsigned e = 0; e < 512; e++)
			atomic_fetch_and(&stored_since[t][e], (uint8_t)~(1u << i));
	if (own)
		snpt_smp_flush_own(&group, i);
	else
		snpt_smp_flush(&group, i);
}

static void flush_all(void)
{
	for (unsigned i = 0; i < NR_VCPUS; i++)
		flush_one(i, false);
}

static uint64_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return *s;
}

/*
 * The L2 addresses the vCPUs fault on (HOT, 4 MiB: two PTs of L1's NPT)
 * and the entries L1 rewrites: mostly PT entries of the hot range, now
 * and then one of its two PD entries.  A small hot set makes walks and
 * writes of the same pages race.
 */
#define HOT (4ull << 20)

static uint64_t random_entry(uint64_t *s)
{
	uint64_t r = rnd(s);

	if (r % 64 == 0)
		return TB + 2 * 4096 + (r >> 8) % (HOT >> 21) * 8;
	return TB + (PT0 + (r >> 8) % (HOT >> 21)) * 4096ull +
	       (r >> 20) % 512 * 8;
}

static uint64_t random_value(uint64_t gpa, uint64_t *s)
{
	uint64_t r = rnd(s), target;

	if (gpa < TB + 3 * 4096) { /* PD entry: its PT, or not present */
		unsigned i = (unsigned)((gpa - TB - 2 * 4096) / 8);

		return r % 4 ? (TB + (PT0 + i) * 4096ull) | PTE_P | PTE_RW |
				       PTE_US | PTE_A
			     : 0;
	}
	switch (r % 5) {
	case 0:
		return 0;
	case 1: /* read-only */
		target = (r >> 8) % (L2_SPAN / 4096) * 4096;
		return target | (LEAF_FLAGS & ~PTE_RW);
	case 2: /* writable but clean: the shadow maps it read-only */
		target = (r >> 8) % (L2_SPAN / 4096) * 4096;
		return target | (LEAF_FLAGS & ~PTE_D);
	default:
		target = (r >> 8) % (L2_SPAN / 4096) * 4096;
		return target | LEAF_FLAGS;
	}
}

static void *vcpu_thread(void *arg)
{
	unsigned idx = (unsigned)(uintptr_t)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (idx + 1), root;

	if (snpt_smp_get_root(&group, idx, TB, role, SNPT_EXEC_SUPERVISOR, 1,
			      &root))
		abort();
	/* Phase 1: everything at once. */
	for (unsigned op = 0; op < OPS; op++) {
		uint64_t r = rnd(&seed) % 100;
		struct snpt_fault_result out;

		if (r < 65) {
			uint64_t gpa = rnd(&seed) % HOT & ~7ull;
			uint64_t info1 = PFERR_GUEST_FINAL |
					 (rnd(&seed) & 1 ? PFERR_WRITE : 0);
			enum snpt_outcome o = snpt_smp_fault(&group, idx, root,
							     gpa, info1, 0, op, &out);

			if (o == SNPT_STALE_ROOT &&
			    snpt_smp_get_root(&group, idx, TB, role,
					      SNPT_EXEC_SUPERVISOR, 1, &root))
				abort();
			if (o == SNPT_WATCHED_WRITE)
				unwatch(out.l1_gpa);
			/* L1 runs L2 again after a reflected #NPF */
			if (o == SNPT_REFLECT && rnd(&seed) % 2)
				snpt_smp_prefetch(&group, idx, root);
		} else if (r < 91) {
			uint64_t gpa = random_entry(&seed);

			l1_store(&group, gpa, random_value(gpa, &seed));
		} else if (r < 92) {
			static const unsigned hot_tables[] = { 0, 1, 2, PT0,
							       PT0 + 1 };

			watch(hot_tables[rnd(&seed) % 5]);
		} else if (r < 93) {
			snpt_smp_invlpga(&group, idx, rnd(&seed) % HOT);
		} else if (r == 93 && rnd(&seed) % 8 == 0) {
			flush_one(idx, true);
		} else {
			snpt_smp_reclaim(&group, idx);
		}
	}
	/* Phase 2 (see the top). */
	pthread_barrier_wait(&phase);
	for (unsigned op = 0; op < OPS / 2; op++) {
		struct snpt_fault_result out;

		if (idx == 0) {
			/* Leaf entries of the first PT only: the second PT's
			 * 2 MiB keep their shadow entries to the end. */
			uint64_t gpa = TB + PT0 * 4096ull + rnd(&seed) % 512 * 8;

			if (op % 8 == 0)
				l1_store(&group, gpa, random_value(gpa, &seed));
			continue;
		}
		if (idx == 1 && op % 256 == 255)
			flush_one(idx, true);
		enum snpt_outcome o;

		o = snpt_smp_fault(&group, idx, root, rnd(&seed) % HOT & ~7ull,
				   PFERR_GUEST_FINAL |
				   (rnd(&seed) & 1 ? PFERR_WRITE : 0), 0, op, &out);
		if (o == SNPT_STALE_ROOT &&
		    snpt_smp_get_root(&group, idx, TB, role,
				      SNPT_EXEC_SUPERVISOR, 1, &root))
			abort();
		if (o == SNPT_WATCHED_WRITE)
			unwatch(out.l1_gpa);
	}
	if (idx == 1) /* its protections go; vCPUs 2 and 3 keep theirs */
		flush_one(idx, true);
	return NULL;
}

/* ---- the checks --------------------------------------------------------- */

static unsigned failures, leaves, watched_rw, stale_allowed;

static void __attribute__((format(printf, 1, 0)))
not_ok(const char *fmt, uint64_t a, uint64_t b, uint64_t c)
{
	if (failures++ < 10) {
		printf("# ");
#pragma GCC diagnostic push
#pragma GCC diagnostic ignored "-Wformat-nonliteral"
		printf(fmt, a, b, c);
#pragma GCC diagnostic pop
		printf("\n");
	}
}

static bool live(uint64_t pa)
{
	uint64_t i = (pa - POOL_PA) / 4096;

	return pa >= POOL_PA && i < POOL_PAGES && pool_live[i];
}

/* --unsync: does the walk wr go through an entry stored since vCPU
 * idx's last flush? */
static bool stored_on_walk(const struct walk_result *wr, unsigned idx)
{
	for (unsigned i = 0; i < wr->nr_levels; i++) {
		uint64_t gpa = wr->pte_addr[i];

		if (atomic_load(&stored_since[(gpa - TB) / 4096][(gpa & 0xfff) / 8]) &
		    (1u << idx))
			return true;
	}
	return false;
}

/* Every leaf under the table at pa (level lvl, covering from base) of
 * vCPU idx's shadow. */
static void check_tree(unsigned idx, uint64_t pa, unsigned lvl, uint64_t base)
{
	const uint64_t *t = pool_map(NULL, pa);

	if (!live(pa)) {
		not_ok("shadow table 0x%" PRIx64 " (level %" PRIu64 ") is not live"
		       " (base 0x%" PRIx64 ")", pa, lvl, base);
		return;
	}
	for (unsigned i = 0; i < 512; i++) {
		uint64_t e = t[i], gpa = base + ((uint64_t)i << (12 + 9 * (lvl - 1)));
		struct pagewalk w;
		struct walk_result wr;
		struct mm_cpu c = { .maxphyaddr = 48, .gbpages = false };

		if (!(e & PTE_P))
			continue;
		if (lvl > 1 && !(e & PTE_PS)) {
			check_tree(idx, e & PTE64_ADDR_4K, lvl - 1, gpa);
			continue;
		}
		leaves++;
		if (lvl != 1) {
			not_ok("large shadow leaf 0x%" PRIx64 " at 0x%" PRIx64
			       " level %" PRIu64, e, gpa, lvl);
			continue;
		}
		pagewalk_init(&w, role, true, &c);
		if (unsync) {
			walk(&w, &l1mem, TB, gpa, PFERR_GUEST_FINAL | PFERR_USER, &wr);
			if (stored_on_walk(&wr, idx)) {
				stale_allowed++;
				continue;
			}
		}
		if (!walk(&w, &l1mem, TB, gpa, PFERR_GUEST_FINAL | PFERR_USER, &wr)) {
			not_ok("shadow maps L2 0x%" PRIx64 " (entry 0x%" PRIx64
			       "), L1 no longer does (ec 0x%" PRIx64 ")", gpa, e,
			       wr.error_code);
			continue;
		}
		if ((e & PTE64_ADDR_4K) != HPA_OFF + (wr.out & ~0xfffull))
			not_ok("L2 0x%" PRIx64 ": shadow host page 0x%" PRIx64
			       ", L1's tables say 0x%" PRIx64, gpa,
			       e & PTE64_ADDR_4K, HPA_OFF + (wr.out & ~0xfffull));
		if ((e & PTE_RW) && (e & PTE64_ADDR_4K) >= HPA_OFF + TB &&
		    (e & PTE64_ADDR_4K) < HPA_OFF + TB + NR_TABLES * 4096ull &&
		    watched[((e & PTE64_ADDR_4K) - HPA_OFF - TB) / 4096])
			watched_rw++;
		if ((e & PTE_RW) && (!(wr.access & ACC_WRITE) ||
				     !(wr.pte[wr.nr_levels - 1] & PTE_D)))
			not_ok("L2 0x%" PRIx64 ": shadow writable, L1's leaf "
			       "0x%" PRIx64 " is not (dirty) writable (%" PRIu64
			       ")", gpa, wr.pte[wr.nr_levels - 1], wr.access);
	}
}

int main(int argc, char **argv)
{
	pthread_t th[NR_VCPUS];
	struct snpt_smp_hooks hooks = { .write_protect = write_protect,
					.flush = flush };
	unsigned mismatched_prot = 0, nr_watched = 0;
	uint64_t unsyncs = 0;

	unsync = argc > 1 && !strcmp(argv[1], "--unsync");

	/* L1's NPT: identity over 64 MiB with 4 KiB leaves. */
	atomic_store(&tables[0][0], (TB + 4096) | PTE_P | PTE_RW | PTE_US | PTE_A);
	atomic_store(&tables[1][0], (TB + 2 * 4096) | PTE_P | PTE_RW | PTE_US | PTE_A);
	for (unsigned i = 0; i < 32; i++) {
		atomic_store(&tables[2][i], (TB + (PT0 + i) * 4096ull) | PTE_P |
			     PTE_RW | PTE_US | PTE_A);
		for (unsigned j = 0; j < 512; j++)
			atomic_store(&tables[PT0 + i][j],
				     (((uint64_t)i << 21) | ((uint64_t)j << 12)) |
				     LEAF_FLAGS);
	}
	for (unsigned i = 0; i < POOL_PAGES; i++)
		pool[i] = calloc(1, 4096);
	role = cpu_role_shadow_npt(X86_CR4_PAE, X86_EFER_LME | X86_EFER_LMA |
				   X86_EFER_NXE, false);
	snpt_smp_init(&group, &hooks, &ptm, prot_table);
	for (unsigned i = 0; i < NR_VCPUS; i++) {
		struct snpt_env env = {
			.l1mem = &l1mem, .l1_to_hpa = l1_to_hpa,
			.l1_cpu = { .maxphyaddr = 48, .gbpages = false },
			.unsync = unsync,
		};

		mmu[i] = calloc(1, sizeof(*mmu[i]));
		snpt_smp_add_vcpu(&group, i, mmu[i], &env);
	}

	pthread_barrier_init(&phase, NULL, NR_VCPUS);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		pthread_create(&th[i], NULL, vcpu_thread, (void *)(uintptr_t)i);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		pthread_join(th[i], NULL);

	for (unsigned i = 0; i < NR_VCPUS; i++) {
		snpt_smp_reclaim(&group, i);
		for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++)
			if (mmu[i]->roots[r].valid)
				check_tree(i, mmu[i]->roots[r].hpa, 4, 0);
		unsyncs += mmu[i]->stats.unsyncs;
	}
	printf("%s 1 - every reachable shadow leaf (%u) agrees with walk() of "
	       "L1's tables now", failures ? "not ok" : "ok", leaves);
	if (unsync)
		printf(", but for %u whose walk L1 wrote since that vCPU's "
		       "last flush", stale_allowed);
	printf("\n");
	for (unsigned t = 0; t < NR_TABLES; t++) {
		bool used = false;

		for (unsigned i = 0; i < NR_VCPUS; i++)
			used |= snpt_is_protected(mmu[i], TB + t * 4096ull);
		if ((used || watched[t]) != atomic_load(&prot[t]) ||
		    used != snpt_smp_is_protected(&group, TB + t * 4096ull) ||
		    watched[t] != snpt_smp_is_pinned(&group, TB + t * 4096ull))
			mismatched_prot++;
		nr_watched += watched[t];
	}
	printf("%s 2 - the read-only pages are exactly those some shadow uses "
	       "or that are watched (%u mismatches, %u watched)\n",
	       mismatched_prot ? "not ok" : "ok", mismatched_prot, nr_watched);
	printf("%s 3 - no shadow leaf maps a watched page writable (%u do)\n",
	       watched_rw ? "not ok" : "ok", watched_rw);
	printf("# %" PRIu64 " L1 writes that exited, %" PRIu64 " protections, %"
	       PRIu64 " releases, %" PRIu64 " pages reclaimed; faults per vCPU:",
	       group.stats.l1_writes, group.stats.protects,
	       group.stats.releases, group.stats.reclaimed);
	for (unsigned i = 0; i < NR_VCPUS; i++)
		printf(" %" PRIu64 " (%" PRIu64 " installs, %" PRIu64
		       " prefetched, %" PRIu64 " changed under the walk)",
		       mmu[i]->stats.faults, mmu[i]->stats.installs,
		       mmu[i]->stats.prefetch_installs,
		       mmu[i]->stats.changed_under_walk);
	printf("\n");
	if (unsync)
		printf("%s 4 - pages went unsync (%" PRIu64 " times)\n",
		       unsyncs ? "ok" : "not ok", unsyncs);
	printf("1..%u\n", unsync ? 4 : 3);
	return failures || mismatched_prot || watched_rw ||
	       (unsync && !unsyncs) ? 1 : 0;
}
