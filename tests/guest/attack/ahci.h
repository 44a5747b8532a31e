/* SPDX-License-Identifier: MIT */
/*
 * A minimal AHCI driver for the attack payload: one READ DMA EXT of one
 * sector from port 0 of q35's ICH9 AHCI controller (PCI 00:1f.2) into a
 * buffer at a physical address the caller chooses, as a real bus-master
 * device's DMA.  Serial ATA AHCI 1.3.1: HBA registers §3.1 (GHC at 04h, PI
 * at 0Ch, port n at 100h + 80h n), port registers §3.3 (CLB 00h, FB 08h,
 * IS 10h, CMD 18h with ST bit 0, FRE bit 4, FR bit 14, CR bit 15; TFD
 * 20h; SERR 30h; CI 38h), command header §4.2.2 (CFL, PRDTL, CTBA),
 * command table §4.2.3 (CFIS at 0, PRDT at 80h: DBA, DBC bits 21:0);
 * the register host-to-device FIS (type 27h) and READ DMA EXT (25h) from
 * ATA8-ACS.
 */
#ifndef NV_GUEST_ATTACK_AHCI_H
#define NV_GUEST_ATTACK_AHCI_H

#include <stdint.h>

/* PCI configuration dword of bus:dev.fn at reg through CF8h/CFCh. */
uint32_t pci_cfg_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg);

void pci_cfg_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg,
		     uint32_t v);

/* Read sector lba of port 0 into the 512 bytes at physical address dst.
 * Returns 0 when the controller reported the command done without error,
 * 1 when it reported an error (or did not finish), -1 when there is no
 * AHCI controller or port 0 has no device.  Restores port 0 afterwards. */
int ahci_read_sector(uint64_t lba, uint64_t dst, uint32_t *is_out);

/* The same with the controller's MSI on, as the interrupt message addr,
 * data (its completion sends it); -1 without an MSI capability. */
int ahci_read_sector_msi(uint64_t lba, uint64_t dst, uint32_t addr,
			 uint16_t data);

#endif
