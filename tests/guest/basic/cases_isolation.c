// SPDX-License-Identifier: MIT
/*
 * Isolation of nestvisor's own memory (only under nestvisor).
 * HV_RANGE names the range, which the UEFI memory map must show as
 * EfiReservedMemoryType, exactly.  L1 accesses to it do not fault but go
 * to a scratch page: L1 never reads hypervisor data (the canary value is
 * never visible at the canary address) and never changes it (CANARY keeps
 * answering 0 after junk was written over every page of the range).
 * The cases run in order and share what the earlier ones found; nothing
 * is written unless the range passed both sanity cases, so that a wrong
 * answer cannot make the test overwrite firmware memory.
 */
#include "basic.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/nv.h"
#include "tests/guest/lib/trap.h"

#define PAGE_4K  0x1000ull
#define ALIGN_2M 0x200000ull

static struct {
	uint64_t base, size;
	int range_sane;     /* HV_RANGE answered a plausible range */
	int range_reserved; /* ... which the memory map reserves exactly */
	uint64_t canary_addr, canary_value;
	int canary_ok;
	uint64_t junk;
} st;

static int range_ok(void)
{
	return st.range_sane && st.range_reserved;
}

static int hv_range(void)
{
	struct hc_regs r = { NV_HC_HV_RANGE, 0, 0, 0 };
	int fault = hypercall(&r);

	tap_diag("HV_RANGE: exception %s, status %ld, base 0x%lx, size 0x%lx",
		 trap_name(fault), (long)r.rax, r.rbx, r.rcx);
	if (fault != TRAP_NONE || (int64_t)r.rax != NV_HC_OK)
		return 0;
	st.base = r.rbx;
	st.size = r.rcx;
	st.range_sane = st.size != 0 && !(st.base & (ALIGN_2M - 1)) &&
			!(st.size & (ALIGN_2M - 1)) && st.base + st.size > st.base;
	return st.range_sane;
}

static int hv_range_reserved(void)
{
	if (!st.range_sane) {
		tap_diag("no sane HV_RANGE to look up");
		return 0;
	}
	st.range_reserved = memmap_range_is_reserved(st.base, st.size);
	return st.range_reserved;
}

static int canary(void)
{
	struct hc_regs r = { NV_HC_CANARY, 0, 0, 0 };
	int fault = hypercall(&r);

	tap_diag("CANARY: exception %s, status %ld, address 0x%lx, value 0x%lx",
		 trap_name(fault), (long)r.rax, r.rbx, r.rcx);
	if (fault != TRAP_NONE || (int64_t)r.rax != NV_HC_OK || !st.range_sane)
		return 0;
	st.canary_addr = r.rbx;
	st.canary_value = r.rcx;
	st.canary_ok = (r.rbx & 7) == 0 && r.rbx >= st.base &&
		       r.rbx + 8 <= st.base + st.size;
	/* Junk that differs from the canary in every byte. */
	st.junk = ~st.canary_value ^ 0x0101010101010101ull;
	return st.canary_ok;
}

static int canary_hidden(void)
{
	struct trap_session ts;
	uint64_t v = 0;
	int fault;

	if (!st.canary_ok) {
		tap_diag("no canary address");
		return 0;
	}
	trap_begin(&ts);
	fault = trap_read64((volatile uint64_t *)(uintptr_t)st.canary_addr, &v);
	trap_end(&ts);
	tap_diag("read 0x%lx at 0x%lx, exception %s", v, st.canary_addr, trap_name(fault));
	return expect_trap("exception", fault, TRAP_NONE) &&
	       v != st.canary_value;
}

static int write_junk(void)
{
	struct trap_session ts;
	uint64_t pages = st.size / PAGE_4K, faults = 0, first = 0;

	if (!range_ok() || !st.canary_ok) {
		tap_diag("precondition failed: range or canary not verified");
		return 0;
	}
	trap_begin(&ts);
	for (uint64_t i = 0; i < pages; i++) {
		volatile uint64_t *p = (volatile uint64_t *)(uintptr_t)(st.base + i * PAGE_4K);

		if (trap_write64(p, st.junk ^ i) != TRAP_NONE && !faults++)
			first = (uint64_t)(uintptr_t)p;
	}
	trap_end(&ts);
	tap_diag("%lu pages written, %lu faulted (first at 0x%lx)", pages, faults, first);
	return faults == 0;
}

static int read_back(void)
{
	struct trap_session ts;
	uint64_t pages = st.size / PAGE_4K, faults = 0, v;

	if (!range_ok()) {
		tap_diag("precondition failed: range not verified");
		return 0;
	}
	trap_begin(&ts);
	for (uint64_t i = 0; i < pages; i++)
		if (trap_read64((volatile uint64_t *)(uintptr_t)(st.base + i * PAGE_4K), &v) !=
		    TRAP_NONE)
			faults++;
	trap_end(&ts);
	tap_diag("%lu pages read, %lu faulted", pages, faults);
	return faults == 0;
}

static int canary_intact(void)
{
	struct hc_regs r = { NV_HC_CANARY, 0, 0, 0 };
	int fault = hypercall(&r);

	tap_diag("CANARY: exception %s, status %ld, address 0x%lx, value 0x%lx",
		 trap_name(fault), (long)r.rax, r.rbx, r.rcx);
	return expect_trap("exception", fault, TRAP_NONE) &&
	       TAP_EXPECT_EQ("status", r.rax, NV_HC_OK) &
	       TAP_EXPECT_EQ("address", r.rbx, st.canary_addr) &
	       TAP_EXPECT_EQ("value", r.rcx, st.canary_value);
}

static int version_after(void)
{
	struct hc_regs r = { NV_HC_VERSION, 0, 0, 0 };
	int fault = hypercall(&r);

	return expect_trap("exception", fault, TRAP_NONE) &&
	       TAP_EXPECT_EQ("status", r.rax, NV_HC_OK) &
	       TAP_EXPECT_EQ("RBX", r.rbx, cpuid_count(NV_CPUID_VERSION_LEAF, 0).eax);
}

static const struct tap_case cases[] = {
	{ "isolation: HV_RANGE returns status 0 and a non-empty 2 MiB aligned range", hv_range },
	{ "isolation: HV_RANGE is exactly EfiReservedMemoryType in the UEFI memory map",
	  hv_range_reserved },
	{ "isolation: CANARY returns status 0 and an address inside HV_RANGE", canary },
	{ "isolation: reading the canary address does not show the canary value",
	  canary_hidden },
	{ "isolation: junk written to the first qword of every 4 KiB page does not fault",
	  write_junk },
	{ "isolation: reading back every page of the range does not fault", read_back },
	{ "isolation: canary address still does not show the canary value", canary_hidden },
	{ "isolation: CANARY still intact (status 0, same address and value)", canary_intact },
	{ "isolation: VERSION still works after the writes", version_after },
};

struct case_list isolation_cases(int under_nv)
{
	if (!under_nv)
		return (struct case_list){ cases, 0 };
	return (struct case_list){ cases, TAP_COUNT(cases) };
}
