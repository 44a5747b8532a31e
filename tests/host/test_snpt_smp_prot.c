// SPDX-License-Identifier: MIT
/*
 * mm/snpt_smp.c's "is this L1 page protected?" against a protection in
 * progress, two threads under ThreadSanitizer.
 *
 * The rule (svm/npf.c, docs/mmu.md §7.2): once a page of L1's NPT is
 * read-only in nestvisor's NPT because a shadow uses it, an L1 write to
 * it exits and must be served as a write to a protected page: the
 * handler asks snpt_smp_is_protected(), and a false answer sends the
 * write down the path of a fault the NPT should not give (a flush and a
 * retry, then L1's shutdown should it happen twice).  So from the moment
 * the write_protect hook has made the page read-only, every answer for
 * it must be true.
 *
 * Thread A is vCPU 0's MMU using page P for the first time (its
 * env->protect, the path of a fault's first use).  Its write_protect
 * hook makes P read-only, then stands for A being held up right there
 * (a host that deschedules the vCPU thread): it lets thread B, another
 * CPU whose L1 write to P has just exited, ask whether P is protected,
 * and, once B is asking, waits for B's answer for at most 200 ms.  B's
 * answer must be true, whether it came at once or only after A went
 * on.  Then the release the other way round: vCPU 1 uses P too, vCPU 0
 * stops, and thread A stops vCPU 1's use, the last; its write_protect
 * hook is held up just before it makes P writable again, and B asks
 * again: false is right only once P is writable (the handler then finds
 * the NPT allowing the write and retries it), never while P is still
 * read-only.  Exit status 0 and "ok" lines, or "not ok" lines; a hang
 * is a failure reported after 5 s.
 */
#include <errno.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <time.h>

#include "mm/shadow_npt.h"
#include "mm/snpt_smp.h"
#include "thread_flags.h"

#define P 0x30000ull

static struct snpt_smp group;
static struct snpt_smp_prot prot_table[SNPT_SMP_PROT_SLOTS];
static struct snpt mmu[2];

static bool p_ro_seen, b_asking, b_answered;
static bool b_answer, b_saw_ro;
static atomic_bool p_ro;          /* the fake NPT's rights for P */
static atomic_bool hold_next;     /* hold up the next write_protect of P */
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
	if (page != P)
		return 0;
	if (wp)
		atomic_store(&p_ro, true);
	if (atomic_load(&hold_next)) {
		/* P read-only, about to be writable again or just made so: B's
		 * write exits.  A is held up here until B has its answer, or
		 * 200 ms (B may have to wait for A to go on). */
		atomic_store(&hold_next, false);
		set(&p_ro_seen);
		pthread_mutex_lock(&mu);
		if (wait_for(&b_asking, 5000))
			wait_for(&b_answered, 200);
		pthread_mutex_unlock(&mu);
	}
	if (!wp)
		atomic_store(&p_ro, false);
	return 0;
}

static void flush(void *ctx)
{
	(void)ctx;
}

static uint64_t no_alloc(void *ctx)
{
	(void)ctx;
	return 0;
}

static int no_l1_to_hpa(void *ctx, uint64_t gpa, uint64_t *hpa, unsigned *shift)
{
	(void)ctx;
	*hpa = gpa;
	*shift = 12;
	return 0;
}

/* The MMU of vCPU idx uses (wp) or stops using P: its env->protect. */
static int use(unsigned idx, bool wp)
{
	return mmu[idx].env.protect(mmu[idx].env.ctx, P, wp);
}

static void *thread_a(void *arg)
{
	(void)arg;
	result(use(0, true) == 0, "A: vCPU 0's first use of P");
	return NULL;
}

static void *thread_a_release(void *arg)
{
	(void)arg;
	use(1, false);
	return NULL;
}

static void *thread_b(void *arg)
{
	bool ok;

	(void)arg;
	pthread_mutex_lock(&mu);
	ok = wait_for(&p_ro_seen, 5000);
	pthread_mutex_unlock(&mu);
	result(ok, "B: P became read-only");
	if (!ok)
		return NULL;
	/* B's L1 write to P exited: the #NPF handler's question. */
	set(&b_asking);
	b_answer = snpt_smp_is_protected(&group, P);
	b_saw_ro = atomic_load(&p_ro);
	set(&b_answered);
	return NULL;
}

int main(void)
{
	struct snpt_smp_hooks hooks = { .write_protect = write_protect,
					.flush = flush };
	static struct pt_mem ptm = { .alloc_page = no_alloc };
	struct snpt_env env = { .l1_to_hpa = no_l1_to_hpa };
	pthread_t a, b;

	snpt_smp_init(&group, &hooks, &ptm, prot_table);
	snpt_smp_add_vcpu(&group, 0, &mmu[0], &env);
	snpt_smp_add_vcpu(&group, 1, &mmu[1], &env);
	result(!snpt_smp_is_protected(&group, P), "P unprotected at first");

	atomic_store(&hold_next, true);
	pthread_create(&b, NULL, thread_b, NULL);
	pthread_create(&a, NULL, thread_a, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	result(b_answer, "B: P protected once read-only, while A's protection "
			 "was still under way");
	result(atomic_load(&p_ro) && snpt_smp_is_protected(&group, P),
	       "P read-only and protected after A's use");

	result(use(1, true) == 0 && snpt_smp_is_protected(&group, P),
	       "vCPU 1 uses P too");
	use(0, false);
	result(atomic_load(&p_ro) && snpt_smp_is_protected(&group, P),
	       "vCPU 0 stops using P: still protected for vCPU 1");

	p_ro_seen = b_asking = b_answered = false;
	atomic_store(&hold_next, true);
	pthread_create(&b, NULL, thread_b, NULL);
	pthread_create(&a, NULL, thread_a_release, NULL);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	result(b_answer || !b_saw_ro, "B: P not protected only once writable, "
				      "while A's release was under way");
	result(!atomic_load(&p_ro) && !snpt_smp_is_protected(&group, P),
	       "vCPU 1 stops using P: writable, not protected");
	printf("%u failures\n", failures);
	return failures ? 1 : 0;
}
