/* SPDX-License-Identifier: MIT */
/*
 * Which linear address did the guest use?  A nested page fault gives the
 * guest-physical address of the access (EXITINFO2), not the linear one;
 * where nestvisor must raise the #PF a CPU of L1's address width would
 * raise (svm/npf.c), CR2 needs it.  la_search() finds a linear address
 * whose translation in the guest's long-mode tables (4 or 5 levels,
 * 64-bit entries, AMD APM Vol. 2 §5.3.3) reaches the faulting address:
 *  - final access: a leaf (a PTE, or a PDE/PDPE with PS) whose page holds
 *    gpa; the linear address is that page's plus gpa's offset in it;
 *  - access to a table: an entry (not a leaf) that points at gpa's page;
 *    the linear address is the first one that entry translates.
 * Depth first from the root, in index order; only present entries count,
 * and a table is entered only if it lies below phys_limit (what nestvisor
 * can read).  At most max_tables tables are read, so the search is bounded
 * however the guest builds its tables (a table may appear many times).
 * The answer is one address of possibly many aliases.
 */
#ifndef NV_MM_LA_SEARCH_H
#define NV_MM_LA_SEARCH_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gmem.h"

struct la_search {
	const struct gmem *mem;
	uint64_t root;         /* CR3: the top table (bits 51:12) */
	unsigned levels;       /* 4 or 5 */
	uint64_t phys_limit;   /* tables at or above it are not read */
	unsigned max_tables;   /* budget of tables read */
	bool gbpages;          /* PDPE.PS maps 1 GiB pages */
};

/* 0 with *la set, -NV_ENOENT when no entry matched within the budget,
 * -NV_EINVAL for a bad level count. */
int la_search(const struct la_search *s, uint64_t gpa, bool table_access,
	      uint64_t *la);

#endif
