// SPDX-License-Identifier: MIT
/*
 * More nested-paging cases: 2 MiB and 1 GiB NPT pages, faults while the
 * CPU walks L2's own page tables (stage bit 33, docs/semantics.md §5.1
 * rows 1 and 5, §7.1), the reserved NX bit when L1 runs with EFER.NXE=0
 * (row 8), A/D updates in L1's NPT (APM Vol. 2 §15.25.5: nested tables get
 * A set on every level used, D on the leaf only for writes), and L1
 * changing its NPT between runs (TLB_CONTROL flush, or a new ASID: the new
 * mapping must be used).
 */
#include "nested.h"
#include "npf_check.h"
#include "npt.h"
#include "mm/pferr.h"

#define MIB2 (1ull << 21)
#define GIB (1ull << 30)

static int page2m_translate(void)
{
	uint64_t val = 0;

	npt_reset();
	npf_run(ACC_READ, GPA_2M + (npt.marker_pa & (MIB2 - 1)), &val);
	return expect_exit(env.vmcb, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("value read through the 2 MiB page", val, NPT_MARKER_VALUE);
}

static int page1g_translate(void)
{
	uint64_t val = 0;

	if (!env.gbpages)
		tap_diag("CPUID 8000_0001 EDX[26] (1 GiB pages) clear");
	npt_reset();
	npf_run(ACC_READ, GPA_1G + (npt.marker_pa & (GIB - 1)), &val);
	return expect_exit(env.vmcb, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("value read through the 1 GiB page", val, NPT_MARKER_VALUE);
}

static int page2m_notpresent(void)
{
	uint64_t gpa = GPA_2M + 0x12340;

	npt_reset();
	npt.pd1_2m[0] &= ~PTE_P;
	npf_run(ACC_READ, gpa, NULL);
	return expect_npf(PFERR_GUEST_FINAL | PFERR_USER, gpa);
}

static int page1g_readonly_write(void)
{
	uint64_t gpa = GPA_1G + (npt.marker_pa & (GIB - 1));
	int ok;

	npt_reset();
	npt.pdpt1[2] &= ~PTE_RW;
	npf_run(ACC_WRITE, gpa, NULL);
	ok = expect_npf(PFERR_GUEST_FINAL | PFERR_PRESENT | PFERR_WRITE | PFERR_USER, gpa);
	return ok & TAP_EXPECT_EQ("marker unchanged", npt_marker, NPT_MARKER_VALUE);
}

/* Walk faults: L2's leaf table for LIN_WALK lives at GPA_L2PT.  Page-table
 * accesses are writes and never carry I/D (§6.1); exit_info_2 is the GPA
 * of the table page or of the entry (§7.1, §11 item 4: both accepted). */
static int walk_fault(enum access acc, uint64_t clear, uint64_t want1)
{
	const unsigned entry = 5;
	const struct vmcb *v = env.vmcb;
	uint64_t info2;

	npt_reset();
	code_vmmcall(0);
	npt.pt1[NPT_IDX_L2PT] &= ~clear;
	npf_run(acc, LIN_WALK + entry * PAGE_SIZE, NULL);
	if (!expect_exit(v, VMEXIT_NPF))
		return 0;
	info2 = v->control.exit_info_2;
	if (info2 != GPA_L2PT && info2 != GPA_L2PT + entry * 8) {
		tap_diag("exit_info_2: got 0x%lx, want 0x%llx (page) or 0x%llx (entry)",
			 info2, GPA_L2PT, GPA_L2PT + entry * 8);
		return 0;
	}
	return TAP_EXPECT_EQ("exit_info_1", v->control.exit_info_1, want1);
}

static int walk_np_read(void)
{
	return walk_fault(ACC_READ, PTE_P,
			  PFERR_GUEST_PAGE | PFERR_WRITE | PFERR_USER);
}

static int walk_np_fetch(void)
{
	return walk_fault(ACC_FETCH, PTE_P,
			  PFERR_GUEST_PAGE | PFERR_WRITE | PFERR_USER);
}

static int walk_ro_read(void)
{
	return walk_fault(ACC_READ, PTE_RW,
			  PFERR_GUEST_PAGE | PFERR_PRESENT | PFERR_WRITE | PFERR_USER);
}

/* With L1 EFER.NXE=0 the NX bit of an NPT entry is reserved (§5.1 row 8). */
static int nx_without_nxe(void)
{
	uint64_t gpa = GPA_DATA + 0x128;
	int ok;

	env_set_l1_paging(0, 0);
	npt_reset();
	npt.pt1[NPT_IDX_DATA] |= PTE_NX;
	npf_run(ACC_READ, gpa, NULL);
	ok = expect_npf(PFERR_GUEST_FINAL | PFERR_PRESENT | PFERR_RSVD | PFERR_USER, gpa);
	env_set_l1_paging(env.fw_nxe, env.fw_smep);
	return ok;
}

static int check_ad(const char *what, uint64_t e, int want_a, int want_d)
{
	int ok = 1;

	if (!!(e & PTE_A) != want_a) {
		tap_diag("%s: A is %d, want %d (entry 0x%lx)", what, !!(e & PTE_A), want_a, e);
		ok = 0;
	}
	if (want_d >= 0 && !!(e & PTE_D) != want_d) {
		tap_diag("%s: D is %d, want %d (entry 0x%lx)", what, !!(e & PTE_D), want_d, e);
		ok = 0;
	}
	return ok;
}

static int ad_after(enum access acc)
{
	int ok;

	npt_reset();
	npf_run(acc, GPA_DATA + 0x128, NULL);
	if (!expect_exit(env.vmcb, VMEXIT_VMMCALL))
		return 0;
	/* D of non-leaf entries is not defined (-1: not checked). */
	ok = check_ad("pml4e", npt.pml4[1], 1, -1);
	ok &= check_ad("pdpe", npt.pdpt1[0], 1, -1);
	ok &= check_ad("pde", npt.pd1[0], 1, -1);
	ok &= check_ad("pte", npt.pt1[NPT_IDX_DATA], 1, acc == ACC_WRITE);
	return ok & check_ad("pte of the untouched data2 page", npt.pt1[NPT_IDX_DATA2], 0, 0);
}

static int ad_read(void)
{
	return ad_after(ACC_READ);
}

static int ad_write(void)
{
	return ad_after(ACC_WRITE);
}

/* Read GPA_DATA, remap it to the data2 page, read again with `tlb`/`asid`. */
static int remap(uint8_t tlb, uint32_t asid2)
{
	struct vmcb *v = env.vmcb;
	uint64_t val = 0;
	int ok;

	npt_reset();
	vmcb_default(v, NULL);
	vmcb_use_npt(v);
	v->control.asid = 1;
	npf_run_vmcb(v, ACC_READ, GPA_DATA + 8, &val);
	ok = expect_exit(v, VMEXIT_VMMCALL) &
	     TAP_EXPECT_EQ("first read", val, DATA_PATTERN);
	npt.pt1[NPT_IDX_DATA] = (uint64_t)(uintptr_t)npt.data2 | PTE_P | PTE_RW | PTE_US;
	v->control.tlb_control = tlb;
	v->control.asid = asid2;
	npf_run_vmcb(v, ACC_READ, GPA_DATA + 8, &val);
	return ok & expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("read after the remap", val, DATA2_PATTERN);
}

static int remap_flush(void)
{
	return remap(TLB_CONTROL_FLUSH_ALL, 1);
}

static int remap_new_asid(void)
{
	if (env.nasid <= 2) {
		tap_diag("only %u ASIDs", env.nasid);
		return 0;
	}
	return remap(TLB_CONTROL_DO_NOTHING, 2);
}

static const struct tap_case cases[] = {
	{ "npf.page2m.translate", page2m_translate },
	{ "npf.page1g.translate", page1g_translate },
	{ "npf.page2m.notpresent.read", page2m_notpresent },
	{ "npf.page1g.readonly.write", page1g_readonly_write },
	{ "npf.walk.l2pt_notpresent.read", walk_np_read },
	{ "npf.walk.l2pt_notpresent.fetch", walk_np_fetch },
	{ "npf.walk.l2pt_readonly.read", walk_ro_read },
	{ "npf.rsvd.nx_without_nxe.pt.read", nx_without_nxe },
	{ "npt.ad.read_sets_accessed_not_dirty", ad_read },
	{ "npt.ad.write_sets_accessed_and_dirty", ad_write },
	{ "npt.remap.tlb_flush_all", remap_flush },
	{ "npt.remap.new_asid", remap_new_asid },
};

struct case_list npt_misc_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
