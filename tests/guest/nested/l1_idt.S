/* SPDX-License-Identifier: MIT */
/*
 * L1's interrupt entry stubs: one per vector (0..255), each 16 bytes
 * apart, so that the IDT builder computes stub i as l1_idt_stubs + 16 * i.
 * Each stub pushes a dummy error code where the CPU pushes none (AMD APM
 * Vol. 2 §8.2, vectors 8, 10-14, 17, 21, 29, 30 have one) and its vector,
 * then the common path saves the caller-saved registers and calls
 * l1_idt_dispatch(frame).  16 qwords are pushed before the call, keeping
 * the CPU's 16-byte stack alignment.
 */
	.text
	.p2align 4
	.globl l1_idt_stubs
	.hidden l1_idt_stubs
l1_idt_stubs:
	vec = 0
	.rept 256
	.p2align 4
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	pushq $vec
	.else
	pushq $0
	pushq $vec
	.endif
	jmp l1_idt_common
	vec = vec + 1
	.endr

l1_idt_common:
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
	call l1_idt_dispatch
	popq %r11
	popq %r10
	popq %r9
	popq %r8
	popq %rdi
	popq %rsi
	popq %rdx
	popq %rcx
	popq %rax
	addq $16, %rsp
	iretq

	.section .note.GNU-stack, "", @progbits
