// SPDX-License-Identifier: MIT
/*
 * Offsets of C structures for assembly.  Compiled to assembly only; each
 * DEFINE leaves a line "->NAME value" that svm/gen-asm-offsets.py turns
 * into asm-offsets.h.
 */
#include <stddef.h>

#include "core/err.h"
#include "svm/vcpu.h"

#define DEFINE(sym, val) \
	__asm__ volatile("\n.ascii \"->" #sym " %c0\"" ::"i"(val))
#define OFF(sym, type, field) DEFINE(sym, offsetof(type, field))

void asm_offsets(void);
void asm_offsets(void)
{
	OFF(GREGS_RBX, struct guest_regs, rbx);
	OFF(GREGS_RCX, struct guest_regs, rcx);
	OFF(GREGS_RDX, struct guest_regs, rdx);
	OFF(GREGS_RSI, struct guest_regs, rsi);
	OFF(GREGS_RDI, struct guest_regs, rdi);
	OFF(GREGS_RBP, struct guest_regs, rbp);
	OFF(GREGS_R8, struct guest_regs, r8);
	OFF(GREGS_R9, struct guest_regs, r9);
	OFF(GREGS_R10, struct guest_regs, r10);
	OFF(GREGS_R11, struct guest_regs, r11);
	OFF(GREGS_R12, struct guest_regs, r12);
	OFF(GREGS_R13, struct guest_regs, r13);
	OFF(GREGS_R14, struct guest_regs, r14);
	OFF(GREGS_R15, struct guest_regs, r15);
	OFF(CPU_GREGS, struct cpu, gregs);
	OFF(CPU_CUR_VMCB_PA, struct cpu, cur_pa);
	OFF(CPU_EXIT_FN, struct cpu, exit_fn);
	OFF(CPU_HOST_VMCB_PA, struct cpu, host_vmcb_pa);
	OFF(CPU_HOST_RSP, struct cpu, host_rsp);
	OFF(LF_RBX, struct launch_frame, rbx);
	OFF(LF_RBP, struct launch_frame, rbp);
	OFF(LF_R12, struct launch_frame, r12);
	OFF(LF_R13, struct launch_frame, r13);
	OFF(LF_R14, struct launch_frame, r14);
	OFF(LF_R15, struct launch_frame, r15);
	OFF(LF_RSP, struct launch_frame, rsp);
	OFF(LF_RIP, struct launch_frame, rip);
	OFF(LF_RFLAGS, struct launch_frame, rflags);
	DEFINE(LF_SIZE, sizeof(struct launch_frame));
	DEFINE(NEG_NV_ENOMEM, -NV_ENOMEM);
}
