// SPDX-License-Identifier: MIT
/*
 * pagewalk_init(): turn a cpu_role into what the walker consults at run time
 * (docs/semantics.md §4.2 and §9).
 *
 * 1. The permission table.  permissions[pfec >> 1] is indexed by the access
 *    (bit 0 W, bit 1 U, bit 2 the RSVD slot = "SMAP overridden", bit 3 F)
 *    and holds one bit per combination of effective rights (ACC_*, 16
 *    combinations): set = that access faults on such a page.  Each bit is
 *    computed once here from permission_rules(); the walker only looks up.
 *    The rules (a fault if any holds):
 *      read : neither W nor F, and no ACC_READ;
 *      write: W and no ACC_WRITE, except supervisor writes when CR0.WP=0;
 *      user : U and no ACC_USER -- dropped for tdp walks with GMET
 *             (base.cr4_smep on a tdp walk), where U only restricts fetches;
 *      nx   : F and no ACC_EXEC, when EFER.NXE;
 *      smep : F, not U, and ACC_USER, when base.cr4_smep (SMEP, or GMET on a
 *             tdp walk: a supervisor fetch from a U=1 page);
 *      smap : not U, not F, not overridden, ACC_USER, when CR4.SMAP.
 *    NPT walks pass U=1 for every access unless GMET is on (walk.c), which
 *    is what makes U=0 NPT pages fault for any access without GMET.
 *
 * 2. The reserved-bit masks, rsvd[level-1][PS], for the format the role
 *    selects.  Every choice the sources leave open is made in
 *    format_choices below and explained in docs/mmu.md §4 and
 *    docs/semantics.md §11.
 */
#include "mm/pte.h"
#include "mm/walk.h"

unsigned permission_rules(const struct pagewalk *w, uint32_t pfec, unsigned acc)
{
	const union mmu_page_role b = w->role.base;
	bool wr = pfec & PFERR_WRITE, user = pfec & PFERR_USER;
	bool fetch = pfec & PFERR_FETCH, smap_off = pfec & PFERR_RSVD;
	unsigned rules = 0;

	if (!wr && !fetch && !(acc & ACC_READ))
		rules |= PERM_RULE_READ;
	if (wr && !(acc & ACC_WRITE) && (user || b.cr0_wp))
		rules |= PERM_RULE_WRITE;
	if (user && !(acc & ACC_USER) && !(w->tdp && b.cr4_smep))
		rules |= PERM_RULE_USER;
	if (b.efer_nx && fetch && !(acc & ACC_EXEC))
		rules |= PERM_RULE_NX;
	if (b.cr4_smep && fetch && !user && (acc & ACC_USER))
		rules |= PERM_RULE_SMEP;
	if (w->role.ext.cr4_smap && !user && !fetch && !smap_off &&
	    (acc & ACC_USER))
		rules |= PERM_RULE_SMAP;
	return rules;
}

bool permission_fault(const struct pagewalk *w, uint32_t pfec, unsigned acc)
{
	return (w->permissions[(pfec >> 1) & 15] >> (acc & 15)) & 1;
}

static void build_permissions(struct pagewalk *w)
{
	for (unsigned idx = 0; idx < 16; idx++) {
		uint16_t mask = 0;

		for (unsigned acc = 0; acc < 16; acc++)
			if (permission_rules(w, idx << 1, acc))
				mask |= (uint16_t)(1u << acc);
		w->permissions[idx] = mask;
	}
}

/*
 * format_choices: the reserved bits of every entry format.
 *  - MAXPHYADDR is clamped to [32, 52]; bits MAXPHYADDR..51 are reserved in
 *    64-bit entries (long mode); in PAE entries bits MAXPHYADDR..62 (APM:
 *    legacy PAE entries have bits 62:52 MBZ).
 *  - NX (bit 63) is reserved when !EFER.NXE.
 *  - PML5E/PML4E: PS reserved, and on AMD bit 8 reserved (docs/semantics.md
 *    §5, format rules).
 *  - PDPTE (4/5-level): PS reserved without 1 GiB pages; a 1 GiB leaf has
 *    bits 29:13 reserved.  PDE: a 2 MiB leaf has bits 20:13 reserved.
 *  - PAE 3-level PDPTE: the legacy PDPTE format (bits 2:1, 8:5 and
 *    MAXPHYADDR..63 reserved, no rights, no A bit), for ordinary paging and
 *    for a 3-level NPT alike.  The walker reads it from memory on every
 *    walk (it is not cached at CR3/VMRUN time here; see docs/mmu.md).
 *  - 2-level: no reserved bits in 4 KiB PTEs or table PDEs.  With CR4.PSE a
 *    PDE with PS=1 is a 4 MiB page: bit 21 reserved, bits 20:13 hold PA
 *    39:32 (PSE-40) and those above MAXPHYADDR are reserved.  Without
 *    CR4.PSE the PS bit is ignored and the PDE points to a table.
 */
static void build_rsvd(struct pagewalk *w)
{
	const union cpu_role r = w->role;
	unsigned mp = w->cpu.maxphyaddr;
	uint64_t nx = r.base.efer_nx ? 0 : PTE_NX;
	uint64_t high, top;

	if (mp < 32)
		mp = 32;
	if (mp > 52)
		mp = 52;
	for (unsigned l = 0; l < WALK_MAX_LEVELS; l++)
		w->rsvd[l][0] = w->rsvd[l][1] = 0;
	w->large_leaf_levels = 0;

	switch (r.base.level) {
	case 2: {
		unsigned hi_mp = mp < PSE40_MAXPHYADDR ? mp : PSE40_MAXPHYADDR;

		if (r.ext.cr4_pse) {
			w->rsvd[1][1] = PDE32_4M_RSVD21 |
					pte_bits(20, PDE32_4M_HI_SHIFT + hi_mp - 32);
			w->large_leaf_levels = 1u << 1;
		}
		break;
	}
	case 3:
		high = pte_bits(62, mp) | nx;
		w->rsvd[2][0] = w->rsvd[2][1] =
			pte_bits(63, mp) | pte_bits(8, 5) | pte_bits(2, 1);
		w->rsvd[1][0] = high;
		w->rsvd[1][1] = high | pte_bits(20, 13);
		w->rsvd[0][0] = w->rsvd[0][1] = high;
		w->large_leaf_levels = 1u << 1;
		break;
	case 5:
	case 4:
		high = pte_bits(51, mp) | nx;
		top = high | PTE_PS | PTE_G;
		w->rsvd[4][0] = w->rsvd[4][1] = top;
		w->rsvd[3][0] = w->rsvd[3][1] = top;
		w->rsvd[2][0] = high;
		w->rsvd[2][1] = high | pte_bits(29, 13) |
				(w->cpu.gbpages ? 0 : PTE_PS);
		w->rsvd[1][0] = high;
		w->rsvd[1][1] = high | pte_bits(20, 13);
		w->rsvd[0][0] = w->rsvd[0][1] = high;
		w->large_leaf_levels = (1u << 1) | (w->cpu.gbpages ? 1u << 2 : 0);
		break;
	default: /* paging off: nothing is walked */
		break;
	}
}

void pagewalk_init(struct pagewalk *w, union cpu_role role, bool tdp,
		   const struct mm_cpu *cpu)
{
	w->role = role;
	w->tdp = tdp;
	w->cpu = *cpu;
	build_rsvd(w);
	build_permissions(w);
}
