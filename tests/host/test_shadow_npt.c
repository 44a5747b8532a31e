// SPDX-License-Identifier: MIT
/*
 * The shadow-NPT MMU (mm/shadow_npt.c) against the walker and the spec.
 *
 * Fakes: L1 memory is two identical policing fake memories (fake_mem.c):
 * the MMU walks one, the reference walk() the other, so every A/D bit the
 * MMU's walk sets can be compared with what the walker sets.  Shadow table
 * pages come from a pool of host pages under made-up addresses; touching a
 * page that is not allocated fails the test.  nestvisor's NPT for L1 is
 * l1_to_hpa below: L1 memory [0, mem_end) at HPA_OFFSET, except a 2 MiB
 * "nestvisor region" that maps every page to one scratch page and a 2 MiB
 * block mapped page by page with neighbours swapped; nothing above mem_end.
 * protect() keeps the set of protected pages and fails the test on a
 * double protect or a release of an unprotected page.
 *
 * The shadow is read with this file's own 4-level NPT walker (shadow_get).
 * Expectations: walk() (the spec's reference algorithm, §8) for the L1
 * side; spec §4.1/§4.2/§6.2 values for the hand-written cases; the
 * design rules of shadow_npt.h for what the shadow holds.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "fake_mem.h"
#include "mm/npt_l1.h"
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
	uint64_t nr_protect, nr_release;
};

static struct fakes F;

static void on_violation(const char *what, uint64_t gpa)
{
	fail_msg("fake L1 memory: %s at gpa 0x%" PRIx64, what, gpa);
}

static void *pool_map(void *ctx, uint64_t pa)
{
	uint64_t i = (pa - POOL_PA) / PAGE;

	(void)ctx;
	if (pa < POOL_PA || (pa & (PAGE - 1)) || i >= POOL_PAGES || !F.pool[i])
		fail_msg("shadow MMU touched 0x%" PRIx64 ", not one of its pages", pa);
	return F.pool[i];
}

static uint64_t pool_alloc(void *ctx)
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

static void pool_free(void *ctx, uint64_t pa)
{
	pool_map(ctx, pa);
	free(F.pool[(pa - POOL_PA) / PAGE]);
	F.pool[(pa - POOL_PA) / PAGE] = NULL;
	F.pool_used--;
}

static bool in_block(uint64_t gpa, uint64_t base)
{
	return gpa >= base && gpa < base + BLOCK_2M;
}

static bool same_1g(uint64_t a, uint64_t b)
{
	return (a >> 30) == (b >> 30);
}

static int fake_l1_to_hpa(void *ctx, uint64_t gpa, uint64_t *hpa, unsigned *ms)
{
	(void)ctx;
	if (gpa >= F.mem_end)
		return -1;
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

static int prot_find(uint64_t page)
{
	for (unsigned i = 0; i < F.nr_prot; i++)
		if (F.prot[i] == page)
			return (int)i;
	return -1;
}

static int fake_protect(void *ctx, uint64_t page, bool wp)
{
	int i = prot_find(page);

	(void)ctx;
	if (page & (PAGE - 1))
		fail_msg("protect(0x%" PRIx64 "): not a page address", page);
	if (wp) {
		if (page == F.refuse_page)
			return -1;
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
	struct pt_builder pt, ptr;
	struct pagewalk w;
	union cpu_role role;
	struct pt_mem ptm;
	struct snpt_env env;
	struct snpt *s;
	bool emul; /* GMET emulated with two roots */
};

static void h_init(struct h *h, uint64_t cr4, uint64_t efer, bool gmet,
		   bool hw_gmet, bool l1_gb, bool l0_gb)
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
	pt_init(&h->pt, h->mem, h->role.base.level, NCR3, TABLE_POOL);
	pt_init(&h->ptr, h->ref, h->role.base.level, NCR3, TABLE_POOL);
	pagewalk_init(&h->w, h->role, true, &cpu);
	h->ptm = (struct pt_mem){ NULL, pool_map, pool_alloc, pool_free };
	h->env = (struct snpt_env){
		.l1mem = &h->gmem, .l1_to_hpa = fake_l1_to_hpa,
		.protect = fake_protect, .ctx = NULL, .ptm = &h->ptm,
		.l1_cpu = cpu, .hw_gmet = hw_gmet, .gbpages = l0_gb,
	};
	h->emul = gmet && !hw_gmet;
	h->s = malloc(sizeof(*h->s));
	assert_non_null(h->s);
	snpt_init(h->s, &h->env);
}

/* Tear down, checking that every protection was released and every page
 * given back. */
static void h_fini(struct h *h)
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

/* Map in both memories (see pt_map). */
static void h_map(struct h *h, uint64_t addr, uint64_t pa, unsigned leaf_level,
		  const uint64_t *flags)
{
	pt_map(&h->pt, addr, pa, leaf_level, flags);
	pt_map(&h->ptr, addr, pa, leaf_level, flags);
}

static void h_poke(struct h *h, uint64_t gpa, uint64_t val)
{
	unsigned len = h->role.base.has_4_byte_gpte ? 4 : 8;

	fake_mem_poke(h->mem, gpa, val, len);
	fake_mem_poke(h->ref, gpa, val, len);
}

static uint64_t h_peek(struct h *h, uint64_t gpa)
{
	return fake_mem_peek(h->mem, gpa, h->role.base.has_4_byte_gpte ? 4 : 8);
}

/* 4-level map with tables P|W|U and the given leaf flags (PS added). */
static void map4(struct h *h, uint64_t l2, uint64_t l1, unsigned leaf_level,
		 uint64_t leaf)
{
	uint64_t f[4] = { 7, 7, 7, 7 };

	f[4 - leaf_level] = leaf | (leaf_level > 1 ? PTE_PS : 0);
	h_map(h, l2, l1, leaf_level, f);
}

static uint64_t root(struct h *h, enum snpt_exec exec)
{
	uint64_t hpa = 0;

	assert_int_equal(snpt_get_root(h->s, NCR3, h->role, exec, &hpa), SNPT_OK);
	return hpa;
}

/* The reference: walk() over the twin memory. */
static struct walk_result ref_walk(struct h *h, uint64_t gpa, uint64_t access)
{
	struct walk_result r;

	fake_mem_begin_walk(h->ref);
	walk(&h->w, &h->gref, NCR3, gpa, access, &r);
	assert_false(r.gmem_error);
	return r;
}

/* A walk that changes nothing: for checking what L1's tables say now. */
static int dry_cmpxchg(void *ctx, uint64_t gpa, uint64_t o, uint64_t n, unsigned l)
{
	(void)ctx, (void)gpa, (void)o, (void)n, (void)l;
	return 1;
}

static struct walk_result dry_walk(struct h *h, uint64_t gpa, uint64_t access)
{
	struct gmem g = h->gref;
	struct walk_result r;

	g.cmpxchg = dry_cmpxchg;
	fake_mem_begin_walk(h->ref);
	walk(&h->w, &g, NCR3, gpa, access, &r);
	assert_false(r.gmem_error);
	return r;
}

static int fault(struct h *h, uint64_t rt, uint64_t gpa, uint64_t hw,
		 unsigned cpl, struct snpt_fault_result *out)
{
	fake_mem_begin_walk(h->mem);
	return snpt_handle_fault(h->s, rt, gpa, hw, cpl, out);
}

/* ---- this file's walker over the shadow --------------------------------- */

struct sw {
	bool present;
	uint64_t hpa;   /* of the address looked up, offset included */
	unsigned shift;
	bool w, u, nx;
	uint64_t leaf;
};

static struct sw shadow_get(uint64_t rt, uint64_t gpa)
{
	struct sw r = { .w = true, .u = true };
	uint64_t pa = rt;

	for (unsigned lvl = 4; lvl >= 1; lvl--) {
		unsigned shift = 12 + 9 * (lvl - 1);
		uint64_t e = ((uint64_t *)pool_map(NULL, pa))[(gpa >> shift) & 511];

		if (!(e & NPT_P))
			return (struct sw){ 0 };
		r.w &= !!(e & NPT_W);
		r.u &= !!(e & NPT_U);
		r.nx |= !!(e & NPT_NX);
		if (lvl == 1 || (e & NPT_PS)) {
			uint64_t mask = (1ull << shift) - 1;

			assert_true(lvl <= 3); /* PS in a PML4E is reserved */
			if (lvl > 1)
				assert_int_equal(e & (mask & ~NPT_PAT_LARGE &
						 NPT_ADDR_MASK), 0);
			r.present = true;
			r.shift = shift;
			r.leaf = e;
			r.hpa = (e & NPT_ADDR_MASK & ~mask) | (gpa & mask);
			return r;
		}
		assert_int_equal(e & ~NPT_ADDR_MASK, NPT_TABLE_FLAGS);
		pa = e & NPT_ADDR_MASK;
	}
	return (struct sw){ 0 };
}

static bool sw_equal(struct sw a, struct sw b)
{
	return a.present == b.present && (!a.present ||
	       (a.leaf == b.leaf && a.hpa == b.hpa && a.shift == b.shift));
}

/* Is [base, base + 2^shift) a block l1_to_hpa handed out? */
static bool vouched(uint64_t base, unsigned shift)
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
static unsigned scan_tree(uint64_t pa, unsigned lvl)
{
	const uint64_t *t = pool_map(NULL, pa);
	unsigned leaves = 0;

	for (unsigned i = 0; i < 512; i++) {
		unsigned shift = 12 + 9 * (lvl - 1);

		if (!(t[i] & NPT_P))
			continue;
		if (lvl > 1 && !(t[i] & NPT_PS)) {
			leaves += scan_tree(t[i] & NPT_ADDR_MASK, lvl - 1);
			continue;
		}
		if (!vouched(t[i] & NPT_ADDR_MASK & ~((1ull << shift) - 1), shift))
			fail_msg("shadow leaf 0x%" PRIx64 " maps a host block "
				 "l1_to_hpa never returned", t[i]);
		leaves++;
	}
	return leaves;
}

static unsigned scan_all(struct h *h)
{
	unsigned leaves = 0;

	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++)
		if (h->s->roots[r].valid)
			leaves += scan_tree(h->s->roots[r].hpa, 4);
	return leaves;
}

/* The fake's protected set is exactly the set of pages with uses. */
static void check_protections(struct h *h)
{
	unsigned distinct = 0;

	for (unsigned i = 0; i < SNPT_MAX_USES; i++) {
		const struct snpt_use *u = &h->s->uses[i];
		bool first = true;

		if (!u->used)
			continue;
		assert_true(prot_find(u->l1_page) >= 0);
		for (unsigned j = 0; j < i && first; j++)
			if (h->s->uses[j].used &&
			    h->s->uses[j].l1_page == u->l1_page)
				first = false;
		distinct += first;
	}
	assert_int_equal(distinct, F.nr_prot);
}

/*
 * Coherence invariant: whatever a root maps at gpa, L1's tables (as they
 * are now) allow: the same host address, W only on an effectively
 * writable and dirty leaf, U/exec only where the rules give them.
 */
static void check_coherent(struct h *h, unsigned r, uint64_t gpa)
{
	const struct snpt_root *rt = &h->s->roots[r];
	struct sw sw = shadow_get(rt->hpa, gpa);
	struct walk_result wr;
	uint64_t hpa;
	unsigned ms;
	bool user;

	if (!sw.present)
		return;
	wr = dry_walk(h, gpa, FINAL | PFERR_USER);
	if (wr.fault)
		fail_msg("root %u maps 0x%" PRIx64 " which L1 no longer maps "
			 "(ec 0x%" PRIx64 ")", r, gpa, wr.error_code);
	assert_int_equal(fake_l1_to_hpa(NULL, wr.out, &hpa, &ms), 0);
	assert_int_equal(sw.hpa, hpa);
	assert_true(sw.shift <= wr.page_shift && sw.shift <= ms);
	user = wr.access & ACC_USER;
	if (sw.w)
		assert_true((wr.access & ACC_WRITE) &&
			    (wr.pte[wr.nr_levels - 1] & PTE_D));
	if (!sw.nx) {
		assert_true(wr.access & ACC_EXEC);
		if (h->emul)
			assert_true(rt->exec == SNPT_EXEC_USER ? user : !user);
	}
	if (!h->emul)
		assert_int_equal(sw.u, user);
	else
		assert_true(sw.u);
}

/* ---- 1: every shape, every access, against walk() ----------------------- */

static uint64_t rnd_state;

static uint64_t rnd(void)
{
	rnd_state ^= rnd_state << 13;
	rnd_state ^= rnd_state >> 7;
	rnd_state ^= rnd_state << 17;
	return rnd_state;
}

static bool chance(unsigned pct)
{
	return rnd() % 100 < pct;
}

struct cfg {
	const char *name;
	uint64_t cr4, efer;
	bool gmet, hw_gmet, l1_gb, l0_gb;
};

static unsigned index_bits(const struct h *h)
{
	return h->role.base.has_4_byte_gpte ? 10 : 9;
}

static unsigned lshift(const struct h *h, unsigned lvl)
{
	return 12 + index_bits(h) * (lvl - 1);
}

/* An L2 gpa with a few popular indexes per level, so tables are shared. */
static uint64_t rnd_l2(const struct h *h)
{
	unsigned top = h->role.base.level;
	uint64_t gpa = 0;

	for (unsigned lvl = 1; lvl <= top; lvl++) {
		uint64_t n = 1ull << index_bits(h);
		uint64_t pick[6] = { 0, 1, 2, 3, n - 1, rnd() % n };

		if (top == 3 && lvl == 3)
			n = 4;
		gpa |= (pick[rnd() % 6] % n) << lshift(h, lvl);
	}
	if (top == 5)
		gpa &= (1ull << 48) - 1; /* the 4-level shadow's range */
	return gpa | (rnd() & (PAGE - 1));
}

/* An L1 gpa for a leaf of 2^shift: ordinary memory, the region, the
 * page-by-page block, the bad-hpa page, or beyond L1's memory. */
static uint64_t rnd_l1(const struct h *h, unsigned shift)
{
	uint64_t v, lim = h->role.base.level <= 3 ? 4ull << 30 : 10ull << 30;

	switch (rnd() % 16) {
	case 0:
		v = REGION + (rnd() % BLOCK_2M);
		break;
	case 1:
		v = FRAG + (rnd() % BLOCK_2M);
		break;
	case 2:
		v = BAD_HPA_GPA + 8 * PAGE; /* same 1 GiB, not the page */
		break;
	default:
		v = rnd() % lim;
	}
	return v & ~((1ull << shift) - 1);
}

/*
 * Entry flags for one level of a random shape.  Table entries are shared
 * by many slots and the last slot mapped decides them, so most are clean,
 * and root entry 0 (which covers every slot of a 5-level table) always is.
 */
static uint64_t rnd_flags(const struct h *h, unsigned lvl, bool leaf,
			  bool keep_clean)
{
	bool pae_pdpte = h->role.base.level == 3 && lvl == 3;
	bool wide = !h->role.base.has_4_byte_gpte;
	bool clean = !leaf && (keep_clean || chance(90));
	uint64_t f = clean || chance(94) ? PTE_P : 0;

	if (pae_pdpte)
		return f | (!clean && chance(10) ? PTE_RW : 0); /* reserved */
	if (clean)
		return f | PTE_RW | PTE_US;
	if (chance(80))
		f |= PTE_RW;
	if (chance(85))
		f |= PTE_US;
	if (wide && chance(15))
		f |= PTE_NX;
	if (leaf) {
		if (chance(50))
			f |= PTE_D;
		if (chance(50))
			f |= PTE_A;
		if (chance(10))
			f |= PTE_PWT | PTE_PCD;
		if (chance(10))
			f |= lvl > 1 ? PTE_LARGE_PAT : PTE_PS;
		if (lvl > 1)
			f |= PTE_PS;
	}
	if (chance(5)) { /* a reserved bit */
		if (wide && chance(50))
			f |= 1ull << 50; /* above MAXPHYADDR */
		else if (lvl >= 4)
			f |= PTE_G; /* AMD: bit 8 of a PML4E/PML5E */
		else if (leaf && lvl > 1)
			f |= 1ull << 13; /* low address bits of a large leaf */
		else if (!wide && lvl == 2)
			f |= PTE_PS | (1ull << 21); /* 4 MiB PDE bit 21 */
	}
	return f;
}

struct counts {
	unsigned accesses, reflects, installs, no_mem, switches, bad_hpa;
	unsigned changes, l1_writes, unprotected_changes;
};

#define MAX_SAMPLES 2048

struct run {
	struct h h;
	struct counts c;
	uint64_t samples[MAX_SAMPLES];
	unsigned nr_samples;
	uint64_t slots[64];
	unsigned slot_shift[64];
	unsigned nr_slots;
};

static void add_sample(struct run *x, uint64_t gpa)
{
	if (x->nr_samples < MAX_SAMPLES)
		x->samples[x->nr_samples++] = gpa;
}

static void check_all_coherent(struct run *x)
{
	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++)
		if (x->h.s->roots[r].valid)
			for (unsigned i = 0; i < x->nr_samples; i++)
				check_coherent(&x->h, r, x->samples[i]);
	check_protections(&x->h);
}

/* One access through the MMU, compared with walk() on the twin memory. */
static void one_access(struct run *x, uint64_t gpa)
{
	struct h *h = &x->h;
	unsigned kind = (unsigned)(rnd() % 4), cpl = chance(50) ? 3 : 0;
	uint64_t hw = kind == 3 ? GPAGE | PFERR_WRITE | PFERR_USER :
		      FINAL | PFERR_USER | (kind == 1 ? PFERR_WRITE : 0) |
		      (kind == 2 ? PFERR_FETCH : 0);
	uint64_t access = (hw & (PFERR_STAGE_MASK | PFERR_WRITE | PFERR_FETCH)) |
			  (cpl == 3 ? PFERR_USER : 0);
	enum snpt_exec exec = h->emul && chance(50) ? SNPT_EXEC_USER
						    : SNPT_EXEC_SUPERVISOR;
	uint64_t rt = root(h, exec), hpa;
	struct sw before = shadow_get(rt, gpa), after;
	struct walk_result rr = ref_walk(h, gpa, access);
	struct snpt_fault_result out;
	unsigned ms = 0;
	int ret;

	if (chance(30))
		hw |= PFERR_PRESENT; /* what the CPU says about P is ignored */
	ret = fault(h, rt, gpa, hw, cpl, &out);
	x->c.accesses++;
	add_sample(x, gpa);

	/* (6) the MMU's walk wrote exactly what the walker wrote */
	assert_int_equal(fake_mem_nr_writes(h->mem), fake_mem_nr_writes(h->ref));
	for (unsigned i = 0; i < fake_mem_nr_writes(h->mem); i++) {
		const struct fake_write *a = fake_mem_write(h->mem, i);
		const struct fake_write *b = fake_mem_write(h->ref, i);

		assert_int_equal(a->gpa, b->gpa);
		assert_int_equal(a->old_val, b->old_val);
		assert_int_equal(a->new_val, b->new_val);
		assert_int_equal(a->len, b->len);
	}
	for (unsigned i = 0; i < rr.nr_levels; i++)
		assert_int_equal(h_peek(h, rr.pte_addr[i]),
				 fake_mem_peek(h->ref, rr.pte_addr[i],
					       h->role.base.has_4_byte_gpte ? 4 : 8));

	if (rr.fault) { /* (a) reflect exactly walk()'s error code */
		assert_int_equal(ret, SNPT_OK);
		assert_true(out.reflect);
		assert_int_equal(out.exit_info_1, rr.error_code);
		assert_int_equal(out.exit_info_2, gpa);
		assert_true(sw_equal(shadow_get(rt, gpa), before));
		x->c.reflects++;
		return;
	}
	if (fake_l1_to_hpa(NULL, rr.out, &hpa, &ms)) { /* (c) */
		assert_int_equal(ret, SNPT_OK);
		assert_false(out.reflect);
		assert_true(out.no_l1_memory);
		assert_int_equal(out.l1_gpa, rr.out);
		assert_true(sw_equal(shadow_get(rt, gpa), before));
		x->c.no_mem++;
		return;
	}
	if (hpa >> 52) {
		assert_int_equal(ret, SNPT_E_HPA);
		assert_true(sw_equal(shadow_get(rt, gpa), before));
		x->c.bad_hpa++;
		return;
	}
	/* (b) installed */
	assert_int_equal(ret, SNPT_OK);
	assert_false(out.reflect);
	assert_false(out.no_l1_memory);
	assert_int_equal(out.l1_gpa, rr.out);

	bool user = rr.access & ACC_USER;
	bool fetch = kind == 2;
	enum snpt_exec want = exec;

	if (h->emul && fetch)
		want = user ? SNPT_EXEC_USER : SNPT_EXEC_SUPERVISOR;
	assert_int_equal(out.switch_exec, want != exec);
	assert_int_equal(out.exec, want);
	assert_int_equal(out.root_hpa, root(h, want));
	x->c.switches += out.switch_exec;

	after = shadow_get(out.root_hpa, gpa);
	assert_true(after.present);
	assert_int_equal(after.hpa, hpa);
	unsigned lim = rr.page_shift < ms ? rr.page_shift : ms;
	unsigned expect_shift = lim >= 30 && h->env.gbpages ? 30 :
				lim >= 21 ? 21 : 12;
	assert_int_equal(after.shift, expect_shift);
	assert_int_equal(out.shadow_shift, expect_shift);

	bool dirty = (rr.pte[rr.nr_levels - 1] & PTE_D) || kind == 1 || kind == 3;
	assert_int_equal(after.w, (rr.access & ACC_WRITE) && dirty);
	assert_int_equal(after.u, h->emul ? true : user);
	bool nx = !(rr.access & ACC_EXEC) ||
		  (h->emul && (want == SNPT_EXEC_SUPERVISOR ? user : !user));
	assert_int_equal(after.nx, nx);
	/* memory type copied from L1's leaf */
	uint64_t l1leaf = rr.pte[rr.nr_levels - 1];
	bool pat = rr.page_shift == 12 ? (l1leaf & PTE_PS) : (l1leaf & PTE_LARGE_PAT);
	assert_int_equal(after.leaf & (NPT_PWT | NPT_PCD), l1leaf & (PTE_PWT | PTE_PCD));
	assert_int_equal(!!(after.leaf & (after.shift == 12 ? NPT_PS : NPT_PAT_LARGE)),
			 pat);
	/* every L1 table page the walk read is now protected */
	for (unsigned i = 0; i < rr.nr_levels; i++)
		assert_true(snpt_is_protected(h->s, rr.pte_addr[i]));
	x->c.installs++;
}

/* (2) L1 changes one entry on a slot's path, through the write trap. */
static void one_change(struct run *x)
{
	struct h *h = &x->h;
	uint64_t gpa = x->slots[rnd() % x->nr_slots];
	struct walk_result wr = dry_walk(h, gpa, FINAL | PFERR_USER);
	unsigned i = chance(50) ? wr.nr_levels - 1
				: (unsigned)(rnd() % wr.nr_levels);
	unsigned lvl = h->role.base.level - i;
	uint64_t old = wr.pte[i], val = old;
	bool leaf = i == wr.nr_levels - 1 && !wr.fault;

	switch (rnd() % 6) {
	case 0: val ^= PTE_P; break;
	case 1: val ^= PTE_RW; break;
	case 2: val ^= PTE_US; break;
	case 3: val &= ~(PTE_A | PTE_D); break;
	case 4:
		if (!h->role.base.has_4_byte_gpte)
			val ^= PTE_NX;
		break;
	default:
		if (leaf && h->role.base.level >= 4) { /* remap */
			uint64_t mask = (1ull << lshift(h, lvl)) - 1;

			val = (old & ~(PTE64_ADDR_4K & ~mask)) |
			      (rnd_l1(h, lshift(h, lvl)) & PTE64_ADDR_4K);
		}
		break;
	}
	if (!leaf && !(old & PTE_P) && (val & PTE_P))
		return; /* would need a table behind it */
	if (snpt_is_protected(h->s, wr.pte_addr[i])) {
		snpt_l1_write(h->s, wr.pte_addr[i]);
		assert_false(snpt_is_protected(h->s, wr.pte_addr[i]));
		assert_true(prot_find(wr.pte_addr[i] & ~(PAGE - 1)) < 0);
		x->c.l1_writes++;
	} else {
		x->c.unprotected_changes++;
	}
	h_poke(h, wr.pte_addr[i], val);
	x->c.changes++;
	check_all_coherent(x);
}

static void run_cfg(const struct cfg *c, uint64_t seed, unsigned nr_access)
{
	struct run *x = calloc(1, sizeof(*x));
	struct h *h;

	assert_non_null(x);
	h = &x->h;
	rnd_state = seed;
	h_init(h, c->cr4, c->efer, c->gmet, c->hw_gmet, c->l1_gb, c->l0_gb);
	x->nr_slots = 48;
	for (unsigned k = 0; k < x->nr_slots; k++) {
		uint64_t gpa = rnd_l2(h), flags[5];
		unsigned top = h->role.base.level;
		unsigned max_leaf = top == 2 ? 2 : (top == 3 ? 2 : 3);
		unsigned leaf = 1 + (unsigned)(rnd() % max_leaf);

		for (unsigned lvl = top, i = 0; lvl >= leaf; lvl--, i++)
			flags[i] = rnd_flags(h, lvl, lvl == leaf, lvl == top &&
					     !(gpa >> lshift(h, top)));
		h_map(h, gpa, rnd_l1(h, lshift(h, leaf)), leaf, flags);
		x->slots[k] = gpa;
		x->slot_shift[k] = lshift(h, leaf);
	}
	for (unsigned n = 0; n < nr_access; n++) {
		unsigned k = (unsigned)(rnd() % x->nr_slots);
		uint64_t span = 1ull << x->slot_shift[k];
		uint64_t gpa = (x->slots[k] & ~(span - 1)) | (rnd() % span);

		if (chance(10)) /* anywhere: mostly not mapped */
			gpa = rnd_l2(h);
		one_access(x, gpa);
		if (chance(2))
			one_change(x);
		if (n % 128 == 0)
			check_all_coherent(x);
		if (chance(1)) {
			snpt_invlpga(h->s, x->samples[rnd() % x->nr_samples]);
			check_all_coherent(x);
		}
	}
	check_all_coherent(x);
	unsigned leaves = scan_all(h);
	print_message("  %-28s %5u accesses: %4u reflected, %4u installed, "
		      "%3u no memory, %2u bad hpa, %3u switches; %3u changes "
		      "(%3u trapped); %u leaves, %" PRIu64 " protects\n",
		      c->name, x->c.accesses, x->c.reflects, x->c.installs,
		      x->c.no_mem, x->c.bad_hpa, x->c.switches, x->c.changes,
		      x->c.l1_writes, leaves, F.nr_protect);
	assert_true(x->c.reflects > 0 && x->c.installs > 0);
	h_fini(h);
	free(x);
}

static const struct cfg cfgs[] = {
	{ "4-level NX", X86_CR4_PAE, LM | NXE, false, false, true, true },
	{ "4-level NX, L0 no 1G", X86_CR4_PAE, LM | NXE, false, false, true, false },
	{ "4-level no NXE, SMEP", X86_CR4_PAE | X86_CR4_SMEP, LM, false, false, true, true },
	{ "4-level L1 no 1G pages", X86_CR4_PAE, LM | NXE, false, false, false, true },
	{ "4-level GMET emulated", X86_CR4_PAE, LM | NXE, true, false, true, true },
	{ "4-level GMET, no NXE/SMEP", X86_CR4_PAE, LM, true, false, true, true },
	{ "4-level GMET hardware", X86_CR4_PAE, LM | NXE, true, true, true, true },
	{ "5-level NX", X86_CR4_PAE | X86_CR4_LA57, LM | NXE, false, false, true, true },
	{ "PAE 3-level NX", X86_CR4_PAE, NXE, false, false, true, true },
	{ "2-level PSE", X86_CR4_PSE, 0, false, false, true, true },
	{ "2-level PSE GMET emulated", X86_CR4_PSE, 0, true, false, true, true },
};

static void every_shape_against_walk(void **state)
{
	(void)state;
	for (unsigned i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		for (uint64_t seed = 1; seed <= 3; seed++)
			run_cfg(&cfgs[i], 0x9e3779b97f4a7c15ull * seed + i, 1500);
}

/* ---- hand-written cases from the spec ----------------------------------- */

#define L2A 0x40201000ull
#define L1A 0x07654000ull

static void h_std(struct h *h)
{
	h_init(h, X86_CR4_PAE, LM | NXE, false, false, true, true);
}

/* §4.1 rows 1, 2, 3, 4, 5, 7 (KUT values) reflected as walk() says. */
static void spec_error_codes(void **state)
{
	struct h h;
	struct snpt_fault_result out;
	uint64_t rt;
	struct {
		uint64_t leaf, hw, ei1;
	} cases[] = {
		{ 0, FINAL | PFERR_USER, 0x100000004ull },                 /* np */
		{ PTE_P | PTE_RW, FINAL | PFERR_USER, 0x100000005ull },    /* U=0 */
		{ PTE_P | PTE_US, FINAL | PFERR_WRITE, 0x100000007ull },   /* RO */
		{ PTE_P | PTE_US | PTE_RW | PTE_NX, FINAL | PFERR_FETCH,
		  0x100000015ull },                                        /* NX */
		{ PTE_P | PTE_US, GPAGE | PFERR_WRITE | PFERR_USER,
		  0x200000007ull },                                        /* PT */
		{ 0, GPAGE, 0x200000006ull },                              /* PT np */
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		h_std(&h);
		map4(&h, L2A, L1A, 1, cases[i].leaf);
		rt = root(&h, SNPT_EXEC_SUPERVISOR);
		assert_int_equal(fault(&h, rt, L2A, cases[i].hw, 0, &out), SNPT_OK);
		assert_true(out.reflect);
		assert_int_equal(out.exit_info_1, cases[i].ei1);
		assert_int_equal(out.exit_info_2, L2A);
		assert_false(shadow_get(rt, L2A).present);
		assert_int_equal(F.nr_prot, 0); /* nothing derived, nothing protected */
		h_fini(&h);
	}
	/* reserved: AMD bit 8 in the PML4E: P|RSVD|US, no I/D on a read */
	h_std(&h);
	map4(&h, L2A, L1A, 1, PTE_P | PTE_RW | PTE_US);
	h_poke(&h, pt_entry_gpa(&h.pt, L2A, 4), pt_get(&h.pt, L2A, 4) | PTE_G);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_OK);
	assert_int_equal(out.exit_info_1, 0x10000000dull);
	/* §6.2: the stage comes from the CPU; none or both: FINAL */
	assert_int_equal(fault(&h, rt, L2A, GPAGE, 0, &out), SNPT_OK);
	assert_int_equal(out.exit_info_1, 0x20000000full);
	assert_int_equal(fault(&h, rt, L2A, 0, 0, &out), SNPT_OK);
	assert_int_equal(out.exit_info_1, 0x10000000dull);
	assert_int_equal(fault(&h, rt, L2A, FINAL | GPAGE, 0, &out), SNPT_OK);
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
		e[4 - l] = pt_entry_gpa(&h.pt, L2A, l);

	/* a read sets A everywhere, D nowhere; the shadow is read-only */
	assert_int_equal(fault(&h, rt, L2A | 0x10, FINAL | PFERR_USER, 0, &out),
			 SNPT_OK);
	assert_false(out.reflect);
	for (unsigned i = 0; i < 4; i++)
		assert_int_equal(h_peek(&h, e[i]) & (PTE_A | PTE_D), PTE_A);
	assert_int_equal(fake_mem_nr_writes(h.mem), 4);
	sw = shadow_get(rt, L2A | 0x10);
	assert_true(sw.present && !sw.w && sw.u && !sw.nx);
	assert_int_equal(sw.hpa, HPA_OFFSET + L1A + 0x10);
	assert_int_equal(sw.shift, 12);

	/* the write faults again: D set in the leaf only, the shadow W */
	assert_int_equal(fault(&h, rt, L2A, FINAL | PFERR_WRITE | PFERR_USER |
			       PFERR_PRESENT, 0, &out), SNPT_OK);
	assert_int_equal(fake_mem_nr_writes(h.mem), 1);
	assert_int_equal(h_peek(&h, e[3]) & (PTE_A | PTE_D), PTE_A | PTE_D);
	for (unsigned i = 0; i < 3; i++)
		assert_int_equal(h_peek(&h, e[i]) & PTE_D, 0);
	sw = shadow_get(rt, L2A);
	assert_true(sw.w && (sw.leaf & NPT_D));

	/* a leaf that is already dirty: a read installs W, writes nothing */
	assert_int_equal(fault(&h, rt, L2A + PAGE, FINAL, 0, &out), SNPT_OK);
	assert_int_equal(fake_mem_nr_writes(h.mem), 0);
	assert_true(shadow_get(rt, L2A + PAGE).w);

	/* a page-table access is a write: it dirties the leaf, shadow W */
	assert_int_equal(fault(&h, rt, L2A + 2 * PAGE, GPAGE | PFERR_WRITE |
			       PFERR_USER, 0, &out), SNPT_OK);
	assert_true(h_peek(&h, pt_entry_gpa(&h.pt, L2A + 2 * PAGE, 1)) & PTE_D);
	assert_true(shadow_get(rt, L2A + 2 * PAGE).w);

	/* L1 clears D (trapped): the shadow loses the page, and the next read
	 * maps it read-only again */
	snpt_l1_write(h.s, e[3]);
	h_poke(&h, e[3], h_peek(&h, e[3]) & ~PTE_D);
	assert_false(shadow_get(rt, L2A).present);
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_OK);
	assert_false(shadow_get(rt, L2A).w);
	h_fini(&h);
}

/* Large pages: L1's leaf, max_shift and L0's 1 GiB support decide. */
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
				 SNPT_OK);
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
	assert_int_equal(fault(&h, rt, 0x00e01234ull, FINAL, 0, &out), SNPT_OK);
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
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_OK);
	assert_int_equal(fault(&h, rt, b, FINAL, 0, &out), SNPT_OK);
	pt_a = pt_entry_gpa(&h.pt, a, 1);
	pt_b = pt_entry_gpa(&h.pt, b, 1);
	pd = pt_entry_gpa(&h.pt, a, 2);
	pdpt = pt_entry_gpa(&h.pt, a, 3);
	pml4 = pt_entry_gpa(&h.pt, a, 4);
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
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_OK);
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
	assert_int_equal(snpt_get_root(h.s, ncr3b, h.role, SNPT_EXEC_SUPERVISOR,
				       &rtb), SNPT_OK);
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_OK);
	assert_int_equal(fault(&h, rtb, a, FINAL, 0, &out), SNPT_OK);
	assert_int_equal(fault(&h, rtb, b, FINAL, 0, &out), SNPT_OK);
	assert_int_equal(F.nr_prot, 6); /* 2 PML4s, PDPT, PD, 2 PTs */
	snpt_l1_write(h.s, pdpt);
	assert_false(shadow_get(rt, a).present);
	assert_false(shadow_get(rtb, a).present);
	assert_false(shadow_get(rtb, b).present);
	assert_int_equal(F.nr_prot, 2); /* the two PML4 pages */

	/* L1 clears P in the PD entry: the fault is reflected afterwards */
	assert_int_equal(fault(&h, rt, a, FINAL, 0, &out), SNPT_OK);
	snpt_l1_write(h.s, pd);
	h_poke(&h, pd, h_peek(&h, pd) & ~PTE_P);
	assert_false(shadow_get(rt, a).present);
	assert_int_equal(fault(&h, rt, a, FINAL | PFERR_USER, 3, &out), SNPT_OK);
	assert_true(out.reflect);
	assert_int_equal(out.exit_info_1, 0x100000004ull);

	/* a page protect() refuses is used anyway and never released */
	h_poke(&h, pd, h_peek(&h, pd) | PTE_P);
	F.refuse_page = pt_b & ~(PAGE - 1);
	assert_int_equal(fault(&h, rt, b, FINAL, 0, &out), SNPT_OK);
	assert_true(shadow_get(rt, b).present);
	assert_false(snpt_is_protected(h.s, pt_b));
	assert_int_equal(h.s->stats.protect_failures, 1);
	h_fini(&h);
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

		assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_OK);
		assert_int_equal(fault(&h, rt, L2A + PAGE, FINAL, 0, &out), SNPT_OK);
		assert_int_equal(fault(&h, rt, 0x80000000ull, FINAL, 0, &out), SNPT_OK);
		assert_int_equal(fault(&h, rt, 0, FINAL, 0, &out), SNPT_OK);
		assert_int_equal(fault(&h, rt, PAGE, FINAL, 0, &out), SNPT_OK);
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
	assert_int_equal(fault(&h, rs, L2A, FINAL, 0, &out), SNPT_OK);
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
	assert_int_equal(snpt_get_root(h.s, NCR3, other, SNPT_EXEC_SUPERVISOR,
				       &again), SNPT_OK);
	assert_int_not_equal(again, r[0]);
	/* fill the cache with other nCR3s (each walks its own PML4 copy) */
	assert_int_equal(fault(&h, r[0], L2A, FINAL, 0, &out), SNPT_OK);
	for (unsigned i = 1; i < SNPT_MAX_ROOTS; i++) {
		uint64_t n = NCR3 + 0x1000000ull * i;

		fake_mem_poke(h.mem, n, pt_get(&h.pt, L2A, 4), 8);
		assert_int_equal(snpt_get_root(h.s, n, h.role, 0, &r[i]), SNPT_OK);
		assert_int_equal(fault(&h, r[i], L2A, FINAL, 0, &out), SNPT_OK);
		assert_false(out.reflect);
	}
	/* the role-other root was least recently used: evicted */
	assert_int_equal(h.s->stats.evictions, 1);
	for (unsigned i = 0; i < SNPT_MAX_ROOTS; i++) {
		assert_int_equal(snpt_get_root(h.s, i ? NCR3 + 0x1000000ull * i : NCR3,
					       h.role, 0, &again), SNPT_OK);
		assert_int_equal(again, r[i]); /* all cached: reused */
		assert_true(shadow_get(again, L2A).present);
	}
	assert_int_equal(h.s->stats.evictions, 1);
	/* root 0 is now the LRU: touch it by a fault, then a new nCR3 evicts
	 * root 1, whose pages and protection (its PML4 copy) go */
	assert_int_equal(fault(&h, r[0], L2A, FINAL, 0, &out), SNPT_OK);
	unsigned pool = F.pool_used, prot = F.nr_prot;

	fake_mem_poke(h.mem, 0x7000000ull, pt_get(&h.pt, L2A, 4), 8);
	assert_int_equal(snpt_get_root(h.s, 0x7000000ull, h.role, 0, &r[8]),
			 SNPT_OK);
	assert_int_equal(h.s->stats.evictions, 2);
	assert_int_equal(F.pool_used, pool - 4 + 1); /* 4 freed, 1 new root */
	assert_int_equal(F.nr_prot, prot - 1);
	assert_true(prot_find(NCR3 + 0x1000000ull) < 0);
	assert_int_equal(snpt_handle_fault(h.s, r[1], L2A, FINAL, 0, &out),
			 r[8] == r[1] ? SNPT_OK : SNPT_E_NOROOT);
	assert_true(shadow_get(r[0], L2A).present);
	/* a fresh root for an evicted key starts empty */
	assert_int_equal(snpt_get_root(h.s, NCR3 + 0x1000000ull, h.role, 0,
				       &again), SNPT_OK);
	assert_false(shadow_get(again, L2A).present);
	h_fini(&h);
}

/*
 * (4) GMET, every CPL x U x NX x access x current class, emulated (two
 * roots) and in hardware (one root).  Expectations from §4.1 rows 7,
 * 9-15 and §4.2: data never faults on a writable present page; a fetch
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
		assert_int_equal(fault(&h, rt, L2A, hwc, cpl, &out), SNPT_OK);
		cases++;
		if (faults) {
			assert_true(out.reflect);
			assert_int_equal(out.exit_info_1, 0x100000011ull |
					 (cpl == 3 ? PFERR_USER : 0));
			h_fini(&h);
			continue;
		}
		assert_false(out.reflect);
		struct sw sw = shadow_get(out.root_hpa, L2A);

		assert_true(sw.present && sw.w);
		if (hw) {
			assert_false(out.switch_exec);
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
			assert_int_equal(out.switch_exec, want != cls);
			assert_int_equal(out.root_hpa, want == cls ? rt : other);
			assert_false(sw.nx);
			/* the page is NX in the other class's root */
			uint64_t o = want == cls ? other : rt;

			assert_int_equal(fault(&h, o, L2A, FINAL, cpl, &out), SNPT_OK);
			assert_true(shadow_get(o, L2A).nx);
		} else { /* data: installed here, NX by class */
			assert_false(out.switch_exec);
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
				       FINAL | PFERR_FETCH, cpl, &out), SNPT_OK);
		assert_int_equal(out.exit_info_1, 0x100000015ull);
		h_fini(&h);
		cases++;
	}
	print_message("  GMET matrix: %u cases\n", cases);
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
				 SNPT_OK);
		assert_int_equal(out.shadow_shift, 12);
		assert_int_equal(shadow_get(rt, gpa).hpa,
				 SCRATCH_HPA | (off & 0xfff));
	}
	/* beyond L1's memory: reported, nothing installed or protected */
	prot = F.nr_prot;
	assert_int_equal(fault(&h, rt, 0x80000000ull, FINAL, 0, &out), SNPT_OK);
	assert_true(out.no_l1_memory && !out.reflect);
	assert_int_equal(out.l1_gpa, 0x7ff00000000ull);
	assert_false(shadow_get(rt, 0x80000000ull).present);
	assert_int_equal(F.nr_prot, prot);
	/* an address at or above MAXPHYADDR is a reserved-bit fault */
	assert_int_equal(fault(&h, rt, 0xc0000000ull, FINAL, 0, &out), SNPT_OK);
	assert_int_equal(out.exit_info_1, 0x10000000dull);
	/* l1_to_hpa answering past bit 51: refused */
	assert_int_equal(fault(&h, rt, 0xc0001000ull, FINAL, 0, &out), SNPT_E_HPA);
	assert_false(shadow_get(rt, 0xc0001000ull).present);
	assert_int_equal(F.nr_prot, prot);
	/* a table pointer into memory l1mem cannot read (that PD page backs
	 * no shadow entry, so it is not protected and L1 just writes it) */
	pd = pt_entry_gpa(&h.pt, 0xc0000000ull, 2);
	assert_false(snpt_is_protected(h.s, pd));
	h_poke(&h, pd, 0x6000000000ull | 7);
	assert_int_equal(fault(&h, rt, 0xc0000000ull, FINAL, 0, &out),
			 SNPT_E_L1_TABLE);
	/* nCR3 itself in the region (l1mem has nothing there) */
	assert_int_equal(snpt_get_root(h.s, REGION, h.role, 0, &rr), SNPT_OK);
	assert_int_equal(fault(&h, rr, L2A, FINAL, 0, &out), SNPT_E_L1_TABLE);
	/* L2 gpas the 4-level shadow cannot map, unknown roots */
	assert_int_equal(fault(&h, rt, 1ull << 48, FINAL, 0, &out), SNPT_E_RANGE);
	assert_int_equal(fault(&h, 0x1234000, L2A, FINAL, 0, &out), SNPT_E_NOROOT);
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
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_OK);
	F.pool_limit = F.pool_used; /* root + 3 tables, nothing more */
	assert_int_equal(fault(&h, rt, 0x8040201000ull, FINAL, 0, &out), SNPT_OK);
	assert_int_equal(h.s->stats.resets, 1);
	assert_true(shadow_get(rt, 0x8040201000ull).present);
	assert_false(shadow_get(rt, L2A).present);
	check_protections(&h);
	F.pool_limit = F.pool_used - 1; /* not even that */
	assert_int_equal(fault(&h, rt, L2A, FINAL, 0, &out), SNPT_E_NOMEM);
	assert_int_equal(F.nr_prot, 0);
	h_fini(&h);

	/* more L1 PT pages than uses: the table is reset, mappings stay right */
	h_std(&h);
	for (uint64_t i = 0; i < n; i++)
		map4(&h, i << 21, 0x10000000ull + (i << 12), 1, leaf);
	rt = root(&h, SNPT_EXEC_SUPERVISOR);
	for (uint64_t i = 0; i < n; i++) {
		assert_int_equal(fault(&h, rt, i << 21, FINAL, 0, &out), SNPT_OK);
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
		cmocka_unit_test(coherence),
		cmocka_unit_test(invlpga_and_flush),
		cmocka_unit_test(root_cache),
		cmocka_unit_test(gmet_matrix),
		cmocka_unit_test(hostile_l1),
		cmocka_unit_test(limits),
		cmocka_unit_test(every_shape_against_walk),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
