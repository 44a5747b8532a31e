// SPDX-License-Identifier: MIT
/* NMI virtualization for L2: the rules of feat_vnmi.h. */
#include "svm/feat_vnmi.h"
#include "core/x86.h"
#include "svm/exit_code.h"

void vnmi_vmrun(struct vnmi *v, uint32_t int_ctl, union svm_event inj)
{
	*v = (struct vnmi){ .on = (int_ctl & V_NMI_ENABLE) != 0 };
	if (!v->on)
		return;
	v->pending = (int_ctl & V_NMI_PENDING) != 0;
	v->masked = (int_ctl & V_NMI_BLOCKING) != 0 ||
		    (inj.valid && inj.type == SVM_EVENT_NMI);
}

uint32_t vnmi_int_ctl(const struct vnmi *v, union svm_event exitintinfo)
{
	bool masked = v->masked;

	if (!v->on)
		return 0;
	if (exitintinfo.valid && exitintinfo.type == SVM_EVENT_NMI)
		masked = false;
	return (v->pending ? V_NMI_PENDING : 0) |
	       (masked ? V_NMI_BLOCKING : 0);
}

enum vnmi_action vnmi_next(const struct vnmi *v, const struct vnmi_env *e)
{
	if (!v->on || !v->pending || v->masked)
		return VNMI_NOTHING;
	if (!e->gif)
		return VNMI_WAIT_GIF;
	/* EVENTINJ is delivered whatever the shadow; its delivery ends the
	 * shadow. */
	if (e->event_pending)
		return VNMI_AFTER_EVENT;
	if (e->shadow)
		return VNMI_STEP_OVER;
	return VNMI_INJECT;
}

void vnmi_taken(struct vnmi *v)
{
	v->pending = false;
	v->masked = true;
	v->after_event = false;
}

/* Exceptions a stepped instruction may raise and that vmcb02 intercepts
 * so that none is delivered with nestvisor's TF in its frame: all but
 * the NMI's vector (2, not an exception) and #MC (18, the platform's). */
#define STEP_EXCEPTIONS \
	(0xffffffffu & ~(1u << X86_VEC_NMI) & ~(1u << X86_VEC_MC))

struct vnmi_intercepts vnmi_intercepts(const struct vnmi *v, bool wait_stgi)
{
	struct vnmi_intercepts i = { 0, 0, 0 };

	if (!v->on)
		return i;
	if (v->step != VNMI_STEP_NONE) {
		i.misc1 = INTERCEPT1_INTR | INTERCEPT1_VINTR | INTERCEPT1_SWINT;
		i.exceptions = STEP_EXCEPTIONS;
	} else if (v->masked) {
		i.misc1 = INTERCEPT1(VMEXIT_IRET);
	}
	if (wait_stgi && v->pending && !v->masked)
		i.misc2 = INTERCEPT2_STGI;
	return i;
}

static void set_tf(struct vmcb_save *s, bool tf)
{
	s->rflags = (s->rflags & ~X86_RFLAGS_TF) | (tf ? X86_RFLAGS_TF : 0);
}

void vnmi_step_begin(struct vnmi *v, enum vnmi_step why, bool loads_flags,
		     struct vmcb_save *s)
{
	v->step = (uint8_t)why;
	v->step_tf = (s->rflags & X86_RFLAGS_TF) != 0;
	v->step_flags = loads_flags;
	v->step_dr6 = s->dr6;
	s->dr6 &= ~X86_DR6_BS;
	set_tf(s, true);
}

void vnmi_step_cancel(struct vnmi *v, struct vmcb_save *s)
{
	if (v->step == VNMI_STEP_NONE)
		return;
	set_tf(s, v->step_tf);
	s->dr6 |= v->step_dr6 & X86_DR6_BS;
	v->step = VNMI_STEP_NONE;
}

/* The stepped instruction completed: the IRET's unmasking, and TF as L2
 * has it now (the loaded RFLAGS' own, or L2's from before). */
static void step_completed(struct vnmi *v, struct vmcb_save *s)
{
	if (v->step == VNMI_STEP_IRET)
		v->masked = false;
	if (!v->step_flags)
		set_tf(s, v->step_tf);
	v->step = VNMI_STEP_NONE;
}

enum vnmi_step_result vnmi_step_exit(struct vnmi *v, struct vmcb_save *s,
				     uint64_t code)
{
	bool l2_trap = v->step_tf;

	if (v->step == VNMI_STEP_NONE)
		return VNMI_STEP_GOES_ON;
	if (code == VMEXIT_EXCP_BASE + X86_VEC_DB && (s->dr6 & X86_DR6_BS)) {
		step_completed(v, s);
		if (!l2_trap) {
			s->dr6 = v->step_dr6;
			return VNMI_STEP_DONE;
		}
		s->dr6 |= v->step_dr6;
		return VNMI_STEP_DONE_DB;
	}
	if (vmexit_in(code, VMEXIT_EXCP_BASE, VMEXIT_EXCP_LAST) ||
	    code == VMEXIT_INTR || code == VMEXIT_VINTR ||
	    code == VMEXIT_SWINT) {
		vnmi_step_cancel(v, s);
		return VNMI_STEP_ABORTED;
	}
	return VNMI_STEP_GOES_ON;
}

bool vnmi_step_emulated(struct vnmi *v, struct vmcb_save *s)
{
	bool l2_trap = v->step_tf;

	if (v->step == VNMI_STEP_NONE)
		return (s->rflags & X86_RFLAGS_TF) != 0;
	step_completed(v, s);
	s->dr6 = (s->dr6 & ~X86_DR6_BS) | (v->step_dr6 & X86_DR6_BS);
	return l2_trap;
}
