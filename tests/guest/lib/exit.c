// SPDX-License-Identifier: MIT
#include <efi.h>
#include <efilib.h>
#include "exit.h"
#include "serial.h"
#include "x86.h"

void guest_exit_now(unsigned status)
{
	serial_flush();
	outb(GUEST_EXIT_PORT, (uint8_t)status);
	halt_forever();
}

void guest_poweroff(void)
{
	serial_flush();
	if (RT)
		uefi_call_wrapper(RT->ResetSystem, 4, EfiResetShutdown, EFI_SUCCESS, 0, NULL);
	halt_forever();
}

void guest_exit(unsigned status)
{
	serial_flush();
	outb(GUEST_EXIT_PORT, (uint8_t)status);
	gprintf("# exit port 0x%x did not end the run; powering off\n", GUEST_EXIT_PORT);
	guest_poweroff();
}
