// SPDX-License-Identifier: MIT
/*
 * The walker over every format: 2-level (with/without PSE), PAE 3-level,
 * 4- and 5-level; 4 KiB, 2 MiB, 4 MiB and 1 GiB pages; not-present and
 * reserved bits at every level; #PF semantics for ordinary walks; PT-stage
 * faults; A/D updates (set only by a successful walk, A on every entry
 * used, D only on the leaf of a write, only through cmpxchg, retried when
 * the cmpxchg loses).  Expectations follow the x86/AMD paging rules and
 * docs/semantics.md §4.4/§5/§9.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "walk_fixture.h"

#define P  PTE_P
#define RW PTE_RW
#define US PTE_US
#define PS PTE_PS
#define T  FX_TABLE
#define LM (X86_EFER_LME | X86_EFER_LMA)

/* An ordinary guest with `levels`-level paging, CR0.WP=1. */
static void ord(struct fx *f, unsigned levels, bool nxe, bool pse,
		unsigned maxphyaddr, bool gbpages)
{
	uint64_t cr4 = (pse ? X86_CR4_PSE : 0) |
		       (levels >= 3 ? X86_CR4_PAE : 0) |
		       (levels == 5 ? X86_CR4_LA57 : 0);
	uint64_t efer = (levels >= 4 ? LM : 0) | (nxe ? X86_EFER_NXE : 0);
	struct paging_regs regs = { X86_CR0_PG | X86_CR0_WP, cr4, efer, false };

	fx_init(f, cpu_role_from_regs(&regs), false, maxphyaddr, gbpages);
}

/* Map FX_GPA with its leaf at leaf_level (PS set for a large leaf); tables
 * P|RW|US, except a PAE PDPTE: P. */
static void map_leaf(struct fx *f, unsigned leaf_level, uint64_t pa, uint64_t leaf)
{
	uint64_t flags[5] = { T, T, T, T, T };

	if (f->pt.levels == 3)
		flags[0] = P; /* PAE PDPTE: bits 2:1 are reserved */
	flags[f->pt.levels - leaf_level] = leaf | (leaf_level > 1 ? PS : 0);
	gpt_map(&f->pt, FX_GPA, pa, leaf_level, flags);
}

static void translations_every_format_and_size(void **state)
{
	struct fx f;
	struct walk_result r;

	(void)state;
	for (unsigned levels = 4; levels <= 5; levels++) {
		ord(&f, levels, true, false, 48, true);
		map_leaf(&f, 1, FX_OUT, P | RW | US);
		fx_expect_ok(&f, FX_GPA | 0xabc, PFERR_USER, FX_OUT | 0xabc);
		assert_int_equal(fx_walk(&f, FX_GPA, 0).page_shift, 12);
		assert_int_equal(fx_walk(&f, FX_GPA, 0).nr_levels, levels);
		fx_fini(&f);
		ord(&f, levels, true, false, 48, true);
		map_leaf(&f, 2, 0x7e00000, P | RW);
		r = fx_walk(&f, FX_GPA | 0x10, PFERR_WRITE);
		assert_int_equal(r.out, 0x7e01010);
		assert_int_equal(r.page_shift, 21);
		assert_int_equal(r.access, ACC_READ | ACC_WRITE | ACC_EXEC);
		fx_fini(&f);
		ord(&f, levels, true, false, 48, true);
		map_leaf(&f, 3, 0x1c0000000ull, P | PTE_NX);
		r = fx_walk(&f, FX_GPA, 0);
		assert_int_equal(r.out, 0x1c0201000ull);
		assert_int_equal(r.page_shift, 30);
		assert_int_equal(r.access, ACC_READ);
		fx_fini(&f);
	}
	/* PAE: 4 KiB and 2 MiB. */
	ord(&f, 3, true, false, 36, false);
	map_leaf(&f, 1, 0x876543000ull, P | RW | US);
	fx_expect_ok(&f, FX_GPA | 0x44, 0, 0x876543044ull);
	map_leaf(&f, 2, 0x200000, P | RW | US);
	fx_expect_ok(&f, FX_GPA | 0x44, 0, 0x201044);
	assert_int_equal(fx_walk(&f, FX_GPA, 0).page_shift, 21);
	fx_fini(&f);
	/* 2-level: 4 KiB, and 4 MiB with PSE-40 bits 39:32. */
	ord(&f, 2, false, true, 40, false);
	map_leaf(&f, 1, 0x3000, P | RW | US);
	fx_expect_ok(&f, FX_GPA | 0x5, 0, 0x3005);
	assert_int_equal(fx_walk(&f, FX_GPA, 0).nr_levels, 2);
	map_leaf(&f, 2, 0x123fc00000ull, P | RW | US);
	assert_int_equal(gpt_get(&f.pt, FX_GPA, 2) & PDE32_4M_ADDR_HI, 0x12ull << 13);
	r = fx_walk(&f, FX_GPA, 0);
	assert_int_equal(r.out, 0x123fe01000ull);
	assert_int_equal(r.page_shift, 22);
	assert_int_equal(r.access, ACC_ALL); /* 32-bit entries have no NX */
	fx_fini(&f);
}

/* 2-level without CR4.PSE: PS in a PDE is ignored, the PDE is a table. */
static void two_level_without_pse_ignores_ps(void **state)
{
	struct fx f;
	struct walk_result r;

	(void)state;
	ord(&f, 2, false, false, 40, false);
	map_leaf(&f, 1, 0x5000, P | RW | US);
	gpt_set(&f.pt, FX_GPA, 2, gpt_get(&f.pt, FX_GPA, 2) | PS | (1ull << 21));
	r = fx_walk(&f, FX_GPA, 0);
	assert_false(r.fault);
	assert_int_equal(r.out, 0x5000);
	assert_int_equal(r.nr_levels, 2);
	assert_int_equal(r.page_shift, 12);
	fx_fini(&f);
}

/* A not-present entry at each level of each format faults there with
 * P=0 (user write: error code W|U = 0x6), and nothing below is read. */
static void not_present_every_level(void **state)
{
	static const struct { unsigned levels, leaf; } cases[] = {
		{ 2, 1 }, { 2, 2 }, { 3, 1 }, { 3, 2 }, { 4, 1 }, { 4, 2 },
		{ 4, 3 }, { 5, 1 }, { 5, 2 }, { 5, 3 },
	};

	(void)state;
	for (unsigned c = 0; c < sizeof(cases) / sizeof(cases[0]); c++)
		for (unsigned lvl = cases[c].levels; lvl >= cases[c].leaf; lvl--) {
			struct fx f;
			struct walk_result r;

			ord(&f, cases[c].levels, false, true, 40, true);
			map_leaf(&f, cases[c].leaf, 0, P | RW | US);
			/* other bits stay: reserved ones must not matter */
			gpt_set(&f.pt, FX_GPA, lvl,
			       (gpt_get(&f.pt, FX_GPA, lvl) & ~P) |
			       (cases[c].levels > 2 ? PTE_NX : 0));
			r = fx_walk(&f, FX_GPA, PFERR_WRITE | PFERR_USER);
			assert_true(r.fault);
			assert_int_equal(r.error_code, 0x6);
			assert_int_equal(r.fault_level, lvl);
			assert_int_equal(r.nr_levels, cases[c].levels - lvl + 1);
			fx_fini(&f);
		}
}

struct rsvd_case {
	const char *what;
	unsigned levels, leaf, level; /* format, leaf level, faulting level */
	bool nxe, gbpages;
	unsigned maxphyaddr;
	uint64_t bits;                /* set in the entry at `level` */
};

static const struct rsvd_case rsvd_cases[] = {
	{ "PML5E bit 8 (AMD)",      5, 1, 5, true, true, 48, PTE_G },
	{ "PML5E PS",               5, 1, 5, true, true, 48, PS },
	{ "PML5E above MAXPHYADDR", 5, 1, 5, true, true, 48, 1ull << 48 },
	{ "PML4E bit 8 (AMD)",      4, 1, 4, true, true, 48, PTE_G },
	{ "PML4E PS",               4, 3, 4, true, true, 48, PS },
	{ "PML4E NX without NXE",   4, 1, 4, false, true, 48, PTE_NX },
	{ "PML4E bit 51",           4, 1, 4, true, true, 48, 1ull << 51 },
	{ "PDPTE above MAXPHYADDR", 4, 1, 3, true, true, 40, 1ull << 45 },
	{ "PDPTE PS without 1G",    4, 2, 3, true, false, 48, PS },
	{ "1G leaf bit 13",         4, 3, 3, true, true, 48, 1ull << 13 },
	{ "1G leaf bit 29",         5, 3, 3, true, true, 48, 1ull << 29 },
	{ "1G leaf NX without NXE", 4, 3, 3, false, true, 48, PTE_NX },
	{ "PDE above MAXPHYADDR",   5, 1, 2, true, true, 46, 1ull << 47 },
	{ "2M leaf bit 13",         4, 2, 2, true, true, 48, 1ull << 13 },
	{ "2M leaf bit 20",         4, 2, 2, true, true, 48, 1ull << 20 },
	{ "PTE bit 50",             4, 1, 1, true, true, 48, 1ull << 50 },
	{ "PTE NX without NXE",     5, 1, 1, false, true, 48, PTE_NX },
	{ "PAE PDPTE RW",           3, 1, 3, true, false, 36, RW },
	{ "PAE PDPTE US",           3, 1, 3, true, false, 36, US },
	{ "PAE PDPTE bit 5 (A)",    3, 1, 3, true, false, 36, PTE_A },
	{ "PAE PDPTE PS",           3, 2, 3, true, false, 36, PS },
	{ "PAE PDPTE NX with NXE",  3, 1, 3, true, false, 36, PTE_NX },
	{ "PAE PDE bit 52",         3, 1, 2, true, false, 36, 1ull << 52 },
	{ "PAE 2M leaf bit 13",     3, 2, 2, true, false, 36, 1ull << 13 },
	{ "PAE PTE bit 62",         3, 1, 1, true, false, 36, 1ull << 62 },
	{ "PAE PTE NX without NXE", 3, 1, 1, false, false, 36, PTE_NX },
	{ "4M leaf bit 21",         2, 2, 2, false, false, 40, 1ull << 21 },
	{ "4M leaf PA bit 36",      2, 2, 2, false, false, 36, 1ull << 17 },
	{ "4M leaf PA bit 32",      2, 2, 2, false, false, 32, 1ull << 13 },
};

/* Reserved bits fault at their level with P|RSVD (+W|U of the access). */
static void reserved_every_level(void **state)
{
	(void)state;
	for (unsigned c = 0; c < sizeof(rsvd_cases) / sizeof(rsvd_cases[0]); c++) {
		const struct rsvd_case *k = &rsvd_cases[c];
		struct fx f;
		struct walk_result r;

		print_message("  rsvd: %s\n", k->what);
		ord(&f, k->levels, k->nxe, true, k->maxphyaddr, k->gbpages);
		map_leaf(&f, k->leaf, 0, P | RW | US);
		fx_expect_ok(&f, FX_GPA, PFERR_USER, FX_GPA & ((1ull << (k->levels == 2 ?
			(k->leaf == 2 ? 22 : 12) : 12 + 9 * (k->leaf - 1))) - 1));
		gpt_set(&f.pt, FX_GPA, k->level, gpt_get(&f.pt, FX_GPA, k->level) | k->bits);
		r = fx_walk(&f, FX_GPA, PFERR_USER);
		assert_true(r.fault);
		assert_int_equal(r.error_code, PFERR_PRESENT | PFERR_RSVD | PFERR_USER);
		assert_int_equal(r.fault_level, k->level);
		fx_fini(&f);
	}
}

/* Bits that look reserved but are not. */
static void not_reserved(void **state)
{
	struct fx f;

	(void)state;
	ord(&f, 4, true, false, 48, true);
	map_leaf(&f, 1, FX_OUT, P | RW | US | PTE_G | PS | (0x7ffull << 52));
	gpt_set(&f.pt, FX_GPA, 3, gpt_get(&f.pt, FX_GPA, 3) | PTE_G); /* PDPTE G */
	gpt_set(&f.pt, FX_GPA, 2, gpt_get(&f.pt, FX_GPA, 2) | (1ull << 62));
	fx_expect_ok(&f, FX_GPA, 0, FX_OUT);
	fx_fini(&f);
	ord(&f, 4, true, false, 48, true);
	map_leaf(&f, 2, 0x200000, P | PTE_LARGE_PAT | PTE_G);
	fx_expect_ok(&f, FX_GPA, 0, 0x201000);
	fx_fini(&f);
	ord(&f, 2, false, true, 40, false);
	map_leaf(&f, 2, 0xff00000000ull, P | PTE_LARGE_PAT);
	fx_expect_ok(&f, FX_GPA, 0, 0xff00201000ull);
	fx_fini(&f);
}

/* #PF semantics: error code from the access, no stage bits, I/D per role. */
static void ordinary_pf_error_codes(void **state)
{
	struct paging_regs regs = { X86_CR0_PG | X86_CR0_WP,
		X86_CR4_PAE | X86_CR4_SMEP | X86_CR4_SMAP, LM | X86_EFER_NXE, false };
	struct fx f;

	(void)state;
	fx_init(&f, cpu_role_from_regs(&regs), false, 48, true);
	fx_map4k(&f, P | US);
	fx_expect_fault(&f, FX_GPA, PFERR_WRITE | PFERR_USER, 0x7);
	fx_expect_fault(&f, FX_GPA, PFERR_WRITE, 0x3);            /* WP */
	fx_expect_fault(&f, FX_GPA, PFERR_FETCH, 0x11);           /* SMEP */
	fx_expect_fault(&f, FX_GPA, 0, 0x1);                      /* SMAP */
	fx_expect_ok(&f, FX_GPA, WALK_SMAP_OVERRIDE, FX_OUT);     /* AC=1 */
	fx_expect_ok(&f, FX_GPA, PFERR_FETCH | PFERR_USER, FX_OUT);
	/* stage bits in the access are not #PF bits */
	fx_expect_fault(&f, FX_GPA, PFERR_FETCH | PFERR_GUEST_FINAL, 0x11);
	fx_map4k(&f, P | RW);
	fx_expect_fault(&f, FX_GPA, PFERR_USER, 0x5);
	fx_expect_fault(&f, FX_GPA, PFERR_USER | PFERR_FETCH, 0x15);
	fx_map4k(&f, P | RW | US | PTE_NX);
	fx_expect_fault(&f, FX_GPA, PFERR_USER | PFERR_FETCH, 0x15);
	fx_map4k(&f, 0);
	fx_expect_fault(&f, FX_GPA, PFERR_USER | PFERR_FETCH, 0x14);
	fx_fini(&f);
	/* No NXE, no SMEP: no I/D bit. */
	ord(&f, 4, false, false, 48, true);
	fx_map4k(&f, 0);
	fx_expect_fault(&f, FX_GPA, PFERR_USER | PFERR_FETCH, 0x4);
	fx_fini(&f);
}

/* NPT walks at the PT stage: a user write, never a fetch, bit 33, any level. */
static void npt_page_table_stage(void **state)
{
	struct fx f;
	struct walk_result r;

	(void)state;
	for (unsigned lvl = 4; lvl >= 1; lvl--) {
		fx_npt(&f, L1_CR4_PAE | X86_CR4_SMEP, L1_EFER_NX, true);
		fx_map4k(&f, P | RW | US);
		gpt_set(&f.pt, FX_GPA, lvl, gpt_get(&f.pt, FX_GPA, lvl) & ~P);
		r = fx_walk(&f, FX_GPA + 0x18, ACC_PT | PFERR_FETCH);
		assert_int_equal(r.error_code, PFERR_GUEST_PAGE | 0x6);
		assert_int_equal(r.fault_addr, FX_GPA + 0x18);
		assert_int_equal(r.fault_level, lvl);
		fx_fini(&f);
	}
	/* 2-level and PAE NPTs (32-bit L1 hosts). */
	fx_init(&f, cpu_role_shadow_npt(0, 0, false), true, 40, false);
	fx_map4k(&f, P | US);
	fx_expect_fault(&f, FX_GPA, ACC_PT, PFERR_GUEST_PAGE | 0x7);
	fx_expect_ok(&f, FX_GPA, ACC_RD, FX_OUT);
	fx_fini(&f);
	fx_init(&f, cpu_role_shadow_npt(X86_CR4_PAE, X86_EFER_NXE, false), true, 40, false);
	fx_map4k(&f, P | RW | US | PTE_NX);
	fx_expect_fault(&f, FX_GPA, ACC_FETCH, PFERR_GUEST_FINAL | 0x15);
	fx_expect_ok(&f, FX_GPA, ACC_PT, FX_OUT);
	fx_fini(&f);
}

static void npt_five_level(void **state)
{
	struct fx f;

	(void)state;
	fx_init(&f, cpu_role_shadow_npt(X86_CR4_PAE | X86_CR4_LA57, L1_EFER_NX, false),
		true, 52, true);
	fx_map4k(&f, P | RW | US);
	fx_expect_ok(&f, FX_GPA, ACC_WR, FX_OUT);
	assert_int_equal(fx_walk(&f, FX_GPA, ACC_RD).nr_levels, 5);
	gpt_set(&f.pt, FX_GPA, 5, gpt_get(&f.pt, FX_GPA, 5) & ~US);
	fx_expect_fault(&f, FX_GPA, ACC_RD, PFERR_GUEST_FINAL | 0x5);
	gpt_set(&f.pt, FX_GPA, 5, gpt_get(&f.pt, FX_GPA, 5) | US | PTE_G);
	fx_expect_fault(&f, FX_GPA, ACC_RD, PFERR_GUEST_FINAL | 0xD);
	fx_fini(&f);
}

/* Successful walk: A on every entry used (in order), D only on the leaf of
 * a write; entries already marked are not rewritten. */
static void accessed_dirty_updates(void **state)
{
	struct fx f;
	struct walk_result r;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | RW | US);
	r = fx_walk(&f, FX_GPA, ACC_RD);
	assert_false(r.fault);
	assert_int_equal(fake_mem_nr_writes(f.mem), 4);
	for (unsigned i = 0; i < 4; i++) {
		const struct fake_write *wr = fake_mem_write(f.mem, i);

		assert_int_equal(wr->gpa, r.pte_addr[i]);
		assert_int_equal(wr->new_val, wr->old_val | PTE_A);
		assert_int_equal(wr->len, 8);
	}
	r = fx_walk(&f, FX_GPA, ACC_RD); /* all A set now: no writes */
	assert_int_equal(fake_mem_nr_writes(f.mem), 0);
	r = fx_walk(&f, FX_GPA, ACC_WR);
	assert_int_equal(fake_mem_nr_writes(f.mem), 1);
	assert_int_equal(fake_mem_write(f.mem, 0)->gpa, r.pte_addr[3]);
	assert_int_equal(fake_mem_write(f.mem, 0)->new_val,
			 fake_mem_write(f.mem, 0)->old_val | PTE_D);
	assert_int_equal(gpt_get(&f.pt, FX_GPA, 2) & PTE_D, 0); /* non-leaf */
	fx_walk(&f, FX_GPA, ACC_WR);
	assert_int_equal(fake_mem_nr_writes(f.mem), 0);
	fx_fini(&f);

	/* First walk a write: A and D together on the leaf. */
	ord(&f, 4, true, false, 48, true);
	map_leaf(&f, 2, 0x200000, P | RW | US);
	r = fx_walk(&f, FX_GPA, PFERR_WRITE);
	assert_int_equal(fake_mem_nr_writes(f.mem), 3);
	assert_int_equal(fake_mem_write(f.mem, 2)->new_val & (PTE_A | PTE_D), PTE_A | PTE_D);
	assert_int_equal(gpt_get(&f.pt, FX_GPA, 3) & (PTE_A | PTE_D), PTE_A);
	fx_fini(&f);

	/* PT-stage access is a write: D on the NPT leaf. */
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | RW | US);
	fx_walk(&f, FX_GPA, ACC_PT);
	assert_int_equal(gpt_get(&f.pt, FX_GPA, 1) & (PTE_A | PTE_D), PTE_A | PTE_D);
	fx_fini(&f);
}

/* Faulting walks write nothing: not present, reserved, permission. */
static void faulting_walks_write_nothing(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | US);
	fx_expect_fault(&f, FX_GPA, ACC_WR, PFERR_GUEST_FINAL | 0x7);
	for (unsigned l = 1; l <= 4; l++)
		assert_int_equal(gpt_get(&f.pt, FX_GPA, l) & (PTE_A | PTE_D), 0);
	fx_map4k(&f, P | RW | US | (1ull << 49));
	fx_expect_fault(&f, FX_GPA, ACC_WR, PFERR_GUEST_FINAL | 0xF);
	fx_map4k(&f, 0);
	fx_expect_fault(&f, FX_GPA, ACC_WR, PFERR_GUEST_FINAL | 0x6);
	for (unsigned l = 1; l <= 4; l++)
		assert_int_equal(gpt_get(&f.pt, FX_GPA, l) & (PTE_A | PTE_D), 0);
	fx_fini(&f);
}

/* 4-byte entries use 4-byte cmpxchg; the PAE PDPTE never gets an A bit. */
static void ad_in_legacy_formats(void **state)
{
	struct fx f;
	struct walk_result r;

	(void)state;
	ord(&f, 2, false, true, 40, false);
	map_leaf(&f, 1, 0x3000, P | RW | US);
	r = fx_walk(&f, FX_GPA, PFERR_WRITE);
	assert_int_equal(fake_mem_nr_writes(f.mem), 2);
	assert_int_equal(fake_mem_write(f.mem, 0)->len, 4);
	assert_int_equal(fake_mem_write(f.mem, 1)->new_val & (PTE_A | PTE_D), PTE_A | PTE_D);
	assert_int_equal(r.out, 0x3000 | (FX_GPA & 0xfff));
	fx_fini(&f);
	ord(&f, 3, true, false, 36, false);
	map_leaf(&f, 1, 0x3000, P | RW | US);
	fx_walk(&f, FX_GPA, 0);
	assert_int_equal(fake_mem_nr_writes(f.mem), 2);
	assert_int_equal(gpt_get(&f.pt, FX_GPA, 3), PTE_P | (FX_POOL)); /* untouched */
	fx_fini(&f);
}

/* A lost cmpxchg restarts the walk, which then sees the new entry. */
static void lost_cmpxchg_retries(void **state)
{
	struct fx f;
	struct walk_result r;
	uint64_t pte;

	(void)state;
	/* Another CPU clears the leaf's P: the retried walk faults P=0. */
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | RW | US);
	pte = gpt_get(&f.pt, FX_GPA, 1);
	fake_mem_race_once(f.mem, gpt_entry_gpa(&f.pt, FX_GPA, 1), pte & ~P, 8);
	fake_mem_begin_walk(f.mem);
	assert_false(walk(&f.w, &f.gmem, f.pt.root, FX_GPA, ACC_RD, &r));
	assert_true(r.fault);
	assert_int_equal(r.error_code, PFERR_GUEST_FINAL | 0x4);
	assert_int_equal(r.fault_level, 1);
	/* The first attempt set A in the three upper entries before it lost
	 * the race on the leaf; those stay, the retry adds nothing. */
	assert_int_equal(fake_mem_nr_writes(f.mem), 3);
	for (unsigned l = 2; l <= 4; l++)
		assert_int_equal(gpt_get(&f.pt, FX_GPA, l) & PTE_A, PTE_A);
	assert_int_equal(gpt_get(&f.pt, FX_GPA, 1), pte & ~P);
	assert_int_equal(fake_mem_nr_violations(f.mem), 0);
	fx_fini(&f);

	/* Another CPU sets A on the leaf first: the retry sets only D. */
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | RW | US);
	pte = gpt_get(&f.pt, FX_GPA, 1);
	fake_mem_race_once(f.mem, gpt_entry_gpa(&f.pt, FX_GPA, 1), pte | PTE_A, 8);
	r = fx_walk(&f, FX_GPA, ACC_WR);
	assert_false(r.fault);
	assert_int_equal(gpt_get(&f.pt, FX_GPA, 1), pte | PTE_A | PTE_D);
	assert_int_equal(fake_mem_write(f.mem, fake_mem_nr_writes(f.mem) - 1)->old_val,
			 pte | PTE_A);
	fx_fini(&f);
}

/* The walk decides permissions by table lookup only. */
static void walk_uses_the_table(void **state)
{
	struct fx f;

	(void)state;
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | US);
	fx_expect_fault(&f, FX_GPA, ACC_WR, PFERR_GUEST_FINAL | 0x7);
	for (unsigned i = 0; i < 16; i++)
		f.w.permissions[i] = 0;
	fx_expect_ok(&f, FX_GPA, ACC_WR, FX_OUT);
	f.w.permissions[(PFERR_USER) >> 1] = 0xffff;
	fx_expect_fault(&f, FX_GPA, ACC_RD, PFERR_GUEST_FINAL | 0x5);
	fx_fini(&f);
}

static void paging_off_and_unbacked_tables(void **state)
{
	struct paging_regs regs = { 0, 0, 0, false };
	struct fx f;
	struct walk_result r;

	(void)state;
	fx_init(&f, cpu_role_from_regs(&regs), false, 48, true);
	r = fx_walk(&f, 0x12345678, PFERR_WRITE | PFERR_FETCH);
	assert_int_equal(r.out, 0x12345678);
	assert_int_equal(fake_mem_nr_writes(f.mem), 0);
	fx_fini(&f);

	/* gmem cannot reach a table: reported as such, not as a CPU fault. */
	fx_npt(&f, L1_CR4_PAE, L1_EFER_NX, false);
	fx_map4k(&f, P | RW | US);
	gpt_set(&f.pt, FX_GPA, 2, (gpt_get(&f.pt, FX_GPA, 2) & 0xfff) | 0x7770000);
	fake_mem_begin_walk(f.mem);
	assert_false(walk(&f.w, &f.gmem, f.pt.root, FX_GPA, ACC_RD, &r));
	assert_true(r.gmem_error);
	assert_false(r.fault);
	assert_int_equal(fake_mem_nr_writes(f.mem), 0);
	fx_fini(&f);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(translations_every_format_and_size),
		cmocka_unit_test(two_level_without_pse_ignores_ps),
		cmocka_unit_test(not_present_every_level),
		cmocka_unit_test(reserved_every_level),
		cmocka_unit_test(not_reserved),
		cmocka_unit_test(ordinary_pf_error_codes),
		cmocka_unit_test(npt_page_table_stage),
		cmocka_unit_test(npt_five_level),
		cmocka_unit_test(accessed_dirty_updates),
		cmocka_unit_test(faulting_walks_write_nothing),
		cmocka_unit_test(ad_in_legacy_formats),
		cmocka_unit_test(lost_cmpxchg_retries),
		cmocka_unit_test(walk_uses_the_table),
		cmocka_unit_test(paging_off_and_unbacked_tables),
	};

	return cmocka_run_group_tests_name("walk", tests, NULL, NULL);
}
