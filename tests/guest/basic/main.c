// SPDX-License-Identifier: MIT
/*
 * basic: entry point of the basic suite.  Detects the environment, prints
 * the TAP plan for it, the comparison facts, runs every case, and ends
 * the run through the exit port: 0 = all passed, 1 = some failed.
 */
#include <efi.h>
#include <efilib.h>
#include "basic.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/exit.h"
#include "tests/guest/lib/mp.h"
#include "tests/guest/lib/nv.h"
#include "tests/guest/lib/serial.h"

struct suite {
	int nv;
	unsigned failed, total;
};

/* The plan, the facts and every case, on whichever CPU calls it. */
static void run_suite(void *arg)
{
	struct suite *su = arg;
	struct case_list lists[6];

	/* Isolation last: it writes over the hypervisor's range. */
	lists[0] = detect_cases(su->nv);
	lists[1] = cpu_cases(su->nv);
	lists[2] = cpuid_cases(su->nv);
	lists[3] = msr_cases(su->nv);
	lists[4] = io_cases(su->nv);
	lists[5] = isolation_cases(su->nv);
	for (unsigned i = 0; i < TAP_COUNT(lists); i++)
		su->total += lists[i].count;
	tap_plan(su->total);
	cpuid_facts();
	for (unsigned i = 0; i < TAP_COUNT(lists); i++)
		su->failed += tap_run(lists[i].cases, lists[i].count);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct suite su = { 0, 0, 0 };
	uint32_t apic_id;

	guest_efi_init(image, st);
	su.nv = nv_present();
	gprintf("\n# basic: environment: %s\n", su.nv ? "nestvisor" : "bare (no nestvisor)");
	/* Load option "ap": the whole suite on an application processor. */
	if (guest_has_option("ap")) {
		if (guest_run_on_ap(run_suite, &su, &apic_id)) {
			gprintf("Bail out! cannot run on an AP\n");
			guest_exit(1);
		}
		gprintf("# basic: ran on the AP with APIC ID %u\n", apic_id);
	} else {
		run_suite(&su);
	}
	gprintf("# basic: %u of %u cases failed\n", su.failed, su.total);
	guest_exit(su.failed ? 1 : 0);
}
