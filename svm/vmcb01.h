/* SPDX-License-Identifier: MIT */
#ifndef NV_SVM_VMCB01_H
#define NV_SVM_VMCB01_H

#include "svm/vcpu.h"

/*
 * Fills vmcb01 so that VMRUN resumes the firmware exactly where the launch
 * frame says, with the CPU state it has now (control registers, EFER,
 * descriptor tables, segments, PAT, debug registers), and sets nestvisor's
 * intercepts, permission maps and L1's nested page table ncr3.
 * Call before the host environment replaces GDT/IDT/TR/CR3.
 */
void vmcb01_init(struct cpu *cpu, const struct launch_frame *f, uint64_t ncr3);

/* nestvisor's MSR and I/O permission maps, shared by every vmcb01;
 * vmcb01_pci_maps() once the PCI functions to hide are known (svm/dma.c,
 * svm/pci_hide.c). */
void vmcb01_init_maps(uint8_t *msrpm, uint8_t *iopm);
void vmcb01_pci_maps(uint8_t *iopm);

#endif
