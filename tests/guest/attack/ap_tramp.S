/* SPDX-License-Identifier: MIT */
/*
 * Two programs for an application processor, copied to the start of a page
 * below 1 MiB and started there by a Start-up IPI (cases_init.c): the AP
 * begins in real mode at CS = page >> 4, IP = 0 (APM Vol. 2 §16.5
 * "Interprocessor Interrupts").  Each is position-independent: it finds its
 * page from CS.  Results go to the page: offsets 0x100 and 0x104.
 *
 * ap_cpuid: CPUID 0x40000000; EBX to 0x104, then 0x5150 to 0x100; halt.
 *   Under nestvisor EBX is "Nest" (core/hypercall.h): the AP is a vCPU.
 *
 * ap_init_self: enters 32-bit protected mode (flat segments, no paging),
 *   writes 0x1111 to 0x100, reads its own APIC ID from the xAPIC ID
 *   register (FEE00020h, bits 31:24) and sends itself an INIT through the
 *   ICR (FEE00310h, then FEE00300h = 4500h: INIT, level assert, physical
 *   destination) with MOV moffs32, EAX, then counts at 0x104 forever.  An INIT puts the CPU in
 *   its INIT state and an AP then waits for a Start-up IPI (APM Vol. 2
 *   §14.1.3, §16.5): the count stops.
 */
	.section .rodata
	.code16

	.globl ap_cpuid
	.hidden ap_cpuid
	.globl ap_cpuid_end
	.hidden ap_cpuid_end
ap_cpuid:
	movw	%cs, %ax
	movw	%ax, %ds
	movl	$0x40000000, %eax
	xorl	%ecx, %ecx
	cpuid
	movl	%ebx, 0x104
	movw	$0x5150, 0x100
1:	cli
	hlt
	jmp	1b
ap_cpuid_end:

	.globl ap_init_self
	.hidden ap_init_self
	.globl ap_init_self_end
	.hidden ap_init_self_end
	.p2align 4
ap_init_self:
	cli
	movw	%cs, %ax
	movw	%ax, %ds
	xorl	%ebx, %ebx
	movw	%cs, %bx
	shll	$4, %ebx			/* EBX = the page's address */
	leal	(gdt - ap_init_self)(%ebx), %eax
	movl	%eax, (gdtr - ap_init_self + 2)
	leal	(pm32 - ap_init_self)(%ebx), %eax
	movl	%eax, (farptr - ap_init_self)
	lgdtl	(gdtr - ap_init_self)
	movl	%cr0, %eax
	orl	$1, %eax			/* CR0.PE */
	movl	%eax, %cr0
	ljmpl	*(farptr - ap_init_self)

	.code32
pm32:
	movw	$0x10, %ax
	movw	%ax, %ds
	movw	%ax, %es
	movw	%ax, %ss
	movl	$0x1111, 0x100(%ebx)
	/* The stores as a compiler makes them for a constant address:
	 * MOV moffs32, EAX (A3). */
	movl	0xfee00020, %eax		/* APIC ID register */
	andl	$0xff000000, %eax
	movl	%eax, 0xfee00310		/* ICR high: destination */
	movl	$0x4500, %eax
	movl	%eax, 0xfee00300		/* ICR low: INIT, assert */
2:	incl	0x104(%ebx)
	jmp	2b

	.p2align 3
gdt:	.quad	0
	.quad	0x00cf9a000000ffff		/* 08h: code, 32-bit, flat */
	.quad	0x00cf92000000ffff		/* 10h: data, flat */
gdtr:	.word	23
	.long	0
farptr:	.long	0
	.word	0x08
ap_init_self_end:

	.section .note.GNU-stack, "", @progbits
