/* SPDX-License-Identifier: MIT */
/*
 * cpu_role and root_role, modelled on KVM's union kvm_mmu_page_role,
 * union kvm_mmu_extended_role and union kvm_cpu_role.
 *
 * A cpu_role describes the paging structures nestvisor walks in software:
 *  - an ordinary guest's page tables (gva -> gpa), computed from the
 *    guest's CR0/CR4/EFER by cpu_role_from_regs();
 *  - L1's nested page tables (L2 gpa "ngpa" -> L1 gpa), computed from L1's
 *    CR4/EFER at VMRUN plus vmcb12's GMET enable by cpu_role_shadow_npt().
 * A root_role (a page role) describes the shadow tables nestvisor builds.
 *
 * Field by field, ordinary paging against shadow NPT: see docs/mmu.md §1.1
 * and docs/semantics.md §3.
 */
#ifndef NV_MM_ROLE_H
#define NV_MM_ROLE_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/x86_regs.h"

/* Access rights accumulated over a walk (effective rights). */
#define ACC_READ  (1u << 0) /* present */
#define ACC_WRITE (1u << 1) /* W=1 at every level */
#define ACC_USER  (1u << 2) /* U=1 at every level */
#define ACC_EXEC  (1u << 3) /* NX=0 at every level */
#define ACC_ALL   (ACC_READ | ACC_WRITE | ACC_USER | ACC_EXEC)

union mmu_page_role {
	uint32_t word;
	struct {
		/* 0: paging off; 2: 32-bit; 3: PAE; 4/5: long mode (LA57).
		 * Shadow NPT: the depth of L1's NPT, from L1's EFER.LMA,
		 * CR4.PAE and CR4.LA57. */
		uint32_t level : 4;
		/* 32-bit entries: !CR4.PAE (shadow NPT: !L1 CR4.PAE). */
		uint32_t has_4_byte_gpte : 1;
		/* Shadow pages of 4-byte gptes only; 0 in a cpu_role. */
		uint32_t quadrant : 2;
		/* CR0.PG=0: no tables to walk.  Never set for shadow NPT. */
		uint32_t direct : 1;
		/* ACC_ALL in a cpu_role; in a shadow page, the rights
		 * accumulated from its parents. */
		uint32_t access : 4;
		/* Bookkeeping of shadow pages only. */
		uint32_t invalid : 1;
		/* EFER.NXE: NX honoured, else bit 63 reserved (shadow NPT:
		 * L1's EFER.NXE). */
		uint32_t efer_nx : 1;
		/* CR0.WP (shadow NPT: forced to 1, L1's CR0 is ignored). */
		uint32_t cr0_wp : 1;
		/* CR4.SMAP && !CR0.WP (shadow NPT: 0). */
		uint32_t smap_andnot_wp : 1;
		/* A/D bits disabled (EPT only; 0 here). */
		uint32_t ad_disabled : 1;
		/* Walking for L2 (shadow NPT: 1). */
		uint32_t guest_mode : 1;
		/* Root only: a shadow root with more levels than the guest's
		 * tables. */
		uint32_t passthrough : 1;
		/* TDX in KVM; always 0 here. */
		uint32_t is_mirror : 1;
		/* Ordinary paging: CR4.SMEP.  Shadow NPT: the GMET enable
		 * (vmcb12 offset 0x90 bit 3), NOT L1's CR4.SMEP. */
		uint32_t cr4_smep : 1;
		uint32_t smm : 8;
	};
};

union mmu_ext_role {
	uint32_t word;
	struct {
		uint32_t valid : 1;       /* set whenever a role is computed */
		uint32_t execonly : 1;    /* EPT only; 0 */
		uint32_t cr4_pse : 1;     /* CR4.PSE (4 MiB pages, 2-level) */
		uint32_t cr4_pke : 1;     /* CR4.PKE && LMA (shadow NPT: 0) */
		uint32_t cr4_smap : 1;    /* CR4.SMAP (shadow NPT: 0) */
		uint32_t cr4_la57 : 1;    /* CR4.LA57 && LMA */
		uint32_t efer_lma : 1;    /* EFER.LMA */
		/* I/D bit available in error codes: EFER.NXE || CR4.SMEP.
		 * Shadow NPT: L1's NXE || L1's *real* CR4.SMEP, computed
		 * before base.cr4_smep becomes GMET. */
		uint32_t has_pferr_fetch : 1;
		uint32_t unused : 24;
	};
};

union cpu_role {
	uint64_t as_u64;
	struct {
		union mmu_page_role base;
		union mmu_ext_role ext;
	};
};

_Static_assert(sizeof(union mmu_page_role) == 4, "page role is 32 bits");
_Static_assert(sizeof(union mmu_ext_role) == 4, "ext role is 32 bits");
_Static_assert(sizeof(union cpu_role) == 8, "cpu_role is 64 bits");

struct paging_regs {
	uint64_t cr0, cr4, efer;
	bool guest_mode; /* the walk is on behalf of L2 */
};

/* The role of ordinary guest paging (KVM: kvm_calc_cpu_role). */
union cpu_role cpu_role_from_regs(const struct paging_regs *regs);

/*
 * The role for walking L1's NPT (KVM: kvm_init_shadow_npt_mmu), from L1's
 * CR4 and EFER as they were at VMRUN and vmcb12's GMET enable (already
 * masked by what nestvisor offers).  In this order: has_pferr_fetch from
 * L1's NXE || SMEP, then base.cr4_smep := gmet, cr0_wp := 1, SMAP and PKE
 * cleared, guest_mode := 1.
 */
union cpu_role cpu_role_shadow_npt(uint64_t l1_cr4, uint64_t l1_efer, bool gmet);

/*
 * The root role of the shadow tables nestvisor builds for that walk: the
 * base role with L0's NPT depth (and passthrough when L0 has more levels
 * than L1's NPT).  cr4_smep (GMET) stays in it, so GMET and non-GMET shadow
 * pages are never shared.
 */
union mmu_page_role root_role_shadow_npt(union cpu_role role, unsigned l0_levels);

#endif
