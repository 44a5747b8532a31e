/* SPDX-License-Identifier: MIT */
/*
 * Nested SVM: L1 runs its own guests (L2) on nestvisor.  The SVM state L1
 * sees (EFER.SVME, VM_HSAVE_PA, VM_CR, GIF) is virtual and lives here, and
 * so does the L2 L1 is running.  svm/nested.c has the algorithm.
 */
#ifndef NV_SVM_NESTED_H
#define NV_SVM_NESTED_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gmem.h"
#include "mm/walk.h"
#include "svm/nested_check.h"
#include "svm/nested_feat.h"
#include "svm/vmcb.h"

struct cpu;
struct snpt;

struct nested {
	/* What nestvisor offers L1 (CPUID 0x8000000A, svm/cpuid.c). */
	struct nested_caps caps;
	bool offered;          /* SVM is offered to L1 at all */
	uint32_t l1_nr_asids;  /* CPUID 0x8000000A EBX for L1 */
	uint32_t l1_cpuid_edx; /* CPUID 0x8000000A EDX for L1 */
	struct nested_feat feat; /* decode assists, ... (svm/nested_feat.c) */

	/* L1's virtual SVM MSRs and GIF. */
	bool svme;             /* L1's EFER.SVME */
	uint64_t hsave_pa;     /* L1's VM_HSAVE_PA */
	uint64_t vm_cr;        /* L1's VM_CR */
	bool gif;              /* L1's GIF, when the CPU has no vGIF */

	/* The L2 being run. */
	bool guest_mode;
	uint64_t vmcb12_gpa;
	struct vmcb12_cache cache; /* vmcb12 as copied and checked */
	struct vmcb *vmcb02;
	uint64_t vmcb02_pa;
	uint8_t *msrpm02, *iopm02;
	bool msrpm02_l0_only, iopm02_l0_only; /* svm/nested.c merge_map */
	uint64_t l2_efer;      /* L2's EFER as L2 and L1 see it */
	bool l2_np;            /* vmcb12 asked for nested paging */
	union cpu_role npt_role;    /* L1's NPT as the walker sees it */
	struct pagewalk npt_walk;   /* ready for npt_role */
	struct gmem l2_phys;   /* L2's physical memory (through L1's NPT) */
	struct snpt *snpt;     /* the shadow-NPT MMU (mm/shadow_npt.c) */
	uint64_t npt_root;     /* the shadow root vmcb02 runs with */
	bool tlb_flush_pending; /* shadow or L1 NPT changed: flush L2 */
	uint64_t nr_vmruns, nr_reflected;
};

/* Allocates vmcb02 and friends and decides what to offer.  0 or
 * -NV_ENOMEM. */
int nested_init(struct cpu *cpu);

/* L1's SVM instructions (exits of vmcb01). */
void nested_vmrun(struct cpu *cpu);
void nested_vmload_vmsave(struct cpu *cpu, bool load);
void nested_gif(struct cpu *cpu, bool set);
void nested_invlpga(struct cpu *cpu);

/* An exit of vmcb02: reflect it to L1 or handle it in nestvisor. */
void nested_handle_exit(struct cpu *cpu);

/* #NPF of L2 the shadow NPT has handled (svm/nested_npt.c). */
uint64_t nested_npt_faults(const struct cpu *cpu);

/* L1's MSRs that SVM defines.  0, or -NV_EINVAL: the access raises #GP. */
int nested_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val);
int nested_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val);

#endif
