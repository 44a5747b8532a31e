// SPDX-License-Identifier: MIT
/*
 * The SVM instructions other than VMRUN, executed by L1, or by its L2
 * when L1 does not intercept them (then they act as on a CPU whose host
 * is L1), and L1's SVM MSRs.
 *  VMLOAD / VMSAVE (APM Vol. 2 §15.5.2): the state they move (FS, GS, TR,
 *    LDTR, KernelGsBase, STAR, LSTAR, CSTAR, SFMASK, SYSENTER_*) is the
 *    running guest's current state, which nestvisor keeps in its VMCB
 *    (vmcb01 or vmcb02: svm/vmrun.S VMLOADs it before and VMSAVEs it after
 *    every run).  rAX is an L1-physical address, for L2 too: without
 *    virtual VMLOAD/VMSAVE, which nestvisor does not offer, the CPU takes
 *    rAX as a physical address of the host, and L2's host is L1.
 *    VMSAVE's writes into L1 memory take the path of L1's own writes
 *    (nested_l1_store()).
 *  CLGI / STGI: the one GIF, or L2's virtual GIF when vmcb12 enables it
 *    (svm/nested_gif.c).
 *  INVLPGA: the TLB entry of rAX in the ASID in ECX, on the host ASID
 *    that stands for it (L1's ASID n runs as host ASID n + 1), and, for
 *    a guest ASID, the shadow NPT's translations.
 *  rAX is the part of RAX the effective address size selects: RAX, EAX
 *  or AX (guest_insn_rax(), svm/nrip.c).
 *  All raise #UD while the guest's EFER.SVME is clear or it is not in
 *  protected mode, and #GP(0) at CPL > 0; VMLOAD and VMSAVE also #GP(0)
 *  for an rAX that is not page-aligned or not an L1 physical address.
 *  Exceptions go through inject_exception(): L1 gets the #VMEXIT when it
 *  intercepts them for its L2.
 */
#include "core/err.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/x86.h"
#include "svm/hw.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"

/* The running guest's EFER as it sees it (SVME: L1's virtual one, or the
 * value L1 gave L2). */
static uint64_t guest_efer(const struct cpu *cpu)
{
	return cpu->nested.guest_mode ? cpu->nested.l2_efer : efer_of_l1(cpu);
}

/* Does the running guest's SVM instruction fault now?  If so the
 * exception is raised. */
static bool svm_insn_faults(struct cpu *cpu)
{
	const struct vmcb_save *s = &cpu->cur->save;

	if (!(guest_efer(cpu) & X86_EFER_SVME) || !(s->cr0 & X86_CR0_PE))
		inject_exception(cpu, X86_VEC_UD, false, 0);
	else if (s->cpl != 0)
		inject_exception(cpu, X86_VEC_GP, true, 0);
	else
		return false;
	return true;
}

bool nested_vmload_vmsave_at(struct cpu *cpu, bool load, uint64_t gpa,
			     unsigned len)
{
	struct vmcb_save *cur = &cpu->cur->save;
	volatile struct vmcb *v;

	v = (volatile struct vmcb *)l1_host_ptr(gpa & ~0xfffull, 4096);
	if ((gpa & 0xfff) || !v) {
		inject_exception(cpu, X86_VEC_GP, true, 0);
		return false;
	}
	if (load) {
		copy_vmload_state(cur, &v->save);
	} else {
		nested_l1_store(cpu, gpa);
		copy_vmload_state(&v->save, cur);
	}
	guest_advance_rip(cpu, len);
	return true;
}

void nested_vmload_vmsave(struct cpu *cpu, bool load)
{
	int len;

	if (svm_insn_faults(cpu))
		return;
	len = insn_begin(cpu, load ? INSN_VMLOAD : INSN_VMSAVE);
	if (len < 0)
		return;
	if (!nested_vmload_vmsave_at(cpu, load,
				     guest_insn_rax(cpu, (unsigned)len),
				     (unsigned)len))
		return;
	if (load)
		nested_runahead_after_vmload(cpu);
	else
		nested_fuse_after_vmsave(cpu);
}

void nested_gif(struct cpu *cpu, bool set)
{
	int len;

	if (svm_insn_faults(cpu))
		return;
	len = insn_begin(cpu, set ? INSN_STGI : INSN_CLGI);
	if (len < 0)
		return;
	if (nested_l2_vgif_emulated(cpu))
		nested_l2_set_vgif(cpu, set);
	else if (nested_l2_vgif_by_cpu(cpu)) /* an STGI vNMI waits for */
		cpu->cur->control.int_ctl = set ?
			cpu->cur->control.int_ctl | V_GIF :
			cpu->cur->control.int_ctl & ~V_GIF;
	else
		nested_set_gif(cpu, set);
	guest_advance_rip(cpu, (unsigned)len);
}

void nested_invlpga(struct cpu *cpu)
{
	uint32_t asid = (uint32_t)cpu->gregs.rcx;
	uint64_t va;
	int len;

	if (svm_insn_faults(cpu))
		return;
	len = insn_begin(cpu, INSN_INVLPGA);
	if (len < 0)
		return;
	va = guest_insn_rax(cpu, (unsigned)len);
	if (asid < cpu->nested.l1_nr_asids) {
		hw_invlpga(va, asid + 1);
		/* A guest ASID: its translations of va may come from the
		 * shadow NPT, which caches L1's nested translations by L2
		 * address, not by va: the shadow is emptied (more than
		 * asked, never less). */
		if (asid)
			nested_npt_flush_shadow(cpu);
	}
	guest_advance_rip(cpu, (unsigned)len);
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
