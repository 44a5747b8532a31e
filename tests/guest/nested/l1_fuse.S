/* SPDX-License-Identifier: MIT */
/*
 * L1 snippets for cases_fuse.c: the end of Linux KVM's world switch,
 * VMSAVE; POP rAX; VMLOAD rAX, byte for byte (0F 01 DB, 58, 0F 01 DA).
 *
 * void l1_fuse(uint64_t save_pa, uint64_t load_pa, uint64_t out[2])
 *   pushes load_pa, VMSAVEs to save_pa, POPs rAX and VMLOADs from it;
 *   out[0] = RAX after, out[1] = RSP after the VMLOAD less RSP before the
 *   push (0 when the POP took the slot back).
 * void l1_fuse_step(...): the same with RFLAGS.TF set from the VMSAVE on
 *   (single-step, AMD APM Vol. 2 §13.1.4: a #DB trap after each).
 */
	.text

#include "l1_sym.h"

	.macro FUSE_BODY tf, pfx
	pushq	%rbx
	movq	%rsp, %rbx		/* RSP before the push */
	pushq	%rsi
	movq	%rdi, %rax
	.if \tf
	pushfq
	orq	$0x100, (%rsp)
	popfq
	.endif
	vmsave	%rax
L1SYM \pfx\()_pop
	popq	%rax
L1SYM \pfx\()_vmload
	vmload	%rax
L1SYM \pfx\()_next
	.if \tf
	pushfq
	andq	$~0x100, (%rsp)
	popfq
	.endif
	movq	%rax, 0(%rdx)
	movq	%rsp, %rcx
	subq	%rbx, %rcx
	movq	%rcx, 8(%rdx)
	movq	%rbx, %rsp
	popq	%rbx
	ret
	.endm

L1SYM l1_fuse
	FUSE_BODY 0, l1_fuse

L1SYM l1_fuse_step
	FUSE_BODY 1, l1_fuse_step
	.section .note.GNU-stack,"",@progbits
