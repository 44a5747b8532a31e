// SPDX-License-Identifier: MIT
/*
 * svm/nested_check.c: the emulated-VMRUN pre-checks and consistency checks
 * (the sanitiser and the copy: test_nested_sanitize.c).  Every expectation
 * comes from docs/semantics.md §8 and §2.3/§2.4 and the AMD APM sections
 * cited there, written out here independently of the code (allowed-bit
 * sets, defined vectors, PAT types).
 *
 * Method: start from a valid vmcb12 (a 64-bit L2 with NP), which passes;
 * then flip exactly one field per case and run the real pipeline
 * (copy -> sanitise -> check), asserting the failing check's id, name and
 * condition text.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/x86.h"
#include "svm/nested_check.h"
#include "nested_caps_fixture.h"

/* ---- fixtures ----------------------------------------------------------- */

static void set_seg(struct vmcb_seg *s, uint16_t sel, uint16_t attrib)
{
	s->selector = sel;
	s->attrib.raw = attrib;
	s->limit = 0xffffffffu;
	s->base = 0;
}

/* A 64-bit L2 with nested paging that every check accepts. */
static void make_valid(struct vmcb *v)
{
	memset(v, 0, sizeof(*v));
	v->control.intercept_misc1 = INTERCEPT1_INTR | INTERCEPT1_NMI |
		INTERCEPT1_MSR_PROT | INTERCEPT1_IOIO_PROT | INTERCEPT1_SHUTDOWN;
	v->control.intercept_misc2 = INTERCEPT2_VMRUN | INTERCEPT2_VMMCALL;
	v->control.asid = 1;
	v->control.misc_ctl = MISC_CTL_NP_ENABLE;
	v->control.nested_cr3 = 0x100000;
	v->control.msrpm_base_pa = 0x200000;
	v->control.iopm_base_pa = 0x300000;
	v->control.int_ctl = V_INTR_MASKING;
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;

	/* 64-bit code: type 0xb, S, P, L, G; data: type 3, S, P, G. */
	set_seg(&v->save.cs, 0x08, 0x00b | ATTR_S | ATTR_P |
				   ATTR_L | ATTR_G);
	set_seg(&v->save.ds, 0x10, 0x003 | ATTR_S | ATTR_P | ATTR_G);
	v->save.es = v->save.ss = v->save.ds;
	v->save.efer = X86_EFER_SCE | X86_EFER_LME | X86_EFER_LMA |
		       X86_EFER_NXE | X86_EFER_SVME;
	v->save.cr0 = X86_CR0_PE | X86_CR0_MP | X86_CR0_ET | X86_CR0_NE |
		      X86_CR0_WP | X86_CR0_AM | X86_CR0_PG;
	v->save.cr4 = X86_CR4_PAE | X86_CR4_PGE | X86_CR4_OSFXSR | X86_CR4_OSXMMEXCPT;
	v->save.cr3 = 0x400000;
	v->save.dr6 = 0xffff0ff0;
	v->save.dr7 = 0x400;
	v->save.rflags = 2;
	v->save.rip = 0x1000;
	v->save.g_pat = 0x0007040600070406ull;	/* power-on PAT */
}

static int setup(void **state)
{
	struct vmcb *v = aligned_alloc(4096, sizeof(struct vmcb));

	if (!v)
		return -1;
	make_valid(v);
	*state = v;
	return 0;
}

static int teardown(void **state)
{
	free(*state);
	return 0;
}

/* The emulated VMRUN pipeline: copy, sanitise, check.  The cache is
 * returned so that tests can look at what the sanitiser left. */
static struct vmcb12_cache cache;

static int run(const struct vmcb *v12, const struct nested_caps *caps,
	       struct nested_check_failure *why)
{
	memset(&cache, 0x5a, sizeof(cache));
	nested_copy_vmcb12(&cache, v12);
	nested_sanitize_controls(&cache.ctrl, caps);
	return nested_check_vmcb12(&cache, caps, why);
}

static void expect_pass_caps(const struct vmcb *v, const struct nested_caps *caps)
{
	struct nested_check_failure why = { -1, NULL, NULL };

	int id = run(v, caps, &why);
	if (id != 0)
		print_error("unexpected failure: %s (%s)\n", why.name, why.cond);
	assert_int_equal(id, 0);
	assert_int_equal(why.id, NCHK_NONE);
}

static void expect_pass(const struct vmcb *v)
{
	struct nested_caps caps = caps_full();

	expect_pass_caps(v, &caps);
}

/* The check fails with its id, its human name, and a condition text that
 * mentions `token` (the field it is about). */
static void expect_fail_caps(const struct vmcb *v, const struct nested_caps *caps,
			     int id, const char *name, const char *token)
{
	struct nested_check_failure why = { -1, NULL, NULL };

	assert_int_equal(run(v, caps, &why), -NV_EINVAL);
	assert_int_equal(why.id, id);
	assert_non_null(why.name);
	assert_string_equal(why.name, name);
	assert_non_null(why.cond);
	if (!strstr(why.cond, token))
		print_error("condition '%s' lacks '%s'\n", why.cond, token);
	assert_non_null(strstr(why.cond, token));
}

static void expect_fail(const struct vmcb *v, int id, const char *name,
			const char *token)
{
	struct nested_caps caps = caps_full();

	expect_fail_caps(v, &caps, id, name, token);
}

/* ---- the baseline --------------------------------------------------------- */

static void test_valid_64bit_np_passes(void **state)
{
	expect_pass(*state);
}

/* A 32-bit protected-mode L2 without paging and without NP also passes:
 * none of the long-mode or NP rules apply. */
static void test_valid_legacy_no_np_passes(void **state)
{
	struct vmcb *v = *state;

	v->control.misc_ctl = 0;
	v->save.efer = X86_EFER_SVME;
	v->save.cr0 = X86_CR0_PE | X86_CR0_ET;
	v->save.cr4 = 0;
	v->save.cs.attrib.raw = 0x00b | ATTR_S | ATTR_P | ATTR_DB |
			    ATTR_G;
	expect_pass(v);
}

/* ---- control area ----------------------------------------------------- */

static void test_vmrun_intercept(void **state)
{
	struct vmcb *v = *state;

	v->control.intercept_misc2 &= ~INTERCEPT2_VMRUN;
	expect_fail(v, NCHK_VMRUN_INTERCEPT, "VMRUN intercept not set",
		    "intercept_misc2");
}

static void test_asid_zero(void **state)
{
	struct vmcb *v = *state;

	v->control.asid = 0;
	expect_fail(v, NCHK_ASID_ZERO, "ASID is 0", "asid");
}

/* ASIDs L1 may use: 1 .. nr_asids - 1 (CPUID 8000_000A EBX as L1 sees
 * it); nestvisor refuses the others (docs/semantics.md §11). */
static void test_asid_range(void **state)
{
	struct vmcb *v = *state;
	struct nested_caps caps = caps_full();

	v->control.asid = caps.nr_asids - 1;
	expect_pass(v);
	v->control.asid = caps.nr_asids;
	expect_fail(v, NCHK_ASID_RANGE, "ASID at or above L1's number of ASIDs",
		    "nr_asids");
	v->control.asid = 0xffffffffu;
	expect_fail(v, NCHK_ASID_RANGE, "ASID at or above L1's number of ASIDs",
		    "nr_asids");
}

/* A 32-bit L2 with PAE paging and no NP: VMRUN loads its PDPTEs from CR3
 * (APM Vol. 2 §5.3.3, Figure 5-10: with P=1, bits 2:1, 8:5 and 63:M are
 * reserved). */
static void make_pae_no_np(struct vmcb *v)
{
	make_valid(v);
	v->control.misc_ctl = 0;
	v->save.efer = X86_EFER_SVME;
	v->save.cr0 = X86_CR0_PE | X86_CR0_ET | X86_CR0_PG;
	v->save.cr4 = X86_CR4_PAE;
	v->save.cr3 = 0x12345fe0;
	v->save.cs.attrib.raw = 0x00b | ATTR_S | ATTR_P | ATTR_DB | ATTR_G;
}

static int run_pdptes(const struct vmcb *v, const uint64_t *pdptes,
		      struct nested_check_failure *why)
{
	struct nested_caps caps = caps_full();

	memset(&cache, 0x5a, sizeof(cache));
	nested_copy_vmcb12(&cache, v);
	nested_sanitize_controls(&cache.ctrl, &caps);
	if (nested_needs_pdptes(&cache))
		nested_copy_pdptes(&cache, pdptes);
	return nested_check_vmcb12(&cache, &caps, why);
}

static void test_pae_pdptes(void **state)
{
	struct vmcb *v = *state;
	struct nested_check_failure why;
	uint64_t pdpte[4] = { 0, 0, 0, 0 };
	const uint64_t rsvd[] = { BIT(1), BIT(2), BIT(5), BIT(6), BIT(7),
				  BIT(8), BIT(M), BIT(62), BIT(63) };

	make_pae_no_np(v);
	assert_int_equal(run_pdptes(v, pdpte, &why), 0);
	for (unsigned i = 0; i < 4; i++) {
		for (unsigned r = 0; r < sizeof(rsvd) / sizeof(rsvd[0]); r++) {
			pdpte[i] = 0x1000 | 1 | rsvd[r];
			assert_int_equal(run_pdptes(v, pdpte, &why), -NV_EINVAL);
			assert_int_equal(why.id, NCHK_PAE_PDPTE);
			/* not present: nothing is reserved */
			pdpte[i] = 0x1000 | rsvd[r];
			assert_int_equal(run_pdptes(v, pdpte, &why), 0);
		}
		/* the flags a PDPTE may have, and the highest address */
		pdpte[i] = (BIT(M) - 0x1000) | 1 | BIT(3) | BIT(4) | BIT(9) |
			   BIT(10) | BIT(11);
		assert_int_equal(run_pdptes(v, pdpte, &why), 0);
	}
	/* unreadable */
	assert_int_equal(run_pdptes(v, NULL, &why), -NV_EINVAL);
	assert_int_equal(why.id, NCHK_PAE_PDPTE);
	/* Not loaded (so not checked) with NP, in long mode, without PAE or
	 * without paging. */
	for (unsigned k = 0; k < 4; k++) {
		make_pae_no_np(v);
		if (k == 0) {
			v->control.misc_ctl = MISC_CTL_NP_ENABLE;
			v->save.g_pat = 0x0007040600070406ull;
		} else if (k == 1) {
			make_valid(v);
			v->control.misc_ctl = 0;
		} else if (k == 2) {
			v->save.cr4 = 0;
		} else {
			v->save.cr0 &= ~X86_CR0_PG;
		}
		struct nested_caps caps = caps_full();

		nested_copy_vmcb12(&cache, v);
		nested_sanitize_controls(&cache.ctrl, &caps);
		assert_false(nested_needs_pdptes(&cache));
	}
}

static void test_ncr3_beyond_maxphyaddr(void **state)
{
	struct vmcb *v = *state;

	for (unsigned b = M; b < 64; b++) {
		make_valid(v);
		v->control.nested_cr3 = 0x100000 | BIT(b);
		expect_fail(v, NCHK_NCR3, "nCR3 beyond MAXPHYADDR", "nested_cr3");
	}
	make_valid(v);
	v->control.nested_cr3 = BIT(M) - 0x1000;	/* highest legal page */
	expect_pass(v);
	/* Without NP, nCR3 is not used and not checked. */
	v->control.misc_ctl = 0;
	v->control.nested_cr3 = ~0ull;
	expect_pass(v);
}

/* base & ~0xfff .. base + size - 1 must lie below 2^MAXPHYADDR. */
static void set_pm(struct vmcb *v, bool msrpm, uint64_t base)
{
	if (msrpm)
		v->control.msrpm_base_pa = base;
	else
		v->control.iopm_base_pa = base;
}

static void check_pm_boundary(struct vmcb *v, bool msrpm, unsigned maxphy)
{
	struct nested_caps caps = caps_full();
	uint64_t top = BIT(maxphy);
	/* APM: the MSRPM is 8 KiB, the IOPM 12 KiB. */
	uint64_t size = msrpm ? 0x2000 : 0x3000;
	int id = msrpm ? NCHK_MSRPM : NCHK_IOPM;
	const char *name = msrpm ? "MSRPM beyond MAXPHYADDR" :
				   "IOPM beyond MAXPHYADDR";
	const char *token = msrpm ? "msrpm_base_pa" : "iopm_base_pa";

	caps.maxphyaddr = (uint8_t)maxphy;
	/* Last byte exactly at 2^M - 1: legal. */
	set_pm(v, msrpm, top - size);
	expect_pass_caps(v, &caps);
	/* Bits 11:0 are ignored, even when they would push it over. */
	set_pm(v, msrpm, top - size + 0xfff);
	expect_pass_caps(v, &caps);
	/* One page further: last byte at 2^M + 0xfff. */
	set_pm(v, msrpm, top - size + 0x1000);
	expect_fail_caps(v, &caps, id, name, token);
	/* Base itself beyond. */
	set_pm(v, msrpm, top);
	expect_fail_caps(v, &caps, id, name, token);
	/* Base + size wraps around 2^64. */
	set_pm(v, msrpm, 0xfffffffffffff000ull);
	expect_fail_caps(v, &caps, id, name, token);
	make_valid(v);
}

static void test_msrpm_boundary(void **state)
{
	for (unsigned m = 36; m <= 52; m += 4)
		check_pm_boundary(*state, true, m);
}

static void test_iopm_boundary(void **state)
{
	for (unsigned m = 36; m <= 52; m += 4)
		check_pm_boundary(*state, false, m);
}

/* The maps are checked whether or not their intercept is set (§8.2). */
static void test_pm_checked_without_intercepts(void **state)
{
	struct vmcb *v = *state;

	v->control.intercept_misc1 &= ~(INTERCEPT1_MSR_PROT | INTERCEPT1_IOIO_PROT);
	v->control.msrpm_base_pa = BIT(M);
	expect_fail(v, NCHK_MSRPM, "MSRPM beyond MAXPHYADDR", "msrpm_base_pa");
	v->control.msrpm_base_pa = 0;
	v->control.iopm_base_pa = BIT(M);
	expect_fail(v, NCHK_IOPM, "IOPM beyond MAXPHYADDR", "iopm_base_pa");
}

static void test_vnmi_needs_nmi_intercept(void **state)
{
	struct vmcb *v = *state;

	v->control.int_ctl |= V_NMI_ENABLE;
	expect_pass(v);
	v->control.intercept_misc1 &= ~INTERCEPT1_NMI;
	expect_fail(v, NCHK_VNMI_INTERCEPT, "V_NMI enabled without NMI intercept",
		    "V_NMI_ENABLE");
	/* vNMI not offered: the bit is masked, so nothing to check. */
	struct nested_caps caps = caps_full();
	caps.vnmi = false;
	expect_pass_caps(v, &caps);
}

static void test_eventinj_types(void **state)
{
	struct vmcb *v = *state;
	/* APM §15.20: 0 INTR, 2 NMI, 3 exception, 4 software interrupt. */
	static const bool defined[8] = { true, false, true, true, true,
					 false, false, false };

	for (uint32_t t = 0; t < 8; t++) {
		/* #PF for exceptions, 0x20 otherwise (2 for NMI). */
		uint32_t vec = t == 3 ? 14 : t == 2 ? 2 : 0x20;

		v->control.event_inj.raw = EV_VALID | (t << 8) | vec;
		if (defined[t])
			expect_pass(v);
		else
			expect_fail(v, NCHK_EVENTINJ_TYPE,
				    "EVENTINJ type is reserved", "event_inj");
		/* Not valid: nothing is injected, nothing checked. */
		v->control.event_inj.raw = (t << 8) | vec;
		expect_pass(v);
	}
}

static void check_exception_vectors(struct vmcb *v, bool shstk, bool sev_es)
{
	struct nested_caps caps = caps_full();
	/* APM Vol. 2 Table 8-1: the defined exceptions. */
	static const uint8_t always[] = { 0, 1, 3, 4, 5, 6, 7, 8, 10, 11, 12,
					  13, 14, 16, 17, 18, 19, 28, 30 };
	bool ok[256] = { false };

	caps.shstk = shstk;
	caps.sev_es = sev_es;
	for (size_t i = 0; i < sizeof(always); i++)
		ok[always[i]] = true;
	ok[21] = shstk;		/* #CP */
	ok[29] = sev_es;	/* #VC */

	for (unsigned vec = 0; vec < 256; vec++) {
		v->control.event_inj.raw = EV_VALID | EV_TYPE_EXC | vec;
		if (ok[vec])
			expect_pass_caps(v, &caps);
		else
			expect_fail_caps(v, &caps, NCHK_EVENTINJ_VECTOR,
					 "EVENTINJ vector is not an exception",
					 "event_inj");
	}
}

static void test_eventinj_exception_vectors(void **state)
{
	check_exception_vectors(*state, false, false);
	check_exception_vectors(*state, true, false);
	check_exception_vectors(*state, false, true);
}

/* Interrupts (hardware or software) may use any vector. */
static void test_eventinj_interrupt_any_vector(void **state)
{
	struct vmcb *v = *state;

	for (unsigned vec = 0; vec < 256; vec++) {
		v->control.event_inj.raw = EV_VALID | EV_TYPE_INTR | vec;
		expect_pass(v);
		v->control.event_inj.raw = EV_VALID | EV_TYPE_SOFT | vec;
		expect_pass(v);
	}
}

/* Reserved bits 30:12 are sanitised, not a failure. */
static void test_eventinj_reserved_bits_masked(void **state)
{
	struct vmcb *v = *state;

	v->control.event_inj.raw = EV_VALID | EV_TYPE_EXC | EV_ERR |
			       14 | 0x7ffff000u;
	expect_pass(v);
	assert_int_equal(cache.ctrl.event_inj.raw,
			 EV_VALID | EV_TYPE_EXC | EV_ERR | 14);
}

/* ---- save area ------------------------------------------------------------ */

static void test_efer_svme(void **state)
{
	struct vmcb *v = *state;

	v->save.efer &= ~X86_EFER_SVME;
	expect_fail(v, NCHK_EFER_SVME, "EFER.SVME is 0", "efer");
}

static void test_cr0_cd_nw(void **state)
{
	struct vmcb *v = *state;

	v->save.cr0 |= X86_CR0_CD;			/* CD=1 NW=0 */
	expect_pass(v);
	v->save.cr0 |= X86_CR0_NW;			/* CD=1 NW=1 */
	expect_pass(v);
	v->save.cr0 &= ~X86_CR0_CD;			/* CD=0 NW=1 */
	expect_fail(v, NCHK_CR0_NW_CD, "CR0.NW set with CR0.CD clear", "cr0");
}

static void test_cr0_dr6_dr7_high(void **state)
{
	struct vmcb *v = *state;

	for (unsigned b = 32; b < 64; b++) {
		make_valid(v);
		v->save.cr0 |= BIT(b);
		expect_fail(v, NCHK_CR0_HIGH, "CR0[63:32] not zero", "cr0");
		make_valid(v);
		v->save.dr6 |= BIT(b);
		expect_fail(v, NCHK_DR6_HIGH, "DR6[63:32] not zero", "dr6");
		make_valid(v);
		v->save.dr7 |= BIT(b);
		expect_fail(v, NCHK_DR7_HIGH, "DR7[63:32] not zero", "dr7");
	}
}

static void test_long_mode_needs_pae(void **state)
{
	struct vmcb *v = *state;

	v->save.cr4 &= ~X86_CR4_PAE;
	expect_fail(v, NCHK_LM_CR4_PAE, "long mode without CR4.PAE", "X86_CR4_PAE");
}

static void test_long_mode_needs_pe(void **state)
{
	struct vmcb *v = *state;

	v->save.cr0 &= ~X86_CR0_PE;
	expect_fail(v, NCHK_LM_CR0_PE, "long mode without CR0.PE", "X86_CR0_PE");
}

static void test_long_mode_cr3(void **state)
{
	struct vmcb *v = *state;

	for (unsigned b = M; b < 64; b++) {
		make_valid(v);
		v->save.cr3 |= BIT(b);
		expect_fail(v, NCHK_LM_CR3, "long-mode CR3 beyond MAXPHYADDR",
			    "cr3");
	}
	make_valid(v);
	v->save.cr3 = BIT(M) - 0x1000;
	expect_pass(v);
}

/* §8.5 "Not errors": CR3 bits 11:5 and 2:0 are ignored in long mode. */
static void test_long_mode_cr3_low_bits_ignored(void **state)
{
	struct vmcb *v = *state;

	v->save.cr3 |= 0xfe0 | 0x7;
	expect_pass(v);
}

static void test_long_mode_cs_l_d(void **state)
{
	struct vmcb *v = *state;

	v->save.cs.attrib.raw |= ATTR_DB;	/* L=1 D=1 */
	expect_fail(v, NCHK_LM_CS_L_D, "long mode with CS.L and CS.D",
		    "cs.attrib.l");
	v->save.cs.attrib.raw &= ~ATTR_L;	/* L=0 D=1: compatibility mode */
	expect_pass(v);
	v->save.cs.attrib.raw &= ~ATTR_DB;	/* L=0 D=0 */
	expect_pass(v);
}

/* The long-mode rules apply only when EFER.LME and CR0.PG are both set. */
static void test_long_mode_rules_need_lme_and_pg(void **state)
{
	struct vmcb *v = *state;

	/* LME=1, PG=0: PAE/PE/CR3/CS rules off. */
	v->save.cr0 &= ~(X86_CR0_PG | X86_CR0_PE);
	v->save.efer &= ~X86_EFER_LMA;
	v->save.cr4 &= ~X86_CR4_PAE;
	v->save.cr3 = ~0ull;
	v->save.cs.attrib.raw |= ATTR_DB;
	expect_pass(v);

	/* PG=1, LME=0: legacy paging, same rules off. */
	make_valid(v);
	v->save.efer &= ~(X86_EFER_LME | X86_EFER_LMA);
	v->save.cr4 &= ~X86_CR4_PAE;
	v->save.cr3 = ~0ull;
	v->save.cs.attrib.raw |= ATTR_DB;
	expect_pass(v);
}

/* SVM does not check EFER.LMA against EFER.LME && CR0.PG. */
static void test_lma_not_checked(void **state)
{
	struct vmcb *v = *state;

	v->save.efer &= ~X86_EFER_LMA;		/* LME & PG but LMA=0 */
	expect_pass(v);
	/* ... and the long-mode rules still follow LME && PG, not LMA. */
	v->save.cr4 &= ~X86_CR4_PAE;
	expect_fail(v, NCHK_LM_CR4_PAE, "long mode without CR4.PAE", "X86_CR4_PAE");

	make_valid(v);
	v->save.efer &= ~X86_EFER_LME;		/* LMA=1 without LME */
	expect_pass(v);
	/* ... which is not long mode: no PAE, CR3 or CS.L/D rule. */
	v->save.cr4 &= ~X86_CR4_PAE;
	v->save.cr3 = ~0ull;
	v->save.cs.attrib.raw |= ATTR_DB;
	expect_pass(v);
}

static void test_cr4_reserved_and_unsupported(void **state)
{
	struct vmcb *v = *state;
	struct nested_caps caps = caps_full();

	for (unsigned b = 0; b < 64; b++) {
		make_valid(v);
		v->save.cr4 |= BIT(b);
		if (caps.cr4_allowed & BIT(b))
			expect_pass(v);
		else
			expect_fail(v, NCHK_CR4_RSVD,
				    "CR4 reserved or unsupported bit", "cr4");
	}
	/* A bit the CPU has but L1's CPUID lacks is refused too. */
	make_valid(v);
	v->save.cr4 |= X86_CR4_SMEP;
	caps.cr4_allowed &= ~X86_CR4_SMEP;
	expect_fail_caps(v, &caps, NCHK_CR4_RSVD,
			 "CR4 reserved or unsupported bit", "cr4");
}

static void test_efer_reserved_and_unsupported(void **state)
{
	struct vmcb *v = *state;
	struct nested_caps caps = caps_full();

	for (unsigned b = 0; b < 64; b++) {
		make_valid(v);
		v->save.efer |= BIT(b);
		if (caps.efer_allowed & BIT(b))
			expect_pass(v);
		else
			expect_fail(v, NCHK_EFER_RSVD,
				    "EFER reserved or unsupported bit", "efer");
	}
	/* KUT's always-reserved mask: bit 9 and 63:16. */
	make_valid(v);
	v->save.efer |= BIT(9);
	expect_fail(v, NCHK_EFER_RSVD, "EFER reserved or unsupported bit", "efer");
	/* FFXSR accepted only when offered. */
	make_valid(v);
	v->save.efer |= X86_EFER_FFXSR;
	expect_fail(v, NCHK_EFER_RSVD, "EFER reserved or unsupported bit", "efer");
	caps.efer_allowed |= X86_EFER_FFXSR;
	expect_pass_caps(v, &caps);
}

static void test_gpat(void **state)
{
	struct vmcb *v = *state;
	/* APM §7.8.1: 0 UC, 1 WC, 4 WT, 5 WP, 6 WB, 7 UC-. */
	static const uint8_t good[] = { 0, 1, 4, 5, 6, 7 };
	static const uint8_t bad[] = { 2, 3, 8, 0x10, 0x80, 0xff };

	for (unsigned byte = 0; byte < 8; byte++) {
		for (size_t i = 0; i < sizeof(good); i++) {
			make_valid(v);
			v->save.g_pat &= ~(0xffull << (8 * byte));
			v->save.g_pat |= (uint64_t)good[i] << (8 * byte);
			expect_pass(v);
		}
		for (size_t i = 0; i < sizeof(bad); i++) {
			make_valid(v);
			v->save.g_pat &= ~(0xffull << (8 * byte));
			v->save.g_pat |= (uint64_t)bad[i] << (8 * byte);
			expect_fail(v, NCHK_GPAT,
				    "gPAT holds an invalid memory type", "g_pat");
			/* Without NP, L2 shares L1's PAT: gPAT unused. */
			v->control.misc_ctl = 0;
			expect_pass(v);
		}
	}
}

/* ---- §8.5 "Not errors" ------------------------------------------------------ */

static void test_noncanonical_bases_accepted(void **state)
{
	struct vmcb *v = *state;
	struct vmcb_seg *segs[] = { &v->save.es, &v->save.cs, &v->save.ss,
				    &v->save.ds, &v->save.gdtr, &v->save.idtr };

	for (size_t i = 0; i < sizeof(segs) / sizeof(segs[0]); i++) {
		segs[i]->base = 0x8000123400000000ull;
		expect_pass(v);
	}
}

static void test_gmet_without_support_masked(void **state)
{
	struct vmcb *v = *state;
	struct nested_caps caps = caps_full();

	v->control.misc_ctl |= MISC_CTL_GMET;
	expect_pass_caps(v, &caps);
	assert_int_equal(cache.ctrl.misc_ctl, MISC_CTL_NP_ENABLE | MISC_CTL_GMET);

	caps.gmet = false;
	expect_pass_caps(v, &caps);
	assert_int_equal(cache.ctrl.misc_ctl, MISC_CTL_NP_ENABLE);
}

static void test_np_without_support_masked(void **state)
{
	struct vmcb *v = *state;
	struct nested_caps caps = caps_full();

	caps.np = false;
	caps.gmet = false;
	v->control.misc_ctl |= MISC_CTL_GMET;
	/* With NP masked, nCR3 and gPAT are not used, hence not checked. */
	v->control.nested_cr3 = ~0ull;
	v->save.g_pat = ~0ull;
	expect_pass_caps(v, &caps);
	assert_int_equal(cache.ctrl.misc_ctl, 0);
}

/* ---- order ------------------------------------------------------------------ */

static void test_first_failure_wins(void **state)
{
	struct vmcb *v = *state;

	/* Control area before save area. */
	v->control.asid = 0;
	v->save.efer &= ~X86_EFER_SVME;
	expect_fail(v, NCHK_ASID_ZERO, "ASID is 0", "asid");

	/* Within the save area, in NESTED_CHECKS order. */
	make_valid(v);
	v->save.cr0 = (v->save.cr0 | X86_CR0_NW) & ~X86_CR0_CD;
	v->save.cr4 |= BIT(63);
	expect_fail(v, NCHK_CR0_NW_CD, "CR0.NW set with CR0.CD clear", "cr0");
}

static void test_null_why_allowed(void **state)
{
	struct vmcb *v = *state;
	struct nested_caps caps = caps_full();

	v->control.asid = 0;
	nested_copy_vmcb12(&cache, v);
	assert_int_equal(nested_check_vmcb12(&cache, &caps, NULL), -NV_EINVAL);
}

/* ---- pre-checks ------------------------------------------------------------- */

static struct nested_vmrun_ctx good_l1(void)
{
	struct nested_vmrun_ctx l1 = {
		.efer = X86_EFER_SVME | X86_EFER_LME | X86_EFER_LMA,
		.cr0 = X86_CR0_PE | X86_CR0_PG,
		.cpl = 0,
		.smm = false,
		.hsave_pa = 0x7000,
		.vmcb12_gpa = 0x8000,
	};
	return l1;
}

static void expect_pre(const struct nested_vmrun_ctx *l1, int exc, int id,
		       const char *name, const char *token)
{
	struct nested_caps caps = caps_full();
	struct nested_check_failure why = { -1, NULL, NULL };
	enum x86_vector got = 0;
	int rc = nested_vmrun_prechecks(l1, &caps, &why, &got);

	/* exc: the vector to inject (APM Vol. 2 Table 8-1), -1 for none. */
	assert_int_equal(rc, exc < 0 ? 0 : -NV_EINVAL);
	if (exc >= 0)
		assert_int_equal(got, exc);
	assert_int_equal(why.id, id);
	if (id != NCHK_NONE) {
		assert_string_equal(why.name, name);
		assert_non_null(strstr(why.cond, token));
	}
}

static void test_prechecks(void **state)
{
	(void)state;
	struct nested_vmrun_ctx l1 = good_l1();

	expect_pre(&l1, -1, NCHK_NONE, NULL, NULL);

	l1 = good_l1();
	l1.efer &= ~X86_EFER_SVME;
	expect_pre(&l1, 6, NCHK_PRE_SVME, "EFER.SVME is 0 (#UD)", "efer");

	l1 = good_l1();
	l1.cr0 &= ~X86_CR0_PG;
	expect_pre(&l1, 6, NCHK_PRE_PAGING, "paging is off (#UD)", "cr0");

	l1 = good_l1();
	l1.smm = true;
	expect_pre(&l1, 6, NCHK_PRE_SMM, "VMRUN in SMM (#UD)", "smm");

	for (uint8_t cpl = 1; cpl < 4; cpl++) {
		l1 = good_l1();
		l1.cpl = cpl;
		expect_pre(&l1, 13, NCHK_PRE_CPL, "CPL is not 0 (#GP)", "cpl");
	}

	l1 = good_l1();
	l1.hsave_pa = 0;
	expect_pre(&l1, 13, NCHK_PRE_HSAVE, "VM_HSAVE_PA is 0 (#GP)", "hsave_pa");

	for (unsigned b = 0; b < 12; b++) {
		l1 = good_l1();
		l1.vmcb12_gpa |= BIT(b);
		expect_pre(&l1, 13, NCHK_PRE_VMCB12_ALIGN,
			   "vmcb12 GPA not page-aligned (#GP)", "vmcb12_gpa");
	}
	for (unsigned b = M; b < 64; b++) {
		l1 = good_l1();
		l1.vmcb12_gpa |= BIT(b);
		expect_pre(&l1, 13, NCHK_PRE_VMCB12_GPA,
			   "vmcb12 GPA beyond MAXPHYADDR (#GP)", "vmcb12_gpa");
	}
	l1 = good_l1();
	l1.vmcb12_gpa = BIT(M) - 0x1000;
	expect_pre(&l1, -1, NCHK_NONE, NULL, NULL);

	/* #UD conditions come before #GP ones. */
	l1 = good_l1();
	l1.efer &= ~X86_EFER_SVME;
	l1.cpl = 3;
	l1.hsave_pa = 0;
	expect_pre(&l1, 6, NCHK_PRE_SVME, "EFER.SVME is 0 (#UD)", "efer");
}

/* ---- the name table ------------------------------------------------------- */

static void test_check_names(void **state)
{
	(void)state;
	for (int i = 1; i < NCHK_COUNT; i++) {
		const char *n = nested_check_name(i);

		assert_non_null(n);
		assert_true(strlen(n) > 0);
		assert_string_not_equal(n, "?");
		for (int j = 1; j < i; j++)
			assert_string_not_equal(n, nested_check_name(j));
	}
	assert_string_equal(nested_check_name(-1), "?");
	assert_string_equal(nested_check_name(NCHK_COUNT), "?");
}

#define T(f) cmocka_unit_test_setup_teardown(f, setup, teardown)

int main(void)
{
	const struct CMUnitTest tests[] = {
		T(test_valid_64bit_np_passes),
		T(test_valid_legacy_no_np_passes),
		T(test_vmrun_intercept),
		T(test_asid_zero),
		T(test_asid_range),
		T(test_pae_pdptes),
		T(test_ncr3_beyond_maxphyaddr),
		T(test_msrpm_boundary),
		T(test_iopm_boundary),
		T(test_pm_checked_without_intercepts),
		T(test_vnmi_needs_nmi_intercept),
		T(test_eventinj_types),
		T(test_eventinj_exception_vectors),
		T(test_eventinj_interrupt_any_vector),
		T(test_eventinj_reserved_bits_masked),
		T(test_efer_svme),
		T(test_cr0_cd_nw),
		T(test_cr0_dr6_dr7_high),
		T(test_long_mode_needs_pae),
		T(test_long_mode_needs_pe),
		T(test_long_mode_cr3),
		T(test_long_mode_cr3_low_bits_ignored),
		T(test_long_mode_cs_l_d),
		T(test_long_mode_rules_need_lme_and_pg),
		T(test_lma_not_checked),
		T(test_cr4_reserved_and_unsupported),
		T(test_efer_reserved_and_unsupported),
		T(test_gpat),
		T(test_noncanonical_bases_accepted),
		T(test_gmet_without_support_masked),
		T(test_np_without_support_masked),
		T(test_first_failure_wins),
		T(test_null_why_allowed),
		cmocka_unit_test(test_prechecks),
		cmocka_unit_test(test_check_names),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
