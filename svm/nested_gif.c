// SPDX-License-Identifier: MIT
/*
 * The global interrupt flag (AMD APM Vol. 2 §15.17).  There is one GIF:
 * L1's CLGI and STGI set it, and so do its L2's when L1 does not
 * intercept them; VMRUN sets it, #VMEXIT clears it.  While it is clear,
 * the guest that runs takes no interrupt.  nestvisor keeps it in
 * software (struct nested.gif) and makes the VMCB that runs hold what the
 * GIF holds:
 *  - physical interrupts (INTR): V_INTR_MASKING with the host's IF clear
 *    for VMRUN (svm/vmrun.S), so that they stay pending in the local
 *    APIC; vmcb01 otherwise runs without V_INTR_MASKING (L1 takes its
 *    interrupts directly), vmcb02 with L1's V_INTR_MASKING and L1's IF at
 *    its VMRUN as the host IF;
 *  - L2's virtual interrupt (V_IRQ from vmcb12): taken out of vmcb02 while
 *    the GIF is clear, given back when it is set.
 */
#include "core/x86.h"
#include "svm/nested_internal.h"

/* vmcb02's V_INTR_MASKING, V_IRQ and the host IF for the GIF. */
static void gif_apply_l2(struct cpu *cpu, bool gif)
{
	struct nested *n = &cpu->nested;
	struct vmcb_control *c = &n->vmcb02->control;

	if (!gif) {
		n->v_irq_held |= (c->int_ctl & V_IRQ) != 0;
		c->int_ctl = (c->int_ctl & ~V_IRQ) | V_INTR_MASKING;
		cpu->cur_host_if = 0;
		return;
	}
	c->int_ctl = (c->int_ctl & ~V_INTR_MASKING) |
		     (n->cache.ctrl.int_ctl & V_INTR_MASKING);
	if (n->v_irq_held)
		c->int_ctl |= V_IRQ;
	n->v_irq_held = false;
	/* L1's IF at its VMRUN is the host IF that masks L2's physical
	 * interrupts under V_INTR_MASKING (APM Vol. 2 §15.21.1). */
	cpu->cur_host_if = (cpu->vmcb01->save.rflags & X86_RFLAGS_IF) ? 1 : 0;
}

void nested_set_gif(struct cpu *cpu, bool gif)
{
	struct nested *n = &cpu->nested;
	struct vmcb_control *c01 = &cpu->vmcb01->control;

	n->gif = gif;
	c01->int_ctl = gif ? c01->int_ctl & ~V_INTR_MASKING :
			     c01->int_ctl | V_INTR_MASKING;
	if (n->guest_mode)
		gif_apply_l2(cpu, gif);
	else
		cpu->cur_host_if = 0;
}
