/* SPDX-License-Identifier: MIT */
/*
 * nestvisor's lines on the UEFI console (ConOut), for machines without a
 * serial port: a log sink from start-up until the next stage starts
 * (docs/architecture.md, "Logging and failure").  Which consoles: config
 * key console (boot/config.h).  With console = auto and the serial log on,
 * only the consoles that are not serial terminals get the lines (a serial
 * terminal of the firmware would print them a second time).
 */
#ifndef NV_BOOT_CONSOLE_H
#define NV_BOOT_CONSOLE_H

#include <stdbool.h>
#include <stdint.h>

#include "boot/config.h"

/* Chooses the consoles, writes `replay` (lines logged before) to them and
 * installs the sink.  Calling it again chooses anew. */
void console_start(enum nv_console mode, bool serial_on, const char *replay,
		   uint64_t len);
/* Writes to the chosen consoles (the sink; also used for lines that went
 * to the other sinks already). */
void console_write(const char *s, unsigned long len);
/* Removes the sink; the consoles are left alone from here on. */
void console_stop(void);
/* How many consoles were chosen (0: the sink is not installed). */
unsigned console_count(void);

#endif
