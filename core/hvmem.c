// SPDX-License-Identifier: MIT
#include "core/hvmem.h"
#include "core/err.h"
#include "core/log.h"
#include "mm/spinlock.h"
#include "mm/npt_l1.h"
#include "mm/pt.h"

struct hvmem hvmem;

/* The allocator is shared by every CPU (mm/palloc.c serialises nothing),
 * and so is L1's NPT: one lock each.  Order: npt_lock, then alloc_lock. */
static struct spinlock alloc_lock = SPINLOCK_INIT;
static struct spinlock npt_lock = SPINLOCK_INIT;

void *hv_alloc(unsigned npages)
{
	uint64_t pa;

	spin_lock(&alloc_lock);
	pa = palloc_pages(&hvmem.pa, npages, 4096);
	spin_unlock(&alloc_lock);
	return pa ? (void *)pa : 0;
}

uint64_t hv_free_pages(void)
{
	uint64_t n;

	spin_lock(&alloc_lock);
	n = palloc_free_count(&hvmem.pa);
	spin_unlock(&alloc_lock);
	return n;
}

/* struct pt_mem for page tables, on the locked allocator. */
static void *ptm_map(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)pa;
}

static uint64_t ptm_alloc(void *ctx)
{
	uint64_t pa;

	(void)ctx;
	spin_lock(&alloc_lock);
	pa = palloc_page(&hvmem.pa);
	spin_unlock(&alloc_lock);
	return pa;
}

void hv_free_page(uint64_t pa)
{
	spin_lock(&alloc_lock);
	palloc_free(&hvmem.pa, pa, 1);
	spin_unlock(&alloc_lock);
}

static void ptm_free(void *ctx, uint64_t pa)
{
	(void)ctx;
	hv_free_page(pa);
}

/* The shadow NPT's: never the last HVMEM_RESERVE pages. */
static uint64_t shadow_alloc(void *ctx)
{
	uint64_t pa = 0;

	(void)ctx;
	spin_lock(&alloc_lock);
	if (palloc_free_count(&hvmem.pa) > HVMEM_RESERVE)
		pa = palloc_page(&hvmem.pa);
	spin_unlock(&alloc_lock);
	return pa;
}

int hvmem_npt_map(uint64_t gpa, uint64_t hpa, uint64_t flags)
{
	int rc;

	spin_lock(&npt_lock);
	rc = npt_map_page(&hvmem.ptm, hvmem.npt_root, gpa & ~0xfffull,
			  hpa & ~0xfffull, flags);
	spin_unlock(&npt_lock);
	return rc;
}

int hvmem_npt_protect(uint64_t pa, uint64_t size, uint64_t flags,
		      bool (*skip)(uint64_t pa))
{
	for (uint64_t p = pa; p < pa + size; p += 4096) {
		int rc;

		if (skip && skip(p))
			continue;
		if (p >= hvmem.phys_limit || hvmem_contains(p))
			return -NV_EFAULT;
		rc = hvmem_npt_map(p, p, flags);
		if (rc)
			return rc;
	}
	return 0;
}

uint64_t hvmem_npt_entry(uint64_t gpa)
{
	unsigned level;
	const volatile uint64_t *e;
	uint64_t v;

	spin_lock(&npt_lock);
	e = pt_walk(&hvmem.ptm, hvmem.npt_root, gpa, &level);
	v = e ? *e : 0;
	spin_unlock(&npt_lock);
	return v;
}

/* The tables npt_merge frees, kept for the caller's retire(). */
struct held {
	uint64_t pa[4];
	unsigned n;
};

static void held_free(void *ctx, uint64_t pa)
{
	struct held *h = ctx;

	if (h->n < sizeof(h->pa) / sizeof(h->pa[0]))
		h->pa[h->n++] = pa;
	/* else leaked, never freed before the shootdown: cannot happen,
	 * npt_merge frees two */
}

static void *held_map(void *ctx, uint64_t pa)
{
	(void)ctx;
	return (void *)pa;
}

int hvmem_npt_merge(uint64_t gpa, bool gbpages,
		    void (*retire)(const uint64_t *pa, unsigned n))
{
	struct held h = { .n = 0 };
	struct pt_mem m = { .ctx = &h, .map = held_map, .alloc_page = ptm_alloc,
			    .free_page = held_free };
	int n;

	spin_lock(&npt_lock);
	n = npt_merge(&m, hvmem.npt_root, gpa, gbpages);
	spin_unlock(&npt_lock);
	if (h.n)
		retire(h.pa, h.n);
	return n;
}

int hvmem_init(uint64_t base, uint64_t size, uint64_t image_size,
	       unsigned l1_maxphyaddr, bool gbpages)
{
	uint64_t image_end = (base + image_size + 0xfff) & ~0xfffull;
	struct pa_range hole = { base, base + size };

	hvmem.base = base;
	hvmem.size = size;
	hvmem.canary_pa = image_end;
	hvmem.canary = (volatile uint64_t *)image_end;
	for (unsigned i = 0; i < 512; i++)
		hvmem.canary[i] = HVMEM_CANARY;
	hvmem.phys_limit = 1ull << l1_maxphyaddr;
	if (hvmem.phys_limit > NPT_LIMIT_MAX)
		hvmem.phys_limit = NPT_LIMIT_MAX;

	if (palloc_init(&hvmem.pa, (void *)(image_end + 4096), image_end + 4096,
			base + size - image_end - 4096)) {
		log_error("hypervisor memory too small for the allocator");
		return -NV_ENOMEM;
	}
	hvmem.ptm = (struct pt_mem){ .map = ptm_map, .alloc_page = ptm_alloc,
				     .free_page = ptm_free };
	hvmem.shadow_ptm = hvmem.ptm;
	hvmem.shadow_ptm.alloc_page = shadow_alloc;
	hvmem.sink_pa = palloc_page(&hvmem.pa);
	hvmem.ones_pa = palloc_page(&hvmem.pa);
	if (!hvmem.sink_pa || !hvmem.ones_pa)
		return -NV_ENOMEM;
	for (unsigned i = 0; i < 512; i++)
		((uint64_t *)hvmem.ones_pa)[i] = ~0ull;
	/* L1: everything but the region, user (every NPT access is a user
	 * access), A and D preset. */
	if (npt_build_identity(&hvmem.ptm, hvmem.phys_limit, &hole, 1,
			       PTE_P | PTE_RW | PTE_US,
			       gbpages, &hvmem.npt_root)) {
		log_error("out of memory building L1's nested page table");
		return -NV_ENOMEM;
	}
	/* The tables for the region's 4 KiB pages (all not present). */
	for (uint64_t pa = base; pa < base + size; pa += 2ull << 20)
		if (pt_install(&hvmem.ptm, hvmem.npt_root, pa, 1, 0,
			       PT_SPLIT_LARGE)) {
			log_error("out of memory building L1's nested page table");
			return -NV_ENOMEM;
		}
	if (palloc_free_count(&hvmem.pa) < HVMEM_RESERVE + HVMEM_MIN_FREE) {
		log_error("hypervisor memory too small: %lu pages free after "
			  "the page tables, %u needed", palloc_free_count(&hvmem.pa),
			  HVMEM_RESERVE + HVMEM_MIN_FREE);
		return -NV_ENOMEM;
	}
	hvmem.gbpages = gbpages;
	return 0;
}

int hvmem_host_init(uint64_t code_start, uint64_t code_end, bool nx)
{
	uint64_t data = PTE_P | PTE_RW | (nx ? PTE_NX : 0);

	hvmem.host_nx = nx;
	if (npt_build_identity(&hvmem.ptm, hvmem.phys_limit, 0, 0, data,
			       hvmem.gbpages, &hvmem.host_root))
		goto oom;
	for (uint64_t pa = code_start & ~0xfffull; pa < code_end; pa += 4096)
		if (npt_map_page(&hvmem.ptm, hvmem.host_root, pa, pa, PTE_P))
			goto oom;
	return 0;
oom:
	log_error("out of memory building the host page table");
	return -NV_ENOMEM;
}

void hvmem_report(void)
{
	log_info("memory: 0x%lx-0x%lx reserved (%lu MiB), %lu MiB free after "
		 "page tables; L1 NPT identity up to 0x%lx (%s pages)",
		 hvmem.base, hvmem.base + hvmem.size - 1, hvmem.size >> 20,
		 (palloc_free_count(&hvmem.pa) * 4096) >> 20, hvmem.phys_limit,
		 hvmem.gbpages ? "1 GiB" : "2 MiB");
}

/* The hidden ranges' part of hvmem_backing(). */
uint64_t hvmem_backing_hidden(uint64_t gpa)
{
	for (unsigned i = 0; i < hvmem.n_hidden; i++)
		if (gpa - hvmem.hidden[i].start <
		    hvmem.hidden[i].end - hvmem.hidden[i].start)
			return hvmem.hidden[i].backing;
	return 0;
}

bool hvmem_meets_hidden(uint64_t lo, uint64_t hi)
{
	if (lo < hvmem.base + hvmem.size && hi > hvmem.base)
		return true;
	for (unsigned i = 0; i < hvmem.n_hidden; i++)
		if (lo < hvmem.hidden[i].end && hi > hvmem.hidden[i].start)
			return true;
	return false;
}

int hvmem_hide(uint64_t start, uint64_t size, bool ones)
{
	int rc;

	if (hvmem.n_hidden == HVMEM_MAX_HIDDEN)
		return -NV_ERANGE;
	for (uint64_t pa = start; pa < start + size; pa += 4096) {
		rc = npt_map_page(&hvmem.ptm, hvmem.npt_root, pa, pa,
				  PTE_P | PTE_RW | PTE_US);
		if (!rc)
			rc = npt_unmap_page(&hvmem.ptm, hvmem.npt_root, pa);
		if (rc)
			return rc;
	}
	hvmem.hidden[hvmem.n_hidden++] = (struct hvmem_hidden){
		start, start + size, ones ? hvmem.ones_pa : hvmem.sink_pa };
	return 0;
}

int hvmem_map_sink(uint64_t gpa)
{
	uint64_t backing = hvmem_backing(gpa);
	int rc;

	if (!backing)
		return -NV_EFAULT;
	rc = hvmem_npt_map(gpa, backing, PTE_P | PTE_US |
			   (backing == hvmem.ones_pa ? 0 : PTE_RW));
	if (rc)
		return rc;
	__atomic_fetch_add(&hvmem.sink_maps, 1, __ATOMIC_RELAXED);
	return 0;
}

/* ---- L1 physical memory for mm/ ---------------------------------------- */

uint8_t *l1_host_ptr(uint64_t gpa, unsigned len)
{
	uint64_t backing;

	if ((gpa & 0xfff) + len > 4096 || gpa >= hvmem.phys_limit)
		return 0;
	backing = hvmem_backing(gpa);
	if (backing == hvmem.ones_pa) /* nestvisor's stores: not there */
		backing = hvmem.sink_pa;
	if (!backing && hvmem.emulated &&
	    (!hvmem.emulated_hi ||
	     (gpa >= hvmem.emulated_lo && gpa < hvmem.emulated_hi)) &&
	    hvmem.emulated(gpa & ~0xfffull, (gpa & ~0xfffull) + 4096))
		backing = hvmem.sink_pa;
	if (backing)
		return (uint8_t *)(backing + (gpa & 0xfff));
	return hvmem_va(gpa);
}

static int l1_read(void *ctx, uint64_t gpa, void *buf, unsigned len)
{
	const uint8_t *p = l1_host_ptr(gpa, len);

	(void)ctx;
	if (!p)
		return -NV_EFAULT;
	if (len == 8 && !(gpa & 7)) { /* page-table entries: one load */
		*(uint64_t *)buf = *(const volatile uint64_t *)p;
		return 0;
	}
	for (unsigned i = 0; i < len; i++)
		((uint8_t *)buf)[i] = p[i];
	return 0;
}

static int l1_write(void *ctx, uint64_t gpa, const void *buf, unsigned len)
{
	uint8_t *p = l1_host_ptr(gpa, len);

	(void)ctx;
	if (!p)
		return -NV_EFAULT;
	for (unsigned i = 0; i < len; i++)
		p[i] = ((const uint8_t *)buf)[i];
	return 0;
}

static int l1_cmpxchg(void *ctx, uint64_t gpa, uint64_t old, uint64_t new_val,
		      unsigned len)
{
	uint8_t *p = l1_host_ptr(gpa, len);

	uint32_t o = (uint32_t)old;
	bool stored;

	(void)ctx;
	if (!p || (len != 4 && len != 8))
		return -NV_EFAULT;
	if (len == 8)
		stored = __atomic_compare_exchange_n((uint64_t *)p, &old, new_val,
						     false, __ATOMIC_SEQ_CST,
						     __ATOMIC_SEQ_CST);
	else
		stored = __atomic_compare_exchange_n((uint32_t *)p, &o,
						     (uint32_t)new_val, false,
						     __ATOMIC_SEQ_CST,
						     __ATOMIC_SEQ_CST);
	return stored ? 0 : -NV_EAGAIN;
}

const struct gmem l1_gmem = {
	.ctx = 0, .read = l1_read, .write = l1_write, .cmpxchg = l1_cmpxchg,
};
