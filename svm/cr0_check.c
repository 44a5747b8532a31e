// SPDX-License-Identifier: MIT
/*
 * MOV to CR0 and LMSW as the CPU executes them (APM Vol. 2 §3.1.1 "CR0",
 * §14.6 and §14.7 "Enabling and Deactivating Long Mode"; Vol. 3 "MOV CRn",
 * "LMSW"), as svm/cr.c applies them; plain C, host-tested
 * (tests/host/test_cr0.c).
 */
#include "svm/intercepts.h"

/* The CR0 bits a write sets: the rest are reserved (bits 63:32 #GP, the
 * reserved bits of 31:0 are not changed by software), ET reads as 1. */
#define CR0_WRITABLE (X86_CR0_PE | X86_CR0_MP | X86_CR0_EM | X86_CR0_TS | \
		      X86_CR0_NE | X86_CR0_WP | X86_CR0_AM | X86_CR0_NW |   \
		      X86_CR0_CD | X86_CR0_PG)

bool cr0_write_faults(const struct cr0_write *w, uint64_t val)
{
	bool paging_on = !(w->cr0 & X86_CR0_PG) && (val & X86_CR0_PG);
	bool paging_off = (w->cr0 & X86_CR0_PG) && !(val & X86_CR0_PG);

	if (val >> 32)
		return true;
	if ((val & X86_CR0_NW) && !(val & X86_CR0_CD))
		return true;
	if ((val & X86_CR0_PG) && !(val & X86_CR0_PE))
		return true;
	/* Activating long mode needs PAE, and (KVM's rule) a CS that is
	 * not a 64-bit one yet. */
	if (paging_on && (w->efer & X86_EFER_LME) &&
	    (!(w->cr4 & X86_CR4_PAE) || w->cs_l))
		return true;
	/* Long mode is left from compatibility mode only; and not with
	 * PCIDE set (KVM's rule, which the SDM states). */
	if (paging_off && (w->efer & X86_EFER_LMA) && w->cs_l)
		return true;
	if (paging_off && (w->cr4 & X86_CR4_PCIDE))
		return true;
	if (!(val & X86_CR0_WP) && (w->cr4 & X86_CR4_CET))
		return true;
	return false;
}

uint64_t cr0_written(uint64_t old, uint64_t val)
{
	return (old & ~CR0_WRITABLE) | (val & CR0_WRITABLE) | X86_CR0_ET;
}

uint64_t cr0_lmsw(uint64_t old, uint16_t src)
{
	/* Bits 3:0 (PE, MP, EM, TS) from the source; PE cannot be cleared. */
	return (old & ~0xeull) | (src & 0xfu);
}

uint64_t cr0_efer_after(uint64_t efer, uint64_t old, uint64_t val)
{
	if (!(old & X86_CR0_PG) && (val & X86_CR0_PG) && (efer & X86_EFER_LME))
		return efer | X86_EFER_LMA;
	if ((old & X86_CR0_PG) && !(val & X86_CR0_PG))
		return efer & ~X86_EFER_LMA;
	return efer;
}
