// SPDX-License-Identifier: MIT
/*
 * L1's TLB maintenance reaches the nested translations (AMD APM Vol. 2
 * §15.16 TLB_CONTROL, INVLPGA): the TLB caches L2's translations through
 * L1's NPT, and a flush makes the next access walk L1's NPT again.  Here
 * L2 itself rewrites the L1 NPT entry of the region-1 page it has just
 * read (L1's NPT lies in the low 4 GiB, which L2 maps one to one), so no
 * exit tells anybody; L1 then flushes (TLB_CONTROL = 1 or 3 at the next
 * VMRUN, or INVLPGA on the address in L2's ASID before it) and L2 must
 * read the new page.  Without a flush the old translation may stay
 * (hardware TLBs), so no case relies on that.
 */
#include "nested.h"
#include "npt.h"
#include "core/x86.h"

extern char l2_read_write[], l2_read[];

#define A(p) ((uint64_t)(uintptr_t)(p))
#define NPT_RWU (PTE_P | PTE_RW | PTE_US)

static struct l2_gprs g;

/* Run 1: L2 reads GPA_DATA, then points its NPT entry at data2. */
static int remap_by_l2(struct vmcb *v)
{
	npt_reset();
	vmcb_default(v, l2_read_write);
	vmcb_use_npt(v);
	g = (struct l2_gprs){ 0 };
	g.rbx = GPA_DATA;
	g.rsi = A(&npt.pt1[NPT_IDX_DATA]);
	g.rdx = A(npt.data2) | NPT_RWU;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("first read: the data page", g.rcx, DATA_PATTERN);
}

/* Run 2: L2 reads GPA_DATA again with TLB_CONTROL = tlb_control. */
static int read_again(struct vmcb *v, uint8_t tlb_control)
{
	v->control.tlb_control = tlb_control;
	g = (struct l2_gprs){ 0 };
	g.rbx = GPA_DATA;
	l2_resume(v, &g, A(l2_read));
	npt_reset();
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("second read: the new page", g.rcx, DATA2_PATTERN);
}

static int tlb_control_flush_all(void)
{
	struct vmcb *v = env.vmcb;

	return remap_by_l2(v) & read_again(v, TLB_CONTROL_FLUSH_ALL);
}

static int tlb_control_flush_asid(void)
{
	struct vmcb *v = env.vmcb;

	/* Flush by ASID only where offered (CPUID 8000_000A EDX[6]). */
	if (!(cpuid(0x8000000a).edx & (1u << 6)))
		return remap_by_l2(v) & read_again(v, TLB_CONTROL_FLUSH_ALL);
	return remap_by_l2(v) & read_again(v, TLB_CONTROL_FLUSH_ASID);
}

static int invlpga_by_l1(void)
{
	struct vmcb *v = env.vmcb;
	int ok = remap_by_l2(v);

	/* L2's linear address of GPA_DATA is GPA_DATA (npt.h), ASID 1. */
	__asm__ volatile("invlpga %%rax, %%ecx" ::"a"(GPA_DATA), "c"(1)
			 : "memory");
	return ok & read_again(v, TLB_CONTROL_DO_NOTHING);
}

static const struct tap_case cases[] = {
	{ "tlb.l2_remaps.tlb_control_flush_all", tlb_control_flush_all },
	{ "tlb.l2_remaps.tlb_control_flush_asid", tlb_control_flush_asid },
	{ "tlb.l2_remaps.invlpga", invlpga_by_l1 },
};

struct case_list tlb_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
