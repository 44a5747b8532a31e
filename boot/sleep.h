/* SPDX-License-Identifier: MIT */
/* Finds the ACPI PM1 registers and \_S3 for svm/acpi_sleep.c, and the SMI
 * command port for svm/smi_cmd.c (boot/sleep.c). */
#ifndef NV_BOOT_SLEEP_H
#define NV_BOOT_SLEEP_H

#include "svm/launch.h"

/* Fills s3 from the firmware's ACPI tables (all zero when there is no
 * S3 to watch); logs what it found. */
void sleep_find(struct launch_s3 *s3);

/* The FADT's SMI command port (0: none); logs what it found. */
uint16_t smi_cmd_find(void);

#endif
