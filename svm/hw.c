// SPDX-License-Identifier: MIT
/*
 * svm/hw.h on the CPU.  The local APIC: xAPIC (MMIO at APIC_BASE, which
 * the host page table maps one to one) or x2APIC (MSRs 800h-8FFh), as L1
 * left it; Intel SDM Vol. 3 §11.6 and AMD APM Vol. 2 §16.5 for the ICR.
 */
#include "svm/hw.h"

#include "core/host_env.h"
#include "core/x86.h"

#define MSR_APIC_BASE      0x1bu
#define APIC_BASE_X2APIC   (1ull << 10)
#define APIC_BASE_ADDR     0xffffff000ull
#define X2APIC_MSR_ID      0x802u
#define X2APIC_MSR_ICR     0x830u
#define XAPIC_ID           0x020u
#define XAPIC_ICR_LO       0x300u
#define XAPIC_ICR_HI       0x310u
#define ICR_DELIVERY_NMI   (4u << 8)
#define ICR_SEND_PENDING   (1u << 12)

void hw_invlpga(uint64_t va, uint32_t asid)
{
	__asm__ volatile("invlpga %%rax, %%ecx" ::"a"(va), "c"(asid)
			 : "memory");
}

/* The xAPIC's ICR high half is L1's register too: it is put back. */
void hw_self_nmi(void)
{
	uint64_t base = rdmsr(MSR_APIC_BASE);

	if (base & APIC_BASE_X2APIC) {
		uint64_t id = rdmsr(X2APIC_MSR_ID);

		wrmsr(X2APIC_MSR_ICR, (id << 32) | ICR_DELIVERY_NMI);
	} else {
		volatile uint32_t *apic =
			(volatile uint32_t *)(base & APIC_BASE_ADDR);
		uint32_t hi = apic[XAPIC_ICR_HI / 4];

		apic[XAPIC_ICR_HI / 4] = apic[XAPIC_ID / 4] & 0xff000000u;
		apic[XAPIC_ICR_LO / 4] = ICR_DELIVERY_NMI;
		for (unsigned i = 0; i < 100000 &&
		     (apic[XAPIC_ICR_LO / 4] & ICR_SEND_PENDING); i++)
			__asm__ volatile("pause");
		apic[XAPIC_ICR_HI / 4] = hi;
	}
}

/* core/idt.S counts the NMIs host mode takes. */
bool hw_collect_nmi(void)
{
	uint64_t before = host_nmi_count;

	for (unsigned i = 0; i < 1000 && host_nmi_count == before; i++)
		__asm__ volatile("stgi; pause; clgi" ::: "memory");
	return host_nmi_count != before;
}
