/* SPDX-License-Identifier: MIT */
/*
 * The little of ACPI nestvisor needs to keep S3 (suspend to RAM) under
 * control (svm/acpi_sleep.c, docs/architecture.md "Sleep states"): where
 * the PM1 event and control registers are (FADT), and which SLP_TYP
 * values the firmware's DSDT gives \_S3.  Pure parsing of table bytes
 * (host-tested: tests/host/test_acpi.c); boot/main.c finds the tables.
 *
 * ACPI 6.4: §5.2.9 FADT (DSDT at 40, PM1a/b_EVT_BLK at 56/60, PM1a/b_
 * CNT_BLK at 64/68, PM1_EVT_LEN at 88, Flags at 112 (bit 20
 * HW_REDUCED_ACPI), X_DSDT at 140, X_PM1a/b_EVT_BLK at 148/160, X_PM1a/b_
 * CNT_BLK at 172/184 as Generic Address Structures, §5.2.3.2: space 1 is
 * system I/O); §7.4.2 \_Sx packages
 * (first two elements: SLP_TYP for PM1a and PM1b); §20.2 AML encoding
 * (NameOp 08, PackageOp 12, PkgLength, ZeroOp 00, OneOp 01, BytePrefix
 * 0A, WordPrefix 0B, DWordPrefix 0C).
 */
#ifndef NV_BOOT_ACPI_H
#define NV_BOOT_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct acpi_pm1 {
	/* I/O ports of the PM1 status and control registers, 0 if absent. */
	uint16_t sts_a, sts_b, cnt_a, cnt_b;
	uint64_t dsdt;            /* physical address of the DSDT */
};

/*
 * The PM1 registers and the DSDT from the FADT's len bytes.  0, or
 * -NV_EINVAL (not a FADT, too short) or -NV_ENOENT (hardware-reduced
 * ACPI, or PM1 control not in I/O space: nothing to intercept).
 */
int acpi_fadt_pm1(const uint8_t *fadt, size_t len, struct acpi_pm1 *out);

/*
 * The SLP_TYP values of \_Sx (name "_S3_" or "_S5_") in the AML of a DSDT
 * (len bytes, header included).  0, or -NV_ENOENT when the DSDT does not
 * name it (that sleep state is not offered), -NV_EINVAL if the package
 * is not one nestvisor can read.
 */
int acpi_sleep_type(const uint8_t *dsdt, size_t len, const char name[4],
		    uint8_t *typ_a, uint8_t *typ_b);

#endif
