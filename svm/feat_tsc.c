// SPDX-License-Identifier: MIT
/* The TSC as L1 and L2 see it: the rules of feat_tsc.h. */
#include "svm/feat_tsc.h"

bool tsc_ratio_valid(uint64_t r)
{
	return (r & TSC_RATIO_RSVD) == 0;
}

uint64_t tsc_scale(uint64_t tsc, uint64_t ratio)
{
	return (uint64_t)(((unsigned __int128)tsc * ratio) >> 32);
}

uint64_t tsc_l2(uint64_t l1_tsc, uint64_t ratio, uint64_t offset12)
{
	return tsc_scale(l1_tsc, ratio) + offset12;
}

uint64_t tsc_offset02_scaled(uint64_t offset01, uint64_t ratio,
			     uint64_t offset12)
{
	uint64_t scaled = (int64_t)offset01 < 0 ?
				  -tsc_scale(-offset01, ratio) :
				  tsc_scale(offset01, ratio);

	return scaled + offset12;
}

void tsc_l1_write_adjust(struct tsc_l1 *t, uint64_t v)
{
	t->offset += v - t->adjust;
	t->adjust = v;
}

void tsc_l1_write_tsc(struct tsc_l1 *t, uint64_t host, uint64_t v)
{
	t->adjust += v - (host + t->offset);
	t->offset = v - host;
}
