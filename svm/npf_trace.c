// SPDX-License-Identifier: MIT
/*
 * #NPF trace ring (svm/npf_trace.h).  Record n lives in rec[n % capacity]
 * while head - capacity <= n < head.  `fetched` is one past the highest
 * record any reader has fetched: overwriting a record at or above it
 * loses a record nobody saw, which is what `drops` counts.
 */
#include "svm/npf_trace.h"

void npf_trace_init(struct npf_trace *t)
{
	t->head = 0;
	t->fetched = 0;
	t->drops = 0;
}

void npf_trace_record(struct npf_trace *t, const struct npf_trace_rec *r)
{
	struct npf_trace_rec *slot = &t->rec[t->head % NPF_TRACE_CAPACITY];

	if (t->head >= NPF_TRACE_CAPACITY &&
	    t->head - NPF_TRACE_CAPACITY >= t->fetched)
		t->drops++;
	*slot = *r;
	slot->seq = t->head++;
}

bool npf_trace_fetch(struct npf_trace *t, uint64_t want,
		     struct npf_trace_rec *out)
{
	uint64_t oldest = t->head > NPF_TRACE_CAPACITY ?
				  t->head - NPF_TRACE_CAPACITY : 0;

	if (want < oldest)
		want = oldest;
	if (want >= t->head)
		return false;
	*out = t->rec[want % NPF_TRACE_CAPACITY];
	if (want + 1 > t->fetched)
		t->fetched = want + 1;
	return true;
}
