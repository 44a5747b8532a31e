// SPDX-License-Identifier: MIT
/*
 * Pause filter and threshold for L2 (rules: svm/feat_pause.h;
 * docs/nested.md, "Pause filter").
 *
 * Always emulated, even where the CPU has the filter: the CPU's counter
 * starts again at every VMRUN of vmcb02, and nestvisor runs vmcb02 again
 * after every exit of L2 it handles itself, which L1 never sees.  So while
 * L1 intercepts PAUSE, vmcb02 intercepts every PAUSE (its own filter
 * fields are 0), nestvisor counts them with vmcb12's count and threshold
 * as VMRUN loaded them, moves L2 past the ones the filter absorbs, and
 * reflects the one that is intercepted.  Cycles are TSC ticks; the time
 * nestvisor spends handling an absorbed PAUSE is not counted as L2's.
 */
#include "core/x86.h"
#include "svm/intercepts.h"
#include "svm/nested_feat_internal.h"

void feat_pause_init(struct cpu *cpu)
{
	struct nested_feat *f = &cpu->nested.feat;

	f->pause_filter = f->pause_threshold = cpu->nested.offered;
}

void feat_pause_vmrun(struct cpu *cpu)
{
	struct nested *n = &cpu->nested;
	struct nested_feat *f = &n->feat;
	struct vmcb_control *c = &n->vmcb02->control;

	c->pause_filter_count = 0;
	c->pause_filter_thresh = 0;
	pause_filter_load(&f->pause,
			  f->pause_filter ? n->cache.ctrl.pause_filter_count : 0,
			  f->pause_threshold ? n->cache.ctrl.pause_filter_thresh : 0,
			  rdtsc());
}

bool feat_pause_filter(struct cpu *cpu, uint64_t code)
{
	struct nested *n = &cpu->nested;

	if (code != VMEXIT_PAUSE ||
	    !(n->cache.ctrl.intercept_misc1 & INTERCEPT1(VMEXIT_PAUSE)))
		return false;
	if (pause_filter_pause(&n->feat.pause, rdtsc()))
		return false; /* intercepted: reflected to L1 */
	skip_instruction(cpu, INSN_PAUSE);
	n->feat.pause.last = rdtsc();
	return true;
}
