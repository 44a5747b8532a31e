// SPDX-License-Identifier: MIT
/*
 * L1 changes entries of its NPT that L2 has used, then flushes (or not),
 * as a guest hypervisor does when it remaps, protects or frees L2's
 * memory.  The rule (AMD APM Vol. 2 §15.16 TLB_CONTROL, §15.25 nested
 * paging, INVLPGA): the TLB may keep a nested translation, per ASID, from
 * the moment L2 used it until L1 flushes that ASID (TLB_CONTROL 1 flushes
 * every ASID, 3 and 7 the one VMRUN runs, INVLPGA one address of one
 * ASID); an address whose entry was not present is walked again (no
 * not-present entry is cached).  So after a flush L2 must see L1's tables
 * as they are now; before it, either the old or the new translation.
 * Every case starts with a TLB_CONTROL 1 VMRUN (vmcb_default), so no
 * ASID holds anything from an earlier case.
 *
 * nCR3 "Y" is a second NPT that maps only the low 4 GiB (no region 1), so
 * an ASID run on Y caches no translation of region 1.
 *
 * unsync_finding_cases() are cases that hardware and QEMU TCG pass and
 * nestvisor does not yet (docs/security.md, "Known findings"); they run
 * only when their name (after "finding.") is a load option word.
 */
#include "nested.h"
#include "npt.h"
#include "core/x86.h"

extern char l2_read[], l2_write[], l2_read_write[], l2_vmmcall[];

#define A(p) ((uint64_t)(uintptr_t)(p))
#define NPT_RWU (PTE_P | PTE_RW | PTE_US)
/* #NPF EXITINFO1 (APM Vol. 2 §15.25.6): bit 32 = the final translation;
 * every NPT access is a user access (US); P, RW as for #PF. */
#define NPF_FINAL       (1ull << 32)
#define NPF_NP_READ     (NPF_FINAL | 0x4)
#define NPF_RO_WRITE    (NPF_FINAL | 0x7)

static struct l2_gprs g;
static uint64_t *ncr3_y;

/* nCR3 Y: the low 4 GiB as in the test NPT, nothing else. */
static uint64_t y_root(void)
{
	if (!ncr3_y)
		ncr3_y = env_page();
	if (!ncr3_y)
		return 0;
	for (unsigned i = 0; i < 512; i++)
		ncr3_y[i] = 0;
	ncr3_y[0] = npt.pml4[0];
	return A(ncr3_y);
}

/* One L2 run of snippet rip with NP on nCR3 ncr3 (0: the test NPT). */
static uint64_t run(const char *rip, uint64_t ncr3, uint32_t asid,
		    uint8_t tlb_control, uint64_t rbx, uint64_t rcx)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, rip);
	vmcb_use_npt(v);
	if (ncr3)
		v->control.nested_cr3 = ncr3;
	v->control.asid = asid;
	v->control.tlb_control = tlb_control;
	g = (struct l2_gprs){ .rbx = rbx, .rcx = rcx };
	return l2_run(v, &g);
}

static uint64_t read_data(uint32_t asid, uint8_t tlb_control)
{
	return run(l2_read, 0, asid, tlb_control, GPA_DATA, 0);
}

/* TLB_CONTROL 3 and 7 only where flush by ASID is offered (CPUID
 * 8000_000A EDX[6]); else 1, which flushes more. */
static uint8_t by_asid(uint8_t tlb_control)
{
	return (cpuid(0x8000000a).edx & (1u << 6)) ? tlb_control
						    : TLB_CONTROL_FLUSH_ALL;
}

static int read_sees(const char *what, uint64_t want)
{
	return expect_exit(env.vmcb, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ(what, g.rcx, want);
}

static int expect_npf(uint64_t info1, uint64_t info2)
{
	const struct vmcb_control *c = &env.vmcb->control;

	return expect_exit(env.vmcb, VMEXIT_NPF) &
	       TAP_EXPECT_EQ("#NPF exit_info_1", c->exit_info_1, info1) &
	       TAP_EXPECT_EQ("#NPF exit_info_2", c->exit_info_2, info2);
}

/* L2 reads the data page, L1 clears its entry's P, then flush: L2's next
 * read must fault. */
static int p_to_0(uint8_t tlb_control)
{
	int ok;

	npt_reset();
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok = read_sees("first read", DATA_PATTERN);
	npt.pt1[NPT_IDX_DATA] = 0;
	read_data(1, tlb_control);
	ok &= expect_npf(NPF_NP_READ, GPA_DATA);
	npt_reset();
	return ok;
}

static int p_to_0_flush_all(void)
{
	return p_to_0(TLB_CONTROL_FLUSH_ALL);
}

static int p_to_0_flush_asid(void)
{
	return p_to_0(by_asid(TLB_CONTROL_FLUSH_ASID));
}

static int p_to_0_flush_asid_local(void)
{
	return p_to_0(by_asid(TLB_CONTROL_FLUSH_ASID_LOCAL));
}

static void invlpga(uint64_t la, uint32_t asid)
{
	__asm__ volatile("invlpga %%rax, %%ecx" ::"a"(la), "c"(asid)
			 : "memory");
}

/* The same with INVLPGA of exactly that address (L2's linear address of
 * GPA_DATA is GPA_DATA, npt.h) in L2's ASID. */
static int p_to_0_invlpga(void)
{
	int ok;

	npt_reset();
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok = read_sees("first read", DATA_PATTERN);
	npt.pt1[NPT_IDX_DATA] = 0;
	invlpga(GPA_DATA, 1);
	read_data(1, TLB_CONTROL_DO_NOTHING);
	ok &= expect_npf(NPF_NP_READ, GPA_DATA);
	npt_reset();
	return ok;
}

/* INVLPGA of another address, or of the address in another ASID: the
 * old translation may stay, so the read gives the old page or faults;
 * a flush then makes it fault. */
static int p_to_0_invlpga_elsewhere(void)
{
	uint64_t code;
	int ok;

	npt_reset();
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok = read_sees("first read", DATA_PATTERN);
	npt.pt1[NPT_IDX_DATA] = 0;
	invlpga(GPA_DATA2, 1);
	invlpga(GPA_DATA, 2);
	code = read_data(1, TLB_CONTROL_DO_NOTHING);
	if (code == VMEXIT_VMMCALL)
		ok &= TAP_EXPECT_EQ("read before the flush: the old page",
				    g.rcx, DATA_PATTERN);
	else
		ok &= expect_npf(NPF_NP_READ, GPA_DATA);
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok &= expect_npf(NPF_NP_READ, GPA_DATA);
	npt_reset();
	return ok;
}

/* L1 points the entry at another page, then flushes one way or another:
 * L2 reads the new page. */
static int frame_change(int how)
{
	int ok;

	npt_reset();
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok = read_sees("first read", DATA_PATTERN);
	npt.pt1[NPT_IDX_DATA] = A(npt.data2) | NPT_RWU;
	switch (how) {
	case 0: /* INVLPGA of the address */
		invlpga(GPA_DATA, 1);
		read_data(1, TLB_CONTROL_DO_NOTHING);
		break;
	case 1: /* a new ASID: its TLB was flushed by the first VMRUN and
		 * has not run since */
		read_data(2, TLB_CONTROL_DO_NOTHING);
		break;
	default: /* a flush of the ASID */
		read_data(1, by_asid(TLB_CONTROL_FLUSH_ASID));
		break;
	}
	ok &= read_sees("read after the flush: the new page", DATA2_PATTERN);
	npt_reset();
	return ok;
}

static int frame_change_invlpga(void)
{
	return frame_change(0);
}

static int frame_change_new_asid(void)
{
	return frame_change(1);
}

static int frame_change_flush_asid(void)
{
	return frame_change(2);
}

/* RW -> RO after L2 wrote the page, flush: L2's write faults. */
static int rw_to_ro(void)
{
	int ok;

	npt_reset();
	run(l2_write, 0, 1, TLB_CONTROL_FLUSH_ALL, GPA_DATA, 0x5151);
	ok = expect_exit(env.vmcb, VMEXIT_VMMCALL) &
	     TAP_EXPECT_EQ("L2's first write", *(volatile uint64_t *)npt.data,
			   0x5151);
	npt.pt1[NPT_IDX_DATA] &= ~(uint64_t)PTE_RW;
	run(l2_write, 0, 1, TLB_CONTROL_FLUSH_ALL, GPA_DATA, 0x5252);
	ok &= expect_npf(NPF_RO_WRITE, GPA_DATA) &
	      TAP_EXPECT_EQ("the page after the faulting write",
			    *(volatile uint64_t *)npt.data, 0x5151);
	npt_reset();
	return ok;
}

/* RO -> RW with no flush after L2's write faulted: the next write may
 * fault once more on the old entry, with the same #NPF, and must go
 * through after a flush. */
static int ro_to_rw_no_flush(void)
{
	uint64_t code;
	int ok;

	npt_reset();
	npt.pt1[NPT_IDX_DATA] &= ~(uint64_t)PTE_RW;
	run(l2_write, 0, 1, TLB_CONTROL_FLUSH_ALL, GPA_DATA, 0x6161);
	ok = expect_npf(NPF_RO_WRITE, GPA_DATA);
	npt.pt1[NPT_IDX_DATA] |= PTE_RW;
	code = run(l2_write, 0, 1, TLB_CONTROL_DO_NOTHING, GPA_DATA, 0x6262);
	if (code != VMEXIT_VMMCALL) {
		ok &= expect_npf(NPF_RO_WRITE, GPA_DATA);
		run(l2_write, 0, 1, TLB_CONTROL_FLUSH_ALL, GPA_DATA, 0x6262);
	}
	ok &= expect_exit(env.vmcb, VMEXIT_VMMCALL) &
	      TAP_EXPECT_EQ("the page after the write",
			    *(volatile uint64_t *)npt.data, 0x6262);
	npt_reset();
	return ok;
}

/* L1 splits its 2 MiB leaf at GPA_2M into a PT whose page of the marker
 * is data2 (the others the same frames), then flushes. */
static int split_2m(void)
{
	uint64_t off = npt.marker_pa & 0x1fffff, base = npt.marker_pa & ~0x1fffffull;
	uint64_t *pt = env_page();
	int ok;

	if (!pt)
		return 0;
	npt_reset();
	run(l2_read, 0, 1, TLB_CONTROL_FLUSH_ALL, GPA_2M + off, 0);
	ok = read_sees("read through the 2 MiB leaf", NPT_MARKER_VALUE);
	for (unsigned i = 0; i < 512; i++)
		pt[i] = (base + i * PAGE_SIZE) | NPT_RWU;
	pt[off >> 12] = A(npt.data2) | NPT_RWU;
	npt.pd1_2m[0] = A(pt) | NPT_RWU;
	run(l2_read, 0, 1, TLB_CONTROL_FLUSH_ALL, GPA_2M + (off & ~7ull), 0);
	ok &= read_sees("read after the split", DATA2_PATTERN);
	/* and merged back */
	npt.pd1_2m[0] = base | NPT_RWU | PTE_PS;
	run(l2_read, 0, 1, TLB_CONTROL_FLUSH_ALL, GPA_2M + off, 0);
	ok &= read_sees("read after the merge", NPT_MARKER_VALUE);
	npt_reset();
	return ok;
}

/* L1 points its PDE at a copy of the PT with the data entry changed,
 * then flushes. */
static int pde_retarget(void)
{
	uint64_t *pt = env_page();
	int ok;

	if (!pt)
		return 0;
	npt_reset();
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok = read_sees("first read", DATA_PATTERN);
	for (unsigned i = 0; i < 512; i++)
		pt[i] = npt.pt1[i];
	pt[NPT_IDX_DATA] = A(npt.data2) | NPT_RWU;
	npt.pd1[0] = A(pt) | NPT_RWU;
	read_data(1, by_asid(TLB_CONTROL_FLUSH_ASID));
	ok &= read_sees("read after the flush: the new PT's page",
			DATA2_PATTERN);
	/* the old PT, no longer in the tree, changes: nothing L2 sees */
	npt.pt1[NPT_IDX_DATA] = 0;
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok &= read_sees("read after the old PT changed", DATA2_PATTERN);
	npt_reset();
	return ok;
}

/* The reflected #NPF's address, then L1 changes the table before its
 * next VMRUN (what nestvisor prefetches at that VMRUN).  No not-present
 * entry is cached, so L2's next access walks L1's tables as they are. */
static int prefetch(int how)
{
	uint64_t ncr3 = 0;
	int ok;

	npt_reset();
	npt.pt1[NPT_IDX_DATA] = 0;
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok = expect_npf(NPF_NP_READ, GPA_DATA);
	switch (how) {
	case 0: /* still not present */
		break;
	case 1: /* mapped, accessed and dirty already */
	case 2: /* the same on another nCR3 */
		npt.pt1[NPT_IDX_DATA] = A(npt.data2) | NPT_RWU | PTE_A | PTE_D;
		if (how == 2)
			ncr3 = y_root();
		break;
	default: /* mapped with A clear: the walk sets it */
		npt.pt1[NPT_IDX_DATA] = A(npt.data2) | NPT_RWU;
		break;
	}
	run(l2_read, ncr3, 1, TLB_CONTROL_DO_NOTHING, GPA_DATA, 0);
	if (how == 0 || how == 2)
		ok &= expect_npf(NPF_NP_READ, GPA_DATA);
	else
		ok &= read_sees("read after L1 mapped it", DATA2_PATTERN);
	if (how == 3)
		ok &= TAP_EXPECT_EQ("A set by the walk",
				    npt.pt1[NPT_IDX_DATA] & PTE_A, PTE_A);
	npt_reset();
	return ok;
}

static int prefetch_still_absent(void)
{
	return prefetch(0);
}

static int prefetch_mapped(void)
{
	return prefetch(1);
}

static int prefetch_other_ncr3(void)
{
	return prefetch(2);
}

static int prefetch_not_accessed(void)
{
	return prefetch(3);
}

/* Two ASIDs on one nCR3: L1 changes the entry and flushes only ASID 2
 * (TLB_CONTROL 3 at its VMRUN): ASID 2 sees the new page; ASID 1 may
 * still see the old one until its own flush. */
static int two_asids_one_ncr3(void)
{
	uint64_t flush3 = by_asid(TLB_CONTROL_FLUSH_ASID);
	int ok;

	npt_reset();
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok = read_sees("ASID 1 first read", DATA_PATTERN);
	read_data(2, TLB_CONTROL_DO_NOTHING);
	ok &= read_sees("ASID 2 first read", DATA_PATTERN);
	npt.pt1[NPT_IDX_DATA] = A(npt.data2) | NPT_RWU;
	read_data(2, (uint8_t)flush3);
	ok &= read_sees("ASID 2 after its flush", DATA2_PATTERN);
	read_data(1, TLB_CONTROL_DO_NOTHING);
	ok &= expect_exit(env.vmcb, VMEXIT_VMMCALL);
	if (g.rcx != DATA2_PATTERN)
		ok &= TAP_EXPECT_EQ("ASID 1 before its flush: the old page",
				    g.rcx, DATA_PATTERN);
	read_data(1, (uint8_t)flush3);
	ok &= read_sees("ASID 1 after its flush", DATA2_PATTERN);
	npt_reset();
	return ok;
}

/*
 * One table page at two levels: L1's PD of region 1 (npt.pd1) is also the
 * PT of GPA R1 + 2 MiB (pd1[1] points at pd1 itself), so GPA R1 + 2 MiB
 * is the page pd1[0] names as a leaf: npt.pt1.  L2 maps linear R1 + 4 MiB
 * to GPA R1 + 2 MiB (a 2 MiB page of its own tables) and reads pt1[0]
 * there.  L1 then points pd1[0] at a new PT (the data entry on data2) and
 * flushes: through either level L2 sees the new PT.
 */
static int table_at_two_levels(void)
{
	const uint64_t lin = R1 + (4ull << 20);
	uint64_t *pt = env_page();
	int ok;

	if (!pt)
		return 0;
	npt_reset();
	npt.pd1[1] = A(npt.pd1) | NPT_RWU;
	npt.l2_pd1[2] = (R1 + (2ull << 20)) | PTE_P | PTE_RW | PTE_PS;
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok = read_sees("GPA_DATA through pd1 as a PD", DATA_PATTERN);
	run(l2_read, 0, 1, TLB_CONTROL_DO_NOTHING, lin, 0);
	ok &= expect_exit(env.vmcb, VMEXIT_VMMCALL) &
	     TAP_EXPECT_EQ("pt1[0] through pd1 as a PT", g.rcx & PTE64_ADDR_4K,
			   A(npt.data));
	for (unsigned i = 0; i < 512; i++)
		pt[i] = npt.pt1[i];
	pt[NPT_IDX_DATA] = A(npt.data2) | NPT_RWU;
	npt.pd1[0] = A(pt) | NPT_RWU;
	read_data(1, by_asid(TLB_CONTROL_FLUSH_ASID));
	ok &= read_sees("GPA_DATA after the flush", DATA2_PATTERN);
	run(l2_read, 0, 1, TLB_CONTROL_DO_NOTHING, lin, 0);
	ok &= expect_exit(env.vmcb, VMEXIT_VMMCALL) &
	      TAP_EXPECT_EQ("the new PT's entry through pd1 as a PT",
			    g.rcx & PTE64_ADDR_4K, A(npt.data2));
	npt.pd1[1] = 0;
	npt.l2_pd1[2] = 0;
	npt_reset();
	return ok;
}

/*
 * TLB_CONTROL 1 at a VMRUN without nested paging flushes every ASID
 * (APM Vol. 2 §15.16), so ASID 1's translation of GPA_DATA, which L1 has
 * changed, is walked again at its next VMRUN.
 */
static int nonp_flush_all(void)
{
	struct vmcb *v = env.vmcb;
	int ok;

	npt_reset();
	read_data(1, TLB_CONTROL_FLUSH_ALL);
	ok = read_sees("first read", DATA_PATTERN);
	npt.pt1[NPT_IDX_DATA] = A(npt.data2) | NPT_RWU;
	vmcb_default(v, l2_vmmcall); /* NP off, TLB_CONTROL 1 */
	v->control.asid = 2;
	g = (struct l2_gprs){ 0 };
	l2_run(v, &g);
	ok &= expect_exit(v, VMEXIT_VMMCALL);
	read_data(1, TLB_CONTROL_DO_NOTHING);
	ok &= read_sees("read after the flush: the new page", DATA2_PATTERN);
	npt_reset();
	return ok;
}

/*
 * L1 changes an entry ASID 1 has cached after it switched to ASID 2 (on
 * nCR3 Y, with no region 1), then runs ASID 2 on the test NPT: ASID 2
 * never cached the old translation, so it reads the new page.
 */
static int write_after_asid_switch(void)
{
	uint64_t y = y_root();
	int ok;

	if (!y)
		return 0;
	npt_reset();
	run(l2_vmmcall, y, 2, TLB_CONTROL_FLUSH_ALL, 0, 0);
	ok = expect_exit(env.vmcb, VMEXIT_VMMCALL);
	read_data(1, TLB_CONTROL_DO_NOTHING);
	ok &= read_sees("ASID 1 read", DATA_PATTERN);
	run(l2_vmmcall, y, 2, TLB_CONTROL_DO_NOTHING, 0, 0);
	ok &= expect_exit(env.vmcb, VMEXIT_VMMCALL);
	npt.pt1[NPT_IDX_DATA] = A(npt.data2) | NPT_RWU;
	read_data(2, TLB_CONTROL_DO_NOTHING);
	ok &= read_sees("ASID 2's first read of it: the new page",
			DATA2_PATTERN);
	npt_reset();
	return ok;
}

/*
 * L2 rewrites the NPT entry (L1 maps its NPT into L2, as in cases_tlb.c)
 * while running in ASID 1, a store nestvisor does not see; ASID 2,
 * flushed and then run only on nCR3 Y (no region 1), has never cached
 * GPA_DATA: its first read walks L1's NPT as it is now.
 */
static int l2_write_new_asid(void)
{
	uint64_t y = y_root();
	int ok;

	if (!y)
		return 0;
	npt_reset();
	run(l2_vmmcall, y, 2, TLB_CONTROL_FLUSH_ALL, 0, 0);
	ok = expect_exit(env.vmcb, VMEXIT_VMMCALL);
	vmcb_default(env.vmcb, l2_read_write);
	vmcb_use_npt(env.vmcb);
	env.vmcb->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	g = (struct l2_gprs){ .rbx = GPA_DATA,
			      .rsi = A(&npt.pt1[NPT_IDX_DATA]),
			      .rdx = A(npt.data2) | NPT_RWU };
	l2_run(env.vmcb, &g);
	ok &= read_sees("ASID 1 read, then L2 remaps", DATA_PATTERN);
	read_data(2, TLB_CONTROL_DO_NOTHING);
	ok &= read_sees("ASID 2's first read of it: the new page",
			DATA2_PATTERN);
	npt_reset();
	return ok;
}

static const struct tap_case cases[] = {
	{ "unsync.p_to_0.tlb_control_1", p_to_0_flush_all },
	{ "unsync.p_to_0.tlb_control_3", p_to_0_flush_asid },
	{ "unsync.p_to_0.tlb_control_7", p_to_0_flush_asid_local },
	{ "unsync.p_to_0.invlpga", p_to_0_invlpga },
	{ "unsync.p_to_0.invlpga_elsewhere", p_to_0_invlpga_elsewhere },
	{ "unsync.frame.invlpga", frame_change_invlpga },
	{ "unsync.frame.new_asid", frame_change_new_asid },
	{ "unsync.frame.tlb_control_3", frame_change_flush_asid },
	{ "unsync.rw_to_ro.flush", rw_to_ro },
	{ "unsync.ro_to_rw.no_flush", ro_to_rw_no_flush },
	{ "unsync.split_merge_2m", split_2m },
	{ "unsync.pde_retarget", pde_retarget },
	{ "unsync.two_asids_one_ncr3", two_asids_one_ncr3 },
	{ "unsync.table_at_two_levels", table_at_two_levels },
	{ "prefetch.still_absent", prefetch_still_absent },
	{ "prefetch.mapped", prefetch_mapped },
	{ "prefetch.other_ncr3", prefetch_other_ncr3 },
	{ "prefetch.not_accessed", prefetch_not_accessed },
	{ "unsync.nonp_tlb_control_1", nonp_flush_all },
	{ "unsync.write_after_asid_switch", write_after_asid_switch },
	{ "unsync.l2_write_new_asid", l2_write_new_asid },
};

struct case_list unsync_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}

/* ---- findings: hardware and TCG pass these, nestvisor does not yet ---- */

/*
 * None is open now.  A finding's case is chosen here by its name after
 * "finding." among the load option words, and that name is listed in
 * unsync_findings (meson.build).
 */
struct case_list unsync_finding_cases(bool (*has_option)(const char *))
{
	(void)has_option;
	return (struct case_list){ 0, 0 };
}
