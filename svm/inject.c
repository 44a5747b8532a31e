// SPDX-License-Identifier: MIT
#include "svm/intercepts.h"

void inject_exception(struct cpu *cpu, unsigned vector, bool has_err,
		      uint32_t err)
{
	struct vmcb_control *c = &cpu->cur->control;

	c->event_inj = (vector & EVTINJ_VEC_MASK) | EVTINJ_TYPE_EXC |
		       EVTINJ_VALID | (has_err ? EVTINJ_EV : 0);
	c->event_inj_err = err;
}

void inject_nmi(struct cpu *cpu)
{
	struct vmcb_control *c = &cpu->cur->control;

	c->event_inj = 2 | EVTINJ_TYPE_NMI | EVTINJ_VALID;
	c->event_inj_err = 0;
}

bool event_inj_pending(const struct vmcb *v)
{
	return v->control.event_inj & EVTINJ_VALID;
}
