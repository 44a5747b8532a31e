// SPDX-License-Identifier: MIT
/*
 * CPUID as L1 sees it: the CPU's answer, with
 *  - CPUID.1:ECX[31] (hypervisor present) set and the vendor leaves
 *    0x40000000-0x400000ff answered by nestvisor (core/hypercall.h);
 *  - SVM as nestvisor offers it (svm/nested_setup.c): 0x80000001 ECX[2]
 *    and leaf 0x8000000A describe the virtual SVM, not the CPU's;
 *  - the bits that mirror control registers (OSXSAVE, OSPKE) taken from
 *    L1's CR4, because CPUID executes here in host mode with the host's;
 *  - MAXPHYADDR: L1's physical address width (svm/features.h: at most 48,
 *    what nestvisor's 4-level NPT for L1 covers, less what memory
 *    encryption takes), so that L1's own page tables reject higher
 *    addresses as reserved; no separate guest width (EAX[23:16] = 0);
 *  - EFER's LMSLE and TCE not offered (svm/features.c): 0x80000001
 *    ECX[17] (TCE) clear, 0x80000008 EBX[20] (LMSLE unsupported) set;
 *  - memory encryption (leaf 0x8000001F) hidden: nestvisor's NPT has no
 *    C-bit for L1, and L1 may not turn SME on (svm/msr_policy.c).
 */
#include "svm/intercepts.h"
#include "core/hvmem.h"
#include "core/hypercall.h"
#include "core/x86.h"

#define CPUID1_ECX_OSXSAVE   (1u << 27)
#define CPUID1_ECX_HV        (1u << 31)
#define CPUID7_ECX_OSPKE     (1u << 4)
#define CPUID_80000001_ECX_SVM (1u << 2)
#define CPUID_80000001_ECX_TCE (1u << 17)
#define CPUID_80000008_EBX_NO_LMSLE (1u << 20)

#include "core/nv_version.h"
#include "svm/smp.h"

static void cpuid_done(struct cpu *cpu, struct cpuid_regs64 r)
{
	cpu->cur->save.rax = r.rax;
	cpu->gregs.rbx = r.rbx;
	cpu->gregs.rcx = r.rcx;
	cpu->gregs.rdx = r.rdx;
	skip_instruction(cpu, INSN_CPUID);
}

/* The leaves nestvisor answers itself or rewrites, except 1 and 7. */
static struct cpuid_regs64 other_leaf(struct cpu *cpu, uint32_t leaf,
				      uint32_t sub)
{
	struct cpuid_regs64 r = { 0, 0, 0, 0 };

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
		return r;
	}
	r = cpuid_count64(leaf, sub);
	switch (leaf) {
	case 0x80000001:
		r.rcx &= ~(uint64_t)(CPUID_80000001_ECX_SVM |
				     CPUID_80000001_ECX_TCE);
		if (cpu->nested.offered)
			r.rcx |= CPUID_80000001_ECX_SVM;
		break;
	case 0x80000008:
		r.rax = (r.rax & ~0xff00ffull) | cpu->caps.l1_maxphyaddr;
		r.rbx |= CPUID_80000008_EBX_NO_LMSLE;
		break;
	case 0x8000001f:
		r = (struct cpuid_regs64){ 0, 0, 0, 0 };
		break;
	case 0x8000000a:
		r = (struct cpuid_regs64){ 0, 0, 0, 0 };
		if (cpu->nested.offered)
			r = (struct cpuid_regs64){
				1, cpu->nested.l1_nr_asids, 0,
				cpu->nested.l1_cpuid_edx };
		break;
	}
	return r;
}

/* Out of line, so that the common leaves need no stack frame. */
static __attribute__((noinline)) void handle_other_leaf(struct cpu *cpu,
							uint32_t leaf,
							uint32_t sub)
{
	cpuid_done(cpu, other_leaf(cpu, leaf, sub));
}

void handle_cpuid(struct cpu *cpu)
{
	struct vmcb_save *s = &cpu->cur->save;
	uint32_t leaf = (uint32_t)s->rax, sub = (uint32_t)cpu->gregs.rcx;
	struct cpuid_regs64 r;

	/* The basic leaves below the vendor range, the common case, come
	 * from the CPU; of them 1 and 7 are rewritten. */
	if (__builtin_expect(leaf >= NV_CPUID_VENDOR_LEAF, 0)) {
		handle_other_leaf(cpu, leaf, sub);
		return;
	}
	r = cpuid_count64(leaf, sub);
	if (leaf == 1) {
		r.rcx |= CPUID1_ECX_HV;
		r.rcx &= ~(uint64_t)CPUID1_ECX_OSXSAVE;
		if (s->cr4 & X86_CR4_OSXSAVE)
			r.rcx |= CPUID1_ECX_OSXSAVE;
	} else if (leaf == 7 && sub == 0) {
		r.rcx &= ~(uint64_t)CPUID7_ECX_OSPKE;
		if (s->cr4 & X86_CR4_PKE)
			r.rcx |= CPUID7_ECX_OSPKE;
	}
	cpuid_done(cpu, r);
}
