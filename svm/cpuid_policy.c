// SPDX-License-Identifier: MIT
/*
 * The CPUID policy table (svm/cpuid_policy.h).  A feature CPUID reports
 * must work; one nestvisor does not virtualize, or that would let L1 leave
 * its control, is hidden.  Audited leaf by leaf for what depends on the
 * hypervisor: SVM and its extensions, secure launch, memory encryption,
 * the EFER bits (every bit L1 may write is one CPUID reports, and every
 * EFER feature CPUID reports may be written: svm/features.c), and
 * instructions that a guest can use only when its VMCB enables them.
 */
#include "svm/cpuid_policy.h"

#include "core/cpuid_bits.h"

static const struct cpuid_rule rules[] = {
	{ 0x80000001u, CPUID_ECX, CPUID_E1_ECX_SKINIT, 0, "SKINIT",
	  "a secure launch re-initialises the CPU outside nestvisor: not "
	  "offered, and SKINIT, intercepted, raises #UD" },
	{ 0x80000001u, CPUID_ECX, CPUID_E1_ECX_TCE, 0, "TCE",
	  "EFER.TCE may not be set (QEMU's VMRUN refuses it)" },
	{ 0x80000008u, CPUID_EBX, CPUID_E8_EBX_NO_LMSLE, CPUID_E8_EBX_NO_LMSLE,
	  "no LMSLE", "EFER.LMSLE may not be set: CPUID says it does not exist" },
	{ 0x80000008u, CPUID_EBX, CPUID_E8_EBX_INVLPGB |
	  CPUID_E8_EBX_INVLPGB_NESTED, 0, "INVLPGB, TLBSYNC",
	  "broadcast TLB invalidation: a guest may use it only where its VMCB "
	  "enables it, which nestvisor's do not (#UD)" },
	{ 0x80000008u, CPUID_EDX, CPUID_E8_EDX_INVLPGB_MAX, 0,
	  "InvlpgbCountMax", "no INVLPGB" },
	{ 0x80000008u, CPUID_EBX, CPUID_E8_EBX_MCOMMIT, 0, "MCOMMIT",
	  "EFER.MCOMMIT may not be set" },
	{ 0x80000008u, CPUID_EBX, CPUID_E8_EBX_INT_WBINVD, 0, "INT_WBINVD",
	  "EFER.INTWB may not be set" },
	{ 0x8000001fu, CPUID_EAX, ~0u, 0, "memory encryption (SME, SEV, ...)",
	  "nestvisor's NPT has no C-bit for L1 and SYSCFG cannot turn SME "
	  "on: the whole leaf reads 0" },
	{ 0x8000001fu, CPUID_EBX, ~0u, 0, "C-bit, PhysAddrReduction, VMPLs",
	  "no memory encryption" },
	{ 0x8000001fu, CPUID_ECX, ~0u, 0, "SEV guests", "no memory encryption" },
	{ 0x8000001fu, CPUID_EDX, ~0u, 0, "SEV ASIDs", "no memory encryption" },
	{ 0x80000021u, CPUID_EAX, CPUID_E21_EAX_UAI, 0, "UpperAddressIgnore",
	  "EFER.UAIE may not be set" },
};

const struct cpuid_rule *cpuid_rules(unsigned *n)
{
	*n = sizeof(rules) / sizeof(rules[0]);
	return rules;
}

void cpuid_apply_policy(uint32_t leaf, uint32_t r[4])
{
	for (unsigned i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (rules[i].leaf == leaf)
			r[rules[i].reg] = (r[rules[i].reg] & ~rules[i].clear) |
					  rules[i].set;
}
