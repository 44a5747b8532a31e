/* SPDX-License-Identifier: MIT */
/*
 * x86 helpers for the in-guest test payloads: CPUID, port I/O, descriptor
 * tables, interrupt flag.  MSR accesses and VMMCALL live in trap.h, because
 * a test must be able to survive the #GP/#UD they may raise.
 */
#ifndef NV_GUEST_X86_H
#define NV_GUEST_X86_H

#include <stdint.h>

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid(uint32_t leaf, uint32_t subleaf)
{
	struct cpuid_regs r;

	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(subleaf));
	return r;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" : : "a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;

	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" : : "a"(v), "Nd"(port));
}

/* Pseudo-descriptor loaded by LIDT/LGDT (AMD APM vol. 2, 4.6.2). */
struct __attribute__((packed)) desc_ptr {
	uint16_t limit;
	uint64_t base;
};
_Static_assert(sizeof(struct desc_ptr) == 10, "desc_ptr is 10 bytes");

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

static inline uint64_t read_cr2(void)
{
	uint64_t v;

	__asm__ volatile("mov %%cr2, %0" : "=r"(v));
	return v;
}

#define X86_RFLAGS_IF (1ul << 9)

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

static inline void __attribute__((noreturn)) halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* Architectural MSR numbers and bits used by the tests (AMD APM vol. 2). */
#define MSR_EFER         0xc0000080u /* 3.1.7 Extended Feature Enable Register */
#define EFER_SVME        (1ull << 12)
#define MSR_VM_CR        0xc0010114u /* 15.30.1 VM_CR */
#define VM_CR_SVMDIS     (1ull << 4)
#define MSR_VM_HSAVE_PA  0xc0010117u /* 15.30.4 VM_HSAVE_PA */

/* CPUID bits (AMD APM vol. 3, appendix E). */
#define CPUID_1_ECX_HYPERVISOR    (1u << 31)
#define CPUID_80000001_ECX_SVM    (1u << 2)

#endif
