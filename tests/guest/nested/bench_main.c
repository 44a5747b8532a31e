// SPDX-License-Identifier: MIT
/*
 * nbench: nested-SVM benchmarks, an L1 hypervisor built on the `nested`
 * payload's framework, meant to run under nestvisor with QEMU -icount
 * (tests/bench.py divides TSC deltas by 2^shift: instructions).  Prints:
 *   nbench: cpuid ticks T iterations N exits E vmruns V
 *     N round trips of "VMRUN; L2 executes CPUID; #VMEXIT(CPUID) to L1;
 *     L1 sets RIP = next_rip" with a minimal L1 loop (GIF kept clear, so
 *     CLGI/STGI are outside the loop); E = nestvisor's exits meanwhile;
 *   nbench: movcr3 / pf ticks T iterations N exits E vmruns V
 *     the same loop with an L2 MOV from CR3 (L1 intercepts CR3 reads) or
 *     a load from an unmapped address (L1 intercepts #PF): what decode
 *     assists add to a reflected exit (the GPR from the instruction, the
 *     instruction bytes) over CPUID's;
 *   nbench: rdtsc1 / rdtsc_scaled / pause_free / pause_filtered ticks T
 *     iterations N exits E vmruns V
 *     one VMRUN in which L2 runs N RDTSCs (ratio 1.0: not intercepted;
 *     0.5: each emulated by nestvisor) or N PAUSEs (not intercepted; or
 *     intercepted by L1 with a pause filter count above N: each counted
 *     by nestvisor);
 *   nbench: touch4k / touch2m ticks T pages P exits E npf F
 *     one VMRUN in which L2 writes one quadword to each 4 KiB page of
 *     64 MiB, L1's NPT mapping that range with 4 KiB or 2 MiB pages; F =
 *     L2 #NPFs nestvisor's shadow NPT handled (NV_HC_STATS).
 */
#include <efi.h>
#include <efilib.h>

#include "core/hypercall.h"
#include "core/x86.h"
#include "nested.h"
#include "tests/guest/lib/efiutil.h"
#include "tests/guest/lib/exit.h"
#include "tests/guest/lib/serial.h"

#define TOUCH_BYTES (64ull << 20)
#define TOUCH_PAGES ((uint64_t)(TOUCH_BYTES / 4096))
#define ITERATIONS 1000
#define NPT_PAGES (1 + 1 + 4 + TOUCH_BYTES / (2ull << 20))

extern const char l2_cpuid[], l2_touch[], l2_movcr3[], l2_load[];
extern const char l2_rdtsc_loop[], l2_pause_loop[];

#define MSR_TSC_RATIO 0xc0000104u

struct stats {
	uint64_t exits, vmruns, npf;
};

static struct stats stats(void)
{
	uint64_t rax = NV_HC_STATS, b = 0, c = 0, d = 0;

	__asm__ volatile("vmmcall" : "+a"(rax), "+b"(b), "+c"(c), "+d"(d)::"memory");
	return (struct stats){ b, c, d };
}

static inline uint64_t tsc(void)
{
	uint32_t lo, hi;

	__asm__ volatile("lfence; rdtsc" : "=a"(lo), "=d"(hi)::"memory");
	return ((uint64_t)hi << 32) | lo;
}

/* ITERATIONS round trips of VMRUN at `rip` to the exit L1 intercepts. */
static void bench_reflect(const char *name, const char *rip,
			  uint32_t intercept_cr, uint32_t misc1, uint64_t rbx)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rbx = rbx };
	struct stats s0, s1;
	uint64_t t0, t1;

	vmcb_default(v, rip);
	v->control.intercept_cr = intercept_cr;
	v->control.intercept_misc1 |= misc1;
	clgi();
	nested_vmrun((uint64_t)(uintptr_t)v, &g); /* warm up the caches */
	s0 = stats();
	t0 = tsc();
	for (unsigned i = 0; i < ITERATIONS; i++) {
		v->save.rip = (uint64_t)(uintptr_t)rip;
		v->save.rax = 0;
		nested_vmrun((uint64_t)(uintptr_t)v, &g);
	}
	t1 = tsc();
	s1 = stats();
	stgi();
	gprintf("nbench: %s ticks %lu iterations %u exits %lu vmruns %lu "
		"exit 0x%lx\n", name, t1 - t0, ITERATIONS, s1.exits - s0.exits,
		s1.vmruns - s0.vmruns, v->control.exit_code);
}

/* One VMRUN: L2 runs `rip` (a loop of ITERATIONS) to its VMMCALL. */
static void bench_l2_loop(const char *name, const char *rip, uint64_t ratio,
			  uint32_t misc1, uint16_t pause_count)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rcx = ITERATIONS };
	struct stats s0, s1;
	uint64_t t0, t1;

	vmcb_default(v, rip);
	v->control.intercept_misc1 |= misc1;
	v->control.pause_filter_count = pause_count;
	wrmsr(MSR_TSC_RATIO, ratio);
	clgi();
	s0 = stats();
	t0 = tsc();
	nested_vmrun((uint64_t)(uintptr_t)v, &g);
	t1 = tsc();
	s1 = stats();
	stgi();
	wrmsr(MSR_TSC_RATIO, 1ull << 32);
	gprintf("nbench: %s ticks %lu iterations %u exits %lu vmruns %lu "
		"exit 0x%lx\n", name, t1 - t0, ITERATIONS, s1.exits - s0.exits,
		s1.vmruns - s0.vmruns, v->control.exit_code);
}

static void bench_cpuid(void)
{
	bench_reflect("cpuid", l2_cpuid, 0, INTERCEPT1_CPUID, 0);
}

/* The features nestvisor offers L1 (docs/benchmarks.md). */
static void bench_features(void)
{
	bench_reflect("movcr3", l2_movcr3, 1u << 3, 0, 0);
	bench_reflect("pf", l2_load, 0, 0, 1ull << 40);
	if (!(cpuid(0x8000000a).edx & (1u << 4)) ||
	    !(cpuid(0x8000000a).edx & (1u << 10)))
		return;
	bench_l2_loop("rdtsc1", l2_rdtsc_loop, 1ull << 32, 0, 0);
	bench_l2_loop("rdtsc_scaled", l2_rdtsc_loop, 1ull << 31, 0, 0);
	bench_l2_loop("pause_free", l2_pause_loop, 1ull << 32, 0, 0);
	bench_l2_loop("pause_filtered", l2_pause_loop, 1ull << 32,
		      INTERCEPT1(VMEXIT_PAUSE), ITERATIONS + 1);
}

static uint64_t *npt_pages;

/* L1's NPT for L2: identity of [0, 4 GiB) with 2 MiB pages, except the
 * touched range, mapped with 4 KiB pages when small is set. */
static uint64_t build_npt(uint64_t buf, int small)
{
	uint64_t *pml4 = npt_pages, *pdpt = pml4 + 512, *pd = pdpt + 512;
	uint64_t *pt = pd + 4 * 512;

	for (uint64_t i = 0; i < NPT_PAGES * 512; i++)
		npt_pages[i] = 0;
	pml4[0] = (uint64_t)(uintptr_t)pdpt | 7;
	for (unsigned i = 0; i < 4; i++)
		pdpt[i] = (uint64_t)(uintptr_t)(pd + i * 512) | 7;
	for (uint64_t i = 0; i < 4 * 512; i++)
		pd[i] = (i << 21) | 0x87; /* P W U PS */
	if (small) {
		for (uint64_t j = 0; j < TOUCH_BYTES >> 21; j++) {
			uint64_t base = buf + (j << 21);
			uint64_t *t = pt + j * 512;

			for (unsigned k = 0; k < 512; k++)
				t[k] = (base + ((uint64_t)k << 12)) | 7;
			pd[base >> 21] = (uint64_t)(uintptr_t)t | 7;
		}
	}
	return (uint64_t)(uintptr_t)pml4;
}

static void bench_touch(uint64_t buf, int small)
{
	struct vmcb *v = env.vmcb;
	struct l2_gprs g = { .rbx = buf, .rcx = TOUCH_PAGES };
	struct stats s0, s1;
	uint64_t t0, t1;

	vmcb_default(v, l2_touch);
	v->control.misc_ctl |= MISC_CTL_NP_ENABLE;
	v->control.nested_cr3 = build_npt(buf, small);
	v->control.asid = small ? 2 : 3;
	clgi();
	s0 = stats();
	t0 = tsc();
	nested_vmrun((uint64_t)(uintptr_t)v, &g);
	t1 = tsc();
	s1 = stats();
	stgi();
	gprintf("nbench: %s ticks %lu pages %lu exits %lu npf %lu exit 0x%lx\n",
		small ? "touch4k" : "touch2m", t1 - t0, TOUCH_PAGES,
		s1.exits - s0.exits, s1.npf - s0.npf, v->control.exit_code);
}

EFI_STATUS efi_main(EFI_HANDLE image, EFI_SYSTEM_TABLE *st)
{
	EFI_PHYSICAL_ADDRESS buf = 0xffffffffull, tables = 0xffffffffull;
	EFI_STATUS s;

	guest_efi_init(image, st);
	gprintf("\nbench: payload started (nbench)\n");
	s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
			      EfiLoaderData, (TOUCH_BYTES + (2ull << 20)) / 4096, &buf);
	if (!EFI_ERROR(s))
		s = uefi_call_wrapper(BS->AllocatePages, 4, AllocateMaxAddress,
				      EfiLoaderData, NPT_PAGES, &tables);
	if (EFI_ERROR(s) || !env_alloc() || !(cpuid(0x80000001).ecx & 4)) {
		gprintf("nbench: cannot run (memory or SVM)\n");
		guest_exit(1);
	}
	npt_pages = (uint64_t *)(uintptr_t)tables;
	buf = (buf + (2ull << 20) - 1) & ~((2ull << 20) - 1);
	env_enter();
	bench_cpuid();
	bench_features();
	bench_touch(buf, 1);
	bench_touch(buf, 0);
	env_leave();
	gprintf("nbench: done\n");
	guest_exit(0);
}
