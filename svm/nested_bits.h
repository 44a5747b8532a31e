/* SPDX-License-Identifier: MIT */
/*
 * Bit constants that the nested VMRUN checks and the vmcb12 sanitiser need
 * and that svm/vmcb.h or core/x86.h do not declare.  Sources: AMD APM
 * Vol. 2 Appendix B (Table B-1, VMCB control area), §15.20 (event
 * injection), §15.11 (MSR/IO permission maps), Vol. 2 §3.1 (CR0/CR4/EFER);
 * docs/semantics.md §8.
 */
#ifndef NV_SVM_NESTED_BITS_H
#define NV_SVM_NESTED_BITS_H

#include "svm/vmcb.h"

/* ---- control area ------------------------------------------------------ */

/* intercept_misc2 (VMCB 0x010), Table B-1. */
#define INTERCEPT2_RDPRU          (1u << 14)
/* Bits 31:15: EFER and CR0-CR15 write *traps* (intercepts taken after the
 * write), an SEV-ES mechanism. */
#define INTERCEPT2_WRITE_TRAPS    0xffff8000u

/* intercept_misc3 (VMCB 0x014), Table B-1. */
#define INTERCEPT3_INVLPGB        (1u << 0)
#define INTERCEPT3_INVLPGB_ILL    (1u << 1)
#define INTERCEPT3_INVPCID        (1u << 2)
#define INTERCEPT3_MCOMMIT        (1u << 3)
#define INTERCEPT3_TLBSYNC        (1u << 4)

/* int_ctl (VMCB 0x060), Table B-1, bits vmcb.h does not name.  V_TPR is
 * bits 7:0 but only 3:0 hold the 4-bit TPR; 7:4 are SBZ. */
#define V_TPR_BITS                0x0fu
#define V_NMI_PENDING             (1u << 11)
#define V_NMI_BLOCKING            (1u << 12)
#define V_INTR_PRIO_MASK          (0x0fu << V_INTR_PRIO_SHIFT)
#define V_NMI_ENABLE              (1u << 26)
#define V_X2AVIC_ENABLE           (1u << 30)
#define V_AVIC_ENABLE             (1u << 31)

/* int_vector (VMCB 0x064): bits 7:0 only. */
#define INT_VECTOR_MASK           0xffu
/* int_state (VMCB 0x068): bit 0 interrupt shadow; bit 1 (GUEST_INTERRUPT_MASK)
 * is written by the CPU on #VMEXIT, never an input. */
#define INT_STATE_SHADOW          (1u << 0)
#define INT_STATE_GUEST_IF        (1u << 1)

/* misc_ctl (VMCB 0x090) bits 4-7 (docs/semantics.md §2.2). */
#define MISC_CTL_SSS_CHECK        (1ull << 4)
#define MISC_CTL_VTE              (1ull << 5)
#define MISC_CTL_RO_GPT           (1ull << 6)
#define MISC_CTL_INVLPGB          (1ull << 7)

/* EVENTINJ (VMCB 0x0a8), APM §15.20: bits 30:12 are reserved. */
#define EVTINJ_DEFINED_BITS       (EVTINJ_VEC_MASK | EVTINJ_TYPE_MASK | \
				   EVTINJ_EV | EVTINJ_VALID)

/* Exception vectors (APM Vol. 2 §8.2, Table 8-1). */
#define X86_VEC_DE   0
#define X86_VEC_DB   1
#define X86_VEC_NMI  2
#define X86_VEC_BP   3
#define X86_VEC_OF   4
#define X86_VEC_BR   5
#define X86_VEC_UD   6
#define X86_VEC_NM   7
#define X86_VEC_DF   8
#define X86_VEC_TS   10
#define X86_VEC_NP   11
#define X86_VEC_SS   12
#define X86_VEC_GP   13
#define X86_VEC_PF   14
#define X86_VEC_MF   16
#define X86_VEC_AC   17
#define X86_VEC_MC   18
#define X86_VEC_XF   19
#define X86_VEC_CP   21
#define X86_VEC_HV   28
#define X86_VEC_VC   29
#define X86_VEC_SX   30

/* Permission-map sizes, APM §15.10.1 (IOPM, 12 KiB) and §15.11 (MSRPM,
 * 8 KiB).  The VMCB base addresses ignore bits 11:0. */
#define IOPM_SIZE                 0x3000u
#define MSRPM_SIZE                0x2000u
#define PM_BASE_IGNORED           0xfffull

/* ---- system registers (APM Vol. 2 §3.1) --------------------------------- */

#define CR0_MP        (1ull << 1)
#define CR0_ET        (1ull << 4)
#define CR0_NE        (1ull << 5)
#define CR0_WP        (1ull << 16)
#define CR0_AM        (1ull << 18)
#define CR0_NW        (1ull << 29)
#define CR0_CD        (1ull << 30)

#define CR4_DE         (1ull << 3)
#define CR4_PSE        (1ull << 4)
#define CR4_PGE        (1ull << 7)
#define CR4_OSFXSR     (1ull << 9)
#define CR4_OSXMMEXCPT (1ull << 10)
#define CR4_LA57       (1ull << 12)
#define CR4_FSGSBASE   (1ull << 16)
#define CR4_PCIDE      (1ull << 17)
#define CR4_OSXSAVE    (1ull << 18)
#define CR4_SMEP       (1ull << 20)
#define CR4_SMAP       (1ull << 21)
#define CR4_PKE        (1ull << 22)
#define CR4_CET        (1ull << 23)

#define EFER_FFXSR     (1ull << 14)

/* PAT memory-type encodings (APM Vol. 2 §7.8.1); 2, 3 and 8-255 are
 * reserved. */
#define PAT_UC         0u
#define PAT_WC         1u
#define PAT_WT         4u
#define PAT_WP         5u
#define PAT_WB         6u
#define PAT_UC_MINUS   7u

#endif
