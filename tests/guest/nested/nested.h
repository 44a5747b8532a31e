/* SPDX-License-Identifier: MIT */
/*
 * nested: an in-guest test payload that is itself a small L1 hypervisor.
 * It enables SVM, builds vmcb12 and its own nested page tables (NPT), runs
 * tiny L2 snippets and checks each #VMEXIT against the hardware behaviour
 * in docs/semantics.md (including the hardware column of its QEMU tables,
 * §10).  Cases follow kvm-unit-tests' prepare / guest /
 * check shape: a case prepares vmcb12 (and the NPT), runs one L2 snippet
 * from l2_code.S with l2_run(), and checks the exit.
 *
 * Memory (all allocated from UEFI before the tests, identity-mapped):
 *  - L1 runs on its own 4 GiB identity map (2 MiB pages, U=0, no NX bits),
 *    so that L1's EFER.NXE and CR4.SMEP may be changed by the cases.
 *  - "Region 1" is the guest-physical range from R1 = 512 GiB (its own NPT
 *    PML4 entry): the NPT cases fault only there.  See npt.h for its map.
 */
#ifndef NV_GUEST_NESTED_H
#define NV_GUEST_NESTED_H

#include <stdbool.h>
#include <stdint.h>
#include "svm/vmcb.h"
#include "tests/guest/lib/tap.h"

#define PAGE_SIZE 4096ull

/* The payload's own reading of the APM for the VMCB fields it composes
 * bit by bit (nestvisor itself uses the typed views of svm/vmcb.h). */
/* EVENTINJ / EXITINTINFO, APM Vol. 2 §15.20. */
#define EVTINJ_VEC_MASK   0xffu
#define EVTINJ_TYPE_SHIFT 8
#define EVTINJ_TYPE_INTR  (0u << 8)
#define EVTINJ_TYPE_EXC   (3u << 8)
#define EVTINJ_EV         (1u << 11)
#define EVTINJ_VALID      (1u << 31)
/* IOIO EXITINFO1, APM Vol. 2 §15.10.2. */
#define IOIO_TYPE_IN      (1u << 0)
#define IOIO_STR          (1u << 2)
#define IOIO_REP          (1u << 3)
#define IOIO_SZ8          (1u << 4)
#define IOIO_SZ16         (1u << 5)
#define IOIO_SZ32         (1u << 6)
#define IOIO_PORT_SHIFT   16
/* VMCB segment attributes, APM Vol. 2 §15.5.1. */
#define SEG_ATTR_S        (1u << 4)
#define SEG_ATTR_P        (1u << 7)
#define SEG_ATTR_L        (1u << 9)
#define SEG_ATTR_DB       (1u << 10)
#define SEG_ATTR_G        (1u << 11)

/* Guest GPRs other than RAX and RSP (those live in the VMCB). */
struct l2_gprs {
	uint64_t rbx, rcx, rdx, rsi, rdi, rbp;
	uint64_t r8, r9, r10, r11, r12, r13, r14, r15;
};

/* What the cases need to know about the machine and the payload's memory. */
struct nested_env {
	unsigned maxphyaddr;      /* CPUID 8000_0008 EAX[7:0] */
	int nrips;                /* CPUID 8000_000A EDX[3] */
	int gmet;                 /* CPUID 8000_000A EDX[17] */
	int smep;                 /* CPUID 7.0 EBX[7] */
	int gbpages;              /* CPUID 8000_0001 EDX[26] */
	uint32_t nasid;           /* CPUID 8000_000A EBX */
	uint64_t l1_cr3;          /* the payload's own identity map */
	uint64_t l1_cr0, l1_cr4, l1_efer; /* L1's current state */
	int fw_nxe, fw_smep;      /* EFER.NXE, CR4.SMEP as the firmware left them */
	uint16_t cs_sel, ds_sel;
	uint64_t gdt_base, idt_base_l2;
	uint16_t gdt_limit;
	uint64_t l2_stack_top;
	uint64_t hsave_pa, iopm_pa, msrpm_pa;
	struct vmcb *vmcb;        /* vmcb12 used by every case */
	struct vmcb *vmcb_aux;    /* VMLOAD/VMSAVE target */
	/* Interrupt counters of L1's IDT (nested_env.c), NMIs (2)
	 * included, and the vectors in the order L1 took them. */
	volatile uint32_t irq_count[256];
#define IRQ_LOG_SIZE 64
	volatile uint8_t irq_log[IRQ_LOG_SIZE];
	volatile uint32_t irq_log_n;
	/* While irq_probe is set, what it pointed to when each logged
	 * event was taken. */
	volatile const uint64_t *volatile irq_probe;
	volatile uint64_t irq_probe_log[IRQ_LOG_SIZE];
	/* Single-step traps (#DB) L1 took while step_log_on: the RIP pushed
	 * and DR6 (then reset to its initial 0xffff0ff0). */
#define STEP_LOG_SIZE 32
	volatile int step_log_on;
	volatile uint32_t step_n;
	volatile uint64_t step_rip[STEP_LOG_SIZE], step_dr6[STEP_LOG_SIZE];
};
extern struct nested_env env;

/* L1 vectors. */
#define VEC_TIMEOUT 0x30u /* LAPIC one-shot timer bounding every L2 run */
#define VEC_IPI     0x31u /* self-IPI of the INTR and GIF cases */
#define VEC_TICK    0x32u /* periodic LAPIC timer (cases_gif.c) */

/* ---- nested_env.c: L1 setup and teardown ----------------------------- */
int env_alloc(void);                 /* before cli: UEFI allocations */
void env_enter(void);                /* cli, own CR3/IDT/APIC state, SVME */
void env_leave(void);                /* restore the firmware's state */
void *env_page(void);                /* one zeroed page from the pool */
/* nestvisor's NV_HC_CPU_STATS word in R10 (r11 false: VMLOADs emulated in
 * a VMSAVE's exit) or R11 (VMRUNs emulated in a VMLOAD's exit), summed
 * over its CPUs; ~0 when not under nestvisor (nested_env.c). */
uint64_t nv_cpu_stat_sum(int r11);
void env_set_l1_paging(int nxe, int smep); /* L1 EFER.NXE and CR4.SMEP */

/* LAPIC (xAPIC or x2APIC, whatever the firmware left). */
void apic_timer_oneshot(uint8_t vector, uint32_t count);
void apic_timer_periodic(uint8_t vector, uint32_t count);
void apic_timer_stop(void);
void apic_self_ipi(uint8_t vector);
void apic_eoi(void);
/* The registers with which l2_clgi_ipi_stgi (l2_code.S) sends a self-IPI
 * of vector: RDI, RSI or RCX/RDX in g, and RAX. */
void apic_self_ipi_regs(uint8_t vector, struct l2_gprs *g, uint64_t *rax);
/* An NMI to this CPU (fixed destination, its own APIC ID). */
void apic_self_nmi(void);
/* IRET to the next instruction: ends NMI blocking (an NMI handled by
 * L2's IDT without IRET leaves it set). */
void l1_iret_self(void);
/* Let L1 take pending interrupts (STGI; STI; a few NOPs; CLI). */
void l1_drain_interrupts(void);

/* Exception catcher of L1's IDT: run `fn` with one armed instruction. */
struct l1_trap {
	int vector;       /* -1: none */
	uint64_t error_code;
};
/* Arms the catcher at rip (instruction length len): an exception raised
 * there is recorded and execution resumes at rip + len. */
void l1_arm(uint64_t rip, uint64_t len);
struct l1_trap l1_disarm(void);

/* ---- svm_run.c: vmcb12 set-up and running L2 ------------------------- */
/* A valid vmcb12: L2 runs at CPL 0 in 64-bit mode with L1's CR0/CR4/EFER,
 * CR3 = L1's identity map, RIP = rip, RSP = the L2 stack, IF=0; NP off;
 * intercepts: VMRUN, VMMCALL, HLT, SHUTDOWN, INTR, all exceptions. */
void vmcb_default(struct vmcb *v, const void *rip);
/* Enable NP with the test NPT and L2's region-1 page tables as CR3. */
void vmcb_use_npt(struct vmcb *v);
/* Run L2 once (CLGI; STI; VMRUN; CLI; STGI), bounded by a ~1 s LAPIC
 * timer (INTR is intercepted).  Returns exit_code; g is in/out. */
uint64_t l2_run(struct vmcb *v, struct l2_gprs *g);
/* Resume L2 at rip (after L1 emulated the intercepted instruction). */
uint64_t l2_resume(struct vmcb *v, struct l2_gprs *g, uint64_t rip);
/* Print a diagnostic with the exit fields. */
void diag_exit(const struct vmcb *v);
/* Exit code check that accepts the 32-bit -1 for VMEXIT_INVALID. */
int expect_exit(const struct vmcb *v, uint64_t want);

/* vmrun.S */
void nested_vmrun(uint64_t vmcb_pa, struct l2_gprs *g);

/* SVM instructions in L1. */
static inline void clgi(void) { __asm__ volatile("clgi" ::: "memory"); }
static inline void stgi(void) { __asm__ volatile("stgi" ::: "memory"); }
static inline void vmload(uint64_t pa) { __asm__ volatile("vmload %%rax" ::"a"(pa) : "memory"); }
static inline void vmsave(uint64_t pa) { __asm__ volatile("vmsave %%rax" ::"a"(pa) : "memory"); }
/* The end of Linux KVM's world switch (arch/x86/kvm/svm/vmenter.S): VMSAVE
 * of the guest's state, then POP of the host save area's address into rAX
 * and VMLOAD of it, byte for byte (0F 01 DB, 58, 0F 01 DA). */
static inline void vmsave_pop_vmload(uint64_t save_pa, uint64_t load_pa)
{
	__asm__ volatile("pushq %1\n\tvmsave %%rax\n\tpopq %%rax\n\tvmload %%rax"
			 : "+a"(save_pa) : "r"(load_pa) : "memory");
}

/* ---- case lists ------------------------------------------------------- */
struct case_list {
	const struct tap_case *cases;
	unsigned count;
};
struct case_list exit_cases(void);     /* cases_exits.c */
struct case_list inject_cases(void);   /* cases_inject.c */
struct case_list invalid_cases(void);  /* cases_invalid.c */
struct case_list svm_insn_cases(void); /* cases_svm_insn.c */
struct case_list nonp_cases(void);     /* cases_nonp.c */
struct case_list npt_cases(void);      /* cases_npt.c */
struct case_list npt_misc_cases(void); /* cases_npt_misc.c */
struct case_list idfetch_cases(void);  /* cases_idfetch.c */
struct case_list gmet_cases(void);     /* cases_gmet.c */
struct case_list hostile_cases(void);  /* cases_hostile.c: under nestvisor only */
struct case_list event_cases(void);    /* cases_events.c */
struct case_list l2svm_cases(void);    /* cases_l2svm.c */
struct case_list gif_cases(void);      /* cases_gif.c */
struct case_list step_cases(void);     /* cases_step.c */
struct case_list fuse_cases(void);     /* cases_fuse.c */
struct case_list runahead_cases(void); /* cases_runahead.c */
struct case_list maps_cases(void);     /* cases_maps.c */
struct case_list tlb_cases(void);      /* cases_tlb.c */
struct case_list unsync_cases(void);   /* cases_unsync.c */
/* cases_unsync.c: the finding cases whose name after "finding." has_option
 * names (load option words); run alone (main.c). */
struct case_list unsync_finding_cases(bool (*has_option)(const char *));
struct case_list vmrun_cases(void);    /* cases_vmrun.c */
struct case_list modes_cases(void);    /* cases_modes.c */
struct case_list decode_cases(void);   /* cases_decode.c */
struct case_list rdtscp_cases(void);   /* cases_tsc.c */
struct case_list tsc_cases(void);      /* cases_tsc.c */
struct case_list tsc_adjust_cases(void); /* cases_tsc.c */
struct case_list pause_cases(void);    /* cases_pause.c */
struct case_list pause_threshold_cases(void); /* cases_pause.c */
struct case_list clean_cases(void);    /* cases_clean.c */
struct case_list vnmi_cases(void);     /* cases_vnmi.c */
struct case_list smi_cases(void);      /* cases_smm.c: with SMM firmware only */

#endif
