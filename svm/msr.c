// SPDX-License-Identifier: MIT
/*
 * Intercepted MSRs.  nestvisor keeps EFER.SVME, VM_HSAVE_PA and VM_CR for
 * itself; L1 sees a CPU without SVM, consistent with CPUID:
 *  - RDMSR EFER reads L1's EFER with SVME clear (the real one keeps it);
 *  - WRMSR EFER: #GP for SVME or reserved bits, or for an LME change while
 *    paging is on; LMA cannot be written (the CPU owns it);
 *  - VM_CR and VM_HSAVE_PA do not exist: #GP on read and write;
 *  - MSRs outside the three MSRPM ranges are always intercepted by the CPU
 *    (APM Vol. 2 §15.11): AMD CPUs implement none, so #GP.
 */
#include "svm/intercepts.h"
#include "core/log.h"
#include "core/x86.h"

#define EFER_LMSLE (1ull << 13)
#define EFER_FFXSR (1ull << 14)
#define EFER_TCE   (1ull << 15)
#define EFER_L1_WRITABLE (EFER_SCE | EFER_LME | EFER_LMA | EFER_NXE | \
			  EFER_LMSLE | EFER_FFXSR | EFER_TCE)

static int efer_write(struct cpu *cpu, uint64_t val)
{
	struct vmcb_save *s = &cpu->vmcb01->save;

	if (val & ~EFER_L1_WRITABLE)
		return -1;
	if ((s->cr0 & CR0_PG) && ((val ^ s->efer) & EFER_LME))
		return -1;
	s->efer = (val & ~EFER_LMA) | (s->efer & EFER_LMA) | EFER_SVME;
	return 0;
}

void handle_msr(struct cpu *cpu)
{
	struct vmcb_save *s = &cpu->vmcb01->save;
	uint32_t msr = (uint32_t)cpu->gregs.rcx;
	bool write = cpu->vmcb01->control.exit_info_1 & 1;
	uint64_t val = (s->rax & 0xffffffffu) | (cpu->gregs.rdx << 32);

	if (msr == MSR_EFER && !write) {
		val = s->efer & ~EFER_SVME;
		s->rax = (uint32_t)val;
		cpu->gregs.rdx = val >> 32;
	} else if (msr == MSR_EFER && efer_write(cpu, val) == 0) {
		log_trace("L1 EFER := 0x%lx", val);
	} else {
		log_debug("L1 %s MSR 0x%x: #GP", write ? "WRMSR" : "RDMSR", msr);
		inject_exception(cpu, X86_GP, true, 0);
		return;
	}
	skip_instruction(cpu, write ? INSN_WRMSR : INSN_RDMSR);
}
