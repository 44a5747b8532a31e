// SPDX-License-Identifier: MIT
/*
 * INT3, INTO and INTn executed by L2 (AMD APM Vol. 2 §15.12 exception
 * intercepts, §15.14 "INTn intercept").  On hardware, INT3 and INTO raise
 * #BP and #OF, which L1's exception intercepts catch (#VMEXIT 0x43, 0x44;
 * RIP at the instruction, next_rip after it); INTn is caught by L1's INTn
 * intercept (0x75).  QEMU TCG, as the CPU below nestvisor, applies no
 * exception intercept to INT3 and INTO but applies the INTn intercept to
 * all three (docs/semantics.md §10.3).  So while L1 intercepts #BP or
 * #OF, vmcb02 intercepts INTn too (svm/nested_gif.c), and an INTn exit
 * nestvisor gets is decided here from the instruction at L2's RIP:
 *  - INT3 / INTO: the #BP / #OF exit when L1 intercepts it; INTn: the INTn
 *    exit when L1 intercepts it;
 *  - otherwise the instruction's interrupt is delivered to L2 as EVENTINJ
 *    type 4 (a software interrupt: the IDT gate's DPL is checked, as the
 *    instruction does), with the return address after the instruction:
 *    next_rip where the CPU has NRIPS, else RIP itself (the CPU then
 *    pushes RIP).  nestvisor remembers it: should an exit interrupt the
 *    delivery and go to L1, L1 sees RIP at the instruction and EXITINTINFO
 *    with the hardware's type (3 for INT3 and INTO), as on hardware.
 */
#include "core/log.h"
#include "core/x86.h"
#include "svm/event.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"

void nested_swint(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct vmcb *v = n->vmcb02;
	struct insn in;
	uint64_t next;
	unsigned vector;
	bool exception;

	if (guest_insn_decode(cpu, &in) ||
	    (in.op != INSN_INT3 && in.op != INSN_INTO && in.op != INSN_INTN)) {
		/* The bytes changed under our feet (another CPU, DMA). */
		log_warn("INTn exit of L2 at rip 0x%lx: no INT3, INTO or INTn "
			 "there", v->save.rip);
		inject_exception(cpu, X86_VEC_UD, false, 0);
		return;
	}
	exception = in.op != INSN_INTN;
	vector = in.op == INSN_INT3 ? X86_VEC_BP :
		 in.op == INSN_INTO ? X86_VEC_OF : in.imm8;
	next = v->save.rip + in.len;
	if (!((v->save.efer & X86_EFER_LMA) && v->save.cs.attrib.l))
		next &= v->save.cs.attrib.db ? 0xffffffffull : 0xffffull;

	if (exception &&
	    nested_l1_intercepts(cpu, VMEXIT_EXCP_BASE + vector, 0)) {
		nested_vmexit(cpu, VMEXIT_EXCP_BASE + vector, 0, 0, next);
		return;
	}
	if (!exception && nested_l1_intercepts(cpu, VMEXIT_SWINT, 0)) {
		nested_vmexit(cpu, VMEXIT_SWINT, 0, 0, next);
		return;
	}
	n->soft_ev = (union svm_event){ .vector = vector,
					.type = SVM_EVENT_SOFT_INT, .valid = 1 };
	n->soft_reported = n->soft_ev;
	if (exception)
		n->soft_reported.type = SVM_EVENT_EXCEPTION;
	n->soft_rip = v->save.rip;
	n->soft_next = next;
	if (svm_has(&cpu->caps, SVM_FEAT_NRIPS))
		v->control.next_rip = next;
	else
		v->save.rip = next;
	v->save.rflags &= ~X86_RFLAGS_RF;
	event_inject(cpu, v, n->soft_ev, 0);
}

bool nested_swint_exitintinfo(struct cpu *cpu, union svm_event *ev,
			      uint64_t *rip)
{
	struct nested *n = &cpu->nested;
	struct insn in;

	if (!ev->valid || ev->type != SVM_EVENT_SOFT_INT)
		return false;
	if (n->soft_ev.valid && ev->raw == n->soft_ev.raw &&
	    cpu->entered_with.raw == n->soft_ev.raw) {
		/* nestvisor delivered it for L2's instruction. */
		*ev = n->soft_reported;
		*rip = n->soft_rip;
		return true;
	}
	/* TCG reports INT3 and INTO as type 4 (docs/semantics.md §10.3):
	 * the instruction at RIP says which it was. */
	if ((ev->vector == X86_VEC_BP || ev->vector == X86_VEC_OF) &&
	    !guest_insn_decode(cpu, &in) &&
	    (in.op == INSN_INT3 || in.op == INSN_INTO))
		ev->type = SVM_EVENT_EXCEPTION;
	return false;
}
