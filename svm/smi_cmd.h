/* SPDX-License-Identifier: MIT */
/*
 * The SMI command port (the FADT's SMI_CMD): the software SMIs a guest
 * asks the firmware's SMM for, held while the GIF is clear
 * (svm/smi_cmd.c has the algorithm; docs/nested.md, docs/semantics.md
 * §12).
 */
#ifndef NV_SVM_SMI_CMD_H
#define NV_SVM_SMI_CMD_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* At set-up: remember the port (0: none) and intercept it in iopm. */
void smi_cmd_init(uint16_t port, uint8_t *iopm);

/* Does an access of size bytes at port cover the SMI command port? */
bool smi_cmd_owns(uint16_t port, unsigned size);

/* An IN or OUT (not a string one) of size bytes there, with the guest's
 * RAX; returns RAX as the guest has it afterwards.  A write to the
 * command port becomes this CPU's held SMI request. */
uint64_t smi_cmd_io(struct cpu *cpu, uint16_t port, unsigned size, bool in,
		    uint64_t rax);

/* Before a VMRUN: the held SMI request, if the GIF is set: #VMEXIT(SMI)
 * to L1 when L2 runs and L1 intercepts SMI (the request stays held), or
 * else the command written and its SMI taken in host mode. */
void smi_deliver(struct cpu *cpu);

#endif
