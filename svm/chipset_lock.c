// SPDX-License-Identifier: MIT
/*
 * q35's relocation registers, found by the functions' IDs read through
 * the configuration ports (PCI Local Bus Specification §3.2.2.3.2):
 *  - 00:00.0, Intel 8086:29C0 (the Q35 MCH host bridge): PCIEXBAR,
 *    registers 60h-67h (the ECAM base, its size and enable);
 *  - 00:1F.0, Intel 8086:2918 (the ICH9 LPC bridge): PMBASE, 40h-43h (the
 *    ACPI PM I/O block), and ACPI_CNTL, 44h (its enable bit).
 * Writes to them are dropped, reads return the real values, so the ECAM
 * base and the PM1 ports stay where the firmware put them and the FADT
 * and MCFG say.  Other chipsets: nothing is locked (AMD's ECAM base is
 * MMIO_CONF_BASE, an MSR L1 may not change; the FCH's PM block is an open
 * finding, docs/security.md, "Known findings").
 */
#include "svm/chipset_lock.h"
#include "core/log.h"
#include "core/x86.h"
#include "svm/pci_hide.h"

#define BDF(b, d, f) ((uint16_t)((b) << 8 | (d) << 3 | (f)))

static uint32_t cfg_read32(uint16_t bdf, uint8_t reg)
{
	outl(PCI_CONFIG_ADDRESS, 0x80000000u | (uint32_t)bdf << 8 | reg);
	return inl(PCI_CONFIG_DATA);
}

static void lock(uint16_t bdf, uint16_t reg, uint16_t len, const char *what)
{
	if (pci_lock_register(bdf, reg, len))
		log_error("%s: cannot be locked (no room)", what);
	else
		log_info("%s locked: L1's writes to it are dropped", what);
}

void chipset_lock_init(void)
{
	uint32_t saved = inl(PCI_CONFIG_ADDRESS);

	if (cfg_read32(BDF(0, 0, 0), 0) == 0x29c08086u)
		lock(BDF(0, 0, 0), 0x60, 8, "q35 PCIEXBAR (00:00.0 60h)");
	if (cfg_read32(BDF(0, 0x1f, 0), 0) == 0x29188086u) {
		lock(BDF(0, 0x1f, 0), 0x40, 4, "ICH9 PMBASE (00:1f.0 40h)");
		lock(BDF(0, 0x1f, 0), 0x44, 1, "ICH9 ACPI_CNTL (00:1f.0 44h)");
	}
	outl(PCI_CONFIG_ADDRESS, saved);
}
