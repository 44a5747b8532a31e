// SPDX-License-Identifier: MIT
/*
 * AMD IOMMU take-over (API in amd_iommu.h).  Register offsets and fields
 * from the IOMMU spec §3.4 (MMIO registers), device table entry §2.2.2.1,
 * commands §2.4.
 *  1. If the firmware left the IOMMU enabled, disable it (the device
 *     table may only change while it is off).
 *  2. Device table: 65536 entries of 32 bytes (2 MiB, size field 1FFh),
 *     each V, TV, Mode 4, the identity table, IR and IW; DomainID 1;
 *     with interrupt control (the caller's choice, amd_iommu.h): IV set
 *     with IntCtl 01b (fixed and arbitrated interrupts forwarded
 *     unmapped, no remapping table), NMIPass, EIntPass, Lint0Pass and
 *     Lint1Pass set, InitPass clear (an INIT message from a device is
 *     target-aborted: it would reset a CPU out of guest mode), SysMgt
 *     00b (system-management messages, SMIs among them, target-aborted);
 *     without, IV clear: every interrupt message forwarded as it came,
 *     INIT included; nothing else.
 *  3. No exclusion range (it would let DMA bypass translation).
 *  4. Command buffer (4 KiB, 256 entries); enable the IOMMU and the
 *     buffer; INVALIDATE_IOMMU_ALL where the IOMMU has it (EFR bit 6),
 *     else INVALIDATE_DEVTAB_ENTRY for every DeviceID and
 *     INVALIDATE_IOMMU_PAGES for the domain; then COMPLETION_WAIT, whose
 *     store nestvisor polls (bounded).
 */
#include "drivers/amd_iommu.h"
#include "core/err.h"
#include "mm/io_pt.h"

#define MMIO_DEV_TABLE  0x0000
#define MMIO_CMD_BUF    0x0008
#define MMIO_EVT_LOG    0x0010
#define MMIO_CONTROL    0x0018
#define MMIO_EXCL_BASE  0x0020
#define MMIO_EXCL_LIMIT 0x0028
#define MMIO_EFR        0x0030
#define MMIO_CMD_HEAD   0x2000
#define MMIO_CMD_TAIL   0x2008

#define CTRL_IOMMU_EN   (1ull << 0)
#define CTRL_COHERENT   (1ull << 10)
#define CTRL_CMDBUF_EN  (1ull << 12)
#define EFR_IA_SUP      (1ull << 6)

#define DTE_V           (1ull << 0)
#define DTE_TV          (1ull << 1)
#define DTE_MODE4       (4ull << 9)
#define DTE_IR          (1ull << 61)
#define DTE_IW          (1ull << 62)
/* Bits 191:128 (dte[2]): IV 128, IntCtl 189:188, InitPass 184, EIntPass
 * 185, NMIPass 186, Lint0Pass 190, Lint1Pass 191. */
#define DTE2_IV            (1ull << 0)
#define DTE2_INTCTL_FORWARD (1ull << 60)
#define DTE2_INIT_PASS     (1ull << 56)
#define DTE2_EINT_PASS     (1ull << 57)
#define DTE2_NMI_PASS      (1ull << 58)
#define DTE2_LINT0_PASS    (1ull << 62)
#define DTE2_LINT1_PASS    (1ull << 63)
#define DOMAIN_ID       1u

#define CMD_COMPLETION_WAIT 0x1u
#define CMD_INV_DEVTAB      0x2u
#define CMD_INV_PAGES       0x3u
#define CMD_INV_ALL         0x8u
#define CMD_ENTRIES         256u
#define COMPLETION_DATA     0x6e7669736f72ull
#define POLL_LIMIT          10000000u

struct iommu {
	volatile uint8_t *mmio;
	volatile uint64_t *cmd;
	unsigned tail;
};

static uint64_t rd(const struct iommu *u, unsigned off)
{
	return *(volatile uint64_t *)(u->mmio + off);
}

static void wr(const struct iommu *u, unsigned off, uint64_t v)
{
	*(volatile uint64_t *)(u->mmio + off) = v;
}

void amd_iommu_dte(uint64_t io_root, bool intctl, uint64_t dte[4])
{
	dte[0] = DTE_V | DTE_TV | DTE_MODE4 | (io_root & IO_PTE_ADDR) |
		 DTE_IR | DTE_IW;
	dte[1] = DOMAIN_ID;
	dte[2] = !intctl ? 0 :
		 DTE2_IV | DTE2_INTCTL_FORWARD | DTE2_EINT_PASS |
		 DTE2_NMI_PASS | DTE2_LINT0_PASS | DTE2_LINT1_PASS;
	dte[3] = 0;
}

/* Queue one command (opcode in bits 63:60 of its first qword, APM-style
 * dwords 0-1 as q0, 2-3 as q1), waiting for room in the ring. */
static int queue(struct iommu *u, uint64_t q0, uint64_t q1)
{
	unsigned next = (u->tail + 1) % CMD_ENTRIES;

	for (unsigned i = 0; ((rd(u, MMIO_CMD_HEAD) >> 4) % CMD_ENTRIES) == next;
	     i++)
		if (i == POLL_LIMIT)
			return -NV_EBUSY;
	u->cmd[2 * u->tail] = q0;
	u->cmd[2 * u->tail + 1] = q1;
	u->tail = next;
	wr(u, MMIO_CMD_TAIL, (uint64_t)u->tail << 4);
	return 0;
}

static int wait_done(struct iommu *u, volatile uint64_t *done)
{
	uint64_t pa = (uint64_t)(uintptr_t)done;
	int rc;

	*done = 0;
	rc = queue(u, (pa & 0xfffffff8ull) | 1 | /* S: store */
		      ((pa >> 32) & 0xfffff) << 32 |
		      (uint64_t)CMD_COMPLETION_WAIT << 60,
		   COMPLETION_DATA);
	if (rc)
		return rc;
	for (unsigned i = 0; i < POLL_LIMIT; i++)
		if (*done == COMPLETION_DATA)
			return 0;
	return -NV_EBUSY;
}

static int invalidate(struct iommu *u)
{
	int rc;

	if (rd(u, MMIO_EFR) & EFR_IA_SUP)
		return queue(u, (uint64_t)CMD_INV_ALL << 60, 0);
	for (unsigned id = 0; id < 0x10000; id++)
		if ((rc = queue(u, id | (uint64_t)CMD_INV_DEVTAB << 60, 0)))
			return rc;
	/* all pages of the domain: S = 1, PDE = 1, address 7FFF_FFFF_FFFF_F000 */
	return queue(u, (uint64_t)DOMAIN_ID << 32 | (uint64_t)CMD_INV_PAGES << 60,
		     0x7ffffffffffff000ull | 3);
}

int amd_iommu_take(uint64_t mmio, uint64_t io_root, bool intctl,
		   uint64_t dev_table, uint64_t cmd_buf, uint64_t done)
{
	struct iommu u = { (volatile uint8_t *)(uintptr_t)mmio,
			   (volatile uint64_t *)(uintptr_t)cmd_buf, 0 };
	volatile uint64_t *dt = (volatile uint64_t *)(uintptr_t)dev_table;
	uint64_t dte[4];
	int rc;

	wr(&u, MMIO_CONTROL, 0);
	amd_iommu_dte(io_root, intctl, dte);
	for (unsigned id = 0; id < 0x10000; id++)
		for (unsigned q = 0; q < 4; q++)
			dt[4 * id + q] = dte[q];
	wr(&u, MMIO_DEV_TABLE, (dev_table & IO_PTE_ADDR) | 0x1ff);
	wr(&u, MMIO_EXCL_BASE, 0);
	wr(&u, MMIO_EXCL_LIMIT, 0);
	wr(&u, MMIO_EVT_LOG, 0);
	wr(&u, MMIO_CMD_BUF, (cmd_buf & IO_PTE_ADDR) | 8ull << 56); /* 2^8 */
	wr(&u, MMIO_CMD_HEAD, 0);
	wr(&u, MMIO_CMD_TAIL, 0);
	__asm__ volatile("wbinvd" ::: "memory"); /* tables in memory */
	wr(&u, MMIO_CONTROL, CTRL_IOMMU_EN | CTRL_CMDBUF_EN | CTRL_COHERENT);
	rc = invalidate(&u);
	if (!rc)
		rc = wait_done(&u, (volatile uint64_t *)(uintptr_t)done);
	if (rc)
		wr(&u, MMIO_CONTROL, 0);
	return rc;
}
