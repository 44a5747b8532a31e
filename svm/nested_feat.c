// SPDX-License-Identifier: MIT
/*
 * The hooks of svm/nested_feat.h: what is offered, and each hook handed
 * to the features it concerns (svm/nested_feat_decode.c,
 * svm/nested_feat_tsc.c, svm/nested_feat_pause.c).
 */
#include "svm/nested_feat.h"
#include "core/err.h"
#include "svm/nested_feat_internal.h"

#define CPUID7_EBX_TSC_ADJUST (1u << 1)

uint32_t nested_feat_init(struct cpu *cpu)
{
	struct nested_feat *f = &cpu->nested.feat;

	/* VMCB clean bits: every VMRUN reads every field it uses, whatever
	 * vmcb12's clean bits say; the APM lets a CPU reload any field. */
	*f = (struct nested_feat){ .decode_assists = true,
				   .vmcb_clean = cpu->nested.offered };
	/* vNMI: the CPU's only (docs/nested.md, "vNMI"): vmcb02 carries
	 * vmcb12's V_NMI bits (the sanitiser keeps them with caps.vnmi) and
	 * the #VMEXIT writes the CPU's back (svm/nested.c). */
	cpu->nested.caps.vnmi = cpu->nested.offered &&
				svm_has(&cpu->caps, SVM_FEAT_VNMI);
	feat_tsc_init(cpu);
	feat_pause_init(cpu);
	return (f->decode_assists ? 1u << SVM_FEAT_DECODE : 0) |
	       (f->vmcb_clean ? 1u << SVM_FEAT_VMCBCLEAN : 0) |
	       (f->tsc_scaling ? 1u << SVM_FEAT_TSCRATE : 0) |
	       (f->pause_filter ? 1u << SVM_FEAT_PAUSEFILTER : 0) |
	       (f->pause_threshold ? 1u << SVM_FEAT_PFTHRESHOLD : 0) |
	       (cpu->nested.caps.vnmi ? 1u << SVM_FEAT_VNMI : 0);
}

void nested_feat_cpuid(struct cpu *cpu, uint32_t leaf, uint32_t sub,
		       struct cpuid_regs64 *r)
{
	if (leaf == 7 && sub == 0 && cpu->nested.feat.tsc_adjust)
		r->rbx |= CPUID7_EBX_TSC_ADJUST;
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

	c->intercept_misc1 |= n->feat.intercept1;
	c->intercept_misc2 |= n->feat.intercept2;
}

void nested_feat_vmrun(struct cpu *cpu)
{
	struct nested_feat *f = &cpu->nested.feat;

	f->intercept1 = f->intercept2 = 0;
	feat_tsc_vmrun(cpu);
	feat_pause_vmrun(cpu);
	nested_feat_intercepts(cpu);
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
	return feat_tsc_exit(cpu, code);
}

void nested_feat_vmexit(struct cpu *cpu, volatile struct vmcb *v12,
			uint64_t code, uint64_t *info1, uint64_t *next_rip)
{
	if (cpu->nested.feat.decode_assists)
		feat_decode_vmexit(cpu, v12, code, info1, next_rip);
	feat_tsc_vmexit(cpu);
}
