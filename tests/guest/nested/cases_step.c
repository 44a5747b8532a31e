// SPDX-License-Identifier: MIT
/*
 * Single-step (AMD APM Vol. 2 §13.1.4): an instruction that starts with
 * RFLAGS.TF = 1 is followed by a #DB trap, with DR6.BS set and the RIP of
 * the next instruction pushed; this holds for the instructions a
 * hypervisor intercepts and completes on the guest's behalf too.  For
 * VMRUN with TF set in the host (L1), the trap comes after the #VMEXIT,
 * at the instruction after VMRUN.  In L2, with L1 intercepting #DB, the
 * trap is #VMEXIT 0x41 at the next instruction, with DR6.BS in vmcb12.
 */
#include "nested.h"
#include "core/x86.h"

extern char l1_step_cpuid_next[], l1_step_cpuid_next2[];
extern char l1_step_in_next[], l1_step_rdmsr_next[], l1_step_stgi_next[], l1_step_vmrun_next[];
extern char l2_cpuid[], l2_cpuid_next[], l2_vmmcall[];
void l1_step_cpuid(void);
void l1_step_rdmsr(void);
void l1_step_in(void);
void l1_step_stgi(void);
void l1_step_vmrun(uint64_t vmcb_pa);

#define A(p) ((uint64_t)(uintptr_t)(p))
#define DR6_BS (1ull << 14)

static struct l2_gprs g;

static void step_begin(void)
{
	env.step_n = 0;
	env.step_log_on = 1;
}

/* The first trap: at want, with DR6.BS. */
static int first_trap(uint64_t want)
{
	env.step_log_on = 0;
	if (!TAP_EXPECT_EQ("traps taken (at least 1)", env.step_n > 0, 1))
		return 0;
	return TAP_EXPECT_EQ("RIP of the first trap", env.step_rip[0], want) &
	       TAP_EXPECT_EQ("DR6.BS of the first trap", env.step_dr6[0] & DR6_BS,
			     DR6_BS);
}

static int step_cpuid(void)
{
	int ok;

	step_begin();
	l1_step_cpuid();
	ok = first_trap(A(l1_step_cpuid_next));
	return ok & TAP_EXPECT_EQ("RIP of the second trap (after the NOP)",
				  env.step_rip[1], A(l1_step_cpuid_next2));
}

static int step_rdmsr(void)
{
	step_begin();
	l1_step_rdmsr();
	return first_trap(A(l1_step_rdmsr_next));
}

static int step_in(void)
{
	step_begin();
	l1_step_in();
	return first_trap(A(l1_step_in_next));
}

static int step_stgi(void)
{
	step_begin();
	l1_step_stgi();
	return first_trap(A(l1_step_stgi_next));
}

/* L1 runs VMRUN with TF set; L2 (VMMCALL, intercepted) exits at once. */
static int step_vmrun(void)
{
	struct vmcb *v = env.vmcb;
	int ok;

	vmcb_default(v, l2_vmmcall);
	clgi();
	step_begin();
	l1_step_vmrun(A(v));
	ok = first_trap(A(l1_step_vmrun_next));
	stgi();
	return ok & expect_exit(v, VMEXIT_VMMCALL);
}

/* L2 starts with TF set and runs CPUID, which L1 does not intercept. */
static int step_l2_cpuid(void)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, l2_cpuid);
	v->save.rflags = 0x2 | X86_RFLAGS_TF;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_EXCP_BASE + X86_VEC_DB) &
	       TAP_EXPECT_EQ("rip (after CPUID)", v->save.rip, A(l2_cpuid_next)) &
	       TAP_EXPECT_EQ("vmcb12 DR6.BS", v->save.dr6 & DR6_BS, DR6_BS);
}

static const struct tap_case cases[] = {
	{ "step.l1.cpuid", step_cpuid },
	{ "step.l1.rdmsr", step_rdmsr },
	{ "step.l1.in_port", step_in },
	{ "step.l1.stgi", step_stgi },
	{ "step.l1.vmrun", step_vmrun },
	{ "step.l2.cpuid", step_l2_cpuid },
};

struct case_list step_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
