/* SPDX-License-Identifier: MIT */
/*
 * A fake struct pt_mem for page-table tests (include after <cmocka.h>):
 * pages live at made-up physical addresses far from any identity-mapped
 * range, an index is never reused, and any access to a page that is not
 * live (never handed out, or freed) fails the test.  budget limits the
 * allocations that succeed; nlive counts the pages handed out and not
 * freed.  fake_snapshot()/fake_same_as() prove that nothing changed.
 */
#ifndef NV_TESTS_FAKE_PT_MEM_H
#define NV_TESTS_FAKE_PT_MEM_H

#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "mm/pt_mem.h"

#define FAKE_BASE 0x7a0000000000ULL	/* far from any identity address */
#define FAKE_MAX 65536
#define FAKE_PAGE 4096ULL

struct fake {
	uint8_t *page[FAKE_MAX];
	bool live[FAKE_MAX];
	unsigned next;		/* never reuses an index */
	long budget;		/* allocations left; < 0 = unlimited */
	unsigned nlive;
};

static inline unsigned fake_index(struct fake *f, uint64_t pa)
{
	uint64_t i = (pa - FAKE_BASE) / FAKE_PAGE;

	if (pa < FAKE_BASE || (pa & 0xfff) || i >= f->next || !f->live[i])
		fail_msg("access to page 0x%llx that is not a live table page",
			 (unsigned long long)pa);
	return (unsigned)i;
}

static inline void *fake_map(void *ctx, uint64_t pa)
{
	struct fake *f = ctx;

	return f->page[fake_index(f, pa)];
}

static inline uint64_t fake_alloc(void *ctx)
{
	struct fake *f = ctx;

	if (f->budget == 0 || f->next == FAKE_MAX)
		return 0;
	if (f->budget > 0)
		f->budget--;
	f->page[f->next] = calloc(1, FAKE_PAGE);
	assert_non_null(f->page[f->next]);
	f->live[f->next] = true;
	f->nlive++;
	return FAKE_BASE + FAKE_PAGE * f->next++;
}

static inline void fake_free(void *ctx, uint64_t pa)
{
	struct fake *f = ctx;
	unsigned i = fake_index(f, pa);

	f->live[i] = false;
	f->nlive--;
	free(f->page[i]);
	f->page[i] = NULL;
}

static inline struct fake *fake_new(struct pt_mem *m)
{
	struct fake *f = calloc(1, sizeof(*f));

	assert_non_null(f);
	f->budget = -1;
	m->ctx = f;
	m->map = fake_map;
	m->alloc_page = fake_alloc;
	m->free_page = fake_free;
	return f;
}

static inline void fake_delete(struct fake *f)
{
	for (unsigned i = 0; i < f->next; i++)
		free(f->page[i]);
	free(f);
}

/* Whole content of every live table page, to prove "nothing changed". */
static inline uint8_t *fake_snapshot(struct fake *f, unsigned *n)
{
	uint8_t *s = malloc((size_t)f->next * FAKE_PAGE);

	assert_non_null(s);
	for (unsigned i = 0; i < f->next; i++)
		if (f->live[i])
			memcpy(s + (size_t)i * FAKE_PAGE, f->page[i], FAKE_PAGE);
	*n = f->next;
	return s;
}

static inline void fake_same_as(struct fake *f, const uint8_t *s, unsigned n)
{
	for (unsigned i = 0; i < n; i++)
		if (f->live[i])
			assert_memory_equal(s + (size_t)i * FAKE_PAGE,
					    f->page[i], FAKE_PAGE);
}

#endif
