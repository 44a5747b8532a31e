// SPDX-License-Identifier: MIT
#include <stdarg.h>

#include "core/fmt.h"
#include "core/log.h"
#include "core/panic.h"
#include "core/x86.h"

static panic_dump_fn dump_hook;
static void *dump_ctx;
static panic_stop_fn stop_hook;

void panic_set_dump(panic_dump_fn dump, void *ctx)
{
	dump_hook = dump;
	dump_ctx = ctx;
}

void panic_set_stop(panic_stop_fn stop)
{
	stop_hook = stop;
}

void panic(const char *fmt, ...)
{
	static int depth, panicking;
	char msg[200];
	va_list ap;

	cli();
	/* One CPU reports; any other that panics meanwhile just stops. */
	if (__atomic_exchange_n(&panicking, 1, __ATOMIC_SEQ_CST) && !depth)
		halt_forever();
	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("PANIC: %s", msg);
	/* A panic inside the dump hook goes straight to the stop. */
	if (dump_hook && !depth++)
		dump_hook(dump_ctx);
	if (stop_hook)
		stop_hook();
	halt_forever();
}
