// SPDX-License-Identifier: MIT
/*
 * L1 state a CPU refuses.  Group "state": WRMSR EFER and MOV CR4 with bits
 * the CPU does not offer raise #GP (APM Vol. 2 §3.1.7 EFER, §3.1.3 CR4;
 * Vol. 3 WRMSR, MOV CRn) and change nothing; legal writes still work;
 * the same for L2's MOV CR4; and VMSAVE onto a page of L1's NPT that the
 * shadow NPT write-protects is seen by the shadow as a write.
 * Group "unrunnable": states that the CPU below nestvisor (QEMU TCG) lets
 * L1 reach where hardware raises #GP: nestvisor gives the #GP where L1's
 * state allows, and otherwise shuts L1 down as after a triple fault
 * (tests/meson.build expects that end).
 */
#include "attack.h"
#include "core/x86.h"
#include "tests/guest/nested/npt.h"

#define EFER_BIT9  (1ull << 9)   /* reserved (APM Vol. 2 Figure 3-8) */
#define EFER_BIT16 (1ull << 16)  /* reserved */
#define CR4_BIT13  (1ull << 13)  /* VMXE on Intel, reserved on AMD */
#define CR4_BIT15  (1ull << 15)  /* reserved */

extern const char l2_read[];

static int efer_refused(uint64_t bit, const char *name)
{
	uint64_t before = rdmsr(MSR_EFER);
	struct l1_trap t = try_wrmsr(MSR_EFER, before | bit);
	uint64_t after = rdmsr(MSR_EFER);

	tap_diag("WRMSR EFER 0x%lx (%s): exception %d, EFER now 0x%lx",
		 before | bit, name, t.vector, after);
	return expect_vector("WRMSR", t, X86_VEC_GP) &
	       TAP_EXPECT_EQ("EFER unchanged", after, before);
}

static int efer_lmsle(void) { return efer_refused(X86_EFER_LMSLE, "LMSLE"); }
static int efer_tce(void) { return efer_refused(X86_EFER_TCE, "TCE"); }
static int efer_bit9(void) { return efer_refused(EFER_BIT9, "bit 9"); }
static int efer_bit16(void) { return efer_refused(EFER_BIT16, "bit 16"); }

/* CPUID says what the EFER writes above found: no TCE, no LMSLE. */
static int efer_cpuid(void)
{
	return TAP_EXPECT_EQ("CPUID 0x80000001 ECX[17] (TCE)",
			     (cpuid(0x80000001).ecx >> 17) & 1, 0) &
	       TAP_EXPECT_EQ("CPUID 0x80000008 EBX[20] (no LMSLE)",
			     (cpuid(0x80000008).ebx >> 20) & 1, 1);
}

static int cr4_refused(uint64_t val, const char *what)
{
	uint64_t before = read_cr4();
	struct l1_trap t = try_mov_cr4(val);
	uint64_t after = read_cr4();

	tap_diag("MOV CR4 0x%lx (%s): exception %d, CR4 now 0x%lx", val, what,
		 t.vector, after);
	return expect_vector("MOV CR4", t, X86_VEC_GP) &
	       TAP_EXPECT_EQ("CR4 unchanged", after, before);
}

static int cr4_bit13(void) { return cr4_refused(read_cr4() | CR4_BIT13, "bit 13"); }
static int cr4_bit15(void) { return cr4_refused(read_cr4() | CR4_BIT15, "bit 15"); }
static int cr4_no_pae(void)
{
	return cr4_refused(read_cr4() & ~X86_CR4_PAE, "PAE clear in long mode");
}

/* A legal MOV CR4 (PGE toggled, then back) takes effect. */
static int cr4_legal(void)
{
	uint64_t before = read_cr4(), mid;
	struct l1_trap t1 = try_mov_cr4(before ^ X86_CR4_PGE), t2;

	mid = read_cr4();
	t2 = try_mov_cr4(before);
	return expect_vector("first MOV CR4", t1, -1) &
	       expect_vector("second MOV CR4", t2, -1) &
	       TAP_EXPECT_EQ("CR4 after the first", mid, before ^ X86_CR4_PGE) &
	       TAP_EXPECT_EQ("CR4 after the second", read_cr4(), before);
}

/* L2's MOV CR4: a reserved bit raises #GP in L2 (L1 intercepts every
 * exception: #VMEXIT 0x4d with error code 0); a legal value reaches
 * L2's CR4 (vmcb12 after the VMMCALL). */
static int l2_cr4(void)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rcx = env.l1_cr4 | CR4_BIT15 };
	int ok;

	vmcb_default(v, l2_mov_cr4);
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_EXCP_BASE + X86_VEC_GP) &
	     TAP_EXPECT_EQ("#GP error code", v->control.exit_info_1, 0) &
	     TAP_EXPECT_EQ("L2 CR4 unchanged", v->save.cr4, env.l1_cr4);
	vmcb_default(v, l2_mov_cr4);
	g = (struct l2_gprs){ .rcx = env.l1_cr4 ^ X86_CR4_PGE };
	l2_run(v, &g);
	return ok & expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("L2 CR4", v->save.cr4, env.l1_cr4 ^ X86_CR4_PGE);
}

/*
 * VMSAVE writes FS (selector, attributes, limit) at VMCB offset 0x440 and
 * its base at 0x448 (APM Vol. 2 Table B-2): onto L1's NPT page table,
 * those are entries 136 and 137.  L2 first reads through entry 136 (the
 * shadow NPT builds from that page and protects it), then L1 VMSAVEs with
 * a null FS onto the page: entry 136 becomes 0.  Like any write to the
 * NPT, it counts from the next TLB flush (vmcb12 asks for one at every
 * VMRUN): L2's read then faults, not present (#VMEXIT(NPF), EXITINFO1
 * bit 0 clear).
 */
static int vmsave_onto_protected_npt(void)
{
	struct vmcb *v = env.vmcb, *saved = env.vmcb_aux, *nullfs = env_page();
	uint64_t gpa = R1 + 136 * PAGE_SIZE;
	struct l2_gprs g = { .rbx = gpa };
	struct l1_trap t;
	int ok;

	if (!nullfs)
		return 0;
	npt_reset();
	npt.pt1[136] = (uint64_t)(uintptr_t)npt.data | PTE_P | PTE_RW | PTE_US;
	npt.l2_pt1[136] = gpa | PTE_P | PTE_RW;
	vmcb_default(v, l2_read);
	vmcb_use_npt(v);
	l2_run(v, &g);
	ok = expect_exit(v, VMEXIT_VMMCALL) &
	     TAP_EXPECT_EQ("L2 read before", g.rcx, DATA_PATTERN);
	vmsave((uint64_t)(uintptr_t)saved);
	for (unsigned i = 0; i < PAGE_SIZE / 8; i++)
		((volatile uint64_t *)nullfs)[i] = ((volatile uint64_t *)saved)[i];
	nullfs->save.fs = (struct vmcb_seg){ 0 };
	vmload((uint64_t)(uintptr_t)nullfs);
	t = try_vmsave((uint64_t)(uintptr_t)npt.pt1);
	vmload((uint64_t)(uintptr_t)saved);
	ok &= expect_vector("VMSAVE", t, -1) &
	      TAP_EXPECT_EQ("NPT entry 136 after VMSAVE", npt.pt1[136], 0);
	vmcb_default(v, l2_read);
	vmcb_use_npt(v);
	g = (struct l2_gprs){ .rbx = gpa };
	l2_run(v, &g);
	ok &= expect_exit(v, VMEXIT_NPF) &
	      TAP_EXPECT_EQ("EXITINFO1.P", v->control.exit_info_1 & 1, 0) &
	      TAP_EXPECT_EQ("EXITINFO2", v->control.exit_info_2, gpa);
	npt_reset();
	return ok;
}

static const struct tap_case state_cases[] = {
	{ "state.wrmsr_efer_lmsle_gp", efer_lmsle },
	{ "state.wrmsr_efer_tce_gp", efer_tce },
	{ "state.wrmsr_efer_bit9_gp", efer_bit9 },
	{ "state.wrmsr_efer_bit16_gp", efer_bit16 },
	{ "state.cpuid_no_tce_no_lmsle", efer_cpuid },
	{ "state.mov_cr4_bit13_gp", cr4_bit13 },
	{ "state.mov_cr4_bit15_gp", cr4_bit15 },
	{ "state.mov_cr4_clear_pae_long_mode_gp", cr4_no_pae },
	{ "state.mov_cr4_legal_takes_effect", cr4_legal },
	{ "state.l2_mov_cr4", l2_cr4 },
	{ "state.vmsave_onto_protected_npt_page", vmsave_onto_protected_npt },
	{ "state.hypervisor_intact", hv_intact },
};

struct attack_group state_group(void)
{
	return (struct attack_group){ "state", "default CPU", state_cases,
				      TAP_COUNT(state_cases) };
}

/*
 * MOV CR3 with a bit at MAXPHYADDR in long mode: #GP on hardware (APM
 * Vol. 2 §3.1.2).  QEMU TCG reports it as VMEXIT_INVALID of vmcb01 with
 * L1's state unchanged; nestvisor's checks find that state valid and give
 * L1 the #GP.
 */
static int cr3_beyond_width(void)
{
	uint64_t cr3 = read_cr3();
	unsigned width = cpuid(0x80000008).eax & 0xff;
	struct l1_trap t = try_mov_cr3(cr3 | (1ull << width));

	tap_diag("MOV CR3 with bit %u: exception %d", width, t.vector);
	return expect_vector("MOV CR3", t, X86_VEC_GP) &
	       TAP_EXPECT_EQ("CR3 unchanged", read_cr3(), cr3);
}

/*
 * MOV CR0 with NW set and CD clear: #GP on hardware (APM Vol. 2 §3.1.1).
 * QEMU TCG takes it, and then refuses to VMRUN vmcb01 (a VMRUN check,
 * §15.5.1).  L1 cannot go on: at its next exit nestvisor shuts it down as
 * after a triple fault and the run ends (status 251 and nestvisor's lines,
 * which tests/meson.build requires; this case only makes the attempt).
 * The hypervisor is checked just before.
 */
static int cr0_nw(void)
{
	uint64_t cr0 = read_cr0();
	struct l1_trap t = try_mov_cr0((cr0 | X86_CR0_NW) & ~X86_CR0_CD);

	tap_diag("MOV CR0 with NW, without CD: exception %d", t.vector);
	return 1;
}

static const struct tap_case unrunnable_cases[] = {
	{ "unrunnable.mov_cr3_beyond_maxphyaddr_gp", cr3_beyond_width },
	{ "unrunnable.hypervisor_intact", hv_intact },
	{ "unrunnable.mov_cr0_nw_without_cd_attempted", cr0_nw },
};

struct attack_group unrunnable_group(void)
{
	return (struct attack_group){ "unrunnable", "default CPU",
				      unrunnable_cases,
				      TAP_COUNT(unrunnable_cases) };
}
