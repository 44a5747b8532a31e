/* SPDX-License-Identifier: MIT */
/*
 * Pages that a TLB shootdown could not make unreachable on every CPU: kept
 * out of the allocator until the CPUs it gave up on have exited since
 * (mm/quarantine.c has the algorithm; docs/security.md, "A kick that
 * never arrives").  Pure C, shared by every CPU (one lock).
 */
#ifndef NV_MM_QUARANTINE_H
#define NV_MM_QUARANTINE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/spinlock.h"

/* Pages held at most; one more is leaked (counted), never freed early. */
#define QUARANTINE_SLOTS 64u
/* CPUs, by index (bit i of a mask: CPU i). */
#define QUARANTINE_CPUS 64u

struct quarantine_env {
	void *ctx;
	/* CPU cpu's exit count now (it only grows; read with acquire). */
	uint64_t (*exits)(void *ctx, unsigned cpu);
	/* Is CPU cpu in host mode now (it flushes its TLB before its next
	 * VMRUN, the shootdown having asked it to)? */
	bool (*in_host)(void *ctx, unsigned cpu);
	/* Back to the allocator. */
	void (*free_page)(void *ctx, uint64_t pa);
};

struct quarantine_stats {
	uint64_t gave_up;   /* CPUs given up on (quarantine_gave_up calls) */
	uint64_t held;      /* pages taken in */
	uint64_t freed;     /* pages given back to the allocator */
	uint64_t leaked;    /* pages refused for want of a slot: never freed */
};

struct quarantine {
	struct spinlock lock;
	struct quarantine_env env;
	/* Atomic: 1 + the highest exit count a shootdown gave up at, per
	 * CPU; 0 if none ever did. */
	uint64_t stuck_at[QUARANTINE_CPUS];
	unsigned nr;                      /* atomic: slots in use */
	uint64_t pa[QUARANTINE_SLOTS];    /* 0: a free slot */
	uint64_t cpus[QUARANTINE_SLOTS];  /* the CPUs still to exit */
	struct quarantine_stats stats;    /* atomic */
};

void quarantine_init(struct quarantine *q, const struct quarantine_env *env);

/* A shootdown stops waiting for cpu, whose exit count was exits from
 * after the shootdown's request until now.  Before any quarantine_hold
 * for the pages that shootdown guarded. */
void quarantine_gave_up(struct quarantine *q, unsigned cpu, uint64_t exits);

/* Did a shootdown give up on cpu, which has not exited since? */
bool quarantine_stuck(struct quarantine *q, unsigned cpu);

/* Is there a CPU quarantine_stuck() would say yes for?  (While there is,
 * pages freed after a shootdown would only fill the quarantine: a caller
 * that can put a free off does, svm/nested_npt.c l1_released.) */
bool quarantine_any_stuck(struct quarantine *q);

/*
 * pa (a page, not 0) may still be in the TLB or page-walk caches of the
 * CPUs in cpus, each given up on (quarantine_gave_up) by the shootdown
 * after which pa was to be freed: pa goes back to the allocator once each
 * has exited or been seen in host mode since; at once if they all have
 * (or cpus is 0).  With every slot in use, pa is leaked (stats.leaked),
 * never freed: false.
 */
bool quarantine_hold(struct quarantine *q, uint64_t pa, uint64_t cpus);

/* Frees the pages whose CPUs have all exited since; how many.  Cheap
 * when nothing is held (one atomic load). */
unsigned quarantine_reclaim(struct quarantine *q);

/* Pages held now. */
unsigned quarantine_held(const struct quarantine *q);

#endif
