// SPDX-License-Identifier: MIT
/*
 * nested: entry point.  Allocates everything from UEFI, enters L1's own
 * environment (nested_env.c), prints the TAP plan and the facts the cases
 * depend on, runs every case list, restores the firmware's state and ends
 * the run through the exit port (0 = all passed, 1 = some failed).  With
 * the load option "fuzz" it runs the fuzz mode instead (fuzz.h).
 */
#include <efi.h>
#include <efilib.h>
#include "nested.h"
#include "fuzz.h"
#include "core/x86.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/exit.h"
#include "tests/guest/lib/mp.h"
#include "tests/guest/lib/serial.h"

#define CPUID_SVM_NRIPS (1u << 3)
#define CPUID_SVM_GMET  (1u << 17)
#define CPUID_7_SMEP    (1u << 7)
#define CPUID_GBPAGES   (1u << 26)

static void detect(void)
{
	struct cpuid_regs svm = cpuid(0x8000000a);

	env.maxphyaddr = cpuid(0x80000008).eax & 0xff;
	env.nrips = !!(svm.edx & CPUID_SVM_NRIPS);
	env.gmet = !!(svm.edx & CPUID_SVM_GMET);
	env.nasid = svm.ebx;
	env.smep = !!(cpuid_count(7, 0).ebx & CPUID_7_SMEP);
	env.gbpages = !!(cpuid(0x80000001).edx & CPUID_GBPAGES);
}

static void print_facts(void)
{
	tap_fact("cpuid.8000000a.edx", "0x%x", cpuid(0x8000000a).edx);
	tap_fact("maxphyaddr", "%u", env.maxphyaddr);
	tap_fact("nrips", "%d", env.nrips);
	tap_fact("gmet", "%d", env.gmet);
	tap_fact("smep", "%d", env.smep);
	tap_fact("gbpages", "%d", env.gbpages);
}

struct suite {
	struct case_list lists[30];
	unsigned n, failed, total;
};

/* Enter L1's own environment, run every case, leave it: on whichever CPU
 * calls it. */
static void run_suite(void *arg)
{
	struct suite *su = arg;

	env_enter();
	gprintf("TAP version 13\n");
	tap_plan(su->total);
	print_facts();
	for (unsigned i = 0; i < su->n; i++)
		su->failed += tap_run(su->lists[i].cases, su->lists[i].count);
	env_leave();
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	static struct suite su;
	struct case_list (*const makers[])(void) = {
		exit_cases, inject_cases, invalid_cases, svm_insn_cases,
		nonp_cases, npt_cases, npt_misc_cases, idfetch_cases, gmet_cases,
		event_cases, l2svm_cases, gif_cases, step_cases, fuse_cases, runahead_cases,
		maps_cases,
		tlb_cases, unsync_cases, vmrun_cases, modes_cases, decode_cases, rdtscp_cases, tsc_cases,
		tsc_adjust_cases, pause_cases, pause_threshold_cases,
		clean_cases, vnmi_cases, hostile_cases, smi_cases,
	};
	const unsigned n = sizeof(makers) / sizeof(makers[0]);
	uint32_t apic_id;

	_Static_assert(sizeof(su.lists) / sizeof(su.lists[0]) ==
		       sizeof(makers) / sizeof(makers[0]), "one list per maker");

	guest_efi_init(image, st);
	gprintf("\n# nested: L1 hypervisor test payload\n");
	if (!(cpuid(0x80000001).ecx & (1u << 2))) {
		gprintf("Bail out! no SVM (CPUID 8000_0001 ECX[2] clear)\n");
		guest_exit(1);
	}
	if (!env_alloc()) {
		gprintf("Bail out! out of memory\n");
		guest_exit(1);
	}
	detect();
	/* Load option "fuzz": random vmcb12s and NPTs instead (fuzz.h). */
	if (guest_has_option("fuzz"))
		fuzz_main();
	su.n = n;
	for (unsigned i = 0; i < n; i++) {
		su.lists[i] = makers[i]();
		su.total += su.lists[i].count;
	}
	/* Load option "findings NAME...": only those cases of
	 * unsync_finding_cases() (cases_unsync.c), which nestvisor fails. */
	if (guest_has_option("findings")) {
		su.n = 1;
		su.lists[0] = unsync_finding_cases(guest_has_option);
		su.total = su.lists[0].count;
	}
	/* Load option "ap": the whole suite on an application processor. */
	if (guest_has_option("ap")) {
		if (guest_run_on_ap(run_suite, &su, &apic_id)) {
			gprintf("Bail out! cannot run on an AP\n");
			guest_exit(1);
		}
		gprintf("# nested: ran on the AP with APIC ID %u\n", apic_id);
	} else {
		run_suite(&su);
	}
	gprintf("# nested: %u of %u cases failed\n", su.failed, su.total);
	guest_exit(su.failed ? 1 : 0);
}
