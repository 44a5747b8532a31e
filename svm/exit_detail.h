/* SPDX-License-Identifier: MIT */
/*
 * What L1's exits were, beyond their exit code: a small table of counters
 * keyed by NV_XD_* keys (core/hypercall.h: the MSR and direction of an
 * MSR exit, what the page of an #NPF of L1 is, the port and direction of
 * an IOIO exit).  A key gets the first free slot the first time it is
 * counted and keeps it; once every slot is taken, new keys only add to
 * the overflow count.  One table per CPU, written only by that CPU, read
 * by NV_HC_EXIT_DETAIL (docs/hypercalls.md) with the same tolerance as
 * the exit counts (a read may see a count one behind).
 */
#ifndef NV_SVM_EXIT_DETAIL_H
#define NV_SVM_EXIT_DETAIL_H

#include <stdint.h>

#include "core/hypercall.h"

/* The hint table's size: a power of 2, more than NV_XD_SLOTS. */
#define XD_HINTS 128u

struct exit_detail {
	uint64_t key[NV_XD_SLOTS];
	uint64_t count[NV_XD_SLOTS];
	uint32_t used;            /* slots 0..used-1 hold keys */
	uint64_t overflow;        /* counts of keys that found no slot */
	/* By a hash of the key: 1 + the slot that key was last found in,
	 * or 0.  Only a hint: the slot's key is compared before it counts,
	 * so a stale or shared hint costs the search, never a wrong count. */
	uint8_t hint[XD_HINTS];
};
_Static_assert(XD_HINTS > NV_XD_SLOTS && (XD_HINTS & (XD_HINTS - 1)) == 0 &&
	       NV_XD_SLOTS < 255, "hints: a power of 2, each slot + 1 a byte");

/* The hint index of key: a multiplicative hash (Knuth's constant,
 * 2^64 / the golden ratio) of the whole key, class and L2 bit included,
 * its top 7 bits. */
static inline uint32_t exit_detail_hash(uint64_t key)
{
	_Static_assert(XD_HINTS == 1u << 7, "7 bits of hash");
	return (uint32_t)((key * 0x9e3779b97f4a7c15ull) >> 57);
}

void exit_detail_count_slow(struct exit_detail *d, uint64_t key);

/* Adds one to key's counter (key != 0): its hinted slot if that holds
 * key, else the search of svm/exit_detail.c. */
static inline void exit_detail_count(struct exit_detail *d, uint64_t key)
{
	uint32_t h = d->hint[exit_detail_hash(key)];

	if (__builtin_expect(h != 0, 1) && d->key[h - 1] == key) {
		d->count[h - 1]++;
		return;
	}
	exit_detail_count_slow(d, key);
}

#endif
