/* SPDX-License-Identifier: MIT */
/*
 * L2 snippets of the SVM-feature cases (cases_decode.c, ...,
 * cases_vnmi.c), in the shape of l2_code.S: one instruction L1 intercepts
 * at a global label, its *_next label after it, then VMMCALL ("done")
 * and HLT.
 */
	.text

	.macro L2SYM name
	.globl \name
	.hidden \name
\name:
	.endm

	.macro L2ONE name, insn:vararg
L2SYM \name
	\insn
L2SYM \name\()_next
	vmmcall
	hlt
	.endm

/* Decode assists: MOV CR/DR with GPRs that need REX, CLTS, INTn, INVLPG
 * with a SIB and RIP-relative (INVLPGA: l2_invlpga of l2_code.S). */
	L2ONE l2_mov_r9_cr3, movq %r9, %cr3
	L2ONE l2_mov_rax_cr0, movq %rax, %cr0
	L2ONE l2_mov_cr0_rdx, movq %cr0, %rdx
	L2ONE l2_mov_cr4_r15, movq %cr4, %r15
	L2ONE l2_mov_dr7_rsi, movq %dr7, %rsi
	L2ONE l2_mov_r10_dr1, movq %r10, %dr1
	L2ONE l2_clts, clts
	L2ONE l2_int42, int $0x42
	L2ONE l2_invlpg_sib, invlpg 0x10(%rbx,%rcx,4)
	L2ONE l2_invlpg_rip, invlpg 0x100(%rip)

/* TSC: RDTSC and RDTSCP (EDX:EAX, ECX kept for the VMMCALL). */
	L2ONE l2_rdtsc, rdtsc
	L2ONE l2_rdtscp, rdtscp

/* PAUSE loops.  RBX counts the PAUSEs reached (the intercepted one too). */
L2SYM l2_pause_forever
1:	incq	%rbx
	pause
	jmp	1b
/* R8 PAUSEs, then VMMCALL. */
L2SYM l2_pause_n
1:	pause
	decq	%r8
	jnz	1b
	vmmcall
	hlt
/* Up to R9 PAUSEs, each followed by R8 iterations of a delay loop, then
 * VMMCALL. */
L2SYM l2_pause_slow
1:	incq	%rbx
	pause
	movq	%r8, %rcx
2:	loop	2b
	cmpq	%r9, %rbx
	jb	1b
	vmmcall
	hlt

/*
 * vNMI (cases_vnmi.c).  R8 marks how far L2's own code got; the NMI
 * handler is the IDT stub of l2_code.S (RAX = 2, RCX = RIP pushed) or
 * l2_nmi_count_iret.
 */
/* R8 := 1, then R8 := 2 at l2_vnmi_two_next, then VMMCALL. */
L2SYM l2_vnmi_two
	movq	$1, %r8
L2SYM l2_vnmi_two_next
	movq	$2, %r8
L2SYM l2_vnmi_two_vmmcall
	vmmcall
	hlt

/* R8 := 1; IRETQ to l2_vnmi_iret_target (same CS, SS, RSP, RFLAGS);
 * R8 := 2; VMMCALL. */
L2SYM l2_vnmi_iret
	movq	$1, %r8
	movq	%rsp, %rcx
	movl	%ss, %eax
	pushq	%rax
	pushq	%rcx
	pushfq
	movl	%cs, %eax
	pushq	%rax
	leaq	l2_vnmi_iret_target(%rip), %rax
	pushq	%rax
	iretq
L2SYM l2_vnmi_iret_target
	movq	$2, %r8
	vmmcall
	hlt

/* The same, with TF set by POPF just before IRETQ (the frame's RFLAGS
 * has TF clear): the single-step trap follows the IRETQ. */
L2SYM l2_vnmi_iret_tf
	movq	$1, %r8
	movq	%rsp, %rcx
	movl	%ss, %eax
	pushq	%rax
	pushq	%rcx
	pushfq
	movl	%cs, %eax
	pushq	%rax
	leaq	l2_vnmi_iret_tf_target(%rip), %rax
	pushq	%rax
	pushfq
	orq	$0x100, (%rsp)
	popfq
	iretq
L2SYM l2_vnmi_iret_tf_target
	movq	$2, %r8
	vmmcall
	hlt

/* R8 := 1; STGI; R8 := 2 (l2_vnmi_stgi_next); VMMCALL. */
L2SYM l2_vnmi_stgi
	movq	$1, %r8
	stgi
L2SYM l2_vnmi_stgi_next
	movq	$2, %r8
	vmmcall
	hlt

/* An NMI handler: R9 += 1, R10 := the RIP it interrupted (R11 too the
 * first time), IRETQ. */
L2SYM l2_nmi_count_iret
	incq	%r9
	movq	(%rsp), %r10
	cmpq	$1, %r9
	jne	1f
	movq	%r10, %r11
1:	iretq

/*
 * L1 probe: void l1_wrmsr_probe(uint32_t msr, uint64_t val), one WRMSR at
 * a known address (l1_wrmsr_insn, 2 bytes) for the cases that expect #GP
 * (armed with l1_arm()).
 */
	.globl l1_wrmsr_probe
	.hidden l1_wrmsr_probe
	.globl l1_wrmsr_insn
	.hidden l1_wrmsr_insn
l1_wrmsr_probe:
	movl	%edi, %ecx
	movl	%esi, %eax
	movq	%rsi, %rdx
	shrq	$32, %rdx
l1_wrmsr_insn:
	wrmsr
	ret

	.section .note.GNU-stack, "", @progbits
