/* SPDX-License-Identifier: MIT */
/*
 * The bits of CR0, CR4, EFER and RFLAGS, declared once for every folder
 * (mm/ needs the paging bits and can include only mm/; core/x86.h includes
 * this file for the rest of the hypervisor and the test payloads).
 * AMD APM Vol. 2: §3.1.1 (CR0), §3.1.3 (CR4), §3.1.6 (RFLAGS), §3.1.7
 * (EFER).
 * Bits the APM leaves reserved have no name.
 */
#ifndef NV_MM_X86_REGS_H
#define NV_MM_X86_REGS_H

/* ---- CR0 ---------------------------------------------------------------- */
#define X86_CR0_PE   (1ull << 0)  /* protection enable */
#define X86_CR0_MP   (1ull << 1)  /* monitor coprocessor */
#define X86_CR0_EM   (1ull << 2)  /* emulation */
#define X86_CR0_TS   (1ull << 3)  /* task switched */
#define X86_CR0_ET   (1ull << 4)  /* extension type (reads as 1) */
#define X86_CR0_NE   (1ull << 5)  /* numeric error */
#define X86_CR0_WP   (1ull << 16) /* write protect */
#define X86_CR0_AM   (1ull << 18) /* alignment mask */
#define X86_CR0_NW   (1ull << 29) /* not writethrough */
#define X86_CR0_CD   (1ull << 30) /* cache disable */
#define X86_CR0_PG   (1ull << 31) /* paging */

/* ---- CR4 ---------------------------------------------------------------- */
#define X86_CR4_VME        (1ull << 0)  /* virtual-8086 mode extensions */
#define X86_CR4_PVI        (1ull << 1)  /* protected-mode virtual interrupts */
#define X86_CR4_TSD        (1ull << 2)  /* time stamp disable */
#define X86_CR4_DE         (1ull << 3)  /* debugging extensions */
#define X86_CR4_PSE        (1ull << 4)  /* page size extensions */
#define X86_CR4_PAE        (1ull << 5)  /* physical address extension */
#define X86_CR4_MCE        (1ull << 6)  /* machine check enable */
#define X86_CR4_PGE        (1ull << 7)  /* page global enable */
#define X86_CR4_PCE        (1ull << 8)  /* performance counter enable */
#define X86_CR4_OSFXSR     (1ull << 9)  /* FXSAVE/FXRSTOR support */
#define X86_CR4_OSXMMEXCPT (1ull << 10) /* unmasked SIMD FP exceptions */
#define X86_CR4_UMIP       (1ull << 11) /* user-mode instruction prevention */
#define X86_CR4_LA57       (1ull << 12) /* 5-level paging */
#define X86_CR4_FSGSBASE   (1ull << 16) /* RD/WR FS/GS base instructions */
#define X86_CR4_PCIDE      (1ull << 17) /* process-context identifiers */
#define X86_CR4_OSXSAVE    (1ull << 18) /* XSAVE and processor extended states */
#define X86_CR4_SMEP       (1ull << 20) /* supervisor-mode execution prevention */
#define X86_CR4_SMAP       (1ull << 21) /* supervisor-mode access prevention */
#define X86_CR4_PKE        (1ull << 22) /* protection keys */
#define X86_CR4_CET        (1ull << 23) /* control-flow enforcement */

/* ---- EFER (MSR C000_0080h) ---------------------------------------------- */
#define X86_EFER_SCE     (1ull << 0)  /* system call extensions */
#define X86_EFER_LME     (1ull << 8)  /* long mode enable */
#define X86_EFER_LMA     (1ull << 10) /* long mode active */
#define X86_EFER_NXE     (1ull << 11) /* no-execute enable */
#define X86_EFER_SVME    (1ull << 12) /* secure virtual machine enable */
#define X86_EFER_LMSLE   (1ull << 13) /* long mode segment limit enable */
#define X86_EFER_FFXSR   (1ull << 14) /* fast FXSAVE/FXRSTOR */
#define X86_EFER_TCE     (1ull << 15) /* translation cache extension */
#define X86_EFER_MCOMMIT (1ull << 17) /* MCOMMIT instruction enable */
#define X86_EFER_INTWB   (1ull << 18) /* interruptible WBINVD/WBNOINVD */
#define X86_EFER_UAIE    (1ull << 20) /* upper address ignore enable */
#define X86_EFER_AIBRSE  (1ull << 21) /* automatic IBRS enable */

/* ---- RFLAGS --------------------------------------------------------------- */
#define X86_RFLAGS_CF    (1ull << 0)  /* carry */
#define X86_RFLAGS_FIXED (1ull << 1)  /* reserved, reads as 1 */
#define X86_RFLAGS_PF    (1ull << 2)  /* parity */
#define X86_RFLAGS_AF    (1ull << 4)  /* auxiliary carry */
#define X86_RFLAGS_ZF    (1ull << 6)  /* zero */
#define X86_RFLAGS_SF    (1ull << 7)  /* sign */
#define X86_RFLAGS_TF    (1ull << 8)  /* trap */
#define X86_RFLAGS_IF    (1ull << 9)  /* interrupt enable */
#define X86_RFLAGS_DF    (1ull << 10) /* direction */
#define X86_RFLAGS_OF    (1ull << 11) /* overflow */
#define X86_RFLAGS_IOPL  (3ull << 12) /* I/O privilege level (2 bits) */
#define X86_RFLAGS_NT    (1ull << 14) /* nested task */
#define X86_RFLAGS_RF    (1ull << 16) /* resume */
#define X86_RFLAGS_VM    (1ull << 17) /* virtual-8086 mode */
#define X86_RFLAGS_AC    (1ull << 18) /* alignment check */
#define X86_RFLAGS_VIF   (1ull << 19) /* virtual interrupt */
#define X86_RFLAGS_VIP   (1ull << 20) /* virtual interrupt pending */
#define X86_RFLAGS_ID    (1ull << 21) /* CPUID available */

#endif
