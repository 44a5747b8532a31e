// SPDX-License-Identifier: MIT
/*
 * vNMI for L2 (rules: svm/feat_vnmi.h; docs/nested.md, "vNMI").  Where
 * the CPU has vNMI, vmcb02 carries vmcb12's V_NMI bits and the CPU does
 * the work (svm/nested.c writes its bits back).  Where it does not,
 * nestvisor emulates it for a vmcb12 with V_NMI_ENABLE, and takes control
 * at every instruction boundary where the APM's rules can let a pending
 * virtual NMI in:
 *  - before vmcb02 runs (svm/smp.c svm_prepare_entry ->
 *    nested_feat_entry()): a pending NMI that nothing blocks is injected
 *    (EVENTINJ, type NMI), V_NMI := 0, V_NMI_MASK := 1;
 *  - V_NMI_MASK set: vmcb02 intercepts IRET; at an IRET exit L1 does not
 *    take, nestvisor lets the IRET run with RFLAGS.TF and #DB intercepted
 *    and sees it complete at the single-step trap (V_NMI_MASK := 0), then
 *    the NMI is injected at that boundary.  While a step runs every event
 *    that could be delivered into L2 exits first (exceptions, INTR,
 *    VINTR, INTn), so nestvisor's TF never reaches a frame; the step is
 *    cancelled and the event goes its usual way;
 *  - an interrupt shadow: the one instruction is stepped over the same way
 *    (PUSHF's image and SYSCALL's R11 get L2's TF back);
 *  - the GIF or L2's V_GIF clear: the NMI waits for STGI (intercepted
 *    where the CPU runs L2's V_GIF);
 *  - an event vmcb02 delivers first (EVENTINJ): the NMI is taken at the
 *    boundary after its delivery, before the handler's first instruction.
 *    vmcb02 runs that once on a copy of its nested page table's root with
 *    every entry no-execute: the delivery's reads and writes go through,
 *    the fetch of the handler's first instruction exits (#NPF), the root
 *    is put back and the NMI injected there.
 * State per vCPU in struct nested_feat.vnmi; vmcb12's V_NMI and
 * V_NMI_MASK are written back at #VMEXIT (svm/nested.c).
 */
#include "core/hvmem.h"
#include "core/log.h"
#include "core/x86.h"
#include "mm/pferr.h"
#include "mm/role.h"
#include "mm/walk.h"
#include "svm/event.h"
#include "svm/intercepts.h"
#include "svm/nested_feat_internal.h"
#include "svm/nested_internal.h"

#define NPT_NX         (1ull << 63)
#define NPF_INFO1_FETCH (1ull << 4)

/* What a stepped instruction does with RFLAGS that the step must undo. */
enum vnmi_fix { FIX_NONE, FIX_PUSHF, FIX_SYSCALL };

void feat_vnmi_init(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct nested_feat *f = &n->feat;
	uint64_t efer;

	n->caps.vnmi = n->offered;
	f->vnmi_cpu = svm_has(&cpu->caps, SVM_FEAT_VNMI);
	if (!n->offered || f->vnmi_cpu)
		return;
	f->vnmi_nx_root = hv_alloc(1);
	/* The no-execute root needs the NX bit of nested page tables, which
	 * the host's EFER.NXE enables (checked again on the CPU that uses
	 * it: nx_root_arm()). */
	if (!cpu->idx && (!f->vnmi_nx_root || rdmsr_safe(MSR_EFER, &efer) ||
			  !(efer & X86_EFER_NXE)))
		log_warn("vNMI for L2: no no-execute root (EFER.NXE clear, or "
			 "no memory): an NMI pending behind an injected event "
			 "waits for the next exit");
}

void feat_vnmi_vmrun(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;

	vnmi_vmrun(&n->feat.vnmi, n->cache.ctrl.int_ctl, n->cache.ctrl.event_inj);
	n->feat.vnmi_icpt = vnmi_intercepts(&n->feat.vnmi, false);
}

/* L2's GIF as a virtual NMI sees it: nestvisor's GIF, and V_GIF where
 * vmcb12 enables vGIF (the CPU's in vmcb02, or nestvisor's copy). */
static bool l2_gif(const struct cpu *cpu)
{
	const struct nested *n = &cpu->nested;

	if (!n->gif)
		return false;
	if (!(n->cache.ctrl.int_ctl & V_GIF_ENABLE))
		return true;
	if (nested_l2_vgif_by_cpu(cpu))
		return (n->vmcb02->control.int_ctl & V_GIF) != 0;
	return n->l2_vgif;
}

/* The byte of RFLAGS' bits 15:8 that L2's PUSHF stored at SS:RSP + 1:
 * TF as L2 had it.  Written through L2's page tables (and L1's NPT),
 * where the CPU has just written it: a page L2 may write, which no
 * shadow table or watched map lives in. */
static void fix_pushed_tf(struct cpu *cpu, bool tf)
{
	const struct vmcb_save *s = &cpu->cur->save;
	struct paging_regs regs = { s->cr0, s->cr4, s->efer, false };
	union cpu_role role = cpu_role_from_regs(&regs);
	struct mm_cpu mc = { cpu->caps.l1_maxphyaddr, cpu->caps.gbpages };
	struct walk_result r;
	struct pagewalk w;
	uint64_t la, gpa;
	uint8_t b;

	/* The stack's address size: 64-bit code ignores SS's base. */
	if ((s->efer & X86_EFER_LMA) && s->cs.attrib.l)
		la = s->rsp + 1;
	else if (s->ss.attrib.db)
		la = s->ss.base + (uint32_t)s->rsp + 1;
	else
		la = s->ss.base + (uint16_t)s->rsp + 1;
	gpa = la;
	if (!role.base.direct) {
		pagewalk_init(&w, role, false, &mc);
		if (!walk(&w, cpu->cur_phys, s->cr3, la,
			  PFERR_WRITE | (s->cpl == 3 ? PFERR_USER : 0), &r))
			return;
		gpa = r.out;
	}
	if (cpu->cur_phys->read(cpu->cur_phys->ctx, gpa, &b, 1))
		return;
	b = (uint8_t)((b & ~1u) | (tf ? 1u : 0u));
	cpu->cur_phys->write(cpu->cur_phys->ctx, gpa, &b, 1);
}

/* The step is over and its instruction completed: PUSHF's image and
 * SYSCALL's R11 get L2's own TF. */
static void step_fixups(struct cpu *cpu, bool l2_tf)
{
	struct nested_feat *f = &cpu->nested.feat;

	if (f->vnmi_fix == FIX_PUSHF)
		fix_pushed_tf(cpu, l2_tf);
	else if (f->vnmi_fix == FIX_SYSCALL)
		cpu->gregs.r11 = (cpu->gregs.r11 & ~X86_RFLAGS_TF) |
				 (l2_tf ? X86_RFLAGS_TF : 0);
	f->vnmi_fix = FIX_NONE;
}

/* The instruction at L2's RIP, as far as RFLAGS goes: does it load them
 * (IRET, POPF, SYSRET), store them (PUSHF, SYSCALL)? */
static bool classify(struct cpu *cpu, uint8_t *fix)
{
	uint8_t b[INSN_MAX_LEN];
	enum insn_mode mode;
	uint64_t la;
	unsigned n = guest_code_fetch(cpu, b, sizeof(b), &la, &mode), i = 0;

	*fix = FIX_NONE;
	/* Legacy prefixes, then REX in 64-bit mode. */
	while (i < n && (b[i] == 0x66 || b[i] == 0x67 || b[i] == 0xf0 ||
			 b[i] == 0xf2 || b[i] == 0xf3 || b[i] == 0x2e ||
			 b[i] == 0x36 || b[i] == 0x3e || b[i] == 0x26 ||
			 b[i] == 0x64 || b[i] == 0x65))
		i++;
	if (i < n && mode == INSN_MODE_64 && (b[i] & 0xf0) == 0x40)
		i++;
	if (i >= n)
		return false;
	switch (b[i]) {
	case 0xcf: /* IRET */
	case 0x9d: /* POPF */
		return true;
	case 0x9c: /* PUSHF */
		*fix = FIX_PUSHF;
		return false;
	case 0x0f:
		if (i + 1 < n && b[i + 1] == 0x05)
			*fix = FIX_SYSCALL;
		return i + 1 < n && b[i + 1] == 0x07; /* SYSRET */
	default:
		return false;
	}
}

/* vmcb02 runs once on the no-execute copy of its NPT root. */
static void nx_root_arm(struct cpu *cpu)
{
	struct nested_feat *f = &cpu->nested.feat;
	struct vmcb_control *c = &cpu->nested.vmcb02->control;
	const uint64_t *root = (const uint64_t *)(c->nested_cr3 & ~0xfffull);
	uint64_t efer;

	/* Without this CPU's EFER.NXE the NX bit would be a reserved bit of
	 * every entry: the NMI waits for the next exit instead. */
	if (!f->vnmi_nx_root || rdmsr_safe(MSR_EFER, &efer) ||
	    !(efer & X86_EFER_NXE))
		return;
	for (unsigned i = 0; i < 512; i++)
		f->vnmi_nx_root[i] = root[i] & 1 ? root[i] | NPT_NX : root[i];
	f->vnmi_saved_ncr3 = c->nested_cr3;
	c->nested_cr3 = (uint64_t)f->vnmi_nx_root |
			(c->nested_cr3 & 0xfffull);
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	f->vnmi.after_event = true;
}

static void nx_root_disarm(struct cpu *cpu)
{
	struct nested_feat *f = &cpu->nested.feat;
	struct vmcb_control *c = &cpu->nested.vmcb02->control;

	if (!f->vnmi.after_event)
		return;
	c->nested_cr3 = f->vnmi_saved_ncr3;
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	f->vnmi.after_event = false;
}

static void begin_step(struct cpu *cpu, enum vnmi_step why)
{
	struct nested_feat *f = &cpu->nested.feat;
	uint8_t fix = FIX_NONE;
	bool loads = why == VNMI_STEP_IRET || classify(cpu, &fix);

	f->vnmi_fix = fix;
	vnmi_step_begin(&f->vnmi, why, loads, &cpu->nested.vmcb02->save);
}

/* vmcb02's intercepts for the emulation, made again when they change. */
static void apply_intercepts(struct cpu *cpu)
{
	struct nested_feat *f = &cpu->nested.feat;
	bool wait_stgi = nested_l2_vgif_by_cpu(cpu) && cpu->nested.gif &&
			 !(cpu->nested.vmcb02->control.int_ctl & V_GIF);
	struct vnmi_intercepts i = vnmi_intercepts(&f->vnmi, wait_stgi);

	if (i.misc1 == f->vnmi_icpt.misc1 && i.misc2 == f->vnmi_icpt.misc2 &&
	    i.exceptions == f->vnmi_icpt.exceptions)
		return;
	f->vnmi_icpt = i;
	nested_update_intercepts(cpu);
}

void feat_vnmi_entry(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct vnmi *v = &n->feat.vnmi;
	struct vmcb *v02 = n->vmcb02;
	const struct vnmi_intercepts *i = &n->feat.vnmi_icpt;
	struct vnmi_env env;

	/* Nothing pending, no step: only the IRET intercept follows
	 * V_NMI_MASK, and it is in place already. */
	if (!v->pending && v->step == VNMI_STEP_NONE && !v->after_event &&
	    !i->misc2 && !i->exceptions &&
	    !(i->misc1 & INTERCEPT1(VMEXIT_IRET)) == !v->masked)
		return;

	/* An event to deliver ends a step: its frame must not get TF. */
	if (v->step != VNMI_STEP_NONE && v02->control.event_inj.valid)
		vnmi_step_cancel(v, &v02->save);
	if (v->step == VNMI_STEP_NONE && !v->after_event) {
		env = (struct vnmi_env){
			.gif = l2_gif(cpu),
			.shadow = (v02->control.int_state & INT_STATE_SHADOW) != 0,
			.event_pending = v02->control.event_inj.valid,
		};
		switch (vnmi_next(v, &env)) {
		case VNMI_INJECT:
			inject_nmi(cpu);
			vnmi_taken(v);
			break;
		case VNMI_STEP_OVER:
			begin_step(cpu, VNMI_STEP_SHADOW);
			break;
		case VNMI_AFTER_EVENT:
			nx_root_arm(cpu);
			break;
		default:
			break;
		}
	}
	apply_intercepts(cpu);
}

bool feat_vnmi_exit_early(struct cpu *cpu, uint64_t code)
{
	struct nested *n = &cpu->nested;
	struct vnmi *v = &n->feat.vnmi;
	struct vmcb *v02 = n->vmcb02;

	if (v->after_event) {
		nx_root_disarm(cpu);
		/* The fetch of the delivered event's handler: the boundary the
		 * NMI was waiting for. */
		if (code == VMEXIT_NPF && !v02->control.exit_int_info.valid &&
		    (v02->control.exit_info_1 & NPF_INFO1_FETCH) &&
		    !v->masked && v->pending) {
			inject_nmi(cpu);
			vnmi_taken(v);
			return true;
		}
	}
	if (v->step == VNMI_STEP_NONE)
		return false;
	switch (vnmi_step_exit(v, &v02->save, code)) {
	case VNMI_STEP_DONE:
		step_fixups(cpu, false);
		return true;
	case VNMI_STEP_DONE_DB:
		step_fixups(cpu, true);
		return false; /* L2's own #DB: delivered as usual */
	case VNMI_STEP_ABORTED:
		/* An interrupt due before the instruction: L1's exit if it
		 * intercepts it, else L2 takes it once it runs again without
		 * the step's intercepts. */
		return (code == VMEXIT_INTR || code == VMEXIT_VINTR) &&
		       !nested_l1_intercepts(cpu, code, 0);
	default:
		return false;
	}
}

bool feat_vnmi_exit(struct cpu *cpu, uint64_t code)
{
	struct vnmi *v = &cpu->nested.feat.vnmi;

	if (code != VMEXIT_IRET || !v->on)
		return false;
	/* Not masked: an intercept the next entry drops; L2 runs the IRET
	 * again. */
	if (v->masked)
		begin_step(cpu, VNMI_STEP_IRET);
	return true;
}

bool feat_vnmi_emulated(struct cpu *cpu)
{
	bool l2_tf = vnmi_step_emulated(&cpu->nested.feat.vnmi,
					&cpu->nested.vmcb02->save);

	/* The completed instruction was the shadow's: the shadow is over
	 * (the CPU reported it at the exit, before the instruction). */
	cpu->nested.vmcb02->control.int_state &= ~INT_STATE_SHADOW;
	step_fixups(cpu, l2_tf);
	return l2_tf;
}

void feat_vnmi_vmexit(struct cpu *cpu)
{
	struct nested_feat *f = &cpu->nested.feat;

	nx_root_disarm(cpu);
	vnmi_step_cancel(&f->vnmi, &cpu->nested.vmcb02->save);
	f->vnmi_fix = FIX_NONE;
}
