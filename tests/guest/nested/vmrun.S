/* SPDX-License-Identifier: MIT */
/*
 * void nested_vmrun(uint64_t vmcb_pa, struct l2_gprs *g)
 *
 * 1. Save L1's callee-saved registers and g.
 * 2. Load L2's GPRs from g (RAX and RSP come from the VMCB).
 * 3. VMRUN (RAX = vmcb12's address).  AMD APM Vol. 2 §15.5: VMRUN saves
 *    L1's RAX, RSP, RIP, RFLAGS and segment/control state in the host save
 *    area and restores them on #VMEXIT; every other GPR holds L2's value.
 * 4. Store L2's GPRs back to g, restore L1's registers.
 * The caller handles GIF and IF around it.
 */
	.text
	.globl nested_vmrun
	.hidden nested_vmrun
nested_vmrun:
	pushq %rbx
	pushq %rbp
	pushq %r12
	pushq %r13
	pushq %r14
	pushq %r15
	pushq %rsi			/* g */
	movq %rdi, %rax
	movq 0x00(%rsi), %rbx
	movq 0x08(%rsi), %rcx
	movq 0x10(%rsi), %rdx
	movq 0x20(%rsi), %rdi
	movq 0x28(%rsi), %rbp
	movq 0x30(%rsi), %r8
	movq 0x38(%rsi), %r9
	movq 0x40(%rsi), %r10
	movq 0x48(%rsi), %r11
	movq 0x50(%rsi), %r12
	movq 0x58(%rsi), %r13
	movq 0x60(%rsi), %r14
	movq 0x68(%rsi), %r15
	movq 0x18(%rsi), %rsi
	vmrun %rax
	pushq %rsi			/* L2's rsi */
	movq 8(%rsp), %rsi		/* g */
	movq %rbx, 0x00(%rsi)
	movq %rcx, 0x08(%rsi)
	movq %rdx, 0x10(%rsi)
	movq %rdi, 0x20(%rsi)
	movq %rbp, 0x28(%rsi)
	movq %r8, 0x30(%rsi)
	movq %r9, 0x38(%rsi)
	movq %r10, 0x40(%rsi)
	movq %r11, 0x48(%rsi)
	movq %r12, 0x50(%rsi)
	movq %r13, 0x58(%rsi)
	movq %r14, 0x60(%rsi)
	movq %r15, 0x68(%rsi)
	popq %rax
	movq %rax, 0x18(%rsi)
	popq %rsi
	popq %r15
	popq %r14
	popq %r13
	popq %r12
	popq %rbp
	popq %rbx
	ret

	.section .note.GNU-stack, "", @progbits

/*
 * void l1_vmrun_probe(uint64_t vmcb_pa): one bare VMRUN at a known
 * address (l1_vmrun_insn, 3 bytes), for the case that expects #UD.
 */
	.text
	.globl l1_vmrun_probe
	.hidden l1_vmrun_probe
	.globl l1_vmrun_insn
	.hidden l1_vmrun_insn
l1_vmrun_probe:
	movq %rdi, %rax
l1_vmrun_insn:
	vmrun %rax
	ret

	.section .note.GNU-stack, "", @progbits
