/* SPDX-License-Identifier: MIT */
/*
 * A test-and-test-and-set spinlock for nestvisor's host mode, where every
 * CPU runs with GIF clear: nothing interrupts a holder, so a holder never
 * waits for itself.
 *
 * Taking: exchange 1 into locked (acquire); while that finds it taken,
 * spin on plain loads until it reads 0, then try again.  Releasing:
 * store 0 (release), so everything written under the lock is visible to
 * the next holder.  Plain C11 atomics: it lives in mm/, the lowest
 * folder, so that mm/'s shadow-NPT coordination (mm/snpt_smp.c) can use
 * it too, and host tests build it (ThreadSanitizer sees the atomics).
 *
 * Why not a fair (ticket or queue) lock: nestvisor's CPUs are often vCPUs
 * themselves (QEMU's threads, a nested KVM), which the host deschedules
 * at will.  A fair lock hands the lock to the next waiter in line even
 * when that waiter's thread is not running, and every other CPU then
 * spins until the host runs it; with more vCPU threads than free host
 * cores each handoff costs a host time slice (seen: Linux KVM as L1 on 4
 * vCPUs under QEMU, three such QEMUs on two host cores, whose shadow-NPT
 * locks are taken on every VMSAVE and L1 write: each L2 VM faulted in
 * about 30 pages a second; docs/architecture.md, "Locks").  Here whichever CPU is
 * running when the lock is free takes it.  Critical sections are short
 * and a holder releases within a bounded time, so a waiter that keeps
 * losing can only lose to CPUs that are making progress.
 */
#ifndef NV_MM_SPINLOCK_H
#define NV_MM_SPINLOCK_H

#include <stdbool.h>
#include <stdint.h>

struct spinlock {
	uint32_t locked;
};

#define SPINLOCK_INIT { 0 }

static inline void cpu_relax(void)
{
	__builtin_ia32_pause();
}

static inline bool spin_trylock(struct spinlock *l)
{
	return !__atomic_exchange_n(&l->locked, 1, __ATOMIC_ACQUIRE);
}

static inline void spin_lock(struct spinlock *l)
{
	while (!spin_trylock(l))
		while (__atomic_load_n(&l->locked, __ATOMIC_RELAXED))
			cpu_relax();
}

static inline void spin_unlock(struct spinlock *l)
{
	__atomic_store_n(&l->locked, 0, __ATOMIC_RELEASE);
}

static inline bool spin_is_locked(struct spinlock *l)
{
	return __atomic_load_n(&l->locked, __ATOMIC_RELAXED);
}

#endif
