// SPDX-License-Identifier: MIT
/*
 * VMCB clean bits (CPUID 8000_000A EDX[5]), AMD APM Vol. 2, "VMCB Clean Bits": a
 * set clean bit lets the CPU use its cached copy of that group of fields,
 * which it has only for the VMCB it ran last; a VMRUN of another VMCB, a
 * VMCB it has never run, and the fields no clean bit covers (RIP, RAX,
 * EVENTINJ, ...) are always read.  So with every clean bit set the CPU
 * still sees: a new VMCB's fields, a VMCB's changes after another VMCB
 * ran, and a new RIP and RAX.  On a CPU without clean bits the field is
 * ignored and the same holds: these cases run everywhere.
 */
#include "nested.h"
#include "core/x86.h"

#define A(p) ((uint64_t)(uintptr_t)(p))

extern char l2_cpuid[], l2_cpuid_next[], l2_vmmcall[];

static struct l2_gprs g;

static struct vmcb *cpuid_vmcb(struct vmcb *v, const char *rip, int intercept)
{
	vmcb_default(v, rip);
	if (intercept)
		v->control.intercept_misc1 |= INTERCEPT1_CPUID;
	v->save.rax = 0;
	g = (struct l2_gprs){ 0 };
	return v;
}

/* A VMCB run for the first time, every clean bit set: its fields. */
static int new_vmcb(void)
{
	struct vmcb *a = cpuid_vmcb(env.vmcb, l2_cpuid, 1);
	struct vmcb *b;

	l2_run(a, &g);
	if (!expect_exit(a, VMEXIT_CPUID))
		return 0;
	b = cpuid_vmcb(env.vmcb_aux, l2_cpuid, 0);
	b->control.clean = VMCB_CLEAN_ALL;
	l2_run(b, &g);
	return expect_exit(b, VMEXIT_VMMCALL);
}

/* A's intercepts change while B ran last: A runs with them although every
 * clean bit is set. */
static int other_vmcb_between(void)
{
	struct vmcb *a = cpuid_vmcb(env.vmcb, l2_cpuid, 1);
	struct vmcb *b;

	l2_run(a, &g);
	if (!expect_exit(a, VMEXIT_CPUID))
		return 0;
	b = cpuid_vmcb(env.vmcb_aux, l2_vmmcall, 0);
	l2_run(b, &g);
	if (!expect_exit(b, VMEXIT_VMMCALL))
		return 0;
	a->control.intercept_misc1 &= ~INTERCEPT1_CPUID;
	a->control.clean = VMCB_CLEAN_ALL;
	a->save.rip = A(l2_cpuid);
	l2_run(a, &g);
	return expect_exit(a, VMEXIT_VMMCALL);
}

/* The same VMCB again, nothing changed, every clean bit set: resumes
 * after the intercepted CPUID. */
static int same_vmcb_unchanged(void)
{
	struct vmcb *a = cpuid_vmcb(env.vmcb, l2_cpuid, 1);

	l2_run(a, &g);
	if (!expect_exit(a, VMEXIT_CPUID))
		return 0;
	a->control.clean = VMCB_CLEAN_ALL;
	l2_resume(a, &g, A(l2_cpuid_next));
	return expect_exit(a, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("rip", a->save.rip, A(l2_cpuid_next));
}

/* RIP and RAX have no clean bit: a new RIP and RAX are used. */
static int rip_rax_not_cached(void)
{
	struct vmcb *a = cpuid_vmcb(env.vmcb, l2_vmmcall, 1);

	l2_run(a, &g);
	if (!expect_exit(a, VMEXIT_VMMCALL))
		return 0;
	a->control.clean = VMCB_CLEAN_ALL;
	a->save.rip = A(l2_cpuid);
	a->save.rax = 0x80000000u;
	l2_run(a, &g);
	return expect_exit(a, VMEXIT_CPUID) &
	       TAP_EXPECT_EQ("rip", a->save.rip, A(l2_cpuid)) &
	       TAP_EXPECT_EQ("rax (CPUID leaf)", a->save.rax, 0x80000000u);
}

static const struct tap_case cases[] = {
	{ "clean.new_vmcb_all_clean", new_vmcb },
	{ "clean.other_vmcb_ran_between", other_vmcb_between },
	{ "clean.same_vmcb_unchanged", same_vmcb_unchanged },
	{ "clean.rip_rax_not_covered", rip_rax_not_cached },
};

struct case_list clean_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
