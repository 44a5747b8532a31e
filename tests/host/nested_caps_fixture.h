/* SPDX-License-Identifier: MIT */
/*
 * The L1 both nested_check host tests run against: MAXPHYADDR 48, every
 * optional SVM feature offered except shadow stacks and SEV-ES, and the
 * CR4/EFER bits a plain 64-bit L1 CPUID would allow.
 */
#ifndef NV_TESTS_NESTED_CAPS_FIXTURE_H
#define NV_TESTS_NESTED_CAPS_FIXTURE_H

#include "core/x86.h"
#include "svm/nested_check.h"

#define BIT(n) (1ull << (n))

/* Segment attributes as the VMCB holds them, APM Vol. 2 §15.5.1. */
#define ATTR_S  (1u << 4)
#define ATTR_P  (1u << 7)
#define ATTR_L  (1u << 9)
#define ATTR_DB (1u << 10)
#define ATTR_G  (1u << 11)

/* EVENTINJ, APM Vol. 2 §15.20: vector 7:0, type 10:8, EV 11, V 31. */
#define EV_TYPE_INTR (0u << 8)
#define EV_TYPE_EXC  (3u << 8)
#define EV_TYPE_SOFT (4u << 8)
#define EV_ERR       (1u << 11)
#define EV_VALID     (1u << 31)
#define M 48u			/* MAXPHYADDR of the test L1 */

static inline struct nested_caps caps_full(void)
{
	struct nested_caps c = {
		.maxphyaddr = M,
		.np = true, .gmet = true, .vgif = true, .vnmi = true,
		.nrips = true, .lbrv = true, .flush_by_asid = true,
		.shstk = false, .sev_es = false,
		.xsave = true, .rdtscp = true, .invpcid = true, .rdpru = true,
		.nr_asids = 16,
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
