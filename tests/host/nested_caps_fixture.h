/* SPDX-License-Identifier: MIT */
/*
 * The L1 both nested_check host tests run against: MAXPHYADDR 48, every
 * optional SVM feature offered except shadow stacks and SEV-ES, and the
 * CR4/EFER bits a plain 64-bit L1 CPUID would allow.
 */
#ifndef NV_TESTS_NESTED_CAPS_FIXTURE_H
#define NV_TESTS_NESTED_CAPS_FIXTURE_H

#include "core/x86.h"
#include "svm/nested_bits.h"
#include "svm/nested_check.h"

#define BIT(n) (1ull << (n))
#define M 48u			/* MAXPHYADDR of the test L1 */

static inline struct nested_caps caps_full(void)
{
	struct nested_caps c = {
		.maxphyaddr = M,
		.np = true, .gmet = true, .vgif = true, .vnmi = true,
		.nrips = true, .lbrv = true, .flush_by_asid = true,
		.shstk = false, .sev_es = false,
		.xsave = true, .rdtscp = true, .invpcid = true, .rdpru = true,
		/* VME PVI TSD DE PSE PAE MCE PGE PCE OSFXSR OSXMMEXCPT
		 * FSGSBASE PCIDE OSXSAVE SMEP SMAP */
		.cr4_allowed = 0x7ffull | X86_CR4_FSGSBASE | X86_CR4_PCIDE |
			       X86_CR4_OSXSAVE | X86_CR4_SMEP | X86_CR4_SMAP,
		.efer_allowed = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE |
				X86_EFER_SVME,
	};
	return c;
}

#endif
