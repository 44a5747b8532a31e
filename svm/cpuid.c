// SPDX-License-Identifier: MIT
/*
 * CPUID as L1 sees it: the CPU's answer, with
 *  - CPUID.1:ECX[31] (hypervisor present) set and the vendor leaves
 *    0x40000000-0x400000ff answered by nestvisor (core/hypercall.h);
 *  - SVM as nestvisor offers it (svm/nested_setup.c): 0x80000001 ECX[2]
 *    and leaf 0x8000000A describe the virtual SVM, not the CPU's;
 *  - the bits that mirror control registers (OSXSAVE, OSPKE) taken from
 *    L1's CR4, because CPUID executes here in host mode with the host's;
 *  - MAXPHYADDR at most 48, what nestvisor's 4-level NPT for L1 covers, so
 *    that L1's own page tables reject higher addresses as reserved.
 */
#include "svm/intercepts.h"
#include "core/hypercall.h"
#include "core/x86.h"

#define CPUID1_ECX_OSXSAVE   (1u << 27)
#define CPUID1_ECX_HV        (1u << 31)
#define CPUID7_ECX_OSPKE     (1u << 4)
#define CPUID_80000001_ECX_SVM (1u << 2)

#include "core/nv_version.h"

void handle_cpuid(struct cpu *cpu)
{
	struct vmcb_save *s = &cpu->cur->save;
	uint32_t leaf = (uint32_t)s->rax, sub = (uint32_t)cpu->gregs.rcx;
	struct cpuid_regs64 r = { 0, 0, 0, 0 };

	if ((leaf & 0xffffff00u) == NV_CPUID_VENDOR_LEAF) {
		if (leaf == NV_CPUID_VENDOR_LEAF)
			r = (struct cpuid_regs64){ NV_CPUID_MAX_LEAF,
						   NV_CPUID_SIG_EBX,
						   NV_CPUID_SIG_ECX,
						   NV_CPUID_SIG_EDX };
		else if (leaf == NV_CPUID_VERSION_LEAF)
			r.rax = NV_VERSION_WORD;
	} else {
		r = cpuid_count64(leaf, sub);
		switch (leaf) {
		case 1:
			r.rcx |= CPUID1_ECX_HV;
			r.rcx &= ~(uint64_t)CPUID1_ECX_OSXSAVE;
			if (s->cr4 & X86_CR4_OSXSAVE)
				r.rcx |= CPUID1_ECX_OSXSAVE;
			break;
		case 7:
			if (sub == 0) {
				r.rcx &= ~(uint64_t)CPUID7_ECX_OSPKE;
				if (s->cr4 & X86_CR4_PKE)
					r.rcx |= CPUID7_ECX_OSPKE;
				r.rbx |= nested_feat_cpuid7_ebx(&cpu->nested.feat);
			}
			break;
		case 0x80000001:
			r.rcx &= ~(uint64_t)CPUID_80000001_ECX_SVM;
			if (cpu->nested.offered)
				r.rcx |= CPUID_80000001_ECX_SVM;
			break;
		case 0x80000008:
			/* nestvisor's NPT for L1 has 4 levels: 48 bits of
			 * guest-physical address at most. */
			if ((r.rax & 0xff) > 48)
				r.rax = (r.rax & ~0xffull) | 48;
			break;
		case 0x8000000a:
			r = (struct cpuid_regs64){ 0, 0, 0, 0 };
			if (cpu->nested.offered)
				r = (struct cpuid_regs64){
					1, cpu->nested.l1_nr_asids, 0,
					cpu->nested.l1_cpuid_edx };
			break;
		}
	}
	s->rax = r.rax;
	cpu->gregs.rbx = r.rbx;
	cpu->gregs.rcx = r.rcx;
	cpu->gregs.rdx = r.rdx;
	skip_instruction(cpu, INSN_CPUID);
}
