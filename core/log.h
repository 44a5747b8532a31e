/* SPDX-License-Identifier: MIT */
/*
 * Logging with levels.  Every line starts with "nestvisor: "
 * ("nestvisor: error: " and "nestvisor: warning: " for those levels), so
 * test runners and users can tell nestvisor's lines from the guest's.
 *
 * Where lines go: to the sinks, hooks installed at start-up by boot/ (UEFI
 * side: serial port, UEFI console, the early buffer) and svm/ (hypervisor
 * side: serial port), and, once log_ring_init() gave it memory, to the log
 * ring, which keeps the whole log in hypervisor memory for L1 to read
 * (docs/architecture.md, "Logging and failure"; docs/hypercalls.md).
 * Until a sink is installed, lines go only to the ring, if any.  Any CPU
 * may log: a lock hands the ring and the sinks one whole line at a time,
 * so nestvisor's lines never interleave (the guest's own output to the
 * same port still can).
 */
#ifndef NV_CORE_LOG_H
#define NV_CORE_LOG_H

#include <stdint.h>

/* The one log-level enum, also the values of the config key "log". */
enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

/* Longest line nv_log() or nv_log_nth() produces, prefix, count and '\n'
 * included. */
#define LOG_LINE_MAX (24 + 256 + 32)

/* Receives one complete line, '\n' included. */
typedef void (*log_sink_fn)(const char *s, unsigned long len);

#define LOG_MAX_SINKS 4

/* Read it through log_get_level().  Hidden: one RIP-relative load in the
 * exit path, not one through the GOT. */
extern enum log_level log_level_now __attribute__((visibility("hidden")));

/* Makes sink the only sink (NULL: none). */
void log_set_sink(log_sink_fn sink);
/* Adds a sink (0), or -1 when LOG_MAX_SINKS are installed; removing one
 * that is not installed does nothing. */
int log_add_sink(log_sink_fn sink);
void log_remove_sink(log_sink_fn sink);

void log_set_level(enum log_level level);
static inline enum log_level log_get_level(void)
{
	return log_level_now;
}
void nv_log(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

/*
 * Rate limit per source: a line a guest can cause again and again is
 * logged with log_limited() (or log_*_limited()), whose call site keeps
 * its own count.  The first LOG_BURST lines of a call site pass; after
 * that only the 2^k-th (32nd, 64th, ...), with "[N so far]" at its end, so
 * a guest that repeats the cause forever costs O(log N) lines.  Trace
 * lines (every exit, on request) are not limited.
 */
#define LOG_BURST 16u
struct log_limit {
	uint64_t seen;
};
/* Counts one more line of this source; its number if it is to be
 * logged, 0 if not. */
uint64_t log_limit_take(struct log_limit *l);
/* nv_log() with "[n so far]" appended when n > LOG_BURST. */
void nv_log_nth(enum log_level level, uint64_t n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

#define log_limited(level, ...)                                         \
	do {                                                            \
		static struct log_limit log_limit_;                     \
		uint64_t log_n_;                                        \
		if (log_get_level() >= (level) &&                       \
		    (log_n_ = log_limit_take(&log_limit_)) != 0)        \
			nv_log_nth((level), log_n_, __VA_ARGS__);       \
	} while (0)
#define log_error_limited(...) log_limited(LOG_ERROR, __VA_ARGS__)
#define log_warn_limited(...)  log_limited(LOG_WARN, __VA_ARGS__)
#define log_info_limited(...)  log_limited(LOG_INFO, __VA_ARGS__)
#define log_debug_limited(...) log_limited(LOG_DEBUG, __VA_ARGS__)

#define log_error(...) nv_log(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  nv_log(LOG_WARN, __VA_ARGS__)
#define log_info(...)  nv_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) nv_log(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...)                                      \
	do {                                                \
		if (log_get_level() >= LOG_TRACE)           \
			nv_log(LOG_TRACE, __VA_ARGS__);     \
	} while (0)

/*
 * The log ring: the last `size` bytes of the log, addressed by absolute
 * offsets (bytes logged since the ring started: offset o is at
 * buf[o % size] while o >= head - size).  Lossy by design: old bytes are
 * overwritten; a reader notices from the offsets.
 */
/* Start recording into buf (size bytes, > 0); the ring starts empty. */
void log_ring_init(char *buf, uint64_t size);
/* Append raw bytes (lines logged before the ring existed, or by L1's boot
 * side); nothing happens without a ring. */
void log_ring_append(const char *s, uint64_t len);
/* The ring's size in bytes, 0 without a ring. */
uint64_t log_ring_capacity(void);
/* Offsets: *start = the oldest byte still held, *head = one past the
 * newest.  Both 0 without a ring. */
void log_ring_bounds(uint64_t *start, uint64_t *head);
/* Copy up to len bytes from offset max(pos, start) into out; returns the
 * number copied (0 at or past head, or without a ring) and sets *from to
 * the offset the copy began at. */
uint64_t log_ring_read(uint64_t pos, char *out, uint64_t len, uint64_t *from);

#endif
