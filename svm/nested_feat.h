/* SPDX-License-Identifier: MIT */
/*
 * The SVM features nestvisor offers L1 beyond the base (docs/nested.md,
 * "What L1 is offered"), each the CPU's where it has it and emulated where
 * it does not: decode assists, TSC scaling, pause filter, vNMI, VMCB clean
 * bits.  The rules of each are pure functions in svm/feat_*.c; this is the
 * glue between them and the vCPU, called from a few places of the nested
 * SVM path (svm/nested.c, svm/nested_exit.c, svm/nested_insns.c).
 */
#ifndef NV_SVM_NESTED_FEAT_H
#define NV_SVM_NESTED_FEAT_H

#include <stdbool.h>
#include <stdint.h>

#include "svm/vmcb.h"

struct cpu;

/* Per vCPU: what is offered and the state of the emulations. */
struct nested_feat {
	bool decode_assists;   /* CPUID 8000_000A EDX[7] offered */
};

/* Decides what to offer from the CPU below; returns the bits of CPUID
 * 8000_000A EDX they add for L1. */
uint32_t nested_feat_init(struct cpu *cpu);

/*
 * An emulated #VMEXIT to L1 with exit `code` is being written into vmcb12
 * (svm/nested.c nested_vmexit(), L2's state still in vmcb02): completes
 * what the offered features add to it.  Decode assists: *info1 of the
 * exits that describe their instruction, the instruction bytes of #PF and
 * #NPF (0 bytes for every other exit), and *next_rip of the instructions
 * the NRIPS path does not decode.
 */
void nested_feat_vmexit(struct cpu *cpu, volatile struct vmcb *v12,
			uint64_t code, uint64_t *info1, uint64_t *next_rip);

#endif
