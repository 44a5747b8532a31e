/* SPDX-License-Identifier: MIT */
/*
 * Serial logging with levels.  Every line starts with "nestvisor: "
 * ("nestvisor: error: " and "nestvisor: warning: " for those levels), so
 * test runners and users can tell nestvisor's lines from the guest's.
 */
#ifndef NV_CORE_LOG_H
#define NV_CORE_LOG_H

enum log_level {
	LOG_ERROR,
	LOG_WARN,
	LOG_INFO,
	LOG_DEBUG,
	LOG_TRACE,
};

extern enum log_level log_level_now; /* read it through log_get_level() */

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
