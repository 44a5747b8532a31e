// SPDX-License-Identifier: MIT
/* Helpers shared by the basic suite's cases. */
#include "basic.h"
#include "tests/guest/lib/trap.h"

int hypercall(struct hc_regs *r)
{
	struct trap_session ts;
	int fault;

	trap_begin(&ts);
	fault = trap_vmmcall(r);
	trap_end(&ts);
	return fault;
}

int expect_trap(const char *what, int got, int want)
{
	if (got == want)
		return 1;
	tap_diag("%s: got %s, want %s", what, trap_name(got), trap_name(want));
	return 0;
}
