// SPDX-License-Identifier: MIT
/*
 * Exceptions raised by L1 reach L1's own handlers (and the catcher the
 * other cases rely on works): UD2 raises #UD (AMD APM vol. 3, UD2); a
 * data access to a non-canonical address raises #GP with error code 0
 * (AMD APM vol. 2, 8.4.1 / 5.3.1 canonical address form).
 */
#include "basic.h"
#include "tests/guest/lib/trap.h"

#define NON_CANONICAL 0x8000000000000000ull

static int ud2_raises_ud(void)
{
	struct trap_session ts;
	int fault;

	trap_begin(&ts);
	fault = trap_ud2();
	trap_end(&ts);
	return expect_trap("UD2", fault, TRAP_UD);
}

static int non_canonical_gp(void)
{
	struct trap_session ts;
	uint64_t v;
	int fault;
	uint64_t err;

	trap_begin(&ts);
	fault = trap_read64((const volatile uint64_t *)(uintptr_t)NON_CANONICAL, &v);
	err = trap_last()->error_code;
	trap_end(&ts);
	return expect_trap("read", fault, TRAP_GP) && TAP_EXPECT_EQ("error code", err, 0);
}

static const struct tap_case cases[] = {
	{ "cpu: UD2 raises #UD in L1", ud2_raises_ud },
	{ "cpu: non-canonical read raises #GP(0) in L1", non_canonical_gp },
};

struct case_list cpu_cases(int under_nv)
{
	(void)under_nv;
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
