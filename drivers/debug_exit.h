/* SPDX-License-Identifier: MIT */
/*
 * Ending a run.  Under QEMU with `-device isa-debug-exit,iobase=0xf4`, a
 * write of V to port 0xf4 ends QEMU with process status (V << 1) | 1.
 * On hardware (or with debug_exit=off) nestvisor halts instead.
 */
#ifndef NV_DRIVERS_DEBUG_EXIT_H
#define NV_DRIVERS_DEBUG_EXIT_H

#include <stdbool.h>
#include <stdint.h>

/* Values nestvisor itself writes; QEMU exit status in the comment. */
#define NV_EXIT_L1_SHUTDOWN 0x7du /* 251: L1 triple fault */
#define NV_EXIT_PANIC       0x7fu /* 255: nestvisor panic */

void debug_exit_enable(bool on);
bool debug_exit_enabled(void);
/* Ends the run with value v; never returns. */
__attribute__((noreturn)) void debug_exit(uint32_t v);
/* Ends the run with NV_EXIT_PANIC: core/panic.h's stop hook. */
__attribute__((noreturn)) void debug_exit_panic(void);

#endif
