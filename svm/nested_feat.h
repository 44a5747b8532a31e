/* SPDX-License-Identifier: MIT */
/*
 * The SVM features nestvisor offers L1 beyond the base (docs/nested.md,
 * "What L1 is offered"), each the CPU's where it has it and emulated where
 * it does not: decode assists, TSC scaling and TSC_ADJUST, pause filter
 * and threshold, ...  The rules
 * of each are pure functions in svm/feat_*.c; the glue between them and
 * the vCPU is svm/nested_feat*.c, reached through the hooks below from a
 * few places of the nested SVM path (svm/nested.c, svm/nested_exit.c,
 * svm/nested_insns.c, svm/cpuid.c).
 */
#ifndef NV_SVM_NESTED_FEAT_H
#define NV_SVM_NESTED_FEAT_H

#include <stdbool.h>
#include <stdint.h>

#include "core/x86.h"
#include "svm/feat_pause.h"
#include "svm/feat_tsc.h"
#include "svm/vmcb.h"

struct cpu;

/* Per vCPU: what is offered and the state of the emulations. */
struct nested_feat {
	bool decode_assists;   /* CPUID 8000_000A EDX[7] offered */
	bool vmcb_clean;       /* CPUID 8000_000A EDX[5] offered */
	bool tsc_scaling;      /* CPUID 8000_000A EDX[4] offered */
	bool tsc_adjust;       /* CPUID 7.0 EBX[1] offered (emulated) */
	uint64_t tsc_ratio;    /* L1's TSC ratio MSR (C000_0104h) */
	struct tsc_l1 tsc;     /* L1's TSC offset and TSC_ADJUST */
	uint64_t hw_tsc_ratio; /* the CPU's ratio MSR, where it has one */
	bool pause_filter;     /* CPUID 8000_000A EDX[10] offered */
	bool pause_threshold;  /* CPUID 8000_000A EDX[12] offered */
	struct pause_filter pause; /* L2's counter (loaded by VMRUN) */
	/* What the emulations intercept in vmcb02 on top of L1's and
	 * nestvisor's own (INTERCEPT1_*, INTERCEPT2_*). */
	uint32_t intercept1, intercept2;
};

/* Decides what to offer from the CPU below and sets nestvisor's MSR
 * intercepts the emulations need; returns the bits of CPUID 8000_000A
 * EDX they add for L1. */
uint32_t nested_feat_init(struct cpu *cpu);

/* CPUID leaf/sub as L1 sees it: the bits of the offered features other
 * than leaf 8000_000A's (TSC_ADJUST in 7.0 EBX). */
void nested_feat_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t sub,
		       struct cpuid_regs64 *r);

/* MSRs of the offered features (TSC ratio, TSC_ADJUST, the TSC where
 * nestvisor intercepts it), for L1 and for L2 when L1 does not intercept
 * them.  0, or -NV_EINVAL: #GP (or not one of these MSRs). */
int nested_feat_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val);
int nested_feat_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val);

/* vmcb02 has just been built for an emulated VMRUN (svm/nested.c
 * prepare_vmcb02): what the features add to it. */
void nested_feat_vmrun(struct cpu *cpu);

/* Adds struct nested_feat's intercept1/2 to vmcb02's intercepts: after
 * every rewrite of them. */
void nested_feat_intercepts(struct cpu *cpu);

/*
 * An exit of vmcb02 before L1's intercepts are looked at: true if a
 * feature absorbed it (a PAUSE the pause filter counts) and L2 resumes.
 */
bool nested_feat_filter(struct cpu *cpu, uint64_t code);

/*
 * The exit code of an exit of vmcb02 as the APM has it, before it is
 * reflected or handled: QEMU TCG reports RDTSCP as an RDTSC intercept
 * (exit 0x6e); the instruction at RIP tells them apart (0x87 for RDTSCP).
 * Also rewrites vmcb02's EXITCODE.
 */
uint64_t nested_feat_exit_code(struct cpu *cpu, uint64_t code);

/*
 * An exit of vmcb02 that L1 does not intercept and nestvisor's other
 * handlers do not know (svm/nested_exit.c): true if a feature's
 * emulation intercepted it and handled it (RDTSC, RDTSCP under emulated
 * TSC scaling).
 */
bool nested_feat_exit(struct cpu *cpu, uint64_t code);

/*
 * An emulated #VMEXIT to L1 with exit `code` is being written into vmcb12
 * (svm/nested.c nested_vmexit(), L2's state still in vmcb02): completes
 * what the offered features add to it.  Decode assists: *info1 of the
 * exits that describe their instruction, the instruction bytes of #PF and
 * #NPF (0 bytes for every other exit), and *next_rip of the instructions
 * the NRIPS path does not decode.  TSC scaling: the CPU's ratio back to
 * L1's 1.0.
 */
void nested_feat_vmexit(struct cpu *cpu, volatile struct vmcb *v12,
			uint64_t code, uint64_t *info1, uint64_t *next_rip);

#endif
