// SPDX-License-Identifier: MIT
/*
 * nv_log(): format one line with its prefix, then hand it to the ring and
 * to every sink (core/log.h).  The ring is a byte ring with absolute
 * offsets: `head` counts every byte ever appended, and the byte at offset
 * o lives at buf[o % size] until head - size passes o.
 */
#include <stdarg.h>

#include "core/fmt.h"
#include "core/log.h"

enum log_level log_level_now = LOG_INFO;
static log_sink_fn log_sinks[LOG_MAX_SINKS];

static struct {
	char *buf;
	uint64_t size, head;
} ring;

void log_set_sink(log_sink_fn sink)
{
	for (unsigned i = 0; i < LOG_MAX_SINKS; i++)
		log_sinks[i] = 0;
	log_sinks[0] = sink;
}

int log_add_sink(log_sink_fn sink)
{
	for (unsigned i = 0; i < LOG_MAX_SINKS; i++)
		if (!log_sinks[i]) {
			log_sinks[i] = sink;
			return 0;
		}
	return -1;
}

void log_remove_sink(log_sink_fn sink)
{
	for (unsigned i = 0; i < LOG_MAX_SINKS; i++)
		if (log_sinks[i] == sink)
			log_sinks[i] = 0;
}

void log_set_level(enum log_level level)
{
	log_level_now = level;
}

void log_ring_init(char *buf, uint64_t size)
{
	ring.buf = buf;
	ring.size = buf ? size : 0;
	ring.head = 0;
}

void log_ring_append(const char *s, uint64_t len)
{
	uint64_t at;

	if (!ring.size)
		return;
	at = ring.head % ring.size;
	for (uint64_t i = 0; i < len; i++) {
		ring.buf[at] = s[i];
		if (++at == ring.size)
			at = 0;
	}
	ring.head += len;
}

uint64_t log_ring_capacity(void)
{
	return ring.size;
}

void log_ring_bounds(uint64_t *start, uint64_t *head)
{
	*head = ring.head;
	*start = ring.head > ring.size ? ring.head - ring.size : 0;
}

uint64_t log_ring_read(uint64_t pos, char *out, uint64_t len, uint64_t *from)
{
	uint64_t start, head, n;

	log_ring_bounds(&start, &head);
	if (pos < start)
		pos = start;
	*from = pos;
	if (pos >= head)
		return 0;
	n = head - pos < len ? head - pos : len;
	pos %= ring.size;
	for (uint64_t i = 0; i < n; i++) {
		out[i] = ring.buf[pos];
		if (++pos == ring.size)
			pos = 0;
	}
	return n;
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
	char line[LOG_LINE_MAX];
	unsigned n = 0;
	va_list ap;
	int len;

	if (level > log_level_now)
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
	log_ring_append(line, n);
	for (unsigned i = 0; i < LOG_MAX_SINKS; i++)
		if (log_sinks[i])
			log_sinks[i](line, n);
}
