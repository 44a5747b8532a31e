// SPDX-License-Identifier: MIT
/*
 * Group "apicid" (QEMU -smp 2): an AP tries to give its local APIC another
 * ID by writing the APIC ID register (offset 20h, ID in bits 31:24), then
 * goes back to the firmware's idle loop, where it makes no exit.
 * nestvisor reaches another CPU by an NMI to its APIC ID
 * (docs/architecture.md, "Kicks", "TLB shootdown"), so it keeps the ID
 * (svm/apic.c drops the store).  The boot CPU then runs L2 with nested
 * paging: the shadow NPT write-protects L1's NPT pages, a TLB shootdown
 * that kicks the AP.  L2 must reach its VMMCALL: nestvisor must not wait
 * for a kick that goes nowhere.
 */
#include "attack.h"
#include "core/x86.h"
#include "tests/guest/lib/mp.h"
#include "tests/guest/lib/serial.h"

#define APIC_ID  0x20u
#define NEW_ID   5u

extern const char l2_read[];

static volatile uint32_t ap_id_before, ap_id_after;

static volatile uint32_t *apic_reg(unsigned off)
{
	return (volatile uint32_t *)(uintptr_t)((rdmsr(0x1b) & 0xffffff000ull) +
						off);
}

static void ap_move_id(void *arg)
{
	(void)arg;
	ap_id_before = *apic_reg(APIC_ID) >> 24;
	*apic_reg(APIC_ID) = NEW_ID << 24;
	ap_id_after = *apic_reg(APIC_ID) >> 24;
}

void apicid_prepare(void)
{
	uint32_t id = 0;

	if (guest_run_on_ap(ap_move_id, 0, &id))
		gprintf("# apicid: the AP did not run\n");
	gprintf("# apicid: the AP's APIC ID register: %u, now %u\n",
		ap_id_before, ap_id_after);
}

static int l2_np_after_ap_moved_id(void)
{
	static uint64_t word = 0x1234;
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rbx = (uint64_t)(uintptr_t)&word };

	tap_diag("running L2 with nested paging (the shadow NPT protects L1's "
		 "tables: a shootdown that kicks the AP)");
	vmcb_default(v, l2_read);
	vmcb_use_npt(v);
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("RCX (L2 read the word)", g.rcx, 0x1234);
}

static const struct tap_case apicid_cases[] = {
	{ "apicid.l2_np_after_ap_moved_its_id", l2_np_after_ap_moved_id },
	{ "apicid.hypervisor_intact", hv_intact },
};

struct attack_group apicid_group(void)
{
	return (struct attack_group){ "apicid", "-smp 2", apicid_cases,
				      TAP_COUNT(apicid_cases) };
}
