/* SPDX-License-Identifier: MIT */
/*
 * NMI virtualization (vNMI, CPUID 8000_000A EDX[25]; AMD APM Vol. 2
 * §15.21.10 "NMI Virtualization") as nestvisor emulates it for L2 on a
 * CPU that lacks it.  With V_NMI_ENABLE (int_ctl bit 26) set in vmcb12:
 *  - V_NMI (bit 11) is a virtual NMI pending for the guest.  It is taken
 *    at an instruction boundary where it is not blocked: not while
 *    V_NMI_MASK is set, nor while the GIF (or, with vGIF, V_GIF) is
 *    clear, nor in an interrupt shadow.  Taking it clears V_NMI, sets
 *    V_NMI_MASK and delivers vector 2 through the guest's IDT, as an NMI;
 *    physical NMIs and their intercept are another matter (VMRUN requires
 *    the NMI intercept with V_NMI_ENABLE).
 *  - V_NMI_MASK (bit 12): virtual NMIs are blocked, as the CPU's NMIs are
 *    while an NMI handler runs.  Set by taking a virtual NMI and by a
 *    VMRUN that injects an NMI through EVENTINJ; cleared when an IRET
 *    completes, and when an exit interrupts the delivery of the NMI (the
 *    exit's EXITINTINFO then holds it).
 *  - #VMEXIT writes both back into int_ctl.  With V_NMI_ENABLE clear the
 *    two bits are not used, and stay as vmcb12 had them.
 * Event priority at a boundary (APM Vol. 2 §8.5): a single-step trap of
 * the instruction before comes ahead of an NMI, an NMI ahead of maskable
 * interrupts.
 *
 * How nestvisor gets control at the boundaries that matter (svm/
 * nested_feat_vnmi.c): a pending, unblocked NMI is injected before
 * vmcb02 runs (EVENTINJ, type NMI); while V_NMI_MASK is set vmcb02
 * intercepts IRET, and nestvisor single-steps the IRET (RFLAGS.TF, #DB
 * intercepted) to see it complete; an interrupt shadow is stepped over
 * the same way; an NMI that must follow the delivery of another event is
 * injected at the fetch of that event's handler (svm/nested_feat_vnmi.c).
 * Pure functions on struct vnmi and VMCB fields: host test `vnmi`.
 */
#ifndef NV_SVM_FEAT_VNMI_H
#define NV_SVM_FEAT_VNMI_H

#include <stdbool.h>
#include <stdint.h>

#include "svm/vmcb.h"

/* What a single step of L2 waits for. */
enum vnmi_step {
	VNMI_STEP_NONE,
	VNMI_STEP_IRET,   /* the IRET that unmasks virtual NMIs */
	VNMI_STEP_SHADOW, /* the instruction in an interrupt shadow */
};

struct vnmi {
	bool on;          /* vmcb12's V_NMI_ENABLE, emulated by nestvisor */
	bool pending;     /* V_NMI */
	bool masked;      /* V_NMI_MASK */
	uint8_t step;     /* enum vnmi_step */
	bool step_tf;     /* L2's RFLAGS.TF when the step began */
	bool step_flags;  /* the stepped instruction loads RFLAGS (IRET, POPF) */
	uint64_t step_dr6; /* L2's DR6 when the step began */
	bool after_event; /* the NMI waits for the fetch after an event's delivery */
};

/* VMRUN of a vmcb12 with int_ctl and EVENTINJ inj: the emulation is on
 * if V_NMI_ENABLE is set; V_NMI and V_NMI_MASK are loaded, and an NMI
 * injected through EVENTINJ sets V_NMI_MASK. */
void vnmi_vmrun(struct vnmi *v, uint32_t int_ctl, union svm_event inj);

/* #VMEXIT: the V_NMI and V_NMI_MASK bits of vmcb12's int_ctl (only those
 * two; 0 with the emulation off).  exitintinfo: the exit's EXITINTINFO,
 * architectural (svm/event.h); an NMI there clears V_NMI_MASK. */
uint32_t vnmi_int_ctl(const struct vnmi *v, union svm_event exitintinfo);

/* What can block a pending virtual NMI at the next boundary of L2. */
struct vnmi_env {
	bool gif;           /* the GIF, and V_GIF where vmcb12 enables vGIF */
	bool shadow;        /* vmcb02's interrupt shadow (INT_STATE bit 0) */
	bool event_pending; /* vmcb02 delivers an event (EVENTINJ) first */
};

enum vnmi_action {
	VNMI_NOTHING,     /* nothing pending, or masked (IRET will tell) */
	VNMI_WAIT_GIF,    /* blocked by the GIF: wait for STGI */
	VNMI_STEP_OVER,   /* in an interrupt shadow: step one instruction */
	VNMI_AFTER_EVENT, /* taken after the pending event's delivery */
	VNMI_INJECT,      /* taken now */
};

/* Before L2 runs again (no step in progress): what to do about V_NMI. */
enum vnmi_action vnmi_next(const struct vnmi *v, const struct vnmi_env *e);

/* The virtual NMI is taken (injected): V_NMI := 0, V_NMI_MASK := 1. */
void vnmi_taken(struct vnmi *v);

/* The intercepts vmcb02 needs on top of L1's and nestvisor's own:
 * IRET while masked; while stepping, #DB and every exception the step
 * could raise (not #MC), INTR, VINTR and INTn, so that no event is
 * delivered with nestvisor's TF in its frame; STGI while a pending NMI
 * waits for a V_GIF the CPU runs (wait_stgi). */
struct vnmi_intercepts {
	uint32_t misc1, misc2, exceptions;
};
struct vnmi_intercepts vnmi_intercepts(const struct vnmi *v, bool wait_stgi);

/* Start a single step of L2 over the instruction at its RIP (s: vmcb02's
 * save area): TF set, DR6.BS cleared so that the step's own trap can be
 * told apart.  loads_flags: the instruction loads RFLAGS itself. */
void vnmi_step_begin(struct vnmi *v, enum vnmi_step why, bool loads_flags,
		     struct vmcb_save *s);

/* Stop a step before its instruction completed: TF and DR6.BS as L2 had
 * them. */
void vnmi_step_cancel(struct vnmi *v, struct vmcb_save *s);

enum vnmi_step_result {
	VNMI_STEP_GOES_ON,  /* still stepping; handle the exit as usual */
	VNMI_STEP_ABORTED,  /* cancelled; handle the exit as usual */
	VNMI_STEP_DONE,     /* completed: nothing for L2, resume it */
	VNMI_STEP_DONE_DB,  /* completed, and L2's own TF raises its #DB */
};

/*
 * An exit of vmcb02 during a step (code: its exit code; s: vmcb02's save
 * area as the exit left it).  A #DB with DR6.BS set is the step's trap:
 * the instruction completed (an IRET clears V_NMI_MASK); TF is L2's again
 * unless the instruction loaded RFLAGS; DR6 is L2's, with BS only if
 * L2's own TF was set (then VNMI_STEP_DONE_DB).  Another #DB, any other
 * exception, INTR, VINTR or INTn: the instruction did not complete (an
 * event comes first), the step is cancelled.  Anything else leaves the
 * step running.
 */
enum vnmi_step_result vnmi_step_exit(struct vnmi *v, struct vmcb_save *s,
				     uint64_t code);

/* nestvisor completed the stepped instruction itself (an intercepted
 * instruction it emulates, svm/inject.c instruction_completed()): TF and
 * DR6 as L2 had them.  Returns L2's own TF: true if the single-step trap
 * is L2's. */
bool vnmi_step_emulated(struct vnmi *v, struct vmcb_save *s);

#endif
