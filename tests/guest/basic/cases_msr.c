// SPDX-License-Identifier: MIT
/*
 * SVM MSRs as L1 sees them.  Every case checks "behaviour consistent with
 * CPUID 0x80000001 ECX.SVM" (AMD APM vol. 2, 15.4 "Enabling SVM"; vol. 3
 * RDMSR/WRMSR: an unimplemented MSR raises #GP):
 *  - SVM reported: EFER.SVME can be set and reads back; VM_CR reads with
 *    SVMDIS = 0; VM_HSAVE_PA reads back what was written;
 *  - SVM not reported (nestvisor, or -cpu ...,-svm): setting EFER.SVME
 *    raises #GP (EFER is unchanged), VM_CR and VM_HSAVE_PA raise #GP.
 * Every MSR a case changes is restored before the case ends.
 */
#include "basic.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/trap.h"
#include "tests/guest/lib/x86.h"

static int rdmsr_caught(uint32_t msr, uint64_t *val)
{
	struct trap_session ts;
	int fault;

	trap_begin(&ts);
	fault = trap_rdmsr(msr, val);
	trap_end(&ts);
	return fault;
}

static int wrmsr_caught(uint32_t msr, uint64_t val)
{
	struct trap_session ts;
	int fault;

	trap_begin(&ts);
	fault = trap_wrmsr(msr, val);
	trap_end(&ts);
	return fault;
}

static int efer_svme_clear(void)
{
	uint64_t efer;

	if (!expect_trap("RDMSR EFER exception", rdmsr_caught(MSR_EFER, &efer), TRAP_NONE))
		return 0;
	tap_fact("msr.efer", "0x%lx", efer);
	return TAP_EXPECT_EQ("EFER.SVME", (efer & X86_EFER_SVME) != 0, 0);
}

static int efer_svme_write(void)
{
	struct trap_session ts;
	uint64_t before, after = 0, restored = 0;
	int fault, ok = 1;

	/* One session: while SVME is set nothing else may run. */
	trap_begin(&ts);
	trap_rdmsr(MSR_EFER, &before);
	fault = trap_wrmsr(MSR_EFER, before | X86_EFER_SVME);
	trap_rdmsr(MSR_EFER, &after);
	if (fault == TRAP_NONE)
		trap_wrmsr(MSR_EFER, before);
	trap_rdmsr(MSR_EFER, &restored);
	trap_end(&ts);

	tap_diag("SVM %u, EFER before 0x%lx, after 0x%lx, restored 0x%lx",
		 cpu_has_svm(), before, after, restored);
	if (cpu_has_svm()) {
		ok &= expect_trap("WRMSR exception", fault, TRAP_NONE);
		ok &= TAP_EXPECT_EQ("EFER after", after, before | X86_EFER_SVME);
	} else {
		ok &= expect_trap("WRMSR exception", fault, TRAP_GP);
		ok &= TAP_EXPECT_EQ("EFER after", after, before);
	}
	ok &= TAP_EXPECT_EQ("EFER restored", restored, before);
	return ok;
}

static int vm_cr_read(void)
{
	uint64_t v;
	int fault = rdmsr_caught(MSR_VM_CR, &v);

	tap_diag("SVM %u, VM_CR 0x%lx, exception %s", cpu_has_svm(), v, trap_name(fault));
	if (cpu_has_svm())
		return expect_trap("exception", fault, TRAP_NONE) &
		       TAP_EXPECT_EQ("VM_CR.SVMDIS", (v & VM_CR_SVMDIS) != 0, 0);
	return expect_trap("exception", fault, TRAP_GP);
}

/* Writes VM_CR's own value back: no state changes if the write works. */
static int vm_cr_write(void)
{
	uint64_t v;
	int fault;

	rdmsr_caught(MSR_VM_CR, &v);
	fault = wrmsr_caught(MSR_VM_CR, v);
	tap_diag("SVM %u, wrote VM_CR 0x%lx, exception %s", cpu_has_svm(), v, trap_name(fault));
	return expect_trap("exception", fault, cpu_has_svm() ? TRAP_NONE : TRAP_GP);
}

static int hsave_read(void)
{
	uint64_t v;
	int fault = rdmsr_caught(MSR_VM_HSAVE_PA, &v);

	tap_diag("SVM %u, VM_HSAVE_PA 0x%lx, exception %s", cpu_has_svm(), v, trap_name(fault));
	return expect_trap("exception", fault, cpu_has_svm() ? TRAP_NONE : TRAP_GP);
}

static int hsave_write(void)
{
	uint64_t before, after, restored;
	uint64_t page = (uint64_t)(uintptr_t)guest_alloc_page();
	int rfault, fault, ok = 1;

	if (!page) {
		tap_diag("cannot allocate a page");
		return 0;
	}
	rfault = rdmsr_caught(MSR_VM_HSAVE_PA, &before);
	fault = wrmsr_caught(MSR_VM_HSAVE_PA, page);
	rdmsr_caught(MSR_VM_HSAVE_PA, &after);
	if (fault == TRAP_NONE)
		wrmsr_caught(MSR_VM_HSAVE_PA, before);
	rdmsr_caught(MSR_VM_HSAVE_PA, &restored);
	guest_free_page((void *)(uintptr_t)page);
	tap_diag("SVM %u, wrote 0x%lx: exception %s, reads 0x%lx, restored 0x%lx",
		 cpu_has_svm(), page, trap_name(fault), after, restored);
	if (cpu_has_svm()) {
		ok &= expect_trap("WRMSR exception", fault, TRAP_NONE);
		ok &= TAP_EXPECT_EQ("VM_HSAVE_PA after", after, page);
		ok &= TAP_EXPECT_EQ("VM_HSAVE_PA restored", restored, before);
	} else {
		ok &= expect_trap("RDMSR exception", rfault, TRAP_GP);
		ok &= expect_trap("WRMSR exception", fault, TRAP_GP);
	}
	return ok;
}

static const struct tap_case cases[] = {
	{ "msr: EFER.SVME reads 0 (firmware does not enable SVM)", efer_svme_clear },
	{ "msr: WRMSR EFER.SVME=1 consistent with CPUID.SVM (reads back / #GP), restored",
	  efer_svme_write },
	{ "msr: RDMSR VM_CR consistent with CPUID.SVM (SVMDIS=0 / #GP)", vm_cr_read },
	{ "msr: WRMSR VM_CR (own value) consistent with CPUID.SVM (ok / #GP)", vm_cr_write },
	{ "msr: RDMSR VM_HSAVE_PA consistent with CPUID.SVM (ok / #GP)", hsave_read },
	{ "msr: WRMSR VM_HSAVE_PA consistent with CPUID.SVM (reads back / #GP), restored",
	  hsave_write },
};

struct case_list msr_cases(int under_nv)
{
	(void)under_nv;
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
