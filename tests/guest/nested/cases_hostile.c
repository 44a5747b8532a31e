// SPDX-License-Identifier: MIT
/*
 * A hostile L1 (only under nestvisor): every new path by which nested SVM
 * reads or writes memory on L1's behalf is pointed at nestvisor's own
 * region (NV_HC_HV_RANGE): vmcb12, VM_HSAVE_PA, the MSR and I/O permission
 * maps, L1's nested page table root, and an NPT leaf.  docs/hypercalls.md
 * says what L1 sees there: a scratch page (the "sink"), the same for every
 * page of the region, that holds only what L1 wrote.  So each case expects
 * nestvisor to behave exactly as if that address were ordinary memory with
 * L1's contents, and checks with NV_HC_CANARY that hypervisor memory is
 * unchanged and that no hypervisor data came back.
 */
#include "core/hypercall.h"
#include "nested.h"
#include "npt.h"
#include "core/x86.h"

extern const char l2_vmmcall[], l2_read[], l2_write[];

struct hv {
	uint64_t base, size, canary_pa, canary;
};

static long hypercall(uint64_t nr, uint64_t *rbx, uint64_t *rcx)
{
	uint64_t rax = nr, b = 0, c = 0, d = 0;

	__asm__ volatile("vmmcall"
			 : "+a"(rax), "+b"(b), "+c"(c), "+d"(d)::"memory");
	if (rbx)
		*rbx = b;
	if (rcx)
		*rcx = c;
	return (long)rax;
}

static int hv_info(struct hv *h)
{
	if (hypercall(NV_HC_HV_RANGE, &h->base, &h->size))
		return 0;
	return hypercall(NV_HC_CANARY, &h->canary_pa, &h->canary) == NV_HC_OK;
}

/* After each case: the canary holds and nestvisor still answers. */
static int hv_intact(const struct hv *h)
{
	uint64_t pa = 0, val = 0, ver = 0;

	return TAP_EXPECT_EQ("NV_HC_CANARY status",
			     (uint64_t)hypercall(NV_HC_CANARY, &pa, &val), 0) &
	       TAP_EXPECT_EQ("canary address", pa, h->canary_pa) &
	       TAP_EXPECT_EQ("canary value", val, h->canary) &
	       TAP_EXPECT_EQ("VERSION status",
			     (uint64_t)hypercall(NV_HC_VERSION, &ver, 0), 0);
}

static void fill(uint64_t pa, uint8_t byte)
{
	for (unsigned i = 0; i < 4096; i++)
		((volatile uint8_t *)(uintptr_t)pa)[i] = byte;
}

/* vmcb12 inside the region: L1 writes a valid vmcb12 there (it lands in
 * the sink), VMRUN uses it, and the exit is written back there. */
static int vmcb12_in_hv(void)
{
	struct hv h;
	struct vmcb *v;
	struct l2_gprs g = { 0 };

	if (!hv_info(&h))
		return 0;
	v = (struct vmcb *)(uintptr_t)h.base;
	vmcb_default(v, l2_vmmcall);
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) & hv_intact(&h);
}

/* VM_HSAVE_PA inside the region: the host save area is never written
 * into L1 memory by nestvisor, and certainly not into its own. */
static int hsave_in_hv(void)
{
	struct hv h;
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };
	int ok;

	if (!hv_info(&h))
		return 0;
	wrmsr(0xc0010117u, h.canary_pa & ~0xfffull);
	vmcb_default(v, l2_vmmcall);
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_VMMCALL);
	wrmsr(0xc0010117u, env.hsave_pa);
	return ok & hv_intact(&h);
}

/* Permission maps inside the region: nestvisor merges what L1 wrote
 * there.  All ones: L2's RDMSR is L1's; all zeros: it is not (nestvisor
 * emulates it and L2 goes on to its VMMCALL). */
static int maps_in_hv(void)
{
	extern const char l2_rdmsr[];
	struct hv h;
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rcx = 0xc0000080u };
	int ok;

	if (!hv_info(&h))
		return 0;
	fill(h.base, 0xff);
	vmcb_default(v, l2_rdmsr);
	v->control.intercept_misc1 |= INTERCEPT1_MSR_PROT | INTERCEPT1_IOIO_PROT;
	v->control.msrpm_base_pa = h.base;
	v->control.iopm_base_pa = h.base;
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_MSR);
	fill(h.base, 0);
	vmcb_default(v, l2_rdmsr);
	v->control.intercept_misc1 |= INTERCEPT1_MSR_PROT | INTERCEPT1_IOIO_PROT;
	v->control.msrpm_base_pa = h.base;
	v->control.iopm_base_pa = h.base;
	g = (struct l2_gprs){ .rcx = 0xc0000080u };
	l2_run(v, &g);
	return ok & expect_exit(v, VMEXIT_VMMCALL) & hv_intact(&h);
}

/* An NPT leaf pointing at the canary page: L2 reads what L1 sees there
 * (the sink), never the canary; L2's write does not reach it. */
static int npt_leaf_to_hv(void)
{
	struct hv h;
	struct vmcb *v = env.vmcb;
	struct l2_gprs g;
	uint64_t *pte = npt_entry(LVL_PT, NPT_IDX_DATA);
	uint64_t sink_view;
	int ok;

	if (!hv_info(&h))
		return 0;
	npt_reset();
	fill(h.base, 0x5a);
	*pte = (h.canary_pa & PTE64_ADDR_4K) | PTE_P | PTE_RW | PTE_US;
	vmcb_default(v, l2_read);
	vmcb_use_npt(v);
	g = (struct l2_gprs){ .rbx = GPA_DATA + (h.canary_pa & 0xfff) };
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_VMMCALL) &
	     TAP_EXPECT_EQ("L2 read through the NPT (the sink)", g.rcx,
			   0x5a5a5a5a5a5a5a5aull);
	vmcb_default(v, l2_write);
	vmcb_use_npt(v);
	g = (struct l2_gprs){ .rbx = GPA_DATA + (h.canary_pa & 0xfff),
			      .rcx = 0x1234 };
	l2_run(v, &g);
	sink_view = *(volatile uint64_t *)(uintptr_t)h.canary_pa;
	ok &= expect_exit(v, VMEXIT_VMMCALL) &
	      TAP_EXPECT_EQ("L1 sees L2's write in the sink", sink_view, 0x1234);
	npt_reset();
	return ok & hv_intact(&h);
}

/* The same leaf made present between a reflected #NPF and L1's next
 * VMRUN, accessed and dirty already, so that nestvisor installs it at
 * that VMRUN (the prefetch, docs/mmu.md §7.2) without L2 faulting again:
 * L2 still reads and writes the sink, never the canary. */
static int prefetch_leaf_to_hv(void)
{
	struct hv h;
	struct vmcb *v = env.vmcb;
	struct l2_gprs g;
	uint64_t *pte = npt_entry(LVL_PT, NPT_IDX_DATA);
	uint64_t gpa;
	int ok;

	if (!hv_info(&h))
		return 0;
	gpa = GPA_DATA + (h.canary_pa & 0xfff);
	npt_reset();
	fill(h.base, 0x6b);
	*pte = 0;
	vmcb_default(v, l2_write);
	vmcb_use_npt(v);
	g = (struct l2_gprs){ .rbx = gpa, .rcx = 0x4321 };
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_NPF) &
	     TAP_EXPECT_EQ("#NPF address", v->control.exit_info_2, gpa);
	*pte = (h.canary_pa & PTE64_ADDR_4K) | PTE_P | PTE_RW | PTE_US |
	       PTE_A | PTE_D;
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	g = (struct l2_gprs){ .rbx = gpa, .rcx = 0x4321 };
	l2_resume(v, &g, v->save.rip);
	ok &= expect_exit(v, VMEXIT_VMMCALL) &
	      TAP_EXPECT_EQ("L1 sees L2's write in the sink",
			    *(volatile uint64_t *)(uintptr_t)h.canary_pa,
			    0x4321);
	vmcb_default(v, l2_read);
	vmcb_use_npt(v);
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	g = (struct l2_gprs){ .rbx = gpa ^ 8 }; /* the same page */
	l2_run(v, &g);
	ok &= expect_exit(v, VMEXIT_VMMCALL) &
	      TAP_EXPECT_EQ("L2 reads the sink", g.rcx, 0x6b6b6b6b6b6b6b6bull);
	npt_reset();
	return ok & hv_intact(&h);
}

/* nCR3 inside the region: the walk reads the sink (zeros: nothing
 * present), so L2's first access is a not-present #NPF for L1. */
static int ncr3_in_hv(void)
{
	struct hv h;
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };

	if (!hv_info(&h))
		return 0;
	fill(h.base, 0);
	vmcb_default(v, l2_vmmcall);
	vmcb_use_npt(v);
	v->control.nested_cr3 = h.base;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_NPF) &
	       TAP_EXPECT_EQ("P bit (not present)", v->control.exit_info_1 & 1, 0) &
	       hv_intact(&h);
}

/* An ASID at or above the number CPUID gave L1 (8000_000A EBX): the APM
 * gives it no meaning; nestvisor fails the VMRUN (docs/semantics.md §11)
 * rather than hand the CPU an ASID it does not have. */
static int asid_beyond_count(void)
{
	struct hv h;
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };

	if (!hv_info(&h))
		return 0;
	vmcb_default(v, l2_vmmcall);
	v->control.asid = env.nasid;
	l2_run(v, &g);
	return expect_exit(v, VMEXIT_INVALID) & hv_intact(&h);
}

static const struct tap_case cases[] = {
	{ "hostile.vmcb12_in_hypervisor_memory", vmcb12_in_hv },
	{ "hostile.hsave_in_hypervisor_memory", hsave_in_hv },
	{ "hostile.msrpm_iopm_in_hypervisor_memory", maps_in_hv },
	{ "hostile.npt_leaf_to_hypervisor_page", npt_leaf_to_hv },
	{ "hostile.prefetch_leaf_to_hypervisor_page", prefetch_leaf_to_hv },
	{ "hostile.ncr3_in_hypervisor_memory", ncr3_in_hv },
	{ "hostile.asid_at_or_above_cpuid_count", asid_beyond_count },
};

struct case_list hostile_cases(void)
{
	uint32_t ebx = cpuid(NV_CPUID_VENDOR_LEAF).ebx;

	if (ebx != NV_CPUID_SIG_EBX) /* only meaningful under nestvisor */
		return (struct case_list){ cases, 0 };
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
