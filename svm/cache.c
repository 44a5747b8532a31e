// SPDX-License-Identifier: MIT
/*
 * INVD and WBINVD, intercepted (vmcb01, and vmcb02 where L1 does not
 * intercept them).  INVD drops the caches' contents without writing them
 * back (APM Vol. 3 INVD), which would discard nestvisor's own dirty lines,
 * not only the guest's.  nestvisor performs WBINVD instead, as
 * HWCR.INVDWBINVD makes the CPU do (svm/msr_policy.c keeps that bit set):
 * the guest's data is written back rather than lost, which no guest can
 * tell from INVD with coherent caches.  WBINVD is intercepted only
 * because QEMU TCG checks the WBINVD intercept for INVD (and reports that
 * exit code): both exits take either instruction and perform WBINVD.
 * #GP at CPL > 0 comes before the intercept (APM Vol. 2 §15.7.1).
 */
#include "svm/hw.h"
#include "svm/intercepts.h"

static void cache_exit(struct cpu *cpu, enum insn_op op, enum insn_op other)
{
	struct insn in;
	int len;

	if (!svm_has(&cpu->caps, SVM_FEAT_NRIPS) &&
	    !guest_insn_decode_op(cpu, other, &in))
		op = other;
	len = insn_begin(cpu, op);
	if (len < 0)
		return;
	hw_wbinvd();
	guest_advance_rip(cpu, (unsigned)len);
}

void handle_invd(struct cpu *cpu)
{
	cache_exit(cpu, INSN_INVD, INSN_WBINVD);
}

void handle_wbinvd(struct cpu *cpu)
{
	cache_exit(cpu, INSN_WBINVD, INSN_INVD);
}
