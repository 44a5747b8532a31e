/* SPDX-License-Identifier: MIT */
/* What nestvisor prints about a vCPU when a run ends badly. */
#ifndef NV_SVM_DUMP_H
#define NV_SVM_DUMP_H

struct cpu;

/* The running guest's registers and the ring of the last exits. */
void dump_cpu_state(const struct cpu *cpu);

/* core/panic.h's dump hook: ctx is the struct cpu, or NULL for the CPU
 * that panics. */
void dump_panic_hook(void *ctx);

#endif
