// SPDX-License-Identifier: MIT
/*
 * Every NMI exit, and NMIs for the guest.  vmcb01 and vmcb02 intercept NMI
 * because other CPUs kick this one with NMIs (svm/smp.c): an NMI exit is a
 * kick if this CPU's kicked flag was set, else an NMI for the guest.  The guest's own NMIs are the NMI
 * IPIs L1 sends (from any CPU, turned into requests by svm/apic.c) and
 * the NMI exits that were not kicks (from outside the CPUs); they are
 * delivered here, before a VMRUN (svm/smp.c svm_prepare_entry), as the
 * CPU would have:
 *  - GIF clear (L1's CLGI, or L2's where L1 does not intercept it): held
 *    pending (APM Vol. 2 §15.17) until STGI or VMRUN sets the GIF
 *    (svm/nested_gif.c), then delivered ahead of any interrupt;
 *  - L1 running, the CPU has vNMI: posted in vmcb01's V_NMI
 *    (svm/vnmi01.h), which the CPU delivers when L1 is ready: after L1's
 *    IRET if L1 is in its NMI handler.  L1's handler then masks only
 *    virtual NMIs (V_NMI_MASK), so physical NMIs, the kicks, still exit
 *    meanwhile.  L1's GIF leaves vmcb01's V_GIF first
 *    (nested_gif_hold()), so that L1's CLGI exits; a posted NMI still
 *    undelivered when the GIF is cleared, or when L1 enters L2, is taken
 *    back and held here again (svm/nested_gif.c set_gif()).  L1's
 *    V_NMI_MASK stays in vmcb01 while L2 runs;
 *  - L1 running, no vNMI: injected into L1 (EVENTINJ type NMI);
 *  - L2 running, L1 intercepts NMI: the emulated #VMEXIT(NMI) to L1, after
 *    which L1 has GIF clear and the NMI stays pending for L1 as above
 *    (L1's STGI then takes it, APM §15.13.2, §15.17);
 *  - L2 running, L1 does not intercept NMI: injected into L2.
 * One NMI at a time is held; a second one before delivery merges, as on
 * the CPU.  If the VMCB already carries an event to inject, delivery waits
 * for a later entry (a posted V_NMI need not: the CPU takes it after the
 * injected event).  (The CPU injects an EVENTINJ NMI without looking at
 * the guest's own NMI blocking: docs/nested.md lists it; a V_NMI waits
 * for L1's IRET.)
 */
#include "core/log.h"
#include "svm/hw.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/smp.h"
#include "svm/vnmi01.h"

void smp_nmi_taken(struct cpu *cpu)
{
	if (__atomic_exchange_n(&cpu->kicked, 0, __ATOMIC_SEQ_CST))
		return;
	nmi_arrived(cpu);
}

void smp_handle_nmi(struct cpu *cpu)
{
	/* Take the NMI that made us exit, in nestvisor's own handler
	 * (svm/hw.c: the host's GIF open for a moment). */
	if (!hw_collect_nmi(cpu->nmi_count)) {
		log_debug_limited("NMI intercept with no NMI pending");
		return;
	}
	smp_nmi_taken(cpu);
}

void nmi_arrived(struct cpu *cpu)
{
	cpu->nmi_pending = true;
}

void nmi_deliver(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;

	if (!nested_gif_get(cpu)) {
		nested_gif_hold(cpu); /* until L1's STGI */
		return;
	}
	if (!n->guest_mode && vnmi01_on(&cpu->vmcb01->control)) {
		nested_gif_hold(cpu); /* L1's CLGI exits from now on */
		vnmi01_post(&cpu->vmcb01->control);
		cpu->nmi_pending = false;
		return;
	}
	if (event_inj_pending(cpu->cur))
		return;
	if (n->guest_mode && nested_l1_intercepts(cpu, VMEXIT_NMI, 0)) {
		nested_vmexit(cpu, VMEXIT_NMI, 0, 0, 0);
		return;
	}
	inject_nmi(cpu);
	cpu->nmi_pending = false;
}
