/* SPDX-License-Identifier: MIT */
/*
 * int hv_launch(struct launch_params *params)
 *
 * The take-over of the CPU that calls it.  Called by the UEFI side of
 * nestvisor (boot/main.c, boot/mp.c) in the relocated copy of the image
 * that lives in hypervisor memory, once on every CPU.
 *  1. Build the launch frame on the caller's stack, below its return
 *     address: the caller's callee-saved registers, its stack pointer
 *     after the return, the return address and RFLAGS.  That is where the
 *     firmware carries on, as L1.
 *  2. cli, then hv_setup(params, frame) builds this CPU's host environment
 *     and vmcb01 from the live CPU state (or parks the CPU: no return).
 *     On failure it has changed nothing: restore RFLAGS and return -NV_ENOMEM
 *     to the caller, unvirtualized.
 *  3. On success switch to this CPU's host stack and enter the VMRUN loop,
 *     which never returns here.  The first VMRUN resumes the caller at its
 *     return address with RAX = 0: from its point of view hv_launch
 *     returned 0.
 *
 * void park_on_stack(uint64_t stack_top): a parked CPU's last stop (RSP
 * there, then cli; hlt for good; an NMI returns to the hlt).
 */
#include "svm/asm-offsets.h"

	.text
	.globl hv_launch
	.type hv_launch, @function
hv_launch:
	movq	(%rsp), %rcx		/* return address */
	leaq	8(%rsp), %rdx		/* the caller's RSP after the return */
	pushfq
	popq	%rax
	subq	$LF_SIZE, %rsp
	andq	$-16, %rsp
	movq	%rbx, LF_RBX(%rsp)
	movq	%rbp, LF_RBP(%rsp)
	movq	%r12, LF_R12(%rsp)
	movq	%r13, LF_R13(%rsp)
	movq	%r14, LF_R14(%rsp)
	movq	%r15, LF_R15(%rsp)
	movq	%rcx, LF_RIP(%rsp)
	movq	%rdx, LF_RSP(%rsp)
	movq	%rax, LF_RFLAGS(%rsp)
	cli
	movq	%rsp, %rsi
	call	hv_setup
	testq	%rax, %rax
	jz	1f
	movq	CPU_HOST_RSP(%rax), %rsp
	movq	%rax, %rdi
	jmp	svm_run_loop
1:	movq	%rsp, %rcx
	pushq	LF_RFLAGS(%rcx)
	popfq
	movq	LF_RSP(%rcx), %rsp
	movq	$NEG_NV_ENOMEM, %rax
	jmp	*LF_RIP(%rcx)
	.size hv_launch, . - hv_launch

	.globl park_on_stack
	.type park_on_stack, @function
park_on_stack:
	movq	%rdi, %rsp
2:	cli
	hlt
	jmp	2b
	.size park_on_stack, . - park_on_stack

	.section .note.GNU-stack, "", @progbits
