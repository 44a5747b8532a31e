/* SPDX-License-Identifier: MIT */
/*
 * Interrupt messages L1 can make without the local APIC's ICR, and what
 * nestvisor lets through of them (pure logic, host-tested:
 * tests/host/test_irq_msg.c; docs/security.md, "Interrupt messages").
 *
 * Message format (the PCI Local Bus Specification's MSI address and
 * data, which the AMD IOMMU specification §2.2.5 and QEMU follow):
 *   address 31:20 FEEh, 19:12 destination ID, 3 redirection hint,
 *           2 destination mode (1 = logical);
 *   data    7:0 vector, 10:8 delivery mode, 14 level, 15 trigger mode.
 * I/O APIC redirection entry (82093AA I/O APIC datasheet §3.2.4,
 * registers 10h + 2n (low) and 11h + 2n (high)):
 *   low  7:0 vector, 10:8 delivery mode, 11 destination mode, 12 delivery
 *        status (read-only), 13 polarity, 14 remote IRR (read-only),
 *        15 trigger mode, 16 mask;
 *   high 63:56 destination.
 * Delivery modes: 000 Fixed, 001 Lowest priority, 010 SMI, 011 reserved,
 * 100 NMI, 101 INIT, 110 Start-up (reserved for the I/O APIC), 111
 * ExtINT.
 *
 * INIT resets a CPU out of guest mode (SVM has no wait-for-SIPI state),
 * and Start-up and SMI are the CPU's own business (nestvisor's INIT/SIPI
 * emulation, the firmware's SMM through the SMI command port): none of
 * them may reach a CPU from a message L1 programs.  Fixed, Lowest
 * priority, NMI and ExtINT only interrupt the guest, which nestvisor's
 * intercepts already handle.
 */
#ifndef NV_SVM_IRQ_MSG_H
#define NV_SVM_IRQ_MSG_H

#include <stdbool.h>
#include <stdint.h>

#define IRQ_MSG_WINDOW      0xfee00000ull  /* 1 MiB */
#define IRQ_MSG_WINDOW_SIZE 0x100000ull

#define IRQ_MODE(lo)        (((lo) >> 8) & 7u)
#define IRQ_MODE_FIXED      0u
#define IRQ_MODE_LOWEST     1u
#define IRQ_MODE_SMI        2u
#define IRQ_MODE_NMI        4u
#define IRQ_MODE_INIT       5u
#define IRQ_MODE_STARTUP    6u
#define IRQ_MODE_EXTINT     7u

/* May a message or entry with this delivery mode reach a CPU as it is? */
bool irq_mode_allowed(unsigned mode);

enum irq_msg_action {
	IRQ_MSG_FORWARD,  /* performed as written */
	IRQ_MSG_ICR,      /* sent as the ICR value *icr would be (svm/apic.c) */
	IRQ_MSG_DROP,
};

/*
 * A 32-bit store of data at address addr (in the 1 MiB window, not on
 * the APIC page) by L1: Fixed, Lowest priority and ExtINT are forwarded;
 * NMI, INIT and Start-up become the ICR write with the same destination,
 * mode and vector (xAPIC layout: destination in bits 63:56 moved to
 * 39:32, as icr_from_xapic() gives), so that they take nestvisor's paths
 * (NMI requests, the INIT/SIPI mailbox); SMI and the reserved mode are
 * dropped.
 */
enum irq_msg_action irq_msg_decide(uint64_t addr, uint32_t data,
				   uint64_t *icr);

/*
 * The redirection-entry low dword nestvisor writes to the real I/O APIC
 * for the value L1 wrote: L1's own if its delivery mode is allowed,
 * otherwise masked (bit 16) with delivery mode Fixed, the rest as L1
 * wrote it, so that it never delivers anything.
 */
uint32_t ioapic_rte_sanitize(uint32_t lo);

#define IOAPIC_RTE_FIRST    0x10u  /* register of entry 0, low dword */
#define IOAPIC_RTE_MASK     (1u << 16)
/* Bits of a redirection entry's low dword that only the I/O APIC sets. */
#define IOAPIC_RTE_RO       ((1u << 12) | (1u << 14))

#endif
