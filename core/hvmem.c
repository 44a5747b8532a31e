// SPDX-License-Identifier: MIT
#include "core/hvmem.h"
#include "core/err.h"
#include "core/log.h"
#include "mm/npt_l1.h"

struct hvmem hvmem;

void *hv_alloc(unsigned npages)
{
	uint64_t pa = palloc_pages(&hvmem.pa, npages, 4096);

	return pa ? (void *)pa : 0;
}

int hvmem_init(uint64_t base, uint64_t size, uint64_t image_size,
	       unsigned maxphyaddr, bool gbpages)
{
	uint64_t image_end = (base + image_size + 0xfff) & ~0xfffull;
	struct pa_range hole = { base, base + size };

	hvmem.base = base;
	hvmem.size = size;
	hvmem.canary_pa = image_end;
	hvmem.canary = (volatile uint64_t *)image_end;
	for (unsigned i = 0; i < 512; i++)
		hvmem.canary[i] = HVMEM_CANARY;
	hvmem.phys_limit = 1ull << maxphyaddr;
	if (hvmem.phys_limit > NPT_LIMIT_MAX)
		hvmem.phys_limit = NPT_LIMIT_MAX;

	if (palloc_init(&hvmem.pa, (void *)(image_end + 4096), image_end + 4096,
			base + size - image_end - 4096)) {
		log_error("hypervisor memory too small for the allocator");
		return -NV_ENOMEM;
	}
	palloc_pt_mem(&hvmem.pa, &hvmem.ptm);
	hvmem.sink_pa = palloc_page(&hvmem.pa);
	if (!hvmem.sink_pa)
		return -NV_ENOMEM;
	/* Host: everything, supervisor only.  L1: everything but the region,
	 * user (every NPT access is a user access), A and D preset. */
	if (npt_build_identity(&hvmem.ptm, hvmem.phys_limit, 0, 0,
			       PTE_P | PTE_RW, gbpages,
			       &hvmem.host_root)) {
		log_error("out of memory building the host page table");
		return -NV_ENOMEM;
	}
	if (npt_build_identity(&hvmem.ptm, hvmem.phys_limit, &hole, 1,
			       PTE_P | PTE_RW | PTE_US,
			       gbpages, &hvmem.npt_root)) {
		log_error("out of memory building L1's nested page table");
		return -NV_ENOMEM;
	}
	hvmem.gbpages = gbpages;
	return 0;
}

void hvmem_report(void)
{
	log_info("memory: 0x%lx-0x%lx reserved (%lu MiB), %lu MiB free after "
		 "page tables; L1 NPT identity up to 0x%lx (%s pages)",
		 hvmem.base, hvmem.base + hvmem.size - 1, hvmem.size >> 20,
		 (palloc_free_count(&hvmem.pa) * 4096) >> 20, hvmem.phys_limit,
		 hvmem.gbpages ? "1 GiB" : "2 MiB");
}

int hvmem_map_sink(uint64_t gpa)
{
	int rc;

	if (!hvmem_contains(gpa))
		return -NV_EFAULT;
	rc = npt_map_page(&hvmem.ptm, hvmem.npt_root, gpa & ~0xfffull,
			  hvmem.sink_pa, PTE_P | PTE_RW | PTE_US);
	if (rc)
		return rc;
	hvmem.sink_maps++;
	return 0;
}

/* ---- L1 physical memory for mm/ ---------------------------------------- */

uint8_t *l1_host_ptr(uint64_t gpa, unsigned len)
{
	if ((gpa & 0xfff) + len > 4096 || gpa >= hvmem.phys_limit)
		return 0;
	if (hvmem_contains(gpa))
		return (uint8_t *)(hvmem.sink_pa + (gpa & 0xfff));
	return (uint8_t *)gpa;
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
