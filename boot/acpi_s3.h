/* SPDX-License-Identifier: MIT */
/* Hiding \_S3 from the OS when nestvisor cannot watch an S3 request
 * (boot/acpi_s3.c; docs/security.md "The paths", the S3 row). */
#ifndef NV_BOOT_ACPI_S3_H
#define NV_BOOT_ACPI_S3_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/*
 * The \_S3 definitions in one definition block (a DSDT or SSDT of len
 * bytes, header included): their number, renamed to XS3_ with the
 * checksum fixed when rename is true; 0 when the table names no _S3_;
 * -NV_EINVAL, the table untouched, when it holds an _S3_ that is not a
 * root-scope Name of an integer package, or is not a whole table.
 */
int acpi_s3_in_table(uint8_t *t, size_t len, bool rename);

/*
 * Hide \_S3 in the DSDT the FADT names and in every SSDT the RSDP's root
 * table lists.  All or nothing: if one table holds an _S3_ that
 * acpi_s3_in_table refuses, nothing is changed and -NV_EINVAL returned.
 * Otherwise the number of definitions renamed (0: there was no \_S3);
 * -NV_ENOENT without a readable root table or FADT.
 */
int acpi_hide_s3(uint8_t *rsdp);

#endif
