// SPDX-License-Identifier: MIT
#include <efi.h>
#include <efilib.h>
#include "efiutil.h"
#include "mp.h"
#include "serial.h"

#define PAGE_SIZE 4096ull
#define AP_PAGES  8

static EFI_HANDLE self;

/* What code on an AP gets instead of boot services (lib/mp.h). */
static void *ap_pages[AP_PAGES];
static unsigned ap_nr_pages;
static EFI_MEMORY_DESCRIPTOR *ap_map;
static UINTN ap_entries, ap_dsize;

void guest_efi_init(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	self = image;
	InitializeLib(image, st);
	uefi_call_wrapper(BS->SetWatchdogTimer, 4, 0, 0, 0, NULL);
}

const CHAR16 *guest_load_options(void)
{
	EFI_LOADED_IMAGE *li;

	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, self,
					&LoadedImageProtocol, (void **)&li)) ||
	    !li->LoadOptions || li->LoadOptionsSize < 2)
		return NULL;
	return li->LoadOptions;
}

static void *bs_alloc_page(void)
{
	EFI_PHYSICAL_ADDRESS a = 0;
	EFI_STATUS s;

	s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateAnyPages, EfiLoaderData, 1, &a);
	if (EFI_ERROR(s))
		return NULL;
	return (void *)(uintptr_t)a;
}

void guest_prepare_ap(void)
{
	UINTN key;
	UINT32 dver;

	while (ap_nr_pages < AP_PAGES)
		ap_pages[ap_nr_pages++] = bs_alloc_page();
	if (!ap_map)
		ap_map = LibMemoryMap(&ap_entries, &key, &ap_dsize, &dver);
}

void *guest_alloc_page(void)
{
	void *a = guest_on_ap() ? (ap_nr_pages ? ap_pages[--ap_nr_pages] : NULL)
				: bs_alloc_page();

	if (!a)
		return NULL;
	for (unsigned i = 0; i < PAGE_SIZE; i++)
		((volatile uint8_t *)a)[i] = 0;
	return a;
}

void guest_free_page(void *page)
{
	if (guest_on_ap()) {
		if (ap_nr_pages < AP_PAGES)
			ap_pages[ap_nr_pages++] = page;
		return;
	}
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

	if (guest_on_ap()) {
		map = ap_map;
		entries = ap_entries;
		dsize = ap_dsize;
	} else {
		map = LibMemoryMap(&entries, &key, &dsize, &dver);
	}
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
	if (map != ap_map)
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
