// SPDX-License-Identifier: MIT
/*
 * Emulated VMRUN and #VMEXIT: L1 runs L2 through vmcb02.
 *
 * VMRUN (an exit of vmcb01 with code VMRUN):
 *  1. Pre-checks on L1's virtual state (EFER.SVME, CPL, VM_HSAVE_PA, the
 *     vmcb12 address): #UD or #GP into L1, as the CPU would.
 *  2. Copy vmcb12 from L1 memory once into the cache, L2's state into
 *     vmcb02's save area too in the same read (nothing is read from L1
 *     memory again: no time-of-check/time-of-use), mask what nestvisor
 *     does not offer, then check the copy.  A failed check is logged by
 *     name and ends as VMEXIT_INVALID in vmcb12, GIF clear (vmcb02 does
 *     not run).
 *  3. Build vmcb02: nestvisor's intercepts merged with L1's (MSR and I/O
 *     permission maps too), L2's state from the cache, TSC offset, event
 *     injection, virtual interrupt fields, a host ASID for L1's ASID, and
 *     the nested page table: the shadow of L1's NPT when vmcb12 enables
 *     nested paging, else L1's own NPT (L2 then lives in L1's physical
 *     space).  VMRUN does not change FS, GS, TR, LDTR, KernelGsBase, STAR,
 *     LSTAR, CSTAR, SFMASK and SYSENTER_*: vmcb02 takes them from L1's
 *     current values (vmcb01, where L1's VMLOAD put them).
 *  4. L1 will resume after its VMRUN (vmcb01's RIP moves past it now),
 *     GIF := 1, and the loop switches to vmcb02.  GPRs other than RAX and
 *     RSP are shared: L2 starts with L1's.
 *
 * #VMEXIT (an exit of vmcb02 that L1 intercepts, svm/nested_exit.c):
 *  1. vmcb12 in L1 memory gets L2's state, the exit code and information,
 *     EXITINTINFO, next_rip (nestvisor emulates NRIPS) and the virtual
 *     interrupt state.
 *  2. L1's VMLOAD state becomes L2's current one (the CPU does not restore
 *     it either), CR2 stays L2's, DR7 is reset, GIF := 0.
 *  3. The loop switches back to vmcb01: L1 continues after its VMRUN with
 *     its own RAX, RSP, RIP and control registers, and L2's other GPRs.
 */
#include "svm/nested.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "core/panic.h"
#include "svm/vcpu.h"
#include "core/x86.h"
#include "svm/event.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/permmap.h"

void copy_vmload_state(volatile struct vmcb_save *to,
		       const volatile struct vmcb_save *from)
{
	to->fs = from->fs;
	to->gs = from->gs;
	to->tr = from->tr;
	to->ldtr = from->ldtr;
	to->kernel_gs_base = from->kernel_gs_base;
	to->star = from->star;
	to->lstar = from->lstar;
	to->cstar = from->cstar;
	to->sfmask = from->sfmask;
	to->sysenter_cs = from->sysenter_cs;
	to->sysenter_esp = from->sysenter_esp;
	to->sysenter_eip = from->sysenter_eip;
}

void nested_l1_store(struct cpu *cpu, uint64_t gpa)
{
	if (nested_maps_watched(cpu, gpa))
		nested_maps_written(cpu, gpa);
	if (nested_npt_protected(cpu, gpa))
		nested_npt_l1_write(cpu, gpa);
}

/* L2's state: the cache's save-area fields are in vmcb02 already, as
 * nested_copy_vmcb12_into() read them (the same values the checks
 * passed); VMRUN adds EFER.SVME, and leaves the VMLOAD state (FS, GS, TR,
 * LDTR, KernelGsBase, STAR, ...) as L1 has it. */
static void prepare_save02(struct cpu *cpu)
{
	const struct nested *n = &cpu->nested;
	const struct vmcb_save *s01 = &cpu->vmcb01->save;
	struct vmcb_save *s = &n->vmcb02->save;

	s->efer = n->cache.save.efer | X86_EFER_SVME;
	/* With nested paging L2 has its own PAT; without, L1's applies. */
	if (!n->l2_np)
		s->g_pat = s01->g_pat;
	copy_vmload_state(s, s01);
}

/*
 * A software event that L1 injects (INTn, or INT3's #BP and INTO's #OF)
 * returns to vmcb12's next_rip: nestvisor offers NRIPS, and with it the
 * CPU pushes next_rip for them (APM Vol. 2 §15.20, §15.7.1).  A CPU with
 * NRIPS does so from vmcb02's next_rip; one without pushes RIP, so vmcb02
 * starts at next_rip instead, and svm/nested_swint.c gives L1 vmcb12's
 * RIP back should an exit interrupt the delivery.
 */
static void prepare_soft_injection(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	const struct vmcb12_cache *c12 = &n->cache;
	union svm_event ev = c12->ctrl.event_inj;

	n->soft_ev.raw = 0;
	if (!ev.valid || !event_is_soft(ev) || !c12->ctrl.next_rip)
		return;
	if (svm_has(&cpu->caps, SVM_FEAT_NRIPS)) {
		n->vmcb02->control.next_rip = c12->ctrl.next_rip;
		return;
	}
	n->soft_ev = ev;
	n->soft_reported = ev;
	n->soft_rip = c12->save.rip;
	n->soft_next = c12->ctrl.next_rip;
	n->vmcb02->save.rip = c12->ctrl.next_rip;
}

static void prepare_vmcb02(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	const struct vmcb12_ctrl_cache *c12 = &n->cache.ctrl;
	const struct vmcb_control *c01 = &cpu->vmcb01->control;
	struct vmcb_control *c = &n->vmcb02->control;

	/* Every field of vmcb02's control area that VMRUN reads is written
	 * here (or, the intercepts of exceptions, misc1 and misc2, by
	 * nested_update_intercepts() before L2 runs); the others (AVIC, GHCB,
	 * VMSA, clean bits, virt_ext, the reserved bytes) stay zero from the
	 * allocation: nestvisor never writes them.  Of the fields the CPU
	 * writes at #VMEXIT, EXITINTINFO and next_rip are read before L2 has
	 * run when an NMI or an INIT is reflected at once: cleared. */
	c->exit_int_info.raw = 0;
	c->exit_int_info_err = 0;
	c->next_rip = 0;
	c->intercept_cr = c12->intercept_cr | L0_INTERCEPT_CR;
	c->intercept_dr = c12->intercept_dr;
	c->intercept_misc3 = c12->intercept_misc3;
	/* exceptions, misc1 and misc2: nested_update_intercepts() once L2
	 * runs (svm/nested_gif.c) */
	nested_maps_vmrun(cpu); /* svm/nested_maps.c */
	c->tsc_offset = c01->tsc_offset + c12->tsc_offset;
	/* the pause filter: nested_feat_vmrun() below */

	/* Host ASID: L1's ASIDs 1..n map to host ASIDs 2..n+1 (1 is L1's). */
	c->asid = c12->asid + 1;
	switch (c12->tlb_control) {
	case TLB_CONTROL_FLUSH_ALL:
		c->tlb_control = TLB_CONTROL_FLUSH_ALL;
		break;
	case TLB_CONTROL_FLUSH_ASID:
	case TLB_CONTROL_FLUSH_ASID_LOCAL:
		c->tlb_control = svm_has(&cpu->caps, SVM_FEAT_FLUSHASID) ?
					 c12->tlb_control :
					 TLB_CONTROL_FLUSH_ALL;
		break;
	default:
		c->tlb_control = TLB_CONTROL_DO_NOTHING;
	}
	nested_npt_tlb_flush02(cpu, c);
	/* The nested_check sanitiser already kept only the int_ctl bits
	 * nestvisor offers (V_TPR, V_IRQ, priority, V_IGN_TPR, masking). */
	c->int_ctl = c12->int_ctl;
	c->int_vector = c12->int_vector;
	c->int_state = c12->int_state;
	if (c12->event_inj.valid) {
		event_inject(cpu, n->vmcb02, c12->event_inj, c12->event_inj_err);
	} else {
		c->event_inj.raw = 0;
		c->event_inj_err = 0;
		cpu->injected[1].raw = 0;
	}

	c->misc_ctl = MISC_CTL_NP_ENABLE;
	if (n->l2_np) {
		c->nested_cr3 = nested_npt_root(cpu);
		if ((c12->misc_ctl & MISC_CTL_GMET) &&
		    svm_has(&cpu->caps, SVM_FEAT_GMET))
			c->misc_ctl |= MISC_CTL_GMET;
	} else {
		c->nested_cr3 = c01->nested_cr3;
	}

	prepare_save02(cpu);
	prepare_soft_injection(cpu);
	n->l2_efer = n->cache.save.efer;
	n->l2_vgif = (c12->int_ctl & V_GIF) != 0;
	nested_feat_vmrun(cpu, &n->feat, c12, c);
}

/*
 * The end of L1's VMRUN that fails (APM Vol. 2 §15.5.1: #VMEXIT with
 * VMEXIT_INVALID; docs/semantics.md §8): vmcb12 gets the exit code,
 * EXITINFO1 and EXITINFO2 = 0 and EVENTINJ consumed (as KVM does); its
 * save area is not written, since no guest state was loaded; the GIF is
 * cleared.  L1 resumes after its VMRUN (vmcb01's RIP is past it already).
 */
static void vmrun_failed(struct cpu *cpu)
{
	/* vmcb12_gpa passed VMRUN's pre-checks: never NULL. */
	volatile struct vmcb *v12 =
		(volatile struct vmcb *)l1_host_ptr(cpu->nested.vmcb12_gpa, 4096);

	ASSERT(v12);
	nested_l1_store(cpu, cpu->nested.vmcb12_gpa);
	v12->control.exit_code = VMEXIT_INVALID;
	v12->control.exit_info_1 = 0;
	v12->control.exit_info_2 = 0;
	v12->control.event_inj.raw = 0;
	nested_set_gif(cpu, false);
}

static void vmrun_fail(struct cpu *cpu, const struct nested_check_failure *why)
{
	log_info_limited("L1 VMRUN of vmcb12 at 0x%lx failed check: %s (%s): "
			 "VMEXIT_INVALID", cpu->nested.vmcb12_gpa, why->name, why->cond);
	vmrun_failed(cpu);
}

void nested_vmrun_refused(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;

	n->guest_mode = false;
	cpu->cur = cpu->vmcb01;
	cpu->decode_cur = cpu->decode_cache[0];
	cpu->cur_pa = cpu->vmcb01_pa;
	cpu->cur_phys = &l1_gmem;
	vmrun_failed(cpu);
}

void nested_vmrun(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct vmcb_save *s01 = &cpu->vmcb01->save;
	struct nested_check_failure why = { 0 };
	struct nested_vmrun_ctx ctx = {
		.efer = n->svme ? s01->efer : s01->efer & ~X86_EFER_SVME,
		.cr0 = s01->cr0, .cpl = s01->cpl, .smm = false,
		.hsave_pa = n->hsave_pa,
	};
	volatile struct vmcb *v12;
	enum x86_vector exc;
	int len = insn_begin(cpu, INSN_VMRUN);

	if (len < 0)
		return;
	/* rAX by the address size (APM Vol. 3 VMRUN) */
	ctx.vmcb12_gpa = guest_insn_rax(cpu, (unsigned)len);
	if (nested_vmrun_prechecks(&ctx, &n->caps, &why, &exc)) {
		log_debug_limited("L1 VMRUN: %s", why.name);
		inject_exception(cpu, exc, exc == X86_VEC_GP, 0);
		return;
	}
	/* The prechecks bound the address by L1's width: reachable.  The
	 * same address as the last VMRUN's: where that one found it, since
	 * L1's memory map (nestvisor's region, the hidden ranges, the pages
	 * it emulates) is fixed before L1 first runs (core/hvmem.h). */
	if (ctx.vmcb12_gpa == n->vmcb12_gpa && n->vmcb12)
		v12 = n->vmcb12;
	else
		v12 = (volatile struct vmcb *)l1_host_ptr(ctx.vmcb12_gpa, 4096);
	if (!v12) {
		inject_exception(cpu, X86_VEC_GP, true, 0);
		return;
	}
	/* RIP past VMRUN in vmcb01, where L1 resumes after the #VMEXIT (a
	 * single-step trap waits there too, svm/inject.c). */
	guest_advance_rip(cpu, (unsigned)len);
	n->vmcb12_gpa = ctx.vmcb12_gpa;
	n->vmcb12 = v12;
	/* vmcb02 does not run until the checks below pass. */
	nested_copy_vmcb12_into(&n->cache, v12, &n->vmcb02->save);
	nested_sanitize_controls(&n->cache.ctrl, &n->caps);
	if (nested_needs_pdptes(&n->cache))
		nested_copy_pdptes(&n->cache, (const volatile uint64_t *)
				   l1_host_ptr(n->cache.save.cr3 & 0xffffffe0ull, 32));
	if (nested_check_vmcb12(&n->cache, &n->caps, &why)) {
		vmrun_fail(cpu, &why);
		return;
	}
	n->l2_np = n->cache.ctrl.misc_ctl & MISC_CTL_NP_ENABLE;
	if (n->l2_np) /* L2's code no longer lives in L1's physical space */
		decode_cache_clear(cpu, 1);
	if (n->l2_np && nested_npt_setup(cpu)) {
		why = (struct nested_check_failure){
			0, "out of memory for the shadow NPT", "snpt" };
		vmrun_fail(cpu, &why);
		return;
	}
	/* L1's TLB flushes reach the shadow NPT too: the nested
	 * translations it caches are what the flushed TLB held (also at a
	 * VMRUN without nested paging). */
	nested_npt_vmrun(cpu);
	prepare_vmcb02(cpu);
	if (!n->nr_vmruns)
		log_info("L1 runs its first L2: vmcb12 at 0x%lx, nested paging "
			 "%s%s", n->vmcb12_gpa,
			 n->l2_np ? "on (shadow NPT)" : "off (L1's physical space)",
			 (n->cache.ctrl.misc_ctl & MISC_CTL_GMET) ? ", GMET" : "");
	n->nr_vmruns++;
	n->guest_mode = true;
	n->v_irq_held = false;
	cpu->cur = n->vmcb02;
	cpu->decode_cur = cpu->decode_cache[1];
	cpu->cur_pa = n->vmcb02_pa;
	cpu->cur_phys = n->l2_np ? &n->l2_phys : &l1_gmem;
	nested_set_gif(cpu, true);
	log_trace("L1 VMRUN: L2 at rip 0x%lx, np %d, asid %u", n->vmcb02->save.rip,
		  n->l2_np, n->vmcb02->control.asid);
}

void nested_vmexit(struct cpu *cpu, uint64_t code, uint64_t info1,
		   uint64_t info2, uint64_t next_rip)
{
	struct nested *n = &cpu->nested;
	struct vmcb *v02 = n->vmcb02;
	struct vmcb_save *s01 = &cpu->vmcb01->save;
	/* Where VMRUN found vmcb12 (L1's memory map does not change). */
	volatile struct vmcb *v12 = n->vmcb12;
	volatile struct vmcb_save *s12 = &v12->save;
	volatile struct vmcb_control *c12 = &v12->control;
	/* vNMI's bits only with V_NMI_ENABLE: else they are not used and
	 * stay as vmcb12 has them. */
	const uint32_t irq_bits = V_TPR_MASK | V_IRQ |
		((n->cache.ctrl.int_ctl & V_NMI_ENABLE) ?
		 V_NMI_PENDING | V_NMI_BLOCKING : 0);
	union svm_event exitintinfo;
	struct feat_exit x;
	uint64_t l2_rip;

	ASSERT(v12);
	nested_l1_store(cpu, n->vmcb12_gpa);
	/* EXITINFO1 and next_rip as the offered features complete them. */
	x = nested_feat_vmexit(cpu, &n->feat, v12, code,
			       (struct feat_exit){ info1, next_rip, info2 });
	s12->es = v02->save.es;
	s12->cs = v02->save.cs;
	s12->ss = v02->save.ss;
	s12->ds = v02->save.ds;
	s12->gdtr = v02->save.gdtr;
	s12->idtr = v02->save.idtr;
	s12->cpl = v02->save.cpl;
	s12->efer = n->l2_efer;
	s12->cr0 = v02->save.cr0;
	s12->cr2 = v02->save.cr2;
	s12->cr3 = v02->save.cr3;
	s12->cr4 = v02->save.cr4;
	s12->dr6 = v02->save.dr6;
	s12->dr7 = v02->save.dr7;
	s12->rflags = v02->save.rflags;
	s12->rip = v02->save.rip;
	s12->rsp = v02->save.rsp;
	s12->rax = v02->save.rax;
	if (n->l2_np)
		s12->g_pat = v02->save.g_pat;

	nested_l2_vgif_sync(cpu);
	c12->int_ctl = (n->cache.ctrl.int_ctl & ~(irq_bits | V_GIF)) |
		       (v02->control.int_ctl & irq_bits) |
		       (n->v_irq_held ? V_IRQ : 0) |
		       (n->l2_vgif ? V_GIF : 0) |
		       nested_feat_vnmi_int_ctl(&n->feat, v02->control.exit_int_info);
	c12->int_vector = v02->control.int_vector;
	c12->int_state = v02->control.int_state;
	c12->exit_code = code;
	c12->exit_info_1 = x.info1;
	c12->exit_info_2 = info2;
	/* EXITINTINFO with its architectural type (svm/event.h,
	 * svm/nested_swint.c): both leave an invalid one as it is. */
	exitintinfo = v02->control.exit_int_info;
	if (exitintinfo.valid) {
		exitintinfo = event_from_cpu(exitintinfo);
		if (nested_swint_exitintinfo(cpu, &exitintinfo, &l2_rip))
			s12->rip = l2_rip;
	}
	c12->exit_int_info = exitintinfo;
	c12->exit_int_info_err =
		exitintinfo.ev ? v02->control.exit_int_info_err : 0;
	c12->next_rip = x.next_rip;
	c12->event_inj.raw = 0;
	c12->event_inj_err = 0;

	copy_vmload_state(s01, &v02->save);
	s01->cr2 = v02->save.cr2;
	s01->dr7 = 0x400;
	n->guest_mode = false;
	n->nr_reflected++;
	cpu->cur = cpu->vmcb01;
	cpu->decode_cur = cpu->decode_cache[0];
	cpu->cur_pa = cpu->vmcb01_pa;
	cpu->cur_phys = &l1_gmem;
	nested_set_gif(cpu, false);
	log_trace("#VMEXIT 0x%lx to L1 (info1 0x%lx info2 0x%lx)", code, info1,
		  info2);
}
