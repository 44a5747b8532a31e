// SPDX-License-Identifier: MIT
/*
 * The end of Linux KVM's world switch in L1: VMSAVE; POP rAX; VMLOAD rAX
 * (l1_fuse.S).  Whatever nestvisor does with it (it emulates the POP and
 * the VMLOAD in the VMSAVE's exit where nothing can come between them,
 * svm/nested_fuse.c), the result must be the CPU's for three separate
 * instructions (AMD APM Vol. 2 §15.5.2 VMLOAD/VMSAVE, Vol. 3 POP):
 *  - RAX ends as the popped value, the stack balanced, the VMLOAD's state
 *    loaded from it;
 *  - a VMLOAD #GP for an rAX that is not page-aligned comes after the POP
 *    (RAX popped, RSP up by 8), at the VMLOAD's RIP;
 *  - single-step (§13.1.4) traps after each of the three, at the next
 *    instruction's RIP;
 *  - an instruction breakpoint on the POP (DR0, §13.1.1.5: a fault before
 *    the instruction) is taken there, with RAX not yet popped;
 *  - once the VMLOAD's bytes are rewritten (three NOPs), only the POP runs.
 * Under nestvisor the case "result" also checks, by NV_HC_CPU_STATS, that
 * the VMLOAD was emulated in the VMSAVE's exit, and the others that it was
 * not where it must not be.
 */
#include "nested.h"
#include "core/hypercall.h"
#include "core/x86.h"

extern char l1_fuse_pop[], l1_fuse_vmload[], l1_fuse_next[];
extern char l1_fuse_step_pop[], l1_fuse_step_vmload[], l1_fuse_step_next[];
void l1_fuse(uint64_t save_pa, uint64_t load_pa, uint64_t out[2]);
void l1_fuse_step(uint64_t save_pa, uint64_t load_pa, uint64_t out[2]);

#define A(p) ((uint64_t)(uintptr_t)(p))
#define DR6_BS (1ull << 14)
#define DR6_B0 (1ull << 0)
#define FS_MARK 0x0000123456789000ull

static struct vmcb *save_area, *load_area;

/* nestvisor's count of L1 VMLOADs emulated in a VMSAVE's exit, summed
 * over the CPUs it has; ~0 when not under nestvisor. */
static uint64_t fused_count(void)
{
	return nv_cpu_stat_sum(0);
}

/* The two VMCBs: load_area holds L1's current VMLOAD state with FS.base
 * changed to FS_MARK. */
static void areas(void)
{
	if (!save_area) {
		save_area = env_page();
		load_area = env_page();
	}
	vmsave(A(load_area));
	load_area->save.fs.base = FS_MARK;
}

/* Put L1's own VMLOAD state back (FS.base and the rest). */
static void restore(void)
{
	vmload(A(save_area));
}

static int fused_delta(uint64_t before, uint64_t want)
{
	uint64_t after = fused_count();

	if (before == ~0ull) /* not under nestvisor: nothing to count */
		return 1;
	return TAP_EXPECT_EQ("VMLOADs emulated in the VMSAVE's exit",
			     after - before, want);
}

static int fuse_result(void)
{
	uint64_t out[2], fs, before;
	int ok;

	areas();
	before = fused_count();
	l1_fuse(A(save_area), A(load_area), out);
	fs = rdmsr(MSR_FS_BASE);
	ok = fused_delta(before, 1);
	restore();
	ok &= TAP_EXPECT_EQ("RAX: the popped address", out[0], A(load_area));
	ok &= TAP_EXPECT_EQ("RSP balanced", out[1], 0);
	ok &= TAP_EXPECT_EQ("FS.base from the VMLOAD", fs, FS_MARK);
	return ok & TAP_EXPECT_EQ("VMSAVE stored FS.base", save_area->save.fs.base,
				  rdmsr(MSR_FS_BASE));
}

static int fuse_gp_after_pop(void)
{
	uint64_t out[2], bad, before;
	struct l1_trap t;
	int ok;

	areas();
	bad = A(load_area) + 8; /* not page-aligned: #GP(0) */
	before = fused_count();
	l1_arm(A(l1_fuse_vmload), 3);
	l1_fuse(A(save_area), bad, out);
	t = l1_disarm();
	ok = fused_delta(before, 1);
	restore();
	ok &= TAP_EXPECT_EQ("exception at the VMLOAD", (uint64_t)t.vector, X86_VEC_GP);
	ok &= TAP_EXPECT_EQ("its error code", t.error_code, 0);
	ok &= TAP_EXPECT_EQ("RAX popped before it", out[0], bad);
	return ok & TAP_EXPECT_EQ("RSP balanced (the POP completed)", out[1], 0);
}

static int fuse_step(void)
{
	uint64_t out[2], before;
	int ok;

	areas();
	before = fused_count();
	env.step_n = 0;
	env.step_log_on = 1;
	l1_fuse_step(A(save_area), A(load_area), out);
	env.step_log_on = 0;
	ok = fused_delta(before, 0);
	restore();
	if (!TAP_EXPECT_EQ("traps taken (at least 3)", env.step_n >= 3, 1))
		return 0;
	ok &= TAP_EXPECT_EQ("trap after the VMSAVE", env.step_rip[0], A(l1_fuse_step_pop));
	ok &= TAP_EXPECT_EQ("trap after the POP", env.step_rip[1], A(l1_fuse_step_vmload));
	ok &= TAP_EXPECT_EQ("trap after the VMLOAD", env.step_rip[2], A(l1_fuse_step_next));
	ok &= TAP_EXPECT_EQ("DR6.BS of each", (env.step_dr6[0] & env.step_dr6[1] &
						env.step_dr6[2]) & DR6_BS, DR6_BS);
	ok &= TAP_EXPECT_EQ("RAX: the popped address", out[0], A(load_area));
	return ok & TAP_EXPECT_EQ("RSP balanced", out[1], 0);
}

static int fuse_breakpoint(void)
{
	uint64_t out[2], dr6, before;
	struct l1_trap t;
	int ok;

	areas();
	before = fused_count();
	/* The #DB fault at the POP is caught and the POP skipped: the VMLOAD
	 * then reads rAX as the VMSAVE left it (save_area), and the pushed
	 * slot stays on the stack. */
	l1_arm(A(l1_fuse_pop), 1);
	__asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0ull));
	__asm__ volatile("mov %0, %%dr0" ::"r"(A(l1_fuse_pop)));
	__asm__ volatile("mov %0, %%dr7" ::"r"(0x401ull)); /* L0, execute, 1 byte */
	l1_fuse(A(save_area), A(load_area), out);
	__asm__ volatile("mov %0, %%dr7" ::"r"(0x400ull));
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	__asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0ull));
	t = l1_disarm();
	ok = fused_delta(before, 0);
	restore();
	ok &= TAP_EXPECT_EQ("#DB at the POP", (uint64_t)t.vector, X86_VEC_DB);
	ok &= TAP_EXPECT_EQ("DR6.B0", dr6 & DR6_B0, DR6_B0);
	ok &= TAP_EXPECT_EQ("RAX not popped", out[0], A(save_area));
	return ok & TAP_EXPECT_EQ("the slot still pushed", out[1], (uint64_t)-8);
}

/* A copy of l1_fuse in a page of its own, run, then run again after its
 * VMLOAD became three NOPs: the second run must execute the POP and the
 * NOPs only (FS.base as the VMSAVE found it), whatever was learnt from
 * the bytes before. */
static int fuse_code_rewritten(void)
{
	static uint8_t *page;
	uint64_t n = A(l1_fuse_step) - A(l1_fuse);
	uint64_t at = A(l1_fuse_vmload) - A(l1_fuse);
	void (*fn)(uint64_t, uint64_t, uint64_t *);
	uint64_t out[2], fs1, fs2, fs_before, d1, d2, before;
	int ok;

	if (!page)
		page = env_page();
	for (uint64_t i = 0; i < n; i++)
		page[i] = ((const volatile uint8_t *)A(l1_fuse))[i];
	fn = (void (*)(uint64_t, uint64_t, uint64_t *))(uintptr_t)page;
	areas();
	before = fused_count();
	fn(A(save_area), A(load_area), out);
	fs1 = rdmsr(MSR_FS_BASE);
	d1 = fused_count() - before;
	restore();
	for (unsigned i = 0; i < 3; i++)
		((volatile uint8_t *)page)[at + i] = 0x90;
	areas();
	fs_before = rdmsr(MSR_FS_BASE);
	before = fused_count();
	fn(A(save_area), A(load_area), out);
	fs2 = rdmsr(MSR_FS_BASE);
	d2 = fused_count() - before;
	restore();
	ok = TAP_EXPECT_EQ("first run: FS.base from the VMLOAD", fs1, FS_MARK);
	ok &= TAP_EXPECT_EQ("second run: FS.base untouched by the NOPs", fs2, fs_before);
	ok &= TAP_EXPECT_EQ("second run: RAX popped", out[0], A(load_area));
	ok &= TAP_EXPECT_EQ("second run: RSP balanced", out[1], 0);
	if (before != ~0ull) {
		ok &= TAP_EXPECT_EQ("first run: the VMLOAD emulated in the VMSAVE's exit", d1, 1);
		ok &= TAP_EXPECT_EQ("second run: nothing emulated after the VMSAVE", d2, 0);
	}
	return ok;
}

static const struct tap_case cases[] = {
	{ "fuse.vmsave_pop_vmload.result", fuse_result },
	{ "fuse.vmsave_pop_vmload.gp_after_pop", fuse_gp_after_pop },
	{ "fuse.vmsave_pop_vmload.single_step", fuse_step },
	{ "fuse.vmsave_pop_vmload.breakpoint_on_pop", fuse_breakpoint },
	{ "fuse.vmsave_pop_vmload.code_rewritten", fuse_code_rewritten },
};

struct case_list fuse_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
