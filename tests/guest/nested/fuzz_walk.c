// SPDX-License-Identifier: MIT
/*
 * The fuzz mode's walker of a 4-level nested page table: what the CPU does
 * for one access of L2 through L1's NPT, as the AMD APM and
 * docs/semantics.md state it.  It is the oracle of fuzz_npt.c and shares
 * no code with nestvisor (mm/walk.c and mm/perm.c model the same thing
 * for nestvisor itself).
 *
 * Algorithm (docs/semantics.md §9, steps 1-4):
 *  1. The access as checked: at the page-table stage a user write, never a
 *     fetch (APM Vol. 2 §15.25.5); at the final stage the access's write
 *     and fetch, as a user access without GMET, and with GMET user only
 *     at CPL 3 (§5.2).
 *  2. From nCR3's table, level 4 down: read the entry (a table the
 *     oracle cannot read makes the outcome unknown); P clear: not present;
 *     a reserved bit: reserved-bit fault (§5 format rules, listed at
 *     rsvd_mask()); else AND W and U, OR NX into the effective rights; stop
 *     at a PTE, or at PS set in a PDPE (1 GiB) or PDE (2 MiB).
 *  3. Permissions on the effective rights (§4.2, §5.1): a write without W;
 *     without GMET any access without U; a fetch with NX (NXE on); with
 *     GMET a fetch at CPL 0-2 from a page with U.
 *  4. EXITINFO1: P (clear only when not present), RW for a write and for
 *     every page-table access, US as step 1 says, RSVD, ID for a
 *     final-stage fetch when L1 has EFER.NXE or CR4.SMEP (§6.1), and the
 *     stage bit (§7.1).
 * With tcg set the error code is what QEMU 7.2 TCG reports instead
 * (docs/semantics.md §10.2): P clear with RSVD, and ID only with NXE.
 */
#include "fuzz_walk.h"

/* Reserved (must-be-zero) bits of a present entry at `level` (4: PML4E
 * .. 1: PTE) with PS as given, APM Vol. 2 §5.3.3 Figures 5-18 to 5-25:
 *  - every level: address bits 51:MAXPHYADDR; NX (bit 63) when
 *    EFER.NXE is clear (§5.4.1 "No Execute");
 *  - PML4E: bits 8:7 (MBZ; bit 8 per docs/semantics.md §5, see
 *    pml4_bit8_rsvd);
 *  - PDPE with PS: PS itself when 1 GiB pages are not supported, else the
 *    1 GiB leaf's bits 29:13;
 *  - PDE with PS: the 2 MiB leaf's bits 20:13;
 *  - PTE: nothing more (bit 7 is PAT).
 * Bits 62:52 are available to software in long mode. */
static uint64_t rsvd_mask(const struct fw_ctx *c, unsigned level, int ps)
{
	uint64_t m = ((1ull << 52) - 1) & ~((1ull << c->maxphy) - 1);

	if (!c->nxe)
		m |= FW_NX;
	switch (level) {
	case 4:
		m |= FW_PS;
		if (c->pml4_bit8_rsvd)
			m |= FW_G;
		break;
	case 3:
		if (ps)
			m |= c->gbpages ? ((1ull << 30) - 1) & ~((1ull << 13) - 1) : FW_PS;
		break;
	case 2:
		if (ps)
			m |= ((1ull << 21) - 1) & ~((1ull << 13) - 1);
		break;
	default:
		break;
	}
	return m;
}

static void finish_fault(const struct fw_ctx *c, enum fw_access acc,
			 int pt_stage, enum fw_fault f, unsigned level,
			 const char *why, struct fw_result *r)
{
	int write = pt_stage || acc == FW_WRITE;
	int fetch = !pt_stage && acc == FW_FETCH;
	int user = pt_stage || !c->gmet || c->cpl == 3;
	uint64_t e = 0;

	if (f != FW_NOT_PRESENT)
		e |= FW_EC_P;
	if (write)
		e |= FW_EC_RW;
	if (user)
		e |= FW_EC_US;
	if (f == FW_RESERVED)
		e |= FW_EC_RSVD;
	if (fetch && (c->nxe || (c->smep && !c->tcg)))
		e |= FW_EC_ID;
	if (c->tcg && f == FW_RESERVED)
		e &= ~FW_EC_P;
	e |= pt_stage ? FW_EC_PT : FW_EC_FINAL;
	r->kind = FW_FAULT;
	r->fault = f;
	r->level = level;
	r->info1 = e;
	r->why = why;
}

void fw_walk(const struct fw_ctx *c, uint64_t root_pa, uint64_t gpa,
	     enum fw_access acc, int pt_stage, struct fw_result *r)
{
	uint64_t table = root_pa & ((1ull << 52) - 1) & ~0xfffull;
	int w = 1, u = 1, nx = 0;
	int write = pt_stage || acc == FW_WRITE;
	int fetch = !pt_stage && acc == FW_FETCH;
	int user = pt_stage || !c->gmet || c->cpl == 3;

	r->n_entries = 0;
	r->why = "";
	for (unsigned level = 4; level >= 1; level--) {
		unsigned idx = (gpa >> (12 + 9 * (level - 1))) & 511;
		uint64_t epa = table + 8ull * idx, e;
		int ps;

		if (!c->readable(table)) {
			r->kind = FW_UNKNOWN;
			r->why = "a table the oracle cannot read";
			return;
		}
		e = *(volatile const uint64_t *)(uintptr_t)epa;
		r->entry_pa[r->n_entries++] = epa;
		if (!(e & FW_P)) {
			finish_fault(c, acc, pt_stage, FW_NOT_PRESENT, level,
				     "not present", r);
			return;
		}
		ps = (level == 3 || level == 2) && (e & FW_PS);
		/* Bit 8 of a PDPE that points to a page directory: reserved
		 * in one reading of the APM (KVM's 2014 change), ignored in
		 * another (KVM today, nestvisor's docs/mmu.md §3.2). */
		if (level == 3 && !ps && (e & FW_G)) {
			r->kind = FW_UNKNOWN;
			r->why = "bit 8 of a non-leaf PDPE";
			return;
		}
		if (e & rsvd_mask(c, level, ps)) {
			finish_fault(c, acc, pt_stage, FW_RESERVED, level,
				     "reserved bit", r);
			return;
		}
		w &= !!(e & FW_RW);
		u &= !!(e & FW_US);
		nx |= c->nxe && (e & FW_NX);
		if (level == 1 || ps) {
			uint64_t size = 1ull << (12 + 9 * (level - 1));
			uint64_t base = e & ((1ull << 52) - 1) & ~(size - 1);

			r->level = level;
			r->hpa = base | (gpa & (size - 1));
			break;
		}
		table = e & ((1ull << 52) - 1) & ~0xfffull;
	}
	if ((write && !w) || (user && !c->gmet && !u) || (fetch && nx) ||
	    (fetch && c->gmet && c->cpl != 3 && u)) {
		finish_fault(c, acc, pt_stage, FW_PERMISSION, 0,
			     !w && write ? "not writable" :
			     fetch && nx ? "NX" :
			     c->gmet && fetch && u ? "GMET" : "not user", r);
		return;
	}
	r->kind = FW_OK;
}
