/* SPDX-License-Identifier: MIT */
/*
 * MSR and I/O permission maps.  APM Vol. 2 §15.11 (MSRPM: 8 KiB, two bits
 * per MSR -- read then write -- in three 2 KiB blocks for MSRs 0-1FFFh,
 * C000_0000h-C000_1FFFh and C001_0000h-C001_1FFFh) and §15.10.1 (IOPM:
 * 12 KiB, one bit per port; an access of N bytes checks N bits).
 */
#ifndef NV_SVM_PERMMAP_H
#define NV_SVM_PERMMAP_H

#include <stdbool.h>
#include <stdint.h>

#define MSRPM_SIZE 0x2000u
#define IOPM_SIZE  0x3000u
/* The VMCB's MSRPM_BASE_PA and IOPM_BASE_PA ignore bits 11:0. */
#define PM_BASE_IGNORED 0xfffull

/* *bit := the index of msr's read bit in the MSRPM (its write bit is the
 * next one).  0, or -NV_ERANGE for an MSR outside the map (such MSRs are
 * always intercepted). */
int msrpm_bit(uint32_t msr, unsigned *bit);
void msrpm_set(uint8_t *pm, uint32_t msr, bool read, bool write);
void iopm_set(uint8_t *pm, uint16_t port, unsigned count);

#endif
