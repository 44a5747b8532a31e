/* SPDX-License-Identifier: MIT */
/*
 * L1 instructions aimed at nestvisor, one per function: each function
 * loads its operands, runs the one instruction at the label <name>_insn
 * (ending at <name>_end) and returns.  common.c arms the L1 catcher of
 * tests/guest/nested at that label, so an exception there resumes at the
 * RET.  System V arguments: RDI, RSI, RDX.
 * Then L2 snippets, which end in VMMCALL like tests/guest/nested/l2_code.S.
 */
	.text

	.macro FN name
	.globl \name
	.hidden \name
\name:
	.endm

	.macro MARK name
	.globl \name
	.hidden \name
\name:
	.endm

/* void a_wrmsr(uint32_t msr, uint64_t val) */
FN a_wrmsr
	movl	%edi, %ecx
	movq	%rsi, %rax
	movq	%rsi, %rdx
	shrq	$32, %rdx
MARK a_wrmsr_insn
	wrmsr
MARK a_wrmsr_end
	ret

/* uint64_t a_rdmsr(uint32_t msr): 0 if RDMSR faulted */
FN a_rdmsr
	movl	%edi, %ecx
	xorl	%eax, %eax
	xorl	%edx, %edx
MARK a_rdmsr_insn
	rdmsr
MARK a_rdmsr_end
	shlq	$32, %rdx
	orq	%rdx, %rax
	ret

/* void a_mov_cr4(uint64_t val) */
FN a_mov_cr4
MARK a_mov_cr4_insn
	movq	%rdi, %cr4
MARK a_mov_cr4_end
	ret

/* void a_mov_cr0(uint64_t val) */
FN a_mov_cr0
MARK a_mov_cr0_insn
	movq	%rdi, %cr0
MARK a_mov_cr0_end
	ret

/* void a_lmsw(uint16_t val): LMSW from a register (0F 01 /6, mod 11) */
FN a_lmsw
MARK a_lmsw_insn
	lmsw	%di
MARK a_lmsw_end
	ret

/* void a_lmsw_mem(const uint16_t *p): LMSW from memory */
FN a_lmsw_mem
MARK a_lmsw_mem_insn
	lmsw	(%rdi)
MARK a_lmsw_mem_end
	ret

/* void a_mov_dr7(uint64_t val) */
FN a_mov_dr7
MARK a_mov_dr7_insn
	movq	%rdi, %dr7
MARK a_mov_dr7_end
	ret

/* void a_mov_cr3(uint64_t val) */
FN a_mov_cr3
MARK a_mov_cr3_insn
	movq	%rdi, %cr3
MARK a_mov_cr3_end
	ret

/* void a_vmload(uint64_t pa), a_vmsave, a_vmrun */
FN a_vmload
	movq	%rdi, %rax
MARK a_vmload_insn
	vmload	%rax
MARK a_vmload_end
	ret

FN a_vmsave
	movq	%rdi, %rax
MARK a_vmsave_insn
	vmsave	%rax
MARK a_vmsave_end
	ret

/* VMRUN of a vmcb12 that fails its checks returns at once (VMEXIT_INVALID
 * in the VMCB, GIF clear); L1's callee-saved registers are untouched. */
FN a_vmrun
	movq	%rdi, %rax
MARK a_vmrun_insn
	vmrun	%rax
MARK a_vmrun_end
	ret

/* uint64_t a_read64(uint64_t la): 0 if the load faulted */
FN a_read64
	xorl	%eax, %eax
MARK a_read64_insn
	movq	(%rdi), %rax
MARK a_read64_end
	ret

/* void a_out8(uint16_t port, uint8_t val) */
FN a_out8
	movl	%edi, %edx
	movl	%esi, %eax
MARK a_out8_insn
	outb	%al, %dx
MARK a_out8_end
	ret

/* void a_rep_outsw(uint16_t port, const void *src, uint64_t count) */
FN a_rep_outsw
	movq	%rdx, %rcx
	movl	%edi, %edx
	cld
MARK a_rep_outsw_insn
	rep outsw
MARK a_rep_outsw_end
	ret

/* void a_rep_stosb(void *dst, uint8_t val, uint64_t count) */
FN a_rep_stosb
	movl	%esi, %eax
	movq	%rdx, %rcx
	cld
MARK a_rep_stosb_insn
	rep stosb
MARK a_rep_stosb_end
	ret

/* void a_insw(uint16_t port, void *dst) */
FN a_insw
	movl	%edi, %edx
	movq	%rsi, %rdi
	cld
MARK a_insw_insn
	insw
MARK a_insw_end
	ret

/* L2: MOV CR4 from RCX, then VMMCALL. */
MARK l2_mov_cr4
	movq	%rcx, %cr4
	vmmcall
	hlt

/* L2: MOV CR0 from RCX, then VMMCALL. */
MARK l2_mov_cr0
	movq	%rcx, %cr0
	vmmcall
	hlt

/* L2: RCX reads, RBX first address, RDX stride; RAX = the last value
 * read, RCX counts down to 0; then VMMCALL. */
MARK l2_touch
1:	movq	(%rbx), %rax
	addq	%rdx, %rbx
	decq	%rcx
	jnz	1b
	vmmcall
	hlt

/* L2: INVD, then VMMCALL. */
MARK l2_invd
	invd
	vmmcall
	hlt

/* L2: OUT of AL to port DX, a short loop (an event the OUT raised is
 * taken at an instruction boundary within L2, on hardware at once, under
 * QEMU TCG at the end of a translation block), then VMMCALL. */
MARK l2_out8
	outb	%al, %dx
	movl	$1000, %r8d
1:	decl	%r8d
	jnz	1b
	vmmcall
	hlt

	.section .note.GNU-stack, "", @progbits
