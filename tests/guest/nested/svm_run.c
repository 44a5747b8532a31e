// SPDX-License-Identifier: MIT
/*
 * Running L2: a default vmcb12 (AMD APM Vol. 2 §15.5 "VMRUN", Appendix B
 * for the fields) and one bounded VMRUN.  Every L2 run is bounded by a
 * one-shot LAPIC timer with INTR intercepted: an L2 that never exits ends
 * with VMEXIT_INTR instead of hanging the payload.
 */
#include "nested.h"
#include "npt.h"
#include "core/x86.h"
#include "tests/guest/lib/serial.h"

/* ~1 s at the LAPIC timer's 1 GHz nominal rate under QEMU (divide 1).  A
 * bound, not an expectation: an L2 run whose #NPFs make nestvisor
 * write-protect L1's pages waits for a TLB shootdown of every other vCPU
 * (docs/architecture.md, "Every CPU"), and under TCG on a loaded machine
 * the other vCPU's thread (the boot CPU spinning in the firmware while the
 * suite runs on an AP) can take hundreds of milliseconds to be scheduled. */
#define L2_TIMEOUT_COUNT 1000000000u

#define ATTR_CODE64 (SEG_ATTR_P | SEG_ATTR_S | 0xb | SEG_ATTR_L | SEG_ATTR_G)
#define ATTR_DATA   (SEG_ATTR_P | SEG_ATTR_S | 0x3 | SEG_ATTR_DB | SEG_ATTR_G)

static void seg(struct vmcb_seg *s, uint16_t sel, uint16_t attrib)
{
	s->selector = sel;
	s->attrib.raw = attrib;
	s->limit = 0xffffffffu;
	s->base = 0;
}

void vmcb_default(struct vmcb *v, const void *rip)
{
	struct vmcb_control *c = &v->control;
	struct vmcb_save *s = &v->save;

	for (unsigned i = 0; i < sizeof(*v); i++)
		((volatile uint8_t *)v)[i] = 0;
	c->intercept_exceptions = 0xffffffffu;
	c->intercept_misc1 = INTERCEPT1_INTR | INTERCEPT1_HLT | INTERCEPT1_SHUTDOWN;
	c->intercept_misc2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL;
	c->iopm_base_pa = env.iopm_pa;
	c->msrpm_base_pa = env.msrpm_pa;
	c->asid = 1;
	c->tlb_control = TLB_CONTROL_FLUSH_ALL;
	c->int_ctl = V_INTR_MASKING;

	seg(&s->cs, env.cs_sel, ATTR_CODE64);
	seg(&s->ss, env.ds_sel, ATTR_DATA);
	seg(&s->ds, env.ds_sel, ATTR_DATA);
	seg(&s->es, env.ds_sel, ATTR_DATA);
	s->gdtr.base = env.gdt_base;
	s->gdtr.limit = env.gdt_limit;
	s->idtr.base = env.idt_base_l2;
	s->idtr.limit = 256 * 16 - 1;
	s->cpl = 0;
	s->efer = env.l1_efer;
	s->cr0 = env.l1_cr0;
	s->cr3 = env.l1_cr3;
	s->cr4 = env.l1_cr4;
	s->dr6 = 0xffff0ff0u;
	s->dr7 = 0x400u;
	s->rflags = 0x2;
	s->rip = (uint64_t)(uintptr_t)rip;
	s->rsp = env.l2_stack_top - 64;
	s->g_pat = 0x0007040600070406ull;
}

void vmcb_use_npt(struct vmcb *v)
{
	v->control.misc_ctl |= MISC_CTL_NP_ENABLE;
	v->control.nested_cr3 = (uint64_t)(uintptr_t)npt.pml4;
	v->save.cr3 = (uint64_t)(uintptr_t)npt.l2_pml4;
}

uint64_t l2_run(struct vmcb *v, struct l2_gprs *g)
{
	clgi();
	apic_timer_oneshot(VEC_TIMEOUT, L2_TIMEOUT_COUNT);
	__asm__ volatile("sti" ::: "memory");
	nested_vmrun((uint64_t)(uintptr_t)v, g);
	cli();
	apic_timer_stop();
	l1_drain_interrupts();
	return v->control.exit_code;
}

uint64_t l2_resume(struct vmcb *v, struct l2_gprs *g, uint64_t rip)
{
	v->save.rip = rip;
	return l2_run(v, g);
}

void diag_exit(const struct vmcb *v)
{
	const struct vmcb_control *c = &v->control;

	tap_diag("exit_code 0x%lx exit_info_1 0x%lx exit_info_2 0x%lx exit_int_info 0x%x/0x%x rip 0x%lx",
		 c->exit_code, c->exit_info_1, c->exit_info_2, c->exit_int_info.raw,
		 c->exit_int_info_err, v->save.rip);
}

int expect_exit(const struct vmcb *v, uint64_t want)
{
	uint64_t got = v->control.exit_code;

	if (want == VMEXIT_INVALID ? vmexit_is_invalid(got) : got == want)
		return 1;
	tap_diag("exit_code: got 0x%lx, want 0x%lx", got, want);
	diag_exit(v);
	return 0;
}
