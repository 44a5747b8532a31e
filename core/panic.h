/* SPDX-License-Identifier: MIT */
#ifndef NV_CORE_PANIC_H
#define NV_CORE_PANIC_H

struct cpu;

/* The CPU whose state a panic prints (set once the CPU is virtualized). */
void panic_set_cpu(struct cpu *cpu);

/* Logs msg, the guest registers and the exit ring, then ends the run
 * (QEMU: exit status 255; hardware: halt).  Never returns. */
__attribute__((noreturn)) void panic(const char *msg);

/* Prints the CPU's guest state and its ring of recent exits. */
void dump_cpu_state(const struct cpu *cpu);

#endif
