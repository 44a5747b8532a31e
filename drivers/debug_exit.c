// SPDX-License-Identifier: MIT
#include "drivers/debug_exit.h"
#include "core/hypercall.h"
#include "core/x86.h"

static bool enabled;

void debug_exit_enable(bool on)
{
	enabled = on;
}

bool debug_exit_enabled(void)
{
	return enabled;
}

void debug_exit(uint32_t v)
{
	if (enabled)
		outl(NV_PORT_DEBUG_EXIT, v);
	halt_forever();
}

void debug_exit_panic(void)
{
	debug_exit(NV_EXIT_PANIC);
}
