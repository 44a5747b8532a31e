// SPDX-License-Identifier: MIT
/*
 * EXITINTINFO made architectural and the EVENTINJ legality check
 * (svm/event.h; AMD APM Vol. 2 §15.20 "Event Injection" and §15.7.2
 * "Intercepts During IDT Interrupt Delivery").
 */
#include "svm/event.h"

#include "core/x86.h"

bool event_vector_is_exception(uint8_t vector, const struct event_caps *caps)
{
	switch (vector) {
	case X86_VEC_DE: case X86_VEC_DB: case X86_VEC_BP: case X86_VEC_OF:
	case X86_VEC_BR: case X86_VEC_UD: case X86_VEC_NM: case X86_VEC_DF:
	case X86_VEC_TS: case X86_VEC_NP: case X86_VEC_SS: case X86_VEC_GP:
	case X86_VEC_PF: case X86_VEC_MF: case X86_VEC_AC: case X86_VEC_MC:
	case X86_VEC_XF: case X86_VEC_HV: case X86_VEC_SX:
		return true;
	case X86_VEC_CP:
		return caps->shstk;
	case X86_VEC_VC:
		return caps->sev_es;
	default:
		return false;
	}
}

bool event_type_defined(union svm_event ev)
{
	return ev.type == SVM_EVENT_INTR || ev.type == SVM_EVENT_NMI ||
	       ev.type == SVM_EVENT_EXCEPTION || ev.type == SVM_EVENT_SOFT_INT;
}

bool event_inj_legal(union svm_event ev, const struct event_caps *caps)
{
	if (!ev.valid)
		return true;
	if (!event_type_defined(ev))
		return false;
	return ev.type != SVM_EVENT_EXCEPTION ||
	       event_vector_is_exception((uint8_t)ev.vector, caps);
}

union svm_event event_from_cpu(union svm_event raw)
{
	union svm_event ev = raw;

	if (!raw.valid || raw.type != SVM_EVENT_EXCEPTION)
		return raw;
	if (raw.vector == X86_VEC_NMI)
		ev.type = SVM_EVENT_NMI;
	else if (raw.vector >= X86_NR_EXCEPTION_VECTORS)
		ev.type = SVM_EVENT_INTR;
	else
		return raw;
	ev.ev = 0;
	return ev;
}

bool event_is_soft(union svm_event ev)
{
	return ev.valid &&
	       (ev.type == SVM_EVENT_SOFT_INT ||
		(ev.type == SVM_EVENT_EXCEPTION &&
		 (ev.vector == X86_VEC_BP || ev.vector == X86_VEC_OF)));
}

union svm_event event_to_reinject(union svm_event entered_with,
				  union svm_event ev)
{
	union svm_event none = { .raw = 0 };

	if (!ev.valid)
		return none;
	if (event_is_soft(ev) && ev.raw != entered_with.raw)
		return none;
	return ev;
}

/* Contributory exceptions, APM Vol. 2 §8.2.9 (Table 8-7). */
static bool contributory(unsigned vector)
{
	return vector == X86_VEC_DE || vector == X86_VEC_TS ||
	       vector == X86_VEC_NP || vector == X86_VEC_SS ||
	       vector == X86_VEC_GP;
}

int event_exception_during(union svm_event first, unsigned vector)
{
	unsigned f = first.vector;

	if (!first.valid || first.type != SVM_EVENT_EXCEPTION)
		return (int)vector;
	if (f == X86_VEC_DF)
		return EVENT_SHUTDOWN;
	if ((contributory(f) && contributory(vector)) ||
	    (f == X86_VEC_PF && (vector == X86_VEC_PF || contributory(vector))))
		return X86_VEC_DF;
	return (int)vector;
}
