// SPDX-License-Identifier: MIT
/*
 * The shadow-NPT MMU against walk(), over random L1 NPTs of every format
 * (2-level/PSE, PAE, 4- and 5-level) and role (NXE, SMEP, L1/L0 1 GiB
 * pages, no GMET, GMET emulated with two roots, GMET in hardware): 4 KiB,
 * 2/4 MiB and 1 GiB leaves, W/U/NX/PAT/D combinations, not-present and
 * reserved entries at every level, outputs into ordinary memory,
 * nestvisor's region, a page-by-page block and beyond L1's memory.
 * For every access: (a) a denied access is reflected with exactly walk()'s
 * error code and the shadow is unchanged; (b) an allowed one is installed
 * in the right root with the host address l1_to_hpa gives, the expected
 * page size and rights (effective rights, D-bit rule, GMET class NX), and
 * every L1 table page read is protected; (c) no L1 memory is reported;
 * and the MMU's walk wrote exactly the A/D bits walk() wrote.  Between
 * accesses L1 changes entries (through snpt_l1_write when the page is
 * protected, silently when not) and the coherence invariant is checked:
 * nothing any root maps exceeds what L1's tables say now.  Now and then
 * the address of the last reflected access is prefetched (snpt_prefetch):
 * installed exactly when walk() of L1's tables as they are now allows a
 * read and finds every A bit set, as an install of a read would be, and
 * nothing written to L1's memory.
 * The same again with env->unsync, where the invariant is a TLB's (APM
 * Vol. 2 §15.16): an entry disagrees with L1's tables only if an entry on
 * its walk was written since the last flush, every unsync page was
 * written through the trap since then, and after a flush (now and then,
 * and at the end) the strict invariant holds again.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "snpt_fixture.h"

/* env->unsync runs: the L1 entries written since the last flush (their
 * gpas), and the pages written through the trap since then. */
#define MAX_DIRTY 4096

static bool unsync_mode;
static uint64_t dirty[MAX_DIRTY], trapped[MAX_DIRTY];
static unsigned nr_dirty, nr_trapped;

static bool in_set(const uint64_t *set, unsigned n, uint64_t v)
{
	for (unsigned i = 0; i < n; i++)
		if (set[i] == v)
			return true;
	return false;
}

static void add_to(uint64_t *set, unsigned *n, uint64_t v)
{
	if (!in_set(set, *n, v)) {
		assert_true(*n < MAX_DIRTY);
		set[(*n)++] = v;
	}
}

/*
 * Coherence invariant: whatever a root maps at gpa, L1's tables (as they
 * are now) allow: the same host address, W only on an effectively
 * writable and dirty leaf, U/exec only where the rules give them.  With
 * env->unsync, a walk through an entry written since the last flush may
 * still be mapped as it was.
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
	for (unsigned i = 0; unsync_mode && i < wr.nr_levels; i++)
		if (in_set(dirty, nr_dirty, wr.pte_addr[i]))
			return;
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
	unsigned prefetches, prefetched, flushes;
};

static struct counts total;

#define MAX_SAMPLES 2048

struct run {
	struct h h;
	struct counts c;
	uint64_t samples[MAX_SAMPLES];
	unsigned nr_samples;
	uint64_t slots[64];
	unsigned slot_shift[64];
	unsigned nr_slots;
	/* the last reflected access, which snpt_prefetch may install */
	bool pending;
	uint64_t pending_gpa, pending_root;
	unsigned pending_cpl;
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
	for (unsigned i = 0; i < SNPT_MAX_USES; i++) {
		const struct snpt_use *u = &x->h.s->uses[i];

		if (u->used && u->unsync && !in_set(trapped, nr_trapped, u->l1_page))
			fail_msg("page 0x%" PRIx64 " unsync, never written through "
				 "the trap since the flush", u->l1_page);
	}
}

/* L1 flushes its TLB (env->unsync runs): the roots empty, every entry
 * is exact again. */
static void flush(struct run *x)
{
	snpt_flush(x->h.s);
	nr_dirty = nr_trapped = 0;
	x->c.flushes++;
	check_all_coherent(x);
}

/*
 * What an install at gpa in root rt (class exec asked) must look like,
 * for an access of this kind (0 read, 1 write, 2 fetch, 3 page-table)
 * that walk() allowed with result rr and l1_to_hpa gave hpa and ms.
 */
static void check_installed(struct run *x, enum snpt_outcome ret,
			    const struct snpt_fault_result *out,
			    enum snpt_exec exec, uint64_t gpa,
			    const struct walk_result *rr, unsigned kind,
			    uint64_t hpa, unsigned ms)
{
	struct h *h = &x->h;
	struct sw after;

	assert_int_equal(out->l1_gpa, rr->out);

	bool user = rr->access & ACC_USER;
	bool fetch = kind == 2;
	enum snpt_exec want = exec;

	if (h->emul && fetch)
		want = user ? SNPT_EXEC_USER : SNPT_EXEC_SUPERVISOR;
	assert_int_equal(ret, want != exec ? SNPT_SWITCH_ROOT : SNPT_INSTALLED);
	assert_int_equal(out->exec, want);
	assert_int_equal(out->root_hpa, root(h, want));
	x->c.switches += ret == SNPT_SWITCH_ROOT;

	after = shadow_get(out->root_hpa, gpa);
	assert_true(after.present);
	assert_int_equal(after.hpa, hpa);
	unsigned lim = rr->page_shift < ms ? rr->page_shift : ms;
	unsigned expect_shift = lim >= 30 && h->env.gbpages ? 30 :
				lim >= 21 ? 21 : 12;
	assert_int_equal(after.shift, expect_shift);
	assert_int_equal(out->shadow_shift, expect_shift);

	bool dirty_leaf = (rr->pte[rr->nr_levels - 1] & PTE_D) || kind == 1 ||
			  kind == 3;
	assert_int_equal(after.w, (rr->access & ACC_WRITE) && dirty_leaf);
	assert_int_equal(after.u, h->emul ? true : user);
	bool nx = !(rr->access & ACC_EXEC) ||
		  (h->emul && (want == SNPT_EXEC_SUPERVISOR ? user : !user));
	assert_int_equal(after.nx, nx);
	/* memory type copied from L1's leaf */
	uint64_t l1leaf = rr->pte[rr->nr_levels - 1];
	bool pat = rr->page_shift == 12 ? (l1leaf & PTE_PS) : (l1leaf & PTE_LARGE_PAT);
	assert_int_equal(after.leaf & (PTE_PWT | PTE_PCD),
			 l1leaf & (PTE_PWT | PTE_PCD));
	assert_int_equal(!!(after.leaf & (after.shift == 12 ? PTE_PS : PTE_LARGE_PAT)),
			 pat);
	/* every L1 table page the walk read is now protected (or unsync) */
	for (unsigned i = 0; i < rr->nr_levels; i++)
		assert_true(snpt_is_protected(h->s, rr->pte_addr[i]) ||
			    (unsync_mode && snpt_is_unsync(h->s, rr->pte_addr[i])));
}

/*
 * L1 runs L2 again on rt: snpt_prefetch, against a walk of L1's tables
 * now (for a read at the reflected access's CPL) that writes nothing.
 */
static void one_prefetch(struct run *x)
{
	struct h *h = &x->h;
	enum snpt_exec exec = h->emul && chance(50) ? SNPT_EXEC_USER
						    : SNPT_EXEC_SUPERVISOR;
	uint64_t rt = root(h, exec), hpa = 0, access;
	bool expect = x->pending && x->pending_root == rt, got;
	struct walk_result rr = { 0 };
	struct snpt_fault_result out = { 0 };
	unsigned ms = 0;
	struct sw before = { 0 };

	if (expect) {
		access = FINAL | (x->pending_cpl == 3 ? PFERR_USER : 0);
		rr = dry_walk(h, x->pending_gpa, access);
		before = shadow_get(rt, x->pending_gpa);
		expect = !rr.fault;
		/* every entry already accessed (the PAE PDPTE has no A) */
		for (unsigned i = 0; expect && i < rr.nr_levels; i++)
			if (!(h->role.base.level == 3 && i == 0))
				expect = rr.pte[i] & PTE_A;
		expect = expect && !fake_l1_to_hpa(NULL, rr.out, &hpa, &ms) &&
			 !(hpa >> 52);
	}
	fake_mem_begin_walk(h->mem);
	got = snpt_prefetch(h->s, rt);
	assert_int_equal(fake_mem_nr_writes(h->mem), 0);
	assert_int_equal(got, expect);
	x->c.prefetches++;
	if (got) {
		/* what snpt_handle_fault would report for this install */
		out.l1_gpa = rr.out;
		out.exec = exec;
		out.root_hpa = rt;
		out.shadow_shift = shadow_get(rt, x->pending_gpa).shift;
		check_installed(x, SNPT_INSTALLED, &out, out.exec,
				x->pending_gpa, &rr, 0, hpa, ms);
		add_sample(x, x->pending_gpa);
		x->c.prefetched++;
	} else if (x->pending && x->pending_root == rt) {
		assert_true(sw_equal(shadow_get(rt, x->pending_gpa), before));
	}
	x->pending = false;
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
	struct sw before = shadow_get(rt, gpa);
	struct walk_result rr = ref_walk(h, gpa, access);
	struct snpt_fault_result out;
	unsigned ms = 0;
	enum snpt_outcome ret;

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
		assert_int_equal(ret, SNPT_REFLECT);
		assert_int_equal(out.exit_info_1, rr.error_code);
		assert_int_equal(out.exit_info_2, gpa);
		assert_true(sw_equal(shadow_get(rt, gpa), before));
		x->c.reflects++;
		x->pending = true;
		x->pending_gpa = gpa;
		x->pending_root = rt;
		x->pending_cpl = cpl;
		return;
	}
	if (fake_l1_to_hpa(NULL, rr.out, &hpa, &ms)) { /* (c) */
		assert_int_equal(ret, SNPT_NO_L1_MEMORY);
		assert_int_equal(out.l1_gpa, rr.out);
		assert_true(sw_equal(shadow_get(rt, gpa), before));
		x->c.no_mem++;
		return;
	}
	if (hpa >> 52) {
		assert_int_equal(ret, SNPT_BAD_HOST_ADDRESS);
		assert_true(sw_equal(shadow_get(rt, gpa), before));
		x->c.bad_hpa++;
		return;
	}
	/* (b) installed */
	check_installed(x, ret, &out, exec, gpa, &rr, kind, hpa, ms);
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
		if (unsync_mode) {
			assert_true(snpt_is_unsync(h->s, wr.pte_addr[i]));
			add_to(trapped, &nr_trapped, wr.pte_addr[i] & ~(PAGE - 1));
		}
		x->c.l1_writes++;
	} else {
		x->c.unprotected_changes++;
	}
	if (unsync_mode)
		add_to(dirty, &nr_dirty, wr.pte_addr[i]);
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
	nr_dirty = nr_trapped = 0;
	h_init(h, c->cr4, c->efer, c->gmet, c->hw_gmet, c->l1_gb, c->l0_gb);
	if (unsync_mode)
		h_unsync(h);
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
		if (chance(20))
			one_prefetch(x);
		if (unsync_mode && rnd() % 400 == 0)
			flush(x);
	}
	check_all_coherent(x);
	unsigned leaves = scan_all(h);
	print_message("  %-28s %5u accesses: %4u reflected, %4u installed, "
		      "%3u no memory, %2u bad hpa, %3u switches; %3u changes "
		      "(%3u trapped); %u leaves, %" PRIu64 " protects; "
		      "%u of %u prefetched%s\n",
		      c->name, x->c.accesses, x->c.reflects, x->c.installs,
		      x->c.no_mem, x->c.bad_hpa, x->c.switches, x->c.changes,
		      x->c.l1_writes, leaves, F.nr_protect, x->c.prefetched,
		      x->c.prefetches, unsync_mode ? ", unsync" : "");
	assert_true(x->c.reflects > 0 && x->c.installs > 0);
	if (unsync_mode)
		flush(x);
	total.accesses += x->c.accesses;
	total.reflects += x->c.reflects;
	total.installs += x->c.installs;
	total.no_mem += x->c.no_mem;
	total.switches += x->c.switches;
	total.changes += x->c.changes;
	total.l1_writes += x->c.l1_writes;
	total.prefetches += x->c.prefetches;
	total.prefetched += x->c.prefetched;
	total.flushes += x->c.flushes;
	h_fini(h);
	free(x);
}

static const struct cfg cfgs[] = {
	{ "4-level NX", X86_CR4_PAE, LM | NXE, false, false, true, true },
	{ "4-level NX, L0 no 1G", X86_CR4_PAE, LM | NXE, false, false, true, false },
	{ "4-level no NXE, SMEP", X86_CR4_PAE | X86_CR4_SMEP, LM,
	  false, false, true, true },
	{ "4-level L1 no 1G pages", X86_CR4_PAE, LM | NXE, false, false, false, true },
	{ "4-level GMET emulated", X86_CR4_PAE, LM | NXE, true, false, true, true },
	{ "4-level GMET, no NXE/SMEP", X86_CR4_PAE, LM, true, false, true, true },
	{ "4-level GMET hardware", X86_CR4_PAE, LM | NXE, true, true, true, true },
	{ "5-level NX", X86_CR4_PAE | X86_CR4_LA57, LM | NXE,
	  false, false, true, true },
	{ "PAE 3-level NX", X86_CR4_PAE, NXE, false, false, true, true },
	{ "2-level PSE", X86_CR4_PSE, 0, false, false, true, true },
	{ "2-level PSE GMET emulated", X86_CR4_PSE, 0, true, false, true, true },
};

static void every_shape(bool unsync)
{
	unsync_mode = unsync;
	total = (struct counts){ 0 };
	for (unsigned i = 0; i < sizeof(cfgs) / sizeof(cfgs[0]); i++)
		for (uint64_t seed = 1; seed <= 4; seed++)
			run_cfg(&cfgs[i], 0x9e3779b97f4a7c15ull * seed + i, 3000);
	print_message("  total: %u accesses (%u reflected, %u installed, %u no "
		      "memory, %u root switches), %u L1 changes (%u trapped), "
		      "%u of %u prefetched, %u flushes\n",
		      total.accesses, total.reflects, total.installs,
		      total.no_mem, total.switches, total.changes,
		      total.l1_writes, total.prefetched, total.prefetches,
		      total.flushes);
	assert_true(total.prefetched > 0 && total.prefetched < total.prefetches);
}

static void every_shape_against_walk(void **state)
{
	(void)state;
	every_shape(false);
}

static void every_shape_unsync(void **state)
{
	(void)state;
	every_shape(true);
	assert_true(total.flushes > 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(every_shape_against_walk),
		cmocka_unit_test(every_shape_unsync),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
