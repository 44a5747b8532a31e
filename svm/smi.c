// SPDX-License-Identifier: MIT
/*
 * System-management interrupts.  The firmware's SMI handler (SMM) must
 * never run as a guest: entered in guest mode it would run under
 * nestvisor's nested page table and intercepts, and its exits (CPUID,
 * MSRs, I/O from SMRAM code, with SMM's CPU state) would leave vmcb01
 * unrunnable.  So vmcb01 and every vmcb02 intercept SMI (L0_INTERCEPT1),
 * as KVM does: an SMI that arrives while a guest runs is held pending
 * and becomes #VMEXIT(SMI) (APM Vol. 2 §15.13.3).  Host mode runs with
 * GIF clear, which holds the SMI pending too (§15.17); here nestvisor
 * opens GIF for one instruction with RFLAGS.IF clear, the CPU takes the
 * SMI in host context, the firmware's handler runs on its own state and
 * RSM returns to the CLGI, and the guest resumes where it was.
 *
 * With GIF set, a pending NMI is taken too (IF does not mask NMIs): the
 * host's NMI entry (core/idt.S) only counts it, and it is what an NMI
 * exit would have been (svm/nmi.c): another CPU's kick, or an NMI for the
 * guest that was running, where it would have gone without the SMI.
 * An SMI of L2 is taken here whatever vmcb12 intercepts (L1 has no SMM of
 * its own, docs/security.md); L1 intercepting SMI then gets #VMEXIT(SMI)
 * (svm/nested_exit.c).  The SMIs a guest asks for by writing the SMI
 * command port wait for its GIF and come here through svm/smi_cmd.c.
 */
#include "core/host_env.h"
#include "core/log.h"
#include "svm/intercepts.h"
#include "svm/nested.h"
#include "svm/smp.h"

void handle_smi(struct cpu *cpu)
{
	uint64_t nmis = *cpu->nmi_count;

	__asm__ volatile("stgi\n\tnop\n\tclgi" ::: "memory");
	if (!cpu->nr_smis++)
		log_info("first SMI: taken in host mode, the firmware's SMM "
			 "handler runs outside L1 (%s was running)",
			 cpu->nested.guest_mode ? "L2" : "L1");
	else
		log_debug_limited("SMI taken in host mode (%s was running)",
				  cpu->nested.guest_mode ? "L2" : "L1");
	/* An NMI taken meanwhile: a kick, or the guest's (svm/nmi.c holds
	 * and delivers it before the next VMRUN). */
	if (*cpu->nmi_count != nmis)
		smp_nmi_taken(cpu);
}
