/* SPDX-License-Identifier: MIT */
/*
 * Shared set-up for the walker tests (include after <cmocka.h>): a fake
 * memory whose violations fail the running test, a page-table builder and
 * a pagewalk, plus fx_walk(), which also checks the invariants every walk
 * must keep (the return value matches the result; a faulting walk writes
 * nothing; fault_addr is the address walked).
 */
#ifndef NV_TESTS_WALK_FIXTURE_H
#define NV_TESTS_WALK_FIXTURE_H

#include <inttypes.h>

#include "fake_mem.h"
#include "mm/pte.h"
#include "mm/walk.h"

/* The standard nested set-up: L1 in long mode, 4-level NPT. */
#define L1_CR4_PAE  X86_CR4_PAE
#define L1_EFER_LM  (X86_EFER_LME | X86_EFER_LMA)
#define L1_EFER_NX  (L1_EFER_LM | X86_EFER_NXE) /* 0xd00 */
#define FX_ROOT     0x100000ull   /* nCR3 / CR3 */
#define FX_POOL     0x200000ull   /* tables are allocated from here */
#define FX_GPA      0x40201000ull /* the address walked (L2 gpa / gva) */
#define FX_OUT      0x7654000ull  /* what it maps to (L1 gpa / gpa) */
#define FX_TABLE    (PTE_P | PTE_RW | PTE_US)

/* Accesses at the final stage / page-table stage of an NPT walk. */
#define ACC_RD      PFERR_GUEST_FINAL
#define ACC_WR      (PFERR_GUEST_FINAL | PFERR_WRITE)
#define ACC_FETCH   (PFERR_GUEST_FINAL | PFERR_FETCH)
#define CPL3        PFERR_USER
#define ACC_PT      PFERR_GUEST_PAGE

struct fx {
	struct fake_mem *mem;
	struct gmem gmem;
	struct gpt_builder pt;
	struct pagewalk w;
};

static inline void fx_violation(const char *what, uint64_t gpa)
{
	fail_msg("fake memory: %s at gpa 0x%" PRIx64, what, gpa);
}

static inline void fx_init(struct fx *f, union cpu_role role, bool tdp,
			   unsigned maxphyaddr, bool gbpages)
{
	struct mm_cpu cpu = { .maxphyaddr = maxphyaddr, .gbpages = gbpages };

	f->mem = fake_mem_create(fx_violation);
	f->gmem = fake_mem_gmem(f->mem);
	pagewalk_init(&f->w, role, tdp, &cpu);
	gpt_init(&f->pt, f->mem, role.base.level, FX_ROOT, FX_POOL);
}

/* L1's NPT as nestvisor shadows it: role from L1's CR4/EFER and GMET. */
static inline void fx_npt(struct fx *f, uint64_t l1_cr4, uint64_t l1_efer,
			  bool gmet)
{
	fx_init(f, cpu_role_shadow_npt(l1_cr4, l1_efer, gmet), true, 48, true);
}

static inline void fx_fini(struct fx *f)
{
	fake_mem_destroy(f->mem);
}

/* Map FX_GPA -> FX_OUT with 4 KiB pages: tables FX_TABLE (a PAE PDPTE: P),
 * leaf as given. */
static inline void fx_map4k(struct fx *f, uint64_t leaf)
{
	uint64_t flags[5] = { FX_TABLE, FX_TABLE, FX_TABLE, FX_TABLE, FX_TABLE };

	if (f->pt.levels == 3)
		flags[0] = PTE_P; /* PAE PDPTE: bits 2:1 are reserved */
	flags[f->pt.levels - 1] = leaf;
	gpt_map(&f->pt, FX_GPA, FX_OUT, 1, flags);
}

static inline struct walk_result fx_walk(struct fx *f, uint64_t addr,
					 uint64_t access)
{
	struct walk_result r;
	bool ok;

	fake_mem_begin_walk(f->mem);
	ok = walk(&f->w, &f->gmem, f->pt.root, addr, access, &r);
	assert_false(r.gmem_error);
	assert_int_equal(ok, !r.fault);
	if (r.fault) {
		assert_int_equal(fake_mem_nr_writes(f->mem), 0);
		assert_int_equal(r.fault_addr, addr);
	}
	assert_int_equal(fake_mem_nr_violations(f->mem), 0);
	return r;
}

/* Expect a fault with exactly this error code (EXITINFO1). */
static inline void fx_expect_fault(struct fx *f, uint64_t addr, uint64_t access,
				   uint64_t error_code)
{
	struct walk_result r = fx_walk(f, addr, access);

	assert_true(r.fault);
	assert_int_equal(r.error_code, error_code);
}

static inline void fx_expect_ok(struct fx *f, uint64_t addr, uint64_t access,
				uint64_t out)
{
	struct walk_result r = fx_walk(f, addr, access);

	assert_false(r.fault);
	assert_int_equal(r.out, out);
}

#endif
