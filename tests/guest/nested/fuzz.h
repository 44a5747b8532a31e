/* SPDX-License-Identifier: MIT */
/*
 * The nested payload's fuzz mode (load option "fuzz", docs/testing.md):
 * the payload, an L1 hypervisor, runs
 *  - random vmcb12s (fuzz_vmcb12.c): a valid vmcb12 with one to a few
 *    fields changed to values that hit the VMRUN checks of
 *    docs/semantics.md §8, plus noise in fields that change nothing;
 *  - random L1 nested page tables (fuzz_npt.c): tables of random entries
 *    (present, W, U, NX, reserved bits, large pages, loops, tables that
 *    alias each other, leaves on MMIO, on nestvisor's region and beyond
 *    the physical address width) and one access of L2 through them;
 * and compares every outcome with its own oracle: a model of the VMRUN
 * checks and of the nested walk (fuzz_walk.c) written from the AMD APM,
 * sharing no code with nestvisor.  Each sample must end in VMEXIT_INVALID
 * when a check fails, else in the exit L2's code makes (VMMCALL or HLT)
 * or in the #NPF the walk gives, with its EXITINFO1 and EXITINFO2.
 *
 * Samples come from a seeded PRNG: sample i of a kind is made from its
 * own seed, derived from the run's seed, the kind and i, so that one
 * sample can be replayed alone (load option "sample=I").
 */
#ifndef NV_GUEST_NESTED_FUZZ_H
#define NV_GUEST_NESTED_FUZZ_H

#include <stdint.h>

#include "nested.h"

/* ---- PRNG: SplitMix64 (Steele, Lea, Flood: "Fast splittable
 * pseudorandom number generators", OOPSLA 2014) ----------------------- */
struct rng {
	uint64_t s;
};

static inline uint64_t rng_next(struct rng *r)
{
	uint64_t z = (r->s += 0x9e3779b97f4a7c15ull);

	z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ull;
	z = (z ^ (z >> 27)) * 0x94d049bb133111ebull;
	return z ^ (z >> 31);
}

/* Uniform in [0, n) (n > 0; the bias of the modulo does not matter). */
static inline uint64_t rng_below(struct rng *r, uint64_t n)
{
	return rng_next(r) % n;
}

/* True with the given chance in percent. */
static inline int rng_pct(struct rng *r, unsigned pct)
{
	return rng_below(r, 100) < pct;
}

/* One bit in [lo, hi]. */
static inline uint64_t rng_bit(struct rng *r, unsigned lo, unsigned hi)
{
	return 1ull << (lo + rng_below(r, hi - lo + 1));
}

/* The seed of sample i of a kind. */
static inline struct rng rng_sample(uint64_t seed, unsigned kind, uint64_t i)
{
	struct rng r = { seed ^ ((uint64_t)kind << 56) ^ i };

	rng_next(&r);
	return r;
}

/* ---- what L1 sees of the CPU (its CPUID), for both oracles ------------ */
struct fuzz_cpu {
	unsigned maxphy;        /* 8000_0008 EAX[7:0] */
	uint32_t nasid;         /* 8000_000A EBX */
	int np, gmet, vgif, vnmi, lbrv;  /* 8000_000A EDX[0], [17], [16], [25], [1] */
	int gbpages;            /* 8000_0001 EDX[26] */
	uint64_t cr4_ok;        /* CR4 bits L1's CPUID lets a guest set */
	uint64_t efer_ok;       /* EFER bits likewise */
	int under_nv;           /* CPUID 0x40000000 says NestVisor */
	uint64_t hv_base, hv_size; /* nestvisor's region (NV_HC_HV_RANGE) */
};
extern struct fuzz_cpu fcpu;

/* Outcomes by kind, for the summary and docs/security.md. */
struct fuzz_counts {
	uint64_t samples, mismatches;
	uint64_t invalid, vmmcall, hlt, npf, event;  /* vmcb12 */
	uint64_t rules[32];     /* vmcb12: samples that broke each rule */
	uint64_t ok_read, ok_write, ok_fetch;        /* NPT: access done */
	uint64_t npf_np, npf_rsvd, npf_perm, npf_pt; /* NPT: #NPF kinds */
	uint64_t to_read;       /* NPT: write/fetch made a read (target) */
	uint64_t rerolls;       /* NPT: tables the oracle cannot predict */
	uint64_t deviations;    /* bare TCG: known deviations (§10) */
	uint64_t dev[4];        /* ... by kind (FUZZ_DEV_*) */
	uint64_t dev_unchecked[32], dev_refused[32]; /* vmcb12, by rule */
	uint64_t retries;       /* runs cut by a timer tick, run again */
};

/* Kinds of the known deviations of QEMU 7.2 TCG (bare runs). */
#define FUZZ_DEV_EXITINFO2  0  /* VMEXIT_INVALID keeps EXITINFO2 */
#define FUZZ_DEV_RSVD_P     1  /* reserved-bit #NPF with P clear */
#define FUZZ_DEV_ID_SMEP    2  /* no I/D bit for L1's SMEP alone */
#define FUZZ_DEV_PML4E_BIT8 3  /* PML4E bit 8 not reserved */

/* fuzz_main.c: one bounded L2 run: L2 runs with GIF clear and IF set, so
 * that the periodic LAPIC timer (100 ms) ends a run that does not exit
 * (INTR is intercepted); such a run is made again, ten times in all,
 * because a tick may also fall into a short run.  Returns the exit code. */
uint64_t fuzz_l2_run(const struct vmcb *src, struct vmcb *v,
		     struct l2_gprs *g, struct fuzz_counts *c);
/* A mismatch: print it (the first few of a batch) and count it. */
void fuzz_mismatch(struct fuzz_counts *c, const char *kind, uint64_t i,
		   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* fuzz_vmcb12.c and fuzz_npt.c: set-up (UEFI allocations, before
 * env_enter()) and one sample; the sample returns 1 if it matched. */
int fuzz_vmcb12_alloc(void);
int fuzz_vmcb12_sample(uint64_t seed, uint64_t i, struct fuzz_counts *c,
		       int verbose);
const char *fuzz_vmcb12_rule_name(unsigned rule);
int fuzz_npt_alloc(void);
int fuzz_npt_sample(uint64_t seed, uint64_t i, struct fuzz_counts *c,
		    int verbose);

/* Sample kinds (the PRNG stream of each). */
#define FUZZ_KIND_VMCB12 1u
#define FUZZ_KIND_NPT    2u

/* fuzz_main.c: the fuzz mode, from main.c when the load options say
 * "fuzz"; ends the run. */
void fuzz_main(void);

#endif
