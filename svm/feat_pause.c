// SPDX-License-Identifier: MIT
/* Pause filter and threshold: the rules of feat_pause.h. */
#include "svm/feat_pause.h"

void pause_filter_load(struct pause_filter *p, uint16_t count,
		       uint16_t thresh, uint64_t now)
{
	*p = (struct pause_filter){
		.count = count, .thresh = thresh, .left = count, .last = now,
	};
}

bool pause_filter_pause(struct pause_filter *p, uint64_t now)
{
	if (p->thresh && now - p->last > p->thresh)
		p->left = p->count;
	p->last = now;
	if (p->left <= 1) {
		p->left = 0;
		return true;
	}
	p->left--;
	return false;
}
