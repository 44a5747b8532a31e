/* SPDX-License-Identifier: MIT */
/*
 * L1's local APIC, where nestvisor has to look at it: the interrupt
 * command register (ICR), through which L1 sends INIT and SIPI.
 *
 * xAPIC mode: the APIC page (APIC_BASE, 0xFEE00000 by default) is
 * read-only in L1's NPT, so every L1 write to it exits (#NPF) and
 * nestvisor performs it (svm/apic.c).  x2APIC mode: the ICR is MSR 0x830,
 * intercepted through the MSR permission map.  APIC_BASE is intercepted
 * too, reads and writes: the base may not move, the mode is followed, and
 * L1's hardware disable (EN clear) is emulated with the physical APIC
 * kept enabled, software-disabled (svm/apic.c).
 *
 * An ICR write with delivery mode INIT or Start-up is never sent: its
 * destinations (svm/apic_dest.c) that are vCPUs get it through their
 * mailbox (svm/init_sipi.c); parked CPUs never get it.  An NMI IPI becomes
 * a request to each vCPU it reaches (svm/smp.c, "Kicks").  Every other
 * ICR write goes to the hardware as L1 wrote it.
 */
#ifndef NV_SVM_APIC_H
#define NV_SVM_APIC_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct insn;

#define MSR_APIC_BASE        0x0000001bu
#define APIC_BASE_BSP        (1ull << 8)
#define APIC_BASE_EXTD       (1ull << 10)  /* x2APIC mode */
#define APIC_BASE_EN         (1ull << 11)
#define APIC_BASE_ADDR       0x000ffffffffff000ul
#define MSR_X2APIC_ICR       0x00000830u

/* xAPIC register offsets (APM Vol. 2 chapter 16, the local APIC
 * register map). */
#define APIC_REG_ID          0x020u
#define APIC_REG_TPR         0x080u
#define APIC_REG_EOI         0x0b0u
#define APIC_REG_LDR         0x0d0u
#define APIC_REG_DFR         0x0e0u
#define APIC_REG_SVR         0x0f0u
#define APIC_REG_ISR0        0x100u
#define APIC_REG_ESR         0x280u
#define APIC_REG_ICR_LO      0x300u
#define APIC_REG_ICR_HI      0x310u
#define APIC_REG_LVT_TIMER   0x320u
#define APIC_REG_LVT_THERMAL 0x330u
#define APIC_REG_LVT_PERF    0x340u
#define APIC_REG_LVT_LINT0   0x350u
#define APIC_REG_LVT_LINT1   0x360u
#define APIC_REG_LVT_ERROR   0x370u
#define APIC_REG_TIMER_ICR   0x380u
#define APIC_REG_TIMER_DCR   0x3e0u

struct vapic {
	/* APIC_BASE (MSR 0x1B) as L1 last set it, and reads it: EN may be
	 * clear while the real APIC stays enabled (svm/apic.c).  Atomic:
	 * other CPUs read it. */
	uint64_t base_msr;
	/* L1's last LDR and DFR writes (xAPIC), read by senders to resolve
	 * logical destinations. */
	uint32_t ldr, dfr;
	uint64_t nr_mmio_writes, nr_icr_writes, nr_init_sipi;
};

/* Take-over: protect the xAPIC page in L1's NPT (once, any CPU), and
 * record this CPU's APIC_BASE.  0, or a negated nv_err. */
int apic_protect_page(uint64_t base_msr);
void apic_init_cpu(struct cpu *cpu);

/* Is gpa on the page nestvisor write-protects for the xAPIC? */
bool apic_is_mmio_page(uint64_t gpa);
/* That page's address (all ones before apic_protect_page). */
uint64_t apic_mmio_page(void);

/* #NPF write to the APIC page: emulate the store (decode the instruction,
 * perform it on the real APIC from the host, move RIP past it). */
void apic_mmio_write(struct cpu *cpu, uint64_t gpa);

/* The value a decoded MOV or XCHG store (svm/insn.h) writes: its
 * immediate, or its source register (AH-BH included); also for
 * svm/chipset_lock.c's ECAM stores. */
uint64_t guest_store_value(struct cpu *cpu, const struct insn *in);

/* XCHG with memory: its register gets what a read of in->width bytes at
 * physical pa (MMIO, read from host mode) gives. */
void guest_store_old_value(struct cpu *cpu, const struct insn *in,
			   uint64_t pa);

/* The register of a decoded MOV load or XCHG gets v as a load of
 * in->width bytes would leave it (a 32-bit load zero-extends, 8 and 16
 * bits merge, AH-BH). */
void guest_reg_set(struct cpu *cpu, const struct insn *in, uint64_t v);

/* WRMSR of MSR_X2APIC_ICR or MSR_APIC_BASE by the guest.  0, or
 * -NV_EINVAL for #GP.  APIC_BASE.EN clear is emulated: the real APIC stays
 * enabled, software-disabled (svm/apic.c). */
int apic_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val);

/* RDMSR of MSR_APIC_BASE by the guest: L1's view (struct vapic). */
uint64_t apic_base_view(const struct cpu *cpu);

/* One ICR value L1 wrote (x2APIC layout: destination in bits 63:32; the
 * xAPIC caller moves its 8-bit destination there).  0, or -NV_EINVAL for
 * the #GP an x2APIC WRMSR of this value raises (never for xAPIC). */
int apic_icr_write(struct cpu *cpu, uint64_t icr, bool x2apic);

/* Sends an NMI to the CPU with this APIC ID, from host mode. */
void apic_send_nmi(uint32_t apic_id);

/* Puts this CPU's local APIC in its INIT state as far as software can
 * (APM Vol. 2 chapter 16): what an INIT would have done, since the
 * real INIT never reaches it. */
void apic_soft_init(struct cpu *cpu);

#endif
