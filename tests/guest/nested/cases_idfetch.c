// SPDX-License-Identifier: MIT
/*
 * has_pferr_fetch (docs/semantics.md §6): the I/D bit (4) of a
 * #NPF caused by an L2 instruction fetch is set iff L1 (the host of the
 * NPT walk) runs with EFER.NXE=1 or CR4.SMEP=1; L2's own EFER.NXE and
 * CR4.SMEP do not matter.  Checked for a not-present fetch (row 1) and a
 * reserved-bit fetch (row 2) under all four L1 combinations, and with L2's
 * NXE/SMEP set opposite to L1's.
 */
#include "nested.h"
#include "npf_check.h"
#include "npt.h"
#include "core/x86.h"
#include "mm/pferr.h"

#define OFF_CODE 0x40u

struct id_case {
	const char *name;
	int l1_nxe, l1_smep;
	int l2_nxe, l2_smep;   /* -1: as L1 */
	int rsvd;              /* 0: not present, 1: reserved bit */
};

static const struct id_case icases[] = {
	{ "npf.idfetch.notpresent.l1nxe0.l1smep0", 0, 0, -1, -1, 0 },
	{ "npf.idfetch.notpresent.l1nxe0.l1smep1", 0, 1, -1, -1, 0 },
	{ "npf.idfetch.notpresent.l1nxe1.l1smep0", 1, 0, -1, -1, 0 },
	{ "npf.idfetch.notpresent.l1nxe1.l1smep1", 1, 1, -1, -1, 0 },
	{ "npf.idfetch.rsvd.l1nxe0.l1smep0", 0, 0, -1, -1, 1 },
	{ "npf.idfetch.rsvd.l1nxe0.l1smep1", 0, 1, -1, -1, 1 },
	{ "npf.idfetch.rsvd.l1nxe1.l1smep0", 1, 0, -1, -1, 1 },
	{ "npf.idfetch.rsvd.l1nxe1.l1smep1", 1, 1, -1, -1, 1 },
	{ "npf.idfetch.notpresent.l1nxe0.l1smep0.l2nxe1.l2smep1", 0, 0, 1, 1, 0 },
	{ "npf.idfetch.notpresent.l1nxe1.l1smep0.l2nxe0.l2smep0", 1, 0, 0, 0, 0 },
	{ "npf.idfetch.notpresent.l1nxe0.l1smep1.l2nxe0.l2smep0", 0, 1, 0, 0, 0 },
	{ "npf.idfetch.rsvd.l1nxe0.l1smep0.l2nxe1.l2smep1", 0, 0, 1, 1, 1 },
};
#define N_ID (sizeof(icases) / sizeof(icases[0]))

static unsigned current;

static int run_id_case(void)
{
	const struct id_case *c = &icases[current++];
	struct vmcb *v = env.vmcb;
	uint64_t gpa = GPA_CODE + OFF_CODE, want;
	int ok;

	if (c->l1_smep && !env.smep) {
		tap_diag("CPUID 7.0 EBX[7] (SMEP) clear: L1 cannot set CR4.SMEP");
		return 0;
	}
	env_set_l1_paging(c->l1_nxe, c->l1_smep);
	npt_reset();
	code_vmmcall(OFF_CODE);
	if (c->rsvd)
		npt.pt1[NPT_IDX_CODE] |= 1ull << env.maxphyaddr;
	else
		npt.pt1[NPT_IDX_CODE] &= ~PTE_P;
	vmcb_default(v, NULL);
	vmcb_use_npt(v);
	if (c->l2_nxe >= 0)
		v->save.efer = c->l2_nxe ? v->save.efer | X86_EFER_NXE : v->save.efer & ~X86_EFER_NXE;
	if (c->l2_smep >= 0)
		v->save.cr4 = c->l2_smep ? v->save.cr4 | X86_CR4_SMEP : v->save.cr4 & ~X86_CR4_SMEP;
	npf_run_vmcb(v, ACC_FETCH, gpa, NULL);
	/* Expected from L1's NXE/SMEP alone (§6.1). */
	want = PFERR_GUEST_FINAL | PFERR_USER |
	       (c->rsvd ? PFERR_PRESENT | PFERR_RSVD : 0) |
	       (c->l1_nxe || c->l1_smep ? PFERR_FETCH : 0);
	ok = expect_npf(want, gpa);
	env_set_l1_paging(env.fw_nxe, env.fw_smep);
	return ok;
}

static struct tap_case cases[N_ID];

struct case_list idfetch_cases(void)
{
	current = 0;
	for (unsigned i = 0; i < N_ID; i++)
		cases[i] = (struct tap_case){ icases[i].name, run_id_case };
	return (struct case_list){ cases, N_ID };
}
