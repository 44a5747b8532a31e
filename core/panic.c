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
	static int depth;
	char msg[200];
	va_list ap;

	va_start(ap, fmt);
	fmt_vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	log_error("PANIC: %s", msg);
	/* A panic inside the dump hook goes straight to the stop.  (In host
	 * mode GIF is clear: no interrupt can come in between.) */
	if (dump_hook && !depth++)
		dump_hook(dump_ctx);
	if (stop_hook)
		stop_hook();
	halt_forever();
}
