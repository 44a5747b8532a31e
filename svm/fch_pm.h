/* SPDX-License-Identifier: MIT */
/*
 * AMD's FCH (Fusion Controller Hub, the southbridge of AMD platforms):
 * the power-management (PM) registers that place the ACPI blocks, held
 * against L1's writes (pure logic, host-tested with a fake FCH:
 * tests/host/test_fch_pm.c; docs/security.md, "Chipset registers").
 *
 * The PM registers are bytes 00h-FFh reached two ways (the FCH register
 * reference guides, "PM registers"; to be checked against each family's):
 *  - the index/data ports: the index written to port CD6h, the byte read
 *    or written at CD7h;
 *  - AcpiMmio, a 8 KiB memory range at FED8_0000h whose PM block is at
 *    +300h: register r at FED8_0300h + r.
 * Held: AcpiMmioEn (24h-27h: on older FCHs the AcpiMmio base itself),
 * AcpiPm1EvtBlk (60h-61h: the PM1 status and enable ports),
 * AcpiPm1CntBlk (62h-63h: PM1 control), AcpiPmTmrBlk (64h-65h),
 * CpuCntBlk (66h-67h), AcpiGpe0Blk (68h-69h) and AcpiSmiCmd (6Ah-6Bh:
 * the SMI command port, svm/smi_cmd.c).  A write that touches any of
 * their bytes is dropped; reads return the device's values.  So the PM1
 * and SMI command ports stay those the FADT names, where nestvisor traps
 * them (svm/acpi_sleep.c, svm/smi_cmd.c).
 *
 * AcpiMmio's ACPI block, at +800h, presents the ACPI registers in memory
 * (the FCH register guides' "ACPI registers"; AMD's PPR for Cezanne,
 * family 19h model 50h, lists them at PM +500h, which is AcpiMmio +800h;
 * the offsets as coreboot's AMD common block names them): PM1 status
 * +00h, PM1 enable +02h, PM1 control +04h, PM timer +08h, CPU control
 * +0Ch, GPE0 status +14h, GPE0 enable +18h.  These are the registers the
 * PM1 ports reach, so a store there gets the port's outcome
 * (svm/acpi_sleep.c): SLP_TYP of S3 with SLP_EN to PM1 control is refused
 * as an immediate wake, nothing written; WAK_STS written to PM1 status
 * ends the wake shown; every other store is performed (S5, S4, S1 as at
 * the port).  Of the block's registers only PM1 control can put the
 * machine to sleep (ACPI 6.4 §4.8.3), and none places a block.
 *
 * The index is virtual, one for the machine as the device has one: L1's
 * write of CD6h only records it; an access to CD7h writes the real
 * index and makes the access under one lock, so no other CPU's index
 * comes between nestvisor's check and the access.
 */
#ifndef NV_SVM_FCH_PM_H
#define NV_SVM_FCH_PM_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/spinlock.h"
#include "svm/acpi_pm1.h"

#define FCH_PM_INDEX     0xcd6u
#define FCH_PM_DATA      0xcd7u
#define FCH_ACPIMMIO     0xfed80000ull
#define FCH_ACPIMMIO_PM  0x300u        /* the PM block in AcpiMmio */
#define FCH_ACPIMMIO_ACPI 0x800u       /* the ACPI block in AcpiMmio */
#define FCH_ACPI_PM1_STS 0x00u         /* in the ACPI block */
#define FCH_ACPI_PM1_CNT 0x04u

/* Is PM register reg one nestvisor holds? */
bool fch_pm_reg_locked(unsigned reg);

/* Does a store of width bytes at offset off of AcpiMmio's first page
 * touch a held PM register? */
bool fch_pm_mmio_locked(unsigned off, unsigned width);

/* What a store to AcpiMmio's first page does. */
enum fch_store {
	FCH_STORE_WRITE,        /* performed */
	FCH_STORE_DROP,         /* touches a held PM register: dropped */
	FCH_STORE_SLEEP,        /* an S3 request: refused as at the port */
	FCH_STORE_WAKE_ACK,     /* WAK_STS written: performed, wake over */
};

/* A store of width bytes (1, 2, 4, 8) of v at offset off of AcpiMmio's
 * first page, with s3_typ \_S3's SLP_TYP for PM1a (-1: S3 not watched,
 * as at the port). */
enum fch_store fch_acpimmio_store(unsigned off, unsigned width, uint64_t v,
				  int s3_typ);

/* Do the PCI IDs of 00:14.0 (the FCH's SMBus controller) say AMD FCH? */
bool fch_pm_ids(uint16_t vendor, uint16_t device);

struct fch_pm {
	struct spinlock lock;
	uint8_t index;                  /* L1's CD6h */
	uint64_t nr_dropped;
	/* The device's ports (byte accesses). */
	uint8_t (*in8)(uint16_t port);
	void (*out8)(uint16_t port, uint8_t v);
};

/* Does an access of size bytes at port touch CD6h or CD7h? */
bool fch_pm_owns(uint16_t port, unsigned size);

/* L1's IN or OUT of size bytes at port (one that fch_pm_owns), with the
 * value of an OUT in val (low size bytes); returns what an IN reads
 * (bytes outside CD6h-CD7h passed through one by one). */
uint32_t fch_pm_io(struct fch_pm *f, uint16_t port, unsigned size, bool in,
		   uint32_t val);

#endif
