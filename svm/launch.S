/* SPDX-License-Identifier: MIT */
/*
 * int hv_launch(const struct launch_params *params)
 *
 * The take-over.  Called by the UEFI side of nestvisor (boot/main.c) in the
 * relocated copy of the image that lives in hypervisor memory.
 *  1. Record the caller's callee-saved registers, its stack pointer after
 *     the return, the return address and RFLAGS in launch_frame: that is
 *     where the firmware carries on, as L1.
 *  2. cli, then hv_setup(params, &launch_frame) builds the host environment
 *     and vmcb01 from the live CPU state.  On failure it has changed nothing:
 *     restore RFLAGS and return -NV_ENOMEM to the caller, unvirtualized.
 *  3. On success switch to the host stack and enter the VMRUN loop, which
 *     never returns here.  The first VMRUN resumes the caller at its return
 *     address with RAX = 0: from its point of view hv_launch returned 0.
 */
#include "svm/asm-offsets.h"

	.text
	.globl hv_launch
	.type hv_launch, @function
hv_launch:
	leaq	launch_frame(%rip), %rax
	movq	%rbx, LF_RBX(%rax)
	movq	%rbp, LF_RBP(%rax)
	movq	%r12, LF_R12(%rax)
	movq	%r13, LF_R13(%rax)
	movq	%r14, LF_R14(%rax)
	movq	%r15, LF_R15(%rax)
	movq	(%rsp), %rcx
	movq	%rcx, LF_RIP(%rax)
	leaq	8(%rsp), %rcx
	movq	%rcx, LF_RSP(%rax)
	pushfq
	popq	%rcx
	movq	%rcx, LF_RFLAGS(%rax)
	cli
	movq	%rax, %rsi
	call	hv_setup
	testq	%rax, %rax
	jz	1f
	movq	CPU_HOST_RSP(%rax), %rsp
	movq	%rax, %rdi
	jmp	svm_run_loop
1:	leaq	launch_frame(%rip), %rcx
	pushq	LF_RFLAGS(%rcx)
	popfq
	movq	$NEG_NV_ENOMEM, %rax
	ret
	.size hv_launch, . - hv_launch

	.bss
	.balign 16
	.globl launch_frame
launch_frame:
	.skip	LF_SIZE

	.section .note.GNU-stack, "", @progbits
