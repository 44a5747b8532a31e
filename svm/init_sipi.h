/* SPDX-License-Identifier: MIT */
/*
 * INIT and SIPI under nestvisor: the mailbox every vCPU has, and the
 * target's side (svm/init_sipi.c has the algorithm and the event
 * sequences).  Senders are L1's writes to its local APIC's ICR
 * (svm/apic.c), caught before they reach the hardware.
 */
#ifndef NV_SVM_INIT_SIPI_H
#define NV_SVM_INIT_SIPI_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* SIPI word: bit 63 valid, bits 39:8 the init_seq the SIPI follows,
 * bits 7:0 the vector. */
#define SIPI_VALID (1ull << 63)

enum vcpu_run_state {
	VCPU_RUNS = 0,      /* L1 runs on this CPU */
	VCPU_WAITS_SIPI,    /* in the INIT state, waiting in host mode */
};

struct sipi_mailbox {
	/* Written by any CPU under the IPI lock, read by the owner. */
	uint32_t init_seq;        /* INITs sent to this CPU so far */
	uint64_t sipi;            /* the last SIPI sent to it */
	/* The owner's own. */
	uint32_t init_done;       /* the init_seq it has acted on */
	enum vcpu_run_state state;
	uint64_t nr_init, nr_sipi; /* acted on */
};

/* Sender side (any CPU): INIT or SIPI(vector) to target. */
void sipi_send_init(struct cpu *target);
void sipi_send_sipi(struct cpu *target, uint8_t vector);

/* #SX exit: an INIT reached this CPU itself (VM_CR.R_INIT). */
void sipi_init_arrived(struct cpu *cpu);

/* Target side, in host mode with GIF clear before VMRUN: applies an INIT
 * sent since the last call (APM Vol. 2 §14.1.3 state in vmcb01, L2 left)
 * and, if the CPU is waiting for a SIPI, waits for it here.  Returns with
 * vmcb01 runnable. */
void sipi_poll(struct cpu *cpu);

/* Is an INIT waiting to be applied? (cheap: one load) */
static inline bool sipi_init_pending(const struct sipi_mailbox *m)
{
	return __atomic_load_n(&m->init_seq, __ATOMIC_ACQUIRE) != m->init_done;
}

/* vmcb01 and the vCPU in the processor-initialization state that INIT
 * gives (APM Vol. 2 §14.1.3), start_rip/cs for the BSP's reset vector or
 * a SIPI's vector.  Exposed for svm/init_sipi.c's callers and tests. */
void vcpu_init_state(struct cpu *cpu);
void vcpu_start_at(struct cpu *cpu, uint16_t cs_sel, uint64_t cs_base,
		   uint64_t rip);

#endif
