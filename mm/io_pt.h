/* SPDX-License-Identifier: MIT */
/*
 * AMD IOMMU I/O page tables (host page tables of the AMD I/O
 * Virtualization Technology specification, "v1" format, §2.2.3): the
 * tables a device's DMA addresses are translated through.  nestvisor
 * builds one identity table for every device (drivers/amd_iommu.c): all
 * of the physical address space up to a limit, read and write, except
 * holes (its own region), which stay not present, so that any DMA there
 * is aborted by the IOMMU.
 *
 * Entry format (64 bits, every level):
 *   bit 0       PR   present
 *   bits 11:9   NL   next level: the level of the table the entry points
 *                    to (a page directory entry), or 0 for a leaf (a page
 *                    of the entry's level size: 4 KiB at level 1, 2 MiB at
 *                    level 2, 1 GiB at level 3)
 *   bits 51:12       address of the next table, or of the page
 *   bit 61      IR   DMA reads allowed, bit 62 IW writes allowed (both
 *                    needed at every level, in the device table entry too)
 * A table is 512 entries (4 KiB); level n indexes address bits
 * 12 + 9n - 1 : 12 + 9(n - 1).  Four levels (device table Mode 4)
 * translate 48-bit DMA addresses.  Other bits are 0 here.
 */
#ifndef NV_MM_IO_PT_H
#define NV_MM_IO_PT_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/err.h"
#include "mm/pt_mem.h"

#define IO_PTE_PR      (1ull << 0)
#define IO_PTE_NL_SHIFT 9
#define IO_PTE_NL_MASK (7ull << IO_PTE_NL_SHIFT)
#define IO_PTE_ADDR    0x000ffffffffff000ull /* bits 51:12 */
#define IO_PTE_IR      (1ull << 61)
#define IO_PTE_IW      (1ull << 62)
#define IO_PT_LEVELS   4
#define IO_PT_LIMIT    (1ull << 48)

struct io_hole {
	uint64_t start, end; /* [start, end), 4 KiB aligned */
};

/*
 * A new 4-level table mapping DMA address a to a for every a in
 * [0, limit) outside the holes, read-write, each region with the largest
 * page that lies inside [0, limit) and meets no hole (1 GiB only with
 * gbpages).  limit at most IO_PT_LIMIT, 4 KiB aligned.  *root gets the
 * top table.  0, -NV_EINVAL, or -NV_ENOMEM (every page taken is freed).
 */
int io_pt_build_identity(struct pt_mem *m, uint64_t limit,
			 const struct io_hole *holes, unsigned nholes,
			 bool gbpages, uint64_t *root);

/* Translate DMA address a as the IOMMU would: 0 with *pa and *shift (12,
 * 21 or 30) set, or -NV_ENOENT (not present, or IR/IW missing). */
int io_pt_lookup(struct pt_mem *m, uint64_t root, uint64_t a, uint64_t *pa,
		 unsigned *shift);

#endif
