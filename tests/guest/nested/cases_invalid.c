// SPDX-License-Identifier: MIT
/*
 * VMRUN consistency checks (docs/semantics.md §8; AMD APM Vol. 2
 * §15.5.1 "Basic Operation", the list of illegal VMCB states): each case
 * breaks one rule in an otherwise valid vmcb12 and expects #VMEXIT with
 * exit_code VMEXIT_INVALID (-1; QEMU stores a 32-bit -1, both accepted).
 * Then L1 must carry on: a valid vmcb12 runs L2 to its VMMCALL.
 */
#include "nested.h"
#include "core/x86.h"

extern char l2_vmmcall[];

#define EFER_RSVD_BIT9 (1ull << 9)

struct invalid_case {
	const char *name;
	void (*mutate)(struct vmcb *v);
};

static void svme0(struct vmcb *v) { v->save.efer &= ~X86_EFER_SVME; }
static void cd0_nw1(struct vmcb *v) { v->save.cr0 = (v->save.cr0 & ~X86_CR0_CD) | X86_CR0_NW; }
static void cr0_upper(struct vmcb *v) { v->save.cr0 |= 1ull << 32; }
static void dr6_upper(struct vmcb *v) { v->save.dr6 |= 1ull << 32; }
static void dr7_upper(struct vmcb *v) { v->save.dr7 |= 1ull << 32; }
static void lm_pae0(struct vmcb *v) { v->save.cr4 &= ~X86_CR4_PAE; }
static void lm_pe0(struct vmcb *v) { v->save.cr0 &= ~X86_CR0_PE; }
static void cs_l_d(struct vmcb *v) { v->save.cs.attrib.raw |= SEG_ATTR_L | SEG_ATTR_DB; }
static void efer_rsvd(struct vmcb *v) { v->save.efer |= EFER_RSVD_BIT9; }
static void cr3_mbz(struct vmcb *v) { v->save.cr3 |= 1ull << 52; }
static void cr4_rsvd(struct vmcb *v) { v->save.cr4 |= 1ull << 32; }
static void no_vmrun_intercept(struct vmcb *v) { v->control.intercept_misc2 &= ~INTERCEPT2_VMRUN; }
static void asid0(struct vmcb *v) { v->control.asid = 0; }
static void ncr3_maxphy(struct vmcb *v)
{
	vmcb_use_npt(v);
	v->control.nested_cr3 = 1ull << env.maxphyaddr;
}
static void msrpm_maxphy(struct vmcb *v)
{
	v->control.intercept_misc1 |= INTERCEPT1_MSR_PROT;
	v->control.msrpm_base_pa = 1ull << env.maxphyaddr;
}
static void iopm_maxphy(struct vmcb *v)
{
	v->control.intercept_misc1 |= INTERCEPT1_IOIO_PROT;
	v->control.iopm_base_pa = 1ull << env.maxphyaddr;
}
/* Type 1 is reserved (0 INTR, 2 NMI, 3 exception, 4 software interrupt). */
static void evtinj_type(struct vmcb *v)
{
	v->control.event_inj.raw = EVTINJ_VALID | (1u << EVTINJ_TYPE_SHIFT) | 0x20;
}
/* An exception with vector 2 (NMI is not an exception). */
static void evtinj_vector(struct vmcb *v)
{
	v->control.event_inj.raw = EVTINJ_VALID | EVTINJ_TYPE_EXC | 2;
}

static const struct invalid_case icases[] = {
	{ "invalid.save.efer_svme0", svme0 },
	{ "invalid.save.cr0_cd0_nw1", cd0_nw1 },
	{ "invalid.save.cr0_upper_bits", cr0_upper },
	{ "invalid.save.dr6_upper_bits", dr6_upper },
	{ "invalid.save.dr7_upper_bits", dr7_upper },
	{ "invalid.save.long_mode_cr4_pae0", lm_pae0 },
	{ "invalid.save.long_mode_cr0_pe0", lm_pe0 },
	{ "invalid.save.cs_l_and_d", cs_l_d },
	{ "invalid.save.efer_reserved_bit9", efer_rsvd },
	{ "invalid.save.cr3_mbz_bit52", cr3_mbz },
	{ "invalid.save.cr4_reserved_bit32", cr4_rsvd },
	{ "invalid.ctl.no_vmrun_intercept", no_vmrun_intercept },
	{ "invalid.ctl.asid0", asid0 },
	{ "invalid.ctl.ncr3_beyond_maxphyaddr", ncr3_maxphy },
	{ "invalid.ctl.msrpm_beyond_maxphyaddr", msrpm_maxphy },
	{ "invalid.ctl.iopm_beyond_maxphyaddr", iopm_maxphy },
	{ "invalid.ctl.eventinj_reserved_type", evtinj_type },
	{ "invalid.ctl.eventinj_exception_vector2", evtinj_vector },
};
#define N_INVALID (sizeof(icases) / sizeof(icases[0]))

static unsigned current;

static int run_invalid(void)
{
	const struct invalid_case *c = &icases[current++];
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };
	int ok;

	vmcb_default(v, l2_vmmcall);
	c->mutate(v);
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_INVALID);
	/* L1 carries on: the next, valid, VMRUN works. */
	vmcb_default(v, l2_vmmcall);
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_VMMCALL)) {
		tap_diag("valid VMRUN after the invalid one failed");
		ok = 0;
	}
	return ok;
}

static struct tap_case cases[N_INVALID];

struct case_list invalid_cases(void)
{
	current = 0;
	for (unsigned i = 0; i < N_INVALID; i++)
		cases[i] = (struct tap_case){ icases[i].name, run_invalid };
	return (struct case_list){ cases, N_INVALID };
}
