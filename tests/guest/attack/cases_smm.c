// SPDX-License-Identifier: MIT
/*
 * Group "smm" (firmware with SMM: QEMU q35 smm=on, OVMF's SMM build): a
 * write to the APM control port 0xB2 raises an SMI on q35 (ICH9 APM_CNT,
 * with APM_EN set by the firmware).  From L1 and from L2 (port 0xB2 is
 * not in L1's IOPM), the SMI must be taken outside the guest and the
 * guest must go on after its OUT: L1 returns from it, L2 reaches its
 * VMMCALL.  nestvisor logs each SMI at log = debug ("SMI taken in host
 * mode"), which the test checks, one for L1 and one for L2.
 * The value written, 0, is no command OVMF's SMI handlers act on.
 */
#include "attack.h"
#include "core/x86.h"

#define APM_CNT 0xb2u

static int l1_smi(void)
{
	struct l1_trap t = try_out8(APM_CNT, 0);

	return expect_vector("OUT 0xB2 from L1", t, -1);
}

static int l2_smi(void)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rdx = APM_CNT };

	vmcb_default(v, l2_out8);
	v->save.rax = 0;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL);
}

static const struct tap_case smm_cases[] = {
	{ "smm.smi_from_l1", l1_smi },
	{ "smm.smi_from_l2", l2_smi },
	{ "smm.hypervisor_intact", hv_intact },
};

struct attack_group smm_group(void)
{
	return (struct attack_group){ "smm", "q35 smm=on, OVMF with SMM",
				      smm_cases, TAP_COUNT(smm_cases) };
}
