/* SPDX-License-Identifier: MIT */
/*
 * Page-table entry bits, named once.  Ordinary x86 paging and AMD nested
 * paging share these formats: an NPT entry has the layout of a host page
 * table entry of the host's paging mode.
 *   AMD APM Vol. 2, §5.3 (legacy 32-bit and PAE translation), §5.3/§5.4
 *   (long-mode translation and table-entry fields), §15.25 (nested paging).
 * Which bits are reserved at which level is decided in mm/perm.c
 * (pagewalk_init), not here.
 */
#ifndef NV_MM_PTE_H
#define NV_MM_PTE_H

#include <stdint.h>

#define PTE_P   (1ull << 0)  /* present */
#define PTE_RW  (1ull << 1)  /* writable */
#define PTE_US  (1ull << 2)  /* user (NPT without GMET: must be 1) */
#define PTE_PWT (1ull << 3)
#define PTE_PCD (1ull << 4)
#define PTE_A   (1ull << 5)  /* accessed: set by the walk, every level */
#define PTE_D   (1ull << 6)  /* dirty: set by a write, leaf only */
#define PTE_PS  (1ull << 7)  /* PDE/PDPE: maps a large page; PTE: PAT */
#define PTE_G   (1ull << 8)  /* leaf: global; AMD PML4E/PML5E: MBZ */
#define PTE_LARGE_PAT (1ull << 12) /* PAT bit of a 2 MiB/1 GiB/4 MiB leaf */
#define PTE_NX  (1ull << 63) /* no-execute; reserved when EFER.NXE=0 */

/* Bits lo..hi (inclusive) set; 0 when hi < lo. */
static inline uint64_t pte_bits(unsigned hi, unsigned lo)
{
	if (hi < lo || lo > 63)
		return 0;
	if (hi > 63)
		hi = 63;
	return (~0ull >> (63 - hi)) & (~0ull << lo);
}

/* 64-bit entries (PAE, 4- and 5-level): the physical address fields. */
#define PTE64_ADDR_4K 0x000ffffffffff000ull /* bits 51:12 */
#define PTE64_ADDR_2M 0x000fffffffe00000ull /* bits 51:21 */
#define PTE64_ADDR_1G 0x000fffffc0000000ull /* bits 51:30 */

/* 32-bit entries (2-level, CR4.PAE=0). */
#define PTE32_ADDR_4K    0xfffff000ull /* PTE/PDE: bits 31:12 */
#define PDE32_4M_ADDR_LO 0xffc00000ull /* 4 MiB PDE: PA 31:22 in bits 31:22 */
#define PDE32_4M_ADDR_HI 0x001fe000ull /* 4 MiB PDE: PA 39:32 in bits 20:13 */
#define PDE32_4M_HI_SHIFT 13
#define PDE32_4M_RSVD21  (1ull << 21)  /* 4 MiB PDE: bit 21 MBZ */
#define PSE40_MAXPHYADDR 40            /* most PA bits a 4 MiB PDE holds */

/* PAE (3-level) CR3/nCR3: the PDPT is 32-byte aligned. */
#define PAE_ROOT_ADDR 0x000fffffffffffe0ull

_Static_assert(PTE64_ADDR_2M == (PTE64_ADDR_4K & ~0x1fffffull), "2M field");
_Static_assert(PTE64_ADDR_1G == (PTE64_ADDR_4K & ~0x3fffffffull), "1G field");
_Static_assert(PDE32_4M_ADDR_HI == (0xffull << PDE32_4M_HI_SHIFT), "PSE-40 field");
_Static_assert((PTE_A | PTE_D) == 0x60, "A/D are bits 5 and 6");

#endif
