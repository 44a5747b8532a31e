// SPDX-License-Identifier: MIT
/*
 * L1's SVM instructions other than VMRUN, and L1's SVM MSRs.
 *  VMLOAD / VMSAVE: the state they move (FS, GS, TR, LDTR, KernelGsBase,
 *    STAR, LSTAR, CSTAR, SFMASK, SYSENTER_*) is L1's current state, which
 *    nestvisor keeps in vmcb01: VMLOAD copies from L1's VMCB into vmcb01,
 *    VMSAVE from vmcb01 into L1's VMCB (APM Vol. 2 §15.5.2).
 *  CLGI / STGI: L1's virtual GIF (svm/nested.c nested_set_gif).
 *  INVLPGA: the host ASID that stands for L1's ASID.
 *  All raise #UD while L1's EFER.SVME is clear and #GP at CPL > 0; VMLOAD
 *  and VMSAVE also #GP for an unaligned or illegal address.
 */
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/x86.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"

/* Does L1's SVM instruction fault now?  If so the exception is injected:
 * #UD while L1's EFER.SVME is clear, #GP(0) at CPL > 0. */
static bool svm_insn_faults(struct cpu *cpu)
{
	if (!cpu->nested.svme)
		inject_exception(cpu, X86_VEC_UD, false, 0);
	else if (cpu->vmcb01->save.cpl != 0)
		inject_exception(cpu, X86_VEC_GP, true, 0);
	else
		return false;
	return true;
}

void nested_vmload_vmsave(struct cpu *cpu, bool load)
{
	struct vmcb_save *s01 = &cpu->vmcb01->save;
	uint64_t gpa = s01->rax;
	volatile struct vmcb *v;

	if (svm_insn_faults(cpu))
		return;
	v = (volatile struct vmcb *)l1_host_ptr(gpa & ~0xfffull, 4096);
	if ((gpa & 0xfff) || !v) {
		inject_exception(cpu, X86_VEC_GP, true, 0);
		return;
	}
	if (skip_instruction(cpu, load ? INSN_VMLOAD : INSN_VMSAVE))
		return;
	if (load)
		copy_vmload_state(s01, &v->save);
	else
		copy_vmload_state(&v->save, s01);
}

void nested_gif(struct cpu *cpu, bool set)
{
	if (svm_insn_faults(cpu))
		return;
	if (skip_instruction(cpu, set ? INSN_STGI : INSN_CLGI))
		return;
	nested_set_gif(cpu, set);
}

void nested_invlpga(struct cpu *cpu)
{
	uint64_t va = cpu->vmcb01->save.rax;
	uint32_t asid = (uint32_t)cpu->gregs.rcx;

	if (svm_insn_faults(cpu))
		return;
	if (skip_instruction(cpu, INSN_INVLPGA))
		return;
	if (asid < cpu->nested.l1_nr_asids)
		__asm__ volatile("invlpga %%rax, %%ecx" ::"a"(va),
				 "c"(asid + 1) : "memory");
}

int nested_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val)
{
	struct nested *n = &cpu->nested;

	if (!n->offered)
		return -NV_EINVAL;
	switch (msr) {
	case MSR_VM_CR:
		*val = n->vm_cr;
		return 0;
	case MSR_VM_HSAVE_PA:
		*val = n->hsave_pa;
		return 0;
	}
	return nested_feat_rdmsr(cpu, msr, val);
}

int nested_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val)
{
	struct nested *n = &cpu->nested;
	const uint64_t vm_cr_bits = 0x1f; /* DPD R_INIT DIS_A20M LOCK SVMDIS */

	if (!n->offered)
		return -NV_EINVAL;
	switch (msr) {
	case MSR_VM_CR:
		if (val & ~vm_cr_bits)
			return -NV_EINVAL;
		/* With LOCK set, LOCK and SVMDIS are read-only. */
		if ((n->vm_cr & VM_CR_LOCK) &&
		    ((val ^ n->vm_cr) & (VM_CR_LOCK | VM_CR_SVMDIS)))
			return -NV_EINVAL;
		if ((val & VM_CR_SVMDIS) && n->svme)
			return -NV_EINVAL;
		n->vm_cr = val;
		return 0;
	case MSR_VM_HSAVE_PA:
		if ((val & 0xfff) || (val >> n->caps.maxphyaddr))
			return -NV_EINVAL;
		n->hsave_pa = val;
		return 0;
	}
	return nested_feat_wrmsr(cpu, msr, val);
}
