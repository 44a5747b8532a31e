// SPDX-License-Identifier: MIT
/* printf for the payloads: nestvisor's own formatter (core/fmt.c) into a
 * line buffer, then straight to the serial port. */
#include <stdarg.h>

#include "core/fmt.h"
#include "serial.h"

void gvprintf(const char *fmt, va_list ap)
{
	char buf[512];
	int n = fmt_vsnprintf(buf, sizeof(buf), fmt, ap);

	if (n >= (int)sizeof(buf))
		n = sizeof(buf) - 1;
	for (int i = 0; i < n; i++)
		serial_putc(buf[i]);
}

void gprintf(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	gvprintf(fmt, ap);
	va_end(ap);
}
