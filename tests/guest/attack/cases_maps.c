// SPDX-License-Identifier: MIT
/*
 * Group "maps": L1's I/O permission map changed by a store the CPU makes
 * for an SVM instruction rather than by a MOV.  The CPU reads the IOPM in
 * memory at every IN and OUT of the guest (AMD APM Vol. 2 §15.10.1), so
 * whatever wrote it, the next access sees it.  VMSAVE writes the save
 * area's STAR at offset 600h of the page in rAX (§15.5.2, VMCB layout in
 * Appendix B): with rAX = the IOPM's first page, STAR's low byte becomes
 * the bits of ports 3000h-3007h (port p is bit p % 8 of byte p / 8).
 * The same L2 runs twice on one vmcb12: first port 3000h is not
 * intercepted (L2's IN runs, then its VMMCALL exits); then L1 sets STAR's
 * low byte to FFh, VMSAVEs onto its IOPM, and runs L2 again: the IN must
 * exit to L1 (#VMEXIT IOIO, port 3000h).
 */
#include "attack.h"
#include "core/x86.h"

extern char l2_store_in[], l2_store_in_insn[];

#define A(p) ((uint64_t)(uintptr_t)(p))
#define PORT 0x3000u

static uint8_t page_copy[4096];

static int vmsave_onto_iopm(void)
{
	struct vmcb *v = env.vmcb;
	volatile uint8_t *iopm = (volatile uint8_t *)(uintptr_t)env.iopm_pa;
	uint64_t star = rdmsr(MSR_STAR);
	static uint8_t buf[8];
	struct l2_gprs g = { .rbx = A(buf), .rdx = PORT };
	int ok;

	for (unsigned i = 0; i < 4096; i++)
		page_copy[i] = iopm[i];
	vmcb_default(v, l2_store_in);
	v->control.intercept_misc1 |= INTERCEPT1_IOIO_PROT;
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_VMMCALL);
	wrmsr(MSR_STAR, (star & ~0xffull) | 0xff);
	vmsave(env.iopm_pa);
	wrmsr(MSR_STAR, star);
	ok &= TAP_EXPECT_EQ("IOPM byte 600h after VMSAVE", iopm[PORT / 8], 0xff);
	l2_resume(v, &g, A(l2_store_in));
	for (unsigned i = 0; i < 4096; i++)
		iopm[i] = page_copy[i];
	return ok & expect_exit(v, VMEXIT_IOIO) &
	       TAP_EXPECT_EQ("port", v->control.exit_info_1 >> 16, PORT) &
	       TAP_EXPECT_EQ("rip (the IN)", v->save.rip, A(l2_store_in_insn));
}

static const struct tap_case vmsave_maps_cases[] = {
	{ "maps.vmsave_onto_iopm", vmsave_onto_iopm },
	{ "maps.hypervisor_intact", hv_intact },
};

struct attack_group maps_group(void)
{
	return (struct attack_group){ "maps", "any", vmsave_maps_cases,
				      TAP_COUNT(vmsave_maps_cases) };
}
