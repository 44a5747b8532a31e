/* SPDX-License-Identifier: MIT */
/*
 * Ending a payload run.  Status convention (tests/runner.py): 0 = all
 * passed, 1 = some failed.  QEMU's isa-debug-exit at port 0xf4 turns a
 * write of V into process exit status (V << 1) | 1; under nestvisor the
 * port is nestvisor's, which logs the write and forwards it.
 */
#ifndef NV_GUEST_EXIT_H
#define NV_GUEST_EXIT_H

#define GUEST_EXIT_PORT 0xf4u

/* Write status to the exit port; if the run goes on (no such device),
 * power off through the firmware. */
void guest_exit(unsigned status) __attribute__((noreturn));
/* Same without firmware services (for exception context): halts. */
void guest_exit_now(unsigned status) __attribute__((noreturn));
/* Power off through UEFI ResetSystem(EfiResetShutdown). */
void guest_poweroff(void) __attribute__((noreturn));

#endif
