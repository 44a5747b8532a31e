/* SPDX-License-Identifier: MIT */
/*
 * Flags between the threads of the concurrent host tests (ThreadSanitizer
 * builds of mm/snpt_smp.c): one mutex and one condition for all of them.
 * set() raises a flag; wait_for(), with mu held, waits for one at most ms
 * milliseconds.
 */
#ifndef NV_TESTS_HOST_THREAD_FLAGS_H
#define NV_TESTS_HOST_THREAD_FLAGS_H

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <time.h>

static pthread_mutex_t mu = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cv = PTHREAD_COND_INITIALIZER;

/* Wait (mu held) for *flag, at most ms milliseconds; false on a timeout. */
static inline bool wait_for(bool *flag, long ms)
{
	struct timespec t;

	clock_gettime(CLOCK_REALTIME, &t);
	t.tv_sec += ms / 1000;
	t.tv_nsec += (ms % 1000) * 1000000;
	if (t.tv_nsec >= 1000000000) {
		t.tv_sec++;
		t.tv_nsec -= 1000000000;
	}
	while (!*flag)
		if (pthread_cond_timedwait(&cv, &mu, &t) == ETIMEDOUT)
			return *flag;
	return true;
}

static inline void set(bool *flag)
{
	pthread_mutex_lock(&mu);
	*flag = true;
	pthread_cond_broadcast(&cv);
	pthread_mutex_unlock(&mu);
}

#endif
