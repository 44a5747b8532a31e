/* SPDX-License-Identifier: MIT */
/*
 * x86 helpers for the in-guest test payloads beyond core/x86.h: descriptor
 * tables, interrupt flag.  MSR accesses and VMMCALL live in trap.h, because
 * a test must be able to survive the #GP/#UD they may raise.
 */
#ifndef NV_GUEST_X86_H
#define NV_GUEST_X86_H

#include <stdint.h>

/* CPUID, port I/O, CR2 and MSRs: nestvisor's own wrappers. */
#include "core/desc.h"
#include "core/x86.h"

static inline struct desc_ptr sidt(void)
{
	struct desc_ptr d;

	__asm__ volatile("sidt %0" : "=m"(d));
	return d;
}

static inline void lidt(const struct desc_ptr *d)
{
	__asm__ volatile("lidt %0" : : "m"(*d) : "memory");
}

static inline uint16_t read_cs(void)
{
	uint16_t cs;

	__asm__ volatile("mov %%cs, %0" : "=r"(cs));
	return cs;
}


/* Disable interrupts; returns the previous RFLAGS for irq_restore(). */
static inline uint64_t irq_save(void)
{
	uint64_t flags;

	__asm__ volatile("pushfq; popq %0; cli" : "=r"(flags) : : "memory");
	return flags;
}

static inline void irq_restore(uint64_t flags)
{
	if (flags & X86_RFLAGS_IF)
		__asm__ volatile("sti" : : : "memory");
}

/* CPUID bits (AMD APM vol. 3, appendix E). */
#define CPUID_1_ECX_HYPERVISOR    (1u << 31)
#define CPUID_80000001_ECX_SVM    (1u << 2)

#endif
