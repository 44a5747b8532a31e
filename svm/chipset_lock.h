/* SPDX-License-Identifier: MIT */
/*
 * Chipset registers that would move what nestvisor guards at a fixed
 * address, locked against L1's writes (svm/pci_hide.h): on q35, the host
 * bridge's PCIEXBAR (ECAM, where the hidden IOMMU's configuration page
 * is) and the LPC bridge's PMBASE and ACPI control (the PM1 ports that
 * svm/acpi_sleep.c watches).  docs/security.md, "Devices and firmware".
 */
#ifndef NV_SVM_CHIPSET_LOCK_H
#define NV_SVM_CHIPSET_LOCK_H

/* Before the first VMRUN, on the boot CPU. */
void chipset_lock_init(void);

#endif
