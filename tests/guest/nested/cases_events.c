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

extern char l2_sti_spin[], l2_vmmcall[], l2_int41[], l2_int41_next[];
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

static const struct tap_case cases[] = {
	{ "events.intr.cold_idt_and_stack", intr_cold_idt },
	{ "events.intr.exitintinfo_type", intr_exitintinfo },
	{ "events.injected_gp.cold_idt_and_stack", injected_gp_cold_idt },
	{ "events.intn.cold_idt_and_stack", intn_cold_idt },
	{ "events.int3.cold_idt_and_stack", int3_cold_idt },
};

struct case_list event_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
