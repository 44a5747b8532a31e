// SPDX-License-Identifier: MIT
/*
 * Builder of the test NPT and of L2's page tables (map in npt.h).  The low
 * 4 GiB are built once; region 1 is rewritten by npt_reset() before every
 * case, so that each case starts from the same tables.
 */
#include "npt.h"
#include "nested.h"

struct npt npt;
volatile uint64_t npt_marker = NPT_MARKER_VALUE;

#define NPT_RWU (PTE_P | PTE_RW | PTE_US)
#define GIB (1ull << 30)
#define MIB2 (1ull << 21)

static uint64_t pa(const volatile void *p)
{
	return (uint64_t)(uintptr_t)p;
}

int npt_alloc(void)
{
	uint64_t **pages[] = {
		&npt.pml4, &npt.pdpt0, &npt.pd0[0], &npt.pd0[1], &npt.pd0[2],
		&npt.pd0[3], &npt.pdpt1, &npt.pd1, &npt.pt1, &npt.pd1_2m,
		&npt.l2_pml4, &npt.l2_pdpt1, &npt.l2_pd1, &npt.l2_pt1,
		&npt.l2_pd1_2m, &npt.l2_pt_walk,
	};
	for (unsigned i = 0; i < sizeof(pages) / sizeof(pages[0]); i++) {
		*pages[i] = env_page();
		if (!*pages[i])
			return 0;
	}
	npt.data = env_page();
	npt.code = env_page();
	npt.data2 = env_page();
	if (!npt.data || !npt.code || !npt.data2)
		return 0;
	npt.marker_pa = pa(&npt_marker);

	/* Low 4 GiB: identity, 2 MiB pages, user + writable (NPT). */
	npt.pml4[0] = pa(npt.pdpt0) | NPT_RWU;
	for (uint64_t i = 0; i < 4; i++) {
		npt.pdpt0[i] = pa(npt.pd0[i]) | NPT_RWU;
		for (uint64_t j = 0; j < 512; j++)
			npt.pd0[i][j] = (i * GIB + j * MIB2) | NPT_RWU | PTE_PS;
	}
	npt_reset();
	return 1;
}

void npt_reset(void)
{
	/* NPT, region 1. */
	npt.pml4[1] = pa(npt.pdpt1) | NPT_RWU;
	for (unsigned i = 0; i < 512; i++) {
		npt.pdpt1[i] = 0;
		npt.pd1[i] = 0;
		npt.pt1[i] = 0;
		npt.pd1_2m[i] = 0;
	}
	npt.pdpt1[0] = pa(npt.pd1) | NPT_RWU;
	npt.pdpt1[1] = pa(npt.pd1_2m) | NPT_RWU;
	npt.pdpt1[2] = (npt.marker_pa & ~(GIB - 1)) | NPT_RWU | PTE_PS;
	npt.pd1[0] = pa(npt.pt1) | NPT_RWU;
	npt.pd1_2m[0] = (npt.marker_pa & ~(MIB2 - 1)) | NPT_RWU | PTE_PS;
	npt.pt1[NPT_IDX_DATA] = pa(npt.data) | NPT_RWU;
	npt.pt1[NPT_IDX_CODE] = pa(npt.code) | NPT_RWU;
	npt.pt1[NPT_IDX_L2PT] = pa(npt.l2_pt_walk) | NPT_RWU;
	npt.pt1[NPT_IDX_DATA2] = pa(npt.data2) | NPT_RWU;

	/* L2's page tables: low 4 GiB as L1 sees them, region 1 as above. */
	for (unsigned i = 0; i < 512; i++) {
		npt.l2_pml4[i] = 0;
		npt.l2_pdpt1[i] = 0;
		npt.l2_pd1[i] = 0;
		npt.l2_pt1[i] = 0;
		npt.l2_pd1_2m[i] = 0;
		npt.l2_pt_walk[i] = 0;
	}
	npt.l2_pml4[0] = ((uint64_t *)(uintptr_t)env.l1_cr3)[0];
	npt.l2_pml4[1] = pa(npt.l2_pdpt1) | NPT_RWU;
	npt.l2_pdpt1[0] = pa(npt.l2_pd1) | NPT_RWU;
	npt.l2_pdpt1[1] = pa(npt.l2_pd1_2m) | NPT_RWU;
	npt.l2_pdpt1[2] = GPA_1G | PTE_P | PTE_RW | PTE_PS;
	npt.l2_pd1[0] = pa(npt.l2_pt1) | NPT_RWU;
	npt.l2_pd1[1] = GPA_L2PT | NPT_RWU;
	npt.l2_pd1_2m[0] = GPA_2M | PTE_P | PTE_RW | PTE_PS;
	for (uint64_t i = 0; i < 4; i++) {
		npt.l2_pt1[i] = (R1 + i * PAGE_SIZE) | PTE_P | PTE_RW;
		npt.l2_pt1[(LIN_USER_OFF / PAGE_SIZE) + i] =
			(R1 + i * PAGE_SIZE) | NPT_RWU;
	}
	for (unsigned j = 0; j < 8; j++)
		npt.l2_pt_walk[j] = GPA_DATA | PTE_P | PTE_RW;

	/* Data patterns; the code page is filled by the cases. */
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++) {
		((uint64_t *)npt.data)[i] = DATA_PATTERN;
		((uint64_t *)npt.data2)[i] = DATA2_PATTERN;
	}
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		npt.code[i] = 0xf4; /* HLT */
}

uint64_t *npt_entry(enum npt_level level, unsigned idx)
{
	switch (level) {
	case LVL_PML4: return &npt.pml4[1];
	case LVL_PDPT: return &npt.pdpt1[0];
	case LVL_PD: return &npt.pd1[0];
	default: return &npt.pt1[idx];
	}
}

const char *npt_level_name(enum npt_level level)
{
	switch (level) {
	case LVL_PML4: return "pml4";
	case LVL_PDPT: return "pdpt";
	case LVL_PD: return "pd";
	default: return "pt";
	}
}
