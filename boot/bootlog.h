/* SPDX-License-Identifier: MIT */
/*
 * The UEFI side's part of the log ring (core/log.h).  Until the take-over
 * its lines are kept in a buffer of its own, which hv_prepare() copies to
 * the start of the ring; afterwards the UEFI side runs as L1 and appends each
 * line with NV_HC_BOOT_LOG, until bootlog_close() (NV_HC_BOOT_DONE) just
 * before the next stage starts.
 */
#ifndef NV_BOOT_BOOTLOG_H
#define NV_BOOT_BOOTLOG_H

#include <stdint.h>

/* Installs the sink: lines go to the buffer. */
void bootlog_start(void);
/* The buffer's lines so far. */
const char *bootlog_text(uint64_t *len);
/* Virtualized: the buffer's lines after its first `copied` bytes (those
 * logged since hv_prepare() copied it: while the CPUs were taken over),
 * then every new line, go to the ring by hypercall. */
void bootlog_hand_over(uint64_t copied);
/* Hands the lines the hypervisor logged in the ring since offset `from`
 * to out (e.g. the UEFI console); the offset reached is returned. */
uint64_t bootlog_replay(uint64_t from,
			void (*out)(const char *s, unsigned long len));
/* NV_HC_BOOT_DONE (when virtualized) and the sink removed. */
void bootlog_close(void);

#endif
