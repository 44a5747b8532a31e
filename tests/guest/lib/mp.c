// SPDX-License-Identifier: MIT
/* A payload's suite on an application processor (see mp.h). */
#include <efi.h>
#include <efilib.h>

#include "boot/mp_services.h"
#include "efiutil.h"
#include "mp.h"
#include "serial.h"

static volatile bool on_ap;
static EFI_GUID mp_guid = NV_EFI_MP_SERVICES_GUID;

struct ap_call {
	void (*fn)(void *arg);
	void *arg;
	volatile uint32_t apic_id;
};

static VOID EFIAPI ap_entry(VOID *p)
{
	struct ap_call *c = p;
	uint32_t ebx;

	__asm__ volatile("cpuid" : "=b"(ebx) : "a"(1), "c"(0) : "edx");
	c->apic_id = ebx >> 24;
	on_ap = true;
	c->fn(c->arg);
	on_ap = false;
}

bool guest_on_ap(void)
{
	return on_ap;
}

bool guest_has_option(const char *opt)
{
	const CHAR16 *o = guest_load_options();
	unsigned n = 0;

	while (opt[n])
		n++;
	for (; o && *o; o++) {
		unsigned i = 0;

		while (i < n && o[i] == (CHAR16)opt[i])
			i++;
		if (i == n && (o[i] == 0 || o[i] == ' '))
			return true;
		while (*o && *o != ' ')
			o++;
		if (!*o)
			break;
	}
	return false;
}

int guest_run_on_ap(void (*fn)(void *arg), void *arg, uint32_t *apic_id)
{
	struct nv_mp_services *mp;
	struct ap_call call = { fn, arg, 0 };
	UINTN nr = 0, enabled = 0;
	EFI_STATUS st;

	st = uefi_call_wrapper(BS->LocateProtocol, 3, &mp_guid, NULL, (void **)&mp);
	if (EFI_ERROR(st)) {
		gprintf("# no MP services protocol (status 0x%lx)\n", (uint64_t)st);
		return -1;
	}
	st = uefi_call_wrapper(mp->get_number_of_processors, 3, mp, &nr, &enabled);
	if (EFI_ERROR(st) || enabled < 2) {
		gprintf("# no enabled application processor (%lu CPUs, %lu enabled)\n",
			(uint64_t)nr, (uint64_t)enabled);
		return -1;
	}
	guest_prepare_ap();
	for (UINTN i = 0; i < nr; i++) {
		struct nv_processor_info info;

		st = uefi_call_wrapper(mp->get_processor_info, 3, mp, i, &info);
		if (EFI_ERROR(st) || (info.status_flag & NV_PROCESSOR_AS_BSP) ||
		    !(info.status_flag & NV_PROCESSOR_ENABLED))
			continue;
		st = uefi_call_wrapper(mp->startup_this_ap, 7, mp, ap_entry, i,
				       NULL, 0, &call, NULL);
		if (EFI_ERROR(st)) {
			gprintf("# StartupThisAP(%lu) failed (status 0x%lx)\n",
				(uint64_t)i, (uint64_t)st);
			return -1;
		}
		*apic_id = call.apic_id;
		return 0;
	}
	gprintf("# no AP to run on\n");
	return -1;
}
