/* SPDX-License-Identifier: MIT */
/*
 * The TSC as L1 and L2 see it: TSC scaling (CPUID 8000_000A EDX[4]) and
 * TSC_ADJUST (CPUID 7.0 EBX[1]).
 *
 * TSC ratio MSR C000_0104h (AMD APM Vol. 2 §15.30.5): bits 39:32 integer,
 * 31:0 fraction (8.32 fixed point), bits 63:40 reserved (#GP on a write
 * that sets one), 1.0 after reset.  In guest mode the TSC the guest reads
 * (RDTSC, RDTSCP, RDMSR of TSC) is the TSC scaled by the ratio plus the
 * VMCB's TSC_OFFSET; outside guest mode the ratio does not apply.  For L2
 * the "TSC below" is L1's: L2's TSC = L1's TSC * L1's ratio + vmcb12's
 * offset, the product truncated to an integer.
 *
 * TSC_ADJUST, MSR 3Bh (its definition: Intel SDM Vol. 3 §18.17.3, which
 * AMD follows where CPUID 7.0 EBX[1] is set): 0 after reset; a WRMSR of
 * TSC_ADJUST adds (new - old) to the TSC; a WRMSR of the TSC adds
 * (new TSC - old TSC) to TSC_ADJUST.  nestvisor models L1's TSC as the
 * host TSC plus an offset (vmcb01's TSC_OFFSET), so both writes move that
 * offset.
 *
 * Pure functions; the glue is svm/nested_feat.c.
 */
#ifndef NV_SVM_FEAT_TSC_H
#define NV_SVM_FEAT_TSC_H

#include <stdbool.h>
#include <stdint.h>

#define MSR_TSC          0x00000010u
#define MSR_TSC_ADJUST   0x0000003bu
#define MSR_TSC_AUX      0xc0000103u
#define MSR_TSC_RATIO    0xc0000104u

#define TSC_RATIO_ONE    (1ull << 32)         /* 1.0 in 8.32 */
#define TSC_RATIO_RSVD   0xffffff0000000000ull /* bits 63:40 */

/* May the ratio MSR be written with r (else #GP)? */
bool tsc_ratio_valid(uint64_t r);

/* tsc * ratio (8.32), truncated to 64 bits of integer. */
uint64_t tsc_scale(uint64_t tsc, uint64_t ratio);

/* L2's TSC when L1's TSC is l1_tsc: l1_tsc * ratio + offset12. */
uint64_t tsc_l2(uint64_t l1_tsc, uint64_t ratio, uint64_t offset12);

/*
 * The TSC_OFFSET of vmcb02 on a CPU that scales (it then computes
 * host_tsc * ratio + offset): offset01 * ratio + offset12, offsets taken
 * as signed.  Equal to tsc_l2(host + offset01, ...) - host * ratio up to
 * one tick of truncation.
 */
uint64_t tsc_offset02_scaled(uint64_t offset01, uint64_t ratio,
			     uint64_t offset12);

/* L1's TSC model: TSC = host TSC + offset; adjust = TSC_ADJUST. */
struct tsc_l1 {
	uint64_t offset;
	uint64_t adjust;
};

/* WRMSR TSC_ADJUST := v. */
void tsc_l1_write_adjust(struct tsc_l1 *t, uint64_t v);
/* WRMSR TSC := v at host TSC `host`. */
void tsc_l1_write_tsc(struct tsc_l1 *t, uint64_t host, uint64_t v);

#endif
