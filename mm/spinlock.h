/* SPDX-License-Identifier: MIT */
/*
 * A ticket spinlock for nestvisor's host mode, where every CPU runs with
 * GIF clear: nothing interrupts a holder, so a holder never waits for
 * itself.  Tickets make the lock fair: a CPU that keeps taking it (a
 * guest that exits in a loop) cannot starve the others.
 *
 * next is the ticket the next taker draws, owner the ticket being served.
 * Taking: draw a ticket (atomic add), wait until owner equals it (acquire).
 * Releasing: owner + 1 (release), so everything written under the lock is
 * visible to the next holder.  Plain C11 atomics: it lives in mm/, the
 * lowest folder, so that mm/'s shadow-NPT coordination (mm/snpt_smp.c)
 * can use it too, and host tests build it (ThreadSanitizer sees the
 * atomics).
 */
#ifndef NV_MM_SPINLOCK_H
#define NV_MM_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct spinlock {
	uint32_t next;
	uint32_t owner;
};

#define SPINLOCK_INIT { 0, 0 }

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static inline void spin_lock(struct spinlock *l)
{
	uint32_t t = __atomic_fetch_add(&l->next, 1, __ATOMIC_RELAXED);

	while (__atomic_load_n(&l->owner, __ATOMIC_ACQUIRE) != t)
		cpu_relax();
}

static inline bool spin_trylock(struct spinlock *l)
{
	uint32_t o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
	uint32_t want = o;

	return __atomic_compare_exchange_n(&l->next, &want, o + 1, false,
					   __ATOMIC_ACQUIRE, __ATOMIC_RELAXED);
}

static inline void spin_unlock(struct spinlock *l)
{
	uint32_t o = __atomic_load_n(&l->owner, __ATOMIC_RELAXED);

	__atomic_store_n(&l->owner, o + 1, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(struct spinlock *l)
{
	return __atomic_load_n(&l->next, __ATOMIC_RELAXED) !=
	       __atomic_load_n(&l->owner, __ATOMIC_RELAXED);
}

#endif
