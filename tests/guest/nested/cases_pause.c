// SPDX-License-Identifier: MIT
/*
 * Pause filter (CPUID 8000_000A EDX[10]) and threshold (EDX[12]), AMD APM
 * Vol. 2, "Pause Intercept Filtering": VMRUN loads an internal counter from PauseFilterCount
 * (VMCB 03Eh); with the PAUSE intercept set, each PAUSE decrements it and
 * the PAUSE that brings it to zero is intercepted (count 0: every PAUSE).
 * With PauseFilterThreshold (03Ch) non-zero, a PAUSE more than that many
 * cycles after the previous one reloads the counter first.  L2 counts its
 * PAUSEs in RBX, so the exit tells which PAUSE was intercepted.
 *
 * Not offered (bare QEMU TCG): no case.
 */
#include "nested.h"
#include "core/x86.h"

#define A(p) ((uint64_t)(uintptr_t)(p))
#define INTERCEPT1_PAUSE INTERCEPT1(VMEXIT_PAUSE)

extern char l2_pause_forever[], l2_pause_n[], l2_pause_slow[];

static struct vmcb *pause_vmcb(const char *code, uint16_t count,
			       uint16_t thresh, int intercept)
{
	struct vmcb *v = env.vmcb;

	vmcb_default(v, code);
	if (intercept)
		v->control.intercept_misc1 |= INTERCEPT1_PAUSE;
	v->control.pause_filter_count = count;
	v->control.pause_filter_thresh = thresh;
	return v;
}

/* L2 PAUSEs back to back: the count-th is intercepted, at the PAUSE. */
static int nth_exits(uint16_t count, uint64_t want)
{
	struct vmcb *v = pause_vmcb(l2_pause_forever, count, 0, 1);
	struct l2_gprs g = { 0 };

	l2_run(v, &g);
	if (!expect_exit(v, VMEXIT_PAUSE))
		return 0;
	return TAP_EXPECT_EQ("PAUSEs reached (RBX)", g.rbx, want) &
	       TAP_EXPECT_EQ("rip at the PAUSE", v->save.rip,
			     A(l2_pause_forever) + 3);
}

static int count0(void) { return nth_exits(0, 1); }
static int count1(void) { return nth_exits(1, 1); }
static int count5(void) { return nth_exits(5, 5); }
static int count300(void) { return nth_exits(300, 300); }

/* Each VMRUN loads the counter again. */
static int vmrun_reloads(void)
{
	struct vmcb *v = pause_vmcb(l2_pause_forever, 5, 0, 1);
	struct l2_gprs g = { 0 };
	int ok;

	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_PAUSE) &&
	     TAP_EXPECT_EQ("PAUSEs at the first exit", g.rbx, 5);
	/* Resume after the PAUSE (F3 90). */
	l2_resume(v, &g, v->save.rip + 2);
	return ok && expect_exit(v, VMEXIT_PAUSE) &&
	       TAP_EXPECT_EQ("PAUSEs at the second exit", g.rbx, 10);
}

/* Without the PAUSE intercept the count does nothing. */
static int not_intercepted(void)
{
	struct vmcb *v = pause_vmcb(l2_pause_n, 1, 0, 0);
	struct l2_gprs g = { .r8 = 50 };

	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("PAUSEs left", g.r8, 0);
}

/* PAUSEs far apart (a delay loop of 20000 iterations between them, far
 * more than 100 cycles): each reloads the counter of 3, none is
 * intercepted in 10. */
static int threshold_gaps(void)
{
	struct vmcb *v = pause_vmcb(l2_pause_slow, 3, 100, 1);
	struct l2_gprs g = { .r8 = 20000, .r9 = 10 };

	l2_run(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("PAUSEs", g.rbx, 10);
}

/* The same with threshold 0: the 3rd PAUSE is intercepted. */
static int threshold_zero(void)
{
	struct vmcb *v = pause_vmcb(l2_pause_slow, 3, 0, 1);
	struct l2_gprs g = { .r8 = 20000, .r9 = 10 };

	l2_run(v, &g);
	return expect_exit(v, VMEXIT_PAUSE) &
	       TAP_EXPECT_EQ("PAUSEs", g.rbx, 3);
}

static const struct tap_case present[] = {
	{ "pause.count_0.every_pause", count0 },
	{ "pause.count_1.first", count1 },
	{ "pause.count_5.fifth", count5 },
	{ "pause.count_300", count300 },
	{ "pause.vmrun_reloads_count", vmrun_reloads },
	{ "pause.not_intercepted", not_intercepted },
};

static const struct tap_case threshold[] = {
	{ "pause.threshold.long_gaps_reload", threshold_gaps },
	{ "pause.threshold.zero_is_off", threshold_zero },
};

struct case_list pause_cases(void)
{
	if (cpuid(0x8000000a).edx & (1u << 10))
		return (struct case_list){ present, TAP_COUNT(present) };
	return (struct case_list){ 0, 0 };
}

struct case_list pause_threshold_cases(void)
{
	if (cpuid(0x8000000a).edx & (1u << 12))
		return (struct case_list){ threshold, TAP_COUNT(threshold) };
	return (struct case_list){ 0, 0 };
}
