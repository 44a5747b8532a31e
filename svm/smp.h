/* SPDX-License-Identifier: MIT */
/*
 * Every CPU under nestvisor (docs/architecture.md, "Every CPU").
 *
 * One slot per CPU the firmware reported, indexed in the firmware's order
 * (slot 0 is not necessarily the boot CPU).  hv_prepare() (svm/launch.c)
 * fills the slots and allocates each CPU's state before any CPU changes;
 * then each CPU runs hv_launch() itself and either becomes a vCPU of L1
 * (CPU_RUNNING) or is parked (CPU_PARKED: cli; hlt in hypervisor memory,
 * never started again by L1, whose INIT and SIPI to it are dropped).
 *
 * Cross-CPU requests (svm/smp.c).  A CPU asks another for something by
 * setting a flag in its struct cpu and, if the other may be in guest mode,
 * "kicking" it with an NMI, which vmcb01 and vmcb02 intercept, and
 * posting it (smp_post(): one flag that says "look").  The flags:
 * a TLB flush of L1's translations before its next VMRUN (after L1's NPT
 * lost a right), the INIT/SIPI mailbox (svm/init_sipi.c), L1's NMI IPIs
 * (svm/apic.c) and stale permission-map views (svm/nested_maps.c).
 */
#ifndef NV_SVM_SMP_H
#define NV_SVM_SMP_H

#include <stdbool.h>
#include <stdint.h>

#include "core/host_env.h"

#define NV_MAX_CPUS 64

struct cpu;

enum cpu_status {
	CPU_ABSENT = 0,   /* no CPU in this slot */
	CPU_PREPARED,     /* state ready, hv_launch() not yet run on it */
	CPU_RUNNING,      /* virtualized: a vCPU of L1 */
	CPU_PARKED,       /* not virtualized: halted in hypervisor memory */
};

/* What a parked CPU needs to halt safely in hypervisor memory: its own
 * GDT, TSS, IDT and a stack for the NMIs it may still receive. */
struct park_area {
	struct host_desc desc;
	uint8_t stack[2048] __attribute__((aligned(16)));
};

struct cpu_slot {
	uint32_t apic_id;
	bool bsp;
	enum cpu_status status;   /* written by the CPU itself at launch */
	const char *why;          /* parked: why (a sentence) */
	struct cpu *cpu;          /* its vCPU state, if it may be virtualized */
	struct park_area *park;
};

struct smp {
	unsigned nr;              /* slots in use */
	unsigned nr_running;      /* CPU_RUNNING slots (atomic) */
	unsigned nr_parked;       /* CPU_PARKED slots (atomic) */
	uint64_t rekicks;         /* kicks sent again after a stall (atomic) */
	uint64_t gave_up;         /* waits for a CPU given up (atomic) */
	uint64_t leaked;          /* pages the quarantine had no room for (atomic) */
	struct cpu_slot slot[NV_MAX_CPUS];
};

/* struct cpu's in_guest: the VMCB running translates through L1's NPT
 * (vmcb01, or vmcb02 without nested paging), or through a shadow NPT. */
#define IN_GUEST_L1NPT 1
#define IN_GUEST_SHADOW 2

/* How long a shootdown waits for a kicked CPU to leave guest mode before
 * it kicks again (svm/smp.c): about a second at a few GHz. */
#define SMP_REKICK_CYCLES (1ull << 32)
/* Kicks a shootdown sends a CPU that stays in guest mode without an exit
 * (the first, then one every SMP_REKICK_CYCLES) before it stops waiting
 * for it, SMP_REKICK_CYCLES after the last: the CPU keeps its NMIs
 * blocked (docs/security.md, "A kick that never arrives").  A CPU given up
 * on that has not exited since is not waited for again. */
#define SMP_GIVE_UP_KICKS 3u

extern struct smp smp;

/* This CPU's APIC ID (CPUID: x2APIC ID from leaf 0xB where the CPU has
 * it, else the initial APIC ID of leaf 1). */
uint32_t smp_this_apic_id(void);

/* The slot of a CPU by APIC ID, or NULL. */
struct cpu_slot *smp_slot_of(uint32_t apic_id);

/* The vCPU running on this CPU, or NULL (not virtualized, or before its
 * take-over). */
struct cpu *smp_this_cpu(void);

/* The vCPU of slot idx if it is virtualized (CPU_RUNNING), else NULL. */
struct cpu *smp_cpu(unsigned idx);

/* Halts this CPU for good in hypervisor memory: its own descriptor tables
 * and stack, nestvisor's page table, interrupts off.  Logs why first. */
__attribute__((noreturn)) void smp_park(struct cpu_slot *s, const char *why);

/*
 * Flush L1's translations from every CPU's TLB: after L1's NPT lost a
 * right (a page write-protected or unmapped).  Returns when no CPU can
 * still use the old entry, except the CPUs it returns (bit i: slot i):
 * CPUs in guest mode are kicked and have exited, or were given up on
 * (SMP_GIVE_UP_KICKS) and may keep using it until their next exit; the
 * others flush before their next VMRUN.  self flushes at its next VMRUN
 * too.  Must not be called with a lock another CPU's exit handler may
 * wait for... except that an exit that waits for it has already counted
 * as the exit this function waits for.
 */
uint64_t smp_flush_l1_tlbs(struct cpu *self);

/*
 * The same after L1's NPT lost only write rights on pages that stay
 * mapped (a page write-protected): a CPU running L2 on a shadow NPT is
 * not waited for (its TLB entries in use do not come from L1's NPT, and
 * it flushes before its next VMRUN).
 */
uint64_t smp_flush_l1_writes(struct cpu *self);

/* Frees pa, a page that CPUs may have cached translations through until
 * the shootdown that returned stuck: at once if stuck is 0, else once each
 * CPU of stuck has exited since (mm/quarantine.c); leaked (smp.leaked,
 * logged) if the quarantine is full. */
void smp_free_after(uint64_t pa, uint64_t stuck);

/* Is a CPU a shootdown gave up on still in guest mode without an exit
 * since (mm/quarantine.c quarantine_any_stuck)? */
bool smp_stuck_any(void);

/* Sends an NMI that means "look at your requests" to a vCPU. */
void smp_kick(struct cpu *target);

/* After posting a request in target (its data first): target acts on its
 * requests before its next VMRUN (svm/smp.c, "Kicks"). */
void smp_post(struct cpu *target);

/* svm/vmrun.S, before every VMRUN (GIF clear): act on requests (INIT and
 * SIPI, TLB flushes), then mark the CPU as in guest mode.  Returns cpu.
 * (The CPU marks itself as in host mode first thing after every #VMEXIT,
 * svm/exit.c.) */
struct cpu *svm_prepare_entry(struct cpu *cpu);

/* #VMEXIT(NMI): a kick, or a real NMI for the guest (svm/nmi.c).
 * smp_nmi_taken(): this CPU took an NMI in host mode (svm/smi.c's window
 * too): the same decision. */
void smp_handle_nmi(struct cpu *cpu);
void smp_nmi_taken(struct cpu *cpu);

#endif
