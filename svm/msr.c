// SPDX-License-Identifier: MIT
/*
 * Intercepted MSRs.  nestvisor keeps the real EFER.SVME, VM_HSAVE_PA and
 * VM_CR for itself; L1 (and L2) see virtual ones, consistent with CPUID:
 *  - EFER reads show the guest's own SVME (L1's virtual one, or the value
 *    L1 gave L2), writes are checked as the CPU checks them (#GP for
 *    reserved bits, for SVME when SVM is not offered or VM_CR.SVMDIS is
 *    set, and for an LME change while paging is on); LMA cannot be
 *    written; the VMCB keeps SVME set, as VMRUN requires;
 *  - VM_CR and VM_HSAVE_PA: virtual (svm/nested_insns.c), or #GP when SVM
 *    is not offered;
 *  - MSRs outside the three MSRPM ranges are always intercepted by the CPU
 *    (APM Vol. 2 §15.11): AMD CPUs implement none there, so #GP.
 */
#include "svm/intercepts.h"
#include "core/err.h"
#include "core/log.h"
#include "core/x86.h"
#include "svm/nested.h"
#include "svm/nested_internal.h"

#define EFER_WRITABLE (X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA |       \
		       X86_EFER_NXE | X86_EFER_SVME | X86_EFER_LMSLE |       \
		       X86_EFER_FFXSR | X86_EFER_TCE)

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

	if (val & ~EFER_WRITABLE)
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
	} else
		n->svme = val & X86_EFER_SVME;
	s->efer = val | X86_EFER_SVME;
	return 0;
}

void handle_msr(struct cpu *cpu)
{
	struct vmcb_save *s = &cpu->cur->save;
	uint32_t msr = (uint32_t)cpu->gregs.rcx;
	bool write = cpu->cur->control.exit_info_1 & 1;
	uint64_t val = (s->rax & 0xffffffffu) | (cpu->gregs.rdx << 32);
	int rc;

	if (msr == MSR_EFER)
		rc = write ? efer_write(cpu, val) : (val = efer_view(cpu), 0);
	else if (write)
		rc = nested_wrmsr(cpu, msr, val);
	else
		rc = nested_rdmsr(cpu, msr, &val);
	if (rc) {
		log_debug("%s MSR 0x%x: #GP", write ? "WRMSR" : "RDMSR", msr);
		inject_exception(cpu, X86_VEC_GP, true, 0);
		return;
	}
	if (!write) {
		s->rax = (uint32_t)val;
		cpu->gregs.rdx = val >> 32;
	}
	skip_instruction(cpu, write ? INSN_WRMSR : INSN_RDMSR);
}
