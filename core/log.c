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
#include "mm/spinlock.h"

enum log_level log_level_now = LOG_INFO;
static log_sink_fn log_sinks[LOG_MAX_SINKS];
/* Every CPU logs through here: one whole line at a time reaches the ring
 * and the sinks, and the ring is read under the same lock. */
static struct spinlock log_lock = SPINLOCK_INIT;

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

/* Under log_lock. */
static void ring_append(const char *s, uint64_t len)
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

void log_ring_append(const char *s, uint64_t len)
{
	spin_lock(&log_lock);
	ring_append(s, len);
	spin_unlock(&log_lock);
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

	spin_lock(&log_lock);
	log_ring_bounds(&start, &head);
	if (pos < start)
		pos = start;
	*from = pos;
	n = pos >= head ? 0 : head - pos < len ? head - pos : len;
	pos = ring.size ? pos % ring.size : 0;
	for (uint64_t i = 0; i < n; i++) {
		out[i] = ring.buf[pos];
		if (++pos == ring.size)
			pos = 0;
	}
	spin_unlock(&log_lock);
	return n;
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
	char line[LOG_LINE_MAX];
	unsigned n = 0, room;
	int len;

	if (level > log_level_now)
		return;
	for (const char *p = prefix[level]; *p; p++)
		line[n++] = *p;
	/* The prefix, at most 255 characters of message, the count of a
	 * rate-limited line, the newline. */
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
	spin_lock(&log_lock);
	ring_append(line, n);
	for (unsigned i = 0; i < LOG_MAX_SINKS; i++)
		if (log_sinks[i])
			log_sinks[i](line, n);
	spin_unlock(&log_lock);
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
	/* Call sites are shared by every CPU. */
	uint64_t n = __atomic_add_fetch(&l->seen, 1, __ATOMIC_RELAXED);

	return n <= LOG_BURST || !(n & (n - 1)) ? n : 0;
}
