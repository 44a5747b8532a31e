/* SPDX-License-Identifier: MIT */
/* Shared between svm/nested_feat*.c only: each feature's glue. */
#ifndef NV_SVM_NESTED_FEAT_INTERNAL_H
#define NV_SVM_NESTED_FEAT_INTERNAL_H

#include "svm/nested_feat.h"
#include "svm/vcpu.h"

/* Decode assists (svm/nested_feat_decode.c), for the exits of
 * da_exit_has_bytes() and da_exit_has_info1(). */
void feat_decode_vmexit(struct cpu *cpu, volatile struct vmcb *v12,
			uint64_t code, struct feat_exit *x);

/* TSC scaling and TSC_ADJUST (svm/nested_feat_tsc.c). */
void feat_tsc_init(struct cpu *cpu);
bool feat_tsc_rdmsr_intercepted(const struct cpu *cpu);
int feat_tsc_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val);
int feat_tsc_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val);
void feat_tsc_vmrun(struct cpu *cpu);
void feat_tsc_vmexit(struct cpu *cpu);
bool feat_tsc_exit(struct cpu *cpu, uint64_t code);
bool feat_tsc_is_rdtscp(struct cpu *cpu);

/* Pause filter and threshold (svm/nested_feat_pause.c). */
void feat_pause_init(struct cpu *cpu);
void feat_pause_vmrun(struct cpu *cpu);
bool feat_pause_filter(struct cpu *cpu, uint64_t code);

/* vNMI (svm/nested_feat_vnmi.c); the hooks of nested_feat.h besides. */
void feat_vnmi_init(struct cpu *cpu);
bool feat_vnmi_exit(struct cpu *cpu, uint64_t code);

#endif
