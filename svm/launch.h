/* SPDX-License-Identifier: MIT */
/*
 * The hand-over from the UEFI side (boot/) to the hypervisor proper.
 * boot/ copies the image into hypervisor memory, calls hv_prepare() in the
 * copy once, then hv_launch() in the copy on every CPU: first on each
 * application processor (through the firmware's MP services), last on the
 * boot CPU.  See svm/launch.c and svm/launch.S for the sequence.
 */
#ifndef NV_SVM_LAUNCH_H
#define NV_SVM_LAUNCH_H

#include <stdbool.h>
#include <stdint.h>

#include "core/log.h"
#include "svm/dma.h"
#include "svm/ioapic.h"
#include "svm/smp.h"
#include "svm/vcpu.h"

struct launch_params {
	uint64_t region_base, region_size; /* hypervisor memory, 2 MiB aligned */
	uint64_t image_size;               /* the copy at region_base */
	enum log_level log_level;
	uint16_t serial;                   /* COM base, 0 = none */
	bool debug_exit;
	/* ACPI S3 (boot/sleep.c, svm/acpi_sleep.c): the PM1 status and
	 * control ports (0: absent) and \_S3's SLP_TYP values. */
	struct launch_s3 {
		uint16_t sts_a, sts_b, cnt_a, cnt_b;
		uint8_t typ_a, typ_b;
		bool offered;
	} s3;
	/* The FADT's SMI command port, 0: none (boot/sleep.c,
	 * svm/smi_cmd.c). */
	uint16_t smi_cmd;
	/* The CPUs, as the firmware lists them (boot/mp.c decided which
	 * are to be virtualized). */
	unsigned nr_cpus;
	struct launch_cpu {
		uint32_t apic_id;
		bool bsp, enabled, virtualize;
	} cpu[NV_MAX_CPUS];
	struct dma_platform dma;           /* the IOMMUs to take (ACPI) */
	/* The I/O APICs' MMIO addresses (the MADT), to emulate
	 * (svm/ioapic.c). */
	unsigned n_ioapics;
	uint64_t ioapic[IOAPIC_MAX];
	unsigned iommus_taken;             /* out: how many hv_prepare took */
	bool nvctl;                        /* CPL 3 may make nvctl calls */
	uint64_t log_ring;                 /* log ring size, 4 KiB multiple */
	/* The lines the UEFI side logged so far (its memory), which start
	 * the ring. */
	const char *early_log;
	uint64_t early_log_len;
};

/* Once, on the boot CPU, before any hv_launch(): hypervisor memory, both
 * page tables, every CPU's state, the IOMMUs (writes p->iommus_taken).
 * 0, or a negated nv_err with nothing changed. */
int hv_prepare(struct launch_params *p);

/* On each CPU: returns 0 in L1 once this CPU is virtualized, or
 * -NV_ENOMEM (nothing changed).  A CPU that cannot be virtualized does
 * not return: it is parked (svm/smp.h). */
int hv_launch(struct launch_params *p);

/* Called by hv_launch: this CPU's take-over; NULL on failure. */
struct cpu *hv_setup(struct launch_params *p, struct launch_frame *f);

#endif
