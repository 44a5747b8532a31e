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
#include "core/hvmem.h"
#include "core/hypercall.h"
#include "core/x86.h"

#define CPUID1_ECX_OSXSAVE   (1u << 27)
#define CPUID1_ECX_HV        (1u << 31)
#define CPUID7_ECX_OSPKE     (1u << 4)

#include "core/nv_version.h"
#include "svm/smp.h"

void handle_cpuid(struct cpu *cpu)
{
	struct vmcb_save *s = &cpu->cur->save;
	uint32_t leaf = (uint32_t)s->rax, sub = (uint32_t)cpu->gregs.rcx;
	struct cpuid_regs r = { 0, 0, 0, 0 };

	if ((leaf & 0xffffff00u) == NV_CPUID_VENDOR_LEAF) {
		if (leaf == NV_CPUID_VENDOR_LEAF)
			r = (struct cpuid_regs){ NV_CPUID_MAX_LEAF,
						 NV_CPUID_SIG_EBX,
						 NV_CPUID_SIG_ECX,
						 NV_CPUID_SIG_EDX };
		else if (leaf == NV_CPUID_VERSION_LEAF)
			r = (struct cpuid_regs){
				NV_VERSION_WORD,
				__atomic_load_n(&smp.nr_running,
						__ATOMIC_RELAXED),
				cpu->apic_id,
				*hvmem.canary == HVMEM_CANARY };
	} else {
		r = cpuid_count(leaf, sub);
		switch (leaf) {
		case 1:
			r.ecx |= CPUID1_ECX_HV;
			r.ecx &= ~CPUID1_ECX_OSXSAVE;
			if (s->cr4 & X86_CR4_OSXSAVE)
				r.ecx |= CPUID1_ECX_OSXSAVE;
			break;
		case 7:
			if (sub == 0) {
				r.ecx &= ~CPUID7_ECX_OSPKE;
				if (s->cr4 & X86_CR4_PKE)
					r.ecx |= CPUID7_ECX_OSPKE;
			}
			break;
		case 0x80000001:
			r.ecx &= ~(1u << 2); /* SVM */
			if (cpu->nested.offered)
				r.ecx |= 1u << 2;
			break;
		case 0x80000008:
			/* nestvisor's NPT for L1 has 4 levels: 48 bits of
			 * guest-physical address at most. */
			if ((r.eax & 0xff) > 48)
				r.eax = (r.eax & ~0xffu) | 48;
			break;
		case 0x8000000a:
			r = (struct cpuid_regs){ 0, 0, 0, 0 };
			if (cpu->nested.offered)
				r = (struct cpuid_regs){
					1, cpu->nested.l1_nr_asids, 0,
					nested_cpuid_edx(cpu) };
			break;
		}
	}
	s->rax = r.eax;
	cpu->gregs.rbx = r.ebx;
	cpu->gregs.rcx = r.ecx;
	cpu->gregs.rdx = r.edx;
	skip_instruction(cpu, INSN_CPUID);
}
