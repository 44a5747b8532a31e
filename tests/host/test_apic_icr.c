// SPDX-License-Identifier: MIT
/*
 * svm/apic.c against a fake local APIC and a fake CPU table: what an ICR
 * write by L1 becomes, in x2APIC mode (WRMSR 0x830) and in xAPIC mode
 * (stores to the APIC page, emulated).  QEMU 7.2 TCG has no x2APIC for
 * nestvisor's guests, so this is the evidence for that path
 * (docs/testing.md).
 *
 * Expected values are worked out here from the ICR layout of APM Vol. 2
 * chapter 16 ("Interprocessor Interrupts": vector 7:0, delivery mode
 * 10:8, destination mode 11, level 14, trigger mode 15, shorthand 19:18,
 * destination 63:56 in xAPIC and 63:32 in x2APIC; the x2APIC logical ID
 * is cluster ID[19:4] in bits 31:16 and 1 << ID[3:0]) and from the x2APIC
 * specification (reserved ICR bits 31:20, 17:16 and 13 make WRMSR #GP;
 * x2APIC MSRs #GP outside x2APIC mode), written out as numbers, never
 * taken from nestvisor's helpers.
 *
 * The fake machine: four vCPUs with APIC IDs 00h, 01h, 10h and 11h (two
 * x2APIC clusters) and a parked CPU with APIC ID 20h; this test's CPU is
 * the first.  INIT and Start-up are recorded by the sipi_send_* fakes,
 * kicks by smp_kick; MSR 0x830 and the xAPIC page are fake registers.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/hvmem.h"
#include "svm/apic.h"
#include "svm/hw.h"
#include "svm/init_sipi.h"
#include "svm/intercepts.h"
#include "svm/smp.h"
#include "svm/vcpu.h"

#define NCPU 4
#define APIC_PAGE 0xfee00000ull
#define ICR_SENTINEL 0x000000eeu /* the page's ICR low before a test */

/* ---- the fake CPU ----------------------------------------------------- */

static struct {
	uint64_t apic_base;
	bool has_x2apic;            /* CPUID 1 ECX[21] */
	uint64_t x2msr[0x100];      /* 800h-8FFh */
	unsigned n_icr;             /* writes of MSR 0x830 */
	uint64_t icr;               /* the last one */
	unsigned n_base_writes;
	unsigned n_hw_disabled;     /* writes leaving the real EN clear */
	uint32_t page[1024];        /* the xAPIC page */
} hw;

uint64_t hw_rdmsr(uint32_t msr)
{
	if (msr == MSR_APIC_BASE)
		return hw.apic_base;
	assert_true(msr >= 0x800 && msr <= 0x8ff);
	return hw.x2msr[msr - 0x800];
}

/*
 * May the APIC go from APIC_BASE old to new?  The x2APIC state
 * transitions (EN bit 11, EXTD bit 10): EXTD without EN is invalid;
 * x2APIC leaves only to the disabled state; the disabled state leaves
 * only to xAPIC.  Any other change is #GP.
 */
static bool base_transition_ok(uint64_t old, uint64_t new)
{
	const uint64_t en = 1ull << 11, extd = 1ull << 10;

	if ((new & extd) && !(new & en))
		return false;
	if ((old & extd) && (new & en) && !(new & extd))
		return false;
	if (!(old & en) && (new & extd))
		return false;
	return true;
}

static void base_write(uint64_t val)
{
	hw.apic_base = val;
	hw.n_base_writes++;
	if (!(val & (1ull << 11)))
		hw.n_hw_disabled++;
}

void hw_wrmsr(uint32_t msr, uint64_t val)
{
	if (msr == MSR_APIC_BASE) {
		/* A #GP in host mode: nestvisor must never cause one. */
		assert_true(base_transition_ok(hw.apic_base, val));
		base_write(val);
		return;
	}
	assert_true(msr >= 0x800 && msr <= 0x8ff);
	/* x2APIC MSRs exist only in x2APIC mode: a write otherwise is a
	 * fault the code under test must never cause. */
	assert_true(hw.apic_base & (1ull << 10));
	if (msr == 0x830) {
		hw.n_icr++;
		hw.icr = val;
	}
	hw.x2msr[msr - 0x800] = val;
}

int hw_wrmsr_safe(uint32_t msr, uint64_t val)
{
	if (msr == MSR_APIC_BASE && !base_transition_ok(hw.apic_base, val))
		return -NV_EINVAL;
	hw_wrmsr(msr, val);
	return 0;
}

struct cpuid_regs hw_cpuid(uint32_t leaf)
{
	struct cpuid_regs r = { 0 };

	if (leaf == 1)
		r.ecx = hw.has_x2apic ? 1u << 21 : 0;
	return r;
}

volatile void *hw_apic_mmio(uint64_t pa)
{
	/* xAPIC registers exist only with the APIC enabled in xAPIC mode. */
	assert_true((pa & ~0xfffull) == APIC_PAGE);
	assert_true((hw.apic_base & (3ull << 10)) == 1ull << 11);
	return (volatile uint8_t *)hw.page + (pa & 0xfff);
}

/* ---- the fake rest of nestvisor ---------------------------------------- */

struct hvmem hvmem;
struct smp smp;
static struct cpu cpus[NCPU];
static struct vmcb vmcbs[NCPU];

static struct {
	unsigned init[NCPU], sipi[NCPU], kick[NCPU];
	uint8_t vector[NCPU];
	unsigned gp;
	uint64_t rip_advanced;
} rec;

int hvmem_npt_protect(uint64_t pa, uint64_t size, uint64_t flags,
		      bool (*skip)(uint64_t pa))
{
	(void)pa, (void)size, (void)flags, (void)skip;
	return 0;
}

void sipi_send_init(struct cpu *t)
{
	rec.init[t->idx]++;
}

void sipi_send_sipi(struct cpu *t, uint8_t vector)
{
	rec.sipi[t->idx]++;
	rec.vector[t->idx] = vector;
}

void smp_post(struct cpu *t)
{
	(void)t;
}

void smp_kick(struct cpu *t)
{
	rec.kick[t->idx]++;
}

void inject_exception(struct cpu *cpu, enum x86_vector vector, bool has_err,
		      uint32_t err)
{
	(void)cpu, (void)has_err, (void)err;
	assert_int_equal(vector, X86_VEC_GP);
	rec.gp++;
}

/* Every store the test makes is MOV [mem], EAX (89 /r, 4 bytes, here
 * with a 2-byte encoding). */
int guest_insn_decode(struct cpu *cpu, struct insn *in)
{
	(void)cpu;
	memset(in, 0, sizeof(*in));
	in->op = INSN_MOV_STORE;
	in->len = 2;
	in->width = 4;
	in->reg = 0;
	return 0;
}

void guest_advance_rip(struct cpu *cpu, unsigned len)
{
	(void)cpu;
	rec.rip_advanced += len;
}

static const uint32_t ids[NCPU] = { 0x00, 0x01, 0x10, 0x11 };

static int setup(bool x2)
{
	memset(&hw, 0, sizeof(hw));
	memset(&rec, 0, sizeof(rec));
	memset(&smp, 0, sizeof(smp));
	hw.has_x2apic = true;
	hw.apic_base = APIC_PAGE | 1ull << 11 | 1ull << 8 |
		       (x2 ? 1ull << 10 : 0);
	hw.page[0x300 / 4] = ICR_SENTINEL;
	hvmem.phys_limit = 1ull << 40;
	smp.nr = NCPU + 1;
	for (unsigned i = 0; i < NCPU; i++) {
		memset(&cpus[i], 0, sizeof(cpus[i]));
		cpus[i].idx = i;
		cpus[i].apic_id = ids[i];
		cpus[i].cur = cpus[i].vmcb01 = &vmcbs[i];
		cpus[i].caps.l1_maxphyaddr = 40;
		apic_init_cpu(&cpus[i]);
		smp.slot[i] = (struct cpu_slot){ .apic_id = ids[i],
			.status = CPU_RUNNING, .cpu = &cpus[i] };
	}
	smp.slot[NCPU] = (struct cpu_slot){ .apic_id = 0x20,
		.status = CPU_PARKED };
	assert_int_equal(apic_protect_page(hw.apic_base), 0);
	return 0;
}

static int setup_x2(void **state)
{
	(void)state;
	return setup(true);
}

static int setup_x(void **state)
{
	(void)state;
	return setup(false);
}

/* Bit i: vCPU i got an INIT / a Start-up / an NMI request. */
static unsigned inits(void)
{
	unsigned m = 0;

	for (unsigned i = 0; i < NCPU; i++)
		m |= (rec.init[i] ? 1u : 0) << i;
	return m;
}

static unsigned sipis(uint8_t vector)
{
	unsigned m = 0;

	for (unsigned i = 0; i < NCPU; i++)
		if (rec.sipi[i]) {
			assert_int_equal(rec.vector[i], vector);
			m |= 1u << i;
		}
	return m;
}

static unsigned nmis(void)
{
	unsigned m = 0;

	for (unsigned i = 0; i < NCPU; i++) {
		assert_int_equal(cpus[i].nmi_ipis, rec.kick[i]);
		m |= (cpus[i].nmi_ipis ? 1u : 0) << i;
	}
	return m;
}

static void clear_rec(void)
{
	memset(&rec, 0, sizeof(rec));
	for (unsigned i = 0; i < NCPU; i++)
		cpus[i].nmi_ipis = 0;
}

/* ---- x2APIC: WRMSR 0x830 ----------------------------------------------- */

static int x2_send(uint64_t icr)
{
	return apic_wrmsr(&cpus[0], 0x830, icr);
}

static void test_x2_init_sipi_physical(void **state)
{
	(void)state;
	/* INIT, assert (bit 14), mode 101b, physical, to APIC ID 10h. */
	assert_int_equal(x2_send(0x0000001000004500ull), 0);
	assert_int_equal(inits(), 1u << 2);
	/* Start-up (110b), vector 9Ah, to APIC ID 11h. */
	assert_int_equal(x2_send(0x000000110000069aull), 0);
	assert_int_equal(sipis(0x9a), 1u << 3);
	assert_int_equal(hw.n_icr, 0);
	/* To the parked CPU (20h): nobody gets it, the MSR neither. */
	clear_rec();
	assert_int_equal(x2_send(0x0000002000004500ull), 0);
	assert_int_equal(x2_send(0x000000200000069aull), 0);
	assert_int_equal(inits() | sipis(0), 0);
	assert_int_equal(hw.n_icr, 0);
}

static void test_x2_logical_cluster(void **state)
{
	(void)state;
	/* Logical (bit 11): cluster 1, bits 0 and 1 = IDs 10h and 11h. */
	assert_int_equal(x2_send(0x0001000300004d00ull), 0);
	assert_int_equal(inits(), 1u << 2 | 1u << 3);
	/* Cluster 0, bit 1 = ID 01h; Start-up vector 10h. */
	assert_int_equal(x2_send(0x0000000200000e10ull), 0);
	assert_int_equal(sipis(0x10), 1u << 1);
	/* Cluster 0, bit 1: ID 01h only, never 11h (the same bit in
	 * cluster 1). */
	clear_rec();
	assert_int_equal(x2_send(0x0000000200004d00ull), 0);
	assert_int_equal(inits(), 1u << 1);
	assert_int_equal(hw.n_icr, 0);
}

static void test_x2_shorthands(void **state)
{
	(void)state;
	/* All excluding self (11b): the other three vCPUs. */
	assert_int_equal(x2_send(0x00000000000c4500ull), 0);
	assert_int_equal(inits(), 0xeu);
	/* Self (01b): this CPU only, whatever the destination. */
	clear_rec();
	assert_int_equal(x2_send(0x0000001100044500ull), 0);
	assert_int_equal(inits(), 0x1u);
	/* All including self (10b), Start-up vector 08h. */
	clear_rec();
	assert_int_equal(x2_send(0x0000000000080608ull), 0);
	assert_int_equal(sipis(0x08), 0xfu);
	assert_int_equal(hw.n_icr, 0);
}

static void test_x2_init_deassert(void **state)
{
	(void)state;
	/* INIT level de-assert: level 0, trigger level (bit 15). */
	assert_int_equal(x2_send(0x0000001000008500ull), 0);
	assert_int_equal(x2_send(0x00000000000c8500ull), 0);
	assert_int_equal(inits() | sipis(0), 0);
	assert_int_equal(hw.n_icr, 0);
}

static void test_x2_nmi(void **state)
{
	(void)state;
	/* NMI (100b) to APIC ID 01h: a request to vCPU 1, nothing sent. */
	assert_int_equal(x2_send(0x0000000100004400ull), 0);
	assert_int_equal(nmis(), 1u << 1);
	/* All excluding self: vCPUs 1-3, one request each. */
	clear_rec();
	assert_int_equal(x2_send(0x00000000000c4400ull), 0);
	assert_int_equal(nmis(), 0xeu);
	assert_int_equal(hw.n_icr, 0);
	assert_int_equal(inits() | sipis(0), 0);
}

static void test_x2_fixed_passes(void **state)
{
	(void)state;
	/* Fixed, vector 41h, to APIC ID 11h: the MSR gets exactly that. */
	assert_int_equal(x2_send(0x0000001100000041ull), 0);
	assert_int_equal(hw.n_icr, 1);
	assert_int_equal(hw.icr, 0x0000001100000041ull);
	/* Fixed, logical, level-triggered, all-but-self: as written too. */
	assert_int_equal(x2_send(0x00010003000cc8f0ull), 0);
	assert_int_equal(hw.n_icr, 2);
	assert_int_equal(hw.icr, 0x00010003000cc8f0ull);
	assert_int_equal(inits() | sipis(0) | nmis(), 0);
}

static void test_x2_reserved_gp(void **state)
{
	static const uint64_t reserved[] = {
		1ull << 13, 1ull << 16, 1ull << 17, 1ull << 20, 1ull << 31,
	};
	static const uint64_t modes[] = {
		0x0000001000004500ull, /* INIT */
		0x000000100000069aull, /* Start-up */
		0x0000001000004400ull, /* NMI */
		0x0000001000000041ull, /* Fixed */
	};
	(void)state;
	for (unsigned m = 0; m < 4; m++)
		for (unsigned r = 0; r < 5; r++)
			assert_int_equal(x2_send(modes[m] | reserved[r]),
					 -NV_EINVAL);
	assert_int_equal(hw.n_icr, 0);
	assert_int_equal(inits() | sipis(0) | nmis(), 0);
}

/* ---- xAPIC: stores to the APIC page ------------------------------------ */

/* L1 on vCPU c stores v at offset off of the APIC page (MOV from EAX). */
static void x_store(unsigned c, unsigned off, uint32_t v)
{
	cpus[c].cur->save.rax = v;
	apic_mmio_write(&cpus[c], APIC_PAGE + off);
}

static void x_send(uint32_t hi, uint32_t lo)
{
	x_store(0, 0x310, hi);
	x_store(0, 0x300, lo);
}

static void test_x_wrmsr_icr_gp(void **state)
{
	(void)state;
	/* MSR 0x830 outside x2APIC mode: #GP, nothing sent or written. */
	assert_int_equal(apic_wrmsr(&cpus[0], 0x830, 0x0000001000004500ull),
			 -NV_EINVAL);
	assert_int_equal(apic_wrmsr(&cpus[0], 0x830, 0x0000001000000041ull),
			 -NV_EINVAL);
	assert_int_equal(hw.n_icr, 0);
	assert_int_equal(inits(), 0);
}

static void test_x_init_sipi_physical(void **state)
{
	(void)state;
	/* INIT to APIC ID 10h (ICR high bits 31:24), Start-up 9Ah to 11h. */
	x_send(0x10000000, 0x00004500);
	assert_int_equal(inits(), 1u << 2);
	x_send(0x11000000, 0x0000069a);
	assert_int_equal(sipis(0x9a), 1u << 3);
	/* Neither reached the real ICR low; the high register did. */
	assert_int_equal(hw.page[0x300 / 4], ICR_SENTINEL);
	assert_int_equal(hw.page[0x310 / 4], 0x11000000);
	assert_int_equal(rec.rip_advanced, 4 * 2);
	assert_int_equal(rec.gp, 0);
}

static void test_x_logical_flat(void **state)
{
	(void)state;
	/* Each vCPU's L1 programs flat mode (DFR all ones) and LDR bit i+1
	 * (bits 31:24). */
	for (unsigned i = 0; i < NCPU; i++) {
		x_store(i, 0x0e0, 0xffffffffu);
		x_store(i, 0x0d0, 1u << (25 + i));
	}
	/* Logical 06h: bits 1 and 2, vCPUs 0 and 1 (self included: a
	 * destination, not a shorthand). */
	x_send(0x06000000, 0x00004d00);
	assert_int_equal(inits(), 0x3u);
	/* Logical 18h: vCPUs 2 and 3; Start-up vector 20h. */
	x_send(0x18000000, 0x00000e20);
	assert_int_equal(sipis(0x20), 0xcu);
	assert_int_equal(hw.page[0x300 / 4], ICR_SENTINEL);
}

static void test_x_shorthand_deassert(void **state)
{
	(void)state;
	/* All excluding self, Start-up vector 9Ah. */
	x_send(0, 0x000c069a);
	assert_int_equal(sipis(0x9a), 0xeu);
	/* INIT de-assert to all including self: ignored. */
	clear_rec();
	x_send(0, 0x00088500);
	assert_int_equal(inits() | sipis(0), 0);
	assert_int_equal(hw.page[0x300 / 4], ICR_SENTINEL);
}

static void test_x_nmi_and_fixed(void **state)
{
	(void)state;
	/* NMI to APIC ID 11h: a request, never on the ICR. */
	x_send(0x11000000, 0x00004400);
	assert_int_equal(nmis(), 1u << 3);
	assert_int_equal(hw.page[0x300 / 4], ICR_SENTINEL);
	/* Fixed vector 41h to APIC ID 01h: the ICR gets it as written. */
	x_send(0x01000000, 0x00000041);
	assert_int_equal(hw.page[0x310 / 4], 0x01000000);
	assert_int_equal(hw.page[0x300 / 4], 0x00000041);
	assert_int_equal(inits() | sipis(0), 0);
}

/* ---- L1 clears APIC_BASE.EN (docs/security.md, R9) --------------------- */

/*
 * APIC_BASE values (bits 51:12 base, 11 EN, 10 EXTD, 8 BSP) and the
 * software-disabled reset state: SVR 000000FFh (bit 8, APIC software
 * enable, clear), LVT entries with only the mask (bit 16) set, TPR and
 * LDR 0, DFR all ones (APM Vol. 2 chapter 16, "Local APIC": the reset
 * values and the spurious-interrupt vector register).
 */
#define BASE_DISABLED 0xfee00100ull /* BSP, EN clear */
#define BASE_XAPIC    0xfee00900ull /* BSP, EN */
#define BASE_X2APIC   0xfee00d00ull /* BSP, EN, EXTD */

static uint32_t page_reg(unsigned off)
{
	return hw.page[off / 4];
}

static void assert_reset_state(void)
{
	assert_int_equal(page_reg(0x0f0), 0xff);
	for (unsigned off = 0x320; off <= 0x370; off += 0x10)
		assert_int_equal(page_reg(off), 0x00010000);
	assert_int_equal(page_reg(0x080), 0);
	assert_int_equal(page_reg(0x0d0), 0);
	assert_int_equal(page_reg(0x0e0), 0xffffffffu);
}

/* State an OS leaves in its APIC: enabled (SVR bit 8), a timer vector
 * unmasked, a TPR. */
static void dirty_xapic(void)
{
	hw.page[0x0f0 / 4] = 0x1ff;
	hw.page[0x320 / 4] = 0x000000ef;
	hw.page[0x080 / 4] = 0x30;
}

static void test_r9_x2_disable(void **state)
{
	struct cpu *me = &cpus[2];
	(void)state;
	hw.x2msr[0x0f] = 0x1ff;        /* SVR: software-enabled */
	hw.x2msr[0x32] = 0x000000ef;   /* LVT timer unmasked */
	/* x2APIC -> disabled: allowed; L1 reads EN clear back. */
	assert_int_equal(apic_wrmsr(me, 0x1b, BASE_DISABLED), 0);
	assert_int_equal(apic_base_view(me), BASE_DISABLED);
	/* The real APIC is enabled (in xAPIC mode: x2APIC leaves only
	 * through disabled, and disabled only to xAPIC), software-disabled,
	 * at its reset values. */
	assert_int_equal(hw.apic_base, BASE_XAPIC);
	assert_reset_state();
	assert_int_equal(me->vapic.ldr, 0);
	assert_int_equal(me->vapic.dfr, 0xffffffffu);
	/* Still disabled for L1: no x2APIC ICR, no way straight to x2APIC,
	 * EXTD never without EN. */
	assert_int_equal(apic_wrmsr(me, 0x830, 0x0000000000004500ull),
			 -NV_EINVAL);
	assert_int_equal(apic_wrmsr(me, 0x1b, BASE_X2APIC), -NV_EINVAL);
	assert_int_equal(apic_wrmsr(me, 0x1b, 0xfee00500ull), -NV_EINVAL);
	assert_int_equal(apic_base_view(me), BASE_DISABLED);

	/* Other vCPUs' INIT, Start-up and NMI IPIs do not reach it. */
	assert_int_equal(x2_send(0x0000001000004500ull), 0);
	assert_int_equal(x2_send(0x000000100000069aull), 0);
	assert_int_equal(x2_send(0x0000001000004400ull), 0);
	assert_int_equal(inits() | sipis(0x9a) | nmis(), 0);
	assert_int_equal(x2_send(0x00000000000c4500ull), 0);
	assert_int_equal(inits(), 1u << 1 | 1u << 3);
	assert_int_equal(x2_send(0x00000000000c4400ull), 0);
	assert_int_equal(nmis(), 1u << 1 | 1u << 3);

	/* Enabled again (to xAPIC): reset state whatever the APIC held. */
	dirty_xapic();
	assert_int_equal(apic_wrmsr(me, 0x1b, BASE_XAPIC), 0);
	assert_int_equal(apic_base_view(me), BASE_XAPIC);
	assert_int_equal(hw.apic_base, BASE_XAPIC);
	assert_reset_state();
	/* Then x2APIC, from xAPIC. */
	assert_int_equal(apic_wrmsr(me, 0x1b, BASE_X2APIC), 0);
	assert_int_equal(hw.apic_base, BASE_X2APIC);
	assert_int_equal(apic_base_view(me), BASE_X2APIC);
	clear_rec();
	assert_int_equal(x2_send(0x0000001000004500ull), 0);
	assert_int_equal(inits(), 1u << 2);
}

static void test_r9_x_disable(void **state)
{
	struct cpu *me = &cpus[0];
	(void)state;
	dirty_xapic();
	assert_int_equal(apic_wrmsr(me, 0x1b, BASE_DISABLED), 0);
	assert_int_equal(apic_base_view(me), BASE_DISABLED);
	/* From xAPIC the real APIC is never hardware-disabled. */
	assert_int_equal(hw.n_hw_disabled, 0);
	assert_int_equal(hw.apic_base, BASE_XAPIC);
	assert_reset_state();
	/* L1's stores to the page are dropped (the instructions complete):
	 * TPR, the ICR (no INIT sent, the ICR untouched). */
	x_store(0, 0x080, 0x20);
	x_send(0x10000000, 0x00004500);
	assert_int_equal(page_reg(0x080), 0);
	assert_int_equal(page_reg(0x310), 0);
	assert_int_equal(page_reg(0x300), ICR_SENTINEL);
	assert_int_equal(inits(), 0);
	assert_int_equal(rec.rip_advanced, 3 * 2);
	assert_int_equal(rec.gp, 0);
	/* INIT from vCPU 1 to APIC ID 00h: not received; to all including
	 * self: vCPUs 1-3 only. */
	x_store(1, 0x310, 0x00000000);
	x_store(1, 0x300, 0x00004500);
	assert_int_equal(inits(), 0);
	x_store(1, 0x300, 0x00084500);
	assert_int_equal(inits(), 0xeu);
	/* Enabled again: stores land again, in a reset APIC. */
	dirty_xapic();
	assert_int_equal(apic_wrmsr(me, 0x1b, BASE_XAPIC), 0);
	assert_int_equal(apic_base_view(me), BASE_XAPIC);
	assert_reset_state();
	x_store(0, 0x080, 0x20);
	assert_int_equal(page_reg(0x080), 0x20);
	assert_int_equal(hw.n_hw_disabled, 0);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test_setup(test_x2_init_sipi_physical, setup_x2),
		cmocka_unit_test_setup(test_x2_logical_cluster, setup_x2),
		cmocka_unit_test_setup(test_x2_shorthands, setup_x2),
		cmocka_unit_test_setup(test_x2_init_deassert, setup_x2),
		cmocka_unit_test_setup(test_x2_nmi, setup_x2),
		cmocka_unit_test_setup(test_x2_fixed_passes, setup_x2),
		cmocka_unit_test_setup(test_x2_reserved_gp, setup_x2),
		cmocka_unit_test_setup(test_x_wrmsr_icr_gp, setup_x),
		cmocka_unit_test_setup(test_x_init_sipi_physical, setup_x),
		cmocka_unit_test_setup(test_x_logical_flat, setup_x),
		cmocka_unit_test_setup(test_x_shorthand_deassert, setup_x),
		cmocka_unit_test_setup(test_x_nmi_and_fixed, setup_x),
		cmocka_unit_test_setup(test_r9_x2_disable, setup_x2),
		cmocka_unit_test_setup(test_r9_x_disable, setup_x),
	};

	return cmocka_run_group_tests(tests, NULL, NULL);
}
