// SPDX-License-Identifier: MIT
/*
 * SVM instructions in L1: VMLOAD/VMSAVE (AMD APM Vol. 2 §15.5.2: FS, GS,
 * TR, LDTR with their hidden state, KernelGsBase, STAR, LSTAR, CSTAR,
 * SFMASK, SYSENTER_*), CLGI/STGI (§15.17: with GIF=0 interrupts are held
 * pending), and VMRUN with EFER.SVME=0 (#UD, §15.4).
 */
#include "nested.h"
#include "core/x86.h"

#define MSR_LSTAR 0xc0000082u
#define MSR_CSTAR 0xc0000083u
#define MSR_SFMASK 0xc0000084u

extern char l1_vmrun_insn[];
void l1_vmrun_probe(uint64_t vmcb_pa);

static struct vmcb *scratch;

static int vmload_vmsave(void)
{
	struct vmcb *orig = env.vmcb_aux, *want = env.vmcb, *got;
	struct vmcb_save *w = &want->save, *s;
	uint64_t m_fs, m_gs, m_kgs, m_star, m_lstar, m_cstar, m_sfmask;
	int ok;

	if (!scratch)
		scratch = env_page();
	got = scratch;
	vmsave((uint64_t)(uintptr_t)orig);
	*want = *orig;
	w->fs.base = 0x11110000;
	w->gs.base = 0x22220000;
	w->tr.base = 0x33330000;
	w->tr.limit = 0x67;
	w->ldtr.base = 0x44440000;
	w->ldtr.limit = 0xfff;
	w->ldtr.attrib.raw = SEG_ATTR_P | 0x2;
	w->kernel_gs_base = 0x55550000;
	w->star = 0x0023001000000000ull;
	w->lstar = 0xffff800012345000ull;
	w->cstar = 0xffff800054321000ull;
	w->sfmask = 0x4700;
	w->sysenter_cs = 0x10;
	w->sysenter_esp = 0x66660000;
	w->sysenter_eip = 0x77770000;

	vmload((uint64_t)(uintptr_t)want);
	m_fs = rdmsr(MSR_FS_BASE);
	m_gs = rdmsr(MSR_GS_BASE);
	m_kgs = rdmsr(MSR_KERNEL_GS_BASE);
	m_star = rdmsr(MSR_STAR);
	m_lstar = rdmsr(MSR_LSTAR);
	m_cstar = rdmsr(MSR_CSTAR);
	m_sfmask = rdmsr(MSR_SFMASK);
	vmsave((uint64_t)(uintptr_t)got);
	vmload((uint64_t)(uintptr_t)orig);
	s = &got->save;

	ok = TAP_EXPECT_EQ("FS_BASE after VMLOAD", m_fs, w->fs.base);
	ok &= TAP_EXPECT_EQ("GS_BASE after VMLOAD", m_gs, w->gs.base);
	ok &= TAP_EXPECT_EQ("KernelGsBase after VMLOAD", m_kgs, w->kernel_gs_base);
	ok &= TAP_EXPECT_EQ("STAR after VMLOAD", m_star, w->star);
	ok &= TAP_EXPECT_EQ("LSTAR after VMLOAD", m_lstar, w->lstar);
	ok &= TAP_EXPECT_EQ("CSTAR after VMLOAD", m_cstar, w->cstar);
	ok &= TAP_EXPECT_EQ("SFMASK after VMLOAD", m_sfmask, w->sfmask);
	ok &= TAP_EXPECT_EQ("VMSAVE fs.base", s->fs.base, w->fs.base);
	ok &= TAP_EXPECT_EQ("VMSAVE gs.base", s->gs.base, w->gs.base);
	ok &= TAP_EXPECT_EQ("VMSAVE tr.base", s->tr.base, w->tr.base);
	ok &= TAP_EXPECT_EQ("VMSAVE tr.limit", s->tr.limit, w->tr.limit);
	ok &= TAP_EXPECT_EQ("VMSAVE ldtr.base", s->ldtr.base, w->ldtr.base);
	ok &= TAP_EXPECT_EQ("VMSAVE ldtr.limit", s->ldtr.limit, w->ldtr.limit);
	ok &= TAP_EXPECT_EQ("VMSAVE kernel_gs_base", s->kernel_gs_base, w->kernel_gs_base);
	ok &= TAP_EXPECT_EQ("VMSAVE star", s->star, w->star);
	ok &= TAP_EXPECT_EQ("VMSAVE lstar", s->lstar, w->lstar);
	ok &= TAP_EXPECT_EQ("VMSAVE cstar", s->cstar, w->cstar);
	ok &= TAP_EXPECT_EQ("VMSAVE sfmask", s->sfmask, w->sfmask);
	ok &= TAP_EXPECT_EQ("VMSAVE sysenter_cs", s->sysenter_cs, w->sysenter_cs);
	ok &= TAP_EXPECT_EQ("VMSAVE sysenter_esp", s->sysenter_esp, w->sysenter_esp);
	return ok & TAP_EXPECT_EQ("VMSAVE sysenter_eip", s->sysenter_eip, w->sysenter_eip);
}

static int gif0_holds_interrupt(void)
{
	uint32_t before = env.irq_count[VEC_IPI], held;
	int ok;

	clgi();
	__asm__ volatile("sti" ::: "memory");
	apic_self_ipi(VEC_IPI);
	for (volatile int i = 0; i < 1000; i++)
		;
	held = env.irq_count[VEC_IPI] - before;
	stgi();
	__asm__ volatile("nop; nop; nop; nop; cli" ::: "memory");
	ok = TAP_EXPECT_EQ("interrupts taken with GIF=0, IF=1", held, 0);
	return ok & TAP_EXPECT_EQ("interrupts taken after STGI",
				  env.irq_count[VEC_IPI] - before, 1);
}

static int vmrun_ud_without_svme(void)
{
	uint64_t efer = rdmsr(MSR_EFER);
	struct l1_trap t;

	vmcb_default(env.vmcb, l1_vmrun_insn);
	wrmsr(MSR_EFER, efer & ~X86_EFER_SVME);
	l1_arm((uint64_t)(uintptr_t)l1_vmrun_insn, 3);
	l1_vmrun_probe((uint64_t)(uintptr_t)env.vmcb);
	t = l1_disarm();
	wrmsr(MSR_EFER, efer);
	return TAP_EXPECT_EQ("exception vector (6 = #UD; -1 none)", (long)t.vector, 6);
}

static const struct tap_case cases[] = {
	{ "svm.vmload_vmsave.roundtrip", vmload_vmsave },
	{ "svm.clgi_stgi.gif0_holds_interrupt", gif0_holds_interrupt },
	{ "svm.vmrun.ud_without_efer_svme", vmrun_ud_without_svme },
};

struct case_list svm_insn_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
