/* SPDX-License-Identifier: MIT */
/*
 * void svm_run_loop(struct cpu *cpu)   -- never returns, cpu in RDI
 *
 * The world switch, on the host stack, with GIF clear throughout host mode.
 *  0. svm_prepare_entry(cpu) (svm/smp.c): act on what other CPUs asked
 *     (INIT, SIPI, TLB flush) and deliver a held NMI, with GIF clear, so
 *     that nothing sent meanwhile is lost: it is either seen here or
 *     makes the VMRUN below exit at once (a kick NMI); last, for
 *     vmcb02, set the host's IF (below).
 *  1. Load the guest's GPRs (all but RAX and RSP, which VMRUN takes from
 *     the VMCB).
 *  2. VMLOAD the current VMCB -- vmcb01 for L1, vmcb02 for L2 -- (FS, GS,
 *     TR, LDTR, KernelGsBase, STAR..., SYSENTER), VMRUN it, and on #VMEXIT
 *     VMSAVE it to keep what VMLOAD loaded.
 *     #VMEXIT restores RAX (= the VMCB's address), RSP and the host segments.
 *     The host's RFLAGS.IF at VMRUN decides, for a guest running with
 *     V_INTR_MASKING, whether physical interrupts exit (APM Vol. 2
 *     §15.21.1).  nestvisor keeps IF clear, except for vmcb02 where it
 *     stands for L1's IF at its VMRUN (cur_host_if, set by
 *     svm_prepare_entry()).  GIF stays clear in host mode, so host mode
 *     never takes an interrupt either way; IF set for such a VMRUN is
 *     cleared first thing after its exit, by svm/exit.c (exits of vmcb01
 *     come back with IF clear).
 *  3. Store the guest's GPRs and clear them from the registers, VMLOAD the
 *     host's hidden state (TR for the IST stacks), call
 *     svm_handle_exit(cpu), and go round again.
 */
#include "svm/asm-offsets.h"

	.text
	.globl svm_run_loop
	.type svm_run_loop, @function
svm_run_loop:
	andq	$-16, %rsp
	pushq	%rdi
	pushq	%rdi		/* (%rsp) = cpu; keeps 16-byte alignment */
	clgi
1:	call	svm_prepare_entry	/* returns cpu; sets IF for vmcb02 */
	movq	GREGS_RBX(%rax), %rbx
	movq	GREGS_RCX(%rax), %rcx
	movq	GREGS_RDX(%rax), %rdx
	movq	GREGS_RSI(%rax), %rsi
	movq	GREGS_RDI(%rax), %rdi
	movq	GREGS_RBP(%rax), %rbp
	movq	GREGS_R8(%rax), %r8
	movq	GREGS_R9(%rax), %r9
	movq	GREGS_R10(%rax), %r10
	movq	GREGS_R11(%rax), %r11
	movq	GREGS_R12(%rax), %r12
	movq	GREGS_R13(%rax), %r13
	movq	GREGS_R14(%rax), %r14
	movq	GREGS_R15(%rax), %r15
	movq	CPU_CUR_VMCB_PA(%rax), %rax
	vmload	%rax
	/* svm/exit.c: a VMCB whose RIP is one of these holds host state */
	.globl svm_vmrun_insn, svm_after_vmrun
svm_vmrun_insn:
	vmrun	%rax
svm_after_vmrun:
	vmsave	%rax
	movq	(%rsp), %rax
	movq	%rbx, GREGS_RBX(%rax)
	movq	%rcx, GREGS_RCX(%rax)
	movq	%rdx, GREGS_RDX(%rax)
	movq	%rsi, GREGS_RSI(%rax)
	movq	%rdi, GREGS_RDI(%rax)
	movq	%rbp, GREGS_RBP(%rax)
	movq	%r8, GREGS_R8(%rax)
	movq	%r9, GREGS_R9(%rax)
	movq	%r10, GREGS_R10(%rax)
	movq	%r11, GREGS_R11(%rax)
	movq	%r12, GREGS_R12(%rax)
	movq	%r13, GREGS_R13(%rax)
	movq	%r14, GREGS_R14(%rax)
	movq	%r15, GREGS_R15(%rax)
	/* The guest's values are saved: clear them from the registers so
	 * that host code cannot use them, even speculatively (as KVM's
	 * vmenter.S does).  32-bit XORs zero the whole register.  RAX holds
	 * the cpu pointer and RDI gets it next. */
	xorl	%ebx, %ebx
	xorl	%ecx, %ecx
	xorl	%edx, %edx
	xorl	%esi, %esi
	xorl	%ebp, %ebp
	xorl	%r8d, %r8d
	xorl	%r9d, %r9d
	xorl	%r10d, %r10d
	xorl	%r11d, %r11d
	xorl	%r12d, %r12d
	xorl	%r13d, %r13d
	xorl	%r14d, %r14d
	xorl	%r15d, %r15d
	movq	%rax, %rdi
	movq	CPU_HOST_VMCB_PA(%rdi), %rax
	vmload	%rax
	call	*CPU_EXIT_FN(%rdi)	/* svm_handle_exit(cpu) (svm/exit.c) */
	movq	(%rsp), %rdi
	jmp	1b
	.size svm_run_loop, . - svm_run_loop

	.section .note.GNU-stack, "", @progbits
