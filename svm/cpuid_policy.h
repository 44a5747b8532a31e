/* SPDX-License-Identifier: MIT */
/*
 * What CPUID tells L1 about features nestvisor does not let it use: the
 * one table of bits cleared (or set) in the CPU's answer, and why
 * (svm/cpuid_policy.c; docs/hypercalls.md, "CPUID as L1 sees it", is the
 * same table).  svm/cpuid.c applies it, then fills in what it computes:
 * the hypervisor leaves, SVM as offered (0x80000001 ECX[2], 0x8000000A),
 * L1's MAXPHYADDR, OSXSAVE and OSPKE from L1's CR4, and APIC from L1's
 * APIC_BASE (cpuid_1_edx).
 */
#ifndef NV_SVM_CPUID_POLICY_H
#define NV_SVM_CPUID_POLICY_H

#include <stdbool.h>
#include <stdint.h>

#include "core/cpuid_bits.h"

enum cpuid_reg { CPUID_EAX, CPUID_EBX, CPUID_ECX, CPUID_EDX };

struct cpuid_rule {
	uint32_t leaf;
	enum cpuid_reg reg;
	uint32_t clear, set;    /* bits cleared, then bits set */
	const char *what, *why;
};

/* The table and its length. */
const struct cpuid_rule *cpuid_rules(unsigned *n);

/* Applies the table to the CPU's answer r[4] (EAX, EBX, ECX, EDX) for
 * leaf (any subleaf). */
void cpuid_apply_policy(uint32_t leaf, uint32_t r[4]);

/* Fn0000_0001_EDX as L1 sees it: APIC (bit 9, "present and enabled",
 * APM Vol. 3 Appendix E) clear while L1's APIC is hardware-disabled
 * (APIC_BASE.EN clear, emulated by svm/apic.c), as the CPU reports it;
 * every other bit the CPU's. */
static inline uint32_t cpuid_1_edx(uint32_t edx, bool apic_enabled)
{
	return apic_enabled ? edx : edx & ~CPUID_1_EDX_APIC;
}

#endif
