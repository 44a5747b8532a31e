/* SPDX-License-Identifier: MIT */
/*
 * ACPI S3 under nestvisor: L1's request to suspend to RAM is refused by
 * waking L1 at once (svm/acpi_sleep.c has why and how).
 */
#ifndef NV_SVM_ACPI_SLEEP_H
#define NV_SVM_ACPI_SLEEP_H

#include <stdbool.h>
#include <stdint.h>

#include "svm/launch.h"

/* ACPI 6.4 §4.8.3.1 PM1 status (WAK_STS), §4.8.3.2 PM1 control (SLP_TYP
 * bits 12:10, SLP_EN). */
#define ACPI_PM1_WAK_STS   (1u << 15)
#define ACPI_PM1_SLP_EN    (1u << 13)
#define ACPI_PM1_SLP_TYP(v) (((v) >> 10) & 7u)

struct cpu;

/* At set-up: remember the PM1 ports and intercept them in iopm. */
void acpi_sleep_init(const struct launch_s3 *s3, uint8_t *iopm);

/* Is port (or one of the size bytes from it) a watched PM1 register? */
bool acpi_sleep_owns(uint16_t port, unsigned size);

/* An IN or OUT of size bytes there, with the guest's RAX; returns RAX as
 * the guest has it afterwards. */
uint64_t acpi_sleep_io(struct cpu *cpu, uint16_t port, unsigned size,
		       bool in, uint64_t rax);

#endif
