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

static struct vmcb12_ctrl_cache ctl;

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
		ctl.event_inj.raw = (uint32_t)BIT(b);
		ctl.event_inj_err = 0xdeadbeef;
		sanitize(&caps);
		assert_int_equal(ctl.event_inj.raw, (uint32_t)BIT(b) & defined);
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
	}
}

/* Every byte the sanitiser has no rule for stays as L1 wrote it. */
static void test_sanitize_leaves_the_rest(void **state)
{
	(void)state;
	struct nested_caps caps = caps_full();
	struct vmcb12_ctrl_cache before;
	uint8_t *p = (uint8_t *)&ctl;
	/* [offset, size) of every field with a sanitiser rule. */
	static const struct { size_t off, len; } ruled[] = {
		{ offsetof(struct vmcb12_ctrl_cache, intercept_misc2), 4 },
		{ offsetof(struct vmcb12_ctrl_cache, intercept_misc3), 4 },
		{ offsetof(struct vmcb12_ctrl_cache, iopm_base_pa), 8 },
		{ offsetof(struct vmcb12_ctrl_cache, msrpm_base_pa), 8 },
		{ offsetof(struct vmcb12_ctrl_cache, tlb_control), 1 },
		{ offsetof(struct vmcb12_ctrl_cache, int_ctl), 4 },
		{ offsetof(struct vmcb12_ctrl_cache, int_vector), 4 },
		{ offsetof(struct vmcb12_ctrl_cache, int_state), 4 },
		{ offsetof(struct vmcb12_ctrl_cache, misc_ctl), 8 },
		{ offsetof(struct vmcb12_ctrl_cache, event_inj), 4 },
		{ offsetof(struct vmcb12_ctrl_cache, virt_ext), 8 },
		{ offsetof(struct vmcb12_ctrl_cache, next_rip), 8 },
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

/* vmcb12 as L1 wrote it: a pattern with no two equal words and no zero
 * word, read back at the offsets of APM Vol. 2 Tables B-1 and B-2
 * (written out here, not taken from svm/vmcb.h). */
static uint64_t rd(const void *v, size_t off, unsigned len)
{
	uint64_t x = 0;

	memcpy(&x, (const uint8_t *)v + off, len);
	return x;
}

static void check_seg(const struct vmcb_seg *s, const void *v, size_t off)
{
	assert_int_equal(s->selector, rd(v, off, 2));
	assert_int_equal(s->attrib.raw, rd(v, off + 2, 2));
	assert_int_equal(s->limit, rd(v, off + 4, 4));
	assert_int_equal(s->base, rd(v, off + 8, 8));
}

static void test_copy_every_field(void **state)
{
	(void)state;
	struct vmcb *src = aligned_alloc(4096, sizeof(struct vmcb));
	struct vmcb12_cache c;
	uint64_t *w = (uint64_t *)src;

	assert_non_null(src);
	for (size_t i = 0; i < sizeof(*src) / 8; i++)
		w[i] = (i + 1) * 0x9e3779b97f4a7c15ull;
	memset(&c, 0, sizeof(c));
	nested_copy_vmcb12(&c, src);

	assert_int_equal(c.ctrl.intercept_cr, rd(src, 0x000, 4));
	assert_int_equal(c.ctrl.intercept_dr, rd(src, 0x004, 4));
	assert_int_equal(c.ctrl.intercept_exceptions, rd(src, 0x008, 4));
	assert_int_equal(c.ctrl.intercept_misc1, rd(src, 0x00c, 4));
	assert_int_equal(c.ctrl.intercept_misc2, rd(src, 0x010, 4));
	assert_int_equal(c.ctrl.intercept_misc3, rd(src, 0x014, 4));
	assert_int_equal(c.ctrl.pause_filter_thresh, rd(src, 0x03c, 2));
	assert_int_equal(c.ctrl.pause_filter_count, rd(src, 0x03e, 2));
	assert_int_equal(c.ctrl.iopm_base_pa, rd(src, 0x040, 8));
	assert_int_equal(c.ctrl.msrpm_base_pa, rd(src, 0x048, 8));
	assert_int_equal(c.ctrl.tsc_offset, rd(src, 0x050, 8));
	assert_int_equal(c.ctrl.asid, rd(src, 0x058, 4));
	assert_int_equal(c.ctrl.tlb_control, rd(src, 0x05c, 1));
	assert_int_equal(c.ctrl.int_ctl, rd(src, 0x060, 4));
	assert_int_equal(c.ctrl.int_vector, rd(src, 0x064, 4));
	assert_int_equal(c.ctrl.int_state, rd(src, 0x068, 4));
	assert_int_equal(c.ctrl.misc_ctl, rd(src, 0x090, 8));
	assert_int_equal(c.ctrl.event_inj.raw, rd(src, 0x0a8, 4));
	assert_int_equal(c.ctrl.event_inj_err, rd(src, 0x0ac, 4));
	assert_int_equal(c.ctrl.nested_cr3, rd(src, 0x0b0, 8));
	assert_int_equal(c.ctrl.virt_ext, rd(src, 0x0b8, 8));
	assert_int_equal(c.ctrl.next_rip, rd(src, 0x0c8, 8));

	check_seg(&c.save.es, src, 0x400);
	check_seg(&c.save.cs, src, 0x410);
	check_seg(&c.save.ss, src, 0x420);
	check_seg(&c.save.ds, src, 0x430);
	check_seg(&c.save.gdtr, src, 0x460);
	check_seg(&c.save.idtr, src, 0x480);
	assert_int_equal(c.save.cpl, rd(src, 0x4cb, 1));
	assert_int_equal(c.save.efer, rd(src, 0x4d0, 8));
	assert_int_equal(c.save.cr4, rd(src, 0x548, 8));
	assert_int_equal(c.save.cr3, rd(src, 0x550, 8));
	assert_int_equal(c.save.cr0, rd(src, 0x558, 8));
	assert_int_equal(c.save.dr7, rd(src, 0x560, 8));
	assert_int_equal(c.save.dr6, rd(src, 0x568, 8));
	assert_int_equal(c.save.rflags, rd(src, 0x570, 8));
	assert_int_equal(c.save.rip, rd(src, 0x578, 8));
	assert_int_equal(c.save.rsp, rd(src, 0x5d8, 8));
	assert_int_equal(c.save.rax, rd(src, 0x5f8, 8));
	assert_int_equal(c.save.cr2, rd(src, 0x640, 8));
	assert_int_equal(c.save.g_pat, rd(src, 0x668, 8));
	free(src);
}

/*
 * nested_copy_vmcb12_into(): the same cache, and L2's state (the save
 * area's ES, CS, SS, DS, GDTR, IDTR, CPL, EFER, CR4, CR3, CR0, DR7, DR6,
 * RFLAGS, RIP, RSP, RAX, CR2, G_PAT at their APM Vol. 2 Table B-2
 * offsets) into the save area given, nothing else of it.
 */
static void test_copy_into_save_area(void **state)
{
	(void)state;
	struct vmcb *src = aligned_alloc(4096, sizeof(struct vmcb));
	struct vmcb *l2 = aligned_alloc(4096, sizeof(struct vmcb));
	struct vmcb12_cache c, c_into;
	uint64_t *w = (uint64_t *)src;
	static const struct { size_t off, len; } copied[] = {
		{ 0x400, 16 }, { 0x410, 16 }, { 0x420, 16 }, { 0x430, 16 },
		{ 0x460, 16 }, { 0x480, 16 }, { 0x4cb, 1 }, { 0x4d0, 8 },
		{ 0x548, 8 }, { 0x550, 8 }, { 0x558, 8 }, { 0x560, 8 },
		{ 0x568, 8 }, { 0x570, 8 }, { 0x578, 8 }, { 0x5d8, 8 },
		{ 0x5f8, 8 }, { 0x640, 8 }, { 0x668, 8 },
	};

	assert_non_null(src);
	assert_non_null(l2);
	for (size_t i = 0; i < sizeof(*src) / 8; i++)
		w[i] = (i + 1) * 0x9e3779b97f4a7c15ull;
	memset(&c, 0, sizeof(c));
	memset(&c_into, 0, sizeof(c_into));
	memset(l2, 0xa5, sizeof(*l2));
	nested_copy_vmcb12(&c, src);
	nested_copy_vmcb12_into(&c_into, src, &l2->save);
	assert_memory_equal(&c, &c_into, sizeof(c));
	for (size_t off = 0x400; off < sizeof(struct vmcb); off++) {
		bool in = false;

		for (size_t i = 0; i < sizeof(copied) / sizeof(copied[0]); i++)
			in |= off - copied[i].off < copied[i].len;
		assert_int_equal(((const uint8_t *)l2)[off],
				 in ? ((const uint8_t *)src)[off] : 0xa5);
	}
	free(src);
	free(l2);
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
		cmocka_unit_test(test_copy_into_save_area),
	};
	return cmocka_run_group_tests(tests, NULL, NULL);
}
