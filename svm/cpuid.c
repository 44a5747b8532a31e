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
 *    and APIC (Fn0000_0001_EDX[9]) from this CPU's APIC_BASE.EN as L1
 *    set it (svm/apic.c emulates the disable; the real APIC stays on);
 *  - MAXPHYADDR: L1's physical address width (svm/features.h: at most 48,
 *    what nestvisor's 4-level NPT for L1 covers, less what memory
 *    encryption takes), so that L1's own page tables reject higher
 *    addresses as reserved; no separate guest width (EAX[23:16] = 0).
 */
#include "svm/intercepts.h"
#include "svm/apic.h"
#include "core/hvmem.h"
#include "core/hypercall.h"
#include "core/cpuid_bits.h"
#include "core/nv_version.h"
#include "core/x86.h"
#include "svm/cpuid_policy.h"
#include "svm/smp.h"
#include "svm/nested_feat.h"

/* The answer into L1's registers, then RIP past CPUID (its length from
 * insn_begin(), checked before anything was computed; is64: from
 * insn_len_hit(), which answers only for 64-bit code). */
static inline __attribute__((always_inline)) void
cpuid_done(struct cpu *cpu, struct cpuid_regs64 r, uint64_t len, bool is64)
{
	struct vmcb_save *s = &cpu->cur->save;

	s->rax = r.rax;
	cpu->gregs.rbx = r.rbx;
	cpu->gregs.rcx = r.rcx;
	cpu->gregs.rdx = r.rdx;
	if (is64)
		guest_advance_rip64(cpu, s, (unsigned)len);
	else
		guest_advance_rip(cpu, (unsigned)len);
}

/* The vendor leaves and the extended ones: everything but the basic
 * leaves. */
static struct cpuid_regs64 other_leaf(struct cpu *cpu, uint32_t leaf,
				      uint32_t sub)
{
	struct cpuid_regs64 r = { 0, 0, 0, 0 };
	struct cpuid_regs c;
	uint32_t w[4];

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
	c = cpuid_count(leaf, sub);
	w[0] = c.eax;
	w[1] = c.ebx;
	w[2] = c.ecx;
	w[3] = c.edx;
	cpuid_apply_policy(leaf, w);
	switch (leaf) {
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
	return (struct cpuid_regs64){ w[0], w[1], w[2], w[3] };
}

/* Out of line, so that the basic leaves need no stack frame (and no
 * subleaf in a register before the CPUID). */
static __attribute__((noinline)) void handle_other_leaf(struct cpu *cpu,
							uint32_t leaf,
							uint64_t len)
{
	cpuid_done(cpu, other_leaf(cpu, leaf, (uint32_t)cpu->gregs.rcx), len,
		   false);
}

/* The basic leaves (below the vendor range), the common case, come from
 * the CPU with 1 and 7 rewritten; the policy table has no rule for them
 * (its test, tests/host/test_cpuid_policy.c, holds it to that), so it is
 * not looked at here. */
static inline __attribute__((always_inline)) void
cpuid_answer(struct cpu *cpu, uint64_t len, bool is64)
{
	struct vmcb_save *s = &cpu->cur->save;
	uint32_t leaf = (uint32_t)s->rax, sub;
	struct cpuid_regs64 r;

	if (__builtin_expect(leaf >= NV_CPUID_VENDOR_LEAF, 0)) {
		handle_other_leaf(cpu, leaf, len);
		return;
	}
	sub = (uint32_t)cpu->gregs.rcx;
	r = cpuid_count64(leaf, sub);
	if (leaf == 1) {
		r.rcx |= CPUID_1_ECX_HV;
		r.rcx &= ~(uint64_t)CPUID_1_ECX_OSXSAVE;
		if (s->cr4 & X86_CR4_OSXSAVE)
			r.rcx |= CPUID_1_ECX_OSXSAVE;
		r.rdx = cpuid_1_edx((uint32_t)r.rdx,
				    __atomic_load_n(&cpu->vapic.base_msr,
						    __ATOMIC_RELAXED) &
				    APIC_BASE_EN);
	} else if (leaf == 7 && sub == 0) {
		r.rcx &= ~(uint64_t)CPUID_7_ECX_OSPKE;
		if (s->cr4 & X86_CR4_PKE)
			r.rcx |= CPUID_7_ECX_OSPKE;
		r.rbx |= nested_feat_cpuid7_ebx(&cpu->nested.feat);
	}
	cpuid_done(cpu, r, len, is64);
}

/* CPUID whose length insn_begin() must find (a miss of the decode cache,
 * code outside 64-bit mode): out of line, with its stack frame. */
static __attribute__((noinline)) void cpuid_slow(struct cpu *cpu)
{
	int len = insn_begin_slow(cpu, INSN_CPUID);

	if (len >= 0)
		cpuid_answer(cpu, (uint64_t)len, false);
}

void handle_cpuid(struct cpu *cpu)
{
	unsigned len;

	if (__builtin_expect(!insn_len_hit(cpu, INSN_CPUID, &len), 0)) {
		cpuid_slow(cpu);
		return;
	}
	cpuid_answer(cpu, len, true);
}
