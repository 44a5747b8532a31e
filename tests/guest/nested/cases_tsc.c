// SPDX-License-Identifier: MIT
/*
 * TSC scaling (CPUID 8000_000A EDX[4]) and TSC_ADJUST (CPUID 7.0 EBX[1]).
 *
 * TSC ratio MSR C000_0104h, AMD APM Vol. 2 §15.30.5: 8.32 fixed point,
 * 1.0 after reset, bits 63:40 reserved (#GP).  In guest mode the guest's
 * TSC (RDTSC, RDTSCP, RDMSR of the TSC) is the TSC below times the ratio
 * plus the VMCB's TSC_OFFSET.  The TSC runs, so a value L2 reads between
 * L1's readings t0 and t1 must lie in [t0 * ratio + offset, t1 * ratio +
 * offset].  An MSR L1 does not intercept is L2's to access directly: L2's
 * write of the ratio MSR is L1's.
 *
 * TSC_ADJUST, MSR 3Bh (Intel SDM Vol. 3 §18.17.3): a write of TSC_ADJUST
 * moves the TSC by the difference; a write of the TSC moves TSC_ADJUST by
 * the difference.  L2's accesses that L1 does not intercept are L1's
 * (as KVM and kvm-unit-tests' svm tsc_adjust test have it).  The moves
 * are checked against a displacement D much larger than the time the
 * case takes (M).
 *
 * Not offered (bare QEMU TCG): no case.
 */
#include "nested.h"
#include "core/x86.h"

#define MSR_TSC       0x10u
#define MSR_TSC_ADJ   0x3bu
#define MSR_TSC_AUX   0xc0000103u
#define MSR_TSC_RATIO 0xc0000104u
#define RATIO_ONE     (1ull << 32)
#define D (1ull << 44)
#define M (1ull << 40)

extern char l2_rdtsc[], l2_rdtscp[], l2_rdmsr[], l2_wrmsr[];
extern char l1_wrmsr_insn[];
void l1_wrmsr_probe(uint32_t msr, uint64_t val);

/* t * ratio (8.32) + off, as the APM defines it (truncated). */
static uint64_t scaled(uint64_t t, uint64_t ratio, uint64_t off)
{
	return (uint64_t)(((unsigned __int128)t * ratio) >> 32) + off;
}

static int in_range(const char *what, uint64_t v, uint64_t lo, uint64_t hi)
{
	if (v - lo <= hi - lo)
		return 1;
	tap_diag("%s: 0x%lx not in [0x%lx, 0x%lx]", what, v, lo, hi);
	return 0;
}

/* Run L2 snippet `insn` (RDTSC, RDTSCP, RDMSR) with the ratio and
 * vmcb12 offset given; t0 and t1: L1's TSC just before and after. */
static int run_read(const char *insn, uint64_t ratio, uint64_t off,
		    struct l2_gprs *g, uint64_t *val, uint64_t *t0,
		    uint64_t *t1)
{
	struct vmcb *v = env.vmcb;

	wrmsr(MSR_TSC_RATIO, ratio);
	vmcb_default(v, insn);
	v->control.tsc_offset = off;
	*t0 = rdtsc();
	l2_run(v, g);
	*t1 = rdtsc();
	wrmsr(MSR_TSC_RATIO, RATIO_ONE);
	*val = (g->rdx << 32) | (uint32_t)v->save.rax;
	return expect_exit(v, VMEXIT_VMMCALL);
}

static int check_read(const char *insn, uint64_t ratio, uint64_t off)
{
	struct l2_gprs g = { .rcx = MSR_TSC };
	uint64_t val, t0, t1;

	if (!run_read(insn, ratio, off, &g, &val, &t0, &t1))
		return 0;
	return in_range("L2's TSC", val, scaled(t0, ratio, off),
			scaled(t1, ratio, off));
}

static int ratio_reset(void)
{
	return TAP_EXPECT_EQ("TSC ratio after reset", rdmsr(MSR_TSC_RATIO),
			     RATIO_ONE);
}

static int ratio_write_read(void)
{
	static const uint64_t vals[] = { 0x80000000ull, 0xffffffffffull, 1,
					 RATIO_ONE };
	int ok = 1;

	for (unsigned i = 0; i < 4; i++) {
		wrmsr(MSR_TSC_RATIO, vals[i]);
		ok &= TAP_EXPECT_EQ("TSC ratio read back", rdmsr(MSR_TSC_RATIO),
				    vals[i]);
	}
	return ok;
}

static int ratio_reserved_gp(void)
{
	static const unsigned bits[] = { 40, 47, 55, 63 };
	int ok = 1;

	for (unsigned i = 0; i < 4; i++) {
		struct l1_trap t;

		l1_arm((uint64_t)(uintptr_t)l1_wrmsr_insn, 2);
		l1_wrmsr_probe(MSR_TSC_RATIO, RATIO_ONE | 1ull << bits[i]);
		t = l1_disarm();
		ok &= TAP_EXPECT_EQ("exception (13 = #GP)", (long)t.vector, 13);
	}
	return ok & TAP_EXPECT_EQ("TSC ratio unchanged", rdmsr(MSR_TSC_RATIO),
				  RATIO_ONE);
}

static int l2_ratio_one(void)
{
	return check_read(l2_rdtsc, RATIO_ONE, 1ull << 40);
}

static int l2_ratio_half(void)
{
	return check_read(l2_rdtsc, 0x80000000ull, 12345);
}

static int l2_ratio_two_and_half(void)
{
	/* A negative offset: L2's TSC starts near 0. */
	return check_read(l2_rdtsc, 0x280000000ull,
			  (uint64_t)-(int64_t)scaled(rdtsc(), 0x280000000ull, 0));
}

static int l2_rdmsr_tsc(void)
{
	return check_read(l2_rdmsr, 0x140000000ull, 77);
}

static int l2_rdtscp_aux(void)
{
	uint64_t aux = rdmsr(MSR_TSC_AUX);
	int ok;

	wrmsr(MSR_TSC_AUX, 0x1234);
	{
		struct l2_gprs g = { 0 };
		uint64_t val, t0, t1;

		ok = run_read(l2_rdtscp, 0x155555555ull, 5, &g, &val, &t0, &t1);
		ok = ok && in_range("L2's TSC", val, scaled(t0, 0x155555555ull, 5),
				    scaled(t1, 0x155555555ull, 5));
		ok &= TAP_EXPECT_EQ("RDTSCP's ECX (TSC_AUX)", g.rcx, 0x1234);
	}
	wrmsr(MSR_TSC_AUX, aux);
	return ok;
}

/* L1's own RDTSC intercept comes first. */
static int l1_intercept_first(void)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };
	int ok;

	wrmsr(MSR_TSC_RATIO, 0x80000000ull);
	vmcb_default(v, l2_rdtsc);
	v->control.intercept_misc1 |= INTERCEPT1_RDTSC;
	l2_run(v, &g);
	wrmsr(MSR_TSC_RATIO, RATIO_ONE);
	ok = expect_exit(v, VMEXIT_RDTSC);
	return ok & TAP_EXPECT_EQ("rip", v->save.rip, (uint64_t)(uintptr_t)l2_rdtsc);
}

/* L2 writes the ratio MSR, which L1 does not intercept: L1's MSR. */
static int l2_writes_ratio(void)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rcx = MSR_TSC_RATIO, .rdx = 0 };
	uint64_t got;

	vmcb_default(v, l2_wrmsr);
	v->save.rax = 0x40000000ull; /* 0.25 */
	l2_run(v, &g);
	got = rdmsr(MSR_TSC_RATIO);
	wrmsr(MSR_TSC_RATIO, RATIO_ONE);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("L1's TSC ratio after L2's write", got, 0x40000000ull);
}

/* ---- TSC_ADJUST ---------------------------------------------------- */

static int adjust_write_moves_tsc(void)
{
	uint64_t a0 = rdmsr(MSR_TSC_ADJ), t0, t1, t2;
	int ok;

	t0 = rdtsc();
	wrmsr(MSR_TSC_ADJ, a0 + D);
	t1 = rdtsc();
	ok = TAP_EXPECT_EQ("TSC_ADJUST", rdmsr(MSR_TSC_ADJ), a0 + D);
	ok &= in_range("TSC after TSC_ADJUST += D", t1, t0 + D, t0 + D + M);
	wrmsr(MSR_TSC_ADJ, a0);
	t2 = rdtsc();
	ok &= in_range("TSC after TSC_ADJUST -= D", t2, t1 - D, t1 - D + M);
	return ok & TAP_EXPECT_EQ("TSC_ADJUST restored", rdmsr(MSR_TSC_ADJ), a0);
}

static int tsc_write_moves_adjust(void)
{
	uint64_t a0 = rdmsr(MSR_TSC_ADJ), t0, a1, t1;
	int ok;

	t0 = rdtsc();
	wrmsr(MSR_TSC, t0 + D);
	t1 = rdtsc();
	a1 = rdmsr(MSR_TSC_ADJ);
	/* adjust += (t0 + D) - (TSC at the write), that TSC in [t0, t1 - D] */
	ok = in_range("TSC_ADJUST after TSC := t0 + D", a1 - a0, D - M, D);
	ok &= in_range("TSC after the write", t1, t0 + D, t0 + D + M);
	wrmsr(MSR_TSC_ADJ, a0);
	return ok & in_range("TSC after TSC_ADJUST restored", rdtsc(),
			     t1 - (a1 - a0), t1 - (a1 - a0) + M);
}

static int l2_reads_adjust(void)
{
	uint64_t a0 = rdmsr(MSR_TSC_ADJ), val, t0, t1;
	struct l2_gprs g = { .rcx = MSR_TSC_ADJ };
	int ok;

	wrmsr(MSR_TSC_ADJ, a0 - D);
	ok = run_read(l2_rdmsr, RATIO_ONE, 1ull << 30, &g, &val, &t0, &t1);
	wrmsr(MSR_TSC_ADJ, a0);
	return ok & TAP_EXPECT_EQ("L2's TSC_ADJUST (L1's)", val, a0 - D);
}

/* L2 writes the TSC, which L1 does not intercept: L1's TSC becomes the
 * value and L1's TSC_ADJUST moves by the difference. */
static int l2_writes_tsc(void)
{
	struct vmcb *v = env.vmcb;
	uint64_t a0 = rdmsr(MSR_TSC_ADJ), t0, t1, a1, val;
	struct l2_gprs g = { .rcx = MSR_TSC };
	int ok;

	vmcb_default(v, l2_wrmsr);
	v->control.tsc_offset = 1ull << 36;
	t0 = rdtsc();
	val = t0 - D;
	v->save.rax = (uint32_t)val;
	g.rdx = val >> 32;
	l2_run(v, &g);
	t1 = rdtsc();
	a1 = rdmsr(MSR_TSC_ADJ);
	ok = expect_exit(v, VMEXIT_VMMCALL);
	/* adjust += val - (L1's TSC at the write, in [t0, t1 + D]) */
	ok &= in_range("TSC_ADJUST moved by", a1 - a0, (uint64_t)-D - M,
		       (uint64_t)-D);
	ok &= in_range("L1's TSC after", t1, val, val + M);
	wrmsr(MSR_TSC_ADJ, a0);
	return ok;
}

/* RDTSCP has its own intercept (exit 0x87); the RDTSC intercept does not
 * apply to it (APM Vol. 2 Table C-1, §15.9). */
static int rdtscp_run(uint32_t misc1, uint32_t misc2, uint64_t want)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };

	vmcb_default(v, l2_rdtscp);
	v->control.intercept_misc1 |= misc1;
	v->control.intercept_misc2 |= misc2;
	l2_run(v, &g);
	return expect_exit(v, want);
}

static int rdtscp_not_rdtsc(void)
{
	return rdtscp_run(INTERCEPT1_RDTSC, 0, VMEXIT_VMMCALL);
}

static int rdtscp_intercepted(void)
{
	return rdtscp_run(0, INTERCEPT2_RDTSCP, VMEXIT_RDTSCP) &
	       TAP_EXPECT_EQ("rip", env.vmcb->save.rip,
			     (uint64_t)(uintptr_t)l2_rdtscp);
}

static const struct tap_case always[] = {
	{ "exit.rdtscp.not_by_rdtsc_intercept", rdtscp_not_rdtsc },
	{ "exit.rdtscp.intercepted", rdtscp_intercepted },
};

static const struct tap_case scaling[] = {
	{ "tsc.ratio.reset_is_1_0", ratio_reset },
	{ "tsc.ratio.write_read", ratio_write_read },
	{ "tsc.ratio.reserved_bits_gp", ratio_reserved_gp },
	{ "tsc.l2.rdtsc.ratio_1_0", l2_ratio_one },
	{ "tsc.l2.rdtsc.ratio_0_5", l2_ratio_half },
	{ "tsc.l2.rdtsc.ratio_2_5_negative_offset", l2_ratio_two_and_half },
	{ "tsc.l2.rdmsr_tsc.ratio_1_25", l2_rdmsr_tsc },
	{ "tsc.l2.rdtscp.ratio_1_33", l2_rdtscp_aux },
	{ "tsc.l2.l1_rdtsc_intercept_first", l1_intercept_first },
	{ "tsc.l2.writes_l1_ratio_msr", l2_writes_ratio },
};

static const struct tap_case adjust[] = {
	{ "tsc_adjust.write_moves_tsc", adjust_write_moves_tsc },
	{ "tsc_adjust.tsc_write_moves_adjust", tsc_write_moves_adjust },
	{ "tsc_adjust.l2_reads_l1s", l2_reads_adjust },
	{ "tsc_adjust.l2_tsc_write_is_l1s", l2_writes_tsc },
};

struct case_list rdtscp_cases(void)
{
	if (cpuid(0x80000001).edx & (1u << 27))
		return (struct case_list){ always, TAP_COUNT(always) };
	return (struct case_list){ 0, 0 };
}

struct case_list tsc_cases(void)
{
	if (cpuid(0x8000000a).edx & (1u << 4))
		return (struct case_list){ scaling, TAP_COUNT(scaling) };
	return (struct case_list){ 0, 0 };
}

struct case_list tsc_adjust_cases(void)
{
	if (cpuid_count(7, 0).ebx & (1u << 1))
		return (struct case_list){ adjust, TAP_COUNT(adjust) };
	return (struct case_list){ 0, 0 };
}
