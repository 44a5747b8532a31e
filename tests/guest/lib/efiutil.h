/* SPDX-License-Identifier: MIT */
/* UEFI helpers for the payloads (GNU-EFI underneath). */
#ifndef NV_GUEST_EFIUTIL_H
#define NV_GUEST_EFIUTIL_H

#include <efi.h>
#include <stdint.h>

/* A payload's entry point, called by GNU-EFI's crt0 (_start). */
EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

/* InitializeLib and disable the firmware watchdog. */
void guest_efi_init(EFI_HANDLE image, EFI_SYSTEM_TABLE *st);

/* The image's load options (UCS-2, NUL-terminated), or NULL. */
const CHAR16 *guest_load_options(void);

/* One zeroed 4 KiB page (EfiLoaderData), or NULL.  On an AP (lib/mp.h)
 * from the pages guest_prepare_ap() set aside. */
void *guest_alloc_page(void);
void guest_free_page(void *page);

/* On the boot CPU, before code runs on an AP: set pages aside and take a
 * copy of the memory map for it (boot services are the boot CPU's). */
void guest_prepare_ap(void);

/*
 * Does the UEFI memory map describe [base, base + size) as exactly
 * EfiReservedMemoryType: every byte covered by reserved descriptors, the
 * first of them starting at base and the last ending at base + size?
 * Returns 1 if so; 0 otherwise, with a reason printed as a TAP comment.
 * Prints the descriptors that overlap the range as comments either way.
 * On an AP: the map as guest_prepare_ap() found it.
 */
int memmap_range_is_reserved(uint64_t base, uint64_t size);

/*
 * The last blank-separated word of the image's load options, as ASCII, in
 * out[0..size) ("" when there are none).  Both nestvisor's `args` and a
 * UEFI shell command line ("fs0:\\x.efi WORD") then name the same word.
 */
void guest_option_word(EFI_HANDLE image, char *out, unsigned size);

#endif
