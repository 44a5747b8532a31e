// SPDX-License-Identifier: MIT
/* Helpers of the NPT cases (npf_check.h). */
#include "npf_check.h"
#include "npt.h"
#include "core/x86.h"
#include "mm/pferr.h"

extern char l2_read[], l2_write[];


uint64_t npf_run_vmcb(struct vmcb *v, enum access acc, uint64_t lin, uint64_t *val)
{
	struct l2_gprs g = { .rbx = lin, .rcx = 0x5a5a5a5a5a5a5a5aull };

	if (acc == ACC_FETCH)
		v->save.rip = lin;
	else
		v->save.rip = (uint64_t)(uintptr_t)(acc == ACC_READ ? l2_read : l2_write);
	l2_run(v, &g);
	if (val)
		*val = g.rcx;
	return v->control.exit_code;
}

uint64_t npf_run(enum access acc, uint64_t lin, uint64_t *val)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_read);
	vmcb_use_npt(v);
	return npf_run_vmcb(v, acc, lin, val);
}

int expect_npf(uint64_t info1, uint64_t info2)
{
	const struct vmcb *v = env.vmcb;

	if (!expect_exit(v, VMEXIT_NPF))
		return 0;
	return TAP_EXPECT_EQ("exit_info_1", v->control.exit_info_1, info1) &
	       TAP_EXPECT_EQ("exit_info_2", v->control.exit_info_2, info2);
}

uint64_t id_bit(void)
{
	return (env.l1_efer & X86_EFER_NXE) || (env.l1_cr4 & X86_CR4_SMEP) ? PFERR_FETCH : 0;
}

void code_vmmcall(unsigned off)
{
	npt.code[off] = 0x0f;
	npt.code[off + 1] = 0x01;
	npt.code[off + 2] = 0xd9;
	npt.code[off + 3] = 0xf4;
}
