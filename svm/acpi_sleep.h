/* SPDX-License-Identifier: MIT */
/*
 * ACPI S3 under nestvisor: L1's request to suspend to RAM is refused by
 * waking L1 at once (svm/acpi_sleep.c has why and how).
 */
#ifndef NV_SVM_ACPI_SLEEP_H
#define NV_SVM_ACPI_SLEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "svm/acpi_pm1.h"
#include "svm/launch.h"

struct cpu;

/* At set-up: remember the PM1 ports and intercept them in iopm. */
void acpi_sleep_init(const struct launch_s3 *s3, uint8_t *iopm);

/* Is port (or one of the size bytes from it) a watched PM1 register? */
bool acpi_sleep_owns(uint16_t port, unsigned size);

/* An IN or OUT of size bytes there, with the guest's RAX; returns RAX as
 * the guest has it afterwards. */
uint64_t acpi_sleep_io(struct cpu *cpu, uint16_t port, unsigned size,
		       bool in, uint64_t rax);

/* \_S3's SLP_TYP for PM1a, or -1 when S3 is not watched (no \_S3, or
 * PM1 control is not a port nestvisor intercepts). */
int acpi_sleep_s3_typ(void);

/* L1 asked for S3 (SLP_TYP typ with SLP_EN) by writing PM1 control at
 * where addr ("port" 0x604, "AcpiMmio" 0xfed80804): refused, nothing
 * written, and WAK_STS shown at the PM1 status port from now on. */
void acpi_sleep_refuse(struct cpu *cpu, uint8_t typ, const char *where,
		       uint64_t addr);

/* L1 wrote WAK_STS (write-1-to-clear) elsewhere than at the status
 * port: the wake shown after a refusal is over. */
void acpi_sleep_wake_ack(void);

#endif
