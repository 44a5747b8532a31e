// SPDX-License-Identifier: MIT
/*
 * The page-table walker (docs/semantics.md §4.4, §5, §9).
 *
 * Algorithm, for the format the role selects (2, 3, 4 or 5 levels):
 *  0. Work out the access as the permission table sees it (pfec):
 *     - ordinary walk: W, U, F as given (plus the SMAP-override slot);
 *     - tdp (NPT) walk at the GUEST_PAGE stage: a user write, never a fetch;
 *     - tdp walk at the final stage: W and F as given; U forced to 1 unless
 *       GMET is on, in which case U is the CPL-3 nature of the access.
 *  1. From the root, level by level: read the entry through gmem; not
 *     present -> fault; any reserved bit (mask chosen by level and PS) ->
 *     fault; otherwise AND W and U and OR NX into the effective rights.
 *     Stop at a level-1 entry or a PS=1 entry at a level that maps pages.
 *  2. One table lookup: permission_fault(pfec, effective rights).
 *  3. Only when 1 and 2 passed: set A in every entry used (the PAE PDPTE
 *     has none) and D in the leaf for a write, each with gmem->cmpxchg.  A
 *     lost cmpxchg means the tables changed under us: walk again from 0,
 *     at most WALK_MAX_RETRIES times (then res->raced: a walk never spins
 *     however another CPU keeps changing the tables).
 *  Error code of a fault: P (0 for not present), RSVD, the W and U of the
 *  pfec, F only for a fetch when role.ext.has_pferr_fetch, and on a tdp
 *  walk the stage bit (GUEST_FINAL or GUEST_PAGE).  fault_addr = addr.
 */
#include "mm/pte.h"
#include "mm/walk.h"
#include "mm/walk_format.h"

enum walk_fault { WF_NOT_PRESENT, WF_RSVD, WF_PERM };

/* The translated address of a leaf at lvl. */
static uint64_t leaf_output(const struct pagewalk *w, unsigned lvl,
			    uint64_t pte, uint64_t addr)
{
	uint64_t off = addr & ((1ull << pw_level_shift(w, lvl)) - 1);

	if (w->role.base.has_4_byte_gpte) {
		if (lvl == 1)
			return (pte & PTE32_ADDR_4K) | off;
		return (pte & PDE32_4M_ADDR_LO) |
		       (((pte & PDE32_4M_ADDR_HI) >> PDE32_4M_HI_SHIFT) << 32) | off;
	}
	if (lvl == 1)
		return (pte & PTE64_ADDR_4K) | off;
	if (lvl == 2)
		return (pte & PTE64_ADDR_2M) | off;
	return (pte & PTE64_ADDR_1G) | off;
}

uint32_t walk_effective_pfec(const struct pagewalk *w, uint64_t access)
{
	uint32_t pfec = (uint32_t)(access & (PFERR_WRITE | PFERR_USER | PFERR_FETCH));

	if (!w->tdp)
		return pfec | (uint32_t)(access & WALK_SMAP_OVERRIDE);
	if (access & PFERR_GUEST_PAGE)
		return PFERR_WRITE | PFERR_USER;
	if (!w->role.base.cr4_smep)
		pfec |= PFERR_USER;
	return pfec;
}

/* Exactly one stage bit on a tdp walk: GUEST_PAGE if asked for, else
 * GUEST_FINAL.  None on an ordinary walk. */
static uint64_t walk_stage(const struct pagewalk *w, uint64_t access)
{
	if (!w->tdp)
		return 0;
	return (access & PFERR_GUEST_PAGE) ? PFERR_GUEST_PAGE : PFERR_GUEST_FINAL;
}

static bool fault(const struct pagewalk *w, struct walk_result *res,
		  enum walk_fault kind, int level, uint32_t pfec,
		  uint64_t stage, uint64_t addr)
{
	uint64_t ec = 0;

	if (kind == WF_RSVD)
		ec = PFERR_PRESENT | PFERR_RSVD;
	else if (kind == WF_PERM)
		ec = PFERR_PRESENT;
	ec |= pfec & (PFERR_WRITE | PFERR_USER);
	if ((pfec & PFERR_FETCH) && w->role.ext.has_pferr_fetch)
		ec |= PFERR_FETCH;
	ec |= stage;

	res->fault = true;
	res->error_code = ec;
	res->fault_addr = addr;
	res->fault_level = level;
	return false;
}

static void result_clear(struct walk_result *res)
{
	res->fault = false;
	res->out = 0;
	res->page_shift = 0;
	res->access = 0;
	res->error_code = 0;
	res->fault_addr = 0;
	res->fault_level = 0;
	res->nr_levels = 0;
	for (unsigned i = 0; i < WALK_MAX_LEVELS; i++)
		res->pte[i] = res->pte_addr[i] = 0;
	res->gmem_error = false;
	res->raced = false;
}

static int read_entry(const struct pagewalk *w, const struct gmem *mem,
		      uint64_t gpa, uint64_t *pte)
{
	if (pw_entry_size(w) == 4) {
		uint32_t v;

		int err = mem->read(mem->ctx, gpa, &v, 4);

		if (err)
			return err;
		*pte = v;
		return 0;
	}
	return mem->read(mem->ctx, gpa, pte, 8);
}

/* Step 3.  Returns 0 when done, -NV_EAGAIN when a cmpxchg lost, another
 * negated nv_err when gmem could not reach an entry. */
static int set_accessed_dirty(const struct pagewalk *w, const struct gmem *mem,
			      const struct walk_result *res, unsigned top,
			      bool write)
{
	for (unsigned i = 0; i < res->nr_levels; i++) {
		unsigned lvl = top - i;
		uint64_t old = res->pte[i], want = old;
		int err;

		if (pw_is_pae_pdpte(w, lvl))
			continue;
		want |= PTE_A;
		if (write && i == res->nr_levels - 1)
			want |= PTE_D;
		if (want == old)
			continue;
		err = mem->cmpxchg(mem->ctx, res->pte_addr[i], old, want,
				   pw_entry_size(w));
		if (err)
			return err;
	}
	return 0;
}

bool walk(const struct pagewalk *w, const struct gmem *mem, uint64_t root,
	  uint64_t addr, uint64_t access, struct walk_result *res)
{
	const unsigned top = w->role.base.level;
	uint64_t stage = walk_stage(w, access);
	uint32_t pfec = walk_effective_pfec(w, access);
	unsigned retries = 0;

retry:
	result_clear(res);
	if (top == 0) { /* paging off: the address is the translation */
		res->out = addr;
		res->page_shift = 12;
		res->access = ACC_ALL;
		return true;
	}

	uint64_t table = pw_root_table(w, root), pte = 0;
	unsigned acc = ACC_ALL, lvl;

	for (lvl = top; lvl >= 1; lvl--) {
		uint64_t gpa = table + (uint64_t)pw_level_index(w, lvl, addr) * pw_entry_size(w);
		unsigned ps;

		if (read_entry(w, mem, gpa, &pte)) {
			res->gmem_error = true;
			return false;
		}
		res->pte[res->nr_levels] = pte;
		res->pte_addr[res->nr_levels] = gpa;
		res->nr_levels++;

		if (!(pte & PTE_P))
			return fault(w, res, WF_NOT_PRESENT, (int)lvl, pfec, stage, addr);
		ps = pw_is_ps(lvl, pte);
		if (pte & w->rsvd[lvl - 1][ps])
			return fault(w, res, WF_RSVD, (int)lvl, pfec, stage, addr);
		acc &= pw_entry_rights(w, lvl, pte);
		if (lvl == 1 || (ps && (w->large_leaf_levels & (1u << (lvl - 1)))))
			break;
		table = pw_next_table(w, pte);
	}

	if (permission_fault(w, pfec, acc)) {
		res->access = acc; /* the rights that were denied */
		return fault(w, res, WF_PERM, 0, pfec, stage, addr);
	}

	switch (set_accessed_dirty(w, mem, res, top, pfec & PFERR_WRITE)) {
	case 0:
		break;
	case -NV_EAGAIN:
		if (retries++ < WALK_MAX_RETRIES)
			goto retry;
		res->raced = true;
		return false;
	default:
		res->gmem_error = true;
		return false;
	}

	res->out = leaf_output(w, lvl, pte, addr);
	res->page_shift = pw_level_shift(w, lvl);
	res->access = acc;
	return true;
}
