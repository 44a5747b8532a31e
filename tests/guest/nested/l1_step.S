/* SPDX-License-Identifier: MIT */
/*
 * L1 snippets for the single-step cases (cases_step.c): each sets
 * RFLAGS.TF with POPF, runs one instruction that nestvisor intercepts,
 * then clears TF again.  The instruction after the POPF that sets TF is
 * the first one traced (AMD APM Vol. 2 §13.1.4): its #DB trap pushes the
 * RIP of the *_next label.  L1's #DB handler records every trap
 * (nested_env.c).
 */
	.text

#include "l1_sym.h"

	.macro TF_ON
	pushfq
	orq	$0x100, (%rsp)
	popfq
	.endm

	.macro TF_OFF
	pushfq
	andq	$~0x100, (%rsp)
	popfq
	.endm

/* CPUID (leaf 0), then a NOP. */
L1SYM l1_step_cpuid
	pushq	%rbx
	xorl	%eax, %eax
	xorl	%ecx, %ecx
	TF_ON
	cpuid
L1SYM l1_step_cpuid_next
	nop
L1SYM l1_step_cpuid_next2
	TF_OFF
	popq	%rbx
	ret

/* RDMSR of EFER. */
L1SYM l1_step_rdmsr
	movl	$0xc0000080, %ecx
	TF_ON
	rdmsr
L1SYM l1_step_rdmsr_next
	TF_OFF
	ret

/* IN from port 0xf5, one of the ports nestvisor intercepts for itself
 * (QEMU's isa-debug-exit, docs/architecture.md); a read has no effect. */
L1SYM l1_step_in
	TF_ON
	inb	$0xf5, %al
L1SYM l1_step_in_next
	TF_OFF
	ret

/* STGI (GIF is already set: no effect but the trap). */
L1SYM l1_step_stgi
	TF_ON
	stgi
L1SYM l1_step_stgi_next
	TF_OFF
	ret

/* void l1_step_vmrun(uint64_t vmcb_pa): VMRUN of an L2 that exits at
 * once; the trap comes after the #VMEXIT, at the next instruction. */
L1SYM l1_step_vmrun
	pushq	%rbx
	pushq	%rbp
	movq	%rdi, %rax
	TF_ON
	vmrun	%rax
L1SYM l1_step_vmrun_next
	TF_OFF
	popq	%rbp
	popq	%rbx
	ret

	.section .note.GNU-stack, "", @progbits
