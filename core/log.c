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

static void vlog(enum log_level level, uint64_t nth, const char *fmt,
		 va_list ap)
{
	static const char *const prefix[] = {
		[LOG_ERROR] = "nestvisor: error: ",
		[LOG_WARN] = "nestvisor: warning: ",
		[LOG_INFO] = "nestvisor: ",
		[LOG_DEBUG] = "nestvisor: ",
		[LOG_TRACE] = "nestvisor: ",
	};
	char line[24 + 256 + 32];
	unsigned n = 0, room;
	int len;

	if (level > log_level_now || !log_sink)
		return;
	for (const char *p = prefix[level]; *p; p++)
		line[n++] = *p;
	/* The prefix, at most 255 characters of message, the newline. */
	len = fmt_vsnprintf(line + n, 256, fmt, ap);
	if (len < 0)
		return;
	n += (unsigned)len < 256 ? (unsigned)len : 255;
	if (nth > LOG_BURST) {
		room = (unsigned)sizeof(line) - 1 - n; /* the newline's byte kept */
		len = fmt_snprintf(line + n, room, " [%lu so far]", nth);
		if (len > 0)
			n += (unsigned)len < room ? (unsigned)len : room - 1;
	}
	line[n++] = '\n';
	log_sink(line, n);
}

void nv_log(enum log_level level, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, 0, fmt, ap);
	va_end(ap);
}

void nv_log_nth(enum log_level level, uint64_t nth, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vlog(level, nth, fmt, ap);
	va_end(ap);
}

uint64_t log_limit_take(struct log_limit *l)
{
	uint64_t n = ++l->seen;

	return n <= LOG_BURST || !(n & (n - 1)) ? n : 0;
}
