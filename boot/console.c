// SPDX-License-Identifier: MIT
/*
 * The UEFI console sink (boot/console.h).  The consoles are the handles
 * the firmware tagged as console output devices (EFI_CONSOLE_OUT_DEVICE
 * GUID, UEFI spec §12.1: the physical consoles of ConOut), each with its
 * Simple Text Output protocol; a console is a serial terminal when its
 * device path has a UART node (messaging type 3, subtype 14, UEFI spec
 * §10.3.4.10).  Without such handles, ConOut itself is used.
 */
#include <efi.h>
#include <efilib.h>

#include "boot/console.h"
#include "core/log.h"

#define MAX_CONSOLES 8

static EFI_GUID console_out_device_guid = { 0xd3b36f2c, 0xd551, 0x11d4,
	{ 0x9a, 0x46, 0x00, 0x90, 0x27, 0x3f, 0xc1, 0x4d } };

static SIMPLE_TEXT_OUTPUT_INTERFACE *consoles[MAX_CONSOLES];
static unsigned nr_consoles;

static bool is_serial(EFI_DEVICE_PATH *dp)
{
	for (; dp && !IsDevicePathEnd(dp); dp = NextDevicePathNode(dp)) {
		if (DevicePathType(dp) == MESSAGING_DEVICE_PATH &&
		    DevicePathSubType(dp) == MSG_UART_DP)
			return true;
		if (DevicePathNodeLength(dp) < 4)
			break; /* malformed: stop walking */
	}
	return false;
}

/* The console devices, all or the non-serial ones; -1 if the firmware
 * lists none. */
static int choose_devices(bool skip_serial)
{
	EFI_HANDLE *handles = NULL;
	UINTN n = 0;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->LocateHandleBuffer, 5, ByProtocol,
			       &console_out_device_guid, NULL, &n, &handles);
	if (EFI_ERROR(st) || !n)
		return -1;
	for (UINTN i = 0; i < n && nr_consoles < MAX_CONSOLES; i++) {
		SIMPLE_TEXT_OUTPUT_INTERFACE *out;
		EFI_DEVICE_PATH *dp = NULL;

		if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3,
						handles[i], &TextOutProtocol,
						(void **)&out)))
			continue;
		uefi_call_wrapper(BS->HandleProtocol, 3, handles[i],
				  &DevicePathProtocol, (void **)&dp);
		if (skip_serial && is_serial(dp))
			continue;
		consoles[nr_consoles++] = out;
	}
	FreePool(handles);
	return 0;
}

void console_start(enum nv_console mode, bool serial_on, const char *replay,
		   uint64_t len)
{
	console_stop();
	nr_consoles = 0;
	if (mode == NV_CONSOLE_OFF)
		return;
	if (mode == NV_CONSOLE_ON || !serial_on || choose_devices(true) < 0) {
		nr_consoles = 0;
		if (ST->ConOut)
			consoles[nr_consoles++] = ST->ConOut;
	}
	if (!nr_consoles)
		return;
	console_write(replay, (unsigned long)len);
	log_add_sink(console_write);
}

void console_write(const char *s, unsigned long len)
{
	CHAR16 buf[130];
	unsigned n = 0;

	for (unsigned long i = 0; i <= len; i++) {
		bool flush = i == len || n >= sizeof(buf) / sizeof(buf[0]) - 3;

		if (flush && n) {
			buf[n] = 0;
			for (unsigned c = 0; c < nr_consoles; c++)
				uefi_call_wrapper(consoles[c]->OutputString, 2,
						  consoles[c], buf);
			n = 0;
		}
		if (i == len)
			break;
		if (s[i] == '\n')
			buf[n++] = '\r';
		buf[n++] = (CHAR16)(unsigned char)s[i];
	}
}

void console_stop(void)
{
	log_remove_sink(console_write);
}

unsigned console_count(void)
{
	return nr_consoles;
}
