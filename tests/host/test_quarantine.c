// SPDX-License-Identifier: MIT
/*
 * mm/quarantine.c against the rule docs/security.md ("A kick that never
 * arrives") states: a page a shootdown guarded, after that shootdown gave
 * up on some CPUs, is reused only once each of them has left guest mode
 * since (its exit count moved past the one the shootdown saw, or it is in
 * host mode); with no room, the page is leaked and counted, never freed.
 * The CPUs are a fake table of exit counts and modes; a page freed is
 * recorded, and the test checks which pages are free against the CPUs'
 * histories it drives, not against the quarantine's state.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mm/quarantine.h"

#define NCPUS 4
#define PAGE(n) (0x100000ull + (uint64_t)(n) * 4096)

struct fake {
	uint64_t exits[NCPUS];
	bool host[NCPUS];
	unsigned nfreed;
	uint64_t freed[4 * QUARANTINE_SLOTS];
};

static uint64_t f_exits(void *ctx, unsigned cpu)
{
	return ((struct fake *)ctx)->exits[cpu];
}

static bool f_in_host(void *ctx, unsigned cpu)
{
	return ((struct fake *)ctx)->host[cpu];
}

static void f_free(void *ctx, uint64_t pa)
{
	struct fake *f = ctx;

	assert_true(f->nfreed < sizeof(f->freed) / sizeof(f->freed[0]));
	f->freed[f->nfreed++] = pa;
}

static bool is_freed(const struct fake *f, uint64_t pa)
{
	unsigned n = 0;

	for (unsigned i = 0; i < f->nfreed; i++)
		n += f->freed[i] == pa;
	assert_true(n <= 1); /* never freed twice */
	return n == 1;
}

static struct fake fk;
static struct quarantine q;

static int setup(void **state)
{
	struct quarantine_env env = { &fk, f_exits, f_in_host, f_free };

	(void)state;
	fk = (struct fake){ .exits = { 10, 20, 30, 40 } };
	quarantine_init(&q, &env);
	return 0;
}

/* A shootdown that gave up on CPU 1 (in guest mode, 20 exits) guarded
 * page 0: not reused while CPU 1 stays in guest mode without exiting,
 * whatever the other CPUs do; reused after CPU 1's next exit. */
static void test_held_until_exit(void **state)
{
	(void)state;
	quarantine_gave_up(&q, 1, 20);
	assert_true(quarantine_hold(&q, PAGE(0), 1u << 1));
	assert_false(is_freed(&fk, PAGE(0)));
	fk.exits[0] += 5;
	fk.exits[2] += 5;
	fk.host[3] = true;
	for (int i = 0; i < 3; i++)
		assert_int_equal(quarantine_reclaim(&q), 0);
	assert_false(is_freed(&fk, PAGE(0)));
	assert_int_equal(quarantine_held(&q), 1);
	fk.exits[1] = 21;
	assert_int_equal(quarantine_reclaim(&q), 1);
	assert_true(is_freed(&fk, PAGE(0)));
	assert_int_equal(quarantine_held(&q), 0);
	assert_int_equal(quarantine_reclaim(&q), 0);
	assert_int_equal(q.stats.held, 1);
	assert_int_equal(q.stats.freed, 1);
	assert_int_equal(q.stats.leaked, 0);
}

/* A CPU seen in host mode (without an exit counted yet) releases it. */
static void test_host_mode_releases(void **state)
{
	(void)state;
	quarantine_gave_up(&q, 2, 30);
	assert_true(quarantine_hold(&q, PAGE(1), 1u << 2));
	quarantine_reclaim(&q);
	assert_false(is_freed(&fk, PAGE(1)));
	fk.host[2] = true;
	assert_int_equal(quarantine_reclaim(&q), 1);
	assert_true(is_freed(&fk, PAGE(1)));
}

/* Two CPUs given up on: the page waits for both. */
static void test_every_cpu(void **state)
{
	(void)state;
	quarantine_gave_up(&q, 0, 10);
	quarantine_gave_up(&q, 3, 40);
	assert_true(quarantine_hold(&q, PAGE(2), 1u << 0 | 1u << 3));
	fk.exits[0] = 11;
	quarantine_reclaim(&q);
	assert_false(is_freed(&fk, PAGE(2)));
	/* CPU 0 got stuck again (a later shootdown gave up on it at 11):
	 * it already exited once for page 2, which now waits for CPU 3
	 * only. */
	quarantine_gave_up(&q, 0, 11);
	fk.exits[3] = 41;
	assert_int_equal(quarantine_reclaim(&q), 1);
	assert_true(is_freed(&fk, PAGE(2)));
}

/* A later give-up on the same CPU only delays; a give-up at an older
 * count (a slower shootdown's, stored last) does not free early. */
static void test_later_give_up(void **state)
{
	(void)state;
	quarantine_gave_up(&q, 1, 20);
	assert_true(quarantine_hold(&q, PAGE(3), 1u << 1));
	/* CPU 1 exits once, is stuck again at 21 before any reclaim, and
	 * another shootdown gives up on it there. */
	fk.exits[1] = 21;
	quarantine_gave_up(&q, 1, 21);
	/* A shootdown that read 20 long ago stores it only now. */
	quarantine_gave_up(&q, 1, 20);
	assert_true(quarantine_hold(&q, PAGE(4), 1u << 1));
	quarantine_reclaim(&q);
	/* Page 4 was guarded by the shootdown that saw 21: CPU 1 has not
	 * exited since. */
	assert_false(is_freed(&fk, PAGE(4)));
	assert_true(quarantine_stuck(&q, 1));
	fk.exits[1] = 22;
	assert_false(quarantine_stuck(&q, 1));
	quarantine_reclaim(&q);
	assert_true(is_freed(&fk, PAGE(3)));
	assert_true(is_freed(&fk, PAGE(4)));
}

/* No CPU given up on, or all of them exited already: freed at once. */
static void test_nothing_to_wait_for(void **state)
{
	(void)state;
	assert_true(quarantine_hold(&q, PAGE(5), 0));
	assert_true(is_freed(&fk, PAGE(5)));
	quarantine_gave_up(&q, 2, 30);
	fk.exits[2] = 31;
	assert_true(quarantine_hold(&q, PAGE(6), 1u << 2));
	assert_true(is_freed(&fk, PAGE(6)));
	assert_int_equal(quarantine_held(&q), 0);
}

/* Full: the next page is leaked, counted, and never freed, even after
 * every CPU exited; the held ones are freed then. */
static void test_full_leaks(void **state)
{
	(void)state;
	quarantine_gave_up(&q, 3, 40);
	for (unsigned i = 0; i < QUARANTINE_SLOTS; i++)
		assert_true(quarantine_hold(&q, PAGE(100 + i), 1u << 3));
	assert_int_equal(quarantine_held(&q), QUARANTINE_SLOTS);
	assert_false(quarantine_hold(&q, PAGE(99), 1u << 3));
	assert_int_equal(q.stats.leaked, 1);
	assert_int_equal(fk.nfreed, 0);
	fk.exits[3] = 41;
	assert_int_equal(quarantine_reclaim(&q), QUARANTINE_SLOTS);
	for (unsigned i = 0; i < QUARANTINE_SLOTS; i++)
		assert_true(is_freed(&fk, PAGE(100 + i)));
	assert_false(is_freed(&fk, PAGE(99)));
	/* Room again. */
	quarantine_gave_up(&q, 3, 41);
	assert_true(quarantine_hold(&q, PAGE(98), 1u << 3));
	assert_false(is_freed(&fk, PAGE(98)));
}

/* A CPU at exit count 0 (never exited) given up on. */
static void test_zero_exits(void **state)
{
	(void)state;
	fk.exits[0] = 0;
	quarantine_gave_up(&q, 0, 0);
	assert_true(quarantine_stuck(&q, 0));
	assert_true(quarantine_hold(&q, PAGE(7), 1u << 0));
	quarantine_reclaim(&q);
	assert_false(is_freed(&fk, PAGE(7)));
	fk.exits[0] = 1;
	quarantine_reclaim(&q);
	assert_true(is_freed(&fk, PAGE(7)));
}

/* Some CPU given up on and not out of guest mode since: only such a CPU
 * counts, each until its own exit or host mode; a give-up recorded after
 * the CPU already exited again (an older count) does not. */
static void test_any_stuck(void **state)
{
	(void)state;
	assert_false(quarantine_any_stuck(&q));
	quarantine_gave_up(&q, 2, 30);
	assert_true(quarantine_any_stuck(&q));
	fk.host[2] = true;
	assert_false(quarantine_any_stuck(&q));
	fk.host[2] = false;
	fk.exits[2] = 31;
	assert_false(quarantine_any_stuck(&q));
	quarantine_gave_up(&q, 1, 19);
	assert_false(quarantine_any_stuck(&q));
	quarantine_gave_up(&q, 0, 10);
	quarantine_gave_up(&q, 3, 40);
	assert_true(quarantine_any_stuck(&q));
	fk.exits[0] = 11;
	assert_true(quarantine_any_stuck(&q));
	fk.exits[3] = 41;
	assert_false(quarantine_any_stuck(&q));
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_held_until_exit, setup),
		cmocka_unit_test_setup(test_host_mode_releases, setup),
		cmocka_unit_test_setup(test_every_cpu, setup),
		cmocka_unit_test_setup(test_later_give_up, setup),
		cmocka_unit_test_setup(test_nothing_to_wait_for, setup),
		cmocka_unit_test_setup(test_full_leaks, setup),
		cmocka_unit_test_setup(test_zero_exits, setup),
		cmocka_unit_test_setup(test_any_stuck, setup),
	};

	return cmocka_run_group_tests(tests, 0, 0);
}
