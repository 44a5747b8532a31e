// SPDX-License-Identifier: MIT
/*
 * pagewalk_init(): the permission table (docs/semantics.md §4.2, ordinary
 * #PF rules WP/SMEP/SMAP/NX, NPT rules of §5) and the reserved-bit masks
 * (§5 format rules, §9 step 2; choices documented in docs/mmu.md §4).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "mm/pte.h"
#include "mm/walk.h"

#define R  ACC_READ
#define W  ACC_WRITE
#define U  ACC_USER
#define X  ACC_EXEC
#define PW PFERR_WRITE
#define PU PFERR_USER
#define PF PFERR_FETCH
#define LM (X86_EFER_LME | X86_EFER_LMA)

static struct pagewalk ordinary(uint64_t cr0, uint64_t cr4, uint64_t efer)
{
	struct paging_regs regs = { X86_CR0_PG | cr0, X86_CR4_PAE | cr4, LM | efer, false };
	struct mm_cpu cpu = { 48, true };
	struct pagewalk w;

	pagewalk_init(&w, cpu_role_from_regs(&regs), false, &cpu);
	return w;
}

static struct pagewalk npt(uint64_t cr4, uint64_t efer, bool gmet)
{
	struct mm_cpu cpu = { 48, true };
	struct pagewalk w;

	pagewalk_init(&w, cpu_role_shadow_npt(X86_CR4_PAE | cr4, LM | efer, gmet),
		      true, &cpu);
	return w;
}

static void wp_controls_supervisor_writes(void **state)
{
	struct pagewalk w = ordinary(0, 0, 0);

	(void)state;
	assert_false(permission_fault(&w, PW, R | U | X));      /* WP=0 */
	assert_true(permission_fault(&w, PW | PU, R | U | X));  /* user */
	assert_false(permission_fault(&w, PW | PU, R | W | U));
	w = ordinary(X86_CR0_WP, 0, 0);
	assert_true(permission_fault(&w, PW, R | U | X));
	assert_true(permission_fault(&w, PW, R));
	assert_false(permission_fault(&w, PW, R | W));
}

static void user_bit_ordinary(void **state)
{
	struct pagewalk w = ordinary(X86_CR0_WP, 0, 0);

	(void)state;
	assert_true(permission_fault(&w, PU, R | W | X));
	assert_true(permission_fault(&w, PU | PF, R | W | X));
	assert_false(permission_fault(&w, PU, R | U));
	assert_false(permission_fault(&w, 0, R | U));   /* no SMAP */
	assert_false(permission_fault(&w, 0, R));
}

static void smep_blocks_supervisor_fetch_from_user(void **state)
{
	struct pagewalk w = ordinary(X86_CR0_WP, X86_CR4_SMEP, 0);

	(void)state;
	assert_true(permission_fault(&w, PF, R | U | X));
	assert_false(permission_fault(&w, PF | PU, R | U | X));
	assert_false(permission_fault(&w, PF, R | X));
	assert_false(permission_fault(&w, 0, R | U)); /* data: not SMEP */
	assert_int_equal(permission_rules(&w, PF, R | U | X), PERM_RULE_SMEP);
	w = ordinary(X86_CR0_WP, 0, 0);
	assert_false(permission_fault(&w, PF, R | U | X));
}

static void smap_and_its_override(void **state)
{
	struct pagewalk w = ordinary(X86_CR0_WP, X86_CR4_SMAP, 0);

	(void)state;
	assert_true(permission_fault(&w, 0, R | W | U));
	assert_true(permission_fault(&w, PW, R | W | U));
	assert_false(permission_fault(&w, WALK_SMAP_OVERRIDE, R | W | U));
	assert_false(permission_fault(&w, PW | WALK_SMAP_OVERRIDE, R | W | U));
	assert_false(permission_fault(&w, PU, R | W | U));
	assert_false(permission_fault(&w, PF, R | U | X)); /* fetch: not SMAP */
	assert_false(permission_fault(&w, 0, R | W));
	assert_int_equal(permission_rules(&w, 0, R | U), PERM_RULE_SMAP);
}

static void nx_only_with_nxe(void **state)
{
	struct pagewalk w = ordinary(X86_CR0_WP, 0, X86_EFER_NXE);

	(void)state;
	assert_true(permission_fault(&w, PF, R | W));
	assert_true(permission_fault(&w, PF | PU, R | W | U));
	assert_false(permission_fault(&w, PF, R | X));
	assert_false(permission_fault(&w, 0, R | W));
	assert_int_equal(permission_rules(&w, PF | PU, R | U), PERM_RULE_NX);
	w = ordinary(X86_CR0_WP, 0, 0);
	assert_false(permission_fault(&w, PF, R));
}

static void read_needs_present(void **state)
{
	struct pagewalk w = ordinary(X86_CR0_WP, 0, 0);

	(void)state;
	assert_true(permission_fault(&w, 0, 0));
	assert_true(permission_fault(&w, PU, U | W | X));
	assert_int_equal(permission_rules(&w, 0, W | U | X), PERM_RULE_READ);
}

/* NPT without GMET: every access arrives as a user access (walk.c), so the
 * user term faults U=0 pages; supervisor-ness never matters. */
static void npt_without_gmet(void **state)
{
	struct pagewalk w = npt(X86_CR4_SMEP | X86_CR4_SMAP, X86_EFER_NXE, false);

	(void)state;
	assert_true(permission_fault(&w, PU, R | W | X));
	assert_true(permission_fault(&w, PU | PW, R | W | X));
	assert_true(permission_fault(&w, PU | PF, R | W | X));
	assert_true(permission_fault(&w, PU | PW, R | U | X));
	assert_true(permission_fault(&w, PU | PF, R | U | W));
	assert_false(permission_fault(&w, PU | PW, R | W | U));
	/* L1's SMEP and SMAP are not NPT rules. */
	assert_false(permission_fault(&w, PF, R | W | U | X));
	assert_false(permission_fault(&w, 0, R | W | U | X));
	/* WP forced: a supervisor write to W=0 faults too. */
	assert_true(permission_fault(&w, PW, R | U));
}

/* NPT with GMET: the user term is dropped; supervisor fetches from U=1 fault. */
static void npt_with_gmet(void **state)
{
	struct pagewalk w = npt(0, X86_EFER_NXE, true);

	(void)state;
	assert_false(permission_fault(&w, PU, R | W | X));
	assert_false(permission_fault(&w, PU | PW, R | W | X));
	assert_false(permission_fault(&w, 0, R | W | U | X));
	assert_false(permission_fault(&w, PU | PF, R | X));
	assert_false(permission_fault(&w, PU | PF, R | U | X));
	assert_false(permission_fault(&w, PF, R | X));
	assert_true(permission_fault(&w, PF, R | U | X));
	assert_int_equal(permission_rules(&w, PF, R | U | X), PERM_RULE_SMEP);
	assert_true(permission_fault(&w, PW, R | U | X));
	assert_true(permission_fault(&w, PF, R | W));   /* NX */
	/* GMET without NXE still traps (docs/semantics.md §11 item 7). */
	w = npt(0, 0, true);
	assert_true(permission_fault(&w, PF, R | U | X));
}

/* The table is the rules, bit for bit, for every role the walker can get. */
static void table_matches_rules(void **state)
{
	(void)state;
	for (unsigned in = 0; in < 64; in++) {
		struct pagewalk w = (in & 32) ?
			npt((in & 1 ? X86_CR4_SMEP : 0), (in & 2 ? X86_EFER_NXE : 0), in & 4) :
			ordinary((in & 8 ? X86_CR0_WP : 0),
				 (in & 1 ? X86_CR4_SMEP : 0) | (in & 16 ? X86_CR4_SMAP : 0),
				 (in & 2 ? X86_EFER_NXE : 0));

		for (unsigned pfec = 0; pfec < 32; pfec += 2)
			for (unsigned acc = 0; acc < 16; acc++)
				assert_int_equal(permission_fault(&w, pfec, acc),
						 permission_rules(&w, pfec, acc) != 0);
	}
}

static struct pagewalk fmt(unsigned levels, bool nx, bool pse, unsigned mp, bool gb)
{
	uint64_t cr4 = levels == 2 ? (pse ? X86_CR4_PSE : 0) :
		       X86_CR4_PAE | (levels == 5 ? X86_CR4_LA57 : 0);
	uint64_t efer = (levels >= 4 ? LM : 0) | (nx ? X86_EFER_NXE : 0);
	struct paging_regs regs = { X86_CR0_PG | X86_CR0_WP, cr4, efer, false };
	struct mm_cpu cpu = { mp, gb };
	struct pagewalk w;

	pagewalk_init(&w, cpu_role_from_regs(&regs), false, &cpu);
	return w;
}

static void rsvd_long_mode(void **state)
{
	struct pagewalk w = fmt(4, true, false, 48, true);

	(void)state;
	/* PML4E: 51:48, PS, AMD bit 8. */
	assert_int_equal(w.rsvd[3][0], 0x000f000000000180ull);
	assert_int_equal(w.rsvd[3][1], 0x000f000000000180ull);
	assert_int_equal(w.rsvd[2][0], 0x000f000000000000ull);
	assert_int_equal(w.rsvd[2][1], 0x000f00003fffe000ull); /* 1 GiB */
	assert_int_equal(w.rsvd[1][0], 0x000f000000000000ull);
	assert_int_equal(w.rsvd[1][1], 0x000f0000001fe000ull); /* 2 MiB */
	assert_int_equal(w.rsvd[0][0], 0x000f000000000000ull);
	assert_int_equal(w.rsvd[0][1], 0x000f000000000000ull); /* bit 7 = PAT */
	assert_int_equal(w.large_leaf_levels, 0x6);
	w = fmt(5, false, false, 52, false);
	assert_int_equal(w.rsvd[4][0], 0x8000000000000180ull);
	assert_int_equal(w.rsvd[3][0], 0x8000000000000180ull);
	assert_int_equal(w.rsvd[2][1], 0x800000003fffe080ull); /* no 1 GiB */
	assert_int_equal(w.rsvd[0][0], 0x8000000000000000ull);
	assert_int_equal(w.large_leaf_levels, 0x2);
}

static void rsvd_pae(void **state)
{
	struct pagewalk w = fmt(3, false, false, 36, true);

	(void)state;
	/* PDPTE: 63:36, 8:5, 2:1 whatever NXE says. */
	assert_int_equal(w.rsvd[2][0], 0xfffffff0000001e6ull);
	assert_int_equal(w.rsvd[2][1], 0xfffffff0000001e6ull);
	assert_int_equal(w.rsvd[1][0], 0xfffffff000000000ull); /* 62:36 + NX */
	assert_int_equal(w.rsvd[1][1], 0xfffffff0001fe000ull);
	assert_int_equal(w.rsvd[0][0], 0xfffffff000000000ull);
	w = fmt(3, true, false, 36, true);
	assert_int_equal(w.rsvd[2][0], 0xfffffff0000001e6ull);
	assert_int_equal(w.rsvd[1][0], 0x7ffffff000000000ull);
	assert_int_equal(w.large_leaf_levels, 0x2);
}

static void rsvd_two_level(void **state)
{
	struct pagewalk w = fmt(2, false, true, 36, false);

	(void)state;
	assert_int_equal(w.rsvd[1][1], 0x003e0000ull); /* bit 21, 20:17 */
	assert_int_equal(w.rsvd[1][0], 0);
	assert_int_equal(w.rsvd[0][0], 0);
	assert_int_equal(w.large_leaf_levels, 0x2);
	w = fmt(2, false, true, 40, false);
	assert_int_equal(w.rsvd[1][1], 0x00200000ull);
	w = fmt(2, false, true, 52, false);
	assert_int_equal(w.rsvd[1][1], 0x00200000ull);
	w = fmt(2, false, true, 32, false);
	assert_int_equal(w.rsvd[1][1], 0x003fe000ull);
	w = fmt(2, false, false, 36, false); /* no PSE: PS ignored */
	assert_int_equal(w.rsvd[1][1], 0);
	assert_int_equal(w.large_leaf_levels, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(wp_controls_supervisor_writes),
		cmocka_unit_test(user_bit_ordinary),
		cmocka_unit_test(smep_blocks_supervisor_fetch_from_user),
		cmocka_unit_test(smap_and_its_override),
		cmocka_unit_test(nx_only_with_nxe),
		cmocka_unit_test(read_needs_present),
		cmocka_unit_test(npt_without_gmet),
		cmocka_unit_test(npt_with_gmet),
		cmocka_unit_test(table_matches_rules),
		cmocka_unit_test(rsvd_long_mode),
		cmocka_unit_test(rsvd_pae),
		cmocka_unit_test(rsvd_two_level),
	};

	return cmocka_run_group_tests_name("perm", tests, NULL, NULL);
}
