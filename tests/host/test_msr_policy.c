// SPDX-License-Identifier: MIT
/*
 * svm/msr_policy.c: the rule for each MSR, the permission-map bits it
 * sets, and each check against values a CPU could hold.  MSR numbers and
 * bits from AMD APM Vol. 2 (Appendix A; §7.7 MTRRs: a variable range
 * matches pa when (pa & mask) == (base & mask), UC wins over everything,
 * WT over WB; §16.3.1 APIC_BASE bits 51:12) and the family 17h PPR (HWCR
 * bit 4 INVDWBINVD, NB_CFG bit 46 EnableCf8ExtCfg, SYSCFG bit 19
 * MtrrFixDramModEn).  The MSRPM layout (two bits per MSR, read then
 * write, blocks at bytes 0, 0x800 and 0x1000 for MSRs 0, C000_0000 and
 * C001_0000) is APM Vol. 2 §15.11, computed here on its own.
 * rdmsr_safe() is this test's: a small table of MSR values.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/hvmem.h"
#include "core/x86.h"
#include "svm/msr_policy.h"
#include "svm/permmap.h"

struct hvmem hvmem;

#define REGION 0x40000000ull
#define SIZE   (32ull << 20)

#define MTRR_CAP  0xfeu
#define MTRR_B(i) (0x200u + 2u * (i))
#define MTRR_M(i) (0x201u + 2u * (i))
#define MTRR_DEF  0x2ffu
#define HWCR      0xc0010015u
#define NB_CFG    0xc001001fu
#define VALID     (1ull << 11)
#define E         (1ull << 11)
#define UC 0u
#define WT 4u
#define WB 6u

static struct { uint32_t msr; uint64_t val; } regs[64];
static unsigned nregs;

static void set_msr(uint32_t msr, uint64_t val)
{
	for (unsigned i = 0; i < nregs; i++)
		if (regs[i].msr == msr) {
			regs[i].val = val;
			return;
		}
	regs[nregs].msr = msr;
	regs[nregs++].val = val;
}

int rdmsr_safe(uint32_t msr, uint64_t *val)
{
	for (unsigned i = 0; i < nregs; i++)
		if (regs[i].msr == msr) {
			*val = regs[i].val;
			return 0;
		}
	return -NV_EINVAL;
}

int wrmsr_safe(uint32_t msr, uint64_t val)
{
	set_msr(msr, val);
	return 0;
}

static int setup(void **state)
{
	(void)state;
	nregs = 0;
	hvmem.base = REGION;
	hvmem.size = SIZE;
	set_msr(MTRR_CAP, 8);
	set_msr(MTRR_DEF, E | WB);
	for (unsigned i = 0; i < 8; i++) {
		set_msr(MTRR_B(i), 0);
		set_msr(MTRR_M(i), 0);
	}
	return 0;
}

static int check(uint32_t msr, uint64_t val)
{
	const struct msr_rule *r = msr_rule(msr);

	assert_true(r->write == MSRW_CHECKED ||
		    r->write == MSRW_CHECKED_VIEW);
	return r->check(msr, val);
}

static void rules(void **state)
{
	static const struct { uint32_t msr; enum msr_write w; } want[] = {
		{ 0xc0000080u, MSRW_VIRTUAL }, /* EFER */
		{ 0xc0010114u, MSRW_VIRTUAL }, /* VM_CR */
		{ 0xc0010117u, MSRW_VIRTUAL }, /* VM_HSAVE_PA */
		{ 0xc0000104u, MSRW_VIRTUAL }, /* TSC_RATIO */
		{ 0x3bu, MSRW_VIRTUAL },       /* TSC_ADJUST */
		{ 0x10u, MSRW_VIRTUAL_WRITE }, /* TSC */
		{ 0xc0000103u, MSRW_PASS },    /* TSC_AUX */
		{ 0x1bu, MSRW_CHECKED_VIEW },  /* APIC_BASE */
		{ 0x200u, MSRW_CHECKED }, { 0x21fu, MSRW_CHECKED },
		{ 0x2ffu, MSRW_CHECKED },      /* MTRRdefType */
		{ 0x277u, MSRW_PASS },         /* PAT: the guest's (gPAT) */
		{ 0x250u, MSRW_PASS }, { 0x26fu, MSRW_PASS }, /* fixed MTRRs */
		{ 0x220u, MSRW_PASS },
		{ 0xc0010010u, MSRW_CHECKED }, /* SYSCFG */
		{ 0xc0010015u, MSRW_CHECKED }, /* HWCR */
		{ 0xc001001fu, MSRW_CHECKED }, /* NB_CFG */
		{ 0xc0010016u, MSRW_SAME }, { 0xc0010019u, MSRW_SAME }, /* IORRs */
		{ 0xc001001au, MSRW_SAME },    /* TOP_MEM */
		{ 0xc001001du, MSRW_SAME },    /* TOM2 */
		{ 0xc0010058u, MSRW_SAME },    /* MMIO_CONF_BASE */
		{ 0xc0010111u, MSRW_DENY }, { 0xc0010113u, MSRW_DENY }, /* SMM */
		{ 0xc0010116u, MSRW_DENY },    /* SMM_CTL */
		{ 0xc0010118u, MSRW_DENY },    /* SVM_KEY */
		{ 0xc0010000u, MSRW_PASS }, { 0xc0010200u, MSRW_PASS },
		{ 0xc0010062u, MSRW_PASS }, { 0xc0011029u, MSRW_PASS },
		{ 0xc0011004u, MSRW_DENY },    /* CPUID override: default */
		{ 0xc0011fffu, MSRW_DENY },
		{ 0xc0000081u, MSRW_PASS },    /* STAR */
		{ 0x0000001fu, MSRW_PASS },
		{ 0xc0012000u, MSRW_DENY },    /* outside the map */
		{ 0x40000000u, MSRW_DENY },
	};

	(void)state;
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		const struct msr_rule *r = msr_rule(want[i].msr);

		if (r->write != want[i].w)
			fail_msg("MSR 0x%x: rule %s policy %d, want %d", want[i].msr,
				 r->name, r->write, want[i].w);
		assert_true(r->why && r->why[0]);
	}
}

/* Read and write bits of msr in an MSRPM, from the APM layout. */
static void pm_bits(const uint8_t *pm, uint32_t msr, int *rd, int *wr)
{
	unsigned byte, bit;

	if (msr < 0x2000u)
		byte = 0;
	else if (msr - 0xc0000000u < 0x2000u)
		byte = 0x800, msr -= 0xc0000000u;
	else
		byte = 0x1000, msr -= 0xc0010000u;
	bit = byte * 8 + msr * 2;
	*rd = (pm[bit / 8] >> (bit % 8)) & 1;
	*wr = (pm[(bit + 1) / 8] >> ((bit + 1) % 8)) & 1;
}

static void map(void **state)
{
	static const struct { uint32_t msr; int rd, wr; } want[] = {
		{ 0xc0000080u, 1, 1 }, { 0xc0010114u, 1, 1 }, { 0xc0010117u, 1, 1 },
		{ 0xc0000104u, 1, 1 }, { 0x3bu, 1, 1 }, { 0x10u, 0, 1 },
		{ 0x1bu, 1, 1 }, { 0x200u, 0, 1 }, { 0x2ffu, 0, 1 },
		{ 0x277u, 0, 0 }, { 0x250u, 0, 0 }, { 0xc0000081u, 0, 0 },
		{ 0xc0010010u, 0, 1 }, { 0xc0010058u, 0, 1 }, { 0xc0011004u, 0, 1 },
		{ 0xc0010200u, 0, 0 }, { 0xc0011029u, 0, 0 }, { 0xc0011fffu, 0, 1 },
	};
	static uint8_t pm[MSRPM_SIZE];

	(void)state;
	memset(pm, 0, sizeof(pm));
	msr_policy_fill(pm);
	for (unsigned i = 0; i < sizeof(want) / sizeof(want[0]); i++) {
		int rd, wr;

		pm_bits(pm, want[i].msr, &rd, &wr);
		if (rd != want[i].rd || wr != want[i].wr)
			fail_msg("MSR 0x%x: read %d write %d, want %d %d",
				 want[i].msr, rd, wr, want[i].rd, want[i].wr);
	}
}

static void apic_base(void **state)
{
	(void)state;
	assert_int_equal(check(0x1b, REGION | 0x900), -NV_EINVAL);
	assert_int_equal(check(0x1b, (REGION + SIZE - 4096) | 0x900), -NV_EINVAL);
	assert_int_equal(check(0x1b, (REGION + SIZE) | 0x900), 0);
	assert_int_equal(check(0x1b, (REGION - 4096) | 0x900), 0);
	assert_int_equal(check(0x1b, 0xfee00900ull), 0);
	/* bits above 51 are not part of the base */
	assert_int_equal(check(0x1b, (1ull << 52) | REGION | 0x900), -NV_EINVAL);
}

static void mtrr(void **state)
{
	uint64_t mask32m = (0xffffffffffull & ~(SIZE - 1)) | VALID;

	(void)state;
	/* a UC range over the region: refused at the mask's write */
	set_msr(MTRR_B(2), REGION | UC);
	assert_int_equal(check(MTRR_M(2), mask32m), -NV_EINVAL);
	/* WB over it, or UC elsewhere: fine */
	set_msr(MTRR_B(2), REGION | WB);
	assert_int_equal(check(MTRR_M(2), mask32m), 0);
	set_msr(MTRR_B(2), (REGION + SIZE) | UC);
	assert_int_equal(check(MTRR_M(2), mask32m), 0);
	/* a 64 MiB UC range whose lower half is the region */
	set_msr(MTRR_B(2), REGION | UC);
	assert_int_equal(check(MTRR_M(2), (mask32m & ~SIZE) | VALID), -NV_EINVAL);
	/* the base written last, with the mask already valid */
	set_msr(MTRR_B(2), 0);
	set_msr(MTRR_M(2), mask32m);
	assert_int_equal(check(MTRR_B(2), REGION | UC), -NV_EINVAL);
	assert_int_equal(check(MTRR_B(2), REGION | WB), 0);
	/* WT and WB overlapping give WT: refused */
	set_msr(MTRR_B(2), REGION | WB);
	set_msr(MTRR_M(3), mask32m);
	assert_int_equal(check(MTRR_B(3), REGION | WT), -NV_EINVAL);
	/* MTRRs off (E clear): everything UC, allowed; on again: checked */
	set_msr(MTRR_B(3), REGION | UC);
	assert_int_equal(check(MTRR_DEF, WB), 0);
	assert_int_equal(check(MTRR_DEF, E | WB), -NV_EINVAL);
	set_msr(MTRR_M(3), 0);
	/* default UC: the region must be covered by WB ranges */
	assert_int_equal(check(MTRR_DEF, E | UC), 0); /* range 2 covers it */
	set_msr(MTRR_M(2), 0);
	assert_int_equal(check(MTRR_DEF, E | UC), -NV_EINVAL);
	/* a non-contiguous mask (bit 13 free): two pages of the region UC */
	set_msr(MTRR_B(4), (REGION + 0x10000) | UC);
	assert_int_equal(check(MTRR_M(4), (0xfffffff000ull & ~(1ull << 13)) | VALID),
			 -NV_EINVAL);
	/* MTRRs the CPU cannot read: refused */
	nregs = 0;
	assert_int_equal(check(MTRR_M(0), 0), -NV_EINVAL);
}

static void syscfg_hwcr_nbcfg(void **state)
{
	(void)state;
	set_msr(0xc0010010u, 0x740000ull);
	assert_int_equal(check(0xc0010010u, 0x740000ull), 0);
	assert_int_equal(check(0xc0010010u, 0x740000ull & ~(1ull << 19)), 0);
	assert_int_equal(check(0xc0010010u, 0x740000ull & ~(1ull << 20)), -NV_EINVAL);
	assert_int_equal(check(0xc0010010u, 0x740000ull | (1ull << 23)), -NV_EINVAL);
	set_msr(HWCR, 0x10ull);
	assert_int_equal(check(HWCR, 0x0), -NV_EINVAL);
	assert_int_equal(check(HWCR, 0x40000010ull), 0);
	set_msr(HWCR, 0x0);
	assert_int_equal(check(HWCR, 0x0), 0);
	set_msr(NB_CFG, 0);
	assert_int_equal(check(NB_CFG, 1ull << 46), 0);
	assert_int_equal(check(NB_CFG, 1ull << 54), -NV_EINVAL);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(rules, setup),
		cmocka_unit_test_setup(map, setup),
		cmocka_unit_test_setup(apic_base, setup),
		cmocka_unit_test_setup(mtrr, setup),
		cmocka_unit_test_setup(syscfg_hwcr_nbcfg, setup),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
