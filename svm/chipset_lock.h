/* SPDX-License-Identifier: MIT */
/*
 * Chipset registers that would move what nestvisor guards at a fixed
 * address, locked against L1's writes (svm/pci_hide.h): on q35, the host
 * bridge's PCIEXBAR (ECAM, where the hidden IOMMU's configuration page
 * is) and the LPC bridge's PMBASE and ACPI control (the PM1 ports that
 * svm/acpi_sleep.c watches), through the configuration ports and through
 * ECAM.  docs/security.md, "Devices and firmware".
 */
#ifndef NV_SVM_CHIPSET_LOCK_H
#define NV_SVM_CHIPSET_LOCK_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* Before the first VMRUN, on the boot CPU; ecam_base is MCFG's for bus 0
 * (0: none).  0, or an error from mapping the ECAM pages read-only. */
int chipset_lock_init(uint64_t ecam_base);

/* Is gpa in the ECAM page of a function with a locked register?  Does
 * [lo, hi) hold one? */
bool chipset_ecam_page(uint64_t gpa);
bool chipset_ecam_meets(uint64_t lo, uint64_t hi);
/* An #NPF write there: the store emulated, dropped if it touches a
 * locked register. */
void chipset_ecam_write(struct cpu *cpu, uint64_t gpa);

#endif
