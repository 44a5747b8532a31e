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
 *    fetch then raises #PF;
 *  - a VMRUN that fails does not write vmcb12's save area (no guest
 *    state was loaded): here a 32-bit L2 whose CR3 has bit 63 set, an MBZ
 *    bit (§15.5.1; docs/semantics.md §8.3 item 4);
 *  - MOV CR3 in 64-bit L2 with a bit at MAXPHYADDR raises #GP(0) (§3.1.2;
 *    Vol. 3 MOV CRn), which L1 intercepts.
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

/* A 32-bit L2 (paging off) whose CR3 has bit 63 set: VMRUN fails, and
 * vmcb12's save area keeps what L1 wrote (RIP, RSP, CR3, CR0, CS). */
static int refused_save_area_kept(void)
{
	struct vmcb *v = env.vmcb;
	struct vmcb_save before;
	int ok;

	vmcb_default(v, l2_vmmcall);
	v->save.efer = X86_EFER_SVME;
	v->save.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_NE;
	v->save.cr4 = 0;
	v->save.cr3 = 1ull << 63;
	v->save.cs.attrib.raw = SEG_ATTR_P | SEG_ATTR_S | 0xb | SEG_ATTR_DB |
				SEG_ATTR_G;
	v->save.cs.limit = 0xffffffffu;
	v->save.rip = L2_RIP32;
	v->save.rsp = 0x2000;
	before = v->save;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_INVALID);
	ok &= TAP_EXPECT_EQ("exit_info_1", v->control.exit_info_1, 0);
	ok &= TAP_EXPECT_EQ("exit_info_2", v->control.exit_info_2, 0);
	ok &= TAP_EXPECT_EQ("save.rip", v->save.rip, before.rip);
	ok &= TAP_EXPECT_EQ("save.rsp", v->save.rsp, before.rsp);
	ok &= TAP_EXPECT_EQ("save.cr3", v->save.cr3, before.cr3);
	ok &= TAP_EXPECT_EQ("save.cr0", v->save.cr0, before.cr0);
	ok &= TAP_EXPECT_EQ("save.efer", v->save.efer, before.efer);
	return ok & TAP_EXPECT_EQ("save.cs.attrib", v->save.cs.attrib.raw,
				  before.cs.attrib.raw);
}

/* L2: MOV CR3 from RCX, then VMMCALL. */
__asm__(".text\n"
	".globl vmrun_l2_mov_cr3\n.hidden vmrun_l2_mov_cr3\n"
	"vmrun_l2_mov_cr3:\n"
	"	movq %rcx, %cr3\n"
	"	vmmcall\n"
	"	hlt\n");
extern const char vmrun_l2_mov_cr3[];

static int l2_mov_cr3_beyond_maxphyaddr(void)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, vmrun_l2_mov_cr3);
	g = (struct l2_gprs){ .rcx = env.l1_cr3 | (1ull << env.maxphyaddr) };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_EXCP_BASE + X86_VEC_GP) &
	       TAP_EXPECT_EQ("#GP error code", v->control.exit_info_1, 0) &
	       TAP_EXPECT_EQ("RIP at MOV CR3", v->save.rip, A(vmrun_l2_mov_cr3)) &
	       TAP_EXPECT_EQ("L2 CR3 unchanged", v->save.cr3, env.l1_cr3);
}

static const struct tap_case cases[] = {
	{ "vmrun.failed.side_effects", failed_vmrun_side_effects },
	{ "vmrun.pae_pdptes.not_present", pae_pdptes_not_present },
	{ "vmrun.pae_pdptes.reserved_bit", pae_pdpte_reserved_bit },
	{ "vmrun.refused.save_area_kept", refused_save_area_kept },
	{ "vmrun.l2_mov_cr3_beyond_maxphyaddr_gp", l2_mov_cr3_beyond_maxphyaddr },
};

struct case_list vmrun_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
