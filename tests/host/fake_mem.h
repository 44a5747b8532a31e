/* SPDX-License-Identifier: MIT */
/*
 * A fake guest-physical memory for host tests and tools: a sparse set of
 * 4 KiB pages behind struct gmem, which polices the walker.
 *
 * The walker may only read, and may only write through cmpxchg to set the
 * A or D bit of an entry it read during the current walk (hardware writes
 * nothing else).  Any other write -- gmem->write, clearing a bit, setting a
 * non-A/D bit, touching an entry not read since fake_mem_begin_walk() --
 * calls the violation hook (host tests: fail the test).  Every write is
 * logged so tests can check exactly which A/D bits were set.
 *
 * The page-table builder (pt_*) lays out tables of any format in it.
 */
#ifndef NV_TESTS_FAKE_MEM_H
#define NV_TESTS_FAKE_MEM_H

#include <stdbool.h>
#include <stdint.h>

#include "mm/gmem.h"

struct fake_mem;

struct fake_write {
	uint64_t gpa, old_val, new_val;
	unsigned len;
};

typedef void (*fake_mem_violation_fn)(const char *what, uint64_t gpa);

struct fake_mem *fake_mem_create(fake_mem_violation_fn on_violation);
void fake_mem_destroy(struct fake_mem *m);
struct gmem fake_mem_gmem(struct fake_mem *m);

/* Test setup and inspection: not logged, not policed. Poke backs the page. */
void fake_mem_back(struct fake_mem *m, uint64_t gpa);
void fake_mem_poke(struct fake_mem *m, uint64_t gpa, uint64_t val, unsigned len);
uint64_t fake_mem_peek(struct fake_mem *m, uint64_t gpa, unsigned len);

/* Forget the entries read so far and the write log. */
void fake_mem_begin_walk(struct fake_mem *m);
unsigned fake_mem_nr_writes(const struct fake_mem *m);
const struct fake_write *fake_mem_write(const struct fake_mem *m, unsigned i);
unsigned fake_mem_nr_violations(const struct fake_mem *m);

/* Simulate another CPU: just before the next cmpxchg at gpa, store val. */
void fake_mem_race_once(struct fake_mem *m, uint64_t gpa, uint64_t val,
			unsigned len);

/* ---- page-table builder ------------------------------------------------ */

struct gpt_builder {
	struct fake_mem *mem;
	unsigned levels;     /* 2, 3 (PAE), 4 or 5 */
	uint64_t root;       /* CR3 / nCR3 value */
	uint64_t next_table; /* where the next table is allocated */
};

/* Table entries the builder creates unless told otherwise: P|RW|US. */
#define GPT_TABLE_FLAGS 0x7ull

void gpt_init(struct gpt_builder *b, struct fake_mem *m, unsigned levels,
	     uint64_t root, uint64_t table_pool);
/*
 * Map addr -> pa with the leaf at leaf_level.  flags[i] holds the non-address
 * bits of the entry i levels below the root (flags[0] = root entry), down to
 * the leaf (set PTE_PS yourself for a large leaf).  Missing tables are
 * allocated from the pool; the address fields are filled in (a 4 MiB PDE
 * gets PA 39:32 in bits 20:13).  A PAE PDPTE gets flags[0] as given.
 */
void gpt_map(struct gpt_builder *b, uint64_t addr, uint64_t pa,
	    unsigned leaf_level, const uint64_t *flags);
/* gpa of the entry for addr at level (tables must exist down to it). */
uint64_t gpt_entry_gpa(const struct gpt_builder *b, uint64_t addr, unsigned level);
uint64_t gpt_get(const struct gpt_builder *b, uint64_t addr, unsigned level);
void gpt_set(struct gpt_builder *b, uint64_t addr, unsigned level, uint64_t val);

#endif
