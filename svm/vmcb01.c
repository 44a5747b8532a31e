// SPDX-License-Identifier: MIT
#include "svm/vmcb01.h"
#include "core/desc.h"
#include "core/hypercall.h"
#include "core/x86.h"
#include "svm/apic.h"
#include "svm/intercepts.h"
#include "svm/msr_policy.h"
#include "svm/pci_hide.h"
#include "svm/permmap.h"
#include "svm/vnmi01.h"

/* The hidden part of a segment register, from its descriptor in the live
 * GDT.  APM Vol. 2 §4.7 (descriptor format), §15.5.1 (VMCB attributes). */
static void seg_from_gdt(struct vmcb_seg *s, uint16_t sel, const struct desc_ptr *gdt)
{
	const struct seg_desc *d;

	*s = (struct vmcb_seg){ .selector = sel };
	if ((sel & ~3u) == 0 || (sel & 4) || (sel | 7u) > gdt->limit)
		return; /* null (or LDT) selector: unusable */
	d = (const struct seg_desc *)(gdt->base + (sel & ~7u));
	/* VMCB attributes: the access byte, then AVL, L, D/B, G. */
	s->attrib.raw = (uint16_t)(d->access | ((d->flags_limit >> 4) << 8));
	s->limit = seg_desc_limit(d);
	s->base = seg_desc_base(d);
}

static void capture_segments(struct vmcb_save *s)
{
	struct desc_ptr gdt, idt;
	uint16_t cs, ss, ds, es;

	__asm__ volatile("sgdt %0; sidt %1" : "=m"(gdt), "=m"(idt));
	__asm__ volatile("mov %%cs, %0; mov %%ss, %1; mov %%ds, %2; mov %%es, %3"
			 : "=r"(cs), "=r"(ss), "=r"(ds), "=r"(es));
	seg_from_gdt(&s->cs, cs, &gdt);
	seg_from_gdt(&s->ss, ss, &gdt);
	seg_from_gdt(&s->ds, ds, &gdt);
	seg_from_gdt(&s->es, es, &gdt);
	s->gdtr = (struct vmcb_seg){ .limit = gdt.limit, .base = gdt.base };
	s->idtr = (struct vmcb_seg){ .limit = idt.limit, .base = idt.base };
	/* FS, GS, TR, LDTR and their MSRs come from VMSAVE (svm/launch.c). */
}

static void set_intercepts(struct cpu *cpu)
{
	struct vmcb_control *c = &cpu->vmcb01->control;

	c->intercept_cr = L0_INTERCEPT_CR;
	c->intercept_misc1 = L0_INTERCEPT1;
	c->intercept_misc2 = L0_INTERCEPT2;
	c->intercept_exceptions = L0_INTERCEPT_EXCEPTIONS;
	c->msrpm_base_pa = (uint64_t)cpu->msrpm;
	c->iopm_base_pa = (uint64_t)cpu->iopm;
}

void vmcb01_init_maps(uint8_t *msrpm, uint8_t *iopm)
{
	/* Every MSR the policy intercepts (svm/msr_policy.c), the local
	 * APIC's base and the x2APIC ICR (svm/apic.c) among them. */
	msr_policy_fill(msrpm);
	iopm_set(iopm, NV_PORT_DEBUG_EXIT, NV_PORT_DEBUG_EXIT_LEN);
}

void vmcb01_pci_maps(uint8_t *iopm)
{
	if (pci_hidden_count() || pci_locked_count()) {
		iopm_set(iopm, PCI_CONFIG_ADDRESS, 4);
		iopm_set(iopm, PCI_CONFIG_DATA, 4);
	}
}

void vmcb01_init(struct cpu *cpu, const struct launch_frame *f, uint64_t ncr3)
{
	struct vmcb *v = cpu->vmcb01;
	struct vmcb_save *s = &v->save;

	set_intercepts(cpu);
	v->control.asid = 1;
	v->control.tlb_control = TLB_CONTROL_FLUSH_ALL;
	v->control.misc_ctl = MISC_CTL_NP_ENABLE;
	v->control.nested_cr3 = ncr3;
	/* V_INTR_MASKING clear: physical interrupts are taken by L1 directly
	 * through its own IDT, without an exit (docs/architecture.md). */
	v->control.int_ctl = 0;
	/* L1's NMIs through V_NMI where the CPU has vNMI (svm/vnmi01.h). */
	vnmi01_setup(&v->control, svm_has(&cpu->caps, SVM_FEAT_VNMI));

	capture_segments(s);
	s->cpl = 0;
	s->efer = rdmsr(MSR_EFER) | X86_EFER_SVME;
	s->cr0 = read_cr0();
	s->cr2 = read_cr2();
	s->cr3 = read_cr3();
	s->cr4 = read_cr4();
	s->dr6 = read_dr6();
	s->dr7 = read_dr7();
	s->g_pat = rdmsr(MSR_PAT);
	s->rflags = f->rflags;
	s->rip = f->rip;
	s->rsp = f->rsp;
	s->rax = 0; /* hv_launch() "returns" 0 in L1 */

	cpu->gregs = (struct guest_regs){
		.rbx = f->rbx, .rbp = f->rbp, .r12 = f->r12,
		.r13 = f->r13, .r14 = f->r14, .r15 = f->r15,
	};
}
