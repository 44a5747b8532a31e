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

struct exit_detail {
	uint64_t key[NV_XD_SLOTS];
	uint64_t count[NV_XD_SLOTS];
	uint32_t used;            /* slots 0..used-1 hold keys */
	uint64_t overflow;        /* counts of keys that found no slot */
};

/* Adds one to key's counter (key != 0). */
void exit_detail_count(struct exit_detail *d, uint64_t key);

#endif
