/* SPDX-License-Identifier: MIT */
/*
 * The shadow NPTs of every vCPU, kept coherent with the one L1 they all
 * shadow (algorithm and correctness argument: the comment at the top of
 * snpt_smp.c; docs/mmu.md, "More than one CPU").
 *
 * Each vCPU has its own shadow-NPT MMU (mm/shadow_npt.c, single-threaded)
 * behind its own lock; this layer adds what several of them need:
 *  - one count per protected L1 table page, so that a page stays
 *    write-protected while any vCPU's shadow is built from it;
 *  - an L1 write to such a page drops the entries built from it in every
 *    vCPU's shadow before the write is let through;
 *  - shadow table pages a vCPU's MMU frees wait on that vCPU's list until
 *    the vCPU has flushed its TLB (snpt_smp_reclaim, before its VMRUN);
 *  - pins: L1 pages kept read-only for another reason (nestvisor: L1's
 *    permission maps, svm/nested_maps.c), which every vCPU's MMU maps
 *    only with 4 KiB read-only leaves (its env->l1_watched).
 * Any CPU may call any function; the vCPU index says whose MMU.
 */
#ifndef NV_MM_SNPT_SMP_H
#define NV_MM_SNPT_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/spinlock.h"
#include "mm/pt_mem.h"
#include "mm/shadow_npt.h"

#define SNPT_SMP_MAX_VCPUS 64
#define SNPT_SMP_PROT_SLOTS 8192   /* L1 pages protected at once, all vCPUs */
#define SNPT_SMP_PROT_BUCKETS 1024
#define SNPT_SMP_NONE 0xffffffffu

struct snpt_smp;

/* What nestvisor's NPT for L1 must do for this layer. */
struct snpt_smp_hooks {
	/*
	 * Write-protect (true) or give back write access to (false) one
	 * 4 KiB page of L1 memory in nestvisor's NPT for L1: the entry
	 * only.  CPUs may still write a page just protected through their
	 * TLBs until the next flush below.  Called under prot_lock.
	 * 0, or a negated nv_err (the page is then not protected).
	 */
	int (*write_protect)(void *ctx, uint64_t l1_page, bool wp);
	/*
	 * A TLB shootdown: returns once no CPU holds a translation of L1
	 * memory made before the call (nestvisor: svm/smp.c).  Called
	 * without any lock of this layer, possibly by several CPUs at once.
	 */
	void (*flush)(void *ctx);
	/*
	 * After write_protect(page, false), once prot_lock is dropped (the
	 * caller's vCPU lock may still be held): what a release leaves to
	 * do that may wait for other CPUs (nestvisor: merging L1's NPT back
	 * into large pages, and the shootdown before the tables it frees
	 * are reused).  The page may be protected again meanwhile.  May be
	 * NULL.
	 */
	void (*released)(void *ctx, uint64_t l1_page);
	void *ctx;
};

struct snpt_smp_vcpu {
	struct spinlock lock;      /* held around every call into mmu */
	struct snpt *mmu;
	struct snpt_smp *group;
	struct pt_mem ptm;         /* mmu's tables: frees are deferred */
	/* The caller's l1_to_hpa, called through this layer. */
	int (*l1_to_hpa)(void *ctx, uint64_t l1_gpa, uint64_t *hpa,
			 unsigned *max_shift);
	void *l1_ctx;
	uint64_t deferred;         /* freed table pages, linked by 1st word */
	unsigned nr_deferred;
	uint64_t pages;            /* table pages mmu holds (deferred ones not) */
	/* A fault or a prefetch ran since mmu was last flushed: set under
	 * lock before either looks at mmu, cleared under lock after a flush
	 * (snpt_smp.c, "Flushes of an empty shadow"; atomic). */
	bool filled;
	uint64_t empty_flushes;    /* flushes snpt_smp_flush_own() skipped */
};

/* One read-only L1 page: how many vCPU MMUs use it, how many pins. */
struct snpt_smp_prot {
	uint64_t page;
	uint32_t count;
	uint32_t pins;
	uint32_t next;             /* in its bucket, or in the free list */
	uint64_t seq;              /* its protection's number (wp_seq) */
};

struct snpt_smp_stats {
	uint64_t protects, releases, protect_failures, l1_writes;
	uint64_t reclaimed;
	uint64_t flushes;          /* hooks.flush calls */
};

struct snpt_smp {
	struct snpt_smp_hooks hooks;
	struct pt_mem *ptm;        /* the allocator behind every shadow */
	unsigned nr;
	struct snpt_smp_vcpu v[SNPT_SMP_MAX_VCPUS];
	struct spinlock prot_lock; /* the table below */
	struct snpt_smp_prot *prot; /* SNPT_SMP_PROT_SLOTS entries */
	uint32_t bucket[SNPT_SMP_PROT_BUCKETS];
	uint32_t free_prot;
	unsigned nr_pins;          /* pins in the table (atomic) */
	unsigned nr_used;          /* entries with count > 0 (atomic) */
	/* Protections made (under prot_lock), and the highest number up
	 * to which a flush has run since (atomic; snpt_smp.c, "Flushes"). */
	uint64_t wp_seq;
	uint64_t flushed_seq;
	struct snpt_smp_stats stats;
};

/* prot: SNPT_SMP_PROT_SLOTS zeroed entries, owned by g from now on. */
void snpt_smp_init(struct snpt_smp *g, const struct snpt_smp_hooks *hooks,
		   struct pt_mem *ptm, struct snpt_smp_prot *prot);

/*
 * vCPU idx (below SNPT_SMP_MAX_VCPUS) gets mmu, initialised with env
 * except that env's protect, l1_watched and ptm are this layer's (env->ptm
 * is ignored: g's allocator is used, frees deferred; a page is watched
 * while it is pinned).  Adding idx again replaces its MMU.
 */
void snpt_smp_add_vcpu(struct snpt_smp *g, unsigned idx, struct snpt *mmu,
		       const struct snpt_env *env);

/* snpt_get_root, snpt_handle_fault, snpt_invlpga and snpt_flush on vCPU
 * idx's MMU, under its lock. */
int snpt_smp_get_root(struct snpt_smp *g, unsigned idx, uint64_t ncr3,
		      union cpu_role role, enum snpt_exec exec, uint32_t asid,
		      uint64_t *root_hpa);
enum snpt_outcome snpt_smp_fault(struct snpt_smp *g, unsigned idx,
				 uint64_t root_hpa, uint64_t l2_gpa,
				 uint64_t hw_exit_info_1, unsigned cpl,
				 uint64_t rip, struct snpt_fault_result *out);
void snpt_smp_invlpga(struct snpt_smp *g, unsigned idx, uint64_t l2_gpa);
void snpt_smp_flush(struct snpt_smp *g, unsigned idx);
/* snpt_prefetch on vCPU idx's MMU, under its lock; only on vCPU idx's
 * own CPU. */
bool snpt_smp_prefetch(struct snpt_smp *g, unsigned idx, uint64_t root_hpa);

/* Is the page holding l1_gpa protected for some vCPU's shadow? */
bool snpt_smp_is_protected(struct snpt_smp *g, uint64_t l1_gpa);

/*
 * Pins of the page holding l1_gpa.  snpt_smp_pin: one more; the page is
 * write-protected (hooks.write_protect) if it was not read-only already.
 * 0, or a negated nv_err (then not pinned).  snpt_smp_unpin: one less;
 * the page is writable again when it has neither pins nor uses.  Leaves
 * that map a page before its first pin may still map it writable or
 * large: the caller empties the shadows (snpt_smp_flush) after pinning.
 */
int snpt_smp_pin(struct snpt_smp *g, uint64_t l1_gpa);
void snpt_smp_unpin(struct snpt_smp *g, uint64_t l1_gpa);
bool snpt_smp_is_pinned(struct snpt_smp *g, uint64_t l1_gpa);

/*
 * L1 (on any CPU) tried to write the protected page holding l1_gpa: drop
 * every entry built from it in every vCPU's shadow (with env->unsync:
 * make it unsync in every one); when the last MMU lets it go, the page is
 * writable again and the caller lets L1 retry.
 */
void snpt_smp_l1_write(struct snpt_smp *g, uint64_t l1_gpa);

/*
 * Before vCPU idx enters L2 again: give its freed shadow table pages back
 * to the allocator.  Returns how many; if not 0 the caller must flush
 * that CPU's TLB at the VMRUN that follows (its page-walk caches may
 * still point into them).
 */
unsigned snpt_smp_reclaim(struct snpt_smp *g, unsigned idx);

/* snpt_smp_flush, only on vCPU idx's own CPU: without the lock, and
 * nothing at all, when no fault or prefetch ran on its MMU since its last
 * flush (it holds no entry and no use then: snpt_smp.c, "Flushes of an
 * empty shadow").  Inline: L1 may flush at every VMRUN. */
static inline void snpt_smp_flush_own(struct snpt_smp *g, unsigned idx)
{
	struct snpt_smp_vcpu *v = &g->v[idx];

	if (__atomic_load_n(&v->filled, __ATOMIC_RELAXED)) {
		snpt_smp_flush(g, idx);
		return;
	}
	__atomic_store_n(&v->empty_flushes, v->empty_flushes + 1,
			 __ATOMIC_RELAXED);
}

/* Has vCPU idx freed pages waiting for snpt_smp_reclaim? (no lock) */
static inline bool snpt_smp_has_deferred(struct snpt_smp *g, unsigned idx)
{
	return __atomic_load_n(&g->v[idx].nr_deferred, __ATOMIC_RELAXED) != 0;
}

#endif
