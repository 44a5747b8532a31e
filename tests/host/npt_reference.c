// SPDX-License-Identifier: MIT
/*
 * Naive reference model of one AMD NPT walk (see npt_reference.h).
 *
 * The algorithm, spelled out rule by rule from docs/semantics.md:
 *  1. Walk the four entries from the PML4E down.  At each entry, in order:
 *     not present -> not-present fault (P=0), the walk stops (§5.1 row 1);
 *     a reserved bit, or NX while L1's EFER.NXE=0 -> reserved-bit fault
 *     (P=1, RSVD=1) (§5 format rules, §5.1 rows 2 and 8).
 *  2. Effective rights: W = AND of W, U = AND of U, X = NOT (OR of NX) (§4.1).
 *  3. Permission checks on the effective rights (§5.1, §9 step 3):
 *     a page-table access is a user write, never a fetch (§4.4, row 5);
 *     a write with W=0 faults whatever the CPL (CR0.WP treated as 1, L1's
 *     CR0.WP is ignored) (rows 4, 5, 12);
 *     without GMET every access is a user access, so U=0 faults (rows 3-6);
 *     with GMET, U is ignored for data accesses (rows 9-11), and a
 *     supervisor (CPL<3) fetch from a page with U=1 faults (row 13);
 *     a fetch from an NX page faults (row 7; NX only counts with NXE,
 *     otherwise step 1 already faulted).
 *  4. EXITINFO1 (§7.1): P (0 for not present, 1 otherwise) | RSVD | RW |
 *     US | ID | stage bit.  RW = the access is a write (page-table access:
 *     1).  US (§5.2) = 1 without GMET, CPL==3 with GMET at the final stage,
 *     1 for a page-table access.  ID (§6.1) iff a final-stage fetch and
 *     (L1 EFER.NXE or L1 CR4.SMEP).  Stage: bit 32 final, bit 33 page table.
 *
 * No permission bitmap on purpose: each rule is its own if-statement.
 */
#include "npt_reference.h"

/* #NPF EXITINFO1 bits, AMD APM Vol. 2 §15.25.6 (semantics §7.1); defined
 * again on purpose, so that the model shares nothing with mm/pferr.h. */
#define REF_EI1_P     (1ull << 0)
#define REF_EI1_RW    (1ull << 1)
#define REF_EI1_US    (1ull << 2)
#define REF_EI1_RSVD  (1ull << 3)
#define REF_EI1_ID    (1ull << 4)
#define REF_EI1_FINAL (1ull << 32)
#define REF_EI1_PAGE  (1ull << 33)

/* The bits of EXITINFO1 that describe the access, whatever the fault. */
static uint64_t access_bits(enum npt_ref_access access, unsigned cpl,
			    const struct npt_ref_host *host)
{
	uint64_t ei1 = 0;

	/* RW: the access is a write; a page-table access always is. */
	if (access == NPT_REF_WRITE)
		ei1 |= REF_EI1_RW;
	if (access == NPT_REF_PT)
		ei1 |= REF_EI1_RW;

	/* US, §5.2. */
	if (access == NPT_REF_PT) {
		ei1 |= REF_EI1_US;
	} else if (!host->gmet) {
		ei1 |= REF_EI1_US;
	} else if (cpl == 3) {
		ei1 |= REF_EI1_US;
	}

	/* ID, §6.1: fetch only, final stage only, L1 NXE or L1 SMEP. */
	if (access == NPT_REF_FETCH) {
		if (host->efer_nx || host->cr4_smep)
			ei1 |= REF_EI1_ID;
	}

	/* Stage, §7.1. */
	if (access == NPT_REF_PT)
		ei1 |= REF_EI1_PAGE;
	else
		ei1 |= REF_EI1_FINAL;

	return ei1;
}

static struct npt_ref_result fault(uint64_t kind_bits, int level,
				   enum npt_ref_access access, unsigned cpl,
				   const struct npt_ref_host *host)
{
	struct npt_ref_result r = { 0 };

	r.fault = true;
	r.fault_level = level;
	r.exitinfo1 = kind_bits | access_bits(access, cpl, host);
	return r;
}

struct npt_ref_result npt_reference(const struct npt_ref_entry e[NPT_REF_LEVELS],
				    enum npt_ref_access access, unsigned cpl,
				    const struct npt_ref_host *host)
{
	struct npt_ref_result r = { 0 };
	bool all_w = true, all_u = true, any_nx = false;

	/* L1's CR0.WP plays no part anywhere below: WP is treated as 1. */

	/* Step 1: present and reserved bits, from the root down.
	 * e[0] is the PML4E, walk.h level 4; e[3] the PTE, level 1. */
	for (int i = 0; i < NPT_REF_LEVELS; i++) {
		int level = NPT_REF_LEVELS - i;

		if (!e[i].p)
			return fault(0, level, access, cpl, host);
		if (e[i].rsvd)
			return fault(REF_EI1_P | REF_EI1_RSVD, level, access,
				     cpl, host);
		if (e[i].nx && !host->efer_nx)
			return fault(REF_EI1_P | REF_EI1_RSVD, level, access,
				     cpl, host);

		/* Step 2: accumulate. */
		if (!e[i].w)
			all_w = false;
		if (!e[i].u)
			all_u = false;
		if (e[i].nx)
			any_nx = true;
	}

	/* Step 3: permissions on the effective rights. */
	bool is_write = access == NPT_REF_WRITE || access == NPT_REF_PT;
	bool is_fetch = access == NPT_REF_FETCH;

	/* Write to a page that is not writable: any CPL, any GMET. */
	if (is_write && !all_w)
		return fault(REF_EI1_P, 0, access, cpl, host);

	/* Without GMET every access (page-table accesses too) is a user
	 * access: U=0 faults for reads, writes and fetches alike. */
	if (!host->gmet && !all_u)
		return fault(REF_EI1_P, 0, access, cpl, host);

	/* With GMET, U is ignored for data accesses and for page-table
	 * accesses: nothing to check for them here. */

	/* NX, honoured only with L1 EFER.NXE (else step 1 faulted). */
	if (is_fetch && any_nx && host->efer_nx)
		return fault(REF_EI1_P, 0, access, cpl, host);

	/* GMET: a supervisor fetch from a user page faults. */
	if (host->gmet && is_fetch && cpl != 3 && all_u)
		return fault(REF_EI1_P, 0, access, cpl, host);

	r.fault = false;
	r.eff_w = all_w;
	r.eff_u = all_u;
	r.eff_x = !any_nx;
	return r;
}
