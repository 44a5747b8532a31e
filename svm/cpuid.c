// SPDX-License-Identifier: MIT
/*
 * CPUID as L1 sees it: the CPU's answer, with
 *  - the bits of svm/cpuid_policy.c hidden (the one table of what L1 is
 *    not offered: SKINIT, TCE, LMSLE, INVLPGB, MCOMMIT, INT_WBINVD, UAI,
 *    memory encryption; docs/hypercalls.md has it too);
 *  - CPUID.1:ECX[31] (hypervisor present) set and the vendor leaves
 *    0x40000000-0x400000ff answered by nestvisor (core/hypercall.h);
 *  - SVM as nestvisor offers it (svm/nested_setup.c): 0x80000001 ECX[2]
 *    and leaf 0x8000000A describe the virtual SVM, not the CPU's;
 *  - the bits that mirror control registers (OSXSAVE, OSPKE) taken from
 *    L1's CR4, because CPUID executes here in host mode with the host's;
 *  - MAXPHYADDR: L1's physical address width (svm/features.h: at most 48,
 *    what nestvisor's 4-level NPT for L1 covers, less what memory
 *    encryption takes), so that L1's own page tables reject higher
 *    addresses as reserved; no separate guest width (EAX[23:16] = 0).
 */
#include "svm/intercepts.h"
#include "core/hvmem.h"
#include "core/hypercall.h"
#include "core/cpuid_bits.h"
#include "core/nv_version.h"
#include "core/x86.h"
#include "svm/cpuid_policy.h"
#include "svm/smp.h"
#include "svm/nested_feat.h"

void handle_cpuid(struct cpu *cpu)
{
	struct vmcb_save *s = &cpu->cur->save;
	uint32_t leaf = (uint32_t)s->rax, sub = (uint32_t)cpu->gregs.rcx;
	struct cpuid_regs64 r = { 0, 0, 0, 0 };
	int len = insn_begin(cpu, INSN_CPUID);

	if (len < 0)
		return;
	if ((leaf & 0xffffff00u) == NV_CPUID_VENDOR_LEAF) {
		if (leaf == NV_CPUID_VENDOR_LEAF)
			r = (struct cpuid_regs64){ NV_CPUID_MAX_LEAF,
						   NV_CPUID_SIG_EBX,
						   NV_CPUID_SIG_ECX,
						   NV_CPUID_SIG_EDX };
		else if (leaf == NV_CPUID_VERSION_LEAF)
			r = (struct cpuid_regs64){
				NV_VERSION_WORD,
				__atomic_load_n(&smp.nr_running,
						__ATOMIC_RELAXED),
				cpu->apic_id,
				*hvmem.canary == HVMEM_CANARY };
	} else {
		struct cpuid_regs c = cpuid_count(leaf, sub);
		uint32_t w[4] = { c.eax, c.ebx, c.ecx, c.edx };

		cpuid_apply_policy(leaf, w);
		switch (leaf) {
		case 1:
			w[CPUID_ECX] |= CPUID_1_ECX_HV;
			w[CPUID_ECX] &= ~CPUID_1_ECX_OSXSAVE;
			if (s->cr4 & X86_CR4_OSXSAVE)
				w[CPUID_ECX] |= CPUID_1_ECX_OSXSAVE;
			break;
		case 7:
			if (sub == 0) {
				w[CPUID_ECX] &= ~CPUID_7_ECX_OSPKE;
				if (s->cr4 & X86_CR4_PKE)
					w[CPUID_ECX] |= CPUID_7_ECX_OSPKE;
				w[CPUID_EBX] |= nested_feat_cpuid7_ebx(&cpu->nested.feat);
			}
			break;
		case 0x80000001:
			w[CPUID_ECX] &= ~CPUID_E1_ECX_SVM;
			if (cpu->nested.offered)
				w[CPUID_ECX] |= CPUID_E1_ECX_SVM;
			break;
		case 0x80000008:
			w[CPUID_EAX] = (w[CPUID_EAX] & ~(CPUID_E8_EAX_PHYS_BITS |
							 CPUID_E8_EAX_GUEST_PHYS)) |
				       cpu->caps.l1_maxphyaddr;
			break;
		case 0x8000000a:
			w[0] = w[1] = w[2] = w[3] = 0;
			if (cpu->nested.offered) {
				w[CPUID_EAX] = 1;
				w[CPUID_EBX] = cpu->nested.l1_nr_asids;
				w[CPUID_EDX] = cpu->nested.l1_cpuid_edx;
			}
			break;
		}
		r = (struct cpuid_regs64){ w[0], w[1], w[2], w[3] };
	}
	s->rax = r.rax;
	cpu->gregs.rbx = r.rbx;
	cpu->gregs.rcx = r.rcx;
	cpu->gregs.rdx = r.rdx;
	guest_advance_rip(cpu, (unsigned)len);
}
