/* SPDX-License-Identifier: MIT */
/*
 * Taking over the AMD IOMMU (AMD I/O Virtualization Technology
 * specification, the "IOMMU spec"), so that no device can reach
 * nestvisor's region by DMA (docs/security.md, "DMA").  Every device
 * (DeviceID 0-FFFFh of the IOMMU's segment) gets the same device table
 * entry: translation on, 4 levels, one identity I/O page table over the
 * physical address space without the region (mm/io_pt.c), interrupts
 * passed through unremapped.  L1 does not see the IOMMU: its MMIO
 * registers, its PCI function and its ACPI table are hidden (core/hvmem.c,
 * svm/pci_hide.c, boot/acpi.c).
 */
#ifndef NV_DRIVERS_AMD_IOMMU_H
#define NV_DRIVERS_AMD_IOMMU_H

#include <stdbool.h>
#include <stdint.h>

#define IOMMU_MMIO_SIZE 0x4000u /* the register file nestvisor hides */

/* Program the IOMMU whose registers are at mmio (identity-mapped) to
 * translate every device's DMA through io_root (mm/io_pt.h), and enable
 * it; intctl: the device table entries' interrupt control on (a device's
 * INIT and system-management messages target-aborted, amd_iommu.c).
 * dev_table: 2 MiB, 4 KiB aligned, zeroed; cmd_buf and done: one page
 * each.  0, or -NV_EBUSY if the IOMMU did not confirm the invalidation
 * (then it is left disabled). */
int amd_iommu_take(uint64_t mmio, uint64_t io_root, bool intctl,
		   uint64_t dev_table, uint64_t cmd_buf, uint64_t done);

/* The device table entry every device gets (4 qwords), for tests. */
void amd_iommu_dte(uint64_t io_root, bool intctl, uint64_t dte[4]);

#endif
