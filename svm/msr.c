// SPDX-License-Identifier: MIT
/*
 * Intercepted MSRs, by the policy of svm/msr_policy.c (the one table of
 * what is intercepted, why, and what may be written):
 *  - virtual MSRs: nestvisor keeps the real EFER.SVME, VM_HSAVE_PA and
 *    VM_CR for itself; L1 (and L2) see virtual ones, consistent with CPUID.
 *    EFER reads show the guest's own SVME (L1's virtual one, or the value
 *    L1 gave L2); writes are checked as the CPU checks them (#GP for a bit
 *    the CPU does not offer, svm/features.c; for SVME when SVM is not
 *    offered or VM_CR.SVMDIS is set; for an LME change while paging is
 *    on); LMA cannot be written; the VMCB keeps SVME set, as VMRUN
 *    requires.  VM_CR and VM_HSAVE_PA: svm/nested_insns.c; TSC_RATIO,
 *    TSC_ADJUST and the TSC's writes (its reads where an emulation
 *    intercepts them for L2): svm/nested_feat_tsc.c;
 *  - checked MSRs: the rule's check, then the CPU's WRMSR (a value the
 *    CPU refuses is #GP, never a host-mode fault: core/msr_safe.S);
 *    APIC_BASE and the x2APIC ICR, once checked, are svm/apic.c's (INIT
 *    and SIPI stay under nestvisor);
 *  - "same value" MSRs: a write that would change them is #GP;
 *  - denied MSRs: #GP, and so are MSRs outside the permission map's
 *    blocks (always intercepted, APM Vol. 2 §15.11).
 * Reads other than the virtual MSRs' and APIC_BASE's (L1's view, with EN
 * as L1 set it: svm/apic.c) are the CPU's.
 */
#include "svm/intercepts.h"
#include "core/err.h"
#include "core/log.h"
#include "core/x86.h"
#include "svm/apic.h"
#include "svm/msr_policy.h"
#include "svm/nested.h"
#include "svm/nested_internal.h"
#include "svm/permmap.h"

/* The guest's own view of its EFER. */
static uint64_t efer_view(const struct cpu *cpu)
{
	const struct nested *n = &cpu->nested;

	if (n->guest_mode)
		return n->l2_efer;
	return (cpu->cur->save.efer & ~X86_EFER_SVME) | (n->svme ? X86_EFER_SVME : 0);
}

static int efer_write(struct cpu *cpu, uint64_t val)
{
	struct nested *n = &cpu->nested;
	struct vmcb_save *s = &cpu->cur->save;
	uint64_t old = efer_view(cpu);

	if (val & ~cpu->caps.efer_allowed)
		return -NV_EINVAL;
	if ((val & X86_EFER_SVME) && !(old & X86_EFER_SVME) &&
	    (!n->offered || (n->vm_cr & VM_CR_SVMDIS)))
		return -NV_EINVAL;
	if ((s->cr0 & X86_CR0_PG) && ((val ^ old) & X86_EFER_LME))
		return -NV_EINVAL;
	val = (val & ~X86_EFER_LMA) | (s->efer & X86_EFER_LMA);
	if (n->guest_mode) {
		n->l2_efer = val;
		nested_update_intercepts(cpu);
	} else {
		n->svme = val & X86_EFER_SVME;
		/* CLGI and STGI must #UD now: they exit again; so do
		 * VMLOAD and VMSAVE, which run while SVME is set */
		if (!n->svme)
			nested_gif_hold(cpu);
		nested_update_intercepts(cpu);
	}
	s->efer = val | X86_EFER_SVME;
	return 0;
}

static int msr_read(struct cpu *cpu, const struct msr_rule *r, uint32_t msr,
		    uint64_t *val)
{
	unsigned bit;

	if (msr == MSR_EFER) {
		*val = efer_view(cpu);
		return 0;
	}
	if (r->write == MSRW_VIRTUAL || r->write == MSRW_VIRTUAL_WRITE)
		return nested_rdmsr(cpu, msr, val);
	if (r->write == MSRW_CHECKED_VIEW) { /* APIC_BASE */
		*val = apic_base_view(cpu);
		return 0;
	}
	if (msrpm_bit(msr, &bit))
		return -NV_EINVAL; /* outside the map's blocks */
	return rdmsr_safe(msr, val);
}

static int msr_write(struct cpu *cpu, const struct msr_rule *r, uint32_t msr,
		     uint64_t val)
{
	uint64_t cur;
	int rc;

	switch (r->write) {
	case MSRW_VIRTUAL:
	case MSRW_VIRTUAL_WRITE:
		return msr == MSR_EFER ? efer_write(cpu, val) :
					 nested_wrmsr(cpu, msr, val);
	case MSRW_CHECKED:
	case MSRW_CHECKED_VIEW:
		rc = r->check(msr, val);
		if (rc)
			return rc;
		if (msr == MSR_APIC_BASE || msr == MSR_X2APIC_ICR)
			return apic_wrmsr(cpu, msr, val);
		return wrmsr_safe(msr, val);
	case MSRW_SAME:
		rc = rdmsr_safe(msr, &cur);
		return rc ? rc : cur == val ? 0 : -NV_EINVAL;
	case MSRW_PASS:
		return wrmsr_safe(msr, val);
	case MSRW_DENY:
		break;
	}
	return -NV_EINVAL;
}

void handle_msr(struct cpu *cpu)
{
	struct vmcb_save *s = &cpu->cur->save;
	uint32_t msr = (uint32_t)cpu->gregs.rcx;
	bool write = cpu->cur->control.exit_info_1 & EXITINFO1_MSR_WRITE;
	uint64_t val = (s->rax & 0xffffffffu) | (cpu->gregs.rdx << 32);
	const struct msr_rule *r = msr_rule(msr);
	int rc, len = insn_begin(cpu, write ? INSN_WRMSR : INSN_RDMSR);

	if (len < 0)
		return;
	count_exit_detail(cpu, write ? NV_XD_MSR_WRITE : NV_XD_MSR_READ, msr);
	rc = write ? msr_write(cpu, r, msr, val) : msr_read(cpu, r, msr, &val);
	if (rc) {
		log_debug_limited("%s MSR 0x%x (%s) 0x%lx: #GP (%s)",
				  write ? "WRMSR" : "RDMSR", msr, r->name,
				  write ? val : 0, r->why);
		inject_exception(cpu, X86_VEC_GP, true, 0);
		return;
	}
	if (!write) {
		s->rax = (uint32_t)val;
		cpu->gregs.rdx = val >> 32;
	}
	guest_advance_rip(cpu, (unsigned)len);
}
