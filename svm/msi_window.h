/* SPDX-License-Identifier: MIT */
/*
 * The interrupt-message window beyond the local APIC's page: physical
 * 0xFEE00000-0xFEEFFFFF less the xAPIC page (svm/apic.h).  QEMU delivers
 * any store there as an interrupt message (its address and data decoded
 * as a device's MSI, svm/irq_msg.h), so an L1 store there could send an
 * INIT that misses nestvisor's ICR emulation.  The window is read-only in
 * L1's NPT (reads pass through); a store exits with #NPF and is decoded
 * here (docs/security.md, "Interrupt messages").
 */
#ifndef NV_SVM_MSI_WINDOW_H
#define NV_SVM_MSI_WINDOW_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;

/* At set-up, after apic_protect_page(): the window's pages read-only in
 * L1's NPT (in the 2 MiB table the APIC page already split: no memory
 * needed).  0, or an error from the NPT. */
int msi_window_protect(void);

/* Is gpa a page of the window (the APIC page excluded)?  Does [lo, hi)
 * hold one? */
bool msi_window_page(uint64_t gpa);
bool msi_window_meets(uint64_t lo, uint64_t hi);

/* An #NPF write there: a MOV or XCHG store decoded at RIP; a 32-bit
 * aligned store is an interrupt message, decided by irq_msg_decide();
 * any other store is dropped; another instruction gets #GP. */
void msi_window_write(struct cpu *cpu, uint64_t gpa);

#endif
