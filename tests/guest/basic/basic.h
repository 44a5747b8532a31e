/* SPDX-License-Identifier: MIT */
/*
 * The basic suite: what L1 sees of nestvisor (detection, CPUID, MSRs,
 * I/O passthrough, isolation of hypervisor memory).  Each area provides
 * the list of cases for the environment found: under nestvisor, or bare
 * (no nestvisor).  A case that checks the same behaviour in both
 * environments has the same name in both, so that `runner.py --compare`
 * can line the two runs up.
 */
#ifndef NV_GUEST_BASIC_H
#define NV_GUEST_BASIC_H

#include "tests/guest/lib/tap.h"

struct case_list {
	const struct tap_case *cases;
	unsigned count;
};

struct case_list detect_cases(int under_nv);
struct case_list cpuid_cases(int under_nv);
struct case_list msr_cases(int under_nv);
struct case_list io_cases(int under_nv);
struct case_list isolation_cases(int under_nv);

/* "# fact" lines with raw CPUID values, for --compare. */
void cpuid_facts(void);

/* Shared helpers (common.c). */
struct hc_regs;
/* VMMCALL inside its own trap session; returns the exception or TRAP_NONE. */
int hypercall(struct hc_regs *r);
/* Check that an instruction raised `want` (TRAP_*); prints both if not. */
int expect_trap(const char *what, int got, int want);

/* Does the CPU (as this guest sees it) report SVM in 0x80000001 ECX? */
int cpu_has_svm(void);

#endif
