// SPDX-License-Identifier: MIT
#include "svm/intercepts.h"

void inject_exception(struct cpu *cpu, enum x86_vector vector, bool has_err,
		      uint32_t err)
{
	struct vmcb_control *c = &cpu->cur->control;

	c->event_inj = (union svm_event){
		.vector = vector, .type = SVM_EVENT_EXCEPTION, .ev = has_err,
		.valid = 1,
	};
	c->event_inj_err = err;
}
