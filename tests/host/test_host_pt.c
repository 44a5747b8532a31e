// SPDX-License-Identifier: MIT
/*
 * The host page table core/hvmem.c builds for nestvisor itself
 * (hvmem_host_init()), walked by mm/'s walker as the CPU would walk it in
 * host mode: long mode, CPL 0, CR0.WP = 1 and EFER.NXE = 1 (as
 * core/host_env.c sets them).  By the APM's rules (Vol. 2 §5.6 "Page
 * Protection": a supervisor write to a read-only page faults when CR0.WP
 * is 1; §5.6.4: a fetch from a page with NX set faults when EFER.NXE is
 * 1; §5.3: NX is a reserved bit when EFER.NXE is 0):
 *  - nestvisor's code: fetch and read allowed, write a protection fault;
 *  - every other page (the rest of the region, L1's memory, devices):
 *    read and write allowed, fetch a protection fault;
 *  - without NX (a CPU that lacks it, EFER.NXE clear): no NX bit at all,
 *    so no reserved-bit fault, and every page may be fetched.
 * And hvmem_npt_protect() on L1's NPT: the pages it maps keep P (bit 0)
 * and get U/S (bit 2) as asked without R/W (bit 1), APM Vol. 2 §15.25.5
 * and §5.4.1; a skipped page stays writable; a page of nestvisor's region
 * or above the physical address width is refused.
 */
#define _GNU_SOURCE
#include <setjmp.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <sys/mman.h>
#include <cmocka.h>

#include "core/err.h"
#include "core/hvmem.h"
#include "core/x86.h"
#include "mm/pferr.h"
#include "mm/role.h"
#include "mm/walk.h"

#define HV_BASE 0x40000000ull
#define HV_SIZE (32ull << 20)
#define CODE    (HV_BASE + 0x3000)    /* nestvisor's "text": 3 pages */
#define CODE_END (HV_BASE + 0x5800)

/* The host's tables are host memory, identity. */
static int rd(void *ctx, uint64_t pa, void *buf, unsigned len)
{
	(void)ctx;
	memcpy(buf, (const void *)pa, len);
	return 0;
}

static int wr(void *ctx, uint64_t pa, const void *buf, unsigned len)
{
	(void)ctx;
	memcpy((void *)pa, buf, len);
	return 0;
}

static int cx(void *ctx, uint64_t pa, uint64_t old, uint64_t new_val,
	      unsigned len)
{
	(void)ctx;
	if (len != 8 || *(uint64_t *)pa != old)
		return -1;
	*(uint64_t *)pa = new_val;
	return 0;
}

static const struct gmem host_mem = { 0, rd, wr, cx };

/* Walks addr for access in host mode; returns the #PF error code, or 0
 * when it translates (identity). */
static uint64_t host_walk(uint64_t addr, uint64_t access, bool nxe)
{
	struct paging_regs regs = {
		X86_CR0_PE | X86_CR0_PG | X86_CR0_WP, X86_CR4_PAE,
		X86_EFER_LME | X86_EFER_LMA | (nxe ? X86_EFER_NXE : 0), false };
	struct mm_cpu mc = { 40, true };
	struct pagewalk w;
	struct walk_result r;

	pagewalk_init(&w, cpu_role_from_regs(&regs), false, &mc);
	if (walk(&w, &host_mem, hvmem.host_root, addr, access, &r)) {
		assert_int_equal(r.out, addr);
		return 0;
	}
	return r.error_code;
}

static int up(void **state)
{
	void *p = mmap((void *)HV_BASE, HV_SIZE, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);

	(void)state;
	assert_true(p == (void *)HV_BASE);
	assert_int_equal(hvmem_init(HV_BASE, HV_SIZE, 0x6000, 40, true), 0);
	return 0;
}

static void test_with_nx(void **state)
{
	const uint64_t P = PFERR_PRESENT, W = PFERR_WRITE, F = PFERR_FETCH;
	static const uint64_t data[] = {
		HV_BASE, HV_BASE + 0x2ff8, CODE_END + 0x800, HV_BASE + HV_SIZE - 8,
		0x1000, 0x12345678, 0xfee00000, (1ull << 40) - 8,
	};

	(void)state;
	assert_int_equal(hvmem_host_init(CODE, CODE_END, true), 0);
	assert_true(hvmem.host_nx);
	for (uint64_t a = CODE; a < CODE_END; a += 0x7f8) {
		assert_int_equal(host_walk(a, 0, true), 0);
		assert_int_equal(host_walk(a, F, true), 0);
		assert_int_equal(host_walk(a, W, true), P | W);
	}
	for (unsigned i = 0; i < sizeof(data) / sizeof(data[0]); i++) {
		assert_int_equal(host_walk(data[i], 0, true), 0);
		assert_int_equal(host_walk(data[i], W, true), 0);
		assert_int_equal(host_walk(data[i], F, true), P | F);
	}
	/* the page after the code (CODE_END is inside it: code too) */
	assert_int_equal(host_walk(CODE_END + 0x7ff, F, true), 0);
	assert_int_equal(host_walk(CODE_END + 0x800, F, true), P | F);
}

static void test_without_nx(void **state)
{
	(void)state;
	assert_int_equal(hvmem_host_init(CODE, CODE_END, false), 0);
	assert_false(hvmem.host_nx);
	assert_int_equal(host_walk(HV_BASE, PFERR_FETCH, false), 0);
	assert_int_equal(host_walk(0x12345678, PFERR_FETCH, false), 0);
	assert_int_equal(host_walk(CODE, PFERR_WRITE, false),
			 PFERR_PRESENT | PFERR_WRITE);
}

static bool second_page(uint64_t pa)
{
	return pa == 0xfee01000;
}

static void test_npt_protect(void **state)
{
	(void)state;
	assert_int_equal(hvmem_npt_protect(0xfee00000, 0x3000, 0x5,
					   second_page), 0);
	assert_int_equal(hvmem_npt_entry(0xfee00000) & 7, 0x5);
	assert_int_equal(hvmem_npt_entry(0xfee01000) & 7, 0x7);
	assert_int_equal(hvmem_npt_entry(0xfee02000) & 7, 0x5);
	assert_int_equal(hvmem_npt_entry(0xfee03000) & 7, 0x7);
	assert_int_equal(hvmem_npt_protect(0xfec00000, 0x1000, 0x1, NULL), 0);
	assert_int_equal(hvmem_npt_entry(0xfec00000) & 7, 0x1);
	assert_int_equal(hvmem_npt_protect(HV_BASE, 0x1000, 0x5, NULL),
			 -NV_EFAULT);
	assert_int_equal(hvmem_npt_protect(1ull << 40, 0x1000, 0x5, NULL),
			 -NV_EFAULT);
}

int main(void)
{
	const struct CMUnitTest tests[] = {
		cmocka_unit_test(test_with_nx),
		cmocka_unit_test(test_without_nx),
		cmocka_unit_test(test_npt_protect),
	};
	return cmocka_run_group_tests(tests, up, NULL);
}
