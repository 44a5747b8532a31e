/* SPDX-License-Identifier: MIT */
/*
 * Thin wrappers around x86 instructions nestvisor executes itself in host
 * mode.  Nothing here touches guest state.
 */
#ifndef NV_CORE_X86_H
#define NV_CORE_X86_H

#include <stdint.h>

#include "mm/err.h"
#include "mm/x86_regs.h"

struct cpuid_regs {
	uint32_t eax, ebx, ecx, edx;
};

static inline struct cpuid_regs cpuid_count(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs r;
	__asm__ volatile("cpuid"
			 : "=a"(r.eax), "=b"(r.ebx), "=c"(r.ecx), "=d"(r.edx)
			 : "a"(leaf), "c"(sub));
	return r;
}

static inline struct cpuid_regs cpuid(uint32_t leaf)
{
	return cpuid_count(leaf, 0);
}

/* The same into 64-bit values, for code that stores them into a guest's
 * 64-bit registers: CPUID writes the 32-bit registers, which zero-extends
 * them, so no further extension is needed. */
struct cpuid_regs64 {
	uint64_t rax, rbx, rcx, rdx;
};

static inline struct cpuid_regs64 cpuid_count64(uint32_t leaf, uint32_t sub)
{
	struct cpuid_regs64 r;
	__asm__ volatile("cpuid"
			 : "=a"(r.rax), "=b"(r.rbx), "=c"(r.rcx), "=d"(r.rdx)
			 : "a"(leaf), "c"(sub));
	return r;
}

static inline uint64_t rdmsr(uint32_t msr)
{
	uint32_t lo, hi;
	__asm__ volatile("rdmsr" : "=a"(lo), "=d"(hi) : "c"(msr));
	return ((uint64_t)hi << 32) | lo;
}

/* RDMSR/WRMSR that return -NV_EINVAL where the CPU raises #GP (an MSR
 * or value it refuses) instead of taking #GP in host mode: for MSRs a
 * guest names (core/msr_safe.S).  0 on success. */
int rdmsr_safe(uint32_t msr, uint64_t *val);
int wrmsr_safe(uint32_t msr, uint64_t val);
_Static_assert(NV_EINVAL == 2, "core/msr_safe.S returns -2 for -NV_EINVAL");

static inline void wrmsr(uint32_t msr, uint64_t val)
{
	__asm__ volatile("wrmsr" ::"c"(msr), "a"((uint32_t)val),
			 "d"((uint32_t)(val >> 32))
			 : "memory");
}

static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

#define DEFINE_READ_CR(n)                                              \
	static inline uint64_t read_cr##n(void)                        \
	{                                                              \
		uint64_t v;                                            \
		__asm__ volatile("mov %%cr" #n ", %0" : "=r"(v));      \
		return v;                                              \
	}
#define DEFINE_WRITE_CR(n)                                             \
	static inline void write_cr##n(uint64_t v)                     \
	{                                                              \
		__asm__ volatile("mov %0, %%cr" #n ::"r"(v) : "memory"); \
	}
DEFINE_READ_CR(0)
DEFINE_READ_CR(2)
DEFINE_READ_CR(3)
DEFINE_READ_CR(4)
DEFINE_WRITE_CR(0)
DEFINE_WRITE_CR(3)
DEFINE_WRITE_CR(4)

static inline uint64_t read_dr7(void)
{
	uint64_t v;
	__asm__ volatile("mov %%dr7, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_dr6(void)
{
	uint64_t v;
	__asm__ volatile("mov %%dr6, %0" : "=r"(v));
	return v;
}

static inline uint64_t read_rflags(void)
{
	uint64_t v;
	__asm__ volatile("pushfq; popq %0" : "=r"(v));
	return v;
}

static inline void outb(uint16_t port, uint8_t v)
{
	__asm__ volatile("outb %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint8_t inb(uint16_t port)
{
	uint8_t v;
	__asm__ volatile("inb %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void outl(uint16_t port, uint32_t v)
{
	__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

static inline uint32_t inl(uint16_t port)
{
	uint32_t v;
	__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void cli(void) { __asm__ volatile("cli" ::: "memory"); }
static inline __attribute__((noreturn)) void halt_forever(void)
{
	for (;;)
		__asm__ volatile("cli; hlt");
}

/* DR6 (APM Vol. 2 §13.1.1.3): BS, the single-step trap's status bit. */
#define X86_DR6_BS (1ull << 14)

/* Exception vectors, APM Vol. 2 §8.2 (Table 8-1).  The numbers missing are
 * reserved on AMD CPUs. */
enum x86_vector {
	X86_VEC_DE = 0,  /* divide by zero */
	X86_VEC_DB = 1,  /* debug */
	X86_VEC_NMI = 2, /* non-maskable interrupt (not an exception) */
	X86_VEC_BP = 3,  /* breakpoint */
	X86_VEC_OF = 4,  /* overflow */
	X86_VEC_BR = 5,  /* bound range */
	X86_VEC_UD = 6,  /* invalid opcode */
	X86_VEC_NM = 7,  /* device not available */
	X86_VEC_DF = 8,  /* double fault */
	X86_VEC_TS = 10, /* invalid TSS */
	X86_VEC_NP = 11, /* segment not present */
	X86_VEC_SS = 12, /* stack */
	X86_VEC_GP = 13, /* general protection */
	X86_VEC_PF = 14, /* page fault */
	X86_VEC_MF = 16, /* x87 floating-point */
	X86_VEC_AC = 17, /* alignment check */
	X86_VEC_MC = 18, /* machine check */
	X86_VEC_XF = 19, /* SIMD floating-point */
	X86_VEC_CP = 21, /* control protection */
	X86_VEC_HV = 28, /* hypervisor injection */
	X86_VEC_VC = 29, /* VMM communication */
	X86_VEC_SX = 30, /* security */
	X86_NR_EXCEPTION_VECTORS = 32,
};

/* MSRs nestvisor reads, writes or virtualizes. APM Vol. 2 Appendix A. */
#define MSR_EFER          0xc0000080u
#define MSR_STAR          0xc0000081u
#define MSR_FS_BASE       0xc0000100u
#define MSR_GS_BASE       0xc0000101u
#define MSR_KERNEL_GS_BASE 0xc0000102u
#define MSR_PAT           0x00000277u
#define MSR_SYSCFG        0xc0010010u
#define MSR_VM_CR         0xc0010114u
#define MSR_VM_HSAVE_PA   0xc0010117u

/* PAT memory-type encodings (APM Vol. 2 §7.8.1); 2, 3 and 8-255 are
 * reserved. */
#define PAT_UC         0u
#define PAT_WC         1u
#define PAT_WT         4u
#define PAT_WP         5u
#define PAT_WB         6u
#define PAT_UC_MINUS   7u

#define VM_CR_LOCK    (1ull << 3)
#define VM_CR_SVMDIS  (1ull << 4)

#endif
