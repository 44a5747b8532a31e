/* SPDX-License-Identifier: MIT */
/*
 * PCI functions L1 must not see (the IOMMU nestvisor took, svm/dma.c).
 * Through the configuration ports (CONFIG_ADDRESS at CF8h, CONFIG_DATA at
 * CFCh-CFFh, PCI Local Bus Specification §3.2.2.3.2), a hidden function
 * reads all ones, as a function that is not there does, and writes to it
 * are dropped; svm/ioio.c intercepts CF8h and CFCh-CFFh once one is
 * hidden (CONFIG_ADDRESS kept per vCPU) and passes every other access
 * through.  Its ECAM page is hidden by
 * core/hvmem.c (all ones too).
 *
 * Registers of other functions whose writes nestvisor drops (reads pass
 * through): the chipset's relocation registers for what nestvisor guards
 * at a fixed address (svm/chipset_lock.c: q35's PCIEXBAR and PMBASE).  A
 * write that touches any byte of one is dropped whole.
 */
#ifndef NV_SVM_PCI_HIDE_H
#define NV_SVM_PCI_HIDE_H

#include <stdbool.h>
#include <stdint.h>

#define PCI_CONFIG_ADDRESS 0xcf8u
#define PCI_CONFIG_DATA    0xcfcu

/* bdf = bus << 8 | device << 3 | function (segment 0). */
int pci_hide_function(uint16_t bdf);
unsigned pci_hidden_count(void);
/* Does this CONFIG_ADDRESS value (enable bit 31, bus 23:16, device
 * 15:11, function 10:8) select a hidden function? */
bool pci_config_address_hidden(uint32_t config_address);

/* Drops every write to bytes [reg, reg + len) of function bdf. */
int pci_lock_register(uint16_t bdf, uint16_t reg, uint16_t len);
unsigned pci_locked_count(void);
/* Does a write of size bytes at reg of bdf touch a locked register? */
bool pci_write_locked(uint16_t bdf, uint16_t reg, unsigned size);
/* The same for a write to CONFIG_DATA + off (0-3) with this
 * CONFIG_ADDRESS (register in bits 7:2). */
bool pci_config_data_write_locked(uint32_t config_address, unsigned off,
				  unsigned size);

#endif
