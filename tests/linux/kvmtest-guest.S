/* SPDX-License-Identifier: MIT */
/*
 * The L2 guest of kvmtest: 32-bit protected mode, paging off, flat
 * segments, copied to KT_CODE_GPA by the host.  Only relative jumps and
 * absolute data addresses: the bytes run wherever they are copied.
 * Follows the conversation described in kvmtest.h.
 *
 * Registers: esp = first address of this vCPU's part of the region and
 * ebp = the end of it (both set by the host; no stack is used), esi =
 * seed, edi = address, ecx = mismatches, ebx = first mismatching address.
 */
#include "kvmtest.h"

	.section .rodata, "a"
	.globl kvmtest_guest_start, kvmtest_guest_after_hlt, kvmtest_guest_end
	.code32
kvmtest_guest_start:
	mov	$KT_PORT_HELLO, %dx
	mov	$KT_HELLO_MAGIC, %eax
	out	%eax, %dx

	mov	$KT_PORT_SEED, %dx
	in	%dx, %eax
	mov	%eax, %esi

	/* First touch of a page by a read (nothing uses the value). */
	mov	KT_READ_ADDR, %eax

	/* Write pass, with a progress exit every KT_PROGRESS_STEP bytes. */
	mov	%esp, %edi
1:	mov	%edi, %eax
	xor	%esi, %eax
	mov	%eax, (%edi)
	add	$4, %edi
	test	$(KT_PROGRESS_STEP - 1), %edi
	jnz	1b
	mov	$KT_PORT_PROGRESS, %dx
	mov	%edi, %eax
	out	%eax, %dx
	cmp	%ebp, %edi
	jb	1b

	/* Read pass. */
	xor	%ecx, %ecx
	mov	$KT_NO_MISMATCH, %ebx
	mov	%esp, %edi
2:	mov	%edi, %eax
	xor	%esi, %eax
	cmp	%eax, (%edi)
	je	3f
	inc	%ecx
	cmp	$KT_NO_MISMATCH, %ebx
	jne	3f
	mov	%edi, %ebx
3:	add	$4, %edi
	cmp	%ebp, %edi
	jb	2b

	mov	$KT_PORT_MISMATCHES, %dx
	mov	%ecx, %eax
	out	%eax, %dx
	mov	$KT_PORT_FIRST_BAD, %dx
	mov	%ebx, %eax
	out	%eax, %dx
	mov	$KT_PORT_DONE, %dx
	mov	$KT_DONE_BYTE, %al
	out	%al, %dx
	hlt
kvmtest_guest_after_hlt:
	/* Not reached: KVM returns to the host at HLT.  Halt again if run. */
4:	hlt
	jmp	4b
kvmtest_guest_end:

	.code64
	.section .note.GNU-stack, "", @progbits
