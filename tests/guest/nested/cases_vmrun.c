// SPDX-License-Identifier: MIT
/*
 * VMRUN details (AMD APM Vol. 2 §15.5, §15.17):
 *  - a VMRUN that fails its consistency checks ends as a #VMEXIT with
 *    VMEXIT_INVALID: EXITINFO1 and EXITINFO2 are 0, EVENTINJ is consumed
 *    (V clear), and the #VMEXIT clears the GIF, so an interrupt waits for
 *    STGI even with IF set;
 *  - an L2 in PAE paging (not long mode) without nested paging gets its
 *    four PDPTEs loaded by VMRUN from CR3, as MOV CR3 would (§5.3.3): a
 *    present one with a reserved bit makes VMRUN fail (KVM
 *    nested_svm_load_cr3()); not-present ones are fine, and the first
 *    fetch then raises #PF.
 */
#include "nested.h"
#include "core/x86.h"

extern char l2_vmmcall[];

#define A(p) ((uint64_t)(uintptr_t)(p))
#define L2_RIP32 0x1000u

static struct l2_gprs g;

static void delay(void)
{
	for (volatile int i = 0; i < 100000; i++)
		;
}

static int failed_vmrun_side_effects(void)
{
	struct vmcb *v = env.vmcb;
	uint32_t before = env.irq_count[VEC_IPI], held;
	int ok;

	vmcb_default(v, l2_vmmcall);
	v->save.dr6 |= 1ull << 32; /* DR6[63:32] must be 0 (§15.5.1) */
	v->control.exit_info_1 = 0x1111;
	v->control.exit_info_2 = 0x2222;
	v->control.event_inj.raw = EVTINJ_VALID | EVTINJ_TYPE_EXC | EVTINJ_EV | 13;
	g = (struct l2_gprs){ 0 };
	apic_self_ipi(VEC_IPI); /* pending: L1 runs with IF clear */
	nested_vmrun(A(v), &g);  /* with GIF set */
	__asm__ volatile("sti" ::: "memory");
	delay();
	__asm__ volatile("cli" ::: "memory");
	held = env.irq_count[VEC_IPI] - before;
	l1_drain_interrupts(); /* STGI; STI; ...; CLI */
	ok = expect_exit(v, VMEXIT_INVALID);
	ok &= TAP_EXPECT_EQ("exit_info_1", v->control.exit_info_1, 0);
	ok &= TAP_EXPECT_EQ("exit_info_2", v->control.exit_info_2, 0);
	ok &= TAP_EXPECT_EQ("EVENTINJ.V", v->control.event_inj.raw >> 31, 0);
	ok &= TAP_EXPECT_EQ("interrupts taken with IF=1 after the failure (GIF=0)",
			    held, 0);
	return ok & TAP_EXPECT_EQ("interrupts taken after STGI",
				  env.irq_count[VEC_IPI] - before, 1);
}

/* A 32-bit L2 with PAE paging, CR3 = pdpt, no NP. */
static struct vmcb *pae_l2(uint64_t pdpte0)
{
	static uint64_t *pdpt;
	struct vmcb *v = env.vmcb;

	if (!pdpt)
		pdpt = env_page();
	pdpt[0] = pdpte0;
	pdpt[1] = pdpt[2] = pdpt[3] = 0;
	vmcb_default(v, l2_vmmcall);
	v->save.efer = X86_EFER_SVME;
	v->save.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE | X86_CR0_PG;
	v->save.cr4 = X86_CR4_PAE;
	v->save.cr3 = A(pdpt);
	v->save.cs.attrib.raw = SEG_ATTR_P | SEG_ATTR_S | 0xb | SEG_ATTR_DB |
				SEG_ATTR_G;
	v->save.rip = L2_RIP32;
	v->save.rsp = 0x2000;
	return v;
}

static int pae_pdptes_not_present(void)
{
	struct vmcb *v = pae_l2(0);

	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_EXCP_BASE + X86_VEC_PF) &
	       TAP_EXPECT_EQ("exit_info_2 (the fetch)", v->control.exit_info_2,
			     L2_RIP32);
}

static int pae_pdpte_reserved_bit(void)
{
	struct vmcb *v = pae_l2(A(env_page()) | 1 | (1u << 1));

	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_INVALID);
}

static const struct tap_case cases[] = {
	{ "vmrun.failed.side_effects", failed_vmrun_side_effects },
	{ "vmrun.pae_pdptes.not_present", pae_pdptes_not_present },
	{ "vmrun.pae_pdptes.reserved_bit", pae_pdpte_reserved_bit },
};

struct case_list vmrun_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
