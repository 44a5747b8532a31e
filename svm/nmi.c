// SPDX-License-Identifier: MIT
/*
 * NMIs for the guest.  vmcb01 and vmcb02 intercept NMI because other CPUs
 * kick this one with NMIs (svm/smp.c).  The guest's own NMIs are the NMI
 * IPIs L1 sends (from any CPU, turned into requests by svm/apic.c) and
 * the NMI exits that were not kicks (from outside the CPUs); they are
 * delivered here, as the CPU would have:
 *  - L1 running: injected into L1 (EVENTINJ type NMI), but only while L1's
 *    GIF is set: with GIF clear an NMI is held pending (APM Vol. 2
 *    §15.17), until L1's STGI or VMRUN;
 *  - L2 running, L1 intercepts NMI: the emulated #VMEXIT(NMI) to L1, after
 *    which L1 has GIF clear and the NMI stays pending for L1 as above
 *    (L1's STGI then takes it, APM §15.17);
 *  - L2 running, L1 does not intercept NMI: injected into L2.
 * One NMI at a time is held; a second one before delivery merges, as on
 * the CPU.  If the VMCB already carries an event to inject, delivery waits
 * for a later entry.
 */
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/smp.h"

void nmi_arrived(struct cpu *cpu)
{
	cpu->nmi_pending = true;
}

void nmi_deliver(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;

	if (event_inj_pending(cpu->cur))
		return;
	if (n->guest_mode) {
		if (nested_l1_intercepts(cpu, VMEXIT_NMI, 0)) {
			nested_vmexit(cpu, VMEXIT_NMI, 0, 0, 0);
			return;
		}
	} else if (!n->gif) {
		return;
	}
	inject_nmi(cpu);
	cpu->nmi_pending = false;
}
