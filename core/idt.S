/* SPDX-License-Identifier: MIT */
/*
 * Host exception entry points (vectors 0-31).  nestvisor takes no
 * exception by design, so every one is a bug: each stub pushes a dummy
 * error code where the CPU pushes none, then the vector, saves the GPRs and
 * calls host_trap(struct trap_frame *), which logs and ends the run --
 * except for a #GP of core/msr_safe.S's RDMSR or WRMSR, which host_trap()
 * resumes at the function's fault label: it returns, and the stub
 * restores the registers and returns from the exception.
 * The NMI (vector 2) is not an exception: host mode takes one only when
 * nestvisor opens its GIF, to collect an NMI that an intercept left
 * pending (svm/nmi.c: another CPU's kick, or an NMI for the guest) or to
 * let a pending SMI in (svm/smi.c), where an NMI pending then arrives
 * too; and a parked CPU may be sent one.  host_trap_2 counts it in the
 * CPU's own count (core/host_env.h: at the top of its NMI stack) and
 * returns.
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
	/* On the IST stack: the 5-word frame is just below its top, and the
	 * word at the top counts this CPU's NMIs (core/host_env.h). */
	lock incq 40(%rsp)
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
	movq	%rsp, %rbx
	andq	$-16, %rsp
	call	host_trap
	movq	%rbx, %rsp
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%r11
	popq	%r10
	popq	%r9
	popq	%r8
	popq	%rbp
	popq	%rdi
	popq	%rsi
	popq	%rdx
	popq	%rcx
	popq	%rbx
	popq	%rax
	addq	$16, %rsp	/* vector, error code */
	iretq

	.data
	.globl host_trap_stubs
host_trap_stubs:
	.irp v, 0,1
	.quad host_trap_\v
	.endr
	.quad host_trap_2
	.irp v, 3,4,5,6,7,8,9,10,11,12,13,14,15,16,17,18,19,20,21,22,23,24,25,26,27,28,29,30,31
	.quad host_trap_\v
	.endr

	.section .note.GNU-stack, "", @progbits
