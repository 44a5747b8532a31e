// SPDX-License-Identifier: MIT
/*
 * q35's relocation registers, found by the functions' IDs read through
 * the configuration ports (PCI Local Bus Specification §3.2.2.3.2):
 *  - 00:00.0, Intel 8086:29C0 (the Q35 MCH host bridge): PCIEXBAR,
 *    registers 60h-67h (the ECAM base, its size and enable);
 *  - 00:1F.0, Intel 8086:2918 (the ICH9 LPC bridge): PMBASE, 40h-43h (the
 *    ACPI PM I/O block), and ACPI_CNTL, 44h (its enable bit).
 *  - 00:14.0 with the IDs of an AMD FCH's SMBus controller
 *    (fch_pm_ids()): the FCH's PM registers that place the ACPI blocks
 *    (svm/fch_pm.h), through the index/data ports CD6h/CD7h (intercepted
 *    in the IOPM) and through AcpiMmio (its first page, whose PM block
 *    is at +300h, read-only in L1's NPT); a store there to the ACPI
 *    block's PM1 registers (+800h) is decided as at their ports
 *    (fch_acpimmio_store(), svm/acpi_sleep.c).
 * Writes to them are dropped, reads return the real values, so the ECAM
 * base and the PM1 ports stay where the firmware put them and the FADT
 * and MCFG say.  Other chipsets: nothing is locked (AMD's ECAM base is
 * MMIO_CONF_BASE, an MSR L1 may not change).
 *
 * Through the ports: svm/ioio.c asks svm/pci_hide.c.  Through ECAM (PCIe
 * Base Specification §7.2.2: bus << 20 | device << 15 | function << 12):
 * the two functions' ECAM pages are read-only in L1's NPT; a store exits
 * with #NPF and is emulated here as svm/apic.c emulates xAPIC stores (a
 * MOV decoded at RIP, performed from host mode at the same address, RIP
 * moved past it), unless it touches a locked register.  Other
 * instructions writing there get #GP.  AcpiMmio's page is handled the
 * same way.
 */
#include "svm/chipset_lock.h"
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "mm/pte.h"
#include "svm/acpi_sleep.h"
#include "svm/apic.h"
#include "svm/fch_pm.h"
#include "svm/insn.h"
#include "svm/intercepts.h"
#include "svm/mmio_emul.h"
#include "core/x86.h"
#include "svm/pci_hide.h"
#include "svm/permmap.h"

#define BDF(b, d, f) ((uint16_t)((b) << 8 | (d) << 3 | (f)))

static uint32_t cfg_read32(uint16_t bdf, uint8_t reg)
{
	outl(PCI_CONFIG_ADDRESS, 0x80000000u | (uint32_t)bdf << 8 | reg);
	return inl(PCI_CONFIG_DATA);
}

#define MAX_PAGES 3u

static uint64_t ecam;             /* bus 0's ECAM base, 0: none */
static uint64_t pages[MAX_PAGES]; /* read-only pages (ECAM, AcpiMmio) */
static unsigned n_pages;
static bool fch;                  /* an AMD FCH: its PM registers held */

static int protect_page(uint64_t pa)
{
	int rc;

	if (n_pages == MAX_PAGES)
		return 0;
	rc = hvmem_npt_protect(pa, 4096, PTE_P | PTE_US, NULL);
	if (!rc)
		pages[n_pages++] = pa;
	return rc;
}

static int protect(uint16_t bdf)
{
	if (!ecam)
		return 0;
	return protect_page(ecam + ((uint64_t)bdf << 12));
}

static uint8_t port_in8(uint16_t port)
{
	return inb(port);
}

static void port_out8(uint16_t port, uint8_t v)
{
	outb(port, v);
}

static struct fch_pm fch_pm = {
	.lock = SPINLOCK_INIT, .in8 = port_in8, .out8 = port_out8,
};

static void lock(uint16_t bdf, uint16_t reg, uint16_t len, const char *what)
{
	if (pci_lock_register(bdf, reg, len))
		log_error("%s: cannot be locked (no room)", what);
	else
		log_info("%s locked: L1's writes to it are dropped", what);
}

int chipset_lock_init(uint64_t ecam_base, uint8_t *iopm)
{
	uint32_t saved = inl(PCI_CONFIG_ADDRESS), id;
	int rc = 0;

	ecam = ecam_base;
	if (cfg_read32(BDF(0, 0, 0), 0) == 0x29c08086u) {
		lock(BDF(0, 0, 0), 0x60, 8, "q35 PCIEXBAR (00:00.0 60h)");
		rc = protect(BDF(0, 0, 0));
	}
	if (!rc && cfg_read32(BDF(0, 0x1f, 0), 0) == 0x29188086u) {
		lock(BDF(0, 0x1f, 0), 0x40, 4, "ICH9 PMBASE (00:1f.0 40h)");
		lock(BDF(0, 0x1f, 0), 0x44, 1, "ICH9 ACPI_CNTL (00:1f.0 44h)");
		rc = protect(BDF(0, 0x1f, 0));
	}
	id = cfg_read32(BDF(0, 0x14, 0), 0);
	if (!rc && fch_pm_ids((uint16_t)id, (uint16_t)(id >> 16))) {
		fch = true;
		iopm_set(iopm, FCH_PM_INDEX, 2);
		rc = protect_page(FCH_ACPIMMIO);
		log_info("AMD FCH (00:14.0 %04x:%04x): PM registers 24h-27h and "
			 "60h-6Bh locked (ports CD6h/CD7h, AcpiMmio 0x%lx): L1's "
			 "writes to them are dropped; S3 at PM1 control in "
			 "AcpiMmio 0x%lx refused as at the port", id & 0xffff,
			 id >> 16, (uint64_t)(FCH_ACPIMMIO + FCH_ACPIMMIO_PM),
			 (uint64_t)(FCH_ACPIMMIO + FCH_ACPIMMIO_ACPI +
				    FCH_ACPI_PM1_CNT));
	}
	outl(PCI_CONFIG_ADDRESS, saved);
	return rc;
}

bool chipset_pm_owns(uint16_t port, unsigned size)
{
	return fch && fch_pm_owns(port, size);
}

uint64_t chipset_pm_io(uint16_t port, unsigned size, bool in, uint64_t rax)
{
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
	uint64_t before = fch_pm.nr_dropped;
	uint32_t r = fch_pm_io(&fch_pm, port, size, in, (uint32_t)(rax & mask));

	if (fch_pm.nr_dropped != before)
		log_info_limited("L1 wrote to a locked FCH PM register "
				 "(port 0x%x): dropped", port);
	if (!in)
		return rax;
	return (size == 4 ? 0 : rax & ~mask) | r;
}

bool chipset_mmio_page(uint64_t gpa)
{
	for (unsigned i = 0; i < n_pages; i++)
		if ((gpa & ~0xfffull) == pages[i])
			return true;
	return false;
}

bool chipset_mmio_meets(uint64_t lo, uint64_t hi)
{
	for (unsigned i = 0; i < n_pages; i++)
		if (pages[i] >= lo && pages[i] < hi)
			return true;
	return false;
}

static void mmio_store(uint64_t pa, uint64_t v, unsigned width)
{
	switch (width) {
	case 1: *(volatile uint8_t *)pa = (uint8_t)v; break;
	case 2: *(volatile uint16_t *)pa = (uint16_t)v; break;
	case 4: *(volatile uint32_t *)pa = (uint32_t)v; break;
	default: *(volatile uint64_t *)pa = v; break;
	}
}

void chipset_mmio_write(struct cpu *cpu, uint64_t gpa)
{
	uint16_t bdf = (uint16_t)((gpa - ecam) >> 12), reg = gpa & 0xfff;
	bool acpimmio = fch && (gpa & ~0xfffull) == FCH_ACPIMMIO;
	static struct mmio_emul emul = {
		.what = "a write to ECAM or AcpiMmio", .ops = MMIO_OP(INSN_MOV_STORE),
	};
	enum fch_store what;
	struct insn in;
	uint64_t v;

	if (mmio_emul_decode(cpu, gpa, &emul, &in))
		return;
	v = guest_store_value(cpu, &in);
	if (in.width < 8)
		v &= (1ull << (8 * in.width)) - 1;
	what = reg + in.width > 0x1000 ? FCH_STORE_DROP :
	       acpimmio ? fch_acpimmio_store(reg, in.width, v,
					     acpi_sleep_s3_typ()) :
	       pci_write_locked(bdf, reg, in.width) ? FCH_STORE_DROP :
						     FCH_STORE_WRITE;
	switch (what) {
	case FCH_STORE_DROP:
		log_info_limited("L1 wrote 0x%lx to a locked register (%s "
				 "0x%lx): dropped", v,
				 acpimmio ? "AcpiMmio" : "ECAM", gpa);
		break;
	case FCH_STORE_SLEEP:
		acpi_sleep_refuse(cpu, (uint8_t)acpi_sleep_s3_typ(), "AcpiMmio",
				  gpa);
		break;
	case FCH_STORE_WAKE_ACK:
		mmio_store(gpa, v, in.width);
		acpi_sleep_wake_ack();
		break;
	case FCH_STORE_WRITE:
		mmio_store(gpa, v, in.width);
		break;
	}
	guest_advance_rip(cpu, in.len);
}
