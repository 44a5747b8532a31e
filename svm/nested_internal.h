/* SPDX-License-Identifier: MIT */
/* Shared between the files of nested SVM (svm/nested*.c) only. */
#ifndef NV_SVM_NESTED_INTERNAL_H
#define NV_SVM_NESTED_INTERNAL_H

#include "core/x86.h"
#include "svm/vcpu.h"

void nested_set_gif(struct cpu *cpu, bool gif);

/* The state VMLOAD and VMSAVE move (APM Vol. 2 §15.5.2): FS, GS, TR, LDTR,
 * KernelGsBase, STAR, LSTAR, CSTAR, SFMASK, SYSENTER_CS/ESP/EIP. */
void copy_vmload_state(volatile struct vmcb_save *to,
		       const volatile struct vmcb_save *from);

/* L1's EFER (with its virtual SVME). */
static inline uint64_t efer_of_l1(const struct cpu *cpu)
{
	uint64_t e = cpu->vmcb01->save.efer & ~X86_EFER_SVME;
	return cpu->nested.svme ? e | X86_EFER_SVME : e;
}

/* Emulated #VMEXIT to L1 with this exit (svm/nested.c). */
void nested_vmexit(struct cpu *cpu, uint64_t code, uint64_t info1,
		   uint64_t info2, uint64_t next_rip);

/* L2's nested paging (svm/nested_npt.c): prepare for vmcb12's nCR3 and
 * role (0 or -NV_ENOMEM), the root vmcb02 runs with and switching it, and
 * the coherence path of L1's writes to its watched NPT pages.  #NPF itself
 * belongs to svm/npf.c. */
int nested_npt_init(struct cpu *cpu);
int nested_npt_setup(struct cpu *cpu);
uint64_t nested_npt_root(struct cpu *cpu);
void nested_npt_use_root(struct cpu *cpu, uint64_t root);
void nested_npt_l1_write(struct cpu *cpu, uint64_t gpa);
bool nested_npt_protected(struct cpu *cpu, uint64_t gpa);

/* Does L1's vmcb12 intercept this exit of L2? (svm/nested_exit.c) */
bool nested_l1_intercepts(struct cpu *cpu, uint64_t code, uint64_t info1);

#endif
