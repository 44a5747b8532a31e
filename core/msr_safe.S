/* SPDX-License-Identifier: MIT */
/*
 * int rdmsr_safe(uint32_t msr, uint64_t *val)
 * int wrmsr_safe(uint32_t msr, uint64_t val)
 *
 * RDMSR and WRMSR that nestvisor performs for a guest, whose MSR number or
 * value the CPU may refuse with #GP (APM Vol. 3 RDMSR/WRMSR).  Each
 * instruction sits at a label that core/host_env.c's host_trap() knows: a
 * #GP there resumes at the matching *_fault label instead of panicking,
 * and the function returns -NV_EINVAL (-2, asserted in core/x86.h);
 * otherwise 0.
 */

	.text
	.globl rdmsr_safe, wrmsr_safe
	.globl rdmsr_safe_insn, rdmsr_safe_fault, wrmsr_safe_insn, wrmsr_safe_fault
rdmsr_safe:
	movl	%edi, %ecx
rdmsr_safe_insn:
	rdmsr
	shlq	$32, %rdx
	orq	%rdx, %rax
	movq	%rax, (%rsi)
	xorl	%eax, %eax
	ret
rdmsr_safe_fault:
	movl	$-2, %eax
	ret

wrmsr_safe:
	movl	%edi, %ecx
	movq	%rsi, %rax
	movq	%rsi, %rdx
	shrq	$32, %rdx
wrmsr_safe_insn:
	wrmsr
	xorl	%eax, %eax
	ret
wrmsr_safe_fault:
	movl	$-2, %eax
	ret

	.section .note.GNU-stack, "", @progbits
