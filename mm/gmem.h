/* SPDX-License-Identifier: MIT */
/*
 * How mm/ reaches guest memory.  The walker never dereferences a guest
 * address itself: the hypervisor passes an implementation over its own view
 * of L1 memory, host tests pass a fake memory that checks every access.
 *
 * Every call returns 0 on success or a negated enum nv_err (mm/err.h):
 * -NV_EFAULT when the guest-physical range is not backed (the walker then
 * reports the walk as failed, see walk.h).
 */
#ifndef NV_MM_GMEM_H
#define NV_MM_GMEM_H

#include <stdint.h>

#include "mm/err.h"

struct gmem {
	void *ctx;
	int (*read)(void *ctx, uint64_t gpa, void *buf, unsigned len);
	int (*write)(void *ctx, uint64_t gpa, const void *buf, unsigned len);
	/*
	 * Atomically: if the len-byte (4 or 8) value at gpa equals old, store
	 * new and return 0; if it differs return -NV_EAGAIN (nothing stored).
	 */
	int (*cmpxchg)(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val,
		       unsigned len);
};

#endif
