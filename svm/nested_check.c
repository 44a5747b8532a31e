// SPDX-License-Identifier: MIT
/*
 * Emulated VMRUN: copy, sanitise and check vmcb12
 * (docs/semantics.md §8, and §2.3 for GMET).
 *
 * Algorithm:
 *  1. Pre-checks on L1's own state (EFER.SVME, paging, SMM, CPL,
 *     VM_HSAVE_PA, the vmcb12 address): a failure raises #UD or #GP in L1
 *     and vmcb12 is never read.
 *  2. Copy: the fields nestvisor uses (struct vmcb12_cache) are read from
 *     vmcb12 one by one, each once, into a hypervisor-owned cache.  L1
 *     memory is never read again for this VMRUN, so another L1 vCPU
 *     rewriting vmcb12 between "check" and "use" changes nothing
 *     (CVE-2021-29657 was such a race).  The emulated VMRUN has the
 *     save-area fields stored into vmcb02 by the same read
 *     (nested_copy_vmcb12_into()), so vmcb02 runs with what was checked.
 *  3. Sanitise: bits L1 may not set are cleared silently (a feature not
 *     offered to L1 is as if absent: hardware without it ignores the
 *     bit).  Allow-lists, not deny-lists, so that bits defined by future
 *     CPUs stay off until nestvisor supports them.
 *  4. Check: the architectural consistency checks, control area first,
 *     then save area, each through NCHECK() so that a failure names
 *     itself.  The first failure wins; VMRUN then exits to L1 with
 *     VMEXIT_INVALID.
 */
#include "svm/nested_check.h"

#include <stddef.h>

#include "core/err.h"
#include "core/x86.h"
#include "svm/event.h"
#include "svm/permmap.h"

#define NCHK_NAME_(id, name) [NCHK_##id] = name,
static const char *const check_names[NCHK_COUNT] = {
	[NCHK_NONE] = "none",
	NESTED_CHECKS(NCHK_NAME_)
};
#undef NCHK_NAME_

const char *nested_check_name(int id)
{
	if (id < 0 || id >= NCHK_COUNT)
		return "?";
	return check_names[id];
}

static void record(struct nested_check_failure *why, int id, const char *cond)
{
	if (!why)
		return;
	why->id = id;
	why->name = check_names[id];
	why->cond = cond;
}

/*
 * The one check macro: `bad` is the failure condition.  If it holds, the
 * check's id, name and the text of `bad` go to *why and the enclosing
 * function returns the id.
 */
#define NCHECK(why, ID, bad)						\
	do {								\
		if (bad) {						\
			record((why), NCHK_##ID, #bad);			\
			return NCHK_##ID;				\
		}							\
	} while (0)

/* ---- helpers ------------------------------------------------------------ */

/* The bits at or above MAXPHYADDR: a legal GPA has none of them set. */
static uint64_t gpa_rsvd(unsigned maxphyaddr)
{
	return maxphyaddr >= 64 ? 0 : ~0ull << maxphyaddr;
}

static bool gpa_legal(uint64_t gpa, uint64_t rsvd)
{
	return !(gpa & rsvd);
}

/* A permission map (base bits 11:0 ignored) lies wholly below MAXPHYADDR
 * (rsvd: gpa_rsvd()). */
static bool pm_legal(uint64_t base_pa, uint32_t size, uint64_t rsvd)
{
	uint64_t base = base_pa & ~PM_BASE_IGNORED;

	if (base > UINT64_MAX - (size - 1))
		return false;
	return gpa_legal(base | (base + size - 1), rsvd);
}

/* EVENTINJ (APM §15.20), through svm/event.c's rules, so that vmcb12 and
 * every EVENTINJ nestvisor writes are judged alike.  Nothing to check
 * unless V=1. */
static struct event_caps event_caps_of(const struct nested_caps *caps)
{
	return (struct event_caps){ .shstk = caps->shstk,
				    .sev_es = caps->sev_es };
}

static bool evtinj_type_ok(union svm_event ev)
{
	return !ev.valid || event_type_defined(ev);
}

static bool evtinj_vector_ok(union svm_event ev, const struct nested_caps *caps)
{
	struct event_caps ec = event_caps_of(caps);

	return !ev.valid || ev.type != SVM_EVENT_EXCEPTION ||
	       event_vector_is_exception((uint8_t)ev.vector, &ec);
}

/* Each of the eight PAT entries must be UC, WC, WT, WP, WB or UC-. */
static bool pat_valid(uint64_t pat)
{
	for (unsigned i = 0; i < 8; i++) {
		uint8_t t = (uint8_t)(pat >> (8 * i));

		if (t != PAT_UC && t != PAT_WC && t != PAT_WT &&
		    t != PAT_WP && t != PAT_WB && t != PAT_UC_MINUS)
			return false;
	}
	return true;
}

/* PAE PDPTEs (APM Vol. 2 §5.3.3, Figure 5-10): with P=1, bits 2:1 and 8:5
 * are reserved, and so are bits 63:MAXPHYADDR (no NX in a PDPTE). */
static bool pdptes_valid(const struct vmcb12_save_cache *s, unsigned maxphyaddr)
{
	const uint64_t rsvd = 0x6ull | 0x1e0ull | ~((1ull << maxphyaddr) - 1);

	if (!s->pdptes_readable)
		return false;
	for (unsigned i = 0; i < 4; i++)
		if ((s->pdpte[i] & 1) && (s->pdpte[i] & rsvd))
			return false;
	return true;
}

/* ---- 1. pre-checks -------------------------------------------------------- */

static int precheck(const struct nested_vmrun_ctx *l1,
		    const struct nested_caps *caps,
		    struct nested_check_failure *why)
{
	NCHECK(why, PRE_SVME, !(l1->efer & X86_EFER_SVME));
	NCHECK(why, PRE_PAGING, !(l1->cr0 & X86_CR0_PG));
	NCHECK(why, PRE_SMM, l1->smm);
	NCHECK(why, PRE_CPL, l1->cpl != 0);
	NCHECK(why, PRE_HSAVE, l1->hsave_pa == 0);
	NCHECK(why, PRE_VMCB12_ALIGN, (l1->vmcb12_gpa & 0xfff) != 0);
	NCHECK(why, PRE_VMCB12_GPA,
	       !gpa_legal(l1->vmcb12_gpa, gpa_rsvd(caps->maxphyaddr)));
	return NCHK_NONE;
}

int nested_vmrun_prechecks(const struct nested_vmrun_ctx *l1,
			   const struct nested_caps *caps,
			   struct nested_check_failure *why,
			   enum x86_vector *exc)
{
	int id = precheck(l1, caps, why);

	if (id == NCHK_NONE) {
		record(why, NCHK_NONE, "");
		return 0;
	}
	if (id == NCHK_PRE_SVME || id == NCHK_PRE_PAGING || id == NCHK_PRE_SMM)
		*exc = X86_VEC_UD;
	else
		*exc = X86_VEC_GP;
	return -NV_EINVAL;
}

/* ---- 2. copy -------------------------------------------------------------- */

/* Each save-area field, as read, goes to the cache and to l2 too. */
static inline __attribute__((always_inline)) void
copy_vmcb12(struct vmcb12_cache *cache, const volatile struct vmcb *vmcb12,
	    struct vmcb_save *l2)
{
	const volatile struct vmcb_control *vc = &vmcb12->control;
	const volatile struct vmcb_save *vs = &vmcb12->save;
	struct vmcb12_ctrl_cache *c = &cache->ctrl;
	struct vmcb12_save_cache *s = &cache->save;

	c->intercept_cr = vc->intercept_cr;
	c->intercept_dr = vc->intercept_dr;
	c->intercept_exceptions = vc->intercept_exceptions;
	c->intercept_misc1 = vc->intercept_misc1;
	c->intercept_misc2 = vc->intercept_misc2;
	c->intercept_misc3 = vc->intercept_misc3;
	c->pause_filter_thresh = vc->pause_filter_thresh;
	c->pause_filter_count = vc->pause_filter_count;
	c->iopm_base_pa = vc->iopm_base_pa;
	c->msrpm_base_pa = vc->msrpm_base_pa;
	c->tsc_offset = vc->tsc_offset;
	c->asid = vc->asid;
	c->tlb_control = vc->tlb_control;
	c->int_ctl = vc->int_ctl;
	c->int_vector = vc->int_vector;
	c->int_state = vc->int_state;
	c->misc_ctl = vc->misc_ctl;
	c->event_inj.raw = vc->event_inj.raw;
	c->event_inj_err = vc->event_inj_err;
	c->nested_cr3 = vc->nested_cr3;
	c->virt_ext = vc->virt_ext;
	c->next_rip = vc->next_rip;

	l2->es = s->es = vs->es;
	l2->cs = s->cs = vs->cs;
	l2->ss = s->ss = vs->ss;
	l2->ds = s->ds = vs->ds;
	l2->gdtr = s->gdtr = vs->gdtr;
	l2->idtr = s->idtr = vs->idtr;
	l2->cpl = s->cpl = vs->cpl;
	l2->efer = s->efer = vs->efer;
	l2->cr4 = s->cr4 = vs->cr4;
	l2->cr3 = s->cr3 = vs->cr3;
	l2->cr0 = s->cr0 = vs->cr0;
	l2->dr7 = s->dr7 = vs->dr7;
	l2->dr6 = s->dr6 = vs->dr6;
	l2->rflags = s->rflags = vs->rflags;
	l2->rip = s->rip = vs->rip;
	l2->rsp = s->rsp = vs->rsp;
	l2->rax = s->rax = vs->rax;
	l2->cr2 = s->cr2 = vs->cr2;
	l2->g_pat = s->g_pat = vs->g_pat;
	s->pdptes_loaded = false;
	s->pdptes_readable = false;
}

void nested_copy_vmcb12(struct vmcb12_cache *cache,
			const volatile struct vmcb *vmcb12)
{
	struct vmcb_save unused;

	copy_vmcb12(cache, vmcb12, &unused);
}

void nested_copy_vmcb12_into(struct vmcb12_cache *cache,
			     const volatile struct vmcb *vmcb12,
			     struct vmcb_save *l2)
{
	copy_vmcb12(cache, vmcb12, l2);
}

void nested_copy_pdptes(struct vmcb12_cache *cache,
			const volatile uint64_t *pdptes)
{
	struct vmcb12_save_cache *s = &cache->save;

	s->pdptes_loaded = true;
	s->pdptes_readable = pdptes != NULL;
	for (unsigned i = 0; i < 4; i++)
		s->pdpte[i] = pdptes ? pdptes[i] : 0;
}

/* ---- 3. sanitise -------------------------------------------------------- */

void nested_sanitize_controls(struct vmcb12_ctrl_cache *c,
			      const struct nested_caps *caps)
{
	uint64_t misc = 0;
	uint32_t int_ctl_ok;

	/*
	 * misc_ctl (0x090).  NP only if offered (docs/semantics.md §2.3:
	 * silent, not a failure).  GMET only if offered and NP stays on: GMET acts on
	 * nested page tables, and a cached GMET bit then always means "shadow
	 * NPT with GMET".  SEV and SEV-ES are never offered.  SSSCheck, VTE,
	 * read-only guest page tables and INVLPGB are not offered either.
	 */
	if (caps->np)
		misc |= c->misc_ctl & MISC_CTL_NP_ENABLE;
	if (caps->gmet && (misc & MISC_CTL_NP_ENABLE))
		misc |= c->misc_ctl & MISC_CTL_GMET;
	c->misc_ctl = misc;

	/*
	 * int_ctl (0x060).  Only virtual-interrupt state that L0 emulates may
	 * pass.  AVIC and x2AVIC are never offered: with them L2 would reach
	 * the APIC backing page and the AVIC tables at addresses L1 chose,
	 * i.e. host memory (CVE-2021-3653).  vGIF and vNMI bits only if
	 * offered.  V_TPR bits 7:4 are SBZ.  Everything else is reserved.
	 */
	int_ctl_ok = V_TPR_BITS | V_IRQ | V_INTR_PRIO_MASK | V_IGN_TPR |
		     V_INTR_MASKING;
	if (caps->vgif)
		int_ctl_ok |= V_GIF | V_GIF_ENABLE;
	if (caps->vnmi)
		int_ctl_ok |= V_NMI_PENDING | V_NMI_BLOCKING | V_NMI_ENABLE;
	c->int_ctl &= int_ctl_ok;

	/* int_vector: an 8-bit vector.  int_state: only the interrupt shadow
	 * is an input; bit 1 is CPU output and the rest is reserved. */
	c->int_vector &= INT_VECTOR_MASK;
	c->int_state &= INT_STATE_SHADOW;

	/*
	 * tlb_control (0x05c): the defined values are 0 (nothing), 1 (flush
	 * all), 3 (flush this ASID) and 7 (flush this ASID's non-global
	 * entries); 3 and 7 need FlushByASID.  Anything else becomes "flush
	 * all": flushing more than asked is never wrong, flushing less is.
	 */
	switch (c->tlb_control) {
	case TLB_CONTROL_DO_NOTHING:
	case TLB_CONTROL_FLUSH_ALL:
		break;
	case TLB_CONTROL_FLUSH_ASID:
	case TLB_CONTROL_FLUSH_ASID_LOCAL:
		if (!caps->flush_by_asid)
			c->tlb_control = TLB_CONTROL_FLUSH_ALL;
		break;
	default:
		c->tlb_control = TLB_CONTROL_FLUSH_ALL;
		break;
	}

	/* event_inj (0x0a8): bits 30:12 are reserved. */
	c->event_inj.rsvd = 0;

	/*
	 * Intercepts of instructions L1 was told do not exist: in L2 they
	 * raise #UD (L0 handles that), so L1 must never see their exit.
	 * SKINIT and the misc3 instructions other than INVPCID (INVLPGB,
	 * TLBSYNC, MCOMMIT, ...) are never offered.  The EFER/CRx write
	 * traps of misc2 31:15 belong to SEV-ES, never offered.
	 */
	if (!caps->xsave)
		c->intercept_misc2 &= ~INTERCEPT2_XSETBV;
	if (!caps->rdtscp)
		c->intercept_misc2 &= ~INTERCEPT2_RDTSCP;
	if (!caps->rdpru)
		c->intercept_misc2 &= ~INTERCEPT2_RDPRU;
	c->intercept_misc2 &= ~(INTERCEPT2_SKINIT | INTERCEPT2_WRITE_TRAPS);
	c->intercept_misc3 &= caps->invpcid ? INTERCEPT3_INVPCID : 0;

	/*
	 * virt_ext (0x0b8): LBR virtualization only if offered.  Virtual
	 * VMLOAD/VMSAVE is never passed on: L2 would run VMLOAD/VMSAVE on
	 * memory L1 names without an intercept (CVE-2021-3656).
	 */
	c->virt_ext &= caps->lbrv ? VIRT_EXT_LBR : 0;

	/* Permission-map bases: hardware ignores bits 11:0; drop them so no
	 * later user has to remember. */
	c->iopm_base_pa &= ~PM_BASE_IGNORED;
	c->msrpm_base_pa &= ~PM_BASE_IGNORED;

	/* next_rip is an input only with NRIPS; without it 0 = "not given". */
	if (!caps->nrips)
		c->next_rip = 0;

	/* Pointers of features never offered (AVIC tables, SEV-ES GHCB and
	 * VMSA) are not even copied (struct vmcb12_cache): no L1-chosen
	 * address can reach vmcb02. */
}

/* ---- 4. checks ------------------------------------------------------------ */

static int check_controls(const struct vmcb12_ctrl_cache *c,
			  const struct nested_caps *caps,
			  struct nested_check_failure *why)
{
	uint64_t m = gpa_rsvd(caps->maxphyaddr);

	NCHECK(why, VMRUN_INTERCEPT, !(c->intercept_misc2 & INTERCEPT2_VMRUN));
	NCHECK(why, ASID_ZERO, c->asid == 0);
	/* The APM gives an ASID at or above CPUID's count no meaning:
	 * nestvisor's choice is this check (docs/semantics.md §11). */
	NCHECK(why, ASID_RANGE, c->asid >= caps->nr_asids);
	NCHECK(why, NCR3, (c->misc_ctl & MISC_CTL_NP_ENABLE) &&
			  !gpa_legal(c->nested_cr3, m));
	NCHECK(why, MSRPM, !pm_legal(c->msrpm_base_pa, MSRPM_SIZE, m));
	NCHECK(why, IOPM, !pm_legal(c->iopm_base_pa, IOPM_SIZE, m));
	NCHECK(why, VNMI_INTERCEPT, (c->int_ctl & V_NMI_ENABLE) &&
				    !(c->intercept_misc1 & INTERCEPT1_NMI));
	NCHECK(why, EVENTINJ_TYPE, !evtinj_type_ok(c->event_inj));
	NCHECK(why, EVENTINJ_VECTOR, !evtinj_vector_ok(c->event_inj, caps));
	return NCHK_NONE;
}

static int check_save(const struct vmcb12_save_cache *s,
		      const struct vmcb12_ctrl_cache *c,
		      const struct nested_caps *caps,
		      struct nested_check_failure *why)
{
	bool long_mode = (s->efer & X86_EFER_LME) && (s->cr0 & X86_CR0_PG);
	uint64_t m = gpa_rsvd(caps->maxphyaddr);

	NCHECK(why, EFER_SVME, !(s->efer & X86_EFER_SVME));
	NCHECK(why, CR0_NW_CD, (s->cr0 & X86_CR0_NW) && !(s->cr0 & X86_CR0_CD));
	NCHECK(why, CR0_HIGH, (s->cr0 >> 32) != 0);
	NCHECK(why, DR6_HIGH, (s->dr6 >> 32) != 0);
	NCHECK(why, DR7_HIGH, (s->dr7 >> 32) != 0);
	/* SVM does not check EFER.LMA against LME && PG. */
	NCHECK(why, LM_CR4_PAE, long_mode && !(s->cr4 & X86_CR4_PAE));
	NCHECK(why, LM_CR0_PE, long_mode && !(s->cr0 & X86_CR0_PE));
	NCHECK(why, LM_CR3, long_mode && !gpa_legal(s->cr3, m));
	/* Outside long mode CR3 holds 32 bits: a bit at or above MAXPHYADDR
	 * is an MBZ bit in every format, which the CPU below would refuse
	 * (QEMU TCG does), not nestvisor (docs/semantics.md §8.3). */
	NCHECK(why, CR3_HIGH, !long_mode && !gpa_legal(s->cr3, m));
	NCHECK(why, LM_CS_L_D, long_mode && s->cs.attrib.l && s->cs.attrib.db);
	NCHECK(why, CR4_RSVD, (s->cr4 & ~caps->cr4_allowed) != 0);
	NCHECK(why, EFER_RSVD, (s->efer & ~caps->efer_allowed) != 0);
	/* With NP, L2 has its own PAT: it must be loadable. */
	NCHECK(why, GPAT, (c->misc_ctl & MISC_CTL_NP_ENABLE) &&
			  !pat_valid(s->g_pat));
	/* PAE paging without NP: VMRUN loads the PDPTEs (as MOV CR3 does,
	 * APM Vol. 2 §5.3.3 and §15.5; KVM nested_svm_load_cr3()). */
	NCHECK(why, PAE_PDPTE, s->pdptes_loaded &&
			       !pdptes_valid(s, caps->maxphyaddr));
	return NCHK_NONE;
}

int nested_check_vmcb12(const struct vmcb12_cache *cache,
			const struct nested_caps *caps,
			struct nested_check_failure *why)
{
	int id = check_controls(&cache->ctrl, caps, why);

	if (id == NCHK_NONE)
		id = check_save(&cache->save, &cache->ctrl, caps, why);
	if (id == NCHK_NONE) {
		record(why, NCHK_NONE, "");
		return 0;
	}
	return -NV_EINVAL;
}
