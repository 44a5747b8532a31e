// SPDX-License-Identifier: MIT
/*
 * The global interrupt flag (AMD APM Vol. 2 §15.17) and L2's virtual GIF
 * (§15.33.2), and the intercepts of vmcb01 and vmcb02, which follow them
 * (and L2's EFER.SVME, L1's #BP/#OF intercepts: svm/nested_swint.c, and
 * the feature emulations': svm/nested_feat.c; L1's EFER.SVME with the
 * CPU's virtual VMLOAD/VMSAVE: l1_vls()).
 *
 * There is one GIF: L1's CLGI and STGI set it, and so do its L2's when L1
 * does not intercept them (and L2 has no virtual GIF); VMRUN sets it,
 * #VMEXIT clears it.  While it is clear, the guest that runs takes no
 * interrupt, NMI or SMI: they wait, and when the GIF is set again they
 * are taken in the CPU's order (SMI, NMI, then INTR).  nestvisor keeps the
 * GIF in software (struct nested.gif), because the CPU's GIF is set while
 * any guest runs, and makes the VMCB that runs hold what the GIF holds:
 *  - INTR: V_INTR_MASKING with the host's IF clear for VMRUN
 *    (svm/vmrun.S): interrupts stay pending in the local APIC.  With the
 *    GIF set, vmcb01 runs without V_INTR_MASKING (L1 takes its interrupts
 *    directly), vmcb02 with L1's V_INTR_MASKING and L1's IF at its VMRUN
 *    as the host IF;
 *  - NMI: every VMCB intercepts NMI, GIF set or clear, because other
 *    CPUs kick this one with NMIs (svm/smp.c).  An NMI that was not a
 *    kick waits in cpu->nmi_pending, and svm/nmi.c delivers it before a
 *    VMRUN once the GIF is set (EVENTINJ, or L1's #VMEXIT(NMI)): with NMI
 *    before INTR, as the CPU would have taken the held one;
 *  - L2's virtual interrupt (V_IRQ from vmcb12): taken out of vmcb02 while
 *    it must wait, given back after.
 *  - SMI: a pending SMI cannot be held physically while a guest runs (it
 *    would exit at once again), so what is held is the guest's request
 *    for one, its write to the SMI command port (svm/smi_cmd.c), written
 *    and its SMI taken once the GIF is set, before the held NMI
 *    (gif_deliver_held() below).  SMIs from elsewhere are taken when they
 *    come (svm/smi.c); docs/nested.md lists it.
 * With the CPU's vGIF, L1's GIF lives in vmcb01's V_GIF while nothing
 * waits for it (nested.l1_vgif): L1's CLGI and STGI then run without an
 * exit (a guest hypervisor's loop: CLGI; VMLOAD; VMRUN; VMSAVE; VMLOAD;
 * STGI costs one exit less each).  V_GIF holds only virtual interrupts,
 * and L1 takes its physical ones directly, so in this mode vmcb01
 * intercepts INTR: a physical interrupt that L1's IF lets in exits
 * instead (it stays pending in the local APIC), and nestvisor reads
 * V_GIF.  Set: L1 takes it itself (vmcb01 then runs as above with the
 * GIF set, CLGI intercepted).  Clear: the GIF goes back into software,
 * held as above, with STGI intercepted, and the interrupt is taken after
 * L1's STGI.  Either way, if L1 ran a guest since this last happened,
 * its GIF goes back into V_GIF (set) at its next exit that is neither
 * that INTR's nor the STGI's, which comes after L1 took the interrupt
 * (its EOI, or the VMSAVE or VMLOAD of its next entry), so that its next
 * CLGI does not exit (nested_gif_resume()); should the interrupt still
 * be pending, it exits once more and the CLGI exits as before.  Not while
 * an NMI posted in vmcb01's V_NMI is still undelivered (svm/nmi.c): L1's
 * CLGI must exit then, to take it back.  An NMI
 * for L1 (every NMI exits anyway), an INIT, or a write to the SMI
 * command port (an I/O exit) that finds V_GIF clear is held the same
 * way until STGI (nested_gif_hold()), and the mode is not entered again
 * while one of them is held.
 * VMRUN and #VMEXIT, whose emulation sets and clears the GIF, enter the
 * mode again; so does L1's CLGI when it exits.  Only while L1's EFER.SVME
 * is set: its CLGI/STGI must otherwise raise #UD, which the CPU, seeing
 * vmcb01's EFER.SVME, would not.  Exact for physical interrupts, NMIs,
 * INITs and SMI requests; other SMIs as above.
 * L2's virtual GIF (vmcb12 V_GIF_ENABLE, offered to L1 as vGIF): L2's
 * CLGI and STGI clear and set vmcb12's V_GIF instead of the GIF, and
 * V_GIF = 0 holds L2's virtual interrupt.  Where the CPU has vGIF, vmcb02
 * carries L1's V_GIF bits and L2's CLGI/STGI run without an exit; else
 * nestvisor intercepts them and holds V_IRQ itself.
 */
#include "core/log.h"
#include "core/x86.h"
#include "svm/init_sipi.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/smi_cmd.h"
#include "svm/vnmi01.h"

/* Does the CPU's vGIF run L2's virtual GIF (vmcb02 carries L1's V_GIF
 * bits and does not intercept L2's CLGI/STGI)?  Not while L2's EFER.SVME
 * is clear: its CLGI/STGI must raise #UD (svm/nested_exit.c). */
static bool cpu_vgif_for_l2(const struct cpu *cpu)
{
	const struct nested *n = &cpu->nested;

	return (n->cache.ctrl.int_ctl & V_GIF_ENABLE) &&
	       svm_has(&cpu->caps, SVM_FEAT_VGIF) &&
	       (n->l2_efer & X86_EFER_SVME);
}

/* L2's virtual GIF emulated by nestvisor: vmcb12 enables it, and the
 * CPU's vGIF does not run it. */
static bool emulated_vgif(const struct cpu *cpu)
{
	return (cpu->nested.cache.ctrl.int_ctl & V_GIF_ENABLE) &&
	       !cpu_vgif_for_l2(cpu);
}

/*
 * L1's VMLOAD and VMSAVE run on the CPU's virtual VMLOAD/VMSAVE where it
 * has them (APM Vol. 2 §15.33.1): vmcb01 enables them (virt_ext) and does
 * not intercept the instructions.  rAX is then a guest-physical address
 * of L1, translated through vmcb01's nested page table, nestvisor's NPT
 * for L1 (always on), so they reach only what L1 may: nestvisor's region
 * and the hidden ranges are its sink pages there, and a watched page's
 * write-protection holds for VMSAVE's writes as for L1's own (the #NPF
 * path, svm/npf.c).  Outside 64-bit mode the CPU exits for them anyway
 * (then emulated, svm/nested_insns.c).  Only while L1's EFER.SVME is set:
 * they must otherwise raise #UD, and the CPU sees vmcb01's EFER.SVME.
 * vmcb02 never runs them virtually (nestvisor does not offer the feature
 * to L1: L2's are emulated, on L1-physical addresses).
 */
static bool l1_vls(const struct cpu *cpu)
{
	return svm_has(&cpu->caps, SVM_FEAT_VVMSAVE) && cpu->nested.svme;
}

void nested_update_intercepts(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	const struct vmcb12_ctrl_cache *c12 = &n->cache.ctrl;
	struct vmcb_control *c01 = &cpu->vmcb01->control, *c02;

	/* vmcb01's while L1 runs (they are made again before L1 resumes
	 * after L2).  L0_INTERCEPT1 has NMI: it also holds NMIs while the
	 * GIF is clear.  L1's GIF in V_GIF: INTR exits, CLGI and STGI run.
	 * The CPU's virtual VMLOAD/VMSAVE: they run too (above). */
	if (!n->guest_mode) {
		bool vls = l1_vls(cpu);

		c01->intercept_misc1 = L0_INTERCEPT1 |
				       (n->l1_vgif ? INTERCEPT1_INTR : 0);
		c01->intercept_misc2 = L0_INTERCEPT2 &
			~(n->l1_vgif ? INTERCEPT2_STGI | INTERCEPT2_CLGI : 0) &
			~(vls ? INTERCEPT2_VMLOAD | INTERCEPT2_VMSAVE : 0);
		c01->virt_ext = vls ? VIRT_EXT_VVMSAVE : 0;
		return;
	}
	c02 = &n->vmcb02->control;
	c02->intercept_misc1 = c12->intercept_misc1 | L0_INTERCEPT1;
	/* L1's #BP and #OF intercepts for INT3 and INTO: through the INTn
	 * intercept (svm/nested_swint.c). */
	if (c12->intercept_exceptions & ((1u << X86_VEC_BP) | (1u << X86_VEC_OF)))
		c02->intercept_misc1 |= INTERCEPT1_SWINT;
	c02->intercept_misc2 = c12->intercept_misc2 | L0_INTERCEPT2;
	if (cpu_vgif_for_l2(cpu))
		c02->intercept_misc2 &= ~((INTERCEPT2_STGI | INTERCEPT2_CLGI) &
					  ~c12->intercept_misc2);
	/* vmcb02 runs with EFER.SVME set, so the CPU cannot raise the #UD of
	 * an SVM instruction of an L2 whose EFER.SVME is clear; it may raise
	 * #GP for it instead (CPL, rAX), ahead of the instruction's
	 * intercept.  While L2's SVME is clear, vmcb02 intercepts #GP too
	 * and svm/nested_exit.c turns that #GP into #UD. */
	c02->intercept_exceptions = c12->intercept_exceptions |
				    L0_INTERCEPT_EXCEPTIONS;
	if (!(n->l2_efer & X86_EFER_SVME))
		c02->intercept_exceptions |= 1u << X86_VEC_GP;
	/* What the feature emulations intercept (svm/nested_feat.c). */
	nested_feat_add_intercepts(&n->feat, c02);
}

/* vmcb02's V_INTR_MASKING, V_IRQ, V_GIF and the host IF. */
static void apply_l2(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct vmcb_control *c = &n->vmcb02->control;
	bool virq_ok = n->gif && (!emulated_vgif(cpu) || n->l2_vgif);

	c->int_ctl &= ~(V_GIF | V_GIF_ENABLE);
	if (cpu_vgif_for_l2(cpu))
		c->int_ctl |= V_GIF_ENABLE | (n->l2_vgif ? V_GIF : 0);
	if (!virq_ok) {
		n->v_irq_held |= (c->int_ctl & V_IRQ) != 0;
		c->int_ctl &= ~V_IRQ;
	} else if (n->v_irq_held) {
		c->int_ctl |= V_IRQ;
		n->v_irq_held = false;
	}
	if (!n->gif) {
		c->int_ctl |= V_INTR_MASKING;
		cpu->cur_host_if = 0;
		return;
	}
	c->int_ctl = (c->int_ctl & ~V_INTR_MASKING) |
		     (n->cache.ctrl.int_ctl & V_INTR_MASKING);
	/* L1's IF at its VMRUN is the host IF that masks L2's physical
	 * interrupts under V_INTR_MASKING (APM Vol. 2 §15.21.1). */
	cpu->cur_host_if = (cpu->vmcb01->save.rflags & X86_RFLAGS_IF) ? 1 : 0;
}

/* May L1's clear GIF go into vmcb01's V_GIF (the top of this file)? */
static bool l1_vgif_ok(const struct cpu *cpu)
{
	return svm_has(&cpu->caps, SVM_FEAT_VGIF) && cpu->nested.svme &&
	       !cpu->nmi_pending && !cpu->smi_held &&
	       !sipi_init_pending(&cpu->sipi);
}

static void set_gif(struct cpu *cpu, bool gif, bool vgif_ok)
{
	struct nested *n = &cpu->nested;
	struct vmcb_control *c01 = &cpu->vmcb01->control;

	n->gif = gif;
	/* An NMI posted in vmcb01's V_NMI and not yet taken by L1 waits for
	 * the GIF, or goes to L2's context, as a held one (svm/nmi.c). */
	if ((!gif || n->guest_mode) && vnmi01_take_back(c01))
		cpu->nmi_pending = true;
	n->l1_vgif = !gif && !n->guest_mode && vgif_ok && l1_vgif_ok(cpu);
	c01->int_ctl &= ~(V_INTR_MASKING | V_GIF | V_GIF_ENABLE);
	if (n->l1_vgif) {
		c01->int_ctl |= V_GIF_ENABLE; /* V_GIF = 0 */
		n->l1_vgif_resume = false;
	} else if (!gif)
		c01->int_ctl |= V_INTR_MASKING;
	if (n->guest_mode)
		apply_l2(cpu);
	else
		cpu->cur_host_if = 0;
	nested_update_intercepts(cpu);
}

void nested_set_gif(struct cpu *cpu, bool gif)
{
	set_gif(cpu, gif, true);
}

bool nested_gif_get(const struct cpu *cpu)
{
	const struct nested *n = &cpu->nested;

	if (n->l1_vgif)
		return (cpu->vmcb01->control.int_ctl & V_GIF) != 0;
	return n->gif;
}

void nested_gif_hold(struct cpu *cpu)
{
	if (cpu->nested.l1_vgif)
		set_gif(cpu, nested_gif_get(cpu), false);
}

void nested_gif_intr(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;

	if (!n->l1_vgif)
		return;
	/* Only for an L1 that ran a guest since the last such return: one
	 * that stopped would otherwise pay an INTR exit for each of its
	 * interrupts from then on. */
	n->l1_vgif_resume = n->nr_vmruns != n->l1_vgif_vmruns;
	nested_gif_hold(cpu);
}

void nested_gif_resume(struct cpu *cpu, uint64_t code)
{
	struct nested *n = &cpu->nested;
	struct vmcb_control *c01 = &cpu->vmcb01->control;

	/* Not while an NMI posted in V_NMI waits for L1 (svm/nmi.c): L1's
	 * CLGI must exit to hold it. */
	if (!n->l1_vgif_resume || n->guest_mode || !n->gif ||
	    code == VMEXIT_INTR || code == VMEXIT_STGI || !l1_vgif_ok(cpu) ||
	    vnmi01_posted(c01))
		return;
	/* The state L1's own STGI leaves in V_GIF mode: V_GIF set, INTR
	 * intercepted, CLGI and STGI not. */
	n->gif = false;
	n->l1_vgif = true;
	n->l1_vgif_resume = false;
	n->l1_vgif_vmruns = n->nr_vmruns;
	c01->int_ctl = (c01->int_ctl & ~V_INTR_MASKING) | V_GIF_ENABLE | V_GIF;
	cpu->cur_host_if = 0;
	nested_update_intercepts(cpu);
}

void nested_l2_set_vgif(struct cpu *cpu, bool vgif)
{
	cpu->nested.l2_vgif = vgif;
	apply_l2(cpu);
}

bool nested_l2_vgif_by_cpu(const struct cpu *cpu)
{
	return cpu->nested.guest_mode && cpu_vgif_for_l2(cpu);
}

bool nested_l2_vgif_emulated(const struct cpu *cpu)
{
	return cpu->nested.guest_mode && emulated_vgif(cpu);
}

void nested_l2_vgif_sync(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;

	if (cpu_vgif_for_l2(cpu))
		n->l2_vgif = (n->vmcb02->control.int_ctl & V_GIF) != 0;
}

/* SMI before NMI (APM Vol. 2 §8.5, simultaneous interrupt priorities);
 * INTR is physical and comes after the VMRUN.  Each waits while the GIF
 * is clear; an SMI that becomes L1's #VMEXIT clears it, and the NMI then
 * waits too. */
void gif_deliver_held(struct cpu *cpu)
{
	smi_deliver(cpu);
	if (cpu->nmi_pending)
		nmi_deliver(cpu);
}
