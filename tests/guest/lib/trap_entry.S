/* SPDX-License-Identifier: MIT */
/*
 * Entry stubs for the exception catcher (trap.c).  The CPU pushes SS, RSP,
 * RFLAGS, CS, RIP and, for #GP and #PF, an error code (AMD APM vol. 2,
 * 8.9 "Long-Mode Interrupt Control Transfers"); each stub makes the frame
 * uniform (dummy error code for #UD), pushes its vector and the
 * caller-saved registers, and calls trap_dispatch(frame).  The 16-byte
 * stack alignment the CPU establishes is kept: 16 qwords are pushed in
 * total before the call.
 */
	.text

	.macro TRAP_STUB vec, has_error
	.globl trap_stub_\vec
	.hidden trap_stub_\vec
trap_stub_\vec:
	.if \has_error == 0
	pushq $0
	.endif
	pushq $\vec
	jmp trap_common
	.endm

	TRAP_STUB 6, 0
	TRAP_STUB 13, 1
	TRAP_STUB 14, 1

trap_common:
	pushq %rax
	pushq %rcx
	pushq %rdx
	pushq %rsi
	pushq %rdi
	pushq %r8
	pushq %r9
	pushq %r10
	pushq %r11
	cld
	movq %rsp, %rdi
	call trap_dispatch
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp		/* vector and error code */
	iretq

	.section .note.GNU-stack, "", @progbits
