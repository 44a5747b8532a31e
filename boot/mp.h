/* SPDX-License-Identifier: MIT */
/* The CPUs as the firmware's MP services list them, and the take-over of
 * the application processors (boot/mp.c). */
#ifndef NV_BOOT_MP_H
#define NV_BOOT_MP_H

#include <efi.h>
#include <stdbool.h>
#include <stdint.h>

#include "svm/launch.h"

struct mp_cpu {
	UINTN number;        /* MP services' processor number */
	uint32_t apic_id;
	bool bsp, enabled, virtualize;
	const char *why;     /* not virtualized: why */
};

struct mp_cpus {
	unsigned nr;
	struct mp_cpu cpu[NV_MAX_CPUS];
};

/* Lists the CPUs and probes each enabled AP; max_virtualized (0: all)
 * counts the boot CPU.  0, or a negated nv_err (logged) if the list is
 * unusable. */
int mp_discover(struct mp_cpus *c, unsigned max_virtualized);

/* Runs launch(p) on every enabled AP (see boot/mp.c). */
void mp_launch_aps(const struct mp_cpus *c,
		   int (*launch)(struct launch_params *),
		   struct launch_params *p);

#endif
