// SPDX-License-Identifier: MIT
#include "fake_mem.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "mm/pte.h"

#define PAGE_SIZE 4096u
#define MAX_READS 64
#define MAX_WRITES 64

struct fake_page {
	uint64_t gpa;
	uint8_t data[PAGE_SIZE];
};

struct fake_mem {
	struct fake_page **pages;
	unsigned nr_pages;
	fake_mem_violation_fn on_violation;
	uint64_t reads[MAX_READS];
	unsigned nr_reads;
	struct fake_write writes[MAX_WRITES];
	unsigned nr_writes, nr_violations;
	bool race_armed;
	uint64_t race_gpa, race_val;
	unsigned race_len;
};

static void violation(struct fake_mem *m, const char *what, uint64_t gpa)
{
	m->nr_violations++;
	if (m->on_violation)
		m->on_violation(what, gpa);
}

static struct fake_page *find_page(const struct fake_mem *m, uint64_t gpa)
{
	for (unsigned i = 0; i < m->nr_pages; i++)
		if (m->pages[i]->gpa == (gpa & ~(uint64_t)(PAGE_SIZE - 1)))
			return m->pages[i];
	return NULL;
}

static uint8_t *bytes(const struct fake_mem *m, uint64_t gpa, unsigned len)
{
	struct fake_page *p = find_page(m, gpa);
	unsigned off = (unsigned)(gpa & (PAGE_SIZE - 1));

	if (!p || off + len > PAGE_SIZE)
		return NULL;
	return p->data + off;
}

static uint64_t load(const uint8_t *p, unsigned len)
{
	uint64_t v = 0;

	memcpy(&v, p, len); /* little-endian host */
	return v;
}

void fake_mem_back(struct fake_mem *m, uint64_t gpa)
{
	struct fake_page *p;

	if (find_page(m, gpa))
		return;
	p = calloc(1, sizeof(*p));
	m->pages = realloc(m->pages, (m->nr_pages + 1) * sizeof(*m->pages));
	if (!p || !m->pages)
		abort();
	p->gpa = gpa & ~(uint64_t)(PAGE_SIZE - 1);
	m->pages[m->nr_pages++] = p;
}

void fake_mem_poke(struct fake_mem *m, uint64_t gpa, uint64_t val, unsigned len)
{
	fake_mem_back(m, gpa);
	memcpy(bytes(m, gpa, len), &val, len);
}

uint64_t fake_mem_peek(struct fake_mem *m, uint64_t gpa, unsigned len)
{
	const uint8_t *p = bytes(m, gpa, len);

	return p ? load(p, len) : 0;
}

static bool was_read(const struct fake_mem *m, uint64_t gpa)
{
	for (unsigned i = 0; i < m->nr_reads; i++)
		if (m->reads[i] == gpa)
			return true;
	return false;
}

static int gm_read(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	struct fake_mem *m = ctx;
	const uint8_t *p = bytes(m, gpa, len);

	if (!p)
		return -NV_EFAULT;
	memcpy(buf, p, len);
	if (!was_read(m, gpa) && m->nr_reads < MAX_READS)
		m->reads[m->nr_reads++] = gpa;
	return 0;
}

static int gm_write(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
	(void)buf;
	(void)len;
	violation(ctx, "plain write (the walker may only cmpxchg A/D bits)", gpa);
	return -NV_EFAULT;
}

static int gm_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val,
		      unsigned len)
{
	struct fake_mem *m = ctx;
	uint8_t *p = bytes(m, gpa, len);
	uint64_t cur;

	if (!p || (len != 4 && len != 8))
		return -NV_EFAULT;
	if (!was_read(m, gpa))
		violation(m, "write to an entry the walk did not read", gpa);
	if ((new_val & ~old & ~(PTE_A | PTE_D)) || (old & ~new_val))
		violation(m, "write other than setting A/D", gpa);
	if (m->race_armed && m->race_gpa == gpa) {
		m->race_armed = false;
		memcpy(p, &m->race_val, m->race_len);
	}
	cur = load(p, len);
	if (cur != old)
		return -NV_EAGAIN;
	memcpy(p, &new_val, len);
	if (m->nr_writes < MAX_WRITES)
		m->writes[m->nr_writes++] = (struct fake_write){ gpa, old, new_val, len };
	return 0;
}

struct fake_mem *fake_mem_create(fake_mem_violation_fn on_violation)
{
	struct fake_mem *m = calloc(1, sizeof(*m));

	if (!m)
		abort();
	m->on_violation = on_violation;
	return m;
}

void fake_mem_destroy(struct fake_mem *m)
{
	for (unsigned i = 0; i < m->nr_pages; i++)
		free(m->pages[i]);
	free(m->pages);
	free(m);
}

struct gmem fake_mem_gmem(struct fake_mem *m)
{
	return (struct gmem){ m, gm_read, gm_write, gm_cmpxchg };
}

void fake_mem_begin_walk(struct fake_mem *m)
{
	m->nr_reads = 0;
	m->nr_writes = 0;
}

unsigned fake_mem_nr_writes(const struct fake_mem *m)
{
	return m->nr_writes;
}

const struct fake_write *fake_mem_write(const struct fake_mem *m, unsigned i)
{
	return i < m->nr_writes ? &m->writes[i] : NULL;
}

unsigned fake_mem_nr_violations(const struct fake_mem *m)
{
	return m->nr_violations;
}

void fake_mem_race_once(struct fake_mem *m, uint64_t gpa, uint64_t val,
			unsigned len)
{
	m->race_armed = true;
	m->race_gpa = gpa;
	m->race_val = val;
	m->race_len = len;
}

/* ---- page-table builder ------------------------------------------------ */

static unsigned gpt_entry_size(const struct gpt_builder *b)
{
	return b->levels == 2 ? 4 : 8;
}

static unsigned gpt_index(const struct gpt_builder *b, uint64_t addr, unsigned level)
{
	if (b->levels == 2)
		return (unsigned)((addr >> (12 + 10 * (level - 1))) & 0x3ff);
	if (b->levels == 3 && level == 3)
		return (unsigned)((addr >> 30) & 3);
	return (unsigned)((addr >> (12 + 9 * (level - 1))) & 0x1ff);
}

static uint64_t gpt_root_table(const struct gpt_builder *b)
{
	if (b->levels == 2)
		return b->root & PTE32_ADDR_4K;
	if (b->levels == 3)
		return b->root & PAE_ROOT_ADDR;
	return b->root & PTE64_ADDR_4K;
}

static uint64_t gpt_table_of(const struct gpt_builder *b, uint64_t entry)
{
	return entry & (b->levels == 2 ? PTE32_ADDR_4K : PTE64_ADDR_4K);
}

void gpt_init(struct gpt_builder *b, struct fake_mem *m, unsigned levels,
	     uint64_t root, uint64_t table_pool)
{
	b->mem = m;
	b->levels = levels;
	b->root = root;
	b->next_table = table_pool;
	fake_mem_back(m, gpt_root_table(b));
}

uint64_t gpt_entry_gpa(const struct gpt_builder *b, uint64_t addr, unsigned level)
{
	uint64_t table = gpt_root_table(b);

	for (unsigned l = b->levels; l > level; l--)
		table = gpt_table_of(b, fake_mem_peek(b->mem, table +
				(uint64_t)gpt_index(b, addr, l) * gpt_entry_size(b),
				gpt_entry_size(b)));
	return table + (uint64_t)gpt_index(b, addr, level) * gpt_entry_size(b);
}

uint64_t gpt_get(const struct gpt_builder *b, uint64_t addr, unsigned level)
{
	return fake_mem_peek(b->mem, gpt_entry_gpa(b, addr, level), gpt_entry_size(b));
}

void gpt_set(struct gpt_builder *b, uint64_t addr, unsigned level, uint64_t val)
{
	fake_mem_poke(b->mem, gpt_entry_gpa(b, addr, level), val, gpt_entry_size(b));
}

static uint64_t leaf_address(const struct gpt_builder *b, unsigned level, uint64_t pa)
{
	if (b->levels == 2) {
		if (level == 1)
			return pa & PTE32_ADDR_4K;
		return (pa & PDE32_4M_ADDR_LO) |
		       (((pa >> 32) & 0xff) << PDE32_4M_HI_SHIFT);
	}
	if (level == 1)
		return pa & PTE64_ADDR_4K;
	return pa & (level == 2 ? PTE64_ADDR_2M : PTE64_ADDR_1G);
}

void gpt_map(struct gpt_builder *b, uint64_t addr, uint64_t pa,
	    unsigned leaf_level, const uint64_t *flags)
{
	for (unsigned l = b->levels, i = 0; l >= leaf_level; l--, i++) {
		uint64_t gpa = gpt_entry_gpa(b, addr, l);
		uint64_t cur = fake_mem_peek(b->mem, gpa, gpt_entry_size(b));
		uint64_t table;

		if (l == leaf_level) {
			fake_mem_poke(b->mem, gpa, flags[i] | leaf_address(b, l, pa),
				      gpt_entry_size(b));
			break;
		}
		table = gpt_table_of(b, cur);
		if (!table) {
			table = b->next_table;
			b->next_table += PAGE_SIZE;
			fake_mem_back(b->mem, table);
		}
		fake_mem_poke(b->mem, gpa, flags[i] | table, gpt_entry_size(b));
	}
}
