// SPDX-License-Identifier: MIT
/*
 * Fuzz target: emulated VMRUN's first half (svm/nested_check.c): the
 * pre-checks, the copy of vmcb12, the sanitiser and the consistency checks,
 * on vmcb12s and CPUID views an L1 could present.
 *
 * Input: a mode byte, the offered features (struct nested_caps), L1's state
 * at VMRUN, the four PAE PDPTEs at vmcb12's CR3 (a byte: bit 0 readable,
 * then 4 x u64), then the vmcb12: in raw mode the remaining bytes are
 * vmcb12 from offset 0 (the rest zero); in patch mode a valid vmcb12 is
 * built and the remaining bytes are 11-byte patches (op, offset, value)
 * that write a byte, a dword or a qword, or flip a bit.
 *
 * Invariants:
 *  - nothing crashes; the pre-check result is OK, #UD or #GP as VMRUN's
 *    rules give it;
 *  - the cache holds each of its fields exactly as vmcb12 has it (every
 *    field written: the cache is poisoned first);
 *  - the sanitiser only clears (TLB_CONTROL may become "flush all"),
 *    leaves nothing L1 was not offered, touches no other field, and a
 *    second pass changes nothing;
 *  - the consistency checks accept a vmcb12 exactly when every rule of
 *    APM Vol. 2 §15.5.1 (and the ones nestvisor adds, docs/nested.md)
 *    holds, and a rejection names a rule that is broken.  Each rule is a
 *    small predicate below, written from the APM with its own constants;
 *    none calls the code under test.
 */
#include <stdlib.h>
#include <string.h>

#include "core/err.h"
#include "fuzz.h"
#include "svm/nested_check.h"

/* ---- constants, from the APM (not from nestvisor's headers) ------------- */
#define A_EFER_SCE	(1ull << 0)
#define A_EFER_LME	(1ull << 8)
#define A_EFER_LMA	(1ull << 10)
#define A_EFER_NXE	(1ull << 11)
#define A_EFER_SVME	(1ull << 12)
#define A_EFER_LMSLE	(1ull << 13)
#define A_EFER_FFXSR	(1ull << 14)
#define A_EFER_TCE	(1ull << 15)
/* Vol. 2 §3.1.7: the EFER bits an AMD64 CPU may define (with MCOMMIT 17,
 * INTWB 18, UAIE 20, AIBRSE 21); everything else is MBZ. */
#define A_EFER_DEFINED	(A_EFER_SCE | A_EFER_LME | A_EFER_LMA | A_EFER_NXE | \
			 A_EFER_SVME | A_EFER_LMSLE | A_EFER_FFXSR | A_EFER_TCE | \
			 (1ull << 17) | (1ull << 18) | (1ull << 20) | (1ull << 21))
#define A_CR0_PE	(1ull << 0)
#define A_CR0_NW	(1ull << 29)
#define A_CR0_CD	(1ull << 30)
#define A_CR0_PG	(1ull << 31)
#define A_CR4_PAE	(1ull << 5)
/* Vol. 2 §3.1.3: CR4 bits 12:0, FSGSBASE 16, PCIDE 17, OSXSAVE 18, SMEP
 * 20, SMAP 21, PKE 22, CET 23; the others are reserved (MBZ). */
#define A_CR4_DEFINED	(0x1fffull | (7ull << 16) | (0xfull << 20))
/* VMCB segment attributes: descriptor bits 55:52 in 11:8, so L is bit 9
 * and D/B bit 10 (Appendix B, "Segment state"). */
#define A_SEG_L		(1u << 9)
#define A_SEG_D		(1u << 10)
/* Table B-1. */
#define A_ICPT1_NMI	(1u << 1)
#define A_ICPT2_VMRUN	(1u << 0)
#define A_NP_ENABLE	(1ull << 0)
#define A_GMET		(1ull << 3)
#define A_V_NMI_ENABLE	(1u << 26)
#define A_VIRT_LBR	(1ull << 0)
/* §15.20 EVENTINJ: vector 7:0, type 10:8, EV 11, reserved 30:12, V 31. */
#define A_EVT_V		(1u << 31)
#define A_EVT_RSVD	0x7ffff000u
/* §15.11 / §15.10.1: permission map sizes. */
#define A_MSRPM_BYTES	0x2000ull
#define A_IOPM_BYTES	0x3000ull
/* Vol. 2 Table 8-1: vectors with a defined exception, without the optional
 * #CP (21, shadow stacks) and #VC (29, SEV-ES); 2 is the NMI. */
#define A_EXC_VECTORS	0x500f7dfbu

/* ---- the rules (APM §15.5.1, §15.20, §15.25, §15.21.10) ----------------- */
struct rules_ctx {
	const struct vmcb *v;	/* as L1 wrote it */
	const struct nested_caps *caps;
	bool pdptes_readable;	/* the PDPTEs at CR3 are in L1 memory */
	uint64_t pdpte[4];
};

static bool legal_pa(uint64_t pa, unsigned maxphyaddr)
{
	return maxphyaddr >= 64 || pa < (1ull << maxphyaddr);
}

static bool long_mode(const struct vmcb_save *s)
{
	return (s->efer & A_EFER_LME) && (s->cr0 & A_CR0_PG);
}

static bool np_on(const struct rules_ctx *x)
{
	return x->caps->np && (x->v->control.misc_ctl & A_NP_ENABLE);
}

static bool r_vmrun_intercept(const struct rules_ctx *x)
{
	return x->v->control.intercept_misc2 & A_ICPT2_VMRUN;
}

static bool r_asid(const struct rules_ctx *x)
{
	return x->v->control.asid != 0;
}

/* Not the APM's: nestvisor's rule for ASIDs CPUID does not give L1
 * (docs/semantics.md §11 item 14). */
static bool r_asid_range(const struct rules_ctx *x)
{
	return x->v->control.asid < x->caps->nr_asids;
}

static bool r_ncr3(const struct rules_ctx *x)
{
	return !np_on(x) || legal_pa(x->v->control.nested_cr3,
				     x->caps->maxphyaddr);
}

/* The map, its low 12 bits ignored, must end below MAXPHYADDR. */
static bool pm_ok(uint64_t base, uint64_t bytes, unsigned maxphyaddr)
{
	base &= ~0xfffull;
	return base + bytes - 1 > base &&
	       legal_pa(base + bytes - 1, maxphyaddr);
}

static bool r_msrpm(const struct rules_ctx *x)
{
	return pm_ok(x->v->control.msrpm_base_pa, A_MSRPM_BYTES,
		     x->caps->maxphyaddr);
}

static bool r_iopm(const struct rules_ctx *x)
{
	return pm_ok(x->v->control.iopm_base_pa, A_IOPM_BYTES,
		     x->caps->maxphyaddr);
}

static bool r_vnmi(const struct rules_ctx *x)
{
	return !x->caps->vnmi ||
	       !(x->v->control.int_ctl & A_V_NMI_ENABLE) ||
	       (x->v->control.intercept_misc1 & A_ICPT1_NMI);
}

static bool r_evt_type(const struct rules_ctx *x)
{
	uint32_t e = x->v->control.event_inj.raw, type = (e >> 8) & 7;

	return !(e & A_EVT_V) || type == 0 || type == 2 || type == 3 ||
	       type == 4;
}

static bool r_evt_vector(const struct rules_ctx *x)
{
	uint32_t e = x->v->control.event_inj.raw, vec = e & 0xff;
	uint32_t ok = A_EXC_VECTORS | (x->caps->shstk ? 1u << 21 : 0) |
		      (x->caps->sev_es ? 1u << 29 : 0);

	if (!(e & A_EVT_V) || ((e >> 8) & 7) != 3)
		return true;
	return vec < 32 && (ok >> vec & 1);
}

static bool r_efer_svme(const struct rules_ctx *x)
{
	return x->v->save.efer & A_EFER_SVME;
}

static bool r_cr0_nw_cd(const struct rules_ctx *x)
{
	uint64_t cr0 = x->v->save.cr0;

	return !((cr0 & A_CR0_NW) && !(cr0 & A_CR0_CD));
}

static bool r_cr0_high(const struct rules_ctx *x)
{
	return (x->v->save.cr0 >> 32) == 0;
}

static bool r_dr6_high(const struct rules_ctx *x)
{
	return (x->v->save.dr6 >> 32) == 0;
}

static bool r_dr7_high(const struct rules_ctx *x)
{
	return (x->v->save.dr7 >> 32) == 0;
}

static bool r_lm_pae(const struct rules_ctx *x)
{
	return !long_mode(&x->v->save) || (x->v->save.cr4 & A_CR4_PAE);
}

static bool r_lm_pe(const struct rules_ctx *x)
{
	return !long_mode(&x->v->save) || (x->v->save.cr0 & A_CR0_PE);
}

/* Long-mode CR3: bits 63:52 reserved, address bits from MAXPHYADDR MBZ. */
static bool r_lm_cr3(const struct rules_ctx *x)
{
	return !long_mode(&x->v->save) ||
	       legal_pa(x->v->save.cr3, x->caps->maxphyaddr);
}

static bool r_lm_cs(const struct rules_ctx *x)
{
	const struct vmcb_save *s = &x->v->save;

	return !(long_mode(s) && (s->cr4 & A_CR4_PAE) &&
		 (s->cs.attrib.raw & A_SEG_L) && (s->cs.attrib.raw & A_SEG_D));
}

/* MBZ and unsupported (CPUID) bits of CR4. */
static bool r_cr4(const struct rules_ctx *x)
{
	uint64_t cr4 = x->v->save.cr4;

	return !(cr4 & ~A_CR4_DEFINED) && !(cr4 & ~x->caps->cr4_allowed);
}

/* MBZ and unsupported bits of EFER; LME/LMA need long mode. */
static bool r_efer(const struct rules_ctx *x)
{
	uint64_t efer = x->v->save.efer, ok = x->caps->efer_allowed;

	if ((efer & (A_EFER_LME | A_EFER_LMA)) && !(ok & A_EFER_LME))
		return false;
	return !(efer & ~A_EFER_DEFINED) && !(efer & ~ok);
}

/* With nested paging L2 loads gPAT: every entry UC, WC, WT, WP, WB, UC-. */
static bool r_gpat(const struct rules_ctx *x)
{
	uint64_t pat = x->v->save.g_pat;

	if (!np_on(x))
		return true;
	for (int i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));

		if (t > 7 || t == 2 || t == 3)
			return false;
	}
	return true;
}

/* L2 in legacy PAE paging without nested paging: VMRUN loads the four
 * PDPTEs as MOV CR3 does (APM Vol. 2 §5.3.3, §15.5). */
static bool needs_pdptes(const struct rules_ctx *x)
{
	const struct vmcb_save *s = &x->v->save;

	return !np_on(x) && (s->cr0 & A_CR0_PG) && (s->cr4 & A_CR4_PAE) &&
	       !(s->efer & A_EFER_LME);
}

/* A present PAE PDPTE has bits 2:1, 8:5 and 63:MAXPHYADDR clear (Figure
 * 5-10: no NX, no A, no rights in a PDPTE). */
static bool r_pae_pdpte(const struct rules_ctx *x)
{
	uint64_t rsvd = (3ull << 1) | (0xfull << 5);

	if (x->caps->maxphyaddr < 64)
		rsvd |= ~0ull << x->caps->maxphyaddr;
	if (!needs_pdptes(x))
		return true;
	if (!x->pdptes_readable)
		return false;
	for (int i = 0; i < 4; i++)
		if ((x->pdpte[i] & 1) && (x->pdpte[i] & rsvd))
			return false;
	return true;
}

static const struct rule {
	int id;			/* the check that names this rule */
	bool (*holds)(const struct rules_ctx *x);
} rules[] = {
	{ NCHK_VMRUN_INTERCEPT, r_vmrun_intercept },
	{ NCHK_ASID_ZERO, r_asid },
	{ NCHK_ASID_RANGE, r_asid_range },
	{ NCHK_NCR3, r_ncr3 },
	{ NCHK_MSRPM, r_msrpm },
	{ NCHK_IOPM, r_iopm },
	{ NCHK_VNMI_INTERCEPT, r_vnmi },
	{ NCHK_EVENTINJ_TYPE, r_evt_type },
	{ NCHK_EVENTINJ_VECTOR, r_evt_vector },
	{ NCHK_EFER_SVME, r_efer_svme },
	{ NCHK_CR0_NW_CD, r_cr0_nw_cd },
	{ NCHK_CR0_HIGH, r_cr0_high },
	{ NCHK_DR6_HIGH, r_dr6_high },
	{ NCHK_DR7_HIGH, r_dr7_high },
	{ NCHK_LM_CR4_PAE, r_lm_pae },
	{ NCHK_LM_CR0_PE, r_lm_pe },
	{ NCHK_LM_CR3, r_lm_cr3 },
	{ NCHK_LM_CS_L_D, r_lm_cs },
	{ NCHK_CR4_RSVD, r_cr4 },
	{ NCHK_EFER_RSVD, r_efer },
	{ NCHK_GPAT, r_gpat },
	{ NCHK_PAE_PDPTE, r_pae_pdpte },
};

/* ---- input -------------------------------------------------------------- */
static struct nested_caps read_caps(struct fin *in)
{
	struct nested_caps c;
	uint16_t f = fin_u16(in);
	uint8_t e = fin_u8(in);

	memset(&c, 0, sizeof(c));
	c.maxphyaddr = (uint8_t)(32 + fin_u8(in) % 21);	/* 32..52 */
	c.np = f & 1;
	c.gmet = c.np && (f & 2);
	c.vgif = f & 4;
	c.vnmi = f & 8;
	c.nrips = f & 16;
	c.lbrv = f & 32;
	c.flush_by_asid = f & 64;
	c.shstk = f & 128;
	c.sev_es = f & 256;
	c.xsave = f & 512;
	c.rdtscp = f & 1024;
	c.invpcid = f & 2048;
	c.rdpru = f & 4096;
	c.cr4_allowed = fin_u32(in) & A_CR4_DEFINED;
	c.nr_asids = fin_u16(in);
	c.efer_allowed = A_EFER_SVME;
	if (e & 1)
		c.efer_allowed |= A_EFER_SCE;
	if (e & 2)
		c.efer_allowed |= A_EFER_LME | A_EFER_LMA;
	if (e & 4)
		c.efer_allowed |= A_EFER_NXE;
	if (e & 8)
		c.efer_allowed |= A_EFER_FFXSR;
	if (e & 16)
		c.efer_allowed |= A_EFER_LMSLE;
	if (e & 32)
		c.efer_allowed |= A_EFER_TCE;
	return c;
}

/* A vmcb12 that passes every rule under any caps with NP, PAE and long
 * mode allowed and MAXPHYADDR >= 32. */
static void valid_vmcb12(struct vmcb *v)
{
	memset(v, 0, sizeof(*v));
	v->control.intercept_misc1 = A_ICPT1_NMI;
	v->control.intercept_misc2 = A_ICPT2_VMRUN;
	v->control.asid = 1;
	v->control.iopm_base_pa = 0x10000;
	v->control.msrpm_base_pa = 0x20000;
	v->control.misc_ctl = A_NP_ENABLE;
	v->control.nested_cr3 = 0x30000;
	v->save.efer = A_EFER_SVME | A_EFER_LME | A_EFER_LMA;
	v->save.cr0 = A_CR0_PE | A_CR0_PG | (1ull << 4);
	v->save.cr4 = A_CR4_PAE;
	v->save.cr3 = 0x40000;
	v->save.cs.attrib.raw = A_SEG_L | 0x9b;
	v->save.dr6 = 0xffff0ff0;
	v->save.dr7 = 0x400;
	v->save.g_pat = 0x0007040600070406ull;
}

static void apply_patches(struct vmcb *v, struct fin *in)
{
	uint8_t *b = (uint8_t *)v;

	while (in->n) {
		uint8_t op = fin_u8(in);
		size_t off = fin_u16(in) % 0x698;
		uint64_t val = fin_u64(in);
		unsigned len = op % 4 == 0 ? 1 : op % 4 == 1 ? 4 : 8;

		if (op % 4 == 3) {
			b[off] ^= (uint8_t)(1u << (val & 7));
			continue;
		}
		if (off + len > 0x698)
			off = 0x698 - len;
		memcpy(b + off, &val, len);
	}
}

/* ---- checks ------------------------------------------------------------- */
static void check_prechecks(const struct nested_vmrun_ctx *l1,
			    const struct nested_caps *caps)
{
	struct nested_check_failure why = { .id = -1 };
	enum x86_vector exc = (enum x86_vector)-1;
	int r = nested_vmrun_prechecks(l1, caps, &why, &exc);
	bool ud = !(l1->efer & A_EFER_SVME) || !(l1->cr0 & A_CR0_PG) || l1->smm;
	bool gp = l1->cpl != 0 || l1->hsave_pa == 0 ||
		  (l1->vmcb12_gpa & 0xfff) ||
		  !legal_pa(l1->vmcb12_gpa, caps->maxphyaddr);

	if (!ud && !gp) {
		FUZZ_CHECK(r == 0 && why.id == NCHK_NONE,
			   "pre-checks fail (%d, check %d)", r, why.id);
		return;
	}
	FUZZ_CHECK(r == -NV_EINVAL && why.id > NCHK_NONE &&
		   why.id <= NCHK_PRE_VMCB12_GPA, "pre-checks say %d (check %d)",
		   r, why.id);
	/* Vol. 3 "VMRUN": #UD before #GP (vector 6 and 13). */
	FUZZ_CHECK((int)exc == (ud ? 6 : 13), "exception %d, want %d",
		   (int)exc, ud ? 6 : 13);
}

/* The cache holds every one of its fields as vmcb12 has it. */
FUZZ_NO_COVERAGE
static void check_copy(const struct vmcb12_cache *k, const struct vmcb *v)
{
	const struct vmcb12_ctrl_cache *c = &k->ctrl;
	const struct vmcb12_save_cache *s = &k->save;
	const struct vmcb_control *vc = &v->control;
	const struct vmcb_save *vs = &v->save;

#define SAME(a, b) FUZZ_CHECK((a) == (b), "copy of %s", #b)
#define SAME_SEG(a, b) FUZZ_CHECK(!memcmp(&(a), &(b), sizeof(a)), "copy of %s", #b)
	SAME(c->intercept_cr, vc->intercept_cr);
	SAME(c->intercept_dr, vc->intercept_dr);
	SAME(c->intercept_exceptions, vc->intercept_exceptions);
	SAME(c->intercept_misc1, vc->intercept_misc1);
	SAME(c->intercept_misc2, vc->intercept_misc2);
	SAME(c->intercept_misc3, vc->intercept_misc3);
	SAME(c->pause_filter_thresh, vc->pause_filter_thresh);
	SAME(c->pause_filter_count, vc->pause_filter_count);
	SAME(c->iopm_base_pa, vc->iopm_base_pa);
	SAME(c->msrpm_base_pa, vc->msrpm_base_pa);
	SAME(c->tsc_offset, vc->tsc_offset);
	SAME(c->asid, vc->asid);
	SAME(c->tlb_control, vc->tlb_control);
	SAME(c->int_ctl, vc->int_ctl);
	SAME(c->int_vector, vc->int_vector);
	SAME(c->int_state, vc->int_state);
	SAME(c->misc_ctl, vc->misc_ctl);
	SAME(c->event_inj.raw, vc->event_inj.raw);
	SAME(c->event_inj_err, vc->event_inj_err);
	SAME(c->nested_cr3, vc->nested_cr3);
	SAME(c->virt_ext, vc->virt_ext);
	SAME(c->next_rip, vc->next_rip);
	SAME_SEG(s->es, vs->es);
	SAME_SEG(s->cs, vs->cs);
	SAME_SEG(s->ss, vs->ss);
	SAME_SEG(s->ds, vs->ds);
	SAME_SEG(s->gdtr, vs->gdtr);
	SAME_SEG(s->idtr, vs->idtr);
	SAME(s->cpl, vs->cpl);
	SAME(s->efer, vs->efer);
	SAME(s->cr4, vs->cr4);
	SAME(s->cr3, vs->cr3);
	SAME(s->cr0, vs->cr0);
	SAME(s->dr7, vs->dr7);
	SAME(s->dr6, vs->dr6);
	SAME(s->rflags, vs->rflags);
	SAME(s->rip, vs->rip);
	SAME(s->rsp, vs->rsp);
	SAME(s->rax, vs->rax);
	SAME(s->cr2, vs->cr2);
	SAME(s->g_pat, vs->g_pat);
#undef SAME_SEG
#undef SAME
}

#define ONLY_CLEARS(field)						\
	FUZZ_CHECK(!(s->field & ~raw->field), #field ": 0x%llx from 0x%llx", \
		   (unsigned long long)s->field, (unsigned long long)raw->field)
#define KEPT(field)							\
	FUZZ_CHECK(s->field == raw->field, "the sanitiser changed " #field)

FUZZ_NO_COVERAGE
static void check_sanitised(const struct vmcb12_ctrl_cache *s,
			    const struct vmcb12_ctrl_cache *raw,
			    const struct nested_caps *caps)
{
	struct vmcb12_ctrl_cache again = *s;
	uint8_t t = raw->tlb_control;
	bool t_ok = t == 0 || t == 1 ||
		    (caps->flush_by_asid && (t == 3 || t == 7));

	ONLY_CLEARS(intercept_misc2);
	ONLY_CLEARS(intercept_misc3);
	ONLY_CLEARS(int_ctl);
	ONLY_CLEARS(int_vector);
	ONLY_CLEARS(int_state);
	ONLY_CLEARS(event_inj.raw);
	ONLY_CLEARS(misc_ctl);
	ONLY_CLEARS(virt_ext);
	ONLY_CLEARS(next_rip);
	FUZZ_CHECK(s->tlb_control == (t_ok ? t : 1), "tlb_control %u from %u",
		   s->tlb_control, t);
	FUZZ_CHECK(!(s->misc_ctl & ~(A_NP_ENABLE | A_GMET)), "misc_ctl 0x%llx",
		   (unsigned long long)s->misc_ctl);
	FUZZ_CHECK(caps->np || !(s->misc_ctl & A_NP_ENABLE), "NP not offered");
	FUZZ_CHECK((caps->gmet && (s->misc_ctl & A_NP_ENABLE)) ||
		   !(s->misc_ctl & A_GMET), "GMET without NP or offer");
	FUZZ_CHECK((s->misc_ctl & A_NP_ENABLE) == (raw->misc_ctl & A_NP_ENABLE) ||
		   !caps->np, "NP dropped although offered");
	FUZZ_CHECK(!(s->virt_ext & ~(caps->lbrv ? A_VIRT_LBR : 0)),
		   "virt_ext 0x%llx", (unsigned long long)s->virt_ext);
	FUZZ_CHECK(!(s->event_inj.raw & A_EVT_RSVD) &&
		   (s->event_inj.raw | A_EVT_RSVD) == (raw->event_inj.raw | A_EVT_RSVD),
		   "event_inj 0x%x from 0x%x", s->event_inj.raw, raw->event_inj.raw);
	FUZZ_CHECK(!(s->int_ctl & ((1u << 31) | (1u << 30))), "AVIC in int_ctl");
	FUZZ_CHECK(s->msrpm_base_pa == (raw->msrpm_base_pa & ~0xfffull) &&
		   s->iopm_base_pa == (raw->iopm_base_pa & ~0xfffull),
		   "permission map bases");
	FUZZ_CHECK(caps->nrips ? s->next_rip == raw->next_rip : !s->next_rip,
		   "next_rip");
	/* The fields the sanitiser does not own. */
	KEPT(intercept_cr);
	KEPT(intercept_dr);
	KEPT(intercept_exceptions);
	KEPT(intercept_misc1);
	KEPT(pause_filter_thresh);
	KEPT(pause_filter_count);
	KEPT(tsc_offset);
	KEPT(asid);
	KEPT(event_inj_err);
	KEPT(nested_cr3);

	nested_sanitize_controls(&again, caps);
	FUZZ_CHECK(!memcmp(&again, s, sizeof(again)), "a second pass changed it");
}

FUZZ_NO_COVERAGE
static void check_checks(const struct vmcb12_cache *cache,
			 const struct rules_ctx *xp, const struct nested_caps *caps)
{
	struct nested_check_failure why = { .id = -1 };
	struct rules_ctx x = *xp;
	int r = nested_check_vmcb12(cache, caps, &why);
	size_t broken = 0, named = 0;

	FUZZ_CHECK((r == 0) == (why.id == NCHK_NONE) &&
		   (r == 0 || r == -NV_EINVAL) && why.name && why.cond &&
		   !strcmp(why.name, nested_check_name(why.id)),
		   "result %d recorded as check %d", r, why.id);
	for (size_t i = 0; i < sizeof(rules) / sizeof(rules[0]); i++) {
		if (rules[i].holds(&x))
			continue;
		broken++;
		named += rules[i].id == why.id;
		FUZZ_CHECK(r != 0, "accepted, but rule of check %d (%s) is broken",
			   rules[i].id, nested_check_name(rules[i].id));
	}
	FUZZ_CHECK(r == 0 || named, "rejected by check %d (%s, %s), but that "
		   "rule holds (%zu others broken)", why.id, why.name, why.cond,
		   broken);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct vmcb raw, snap;
	static struct vmcb12_cache cache;
	struct vmcb12_ctrl_cache copied;
	struct fin in = { data, size };
	struct nested_vmrun_ctx l1;
	struct nested_caps caps;
	struct rules_ctx x = { .v = &raw, .caps = &caps };
	uint8_t mode = fin_u8(&in), pre;

	caps = read_caps(&in);
	pre = fin_u8(&in);
	l1.efer = pre & 1 ? A_EFER_SVME : 0;
	l1.cr0 = pre & 2 ? A_CR0_PG | A_CR0_PE : A_CR0_PE;
	l1.smm = pre & 4;
	l1.cpl = (pre >> 3) & 3;
	l1.hsave_pa = fin_u64(&in);
	l1.vmcb12_gpa = fin_u64(&in);
	check_prechecks(&l1, &caps);
	x.pdptes_readable = fin_u8(&in) & 1;
	for (int i = 0; i < 4; i++)
		x.pdpte[i] = fin_u64(&in);

	if (mode & 1) {
		valid_vmcb12(&raw);
		apply_patches(&raw, &in);
	} else {
		memset(&raw, 0, sizeof(raw));
		memcpy(&raw, in.p, in.n < sizeof(raw) ? in.n : sizeof(raw));
	}
	snap = raw;
	memset(&cache, 0xa5, sizeof(cache));	/* every field must be written */
	nested_copy_vmcb12(&cache, &raw);
	FUZZ_CHECK(!memcmp(&snap, &raw, sizeof(raw)), "the copy wrote vmcb12");
	check_copy(&cache, &raw);
	copied = cache.ctrl;
	nested_sanitize_controls(&cache.ctrl, &caps);
	check_sanitised(&cache.ctrl, &copied, &caps);
	/* As emulated VMRUN does: the PDPTEs, if L2 needs them. */
	FUZZ_CHECK(nested_needs_pdptes(&cache) == needs_pdptes(&x),
		   "PDPTEs needed: %d, the rules say %d",
		   nested_needs_pdptes(&cache), needs_pdptes(&x));
	if (nested_needs_pdptes(&cache))
		nested_copy_pdptes(&cache, x.pdptes_readable ? x.pdpte : NULL);
	check_checks(&cache, &x, &caps);
	return 0;
}
