// SPDX-License-Identifier: MIT
/*
 * The walker's bound (mm/walk.c, step 3): a walk whose A/D update keeps
 * losing its cmpxchg (another CPU changing the tables every time) walks
 * again at most WALK_MAX_RETRIES times, then gives up with res.raced,
 * neither translated nor faulted.  One lost race is still retried and
 * the walk then succeeds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "walk_fixture.h"

static unsigned cmpxchgs, losses_left;
static struct gmem inner;

static int read_through(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	(void)ctx;
	return inner.read(inner.ctx, gpa, buf, len);
}

static int write_never(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
	(void)ctx;
	(void)buf;
	(void)len;
	fail_msg("the walker wrote 0x%" PRIx64 " without cmpxchg", gpa);
	return -NV_EFAULT;
}

/* Loses while losses_left lasts, then passes the cmpxchg on. */
static int cmpxchg_losing(void *ctx, uint64_t gpa, uint64_t old, uint64_t val,
			  unsigned len)
{
	(void)ctx;
	cmpxchgs++;
	if (losses_left) {
		losses_left--;
		return -NV_EAGAIN;
	}
	return inner.cmpxchg(inner.ctx, gpa, old, val, len);
}

static void gives_up(void **state)
{
	struct fx f;
	struct walk_result r;
	struct gmem g = { 0, read_through, write_never, cmpxchg_losing };

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, FX_TABLE);
	inner = f.gmem;

	cmpxchgs = 0;
	losses_left = ~0u;
	fake_mem_begin_walk(f.mem);
	assert_false(walk(&f.w, &g, f.pt.root, FX_GPA, ACC_RD, &r));
	assert_true(r.raced);
	assert_false(r.fault);
	assert_false(r.gmem_error);
	/* one lost cmpxchg per attempt: the first one and every retry */
	assert_int_equal(cmpxchgs, WALK_MAX_RETRIES + 1);

	cmpxchgs = 0;
	losses_left = 1;
	fake_mem_begin_walk(f.mem);
	assert_true(walk(&f.w, &g, f.pt.root, FX_GPA, ACC_RD, &r));
	assert_false(r.raced);
	assert_int_equal(r.out, FX_OUT);
	assert_int_equal(fake_mem_nr_violations(f.mem), 0);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = { cmocka_unit_test(gives_up) };

	return cmocka_run_group_tests(tests, NULL, NULL);
}
