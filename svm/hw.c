// SPDX-License-Identifier: MIT
/*
 * svm/hw.h on the CPU.  (Kicks, NMIs to other CPUs, go through the local
 * APIC in svm/apic.c.)
 */
#include "svm/hw.h"

#include "core/host_env.h"
#include "core/x86.h"

void hw_invlpga(uint64_t va, uint32_t asid)
{
	__asm__ volatile("invlpga %%rax, %%ecx" ::"a"(va), "c"(asid)
			 : "memory");
}

void hw_wbinvd(void)
{
	__asm__ volatile("wbinvd" ::: "memory");
}

uint64_t hw_read_cr4(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr4, %0" : "=r"(v));
	return v;
}

void hw_write_cr4(uint64_t val)
{
	__asm__ volatile("mov %0, %%cr4" ::"r"(val) : "memory");
}

/* core/idt.S counts the NMIs this CPU takes in host mode. */
bool hw_collect_nmi(volatile uint64_t *count)
{
	uint64_t before = *count;

	for (unsigned i = 0; i < 1000 && *count == before; i++)
		__asm__ volatile("stgi; pause; clgi" ::: "memory");
	return *count != before;
}

uint8_t hw_inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

void hw_outb(uint16_t port, uint8_t val)
{
	__asm__ volatile("outb %0, %1" ::"a"(val), "Nd"(port));
}

uint64_t hw_rdmsr(uint32_t msr)
{
	return rdmsr(msr);
}

void hw_wrmsr(uint32_t msr, uint64_t val)
{
	wrmsr(msr, val);
}

int hw_wrmsr_safe(uint32_t msr, uint64_t val)
{
	return wrmsr_safe(msr, val);
}

struct cpuid_regs hw_cpuid(uint32_t leaf)
{
	return cpuid(leaf);
}

volatile void *hw_apic_mmio(uint64_t pa)
{
	return (volatile void *)(uintptr_t)pa;
}
