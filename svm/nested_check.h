/* SPDX-License-Identifier: MIT */
/*
 * Emulated VMRUN, first half: copy vmcb12 out of L1 memory once, sanitise
 * the copy, check it.  Pure C, no hardware access; builds into
 * nestvisor.efi and into host tests.
 *
 * Order of use (docs/semantics.md §8, entry hygiene §8.7):
 *   1. nested_vmrun_prechecks()   -> 0, or #UD / #GP to inject into L1;
 *   2. nested_copy_vmcb12()       -> the only read of vmcb12 memory, into
 *      struct vmcb12_cache (nested_copy_vmcb12_into(): and L2's state
 *      into vmcb02's save area, from the same read);
 *   3. nested_sanitize_controls() -> silently drop what L1 may not ask for;
 *   4. nested_check_vmcb12()      -> 0, or the first failed check: VMRUN
 *      then exits to L1 with VMEXIT_INVALID.
 * Everything after step 2 reads the cache only (no TOCTOU with other L1
 * vCPUs writing vmcb12).
 */
#ifndef NV_SVM_NESTED_CHECK_H
#define NV_SVM_NESTED_CHECK_H

#include <stdbool.h>
#include <stdint.h>

#include "core/x86.h"
#include "svm/vmcb.h"

/*
 * What nestvisor offers L1, and the CPU facts the checks need.  Filled by
 * the caller from the CPUID nestvisor presents to L1.
 */
struct nested_caps {
	uint8_t maxphyaddr;	/* L1's MAXPHYADDR (CPUID 8000_0008 EAX[7:0]) */
	bool np;		/* nested paging (8000_000A EDX[0]) */
	bool gmet;		/* GMET (8000_000A EDX[17]); implies np */
	bool vgif;		/* virtual GIF (8000_000A EDX[16]) */
	bool vnmi;		/* virtual NMI (8000_000A EDX[25]) */
	bool nrips;		/* next-RIP save (8000_000A EDX[3]) */
	bool lbrv;		/* LBR virtualization (8000_000A EDX[1]) */
	bool flush_by_asid;	/* TLB_CONTROL 3 and 7 (8000_000A EDX[6]) */
	bool shstk;		/* CET shadow stacks: #CP may be injected */
	bool sev_es;		/* SEV-ES: never offered by nestvisor; only
				 * makes #VC injectable, SEV bits stay masked */
	bool xsave;		/* XSETBV exists (CPUID 1 ECX[26]) */
	bool rdtscp;		/* RDTSCP exists (8000_0001 EDX[27]) */
	bool invpcid;		/* INVPCID exists (7.0 EBX[10]) */
	bool rdpru;		/* RDPRU exists (8000_0008 EBX[4]) */
	uint32_t nr_asids;	/* ASIDs L1 may use (8000_000A EBX) */
	uint64_t cr4_allowed;	/* CR4 bits L1 may set (from L1's CPUID) */
	uint64_t efer_allowed;	/* EFER bits L1 may set (must hold SVME) */
};

/*
 * The fields of vmcb12 that nestvisor uses (KVM: vmcb_ctrl_area_cached and
 * vmcb_save_area_cached), read once from L1 memory, then sanitised and
 * checked.  vmcb02 is built field by field from this cache and nothing
 * else of vmcb12: a field reaches vmcb02 only once it is added here, with
 * its sanitiser rule and its checks.  Fields of features never offered
 * (AVIC tables, GHCB, VMSA, the SEV bits, LBR state, CET state) have no
 * place here.  Names and meanings as in struct vmcb (APM Vol. 2 Tables
 * B-1 and B-2).
 */
struct vmcb12_ctrl_cache {
	uint32_t intercept_cr, intercept_dr, intercept_exceptions;
	uint32_t intercept_misc1, intercept_misc2, intercept_misc3;
	uint16_t pause_filter_thresh, pause_filter_count;
	uint64_t iopm_base_pa, msrpm_base_pa;
	uint64_t tsc_offset;
	uint32_t asid;
	uint8_t tlb_control;
	uint32_t int_ctl, int_vector, int_state;
	uint64_t misc_ctl;
	union svm_event event_inj;
	uint32_t event_inj_err;
	uint64_t nested_cr3;
	uint64_t virt_ext;
	uint64_t next_rip;
};

struct vmcb12_save_cache {
	struct vmcb_seg es, cs, ss, ds, gdtr, idtr;
	uint8_t cpl;
	uint64_t efer, cr4, cr3, cr0, dr7, dr6;
	uint64_t rflags, rip, rsp, rax;
	uint64_t cr2, g_pat;
	/* L2 in PAE paging (not long mode) without nested paging: the four
	 * PDPTEs VMRUN loads from CR3 in L1 memory (nested_copy_pdptes()),
	 * read once like the rest. */
	bool pdptes_loaded, pdptes_readable;
	uint64_t pdpte[4];
};

struct vmcb12_cache {
	struct vmcb12_ctrl_cache ctrl;
	struct vmcb12_save_cache save;
};

/*
 * Every check, in the order it is evaluated: X(ID, "human name").
 * PRE_* are the VMRUN pre-checks that raise an exception in L1; the rest
 * make VMRUN fail with VMEXIT_INVALID.
 */
#define NESTED_CHECKS(X)						\
	X(PRE_SVME,          "EFER.SVME is 0 (#UD)")			\
	X(PRE_PAGING,        "paging is off (#UD)")			\
	X(PRE_SMM,           "VMRUN in SMM (#UD)")			\
	X(PRE_CPL,           "CPL is not 0 (#GP)")			\
	X(PRE_HSAVE,         "VM_HSAVE_PA is 0 (#GP)")			\
	X(PRE_VMCB12_ALIGN,  "vmcb12 GPA not page-aligned (#GP)")	\
	X(PRE_VMCB12_GPA,    "vmcb12 GPA beyond MAXPHYADDR (#GP)")	\
	X(VMRUN_INTERCEPT,   "VMRUN intercept not set")			\
	X(ASID_ZERO,         "ASID is 0")				\
	X(ASID_RANGE,        "ASID at or above L1's number of ASIDs")	\
	X(NCR3,              "nCR3 beyond MAXPHYADDR")			\
	X(MSRPM,             "MSRPM beyond MAXPHYADDR")			\
	X(IOPM,              "IOPM beyond MAXPHYADDR")			\
	X(VNMI_INTERCEPT,    "V_NMI enabled without NMI intercept")	\
	X(EVENTINJ_TYPE,     "EVENTINJ type is reserved")		\
	X(EVENTINJ_VECTOR,   "EVENTINJ vector is not an exception")	\
	X(EFER_SVME,         "EFER.SVME is 0")				\
	X(CR0_NW_CD,         "CR0.NW set with CR0.CD clear")		\
	X(CR0_HIGH,          "CR0[63:32] not zero")			\
	X(DR6_HIGH,          "DR6[63:32] not zero")			\
	X(DR7_HIGH,          "DR7[63:32] not zero")			\
	X(LM_CR4_PAE,        "long mode without CR4.PAE")		\
	X(LM_CR0_PE,         "long mode without CR0.PE")		\
	X(LM_CR3,            "long-mode CR3 beyond MAXPHYADDR")	\
	X(CR3_HIGH,          "CR3 beyond MAXPHYADDR outside long mode") \
	X(LM_CS_L_D,         "long mode with CS.L and CS.D")		\
	X(CR4_RSVD,          "CR4 reserved or unsupported bit")		\
	X(EFER_RSVD,         "EFER reserved or unsupported bit")	\
	X(GPAT,              "gPAT holds an invalid memory type")	\
	X(PAE_PDPTE,         "PAE PDPTE unreadable or with a reserved bit")

#define NCHK_ENUM_(id, name) NCHK_##id,
enum nested_check_id {
	NCHK_NONE = 0,
	NESTED_CHECKS(NCHK_ENUM_)
	NCHK_COUNT
};
#undef NCHK_ENUM_

/* Why VMRUN failed: log as "VMRUN failed check: <name> (<cond>)". */
struct nested_check_failure {
	int id;			/* enum nested_check_id, NCHK_NONE if passed */
	const char *name;	/* short human name from NESTED_CHECKS */
	const char *cond;	/* the failing condition, as written in C */
};

/* The human name of a check id; "?" for an unknown id. */
const char *nested_check_name(int id);

/*
 * Copy the fields of struct vmcb12_cache from vmcb12 in L1 memory, reading
 * each exactly once.
 */
void nested_copy_vmcb12(struct vmcb12_cache *cache,
			const volatile struct vmcb *vmcb12);
/*
 * The same, and each save-area field of the cache, as read, also into
 * l2, the save area L2 is to run with (vmcb02's): ES, CS, SS, DS, GDTR,
 * IDTR, CPL, EFER, CR4, CR3, CR0, DR7, DR6, RFLAGS, RIP, RSP, RAX, CR2,
 * G_PAT, as vmcb12 has them (the caller adds what VMRUN adds: EFER.SVME,
 * L1's PAT without nested paging, the VMLOAD state).  One read of vmcb12
 * for both, so that l2 holds exactly what nested_check_vmcb12() then
 * checks; l2 must not run unless that check passes.
 */
void nested_copy_vmcb12_into(struct vmcb12_cache *cache,
			     const volatile struct vmcb *vmcb12,
			     struct vmcb_save *l2);

/*
 * Does an L2 with this state need its PDPTEs at VMRUN (PAE paging, not
 * long mode, nested paging off)?  If so the caller reads the four 8-byte
 * entries at CR3 bits 31:5 in L1 memory and passes them (NULL: not
 * readable) to nested_copy_pdptes() before the checks.
 */
static inline bool nested_needs_pdptes(const struct vmcb12_cache *cache)
{
	const struct vmcb12_save_cache *s = &cache->save;

	return !(cache->ctrl.misc_ctl & MISC_CTL_NP_ENABLE) &&
	       (s->cr0 & X86_CR0_PG) && (s->cr4 & X86_CR4_PAE) &&
	       !(s->efer & X86_EFER_LME);
}
void nested_copy_pdptes(struct vmcb12_cache *cache,
			const volatile uint64_t *pdptes);

/*
 * Silently clear in the cached control area what L1 may not set (features
 * not offered, reserved bits).  Never fails; see nested_check.c for each
 * mask and its reason.  Call before nested_check_vmcb12().
 */
void nested_sanitize_controls(struct vmcb12_ctrl_cache *c,
			      const struct nested_caps *caps);

/*
 * The consistency checks of an emulated VMRUN on the sanitised cache.
 * Returns 0 if all pass, else -NV_EINVAL with the first one that fails
 * recorded in *why (why may be NULL).
 */
int nested_check_vmcb12(const struct vmcb12_cache *cache,
			const struct nested_caps *caps,
			struct nested_check_failure *why);

/* L1 state the pre-checks look at. */
struct nested_vmrun_ctx {
	uint64_t efer;		/* L1 EFER */
	uint64_t cr0;		/* L1 CR0 */
	uint8_t cpl;		/* L1 CPL */
	bool smm;		/* L1 in SMM */
	uint64_t hsave_pa;	/* L1's VM_HSAVE_PA MSR */
	uint64_t vmcb12_gpa;	/* rAX of the VMRUN */
};

/*
 * Checks made before vmcb12 is read, which raise an exception in L1
 * instead of VMEXIT_INVALID.  Returns 0, or -NV_EINVAL with the failed
 * PRE_* check in *why and the exception to inject (#UD, or #GP with error
 * code 0) in *exc.
 */
int nested_vmrun_prechecks(const struct nested_vmrun_ctx *l1,
			   const struct nested_caps *caps,
			   struct nested_check_failure *why,
			   enum x86_vector *exc);

#endif
