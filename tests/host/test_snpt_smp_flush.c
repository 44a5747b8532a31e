// SPDX-License-Identifier: MIT
/*
 * mm/snpt_smp.c's shootdowns (its comment, "Flushes"), two threads under
 * ThreadSanitizer.  Thread A protects page P1 (a pin: the same path as a
 * vCPU MMU's first use) and its shootdown hangs, as one does while the
 * host has descheduled a vCPU thread, until thread B says go.  Meanwhile
 * B must be able to:
 *  1. ask whether P1 is pinned: nobody may hold the layer's lock across
 *     a shootdown;
 *  2. pin P1 again, and that call may return only once a shootdown that
 *     started after P1 became read-only has finished (B's own);
 *  3. pin another page P2, with its own shootdown;
 * and A's own call may return only after such a shootdown too (before it,
 * a CPU may still write P1 through a stale TLB entry).  Then the release:
 * thread C drops P1's two pins; only the second releases it, and its
 * released hook (where nestvisor merges L1's NPT and shoots down) runs
 * once, after P1 is writable again, and hangs until B says go; meanwhile
 * B must be able to ask whether P1 is pinned, pin P1 again and unpin it
 * (a release of its own), and C's call must not have returned.  A hang is
 * a failure, reported after 5 s, not a stuck test.  Exit status 0 and
 * "ok" lines, or "not ok" lines.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mm/snpt_smp.h"
#include "thread_flags.h"

#define P1 0x10000ull
#define P2 0x20000ull

static struct snpt_smp group;
static struct snpt_smp_prot prot_table[SNPT_SMP_PROT_SLOTS];

static bool a_in_flush, go, a_returned;
static atomic_bool p1_ro;          /* the fake NPT's rights for P1 */
static atomic_bool p1_covered;     /* a flush begun after P1's protection ended */
static atomic_int flushes;
static _Thread_local bool is_a, is_c;
static bool c_in_released, go_c, c_returned;
static atomic_int releases_c, releases_b, released_writable, released_other;
static unsigned failures;

static void result(bool ok, const char *what)
{
	printf("%s - %s\n", ok ? "ok" : "not ok", what);
	if (!ok)
		failures++;
}

static int write_protect(void *ctx, uint64_t page, bool wp)
{
	(void)ctx;
	if (page == P1)
		atomic_store(&p1_ro, wp);
	return 0;
}

static void flush(void *ctx)
{
	bool after = atomic_load(&p1_ro);

	(void)ctx;
	atomic_fetch_add(&flushes, 1);
	if (is_a) {
		/* A's shootdown: stuck until B is done (or 5 s). */
		set(&a_in_flush);
		pthread_mutex_lock(&mu);
		result(wait_for(&go, 5000), "B got through while A's shootdown was waiting");
		pthread_mutex_unlock(&mu);
	}
	if (after)
		atomic_store(&p1_covered, true);
}

static void released(void *ctx, uint64_t page)
{
	(void)ctx;
	if (page != P1) {
		atomic_fetch_add(&released_other, 1);
		return;
	}
	if (!atomic_load(&p1_ro))
		atomic_fetch_add(&released_writable, 1);
	if (!is_c) {
		atomic_fetch_add(&releases_b, 1);
		return;
	}
	atomic_fetch_add(&releases_c, 1);
	/* C's release: stuck until B is done (or 5 s). */
	set(&c_in_released);
	pthread_mutex_lock(&mu);
	result(wait_for(&go_c, 5000), "B got through while C's release was waiting");
	pthread_mutex_unlock(&mu);
}

static void *thread_c(void *arg)
{
	(void)arg;
	is_c = true;
	snpt_smp_unpin(&group, P1);
	result(atomic_load(&releases_c) == 0 && atomic_load(&p1_ro),
	       "C's first unpin: P1 still pinned, nothing released");
	snpt_smp_unpin(&group, P1);
	set(&c_returned);
	return NULL;
}

static void *thread_a(void *arg)
{
	(void)arg;
	is_a = true;
	result(snpt_smp_pin(&group, P1) == 0, "A pins P1");
	result(atomic_load(&p1_covered),
	       "A's pin returned after a shootdown that followed P1's protection");
	set(&a_returned);
	return NULL;
}

static uint64_t no_alloc(void *ctx)
{
	(void)ctx;
	return 0;
}

int main(void)
{
	struct snpt_smp_hooks hooks = { .write_protect = write_protect,
					.flush = flush,
					.released = released };
	static struct pt_mem ptm = { .alloc_page = no_alloc };
	pthread_t a;
	bool in;

	snpt_smp_init(&group, &hooks, &ptm, prot_table);
	pthread_create(&a, NULL, thread_a, NULL);
	pthread_mutex_lock(&mu);
	in = wait_for(&a_in_flush, 5000);
	pthread_mutex_unlock(&mu);
	result(in, "A's pin reached its shootdown");
	if (in) {
		result(snpt_smp_is_pinned(&group, P1), "B: P1 is pinned");
		result(snpt_smp_pin(&group, P1) == 0, "B pins P1 again");
		result(atomic_load(&p1_covered),
		       "B's pin of P1 returned after a shootdown that followed its protection");
		result(snpt_smp_pin(&group, P2) == 0, "B pins P2");
		pthread_mutex_lock(&mu);
		result(!a_returned, "A's pin has not returned during its shootdown");
		pthread_mutex_unlock(&mu);
	}
	set(&go);
	pthread_join(a, NULL);
	result(snpt_smp_is_pinned(&group, P1) && snpt_smp_is_pinned(&group, P2),
	       "P1 and P2 pinned at the end");

	pthread_create(&a, NULL, thread_c, NULL);
	pthread_mutex_lock(&mu);
	in = wait_for(&c_in_released, 5000);
	pthread_mutex_unlock(&mu);
	result(in, "C's second unpin reached the released hook");
	if (in) {
		result(!atomic_load(&p1_ro), "P1 writable before its released hook");
		result(!snpt_smp_is_pinned(&group, P1), "B: P1 is not pinned");
		result(snpt_smp_pin(&group, P1) == 0 && atomic_load(&p1_ro),
		       "B pins P1 again: read-only");
		snpt_smp_unpin(&group, P1);
		result(atomic_load(&releases_b) == 1 && !atomic_load(&p1_ro),
		       "B's unpin released P1, its hook called once");
		pthread_mutex_lock(&mu);
		result(!c_returned, "C's unpin has not returned during its released hook");
		pthread_mutex_unlock(&mu);
	}
	set(&go_c);
	pthread_join(a, NULL);
	result(atomic_load(&releases_c) == 1, "C's release: its hook called once");
	result(atomic_load(&released_writable) == 2 &&
	       !atomic_load(&released_other),
	       "every released hook came after write access was given back, "
	       "for the page released only");
	printf("%d shootdowns; %u failures\n", atomic_load(&flushes), failures);
	return failures ? 1 : 0;
}
