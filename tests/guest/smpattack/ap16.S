/* SPDX-License-Identifier: MIT */
/*
 * smpattack: the real-mode page an AP runs after a SIPI (copied to a page
 * below 1 MiB; CS = DS = the page).  Offsets in the page:
 *   0x100 word   0x5150 once the code ran
 *   0x104 dword  EBX of CPUID 0x40000000 ("Nest" under nestvisor)
 *   0x108 dword  physical address to read and overwrite (0: none)
 *   0x10c dword  what was read there
 *   0x110        GDT: null, flat 4 GiB data (selector 8)
 *   0x120        GDT pseudo-descriptor (limit, 32-bit linear base), filled
 *                in by the boot CPU
 *   0x130 byte   nonzero: print the line at 0x140 on COM1 (3F8h), with
 *                the 4 bytes of 0x104 and a quote and newline after it,
 *                then write byte 0x131 to QEMU's exit port F4h
 *   0x140        that line's text, NUL-terminated
 * With an address at 0x108 the code enters big real mode (FS with a
 * 4 GiB limit: protected mode for one segment load, APM Vol. 2 §4.5.3)
 * and reads, then writes 0x0badc0de at that address.  Under nestvisor the
 * CPU runs as L1 and such an address in nestvisor's region is the sink
 * page; natively it is nestvisor's memory.
 */
	.code16
	.section .rodata, "a"
	.globl smpattack_ap_start, smpattack_ap_end
smpattack_ap_start:
	cld
	mov	%cs, %ax
	mov	%ax, %ds
	mov	$0x40000000, %eax
	xor	%ecx, %ecx
	cpuid
	mov	%ebx, 0x104
	cmpl	$0, 0x108
	je	1f
	cli
	lgdtl	0x120
	mov	%cr0, %eax
	or	$1, %al
	mov	%eax, %cr0
	mov	$8, %bx
	mov	%bx, %fs
	and	$0xfe, %al
	mov	%eax, %cr0
	mov	0x108, %ebx
	mov	%fs:(%ebx), %eax
	mov	%eax, 0x10c
	movl	$0x0badc0de, %fs:(%ebx)
1:	movw	$0x5150, 0x100
	cmpb	$0, 0x130
	je	2f
	mov	$0x3f8, %dx
	mov	$0x140, %si
3:	lodsb
	test	%al, %al
	jz	4f
	out	%al, %dx
	jmp	3b
4:	mov	$0x104, %si
	mov	$4, %cx
5:	lodsb
	out	%al, %dx
	loop	5b
	mov	$'"', %al
	out	%al, %dx
	mov	$'\n', %al
	out	%al, %dx
	mov	0x131, %al
	out	%al, $0xf4
2:	cli
	hlt
	jmp	2b
smpattack_ap_end:
	.section .note.GNU-stack, "", @progbits
