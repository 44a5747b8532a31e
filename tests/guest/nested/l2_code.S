/* SPDX-License-Identifier: MIT */
/*
 * L2 snippets.  Each starts at a global label, does its one thing and ends
 * in VMMCALL (intercepted: "done"), followed by HLT as a backstop.  Labels
 * named *_next mark the instruction after an intercepted one, so that the
 * cases know the architectural next RIP without decoding.  Registers in
 * and out go through struct l2_gprs (and RAX through the VMCB).
 */
	.text

	.macro L2SYM name
	.globl \name
	.hidden \name
\name:
	.endm

L2SYM l2_vmmcall
	vmmcall
L2SYM l2_vmmcall_next
	hlt

/* A triple fault: an empty IDT, then #UD -> #GP -> #DF -> shutdown. */
L2SYM l2_triple
	lidt	l2_empty_idtr(%rip)
	ud2
	vmmcall
	hlt

/* CPUID (intercepted), then VMMCALL reports what L1 put in the registers. */
L2SYM l2_cpuid
	cpuid
L2SYM l2_cpuid_next
	vmmcall
	hlt

/* RCX = MSR: RDMSR / WRMSR (EDX:EAX), then VMMCALL. */
L2SYM l2_rdmsr
	rdmsr
L2SYM l2_rdmsr_next
	vmmcall
	hlt
L2SYM l2_wrmsr
	wrmsr
L2SYM l2_wrmsr_next
	vmmcall
	hlt

/* Port I/O on port 0x80 (intercepted through the IOPM). */
L2SYM l2_in8_imm
	inb $0x80, %al
L2SYM l2_in8_imm_next
	vmmcall
	hlt
L2SYM l2_out16_dx
	outw %ax, %dx
L2SYM l2_out16_dx_next
	vmmcall
	hlt
L2SYM l2_in32_dx
	inl %dx, %eax
L2SYM l2_in32_dx_next
	vmmcall
	hlt
L2SYM l2_rep_outsb
	rep outsb
L2SYM l2_rep_outsb_next
	vmmcall
	hlt

L2SYM l2_hlt
	hlt
L2SYM l2_hlt_next
	vmmcall
	hlt

L2SYM l2_ud2
	ud2
	vmmcall
	hlt

L2SYM l2_int3
	int3
L2SYM l2_int3_next
	vmmcall
	hlt

/* INT 0x41 (a software interrupt, EVENTINJ/EXITINTINFO type 4). */
L2SYM l2_int41
	int $0x41
L2SYM l2_int41_next
	vmmcall
	hlt

/* SVM instructions in L2 (not intercepted by L1 unless a case says so).
 * VMLOAD from RAX, then VMSAVE to RBX. */
L2SYM l2_vmload_vmsave
	vmload %rax
	movq %rbx, %rax
	vmsave %rax
	vmmcall
	hlt

/* EFER := RDX:RAX (RCX = EFER), then VMLOAD from RBX. */
L2SYM l2_wrmsr_vmload
	wrmsr
	movq %rbx, %rax
L2SYM l2_wrmsr_vmload_insn
	vmload %rax
	vmmcall
	hlt

L2SYM l2_skinit
	skinit
	vmmcall
	hlt

/* INVLPGA RAX, ECX. */
L2SYM l2_invlpga
	invlpga %rax, %ecx
L2SYM l2_invlpga_next
	vmmcall
	hlt

/*
 * CLGI; an interrupt to itself (RDI != 0: WRMSR with RCX, RAX, RDX, for
 * x2APIC; else the 32-bit store of EAX to [RSI], for xAPIC); RBX := 1;
 * a delay; RBX := 2; STGI; then spin.  With the GIF clear, the interrupt
 * must wait for STGI.
 */
L2SYM l2_clgi_ipi_stgi
	clgi
	testq %rdi, %rdi
	jz 1f
	wrmsr
	jmp 2f
1:	movl %eax, (%rsi)
2:	movq $1, %rbx
	movl $100000, %r8d
3:	decl %r8d
	jnz 3b
	movq $2, %rbx
	stgi
L2SYM l2_clgi_ipi_stgi_spin
4:	jmp 4b

/* CLGI; STI; R9 := 1; a delay; R9 := 2; STGI; spin.  An interrupt that
 * the GIF (or L2's virtual GIF) holds comes after STGI. */
L2SYM l2_clgi_wait_stgi
	clgi
	sti
	movq $1, %r9
	movl $100000, %r8d
1:	decl %r8d
	jnz 1b
	movq $2, %r9
	stgi
L2SYM l2_clgi_wait_stgi_spin
2:	jmp 2b

/* Permission maps edited by L2 (cases_maps.c): read [RBX], [RBX] := R8B,
 * then the access the byte governs. */
L2SYM l2_store_in
	movb (%rbx), %al
	movb %r8b, (%rbx)
L2SYM l2_store_in_insn
	inb %dx, %al
	vmmcall
	hlt
L2SYM l2_store_rdmsr
	movb (%rbx), %al
	movb %r8b, (%rbx)
L2SYM l2_store_rdmsr_insn
	rdmsr
	vmmcall
	hlt
L2SYM l2_store_rep_insb
	movb (%rbx), %al
	movb %r8b, (%rbx)
L2SYM l2_store_rep_insb_insn
	rep insb
	vmmcall
	hlt

/* Enable interrupts and wait (bounded by L1's INTR intercept). */
L2SYM l2_sti_spin
	sti
1:	pause
	jmp 1b

/* Memory accesses: RBX = address. */
L2SYM l2_read
	movq (%rbx), %rcx
	vmmcall
	hlt
L2SYM l2_write
	movq %rcx, (%rbx)
	vmmcall
	hlt
/* Read [RBX] into RCX, then write RDX to [RSI]. */
L2SYM l2_read_write
	movq (%rbx), %rcx
	movq %rdx, (%rsi)
	vmmcall
	hlt
/* Write, then read back another address (RDX) in the same run. */
L2SYM l2_write_read
	movq %rcx, (%rbx)
	movq (%rdx), %rsi
	vmmcall
	hlt

/*
 * L2's IDT stubs: 16 bytes apart like L1's.  Each pushes a dummy error
 * code where the CPU pushes none and its vector, then reports through
 * VMMCALL: RAX = vector, RBX = error code (0 if none), RCX = RIP and
 * RDX = CS of the interrupted frame.
 */
	.p2align 4
L2SYM l2_idt_stubs
	vec = 0
	.rept 256
	.p2align 4
	.if vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 || vec == 21 || vec == 29 || vec == 30
	pushq $vec
	.else
	pushq $0
	pushq $vec
	.endif
	jmp l2_idt_common
	vec = vec + 1
	.endr

l2_idt_common:
	popq %rax
	popq %rbx
	movq 0(%rsp), %rcx
	movq 8(%rsp), %rdx
	vmmcall
	hlt

	.data
l2_empty_idtr:
	.word	0
	.quad	0

	.section .note.GNU-stack, "", @progbits
