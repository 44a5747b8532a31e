// SPDX-License-Identifier: MIT
/*
 * vNMI (CPUID 8000_000A EDX[25]; AMD APM Vol. 2 §15.21.10 "NMI
 * Virtualization"), the expectations worked out from the APM here:
 *  - with V_NMI_ENABLE (int_ctl bit 26), V_NMI (bit 11) is a virtual NMI
 *    pending for the guest: it is taken at the first instruction boundary
 *    where it is not blocked, through vector 2 of the guest's IDT, and
 *    taking it clears V_NMI and sets V_NMI_MASK (bit 12).  It is not a
 *    physical NMI: the NMI intercept (which VMRUN requires with
 *    V_NMI_ENABLE, docs/semantics.md §8.2) does not apply to it;
 *  - V_NMI_MASK blocks it until an IRET completes; an NMI injected
 *    through EVENTINJ sets V_NMI_MASK;
 *  - the GIF (V_GIF for an L2 with vGIF) and an interrupt shadow block
 *    it too;
 *  - an exit while the NMI is being delivered clears V_NMI_MASK and puts
 *    the NMI in EXITINTINFO (type 2);
 *  - #VMEXIT writes V_NMI and V_NMI_MASK back into vmcb12's int_ctl;
 *  - with V_NMI_ENABLE clear the two bits are not used (no NMI, and they
 *    come back as they were);
 *  - at a boundary, a single-step trap of the previous instruction comes
 *    before an NMI (APM Vol. 2 §8.5), and an injected event's delivery
 *    before the NMI, which is then taken ahead of the handler's first
 *    instruction.
 * The NMI handler is L2's IDT stub (l2_code.S: VMMCALL with RAX = 2 and
 * RCX = the RIP pushed) or l2_nmi_count_iret (l2_feat.S).  These run
 * where CPUID offers vNMI: under nestvisor, on every CPU model.
 */
#include "nested.h"
#include "npt.h"
#include "core/x86.h"

extern char l2_vmmcall[], l2_idt_stubs[];
extern char l2_vnmi_two[], l2_vnmi_two_next[], l2_vnmi_two_vmmcall[];
extern char l2_vnmi_iret[], l2_vnmi_iret_target[];
extern char l2_vnmi_iret_tf[], l2_vnmi_iret_tf_target[];
extern char l2_vnmi_stgi[], l2_vnmi_stgi_next[];
extern char l2_nmi_count_iret[];

#define A(p) ((uint64_t)(uintptr_t)(p))
#define NMI 2u
#define BITS (V_NMI_PENDING | V_NMI_BLOCKING)
#define EVTINJ_TYPE_NMI (2u << EVTINJ_TYPE_SHIFT)
#define IDT_ENTRY 16u /* bytes per 64-bit IDT gate */

static struct l2_gprs g;

/* vmcb12 for code at rip, with V_NMI_ENABLE and the NMI intercept, and
 * the V_NMI bits given. */
static struct vmcb *vnmi_vmcb(const void *rip, uint32_t bits)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, rip);
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	v->control.int_ctl |= V_NMI_ENABLE | bits;
	v->save.rax = 0x1234;
	g = (struct l2_gprs){ 0 };
	return v;
}

static int expect_bits(const struct vmcb *v, uint32_t want)
{
	return TAP_EXPECT_EQ("int_ctl V_NMI, V_NMI_MASK",
			     v->control.int_ctl & BITS, want);
}

/* The NMI stub reported: vector 2, with this RIP pushed. */
static int expect_nmi_at(const struct vmcb *v, uint64_t rip)
{
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("vector seen by L2's handler", v->save.rax, NMI) &
	       TAP_EXPECT_EQ("RIP pushed", g.rcx, rip);
}

/* L2's IDT with gate 2 (APM Vol. 2 §4.8.4, 64-bit gate: offset 15:0 at
 * bytes 0-1, 31:16 at 6-7, 63:32 at 8-11) pointing at l2_nmi_count_iret. */
static uint64_t idt_with_iret_handler(void)
{
	static volatile uint8_t *idt;
	const volatile uint8_t *base = (const volatile uint8_t *)env.idt_base_l2;
	uint64_t h = A(l2_nmi_count_iret);
	volatile uint8_t *gate;

	if (!idt)
		idt = env_page();
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		idt[i] = base[i];
	gate = idt + NMI * IDT_ENTRY;
	gate[0] = (uint8_t)h;
	gate[1] = (uint8_t)(h >> 8);
	gate[6] = (uint8_t)(h >> 16);
	gate[7] = (uint8_t)(h >> 24);
	for (unsigned i = 0; i < 4; i++)
		gate[8 + i] = (uint8_t)(h >> (32 + 8 * i));
	return A(idt);
}

/* V_NMI pending, nothing blocks it: taken before L2's first instruction,
 * as an NMI through L2's IDT (no #VMEXIT(NMI)); V_NMI := 0,
 * V_NMI_MASK := 1. */
static int pending_taken(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vmmcall, V_NMI_PENDING);
	int ok;

	l2_run(v, &g);
	l1_iret_self();
	ok = expect_nmi_at(v, A(l2_vmmcall));
	return ok & expect_bits(v, V_NMI_BLOCKING);
}

/* V_NMI pending and masked, no IRET: never taken; both bits written back
 * as they are. */
static int masked_stays_pending(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vmmcall, V_NMI_PENDING | V_NMI_BLOCKING);

	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("rip (L2's own VMMCALL)", v->save.rip, A(l2_vmmcall)) &
	       TAP_EXPECT_EQ("rax (no handler ran)", v->save.rax, 0x1234) &
	       expect_bits(v, V_NMI_PENDING | V_NMI_BLOCKING);
}

/* Masked until IRET: L2's code runs (R8 = 1), the IRET completes, and the
 * pending NMI is taken at the boundary right after it, before R8 = 2. */
static int masked_until_iret(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vnmi_iret, V_NMI_PENDING | V_NMI_BLOCKING);
	int ok;

	l2_run(v, &g);
	l1_iret_self();
	ok = expect_nmi_at(v, A(l2_vnmi_iret_target));
	ok &= TAP_EXPECT_EQ("R8 (code before the IRET ran)", g.r8, 1);
	return ok & expect_bits(v, V_NMI_BLOCKING);
}

/* A handler that IRETs: the NMI is taken once, its IRET clears
 * V_NMI_MASK, L2 goes on to its VMMCALL; both bits 0 at #VMEXIT. */
static int iret_unmasks(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vnmi_two, V_NMI_PENDING);
	int ok;

	v->save.idtr.base = idt_with_iret_handler();
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_VMMCALL);
	ok &= TAP_EXPECT_EQ("rip (L2's own VMMCALL)", v->save.rip,
			    A(l2_vnmi_two_vmmcall));
	ok &= TAP_EXPECT_EQ("NMIs handled", g.r9, 1);
	ok &= TAP_EXPECT_EQ("RIP the NMI interrupted", g.r10, A(l2_vnmi_two));
	return ok & expect_bits(v, 0);
}

/* An NMI injected through EVENTINJ sets V_NMI_MASK, so the pending
 * virtual NMI waits for its handler's IRET, then is taken at the RIP the
 * IRET returned to: the handler runs twice, one after the other, each
 * time interrupting L2's first instruction (not the handler's). */
static int eventinj_nmi_masks(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vnmi_two, V_NMI_PENDING);
	int ok;

	v->save.idtr.base = idt_with_iret_handler();
	v->control.event_inj.raw = EVTINJ_VALID | EVTINJ_TYPE_NMI | NMI;
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_VMMCALL);
	ok &= TAP_EXPECT_EQ("NMIs handled", g.r9, 2);
	ok &= TAP_EXPECT_EQ("RIP the first NMI interrupted", g.r11,
			    A(l2_vnmi_two));
	ok &= TAP_EXPECT_EQ("RIP the second NMI interrupted", g.r10,
			    A(l2_vnmi_two));
	return ok & expect_bits(v, 0);
}

/* EVENTINJ alone (no V_NMI): V_NMI_MASK set while its handler runs. */
static int eventinj_nmi_sets_mask(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vmmcall, 0);
	int ok;

	v->control.event_inj.raw = EVTINJ_VALID | EVTINJ_TYPE_NMI | NMI;
	l2_run(v, &g);
	l1_iret_self();
	ok = expect_nmi_at(v, A(l2_vmmcall));
	return ok & expect_bits(v, V_NMI_BLOCKING);
}

/* An interrupt shadow (INT_STATE bit 0) at VMRUN: L2's first instruction
 * runs, the NMI is taken after it. */
static int shadow_delays(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vnmi_two, V_NMI_PENDING);
	int ok;

	v->control.int_state = INT_STATE_SHADOW;
	l2_run(v, &g);
	l1_iret_self();
	ok = expect_nmi_at(v, A(l2_vnmi_two_next));
	ok &= TAP_EXPECT_EQ("R8 (the shadowed instruction ran)", g.r8, 1);
	return ok & expect_bits(v, V_NMI_BLOCKING);
}

/* vGIF for L2 with V_GIF = 0: the NMI waits; L2's STGI (not intercepted
 * by L1) sets V_GIF and the NMI is taken right after it. */
static int vgif_holds(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vnmi_stgi, V_NMI_PENDING);
	int ok;

	v->control.int_ctl |= V_GIF_ENABLE;
	l2_run(v, &g);
	l1_iret_self();
	ok = expect_nmi_at(v, A(l2_vnmi_stgi_next));
	ok &= TAP_EXPECT_EQ("R8 (code before STGI ran)", g.r8, 1);
	ok &= TAP_EXPECT_EQ("int_ctl V_GIF", v->control.int_ctl & V_GIF, V_GIF);
	return ok & expect_bits(v, V_NMI_BLOCKING);
}

/* L2's TF set by POPF before an unmasking IRET: the single-step trap
 * after the IRET comes first (#VMEXIT(#DB), L1 intercepts #DB), with
 * V_NMI_MASK already clear and the NMI still pending. */
static int step_trap_first(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vnmi_iret_tf, V_NMI_PENDING | V_NMI_BLOCKING);
	int ok;

	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_EXCP_BASE + X86_VEC_DB);
	ok &= TAP_EXPECT_EQ("rip (after the IRET)", v->save.rip,
			    A(l2_vnmi_iret_tf_target));
	ok &= TAP_EXPECT_EQ("DR6.BS", v->save.dr6 & X86_DR6_BS, X86_DR6_BS);
	return ok & expect_bits(v, V_NMI_PENDING);
}

/* vmcb12 that injects #UD into L2 (with nested paging: L2's IDT and
 * stack in region-1 pages). */
static struct vmcb *ud_vmcb(int np, uint32_t bits)
{
	struct vmcb *v = vnmi_vmcb(l2_vmmcall, bits);

	if (np) {
		vmcb_use_npt(v);
		v->save.idtr.base = GPA_DATA2;
		v->save.rsp = GPA_DATA + 0x800;
	}
	v->control.intercept_exceptions &= ~(1u << X86_VEC_UD);
	v->control.event_inj.raw = EVTINJ_VALID | EVTINJ_TYPE_EXC | X86_VEC_UD;
	return v;
}

/* An exception injected through EVENTINJ and a pending NMI: the
 * exception is delivered, then the NMI is taken before its handler's
 * first instruction (the #UD stub's address is the RIP pushed).  A first
 * run without V_NMI delivers the same #UD, so that no page the delivery
 * and the handler use faults in a nested page table the second time
 * (TLB_CONTROL 0 keeps them): only the NMI can stop L2 at that fetch. */
static int after_injected_event(int np)
{
	struct vmcb *v;
	int ok;

	if (np) {
		const volatile uint8_t *idt =
			(const volatile uint8_t *)env.idt_base_l2;

		npt_reset();
		for (unsigned i = 0; i < PAGE_SIZE; i++)
			npt.data2[i] = idt[i];
	}
	v = ud_vmcb(np, 0);
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_VMMCALL) ||
	    !TAP_EXPECT_EQ("warm-up: vector seen by L2's handler", v->save.rax,
			   X86_VEC_UD))
		return 0;
	v = ud_vmcb(np, V_NMI_PENDING);
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	l2_run(v, &g);
	l1_iret_self();
	ok = expect_nmi_at(v, A(l2_idt_stubs) + X86_VEC_UD * 16);
	return ok & expect_bits(v, V_NMI_BLOCKING);
}

static int after_injected_event_nonp(void)
{
	return after_injected_event(0);
}

static int after_injected_event_np(void)
{
	return after_injected_event(1);
}

/* The NMI's delivery meets an #NPF L1 takes (its NPT does not map L2's
 * IDT page): EXITINTINFO holds the NMI (V, type 2, vector 2), V_NMI_MASK
 * is cleared, V_NMI is 0 (the NMI is in EXITINTINFO). */
static int exit_during_delivery(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vmmcall, V_NMI_PENDING);
	int ok;

	npt_reset();
	npt.pt1[NPT_IDX_DATA2] = 0;
	vmcb_use_npt(v);
	v->save.idtr.base = GPA_DATA2;
	v->save.rsp = GPA_DATA + 0x800;
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_NPF);
	ok &= TAP_EXPECT_EQ("exit_int_info (V, type 2 NMI, vector 2)",
			    v->control.exit_int_info.raw,
			    EVTINJ_VALID | EVTINJ_TYPE_NMI | NMI);
	return ok & expect_bits(v, 0);
}

/* V_NMI_ENABLE clear: V_NMI and V_NMI_MASK are not used; no NMI, and
 * they come back as they were. */
static int disabled_ignored(uint32_t bits)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_vmmcall);
	v->control.intercept_misc1 |= INTERCEPT1_NMI;
	v->control.int_ctl |= bits;
	v->save.rax = 0x1234;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("rip (L2's own VMMCALL)", v->save.rip, A(l2_vmmcall)) &
	       TAP_EXPECT_EQ("rax (no handler ran)", v->save.rax, 0x1234) &
	       expect_bits(v, bits);
}

static int disabled_pending(void)
{
	return disabled_ignored(V_NMI_PENDING);
}

static int disabled_both(void)
{
	return disabled_ignored(V_NMI_PENDING | V_NMI_BLOCKING);
}

/* A physical NMI (held by L1's CLGI) still exits to L1 through its NMI
 * intercept; V_NMI_MASK as L1 left it. */
static int physical_nmi_exits(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vmmcall, V_NMI_BLOCKING);
	int ok;

	clgi();
	apic_self_nmi();
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_NMI);
	ok &= TAP_EXPECT_EQ("rip (L2 had not run)", v->save.rip, A(l2_vmmcall));
	return ok & expect_bits(v, V_NMI_BLOCKING);
}

/* V_NMI_ENABLE without the NMI intercept: VMEXIT_INVALID
 * (docs/semantics.md §8.2). */
static int needs_nmi_intercept(void)
{
	struct vmcb *v = vnmi_vmcb(l2_vmmcall, 0);

	v->control.intercept_misc1 &= ~INTERCEPT1_NMI;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_INVALID);
}

static const struct tap_case cases[] = {
	{ "vnmi.pending_taken", pending_taken },
	{ "vnmi.masked_stays_pending", masked_stays_pending },
	{ "vnmi.masked_until_iret", masked_until_iret },
	{ "vnmi.iret_unmasks", iret_unmasks },
	{ "vnmi.eventinj_nmi_masks_then_pending", eventinj_nmi_masks },
	{ "vnmi.eventinj_nmi_sets_mask", eventinj_nmi_sets_mask },
	{ "vnmi.shadow_delays", shadow_delays },
	{ "vnmi.vgif_holds_until_stgi", vgif_holds },
	{ "vnmi.single_step_trap_first", step_trap_first },
	{ "vnmi.after_injected_event.nonp", after_injected_event_nonp },
	{ "vnmi.after_injected_event.np", after_injected_event_np },
	{ "vnmi.exit_during_delivery", exit_during_delivery },
	{ "vnmi.disabled.pending_ignored", disabled_pending },
	{ "vnmi.disabled.bits_kept", disabled_both },
	{ "vnmi.physical_nmi_exits", physical_nmi_exits },
	{ "vnmi.needs_nmi_intercept", needs_nmi_intercept },
};

struct case_list vnmi_cases(void)
{
	if (cpuid(0x8000000a).edx & (1u << 25))
		return (struct case_list){ cases, TAP_COUNT(cases) };
	return (struct case_list){ 0, 0 };
}
