/* SPDX-License-Identifier: MIT */
/*
 * Events as SVM carries them: EXITINTINFO as read from the CPU, made
 * architectural, and the legality of an EVENTINJ value (AMD APM Vol. 2
 * §15.20 and §15.7.2).  Pure C: builds into nestvisor and into host tests.
 */
#ifndef NV_SVM_EVENT_H
#define NV_SVM_EVENT_H

#include <stdbool.h>
#include <stdint.h>

#include "svm/vmcb.h"

/* The CPU facts an EVENTINJ check depends on. */
struct event_caps {
	bool shstk;  /* #CP (21) exists: CET shadow stacks */
	bool sev_es; /* #VC (29) exists: SEV-ES */
};

/* Does vector name an exception (APM Vol. 2 Table 8-1)?  2 is the NMI,
 * not an exception; 9, 15, 20, 22-27 and 31 are reserved. */
bool event_vector_is_exception(uint8_t vector, const struct event_caps *caps);

/* Is ev's TYPE one of 0 (INTR), 2 (NMI), 3 (exception), 4 (INTn)?  1, 5,
 * 6 and 7 are reserved. */
bool event_type_defined(union svm_event ev);

/* Would VMRUN accept ev as EVENTINJ?  With V=1 the APM (§15.20) requires
 * a defined type (0 INTR, 2 NMI, 3 exception, 4 software interrupt) and,
 * for type 3, a vector that names an exception; otherwise VMRUN fails
 * with VMEXIT_INVALID.  The one check for vmcb12's EVENTINJ and for every
 * EVENTINJ nestvisor writes. */
bool event_inj_legal(union svm_event ev, const struct event_caps *caps);

/*
 * EXITINTINFO as read from the CPU, with the type the APM gives it.
 * QEMU TCG, as the CPU below nestvisor, reports the delivery of an
 * external interrupt or an NMI with type 3 (exception) and the event's
 * vector (docs/semantics.md §10.3): no exception has vector 2 or a vector
 * of 32 or more, so type 3 with vector 2 is an NMI and type 3 with a
 * vector >= 32 an external interrupt, neither with an error code.  Any
 * other value is returned unchanged.
 */
union svm_event event_from_cpu(union svm_event raw);

/* A software event: INTn (type 4), or INT3 / INTO (#BP, #OF), which
 * exist only as the instruction that raises them.  An exit that
 * interrupts its delivery leaves RIP at that instruction. */
bool event_is_soft(union svm_event ev);

/*
 * After an exit that nestvisor handles itself (the guest resumes), the
 * event whose delivery the exit interrupted (ev: EXITINTINFO made
 * architectural) is delivered again, as the CPU would have delivered it
 * (APM Vol. 2 §15.7.2).  entered_with: the EVENTINJ the VMCB was entered
 * with.  A software event that the guest's own instruction raised (not
 * entered_with) is not injected: RIP is still at INTn, INT3 or INTO, which
 * runs again and raises it anew.  Returns the event to inject, or one
 * with V=0.
 */
union svm_event event_to_reinject(union svm_event entered_with,
				  union svm_event ev);

/*
 * An exception (vector) raised while the CPU delivered first (an event
 * with V=1, or V=0 if none): the one to deliver, by the double-fault
 * rules of APM Vol. 2 §8.2.9 (Table 8-7): #DF when both are contributory
 * (#DE, #TS, #NP, #SS, #GP) or the first is #PF and the second #PF or
 * contributory; EVENT_SHUTDOWN when the first is #DF; else vector.
 */
#define EVENT_SHUTDOWN (-1)
int event_exception_during(union svm_event first, unsigned vector);

#endif
