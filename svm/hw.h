/* SPDX-License-Identifier: MIT */
/*
 * The few operations of nested SVM that touch the CPU directly, in one
 * place (svm/hw.c), so that the rest of svm/nested*.c is plain C and
 * builds into host tests, which give their own versions.
 */
#ifndef NV_SVM_HW_H
#define NV_SVM_HW_H

#include <stdbool.h>
#include <stdint.h>

/* INVLPGA: the TLB entry of va in the CPU's ASID asid. */
void hw_invlpga(uint64_t va, uint32_t asid);

/* Take, in host mode, an NMI the CPU holds pending after an NMI intercept
 * (host GIF opened for a moment, host IF clear).  count: this CPU's NMI
 * count (core/host_env.h).  True if one came. */
bool hw_collect_nmi(volatile uint64_t *count);

/* One byte from or to an I/O port (svm/smi_cmd.c). */
uint8_t hw_inb(uint16_t port);
void hw_outb(uint16_t port, uint8_t val);

#endif
