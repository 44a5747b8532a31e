// SPDX-License-Identifier: MIT
/*
 * Group "exhaust" (nestvisor.cfg memory = 8M, QEMU -m 8192): L1 gives L2,
 * through its own NPT, thousands of 2 MiB regions, each with its own L1
 * page-table page, each such page in a different 2 MiB block of L1's
 * memory.  Every touch by L2 makes nestvisor's shadow NPT build a table
 * and write-protect L1's table page, which splits a large page of
 * nestvisor's own NPT for L1: far more than 8 MiB holds.  nestvisor must
 * reclaim (drop shadows, release protections and merge the splits back)
 * and go on: L2 finishes its loop (slower, never a panic), a second pass
 * works, and so do L1's writes to those tables afterwards (every one
 * seen: L2 reads through the new entries).
 * L2's regions start at 16 GiB (entries 16-21 of the first PDPT, below
 * the 40-bit width of QEMU's default CPU); L2 maps them with 1 GiB pages
 * (its own tables, built here), L1's NPT with 4 KiB pages.  L1's table
 * pages are taken from 4 GiB up, one per 2 MiB block; L1's own map is
 * extended to 16 GiB with 1 GiB pages to reach them.
 */
#include <efi.h>
#include <efilib.h>
#include "attack.h"
#include "core/hypercall.h"
#include "core/x86.h"
#include "tests/guest/nested/npt.h"

#define R2        (16ull << 30)
#define REGIONS   3072u                  /* at most: 6 GiB of L2 space */
#define GIB       (1ull << 30)
#define MIB2      (1ull << 21)
#define NPT_RWU   (PTE_P | PTE_RW | PTE_US)

extern const char l2_touch[];

static uint64_t *pt[REGIONS];  /* L1 NPT page tables, one per 2 MiB block */
static unsigned regions;
static uint64_t *pds, *l2_pml4, *l2_pdpt;

static int alloc(void)
{
	EFI_PHYSICAL_ADDRESS a = 0xffffffffull;
	uint64_t *l1_pdpt = (uint64_t *)(uintptr_t)
		(((const uint64_t *)(uintptr_t)env.l1_cr3)[0] & PTE64_ADDR_4K);
	unsigned pages = REGIONS / 512 + 2;
	uint8_t *p;

	if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
					EfiLoaderData, pages, &a)))
		return 0;
	p = (uint8_t *)(uintptr_t)a;
	for (uint64_t i = 0; i < (uint64_t)pages * 4096; i++)
		p[i] = 0;
	pds = (uint64_t *)p;
	l2_pml4 = pds + 512 * (REGIONS / 512);
	l2_pdpt = l2_pml4 + 512;
	for (uint64_t b = 4 * GIB; b < 16 * GIB && regions < REGIONS; b += MIB2) {
		a = b;
		if (EFI_ERROR(uefi_call_wrapper(BS->AllocatePages, 4,
						AllocateAddress, EfiLoaderData,
						1, &a)))
			continue;
		pt[regions++] = (uint64_t *)(uintptr_t)a;
	}
	for (uint64_t i = 4; i < 16; i++)
		l1_pdpt[i] = (i * GIB) | PTE_P | PTE_RW | PTE_PS;
	return regions > 0;
}

static void invalidate_l1_map(void)
{
	write_cr3(read_cr3());
}

/* L1's NPT for R2: region i's 2 MiB -> its own PT, whose entry 0 maps
 * the shared data page; L2's tables: linear R2 + x -> gpa R2 + x. */
static void build(void)
{
	uint64_t data = (uint64_t)(uintptr_t)npt.data;

	invalidate_l1_map();
	for (unsigned i = 0; i < regions; i++) {
		for (unsigned k = 0; k < 512; k++)
			pt[i][k] = 0;
		pt[i][0] = data | NPT_RWU;
		pds[i] = (uint64_t)(uintptr_t)pt[i] | NPT_RWU;
	}
	const uint64_t *low = (const uint64_t *)(uintptr_t)
			      (npt.l2_pml4[0] & PTE64_ADDR_4K);

	for (unsigned k = 0; k < 512; k++) {
		l2_pml4[k] = npt.l2_pml4[k];
		l2_pdpt[k] = low[k];
	}
	for (unsigned j = 0; j < REGIONS / 512; j++) {
		npt.pdpt0[(R2 >> 30) + j] = (uint64_t)(uintptr_t)&pds[512 * j] |
					    NPT_RWU;
		l2_pdpt[(R2 >> 30) + j] = (R2 + j * GIB) | PTE_P | PTE_RW | PTE_PS;
	}
	l2_pml4[0] = (uint64_t)(uintptr_t)l2_pdpt | PTE_P | PTE_RW;
}

static uint64_t npfs(void)
{
	uint64_t rbx, rcx, rdx = 0, rax = NV_HC_STATS;

	__asm__ volatile("vmmcall" : "+a"(rax), "=b"(rbx), "=c"(rcx), "+d"(rdx)
			 :: "memory");
	return rdx;
}

/* Run L2 to its VMMCALL: L1's timer (INTR, every ~200 ms) only pauses it. */
static unsigned run_to_end(struct vmcb *v, struct l2_gprs *g)
{
	unsigned slices = 1;

	while (l2_run(v, g) == VMEXIT_INTR && slices < 3000)
		slices++;
	return slices;
}

static int pass(const char *what)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rbx = R2, .rcx = regions, .rdx = MIB2 };
	uint64_t before = npfs(), after;
	unsigned slices;
	int ok;

	vmcb_default(v, l2_touch);
	vmcb_use_npt(v);
	v->save.cr3 = (uint64_t)(uintptr_t)l2_pml4;
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	slices = run_to_end(v, &g);
	after = npfs();
	tap_diag("%s: %lu shadow-NPT faults for %u regions, %u time slices",
		 what, after - before, regions, slices);
	ok = expect_exit(v, VMEXIT_VMMCALL) &
	     TAP_EXPECT_EQ("regions left", g.rcx, 0) &
	     TAP_EXPECT_EQ("last value read", v->save.rax, DATA_PATTERN);
	return ok;
}

static int first_pass(void)
{
	if (!alloc()) {
		tap_diag("cannot allocate L1's tables");
		return 0;
	}
	tap_diag("%u L1 NPT table pages, one per 2 MiB block", regions);
	npt_reset();
	build();
	return TAP_EXPECT_EQ("regions", regions, REGIONS) & pass("first pass");
}

static int second_pass(void)
{
	return pass("second pass");
}

/* L1 rewrites every one of its tables (exits where nestvisor protects
 * them), then L2 reads through the new entries: the second data page. */
static int l1_rewrites(void)
{
	uint64_t data2 = (uint64_t)(uintptr_t)npt.data2;
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rbx = R2, .rcx = regions, .rdx = MIB2 };

	for (unsigned i = 0; i < regions; i++)
		pt[i][0] = data2 | NPT_RWU;
	vmcb_default(v, l2_touch);
	vmcb_use_npt(v);
	v->save.cr3 = (uint64_t)(uintptr_t)l2_pml4;
	v->control.tlb_control = TLB_CONTROL_DO_NOTHING;
	run_to_end(v, &g);
	return expect_exit(v, VMEXIT_VMMCALL) &
	       TAP_EXPECT_EQ("regions left", g.rcx, 0) &
	       TAP_EXPECT_EQ("last value read", v->save.rax, DATA2_PATTERN);
}

static int cleanup(void)
{
	for (unsigned j = 0; j < REGIONS / 512; j++)
		npt.pdpt0[(R2 >> 30) + j] = 0;
	npt_reset();
	return 1;
}

static const struct tap_case exhaust_cases[] = {
	{ "exhaust.l2_touches_3072_regions_spread_over_l1", first_pass },
	{ "exhaust.again", second_pass },
	{ "exhaust.l1_rewrites_its_tables", l1_rewrites },
	{ "exhaust.cleanup", cleanup },
	{ "exhaust.hypervisor_intact", hv_intact },
};

struct attack_group exhaust_group(void)
{
	return (struct attack_group){ "exhaust", "memory = 8M", exhaust_cases,
				      TAP_COUNT(exhaust_cases) };
}
