/* SPDX-License-Identifier: MIT */
/*
 * The memory nv-npt lays a walk's tables out in: a few 4 KiB pages at
 * chosen guest-physical addresses behind struct gmem, everything else
 * unreadable.  The walker reads entries and sets A and D bits through
 * cmpxchg; nothing else writes.  (The host tests' fake memory, which also
 * polices the walker, is tests/host/fake_mem.c.)
 */
#ifndef NV_MM_TOOLS_WALK_MEM_H
#define NV_MM_TOOLS_WALK_MEM_H

#include <stdint.h>

#include "mm/gmem.h"
#include "mm/walk.h"

/* One table per level, and the root's. */
#define WALK_MEM_PAGES (WALK_MAX_LEVELS + 1)

struct walk_mem {
	unsigned n;
	uint64_t gpa[WALK_MEM_PAGES];
	uint8_t page[WALK_MEM_PAGES][4096];
};

void walk_mem_init(struct walk_mem *m);
struct gmem walk_mem_gmem(struct walk_mem *m);
/* Back the page holding gpa (zeroed); 0, or -1 when every page is in
 * use. */
int walk_mem_back(struct walk_mem *m, uint64_t gpa);
/* Store and load a len-byte (4 or 8) entry at gpa, in a backed page. */
void walk_mem_poke(struct walk_mem *m, uint64_t gpa, uint64_t val, unsigned len);
uint64_t walk_mem_peek(struct walk_mem *m, uint64_t gpa, unsigned len);

#endif
