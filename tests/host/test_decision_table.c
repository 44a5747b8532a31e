// SPDX-License-Identifier: MIT
/*
 * The decision table of docs/semantics.md §5.1, one cmocka test per row,
 * and the two cases of §6.3 where has_pferr_fetch and KVM's earlier I/D rule
 * (efer_nx || cr4_smep of the same role) disagree.  Every expected EXITINFO1
 * is written from that table (the KUT / KVM selftest values it quotes),
 * never from the walker's output.  The NPT is 4-level (L1 in long mode, MAXPHYADDR 48)
 * mapping FX_GPA -> FX_OUT with 4 KiB pages.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "walk_fixture.h"

#define US    PTE_US
#define RW    PTE_RW
#define P     PTE_P
#define FINAL PFERR_GUEST_FINAL
#define PAGE  PFERR_GUEST_PAGE

/* Row 1: some level not present -> P=0, RW as access, US=1, ID* if fetch. */
static void row01_not_present(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, 0); /* leaf P=0 */
	fx_expect_fault(&f, FX_GPA, ACC_RD, FINAL | 0x4);       /* KUT npt_np */
	fx_expect_fault(&f, FX_GPA, ACC_WR, FINAL | 0x6);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x14);   /* NXE: ID */
	fx_expect_fault(&f, FX_GPA, ACC_PT, PAGE | 0x6);        /* K-SELF */
	assert_int_equal(fx_walk(&f, FX_GPA, ACC_RD).fault_level, 1);
	/* Not present higher up: same code. */
	gpt_set(&f.pt, FX_GPA, 3, 0);
	fx_expect_fault(&f, FX_GPA, ACC_RD, FINAL | 0x4);
	assert_int_equal(fx_walk(&f, FX_GPA, ACC_RD).fault_level, 3);
	fx_fini(&f);

	/* GMET: US is the CPL of the access (§5.2, KVM's emulated path). */
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, true);
	fx_map4k(&f, 0);
	fx_expect_fault(&f, FX_GPA, ACC_RD, FINAL | 0x0);
	fx_expect_fault(&f, FX_GPA, ACC_RD | CPL3, FINAL | 0x4);
	fx_expect_fault(&f, FX_GPA, ACC_PT, PAGE | 0x6);
	fx_fini(&f);
}

/* Row 2: reserved bit -> P|RSVD|US, RW as access, ID* if fetch; stage bit. */
static void row02_reserved(void **state)
{
	struct fx f;

	(void)state;
	/* Host NXE=0, SMEP=0: NX is the reserved bit; KUT rsvd 0x1_0000_000D. */
	fx_npt(&f, L1_CR4_PAE, L1_EFER_LM, false);
	fx_map4k(&f, P | RW | US | PTE_NX);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0xD);
	fx_expect_fault(&f, FX_GPA, ACC_RD, FINAL | 0xD);
	fx_expect_fault(&f, FX_GPA, ACC_WR, FINAL | 0xF);
	fx_fini(&f);

	/* Host NXE=1: +0x10 (a bit above MAXPHYADDR is the reserved bit). */
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | RW | US | (1ull << 50));
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x1D);
	fx_fini(&f);

	/* Host SMEP=1, NXE=0: +0x10 as well. */
	fx_npt(&f, L1_CR4_PAE | X86_CR4_SMEP, L1_EFER_LM, false);
	fx_map4k(&f, P | RW | US | PTE_NX);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x1D);
	fx_fini(&f);

	/* PT stage, reserved bit in the PML4E: 0x2_0000_000F, never ID. */
	fx_npt(&f, L1_CR4_PAE | X86_CR4_SMEP, L1_EFER_NX, false);
	fx_map4k(&f, P | RW | US);
	gpt_set(&f.pt, FX_GPA, 4, gpt_get(&f.pt, FX_GPA, 4) | PTE_G); /* AMD bit 8 */
	fx_expect_fault(&f, FX_GPA, ACC_PT, PAGE | 0xF);
	fx_expect_fault(&f, FX_GPA, ACC_PT | PFERR_FETCH, PAGE | 0xF);
	assert_int_equal(fx_walk(&f, FX_GPA, ACC_PT).fault_level, 4);
	fx_fini(&f);
}

/* Row 3: read, GMET=0, U=0 -> fault P|US = 0x1_0000_0005 (KUT npt_us). */
static void row03_read_supervisor_page(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | RW);
	fx_expect_fault(&f, FX_GPA, ACC_RD, FINAL | 0x5);
	/* Any CPL: the access is a user access without GMET. */
	fx_expect_fault(&f, FX_GPA, ACC_RD | CPL3, FINAL | 0x5);
	/* U=0 in a non-leaf entry makes the effective U 0 as well. */
	fx_map4k(&f, P | RW | US);
	gpt_set(&f.pt, FX_GPA, 3, gpt_get(&f.pt, FX_GPA, 3) & ~US);
	fx_expect_fault(&f, FX_GPA, ACC_RD, FINAL | 0x5);
	fx_fini(&f);
}

/* Row 4: write, GMET=0, U=0 or W=0 -> P|RW|US = 0x1_0000_0007 (KUT npt_rw). */
static void row04_write_readonly_or_supervisor(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | US);
	fx_expect_fault(&f, FX_GPA, ACC_WR, FINAL | 0x7);
	fx_map4k(&f, P | RW);
	fx_expect_fault(&f, FX_GPA, ACC_WR, FINAL | 0x7);
	/* W=0 in the PDE only. */
	fx_map4k(&f, P | RW | US);
	gpt_set(&f.pt, FX_GPA, 2, gpt_get(&f.pt, FX_GPA, 2) & ~RW);
	fx_expect_fault(&f, FX_GPA, ACC_WR, FINAL | 0x7);
	fx_expect_ok(&f, FX_GPA | 0x123, ACC_RD, FX_OUT | 0x123);
	fx_fini(&f);
}

/* Row 5: PT access, W=0 (or U=0 without GMET) -> 0x2_0000_0007, EXITINFO2 =
 * the GPA of the guest page-table page (KUT npt_rw_pfwalk, K-SELF). */
static void row05_page_table_access(void **state)
{
	struct fx f;
	struct walk_result r;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | US);
	r = fx_walk(&f, FX_GPA, ACC_PT);
	assert_true(r.fault);
	assert_int_equal(r.error_code, PAGE | 0x7);
	assert_int_equal(r.fault_addr, FX_GPA);
	fx_map4k(&f, P | RW);
	fx_expect_fault(&f, FX_GPA, ACC_PT, PAGE | 0x7);
	fx_fini(&f);

	/* GMET: U=0 is fine for page-table accesses, W=0 still faults. */
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, true);
	fx_map4k(&f, P | RW);
	fx_expect_ok(&f, FX_GPA, ACC_PT, FX_OUT);
	fx_map4k(&f, P);
	fx_expect_fault(&f, FX_GPA, ACC_PT, PAGE | 0x7);
	fx_fini(&f);
}

/* Row 6: fetch, GMET=0, U=0 -> P|US|ID*. */
static void row06_fetch_supervisor_page(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | RW);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x15);
	fx_fini(&f);
	fx_npt(&f, L1_CR4_PAE, L1_EFER_LM, false);         /* NXE=0, SMEP=0 */
	fx_map4k(&f, P | RW);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x5);
	fx_fini(&f);
	fx_npt(&f, L1_CR4_PAE | X86_CR4_SMEP, L1_EFER_LM, false); /* SMEP */
	fx_map4k(&f, P | RW);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x15);
	fx_fini(&f);
}

/* Row 7: fetch, NX=1, host NXE=1 -> 0x1_0000_0015 (KUT npt_nx); with GMET
 * and CPL 0 the US bit is 0: 0x1_0000_0011 (KUT npt_gmet_nx, US masked). */
static void row07_fetch_nx(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | RW | US | PTE_NX);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x15);
	fx_expect_ok(&f, FX_GPA, ACC_RD, FX_OUT);
	/* NX in a non-leaf entry is ORed into the effective rights. */
	fx_map4k(&f, P | RW | US);
	gpt_set(&f.pt, FX_GPA, 4, gpt_get(&f.pt, FX_GPA, 4) | PTE_NX);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x15);
	fx_fini(&f);

	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, true);
	fx_map4k(&f, P | RW | PTE_NX);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x11);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH | CPL3, FINAL | 0x15);
	fx_fini(&f);
}

/* Row 8: fetch, NX=1, host NXE=0 -> NX is reserved: row 2 applies. */
static void row08_fetch_nx_without_nxe(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_LM, false);
	fx_map4k(&f, P | RW | US | PTE_NX);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0xD);
	assert_int_equal(fx_walk(&f, FX_GPA, ACC_FETCH).fault_level, 1);
	fx_fini(&f);
}

/* Row 9: GMET, CPL 0-2 data access to U=0 with W ok -> no fault. */
static void row09_gmet_supervisor_data_on_supervisor_page(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, true);
	fx_map4k(&f, P | RW);
	fx_expect_ok(&f, FX_GPA | 0x8, ACC_RD, FX_OUT | 0x8);
	fx_expect_ok(&f, FX_GPA | 0x8, ACC_WR, FX_OUT | 0x8);
	fx_fini(&f);
}

/* Row 10: GMET, CPL 3 data access to U=0 -> no fault (U only for fetches). */
static void row10_gmet_user_data_on_supervisor_page(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, true);
	fx_map4k(&f, P | RW);
	fx_expect_ok(&f, FX_GPA, ACC_RD | CPL3, FX_OUT);
	fx_expect_ok(&f, FX_GPA, ACC_WR | CPL3, FX_OUT);
	fx_fini(&f);
}

/* Row 11: GMET, CPL 0-2 data access to U=1 -> no fault (no SMAP analogue). */
static void row11_gmet_supervisor_data_on_user_page(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE | X86_CR4_SMAP, L1_EFER_NX, true);
	fx_map4k(&f, P | RW | US);
	fx_expect_ok(&f, FX_GPA, ACC_RD, FX_OUT);
	fx_expect_ok(&f, FX_GPA, ACC_WR, FX_OUT);
	fx_fini(&f);
}

/* Row 12: GMET, write to W=0 -> fault even in supervisor mode. */
static void row12_gmet_write_readonly(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, true);
	fx_map4k(&f, P | US);
	fx_expect_fault(&f, FX_GPA, ACC_WR, FINAL | 0x3);
	fx_expect_fault(&f, FX_GPA, ACC_WR | CPL3, FINAL | 0x7);
	fx_fini(&f);
}

/* Row 13: GMET, CPL 0-2 fetch from U=1, NX=0 -> GMET trap, P|ID, US=0
 * (KUT npt_gmet_us = 0x1_0000_0011 with US masked). */
static void row13_gmet_supervisor_fetch_user_page(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, true);
	fx_map4k(&f, P | RW | US);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x11);
	fx_fini(&f);
}

/* Row 14: GMET, CPL 0-2 fetch from U=0, NX=0 -> no fault. */
static void row14_gmet_supervisor_fetch_supervisor_page(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, true);
	fx_map4k(&f, P | RW);
	fx_expect_ok(&f, FX_GPA, ACC_FETCH, FX_OUT);
	fx_fini(&f);
}

/* Row 15: GMET, CPL 3 fetch, U=0 or U=1, NX=0 -> no fault. */
static void row15_gmet_user_fetch(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, true);
	fx_map4k(&f, P | RW);
	fx_expect_ok(&f, FX_GPA, ACC_FETCH | CPL3, FX_OUT);
	fx_map4k(&f, P | RW | US);
	fx_expect_ok(&f, FX_GPA, ACC_FETCH | CPL3, FX_OUT);
	fx_fini(&f);
}

/* §6.3 (a): L1 NXE=0, SMEP=0, GMET=1.  A GMET violation reports no ID; the
 * earlier rule (efer_nx || cr4_smep, cr4_smep meaning GMET) would add it. */
static void pferr_fetch_gmet_violation_without_nxe_smep(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_LM, true);
	assert_int_equal(f.w.role.base.efer_nx | f.w.role.base.cr4_smep, 1);
	assert_int_equal(f.w.role.ext.has_pferr_fetch, 0);
	fx_map4k(&f, P | RW | US);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x1);
	fx_fini(&f);
}

/* §6.3 (b): L1 SMEP=1, NXE=0, GMET=0.  A not-present fetch reports ID; the
 * earlier rule (cr4_smep overwritten with GMET=0) would omit it. */
static void pferr_fetch_not_present_with_smep_no_gmet(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE | X86_CR4_SMEP, L1_EFER_LM, false);
	assert_int_equal(f.w.role.base.efer_nx | f.w.role.base.cr4_smep, 0);
	assert_int_equal(f.w.role.ext.has_pferr_fetch, 1);
	fx_map4k(&f, 0);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, FINAL | 0x14);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(row01_not_present),
		cmocka_unit_test(row02_reserved),
		cmocka_unit_test(row03_read_supervisor_page),
		cmocka_unit_test(row04_write_readonly_or_supervisor),
		cmocka_unit_test(row05_page_table_access),
		cmocka_unit_test(row06_fetch_supervisor_page),
		cmocka_unit_test(row07_fetch_nx),
		cmocka_unit_test(row08_fetch_nx_without_nxe),
		cmocka_unit_test(row09_gmet_supervisor_data_on_supervisor_page),
		cmocka_unit_test(row10_gmet_user_data_on_supervisor_page),
		cmocka_unit_test(row11_gmet_supervisor_data_on_user_page),
		cmocka_unit_test(row12_gmet_write_readonly),
		cmocka_unit_test(row13_gmet_supervisor_fetch_user_page),
		cmocka_unit_test(row14_gmet_supervisor_fetch_supervisor_page),
		cmocka_unit_test(row15_gmet_user_fetch),
		cmocka_unit_test(pferr_fetch_gmet_violation_without_nxe_smep),
		cmocka_unit_test(pferr_fetch_not_present_with_smep_no_gmet),
	};

	return cmocka_run_group_tests_name("decision_table", tests, NULL, NULL);
}
