/* SPDX-License-Identifier: MIT */
/*
 * The entry of Linux 6.1's KVM into its guest (__svm_vcpu_run, Debian
 * bookworm's kvm-amd.ko), shaped byte for byte, with the offsets of
 * l1_runahead.h:
 *
 *   mov  VMCB01(%rdi),%rax     48 8B 87 disp32
 *   vmload %rax                0F 01 DA
 *   mov  CUR(%rdi),%rax        48 8B 87 disp32
 *   mov  0x8(%rax),%rax        48 8B 40 08
 *   mov  RCX(%rdi),%rcx ...    13 loads: RCX RDX RBX RBP RSI R8-R15
 *   mov  RDI(%rdi),%rdi        the base register last
 *   jmp  1f                    EB 07, over a VERW that is never run
 *   verw 1f(%rip)              0F 00 2D 00 00 00 00
 * 1: vmrun %rax                0F 01 D8
 *   pop  %rax                  the block pointer pushed before (here: out)
 *   mov  %rcx,RCX(%rax) ...    every GPR but RAX and RSP to its slot
 *
 * void l1_ra_run(const struct ra_vcpu *v, struct ra_vcpu *out) and its
 * variants (l1_runahead.h) save the callee-saved registers, push out, and
 * run the above with RDI = v.  Everything from the VMLOAD to the VMRUN
 * lies in one 512-byte block (.p2align 9), so in one page (checked by
 * the cases).  A case whose catcher (nested.h) stops at a fault resumes
 * at *_fault, which stores RAX as well.
 */
	.text

#include "l1_sym.h"
#include "l1_runahead.h"

	.macro SENT reg, off
	movabsq	$(RA_SENTINEL_BASE + \off), \reg
	.endm

	/* pfx: symbol prefix; sent: load the sentinels; tf: single-step from
	 * before the VMLOAD to the VMRUN; add: M5 (RBX) is ADD, not MOV. */
	.macro RA_BODY pfx, sent, tf, add
	.p2align 9
L1SYM \pfx
	pushq	%rbp
	pushq	%rbx
	pushq	%r12
	pushq	%r13
	pushq	%r14
	pushq	%r15
	pushq	%rsi
	.if \sent
	SENT	%rcx, RA_RCX
	SENT	%rdx, RA_RDX
	SENT	%rbx, RA_RBX
	SENT	%rbp, RA_RBP
	SENT	%rsi, RA_RSI
	SENT	%r8, RA_R8
	SENT	%r9, RA_R9
	SENT	%r10, RA_R10
	SENT	%r11, RA_R11
	SENT	%r12, RA_R12
	SENT	%r13, RA_R13
	SENT	%r14, RA_R14
	SENT	%r15, RA_R15
	.endif
	.if \tf
	pushfq
	orq	$0x100, (%rsp)
	popfq
	.endif
	movq	RA_VMCB01(%rdi), %rax
\pfx\()_vmload:
	vmload	%rax
\pfx\()_m1:
	movq	RA_CUR(%rdi), %rax
\pfx\()_m2:
	movq	RA_INFO_PA(%rax), %rax
\pfx\()_m3:
	movq	RA_RCX(%rdi), %rcx
\pfx\()_m4:
	movq	RA_RDX(%rdi), %rdx
\pfx\()_m5:
	.if \add
	addq	RA_RBX(%rdi), %rbx
	.else
	movq	RA_RBX(%rdi), %rbx
	.endif
\pfx\()_m6:
	movq	RA_RBP(%rdi), %rbp
\pfx\()_m7:
	movq	RA_RSI(%rdi), %rsi
\pfx\()_m8:
	movq	RA_R8(%rdi), %r8
\pfx\()_m9:
	movq	RA_R9(%rdi), %r9
\pfx\()_m10:
	movq	RA_R10(%rdi), %r10
\pfx\()_m11:
	movq	RA_R11(%rdi), %r11
\pfx\()_m12:
	movq	RA_R12(%rdi), %r12
\pfx\()_m13:
	movq	RA_R13(%rdi), %r13
\pfx\()_m14:
	movq	RA_R14(%rdi), %r14
\pfx\()_m15:
	movq	RA_R15(%rdi), %r15
\pfx\()_m16:
	movq	RA_RDI(%rdi), %rdi
\pfx\()_jmp:
	jmp	1f
	verw	1f(%rip)
1:
\pfx\()_vmrun:
	vmrun	%rax
\pfx\()_after:
	.if \tf
	pushfq
	andq	$~0x100, (%rsp)
	popfq
	.endif
\pfx\()_store:
	popq	%rax
	movq	%rcx, RA_RCX(%rax)
	movq	%rdx, RA_RDX(%rax)
	movq	%rbx, RA_RBX(%rax)
	movq	%rbp, RA_RBP(%rax)
	movq	%rsi, RA_RSI(%rax)
	movq	%rdi, RA_RDI(%rax)
	movq	%r8, RA_R8(%rax)
	movq	%r9, RA_R9(%rax)
	movq	%r10, RA_R10(%rax)
	movq	%r11, RA_R11(%rax)
	movq	%r12, RA_R12(%rax)
	movq	%r13, RA_R13(%rax)
	movq	%r14, RA_R14(%rax)
	movq	%r15, RA_R15(%rax)
	popq	%r15
	popq	%r14
	popq	%r13
	popq	%r12
	popq	%rbx
	popq	%rbp
	ret
\pfx\()_fault:
	pushq	%rax
	movq	8(%rsp), %rax
	popq	RA_RAX(%rax)
	jmp	\pfx\()_store

	.pushsection .data.rel.ro, "aw"
	.p2align 3
	.globl	\pfx\()_at
	.hidden	\pfx\()_at
\pfx\()_at:
	.quad	\pfx\()_vmload, \pfx\()_m1, \pfx\()_m2, \pfx\()_m3, \pfx\()_m4
	.quad	\pfx\()_m5, \pfx\()_m6, \pfx\()_m7, \pfx\()_m8, \pfx\()_m9
	.quad	\pfx\()_m10, \pfx\()_m11, \pfx\()_m12, \pfx\()_m13, \pfx\()_m14
	.quad	\pfx\()_m15, \pfx\()_m16, \pfx\()_jmp, \pfx\()_vmrun
	.quad	\pfx\()_after, \pfx\()_fault
	.popsection
	.endm

	RA_BODY l1_ra_run, 1, 0, 0
	RA_BODY l1_ra_step, 1, 1, 0
	RA_BODY l1_ra_add, 1, 0, 1
	RA_BODY l1_kvm_run, 0, 0, 0

	.section .note.GNU-stack,"",@progbits
