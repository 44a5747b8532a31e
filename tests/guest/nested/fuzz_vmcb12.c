// SPDX-License-Identifier: MIT
/*
 * Random vmcb12s (the fuzz mode, fuzz.h).
 *
 * A sample is the payload's valid vmcb12 (svm_run.c: L2 at CPL 0 in
 * 64-bit mode runs VMMCALL or HLT, both intercepted) with
 *  - one to three changes aimed at the VMRUN checks of docs/semantics.md
 *    §8.2 and §8.3 (APM Vol. 2 §15.5.1 "Canonicalization and Consistency
 *    Checks", §15.20, §15.21.10, §15.25.4): EFER, CR0, CR3, CR4, DR6,
 *    DR7, CS.L with CS.D, the VMRUN intercept, the ASID, nested paging
 *    with nCR3 and G_PAT, the MSR and I/O permission map bases at the
 *    edge of the physical width, V_NMI_ENABLE, EVENTINJ; each draws
 *    values that break the rule or keep it (the edges on both sides);
 *  - zero to four changes of noise in fields that change nothing for
 *    this L2 (what VMRUN does not load, ignores or silently corrects,
 *    §8.5 and §8.6, and state the two snippets never use).
 * The oracle then reads the final vmcb12 and says, from its own model of
 * the rules (check_rules(), written from the APM with its own constants):
 * VMEXIT_INVALID if any rule is broken (EXITINFO1 and EXITINFO2 0, EVENTINJ
 * consumed); else, with a valid EVENTINJ, L2's IDT stub for the event
 * (VMMCALL, RAX = the vector where the stub can tell); else, with nested
 * paging and GMET, the #NPF of L2's first fetch (supervisor code on U=1
 * nested pages, §5.1 row 13); else the snippet's own exit.
 */
#include "fuzz.h"
#include "npt.h"
#include "core/x86.h"
#include "tests/guest/lib/serial.h"

extern char l2_vmmcall[], l2_hlt[];

/* The payload's own reading of the APM for what the rules test. */
#define CR0_PE   (1ull << 0)
#define CR0_MP   (1ull << 1)
#define CR0_EM   (1ull << 2)
#define CR0_TS   (1ull << 3)
#define CR0_NE   (1ull << 5)
#define CR0_WP   (1ull << 16)
#define CR0_AM   (1ull << 18)
#define CR0_NW   (1ull << 29)
#define CR0_CD   (1ull << 30)
#define CR0_PG   (1ull << 31)
#define CR4_PAE  (1ull << 5)
#define CR4_LA57 (1ull << 12)
#define CR4_PCIDE (1ull << 17)
#define CR4_VME  (1ull << 0)
#define CR4_PVI  (1ull << 1)
#define EFER_SCE   (1ull << 0)
#define EFER_LME   (1ull << 8)
#define EFER_LMA   (1ull << 10)
#define EFER_NXE   (1ull << 11)
#define EFER_SVME  (1ull << 12)
#define EFER_LMSLE (1ull << 13)
#define EFER_FFXSR (1ull << 14)
#define EFER_TCE   (1ull << 15)
#define ATTR_L  (1u << 9)   /* VMCB segment attribute bits 9, 10 */
#define ATTR_DB (1u << 10)
#define ICPT2_VMRUN   (1u << 0)   /* Table B-1, offset 010h */
#define ICPT2_VMMCALL (1u << 1)
#define ICPT1_INTR    (1u << 0)   /* offset 00Ch */
#define ICPT1_NMI     (1u << 1)
#define ICPT1_HLT     (1u << 24)
#define ICPT1_IOIO    (1u << 27)
#define ICPT1_MSR     (1u << 28)
#define ICPT1_SHUTDOWN (1u << 31)
#define NP_ENABLE  (1ull << 0)    /* offset 090h */
#define GMET_EN    (1ull << 3)
#define V_NMI_EN   (1u << 26)     /* offset 060h */
#define MSRPM_SIZE 0x2000ull      /* APM Vol. 2 §15.11 */
#define IOPM_SIZE  0x3000ull      /* §15.10.1 */
#define EI_VALID (1u << 31)       /* EVENTINJ, §15.20 */
#define EI_EV    (1u << 11)

/* The rules, docs/semantics.md §8.2 and §8.3. */
enum rule {
	R_VMRUN, R_ASID0, R_ASID_RANGE, R_NCR3, R_MSRPM, R_IOPM, R_VNMI,
	R_EI_TYPE, R_EI_VECTOR, R_SVME, R_CR0_NW_CD, R_CR0_HIGH, R_DR6_HIGH,
	R_DR7_HIGH, R_LM_PAE, R_LM_PE, R_LM_CR3, R_LM_CS, R_CR4, R_EFER,
	R_GPAT, R_EI_RSVD_VECTOR, R_COUNT
};

static const char *const rule_names[R_COUNT] = {
	"vmrun_intercept", "asid_zero", "asid_range", "ncr3", "msrpm", "iopm",
	"vnmi_intercept", "eventinj_type", "eventinj_vector", "efer_svme",
	"cr0_nw_cd", "cr0_high", "dr6_high", "dr7_high", "lm_cr4_pae",
	"lm_cr0_pe", "lm_cr3", "lm_cs_l_d", "cr4", "efer", "gpat",
	"eventinj_reserved_vector",
};

const char *fuzz_vmcb12_rule_name(unsigned rule)
{
	return rule < R_COUNT ? rule_names[rule] : "?";
}

static struct vmcb *tmpl;

int fuzz_vmcb12_alloc(void)
{
	tmpl = env_page();
	return tmpl != NULL;
}

/* A PAT entry's memory type is valid: UC, WC, WT, WP, WB, UC- (APM Vol. 2
 * §7.8.1, Table 7-10); 2, 3 and 8-255 are reserved. */
static int pat_type_ok(uint8_t t)
{
	return t == 0 || t == 1 || (t >= 4 && t <= 7);
}

/* Does the permission map at base (bits 11:0 ignored) of size bytes end
 * below the physical address width (APM Vol. 2 §15.5.1)? */
static int map_ok(uint64_t base, uint64_t size)
{
	uint64_t b = base & ~0xfffull, top = 1ull << fcpu.maxphy;

	return b <= top - size;
}

/* The exception vectors of APM Vol. 2 §8.2, Table 8-1: not NMI (2), not
 * the reserved 9, 15, 20, 22-27 and 31.  #CP (21) and #VC (29) are never
 * drawn (m_event()). */
static int exception_vector(uint32_t vec)
{
	return vec < 32 && vec != 2 && vec != 9 && vec != 15 && vec != 20 &&
	       !(vec >= 22 && vec <= 27) && vec != 31;
}

/* The broken rules, as a bit mask. */
static uint32_t check_rules(const struct vmcb *v)
{
	const struct vmcb_control *c = &v->control;
	const struct vmcb_save *s = &v->save;
	uint64_t above = ~((1ull << fcpu.maxphy) - 1);
	int np = fcpu.np && (c->misc_ctl & NP_ENABLE);
	int lm = (s->efer & EFER_LME) && (s->cr0 & CR0_PG);
	uint32_t ei = c->event_inj.raw, type = (ei >> 8) & 7, vec = ei & 0xff;
	uint32_t m = 0;

	if (!(c->intercept_misc2 & ICPT2_VMRUN))
		m |= 1u << R_VMRUN;
	if (c->asid == 0)
		m |= 1u << R_ASID0;
	else if (c->asid >= fcpu.nasid)
		m |= 1u << R_ASID_RANGE;
	if (np && (c->nested_cr3 & above))
		m |= 1u << R_NCR3;
	if (!map_ok(c->msrpm_base_pa, MSRPM_SIZE))
		m |= 1u << R_MSRPM;
	if (!map_ok(c->iopm_base_pa, IOPM_SIZE))
		m |= 1u << R_IOPM;
	if (fcpu.vnmi && (c->int_ctl & V_NMI_EN) && !(c->intercept_misc1 & ICPT1_NMI))
		m |= 1u << R_VNMI;
	if (ei & EI_VALID) {
		if (type == 1 || type >= 5)
			m |= 1u << R_EI_TYPE;
		else if (type == 3 && !exception_vector(vec))
			m |= 1u << (vec < 32 && vec != 2 ? R_EI_RSVD_VECTOR : R_EI_VECTOR);
	}
	if (!(s->efer & EFER_SVME))
		m |= 1u << R_SVME;
	if ((s->cr0 & CR0_NW) && !(s->cr0 & CR0_CD))
		m |= 1u << R_CR0_NW_CD;
	if (s->cr0 >> 32)
		m |= 1u << R_CR0_HIGH;
	if (s->dr6 >> 32)
		m |= 1u << R_DR6_HIGH;
	if (s->dr7 >> 32)
		m |= 1u << R_DR7_HIGH;
	if (lm) {
		if (!(s->cr4 & CR4_PAE))
			m |= 1u << R_LM_PAE;
		if (!(s->cr0 & CR0_PE))
			m |= 1u << R_LM_PE;
		if (s->cr3 & above)
			m |= 1u << R_LM_CR3;
		if ((s->cs.attrib.raw & ATTR_L) && (s->cs.attrib.raw & ATTR_DB))
			m |= 1u << R_LM_CS;
	}
	if (s->cr4 & ~fcpu.cr4_ok)
		m |= 1u << R_CR4;
	if (s->efer & ~fcpu.efer_ok)
		m |= 1u << R_EFER;
	if (np)
		for (unsigned i = 0; i < 8; i++)
			if (!pat_type_ok((uint8_t)(s->g_pat >> (8 * i))))
				m |= 1u << R_GPAT;
	return m;
}

/*
 * What QEMU 7.2 TCG's VMRUN refuses instead (helper_vmrun() and
 * is_efer_invalid_state() of its target/i386/tcg/sysemu/svm_helper.c),
 * for runs on the bare CPU, where it is L0 (docs/semantics.md §10.3):
 * no check of the ASID range, nCR3, G_PAT or V_NMI; a map base fails
 * when (base & ~0xfff) >= 2^MAXPHYADDR - size, with an I/O map of 8 KiB
 * + 1 byte; EFER may hold SCE, LME, LMA, NXE, SVME and FFXSR only, what
 * CPUID says or not; CR4.PCIDE is not checked against CPUID; an
 * exception's vector must not be 2 or at least 31.
 */
static uint32_t check_rules_tcg(const struct vmcb *v)
{
	const struct vmcb_control *c = &v->control;
	const struct vmcb_save *s = &v->save;
	uint64_t top = 1ull << fcpu.maxphy;
	uint32_t ei = c->event_inj.raw, type = (ei >> 8) & 7, vec = ei & 0xff;
	uint32_t m = check_rules(v) & ~((1u << R_ASID_RANGE) | (1u << R_NCR3) |
					(1u << R_GPAT) | (1u << R_VNMI) |
					(1u << R_MSRPM) | (1u << R_IOPM) |
					(1u << R_EFER) | (1u << R_CR4) |
					(1u << R_EI_VECTOR) | (1u << R_EI_RSVD_VECTOR));

	if ((c->msrpm_base_pa & ~0xfffull) >= top - MSRPM_SIZE)
		m |= 1u << R_MSRPM;
	if ((c->iopm_base_pa & ~0xfffull) >= top - (0x2000 + 1))
		m |= 1u << R_IOPM;
	if (s->efer & ~(EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | EFER_SVME |
			EFER_FFXSR))
		m |= 1u << R_EFER;
	if (s->cr4 & ~(fcpu.cr4_ok | CR4_PCIDE))
		m |= 1u << R_CR4;
	if ((ei & EI_VALID) && type == 3 && (vec == 2 || vec >= 31))
		m |= 1u << R_EI_VECTOR;
	return m;
}

/* ---- changes aimed at the rules ----------------------------------------- */

static void m_efer(struct rng *r, struct vmcb *v)
{
	static const uint8_t rsvd[] = { 1, 2, 3, 4, 5, 6, 7, 9, 16, 19 };
	static const uint8_t feat[] = { 17, 18, 20, 21 };
	uint64_t e = v->save.efer;

	switch (rng_below(r, 8)) {
	case 0: e &= ~EFER_SVME; break;
	case 1:
		e |= rng_pct(r, 50) ? 1ull << rsvd[rng_below(r, sizeof(rsvd))] :
				      rng_bit(r, 22, 63);
		break;
	case 2: e |= EFER_LMSLE; break;
	case 3: e |= EFER_TCE; break;
	case 4: e |= 1ull << feat[rng_below(r, sizeof(feat))]; break;
	case 5: e ^= EFER_NXE; break;
	case 6: e ^= EFER_SCE; break;
	default: e ^= EFER_FFXSR; break;
	}
	v->save.efer = e;
}

static void m_cr0(struct rng *r, struct vmcb *v)
{
	static const uint64_t harmless[] = { CR0_TS, CR0_MP, CR0_EM, CR0_WP,
					     CR0_AM, CR0_NE };
	uint64_t c = v->save.cr0;

	switch (rng_below(r, 6)) {
	case 0: c = (c | CR0_NW) & ~CR0_CD; break;
	case 1: c |= CR0_NW | CR0_CD; break;
	case 2: c |= CR0_CD; break;
	case 3: c |= rng_bit(r, 32, 63); break;
	case 4: c &= ~CR0_PE; break;
	default: c ^= harmless[rng_below(r, 6)]; break;
	}
	v->save.cr0 = c;
}

static void m_cr3(struct rng *r, struct vmcb *v)
{
	if (rng_pct(r, 50))
		v->save.cr3 |= rng_bit(r, fcpu.maxphy, 63);
	else
		v->save.cr3 |= rng_below(r, 0x1000);   /* ignored, §8.5 */
}

static void m_cr4(struct rng *r, struct vmcb *v)
{
	uint64_t bit;

	switch (rng_below(r, 3)) {
	case 0:
		v->save.cr4 &= ~CR4_PAE;
		return;
	case 1:      /* one never offered: 13-15, 19, 24-63 */
		bit = rng_pct(r, 50) ? 1ull << (13 + rng_below(r, 3)) :
		      rng_pct(r, 20) ? 1ull << 19 : rng_bit(r, 24, 63);
		break;
	default:
		/* Any bit, but LA57 would change L2's paging, and VME and PVI
		 * without CPUID's VME are left out: whether they are then
		 * reserved is not settled (QEMU's EPYC model reports no VME
		 * and lets CR4.VME be set; KVM and QEMU never derive their
		 * reserved CR4 bits from the VME bit). */
		do
			bit = rng_bit(r, 0, 31);
		while ((bit == CR4_LA57 && (fcpu.cr4_ok & CR4_LA57)) ||
		       ((bit & (CR4_VME | CR4_PVI)) && !(fcpu.cr4_ok & CR4_VME)));
		break;
	}
	v->save.cr4 ^= bit;
}

static void m_dr(struct rng *r, struct vmcb *v)
{
	switch (rng_below(r, 3)) {
	case 0: v->save.dr6 |= rng_bit(r, 32, 63); break;
	case 1: v->save.dr7 |= rng_bit(r, 32, 63); break;
	default: v->save.dr6 ^= rng_next(r) & 0xffffffffull; break;
	}
}

static void m_cs(struct rng *r, struct vmcb *v)
{
	(void)r;
	v->save.cs.attrib.raw |= ATTR_L | ATTR_DB;
}

static void m_vmrun(struct rng *r, struct vmcb *v)
{
	(void)r;
	v->control.intercept_misc2 &= ~ICPT2_VMRUN;
}

static void m_asid(struct rng *r, struct vmcb *v)
{
	switch (rng_below(r, 4)) {
	case 0: v->control.asid = 0; break;
	case 1: v->control.asid = fcpu.nasid; break;
	case 2: v->control.asid = fcpu.nasid + (uint32_t)rng_below(r, 0xffffffffu - fcpu.nasid); break;
	default:
		v->control.asid = fcpu.nasid > 1 ?
				  1 + (uint32_t)rng_below(r, fcpu.nasid - 1) : 1;
		break;
	}
}

static void m_np(struct rng *r, struct vmcb *v)
{
	switch (rng_below(r, 5)) {
	case 0:
		vmcb_use_npt(v);
		break;
	case 1:
		vmcb_use_npt(v);
		v->control.nested_cr3 |= rng_bit(r, fcpu.maxphy, 63);
		break;
	case 2:      /* no NP: nCR3 is not looked at */
		v->control.nested_cr3 = rng_next(r);
		break;
	case 3:
		vmcb_use_npt(v);
		v->control.misc_ctl |= GMET_EN;
		break;
	default:
		vmcb_use_npt(v);
		v->save.g_pat = rng_next(r);
		break;
	}
}

static void m_gpat(struct rng *r, struct vmcb *v)
{
	static const uint8_t good[] = { 0, 1, 4, 5, 6, 7 };
	unsigned i = rng_below(r, 8);
	uint8_t t = rng_pct(r, 50) ? good[rng_below(r, 6)] :
		    rng_pct(r, 50) ? (uint8_t)(2 + rng_below(r, 2)) :
				     (uint8_t)(8 + rng_below(r, 248));

	v->save.g_pat = (v->save.g_pat & ~(0xffull << (8 * i))) |
			(uint64_t)t << (8 * i);
}

/* A map base at the edge of the width, beyond it, or anywhere below. */
static uint64_t map_base(struct rng *r, uint64_t size)
{
	uint64_t top = 1ull << fcpu.maxphy;

	switch (rng_below(r, 6)) {
	case 0: return top - size;                       /* last that fits */
	case 1: return top - size + 0xfff;               /* same: 11:0 ignored */
	case 2: return top - size + 0x1000;              /* one page over */
	case 3: return top - 0x1000 * (1 + rng_below(r, 2));
	case 4: return rng_next(r) | rng_bit(r, fcpu.maxphy, 63);
	default: return rng_below(r, top - size);
	}
}

static void m_maps(struct rng *r, struct vmcb *v)
{
	if (rng_pct(r, 50)) {
		v->control.msrpm_base_pa = map_base(r, MSRPM_SIZE);
		if (rng_pct(r, 50))
			v->control.intercept_misc1 ^= ICPT1_MSR;
	} else {
		v->control.iopm_base_pa = map_base(r, IOPM_SIZE);
		if (rng_pct(r, 50))
			v->control.intercept_misc1 ^= ICPT1_IOIO;
	}
}

static void m_vnmi(struct rng *r, struct vmcb *v)
{
	v->control.int_ctl |= V_NMI_EN;
	if (rng_pct(r, 50))
		v->control.intercept_misc1 |= ICPT1_NMI;
}

/* EVENTINJ: any type, an exception vector or not, with or without an
 * error code and reserved bits 30:12 (silently cleared, §8.6).  Not drawn:
 * #BR (the CPU refuses it in 64-bit mode, §8.4), #CP and #VC (legal only
 * with shadow stacks, SEV-ES: §8.2 item 6 leaves them to the features). */
static void m_event(struct rng *r, struct vmcb *v)
{
	uint32_t type = (uint32_t)rng_below(r, 8), vec, ei;

	do
		vec = rng_pct(r, 60) ? (uint32_t)rng_below(r, 32) :
		      rng_pct(r, 20) ? 2 : (uint32_t)rng_below(r, 256);
	while (type == 3 && (vec == 5 || vec == 21 || vec == 29));
	ei = EI_VALID | type << 8 | vec;
	if (rng_pct(r, 40))
		ei |= EI_EV;
	if (rng_pct(r, 20))
		ei |= (uint32_t)rng_next(r) & 0x7ffff000u;
	v->control.event_inj.raw = ei;
	v->control.event_inj_err = (uint32_t)rng_next(r);
}

typedef void (*mutator)(struct rng *, struct vmcb *);

/* In this order, so that later ones see what earlier ones set (the NPT
 * before CR3's bits, the event before the noise that must avoid it). */
static const mutator checks[] = {
	m_np, m_gpat, m_efer, m_cr0, m_cr3, m_cr4, m_dr, m_cs, m_vmrun,
	m_asid, m_maps, m_vnmi, m_event,
};
#define N_CHECKS (sizeof(checks) / sizeof(checks[0]))

/* ---- noise --------------------------------------------------------------- */

static int injecting(const struct vmcb *v)
{
	return !!(v->control.event_inj.raw & EI_VALID);
}

static void random_seg(struct rng *r, struct vmcb_seg *s)
{
	s->selector = (uint16_t)rng_next(r);
	s->attrib.raw = (uint16_t)rng_next(r);
	s->limit = (uint32_t)rng_next(r);
	s->base = rng_next(r);
}

static void noise(struct rng *r, struct vmcb *v, int hlt)
{
	struct vmcb_control *c = &v->control;
	struct vmcb_save *s = &v->save;

	switch (rng_below(r, 16)) {
	case 0:
		c->intercept_cr = (uint32_t)rng_next(r);
		c->intercept_dr = (uint32_t)rng_next(r);
		break;
	case 1:      /* L2 makes no exception, unless one is injected */
		if (!injecting(v))
			c->intercept_exceptions = (uint32_t)rng_next(r);
		break;
	case 2:      /* keep what bounds the run and what ends it */
		c->intercept_misc1 = ((uint32_t)rng_next(r) & ~(ICPT1_IOIO | ICPT1_MSR)) |
			(c->intercept_misc1 & (ICPT1_IOIO | ICPT1_MSR | ICPT1_NMI)) |
			ICPT1_INTR | ICPT1_SHUTDOWN | (hlt ? ICPT1_HLT : 0);
		break;
	case 3:
		c->intercept_misc2 = ((uint32_t)rng_next(r) & ~ICPT2_VMRUN) |
			(c->intercept_misc2 & ICPT2_VMRUN) | ICPT2_VMMCALL;
		c->intercept_misc3 = (uint32_t)rng_next(r);
		break;
	case 4:
		c->pause_filter_thresh = (uint16_t)rng_next(r);
		c->pause_filter_count = (uint16_t)rng_next(r);
		c->tsc_offset = rng_next(r);
		c->tlb_control = (uint8_t)rng_next(r);
		break;
	case 5:      /* virtual interrupts: L2 runs with IF clear */
		c->int_ctl ^= (uint32_t)rng_next(r) &
			      (0xffu | (1u << 8) | (0xfu << 16) | (1u << 20) |
			       (1u << 24) | (3u << 30));
		c->int_vector = (uint32_t)rng_next(r);
		c->int_state = (uint32_t)rng_next(r) & 1;
		break;
	case 6:
		c->exit_code = rng_next(r);
		c->exit_info_1 = rng_next(r);
		c->exit_info_2 = rng_next(r);
		c->exit_int_info.raw = (uint32_t)rng_next(r);
		c->exit_int_info_err = (uint32_t)rng_next(r);
		break;
	case 7:      /* never offered: cleared (§8.6) */
		c->misc_ctl |= rng_next(r) & 0xf6ull;
		c->virt_ext = rng_next(r) & 3;
		c->clean = (uint32_t)rng_next(r);
		c->next_rip = rng_next(r);
		break;
	case 8:
		c->avic_vapic_bar = rng_next(r);
		c->ghcb_gpa = rng_next(r);
		c->avic_backing_page = rng_next(r);
		c->avic_logical_id = rng_next(r);
		c->avic_physical_id = rng_next(r);
		c->vmsa_pa = rng_next(r);
		c->insn_len = (uint8_t)rng_next(r);
		break;
	case 9:      /* data segments, ignored in 64-bit mode; non-canonical
		      * bases are accepted (§8.5) */
		random_seg(r, &s->es);
		random_seg(r, &s->ds);
		s->ss.base = rng_next(r);
		s->ss.limit = (uint32_t)rng_next(r);
		break;
	case 10:     /* not loaded by VMRUN (VMLOAD's) */
		random_seg(r, &s->fs);
		random_seg(r, &s->gs);
		random_seg(r, &s->ldtr);
		random_seg(r, &s->tr);
		s->star = rng_next(r);
		s->lstar = rng_next(r);
		s->cstar = rng_next(r);
		s->sfmask = rng_next(r);
		s->kernel_gs_base = rng_next(r);
		s->sysenter_cs = rng_next(r);
		s->sysenter_esp = rng_next(r);
		s->sysenter_eip = rng_next(r);
		break;
	case 11:     /* descriptor tables and the stack: used only by an
		      * event's delivery */
		if (!injecting(v)) {
			random_seg(r, &s->gdtr);
			random_seg(r, &s->idtr);
			s->rsp = rng_next(r);
		}
		break;
	case 12:
		s->cr2 = rng_next(r);
		s->rax = rng_next(r);
		s->dr6 ^= rng_next(r) & 0xffffffffull;
		break;
	case 13:     /* status flags, IOPL, NT, AC, RF, ID; not TF or IF */
		s->rflags ^= rng_next(r) & 0x2d7cd5ull & ~0x300ull;
		break;
	case 14:
		if (!(c->misc_ctl & NP_ENABLE)) {
			c->nested_cr3 = rng_next(r);
			s->g_pat = rng_next(r);
		}
		break;
	default:
		if (!fcpu.lbrv) {
			s->dbgctl = rng_next(r);
			s->br_from = rng_next(r);
			s->br_to = rng_next(r);
			s->last_excp_from = rng_next(r);
			s->last_excp_to = rng_next(r);
		}
		break;
	}
}

/* ---- one sample ---------------------------------------------------------- */

/* Error-code vectors, as L2's IDT stubs expect them (l2_code.S). */
static int stub_pops_error(uint32_t vec)
{
	return vec == 8 || (vec >= 10 && vec <= 14) || vec == 17 ||
	       vec == 21 || vec == 29 || vec == 30;
}

struct expect {
	uint64_t exit;
	int check_rax, any_info2;
	uint64_t rax, rip, info1, info2;
};

/* The outcome of tmpl when `rules` are the broken ones. */
static void predict(const struct vmcb *t, uint32_t rules, int hlt,
		    struct expect *x)
{
	uint32_t ei = t->control.event_inj.raw;

	*x = (struct expect){ 0 };
	if (rules) {
		x->exit = VMEXIT_INVALID;
	} else if (ei & EI_VALID) {
		uint32_t type = (ei >> 8) & 7, vec = type == 2 ? 2 : ei & 0xff;
		/* Where the stub pops what the CPU pushed: an exception pushes
		 * an error code with EV, and QEMU pushes it for the vectors
		 * that have one whatever EV says; both agree only when EV
		 * matches the vector. */
		int pushed_ok = type == 3 ? !!(ei & EI_EV) == stub_pops_error(vec) :
			        !(ei & EI_EV) && !stub_pops_error(vec);

		x->exit = VMEXIT_VMMCALL;
		x->check_rax = pushed_ok;
		x->rax = vec;
	} else if (fcpu.np && fcpu.gmet && (t->control.misc_ctl & NP_ENABLE) &&
		   (t->control.misc_ctl & GMET_EN)) {
		/* §5.1 row 13: P, US clear at CPL 0 (§5.2), ID with L1's NXE
		 * or SMEP (§6.1), final stage; at the fetch's address. */
		x->exit = VMEXIT_NPF;
		x->info1 = (1ull << 32) | 1 |
			   ((env.l1_efer & X86_EFER_NXE) || (env.l1_cr4 & X86_CR4_SMEP) ?
			    1ull << 4 : 0);
		x->info2 = t->save.rip;
	} else {
		x->exit = hlt ? VMEXIT_HLT : VMEXIT_VMMCALL;
		x->rip = t->save.rip;
	}
}

/* Did the run end as predicted?  After VMEXIT_INVALID EXITINFO1 and
 * EXITINFO2 are 0 and EVENTINJ is consumed (§8); QEMU TCG (tcg) clears
 * EXITINFO2 only once its first checks have passed. */
static int as_predicted(const struct expect *x, const struct vmcb *v,
			uint64_t exit, int tcg)
{
	if (x->exit == VMEXIT_INVALID)
		return vmexit_is_invalid(exit) && v->control.exit_info_1 == 0 &&
		       (tcg || v->control.exit_info_2 == 0) &&
		       !(v->control.event_inj.raw & EI_VALID);
	if (x->exit == VMEXIT_NPF)
		return exit == VMEXIT_NPF && v->control.exit_info_1 == x->info1 &&
		       (x->any_info2 || v->control.exit_info_2 == x->info2);
	return exit == x->exit && (!x->rip || v->save.rip == x->rip) &&
	       (!x->check_rax || v->save.rax == x->rax);
}

int fuzz_vmcb12_sample(uint64_t seed, uint64_t i, struct fuzz_counts *c,
		       int verbose)
{
	struct rng r = rng_sample(seed, FUZZ_KIND_VMCB12, i);
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { 0 };
	int hlt = rng_pct(&r, 20);
	uint32_t rules, chosen = 0, ei;
	unsigned k = rng_below(&r, 100), n = k < 15 ? 0 : k < 60 ? 1 : k < 88 ? 2 : 3;
	struct expect x, xt;
	uint64_t exit;
	int ok;

	vmcb_default(tmpl, hlt ? l2_hlt : l2_vmmcall);
	while (n--)
		chosen |= 1u << rng_below(&r, N_CHECKS);
	for (k = 0; k < N_CHECKS; k++)
		if (chosen & (1u << k))
			checks[k](&r, tmpl);
	ei = tmpl->control.event_inj.raw;
	if (injecting(tmpl)) {
		/* The injected event goes to L2's IDT: not the GMET fault of
		 * a fetch first, and not an intercept of its own vector. */
		tmpl->control.misc_ctl &= ~GMET_EN;
		if ((ei & 0xff) < 32)
			tmpl->control.intercept_exceptions &= ~(1u << (ei & 0xff));
	}
	for (k = rng_below(&r, 5); k; k--)
		noise(&r, tmpl, hlt);

	rules = check_rules(tmpl);
	predict(tmpl, rules, hlt, &x);
	if (verbose)
		tap_diag("vmcb12 %lu: checks 0x%x broken 0x%x eventinj 0x%x: want "
			 "exit 0x%lx", i, chosen, rules, ei, x.exit);

	exit = fuzz_l2_run(tmpl, v, &g, c);
	ok = as_predicted(&x, v, exit, 0);
	if (!ok && !fcpu.under_nv) {
		predict(tmpl, check_rules_tcg(tmpl), hlt, &xt);
		/* TCG takes an nCR3 beyond the width: it walks bits 51:12
		 * of it, so that with one of bits 51:MAXPHYADDR set L2's
		 * first access faults in the walk of its first page-table
		 * entry, not present, a user write (tests/nested-known-
		 * qemu-deviations.txt, invalid.ctl.ncr3_beyond_maxphyaddr). */
		if (xt.exit != VMEXIT_INVALID && (rules & (1u << R_NCR3)) &&
		    ((tmpl->control.nested_cr3 & ((1ull << 52) - 1)) >> fcpu.maxphy))
			xt = (struct expect){ .exit = VMEXIT_NPF, .any_info2 = 1,
					      .info1 = (1ull << 33) | 6 };
		if (as_predicted(&xt, v, exit, 1)) {
			uint32_t tr = check_rules_tcg(tmpl);

			c->deviations++;
			ok = 1;
			if (x.exit == VMEXIT_INVALID && xt.exit == VMEXIT_INVALID)
				c->dev[FUZZ_DEV_EXITINFO2]++;
			else
				for (k = 0; k < R_COUNT; k++) {
					c->dev_unchecked[k] += !!(rules & ~tr & (1u << k));
					c->dev_refused[k] += !!(tr & ~rules & (1u << k));
				}
		}
	}
	if (!ok) {
		fuzz_mismatch(c, "vmcb12", i, "broken rules 0x%x, eventinj 0x%x, "
			      "misc_ctl 0x%lx, efer 0x%lx, cr0 0x%lx, cr4 0x%lx (L1 "
			      "may set 0x%lx), msrpm 0x%lx, iopm 0x%lx: want exit "
			      "0x%lx (rip 0x%lx rax 0x%lx info1 0x%lx info2 0x%lx), "
			      "got 0x%lx (rip 0x%lx rax 0x%lx info1 0x%lx info2 0x%lx)",
			      rules, ei, tmpl->control.misc_ctl, tmpl->save.efer,
			      tmpl->save.cr0, tmpl->save.cr4, fcpu.cr4_ok,
			      tmpl->control.msrpm_base_pa, tmpl->control.iopm_base_pa,
			      x.exit, x.rip, x.rax, x.info1, x.info2, exit,
			      v->save.rip, v->save.rax, v->control.exit_info_1,
			      v->control.exit_info_2);
		for (k = 0; k < R_COUNT; k++)
			if (rules & (1u << k))
				tap_diag("  broken: %s", rule_names[k]);
	}
	for (k = 0; k < R_COUNT; k++)
		if (rules & (1u << k))
			c->rules[k]++;
	if (x.exit == VMEXIT_INVALID)
		c->invalid++;
	else if (x.exit == VMEXIT_NPF)
		c->npf++;
	else if (injecting(tmpl))
		c->event++;
	else if (hlt)
		c->hlt++;
	else
		c->vmmcall++;
	c->samples++;
	return ok;
}
