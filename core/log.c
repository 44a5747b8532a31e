// SPDX-License-Identifier: MIT
#include <stdarg.h>

#include "core/fmt.h"
#include "core/log.h"

enum log_level log_level_now = LOG_INFO;
static log_sink_fn log_sink;

void log_set_sink(log_sink_fn sink)
{
	log_sink = sink;
}

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
	char line[24 + 256];
	unsigned n = 0;
	va_list ap;
	int len;

	if (level > log_level_now || !log_sink)
		return;
	for (const char *p = prefix[level]; *p; p++)
		line[n++] = *p;
	/* The prefix, at most 255 characters of message, the newline. */
	va_start(ap, fmt);
	len = fmt_vsnprintf(line + n, 256, fmt, ap);
	va_end(ap);
	if (len < 0)
		return;
	n += (unsigned)len < 256 ? (unsigned)len : 255;
	line[n++] = '\n';
	log_sink(line, n);
}
