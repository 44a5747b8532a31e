/* SPDX-License-Identifier: MIT */
/*
 * L2 code of the nested benchmarks (tests/guest/nested/bench_main.c).
 * l2_touch: RBX = first address, RCX = number of 4 KiB pages: write one
 * quadword to each page, then VMMCALL.
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

	.section .note.GNU-stack, "", @progbits
