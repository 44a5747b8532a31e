// SPDX-License-Identifier: MIT
/*
 * Bitmap page allocator (see palloc.h).  Bit i of the bitmap describes the
 * page at base + i * 4 KiB; the bitmap's own pages are marked in use at
 * init.  Single pages are found a 64-bit word at a time from a hint (the
 * lowest index that may be free); aligned runs are found by trying each
 * aligned start and jumping past the first used page that blocks it.
 */
#include "mm/palloc.h"

#include <stdbool.h>
#include <stddef.h>

static bool test_bit(const struct palloc *p, uint64_t i)
{
	return (p->bitmap[i / 64] >> (i % 64)) & 1;
}

static void set_bit(struct palloc *p, uint64_t i)
{
	p->bitmap[i / 64] |= 1ULL << (i % 64);
}

static void clear_bit(struct palloc *p, uint64_t i)
{
	p->bitmap[i / 64] &= ~(1ULL << (i % 64));
}

static void zero_pages(struct palloc *p, uint64_t first, uint64_t count)
{
	uint64_t *w = (uint64_t *)(void *)(p->virt + first * PALLOC_PAGE);

	for (uint64_t i = 0; i < count * (PALLOC_PAGE / 8); i++)
		w[i] = 0;
}

int palloc_init(struct palloc *p, void *virt, uint64_t base, uint64_t size)
{
	uint64_t npages = size / PALLOC_PAGE, words, bm_pages;

	if ((base | (uintptr_t)virt) & (PALLOC_PAGE - 1))
		return -NV_EINVAL;
	words = (npages + 63) / 64;
	bm_pages = (words * 8 + PALLOC_PAGE - 1) / PALLOC_PAGE;
	if (npages < bm_pages + 1)
		return -NV_ENOMEM;
	p->virt = virt;
	p->base = base;
	p->npages = npages;
	p->bitmap = virt;
	for (uint64_t i = 0; i < bm_pages * (PALLOC_PAGE / 8); i++)
		p->bitmap[i] = 0;
	for (uint64_t i = 0; i < bm_pages; i++)
		set_bit(p, i);
	p->reserved = bm_pages;
	p->nfree = npages - bm_pages;
	p->hint = bm_pages;
	return 0;
}

uint64_t palloc_page(struct palloc *p)
{
	for (uint64_t w = p->hint / 64; w * 64 < p->npages; w++) {
		uint64_t i;

		if (p->bitmap[w] == ~0ULL)
			continue;
		i = w * 64 + (uint64_t)__builtin_ctzll(~p->bitmap[w]);
		if (i >= p->npages)
			break;
		set_bit(p, i);
		p->nfree--;
		p->hint = i + 1;
		zero_pages(p, i, 1);
		return p->base + i * PALLOC_PAGE;
	}
	p->hint = p->npages;
	return 0;
}

uint64_t palloc_pages(struct palloc *p, uint64_t count, uint64_t align)
{
	uint64_t step, i;

	if (!count || align < PALLOC_PAGE || (align & (align - 1)))
		return 0;
	if (count == 1 && align == PALLOC_PAGE)
		return palloc_page(p);
	if (count > p->nfree)
		return 0;
	step = align / PALLOC_PAGE;
	/* First index whose physical address is a multiple of align. */
	i = ((align - (p->base & (align - 1))) & (align - 1)) / PALLOC_PAGE;
	while (i < p->npages && count <= p->npages - i) {
		uint64_t j = 0;

		while (j < count && !test_bit(p, i + j))
			j++;
		if (j == count) {
			for (j = 0; j < count; j++)
				set_bit(p, i + j);
			p->nfree -= count;
			zero_pages(p, i, count);
			return p->base + i * PALLOC_PAGE;
		}
		/* Page i + j is used: next aligned start after it. */
		i += (j / step + 1) * step;
	}
	return 0;
}

int palloc_free(struct palloc *p, uint64_t pa, uint64_t count)
{
	uint64_t first;

	if (pa < p->base || (pa - p->base) % PALLOC_PAGE)
		return -NV_EINVAL;
	first = (pa - p->base) / PALLOC_PAGE;
	if (first < p->reserved || first >= p->npages ||
	    count > p->npages - first)
		return -NV_EINVAL;
	for (uint64_t i = 0; i < count; i++)
		if (!test_bit(p, first + i))
			return -NV_EINVAL;
	for (uint64_t i = 0; i < count; i++)
		clear_bit(p, first + i);
	p->nfree += count;
	if (first < p->hint)
		p->hint = first;
	return 0;
}

void *palloc_va(const struct palloc *p, uint64_t pa)
{
	return p->virt + (pa - p->base);
}

uint64_t palloc_free_count(const struct palloc *p)
{
	return p->nfree;
}

static void *pm_map(void *ctx, uint64_t pa)
{
	return palloc_va(ctx, pa);
}

static uint64_t pm_alloc(void *ctx)
{
	return palloc_page(ctx);
}

static void pm_free(void *ctx, uint64_t pa)
{
	palloc_free(ctx, pa, 1);
}

void palloc_pt_mem(struct palloc *p, struct pt_mem *m)
{
	m->ctx = p;
	m->map = pm_map;
	m->alloc_page = pm_alloc;
	m->free_page = pm_free;
}
