// SPDX-License-Identifier: MIT
/* Is nestvisor underneath?  Vendor leaves and the VERSION hypercall. */
#include "basic.h"
#include "tests/guest/lib/nv.h"
#include "tests/guest/lib/trap.h"
#include "tests/guest/lib/x86.h"

#define NV_VERSION_0_1_0 0x000100u

static int hypervisor_bit(void)
{
	return TAP_EXPECT_EQ("CPUID.1:ECX[31]",
			     (cpuid_count(1, 0).ecx & CPUID_1_ECX_HYPERVISOR) != 0, 1);
}

static int vendor_signature(void)
{
	struct cpuid_regs r = cpuid_count(NV_CPUID_VENDOR_LEAF, 0);

	return TAP_EXPECT_EQ("EBX", r.ebx, NV_CPUID_SIG_EBX) &
	       TAP_EXPECT_EQ("ECX", r.ecx, NV_CPUID_SIG_ECX) &
	       TAP_EXPECT_EQ("EDX", r.edx, NV_CPUID_SIG_EDX);
}

static int vendor_max_leaf(void)
{
	return TAP_EXPECT_EQ("EAX", cpuid_count(NV_CPUID_VENDOR_LEAF, 0).eax, NV_CPUID_MAX_LEAF);
}

static int version_leaf(void)
{
	return TAP_EXPECT_EQ("EAX", cpuid_count(NV_CPUID_VERSION_LEAF, 0).eax, NV_VERSION_0_1_0);
}

static int hc_version(void)
{
	struct hc_regs r = { NV_HC_VERSION, 0, 0, 0 };
	int fault = hypercall(&r);

	return expect_trap("exception", fault, TRAP_NONE) &&
	       TAP_EXPECT_EQ("status RAX", r.rax, NV_HC_OK) &
	       TAP_EXPECT_EQ("RBX", r.rbx, NV_VERSION_0_1_0);
}

/* core/hypercall.h: RAX = status, negative = error. */
static int hc_unknown(void)
{
	struct hc_regs r = { 0x7fffu, 0, 0, 0 };
	int fault = hypercall(&r);

	if (!expect_trap("exception", fault, TRAP_NONE))
		return 0;
	if ((int64_t)r.rax >= 0) {
		tap_diag("status %ld is not an error", (long)r.rax);
		return 0;
	}
	return 1;
}

/* nestvisor's UEFI side closed the boot log before starting this payload
 * (core/hypercall.h NV_HC_BOOT_DONE): nothing L1 runs later may write into
 * nestvisor's log. */
static int hc_boot_log_closed(void)
{
	static const char text[] = "basic: this must not reach the log ring\n";
	struct hc_regs r = { NV_HC_BOOT_LOG, (uint64_t)(uintptr_t)text,
			     sizeof(text) - 1, 0 };
	int fault = hypercall(&r);

	return expect_trap("exception", fault, TRAP_NONE) &&
	       TAP_EXPECT_EQ("status RAX", r.rax, (uint64_t)NV_HC_EPERM);
}

/* Bare: no NestVisor vendor leaf, and nothing intercepts VMMCALL, which
 * then raises #UD (AMD APM vol. 3, VMMCALL). */
static int no_nestvisor(void)
{
	struct hc_regs r = { NV_HC_VERSION, 0, 0, 0 };
	char sig[13];
	int ok = 1;

	nv_vendor_leaf_sig(sig);
	tap_diag("vendor leaf signature \"%s\"", sig);
	if (nv_present()) {
		tap_diag("the NestVisor signature is present");
		ok = 0;
	}
	ok &= expect_trap("VMMCALL exception", hypercall(&r), TRAP_UD);
	return ok;
}

static const struct tap_case nv_cases[] = {
	{ "detect: CPUID.1:ECX[31] (hypervisor present) is set", hypervisor_bit },
	{ "detect: vendor leaf 0x40000000 signature is NestVisor", vendor_signature },
	{ "detect: vendor leaf EAX (highest vendor leaf) is 0x40000001", vendor_max_leaf },
	{ "detect: version leaf 0x40000001 EAX is 0x000100 (0.1.0)", version_leaf },
	{ "hypercall: VERSION returns status 0 and RBX 0x000100", hc_version },
	{ "hypercall: an unknown call number returns a negative status", hc_unknown },
	{ "hypercall: BOOT_LOG is refused once the next stage runs", hc_boot_log_closed },
};

static const struct tap_case bare_cases[] = {
	{ "detect: no nestvisor present: vendor leaf absent and VMMCALL raises #UD",
	  no_nestvisor },
};

struct case_list detect_cases(int under_nv)
{
	if (under_nv)
		return (struct case_list){ nv_cases, TAP_COUNT(nv_cases) };
	return (struct case_list){ bare_cases, TAP_COUNT(bare_cases) };
}
