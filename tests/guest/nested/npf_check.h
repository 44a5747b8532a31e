/* SPDX-License-Identifier: MIT */
/*
 * Running one L2 access against the test NPT and checking the #NPF it
 * must raise (docs/semantics.md §5.1, §7.1), shared by the NPT
 * case files.
 */
#ifndef NV_GUEST_NESTED_NPF_CHECK_H
#define NV_GUEST_NESTED_NPF_CHECK_H

#include <stdint.h>
#include "nested.h"

enum access { ACC_READ, ACC_WRITE, ACC_FETCH };

/* Run L2 doing `acc` at linear address `lin` (fetch: RIP = lin), with NP
 * on; returns the exit code.  *val gets the value read (ACC_READ). */
uint64_t npf_run(enum access acc, uint64_t lin, uint64_t *val);
/* Same with a prepared vmcb12 (NP on, other fields set by the caller). */
uint64_t npf_run_vmcb(struct vmcb *v, enum access acc, uint64_t lin, uint64_t *val);
/* Expect #NPF with exactly this exit_info_1 and exit_info_2. */
int expect_npf(uint64_t info1, uint64_t info2);
/* The I/D bit L1's current EFER.NXE and CR4.SMEP call for (§6.1). */
uint64_t id_bit(void);
/* Put "VMMCALL; HLT" at offset `off` of the region-1 code page. */
void code_vmmcall(unsigned off);

#endif
