// SPDX-License-Identifier: MIT
/*
 * Stores to the interrupt-message window (svm/msi_window.h).
 *
 * What hardware does with them: the APM defines the local APIC's
 * registers within its 4 KiB page at APIC_BASE (Vol. 2 chapter 16,
 * "Local APIC"), and interrupt messages as writes that devices send
 * upstream (the AMD IOMMU specification's interrupt address range
 * FEE0_0000h-FEEF_FFFFh, §2.2.5); a processor store elsewhere in that
 * range is not an interrupt the APM defines.  QEMU makes it one.  So
 * nestvisor gives such a store at most the meaning of an IPI L1 could
 * send through its ICR anyway: Fixed, Lowest priority and ExtINT messages
 * are performed as written (from host mode, at the same address); NMI,
 * INIT and Start-up messages are turned into the ICR write with the same
 * destination and vector and take nestvisor's paths (an NMI request, the
 * INIT/SIPI mailbox: svm/apic.c, svm/init_sipi.c); SMI and the reserved
 * mode are dropped, as is any store that is not 32 bits at a 4-byte
 * boundary (no message format).  The decoding is the same as for the
 * xAPIC page: MOV or XCHG to memory (svm/insn.c); another instruction
 * gets #GP.
 */
#include "svm/msi_window.h"
#include "core/hvmem.h"
#include "core/log.h"
#include "mm/pte.h"
#include "svm/apic.h"
#include "svm/insn.h"
#include "svm/intercepts.h"
#include "svm/irq_msg.h"
#include "svm/mmio_emul.h"
#include "svm/vcpu.h"

static bool protected_window;

/* The window's pages left as they are: the APIC page (svm/apic.c's),
 * nestvisor's own. */
static bool not_window(uint64_t pa)
{
	return apic_is_mmio_page(pa) || hvmem_contains(pa);
}

int msi_window_protect(void)
{
	int rc;

	if (IRQ_MSG_WINDOW + IRQ_MSG_WINDOW_SIZE > hvmem.phys_limit)
		return 0;
	rc = hvmem_npt_protect(IRQ_MSG_WINDOW, IRQ_MSG_WINDOW_SIZE,
			       PTE_P | PTE_US, not_window);
	if (rc)
		return rc;
	protected_window = true;
	return 0;
}

bool msi_window_page(uint64_t gpa)
{
	return protected_window && gpa >= IRQ_MSG_WINDOW &&
	       gpa < IRQ_MSG_WINDOW + IRQ_MSG_WINDOW_SIZE &&
	       !apic_is_mmio_page(gpa);
}

bool msi_window_meets(uint64_t lo, uint64_t hi)
{
	return protected_window && lo < IRQ_MSG_WINDOW + IRQ_MSG_WINDOW_SIZE &&
	       hi > IRQ_MSG_WINDOW;
}

static const char *const mode_name[8] = {
	"Fixed", "Lowest priority", "SMI", "reserved", "NMI", "INIT",
	"Start-up", "ExtINT",
};

void msi_window_write(struct cpu *cpu, uint64_t gpa)
{
	static struct mmio_emul emul = {
		.what = "a write to the interrupt-message window",
		.ops = MMIO_OP(INSN_MOV_STORE) | MMIO_OP(INSN_XCHG),
	};
	struct insn in;
	uint64_t icr;
	uint32_t data;

	if (mmio_emul_decode(cpu, gpa, &emul, &in))
		return;
	data = (uint32_t)guest_store_value(cpu, &in);
	if (in.op == INSN_XCHG) /* what a read there gives, as L1's would */
		guest_store_old_value(cpu, &in, gpa);
	if (in.width != 4 || (gpa & 3)) {
		log_info_limited("CPU %u: a %u-byte store at 0x%lx in the "
				 "interrupt-message window: dropped", cpu->idx,
				 in.width, gpa);
		guest_advance_rip(cpu, in.len);
		return;
	}
	switch (irq_msg_decide(gpa, data, &icr)) {
	case IRQ_MSG_FORWARD:
		*(volatile uint32_t *)hvmem_va(gpa) = data;
		break;
	case IRQ_MSG_ICR:
		log_info_limited("CPU %u: interrupt message 0x%x at 0x%lx "
				 "(%s): sent as an IPI through nestvisor",
				 cpu->idx, data, gpa,
				 mode_name[IRQ_MODE(data)]);
		(void)apic_icr_write(cpu, icr, false);
		break;
	case IRQ_MSG_DROP:
		log_info_limited("CPU %u: interrupt message 0x%x at 0x%lx "
				 "(%s): dropped", cpu->idx, data, gpa,
				 mode_name[IRQ_MODE(data)]);
		break;
	}
	guest_advance_rip(cpu, in.len);
}
