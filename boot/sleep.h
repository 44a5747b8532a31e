/* SPDX-License-Identifier: MIT */
/* Finds the ACPI PM1 registers and \_S3 for svm/acpi_sleep.c, and the SMI
 * command port for svm/smi_cmd.c; hides \_S3 where S3 is not watched
 * (boot/sleep.c). */
#ifndef NV_BOOT_SLEEP_H
#define NV_BOOT_SLEEP_H

#include <stdbool.h>

#include "svm/launch.h"

/* Fills s3 from the firmware's ACPI tables (all zero when there is no
 * S3 to watch); logs what it found.  True when the firmware may offer S3
 * but nestvisor cannot watch the request (an S3 would leave nestvisor). */
bool sleep_find(struct launch_s3 *s3);

/* Hides \_S3 from the OS in the firmware's DSDT and SSDTs
 * (boot/acpi_s3.c); logs the outcome. */
void sleep_hide_s3(void);

/* The FADT's SMI command port (0: none); logs what it found. */
uint16_t smi_cmd_find(void);

#endif
