// SPDX-License-Identifier: MIT
#include <efi.h>
#include <efilib.h>
#include "efiutil.h"
#include "serial.h"

#define PAGE_SIZE 4096ull

void guest_efi_init(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	InitializeLib(image, st);
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
}

void *guest_alloc_page(void)
{
	EFI_PHYSICAL_ADDRESS a = 0;
	EFI_STATUS s;

	s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData, 1, &a);
	if (EFI_ERROR(s))
		return NULL;
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		((volatile uint8_t *)(uintptr_t)a)[i] = 0;
	return (void *)(uintptr_t)a;
}

void guest_free_page(void *page)
{
	uefi_call_wrapper(BS->FreePages, 2, (EFI_PHYSICAL_ADDRESS)(uintptr_t)page, 1);
}

int memmap_range_is_reserved(uint64_t base, uint64_t size)
{
	UINTN entries = 0, key, dsize = 0;
	UINT32 dver;
	EFI_MEMORY_DESCRIPTOR *map, *d;
	uint64_t end = base + size;
	uint64_t covered = 0; /* bytes of the range inside reserved entries */
	int ok = 1;

	map = LibMemoryMap(&entries, &key, &dsize, &dver);
	if (!map) {
		gprintf("# GetMemoryMap failed\n");
		return 0;
	}
	d = map;
	for (UINTN i = 0; i < entries; i++, d = NextMemoryDescriptor(d, dsize)) {
		uint64_t s = d->PhysicalStart;
		uint64_t e = s + d->NumberOfPages * PAGE_SIZE;

		if (e <= base || s >= end)
			continue;
		gprintf("# memmap [%lx, %lx) type %u\n", s, e, d->Type);
		if (d->Type != EfiReservedMemoryType) {
			gprintf("# not reserved: [%lx, %lx) has type %u\n", s, e, d->Type);
			ok = 0;
			continue;
		}
		if (s < base || e > end) {
			gprintf("# reserved entry [%lx, %lx) extends beyond the range\n", s, e);
			ok = 0;
		}
		covered += (e < end ? e : end) - (s > base ? s : base);
	}
	FreePool(map);
	if (covered != size) {
		gprintf("# reserved entries cover %lx of %lx bytes\n", covered, size);
		ok = 0;
	}
	return ok;
}

void guest_option_word(EFI_HANDLE image, char *out, unsigned size)
{
	EFI_LOADED_IMAGE *li = NULL;
	unsigned n = 0;
	int gap = 0;

	if (!size)
		return;
	out[0] = 0;
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image,
					&LoadedImageProtocol, (void **)&li)) ||
	    !li || !li->LoadOptions)
		return;
	for (UINTN i = 0; i < li->LoadOptionsSize / 2; i++) {
		CHAR16 c = ((const CHAR16 *)li->LoadOptions)[i];

		if (c == 0)
			break;
		if (c == ' ' || c == '\t' || c == '\r' || c == '\n') {
			gap = 1;
			continue;
		}
		if (gap)
			n = 0; /* a new word begins */
		gap = 0;
		if (n + 1 < size)
			out[n++] = (char)c;
		out[n] = 0;
	}
}
