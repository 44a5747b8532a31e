// SPDX-License-Identifier: MIT
/*
 * svm/nested_check.c: the vmcb12 sanitiser, bit by bit, and the single
 * copy out of L1 memory.  The allowed-bit sets are written out here from
 * APM Vol. 2 Table B-1 / §15.20 and docs/semantics.md §8.6 and §2.3,
 * independently of the code.
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

#include "nested_caps_fixture.h"

/* ---- sanitiser, bit by bit ------------------------------------------------- */

static struct vmcb_control ctl;

static void sanitize(const struct nested_caps *caps)
{
	nested_sanitize_controls(&ctl, caps);
}

static void test_sanitize_misc_ctl(void **state)
{
	(void)state;
	struct nested_caps caps = caps_full();

	/* Every bit of 0x090 except NP (bit 0) and GMET (bit 3) goes, SEV
	 * (1) and SEV-ES (2) included. */
	for (unsigned b = 0; b < 64; b++) {
		memset(&ctl, 0, sizeof(ctl));
		ctl.misc_ctl = BIT(b) | MISC_CTL_NP_ENABLE;
		sanitize(&caps);
		assert_int_equal(ctl.misc_ctl,
				 (b == 3 ? BIT(3) : 0) | MISC_CTL_NP_ENABLE);
	}
	ctl.misc_ctl = ~0ull;
	caps.gmet = false;
	sanitize(&caps);
	assert_int_equal(ctl.misc_ctl, MISC_CTL_NP_ENABLE);
	ctl.misc_ctl = ~0ull;
	caps.np = false;
	sanitize(&caps);
	assert_int_equal(ctl.misc_ctl, 0);
	/* GMET offered but L1 asks for GMET without NP: nothing to apply to. */
	caps = caps_full();
	ctl.misc_ctl = MISC_CTL_GMET;
	sanitize(&caps);
	assert_int_equal(ctl.misc_ctl, 0);
}

static void check_int_ctl(bool vgif, bool vnmi)
{
	struct nested_caps caps = caps_full();
	/* Table B-1 int_ctl: V_TPR 3:0, V_IRQ 8, V_INTR_PRIO 19:16,
	 * V_IGN_TPR 20, V_INTR_MASKING 24 always; V_GIF 9 and V_GIF_ENABLE
	 * 25 with vGIF; V_NMI 11, V_NMI_MASK 12, V_NMI_ENABLE 26 with vNMI.
	 * Never AVIC (31), x2AVIC (30), V_TPR 7:4 or reserved bits. */
	uint32_t allowed = 0xfu | BIT(8) | (0xfu << 16) | BIT(20) | BIT(24);

	if (vgif)
		allowed |= BIT(9) | BIT(25);
	if (vnmi)
		allowed |= BIT(11) | BIT(12) | BIT(26);
	caps.vgif = vgif;
	caps.vnmi = vnmi;
	for (unsigned b = 0; b < 32; b++) {
		memset(&ctl, 0, sizeof(ctl));
		ctl.int_ctl = (uint32_t)BIT(b);
		sanitize(&caps);
		assert_int_equal(ctl.int_ctl, (uint32_t)BIT(b) & allowed);
	}
	ctl.int_ctl = ~0u;
	sanitize(&caps);
	assert_int_equal(ctl.int_ctl, allowed);
	assert_int_equal(ctl.int_ctl & (BIT(31) | BIT(30)), 0);
}

static void test_sanitize_int_ctl(void **state)
{
	(void)state;
	check_int_ctl(true, true);
	check_int_ctl(false, true);
	check_int_ctl(true, false);
	check_int_ctl(false, false);
}

static void test_sanitize_int_vector_state(void **state)
{
	(void)state;
	struct nested_caps caps = caps_full();

	for (unsigned b = 0; b < 32; b++) {
		memset(&ctl, 0, sizeof(ctl));
		ctl.int_vector = (uint32_t)BIT(b);
		ctl.int_state = (uint32_t)BIT(b);
		sanitize(&caps);
		assert_int_equal(ctl.int_vector, b < 8 ? BIT(b) : 0);
		assert_int_equal(ctl.int_state, b == 0 ? 1 : 0);
	}
}

static void test_sanitize_tlb_control(void **state)
{
	(void)state;
	struct nested_caps caps = caps_full();

	for (unsigned fba = 0; fba < 2; fba++) {
		caps.flush_by_asid = fba;
		for (unsigned val = 0; val < 256; val++) {
			uint8_t want;

			/* 0 and 1 always; 3 and 7 with FlushByASID;
			 * anything else becomes a full flush. */
			if (val == 0 || val == 1)
				want = (uint8_t)val;
			else if ((val == 3 || val == 7) && fba)
				want = (uint8_t)val;
			else
				want = TLB_CONTROL_FLUSH_ALL;
			memset(&ctl, 0, sizeof(ctl));
			ctl.tlb_control = (uint8_t)val;
			sanitize(&caps);
			assert_int_equal(ctl.tlb_control, want);
		}
	}
}

static void test_sanitize_event_inj(void **state)
{
	(void)state;
	struct nested_caps caps = caps_full();
	/* APM §15.20: VECTOR 7:0, TYPE 10:8, EV 11, V 31; 30:12 reserved. */
	const uint32_t defined = 0xfffu | BIT(31);

	for (unsigned b = 0; b < 32; b++) {
		memset(&ctl, 0, sizeof(ctl));
		ctl.event_inj = (uint32_t)BIT(b);
		ctl.event_inj_err = 0xdeadbeef;
		sanitize(&caps);
		assert_int_equal(ctl.event_inj, (uint32_t)BIT(b) & defined);
		assert_int_equal(ctl.event_inj_err, 0xdeadbeef);
	}
}

static void check_intercepts(bool feat)
{
	struct nested_caps caps = caps_full();

	caps.xsave = caps.rdtscp = caps.rdpru = caps.invpcid = feat;
	memset(&ctl, 0, sizeof(ctl));
	ctl.intercept_cr = ctl.intercept_dr = ctl.intercept_exceptions = ~0u;
	ctl.intercept_misc1 = ctl.intercept_misc2 = ctl.intercept_misc3 = ~0u;
	sanitize(&caps);
	/* CR, DR, exception and misc1 intercepts are all defined: kept. */
	assert_int_equal(ctl.intercept_cr, ~0u);
	assert_int_equal(ctl.intercept_dr, ~0u);
	assert_int_equal(ctl.intercept_exceptions, ~0u);
	assert_int_equal(ctl.intercept_misc1, ~0u);
	/* misc2 (0x010): 0 VMRUN .. 5 CLGI kept, 6 SKINIT never, 7 RDTSCP
	 * and 13 XSETBV and 14 RDPRU with the feature, 8-12 kept, 31:15
	 * (SEV-ES write traps) never. */
	uint32_t misc2 = 0x3fu | (0x1fu << 8);

	if (feat)
		misc2 |= BIT(7) | BIT(13) | BIT(14);
	assert_int_equal(ctl.intercept_misc2, misc2);
	/* misc3 (0x014): only INVPCID (bit 2), with the feature. */
	assert_int_equal(ctl.intercept_misc3, feat ? BIT(2) : 0);
}

static void test_sanitize_intercepts(void **state)
{
	(void)state;
	check_intercepts(true);
	check_intercepts(false);
}

static void test_sanitize_virt_ext(void **state)
{
	(void)state;
	struct nested_caps caps = caps_full();

	for (unsigned lbrv = 0; lbrv < 2; lbrv++) {
		caps.lbrv = lbrv;
		for (unsigned b = 0; b < 64; b++) {
			memset(&ctl, 0, sizeof(ctl));
			ctl.virt_ext = BIT(b);
			sanitize(&caps);
			/* bit 0 LBR virtualization with LBRV; bit 1 virtual
			 * VMLOAD/VMSAVE never (CVE-2021-3656). */
			assert_int_equal(ctl.virt_ext, (b == 0 && lbrv) ? 1 : 0);
		}
	}
}

static void test_sanitize_bitmap_bases_nrip_pointers(void **state)
{
	(void)state;
	struct nested_caps caps = caps_full();

	for (unsigned nrips = 0; nrips < 2; nrips++) {
		caps.nrips = nrips;
		memset(&ctl, 0xff, sizeof(ctl));
		ctl.msrpm_base_pa = 0x123456fff;
		ctl.iopm_base_pa = 0x654321abc;
		ctl.next_rip = 0x401000;
		sanitize(&caps);
		assert_int_equal(ctl.msrpm_base_pa, 0x123456000);
		assert_int_equal(ctl.iopm_base_pa, 0x654321000);
		assert_int_equal(ctl.next_rip, nrips ? 0x401000 : 0);
		assert_int_equal(ctl.avic_vapic_bar, 0);
		assert_int_equal(ctl.avic_backing_page, 0);
		assert_int_equal(ctl.avic_logical_id, 0);
		assert_int_equal(ctl.avic_physical_id, 0);
		assert_int_equal(ctl.ghcb_gpa, 0);
		assert_int_equal(ctl.vmsa_pa, 0);
	}
}

/* Every byte the sanitiser has no rule for stays as L1 wrote it. */
static void test_sanitize_leaves_the_rest(void **state)
{
	(void)state;
	struct nested_caps caps = caps_full();
	struct vmcb_control before;
	uint8_t *p = (uint8_t *)&ctl;
	/* [offset, size) of every field with a sanitiser rule. */
	static const struct { size_t off, len; } ruled[] = {
		{ offsetof(struct vmcb_control, intercept_misc2), 4 },
		{ offsetof(struct vmcb_control, intercept_misc3), 4 },
		{ offsetof(struct vmcb_control, iopm_base_pa), 8 },
		{ offsetof(struct vmcb_control, msrpm_base_pa), 8 },
		{ offsetof(struct vmcb_control, tlb_control), 1 },
		{ offsetof(struct vmcb_control, int_ctl), 4 },
		{ offsetof(struct vmcb_control, int_vector), 4 },
		{ offsetof(struct vmcb_control, int_state), 4 },
		{ offsetof(struct vmcb_control, misc_ctl), 8 },
		{ offsetof(struct vmcb_control, avic_vapic_bar), 8 },
		{ offsetof(struct vmcb_control, ghcb_gpa), 8 },
		{ offsetof(struct vmcb_control, event_inj), 4 },
		{ offsetof(struct vmcb_control, virt_ext), 8 },
		{ offsetof(struct vmcb_control, next_rip), 8 },
		{ offsetof(struct vmcb_control, avic_backing_page), 8 },
		{ offsetof(struct vmcb_control, avic_logical_id), 8 },
		{ offsetof(struct vmcb_control, avic_physical_id), 8 },
		{ offsetof(struct vmcb_control, vmsa_pa), 8 },
	};

	for (size_t i = 0; i < sizeof(ctl); i++)
		p[i] = (uint8_t)(i * 37 + 11);
	memcpy(&before, &ctl, sizeof(ctl));
	sanitize(&caps);
	for (size_t i = 0; i < sizeof(ctl); i++) {
		bool is_ruled = false;

		for (size_t r = 0; r < sizeof(ruled) / sizeof(ruled[0]); r++)
			if (i >= ruled[r].off && i < ruled[r].off + ruled[r].len)
				is_ruled = true;
		if (!is_ruled && p[i] != ((uint8_t *)&before)[i])
			print_error("byte 0x%zx changed\n", i);
		if (!is_ruled)
			assert_int_equal(p[i], ((uint8_t *)&before)[i]);
	}
}

/* ---- copy ------------------------------------------------------------------- */

static void test_copy_every_field(void **state)
{
	(void)state;
	struct vmcb *src = aligned_alloc(4096, sizeof(struct vmcb));
	struct vmcb *dst = aligned_alloc(4096, sizeof(struct vmcb));
	uint64_t *w = (uint64_t *)src;

	assert_non_null(src);
	assert_non_null(dst);
	/* A pattern with no two equal words, and no zero word. */
	for (size_t i = 0; i < sizeof(*src) / 8; i++)
		w[i] = (i + 1) * 0x9e3779b97f4a7c15ull;
	memset(dst, 0, sizeof(*dst));

	nested_copy_vmcb12(dst, src);
	/* The defined parts (APM Vol. 2 Appendix B) are copied, the reserved
	 * rest of the cache is left alone. */
	assert_memory_equal(dst, src, 0x110);
	assert_memory_equal((uint8_t *)dst + 0x400, (uint8_t *)src + 0x400,
			    0x698 - 0x400);
	for (size_t i = 0x110; i < 0x400; i++)
		assert_int_equal(((uint8_t *)dst)[i], 0);
	for (size_t i = 0x698; i < 0x1000; i++)
		assert_int_equal(((uint8_t *)dst)[i], 0);
	/* Named fields at both ends of each area, as the reader sees them. */
	assert_true(dst->control.intercept_cr == src->control.intercept_cr);
	assert_true(dst->control.vmsa_pa == src->control.vmsa_pa);
	assert_true(dst->save.es.base == src->save.es.base);
	assert_true(dst->save.efer == src->save.efer);
	assert_true(dst->save.g_pat == src->save.g_pat);
	assert_true(dst->save.last_excp_to == src->save.last_excp_to);
	free(src);
	free(dst);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_sanitize_misc_ctl),
		cmocka_unit_test(test_sanitize_int_ctl),
		cmocka_unit_test(test_sanitize_int_vector_state),
		cmocka_unit_test(test_sanitize_tlb_control),
		cmocka_unit_test(test_sanitize_event_inj),
		cmocka_unit_test(test_sanitize_intercepts),
		cmocka_unit_test(test_sanitize_virt_ext),
		cmocka_unit_test(test_sanitize_bitmap_bases_nrip_pointers),
		cmocka_unit_test(test_sanitize_leaves_the_rest),
		cmocka_unit_test(test_copy_every_field),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
