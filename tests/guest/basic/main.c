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
#include "tests/guest/lib/nv.h"
#include "tests/guest/lib/serial.h"

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	struct case_list lists[5];
	unsigned total = 0, failed = 0;
	int nv;

	guest_efi_init(image, st);
	nv = nv_present();
	gprintf("\n# basic: environment: %s\n", nv ? "nestvisor" : "bare (no nestvisor)");
	lists[0] = detect_cases(nv);
	lists[1] = cpuid_cases(nv);
	lists[2] = msr_cases(nv);
	lists[3] = io_cases(nv);
	lists[4] = isolation_cases(nv);
	for (unsigned i = 0; i < 5; i++)
		total += lists[i].count;
	tap_plan(total);
	cpuid_facts();
	for (unsigned i = 0; i < 5; i++)
		failed += tap_run(lists[i].cases, lists[i].count);
	gprintf("# basic: %u of %u cases failed\n", failed, total);
	guest_exit(failed ? 1 : 0);
}
