// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the page-table walker (mm/walk.c) on page tables an L1 (or
 * its guest) writes: random roles (ordinary paging of every format, and
 * L1's NPT), accesses, addresses and tables in a fake memory, including
 * loops (an entry pointing back to its own or an upper table) and tables
 * that change while the walk runs.
 *
 * Input, in order:
 *   flags	bit 0 NPT walk, 1 GMET, 2 1 GiB pages, 3 MAXPHYADDR taken raw
 *		(else 32 + byte % 21), 4 guest_mode
 *   maxphyaddr, CR4 byte (PAE, PSE, LA57, SMEP, SMAP, PKE), EFER/CR0 byte
 *   (LMA+LME, NXE, PG, WP), access byte (W, U, F, SMAP override, FINAL,
 *   PAGE), address (u64), root (page selector, low bits u16)
 *   one entry per level from the root down: selector u8, value u64; the
 *   entry is written where the walk of the address reads it, with the
 *   table address of page[selector % 8] unless selector bit 7 is set
 *   (then the value's own address bits stay)
 *   noise: a count byte, then that many (page u8, index u16, value u64)
 *   mutations, to the end: (at u8, page u8, index u16, value u64, xor u8):
 *   just before the walk's gmem call number `at`, the entry is set to
 *   value (or XORed with it); at most 8
 *
 * Invariants:
 *  - the walk terminates; the fake memory sees only reads and cmpxchgs that
 *    set A or D in an entry the walk read (tests/host/fake_mem.c);
 *  - the result is one of: translated, fault, gmem error, consistent with
 *    the return value; a fault has a well-formed error code for its kind of
 *    walk; a translation keeps the page offset and has a page size the
 *    format allows;
 *  - memory stable (no mutation fired, no cmpxchg lost: see
 *    check_changes): a walk that does not translate writes nothing, one
 *    that does only sets A/D bits in entries it read;
 *  - memory stable, 4-level NPT: the outcome (fault or not, EXITINFO1, the
 *    level that faulted, the effective rights) is the independent reference
 *    model's (tests/host/npt_reference.c), the output address and page size
 *    are the leaf's, and exactly the entries of the walk gain A and the leaf
 *    gains D for a write (APM Vol. 2 §5.4.1, the A and D fields; §15.25.5).
 */
#include <string.h>

#include "fuzz.h"
#include "mm/pferr.h"
#include "mm/role.h"
#include "mm/walk.h"
#include "tests/host/fake_mem.h"
#include "tests/host/npt_reference.h"

#define NPAGES 8
#define MAX_MUT 8
#define PG 4096u

/* Table pages: low and high, some above a small MAXPHYADDR. */
static const uint64_t page_gpa[NPAGES] = {
	0x1000, 0x2000, 0x3000, 0x4000, 0x7fff000, 0xfffff000,
	0x100000000ull, 0xfffffff000ull,
};

/* Entry bits, APM Vol. 2 §5.3/§5.4 (own names: independent of mm/pte.h). */
#define E_P	(1ull << 0)
#define E_W	(1ull << 1)
#define E_U	(1ull << 2)
#define E_A	(1ull << 5)
#define E_D	(1ull << 6)
#define E_PS	(1ull << 7)
#define E_NX	(1ull << 63)
#define E64_ADDR 0x000ffffffffff000ull	/* long-mode address bits 51:12 */

static uint64_t bits(unsigned hi, unsigned lo)
{
	return hi < lo ? 0 : (~0ull >> (63 - hi)) & (~0ull << lo);
}

struct mutation {
	unsigned at;
	uint64_t gpa, val;
	bool xor;
};

struct ctx {
	struct fake_mem *mem;
	struct gmem inner;
	unsigned esz;		/* entry size, 4 or 8 */
	unsigned calls;		/* gmem calls so far */
	struct mutation mut[MAX_MUT];
	unsigned nmut, fired;
	unsigned lost;		/* cmpxchgs that found the entry changed */
};

static void violation(const char *what, uint64_t gpa)
{
	FUZZ_CHECK(0, "fake memory: %s at 0x%llx", what, (unsigned long long)gpa);
}

/* Another CPU writes L1's tables: apply the mutations due now. */
static void tick(struct ctx *c)
{
	for (unsigned i = 0; i < c->nmut; i++) {
		struct mutation *m = &c->mut[i];
		uint64_t v;

		if (m->at != c->calls)
			continue;
		v = m->xor ? fake_mem_peek(c->mem, m->gpa, c->esz) ^ m->val : m->val;
		fake_mem_poke(c->mem, m->gpa, v, c->esz);
		c->fired++;
	}
	c->calls++;
}

static int m_read(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	struct ctx *c = ctx;

	tick(c);
	return c->inner.read(c->inner.ctx, gpa, buf, len);
}

static int m_write(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
	struct ctx *c = ctx;

	tick(c);
	return c->inner.write(c->inner.ctx, gpa, buf, len);
}

static int m_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val,
		     unsigned len)
{
	struct ctx *c = ctx;

	int r;

	tick(c);
	r = c->inner.cmpxchg(c->inner.ctx, gpa, old, new_val, len);
	c->lost += r == 0;
	return r;
}

/* ---- the format, written from the APM for the test's own traversal ---- */
struct fmt {
	unsigned levels;	/* 0 (paging off), 2, 3, 4, 5 */
	unsigned esz;
};

static unsigned index_of(const struct fmt *f, unsigned lvl, uint64_t addr)
{
	if (f->levels == 2)
		return (addr >> (12 + 10 * (lvl - 1))) & 0x3ff;
	if (f->levels == 3 && lvl == 3)
		return (addr >> 30) & 3;
	return (addr >> (12 + 9 * (lvl - 1))) & 0x1ff;
}

static uint64_t table_of(const struct fmt *f, uint64_t e)
{
	return f->esz == 4 ? e & 0xfffff000ull : e & E64_ADDR;
}

static uint64_t root_table(const struct fmt *f, uint64_t root)
{
	if (f->levels == 2)
		return root & 0xfffff000ull;
	if (f->levels == 3)
		return root & 0x000fffffffffffe0ull;
	return root & E64_ADDR;
}

static bool backed(uint64_t gpa)
{
	for (unsigned i = 0; i < NPAGES; i++)
		if ((gpa & ~(uint64_t)(PG - 1)) == page_gpa[i])
			return true;
	return false;
}

/* ---- the entries an input wrote ----------------------------------------- */
#define MAX_SLOTS 64

/* Every entry the input set up or may mutate; memory is zero elsewhere, and
 * the fake memory forbids the walk any write outside the entries it read. */
struct slots {
	uint64_t gpa[MAX_SLOTS], val[MAX_SLOTS];
	unsigned n;
};

static void slot_add(struct slots *s, uint64_t gpa)
{
	for (unsigned i = 0; i < s->n; i++)
		if (s->gpa[i] == gpa)
			return;
	FUZZ_CHECK(s->n < MAX_SLOTS, "too many slots");
	s->gpa[s->n++] = gpa;
}

static void slots_read(struct slots *s, struct fake_mem *m, unsigned esz)
{
	for (unsigned i = 0; i < s->n; i++)
		s->val[i] = fake_mem_peek(m, s->gpa[i], esz);
}

/*
 * Memory stable: a walk that did not translate changed nothing; one that
 * did only set A/D bits in entries it read.  Only when no cmpxchg lost: an
 * entry on the walk twice (a loop) loses its second cmpxchg to the first
 * and the walk starts again, keeping the A bits already set, and a PAE
 * PDPTE that is also a PDE becomes reserved (bit 5) by them, so that walk
 * then faults.  (Hardware reads the PDPTEs at CR3 load, docs/mmu.md.)
 */
FUZZ_NO_COVERAGE
static void check_changes(const struct slots *a, const struct slots *b,
			  const struct walk_result *res, bool ok)
{
	for (unsigned i = 0; i < a->n; i++) {
		uint64_t x = a->val[i], y = b->val[i], gpa = a->gpa[i];
		bool read = false;

		if (x == y)
			continue;
		FUZZ_CHECK(ok, "entry 0x%llx changed by a walk that did not "
			   "translate", (unsigned long long)gpa);
		for (unsigned l = 0; l < res->nr_levels; l++)
			read |= res->pte_addr[l] == gpa;
		FUZZ_CHECK(read && (x | y) == y && !((x ^ y) & ~(E_A | E_D)),
			   "entry 0x%llx: 0x%llx -> 0x%llx", (unsigned long long)gpa,
			   (unsigned long long)x, (unsigned long long)y);
	}
}

/* ---- the 4-level NPT reference comparison ------------------------------- */

/* Reserved bits of a long-mode entry other than NX (§5.3.3, §5.4.1). */
static bool lm_rsvd(unsigned lvl, uint64_t e, unsigned maxphyaddr, bool gb)
{
	if (e & bits(51, maxphyaddr))
		return true;
	if (lvl == 4)
		return e & (E_PS | (1ull << 8));
	if (lvl == 3 && (e & E_PS))
		return !gb || (e & bits(29, 13));
	if (lvl == 2 && (e & E_PS))
		return e & bits(20, 13);
	return false;
}

/* What the CPU would do, worked out before the walk from L1's tables. */
struct expect {
	bool applies;
	bool gmem_error;		/* a table is not memory */
	struct npt_ref_result ref;
	enum npt_ref_access kind;
	unsigned n, leaf_lvl;
	uint64_t gpa[NPT_REF_LEVELS], leaf;
};

static void expect_npt4(struct expect *x, struct fake_mem *m, uint64_t l1_cr4,
			uint64_t l1_efer, bool gmet, const struct mm_cpu *cpu,
			uint64_t root, uint64_t addr, uint64_t access)
{
	static const struct fmt f = { 4, 8 };
	struct npt_ref_entry e[NPT_REF_LEVELS];
	struct npt_ref_host host = {
		.gmet = gmet, .efer_nx = l1_efer & (1ull << 11),
		.cr4_smep = l1_cr4 & (1ull << 20),
	};
	uint64_t table = root_table(&f, root);

	memset(x, 0, sizeof(*x));
	if (access & PFERR_GUEST_PAGE)
		x->kind = NPT_REF_PT;
	else if ((access & PFERR_WRITE) && (access & PFERR_FETCH))
		return;	/* not an access the CPU makes */
	else if (access & PFERR_WRITE)
		x->kind = NPT_REF_WRITE;
	else if (access & PFERR_FETCH)
		x->kind = NPT_REF_FETCH;
	else
		x->kind = NPT_REF_READ;
	x->applies = true;

	/* Read the path as the CPU would, until a leaf or a stop. */
	for (unsigned lvl = 4; lvl >= 1; lvl--) {
		uint64_t g = table + 8ull * index_of(&f, lvl, addr), v;
		struct npt_ref_entry *r = &e[x->n];

		if (!backed(g)) {
			x->gmem_error = true;
			return;
		}
		v = fake_mem_peek(m, g, 8);
		x->gpa[x->n++] = g;
		*r = (struct npt_ref_entry){
			.p = v & E_P, .w = v & E_W, .u = v & E_U, .nx = v & E_NX,
			.rsvd = lm_rsvd(lvl, v, cpu->maxphyaddr, cpu->gbpages),
		};
		if (!r->p || r->rsvd || (r->nx && !host.efer_nx))
			break;	/* the walk stops here: the reference faults */
		if (lvl == 1 || (lvl <= 3 && (v & E_PS))) {
			x->leaf = v;
			x->leaf_lvl = lvl;
			break;
		}
		table = table_of(&f, v);
	}
	/* After a stop or a large leaf the reference sees neutral entries:
	 * present, W, U, executable, nothing reserved. */
	for (unsigned i = x->n; i < NPT_REF_LEVELS; i++)
		e[i] = (struct npt_ref_entry){ .p = true, .w = true, .u = true };
	x->ref = npt_reference(e, x->kind, access & PFERR_USER ? 3 : 0, &host);
}

FUZZ_NO_COVERAGE
static void compare_reference(const struct expect *x, uint64_t addr,
			      const struct walk_result *res, bool ok,
			      const struct slots *before, const struct slots *after)
{
	const struct npt_ref_result *want = &x->ref;
	bool dirty = x->kind == NPT_REF_WRITE || x->kind == NPT_REF_PT;

	if (x->gmem_error) {
		FUZZ_CHECK(!ok && res->gmem_error, "a table is not memory, yet "
			   "no gmem error");
		return;
	}
	FUZZ_CHECK(!res->gmem_error, "gmem error on memory that is there");
	FUZZ_CHECK(res->fault == want->fault && ok == !want->fault,
		   "walker fault %d, reference %d", res->fault, want->fault);
	if (want->fault) {
		FUZZ_CHECK(res->error_code == want->exitinfo1 &&
			   res->fault_level == want->fault_level,
			   "EXITINFO1 0x%llx level %d, reference 0x%llx level %d",
			   (unsigned long long)res->error_code, res->fault_level,
			   (unsigned long long)want->exitinfo1, want->fault_level);
		return;
	}
	FUZZ_CHECK(x->leaf_lvl, "the reference translated without a leaf");
	{
		unsigned shift = 12 + 9 * (x->leaf_lvl - 1);
		uint64_t mask = (1ull << shift) - 1;
		uint64_t out = (x->leaf & E64_ADDR & ~mask) | (addr & mask);

		FUZZ_CHECK(res->out == out && res->page_shift == shift,
			   "translation 0x%llx (shift %u), leaf gives 0x%llx (%u)",
			   (unsigned long long)res->out, res->page_shift,
			   (unsigned long long)out, shift);
		FUZZ_CHECK(!!(res->access & ACC_WRITE) == want->eff_w &&
			   !!(res->access & ACC_USER) == want->eff_u &&
			   !!(res->access & ACC_EXEC) == want->eff_x,
			   "rights 0x%x, reference w%d u%d x%d", res->access,
			   want->eff_w, want->eff_u, want->eff_x);
	}
	/* Every entry of the walk gains A, the leaf gains D for a write, and
	 * nothing else changes.  (A slot can be on the walk twice: a loop.) */
	for (unsigned s = 0; s < before->n; s++) {
		uint64_t g = before->gpa[s], want_v = before->val[s];

		for (unsigned i = 0; i < x->n; i++) {
			if (x->gpa[i] != g)
				continue;
			want_v |= E_A;
			if (i == x->n - 1 && dirty)
				want_v |= E_D;
		}
		FUZZ_CHECK(after->val[s] == want_v,
			   "entry 0x%llx: 0x%llx -> 0x%llx, hardware makes 0x%llx",
			   (unsigned long long)g, (unsigned long long)before->val[s],
			   (unsigned long long)after->val[s],
			   (unsigned long long)want_v);
	}
}

/* ---- the target ---------------------------------------------------------- */
FUZZ_NO_COVERAGE
static void check_result(const struct pagewalk *w, const struct fmt *f,
			 uint64_t addr, bool ok, const struct walk_result *r)
{
	uint64_t known = PFERR_PRESENT | PFERR_WRITE | PFERR_USER | PFERR_RSVD |
			 PFERR_FETCH;

	FUZZ_CHECK(r->nr_levels <= (f->levels ? f->levels : 0),
		   "%u entries read in a %u-level walk", r->nr_levels, f->levels);
	if (ok) {
		uint64_t mask = (1ull << r->page_shift) - 1;

		FUZZ_CHECK(!r->fault && !r->gmem_error, "translated with an error");
		FUZZ_CHECK(r->page_shift >= 12 && r->page_shift < 64,
			   "page shift %u", r->page_shift);
		FUZZ_CHECK(r->page_shift == 12 ||
			   (r->page_shift == 21 && f->levels >= 3) ||
			   (r->page_shift == 22 && f->levels == 2) ||
			   (r->page_shift == 30 && f->levels >= 4 && w->cpu.gbpages),
			   "page shift %u in a %u-level walk", r->page_shift,
			   f->levels);
		FUZZ_CHECK((r->out & mask) == (addr & mask), "offset lost");
		FUZZ_CHECK(r->access & ACC_READ, "translated without ACC_READ");
		return;
	}
	FUZZ_CHECK(r->fault != r->gmem_error, "fault %d gmem error %d",
		   r->fault, r->gmem_error);
	if (r->gmem_error)
		return;
	FUZZ_CHECK(r->fault_addr == addr, "fault address");
	FUZZ_CHECK(r->fault_level >= 0 && r->fault_level <= (int)f->levels,
		   "fault level %d", r->fault_level);
	FUZZ_CHECK(!(r->error_code & ~(known | PFERR_STAGE_MASK)),
		   "error code 0x%llx", (unsigned long long)r->error_code);
	FUZZ_CHECK(!(r->error_code & PFERR_RSVD) ||
		   (r->error_code & PFERR_PRESENT), "RSVD without P");
	if (w->tdp)
		FUZZ_CHECK((r->error_code & PFERR_STAGE_MASK) == PFERR_GUEST_FINAL ||
			   (r->error_code & PFERR_STAGE_MASK) == PFERR_GUEST_PAGE,
			   "NPT fault 0x%llx without one stage bit",
			   (unsigned long long)r->error_code);
	else
		FUZZ_CHECK(!(r->error_code & PFERR_STAGE_MASK), "stage bit in #PF");
}

static uint64_t place(const struct fmt *f, uint8_t sel, uint64_t v)
{
	uint64_t addr_mask = f->esz == 4 ? 0xfffff000ull : E64_ADDR;

	if (f->esz == 4)
		v &= 0xffffffffull;
	if (sel & 0x80)
		return v;
	return (v & ~addr_mask) | (page_gpa[sel % NPAGES] & addr_mask);
}

static struct fake_mem *mem;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct slots before, after;
	struct fin in = { data, size };
	uint8_t flags = fin_u8(&in), mp = fin_u8(&in);
	uint8_t c4 = fin_u8(&in), ef = fin_u8(&in), ac = fin_u8(&in);
	uint64_t cr4 = 0, efer = 0, cr0 = 0, addr, root, access = 0;
	struct ctx c = { 0 };
	struct expect x = { 0 };
	struct mm_cpu cpu;
	union cpu_role role;
	struct pagewalk w;
	struct walk_result res;
	struct gmem g;
	struct fmt f;
	unsigned violations;
	uint8_t rsel;
	uint16_t rlow;
	bool ok;

	/* One memory for all inputs: each input zeroes what it wrote. */
	if (!mem) {
		mem = fake_mem_create(violation);
		for (unsigned p = 0; p < NPAGES; p++)
			fake_mem_back(mem, page_gpa[p]);
	}
	cr4 |= c4 & 1 ? X86_CR4_PAE : 0;
	cr4 |= c4 & 2 ? X86_CR4_PSE : 0;
	cr4 |= c4 & 4 ? X86_CR4_LA57 : 0;
	cr4 |= c4 & 8 ? X86_CR4_SMEP : 0;
	cr4 |= c4 & 16 ? X86_CR4_SMAP : 0;
	cr4 |= c4 & 32 ? X86_CR4_PKE : 0;
	efer |= ef & 1 ? X86_EFER_LME | X86_EFER_LMA : 0;
	efer |= ef & 2 ? X86_EFER_NXE : 0;
	cr0 |= ef & 4 ? X86_CR0_PG : 0;
	cr0 |= ef & 8 ? X86_CR0_WP : 0;
	access |= ac & 1 ? PFERR_WRITE : 0;
	access |= ac & 2 ? PFERR_USER : 0;
	access |= ac & 4 ? PFERR_FETCH : 0;
	access |= ac & 8 ? WALK_SMAP_OVERRIDE : 0;
	access |= ac & 16 ? PFERR_GUEST_FINAL : 0;
	access |= ac & 32 ? PFERR_GUEST_PAGE : 0;
	cpu.maxphyaddr = flags & 8 ? mp : 32 + mp % 21;
	cpu.gbpages = flags & 4;
	if (flags & 1) {
		role = cpu_role_shadow_npt(cr4, efer, flags & 2);
	} else {
		struct paging_regs regs = { cr0, cr4, efer, flags & 16 };

		role = cpu_role_from_regs(&regs);
	}
	pagewalk_init(&w, role, flags & 1, &cpu);
	f.levels = role.base.level;
	f.esz = role.base.has_4_byte_gpte ? 4 : 8;
	addr = fin_u64(&in);
	rsel = fin_u8(&in);
	rlow = fin_u16(&in);
	root = rsel & 0x80 ? ((uint64_t)rlow << 32 | page_gpa[rsel % NPAGES]) :
			     page_gpa[rsel % NPAGES] | (rlow & 0xfff);

	c.mem = mem;
	c.inner = fake_mem_gmem(mem);
	c.esz = f.esz;
	before.n = 0;

	/* The entries on the walk of addr, from the root down. */
	if (f.levels) {
		uint64_t table = root_table(&f, root);

		for (unsigned lvl = f.levels; lvl >= 1; lvl--) {
			uint64_t slot = table + (uint64_t)f.esz * index_of(&f, lvl, addr);
			uint8_t sel = fin_u8(&in);
			uint64_t v = place(&f, sel, fin_u64(&in));

			if (!backed(slot))
				break;
			fake_mem_poke(mem, slot, v, f.esz);
			slot_add(&before, slot);
			table = table_of(&f, v);
		}
	}
	/* Noise anywhere in the tables. */
	for (unsigned i = fin_u8(&in) % 16; i; i--) {
		unsigned p = fin_u8(&in) % NPAGES;
		uint64_t slot = page_gpa[p] + (uint64_t)(fin_u16(&in) % (PG / f.esz)) * f.esz;

		fake_mem_poke(mem, slot, fin_u64(&in), f.esz);
		slot_add(&before, slot);
	}
	/* Writes by another CPU during the walk. */
	while (in.n && c.nmut < MAX_MUT) {
		struct mutation *m = &c.mut[c.nmut++];
		unsigned p;

		m->at = fin_u8(&in) % 32;
		p = fin_u8(&in) % NPAGES;
		m->gpa = page_gpa[p] + (uint64_t)(fin_u16(&in) % (PG / f.esz)) * f.esz;
		m->val = fin_u64(&in);
		m->xor = fin_u8(&in) & 1;
		slot_add(&before, m->gpa);
	}
	slots_read(&before, mem, f.esz);
	if ((flags & 1) && f.levels == 4 && f.esz == 8 &&
	    cpu.maxphyaddr >= 32 && cpu.maxphyaddr <= 52)
		expect_npt4(&x, mem, cr4, efer, flags & 2, &cpu, root, addr, access);

	g = (struct gmem){ &c, m_read, m_write, m_cmpxchg };
	violations = fake_mem_nr_violations(mem);
	fake_mem_begin_walk(mem);
	ok = walk(&w, &g, root, addr, access, &res);
	FUZZ_CHECK(fake_mem_nr_violations(mem) == violations,
		   "fake memory violation");
	check_result(&w, &f, addr, ok, &res);
	after = before;
	slots_read(&after, mem, f.esz);
	if (!c.fired) {
		if (!c.lost)
			check_changes(&before, &after, &res, ok);
		if (x.applies)
			compare_reference(&x, addr, &res, ok, &before, &after);
	}
	for (unsigned i = 0; i < before.n; i++)
		fake_mem_poke(mem, before.gpa[i], 0, f.esz);
	return 0;
}
