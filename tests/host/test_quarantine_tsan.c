// SPDX-License-Identifier: MIT
/*
 * mm/quarantine.c shared by several CPUs, under ThreadSanitizer.  Three
 * "CPU" threads exit now and then (their exit counts grow) and reclaim,
 * as svm/smp.c's entry_requests() does; two "shootdown" threads give up
 * on some of them, each at the exit count it reads then, and hold a page
 * for them.  The rule (docs/security.md, "A kick that never arrives"): a
 * page is freed only after each CPU it was held for has exited since its
 * give-up, so when it is freed each such CPU's count is above the one
 * recorded for the page; and no page is freed twice.  Every page held is
 * freed or leaked by the end (after every CPU exited once more).  Exit
 * status 0 and "ok" lines, or "not ok" lines.
 */
#include <pthread.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "mm/quarantine.h"

#define NCPUS 3
#define PER_THREAD 1500
#define NPAGES (2 * PER_THREAD)

static _Atomic uint64_t exits[NCPUS];
static struct {
	uint64_t cpus;
	uint64_t at[NCPUS];   /* the count each CPU was given up at */
	atomic_int freed;
} page[NPAGES];
static atomic_int early, twice, nfreed;
static atomic_bool stop;
static struct quarantine q;

static uint64_t f_exits(void *ctx, unsigned cpu)
{
	(void)ctx;
	return atomic_load(&exits[cpu]);
}

static bool f_in_host(void *ctx, unsigned cpu)
{
	(void)ctx;
	(void)cpu;
	return false;
}

static void f_free(void *ctx, uint64_t pa)
{
	unsigned n = (unsigned)(pa / 4096) - 1;

	(void)ctx;
	for (unsigned i = 0; i < NCPUS; i++)
		if ((page[n].cpus >> i & 1) && atomic_load(&exits[i]) <= page[n].at[i])
			atomic_fetch_add(&early, 1);
	if (atomic_fetch_add(&page[n].freed, 1))
		atomic_fetch_add(&twice, 1);
	atomic_fetch_add(&nfreed, 1);
}

static void *cpu_thread(void *arg)
{
	unsigned i = (unsigned)(uintptr_t)arg, seed = i + 1;

	while (!atomic_load(&stop)) {
		if (rand_r(&seed) % 4 == 0)
			atomic_fetch_add(&exits[i], 1);
		quarantine_reclaim(&q);
		sched_yield(); /* two cores shared with other work */
	}
	return 0;
}

static void *shootdown_thread(void *arg)
{
	unsigned t = (unsigned)(uintptr_t)arg, seed = 100 + t;

	for (unsigned k = 0; k < PER_THREAD; k++) {
		unsigned n = t * PER_THREAD + k;
		uint64_t mask = 1 + rand_r(&seed) % ((1u << NCPUS) - 1);

		for (unsigned i = 0; i < NCPUS; i++)
			if (mask >> i & 1) {
				page[n].at[i] = atomic_load(&exits[i]);
				quarantine_gave_up(&q, i, page[n].at[i]);
			}
		page[n].cpus = mask;
		quarantine_hold(&q, 4096ull * (n + 1), mask);
		/* Let the CPUs move, mostly, so that most pages are held
		 * and freed rather than leaked. */
		if (rand_r(&seed) % 16)
			sched_yield();
	}
	return 0;
}

int main(void)
{
	struct quarantine_env env = { 0, f_exits, f_in_host, f_free };
	pthread_t c[NCPUS], s[2];
	int fails = 0;

	quarantine_init(&q, &env);
	for (unsigned i = 0; i < NCPUS; i++)
		pthread_create(&c[i], 0, cpu_thread, (void *)(uintptr_t)i);
	for (unsigned t = 0; t < 2; t++)
		pthread_create(&s[t], 0, shootdown_thread, (void *)(uintptr_t)t);
	for (unsigned t = 0; t < 2; t++)
		pthread_join(s[t], 0);
	atomic_store(&stop, true);
	for (unsigned i = 0; i < NCPUS; i++)
		pthread_join(c[i], 0);
	for (unsigned i = 0; i < NCPUS; i++)
		atomic_fetch_add(&exits[i], 1);
	quarantine_reclaim(&q);

#define CHECK(c, what) do { bool ok_ = (c); printf("%s - %s\n", ok_ ? "ok" : "not ok", what); fails += !ok_; } while (0)
	CHECK(!atomic_load(&early), "no page freed before its CPUs exited");
	CHECK(!atomic_load(&twice), "no page freed twice");
	CHECK((uint64_t)atomic_load(&nfreed) + q.stats.leaked == NPAGES,
	      "every page freed or leaked once every CPU exited");
	CHECK(quarantine_held(&q) == 0, "nothing held at the end");
	printf("# %d freed, %lu leaked, %lu held at most once each\n",
	       atomic_load(&nfreed), (unsigned long)q.stats.leaked,
	       (unsigned long)q.stats.held);
	return fails ? 1 : 0;
}
