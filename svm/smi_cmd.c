// SPDX-License-Identifier: MIT
/*
 * The SMI command port (ACPI 6.4 §5.2.9, the FADT's SMI_CMD; 0xB2 on q35):
 * a write of a command byte there is a software SMI, the way a guest asks
 * the firmware's SMM for something (UEFI variables, ACPI mode).
 *
 * The CPU holds an SMI while the GIF is clear and takes it when STGI or
 * VMRUN sets the GIF, before a held NMI and before INTR (AMD APM Vol. 2
 * §15.17, and the simultaneous-interrupt priorities of §8.5); VMRUN with
 * an SMI pending and vmcb12 intercepting SMI exits with #VMEXIT(SMI)
 * before L2 runs, the SMI still pending (§15.13.3).  nestvisor cannot
 * hold the SMI itself: the CPU's GIF is set while any guest runs, and a
 * pending SMI would exit at once again (every VMCB intercepts SMI,
 * svm/smi.c).  So it holds the request instead:
 *  - nestvisor's IOPM intercepts SMI_CMD, for every CPU and VMCB
 *    (smi_cmd_init);
 *  - an OUT that covers the port (smi_cmd_io): the bytes of other ports
 *    are written at once; the byte for SMI_CMD is not written, it becomes
 *    this vCPU's held request (smi_held, smi_val; a second one before it
 *    is delivered replaces it: the port keeps the last value and the CPU
 *    one pending SMI).  An IN reads the held byte while one is held (the
 *    port would hold it), else the port;
 *  - L1's GIF kept in vmcb01's V_GIF goes back into software
 *    (nested_gif_hold(), svm/nested_gif.c), so that the GIF below is
 *    nestvisor's and L1's STGI exits;
 *  - before every VMRUN (smi_deliver, called ahead of the held NMI by
 *    svm/nested_gif.c gif_deliver_held()), once the GIF is set: L2
 *    running and L1 intercepting SMI: #VMEXIT(SMI) to L1 (EXITINFO1 and 2
 *    zero, as KVM and QEMU give them), which clears the GIF, so the
 *    request stays held for L1's STGI; otherwise the byte is written in
 *    host mode, where the CPU's GIF is clear and holds the SMI it raises,
 *    and handle_smi() takes it (svm/smi.c: GIF open for one instruction).
 *    With the GIF set at the OUT this is before the guest's next
 *    instruction, as on the CPU.  (A chipset that raised the SMI only
 *    after that instruction window would leave it pending at the VMRUN,
 *    which then exits with SMI at once and takes it: later, not lost.)
 * What is not as on the CPU: every write to SMI_CMD is taken for an SMI
 * request (its purpose), so a write the chipset would not turn into an
 * SMI (SMM off, or QEMU's own handling of ACPI_ENABLE/ACPI_DISABLE) also
 * waits for the GIF; string I/O to the port is not emulated
 * (svm/ioio.c); SMIs from elsewhere (the platform, another CPU's
 * broadcast) are taken when they come, GIF or not (svm/smi.c).
 */
#include "svm/smi_cmd.h"

#include "core/log.h"
#include "svm/hw.h"
#include "svm/intercepts.h"
#include "svm/nested_internal.h"
#include "svm/permmap.h"

static uint16_t smi_port;

void smi_cmd_init(uint16_t port, uint8_t *iopm)
{
	smi_port = port;
	if (port)
		iopm_set(iopm, port, 1);
}

bool smi_cmd_owns(uint16_t port, unsigned size)
{
	return smi_port && port <= smi_port && (unsigned)(smi_port - port) < size;
}

uint64_t smi_cmd_io(struct cpu *cpu, uint16_t port, unsigned size, bool in,
		    uint64_t rax)
{
	uint64_t m = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
	uint64_t out = in ? (size == 4 ? 0 : rax & ~m) : rax;

	for (unsigned i = 0; i < size; i++) {
		uint16_t p = (uint16_t)(port + i);
		uint8_t b = (uint8_t)(rax >> (8 * i));

		if (in) {
			b = p == smi_port && cpu->smi_held ? cpu->smi_val :
							     hw_inb(p);
			out |= (uint64_t)b << (8 * i);
		} else if (p != smi_port) {
			hw_outb(p, b);
		} else {
			if (cpu->smi_held)
				log_debug_limited("SMI command 0x%x replaces the "
						  "held 0x%x", b, cpu->smi_val);
			cpu->smi_held = true;
			cpu->smi_val = b;
			/* L1's GIF out of V_GIF, so that its STGI exits. */
			nested_gif_hold(cpu);
		}
	}
	return out;
}

void smi_deliver(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;

	if (!cpu->smi_held || !n->gif)
		return;
	if (n->guest_mode && nested_l1_intercepts(cpu, VMEXIT_SMI, 0)) {
		/* After an event vmcb02 already carries (svm/nmi.c does the
		 * same for NMIs). */
		if (!event_inj_pending(cpu->cur))
			nested_vmexit(cpu, VMEXIT_SMI, 0, 0, 0);
		return;
	}
	cpu->smi_held = false;
	hw_outb(smi_port, cpu->smi_val);
	handle_smi(cpu);
}
