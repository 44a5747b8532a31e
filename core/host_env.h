/* SPDX-License-Identifier: MIT */
/* The host's own GDT, TSS and IDT: nothing of the guest's is used in host
 * mode.  APM Vol. 2 §4.8 (long-mode segment descriptors), §12.2.5 (TSS),
 * §8.9 (IDT gate descriptors). */
#ifndef NV_CORE_HOST_ENV_H
#define NV_CORE_HOST_ENV_H

#include <stdint.h>

#define HOST_CS  0x08
#define HOST_DS  0x10
#define HOST_TSS 0x18

struct trap_frame {
	uint64_t r15, r14, r13, r12, r11, r10, r9, r8;
	uint64_t rbp, rdi, rsi, rdx, rcx, rbx, rax;
	uint64_t vector, error_code;
	uint64_t rip, cs, rflags, rsp, ss;
};

/* Loads the host GDT (reloading CS/DS/ES/SS), TR and IDT.  ist_top is the
 * top of the stack used for #NMI, #DF and #MC. */
void host_env_load(uint64_t ist_top);

/* NMIs host mode has taken (core/idt.S): only inside the GIF window that
 * svm/nested_gif.c opens to collect a pending NMI. */
extern volatile uint64_t host_nmi_count;

/* Called from core/idt.S; never returns. */
void host_trap(struct trap_frame *f);

#endif
