/* SPDX-License-Identifier: MIT */
/*
 * The first step of every page nestvisor emulates for L1 (the xAPIC page,
 * the I/O APIC, the interrupt-message window, hidden ECAM pages, locked
 * chipset registers): the access exited with #NPF, and the instruction at
 * RIP must be one whose memory access nestvisor can perform (svm/insn.h:
 * MOV to or from memory, XCHG).  Any other instruction gets #GP(0),
 * logged with the page's name.
 */
#ifndef NV_SVM_MMIO_EMUL_H
#define NV_SVM_MMIO_EMUL_H

#include <stdint.h>

#include "core/log.h"
#include "svm/insn.h"

struct cpu;

/* One emulated page's instructions; a static object per page kind. */
struct mmio_emul {
	const char *what;	/* "a write to the APIC page", for the log */
	uint64_t ops;		/* MMIO_OP() of the instructions emulated */
	struct log_limit limit;	/* the warning's rate limit (core/log.h) */
};

#define MMIO_OP(op) (1ull << (op))
_Static_assert(INSN_NR_OPS <= 64, "an enum insn_op bit per op in a uint64_t");

/* The instruction at RIP that accessed gpa: 0 with *in decoded if it is
 * one of e->ops; else mmio_emul_refuse() and -NV_EINVAL. */
int mmio_emul_decode(struct cpu *cpu, uint64_t gpa, struct mmio_emul *e,
		     struct insn *in);

/* Logs "CPU n: <what> at <gpa> by an instruction nestvisor does not
 * emulate (rip ...): #GP" (rate-limited) and raises #GP(0). */
void mmio_emul_refuse(struct cpu *cpu, uint64_t gpa, struct mmio_emul *e);

#endif
