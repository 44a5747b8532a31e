// SPDX-License-Identifier: MIT
/*
 * attack: entry point.  The load options name one group (attack.h); it
 * runs inside the nested payload's L1 environment and ends the run
 * through the exit port (0 = every case passed, 1 = some failed).
 */
#include <efi.h>
#include <efilib.h>
#include "attack.h"
#include "core/x86.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/exit.h"
#include "tests/guest/lib/serial.h"

static struct attack_group (*const groups[])(void) = {
	state_group, width48_group, width52_group, unrunnable_group,
	smm_group, msr_group, exhaust_group, dma_group, dma_open_group,
	dma_ones_group, init_group, devinit_group, devinit_lost_group, s3_group, s3_hidden_group,
	maps_group, apicid_group,
};

/* The load options as ASCII (nestvisor passes `args` as UCS-2). */
static void load_options(EFI_HANDLE image, char *out, unsigned size)
{
	EFI_LOADED_IMAGE *li = NULL;
	unsigned n = 0;

	out[0] = 0;
	if (EFI_ERROR(uefi_call_wrapper(BS->HandleProtocol, 3, image,
					&LoadedImageProtocol, (void **)&li)) ||
	    !li || !li->LoadOptions)
		return;
	for (UINT32 i = 0; i < li->LoadOptionsSize / 2 && n + 1 < size; i++) {
		CHAR16 c = ((const CHAR16 *)li->LoadOptions)[i];

		if (!c)
			break;
		if (c != ' ')
			out[n++] = c < 0x80 ? (char)c : '?';
	}
	out[n] = 0;
}

static int same(const char *a, const char *b)
{
	while (*a && *a == *b) {
		a++;
		b++;
	}
	return *a == *b;
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	char name[64];
	struct attack_group g = { 0 };
	unsigned failed;

	guest_efi_init(image, st);
	load_options(image, name, sizeof(name));
	gprintf("\n# attack: group \"%s\"\n", name);
	for (unsigned i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (same(groups[i]().name, name))
			g = groups[i]();
	if (!g.name) {
		gprintf("Bail out! no attack group \"%s\"\n", name);
		guest_exit(1);
	}
	if (!(cpuid(0x80000001).ecx & (1u << 2)) || !env_alloc() ||
	    !hv_probe()) {
		gprintf("Bail out! needs SVM, memory and nestvisor\n");
		guest_exit(1);
	}
	gprintf("# attack: %s (%s)\n", g.name, g.qemu);
	dma_probe_acpi();
	acpi_pm_probe();
	init_probe();
	if (same(g.name, "apicid"))
		apicid_prepare();
	env_enter();
	gprintf("TAP version 13\n");
	tap_plan(g.count);
	failed = tap_run(g.cases, g.count);
	env_leave();
	gprintf("# attack: %u of %u cases failed\n", failed, g.count);
	guest_exit(failed ? 1 : 0);
}
