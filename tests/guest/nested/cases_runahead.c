// SPDX-License-Identifier: MIT
/*
 * The entry of Linux 6.1's KVM into its guest (l1_runahead.S): VMLOAD,
 * two loads that lead to vmcb12's address, 14 GPR loads, JMP over a VERW,
 * VMRUN; after the #VMEXIT the GPRs stored to their slots.  Whatever
 * nestvisor does with it (it may run ahead from the VMLOAD's exit to the
 * VMRUN, docs/nested.md), the result must be the CPU's for the separate
 * instructions (AMD APM Vol. 2 §15.5 VMRUN, §15.5.2 VMLOAD; Vol. 3 MOV,
 * JMP):
 *  - L2 runs with every GPR but RAX and RSP as the loads left it, and
 *    VMRUN and the #VMEXIT leave them so (§15.5: they are not saved or
 *    loaded): after L2's VMMCALL, L1 stores exactly the block's values;
 *    the VMLOAD's FS.base is in place;
 *  - single-step (§13.1.4) traps after each instruction from the load of
 *    VMLOAD's address to the JMP, at the next one's RIP: 19 traps (the
 *    one after VMRUN is not counted: QEMU TCG omits it, docs/semantics.md
 *    §10.3); #DB traps are taken with the GIF clear (§15.17, Table 15-10);
 *  - an instruction breakpoint (DR0, §13.1.1.5) on the 5th load with the
 *    GIF clear: Table 15-10 has the CPU discard a #DB of a breakpoint
 *    register match while the GIF is clear, QEMU TCG takes it (a fault
 *    before the instruction); either is accepted, each checked in full,
 *    and which one is a fact that nested-compare holds equal on bare QEMU
 *    and under nestvisor;
 *  - a load from a page that L1's paging does not map: #PF at that load
 *    (error code 0: not present, read, supervisor; CR2 its address) with
 *    the loads before it done and none after;
 *  - a load whose address is not canonical: #GP(0) at it;
 *  - with the GIF set, or one load made an ADD, the same as the CPU;
 *  - a load from the xAPIC page (the version register, through an alias
 *    of L1's paging): whatever the APIC answers to a 64-bit read (it
 *    defines 32-bit accesses only; QEMU's answers 0), the same on bare
 *    QEMU and under nestvisor (a fact), every other load as ever.
 * A case that expects a fault ends there: the catcher resumes at the
 * snippet's fault exit, which stores the GPRs as they were at the fault.
 * Under nestvisor every case also checks, by NV_HC_CPU_STATS R11, how
 * many VMRUNs were emulated in a VMLOAD's exit: 1 for "result", where
 * nothing stops it, and 0 for the others.
 */
#include "nested.h"
#include "l1_runahead.h"
#include "core/hypercall.h"
#include "core/x86.h"
#include "mm/pte.h"

extern char l2_vmmcall[];

#define A(p) ((uint64_t)(uintptr_t)(p))
#define DR6_BS (1ull << 14)
#define DR6_B0 (1ull << 0)
#define FS_MARK 0x0000123456789000ull
#define EXIT_NONE 0x5e5eull /* not an exit code: vmcb12 untouched */
#define MSR_APIC_BASE 0x1bu
#define APIC_BASE_EXTD (1ull << 10)
#define APIC_VERSION 0x30u

/* L1's alias window (PML4 slot 2, linear 1 TiB): page 0 and 2 RAM, page
 * 1 the xAPIC page, page 3 not present. */
#define WIN_SLOT 2u
#define WIN ((uint64_t)WIN_SLOT << 39)

/* The GPR loads M3..M16 in the snippet's order: the slot of each. */
static const uint16_t load_slot[14] = {
	RA_RCX, RA_RDX, RA_RBX, RA_RBP, RA_RSI, RA_R8, RA_R9,
	RA_R10, RA_R11, RA_R12, RA_R13, RA_R14, RA_R15, RA_RDI,
};
static const char *const load_name[14] = {
	"RCX", "RDX", "RBX", "RBP", "RSI", "R8", "R9",
	"R10", "R11", "R12", "R13", "R14", "R15", "RDI",
};

static struct vmcb *orig_area, *load_area;
static uint64_t *win_pdpt, *win_pd, *win_pt;
static uint8_t *win_ram0, *win_ram2, *block_page;
static struct ra_vmcb_info info;

static uint64_t *slot(const void *b, unsigned off)
{
	return (uint64_t *)((uintptr_t)b + off);
}

/* A value for each slot that is neither a sentinel nor an address. */
static uint64_t value(unsigned off)
{
	return 0x0a1a000000000000ull | ((uint64_t)off << 16) | off;
}

/* nestvisor's count of VMRUNs emulated in the exit of the VMLOAD before
 * them, summed over its CPUs; ~0 when not under nestvisor. */
static uint64_t ra_count(void)
{
	return nv_cpu_stat_sum(1);
}

static int ra_delta(uint64_t before, uint64_t want)
{
	uint64_t after = ra_count();

	if (before == ~0ull) /* not under nestvisor: nothing to count */
		return 1;
	return TAP_EXPECT_EQ("VMRUNs emulated in the VMLOAD's exit", after - before, want);
}

static int setup(void)
{
	if (!orig_area) {
		orig_area = env_page();
		load_area = env_page();
		win_pdpt = env_page();
		win_pd = env_page();
		win_pt = env_page();
		win_ram0 = env_page();
		win_ram2 = env_page();
		block_page = env_page();
	}
	if (!TAP_EXPECT_EQ("pages for the cases", block_page != NULL, 1))
		return 0;
	/* L1's VMLOAD state, kept; the snippet's VMLOAD loads it with
	 * FS.base = FS_MARK. */
	vmsave(A(orig_area));
	vmsave(A(load_area));
	load_area->save.fs.base = FS_MARK;
	vmcb_default(env.vmcb, l2_vmmcall);
	env.vmcb->control.exit_code = EXIT_NONE;
	info.va = info.pa = A(env.vmcb);
	return 1;
}

static void restore(void)
{
	vmload(A(orig_area));
}

/* The block at b: every field the snippet reads, from the vmcb01 slot to
 * R15's, and RDI's when with_rdi (the gap between is not touched). */
static void fill(struct ra_vcpu *b, int with_rdi)
{
	b->vmcb01_pa = A(load_area);
	b->current_vmcb = &info;
	for (unsigned i = 0; i < 13; i++)
		*slot(b, load_slot[i]) = value(load_slot[i]);
	if (with_rdi)
		b->rdi = value(RA_RDI);
}

static void out_init(struct ra_vcpu *out)
{
	for (unsigned i = 0; i < sizeof(*out); i++)
		((volatile uint8_t *)out)[i] = 0;
	out->rax = RA_SENTINEL(RA_RAX);
}

static void win_map(void)
{
	uint64_t *pml4 = (uint64_t *)(uintptr_t)env.l1_cr3;
	uint64_t apic = rdmsr(MSR_APIC_BASE) & 0xffffff000ull;

	for (unsigned i = 0; i < 512; i++)
		win_pdpt[i] = win_pd[i] = win_pt[i] = 0;
	win_pt[0] = A(win_ram0) | PTE_P | PTE_RW;
	win_pt[1] = apic | PTE_P | PTE_RW | PTE_PCD | PTE_PWT;
	win_pt[2] = A(win_ram2) | PTE_P | PTE_RW;
	win_pd[0] = A(win_pt) | PTE_P | PTE_RW;
	win_pdpt[0] = A(win_pd) | PTE_P | PTE_RW;
	pml4[WIN_SLOT] = A(win_pdpt) | PTE_P | PTE_RW;
	write_cr3(read_cr3());
}

static void win_unmap(void)
{
	((uint64_t *)(uintptr_t)env.l1_cr3)[WIN_SLOT] = 0;
	write_cr3(read_cr3());
}

/* out holds the first n GPR loads' values and the sentinels of the rest
 * (RDI, not loaded, still the block's address b). */
static int loaded(const struct ra_vcpu *out, const void *b, unsigned n)
{
	int ok = 1;

	for (unsigned i = 0; i < 14; i++) {
		unsigned off = load_slot[i];
		uint64_t want = i < n ? value(off) : off == RA_RDI ? A(b) : RA_SENTINEL(off);

		ok &= TAP_EXPECT_EQ(load_name[i], *slot(out, off), want);
	}
	return ok;
}

/* The snippet lies in one page from its VMLOAD to its VMRUN. */
static int one_page(const uint64_t *at)
{
	return TAP_EXPECT_EQ("the snippet in one page", at[RA_I_VMLOAD] >> 12,
			     (at[RA_I_VMRUN] + 2) >> 12);
}

/* After a complete run: L2 exited with its VMMCALL, the VMLOAD's FS.base
 * in place. */
static int ran_l2(uint64_t fs)
{
	return expect_exit(env.vmcb, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("FS.base from the VMLOAD", fs, FS_MARK);
}

/* One complete run of fn (l1_ra_run or l1_ra_add) from a block filled
 * afresh, its GIF cleared around it if clear_gif: the count rose by want,
 * L2 ran.  *bp: the block; *out: what L1 held after. */
static int complete_run(void (*fn)(const struct ra_vcpu *, struct ra_vcpu *),
			int clear_gif, uint64_t want, struct ra_vcpu **bp,
			struct ra_vcpu *out)
{
	struct ra_vcpu *b = (struct ra_vcpu *)block_page;
	uint64_t before, fs;
	int ok;

	fill(b, 1);
	out_init(out);
	before = ra_count();
	if (clear_gif)
		clgi();
	fn(b, out);
	if (clear_gif)
		stgi();
	fs = rdmsr(MSR_FS_BASE);
	ok = ra_delta(before, want);
	restore();
	*bp = b;
	return ok & ran_l2(fs);
}

/* The 6.1 entry as it is, GIF cleared around it or not: every load done
 * (by L1 or for it), the count up by want. */
static int plain_run(int clear_gif, uint64_t want)
{
	struct ra_vcpu *b, out;
	int ok;

	if (!setup() || !one_page(l1_ra_run_at))
		return 0;
	ok = complete_run(l1_ra_run, clear_gif, want, &b, &out);
	return ok & loaded(&out, b, 14);
}

static int ra_result(void)
{
	return plain_run(1, 1);
}

static int ra_single_step(void)
{
	struct ra_vcpu *b, out;
	const uint64_t *at = l1_ra_step_at;
	uint64_t before, fs;
	unsigned in_window = 0, n;
	int ok;

	if (!setup() || !one_page(at))
		return 0;
	b = (struct ra_vcpu *)block_page;
	fill(b, 1);
	out_init(&out);
	before = ra_count();
	env.step_n = 0;
	env.step_log_on = 1;
	clgi();
	l1_ra_step(b, &out);
	stgi();
	env.step_log_on = 0;
	fs = rdmsr(MSR_FS_BASE);
	ok = ra_delta(before, 0);
	restore();
	n = env.step_n < STEP_LOG_SIZE ? env.step_n : STEP_LOG_SIZE;
	for (unsigned i = 0; i < n; i++)
		in_window += env.step_rip[i] >= at[RA_I_VMLOAD] &&
			     env.step_rip[i] <= at[RA_I_VMRUN];
	/* After the load of VMLOAD's address: the VMLOAD; after it M1..M16,
	 * the JMP, the VMRUN. */
	ok &= TAP_EXPECT_EQ("traps up to the VMRUN", in_window, RA_I_VMRUN - RA_I_VMLOAD + 1);
	if (!TAP_EXPECT_EQ("traps logged (at least 19)", n >= RA_I_VMRUN + 1, 1))
		return 0;
	for (unsigned i = RA_I_VMLOAD; i <= RA_I_VMRUN; i++) {
		ok &= TAP_EXPECT_EQ("trap RIP: the next instruction", env.step_rip[i], at[i]);
		ok &= TAP_EXPECT_EQ("its DR6.BS", env.step_dr6[i] & DR6_BS, DR6_BS);
	}
	ok &= ran_l2(fs);
	return ok & loaded(&out, b, 14);
}

static int ra_breakpoint_on_mov(void)
{
	struct ra_vcpu *b, out;
	const uint64_t *at = l1_ra_run_at;
	uint64_t before, fs, dr6;
	struct l1_trap t;
	int ok;

	if (!setup() || !one_page(at))
		return 0;
	b = (struct ra_vcpu *)block_page;
	fill(b, 1);
	out_init(&out);
	before = ra_count();
	/* M5, the RBX load: M1 and M2 (RAX), RCX and RDX before it. */
	l1_arm(at[RA_I_M1 + 4], at[RA_I_FAULT] - at[RA_I_M1 + 4]);
	__asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0ull));
	__asm__ volatile("mov %0, %%dr0" ::"r"(at[RA_I_M1 + 4]));
	clgi();
	__asm__ volatile("mov %0, %%dr7" ::"r"(0x401ull)); /* L0, execute, 1 byte */
	l1_ra_run(b, &out);
	__asm__ volatile("mov %0, %%dr7" ::"r"(0x400ull));
	stgi();
	__asm__ volatile("mov %%dr6, %0" : "=r"(dr6));
	__asm__ volatile("mov %0, %%dr6" ::"r"(0xffff0ff0ull));
	t = l1_disarm();
	fs = rdmsr(MSR_FS_BASE);
	ok = ra_delta(before, 0);
	restore();
	tap_fact("runahead.breakpoint_on_mov.db_taken", "%d", t.vector >= 0);
	if (t.vector < 0) {
		/* Discarded with the GIF clear (Table 15-10): a complete run. */
		tap_diag("the #DB was discarded (GIF clear)");
		ok &= ran_l2(fs);
		return ok & loaded(&out, b, 14);
	}
	ok &= TAP_EXPECT_EQ("#DB at the 5th load", (uint64_t)t.vector, X86_VEC_DB);
	ok &= TAP_EXPECT_EQ("DR6.B0", dr6 & DR6_B0, DR6_B0);
	ok &= TAP_EXPECT_EQ("RAX: vmcb12's address", out.rax, A(env.vmcb));
	ok &= TAP_EXPECT_EQ("no VMRUN", env.vmcb->control.exit_code, EXIT_NONE);
	ok &= TAP_EXPECT_EQ("FS.base from the VMLOAD", fs, FS_MARK);
	return ok & loaded(&out, b, 2);
}

static int ra_pf_on_mov(void)
{
	/* R8's slot (M8) at the start of the window's page 3: the block's
	 * fields before it on page 2. */
	struct ra_vcpu *b = (struct ra_vcpu *)(uintptr_t)(WIN + 3 * PAGE_SIZE - RA_R8), out;
	const uint64_t *at = l1_ra_run_at;
	uint64_t before, fs, cr2;
	struct l1_trap t;
	int ok;

	if (!setup() || !one_page(at))
		return 0;
	win_map();
	b->vmcb01_pa = A(load_area);
	b->current_vmcb = &info;
	for (unsigned i = 0; i < 5; i++) /* RCX..RSI */
		*slot(b, load_slot[i]) = value(load_slot[i]);
	out_init(&out);
	before = ra_count();
	l1_arm(at[RA_I_M1 + 7], at[RA_I_FAULT] - at[RA_I_M1 + 7]);
	clgi();
	l1_ra_run(b, &out);
	stgi();
	cr2 = read_cr2();
	t = l1_disarm();
	fs = rdmsr(MSR_FS_BASE);
	ok = ra_delta(before, 0);
	restore();
	win_unmap();
	ok &= TAP_EXPECT_EQ("#PF at the 8th load", (uint64_t)t.vector, X86_VEC_PF);
	ok &= TAP_EXPECT_EQ("error code: not present, read, supervisor", t.error_code, 0);
	ok &= TAP_EXPECT_EQ("CR2: R8's slot", cr2, WIN + 3 * PAGE_SIZE);
	ok &= TAP_EXPECT_EQ("RAX: vmcb12's address", out.rax, A(env.vmcb));
	ok &= TAP_EXPECT_EQ("no VMRUN", env.vmcb->control.exit_code, EXIT_NONE);
	ok &= TAP_EXPECT_EQ("FS.base from the VMLOAD", fs, FS_MARK);
	return ok & loaded(&out, b, 5);
}

static int ra_gp_noncanonical(void)
{
	struct ra_vcpu *b, out;
	const uint64_t *at = l1_ra_run_at;
	const uint64_t bad = 0x8000000000000000ull; /* M2 reads bad + 8 */
	uint64_t before, fs;
	struct l1_trap t;
	int ok;

	if (!setup() || !one_page(at))
		return 0;
	b = (struct ra_vcpu *)block_page;
	fill(b, 1);
	b->current_vmcb = (const struct ra_vmcb_info *)(uintptr_t)bad;
	out_init(&out);
	before = ra_count();
	l1_arm(at[RA_I_M1 + 1], at[RA_I_FAULT] - at[RA_I_M1 + 1]);
	clgi();
	l1_ra_run(b, &out);
	stgi();
	t = l1_disarm();
	fs = rdmsr(MSR_FS_BASE);
	ok = ra_delta(before, 0);
	restore();
	ok &= TAP_EXPECT_EQ("#GP at the 2nd load", (uint64_t)t.vector, X86_VEC_GP);
	ok &= TAP_EXPECT_EQ("its error code", t.error_code, 0);
	ok &= TAP_EXPECT_EQ("RAX: the 1st load's value", out.rax, bad);
	ok &= TAP_EXPECT_EQ("no VMRUN", env.vmcb->control.exit_code, EXIT_NONE);
	ok &= TAP_EXPECT_EQ("FS.base from the VMLOAD", fs, FS_MARK);
	return ok & loaded(&out, b, 0);
}

static int ra_gif_set(void)
{
	return plain_run(0, 0);
}

static int ra_code_not_mov(void)
{
	struct ra_vcpu *b, out;
	int ok;

	if (!setup() || !one_page(l1_ra_add_at))
		return 0;
	ok = complete_run(l1_ra_add, 1, 0, &b, &out);
	/* M5 adds RBX's slot to the sentinel; every other load as ever. */
	ok &= TAP_EXPECT_EQ("RBX: sentinel + slot (ADD)", out.rbx,
			    RA_SENTINEL(RA_RBX) + value(RA_RBX));
	out.rbx = value(RA_RBX);
	return ok & loaded(&out, b, 14);
}

static int ra_load_from_apic(void)
{
	/* RDI's slot (M16, the last load) at the version register of the
	 * window's page 1 (the xAPIC page); R15's and every other field
	 * before it on page 0. */
	struct ra_vcpu *b = (struct ra_vcpu *)(uintptr_t)(WIN + PAGE_SIZE + APIC_VERSION - RA_RDI);
	struct ra_vcpu out;
	uint64_t before, fs;
	int ok;

	if (!setup() || !one_page(l1_ra_run_at))
		return 0;
	if (!TAP_EXPECT_EQ("xAPIC mode (APIC_BASE.EXTD clear)",
			   rdmsr(MSR_APIC_BASE) & APIC_BASE_EXTD, 0))
		return 0;
	win_map();
	fill(b, 0);
	out_init(&out);
	before = ra_count();
	clgi();
	l1_ra_run(b, &out);
	stgi();
	fs = rdmsr(MSR_FS_BASE);
	ok = ra_delta(before, 0);
	restore();
	win_unmap();
	/* The APIC defines 32-bit accesses only (APM Vol. 2 chapter 16): a
	 * 64-bit load returns what the machine gives, a fact compared with bare
	 * QEMU's, not checked here. */
	tap_fact("runahead.apic_version_qword", "0x%lx", out.rdi);
	ok &= ran_l2(fs);
	out.rdi = value(RA_RDI);
	return ok & loaded(&out, b, 14);
}

static const struct tap_case cases[] = {
	{ "runahead.result", ra_result },
	{ "runahead.single_step", ra_single_step },
	{ "runahead.breakpoint_on_mov", ra_breakpoint_on_mov },
	{ "runahead.pf_on_mov", ra_pf_on_mov },
	{ "runahead.gp_noncanonical", ra_gp_noncanonical },
	{ "runahead.gif_set", ra_gif_set },
	{ "runahead.code_not_mov", ra_code_not_mov },
	{ "runahead.load_from_apic", ra_load_from_apic },
};

struct case_list runahead_cases(void)
{
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
