// SPDX-License-Identifier: MIT
/* One-sector AHCI read (see ahci.h); polled, interrupts off, bounded. */
#include "ahci.h"
#include "core/x86.h"
#include "tests/guest/nested/nested.h"

#define AHCI_BUS 0
#define AHCI_DEV 0x1f
#define AHCI_FN  2
#define PORT(p)  (0x100u + 0x80u * (p))
#define PX_CLB   0x00u
#define PX_CLBU  0x04u
#define PX_FB    0x08u
#define PX_FBU   0x0cu
#define PX_IS    0x10u
#define PX_CMD   0x18u
#define PX_TFD   0x20u
#define PX_SSTS  0x28u
#define PX_SERR  0x30u
#define PX_CI    0x38u
#define CMD_ST   (1u << 0)
#define CMD_FRE  (1u << 4)
#define CMD_FR   (1u << 14)
#define CMD_CR   (1u << 15)
#define IS_ERRORS 0x7d800010u /* TFES HBFS HBDS IFS INFS OFS IPMS UFS */
#define SPINS    20000000u

static uint32_t page_buf[4096 / 4] __attribute__((aligned(4096)));

uint32_t pci_cfg_read32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg)
{
	uint32_t v;

	outl(0xcf8, 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
			    (uint32_t)fn << 8 | (reg & 0xfcu));
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"((uint16_t)0xcfc));
	return v;
}

void pci_cfg_write32(uint8_t bus, uint8_t dev, uint8_t fn, uint8_t reg,
		     uint32_t v)
{
	outl(0xcf8, 0x80000000u | (uint32_t)bus << 16 | (uint32_t)dev << 11 |
			    (uint32_t)fn << 8 | (reg & 0xfcu));
	outl(0xcfc, v);
}

static volatile uint32_t *reg(uint64_t abar, unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)(abar + off);
}

static int wait_clear(uint64_t abar, unsigned off, uint32_t bits)
{
	for (unsigned i = 0; i < SPINS; i++)
		if (!(*reg(abar, off) & bits))
			return 0;
	return -1;
}

static void port_stop(uint64_t abar)
{
	*reg(abar, PORT(0) + PX_CMD) &= ~CMD_ST;
	wait_clear(abar, PORT(0) + PX_CMD, CMD_CR);
	*reg(abar, PORT(0) + PX_CMD) &= ~CMD_FRE;
	wait_clear(abar, PORT(0) + PX_CMD, CMD_FR);
}

int ahci_read_sector(uint64_t lba, uint64_t dst, uint32_t *is_out)
{
	uint32_t id = pci_cfg_read32(AHCI_BUS, AHCI_DEV, AHCI_FN, 0);
	uint32_t cls = pci_cfg_read32(AHCI_BUS, AHCI_DEV, AHCI_FN, 8) >> 8;
	uint64_t abar = pci_cfg_read32(AHCI_BUS, AHCI_DEV, AHCI_FN, 0x24) & ~0xfffull;
	uint8_t *mem = (uint8_t *)page_buf;
	uint32_t *hdr = page_buf, *tbl = page_buf + 256, *fis = page_buf + 512;
	uint8_t *cfis = (uint8_t *)tbl;
	uint32_t clb, clbu, fb, fbu, cmd, is = 0;
	int rc = 1;

	if (id == 0xffffffffu || cls != 0x010601u || !abar)
		return -1;
	if ((*reg(abar, PORT(0) + PX_SSTS) & 0xf) != 3) /* DET: device, PHY up */
		return -1;
	for (unsigned i = 0; i < 4096; i++)
		mem[i] = 0;
	clb = *reg(abar, PORT(0) + PX_CLB);
	clbu = *reg(abar, PORT(0) + PX_CLBU);
	fb = *reg(abar, PORT(0) + PX_FB);
	fbu = *reg(abar, PORT(0) + PX_FBU);
	cmd = *reg(abar, PORT(0) + PX_CMD);
	port_stop(abar);

	/* Command header 0 (1 KiB list at the page's start): CFL 5 dwords,
	 * read, one PRD; the table at +1 KiB; received FISes at +2 KiB. */
	hdr[0] = 5u | (1u << 16);
	hdr[1] = 0;
	hdr[2] = (uint32_t)(uintptr_t)tbl;
	hdr[3] = (uint32_t)((uint64_t)(uintptr_t)tbl >> 32);
	cfis[0] = 0x27;          /* register H2D FIS */
	cfis[1] = 0x80;          /* C: command */
	cfis[2] = 0x25;          /* READ DMA EXT */
	cfis[4] = (uint8_t)lba;
	cfis[5] = (uint8_t)(lba >> 8);
	cfis[6] = (uint8_t)(lba >> 16);
	cfis[7] = 0x40;          /* LBA mode */
	cfis[8] = (uint8_t)(lba >> 24);
	cfis[9] = (uint8_t)(lba >> 32);
	cfis[10] = (uint8_t)(lba >> 40);
	cfis[12] = 1;            /* one sector */
	tbl[0x80 / 4] = (uint32_t)dst;
	tbl[0x84 / 4] = (uint32_t)(dst >> 32);
	tbl[0x8c / 4] = 511;     /* DBC: 512 bytes */

	*reg(abar, PORT(0) + PX_CLB) = (uint32_t)(uintptr_t)hdr;
	*reg(abar, PORT(0) + PX_CLBU) = (uint32_t)((uint64_t)(uintptr_t)hdr >> 32);
	*reg(abar, PORT(0) + PX_FB) = (uint32_t)(uintptr_t)fis;
	*reg(abar, PORT(0) + PX_FBU) = (uint32_t)((uint64_t)(uintptr_t)fis >> 32);
	*reg(abar, PORT(0) + PX_SERR) = 0xffffffffu;
	*reg(abar, PORT(0) + PX_IS) = 0xffffffffu;
	*reg(abar, PORT(0) + PX_CMD) |= CMD_FRE;
	*reg(abar, PORT(0) + PX_CMD) |= CMD_ST;
	*reg(abar, PORT(0) + PX_CI) = 1;
	for (unsigned i = 0; i < SPINS; i++) {
		is = *reg(abar, PORT(0) + PX_IS);
		if (is & IS_ERRORS)
			break;
		if (!(*reg(abar, PORT(0) + PX_CI) & 1)) {
			rc = 0;
			break;
		}
	}
	if (is_out)
		*is_out = is | (*reg(abar, PORT(0) + PX_TFD) & 0xffu) << 24;

	port_stop(abar);
	*reg(abar, PORT(0) + PX_CLB) = clb;
	*reg(abar, PORT(0) + PX_CLBU) = clbu;
	*reg(abar, PORT(0) + PX_FB) = fb;
	*reg(abar, PORT(0) + PX_FBU) = fbu;
	*reg(abar, PORT(0) + PX_IS) = 0xffffffffu;
	*reg(abar, PORT(0) + PX_SERR) = 0xffffffffu;
	*reg(abar, PORT(0) + PX_CMD) = cmd & ~CMD_ST;
	*reg(abar, PORT(0) + PX_CMD) = cmd;
	return rc;
}

/*
 * The controller's MSI capability (PCI Local Bus 3.0 §6.8.1: ID 05h;
 * message control at +2, bit 0 enable, bit 7 64-bit; address at +4, its
 * high half at +8 when 64-bit; data at +8, or +0Ch when 64-bit) set to
 * addr and data, the HBA's interrupt enable (GHC bit 1, AHCI 1.3.1 §3.1.2)
 * and port 0's (PxIE at 14h, every cause) on; then one sector read, whose
 * completion raises the interrupt; then everything as it was.
 */
int ahci_read_sector_msi(uint64_t lba, uint64_t dst, uint32_t addr,
			 uint16_t data)
{
	uint64_t abar = pci_cfg_read32(AHCI_BUS, AHCI_DEV, AHCI_FN, 0x24) & ~0xfffull;
	uint8_t cap = (uint8_t)pci_cfg_read32(AHCI_BUS, AHCI_DEV, AHCI_FN, 0x34);
	uint32_t ctl, old_addr, old_data, ghc, ie;
	unsigned doff;
	int rc;

	for (unsigned n = 0; cap >= 0x40 && n < 48; n++) {
		uint32_t h = pci_cfg_read32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap);

		if ((h & 0xff) == 0x05)
			break;
		cap = (uint8_t)(h >> 8);
	}
	if (cap < 0x40 || !abar)
		return -1;
	ctl = pci_cfg_read32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap);
	doff = ctl & (1u << 23) ? 0xc : 8;
	old_addr = pci_cfg_read32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap + 4);
	old_data = pci_cfg_read32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap + doff);
	pci_cfg_write32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap + 4, addr);
	if (doff == 0xc)
		pci_cfg_write32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap + 8, 0);
	pci_cfg_write32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap + doff,
			(old_data & 0xffff0000u) | data);
	pci_cfg_write32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap, ctl | (1u << 16));
	ghc = *reg(abar, 0x04);
	ie = *reg(abar, PORT(0) + 0x14);
	*reg(abar, PORT(0) + 0x14) = 0xffffffffu;
	*reg(abar, 0x04) = ghc | 2u;
	rc = ahci_read_sector(lba, dst, 0);
	*reg(abar, 0x04) = ghc;
	*reg(abar, PORT(0) + 0x14) = ie;
	pci_cfg_write32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap, ctl);
	pci_cfg_write32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap + 4, old_addr);
	pci_cfg_write32(AHCI_BUS, AHCI_DEV, AHCI_FN, cap + doff, old_data);
	return rc;
}
