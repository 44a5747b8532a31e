// SPDX-License-Identifier: MIT
#include "svm/intercepts.h"

void inject_exception(struct cpu *cpu, enum x86_vector vector, bool has_err,
		      uint32_t err)
{
	struct vmcb_control *c = &cpu->cur->control;

	/* An exception of L2's instruction is subject to L1's exception
	 * intercepts, as on the CPU; an injected event would not be. */
	if (cpu->nested.guest_mode && nested_exception_exits(cpu, vector, err, 0))
		return;
	c->event_inj = (union svm_event){
		.vector = vector, .type = SVM_EVENT_EXCEPTION, .ev = has_err,
		.valid = 1,
	};
	c->event_inj_err = err;
}

void inject_nmi(struct cpu *cpu)
{
	cpu->cur->control.event_inj = (union svm_event){
		.vector = X86_VEC_NMI, .type = SVM_EVENT_NMI, .valid = 1,
	};
}
