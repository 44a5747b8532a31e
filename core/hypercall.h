/* SPDX-License-Identifier: MIT */
/*
 * nestvisor's guest ABI: what L1 sees of nestvisor.  Included by the
 * hypervisor, by in-guest test payloads and by nvctl (it is plain C, no
 * types beyond <stdint.h>).  Documented for users in docs/hypercalls.md.
 *
 * Detection: CPUID.1:ECX[31] (hypervisor present) and the vendor leaf
 * 0x40000000 (EAX = highest vendor leaf, EBX:ECX:EDX = "NestVisor\0\0\0").
 * Leaf 0x40000001: EAX = version (major << 16 | minor << 8 | patch);
 * EBX = CPUs running under nestvisor, ECX = the APIC ID of the CPU that
 * executes the CPUID, EDX bit 0 = nestvisor's canary intact (as
 * NV_HC_CANARY reports it; other bits 0).  Readable at any CPL, so that a
 * user program can check every CPU (docs/hypercalls.md).
 *
 * Hypercalls: VMMCALL (0F 01 D9) at CPL 0.  At CPL > 0 only the nvctl
 * calls, and only when the configuration says nvctl = on; anything else
 * at CPL > 0 gets #UD.
 *   in:  RAX = call number, RBX, RCX, RDX = arguments
 *   out: RAX = status (0 = ok, negative = error), RBX, RCX, RDX = results;
 *        the nvctl calls also return data in RSI, RDI, R8..R13 (the
 *        "data registers", 8 x 8 bytes); every other register is preserved.
 * nestvisor never writes L1 memory for a hypercall.
 */
#ifndef NV_CORE_HYPERCALL_H
#define NV_CORE_HYPERCALL_H

#include <stdint.h>

#define NV_CPUID_VENDOR_LEAF   0x40000000u
#define NV_CPUID_VERSION_LEAF  0x40000001u
#define NV_CPUID_MAX_LEAF      NV_CPUID_VERSION_LEAF
#define NV_CPUID_SIG_EBX       0x7473654eu /* "Nest" */
#define NV_CPUID_SIG_ECX       0x6f736956u /* "Viso" */
#define NV_CPUID_SIG_EDX       0x00000072u /* "r\0\0\0" */

/* RBX = version, as in leaf 0x40000001. */
#define NV_HC_VERSION    0x0ul
/* RBX = status: log it, then end the run (QEMU isa-debug-exit: the process
 * exits with (status << 1) | 1; on hardware: halt).  Does not return. */
#define NV_HC_TEST_EXIT  0x1ul
/* RBX = base, RCX = size of the memory nestvisor reserved for itself. */
#define NV_HC_HV_RANGE   0x2ul
/* Out: RBX = address of a canary page inside hypervisor memory (every
 * 8-byte word of the 4 KiB page at RBX holds RCX), RCX = the value
 * nestvisor keeps there; RAX = 0 while every word still holds it,
 * NV_HC_CORRUPT if anything changed one.  For isolation tests. */
#define NV_HC_CANARY     0x3ul
/* Out: RBX = exits nestvisor has handled on this CPU, RCX = nested VMRUNs
 * it has emulated, RDX = #NPF of L2 its shadow NPT has handled.  For
 * benchmarks (deltas around a measured section). */
#define NV_HC_STATS      0x4ul
/* Out: RBX = CPUs running under nestvisor (vCPUs of L1), RCX = CPUs it
 * parked (not virtualized; L1 cannot start them), RDX = the calling CPU's
 * APIC ID.  docs/architecture.md, "Every CPU". */
#define NV_HC_CPUS       0x7ul

/* The boot log: nestvisor's UEFI side, which runs as L1 after the
 * take-over, appends its lines to the log ring.  CPL 0, and only until
 * NV_HC_BOOT_DONE (then NV_HC_EPERM).
 * NV_HC_BOOT_LOG: RBX = L1 physical address of the text, RCX = its length
 * (at most NV_BOOT_LOG_MAX, within one 4 KiB page). */
#define NV_HC_BOOT_LOG   0x5ul
#define NV_HC_BOOT_DONE  0x6ul
#define NV_BOOT_LOG_MAX  512u

/*
 * The nvctl calls: read-only views of nestvisor for L1's tools
 * (docs/hypercalls.md).  CPL 0 always; CPL 1..3 when nvctl = on.
 */
#define NV_HC_NVCTL_FIRST 0x10ul
/* RBX = version, RCX = NV_FEAT_* bits, RDX = virtualized CPUs, RSI = the
 * CPU's CPUID 0x8000000A EDX, RDI = CPUID 0x8000000A EDX as offered to
 * L1, R8 = log ring size (bytes), R9 = #NPF trace capacity (records). */
#define NV_HC_INFO       0x10ul
/* In: RBX = offset into the log (bytes since the ring started).  Out:
 * RBX = offset of the first byte returned (later than asked when those
 * bytes were overwritten), RCX = offset one past the newest byte, RDX =
 * bytes returned (0..64) in the data registers, in memory order. */
#define NV_HC_LOG_READ   0x11ul
/* In: RBX = CPU, RCX = 0 (exits of L1, vmcb01) or 1 (exits of L2,
 * vmcb02), RDX = first slot.  Out: RBX = NV_EXIT_SLOTS, the data registers
 * = the exit counts of slots RDX..RDX+7 (0 past the last slot). */
#define NV_HC_EXIT_COUNTS 0x12ul
/* In: RBX = CPU.  Out: RBX = exits handled, RCX = nested VMRUNs emulated,
 * RDX = exits of L2 reflected to L1, RSI = #NPFs of L2 reflected to L1,
 * RDI = #NPFs of L2 the shadow NPT handled, R8 = pages of hypervisor
 * memory L1 touched (mapped to the sink page; all CPUs), R9 = free pages
 * of hypervisor memory. */
#define NV_HC_CPU_STATS  0x13ul
/* In: RBX = CPU, RCX = first word.  Out: RBX = NV_SNPT_WORDS, the data
 * registers = the shadow-NPT words RCX..RCX+7 (NV_SNPT_W_*, 0 past the
 * last). */
#define NV_HC_SNPT_STATS 0x14ul
/* In: RBX = CPU, RCX = root slot.  Out: RBX = root slots, RCX =
 * NV_ROOT_F_* flags, RDX = L1's nCR3, RSI = the cpu_role L1's NPT is
 * walked with (mm/role.h, as_u64), RDI = the shadow's mmu_page_role,
 * R8 = host address of the shadow PML4, R9 = LRU clock of its last use. */
#define NV_HC_SNPT_ROOT  0x15ul
/* In: RBX = sequence number wanted.  Out: RAX = 0 and the oldest record
 * still held whose sequence number is >= RBX, or NV_HC_EMPTY when there
 * is none yet; RBX = its sequence number, RCX = the next sequence number
 * to be written, RDX = records dropped so far (overwritten before any
 * reader fetched them), RSI = L2 gpa (EXITINFO2), RDI = EXITINFO1 as
 * reflected to L1, R8 = EXITINFO1 of the CPU's #NPF to nestvisor, R9 =
 * cpu_role of the walk (as_u64), R10 = L2's RIP, R11 = NV_TRACE_* fields,
 * R12 = L1's nCR3. */
#define NV_HC_TRACE_READ 0x16ul
/* In: RBX = CPU, RCX = first slot.  Out: RBX = slots in use, RCX = counts
 * that found no slot, the data registers = (key, count) of slots
 * RCX..RCX+3 (0 past the last).  The keys are NV_XD_* (below): what L1's
 * MSR, #NPF and IOIO exits were. */
#define NV_HC_EXIT_DETAIL 0x17ul
#define NV_HC_NVCTL_LAST 0x17ul

/* NV_HC_INFO RCX. */
#define NV_FEAT_NESTED_SVM  (1u << 0) /* SVM offered to L1 */
#define NV_FEAT_SHADOW_NPT  (1u << 1) /* nested paging offered (shadow NPT) */
#define NV_FEAT_GMET        (1u << 2) /* GMET offered to L1 */
#define NV_FEAT_GMET_HW     (1u << 3) /* ... by the CPU (else emulated) */
#define NV_FEAT_NRIPS_HW    (1u << 4) /* the CPU has NRIPS (else decoded) */
#define NV_FEAT_GBPAGES     (1u << 5) /* 1 GiB pages used */
#define NV_FEAT_LOG_RING    (1u << 6) /* the log ring exists */
#define NV_FEAT_NVCTL_USER  (1u << 7) /* nvctl = on */

/* NV_HC_EXIT_COUNTS slots: exit codes 0..0xff are slots 0..0xff, codes
 * 0x400..0x40f slots 0x100..0x10f, the failed VMRUNs (VMEXIT_INVALID and
 * the other negative codes) slot 0x110, anything else slot 0x111. */
#define NV_EXIT_SLOTS        0x112u
#define NV_EXIT_SLOT_FAILED  0x110u
#define NV_EXIT_SLOT_OTHER   0x111u

static inline unsigned nv_exit_slot(uint64_t code)
{
	if (code < 0x100)
		return (unsigned)code;
	if (code - 0x400 < 0x10)
		return 0x100u + (unsigned)(code - 0x400);
	if ((code >> 63) || code == 0xffffffffull)
		return NV_EXIT_SLOT_FAILED;
	return NV_EXIT_SLOT_OTHER;
}

/* The exit code a slot below NV_EXIT_SLOT_FAILED counts. */
static inline uint64_t nv_exit_slot_code(unsigned slot)
{
	return slot < 0x100 ? slot : 0x400 + (uint64_t)(slot - 0x100);
}

/* NV_HC_EXIT_DETAIL keys: the class in bits 63:56, bit 55 set for an
 * exit of L2 that nestvisor handled itself (else an exit of L1), the
 * detail in bits 47:0. */
#define NV_XD_SLOTS          48u
#define NV_XD_CLASS(key)     ((unsigned)((key) >> 56))
#define NV_XD_L2             (1ull << 55)
#define NV_XD_DETAIL(key)    ((key) & 0xffffffffffffull)
#define NV_XD_MSR_READ       1u   /* detail: the MSR (ECX) */
#define NV_XD_MSR_WRITE      2u   /* detail: the MSR (ECX) */
#define NV_XD_NPF            3u   /* detail: NV_XD_PAGE_* << 16 | offset */
#define NV_XD_IO_IN          4u   /* detail: the port */
#define NV_XD_IO_OUT         5u   /* detail: the port */
#define NV_XD_KEY(class, detail) ((uint64_t)(class) << 56 | (detail))
/* What the page of an #NPF of L1 is (svm/npf.c); the offset in the page
 * is kept for the xAPIC page (the register) and 0 for the others. */
enum nv_xd_page {
	NV_XD_PAGE_APIC_WRITE = 1, /* a write to L1's xAPIC page */
	NV_XD_PAGE_IOAPIC,         /* the I/O APIC's page */
	NV_XD_PAGE_MSI,            /* a write to the MSI window */
	NV_XD_PAGE_CHIPSET,        /* a write to a chipset MMIO page */
	NV_XD_PAGE_L1_NPT,         /* a write to L1's NPT or nested maps */
	NV_XD_PAGE_FLUSHED,        /* allowed now: a stale TLB entry */
	NV_XD_PAGE_OTHER,          /* beyond the width, hidden, unexplained */
};

/* NV_HC_SNPT_STATS words. */
enum nv_snpt_word {
	NV_SNPT_W_FAULTS,        /* #NPFs of L2 the shadow NPT handled */
	NV_SNPT_W_INSTALLS,      /* shadow entries installed */
	NV_SNPT_W_REFLECTS,      /* #NPFs reflected to L1 */
	NV_SNPT_W_NO_L1_MEMORY,  /* L1's NPT pointed where L1 has no memory */
	NV_SNPT_W_SWITCHES,      /* GMET emulation: execution-class switches */
	NV_SNPT_W_L1_WRITES,     /* L1 wrote a write-protected NPT page */
	NV_SNPT_W_INVLPGA,       /* INVLPGA of L1 */
	NV_SNPT_W_FLUSHES,       /* full flushes (TLB_CONTROL) */
	NV_SNPT_W_RESETS,        /* reclaims: every root emptied */
	NV_SNPT_W_EVICTIONS,     /* reclaims: a root evicted (LRU) */
	NV_SNPT_W_PROTECTS,      /* L1 pages write-protected */
	NV_SNPT_W_UNPROTECTS,    /* ... and released */
	NV_SNPT_W_PROTECT_FAILS, /* pages that could not be protected */
	NV_SNPT_W_PAGES,         /* shadow table pages in use now */
	NV_SNPT_W_USES,          /* (L1 page, root, region) records now */
	NV_SNPT_W_ROOTS,         /* valid roots now */
	NV_SNPT_W_UNSYNCS,       /* L1 pages made unsync by a write */
	NV_SNPT_W_UNSYNC_NOW,    /* ... unsync now */
	NV_SNPT_W_PREFETCHED,    /* entries installed at L1's VMRUN */
	NV_SNPT_WORDS
};

/* NV_HC_SNPT_ROOT RCX. */
#define NV_ROOT_F_VALID    (1u << 0)
#define NV_ROOT_F_CURRENT  (1u << 1) /* the root L2 runs (or last ran) on */
#define NV_ROOT_F_EXEC_USER (1u << 2) /* GMET emulation: the CPL-3 class */

/* NV_HC_TRACE_READ R11. */
#define NV_TRACE_CPU(f)        ((unsigned)((f) & 0xff))
#define NV_TRACE_EXEC_USER(f)  ((unsigned)(((f) >> 8) & 1))  /* GMET class */
#define NV_TRACE_CPL(f)        ((unsigned)(((f) >> 16) & 3))
#define NV_TRACE_LEVEL(f)      ((unsigned)(((f) >> 24) & 0xff)) /* 0: permission */
#define NV_TRACE_RIGHTS(f)     ((unsigned)(((f) >> 32) & 0xf))  /* ACC_* so far */
#define NV_TRACE_MAXPHY(f)     ((unsigned)(((f) >> 40) & 0xff)) /* L1's */
#define NV_TRACE_GMET_HW(f)    ((unsigned)(((f) >> 48) & 1))

#define NV_HC_OK         0l
#define NV_HC_ENOSYS     (-1l)
#define NV_HC_EINVAL     (-2l)
#define NV_HC_CORRUPT    (-3l)
#define NV_HC_EPERM      (-4l)
#define NV_HC_EMPTY      (-5l)

/* A hypercall with every register of the ABI: in rax (call), rbx, rcx,
 * rdx; out all twelve (data registers: rsi..r13). */
struct nv_hc_regs {
	uint64_t rax, rbx, rcx, rdx, rsi, rdi, r8, r9, r10, r11, r12, r13;
};

static inline void nv_vmmcall(struct nv_hc_regs *r)
{
	register uint64_t r8 __asm__("r8"), r9 __asm__("r9"),
		r10 __asm__("r10"), r11 __asm__("r11"), r12 __asm__("r12"),
		r13 __asm__("r13");

	__asm__ volatile("vmmcall"
			 : "+a"(r->rax), "+b"(r->rbx), "+c"(r->rcx),
			   "+d"(r->rdx), "=S"(r->rsi), "=D"(r->rdi), "=r"(r8),
			   "=r"(r9), "=r"(r10), "=r"(r11), "=r"(r12), "=r"(r13)
			 :
			 : "memory");
	r->r8 = r8;
	r->r9 = r9;
	r->r10 = r10;
	r->r11 = r11;
	r->r12 = r12;
	r->r13 = r13;
}

/* The data registers as 8 words, in order. */
static inline void nv_hc_data(const struct nv_hc_regs *r, uint64_t w[8])
{
	w[0] = r->rsi;
	w[1] = r->rdi;
	w[2] = r->r8;
	w[3] = r->r9;
	w[4] = r->r10;
	w[5] = r->r11;
	w[6] = r->r12;
	w[7] = r->r13;
}

/* I/O ports nestvisor owns (intercepted; all others pass through). */
#define NV_PORT_DEBUG_EXIT     0xf4u /* QEMU isa-debug-exit, 4 ports */
#define NV_PORT_DEBUG_EXIT_LEN 4u

#endif
