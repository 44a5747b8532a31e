// SPDX-License-Identifier: MIT
/* Exit detail counters (svm/exit_detail.h): a key whose hint missed is
 * found by a linear search of the slots in use, or takes the next free
 * slot; either way the hint then points at it. */
#include "svm/exit_detail.h"

void exit_detail_count_slow(struct exit_detail *d, uint64_t key)
{
	uint32_t i;

	for (i = 0; i < d->used; i++) {
		if (d->key[i] == key) {
			d->count[i]++;
			d->hint[exit_detail_hash(key)] = (uint8_t)(i + 1);
			return;
		}
	}
	if (i == NV_XD_SLOTS) {
		d->overflow++;
		return;
	}
	d->key[i] = key;
	d->count[i] = 1;
	d->hint[exit_detail_hash(key)] = (uint8_t)(i + 1);
	/* The key and count before the slot is in use (NV_HC_EXIT_DETAIL
	 * reads used first). */
	__atomic_store_n(&d->used, i + 1, __ATOMIC_RELEASE);
}
