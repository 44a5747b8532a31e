// SPDX-License-Identifier: MIT
/*
 * The #GP conditions of MOV to CR4 (APM Vol. 2 §3.1.3, Vol. 3 "MOV CRn"),
 * as svm/cr.c applies them; plain C, host-tested (tests/host/test_cr4).
 */
#include "svm/intercepts.h"

bool cr4_write_faults(uint64_t allowed, uint64_t old, uint64_t val,
		      uint64_t cr0, uint64_t cr3, uint64_t efer)
{
	bool lma = efer & X86_EFER_LMA;

	if (val & ~allowed)
		return true;
	if (lma && !(val & X86_CR4_PAE))
		return true;
	if (lma && ((val ^ old) & X86_CR4_LA57))
		return true;
	if ((val & X86_CR4_PCIDE) && !(old & X86_CR4_PCIDE) &&
	    (!lma || (cr3 & 0xfff)))
		return true;
	if ((val & X86_CR4_CET) && !(cr0 & X86_CR0_WP))
		return true;
	return false;
}
