// SPDX-License-Identifier: MIT
/*
 * Random L1 nested page tables (the fuzz mode, fuzz.h).
 *
 * Guest-physical map of L2 under the fuzz NPT (nCR3 = fpml4):
 *   [0, 4 GiB)     identity through the test NPT's 2 MiB tables (npt.h):
 *                  L2's own page tables and the page D live there
 *   4 GiB + 4 KiB  the code page (its leaf U=1, or U=0 under GMET, so
 *                  that L2's supervisor fetches run either way)
 *   R1 = 512 GiB   PML4 entry 1: random tables; the sample's address X
 * L2 (CPL 0, long mode, its tables in low memory) maps linear 0x1000 to
 * the code page, 0x2000 to X's page and, for page-table-stage samples,
 * 0x200000 + 4 KiB * B_IDX through a page table at guest-physical Y in
 * the random region.
 *
 * One sample:
 *  1. L1's EFER.NXE and CR4.SMEP, GMET, the access (read, write or
 *     fetch) and X at random; every pool table filled with random
 *     entries: not present, pointers to tables (the pool, the root, the
 *     identity tables, scratch pages, nestvisor's region, beyond the
 *     physical width) and leaves of 4 KiB, 2 MiB and 1 GiB (on scratch
 *     memory, the region, MMIO, low RAM, beyond the width), with random
 *     W, U, NX, PWT, PCD, A, D, G, software bits and now and then a
 *     reserved bit; then a path for X through the pool, so that walks go
 *     deep.  Loops and aliases come from pointers to tables in use.
 *  2. The oracle walks the tables (fuzz_walk.c).  A walk that reads a
 *     table the oracle cannot read (MMIO, memory it does not know) is
 *     drawn again.  A write or fetch that would reach memory other than
 *     the scratch block (and, for writes, nestvisor's region) is made a
 *     read: scratch pages hold a pattern, VMMCALL at offset 0xF00 for
 *     fetches.
 *  3. L2 runs the access; the exit must be the oracle's: VMMCALL (a read
 *     returns the memory's value, a write lands at the address the walk
 *     gives) or #NPF with the oracle's EXITINFO1 and EXITINFO2.
 * Page-table-stage samples put L2's page table at Y: the walk of Y's
 * entry (a user write) faults with bit 33, or it reaches a scratch page,
 * whose entry B_IDX maps page D for the final access.
 */
#include <efi.h>
#include <efilib.h>

#include "fuzz.h"
#include "fuzz_walk.h"
#include "npt.h"
#include "core/x86.h"
#include "tests/guest/lib/serial.h"

#define NTAB       12u           /* random tables */
#define CODE_GPA   ((4ull << 30) + 0x1000)
#define LIN_CODE   0x1000ull
#define LIN_TARGET 0x2000ull
#define LIN_PTS    0x200000ull   /* through L2's page table at Y */
#define B_IDX      5u            /* L2 PTE index used through Y */
#define FETCH_OFF  0xf00u        /* VMMCALL; HLT in scratch pages and D */
#define OFF_READ   0x00u         /* the code page's snippets */
#define OFF_WRITE  0x40u

#define MIB2 (1ull << 21)
#define GIB  (1ull << 30)

/* Host physical places a leaf may name (q35 under QEMU). */
#define MMIO_IOAPIC 0xfec00000ull
#define MMIO_HPET   0xfed00000ull
#define MMIO_LAPIC  0xfee00000ull

static uint64_t *pool[NTAB];
static uint64_t *fpml4, *fpdpt0, *cpd, *cpt;
static uint8_t *code, *dpage;
static uint64_t *l2pml4, *l2pdpt, *l2pd, *l2pt;
static uint64_t scratch;         /* 2 MiB block, 2 MiB aligned */
/* L2's PTE for page D (supervisor, writable, executable). */
#define L2_PTE_D (pa(dpage) | FW_P | FW_RW)
static struct vmcb *tmpl;

static uint64_t pa(const volatile void *p)
{
	return (uint64_t)(uintptr_t)p;
}

static uint64_t pattern(uint64_t addr)
{
	uint64_t z = addr * 0x9e3779b97f4a7c15ull;

	return z ^ (z >> 29) ^ 0x5a17c0de00000000ull;
}

static void put_vmmcall(uint8_t *p)
{
	p[0] = 0x0f; /* VMMCALL */
	p[1] = 0x01;
	p[2] = 0xd9;
	p[3] = 0xf4; /* HLT */
}

static void *alloc_below_4g(unsigned pages)
{
	EFI_PHYSICAL_ADDRESS a = 0xffffffffull;

	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
					EfiLoaderData, pages, &a)))
		return NULL;
	return (void *)(uintptr_t)a;
}

int fuzz_npt_alloc(void)
{
	uint8_t *big = alloc_below_4g(1024), *t = alloc_below_4g(32);
	uint64_t *pages[NTAB + 8];
	unsigned n = 0;

	if (!big || !t)
		return 0;
	scratch = (pa(big) + MIB2 - 1) & ~(MIB2 - 1);
	for (uint64_t i = 0; i < 32 * PAGE_SIZE; i++)
		t[i] = 0;
	for (unsigned i = 0; i < NTAB + 8; i++)
		pages[i] = (uint64_t *)(t + i * PAGE_SIZE);
	for (unsigned i = 0; i < NTAB; i++)
		pool[i] = pages[n++];
	fpml4 = pages[n++];
	fpdpt0 = pages[n++];
	cpd = pages[n++];
	cpt = pages[n++];
	l2pml4 = pages[n++];
	l2pdpt = pages[n++];
	l2pd = pages[n++];
	l2pt = pages[n++];
	code = t + (NTAB + 8) * PAGE_SIZE;
	dpage = code + PAGE_SIZE;
	tmpl = (struct vmcb *)(dpage + PAGE_SIZE);

	/* Scratch block and D: the pattern, VMMCALL at FETCH_OFF; entry
	 * B_IDX of every scratch page is L2's PTE for D. */
	for (uint64_t p = scratch; p < scratch + MIB2; p += 8)
		*(uint64_t *)(uintptr_t)p = pattern(p);
	for (uint64_t p = 0; p < PAGE_SIZE; p += 8)
		*(uint64_t *)(dpage + p) = pattern(pa(dpage) + p);
	for (uint64_t p = scratch; p < scratch + MIB2; p += PAGE_SIZE) {
		put_vmmcall((uint8_t *)(uintptr_t)(p + FETCH_OFF));
		*(uint64_t *)(uintptr_t)(p + B_IDX * 8) = L2_PTE_D;
	}
	put_vmmcall(dpage + FETCH_OFF);
	/* The code page: "mov (%rbx), %rcx" and "mov %rcx, (%rbx)", each
	 * followed by VMMCALL; HLT. */
	code[OFF_READ + 0] = 0x48;
	code[OFF_READ + 1] = 0x8b;
	code[OFF_READ + 2] = 0x0b;
	put_vmmcall(code + OFF_READ + 3);
	code[OFF_WRITE + 0] = 0x48;
	code[OFF_WRITE + 1] = 0x89;
	code[OFF_WRITE + 2] = 0x0b;
	put_vmmcall(code + OFF_WRITE + 3);
	return 1;
}

/* The fixed part of the tables (after env_enter: npt.h's tables exist). */
static void fixed_tables(int gmet)
{
	const uint64_t rwu = FW_P | FW_RW | FW_US;

	fpml4[0] = pa(fpdpt0) | rwu;
	for (unsigned i = 0; i < 4; i++)
		fpdpt0[i] = npt.pdpt0[i];
	fpdpt0[4] = pa(cpd) | rwu;
	cpd[0] = pa(cpt) | rwu;
	cpt[1] = pa(code) | FW_P | FW_RW | (gmet ? 0 : FW_US);
	/* L2: supervisor, writable, executable. */
	l2pml4[0] = pa(l2pdpt) | FW_P | FW_RW;
	l2pdpt[0] = pa(l2pd) | FW_P | FW_RW;
	l2pd[0] = pa(l2pt) | FW_P | FW_RW;
	l2pt[1] = CODE_GPA | FW_P | FW_RW;
}

/* ---- what the oracle may read ------------------------------------------- */

static int in(uint64_t a, uint64_t base, uint64_t size)
{
	return a >= base && a - base < size;
}

static int in_region(uint64_t a)
{
	return fcpu.under_nv && in(a, fcpu.hv_base, fcpu.hv_size);
}

static int readable(uint64_t t)
{
	for (unsigned i = 0; i < NTAB; i++)
		if (t == pa(pool[i]))
			return 1;
	for (unsigned i = 0; i < 4; i++)
		if (t == pa(npt.pd0[i]))
			return 1;
	/* nestvisor's region reads as its sink page, which holds what L1
	 * wrote there (docs/hypercalls.md); L1 reads it the same way. */
	return t == pa(fpml4) || t == pa(fpdpt0) || t == pa(cpd) ||
	       t == pa(cpt) || in(t, scratch, MIB2) || in_region(t);
}

/* ---- random entries -------------------------------------------------- */

static uint64_t beyond_width(struct rng *r)
{
	return rng_bit(r, fcpu.maxphy, 51) | (rng_next(r) & ((1ull << fcpu.maxphy) - 1));
}

/* Attribute bits of a present entry: mostly usable, sometimes not. */
static uint64_t attrs(struct rng *r, int leaf)
{
	uint64_t e = FW_P;

	if (rng_pct(r, 85))
		e |= FW_RW;
	if (rng_pct(r, 85))
		e |= FW_US;
	if (rng_pct(r, 12))
		e |= FW_NX;
	e |= rng_next(r) & (FW_PWT | FW_PCD | FW_A | FW_D | (7ull << 9));
	if (rng_pct(r, leaf ? 25 : 3))
		e |= FW_G;
	if (rng_pct(r, 30))
		e |= rng_next(r) & (0x7ffull << 52);  /* bits 62:52, ignored */
	return e;
}

static uint64_t table_ptr(struct rng *r)
{
	unsigned k = rng_below(r, 100);

	if (k < 70)
		return pa(pool[rng_below(r, NTAB)]);
	if (k < 76)
		return pa(fpml4);
	if (k < 82)
		return pa(npt.pd0[rng_below(r, 4)]);
	if (k < 88)
		return scratch + rng_below(r, 512) * PAGE_SIZE;
	if (k < 94 && fcpu.under_nv)
		return fcpu.hv_base + rng_below(r, fcpu.hv_size / PAGE_SIZE) * PAGE_SIZE;
	return beyond_width(r) & ~0xfffull;
}

/* A leaf's address for a page of 12, 21 or 30 bits. */
static uint64_t leaf_addr(struct rng *r, unsigned shift)
{
	uint64_t size = 1ull << shift;
	unsigned k = rng_below(r, 100);
	uint64_t a;

	if (k < 55)
		a = scratch + (shift == 12 ? rng_below(r, 512) * PAGE_SIZE : 0);
	else if (k < 67 && fcpu.under_nv)
		a = fcpu.hv_base + (fcpu.hv_size >> shift ?
				    rng_below(r, fcpu.hv_size >> shift) * size : 0);
	else if (k < 77) {
		static const uint64_t mmio[] = { MMIO_IOAPIC, MMIO_HPET, MMIO_LAPIC };

		a = mmio[rng_below(r, 3)];
	} else if (k < 88)
		a = rng_below(r, (4 * GIB) >> shift) << shift;
	else
		a = beyond_width(r);
	a &= ~(size - 1);
	/* Now and then one of the must-be-zero bits of a large leaf. */
	if (shift > 12 && rng_pct(r, 12))
		a |= rng_bit(r, 13, shift - 1);
	return a;
}

static uint64_t rand_leaf(struct rng *r, unsigned level)
{
	unsigned shift = 12 + 9 * (level - 1);
	uint64_t e = leaf_addr(r, shift) | attrs(r, 1);

	if (level > 1)
		e |= FW_PS;
	else if (rng_pct(r, 20))
		e |= FW_PS;     /* PAT in a PTE */
	return e;
}

static uint64_t rand_nonleaf(struct rng *r)
{
	uint64_t e = table_ptr(r) | attrs(r, 0);

	if (rng_pct(r, 3))
		e |= FW_PS;     /* a leaf at level 2/3, reserved at 4 */
	return e;
}

static uint64_t rand_entry(struct rng *r)
{
	unsigned k = rng_below(r, 100);

	if (k < 20)
		return rng_next(r) & ~FW_P;
	if (k < 60)
		return rand_nonleaf(r);
	return rand_leaf(r, 1 + rng_below(r, 3));
}

/* Now and then a reserved bit the walk must refuse. */
static uint64_t maybe_rsvd(struct rng *r, uint64_t e, unsigned level)
{
	if (!rng_pct(r, 6))
		return e;
	switch (rng_below(r, 3)) {
	case 0:
		return e | rng_bit(r, fcpu.maxphy, 51);
	case 1:
		return e | FW_NX;   /* reserved only with NXE clear */
	default:
		return level == 4 ? e | (rng_pct(r, 50) ? FW_PS : FW_G) : e;
	}
}

/* ---- one sample ---------------------------------------------------------- */

struct npt_sample {
	enum fw_access acc;
	int pt_stage, gmet, nxe, smep;
	uint64_t x;            /* GPA of the access (final stage) */
	uint64_t y;            /* GPA of L2's page table (pt_stage) */
	uint64_t lin;          /* L2's linear address of the access */
	uint64_t wval;         /* what a write writes */
};

static void fill_tables(struct rng *r, struct npt_sample *s)
{
	unsigned i3, i2, i1;
	uint64_t *t3, *t2, *t1;
	uint64_t g = s->pt_stage ? s->y : s->x;

	for (unsigned t = 0; t < NTAB; t++)
		for (unsigned i = 0; i < 512; i++)
			pool[t][i] = rand_entry(r);
	for (unsigned i = 2; i < 512; i++)
		fpml4[i] = rand_entry(r);

	/* A path for g: PML4E 1 -> t3 -> t2 -> t1, any of them a 1 GiB or
	 * 2 MiB leaf instead, with the same random attributes. */
	i3 = (g >> 30) & 511;
	i2 = (g >> 21) & 511;
	i1 = (g >> 12) & 511;
	t3 = pool[rng_below(r, NTAB)];
	t2 = pool[rng_below(r, NTAB)];
	t1 = pool[rng_below(r, NTAB)];
	fpml4[1] = maybe_rsvd(r, pa(t3) | attrs(r, 0), 4);
	t3[i3] = rng_pct(r, 15) ? rand_leaf(r, 3) : pa(t2) | attrs(r, 0);
	t3[i3] = maybe_rsvd(r, t3[i3], 3);
	if (rng_pct(r, 8))
		t3[i3] = rand_nonleaf(r);    /* off the path: another table */
	t2[i2] = rng_pct(r, 25) ? rand_leaf(r, 2) : pa(t1) | attrs(r, 0);
	t2[i2] = maybe_rsvd(r, t2[i2], 2);
	if (rng_pct(r, 8))
		t2[i2] = rand_nonleaf(r);
	t1[i1] = maybe_rsvd(r, rand_leaf(r, 1), 1);
	/* Now and then one of them not present. */
	if (rng_pct(r, 12)) {
		uint64_t *e[] = { &fpml4[1], &t3[i3], &t2[i2], &t1[i1] };

		*e[rng_below(r, 4)] &= ~FW_P;
	}
}

static void make_sample(struct rng *r, struct npt_sample *s)
{
	unsigned k = rng_below(r, 100);
	uint64_t pd_idx;

	s->acc = k < 45 ? FW_READ : k < 75 ? FW_WRITE : FW_FETCH;
	s->pt_stage = rng_pct(r, 20);
	s->gmet = fcpu.gmet && rng_pct(r, 30);
	s->nxe = rng_pct(r, 75);
	s->smep = env.smep && rng_pct(r, 30);
	s->wval = rng_next(r);
	/* PD index of the scratch block, so that a 1 GiB leaf on its 1 GiB
	 * block reaches it, most of the time. */
	pd_idx = rng_pct(r, 70) ? (scratch >> 21) & 511 : rng_below(r, 512);
	s->x = R1 | rng_below(r, 512) << 30 | pd_idx << 21 |
	       rng_below(r, 512) << 12 |
	       (s->acc == FW_FETCH ? FETCH_OFF : rng_below(r, FETCH_OFF / 8) * 8);
	s->y = R1 | rng_below(r, 512) << 30 | pd_idx << 21 | rng_below(r, 512) << 12;
	if (s->pt_stage) {
		s->lin = LIN_PTS + B_IDX * PAGE_SIZE + (s->x & 0xfff);
		s->x = pa(dpage) | (s->x & 0xfff);
	} else {
		s->lin = LIN_TARGET + (s->x & 0xfff);
	}
}

static uint64_t l1_read(uint64_t a)
{
	return *(volatile uint64_t *)(uintptr_t)a;
}

static void l1_write(uint64_t a, uint64_t v)
{
	*(volatile uint64_t *)(uintptr_t)a = v;
}

/* The outcome the oracle gives for s, as hardware (tcg 0) or as QEMU TCG
 * reports it (docs/semantics.md §10.2: no reserved PML4E bit 8, P clear
 * with RSVD, I/D only with NXE).  FW_UNKNOWN: draw again. */
static void oracle(const struct npt_sample *s, int tcg, struct fw_result *r,
		   uint64_t *pte_hpa)
{
	struct fw_ctx c = {
		.maxphy = fcpu.maxphy, .nxe = s->nxe, .smep = s->smep,
		.gbpages = fcpu.gbpages, .gmet = s->gmet, .cpl = 0,
		.pml4_bit8_rsvd = !tcg, .tcg = tcg, .readable = readable,
	};

	*pte_hpa = 0;
	if (s->pt_stage) {
		fw_walk(&c, pa(fpml4), s->y + B_IDX * 8, FW_READ, 1, r);
		if (r->kind != FW_OK)
			return;
		/* L2's PTE is read from there: known only in a scratch
		 * page, whose entry B_IDX maps page D. */
		if (!in(r->hpa, scratch, MIB2) || l1_read(r->hpa) != L2_PTE_D) {
			r->kind = FW_UNKNOWN;
			r->why = "L2's page table outside the scratch block";
			return;
		}
		*pte_hpa = r->hpa;
	}
	fw_walk(&c, pa(fpml4), s->x, s->acc, 0, r);
}

/* May the access reach hpa?  Reads anywhere the walk can lead; writes
 * only to scratch memory, D and the region; fetches only where VMMCALL
 * waits. */
static int access_allowed(const struct npt_sample *s, uint64_t hpa)
{
	int known = in(hpa, scratch, MIB2) || in(hpa, pa(dpage), PAGE_SIZE);

	if (s->acc == FW_FETCH)
		return known;
	if (s->acc == FW_WRITE)
		return known || in_region(hpa);
	return 1;
}

/* A read's value is checked in memory whose contents the oracle knows:
 * scratch, D and the region (the sink). */
static int read_checked(uint64_t hpa)
{
	return in(hpa, scratch, MIB2) || in(hpa, pa(dpage), PAGE_SIZE) ||
	       in_region(hpa);
}

/* Is hpa one of the walk's entries (which may have gained A)?  Every
 * page of the region is the one sink page. */
static int walk_entry(const struct fw_result *r, uint64_t hpa)
{
	for (unsigned i = 0; i < r->n_entries; i++)
		if (r->entry_pa[i] == hpa ||
		    (in_region(hpa) && in_region(r->entry_pa[i]) &&
		     (hpa & 0xfff) == (r->entry_pa[i] & 0xfff)))
			return 1;
	return 0;
}

static const char *acc_name(enum fw_access a)
{
	return a == FW_READ ? "read" : a == FW_WRITE ? "write" : "fetch";
}

/* The predictions for s: hardware's, and on bare TCG also TCG's; 0 when
 * one of them is unknown. */
static int predict(struct npt_sample *s, struct fw_result w[2],
		   uint64_t *pte_hpa, struct fuzz_counts *c)
{
	unsigned n = fcpu.under_nv ? 1 : 2;

	for (unsigned k = 0; k < n; k++) {
		oracle(s, k, &w[k], pte_hpa);
		if (w[k].kind == FW_OK && !access_allowed(s, w[k].hpa)) {
			s->acc = FW_READ;
			c->to_read++;
			return predict(s, w, pte_hpa, c);
		}
		if (w[k].kind == FW_UNKNOWN)
			return 0;
	}
	if (n == 1)
		w[1] = w[0];
	return 1;
}

/* Does the exit match prediction w?  *why: what differs. */
static int matches(const struct npt_sample *s, const struct fw_result *w,
		   const struct vmcb *v, uint64_t exit, uint64_t code_off,
		   const char **why)
{
	if (w->kind == FW_FAULT) {
		uint64_t i2 = v->control.exit_info_2;
		uint64_t want2 = (w->info1 & FW_EC_PT) ? s->y + B_IDX * 8 : s->x;

		*why = "#NPF";
		/* A page-table-stage EXITINFO2 may be the entry's address or
		 * its page's (docs/semantics.md §11 item 4). */
		return exit == VMEXIT_NPF && v->control.exit_info_1 == w->info1 &&
		       (i2 == want2 || ((w->info1 & FW_EC_PT) && i2 == (want2 & ~0xfffull)));
	}
	*why = "VMMCALL";
	return exit == VMEXIT_VMMCALL &&
	       v->save.rip == (s->acc == FW_FETCH ? s->lin : LIN_CODE + code_off + 3);
}

int fuzz_npt_sample(uint64_t seed, uint64_t i, struct fuzz_counts *c,
		    int verbose)
{
	struct rng r = rng_sample(seed, FUZZ_KIND_NPT, i);
	struct npt_sample s;
	struct fw_result w[2];
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };
	uint64_t pte_hpa = 0, before = 0, before1 = 0, code_off, exit;
	const char *why;
	unsigned tries = 0;
	int ok = 1;

	/* Draw until the oracle can predict the sample. */
	for (;;) {
		make_sample(&r, &s);
		fixed_tables(s.gmet);
		fill_tables(&r, &s);
		if (predict(&s, w, &pte_hpa, c))
			break;
		c->rerolls++;
		if (++tries == 100) {
			fuzz_mismatch(c, "npt", i, "no predictable tables in 100 draws");
			return 0;
		}
	}
	if (verbose)
		tap_diag("npt %lu: %s of linear 0x%lx, X 0x%lx Y 0x%lx pt_stage %d "
			 "gmet %d nxe %d smep %d: oracle %s info1 0x%lx hpa 0x%lx (%s)",
			 i, acc_name(s.acc), s.lin, s.x, s.y, s.pt_stage, s.gmet,
			 s.nxe, s.smep, w[0].kind == FW_OK ? "ok" : "fault",
			 w[0].info1, w[0].hpa, w[0].why);

	/* L2's view: the target page, or the page table at Y. */
	l2pt[2] = (s.x & ~0xfffull) | FW_P | FW_RW;
	l2pd[1] = s.pt_stage ? s.y | FW_P | FW_RW : 0;
	if (s.nxe != !!(env.l1_efer & X86_EFER_NXE) ||
	    s.smep != !!(env.l1_cr4 & X86_CR4_SMEP))
		env_set_l1_paging(s.nxe, s.smep);

	code_off = s.acc == FW_WRITE ? OFF_WRITE : OFF_READ;
	vmcb_default(tmpl, (void *)(uintptr_t)(s.acc == FW_FETCH ? s.lin :
						LIN_CODE + code_off));
	tmpl->control.misc_ctl |= MISC_CTL_NP_ENABLE | (s.gmet ? MISC_CTL_GMET : 0);
	tmpl->control.nested_cr3 = pa(fpml4);
	tmpl->save.cr3 = pa(l2pml4);
	g.rbx = s.lin;
	g.rcx = s.wval;
	if (w[0].kind == FW_OK && s.acc != FW_FETCH && read_checked(w[0].hpa))
		before = l1_read(w[0].hpa);
	if (w[1].kind == FW_OK && s.acc == FW_WRITE)
		before1 = l1_read(w[1].hpa);
	exit = fuzz_l2_run(tmpl, v, &g, c);

	if (matches(&s, &w[0], v, exit, code_off, &why)) {
		/* hardware's outcome */
	} else if (matches(&s, &w[1], v, exit, code_off, &why)) {
		c->deviations++;
		if (w[0].kind != w[1].kind || w[0].level != w[1].level)
			c->dev[FUZZ_DEV_PML4E_BIT8]++;
		else if ((w[0].info1 ^ w[1].info1) & FW_EC_P)
			c->dev[FUZZ_DEV_RSVD_P]++;
		else
			c->dev[FUZZ_DEV_ID_SMEP]++;
	} else {
		fuzz_mismatch(c, "npt", i, "%s of linear 0x%lx (X 0x%lx, Y 0x%lx, "
			      "pt_stage %d, gmet %d, nxe %d, smep %d): want %s info1 "
			      "0x%lx hpa 0x%lx (%s, level %u); got exit 0x%lx info1 "
			      "0x%lx info2 0x%lx rip 0x%lx", acc_name(s.acc), s.lin,
			      s.x, s.y, s.pt_stage, s.gmet, s.nxe, s.smep, why,
			      w[0].info1, w[0].hpa, w[0].why, w[0].level, exit,
			      v->control.exit_info_1, v->control.exit_info_2,
			      v->save.rip);
		ok = 0;
	}
	if (w[0].kind == FW_FAULT) {
		c->npf++;
		if (w[0].info1 & FW_EC_PT)
			c->npf_pt++;
		else if (w[0].fault == FW_NOT_PRESENT)
			c->npf_np++;
		else if (w[0].fault == FW_RESERVED)
			c->npf_rsvd++;
		else
			c->npf_perm++;
	} else if (ok) {
		uint64_t hpa = w[0].hpa;

		if (s.acc == FW_READ && read_checked(hpa) && g.rcx != before &&
		    !(walk_entry(&w[0], hpa) && g.rcx == (before | FW_A))) {
			fuzz_mismatch(c, "npt", i, "read of 0x%lx (hpa 0x%lx): got "
				      "0x%lx, memory holds 0x%lx", s.lin, hpa,
				      g.rcx, before);
			ok = 0;
		} else if (s.acc == FW_WRITE && l1_read(hpa) != s.wval) {
			fuzz_mismatch(c, "npt", i, "write of 0x%lx to 0x%lx (hpa "
				      "0x%lx): memory holds 0x%lx", s.wval, s.lin,
				      hpa, l1_read(hpa));
			ok = 0;
		}
		c->ok_read += s.acc == FW_READ;
		c->ok_write += s.acc == FW_WRITE;
		c->ok_fetch += s.acc == FW_FETCH;
	}
	if (w[1].kind == FW_OK && s.acc == FW_WRITE)
		l1_write(w[1].hpa, before1);
	if (w[0].kind == FW_OK && s.acc == FW_WRITE)
		l1_write(w[0].hpa, before);
	if (pte_hpa)
		l1_write(pte_hpa, L2_PTE_D);
	c->samples++;
	return ok;
}
