// SPDX-License-Identifier: MIT
/*
 * Events delivered to L2 whose delivery an exit interrupts (AMD APM Vol. 2
 * §15.7.2 "Intercepts During IDT Interrupt Delivery", §15.20 "Event
 * Injection").  L2 runs with nested paging and its IDT and stack in
 * region-1 pages (npt.h) that nobody has touched since npt_reset(): the
 * first access to them during the delivery faults in the nested page
 * table, which under nestvisor is its shadow, built lazily.
 *  - When L1's NPT maps the pages, the fault is nestvisor's own: L1 sees
 *    nothing, and L2's handler must see the event exactly once, as on
 *    hardware (RIP pushed: the interrupted instruction for an interrupt,
 *    the next one for INTn and INT3).
 *  - When L1's NPT does not map the IDT page, L1 gets the #NPF with
 *    EXITINTINFO = the event with its architectural type: 0 (INTR) for an
 *    external interrupt (§15.7.2), whatever the CPU below reports.
 * L2's IDT stubs (l2_code.S) report RAX = vector, RBX = error code, RCX =
 * pushed RIP, through VMMCALL.
 */
#include "nested.h"
#include "npt.h"
#include "mm/pferr.h"
#include "core/x86.h"

extern char l2_sti_spin[], l2_vmmcall[], l2_vmmcall_next[], l2_int41[], l2_int41_next[];
extern char l2_int3[], l2_int3_next[];

#define A(p) ((uint64_t)(uintptr_t)(p))
#define IDT_ENTRY 16u /* bytes per 64-bit IDT gate */

static struct l2_gprs g;

/* vmcb12 for an L2 with nested paging whose IDT is the region-1 page
 * GPA_DATA2 and whose stack is in the region-1 page GPA_DATA (L2's page
 * tables map region 1 at the same linear addresses, npt.h).  L1 does not
 * intercept INTR, and V_INTR_MASKING is clear: L2's IF alone decides
 * whether a physical interrupt is delivered to it. */
static struct vmcb *l2_cold_idt(const void *rip)
{
	struct vmcb *v = env.vmcb;
	const volatile uint8_t *idt = (const volatile uint8_t *)env.idt_base_l2;

	npt_reset();
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		npt.data2[i] = idt[i];
	vmcb_default(v, rip);
	vmcb_use_npt(v);
	v->control.intercept_misc1 &= ~INTERCEPT1_INTR;
	v->control.int_ctl = 0;
	v->save.idtr.base = GPA_DATA2;
	v->save.rsp = GPA_DATA + 0x800;
	g = (struct l2_gprs){ 0 };
	return v;
}

/* The self-IPI is pending at VMRUN (L1's IF=0 held it), L2 has IF=1: it
 * is delivered through L2's cold IDT. */
static int intr_cold_idt(void)
{
	struct vmcb *v = l2_cold_idt(l2_sti_spin);
	int ok;

	v->save.rflags = 0x2 | X86_RFLAGS_IF;
	apic_self_ipi(VEC_IPI);
	l2_run(v, &g);
	apic_eoi(); /* L2's stub does not */
	if (!expect_exit(v, VMEXIT_VMMCALL))
		return 0;
	ok = TAP_EXPECT_EQ("vector seen by L2's handler", v->save.rax, VEC_IPI);
	return ok & TAP_EXPECT_EQ("RIP pushed (L2 had not run yet)", g.rcx,
				  A(l2_sti_spin));
}

/* As above, but L1's NPT does not map the IDT page: #NPF to L1 while the
 * interrupt is being delivered. */
static int intr_exitintinfo(void)
{
	struct vmcb *v = l2_cold_idt(l2_sti_spin);
	int ok;

	npt.pt1[NPT_IDX_DATA2] = 0;
	v->save.rflags = 0x2 | X86_RFLAGS_IF;
	apic_self_ipi(VEC_IPI);
	l2_run(v, &g);
	apic_eoi(); /* L1 would inject it again; here it is dropped */
	if (!expect_exit(v, VMEXIT_NPF))
		return 0;
	ok = TAP_EXPECT_EQ("exit_info_1 (IDT read, final stage, not present)",
			   v->control.exit_info_1,
			   PFERR_GUEST_FINAL | PFERR_USER);
	ok &= TAP_EXPECT_EQ("exit_info_2 (the IDT gate)", v->control.exit_info_2,
			    GPA_DATA2 + VEC_IPI * IDT_ENTRY);
	ok &= TAP_EXPECT_EQ("exit_int_info (V, type 0 INTR, vector)",
			    v->control.exit_int_info.raw,
			    EVTINJ_VALID | EVTINJ_TYPE_INTR | VEC_IPI);
	return ok & TAP_EXPECT_EQ("rip (not yet run)", v->save.rip,
				  A(l2_sti_spin));
}

/* #GP injected by L1 through EVENTINJ, delivered through the cold IDT. */
static int injected_gp_cold_idt(void)
{
	struct vmcb *v = l2_cold_idt(l2_vmmcall);
	int ok;

	v->control.intercept_exceptions &= ~(1u << X86_VEC_GP);
	v->control.event_inj.raw = EVTINJ_VALID | EVTINJ_TYPE_EXC | EVTINJ_EV |
				   X86_VEC_GP;
	v->control.event_inj_err = 0x1230;
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_VMMCALL))
		return 0;
	ok = TAP_EXPECT_EQ("vector seen by L2's handler", v->save.rax, X86_VEC_GP);
	ok &= TAP_EXPECT_EQ("error code pushed", g.rbx, 0x1230);
	return ok & TAP_EXPECT_EQ("RIP pushed (vmcb12's)", g.rcx, A(l2_vmmcall));
}

/* INT 0x41 in L2 (not intercepted) through the cold IDT: the handler runs
 * once, and the pushed RIP is the instruction after INT. */
static int intn_cold_idt(void)
{
	struct vmcb *v = l2_cold_idt(l2_int41);
	int ok;

	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_VMMCALL))
		return 0;
	ok = TAP_EXPECT_EQ("vector seen by L2's handler", v->save.rax, 0x41);
	return ok & TAP_EXPECT_EQ("RIP pushed (after INT 0x41)", g.rcx,
				  A(l2_int41_next));
}

/* INT3 in L2, #BP not intercepted, through the cold IDT: #BP is a trap,
 * the pushed RIP is the instruction after INT3. */
static int int3_cold_idt(void)
{
	struct vmcb *v = l2_cold_idt(l2_int3);
	int ok;

	v->control.intercept_exceptions &= ~(1u << X86_VEC_BP);
	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_VMMCALL))
		return 0;
	ok = TAP_EXPECT_EQ("vector seen by L2's handler", v->save.rax, X86_VEC_BP);
	return ok & TAP_EXPECT_EQ("RIP pushed (after INT3)", g.rcx,
				  A(l2_int3_next));
}

/*
 * INT3, INTO and INTn in L2 when L1 intercepts some of #BP, #OF and INTn
 * (APM §15.12, §15.14): INT 0x41 with #BP intercepted but not INTn, and
 * INT3 with #OF intercepted but not #BP, reach L2's handler once, with
 * the RIP after the instruction pushed.
 */
static int soft_to_l2(const void *rip, uint32_t intercepted, uint64_t want_vec,
		      const void *want_rip)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, rip);
	v->control.intercept_exceptions = intercepted;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("vector seen by L2's handler", v->save.rax, want_vec) &
	       TAP_EXPECT_EQ("RIP pushed (after the instruction)", g.rcx,
			     A(want_rip));
}

static int intn_with_bp_intercepted(void)
{
	return soft_to_l2(l2_int41, 1u << X86_VEC_BP, 0x41, l2_int41_next);
}

static int int3_with_of_intercepted(void)
{
	return soft_to_l2(l2_int3, 1u << X86_VEC_OF, X86_VEC_BP, l2_int3_next);
}

/* INT 0x41 with L1 intercepting INTn (and #BP): #VMEXIT 0x75 at the INT,
 * next_rip after it. */
static int intn_intercepted(void)
{
	struct vmcb *v = env.vmcb;
	int ok;

	vmcb_default(v, l2_int41);
	v->control.intercept_misc1 |= INTERCEPT1_SWINT;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_SWINT) &
	     TAP_EXPECT_EQ("rip (the INT)", v->save.rip, A(l2_int41));
	if (env.nrips)
		ok &= TAP_EXPECT_EQ("next_rip", v->control.next_rip,
				    A(l2_int41_next));
	return ok;
}

/* INT3 (#BP not intercepted) whose delivery faults on L2's IDT page,
 * which L1's NPT does not map: #NPF to L1 with RIP at INT3 and
 * EXITINTINFO = V, type 3 (INT3 raises the #BP exception), vector 3. */
static int int3_exitintinfo(void)
{
	struct vmcb *v = l2_cold_idt(l2_int3);

	npt.pt1[NPT_IDX_DATA2] = 0;
	v->control.intercept_exceptions &= ~(1u << X86_VEC_BP);
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_NPF) &
	       TAP_EXPECT_EQ("exit_int_info (V, type 3, vector 3)",
			     v->control.exit_int_info.raw,
			     EVTINJ_VALID | EVTINJ_TYPE_EXC | X86_VEC_BP) &
	       TAP_EXPECT_EQ("rip (the INT3)", v->save.rip, A(l2_int3));
}

/* The same with #OF intercepted too, so that nestvisor delivers the INT3
 * itself (svm/nested_swint.c): L1 must see the same. */
static int int3_exitintinfo_delivered_by_l0(void)
{
	struct vmcb *v = l2_cold_idt(l2_int3);

	npt.pt1[NPT_IDX_DATA2] = 0;
	v->control.intercept_exceptions = 1u << X86_VEC_OF;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_NPF) &
	       TAP_EXPECT_EQ("exit_int_info (V, type 3, vector 3)",
			     v->control.exit_int_info.raw,
			     EVTINJ_VALID | EVTINJ_TYPE_EXC | X86_VEC_BP) &
	       TAP_EXPECT_EQ("rip (the INT3)", v->save.rip, A(l2_int3));
}

/*
 * L1 injects INT 0x41 (EVENTINJ type 4).  With NRIPS the CPU pushes
 * vmcb12's next_rip as the return address, without it RIP (APM §15.20;
 * nestvisor offers NRIPS).  Here RIP = the VMMCALL of l2_vmmcall and
 * next_rip = the HLT after it.
 */
static uint64_t soft_return(void)
{
	return env.nrips ? A(l2_vmmcall_next) : A(l2_vmmcall);
}

static int injected_soft_return(void)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_vmmcall);
	v->control.event_inj.raw = EVTINJ_VALID | (4u << EVTINJ_TYPE_SHIFT) | 0x41;
	v->control.next_rip = A(l2_vmmcall_next);
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("vector seen by L2's handler", v->save.rax, 0x41) &
	       TAP_EXPECT_EQ("RIP pushed", g.rcx, soft_return());
}

/* The same through a cold IDT page that L1's NPT does not map: #NPF to
 * L1 with EXITINTINFO = the injected event and RIP = vmcb12's. */
static int injected_soft_exitintinfo(void)
{
	struct vmcb *v = l2_cold_idt(l2_vmmcall);
	uint32_t ev = EVTINJ_VALID | (4u << EVTINJ_TYPE_SHIFT) | 0x41;

	npt.pt1[NPT_IDX_DATA2] = 0;
	v->control.event_inj.raw = ev;
	v->control.next_rip = A(l2_vmmcall_next);
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_NPF) &
	       TAP_EXPECT_EQ("exit_int_info", v->control.exit_int_info.raw, ev) &
	       TAP_EXPECT_EQ("rip (vmcb12's)", v->save.rip, A(l2_vmmcall));
}

static const struct tap_case cases[] = {
	{ "events.intr.cold_idt_and_stack", intr_cold_idt },
	{ "events.intr.exitintinfo_type", intr_exitintinfo },
	{ "events.injected_gp.cold_idt_and_stack", injected_gp_cold_idt },
	{ "events.intn.cold_idt_and_stack", intn_cold_idt },
	{ "events.int3.cold_idt_and_stack", int3_cold_idt },
	{ "events.intn.to_l2_with_bp_intercepted", intn_with_bp_intercepted },
	{ "events.int3.to_l2_with_of_intercepted", int3_with_of_intercepted },
	{ "events.intn.intercepted", intn_intercepted },
	{ "events.int3.exitintinfo_type", int3_exitintinfo },
	{ "events.int3.exitintinfo_type.delivered_by_l0",
	  int3_exitintinfo_delivered_by_l0 },
	{ "events.injected_soft.return_address", injected_soft_return },
	{ "events.injected_soft.exitintinfo", injected_soft_exitintinfo },
};

struct case_list event_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
