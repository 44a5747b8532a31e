/* SPDX-License-Identifier: MIT */
/*
 * The test's own NPT (L1's nested page tables for L2) and L2's page tables.
 * Long-mode 4-level format, AMD APM Vol. 2 §5.3 (page-translation entries)
 * and §15.25 (nested paging: NPT entries have the same format, and every
 * NPT access is a user access).
 *
 * Guest-physical map (NPT, nCR3 = npt.pml4):
 *   [0, 4 GiB)        identity, 2 MiB pages (L2 code, stack, IDT, tables)
 *   R1 + 0x0000       -> data page       (4 KiB, nPTE index NPT_IDX_DATA)
 *   R1 + 0x1000       -> code page       (4 KiB, index NPT_IDX_CODE)
 *   R1 + 0x2000       -> L2 page table   (4 KiB, index NPT_IDX_L2PT)
 *   R1 + 0x3000       -> second data page(4 KiB, index NPT_IDX_DATA2)
 *   R1 + 1 GiB        -> 2 MiB NPT page on the 2 MiB block of `marker`
 *   R1 + 2 GiB        -> 1 GiB NPT page on the 1 GiB block of `marker`
 * L2's page tables (CR3 = npt.l2_pml4, guest-physical = host-physical for
 * the tables in low memory) map linear R1 + x to guest-physical R1 + x:
 *   R1 + [0, 2 MiB)      4 KiB pages, U=0 (L2 PT in low memory)
 *   R1 + 1 MiB + i*4 KiB the same pages with U=1 (for CPL 3)
 *   R1 + 2 MiB + j*4 KiB -> R1 (data page), through the L2 page table that
 *                        lives at guest-physical R1 + 0x2000 (walk faults)
 *   R1 + 1 GiB           2 MiB page;  R1 + 2 GiB  1 GiB page
 */
#ifndef NV_GUEST_NESTED_NPT_H
#define NV_GUEST_NESTED_NPT_H

#include <stdint.h>

#include "mm/pte.h" /* entry bits, APM Vol. 2 §5.4.1 */

#define R1 (1ull << 39)

#define NPT_IDX_DATA  0
#define NPT_IDX_CODE  1
#define NPT_IDX_L2PT  2
#define NPT_IDX_DATA2 3

#define GPA_DATA   (R1 + 0x0000)
#define GPA_CODE   (R1 + 0x1000)
#define GPA_L2PT   (R1 + 0x2000)
#define GPA_DATA2  (R1 + 0x3000)
#define GPA_2M     (R1 + (1ull << 30))
#define GPA_1G     (R1 + (2ull << 30))

#define LIN_USER_OFF  0x100000ull       /* U=1 alias of the 4 KiB pages */
#define LIN_WALK      (R1 + 0x200000ull) /* mapped through GPA_L2PT */

struct npt {
	/* NPT */
	uint64_t *pml4, *pdpt0, *pd0[4];
	uint64_t *pdpt1, *pd1, *pt1, *pd1_2m;
	/* L2 page tables */
	uint64_t *l2_pml4, *l2_pdpt1, *l2_pd1, *l2_pt1, *l2_pd1_2m;
	uint64_t *l2_pt_walk;       /* host page behind GPA_L2PT */
	/* host pages behind region 1 */
	uint8_t *data, *code, *data2;
	uint64_t marker_pa;         /* address of `npt_marker` */
};
extern struct npt npt;
extern volatile uint64_t npt_marker;
#define NPT_MARKER_VALUE 0x6d61726b65723132ull

/* The NPT entries on the path of a region-1 4 KiB page, by level. */
enum npt_level { LVL_PML4 = 4, LVL_PDPT = 3, LVL_PD = 2, LVL_PT = 1 };
/* Entry of the NPT at `level` on the path to GPA_DATA + idx * 4 KiB. */
uint64_t *npt_entry(enum npt_level level, unsigned idx);
const char *npt_level_name(enum npt_level level);

int npt_alloc(void);
/* Rewrite region 1's NPT and L2 entries to their defaults, with A/D clear
 * in region 1, and fill the data pages with their patterns. */
void npt_reset(void);

#define DATA_PATTERN  0x1122334455667788ull
#define DATA2_PATTERN 0x99aabbccddeeff00ull

#endif
