/* SPDX-License-Identifier: MIT */
/*
 * L2 snippets of the SVM-feature cases (cases_decode.c, ...), in the
 * shape of l2_code.S: one instruction L1 intercepts at a global label,
 * its *_next label after it, then VMMCALL ("done") and HLT.
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
