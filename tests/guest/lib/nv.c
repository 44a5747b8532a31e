// SPDX-License-Identifier: MIT
#include "nv.h"
#include "x86.h"

static void regs_to_text(uint32_t a, uint32_t b, uint32_t c, char out[13])
{
	uint32_t w[3] = { a, b, c };

	for (int i = 0; i < 12; i++) {
		char ch = (char)(w[i / 4] >> (8 * (i % 4)));
		out[i] = ch ? ch : '.';
	}
	out[12] = '\0';
}

int nv_present(void)
{
	struct cpuid_regs r;

	if (!(cpuid_count(1, 0).ecx & CPUID_1_ECX_HYPERVISOR))
		return 0;
	r = cpuid_count(NV_CPUID_VENDOR_LEAF, 0);
	return r.ebx == NV_CPUID_SIG_EBX && r.ecx == NV_CPUID_SIG_ECX &&
	       r.edx == NV_CPUID_SIG_EDX;
}

void nv_vendor_leaf_sig(char out[13])
{
	struct cpuid_regs r = cpuid_count(NV_CPUID_VENDOR_LEAF, 0);

	regs_to_text(r.ebx, r.ecx, r.edx, out);
}

void cpu_vendor(char out[13])
{
	struct cpuid_regs r = cpuid_count(0, 0);

	regs_to_text(r.ebx, r.edx, r.ecx, out);
}
