// SPDX-License-Identifier: MIT
/*
 * Every event nestvisor puts into a VMCB goes through event_inject(): it
 * checks the event with the VMRUN's own rule (svm/event.c), so that a
 * nestvisor bug shows as a logged error naming the event, never as a
 * VMCB the CPU refuses.  Exceptions nestvisor raises in a guest go
 * through inject_exception(), which gives L1 the #VMEXIT when L1
 * intercepts that exception for its L2 (APM Vol. 2 §15.12).  Every
 * instruction nestvisor completes for a guest ends in
 * instruction_completed(): RF cleared, and the single-step trap when TF
 * was set (APM Vol. 2 §13.1.4: a #DB trap after the instruction, DR6.BS).
 */
#include "core/log.h"
#include "svm/event.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"

/* nestvisor injects neither #CP nor #VC: the strictest legality. */
static const struct event_caps l0_event_caps = { false, false };

void event_inject(struct cpu *cpu, struct vmcb *v, union svm_event ev,
		  uint32_t err)
{
	struct vmcb_control *c = &v->control;

	if (!event_inj_legal(ev, &l0_event_caps)) {
		log_error("nestvisor bug: EVENTINJ 0x%x (error code 0x%x) is "
			  "illegal (APM Vol. 2 §15.20): not injected",
			  ev.raw, err);
		return;
	}
	c->event_inj = ev;
	c->event_inj_err = ev.ev ? err : 0;
	cpu->injected[v != cpu->vmcb01] = ev;
}

void inject_exception(struct cpu *cpu, enum x86_vector vector, bool has_err,
		      uint32_t err)
{
	union svm_event ev = {
		.vector = vector, .type = SVM_EVENT_EXCEPTION, .ev = has_err,
		.valid = 1,
	};

	if (cpu->nested.guest_mode &&
	    nested_l1_intercepts(cpu, VMEXIT_EXCP_BASE + vector, 0)) {
		/* EXITINFO1: the error code the exception would push. */
		nested_vmexit(cpu, VMEXIT_EXCP_BASE + vector,
			      has_err ? err : 0, 0, 0);
		return;
	}
	event_inject(cpu, cpu->cur, ev, err);
}

void instruction_completed_slow(struct cpu *cpu)
{
	struct vmcb_save *s = &cpu->cur->save;
	bool tf = s->rflags & X86_RFLAGS_TF;

	/* TF may be vNMI's single step (svm/nested_feat_vnmi.c): the trap
	 * is then only L2's if L2's own TF was set. */
	if (cpu->nested.guest_mode)
		tf = nested_feat_completed(cpu, &cpu->nested.feat, tf);
	s->rflags &= ~X86_RFLAGS_RF;
	if (tf) {
		s->dr6 |= X86_DR6_BS;
		inject_exception(cpu, X86_VEC_DB, false, 0);
	}
}

void reinject_interrupted(struct cpu *cpu, union svm_event exitintinfo,
			  uint32_t err)
{
	union svm_event ev =
		event_to_reinject(cpu->entered_with, event_from_cpu(exitintinfo));

	if (ev.valid && !cpu->cur->control.event_inj.valid)
		event_inject(cpu, cpu->cur, ev, err);
}

void inject_nmi(struct cpu *cpu)
{
	union svm_event ev = {
		.vector = X86_VEC_NMI, .type = SVM_EVENT_NMI, .valid = 1,
	};

	event_inject(cpu, cpu->cur, ev, 0);
}

bool event_inj_pending(const struct vmcb *v)
{
	return v->control.event_inj.valid;
}
