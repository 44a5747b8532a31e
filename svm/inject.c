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
