/* SPDX-License-Identifier: MIT */
/* The host's own GDT, TSS and IDT: nothing of the guest's is used in host
 * mode.  APM Vol. 2 §4.8 (long-mode segment descriptors), §12.2.5 (TSS),
 * §8.9 (IDT gate descriptors). */
#ifndef NV_CORE_HOST_ENV_H
#define NV_CORE_HOST_ENV_H

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
struct host_desc {
	uint64_t gdt[5] __attribute__((aligned(16)));
	struct tss64 tss;
};

/* Loads this CPU's host GDT (reloading CS/DS/ES/SS), TR and the shared
 * IDT.  ist_top (16-byte aligned) is the top of this CPU's stack for NMI,
 * #DF and #MC; the 8 bytes at ist_top, just above the frames pushed there,
 * count the NMIs this CPU took in host mode (core/idt.S): only inside the
 * GIF windows that svm/nmi.c (to collect a pending NMI) and svm/smi.c
 * open, or on a parked CPU. */
void host_env_load(struct host_desc *d, uint64_t ist_top);

/* Called from core/idt.S: a #GP of core/msr_safe.S is resumed at its
 * fault label (returns); anything else is a panic (never returns). */
void host_trap(struct trap_frame *f);

#endif
