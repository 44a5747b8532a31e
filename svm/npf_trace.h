/* SPDX-License-Identifier: MIT */
/*
 * The trace of the #NPFs nestvisor reflects to L1 (the one place is
 * svm/nested_npt.c), read by L1's nvctl through NV_HC_TRACE_READ
 * (core/hypercall.h).  A ring of records numbered by a sequence number
 * that never repeats; lossy: a new record overwrites the oldest, and a
 * record overwritten before any reader fetched it counts as dropped.
 * Plain C, no hypervisor state: host-tested (tests/host/test_npf_trace.c).
 */
#ifndef NV_SVM_NPF_TRACE_H
#define NV_SVM_NPF_TRACE_H

#include <stdbool.h>
#include <stdint.h>

#define NPF_TRACE_CAPACITY 1024u

struct npf_trace_rec {
	uint64_t seq;            /* set by npf_trace_record() */
	uint64_t ngpa;           /* L2 gpa, EXITINFO2 */
	uint64_t exit_info_1;    /* as reflected to L1 */
	uint64_t hw_exit_info_1; /* the CPU's, to nestvisor */
	uint64_t role;           /* cpu_role of the walk of L1's NPT */
	uint64_t rip;            /* L2's RIP */
	uint64_t ncr3;           /* L1's nCR3 */
	uint8_t cpu;
	uint8_t exec_user;       /* GMET class of the root: 1 = CPL 3 */
	uint8_t cpl;             /* L2's CPL */
	uint8_t level;           /* level of the faulting entry, 0 = rights */
	uint8_t rights;          /* ACC_* of the entries walked */
	uint8_t maxphyaddr;      /* L1's */
	uint8_t gmet_hw;         /* the CPU does GMET (else emulated) */
};

struct npf_trace {
	struct npf_trace_rec rec[NPF_TRACE_CAPACITY];
	uint64_t head;      /* sequence number of the next record */
	uint64_t fetched;   /* every record below this was fetched */
	uint64_t drops;
};

void npf_trace_init(struct npf_trace *t);
/* Store r (its seq is assigned) over the oldest record. */
void npf_trace_record(struct npf_trace *t, const struct npf_trace_rec *r);
/* The oldest record held with seq >= want into *out: true, or false when
 * there is none (yet). */
bool npf_trace_fetch(struct npf_trace *t, uint64_t want,
		     struct npf_trace_rec *out);

#endif
