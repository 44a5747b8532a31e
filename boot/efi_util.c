// SPDX-License-Identifier: MIT
#include "boot/efi_util.h"

UINTN ascii_to_ucs2(const char *s, CHAR16 *out, UINTN max)
{
	UINTN n = 0;

	while (s[n] && n + 1 < max) {
		out[n] = (CHAR16)(unsigned char)s[n];
		n++;
	}
	out[n] = 0;
	return n;
}

UINTN ucs2_to_ascii(const CHAR16 *s, UINTN nchars, char *out, UINTN max,
		    BOOLEAN *lossy)
{
	UINTN n = 0;

	*lossy = FALSE;
	for (UINTN i = 0; i < nchars && s[i] && n + 1 < max; i++) {
		if (s[i] > 0x7e || (s[i] < 0x20 && s[i] != '\t'))
			*lossy = TRUE;
		out[n++] = s[i] > 0x7e ? '?' : (char)s[i];
	}
	out[n] = 0;
	return n;
}

EFI_STATUS efi_read_file(EFI_HANDLE device, const char *path, char **buf,
			 UINTN *len)
{
	EFI_FILE_HANDLE root, file;
	EFI_FILE_INFO *info;
	CHAR16 wpath[260];
	EFI_STATUS st;
	UINTN size;

	root = LibOpenRoot(device);
	if (!root)
		return EFI_NOT_FOUND;
	ascii_to_ucs2(path, wpath, 260);
	st = uefi_call_wrapper(root->Open, 5, root, &file, wpath,
			       EFI_FILE_MODE_READ, 0ULL);
	uefi_call_wrapper(root->Close, 1, root);
	if (EFI_ERROR(st))
		return st;
	info = LibFileInfo(file);
	if (!info) {
		uefi_call_wrapper(file->Close, 1, file);
		return EFI_DEVICE_ERROR;
	}
	size = info->FileSize;
	FreePool(info);
	*buf = AllocatePool(size + 1);
	if (!*buf) {
		uefi_call_wrapper(file->Close, 1, file);
		return EFI_OUT_OF_RESOURCES;
	}
	st = uefi_call_wrapper(file->Read, 3, file, &size, *buf);
	uefi_call_wrapper(file->Close, 1, file);
	if (EFI_ERROR(st)) {
		FreePool(*buf);
		return st;
	}
	(*buf)[size] = 0;
	*len = size;
	return EFI_SUCCESS;
}

const char *efi_status_name(EFI_STATUS st)
{
	switch (st) {
	case EFI_SUCCESS: return "Success";
	case EFI_LOAD_ERROR: return "Load Error";
	case EFI_INVALID_PARAMETER: return "Invalid Parameter";
	case EFI_UNSUPPORTED: return "Unsupported";
	case EFI_BUFFER_TOO_SMALL: return "Buffer Too Small";
	case EFI_DEVICE_ERROR: return "Device Error";
	case EFI_OUT_OF_RESOURCES: return "Out of Resources";
	case EFI_NOT_FOUND: return "Not Found";
	case EFI_ACCESS_DENIED: return "Access Denied";
	case EFI_SECURITY_VIOLATION: return "Security Violation";
	default: return "error";
	}
}
