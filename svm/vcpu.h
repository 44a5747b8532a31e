/* SPDX-License-Identifier: MIT */
/*
 * The vCPU: nestvisor's state for one virtualized CPU, one per CPU
 * (docs/architecture.md, "Every CPU"; svm/smp.h).  Fields used from
 * assembly are exported through svm/asm-offsets.c.
 */
#ifndef NV_SVM_VCPU_H
#define NV_SVM_VCPU_H

#include <stdbool.h>
#include <stdint.h>

#include "core/hypercall.h"
#include "mm/walk.h"
#include "svm/apic.h"
#include "svm/exit_detail.h"
#include "svm/features.h"
#include "svm/init_sipi.h"
#include "svm/insn.h"
#include "svm/nested.h"
#include "svm/vmcb.h"

/* Guest GPRs that VMRUN does not save in the VMCB (RAX and RSP are there). */
struct guest_regs {
	uint64_t rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* One entry of the exit ring: the last EXIT_RING_SIZE exits. */
struct exit_record {
	uint64_t code, info1, info2, rip;
};
#define EXIT_RING_SIZE 32

/* Register state of the firmware at the moment of take-over, filled by
 * hv_launch (svm/launch.S): the guest resumes here as L1. */
struct launch_frame {
	uint64_t rbx, rbp, r12, r13, r14, r15;
	uint64_t rsp, rip, rflags;
};

/* A decoded intercepted instruction and the walk that found it
 * (svm/nrip.c explains why reusing it is exact): up to 5 paging levels
 * (CR4.LA57), and an instruction within one 8-byte window of its page. */
#define DECODE_LEVELS 5
/* 8 bytes of code at any address: x86 loads them unaligned (one MOV). */
typedef uint64_t unaligned_u64 __attribute__((aligned(1)));

struct decode_entry {
	uint64_t la;                          /* ~0: empty */
	uint64_t cr3, cr0, cr4, efer;
	const volatile uint64_t *pte_ptr[DECODE_LEVELS];
	uint64_t pte[DECODE_LEVELS];
	const volatile unaligned_u64 *code_window; /* 8 bytes that cover the code */
	uint64_t code_word, code_mask;        /* their expected value, mask */
	uint64_t len;
};

/* L1's translations nested_fuse_after_vmsave() (svm/nested_fuse.c)
 * relies on, checked as the decode cache's entries are (entry_valid()):
 * the code after two VMSAVEs (match: it is POP rAX; VMLOAD rAX), and the
 * page of one stack slot (page: its host address).  All zero is empty:
 * the keys are never 0 (svm/nested_fuse.c). */
struct fuse_cache {
	struct decode_entry code[2];
	uint64_t at[2];                      /* the code's address + 1, 0: none */
	const volatile uint8_t *code_page[2];
	bool match[2];
	uint64_t victim;
	struct decode_entry stack;
	const volatile uint8_t *page;
};

/* One instruction of a run nestvisor executes after L1's VMLOAD
 * (svm/nested_runahead.c): a load, a short JMP or the VMRUN. */
struct runahead_insn {
	uint8_t kind, reg, base;
	uint16_t off;              /* its offset in the page */
	int32_t disp;              /* a load's displacement; a JMP's target */
};
#define RUNAHEAD_MAX 24            /* instructions in a run */
#define RUNAHEAD_SPAN 256          /* bytes a kept run may span */

/* L1's translations nested_runahead_after_vmload() relies on, checked as
 * the decode cache's entries are (the page of the code after the VMLOAD,
 * two pages the loads read), and the run last decoded there with the
 * bytes it was decoded from (compared whole before each use). */
struct runahead_cache {
	struct decode_entry code;
	const volatile uint8_t *code_page;
	struct decode_entry data[2];
	const volatile uint8_t *data_page[2];
	uint64_t victim;
	uint64_t at;               /* the run's linear address + 1; 0: none */
	uint16_t lo, nq;           /* the bytes: nq words from offset lo */
	uint8_t n;                 /* its instructions (the last the VMRUN) */
	uint64_t bytes[RUNAHEAD_SPAN / 8 + 1];
	struct runahead_insn run[RUNAHEAD_MAX];
};

/* The decode cache of one guest level: per instruction kind, two entries
 * (a loop has two VMLOADs), the next one to replace in victim. */
#define DECODE_OPS INSN_NR_OPS
#define DECODE_WAYS 2
struct decode_set {
	struct decode_entry way[DECODE_WAYS];
	uint64_t victim;
};

struct cpu {
	struct guest_regs gregs;   /* first: used by svm/vmrun.S */
	/* The VMCB the loop runs: vmcb01 (L1) or vmcb02 (L2), and how the
	 * guest's physical memory is reached (L1's, or L2's through L1's
	 * NPT). */
	uint64_t cur_pa;
	uint8_t cur_host_if;       /* 1: VMRUN with RFLAGS.IF set (see vmrun.S) */
	/* The exit handler svm/vmrun.S calls, chosen at start-up from the
	 * log level (svm/exit.c). */
	void (*exit_fn)(struct cpu *cpu);
	struct vmcb *cur;
	const struct gmem *cur_phys;
	uint64_t vmcb01_pa;
	uint64_t host_vmcb_pa;
	uint64_t host_rsp;         /* top of the host stack */
	uint64_t ist_top;          /* top of the NMI/#DF/#MC stack */
	volatile uint64_t *nmi_count; /* at ist_top: NMIs taken (core/idt.S) */
	struct vmcb *vmcb01;
	struct vmcb *host_vmcb;    /* host TR/FS/GS/... for VMLOAD after exit */
	uint64_t hsave_pa;
	uint8_t *msrpm;
	uint8_t *iopm;
	struct svm_caps caps;

	/* Per guest level (0: L1, 1: L2, see cur_level()): its paging ready
	 * to walk (svm/nrip.c), valid for code_walk[].role, and its decode
	 * cache. */
	struct pagewalk code_walk[2];
	struct decode_set decode_cache[2][DECODE_OPS];
	struct decode_set *decode_cur; /* decode_cache[cur_level()] */
	bool decode_filled[2];     /* an entry was filled since the last clear */
	struct fuse_cache fuse;    /* svm/nested_fuse.c */
	struct runahead_cache runahead; /* svm/nested_runahead.c */
	uint64_t nr_fused;         /* L1's VMLOADs emulated in its VMSAVE's exit */
	uint64_t nr_runahead;      /* L1's VMRUNs emulated in its VMLOAD's exit */

	struct nested nested;      /* L1's SVM and the L2 it runs */

	/* The EVENTINJ nestvisor wrote into vmcb01 [0] and vmcb02 [1] for
	 * their next run (svm/inject.c), and the one vmcb02 was entered with
	 * (svm/nested_exit.c moves it at each of its exits). */
	union svm_event injected[2];
	union svm_event entered_with;

	/* The exit ring: exit n is in ring[n % EXIT_RING_SIZE].  nr_exits,
	 * #VMEXITs taken, is read by other CPUs too (svm/smp.c, atomic). */
	struct exit_record ring[EXIT_RING_SIZE];
	uint64_t nr_exits;
	uint64_t nr_smis;          /* SMIs taken in host mode (svm/smi.c) */
	/* The last #NPF that nestvisor's NPT should not have given, retried
	 * once after a flush (svm/npf.c). */
	uint64_t npf_retry_gpa, npf_retry_rip;
	/* nr_exits at the last VMEXIT_INVALID of vmcb01 answered with #GP
	 * (svm/exit.c). */
	uint64_t invalid_exit;
	/* Exits by NV_HC_EXIT_COUNTS slot, of L1 ([0]) and L2 ([1]). */
	uint64_t exit_counts[NV_EXIT_SLOTS][2];
	uint64_t npf_reflected;    /* #NPFs of L2 reflected to L1 */
	struct exit_detail exit_detail; /* MSR, #NPF, IOIO exits by key */

	/* Which CPU this is, and the requests other CPUs make of it
	 * (svm/smp.c).  The atomics are read and written by other CPUs. */
	unsigned idx;              /* smp.slot[idx] */
	uint32_t apic_id;
	/* atomic, from before VMRUN to #VMEXIT: IN_GUEST_L1NPT, or
	 * IN_GUEST_SHADOW for L2 on a shadow NPT (svm/smp.c); else 0 */
	uint32_t in_guest;
	uint32_t kicked;           /* atomic: an NMI was sent as a kick */
	uint32_t entry_req;        /* atomic: a request below was posted */
	uint32_t flush_req;        /* atomic: flush the TLB at the next VMRUN */
	bool nmi_pending;          /* an NMI for the guest, not yet injected */
	bool smi_held;             /* a write to SMI_CMD waits for the GIF */
	uint8_t smi_val;           /* its byte (svm/smi_cmd.c) */
	uint32_t nmi_ipis;         /* atomic: NMI IPIs L1 sent to this CPU */
	uint32_t nmi_ipis_done;    /* those turned into nmi_pending */
	/* Shadow-NPT pages this vCPU freed, waiting for a TLB flush
	 * (mm/snpt_smp.h nr_deferred, svm/nested_npt.c). */
	const unsigned *shadow_deferred;
	struct vapic vapic;        /* L1's local APIC as nestvisor tracks it */
	struct sipi_mailbox sipi;  /* INIT and SIPI sent to this CPU */
	uint32_t pci_config_address; /* L1's CONFIG_ADDRESS (svm/ioio.c) */
};

/* 0 while L1 runs, 1 while L2 runs. */
static inline unsigned cur_level(const struct cpu *cpu)
{
	return cpu->cur != cpu->vmcb01;
}

_Static_assert(__builtin_offsetof(struct cpu, gregs) == 0,
	       "svm/vmrun.S addresses gregs through the cpu pointer");

/* Counts an exit nestvisor handles by its NV_XD_* class and detail
 * (svm/exit_detail.h), as one of L2 when L2 ran. */
static inline void count_exit_detail(struct cpu *cpu, unsigned class, uint64_t detail)
{
	exit_detail_count(&cpu->exit_detail, NV_XD_KEY(class, detail) |
			  (cpu->nested.guest_mode ? NV_XD_L2 : 0));
}

#endif
