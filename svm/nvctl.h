/* SPDX-License-Identifier: MIT */
/*
 * What nestvisor shows L1's nvctl tool (docs/hypercalls.md, "nvctl"):
 * the read-only hypercalls NV_HC_INFO..NV_HC_TRACE_READ and the trace of
 * the #NPFs nestvisor reflects to L1.  Answers go in registers only.
 */
#ifndef NV_SVM_NVCTL_H
#define NV_SVM_NVCTL_H

#include <stdbool.h>
#include <stdint.h>

struct cpu;
struct snpt_fault_result;

/* Allocates the trace; user: CPL > 0 may call (config nvctl = on).
 * 0, or -1 when out of memory. */
int nvctl_init(bool user);

/* Is call nr an nvctl call that a guest at this CPL may make? */
bool nvctl_allowed(uint64_t nr, unsigned cpl);

/* Answers nvctl call nr in cpu's registers; returns the status. */
long nvctl_call(struct cpu *cpu, uint64_t nr);

/* Records an #NPF of L2 that nestvisor reflects to L1 (r: the shadow NPT's
 * verdict; vmcb02 still holds the CPU's exit). */
void nvctl_trace_npf(struct cpu *cpu, const struct snpt_fault_result *r);

#endif
