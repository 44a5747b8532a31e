/* SPDX-License-Identifier: MIT */
/*
 * The few operations of nested SVM and of the local APIC's emulation that
 * touch the CPU directly, in one place (svm/hw.c), so that the rest of
 * svm/nested*.c and svm/apic.c is plain C and builds into host tests,
 * which give their own versions.
 */
#ifndef NV_SVM_HW_H
#define NV_SVM_HW_H

#include <stdbool.h>
#include <stdint.h>

#include "core/x86.h"

/* INVLPGA: the TLB entry of va in the CPU's ASID asid. */
void hw_invlpga(uint64_t va, uint32_t asid);

/* WBINVD: write back and invalidate this CPU's caches (svm/cache.c). */
void hw_wbinvd(void);

/* Take, in host mode, an NMI the CPU holds pending after an NMI intercept
 * (host GIF opened for a moment, host IF clear).  count: this CPU's NMI
 * count (core/host_env.h).  True if one came. */
bool hw_collect_nmi(volatile uint64_t *count);

/* This CPU's own CR4 in host mode (svm/cr.c). */
uint64_t hw_read_cr4(void);
void hw_write_cr4(uint64_t val);

/* One byte from or to an I/O port (svm/smi_cmd.c). */
uint8_t hw_inb(uint16_t port);
void hw_outb(uint16_t port, uint8_t val);

/* The local APIC of this CPU as svm/apic.c reaches it: MSRs (APIC_BASE,
 * the x2APIC registers), CPUID, and the xAPIC registers at physical
 * address pa in the APIC window (identity-mapped in nestvisor's page
 * table).  hw_wrmsr_safe(): 0, or a negated nv_err where the CPU refuses
 * the value (#GP). */
uint64_t hw_rdmsr(uint32_t msr);
void hw_wrmsr(uint32_t msr, uint64_t val);
int hw_wrmsr_safe(uint32_t msr, uint64_t val);
struct cpuid_regs hw_cpuid(uint32_t leaf);
volatile void *hw_apic_mmio(uint64_t pa);

#endif
