// SPDX-License-Identifier: MIT
#include <stdarg.h>
#include "tap.h"
#include "serial.h"

static unsigned next_number = 1;

void tap_plan(unsigned total)
{
	gprintf("1..%u\n", total);
}

unsigned tap_run(const struct tap_case *cases, unsigned n)
{
	unsigned failed = 0;

	for (unsigned i = 0; i < n; i++) {
		int ok = cases[i].run();

		if (!ok)
			failed++;
		gprintf("%sok %u - %s\n", ok ? "" : "not ", next_number++, cases[i].name);
	}
	return failed;
}

void tap_diag(const char *fmt, ...)
{
	va_list ap;

	serial_puts("# ");
	va_start(ap, fmt);
	gvprintf(fmt, ap);
	va_end(ap);
	serial_putc('\n');
}

void tap_fact(const char *key, const char *fmt, ...)
{
	va_list ap;

	gprintf("# fact %s = ", key);
	va_start(ap, fmt);
	gvprintf(fmt, ap);
	va_end(ap);
	serial_putc('\n');
}

int tap_expect_eq(const char *what, unsigned long got, unsigned long want)
{
	if (got == want)
		return 1;
	tap_diag("%s: got 0x%lx, want 0x%lx", what, got, want);
	return 0;
}
