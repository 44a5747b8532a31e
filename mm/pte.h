/* SPDX-License-Identifier: MIT */
/*
 * Page-table entry bits, named once for every table nestvisor reads or
 * writes: guest page tables, L1's nested page tables, nestvisor's NPT for
 * L1, its host page table and the shadow NPT.  Ordinary x86 paging and AMD
 * nested paging share these formats: an NPT entry has the layout of a host
 * page-table entry of the host's paging mode.
 *   AMD APM Vol. 2, §5.3 (legacy 32-bit, PAE and long-mode translation:
 *   the entry formats per level), §5.4.1 (field definitions), §15.25.5
 *   (nested table walk: the same entry format, every access a user access).
 * Which bits are reserved at which level is decided in mm/perm.c
 * (pagewalk_init), not here.  nestvisor keeps no bookkeeping in the
 * software-available (AVL) bits: the shadow NPT's records live beside its
 * tables (struct snpt_use), so every AVL bit nestvisor writes is 0.
 */
#ifndef NV_MM_PTE_H
#define NV_MM_PTE_H

#include <stdint.h>

/* Attribute bits, every format (§5.4.1). */
#define PTE_P   (1ull << 0)  /* present */
#define PTE_RW  (1ull << 1)  /* writable */
#define PTE_US  (1ull << 2)  /* user (NPT without GMET: must be 1) */
#define PTE_PWT (1ull << 3)  /* page-level writethrough */
#define PTE_PCD (1ull << 4)  /* page-level cache disable */
#define PTE_A   (1ull << 5)  /* accessed: set by the walk, every level */
#define PTE_D   (1ull << 6)  /* dirty: set by a write, leaf only */
#define PTE_PS  (1ull << 7)  /* PDE/PDPE: maps a large page */
#define PTE_PAT (1ull << 7)  /* 4 KiB PTE: the same bit is PAT */
#define PTE_G   (1ull << 8)  /* leaf: global; AMD PML4E/PML5E: MBZ */
#define PTE_LARGE_PAT (1ull << 12) /* PAT bit of a 2 MiB/1 GiB/4 MiB leaf */
#define PTE_NX  (1ull << 63) /* no-execute; reserved when EFER.NXE=0 */

/* Software-available bits: 11:9 in every format, 62:52 in 64-bit entries
 * (§5.4.1; 62:59 are protection keys when CR4.PKE=1).  Unused. */
#define PTE_AVL    0x0000000000000e00ull
#define PTE64_AVL  0x7ff0000000000000ull

/* Bits lo..hi (inclusive) set; 0 when hi < lo. */
static inline uint64_t pte_bits(unsigned hi, unsigned lo)
{
	if (hi < lo || lo > 63)
		return 0;
	if (hi > 63)
		hi = 63;
	return (~0ull >> (63 - hi)) & (~0ull << lo);
}

/* 64-bit entries (PAE, 4- and 5-level): the physical address fields.
 * A table pointer and a 4 KiB leaf use ADDR_4K. */
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

_Static_assert(PTE64_ADDR_4K == ((1ull << 52) - (1ull << 12)), "4K field 51:12");
_Static_assert(PTE64_ADDR_2M == (PTE64_ADDR_4K & ~0x1fffffull), "2M field");
_Static_assert(PTE64_ADDR_1G == (PTE64_ADDR_4K & ~0x3fffffffull), "1G field");
_Static_assert(PDE32_4M_ADDR_HI == (0xffull << PDE32_4M_HI_SHIFT), "PSE-40 field");
_Static_assert((PTE_A | PTE_D) == 0x60, "A/D are bits 5 and 6");
_Static_assert(PTE_PAT == PTE_PS, "a PTE's PAT is a PDE's PS");
_Static_assert((PTE_LARGE_PAT & PTE64_ADDR_2M) == 0 &&
	       (PTE_LARGE_PAT & PTE64_ADDR_4K) != 0,
	       "large-page PAT lies below the 2 MiB field, inside the 4K one");
_Static_assert(((PTE_P | PTE_RW | PTE_US | PTE_PWT | PTE_PCD | PTE_A |
		 PTE_D | PTE_PS | PTE_G | PTE_AVL) & PTE64_ADDR_4K) == 0 &&
	       ((PTE_NX | PTE64_AVL) & PTE64_ADDR_4K) == 0,
	       "attribute and AVL bits lie outside the address field");
_Static_assert((PTE_P | PTE_RW | PTE_US | PTE_PWT | PTE_PCD | PTE_A | PTE_D |
		PTE_PS | PTE_G | PTE_AVL) == 0xfff,
	       "bits 11:0 are attributes and AVL");
_Static_assert((PTE_NX | PTE64_AVL | PTE64_ADDR_4K | 0xfffull) == ~0ull,
	       "a 64-bit entry is attributes, address, AVL and NX");

#endif
