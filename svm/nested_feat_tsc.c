// SPDX-License-Identifier: MIT
/*
 * TSC scaling and TSC_ADJUST for L1 and L2 (rules: svm/feat_tsc.h;
 * docs/nested.md, "TSC scaling and TSC_ADJUST").
 *
 * L1's TSC is the host TSC plus vmcb01's TSC_OFFSET (0 until L1 writes
 * TSC_ADJUST or the TSC while nestvisor emulates TSC_ADJUST).  L2's TSC is
 * L1's TSC times L1's ratio plus vmcb12's TSC_OFFSET:
 *  - on a CPU with TSC scaling, vmcb02 runs with the CPU's ratio MSR set
 *    to L1's ratio (back to 1.0 for L1 on the way out) and TSC_OFFSET =
 *    vmcb01's scaled + vmcb12's;
 *  - without, and with a ratio other than 1.0, vmcb02 intercepts RDTSC,
 *    RDTSCP and RDMSR of the TSC, and nestvisor computes the value from
 *    the host TSC at the exit (L1's own intercepts of them come first);
 *    with 1.0, TSC_OFFSET = vmcb01's + vmcb12's, no intercept.
 * The MSR policy (svm/msr_policy.c) intercepts RDMSR/WRMSR of the ratio
 * and TSC_ADJUST and WRMSR of the TSC, for L1 and for L2 (whose accesses
 * L1 does not intercept act on L1's, as in KVM).  TSC_ADJUST, where the
 * CPU lacks it: emulated, moving vmcb01's offset.  Where the CPU has it,
 * both MSRs are the CPU's (vmcb01's offset stays 0, so L1's TSC is the
 * CPU's and the intercepted accesses are made as they were asked).
 * RDTSC exits nestvisor takes for itself are emulated with the same rule
 * (exact for any ratio), and RDTSCP is told from RDTSC by its bytes where
 * the CPU below reports it as RDTSC (QEMU TCG).
 */
#include "core/err.h"
#include "core/x86.h"
#include "svm/intercepts.h"
#include "svm/nested_feat_internal.h"
#include "svm/permmap.h"

#define CPUID7_EBX_TSC_ADJUST (1u << 1)

void feat_tsc_init(struct cpu *cpu)
{
	struct nested_feat *f = &cpu->nested.feat;

	f->tsc_scaling = cpu->nested.offered;
	f->tsc_ratio = TSC_RATIO_ONE;
	f->hw_tsc_ratio = TSC_RATIO_ONE;
	/* The ratio applies to every guest: L1 runs unscaled. */
	if (svm_has(&cpu->caps, SVM_FEAT_TSCRATE))
		wrmsr(MSR_TSC_RATIO, TSC_RATIO_ONE);
	f->tsc_adjust = cpu->nested.offered &&
			!(cpuid_count(7, 0).ebx & CPUID7_EBX_TSC_ADJUST);
}

bool feat_tsc_rdmsr_intercepted(const struct cpu *cpu)
{
	return !svm_has(&cpu->caps, SVM_FEAT_TSCRATE) &&
	       cpu->nested.feat.tsc_ratio != TSC_RATIO_ONE;
}

static uint64_t l1_tsc_now(const struct cpu *cpu)
{
	return rdtsc() + cpu->vmcb01->control.tsc_offset;
}

static uint64_t l2_tsc_now(const struct cpu *cpu)
{
	return tsc_l2(l1_tsc_now(cpu), cpu->nested.feat.tsc_ratio,
		      cpu->nested.cache.ctrl.tsc_offset);
}

static void set_hw_ratio(struct cpu *cpu, uint64_t r)
{
	struct nested_feat *f = &cpu->nested.feat;

	if (!svm_has(&cpu->caps, SVM_FEAT_TSCRATE) || f->hw_tsc_ratio == r)
		return;
	wrmsr(MSR_TSC_RATIO, r);
	f->hw_tsc_ratio = r;
}

/* vmcb02's TSC for the current ratio and offsets, and the intercepts the
 * emulation needs (struct nested_feat.intercept1/2).  Intercepts are only
 * added: one that stays after the ratio returns to 1.0 is emulated
 * exactly all the same. */
static void tsc02(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct vmcb_control *c = &n->vmcb02->control;
	uint64_t o1 = cpu->vmcb01->control.tsc_offset;
	uint64_t o2 = n->cache.ctrl.tsc_offset, r = n->feat.tsc_ratio;

	if (svm_has(&cpu->caps, SVM_FEAT_TSCRATE)) {
		c->tsc_offset = tsc_offset02_scaled(o1, r, o2);
		return;
	}
	c->tsc_offset = o1 + o2;
	/* QEMU TCG checks only the RDTSC intercept for RDTSCP: intercept
	 * RDTSC too, so that an RDTSCP L1 intercepts is seen (then told from
	 * RDTSC by nested_feat_exit_code()). */
	if (n->cache.ctrl.intercept_misc2 & INTERCEPT2_RDTSCP)
		n->feat.intercept1 |= INTERCEPT1_RDTSC;
	if (r == TSC_RATIO_ONE)
		return;
	n->feat.intercept1 |= INTERCEPT1_RDTSC;
	if (n->caps.rdtscp)
		n->feat.intercept2 |= INTERCEPT2_RDTSCP;
	/* RDMSR of the TSC: in vmcb02's MSR map now, and in every map made
	 * while feat_tsc_rdmsr_intercepted() (svm/nested_maps.c). */
	msrpm_set(n->msrpm02, MSR_TSC, true, false);
}

/* The same while L2 runs: vmcb02's intercepts are already built. */
static void tsc02_running(struct cpu *cpu)
{
	tsc02(cpu);
	nested_feat_intercepts(cpu);
}

void feat_tsc_vmrun(struct cpu *cpu)
{
	tsc02(cpu);
	set_hw_ratio(cpu, cpu->nested.feat.tsc_ratio);
}

void feat_tsc_vmexit(struct cpu *cpu)
{
	set_hw_ratio(cpu, TSC_RATIO_ONE);
}

/* L1's TSC offset changed (TSC_ADJUST emulation). */
static void l1_offset_changed(struct cpu *cpu)
{
	cpu->vmcb01->control.tsc_offset = cpu->nested.feat.tsc.offset;
	if (cpu->nested.guest_mode)
		tsc02_running(cpu);
}

int feat_tsc_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val)
{
	const struct nested_feat *f = &cpu->nested.feat;

	switch (msr) {
	case MSR_TSC_RATIO:
		if (!f->tsc_scaling)
			return -NV_EINVAL;
		*val = f->tsc_ratio;
		return 0;
	case MSR_TSC_ADJUST:
		if (!f->tsc_adjust) /* the CPU's, or #GP */
			return rdmsr_safe(msr, val);
		*val = f->tsc.adjust;
		return 0;
	case MSR_TSC: /* intercepted for L2's emulated scaling only */
		*val = cpu->nested.guest_mode ? l2_tsc_now(cpu) : l1_tsc_now(cpu);
		return 0;
	default:
		return -NV_EINVAL;
	}
}

int feat_tsc_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val)
{
	struct nested_feat *f = &cpu->nested.feat;

	switch (msr) {
	case MSR_TSC_RATIO:
		if (!f->tsc_scaling || !tsc_ratio_valid(val))
			return -NV_EINVAL;
		f->tsc_ratio = val;
		if (cpu->nested.guest_mode) { /* L2's write of L1's MSR */
			tsc02_running(cpu);
			set_hw_ratio(cpu, val);
		}
		return 0;
	case MSR_TSC_ADJUST:
		if (!f->tsc_adjust) /* the CPU's, or #GP */
			return wrmsr_safe(msr, val);
		tsc_l1_write_adjust(&f->tsc, val);
		l1_offset_changed(cpu);
		return 0;
	case MSR_TSC:
		if (!f->tsc_adjust) /* the CPU's: L1's TSC is the CPU's */
			return wrmsr_safe(msr, val);
		tsc_l1_write_tsc(&f->tsc, rdtsc(), val);
		l1_offset_changed(cpu);
		return 0;
	default:
		return -NV_EINVAL;
	}
}

/* An RDTSC exit is RDTSC's or, from QEMU TCG, RDTSCP's (the decode
 * cache makes the common case cheap). */
bool feat_tsc_is_rdtscp(struct cpu *cpu)
{
	return !guest_insn_is(cpu, INSN_RDTSC) &&
	       guest_insn_is(cpu, INSN_RDTSCP);
}

bool feat_tsc_exit(struct cpu *cpu, uint64_t code)
{
	struct vmcb_save *s = &cpu->cur->save;
	uint64_t v;

	if (code != VMEXIT_RDTSC && code != VMEXIT_RDTSCP)
		return false;
	v = cpu->nested.guest_mode ? l2_tsc_now(cpu) : l1_tsc_now(cpu);
	s->rax = (uint32_t)v;
	cpu->gregs.rdx = v >> 32;
	if (code == VMEXIT_RDTSCP)
		cpu->gregs.rcx = (uint32_t)rdmsr(MSR_TSC_AUX);
	skip_instruction(cpu, code == VMEXIT_RDTSC ? INSN_RDTSC : INSN_RDTSCP);
	return true;
}
