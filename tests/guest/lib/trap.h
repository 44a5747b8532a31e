/* SPDX-License-Identifier: MIT */
/*
 * Exception catcher: lets a test execute one instruction that may fault
 * (#UD, #GP, #PF) and see which exception it raised, if any.
 *
 * trap_begin() disables interrupts and loads a private IDT: a copy of the
 * firmware's, with vectors 6, 13 and 14 pointing at our stubs.  Each
 * trap_* accessor arms the catcher with the address and length of its one
 * faulting-capable instruction; the handler records the exception and
 * resumes after that instruction.  An exception anywhere else is a bug:
 * the handler prints "Bail out!" and ends the run with status 1.
 * trap_end() restores the firmware's IDT and the interrupt flag.  Do not
 * call firmware services between trap_begin() and trap_end().
 */
#ifndef NV_GUEST_TRAP_H
#define NV_GUEST_TRAP_H

#include <stdint.h>
#include "x86.h"

#define TRAP_NONE (-1)
#define TRAP_UD   6
#define TRAP_GP   13
#define TRAP_PF   14

struct trap_session {
	struct desc_ptr fw_idt;
	uint64_t rflags;
};

/* What the last caught exception was. */
struct trap_info {
	int vector;          /* TRAP_NONE if the instruction completed */
	uint64_t error_code;
	uint64_t cr2;        /* for #PF */
};

void trap_begin(struct trap_session *s);
void trap_end(const struct trap_session *s);
const struct trap_info *trap_last(void);
/* "none", "#UD", "#GP", "#PF" or "?". */
const char *trap_name(int vector);

/* Each returns the vector raised (TRAP_UD/GP/PF) or TRAP_NONE. */
int trap_rdmsr(uint32_t msr, uint64_t *val); /* *val = 0 on a fault */
int trap_wrmsr(uint32_t msr, uint64_t val);
int trap_read64(const volatile uint64_t *p, uint64_t *val);
int trap_write64(volatile uint64_t *p, uint64_t val);
/* UD2 (0F 0B): always #UD; checks the catcher itself. */
int trap_ud2(void);
/* SKINIT (0F 01 DE) with EAX = 0: only where it cannot run (under
 * nestvisor, which intercepts it). */
int trap_skinit(void);

/* VMMCALL with RAX, RBX, RCX, RDX in and out (core/hypercall.h ABI). */
struct hc_regs {
	uint64_t rax, rbx, rcx, rdx;
};
int trap_vmmcall(struct hc_regs *r);

#endif
