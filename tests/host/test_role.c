// SPDX-License-Identifier: MIT
/*
 * cpu_role / root_role, field by field, against docs/semantics.md §3.1
 * (base), §3.2 (ext), §3.3 (order of computation) and §6 (has_pferr_fetch).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mm/role.h"

#define PG_WP (X86_CR0_PG | X86_CR0_WP)

static union cpu_role regs_role(uint64_t cr0, uint64_t cr4, uint64_t efer,
				bool guest_mode)
{
	struct paging_regs r = { cr0, cr4, efer, guest_mode };

	return cpu_role_from_regs(&r);
}

/* Fields that are never set by either computation. */
static void assert_unused_zero(union cpu_role r)
{
	assert_int_equal(r.base.quadrant, 0);
	assert_int_equal(r.base.invalid, 0);
	assert_int_equal(r.base.ad_disabled, 0);
	assert_int_equal(r.base.passthrough, 0);
	assert_int_equal(r.base.is_mirror, 0);
	assert_int_equal(r.base.smm, 0);
	assert_int_equal(r.ext.execonly, 0);
	assert_int_equal(r.ext.unused, 0);
}

/* CR0.PG=0: direct, level 0, and efer_nx/cr4_smep/has_pferr_fetch stay 0
 * even with NXE and SMEP set (§3.2, "Paging off"). */
static void paging_off_is_direct(void **state)
{
	union cpu_role r;

	(void)state;
	r = regs_role(X86_CR0_WP, X86_CR4_SMEP | X86_CR4_PAE | X86_CR4_SMAP,
		      X86_EFER_NXE, true);
	assert_int_equal(r.base.direct, 1);
	assert_int_equal(r.base.level, 0);
	assert_int_equal(r.base.efer_nx, 0);
	assert_int_equal(r.base.cr4_smep, 0);
	assert_int_equal(r.base.cr0_wp, 0);
	assert_int_equal(r.base.smap_andnot_wp, 0);
	assert_int_equal(r.base.has_4_byte_gpte, 0);
	assert_int_equal(r.ext.has_pferr_fetch, 0);
	assert_int_equal(r.ext.cr4_smap, 0);
	assert_int_equal(r.base.access, ACC_ALL);
	assert_int_equal(r.base.guest_mode, 1);
	assert_int_equal(r.ext.valid, 1);
	assert_unused_zero(r);
}

static void legacy_two_level(void **state)
{
	union cpu_role r;

	(void)state;
	r = regs_role(PG_WP, X86_CR4_PSE, 0, false);
	assert_int_equal(r.base.level, 2);
	assert_int_equal(r.base.has_4_byte_gpte, 1);
	assert_int_equal(r.base.direct, 0);
	assert_int_equal(r.base.cr0_wp, 1);
	assert_int_equal(r.base.guest_mode, 0);
	assert_int_equal(r.ext.cr4_pse, 1);
	assert_int_equal(r.ext.efer_lma, 0);
	assert_int_equal(r.ext.has_pferr_fetch, 0);
	assert_int_equal(r.base.access, ACC_ALL);
	assert_int_equal(r.ext.valid, 1);
	assert_unused_zero(r);
	/* NXE without PAE: efer_nx and has_pferr_fetch follow EFER (§6.4). */
	r = regs_role(X86_CR0_PG, 0, X86_EFER_NXE, false);
	assert_int_equal(r.base.efer_nx, 1);
	assert_int_equal(r.base.cr0_wp, 0);
	assert_int_equal(r.ext.cr4_pse, 0);
	assert_int_equal(r.ext.has_pferr_fetch, 1);
}

static void pae_three_level(void **state)
{
	union cpu_role r;

	(void)state;
	/* LA57 and PKE only count under LMA. */
	r = regs_role(PG_WP, X86_CR4_PAE | X86_CR4_LA57 | X86_CR4_PKE,
		      X86_EFER_NXE, false);
	assert_int_equal(r.base.level, 3);
	assert_int_equal(r.base.has_4_byte_gpte, 0);
	assert_int_equal(r.base.efer_nx, 1);
	assert_int_equal(r.ext.cr4_la57, 0);
	assert_int_equal(r.ext.cr4_pke, 0);
	assert_int_equal(r.ext.efer_lma, 0);
	assert_int_equal(r.ext.has_pferr_fetch, 1);
	assert_unused_zero(r);
}

static void long_mode_four_and_five_level(void **state)
{
	uint64_t efer = X86_EFER_LME | X86_EFER_LMA;
	union cpu_role r;

	(void)state;
	r = regs_role(PG_WP, X86_CR4_PAE | X86_CR4_PKE, efer, true);
	assert_int_equal(r.base.level, 4);
	assert_int_equal(r.ext.efer_lma, 1);
	assert_int_equal(r.ext.cr4_pke, 1);
	assert_int_equal(r.ext.cr4_la57, 0);
	assert_int_equal(r.base.guest_mode, 1);
	r = regs_role(PG_WP, X86_CR4_PAE | X86_CR4_LA57, efer, false);
	assert_int_equal(r.base.level, 5);
	assert_int_equal(r.ext.cr4_la57, 1);
	assert_int_equal(r.ext.cr4_pke, 0);
	assert_unused_zero(r);
}

/*
 * EFER.LMA without CR4.PAE is no mode a CPU runs in (clearing PAE in long
 * mode is #GP, APM Vol. 3 "MOV CRn"), but VMRUN does not check LMA
 * (docs/semantics.md §8.3), so an L2's saved state can carry it.  Long mode
 * only has 8-byte entries (APM §5.3): such a role walks 4 or 5 levels of
 * 8-byte entries, never 4 levels of 4-byte ones.
 */
static void long_mode_without_pae(void **state)
{
	uint64_t efer = X86_EFER_LMA;
	union cpu_role r;

	(void)state;
	r = regs_role(PG_WP, X86_CR4_PSE, efer, false);
	assert_int_equal(r.base.level, 4);
	assert_int_equal(r.base.has_4_byte_gpte, 0);
	r = regs_role(PG_WP, X86_CR4_LA57, efer | X86_EFER_LME, false);
	assert_int_equal(r.base.level, 5);
	assert_int_equal(r.base.has_4_byte_gpte, 0);
	r = cpu_role_shadow_npt(0, efer | X86_EFER_NXE, false);
	assert_int_equal(r.base.level, 4);
	assert_int_equal(r.base.has_4_byte_gpte, 0);
}

static void smep_smap_wp(void **state)
{
	uint64_t efer = X86_EFER_LME | X86_EFER_LMA;
	uint64_t cr4 = X86_CR4_PAE | X86_CR4_SMEP | X86_CR4_SMAP;
	union cpu_role r;

	(void)state;
	r = regs_role(X86_CR0_PG, cr4, efer, false);
	assert_int_equal(r.base.cr4_smep, 1);
	assert_int_equal(r.ext.cr4_smap, 1);
	assert_int_equal(r.base.cr0_wp, 0);
	assert_int_equal(r.base.smap_andnot_wp, 1);
	assert_int_equal(r.ext.has_pferr_fetch, 1);
	r = regs_role(PG_WP, cr4, efer, false);
	assert_int_equal(r.base.smap_andnot_wp, 0);
	assert_int_equal(r.base.cr0_wp, 1);
}

/* Ordinary paging: has_pferr_fetch = EFER.NXE | CR4.SMEP, all four cases. */
static void pferr_fetch_ordinary(void **state)
{
	(void)state;
	for (unsigned nx = 0; nx < 2; nx++)
		for (unsigned smep = 0; smep < 2; smep++) {
			union cpu_role r = regs_role(PG_WP,
				X86_CR4_PAE | (smep ? X86_CR4_SMEP : 0),
				X86_EFER_LME | X86_EFER_LMA | (nx ? X86_EFER_NXE : 0),
				false);

			assert_int_equal(r.ext.has_pferr_fetch, nx | smep);
			assert_int_equal(r.base.cr4_smep, smep);
			assert_int_equal(r.base.efer_nx, nx);
		}
}

/* Shadow NPT, field by field (§3.1/§3.2, shadow-NPT columns). */
static void shadow_npt_fields(void **state)
{
	uint64_t cr4 = X86_CR4_PAE | X86_CR4_PSE | X86_CR4_SMEP | X86_CR4_SMAP |
		       X86_CR4_PKE;
	uint64_t efer = X86_EFER_LME | X86_EFER_LMA;
	union cpu_role r;

	(void)state;
	r = cpu_role_shadow_npt(cr4, efer, false);
	assert_int_equal(r.base.level, 4);
	assert_int_equal(r.base.has_4_byte_gpte, 0);
	assert_int_equal(r.base.direct, 0);
	assert_int_equal(r.base.access, ACC_ALL);
	assert_int_equal(r.base.efer_nx, 0);
	assert_int_equal(r.base.cr0_wp, 1);        /* forced */
	assert_int_equal(r.base.smap_andnot_wp, 0);
	assert_int_equal(r.base.guest_mode, 1);
	assert_int_equal(r.base.cr4_smep, 0);      /* GMET off, despite SMEP */
	assert_int_equal(r.ext.valid, 1);
	assert_int_equal(r.ext.cr4_pse, 1);
	assert_int_equal(r.ext.cr4_pke, 0);        /* masked */
	assert_int_equal(r.ext.cr4_smap, 0);       /* masked */
	assert_int_equal(r.ext.cr4_la57, 0);
	assert_int_equal(r.ext.efer_lma, 1);
	assert_int_equal(r.ext.has_pferr_fetch, 1); /* real SMEP */
	assert_unused_zero(r);

	r = cpu_role_shadow_npt(X86_CR4_PAE | X86_CR4_LA57, efer | X86_EFER_NXE, true);
	assert_int_equal(r.base.level, 5);
	assert_int_equal(r.ext.cr4_la57, 1);
	assert_int_equal(r.base.efer_nx, 1);
	assert_int_equal(r.base.cr4_smep, 1);      /* GMET */
	assert_int_equal(r.ext.has_pferr_fetch, 1);

	/* 32-bit L1 hosts: PAE -> 3-level NPT, no PAE -> 2-level, 4-byte. */
	r = cpu_role_shadow_npt(X86_CR4_PAE, 0, false);
	assert_int_equal(r.base.level, 3);
	r = cpu_role_shadow_npt(X86_CR4_PSE, 0, true);
	assert_int_equal(r.base.level, 2);
	assert_int_equal(r.base.has_4_byte_gpte, 1);
	assert_int_equal(r.ext.has_pferr_fetch, 0);
}

/* Every role input: has_pferr_fetch = L1.NXE | L1.SMEP whatever GMET is,
 * and base.cr4_smep = GMET whatever L1's SMEP is (§6.2). */
static void shadow_npt_pferr_fetch_all_inputs(void **state)
{
	static const uint64_t cr4_bits[] = { X86_CR4_PSE, X86_CR4_PAE,
		X86_CR4_LA57, X86_CR4_SMEP, X86_CR4_SMAP, X86_CR4_PKE };
	static const uint64_t efer_bits[] = { X86_EFER_LME, X86_EFER_LMA,
		X86_EFER_NXE };
	unsigned n = 0;

	(void)state;
	for (unsigned c = 0; c < 64; c++)
		for (unsigned e = 0; e < 8; e++)
			for (unsigned g = 0; g < 2; g++) {
				uint64_t cr4 = 0, efer = 0;
				union cpu_role r;

				for (unsigned i = 0; i < 6; i++)
					if (c & (1u << i))
						cr4 |= cr4_bits[i];
				for (unsigned i = 0; i < 3; i++)
					if (e & (1u << i))
						efer |= efer_bits[i];
				r = cpu_role_shadow_npt(cr4, efer, g);
				assert_int_equal(r.ext.has_pferr_fetch,
					!!(efer & X86_EFER_NXE) | !!(cr4 & X86_CR4_SMEP));
				assert_int_equal(r.base.cr4_smep, g);
				assert_int_equal(r.base.efer_nx, !!(efer & X86_EFER_NXE));
				assert_int_equal(r.base.cr0_wp, 1);
				assert_int_equal(r.base.guest_mode, 1);
				assert_int_equal(r.base.direct, 0);
				assert_int_equal(r.ext.cr4_smap | r.ext.cr4_pke |
						 r.base.smap_andnot_wp, 0);
				n++;
			}
	assert_int_equal(n, 1024);
}

/* root_role: L0's depth, passthrough when L0 has more levels, GMET kept. */
static void root_role_npt(void **state)
{
	uint64_t efer = X86_EFER_LME | X86_EFER_LMA | X86_EFER_NXE;
	union cpu_role l1_4 = cpu_role_shadow_npt(X86_CR4_PAE, efer, false);
	union cpu_role l1_4g = cpu_role_shadow_npt(X86_CR4_PAE, efer, true);
	union mmu_page_role a, b;

	(void)state;
	a = root_role_shadow_npt(l1_4, 4);
	assert_int_equal(a.level, 4);
	assert_int_equal(a.passthrough, 0);
	assert_int_equal(a.cr4_smep, 0);
	assert_int_equal(a.guest_mode, 1);
	assert_int_equal(a.direct, 0);
	a = root_role_shadow_npt(l1_4, 5);
	assert_int_equal(a.level, 5);
	assert_int_equal(a.passthrough, 1);
	b = root_role_shadow_npt(l1_4g, 5);
	assert_int_equal(b.cr4_smep, 1);
	assert_true(a.word != b.word); /* GMET/non-GMET shadows never shared */
	a = root_role_shadow_npt(cpu_role_shadow_npt(X86_CR4_PAE | X86_CR4_LA57,
						     efer, false), 5);
	assert_int_equal(a.passthrough, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(paging_off_is_direct),
		cmocka_unit_test(legacy_two_level),
		cmocka_unit_test(pae_three_level),
		cmocka_unit_test(long_mode_four_and_five_level),
		cmocka_unit_test(long_mode_without_pae),
		cmocka_unit_test(smep_smap_wp),
		cmocka_unit_test(pferr_fetch_ordinary),
		cmocka_unit_test(shadow_npt_fields),
		cmocka_unit_test(shadow_npt_pferr_fetch_all_inputs),
		cmocka_unit_test(root_role_npt),
	};

	return cmocka_run_group_tests_name("role", tests, NULL, NULL);
}
