/* SPDX-License-Identifier: MIT */
/*
 * A deliberately naive reference model of one 4-level AMD nested-paging
 * (NPT) walk: permission checks, #NPF EXITINFO1 and effective rights.
 *
 * It is written straight from docs/semantics.md (§5 rules and decision
 * table, §5.2 US bit, §6 has_pferr_fetch, §7.1 #NPF format, §9 reference
 * algorithm) and shares no code or table with mm/.  It
 * exists only to be compared case by case with the production walker.
 *
 * Inputs are plain booleans: no page tables, no role, no permission bitmap.
 */
#ifndef NV_TESTS_NPT_REFERENCE_H
#define NV_TESTS_NPT_REFERENCE_H

#include <stdbool.h>
#include <stdint.h>

#define NPT_REF_LEVELS 4 /* entries[0] = PML4E ... entries[3] = PTE (4 KiB) */

/* The kind of access that makes the CPU walk L1's NPT. */
enum npt_ref_access {
	NPT_REF_READ,  /* final-stage data read */
	NPT_REF_WRITE, /* final-stage data write */
	NPT_REF_FETCH, /* final-stage instruction fetch */
	NPT_REF_PT,    /* the CPU's own access to an L2 page-table entry
			* (GUEST_PAGE stage) */
};

/* One NPT entry as the walk sees it. */
struct npt_ref_entry {
	bool p;    /* bit 0 */
	bool w;    /* bit 1 */
	bool u;    /* bit 2 */
	bool nx;   /* bit 63 */
	bool rsvd; /* some reserved bit other than NX is set */
};

/* L1's state at VMRUN and vmcb12's GMET enable. */
struct npt_ref_host {
	bool gmet;    /* vmcb12 offset 0x90 bit 3 */
	bool efer_nx; /* L1 EFER.NXE */
	bool cr4_smep;/* L1 CR4.SMEP */
	bool cr0_wp;  /* L1 CR0.WP: an input only to show it is ignored */
};

struct npt_ref_result {
	bool fault;
	uint64_t exitinfo1;   /* #NPF EXITINFO1 when fault */
	/* The entry that faulted, in walk.h numbering: 4 = PML4E ... 1 = PTE;
	 * 0 = a permission fault on the final rights. */
	int fault_level;
	/* Effective rights when !fault. */
	bool eff_w; /* W=1 at every level */
	bool eff_u; /* U=1 at every level */
	bool eff_x; /* NX=0 at every level */
};

/*
 * Evaluate one walk.  cpl is the guest CPL of the access (0 or 3); it is
 * ignored for NPT_REF_PT.
 */
struct npt_ref_result npt_reference(const struct npt_ref_entry e[NPT_REF_LEVELS],
				    enum npt_ref_access access, unsigned cpl,
				    const struct npt_ref_host *host);

#endif
