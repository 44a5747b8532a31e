// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the shadow-NPT MMU (mm/shadow_npt.c) under any sequence of
 * what L1 and L2 can make it do: #NPFs, writes to L1's NPT (trapped when
 * the page is protected, silent when not), INVLPGA, TLB flushes, nCR3
 * changes, over L1 NPTs of every format and role, with a small pool of
 * shadow pages so that exhaustion and resets happen.
 *
 * Input:
 *   c0	CR4.PAE, PSE, LA57, SMEP, EFER.LMA (with LME), NXE, GMET, hardware
 *	GMET (bits 0-7)
 *   c1	L1 1 GiB pages, L0 1 GiB pages, a table page protect() refuses;
 *	bits 7:3: 4 + 16 * n shadow pages
 *   mp	MAXPHYADDR 36 + (bits 4:0) % 13; bits 7:5: the page refused
 *   then up to 64 operations, an op byte (% 8) and its arguments:
 *   0, 1 map	L2 gpa u64, then from the root down (selector, value u64):
 *		selector bit 7: a leaf into L1 memory, target u64 follows
 *		(low 3 bits: the region, the swapped block, the bad-hpa page,
 *		beyond memory, ordinary); bit 6: the value as it is; else a
 *		table: table page selector % 8.  L1 writes each entry.
 *   2, 3 #NPF	L2 gpa u64, kind: bits 1:0 read/write/fetch/page-table
 *		access, 2 CPL 3, 3 USER exec class, 4 near a mapped gpa,
 *		5 keep bits 63:48, 6 P set by the CPU, 7 both stage bits
 *   4 write	table page u8, index u16, value u64 (L1 writes one entry)
 *   5 INVLPGA	L2 gpa u64
 *   6 flush	(TLB_CONTROL, a new ASID)
 *   7 nCR3	table page u8 (% 3), low bits u16
 * L1 memory is two twin fake memories (tests/host/fake_mem.c): the MMU
 * walks one, the reference walk() the other, so that the A/D bits the
 * MMU's walks set can be compared with walk()'s.  nestvisor's NPT for L1
 * is a fake like tests/host/snpt_fixture.h's: memory at HPA_OFFSET, a
 * region mapped to one scratch page, a block mapped page by page with
 * neighbours swapped, a page above bit 51, nothing past mem_end.
 *
 * Invariants:
 *  - every #NPF result is walk()'s on L1's current tables (as the random
 *    host test checks it): reflected with exactly its error code, or no L1
 *    memory, or installed with l1_to_hpa's address, the expected page size,
 *    rights, memory type and exec class; errors only where due;
 *  - the MMU's walk set exactly the A/D bits walk() set;
 *  - after every operation, every leaf reachable from any root agrees with
 *    walk() of L1's tables as they are now (address, size, W only if
 *    writable and dirty, U and NX as the GMET rules give), every table page
 *    behind a use is protected and every protected page has a use;
 *  - at the end every protection is released and every page given back.
 */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mm/err.h"
#include "mm/pferr.h"
#include "mm/pt.h"
#include "mm/pte.h"
#include "mm/shadow_npt.h"
#include "mm/walk.h"
#include "tests/host/fake_mem.h"

#define PAGE		4096ull
#define HPA_OFFSET	(1ull << 40)
#define SCRATCH_HPA	(2ull << 40)
#define POOL_PA		(3ull << 40)
#define POOL_MAX	512u
#define REGION		0x3fe00000ull	/* nestvisor's region: the sink */
#define FRAG		0x80000000ull	/* 2 MiB page by page, swapped */
#define BLOCK_2M	(2ull << 20)
#define BAD_HPA_GPA	0x90000000ull	/* l1_to_hpa gives an address >= 2^52 */
#define NTABLES		8
/*
 * protect() refusing a table page (c1 bit 2): the MMU must then install
 * nothing built from that page, so that L1's later silent write to it
 * cannot leave a stale entry (the seed protect-refused is that case in
 * three operations).  0 turns the refusals off (the model then never
 * refuses).
 */
#define MODEL_PROTECT_REFUSALS 1
#define MAX_SLOTS	512
#define NCR3_CHOICES	3

/* L1 table pages: the MMU walks them, L1 writes them. */
static const uint64_t table_gpa[NTABLES] = {
	0x100000, 0x101000, 0x102000, 0x103000, 0x104000, 0x105000,
	0x3fe01000 /* in the region: still L1's own memory to L1 */,
	0x7ffff000,
};

/* ---- fakes: shadow page pool, nestvisor's NPT for L1, protection ------- */
static struct {
	uint8_t *pool[POOL_MAX];
	unsigned used, limit;
	uint64_t mem_end;
	uint64_t prot[64];
	unsigned nr_prot;
	uint64_t refuse_page;	/* protect() refuses it; 0: none */
	unsigned long protects, releases;
} F;

static void *pool_map(void *ctx, uint64_t pa)
{
	uint64_t i = (pa - POOL_PA) / PAGE;

	(void)ctx;
	FUZZ_CHECK(pa >= POOL_PA && !(pa & (PAGE - 1)) && i < POOL_MAX &&
		   F.pool[i], "the MMU touched 0x%llx, not one of its pages",
		   (unsigned long long)pa);
	return F.pool[i];
}

static uint64_t pool_alloc(void *ctx)
{
	(void)ctx;
	if (F.used >= F.limit)
		return 0;
	for (unsigned i = 0; i < POOL_MAX; i++)
		if (!F.pool[i]) {
			F.pool[i] = calloc(1, PAGE);
			FUZZ_CHECK(F.pool[i], "out of host memory");
			F.used++;
			return POOL_PA + i * PAGE;
		}
	return 0;
}

static void pool_free(void *ctx, uint64_t pa)
{
	pool_map(ctx, pa);
	free(F.pool[(pa - POOL_PA) / PAGE]);
	F.pool[(pa - POOL_PA) / PAGE] = NULL;
	F.used--;
}

static bool in_block(uint64_t gpa, uint64_t base)
{
	return gpa >= base && gpa < base + BLOCK_2M;
}

static int fake_l1_to_hpa(void *ctx, uint64_t gpa, uint64_t *hpa,
			  unsigned *ms)
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
		*ms = (gpa >> 30) == (REGION >> 30) || (gpa >> 30) == (FRAG >> 30) ||
		      (gpa >> 30) == (BAD_HPA_GPA >> 30) ? 21 : 30;
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
	FUZZ_CHECK(!(page & (PAGE - 1)), "protect(0x%llx): not a page",
		   (unsigned long long)page);
	if (wp) {
		if (page == F.refuse_page)
			return -1;
		FUZZ_CHECK(i < 0, "page 0x%llx protected twice",
			   (unsigned long long)page);
		FUZZ_CHECK(F.nr_prot < 64, "more pages protected than exist");
		F.prot[F.nr_prot++] = page;
		F.protects++;
	} else {
		FUZZ_CHECK(i >= 0, "page 0x%llx released but not protected",
			   (unsigned long long)page);
		F.prot[i] = F.prot[--F.nr_prot];
		F.releases++;
	}
	return 0;
}

static void violation(const char *what, uint64_t gpa)
{
	FUZZ_CHECK(0, "fake L1 memory: %s at 0x%llx", what,
		   (unsigned long long)gpa);
}

/* ---- the harness -------------------------------------------------------- */
struct h {
	struct fake_mem *mem, *ref;
	struct gmem gmem, gref;
	struct pagewalk w;
	union cpu_role role;
	struct pt_mem ptm;
	struct snpt_env env;
	struct snpt *s;
	bool emul;		/* GMET emulated with two roots */
	unsigned esz;
	uint64_t ncr3;
	uint32_t asid;		/* vmcb12's ASID the faults run with */
	uint64_t slots[MAX_SLOTS];
	unsigned nr_slots;
	uint64_t l2s[64];	/* L2 gpas op_map mapped */
	unsigned nr_l2s;
	uint64_t rip;		/* each fault a new instruction: no straddles */
};

static struct h H;

static int dry_cmpxchg(void *ctx, uint64_t gpa, uint64_t o, uint64_t n,
		       unsigned l)
{
	(void)ctx, (void)gpa, (void)o, (void)n, (void)l;
	return 1;
}

/* What L1's tables at ncr3 say now, changing nothing. */
static struct walk_result dry_walk(uint64_t ncr3, uint64_t gpa, uint64_t access)
{
	struct gmem g = H.gref;
	struct walk_result r;

	g.cmpxchg = dry_cmpxchg;
	fake_mem_begin_walk(H.ref);
	walk(&H.w, &g, ncr3, gpa, access, &r);
	return r;
}

/* The shadow as the CPU would walk it: this file's own 4-level walker. */
struct sw {
	bool present;
	uint64_t hpa;		/* of the address looked up */
	unsigned shift;
	bool w, u, nx;
	uint64_t leaf;
};

FUZZ_NO_COVERAGE
static struct sw shadow_get(uint64_t rt, uint64_t gpa)
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

			FUZZ_CHECK(lvl <= 3, "PS in a shadow PML4E");
			r.present = true;
			r.shift = shift;
			r.leaf = e;
			r.hpa = (e & PTE64_ADDR_4K & ~mask) | (gpa & mask);
			return r;
		}
		FUZZ_CHECK((e & ~PTE64_ADDR_4K) == PT_TABLE_FLAGS,
			   "shadow table entry 0x%llx", (unsigned long long)e);
		pa = e & PTE64_ADDR_4K;
	}
	return (struct sw){ 0 };
}

/* One shadow leaf against L1's tables now (the coherence invariant). */
FUZZ_NO_COVERAGE
static void check_leaf(const struct snpt_root *rt, uint64_t gpa, uint64_t e,
		       unsigned shift)
{
	struct walk_result wr = dry_walk(rt->ncr3, gpa,
					 PFERR_GUEST_FINAL | PFERR_USER);
	struct sw sw = shadow_get(rt->hpa, gpa);
	uint64_t hpa;
	unsigned ms;
	bool user;

	FUZZ_CHECK(sw.present && sw.leaf == e && sw.shift == shift,
		   "scan and lookup disagree at 0x%llx", (unsigned long long)gpa);
	FUZZ_CHECK(!wr.fault && !wr.gmem_error, "a root maps 0x%llx, which L1 "
		   "no longer maps (EXITINFO1 0x%llx)", (unsigned long long)gpa,
		   (unsigned long long)wr.error_code);
	FUZZ_CHECK(!fake_l1_to_hpa(NULL, wr.out, &hpa, &ms) && sw.hpa == hpa,
		   "0x%llx maps host 0x%llx, L1 now says L1 gpa 0x%llx",
		   (unsigned long long)gpa, (unsigned long long)sw.hpa,
		   (unsigned long long)wr.out);
	FUZZ_CHECK(shift <= wr.page_shift && shift <= ms,
		   "shadow page 2^%u over L1 page 2^%u / host block 2^%u",
		   shift, wr.page_shift, ms);
	user = wr.access & ACC_USER;
	if (sw.w)
		FUZZ_CHECK((wr.access & ACC_WRITE) &&
			   (wr.pte[wr.nr_levels - 1] & PTE_D),
			   "0x%llx writable in the shadow, not writable and dirty "
			   "in L1", (unsigned long long)gpa);
	if (!sw.nx) {
		FUZZ_CHECK(wr.access & ACC_EXEC, "0x%llx executable, NX in L1",
			   (unsigned long long)gpa);
		if (H.emul)
			FUZZ_CHECK(rt->exec == SNPT_EXEC_USER ? user : !user,
				   "executable in the wrong GMET class");
	}
	FUZZ_CHECK(H.emul ? sw.u : sw.u == user, "U 0x%llx", (unsigned long long)e);
}

FUZZ_NO_COVERAGE
static unsigned scan(const struct snpt_root *rt, uint64_t pa, unsigned lvl,
		     uint64_t base)
{
	const uint64_t *t = pool_map(NULL, pa);
	unsigned shift = 12 + 9 * (lvl - 1), leaves = 0;

	for (unsigned i = 0; i < 512; i++) {
		uint64_t gpa = base + ((uint64_t)i << shift);

		if (!(t[i] & PTE_P))
			continue;
		if (lvl > 1 && !(t[i] & PTE_PS)) {
			leaves += scan(rt, t[i] & PTE64_ADDR_4K, lvl - 1, gpa);
			continue;
		}
		check_leaf(rt, gpa, t[i], shift);
		leaves++;
	}
	return leaves;
}

/* Coherence, and protections exactly the pages with uses. */
FUZZ_NO_COVERAGE
static void check_all(void)
{
	uint64_t pages[64];
	unsigned distinct = 0, seen = 0;

	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++)
		if (H.s->roots[r].valid)
			scan(&H.s->roots[r], H.s->roots[r].hpa, 4, 0);
	for (unsigned i = 0; i < SNPT_MAX_USES && seen < H.s->nr_uses; i++) {
		const struct snpt_use *u = &H.s->uses[i];
		bool first = true;

		if (!u->used)
			continue;
		seen++;
		FUZZ_CHECK(prot_find(u->l1_page) >= 0,
			   "page 0x%llx has a use, no protection",
			   (unsigned long long)u->l1_page);
		for (unsigned j = 0; j < distinct && first; j++)
			first = pages[j] != u->l1_page;
		if (first) {
			FUZZ_CHECK(distinct < 64, "more table pages than exist");
			pages[distinct++] = u->l1_page;
		}
	}
	FUZZ_CHECK(distinct == F.nr_prot, "%u pages with uses, %u protected",
		   distinct, F.nr_prot);
}

/* ---- operations --------------------------------------------------------- */
static void slot_add(uint64_t gpa)
{
	for (unsigned i = 0; i < H.nr_slots; i++)
		if (H.slots[i] == gpa)
			return;
	if (H.nr_slots < MAX_SLOTS)
		H.slots[H.nr_slots++] = gpa;
}

/* L1 writes an entry of its NPT: the write exits when the page is
 * protected (the MMU drops what came from it), else it just happens. */
static bool l1_write(uint64_t gpa, uint64_t val)
{
	if (H.nr_slots >= MAX_SLOTS)
		return false;
	if (snpt_is_protected(H.s, gpa)) {
		snpt_l1_write(H.s, gpa);
		FUZZ_CHECK(!snpt_is_protected(H.s, gpa) &&
			   prot_find(gpa & ~(PAGE - 1)) < 0,
			   "still protected after the write trap");
	}
	fake_mem_poke(H.mem, gpa, val, H.esz);
	fake_mem_poke(H.ref, gpa, val, H.esz);
	slot_add(gpa);
	return true;
}

static unsigned index_bits(void)
{
	return H.role.base.has_4_byte_gpte ? 10 : 9;
}

static unsigned level_shift(unsigned lvl)
{
	return 12 + index_bits() * (lvl - 1);
}

FUZZ_NO_COVERAGE
static unsigned valid_roots(void)
{
	unsigned n = 0;

	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++)
		n += H.s->roots[r].valid;
	return n;
}

FUZZ_NO_COVERAGE
static bool sw_equal(struct sw a, struct sw b)
{
	return a.present == b.present && (!a.present ||
	       (a.leaf == b.leaf && a.hpa == b.hpa && a.shift == b.shift));
}

static bool backed(uint64_t gpa)
{
	for (unsigned i = 0; i < NTABLES; i++)
		if ((gpa & ~(PAGE - 1)) == table_gpa[i])
			return true;
	return false;
}

/* An L1 gpa for a leaf: ordinary memory, the region, the swapped block,
 * the bad-hpa page, beyond L1's memory. */
static uint64_t leaf_target(uint8_t sel, uint64_t v)
{
	switch (sel % 8) {
	case 0: return REGION + v % BLOCK_2M;
	case 1: return FRAG + v % BLOCK_2M;
	case 2: return BAD_HPA_GPA + (v & 0x1fff);
	case 3: return F.mem_end + (v & 0xffffffff);
	default: return v % F.mem_end;
	}
}

/* Map l2 with entries from the input along its walk (as L1 builds it). */
static void op_map(struct fin *in)
{
	uint64_t l2 = fin_u64(in), table;
	unsigned top = H.role.base.level;
	bool pae = top == 3;

	if (H.nr_l2s < 64)
		H.l2s[H.nr_l2s++] = l2;
	table = H.esz == 4 ? H.ncr3 & 0xfffff000ull :
		pae ? H.ncr3 & 0x000fffffffffffe0ull : H.ncr3 & PTE64_ADDR_4K;
	for (unsigned lvl = top; lvl >= 1; lvl--) {
		unsigned idx = (unsigned)((l2 >> level_shift(lvl)) &
					  (pae && lvl == 3 ? 3 : (1u << index_bits()) - 1));
		uint64_t slot = table + (uint64_t)idx * H.esz;
		uint8_t sel = fin_u8(in);
		uint64_t v = fin_u64(in), addr_mask;

		if (H.esz == 4)
			v &= 0xffffffffull;
		addr_mask = H.esz == 4 ? 0xfffff000ull : PTE64_ADDR_4K;
		if (sel & 0x80)		/* a leaf into L1 memory */
			v = (v & ~addr_mask) | (leaf_target(sel, fin_u64(in)) & addr_mask);
		else if (sel & 0x40)	/* keep the value as it is */
			;
		else			/* a table */
			v = (v & ~addr_mask) | table_gpa[sel % NTABLES];
		if (!backed(slot) || !l1_write(slot, v))
			return;
		table = v & addr_mask;
	}
}

/* An #NPF from L2: the MMU against walk() on the twin memory. */
static void op_fault(struct fin *in)
{
	uint64_t l2 = fin_u64(in);
	uint8_t k = fin_u8(in);
	unsigned kind = k % 4, cpl = k & 4 ? 3 : 0;
	enum snpt_exec exec = H.emul && (k & 8) ? SNPT_EXEC_USER : SNPT_EXEC_SUPERVISOR;
	uint64_t hw, stage, access, rt = 0, hpa;
	struct snpt_fault_result out;
	enum snpt_outcome oc;
	struct walk_result rr;
	struct sw before, after;
	unsigned ms = 0, n;
	bool read_refused = false;
	int ret;

	if ((k & 0x10) && H.nr_l2s)	/* near an address op_map mapped */
		l2 = H.l2s[(l2 >> 56) % H.nr_l2s] ^ (l2 & 0x1fffff);
	if (!(k & 0x20))
		l2 &= (1ull << 48) - 1;
	hw = kind == 3 ? PFERR_GUEST_PAGE | PFERR_WRITE | PFERR_USER :
	     PFERR_GUEST_FINAL | PFERR_USER | (kind == 1 ? PFERR_WRITE : 0) |
	     (kind == 2 ? PFERR_FETCH : 0);
	if (k & 0x40)
		hw |= PFERR_PRESENT;	/* what the CPU says about P is ignored */
	if (k & 0x80)
		hw |= PFERR_STAGE_MASK;	/* both stages: taken as FINAL */
	stage = (hw & PFERR_STAGE_MASK) == PFERR_GUEST_PAGE ? PFERR_GUEST_PAGE
							    : PFERR_GUEST_FINAL;
	access = stage | (hw & (PFERR_WRITE | PFERR_FETCH)) |
		 (cpl == 3 ? PFERR_USER : 0);

	ret = snpt_get_root(H.s, H.ncr3, H.role, exec, H.asid, &rt);
	if (ret) {	/* even after a reset no page for a root */
		FUZZ_CHECK(ret == -NV_ENOMEM && valid_roots() + 1 > F.limit,
			   "get_root: %d with %u roots, %u pages", ret,
			   valid_roots(), F.limit);
		return;
	}
	before = shadow_get(rt, l2);
	fake_mem_begin_walk(H.mem);
	oc = snpt_handle_fault(H.s, rt, l2, hw, cpl, ++H.rip, &out);
	FUZZ_CHECK(oc != SNPT_STALE_ROOT, "the root just returned is stale");
	if (l2 >> 48) {
		FUZZ_CHECK(oc == SNPT_BAD_ADDRESS, "L2 gpa 0x%llx: outcome %d",
			   (unsigned long long)l2, oc);
		return;
	}
	fake_mem_begin_walk(H.ref);
	walk(&H.w, &H.gref, H.ncr3, l2, access, &rr);

	/* The MMU's walk wrote exactly what walk() wrote. */
	n = fake_mem_nr_writes(H.mem);
	FUZZ_CHECK(n == fake_mem_nr_writes(H.ref), "A/D writes: %u, walk() %u",
		   n, fake_mem_nr_writes(H.ref));
	for (unsigned i = 0; i < n; i++) {
		const struct fake_write *a = fake_mem_write(H.mem, i);
		const struct fake_write *b = fake_mem_write(H.ref, i);

		FUZZ_CHECK(a->gpa == b->gpa && a->old_val == b->old_val &&
			   a->new_val == b->new_val && a->len == b->len,
			   "A/D write %u differs", i);
	}
	if (rr.gmem_error) {
		FUZZ_CHECK(oc == SNPT_L1_TABLE_UNREACHABLE,
			   "unreadable L1 table: outcome %d", oc);
		return;
	}
	if (rr.fault) {
		FUZZ_CHECK(oc == SNPT_REFLECT && out.exit_info_1 == rr.error_code &&
			   out.exit_info_2 == l2,
			   "walk() faults with 0x%llx; outcome %d, 0x%llx",
			   (unsigned long long)rr.error_code, oc,
			   (unsigned long long)out.exit_info_1);
		FUZZ_CHECK(sw_equal(shadow_get(rt, l2), before),
			   "a reflected fault changed the shadow");
		return;
	}
	if (fake_l1_to_hpa(NULL, rr.out, &hpa, &ms)) {
		FUZZ_CHECK(oc == SNPT_NO_L1_MEMORY && out.l1_gpa == rr.out,
			   "no L1 memory: outcome %d", oc);
		FUZZ_CHECK(sw_equal(shadow_get(rt, l2), before),
			   "nothing to map, yet the shadow changed");
		return;
	}
	if (hpa >> 52) {
		FUZZ_CHECK(oc == SNPT_BAD_HOST_ADDRESS, "host address 2^52: "
			   "outcome %d", oc);
		return;
	}
	for (unsigned i = 0; i < rr.nr_levels; i++)
		read_refused |= F.refuse_page &&
				(rr.pte_addr[i] & ~(PAGE - 1)) == F.refuse_page;
	if (read_refused) {	/* a table that cannot be protected */
		FUZZ_CHECK(oc == SNPT_NO_MEMORY, "a walk through unprotectable "
			   "table page 0x%llx: outcome %d",
			   (unsigned long long)F.refuse_page, oc);
		return;
	}
	if (oc == SNPT_NO_MEMORY) {	/* after a reset: roots + 3 tables */
		FUZZ_CHECK(valid_roots() + 3 > F.limit, "out of memory with %u "
			   "roots and %u pages", valid_roots(), F.limit);
		return;
	}
	FUZZ_CHECK((oc == SNPT_INSTALLED || oc == SNPT_SWITCH_ROOT) &&
		   out.l1_gpa == rr.out, "install: outcome %d", oc);
	{
		bool user = rr.access & ACC_USER, fetch = kind == 2 && stage ==
			    PFERR_GUEST_FINAL;
		enum snpt_exec want = exec;
		unsigned lim = rr.page_shift < ms ? rr.page_shift : ms;
		unsigned want_shift = lim >= 30 && H.env.gbpages ? 30 :
				      lim >= 21 ? 21 : 12;
		uint64_t l1leaf = rr.pte[rr.nr_levels - 1];
		bool dirty = (l1leaf & PTE_D) || (access & PFERR_WRITE) ||
			     stage == PFERR_GUEST_PAGE;
		bool nx, pat;
		uint64_t want_rt = 0;

		if (H.emul && fetch)
			want = user ? SNPT_EXEC_USER : SNPT_EXEC_SUPERVISOR;
		FUZZ_CHECK((oc == SNPT_SWITCH_ROOT) == (want != exec) &&
			   out.exec == want, "exec class %d (outcome %d), want %d",
			   out.exec, oc, want);
		FUZZ_CHECK(!snpt_get_root(H.s, H.ncr3, H.role, want, H.asid,
					    &want_rt) &&
			   out.root_hpa == want_rt, "installed in the wrong root");
		after = shadow_get(out.root_hpa, l2);
		FUZZ_CHECK(after.present && after.hpa == hpa, "installed 0x%llx, "
			   "want host 0x%llx", (unsigned long long)after.hpa,
			   (unsigned long long)hpa);
		FUZZ_CHECK(after.shift == want_shift && out.shadow_shift == want_shift,
			   "shadow page 2^%u, want 2^%u", after.shift, want_shift);
		FUZZ_CHECK(after.w == ((rr.access & ACC_WRITE) && dirty),
			   "W %d", after.w);
		FUZZ_CHECK(after.u == (H.emul ? true : user), "U %d", after.u);
		nx = !(rr.access & ACC_EXEC) ||
		     (H.emul && (want == SNPT_EXEC_SUPERVISOR ? user : !user));
		FUZZ_CHECK(after.nx == nx, "NX %d, want %d", after.nx, nx);
		pat = rr.page_shift == 12 ? (l1leaf & PTE_PS) : (l1leaf & PTE_LARGE_PAT);
		FUZZ_CHECK((after.leaf & (PTE_PWT | PTE_PCD)) ==
			   (l1leaf & (PTE_PWT | PTE_PCD)) &&
			   !!(after.leaf & (after.shift == 12 ? PTE_PS : PTE_LARGE_PAT)) == pat,
			   "memory type of 0x%llx from L1 leaf 0x%llx",
			   (unsigned long long)after.leaf, (unsigned long long)l1leaf);
		for (unsigned i = 0; i < rr.nr_levels; i++)
			FUZZ_CHECK(snpt_is_protected(H.s, rr.pte_addr[i]),
				   "L1 table page 0x%llx read, not protected",
				   (unsigned long long)rr.pte_addr[i]);
	}
}

/* L1 writes one entry anywhere in its table pages. */
static void op_write(struct fin *in)
{
	unsigned t = fin_u8(in) % NTABLES;
	uint64_t idx = fin_u16(in) % (PAGE / H.esz), v = fin_u64(in);

	if (H.esz == 4)
		v &= 0xffffffffull;
	l1_write(table_gpa[t] + idx * H.esz, v);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fin in = { data, size };
	uint8_t c0 = fin_u8(&in), c1 = fin_u8(&in), mp = fin_u8(&in);
	uint64_t cr4 = 0, efer = 0;
	struct mm_cpu cpu;
	bool gmet = c0 & 64, hw_gmet = c0 & 128;
	unsigned ops = 0;

	if (!H.mem) {
		H.mem = fake_mem_create(violation);
		H.ref = fake_mem_create(violation);
		for (unsigned i = 0; i < NTABLES; i++) {
			fake_mem_back(H.mem, table_gpa[i]);
			fake_mem_back(H.ref, table_gpa[i]);
		}
		H.s = malloc(sizeof(*H.s));
		FUZZ_CHECK(H.s, "out of host memory");
	}
	cr4 |= c0 & 1 ? X86_CR4_PAE : 0;
	cr4 |= c0 & 2 ? X86_CR4_PSE : 0;
	cr4 |= c0 & 4 ? X86_CR4_LA57 : 0;
	cr4 |= c0 & 8 ? X86_CR4_SMEP : 0;
	efer |= c0 & 16 ? X86_EFER_LME | X86_EFER_LMA : 0;
	efer |= c0 & 32 ? X86_EFER_NXE : 0;
	cpu.maxphyaddr = 36 + (mp & 0x1f) % 13;
	cpu.gbpages = c1 & 1;

	memset(&F, 0, sizeof(F));
	F.limit = 4 + (c1 >> 3) * 16;	/* 4..500 shadow pages */
	F.refuse_page = MODEL_PROTECT_REFUSALS && (c1 & 4) ? table_gpa[mp >> 5] : 0;
	H.role = cpu_role_shadow_npt(cr4, efer, gmet);
	F.mem_end = H.role.base.level <= 3 ? 3ull << 30 : 8ull << 30;
	H.esz = H.role.base.has_4_byte_gpte ? 4 : 8;
	H.gmem = fake_mem_gmem(H.mem);
	H.gref = fake_mem_gmem(H.ref);
	H.ncr3 = table_gpa[0];
	H.asid = 1;
	H.nr_slots = 0;
	H.nr_l2s = 0;
	H.rip = 0;
	pagewalk_init(&H.w, H.role, true, &cpu);
	H.ptm = (struct pt_mem){ NULL, pool_map, pool_alloc, pool_free };
	H.env = (struct snpt_env){
		.l1mem = &H.gmem, .l1_to_hpa = fake_l1_to_hpa,
		.protect = fake_protect, .ctx = NULL, .ptm = &H.ptm,
		.l1_cpu = cpu, .hw_gmet = hw_gmet, .gbpages = c1 & 2,
	};
	H.emul = gmet && !hw_gmet;
	snpt_init(H.s, &H.env);

	while (in.n && ops++ < 64) {
		uint8_t op = fin_u8(&in);

		switch (op % 8) {
		case 0: case 1:
			op_map(&in);
			break;
		case 2: case 3:
			op_fault(&in);
			break;
		case 4:
			op_write(&in);
			break;
		case 5:
			snpt_invlpga(H.s, fin_u64(&in));
			break;
		case 6:
			snpt_flush(H.s);
			FUZZ_CHECK(F.nr_prot == 0, "protections kept after a flush");
			break;
		default: {	/* another nCR3, and ASID 1..4 */
			uint8_t t = fin_u8(&in);
			uint16_t low = fin_u16(&in);

			H.ncr3 = table_gpa[t % NCR3_CHOICES] | (low & 0xfff);
			H.asid = 1 + (low >> 12) % 4;
			break;
		}
		}
		check_all();
	}

	snpt_flush(H.s);
	FUZZ_CHECK(F.nr_prot == 0 && F.protects == F.releases &&
		   H.s->nr_uses == 0, "protections left after the last flush");
	snpt_destroy(H.s);
	FUZZ_CHECK(F.used == 0, "%u shadow pages not given back", F.used);
	for (unsigned i = 0; i < H.nr_slots; i++) {
		fake_mem_poke(H.mem, H.slots[i], 0, H.esz);
		fake_mem_poke(H.ref, H.slots[i], 0, H.esz);
	}
	return 0;
}
