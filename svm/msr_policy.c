// SPDX-License-Identifier: MIT
/*
 * The MSR policy table (svm/msr_policy.h).  Each rule says why, decided
 * from AMD APM Vol. 2 (MTRRs §7.7, SYSCFG/TOP_MEM/TOM2 §7.9, IORRs §7.9.2,
 * APIC_BASE §16.3.1, SMM §10.2) and the BKDGs/PPRs for HWCR and
 * MMIO_CONF_BASE: MSRs that could move, re-type or alias nestvisor's
 * memory are refused or checked; known harmless ones in the C001_xxxx
 * block pass; any other C001_xxxx write is denied.  Reads pass through,
 * except nestvisor's virtual MSRs.
 */
#include "svm/msr_policy.h"
#include "core/err.h"
#include "core/hvmem.h"
#include "core/x86.h"
#include "svm/feat_tsc.h"
#include "svm/permmap.h"

#define MSR_APIC_BASE      0x0000001bu
#define MSR_X2APIC_ICR     0x00000830u
#define MSR_MTRR_CAP       0x000000feu
#define MSR_MTRR_BASE0     0x00000200u
#define MSR_MTRR_MASK15    0x0000021fu
#define MSR_MTRR_DEF_TYPE  0x000002ffu
#define MSR_HWCR           0xc0010015u
#define MSR_IORR_BASE0     0xc0010016u
#define MSR_IORR_MASK1     0xc0010019u
#define MSR_TOP_MEM        0xc001001au
#define MSR_TOM2           0xc001001du
#define MSR_NB_CFG         0xc001001fu
#define MSR_MMIO_CONF_BASE 0xc0010058u

#define ADDR_51_12         0x000ffffffffff000ull /* bits 51:12 */
#define SYSCFG_FIX_DRAM_MOD (1ull << 19)         /* MtrrFixDramModEn */
#define HWCR_INVD_WBINVD   (1ull << 4)           /* INVD acts as WBINVD */
#define NB_CFG_CF8_EXT_CFG (1ull << 46)          /* EnableCf8ExtCfg */
#define MTRR_DEF_E         (1ull << 11)          /* MTRRs enabled */
#define MTRR_MASK_VALID    (1ull << 11)
#define MTRR_TYPE_UC       0u
#define MTRR_TYPE_WT       4u
#define MTRR_TYPE_WB       6u
#define MTRR_MAX_VAR       16u

/* The xAPIC window (4 KiB at the base) may not cover nestvisor's pages:
 * the APIC claims this CPU's accesses there, nestvisor's own included. */
static int apic_base_check(uint32_t msr, uint64_t val)
{
	uint64_t base = val & ADDR_51_12;

	(void)msr;
	return base < hvmem.base + hvmem.size && base + 4096 > hvmem.base ?
		       -NV_EINVAL : 0;
}

/* The x2APIC ICR: every value may be written; svm/msr.c hands it to
 * svm/apic.c, which sends INIT, SIPI and NMI itself. */
static int x2apic_icr_check(uint32_t msr, uint64_t val)
{
	(void)msr;
	(void)val;
	return 0;
}

/* SYSCFG routes and types memory (MtrrFixDramEn, MtrrVarDramEn, MtrrTom2En,
 * Tom2ForceMemTypeWB, MemEncryptionModEn, ...): nothing may change but
 * MtrrFixDramModEn, which only unlocks the fixed MTRRs' RdDram/WrDram
 * bits (below 1 MiB, never nestvisor's). */
static int syscfg_check(uint32_t msr, uint64_t val)
{
	uint64_t cur;

	if (rdmsr_safe(msr, &cur))
		return -NV_EINVAL;
	return (val ^ cur) & ~SYSCFG_FIX_DRAM_MOD ? -NV_EINVAL : 0;
}

/* NB_CFG: only EnableCf8ExtCfg may change (extended PCI configuration
 * through ports CF8/CFC, which Linux turns on); the other bits configure
 * the northbridge. */
static int nb_cfg_check(uint32_t msr, uint64_t val)
{
	uint64_t cur;

	if (rdmsr_safe(msr, &cur))
		return -NV_EINVAL;
	return (val ^ cur) & ~NB_CFG_CF8_EXT_CFG ? -NV_EINVAL : 0;
}

/* HWCR.INVDWBINVD, once set, stays set: an INVD that does not write back
 * would discard nestvisor's dirty lines.  (L1's INVD is emulated as WBINVD
 * anyway, svm/cache.c; this keeps the CPU's own answer the same.) */
static int hwcr_check(uint32_t msr, uint64_t val)
{
	uint64_t cur;

	if (rdmsr_safe(msr, &cur))
		return -NV_EINVAL;
	return (cur & HWCR_INVD_WBINVD) && !(val & HWCR_INVD_WBINVD) ?
		       -NV_EINVAL : 0;
}

/* The memory type the variable MTRRs and the default type give pa (APM
 * Vol. 2 §7.7.1: UC wins; WT and WB give WT; other overlaps are
 * undefined, answered here as UC). */
static unsigned mtrr_type(const uint64_t *base, const uint64_t *mask,
			  unsigned n, uint64_t def, uint64_t pa)
{
	unsigned type = 0xff;

	for (unsigned i = 0; i < n; i++) {
		unsigned t = base[i] & 0xff;
		uint64_t m = mask[i] & ADDR_51_12;

		if (!(mask[i] & MTRR_MASK_VALID) ||
		    (pa & m) != (base[i] & m))
			continue;
		if (type == 0xff || type == t)
			type = t;
		else if ((type == MTRR_TYPE_WT && t == MTRR_TYPE_WB) ||
			 (type == MTRR_TYPE_WB && t == MTRR_TYPE_WT))
			type = MTRR_TYPE_WT;
		else
			type = MTRR_TYPE_UC;
	}
	return type == 0xff ? (unsigned)(def & 0xff) : type;
}

/*
 * While MTRRs are enabled, every page of nestvisor's region must stay
 * write-back after the write (the variable MTRRs and the default type,
 * with val in place of the MSR written; the fixed ones cover the first
 * MiB only and are not intercepted).  MTRRs disabled (E clear: everything UC) are allowed: only
 * slower, and the way firmware and Linux rewrite them.
 */
static int mtrr_check(uint32_t msr, uint64_t val)
{
	uint64_t base[MTRR_MAX_VAR], mask[MTRR_MAX_VAR], cap, def;
	unsigned n;

	if (rdmsr_safe(MSR_MTRR_CAP, &cap) || rdmsr_safe(MSR_MTRR_DEF_TYPE, &def))
		return -NV_EINVAL;
	n = cap & 0xff;
	if (n > MTRR_MAX_VAR)
		n = MTRR_MAX_VAR;
	for (unsigned i = 0; i < n; i++)
		if (rdmsr_safe(MSR_MTRR_BASE0 + 2 * i, &base[i]) ||
		    rdmsr_safe(MSR_MTRR_BASE0 + 2 * i + 1, &mask[i]))
			return -NV_EINVAL;
	if (msr == MSR_MTRR_DEF_TYPE)
		def = val;
	else if ((msr - MSR_MTRR_BASE0) / 2 < n)
		((msr & 1) ? mask : base)[(msr - MSR_MTRR_BASE0) / 2] = val;
	if (!(def & MTRR_DEF_E))
		return 0;
	for (uint64_t pa = hvmem.base; pa < hvmem.base + hvmem.size; pa += 4096)
		if (mtrr_type(base, mask, n, def, pa) != MTRR_TYPE_WB)
			return -NV_EINVAL;
	return 0;
}

static const struct msr_rule rules[] = {
	{ MSR_EFER, MSR_EFER, "EFER", MSRW_VIRTUAL, 0,
	  "L1's SVME is virtual; bits the CPU does not report in CPUID #GP" },
	{ MSR_VM_CR, MSR_VM_CR, "VM_CR", MSRW_VIRTUAL, 0,
	  "L1's SVM control is virtual (svm/nested_insns.c)" },
	{ MSR_VM_HSAVE_PA, MSR_VM_HSAVE_PA, "VM_HSAVE_PA", MSRW_VIRTUAL, 0,
	  "L1's host save area is virtual, never written by nestvisor" },
	{ MSR_TSC_RATIO, MSR_TSC_RATIO, "TSC_RATIO", MSRW_VIRTUAL, 0,
	  "L1's TSC ratio for its L2 (svm/nested_feat_tsc.c); the CPU's stays 1.0 while L1 runs" },
	{ MSR_TSC_ADJUST, MSR_TSC_ADJUST, "TSC_ADJUST", MSRW_VIRTUAL, 0,
	  "emulated where the CPU lacks it, else the CPU's (svm/nested_feat_tsc.c)" },
	{ MSR_TSC, MSR_TSC, "TSC", MSRW_VIRTUAL_WRITE, 0,
	  "a write moves TSC_ADJUST, emulated where the CPU lacks it; reads intercepted only for L2 under emulated TSC scaling (svm/nested_feat_tsc.c)" },
	{ MSR_APIC_BASE, MSR_APIC_BASE, "APIC_BASE", MSRW_CHECKED_VIEW,
	  apic_base_check, "the xAPIC window may not move onto nestvisor's region; svm/apic.c: it may not move at all, x2APIC only where CPUID offers it, and EN clear is emulated (read back as written) so that kicks still reach the CPU" },
	{ MSR_X2APIC_ICR, MSR_X2APIC_ICR, "X2APIC_ICR", MSRW_CHECKED,
	  x2apic_icr_check, "INIT, SIPI and NMI go through nestvisor (svm/apic.c): every CPU stays under it" },
	{ MSR_MTRR_BASE0, MSR_MTRR_MASK15, "MTRR_PHYS_BASE/MASK", MSRW_CHECKED,
	  mtrr_check, "nestvisor's region stays write-back while MTRRs are enabled" },
	{ MSR_MTRR_DEF_TYPE, MSR_MTRR_DEF_TYPE, "MTRR_DEF_TYPE", MSRW_CHECKED,
	  mtrr_check, "nestvisor's region stays write-back while MTRRs are enabled" },
	{ MSR_SYSCFG, MSR_SYSCFG, "SYSCFG", MSRW_CHECKED, syscfg_check,
	  "routes and types DRAM and turns SME on: only MtrrFixDramModEn may change" },
	{ MSR_HWCR, MSR_HWCR, "HWCR", MSRW_CHECKED, hwcr_check,
	  "INVDWBINVD may not be cleared" },
	{ MSR_IORR_BASE0, MSR_IORR_MASK1, "IORR_BASE/MASK", MSRW_SAME, 0,
	  "would send nestvisor's addresses to I/O instead of DRAM" },
	{ MSR_TOP_MEM, MSR_TOP_MEM, "TOP_MEM", MSRW_SAME, 0,
	  "moves the DRAM/MMIO boundary below 4 GiB" },
	{ MSR_TOM2, MSR_TOM2, "TOM2", MSRW_SAME, 0,
	  "moves the DRAM/MMIO boundary above 4 GiB" },
	{ MSR_NB_CFG, MSR_NB_CFG, "NB_CFG", MSRW_CHECKED, nb_cfg_check,
	  "northbridge configuration: only EnableCf8ExtCfg may change" },
	{ MSR_MMIO_CONF_BASE, MSR_MMIO_CONF_BASE, "MMIO_CONF_BASE", MSRW_SAME, 0,
	  "would place PCI configuration space over nestvisor's region" },
	{ 0xc0010111u, 0xc0010113u, "SMM_BASE/ADDR/MASK", MSRW_DENY, 0,
	  "SMRAM placement belongs to the firmware" },
	{ 0xc0010116u, 0xc0010116u, "SMM_CTL", MSRW_DENY, 0,
	  "enters and leaves SMM" },
	{ 0xc0010118u, 0xc0010118u, "SVM_KEY", MSRW_DENY, 0,
	  "locks the real VM_CR.SVMDIS" },
	{ 0xc0010000u, 0xc0010007u, "PERF_CTL/CTR (legacy)", MSRW_PASS, 0,
	  "performance counters" },
	{ 0xc0010062u, 0xc0010062u, "PSTATE_CTL", MSRW_PASS, 0,
	  "frequency only" },
	{ 0xc001011fu, 0xc001011fu, "VIRT_SPEC_CTRL", MSRW_PASS, 0,
	  "speculation control (SSBD)" },
	{ 0xc0010200u, 0xc001020bu, "PERF_CTL/CTR", MSRW_PASS, 0,
	  "performance counters" },
	{ 0xc0010230u, 0xc001024fu, "L3/DF PERF_CTL/CTR", MSRW_PASS, 0,
	  "performance counters" },
	{ 0xc0011020u, 0xc0011020u, "LS_CFG", MSRW_PASS, 0,
	  "speculation controls an OS sets (SSBD on Zen 1/2)" },
	{ 0xc0011029u, 0xc0011029u, "DE_CFG", MSRW_PASS, 0,
	  "speculation controls an OS sets (LFENCE serializing)" },
};

static const struct msr_rule deny_c001 = {
	0xc0010000u, 0xc0011fffu, "C001_xxxx", MSRW_DENY, 0,
	"not known to be harmless: denied by default"
};
static const struct msr_rule pass = {
	0, 0, "other", MSRW_PASS, 0, "not intercepted"
};
static const struct msr_rule outside = {
	0, 0, "outside the permission map", MSRW_DENY, 0,
	"always intercepted; AMD CPUs implement none there (APM Vol. 2 §15.11)"
};

const struct msr_rule *msr_rule(uint32_t msr)
{
	unsigned bit;

	for (unsigned i = 0; i < sizeof(rules) / sizeof(rules[0]); i++)
		if (msr >= rules[i].first && msr <= rules[i].last)
			return &rules[i];
	if (msrpm_bit(msr, &bit))
		return &outside;
	if (msr >= deny_c001.first && msr <= deny_c001.last)
		return &deny_c001;
	return &pass;
}

void msr_policy_fill(uint8_t *msrpm)
{
	static const uint32_t blocks[] = { 0x00000000u, 0xc0000000u, 0xc0010000u };

	for (unsigned b = 0; b < 3; b++)
		for (uint32_t m = blocks[b]; m < blocks[b] + 0x2000u; m++) {
			const struct msr_rule *r = msr_rule(m);

			if (r->write != MSRW_PASS)
				msrpm_set(msrpm, m, r->write == MSRW_VIRTUAL ||
					  r->write == MSRW_CHECKED_VIEW, true);
		}
}

const struct msr_rule *msr_rules(unsigned *n)
{
	*n = sizeof(rules) / sizeof(rules[0]);
	return rules;
}
