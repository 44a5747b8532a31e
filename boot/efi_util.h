/* SPDX-License-Identifier: MIT */
/* Small UEFI helpers for boot/: files on the image's own volume, strings. */
#ifndef NV_BOOT_EFI_UTIL_H
#define NV_BOOT_EFI_UTIL_H

#include <efi.h>
#include <efilib.h>

/* The image's entry point, called by GNU-EFI's crt0 (_start). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

/* Reads the file at path (ASCII, backslashes) on the volume of device into
 * a new pool buffer; *buf is NUL-terminated. */
EFI_STATUS efi_read_file(EFI_HANDLE device, const char *path, char **buf,
			 UINTN *len);

/* ASCII <-> UCS-2 into fixed buffers (truncating); returns the length. */
UINTN ascii_to_ucs2(const char *s, CHAR16 *out, UINTN max);
UINTN ucs2_to_ascii(const CHAR16 *s, UINTN nchars, char *out, UINTN max,
		    BOOLEAN *lossy);

/* A short name for an EFI_STATUS ("Not Found", ...). */
const char *efi_status_name(EFI_STATUS st);

#endif
