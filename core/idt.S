/* SPDX-License-Identifier: MIT */
/*
 * Host exception entry points (vectors 0-31).  nestvisor takes no
 * exception by design, so every one is a bug: each stub pushes a dummy
 * error code where the CPU pushes none, then the vector, saves the GPRs and
 * calls host_trap(struct trap_frame *), which logs and ends the run.
 * The NMI (vector 2) is not an exception: host mode takes one only when
 * nestvisor opens its GIF to collect an NMI that an intercept left
 * pending (svm/nested_gif.c).  host_nmi counts it and returns.
 */
	.text
.macro STUB vec, has_err
	.globl host_trap_\vec
host_trap_\vec:
	.if \has_err == 0
	pushq	$0
	.endif
	pushq	$\vec
	jmp	host_trap_common
.endm

	STUB 0,0;  STUB 1,0;  STUB 3,0;  STUB 4,0;  STUB 5,0
	STUB 6,0;  STUB 7,0;  STUB 8,1;  STUB 9,0;  STUB 10,1; STUB 11,1
	STUB 12,1; STUB 13,1; STUB 14,1; STUB 15,0; STUB 16,0; STUB 17,1
	STUB 18,0; STUB 19,0; STUB 20,0; STUB 21,1; STUB 22,0; STUB 23,0
	STUB 24,0; STUB 25,0; STUB 26,0; STUB 27,0; STUB 28,0; STUB 29,1
	STUB 30,1; STUB 31,0

	.globl host_trap_2
host_trap_2:
	lock incq host_nmi_count(%rip)
	iretq

host_trap_common:
	pushq	%rax
	pushq	%rbx
	pushq	%rcx
	pushq	%rdx
	pushq	%rsi
	pushq	%rdi
	pushq	%rbp
	pushq	%r8
	pushq	%r9
	pushq	%r10
	pushq	%r11
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	movq	%rsp, %rdi
	andq	$-16, %rsp
	call	host_trap
1:	cli
	hlt
	jmp	1b

	.data
	.balign 8
	.globl host_nmi_count
host_nmi_count:
	.quad 0
	.globl host_trap_stubs
host_trap_stubs:
	.irp v, 0,1,2,3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad host_trap_\v
	.endr

	.section .note.GNU-stack, "", @progbits
