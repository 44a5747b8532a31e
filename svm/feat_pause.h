/* SPDX-License-Identifier: MIT */
/*
 * Pause filter (CPUID 8000_000A EDX[10]) and pause filter threshold
 * (EDX[12]), AMD APM Vol. 2 "Pause Intercept Filtering", as nestvisor counts them for L2.
 *
 * VMRUN loads an internal counter from the VMCB's PauseFilterCount
 * (03Eh).  While the PAUSE intercept is set, each PAUSE decrements it and
 * the PAUSE that brings it to zero is intercepted; with a count of 0 every
 * PAUSE is.  With a non-zero PauseFilterThreshold (03Ch), a PAUSE that
 * comes more than that many cycles after the previous one first reloads
 * the counter from PauseFilterCount.
 *
 * Pure functions; the glue is svm/nested_feat_pause.c.
 */
#ifndef NV_SVM_FEAT_PAUSE_H
#define NV_SVM_FEAT_PAUSE_H

#include <stdbool.h>
#include <stdint.h>

struct pause_filter {
	uint16_t count;   /* PauseFilterCount at VMRUN */
	uint16_t thresh;  /* PauseFilterThreshold at VMRUN (0: none) */
	uint16_t left;    /* the internal counter */
	uint64_t last;    /* cycle of the previous PAUSE (or of VMRUN) */
};

/* VMRUN: count and threshold as offered (0 where not), at cycle now. */
void pause_filter_load(struct pause_filter *p, uint16_t count,
		       uint16_t thresh, uint64_t now);

/* A PAUSE at cycle `now` while L1 intercepts PAUSE: true if it is
 * intercepted, false if the filter absorbs it. */
bool pause_filter_pause(struct pause_filter *p, uint64_t now);

#endif
