// SPDX-License-Identifier: MIT
/*
 * Event injection into L2 through EVENTINJ (AMD APM Vol. 2 §15.20) and
 * EXITINTINFO (§15.7.2) when the delivery of an injected event is
 * interrupted by an intercepted exit.  L2's IDT stubs (l2_code.S) report
 * RAX = vector, RBX = error code (0 when none was pushed), RCX = the
 * interrupted RIP and RDX = CS, through VMMCALL.
 */
#include "nested.h"
#include "npt.h"
#include "mm/pferr.h"
#include "core/x86.h"

extern char l2_vmmcall[];

#define A(p) ((uint64_t)(uintptr_t)(p))

static struct l2_gprs g;

static int inject(uint32_t event, uint32_t err, uint64_t want_vec, uint64_t want_err)
{
	struct vmcb *v = env.vmcb;
	uint32_t vec = event & EVTINJ_VEC_MASK;

	vmcb_default(v, l2_vmmcall);
	if (vec < 32)
		v->control.intercept_exceptions &= ~(1u << vec);
	v->save.rflags = 0x2 | X86_RFLAGS_IF;
	v->control.event_inj.raw = event;
	v->control.event_inj_err = err;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_VMMCALL))
		return 0;
	return TAP_EXPECT_EQ("vector seen by L2's handler", v->save.rax, want_vec) &
	       TAP_EXPECT_EQ("error code pushed (0: none)", g.rbx, want_err) &
	       TAP_EXPECT_EQ("RIP pushed (the RIP of vmcb12)", g.rcx, A(l2_vmmcall)) &
	       TAP_EXPECT_EQ("CS pushed", g.rdx, env.cs_sel);
}

static int inject_gp_err(void)
{
	return inject(EVTINJ_VALID | EVTINJ_TYPE_EXC | EVTINJ_EV | 13, 0x1230, 13, 0x1230);
}

static int inject_ud_noerr(void)
{
	return inject(EVTINJ_VALID | EVTINJ_TYPE_EXC | 6, 0, 6, 0);
}

static int inject_de_noerr(void)
{
	return inject(EVTINJ_VALID | EVTINJ_TYPE_EXC | 0, 0, 0, 0);
}

static int inject_intr(void)
{
	return inject(EVTINJ_VALID | EVTINJ_TYPE_INTR | 0x41, 0, 0x41, 0);
}

/*
 * Delivery of an injected #GP pushes onto L2's stack, which lies in a
 * region-1 page that is not present in the NPT: #NPF (a write, final
 * stage) with EXITINTINFO = the injected event and its error code.
 */
static int inject_exitintinfo(void)
{
	struct vmcb *v = env.vmcb;
	uint32_t ev = EVTINJ_VALID | EVTINJ_TYPE_EXC | EVTINJ_EV | 13;

	npt_reset();
	npt.pt1[NPT_IDX_DATA] = 0;
	vmcb_default(v, l2_vmmcall);
	vmcb_use_npt(v);
	v->control.intercept_exceptions &= ~(1u << 13);
	v->save.rsp = GPA_DATA + 0x800;
	v->control.event_inj.raw = ev;
	v->control.event_inj_err = 0x1230;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_NPF))
		return 0;
	return TAP_EXPECT_EQ("exit_info_1", v->control.exit_info_1,
			     PFERR_GUEST_FINAL | PFERR_USER | PFERR_WRITE) &
	       TAP_EXPECT_EQ("exit_int_info", v->control.exit_int_info.raw, ev) &
	       TAP_EXPECT_EQ("exit_int_info_err", v->control.exit_int_info_err, 0x1230);
}

static const struct tap_case cases[] = {
	{ "inject.exception.gp_with_error_code", inject_gp_err },
	{ "inject.exception.ud_no_error_code", inject_ud_noerr },
	{ "inject.exception.de_no_error_code", inject_de_noerr },
	{ "inject.intr.vector_0x41", inject_intr },
	{ "inject.exitintinfo.npf_during_delivery", inject_exitintinfo },
};

struct case_list inject_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
