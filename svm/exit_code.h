/* SPDX-License-Identifier: MIT */
/*
 * SVM exit codes (the VMCB's EXITCODE, offset 0x070): every code the AMD
 * APM Vol. 2 names in Appendix C, Table C-1 ("SVM Intercept Codes").
 * Ranges of one kind (CR and DR accesses, exceptions, CR write traps) are
 * given by their first and last code and a helper.  Intercept vectors
 * follow the same order: bit n of the intercept word at VMCB 0x00c, 0x010
 * and 0x014 intercepts exit code VMEXIT_INTR + n, VMEXIT_VMRUN + n and
 * VMEXIT_INVLPGB + n (svm/vmcb.h derives its INTERCEPT* bits from here).
 */
#ifndef NV_SVM_EXIT_CODE_H
#define NV_SVM_EXIT_CODE_H

#include <stdbool.h>
#include <stdint.h>

enum svm_exit_code {
	VMEXIT_CR0_READ = 0x000,      /* ... VMEXIT_CR15_READ: read of CRn */
	VMEXIT_CR15_READ = 0x00f,
	VMEXIT_CR0_WRITE = 0x010,     /* ... VMEXIT_CR15_WRITE: write of CRn */
	VMEXIT_CR4_WRITE = 0x014,
	VMEXIT_CR15_WRITE = 0x01f,
	VMEXIT_DR0_READ = 0x020,      /* ... VMEXIT_DR15_READ */
	VMEXIT_DR15_READ = 0x02f,
	VMEXIT_DR0_WRITE = 0x030,     /* ... VMEXIT_DR15_WRITE */
	VMEXIT_DR15_WRITE = 0x03f,
	VMEXIT_EXCP_BASE = 0x040,     /* ... VMEXIT_EXCP_LAST: exception n */
	VMEXIT_EXCP_LAST = 0x05f,
	VMEXIT_INTR = 0x060,
	VMEXIT_NMI = 0x061,
	VMEXIT_SMI = 0x062,
	VMEXIT_INIT = 0x063,
	VMEXIT_VINTR = 0x064,
	VMEXIT_CR0_SEL_WRITE = 0x065,
	VMEXIT_IDTR_READ = 0x066,
	VMEXIT_GDTR_READ = 0x067,
	VMEXIT_LDTR_READ = 0x068,
	VMEXIT_TR_READ = 0x069,
	VMEXIT_IDTR_WRITE = 0x06a,
	VMEXIT_GDTR_WRITE = 0x06b,
	VMEXIT_LDTR_WRITE = 0x06c,
	VMEXIT_TR_WRITE = 0x06d,
	VMEXIT_RDTSC = 0x06e,
	VMEXIT_RDPMC = 0x06f,
	VMEXIT_PUSHF = 0x070,
	VMEXIT_POPF = 0x071,
	VMEXIT_CPUID = 0x072,
	VMEXIT_RSM = 0x073,
	VMEXIT_IRET = 0x074,
	VMEXIT_SWINT = 0x075,
	VMEXIT_INVD = 0x076,
	VMEXIT_PAUSE = 0x077,
	VMEXIT_HLT = 0x078,
	VMEXIT_INVLPG = 0x079,
	VMEXIT_INVLPGA = 0x07a,
	VMEXIT_IOIO = 0x07b,
	VMEXIT_MSR = 0x07c,
	VMEXIT_TASK_SWITCH = 0x07d,
	VMEXIT_FERR_FREEZE = 0x07e,
	VMEXIT_SHUTDOWN = 0x07f,
	VMEXIT_VMRUN = 0x080,
	VMEXIT_VMMCALL = 0x081,
	VMEXIT_VMLOAD = 0x082,
	VMEXIT_VMSAVE = 0x083,
	VMEXIT_STGI = 0x084,
	VMEXIT_CLGI = 0x085,
	VMEXIT_SKINIT = 0x086,
	VMEXIT_RDTSCP = 0x087,
	VMEXIT_ICEBP = 0x088,
	VMEXIT_WBINVD = 0x089,
	VMEXIT_MONITOR = 0x08a,
	VMEXIT_MWAIT = 0x08b,
	VMEXIT_MWAIT_CONDITIONAL = 0x08c,
	VMEXIT_XSETBV = 0x08d,
	VMEXIT_RDPRU = 0x08e,
	VMEXIT_EFER_WRITE_TRAP = 0x08f,
	VMEXIT_CR0_WRITE_TRAP = 0x090, /* ... VMEXIT_CR15_WRITE_TRAP */
	VMEXIT_CR15_WRITE_TRAP = 0x09f,
	VMEXIT_INVLPGB = 0x0a0,
	VMEXIT_INVLPGB_ILLEGAL = 0x0a1,
	VMEXIT_INVPCID = 0x0a2,
	VMEXIT_MCOMMIT = 0x0a3,
	VMEXIT_TLBSYNC = 0x0a4,
	VMEXIT_BUSLOCK = 0x0a5,
	VMEXIT_IDLE_HLT = 0x0a6,
	VMEXIT_NPF = 0x400,
	VMEXIT_AVIC_INCOMPLETE_IPI = 0x401,
	VMEXIT_AVIC_NOACCEL = 0x402,
	VMEXIT_VMGEXIT = 0x403,
};

/* Failed VMRUNs: negative values of the 64-bit EXITCODE (outside the enum,
 * whose constants are ints). */
#define VMEXIT_INVALID       ((uint64_t)-1) /* invalid guest state in the VMCB */
#define VMEXIT_BUSY          ((uint64_t)-2) /* SEV-SNP: the VMSA's BUSY bit set */
#define VMEXIT_IDLE_REQUIRED ((uint64_t)-3) /* the sibling thread is not idle */
#define VMEXIT_INVALID_PMC   ((uint64_t)-4) /* invalid PMC state */

/* The first and last exit code of each intercept word. */
#define VMEXIT_MISC1_FIRST VMEXIT_INTR
#define VMEXIT_MISC1_LAST  VMEXIT_SHUTDOWN
#define VMEXIT_MISC2_FIRST VMEXIT_VMRUN
#define VMEXIT_MISC2_LAST  VMEXIT_CR15_WRITE_TRAP
#define VMEXIT_MISC3_FIRST VMEXIT_INVLPGB
#define VMEXIT_MISC3_LAST  (VMEXIT_INVLPGB + 31)

_Static_assert(VMEXIT_MISC1_LAST - VMEXIT_MISC1_FIRST == 31, "misc1: 32 codes");
_Static_assert(VMEXIT_MISC2_LAST - VMEXIT_MISC2_FIRST == 31, "misc2: 32 codes");
_Static_assert(VMEXIT_EXCP_LAST - VMEXIT_EXCP_BASE == 31, "32 exception vectors");

static inline bool vmexit_in(uint64_t code, uint64_t first, uint64_t last)
{
	return code - first <= last - first;
}

/* Exit codes are 64-bit, but QEMU TCG stores VMEXIT_INVALID as a 32-bit -1
 * (docs/semantics.md §10.3): accept both. */
static inline bool vmexit_is_invalid(uint64_t code)
{
	return code == VMEXIT_INVALID || code == 0xffffffffull;
}

#endif
