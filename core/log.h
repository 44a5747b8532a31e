/* SPDX-License-Identifier: MIT */
/*
 * Logging with levels.  Every line starts with "nestvisor: "
 * ("nestvisor: error: " and "nestvisor: warning: " for those levels), so
 * test runners and users can tell nestvisor's lines from the guest's.
 *
 * Where lines go is a hook: boot/ (UEFI side) and svm/ (hypervisor side)
 * install the serial port's writer at start-up (docs/architecture.md,
 * "Hooks").  Until one is installed, lines go nowhere.
 */
#ifndef NV_CORE_LOG_H
#define NV_CORE_LOG_H

/* The one log-level enum, also the values of the config key "log". */
enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

/* Receives one complete line, '\n' included. */
typedef void (*log_sink_fn)(const char *s, unsigned long len);

extern enum log_level log_level_now; /* read it through log_get_level() */

void log_set_sink(log_sink_fn sink);
void log_set_level(enum log_level level);
static inline enum log_level log_get_level(void)
{
	return log_level_now;
}
void nv_log(enum log_level level, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

#define log_error(...) nv_log(LOG_ERROR, __VA_ARGS__)
#define log_warn(...)  nv_log(LOG_WARN, __VA_ARGS__)
#define log_info(...)  nv_log(LOG_INFO, __VA_ARGS__)
#define log_debug(...) nv_log(LOG_DEBUG, __VA_ARGS__)
#define log_trace(...)                                      \
	do {                                                \
		if (log_get_level() >= LOG_TRACE)           \
			nv_log(LOG_TRACE, __VA_ARGS__);     \
	} while (0)

#endif
