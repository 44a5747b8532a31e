// SPDX-License-Identifier: MIT
#include <stdarg.h>

#include "core/fmt.h"
#include "core/log.h"
#include "drivers/uart.h"

enum log_level log_level_now = LOG_INFO;

void log_set_level(enum log_level level)
{
	log_level_now = level;
}

void nv_log(enum log_level level, const char *fmt, ...)
{
	static const char *const prefix[] = {
		[LOG_ERROR] = "nestvisor: error: ",
		[LOG_WARN] = "nestvisor: warning: ",
		[LOG_INFO] = "nestvisor: ",
		[LOG_DEBUG] = "nestvisor: ",
		[LOG_TRACE] = "nestvisor: ",
	};
	char line[256];
	va_list ap;
	int n;

	if (level > log_level_now)
		return;
	va_start(ap, fmt);
	n = fmt_vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	if ((unsigned)n >= sizeof(line))
		n = sizeof(line) - 1;
	for (const char *p = prefix[level]; *p; p++)
		uart_putc(*p);
	uart_write(line, (unsigned long)n);
	uart_putc('\n');
}
