// SPDX-License-Identifier: MIT
/*
 * cpu_role / root_role computation (docs/semantics.md §3).
 *
 * cpu_role_from_regs() describes ordinary paging from CR0/CR4/EFER.
 * cpu_role_shadow_npt() describes L1's nested page tables: it runs the same
 * computation on synthetic registers (CR0 = PG|WP, CR4 without SMAP/PKE,
 * L1's EFER), so has_pferr_fetch comes out as L1 NXE | L1's real SMEP, and
 * only afterwards reuses base.cr4_smep for the GMET enable.
 */
#include "mm/role.h"

static bool has(uint64_t reg, uint64_t bit)
{
	return (reg & bit) != 0;
}

union cpu_role cpu_role_from_regs(const struct paging_regs *regs)
{
	union cpu_role role;
	bool lma = has(regs->efer, X86_EFER_LMA);

	role.as_u64 = 0;
	role.base.access = ACC_ALL;
	role.base.guest_mode = regs->guest_mode;
	role.ext.valid = 1;

	/* Paging off: nothing to walk; NX, SMEP and I/D stay 0. */
	if (!has(regs->cr0, X86_CR0_PG)) {
		role.base.direct = 1;
		return role;
	}

	role.base.efer_nx = has(regs->efer, X86_EFER_NXE);
	role.base.cr0_wp = has(regs->cr0, X86_CR0_WP);
	role.base.cr4_smep = has(regs->cr4, X86_CR4_SMEP);
	role.base.smap_andnot_wp = has(regs->cr4, X86_CR4_SMAP) &&
				   !has(regs->cr0, X86_CR0_WP);
	/* Long mode has 8-byte entries only.  LMA without PAE is no mode a
	 * CPU runs in, but VMRUN does not check LMA (docs/semantics.md §8.3):
	 * such a state is walked as long mode, never as 4 levels of 4-byte
	 * entries (which would give 4 GiB "pages"). */
	role.base.has_4_byte_gpte = !lma && !has(regs->cr4, X86_CR4_PAE);

	if (lma)
		role.base.level = has(regs->cr4, X86_CR4_LA57) ? 5 : 4;
	else if (has(regs->cr4, X86_CR4_PAE))
		role.base.level = 3;
	else
		role.base.level = 2;

	role.ext.cr4_smap = has(regs->cr4, X86_CR4_SMAP);
	role.ext.cr4_pse = has(regs->cr4, X86_CR4_PSE);
	role.ext.cr4_pke = lma && has(regs->cr4, X86_CR4_PKE);
	role.ext.cr4_la57 = lma && has(regs->cr4, X86_CR4_LA57);
	role.ext.efer_lma = lma;

	role.ext.has_pferr_fetch = role.base.efer_nx | role.base.cr4_smep;
	return role;
}

union cpu_role cpu_role_shadow_npt(uint64_t l1_cr4, uint64_t l1_efer, bool gmet)
{
	struct paging_regs regs = {
		/* L1's CR0 does not shape the NPT format: PG is implied and
		 * WP is treated as 1 (docs/semantics.md §3.3). */
		.cr0 = X86_CR0_PG | X86_CR0_WP,
		/* No protection keys and no SMAP on nested page tables. */
		.cr4 = l1_cr4 & ~(X86_CR4_PKE | X86_CR4_SMAP),
		.efer = l1_efer,
		.guest_mode = true,
	};
	union cpu_role role = cpu_role_from_regs(&regs);

	/* has_pferr_fetch already holds L1's NXE | real SMEP; from here on
	 * the base bit means GMET (docs/semantics.md §6.2). */
	role.base.cr4_smep = gmet;
	return role;
}

union mmu_page_role root_role_shadow_npt(union cpu_role role, unsigned l0_levels)
{
	union mmu_page_role root = role.base;

	root.passthrough = l0_levels > role.base.level;
	root.level = l0_levels;
	return root;
}
