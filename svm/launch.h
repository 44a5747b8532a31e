/* SPDX-License-Identifier: MIT */
/*
 * The hand-over from the UEFI side (boot/) to the hypervisor proper.
 * boot/ copies the image into hypervisor memory and calls hv_launch() in
 * the copy; see svm/launch.S for the sequence.
 */
#ifndef NV_SVM_LAUNCH_H
#define NV_SVM_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "svm/vcpu.h"

struct launch_params {
	uint64_t region_base, region_size; /* hypervisor memory, 2 MiB aligned */
	uint64_t image_size;               /* the copy at region_base */
	enum log_level log_level;
	uint16_t serial;                   /* COM base, 0 = none */
	bool debug_exit;
	bool nvctl;                        /* CPL 3 may make nvctl calls */
	uint64_t log_ring;                 /* log ring size, 4 KiB multiple */
	/* The lines the UEFI side logged so far (its memory), which start
	 * the ring. */
	const char *early_log;
	uint64_t early_log_len;
};

/* Returns 0 in L1 once virtualized, or -NV_ENOMEM (nothing changed). */
int hv_launch(const struct launch_params *p);

/* Called by hv_launch: prepares everything; NULL on failure. */
struct cpu *hv_setup(const struct launch_params *p, struct launch_frame *f);

#endif
