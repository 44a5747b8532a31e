// SPDX-License-Identifier: MIT
/*
 * CPUID as L1 sees it.  Under nestvisor SVM is offered as nestvisor
 * implements it (docs/nested.md): 0x80000001 ECX[2] = 1 and leaf
 * 0x8000000A describes nestvisor's virtual SVM; every other
 * leaf is the CPU's, which `runner.py --compare` checks against a bare
 * run using the "# fact cpuid.*" lines printed here.
 */
#include "basic.h"
#include "tests/guest/lib/nv.h"
#include "tests/guest/lib/serial.h"
#include "tests/guest/lib/trap.h"
#include "tests/guest/lib/x86.h"

#define LEAF_SVM_FEATURES 0x8000000au

int cpu_has_svm(void)
{
	if (cpuid_count(0x80000000u, 0).eax < 0x80000001u)
		return 0;
	return (cpuid_count(0x80000001u, 0).ecx & CPUID_80000001_ECX_SVM) != 0;
}

static void fact_leaf(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r = cpuid_count(leaf, sub);

	gprintf("# fact cpuid.%08x.%u.eax = 0x%08x\n", leaf, sub, r.eax);
	gprintf("# fact cpuid.%08x.%u.ebx = 0x%08x\n", leaf, sub, r.ebx);
	gprintf("# fact cpuid.%08x.%u.ecx = 0x%08x\n", leaf, sub, r.ecx);
	gprintf("# fact cpuid.%08x.%u.edx = 0x%08x\n", leaf, sub, r.edx);
}

void cpuid_facts(void)
{
	uint32_t max_basic = cpuid_count(0, 0).eax;
	uint32_t max_ext = cpuid_count(0x80000000u, 0).eax;

	if (max_basic > 0x1f)
		max_basic = 0x1f;
	if (max_ext > 0x80000021u)
		max_ext = 0x80000021u;
	for (uint32_t l = 0; l <= max_basic; l++)
		fact_leaf(l, 0);
	if (max_basic >= 0xd)
		fact_leaf(0xd, 1);
	for (uint32_t l = 0x80000000u; l <= max_ext; l++)
		fact_leaf(l, 0);
	/* The rest of 0x80000001 ECX must match even where SVM differs. */
	gprintf("# fact cpuid.80000001.0.ecx-except-svm = 0x%08x\n",
		cpuid_count(0x80000001u, 0).ecx & ~CPUID_80000001_ECX_SVM);
	fact_leaf(NV_CPUID_VENDOR_LEAF, 0);
	fact_leaf(NV_CPUID_VERSION_LEAF, 0);
}

static int vendor_amd(void)
{
	char v[13];

	cpu_vendor(v);
	tap_diag("vendor \"%s\"", v);
	return v[0] == 'A' && v[1] == 'u' && v[2] == 't' && v[3] == 'h' &&
	       v[4] == 'e' && v[5] == 'n' && v[6] == 't' && v[7] == 'i' &&
	       v[8] == 'c' && v[9] == 'A' && v[10] == 'M' && v[11] == 'D';
}

/* AMD APM vol. 3, E.4.9: leaf 0x8000000A is defined only when SVM is
 * reported; then EAX[7:0] = SVM revision (>= 1) and EBX = number of ASIDs
 * (> 0).  A CPU without SVM leaves it reserved: nestvisor reads zeros. */
static int svm_leaf_consistent(void)
{
	struct cpuid_regs r;

	if (cpuid_count(0x80000000u, 0).eax < LEAF_SVM_FEATURES) {
		tap_diag("leaf 0x8000000A beyond the highest extended leaf");
		return !cpu_has_svm();
	}
	r = cpuid_count(LEAF_SVM_FEATURES, 0);
	tap_diag("SVM %u; 0x8000000A: %08x %08x %08x %08x", cpu_has_svm(),
		 r.eax, r.ebx, r.ecx, r.edx);
	if (cpu_has_svm())
		return (r.eax & 0xff) >= 1 && r.ebx > 0;
	return r.eax == 0 && r.ebx == 0 && r.ecx == 0 && r.edx == 0;
}

static int nv_svm_bit(void)
{
	return TAP_EXPECT_EQ("0x80000001 ECX.SVM", cpu_has_svm(), 1);
}

/* docs/nested.md: revision 1, at least one ASID for L2, NRIPS always
 * (emulated where the CPU lacks it), and no feature bit outside what
 * nestvisor implements: NP (0), NRIPS (3), TscRateMsr (4), VmcbClean
 * (5), FlushByAsid (6), DecodeAssists (7), PauseFilter (10),
 * PauseFilterThreshold (12), vGIF (16), GMET (17), vNMI (25). */
static int nv_svm_leaf(void)
{
	struct cpuid_regs r = cpuid_count(LEAF_SVM_FEATURES, 0);
	const uint32_t implemented = (1u << 0) | (1u << 3) | (1u << 4) |
				     (1u << 5) | (1u << 6) | (1u << 7) | (1u << 10) |
				     (1u << 12) | (1u << 16) | (1u << 17) | (1u << 25);

	return TAP_EXPECT_EQ("EAX revision", r.eax & 0xff, 1) &
	       (r.ebx > 1) & TAP_EXPECT_EQ("ECX", r.ecx, 0) &
	       TAP_EXPECT_EQ("EDX NRIPS", (r.edx >> 3) & 1, 1) &
	       TAP_EXPECT_EQ("EDX beyond implemented", r.edx & ~implemented, 0);
}

/* What nestvisor does not offer reads 0 (docs/hypercalls.md, "CPUID as
 * L1 sees it"; bit positions from AMD APM Vol. 3 Appendix E): SKINIT
 * (Fn8000_0001 ECX[12]), and SKINIT itself raises #UD (intercepted: it
 * would re-initialise the CPU outside nestvisor); memory encryption
 * (Fn8000_001F, all of it).  Only under nestvisor: on a machine where the
 * CPU offers SKINIT it would run. */
static int nv_skinit_hidden(void)
{
	struct trap_session ts;
	int fault;
	int ok = TAP_EXPECT_EQ("0x80000001 ECX[12] SKINIT",
			       (cpuid_count(0x80000001u, 0).ecx >> 12) & 1, 0);

	trap_begin(&ts);
	fault = trap_skinit();
	trap_end(&ts);
	return ok & expect_trap("SKINIT", fault, TRAP_UD);
}

static int nv_memory_encryption_hidden(void)
{
	struct cpuid_regs r = cpuid_count(0x8000001fu, 0);

	if (cpuid_count(0x80000000u, 0).eax < 0x8000001fu)
		return 1;
	return TAP_EXPECT_EQ("EAX", r.eax, 0) & TAP_EXPECT_EQ("EBX", r.ebx, 0) &
	       TAP_EXPECT_EQ("ECX", r.ecx, 0) & TAP_EXPECT_EQ("EDX", r.edx, 0);
}

static const struct tap_case common_cases[] = {
	{ "cpuid: leaf 0 vendor is AuthenticAMD", vendor_amd },
	{ "cpuid: leaf 0x8000000A consistent with 0x80000001 ECX.SVM", svm_leaf_consistent },
};

static const struct tap_case nv_cases[] = {
	{ "cpuid: leaf 0 vendor is AuthenticAMD", vendor_amd },
	{ "cpuid: leaf 0x8000000A consistent with 0x80000001 ECX.SVM", svm_leaf_consistent },
	{ "cpuid: nestvisor offers SVM: 0x80000001 ECX[2] is 1", nv_svm_bit },
	{ "cpuid: nestvisor SVM leaf 0x8000000A: revision 1, ASIDs, NRIPS, only implemented features", nv_svm_leaf },
	{ "cpuid: SKINIT hidden (0x80000001 ECX[12] is 0) and SKINIT raises #UD", nv_skinit_hidden },
	{ "cpuid: memory encryption hidden (leaf 0x8000001F is 0)", nv_memory_encryption_hidden },
};

struct case_list cpuid_cases(int under_nv)
{
	if (under_nv)
		return (struct case_list){ nv_cases, TAP_COUNT(nv_cases) };
	return (struct case_list){ common_cases, TAP_COUNT(common_cases) };
}
