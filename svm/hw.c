// SPDX-License-Identifier: MIT
/*
 * svm/hw.h on the CPU.  (Kicks, NMIs to other CPUs, go through the local
 * APIC in svm/apic.c.)
 */
#include "svm/hw.h"

#include "core/host_env.h"

void hw_invlpga(uint64_t va, uint32_t asid)
{
	__asm__ volatile("invlpga %%rax, %%ecx" ::"a"(va), "c"(asid)
			 : "memory");
}

/* core/idt.S counts the NMIs host mode takes. */
bool hw_collect_nmi(void)
{
	uint64_t before = host_nmi_count;

	for (unsigned i = 0; i < 1000 && host_nmi_count == before; i++)
		__asm__ volatile("stgi; pause; clgi" ::: "memory");
	return host_nmi_count != before;
}
