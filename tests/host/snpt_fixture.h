/* SPDX-License-Identifier: MIT */
/*
 * Shared set-up for the shadow-NPT MMU tests (include after <cmocka.h>).
 *
 * Fakes: L1 memory is two identical policing fake memories (fake_mem.c):
 * the MMU walks one, the reference walk() the other, so every A/D bit the
 * MMU's walk sets can be compared with what the walker sets.  Shadow table
 * pages come from a pool of host pages under made-up addresses; touching a
 * page that is not allocated fails the test.  nestvisor's NPT for L1 is
 * fake_l1_to_hpa: L1 memory [0, mem_end) at HPA_OFFSET, except a 2 MiB
 * "nestvisor region" that maps every page to one scratch page, a 2 MiB
 * block mapped page by page with neighbours swapped, and a page that maps
 * past bit 51; nothing above mem_end.  fake_protect keeps the set of
 * protected pages and fails the test on a double protect or a release of
 * an unprotected page.  shadow_get is this file's own 4-level NPT walker
 * over the shadow; scan_all checks every leaf maps a block l1_to_hpa
 * vouched for.
 */
#ifndef NV_TESTS_SNPT_FIXTURE_H
#define NV_TESTS_SNPT_FIXTURE_H

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_mem.h"
#include "mm/pte.h"
#include "mm/shadow_npt.h"
#include "mm/walk.h"

#define PAGE        4096ull
#define HPA_OFFSET  (1ull << 40)
#define SCRATCH_HPA (2ull << 40)
#define POOL_PA     (3ull << 40)
#define POOL_PAGES  16384u
#define REGION      0x3fe00000ull /* nestvisor's region in L1 gpa space */
#define FRAG        0x80000000ull /* 2 MiB mapped page by page, swapped */
#define BLOCK_2M    (2ull << 20)
#define BAD_HPA_GPA 0x90000000ull /* l1_to_hpa returns an address >= 2^52 */
#define NCR3        0x100000ull
#define TABLE_POOL  0x200000ull   /* L1 NPT tables are built from here */
#define LM          (X86_EFER_LME | X86_EFER_LMA)
#define NXE         X86_EFER_NXE
#define FINAL       PFERR_GUEST_FINAL
#define GPAGE       PFERR_GUEST_PAGE

/* ---- fakes -------------------------------------------------------------- */

struct fakes {
	uint8_t *pool[POOL_PAGES];
	unsigned pool_used, pool_limit, pool_next;
	uint64_t mem_end;
	uint64_t prot[16384];
	unsigned nr_prot;
	uint64_t refuse_page; /* protect() refuses this page (0: none) */
	/* Another CPU: when race_page gets protected, race_val is stored at
	 * race_gpa of race_mem first (once). */
	uint64_t race_page, race_gpa, race_val;
	struct fake_mem *race_mem;
	uint64_t watched;     /* the page l1_watched() names (0: none) */
	uint64_t nr_protect, nr_release;
};

static struct fakes F;

static inline void on_violation(const char *what, uint64_t gpa)
{
	fail_msg("fake L1 memory: %s at gpa 0x%" PRIx64, what, gpa);
}

static inline void *pool_map(void *ctx, uint64_t pa)
{
	uint64_t i = (pa - POOL_PA) / PAGE;

	(void)ctx;
	if (pa < POOL_PA || (pa & (PAGE - 1)) || i >= POOL_PAGES || !F.pool[i])
		fail_msg("shadow MMU touched 0x%" PRIx64 ", not one of its pages", pa);
	return F.pool[i];
}

static inline uint64_t pool_alloc(void *ctx)
{
	(void)ctx;
	if (F.pool_used >= F.pool_limit)
		return 0;
	for (unsigned n = 0; n < POOL_PAGES; n++) {
		unsigned i = (F.pool_next + n) % POOL_PAGES;

		if (!F.pool[i]) {
			F.pool[i] = calloc(1, PAGE);
			assert_non_null(F.pool[i]);
			F.pool_used++;
			F.pool_next = i + 1;
			return POOL_PA + i * PAGE;
		}
	}
	return 0;
}

static inline void pool_free(void *ctx, uint64_t pa)
{
	pool_map(ctx, pa);
	free(F.pool[(pa - POOL_PA) / PAGE]);
	F.pool[(pa - POOL_PA) / PAGE] = NULL;
	F.pool_used--;
}

static inline bool in_block(uint64_t gpa, uint64_t base)
{
	return gpa >= base && gpa < base + BLOCK_2M;
}

static inline bool same_1g(uint64_t a, uint64_t b)
{
	return (a >> 30) == (b >> 30);
}

static inline int fake_l1_to_hpa(void *ctx, uint64_t gpa, uint64_t *hpa,
				 unsigned *ms)
{
	(void)ctx;
	if (gpa >= F.mem_end)
		return -NV_EFAULT;
	if ((gpa & ~(PAGE - 1)) == BAD_HPA_GPA) {
		*hpa = 1ull << 52;
		*ms = 12;
		return 0;
	}
	if (in_block(gpa, REGION)) {
		*hpa = SCRATCH_HPA | (gpa & (PAGE - 1));
		*ms = 12;
		return 0;
	}
	if (in_block(gpa, FRAG)) {
		*hpa = HPA_OFFSET + (gpa ^ 0x1000);
		*ms = 12;
		return 0;
	}
	*hpa = HPA_OFFSET + gpa;
	if (in_block(gpa, BAD_HPA_GPA))
		*ms = 12;
	else
		*ms = same_1g(gpa, REGION) || same_1g(gpa, FRAG) ||
		      same_1g(gpa, BAD_HPA_GPA) ? 21 : 30;
	return 0;
}

static inline int prot_find(uint64_t page)
{
	for (unsigned i = 0; i < F.nr_prot; i++)
		if (F.prot[i] == page)
			return (int)i;
	return -1;
}

static inline bool fake_watched(void *ctx, uint64_t page)
{
	(void)ctx;
	if (page & 0xfff)
		fail_msg("l1_watched(0x%" PRIx64 "): not a page address", page);
	return F.watched && page == F.watched;
}

static inline int fake_protect(void *ctx, uint64_t page, bool wp)
{
	int i = prot_find(page);

	(void)ctx;
	if (page & (PAGE - 1))
		fail_msg("protect(0x%" PRIx64 "): not a page address", page);
	if (wp) {
		if (page == F.refuse_page)
			return -NV_EBUSY;
		if (page == F.race_page && F.race_mem) {
			fake_mem_poke(F.race_mem, F.race_gpa, F.race_val, 8);
			F.race_page = 0;
		}
		if (i >= 0)
			fail_msg("page 0x%" PRIx64 " protected twice", page);
		assert_true(F.nr_prot < 16384);
		F.prot[F.nr_prot++] = page;
		F.nr_protect++;
	} else {
		if (i < 0)
			fail_msg("page 0x%" PRIx64 " released but not protected", page);
		F.prot[i] = F.prot[--F.nr_prot];
		F.nr_release++;
	}
	return 0;
}

/* ---- harness: an L1 NPT in two twin memories and a shadow MMU ----------- */

struct h {
	struct fake_mem *mem, *ref;
	struct gmem gmem, gref;
	struct gpt_builder pt, ptr;
	struct pagewalk w;
	union cpu_role role;
	struct pt_mem ptm;
	struct snpt_env env;
	struct snpt *s;
	bool emul; /* GMET emulated with two roots */
};

static inline void h_init(struct h *h, uint64_t cr4, uint64_t efer,
			  bool gmet, bool hw_gmet, bool l1_gb, bool l0_gb)
{
	struct mm_cpu cpu = { .maxphyaddr = 48, .gbpages = l1_gb };

	memset(&F, 0, sizeof(F));
	F.pool_limit = POOL_PAGES;
	h->role = cpu_role_shadow_npt(cr4, efer, gmet);
	F.mem_end = h->role.base.level <= 3 ? (3ull << 30) : (8ull << 30);
	h->mem = fake_mem_create(on_violation);
	h->ref = fake_mem_create(on_violation);
	h->gmem = fake_mem_gmem(h->mem);
	h->gref = fake_mem_gmem(h->ref);
	gpt_init(&h->pt, h->mem, h->role.base.level, NCR3, TABLE_POOL);
	gpt_init(&h->ptr, h->ref, h->role.base.level, NCR3, TABLE_POOL);
	pagewalk_init(&h->w, h->role, true, &cpu);
	h->ptm = (struct pt_mem){ NULL, pool_map, pool_alloc, pool_free };
	h->env = (struct snpt_env){
		.l1mem = &h->gmem, .l1_to_hpa = fake_l1_to_hpa,
		.protect = fake_protect, .l1_watched = fake_watched,
		.ctx = NULL, .ptm = &h->ptm,
		.l1_cpu = cpu, .hw_gmet = hw_gmet, .gbpages = l0_gb,
	};
	h->emul = gmet && !hw_gmet;
	h->s = malloc(sizeof(*h->s));
	assert_non_null(h->s);
	snpt_init(h->s, &h->env);
}

/* The same MMU with env->unsync (before any root is made). */
static inline void h_unsync(struct h *h)
{
	h->env.unsync = true;
	snpt_init(h->s, &h->env);
}

/* Tear down, checking that every protection was released and every page
 * given back. */
static inline void h_fini(struct h *h)
{
	snpt_flush(h->s);
	assert_int_equal(F.nr_prot, 0);
	assert_int_equal(F.nr_protect, F.nr_release);
	assert_int_equal(h->s->nr_uses, 0);
	snpt_destroy(h->s);
	assert_int_equal(F.pool_used, 0);
	free(h->s);
	fake_mem_destroy(h->mem);
	fake_mem_destroy(h->ref);
}

/* Map in both memories (see gpt_map). */
static inline void h_map(struct h *h, uint64_t addr, uint64_t pa,
			 unsigned leaf_level, const uint64_t *flags)
{
	gpt_map(&h->pt, addr, pa, leaf_level, flags);
	gpt_map(&h->ptr, addr, pa, leaf_level, flags);
}

static inline void h_poke(struct h *h, uint64_t gpa, uint64_t val)
{
	unsigned len = h->role.base.has_4_byte_gpte ? 4 : 8;

	fake_mem_poke(h->mem, gpa, val, len);
	fake_mem_poke(h->ref, gpa, val, len);
}

static inline uint64_t h_peek(struct h *h, uint64_t gpa)
{
	return fake_mem_peek(h->mem, gpa, h->role.base.has_4_byte_gpte ? 4 : 8);
}

/* 4-level map with tables P|W|U and the given leaf flags (PS added). */
static inline void map4(struct h *h, uint64_t l2, uint64_t l1,
			unsigned leaf_level, uint64_t leaf)
{
	uint64_t f[4] = { 7, 7, 7, 7 };

	f[4 - leaf_level] = leaf | (leaf_level > 1 ? PTE_PS : 0);
	h_map(h, l2, l1, leaf_level, f);
}

static inline uint64_t root(struct h *h, enum snpt_exec exec)
{
	uint64_t hpa = 0;

	assert_int_equal(snpt_get_root(h->s, NCR3, h->role, exec, 1, &hpa), 0);
	return hpa;
}

/* The reference: walk() over the twin memory. */
static inline struct walk_result ref_walk(struct h *h, uint64_t gpa,
					  uint64_t access)
{
	struct walk_result r;

	fake_mem_begin_walk(h->ref);
	walk(&h->w, &h->gref, NCR3, gpa, access, &r);
	assert_false(r.gmem_error);
	return r;
}

/* A walk that changes nothing: for checking what L1's tables say now. */
static inline int dry_cmpxchg(void *ctx, uint64_t gpa, uint64_t o, uint64_t n,
			      unsigned l)
{
	(void)ctx, (void)gpa, (void)o, (void)n, (void)l;
	return 0;
}

static inline struct walk_result dry_walk(struct h *h, uint64_t gpa,
					  uint64_t access)
{
	struct gmem g = h->gref;
	struct walk_result r;

	g.cmpxchg = dry_cmpxchg;
	fake_mem_begin_walk(h->ref);
	walk(&h->w, &g, NCR3, gpa, access, &r);
	assert_false(r.gmem_error);
	return r;
}

/* A fault of the instruction at rip. */
static inline enum snpt_outcome fault_at(struct h *h, uint64_t rt,
					 uint64_t gpa, uint64_t hw,
					 unsigned cpl, uint64_t rip,
					 struct snpt_fault_result *out)
{
	fake_mem_begin_walk(h->mem);
	return snpt_handle_fault(h->s, rt, gpa, hw, cpl, rip, out);
}

/* A fault of an instruction no other call names (a new RIP each time). */
static inline enum snpt_outcome fault(struct h *h, uint64_t rt, uint64_t gpa,
				      uint64_t hw, unsigned cpl,
				      struct snpt_fault_result *out)
{
	static uint64_t rip = 0x7f0000000000ull;

	return fault_at(h, rt, gpa, hw, cpl, rip += 16, out);
}

/* ---- this file's walker over the shadow --------------------------------- */

struct sw {
	bool present;
	uint64_t hpa;   /* of the address looked up, offset included */
	unsigned shift;
	bool w, u, nx;
	uint64_t leaf;
};

static inline struct sw shadow_get(uint64_t rt, uint64_t gpa)
{
	struct sw r = { .w = true, .u = true };
	uint64_t pa = rt;

	for (unsigned lvl = 4; lvl >= 1; lvl--) {
		unsigned shift = 12 + 9 * (lvl - 1);
		uint64_t e = ((uint64_t *)pool_map(NULL, pa))[(gpa >> shift) & 511];

		if (!(e & PTE_P))
			return (struct sw){ 0 };
		r.w &= !!(e & PTE_RW);
		r.u &= !!(e & PTE_US);
		r.nx |= !!(e & PTE_NX);
		if (lvl == 1 || (e & PTE_PS)) {
			uint64_t mask = (1ull << shift) - 1;

			assert_true(lvl <= 3); /* PS in a PML4E is reserved */
			if (lvl > 1)
				assert_int_equal(e & (mask & ~PTE_LARGE_PAT &
						 PTE64_ADDR_4K), 0);
			r.present = true;
			r.shift = shift;
			r.leaf = e;
			r.hpa = (e & PTE64_ADDR_4K & ~mask) | (gpa & mask);
			return r;
		}
		assert_int_equal(e & ~PTE64_ADDR_4K, PTE_P | PTE_RW | PTE_US | PTE_A);
		pa = e & PTE64_ADDR_4K;
	}
	return (struct sw){ 0 };
}

static inline bool sw_equal(struct sw a, struct sw b)
{
	return a.present == b.present && (!a.present ||
	       (a.leaf == b.leaf && a.hpa == b.hpa && a.shift == b.shift));
}

/* Is [base, base + 2^shift) a block l1_to_hpa handed out? */
static inline bool vouched(uint64_t base, unsigned shift)
{
	uint64_t l1, hpa;
	unsigned ms;

	if (base == SCRATCH_HPA)
		return shift == 12;
	if (base < HPA_OFFSET || base >= HPA_OFFSET + F.mem_end)
		return false;
	l1 = base - HPA_OFFSET;
	if (in_block(l1, FRAG))
		l1 ^= 0x1000;
	if (fake_l1_to_hpa(NULL, l1, &hpa, &ms) || hpa != base || ms < shift)
		return false;
	return !(l1 & ((1ull << shift) - 1));
}

/* Every table is a pool page, every leaf maps a vouched host block. */
static inline unsigned scan_tree(uint64_t pa, unsigned lvl)
{
	const uint64_t *t = pool_map(NULL, pa);
	unsigned leaves = 0;

	for (unsigned i = 0; i < 512; i++) {
		unsigned shift = 12 + 9 * (lvl - 1);

		if (!(t[i] & PTE_P))
			continue;
		if (lvl > 1 && !(t[i] & PTE_PS)) {
			leaves += scan_tree(t[i] & PTE64_ADDR_4K, lvl - 1);
			continue;
		}
		if (!vouched(t[i] & PTE64_ADDR_4K & ~((1ull << shift) - 1), shift))
			fail_msg("shadow leaf 0x%" PRIx64 " maps a host block "
				 "l1_to_hpa never returned", t[i]);
		leaves++;
	}
	return leaves;
}

static inline unsigned scan_all(struct h *h)
{
	unsigned leaves = 0;

	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++)
		if (h->s->roots[r].valid)
			leaves += scan_tree(h->s->roots[r].hpa, 4);
	return leaves;
}

/* The fake's protected set is exactly the set of pages with uses that
 * are not unsync; an unsync page is not protected, and every use of a
 * page agrees on it. */
static inline void check_protections(struct h *h)
{
	unsigned distinct = 0, unsync = 0;

	for (unsigned i = 0; i < SNPT_MAX_USES; i++) {
		const struct snpt_use *u = &h->s->uses[i];
		bool first = true;

		if (!u->used)
			continue;
		assert_int_equal(prot_find(u->l1_page) >= 0, !u->unsync);
		for (unsigned j = 0; j < i && first; j++)
			if (h->s->uses[j].used &&
			    h->s->uses[j].l1_page == u->l1_page) {
				assert_int_equal(h->s->uses[j].unsync, u->unsync);
				first = false;
			}
		distinct += first && !u->unsync;
		unsync += first && u->unsync;
	}
	assert_int_equal(distinct, F.nr_prot);
	assert_int_equal(unsync, h->s->nr_unsync);
}

#endif
