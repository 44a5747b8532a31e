// SPDX-License-Identifier: MIT
/* Starting an AP with INIT-SIPI-SIPI from a payload (see sipi.h). */
#include <efi.h>
#include <efilib.h>

#include "boot/mp_services.h"
#include "sipi.h"
#include "x86.h"

static EFI_GUID mp_guid = NV_EFI_MP_SERVICES_GUID;

int guest_first_ap(uint32_t *apic_id)
{
	struct nv_mp_services *mp;
	UINTN nr = 0, enabled = 0;

	if (EFI_ERROR(uefi_call_wrapper(BS->LocateProtocol, 3, &mp_guid, NULL,
					(void **)&mp)) ||
	    EFI_ERROR(uefi_call_wrapper(mp->get_number_of_processors, 3, mp,
					&nr, &enabled)))
		return -1;
	for (UINTN i = 0; i < nr; i++) {
		struct nv_processor_info info;

		if (!EFI_ERROR(uefi_call_wrapper(mp->get_processor_info, 3, mp,
						 i, &info)) &&
		    !(info.status_flag & NV_PROCESSOR_AS_BSP)) {
			*apic_id = (uint32_t)info.processor_id;
			return 0;
		}
	}
	return -1;
}

volatile uint8_t *guest_ap_page(const uint8_t *code, unsigned len)
{
	EFI_PHYSICAL_ADDRESS page = 0x9ffff;
	volatile uint8_t *p;

	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
					EfiLoaderData, 1, &page)))
		return NULL;
	p = (volatile uint8_t *)(uintptr_t)page;
	for (unsigned i = 0; i < 4096; i++)
		p[i] = i < len ? code[i] : 0;
	return p;
}

volatile uint32_t *guest_apic(unsigned reg)
{
	return (volatile uint32_t *)(uintptr_t)((rdmsr(0x1b) & 0xffffff000ull) + reg);
}

void guest_icr(uint32_t apic_id, uint32_t lo)
{
	*guest_apic(APIC_ICR_HI) = apic_id << 24;
	*guest_apic(APIC_ICR_LO) = lo;
	for (unsigned i = 0; i < 100000 && (*guest_apic(APIC_ICR_LO) & (1u << 12)); i++)
		__asm__ volatile("pause");
}

void guest_init_sipi_sipi(uint32_t apic_id, uint32_t vector)
{
	guest_icr(apic_id, 0x4500);         /* INIT, level assert */
	uefi_call_wrapper(BS->Stall, 1, 10000);
	guest_icr(apic_id, 0x600 | vector); /* Start-up */
	uefi_call_wrapper(BS->Stall, 1, 200);
	guest_icr(apic_id, 0x600 | vector);
}

bool guest_ap_ran(volatile uint8_t *p, unsigned ms)
{
	for (unsigned i = 0;; i++) {
		if (*(volatile uint16_t *)(p + GUEST_AP_MARK_OFF) == GUEST_AP_MARK)
			return true;
		if (i == ms)
			return false;
		uefi_call_wrapper(BS->Stall, 1, 1000);
	}
}
