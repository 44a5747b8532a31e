// SPDX-License-Identifier: MIT
/*
 * The hooks of svm/nested_feat.h: what is offered, and each hook handed
 * to the features it concerns (svm/nested_feat_decode.c,
 * svm/nested_feat_tsc.c, svm/nested_feat_pause.c).
 */
#include "svm/nested_feat.h"
#include "core/err.h"
#include "svm/feat_decode_assist.h"
#include "svm/nested_feat_internal.h"

uint32_t nested_feat_init(struct cpu *cpu)
{
	struct nested_feat *f = &cpu->nested.feat;

	/* VMCB clean bits: every VMRUN reads every field it uses, whatever
	 * vmcb12's clean bits say; the APM lets a CPU reload any field. */
	*f = (struct nested_feat){ .decode_assists = true,
				   .vmcb_clean = cpu->nested.offered };
	/* vNMI: the CPU's, or emulated (svm/nested_feat_vnmi.c); the
	 * sanitiser keeps vmcb12's V_NMI bits with caps.vnmi. */
	feat_vnmi_init(cpu);
	feat_tsc_init(cpu);
	feat_pause_init(cpu);
	return (f->decode_assists ? 1u << SVM_FEAT_DECODE : 0) |
	       (f->vmcb_clean ? 1u << SVM_FEAT_VMCBCLEAN : 0) |
	       (f->tsc_scaling ? 1u << SVM_FEAT_TSCRATE : 0) |
	       (f->pause_filter ? 1u << SVM_FEAT_PAUSEFILTER : 0) |
	       (f->pause_threshold ? 1u << SVM_FEAT_PFTHRESHOLD : 0) |
	       (cpu->nested.caps.vnmi ? 1u << SVM_FEAT_VNMI : 0);
}

int nested_feat_rdmsr(struct cpu *cpu, uint32_t msr, uint64_t *val)
{
	return feat_tsc_rdmsr(cpu, msr, val);
}

int nested_feat_wrmsr(struct cpu *cpu, uint32_t msr, uint64_t val)
{
	return feat_tsc_wrmsr(cpu, msr, val);
}

void nested_feat_intercepts(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct vmcb_control *c = &n->vmcb02->control;

	nested_feat_add_intercepts(&n->feat, c);
}

bool nested_feat_msr_intercepted(const struct cpu *cpu, uint32_t msr,
				 bool write)
{
	return msr == MSR_TSC && !write && feat_tsc_rdmsr_intercepted(cpu);
}

void nested_feat_vmrun_slow(struct cpu *cpu)
{
	const struct vmcb12_ctrl_cache *c12 = &cpu->nested.cache.ctrl;

	if (cpu->nested.feat.tsc_ratio != TSC_RATIO_ONE ||
	    (c12->intercept_misc2 & INTERCEPT2_RDTSCP))
		feat_tsc_vmrun(cpu);
	if (c12->intercept_misc1 & INTERCEPT1(VMEXIT_PAUSE))
		feat_pause_vmrun(cpu);
	/* intercept1/2 reach vmcb02 through nested_update_intercepts() */
}

bool nested_feat_filter(struct cpu *cpu, uint64_t code)
{
	return feat_pause_filter(cpu, code);
}

uint64_t nested_feat_exit_code(struct cpu *cpu, uint64_t code)
{
	if (code == VMEXIT_RDTSC && feat_tsc_is_rdtscp(cpu))
		cpu->cur->control.exit_code = code = VMEXIT_RDTSCP;
	return code;
}

bool nested_feat_exit(struct cpu *cpu, uint64_t code)
{
	return feat_tsc_exit(cpu, code) || feat_vnmi_exit(cpu, code);
}

struct feat_exit nested_feat_vmexit_slow(struct cpu *cpu,
					 volatile struct vmcb *v12,
					 uint64_t code, struct feat_exit x)
{
	const struct nested_feat *f = &cpu->nested.feat;

	if (f->decode_assists) {
		if (da_exit_has_bytes(code) || da_exit_has_info1(code))
			feat_decode_vmexit(cpu, v12, code, &x);
		else
			v12->control.insn_len = 0;
	}
	if (f->hw_tsc_ratio != TSC_RATIO_ONE)
		feat_tsc_vmexit(cpu);
	return x;
}
