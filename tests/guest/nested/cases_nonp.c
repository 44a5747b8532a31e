// SPDX-License-Identifier: MIT
/*
 * L2 without nested paging (NP_ENABLE=0): L2's CR3 points at page tables
 * in L1's physical memory, and L2's linear addresses translate straight to
 * L1-physical ones.  A #PF in L2 is intercepted (exception intercept 14):
 * VMEXIT 0x4E with exit_info_1 = the #PF error code and exit_info_2 = the
 * faulting linear address (CR2), AMD APM Vol. 2 §15.12.
 *
 * L2's map: linear R1 -> data2 page (W=1), R1 + 4 KiB not present,
 * R1 + 8 KiB -> data page read-only; the low 4 GiB as for L1.
 */
#include "nested.h"
#include "npt.h"
#include "mm/pferr.h"
#include "mm/x86_regs.h"

extern char l2_read[], l2_write_read[];


static uint64_t *pml4, *pdpt, *pd, *pt;
static struct l2_gprs g;

static void nonp_tables(void)
{
	if (!pml4) {
		pml4 = env_page();
		pdpt = env_page();
		pd = env_page();
		pt = env_page();
	}
	for (unsigned i = 0; i < 512; i++)
		pml4[i] = pdpt[i] = pd[i] = pt[i] = 0;
	pml4[0] = ((uint64_t *)(uintptr_t)env.l1_cr3)[0];
	pml4[1] = (uint64_t)(uintptr_t)pdpt | PTE_P | PTE_RW;
	pdpt[0] = (uint64_t)(uintptr_t)pd | PTE_P | PTE_RW;
	pd[0] = (uint64_t)(uintptr_t)pt | PTE_P | PTE_RW;
	pt[0] = (uint64_t)(uintptr_t)npt.data2 | PTE_P | PTE_RW;
	pt[2] = (uint64_t)(uintptr_t)npt.data | PTE_P;
	npt_reset(); /* data patterns */
}

static void nonp_vmcb(struct vmcb *v, const void *rip)
{
	nonp_tables();
	vmcb_default(v, rip);
	v->save.cr3 = (uint64_t)(uintptr_t)pml4;
	v->save.cr0 |= X86_CR0_WP;
}

static int nonp_read(void)
{
	struct vmcb *v = env.vmcb;

	nonp_vmcb(v, l2_read);
	g = (struct l2_gprs){ .rbx = R1 + 8 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("value read by L2", g.rcx, DATA2_PATTERN);
}

static int nonp_write(void)
{
	struct vmcb *v = env.vmcb;

	nonp_vmcb(v, l2_write_read);
	g = (struct l2_gprs){ .rbx = R1 + 16, .rcx = 0xfeedface, .rdx = R1 + 16 };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("value L2 read back", g.rsi, 0xfeedface) &
	       TAP_EXPECT_EQ("value in L1's page", ((uint64_t *)npt.data2)[2], 0xfeedface);
}

static int nonp_pf(const void *rip, uint64_t addr, uint64_t want_ec)
{
	struct vmcb *v = env.vmcb;

	nonp_vmcb(v, rip);
	g = (struct l2_gprs){ .rbx = addr, .rcx = 1, .rdx = addr };
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_EXCP_BASE + 14) &
	       TAP_EXPECT_EQ("exit_info_1 (error code)", v->control.exit_info_1, want_ec) &
	       TAP_EXPECT_EQ("exit_info_2 (CR2)", v->control.exit_info_2, addr);
}

static int nonp_pf_notpresent(void)
{
	return nonp_pf(l2_read, R1 + 0x1010, 0);
}

static int nonp_pf_write_ro(void)
{
	return nonp_pf(l2_write_read, R1 + 0x2020, PFERR_PRESENT | PFERR_WRITE);
}

static const struct tap_case cases[] = {
	{ "nonp.read", nonp_read },
	{ "nonp.write", nonp_write },
	{ "nonp.pf_intercept.notpresent_read", nonp_pf_notpresent },
	{ "nonp.pf_intercept.readonly_write", nonp_pf_write_ro },
};

struct case_list nonp_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
