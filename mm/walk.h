/* SPDX-License-Identifier: MIT */
/*
 * The page-table walker: one walker for every format a cpu_role selects
 * (2-level 32-bit, 3-level PAE, 4- and 5-level long mode), used both for
 * ordinary guest paging (gva -> gpa, "#PF semantics") and for L1's nested
 * page tables (ngpa -> gpa, "#NPF semantics", tdp=true).
 *
 * A walk either translates, giving the output address, the page size and the
 * effective rights, or faults, giving the exact error code the CPU would
 * report (for NPT: #NPF EXITINFO1 including bit 32/33) and the address
 * (EXITINFO2).  Accessed and dirty bits are set through gmem exactly where
 * hardware would set them.
 */
#ifndef NV_MM_WALK_H
#define NV_MM_WALK_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gmem.h"
#include "mm/pferr.h"
#include "mm/role.h"

#define WALK_MAX_LEVELS 5

/* CPU properties that shape the walk but are not part of the role. */
struct mm_cpu {
	unsigned maxphyaddr; /* CPUID 0x80000008 EAX[7:0] */
	bool gbpages;        /* CPUID 0x80000001 EDX[26]: 1 GiB pages */
};

/*
 * A role made ready to walk with: reserved-bit masks per level and the
 * permission table (KVM: struct kvm_pagewalk + struct kvm_page_format).
 */
struct pagewalk {
	union cpu_role role;
	bool tdp;                /* walking nested page tables (#NPF rules) */
	struct mm_cpu cpu;
	/* rsvd[level-1][0]: entry that points to a table (or any entry at a
	 * level where PS is not allowed); [1]: entry with PS=1 (large leaf). */
	uint64_t rsvd[WALK_MAX_LEVELS][2];
	/* permissions[pfec >> 1]: bit n set = an access with these W/U/F
	 * bits faults on a page whose effective rights are n (ACC_*). */
	uint16_t permissions[16];
	/* Bit n-1 set = at level n an entry with PS=1 maps a page.
	 * (Where PS=1 is not allowed the rsvd masks already fault it; in
	 * 2-level paging without CR4.PSE the bit is ignored.) */
	uint8_t large_leaf_levels;
};

void pagewalk_init(struct pagewalk *w, union cpu_role role, bool tdp,
		   const struct mm_cpu *cpu);

/* Does an access (PFERR_WRITE/USER/FETCH bits) fault on rights acc? */
bool permission_fault(const struct pagewalk *w, uint32_t pfec, unsigned acc);

/*
 * Ordinary (non-tdp) walks only: PFERR_RSVD in the access given to
 * walk() or permission_fault() means "SMAP checks are overridden" (an
 * explicit supervisor access with EFLAGS.AC=1); it is the table's RSVD
 * slot and never appears in a resulting error code.
 */
#define WALK_SMAP_OVERRIDE PFERR_RSVD

/*
 * The rules an access breaks, as a bit set (explanations, and the
 * source the permissions[] table is built from; the walk itself only does
 * the table lookup).  PERM_RULE_SMEP means GMET on a tdp walk.
 */
#define PERM_RULE_READ  (1u << 0) /* read of a page without ACC_READ */
#define PERM_RULE_WRITE (1u << 1) /* write to a page without ACC_WRITE */
#define PERM_RULE_USER  (1u << 2) /* user access to a page without ACC_USER */
#define PERM_RULE_NX    (1u << 3) /* fetch from a page without ACC_EXEC */
#define PERM_RULE_SMEP  (1u << 4) /* supervisor fetch from a user page */
#define PERM_RULE_SMAP  (1u << 5) /* supervisor data access to a user page */
unsigned permission_rules(const struct pagewalk *w, uint32_t pfec, unsigned acc);

struct walk_result {
	bool fault;
	/* success */
	uint64_t out;        /* translated address, page offset included */
	unsigned page_shift; /* 12, 21, 22 or 30 */
	unsigned access;     /* effective rights, ACC_*; also set on a
			      * permission fault (fault_level 0) */
	/* fault */
	uint64_t error_code; /* #PF error code, or #NPF EXITINFO1 */
	uint64_t fault_addr; /* CR2, or #NPF EXITINFO2 */
	int fault_level;     /* level of the entry that faulted; 0 = permission */
	/* trace, for tools and tests: the entries read, root level first */
	unsigned nr_levels;
	uint64_t pte[WALK_MAX_LEVELS];
	uint64_t pte_addr[WALK_MAX_LEVELS];
	bool gmem_error;     /* gmem could not reach a table: not a CPU fault */
	/* Gave up: WALK_MAX_RETRIES lost cmpxchgs in a row (the tables keep
	 * changing under the walk, another CPU at work).  Not a CPU fault;
	 * the caller retries later. */
	bool raced;
};

/* Walks again after a lost A/D cmpxchg at most this many times. */
#define WALK_MAX_RETRIES 16

/*
 * Walk the tables rooted at root (CR3 or nCR3) for addr.
 * access: PFERR_WRITE | PFERR_USER | PFERR_FETCH as the access is, plus, for
 * an NPT walk, PFERR_GUEST_FINAL or PFERR_GUEST_PAGE (the stage; a
 * GUEST_PAGE access is walked as a user write, never a fetch).
 * Under NPT without GMET every access is a user access whatever PFERR_USER
 * says; with GMET, PFERR_USER is the CPL-3 nature of the access.
 * Returns true when the address translates.
 */
bool walk(const struct pagewalk *w, const struct gmem *mem, uint64_t root,
	  uint64_t addr, uint64_t access, struct walk_result *res);

/*
 * The access walk() checks permissions with (the table index <<
 * 1): ordinary walks keep W/U/F (and WALK_SMAP_OVERRIDE); NPT walks at the
 * GUEST_PAGE stage are user writes; final-stage NPT walks get U forced to 1
 * unless GMET is on.
 */
uint32_t walk_effective_pfec(const struct pagewalk *w, uint64_t access);

#endif
