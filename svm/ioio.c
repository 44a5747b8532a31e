// SPDX-License-Identifier: MIT
/*
 * Intercepted port I/O.  Every port passes through except those nestvisor
 * owns or filters:
 *  - QEMU's isa-debug-exit at 0xf4-0xf7 (core/hypercall.h): nestvisor
 *    logs L1's accesses there and performs them, so that a test payload
 *    ends a run the same way with and without nestvisor;
 *  - PCI CONFIG_ADDRESS (32-bit accesses to 0xcf8) and CONFIG_DATA
 *    (0xcfc-0xcff) once a PCI function is hidden or a register locked
 *    (svm/pci_hide.h): CONFIG_ADDRESS is kept per vCPU and written to the
 *    real register only with the CONFIG_DATA access, under one lock
 *    (config_data()); an access it points at a hidden function reads all
 *    ones and writes nothing, a write to a locked register is dropped;
 *    any other is performed; other accesses to 0xcf8-0xcfb (q35's reset
 *    control at 0xcf9) pass through;
 *  - the ACPI PM1 status and control registers (svm/acpi_sleep.c: S3);
 *  - on AMD's FCH, the PM index/data ports CD6h/CD7h, whose registers
 *    that place the ACPI blocks are held (svm/chipset_lock.c);
 *  - the SMI command port, whose writes wait for the GIF
 *    (svm/smi_cmd.c).
 * String I/O (INS, OUTS) to any of them raises #GP(0) in the guest and
 * transfers nothing: nestvisor emulates single accesses only.
 * The CPU reports the next RIP in exit_info_2 (APM Vol. 2 §15.10.2),
 * NRIPS or not.
 */
#include "svm/intercepts.h"
#include "core/hypercall.h"
#include "core/log.h"
#include "core/x86.h"
#include "mm/spinlock.h"
#include "svm/acpi_sleep.h"
#include "svm/chipset_lock.h"
#include "svm/pci_hide.h"
#include "svm/smi_cmd.h"

static inline uint32_t port_in(uint16_t port, unsigned size)
{
	uint32_t v = 0;

	if (size == 1)
		__asm__ volatile("inb %1, %b0" : "+a"(v) : "Nd"(port));
	else if (size == 2)
		__asm__ volatile("inw %1, %w0" : "+a"(v) : "Nd"(port));
	else
		__asm__ volatile("inl %1, %0" : "=a"(v) : "Nd"(port));
	return v;
}

static inline void port_out(uint16_t port, unsigned size, uint32_t v)
{
	if (size == 1)
		__asm__ volatile("outb %b0, %1" ::"a"(v), "Nd"(port));
	else if (size == 2)
		__asm__ volatile("outw %w0, %1" ::"a"(v), "Nd"(port));
	else
		__asm__ volatile("outl %0, %1" ::"a"(v), "Nd"(port));
}

/*
 * CONFIG_DATA with this vCPU's CONFIG_ADDRESS: the real CONFIG_ADDRESS is
 * written and the access made under one lock, so no other CPU's address
 * comes in between (CONFIG_ADDRESS is one register for every CPU).  A
 * hidden function reads all ones and takes no write; a write to a locked
 * register is dropped.  Returns the new RAX.
 */
static uint64_t config_data(struct cpu *cpu, uint16_t port, unsigned size,
			    bool in, uint64_t rax)
{
	static struct spinlock pci_lock = SPINLOCK_INIT;
	uint32_t ca = cpu->pci_config_address;
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;
	uint64_t keep = size == 4 ? 0 : rax & ~mask;
	bool hidden = pci_config_address_hidden(ca);

	if (in && hidden)
		return keep | (uint32_t)mask;
	if (!in && (hidden || pci_config_data_write_locked(
				ca, port - PCI_CONFIG_DATA, size))) {
		if (!hidden)
			log_info_limited("L1 wrote 0x%x to a locked register "
					 "(CONFIG_ADDRESS 0x%x + %u): dropped",
					 (uint32_t)(rax & mask), ca,
					 port - PCI_CONFIG_DATA);
		return rax;
	}
	spin_lock(&pci_lock);
	outl(PCI_CONFIG_ADDRESS, ca);
	if (in)
		rax = keep | port_in(port, size);
	else
		port_out(port, size, (uint32_t)(rax & mask));
	spin_unlock(&pci_lock);
	return rax;
}

void handle_ioio(struct cpu *cpu)
{
	struct vmcb *v = cpu->cur;
	union svm_ioio_info io = { .raw = v->control.exit_info_1 };
	uint16_t port = (uint16_t)io.port;
	unsigned size = ioio_size(io);
	uint64_t mask = size == 4 ? 0xffffffffull : (1ull << (8 * size)) - 1;

	count_exit_detail(cpu, io.in ? NV_XD_IO_IN : NV_XD_IO_OUT, port);
	if (io.str) {
		/* String I/O (INS, OUTS, with or without REP) to a port
		 * nestvisor owns: #GP(0), nothing transferred, RIP at the
		 * instruction (docs/security.md, "Ports nestvisor owns"). */
		log_info_limited("%s string I/O (%s) at port 0x%x, which "
				 "nestvisor owns: #GP",
				 cpu->nested.guest_mode ? "L2" : "L1",
				 io.in ? "INS" : "OUTS", port);
		inject_exception(cpu, X86_VEC_GP, true, 0);
		return;
	}
	if (acpi_sleep_owns(port, size)) {
		v->save.rax = acpi_sleep_io(cpu, port, size, io.in,
					    v->save.rax);
	} else if (chipset_pm_owns(port, size)) {
		v->save.rax = chipset_pm_io(port, size, io.in, v->save.rax);
	} else if (smi_cmd_owns(port, size)) {
		v->save.rax = smi_cmd_io(cpu, port, size, io.in, v->save.rax);
	} else if (port == PCI_CONFIG_ADDRESS && size == 4) {
		if (io.in)
			v->save.rax = cpu->pci_config_address;
		else
			cpu->pci_config_address = (uint32_t)v->save.rax;
	} else if (port >= PCI_CONFIG_DATA && port < PCI_CONFIG_DATA + 4) {
		v->save.rax = config_data(cpu, port, size, io.in, v->save.rax);
	} else if (io.in) {
		/* A 32-bit IN zero-extends into RAX; 8 and 16 bits merge. */
		uint64_t keep = size == 4 ? 0 : v->save.rax & ~mask;
		v->save.rax = keep | port_in(port, size);
	} else {
		uint32_t val = (uint32_t)(v->save.rax & mask);
		if (port >= NV_PORT_DEBUG_EXIT &&
		    port < NV_PORT_DEBUG_EXIT + NV_PORT_DEBUG_EXIT_LEN)
			log_info_limited("L1 wrote 0x%x to port 0x%x "
					 "(isa-debug-exit): QEMU exits with "
					 "status %u", val, port,
					 ((val << 1) | 1) & 0xff);
		port_out(port, size, val);
	}
	v->save.rip = v->control.exit_info_2;
	instruction_completed(cpu);
}
