/* SPDX-License-Identifier: MIT */
/*
 * The few operations of nested SVM that touch the CPU or the local APIC
 * directly, in one place (svm/hw.c), so that the rest of svm/nested*.c is
 * plain C and builds into host tests, which give their own versions.
 */
#ifndef NV_SVM_HW_H
#define NV_SVM_HW_H

#include <stdbool.h>
#include <stdint.h>

/* INVLPGA: the TLB entry of va in the CPU's ASID asid. */
void hw_invlpga(uint64_t va, uint32_t asid);

/* An NMI to this CPU through its local APIC (physical destination: its
 * own APIC ID). */
void hw_self_nmi(void);

/* Take, in host mode, an NMI the CPU holds pending after an NMI intercept
 * (host GIF opened for a moment, host IF clear).  True if one came. */
bool hw_collect_nmi(void);

#endif
