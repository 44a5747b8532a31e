// SPDX-License-Identifier: MIT
/* nv-npt's memory for a walk (walk_mem.h). */
#include "mm/tools/walk_mem.h"

#include <string.h>

#include "mm/err.h"

static uint8_t *find(struct walk_mem *m, uint64_t gpa, unsigned len)
{
	if ((gpa & 0xfff) + len > 4096)
		return 0;
	for (unsigned i = 0; i < m->n; i++)
		if (m->gpa[i] == (gpa & ~0xfffull))
			return &m->page[i][gpa & 0xfff];
	return 0;
}

static int rd(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	const uint8_t *p = find(ctx, gpa, len);

	if (!p)
		return -NV_EFAULT;
	memcpy(buf, p, len);
	return 0;
}

static int wr(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
	(void)ctx;
	(void)gpa;
	(void)buf;
	(void)len;
	return -NV_EFAULT; /* the walker only writes through cmpxchg */
}

static int cx(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val,
	      unsigned len)
{
	uint8_t *p = find(ctx, gpa, len);
	uint64_t cur = 0;

	if (!p || (len != 4 && len != 8))
		return -NV_EFAULT;
	memcpy(&cur, p, len);
	if (cur != (len == 4 ? (uint32_t)old : old))
		return -NV_EAGAIN;
	memcpy(p, &new_val, len);
	return 0;
}

void walk_mem_init(struct walk_mem *m)
{
	m->n = 0;
}

struct gmem walk_mem_gmem(struct walk_mem *m)
{
	return (struct gmem){ .ctx = m, .read = rd, .write = wr, .cmpxchg = cx };
}

int walk_mem_back(struct walk_mem *m, uint64_t gpa)
{
	if (find(m, gpa, 1))
		return 0;
	if (m->n == WALK_MEM_PAGES)
		return -1;
	m->gpa[m->n] = gpa & ~0xfffull;
	memset(m->page[m->n], 0, 4096);
	m->n++;
	return 0;
}

void walk_mem_poke(struct walk_mem *m, uint64_t gpa, uint64_t val, unsigned len)
{
	uint8_t *p = find(m, gpa, len);

	if (p)
		memcpy(p, &val, len);
}

uint64_t walk_mem_peek(struct walk_mem *m, uint64_t gpa, unsigned len)
{
	const uint8_t *p = find(m, gpa, len);
	uint64_t v = 0;

	if (p)
		memcpy(&v, p, len);
	return v;
}
