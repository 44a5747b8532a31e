/* SPDX-License-Identifier: MIT */
/*
 * The ACPI tables nestvisor reads before it takes the machine over, and
 * the one it hides from L1 afterwards (docs/security.md, "DMA").
 *  - IVRS (AMD I/O Virtualization Reporting Structure, AMD IOMMU
 *    specification §5.2): each IVHD block (types 10h, 11h, 40h) names an
 *    IOMMU: its PCI function (DeviceID, bus << 8 | dev << 3 | fn), the
 *    offset of its capability block in that function's configuration
 *    space, its MMIO base address and PCI segment.  The same IOMMU may
 *    appear in several blocks (one per type): one entry per base address.
 *  - MADT (signature "APIC", ACPI 6.4 §5.2.12): after the header, the
 *    local APIC address and flags (8 bytes), structures of type and
 *    length; type 1 (I/O APIC, §5.2.12.3, 12 bytes) has the I/O APIC's
 *    MMIO address at offset 4, which nestvisor emulates (svm/ioapic.c).
 *  - MCFG (PCI Firmware Specification §4.1.2): the ECAM base of segment 0,
 *    where each function's configuration space is a 4 KiB page at
 *    base + (bus << 20 | dev << 15 | fn << 12).
 *  - S3: where the PM1 event and control registers are (FADT), and which
 *    SLP_TYP values the firmware's DSDT gives \_S3, to keep S3 (suspend
 *    to RAM) under control (svm/acpi_sleep.c, docs/architecture.md "Every
 *    CPU").  ACPI 6.4: §5.2.9 FADT (DSDT at 40, PM1a/b_EVT_BLK at 56/60,
 *    PM1a/b_CNT_BLK at 64/68, PM1_EVT_LEN at 88, Flags at 112 (bit 20
 *    HW_REDUCED_ACPI), X_DSDT at 140, X_PM1a/b_EVT_BLK at 148/160,
 *    X_PM1a/b_CNT_BLK at 172/184 as Generic Address Structures, §5.2.3.2:
 *    space 1 is system I/O); §7.4.2 \_Sx packages (first two elements:
 *    SLP_TYP for PM1a and PM1b); §20.2 AML encoding (NameOp 08,
 *    PackageOp 12, PkgLength, ZeroOp 00, OneOp 01, BytePrefix 0A,
 *    WordPrefix 0B, DWordPrefix 0C).
 *  - SMI_CMD: the port of the SMI command (FADT offset 48, 4 bytes,
 *    §5.2.9: "System port address of the SMI Command Port", zero where
 *    the platform has no SMM; ignored on hardware-reduced ACPI), whose
 *    writes ask the firmware's SMM for something (svm/smi_cmd.c).
 * Tables are reached at their physical addresses, which the UEFI side
 * (and host tests) can dereference.  Every length is checked against the
 * table it lies in; an IVRS or MCFG whose checksum fails is ignored.
 */
#ifndef NV_BOOT_ACPI_H
#define NV_BOOT_ACPI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* A little-endian field of n bytes (ACPI 6.4 §5.2: every table field). */
static inline uint64_t acpi_le(const uint8_t *p, unsigned n)
{
	uint64_t v = 0;

	while (n--)
		v = v << 8 | p[n];
	return v;
}

#define ACPI_MAX_IOMMUS 8
#define ACPI_MAX_IOAPICS 8

struct acpi_iommu {
	uint64_t base;        /* MMIO registers */
	uint16_t bdf;         /* its PCI function on segment `segment` */
	uint16_t segment;
	uint16_t cap_offset;  /* its capability block in that function */
};

struct acpi_platform {
	unsigned n_iommus;
	struct acpi_iommu iommu[ACPI_MAX_IOMMUS];
	bool ivrs;            /* an IVRS table is present */
	uint64_t ecam_base;   /* segment 0's, or 0 */
	uint8_t ecam_bus_first, ecam_bus_last;
	unsigned n_ioapics;   /* the MADT's I/O APICs */
	uint64_t ioapic[ACPI_MAX_IOAPICS]; /* their MMIO addresses */
};

/* The sum of len bytes is 0 (ACPI's checksum rule). */
bool acpi_checksum_ok(const void *table, size_t len);

/* The IOMMUs of one IVRS table (appended to p; at most ACPI_MAX_IOMMUS).
 * 0, or -NV_EINVAL for a malformed table (p keeps what was whole). */
int acpi_parse_ivrs(const uint8_t *ivrs, struct acpi_platform *p);

/* Segment 0's ECAM from an MCFG table.  0, or -NV_EINVAL. */
int acpi_parse_mcfg(const uint8_t *mcfg, struct acpi_platform *p);

/* The I/O APICs of a MADT (appended to p; at most ACPI_MAX_IOAPICS).
 * 0, or -NV_EINVAL for a malformed table (p keeps what was whole). */
int acpi_parse_madt(const uint8_t *madt, struct acpi_platform *p);

/* Everything above from the RSDP (ACPI 2.0+: its XSDT; else its RSDT). */
int acpi_scan(const uint8_t *rsdp, struct acpi_platform *p);

/* Remove the IVRS entries from the XSDT and the RSDT the RSDP names (and
 * fix their checksums), so that an OS finds no IOMMU to program.  Returns
 * how many entries were removed. */
int acpi_hide_ivrs(uint8_t *rsdp);

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
 * The SMI command port from the FADT's len bytes.  0, or -NV_EINVAL (not
 * a FADT, too short, or SMI_CMD above 0xffff: no port) or -NV_ENOENT (no
 * SMI command port: 0, or hardware-reduced ACPI).
 */
int acpi_fadt_smi_cmd(const uint8_t *fadt, size_t len, uint16_t *port);

/*
 * The SLP_TYP values of \_Sx (name "_S3_" or "_S5_") in the AML of a DSDT
 * (len bytes, header included).  0, or -NV_ENOENT when the DSDT does not
 * name it (that sleep state is not offered), -NV_EINVAL if the package
 * is not one nestvisor can read.
 */
int acpi_sleep_type(const uint8_t *dsdt, size_t len, const char name[4],
		    uint8_t *typ_a, uint8_t *typ_b);

#endif
