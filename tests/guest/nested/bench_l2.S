/* SPDX-License-Identifier: MIT */
/*
 * L2 code of the nested benchmarks (tests/guest/nested/bench_main.c).
 * l2_touch: RBX = first address, RCX = number of 4 KiB pages: write one
 * quadword to each page, then VMMCALL.
 * l2_movcr3, l2_load: one MOV from CR3, one load from (RBX), for exits L1
 * intercepts (CR3 read, #PF).
 * l2_rdtsc_loop, l2_pause_loop: RCX RDTSCs or PAUSEs, then VMMCALL.
 * l2_vmmcall_only: VMMCALL; l2_nmi_iret: an NMI handler that only IRETs.
 */
	.text
	.globl l2_touch
	.hidden l2_touch
l2_touch:
1:	movq	%rbx, (%rbx)
	addq	$4096, %rbx
	decq	%rcx
	jnz	1b
	vmmcall
	hlt

	.globl l2_movcr3
	.hidden l2_movcr3
l2_movcr3:
	movq	%cr3, %r9
	vmmcall
	hlt

	.globl l2_load
	.hidden l2_load
l2_load:
	movq	(%rbx), %rax
	vmmcall
	hlt

	.globl l2_rdtsc_loop
	.hidden l2_rdtsc_loop
l2_rdtsc_loop:
1:	rdtsc
	decq	%rcx
	jnz	1b
	vmmcall
	hlt

	.globl l2_pause_loop
	.hidden l2_pause_loop
l2_pause_loop:
1:	pause
	decq	%rcx
	jnz	1b
	vmmcall
	hlt

	.globl l2_vmmcall_only
	.hidden l2_vmmcall_only
l2_vmmcall_only:
	vmmcall
	hlt

	.globl l2_nmi_iret
	.hidden l2_nmi_iret
l2_nmi_iret:
	iretq

	.section .note.GNU-stack, "", @progbits
