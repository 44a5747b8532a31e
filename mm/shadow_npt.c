// SPDX-License-Identifier: MIT
/*
 * The shadow-NPT MMU (API in shadow_npt.h; docs/semantics.md §2.5, §5,
 * §6, §7.2, §9).
 *
 * What the shadow is.  A shadow root is a 4-level long-mode NPT (built
 * with mm/pt.c; entry bits of mm/pte.h, AMD APM Vol.2 §5.3/§15.25) mapping
 * L2 gpa -> host pa.  It caches the results of walking L1's NPT: each leaf
 * is one successful walk of L1's tables, composed with env->l1_to_hpa.
 * The shadow's own table entries are always P|W|U|A; all rights live in
 * the leaves.  So the shadow tree mirrors nothing of L1's table layout and
 * every L1 format (2-level, PAE, 4-level, 5-level below 2^48) is shadowed
 * the same way.
 * Roots are cached by (nCR3, full cpu_role, exec class), up to
 * SNPT_MAX_ROOTS, least recently used evicted.  The key is the whole
 * cpu_role rather than the root_role alone, because ext bits (cr4_pse,
 * has_pferr_fetch, ...) change how L1's NPT is walked.
 *
 * #NPF (snpt_handle_fault).
 *  1. The access: W and F from the CPU's EXITINFO1, U = (CPL 3), stage =
 *     the CPU's bit 32 or 33 (not exactly one: FINAL, §7.2 step 2).  The
 *     walker turns a bit-33 access into a user write and ignores U without
 *     GMET (§9 step 1).
 *  2. walk() over L1's NPT (it sets L1's A/D bits as hardware would).
 *     A fault is reflected (SNPT_REFLECT): EXITINFO1 = the CPU's stage
 *     bit | bits 31:0 of the walk (I/D per has_pferr_fetch; US = CPL 3
 *     under GMET, which is KVM's erratum-1218 answer), EXITINFO2 = the L2
 *     gpa (§7.2).
 *  3. l1_to_hpa(walk.out).  No memory: SNPT_NO_L1_MEMORY, nothing
 *     installed.
 *  4. The leaf: host address from l1_to_hpa only; page size = the largest
 *     of 1 GiB (with env->gbpages) / 2 MiB / 4 KiB not above L1's leaf,
 *     l1_to_hpa's max_shift, and the alignment of the host block;
 *     W = effective W && the L1 leaf is dirty (so the first write faults
 *     again and the walker sets D, as KVM does); U and NX see GMET below;
 *     PWT/PCD/PAT copied from L1's leaf.
 *     A page the caller watches (env->l1_watched: L1's permission maps)
 *     gets a 4 KiB read-only leaf; a write to it is SNPT_WATCHED_WRITE,
 *     not installed.
 *  5. Record, for every L1 table page the walk read, a "use" (page, root,
 *     the L2 region that page's table covers), write-protecting the page
 *     through env->protect when it gets its first use; then install.
 *
 * Coherence.  snpt_l1_write(page): for every use of the page, zap the L2
 * region it covers in that root (a 4 KiB table of a 4-level NPT covers
 * 2 MiB, the root page covers everything), and drop every use of that root
 * whose region lies inside the zapped one; a page left without uses is
 * released.  Regions are naturally aligned, so "inside" is exact: a use
 * whose region contains the zapped one still vouches for other entries and
 * stays.  Costs: a write to one L1 PT page zaps one shadow PDE; a write to
 * L1's root table empties the root.  snpt_invlpga() zaps the one leaf that
 * maps the address in each root; snpt_flush() empties every root (the root
 * pages stay so vmcb02's nCR3 stays valid: a deviation from "drop every
 * root", made for the caller's safety) and releases every protection.
 * A table page can also be shadowed while L1 lets L2 write it (L1 maps its
 * own NPT into L2): the protection is in nestvisor's NPT for L1, which L2
 * does not run on, and the shadow leaf mapping the page is writable as
 * L1's leaf says, so L2's writes go unseen, as they would past a stale
 * hardware TLB, until L1 flushes (INVLPGA / TLB_CONTROL), which the
 * caller turns into snpt_invlpga() / snpt_flush(), both of which drop
 * entries whatever their page's state; across ASIDs see "ASIDs" below.
 * A page env->protect
 * cannot protect (the caller out of pages for its splits) is never
 * shadowed: no entry is installed from a table nestvisor does not watch.
 *
 * Unsync pages (env->unsync).  The coherence above makes L1's KVM pay for
 * every page it maps on demand: L2's #NPF is reflected, L1 writes the new
 * entry into a table page the shadow already uses, the write exits and
 * drops the region (2 MiB for a PT page, 1 GiB for a PD page), and L2
 * faults again, also on the neighbours it had mapped.  With env->unsync
 * the shadow follows the rules of a TLB instead (APM Vol. 2 §5.5, §15.16:
 * the nested translations the TLB holds may be used until L1 flushes
 * them; the shadow holds no not-present entry): the first trapped write
 * to a protected page releases it and marks its uses unsync
 * (make_unsync), and the entries built from it stay; L1 then writes the
 * page without exits.
 * Every walk reads L1's tables as they are, so a not-present entry L1
 * makes present is seen at the next fault; an entry L1 changes or clears
 * may stay in the shadow, as in a TLB, until L1's next flush, which the
 * caller turns into snpt_flush() (TLB_CONTROL, INVLPGA; another ASID
 * entering a root empties that root, "ASIDs" below): a flush empties
 * every root, drops every use and with them the unsync
 * state.  Pages that were never written after their protection stay
 * exact as above.  An unsync page is counted by nr_unsync; it holds no
 * protection, so the last use of it going releases nothing.
 * The trade-off, against the two models studied: KVM's shadow MMU also
 * lets a written leaf table go unsync, but syncs it (compares every entry)
 * at every nested VMRUN, write-protecting it again, so each page L1's KVM
 * maps still costs a trapped write and a refault; Xen's nested p2m does
 * not watch L1's NPT at all and flushes the whole nested p2m at L1's TLB
 * flushes.  Here a page costs one trapped write per flush of L1, an L1
 * flush costs what it cost before (the shadow was emptied then already),
 * and nothing is compared; what is given up is the shadow being exact
 * between L1's write and its flush, which hardware does not promise
 * either.  A table of L1's that L2 may write (L1 maps its own NPT into
 * L2) is handled as above, by the flush.
 *
 * ASIDs.  A TLB is one per ASID, the shadow one per vCPU, its roots per
 * nCR3; an entry may lag behind L1's tables (unsync pages, and L2's
 * unseen writes above), which is right only for the ASID that cached it,
 * until that ASID's flush.  Another ASID that never cached it (flushed,
 * then run elsewhere) must walk L1's tables as they are now.  So each root
 * carries the ASID vmcb12 last entered it with (the caller names it at
 * every VMRUN: snpt_get_root), and a root entered with another ASID is
 * emptied first, unless it holds nothing (a flush emptied it already);
 * the other execution class's root that a GMET switch enters gets the
 * running root's ASID the same way.  So every entry of a root was cached
 * by the one ASID running it, since that ASID's last flush (which empties
 * every root): the shadow holds for each ASID a subset of what its TLB
 * could hold.  For a KVM-like L1, which gives each L2 VM its own nCR3
 * and ASID and alternates between them on one vCPU, each root keeps its
 * ASID and nothing is emptied; one nCR3 run with two ASIDs in turn (an L2
 * VM's vCPUs sharing one L1 CPU) refills that root at each turn.  The
 * alternative, leaves that map L1's protected table pages read-only to
 * L2 so its writes exit like L1's, needs a map from L1 pages back to the
 * leaves (up to 1 GiB) that map them, split when a page gets protected,
 * and still leaves the unsync pages and their ASIDs to this rule; the
 * tag costs a compare per VMRUN.
 *
 * Prefetch (snpt_prefetch).  After an #NPF is reflected, L1 normally
 * maps the address and runs L2 again, and L2 repeats the access.  At
 * that VMRUN the caller asks for the reflected address again: it is
 * walked without writing L1's memory (a walk that would have to set an
 * A or D bit installs nothing, as KVM prefetches only entries already
 * accessed) as a read, so the leaf is writable only if L1's is dirty
 * already, and installed like a fault's.  Then L2 does not fault again,
 * and a first touch costs two exits: the #NPF and L1's VMRUN.
 *
 * GMET.  With L1's GMET (role.base.cr4_smep) and env->hw_gmet, one root per
 * key; leaves carry the effective U and the hardware enforces GMET.
 * Without hardware GMET every access through the shadow is a user access,
 * so leaves always get U=1 and GMET is emulated with two roots per key:
 * SUPERVISOR roots make effective-U=1 pages NX, USER roots make
 * effective-U=0 pages NX.  A fetch fault the walk allows (under GMET for
 * the faulting CPL) is installed in the root of the page's class (U=1:
 * USER, U=0: SUPERVISOR) and, if that is not the current root, reported
 * as SNPT_SWITCH_ROOT with that root.  Exact: every fetch in a SUPERVISOR
 * root (U=0 pages run for any CPL; a U=1 page faults, and the walk decides
 * with the real CPL: GMET violation for CPL 0-2, switch for CPL 3), and
 * every data access.  Inexact: in a USER root, CPL 0-2 code runs from U=1 pages
 * already installed there without a GMET fault; this happens when CPL
 * drops to 0-2 (interrupt, syscall) and the handler's first fetch is from
 * a U=1 page.  Kernels normally enter on U=0 pages, whose NX in the USER
 * root switches back to SUPERVISOR on the first fetch.  Cost: CPL-3 code
 * that alternates between U=0 and U=1 pages switches roots each time.
 * Straddles: a CPL-3 instruction whose bytes lie on a U=0 and a U=1 page
 * runs on hardware (both fetches are user fetches, allowed), but no root
 * has both pages executable, and each fetch would switch to the other
 * root.  So every switch is remembered with the instruction's RIP; a fetch
 * that would leave a USER root for SUPERVISOR at the RIP of the switch
 * that entered that root (no instruction finished in between) is the
 * straddle: its U=0 page is installed executable in the USER root, as a
 * 4 KiB leaf, and the root stays.  That leaf is zapped when vmcb02 next
 * switches away from the root (or at the next straddle: there is at most
 * one), so the exception lasts while the USER root does, and adds nothing
 * to the inexactness above: it only lets CPL 0-2 code on that one U=0
 * page run on in the USER root.
 *
 * Several vCPUs (mm/snpt_smp.c).  L1 keeps running on other CPUs while
 * one vCPU's fault is handled, so a table page the walk read may be
 * written between the walk and its protection.  When a fault protected a
 * page, every entry the walk read is read again after env->protect
 * returned (which guarantees no CPU can write the page without an exit
 * any more); if one changed (A and D aside), nothing is installed
 * (SNPT_RETRY) and L2's next fault walks again.  An unsync page is not
 * protected: another CPU may change it under the walk or right after the
 * install, and the entry then lasts until this vCPU's next flush, as a
 * translation its TLB took just before L1's write would.
 *
 * Limits.  SNPT_MAX_USES uses; when full, every root is emptied (reset)
 * and the walk's uses are recorded again.  Out of table pages, or a page
 * env->protect cannot protect: reset (which releases every protection, so
 * the caller's splits for them can be undone), try once more, else
 * SNPT_NO_MEMORY with nothing installed.  L2 gpas at or above 2^48 are refused
 * (SNPT_BAD_ADDRESS): a 4-level shadow cannot map them.  No allocation except
 * env->ptm pages; recursion depth at most 4.
 */
#include "mm/shadow_npt.h"

#include "mm/pferr.h"
#include "mm/pt.h"
#include "mm/pte.h"

#define SHADOW_LAST (PT_LIMIT - 1)
#define PAGE_MASK_4K 0xfffull

/* ---- shadow tables (mm/pt.c) -------------------------------------------- */

/* Zap [lo, last] (L2 gpas, clamped to what the shadow maps) in root r. */
static void zap_range(struct snpt *s, unsigned r, uint64_t lo, uint64_t last)
{
	pt_zap_range(s->env.ptm, s->roots[r].hpa, lo, last);
}

/*
 * Put leaf at level (1: 4 KiB, 2: 2 MiB, 3: 1 GiB) for l2_gpa, creating
 * tables as needed.  A large leaf in the way is replaced by a new table,
 * a table in the way of a large leaf is freed: both only drop cached
 * translations.  -NV_ENOMEM changes nothing.
 */
static int install(struct snpt *s, unsigned r, uint64_t l2_gpa,
		   unsigned level, uint64_t leaf)
{
	return pt_install(s->env.ptm, s->roots[r].hpa, l2_gpa, level, leaf,
			  PT_DROP_LARGE);
}

/* The shadow leaf mapping l2_gpa in root r: its level, or 0 if none. */
static unsigned find_leaf(struct snpt *s, unsigned r, uint64_t l2_gpa)
{
	unsigned level;

	if (!(*pt_walk(s->env.ptm, s->roots[r].hpa, l2_gpa, &level) & PTE_P))
		return 0;
	return level;
}

/* ---- uses: which L1 table pages the shadow entries came from ----------- */

static unsigned bucket_of(uint64_t page)
{
	uint64_t h = (page >> 12) * 0x9e3779b97f4a7c15ull;

	return (unsigned)((h >> 32) % SNPT_HASH_BUCKETS);
}

static uint64_t use_last(const struct snpt_use *u)
{
	return u->l2_base + ((1ull << u->span_shift) - 1);
}

/* A use of page, or SNPT_NO_USE. */
static uint16_t page_use(const struct snpt *s, uint64_t page)
{
	uint16_t i = s->bucket[bucket_of(page)];

	while (i != SNPT_NO_USE && s->uses[i].l1_page != page)
		i = s->uses[i].next;
	return i;
}

static bool find_use(const struct snpt *s, uint64_t page, unsigned r,
		     uint64_t base, unsigned span)
{
	for (uint16_t i = s->bucket[bucket_of(page)]; i != SNPT_NO_USE;
	     i = s->uses[i].next) {
		const struct snpt_use *u = &s->uses[i];

		if (u->l1_page == page && u->root == r && u->l2_base == base &&
		    u->span_shift == span)
			return true;
	}
	return false;
}

static void uses_init(struct snpt *s)
{
	for (unsigned i = 0; i < SNPT_HASH_BUCKETS; i++)
		s->bucket[i] = SNPT_NO_USE;
	for (unsigned i = 0; i < SNPT_MAX_USES; i++) {
		s->uses[i].used = false;
		s->uses[i].next = i + 1 < SNPT_MAX_USES ? (uint16_t)(i + 1)
							: SNPT_NO_USE;
	}
	s->free_use = 0;
	s->nr_uses = 0;
}

static void add_use(struct snpt *s, uint64_t page, unsigned r, uint64_t base,
		    unsigned span, bool unsync)
{
	uint16_t i = s->free_use;
	struct snpt_use *u = &s->uses[i];
	unsigned b = bucket_of(page);

	s->free_use = u->next;
	u->l1_page = page;
	u->l2_base = base;
	u->root = (uint8_t)r;
	u->span_shift = (uint8_t)span;
	u->used = true;
	u->unsync = unsync;
	u->next = s->bucket[b];
	s->bucket[b] = i;
	s->nr_uses++;
}

/* Forget use i; release its page's protection if that was its last use
 * (an unsync page has none to release). */
static void remove_use(struct snpt *s, uint16_t i)
{
	struct snpt_use *u = &s->uses[i];
	uint64_t page = u->l1_page;
	uint16_t *link = &s->bucket[bucket_of(page)];
	bool unsync = u->unsync;

	while (*link != i)
		link = &s->uses[*link].next;
	*link = u->next;
	u->used = false;
	u->next = s->free_use;
	s->free_use = i;
	s->nr_uses--;
	if (page_use(s, page) != SNPT_NO_USE)
		return;
	if (unsync) {
		s->nr_unsync--;
	} else {
		s->env.protect(s->env.ctx, page, false);
		s->stats.unprotects++;
	}
}

/* Forget the uses of root r whose region lies inside [lo, last]. */
static void remove_uses_within(struct snpt *s, unsigned r, uint64_t lo,
			       uint64_t last)
{
	for (unsigned i = 0; i < SNPT_MAX_USES && s->nr_uses; i++) {
		const struct snpt_use *u = &s->uses[i];

		if (u->used && u->root == r && u->l2_base >= lo &&
		    use_last(u) <= last)
			remove_use(s, (uint16_t)i);
	}
}

/*
 * The L2 region covered by the L1 table at level lvl of a walk: log2 of
 * its size.  A 4 KiB table of 2^bits entries covers 2^(shift + bits);
 * the PAE PDPT covers 4 GiB.
 */
static unsigned table_span(const struct pagewalk *w, unsigned lvl)
{
	unsigned bits = w->role.base.has_4_byte_gpte ? 10 : 9;

	if (w->role.base.level == 3 && lvl == 3)
		return 32;
	return 12 + bits * lvl;
}

/*
 * Record a use for every table page walk res read, protecting pages that
 * get their first use.  -NV_ENOMEM when the use table is full or a page
 * cannot be protected (the uses recorded so far stay: each stands for a
 * protected page).
 */
static int record_uses(struct snpt *s, unsigned r, uint64_t l2_gpa,
		       const struct walk_result *res, bool *protected_now)
{
	const struct pagewalk *w = &s->roots[r].w;

	for (unsigned i = 0; i < res->nr_levels; i++) {
		unsigned lvl = w->role.base.level - i;
		unsigned span = table_span(w, lvl);
		uint64_t page = res->pte_addr[i] & ~PAGE_MASK_4K;
		uint64_t base = l2_gpa & ~((1ull << span) - 1);
		uint16_t other;

		if (find_use(s, page, r, base, span))
			continue;
		if (s->free_use == SNPT_NO_USE)
			return -NV_ENOMEM;
		other = page_use(s, page);
		if (other == SNPT_NO_USE) {
			if (s->env.protect(s->env.ctx, page, true)) {
				s->stats.protect_failures++;
				return -NV_ENOMEM;
			}
			s->stats.protects++;
			*protected_now = true;
		}
		add_use(s, page, r, base, span,
			other != SNPT_NO_USE && s->uses[other].unsync);
	}
	return 0;
}

/* ---- roots -------------------------------------------------------------- */

static void empty_root(struct snpt *s, unsigned r)
{
	zap_range(s, r, 0, SHADOW_LAST);
	remove_uses_within(s, r, 0, ~0ull);
	s->roots[r].filled = false;
}

/* Empty every root and release every protection; roots stay. */
static void empty_all(struct snpt *s)
{
	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++)
		if (s->roots[r].valid)
			empty_root(s, r);
}

/* The same, forced by a full use table or a lack of pages. */
static void reset_all(struct snpt *s)
{
	empty_all(s);
	s->stats.resets++;
}

static void evict(struct snpt *s, unsigned r)
{
	empty_root(s, r);
	pt_free(s->env.ptm, s->roots[r].hpa, PT_LEVELS);
	s->roots[r].valid = false;
	if (s->gmet.switched && s->gmet.switch_root == r)
		s->gmet.switched = false;
	if (s->gmet.straddle && s->gmet.straddle_root == r)
		s->gmet.straddle = false;
}

/* Is hpa a cached root?  *index gets its slot. */
static bool find_root(const struct snpt *s, uint64_t hpa, unsigned *index)
{
	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++)
		if (s->roots[r].valid && s->roots[r].hpa == hpa) {
			*index = r;
			return true;
		}
	return false;
}

static bool gmet_emulated(const struct snpt *s, union cpu_role role)
{
	return role.base.cr4_smep && !s->env.hw_gmet;
}

static void touch(struct snpt *s, unsigned r)
{
	s->roots[r].last_used = ++s->clock;
}

void snpt_init(struct snpt *s, const struct snpt_env *env)
{
	s->env = *env;
	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++)
		s->roots[r].valid = false;
	s->clock = 0;
	s->gmet = (struct snpt_gmet_state){ 0 };
	uses_init(s);
	s->nr_unsync = 0;
	s->pending.valid = false;
	s->stats = (struct snpt_stats){ 0 };
}

void snpt_destroy(struct snpt *s)
{
	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++)
		if (s->roots[r].valid)
			evict(s, r);
}

/* Root r is entered with asid: if it holds another ASID's entries, they
 * go ("ASIDs" above). */
static void enter_asid(struct snpt *s, unsigned r, uint32_t asid)
{
	struct snpt_root *rt = &s->roots[r];

	if (rt->asid == asid)
		return;
	if (rt->filled) {
		empty_root(s, r);
		s->stats.asid_empties++;
	}
	rt->asid = asid;
}

static int get_root(struct snpt *s, uint64_t ncr3, union cpu_role role,
		    enum snpt_exec exec, uint32_t asid, unsigned *index)
{
	unsigned victim = 0;
	uint64_t hpa;

	if (!gmet_emulated(s, role))
		exec = SNPT_EXEC_SUPERVISOR;
	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++) {
		const struct snpt_root *rt = &s->roots[r];

		if (rt->valid && rt->ncr3 == ncr3 &&
		    rt->role.as_u64 == role.as_u64 && rt->exec == exec) {
			enter_asid(s, r, asid);
			touch(s, r);
			*index = r;
			return 0;
		}
	}
	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++) {
		if (!s->roots[r].valid) {
			victim = r;
			break;
		}
		if (s->roots[r].last_used < s->roots[victim].last_used)
			victim = r;
	}
	if (s->roots[victim].valid) {
		evict(s, victim);
		s->stats.evictions++;
	}
	hpa = s->env.ptm->alloc_page(s->env.ptm->ctx);
	if (!hpa) {
		reset_all(s);
		hpa = s->env.ptm->alloc_page(s->env.ptm->ctx);
		if (!hpa)
			return -NV_ENOMEM;
	}
	struct snpt_root *rt = &s->roots[victim];

	rt->valid = true;
	rt->asid = asid;
	rt->filled = false;
	rt->exec = exec;
	rt->ncr3 = ncr3;
	rt->role = role;
	rt->root_role = root_role_shadow_npt(role, PT_LEVELS);
	rt->hpa = hpa;
	pagewalk_init(&rt->w, role, true, &s->env.l1_cpu);
	touch(s, victim);
	*index = victim;
	return 0;
}

int snpt_get_root(struct snpt *s, uint64_t ncr3, union cpu_role role,
		  enum snpt_exec exec, uint32_t asid, uint64_t *root_hpa)
{
	unsigned r;
	int err = get_root(s, ncr3, role, exec, asid, &r);

	if (!err)
		*root_hpa = s->roots[r].hpa;
	return err;
}

/* ---- faults ------------------------------------------------------------- */

/* The CPU's stage bit; not exactly one: FINAL (docs/semantics.md §7.2
 * step 2). */
static uint64_t fault_stage(uint64_t hw)
{
	uint64_t stage = hw & PFERR_STAGE_MASK;

	if (stage != PFERR_GUEST_FINAL && stage != PFERR_GUEST_PAGE)
		return PFERR_GUEST_FINAL;
	return stage;
}

/* Largest shadow page (log2) for the walk: not above L1's leaf, nor
 * max_shift, and the host block must be aligned like the L1 block. */
static unsigned pick_shift(const struct snpt *s, const struct walk_result *wr,
			   uint64_t hpa, unsigned max_shift)
{
	unsigned lim = wr->page_shift < max_shift ? wr->page_shift : max_shift;
	unsigned shift = lim >= 30 && s->env.gbpages ? 30 : lim >= 21 ? 21 : 12;

	while (shift > 12) {
		uint64_t mask = (1ull << shift) - 1;

		if (!((hpa - (wr->out & mask)) & mask))
			break;
		shift = shift == 30 ? 21 : 12;
	}
	return shift;
}

/* PWT/PCD/PAT of L1's leaf, moved to where a shadow leaf of shift has them. */
static uint64_t memtype_bits(const struct walk_result *wr, unsigned shift)
{
	uint64_t leaf = wr->pte[wr->nr_levels - 1];
	bool pat = wr->page_shift == 12 ? (leaf & PTE_PS) : (leaf & PTE_LARGE_PAT);
	uint64_t bits = leaf & (PTE_PWT | PTE_PCD);

	if (pat)
		bits |= shift == 12 ? PTE_PS : PTE_LARGE_PAT;
	return bits;
}

static uint64_t make_leaf(const struct snpt *s, const struct snpt_root *rt,
			  const struct walk_result *wr, uint64_t access,
			  uint64_t hpa, unsigned shift)
{
	uint64_t mask = (1ull << shift) - 1;
	uint64_t base = shift == 12 ? hpa & ~PAGE_MASK_4K : hpa - (wr->out & mask);
	uint64_t leaf = base | PTE_P | PTE_A | memtype_bits(wr, shift);
	bool user = wr->access & ACC_USER, emul = gmet_emulated(s, rt->role);
	bool dirty = (wr->pte[wr->nr_levels - 1] & PTE_D) ||
		     (walk_effective_pfec(&rt->w, access) & PFERR_WRITE);

	if (shift > 12)
		leaf |= PTE_PS;
	if ((wr->access & ACC_WRITE) && dirty)
		leaf |= PTE_RW | PTE_D;
	if (user || emul)
		leaf |= PTE_US;
	if (!(wr->access & ACC_EXEC))
		leaf |= PTE_NX;
	if (emul && (rt->exec == SNPT_EXEC_SUPERVISOR ? user : !user))
		leaf |= PTE_NX;
	return leaf;
}

/* ---- GMET emulation: root switches and straddles ("GMET" above) ------- */

/*
 * A fetch in root r needs class cls, not r's: is it the second half of a
 * straddling instruction?  Only from a USER root to SUPERVISOR, at the RIP
 * of the switch that entered r.
 */
static bool gmet_straddle(const struct snpt *s, unsigned r,
			  enum snpt_exec cls, uint64_t rip)
{
	return s->roots[r].exec == SNPT_EXEC_USER &&
	       cls == SNPT_EXEC_SUPERVISOR && s->gmet.switched &&
	       s->gmet.switch_root == r && s->gmet.switch_rip == rip;
}

/* Zap the straddle leaf, if there is one: there is at most one. */
static void gmet_drop_straddle(struct snpt *s)
{
	struct snpt_gmet_state *g = &s->gmet;
	uint64_t last = g->straddle_page + PAGE_MASK_4K;

	if (!g->straddle)
		return;
	zap_range(s, g->straddle_root, g->straddle_page, last);
	remove_uses_within(s, g->straddle_root, g->straddle_page, last);
	g->straddle = false;
}

/* vmcb02 leaves root r for target at rip: r's straddle leaf goes. */
static void gmet_switched(struct snpt *s, unsigned r, unsigned target,
			  uint64_t rip)
{
	struct snpt_gmet_state *g = &s->gmet;

	if (g->straddle && g->straddle_root == r)
		gmet_drop_straddle(s);
	g->switched = true;
	g->switch_root = target;
	g->switch_rip = rip;
}

/*
 * Does every L1 table entry the walk read still hold what it read (but
 * for A and D, which only the walker and hardware set)?  Asked after a
 * page got protected: L1 may have written it, from another CPU, between
 * the walk and the protection ("Several vCPUs" above).
 */
static bool walk_unchanged(const struct snpt *s, unsigned r,
			   const struct walk_result *wr)
{
	unsigned len = s->roots[r].w.role.base.has_4_byte_gpte ? 4 : 8;

	for (unsigned i = 0; i < wr->nr_levels; i++) {
		uint64_t now = 0;

		if (s->env.l1mem->read(s->env.l1mem->ctx, wr->pte_addr[i], &now,
				       len))
			return false;
		if ((now ^ wr->pte[i]) & ~(PTE_A | PTE_D))
			return false;
	}
	return true;
}

/* Record the walk's uses and install the leaf in root r ("Limits" above).
 * 1 when a table changed under the walk: nothing installed. */
static int record_and_install(struct snpt *s, unsigned r, uint64_t l2_gpa,
			      const struct walk_result *wr, unsigned shift,
			      uint64_t leaf)
{
	unsigned level = shift == 30 ? 3 : shift == 21 ? 2 : 1;
	bool protected_now = false;

	for (int attempt = 0; attempt < 2; attempt++) {
		if (record_uses(s, r, l2_gpa, wr, &protected_now)) {
			reset_all(s);
			if (record_uses(s, r, l2_gpa, wr, &protected_now))
				return -NV_ENOMEM;
		}
		if (protected_now && !walk_unchanged(s, r, wr)) {
			s->stats.changed_under_walk++;
			return 1;
		}
		if (!install(s, r, l2_gpa, level, leaf)) {
			s->roots[r].filled = true;
			return 0;
		}
		reset_all(s);
	}
	return -NV_ENOMEM;
}

/*
 * Steps 3-5 of a walk that translated (the comment at the top): install
 * its leaf in root r, or in the other execution class's root for a fetch
 * under emulated GMET.
 */
static enum snpt_outcome install_walk(struct snpt *s, unsigned r,
				      uint64_t l2_gpa, uint64_t access,
				      uint64_t rip,
				      const struct walk_result *wr,
				      struct snpt_fault_result *out)
{
	enum snpt_outcome installed = SNPT_INSTALLED;
	unsigned target = r, max_shift = 12, shift;
	uint64_t hpa, leaf;
	bool watched, straddle = false;
	int rc;

	out->l1_gpa = wr->out;
	if (s->env.l1_to_hpa(s->env.ctx, wr->out, &hpa, &max_shift)) {
		s->stats.no_l1_memory++;
		return SNPT_NO_L1_MEMORY;
	}
	if (hpa & ~((1ull << 52) - 1))
		return SNPT_BAD_HOST_ADDRESS;
	watched = s->env.l1_watched &&
		  s->env.l1_watched(s->env.ctx, wr->out & ~PAGE_MASK_4K);
	if (watched) {
		if (walk_effective_pfec(&s->roots[r].w, access) & PFERR_WRITE)
			return SNPT_WATCHED_WRITE;
		max_shift = 12;
	}

	if (gmet_emulated(s, s->roots[r].role) &&
	    (access & PFERR_STAGE_MASK) == PFERR_GUEST_FINAL &&
	    (access & PFERR_FETCH)) {
		enum snpt_exec cls = (wr->access & ACC_USER) ? SNPT_EXEC_USER
							     : SNPT_EXEC_SUPERVISOR;

		if (cls != s->roots[r].exec && gmet_straddle(s, r, cls, rip)) {
			straddle = true;
		} else if (cls != s->roots[r].exec) {
			/* The other class's root runs the same ASID. */
			if (get_root(s, s->roots[r].ncr3, s->roots[r].role,
				     cls, s->roots[r].asid, &target))
				return SNPT_NO_MEMORY;
			installed = SNPT_SWITCH_ROOT;
		}
	}

	/* A straddle's U=0 page: executable in this USER root, 4 KiB only
	 * (the walk allowed the fetch, so only the class made it NX). */
	shift = straddle ? 12 : pick_shift(s, wr, hpa, max_shift);
	leaf = make_leaf(s, &s->roots[target], wr, access, hpa, shift);
	if (straddle)
		leaf &= ~PTE_NX;
	if (watched)
		leaf &= ~(PTE_RW | PTE_D);
	rc = record_and_install(s, target, l2_gpa, wr, shift, leaf);
	if (rc > 0)
		return SNPT_RETRY;
	if (rc)
		return SNPT_NO_MEMORY;
	if (installed == SNPT_SWITCH_ROOT) {
		gmet_switched(s, r, target, rip);
		s->stats.switches++;
	}
	if (straddle) {
		/* Another root's (left by a VMRUN, not a switch) goes now. */
		if (s->gmet.straddle_page != (l2_gpa & ~PAGE_MASK_4K) ||
		    s->gmet.straddle_root != r)
			gmet_drop_straddle(s);
		s->gmet.switched = false;
		s->gmet.straddle = true;
		s->gmet.straddle_root = r;
		s->gmet.straddle_page = l2_gpa & ~PAGE_MASK_4K;
		s->stats.straddles++;
	}
	out->shadow_shift = shift;
	out->exec = s->roots[target].exec;
	out->root_hpa = s->roots[target].hpa;
	s->stats.installs++;
	return installed;
}

enum snpt_outcome snpt_handle_fault(struct snpt *s, uint64_t root_hpa,
				    uint64_t l2_gpa, uint64_t hw_exit_info_1,
				    unsigned cpl, uint64_t rip,
				    struct snpt_fault_result *out)
{
	uint64_t stage = fault_stage(hw_exit_info_1), access;
	struct walk_result wr;
	unsigned r;

	*out = (struct snpt_fault_result){ .exec = SNPT_EXEC_SUPERVISOR,
					   .root_hpa = root_hpa };
	if (!find_root(s, root_hpa, &r))
		return SNPT_STALE_ROOT;
	touch(s, r);
	out->exec = s->roots[r].exec;
	s->stats.faults++;
	if (l2_gpa > SHADOW_LAST)
		return SNPT_BAD_ADDRESS;

	access = stage | (hw_exit_info_1 & (PFERR_WRITE | PFERR_FETCH)) |
		 (cpl == 3 ? PFERR_USER : 0);
	walk(&s->roots[r].w, s->env.l1mem, s->roots[r].ncr3, l2_gpa, access, &wr);
	if (wr.raced)
		return SNPT_RETRY;
	if (wr.gmem_error)
		return SNPT_L1_TABLE_UNREACHABLE;
	if (wr.fault) {
		out->exit_info_1 = stage | (wr.error_code & ~PFERR_STAGE_MASK);
		out->exit_info_2 = l2_gpa;
		out->fault_level = wr.fault_level;
		out->rights = wr.access;
		s->stats.reflects++;
		s->pending = (struct snpt_pending){
			.valid = true, .cpl = (uint8_t)cpl,
			.root_hpa = root_hpa, .l2_gpa = l2_gpa,
		};
		return SNPT_REFLECT;
	}
	return install_walk(s, r, l2_gpa, access, rip, &wr, out);
}

/* ---- prefetch ----------------------------------------------------------- */

/* L1 memory for a walk that may read but not write: an A or D bit the
 * walk would have to set ends it (gmem_error). */
static int dry_read(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	const struct gmem *m = ((const struct snpt *)ctx)->env.l1mem;

	return m->read(m->ctx, gpa, buf, len);
}

static int dry_write(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
	(void)ctx, (void)gpa, (void)buf, (void)len;
	return -NV_EFAULT;
}

static int dry_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val,
		       unsigned len)
{
	(void)ctx, (void)gpa, (void)old, (void)new_val, (void)len;
	return -NV_EFAULT;
}

bool snpt_prefetch(struct snpt *s, uint64_t root_hpa)
{
	struct snpt_pending p = s->pending;
	const struct gmem dry = { (void *)s, dry_read, dry_write, dry_cmpxchg };
	struct snpt_fault_result out;
	struct walk_result wr;
	uint64_t access;
	unsigned r;

	s->pending.valid = false;
	if (!p.valid || p.root_hpa != root_hpa || !find_root(s, root_hpa, &r))
		return false;
	s->stats.prefetches++;
	/* A read: it sets D nowhere, and the leaf is writable only if L1's
	 * is dirty already (make_leaf). */
	access = PFERR_GUEST_FINAL | (p.cpl == 3 ? PFERR_USER : 0);
	if (!walk(&s->roots[r].w, &dry, s->roots[r].ncr3, p.l2_gpa, access, &wr))
		return false;
	if (install_walk(s, r, p.l2_gpa, access, 0, &wr, &out) != SNPT_INSTALLED)
		return false;
	s->stats.prefetch_installs++;
	return true;
}

/* ---- coherence and flushes ---------------------------------------------- */

/* The unsync path of snpt_l1_write: every use of page becomes unsync,
 * the protection goes, the entries stay. */
static void make_unsync(struct snpt *s, uint64_t page)
{
	for (uint16_t i = s->bucket[bucket_of(page)]; i != SNPT_NO_USE;
	     i = s->uses[i].next)
		if (s->uses[i].l1_page == page)
			s->uses[i].unsync = true;
	s->env.protect(s->env.ctx, page, false);
	s->nr_unsync++;
	s->stats.unsyncs++;
	s->stats.unprotects++;
}

void snpt_l1_write(struct snpt *s, uint64_t l1_gpa)
{
	uint64_t page = l1_gpa & ~PAGE_MASK_4K;
	uint16_t any = page_use(s, page);

	s->stats.l1_writes++;
	if (s->env.unsync) {
		if (any != SNPT_NO_USE && !s->uses[any].unsync)
			make_unsync(s, page);
		return;
	}
	for (;;) {
		uint16_t i = s->bucket[bucket_of(page)];

		while (i != SNPT_NO_USE && s->uses[i].l1_page != page)
			i = s->uses[i].next;
		if (i == SNPT_NO_USE)
			return;
		/* Removes use i itself: its region lies inside itself. */
		unsigned r = s->uses[i].root;
		uint64_t lo = s->uses[i].l2_base, last = use_last(&s->uses[i]);

		zap_range(s, r, lo, last);
		remove_uses_within(s, r, lo, last);
	}
}

void snpt_invlpga(struct snpt *s, uint64_t l2_gpa)
{
	s->stats.invlpga++;
	if (l2_gpa > SHADOW_LAST)
		return;
	for (unsigned r = 0; r < SNPT_MAX_ROOTS; r++) {
		unsigned lvl;
		uint64_t lo, last;

		if (!s->roots[r].valid)
			continue;
		lvl = find_leaf(s, r, l2_gpa);
		if (!lvl)
			continue;
		lo = l2_gpa & ~((1ull << pt_level_shift(lvl)) - 1);
		last = lo + ((1ull << pt_level_shift(lvl)) - 1);
		zap_range(s, r, lo, last);
		remove_uses_within(s, r, lo, last);
	}
}

void snpt_flush(struct snpt *s)
{
	s->stats.flushes++;
	empty_all(s);
}

bool snpt_is_protected(const struct snpt *s, uint64_t l1_gpa)
{
	uint16_t i = page_use(s, l1_gpa & ~PAGE_MASK_4K);

	return i != SNPT_NO_USE && !s->uses[i].unsync;
}

bool snpt_is_unsync(const struct snpt *s, uint64_t l1_gpa)
{
	uint16_t i = page_use(s, l1_gpa & ~PAGE_MASK_4K);

	return i != SNPT_NO_USE && s->uses[i].unsync;
}
