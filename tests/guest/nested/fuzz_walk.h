/* SPDX-License-Identifier: MIT */
/*
 * The fuzz mode's own walker of a 4-level nested page table (fuzz_walk.c):
 * the oracle of the random-NPT samples, written from the AMD APM and
 * docs/semantics.md §5-§7, sharing nothing with nestvisor's mm/.
 */
#ifndef NV_GUEST_NESTED_FUZZ_WALK_H
#define NV_GUEST_NESTED_FUZZ_WALK_H

#include <stdint.h>

/* Long-mode page-table entry bits, APM Vol. 2 §5.4.1 and Figures 5-18 to
 * 5-25 (4-level: PML4E, PDPE, PDE, PTE; 1 GiB PDPE and 2 MiB PDE leaves). */
#define FW_P     (1ull << 0)
#define FW_RW    (1ull << 1)
#define FW_US    (1ull << 2)
#define FW_PWT   (1ull << 3)
#define FW_PCD   (1ull << 4)
#define FW_A     (1ull << 5)
#define FW_D     (1ull << 6)
#define FW_PS    (1ull << 7)   /* PAT in a 4 KiB PTE */
#define FW_G     (1ull << 8)
#define FW_NX    (1ull << 63)

/* #NPF EXITINFO1, APM Vol. 2 §15.25.6 (docs/semantics.md §7.1). */
#define FW_EC_P     (1ull << 0)
#define FW_EC_RW    (1ull << 1)
#define FW_EC_US    (1ull << 2)
#define FW_EC_RSVD  (1ull << 3)
#define FW_EC_ID    (1ull << 4)
#define FW_EC_FINAL (1ull << 32)
#define FW_EC_PT    (1ull << 33)

enum fw_access { FW_READ, FW_WRITE, FW_FETCH };

/* The host of the walk (L1 at its VMRUN) and the guest's access. */
struct fw_ctx {
	unsigned maxphy;        /* L1's MAXPHYADDR */
	int nxe, smep;          /* L1's EFER.NXE and CR4.SMEP */
	int gbpages;            /* 1 GiB pages (CPUID 8000_0001 EDX[26]) */
	int gmet;               /* vmcb12's GMET, as offered */
	int cpl;                /* L2's CPL */
	int pml4_bit8_rsvd;     /* AMD: bit 8 of a PML4E is reserved */
	int tcg;                /* report as QEMU TCG does (§10.2) */
	/* May the oracle read the table page at pa (RAM whose contents it
	 * knows)?  If not, the outcome is unknown. */
	int (*readable)(uint64_t pa);
};

enum fw_kind { FW_OK, FW_FAULT, FW_UNKNOWN };
enum fw_fault { FW_NOT_PRESENT, FW_RESERVED, FW_PERMISSION };

struct fw_result {
	enum fw_kind kind;
	enum fw_fault fault;     /* FW_FAULT */
	unsigned level;          /* FW_FAULT: level of the faulting entry
				  * (0: permission); FW_OK: the leaf's */
	uint64_t info1;          /* FW_FAULT: EXITINFO1 */
	uint64_t hpa;            /* FW_OK: L1 physical address accessed */
	uint64_t entry_pa[4];    /* the entries read, root first */
	unsigned n_entries;
	const char *why;         /* FW_UNKNOWN, FW_FAULT: a word on why */
};

/* Walk gpa through the nested table at root_pa for access acc at the
 * final stage (pt_stage 0) or as a guest page-table access (1). */
void fw_walk(const struct fw_ctx *c, uint64_t root_pa, uint64_t gpa,
	     enum fw_access acc, int pt_stage, struct fw_result *r);

#endif
