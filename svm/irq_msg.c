// SPDX-License-Identifier: MIT
/*
 * Which interrupt messages and I/O APIC redirection entries reach the
 * CPUs as L1 wrote them (svm/irq_msg.h has the formats and the why).
 */
#include "svm/irq_msg.h"

bool irq_mode_allowed(unsigned mode)
{
	return mode == IRQ_MODE_FIXED || mode == IRQ_MODE_LOWEST ||
	       mode == IRQ_MODE_NMI || mode == IRQ_MODE_EXTINT;
}

enum irq_msg_action irq_msg_decide(uint64_t addr, uint32_t data,
				   uint64_t *icr)
{
	unsigned mode = IRQ_MODE(data);
	uint64_t dest = (addr >> 12) & 0xff;

	*icr = 0;
	if (mode == IRQ_MODE_FIXED || mode == IRQ_MODE_LOWEST ||
	    mode == IRQ_MODE_EXTINT)
		return IRQ_MSG_FORWARD;
	if (mode != IRQ_MODE_NMI && mode != IRQ_MODE_INIT &&
	    mode != IRQ_MODE_STARTUP)
		return IRQ_MSG_DROP;
	/* ICR: vector, mode, destination mode (bit 11), level (14),
	 * trigger (15); no shorthand. */
	*icr = dest << 32 | (uint64_t)(data & 0xc7ffu) |
	       (addr & 4 ? 1ull << 11 : 0);
	return IRQ_MSG_ICR;
}

uint32_t ioapic_rte_sanitize(uint32_t lo)
{
	if (irq_mode_allowed(IRQ_MODE(lo)))
		return lo;
	return (lo & ~(7u << 8)) | IOAPIC_RTE_MASK;
}
