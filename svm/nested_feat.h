/* SPDX-License-Identifier: MIT */
/*
 * The SVM features nestvisor offers L1 beyond the base (docs/nested.md,
 * "What L1 is offered"), each the CPU's where it has it and emulated where
 * it does not: decode assists, TSC scaling and TSC_ADJUST, pause filter
 * and threshold, VMCB clean bits, vNMI.  The rules
 * of each are pure functions in svm/feat_*.c; the glue between them and
 * the vCPU is svm/nested_feat*.c, reached through the hooks below from a
 * few places of the nested SVM path (svm/nested.c, svm/nested_exit.c,
 * svm/nested_insns.c, svm/cpuid.c).
 */
#ifndef NV_SVM_NESTED_FEAT_H
#define NV_SVM_NESTED_FEAT_H

#include <stdbool.h>
#include <stdint.h>

#include "svm/feat_decode_assist.h"
#include "svm/feat_pause.h"
#include "svm/feat_tsc.h"
#include "svm/feat_vnmi.h"
#include "svm/event.h"
#include "svm/nested_check.h"
#include "svm/vmcb.h"

struct cpu;

/* Per vCPU: what is offered and the state of the emulations. */
struct nested_feat {
	bool decode_assists;   /* CPUID 8000_000A EDX[7] offered */
	bool vmcb_clean;       /* CPUID 8000_000A EDX[5] offered */
	bool tsc_scaling;      /* CPUID 8000_000A EDX[4] offered */
	bool tsc_adjust;       /* CPUID 7.0 EBX[1] offered (emulated) */
	uint64_t tsc_ratio;    /* L1's TSC ratio MSR (C000_0104h) */
	struct tsc_l1 tsc;     /* L1's TSC offset and TSC_ADJUST */
	uint64_t hw_tsc_ratio; /* the CPU's ratio MSR, where it has one */
	bool pause_filter;     /* CPUID 8000_000A EDX[10] offered */
	bool pause_threshold;  /* CPUID 8000_000A EDX[12] offered */
	struct pause_filter pause; /* L2's counter (loaded by VMRUN) */
	/* What the emulations intercept in vmcb02 on top of L1's and
	 * nestvisor's own (INTERCEPT1_*, INTERCEPT2_*). */
	uint32_t intercept1, intercept2;
	/* vNMI (CPUID 8000_000A EDX[25], offered with nested SVM): the
	 * CPU's, or emulated (svm/nested_feat_vnmi.c) with this state, the
	 * intercepts it adds, a fix-up its single step owes, and the
	 * no-execute copy of vmcb02's NPT root with the root it stands for. */
	bool vnmi_cpu;
	struct vnmi vnmi;
	struct vnmi_intercepts vnmi_icpt;
	uint8_t vnmi_fix;
	uint64_t *vnmi_nx_root;
	uint64_t vnmi_saved_ncr3;
};

/* Decides what to offer from the CPU below and sets nestvisor's MSR
 * intercepts the emulations need; returns the bits of CPUID 8000_000A
 * EDX they add for L1. */
uint32_t nested_feat_init(struct cpu *cpu);

/* The bits of the offered features in CPUID 7.0 EBX (TSC_ADJUST); those
 * of leaf 8000_000A come from nested_feat_init().  Inline: CPUID's
 * handler needs no stack frame (docs/benchmarks.md). */
static inline uint32_t nested_feat_cpuid7_ebx(const struct nested_feat *f)
{
	return f->tsc_adjust ? 1u << 1 : 0;
}

/* MSRs of the offered features (TSC ratio, TSC_ADJUST, the TSC where
 * nestvisor intercepts it), for L1 and for L2 when L1 does not intercept
 * them.  0, or -NV_EINVAL: #GP (or not one of these MSRs). */
int nested_feat_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val);
int nested_feat_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val);

/*
 * vmcb02 has just been built for an emulated VMRUN (svm/nested.c
 * prepare_vmcb02) from vmcb12's cache c12: what the features add to it.
 * Inline, with the features reached only when vmcb12 uses them: every
 * round trip of L2 passes here (docs/benchmarks.md).
 */
void nested_feat_vmrun_slow(struct cpu *cpu);
void feat_vnmi_vmrun(struct cpu *cpu);
static inline void nested_feat_vmrun(struct cpu *cpu, struct nested_feat *f,
				     const struct vmcb12_ctrl_cache *c12,
				     struct vmcb_control *c02)
{
	f->intercept1 = f->intercept2 = 0;
	/* The CPU's pause filter is never used (svm/nested_feat_pause.c). */
	c02->pause_filter_count = 0;
	c02->pause_filter_thresh = 0;
	/* vNMI: the CPU's runs on vmcb12's bits in vmcb02; else they are
	 * nestvisor's alone. */
	if (!f->vnmi_cpu) {
		c02->int_ctl &= ~(V_NMI_PENDING | V_NMI_BLOCKING | V_NMI_ENABLE);
		if ((c12->int_ctl & V_NMI_ENABLE) || f->vnmi.on)
			feat_vnmi_vmrun(cpu);
	}
	/* With ratio 1.0, vmcb02's TSC offset is already L2's. */
	if (f->tsc_ratio != TSC_RATIO_ONE ||
	    (c12->intercept_misc2 & INTERCEPT2_RDTSCP) ||
	    (c12->intercept_misc1 & INTERCEPT1(VMEXIT_PAUSE)))
		nested_feat_vmrun_slow(cpu);
}

/* Adds struct nested_feat's intercept1/2 (and vNMI's) to vmcb02's
 * intercepts c: after every rewrite of them (svm/nested_gif.c
 * nested_update_intercepts()); nested_feat_intercepts() for the running
 * vmcb02. */
static inline void nested_feat_add_intercepts(const struct nested_feat *f,
					      struct vmcb_control *c)
{
	c->intercept_misc1 |= f->intercept1 | f->vnmi_icpt.misc1;
	c->intercept_misc2 |= f->intercept2 | f->vnmi_icpt.misc2;
	c->intercept_exceptions |= f->vnmi_icpt.exceptions;
}
void nested_feat_intercepts(struct cpu *cpu);

/*
 * vNMI where nestvisor emulates it (svm/nested_feat_vnmi.c):
 * nested_feat_entry() before every VMRUN of vmcb02 (svm/smp.c: inject a
 * pending NMI, start a step, keep the intercepts); nested_feat_exit_early()
 * at every exit of vmcb02 before anything else looks at it (true: the
 * exit was the emulation's alone, L2 resumes), which it needs while
 * nested_feat_sees_exits() (svm/nested_exit.c's common path then stands
 * aside); nested_feat_completed()
 * when nestvisor completes an instruction of L2 during a step (returns
 * L2's own TF: is the single-step trap L2's?); nested_feat_vnmi_int_ctl()
 * the V_NMI bits of vmcb12's int_ctl at #VMEXIT.
 */
void feat_vnmi_entry(struct cpu *cpu);
bool feat_vnmi_exit_early(struct cpu *cpu, uint64_t code);
bool feat_vnmi_emulated(struct cpu *cpu);
static inline void nested_feat_entry(struct cpu *cpu, bool guest_mode,
				     struct nested_feat *f)
{
	if (__builtin_expect(guest_mode && f->vnmi.on, 0))
		feat_vnmi_entry(cpu);
}
static inline bool nested_feat_sees_exits(const struct nested_feat *f)
{
	return __builtin_expect(f->vnmi.on &&
				(f->vnmi.step || f->vnmi.after_event), 0);
}
static inline bool nested_feat_exit_early(struct cpu *cpu,
					  struct nested_feat *f, uint64_t code)
{
	if (nested_feat_sees_exits(f))
		return feat_vnmi_exit_early(cpu, code);
	return false;
}
static inline bool nested_feat_completed(struct cpu *cpu, struct nested_feat *f,
					 bool tf)
{
	if (__builtin_expect(f->vnmi.step != VNMI_STEP_NONE, 0))
		return feat_vnmi_emulated(cpu);
	return tf;
}
static inline uint32_t nested_feat_vnmi_int_ctl(const struct nested_feat *f,
						union svm_event exitintinfo)
{
	if (__builtin_expect(!f->vnmi.on, 1))
		return 0;
	return vnmi_int_ctl(&f->vnmi, event_from_cpu(exitintinfo));
}

/* Does an emulation intercept this MSR access of L2, on top of
 * nestvisor's MSR map (the TSC's RDMSR under emulated TSC scaling)?
 * svm/nested_maps.c adds these to every vmcb02 map it makes. */
bool nested_feat_msr_intercepted(const struct cpu *cpu, uint32_t msr,
				 bool write);

/*
 * An exit of vmcb02 before L1's intercepts are looked at: true if a
 * feature absorbed it (a PAUSE the pause filter counts) and L2 resumes.
 */
bool nested_feat_filter(struct cpu *cpu, uint64_t code);

/*
 * The exit code of an exit of vmcb02 as the APM has it, before it is
 * reflected or handled: QEMU TCG reports RDTSCP as an RDTSC intercept
 * (exit 0x6e); the instruction at RIP tells them apart (0x87 for RDTSCP).
 * Also rewrites vmcb02's EXITCODE.
 */
uint64_t nested_feat_exit_code(struct cpu *cpu, uint64_t code);

/*
 * An exit of vmcb02 that L1 does not intercept and nestvisor's other
 * handlers do not know (svm/nested_exit.c): true if a feature's
 * emulation intercepted it and handled it (RDTSC, RDTSCP under emulated
 * TSC scaling; IRET while an emulated V_NMI_MASK is set).
 */
bool nested_feat_exit(struct cpu *cpu, uint64_t code);

/*
 * An emulated #VMEXIT to L1 with exit `code` is being written into vmcb12
 * (svm/nested.c nested_vmexit(), L2's state still in vmcb02): completes
 * what the offered features add to it and returns EXITINFO1 and next_rip
 * (x as given, or completed).  Decode assists: EXITINFO1 of the exits
 * that describe their instruction, the instruction bytes of #PF and #NPF
 * (0 bytes for every other exit; a fault of the fetch itself, told by
 * x.info1 and x.info2, the exit's own, which for a #PF nestvisor raised
 * are that #PF's error code and CR2), and next_rip of the instructions the
 * NRIPS path does not decode.  TSC scaling: the CPU's ratio back to L1's
 * 1.0.  vNMI (emulated): a step cancelled, vmcb02's NPT root its own
 * again, before L2's state is written back.  Inline like
 * nested_feat_vmrun().
 */
struct feat_exit {
	uint64_t info1, next_rip;
	uint64_t info2; /* as given: a #PF's CR2 (nestvisor's own #PF too) */
};
struct feat_exit nested_feat_vmexit_slow(struct cpu *cpu,
					 volatile struct vmcb *v12,
					 uint64_t code, struct feat_exit x);
void feat_vnmi_vmexit(struct cpu *cpu);
static inline struct feat_exit
nested_feat_vmexit(struct cpu *cpu, const struct nested_feat *f,
		   volatile struct vmcb *v12, uint64_t code, struct feat_exit x)
{
	if (f->vnmi.step || f->vnmi.after_event)
		feat_vnmi_vmexit(cpu);
	if ((f->decode_assists && da_exit_is_described(code)) ||
	    f->hw_tsc_ratio != TSC_RATIO_ONE)
		return nested_feat_vmexit_slow(cpu, v12, code, x);
	if (f->decode_assists)
		v12->control.insn_len = 0;
	return x;
}

#endif
