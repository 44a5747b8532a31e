// SPDX-License-Identifier: MIT
/*
 * SVM instructions executed by L2 that L1 does not intercept: they act as
 * on a CPU whose host is L1 (AMD APM Vol. 2 §15.5.2 VMLOAD/VMSAVE, §15.17
 * CLGI/STGI, INVLPGA), with the exceptions of their instruction
 * references: #UD while EFER.SVME is clear, ahead of any intercept
 * (§15.9).  And exceptions raised in L2 for an instruction nestvisor
 * handles reach L1 as the #VMEXIT of that exception when L1 intercepts it
 * (§15.12; EXITINFO1 = the error code, 0 when none).
 */
#include "nested.h"
#include "core/x86.h"

extern char l2_vmmcall[], l2_skinit[], l2_vmload_vmsave[];
extern char l2_wrmsr_vmload[], l2_wrmsr_vmload_insn[];
extern char l2_invlpga[], l2_invlpga_next[];
extern char l2_clgi_ipi_stgi[], l2_clgi_ipi_stgi_spin[];

#define A(p) ((uint64_t)(uintptr_t)(p))

static struct l2_gprs g;

/* VMMCALL that L1 does not intercept raises #UD (§15.16), which L1 does
 * intercept: #VMEXIT 0x46 at the VMMCALL, EXITINFO1 0. */
static int vmmcall_ud_to_l1(void)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_vmmcall);
	v->control.intercept_misc2 &= ~INTERCEPT2_VMMCALL;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_EXCP_BASE + X86_VEC_UD) &
	       TAP_EXPECT_EQ("exit_info_1", v->control.exit_info_1, 0) &
	       TAP_EXPECT_EQ("rip (the VMMCALL)", v->save.rip, A(l2_vmmcall));
}

/* SKINIT is not offered (CPUID 8000_0001 ECX[12] as L1 sees it is the
 * CPU's, but nestvisor raises #UD for it): #VMEXIT 0x46. */
static int skinit_ud_to_l1(void)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_skinit);
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_EXCP_BASE + X86_VEC_UD) &
	       TAP_EXPECT_EQ("rip (the SKINIT)", v->save.rip, A(l2_skinit));
}

/*
 * L2 runs VMLOAD from page `want` and VMSAVE to page `got` (rAX: L1
 * physical addresses, whether L2 runs with nested paging or not).  `got`
 * must hold what `want` holds; and after the #VMEXIT, L1's own FS base
 * and KernelGsBase are L2's (#VMEXIT does not restore the VMLOAD state,
 * §15.5.2), until L1 reloads its own.
 */
static int vmload_vmsave_in_l2(int np)
{
	struct vmcb *v = env.vmcb, *orig = env.vmcb_aux;
	static struct vmcb *want, *got;
	uint64_t l1_fs, l1_kgs;
	int ok;

	if (!want)
		want = env_page();
	if (!got)
		got = env_page();
	vmsave(A(orig));
	*want = *orig;
	want->save.fs.base = 0x1234000;
	want->save.gs.base = 0x2345000;
	want->save.kernel_gs_base = 0x3456000;
	want->save.star = 0x0023001000000000ull;
	want->save.lstar = 0xffff800011112000ull;
	want->save.cstar = 0xffff800022223000ull;
	want->save.sfmask = 0x4700;
	want->save.sysenter_cs = 0x10;
	want->save.sysenter_esp = 0x5556000;
	want->save.sysenter_eip = 0x6667000;
	for (unsigned i = 0; i < sizeof(*got); i++)
		((volatile uint8_t *)got)[i] = 0;

	vmcb_default(v, l2_vmload_vmsave);
	if (np)
		vmcb_use_npt(v); /* low 4 GiB: identity in the NPT and L2's CR3 */
	v->save.rax = A(want);
	g = (struct l2_gprs){ 0 };
	g.rbx = A(got);
	l2_run(v, &g);
	l1_fs = rdmsr(MSR_FS_BASE);
	l1_kgs = rdmsr(MSR_KERNEL_GS_BASE);
	vmload(A(orig));
	if (!expect_exit(v, VMEXIT_VMMCALL))
		return 0;
	ok = TAP_EXPECT_EQ("VMSAVE fs.base", got->save.fs.base, want->save.fs.base);
	ok &= TAP_EXPECT_EQ("VMSAVE gs.base", got->save.gs.base, want->save.gs.base);
	ok &= TAP_EXPECT_EQ("VMSAVE kernel_gs_base", got->save.kernel_gs_base,
			    want->save.kernel_gs_base);
	ok &= TAP_EXPECT_EQ("VMSAVE star", got->save.star, want->save.star);
	ok &= TAP_EXPECT_EQ("VMSAVE lstar", got->save.lstar, want->save.lstar);
	ok &= TAP_EXPECT_EQ("VMSAVE cstar", got->save.cstar, want->save.cstar);
	ok &= TAP_EXPECT_EQ("VMSAVE sfmask", got->save.sfmask, want->save.sfmask);
	ok &= TAP_EXPECT_EQ("VMSAVE sysenter_cs", got->save.sysenter_cs,
			    want->save.sysenter_cs);
	ok &= TAP_EXPECT_EQ("VMSAVE sysenter_esp", got->save.sysenter_esp,
			    want->save.sysenter_esp);
	ok &= TAP_EXPECT_EQ("VMSAVE sysenter_eip", got->save.sysenter_eip,
			    want->save.sysenter_eip);
	ok &= TAP_EXPECT_EQ("VMSAVE tr.base", got->save.tr.base, want->save.tr.base);
	ok &= TAP_EXPECT_EQ("L1's FS base after #VMEXIT (L2's)", l1_fs,
			    want->save.fs.base);
	return ok & TAP_EXPECT_EQ("L1's KernelGsBase after #VMEXIT (L2's)",
				  l1_kgs, want->save.kernel_gs_base);
}

static int vmload_vmsave_in_l2_np(void)
{
	return vmload_vmsave_in_l2(1);
}

static int vmload_vmsave_in_l2_nonp(void)
{
	return vmload_vmsave_in_l2(0);
}

/* L2 clears its EFER.SVME (L1 does not intercept EFER), then VMLOAD from
 * rAX: #UD, which L1 intercepts, even though L1 intercepts VMLOAD too,
 * and even for an rAX that would raise #GP: #UD comes first (§15.9 and
 * the VMLOAD reference). */
static int vmload_ud_without_l2_svme(uint64_t rax)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_wrmsr_vmload);
	v->control.intercept_misc2 |= INTERCEPT2_VMLOAD;
	v->save.rax = (uint32_t)(env.l1_efer & ~X86_EFER_SVME);
	g = (struct l2_gprs){ 0 };
	g.rcx = MSR_EFER;
	g.rdx = env.l1_efer >> 32;
	g.rbx = rax;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_EXCP_BASE + X86_VEC_UD) &
	       TAP_EXPECT_EQ("rip (the VMLOAD)", v->save.rip,
			     A(l2_wrmsr_vmload_insn)) &
	       TAP_EXPECT_EQ("L2's EFER.SVME in vmcb12", v->save.efer & X86_EFER_SVME, 0);
}

static int vmload_ud_without_l2_svme_aligned(void)
{
	return vmload_ud_without_l2_svme(A(env.vmcb_aux));
}

static int vmload_ud_without_l2_svme_unaligned(void)
{
	return vmload_ud_without_l2_svme(A(env.vmcb_aux) + 8);
}

/* INVLPGA in L2, not intercepted: it completes. */
static int invlpga_in_l2(void)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_invlpga);
	v->save.rax = 0x200000;
	g = (struct l2_gprs){ 0 };
	g.rcx = 1;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("rip (the VMMCALL after INVLPGA)", v->save.rip,
			     A(l2_invlpga_next));
}

/* L2's CLGI holds the interrupt it then sends itself: L1's INTR intercept
 * fires only after L2's STGI (RBX = 2 by then). */
static int clgi_in_l2_holds_intr(void)
{
	struct vmcb *v = env.vmcb;
	uint64_t rax;

	vmcb_default(v, l2_clgi_ipi_stgi);
	v->save.rflags = 0x2 | X86_RFLAGS_IF;
	g = (struct l2_gprs){ 0 };
	apic_self_ipi_regs(VEC_IPI, &g, &rax);
	v->save.rax = rax;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_INTR) &
	       TAP_EXPECT_EQ("L2's progress at the exit (2: past the delay)",
			     g.rbx, 2) &
	       TAP_EXPECT_EQ("rip (after STGI)", v->save.rip,
			     A(l2_clgi_ipi_stgi_spin));
}

static const struct tap_case cases[] = {
	{ "l2svm.vmmcall.ud_to_l1", vmmcall_ud_to_l1 },
	{ "l2svm.skinit.ud_to_l1", skinit_ud_to_l1 },
	{ "l2svm.vmload_vmsave.l1_physical.np", vmload_vmsave_in_l2_np },
	{ "l2svm.vmload_vmsave.l1_physical.no_np", vmload_vmsave_in_l2_nonp },
	{ "l2svm.vmload.ud_without_l2_svme", vmload_ud_without_l2_svme_aligned },
	{ "l2svm.vmload.ud_without_l2_svme.unaligned_rax",
	  vmload_ud_without_l2_svme_unaligned },
	{ "l2svm.invlpga", invlpga_in_l2 },
	{ "l2svm.clgi_stgi.holds_intr", clgi_in_l2_holds_intr },
};

struct case_list l2svm_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
