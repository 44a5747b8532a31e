/* SPDX-License-Identifier: MIT */
/*
 * Chipset registers that would move what nestvisor guards at a fixed
 * address, locked against L1's writes (svm/pci_hide.h): on q35, the host
 * bridge's PCIEXBAR (ECAM, where the hidden IOMMU's configuration page
 * is) and the LPC bridge's PMBASE and ACPI control (the PM1 ports that
 * svm/acpi_sleep.c watches), through the configuration ports and through
 * ECAM; on AMD's FCH, the PM registers that place the ACPI blocks
 * (svm/fch_pm.h), through the index/data ports and through AcpiMmio.
 * docs/security.md, "Chipset registers".
 */
#ifndef NV_SVM_CHIPSET_LOCK_H
#define NV_SVM_CHIPSET_LOCK_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* Before the first VMRUN, on the boot CPU; ecam_base is MCFG's for bus 0
 * (0: none); iopm gets the FCH's PM ports.  0, or an error from mapping
 * a page read-only. */
int chipset_lock_init(uint64_t ecam_base, uint8_t *iopm);

/* Is gpa in a page nestvisor keeps read-only for a locked register (the
 * ECAM page of a function with one, the FCH's AcpiMmio page)?  Does
 * [lo, hi) hold one? */
bool chipset_mmio_page(uint64_t gpa);
bool chipset_mmio_meets(uint64_t lo, uint64_t hi);
/* An #NPF write there: the store emulated, dropped if it touches a
 * locked register. */
void chipset_mmio_write(struct cpu *cpu, uint64_t gpa);

/* The FCH's PM index/data ports, on an FCH (svm/fch_pm.h): does an
 * access of size bytes at port touch them?  L1's IN or OUT there, with
 * the guest's RAX; returns RAX as the guest has it afterwards. */
bool chipset_pm_owns(uint16_t port, unsigned size);
uint64_t chipset_pm_io(uint16_t port, unsigned size, bool in, uint64_t rax);

#endif
