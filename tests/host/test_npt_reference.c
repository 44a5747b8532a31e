// SPDX-License-Identifier: MIT
/*
 * Anchors for the naive NPT reference model (npt_reference.c): each test is
 * one #NPF that docs/semantics.md quotes with its EXITINFO1 value, most of
 * them measured on hardware by kvm-unit-tests (§5.1, §6.3, and the
 * "hardware" column of §10.2).  If the model drifts from these, the
 * exhaustive comparison with mm/walk.c means nothing.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "npt_reference.h"

/* A leaf-only pattern: all four levels present, W=1, U=1, NX=0. */
static void all_ok(struct npt_ref_entry e[NPT_REF_LEVELS])
{
	for (int i = 0; i < NPT_REF_LEVELS; i++)
		e[i] = (struct npt_ref_entry){ .p = true, .w = true, .u = true };
}

#define LEAF 3 /* index of the PTE */

/* kvm-unit-tests runs its L1 with EFER.NXE=1, CR4.SMEP=0. */
static const struct npt_ref_host kut_host = { .efer_nx = true, .cr0_wp = true };
static const struct npt_ref_host kut_gmet = { .gmet = true, .efer_nx = true,
					      .cr0_wp = true };

/* KUT npt_np: read of a page whose NPT PTE is not present. */
static void test_ref_npt_np(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	e[LEAF].p = false;
	struct npt_ref_result r = npt_reference(e, NPT_REF_READ, 0, &kut_host);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1, 0x100000004ull);
	assert_int_equal(r.fault_level, 1);
}

/* KUT npt_us: read of a page whose NPT PTE has U=0 (GMET off). */
static void test_ref_npt_us(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	e[LEAF].u = false;
	struct npt_ref_result r = npt_reference(e, NPT_REF_READ, 0, &kut_host);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1, 0x100000005ull);
	assert_int_equal(r.fault_level, 0);
}

/* KUT npt_rw: write to a page whose NPT PTE has W=0. */
static void test_ref_npt_rw(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	e[LEAF].w = false;
	struct npt_ref_result r = npt_reference(e, NPT_REF_WRITE, 0, &kut_host);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1, 0x100000007ull);
}

/* KUT npt_nx: fetch from a page whose NPT PTE has NX=1, host NXE=1. */
static void test_ref_npt_nx(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	e[LEAF].nx = true;
	struct npt_ref_result r = npt_reference(e, NPT_REF_FETCH, 0, &kut_host);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1, 0x100000015ull);
}

/* KUT npt_rw_pfwalk: the guest's page-table page is read-only in the NPT;
 * the CPU's page-table access faults at the page-table stage. */
static void test_ref_npt_rw_pfwalk(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	e[LEAF].w = false;
	struct npt_ref_result r = npt_reference(e, NPT_REF_PT, 0, &kut_host);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1, 0x200000007ull);
}

/* KUT rsvd test: a reserved bit, final stage, fetch: 0xD, plus 0x10 when
 * host NXE or host SMEP; guest NX/SMEP do not matter (§5.1 row 2). */
static void test_ref_rsvd_final_fetch(void **state)
{
	(void)state;
	for (unsigned nxe = 0; nxe < 2; nxe++) {
		for (unsigned smep = 0; smep < 2; smep++) {
			struct npt_ref_host h = { .efer_nx = nxe, .cr4_smep = smep };
			struct npt_ref_entry e[NPT_REF_LEVELS];
			all_ok(e);
			e[1].rsvd = true;
			struct npt_ref_result r =
				npt_reference(e, NPT_REF_FETCH, 0, &h);
			assert_true(r.fault);
			assert_int_equal(r.exitinfo1, (nxe || smep) ?
					 0x10000001Dull : 0x10000000Dull);
			assert_int_equal(r.fault_level, 3);
		}
	}
}

/* KUT rsvd test, page-table stage: 0x2_0000_000F, never I/D. */
static void test_ref_rsvd_pt_stage(void **state)
{
	(void)state;
	struct npt_ref_host h = { .efer_nx = true, .cr4_smep = true };
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	e[0].rsvd = true;
	struct npt_ref_result r = npt_reference(e, NPT_REF_PT, 3, &h);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1, 0x20000000Full);
	assert_int_equal(r.fault_level, 4);
}

/* §5.1 row 8 and KUT: host NXE=0 makes NX a reserved bit. */
static void test_ref_nx_reserved_without_nxe(void **state)
{
	(void)state;
	struct npt_ref_host h = { 0 };
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	e[2].nx = true;
	struct npt_ref_result r = npt_reference(e, NPT_REF_READ, 0, &h);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1, 0x10000000Dull);
	assert_int_equal(r.fault_level, 2);
}

/* §10.2, not-present rows (same as hardware): write and fetch. */
static void test_ref_np_write_fetch(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	e[0].p = false;
	struct npt_ref_result w = npt_reference(e, NPT_REF_WRITE, 0, &kut_host);
	struct npt_ref_result f = npt_reference(e, NPT_REF_FETCH, 0, &kut_host);
	assert_int_equal(w.exitinfo1, 0x100000006ull);
	assert_int_equal(f.exitinfo1, 0x100000014ull);
	/* Guest page-table page not present: 0x2_0000_0006. */
	struct npt_ref_result p = npt_reference(e, NPT_REF_PT, 0, &kut_host);
	assert_int_equal(p.exitinfo1, 0x200000006ull);
}

/* KUT npt_gmet_us: GMET on, supervisor fetch from a U=1 page:
 * 0x1_0000_0011 with US masked (erratum 1218); the model gives US=CPL==3. */
static void test_ref_gmet_us(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	struct npt_ref_result r = npt_reference(e, NPT_REF_FETCH, 0, &kut_gmet);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1 & ~0x4ull, 0x100000011ull);
	assert_int_equal(r.exitinfo1 & 0x4ull, 0);
	/* The same fetch from CPL 3 is allowed (row 15). */
	r = npt_reference(e, NPT_REF_FETCH, 3, &kut_gmet);
	assert_false(r.fault);
}

/* KUT npt_gmet_nx: GMET on, supervisor fetch from an NX page (U=0). */
static void test_ref_gmet_nx(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	e[LEAF].u = false;
	e[LEAF].nx = true;
	struct npt_ref_result r = npt_reference(e, NPT_REF_FETCH, 0, &kut_gmet);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1 & ~0x4ull, 0x100000011ull);
}

/* KUT npt_gmet_null: GMET on, code and data pages U=0, supervisor guest:
 * reads, writes, fetches all succeed (rows 9, 14); the page-table access
 * ignores U too (row 5). */
static void test_ref_gmet_null(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	all_ok(e);
	e[LEAF].u = false;
	assert_false(npt_reference(e, NPT_REF_READ, 0, &kut_gmet).fault);
	assert_false(npt_reference(e, NPT_REF_WRITE, 0, &kut_gmet).fault);
	assert_false(npt_reference(e, NPT_REF_PT, 0, &kut_gmet).fault);
	struct npt_ref_result r = npt_reference(e, NPT_REF_FETCH, 0, &kut_gmet);
	assert_false(r.fault);
	assert_true(r.eff_w);
	assert_false(r.eff_u);
	assert_true(r.eff_x);
}

/* §6.3: why has_pferr_fetch is L1's NXE || L1's real SMEP. */
static void test_ref_has_pferr_fetch(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	/* NXE=0, SMEP=0, GMET=1: a GMET violation has no ID bit. */
	struct npt_ref_host g = { .gmet = true };
	all_ok(e);
	struct npt_ref_result r = npt_reference(e, NPT_REF_FETCH, 0, &g);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1, 0x100000001ull);
	/* SMEP=1, NXE=0, GMET=0: a not-present fetch has the ID bit. */
	struct npt_ref_host s = { .cr4_smep = true };
	e[LEAF].p = false;
	r = npt_reference(e, NPT_REF_FETCH, 0, &s);
	assert_int_equal(r.exitinfo1, 0x100000014ull);
}

/* Rows 12 and 4: W=0 faults a supervisor write even with L1 CR0.WP=0 and
 * with GMET on; effective rights are ANDs (W, U) and a NOR (NX). */
static void test_ref_wp_ignored_and_rights(void **state)
{
	(void)state;
	struct npt_ref_entry e[NPT_REF_LEVELS];
	struct npt_ref_host h = { .gmet = true, .efer_nx = true, .cr0_wp = false };
	all_ok(e);
	e[0].w = false;
	struct npt_ref_result r = npt_reference(e, NPT_REF_WRITE, 0, &h);
	assert_true(r.fault);
	assert_int_equal(r.exitinfo1, 0x100000003ull);
	r = npt_reference(e, NPT_REF_READ, 0, &h);
	assert_false(r.fault);
	assert_false(r.eff_w);
	assert_true(r.eff_u);
	assert_true(r.eff_x);
	e[1].nx = true;
	r = npt_reference(e, NPT_REF_READ, 3, &h);
	assert_false(r.fault);
	assert_false(r.eff_x);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_ref_npt_np),
		cmocka_unit_test(test_ref_npt_us),
		cmocka_unit_test(test_ref_npt_rw),
		cmocka_unit_test(test_ref_npt_nx),
		cmocka_unit_test(test_ref_npt_rw_pfwalk),
		cmocka_unit_test(test_ref_rsvd_final_fetch),
		cmocka_unit_test(test_ref_rsvd_pt_stage),
		cmocka_unit_test(test_ref_nx_reserved_without_nxe),
		cmocka_unit_test(test_ref_np_write_fetch),
		cmocka_unit_test(test_ref_gmet_us),
		cmocka_unit_test(test_ref_gmet_nx),
		cmocka_unit_test(test_ref_gmet_null),
		cmocka_unit_test(test_ref_has_pferr_fetch),
		cmocka_unit_test(test_ref_wp_ignored_and_rights),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
