// SPDX-License-Identifier: MIT
/*
 * The shadow-NPT MMU (mm/shadow_npt.c), case by case: the error codes of
 * docs/semantics.md (§5.1, §7.2), the D-bit rule and A/D bits, large pages, coherence
 * through the write trap, INVLPGA and flush, the root cache, GMET in every
 * CPL x U x NX x access x class combination (§5.1 rows 7, 9-15, §5.2) and
 * an instruction straddling both classes, a hostile L1, and the fixed
 * limits.  Fakes and the shadow reader:
 * snpt_fixture.h.  Expected values come from docs/semantics.md and from the design
 * rules in shadow_npt.h, never from the MMU's output.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "snpt_fixture.h"

/* ---- hand-written cases from docs/semantics.md -------------------------- */

#define L2A 0x40201000ull
#define L1A 0x07654000ull

static void h_std(struct h *h)
{
	h_init(h, X86_CR4_PAE, LM | NXE, false, false, true, true);
}

/* §5.1 rows 1, 2, 3, 4, 5, 7 (KUT values) reflected as walk() says. */
static void spec_error_codes(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	uint64_t rt;
	/* level: the faulting entry's (the leaf is a PTE), 0 for rights;
	 * rights: what the leaf's P/RW/US/NX grant (the tables grant all). */
	struct {
		uint64_t leaf, hw, ei1;
		int level;
		unsigned rights;
	} cases[] = {
		{ 0, FINAL | PFERR_USER, 0x100000004ull, 1, 0 },          /* np */
		{ PTE_P | PTE_RW, FINAL | PFERR_USER, 0x100000005ull, 0,
		  ACC_READ | ACC_WRITE | ACC_EXEC },                       /* U=0 */
		{ PTE_P | PTE_US, FINAL | PFERR_WRITE, 0x100000007ull, 0,
		  ACC_READ | ACC_USER | ACC_EXEC },                        /* RO */
		{ PTE_P | PTE_US | PTE_RW | PTE_NX, FINAL | PFERR_FETCH,
		  0x100000015ull, 0, ACC_READ | ACC_WRITE | ACC_USER },    /* NX */
		{ PTE_P | PTE_US, GPAGE | PFERR_WRITE | PFERR_USER,
		  0x200000007ull, 0, ACC_READ | ACC_USER | ACC_EXEC },     /* PT */
		{ 0, GPAGE, 0x200000006ull, 1, 0 },                        /* PT np */
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h_std(&h);
		map4(&h, L2A, L1A, 1, cases[i].leaf);
		rt = root(&h, SNPT_EXEC_SUPERVISOR);
		assert_int_equal(fault(&h, rt, L2A, cases[i].hw, 0, &out), SNPT_REFLECT);
		assert_int_equal(out.exit_info_1, cases[i].ei1);
		assert_int_equal(out.exit_info_2, L2A);
		assert_int_equal(out.fault_level, cases[i].level);
		if (!cases[i].level)
			assert_int_equal(out.rights, cases[i].rights);
		assert_false(shadow_get(rt, L2A).present);
		assert_int_equal(F.nr_prot, 0); /* nothing derived, nothing protected */
		h_fini(&h);
	}
	/* reserved: AMD bit 8 in the PML4E: P|RSVD|US, no I/D on a read */
	h_std(&h);
	map4(&h, L2A, L1A, 1, PTE_P | PTE_RW | PTE_US);
	h_poke(&h, gpt_entry_gpa(&h.pt, L2A, 4), gpt_get(&h.pt, L2A, 4) | PTE_G);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_REFLECT);
	assert_int_equal(out.exit_info_1, 0x10000000dull);
	/* §7.2: the stage comes from the CPU; none or both: FINAL */
	assert_int_equal(fault(&h, rt, L2A, GPAGE, 0, &out), SNPT_REFLECT);
	assert_int_equal(out.exit_info_1, 0x20000000full);
	assert_int_equal(fault(&h, rt, L2A, 0, 0, &out), SNPT_REFLECT);
	assert_int_equal(out.exit_info_1, 0x10000000dull);
	assert_int_equal(fault(&h, rt, L2A, FINAL | GPAGE, 0, &out), SNPT_REFLECT);
	assert_int_equal(out.exit_info_1, 0x10000000dull);
	h_fini(&h);
}

/* (6) A/D and the D-bit rule, with explicit expected entries. */
static void dirty_bit_rule(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	uint64_t rt, e[4];
	struct sw sw;

	(void)state;
	h_std(&h);
	map4(&h, L2A, L1A, 1, PTE_P | PTE_RW | PTE_US);
	map4(&h, L2A + PAGE, L1A + PAGE, 1,
	     PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	map4(&h, L2A + 2 * PAGE, L1A + 2 * PAGE, 1, PTE_P | PTE_RW | PTE_US);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	for (unsigned l = 4; l >= 1; l--)
		e[4 - l] = gpt_entry_gpa(&h.pt, L2A, l);

	/* a read sets A everywhere, D nowhere; the shadow is read-only */
	assert_int_equal(fault(&h, rt, L2A | 0x10, FINAL | PFERR_USER, 0, &out),
			 SNPT_INSTALLED);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(h_peek(&h, e[i]) & (PTE_A | PTE_D), PTE_A);
	assert_int_equal(fake_mem_nr_writes(h.mem), 4);
	sw = shadow_get(rt, L2A | 0x10);
	assert_true(sw.present && !sw.w && sw.u && !sw.nx);
	assert_int_equal(sw.hpa, HPA_OFFSET + L1A + 0x10);
	assert_int_equal(sw.shift, 12);

	/* the write faults again: D set in the leaf only, the shadow W */
	assert_int_equal(fault(&h, rt, L2A, FINAL | PFERR_WRITE | PFERR_USER |
			       PFERR_PRESENT, 0, &out), SNPT_INSTALLED);
	assert_int_equal(fake_mem_nr_writes(h.mem), 1);
	assert_int_equal(h_peek(&h, e[3]) & (PTE_A | PTE_D), PTE_A | PTE_D);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(h_peek(&h, e[i]) & PTE_D, 0);
	sw = shadow_get(rt, L2A);
	assert_true(sw.w && (sw.leaf & PTE_D));

	/* a leaf that is already dirty: a read installs W, writes nothing */
	assert_int_equal(fault(&h, rt, L2A + PAGE, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(fake_mem_nr_writes(h.mem), 0);
	assert_true(shadow_get(rt, L2A + PAGE).w);

	/* a page-table access is a write: it dirties the leaf, shadow W */
	assert_int_equal(fault(&h, rt, L2A + 2 * PAGE, GPAGE | PFERR_WRITE |
			       PFERR_USER, 0, &out), SNPT_INSTALLED);
	assert_true(h_peek(&h, gpt_entry_gpa(&h.pt, L2A + 2 * PAGE, 1)) & PTE_D);
	assert_true(shadow_get(rt, L2A + 2 * PAGE).w);

	/* L1 clears D (trapped): the shadow loses the page, and the next read
	 * maps it read-only again */
	snpt_l1_write(h.s, e[3]);
	h_poke(&h, e[3], h_peek(&h, e[3]) & ~PTE_D);
	assert_false(shadow_get(rt, L2A).present);
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_INSTALLED);
	assert_false(shadow_get(rt, L2A).w);
	h_fini(&h);
}

/* Large pages: L1's leaf, max_shift and L0's 1 GiB support decide. */
/*
 * A page the caller watches (env->l1_watched, L1's permission maps): a
 * read installs a 4 KiB read-only leaf even where L1's leaf is writable
 * and dirty; a write L1 allows is SNPT_WATCHED_WRITE, with the L1 gpa and
 * nothing changed; once unwatched, the write installs W.  A write L1's
 * NPT denies is still reflected.
 */
static void watched_pages(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	uint64_t rt;
	struct sw sw;

	(void)state;
	h_std(&h);
	map4(&h, L2A, L1A, 1, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	map4(&h, L2A + PAGE, L1A + PAGE, 1, PTE_P | PTE_US | PTE_A);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	F.watched = L1A;
	assert_int_equal(fault(&h, rt, L2A | 0x40, FINAL, 0, &out), SNPT_INSTALLED);
	sw = shadow_get(rt, L2A | 0x40);
	assert_true(sw.present && !sw.w);
	assert_int_equal(sw.shift, 12);
	assert_int_equal(fault(&h, rt, L2A | 0x40, FINAL | PFERR_WRITE |
			       PFERR_PRESENT | PFERR_USER, 0, &out),
			 SNPT_WATCHED_WRITE);
	assert_int_equal(out.l1_gpa, L1A | 0x40);
	assert_false(shadow_get(rt, L2A).w);
	F.watched = L1A + PAGE; /* read-only in L1's NPT: L1's fault */
	assert_int_equal(fault(&h, rt, L2A + PAGE, FINAL | PFERR_WRITE |
			       PFERR_USER, 0, &out), SNPT_REFLECT);
	F.watched = 0;
	assert_int_equal(fault(&h, rt, L2A | 0x40, FINAL | PFERR_WRITE |
			       PFERR_PRESENT | PFERR_USER, 0, &out),
			 SNPT_INSTALLED);
	assert_true(shadow_get(rt, L2A).w);
	scan_all(&h);
	h_fini(&h);
}

static void large_pages(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	uint64_t rt;
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_D;
	struct {
		uint64_t l2, l1;
		unsigned l1_level;
		bool l0_gb;
		unsigned shift;
		uint64_t hpa;
	} c[] = {
		{ 0x40000000ull, 0x140000000ull, 3, true, 30, HPA_OFFSET + 0x140000000ull },
		{ 0x40000000ull, 0x140000000ull, 3, false, 21, HPA_OFFSET + 0x140000000ull },
		{ 0x40200000ull, 0x140000000ull, 2, true, 21, HPA_OFFSET + 0x140000000ull },
		/* 1 GiB leaf over the region's 1 GiB: 2 MiB outside it ... */
		{ 0x80000000ull, 0, 3, true, 21, HPA_OFFSET },
		/* ... and the scratch page inside it */
		{ 0x80000000ull + REGION + 0x5000, 0, 3, true, 12, SCRATCH_HPA },
		/* the page-by-page block: 4 KiB, neighbours swapped */
		{ 0xc0000000ull + 0x3000, FRAG, 2, true, 12,
		  HPA_OFFSET + FRAG + 0x2000 },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(c) / sizeof(c[0]); i++) {
		h_init(&h, X86_CR4_PAE, LM | NXE, false, false, true, c[i].l0_gb);
		map4(&h, c[i].l2, c[i].l1, c[i].l1_level, leaf);
		rt = root(&h, SNPT_EXEC_SUPERVISOR);
		assert_int_equal(fault(&h, rt, c[i].l2 | 0x123, FINAL, 0, &out),
				 SNPT_INSTALLED);
		assert_int_equal(out.shadow_shift, c[i].shift);
		struct sw sw = shadow_get(rt, c[i].l2 | 0x123);

		assert_int_equal(sw.shift, c[i].shift);
		assert_int_equal(sw.hpa, c[i].hpa | 0x123);
		assert_true(sw.w);
		scan_all(&h);
		h_fini(&h);
	}
	/* 2-level L1 with a 4 MiB leaf: a 2 MiB shadow page */
	h_init(&h, X86_CR4_PSE, 0, false, false, true, true);
	uint64_t f2[1] = { PTE_P | PTE_RW | PTE_US | PTE_PS | PTE_D };

	h_map(&h, 0x00c00000ull, 0x01000000ull, 2, f2);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	assert_int_equal(fault(&h, rt, 0x00e01234ull, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(out.shadow_shift, 21);
	assert_int_equal(shadow_get(rt, 0x00e01234ull).hpa,
			 HPA_OFFSET + 0x01201234ull);
	h_fini(&h);
}

/* (2) coherence, by hand: per-table-page zaps, root writes, shared pages. */
static void coherence(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_D;
	const uint64_t a = 0x40201000ull, b = 0x40401000ull; /* two PT pages */
	uint64_t rt, pt_a, pt_b, pd, pdpt, pml4;

	(void)state;
	h_std(&h);
	map4(&h, a, 0x1000000ull, 1, leaf);
	map4(&h, b, 0x2000000ull, 1, leaf);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(fault(&h, rt, b, FINAL, 0, &out), SNPT_INSTALLED);
	pt_a = gpt_entry_gpa(&h.pt, a, 1);
	pt_b = gpt_entry_gpa(&h.pt, b, 1);
	pd = gpt_entry_gpa(&h.pt, a, 2);
	pdpt = gpt_entry_gpa(&h.pt, a, 3);
	pml4 = gpt_entry_gpa(&h.pt, a, 4);
	assert_int_equal(F.nr_prot, 5);
	for (unsigned i = 0; i < 5; i++) {
		uint64_t p[5] = { pt_a, pt_b, pd, pdpt, pml4 };

		assert_true(prot_find(p[i] & ~(PAGE - 1)) >= 0);
	}

	/* L1 remaps a: only a's 2 MiB goes, only a's PT page is released */
	snpt_l1_write(h.s, pt_a);
	h_poke(&h, pt_a, 0x3000000ull | leaf);
	assert_false(shadow_get(rt, a).present);
	assert_true(shadow_get(rt, b).present);
	assert_int_equal(F.nr_prot, 4);
	assert_true(prot_find(pt_a & ~(PAGE - 1)) < 0);
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(shadow_get(rt, a).hpa, HPA_OFFSET + 0x3000000ull);
	assert_int_equal(F.nr_prot, 5);

	/* a write to the root table empties the root, releases everything */
	snpt_l1_write(h.s, pml4);
	assert_false(shadow_get(rt, a).present);
	assert_false(shadow_get(rt, b).present);
	assert_int_equal(F.nr_prot, 0);
	assert_int_equal(F.pool_used, 1); /* just the root page */

	/* a write to a page that is not protected changes nothing */
	snpt_l1_write(h.s, 0x5000);
	assert_int_equal(F.nr_protect, F.nr_release);

	/* two nCR3s sharing L1's PDPT page: a write to it reaches both */
	uint64_t ncr3b = 0x900000ull, rtb = 0;

	fake_mem_poke(h.mem, ncr3b, h_peek(&h, pml4), 8);
	fake_mem_poke(h.ref, ncr3b, h_peek(&h, pml4), 8);
	assert_int_equal(snpt_get_root(h.s, ncr3b, h.role, SNPT_EXEC_SUPERVISOR, 1,
				       &rtb), 0);
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(fault(&h, rtb, a, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(fault(&h, rtb, b, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(F.nr_prot, 6); /* 2 PML4s, PDPT, PD, 2 PTs */
	snpt_l1_write(h.s, pdpt);
	assert_false(shadow_get(rt, a).present);
	assert_false(shadow_get(rtb, a).present);
	assert_false(shadow_get(rtb, b).present);
	assert_int_equal(F.nr_prot, 2); /* the two PML4 pages */

	/* L1 clears P in the PD entry: the fault is reflected afterwards */
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_INSTALLED);
	snpt_l1_write(h.s, pd);
	h_poke(&h, pd, h_peek(&h, pd) & ~PTE_P);
	assert_false(shadow_get(rt, a).present);
	assert_int_equal(fault(&h, rt, a, FINAL | PFERR_USER, 3, &out), SNPT_REFLECT);
	assert_int_equal(out.exit_info_1, 0x100000004ull);

	/* a page protect() refuses is never shadowed: after a reset and a
	 * second refusal, nothing is installed; only the pages the walk read
	 * before it (PML4, PDPT, PD) are protected, each with its use */
	h_poke(&h, pd, h_peek(&h, pd) | PTE_P);
	F.refuse_page = pt_b & ~(PAGE - 1);
	assert_int_equal(fault(&h, rt, b, FINAL, 0, &out), SNPT_NO_MEMORY);
	assert_false(shadow_get(rt, b).present);
	assert_false(snpt_is_protected(h.s, pt_b));
	assert_int_equal(h.s->stats.protect_failures, 2);
	assert_int_equal(F.nr_prot, 3);
	assert_true(snpt_is_protected(h.s, pd));
	F.refuse_page = 0;
	assert_int_equal(fault(&h, rt, b, FINAL, 0, &out), SNPT_INSTALLED);
	assert_true(snpt_is_protected(h.s, pt_b));
	h_fini(&h);
}

/* L1 on another CPU writes a table page between the walk and its
 * protection (mm/shadow_npt.c, "Several vCPUs"): nothing is installed,
 * and the next fault walks the new entry. */
static void changed_under_walk(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	uint64_t rt, leaf_gpa;
	struct sw sw;

	(void)state;
	h_std(&h);
	map4(&h, L2A, L1A, 1, PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	leaf_gpa = gpt_entry_gpa(&h.pt, L2A, 1);
	F.race_mem = h.mem;
	F.race_page = leaf_gpa & ~(PAGE - 1);
	F.race_gpa = leaf_gpa;
	F.race_val = (L1A + 2 * PAGE) | PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_RETRY);
	assert_false(shadow_get(rt, L2A).present);
	assert_int_equal(h.s->stats.changed_under_walk, 1);
	assert_int_equal(h.s->stats.installs, 0);
	assert_true(snpt_is_protected(h.s, leaf_gpa));
	/* the twin memory the reference walk uses gets the same entry */
	h_poke(&h, leaf_gpa, F.race_val);
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_INSTALLED);
	sw = shadow_get(rt, L2A);
	assert_true(sw.present);
	assert_int_equal(sw.hpa, HPA_OFFSET + L1A + 2 * PAGE);
	h_fini(&h);
}

/*
 * env->unsync (shadow_npt.h): L1's first write to a protected table page
 * releases it and keeps the entries built from it; L1 then writes it
 * without a trap; a not-present entry it makes present is walked at the
 * next fault, a present one it changes stays in the shadow, as in a TLB
 * (APM Vol. 2 §15.16), until the flush; the flush empties the roots, and
 * the page is protected again by the next walk that reads it.  Expected
 * host addresses: the fixture's l1_to_hpa of the L1 address L1's leaf
 * holds.
 */
static void unsync_until_flush(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	const uint64_t a = L2A, b = L2A + PAGE, c = L2A + 2 * PAGE;
	uint64_t rt, pt, pte_a, pte_c, protects;

	(void)state;
	h_std(&h);
	h_unsync(&h);
	map4(&h, a, L1A, 1, leaf);
	map4(&h, b, L1A + PAGE, 1, leaf);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(fault(&h, rt, b, FINAL, 0, &out), SNPT_INSTALLED);
	pte_a = gpt_entry_gpa(&h.pt, a, 1);
	pte_c = gpt_entry_gpa(&h.pt, c, 1);
	pt = pte_a & ~(PAGE - 1);
	assert_int_equal(F.nr_prot, 4);
	assert_true(snpt_is_protected(h.s, pt));
	assert_false(snpt_is_unsync(h.s, pt));

	/* the write that exits: released, entries kept */
	snpt_l1_write(h.s, pte_a);
	assert_int_equal(F.nr_prot, 3);
	assert_true(prot_find(pt) < 0);
	assert_false(snpt_is_protected(h.s, pt));
	assert_true(snpt_is_unsync(h.s, pt));
	assert_int_equal(shadow_get(rt, a).hpa, HPA_OFFSET + L1A);
	assert_int_equal(shadow_get(rt, b).hpa, HPA_OFFSET + L1A + PAGE);
	assert_int_equal(h.s->stats.unsyncs, 1);
	assert_int_equal(h.s->nr_unsync, 1);
	check_protections(&h);
	/* the same page again: nothing more to do */
	snpt_l1_write(h.s, pte_a + 8);
	assert_int_equal(h.s->stats.unsyncs, 1);
	assert_int_equal(F.nr_release, 1);

	/* L1 makes c present without a trap: the next fault walks it, and
	 * the page is not protected again */
	protects = F.nr_protect;
	h_poke(&h, pte_c, (L1A + 5 * PAGE) | leaf);
	assert_int_equal(fault(&h, rt, c, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(shadow_get(rt, c).hpa, HPA_OFFSET + L1A + 5 * PAGE);
	assert_int_equal(F.nr_protect, protects);
	assert_true(snpt_is_unsync(h.s, pt));
	check_protections(&h);

	/* L1 remaps a and takes W away from b without a trap: the shadow
	 * keeps both until the flush */
	h_poke(&h, pte_a, (L1A + 7 * PAGE) | leaf);
	h_poke(&h, gpt_entry_gpa(&h.pt, b, 1), (L1A + PAGE) | (leaf & ~PTE_RW));
	assert_int_equal(shadow_get(rt, a).hpa, HPA_OFFSET + L1A);
	assert_true(shadow_get(rt, b).w);

	/* the flush: empty, nothing protected, nothing unsync */
	snpt_flush(h.s);
	assert_false(shadow_get(rt, a).present);
	assert_false(shadow_get(rt, c).present);
	assert_int_equal(F.nr_prot, 0);
	assert_int_equal(h.s->nr_unsync, 0);
	assert_false(snpt_is_unsync(h.s, pt));
	/* walked again: L1's tables as they are now, protected again */
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(shadow_get(rt, a).hpa, HPA_OFFSET + L1A + 7 * PAGE);
	assert_int_equal(fault(&h, rt, b, FINAL | PFERR_WRITE, 0, &out),
			 SNPT_REFLECT);
	assert_int_equal(out.exit_info_1, 0x100000007ull);
	assert_true(snpt_is_protected(h.s, pt));
	check_protections(&h);

	/* two nCR3s sharing the PDPT page: one write makes it unsync for
	 * both roots' uses */
	uint64_t ncr3b = 0x900000ull, rtb = 0, pml4 = gpt_entry_gpa(&h.pt, a, 4);
	uint64_t pdpt = gpt_entry_gpa(&h.pt, a, 3);

	fake_mem_poke(h.mem, ncr3b, h_peek(&h, pml4), 8);
	fake_mem_poke(h.ref, ncr3b, h_peek(&h, pml4), 8);
	assert_int_equal(snpt_get_root(h.s, ncr3b, h.role, SNPT_EXEC_SUPERVISOR, 1,
				       &rtb), 0);
	assert_int_equal(fault(&h, rtb, a, FINAL, 0, &out), SNPT_INSTALLED);
	snpt_l1_write(h.s, pdpt);
	assert_true(snpt_is_unsync(h.s, pdpt));
	assert_true(shadow_get(rt, a).present);
	assert_true(shadow_get(rtb, a).present);
	check_protections(&h);
	h_fini(&h);
}

/*
 * ASIDs (shadow_npt.c): a TLB is per ASID (APM Vol. 2 §15.16), so a root
 * entered with another ASID than its entries were cached for is emptied;
 * entered again with its own ASID it keeps them, the other roots are
 * untouched, and an empty root is only retagged.  L1's leaf changes here
 * by L2's store (no snpt_l1_write: nestvisor does not see it).  Expected
 * host addresses: the fixture's l1_to_hpa of the L1 address the leaf
 * holds.
 */
static void asid_tags(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	const uint64_t ncr3b = 0x900000ull;
	uint64_t rt, rtb, again;

	(void)state;
	h_std(&h);
	h_unsync(&h);
	map4(&h, L2A, L1A, 1, leaf);
	/* nCR3 B: the same tables under another PML4 */
	fake_mem_poke(h.mem, ncr3b, h_peek(&h, gpt_entry_gpa(&h.pt, L2A, 4)), 8);
	fake_mem_poke(h.ref, ncr3b, h_peek(&h, gpt_entry_gpa(&h.pt, L2A, 4)), 8);
	assert_int_equal(snpt_get_root(h.s, NCR3, h.role, 0, 1, &rt), 0);
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(snpt_get_root(h.s, ncr3b, h.role, 0, 2, &rtb), 0);
	assert_int_equal(fault(&h, rtb, L2A, FINAL, 0, &out), SNPT_INSTALLED);

	/* L2's store: each ASID that cached the old entry may keep it */
	h_poke(&h, gpt_entry_gpa(&h.pt, L2A, 1), (L1A + 7 * PAGE) | leaf);
	assert_int_equal(snpt_get_root(h.s, NCR3, h.role, 0, 1, &again), 0);
	assert_int_equal(again, rt);
	assert_int_equal(shadow_get(rt, L2A).hpa, HPA_OFFSET + L1A);
	assert_int_equal(snpt_get_root(h.s, ncr3b, h.role, 0, 2, &again), 0);
	assert_int_equal(shadow_get(rtb, L2A).hpa, HPA_OFFSET + L1A);
	assert_int_equal(h.s->stats.asid_empties, 0);

	/* ASID 2 on nCR3 A, whose entries ASID 1 cached: emptied */
	assert_int_equal(snpt_get_root(h.s, NCR3, h.role, 0, 2, &again), 0);
	assert_int_equal(again, rt);
	assert_false(shadow_get(rt, L2A).present);
	assert_int_equal(h.s->stats.asid_empties, 1);
	assert_int_equal(shadow_get(rtb, L2A).hpa, HPA_OFFSET + L1A);
	check_protections(&h);
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(shadow_get(rt, L2A).hpa, HPA_OFFSET + L1A + 7 * PAGE);

	/* after a flush the roots are empty: another ASID only retags */
	snpt_flush(h.s);
	assert_int_equal(snpt_get_root(h.s, NCR3, h.role, 0, 3, &again), 0);
	assert_int_equal(h.s->stats.asid_empties, 1);
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_INSTALLED);
	assert_int_equal(snpt_get_root(h.s, NCR3, h.role, 0, 3, &again), 0);
	assert_true(shadow_get(rt, L2A).present);
	check_protections(&h);
	h_fini(&h);

	/* GMET emulated: the USER root a fetch switches to from a
	 * SUPERVISOR root run by ASID 1 holds ASID 2's entries: emptied */
	uint64_t rs, ru;

	h_init(&h, X86_CR4_PAE, LM | NXE, true, false, true, true);
	map4(&h, L2A, L1A, 1, leaf);
	map4(&h, L2A + PAGE, L1A + PAGE, 1, leaf);
	assert_int_equal(snpt_get_root(h.s, NCR3, h.role, SNPT_EXEC_USER, 2,
				       &ru), 0);
	assert_int_equal(fault(&h, ru, L2A + PAGE, FINAL, 3, &out),
			 SNPT_INSTALLED);
	assert_int_equal(snpt_get_root(h.s, NCR3, h.role,
				       SNPT_EXEC_SUPERVISOR, 1, &rs), 0);
	assert_int_equal(fault(&h, rs, L2A, FINAL | PFERR_FETCH, 3, &out),
			 SNPT_SWITCH_ROOT);
	assert_int_equal(out.root_hpa, ru);
	assert_true(shadow_get(ru, L2A).present);
	assert_false(shadow_get(ru, L2A + PAGE).present);
	assert_int_equal(h.s->stats.asid_empties, 1);
	assert_int_equal(snpt_get_root(h.s, NCR3, h.role, SNPT_EXEC_USER, 1,
				       &again), 0);
	assert_int_equal(again, ru);
	assert_true(shadow_get(ru, L2A).present);
	check_protections(&h);
	h_fini(&h);
}

/*
 * snpt_prefetch: the address of the last #NPF reflected, once L1 maps it,
 * is installed at L1's next VMRUN on that root, without a write to L1's
 * memory: only when every entry of the walk has A already (KVM's rule for
 * a prefetch), writable only when L1's leaf is dirty; once per reflected
 * #NPF, and only on the root that took it.
 */
static void prefetch(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	const uint64_t a = L2A, c = L2A + PAGE, d = L2A + 2 * PAGE;
	const uint64_t e = L2A + 3 * PAGE, f = L2A + BLOCK_2M;
	uint64_t rt, other, pte_c, pte_d, pte_e;
	struct sw sw;

	(void)state;
	h_std(&h);
	h_unsync(&h);
	map4(&h, a, L1A, 1, leaf);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_INSTALLED);
	pte_c = gpt_entry_gpa(&h.pt, c, 1);
	pte_d = gpt_entry_gpa(&h.pt, d, 1);
	pte_e = gpt_entry_gpa(&h.pt, e, 1);

	/* nothing reflected yet: nothing to prefetch */
	assert_false(snpt_prefetch(h.s, rt));
	assert_int_equal(h.s->stats.prefetches, 0);

	/* c: reflected (not present), L1 maps it accessed and dirty */
	assert_int_equal(fault(&h, rt, c, FINAL | PFERR_WRITE, 0, &out),
			 SNPT_REFLECT);
	snpt_l1_write(h.s, pte_c);
	h_poke(&h, pte_c, (L1A + 3 * PAGE) | leaf);
	fake_mem_begin_walk(h.mem);
	assert_true(snpt_prefetch(h.s, rt));
	assert_int_equal(fake_mem_nr_writes(h.mem), 0);
	sw = shadow_get(rt, c | 0x18);
	assert_true(sw.present && sw.w && sw.u && !sw.nx);
	assert_int_equal(sw.hpa, HPA_OFFSET + L1A + 3 * PAGE + 0x18);
	assert_int_equal(sw.shift, 12);
	assert_true(shadow_get(rt, a).present); /* nothing dropped */
	assert_false(snpt_prefetch(h.s, rt));    /* once */
	assert_int_equal(h.s->stats.prefetches, 1);
	assert_int_equal(h.s->stats.prefetch_installs, 1);

	/* d: clean leaf, read-only; e: leaf not accessed, not prefetched and
	 * nothing written, then the fault sets A */
	assert_int_equal(fault(&h, rt, d, FINAL, 0, &out), SNPT_REFLECT);
	h_poke(&h, pte_d, (L1A + 4 * PAGE) | (leaf & ~PTE_D));
	fake_mem_begin_walk(h.mem);
	assert_true(snpt_prefetch(h.s, rt));
	assert_int_equal(fake_mem_nr_writes(h.mem), 0);
	sw = shadow_get(rt, d);
	assert_true(sw.present && !sw.w);
	assert_int_equal(sw.hpa, HPA_OFFSET + L1A + 4 * PAGE);
	assert_int_equal(fault(&h, rt, e, FINAL, 0, &out), SNPT_REFLECT);
	h_poke(&h, pte_e, (L1A + 6 * PAGE) | (leaf & ~(PTE_A | PTE_D)));
	fake_mem_begin_walk(h.mem);
	assert_false(snpt_prefetch(h.s, rt));
	assert_int_equal(fake_mem_nr_writes(h.mem), 0);
	assert_false(shadow_get(rt, e).present);
	assert_int_equal(fault(&h, rt, e, FINAL, 0, &out), SNPT_INSTALLED);
	assert_true(h_peek(&h, pte_e) & PTE_A);

	/* f: a new PT whose PD entry has no A yet: not prefetched */
	assert_int_equal(fault(&h, rt, f, FINAL, 0, &out), SNPT_REFLECT);
	uint64_t fl[4] = { 7 | PTE_A, 7 | PTE_A, 7, leaf };

	h_map(&h, f, L1A + 8 * PAGE, 1, fl);
	fake_mem_begin_walk(h.mem);
	assert_false(snpt_prefetch(h.s, rt));
	assert_int_equal(fake_mem_nr_writes(h.mem), 0);
	assert_false(shadow_get(rt, f).present);

	/* L1 runs another root after the reflected #NPF: not prefetched */
	assert_int_equal(fault(&h, rt, f + PAGE, FINAL, 0, &out), SNPT_REFLECT);
	h_poke(&h, gpt_entry_gpa(&h.pt, f + PAGE, 1), (L1A + 9 * PAGE) | leaf);
	h_poke(&h, gpt_entry_gpa(&h.pt, f, 2),
	       h_peek(&h, gpt_entry_gpa(&h.pt, f, 2)) | PTE_A);
	fake_mem_poke(h.mem, 0x900000ull, h_peek(&h, gpt_entry_gpa(&h.pt, a, 4)), 8);
	assert_int_equal(snpt_get_root(h.s, 0x900000ull, h.role,
				       SNPT_EXEC_SUPERVISOR, 1, &other), 0);
	assert_false(snpt_prefetch(h.s, other));
	assert_false(snpt_prefetch(h.s, rt)); /* forgotten */
	assert_false(shadow_get(rt, f + PAGE).present);
	check_protections(&h);
	h_fini(&h);
}

/*
 * What a KVM-like L1 costs per page it maps on demand, with env->unsync
 * and the prefetch: L2 touches 512 pages of one PT, each #NPF is reflected,
 * L1 writes the new leaf (the first write to the page exits once), and
 * at its VMRUN the prefetch installs it: one #NPF per page, no fault
 * again, no entry dropped.  Without env->unsync every write after the
 * first exits and drops the 2 MiB: the next fault finds the table again
 * (prefetching then needs the page protected again).
 */
static void kvm_like_l1(void **state)
{
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_A | PTE_D;
	const uint64_t base = 0x40000000ull;

	(void)state;
	for (int unsync = 0; unsync <= 1; unsync++) {
		struct h h;
		struct snpt_fault_result out;
		uint64_t rt, traps = 0;

		h_std(&h);
		if (unsync)
			h_unsync(&h);
		/* the tables, accessed as KVM makes its table entries */
		uint64_t fl[4] = { 7 | PTE_A, 7 | PTE_A, 7 | PTE_A, 0 };

		h_map(&h, base, 0x10000000ull, 1, fl);
		rt = root(&h, SNPT_EXEC_SUPERVISOR);
		for (uint64_t i = 0; i < 512; i++) {
			uint64_t l2 = base + i * PAGE, pte = gpt_entry_gpa(&h.pt, l2, 1);

			assert_int_equal(fault(&h, rt, l2, FINAL | PFERR_WRITE, 0,
					       &out), SNPT_REFLECT);
			if (snpt_is_protected(h.s, pte)) {
				snpt_l1_write(h.s, pte);
				traps++;
			}
			h_poke(&h, pte, (0x10000000ull + i * PAGE) | leaf);
			assert_true(snpt_prefetch(h.s, rt));
		}
		for (uint64_t i = 0; i < 512; i++) {
			struct sw sw = shadow_get(rt, base + i * PAGE);

			if (!unsync && i < 511) {
				assert_false(sw.present);
				continue;
			}
			assert_true(sw.present && sw.w);
			assert_int_equal(sw.hpa, HPA_OFFSET + 0x10000000ull + i * PAGE);
		}
		assert_int_equal(h.s->stats.faults, 512);
		assert_int_equal(h.s->stats.prefetch_installs, 512);
		/* unsync: only the second write traps (at the first the page
		 * was not used yet); otherwise every write after the first */
		assert_int_equal(traps, unsync ? 1 : 511);
		print_message("  %s: 512 pages, %u faults, %" PRIu64 " trapped "
			      "writes, %" PRIu64 " protections\n",
			      unsync ? "unsync" : "exact ", (unsigned)h.s->stats.faults,
			      traps, F.nr_protect);
		h_fini(&h);
	}
}

/* invlpga drops one leaf in every root; flush empties every root. */
static void invlpga_and_flush(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_D;
	uint64_t rs, ru;

	(void)state;
	h_init(&h, X86_CR4_PAE, LM | NXE, true, false, true, true);
	map4(&h, L2A, L1A, 1, leaf);
	map4(&h, L2A + PAGE, L1A + PAGE, 1, leaf);
	map4(&h, 0x80000000ull, 0x100000000ull, 3, leaf);
	map4(&h, 0, L1A, 1, leaf);
	map4(&h, PAGE, L1A + PAGE, 1, leaf);
	rs = root(&h, SNPT_EXEC_SUPERVISOR);
	ru = root(&h, SNPT_EXEC_USER);
	assert_int_not_equal(rs, ru);
	for (unsigned i = 0; i < 2; i++) {
		uint64_t rt = i ? ru : rs;

		assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_INSTALLED);
		assert_int_equal(fault(&h, rt, L2A + PAGE, FINAL, 0, &out), SNPT_INSTALLED);
		assert_int_equal(fault(&h, rt, 0x80000000ull, FINAL, 0, &out), SNPT_INSTALLED);
		assert_int_equal(fault(&h, rt, 0, FINAL, 0, &out), SNPT_INSTALLED);
		assert_int_equal(fault(&h, rt, PAGE, FINAL, 0, &out), SNPT_INSTALLED);
	}
	unsigned prot = F.nr_prot;

	snpt_invlpga(h.s, L2A);
	assert_false(shadow_get(rs, L2A).present);
	assert_false(shadow_get(ru, L2A).present);
	assert_true(shadow_get(rs, L2A + PAGE).present);
	assert_true(shadow_get(ru, L2A + PAGE).present);
	assert_int_equal(F.nr_prot, prot);
	/* a leaf at the start of every table it is in: its neighbour stays */
	snpt_invlpga(h.s, 0);
	assert_false(shadow_get(rs, 0).present);
	assert_true(shadow_get(rs, PAGE).present);
	/* a 1 GiB shadow leaf goes whole */
	snpt_invlpga(h.s, 0x80000000ull + 0x12345000ull);
	assert_false(shadow_get(rs, 0x80000000ull).present);

	snpt_flush(h.s);
	assert_int_equal(F.nr_prot, 0);
	assert_false(shadow_get(rs, L2A + PAGE).present);
	assert_int_equal(F.pool_used, 2); /* the two (empty) roots stay */
	assert_int_equal(root(&h, SNPT_EXEC_SUPERVISOR), rs);
	assert_int_equal(fault(&h, rs, L2A, FINAL, 0, &out), SNPT_INSTALLED);
	assert_true(shadow_get(rs, L2A).present);
	h_fini(&h);
}

/* (3) The root cache: keys, reuse, LRU eviction. */
static void root_cache(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	uint64_t r[SNPT_MAX_ROOTS + 1], again;
	union cpu_role other;

	(void)state;
	h_std(&h);
	map4(&h, L2A, L1A, 1, PTE_P | PTE_RW | PTE_US);
	r[0] = root(&h, SNPT_EXEC_SUPERVISOR);
	assert_int_equal(root(&h, SNPT_EXEC_SUPERVISOR), r[0]);
	/* without GMET the exec class does not split roots */
	assert_int_equal(root(&h, SNPT_EXEC_USER), r[0]);
	/* another role (here L1 NXE off) is another root */
	other = cpu_role_shadow_npt(X86_CR4_PAE, LM, false);
	assert_int_equal(snpt_get_root(h.s, NCR3, other, SNPT_EXEC_SUPERVISOR, 1,
				       &again), 0);
	assert_int_not_equal(again, r[0]);
	/* fill the cache with other nCR3s (each walks its own PML4 copy) */
	assert_int_equal(fault(&h, r[0], L2A, FINAL, 0, &out), SNPT_INSTALLED);
	for (unsigned i = 1; i < SNPT_MAX_ROOTS; i++) {
		uint64_t n = NCR3 + 0x1000000ull * i;

		fake_mem_poke(h.mem, n, gpt_get(&h.pt, L2A, 4), 8);
		assert_int_equal(snpt_get_root(h.s, n, h.role, 0, 1, &r[i]), 0);
		assert_int_equal(fault(&h, r[i], L2A, FINAL, 0, &out), SNPT_INSTALLED);
	}
	/* the role-other root was least recently used: evicted */
	assert_int_equal(h.s->stats.evictions, 1);
	for (unsigned i = 0; i < SNPT_MAX_ROOTS; i++) {
		assert_int_equal(snpt_get_root(h.s, i ? NCR3 + 0x1000000ull * i : NCR3,
					       h.role, 0, 1, &again), 0);
		assert_int_equal(again, r[i]); /* all cached: reused */
		assert_true(shadow_get(again, L2A).present);
	}
	assert_int_equal(h.s->stats.evictions, 1);
	/* root 0 is now the LRU: touch it by a fault, then a new nCR3 evicts
	 * root 1, whose pages and protection (its PML4 copy) go */
	assert_int_equal(fault(&h, r[0], L2A, FINAL, 0, &out), SNPT_INSTALLED);
	unsigned pool = F.pool_used, prot = F.nr_prot;

	fake_mem_poke(h.mem, 0x7000000ull, gpt_get(&h.pt, L2A, 4), 8);
	assert_int_equal(snpt_get_root(h.s, 0x7000000ull, h.role, 0, 1, &r[8]),
			 0);
	assert_int_equal(h.s->stats.evictions, 2);
	assert_int_equal(F.pool_used, pool - 4 + 1); /* 4 freed, 1 new root */
	assert_int_equal(F.nr_prot, prot - 1);
	assert_true(prot_find(NCR3 + 0x1000000ull) < 0);
	assert_int_equal(fault(&h, r[1], L2A, FINAL, 0, &out),
			 r[8] == r[1] ? SNPT_INSTALLED : SNPT_STALE_ROOT);
	assert_true(shadow_get(r[0], L2A).present);
	/* a fresh root for an evicted key starts empty */
	assert_int_equal(snpt_get_root(h.s, NCR3 + 0x1000000ull, h.role, 0, 1,
				       &again), 0);
	assert_false(shadow_get(again, L2A).present);
	h_fini(&h);
}

/*
 * (4) GMET, every CPL x U x NX x access x current class, emulated (two
 * roots) and in hardware (one root).  Expectations from §5.1 rows 7,
 * 9-15 and §5.2: data never faults on a writable present page; a fetch
 * faults iff NX, or U=1 at CPL 0-2; EXITINFO1 = P | US(CPL 3) | I/D
 * (L1 NXE=1) | bit 32.
 */
static void gmet_matrix(void **state)
{
	unsigned cases = 0;

	(void)state;
	for (int hw = 0; hw <= 1; hw++)
	for (unsigned cpl = 0; cpl <= 3; cpl += 3)
	for (int u = 0; u <= 1; u++)
	for (int nx = 0; nx <= 1; nx++)
	for (unsigned kind = 0; kind < 3; kind++)
	for (int cur = 0; cur <= 1; cur++) {
		struct h h;
		struct snpt_fault_result out;
		enum snpt_outcome o;
		uint64_t leaf = PTE_P | PTE_RW | PTE_D | (u ? PTE_US : 0) |
				(nx ? PTE_NX : 0);
		uint64_t hwc = FINAL | PFERR_USER | PFERR_PRESENT |
			       (kind == 1 ? PFERR_WRITE : 0) |
			       (kind == 2 ? PFERR_FETCH : 0);
		enum snpt_exec cls = cur ? SNPT_EXEC_USER : SNPT_EXEC_SUPERVISOR;
		bool fetch = kind == 2;
		bool faults = fetch && (nx || (cpl < 3 && u));
		uint64_t rt, other;

		h_init(&h, X86_CR4_PAE, LM | NXE, true, hw, true, true);
		map4(&h, L2A, L1A, 1, leaf);
		rt = root(&h, cls);
		other = root(&h, cur ? SNPT_EXEC_SUPERVISOR : SNPT_EXEC_USER);
		if (hw)
			assert_int_equal(rt, other);
		else
			assert_int_not_equal(rt, other);
		/* the CPU's US bit is ignored (erratum 1218) */
		o = fault(&h, rt, L2A, hwc, cpl, &out);
		cases++;
		if (faults) {
			assert_int_equal(o, SNPT_REFLECT);
			assert_int_equal(out.exit_info_1, 0x100000011ull |
					 (cpl == 3 ? PFERR_USER : 0));
			h_fini(&h);
			continue;
		}
		struct sw sw = shadow_get(out.root_hpa, L2A);

		assert_true(sw.present && sw.w);
		if (hw) {
			assert_int_equal(o, SNPT_INSTALLED);
			assert_int_equal(out.root_hpa, rt);
			assert_int_equal(sw.u, u);
			assert_int_equal(sw.nx, nx);
			h_fini(&h);
			continue;
		}
		assert_true(sw.u);
		if (fetch) { /* runs in its page's class */
			enum snpt_exec want = u ? SNPT_EXEC_USER
						: SNPT_EXEC_SUPERVISOR;

			assert_int_equal(out.exec, want);
			assert_int_equal(o, want != cls ? SNPT_SWITCH_ROOT
							: SNPT_INSTALLED);
			assert_int_equal(out.root_hpa, want == cls ? rt : other);
			assert_false(sw.nx);
			/* the page is NX in the other class's root */
			uint64_t ort = want == cls ? other : rt;

			assert_int_equal(fault(&h, ort, L2A, FINAL, cpl, &out),
					 SNPT_INSTALLED);
			assert_true(shadow_get(ort, L2A).nx);
		} else { /* data: installed here, NX by class */
			assert_int_equal(o, SNPT_INSTALLED);
			assert_int_equal(out.root_hpa, rt);
			assert_int_equal(sw.nx, nx || (cur ? !u : u));
		}
		h_fini(&h);
	}
	/* without GMET a U=0 leaf faults for every access, any CPL (row 3/6) */
	for (unsigned cpl = 0; cpl <= 3; cpl += 3) {
		struct h h;
		struct snpt_fault_result out;

		h_std(&h);
		map4(&h, L2A, L1A, 1, PTE_P | PTE_RW | PTE_D);
		assert_int_equal(fault(&h, root(&h, SNPT_EXEC_SUPERVISOR), L2A,
				       FINAL | PFERR_FETCH, cpl, &out),
				 SNPT_REFLECT);
		assert_int_equal(out.exit_info_1, 0x100000015ull);
		h_fini(&h);
		cases++;
	}
	print_message("  GMET matrix: %u cases\n", cases);
}

/*
 * (4b) GMET emulated, an instruction whose bytes straddle a U=0 and a U=1
 * page (docs/semantics.md §2.1, §2.4): a CPL-3 fetch from either page is
 * allowed (APM Table 15-21), so at CPL 3 the instruction runs, whatever
 * root vmcb02 starts on; at CPL 0-2 its U=1 half is a GMET fault.
 * cpu_fetch() plays the CPU: it fetches the two halves in order from the
 * root vmcb02 runs on, and each missing or NX half is an #NPF of the
 * instruction at rip, followed as svm/npf.c would (a root switch moves
 * vmcb02).  Without the straddle rule the faults never end.
 */
#define STRADDLE_RIP 0x40007ffeull

static enum snpt_outcome cpu_fetch(struct h *h, uint64_t *rt,
				   const uint64_t half[2], unsigned cpl,
				   uint64_t rip, unsigned *faults,
				   struct snpt_fault_result *out)
{
	for (*faults = 0; *faults < 8;) {
		struct sw sw = { 0 };
		enum snpt_outcome o;
		unsigned i;

		for (i = 0; i < 2; i++) {
			sw = shadow_get(*rt, half[i]);
			if (!sw.present || sw.nx)
				break;
		}
		if (i == 2)
			return SNPT_INSTALLED; /* the instruction ran */
		o = fault_at(h, *rt, half[i], FINAL | PFERR_FETCH |
			     (cpl == 3 ? PFERR_USER : 0) |
			     (sw.present ? PFERR_PRESENT : 0), cpl, rip, out);
		(*faults)++;
		if (o == SNPT_SWITCH_ROOT)
			*rt = out->root_hpa;
		else if (o != SNPT_INSTALLED)
			return o;
	}
	return SNPT_RETRY; /* no progress: the livelock */
}

static void gmet_straddle(void **state)
{
	const uint64_t u0 = PTE_P | PTE_RW | PTE_D, u1 = u0 | PTE_US;
	const uint64_t half[2] = { L2A + 0xfff, L2A + 0x1000 };
	const uint64_t kernel = L2A + 0x2000;

	(void)state;
	for (int user_first = 0; user_first <= 1; user_first++)
	for (int start_user = 0; start_user <= 1; start_user++) {
		struct h h;
		struct snpt_fault_result out;
		unsigned faults;
		uint64_t rt, ru, rs;
		unsigned u0_half = user_first ? 1 : 0;

		h_init(&h, X86_CR4_PAE, LM | NXE, true, false, true, true);
		map4(&h, L2A, L1A, 1, user_first ? u1 : u0);
		map4(&h, L2A + 0x1000, L1A + 0x1000, 1, user_first ? u0 : u1);
		map4(&h, kernel, L1A + 0x2000, 1, u0);
		ru = root(&h, SNPT_EXEC_USER);
		rs = root(&h, SNPT_EXEC_SUPERVISOR);
		rt = start_user ? ru : rs;

		/* CPL 3: it runs, in the USER root, after at most four
		 * faults (a first install, two switches, the straddle) */
		assert_int_equal(cpu_fetch(&h, &rt, half, 3, STRADDLE_RIP,
					   &faults, &out), SNPT_INSTALLED);
		assert_in_range(faults, 2, 4);
		assert_int_equal(rt, ru);
		assert_int_equal(h.s->stats.straddles, 1);
		assert_int_equal(shadow_get(ru, half[u0_half]).shift, 12);

		/* the exception lasts while the USER root does: the kernel's
		 * first fetch (CPL 0, U=0, another RIP) switches back and
		 * takes the U=0 half out of the USER root again */
		assert_int_equal(fault(&h, ru, kernel, FINAL | PFERR_FETCH, 0,
				       &out), SNPT_SWITCH_ROOT);
		assert_int_equal(out.root_hpa, rs);
		assert_false(shadow_get(ru, half[u0_half]).present);
		assert_true(shadow_get(ru, half[!u0_half]).present);

		/* and the instruction runs again from there */
		rt = rs;
		assert_int_equal(cpu_fetch(&h, &rt, half, 3, STRADDLE_RIP,
					   &faults, &out), SNPT_INSTALLED);
		assert_int_equal(rt, ru);
		assert_int_equal(h.s->stats.straddles, 2);

		/* CPL 0 (same pages, from the SUPERVISOR root): the U=1 half
		 * is a GMET fault, P | I/D | bit 32, at that half's address */
		snpt_flush(h.s);
		rt = rs;
		assert_int_equal(cpu_fetch(&h, &rt, half, 0, STRADDLE_RIP + 64,
					   &faults, &out), SNPT_REFLECT);
		assert_int_equal(out.exit_info_1, 0x100000011ull);
		assert_int_equal(out.exit_info_2, half[!u0_half]);
		h_fini(&h);
	}

	/* The U=0 half in a 2 MiB page of L1's: executable in the USER root
	 * as that one 4 KiB page, the rest of the 2 MiB page stays NX. */
	{
		struct h h;
		struct snpt_fault_result out;
		const uint64_t big[2] = { 0x403fffffull, 0x40400000ull };
		uint64_t ru, rt;
		unsigned faults;

		h_init(&h, X86_CR4_PAE, LM | NXE, true, false, true, true);
		map4(&h, 0x40200000ull, 0x07600000ull, 2, u0);
		map4(&h, big[1], 0x07800000ull, 1, u1);
		ru = root(&h, SNPT_EXEC_USER);
		rt = root(&h, SNPT_EXEC_SUPERVISOR);
		/* the rest of the 2 MiB page, fetched from the USER root */
		assert_int_equal(fault(&h, ru, 0x40200000ull, FINAL | PFERR_FETCH,
				       3, &out), SNPT_SWITCH_ROOT);
		assert_int_equal(shadow_get(rt, 0x40200000ull).shift, 21);
		assert_int_equal(cpu_fetch(&h, &rt, big, 3, STRADDLE_RIP,
					   &faults, &out), SNPT_INSTALLED);
		assert_int_equal(rt, ru);
		assert_int_equal(shadow_get(ru, big[0]).shift, 12);
		assert_false(shadow_get(ru, big[0]).nx);
		assert_int_equal(fault(&h, ru, 0x40200000ull, FINAL | PFERR_FETCH,
				       3, &out), SNPT_SWITCH_ROOT);
		h_fini(&h);
	}

	/* vmcb02 leaves the USER root by a VMRUN (not a switch) and comes
	 * back through the SUPERVISOR root to another straddle: one
	 * exception at a time, the first one's U=0 page NX there again. */
	{
		struct h h;
		struct snpt_fault_result out;
		const uint64_t second[2] = { L2A + 0x2fff, L2A + 0x3000 };
		uint64_t ru, rs, rt;
		unsigned faults;

		h_init(&h, X86_CR4_PAE, LM | NXE, true, false, true, true);
		map4(&h, L2A, L1A, 1, u0);
		map4(&h, L2A + 0x1000, L1A + 0x1000, 1, u1);
		map4(&h, L2A + 0x2000, L1A + 0x2000, 1, u0);
		map4(&h, L2A + 0x3000, L1A + 0x3000, 1, u1);
		ru = root(&h, SNPT_EXEC_USER);
		rs = root(&h, SNPT_EXEC_SUPERVISOR);
		rt = rs;
		assert_int_equal(cpu_fetch(&h, &rt, half, 3, STRADDLE_RIP,
					   &faults, &out), SNPT_INSTALLED);
		assert_false(shadow_get(ru, half[0]).nx);
		rt = rs; /* a VMRUN puts vmcb02 on the SUPERVISOR root */
		assert_int_equal(cpu_fetch(&h, &rt, second, 3, STRADDLE_RIP + 64,
					   &faults, &out), SNPT_INSTALLED);
		assert_int_equal(rt, ru);
		assert_int_equal(h.s->stats.straddles, 2);
		assert_false(shadow_get(ru, second[0]).nx);
		assert_false(shadow_get(ru, half[0]).present);
		h_fini(&h);
	}

	/* Different instructions alternating between the classes at CPL 3
	 * are no straddle: each switch happens. */
	{
		struct h h;
		struct snpt_fault_result out;
		uint64_t ru, rs;

		h_init(&h, X86_CR4_PAE, LM | NXE, true, false, true, true);
		map4(&h, L2A, L1A, 1, u0);
		map4(&h, L2A + 0x1000, L1A + 0x1000, 1, u1);
		ru = root(&h, SNPT_EXEC_USER);
		rs = root(&h, SNPT_EXEC_SUPERVISOR);
		assert_int_equal(fault_at(&h, rs, L2A + 0x1000, FINAL | PFERR_FETCH,
					  3, 0x1000, &out), SNPT_SWITCH_ROOT);
		assert_int_equal(out.root_hpa, ru);
		assert_int_equal(fault_at(&h, ru, L2A, FINAL | PFERR_FETCH, 3,
					  0x2000, &out), SNPT_SWITCH_ROOT);
		assert_int_equal(out.root_hpa, rs);
		assert_true(shadow_get(ru, L2A + 0x1000).present);
		assert_false(shadow_get(ru, L2A).present);
		assert_int_equal(h.s->stats.straddles, 0);
		h_fini(&h);
	}
}

/* (5) A hostile L1: the shadow only ever holds what l1_to_hpa returned. */
static void hostile_l1(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_D;
	uint64_t rt, rr, pd;
	unsigned prot, n = 0;

	(void)state;
	h_std(&h);
	map4(&h, 0x40000000ull, 0, 3, leaf);       /* over nestvisor's region */
	map4(&h, 0x80000000ull, 0x7ff00000000ull, 2, leaf); /* beyond memory */
	map4(&h, 0xc0000000ull, 1ull << 48, 1, leaf);       /* >= MAXPHYADDR */
	map4(&h, 0xc0001000ull, BAD_HPA_GPA, 1, leaf);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	/* every page of the region is the scratch page, never the region's
	 * real host address */
	for (uint64_t off = 0; off < BLOCK_2M; off += 0x41234, n++) {
		uint64_t gpa = 0x40000000ull + REGION + off;

		assert_int_equal(fault(&h, rt, gpa, FINAL | PFERR_WRITE, 0, &out),
				 SNPT_INSTALLED);
		assert_int_equal(out.shadow_shift, 12);
		assert_int_equal(shadow_get(rt, gpa).hpa,
				 SCRATCH_HPA | (off & 0xfff));
	}
	/* beyond L1's memory: reported, nothing installed or protected */
	prot = F.nr_prot;
	assert_int_equal(fault(&h, rt, 0x80000000ull, FINAL, 0, &out),
			 SNPT_NO_L1_MEMORY);
	assert_int_equal(out.l1_gpa, 0x7ff00000000ull);
	assert_false(shadow_get(rt, 0x80000000ull).present);
	assert_int_equal(F.nr_prot, prot);
	/* an address at or above MAXPHYADDR is a reserved-bit fault */
	assert_int_equal(fault(&h, rt, 0xc0000000ull, FINAL, 0, &out),
			 SNPT_REFLECT);
	assert_int_equal(out.exit_info_1, 0x10000000dull);
	/* l1_to_hpa answering past bit 51: refused */
	assert_int_equal(fault(&h, rt, 0xc0001000ull, FINAL, 0, &out),
			 SNPT_BAD_HOST_ADDRESS);
	assert_false(shadow_get(rt, 0xc0001000ull).present);
	assert_int_equal(F.nr_prot, prot);
	/* a table pointer into memory l1mem cannot read (that PD page backs
	 * no shadow entry, so it is not protected and L1 just writes it) */
	pd = gpt_entry_gpa(&h.pt, 0xc0000000ull, 2);
	assert_false(snpt_is_protected(h.s, pd));
	h_poke(&h, pd, 0x6000000000ull | 7);
	assert_int_equal(fault(&h, rt, 0xc0000000ull, FINAL, 0, &out),
			 SNPT_L1_TABLE_UNREACHABLE);
	/* nCR3 itself in the region (l1mem has nothing there) */
	assert_int_equal(snpt_get_root(h.s, REGION, h.role, 0, 1, &rr), 0);
	assert_int_equal(fault(&h, rr, L2A, FINAL, 0, &out), SNPT_L1_TABLE_UNREACHABLE);
	/* L2 gpas the 4-level shadow cannot map, unknown roots */
	assert_int_equal(fault(&h, rt, 1ull << 48, FINAL, 0, &out), SNPT_BAD_ADDRESS);
	assert_int_equal(fault(&h, 0x1234000, L2A, FINAL, 0, &out), SNPT_STALE_ROOT);
	assert_int_equal(scan_all(&h), n);
	h_fini(&h);
}

/* Limits: out of shadow pages, and a full use table. */
static void limits(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	const uint64_t leaf = PTE_P | PTE_RW | PTE_US | PTE_D;
	uint64_t rt;
	unsigned n = SNPT_MAX_USES + 8;

	(void)state;
	/* out of pages: a reset frees the other entries' tables, then it fits */
	h_std(&h);
	map4(&h, L2A, L1A, 1, leaf);
	map4(&h, 0x8040201000ull, L1A, 1, leaf);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_INSTALLED);
	F.pool_limit = F.pool_used; /* root + 3 tables, nothing more */
	assert_int_equal(fault(&h, rt, 0x8040201000ull, FINAL, 0, &out),
			 SNPT_INSTALLED);
	assert_int_equal(h.s->stats.resets, 1);
	assert_true(shadow_get(rt, 0x8040201000ull).present);
	assert_false(shadow_get(rt, L2A).present);
	check_protections(&h);
	F.pool_limit = F.pool_used - 1; /* not even that */
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_NO_MEMORY);
	assert_int_equal(F.nr_prot, 0);
	h_fini(&h);

	/* more L1 PT pages than uses: the table is reset, mappings stay right */
	h_std(&h);
	for (uint64_t i = 0; i < n; i++)
		map4(&h, i << 21, 0x10000000ull + (i << 12), 1, leaf);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(fault(&h, rt, i << 21, FINAL, 0, &out), SNPT_INSTALLED);
		assert_int_equal(shadow_get(rt, i << 21).hpa,
				 HPA_OFFSET + 0x10000000ull + (i << 12));
	}
	assert_int_equal(h.s->stats.resets, 1);
	assert_false(shadow_get(rt, 0).present);
	check_protections(&h);
	print_message("  use table of %u reset once over %u PT pages\n",
		      SNPT_MAX_USES, n);
	h_fini(&h);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(spec_error_codes),
		cmocka_unit_test(dirty_bit_rule),
		cmocka_unit_test(large_pages),
		cmocka_unit_test(watched_pages),
		cmocka_unit_test(coherence),
		cmocka_unit_test(changed_under_walk),
		cmocka_unit_test(unsync_until_flush),
		cmocka_unit_test(asid_tags),
		cmocka_unit_test(prefetch),
		cmocka_unit_test(kvm_like_l1),
		cmocka_unit_test(invlpga_and_flush),
		cmocka_unit_test(root_cache),
		cmocka_unit_test(gmet_matrix),
		cmocka_unit_test(gmet_straddle),
		cmocka_unit_test(hostile_l1),
		cmocka_unit_test(limits),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
