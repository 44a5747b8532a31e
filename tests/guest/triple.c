// SPDX-License-Identifier: MIT
/*
 * triple: prints a line, then triple-faults on purpose.  With an IDT of
 * limit 0, INT3 cannot be delivered (#GP), neither can that #GP (#DF),
 * nor the #DF: the CPU shuts down (AMD APM vol. 2, 8.2.9 "#DF").  Bare
 * QEMU with -no-reboot then exits; nestvisor intercepts the shutdown of
 * L1 and reports "nestvisor: L1 SHUTDOWN".
 */
#include <efi.h>
#include <efilib.h>
#include "lib/efiutil.h"
#include "lib/exit.h"
#include "lib/serial.h"
#include "lib/x86.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct desc_ptr empty = { 0, 0 };

	guest_efi_init(image, st);
	gprintf("\ntriple: about to triple-fault (lidt limit 0, int3)\n");
	serial_flush();
	irq_save();
	lidt(&empty);
	__asm__ volatile("int3");
	/* Not reached on a correct CPU. */
	gprintf("triple: still running after the triple fault\n");
	guest_exit_now(1);
}
