/* SPDX-License-Identifier: MIT */
/* The host's own GDT, TSS and IDT: nothing of the guest's is used in host
 * mode.  APM Vol. 2 §4.8 (long-mode segment descriptors), §12.2.5 (TSS),
 * §8.9 (IDT gate descriptors). */
#ifndef NV_CORE_HOST_ENV_H
#define NV_CORE_HOST_ENV_H

#include <stdbool.h>
#include <stdint.h>

#include "core/desc.h"

#define HOST_CS  0x08
#define HOST_DS  0x10
#define HOST_TSS 0x18

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* One CPU's GDT (null, code, data, 16-byte TSS descriptor) and TSS. */
struct host_gdt {
	uint64_t null;
	struct seg_desc code, data;
	struct sys_desc tss;
};
_Static_assert(__builtin_offsetof(struct host_gdt, code) == HOST_CS &&
	       __builtin_offsetof(struct host_gdt, data) == HOST_DS &&
	       __builtin_offsetof(struct host_gdt, tss) == HOST_TSS &&
	       sizeof(struct host_gdt) == 40, "the host GDT's selectors");

/* One CPU's host descriptor tables: GDT, TSS and IDT (the 32 exception
 * vectors), allocated with the CPU's other host state (svm/smp.h,
 * struct park_area).  The IDT is per CPU like the rest: each CPU writes
 * only its own when it takes over (CPUs take over concurrently), and no
 * CPU's host mode depends on memory another CPU writes. */
struct host_desc {
	struct host_gdt gdt __attribute__((aligned(16)));
	struct tss64 tss;
	struct idt_gate idt[32] __attribute__((aligned(16)));
};

/* Loads this CPU's host GDT (reloading CS/DS/ES/SS), TR and IDT.  ist_top (16-byte aligned) is the top of this CPU's stack for NMI,
 * #DF and #MC; the 8 bytes at ist_top, just above the frames pushed there,
 * count the NMIs this CPU took in host mode (core/idt.S): only inside the
 * GIF windows that svm/nmi.c (to collect a pending NMI) and svm/smi.c
 * open, or on a parked CPU. */
void host_env_load(struct host_desc *d, uint64_t ist_top);

/*
 * This CPU's control registers for host mode, before it loads the host
 * page table (core/hvmem.c hvmem_host_init()), set explicitly rather than
 * left as the firmware had them: EFER = LME and LMA (long mode, which the
 * CPU is in), NXE where the CPU has NX (the host page table's NX bits are
 * reserved bits without it), SVME where svme, and AIBRSE as it was
 * (automatic IBRS, a protection); nothing else.  host_env_protect(), once
 * the host page table is loaded: CR0.WP, so that nestvisor's code is
 * read-only to itself.
 */
void host_env_efer(bool nx, bool svme);
void host_env_protect(void);

/* Called from core/idt.S: a #GP of core/msr_safe.S is resumed at its
 * fault label (returns); anything else is a panic (never returns). */
void host_trap(struct trap_frame *f);

#endif
