// SPDX-License-Identifier: MIT
/*
 * Group "msr": the MSR policy (svm/msr_policy.c, docs/security.md "MSRs")
 * from L1.  Writes that would move, re-type or alias nestvisor's memory
 * raise #GP and change nothing: the xAPIC window onto the region, an MTRR
 * making the region other than write-back, SYSCFG, TOP_MEM, TOM2, the
 * IORRs, MMIO_CONF_BASE, HWCR.INVDWBINVD cleared, SMM's MSRs and unknown
 * C001_xxxx MSRs; legal writes still work; INVD, from L1 and from L2,
 * exits and is performed as WBINVD.  MSR numbers and bits: AMD APM Vol. 2
 * (§7.7 MTRRs, §7.9 SYSCFG/TOP_MEM/TOM2/IORRs, §16.3.1 APIC_BASE) and the
 * family 17h PPR (HWCR, NB_CFG, MMIO_CONF_BASE).
 */
#include "attack.h"
#include "core/hypercall.h"
#include "core/x86.h"

#define MSR_APIC_BASE     0x1bu
#define MSR_MTRR_CAP      0xfeu
#define MSR_MTRR_BASE0    0x200u
#define MSR_MTRR_DEF_TYPE 0x2ffu
#define MSR_HWCR          0xc0010015u
#define MSR_IORR_BASE0    0xc0010016u
#define MSR_TOP_MEM       0xc001001au
#define MSR_TOM2          0xc001001du
#define MSR_MMIO_CONF     0xc0010058u
#define MSR_SMM_ADDR      0xc0010112u
#define MSR_CPUID_FEAT    0xc0011004u
#define MSR_PERF_CTL0     0xc0010200u
#define MTRR_VALID        (1ull << 11)
#define MTRR_UC           0u
#define MTRR_WB           6u
#define HWCR_INVD_WBINVD  (1ull << 4)
#define SYSCFG_VAR_DRAM   (1ull << 20)   /* MtrrVarDramEn */

extern const char l2_invd[];

/* WRMSR of val must raise #GP and leave the MSR as it was. */
static int refused(uint32_t msr, uint64_t val)
{
	uint64_t before = 0, after = 0;
	struct l1_trap t;

	try_rdmsr(msr, &before);
	t = try_wrmsr(msr, val);
	try_rdmsr(msr, &after);
	tap_diag("MSR 0x%x: 0x%lx, wrote 0x%lx: exception %d, now 0x%lx", msr,
		 before, val, t.vector, after);
	return expect_vector("WRMSR", t, X86_VEC_GP) &
	       TAP_EXPECT_EQ("MSR unchanged", after, before);
}

static uint64_t msr_now(uint32_t msr)
{
	uint64_t v = 0;

	try_rdmsr(msr, &v);
	return v;
}

static int apic_onto_region(void)
{
	uint64_t v = msr_now(MSR_APIC_BASE);

	return refused(MSR_APIC_BASE, (v & 0xfffull) | hv.base);
}

static int apic_same(void)
{
	return expect_vector("WRMSR APIC_BASE (its own value)",
			     try_wrmsr(MSR_APIC_BASE, msr_now(MSR_APIC_BASE)), -1);
}

/* A variable MTRR pair that is not in use, or -1. */
static int free_mtrr(void)
{
	unsigned n = msr_now(MSR_MTRR_CAP) & 0xff;

	for (unsigned i = 0; i < n; i++)
		if (!(msr_now(MSR_MTRR_BASE0 + 2 * i + 1) & MTRR_VALID))
			return (int)i;
	return -1;
}

/* A mask for hv's size-aligned block: bits up to MAXPHYADDR. */
static uint64_t region_mask(void)
{
	unsigned width = cpuid(0x80000008).eax & 0xff;
	uint64_t phys = ((1ull << width) - 1) & ~0xfffull;

	return (phys & ~(hv.size - 1)) | MTRR_VALID;
}

static int mtrr_uc_over_region(void)
{
	int i = free_mtrr();
	uint32_t b, m;
	int ok;

	if (i < 0) {
		tap_diag("no free variable MTRR");
		return 0;
	}
	b = MSR_MTRR_BASE0 + 2u * (unsigned)i;
	m = b + 1;
	ok = expect_vector("WRMSR base (mask invalid)",
			   try_wrmsr(b, hv.base | MTRR_UC), -1);
	ok &= refused(m, region_mask());
	try_wrmsr(b, 0);
	return ok;
}

static int mtrr_wb_over_region(void)
{
	int i = free_mtrr();
	uint32_t b, m;
	int ok;

	if (i < 0) {
		tap_diag("no free variable MTRR");
		return 0;
	}
	b = MSR_MTRR_BASE0 + 2u * (unsigned)i;
	m = b + 1;
	ok = expect_vector("WRMSR base", try_wrmsr(b, hv.base | MTRR_WB), -1) &
	     expect_vector("WRMSR mask", try_wrmsr(m, region_mask()), -1) &
	     TAP_EXPECT_EQ("mask", msr_now(m), region_mask());
	ok &= expect_vector("WRMSR mask invalid", try_wrmsr(m, 0), -1) &
	      expect_vector("WRMSR base 0", try_wrmsr(b, 0), -1);
	return ok;
}

/* MTRRs off (everything UC) and on again: allowed. */
static int mtrr_disable_enable(void)
{
	uint64_t def = msr_now(MSR_MTRR_DEF_TYPE);

	tap_diag("MTRR_DEF_TYPE 0x%lx", def);
	return expect_vector("MTRRs off", try_wrmsr(MSR_MTRR_DEF_TYPE,
						    def & ~(1ull << 11)), -1) &
	       expect_vector("MTRRs on", try_wrmsr(MSR_MTRR_DEF_TYPE, def), -1) &
	       TAP_EXPECT_EQ("MTRR_DEF_TYPE", msr_now(MSR_MTRR_DEF_TYPE), def);
}

static int syscfg(void)
{
	return refused(MSR_SYSCFG, msr_now(MSR_SYSCFG) ^ SYSCFG_VAR_DRAM);
}

static int top_mem(void)
{
	return refused(MSR_TOP_MEM, msr_now(MSR_TOP_MEM) ^ (1ull << 23));
}

static int tom2(void)
{
	return refused(MSR_TOM2, msr_now(MSR_TOM2) ^ (1ull << 32));
}

static int iorr(void)
{
	return refused(MSR_IORR_BASE0, hv.base | 0x18); /* RdMem | WrMem */
}

static int mmio_conf(void)
{
	return refused(MSR_MMIO_CONF, hv.base | 1); /* Enable */
}

/* Clearing INVDWBINVD is refused where it is set; setting it is legal. */
static int hwcr(void)
{
	uint64_t v = msr_now(MSR_HWCR);
	int ok = 1;

	tap_diag("HWCR 0x%lx", v);
	if (!(v & HWCR_INVD_WBINVD)) {
		ok &= expect_vector("WRMSR HWCR setting INVDWBINVD",
				    try_wrmsr(MSR_HWCR, v | HWCR_INVD_WBINVD), -1);
		v = msr_now(MSR_HWCR);
		tap_diag("HWCR now 0x%lx", v);
	}
	if (v & HWCR_INVD_WBINVD)
		ok &= refused(MSR_HWCR, v & ~HWCR_INVD_WBINVD);
	return ok;
}

static int smm_addr(void)
{
	return refused(MSR_SMM_ADDR, hv.base);
}

static int unknown_c001(void)
{
	return refused(MSR_CPUID_FEAT, msr_now(MSR_CPUID_FEAT) ^ 1);
}

/* A performance counter control (C001_0200) passes to the CPU. */
static int perf_ctl(void)
{
	return expect_vector("WRMSR PERF_CTL0", try_wrmsr(MSR_PERF_CTL0, 0), -1);
}

static uint64_t exits(void)
{
	uint64_t n = 0;

	hypercall(NV_HC_STATS, &n, 0);
	return n;
}

/* INVD exits (one exit more than the same code without it) and returns. */
static int invd_l1(void)
{
	uint64_t a, b, c, d;

	a = exits();
	b = exits();
	c = exits();
	__asm__ volatile("invd" ::: "memory");
	d = exits();
	tap_diag("exits: %lu between two hypercalls, %lu with INVD between",
		 b - a, d - c);
	return TAP_EXPECT_EQ("extra exits for INVD", (d - c) - (b - a), 1);
}

/* L2's INVD, which L1 does not intercept: nestvisor's (one exit more
 * than an L2 that only makes its VMMCALL), and L2 goes on. */
static int invd_l2(void)
{
	extern const char l2_vmmcall[];
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };
	uint64_t a, b, c, d;
	int ok;

	vmcb_default(v, l2_vmmcall);
	a = exits();
	l2_run(v, &g);
	b = exits();
	ok = expect_exit(v, VMEXIT_VMMCALL);
	vmcb_default(v, l2_invd);
	c = exits();
	l2_run(v, &g);
	d = exits();
	tap_diag("exits: %lu for VMMCALL, %lu for INVD and VMMCALL", b - a, d - c);
	return ok & expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("extra exits for INVD", (d - c) - (b - a), 1);
}

static int outside_map(void)
{
	uint64_t v;

	return expect_vector("RDMSR 0x40000000", try_rdmsr(0x40000000u, &v),
			     X86_VEC_GP);
}

static const struct tap_case msr_cases[] = {
	{ "msr.apic_base_onto_region_gp", apic_onto_region },
	{ "msr.apic_base_same_value", apic_same },
	{ "msr.mtrr_uc_over_region_gp", mtrr_uc_over_region },
	{ "msr.mtrr_wb_over_region", mtrr_wb_over_region },
	{ "msr.mtrr_disable_enable", mtrr_disable_enable },
	{ "msr.syscfg_change_gp", syscfg },
	{ "msr.top_mem_change_gp", top_mem },
	{ "msr.tom2_change_gp", tom2 },
	{ "msr.iorr_over_region_gp", iorr },
	{ "msr.mmio_conf_base_over_region_gp", mmio_conf },
	{ "msr.hwcr_invdwbinvd_stays", hwcr },
	{ "msr.smm_addr_gp", smm_addr },
	{ "msr.unknown_c001_gp", unknown_c001 },
	{ "msr.perf_ctl_passes", perf_ctl },
	{ "msr.invd_l1_emulated", invd_l1 },
	{ "msr.invd_l2_emulated", invd_l2 },
	{ "msr.outside_map_gp", outside_map },
	{ "msr.hypervisor_intact", hv_intact },
};

struct attack_group msr_group(void)
{
	return (struct attack_group){ "msr", "default CPU", msr_cases,
				      TAP_COUNT(msr_cases) };
}
