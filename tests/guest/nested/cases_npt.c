// SPDX-License-Identifier: MIT
/*
 * The nested-paging matrix (docs/semantics.md §5.1 rows 1-8, §7.1): one NPT entry on the path of a region-1 page is changed, L2 reads,
 * writes or fetches there, and the #NPF must carry
 *   exit_info_1 = P (protection/reserved) | RW (write) | US (always 1:
 *                 every NPT access is a user access, §5.2) | RSVD |
 *                 ID (fetch, iff L1 EFER.NXE or CR4.SMEP, §6.1) |
 *                 bit 32 (final GPA) or bit 33 (L2 page-table access)
 *   exit_info_2 = the guest-physical address (exact for the final stage).
 * L1 runs with the firmware's EFER.NXE=1, CR4.SMEP=0 unless a case says
 * otherwise.  Reads and writes target GPA_DATA + 0x128, fetches
 * GPA_CODE + 0x40 (L2 maps linear = guest-physical there).
 */
#include "nested.h"
#include "npf_check.h"
#include "npt.h"
#include "mm/pferr.h"

#define OFF_DATA 0x128u
#define OFF_CODE 0x40u
#define US PFERR_USER
#define FINAL PFERR_GUEST_FINAL

struct npt_case {
	const char *name;
	enum npt_level lvl;
	enum access acc;
	uint64_t clear, set;   /* entry bits to clear / set */
	int rsvd_maxphy;       /* set bit MAXPHYADDR (reserved) in the entry */
	uint64_t want;         /* exit_info_1 without RW, ID and stage bit */
	int no_fault;          /* the access must succeed */
};

#define NP(l, ln, a, an) { "npf.notpresent." ln "." an, l, a, PTE_P, 0, 0, US, 0 }
#define U0(l, ln, a, an) { "npf.user0." ln "." an, l, a, PTE_US, 0, 0, PFERR_PRESENT | US, 0 }
#define RS(l, ln, a, an) { "npf.rsvd.maxphyaddr_bit." ln "." an, l, a, 0, 0, 1, \
			   PFERR_PRESENT | PFERR_RSVD | US, 0 }

static const struct npt_case ncases[] = {
	NP(LVL_PML4, "pml4", ACC_READ, "read"),
	NP(LVL_PML4, "pml4", ACC_WRITE, "write"),
	NP(LVL_PML4, "pml4", ACC_FETCH, "fetch"),
	NP(LVL_PDPT, "pdpt", ACC_READ, "read"),
	NP(LVL_PDPT, "pdpt", ACC_WRITE, "write"),
	NP(LVL_PDPT, "pdpt", ACC_FETCH, "fetch"),
	NP(LVL_PD, "pd", ACC_READ, "read"),
	NP(LVL_PD, "pd", ACC_WRITE, "write"),
	NP(LVL_PD, "pd", ACC_FETCH, "fetch"),
	NP(LVL_PT, "pt", ACC_READ, "read"),
	NP(LVL_PT, "pt", ACC_WRITE, "write"),
	NP(LVL_PT, "pt", ACC_FETCH, "fetch"),
	{ "npf.readonly.pt.write", LVL_PT, ACC_WRITE, PTE_RW, 0, 0, PFERR_PRESENT | US, 0 },
	{ "npf.readonly.pd.write", LVL_PD, ACC_WRITE, PTE_RW, 0, 0, PFERR_PRESENT | US, 0 },
	{ "npf.readonly.pt.read_ok", LVL_PT, ACC_READ, PTE_RW, 0, 0, 0, 1 },
	U0(LVL_PML4, "pml4", ACC_READ, "read"),
	U0(LVL_PDPT, "pdpt", ACC_READ, "read"),
	U0(LVL_PD, "pd", ACC_READ, "read"),
	U0(LVL_PT, "pt", ACC_READ, "read"),
	U0(LVL_PT, "pt", ACC_WRITE, "write"),
	U0(LVL_PT, "pt", ACC_FETCH, "fetch"),
	{ "npf.nx.pt.fetch", LVL_PT, ACC_FETCH, 0, PTE_NX, 0, PFERR_PRESENT | US, 0 },
	{ "npf.nx.pd.fetch", LVL_PD, ACC_FETCH, 0, PTE_NX, 0, PFERR_PRESENT | US, 0 },
	{ "npf.nx.pt.read_ok", LVL_PT, ACC_READ, 0, PTE_NX, 0, 0, 1 },
	RS(LVL_PML4, "pml4", ACC_READ, "read"),
	RS(LVL_PDPT, "pdpt", ACC_READ, "read"),
	RS(LVL_PD, "pd", ACC_READ, "read"),
	RS(LVL_PT, "pt", ACC_READ, "read"),
	RS(LVL_PT, "pt", ACC_WRITE, "write"),
	RS(LVL_PT, "pt", ACC_FETCH, "fetch"),
	{ "npf.rsvd.ps_in_pml4.read", LVL_PML4, ACC_READ, 0, PTE_PS, 0,
	  PFERR_PRESENT | PFERR_RSVD | US, 0 },
};
#define N_NPT (sizeof(ncases) / sizeof(ncases[0]))

static unsigned current;

static int run_npt_case(void)
{
	const struct npt_case *c = &ncases[current++];
	unsigned idx = c->acc == ACC_FETCH ? NPT_IDX_CODE : NPT_IDX_DATA;
	uint64_t gpa = c->acc == ACC_FETCH ? GPA_CODE + OFF_CODE : GPA_DATA + OFF_DATA;
	uint64_t *e, want, val = 0;

	npt_reset();
	code_vmmcall(OFF_CODE);
	e = npt_entry(c->lvl, idx);
	*e = (*e & ~c->clear) | c->set;
	if (c->rsvd_maxphy)
		*e |= 1ull << env.maxphyaddr;
	npf_run(c->acc, gpa, &val);
	if (c->no_fault)
		return expect_exit(env.vmcb, VMEXIT_VMMCALL) &
		       TAP_EXPECT_EQ("value read", val, DATA_PATTERN);
	want = c->want | FINAL;
	if (c->acc == ACC_WRITE)
		want |= PFERR_WRITE;
	if (c->acc == ACC_FETCH)
		want |= id_bit();
	return expect_npf(want, gpa);
}

static struct tap_case cases[N_NPT];

struct case_list npt_cases(void)
{
	current = 0;
	for (unsigned i = 0; i < N_NPT; i++)
		cases[i] = (struct tap_case){ ncases[i].name, run_npt_case };
	return (struct case_list){ cases, N_NPT };
}
